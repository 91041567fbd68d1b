"""Findings of the h43 Nextflow audit: -resume and a replaced FCS file, the parameter check,
`omics report` on a Nextflow results folder, and the messages a Nextflow user meets."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from helpers import REPO, TEST_COHORT, run_nextflow, run_omics
from helpers import nextflow_env as _env
from test_nextflow import _omics_task_name, _task_folder, _trace


@pytest.mark.slow
@pytest.mark.nextflow
def test_resume_reruns_the_flow_tasks_after_an_fcs_file_is_replaced(nextflow: Path,
                                                                     tmp_path: Path) -> None:
    """h43 #1: --flow_fcs was staged as one folder, which Nextflow hashes by its path, size and
    date: after ``cat BALI003.fcs > BALI001.fcs`` (same size, folder date unchanged) -resume
    kept OMICS_VALIDATE and OMICS_FLOW_PREP. Each file is now staged on its own, at input/fcs."""
    copy = tmp_path / "repo"  # the code of the tasks is hashed: a copy keeps it fixed between the runs
    for part in ("pipelines", "metadata", "src/omics", "tests/data/test_cohort"):
        shutil.copytree(REPO / part, copy / part, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("nextflow.config", "nextflow_schema.json", "environment.yml"):
        shutil.copy(REPO / name, copy / name)
    fcs = tmp_path / "fcs"
    shutil.copytree(TEST_COHORT / "fcs", fcs)
    command = [str(nextflow), "run", str(copy), "-profile", "test", "-stub-run", "-resume",
               "--flow_fcs", str(fcs), "--outdir", str(tmp_path / "out"),
               "-work-dir", str(tmp_path / "work")]

    def run(label: str) -> dict[str, str]:
        trace = tmp_path / f"trace_{label}.txt"
        result = run_nextflow([*command, "-with-trace", str(trace)], cwd=tmp_path, env=_env(tmp_path),
                              capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
        return {_omics_task_name(row["name"]): row["status"] for row in _trace(trace)}

    first = run("first")
    assert first["flow_prep"] == "COMPLETED"
    for process in ("OMICS_VALIDATE", "OMICS_FLOW_PREP"):  # the layout omics reads: input/fcs/<name>
        task = _task_folder(tmp_path / "work", process)
        assert "omics_fcs_links.sh 'input/fcs' " in (task / ".command.sh").read_text()
        linked = sorted(p.name for p in (task / "input" / "fcs").iterdir())
        assert linked == sorted(p.name for p in fcs.iterdir()), process
        assert (task / "input" / "fcs" / "BALI001.fcs").resolve() == (fcs / "BALI001.fcs").resolve()
    folder_time = fcs.stat().st_mtime_ns
    (fcs / "BALI001.fcs").write_bytes((fcs / "BALI003.fcs").read_bytes())  # same size
    assert fcs.stat().st_mtime_ns == folder_time
    again = run("replaced")
    assert again["validate"] != "CACHED" and again["flow_prep"] != "CACHED", again
    assert again["rna_prep"] == "CACHED", again


def _keyed_results(root: Path, contrasts: list[str], tables: list[str]) -> Path:
    """A results folder without a run record: validated/contrasts.yaml and empty-ish tables."""
    (root / "validated").mkdir(parents=True)
    (root / "validated" / "contrasts.yaml").write_text("contrasts:\n" + "".join(
        f"- id: {c}\n  comparison: [response, non_responder, responder]\n" for c in contrasts))
    for table in tables:
        path = root / table
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("feature_id\tlogFC\tpvalue\tpadj\nG1\t1.0\t0.01\t0.02\n")
    return root


def test_report_leaves_out_tables_of_contrasts_the_run_does_not_have(tmp_path: Path) -> None:
    """h43 #2: a Nextflow outdir keeps a dropped contrast's tables; `omics report --results_dir`
    showed them under this run's methods. In a folder without a run record, the differential
    and enrichment tables of contrasts not in validated/contrasts.yaml are left out, with one
    warning naming them."""
    from omics.report._discover import Results

    root = _keyed_results(tmp_path / "nf", ["resp", "resp.adj"], [
        "differential/resp.rna.deseq2.results.tsv", "differential/resp.adj.protein.limma.results.tsv",
        "differential/gone.rna.deseq2.results.tsv", "enrichment/resp.rna.gsea.tsv",
        "enrichment/gone.rna.gsea.tsv", "enrichment/gone.rna.ora.tsv", "enrichment/resp.adj.protein.ora.tsv"])
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("omics")
    logger.addHandler(handler)
    try:
        results = Results(root)
        assert [(r.contrast, r.modality) for r in results.de] == [("resp", "rna"), ("resp.adj", "protein")]
        assert [p.name for p in results.find("*.gsea.tsv")] == ["resp.rna.gsea.tsv"]
        assert [p.name for p in results.find("*.ora.tsv")] == ["resp.adj.protein.ora.tsv"]
    finally:
        logger.removeHandler(handler)
    warnings = [r.getMessage() for r in records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, warnings
    for name in ("differential/gone.rna.deseq2.results.tsv", "enrichment/gone.rna.gsea.tsv",
                 "enrichment/gone.rna.ora.tsv"):
        assert name in warnings[0]
    assert "resp.rna" not in warnings[0] and "\n" not in warnings[0]


def test_report_leaves_out_tables_of_dropped_contrasts_whose_id_holds_a_dot(tmp_path: Path) -> None:
    """h43 review #5: a table counted as contrast-keyed only when the text after its first '.'
    was ``<modality>.<method>.results.tsv`` (or ``<modality>.gsea/ora.tsv``), so the tables of a
    dropped contrast whose id holds '.' ("day.30", "resp.old") stayed in the report. Names are
    parsed from the right, as the differential tables are."""
    from omics.report._discover import Results

    root = _keyed_results(tmp_path / "nf", ["resp", "d.1"], [
        "differential/resp.rna.deseq2.results.tsv", "differential/d.1.rna.deseq2.results.tsv",
        "differential/day.30.rna.deseq2.results.tsv", "differential/resp.old.protein.limma.results.tsv",
        "enrichment/day.30.rna.gsea.tsv", "enrichment/resp.old.protein.ora.tsv",
        "enrichment/d.1.rna.ora.tsv"])
    results = Results(root)
    assert [(r.contrast, r.modality) for r in results.de] == [("d.1", "rna"), ("resp", "rna")]
    assert results.find("*.gsea.tsv") == []
    assert [p.name for p in results.find("*.ora.tsv")] == ["d.1.rna.ora.tsv"]


def test_report_keeps_every_contrast_table_without_a_validated_contrasts_file(tmp_path: Path) -> None:
    """Control (passes on the old code too): without validated/contrasts.yaml nothing is left out."""
    from omics.report._discover import Results

    root = _keyed_results(tmp_path / "flat", ["resp"], ["differential/gone.rna.deseq2.results.tsv"])
    (root / "validated" / "contrasts.yaml").unlink()
    assert [r.contrast for r in Results(root).de] == ["gone"]


def test_report_through_a_link_suggests_another_outdir(tmp_path: Path) -> None:
    """h43 #4: with --publish_dir_mode symlink every published file is a link, and `omics report
    --results_dir <outdir>` stops; the one-line message gives the command that works."""
    root = tmp_path / "out_sym"
    (root / "validated").mkdir(parents=True)
    shutil.copy(TEST_COHORT / "samplesheet.csv", root / "validated" / "samplesheet.csv")
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "index.html").write_text("<html></html>\n")
    (root / "report").mkdir()
    (root / "report" / "index.html").symlink_to(tmp_path / "work" / "index.html")
    result = run_omics("report", "--results_dir", str(root))
    assert result.returncode == 2
    message = result.stderr.strip().splitlines()[-1]
    assert "report/index.html is a link" in message
    assert "omics report --results_dir <this folder> --outdir <another folder>" in message
    assert (tmp_path / "work" / "index.html").read_text() == "<html></html>\n"


@pytest.mark.slow
@pytest.mark.nextflow
def test_parameter_check_takes_omics_integers_and_unset_words(nextflow: Path, tmp_path: Path) -> None:
    """h43 #3, #6, #7, before any task: --gsea_permutations 1e3 (accepted, then every
    OMICS_ENRICH task failed) stops with the integer in digits; --rna_min_samples none is
    accepted (unset, as omics.params.resolve), '' (true) says how to unset it; an `omics run`
    folder as --outdir stops."""
    outdir = tmp_path / "omics_run_folder"
    (outdir / "pipeline_info" / "cache").mkdir(parents=True)
    (outdir / "pipeline_info" / "cache" / "run.record").write_text('{"files": {}}\n')

    def check(*args: str) -> str:
        result = run_nextflow([str(nextflow), "run", str(REPO), "-profile", "test", "-stub-run",
                               "-work-dir", str(tmp_path / "work"), *args],
                              cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True,
                              timeout=300)
        assert result.returncode != 0
        return result.stdout + result.stderr

    text = check("--outdir", str(outdir), "--gsea_permutations", "1e3", "--rna_min_samples", "none",
                 "--flow_beads_per_test", "null")
    assert "--gsea_permutations must be an integer written in digits, got '1e3': write 1000" in text
    assert "rna_min_samples" not in text and "flow_beads_per_test" not in text
    assert (f"--outdir {outdir} is the results folder of an `omics run` (it has "
            "pipeline_info/cache/run.record)") in text
    assert not list((tmp_path / "work").glob("*/*/.command.run")), "no task may start"
    assert sorted(p.name for p in outdir.iterdir()) == ["pipeline_info"]
    # nothing added to that run's pipeline_info/ (no execution trace, timeline, report or DAG)
    assert sorted(str(p.relative_to(outdir)) for p in outdir.rglob("*")) == [
        "pipeline_info", "pipeline_info/cache", "pipeline_info/cache/run.record"]
    text = check("--outdir", str(tmp_path / "out"), "--rna_min_samples", "", "--cv_folds", "")
    assert ("--rna_min_samples needs a value (Nextflow reads an empty one as true): to unset it, give "
            "--rna_min_samples none, or write rna_min_samples: null in a -params-file") in text
    assert ("--cv_folds needs a value (Nextflow reads an empty one as true): leave it out for its "
            "default (5)") in text


@pytest.mark.slow
@pytest.mark.nextflow
def test_help_names_the_test_profile_not_the_omics_demo(nextflow: Path, tmp_path: Path) -> None:
    """h41 L2: --help said "`omics run --demo` runs the bundled demo cohort instead" (no such
    option in Nextflow): it names -profile test beside it."""
    result = run_nextflow([str(nextflow), "-q", "run", str(REPO), "--help"], cwd=tmp_path,
                          env=_env(tmp_path), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "\n  --demo " not in result.stdout  # no such pipeline option is listed
    assert "Nextflow's `-profile test` run a bundled cohort instead" in result.stdout


def test_a_changed_run_file_names_another_tool_as_a_cause(tmp_path: Path) -> None:
    """h43 #7: after a Nextflow run published into an `omics run` folder, the next `omics run`
    blamed "a file edited by hand" only; the one-line message names the other cause too."""
    from test_runner_audit42 import PROTEIN_RUN

    outdir = tmp_path / "results"
    first = run_omics("run", *PROTEIN_RUN, "--outdir", str(outdir))
    assert first.returncode == 0, first.stderr[-2000:]
    copy = outdir / "validated" / "samplesheet.csv"
    copy.write_text(copy.read_text() + "\n")  # as a Nextflow run publishing its own copy would
    again = run_omics("run", *PROTEIN_RUN, "--outdir", str(outdir))
    assert again.returncode == 2, again.stderr[-2000:]
    message = again.stderr.strip().splitlines()[-1]
    assert "validated/samplesheet.csv was changed since validate wrote it (edited by hand, or written " \
           "by another tool such as a Nextflow run into this folder)" in message


# h43 review #6: text values of integer and number parameters as omics.params.resolve reads them
# (Python's int() and float(): '_' between digits, a sign, blanks around). Each task is given the
# value as text, so main.nf takes exactly the text omics takes; see _NUMBER_TEXT_REJECTED.
_NUMBER_TEXT_ACCEPTED = {"gsea_permutations": "1_000", "cv_repeats": "+5", "rna_min_count": " 7 ",
                         "seed": "\u0661\u0660", "de_fdr": "0.0_5", "qpcr_replicate_sd": "1_0e-2",
                         "flow_sample_volume_ul": "1e2"}
_NUMBER_TEXT_REJECTED = {
    "gsea_min_size": ("1e1", "--gsea_min_size must be an integer written in digits, got '1e1': write 10"),
    "gsea_max_size": ("1000.0",
                      "--gsea_max_size must be an integer written in digits, got '1000.0': write 1000"),
    "cv_folds": ("1__0", "--cv_folds must be an integer, got '1__0'"),
    "flow_min_events": ("5_", "--flow_min_events must be an integer, got '5_'"),
    "deseq2_alpha": ("1e-400", "--deseq2_alpha must be > 0, got 0.0"),  # 0.0 as a double, as in Python
    "flow_beads_per_test": ("1e400", "--flow_beads_per_test must be a finite number, got '1e400'"),
    "protein_min_valid_fraction": ("0_.5", "--protein_min_valid_fraction must be a number, got '0_.5'"),
}


def test_number_texts_of_the_nextflow_check_are_those_omics_takes() -> None:
    """Control for the Nextflow test below: omics.params.resolve takes each accepted text and
    stops on each rejected one; the one difference is a whole float from a params file (1000.0),
    which `omics run` takes but a task, given the text '1000.0', does not."""
    from omics._errors import InputError
    from omics.params import resolve

    for name, text in _NUMBER_TEXT_ACCEPTED.items():
        resolve({name: text})
    for name, (text, _message) in _NUMBER_TEXT_REJECTED.items():
        with pytest.raises(InputError):
            resolve({name: text})
    assert resolve({"gsea_permutations": 1000.0})["gsea_permutations"] == 1000  # a params file's float
    with pytest.raises(InputError):
        resolve({"gsea_permutations": "1000.0"})  # what every task is given


@pytest.mark.slow
@pytest.mark.nextflow
def test_parameter_check_takes_the_numbers_omics_takes(nextflow: Path, tmp_path: Path) -> None:
    """h43 review #6: --gsea_permutations 1_000 stopped ("must be an integer") although omics takes
    it, 0.0_5 was no number, 1e-400 passed as > 0 (omics reads 0.0) and 1e400 as a number (omics:
    infinity). main.nf now takes the texts omics.params.resolve takes, and a whole float (1000.0,
    which a task would be given as text) stops with the integer to write, from a params file too."""
    outdir = tmp_path / "omics_run_folder"  # stops the run after the check, before any task
    (outdir / "pipeline_info" / "cache").mkdir(parents=True)
    (outdir / "pipeline_info" / "cache" / "run.record").write_text('{"files": {}}\n')
    params_file = tmp_path / "params.yaml"
    params_file.write_text("gsea_permutations: 2000.0\nn_cpus: 1_0\n")
    args = [arg for name, text in _NUMBER_TEXT_ACCEPTED.items() if name != "gsea_permutations"
            for arg in (f"--{name}", text)]
    args += [arg for name, (text, _message) in _NUMBER_TEXT_REJECTED.items() for arg in (f"--{name}", text)]
    result = run_nextflow([str(nextflow), "run", str(REPO), "-profile", "test", "-stub-run",
                           "-work-dir", str(tmp_path / "work"), "-params-file", str(params_file),
                           "--outdir", str(outdir), *args],
                          cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=300)
    text = result.stdout + result.stderr
    assert result.returncode != 0
    assert "is the results folder of an `omics run`" in text, text[-3000:]
    for name, (_text, message) in _NUMBER_TEXT_REJECTED.items():
        assert message in text, (name, text[-3000:])
    assert "--gsea_permutations must be an integer written in digits, got '2000.0': write 2000" in text
    for name in [*_NUMBER_TEXT_ACCEPTED, "n_cpus"]:  # gsea_permutations: from the params file here
        assert name == "gsea_permutations" or f"  - --{name} " not in text, (name, text[-3000:])
    assert not list((tmp_path / "work").glob("*/*/.command.run")), "no task may start"
    # the command line's 1_000 (the params file is overridden by it)
    again = run_nextflow([str(nextflow), "run", str(REPO), "-profile", "test", "-stub-run",
                          "-work-dir", str(tmp_path / "work"), "--outdir", str(outdir),
                          "--gsea_permutations", "1_000"],
                         cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=300)
    assert "is the results folder of an `omics run`" in again.stdout + again.stderr
    assert "--gsea_permutations" not in again.stdout + again.stderr


@pytest.mark.slow
@pytest.mark.nextflow
def test_flow_fcs_stages_only_the_files_omics_reads(nextflow: Path, tmp_path: Path) -> None:
    """h43 review #7: every file of the --flow_fcs tree was staged (hidden files, other files,
    subfolders, through a link to a folder). Now only what omics reads: the folder's own files
    with an FCS suffix (any case, not hidden) and the sheet's `fcs` names looked up in it."""
    fcs = tmp_path / "fcs"
    shutil.copytree(TEST_COHORT / "fcs", fcs)
    (fcs / ".DS_Store").write_bytes(b"\0\0")
    (fcs / "._BALI001.fcs").write_bytes(b"\0\0")
    (fcs / "notes.txt").write_text("gating notes\n")
    (fcs / "extra.LMD").write_bytes((fcs / "BALI040.fcs").read_bytes())
    (fcs / "sub").mkdir()
    shutil.copy(fcs / "BALI001.fcs", fcs / "sub" / "BALI001.fcs")
    (fcs / "sub" / "other.fcs").write_bytes(b"\0\0")
    (fcs / "loop").symlink_to(fcs, target_is_directory=True)
    lines = (TEST_COHORT / "samplesheet.csv").read_text().splitlines()
    named = {"BALI001": "sub/BALI001.fcs", "BALI002": "NA", "BALI003": "../elsewhere.fcs"}
    sheet = tmp_path / "samplesheet.csv"
    sheet.write_text("\n".join([lines[0] + ",fcs"] + [f"{line},{named.get(line.split(',')[0], '')}"
                                                      for line in lines[1:]]) + "\n")
    result = run_nextflow([str(nextflow), "run", str(REPO), "-profile", "test", "-stub-run",
                           "--input", str(sheet), "--flow_fcs", str(fcs), "--outdir", str(tmp_path / "out"),
                           "-work-dir", str(tmp_path / "work")],
                          cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    expected = sorted([p.name for p in (TEST_COHORT / "fcs").iterdir()] + ["extra.LMD", "sub/BALI001.fcs"])
    for process in ("OMICS_VALIDATE", "OMICS_FLOW_PREP"):
        task = _task_folder(tmp_path / "work", process)
        root = task / "input" / "fcs"
        linked = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_symlink())
        assert linked == expected, process
        assert (root / "sub" / "BALI001.fcs").resolve() == (fcs / "sub" / "BALI001.fcs").resolve()
        assert len(list((task / "input" / "fcs_files").iterdir())) == len(expected), process
