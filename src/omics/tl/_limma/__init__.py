"""Moderated t-statistics in the manner of R limma, on numpy and scipy.

:func:`limma_fit` reproduces, for one contrast, the R pipeline::

    fit  <- lmFit(y, design)
    fit2 <- contrasts.fit(fit, contrast)
    fit2 <- eBayes(fit2, trend = trend, robust = robust)
    topTable(fit2, number = Inf, sort.by = "none")

and agrees with limma 3.x to floating-point accuracy (see ``tests/test_limma_reference.py``
and the fixtures made by ``tests/reference/limma/make_limma_fixtures.R``). It is an
independent implementation written from the published method (Smyth 2004, *Stat. Appl.
Genet. Mol. Biol.* 3:3; Phipson et al. 2016, *Ann. Appl. Stat.* 10:946) and from the
observable behaviour of limma; no limma code is used.

Behaviours of limma that are reproduced on purpose, because they matter for missing values:

* Each feature is fitted by least squares on its observed (finite) values only. Features
  that share a missing-value pattern share one QR decomposition. A coefficient that is
  not estimable from a feature's observed samples is NA for that feature (column
  dropping follows R's ``lm.fit``: columns are taken left to right and a column whose
  norm, after projection on the columns already kept, is below ``1e-7`` times its own
  norm is dropped).
* ``contrasts.fit`` combines each feature's own unscaled standard deviations with the
  coefficient *correlation* matrix of the complete design, not of the feature's observed
  design. For a contrast on a single coefficient this is exact; for a linear
  combination of coefficients and a feature with missing values it is limma's
  approximation, and it is kept so that results match limma.
* A contrast that puts weight on a coefficient that is NA for a feature is NA (NaN here)
  for that feature. Features with zero residual degrees of freedom are left out of the
  empirical Bayes prior but still receive a moderated t when their contrast is estimable
  (their posterior variance is the prior variance).

Known, immaterial differences: tail probabilities are computed with scipy, whose log
tails saturate below about ``1e-308`` where R's ``log.p`` versions do not (this only moves
values that limma then clips); the robust fit solves for the prior df with a tighter
tolerance than R's ``uniroot(tol = 1e-8)``; with ``trend`` and ``robust`` together the
log-variance trend uses R's ``lowess`` (``clowess``, ``omics.tl._stats.r_lowess``). Observed agreement with
limma 3.54 is about ``1e-13`` in t and p-values (``1e-10`` with ``trend`` and ``robust``).
Only ordinary least squares with unit weights is supported (no ``weights``, ``block`` or
``ndups``).
"""

from __future__ import annotations

from .fit import limma_fit

__all__ = ["limma_fit"]
