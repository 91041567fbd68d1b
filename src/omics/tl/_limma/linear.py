"""Feature-wise least squares on observed values (limma ``lmFit``, ``contrasts.fit``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ._types import BoolArray, FloatArray

_QR_TOL = 1e-7  # R's lm.fit tolerance for dropping aliased columns
_CHUNK_ELEMENTS = 1 << 21  # bound on temporary (features x samples x coefficients) arrays


@dataclass
class _LinearFit:
    coefficients: FloatArray  # features x coefficients, NaN where not estimable
    stdev_unscaled: FloatArray  # features x coefficients, NaN where not estimable
    sigma: FloatArray  # residual standard deviation, NaN where df_residual == 0
    df_residual: FloatArray  # residual degrees of freedom (0 for empty features)
    cov_coefficients: FloatArray  # unscaled covariance of the complete design (rank x rank)
    estimable: BoolArray  # estimable columns of the complete design


def _estimable_columns(x: FloatArray) -> BoolArray:
    """Columns of ``x`` that R's ``lm.fit`` would estimate.

    Columns are considered left to right; a column is dropped when the norm of its
    component orthogonal to the columns already kept falls below ``1e-7`` times its
    original norm (1 for an all-zero column), and no more than ``n_rows`` columns are
    kept. This mirrors the limited pivoting of LINPACK ``dqrdc2`` used by ``lm.fit``.
    """
    n_rows, n_cols = x.shape
    keep = np.zeros(n_cols, dtype=bool)
    basis = np.empty((n_rows, 0))
    for j in range(n_cols):
        if basis.shape[1] >= n_rows:
            break
        col = x[:, j]
        norm = float(np.linalg.norm(col))
        ref = norm if norm > 0 else 1.0
        resid = col - basis @ (basis.T @ col)
        resid = resid - basis @ (basis.T @ resid)  # re-orthogonalise
        rnorm = float(np.linalg.norm(resid))
        if rnorm >= _QR_TOL * ref:
            keep[j] = True
            basis = np.column_stack([basis, resid / rnorm])
    return keep


def _pattern_operators(
    x: FloatArray, patterns: BoolArray
) -> tuple[FloatArray, FloatArray, BoolArray, NDArray[np.int64]]:
    """Least-squares operators for a block of missing-value patterns.

    Parameters
    ----------
    x
        Complete design, samples x coefficients.
    patterns
        Observed-sample masks, patterns x samples.

    Returns
    -------
    operator
        patterns x coefficients x samples; ``operator[k] @ y`` gives the coefficients of
        a feature with pattern ``k`` (``y`` zero-filled where missing). Rows of
        non-estimable coefficients are zero.
    var_unscaled
        patterns x coefficients diagonal of ``(X'X)^-1`` over the estimable columns,
        NaN elsewhere.
    estimable
        patterns x coefficients.
    rank
        Number of estimable coefficients per pattern.
    """
    n_samples, n_coef = x.shape
    n_pat = patterns.shape[0]
    n_obs = patterns.sum(axis=1)
    operator = np.zeros((n_pat, n_coef, n_samples))
    var_unscaled = np.full((n_pat, n_coef), np.nan)
    estimable = np.zeros((n_pat, n_coef), dtype=bool)
    rank = np.zeros(n_pat, dtype=np.int64)

    # Fast path: batched QR for patterns whose observed design has full column rank.
    candidates = np.flatnonzero(n_obs >= n_coef) if n_samples >= n_coef else np.empty(0, int)
    if candidates.size:
        xw = x[None, :, :] * patterns[candidates][:, :, None]
        q, r = np.linalg.qr(xw)
        diag = np.abs(np.diagonal(r, axis1=1, axis2=2))
        norms = np.linalg.norm(xw, axis=1)
        ref = np.where(norms > 0, norms, 1.0)
        full = np.all(diag >= _QR_TOL * ref, axis=1)
        if full.any():
            good = candidates[full]
            r_inv = np.linalg.inv(r[full])
            operator[good] = r_inv @ np.swapaxes(q[full], 1, 2)
            var_unscaled[good] = np.sum(r_inv**2, axis=2)
            estimable[good] = True
            rank[good] = n_coef

    # Slow path: rank-deficient observed designs (e.g. a whole group missing).
    for k in np.flatnonzero((rank == 0) & (n_obs > 0)):
        obs = patterns[k]
        xo = x[obs]
        keep = _estimable_columns(xo)
        if not keep.any():
            continue
        q, r = np.linalg.qr(xo[:, keep])
        r_inv = np.linalg.inv(r)
        operator[k][np.ix_(keep, obs)] = r_inv @ q.T
        var_unscaled[k, keep] = np.sum(r_inv**2, axis=1)
        estimable[k] = keep
        rank[k] = int(keep.sum())
    return operator, var_unscaled, estimable, rank


def _lm_series(y: FloatArray, x: FloatArray) -> _LinearFit:
    """Feature-wise least squares on observed values, grouped by missing-value pattern."""
    n_feat, n_samples = y.shape
    n_coef = x.shape[1]
    observed = np.isfinite(y)
    y0 = np.where(observed, y, 0.0)

    if observed.all():
        pattern_of = np.zeros(n_feat, dtype=np.int64)
        patterns = np.ones((1, n_samples), dtype=bool)
    else:
        packed = np.packbits(observed, axis=1)
        uniq, pattern_of = np.unique(packed, axis=0, return_inverse=True)
        pattern_of = np.asarray(pattern_of).reshape(-1)
        patterns = np.unpackbits(uniq, axis=1, count=n_samples).astype(bool)
    n_pat = patterns.shape[0]
    n_obs = patterns.sum(axis=1)

    order = np.argsort(pattern_of, kind="stable")
    bounds = np.searchsorted(pattern_of[order], np.arange(n_pat + 1))

    coefficients = np.full((n_feat, n_coef), np.nan)
    var_unscaled = np.full((n_feat, n_coef), np.nan)
    df_residual = np.zeros(n_feat)
    sigma = np.full(n_feat, np.nan)

    chunk = max(1, _CHUNK_ELEMENTS // (n_samples * n_coef))
    for start in range(0, n_pat, chunk):
        stop = min(n_pat, start + chunk)
        op, vu, est, rank = _pattern_operators(x, patterns[start:stop])
        feats = order[bounds[start] : bounds[stop]]
        local = pattern_of[feats] - start
        for s in range(0, feats.size, chunk):
            f = feats[s : s + chunk]
            loc = local[s : s + chunk]
            beta = np.matmul(op[loc], y0[f][:, :, None])[:, :, 0]
            resid = (y0[f] - beta @ x.T) * observed[f]
            dfr = (n_obs[start + loc] - rank[loc]).astype(float)
            with np.errstate(invalid="ignore", divide="ignore"):
                sig = np.sqrt(np.sum(resid**2, axis=1) / dfr)
            beta[~est[loc]] = np.nan
            coefficients[f] = beta
            var_unscaled[f] = vu[loc]
            df_residual[f] = dfr
            sigma[f] = np.where(dfr > 0, sig, np.nan)

    keep = _estimable_columns(x)
    if not keep.any():
        raise ValueError("the design matrix has no estimable coefficient")
    _, r_full = np.linalg.qr(x[:, keep])
    r_inv = np.linalg.inv(r_full)
    return _LinearFit(
        coefficients=coefficients,
        stdev_unscaled=np.sqrt(var_unscaled),
        sigma=sigma,
        df_residual=df_residual,
        cov_coefficients=r_inv @ r_inv.T,
        estimable=keep,
    )


def _contrasts_fit(fit: _LinearFit, contrast: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Estimate one contrast and its unscaled standard deviation (``contrasts.fit``).

    Returns
    -------
    estimate, stdev_unscaled
        Per feature; NaN where the contrast is not estimable for the feature.
    """
    coef = fit.coefficients
    stdev = fit.stdev_unscaled
    cov = fit.cov_coefficients
    keep = fit.estimable
    if not keep.all():
        if np.any(contrast[~keep] != 0):
            raise ValueError("the contrast involves a coefficient that the design cannot estimate")
        coef, stdev, contrast = coef[:, keep], stdev[:, keep], contrast[keep]
    sd = np.sqrt(np.diag(cov))
    cor = cov / np.outer(sd, sd)

    nonzero = contrast != 0
    if not nonzero.any():
        raise ValueError("the contrast has no non-zero weight")
    coef, stdev, contrast = coef[:, nonzero], stdev[:, nonzero].copy(), contrast[nonzero]
    cor = cor[np.ix_(nonzero, nonzero)]

    na = np.isnan(coef)
    coef = np.where(na, 0.0, coef)
    stdev[na] = 1e30  # lets NA coefficients propagate as huge standard deviations
    estimate = coef @ contrast

    orthogonal = cor.size < 2 or bool(np.all(np.abs(cor[np.tril_indices_from(cor, -1)]) < 1e-14))
    if orthogonal:
        su = np.sqrt(stdev**2 @ contrast**2)
    else:
        chol_upper = np.linalg.cholesky(cor).T
        su = np.linalg.norm((stdev * contrast) @ chol_upper.T, axis=1)
    if na.any():
        big = su > 1e20
        estimate[big] = np.nan
        su[big] = np.nan
    return estimate, su
