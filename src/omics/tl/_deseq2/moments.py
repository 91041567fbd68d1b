"""Size factors and Cook's distances without full-size temporaries.

The same arithmetic as pydeseq2 0.5.4 (``deseq2_norm`` and
``DeseqDataSet.calculate_cooks`` with ``robust_method_of_moments_disp``), but the log
counts are computed once and reused in place, and Cook's distances are computed on
blocks of genes, so at most one block of temporaries is alive instead of several full
samples x genes copies. Cook's distances are per gene (column-wise), so they do not
depend on the block size.
"""

from __future__ import annotations

import numba as nb
import numpy as np
import pandas as pd
from pydeseq2.utils import robust_method_of_moments_disp

from .glm import chunks

__all__ = ["cooks_distances", "median_of_ratios"]

# Genes per block: 2,000 genes x 1,000 samples of float64 are 16 MB.
_BLOCK = 2000


def median_of_ratios(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median-of-ratios size factors as pydeseq2 ``deseq2_norm`` (R ``estimateSizeFactors``).

    Parameters
    ----------
    counts
        Samples x genes counts.

    Returns
    -------
    Size factors, per-gene mean log counts (``-inf`` for genes with a zero) and the mask
    of genes used (finite mean log count).
    """
    with np.errstate(divide="ignore"):
        log_counts = np.log(counts)
    logmeans = log_counts.mean(axis=0)
    usable = ~np.isinf(logmeans)
    if usable.all():
        log_counts -= logmeans  # in place: the same ratios without a second array
        log_ratios = log_counts
    else:
        log_ratios = log_counts[:, usable] - logmeans[usable]
        del log_counts
    size_factors = np.exp(_row_medians(log_ratios))
    return size_factors, logmeans, usable


@nb.njit(cache=True, nogil=True)
def _row_medians(values: np.ndarray) -> np.ndarray:
    # np.median(values, axis=1): the middle order statistic, or the mean (a + b) / 2 of
    # the two middle ones, found by selection row by row.
    out = np.empty(values.shape[0])
    for i in range(values.shape[0]):
        out[i] = np.median(values[i])
    return out


def cooks_distances(counts: np.ndarray, normed_counts: np.ndarray, mu: np.ndarray,
                    hat_diagonals: np.ndarray, design: pd.DataFrame) -> np.ndarray:
    """Cook's distances of every count, as pydeseq2 ``DeseqDataSet.calculate_cooks``.

    Squared Pearson residuals with the trimmed moments dispersion (R
    ``robustMethodOfMomentsDisp``), divided by the number of coefficients and scaled by
    the leverage ``h / (1 - h)^2``.

    Parameters
    ----------
    counts, normed_counts
        Samples x genes counts and normalised counts (genes with a positive count).
    mu, hat_diagonals
        Samples x genes fitted means and hat diagonals of the GLM fit.
    design
        Samples x coefficients design matrix (its distinct rows are the cells).

    Returns
    -------
    Samples x genes Cook's distances.
    """
    n_coefs = design.shape[1]
    out = np.empty(mu.shape)
    for genes in chunks(mu.shape[1], _BLOCK):
        dispersions = robust_method_of_moments_disp(
            np.asarray(normed_counts[:, genes], dtype=float), design)
        m = mu[:, genes]
        squared = counts[:, genes] - m
        squared **= 2
        variance = m**2
        variance *= dispersions[None, :]
        variance += m
        squared /= variance
        squared /= n_coefs
        hat = hat_diagonals[:, genes]
        leverage = 1 - hat
        leverage **= 2
        squared *= hat / leverage
        out[:, genes] = squared
    return out
