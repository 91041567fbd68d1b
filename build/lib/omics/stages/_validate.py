"""Stage ``validate``: check every input before any computation."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import InputError
from .._logging import get_logger
from ..io import match_samples, read_contrasts, read_rna_counts, read_samplesheet, write_contrasts
from ..io._write import atomic_path, write_text
from ..pp._rna import low_count_keep
from ..tl._design import design_for_contrast, smallest_group
from ._common import gene_set_collections, out_path

log = get_logger("validate")


def sha256(path: str | Path) -> str:
    """Return the SHA-256 hex digest of a file."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_protein(path: str | Path, params: dict):  # noqa: ANN201 - AnnData
    """Read the protein matrix with the format options in ``params``."""
    from ..io._protein import read_protein_matrix

    return read_protein_matrix(path, fmt=params["protein_format"],
                               intensity=params["protein_intensity"],
                               is_log2=params["protein_is_log2"])


def rna_min_samples(adata, contrast_list: list, params: dict) -> int:  # noqa: ANN001 - AnnData
    """``rna_min_samples``, or by default the smallest group any contrast compares."""
    value = params.get("rna_min_samples")
    if value is None:
        value = min(smallest_group(design_for_contrast(adata.obs, c, samples=adata.obs_names))
                    for c in contrast_list)
    return int(value)


def _check_rna_counts(adata, contrast_list: list, params: dict, path: str | Path) -> None:  # noqa: ANN001
    """Stop on samples without reads and on a low-count filter that would keep nothing."""
    counts = np.asarray(adata.X)
    empty = [str(s) for s, total in zip(adata.obs_names, counts.sum(axis=1), strict=True) if total == 0]
    if empty:
        raise InputError(
            f"sample(s) {', '.join(repr(s) for s in empty[:5])} have no reads (every count is 0); "
            "DESeq2 cannot normalise them: remove them from the sample sheet.",
            path=path,
        )
    low_count_keep(counts, min_count=params.get("rna_min_count", 10),
                   min_samples=rna_min_samples(adata, contrast_list, params))


def _check_protein_observations(adata, design, path: str | Path) -> None:  # noqa: ANN001
    """Stop when no protein has more observed values in a contrast's samples than coefficients."""
    values = np.asarray(adata[design.samples].X, dtype=float)
    observed = np.isfinite(values)
    if not adata.uns.get("protein_input", {}).get("is_log2", False):
        observed &= values > 0  # zeros are missing in linear intensities
    n_coef = design.matrix.shape[1]
    if not (observed.sum(axis=0) > n_coef).any():
        raise InputError(
            f"contrast {design.contrast.id!r}: no protein has more observed values among its "
            f"{len(design.samples)} samples than the design's {n_coef} coefficients, so no protein "
            "can be tested; check that these samples' intensity columns are filled.",
            path=path,
        )


def validate(*, input: str | Path, contrasts: str | Path, outdir: str | Path,  # noqa: A002
             rna_counts: str | Path | None = None, protein_matrix: str | Path | None = None,
             params: dict) -> dict[str, Path]:
    """Validate the sample sheet, contrasts, matrices and gene sets.

    Every contrast is built against every modality's samples (levels present, enough
    samples per group, a full-rank design), so a bad input stops here with one message
    and nothing is written. On success writes ``validated/samplesheet.csv``,
    ``validated/contrasts.yaml`` and ``validated/validation.json``.

    Parameters
    ----------
    input
        Sample sheet.
    contrasts
        Contrasts file.
    outdir
        Results folder.
    rna_counts, protein_matrix
        Data matrices; at least one is required.
    params
        Resolved parameters (``sample_id_col``, protein format options, gene sets).

    Returns
    -------
    Paths of the validated sample sheet and contrasts.
    """
    if rna_counts is None and protein_matrix is None:
        raise InputError("give --rna_counts, --protein_matrix or both (none was given).")
    sheet = read_samplesheet(input, id_col=params.get("sample_id_col", "sample"))
    contrast_list = read_contrasts(contrasts)
    report: dict = {"samplesheet": {"path": str(input), "sha256": sha256(input),
                                    "n_samples": int(len(sheet)), "columns": list(sheet.columns)},
                    "contrasts": {"path": str(contrasts), "sha256": sha256(contrasts),
                                  "ids": [c.id for c in contrast_list]},
                    "modalities": {}}
    matrices = {}
    if rna_counts is not None:
        matrices["rna"] = (rna_counts, read_rna_counts(rna_counts))
    if protein_matrix is not None:
        matrices["protein"] = (protein_matrix, read_protein(protein_matrix, params))
    for modality, (path, adata) in matrices.items():
        matched = match_samples(adata, sheet, matrix_path=path, sheet_path=input)
        if modality == "rna":
            _check_rna_counts(matched, contrast_list, params, path)
        designs = {}
        for contrast in contrast_list:
            design = design_for_contrast(matched.obs, contrast, samples=matched.obs_names,
                                         contrasts_path=str(contrasts))
            if modality == "protein":
                _check_protein_observations(matched, design, path)
            designs[contrast.id] = {"formula": design.formula, "n_samples": int(len(design.samples)),
                                    "coefficients": list(design.matrix.columns),
                                    "residual_df": int(design.residual_df)}
        report["modalities"][modality] = {"path": str(path), "sha256": sha256(path),
                                          "n_samples": int(matched.n_obs),
                                          "n_features": int(matched.n_vars), "designs": designs}
        log.info("%s: %d samples x %d features, %d contrast(s) valid", modality, matched.n_obs,
                 matched.n_vars, len(designs))
    panel, background = gene_set_collections(params.get("genesets"), params.get("background_genesets"))
    report["genesets"] = {"panel": len(panel), "background": len(background)}
    covariates = [c.strip() for c in (params.get("response_covariates") or "").split(",") if c.strip()]
    absent = [c for c in covariates if c not in sheet.columns]
    report["response_covariates_absent"] = absent
    if absent:
        log.info("response covariates not in the sample sheet (skipped): %s", ", ".join(absent))

    sheet_out = out_path(outdir, "validated", "samplesheet.csv")
    frame = pd.DataFrame(sheet).reset_index()
    for column in frame.columns:  # whole numbers are written as read (50, not 50.0)
        values = frame[column]
        if pd.api.types.is_float_dtype(values) and np.all(np.mod(values.dropna(), 1) == 0):
            frame[column] = values.astype("Int64")
    with atomic_path(sheet_out) as tmp:
        frame.to_csv(tmp, index=False)
    contrasts_out = out_path(outdir, "validated", "contrasts.yaml")
    write_contrasts(contrast_list, contrasts_out)
    write_text(json.dumps(report, indent=2) + "\n", out_path(outdir, "validated", "validation.json"))
    return {"samplesheet": sheet_out, "contrasts": contrasts_out}
