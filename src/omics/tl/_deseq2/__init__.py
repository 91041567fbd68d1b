"""RNA differential expression with pydeseq2, aligned with R DESeq2 1.38.

pydeseq2 implements the DESeq2 recipe through a pluggable ``Inference`` object, but its
default estimators differ from R in ways that move dispersions and adjusted p-values,
most on small designs. This package plugs R DESeq2 1.38's estimators into pydeseq2
through its own ``inference=`` argument and keeps R's other rules as small overrides
(same defaults as ``DESeq()`` and ``results()``):

- :mod:`.inference` (:class:`RInference`, the estimators): R's IRLS for the GLM
  coefficients (:mod:`.glm`: ridge ``1e-6`` on the log2 scale, ``min_mu`` floor,
  L-BFGS-B for genes that do not converge); R's line search for gene-wise and MAP
  dispersions (:mod:`.dispersion`: Armijo steps on log dispersion, a gene whose log
  posterior gains less than a millionth keeps its starting value, non-converged genes
  are refitted on a grid, means floored at ``min_mu``; pydeseq2's L-BFGS-B optimum can
  differ from R's by a factor of two or more for such genes); the Gamma GLM of the
  trend (:mod:`.trend`); the Wald test (:mod:`.wald`: means floored at ``min_mu``).
  IRLS and the dispersion search are fused per-gene numba kernels (:mod:`._kernels`,
  no samples x genes temporaries; ``n_cpus`` threads); the rest is vectorised.
- :mod:`.dataset` (:class:`RDeseqDataSet`, R's rules): ``poscounts`` size factors when
  every gene has a zero (pydeseq2 switches to ``"iterative"``); the trend fitted on
  genes with dispersion above ``100 * min_disp``, re-selected within ``[1e-4, 15)``
  times the current curve at every round; the prior variance of log dispersions
  (:mod:`.prior`: R's MAD, or with 1 to 3 residual degrees of freedom the variance
  whose simulated residual distribution is closest in Kullback-Leibler divergence to
  the observed one, smoothed with R's ``loess``; pydeseq2 only warns); R's starting
  values of MAP dispersions; the outlier refit with the same trend and prior.
- :mod:`.results` (:class:`RDeseqStats`, R ``results()``): R's ridge in the Wald test,
  independent filtering with R's ``lowess``, R's ``log2FoldChange = 0, pvalue = 1`` for
  contrasts whose samples are all zero.
- :mod:`.vst`: ``vst(blind = FALSE)``.

Cook's distances, outlier replacement, the rough / moments starting dispersions and
apeGLM shrinkage are pydeseq2's. Checked against pydeseq2 0.5.4 (pinned).
"""

from .._stats import loess_smooth
from .dataset import RDeseqDataSet, deseq2_fit
from .dispersion import genewise_dispersions, map_dispersions
from .glm import GLMFit, nbinom_glm
from .inference import RInference
from .prior import dispersion_prior_variance, dispersion_prior_variance_monte_carlo
from .results import RESULT_COLUMNS, RDeseqStats, deseq2_results, independent_filtering
from .trend import parametric_dispersion_trend
from .vst import deseq2_vst

__all__ = [
    "RESULT_COLUMNS",
    "GLMFit",
    "RDeseqDataSet",
    "RDeseqStats",
    "RInference",
    "deseq2_fit",
    "deseq2_results",
    "deseq2_vst",
    "dispersion_prior_variance",
    "dispersion_prior_variance_monte_carlo",
    "genewise_dispersions",
    "independent_filtering",
    "loess_smooth",
    "map_dispersions",
    "nbinom_glm",
    "parametric_dispersion_trend",
]
