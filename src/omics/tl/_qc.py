"""Sample-level QC: PCA, sample correlations and outlier flags."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .._errors import InputError
from .._logging import get_logger
from ..params import check_seed
from ._keys import check_anndata, layer_array, layer_name, store_params

log = get_logger("tl.qc")

#: Outlier thresholds of :func:`sample_qc`: robust z of the median correlation below
#: ``CORRELATION_Z``, or distance in PC1-PC2 (robust SDs) above ``PC_SDS`` x sqrt(#PCs).
CORRELATION_Z = -3.0
PC_SDS = 3.0


def outlier_rule(n_pcs: int = 2) -> str:
    """Return the outlier rule of :func:`sample_qc` in words, with its thresholds.

    Parameters
    ----------
    n_pcs
        PCs the distance uses (2: PC1 and PC2; 1 when the PCA has a single component).

    Returns
    -------
    str
        One line, e.g. for the log or a table's caption.
    """
    limit = PC_SDS * np.sqrt(n_pcs)
    pcs = "PC1-PC2" if n_pcs == 2 else "PC1"
    return (f"outlier = correlation_robust_z < {CORRELATION_Z:g} (median correlation to the "
            f"other samples, robust z: median/MAD x 1.4826 over samples) or pc_distance > "
            f"{limit:.2f} ({PC_SDS:g} robust SDs per PC in {pcs}) or no defined correlation "
            "(a constant sample); flags are not calibrated for small cohorts and no sample "
            "is removed")

if TYPE_CHECKING:
    import anndata as ad


def qc_matrix(adata: ad.AnnData, layer: str | None, *, caller: str = "sample_qc") -> np.ndarray:
    """Return the samples x features matrix for QC: non-finite values are NaN (missing).

    Features without any observed value are left out. :func:`sample_qc` computes its PCA
    on the features observed in every sample and each sample correlation on the features
    both samples have; no value is filled in. A sparse layer is read as dense; a missing
    layer or a MuData stops with an :class:`~omics._errors.InputError` naming ``caller``.
    """
    values = np.asarray(layer_array(adata, layer, caller), dtype=float)
    observed = np.isfinite(values)
    keep = observed.any(axis=0)
    return np.where(observed[:, keep], values[:, keep], np.nan)


def sample_correlation(matrix: np.ndarray) -> np.ndarray:
    """Pearson correlation of every pair of samples (rows) over the features both observed.

    Parameters
    ----------
    matrix
        Samples x features, NaN where a value is missing.

    Returns
    -------
    numpy.ndarray
        Samples x samples. Without missing values this is ``numpy.corrcoef(matrix)``;
        with them, each pair uses its pairwise-complete features (R's
        ``cor(use = "pairwise.complete.obs")``), NaN for a pair sharing fewer than 3.
    """
    if not np.isnan(matrix).any():
        return np.corrcoef(matrix)
    return pd.DataFrame(matrix.T).corr(method="pearson", min_periods=3).to_numpy()


def _pca(x: np.ndarray, n_components: int, *, seed: int, solver: str
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(scores, components, variance_ratio)`` of ``sc.pp.pca(zero_center=True)`` on dense ``x``.

    The same computation as scanpy's call of ``sklearn.decomposition.PCA(n_components,
    svd_solver=solver, random_state=seed).fit_transform`` (scores cast to scanpy's default
    float32), on scipy's SVD directly: scikit-learn imports ``scipy.stats`` and scanpy much
    more, together over a second of start-up for one small PCA. ``tests/test_startup.py``
    checks that all three agree exactly. Signs follow ``svd_flip(u_based_decision=False)``.
    """
    n_samples = x.shape[0]
    centred = x - x.mean(axis=0)
    if solver == "arpack":
        from scipy.sparse.linalg import svds

        v0 = np.random.RandomState(seed).uniform(-1, 1, min(x.shape))
        u, s, vt = svds(centred, k=n_components, tol=0.0, v0=v0)
        u, s, vt = u[:, ::-1], s[::-1], vt[::-1]  # svds returns ascending singular values
        variance = s**2 / (n_samples - 1)
        ratio = variance / (np.sum(centred**2) / (n_samples - 1))
    elif solver == "full":
        from scipy.linalg import svd

        u, s, vt = svd(centred, full_matrices=False)
        variance = s**2 / (n_samples - 1)
        ratio = (variance / np.sum(variance))[:n_components]
        u, s, vt = u[:, :n_components], s[:n_components], vt[:n_components]
    else:
        raise ValueError(f"unknown PCA solver {solver!r}; use 'arpack' or 'full'")
    signs = np.sign(vt[np.arange(vt.shape[0]), np.abs(vt).argmax(axis=1)])
    scores = (u * signs[np.newaxis, :]) * s
    return scores.astype(np.float32), vt * signs[:, np.newaxis], ratio


def sample_qc(adata: ad.AnnData, *, layer: str | None, n_top: int = 500, n_pcs: int = 10,
              seed: int = 0, key_added: str = "sample_qc") -> pd.DataFrame:
    """PCA on the most variable features, Pearson sample correlations, outlier flags.

    Missing values (protein intensities) are not filled in: the PCA uses the features
    observed in every sample, and each pair of samples is correlated over the features
    both observed. (Filling with feature means pulled samples with many missing values
    towards the centre and masked them.)

    Parameters
    ----------
    adata
        Samples x features (one modality of a MuData, e.g. ``mdata["rna"]``).
    layer
        Log-scale layer to use (``vst`` for RNA, ``None`` = ``X`` for protein); a sparse
        layer is read as dense.
    n_top
        Most variable features used for PCA (DESeq2's ``plotPCA`` uses 500), among those
        observed in every sample.
    n_pcs
        Components kept.
    seed
        Seed for the PCA solver.
    key_added
        Prefix of the keys written into ``adata`` (below).

    Returns
    -------
    pandas.DataFrame
        One row per sample (index: ``adata.obs_names``): the PC coordinates ``PC1``,
        ``PC2``, ..., then ``median_correlation`` (median Pearson correlation to the other
        samples), ``correlation_robust_z``, ``pc_distance`` (distance from the median in
        PC1-PC2, each PC scaled by its MAD x 1.4826) and ``outlier`` (robust z < -3, or
        ``pc_distance`` > 3 x sqrt(2) = 4.24: 3 robust SDs on each of the two PCs, or a
        median correlation that is undefined: a constant sample, or one sharing fewer than 3
        observed features with every other sample; it is flagged with a warning and the
        others are scored without it). The variance explained per PC is in
        ``.attrs["variance_ratio"]``, the rule in words in ``.attrs["outlier_rule"]``
        (:func:`outlier_rule`) and, per flagged sample, the criteria it met in
        ``.attrs["outlier_reasons"]``; :func:`omics.pl.pca` draws this table as it is.
        The thresholds are Gaussian 3-SD limits, not calibrated: in clean simulated
        cohorts some sample is flagged in about a quarter of 12- to 40-sample cohorts
        and in half of 3-sample ones. A flag marks a sample to look at; nothing is removed.

    Raises
    ------
    omics._errors.InputError
        When ``adata`` is not an AnnData (a MuData: pass one modality; a table: wrap it as
        ``anndata.AnnData(table, obs=sheet)``), its ``obs_names`` repeat a sample id,
        ``layer`` is not one of its layers, or a sample has no observed value.

    Notes
    -----
    Stored in ``adata`` (scanpy style):

    - ``adata.obsm["X_<key_added>_pca"]``: the PC coordinates (samples x PCs);
    - ``adata.obsp["<key_added>_correlation"]``: the sample x sample Pearson correlations;
    - ``adata.uns["<key_added>"]``: ``{"variance_ratio", "layer", "n_top", "n_pcs", "seed",
      "n_features_pca", "outlier_rule"}`` (``layer`` is ``"X"`` for ``X``; ``n_features_pca``
      the features the PCA used; ``outlier_rule`` the rule in words);
    - ``adata.obs["<key_added>_outlier"]``: the outlier flag;
    - ``adata.uns["<key_added>_params"]``: the settings, ``{"layer", "n_top", "n_pcs",
      "seed"}`` as given (the layout of every ``omics.tl`` function).

    Signs are fixed so that the largest loading of each PC is positive.
    """
    check_anndata(adata, "tl.sample_qc")
    seed = check_seed(seed, "tl.sample_qc")
    matrix = qc_matrix(adata, layer)
    complete = matrix[:, ~np.isnan(matrix).any(axis=0)]  # PCA takes no missing value
    variances = complete.var(axis=0)
    varying = int((variances > 0).sum())
    if varying < 2 or matrix.shape[0] < 3:
        missing = complete.shape[1] < matrix.shape[1]
        empty = [str(s) for s, e in zip(adata.obs_names, np.isnan(matrix).all(axis=1),
                                        strict=True) if e] if matrix.shape[1] else []
        if empty:  # a failed run: imputing cannot help, removing the sample does
            raise InputError(
                f"sample QC: sample(s) {', '.join(map(repr, empty[:10]))} have no observed value.",
                path=adata.uns.get("rna_input", adata.uns.get("protein_input", {})).get("path"),
                fix="Remove them from the sample sheet.")
        observed = " and are observed in every sample" if missing else ""
        raise InputError(
            f"sample QC needs at least 2 features that vary{observed}, and 3 samples; this "
            f"matrix has {varying} such feature(s) and {matrix.shape[0]} sample(s).",
            path=adata.uns.get("rna_input", adata.uns.get("protein_input", {})).get("path"),
            fix="Impute the missing values first ({--protein_imputation})." if missing else None)
    # Constant features carry no sample information (and a zero matrix stops ARPACK).
    top = np.argsort(-variances, kind="stable")[: min(n_top, varying)]
    pcs = max(1, min(n_pcs, matrix.shape[0] - 1, len(top) - 1))
    centred = complete[:, top] - complete[:, top].mean(axis=0)
    coords, components, variance_ratio = _pca(
        centred, pcs, seed=seed, solver="arpack" if pcs < min(centred.shape) - 1 else "full")
    # PCA signs are arbitrary; fix them so the largest loading of each PC is positive.
    loadings = components.T
    signs = np.sign(loadings[np.abs(loadings).argmax(axis=0), np.arange(loadings.shape[1])])
    signs[signs == 0] = 1
    pca = pd.DataFrame(coords * signs, index=adata.obs_names,
                       columns=[f"PC{i + 1}" for i in range(coords.shape[1])])
    pca.attrs["variance_ratio"] = [float(v) for v in variance_ratio]
    with np.errstate(invalid="ignore", divide="ignore"):  # a constant sample: NaN, below
        correlation = pd.DataFrame(sample_correlation(matrix), index=adata.obs_names,
                                   columns=adata.obs_names)
    off = correlation.to_numpy().copy()
    np.fill_diagonal(off, np.nan)
    defined = ~np.isnan(off).all(axis=1)
    median_corr = np.full(len(off), np.nan)
    median_corr[defined] = np.nanmedian(off[defined], axis=1)
    undefined = [str(s) for s, d in zip(adata.obs_names, defined, strict=True) if not d]
    if undefined:  # scored without them: one such sample would make every robust z NaN
        log.warning("sample QC: sample(s) %s have no defined correlation to any other sample "
                    "(constant values, or < 3 observed features shared with each): flagged as "
                    "outlier(s); the correlation rule scores the other samples without them",
                    ", ".join(map(repr, undefined[:10])))
    corr_z = np.full(len(off), np.nan)
    if defined.any():
        middle = np.median(median_corr[defined])
        mad = np.median(np.abs(median_corr[defined] - middle)) * 1.4826 or 1e-12
        corr_z[defined] = (median_corr[defined] - middle) / mad
    xy = pca.iloc[:, : min(2, pca.shape[1])].to_numpy()
    centre = np.median(xy, axis=0)
    scale = np.median(np.abs(xy - centre), axis=0) * 1.4826
    scale[scale == 0] = 1e-12
    distance = np.sqrt((((xy - centre) / scale) ** 2).sum(axis=1))
    limit = PC_SDS * np.sqrt(xy.shape[1])
    low_corr = np.less(corr_z, CORRELATION_Z, where=defined, out=np.zeros(len(off), bool))
    far = distance > limit
    outlier = low_corr | far | ~defined
    reasons = {}
    for i in np.flatnonzero(outlier):
        why = ([f"correlation_robust_z {corr_z[i]:.2f} < {CORRELATION_Z:g}"] if low_corr[i] else []) + (
            [f"pc_distance {distance[i]:.2f} > {limit:.2f}"] if far[i] else []) + (
            ["no defined correlation"] if not defined[i] else [])
        reasons[str(adata.obs_names[i])] = "; ".join(why)
    table = pca.assign(median_correlation=median_corr, correlation_robust_z=corr_z, pc_distance=distance,
                       outlier=outlier)
    table.attrs["variance_ratio"] = pca.attrs["variance_ratio"]
    table.attrs["outlier_rule"] = outlier_rule(xy.shape[1])
    table.attrs["outlier_reasons"] = reasons
    adata.obsm[f"X_{key_added}_pca"] = pca.to_numpy()
    adata.obsp[f"{key_added}_correlation"] = correlation.to_numpy()
    adata.uns[key_added] = {"variance_ratio": list(pca.attrs["variance_ratio"]),
                            "layer": "X" if layer is None else layer, "n_top": n_top,
                            "n_pcs": pca.shape[1], "seed": seed, "n_features_pca": len(top),
                            "outlier_rule": outlier_rule(xy.shape[1])}
    adata.obs[f"{key_added}_outlier"] = outlier
    store_params(adata, key_added, {"layer": layer_name(layer), "n_top": n_top, "n_pcs": n_pcs, "seed": seed})
    return table

