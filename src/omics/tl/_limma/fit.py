"""limma ``lmFit`` + ``contrasts.fit`` + ``eBayes`` + ``topTable`` for one contrast."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from scipy import special

from ..._errors import InputError
from ..._logging import get_logger
from .._stats import bh
from ._types import FloatArray
from .ebayes import _squeeze_var, _tmixture
from .linear import _contrasts_fit, _lm_series

__all__ = ["limma_fit"]

log = get_logger("tl")


def limma_fit(
    expression: pd.DataFrame,
    design: pd.DataFrame,
    contrast: pd.Series,
    *,
    trend: bool = False,
    robust: bool = False,
) -> pd.DataFrame:
    """Test one contrast with limma's moderated t-statistic.

    Equivalent to R ``lmFit(y, design)``, ``contrasts.fit(fit, contrast)``,
    ``eBayes(fit, trend = trend, robust = robust)`` and ``topTable(fit, number = Inf,
    sort.by = "none")`` with limma 3.x defaults (``proportion = 0.01``,
    ``stdev.coef.lim = c(0.1, 4)``, ``winsor.tail.p = c(0.05, 0.1)``, BH adjustment).

    Parameters
    ----------
    expression
        Features x samples log-scale values (e.g. log2 intensities); NaN (or any
        non-finite value) marks a missing value.
    design
        Samples x coefficients design matrix, rows in the order of ``expression``
        columns. Column names are arbitrary (e.g. ``"(Intercept)"``, ``"groupB"``).
    contrast
        Weights indexed by ``design`` columns; the tested quantity is the weighted sum of
        the coefficients. Columns missing from the index get weight 0.
    trend
        Let the prior variance depend on average expression (``eBayes(trend = TRUE)``),
        using a natural-spline trend as limma does. Features without an observed value
        (their average expression is NA) are left out of the trend and of the empirical
        Bayes step and get NA statistics (logged; R limma stops on them instead).
    robust
        Robust empirical Bayes that limits the influence of outlier variances
        (``eBayes(robust = TRUE)``).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``expression.index`` (same order), with columns ``logFC``,
        ``AveExpr`` (mean of the observed values), ``t``, ``P.Value``, ``adj.P.Val``
        (Benjamini-Hochberg over features with a p-value) and ``B`` (log-odds of
        differential expression). Features whose contrast is not estimable from their
        observed values have NaN statistics. ``attrs`` holds the prior degrees of
        freedom ``df_prior`` and prior variance ``s2_prior`` (floats, or ``None`` when
        they vary by feature, as with ``trend`` or ``robust``).

    Raises
    ------
    omics._errors.InputError
        On shape or label mismatches between the inputs, a contrast on a non-estimable
        coefficient, or when no residual degrees of freedom or no finite residual
        variances are available.

    Notes
    -----
    Features are fitted on their observed values only; features sharing a missing-value
    pattern share one QR decomposition. As in limma, a coefficient that a feature's
    observed samples cannot estimate is NA for that feature, and ``contrasts.fit``
    combines each feature's own coefficient standard errors with the correlation of the
    coefficients in the *complete* design. This is exact for a contrast on one
    coefficient and limma's approximation for a combination of coefficients when a
    feature has missing values; it is kept for agreement with limma. Features with no
    residual degrees of freedom are excluded from the prior estimate but still get a
    moderated statistic (posterior variance = prior variance) when their contrast is
    estimable. The residual-variance prior degrees of freedom may be infinite; the total
    degrees of freedom are capped at the pooled residual degrees of freedom.

    With ``trend``, R's ``eBayes(trend = TRUE)`` stops (``NA covariate values not
    allowed``) when a feature has no observed value, as its ``Amean`` is NA. Here such
    features are fitted as R would fit the data without them, and their rows are NA
    (``AveExpr`` too), as ``trend = False`` gives them: without ``trend`` they have no
    residual degrees of freedom and take no part in the prior either, so the other
    features' results are the same whether or not they are present, in both modes.
    """
    y, x, c = _checked_arrays(expression, design, contrast)
    try:
        if trend:
            return _fit_observed(y, x, c, expression.index, robust=robust)
        return _fit(y, x, c, expression.index, trend=trend, robust=robust)
    except ValueError as error:  # the inputs are consistent: the observed values cannot be fitted
        raise InputError(f"tl.limma_fit: the data cannot be fitted ({error})",
                         fix="each feature needs more observed values than the design has "
                             "coefficients; check the missing values and the design") from error


def _checked_arrays(expression: pd.DataFrame, design: pd.DataFrame, contrast: pd.Series
                    ) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Return ``(y, x, c)`` as float arrays; stop with an InputError when the inputs do not match."""
    fix = ("pass expression as features x samples, design as samples x coefficients (rows = the "
           "expression columns, in order) and contrast as weights indexed by design columns")

    def stop(problem: str) -> InputError:
        return InputError(f"tl.limma_fit: {problem}", fix=f"({fix})")

    if not all(isinstance(v, pd.DataFrame) for v in (expression, design)) or not isinstance(
            contrast, pd.Series):
        raise stop(f"expression and design must be DataFrames and contrast a Series (got "
                   f"{type(expression).__name__}, {type(design).__name__}, {type(contrast).__name__})")
    n_feat, n_samples = expression.shape
    if design.shape[0] != n_samples:
        raise stop(f"design has {design.shape[0]} rows but expression has {n_samples} samples")
    if not isinstance(design.index, pd.RangeIndex) and not design.index.equals(expression.columns):
        raise stop("design rows must be the expression columns, in the same order")
    if contrast.index.has_duplicates or design.columns.has_duplicates:
        raise stop("contrast and design column labels must be unique")
    unknown = contrast.index.difference(design.columns)
    if len(unknown):
        raise stop(f"contrast names unknown design columns: {', '.join(map(str, unknown))}")
    try:
        c = contrast.reindex(design.columns).fillna(0.0).to_numpy(dtype=float)
        x = design.to_numpy(dtype=float)
        y = expression.to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise stop("expression, design and contrast values must be numbers") from None
    if not np.all(np.isfinite(c)):
        raise stop("contrast weights must be finite")
    if not np.all(np.isfinite(x)):
        raise stop("design must not contain missing or infinite values")
    if n_feat == 0:
        raise stop("expression has no features")
    return y, x, c


def _fit_observed(y: FloatArray, x: FloatArray, c: FloatArray, features: pd.Index, *,
                  robust: bool) -> pd.DataFrame:
    """Fit with ``trend`` the features that have an observed value; the others get NA rows (logged)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        empty = np.isnan(np.nanmean(y, axis=1))  # no observed value: R's Amean is NA
    if not empty.any():
        return _fit(y, x, c, features, trend=True, robust=robust)
    if empty.all():
        raise ValueError("no feature has an observed value")
    names = [str(f) for f in features[empty]]
    log.warning("limma trend: %d feature(s) without an observed value among the %d samples get NA "
                "statistics (left out of the trend and eBayes): %s", len(names), y.shape[1],
                ", ".join(names[:5]) + (" ..." if len(names) > 5 else ""))
    fitted = _fit(y[~empty], x, c, features[~empty], trend=True, robust=robust)
    out = pd.DataFrame(np.nan, index=features, columns=fitted.columns)
    out.iloc[~empty] = fitted.to_numpy()
    out.attrs.update(fitted.attrs)
    return out


def _fit(y: FloatArray, x: FloatArray, c: FloatArray, features: pd.Index, *, trend: bool,
         robust: bool) -> pd.DataFrame:
    """Fit checked arrays as :func:`limma_fit` does; a ``ValueError`` means the data cannot be fitted."""
    fit = _lm_series(y, x)
    estimate, stdev_unscaled = _contrasts_fit(fit, c)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ave_expr = np.nanmean(y, axis=1)  # like rowMeans(na.rm = TRUE): keeps +-Inf

    df_residual = fit.df_residual
    if np.max(df_residual) == 0:
        raise ValueError("no residual degrees of freedom in the linear model fits")
    if not np.isfinite(fit.sigma).any():
        raise ValueError("no finite residual standard deviations")
    covariate = None
    if trend:
        if np.isnan(ave_expr).any():
            raise ValueError("trend=True needs every feature to have an observed value")
        covariate = ave_expr

    sq = _squeeze_var(fit.sigma**2, df_residual, covariate, robust)
    s2_prior = sq.var_prior
    with np.errstate(invalid="ignore", divide="ignore"):
        t = estimate / stdev_unscaled / np.sqrt(sq.var_post)
    df_total = np.minimum(df_residual + sq.df_prior, np.nansum(df_residual))
    p_value = 2 * special.stdtr(df_total, -np.abs(t))
    p_value[np.isnan(t)] = np.nan

    proportion = 0.01
    v0_lim = (0.1**2 / float(np.median(s2_prior)), 4.0**2 / float(np.median(s2_prior)))
    var_prior = _tmixture(t, stdev_unscaled, df_total, proportion, v0_lim)
    if np.isnan(var_prior):
        warnings.warn("Estimation of var.prior failed - set to default value", RuntimeWarning, stacklevel=3)
        var_prior = 1 / float(np.atleast_1d(s2_prior)[0])
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (stdev_unscaled**2 + var_prior) / stdev_unscaled**2
        t2 = t**2
        inf_df = np.broadcast_to(np.asarray(sq.df_prior) > 1e6, t.shape)
        kernel = (1 + df_total) / 2 * np.log((t2 + df_total) / (t2 / r + df_total))
        kernel = np.where(inf_df, t2 * (1 - 1 / r) / 2, kernel)
        lods = math.log(proportion / (1 - proportion)) - np.log(r) / 2 + kernel

    out = pd.DataFrame(
        {
            "logFC": estimate,
            "AveExpr": ave_expr,
            "t": t,
            "P.Value": p_value,
            "adj.P.Val": bh(p_value),
            "B": lods,
        },
        index=features,
    )
    out.attrs["df_prior"] = _common_value(sq.df_prior)
    out.attrs["s2_prior"] = _common_value(s2_prior)
    return out


def _common_value(values: FloatArray | float) -> float | None:
    """Return the value shared by all features, or None when it varies."""
    arr = np.atleast_1d(np.asarray(values, dtype=float))
    return float(arr[0]) if np.all(arr == arr[0]) else None
