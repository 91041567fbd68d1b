"""Statistics shared by the methods of :mod:`omics.tl` (one implementation each).

- :func:`bh`: Benjamini-Hochberg adjusted p-values, as R ``p.adjust(method = "BH")``;
- :func:`r_lowess`: R's ``lowess`` (R's ``clowess`` algorithm, same defaults);
- :func:`loess_smooth`: R's ``loess`` surface for one predictor (k-d tree + Hermite
  interpolation, R's default ``surface = "interpolate"``);
- :func:`r_mad`: R's ``mad`` (constant 1.4826);
- :func:`permutation_pvalue`: ``(k + 1) / (B + 1)`` from exceedance counts;
- :func:`norm_isf`, :func:`norm_sf`: standard normal tails, ``scipy.stats.norm.isf`` and
  ``.sf`` bit for bit (the same ``scipy.special`` functions) without importing
  ``scipy.stats`` (0.5-0.8 s).
"""

from __future__ import annotations

import numpy as np

__all__ = ["MAD_CONSTANT", "bh", "loess_smooth", "norm_isf", "norm_sf", "permutation_pvalue",
           "r_lowess", "r_mad"]

# R's mad() scales by this constant, not by 1 / qnorm(0.75).
MAD_CONSTANT = 1.4826


def bh(pvalues: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values over the non-missing entries.

    Computed as R ``p.adjust(p, "BH")``: ``pmin(1, cummin(n / i * p[o]))`` over the
    p-values in decreasing order, ``n`` the number of non-missing p-values.

    Parameters
    ----------
    pvalues
        P-values; NaN marks a missing one.

    Returns
    -------
    Adjusted p-values (float array of the same shape), NaN where ``pvalues`` is NaN.
    """
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    values = p[ok]
    m = values.size
    if m == 0:
        return out
    order = np.argsort(-values, kind="stable")
    i = np.arange(m, 0, -1)
    adjusted = np.minimum(1.0, np.minimum.accumulate(m / i * values[order]))
    result = np.empty(m)
    result[order] = adjusted
    out[ok] = result
    return out


def r_mad(values: np.ndarray) -> float:
    """Median absolute deviation scaled as R ``mad()`` (constant 1.4826).

    Parameters
    ----------
    values
        Data (no missing values).

    Returns
    -------
    The scaled MAD.
    """
    center = np.median(values)
    return MAD_CONSTANT * float(np.median(np.abs(values - center)))


def r_lowess(y: np.ndarray, x: np.ndarray, *, frac: float = 2 / 3, iterations: int = 3
             ) -> np.ndarray:
    """Fitted values of R ``lowess(x, y, f = frac, iter = iterations)`` in the order of ``x``.

    Follows R's C ``clowess`` step by step, with R's default ``delta`` (1 % of the range
    of ``x``): local linear fits with tricube weights over the ``floor(frac * n)`` nearest
    points (ties on the right included), linear interpolation between points closer than
    ``delta``, and bisquare robustness weights from ``cmad = 6 * median|residual|`` with
    R's 0.001 / 0.999 cut-offs. As in R, the robustness iterations stop early when the
    residual scale is effectively zero (``cmad < 1e-7 * mean|residual|``), where another
    pass would interpolate the data. Sums are accumulated in R's order.

    Parameters
    ----------
    y, x
        Response and predictor.
    frac
        Smoother span (R's ``f``).
    iterations
        Robustifying iterations (R's ``iter``).

    Returns
    -------
    Smoothed values at each ``x``.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    order = np.argsort(x, kind="stable")  # R: order(x), ties in input order
    fitted = _clowess(x[order], y[order], frac, iterations, 0.01 * float(np.ptp(x)))
    out = np.empty(x.size)
    out[order] = fitted
    return out


def _sequential_sum(values: np.ndarray) -> float:
    # Left-to-right accumulation, the rounding of a C loop (np.sum sums pairwise).
    return float(np.add.accumulate(values)[-1]) if values.size else 0.0


def _clowess(x: np.ndarray, y: np.ndarray, frac: float, iterations: int, delta: float
             ) -> np.ndarray:
    n = x.size
    if n < 2:
        return y.copy()
    span = max(2, min(n, int(frac * n + 1e-7)))
    fitted = np.empty(n)
    robustness: np.ndarray | None = None
    for step in range(iterations + 1):
        left, right = 0, span - 1  # neighbourhood, inclusive
        last = -1  # last point actually fitted
        i = 0
        while True:
            # slide the neighbourhood right while that shrinks its radius
            while right < n - 1 and x[i] - x[left] > x[right + 1] - x[i]:
                left += 1
                right += 1
            value = _local_fit(x, y, x[i], left, right, robustness)
            fitted[i] = y[i] if value is None else value
            if last < i - 1:  # points skipped within delta: interpolate
                denom = x[i] - x[last]
                for j in range(last + 1, i):
                    alpha = (x[j] - x[last]) / denom
                    fitted[j] = alpha * fitted[i] + (1.0 - alpha) * fitted[last]
            last = i
            cut = x[last] + delta
            i = last + 1
            while i < n and x[i] <= cut:
                if x[i] == x[last]:
                    fitted[i] = fitted[last]
                    last = i
                i += 1
            i = max(last + 1, i - 1)
            if last >= n - 1:
                break
        residual = y - fitted
        if step == iterations:
            break
        absolute = np.abs(residual)
        scale = _sequential_sum(absolute) / n
        ranked = np.sort(absolute)
        middle = n // 2
        cmad = (3.0 * (ranked[middle] + ranked[n - middle - 1]) if n % 2 == 0
                else 6.0 * ranked[middle])
        if cmad < 1e-7 * scale:  # residual scale effectively zero: keep this fit
            break
        ratio = absolute / cmad
        robustness = np.where(absolute <= 0.001 * cmad, 1.0,
                              np.where(absolute <= 0.999 * cmad, (1.0 - ratio * ratio) ** 2, 0.0))
    return fitted


def _local_fit(x: np.ndarray, y: np.ndarray, at: float, left: int, right: int,
               robustness: np.ndarray | None) -> float | None:
    # R clowess' lowest(): weighted local linear fit at `at`; None when all weights are 0.
    radius = max(at - x[left], x[right] - at)
    distance = np.abs(x[left:] - at)
    inside = distance <= 0.999 * radius
    stop = np.flatnonzero(~inside & (x[left:] > at))  # first point beyond the radius
    end = left + (int(stop[0]) if stop.size else x.size - left)
    distance, inside = distance[: end - left], inside[: end - left]
    ratio = distance / radius if radius > 0 else np.zeros_like(distance)
    cube = ratio * ratio * ratio
    one_minus = 1.0 - cube
    weights = np.where(inside, np.where(distance <= 0.001 * radius, 1.0,
                                        one_minus * one_minus * one_minus), 0.0)
    if robustness is not None:
        weights = weights * robustness[left:end]
    total = _sequential_sum(weights)
    if total <= 0:
        return None
    weights = weights / total
    xs, ys = x[left:end], y[left:end]
    if radius > 0:
        centre = _sequential_sum(weights * xs)
        offset = at - centre
        spread = _sequential_sum(weights * (xs - centre) * (xs - centre))
        if np.sqrt(spread) > 0.001 * (x[-1] - x[0]):
            weights = weights * (offset / spread * (xs - centre) + 1.0)
    return _sequential_sum(weights * ys)


def loess_smooth(x: np.ndarray, y: np.ndarray, x_new: np.ndarray, *, span: float,
                 cell: float = 0.2) -> np.ndarray:
    """One-predictor local quadratic regression evaluated like R ``loess`` (defaults).

    R does not fit at every new point: it splits the (slightly enlarged) range of ``x``
    into a k-d tree whose leaves hold at most ``floor(n * span * cell)`` points, fits
    the local quadratic (tricube weights over the ``floor(n * span)`` nearest points)
    at the cell boundaries only, and interpolates value and slope between them with
    cubic Hermite polynomials. This reproduces that surface for one predictor.

    Parameters
    ----------
    x, y
        Data.
    x_new
        Where to evaluate the smooth (inside the range of ``x``).
    span
        Fraction of the points in each local neighbourhood.
    cell
        R's ``loess.control(cell=)``.

    Returns
    -------
    Smoothed values at ``x_new``.
    """
    xs = np.sort(np.asarray(x, dtype=float))
    low, high = xs[0], xs[-1]
    margin = 0.005 * max(high - low, 1e-10 * max(abs(low), abs(high)) + 1e-30)
    vertices = [low - margin, high + margin]
    max_leaf = int(np.floor(xs.size * span * cell))
    cells = [(0, xs.size - 1, low - margin, high + margin)]
    while cells:
        first, last, lower, upper = cells.pop()
        if last - first + 1 <= max_leaf:
            continue
        middle = (first + last) // 2
        while middle > 0 and xs[middle - 1] == xs[middle]:
            middle -= 1
        cut = xs[middle]
        if cut in (lower, upper):
            continue
        vertices.append(cut)
        cells += [(first, middle, lower, cut), (middle + 1, last, cut, upper)]
    vertices = np.unique(vertices)
    value, slope = _local_quadratic(np.asarray(x, float), np.asarray(y, float), vertices,
                                    span=span)
    interval = np.clip(np.searchsorted(vertices, x_new, side="right") - 1, 0,
                       vertices.size - 2)
    left, right = vertices[interval], vertices[interval + 1]
    width = right - left
    u = (x_new - left) / width
    return ((1 - u) ** 2 * (1 + 2 * u) * value[interval]
            + u**2 * (3 - 2 * u) * value[interval + 1]
            + width * (u * (1 - u) ** 2 * slope[interval]
                       - u**2 * (1 - u) * slope[interval + 1]))


def _local_quadratic(x: np.ndarray, y: np.ndarray, centres: np.ndarray, *,
                     span: float) -> tuple[np.ndarray, np.ndarray]:
    # Value and slope at each centre of the tricube-weighted quadratic fit to the
    # floor(n * span) nearest points.
    n_local = int(np.floor(x.size * span))
    distance = np.abs(centres[:, None] - x[None, :])
    bandwidth = np.sort(distance, axis=1)[:, n_local - 1]
    weights = np.clip(1 - (distance / bandwidth[:, None]) ** 3, 0, None) ** 3
    value, slope = np.empty(centres.size), np.empty(centres.size)
    for i, centre in enumerate(centres):
        basis = np.column_stack([np.ones_like(x), x - centre, (x - centre) ** 2])
        root_w = np.sqrt(weights[i])
        coef = np.linalg.lstsq(basis * root_w[:, None], y * root_w, rcond=None)[0]
        value[i], slope[i] = coef[0], coef[1]
    return value, slope


def permutation_pvalue(exceedances: np.ndarray | int, n_permutations: int) -> np.ndarray:
    """Permutation p-value ``(k + 1) / (B + 1)`` (never zero; Phipson & Smyth 2010).

    Parameters
    ----------
    exceedances
        ``k``: permutations whose statistic is at least as extreme as the observed one.
    n_permutations
        ``B``: permutations drawn.

    Returns
    -------
    P-values (array; a scalar input gives a 0-d array).
    """
    if n_permutations < 1:
        raise ValueError("n_permutations must be at least 1")
    k = np.asarray(exceedances, dtype=float)
    return (k + 1.0) / (n_permutations + 1.0)


def norm_isf(q: np.ndarray) -> np.ndarray:
    """Return the standard normal upper-tail quantile: ``scipy.stats.norm.isf(q)``.

    As SciPy: ``+inf`` at 0, ``-inf`` at 1, NaN outside ``[0, 1]`` and ``+0.0`` (not
    ``-0.0``) at 0.5.

    Parameters
    ----------
    q
        Upper-tail probabilities.

    Returns
    -------
    Quantiles (float array of the shape of ``q``).
    """
    from scipy import special

    q = np.asarray(q, dtype=float)
    with np.errstate(invalid="ignore"):
        inner = -special.ndtri(q) + 0.0  # +0.0: scipy adds loc, so the median is +0.0
        return np.where(q == 0.0, np.inf, np.where(q == 1.0, -np.inf,
                                                   np.where((q > 0.0) & (q < 1.0), inner, np.nan)))


def norm_sf(x: np.ndarray) -> np.ndarray:
    """Return the standard normal upper tail: ``scipy.stats.norm.sf(x)`` (NaN stays NaN).

    Parameters
    ----------
    x
        Values.

    Returns
    -------
    Tail probabilities (float array of the shape of ``x``).
    """
    from scipy import special

    return special.ndtr(-np.asarray(x, dtype=float))
