"""Natural cubic spline trend of limma ``fitFDist(covariate=)``."""

from __future__ import annotations

import numpy as np

from ._types import FloatArray


def _natural_spline_basis(x: FloatArray, knots: FloatArray) -> FloatArray:
    """Basis of natural cubic splines with the given knots (first/last are boundary knots).

    Spans the same space as R's ``splines::ns(..., intercept = TRUE)`` with those knots,
    including linear extrapolation beyond the boundary knots.
    """
    lo, hi = knots[0], knots[-1]
    span = hi - lo if hi > lo else 1.0
    u = (np.asarray(x, dtype=float) - lo) / span
    t = (knots - lo) / span
    n_knots = t.size

    def d(k: int) -> FloatArray:
        return (np.clip(u - t[k], 0, None) ** 3 - np.clip(u - t[-1], 0, None) ** 3) / (t[-1] - t[k])

    cols = [np.ones_like(u), u]
    if n_knots > 2:
        last = d(n_knots - 2)
        cols += [d(k) - last for k in range(n_knots - 2)]
    return np.column_stack(cols)


def _spline_trend(
    covariate: FloatArray, response: FloatArray, n_basis: int, new: FloatArray | None
) -> tuple[FloatArray, float, FloatArray | None]:
    """Least-squares natural-spline trend (as ``lm.fit(ns(covariate, df), response)``).

    Returns fitted values, the residual mean square and predictions at ``new``.
    """
    n_inner = n_basis - 2
    probs = np.linspace(0, 1, n_inner + 2)[1:-1]
    knots = np.concatenate([[covariate.min()], np.quantile(covariate, probs), [covariate.max()]])
    basis = _natural_spline_basis(covariate, knots)
    beta, _, rank, _ = np.linalg.lstsq(basis, response, rcond=None)
    fitted = basis @ beta
    resid_ms = float(np.sum((response - fitted) ** 2) / (response.size - rank))
    predicted = None if new is None else _natural_spline_basis(new, knots) @ beta
    return fitted, resid_ms, predicted
