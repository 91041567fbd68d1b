"""Stage ``qc``: per-modality PCA, sample correlations, outlier flags."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import InputError
from .._logging import get_logger
from ..io import write_text, write_tsv
from ..pp import missingness_qc
from ..tl import sample_qc
from ._common import check_h5ad, read_h5ad, stage_output

log = get_logger("qc")


def qc(*, h5ad: str | Path, modality: str, outdir: str | Path, params: dict) -> dict[str, Path]:
    """Write ``qc/<modality>.pca.tsv``, ``.sample_correlation.tsv``, ``.outliers.tsv``.

    RNA uses the VST layer, protein the normalised log2 values (``X``); protein
    missingness per sample is added to the outlier table. An ``h5ad`` recording another
    modality stops the stage (:func:`check_h5ad`). The log names each flagged sample, the
    criteria it met and the rule (:func:`omics.tl.sample_qc`); for protein it also says
    when the flagged samples are the ones with the most missing values (median
    normalisation over the observed values shifts such samples when missingness depends
    on intensity). A missing ``response`` or ``arm`` is written empty.
    """
    layer = "vst" if modality == "rna" else None
    check_h5ad(h5ad, modality, layers=(layer,) if layer else (), modality_option="modality")
    adata = read_h5ad(h5ad, layers=(layer,) if layer else None)
    try:
        table = sample_qc(adata, layer=layer, seed=params["seed"])
    except InputError as error:
        raise _naming_h5ad(error, h5ad) from None
    pcs = [column for column in table.columns if column.startswith("PC")]
    pca = table[pcs].copy()
    correlation = pd.DataFrame(adata.obsp["sample_qc_correlation"], index=adata.obs_names,
                               columns=adata.obs_names)
    outliers = table.drop(columns=pcs).reset_index(drop=True)
    outliers.insert(0, "sample", table.index.to_numpy())
    reasons = table.attrs["outlier_reasons"]
    if reasons:
        log.warning("%s QC: %d of %d sample(s) flagged as outlier(s) (none removed): %s. Rule: %s",
                    modality, len(reasons), len(table),
                    ", ".join(f"{s!r} ({why})" for s, why in reasons.items()),
                    table.attrs["outlier_rule"])
    if modality == "protein":
        missing = missingness_qc(adata)
        outliers = outliers.merge(missing, left_on="sample", right_index=True, how="left")
        _note_missingness(missing["fraction_missing"], list(reasons))
    pca.insert(0, "sample", pca.index)
    for column in ("arm", "response"):
        if column in adata.obs:
            values = adata.obs[column]
            pca.insert(1, column, np.where(values.isna(), "", values.astype(str)))
    variance = ",".join(f"{v:.4f}" for v in adata.uns["sample_qc"]["variance_ratio"])
    path = {key: stage_output(outdir, "qc", key, modality=modality)
            for key in ("pca", "pca_variance", "correlation", "outliers")}
    return {
        "pca": write_tsv(pca, path["pca"]),
        "correlation": write_tsv(correlation, path["correlation"], index=True),
        "outliers": write_tsv(outliers, path["outliers"]),
        "pca_variance": write_text(variance + "\n", path["pca_variance"]),
    }


def _naming_h5ad(error: InputError, h5ad: str | Path) -> InputError:
    """Return ``error`` naming the ``--h5ad`` file the stage read (and the input it was made from).

    :func:`omics.tl.sample_qc` names the matrix recorded in ``uns`` at prep time, a path
    relative to the folder the prep stage ran in, not the file this call was given.
    """
    message = error.message
    if error.path is not None and error.path != str(h5ad):
        message = f"{message.rstrip('.')} (this h5ad was made from {error.path})."
    return InputError(message, path=h5ad, where=error.where, fix=error.fix, param=error.param)


def _note_missingness(fraction: pd.Series, flagged: list[str]) -> None:
    """Log when the flagged protein samples are those with the most missing values.

    Median normalisation centres each sample on its observed values; when low
    intensities go missing more often, a sample missing more is shifted down and can be
    flagged for its missingness, not its measurements (README, protein normalisation).
    """
    if not flagged or fraction.isna().all():
        return
    top = fraction.sort_values(ascending=False, kind="stable")
    most = [s for s in flagged if str(s) in set(map(str, top.index[: len(flagged)]))]
    if not most:
        return
    log.warning("protein QC: flagged sample(s) %s %s among the %d sample(s) with the most "
                "missing values (%s of proteins missing; cohort median %.1f%%): median "
                "normalisation over observed values shifts such samples when missingness "
                "depends on intensity, so the flag may reflect "
                "missingness rather than the measurements",
                ", ".join(map(repr, most)), "is" if len(most) == 1 else "are", len(flagged),
                ", ".join(f"{100 * fraction[s]:.1f}%" for s in most),
                100 * float(fraction.median()))
