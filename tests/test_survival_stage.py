"""Survival columns through the stages: score outputs, and bad input stopping the run."""
from __future__ import annotations

import shutil

import pandas as pd
import pytest

from helpers import TEST_COHORT, run_omics
from omics.params import resolve
from omics.simulate import simulate_cohort
from omics.stages import score, validate
from omics.stages._prep import rna_prep


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    base = tmp_path_factory.mktemp("surv")
    paths = simulate_cohort(base / "cohort", profile="test")  # has afs_days / afs_event
    params = resolve({"cv_repeats": 5})
    out = base / "results"
    checked = validate(input=paths["input"], contrasts=paths["contrasts"], rna_counts=paths["rna_counts"],
                       outdir=out, params=params)
    h5ad = rna_prep(samplesheet=checked["samplesheet"], contrasts=checked["contrasts"],
                    rna_counts=paths["rna_counts"], outdir=out, params=params)["h5ad"]
    return score(h5ads={"rna": h5ad}, outdir=out, params=params), base


@pytest.mark.slow
def test_score_stage_writes_survival_tables(scored):
    files, base = scored
    survival = pd.read_csv(files["survival_model"], sep="\t")
    for column in ("modality", "score", "hr_control", "hr_control_low", "hr_control_high", "hr_treated",
                   "hr_pooled", "hr_interaction", "hr_interaction_low", "hr_interaction_high", "p_control",
                   "p_treated", "p_pooled", "p_interaction", "ph_p", "separation", "classification",
                   "signal_group"):
        assert column in survival.columns, column
    response = pd.read_csv(files["response_model"], sep="\t")
    for column in ("or_treated_low", "or_treated_high", "separation", "classification", "signal_group"):
        assert column in response.columns
    assert set(response["classification"]) <= {"predictive", "prognostic", "treated_only", "none"}
    curves = pd.read_csv(files["km_curves"], sep="\t")
    assert {"score", "arm", "group", "time", "survival", "n_at_risk"} <= set(curves.columns)
    logrank = pd.read_csv(files["km_logrank"], sep="\t")
    assert {"score", "arm", "logrank_p"} <= set(logrank.columns) and logrank["logrank_p"].notna().all()
    redundancy = pd.read_csv(files["score_redundancy"], sep="\t")
    called = response.loc[response["classification"] != "none", "score"]
    # signal groups are shared by both models: a score without a call in either has none
    uncalled = set(response.loc[response["classification"] == "none", "score"]) & set(
        survival.loc[survival["classification"] == "none", "score"])
    assert response.loc[response["score"].isin(uncalled), "signal_group"].isna().all()
    assert response.loc[~response["score"].isin(uncalled), "signal_group"].notna().all()
    assert set(response.loc[response["classification"] != "none", "signal_group"]) <= set(called) | set(
        survival.loc[survival["classification"] != "none", "score"])
    assert {"score_a", "score_b", "jaccard", "correlation", "linked"} <= set(redundancy.columns)
    # the planted predictive set: predictive in the survival model, never prognostic
    truth = pd.read_csv(base / "cohort" / "truth_sets.tsv", sep="\t").set_index("role")
    row = survival.set_index("score").loc[truth.loc["predictive", "term"]]
    assert row["classification"] == "predictive" and row["hr_treated"] < 1


@pytest.mark.parametrize(("column", "values", "message"), [
    ("afs_event", {3: "2"}, r"afs_event.*row\(s\) 5"),
    ("afs_days", {0: "-4"}, r"afs_days.*row\(s\) 2"),
])
@pytest.mark.slow
def test_bad_survival_input_exits_2_and_writes_nothing(tmp_path, column, values, message):
    import re

    sheet = pd.read_csv(TEST_COHORT / "samplesheet.csv", dtype=str)
    sheet["afs_days"], sheet["afs_event"] = "200", "0"
    for row, value in values.items():
        sheet.loc[row, column] = value
    cohort = tmp_path / "cohort"
    shutil.copytree(TEST_COHORT, cohort)
    sheet.drop(columns=["response"]).to_csv(cohort / "samplesheet.csv", index=False)
    outdir = tmp_path / "results"
    result = run_omics("run", "--input", str(cohort / "samplesheet.csv"), "--contrasts",
                       str(cohort / "contrasts.yaml"), "--rna_counts",
                       str(cohort / "salmon.merged.gene_counts.tsv"),
                       "--outdir", str(outdir))
    assert result.returncode == 2, result.stderr[-2000:]
    assert re.search(message, result.stderr), result.stderr
    assert not outdir.exists() or not any(p.is_file() for p in outdir.rglob("*"))
