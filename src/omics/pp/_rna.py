"""RNA-seq preprocessing: low-count filter, DESeq2 size factors and VST (via pydeseq2)."""

from __future__ import annotations

import numbers
import warnings
from typing import TYPE_CHECKING

import anndata as ad
import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from pydeseq2.dds import DeseqDataSet

from .._errors import InputError
from .._logging import get_logger
from ..tl._keys import check_anndata, check_layer

log = get_logger("pp")


def low_count_keep(counts: np.ndarray, *, min_count: int, min_samples: int) -> np.ndarray:
    """Return which genes (columns of samples x genes ``counts``) pass the low-count filter.

    Parameters
    ----------
    counts
        Samples x genes raw counts.
    min_count, min_samples
        A gene is kept when at least ``min_samples`` samples have ``min_count`` or more
        (``min_count`` 0 keeps every gene).

    Returns
    -------
    Boolean mask over the genes (what :func:`filter_low_counts` keeps).

    Raises
    ------
    omics._errors.InputError
        When ``min_samples`` is not a whole number >= 1, exceeds the number of samples,
        or no gene passes.
    """
    counts = _dense(counts)
    if not _whole_at_least_one(min_samples):
        raise InputError(f"{{--rna_min_samples}} {min_samples!r} is not a whole number >= 1; pass the "
                         "number of samples a gene needs min_count reads in (e.g. the smallest group).")
    if min_count <= 0:
        return np.ones(counts.shape[1], dtype=bool)
    if min_samples > counts.shape[0]:
        raise InputError(f"{{--rna_min_samples}} {min_samples} is more than the {counts.shape[0]} samples "
                         "of the count matrix; lower it (or leave it unset: the smallest group).")
    keep = (counts >= min_count).sum(axis=0) >= min_samples
    if not keep.any():
        raise InputError(
            f"no gene has >= {min_count} counts in >= {min_samples} samples; lower "
            "{--rna_min_count} or {--rna_min_samples}.")
    return keep


def _whole_at_least_one(value: object) -> bool:
    """Whether ``value`` is a whole number >= 1 (``3``, ``np.int64(3)``, ``3.0``; not a bool)."""
    return (isinstance(value, numbers.Real) and not isinstance(value, bool)
            and float(value).is_integer() and value >= 1)


def _counts_layer(adata: ad.AnnData, layer: str, caller: str) -> object:
    """Return the counts of ``layer``; ``X`` when the default ``"counts"`` is absent.

    Any other layer that is not there stops (a mistyped name must not read ``X``).
    """
    if layer in adata.layers:
        return adata.layers[layer]
    if layer != "counts":
        check_layer(adata, layer, caller)
    return adata.X


def _dense(counts: object) -> np.ndarray:
    """Return a count matrix as a numpy array (scipy.sparse densified, as other tools store it)."""
    return np.asarray(counts.toarray() if hasattr(counts, "toarray") else counts)


def filter_low_counts(adata: ad.AnnData, *, min_count: int = 10, min_samples: int = 3,
                      layer: str = "counts") -> ad.AnnData:
    """Keep genes with at least ``min_count`` reads in at least ``min_samples`` samples.

    This is the pre-filter of the DESeq2 vignette (``rowSums(counts >= 10) >= smallest
    group``); ``min_count=0`` disables it.

    Parameters
    ----------
    adata
        Samples x genes with raw counts in ``layer`` (``X`` when there is no ``"counts"``
        layer).
    min_count
        Minimum count of a gene in a sample; ``0`` (or less) keeps every gene.
    min_samples
        Minimum number of samples with at least ``min_count`` reads (a whole number >= 1).
    layer
        Layer holding the raw counts. ``X`` is read when the default ``"counts"`` is not a
        layer of ``adata``; another name that is not a layer stops.

    Returns
    -------
    anndata.AnnData
        A filtered copy (``adata`` is not changed) with the kept genes, and the thresholds
        in ``uns["rna_filter"]``: ``min_count``, ``min_samples``, ``n_before`` and
        ``n_after`` (numbers of genes).

    Raises
    ------
    omics._errors.InputError
        When ``layer`` is missing (other than the default), ``min_samples`` is not a whole
        number >= 1 or exceeds the number of samples, or no gene passes.
    """
    check_anndata(adata, "pp.filter_low_counts", "rna")
    if not _whole_at_least_one(min_samples):
        raise InputError(f"pp.filter_low_counts: min_samples={min_samples!r} is not a whole number >= 1; "
                         "pass the number of samples a gene needs min_count reads in (e.g. the "
                         "size of the smallest group)")
    counts = _counts_layer(adata, layer, "pp.filter_low_counts")
    keep = low_count_keep(counts, min_count=min_count, min_samples=min_samples)
    log.info("low-count filter (>= %d counts in >= %d samples): kept %d of %d genes",
             min_count, min_samples, int(keep.sum()), adata.n_vars)
    filtered = adata[:, keep].copy()
    filtered.uns["rna_filter"] = {"min_count": int(min_count), "min_samples": int(min_samples),
                                  "n_before": int(adata.n_vars), "n_after": int(keep.sum())}
    return filtered


def _intercept_dataset(counts: np.ndarray, obs_names: pd.Index, var_names: pd.Index) -> DeseqDataSet:
    from pydeseq2.dds import DeseqDataSet  # loaded only when DESeq2 normalisation runs

    from ._vst_inference import VSTInference

    frame = pd.DataFrame(counts, index=obs_names, columns=var_names)
    design = pd.DataFrame({"Intercept": 1.0}, index=obs_names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return DeseqDataSet(counts=frame, metadata=pd.DataFrame(index=obs_names), design=design,
                            quiet=True, n_cpus=1, inference=VSTInference(n_cpus=1))


def _size_factors(dataset: DeseqDataSet) -> np.ndarray:
    # pydeseq2's size factors of `dataset` (DeseqDataSet.fit_size_factors), set on it.
    # Median of ratios (when a gene has no zero) is computed by
    # omics.tl._deseq2.median_of_ratios, the same doubles in a fraction of the time
    # (pydeseq2 takes the log of every count twice and numpy's two-point median); the
    # normalised counts are pydeseq2's `counts / size_factors`.
    counts = dataset.X
    if not isinstance(counts, np.ndarray) or (counts == 0).any(axis=0).all():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dataset.fit_size_factors()  # iterative size factors (pydeseq2's choice)
        return np.asarray(dataset.obs["size_factors"], dtype=float)
    from ..tl._deseq2.moments import median_of_ratios

    size_factors, dataset.logmeans, dataset.filtered_genes = median_of_ratios(counts)
    dataset.obs["size_factors"] = size_factors
    dataset.layers["normed_counts"] = counts / size_factors[:, None]  # what vst_transform reads
    return size_factors


def normalize_deseq2(adata: ad.AnnData, *, layer: str = "counts", nsub: int = 1000) -> ad.AnnData:
    """Add DESeq2 size factors, normalised counts and a blind VST to ``adata`` in place.

    Size factors are median-of-ratios (pydeseq2). The VST is blind (``blind=TRUE``: design
    ``~ 1``, the sample groups are not used) and follows DESeq2's ``vst``: the parametric
    dispersion trend is fitted on ``nsub`` genes with mean normalised count above 5,
    evenly spaced along the mean (R's ``round(seq(1, n, length = nsub))``), then applied
    to all genes; with fewer such genes it is fitted on all genes
    (``varianceStabilizingTransformation``). The gene-wise dispersions the trend is fitted
    to are pydeseq2's, not the R-matched estimator :mod:`omics.tl` uses for differential
    expression, so the VST is close to, not equal to, R's: against that estimator on
    ``~ 1`` the largest difference was 0.003 log2 on the 40-sample demo and 0.016 log2 on
    4 samples (h44 audit). When the parametric trend does not converge, the mean
    dispersion of the fitted genes is used (pydeseq2's fallback, logged as a warning);
    R's ``vst`` falls back to a local (locfit) trend instead, so that case differs more.
    This happens mostly with small panels (few genes) and few samples. The numbers feed
    QC (PCA, correlations) and scores, not the differential tests.

    Parameters
    ----------
    adata
        Samples x genes with raw (whole) counts in ``layer`` (``X`` when there is no
        ``"counts"`` layer).
    layer
        Layer holding the raw counts. ``X`` is read when the default ``"counts"`` is not a
        layer of ``adata``; another name that is not a layer stops.
    nsub
        Number of genes (with mean normalised count above 5) the VST dispersion trend is
        fitted on; with fewer such genes, every gene is used.

    Returns
    -------
    anndata.AnnData
        ``adata`` itself, modified in place (not a copy; returned for chaining), with
        ``obs["size_factors"]``, ``layers["normalized"]`` (counts divided by the size
        factors), ``layers["vst"]`` and ``uns["vst"]``: ``blind`` (True), ``nsub`` (``nsub``,
        or the number of genes the trend was fitted on when that is smaller), ``fit_type``
        and ``trend_coeffs`` (``"parametric"``) or ``mean_dispersion`` (``"mean"``, the
        fallback).

    Raises
    ------
    omics._errors.InputError
        When ``layer`` is missing (other than the default), a value is not a whole count
        >= 0, or the VST is undefined for these counts (no gene's dispersion could be
        estimated).
    """
    check_anndata(adata, "pp.normalize_deseq2", "rna")
    from ..tl._differential import check_whole_counts  # as tl.deseq2 checks its counts

    counts = _dense(_counts_layer(adata, layer, "pp.normalize_deseq2"))
    check_whole_counts(adata, layer if layer in adata.layers else None, "pp.normalize_deseq2")
    full = _intercept_dataset(counts, adata.obs_names, adata.var_names)
    size_factors = _size_factors(full)
    normalized = counts / size_factors[:, None]
    base_mean = normalized.mean(axis=0)
    expressed = np.flatnonzero(base_mean > 5)
    if len(expressed) >= nsub:
        order = expressed[np.argsort(base_mean[expressed], kind="stable")]
        subset = order[np.round(np.linspace(0, len(order) - 1, nsub)).astype(int)]
    else:
        subset = np.arange(adata.n_vars)
    fit = _intercept_dataset(counts[:, subset], adata.obs_names, adata.var_names[subset])
    fit.obs["size_factors"] = size_factors
    fit.obsm["size_factors"] = size_factors
    fit.layers["normed_counts"] = normalized[:, subset]
    fit.var["_normed_means"] = normalized[:, subset].mean(axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit.fit_genewise_dispersions(vst=True)
        fit._fit_parametric_dispersion_trend(vst=True)
    if "vst_trend_coeffs" in fit.uns:
        full.vst_fit_type = "parametric"
        full.uns["vst_trend_coeffs"] = fit.uns["vst_trend_coeffs"]
        trend = {"fit_type": "parametric",
                 "trend_coeffs": [float(c) for c in fit.uns["vst_trend_coeffs"]]}
    else:
        # The parametric trend did not converge (few genes, little spread): pydeseq2 falls
        # back to the mean dispersion of the fitted genes, and so does the VST.
        log.warning("VST: the parametric dispersion trend did not converge on %d gene(s); "
                    "using the mean dispersion instead (pydeseq2's fallback)", len(subset))
        full.vst_fit_type = "mean"
        dispersions = np.full(adata.n_vars, np.nan)
        dispersions[subset] = np.asarray(fit.var["vst_genewise_dispersions"], dtype=float)
        full.var["vst_genewise_dispersions"] = dispersions
        trend = {"fit_type": "mean", "mean_dispersion": float(fit.uns["mean_disp"])}
    vst = np.asarray(full.vst_transform(), dtype=float)
    if not np.isfinite(vst).all():
        raise InputError(
            f"the variance-stabilising transformation is undefined for these counts (no gene's "
            f"dispersion could be estimated among {adata.n_vars} genes); give more genes or "
            "samples.", path=adata.uns.get("rna_input", {}).get("path"))
    adata.obs["size_factors"] = size_factors
    adata.layers["normalized"] = normalized
    adata.layers["vst"] = vst
    adata.uns["vst"] = {"blind": True, "nsub": int(min(nsub, len(subset))), **trend}
    return adata
