"""Stage ``qc``: per-modality PCA, sample correlations, outlier flags."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..io import write_text, write_tsv
from ..pp import missingness_qc
from ..tl import sample_qc
from ._common import check_h5ad, read_h5ad, stage_output


def qc(*, h5ad: str | Path, modality: str, outdir: str | Path, params: dict) -> dict[str, Path]:
    """Write ``qc/<modality>.pca.tsv``, ``.sample_correlation.tsv``, ``.outliers.tsv``.

    RNA uses the VST layer, protein the normalised log2 values (``X``); protein
    missingness per sample is added to the outlier table. An ``h5ad`` recording another
    modality stops the stage (:func:`check_h5ad`).
    """
    layer = "vst" if modality == "rna" else None
    check_h5ad(h5ad, modality, layers=(layer,) if layer else (), modality_option="modality")
    adata = read_h5ad(h5ad, layers=(layer,) if layer else None)
    table = sample_qc(adata, layer=layer, seed=params["seed"])
    pcs = [column for column in table.columns if column.startswith("PC")]
    pca = table[pcs].copy()
    correlation = pd.DataFrame(adata.obsp["sample_qc_correlation"], index=adata.obs_names,
                               columns=adata.obs_names)
    outliers = table.drop(columns=pcs).reset_index(drop=True)
    outliers.insert(0, "sample", table.index.to_numpy())
    if modality == "protein":
        missing = missingness_qc(adata)
        outliers = outliers.merge(missing, left_on="sample", right_index=True, how="left")
    pca.insert(0, "sample", pca.index)
    for column in ("arm", "response"):
        if column in adata.obs:
            pca.insert(1, column, adata.obs[column].astype(str).to_numpy())
    variance = ",".join(f"{v:.4f}" for v in adata.uns["sample_qc"]["variance_ratio"])
    path = {key: stage_output(outdir, "qc", key, modality=modality)
            for key in ("pca", "pca_variance", "correlation", "outliers")}
    return {
        "pca": write_tsv(pca, path["pca"]),
        "correlation": write_tsv(correlation, path["correlation"], index=True),
        "outliers": write_tsv(outliers, path["outliers"]),
        "pca_variance": write_text(variance + "\n", path["pca_variance"]),
    }
