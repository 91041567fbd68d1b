"""Negative binomial GLMs with log link, as R DESeq2's ``fitNbinomGLMs`` (IRLS)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import gammaln

__all__ = ["GLMFit", "nbinom_glm"]


@dataclass
class GLMFit:
    """Negative binomial GLM fit for many genes (natural-log coefficients).

    Attributes
    ----------
    beta
        Genes x coefficients.
    mu
        Samples x genes fitted means (not floored).
    hat_diagonals
        Samples x genes diagonal of the weighted hat matrix.
    converged
        Whether IRLS converged (else L-BFGS-B was used).
    """

    beta: np.ndarray
    mu: np.ndarray
    hat_diagonals: np.ndarray
    converged: np.ndarray


def nbinom_glm(counts: np.ndarray, size_factors: np.ndarray, design: np.ndarray,
               dispersions: np.ndarray, *, min_mu: float = 0.5, beta_tol: float = 1e-8,
               max_iter: int = 100, ridge_log2: float = 1e-6, max_beta: float = 30.0,
               chunk_size: int = 2000) -> GLMFit:
    """Fit negative binomial GLMs with log link as R DESeq2's ``fitNbinomGLMs``.

    IRLS from the least-squares fit of ``log(normalised count + 0.1)``, with ridge
    ``ridge_log2 / log(2)^2`` and means floored at ``min_mu`` in the weights; stops
    when the relative change of deviance is below ``beta_tol``. Genes that diverge
    (a coefficient beyond ``max_beta``) or do not converge are refitted by L-BFGS-B on
    the penalised likelihood within ``[-max_beta, max_beta]`` (log2 scale), as R does.
    An intercept-only design uses R's closed form (log of the mean normalised count).

    Parameters
    ----------
    counts
        Samples x genes counts.
    size_factors
        Per-sample size factors.
    design
        Samples x coefficients design matrix.
    dispersions
        Per-gene dispersions.
    min_mu
        Floor of the means used in the weights.
    beta_tol
        Convergence tolerance on the deviance.
    max_iter
        IRLS iterations before L-BFGS-B takes over.
    ridge_log2
        Ridge penalty per coefficient on the log2 scale.
    max_beta
        Bound on the absolute coefficients.
    chunk_size
        Genes processed at once.

    Returns
    -------
    The :class:`GLMFit`.
    """
    counts = np.asarray(counts, dtype=float)
    n_samples, n_genes = counts.shape
    n_coefs = design.shape[1]
    ridge = np.eye(n_coefs) * ridge_log2 / np.log(2) ** 2
    beta = np.empty((n_genes, n_coefs))
    hat = np.empty((n_samples, n_genes))
    converged = np.ones(n_genes, dtype=bool)
    normed = counts / size_factors[:, None]

    if n_coefs == 1 and np.all(design == 1):
        beta[:, 0] = np.log(normed.mean(axis=0))
        mu = size_factors[:, None] * np.exp(beta[:, 0])[None, :]
        w = 1.0 / (1.0 / mu + dispersions[None, :])
        return GLMFit(beta, mu, w / w.sum(axis=0), converged)

    q, r = np.linalg.qr(design)
    start = np.linalg.solve(r, q.T @ np.log(normed + 0.1)).T
    for genes in chunks(n_genes, chunk_size):
        beta[genes], hat[:, genes], converged[genes] = _irls(
            counts[:, genes], size_factors, design, dispersions[genes], start[genes],
            ridge=ridge, min_mu=min_mu, tol=beta_tol, max_iter=max_iter, max_beta=max_beta,
        )
    for gene in np.flatnonzero(~converged):
        beta[gene], converged[gene] = _optimise_glm(
            counts[:, gene], size_factors, design, dispersions[gene], beta[gene],
            start[gene], ridge_log2=ridge_log2, max_beta=max_beta,
        )
    mu = size_factors[:, None] * np.exp(design @ beta.T)
    return GLMFit(beta, mu, hat, converged)


def chunks(n: int, size: int) -> list[np.ndarray]:
    """Consecutive index blocks of at most ``size`` covering ``range(n)``."""
    return [np.arange(i, min(i + size, n)) for i in range(0, n, size)]


def weighted_gram(design: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Genes x p x p matrices ``X' diag(w_g) X`` (``weights`` samples x genes)."""
    n, p = design.shape
    outer = (design[:, :, None] * design[:, None, :]).reshape(n, p * p)
    return (weights.T @ outer).reshape(-1, p, p)


def nb_log_density(y: np.ndarray, mu: np.ndarray, dispersion: np.ndarray) -> np.ndarray:
    """Negative binomial log density (mean ``mu``, variance ``mu + dispersion mu^2``)."""
    size = 1.0 / dispersion
    return (gammaln(y + size) - gammaln(size) - gammaln(y + 1.0)
            + size * np.log(size / (size + mu)) + y * np.log(mu / (size + mu)))


def _irls(y: np.ndarray, size_factors: np.ndarray, design: np.ndarray,
          dispersions: np.ndarray, start: np.ndarray, *, ridge: np.ndarray,
          min_mu: float, tol: float, max_iter: int, max_beta: float
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # R fitBeta, all genes advancing together; a gene leaves the loop when it
    # converges, diverges (|beta| > max_beta) or its deviance is NaN.
    beta = start.copy()
    sf = size_factors[:, None]
    mu = np.maximum(sf * np.exp(design @ beta.T), min_mu)
    dev_old = np.zeros(beta.shape[0])
    n_iter = np.zeros(beta.shape[0], dtype=int)
    active = np.ones(beta.shape[0], dtype=bool)
    for t in range(max_iter):
        genes = np.flatnonzero(active)
        if genes.size == 0:
            break
        n_iter[genes] += 1
        m = mu[:, genes]
        w = m / (1.0 + dispersions[genes][None, :] * m)
        z = np.log(m / sf) + (y[:, genes] - m) / m
        gram = weighted_gram(design, w) + ridge
        rhs = (design.T @ (w * z)).T
        new = np.linalg.solve(gram, rhs[:, :, None])[:, :, 0]
        beta[genes] = new
        diverged = np.any(np.abs(new) > max_beta, axis=1)
        n_iter[genes[diverged]] = max_iter
        active[genes[diverged]] = False
        genes, new = genes[~diverged], new[~diverged]
        mu[:, genes] = np.maximum(sf * np.exp(design @ new.T), min_mu)
        dev = -2.0 * np.sum(nb_log_density(y[:, genes], mu[:, genes],
                                           dispersions[genes][None, :]), axis=0)
        change = np.abs(dev - dev_old[genes]) / (np.abs(dev) + 0.1)
        failed = np.isnan(change)
        n_iter[genes[failed]] = max_iter
        done = failed | ((t > 0) & (change < tol))
        active[genes[done]] = False
        dev_old[genes] = dev
    w = mu / (1.0 + dispersions[None, :] * mu)
    inverse = np.linalg.inv(weighted_gram(design, w) + ridge)
    hat = w * np.einsum("ni,gij,nj->ng", design, inverse, design)
    return beta, hat, n_iter < max_iter


def _optimise_glm(y: np.ndarray, size_factors: np.ndarray, design: np.ndarray,
                  dispersion: float, beta: np.ndarray, start: np.ndarray, *,
                  ridge_log2: float, max_beta: float) -> tuple[np.ndarray, bool]:
    # R fitNbinomGLMsOptim: L-BFGS-B on the log2-scale coefficients, normal prior with
    # variance 1 / ridge_log2, from the IRLS result when usable else the start.
    initial = beta if np.all(np.isfinite(beta)) and np.all(np.abs(beta) < max_beta) else start
    initial = initial / np.log(2)
    size = 1.0 / dispersion

    def objective(p: np.ndarray) -> tuple[float, np.ndarray]:
        mu = size_factors * np.exp2(design @ p)
        loglik = np.sum(nb_log_density(y, mu, np.asarray(dispersion)))
        value = -(loglik - 0.5 * ridge_log2 * np.sum(p**2))
        score = (y / mu - (y + size) / (size + mu)) * mu * np.log(2)
        gradient = -(design.T @ score) + ridge_log2 * p
        if not np.isfinite(value):
            return 1e300, np.zeros_like(p)
        return float(value), gradient

    result = minimize(objective, initial, jac=True, method="L-BFGS-B",
                      bounds=[(-max_beta, max_beta)] * design.shape[1])
    return result.x * np.log(2), bool(result.success)
