"""Negative binomial GLMs with log link, as R DESeq2's ``fitNbinomGLMs`` (IRLS)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import gammaln

from . import _kernels

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
        Samples x genes diagonal of the weighted hat matrix (``None`` when not asked for).
    converged
        Whether IRLS converged (else L-BFGS-B was used).
    """

    beta: np.ndarray
    mu: np.ndarray
    hat_diagonals: np.ndarray | None
    converged: np.ndarray


def nbinom_glm(counts: np.ndarray, size_factors: np.ndarray, design: np.ndarray,
               dispersions: np.ndarray, *, min_mu: float = 0.5, beta_tol: float = 1e-8,
               max_iter: int = 100, ridge_log2: float = 1e-6, max_beta: float = 30.0,
               chunk_size: int = 2000, with_hat: bool = True) -> GLMFit:
    """Fit negative binomial GLMs with log link as R DESeq2's ``fitNbinomGLMs``.

    IRLS (a fused numba kernel per gene) from the least-squares fit of
    ``log(normalised count + 0.1)``, with ridge
    ``ridge_log2 / log(2)^2`` and means floored at ``min_mu`` in the weights; stops
    when the relative change of deviance is below ``beta_tol``. Genes that diverge
    (a coefficient beyond ``max_beta``) or do not converge are refitted by L-BFGS-B on
    the penalised likelihood within ``[-max_beta, max_beta]`` (log2 scale), as R does.
    An intercept-only design uses R's closed form (log of the mean normalised count).

    Parameters
    ----------
    counts
        Samples x genes counts (any numeric dtype; converted block by block).
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
    with_hat
        Compute the hat diagonals (else ``GLMFit.hat_diagonals`` is ``None``).

    Returns
    -------
    The :class:`GLMFit`.
    """
    n_samples, n_genes = counts.shape
    n_coefs = design.shape[1]
    size_factors = np.asarray(size_factors, dtype=float)
    design = np.ascontiguousarray(design, dtype=float)
    dispersions = np.asarray(dispersions, dtype=float)
    ridge = np.eye(n_coefs) * ridge_log2 / np.log(2) ** 2
    beta = np.empty((n_genes, n_coefs))
    hat = np.empty((n_samples, n_genes)) if with_hat else None
    converged = np.ones(n_genes, dtype=bool)

    if n_coefs == 1 and np.all(design == 1):
        beta[:, 0] = np.log((np.asarray(counts, dtype=float) / size_factors[:, None]).mean(axis=0))
        mu = size_factors[:, None] * np.exp(beta[:, 0])[None, :]
        if not with_hat:
            return GLMFit(beta, mu, None, converged)
        w = 1.0 / (1.0 / mu + dispersions[None, :])
        return GLMFit(beta, mu, w / w.sum(axis=0), converged)

    q, r = np.linalg.qr(design)
    # The kernel computes X beta and X'WX over the distinct design rows.
    rows, group = np.unique(design, axis=0, return_inverse=True)
    rows, group = np.ascontiguousarray(rows), np.ascontiguousarray(group.reshape(-1), np.int64)
    start = np.empty((n_genes, n_coefs))
    for genes in chunks(n_genes, chunk_size):
        # genes x samples blocks: the kernel walks each gene's samples contiguously.
        y = np.ascontiguousarray(counts[:, genes].T, dtype=float)
        start[genes] = np.linalg.solve(r, (np.log(y / size_factors[None, :] + 0.1) @ q).T).T
        beta[genes], hat_block, converged[genes] = _kernels.irls(
            y, size_factors, rows, group, dispersions[genes], start[genes], ridge, float(min_mu),
            float(beta_tol), int(max_iter), float(max_beta), with_hat)
        if hat is not None:
            hat[:, genes] = hat_block.T
    for gene in np.flatnonzero(~converged):
        beta[gene], converged[gene] = _optimise_glm(
            np.asarray(counts[:, gene], dtype=float), size_factors, design, dispersions[gene],
            beta[gene], start[gene], ridge_log2=ridge_log2, max_beta=max_beta,
        )
    mu = design @ beta.T  # in place: one samples x genes array
    np.exp(mu, out=mu)
    mu *= size_factors[:, None]
    return GLMFit(beta, mu, hat, converged)


def chunks(n: int, size: int) -> list[slice]:
    """Consecutive blocks (slices, so indexing gives views) of at most ``size`` covering ``range(n)``."""
    return [slice(i, min(i + size, n)) for i in range(0, n, size)]


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
