"""A resumed `omics run` reuses the input check only while inputs and parameters are unchanged."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pandas as pd
import pytest

from helpers import run_omics
from omics import runner

FAST = ["--gsea_permutations", "100", "--cv_repeats", "5"]
SKIPPED = "not checked again"


def _inputs(cohort: Path) -> list[str]:
    return ["--input", str(cohort / "samplesheet.csv"), "--contrasts", str(cohort / "contrasts.yaml"),
            "--protein_matrix", str(cohort / "proteinGroups.txt")]


def test_resume_reuses_the_check_until_an_input_changes(cohort: Path, tmp_path: Path) -> None:
    outdir = tmp_path / "results"
    args = ["run", *_inputs(cohort), *FAST, "--outdir", str(outdir)]
    first = run_omics(*args)
    assert first.returncode == 0, first.stderr[-3000:]
    assert SKIPPED not in first.stderr
    assert (outdir / "pipeline_info" / "cache" / "input_check.record").is_file()

    resumed = run_omics(*args)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert SKIPPED in resumed.stderr
    trace = pd.read_csv(outdir / "pipeline_info" / "execution_trace.tsv", sep="\t")
    assert set(trace.loc[trace["task"] != "validate", "status"]) == {"cached"}

    # --no-resume always checks.
    fresh = run_omics(*args, "--no-resume")
    assert fresh.returncode == 0, fresh.stderr[-3000:]
    assert SKIPPED not in fresh.stderr

    # A changed parameter checks again.
    changed = run_omics(*args, "--de_fdr", "0.1")
    assert changed.returncode == 0, changed.stderr[-3000:]
    assert SKIPPED not in changed.stderr

    # A changed input is checked again and a bad one still stops the run (exit 2).
    sheet = cohort / "samplesheet.csv"
    lines = sheet.read_text().splitlines(keepends=True)
    sheet.write_text("".join([*lines, lines[1]]))  # a duplicated sample
    bad = run_omics(*args, "--de_fdr", "0.1")
    assert bad.returncode == 2, bad.stderr[-3000:]
    assert SKIPPED not in bad.stderr
    assert "samplesheet.csv" in bad.stderr

    # A removed validated output is noticed too.
    sheet.write_text("".join(lines))
    again = run_omics(*args, "--de_fdr", "0.1")
    assert again.returncode == 0, again.stderr[-3000:]
    assert SKIPPED in again.stderr
    (outdir / "validated" / "samplesheet.csv").unlink()
    rewritten = run_omics(*args, "--de_fdr", "0.1")
    assert rewritten.returncode == 0, rewritten.stderr[-3000:]
    assert SKIPPED not in rewritten.stderr
    assert (outdir / "validated" / "samplesheet.csv").is_file()

    # A contrast added to the file reruns its own tasks, not the other contrasts' ones.
    contrasts = cohort / "contrasts.yaml"
    contrasts.write_text(contrasts.read_text() + "  - id: response_sex_adjusted\n"
                         "    comparison: [response, non_responder, responder]\n"
                         "    blocking_factors: [sex]\n")
    added = run_omics(*args, "--de_fdr", "0.1")
    assert added.returncode == 0, added.stderr[-3000:]
    trace = pd.read_csv(outdir / "pipeline_info" / "execution_trace.tsv", sep="\t")
    status = dict(zip(trace["task"], trace["status"], strict=True))
    per_contrast = {task: state for task, state in status.items() if task.startswith(("de.", "enrich."))}
    assert {task for task, state in per_contrast.items() if state != "cached"} == {
        "de.response_sex_adjusted.protein", "enrich.response_sex_adjusted.protein"}
    assert len(per_contrast) == 10


def test_a_file_is_read_for_its_checksum_once_until_it_changes(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The run's file checksums: one read per file content, a changed file read again."""
    opened: list[Path] = []
    real_open = Path.open

    def recorded_open(self: Path, mode: str = "r", *args: object, **kwargs: object):  # noqa: ANN202
        if mode == "rb":  # a read for a checksum (writes open "wb")
            opened.append(self)
        return real_open(self, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "open", recorded_open)
    monkeypatch.setattr(runner, "_DIGESTS", {})
    path = tmp_path / "counts.tsv"
    path.write_bytes(b"a" * 10)
    assert runner._sha256(path) == runner._sha256(path) == hashlib.sha256(b"a" * 10).hexdigest()
    assert len(opened) == 1
    # rewritten in place at the same size (its modification time set apart, as a clock would)
    path.write_bytes(b"b" * 10)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert runner._sha256(path) == hashlib.sha256(b"b" * 10).hexdigest()
    # replaced by another file moved into place (as the stages write theirs)
    other = tmp_path / "next.tsv"
    other.write_bytes(b"c" * 10)
    other.replace(path)
    assert runner._sha256(path) == hashlib.sha256(b"c" * 10).hexdigest()
    assert len(opened) == 3


def test_a_gene_set_file_edited_in_place_is_read_again(tmp_path: Path) -> None:
    """The resume key of the stages reading --genesets hashes the files' content, not the path."""
    from omics.dag import Task

    panel = tmp_path / "panel.gmt"
    background = tmp_path / "background.gmt"
    panel.write_text("SET_A\tna\tVEGFA\tKDR\n")
    background.write_text("SET_B\tna\tTP53\tMDM2\n")
    de_table = tmp_path / "r.rna.deseq2.results.tsv"
    de_table.write_text("gene_id\n")
    params = {"genesets": f"{panel},{background}", "background_genesets": "none",
              "gsea_permutations": 1000, "seed": 42}
    for stage in ("enrich", "score", "report"):
        task = Task(name=stage, stage=stage, kwargs={}, inputs=[de_table])
        before = runner._task_key(task, params)
        assert runner._task_key(task, params) == before
        background.write_text("SET_B\tna\tTP53\tMDM2\tCDKN1A\n")  # the second file of the list
        edited = runner._task_key(task, params)
        assert edited != before, stage
        background.write_text("SET_B\tna\tTP53\tMDM2\n")
    # a task of a stage that names no such file keeps its key
    task = Task(name="qc.rna", stage="qc", kwargs={}, inputs=[de_table])
    key = runner._task_key(task, params)
    panel.write_text("SET_A\tna\tVEGFA\n")
    assert runner._task_key(task, params) == key


def _task(stage: str, inputs: list[Path], **fields: str):
    from omics.dag import Task

    name = ".".join([stage, *fields.values()])
    return Task(name=name, stage=stage, kwargs={}, inputs=inputs, fields=fields)


def test_scheduling_parameters_and_the_code_in_the_resume_key(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    table = tmp_path / "t.tsv"
    table.write_text("x\n")
    de = _task("de", [table], contrast="c", modality="rna")
    report = _task("report", [table])
    one, two = {"n_cpus": 1, "de_fdr": 0.05}, {"n_cpus": 2, "de_fdr": 0.05}
    # the results do not depend on n_cpus: a task computed with 1 is reused with 2 ...
    assert runner._task_key(de, one) == runner._task_key(de, two)
    # ... but the report states it, so the report is written again
    assert runner._task_key(report, one) != runner._task_key(report, two)
    # results of other library versions (or other code) are not reused
    before = runner._task_key(de, one)
    versions = runner.software_versions()
    monkeypatch.setattr(runner, "software_versions", lambda: {**versions, "pydeseq2": "9.9.9"})
    runner.code_identity.cache_clear()
    try:
        assert runner._task_key(de, one) != before
    finally:
        monkeypatch.undo()
        runner.code_identity.cache_clear()
    assert runner._task_key(de, one) == before


def test_a_per_contrast_task_keys_on_its_own_contrast_only(tmp_path: Path) -> None:
    """Adding, editing or reordering other contrasts leaves a contrast's tasks cached."""
    from omics.dag import Task

    contrasts = tmp_path / "contrasts.yaml"
    one = "- id: a\n  comparison: [response, no, yes]\n"
    two = "- id: b\n  comparison: [response, no, yes]\n  blocking_factors: [arm]\n"
    contrasts.write_text("contrasts:\n" + one + two)
    task = Task(name="de.a.rna", stage="de", kwargs={"contrasts": str(contrasts)},
                inputs=[contrasts], fields={"contrast": "a", "modality": "rna"})
    params = {"n_cpus": 1, "deseq2_shrink": False, "deseq2_alpha": 0.1}
    key = runner._task_key(task, params)
    contrasts.write_text("contrasts:\n" + two + one)  # reordered
    assert runner._task_key(task, params) == key
    contrasts.write_text("contrasts:\n" + one + two.replace("[arm]", "[arm, sex]"))  # b edited
    assert runner._task_key(task, params) == key
    contrasts.write_text("contrasts:\n" + one.replace("[response, no, yes]", "[response, yes, no]"))
    assert runner._task_key(task, params) != key  # its own entry edited
    # a task without a contrast (rna_prep reads every contrast) keys on the whole file
    prep = Task(name="rna_prep", stage="rna_prep", kwargs={"contrasts": str(contrasts)},
                inputs=[contrasts])
    prep_key = runner._task_key(prep, params)
    contrasts.write_text(contrasts.read_text() + two)
    assert runner._task_key(prep, params) != prep_key


def test_an_unreadable_manifest_means_run_the_task_again(tmp_path: Path) -> None:
    task = _task("qc", [], modality="rna")
    manifest = tmp_path / "pipeline_info" / "cache" / "qc.rna.json"
    manifest.parent.mkdir(parents=True)
    for text in ("", "{not json", "[]"):
        manifest.write_text(text)
        assert runner._is_cached(tmp_path, task, "key") is False


def test_files_claimed_by_a_cut_off_task_are_the_runs_own(tmp_path: Path) -> None:
    """A task cut off while writing left its outputs without a finished manifest."""
    from omics._errors import InputError

    outdir = tmp_path.resolve()
    task = _task("qc", [], modality="rna")
    pca = outdir / "qc" / "rna.pca.tsv"
    pca.parent.mkdir()
    pca.write_text("half written\n")
    with pytest.raises(InputError, match=r"qc/rna.pca.tsv is already in the output folder, and no omics "
                                         r"run or command there recorded it: task qc.rna would overwrite it"):
        runner._check_foreign_outputs([task], {}, outdir)
    runner._claim(outdir, task, {})
    runner._check_foreign_outputs([task], {}, outdir)  # claimed before the task ran
    assert pca.read_text() == "half written\n"


def test_temporaries_of_a_killed_run_are_swept_from_every_output_folder(tmp_path: Path) -> None:
    folders = runner._owned_folders(tmp_path)
    assert tmp_path / "flow" / "gating_plots" in folders  # per-sample plots
    assert tmp_path / "demo_cohort" / "fcs" in folders
