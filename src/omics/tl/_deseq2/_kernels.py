"""Fused per-gene numba kernels for the negative binomial GLM and the dispersion search.

Each gene is handled by one loop over its samples, so no samples x genes temporaries
are built; genes run in parallel (``numba.prange``). The arithmetic is R DESeq2's (see
:mod:`.glm` and :mod:`.dispersion`); the kernels take genes x samples (C-contiguous)
blocks.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

_OPTIONS = {"cache": True, "nogil": True, "error_model": "numpy"}


@nb.njit(**_OPTIONS)
def digamma(x: float) -> float:
    """Digamma for ``x > 0``: recurrence up to 10, then the asymptotic series (~1e-16)."""
    result = 0.0
    while x < 10.0:
        result -= 1.0 / x
        x += 1.0
    inv = 1.0 / x
    inv2 = inv * inv
    series = inv2 * (1.0 / 12 - inv2 * (1.0 / 120 - inv2 * (1.0 / 252 - inv2 * (
        1.0 / 240 - inv2 * (1.0 / 132 - inv2 * (691.0 / 32760 - inv2 / 12.0))))))
    return result + math.log(x) - 0.5 * inv - series


# Above this size (1 / dispersion) lgamma(y + r) - lgamma(r) and digamma(y + r) -
# digamma(r) lose most digits to cancellation (lgamma(1e8) ~ 1.7e9); their Stirling
# expansions are used instead (truncation error < 1e-15).
_LARGE_SIZE = 1e4
# Genes per parallel work item.
_BLOCK = 64


@nb.njit(**_OPTIONS)
def lgamma_ratio(y: float, r: float, lgamma_r: float) -> float:
    """Return ``lgamma(y + r) - lgamma(r)`` (``lgamma_r``) for ``y >= 0``, ``r > 0``, accurately."""
    if r < _LARGE_SIZE:
        return math.lgamma(y + r) - lgamma_r
    return ((r - 0.5) * math.log1p(y / r) + y * math.log(y + r) - y
            - y / (12.0 * r * (y + r)))


@nb.njit(**_OPTIONS)
def digamma_ratio(y: float, r: float, digamma_r: float) -> float:
    """Return ``digamma(y + r) - digamma(r)`` (``digamma_r``) for ``y >= 0``, ``r > 0``, accurately."""
    if r < _LARGE_SIZE:
        return digamma(y + r) - digamma_r
    return (math.log1p(y / r) + 0.5 * y / (r * (y + r))
            + y * (y + 2.0 * r) / (12.0 * r * r * (y + r) * (y + r)))


@nb.njit(**_OPTIONS)
def _lu(a: np.ndarray, piv: np.ndarray) -> float:
    # In-place LU with partial pivoting (LAPACK getrf order); returns the determinant's
    # sign (0 when singular).
    p = a.shape[0]
    sign = 1.0
    for k in range(p):
        best, row = abs(a[k, k]), k
        for i in range(k + 1, p):
            if abs(a[i, k]) > best:
                best, row = abs(a[i, k]), i
        piv[k] = row
        if row != k:
            sign = -sign
            for j in range(p):
                a[k, j], a[row, j] = a[row, j], a[k, j]
        if a[k, k] == 0.0:
            return 0.0
        for i in range(k + 1, p):
            a[i, k] /= a[k, k]
            for j in range(k + 1, p):
                a[i, j] -= a[i, k] * a[k, j]
    for k in range(p):
        if a[k, k] < 0:
            sign = -sign
    return sign


@nb.njit(**_OPTIONS)
def _lu_solve(lu: np.ndarray, piv: np.ndarray, b: np.ndarray) -> None:
    # Solve in place with the factors of _lu.
    p = lu.shape[0]
    for k in range(p):
        r = piv[k]
        if r != k:
            b[k], b[r] = b[r], b[k]
    for i in range(p):
        for j in range(i):
            b[i] -= lu[i, j] * b[j]
    for i in range(p - 1, -1, -1):
        for j in range(i + 1, p):
            b[i] -= lu[i, j] * b[j]
        b[i] /= lu[i, i]


@nb.njit(**_OPTIONS)
def _inverse(lu: np.ndarray, piv: np.ndarray, out: np.ndarray, col: np.ndarray) -> None:
    p = lu.shape[0]
    for j in range(p):
        for i in range(p):
            col[i] = 1.0 if i == j else 0.0
        _lu_solve(lu, piv, col)
        for i in range(p):
            out[i, j] = col[i]


@nb.njit(**_OPTIONS)
def _gram(x: np.ndarray, w: np.ndarray, out: np.ndarray) -> None:
    # out = X' diag(w) X
    n, p = x.shape
    out[:, :] = 0.0
    for s in range(n):
        ws = w[s]
        for i in range(p):
            xi = x[s, i] * ws
            for j in range(i + 1):
                out[i, j] += xi * x[s, j]
    for i in range(p):
        for j in range(i + 1, p):
            out[i, j] = out[j, i]


@nb.njit(**_OPTIONS)
def log_posterior(log_alpha: float, y: np.ndarray, mu: np.ndarray, x: np.ndarray,
                  group: np.ndarray, values: np.ndarray, mult: np.ndarray, sum_y: float,
                  prior_mean: float, prior_var: float, use_prior: bool, w: np.ndarray,
                  log_terms: np.ndarray, inverses: np.ndarray, gram: np.ndarray,
                  piv: np.ndarray) -> float:
    """R DESeq2's log posterior of ``log(alpha)`` for one gene (Cox-Reid adjusted).

    The log-likelihood without the terms free of alpha,
    ``sum lgamma(y + 1/a) - lgamma(1/a) - y log(mu + 1/a) - 1/a log(1 + mu a)``, is
    computed as ``sum_k mult_k [lgamma(v_k + 1/a) - lgamma(1/a)] + log(a) sum y
    - sum (y + 1/a) log(1 + mu a)`` over the distinct positive counts ``v_k`` (with
    multiplicities ``mult_k``). ``x`` holds the distinct design rows and ``group`` the
    row of each sample, so ``X'WX`` is summed over distinct rows. The same pass leaves
    the weights summed by design row in ``w`` and, per sample, ``log(1 + mu a)`` in
    ``log_terms`` and ``1 / (1 + mu a)`` in ``inverses``: what :func:`dlog_posterior`
    needs at this ``log_alpha``.
    """
    alpha = math.exp(log_alpha)
    inv_alpha = 1.0 / alpha
    lgamma_inv = math.lgamma(inv_alpha) if inv_alpha < _LARGE_SIZE else 0.0
    loglik = sum_y * log_alpha
    for k in range(values.size):
        loglik += mult[k] * lgamma_ratio(values[k], inv_alpha, lgamma_inv)
    w[:] = 0.0
    for s in range(y.size):
        m = mu[s]
        ma = m * alpha
        log_term = math.log1p(ma)
        inv = 1.0 / (1.0 + ma)
        loglik -= (y[s] + inv_alpha) * log_term
        log_terms[s] = log_term
        inverses[s] = inv
        w[group[s]] += m * inv
    _gram(x, w, gram)
    sign = _lu(gram, piv)
    if sign > 0:
        logdet = 0.0
        for k in range(gram.shape[0]):
            logdet += math.log(abs(gram[k, k]))
        cox_reid = -0.5 * logdet
    elif sign == 0:
        cox_reid = np.inf
    else:
        cox_reid = np.nan
    prior = -0.5 * (log_alpha - prior_mean) ** 2 / prior_var if use_prior else 0.0
    return loglik + cox_reid + prior


@nb.njit(**_OPTIONS)
def dlog_posterior(log_alpha: float, y: np.ndarray, mu: np.ndarray, x: np.ndarray,
                   group: np.ndarray, values: np.ndarray, mult: np.ndarray,
                   prior_mean: float, prior_var: float, use_prior: bool, w: np.ndarray,
                   w2: np.ndarray, log_terms: np.ndarray, inverses: np.ndarray,
                   gram: np.ndarray, dgram: np.ndarray, inverse: np.ndarray, piv: np.ndarray,
                   col: np.ndarray) -> float:
    """Return the derivative of :func:`log_posterior` with respect to ``log(alpha)``.

    Must follow :func:`log_posterior` at the same ``log_alpha``: it reuses the weights
    ``w`` and the per-sample ``log(1 + mu a)`` and ``1 / (1 + mu a)`` that pass left,
    so the line search pays for the derivative's sums over samples only at the points
    it accepts. ``w2`` is a work buffer (one value per design row).
    """
    alpha = math.exp(log_alpha)
    inv_alpha = 1.0 / alpha
    w2[:] = 0.0
    total = 0.0
    for s in range(y.size):
        # log(1 + mu a) - mu a / (1 + mu a) + y / (mu + 1/a)
        m = mu[s]
        inv = inverses[s]
        total += log_terms[s] + alpha * (y[s] - m) * inv
        ws = m * inv
        w2[group[s]] -= ws * ws
    digamma_inv = digamma(inv_alpha) if inv_alpha < _LARGE_SIZE else 0.0
    for k in range(values.size):
        total -= mult[k] * digamma_ratio(values[k], inv_alpha, digamma_inv)
    dloglik = inv_alpha * inv_alpha * total
    _gram(x, w, gram)
    _gram(x, w2, dgram)
    _lu(gram, piv)
    _inverse(gram, piv, inverse, col)
    trace = 0.0
    p = gram.shape[0]
    for i in range(p):
        for j in range(p):
            trace += inverse[i, j] * dgram[j, i]
    prior = -(log_alpha - prior_mean) / prior_var if use_prior else 0.0
    return (dloglik - 0.5 * trace) * alpha + prior


@nb.njit(**_OPTIONS)
def _distinct_counts(y: np.ndarray, ordered: np.ndarray, values: np.ndarray,
                     mult: np.ndarray, tally: np.ndarray) -> tuple[int, float]:
    # Distinct positive values of y into values[:k] (ascending), their multiplicities
    # into mult[:k]; returns k and the sum of y. Integer counts spanning fewer than
    # tally.size values are tallied (linear time), others sorted; both give the same
    # values, multiplicities and (integer, so exact) sum.
    low, high, integral = np.inf, -np.inf, True
    for v in y:
        low = min(low, v)
        high = max(high, v)
        integral = integral and v == math.floor(v)
    if integral and high - low < tally.size:
        span = int(high - low) + 1
        tally[:span] = 0.0
        total = 0.0
        for v in y:
            tally[int(v - low)] += 1.0
            total += v
        k = 0
        for i in range(span):
            v = low + i
            if tally[i] > 0 and v > 0:
                values[k] = v
                mult[k] = tally[i]
                k += 1
        return k, total
    ordered[:] = y
    ordered.sort()
    k = -1
    total = 0.0
    for v in ordered:
        total += v
        if v <= 0:
            continue
        if k >= 0 and values[k] == v:
            mult[k] += 1.0
        else:
            k += 1
            values[k] = v
            mult[k] = 1.0
    return k + 1, total


@nb.njit(**_OPTIONS)
def _line_search(y, mu, x, group, values, mult, sum_y, log_alpha, prior_mean, prior_var,
                 use_prior, min_log_alpha, max_iter, w, w2, log_terms, inverses, gram, dgram,
                 inverse, piv, col):
    # R fitDisp: gradient ascent with Armijo backtracking on log(alpha).
    kappa_0, tol = 1.0, 1e-6
    a = log_alpha
    lp = log_posterior(a, y, mu, x, group, values, mult, sum_y, prior_mean, prior_var,
                       use_prior, w, log_terms, inverses, gram, piv)
    dlp = dlog_posterior(a, y, mu, x, group, values, mult, prior_mean, prior_var, use_prior,
                         w, w2, log_terms, inverses, gram, dgram, inverse, piv, col)
    initial_lp = lp
    kappa = kappa_0
    n_iter = 0
    n_accept = 0
    for _ in range(max_iter):
        n_iter += 1
        step, slope, here = kappa, dlp, a
        proposal = here + step * slope
        if proposal < -30.0:
            step = (-30.0 - here) / slope
        if proposal > 10.0:
            step = (10.0 - here) / slope
        kappa = step
        candidate = here + step * slope
        lp_candidate = log_posterior(candidate, y, mu, x, group, values, mult, sum_y,
                                     prior_mean, prior_var, use_prior, w, log_terms, inverses,
                                     gram, piv)
        if not (-lp_candidate <= -lp - step * 1e-4 * slope * slope):
            kappa /= 2.0
            continue
        n_accept += 1
        a = candidate
        if lp_candidate - lp < tol:
            lp = lp_candidate
            break
        if a < min_log_alpha:  # R stops without recording the new log posterior
            break
        lp = lp_candidate
        dlp = dlog_posterior(a, y, mu, x, group, values, mult, prior_mean, prior_var,
                             use_prior, w, w2, log_terms, inverses, gram, dgram, inverse, piv,
                             col)
        kappa = min(kappa * 1.1, kappa_0)
        if n_accept % 5 == 0:
            kappa /= 2.0
    return a, n_iter, initial_lp, lp


@nb.njit(**_OPTIONS)
def _grid(y, mu, x, group, values, mult, sum_y, prior_mean, prior_var, use_prior, coarse,
          fine, w, log_terms, inverses, gram, piv):
    # R fitDispGrid: best of a coarse grid, then of a fine grid around it.
    best, best_score = coarse[0], -np.inf
    for a in coarse:
        score = log_posterior(a, y, mu, x, group, values, mult, sum_y, prior_mean, prior_var,
                              use_prior, w, log_terms, inverses, gram, piv)
        if score > best_score:
            best, best_score = a, score
    centre = best
    best, best_score = centre + fine[0], -np.inf
    for offset in fine:
        a = centre + offset
        score = log_posterior(a, y, mu, x, group, values, mult, sum_y, prior_mean, prior_var,
                              use_prior, w, log_terms, inverses, gram, piv)
        if score > best_score:
            best, best_score = a, score
    return best


def fit_dispersions(y, mu, x, group, start, prior_mean, prior_var, use_prior, genewise_rules,
                    min_disp, max_disp, max_iter, coarse, fine):
    """Dispersions of genes x samples blocks ``y``, ``mu`` (means floored) by R's rules.

    ``x`` holds the distinct rows of the design matrix and ``group`` each sample's row.

    ``genewise_rules``: R's gene-wise estimate (a gene whose log posterior does not
    increase by a millionth keeps ``start``; genes stopping after one iteration or not
    converging are refitted on the grid when above ``10 * min_disp``). Otherwise MAP
    (genes not converging are refitted on the grid). Returns dispersions within the
    bounds and the convergence flags.
    """
    n_genes = y.shape[0]
    out = np.empty(n_genes)
    converged = np.empty(n_genes, dtype=np.bool_)
    args = (y, mu, x, group, start, prior_mean, prior_var, use_prior, genewise_rules,
            min_disp, max_disp, max_iter, coarse, fine, out, converged)
    if nb.get_num_threads() == 1:  # the parallel driver is only loaded when used
        _dispersions_range(*args, 0, n_genes)
    else:
        _dispersions_parallel(*args)
    return out, converged


@nb.njit(parallel=True, **_OPTIONS)
def _dispersions_parallel(y, mu, x, group, start, prior_mean, prior_var, use_prior,
                          genewise_rules, min_disp, max_disp, max_iter, coarse, fine, out,
                          converged):
    n_genes = y.shape[0]
    for block in nb.prange((n_genes + _BLOCK - 1) // _BLOCK):
        _dispersions_range(y, mu, x, group, start, prior_mean, prior_var, use_prior,
                           genewise_rules, min_disp, max_disp, max_iter, coarse, fine, out,
                           converged, block * _BLOCK, min((block + 1) * _BLOCK, n_genes))


@nb.njit(**_OPTIONS)
def _dispersions_range(y, mu, x, group, start, prior_mean, prior_var, use_prior,
                       genewise_rules, min_disp, max_disp, max_iter, coarse, fine, out,
                       converged, first, last):
    n_samples = y.shape[1]
    n_rows, p = x.shape
    min_log_alpha = math.log(min_disp / 10.0)
    w = np.empty(n_rows)
    w2 = np.empty(n_rows)
    gram = np.empty((p, p))
    dgram = np.empty((p, p))
    inverse = np.empty((p, p))
    piv = np.empty(p, dtype=np.int64)
    col = np.empty(p)
    log_terms = np.empty(n_samples)
    inverses = np.empty(n_samples)
    ordered = np.empty(n_samples)
    values_buffer = np.empty(n_samples)
    mult_buffer = np.empty(n_samples)
    tally = np.empty(4 * n_samples + 64)
    for g in range(first, last):
        n_values, sum_y = _distinct_counts(y[g], ordered, values_buffer, mult_buffer, tally)
        values, mult = values_buffer[:n_values], mult_buffer[:n_values]
        log_start = math.log(start[g])
        log_alpha, n_iter, initial_lp, last_lp = _line_search(
            y[g], mu[g], x, group, values, mult, sum_y, log_start, prior_mean[g], prior_var,
            use_prior, min_log_alpha, max_iter, w, w2, log_terms, inverses, gram, dgram,
            inverse, piv, col)
        if genewise_rules:
            estimate = min(math.exp(log_alpha), max_disp)
            if last_lp < initial_lp + abs(initial_lp) / 1e6:
                estimate = start[g]
            ok = n_iter < max_iter and n_iter != 1
            if not ok and estimate > min_disp * 10:
                estimate = math.exp(_grid(y[g], mu[g], x, group, values, mult, sum_y, 0.0,
                                          prior_var, False, coarse, fine, w, log_terms,
                                          inverses, gram, piv))
        else:
            ok = n_iter < max_iter
            if not ok:
                log_alpha = _grid(y[g], mu[g], x, group, values, mult, sum_y, prior_mean[g],
                                  prior_var, True, coarse, fine, w, log_terms, inverses, gram,
                                  piv)
            estimate = math.exp(log_alpha)
        out[g] = min(max(estimate, min_disp), max_disp)
        converged[g] = ok


def irls(y, size_factors, x, group, dispersions, start, ridge, min_mu, tol, max_iter,
         max_beta, with_hat=True):
    """R fitBeta for genes x samples counts ``y``: coefficients, hat diagonals, convergence.

    With ``with_hat=False`` the hat diagonals are not computed (an empty array is
    returned in their place).

    IRLS with ridge ``ridge`` and means floored at ``min_mu``; a gene stops when the
    relative change of deviance is below ``tol``, when a coefficient exceeds
    ``max_beta`` or when the deviance is NaN (the last two count as not converged).
    The hat diagonals use the final (floored) means. ``x`` holds the distinct rows of
    the design matrix and ``group`` each sample's row.
    """
    n_genes, n_samples = y.shape
    beta = np.empty((n_genes, x.shape[1]))
    hat = np.empty((n_genes if with_hat else 0, n_samples))
    converged = np.empty(n_genes, dtype=np.bool_)
    args = (y, size_factors, x, group, dispersions, start, ridge, min_mu, tol, max_iter,
            max_beta, beta, hat, converged)
    if nb.get_num_threads() == 1:  # the parallel driver is only loaded when used
        _irls_range(*args, 0, n_genes)
    else:
        _irls_parallel(*args)
    return beta, hat, converged


@nb.njit(parallel=True, **_OPTIONS)
def _irls_parallel(y, size_factors, x, group, dispersions, start, ridge, min_mu, tol,
                   max_iter, max_beta, beta_out, hat, converged):
    n_genes = y.shape[0]
    for block in nb.prange((n_genes + _BLOCK - 1) // _BLOCK):
        _irls_range(y, size_factors, x, group, dispersions, start, ridge, min_mu, tol,
                    max_iter, max_beta, beta_out, hat, converged, block * _BLOCK,
                    min((block + 1) * _BLOCK, n_genes))


@nb.njit(**_OPTIONS)
def _means(x, group, beta, size_factors, log_sf, min_mu, log_min_mu, eta, expo, mu, log_mu):
    # mu = max(sf * exp(x beta), min_mu) and log(mu), with x beta and its exp computed
    # once per distinct design row.
    p = x.shape[1]
    for k in range(x.shape[0]):
        value = 0.0
        for j in range(p):
            value += x[k, j] * beta[j]
        eta[k] = value
        expo[k] = math.exp(value)
    for s in range(mu.size):
        k = group[s]
        m = size_factors[s] * expo[k]
        if m < min_mu:
            mu[s], log_mu[s] = min_mu, log_min_mu
        else:
            mu[s], log_mu[s] = m, log_sf[s] + eta[k]


@nb.njit(**_OPTIONS)
def _weighted_system(x, ridge, wsum, wzsum, gram, rhs):
    # gram = X'WX + ridge and rhs = X'Wz from per-row sums of w and w z.
    p = x.shape[1]
    for i in range(p):
        rhs[i] = 0.0
        for j in range(p):
            gram[i, j] = ridge[i, j]
    for k in range(x.shape[0]):
        for i in range(p):
            rhs[i] += x[k, i] * wzsum[k]
            for j in range(p):
                gram[i, j] += x[k, i] * wsum[k] * x[k, j]


@nb.njit(**_OPTIONS)
def _irls_range(y, size_factors, x, group, dispersions, start, ridge, min_mu, tol, max_iter,
                max_beta, beta_out, hat, converged, first, last):
    n_samples = y.shape[1]
    n_rows, p = x.shape
    log_sf = np.log(size_factors)
    log_min_mu = math.log(min_mu)
    mu = np.empty(n_samples)
    log_mu = np.empty(n_samples)
    eta = np.empty(n_rows)
    expo = np.empty(n_rows)
    wsum = np.empty(n_rows)
    wzsum = np.empty(n_rows)
    quad = np.empty(n_rows)
    gram = np.empty((p, p))
    rhs = np.empty(p)
    piv = np.empty(p, dtype=np.int64)
    col = np.empty(p)
    inverse = np.empty((p, p))
    beta = np.empty(p)
    for g in range(first, last):
        yg = y[g]
        d = dispersions[g]
        size = 1.0 / d
        beta[:] = start[g]
        # Terms of the log density that do not depend on mu (constant during IRLS).
        lgamma_size = math.lgamma(size) if size < _LARGE_SIZE else 0.0
        log_size = math.log(size)
        constant = 0.0
        for s in range(n_samples):
            if yg[s] > 0:
                constant += lgamma_ratio(yg[s], size, lgamma_size) - math.lgamma(yg[s] + 1.0)
        _means(x, group, beta, size_factors, log_sf, min_mu, log_min_mu, eta, expo, mu, log_mu)
        dev_old = 0.0
        n_iter = 0
        for t in range(max_iter):
            n_iter += 1
            wsum[:] = 0.0
            wzsum[:] = 0.0
            for s in range(n_samples):
                m = mu[s]
                ws = m / (1.0 + d * m)
                zs = log_mu[s] - log_sf[s] + (yg[s] - m) / m
                wsum[group[s]] += ws
                wzsum[group[s]] += ws * zs
            _weighted_system(x, ridge, wsum, wzsum, gram, rhs)
            _lu(gram, piv)
            _lu_solve(gram, piv, rhs)
            diverged = False
            for j in range(p):
                beta[j] = rhs[j]
                if abs(rhs[j]) > max_beta:
                    diverged = True
            if diverged:
                n_iter = max_iter
                break
            # log density: size log(size / (size + mu)) + y log(mu / (size + mu)) + constant
            _means(x, group, beta, size_factors, log_sf, min_mu, log_min_mu, eta, expo, mu,
                   log_mu)
            loglik = constant
            for s in range(n_samples):
                log_total = math.log(size + mu[s])
                loglik += size * (log_size - log_total)
                if yg[s] > 0:
                    loglik += yg[s] * (log_mu[s] - log_total)
            dev = -2.0 * loglik
            change = abs(dev - dev_old) / (abs(dev) + 0.1)
            if np.isnan(change):
                n_iter = max_iter
                break
            if t > 0 and change < tol:
                break
            dev_old = dev
        for j in range(p):
            beta_out[g, j] = beta[j]
        converged[g] = n_iter < max_iter
        if hat.shape[0] == 0:
            continue
        wsum[:] = 0.0
        wzsum[:] = 0.0
        for s in range(n_samples):
            wsum[group[s]] += mu[s] / (1.0 + d * mu[s])
        _weighted_system(x, ridge, wsum, wzsum, gram, rhs)
        _lu(gram, piv)
        _inverse(gram, piv, inverse, col)
        for k in range(n_rows):
            q = 0.0
            for i in range(p):
                for j in range(p):
                    q += x[k, i] * inverse[i, j] * x[k, j]
            quad[k] = q
        for s in range(n_samples):
            hat[g, s] = mu[s] / (1.0 + d * mu[s]) * quad[group[s]]
