"""Trial inference: the Cox models of the 6-month end point, monotone likelihood, untestable
interactions, a qualitative interaction, and notebook inputs (audit h42_trial)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import omics
from helpers import raises_one_line
from omics.tl._response import _classify, _Test

IDS = [f"P{i:02d}" for i in range(40)]
ARM = np.where(np.arange(40) % 2 == 0, "bmmnc", "placebo")


def _late_events() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Six early events unrelated to the score; 20 more after day 183 driven by it."""
    rng = np.random.default_rng(3)
    score = rng.standard_normal(40)
    days = np.where(score > 0, 300.0, 365.0)
    event = (score > 0).astype(int)
    days[:6], event[:6] = 60 + np.arange(6) * 10, 1
    sheet = pd.DataFrame({"arm": ARM, "afs_days": days, "afs_event": event}, index=IDS)
    return pd.DataFrame({"s": score}, index=IDS), sheet


def test_cox_models_the_six_month_end_point():
    scores, sheet = _late_events()
    table = omics.tl.survival_model(scores, sheet, covariates=[])
    censored = sheet.copy()
    late = censored["afs_days"] > 183
    censored.loc[late, "afs_event"], censored.loc[late, "afs_days"] = 0, 183.0
    expected = omics.tl.survival_model(scores, censored, covariates=[])
    pd.testing.assert_frame_equal(table, expected)
    assert table.loc[0, "n_events"] == 6
    # the late events, used when asked for
    everything = omics.tl.survival_model(scores, sheet, covariates=[], horizon_days=None)
    assert everything.loc[0, "n_events"] == int(sheet["afs_event"].sum()) > 6
    assert everything.loc[0, "p_pooled"] < 0.01 < table.loc[0, "p_pooled"]


def test_kaplan_meier_curves_end_at_the_end_point():
    scores, sheet = _late_events()
    curves, logrank = omics.tl.kaplan_meier(scores, sheet)
    assert curves["time"].max() == 183
    assert int(logrank[["events_low", "events_high"]].to_numpy().sum()) == 6
    curves_all, _ = omics.tl.kaplan_meier(scores, sheet, horizon_days=None)
    assert curves_all["time"].max() == 365


def _ordered_events() -> tuple[pd.DataFrame, pd.DataFrame]:
    """In the BM-MNC arm the score orders every event (an infinite Cox estimate)."""
    rng = np.random.default_rng(11)
    score = rng.standard_normal(40)
    days = rng.uniform(10, 183, 40).round()
    event = (rng.uniform(size=40) < 0.5).astype(int)
    treated = ARM == "bmmnc"
    ordered = np.empty(treated.sum())
    ordered[np.argsort(-score[treated])] = np.arange(treated.sum()) * 8 + 10
    days[treated], event[treated] = ordered, 1
    return (pd.DataFrame({"s": score}, index=IDS),
            pd.DataFrame({"arm": ARM, "afs_days": days, "afs_event": event}, index=IDS))


def test_monotone_likelihood_is_flagged_though_the_fit_stopped_below_the_limit():
    scores, sheet = _ordered_events()
    table = omics.tl.survival_model(scores, sheet, covariates=[])
    assert "treated" in table.loc[0, "separation"].split(";")
    assert np.isnan(table.loc[0, "hr_treated"])  # not a finite HR of 13634
    assert table.loc[0, "p_treated"] < 1e-6  # the test is still reported


def test_a_finite_estimate_is_not_flagged():
    rng = np.random.default_rng(2)
    score = rng.standard_normal(40)
    days = np.minimum(rng.exponential(150 * np.exp(-0.8 * score)), 183).round() + 1
    event = (days < 183).astype(int)
    sheet = pd.DataFrame({"arm": ARM, "afs_days": days, "afs_event": event}, index=IDS)
    table = omics.tl.survival_model(pd.DataFrame({"s": score}, index=IDS), sheet, covariates=[])
    assert table.loc[0, "separation"] == ""
    assert np.isfinite(table.loc[0, ["hr_treated", "hr_control", "hr_interaction"]].astype(float)).all()


def test_no_events_in_one_arm_leaves_the_interaction_untested():
    rng = np.random.default_rng(5)
    score = rng.standard_normal(40)
    days = rng.uniform(10, 183, 40).round()
    event = ((rng.uniform(size=40) < 0.5) & (ARM == "bmmnc")).astype(int)
    sheet = pd.DataFrame({"arm": ARM, "afs_days": days, "afs_event": event}, index=IDS)
    table = omics.tl.survival_model(pd.DataFrame({"s": score}, index=IDS), sheet, covariates=[])
    assert table.loc[0, "n_events_control"] == 0
    # not an HR of 1.84 (0-inf) with p = 1
    assert table.loc[0, ["hr_interaction", "p_interaction", "ph_p_interaction"]].isna().all()
    assert table.loc[0, "classification"] in ("treated_only", "none")


def test_a_reversed_association_with_a_significant_interaction_is_predictive():
    treated, control = _Test(beta=1.0, p=1e-4), _Test(beta=-1.0, p=1e-4)
    pooled, interaction = _Test(beta=0.0, p=0.9), _Test(beta=2.0, p=1e-4)
    assert _classify(treated, control, pooled, interaction, True, True, 0.05)[0] == "predictive"
    # the same magnitude and sign stays prognostic; a weaker treated slope of the same sign too
    same = _Test(beta=1.0, p=1e-4)
    assert _classify(treated, same, pooled, _Test(beta=0.0, p=0.5), True, True, 0.05)[0] == "prognostic"
    assert _classify(_Test(beta=0.5, p=1e-3), same, pooled, interaction, True, True, 0.05)[0] == "prognostic"


@pytest.mark.parametrize(("change", "needles"), [
    ({"alpha": 5}, ("alpha", "(0, 1)", "alpha=0.05")),
    ({"treated": "bmmnc", "control": "bmmnc"}, ("both 'bmmnc'", "treated=")),
    ({"horizon_days": -1}, ("horizon_days", "None")),
    ({"covariates": ["bmi"]}, ("'bmi'", "columns: arm", "covariates=")),
])
def test_survival_model_refuses_wrong_settings_in_one_line(change, needles):
    scores, sheet = _late_events()
    raises_one_line(lambda: omics.tl.survival_model(scores, sheet, **{"covariates": [], **change}),
                    *needles)


@pytest.mark.parametrize(("value", "what"), [("12,5", "not a number of days"), ("-5", "is negative")])
@pytest.mark.parametrize("function", ["survival_model", "kaplan_meier"])
def test_follow_up_text_or_negative_stops_naming_the_sample(function, value, what):
    scores, sheet = _late_events()
    sheet = sheet.astype({"afs_days": object})
    sheet.loc["P07", "afs_days"] = value if value != "-5" else -5.0
    extra = {"covariates": []} if function == "survival_model" else {}
    raises_one_line(lambda: getattr(omics.tl, function)(scores, sheet, **extra), "afs_days", what, "P07")


def test_response_model_messages_name_the_fix():
    scores, sheet = _late_events()
    sheet = sheet.assign(response=np.where(sheet["afs_event"] == 1, "no", "yes"))
    raises_one_line(lambda: omics.tl.response_model(scores, sheet, covariates=[]), "responder=")
    raises_one_line(lambda: omics.tl.response_model(scores, sheet, covariates=[], responder="yes",
                                                    treated="bmmnc", control="bmmnc"), "treated=")


@pytest.mark.parametrize("function", ["survival_model", "response_model"])
def test_a_score_no_model_can_be_fitted_for_is_named(function):
    from helpers import log_records

    scores, sheet = _late_events()
    sheet = sheet.assign(response=np.where(sheet["afs_event"] == 1, "non_responder", "responder"))
    scores = scores.assign(flat=1.0, words="high")
    extra = {"repeats": 2} if function == "response_model" else {}
    with log_records("tl") as found:
        table = getattr(omics.tl, function)(scores, sheet, covariates=[], **extra)
    assert table.set_index("score").loc[["flat", "words"], "classification"].eq("none").all()
    warned = [r.getMessage() for r in found if r.levelname == "WARNING"]
    assert any("2 score(s) not modelled" in m and "flat (constant)" in m and "words (no numeric value)" in m
               for m in warned), warned


@pytest.mark.parametrize("written", ["days", "timedelta", "blank", "NA"])
def test_follow_up_written_other_ways_reads_alike(written):
    scores, sheet = _late_events()
    expected = omics.tl.survival_model(scores, sheet, covariates=[])
    other = sheet.copy()
    if written == "timedelta":
        other["afs_days"] = pd.to_timedelta(other["afs_days"], unit="D")
    elif written in ("blank", "NA"):  # one missing follow-up, as text
        other = other.astype({"afs_days": object})
        other.loc["P07", "afs_days"] = " " if written == "blank" else "NA"
        sheet = sheet.copy()
        sheet.loc["P07", "afs_days"] = np.nan
        expected = omics.tl.survival_model(scores, sheet, covariates=[])
    got = omics.tl.survival_model(scores, other, covariates=[], horizon_days=np.int64(183))
    pd.testing.assert_frame_equal(got, expected)


def test_follow_up_as_negative_durations_or_dates_stops():
    scores, sheet = _late_events()
    durations = sheet.assign(afs_days=pd.to_timedelta(sheet["afs_days"], unit="D"))
    durations.loc["P07", "afs_days"] = pd.Timedelta(days=-5)
    raises_one_line(lambda: omics.tl.survival_model(scores, durations, covariates=[]), "negative", "P07")
    dates = sheet.assign(afs_days=pd.Timestamp("2009-06-01") + pd.to_timedelta(sheet["afs_days"], unit="D"))
    raises_one_line(lambda: omics.tl.survival_model(scores, dates, covariates=[]), "holds dates")
