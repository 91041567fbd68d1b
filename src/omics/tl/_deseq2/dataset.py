"""pydeseq2's ``DeseqDataSet`` with R DESeq2 1.38's rules that are not inference.

The estimators come from :class:`.inference.RInference` (pydeseq2's ``inference=``);
:class:`RDeseqDataSet` keeps only R's rules around them: ``poscounts`` size factors when
every gene has a zero, the choice of genes for the dispersion trend, the prior variance
of log dispersions, the starting value of MAP dispersions and the outlier refit.
"""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np
import pandas as pd
from pydeseq2.dds import DeseqDataSet

from .glm import chunks
from .inference import RInference
from .moments import cooks_distances, median_of_ratios
from .prior import dispersion_prior_variance
from .trend import parametric_dispersion_trend

__all__ = ["RDeseqDataSet", "deseq2_fit"]


class RDeseqDataSet(DeseqDataSet):
    """pydeseq2 ``DeseqDataSet`` whose estimates follow R DESeq2 1.38.

    Takes the arguments of :class:`pydeseq2.dds.DeseqDataSet`; ``inference`` must be an
    :class:`~.inference.RInference` (one is made with the dataset's ``min_mu`` when
    omitted). Public steps overridden for R's rules: :meth:`fit_size_factors`,
    :meth:`fit_dispersion_trend`, :meth:`fit_dispersion_prior`,
    :meth:`fit_MAP_dispersions` and :meth:`refit`; ``uns["dispersion_prior_method"]``
    records which prior-variance estimator was used. Overridden for memory and speed
    only (pydeseq2's numbers, without samples x genes copies of the counts, block by
    block): :meth:`fit_genewise_dispersions`, :meth:`fit_LFC`, :meth:`calculate_cooks`
    and the median-of-ratios size factors.
    """

    def __init__(self, *, inference: RInference | None = None, min_mu: float = 0.5,
                 n_cpus: int | None = None, **kwargs) -> None:
        if inference is None:
            inference = RInference(min_mu=min_mu, n_cpus=n_cpus or 1)
        if not isinstance(inference, RInference) or inference.min_mu != min_mu:
            raise ValueError("RDeseqDataSet needs an RInference with the same min_mu.")
        super().__init__(inference=inference, min_mu=min_mu, n_cpus=n_cpus, **kwargs)

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
        if fit_type == "ratio" and control_genes is None and self.control_genes is None:
            # pydeseq2's median of ratios with the log counts computed once.
            size_factors, self.logmeans, self.filtered_genes = median_of_ratios(counts)
            self.obs["size_factors"] = size_factors
            self.layers["normed_counts"] = counts / size_factors[:, None]
            self.var["_normed_means"] = self.layers["normed_counts"].mean(axis=0)
            return
        super().fit_size_factors(fit_type=fit_type, control_genes=control_genes)

    def _non_zero(self, values: np.ndarray) -> np.ndarray:
        # Samples x genes values of the genes with a positive count: a view (no copy)
        # when every gene has one.
        non_zero = self.var["non_zero"].to_numpy(bool)
        return values if non_zero.all() else values[:, non_zero]

    def _fit_MoM_dispersions(self) -> None:  # noqa: N802 (pydeseq2's name)
        # pydeseq2's rough / moments starting dispersions, block by block over genes
        # (column-wise statistics: the same numbers without samples x genes copies).
        normed = self.layers["normed_counts"]
        design = self.obsm["design_matrix"].to_numpy(float)
        size_factors = self.obs["size_factors"]
        columns = self.non_zero_idx
        alpha_hat = np.empty(columns.size)
        for genes in chunks(columns.size, 2000):
            block = normed[:, columns[genes]]
            alpha_hat[genes] = np.minimum(
                self.inference.fit_rough_dispersions(block, design),
                self.inference.fit_moments_dispersions(block, size_factors))
        self.var["_MoM_dispersions"] = np.full(self.n_vars, np.nan)
        self.var.loc[self.var["non_zero"], "_MoM_dispersions"] = np.clip(
            alpha_hat, self.min_disp, self.max_disp)

    def fit_genewise_dispersions(self, vst: bool = False) -> None:
        """Fit gene-wise dispersion estimates, as pydeseq2 without samples x genes copies.

        The starting means come from the least-squares fit (as many distinct design
        rows as coefficients) or from the GLM with the moments dispersions (without its
        hat diagonals); ``vst=True`` is pydeseq2's.

        Parameters
        ----------
        vst
            Whether the estimates are for the variance-stabilising transformation.
        """
        if vst:
            super().fit_genewise_dispersions(vst)
            return
        if "size_factors" not in self.obs:
            self.fit_size_factors(fit_type=self.size_factors_fit_type)
        counts = np.asarray(self.X)
        non_zero = ~(counts == 0).all(axis=0)
        self.var["non_zero"] = non_zero
        self.non_zero_idx = np.arange(self.n_vars)[non_zero]
        self.non_zero_genes = self.var_names[non_zero]
        self._fit_MoM_dispersions()
        design = self.obsm["design_matrix"]
        size_factors = self.obs["size_factors"].to_numpy()
        start = self.var.loc[non_zero, "_MoM_dispersions"].to_numpy()
        counts = self._non_zero(counts)
        if len(design.value_counts()) == design.shape[-1]:
            mu = self.inference.lin_reg_mu(counts=counts, size_factors=size_factors,
                                           design_matrix=design.values, min_mu=self.min_mu)
        else:
            _, mu, _, _ = self.inference.irls(
                counts=counts, size_factors=size_factors, design_matrix=design.values,
                disp=start, min_mu=self.min_mu, beta_tol=self.beta_tol, with_hat=False)
        if non_zero.all():
            self.layers["_mu_hat"] = mu
        else:
            self.layers["_mu_hat"] = np.full((self.n_obs, self.n_vars), np.nan)
            self.layers["_mu_hat"][:, non_zero] = mu
        dispersions, converged = self.inference.alpha_mle(
            counts=counts, design_matrix=design.values, mu=mu, alpha_hat=start,
            min_disp=self.min_disp, max_disp=self.max_disp)
        self.var["genewise_dispersions"] = np.full(self.n_vars, np.nan)
        self.var.loc[non_zero, "genewise_dispersions"] = np.clip(dispersions, self.min_disp,
                                                                 self.max_disp)
        self.var["_genewise_converged"] = pd.array([pd.NA] * self.n_vars, dtype="boolean")
        self.var.loc[non_zero, "_genewise_converged"] = converged

    def fit_LFC(self) -> None:  # noqa: N802 (pydeseq2's name)
        """Fit the GLM coefficients (natural log), as pydeseq2 without a copy of the counts.

        Stores ``varm["LFC"]``, the fitted means and hat diagonals (``obsm["_mu_LFC"]``,
        ``obsm["_hat_diagonals"]``) and ``var["_LFC_converged"]``.
        """
        if "dispersions" not in self.var:
            self.fit_MAP_dispersions()
        design = self.obsm["design_matrix"]
        non_zero = self.var["non_zero"].to_numpy(bool)
        beta, mu, hat, converged = self.inference.irls(
            counts=self._non_zero(np.asarray(self.X)),
            size_factors=self.obs["size_factors"].to_numpy(), design_matrix=design.values,
            disp=self.var.loc[non_zero, "dispersions"].to_numpy(), min_mu=self.min_mu,
            beta_tol=self.beta_tol)
        lfc = np.full((self.n_vars, design.shape[1]), np.nan)
        lfc[non_zero] = beta
        self.varm["LFC"] = pd.DataFrame(lfc, index=self.var_names, columns=design.columns)
        self.obsm["_mu_LFC"] = mu
        self.obsm["_hat_diagonals"] = hat
        self.var["_LFC_converged"] = pd.array([pd.NA] * self.n_vars, dtype="boolean")
        self.var.loc[non_zero, "_LFC_converged"] = converged

    def calculate_cooks(self) -> None:
        """Cook's distances as pydeseq2, block by block (:func:`.moments.cooks_distances`)."""
        if "dispersions" not in self.var:
            self.fit_MAP_dispersions()
        non_zero = self.var["non_zero"].to_numpy(bool)
        cooks = cooks_distances(self._non_zero(np.asarray(self.X)),
                                self._non_zero(self.layers["normed_counts"]),
                                self.obsm["_mu_LFC"], self.obsm["_hat_diagonals"],
                                self.obsm["design_matrix"])
        if self.low_memory:
            del self.obsm["_mu_LFC"]
            del self.obsm["_hat_diagonals"]
        if non_zero.all():
            self.layers["cooks"] = cooks
        else:
            self.layers["cooks"] = np.full((self.n_obs, self.n_vars), np.nan)
            self.layers["cooks"][:, non_zero] = cooks

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

    def fit_dispersion_trend(self, vst: bool = False) -> None:
        """Fit R's parametric trend ``a0 + a1 / mean``; fall back to the mean trend.

        As R ``parametricDispersionFit``: genes with dispersion above ``100 * min_disp``,
        re-selected within ``[1e-4, 15)`` times the current curve at every round, the
        GLM (``inference.dispersion_trend_gamma_glm``) started from the previous
        coefficients. The ``"mean"`` fit type is pydeseq2's.

        Parameters
        ----------
        vst
            Whether the trend is for the variance-stabilising transformation.
        """
        fit_type = getattr(self, "vst_fit_type", self.fit_type) if vst else self.fit_type
        if fit_type != "parametric":
            super().fit_dispersion_trend(vst)
            return
        column = "vst_genewise_dispersions" if vst else "genewise_dispersions"
        if column not in self.var:
            self.fit_genewise_dispersions(vst)
        coeffs = parametric_dispersion_trend(
            self.var["_normed_means"].to_numpy(float),
            self.var[column].to_numpy(float),
            min_disp=self.min_disp,
            fit_glm=self.inference.dispersion_trend_gamma_glm,
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

    def fit_dispersion_prior(self) -> None:
        """Fit the variance of the log-dispersion prior as R DESeq2 does.

        Uses genes with gene-wise dispersion at least ``100 * min_disp`` and
        :func:`~.prior.dispersion_prior_variance` (MAD rule, or the Monte-Carlo search
        with one to three residual degrees of freedom). The squared MAD is kept in
        ``uns["_squared_logres"]`` for the dispersion-outlier rule.
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
        n_samples, n_coefs = self.obsm["design_matrix"].shape
        prior_var, squared_mad, method = dispersion_prior_variance(residuals,
                                                                   n_samples - n_coefs)
        self.uns["_squared_logres"] = np.float64(squared_mad)
        self.uns["prior_disp_var"] = np.float64(prior_var)
        self.uns["dispersion_prior_method"] = method

    def fit_MAP_dispersions(self) -> None:  # noqa: N802 (pydeseq2's name)
        """Fit maximum a posteriori dispersions from R's starting values.

        R starts from the gene-wise estimate, or from the trend when the estimate is
        below a tenth of it; the prior on the log dispersion is centred on the trend.
        Genes whose gene-wise estimate is more than two MADs above the trend keep the
        gene-wise estimate.
        """
        if "prior_disp_var" not in self.uns:
            self.fit_dispersion_prior()
        non_zero = self.var["non_zero"].to_numpy(bool)
        genewise = self.var["genewise_dispersions"].to_numpy(float)[non_zero]
        fitted = self.var["fitted_dispersions"].to_numpy(float)[non_zero]
        start = np.where(genewise > 0.1 * fitted, genewise, fitted)
        start = np.where(np.isnan(start), fitted, start)
        dispersions, converged = self.inference.alpha_mle(
            counts=self._non_zero(np.asarray(self.X)),
            design_matrix=self.obsm["design_matrix"].to_numpy(float),
            mu=self._non_zero(self.layers["_mu_hat"]),
            alpha_hat=fitted,
            min_disp=self.min_disp,
            max_disp=self.max_disp,
            prior_disp_var=float(self.uns["prior_disp_var"]),
            cr_reg=True,
            prior_reg=True,
            start=start,
        )
        self.var["MAP_dispersions"] = np.full(self.n_vars, np.nan)
        self.var.loc[non_zero, "MAP_dispersions"] = np.clip(dispersions, self.min_disp,
                                                            self.max_disp)
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

    def refit(self) -> None:
        """Replace Cook's outliers and refit the genes concerned, as R ``refitWithoutOutliers``.

        Outliers are replaced by pydeseq2 (cells of 7 or more samples). The genes with
        replaced counts are refitted with the same size factors, dispersion trend and
        prior variance; the Cook's distances used for filtering then ignore the
        replaceable samples. The gene-wise dispersions of the original counts are kept
        in ``var["_genewise_dispersions_original"]`` for :func:`~.vst.deseq2_vst`.
        """
        self.var["_genewise_dispersions_original"] = self.var["genewise_dispersions"].copy()
        self._replace_outliers()
        replaced = self.var["replaced"].to_numpy(bool)
        if not replaced.any():
            self.var["refitted"] = np.zeros(self.n_vars, dtype=bool)
            return
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


def deseq2_fit(counts: pd.DataFrame, design: pd.DataFrame, *, n_cpus: int = 1,
               quiet: bool = True, low_memory: bool = True) -> RDeseqDataSet:
    """Fit DESeq2's negative binomial GLMs, matching R ``DESeq()`` defaults.

    Parameters
    ----------
    counts
        Samples x genes non-negative integer counts (validated and filtered).
    design
        Samples x coefficients design matrix with R ``model.matrix`` column names,
        including ``"(Intercept)"``; rows are matched to ``counts`` by sample id.
    n_cpus
        Threads of the per-gene numba kernels, and worker processes of pydeseq2's
        apeGLM shrinkage in :func:`~.results.deseq2_results`.
    quiet
        Silence pydeseq2's progress messages.
    low_memory
        Drop the samples x genes intermediates (fitted means, hat diagonals, Cook's
        distances) once used, as pydeseq2's ``low_memory``; results are unchanged.

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
        n_cpus=n_cpus,
        quiet=quiet,
        low_memory=low_memory,
    )
    dds.deseq2()
    return dds
