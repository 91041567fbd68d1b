"""Scaled F fits of residual variances: ``fitFDist`` and ``fitFDistRobustly``."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import special

from .._stats import r_lowess
from ._types import FloatArray
from .distributions import _f_logcdf, _f_logsf, _f_pdf, _f_ppf, _qf_log, _trigamma, _trigamma_inverse
from .spline import _spline_trend

_WINSOR_TAIL_P = (0.05, 0.1)


@dataclass
class _FDistFit:
    scale: FloatArray | float
    df2: float
    df2_shrunk: FloatArray | None = None


def _fit_f_dist(x: FloatArray, df1: FloatArray, covariate: FloatArray | None) -> _FDistFit:
    """Moment estimate of a scaled F distribution for variances (``fitFDist``)."""
    n = x.size
    if n == 0:
        return _FDistFit(np.nan, np.nan)
    if n == 1:
        return _FDistFit(float(x[0]), 0.0)
    ok = np.isfinite(df1) & (df1 > 1e-15)
    if covariate is not None:
        covariate = covariate.copy()
        if np.isnan(covariate).any():
            raise ValueError("NA covariate values are not allowed in the variance trend")
        finite = np.isfinite(covariate)
        if not finite.all():
            if finite.any():
                lo, hi = covariate[finite].min(), covariate[finite].max()
                covariate[covariate == -np.inf] = lo - 1
                covariate[covariate == np.inf] = hi + 1
            else:
                covariate = np.sign(covariate)
    with np.errstate(invalid="ignore"):
        ok &= np.isfinite(x) & (x > -1e-15)
    nok = int(ok.sum())
    if nok == 1:
        return _FDistFit(float(x[ok][0]), 0.0)
    not_all_ok = nok < n
    cov_notok = None
    if not_all_ok:
        x, df1 = x[ok], df1[ok]
        if covariate is not None:
            cov_notok = covariate[~ok]
            covariate = covariate[ok]
    if covariate is not None:
        spline_df = 1 + (nok >= 3) + (nok >= 6) + (nok >= 30)
        spline_df = min(spline_df, np.unique(covariate).size)
        if spline_df < 2:
            out = _fit_f_dist(x, df1, None)
            return _FDistFit(np.full(n, out.scale), out.df2)

    x = np.maximum(x, 0)
    m = float(np.median(x))
    if m == 0:
        warnings.warn(
            "More than half of residual variances are exactly zero: eBayes unreliable",
            RuntimeWarning,
            stacklevel=3,
        )
        m = 1.0
    elif np.any(x == 0):
        warnings.warn(
            "Zero sample variances detected, have been offset away from zero",
            RuntimeWarning,
            stacklevel=3,
        )
    x = np.maximum(x, 1e-5 * m)
    z = np.log(x)
    e = z - special.digamma(df1 / 2) + np.log(df1 / 2)
    if covariate is None:
        emean: FloatArray | float = float(np.mean(e))
        evar = float(np.sum((e - emean) ** 2) / (nok - 1))
    else:
        fitted, evar, predicted = _spline_trend(covariate, e, spline_df, cov_notok)
        if not_all_ok:
            emean = np.zeros(n)
            emean[ok] = fitted
            emean[~ok] = predicted
        else:
            emean = fitted
    evar -= float(np.mean(_trigamma(df1 / 2)))
    if evar > 0:
        df2 = 2 * _trigamma_inverse(evar)
        s20 = np.exp(emean + special.digamma(df2 / 2) - np.log(df2 / 2))
    else:
        df2 = np.inf
        s20 = float(np.mean(x)) if covariate is None else np.exp(emean)
    return _FDistFit(s20, df2)


def _winsorized_moments(
    df1: float, df2: float, nodes: FloatArray, weights: FloatArray
) -> tuple[float, float]:
    """Mean and variance of a Winsorized log-F distribution (Phipson et al. 2016)."""
    p_lo, p_hi = _WINSOR_TAIL_P
    fq = _f_ppf(np.array([p_lo, 1 - p_hi]), df1, df2)
    zq = np.log(fq)
    q = fq / (1 + fq)
    qn = q[0] + (q[1] - q[0]) * nodes
    fn = qn / (1 - qn)
    zn = np.log(fn)
    dens = _f_pdf(fn, df1, df2) / (1 - qn) ** 2
    q21 = q[1] - q[0]
    tail = np.array(_WINSOR_TAIL_P)
    mean = q21 * np.sum(weights * dens * zn) + np.sum(zq * tail)
    var = q21 * np.sum(weights * dens * (zn - mean) ** 2) + np.sum((zq - mean) ** 2 * tail)
    return float(mean), float(var)


def _r_order(values: FloatArray) -> NDArray[np.int64]:
    return np.argsort(values, kind="stable")


def _fit_f_dist_robustly(x: FloatArray, df1: FloatArray, covariate: FloatArray | None) -> _FDistFit:
    """Robust (Winsorized) scaled-F fit with outlier-shrunk prior df (``fitFDistRobustly``)."""
    from scipy import stats

    n = x.size
    if n < 3:
        raise ValueError("robust empirical Bayes needs at least three features")
    ok = ~np.isnan(x) & np.isfinite(df1) & (df1 > 1e-6)
    if not ok.all():
        fit = _fit_f_dist_robustly(x[ok], df1[ok], None if covariate is None else covariate[ok])
        df2_shrunk = x.copy()
        df2_shrunk[ok] = fit.df2_shrunk
        df2_shrunk[~ok] = fit.df2
        if covariate is None:
            scale: FloatArray | float = fit.scale
        else:
            scale = x.copy()
            scale[ok] = fit.scale
            cov_ok = covariate[ok]
            log_scale = np.log(np.asarray(fit.scale))
            ux, inv = np.unique(cov_ok, return_inverse=True)
            mean_log = np.bincount(inv, weights=log_scale) / np.bincount(inv)
            scale[~ok] = np.exp(np.interp(covariate[~ok], ux, mean_log))
        return _FDistFit(scale, fit.df2, df2_shrunk)

    x = x.copy()
    m = float(np.median(x))
    if m <= 0:
        raise ValueError("variances are mostly <= 0")
    small = x < m * 1e-12
    if small.any():
        warnings.warn(
            f"{int(small.sum())} very small variances detected, have been offset away from zero",
            RuntimeWarning,
            stacklevel=3,
        )
        x[small] = m * 1e-12

    non_robust = _fit_f_dist(x, df1, covariate)
    tail_p = np.array(_WINSOR_TAIL_P)
    prob = np.array([tail_p[0], 1 - tail_p[1]])
    if np.all(tail_p < 1 / n):
        return _FDistFit(non_robust.scale, non_robust.df2, np.full(n, non_robust.df2))

    df1max = float(np.max(df1))
    lower_df = df1 < df1max - 1e-14
    if lower_df.any():
        s = non_robust.scale if covariate is None else np.asarray(non_robust.scale)[lower_df]
        f = x[lower_df] / s
        df2 = non_robust.df2
        p_up = _f_logsf(f, df1[lower_df], df2)
        p_low = _f_logcdf(f, df1[lower_df], df2)
        up = p_up < p_low
        if up.any():
            f[up] = _qf_log(p_up[up], df1max, df2, upper=True)
        if (~up).any():
            f[~up] = _qf_log(p_low[~up], df1max, df2, upper=False)
        x[lower_df] = f * s
    d1 = df1max if lower_df.any() else float(df1[0])

    z = np.log(x)
    if covariate is None:
        ztrend: FloatArray | float = float(stats.trim_mean(z, tail_p[1]))
    else:
        ztrend = r_lowess(z, covariate, frac=0.4, iterations=3)
    zresid = z - ztrend
    zrq = np.quantile(zresid, prob)
    zwins = np.clip(zresid, zrq[0], zrq[1])
    zwmean = float(np.mean(zwins))
    zwvar = float(np.mean((zwins - zwmean) ** 2) * n / (n - 1))

    nodes, weights = np.polynomial.legendre.leggauss(128)
    nodes, weights = (nodes + 1) / 2, weights / 2

    mom_mean, mom_var = _winsorized_moments(d1, np.inf, nodes, weights)
    funval_inf = math.log(zwvar / mom_var)
    if funval_inf <= 0:
        ztc = ztrend + zwmean - mom_mean
        fstat = np.exp(z - ztc)
        tail = stats.chi2.sf(fstat * d1, d1)
        r = stats.rankdata(fstat)
        prob_not_outlier = np.minimum(tail / ((n - r + 0.5) / n), 1)
        df2_shrunk = np.full(n, np.inf)
        outlier = prob_not_outlier < 1
        if outlier.any():
            df2_shrunk[outlier] = prob_not_outlier[outlier] * n * d1
            o = _r_order(tail)
            df2_shrunk[o] = np.maximum.accumulate(df2_shrunk[o])
        return _FDistFit(np.exp(ztc), np.inf, df2_shrunk)

    if math.isinf(non_robust.df2):
        return _FDistFit(non_robust.scale, non_robust.df2, np.full(n, np.inf))

    def fun(u: float) -> float:
        df2_u = u / (1 - u) if u < 1 else np.inf
        return math.log(zwvar / _winsorized_moments(d1, df2_u, nodes, weights)[1])

    rbx = non_robust.df2 / (1 + non_robust.df2)
    funval_low = fun(rbx)
    if funval_low >= 0:
        df2 = non_robust.df2
    else:
        from scipy.optimize import brentq  # robust fits only: not at every start-up

        root = brentq(fun, rbx, 1.0, xtol=1e-13, rtol=4 * np.finfo(float).eps)
        df2 = root / (1 - root)

    mom_mean, _ = _winsorized_moments(d1, df2, nodes, weights)
    ztc = ztrend + zwmean - mom_mean
    fstat = np.exp(z - ztc)
    log_tail = _f_logsf(fstat, d1, df2)
    r = stats.rankdata(fstat)
    log_emp = np.log(n - r + 0.5) - math.log(n)
    log_pno = np.minimum(log_tail - log_emp, 0)
    pno = np.exp(log_pno)
    po = -np.expm1(log_pno)
    if np.any(log_pno < 0):
        min_log_tail = float(np.min(log_tail))
        if min_log_tail == -np.inf:
            df2_shrunk = pno * df2
        else:
            df2_outlier = math.log(0.5) / min_log_tail * df2
            new_log_tail = float(_f_logsf(np.max(fstat), d1, df2_outlier))
            df2_outlier = math.log(0.5) / new_log_tail * df2_outlier
            df2_shrunk = pno * df2 + po * df2_outlier
        o = _r_order(log_tail)
        ordered = df2_shrunk[o]
        running = np.cumsum(ordered) / np.arange(1, n + 1)
        imin = int(np.argmin(running))
        ordered[: imin + 1] = running[imin]
        df2_shrunk = np.empty(n)
        df2_shrunk[o] = np.maximum.accumulate(ordered)
    else:
        df2_shrunk = np.full(n, df2)
    return _FDistFit(np.exp(ztc), df2, df2_shrunk)
