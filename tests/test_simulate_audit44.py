"""Audit h44, area simulate: `omics simulate` / `omics.simulate.simulate_cohort` fixes."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest
import yaml

from helpers import log_records, run_omics
from omics._errors import InputError

#: A small cohort (a few seconds).
SMALL = {"profile": "test", "n_patients": 12, "n_genes": 1000, "n_proteins": 50}
SMALL_ARGS = ("--profile", "test", "--n_patients", "12", "--n_genes", "1000", "--n_proteins", "50")


def _snapshot(folder):
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# F1: the output folder's lock.


def test_simulate_stops_on_a_folder_a_run_has_locked(tmp_path):
    from omics.io._outdir import OutdirLock

    outdir = tmp_path / "cohort"
    with OutdirLock(outdir):  # as an `omics run` writing (or reading its cohort) there
        done = run_omics("simulate", "--outdir", str(outdir), *SMALL_ARGS)
    assert done.returncode == 2, done.stderr[-3000:]
    errors = [line for line in done.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and "Traceback" not in done.stderr
    assert "another omics run is writing to this folder (pid" in errors[0]
    assert sorted(p.name for p in outdir.iterdir()) == [".omics.lock"]  # nothing written


def test_simulate_holds_the_lock_while_it_writes(tmp_path, monkeypatch):
    from omics.io._outdir import probe_lock
    from omics.simulate import _write

    seen = []
    original = _write.simulate_cohort_then

    def checking(outdir, **options):
        with pytest.raises(InputError, match=r"another omics simulate is writing to this folder \(pid "):
            probe_lock(outdir)  # another command now stops at once
        seen.append(True)
        return original(outdir, **options)

    monkeypatch.setattr(_write, "simulate_cohort_then", checking)
    _write.simulate_recorded(tmp_path / "cohort", seed=1, **SMALL)
    assert seen == [True]
    probe_lock(tmp_path / "cohort")  # released at the end


# F2 and F9: a file changed since simulate wrote it, a simulate.record it did not write.


def test_simulate_stops_on_a_file_edited_since_it_wrote_it(tmp_path):
    from omics.simulate._write import simulate_recorded

    outdir = tmp_path / "cohort"
    simulate_recorded(outdir, seed=1, **SMALL)
    sheet = outdir / "samplesheet.csv"
    sheet.write_text(sheet.read_text() + "BALI099,P099,placebo,responder,male,70,no,5.5,1500000,,\n")
    before = _snapshot(outdir)
    with pytest.raises(InputError) as error:
        simulate_recorded(outdir, seed=1, **SMALL)
    text = str(error.value)
    assert "samplesheet.csv was changed since omics simulate wrote it" in text
    assert "Move the file away" in text
    assert _snapshot(outdir) == before  # the edit kept, nothing rewritten


def test_simulate_again_over_its_unchanged_files_still_works(tmp_path):
    """Control (passes on the old code too): a cohort as simulate wrote it is simulated again."""
    from omics.simulate._write import simulate_recorded

    outdir = tmp_path / "cohort"
    simulate_recorded(outdir, seed=1, **SMALL)
    first = _snapshot(outdir)
    simulate_recorded(outdir, seed=1, **SMALL)
    assert {k: v for k, v in _snapshot(outdir).items() if k != ".omics.lock"} == \
        {k: v for k, v in first.items() if k != ".omics.lock"}


def test_a_simulate_record_omics_did_not_write_is_not_overwritten(tmp_path):
    from omics.simulate._write import simulate_recorded

    outdir = tmp_path / "cohort"
    outdir.mkdir()
    (outdir / "simulate.record").write_text("my notes on the simulation\n")
    with pytest.raises(InputError, match="simulate.record is in the output folder, but it is not a "
                                         "record omics simulate wrote"):
        simulate_recorded(outdir, seed=1, **SMALL)
    assert (outdir / "simulate.record").read_text() == "my notes on the simulation\n"
    assert [p.name for p in outdir.iterdir()] == ["simulate.record"]


# F3: small cohorts whose first draw cannot have 3 of each outcome per arm.


@pytest.mark.parametrize(("n_patients", "seed"), [(12, 4), (13, 20), (14, 6), (16, 16)])
def test_small_cohorts_of_the_failing_seeds_are_drawn(n_patients, seed):
    from omics.simulate import demo_definition
    from omics.simulate._cohort import simulate_patients

    cohort = simulate_patients(n_patients, demo_definition()["response_model"],
                               np.random.default_rng(seed))
    sheet = cohort.samplesheet
    assert len(sheet) == n_patients
    assert pd.crosstab(sheet["arm"], sheet["response"]).min().min() >= 3


def test_simulate_writes_the_cohort_that_crashed_before(tmp_path):
    done = run_omics("simulate", "--outdir", str(tmp_path / "c"), "--seed", "4", "--n_patients", "12",
                     "--profile", "test", "--n_genes", "1000", "--n_proteins", "50")
    assert done.returncode == 0, done.stderr[-3000:]
    sheet = pd.read_csv(tmp_path / "c" / "samplesheet.csv")
    assert pd.crosstab(sheet["arm"], sheet["response"]).min().min() >= 3


# F4: the null scenario plants no response effect.


def test_null_scenario_response_depends_on_no_latent_factor(tmp_path):
    from omics.simulate import simulate_cohort

    simulate_cohort(tmp_path / "null", seed=5, scenario="null", **{**SMALL, "n_patients": 60})
    latent = pd.read_csv(tmp_path / "null" / "truth_patients.tsv", sep="\t")
    sheet = pd.read_csv(tmp_path / "null" / "samplesheet.csv")
    # the linear predictor is the intercept and diabetes only
    assert latent.groupby(sheet["diabetes"])["linear_predictor"].nunique().max() == 1
    settings = yaml.safe_load((tmp_path / "null" / "simulation.yaml").read_text())
    model = settings["definition"]["response_model"]
    assert model["prognostic"] == 0 and model["predictive"] == 0
    assert settings["definition"]["survival_model"]["predictive"] == 0


# F5: what afs_log_hr_per_sd is (documentation of the truth, the data unchanged).


def test_the_recorded_hazard_ratio_is_described_as_conditional_on_response():
    from omics.simulate import _survival

    text = " ".join(_survival.__doc__.split())
    assert "given its response" in text and "not what a Cox model" in text


# F6: the Python API keeps the rules of the command.


def test_simulate_cohort_does_not_overwrite_a_users_file(tmp_path):
    from omics.simulate import simulate_cohort

    users = tmp_path / "r06" / "samplesheet.csv"
    users.parent.mkdir()
    users.write_text("precious user data\n")
    with pytest.raises(InputError, match="samplesheet.csv is already in the output folder"):
        simulate_cohort(users.parent, seed=1, **SMALL)
    assert users.read_text() == "precious user data\n"
    assert [p.name for p in users.parent.iterdir()] == ["samplesheet.csv"]


@pytest.mark.parametrize(("options", "named"), [
    ({"profile": "foo"}, "profile is 'foo'; give 'full' or 'test'"),
    ({"n_patients": 12.5}, "n_patients is 12.5; give a whole number"),
    ({"n_genes": "1000"}, "n_genes is '1000'; give a whole number"),
    ({"seed": 1.5}, "seed is 1.5; give a whole number"),
])
def test_simulate_cohort_bad_options_raise_value_error_before_the_folder(tmp_path, options, named):
    from omics.simulate import simulate_cohort

    with pytest.raises(ValueError, match=named.replace(".", r"\.")):
        simulate_cohort(tmp_path / "r06b", **options)
    assert not (tmp_path / "r06b").exists()


def test_simulate_cohort_writes_a_record_and_no_lock_file(tmp_path):
    """Control of the API's record (new): re-simulating into its folder works; no .omics.lock."""
    from omics.simulate import simulate_cohort

    simulate_cohort(tmp_path / "a", seed=1, **SMALL)
    simulate_cohort(tmp_path / "a", seed=1, **SMALL)
    record = json.loads((tmp_path / "a" / "simulate.record").read_text())["files"]
    assert "samplesheet.csv" in record and not (tmp_path / "a" / ".omics.lock").exists()


# F7: the protein groups written.


def test_the_written_protein_count_is_recorded_and_logged(tmp_path):
    from omics.simulate import simulate_cohort

    with log_records("simulate") as records:
        simulate_cohort(tmp_path / "p", seed=1, **{**SMALL, "n_proteins": 1000})
    table = pd.read_csv(tmp_path / "p" / "proteinGroups.txt", sep="\t", dtype=str,
                        keep_default_na=False)
    written = int(((table["Reverse"] != "+") & (table["Potential contaminant"] != "+")).sum())
    assert written < 1000
    settings = yaml.safe_load((tmp_path / "p" / "simulation.yaml").read_text())
    assert settings["n_proteins"] == written and settings["n_proteins_requested"] == 1000
    lines = [record.getMessage() for record in records]
    assert any(f"wrote {written} protein groups, not the 1000 asked for" in line for line in lines)


# F8: a run's demo cohort.


def test_simulate_into_a_runs_demo_cohort_names_the_run(tmp_path):
    from omics._manifests import RUN_RECORD
    from omics.simulate._write import simulate_recorded

    run = tmp_path / "demo_run"
    cohort = run / "demo_cohort"
    cohort.mkdir(parents=True)
    (cohort / "samplesheet.csv").write_text("sample\n")
    (run / RUN_RECORD).parent.mkdir(parents=True)
    (run / RUN_RECORD).write_text(json.dumps({"files": {"demo_cohort/samplesheet.csv": "0" * 64}}))
    with pytest.raises(InputError) as error:
        simulate_recorded(cohort, seed=1, **SMALL)
    text = str(error.value)
    assert f"samplesheet.csv is a file of the cohort an omics run in {run} simulated" in text
    assert "no omics run or command there recorded it" not in text
    assert (cohort / "samplesheet.csv").read_text() == "sample\n"


# F10: progress lines, Returns types.


def test_progress_lines_between_the_steps_and_returns_typed(tmp_path):
    from omics.simulate import simulate_cohort

    with log_records("simulate") as records:
        simulate_cohort(tmp_path / "g", seed=1, **SMALL)
    lines = " | ".join(record.getMessage() for record in records)
    assert "simulated the RNA counts (1000 genes x 12 samples)" in lines
    assert "writing 12 FCS files" in lines
    assert "dict[str, Path]" in simulate_cohort.__doc__


def test_an_abbreviated_option_is_suggested_when_only_one_option_begins_so():
    from omics.params import suggestion

    assert suggestion("--n_pat", ["--n_patients", "--n_genes", "--n_proteins"]) == "--n_patients"
    assert suggestion("--n_", ["--n_patients", "--n_genes"]) is None  # too short, several begin so
    assert suggestion("--gsea", ["--gsea_permutations", "--gsea_min_size"]) is None  # two begin so
