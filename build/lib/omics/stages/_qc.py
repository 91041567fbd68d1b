"""Stage ``qc``: per-modality PCA, sample correlations, outlier flags."""

from __future__ import annotations

from pathlib import Path

from ..io import write_tsv
from ..tl._qc import sample_qc
from ._common import out_path, read_h5ad


def qc(*, h5ad: str | Path, modality: str, outdir: str | Path, params: dict) -> dict[str, Path]:
    """Write ``qc/<modality>.pca.tsv``, ``.sample_correlation.tsv``, ``.outliers.tsv``.

    RNA uses the VST layer, protein the normalised log2 values (``X``); protein
    missingness per sample is added to the outlier table.
    """
    adata = read_h5ad(h5ad)
    layer = "vst" if modality == "rna" else None
    pca, correlation, outliers = sample_qc(adata, layer=layer, seed=params["seed"])
    if modality == "protein":
        from ..pp._protein import missingness_qc

        missing = missingness_qc(adata)
        outliers = outliers.merge(missing, left_on="sample", right_index=True, how="left")
    pca.insert(0, "sample", pca.index)
    for column in ("arm", "response"):
        if column in adata.obs:
            pca.insert(1, column, adata.obs[column].astype(str).to_numpy())
    variance = ",".join(f"{v:.4f}" for v in pca.attrs.get("variance_ratio", []))
    paths = {
        "pca": write_tsv(pca, out_path(outdir, "qc", f"{modality}.pca.tsv")),
        "correlation": write_tsv(correlation, out_path(outdir, "qc",
                                                       f"{modality}.sample_correlation.tsv"),
                                 index=True),
        "outliers": write_tsv(outliers, out_path(outdir, "qc", f"{modality}.outliers.tsv")),
    }
    out_path(outdir, "qc", f"{modality}.pca_variance.txt").write_text(variance + "\n")
    return paths
