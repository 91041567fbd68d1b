"""Stages ``rna_prep`` and ``protein_prep``: read, filter, normalise, write ``.h5ad``."""

from __future__ import annotations

from pathlib import Path

from .._logging import get_logger, repeating_input_check
from ..io import match_samples, read_rna_counts, write_h5ad, write_tsv
from ..pp import (
    contrast_groups,
    filter_low_counts,
    filter_valid_values,
    impute,
    log2_transform,
    normalize,
    normalize_deseq2,
)
from ._common import RNA_LOG2_FORMATS, load_design_inputs, out_path, stage_output
from ._rna_input import prepare_rna_log2, rna_input_path
from ._validate import check_empty_protein_samples, read_protein, rna_min_samples

log = get_logger("prep")


def continuous_outcomes(contrasts: list) -> list[str]:
    """Sample-sheet columns tested by continuous contrasts (for score-phenotype correlation)."""
    return list(dict.fromkeys(c.variable for c in contrasts if c.is_continuous))


def rna_prep(*, samplesheet: str | Path, contrasts: str | Path, rna_counts: str | Path | None = None,
             outdir: str | Path, params: dict, rna_matrix: str | Path | None = None
             ) -> dict[str, Path]:
    """Prepare the RNA modality according to ``rna_format``.

    - ``counts``: filter low counts, add DESeq2 size factors, normalised counts and VST;
      ``rna_min_samples`` defaults to the smallest group any contrast compares. Writes
      ``rna/rna.h5ad`` (``layers``: ``counts``, ``normalized``, ``vst``).
    - ``qpcr``: replicates averaged, Ct policy, reference genes (given or geNorm),
      ``X`` = ``-delta-Ct``; also writes ``rna/qpcr_replicates.tsv`` and, with geNorm,
      ``rna/qpcr_genorm.tsv`` and ``rna/qpcr_genorm_variation.tsv``.
    - ``array``: probes collapsed to genes (highest mean), ``X`` = log2 intensities.
    """
    sheet, contrast_list = load_design_inputs(samplesheet, contrasts)
    path = rna_input_path(params, rna_counts, rna_matrix)
    if params.get("rna_format") in RNA_LOG2_FORMATS:
        with repeating_input_check():  # omics run's check prepared it (and showed its lines)
            adata = prepare_rna_log2(path, sheet, params)
        adata.uns["continuous_outcomes"] = continuous_outcomes(contrast_list)
        outputs = {}
        if params["rna_format"] == "qpcr":
            outputs["replicates"] = write_tsv(adata.uns.pop("qpcr_replicates"),
                                              out_path(outdir, "rna", "qpcr_replicates.tsv"))
            if "qpcr_genorm" in adata.uns:
                outputs["genorm"] = write_tsv(adata.uns["qpcr_genorm"],
                                              out_path(outdir, "rna", "qpcr_genorm.tsv"))
                outputs["genorm_variation"] = write_tsv(
                    adata.uns["qpcr_genorm_variation"],
                    out_path(outdir, "rna", "qpcr_genorm_variation.tsv"))
        outputs["h5ad"] = write_h5ad(adata, out_path(outdir, "rna", "rna.h5ad"))
        return outputs
    rna_counts = path
    with repeating_input_check():  # omics run's check read it (and showed its lines)
        adata = match_samples(read_rna_counts(rna_counts), sheet, matrix_path=rna_counts)
        # (a contrast the samples cannot fit stops naming the contrasts file, as validate's check)
        min_samples = rna_min_samples(adata, contrast_list, params, contrasts,
                                      samplesheet_path=samplesheet)
    adata = filter_low_counts(adata, min_count=params["rna_min_count"], min_samples=min_samples)
    normalize_deseq2(adata)
    adata.uns["continuous_outcomes"] = continuous_outcomes(contrast_list)
    adata.uns["modality"] = "rna"
    adata.uns["de_layer"] = "counts"
    return {"h5ad": write_h5ad(adata, stage_output(outdir, "rna_prep", "h5ad"))}


def protein_prep(*, samplesheet: str | Path, contrasts: str | Path, protein_matrix: str | Path,
                 outdir: str | Path, params: dict) -> dict[str, Path]:
    """Log2, valid-value filter, normalisation and the missing-value policy for proteins.

    The valid-value filter counts within the groups the contrasts compare (the
    combination of their categorical variables; a sample with a missing level of one of
    them, e.g. an unknown response, is in no group). A sample of the sheet without any
    observed value (a failed run: its column all 0 or missing) stops, naming its column.
    Writes ``protein/protein.h5ad`` with
    ``layers`` ``raw``, ``log2``, ``normalized`` (and ``imputed``); ``X`` is what the
    differential stage tests.
    """
    sheet, contrast_list = load_design_inputs(samplesheet, contrasts)
    with repeating_input_check():  # omics run's check read it (and showed its lines)
        adata = match_samples(read_protein(protein_matrix, params), sheet,
                              matrix_path=protein_matrix)
    check_empty_protein_samples(adata, protein_matrix)
    log2_transform(adata)
    groups = contrast_groups(adata.obs, contrast_list)
    adata = filter_valid_values(adata, groups, min_fraction=params["protein_min_valid_fraction"],
                                copy=True)
    normalize(adata, method=params["protein_normalization"])
    impute(adata, method=params["protein_imputation"], seed=params["seed"])
    adata.uns["continuous_outcomes"] = continuous_outcomes(contrast_list)
    adata.uns["modality"] = "protein"
    adata.uns["de_layer"] = None
    return {"h5ad": write_h5ad(adata, stage_output(outdir, "protein_prep", "h5ad"))}
