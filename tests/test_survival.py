"""Amputation-free survival: Cox models against R survival::coxph, KM, classification, sheets."""

import numpy as np
import pandas as pd
import pytest

from helpers import REPO
from omics._errors import InputError
from omics.io import read_samplesheet
from omics.tl._survival import cox_fit, kaplan_meier, km_table, logrank_p, survival_model

REF = REPO / "tests" / "reference" / "survival"


@pytest.fixture(scope="module")
def data():
    d = pd.read_csv(REF / "data.csv").set_index("sample")
    return d


def _design(d, score):
    x = pd.DataFrame(index=d.index)
    x["arm"] = (d["arm"] == "bmmnc").astype(float)
    x["z"] = (d[score] - d[score].mean()) / d[score].std()
    x["armz"] = x["arm"] * x["z"]
    x["age"] = (d["age"] - d["age"].mean()) / d["age"].std()
    x["diab"] = (d["diabetes"] == "yes").astype(float)
    x["time"], x["event"] = d["afs_days"], d["afs_event"]
    return x


MODELS = {"pooled": (["arm", "z", "age", "diab"], None),
          "interaction": (["arm", "z", "armz", "age", "diab"], None),
          "control": (["z", "age", "diab"], 0.0), "treated": (["z", "age", "diab"], 1.0)}


def test_data_has_tied_event_times(data):
    events = data.loc[data["afs_event"] == 1, "afs_days"]
    assert events.duplicated().any()


@pytest.mark.parametrize("score", ["pred", "prog"])
@pytest.mark.parametrize("model", list(MODELS))
def test_cox_matches_r_coxph_efron(data, score, model):
    ref = pd.read_csv(REF / "coefficients.tsv", sep="\t")
    ref = ref[(ref["score"] == score) & (ref["model"] == model)].set_index("term")
    terms, arm = MODELS[model]
    x = _design(data, score)
    if arm is not None:
        x = x[x["arm"] == arm]
    fit = cox_fit(x[[*terms, "time", "event"]])
    summary = fit.summary.loc[terms]
    np.testing.assert_allclose(summary["coef"], ref.loc[terms, "coef"], atol=1e-6)
    np.testing.assert_allclose(summary["se(coef)"], ref.loc[terms, "se"], atol=1e-6)
    np.testing.assert_allclose(summary["p"], ref.loc[terms, "p"], atol=1e-6)
    tests = pd.read_csv(REF / "tests.tsv", sep="\t").set_index(["score", "model"])
    assert fit.log_likelihood_ == pytest.approx(tests.loc[(score, model), "loglik"], abs=1e-6)


def test_proportional_hazards_test_does_not_depend_on_the_order_of_the_rows(data):
    """Tied event times share their rank: the same patients in another order, the same ph_p.

    lifelines' own "rank" transform numbers tied events in row order; with the fixture's
    ties, reversing the rows moved the p-values by up to 0.12.
    """
    obs = data[["arm", "age", "diabetes", "afs_days", "afs_event"]]
    # R's fixture uses all follow-up (to day 296), not the 6-month end point
    table = survival_model(data[["pred", "prog"]], obs, horizon_days=None).set_index("score")
    backwards = survival_model(data[["pred", "prog"]].iloc[::-1], obs.iloc[::-1],
                               horizon_days=None).set_index("score")
    columns = [f"ph_p_{model}" for model in ("pooled", "interaction", "control", "treated")]
    np.testing.assert_allclose(backwards.loc[table.index, columns], table[columns], rtol=1e-12)


def test_survival_model_matches_r(data):
    obs = data[["arm", "age", "diabetes", "afs_days", "afs_event"]]
    table = survival_model(data[["pred", "prog"]], obs, horizon_days=None).set_index("score")
    lrt = survival_model(data[["pred", "prog"]], obs, arm_test="lrt", horizon_days=None).set_index("score")
    coefs = pd.read_csv(REF / "coefficients.tsv", sep="\t").set_index(["score", "model", "term"])
    tests = pd.read_csv(REF / "tests.tsv", sep="\t").set_index(["score", "model"])
    for score in ("pred", "prog"):
        row = table.loc[score]
        for model, term in (("pooled", "z"), ("interaction", "armz"), ("control", "z"), ("treated", "z")):
            coef, se = coefs.loc[(score, model, term), ["coef", "se"]]
            assert np.log(row[f"hr_{model}"]) == pytest.approx(coef, abs=1e-6)
            assert np.log(row[f"hr_{model}_low"]) == pytest.approx(coef - 1.959963984540054 * se, abs=1e-6)
            assert np.log(row[f"hr_{model}_high"]) == pytest.approx(coef + 1.959963984540054 * se, abs=1e-6)
            kind = "score_p" if model in ("control", "treated") else "lrt_p"  # arm_test="score"
            assert row[f"p_{model}"] == pytest.approx(tests.loc[(score, model), kind], abs=1e-6)
            assert lrt.loc[score, f"p_{model}"] == pytest.approx(tests.loc[(score, model), "lrt_p"], abs=1e-6)
            # Grambsch-Therneau with tied event times at their average rank (R before 3.0)
            assert row[f"ph_p_{model}"] == pytest.approx(tests.loc[(score, model), "zph_gt94_p"], abs=1e-6)
        assert row["ph_p"] == min(row[f"ph_p_{m}"] for m in ("pooled", "interaction", "control", "treated"))
    assert set(table["classification"]) <= {"predictive", "prognostic", "treated_only", "none"}


def _planted(seed, n=80, b_pred=-1.5, b_prog=0.0):
    rng = np.random.default_rng(seed)
    ids = [f"S{i:03d}" for i in range(n)]
    arm = np.where(np.arange(n) % 2 == 0, "bmmnc", "placebo")
    z = rng.standard_normal((n, 3))
    lp = b_pred * z[:, 0] * (arm == "bmmnc") + b_prog * z[:, 1]
    t = 200 * rng.weibull(1.2, n) * np.exp(-lp / 1.2)
    c = np.minimum(rng.uniform(30, 600, n), 365)
    obs = pd.DataFrame({"arm": arm, "afs_days": np.minimum(t, c).round(1), "afs_event": (t <= c) * 1.0},
                       index=ids)
    return pd.DataFrame(z, index=ids, columns=["pred", "prog", "null"]), obs


def test_planted_predictive_and_prognostic_scores_are_classified():
    scores, obs = _planted(1, b_pred=-1.5, b_prog=-1.0)
    table = survival_model(scores, obs, covariates=[]).set_index("score")
    assert table.loc["pred", "classification"] == "predictive"
    assert table.loc["prog", "classification"] == "prognostic"
    assert table.loc["null", "classification"] == "none"
    assert table.loc["pred", "direction"] == "up_in_responders"  # higher score, longer AFS
    assert table.loc["pred", "hr_treated"] < 1


def test_kaplan_meier_layout_and_logrank():
    from lifelines.statistics import logrank_test

    scores, obs = _planted(2)
    curves, logrank = kaplan_meier(scores, obs, horizon_days=None)
    assert list(curves.columns[:6]) == ["score", "arm", "group", "time", "survival", "n_at_risk"]
    assert set(curves["group"]) == {"low", "high"} and set(curves["arm"]) == {"placebo", "bmmnc"}
    first = curves.groupby(["score", "arm", "group"]).head(1)
    assert (first["time"] == 0).all() and (first["survival"] == 1).all()
    assert (curves.groupby(["score", "arm", "group"])["survival"].diff().dropna() <= 1e-12).all()
    row = logrank.set_index(["score", "arm"]).loc[("pred", "bmmnc")]
    treated = obs["arm"] == "bmmnc"
    s = scores.loc[treated, "pred"]
    high = s > s.median()
    o = obs.loc[treated]
    p = logrank_test(o["afs_days"][high], o["afs_days"][~high], o["afs_event"][high],
                     o["afs_event"][~high]).p_value
    assert row["logrank_p"] == pytest.approx(p) and row["logrank_p"] < 0.05
    assert row["n_low"] + row["n_high"] == treated.sum()
    # by default the end point: lifelines on the follow-up censored at day 183
    _, at_six_months = kaplan_meier(scores, obs)
    days, events = o["afs_days"].clip(upper=183), o["afs_event"].where(o["afs_days"] <= 183, 0)
    p = logrank_test(days[high], days[~high], events[high], events[~high]).p_value
    assert at_six_months.set_index(["score", "arm"]).loc[("pred", "bmmnc"), "logrank_p"] == pytest.approx(p)


@pytest.mark.parametrize("seed", range(4))
def test_km_table_is_lifelines_kaplan_meier_bit_for_bit(seed):
    """Ties, censoring at event times, follow-ups of 0 (or < 0), all censored or events, one subject."""
    from lifelines import KaplanMeierFitter

    rng = np.random.default_rng(seed)
    cases = [(np.array([5.0]), np.array([1.0])), (np.array([3.0, 3.0, 7.0]), np.zeros(3)),
             (np.array([0.0, 0.0, 2.0, 4.0]), np.ones(4)), (np.array([-3.0, 2.0, 5.0, 5.0]), np.ones(4))]
    for _ in range(200):
        n = int(rng.integers(1, 40))
        time = rng.integers(0 if rng.random() < 0.2 else 1, 30, n).astype(float)
        cases.append((time, (rng.random(n) < rng.random()).astype(float)))
    for time, event in cases:
        fitted = KaplanMeierFitter().fit(time, event)
        table = fitted.event_table
        ours = km_table(time, event)
        np.testing.assert_array_equal(ours["time"], table.index.to_numpy(float))
        np.testing.assert_array_equal(
            ours["survival"], fitted.survival_function_.iloc[:, 0].reindex(table.index).to_numpy(float))
        for column, theirs in (("n_at_risk", "at_risk"), ("n_events", "observed"),
                               ("n_censored", "censored")):
            np.testing.assert_array_equal(ours[column], table[theirs].to_numpy(int))


@pytest.mark.parametrize("seed", range(2))
def test_logrank_p_is_lifelines_logrank_test_bit_for_bit(seed):
    """Tied times, censoring at event times, follow-ups of 0, one-subject and event-free groups."""
    from lifelines.statistics import logrank_test

    rng = np.random.default_rng(seed)
    cases = [(np.array([3.0]), np.array([1.0, 2.0, 2.0]), np.array([1.0]), np.array([1.0, 0.0, 1.0])),
             (np.array([0.0, 4.0, 4.0]), np.array([4.0, 9.0]), np.zeros(3), np.array([1.0, 1.0]))]
    for _ in range(700):  # ~9 ms per lifelines test; 18,663 random cases agreed when written
        n = int(rng.integers(4, 45))
        time = rng.integers(0 if rng.random() < 0.2 else 1, int(rng.choice([8, 40, 200])), n).astype(float)
        event = (rng.random(n) < rng.random()).astype(float)
        high = rng.random(n) < 0.5
        if high.any() and (~high).any() and event.sum() > 0:
            cases.append((time[high], time[~high], event[high], event[~high]))
    for case in cases:
        theirs = logrank_test(*case).p_value
        assert logrank_p(*case) == theirs or (np.isnan(theirs) and np.isnan(logrank_p(*case))), case


# --------------------------------------------------------------------------------------
# sample sheet
# --------------------------------------------------------------------------------------


def _sheet(tmp_path, text):
    path = tmp_path / "sheet.csv"
    path.write_text(text)
    return path


def test_response_derived_from_survival(tmp_path):
    sheet = read_samplesheet(_sheet(tmp_path, "sample,arm,afs_days,afs_event\nA,bmmnc,200,0\n"
                                    "B,placebo,100,1\nC,bmmnc,90,0\nD,bmmnc,183,0\nE,placebo,183,1\n"
                                    "F,placebo,400,1\n"))
    assert list(sheet["response"].astype(object).fillna("?")) == [
        "responder", "non_responder", "?", "responder", "non_responder", "responder"]
    assert list(sheet["response"].cat.categories) == ["non_responder", "responder"]
    assert sheet["afs_event"].dtype == float


@pytest.mark.parametrize(("text", "match"), [
    ("sample,afs_days\nA,3\n", "'afs_days' is given without 'afs_event'"),
    ("sample,afs_event\nA,1\n", "'afs_event' is given without 'afs_days'"),
    ("sample,afs_days,afs_event\nA,3,0\nB,4,2\nC,5,yes\n", r"'afs_event' must be 0 .* row\(s\) 3, 4"),
    ("sample,afs_days,afs_event\nA,-3,1\n", r"'afs_days' must be a number of days >= 0; row\(s\) 2"),
    ("sample,afs_days,afs_event\nA,,1\nB,,\n", r"'afs_days' is missing in row\(s\) 2 that"),
    ("sample,response,afs_days,afs_event\nA,responder,100,1\nB,responder,300,0\nC,non_responder,300,0\n",
     r"contradict each other in row\(s\) 2, 4"),
])
def test_bad_survival_columns(tmp_path, text, match):
    with pytest.raises(InputError, match=match):
        read_samplesheet(_sheet(tmp_path, text))


def test_censored_response_left_out_of_response_contrasts(tmp_path):
    from omics.io._contrasts import Contrast
    from omics.tl._design import design_for_contrast

    rows = [f"S{i},{'bmmnc' if i % 2 else 'placebo'},{100 if i % 3 == 0 else 300},{1 if i % 3 == 0 else 0}"
            for i in range(12)] + ["S12,bmmnc,50,0"]
    sheet = read_samplesheet(_sheet(tmp_path, "sample,arm,afs_days,afs_event\n" + "\n".join(rows) + "\n"))
    assert sheet.loc["S12", "response"] is np.nan or pd.isna(sheet.loc["S12", "response"])
    design = design_for_contrast(sheet, Contrast(id="r", variable="response", reference="non_responder",
                                                 target="responder"))
    assert "S12" not in design.samples and len(design.samples) == 12


@pytest.mark.parametrize("score", ["pred", "prog"])
@pytest.mark.parametrize(("model", "term"), [("pooled", "z"), ("interaction", "armz"), ("control", "z"),
                                             ("treated", "z")])
def test_cox_score_test_matches_r(data, score, model, term):
    from omics.tl._survival import _score_p

    terms, arm = MODELS[model]
    x = _design(data, score)
    if arm is not None:
        x = x[x["arm"] == arm]
    reduced = cox_fit(x[[t for t in terms if t != term] + ["time", "event"]])
    p = _score_p(x["time"].to_numpy(float), x["event"].to_numpy(float), x[terms].to_numpy(float),
                 terms.index(term), reduced.params_.to_numpy(float))
    ref = pd.read_csv(REF / "tests.tsv", sep="\t").set_index(["score", "model"])
    assert p == pytest.approx(ref.loc[(score, model), "score_p"], abs=1e-6)


def test_cox_fit_is_lifelines_coxphfitter_with_a_cheaper_baseline_row(data):
    # cox_fit fits the model lifelines' CoxPHFitter wraps, its baseline row (covariate
    # medians) from DataFrame.quantile instead of DataFrame.describe: exactly lifelines'
    # values, its path kept for strata or non-numeric columns, and the same fit.
    import inspect

    from lifelines import CoxPHFitter
    from lifelines.fitters.coxph_fitter import SemiParametricPHFitter
    from lifelines.statistics import proportional_hazard_test

    from omics.tl._coxph import SemiParametricCoxFitter

    base = SemiParametricPHFitter._compute_central_values_of_raw_training_data
    assert list(inspect.signature(base).parameters) == ["self", "df", "strata", "name"]
    rng = np.random.default_rng(5)
    ours, theirs = SemiParametricCoxFitter(), SemiParametricPHFitter()
    for n in (1, 2, 7, 40, 41):
        frame = pd.DataFrame({"z": rng.normal(size=n), "tied": rng.integers(0, 3, n) / 3.0,
                              "time": rng.exponential(100.0, n).round(),
                              "event": rng.integers(0, 2, n)})
        for df in (frame, frame.assign(flag=frame["event"] == 1),
                   frame.assign(label=np.where(frame["event"] == 1, "a", "b"))):
            pd.testing.assert_frame_equal(ours._compute_central_values_of_raw_training_data(df),
                                          base(theirs, df), check_exact=True)
    x = _design(data, "pred")[["arm", "z", "armz", "age", "diab", "time", "event"]]
    fit = cox_fit(x)
    reference = CoxPHFitter(baseline_estimation_method="breslow").fit(
        x, duration_col="time", event_col="event",
        fit_options={"step_size": 0.5, "max_steps": 500, "precision": 1e-12, "r_precision": 1e-14})
    for attribute in ("_central_values", "summary", "baseline_hazard_"):
        pd.testing.assert_frame_equal(getattr(fit, attribute), getattr(reference, attribute),
                                      check_exact=True)
    assert fit.log_likelihood_ == reference.log_likelihood_
    pd.testing.assert_frame_equal(proportional_hazard_test(fit, x, time_transform="rank").summary,
                                  proportional_hazard_test(reference, x, time_transform="rank").summary,
                                  check_exact=True)
