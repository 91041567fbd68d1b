"""``omics run`` never overwrites a file it did not write (README), whichever output it is.

A user's file at any path a run would write (a score table written only with survival
columns, the flow-score correlation, a gating plot, the input check's copies, the run's
``pipeline_info/`` files, the report) stops the run before anything is written (exit 2);
the files earlier runs in the folder wrote are still the run's own.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from helpers import QUICK, TEST_COHORT, run_omics
from omics._errors import InputError

#: RNA counts, proteins and FCS files: every stage runs, integrate with flow.
ARGS = ("--input", str(TEST_COHORT / "samplesheet.csv"),
        "--contrasts", str(TEST_COHORT / "contrasts.yaml"),
        "--rna_counts", str(TEST_COHORT / "salmon.merged.gene_counts.tsv"),
        "--protein_matrix", str(TEST_COHORT / "proteinGroups.txt"),
        "--flow_fcs", str(TEST_COHORT / "fcs"), "--flow_beads_per_test", "50000", *QUICK)


def _run(outdir: Path, *extra: str):
    return run_omics("run", *ARGS, *extra, "--outdir", str(outdir))


def _snapshot(folder: Path) -> dict[str, str]:
    # Every file and folder below `folder` (hidden ones too: the lock file), with its content.
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file()
            else "folder" for p in sorted(folder.rglob("*"))}


@pytest.fixture(scope="module")
def first_run(tmp_path_factory) -> Path:
    """One full run; the other tests copy it or read what it wrote."""
    outdir = tmp_path_factory.mktemp("foreign") / "results"
    result = _run(outdir)
    assert result.returncode == 0, result.stderr[-3000:]
    return outdir


# (path, who would write it: the error line names it)
FOREIGN = [
    ("scores/survival_model.tsv", "task score"),  # only with afs_days/afs_event
    ("integration/flow_score_correlation.tsv", "task integrate"),  # only with flow
    ("flow/gating_plots/BALI001.png", "task flow_prep"),  # one per sample
    ("validated/samplesheet.csv", "task validate"),  # the input check's copy
    ("pipeline_info/params.yaml", "this run's pipeline_info"),
    ("report/index.html", "task report"),
]


@pytest.mark.parametrize(("relative", "writer"), FOREIGN, ids=[p for p, _ in FOREIGN])
def test_a_users_file_at_an_output_path_stops_the_first_run(tmp_path, relative, writer):
    outdir = tmp_path / "results"
    users = outdir / relative
    users.parent.mkdir(parents=True)
    users.write_text("MY OWN FILE\n")
    before = _snapshot(outdir)
    result = _run(outdir)
    assert result.returncode == 2, result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"{relative} is already in the output folder, and no omics run or command there recorded it: " \
           f"{writer}" in errors[0]
    # nothing written: no lock file, no validated copy, the user's file as it was
    assert _snapshot(outdir) == before
    assert users.read_text() == "MY OWN FILE\n"


def test_a_rerun_into_its_own_folder_reuses_and_rewrites_its_files(first_run, tmp_path):
    outdir = tmp_path / "again"
    shutil.copytree(first_run, outdir)
    results = {p: h for p, h in _snapshot(outdir).items()
               if not p.startswith(("pipeline_info", "report", ".omics.lock"))}
    result = _run(outdir)
    assert result.returncode == 0, result.stderr[-3000:]
    trace = pd.read_csv(outdir / "pipeline_info" / "execution_trace.tsv", sep="\t")
    assert set(trace.loc[trace["status"] == "completed", "task"]) == {"validate", "report"}
    after = _snapshot(outdir)
    assert {p: after.get(p) for p in results} == results  # the results as they were
    # the run record lists the run's own files outside its tasks, with their SHA-256
    record = json.loads((outdir / "pipeline_info" / "cache" / "run.record").read_text())
    assert record["files"]["pipeline_info/params.yaml"] == after["pipeline_info/params.yaml"]
    assert record["files"]["validated/samplesheet.csv"] == after["validated/samplesheet.csv"]


def test_a_folder_of_a_version_before_the_run_record_is_still_its_runs(first_run, tmp_path):
    """Task manifests but no run record: its pipeline_info files are its runs' (not the user's)."""
    from omics import runner

    params, tasks = _tasks_of(first_run)
    samples = runner._sheet_samples(None, first_run)
    outdir = tmp_path / "older"
    shutil.copytree(first_run, outdir)
    (outdir / "pipeline_info" / "cache" / "run.record").unlink()
    runner._check_foreign_outputs(tasks, params, outdir, samples)
    # a params.yaml without any record of a run beside it (no pipeline_info/cache) is nobody's
    bare = tmp_path / "bare"
    (bare / "pipeline_info").mkdir(parents=True)
    shutil.copy(first_run / "pipeline_info" / "params.yaml", bare / "pipeline_info")
    with pytest.raises(InputError, match="pipeline_info/params.yaml is already in the output folder"):
        runner._check_foreign_outputs(tasks, params, bare, samples)


def _tasks_of(outdir: Path):
    from omics.dag import build_tasks

    params = yaml.safe_load((outdir / "pipeline_info" / "params.yaml").read_text())
    return params, build_tasks(params, outdir)


def test_every_file_a_run_writes_is_checked(first_run):
    """What each task recorded is among the paths it may write; nothing else lies beside them."""
    from omics import runner
    from omics.dag import possible_outputs

    outdir = first_run.resolve()
    params, tasks = _tasks_of(outdir)
    samples = runner._sheet_samples(None, outdir)
    checked = set()
    for task in tasks:
        possible = {runner._relative(outdir, p) for p in possible_outputs(task, params, outdir, samples)}
        recorded = json.loads((outdir / "pipeline_info" / "cache" / f"{task.name}.json").read_text())
        assert set(recorded["outputs"]) <= possible, task.name
        checked |= possible
    checked |= {runner._relative(outdir, p) for p in runner._run_level_files(outdir)}
    written = {str(p.relative_to(outdir)) for p in outdir.rglob("*") if p.is_file()}
    records = {p for p in written if p.startswith("pipeline_info/cache/")} | {".omics.lock"}
    assert written - records <= checked, sorted(written - records - checked)
    assert len([p for p in checked if p.startswith("flow/gating_plots/")]) == 40


def test_an_nf_core_pipeline_info_folder_does_not_stop_a_run(first_run, tmp_path):
    """Another pipeline's results folder (its own pipeline_info/): only a path the run writes stops it."""
    from omics import runner

    params, tasks = _tasks_of(first_run)
    outdir = tmp_path / "nfcore"
    info = outdir / "pipeline_info"
    info.mkdir(parents=True)
    for name in ("execution_trace_2024-05-01_10-00-00.txt", "params_2024-05-01_10-00-00.json",
                 "nf_core_pipeline_software_mqc_versions.yml", "pipeline_dag_2024-05-01_10-00-00.html"):
        (info / name).write_text("theirs\n")
    (outdir / "multiqc").mkdir()
    (outdir / "multiqc" / "multiqc_report.html").write_text("theirs\n")
    runner._check_foreign_outputs(tasks, params, outdir, ["BALI001"])  # no collision
    (info / "software_versions.yml").write_text("theirs\n")  # older nf-core template: collides
    with pytest.raises(InputError, match="pipeline_info/software_versions.yml is already in"):
        runner._check_foreign_outputs(tasks, params, outdir, ["BALI001"])


def test_what_a_cut_off_first_run_claimed_is_its_own(first_run, tmp_path):
    """A first run killed while flow_prep or score wrote: the plots and optional tables it left."""
    from omics import runner

    outdir = (tmp_path / "cut").resolve()
    shutil.copytree(first_run, outdir)
    params, tasks = _tasks_of(outdir)
    samples = runner._sheet_samples(None, outdir)
    cache = outdir / "pipeline_info" / "cache"
    for task in tasks:
        if task.stage in {"flow_prep", "score", "integrate", "report"}:
            (cache / f"{task.name}.json").unlink()  # never finished: only its claim
            runner._claim(outdir, task, params, samples)
    record = json.loads((cache / "run.record").read_text())  # cut off before its end
    (cache / "run.record").write_text(json.dumps({"files": dict.fromkeys(record["files"])}))
    runner._check_foreign_outputs(tasks, params, outdir, samples)
    # without the claims, the same files are nobody's: the run stops
    for task in tasks:
        if task.stage == "flow_prep":
            (cache / f"{task.name}.json").unlink()
    with pytest.raises(InputError, match=r"flow/flow.h5ad is already in the output folder"):
        runner._check_foreign_outputs(tasks, params, outdir, samples)
