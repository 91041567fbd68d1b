"""The parametric dispersion trend ``a0 + a1 / mean`` as R DESeq2's ``parametricDispersionFit``."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

__all__ = ["gamma_trend_glm", "parametric_dispersion_trend"]

TrendGLM = Callable[..., tuple[np.ndarray, np.ndarray, bool]]


def parametric_dispersion_trend(means: np.ndarray, dispersions: np.ndarray, *,
                                min_disp: float = 1e-8, fit_glm: TrendGLM | None = None
                                ) -> tuple[float, float] | None:
    """Fit the dispersion trend ``a0 + a1 / mean`` the way R DESeq2 does.

    Parameters
    ----------
    means
        Mean normalised count per gene.
    dispersions
        Gene-wise dispersion estimates (NaN for all-zero genes).
    min_disp
        Minimum dispersion; genes within two orders of magnitude of it are not used.
    fit_glm
        The Gamma-family GLM, called as ``fit_glm(covariates, targets, start=...)``
        (the signature of pydeseq2's ``Inference.dispersion_trend_gamma_glm`` plus R's
        starting values); default :func:`gamma_trend_glm`.

    Returns
    -------
    ``(a0, a1)``, or ``None`` when the fit fails (a coefficient not positive, or no
    convergence in 11 rounds), where R would switch to a local fit.
    """
    fit_glm = fit_glm or gamma_trend_glm
    use = np.isfinite(dispersions) & np.isfinite(means) & (means > 0)
    use &= dispersions > 100 * min_disp
    if not use.any():
        return None
    inverse_means, disps = 1.0 / means[use], dispersions[use]
    coeffs = np.array([0.1, 1.0])
    for _ in range(11):
        ratio = disps / (coeffs[0] + coeffs[1] * inverse_means)
        good = (ratio > 1e-4) & (ratio < 15)
        old = coeffs
        coeffs, _, converged = fit_glm(pd.Series(inverse_means[good]), pd.Series(disps[good]),
                                       start=old)
        if not np.all(coeffs > 0):
            return None
        if np.sum(np.log(coeffs / old) ** 2) < 1e-6 and converged:
            return float(coeffs[0]), float(coeffs[1])
    return None

def gamma_trend_glm(covariates: pd.Series, targets: pd.Series, *,
                    start: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, bool]:
    """Gamma-family GLM ``targets ~ 1 + covariates`` with identity link, as R ``glm.fit``.

    Parameters
    ----------
    covariates
        Per gene ``1 / mean``.
    targets
        Per gene dispersion.
    start
        Starting coefficients (intercept first); R's ``c(0.1, 1)`` by default.

    Returns
    -------
    Coefficients (intercept first), fitted values, and whether IRLS converged.
    """
    x = np.asarray(covariates, dtype=float)
    coeffs, converged = _gamma_identity_glm(
        x, np.asarray(targets, dtype=float),
        start=np.array([0.1, 1.0]) if start is None else np.asarray(start, dtype=float))
    return coeffs, coeffs[0] + coeffs[1] * x, converged


def _gamma_identity_glm(x: np.ndarray, y: np.ndarray, start: np.ndarray, *,
                        max_iter: int = 25, tol: float = 1e-8) -> tuple[np.ndarray, bool]:
    # IRLS for y ~ Gamma(mean = b0 + b1 x); with the identity link the working response
    # is y itself and the working weights are 1 / mu^2. Convergence and step-halving
    # follow R's glm.fit.
    design = np.column_stack([np.ones_like(x), x])

    def deviance(mu: np.ndarray) -> float:
        return float(2 * np.sum(-np.log(y / mu) + (y - mu) / mu))

    coef = np.asarray(start, dtype=float)
    mu = design @ coef
    if np.any(mu <= 0):
        return coef, False
    dev_old = deviance(mu)
    for _ in range(max_iter):
        weights = 1.0 / mu**2
        gram = design.T @ (design * weights[:, None])
        new = np.linalg.solve(gram, design.T @ (weights * y))
        new_mu = design @ new
        halvings = 0
        while np.any(new_mu <= 0) and halvings < 30:
            new = (new + coef) / 2
            new_mu = design @ new
            halvings += 1
        if np.any(new_mu <= 0):
            return new, False
        coef, mu = new, new_mu
        dev = deviance(mu)
        if abs(dev - dev_old) / (abs(dev) + 0.1) < tol:
            return coef, True
        dev_old = dev
    return coef, False
