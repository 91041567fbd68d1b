"""Variance of the log-dispersion prior as R DESeq2's ``estimateDispersionsPriorVar``."""

from __future__ import annotations

import numpy as np
from scipy.special import polygamma

from .._stats import loess_smooth, r_mad

__all__ = ["dispersion_prior_variance", "dispersion_prior_variance_monte_carlo"]

# Seed of the Monte-Carlo prior-variance search (R uses set.seed(2)).
_PRIOR_VAR_SEED = 2


def dispersion_prior_variance(residuals: np.ndarray, residual_df: int
                              ) -> tuple[float, float, str]:
    """Prior variance of log dispersions around the trend, by R DESeq2's rule.

    With more than three residual degrees of freedom the prior variance is the squared
    MAD of the log residuals minus its expected sampling variance
    (``trigamma(df / 2)``); with one to three it comes from
    :func:`dispersion_prior_variance_monte_carlo`. Either way it is at least 0.25.

    Parameters
    ----------
    residuals
        Log gene-wise dispersion minus log trend, for genes above ``100 * min_disp``.
    residual_df
        Samples minus model coefficients.

    Returns
    -------
    The prior variance, the squared MAD of the residuals (for the dispersion-outlier
    rule) and the method used (``"mad"``, ``"monte_carlo_kl"`` or ``"no_residual_df"``).
    """
    squared_mad = float(r_mad(residuals) ** 2)
    if 1 <= residual_df <= 3:
        return (dispersion_prior_variance_monte_carlo(residuals, residual_df), squared_mad,
                "monte_carlo_kl")
    if residual_df > 3:
        return (max(squared_mad - float(polygamma(1, residual_df / 2)), 0.25), squared_mad,
                "mad")
    return squared_mad, squared_mad, "no_residual_df"


def dispersion_prior_variance_monte_carlo(residuals: np.ndarray, residual_df: int, *,
                                          seed: int = _PRIOR_VAR_SEED,
                                          n_draws: int = 10_000) -> float:
    """Prior variance of log dispersions for 1-3 residual degrees of freedom.

    With so few degrees of freedom the sampling distribution of a log dispersion
    estimate is a skewed log chi-square, so R DESeq2 (``estimateDispersionsPriorVar``)
    matches distributions instead of moments: for 200 candidate variances on [0, 8] it
    simulates ``log(chisq_df / df) + N(0, variance)``, measures the Kullback-Leibler
    divergence of the observed residual histogram (bins of 0.5 on (-10, 10)) from the
    simulated one, smooths the divergences with R's ``loess`` (span 0.2) and
    takes the minimiser on a 1000-point grid, floored at 0.25.

    Parameters
    ----------
    residuals
        Log gene-wise dispersion minus log trend, for genes above the minimum dispersion.
    residual_df
        Samples minus model coefficients (1, 2 or 3).
    seed
        Seed of the random generator (the draws cannot reproduce R's, the estimate is
        stable to a few hundredths).
    n_draws
        Simulated residuals per candidate variance.

    Returns
    -------
    The prior variance.
    """
    breaks = np.arange(-20, 21) / 2
    observed = residuals[(residuals > breaks[0]) & (residuals < breaks[-1])]
    observed_density = _histogram_density(observed, breaks)
    grid = np.linspace(0, 8, 200)
    rng = np.random.default_rng(seed)
    divergences = np.empty(grid.size)
    for i, variance in enumerate(grid):
        simulated = (np.log(rng.chisquare(residual_df, n_draws))
                     + rng.normal(0.0, np.sqrt(variance), n_draws) - np.log(residual_df))
        simulated = simulated[(simulated > breaks[0]) & (simulated < breaks[-1])]
        simulated_density = _histogram_density(simulated, breaks)
        both = np.concatenate([observed_density, simulated_density])
        small = both[both > 0].min()
        divergences[i] = np.sum(observed_density * (np.log(observed_density + small)
                                                    - np.log(simulated_density + small)))
    fine_grid = np.linspace(0, 8, 1000)
    smoothed = loess_smooth(grid, divergences, fine_grid, span=0.2)
    return max(float(fine_grid[np.argmin(smoothed)]), 0.25)


def _histogram_density(values: np.ndarray, breaks: np.ndarray) -> np.ndarray:
    # Right-closed bins with the first one closed on both sides, as R's hist().
    bins = np.clip(np.searchsorted(breaks, values, side="left") - 1, 0, breaks.size - 2)
    counts = np.bincount(bins, minlength=breaks.size - 1)
    return counts / (values.size * np.diff(breaks))
