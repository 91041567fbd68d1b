"""Stages ``rna_prep`` and ``protein_prep``: read, filter, normalise, write ``.h5ad``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .._logging import get_logger
from ..io import match_samples, read_rna_counts
from ..io._write import write_h5ad
from ..pp import _protein as protein_pp
from ..pp import filter_low_counts, normalize_deseq2
from ._common import load_design_inputs, out_path
from ._validate import read_protein, rna_min_samples

log = get_logger("prep")


def _contrast_groups(obs: pd.DataFrame, contrasts: list) -> pd.Series:
    """Sample groups: the combination of every categorical variable the contrasts use."""
    columns: list[str] = []
    for contrast in contrasts:
        names = [contrast.variable] if not contrast.is_formula else [
            c for c in obs.columns if c in (contrast.formula or "")]
        columns += [c for c in names if c and c not in columns
                    and not pd.api.types.is_numeric_dtype(obs[c])]
    if not columns:
        return pd.Series("all", index=obs.index)
    return obs[columns].astype(str).agg("|".join, axis=1)


def rna_prep(*, samplesheet: str | Path, contrasts: str | Path, rna_counts: str | Path,
             outdir: str | Path, params: dict) -> dict[str, Path]:
    """Filter low counts, add DESeq2 size factors, normalised counts and VST.

    ``rna_min_samples`` defaults to the smallest group any contrast compares.
    Writes ``rna/rna.h5ad`` (``layers``: ``counts``, ``normalized``, ``vst``).
    """
    sheet, contrast_list = load_design_inputs(samplesheet, contrasts)
    adata = match_samples(read_rna_counts(rna_counts), sheet, matrix_path=rna_counts)
    min_samples = rna_min_samples(adata, contrast_list, params)
    adata = filter_low_counts(adata, min_count=params["rna_min_count"], min_samples=min_samples)
    normalize_deseq2(adata)
    adata.uns["modality"] = "rna"
    adata.uns["de_layer"] = "counts"
    return {"h5ad": write_h5ad(adata, out_path(outdir, "rna", "rna.h5ad"))}


def protein_prep(*, samplesheet: str | Path, contrasts: str | Path, protein_matrix: str | Path,
                 outdir: str | Path, params: dict) -> dict[str, Path]:
    """Log2, valid-value filter, normalisation and the missing-value policy for proteins.

    The valid-value filter counts within the groups the contrasts compare (the
    combination of their categorical variables). Writes ``protein/protein.h5ad`` with
    ``layers`` ``raw``, ``log2``, ``normalized`` (and ``imputed``); ``X`` is what the
    differential stage tests.
    """
    sheet, contrast_list = load_design_inputs(samplesheet, contrasts)
    adata = match_samples(read_protein(protein_matrix, params), sheet, matrix_path=protein_matrix)
    protein_pp.log2_transform(adata)
    groups = _contrast_groups(adata.obs, contrast_list)
    adata = protein_pp.filter_valid_values(adata, groups,
                                           min_fraction=params["protein_min_valid_fraction"],
                                           copy=True)
    protein_pp.normalize(adata, method=params["protein_normalization"])
    protein_pp.impute(adata, method=params["protein_imputation"], seed=params["seed"])
    adata.uns["modality"] = "protein"
    adata.uns["de_layer"] = None
    return {"h5ad": write_h5ad(adata, out_path(outdir, "protein", "protein.h5ad"))}
