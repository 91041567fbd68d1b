"""Spearman correlation as :func:`scipy.stats.spearmanr` computes it, without ``scipy.stats``.

Importing ``scipy.stats`` takes 0.5-0.8 s, more than the correlations of ``omics
integrate``. The ranks come from pandas (average ranks of tied values are exact halves,
so they equal :func:`scipy.stats.rankdata`'s to the bit), the correlation of the ranks
from :func:`numpy.corrcoef` and the p-value from ``scipy.special.stdtr``: the steps of
``scipy.stats.spearmanr`` (SciPy 1.17), whose results these equal bit for bit (tested).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

__all__ = ["average_ranks", "spearman", "spearman_p"]


def average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks within each column (ties averaged), NaN kept as NaN.

    ``scipy.stats.rankdata(values, axis=0, nan_policy="omit")``; a 1-D input is one column.

    Parameters
    ----------
    values
        Samples x columns (or one sample vector).

    Returns
    -------
    Float ranks (1 = smallest) of the shape of ``values``.
    """
    values = np.asarray(values, dtype=float)
    frame = pd.DataFrame(values.reshape(len(values), -1))
    ranks = frame.rank(axis=0, method="average", na_option="keep").to_numpy(dtype=float)
    return ranks.reshape(values.shape)


def spearman_p(rho: np.ndarray | float, n: np.ndarray | int) -> np.ndarray:
    """Two-sided p-value of Spearman's rho over ``n`` pairs (Student t, ``n - 2`` df), as scipy."""
    dof = np.asarray(n) - 2
    rho = np.asarray(rho, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = rho * np.sqrt((dof / ((rho + 1.0) * (1.0 - rho))).clip(0))
        return 2 * special.stdtr(dof, -np.abs(t))


def spearman(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Spearman rho and two-sided p of two samples: ``scipy.stats.spearmanr(x, y)``.

    As SciPy: NaN for both when there are fewer than two pairs, when either sample is
    constant or when a value is missing (``nan_policy="propagate"``).

    Parameters
    ----------
    x, y
        Paired samples (1-D, same length).

    Returns
    -------
    tuple of float
        ``(rho, p)``.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if (len(x) <= 1 or (x[0] == x).all() or (y[0] == y).all()
            or np.isnan(x).any() or np.isnan(y).any()):
        return np.nan, np.nan
    rho = np.corrcoef(average_ranks(np.column_stack((x, y))), rowvar=False)[1, 0]
    return float(rho), float(spearman_p(rho, len(x)))
