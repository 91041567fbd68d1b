"""R ``results()`` on pydeseq2's ``DeseqStats``: Wald test, Cook's filter, independent filtering."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from pydeseq2.dds import DeseqDataSet
from pydeseq2.ds import DeseqStats

from .._stats import bh, r_lowess

__all__ = ["RESULT_COLUMNS", "RDeseqStats", "deseq2_results", "independent_filtering"]

RESULT_COLUMNS = ["baseMean", "log2FoldChange", "lfcSE", "stat", "pvalue", "padj"]


class RDeseqStats(DeseqStats):
    """pydeseq2 ``DeseqStats`` computing R DESeq2 1.38 ``results()`` (``betaPrior = FALSE``).

    Takes the arguments of :class:`pydeseq2.ds.DeseqStats` (the contrast as a weight
    vector); the Wald test runs on the dataset's inference (an ``RInference``).
    Overrides :meth:`run_wald_test` (R's ridge and its rules for contrasts whose samples
    are all zero) and :meth:`summary` (R's independent filtering).
    """

    def __init__(self, dds: DeseqDataSet, contrast: np.ndarray, *, alpha: float = 0.1,
                 cooks_filter: bool = True, independent_filter: bool = True,
                 quiet: bool = True) -> None:
        super().__init__(dds, contrast=np.asarray(contrast, dtype=float), alpha=alpha,
                         cooks_filter=cooks_filter, independent_filter=independent_filter,
                         inference=dds.inference, quiet=quiet)

    def run_wald_test(self) -> None:
        """Wald test of the contrast as R ``nbinomWaldTest`` + ``results()``.

        The ridge is R's ``1e-6`` per coefficient on the log2 scale. Contrasts with
        both signs whose touched samples are all zero for a gene give R's
        ``log2FoldChange = 0, stat = 0, pvalue = 1``; genes whose counts became all zero
        after outlier replacement get NaN (R's NA).
        """
        design = self.design_matrix.to_numpy(float)
        coefs = self.LFC.to_numpy(float)
        weights = np.asarray(self.contrast_vector, dtype=float)
        dispersions = self.dds.var["dispersions"].to_numpy(float)
        size_factors = self.dds.obs["size_factors"].to_numpy(float)
        ridge = np.eye(design.shape[1]) * 1e-6 / np.log(2) ** 2
        if self.prior_LFC_var is not None:
            ridge = np.diag(1 / self.prior_LFC_var**2)
        ok = np.isfinite(coefs).all(axis=1) & np.isfinite(dispersions)
        mu = design @ coefs.T  # one samples x genes array (NaN for genes not fitted)
        np.exp(mu, out=mu)
        mu *= size_factors[:, None]
        pvalue, stat, se = self.inference.wald_test(
            design_matrix=design, disp=dispersions, lfc=coefs, mu=mu, ridge_factor=ridge,
            contrast=weights, lfc_null=np.log(2) * self.lfc_null,
            alt_hypothesis=self.alt_hypothesis,
        )
        lfc = np.where(ok, coefs @ weights, np.nan)
        all_zero = _contrast_all_zero(self.dds, weights) & self.dds.var["non_zero"].to_numpy(bool)
        lfc[all_zero], stat[all_zero], pvalue[all_zero] = 0.0, 0.0, 1.0
        if "refitted" in self.dds.var and getattr(self.dds, "new_all_zeroes_genes", None) is not None:
            lost = self.dds.var_names.isin(self.dds.new_all_zeroes_genes)
            for values in (lfc, se, stat, pvalue):
                values[lost] = np.nan
        index = self.dds.var_names
        self.contrast_lfc = pd.Series(lfc, index=index)
        self.p_values = pd.Series(pvalue, index=index)
        self.statistics = pd.Series(stat, index=index)
        self.SE = pd.Series(se, index=index)

    def summary(self, **kwargs) -> None:
        """Build ``results_df`` as R ``results()``.

        P-values of genes with a Cook's outlier become NaN (``cooks_filter``); adjusted
        p-values come from :func:`independent_filtering` (``independent_filter``) or
        plain Benjamini-Hochberg. Log fold changes and standard errors are on the log2
        scale.

        Parameters
        ----------
        **kwargs
            Not supported (pydeseq2's ``lfc_null``/``alt_hypothesis``).
        """
        if kwargs:
            raise NotImplementedError("RDeseqStats.summary takes no lfc_null/alt_hypothesis.")
        self.run_wald_test()
        pvalue = self.p_values.to_numpy(float).copy()
        if self.cooks_filter:
            pvalue[self.dds.cooks_outlier().to_numpy(bool)] = np.nan
        self.p_values = pd.Series(pvalue, index=self.dds.var_names)
        base_mean = self.base_mean.to_numpy(float)
        padj = (independent_filtering(base_mean, pvalue, alpha=self.alpha)
                if self.independent_filter else bh(pvalue))
        self.padj = pd.Series(padj, index=self.dds.var_names)
        self.results_df = pd.DataFrame(
            {
                "baseMean": base_mean,
                "log2FoldChange": self.contrast_lfc.to_numpy() / np.log(2),
                "lfcSE": self.SE.to_numpy() / np.log(2),
                "stat": self.statistics.to_numpy(),
                "pvalue": pvalue,
                "padj": padj,
            },
            index=self.dds.var_names.copy(),
        )


def deseq2_results(dds: DeseqDataSet, contrast: pd.Series, *, alpha: float = 0.1,
                   cooks_filter: bool = True, independent_filter: bool = True,
                   shrink: bool = False) -> pd.DataFrame:
    """Wald test of a contrast, as R ``results()`` with ``betaPrior = FALSE``.

    Parameters
    ----------
    dds
        Dataset fitted by :func:`~.dataset.deseq2_fit`.
    contrast
        Weights indexed by design columns (absent columns weigh 0); positive
        ``log2FoldChange`` means the weighted combination is higher.
    alpha
        FDR level that independent filtering maximises rejections at.
    cooks_filter
        Set p-values of genes with a Cook's distance outlier to NaN.
    independent_filter
        Choose the mean-count threshold maximising rejections, as R ``results()``;
        otherwise plain Benjamini-Hochberg.
    shrink
        Add ``log2FoldChange_shrunk`` (apeGLM-style shrinkage of a single coefficient).

    Returns
    -------
    One row per gene (order of the counts): ``baseMean, log2FoldChange, lfcSE, stat,
    pvalue, padj`` (+ ``log2FoldChange_shrunk``); NaN where R reports NA.

    Raises
    ------
    ValueError
        If the contrast names unknown coefficients or is all zero, or if ``shrink`` is
        asked for a contrast that is not a single coefficient.
    """
    design = dds.obsm["design_matrix"]
    unknown = contrast.index.difference(design.columns)
    if len(unknown):
        raise ValueError(
            f"contrast names coefficient(s) {', '.join(map(str, unknown))} not in the design "
            f"({', '.join(map(str, design.columns))})."
        )
    weights = contrast.reindex(design.columns, fill_value=0.0).to_numpy(float)
    if not weights.any():
        raise ValueError("the contrast is all zero.")
    if shrink:
        _check_single_coefficient(weights, design.columns)
    stats = RDeseqStats(dds, weights, alpha=alpha, cooks_filter=cooks_filter,
                        independent_filter=independent_filter)
    stats.summary()
    results = stats.results_df.copy()  # lfc_shrink rewrites results_df
    results.index.name = "gene_id"
    if shrink:
        results["log2FoldChange_shrunk"] = _shrunk_lfc(stats, weights, design.columns)
    return results


def _contrast_all_zero(dds: DeseqDataSet, weights: np.ndarray) -> np.ndarray:
    # R (contrastAllZeroNumeric): for contrasts with both signs, genes whose samples
    # touched by the contrast's coefficients are all zero get LFC 0 and p-value 1.
    if np.all(weights >= 0) or np.all(weights <= 0):
        return np.zeros(dds.n_vars, dtype=bool)
    design = dds.obsm["design_matrix"].to_numpy(float)
    touched = design @ (weights != 0).astype(float) != 0
    return np.asarray(dds.X)[touched].sum(axis=0) == 0


def independent_filtering(base_mean: np.ndarray, pvalue: np.ndarray, *,
                          alpha: float = 0.1) -> np.ndarray:
    """Adjust p-values with R DESeq2's independent filtering on the mean count.

    For 50 quantiles of ``base_mean`` (from the fraction of zero means to 0.95) genes
    below the quantile are dropped and the rest adjusted by Benjamini-Hochberg. The
    threshold is the first one whose number of rejections at ``alpha`` exceeds the
    ``lowess`` fit (span 1/5) of rejections minus its root mean squared residual;
    genes below it get NaN.

    Parameters
    ----------
    base_mean
        Mean normalised count per gene (the filter statistic).
    pvalue
        Wald p-values (NaN where not tested).
    alpha
        FDR level at which rejections are counted.

    Returns
    -------
    Adjusted p-values.
    """
    lower = float(np.mean(base_mean == 0))
    upper = 0.95 if lower < 0.95 else 1.0
    theta = np.linspace(lower, upper, 50)
    cutoffs = np.quantile(base_mean, theta)
    adjusted = np.full((base_mean.size, theta.size), np.nan)
    for j, cutoff in enumerate(cutoffs):
        use = base_mean >= cutoff
        adjusted[use, j] = bh(pvalue[use])
    with np.errstate(invalid="ignore"):
        rejections = np.sum(adjusted < alpha, axis=0)
    if rejections.max() <= 10:
        chosen = 0
    else:
        fit = r_lowess(rejections.astype(float), theta, frac=1 / 5, iterations=3)
        positive = rejections > 0
        residual = rejections[positive] - fit[positive]
        threshold = fit.max() - np.sqrt(np.mean(residual**2))
        above = np.flatnonzero(rejections > threshold)
        chosen = int(above[0]) if above.size else 0
    return adjusted[:, chosen]


def _check_single_coefficient(weights: np.ndarray, columns: pd.Index) -> None:
    nonzero = np.flatnonzero(weights)
    if nonzero.size != 1 or abs(weights[nonzero[0]]) != 1:
        raise ValueError(
            "shrink=True needs a contrast that is a single design coefficient with weight "
            "1 or -1 (apeGLM shrinks one coefficient); this contrast combines "
            f"{', '.join(f'{w:g}*{c}' for w, c in zip(weights[nonzero], columns[nonzero], strict=True))}. "
            "Reparameterise the design so the contrast is one coefficient, or set "
            "shrink=False."
        )


def _shrunk_lfc(stats: RDeseqStats, weights: np.ndarray, columns: pd.Index) -> np.ndarray:
    # pydeseq2's apeGLM (inherited by RInference), its prior scale from R's Wald SEs.
    coefficient = columns[np.flatnonzero(weights)[0]]
    sign = weights[np.flatnonzero(weights)[0]]
    with warnings.catch_warnings(), np.errstate(over="ignore"):
        warnings.simplefilter("ignore", UserWarning)
        stats.lfc_shrink(coeff=coefficient)
    return sign * stats.LFC[coefficient].to_numpy(float) / np.log(2)
