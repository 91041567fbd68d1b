"""Dispersion estimates as R DESeq2: gene-wise (``estimateDispersionsGeneEst``) and MAP.

Both maximise R's log posterior of ``log(alpha)`` per gene (negative binomial
log-likelihood, Cox-Reid adjustment ``-1/2 log det(X'WX)``, optional normal prior) by
R's line search (gradient ascent with Armijo backtracking), with R's rules around it:
a gene-wise estimate whose log posterior gains less than a millionth keeps its starting
value, and genes that do not converge are refitted on a grid.
"""

from __future__ import annotations

import numpy as np
from scipy.special import digamma, gammaln

from .glm import chunks, weighted_gram

__all__ = ["genewise_dispersions", "map_dispersions"]


def genewise_dispersions(counts: np.ndarray, mu: np.ndarray, design: np.ndarray,
                         start: np.ndarray, *, min_disp: float = 1e-8,
                         max_disp: float = 10.0, max_iter: int = 100,
                         chunk_size: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """Gene-wise dispersion estimates as R ``estimateDispersionsGeneEst``.

    Parameters
    ----------
    counts, mu
        Samples x genes counts and fitted means (means floored at ``min_mu``).
    design
        Samples x coefficients design matrix (for the Cox-Reid adjustment).
    start
        Starting dispersions (rough / moments estimate, within the bounds).
    min_disp, max_disp
        Bounds of the estimates.
    max_iter
        Line-search iterations before the grid search takes over.
    chunk_size
        Genes processed at once (bounds memory).

    Returns
    -------
    Dispersions, and whether the line search converged.
    """
    out = np.empty(counts.shape[1])
    converged = np.empty(counts.shape[1], dtype=bool)
    for genes in chunks(counts.shape[1], chunk_size):
        y, m, init = counts[:, genes], mu[:, genes], start[genes]
        log_init = np.log(init)
        log_alpha, n_iter, initial_lp, last_lp = _line_search_log_dispersion(
            y, m, design, log_init, prior_mean=log_init, prior_var=1.0, use_prior=False,
            min_log_alpha=np.log(min_disp / 10), max_iter=max_iter,
        )
        estimate = np.minimum(np.exp(log_alpha), max_disp)
        no_increase = last_lp < initial_lp + np.abs(initial_lp) / 1e6
        estimate = np.where(no_increase, init, estimate)
        ok = (n_iter < max_iter) & (n_iter != 1)
        regrid = ~ok & (estimate > min_disp * 10)
        if regrid.any():
            estimate[regrid] = np.exp(_grid_log_dispersion(
                y[:, regrid], m[:, regrid], design, prior_mean=np.zeros(regrid.sum()),
                prior_var=1.0, use_prior=False,
            ))
        out[genes] = np.clip(estimate, min_disp, max_disp)
        converged[genes] = ok
    return out, converged


def map_dispersions(counts: np.ndarray, mu: np.ndarray, design: np.ndarray,
                    start: np.ndarray, trend: np.ndarray, *, prior_var: float,
                    min_disp: float = 1e-8, max_disp: float = 10.0, max_iter: int = 100,
                    chunk_size: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """Maximum a posteriori dispersions as R ``estimateDispersionsMAP``.

    Parameters
    ----------
    counts, mu
        Samples x genes counts and fitted means.
    design
        Samples x coefficients design matrix.
    start
        Starting dispersions.
    trend
        Fitted dispersion trend (prior mean on the log scale).
    prior_var
        Variance of the normal prior on log dispersions.
    min_disp, max_disp
        Bounds of the estimates.
    max_iter
        Line-search iterations before the grid search takes over.
    chunk_size
        Genes processed at once.

    Returns
    -------
    Dispersions, and whether the line search converged.
    """
    out = np.empty(counts.shape[1])
    converged = np.empty(counts.shape[1], dtype=bool)
    for genes in chunks(counts.shape[1], chunk_size):
        y, m = counts[:, genes], mu[:, genes]
        prior_mean = np.log(trend[genes])
        log_alpha, n_iter, _, _ = _line_search_log_dispersion(
            y, m, design, np.log(start[genes]), prior_mean=prior_mean, prior_var=prior_var,
            use_prior=True, min_log_alpha=np.log(min_disp / 10), max_iter=max_iter,
        )
        ok = n_iter < max_iter
        if (~ok).any():
            log_alpha[~ok] = _grid_log_dispersion(
                y[:, ~ok], m[:, ~ok], design, prior_mean=prior_mean[~ok],
                prior_var=prior_var, use_prior=True,
            )
        out[genes] = np.clip(np.exp(log_alpha), min_disp, max_disp)
        converged[genes] = ok
    return out, converged



def _log_posterior(log_alpha: np.ndarray, y: np.ndarray, mu: np.ndarray,
                   design: np.ndarray, prior_mean: np.ndarray, prior_var: float,
                   use_prior: bool) -> np.ndarray:
    # R DESeq2's log posterior of log(alpha): NB log-likelihood without the terms free
    # of alpha, Cox-Reid adjustment -1/2 log det(X'WX), optional normal prior. The same
    # parametrisation matters: R's convergence rules compare changes to its magnitude.
    alpha = np.exp(log_alpha)
    inv_alpha = 1.0 / alpha
    loglik = np.sum(
        gammaln(y + inv_alpha) - gammaln(inv_alpha) - y * np.log(mu + inv_alpha)
        - inv_alpha * np.log1p(mu * alpha),
        axis=0,
    )
    sign, logdet = np.linalg.slogdet(weighted_gram(design, 1.0 / (1.0 / mu + alpha)))
    cox_reid = np.where(sign > 0, -0.5 * logdet, np.where(sign == 0, np.inf, np.nan))
    prior = -0.5 * (log_alpha - prior_mean) ** 2 / prior_var if use_prior else 0.0
    return loglik + cox_reid + prior


def _dlog_posterior(log_alpha: np.ndarray, y: np.ndarray, mu: np.ndarray,
                    design: np.ndarray, prior_mean: np.ndarray, prior_var: float,
                    use_prior: bool) -> np.ndarray:
    # Derivative of _log_posterior with respect to log(alpha).
    alpha = np.exp(log_alpha)
    inv_alpha = 1.0 / alpha
    dloglik = inv_alpha**2 * np.sum(
        digamma(inv_alpha) + np.log1p(mu * alpha) - mu * alpha / (1.0 + mu * alpha)
        - digamma(y + inv_alpha) + y / (mu + inv_alpha),
        axis=0,
    )
    w = 1.0 / (1.0 / mu + alpha)
    gram = weighted_gram(design, w)
    dgram = weighted_gram(design, -(w**2))
    dcox_reid = -0.5 * np.einsum("gij,gji->g", np.linalg.inv(gram), dgram)
    prior = -(log_alpha - prior_mean) / prior_var if use_prior else 0.0
    return (dloglik + dcox_reid) * alpha + prior


def _line_search_log_dispersion(y: np.ndarray, mu: np.ndarray, design: np.ndarray,
                                log_alpha: np.ndarray, *, prior_mean: np.ndarray,
                                prior_var: float, use_prior: bool, min_log_alpha: float,
                                max_iter: int = 100, kappa_0: float = 1.0,
                                tol: float = 1e-6
                                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Gradient ascent with Armijo backtracking on log(alpha), as R DESeq2's fitDisp.

    All genes advance together. Returns the final log dispersions, the iterations used,
    and the log posterior at the start and at the end.
    """
    a = log_alpha.astype(float).copy()

    def at(genes: np.ndarray) -> tuple:
        return y[:, genes], mu[:, genes], design, prior_mean[genes], prior_var, use_prior

    everything = np.arange(a.size)
    lp = _log_posterior(a, *at(everything))
    dlp = _dlog_posterior(a, *at(everything))
    initial_lp = lp.copy()
    kappa = np.full(a.size, kappa_0)
    n_iter = np.zeros(a.size, dtype=int)
    n_accept = np.zeros(a.size, dtype=int)
    active = np.ones(a.size, dtype=bool)
    for _ in range(max_iter):
        genes = np.flatnonzero(active)
        if genes.size == 0:
            break
        n_iter[genes] += 1
        step, slope, here = kappa[genes], dlp[genes], a[genes]
        with np.errstate(divide="ignore", invalid="ignore"):
            proposal = here + step * slope
            step = np.where(proposal < -30.0, (-30.0 - here) / slope, step)
            step = np.where(proposal > 10.0, (10.0 - here) / slope, step)
        kappa[genes] = step
        candidate = here + step * slope
        lp_candidate = _log_posterior(candidate, *at(genes))
        with np.errstate(invalid="ignore"):
            accept = -lp_candidate <= -lp[genes] - step * 1e-4 * slope**2
        kappa[genes[~accept]] /= 2.0

        moved = genes[accept]
        lp_moved = lp_candidate[accept]
        n_accept[moved] += 1
        a[moved] = candidate[accept]
        small_change = lp_moved - lp[moved] < tol
        lp[moved[small_change]] = lp_moved[small_change]
        active[moved[small_change]] = False
        going = moved[~small_change]
        lp_going = lp_moved[~small_change]
        # R stops without recording the new log posterior when log(alpha) runs off.
        ran_off = a[going] < min_log_alpha
        active[going[ran_off]] = False
        going, lp_going = going[~ran_off], lp_going[~ran_off]
        lp[going] = lp_going
        if going.size:
            dlp[going] = _dlog_posterior(a[going], *at(going))
            kappa[going] = np.minimum(kappa[going] * 1.1, kappa_0)
            every_fifth = n_accept[going] % 5 == 0
            kappa[going[every_fifth]] /= 2.0
    return a, n_iter, initial_lp, lp


def _grid_log_dispersion(y: np.ndarray, mu: np.ndarray, design: np.ndarray, *,
                         prior_mean: np.ndarray, prior_var: float,
                         use_prior: bool) -> np.ndarray:
    # R fitDispGrid: 20 points on log(1e-8)..log(max(10, n)), then 20 points within
    # one coarse step of the best one.
    coarse = np.linspace(np.log(1e-8), np.log(max(10, y.shape[0])), 20)
    args = (y, mu, design, prior_mean, prior_var, use_prior)
    scores = np.array([_log_posterior(np.full(y.shape[1], a), *args) for a in coarse])
    best = coarse[np.argmax(np.nan_to_num(scores, nan=-np.inf), axis=0)]
    step = coarse[1] - coarse[0]
    fine = best[None, :] + np.linspace(-step, step, 20)[:, None]
    scores = np.array([_log_posterior(row, *args) for row in fine])
    return fine[np.argmax(np.nan_to_num(scores, nan=-np.inf), axis=0), np.arange(y.shape[1])]
