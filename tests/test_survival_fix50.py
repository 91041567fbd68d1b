"""Audit h50_surv fixes: Cox fits that lifelines leaves short of the maximum (H1, H2, L2, L4),
a prognostic score with an untestable BM-MNC arm (M1), and a tied median split (L1).

R's numbers are in ``tests/reference/survival/convergence.tsv`` (``make_convergence.R`` on
``convergence_data.csv``; R is not needed to run these tests).
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
import pytest
from lifelines.exceptions import ConvergenceWarning
from lifelines.statistics import logrank_test

import omics
from helpers import REPO
from omics.tl._response import _classify, _Test

FIXTURE = REPO / "tests" / "reference" / "survival"
Z95 = 1.959963984540054


def _data_sets() -> dict[tuple[str, str], pd.DataFrame]:
    data = pd.read_csv(FIXTURE / "convergence_data.csv")
    groups = data.groupby(["dataset", "score_name"], sort=False)
    return {key: part.set_index("sample") for key, part in groups}


def _model(part: pd.DataFrame) -> pd.Series:
    covariates = [] if part["age"].isna().all() else ["age", "diabetes"]
    return omics.tl.survival_model(part[["score"]], part, covariates=covariates).iloc[0]


REFERENCE = pd.read_csv(FIXTURE / "convergence.tsv", sep="\t")
CASES = sorted({(r.dataset, r.score) for r in REFERENCE.itertuples()})


@pytest.mark.parametrize(("dataset", "score"), CASES)
def test_fits_lifelines_leaves_short_agree_with_r(dataset, score):
    # H1: lifelines stops short on these (a score shifted between the arms, a monotone
    # likelihood, spreads differing between the arms); old code: p_pooled 0.63 (R 0.0034)
    # for shift, p_pooled 1.0 and p_interaction 0.0025 (R 0.087, 0.14) for shift35
    row = _model(_data_sets()[(dataset, score)])
    separated = set(str(row["separation"]).split(";"))
    for ref in REFERENCE[(REFERENCE.dataset == dataset) & (REFERENCE.score == score)].itertuples():
        model = ref.model
        if model == "interaction" and min(row["n_events_control"], row["n_events_treated"]) < 2:
            assert np.isnan(row["p_interaction"])  # not estimable (documented), R fits it anyway
            continue
        expected_p = ref.score_p if model in ("control", "treated") else ref.lrt_p
        assert row[f"p_{model}"] == pytest.approx(expected_p, rel=1e-6), (model, row[f"p_{model}"])
        if model in separated:
            assert np.isnan(row[f"hr_{model}"])
            continue
        assert np.isfinite(ref.coef)
        assert np.log(row[f"hr_{model}"]) == pytest.approx(ref.coef, abs=1e-5), model
        se = (np.log(row[f"hr_{model}_high"]) - np.log(row[f"hr_{model}_low"])) / (2 * Z95)
        assert se == pytest.approx(ref.se, rel=1e-4), model


def test_shifted_score_is_fitted_to_r_numbers_without_a_flag():
    # H1, the audit's reproduction: HR exp(7.04) per SD with p 0.0034, as R coxph
    row = _model(_data_sets()[("shift", "shift")])
    assert row["separation"] == ""
    assert row["p_pooled"] == pytest.approx(0.00338971027604, rel=1e-6)
    assert row["hr_pooled"] == pytest.approx(np.exp(7.03863053609), rel=1e-4)


def test_negative_likelihood_ratio_is_refitted_not_clipped():
    # H1/L2: the pooled fit stopped below its reduced model (old: p_pooled 1.0), and the
    # interaction test against it was inflated (old: 0.0025; R 0.140)
    row = _model(_data_sets()[("shift35", "shift")])
    assert row["p_pooled"] == pytest.approx(0.0871075755948, rel=1e-6)
    assert row["p_interaction"] == pytest.approx(0.140204705514, rel=1e-6)


def test_monotone_likelihood_is_flagged_when_the_fit_stopped_below_the_screen():
    # H2: lifelines stopped at z = 1.9 on the placebo arm whose events the score and
    # covariates order (R: beta 96, loglik -> 0); old code printed HR 6.68 (0.50-89.6)
    row = _model(_data_sets()[("mono", "prog")])
    assert "control" in row["separation"].split(";")
    assert row[["hr_control", "hr_control_low", "hr_control_high", "ph_p_control"]].isna().all()
    assert row["p_control"] == pytest.approx(0.0151391967457, rel=1e-6)  # the score test is kept


def test_separated_models_have_no_ph_p_and_do_not_set_ph_p():
    # L2: sep3's treated arm is separated; its PH p-value (old: finite) is NaN and ph_p is
    # the smallest of the other models'
    row = _model(_data_sets()[("spread", "sep3")])
    assert row["separation"] == "treated"
    assert np.isnan(row["ph_p_treated"])
    others = row[["ph_p_control", "ph_p_pooled", "ph_p_interaction"]].astype(float)
    assert row["ph_p"] == pytest.approx(float(np.nanmin(others)))


def _spread_sheet() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The audit's sep2.py: the treated arm's score orders its events, on a 10-fold smaller scale."""
    rng = np.random.default_rng(0)
    n = 40
    ids = [f"P{i:02d}" for i in range(n)]
    arm = np.where(np.arange(n) % 2 == 0, "bmmnc", "placebo")
    days = rng.integers(5, 300, n).astype(float)
    event = (rng.random(n) < 0.7).astype(float)
    capped, ended = np.minimum(days, 183), np.where(days > 183, 0, event)
    out = {}
    for k in range(6):
        score = rng.standard_normal(n)
        treated = arm == "bmmnc"
        ordered = np.where(ended[treated] == 1, -capped[treated], -400 - capped[treated])
        score[treated] = ordered / 10.0 ** (k - 2)
        out[f"sep{k}"] = score
    sheet = pd.DataFrame({"arm": arm, "afs_days": days, "afs_event": event,
                          "age": rng.normal(70, 8, n).round(), "diabetes": rng.choice(["yes", "no"], n)},
                         index=ids)
    return pd.DataFrame(out, index=ids), sheet


def test_overflowing_hazard_ratios_are_separated_without_a_numpy_warning():
    # L4: |log HR| ~1100 +- 2100 per SD (R: -1094, se 1079); old code warned "overflow
    # encountered in exp" and wrote HR 0 (0-inf) with no flag
    scores, sheet = _spread_sheet()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        table = omics.tl.survival_model(scores, sheet)
    row = table.set_index("score").loc["sep1"]
    assert "control" in row["separation"].split(";")
    assert row[["hr_control", "hr_control_low", "hr_control_high", "ph_p_control"]].isna().all()
    assert row["p_control"] == pytest.approx(0.3029, abs=1e-4)  # R's score test
    values = table[[c for c in table.columns if c.startswith("hr_")]].to_numpy(float)
    assert not np.isinf(values).any() and not (values == 0).any()


def test_a_fit_that_never_converges_is_marked_blank_and_not_called(monkeypatch, caplog):
    # H1 (last resort): when step-halving Newton-Raphson fails too and the likelihood is not
    # monotone, the model is '<model>:not_converged' with no HR, p or PH p, and one warning
    from omics.tl import _survival

    monkeypatch.setattr(_survival, "_newton", lambda time, event, x, start: (start, -1e300, False))
    part = _data_sets()[("shift", "shift")]
    with caplog.at_level(logging.WARNING, logger="omics"):
        row = _model(part)
    marks = row["separation"].split(";")
    assert "pooled:not_converged" in marks
    # the interaction's reduced model is the pooled model: its LRT is unusable too
    assert "interaction:not_converged" in marks
    for model in ("pooled", "interaction"):
        assert row[[f"hr_{model}", f"hr_{model}_low", f"hr_{model}_high", f"p_{model}",
                    f"ph_p_{model}"]].isna().all()
    assert "treated:not_converged" not in marks and np.isfinite(row["p_treated"])  # lifelines converged
    assert row["classification"] == "none"
    warned = [r.getMessage() for r in caplog.records if "did not converge" in r.getMessage()]
    assert len(warned) == 1 and "score (control, pooled, interaction)" in warned[0]


def test_cox_fit_reports_non_convergence():
    # cox_fit no longer hides lifelines' ConvergenceWarning (old: silenced)
    part = _data_sets()[("shift", "shift")]
    z = (part["score"] - part["score"].mean()) / part["score"].std()
    age = (part["age"] - part["age"].mean()) / part["age"].std()
    frame = pd.DataFrame({"arm": (part["arm"] == "bmmnc").astype(float).to_numpy(), "z": z.to_numpy(),
                          "age": age.to_numpy(), "diab": (part["diabetes"] == "yes").astype(float).to_numpy(),
                          "time": np.minimum(part["afs_days"], 183).to_numpy(),
                          "event": np.where(part["afs_days"] > 183, 0, part["afs_event"]).astype(float)})
    with pytest.warns(ConvergenceWarning, match="failed to converge"):
        fit = omics.tl._survival.cox_fit(frame)
    assert fit.converged_ is False
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        without_score = frame[["arm", "age", "diab", "time", "event"]]
        assert omics.tl._survival.cox_fit(without_score).converged_ is True  # control


def test_prognostic_score_with_an_untestable_treated_arm_is_prognostic():
    # M1: 14 placebo events, HR 0.10 per SD (R score test p 1.2e-5), one BM-MNC event:
    # old code called it 'none'
    row = _model(_data_sets()[("fewev", "prog")])
    assert row["n_events_treated"] == 1 and np.isnan(row["p_treated"])
    assert row["classification"] == "prognostic"
    assert row["direction"] == "up_in_responders"  # HR < 1: a higher score, longer AFS


def test_classify_untested_treated_arm():
    strong = _Test(beta=-2.0, p=1e-5)
    untested = _Test()
    flat = _Test(beta=0.0, p=0.9)
    # M1 (the logistic model's untested arm, all outcomes equal, alike): prognostic
    assert _classify(untested, strong, strong, _Test(), False, True, 0.05, good_sign=-1) == (
        "prognostic", "up_in_responders")
    assert _classify(untested, _Test(beta=1.5, p=1e-4), flat, flat, False, True, 0.05)[0] == "prognostic"
    # controls: a treated slope of the other sign still contradicts it; no control evidence: none
    assert _classify(_Test(beta=0.5, p=0.5), strong, flat, flat, False, True, 0.05)[0] == "none"
    assert _classify(untested, strong, flat, flat, False, False, 0.05)[0] == "none"


def _binary_scores() -> tuple[pd.DataFrame, pd.DataFrame]:
    ids = [f"P{i:02d}" for i in range(40)]
    arm = np.where(np.arange(40) < 20, "placebo", "bmmnc")
    binary = np.r_[np.tile([0.0, 1.0], 10), np.ones(14), np.zeros(6)]
    days = 20.0 + (np.arange(40) * 37) % 160
    event = (np.arange(40) % 3 == 0).astype(float)
    sheet = pd.DataFrame({"arm": arm, "afs_days": days, "afs_event": event}, index=ids)
    return pd.DataFrame({"binary": binary, "flat": np.ones(40)}, index=ids), sheet


def test_tied_median_split_keeps_two_groups(caplog):
    # L1: 14 of the 20 BM-MNC patients have the median (and largest) value 1: old code
    # drew one 'low' curve of 20 with no log-rank test
    scores, sheet = _binary_scores()
    with caplog.at_level(logging.INFO, logger="omics"):
        curves, logrank = omics.tl.kaplan_meier(scores, sheet)
    row = logrank.set_index(["score", "arm"]).loc[("binary", "bmmnc")]
    assert (row["n_low"], row["n_high"], row["median_score"]) == (6, 14, 1.0)
    bm = sheet["arm"] == "bmmnc"
    high = bm & (scores["binary"] == 1)
    low = bm & (scores["binary"] == 0)
    expected = logrank_test(sheet.loc[high, "afs_days"], sheet.loc[low, "afs_days"],
                            sheet.loc[high, "afs_event"], sheet.loc[low, "afs_event"]).p_value
    assert row["logrank_p"] == pytest.approx(expected, rel=1e-12)
    drawn = curves[(curves["score"] == "binary") & (curves["arm"] == "bmmnc")]
    assert set(drawn["group"]) == {"low", "high"}
    assert any("split at >= the median" in r.getMessage() and "binary, bmmnc" in r.getMessage()
               for r in caplog.records)
    # controls: the placebo arm (median 0.5) splits as before; a constant score cannot be split
    placebo = logrank.set_index(["score", "arm"]).loc[("binary", "placebo")]
    assert (placebo["n_low"], placebo["n_high"]) == (10, 10)
    flat = logrank.set_index(["score", "arm"]).loc[("flat", "bmmnc")]
    assert (flat["n_low"], flat["n_high"]) == (20, 0) and np.isnan(flat["logrank_p"])
