"""Dispersion estimates as R DESeq2: gene-wise (``estimateDispersionsGeneEst``) and MAP.

Both maximise R's log posterior of ``log(alpha)`` per gene (negative binomial
log-likelihood, Cox-Reid adjustment ``-1/2 log det(X'WX)``, optional normal prior) by
R's line search (gradient ascent with Armijo backtracking), with R's rules around it:
a gene-wise estimate whose log posterior gains less than a millionth keeps its starting
value, and genes that do not converge are refitted on a grid. The per-gene work is a
fused numba kernel (:func:`._kernels.fit_dispersions`).
"""

from __future__ import annotations

import numpy as np

from . import _kernels
from .glm import chunks

__all__ = ["genewise_dispersions", "map_dispersions"]


def genewise_dispersions(counts: np.ndarray, mu: np.ndarray, design: np.ndarray,
                         start: np.ndarray, *, min_disp: float = 1e-8,
                         max_disp: float = 10.0, min_mu: float = 0.0, max_iter: int = 100,
                         chunk_size: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """Gene-wise dispersion estimates as R ``estimateDispersionsGeneEst``.

    Parameters
    ----------
    counts, mu
        Samples x genes counts and fitted means.
    design
        Samples x coefficients design matrix (for the Cox-Reid adjustment).
    start
        Starting dispersions (rough / moments estimate, within the bounds).
    min_disp, max_disp
        Bounds of the estimates.
    min_mu
        Floor applied to ``mu`` (R's ``minmu``).
    max_iter
        Line-search iterations before the grid search takes over.
    chunk_size
        Genes processed at once (bounds memory).

    Returns
    -------
    Dispersions, and whether the line search converged.
    """
    return _fit(counts, mu, design, np.asarray(start, dtype=float),
                np.zeros(counts.shape[1]), prior_var=1.0, use_prior=False, min_disp=min_disp,
                max_disp=max_disp, min_mu=min_mu, max_iter=max_iter, chunk_size=chunk_size)


def map_dispersions(counts: np.ndarray, mu: np.ndarray, design: np.ndarray,
                    start: np.ndarray, trend: np.ndarray, *, prior_var: float,
                    min_disp: float = 1e-8, max_disp: float = 10.0, min_mu: float = 0.0,
                    max_iter: int = 100, chunk_size: int = 2000
                    ) -> tuple[np.ndarray, np.ndarray]:
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
    min_mu
        Floor applied to ``mu`` (R's ``minmu``).
    max_iter
        Line-search iterations before the grid search takes over.
    chunk_size
        Genes processed at once.

    Returns
    -------
    Dispersions, and whether the line search converged.
    """
    return _fit(counts, mu, design, np.asarray(start, dtype=float),
                np.log(np.asarray(trend, dtype=float)), prior_var=prior_var, use_prior=True,
                min_disp=min_disp, max_disp=max_disp, min_mu=min_mu, max_iter=max_iter,
                chunk_size=chunk_size)


def _fit(counts: np.ndarray, mu: np.ndarray, design: np.ndarray, start: np.ndarray,
         prior_mean: np.ndarray, *, prior_var: float, use_prior: bool, min_disp: float,
         max_disp: float, min_mu: float, max_iter: int, chunk_size: int
         ) -> tuple[np.ndarray, np.ndarray]:
    n_samples, n_genes = counts.shape
    # X'WX only depends on the distinct design rows (usually a handful of groups).
    rows, group = np.unique(np.asarray(design, dtype=float), axis=0, return_inverse=True)
    rows, group = np.ascontiguousarray(rows), np.ascontiguousarray(group.reshape(-1), np.int64)
    # R fitDispGrid: 20 points on log(1e-8)..log(max(10, n)), then 20 points within one
    # coarse step of the best one.
    coarse = np.linspace(np.log(1e-8), np.log(max(10, n_samples)), 20)
    fine = np.linspace(-(coarse[1] - coarse[0]), coarse[1] - coarse[0], 20)
    out = np.empty(n_genes)
    converged = np.empty(n_genes, dtype=bool)
    for genes in chunks(n_genes, chunk_size):
        y = np.ascontiguousarray(counts[:, genes].T, dtype=float)
        m = np.ascontiguousarray(np.maximum(mu[:, genes], min_mu).T)
        out[genes], converged[genes] = _kernels.fit_dispersions(
            y, m, rows, group, start[genes], prior_mean[genes], float(prior_var), use_prior,
            not use_prior, float(min_disp), float(max_disp), int(max_iter), coarse, fine)
    return out, converged
