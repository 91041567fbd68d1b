"""Per-score response models: is a score predictive of BM-MNC benefit, or prognostic.

For every score (one column of ``scores``, e.g. an angiogenesis gene-set score of one
modality) :func:`response_model` fits logistic regressions of response (survival
without major amputation; 1 = ``responder``) and estimates cross-validated
discrimination. In BALI the distinction matters: a *prognostic* score predicts outcome
whatever the arm (host angiogenic/hypoxia response), a *predictive* score predicts
outcome only when the cells are implanted (cell potency), i.e. it modifies the effect
of treatment.

Samples and scaling
-------------------
A sample is used for a score when its arm is ``treated`` or ``control``, its response
and every covariate are known and its score is not NaN (``n`` counts them per score).
The score is standardised over these samples (mean 0, SD 1, ``ddof=1``) so that odds
ratios are per SD of the score and comparable between arms and models. Numeric
covariates enter linearly (centred and scaled, which changes no score coefficient);
categorical ones (categorical, string or boolean columns) as treatment-coded dummies
with the first category (categorical order, else sorted) as reference. Covariate
columns that are constant or collinear within a model's samples are dropped from that
model (for example ``diabetes`` when every patient used is diabetic).

Models and tests
----------------
For each score ``z``, with ``arm`` = 1 for treated and covariates ``C``:

- per arm (control, treated): one model of both arms with an arm-specific slope of the
  score and covariate effects shared by the arms,
  ``response ~ arm + z:control + z:treated + C`` (``z:control`` = ``z`` in the control
  arm and 0 in the treated arm, ``z:treated`` vice versa); the arm's odds ratio (OR) per
  SD is ``exp`` of its slope, with a 95 % confidence interval, and ``p`` is the
  likelihood-ratio test (LRT) of that slope against the same model without it. The
  slopes take the place of separate per-arm models ``response ~ z + C``, whose
  covariate effects would be estimated within each arm: with 20 patients per arm a
  separate model spends 2 of its 4 parameters on age and diabetes, and this is what
  limited the power of the predictive call (below). An arm whose responses are all equal,
  or with fewer than 3 samples, gets no test (NaN);
- pooled main effect: ``response ~ arm + z + C`` versus ``response ~ arm + C``
  (``or_pooled``, ``p_pooled``);
- interaction: ``response ~ arm * z + C`` versus ``response ~ arm + z + C``
  (``or_interaction`` = ratio of the treated to the control OR, ``p_interaction``).

``p_control``, ``p_treated`` and ``p_pooled`` are 1-df likelihood-ratio tests (LRT) and
all intervals are profile (penalised-)likelihood intervals (the coefficient values the
LRT would not reject at 5 %). Wald tests are not used: with about 20 patients per arm
and a strong score the Wald statistic collapses as the estimate grows (Hauck-Donner
effect) and is undefined under separation. An interval end is searched for out to
``|log OR|`` 1,000 per SD: the (penalised) profile deviance of a fit keeps rising, so
ends beyond an OR of ``e^10`` per SD are reported as the numbers they are (a score
shifted between the arms has a small spread within an arm in SDs over both arms, and a
large OR per SD with an interval to match). An end is 0 or ``inf`` only when the
deviance stays below the threshold out to ``|log OR|`` 1,000, and empty (NaN, with a
warning naming the score) when beyond ``|log OR|`` 10 it cannot be placed: the
constrained fits stop converging (the fitted probabilities saturate), or, even after a
second search from the path's fits, the fit reached along a path of 25 short steps from
the estimate stays higher than the root search's at its end or the deviance there is not
at the threshold (there the flat penalised profile can have several local optima, and
the profile is the highest of them);
:func:`format_ratio` displays an infinite or empty end as ``separated (> low)``.

``p_interaction`` is a Rao **score test** of the interaction coefficient: only the model
without the interaction (``response ~ arm + z + C``) is fitted, and the statistic is
the squared score of the ``arm x z`` column divided by its efficient information at that
fit. The test is the same whether or not the full model is separated, so its power
keeps growing with the effect: when the score separates responders in the treated arm
(the textbook predictive marker) the full-model LRT must switch to Firth's penalised
likelihood, whose penalty shrinks the interaction and loses power exactly where the
effect is strongest (a planted predictive score with 0.95 treated-arm AUC fell to
``p_interaction`` ~ 0.05). The score test needs no estimate of the (infinite)
interaction. In small trials it is somewhat liberal, as the likelihood-ratio test is:
under the null of no effect modification, 40 patients (20 per arm) and ``alpha`` 0.05 it
rejected in 6.2-7.5 % of simulated trials (the Firth penalised LRT in 4.5 %; audit
h44_calibration, 1,000-3,000 trials), about 6 % at 100 patients. A predictive call also
needs the BH-screened treated-arm test, so the chance of any false call stays near
``alpha`` (``benchmarks/bench_calibration.py``; numbers in the README).
``or_interaction`` and its interval still come from the full (ML or Firth) fit.

Fitting and separation (``method``)
-----------------------------------
Each comparison is first checked for complete or quasi-complete separation of its
larger model with the linear-programming criterion of Konis (2007): the data are
separated when a non-zero coefficient vector ``b`` has ``x'b >= 0`` for every responder
and ``x'b <= 0`` for every non-responder, in which case the maximum-likelihood (ML)
estimate does not exist. Separation of the smaller model implies separation of the
larger one, so one check per comparison suffices.

- ``method="ml"``. Not separated: both models are fitted by ML with
  statsmodels (``Logit``, Newton) and the LRT statistic is
  ``2 (llf_full - llf_reduced)``; if statsmodels nevertheless warns (perfect
  prediction, non-convergence, singular Hessian) or raises, the comparison falls back
  to Firth. Separated: Firth, as below.
- Firth: both models of the comparison are fitted with Firth's bias-reducing penalty
  (Jeffreys prior, ``l*(b) = l(b) + 0.5 log det I(b)``; Firth 1993, Biometrika 80:27),
  which always gives finite estimates; the test is the penalised-likelihood-ratio test
  of Heinze & Schemper (2002, Stat Med 21:2409), whose reduced model is the full model
  with the tested coefficient held at 0 (the penalty keeps the full design, as R's
  ``logistf``), and the interval is the profile penalised-likelihood interval. Own
  Newton solver with the exact Hessian of ``l*`` (checked against finite differences
  and, for a 2 x 2 table, against the Haldane-corrected odds ratio in the tests).
- ``method="firth"`` (default): Firth for every comparison.

We fall back to Firth rather than reporting the ML limit (an LRT from the supremum of
the likelihood exists, but the OR and its interval are infinite) or using an L2 penalty
(whose strength is arbitrary and which also shrinks unseparated fits). Column
``fit_<model>`` says ``"ml"`` or ``"firth"`` per comparison.

Calibration, measured on 100 simulated 40-patient trials with 11 pure-noise scores
each (``benchmarks/bench_response.py --latent``; 1,100 tests per p-value), rejection
rate at 0.05 for ``p_control / p_treated / p_pooled / p_interaction`` with separate
per-arm models (before the shared-covariate arm slopes): ``ml`` 0.078 / 0.095 / 0.064 /
0.080 (the LRT is liberal with 20 patients and 4 parameters per arm); ``firth`` 0.043 /
0.054 / 0.045 / 0.044. ``firth`` is the default: the classification needs one arm test
to pass a BH screen across all scores, and with the liberal ML tests 11 % of 200 null
trials (11 noise scores, 40 patients) had a ``predictive`` or ``prognostic`` call,
against 2.5 % with Firth (``benchmarks/bench_calibration.py``). With the arm slopes of
the shared-covariate model (Firth), 300 null trials of 11 scores (3,300 tests per
p-value) gave rejection rates for ``p_treated / p_control`` of 0.048 / 0.039 at 0.05,
0.0061 / 0.0024 at 0.0045 and 0.0033 / 0.0015 at 0.0023 (the BH threshold of one
discovery among 22 tests); the calibration table of the classification is in the README.

What limits the power of the predictive call: at a planted predictive effect with
treated-arm AUC 0.945 (``bench_calibration.py``, ``b = 4``), with separate per-arm
models the treated-arm test passed the BH screen in 65 % of trials, ``p_interaction <
0.05`` held in 92 % and ``|b_T| > |b_C|`` in 100 %: the screen was the limit (the
treated-arm test's p-value is needed below ~0.002 and had a median of 9e-4). Estimating
the covariate effects from both arms raised the share of trials with the treated slope
below 0.0045 from 0.77 to 0.84 at ``b = 4`` (0.94 at ``b = 5``, AUC 0.954) without
changing the null rate.

Classification
--------------
With ``b_T``, ``b_C`` the per-SD log ORs of the score in the treated and the control
arm, "evidence in an arm" meaning that the arm's test passes the screen below, and
"modification" meaning ``p_interaction < alpha`` and either ``|b_T| > |b_C|`` or
``b_T`` and ``b_C`` of opposite signs (a qualitative interaction: the cells reverse the
association), ``b_C`` taken as 0 when the control arm has no test (with no responder
there, or every patient one, the score cannot go with response in that arm):

- ``predictive``: evidence in the treated arm and modification: the score is associated
  with response when cells are implanted, and the arm modifies that association;
- ``prognostic``: evidence in the **control** arm (the association exists without
  cells), an association of the same sign in the treated arm, and no modification;
- ``treated_only``: evidence in the treated arm, but neither predictive nor prognostic
  (the modification is not established): never folded into ``prognostic``;
- ``none``: otherwise. This includes an association in the control arm alone that the
  cells remove (control-arm evidence, a significant interaction, no treated-arm
  evidence) and a control-arm association whose treated arm has no test (too few
  outcomes of one kind there): read ``fdr_control`` and ``p_interaction`` for these.

A significant interaction carried by a *weaker* same-sign association in the treated
arm (``|b_C| > |b_T|``) does not block ``prognostic``: ORs are non-collapsible, and a
score acting identically on the conditional log-odds has a smaller marginal OR in an
arm with extra, unmodelled outcome heterogeneity (in BALI the treated arm, through
cell potency).

``direction`` is ``up_in_responders`` when a higher score goes with more response and
``down_in_responders`` otherwise: the sign of ``b_T`` for predictive and treated_only
scores, of ``b_C`` for prognostic ones and of the pooled main effect otherwise.

Multiplicity (``multiplicity="bh"``, the default): the control- and treated-arm
p-values of all scores go through one Benjamini-Hochberg adjustment (``fdr_control``,
``fdr_treated``; ``fdr_screen`` is the smaller of the two), and "evidence in an arm"
means an adjusted value below ``alpha``. Every call needs evidence in one arm, so with
no effect anywhere the chance of any call is that of any BH rejection: about ``alpha`` for
the logistic model's Firth tests, more for the Cox model, whose arm score tests are liberal
with 20 patients per arm and few events (each rejected in 7-9 % of simulated null trials
at 0.05; some call in 9-12 % of null trials of 11 scores; see the README).
The interaction is then tested at ``alpha`` only for scores with an arm association.
With ``multiplicity="none"`` the arm tests are used at their own level ``alpha``.
``fdr_pooled`` and ``fdr_interaction`` (BH across scores) are reported either way.
``separation`` lists the models (``control``, ``treated``, ``pooled``,
``interaction``) whose data are completely or quasi-completely separated; an arm
(``control``, ``treated``) is listed when the shared model of its slope is separated
and so are its own patients (intercept, score and covariates within the arm), because
the shared model is separated as soon as one arm is.

Extra scores (e.g. flow-cytometry population frequencies) are added as more columns of
``scores``: every column is one score, standardised on its own, and enters the same
BH screen.

Cross-validated discrimination
------------------------------
Separately in the pooled cohort, the treated arm and the control arm (the samples used
for the score), the score-only logistic model is evaluated with repeated stratified
K-fold cross-validation (:class:`sklearn.model_selection.RepeatedStratifiedKFold`,
``random_state=seed``; strata = response). The model is a logistic regression of
response on the standardised score with an unpenalised intercept and an L2 penalty of
1 on the slope, i.e. scikit-learn's default ``LogisticRegression(C=1.0)``, fitted for
all folds at once by a vectorised Newton solver (checked against scikit-learn in the
tests); the penalty keeps fits finite when a training fold is separated. For each
repeat the out-of-fold predictions of all folds are pooled and one AUC is computed;
``cv_auc_*`` is the mean over repeats and ``cv_auc_*_low/high`` the 2.5th/97.5th
percentiles over repeats. This interval reflects the random partition only, **not** the
sampling uncertainty of the AUC, which with 20 patients per arm is far larger (about
+-0.2). Pooling out-of-fold predictions of models fitted on 16 patients is pessimistic:
in 20-patient arms the CV AUC is on average ~0.04 below the in-sample AUC of the same
score (stronger or weaker penalties were worse). When the smaller response class of a
cohort has fewer than 5 members (``CV_MIN_CLASS``), there is no AUC: ``cv_auc_*`` is NaN
and ``cv_folds_*`` 0 (logged), because an AUC from so few patients is mostly noise; when
it has 5 or more but fewer than ``folds``, the number of folds is reduced to that size;
``cv_folds_*`` gives the number used. Results
are deterministic for a given ``seed`` and sample order, and every score with the same
samples uses the same splits. The splitter assigns folds by position, in the order of
the samples in ``scores`` (an AnnData: ``obs_names``): the same samples in another order
get other folds, so the ``cv_auc_*`` columns (not the model fits) can differ; sort the
samples (e.g. ``adata[adata.obs_names.sort_values()]``) for results that do not depend on
the row order.
"""
from __future__ import annotations

import difflib
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import optimize, stats
from scipy.special import expit
from sklearn.model_selection import RepeatedStratifiedKFold
from statsmodels.discrete.discrete_model import Logit
from statsmodels.tools.sm_exceptions import (
    ConvergenceWarning,
    HessianInversionWarning,
    PerfectSeparationError,
    PerfectSeparationWarning,
)

from omics._errors import InputError
from omics._logging import get_logger
from omics.io._samplesheet import _PLACEHOLDER
from omics.io._tables import MISSING_VALUES
from omics.params import check_seed
from omics.tl._design import level_per_sample
from omics.tl._separation import separation_label
from omics.tl._stats import bh as _bh

__all__ = ["response_model", "format_ratio", "CLASSIFICATIONS", "CV_COLUMNS", "FIT_METHODS"]

_LOG = get_logger("tl.response")
CLASSIFICATIONS = ("predictive", "prognostic", "treated_only", "none")
MULTIPLICITY = ("bh", "none")
FIT_METHODS = ("ml", "firth")
CV_COLUMNS = ["score", "cohort", "repeat", "sample", "responder", "prediction"]
_CHI2_95 = float(stats.chi2.ppf(0.95, 1))  # profile intervals are 95 %
_CV_RIDGE = 1.0  # L2 penalty on the CV slope: scikit-learn's LogisticRegression(C=1.0)
# A cohort with fewer responders or non-responders than this has no cross-validated AUC
# (NaN): folds of 1-2 patients of a class give an AUC that is mostly noise (0.975 from
# 2 responders and 3 non-responders), and 5 is the smallest class that the default
# 5-fold stratified split spreads over every fold
CV_MIN_CLASS = 5
_PROFILE_LIMIT = 10.0  # |log OR per SD| up to which a profile bound is searched first
_PROFILE_CEILING = 1000.0  # ... and then up to this; a bound beyond it is reported as 0 or inf
_PROFILE_PATH = 25  # steps of the path that confirms a bound beyond _PROFILE_LIMIT
# Up to this many patients Firth's Hessian comes from the n x n matrix Q = X I^-1 X' (the
# arithmetic of earlier releases, bit for bit); above it from k x k^2 products
# (:func:`_factored_penalty`), the same quantity summed in another order: Q alone takes
# 8 n^2 bytes and O(n^2 k) per evaluation (200 MB and 0.12 s at 5,000 patients).
_DENSE_PENALTY_SAMPLES = 2000
_SM_WARNINGS = (PerfectSeparationWarning, ConvergenceWarning, HessianInversionWarning, RuntimeWarning)
# A Firth fit whose largest free gradient component exceeds this did not reach its maximum
# (a converged fit is at ~1e-7 or below): its numbers are not reported (``not_converged``)
_GRADIENT_TOL = 1e-4
_NEWTON_TOL = 1e-7  # :func:`_newton` stops where its largest free gradient component is below this
NOT_CONVERGED = "not_converged"  # the mark of a model in ``separation`` whose fit did not converge


# --------------------------------------------------------------------------------------
# Logistic fits
# --------------------------------------------------------------------------------------


@dataclass
class _Test:
    """One 1-df comparison: coefficient, 95 % profile interval, LRT p, fitting method."""

    beta: float = np.nan
    low: float = np.nan
    high: float = np.nan
    p: float = np.nan
    method: str = ""
    separated: bool = False
    converged: bool = True


def _loglik(y: np.ndarray, eta: np.ndarray) -> float:
    return float((y * eta - np.logaddexp(0.0, eta)).sum())


def _state(y: np.ndarray, x: np.ndarray, beta: np.ndarray,
           firth: bool) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """Objective, gradient, negative Hessian and Fisher information at ``beta``.

    With ``firth`` the objective is ``l + 0.5 log det I``; its gradient is Firth's modified
    score ``X'(y - p + h (0.5 - p))`` and its Hessian adds to ``-I`` the second derivative
    of the penalty, ``0.5 [X' diag(q_ii w'') X - (w' X)' (Q o Q) (w' X)]`` with
    ``Q = X I^-1 X'``, ``w = p (1 - p)``, ``w' = w (1 - 2p)``, ``w'' = w (1 - 6w)``.
    """
    eta = x @ beta
    p = expit(eta)
    w = p * (1.0 - p)
    info = (x * w[:, None]).T @ x
    value = _loglik(y, eta)
    resid = y - p
    neg_hess = info
    if firth:
        sign, logdet = np.linalg.slogdet(info)
        if sign <= 0:
            return -np.inf, x.T @ resid, info, info
        value += 0.5 * logdet
        d1, d2 = w * (1.0 - 2.0 * p), w * (1.0 - 6.0 * w)
        xd = x * d1[:, None]
        if len(y) <= _DENSE_PENALTY_SAMPLES:
            q = x @ np.linalg.solve(info, x.T)
            lev = q.diagonal().copy()
            # Q o Q in Q's own memory: the same products without a second n x n array
            curvature = xd.T @ np.multiply(q, q, out=q) @ xd
        else:
            lev, curvature = _factored_penalty(x, xd, info)
        resid = resid + 0.5 * lev * d1
        neg_hess = info - 0.5 * ((x * (lev * d2)[:, None]).T @ x - curvature)
    return value, x.T @ resid, neg_hess, info


def _factored_penalty(x: np.ndarray, xd: np.ndarray, info: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Leverages ``diag(Q)`` and ``xd' (Q o Q) xd`` without forming ``Q = X I^-1 X'``.

    With ``A = I^-1``, ``(Q o Q)_ij = (x_i' A x_j)^2 = z_i' (A (x) A) z_j`` where ``z_i =
    x_i (x) x_i`` (Kronecker products), so ``xd' (Q o Q) xd = M (A (x) A) M'`` with ``M =
    xd' Z``: O(n k^3) time and O(n k^2) memory instead of O(n^2 k) and O(n^2).
    """
    n, k = x.shape
    inverse = np.linalg.solve(info, np.eye(k))
    leverages = np.einsum("ij,ij->i", x @ inverse, x)
    m = xd.T @ (x[:, :, None] * x[:, None, :]).reshape(n, k * k)
    return leverages, m @ np.kron(inverse, inverse) @ m.T


def _newton(y: np.ndarray, x: np.ndarray, *, firth: bool, fixed: int | None = None,
            value: float = 0.0, start: np.ndarray | None = None,
            maxiter: int = 100, tol: float = _NEWTON_TOL) -> tuple[np.ndarray, float, np.ndarray]:
    """Maximise the (Firth-penalised) log-likelihood, optionally with one coefficient fixed.

    Newton-Raphson with the exact Hessian where it is negative definite and the Fisher
    information otherwise, steps capped at 5 and halved until the objective does not
    decrease. Returns the coefficients, the maximised objective and its gradient there
    (zero except for the fixed coefficient).
    """
    k = x.shape[1]
    free = np.arange(k) if fixed is None else np.delete(np.arange(k), fixed)
    beta = np.zeros(k) if start is None else np.array(start, dtype=float)
    if fixed is not None:
        beta[fixed] = value
    block = np.ix_(free, free)  # the free rows and columns, indexed alike every iteration
    current, grad, neg_hess, info = _state(y, x, beta, firth)
    for _ in range(maxiter):
        score = grad[free]
        if np.abs(score).max() < tol:
            break
        try:
            neg_hess_free = neg_hess[block]
            np.linalg.cholesky(neg_hess_free)
            step_free = np.linalg.solve(neg_hess_free, score)
        except np.linalg.LinAlgError:
            step_free = np.linalg.lstsq(info[block], score, rcond=None)[0]
        largest = np.abs(step_free).max()
        if largest > 5.0:
            step_free *= 5.0 / largest
        step = np.zeros(k)
        for _ in range(40):
            step[free] = step_free
            state = _state(y, x, beta + step, firth)
            if state[0] >= current - 1e-12:
                break
            step_free = step_free / 2.0
        beta = beta + step
        current, grad, neg_hess, info = state
        if np.abs(step_free).max() < 1e-10:
            break
    return beta, current, grad


def _fitted(y: np.ndarray, x: np.ndarray, **options: object) -> tuple[np.ndarray, float, np.ndarray]:
    """:func:`_newton`, continued up to 1,000 iterations when 100 did not reach the maximum.

    A separated fit of thousands of samples climbs slowly (its coefficient still rising
    after 100 steps, gradient ~1e-3) and reaches its maximum later; a fit that stalls stays
    unconverged (:func:`_converged`). A fit that converged in 100 steps is returned as it is.
    """
    # a fit that stalls may overflow on its way (near-collinear columns, or started from such
    # a fit's coefficients): it is then not converged, which the callers check
    with np.errstate(over="ignore", invalid="ignore"):
        beta, objective, grad = _newton(y, x, **options)  # type: ignore[arg-type]
        if not _converged(grad, options.get("fixed")):  # type: ignore[arg-type]
            beta, objective, grad = _newton(y, x, **{**options, "start": beta, "maxiter": 900})  # type: ignore[arg-type]
    return beta, objective, grad


def _converged(grad: np.ndarray, fixed: int | None = None) -> bool:
    """Whether a :func:`_newton` fit reached its maximum: every free gradient component ~0."""
    free = grad if fixed is None else np.delete(grad, fixed)
    # a NaN or infinite component makes the largest one NaN or inf, which is not below the tolerance
    return bool(free.size == 0 or np.abs(free).max() < _GRADIENT_TOL)


def _separated(y: np.ndarray, x: np.ndarray) -> bool:
    """Complete or quasi-complete separation (Konis 2007 linear-programming check)."""
    signed = (2.0 * y - 1.0)[:, None] * x
    res = optimize.linprog(-signed.sum(axis=0), A_ub=-signed, b_ub=np.zeros(len(y)),
                           bounds=[(-1.0, 1.0)] * x.shape[1], method="highs")
    return bool(res.status == 0 and -res.fun > 1e-6)


def _ml(y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, float] | None:
    """Statsmodels ML fit; None when it raises, warns or does not converge."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = Logit(y, x).fit(method="newton", maxiter=100, disp=False)
        except (PerfectSeparationError, np.linalg.LinAlgError, ValueError):
            return None
    if any(issubclass(w.category, _SM_WARNINGS) for w in caught):
        return None
    params = np.asarray(res.params, dtype=float)
    if not res.mle_retvals.get("converged", False) or not np.all(np.isfinite(params)):
        return None
    return params, float(res.llf)


def _profile_bound(y: np.ndarray, x: np.ndarray, j: int, beta: np.ndarray, top: float,
                   firth: bool, side: float, scale: float) -> float:
    """Where the profile (penalised) deviance rises by chi2(0.95, 1) on one side of beta_j.

    Root of the signed root deviance ``r(b) = sqrt(2 (top - l(b))) - 1.96``, which is
    nearly linear in ``b``: Newton steps (``dl/db`` at a constrained optimum is the
    gradient component of the fixed coefficient), safeguarded by bisection once the root
    is bracketed; each constrained fit is warm-started from the nearest previous one.
    The search first reaches out to ``|b| = _PROFILE_LIMIT`` and, when the deviance is still
    below the threshold there, on out to ``|b| = _PROFILE_CEILING``: the (penalised)
    deviance of a fit that is not separated keeps rising, so the bound is finite, if far
    (a score whose spread within an arm is small against its SD over both arms has a large
    log OR per SD and bounds to match). Returns +-inf only when the deviance stays below
    the threshold up to the ceiling, NaN when a constrained fit beyond ``_PROFILE_LIMIT``
    does not converge even a short step (a quarter, then a sixteenth, ... of the last
    one) from the last converged fit (the fitted probabilities saturate and the penalised
    profile cannot be followed: the bound is beyond the last converged fit, but where is
    not known), and NaN too when, beyond ``_PROFILE_LIMIT``, the constrained fit reached
    along ``_PROFILE_PATH`` short steps from the estimate stays higher than the search's
    at its bound, or the deviance there is not at the threshold (the search's bracket
    closed on a jump between branches of constrained maxima), after a second search from
    the path's fits; raises :class:`_NotConverged` when a
    constrained fit it needs up to ``_PROFILE_LIMIT`` does not converge.
    """
    crit = float(np.sqrt(_CHI2_95))
    limit = side * _PROFILE_LIMIT
    if side * (limit - beta[j]) <= 0:
        limit = side * _PROFILE_CEILING
        if side * (limit - beta[j]) <= 0:
            return side * np.inf
    warm = {float(beta[j]): beta}
    made: dict[float, tuple[np.ndarray, float, np.ndarray]] = {}  # the search's fits, by b

    def signed_root(b: float) -> tuple[float, float]:
        nearest = warm[min(warm, key=lambda v: abs(v - b))]
        fit, obj, grad = _fitted(y, x, firth=firth, fixed=j, value=b, start=nearest)
        if not _converged(grad, j):
            raise _NotConverged if abs(b) <= _PROFILE_LIMIT else _OutOfReach
        warm[b] = fit
        made[b] = fit, obj, grad
        root = float(np.sqrt(max(2.0 * (top - obj), 0.0)))
        slope = -grad[j] / root if root > 0 else np.nan
        return root - crit, slope

    def search() -> float:
        nonlocal limit
        inner, outer = float(beta[j]), None
        b = inner + side * min(crit * scale, abs(limit - inner))
        for _ in range(100):
            try:
                r, slope = signed_root(b)
            except _OutOfReach:
                # a long step from the nearest converged fit starts the constrained fit where
                # the fitted probabilities saturate; a shorter step starts it nearer its maximum
                b = inner + (b - inner) / 4.0
                if abs(b - inner) < 1e-3 * scale:
                    return np.nan
                continue
            if abs(r) < 1e-4:
                return b
            if r < 0:
                inner = b
            else:
                outer = b
            step = -r / slope if np.isfinite(slope) and slope * side > 0 else np.nan
            if outer is None:
                reach = abs(inner - beta[j])
                if not np.isfinite(step) or step * side <= 0:
                    step = side * max(reach, scale)
                step = side * min(abs(step), 2.0 * max(reach, scale))  # at most ~triple the reach
                b = inner + step
                if side * (b - limit) >= 0:
                    if inner == limit:
                        if abs(limit) >= _PROFILE_CEILING:
                            return side * np.inf
                        limit = side * _PROFILE_CEILING
                        b = inner + side * min(abs(step), abs(limit - inner))
                    else:
                        b = limit
            else:
                low, high = sorted((inner, outer))
                b = b + step if np.isfinite(step) else np.nan
                if not low < b < high:
                    b = 0.5 * (inner + outer)
                if high - low < 1e-8:
                    return b
        return b

    bound = search()
    for attempt in (1, 2):
        if not (np.isfinite(bound) and abs(bound) > _PROFILE_LIMIT):
            return bound
        # beyond the limit the penalised profile can have several local optima (branches
        # of constrained maxima): the profile at ``b`` is the highest of them. The bound
        # stands when its constrained fit is at least as high as the one reached along a
        # path of short steps from the estimate, and the deviance there is at the
        # threshold (a search whose bracket closed on a jump between branches is not).
        # Else it is searched again, once, from the path's fits: where the path's fit is
        # higher, the deviance is lower and the bound lies further out
        fit, obj, grad = _refitted(y, x, j, bound, firth, warm, made)
        path, fits = beta, {float(beta[j]): beta}
        for value in np.linspace(beta[j], bound, _PROFILE_PATH + 1)[1:]:
            path, other, path_grad = _fitted(y, x, firth=firth, fixed=j, value=value, start=path)
            if not _converged(path_grad, j):
                return np.nan
            fits[float(value)] = path
        if not _converged(grad, j):
            return np.nan
        at_threshold = abs(np.sqrt(max(2.0 * (top - max(obj, other)), 0.0)) - crit) < 1e-3
        if obj >= other - 1e-6 * max(1.0, abs(other)) and at_threshold:
            return bound
        if attempt == 2:
            break
        warm.clear()
        warm.update(fits)
        made.clear()
        try:
            bound = search()
        except _NotConverged:
            return np.nan
    return np.nan


def _refitted(y: np.ndarray, x: np.ndarray, j: int, value: float, firth: bool,
              warm: dict[float, np.ndarray], made: dict[float, tuple[np.ndarray, float, np.ndarray]]
              ) -> tuple[np.ndarray, float, np.ndarray]:
    """Fit the profile at ``value`` (:func:`_fitted`) from the nearest fit in ``warm``.

    When that nearest fit is the search's own fit at ``value`` (``made``) and its free
    gradient is below :func:`_newton`'s tolerance, the refit would stop at its start with
    the same objective and gradient: those are returned without evaluating them again.
    """
    start = warm[min(warm, key=lambda v: abs(v - value))]
    known = made.get(value)
    if known is not None and known[0] is start:
        fit, obj, grad = known
        if np.abs(np.delete(grad, j)).max() < _NEWTON_TOL:
            return fit.copy(), obj, grad
    return _fitted(y, x, firth=firth, fixed=j, value=value, start=start)


class _NotConverged(Exception):
    """A Firth fit stopped before its maximum (:func:`_converged`)."""


class _OutOfReach(Exception):
    """A constrained fit of a profile beyond ``_PROFILE_LIMIT`` did not converge."""


def _score_test(y: np.ndarray, x: np.ndarray, j: int) -> float:
    """Rao score test of coefficient ``j`` of ``x`` at the fit without it (1 df p-value).

    Only the reduced model is fitted (ML; Firth's penalised fit when the reduced data are
    separated), so the test exists whether or not the full model is separated, and the
    statistic ``U_j^2 / (I_jj - I_j. I_..^-1 I_.j)`` with the score ``U`` and Fisher
    information ``I`` of the full design at the reduced fit grows with the size of the
    omitted effect (no Hauck-Donner collapse). Raises :class:`_NotConverged` when the
    reduced Firth fit does not converge.
    """
    reduced = np.delete(x, j, axis=1)
    fit = None if _separated(y, reduced) else _ml(y, reduced)
    if fit is not None:
        beta = fit[0]
    else:
        beta, _, grad = _fitted(y, reduced, firth=True)
        if not _converged(grad):
            raise _NotConverged
    p = expit(reduced @ beta)
    w = p * (1.0 - p)
    info = (x * w[:, None]).T @ x
    u = float(x[:, j] @ (y - p))
    rest = np.delete(np.arange(x.shape[1]), j)
    efficient = info[j, j] - info[j, rest] @ np.linalg.pinv(info[np.ix_(rest, rest)]) @ info[rest, j]
    if not efficient > 1e-12:
        return np.nan
    return float(stats.chi2.sf(u * u / efficient, 1))


def _compare(y: np.ndarray, x: np.ndarray, j: int, method: str = "ml", test: str = "lrt") -> _Test:
    """Test coefficient ``j`` of design ``x`` with its 95 % profile interval.

    ``test="lrt"``: 1-df (penalised) likelihood-ratio test; ``"score"``: Rao score test
    (:func:`_score_test`); the estimate and interval come from the same fit either way.
    When a Firth fit of the comparison (full, reduced or one of the profile) does not
    converge (:func:`_converged`), the estimate, interval and p-value are NaN and
    ``converged`` is False: nothing is reported from a fit short of its maximum.
    """
    separated = _separated(y, x)
    firth = method == "firth" or separated
    fits = None
    if not firth:
        full, reduced = _ml(y, x), _ml(y, np.delete(x, j, axis=1))
        if full is None or reduced is None:
            firth = True
        else:
            fits = full, reduced
    if fits is not None:
        (beta, top), (_, bottom) = fits
    else:
        beta, top, grad = _fitted(y, x, firth=True)
        _, bottom, grad0 = _fitted(y, x, firth=True, fixed=j, value=0.0, start=beta)
        if not (_converged(grad) and _converged(grad0, j)):
            return _Test(method="firth", separated=separated, converged=False)
    stat = max(2.0 * (top - bottom), 0.0)
    w = expit(x @ beta) * expit(-(x @ beta))
    cov = np.linalg.pinv((x * w[:, None]).T @ x)
    scale = float(np.sqrt(max(cov[j, j], 1e-4)))
    try:
        low = _profile_bound(y, x, j, beta, top, firth, -1.0, scale)
        high = _profile_bound(y, x, j, beta, top, firth, 1.0, scale)
        p = float(stats.chi2.sf(stat, 1)) if test == "lrt" else _score_test(y, x, j)
    except _NotConverged:
        return _Test(method="firth" if firth else "ml", separated=separated, converged=False)
    return _Test(
        beta=float(beta[j]),
        low=low,
        high=high,
        p=p,
        method="firth" if firth else "ml",
        separated=separated,
    )


def _design(columns: list[tuple[str, np.ndarray]], keep: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Stack columns in order, dropping constant (except the intercept) or collinear ones."""
    names: list[str] = []
    stacked: list[np.ndarray] = []
    for name, col in columns:
        if name != "intercept" and np.ptp(col) == 0:
            continue
        trial = np.column_stack([*stacked, col])
        if np.linalg.matrix_rank(trial) > len(stacked):
            stacked.append(col)
            names.append(name)
    if any(k not in names for k in keep):
        return np.empty((len(columns[0][1]), 0)), []
    return np.column_stack(stacked), names


def _arm_separated(y: np.ndarray, z: np.ndarray, covs: list[tuple[str, np.ndarray]]) -> bool:
    """Whether one arm's own data (intercept, score, covariates) are separated.

    The arm slopes share one model, which is separated as soon as one arm is; an arm's
    test is reported as separated only when its own patients are too.
    """
    x, names = _design([("intercept", np.ones(len(y))), ("z", z), *covs], ["z"])
    return bool(names) and _separated(y, x)


def _fit_test(y: np.ndarray, columns: list[tuple[str, np.ndarray]], tested: str,
              keep: Sequence[str], method: str, test: str = "lrt") -> _Test:
    if len(y) == 0 or y.min() == y.max():
        return _Test()
    x, names = _design(columns, keep)
    if not names or len(y) < len(names) + 2:
        return _Test()
    return _compare(y, x, names.index(tested), method, test)


# --------------------------------------------------------------------------------------
# Cross-validated AUC
# --------------------------------------------------------------------------------------


def _ridge_logit_folds(z: np.ndarray, y: np.ndarray, train: np.ndarray,
                       ridge: float = _CV_RIDGE, maxiter: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Fit ``y ~ z`` (L2 ``ridge`` on the slope) on each row of ``train``; intercepts, slopes."""
    a = np.zeros(train.shape[0])
    b = np.zeros(train.shape[0])
    for _ in range(maxiter):
        p = expit(a[:, None] + b[:, None] * z[None, :])
        v = p * (1.0 - p) * train
        r = (y[None, :] - p) * train
        ga, gb = r.sum(axis=1), (r * z).sum(axis=1) - ridge * b
        haa, hab, hbb = v.sum(axis=1), (v * z).sum(axis=1), (v * z * z).sum(axis=1) + ridge
        det = haa * hbb - hab * hab
        da, db = (hbb * ga - hab * gb) / det, (haa * gb - hab * ga) / det
        big = np.maximum(np.maximum(np.abs(da), np.abs(db)) / 5.0, 1.0)
        a, b = a + da / big, b + db / big
        if max(np.max(np.abs(da)), np.max(np.abs(db))) < 1e-10:
            break
    return a, b


def _auc_rows(pred: np.ndarray, y: np.ndarray) -> np.ndarray:
    """AUC of each row of ``pred`` against binary ``y`` (ties count one half)."""
    ranks = stats.rankdata(pred, axis=1)
    n1 = y.sum()
    n0 = len(y) - n1
    return (ranks[:, y == 1].sum(axis=1) - n1 * (n1 + 1) / 2.0) / (n1 * n0)


def _cv_auc(z: np.ndarray, y: np.ndarray, *, folds: int, repeats: int, seed: int,
            cache: dict) -> tuple[float, float, float, int, np.ndarray | None]:
    """Return the out-of-fold AUC (mean, 2.5/97.5 percentiles over repeats) and its predictions.

    ``(mean, low, high, folds used, predictions)``; the predictions are repeats x samples
    (NaN, 0 folds and ``None`` when a response class has fewer than :data:`CV_MIN_CLASS`
    samples, or there are too few samples for 2 folds).
    """
    minority = int(min(y.sum(), len(y) - y.sum())) if len(y) else 0
    k = min(folds, minority)
    if k < 2 or minority < CV_MIN_CLASS:
        return np.nan, np.nan, np.nan, 0, None
    if k < folds and ("fewer folds", minority) not in cache:  # once per class size
        cache[("fewer folds", minority)] = True
        _LOG.info("cross-validation: %d folds asked, but the smaller response class of a model has "
                  "%d patients; it uses %d folds (column cv_folds_*)", folds, minority, k)
    key = (y.astype(np.int8).tobytes(), k)
    if key not in cache:
        splitter = RepeatedStratifiedKFold(n_splits=k, n_repeats=repeats, random_state=seed)
        tests = [test for _, test in splitter.split(np.zeros((len(y), 1)), y)]
        train = np.ones((len(tests), len(y)))
        for f, test in enumerate(tests):
            train[f, test] = 0.0
        cache[key] = (tests, train)
    tests, train = cache[key]
    a, b = _ridge_logit_folds(z, y, train)
    oof = np.empty((repeats, len(y)))
    for f, test in enumerate(tests):
        oof[f // k, test] = a[f] + b[f] * z[test]
    auc = _auc_rows(oof, y)
    return float(auc.mean()), float(np.percentile(auc, 2.5)), float(np.percentile(auc, 97.5)), k, oof


def _cv_frame(score: object, cohort: str, samples: np.ndarray, y: np.ndarray, oof: np.ndarray
              ) -> pd.DataFrame:
    """Long table of one score's out-of-fold predictions in one cohort (``CV_COLUMNS``)."""
    repeats, n = oof.shape
    return pd.DataFrame({"score": [score] * (repeats * n), "cohort": cohort,
                         "repeat": np.repeat(np.arange(repeats), n), "sample": np.tile(samples, repeats),
                         "responder": np.tile(y.astype(np.int64), repeats), "prediction": oof.ravel()},
                        columns=CV_COLUMNS)


# --------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------


def _covariate_columns(obs: pd.DataFrame, covariates: Sequence[str]) -> list[tuple[str, pd.Series]]:
    """Numeric (scaled) and dummy columns of the covariates, NaN where a value is missing."""
    out: list[tuple[str, pd.Series]] = []
    for name in covariates:
        col = obs[name]
        if isinstance(col.dtype, pd.CategoricalDtype) or col.dtype == bool or not (
                pd.api.types.is_numeric_dtype(col)):
            if level_per_sample(col):
                raise InputError(f"covariate {name!r} is text with {col.nunique()} different values "
                                 f"among {int(col.notna().sum())} samples, so the models would fit "
                                 "about a level per sample; write numbers as plain numbers (no unit, "
                                 "a decimal point) or leave it out of the covariates")
            if isinstance(col.dtype, pd.CategoricalDtype):
                levels = [c for c in col.cat.categories if (col == c).any()]
            else:
                levels = sorted(col.dropna().unique(), key=str)
            missing = col.isna()
            for level in levels[1:]:
                dummy = (col == level).astype(float)
                out.append((f"{name}[{level}]", dummy.mask(missing)))
            if len(levels) < 2:
                out.append((name, pd.Series(np.where(missing, np.nan, 0.0), index=obs.index)))
        else:
            values = col.astype(float)
            sd = values.std()
            out.append((name, (values - values.mean()) / (sd if sd > 0 else 1.0)))
    return out


def check_covariates_observed(obs: pd.DataFrame, covariates: Sequence[str], rows: np.ndarray,
                              caller: str) -> None:
    """Stop when a covariate has no value for any of the samples a model would use.

    Such a covariate leaves every sample out of every model (rows of NaN, as if the scores
    had no value); the message names the covariate instead.

    Parameters
    ----------
    obs
        The sheet rows of the samples, in order.
    covariates
        The covariate columns.
    rows
        The samples the models would use but for the covariates (arm, outcome known).
    caller
        The function named in the message.

    Raises
    ------
    omics._errors.InputError
        A covariate is missing for every sample of ``rows`` (none is checked when ``rows``
        selects no sample).
    """
    if not rows.any():
        return
    for name in covariates:
        if not obs[name].notna().to_numpy()[rows].any():
            raise InputError(f"{caller}: covariate {name!r} has no value for any of the "
                             f"{int(rows.sum())} sample(s) with an arm and an outcome, so every "
                             f"sample would be left out; fill column {name!r} in or leave it out "
                             "of covariates=")


def numeric_scores(scores: pd.DataFrame, samples: Sequence, caller: str) -> np.ndarray:
    """Return the scores of ``samples`` as floats, warning of cells that are text or infinite.

    A cell that is not a number (text such as ``n.d.``) or is infinite leaves its sample
    out of that score's models, as a missing value does; each score with such cells is
    named with their count (NaN cells are missing values and are not counted).

    Parameters
    ----------
    scores
        Samples x scores.
    samples
        The ids of the samples analysed (rows of ``scores``).
    caller
        The function named in the warning.

    Returns
    -------
    numpy.ndarray
        Samples x scores, NaN where a value is missing or text (infinite values are kept:
        the models leave out every non-finite value).
    """
    table = scores.loc[samples]
    values = table.apply(pd.to_numeric, errors="coerce").to_numpy(float)
    left_out = table.notna().to_numpy() & ~np.isfinite(values)
    counts = left_out.sum(axis=0)
    if counts.any():
        named = [f"{name} ({int(n)})" for name, n in zip(scores.columns, counts, strict=True) if n]
        _LOG.warning("%s: score cell(s) that are text or infinite are left out (as missing) of "
                     "%d score(s): %s", caller, len(named), ", ".join(named))
    return values


def _check_inputs(scores: pd.DataFrame, obs: pd.DataFrame, covariates: Sequence[str], arm_col: str,
                  response_col: str, treated: str, control: str, responder: str, folds: int,
                  repeats: int, alpha: float, method: str) -> None:
    if not isinstance(scores, pd.DataFrame) or not isinstance(obs, pd.DataFrame):
        raise InputError("response_model: `scores` and `obs` must be pandas DataFrames")
    for column in (arm_col, response_col, *covariates):
        if column not in obs.columns:
            raise InputError(f"response_model: column {column!r} is not in the sample sheet "
                             f"(columns: {', '.join(map(str, obs.columns))})")
    if set(covariates) & {arm_col, response_col}:
        raise InputError("response_model: the arm and response columns cannot be covariates")
    check_distinct_arms(treated, control, "response_model")
    if folds < 2 or repeats < 1:
        raise InputError(f"response_model: need folds >= 2 and repeats >= 1 (got {folds}, {repeats})")
    if method not in FIT_METHODS:
        raise InputError(f"response_model: method must be one of {FIT_METHODS}, got {method!r}")
    if not 0 < alpha < 1:
        raise InputError(f"response_model: alpha must be in (0, 1), got {alpha}")
    if scores.columns.duplicated().any():
        raise InputError("response_model: duplicated score columns")
    if scores.index.duplicated().any() or obs.index.duplicated().any():
        raise InputError("response_model: duplicated sample ids")
    values = set(obs[response_col].dropna().astype(str))
    if str(responder) not in values:
        raise InputError(f"response_model: no sample has {response_col} == {responder!r} "
                         f"(values: {', '.join(sorted(values))}); pass responder=<the value that "
                         f"marks a responder> (or response_col=<another column>)")
    _check_response_values(obs[response_col], response_col, str(responder))
    check_arm_spelling(obs[arm_col], arm_col, treated, control, "response_model")
    # by value, as the models select the samples (a float 1.0 arm is the level 1)
    if not check_arms_present(obs[arm_col], arm_col, (treated, control), "response_model",
                              "pass treated= and control= as the sample sheet writes the arms"):
        raise InputError(f"response_model: column {arm_col!r} has no value for any sample; "
                         "the predictive/prognostic models need each sample's arm")


def _check_response_values(response: pd.Series, response_col: str, responder: str) -> None:
    """Stop on a response value that would silently count as a non-response but is not one.

    Every value other than ``responder`` is a non-response; a spelling of a missing value
    (``unknown``, ``n.d.``, ``NA``, ``-``; not ``none``, a response grade) would turn unknown
    outcomes into non-responses,
    and a value equal to ``responder`` but for case, white space and punctuation
    (``Responder``, ``responder ``) would turn responders into non-responses.
    """
    counts = response.dropna().astype(object).value_counts(sort=False)
    for value, n in counts.items():
        if not isinstance(value, str) or value == responder:
            continue
        text = value.strip()
        # ``none`` is also a response grade (complete / partial / none): a non-response
        if text.casefold() != "none" and (text.casefold() in MISSING_VALUES or _PLACEHOLDER.match(text)):
            raise InputError(f"response_model: column {response_col!r} has {value!r} for {int(n)} "
                             "sample(s), which reads as an unknown response but would count as a "
                             "non-response; leave those cells empty (NaN) to leave the samples out")
        if _squeezed(value) and _squeezed(value) == _squeezed(responder):
            raise InputError(f"response_model: column {response_col!r} has {value!r} for {int(n)} "
                             f"sample(s), which looks like responder={responder!r} but would count "
                             f"as a non-response; write it as {responder!r} (or pass "
                             f"responder={value!r} if only it marks a responder)")


def _squeezed(value: str) -> str:
    """``value`` without case, white space and punctuation (``BM-MNC``, ``bm_mnc``: ``bmmnc``)."""
    return re.sub(r"[\W_]+", "", value.casefold())


def arm_lookalike(arms: pd.Series, levels: Sequence[str]) -> tuple[str, str, list[str]] | None:
    """Return the first of ``levels`` no sample has whose spelling an arm value resembles.

    A level is present when a value equals it as the analysis selects samples
    (``arms.isin(levels)``: a float ``1.0`` is the level ``1``, the text ``"1"`` is not). A
    value of ``arms`` (other than ``levels``) resembles an absent level when the two are
    equal but for case, white space and punctuation (``BM-MNC``, ``bm_mnc`` and ``bmmnc``),
    or close (difflib, ratio >= 0.8); a value that reads as the level but is of another
    type (``"1"`` or ``1.0`` for ``1``) is left to :func:`check_arms_present`.

    Parameters
    ----------
    arms
        The arm column of the samples analysed.
    levels
        The arm values asked for.

    Returns
    -------
    tuple of (str, str, list of str) or None
        ``(absent level, the value resembling it, the values present)``, or None when
        every absent level resembles no value.
    """
    values = arms.dropna()
    present = sorted(set(values.astype(str)))
    unmatched = sorted(set(values[~values.isin(list(levels))].astype(str)))
    for level in levels:
        if values.isin([level]).any():  # present as the analysis selects samples: by value
            continue
        # a value reading as the level (text '1' for the number 1) is not a misspelling:
        # check_arms_present explains it
        alike = resembling(str(level), [v for v in unmatched if not _written_alike(v, level)])
        if alike is not None:
            return str(level), alike, present
    return None


def resembling(level: str, values: Sequence[str]) -> str | None:
    """Return the value of ``values`` that ``level`` looks like a misspelling of, or None.

    Equal but for case, white space and punctuation (``BM-MNC``, ``bm_mnc``: ``bmmnc``)
    first, else the closest by difflib with ratio >= 0.8.

    Parameters
    ----------
    level
        The value asked for (absent from the data).
    values
        The values present, other than the ones asked for.

    Returns
    -------
    str or None
        The value resembling ``level``.
    """
    values = [str(v) for v in values]
    alike = [v for v in values if _squeezed(v) and _squeezed(v) == _squeezed(level)]
    alike = alike or difflib.get_close_matches(level, values, n=1, cutoff=0.8)
    return alike[0] if alike else None


def check_arm_spelling(arms: pd.Series, arm_col: str, treated: str, control: str, caller: str) -> None:
    """Stop when ``treated`` or ``control`` is absent but an arm value looks like a misspelling of it.

    One arm alone is a legitimate analysis (the samples of one arm), and samples of other
    arms (healthy donors) are left out by design; but ``treated="BMMNC"`` beside samples
    with ``bmmnc`` would silently analyse the control arm alone. A value equal to the
    absent level but for case, white space and punctuation (``BM-MNC`` for ``bmmnc``), or
    close to it (difflib, ratio >= 0.8), stops naming it (:func:`arm_lookalike`).

    Parameters
    ----------
    arms
        The arm column of the samples analysed.
    arm_col
        Its name (for the message).
    treated, control
        The arm values asked for.
    caller
        The function named in the message.

    Raises
    ------
    omics._errors.InputError
        An absent level resembles an arm value.
    """
    found = arm_lookalike(arms, (treated, control))
    if found is not None:
        level, alike, present = found
        role = "treated" if level == str(treated) else "control"
        raise InputError(f"{caller}: no sample has {arm_col} {level!r} ({role}=), but some "
                         f"have {alike!r} (values: {', '.join(present)}); pass "
                         f"{role}={alike!r} if that is the arm meant")


def check_arms_present(arms: pd.Series, arm_col: str, levels: Sequence[str], caller: str,
                       fix: str) -> bool:
    """Stop when the arm column has values but none of ``levels``; whether any sample has one.

    Samples of other arms are left out by design, but when no sample is in any of the arms
    asked for the analysis would be empty. A sample is in an arm as the analysis selects it,
    by value (``arms.isin(levels)``): a float ``1.0`` is in the arm ``1``, the text ``"1"``
    is not (the message then says the types differ); ``str()`` is used only in messages.
    An arm column with no value at all (an unrandomised cohort) is not stopped here: the
    caller runs on no sample and logs it.

    Parameters
    ----------
    arms
        The arm column of the samples analysed.
    arm_col
        Its name (for the message).
    levels
        The arm values asked for.
    caller
        The function named in the message.
    fix
        What to pass, ending the message (``"pass treated= and control= ..."``).

    Returns
    -------
    bool
        True when a sample is in one of ``levels``; False when the column is empty.

    Raises
    ------
    omics._errors.InputError
        The column has values, none of them one of ``levels``.
    """
    values = arms.dropna()
    if values.isin(list(levels)).any():  # as the analysis selects the samples: by value
        return True
    if values.empty:
        return False
    present = sorted(set(values.astype(str)))
    asked = (" or ".join(repr(level) if isinstance(level, str) else str(level) for level in levels)
             or "no arm (an empty arms=)")
    raise InputError(f"{caller}: no sample has {arm_col} {asked} (values: {', '.join(present)})"
                     f"{_kind_note(values, levels, arm_col)}; {fix}")


def _kind(values) -> str:
    """``"text"``, ``"numbers"`` or both (or the type names) for the message of a type mismatch."""
    kinds = set()
    for value in values:
        if isinstance(value, str):
            kinds.add("text")
        elif isinstance(value, (int, float, np.number)) and not isinstance(value, (bool, np.bool_)):
            kinds.add("numbers")
        else:
            kinds.add(type(value).__name__)
    return " and ".join(sorted(kinds))


def _written_alike(value: object, level: object) -> bool:
    """Whether ``value`` and ``level`` read the same (``"1"``, ``1``, ``1.0``) though unequal."""
    if str(value).strip() == str(level).strip():
        return True
    try:
        return float(str(value)) == float(str(level))
    except ValueError:
        return False


def _kind_note(values: pd.Series, levels: Sequence, arm_col: str) -> str:
    """Explain an arm value that reads as a level but is of another type (text ``"1"``, number 1)."""
    distinct = list(dict.fromkeys(values.tolist()))
    if not any(_written_alike(v, level) and isinstance(v, str) != isinstance(level, str)
               for v in distinct for level in levels):
        return ""
    return (f"; {arm_col} holds {_kind(distinct)} and the arms asked for are {_kind(levels)}, "
            "which never equal each other (a text '1' is not the number 1)")


def check_distinct_arms(treated: object, control: object, caller: str) -> None:
    """Stop when ``treated`` and ``control`` name the same arm (one arm cannot be compared with itself)."""
    if treated == control:
        raise InputError(f"{caller}: treated and control are both {treated!r}; pass the two arms "
                         "the sample sheet compares (treated='bmmnc', control='placebo')")


def unmodelled_reason(name: object, values: np.ndarray, sd: float) -> str:
    """``name (why)``: why a score's models were not fitted (see :func:`warn_unmodelled`)."""
    why = ("no numeric value" if len(values) == 0 else "constant" if len(values) > 1 and sd == 0
           else f"{len(values)} sample(s) with a value")
    return f"{name} ({why})"


def warn_unmodelled(caller: str, unmodelled: Sequence[str]) -> None:
    """Say which scores have a row of NaN (class ``none``) because no model could be fitted."""
    if unmodelled:
        _LOG.warning("%s: %d score(s) not modelled, their rows are empty: %s", caller,
                     len(unmodelled), ", ".join(unmodelled))


def _direction(beta: float, good_sign: int = 1) -> str:
    if not np.isfinite(beta):
        return ""
    return "up_in_responders" if beta * good_sign > 0 else "down_in_responders"


def _classify(t: _Test, c: _Test, pooled: _Test, inter: _Test, evidence_t: bool,
              evidence_c: bool, alpha: float, good_sign: int = 1) -> tuple[str, str]:
    """Apply the classification rule of the module docstring.

    ``evidence_t`` / ``evidence_c``: the treated / control arm association passed the
    screen (BH across scores) or, without multiplicity handling, ``p < alpha``.
    ``good_sign``: the sign of a coefficient that goes with a good outcome (+1 for the
    log odds of response, -1 for the log hazard of amputation or death).
    A treated arm without a test (``t.beta`` NaN: fewer than two events in the Cox model,
    a single outcome in the logistic one) does not contradict control-arm evidence: the
    score is ``prognostic`` when the control arm passed the screen and the interaction test
    (where there is one) is not significant.
    """
    # an arm without a test (all its outcomes equal) has no association to compare with
    control_slope = c.beta if np.isfinite(c.beta) else 0.0
    # stronger with cells, or reversed by them (a qualitative interaction)
    modified = bool(inter.p < alpha and (abs(t.beta) > abs(control_slope) or t.beta * control_slope < 0))
    if evidence_t and modified:
        return "predictive", _direction(t.beta, good_sign)
    # NaN: the arm untested, which agrees only when the interaction does not say otherwise
    # (a single outcome in the BM-MNC arm with a significant interaction is no prognostic score)
    treated_agrees = c.beta * t.beta > 0 or (not np.isfinite(t.beta) and not inter.p < alpha)
    if evidence_c and np.isfinite(c.beta) and treated_agrees and not modified:
        return "prognostic", _direction(c.beta, good_sign)
    if evidence_t:
        return "treated_only", _direction(t.beta, good_sign)
    return "none", _direction(pooled.beta, good_sign)


def format_ratio(ratio: float, low: float, high: float, separated: bool = False) -> str:
    """Bounded display of a ratio per SD with its 95 % interval.

    ``"2.31 (1.20-4.45)"``; an infinite or separated interval end is never printed as a
    number: ``"separated (> 3.10)"`` or ``"separated (< 0.32)"`` give the finite end.
    """
    if not np.isfinite(ratio):
        return "NA"

    def fmt(v: float) -> str:
        return f"{v:.3g}"

    if separated or not (np.isfinite(low) and np.isfinite(high)) or low <= 0:
        if np.isfinite(low) and low > 0 and (not np.isfinite(high) or ratio >= 1):
            return f"separated (> {fmt(low)})"
        if np.isfinite(high):
            return f"separated (< {fmt(high)})"
        return "separated"
    return f"{fmt(ratio)} ({fmt(low)}-{fmt(high)})"


# --------------------------------------------------------------------------------------
# Public function
# --------------------------------------------------------------------------------------


def response_model(
    scores: pd.DataFrame,
    obs: pd.DataFrame,
    *,
    covariates: Sequence[str] = ("age", "diabetes"),
    arm_col: str = "arm",
    response_col: str = "response",
    treated: str = "bmmnc",
    control: str = "placebo",
    responder: str = "responder",
    folds: int = 5,
    repeats: int = 50,
    seed: int = 0,
    alpha: float = 0.05,
    method: str = "firth",
    multiplicity: str = "bh",
    return_cv: bool = False,
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """Classify each score as predictive of BM-MNC benefit, prognostic, or neither.

    Logistic regressions with arm-specific score slopes (shared covariate effects) and
    pooled (main effect and arm x score interaction) with likelihood-ratio tests,
    Firth's penalty for separated data, and repeated stratified cross-validated AUCs;
    see the module docstring for the exact models and
    the classification rule.

    Parameters
    ----------
    scores
        Samples x scores (e.g. one column per gene set), indexed by sample id; NaN marks a
        missing score. Samples are matched to ``obs`` by index.
    obs
        Sample sheet indexed by sample id, with the arm, response and covariate columns.
    covariates
        Adjustment covariates: sample-sheet column names (numeric, or
        categorical/string/boolean); one name given as a string is one covariate. Samples
        with a missing covariate are left out of every model (logged as a warning with
        their count).
    arm_col, treated, control
        Arm column and its treated and control values; samples of other arms are ignored.
    response_col, responder
        Response column and its responder value; every other non-missing value is a
        non-response, except that a spelling of a missing value (``unknown``, ``n.d.``,
        ``NA``) and a look-alike of ``responder`` (``Responder``) stop.
    folds, repeats
        Repeated stratified K-fold cross-validation (folds are reduced when a response
        class has fewer samples, see the ``cv_folds_*`` columns; a cohort with fewer than
        ``CV_MIN_CLASS`` = 5 responders or non-responders has no AUC, NaN).
    seed
        ``random_state`` of the cross-validation splitter, an integer from 0 to 2**32 - 1;
        results are deterministic for a given seed and sample order.
    alpha
        Significance level of the classification rule.
    multiplicity
        ``"bh"`` (default): arm-level evidence is a Benjamini-Hochberg adjusted p-value
        below ``alpha`` over the control- and treated-arm tests of all scores;
        ``"none"``: the arm tests at level ``alpha``.
    method
        ``"firth"`` (default): Firth's penalised likelihood for every comparison
        (well-calibrated tests in small samples, see the module docstring); ``"ml"``:
        maximum likelihood with statsmodels, Firth's penalised likelihood only for
        comparisons with separated data.
    return_cv
        Also return the out-of-fold predictions of the cross-validation (below).

    Returns
    -------
    pandas.DataFrame
        One row per score in the column order of ``scores``: ``score``, sample counts
        (``n``, ``n_responders``, ``n_control``, ``n_responders_control``,
        ``n_treated``, ``n_responders_treated``); for each of ``control``, ``treated``,
        ``pooled`` and ``interaction``: ``or_*`` (per SD of the score; for the
        interaction the ratio of the treated to the control OR), ``or_*_low``,
        ``or_*_high`` (95 % profile-likelihood interval), ``p_*`` (likelihood-ratio
        test; the score test for the interaction) and ``fit_*`` (``"ml"`` or
        ``"firth"``); ``fdr_pooled`` and ``fdr_interaction`` (BH across scores);
        ``fdr_control``, ``fdr_treated`` (one BH over both arms' tests of all scores),
        ``fdr_screen`` (the smaller); ``separation`` (separated models, ``;``-joined, and
        ``<model>:not_converged`` for a model whose Firth fit did not converge: its
        ``or_*`` and ``p_*`` are NaN, a warning names the score);
        ``classification`` (``predictive``, ``prognostic``, ``treated_only`` or
        ``none``), ``direction``
        (``up_in_responders`` / ``down_in_responders``); and for each of ``pooled``,
        ``treated`` and ``control``: ``cv_auc_*``, ``cv_auc_*_low``, ``cv_auc_*_high``
        (2.5/97.5 percentiles over repeats) and ``cv_folds_*``.
    pandas.DataFrame, with ``return_cv=True`` only
        The out-of-fold predictions behind ``cv_auc_*``, one row per score, cohort
        (``pooled``, ``treated``, ``control``), repeat and sample: ``score``, ``cohort``,
        ``repeat`` (0, 1, ...), ``sample``, ``responder`` (1/0) and ``prediction`` (the
        log-odds of response from the model fitted without the sample's fold). The AUC of
        each repeat's predictions, averaged over repeats, is ``cv_auc_<cohort>``;
        :func:`omics.pl.roc` draws them. Cohorts without folds (``cv_folds_* == 0``) have
        no rows.

    Raises
    ------
    omics._errors.InputError
        On missing columns, no shared samples, no responder, a response value that spells a
        missing value (``unknown``, ``n.d.``) or looks like ``responder`` but for case, white
        space or punctuation (``Responder``), neither arm present, a covariate with no
        value for any sample with an arm and a response, or invalid ``folds``,
        ``repeats``, ``alpha`` or ``seed``.
    """
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    seed = check_seed(seed, "response_model")
    _check_inputs(scores, obs, covariates, arm_col, response_col, treated, control, responder,
                  folds, repeats, alpha, method)
    if multiplicity not in MULTIPLICITY:
        raise InputError(f"response_model: multiplicity must be one of {MULTIPLICITY}, got {multiplicity!r}")
    samples = [s for s in scores.index if s in obs.index]
    if not samples:
        raise InputError("response_model: no sample id of `scores` is in the sample sheet")
    if len(samples) < len(scores.index):
        _LOG.info("response_model: %d score sample(s) not in the sample sheet are ignored",
                  len(scores.index) - len(samples))
    meta = obs.loc[samples]
    arm_values = meta[arm_col].astype(object)
    in_trial = arm_values.isin([treated, control]).to_numpy()
    known = meta[response_col].notna().to_numpy()
    check_covariates_observed(meta, covariates, in_trial & known, "response_model")
    cov_cols = _covariate_columns(meta, covariates)
    complete = in_trial & known
    for _, col in cov_cols:
        complete &= col.notna().to_numpy()
    if (in_trial & known).sum() > complete.sum():
        _LOG.warning("response_model: %d sample(s) with a missing covariate are left out",
                     int((in_trial & known).sum() - complete.sum()))
    y_all = (meta[response_col].astype(object) == responder).to_numpy(float)
    arm_all = (arm_values == treated).to_numpy(float)
    values = numeric_scores(scores, samples, "response_model")

    rows = []
    unmodelled: list[str] = []
    unconverged: list[str] = []
    unresolved: list[str] = []  # models with an interval end the profile could not reach
    too_few: set[tuple[str, int, int]] = set()  # cohorts without a CV AUC: (cohort, responders, others)
    score_tests: list[dict[str, _Test]] = []
    cache: dict = {}
    cv_parts: list[pd.DataFrame] = []
    sample_ids = np.asarray(samples, dtype=object)
    for s, name in enumerate(scores.columns):
        use = complete & np.isfinite(values[:, s])
        y, arm, raw = y_all[use], arm_all[use], values[use, s]
        row: dict[str, object] = {
            "score": name, "n": int(use.sum()), "n_responders": int(y.sum()),
            "n_control": int((arm == 0).sum()), "n_responders_control": int(y[arm == 0].sum()),
            "n_treated": int((arm == 1).sum()), "n_responders_treated": int(y[arm == 1].sum()),
        }
        sd = raw.std(ddof=1) if len(raw) > 1 else 0.0
        fitted = len(raw) > 2 and sd > 0
        if not fitted:
            unmodelled.append(unmodelled_reason(name, raw, sd))
        z = (raw - raw.mean()) / sd if fitted else raw * np.nan
        covs = [(c, col.to_numpy(float)[use]) for c, col in cov_cols]
        tests: dict[str, _Test] = {}
        # Arm-specific slopes in one model with shared covariate effects (module docstring).
        slopes = [("intercept", np.ones(len(y))), ("arm", arm), ("z:control", z * (1.0 - arm)),
                  ("z:treated", z * arm), *covs]
        for label, value in (("control", 0.0), ("treated", 1.0)):
            in_arm = arm == value
            y_arm = y[in_arm]
            usable = fitted and len(y_arm) >= 3 and 0 < y_arm.sum() < len(y_arm)
            tests[label] = (_fit_test(y, slopes, f"z:{label}", [f"z:{label}"], method) if usable
                            else _Test())
            if tests[label].separated:  # the shared model is separated when either arm is
                tests[label] = replace(tests[label], separated=_arm_separated(
                    y_arm, z[in_arm], [(c, col[in_arm]) for c, col in covs]))
        base = [("intercept", np.ones(len(y))), ("arm", arm), ("z", z)]
        tests["pooled"] = _fit_test(y, base + covs, "z", ["arm", "z"], method) if fitted else _Test()
        tests["interaction"] = (_fit_test(y, [*base, ("arm:z", arm * z), *covs], "arm:z",
                                          ["arm", "z", "arm:z"], method, test="score")
                                if fitted else _Test())
        for label, t in tests.items():
            row[f"or_{label}"] = np.exp(t.beta)
            row[f"or_{label}_low"] = np.exp(t.low)
            row[f"or_{label}_high"] = np.exp(t.high)
            row[f"p_{label}"] = t.p
            row[f"fit_{label}"] = t.method
        failed = [k for k, t in tests.items() if not t.converged]
        row["separation"] = ";".join(filter(None, [
            separation_label({k: t.separated for k, t in tests.items()}),
            *(f"{k}:{NOT_CONVERGED}" for k in failed)]))
        if failed:
            unconverged.append(f"{name} ({', '.join(failed)})")
        open_ends = [k for k, t in tests.items()
                     if np.isfinite(t.beta) and (np.isnan(t.low) or np.isnan(t.high))]
        if open_ends:
            unresolved.append(f"{name} ({', '.join(open_ends)})")
        score_tests.append(tests)
        for label, sub in (("pooled", np.ones(len(y), bool)), ("treated", arm == 1),
                           ("control", arm == 0)):
            if fitted:
                auc, low, high, k, oof = _cv_auc(z[sub], y[sub], folds=folds, repeats=repeats,
                                                 seed=seed, cache=cache)
            else:
                auc, low, high, k, oof = np.nan, np.nan, np.nan, 0, None
            if return_cv and oof is not None:
                cv_parts.append(_cv_frame(name, label, sample_ids[use][sub], y[sub], oof))
            responders = int(y[sub].sum())
            if fitted and k == 0 and min(responders, int(sub.sum()) - responders) < CV_MIN_CLASS:
                too_few.add((label, responders, int(sub.sum()) - responders))
            row[f"cv_auc_{label}"], row[f"cv_auc_{label}_low"] = auc, low
            row[f"cv_auc_{label}_high"], row[f"cv_folds_{label}"] = high, k
            if 0 < k < folds:
                _LOG.info("response_model: %s, %s: %d-fold CV (a response class has %d samples)",
                          name, label, k, k)
        rows.append(row)
    warn_unmodelled("response_model", unmodelled)
    if too_few:
        _LOG.info("response_model: no cross-validated AUC (cv_auc_* NaN, cv_folds_* 0) for %s: a "
                  "response class has fewer than %d patients, too few for an AUC that is more than "
                  "noise", ", ".join(f"{c} ({r} responders, {o} non-responders)"
                                     for c, r, o in sorted(too_few)), CV_MIN_CLASS)
    if unresolved:
        _LOG.warning("response_model: an end of the profile interval lies beyond |log OR| %g per SD, "
                     "where the constrained fits no longer converge or reach different maxima, for "
                     "%d score(s) (models in brackets); it is left empty (NaN in "
                     "or_*_low/or_*_high): %s",
                     _PROFILE_LIMIT, len(unresolved), ", ".join(unresolved))
    if unconverged:
        _LOG.warning("response_model: the Firth fit did not converge for %d score(s) (models in "
                     "brackets), whose estimates, intervals and p-values are left empty (NaN; "
                     "'<model>:%s' in column separation) and which are not called: %s",
                     len(unconverged), NOT_CONVERGED, ", ".join(unconverged))
    table = pd.DataFrame(rows)
    for test in ("pooled", "interaction"):  # BH across scores, beside the per-score p-values
        table.insert(table.columns.get_loc(f"p_{test}") + 1, f"fdr_{test}",
                     _bh(table[f"p_{test}"].to_numpy(dtype=float)))
    # Screen: one BH over the control- and treated-arm tests of all scores.
    both = _bh(np.concatenate([table["p_control"].to_numpy(float), table["p_treated"].to_numpy(float)]))
    fdr_control, fdr_treated = both[: len(table)], both[len(table):]
    if multiplicity == "bh":
        evidence_c, evidence_t = fdr_control < alpha, fdr_treated < alpha
    else:
        evidence_c = table["p_control"].to_numpy(float) < alpha
        evidence_t = table["p_treated"].to_numpy(float) < alpha
    calls = [_classify(t["treated"], t["control"], t["pooled"], t["interaction"], bool(et), bool(ec), alpha)
             if all(t[k].converged for k in ("control", "treated", "interaction"))
             else ("none", _direction(t["pooled"].beta))  # never a call from a fit short of its maximum
             for t, et, ec in zip(score_tests, evidence_t, evidence_c, strict=True)]
    position = table.columns.get_loc("fit_interaction") + 1
    table.insert(position, "fdr_control", fdr_control)
    table.insert(position + 1, "fdr_treated", fdr_treated)
    table.insert(position + 2, "fdr_screen", np.fmin(fdr_control, fdr_treated))
    table.insert(position + 3, "separation", table.pop("separation"))
    table.insert(position + 4, "classification", [c for c, _ in calls])
    table.insert(position + 5, "direction", [d for _, d in calls])
    counts = table["classification"].value_counts()
    _LOG.info("response_model: %d scores: %s", len(table),
              ", ".join(f"{counts.get(c, 0)} {c}" for c in CLASSIFICATIONS))
    if return_cv:
        return table, _cv_table(cv_parts)
    return table


def _cv_table(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Return the out-of-fold predictions of all scores and cohorts (``CV_COLUMNS``)."""
    if parts:
        return pd.concat(parts, ignore_index=True)
    return pd.DataFrame({"score": pd.Series(dtype=object), "cohort": pd.Series(dtype=object),
                         "repeat": pd.Series(dtype=np.int64), "sample": pd.Series(dtype=object),
                         "responder": pd.Series(dtype=np.int64), "prediction": pd.Series(dtype=float)})
