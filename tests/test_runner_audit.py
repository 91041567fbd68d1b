"""The resumable runner's audit findings: files outside the folder, stale checks and reports.

- a sample id with a ``..`` part wrote its gating plot outside ``--outdir``;
- the input check of an earlier run was reused after a code change without a new version;
- the report of a resumed run stated the previous run's paths;
- a run stopped by a user's file at an output path still made ``.omics.lock``.
"""

from __future__ import annotations

import pytest

from helpers import TEST_COHORT, run_omics
from omics import runner
from omics._errors import InputError
from omics.dag import Task
from omics.io import read_samplesheet


@pytest.mark.parametrize("sample", ["../BALI001", "../../x/BALI001", "/tmp/BALI001", "a/../../b"])
def test_a_sample_id_that_leaves_the_results_folder_stops(tmp_path, sample):
    sheet = (TEST_COHORT / "samplesheet.csv").read_text().replace("BALI002,", f"{sample},", 1)
    (tmp_path / "samplesheet.csv").write_text(sheet)
    with pytest.raises(InputError, match=rf"row 3, column 'sample': sample id '{sample}' would "
                                         r"name a file outside the results folder"):
        read_samplesheet(tmp_path / "samplesheet.csv")


def test_a_sample_id_with_a_sub_folder_stays_accepted(tmp_path):
    sheet = (TEST_COHORT / "samplesheet.csv").read_text().replace("BALI002,", "P002/V1,", 1)
    (tmp_path / "samplesheet.csv").write_text(sheet)
    assert "P002/V1" in read_samplesheet(tmp_path / "samplesheet.csv").index


def test_the_input_check_is_not_reused_by_other_code(tmp_path, monkeypatch):
    params = {"input": str(TEST_COHORT / "samplesheet.csv"), "outdir": str(tmp_path)}
    monkeypatch.setattr(runner, "code_identity", lambda: "checkout A")
    first = runner._input_fingerprint(params)
    assert runner._input_fingerprint(params) == first
    monkeypatch.setattr(runner, "code_identity", lambda: "checkout B")  # same __version__
    assert runner._input_fingerprint(params) != first


def test_the_report_key_holds_every_parameter_it_states(tmp_path):
    report = Task(name="report", stage="report", kwargs={}, inputs=[])
    de = Task(name="de.c.protein", stage="de", kwargs={}, inputs=[],
              fields={"contrast": "c", "modality": "protein"})
    params = {"outdir": str(tmp_path / "a"), "flow_fcs": str(tmp_path / "fcs"), "de_fdr": 0.05,
              "n_cpus": 2}
    moved = {**params, "outdir": str(tmp_path / "b"), "flow_fcs": str(tmp_path / "fcs2")}
    assert runner._task_key(report, params) != runner._task_key(report, moved)
    assert runner._task_key(de, params) == runner._task_key(de, moved)  # content, not paths


@pytest.mark.slow
def test_a_foreign_output_stops_the_run_before_the_lock_file(tmp_path):
    outdir = tmp_path / "out"
    user_file = outdir / "differential" / "response_arm_adjusted.protein.limma.results.tsv"
    user_file.parent.mkdir(parents=True)
    user_file.write_text("my own table\n")
    before = sorted(p.relative_to(outdir) for p in outdir.rglob("*"))
    result = run_omics("run", "--input", str(TEST_COHORT / "samplesheet.csv"),
                       "--contrasts", str(TEST_COHORT / "contrasts.yaml"),
                       "--protein_matrix", str(TEST_COHORT / "proteinGroups.txt"),
                       "--outdir", str(outdir))
    assert result.returncode == 2, result.stderr[-2000:]
    assert "no omics run or command there recorded it" in result.stderr
    assert sorted(p.relative_to(outdir) for p in outdir.rglob("*")) == before
    assert not (outdir / ".omics.lock").exists()
    assert user_file.read_text() == "my own table\n"


def test_a_changed_output_is_named_when_its_task_runs_again(tmp_path, caplog):
    task = Task(name="de.c.protein", stage="de", kwargs={}, inputs=[],
                fields={"contrast": "c", "modality": "protein"})
    table = tmp_path / "differential" / "c.protein.limma.results.tsv"
    table.parent.mkdir()
    table.write_text("feature_id\tlogFC\nP1\t0.5\n")
    runner._record(tmp_path, task, "key", {"results": table})
    assert runner._is_cached(tmp_path, task, "key")
    table.write_text("feature_id\tlogFC\nP1\t9.9\n")  # edited by hand
    with caplog.at_level("INFO", logger="omics"):
        assert not runner._is_cached(tmp_path, task, "key")
    assert ("de.c.protein: differential/c.protein.limma.results.tsv was changed since the last run; "
            "computing it again") in caplog.text
    table.unlink()
    caplog.clear()
    with caplog.at_level("INFO", logger="omics"):
        assert not runner._is_cached(tmp_path, task, "key")
    assert "was removed since the last run" in caplog.text
