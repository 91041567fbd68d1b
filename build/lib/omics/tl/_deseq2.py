"""RNA differential expression with pydeseq2, aligned with R DESeq2 1.38.

pydeseq2 implements the DESeq2 recipe, but several steps differ from R in ways that
move dispersions and adjusted p-values, most on small designs. :class:`RDeseqDataSet`
subclasses pydeseq2's ``DeseqDataSet`` and replaces those steps by R DESeq2 1.38's
rules (same defaults as ``DESeq()`` and ``results()``):

- *Dispersion prior variance.* With 1 to 3 residual degrees of freedom R does not
  use the MAD of the log-dispersion residuals (their distribution is a skewed log
  chi-square): it picks the variance whose simulated residual distribution is closest
  in Kullback-Leibler divergence to the observed histogram, smoothing the divergences
  with ``loess``. pydeseq2 only warns. R's MAD constant (1.4826) is used otherwise.
- *Gene-wise and MAP dispersions.* R's line search (Armijo steps on log dispersion)
  and its rules around it: a gene whose log posterior gains less than a millionth
  keeps its starting value, non-converged genes are refitted on a grid, GLM means are
  floored at ``min_mu``. pydeseq2's L-BFGS-B optimum can differ from R's estimate by
  a factor of two or more for such genes. Vectorised over genes, so also faster.
- *Dispersion trend.* The Gamma-family GLM ``a0 + a1 / mean`` is fitted by IRLS on
  genes with dispersion above ``100 * min_disp``, re-selecting genes within
  ``[1e-4, 15)`` times the current curve at every round.
- *Size factors.* When every gene has a zero R's ``"ratio"`` estimator stops; we use
  R's ``"poscounts"`` (what R users switch to) instead of pydeseq2's ``"iterative"``.
- *Outlier refit.* Genes with replaced Cook's outliers (cells of 7 or more samples)
  are refitted with the same estimators; filtering then uses Cook's distances with
  the replaceable samples set to zero, as R.
- *Results.* Wald standard errors use means floored at ``min_mu`` and R's ridge;
  independent filtering uses R's ``lowess`` (statsmodels' implementation matches it),
  not pydeseq2's approximation; contrasts whose samples are all zero get R's
  ``log2FoldChange = 0, pvalue = 1``.

- *Coefficients.* R's IRLS (ridge ``1e-6`` on the log2 scale, ``min_mu`` floor,
  L-BFGS-B for genes that do not converge), vectorised over genes.

Cook's distances, outlier replacement and apeGLM shrinkage are pydeseq2's.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from pydeseq2.dds import DeseqDataSet
from pydeseq2.default_inference import DefaultInference
from pydeseq2.ds import DeseqStats
from scipy.optimize import minimize
from scipy.special import digamma, gammaln, polygamma
from scipy.stats import false_discovery_control, norm
from statsmodels.nonparametric.smoothers_lowess import lowess

__all__ = ["RESULT_COLUMNS", "RDeseqDataSet", "deseq2_fit", "deseq2_results", "deseq2_vst"]

RESULT_COLUMNS = ["baseMean", "log2FoldChange", "lfcSE", "stat", "pvalue", "padj"]

# R's mad() scales by this constant, not by 1 / qnorm(0.75).
_MAD_CONSTANT = 1.4826
# Seed of the Monte-Carlo prior-variance search (R uses set.seed(2)).
_PRIOR_VAR_SEED = 2
# R's vst() fits the dispersion trend on this many genes with mean normalised count > 5.
_VST_NSUB = 1000


class RDeseqDataSet(DeseqDataSet):
    """pydeseq2 ``DeseqDataSet`` whose estimates follow R DESeq2 1.38.

    Takes the same arguments as :class:`pydeseq2.dds.DeseqDataSet`. Overrides size
    factors, gene-wise dispersions, the dispersion trend and prior, MAP dispersions and
    the outlier refit (see the module docstring); ``uns["dispersion_prior_method"]``
    records which prior-variance estimator was used.
    """

    def fit_size_factors(
        self,
        fit_type: Literal["ratio", "poscounts", "iterative"] | None = None,
        control_genes: np.ndarray | list[str] | list[int] | pd.Index | None = None,
    ) -> None:
        """Fit size factors; use R's ``poscounts`` when every gene has a zero.

        Parameters
        ----------
        fit_type
            ``"ratio"``, ``"poscounts"`` or ``"iterative"``; defaults to the value given
            at construction.
        control_genes
            Genes to compute the size factors from (``"ratio"`` only).
        """
        fit_type = fit_type or self.size_factors_fit_type
        counts = np.asarray(self.X)
        if fit_type == "poscounts" or (fit_type == "ratio" and (counts == 0).any(0).all()):
            if fit_type == "ratio":
                warnings.warn(
                    "Every gene has at least one zero count, so median-of-ratios size "
                    "factors are undefined; using DESeq2's 'poscounts' estimator.",
                    UserWarning,
                    stacklevel=2,
                )
            self._fit_poscounts_size_factors(counts)
            return
        super().fit_size_factors(fit_type=fit_type, control_genes=control_genes)

    def _fit_poscounts_size_factors(self, counts: np.ndarray) -> None:
        # R: geometric mean over all samples with zeros contributing log(1) = 0, genes
        # with a zero geometric mean dropped; median of log ratios over positive counts.
        positive = counts > 0
        log_counts = np.log(np.where(positive, counts, 1.0))
        logmeans = np.where(positive.any(axis=0), log_counts.sum(axis=0) / counts.shape[0],
                            -np.inf)
        usable = np.isfinite(logmeans)
        log_ratios = np.where(positive & usable, log_counts - logmeans, np.nan)
        size_factors = np.exp(np.nanmedian(log_ratios, axis=1))
        size_factors /= np.exp(np.mean(np.log(size_factors)))
        self.logmeans, self.filtered_genes = logmeans, usable
        self.obs["size_factors"] = size_factors
        self.layers["normed_counts"] = counts / size_factors[:, None]
        self.var["_normed_means"] = self.layers["normed_counts"].mean(axis=0)

    def _fit_parametric_dispersion_trend(self, vst: bool = False) -> None:
        """Fit R's parametric trend ``a0 + a1 / mean``; fall back to the mean trend.

        Parameters
        ----------
        vst
            Whether the trend is for the variance-stabilising transformation.
        """
        column = "vst_genewise_dispersions" if vst else "genewise_dispersions"
        if column not in self.var:
            self.fit_genewise_dispersions(vst)
        coeffs = parametric_dispersion_trend(
            self.var["_normed_means"].to_numpy(float),
            self.var[column].to_numpy(float),
            min_disp=self.min_disp,
        )
        if coeffs is None:
            # R switches to a local (locfit) trend here; pydeseq2 has only the mean.
            warnings.warn(
                "The parametric dispersion trend did not converge; using the mean "
                "dispersion as the trend (R DESeq2 would use a local fit).",
                UserWarning,
                stacklevel=2,
            )
            self._fit_mean_dispersion_trend(vst)
            return
        trend = pd.Series(coeffs, index=["a0", "a1"])
        if vst:
            self.uns["vst_trend_coeffs"] = trend
            return
        self.uns["trend_coeffs"] = trend
        self.uns["disp_function_type"] = "parametric"
        self.var["fitted_dispersions"] = np.full(self.n_vars, np.nan)
        non_zero = self.var["non_zero"].to_numpy(bool)
        self.var.loc[non_zero, "fitted_dispersions"] = self.disp_function(
            self.var.loc[non_zero, "_normed_means"]
        )

    def fit_genewise_dispersions(self, vst: bool = False) -> None:
        """Fit gene-wise dispersions with R DESeq2's line search.

        Starts from the smaller of the rough and moment estimates, with means from a
        linear model (one coefficient per group) or a GLM, floored at ``min_mu``. As in
        R, a gene whose log posterior does not increase by more than a millionth keeps
        its starting value, and genes that did not converge (or stopped after one step)
        are refitted on a grid.

        Parameters
        ----------
        vst
            Store the results under the VST names (``vst_genewise_dispersions``).
        """
        if "size_factors" not in self.obs:
            self.fit_size_factors(fit_type=self.size_factors_fit_type)
        counts = np.asarray(self.X)
        non_zero = ~(counts == 0).all(axis=0)
        self.var["non_zero"] = non_zero
        self.non_zero_idx = np.flatnonzero(non_zero)
        self.non_zero_genes = self.var_names[non_zero]
        self._fit_MoM_dispersions()

        design = self.obsm["design_matrix"].to_numpy(float)
        size_factors = self.obs["size_factors"].to_numpy(float)
        counts_nz = counts[:, non_zero].astype(float)
        start = self.var.loc[non_zero, "_MoM_dispersions"].to_numpy(float)
        n_groups = len(np.unique(design, axis=0))
        if n_groups == design.shape[1]:
            normed = counts_nz / size_factors[:, None]
            coef = np.linalg.lstsq(design, normed, rcond=None)[0]
            mu = size_factors[:, None] * (design @ coef)
        else:
            mu = nbinom_glm(counts_nz, size_factors, design, start, min_mu=self.min_mu,
                            beta_tol=self.beta_tol).mu
        mu = np.maximum(mu, self.min_mu)

        dispersions, converged = genewise_dispersions(
            counts_nz, mu, design, start, min_disp=self.min_disp, max_disp=self.max_disp
        )
        mu_name = "_vst_mu_hat" if vst else "_mu_hat"
        disp_name = "vst_genewise_dispersions" if vst else "genewise_dispersions"
        self.layers[mu_name] = np.full((self.n_obs, self.n_vars), np.nan)
        self.layers[mu_name][:, non_zero] = mu
        self.var[disp_name] = np.full(self.n_vars, np.nan)
        self.var.loc[non_zero, disp_name] = dispersions
        self.var["_genewise_converged"] = pd.array([pd.NA] * self.n_vars, dtype="boolean")
        self.var.loc[non_zero, "_genewise_converged"] = converged

    def fit_dispersion_prior(self) -> None:
        """Fit the variance of the log-dispersion prior as R DESeq2 does.

        Uses genes with gene-wise dispersion at least ``100 * min_disp``. With more than
        three residual degrees of freedom the prior variance is the squared MAD of the
        log residuals minus its expected sampling variance; with one to three it comes
        from :func:`dispersion_prior_variance_monte_carlo`. Either way it is at least
        0.25. The squared MAD is kept in ``uns["_squared_logres"]`` for the
        dispersion-outlier rule.
        """
        if "fitted_dispersions" not in self.var:
            self.fit_dispersion_trend()
        non_zero = self.var["non_zero"].to_numpy(bool)
        genewise = self.var["genewise_dispersions"].to_numpy(float)[non_zero]
        fitted = self.var["fitted_dispersions"].to_numpy(float)[non_zero]
        above_min = genewise >= 100 * self.min_disp
        if not above_min.any():
            raise ValueError(
                f"all gene-wise dispersion estimates are below {100 * self.min_disp:g}; "
                "the dispersion prior cannot be estimated."
            )
        residuals = (np.log(genewise) - np.log(fitted))[above_min]
        squared_mad = float(_r_mad(residuals) ** 2)
        n_samples, n_coefs = self.obsm["design_matrix"].shape
        residual_df = n_samples - n_coefs
        if 1 <= residual_df <= 3:
            prior_var = dispersion_prior_variance_monte_carlo(residuals, residual_df)
            method = "monte_carlo_kl"
        elif residual_df > 3:
            prior_var = max(squared_mad - float(polygamma(1, residual_df / 2)), 0.25)
            method = "mad"
        else:
            prior_var = squared_mad
            method = "no_residual_df"
        self.uns["_squared_logres"] = np.float64(squared_mad)
        self.uns["prior_disp_var"] = np.float64(prior_var)
        self.uns["dispersion_prior_method"] = method

    def fit_MAP_dispersions(self) -> None:
        """Fit maximum a posteriori dispersions with R DESeq2's line search.

        Starts from the gene-wise estimate (or the trend when the estimate is below a
        tenth of it), with a normal prior on the log dispersion centred on the trend;
        genes that do not converge are refitted on a grid. Genes whose gene-wise
        estimate is more than two MADs above the trend keep the gene-wise estimate.
        """
        if "prior_disp_var" not in self.uns:
            self.fit_dispersion_prior()
        non_zero = self.var["non_zero"].to_numpy(bool)
        genewise = self.var["genewise_dispersions"].to_numpy(float)[non_zero]
        fitted = self.var["fitted_dispersions"].to_numpy(float)[non_zero]
        start = np.where(genewise > 0.1 * fitted, genewise, fitted)
        start = np.where(np.isnan(start), fitted, start)
        dispersions, converged = map_dispersions(
            np.asarray(self.X)[:, non_zero].astype(float),
            self.layers["_mu_hat"][:, non_zero],
            self.obsm["design_matrix"].to_numpy(float),
            start,
            fitted,
            prior_var=float(self.uns["prior_disp_var"]),
            min_disp=self.min_disp,
            max_disp=self.max_disp,
        )
        self.var["MAP_dispersions"] = np.full(self.n_vars, np.nan)
        self.var.loc[non_zero, "MAP_dispersions"] = dispersions
        self.var["_MAP_converged"] = pd.array([pd.NA] * self.n_vars, dtype="boolean")
        self.var.loc[non_zero, "_MAP_converged"] = converged

        all_genewise = self.var["genewise_dispersions"].to_numpy(float)
        all_fitted = self.var["fitted_dispersions"].to_numpy(float)
        with np.errstate(invalid="ignore"):
            outlier = np.log(all_genewise) > (np.log(all_fitted)
                                              + 2 * np.sqrt(float(self.uns["_squared_logres"])))
        self.var["_outlier_genes"] = outlier
        self.var["dispersions"] = np.where(outlier, all_genewise,
                                           self.var["MAP_dispersions"].to_numpy(float))
        if self.low_memory:
            del self.layers["_mu_hat"]

    def fit_LFC(self) -> None:  # noqa: N802 (pydeseq2's name)
        """Fit the negative binomial GLM coefficients as R ``nbinomWaldTest``.

        IRLS with R's ridge (``1e-6`` on the log2 scale) and means floored at
        ``min_mu`` in the weights, vectorised over genes; genes that do not converge in
        100 iterations are refitted by L-BFGS-B, as R does.
        """
        if "dispersions" not in self.var:
            self.fit_MAP_dispersions()
        non_zero = self.var["non_zero"].to_numpy(bool)
        design = self.obsm["design_matrix"]
        fit = nbinom_glm(
            np.asarray(self.X)[:, non_zero].astype(float),
            self.obs["size_factors"].to_numpy(float),
            design.to_numpy(float),
            self.var.loc[non_zero, "dispersions"].to_numpy(float),
            min_mu=self.min_mu,
            beta_tol=self.beta_tol,
        )
        lfc = np.full((self.n_vars, design.shape[1]), np.nan)
        lfc[non_zero] = fit.beta
        self.varm["LFC"] = pd.DataFrame(lfc, index=self.var_names, columns=design.columns)
        self.obsm["_mu_LFC"] = fit.mu
        self.obsm["_hat_diagonals"] = fit.hat_diagonals
        self.var["_LFC_converged"] = pd.array([pd.NA] * self.n_vars, dtype="boolean")
        self.var.loc[non_zero, "_LFC_converged"] = fit.converged

    def refit(self) -> None:
        """Replace Cook's outliers and refit the genes concerned.

        The gene-wise dispersions of the original counts are kept in
        ``var["_genewise_dispersions_original"]`` for :func:`deseq2_vst`.
        """
        self.var["_genewise_dispersions_original"] = self.var["genewise_dispersions"].copy()
        super().refit()

    def _refit_without_outliers(self) -> None:
        # R refitWithoutOutliers: genes with replaced counts are refitted with the same
        # size factors, dispersion trend and prior variance; the maximum Cook's distance
        # used for filtering then ignores the samples that were replaceable.
        if "replaced" not in self.var:
            self._replace_outliers()
        replaced = self.var["replaced"].to_numpy(bool)
        new_counts = np.asarray(self.counts_to_refit.X)
        new_all_zero = (new_counts == 0).all(axis=0)
        self.new_all_zeroes_genes = self.counts_to_refit.var_names[new_all_zero]
        refitted = replaced.copy()
        refitted[replaced] = ~new_all_zero
        self.var["refitted"] = refitted
        if new_all_zero.any():
            self.var.loc[self.new_all_zeroes_genes, "_normed_means"] = 0.0
            self.varm["LFC"].loc[self.new_all_zeroes_genes, :] = 0.0
        if not refitted.any():
            return

        sub = type(self)(
            counts=pd.DataFrame(new_counts[:, ~new_all_zero], index=self.obs_names,
                                columns=self.var_names[refitted]),
            metadata=self.obs,
            design=self.obsm["design_matrix"],
            min_mu=self.min_mu,
            min_disp=self.min_disp,
            max_disp=self.max_disp,
            refit_cooks=False,
            beta_tol=self.beta_tol,
            inference=self.inference,
            quiet=True,
        )
        sub.obs["size_factors"] = self.obs["size_factors"].to_numpy(float)
        sub.layers["normed_counts"] = np.asarray(sub.X) / sub.obs["size_factors"].to_numpy()[:, None]
        sub.var["_normed_means"] = sub.layers["normed_counts"].mean(axis=0)
        sub.fit_genewise_dispersions()
        for key in ("disp_function_type", "trend_coeffs", "mean_disp"):
            if key in self.uns:
                sub.uns[key] = self.uns[key]
        sub.var["fitted_dispersions"] = np.asarray(
            sub.disp_function(sub.var["_normed_means"].to_numpy(float)), dtype=float)
        sub.uns["_squared_logres"] = self.uns["_squared_logres"]
        sub.uns["prior_disp_var"] = self.uns["prior_disp_var"]
        sub.fit_MAP_dispersions()
        sub.fit_LFC()

        for column in ("_normed_means", "genewise_dispersions", "fitted_dispersions",
                       "MAP_dispersions", "dispersions"):
            self.var.loc[refitted, column] = sub.var[column].to_numpy()
        self.varm["LFC"].loc[refitted, :] = sub.varm["LFC"].to_numpy()
        replace_cooks = self.layers["cooks"].copy()
        replace_cooks[self.obs["replaceable"].to_numpy(bool), :] = 0.0
        self.layers["replace_cooks"] = replace_cooks


def _r_mad(values: np.ndarray) -> float:
    center = np.median(values)
    return _MAD_CONSTANT * float(np.median(np.abs(values - center)))


def parametric_dispersion_trend(means: np.ndarray, dispersions: np.ndarray, *,
                                min_disp: float = 1e-8) -> tuple[float, float] | None:
    """Fit the dispersion trend ``a0 + a1 / mean`` the way R DESeq2 does.

    Parameters
    ----------
    means
        Mean normalised count per gene.
    dispersions
        Gene-wise dispersion estimates (NaN for all-zero genes).
    min_disp
        Minimum dispersion; genes within two orders of magnitude of it are not used.

    Returns
    -------
    ``(a0, a1)``, or ``None`` when the fit fails (a coefficient not positive, or no
    convergence in 11 rounds), where R would switch to a local fit.
    """
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
        coeffs, converged = _gamma_identity_glm(inverse_means[good], disps[good], start=old)
        if not np.all(coeffs > 0):
            return None
        if np.sum(np.log(coeffs / old) ** 2) < 1e-6 and converged:
            return float(coeffs[0]), float(coeffs[1])
    return None


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
               max_iter: int = 100, ridge_log2: float = 1e-6,
               chunk_size: int = 2000) -> GLMFit:
    """Fit negative binomial GLMs with log link as R DESeq2's ``fitNbinomGLMs``.

    IRLS from the least-squares fit of ``log(normalised count + 0.1)``, with ridge
    ``ridge_log2 / log(2)^2`` and means floored at ``min_mu`` in the weights; stops
    when the relative change of deviance is below ``beta_tol``. Genes that diverge
    (a coefficient beyond 30) or do not converge are refitted by L-BFGS-B on the
    penalised likelihood within ``[-30, 30]`` (log2 scale), as R does. An
    intercept-only design uses R's closed form (log of the mean normalised count).

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
    chunk_size
        Genes processed at once.

    Returns
    -------
    The :class:`GLMFit`.
    """
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
    for genes in _chunks(n_genes, chunk_size):
        beta[genes], hat[:, genes], converged[genes] = _irls(
            counts[:, genes], size_factors, design, dispersions[genes], start[genes],
            ridge=ridge, min_mu=min_mu, tol=beta_tol, max_iter=max_iter,
        )
    for gene in np.flatnonzero(~converged):
        beta[gene], converged[gene] = _optimise_glm(
            counts[:, gene], size_factors, design, dispersions[gene], beta[gene],
            start[gene], ridge_log2=ridge_log2,
        )
    mu = size_factors[:, None] * np.exp(design @ beta.T)
    return GLMFit(beta, mu, hat, converged)


def _nb_log_density(y: np.ndarray, mu: np.ndarray, dispersion: np.ndarray) -> np.ndarray:
    size = 1.0 / dispersion
    return (gammaln(y + size) - gammaln(size) - gammaln(y + 1.0)
            + size * np.log(size / (size + mu)) + y * np.log(mu / (size + mu)))


def _irls(y: np.ndarray, size_factors: np.ndarray, design: np.ndarray,
          dispersions: np.ndarray, start: np.ndarray, *, ridge: np.ndarray,
          min_mu: float, tol: float, max_iter: int
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # R fitBeta, all genes advancing together; a gene leaves the loop when it
    # converges, diverges (|beta| > 30) or its deviance is NaN.
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
        gram = _weighted_gram(design, w) + ridge
        rhs = (design.T @ (w * z)).T
        new = np.linalg.solve(gram, rhs[:, :, None])[:, :, 0]
        beta[genes] = new
        diverged = np.any(np.abs(new) > 30.0, axis=1)
        n_iter[genes[diverged]] = max_iter
        active[genes[diverged]] = False
        genes, new = genes[~diverged], new[~diverged]
        mu[:, genes] = np.maximum(sf * np.exp(design @ new.T), min_mu)
        dev = -2.0 * np.sum(_nb_log_density(y[:, genes], mu[:, genes],
                                            dispersions[genes][None, :]), axis=0)
        change = np.abs(dev - dev_old[genes]) / (np.abs(dev) + 0.1)
        failed = np.isnan(change)
        n_iter[genes[failed]] = max_iter
        done = failed | ((t > 0) & (change < tol))
        active[genes[done]] = False
        dev_old[genes] = dev
    w = mu / (1.0 + dispersions[None, :] * mu)
    inverse = np.linalg.inv(_weighted_gram(design, w) + ridge)
    hat = w * np.einsum("ni,gij,nj->ng", design, inverse, design)
    return beta, hat, n_iter < max_iter


def _optimise_glm(y: np.ndarray, size_factors: np.ndarray, design: np.ndarray,
                  dispersion: float, beta: np.ndarray, start: np.ndarray, *,
                  ridge_log2: float) -> tuple[np.ndarray, bool]:
    # R fitNbinomGLMsOptim: L-BFGS-B on the log2-scale coefficients, normal prior with
    # variance 1 / ridge_log2, from the IRLS result when usable else the start.
    initial = beta if np.all(np.isfinite(beta)) and np.all(np.abs(beta) < 30) else start
    initial = initial / np.log(2)
    size = 1.0 / dispersion

    def objective(p: np.ndarray) -> tuple[float, np.ndarray]:
        mu = size_factors * np.exp2(design @ p)
        loglik = np.sum(_nb_log_density(y, mu, np.asarray(dispersion)))
        value = -(loglik - 0.5 * ridge_log2 * np.sum(p**2))
        score = (y / mu - (y + size) / (size + mu)) * mu * np.log(2)
        gradient = -(design.T @ score) + ridge_log2 * p
        if not np.isfinite(value):
            return 1e300, np.zeros_like(p)
        return float(value), gradient

    result = minimize(objective, initial, jac=True, method="L-BFGS-B",
                      bounds=[(-30.0, 30.0)] * design.shape[1])
    return result.x * np.log(2), bool(result.success)


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
    for genes in _chunks(counts.shape[1], chunk_size):
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
    for genes in _chunks(counts.shape[1], chunk_size):
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


def _chunks(n: int, size: int) -> list[np.ndarray]:
    return [np.arange(i, min(i + size, n)) for i in range(0, n, size)]


def _weighted_gram(design: np.ndarray, weights: np.ndarray) -> np.ndarray:
    # genes x p x p matrices X' diag(w_g) X, as one matrix product.
    n, p = design.shape
    outer = (design[:, :, None] * design[:, None, :]).reshape(n, p * p)
    return (weights.T @ outer).reshape(-1, p, p)


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
    sign, logdet = np.linalg.slogdet(_weighted_gram(design, 1.0 / (1.0 / mu + alpha)))
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
    gram = _weighted_gram(design, w)
    dgram = _weighted_gram(design, -(w**2))
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


def deseq2_fit(counts: pd.DataFrame, design: pd.DataFrame, *, n_cpus: int = 1,
               quiet: bool = True) -> RDeseqDataSet:
    """Fit DESeq2's negative binomial GLMs, matching R ``DESeq()`` defaults.

    Parameters
    ----------
    counts
        Samples x genes non-negative integer counts (validated and filtered).
    design
        Samples x coefficients design matrix with R ``model.matrix`` column names,
        including ``"(Intercept)"``; rows are matched to ``counts`` by sample id.
    n_cpus
        Worker processes for pydeseq2's per-gene steps (only the apeGLM shrinkage of
        :func:`deseq2_results`; the fitting here is vectorised over genes).
    quiet
        Silence pydeseq2's progress messages.

    Returns
    -------
    The fitted dataset: size factors in ``obs["size_factors"]``, dispersions and
    Cook's flags in ``var``, natural-log coefficients in ``varm["LFC"]``.

    Raises
    ------
    ValueError
        If samples of ``counts`` are missing from ``design``, or the design is not full
        rank or leaves no residual degrees of freedom.
    """
    missing = counts.index.difference(design.index)
    if len(missing):
        raise ValueError(f"design matrix lacks sample(s) {', '.join(map(str, missing))}.")
    design = design.loc[counts.index].astype(float)
    if np.linalg.matrix_rank(design.to_numpy()) < design.shape[1]:
        raise ValueError("the design matrix is not full rank.")
    if design.shape[0] <= design.shape[1]:
        raise ValueError("the design has no residual degrees of freedom (samples <= "
                         "coefficients), so dispersions cannot be estimated.")
    dds = RDeseqDataSet(
        counts=counts,
        metadata=pd.DataFrame(index=counts.index),
        design=design,
        refit_cooks=True,
        min_replicates=7,
        inference=DefaultInference(n_cpus=n_cpus),
        quiet=quiet,
    )
    dds.deseq2()
    return dds


def deseq2_results(dds: DeseqDataSet, contrast: pd.Series, *, alpha: float = 0.1,
                   cooks_filter: bool = True, independent_filter: bool = True,
                   shrink: bool = False) -> pd.DataFrame:
    """Wald test of a contrast, as R ``results()`` with ``betaPrior = FALSE``.

    Parameters
    ----------
    dds
        Dataset fitted by :func:`deseq2_fit`.
    contrast
        Weights indexed by design columns (absent columns weigh 0); positive
        ``log2FoldChange`` means the weighted combination is higher.
    alpha
        FDR level that independent filtering maximises rejections at.
    cooks_filter
        Set p-values of genes with a Cook's distance outlier to NaN.
    independent_filter
        Choose the mean-count threshold maximising rejections, as R ``results()``;
        otherwise plain Benjamini-Hochberg.
    shrink
        Add ``log2FoldChange_shrunk`` (apeGLM-style shrinkage of a single coefficient).

    Returns
    -------
    One row per gene (order of the counts): ``baseMean, log2FoldChange, lfcSE, stat,
    pvalue, padj`` (+ ``log2FoldChange_shrunk``); NaN where R reports NA.

    Raises
    ------
    ValueError
        If the contrast names unknown coefficients or is all zero, or if ``shrink`` is
        asked for a contrast that is not a single coefficient.
    """
    design = dds.obsm["design_matrix"]
    unknown = contrast.index.difference(design.columns)
    if len(unknown):
        raise ValueError(
            f"contrast names coefficient(s) {', '.join(map(str, unknown))} not in the design "
            f"({', '.join(map(str, design.columns))})."
        )
    weights = contrast.reindex(design.columns, fill_value=0.0).to_numpy(float)
    if not weights.any():
        raise ValueError("the contrast is all zero.")

    lfc_ln, se_ln, stat, pvalue = _wald_test(dds, weights)
    base_mean = dds.var["_normed_means"].to_numpy(float).copy()
    non_zero = dds.var["non_zero"].to_numpy(bool)

    all_zero_in_contrast = _contrast_all_zero(dds, weights) & non_zero
    lfc_ln[all_zero_in_contrast] = 0.0
    stat[all_zero_in_contrast] = 0.0
    pvalue[all_zero_in_contrast] = 1.0

    if "refitted" in dds.var and getattr(dds, "new_all_zeroes_genes", None) is not None:
        # Genes whose counts became all zero after outlier replacement: R reports NA.
        lost = dds.var_names.isin(dds.new_all_zeroes_genes)
        base_mean[lost] = 0.0
        for values in (lfc_ln, se_ln, stat, pvalue):
            values[lost] = np.nan

    if cooks_filter:
        pvalue[dds.cooks_outlier().to_numpy(bool)] = np.nan

    if independent_filter:
        padj = independent_filtering(base_mean, pvalue, alpha=alpha)
    else:
        padj = _bh(pvalue)

    results = pd.DataFrame(
        {
            "baseMean": base_mean,
            "log2FoldChange": lfc_ln / np.log(2),
            "lfcSE": se_ln / np.log(2),
            "stat": stat,
            "pvalue": pvalue,
            "padj": padj,
        },
        index=dds.var_names.copy(),
    )
    results.index.name = "gene_id"
    if shrink:
        results["log2FoldChange_shrunk"] = _shrunk_lfc(dds, weights, design.columns)
    return results


def _wald_test(dds: DeseqDataSet, weights: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    # Vectorised over genes. Like R's IRLS, the weights use means floored at min_mu,
    # and the covariance is the ridge sandwich (X'WX + L)^-1 X'WX (X'WX + L)^-1 with
    # R's lambda = 1e-6 on the log2 scale.
    design = dds.obsm["design_matrix"].to_numpy(float)
    coefs = dds.varm["LFC"].to_numpy(float)
    dispersions = dds.var["dispersions"].to_numpy(float)
    size_factors = dds.obs["size_factors"].to_numpy(float)
    n_genes = coefs.shape[0]
    lfc = np.full(n_genes, np.nan)
    se = np.full(n_genes, np.nan)
    ok = np.isfinite(coefs).all(axis=1) & np.isfinite(dispersions)
    ridge = np.eye(design.shape[1]) * 1e-6 / np.log(2) ** 2
    for chunk in np.array_split(np.flatnonzero(ok), max(1, int(ok.sum()) // 2000 + 1)):
        if chunk.size == 0:
            continue
        mu = np.maximum(size_factors[:, None] * np.exp(design @ coefs[chunk].T), dds.min_mu)
        w = mu / (1.0 + mu * dispersions[chunk][None, :])
        xtwx = np.einsum("ni,ng,nj->gij", design, w, design)
        inverse = np.linalg.inv(xtwx + ridge)
        projected = inverse @ weights
        variance = np.einsum("gi,gij,gj->g", projected, xtwx, projected)
        lfc[chunk] = coefs[chunk] @ weights
        se[chunk] = np.sqrt(np.maximum(variance, 0))
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = lfc / se
    pvalue = 2 * norm.sf(np.abs(stat))
    return lfc, se, stat, pvalue


def _contrast_all_zero(dds: DeseqDataSet, weights: np.ndarray) -> np.ndarray:
    # R (contrastAllZeroNumeric): for contrasts with both signs, genes whose samples
    # touched by the contrast's coefficients are all zero get LFC 0 and p-value 1.
    if np.all(weights >= 0) or np.all(weights <= 0):
        return np.zeros(dds.n_vars, dtype=bool)
    design = dds.obsm["design_matrix"].to_numpy(float)
    touched = design @ (weights != 0).astype(float) != 0
    return np.asarray(dds.X)[touched].sum(axis=0) == 0


def _bh(pvalue: np.ndarray) -> np.ndarray:
    padj = np.full(pvalue.shape, np.nan)
    tested = ~np.isnan(pvalue)
    if tested.any():
        padj[tested] = false_discovery_control(pvalue[tested], method="bh")
    return padj


def independent_filtering(base_mean: np.ndarray, pvalue: np.ndarray, *,
                          alpha: float = 0.1) -> np.ndarray:
    """Adjust p-values with R DESeq2's independent filtering on the mean count.

    For 50 quantiles of ``base_mean`` (from the fraction of zero means to 0.95) genes
    below the quantile are dropped and the rest adjusted by Benjamini-Hochberg. The
    threshold is the first one whose number of rejections at ``alpha`` exceeds the
    ``lowess`` fit (span 1/5) of rejections minus its root mean squared residual;
    genes below it get NaN.

    Parameters
    ----------
    base_mean
        Mean normalised count per gene (the filter statistic).
    pvalue
        Wald p-values (NaN where not tested).
    alpha
        FDR level at which rejections are counted.

    Returns
    -------
    Adjusted p-values.
    """
    lower = float(np.mean(base_mean == 0))
    upper = 0.95 if lower < 0.95 else 1.0
    theta = np.linspace(lower, upper, 50)
    cutoffs = np.quantile(base_mean, theta)
    adjusted = np.full((base_mean.size, theta.size), np.nan)
    for j, cutoff in enumerate(cutoffs):
        use = base_mean >= cutoff
        adjusted[use, j] = _bh(pvalue[use])
    with np.errstate(invalid="ignore"):
        rejections = np.sum(adjusted < alpha, axis=0)
    if rejections.max() <= 10:
        chosen = 0
    else:
        fit = lowess(rejections.astype(float), theta, frac=1 / 5, it=3,
                     delta=0.01 * np.ptp(theta), return_sorted=False)
        positive = rejections > 0
        residual = rejections[positive] - fit[positive]
        threshold = fit.max() - np.sqrt(np.mean(residual**2))
        above = np.flatnonzero(rejections > threshold)
        chosen = int(above[0]) if above.size else 0
    return adjusted[:, chosen]


def _shrunk_lfc(dds: DeseqDataSet, weights: np.ndarray, columns: pd.Index) -> np.ndarray:
    nonzero = np.flatnonzero(weights)
    if nonzero.size != 1 or abs(weights[nonzero[0]]) != 1:
        raise ValueError(
            "shrink=True needs a contrast that is a single design coefficient with weight "
            "1 or -1 (apeGLM shrinks one coefficient); this contrast combines "
            f"{', '.join(f'{w:g}*{c}' for w, c in zip(weights[nonzero], columns[nonzero], strict=True))}. "
            "Reparameterise the design so the contrast is one coefficient, or set "
            "shrink=False."
        )
    coefficient = columns[nonzero[0]]
    stats = DeseqStats(dds, contrast=weights.copy(), alpha=0.1, quiet=True,
                       inference=dds.inference)
    stats.run_wald_test()
    with warnings.catch_warnings(), np.errstate(over="ignore"):
        warnings.simplefilter("ignore", UserWarning)
        stats.lfc_shrink(coeff=coefficient)
    return weights[nonzero[0]] * stats.LFC[coefficient].to_numpy(float) / np.log(2)


def deseq2_vst(dds: DeseqDataSet) -> pd.DataFrame:
    """Variance-stabilising transformation using the fitted design, as R ``vst(blind=FALSE)``.

    As R's ``vst()``, the parametric dispersion trend is refitted on 1000 genes evenly
    spaced in mean among those with mean normalised count above 5 (their gene-wise
    dispersions are reused from the fit, so this is fast). With fewer such genes the
    fit's own trend is used, as R ``varianceStabilizingTransformation(blind=FALSE)``.

    Parameters
    ----------
    dds
        Dataset fitted by :func:`deseq2_fit`.

    Returns
    -------
    Samples x genes VST values (log2-like scale).
    """
    normed = np.asarray(dds.layers["normed_counts"], dtype=float)
    if dds.uns.get("disp_function_type") == "mean":
        mean_disp = float(dds.uns["mean_disp"])
        values = (2 * np.arcsinh(np.sqrt(mean_disp * normed)) - np.log(mean_disp)
                  - np.log(4)) / np.log(2)
        return pd.DataFrame(values, index=dds.obs_names.copy(), columns=dds.var_names.copy())

    a0, a1 = (float(v) for v in dds.uns["trend_coeffs"][["a0", "a1"]])
    means = normed.mean(axis=0)
    candidates = np.flatnonzero(means > 5)
    if dds.n_vars >= _VST_NSUB and candidates.size >= _VST_NSUB:
        ordered = candidates[np.argsort(means[candidates], kind="stable")]
        positions = np.round(np.linspace(1, ordered.size, _VST_NSUB)).astype(int) - 1
        subset = ordered[positions]
        column = ("_genewise_dispersions_original"
                  if "_genewise_dispersions_original" in dds.var else "genewise_dispersions")
        genewise = dds.var[column].to_numpy(float)
        refit = parametric_dispersion_trend(means[subset], genewise[subset],
                                            min_disp=dds.min_disp)
        if refit is not None:
            a0, a1 = refit
    values = np.log2(
        (1 + a1 + 2 * a0 * normed + 2 * np.sqrt(a0 * normed * (1 + a1 + a0 * normed)))
        / (4 * a0)
    )
    return pd.DataFrame(values, index=dds.obs_names.copy(), columns=dds.var_names.copy())
