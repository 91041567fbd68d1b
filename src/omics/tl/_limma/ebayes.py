"""Empirical Bayes moderation: ``squeezeVar`` and the prior of log-fold changes (``tmixture``)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._types import FloatArray
from .distributions import _qt_upper_log, t_isf, t_logsf, t_sf
from .fdist import _fit_f_dist, _fit_f_dist_robustly


@dataclass
class _Squeezed:
    df_prior: FloatArray | float
    var_prior: FloatArray | float
    var_post: FloatArray


def _squeeze_var(var: FloatArray, df: FloatArray, covariate: FloatArray | None, robust: bool) -> _Squeezed:
    """Empirical Bayes posterior variances (``squeezeVar``)."""
    n = var.size
    if n == 1:
        return _Squeezed(0.0, var.copy(), var.copy())
    var = np.where(df == 0, 0.0, var)
    if robust:
        fit = _fit_f_dist_robustly(var, df, covariate)
        df_prior: FloatArray | float = fit.df2_shrunk  # type: ignore[assignment]
    else:
        fit = _fit_f_dist(var, df, covariate)
        df_prior = fit.df2
    if np.any(np.isnan(df_prior)):
        raise ValueError("could not estimate the prior degrees of freedom")
    scale = fit.scale
    dfp = np.broadcast_to(np.asarray(df_prior, dtype=float), var.shape)
    s0 = np.broadcast_to(np.asarray(scale, dtype=float), var.shape)
    finite = np.isfinite(dfp)
    with np.errstate(invalid="ignore"):
        var_post = np.where(finite, (df * var + dfp * s0) / (df + dfp), s0)
    return _Squeezed(df_prior, scale, var_post)


def _tmixture(
    tstat: FloatArray,
    stdev_unscaled: FloatArray,
    df: FloatArray,
    proportion: float,
    v0_lim: tuple[float, float],
) -> float:
    """Prior variance of non-null log-fold changes (``tmixture.vector``)."""
    keep = ~np.isnan(tstat)
    tstat, su, df = np.abs(tstat[keep]), stdev_unscaled[keep], df[keep].copy()
    n = tstat.size
    ntarget = math.ceil(proportion / 2 * n)
    if ntarget < 1:
        return np.nan
    p = max(ntarget / n, proportion)
    max_df = float(np.max(df))
    low = df < max_df
    if low.any():
        log_tail = t_logsf(tstat[low], df[low])
        tstat[low] = _qt_upper_log(log_tail, max_df)
    top = np.argsort(-tstat, kind="stable")[:ntarget]
    tstat = tstat[top]
    v1 = su[top] ** 2
    r = np.arange(1, ntarget + 1)
    p0 = 2 * t_sf(tstat, max_df)
    ptarget = ((r - 0.5) / n - (1 - p) * p0) / p
    v0 = np.zeros(ntarget)
    pos = ptarget > p0
    if pos.any():
        qtarget = t_isf(ptarget[pos] / 2, max_df)
        v0[pos] = v1[pos] * ((tstat[pos] / qtarget) ** 2 - 1)
    v0 = np.clip(v0, v0_lim[0], v0_lim[1])
    return float(np.mean(v0))
