"""Audit h45 findings 8, 10, 11: extreme but finite fits, CV AUC of tiny classes, follow-up in months."""

import logging

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats
from scipy.special import expit

from helpers import REPO, edited_test_sheet, survival_reference
from omics._errors import InputError
from omics.io import read_samplesheet
from omics.tl._response import response_model
from omics.tl._survival import survival_model

REF = REPO / "tests" / "reference" / "survival" / "data.csv"


@pytest.fixture()
def shifted():
    """40 patients; the prognostic score shifted by 10 in the BM-MNC arm (a batch effect)."""
    d = survival_reference()
    scores = pd.DataFrame({"prog": d["prog"] + 10.0 * (d["arm"] == "bmmnc")})
    return scores, d.drop(columns=["pred", "prog"])


def _z(scores):
    raw = scores["prog"].to_numpy(float)
    return (raw - raw.mean()) / raw.std(ddof=1)


# --- 8: Cox -------------------------------------------------------------------------------


def test_cox_extreme_but_bounded_fit_reports_its_hr(shifted):
    """|log HR| > 10 per SD with a bounded likelihood is a finite estimate, not separation."""
    from lifelines import CoxPHFitter
    from statsmodels.duration.hazard_regression import PHReg

    scores, obs = shifted
    row = survival_model(scores, obs, covariates=()).iloc[0]
    assert row["separation"] == "" and np.isfinite(row["hr_control"])
    # the same fit by lifelines and statsmodels (Efron ties), follow-up censored at day 183
    placebo = (obs["arm"] == "placebo").to_numpy()
    days = obs["afs_days"].to_numpy(float)
    event = np.where(days > 183, 0.0, obs["afs_event"].to_numpy(float))
    frame = pd.DataFrame({"z": _z(scores)[placebo], "time": np.minimum(days, 183)[placebo],
                          "event": event[placebo]})
    lifelines_beta = CoxPHFitter().fit(frame, "time", "event").params_["z"]
    statsmodels_beta = PHReg(frame["time"], frame[["z"]], status=frame["event"], ties="efron").fit().params[0]
    assert abs(lifelines_beta) > 10
    assert np.log(row["hr_control"]) == pytest.approx(lifelines_beta, rel=1e-4)
    assert np.log(row["hr_control"]) == pytest.approx(statsmodels_beta, rel=1e-4)
    # the placebo-arm test is that of the unshifted score
    plain = survival_model(pd.DataFrame({"prog": pd.read_csv(REF, index_col="sample")["prog"]}),
                           obs, covariates=()).iloc[0]
    assert row["p_control"] == pytest.approx(plain["p_control"], rel=1e-6)


# --- 8: logistic profile bound ------------------------------------------------------------


def _penalised(beta, y, x):
    eta = x @ beta
    w = expit(eta) * expit(-eta)
    sign, logdet = np.linalg.slogdet((x * w[:, None]).T @ x)
    return np.sum(y * eta - np.logaddexp(0.0, eta)) + 0.5 * logdet if sign > 0 else -np.inf


def _maximum(y, x, j=None, value=0.0, start=None):
    """Firth-penalised maximum (coefficient ``j`` held at ``value``) by scipy, not omics."""
    k = x.shape[1]
    free = [i for i in range(k) if i != j]

    def full(v):
        beta = np.zeros(k)
        beta[free] = v
        if j is not None:
            beta[j] = value
        return beta

    best = optimize.minimize(lambda v: -_penalised(full(v), y, x),
                             np.zeros(len(free)) if start is None else start[free], method="BFGS",
                             options={"gtol": 1e-10, "maxiter": 10000})
    return full(best.x), -best.fun


def test_logistic_profile_bound_beyond_e10_is_found_not_inf(shifted):
    """A profile bound beyond |log OR| 10 per SD is the finite bound, at the chi2 threshold."""
    scores, obs = shifted
    row = response_model(scores, obs, covariates=(), repeats=2).iloc[0]
    high = np.log(row["or_control_high"])
    assert np.isfinite(high) and high > 10 and row["separation"] == ""
    # independent: scipy's maximum of the penalised likelihood of the same design, and the
    # constrained maximum at the bound (reached along a path of constrained maxima)
    y = (obs["response"] == "responder").to_numpy(float)
    arm = (obs["arm"] == "bmmnc").to_numpy(float)
    z = _z(scores)
    x = np.column_stack([np.ones(len(y)), arm, z * (1 - arm), z * arm])
    beta, top = _maximum(y, x)
    assert np.log(row["or_control"]) == pytest.approx(beta[2], rel=1e-4)
    start = beta
    for value in np.linspace(beta[2], high, 30)[1:]:
        start, at = _maximum(y, x, j=2, value=value, start=start)
    assert 2 * (top - at) == pytest.approx(stats.chi2.ppf(0.95, 1), abs=2e-3)
    # scale: the bounds of the unshifted score, in its own SDs, are the same interval
    plain = pd.DataFrame({"prog": pd.read_csv(REF, index_col="sample")["prog"]})
    base = response_model(plain, obs, covariates=(), repeats=2).iloc[0]
    ratio = np.log(row["or_control"]) / np.log(base["or_control"])
    assert high / np.log(base["or_control_high"]) == pytest.approx(ratio, rel=1e-3)


def _review_design(i):
    """Design ``i`` of review h46's simulation (intercept, standardised score, age; n 10-30)."""
    rng = np.random.default_rng(46)
    for k in range(i + 1):
        n = int(rng.choice([10, 14, 20, 30]))
        z, age = rng.normal(size=n), rng.normal(size=n)
        eff = rng.uniform(2, 12)
        y = (rng.uniform(size=n) < 1 / (1 + np.exp(-(eff * z + rng.normal() * 0.5)))).astype(float)
        if k == i:
            return y, np.column_stack([np.ones(n), (z - z.mean()) / z.std(), age])
    raise AssertionError


def _profile_deviance(y, x, b, top):
    """Penalised profile deviance at slope ``b``: the best of several Nelder-Mead starts."""
    best = -np.inf
    for start in (np.zeros(2), np.array([-b, 0.0]), np.array([b, 0.0]), np.array([-b / 2, 1.0])):
        fit = optimize.minimize(lambda g: -_penalised(np.array([g[0], b, g[1]]), y, x), start,
                                method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-13,
                                                               "maxiter": 8000})
        best = max(best, -fit.fun)
    return 2 * (top - best)


@pytest.mark.parametrize("case", [18, 22])
def test_profile_bound_where_constrained_fits_branch(case):
    """Review h46 #1: beyond |log OR| 10 the constrained maxima form branches. Design 18: the
    root search's fit was the higher one and its bound was dropped (NaN) because the path
    from the estimate kept to a lower branch; design 22: the search kept to the lower branch
    and the path's higher fit was in hand. Both ends are where the profile (the highest
    constrained maximum, multi-start) crosses the chi2 threshold."""
    from omics.tl._response import _compare

    y, x = _review_design(case)
    test = _compare(y, x, 1, method="firth")
    assert np.isfinite(test.high) and test.high > 10
    _, top = _maximum(y, x)
    assert _profile_deviance(y, x, test.high, top) == pytest.approx(stats.chi2.ppf(0.95, 1), abs=5e-3)


@pytest.mark.parametrize("case", [82, 141])
def test_profile_bound_is_never_a_jump_between_branches(case):
    """Review h46 (second) #1: the root search's bracket can close on a jump between two
    branches of constrained maxima, where the deviance is still below the threshold (design
    82: 77.9 where the profile crosses near 105; design 141: a bound short of the crossing).
    An end beyond |log OR| 10 is at the threshold (multi-start profile), or empty."""
    from omics.tl._response import _compare

    y, x = _review_design(case)
    test = _compare(y, x, 1, method="firth")
    _, top = _maximum(y, x)
    if case == 141:  # placed, at the crossing
        assert np.isfinite(test.high) and test.high > 10
    if not np.isnan(test.high):
        assert _profile_deviance(y, x, test.high, top) == pytest.approx(stats.chi2.ppf(0.95, 1),
                                                                        abs=5e-3)


# --- 10: CV AUC of tiny classes --------------------------------------------------------------


def _small_placebo(shifted, responders, others):
    scores, obs = shifted
    placebo = obs["arm"] == "placebo"
    keep = (list(obs.index[placebo & (obs["response"] == "responder")][:responders])
            + list(obs.index[placebo & (obs["response"] == "non_responder")][:others]))
    obs = obs.loc[~placebo | obs.index.isin(keep)]
    scores = pd.DataFrame({"prog": pd.read_csv(REF, index_col="sample")["prog"]}).loc[obs.index]
    return scores, obs


def test_cv_auc_is_nan_with_fewer_than_five_in_a_class(shifted, caplog):
    scores, obs = _small_placebo(shifted, 2, 3)
    with caplog.at_level(logging.INFO, logger="omics.tl.response"):
        row = response_model(scores, obs, covariates=(), repeats=5).iloc[0]
    assert np.isnan(row["cv_auc_control"]) and row["cv_folds_control"] == 0
    assert np.isnan(row["cv_auc_control_low"]) and np.isnan(row["cv_auc_control_high"])
    assert "control (2 responders, 3 non-responders)" in caplog.text
    assert "fewer than 5 patients" in caplog.text
    assert np.isfinite(row["cv_auc_pooled"])  # the pooled cohort has 11 responders


def test_cv_auc_with_five_in_each_class_is_computed(shifted):
    """Control: the minimum itself (5 and 5) gives an AUC (passes on the old code too)."""
    scores, obs = _small_placebo(shifted, 5, 5)
    row = response_model(scores, obs, covariates=(), repeats=5).iloc[0]
    assert np.isfinite(row["cv_auc_control"]) and row["cv_folds_control"] == 5


# --- 11: follow-up in months ------------------------------------------------------------------


def _months(sheet):
    sheet["afs_days"] = (sheet["afs_days"].astype(float) / 30.44).round(1).astype(str)


def test_follow_up_in_months_stops_naming_the_unit(tmp_path):
    def edit(s):
        _months(s)
        s.drop(columns="response", inplace=True)
    path = edited_test_sheet(tmp_path, edit)
    with pytest.raises(InputError) as error:
        read_samplesheet(path)
    text = error.value.render()
    assert "\n" not in text and str(path) in text and "column 'afs_days'" in text
    assert "no follow-up reaches day 183" in text and "afs_days must be in days" in text


def test_derived_response_with_legitimate_follow_up_is_unaffected(tmp_path):
    """Control: censored before 183 and past 183, response derived (passes on the old code)."""
    def edit(s):
        s.drop(columns="response", inplace=True)
        s.loc[2, ["afs_days", "afs_event"]] = ["100", "0"]
    sheet = read_samplesheet(edited_test_sheet(tmp_path, edit))
    assert pd.isna(sheet["response"].iloc[2]) and (sheet["response"] == "responder").sum() > 0


def test_months_with_a_filled_response_column_are_unaffected(tmp_path):
    """Control: a sheet whose ``response`` column is filled is not checked for the unit."""
    def edit(s):
        _months(s)
        s.loc[s["afs_event"] == "1", "response"] = "non_responder"
        s.loc[s["afs_event"] == "0", "response"] = "responder"
    sheet = read_samplesheet(edited_test_sheet(tmp_path, edit))
    assert len(sheet) == 40 and (sheet["response"] == "responder").sum() > 0


def test_short_follow_up_with_only_event_rows_left_to_derive_is_read(tmp_path):
    """Control (review h46, second, #2): the one empty response cell is a patient with an
    event before day 183, whose derived response (non_responder) is known: no stop."""
    def edit(s):
        _months(s)
        s.loc[s["afs_event"] == "1", "response"] = "non_responder"
        s.loc[s["afs_event"] == "0", "response"] = "responder"
        s.loc[s.index[s["afs_event"] == "1"][0], "response"] = pd.NA
    sheet = read_samplesheet(edited_test_sheet(tmp_path, edit))
    assert (sheet["response"] == "non_responder").sum() == (sheet["afs_event"] == 1).sum()


@pytest.mark.parametrize("empty", ["all", "censored"])
def test_months_with_responses_left_to_derive_stop(tmp_path, empty):
    """Review h46 #2: a ``response`` column empty in every row, or in the censored rows,
    is derived there (README) and was read with no responder and no message."""
    def edit(s):
        _months(s)
        s.loc[s["afs_event"] == "1", "response"] = "non_responder"
        s.loc[s["afs_event"] == "0", "response"] = pd.NA
        if empty == "all":
            s["response"] = pd.NA
    path = edited_test_sheet(tmp_path, edit)
    with pytest.raises(InputError, match=r"column 'afs_days'.*no follow-up reaches day 183.*"
                                          r"fill its empty 'response' cells"):
        read_samplesheet(path)
