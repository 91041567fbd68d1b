"""Size factors and Cook's distances without full-size temporaries.

The same arithmetic as pydeseq2 0.5.4 (``deseq2_norm`` and
``DeseqDataSet.calculate_cooks`` with ``robust_method_of_moments_disp``), but the log
counts are computed once and reused in place, the moments dispersions of Cook's
distances are computed on blocks of genes (per gene, so they do not depend on the block
size), and the distances are one numba pass in numpy's order of operations (the same
doubles), so no samples x genes temporary is made besides the result.
"""

from __future__ import annotations

import numba as nb
import numpy as np
import pandas as pd
from pydeseq2.utils import robust_method_of_moments_disp

from .glm import chunks

__all__ = ["cooks_distances", "median_of_ratios", "row_medians"]

# Genes per block: 2,000 genes x 1,000 samples of float64 are 16 MB.
_BLOCK = 2000


def median_of_ratios(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Median-of-ratios size factors as pydeseq2 ``deseq2_norm`` (R ``estimateSizeFactors``).

    Parameters
    ----------
    counts
        Samples x genes counts. The mean log counts are summed in the order numpy
        takes for the array's memory layout, as in pydeseq2, so the same array gives
        pydeseq2's doubles (its ``DeseqDataSet`` holds column-major counts).

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
    size_factors = np.exp(row_medians(log_ratios))
    return size_factors, logmeans, usable


def row_medians(values: np.ndarray) -> np.ndarray:
    """``np.median(values, axis=1)`` (the same doubles) for a 2-D array without NaN.

    Each row is copied into one contiguous buffer and split around its middle by
    ``np.partition`` with a single order statistic; for an even length the lower middle
    value is the largest of the lower half, and the median is their mean ``(a + b) / 2``,
    as numpy's. numpy's ``median`` asks ``partition`` for both middle order statistics,
    which takes several times longer, and reads the rows of a column-major array (as
    pydeseq2's counts are) with a stride.

    Parameters
    ----------
    values
        Rows x columns values (any memory layout), at least one column.

    Returns
    -------
    The median of each row.
    """
    n_rows, n_columns = values.shape
    half = n_columns // 2
    buffer = np.empty(n_columns)
    out = np.empty(n_rows)
    for i in range(n_rows):
        buffer[:] = values[i]
        buffer.partition(half)
        out[i] = buffer[half] if n_columns % 2 else (buffer[:half].max() + buffer[half]) / 2
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
    dispersions = np.empty(mu.shape[1])
    for genes in chunks(mu.shape[1], _BLOCK):
        dispersions[genes] = robust_method_of_moments_disp(
            np.asarray(normed_counts[:, genes], dtype=float), design)
    out = np.empty(mu.shape)
    _scaled_pearson_residuals(counts, mu, hat_diagonals, dispersions, float(design.shape[1]),
                              out)
    return out


@nb.njit(cache=True, nogil=True)
def _scaled_pearson_residuals(counts, mu, hat, dispersions, n_coefs, out):  # noqa: ANN001
    # One pass, in numpy's order of operations (so the same doubles as the array
    # expressions): ((y - m)^2 / (m^2 d + m)) / p * (h / (1 - h)^2).
    for s in range(mu.shape[0]):
        for g in range(mu.shape[1]):
            m = mu[s, g]
            residual = counts[s, g] - m
            leverage = 1.0 - hat[s, g]
            out[s, g] = ((residual * residual) / (m * m * dispersions[g] + m) / n_coefs
                         * (hat[s, g] / (leverage * leverage)))
