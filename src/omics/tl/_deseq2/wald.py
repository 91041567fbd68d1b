"""Wald test of a contrast of negative binomial GLM coefficients, as R ``nbinomWaldTest``."""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

from .glm import chunks

__all__ = ["wald_test"]


def wald_test(design: np.ndarray, dispersions: np.ndarray, coefs: np.ndarray,
              mu: np.ndarray, ridge: np.ndarray, contrast: np.ndarray, *,
              min_mu: float = 0.5, chunk_size: int = 2000
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two-sided Wald test of ``contrast @ coefs`` per gene, vectorised over genes.

    As R's IRLS, the weights use means floored at ``min_mu``; the covariance is the
    ridge sandwich ``(X'WX + L)^-1 X'WX (X'WX + L)^-1``.

    Parameters
    ----------
    design
        Samples x coefficients design matrix.
    dispersions
        Per-gene dispersions.
    coefs
        Genes x coefficients (natural log scale).
    mu
        Samples x genes fitted means.
    ridge
        Coefficients x coefficients ridge ``L`` (natural log scale).
    contrast
        Weights of the coefficients.
    min_mu
        Floor of the means in the weights.
    chunk_size
        Genes processed at once.

    Returns
    -------
    P-values, Wald statistics and standard errors (natural log scale); NaN for genes
    with non-finite coefficients or dispersion.
    """
    n_genes = coefs.shape[0]
    lfc = np.full(n_genes, np.nan)
    se = np.full(n_genes, np.nan)
    ok = np.flatnonzero(np.isfinite(coefs).all(axis=1) & np.isfinite(dispersions))
    for part in chunks(ok.size, chunk_size):
        genes = ok[part]
        m = np.maximum(mu[:, genes], min_mu)
        w = m / (1.0 + m * dispersions[genes][None, :])
        xtwx = np.einsum("ni,ng,nj->gij", design, w, design)
        projected = np.linalg.inv(xtwx + ridge) @ contrast
        variance = np.einsum("gi,gij,gj->g", projected, xtwx, projected)
        lfc[genes] = coefs[genes] @ contrast
        se[genes] = np.sqrt(np.maximum(variance, 0))
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = lfc / se
    pvalue = 2 * norm.sf(np.abs(stat))
    return pvalue, stat, se
