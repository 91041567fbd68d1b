"""Amputation-free survival (AFS) models per score: Cox proportional hazards and Kaplan-Meier.

For every score (column of ``scores``) :func:`survival_model` fits Cox
proportional-hazards models with lifelines (``CoxPHFitter``, Efron's method for tied
event times, as R ``survival::coxph``'s default ``ties = "efron"``):

- per arm (control, treated): ``Surv(afs_days, afs_event) ~ z + C``;
- pooled: ``~ arm + z + C`` (``hr_pooled``);
- interaction: ``~ arm * z + C`` (``hr_interaction`` = ratio of the treated to the control
  HR per SD in this model, whose covariate effects the arms share; ``hr_treated`` and
  ``hr_control`` come from the separate per-arm fits, so their ratio differs somewhat).

``z`` is the score standardised over the samples used (mean 0, SD 1, ``ddof=1``), so
hazard ratios (HR) are per SD; covariates enter as in :func:`omics.tl.response_model`
(numeric scaled, categorical as treatment-coded dummies; constant or collinear columns
dropped per model). Intervals are Wald 95 % intervals ``exp(b +- 1.96 se)`` (lifelines'
and R's ``confint``); every ``p_*`` is the 1-df partial-likelihood-ratio test of the
score (or interaction) term against the model without it, except that ``p_control``
and ``p_treated`` are, by default, Efron score tests at the fit without the score
(``arm_test``), which hold their level better than the LRT with few events per arm.
Agreement with R
``survival::coxph`` (coefficients, SEs, Wald and likelihood-ratio p-values, with and
without the interaction) is tested to 1e-6 on fixtures in ``tests/reference/survival``.

``ph_p_<model>`` is the proportional-hazards check of the score term of that model:
the Schoenfeld-residual test (Grambsch & Therneau 1994) with the ``rank`` time
transform (lifelines ``proportional_hazard_test``), tied event times sharing their
average rank, as R's ``cox.zph`` computed it before survival 3.0 (tested against that
formula in R to 1e-6; ``cox.zph`` today is an exact score test and differs somewhat
in small samples: by a median 0.07 and up to 0.56 in 12-40-patient trials); ``ph_p`` is
the smallest of them, separated and unconverged models left out
(a small value says the HR of the score changes over follow-up and the single HR
summarises it poorly).

The end point is survival without major amputation at six months: follow-up is
censored at day 183 (``horizon_days``), so an amputation after it counts as it counts
for the ``response`` derived from the survival columns (event-free at 183 days).

Convergence: lifelines' Newton-Raphson stops short of the maximum on some designs (a
score shifted between the arms, or spread very differently in them, makes the arm and
the score nearly collinear; a monotone likelihood). Such a fit (lifelines'
``ConvergenceWarning``), and both fits of a test whose likelihood-ratio statistic comes
out below -1e-6, are continued by step-halving Newton-Raphson as R ``coxph`` does, to
R's numbers (tested on ``tests/reference/survival/convergence.tsv``). A model whose fit
still does not converge and whose likelihood is not monotone is marked
``<model>:not_converged`` in ``separation`` with its HR, interval, p and PH p left empty,
the score is not called, and a warning names it (as in :func:`omics.tl.response_model`).

Monotone likelihood: when the score orders every event of an arm (the survival analogue
of separation) the Cox estimate diverges. A model is flagged in ``separation`` when its
score coefficient exceeds 3 per SD in absolute value or lifelines did not converge, and
a linear program finds a direction of the coefficients, moving the score term, along
which the partial likelihood rises without bound (the fit stopped short of an infinite
estimate; Heinze & Schemper 2001); also when the HR or an end of its interval is beyond
what a float holds (|log HR| + 1.96 SE > 709). The HR and its interval are then not
finite numbers worth printing (:func:`omics.tl._response.format_ratio` shows
``separated``) and are left empty, as is the model's PH p-value, while the LRT (or score
test) p-value remains a valid, if slightly conservative, test. A large coefficient alone
is not flagged: a fit that the linear program finds bounded has a finite maximum (e.g.
|log HR| 7 to 11 per SD when the score is shifted between the arms, so that its spread
within an arm is small against its SD over both arms), and its HR is reported as R
estimates it.

Classification (the same rule and screen as :func:`omics.tl.response_model`, on the
log hazard ratios ``b_C``, ``b_T``; a protective score has ``b < 0``): ``predictive`` =
treated-arm evidence and modification (``p_interaction < alpha`` with
``|b_T| > |b_C|`` or opposite signs); ``prognostic`` = control-arm evidence, same sign in the treated arm,
no modification; ``treated_only`` = treated-arm evidence otherwise; ``none``. Evidence
in an arm = BH-adjusted p (over both arms' tests of all scores) below ``alpha`` with
``multiplicity="bh"``, ``p < alpha`` with ``"none"``. A BM-MNC arm with fewer than two
events has no test (nor has the interaction): it does not contradict control-arm
evidence, so such a score is ``prognostic`` when the control arm passed the screen.
``direction`` uses the
vocabulary of the logistic model so the two tables read side by side:
``up_in_responders`` = a higher score goes with longer AFS (HR < 1).
"""
from __future__ import annotations

import logging
import numbers
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from omics._errors import InputError, NoEventsError
from omics._logging import get_logger
from omics.io._samplesheet import RESPONSE_DAY

from ._response import (
    NOT_CONVERGED,
    _classify,
    _covariate_columns,
    _design,
    _direction,
    _Test,
    arm_lookalike,
    check_arm_spelling,
    check_arms_present,
    check_covariates_observed,
    check_distinct_arms,
    numeric_scores,
    resembling,
    unmodelled_reason,
    warn_unmodelled,
)
from ._stats import bh as _bh

__all__ = ["survival_model", "cox_fit", "kaplan_meier", "km_table", "logrank_p"]

_LOG = get_logger("tl.survival")
_SCREEN = 3.0  # |log HR| per SD above which a fit is checked for monotone likelihood
_Z95 = float(stats.norm.ppf(0.975))
_LOG_MAX = float(np.log(np.finfo(float).max))  # the largest log HR a float holds
ARM_TESTS = ("score", "lrt")


def _event_indicator(meta: pd.DataFrame, event_col: str, rows: np.ndarray, caller: str) -> np.ndarray:
    """Return the event column as floats (1 event, 0 censored, NaN missing); stop on other codes.

    Numbers 0 and 1 (also as text, ``"1"``), booleans, and the text ``TRUE``/``FALSE`` in
    any case (how R's ``write.csv`` writes a logical column) are events and censorings; a
    missing value leaves the sample out. Any other value in ``rows`` (the samples of the
    arms analysed), such as R ``Surv``'s 1/2 coding or ``"yes"``/``"no"``, would be read as
    an event count or dropped, and stops naming the column and the values.
    """
    raw = meta[event_col]
    if isinstance(raw.dtype, pd.CategoricalDtype):
        raw = raw.astype(object)
    coded = raw
    if not (pd.api.types.is_numeric_dtype(raw) or pd.api.types.is_bool_dtype(raw)):
        coded = raw.astype(object).map(_logical_text)
    event = pd.to_numeric(coded, errors="coerce")
    bad = raw.notna().to_numpy(bool) & ~event.isin([0, 1]).to_numpy(bool) & rows
    if bad.any():
        found = sorted({str(v) for v in raw[bad]})
        values = sorted({str(v) for v in raw[rows & raw.notna().to_numpy(bool)]})
        shown = ", ".join(found[:5]) + (f", ... ({len(found)} in all)" if len(found) > 5 else "")
        raise InputError(f"{caller}: column {event_col!r} must be 1 (major amputation or death) or 0 "
                         "(censored), or TRUE/FALSE (a logical column, or that text in any case); "
                         f"{int(bad.sum())} sample(s) have {shown} (values: "
                         f"{', '.join(values[:10])}); recode it as 1 = event, 0 = censored "
                         "(R's Surv 1/2 coding: subtract 1) or pass event_col=<a 0/1 column>")
    return event.to_numpy(float)


def _logical_text(value: object) -> object:
    """1/0 for the text ``TRUE``/``FALSE`` in any case (R's ``write.csv`` of a logical), else ``value``."""
    if isinstance(value, str):
        return {"true": 1, "false": 0}.get(value.strip().casefold(), value)
    return value


def _follow_up(meta: pd.DataFrame, time_col: str, rows: np.ndarray, caller: str) -> np.ndarray:
    """Return the follow-up column as days (NaN where missing); stop on text, infinite or negative days.

    A value in ``rows`` (the samples of the arms analysed) that is not a number, such as
    ``"12,5"`` or ``"unknown"``, would otherwise leave its sample out unseen, an infinite
    one (``inf``, ``-inf``) is no number of days, and a negative follow-up is no
    follow-up: all stop, naming the samples.
    """
    raw = meta[time_col]
    if isinstance(raw.dtype, pd.CategoricalDtype):
        raw = raw.astype(object)
    if pd.api.types.is_datetime64_any_dtype(raw):
        raise InputError(f"{caller}: column {time_col!r} holds dates, not days of follow-up; give "
                         "the days from implantation to the event or last follow-up (a number "
                         ">= 0), e.g. (last_date - implantation_date).dt.days")
    if pd.api.types.is_timedelta64_dtype(raw):  # durations: their days
        raw = raw.dt.total_seconds() / 86400.0
    elif raw.dtype == object or pd.api.types.is_string_dtype(raw):
        # a blank or NA text cell is a missing value, as a sheet reads it
        raw = raw.astype(object)
        raw = raw.mask(raw.map(lambda value: isinstance(value, str)
                               and value.strip().casefold() in ("", "na", "nan")))
    days = pd.to_numeric(raw, errors="coerce").to_numpy(float)
    text = raw.notna().to_numpy(bool) & np.isnan(days) & rows
    infinite = np.isinf(days) & rows
    negative = (days < 0) & rows & ~infinite
    for bad, what in ((text, "is not a number of days"), (infinite, "is infinite"),
                      (negative, "is negative")):
        if bad.any():
            shown = ", ".join(f"{sample} ({value!s})" for sample, value in
                              list(zip(meta.index[bad], raw[bad], strict=True))[:5])
            raise InputError(f"{caller}: column {time_col!r} {what} for {int(bad.sum())} sample(s): "
                             f"{shown}; give the days from implantation to the event or last "
                             "follow-up (a finite number >= 0), or leave the cell empty to leave the "
                             "sample out")
    return days


def _at_horizon(days: np.ndarray, event: np.ndarray, horizon_days: float | None,
                caller: str, level: int = logging.INFO) -> tuple[np.ndarray, np.ndarray]:
    """Censor follow-up at ``horizon_days`` (the end point; None: all follow-up is used).

    An event after the horizon counts as event-free survival to the horizon, as the
    response of :func:`omics.io.read_samplesheet` counts it, and so does follow-up past the
    horizon with a missing event (the status at the horizon is known: event-free); what
    changed is logged.
    """
    if horizon_days is None:
        return days, event
    late = np.isfinite(days) & (days > horizon_days)
    if late.any():
        late_events = int((late & (event == 1)).sum())
        unknown = int((late & np.isnan(event)).sum())
        _LOG.log(level, "%s: follow-up censored at day %g (the end point): %d event(s) and %d "
                 "event-free follow-up(s) after it%s", caller, horizon_days, late_events,
                 int(late.sum()) - late_events - unknown,
                 f", and {unknown} with no event recorded (event-free at day {horizon_days:g})"
                 if unknown else "")
    return np.where(late, horizon_days, days), np.where(late, 0.0, event)


def _check_horizon(horizon_days: float | None, caller: str) -> None:
    if horizon_days is not None and not (isinstance(horizon_days, numbers.Real)
                                         and not isinstance(horizon_days, bool | np.bool_)
                                         and np.isfinite(horizon_days) and horizon_days > 0):
        raise InputError(f"{caller}: horizon_days must be a number of days > 0 or None, got "
                         f"{horizon_days!r}; pass horizon_days={RESPONSE_DAY:g} (the 6-month end "
                         "point) or None (all follow-up)")


def cox_fit(frame: pd.DataFrame, *, duration_col: str = "time", event_col: str = "event"):
    """Fit an unpenalised Cox model (Efron ties) with lifelines; the fitted model.

    ``frame`` holds the duration, event and covariate columns (all numeric). The model is
    the one ``lifelines.CoxPHFitter`` (Breslow baseline) fits and forwards to
    (:class:`omics.tl._coxph.SemiParametricCoxFitter`): the same attributes and numbers.
    The fitted model's ``converged_`` is False when lifelines' Newton-Raphson stopped
    short of the maximum (its ``ConvergenceWarning``, which is then issued again); its
    other warnings are dropped.
    """
    cph, converged = _lifelines_cox(frame, duration_col=duration_col, event_col=event_col)
    cph.converged_ = converged
    if not converged:
        from lifelines.exceptions import ConvergenceWarning

        warnings.warn("cox_fit: lifelines' Newton-Raphson failed to converge; the estimates are not "
                      "the maximum of the partial likelihood", ConvergenceWarning, stacklevel=2)
    return cph


# lifelines' ConvergenceWarning texts that say its Newton-Raphson stopped short of the maximum
# (its other ConvergenceWarnings, such as a low-variance column, say nothing of the fit)
_UNCONVERGED = ("failed to converge", "suspiciously close to 0", "norm(delta) is still high")


def _lifelines_cox(frame: pd.DataFrame, *, duration_col: str = "time", event_col: str = "event",
                   initial_point: np.ndarray | None = None) -> tuple[object, bool]:
    """Fit lifelines' Cox model to ``frame``; the model and whether it converged (no ``_UNCONVERGED``)."""
    from lifelines.exceptions import ConvergenceWarning

    from ._coxph import SemiParametricCoxFitter  # lifelines' Cox model, made cheaper

    cph = SemiParametricCoxFitter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cph.fit(frame, duration_col=duration_col, event_col=event_col, initial_point=initial_point,
                fit_options={"step_size": 0.5, "max_steps": 500, "precision": 1e-12,
                             "r_precision": 1e-14})
    converged = not any(issubclass(w.category, ConvergenceWarning)
                        and any(text in str(w.message) for text in _UNCONVERGED) for w in caught)
    return cph, converged


def _null_loglik(time: np.ndarray, event: np.ndarray) -> float:
    """Efron partial log-likelihood with no covariates: ``-sum log(n_risk - k)``, k < d per time."""
    ll = 0.0
    for t in np.unique(time[event == 1]):
        d = int(((time == t) & (event == 1)).sum())
        at_risk = float((time >= t).sum())
        ll -= float(np.log(at_risk - np.arange(d)).sum())
    return ll


def _efron_score_info(time: np.ndarray, event: np.ndarray, x: np.ndarray,
                      beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gradient and information of the Efron partial log-likelihood at ``beta`` (the score tests).

    :func:`_efron_state` without centring the linear predictor: the score tests' numbers as
    before the refits shared the loop, bit for bit.
    """
    _, grad, info = _efron_state(time, event, x, beta, centred=False)
    return grad, info


def _efron_state(time: np.ndarray, event: np.ndarray, x: np.ndarray, beta: np.ndarray,
                 centred: bool = True) -> tuple[float, np.ndarray, np.ndarray]:
    """Efron partial log-likelihood, its gradient and information at ``beta``.

    With ``centred``, the linear predictor is centred at its largest value (the partial
    likelihood does not change), so a coefficient far out gives no overflow; an unreachable
    value is ``-inf``.
    """
    eta = x @ beta
    r = np.exp(eta - eta.max()) if centred and eta.size else np.exp(eta)
    k = x.shape[1]
    ll, grad, info = 0.0, np.zeros(k), np.zeros((k, k))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for t in np.unique(time[event == 1]):
            risk = time >= t
            dead = risk & (time == t) & (event == 1)
            d = int(dead.sum())
            rr, xr = r[risk], x[risk]
            s0, s1, s2 = rr.sum(), rr @ xr, (xr * rr[:, None]).T @ xr
            rd, xd = r[dead], x[dead]
            t0, t1, t2 = rd.sum(), rd @ xd, (xd * rd[:, None]).T @ xd
            grad += xd.sum(axis=0)
            ll += float(np.log(rd).sum())
            for m in range(d):
                f = m / d
                a0, a1, a2 = s0 - f * t0, s1 - f * t1, s2 - f * t2
                mean = a1 / a0
                ll -= float(np.log(a0))
                grad -= mean
                info += a2 / a0 - np.outer(mean, mean)
    return (ll if np.isfinite(ll) else -np.inf), grad, info


_NEWTON_STEPS = 100  # Newton-Raphson iterations of a refit (R coxph: iter.max 20, raised for eps 1e-12)
_NEWTON_TOL = 1e-12  # a refit has converged when g' I^-1 g (twice the log-likelihood left) is below this


def _newton(time: np.ndarray, event: np.ndarray, x: np.ndarray,
            start: np.ndarray) -> tuple[np.ndarray, float, bool]:
    """Step-halving Newton-Raphson on the Efron partial likelihood from ``start`` (as R ``coxph``).

    A step that lowers the log-likelihood is halved back towards the last point, as R's
    ``coxfit6`` does. Returns the coefficients, their log-likelihood and whether the
    Newton decrement ``g' I^-1 g`` fell below ``_NEWTON_TOL``. On a monotone likelihood it
    runs out along the diverging direction (the log-likelihood approaching its supremum),
    which :func:`_monotone` recognises.
    """
    beta = np.where(np.isfinite(start), start, 0.0).astype(float)
    ll, grad, info = _efron_state(time, event, x, beta)
    if not np.isfinite(ll):
        beta = np.zeros_like(beta)
        ll, grad, info = _efron_state(time, event, x, beta)
    for _ in range(_NEWTON_STEPS):
        try:
            step = np.linalg.solve(info, grad)
        except np.linalg.LinAlgError:
            return beta, ll, False
        if not np.all(np.isfinite(step)):
            return beta, ll, False
        if float(grad @ step) < _NEWTON_TOL:
            return beta, ll, True
        for _halving in range(40):
            new = beta + step
            new_ll, new_grad, new_info = _efron_state(time, event, x, new)
            if np.isfinite(new_ll) and new_ll >= ll - 1e-12 * max(1.0, abs(ll)):
                break
            step = step / 2.0
        else:
            return beta, ll, False
        beta, ll, grad, info = new, new_ll, new_grad, new_info
    return beta, ll, False


def _score_p(time: np.ndarray, event: np.ndarray, x: np.ndarray, j: int, reduced_beta: np.ndarray) -> float:
    """Score test of coefficient ``j`` at the fit without it (as R ``coxph(init=, iter.max=0)``)."""
    beta = np.insert(np.asarray(reduced_beta, dtype=float), j, 0.0)
    grad, info = _efron_score_info(time, event, x, beta)
    try:
        stat = float(grad @ np.linalg.solve(info, grad))
    except np.linalg.LinAlgError:
        return np.nan
    return float(stats.chi2.sf(max(stat, 0.0), 1))


def _monotone(time: np.ndarray, event: np.ndarray, x: np.ndarray, j: int) -> bool:
    """Whether the partial likelihood rises without bound along coefficient ``j`` (monotone likelihood).

    The Cox analogue of separation (Heinze & Schemper 2001), by linear programming as the
    logistic model's Konis check: a direction ``b`` with ``(x_i - x_k) b >= 0`` for every
    event ``i`` and every patient ``k`` at risk at its time (tied events included, so they
    share ``x b``), strictly for some pair, raises the Efron (and Breslow) partial
    likelihood to a limit it never reaches; ``b_j != 0`` on such a direction means the
    estimate of coefficient ``j`` diverges, whatever the fit stopped at.
    """
    from scipy import optimize

    pairs = [x[i] - x[(time >= time[i])] for i in np.flatnonzero(event == 1)]
    if not pairs:
        return False
    gaps = np.vstack(pairs)
    bounds = [(-1.0, 1.0)] * x.shape[1]
    # the largest total gap any such direction reaches; 0: no direction raises the likelihood
    best = optimize.linprog(-gaps.sum(axis=0), A_ub=-gaps, b_ub=np.zeros(len(gaps)), bounds=bounds,
                            method="highs")
    if best.status != 0 or -best.fun <= 1e-6:
        return False
    # directions that raise it (a total gap >= half the best) with the largest |b_j|
    rises = np.vstack([-gaps, -gaps.sum(axis=0)])
    limit = np.append(np.zeros(len(gaps)), 0.5 * best.fun)
    for sign in (1.0, -1.0):
        objective = np.zeros(x.shape[1])
        objective[j] = -sign
        found = optimize.linprog(objective, A_ub=rises, b_ub=limit, bounds=bounds, method="highs")
        if found.status == 0 and -found.fun > 1e-6:
            return True
    return False


def _fit_key(time: np.ndarray, event: np.ndarray, x: np.ndarray) -> tuple:
    """Exact identity of a Cox fit's input (same bytes: same lifelines result)."""
    return x.shape, x.tobytes(), time.tobytes(), event.tobytes()


def _cox_checked(frame: pd.DataFrame, time: np.ndarray, event: np.ndarray, x: np.ndarray,
                 refit: bool = False) -> tuple[object | None, float, np.ndarray, np.ndarray, bool, bool]:
    """Fit a Cox model to its maximum: by lifelines or, where lifelines fell short, by :func:`_newton`.

    Returns (lifelines model or None, log-likelihood, coefficients, standard errors,
    converged, lifelines converged). lifelines stops short on a score shifted between the
    arms (its step sizer shrinks below its floor) and on a monotone likelihood; such a fit
    (or any with ``refit``) is continued by step-halving Newton-Raphson from where lifelines
    stopped (from 0 when it raised), and lifelines, started there, gives the model its PH
    test needs (its numbers are kept when it no longer lowers the log-likelihood).
    """
    model: object | None = None
    try:
        model, fine = _lifelines_cox(frame)
        beta = model.params_.to_numpy(float)
        if fine and not refit:
            return (model, float(model.log_likelihood_), beta, model.standard_errors_.to_numpy(float),
                    True, True)
    except Exception:  # lifelines raises ConvergenceError and numpy errors on divergence
        beta = np.zeros(x.shape[1])
        fine = False
    beta, ll, converged = _newton(time, event, x, beta)
    _, _, info = _efron_state(time, event, x, beta)
    try:
        with np.errstate(invalid="ignore"):
            se = np.sqrt(np.diag(np.linalg.inv(info)))
    except np.linalg.LinAlgError:
        se = np.full(len(beta), np.nan)
    if converged and model is not None and np.all(np.isfinite(beta)):
        try:
            polished, ok = _lifelines_cox(frame, initial_point=beta * model._norm_std.to_numpy(float))
            if ok and polished.log_likelihood_ >= ll - 1e-9:
                return (polished, float(polished.log_likelihood_), polished.params_.to_numpy(float),
                        polished.standard_errors_.to_numpy(float), True, fine)
        except Exception:  # the refit's own numbers stand
            pass
    return None, ll, beta, se, converged, fine


def _fit(time: np.ndarray, event: np.ndarray, columns: list[tuple[str, np.ndarray]],
         tested: str, keep: Sequence[str], test: str = "lrt",
         fits: dict | None = None) -> tuple[_Test, float]:
    """Cox fit with and without ``tested``: estimate, Wald CI, LRT p, flags; and the PH p.

    ``fits`` maps :func:`_fit_key` of a design to its fit's (log-likelihood, coefficients,
    converged): a reduced model whose input is byte-identical to one fitted before (the
    covariate-only model of an arm shared by every score, or the interaction model's
    reduced model, which is the pooled model) is taken from there instead of being fitted
    again; the numbers are the same as a new fit's.

    A fit lifelines does not bring to its maximum is refitted (:func:`_cox_checked`), and
    so are both fits when the likelihood-ratio statistic comes out below -1e-6 (the full
    model cannot fit worse than the model without the term). A model whose fit still falls
    short is separated when :func:`_monotone` finds a monotone likelihood, and otherwise
    returned with ``converged=False`` and no numbers. A separated or unconverged model has
    no PH p-value (NaN).
    """
    fits = {} if fits is None else fits
    if event.sum() < 2 or len(time) < 4:
        return _Test(), np.nan
    x, names = _design([("intercept", np.ones(len(time))), *columns], keep)
    if not names:
        return _Test(), np.nan
    x, names = x[:, 1:], names[1:]  # Cox has no intercept
    if len(time) < len(names) + 3:
        return _Test(), np.nan
    frame = pd.DataFrame(x, columns=[f"v{i}" for i in range(len(names))])
    frame["time"], frame["event"] = time, event
    j = names.index(tested)
    reduced_cols = [c for i, c in enumerate(frame.columns) if c != f"v{j}"]
    reduced_x = np.delete(x, j, axis=1)
    key = _fit_key(time, event, reduced_x)

    def reduced(refit: bool = False) -> tuple[float, np.ndarray, bool]:
        if len(names) == 1:
            return _null_loglik(time, event), np.zeros(0), True
        if refit or key not in fits:
            _, ll, beta, _, ok, _ = _cox_checked(frame[reduced_cols], time, event, reduced_x, refit)
            fits[key] = (ll, beta, ok)
        return fits[key]

    full, full_ll, params, ses, converged, first_try = _cox_checked(frame, time, event, x)
    bottom, reduced_beta, reduced_ok = reduced()
    if 2.0 * (full_ll - bottom) < -1e-6:  # one of the fits stopped short of its maximum
        full, full_ll, params, ses, converged, _ = _cox_checked(frame, time, event, x, refit=True)
        bottom, reduced_beta, reduced_ok = reduced(refit=True)
        first_try = False
    fits[_fit_key(time, event, x)] = (full_ll, params, converged)
    statistic = 2.0 * (full_ll - bottom)
    beta, se = float(params[j]), float(ses[j])
    # Newton on a monotone likelihood takes steps that do not shrink and stops when the
    # log-likelihood no longer changes, with |beta| near 30 over the score gap of the
    # ordered events: far above _SCREEN, below which the exact check is not needed unless
    # the fit did not converge. A large |beta| alone is no separation: a score whose spread
    # within the arm is small against its SD over both arms (a shift between the arms) has
    # a finite, if extreme, estimate per SD, which is reported when the linear program
    # finds no divergence
    separated = ((not np.isfinite(beta)) or not np.isfinite(se)
                 or ((abs(beta) > _SCREEN or not (first_try and converged))
                     and _monotone(time, event, x, j)))
    if not separated and (not (converged and reduced_ok) or statistic < -1e-6):
        _LOG.debug("Cox fit of %s did not converge (twice the log-likelihood gain %.3g)", tested,
                   statistic)
        return _Test(method="cox", converged=False), np.nan
    # an HR or interval end beyond the largest float is no number to print: as separated
    separated = separated or abs(beta) + _Z95 * se > _LOG_MAX
    stat = max(statistic, 0.0)
    p = float(stats.chi2.sf(stat, 1)) if test == "lrt" else _score_p(time, event, x, j, reduced_beta)
    result = _Test(beta=beta, low=beta - _Z95 * se, high=beta + _Z95 * se, p=p, method="cox",
                   separated=bool(separated))
    ph = np.nan
    if full is not None and not separated:
        try:
            from lifelines.statistics import proportional_hazard_test

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = proportional_hazard_test(full, frame, time_transform=_event_time_rank)
            ph = float(np.asarray(res.summary["p"])[j])
        except Exception:  # the PH test is a diagnostic; a failure leaves it NaN
            ph = np.nan
    return result, ph


def _event_time_rank(durations: pd.Series, events: pd.Series, weights: pd.Series) -> pd.Series:
    """Rank of each event time among the event times, tied times sharing their average rank.

    The ``rank`` time transform of the Grambsch-Therneau test as R's ``cox.zph`` computed it
    before survival 3.0 (``rank()``). lifelines' own ``"rank"`` numbers tied events 1, 2, ...
    in the order the rows arrive, so the p-value changed when the same patients came in
    another order. Censored rows get NaN: the test reads the event rows only.
    """
    ranks = np.full(len(durations), np.nan)
    observed = np.asarray(events, dtype=bool)
    ranks[observed] = stats.rankdata(np.asarray(durations, dtype=float)[observed])
    return pd.Series(ranks, index=durations.index)


def _matched_samples(scores: pd.DataFrame, obs: pd.DataFrame, caller: str
                     ) -> tuple[list, pd.DataFrame]:
    """Return the ids of ``scores`` in the sheet and their sheet rows; stop when there are none.

    A sample id twice in ``scores`` or in the sheet stops too (which row is the sample's?).
    """
    if len(scores.index) == 0:
        raise InputError(f"{caller}: `scores` has no sample (an empty table, or an AnnData view that "
                         "selected none); pass the scores of the samples to analyse")
    for what, index in (("`scores`", scores.index), ("the sample sheet", obs.index)):
        twice = index[index.duplicated()].unique()
        if len(twice):
            raise InputError(f"{caller}: duplicated sample ids in {what}: "
                             f"{', '.join(map(str, twice[:5]))}"
                             f"{f' ({len(twice)} in all)' if len(twice) > 5 else ''}; give each "
                             "sample one row (drop or merge the repeated rows)")
    samples = [s for s in scores.index if s in obs.index]
    if not samples:
        raise InputError(f"{caller}: no sample id of `scores` is in the sample sheet (scores: "
                         f"{', '.join(map(str, scores.index[:3]))}, ...; sheet: "
                         f"{', '.join(map(str, obs.index[:3]))}, ...); pass scores indexed by the "
                         "sheet's sample ids")
    return samples, obs.loc[samples]


def survival_model(
    scores: pd.DataFrame,
    obs: pd.DataFrame,
    *,
    covariates: Sequence[str] = ("age", "diabetes"),
    arm_col: str = "arm",
    time_col: str = "afs_days",
    event_col: str = "afs_event",
    treated: str = "bmmnc",
    control: str = "placebo",
    alpha: float = 0.05,
    multiplicity: str = "bh",
    arm_test: str = "score",
    horizon_days: float | None = RESPONSE_DAY,
) -> pd.DataFrame:
    """Cox models of amputation-free survival per score, classified like the logistic model.

    Parameters
    ----------
    scores
        Samples x scores, indexed by sample id (NaN = missing); the same table as for
        :func:`omics.tl.response_model` (extra scores such as flow-cytometry populations
        are extra columns).
    obs
        Sample sheet indexed by sample id with the arm, ``time_col``, ``event_col`` and
        covariate columns.
    covariates, arm_col, treated, control, alpha, multiplicity
        As in :func:`omics.tl.response_model`.
    time_col, event_col
        Follow-up in days and event indicator (1 = major amputation or death, 0 =
        censored; booleans and the text TRUE/FALSE in any case also; a missing value leaves
        the sample out).
    arm_test
        Test of the score in each arm: ``"score"`` (default; Efron score test at the fit
        without the score, as R ``coxph(init=, iter.max=0)``) or ``"lrt"``
        (partial-likelihood ratio). With ~8 events per arm the LRT is liberal in the
        tail: with 5 scores per trial 12 of 200 null trials had a predictive or
        prognostic call with it, 8 of 200 with the score test; with 11 scores per trial
        (as the logistic benchmark) 9 of 200 with the score test
        (``benchmarks/bench_calibration.py``).
    horizon_days
        The end point: follow-up is censored at this day (default 183, six months: an
        amputation or death after it counts as event-free survival to it, as the
        ``response`` derived from the survival columns counts it); None uses all
        follow-up. What it censors is logged.

    Returns
    -------
    pandas.DataFrame
        One row per score: ``score``, ``n``, ``n_events``, ``n_control``,
        ``n_events_control``, ``n_treated``, ``n_events_treated``; for each of
        ``control``, ``treated``, ``pooled``, ``interaction``: ``hr_*`` (per SD; for the
        interaction the ratio of treated to control HR), ``hr_*_low``, ``hr_*_high``
        (Wald 95 %), ``p_*`` (the likelihood-ratio test of the term; ``p_control`` and
        ``p_treated`` are Efron score tests by default, likelihood-ratio tests with
        ``arm_test="lrt"``) and ``ph_p_*`` (Schoenfeld test of the term);
        ``fdr_pooled``, ``fdr_interaction``, ``fdr_control``, ``fdr_treated``,
        ``fdr_screen``; ``ph_p`` (smallest ``ph_p_*``); ``separation`` (models with
        monotone likelihood or an HR beyond a float, and ``<model>:not_converged`` for a
        model whose fit did not converge, ``;``-joined); ``classification`` and
        ``direction``.

    Raises
    ------
    omics._errors.InputError
        On a missing column, a bad ``multiplicity`` or ``arm_test``, no sample of
        ``scores`` in the sheet, a sample id twice in ``scores`` or the sheet, an arm value
        that looks like a misspelt ``treated`` or ``control``, arm values none of which is
        ``treated`` or ``control``, an event value other than 0/1 (or False/True) or a
        follow-up that is text, infinite or negative in the arms analysed, no event on or
        before ``horizon_days`` (nothing to estimate), or a covariate with no value for any
        sample with follow-up in those arms.
    """
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    for argument, column in (("arm_col", arm_col), ("time_col", time_col), ("event_col", event_col),
                             *(("covariates", c) for c in covariates)):
        if column not in obs.columns:
            raise InputError(f"survival_model: column {column!r} is not in the sample sheet (columns: "
                             f"{', '.join(map(str, obs.columns))}); pass {argument}=<the column>")
    check_distinct_arms(treated, control, "survival_model")
    if not (isinstance(alpha, int | float) and 0 < alpha < 1):
        raise InputError(f"survival_model: alpha must be a number in (0, 1), got {alpha!r}; "
                         "pass e.g. alpha=0.05")
    _check_horizon(horizon_days, "survival_model")
    if multiplicity not in ("bh", "none"):
        raise InputError(f"survival_model: multiplicity must be 'bh' or 'none', got {multiplicity!r}")
    if arm_test not in ARM_TESTS:
        raise InputError(f"survival_model: arm_test must be 'score' or 'lrt', got {arm_test!r}; "
                         "pass arm_test='score' (Efron score test) or arm_test='lrt' "
                         "(likelihood-ratio test)")
    samples, meta = _matched_samples(scores, obs, "survival_model")
    check_arm_spelling(meta[arm_col], arm_col, treated, control, "survival_model")
    if not check_arms_present(meta[arm_col], arm_col, (treated, control), "survival_model",
                              "pass treated= and control= as the sample sheet writes the arms"):
        _LOG.warning("survival_model: column %r has no value for any sample: no sample is "
                     "analysed", arm_col)
    arm_values = meta[arm_col].astype(object)
    in_arms = arm_values.isin([treated, control]).to_numpy()
    time_all = _follow_up(meta, time_col, in_arms, "survival_model")
    event_all = _event_indicator(meta, event_col, in_arms, "survival_model")
    time_all, event_all = _at_horizon(time_all, event_all, horizon_days, "survival_model")
    known = in_arms & np.isfinite(time_all) & np.isfinite(event_all)
    if known.any() and not (event_all[known] == 1).any():
        end = f"on or before day {horizon_days:g}" if horizon_days is not None else "at any time"
        raise NoEventsError(f"survival_model: no {event_col} event (major amputation or death) {end} "
                         f"among the {int(known.sum())} sample(s) with {time_col} and {event_col} "
                         f"in the arms {treated!r} and {control!r}, so the Cox models have nothing "
                         f"to estimate; check the coding of {event_col} (1 = event, 0 = censored) "
                         f"and the unit of {time_col} (days), or leave {time_col}/{event_col} out "
                         "(no survival model)")
    check_covariates_observed(meta, covariates, known, "survival_model")
    complete = known.copy()
    cov_cols = _covariate_columns(meta, covariates)
    for _, col in cov_cols:
        complete &= col.notna().to_numpy()
    if known.sum() > complete.sum():
        _LOG.warning("survival_model: %d sample(s) with a missing covariate are left out",
                     int(known.sum() - complete.sum()))
    arm_all = (arm_values == treated).to_numpy(float)
    values = numeric_scores(scores, samples, "survival_model")

    rows, score_tests, unmodelled, unconverged = [], [], [], []
    fits: dict = {}  # Cox fits by exact input, shared by the scores' models (see _fit)
    for s, name in enumerate(scores.columns):
        use = complete & np.isfinite(values[:, s])
        time, event, arm, raw = time_all[use], event_all[use], arm_all[use], values[use, s]
        row: dict[str, object] = {
            "score": name, "n": int(use.sum()), "n_events": int(event.sum()),
            "n_control": int((arm == 0).sum()), "n_events_control": int(event[arm == 0].sum()),
            "n_treated": int((arm == 1).sum()), "n_events_treated": int(event[arm == 1].sum()),
        }
        sd = raw.std(ddof=1) if len(raw) > 1 else 0.0
        fitted = len(raw) > 3 and sd > 0
        if not fitted:
            unmodelled.append(unmodelled_reason(name, raw, sd))
        z = (raw - raw.mean()) / sd if fitted else raw * np.nan
        covs = [(c, col.to_numpy(float)[use]) for c, col in cov_cols]
        tests: dict[str, _Test] = {}
        ph: dict[str, float] = {}
        for label, value in (("control", 0.0), ("treated", 1.0)):
            sub = arm == value
            cols = [("z", z[sub]), *[(c, v[sub]) for c, v in covs]]
            tests[label], ph[label] = (_fit(time[sub], event[sub], cols, "z", ["z"], arm_test, fits) if fitted
                                       else (_Test(), np.nan))
        base = [("arm", arm), ("z", z)]
        tests["pooled"], ph["pooled"] = (_fit(time, event, base + covs, "z", ["arm", "z"], fits=fits)
                                         if fitted
                                         else (_Test(), np.nan))
        # an arm with fewer than two events has no score slope of its own (as in its own
        # model): the interaction, the difference of the arms' slopes, is not estimable
        testable = min(row["n_events_control"], row["n_events_treated"]) >= 2
        tests["interaction"], ph["interaction"] = (
            _fit(time, event, [*base, ("arm:z", arm * z), *covs], "arm:z", ["arm", "z", "arm:z"],
                 fits=fits)
            if fitted and testable else (_Test(), np.nan))
        for label, t in tests.items():
            bounded = t.separated  # also every |log HR| or interval end a float cannot hold (see _fit)
            row[f"hr_{label}"] = np.exp(t.beta) if not bounded else np.nan
            row[f"hr_{label}_low"] = np.exp(t.low) if not bounded else np.nan
            row[f"hr_{label}_high"] = np.exp(t.high) if not bounded else np.nan
            row[f"p_{label}"] = t.p
            row[f"ph_p_{label}"] = ph[label]
        finite_ph = [v for v in ph.values() if np.isfinite(v)]
        row["ph_p"] = min(finite_ph) if finite_ph else np.nan
        failed = [k for k, t in tests.items() if not t.converged]
        row["separation"] = ";".join([*(k for k, t in tests.items() if t.separated),
                                      *(f"{k}:{NOT_CONVERGED}" for k in failed)])
        if failed:
            unconverged.append(f"{name} ({', '.join(failed)})")
        rows.append(row)
        score_tests.append(tests)
    warn_unmodelled("survival_model", unmodelled)
    if unconverged:
        _LOG.warning("survival_model: the Cox fit did not converge (neither lifelines nor step-halving "
                     "Newton-Raphson reached a maximum of the partial likelihood, and the likelihood "
                     "is not monotone) for %d score(s) (models in brackets), whose hazard ratios, "
                     "p-values and PH p-values are left empty (NaN; '<model>:%s' in column "
                     "separation) and which are not called: %s",
                     len(unconverged), NOT_CONVERGED, ", ".join(unconverged))
    table = pd.DataFrame(rows)
    for test in ("pooled", "interaction"):
        table.insert(table.columns.get_loc(f"p_{test}") + 1, f"fdr_{test}",
                     _bh(table[f"p_{test}"].to_numpy(dtype=float)))
    both = _bh(np.concatenate([table["p_control"].to_numpy(float), table["p_treated"].to_numpy(float)]))
    fdr_control, fdr_treated = both[: len(table)], both[len(table):]
    if multiplicity == "bh":
        evidence_c, evidence_t = fdr_control < alpha, fdr_treated < alpha
    else:
        evidence_c = table["p_control"].to_numpy(float) < alpha
        evidence_t = table["p_treated"].to_numpy(float) < alpha
    calls = [_classify(t["treated"], t["control"], t["pooled"], t["interaction"], bool(et), bool(ec), alpha,
                       good_sign=-1)
             if all(t[k].converged for k in ("control", "treated", "interaction"))
             else ("none", _direction(t["pooled"].beta, -1))  # never a call from a fit short of its maximum
             for t, et, ec in zip(score_tests, evidence_t, evidence_c, strict=True)]
    table["fdr_control"], table["fdr_treated"] = fdr_control, fdr_treated
    table["fdr_screen"] = np.fmin(fdr_control, fdr_treated)
    table["classification"] = [c for c, _ in calls]
    table["direction"] = [d for _, d in calls]
    counts = table["classification"].value_counts()
    _LOG.info("survival_model: %d scores: %s", len(table),
              ", ".join(f"{counts.get(c, 0)} {c}" for c in ("predictive", "prognostic", "treated_only",
                                                              "none")))
    return table


def km_table(time: np.ndarray, event: np.ndarray) -> pd.DataFrame:
    """Kaplan-Meier estimate and event table of right-censored follow-up.

    Bit for bit what lifelines' ``KaplanMeierFitter().fit(time, event)`` gives in
    ``event_table`` and ``survival_function_`` (tested): a row at time 0 (unless a
    follow-up time is 0 or less) and one per distinct time; the estimate is lifelines'
    ``exp(cumsum(log(n - d) - log(n)))``. Computed here because the fitter's pandas
    bookkeeping costs ~5 ms per curve and the score stage draws four curves per score.

    Parameters
    ----------
    time
        Follow-up times (finite).
    event
        1 where the follow-up ended with the event, 0 where it was censored.

    Returns
    -------
    pandas.DataFrame
        ``time``, ``survival`` (just after ``time``), ``n_at_risk`` (just before),
        ``n_events`` and ``n_censored`` (at ``time``).
    """
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=float)
    times, group = np.unique(time, return_inverse=True)
    ended = np.bincount(group, minlength=times.size)
    events = np.bincount(group, weights=event, minlength=times.size).astype(np.int64)
    if times.size == 0 or times[0] > 0:  # lifelines starts at the earliest time when it is < 0
        times, ended, events = np.r_[0.0, times], np.r_[0, ended], np.r_[0, events]
    at_risk = time.size - np.r_[0, np.cumsum(ended)[:-1]]
    with np.errstate(divide="ignore", invalid="ignore"):
        survival = np.exp(np.cumsum(np.log(at_risk - events) - np.log(at_risk)))
    return pd.DataFrame({"time": times, "survival": survival, "n_at_risk": at_risk.astype(int),
                         "n_events": events.astype(int), "n_censored": (ended - events).astype(int)})


def logrank_p(time_a: np.ndarray, time_b: np.ndarray, event_a: np.ndarray,
              event_b: np.ndarray) -> float:
    """Log-rank test of two groups' right-censored follow-up; its chi-square (1 df) p-value.

    The Mantel-Haenszel statistic: at every distinct time ``t`` with ``n`` at risk
    (``n_a`` in group a) and ``d`` events, the expected events of group a are
    ``n_a * d / n``, with hypergeometric variance ``n_a * n_b * d * (n - d) /
    (n**2 * (n - 1))``; ``U = (O_a - E_a)**2 / V``. The same numbers as lifelines'
    ``logrank_test`` (and R ``survdiff``), bit for bit (tested): each quantity is computed
    with the same floating-point operations in the same order, the variance as lifelines
    does, through the products of the scaled at-risk columns. lifelines' pandas
    bookkeeping costs ~9 ms per test, this ~0.25 ms, and the score stage runs two tests per
    score.

    Parameters
    ----------
    time_a, time_b
        Follow-up times of each group.
    event_a, event_b
        1 where the follow-up ended with the event, 0 where it was censored.

    Returns
    -------
    float
        The p-value.
    """
    time = np.r_[np.asarray(time_a, dtype=float), np.asarray(time_b, dtype=float)]
    event = np.r_[np.asarray(event_a, dtype=float), np.asarray(event_b, dtype=float)]
    group = np.r_[np.zeros(len(time_a), dtype=int), np.ones(len(time_b), dtype=int)]
    times, position = np.unique(time, return_inverse=True)
    ended = np.zeros((2, times.size))  # follow-ups ending at each time, per group
    events = np.zeros((2, times.size))
    np.add.at(ended, (group, position), 1.0)
    np.add.at(events, (group, position), event)
    earlier = np.zeros((2, times.size))
    earlier[:, 1:] = np.cumsum(ended, axis=1)[:, :-1]
    at_risk = ended.sum(axis=1)[:, None] - earlier  # per group, just before each time
    deaths = events[0] + events[1]
    at_risk_all = at_risk[0] + at_risk[1]  # whole counts: exact
    expected = (at_risk * (deaths / at_risk_all)).sum(axis=1)
    observed_minus_expected = events.sum(axis=1) - expected
    with np.errstate(divide="ignore", invalid="ignore"):
        correction = (at_risk_all - deaths) / (at_risk_all - 1)
    correction[~np.isfinite(correction)] = 1.0  # one subject at risk
    scale = np.sqrt(correction * deaths / at_risk_all ** 2)
    columns = np.vstack([at_risk, at_risk_all[None, :]]) * scale
    columns[np.isnan(columns)] = 0.0
    # a general matrix product on a copy (the same summation as lifelines' np.dot of two
    # frames), not the symmetric product numpy picks for an array and its own transpose
    variance = -np.dot(columns, columns.T.copy(order="F"))
    variance[[0, 1], [0, 1]] = variance[[0, 1], [0, 1]] - variance[-1, [0, 1]]
    first = observed_minus_expected[:1]
    statistic = first @ np.linalg.pinv(variance[:1, :1]) @ first
    return float(stats.chi2.sf(statistic, 1))


def kaplan_meier(scores: pd.DataFrame, obs: pd.DataFrame, *, arm_col: str = "arm",
                 time_col: str = "afs_days", event_col: str = "afs_event",
                 arms: Sequence[str] = ("placebo", "bmmnc"),
                 horizon_days: float | None = RESPONSE_DAY) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Kaplan-Meier curves by score median split within each arm, with log-rank tests.

    Within each arm, samples with a score above the arm's median are ``high``, the others
    ``low``; when no score is above the median (its value is the largest, as for a binary
    score mostly 1) and the arm has two or more values, those at or above it are ``high``
    (logged). Returns (``curves``, ``logrank``): ``curves`` is long, one row per score, arm,
    group and time (0 and every distinct follow-up time of the group): ``score``, ``arm``,
    ``group``, ``time``, ``survival`` (KM estimate just after ``time``),
    ``n_at_risk`` (at risk just before ``time``), ``n_events`` and ``n_censored`` at
    ``time``. ``logrank`` has ``score``, ``arm``, ``n_low``, ``n_high``,
    ``events_low``, ``events_high``, ``median_score`` and ``logrank_p`` (lifelines
    ``logrank_test``, equal to R ``survdiff``). The curves are :func:`km_table` and the
    p-values :func:`logrank_p`: lifelines' ``KaplanMeierFitter`` and ``logrank_test``, bit
    for bit. A column named by ``arm_col``, ``time_col`` or ``event_col`` that is not in
    ``obs`` raises :class:`~omics._errors.InputError`, as do: no sample of ``scores`` in
    ``obs``; an arm value that looks like a misspelling of one of ``arms`` (case, white
    space or punctuation apart, e.g. ``BM-MNC`` for ``bmmnc``); arm values none of which
    is one of ``arms`` (compared by value, as the samples are selected: a float ``1.0`` is
    the arm ``1``, the text ``"1"`` is not); an ``event_col`` value other than 1 (event),
    0 (censored) or TRUE/FALSE (booleans, or that text in any case) in those arms (a
    missing value leaves the sample out), a ``time_col`` value that is text, infinite or
    negative, or a sample id twice in ``scores`` or ``obs``. One arm alone is drawn when
    the other has no sample; samples of other arms are left out.

    Follow-up is censored at ``horizon_days`` (default 183, the six-month end point, as
    in :func:`survival_model`; None uses all follow-up), so the curves end there.
    """
    _check_horizon(horizon_days, "kaplan_meier")
    for argument, column in (("arm_col", arm_col), ("time_col", time_col), ("event_col", event_col)):
        if column not in obs.columns:
            raise InputError(f"kaplan_meier: column {column!r} is not in the sample sheet (columns: "
                             f"{', '.join(map(str, obs.columns))}); pass {argument}=<the column>")
    arms = [arms] if isinstance(arms, str) else list(arms)
    samples, meta = _matched_samples(scores, obs, "kaplan_meier")
    if not arms:
        raise InputError("kaplan_meier: arms is empty; pass arms=<the arms to draw, e.g. "
                         "('placebo', 'bmmnc')>")
    found = arm_lookalike(meta[arm_col], arms)
    if found is not None:
        level, alike, present = found
        others = [v for v in present if v not in map(str, arms)]
        fixed = tuple(arm if str(arm) in present else (resembling(str(arm), others) or arm)
                      for arm in arms)
        raise InputError(f"kaplan_meier: no sample has {arm_col} {level!r} (arms=), but some have "
                         f"{alike!r} (values: {', '.join(present)}); pass arms={fixed!r} if those "
                         "are the arms meant")
    if not check_arms_present(meta[arm_col], arm_col, arms, "kaplan_meier",
                              "pass arms= as the sample sheet writes the arms"):
        _LOG.warning("kaplan_meier: column %r has no value for any sample: no curve is drawn", arm_col)
    arm_series = meta[arm_col].astype(object)
    in_arms = arm_series.isin(arms).to_numpy()
    time_all = _follow_up(meta, time_col, in_arms, "kaplan_meier")
    event_all = _event_indicator(meta, event_col, in_arms, "kaplan_meier")
    # survival_model, run on the same samples, says what it censored
    time_all, event_all = _at_horizon(time_all, event_all, horizon_days, "kaplan_meier", logging.DEBUG)
    arm_all = arm_series.to_numpy()
    values = scores.loc[samples].apply(pd.to_numeric, errors="coerce").to_numpy(float)
    curves, tests = [], []
    for s, name in enumerate(scores.columns):
        for arm in arms:
            use = ((arm_all == arm) & np.isfinite(time_all) & np.isfinite(event_all)
                   & np.isfinite(values[:, s]))
            if use.sum() < 4:
                continue
            score, time, event = values[use, s], time_all[use], event_all[use]
            median = float(np.median(score))
            high = score > median
            if not high.any() and np.unique(score).size > 1:
                # the median is the largest value (e.g. a binary score, mostly 1): the arm split
                # at it, the median value going to the high group
                high = score >= median
                _LOG.info("kaplan_meier: %s, %s: the median %g is the largest value of %d of the "
                          "%d patients, so the arm is split at >= the median (%d high, %d low)",
                          name, arm, median, int(high.sum()), len(score), int(high.sum()),
                          int((~high).sum()))
            groups = {"low": ~high, "high": high}
            for group, mask in groups.items():
                if not mask.any():
                    continue
                curve = km_table(time[mask], event[mask])
                curve.insert(0, "group", group)
                curve.insert(0, "arm", arm)
                curve.insert(0, "score", name)
                curves.append(curve)
            p = np.nan
            if high.any() and (~high).any() and event.sum() > 0:
                p = logrank_p(time[high], time[~high], event[high], event[~high])
            tests.append({"score": name, "arm": arm, "n_low": int((~high).sum()), "n_high": int(high.sum()),
                          "events_low": int(event[~high].sum()), "events_high": int(event[high].sum()),
                          "median_score": median, "logrank_p": p})
    curve_cols = ["score", "arm", "group", "time", "survival", "n_at_risk", "n_events", "n_censored"]
    test_cols = ["score", "arm", "n_low", "n_high", "events_low", "events_high", "median_score", "logrank_p"]
    return (pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(columns=curve_cols),
            pd.DataFrame(tests, columns=test_cols))
