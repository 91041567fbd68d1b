"""Audit h45 (trial inference at its edges): survival columns, Firth convergence, covariates, ids."""

import logging

import numpy as np
import pandas as pd
import pytest

from helpers import REPO, edited_test_sheet, survival_reference
from omics._errors import InputError
from omics.io import read_samplesheet
from omics.params import resolve
from omics.stages._flow import flow_prep
from omics.stages._score import score
from omics.stages._validate import response_covariates
from omics.tl._response import response_model
from omics.tl._survival import kaplan_meier, survival_model


@pytest.fixture()
def trial():
    """40 patients with follow-up, two scores, age and diabetes; response from the survival."""
    d = survival_reference()
    scores = d[["pred", "prog"]].copy()
    return scores, d.drop(columns=["pred", "prog"])


# --- 1: infinite follow-up ----------------------------------------------------------------


@pytest.mark.parametrize("value", ["inf", "-inf", "Infinity"])
def test_sheet_with_infinite_follow_up_stops_naming_the_row(tmp_path, value):
    def edit(s):
        s.loc[1, "afs_days"] = value
    with pytest.raises(InputError, match=r"'afs_days' must be a number of days >= 0; row\(s\) 3") as error:
        read_samplesheet(edited_test_sheet(tmp_path, edit))
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("value", [np.inf, -np.inf])
@pytest.mark.parametrize("function", [survival_model, kaplan_meier])
def test_api_infinite_follow_up_stops_naming_the_sample(trial, value, function):
    scores, obs = trial
    obs = obs.copy()
    obs.loc["S03", "afs_days"] = value
    with pytest.raises(InputError, match=r"'afs_days' is infinite for 1 sample\(s\): S03"):
        function(scores, obs)


# --- 2: follow-up past the horizon without an event recorded ---------------------------------


def test_follow_up_past_the_horizon_with_no_event_is_censored_at_the_horizon(trial, caplog):
    scores, obs = trial
    late = obs.index[obs["afs_days"] > 183][:3]  # an event after day 183 is censored at it
    assert len(late) == 3
    blank = obs.copy()
    blank.loc[late, "afs_event"] = np.nan  # status at day 183 known: event-free
    with caplog.at_level(logging.INFO, logger="omics.tl.survival"):
        got = survival_model(scores, blank)
    assert "3 with no event recorded" in caplog.text
    pd.testing.assert_frame_equal(got, survival_model(scores, obs))
    assert (got["n"] == 40).all()
    pd.testing.assert_frame_equal(kaplan_meier(scores, blank)[1], kaplan_meier(scores, obs)[1])


def test_missing_event_before_the_horizon_still_leaves_the_sample_out(trial):
    """Control: follow-up ending before day 183 with no event known is not event-free."""
    scores, obs = trial
    early = obs.index[obs["afs_days"] < 100][0]
    obs = obs.copy()
    obs.loc[early, "afs_event"] = np.nan
    assert (survival_model(scores, obs)["n"] == 39).all()


# --- 4: Firth fits that do not converge --------------------------------------------------------


def test_unconverged_firth_fit_is_not_reported_nor_called(trial, caplog):
    scores, obs = trial
    noise = np.random.default_rng(3).normal(size=len(obs))
    # a score that is age but for 1e-4 noise, with age a covariate: Firth's Newton cannot finish
    scores = pd.DataFrame({"age_like": obs["age"] + 1e-4 * noise}, index=obs.index)
    with caplog.at_level(logging.WARNING, logger="omics.tl.response"):
        row = response_model(scores, obs, repeats=2).iloc[0]
    for model in ("control", "treated", "interaction"):
        assert f"{model}:not_converged" in row["separation"].split(";")
        assert np.isnan(row[f"p_{model}"]) and np.isnan(row[f"or_{model}"])
        assert np.isnan(row[f"or_{model}_low"]) and np.isnan(row[f"or_{model}_high"])
    assert row["classification"] == "none"
    assert "did not converge" in caplog.text and "age_like" in caplog.text


def test_converged_fits_have_no_flag(trial):
    """Control: an ordinary score is fitted and flagged as before."""
    scores, obs = trial
    table = response_model(scores, obs, repeats=2)
    assert not table["separation"].str.contains("not_converged").any()
    assert np.isfinite(table[["p_control", "p_treated", "p_interaction"]].to_numpy(float)).all()


# --- 5: no event on or before the horizon -------------------------------------------------------


def test_sheet_without_an_event_by_day_183_is_read(tmp_path):
    """A sheet with no event by day 183 is legitimate (a DE-only analysis; all follow-up with
    ``horizon_days=None``): it reads (review h45 #3: the first fix stopped it in the reader)."""
    def edit(s):
        days = s["afs_days"].astype(float)
        s["afs_days"] = np.where(s["afs_event"] == "1", days + 400, days).astype(str)
        s["response"] = np.nan
    sheet = read_samplesheet(edited_test_sheet(tmp_path, edit))
    assert (sheet["response"].dropna() == "responder").all()


def test_score_stage_fits_no_survival_model_for_a_modality_without_events(tmp_path, caplog):
    """Review h45 #2: one modality whose samples have no event by day 183 stopped the whole
    score stage; now that modality gets no survival model or KM curves, with a warning."""
    def edit(s):
        s["afs_event"] = "0"
        s["response"] = np.nan
    sheet = edited_test_sheet(tmp_path, edit)
    table = REPO / "tests" / "data" / "test_cohort" / "flow_populations.tsv"
    params = resolve({"input": str(sheet), "flow_table": str(table), "cv_repeats": 2})
    h5ad = flow_prep(samplesheet=sheet, outdir=tmp_path / "prep", params=params, flow_table=table)["h5ad"]
    with caplog.at_level(logging.WARNING):
        written = score(h5ads={"flow": h5ad}, outdir=tmp_path / "out", params=params)
    assert "flow: no survival model or Kaplan-Meier curves for this modality: survival_model: no " \
           "afs_event event" in caplog.text
    assert "survival" not in written and not (tmp_path / "out" / "scores" / "survival_model.tsv").exists()
    assert (tmp_path / "out" / "scores" / "angiogenesis_scores.tsv").is_file()


def test_survival_model_without_an_event_by_the_horizon_stops(trial):
    scores, obs = trial
    obs = obs.assign(afs_event=0)
    with pytest.raises(InputError, match=r"survival_model: no afs_event event .* on or before "
                                         r"day 183 .*check the coding of afs_event"):
        survival_model(scores, obs)
    late = obs.assign(afs_event=1, afs_days=300.0)  # every event after the end point
    with pytest.raises(InputError, match="on or before day 183"):
        survival_model(scores, late)


# --- 6: a covariate empty for every sample --------------------------------------------------------


def test_validate_stops_on_a_covariate_empty_for_every_sample(tmp_path):
    def edit(s):
        s["age"] = np.nan
    path = edited_test_sheet(tmp_path, edit)
    sheet = read_samplesheet(path)
    with pytest.raises(InputError, match=r"column 'age'.*empty for every sample.*leave it out of "
                                         r"response_covariates") as error:
        response_covariates({"response_covariates": "age,hba1c"}, sheet, path=path)
    assert str(path) in str(error.value)


def test_an_empty_column_of_the_default_covariates_is_skipped(tmp_path, caplog):
    """Review h45 #7: the default's columns are used when they hold values (skipped when
    absent); an empty one stopped a DE-only sheet whose user never named it."""
    def edit(s):
        s["age"] = np.nan
    path = edited_test_sheet(tmp_path, edit)
    with caplog.at_level(logging.INFO):
        assert response_covariates({"response_covariates": "age,diabetes"}, read_samplesheet(path),
                                   path=path) == ["diabetes"]
    assert "response covariates of the default empty for every sample (skipped): age" in caplog.text


def test_validate_accepts_a_partly_missing_covariate(tmp_path):
    """Control: a covariate missing for some samples is fine (those samples are left out)."""
    def edit(s):
        s.loc[:3, "age"] = np.nan
    path = edited_test_sheet(tmp_path, edit)
    assert response_covariates({"response_covariates": "age,diabetes"}, read_samplesheet(path),
                               path=path) == ["age", "diabetes"]


@pytest.mark.parametrize("function", [response_model, survival_model])
def test_api_names_the_empty_covariate(trial, function):
    scores, obs = trial
    obs = obs.assign(age=np.nan)
    with pytest.raises(InputError, match=rf"{function.__name__}: covariate 'age' has no value"):
        function(scores, obs)


# --- 7: duplicated sample ids ---------------------------------------------------------------------


@pytest.mark.parametrize("function", [survival_model, kaplan_meier])
@pytest.mark.parametrize("where", ["obs", "scores"])
def test_duplicated_sample_ids_stop_cleanly(trial, function, where):
    scores, obs = trial
    if where == "obs":
        obs = pd.concat([obs, obs.iloc[[0]]])
    else:
        scores = pd.concat([scores, scores.iloc[[0]]])
    with pytest.raises(InputError, match=rf"{function.__name__}: duplicated sample ids .*S00"):
        function(scores, obs)


# --- 9: silent drops are logged ------------------------------------------------------------------


def test_covariate_drop_is_a_warning_in_both_models(trial, caplog):
    scores, obs = trial
    obs = obs.copy()
    obs.iloc[:5, obs.columns.get_loc("age")] = np.nan
    with caplog.at_level(logging.WARNING, logger="omics.tl"):
        survival_model(scores, obs)
        response_model(scores, obs, repeats=2)
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(m.startswith("survival_model: 5 sample(s) with a missing covariate") for m in warned)
    assert any(m.startswith("response_model: 5 sample(s) with a missing covariate") for m in warned)


def test_text_in_score_cells_is_a_warning_and_changes_no_number(trial, caplog):
    scores, obs = trial
    text = scores.astype(object)
    text.iloc[:3, 0] = "n.d."
    clean = scores.copy()
    clean.iloc[:3, 0] = np.nan
    with caplog.at_level(logging.WARNING, logger="omics.tl"):
        got_s = survival_model(text, obs)
        got_r = response_model(text, obs, repeats=2)
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(m.startswith("survival_model: score cell(s)") and "pred (3)" in m for m in warned)
    assert any(m.startswith("response_model: score cell(s)") and "pred (3)" in m for m in warned)
    pd.testing.assert_frame_equal(got_s, survival_model(clean, obs))
    pd.testing.assert_frame_equal(got_r, response_model(clean, obs, repeats=2))


# --- 3: response values that are not what they seem ----------------------------------------------


@pytest.mark.parametrize(("value", "match"), [
    ("unknown", "reads as an unknown response"), ("n.d.", "reads as an unknown response"),
    ("Responder", "looks like responder='responder'"), ("responder ", "looks like responder"),
])
def test_response_lookalikes_and_missing_spellings_stop(trial, value, match):
    scores, obs = trial
    obs = obs.copy()
    obs.loc[obs.index[:4], "response"] = value
    with pytest.raises(InputError, match=rf"response_model: column 'response' has '{value}' for 4 "
                                         rf"sample\(s\), .*{match}"):
        response_model(scores, obs, repeats=2)


def test_other_non_response_labels_still_count_as_non_responses(trial):
    """Control: a non-response written another way (``non-responder``) is a non-response."""
    scores, obs = trial
    other = obs.assign(response=obs["response"].replace({"non_responder": "non-responder"}))
    pd.testing.assert_frame_equal(response_model(scores, other, repeats=2),
                                  response_model(scores, obs, repeats=2))


def test_a_slowly_converging_separated_fit_is_iterated_to_its_maximum():
    """Review h45 #6: a score separating response in the treated arm of 2,500 patients needs
    more than 100 Newton steps (gradient 1.4e-3 after 100, 3e-10 after 1,000): it was flagged
    not_converged and lost its 'predictive' call."""
    rng = np.random.default_rng(5)
    n = 2500
    z = rng.standard_normal(n)
    arm = rng.random(n) < 0.5
    y = np.where(arm, z > 0, rng.random(n) < 1 / (1 + np.exp(-0.3 * z)))
    obs = pd.DataFrame({"arm": np.where(arm, "bmmnc", "placebo"),
                        "response": np.where(y, "responder", "non_responder")},
                       index=[f"S{i}" for i in range(n)])
    table = response_model(pd.DataFrame({"separating": z}, index=obs.index), obs, covariates=[],
                           folds=2, repeats=1)
    assert "not_converged" not in table.loc[0, "separation"]
    assert table.loc[0, "classification"] == "predictive"
    assert np.isfinite(table.loc[0, "p_treated"])


def test_a_response_graded_none_is_a_non_response(trial):
    """Review h45 #8: 'none' is a response grade (complete / partial / none), not a missing value."""
    scores, obs = trial
    graded = obs.assign(response=obs["response"].replace({"non_responder": "none"}))
    pd.testing.assert_frame_equal(response_model(scores, graded, repeats=2),
                                  response_model(scores, obs, repeats=2))
