"""t and F distribution helpers: log tails, quantiles from log probabilities, trigamma inverse.

The t helpers, which every ``eBayes`` call uses, compute what ``scipy.stats.t`` computes
(the same ``scipy.special`` functions, element for element) without importing
``scipy.stats`` (0.25 s of every ``omics de`` process); the F helpers, used by the robust
and trended fits only, import it when called. ``scipy.optimize`` (0.1 s) is imported the same
way, by the root finding of tails beyond ``exp(-700)`` and of the robust fit.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np
from scipy import special

from ._types import FloatArray


def t_sf(x: FloatArray | float, df: FloatArray | float) -> FloatArray:
    """Upper tail of Student's t, ``scipy.stats.t.sf(x, df)`` (``df > 0``)."""
    return special.stdtr(df, -np.asarray(x, dtype=float))


def t_isf(q: FloatArray | float, df: FloatArray | float) -> FloatArray:
    """Upper-tail quantile of Student's t, ``scipy.stats.t.isf(q, df)`` (``df > 0``).

    As SciPy: ``+inf`` at ``q == 0``, ``-inf`` at ``q == 1``, NaN outside ``[0, 1]``, and
    ``+0.0`` (not ``-0.0``) at the median.
    """
    q = np.asarray(q, dtype=float)
    with np.errstate(invalid="ignore"):
        inner = -special.stdtrit(df, q) + 0.0
        return np.where(q == 0.0, np.inf, np.where((q > 0.0) & (q <= 1.0), inner, np.nan))


def t_logsf(x: FloatArray | float, df: FloatArray | float) -> FloatArray:
    """Log upper tail of Student's t, ``scipy.stats.t.logsf(x, df)`` (``df > 0``).

    As SciPy: ``log(sf)`` above the median (0), ``log1p(-cdf)`` at or below it (``+0.0``
    at ``-inf``).
    """
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore"):
        below = np.where(x == -np.inf, 0.0, np.log1p(-special.stdtr(df, x)))
        return np.where(x > 0.0, np.log(special.stdtr(df, -x)), below)


def _invert_log_tail(log_tail: Callable[[float], float], target: float) -> float:
    """Solve ``log_tail(q) == target`` for ``q > 0`` on the log scale (extreme tails)."""

    def g(u: float) -> float:
        return log_tail(math.exp(u)) - target

    from scipy.optimize import brentq  # only for tails beyond exp(-700): not at start-up

    lo, hi = -50.0, 50.0
    while g(lo) * g(hi) > 0 and hi < 700:
        lo, hi = lo * 2, hi * 2
    return math.exp(brentq(g, lo, hi, xtol=1e-14, rtol=1e-15))


def _qt_upper_log(log_p: FloatArray, df: float) -> FloatArray:
    """Upper-tail t quantile from a log probability (``qt(lp, df, FALSE, TRUE)``)."""
    log_p = np.asarray(log_p, dtype=float)
    out = t_isf(np.exp(log_p), df)
    tiny = log_p < -700
    for i in np.flatnonzero(tiny):
        out[i] = _invert_log_tail(lambda q: float(t_logsf(q, df)), log_p[i])
    return out


def _f_logsf(x: FloatArray, df1: FloatArray | float, df2: float) -> FloatArray:
    from scipy import stats

    if math.isinf(df2):
        return stats.chi2.logsf(np.asarray(x) * df1, df1)
    return stats.f.logsf(x, df1, df2)


def _f_logcdf(x: FloatArray, df1: FloatArray | float, df2: float) -> FloatArray:
    from scipy import stats

    if math.isinf(df2):
        return stats.chi2.logcdf(np.asarray(x) * df1, df1)
    return stats.f.logcdf(x, df1, df2)


def _f_ppf(p: FloatArray, df1: float, df2: float) -> FloatArray:
    from scipy import stats

    if math.isinf(df2):
        return stats.chi2.ppf(p, df1) / df1
    return stats.f.ppf(p, df1, df2)


def _f_pdf(x: FloatArray, df1: float, df2: float) -> FloatArray:
    from scipy import stats

    if math.isinf(df2):
        return stats.chi2.pdf(np.asarray(x) * df1, df1) * df1
    return stats.f.pdf(x, df1, df2)


def _qf_log(log_p: FloatArray, df1: float, df2: float, *, upper: bool) -> FloatArray:
    """F quantile from a log probability (``qf(lp, df1, df2, lower.tail, log.p=TRUE)``)."""
    from scipy import stats

    log_p = np.asarray(log_p, dtype=float)
    p = np.exp(log_p)
    if math.isinf(df2):
        out = stats.chi2.isf(p, df1) / df1 if upper else stats.chi2.ppf(p, df1) / df1
    else:
        out = stats.f.isf(p, df1, df2) if upper else stats.f.ppf(p, df1, df2)
    out = np.asarray(out, dtype=float)
    for i in np.flatnonzero(log_p < -700):
        if upper:
            out[i] = _invert_log_tail(lambda q: float(_f_logsf(q, df1, df2)), log_p[i])
        else:
            out[i] = _invert_log_tail(lambda q: float(_f_logcdf(q, df1, df2)), log_p[i])
    return out


def _trigamma(x: FloatArray | float) -> FloatArray:
    return special.polygamma(1, x)


def _trigamma_inverse(x: float) -> float:
    """Solve ``trigamma(y) == x`` by Newton's method (as limma's ``trigammaInverse``)."""
    if x > 1e7:
        return 1.0 / math.sqrt(x)
    if x < 1e-6:
        return 1.0 / x
    y = 0.5 + 1.0 / x
    for _ in range(50):
        tri = float(_trigamma(y))
        dif = tri * (1 - tri / x) / float(special.polygamma(2, y))
        y += dif
        if -dif / y < 1e-8:
            break
    else:
        warnings.warn("trigammaInverse: iteration limit exceeded", RuntimeWarning, stacklevel=2)
    return y
