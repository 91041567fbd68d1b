"""Stage commands, ``omics simulate`` and ``--demo`` never overwrite a file they did not write.

A user's file at a path ``omics <stage>`` or ``omics simulate`` may write stops it before
anything is written (exit 2, one line naming the file). What a stage command writes is
recorded in its task manifest (``pipeline_info/cache/<task>.json``, the name ``omics run``
gives the same task), so the next stage command, ``omics run`` and ``omics report`` know
the files as omics's own. ``omics run --demo`` lists the demo cohort it simulates in its
run record and reuses it only while every file is as recorded.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from helpers import QUICK, TEST_COHORT, run_omics
from omics._errors import InputError

C = TEST_COHORT
CONTRAST = "response_arm_adjusted"
DE_TABLE = f"differential/{CONTRAST}.protein.limma.results.tsv"
RNA_DE_TABLE = f"differential/{CONTRAST}.rna.deseq2.results.tsv"
GSEA_TABLE = f"enrichment/{CONTRAST}.protein.gsea.tsv"
FLOW = ("--flow_fcs", str(C / "fcs"), "--flow_beads_per_test", "50000")
SIMULATE = ("--profile", "test", "--n_patients", "12", "--n_genes", "1000", "--n_proteins", "50")


def _stage_args(stage: str, results: Path) -> tuple[str, ...]:
    """The options of ``omics <stage>`` reading the stage-command results in ``results``."""
    sheet = ("--samplesheet", str(results / "validated/samplesheet.csv"))
    design = (*sheet, "--contrasts", str(results / "validated/contrasts.yaml"))
    h5ads = ("--rna_h5ad", str(results / "rna/rna.h5ad"),
             "--protein_h5ad", str(results / "protein/protein.h5ad"))
    return {
        "validate": ("--input", str(C / "samplesheet.csv"), "--contrasts", str(C / "contrasts.yaml"),
                     "--rna_counts", str(C / "salmon.merged.gene_counts.tsv"),
                     "--protein_matrix", str(C / "proteinGroups.txt"), *FLOW),
        "rna_prep": (*design, "--rna_counts", str(C / "salmon.merged.gene_counts.tsv")),
        "protein_prep": (*design, "--protein_matrix", str(C / "proteinGroups.txt")),
        "flow_prep": (*sheet, *FLOW),
        "qc": ("--h5ad", str(results / "protein/protein.h5ad"), "--modality", "protein"),
        "de": ("--h5ad", str(results / "protein/protein.h5ad"), "--contrasts",
               str(results / "validated/contrasts.yaml"), "--contrast_id", CONTRAST,
               "--modality", "protein"),
        "enrich": ("--de_results", str(results / DE_TABLE), *QUICK[:2]),
        "score": (*h5ads, *QUICK[2:]),
        "integrate": (*h5ads, "--de_results", str(results / DE_TABLE), str(results / RNA_DE_TABLE),
                      "--gsea_results", str(results / GSEA_TABLE)),
        "report": ("--results_dir", str(results)),
    }[stage]


def _snapshot(folder: Path) -> dict[str, str]:
    # Every file and folder below `folder`, hidden ones too, with its content.
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file()
            else "folder" for p in sorted(folder.rglob("*"))}


def _manifest(outdir: Path, task: str) -> dict:
    return json.loads((outdir / "pipeline_info" / "cache" / f"{task}.json").read_text())


STAGE_ORDER = ("validate", "rna_prep", "protein_prep", "flow_prep", "qc", "de", "enrich", "score",
               "integrate", "report")


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every stage command, one after the other, into one folder (the test cohort)."""
    results = tmp_path_factory.mktemp("staged") / "results"
    rna_de = ("de", "--h5ad", str(results / "rna/rna.h5ad"), "--contrasts",
              str(results / "validated/contrasts.yaml"), "--contrast_id", CONTRAST, "--modality", "rna")
    calls = [(stage, *_stage_args(stage, results)) for stage in STAGE_ORDER]
    calls.insert(STAGE_ORDER.index("integrate"), rna_de)  # integrate: both modalities' tables
    for call in calls:
        done = run_omics(*call, "--outdir", str(results))
        assert done.returncode == 0, (call[0], done.stderr[-3000:])
    return results


# (stage, an output path it may write: the error line names it)
TARGETS = [
    ("validate", "validated/samplesheet.csv"),
    ("rna_prep", "rna/rna.h5ad"),
    ("protein_prep", "protein/protein.h5ad"),
    ("flow_prep", "flow/gating_plots/BALI001.png"),  # one per sample of the sheet
    ("qc", "qc/protein.outliers.tsv"),
    ("de", DE_TABLE),
    ("enrich", f"enrichment/{CONTRAST}.protein.ora.tsv"),
    ("score", "scores/survival_model.tsv"),  # only with afs_days/afs_event
    ("integrate", "integration/flow_score_correlation.tsv"),  # only with flow
    ("report", "report/index.html"),
]


@pytest.mark.parametrize(("stage", "relative"), TARGETS, ids=[s for s, _ in TARGETS])
def test_a_users_file_at_an_output_path_stops_a_stage_command(staged, tmp_path, stage, relative):
    outdir = tmp_path / "mine"
    users = outdir / relative
    users.parent.mkdir(parents=True)
    users.write_text("MY OWN FILE\n")
    before = _snapshot(outdir)
    done = run_omics(stage, *_stage_args(stage, staged), "--outdir", str(outdir))
    assert done.returncode == 2, done.stderr[-3000:]
    errors = [line for line in done.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and "Traceback" not in done.stderr, done.stderr
    assert f"{relative} is already in the output folder, and no omics run or command there recorded it: " \
           f"omics {stage} would overwrite it" in errors[0]
    assert _snapshot(outdir) == before  # nothing written, no record
    assert users.read_text() == "MY OWN FILE\n"


def test_a_users_file_at_an_output_path_stops_simulate(tmp_path):
    outdir = tmp_path / "cohort"
    users = outdir / "fcs" / "BALI003.fcs"
    users.parent.mkdir(parents=True)
    users.write_text("MY OWN FILE\n")
    before = _snapshot(outdir)
    done = run_omics("simulate", "--outdir", str(outdir), *SIMULATE)
    assert done.returncode == 2, done.stderr[-3000:]
    assert "fcs/BALI003.fcs is already in the output folder, and no omics run or command there " \
           "recorded it: omics simulate would overwrite it" in done.stderr
    assert _snapshot(outdir) == before and users.read_text() == "MY OWN FILE\n"


def test_simulate_records_what_it_writes_and_runs_again_into_its_folder(tmp_path):
    from omics.simulate._write import planned_files

    outdir = tmp_path / "cohort"
    for _ in range(2):
        done = run_omics("simulate", "--outdir", str(outdir), *SIMULATE)
        assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.splitlines()[-1] == f"record\t{outdir / 'simulate.record'}"
    record = json.loads((outdir / "simulate.record").read_text())
    written = {p for p, h in _snapshot(outdir).items() if h != "folder"} - {"simulate.record",
                                                                            ".omics.lock"}
    assert set(record["files"]) == written
    assert {str(p.relative_to(outdir)) for p in planned_files(outdir, profile="test",
                                                             n_patients=12)} == written
    assert all(record["files"][p] == _snapshot(outdir)[p] for p in written)


def test_stage_commands_record_what_they_wrote_and_run_again_into_their_folder(staged, tmp_path):
    from omics._manifests import written_here

    outdir = tmp_path / "again"
    shutil.copytree(staged, outdir)
    before = _snapshot(outdir)
    # one that stops on bad input writes nothing (not even its claim)
    done = run_omics("de", *_stage_args("de", staged)[:-4], "--contrast_id", "nope",
                     "--modality", "protein", "--outdir", str(outdir))
    assert done.returncode == 2 and "no contrast 'nope'" in done.stderr, done.stderr[-3000:]
    assert _snapshot(outdir) == before
    done = run_omics("qc", *_stage_args("qc", staged), "--outdir", str(outdir))
    assert done.returncode == 0, done.stderr[-3000:]
    recorded = _manifest(outdir, "qc.protein")
    assert recorded["key"] is None and set(recorded["outputs"]) == {
        f"qc/protein.{name}" for name in ("pca.tsv", "pca_variance.txt",
                                         "sample_correlation.tsv", "outliers.tsv")}
    assert set(_manifest(outdir, f"enrich.{CONTRAST}.protein")["outputs"]) == {
        GSEA_TABLE, f"enrichment/{CONTRAST}.protein.ora.tsv"}
    # every file a stage command wrote is known as omics's own
    own = written_here(outdir)
    results = {p for p, h in _snapshot(outdir).items()
               if h != "folder" and not p.startswith("pipeline_info")}
    assert results <= own, sorted(results - own)


def test_the_report_over_stage_command_results_lists_them(staged, tmp_path):
    from omics.report._discover import Results

    outdir = tmp_path / "report"
    done = run_omics("report", *_stage_args("report", staged), "--outdir", str(outdir))
    assert done.returncode == 0, done.stderr[-3000:]
    assert _manifest(outdir, "report")["outputs"].keys() == {"report/index.html"}
    found = Results(staged)
    assert [r.path for r in found.de] == [staged / DE_TABLE, staged / RNA_DE_TABLE]
    assert found.first("protein.pca.tsv") == staged / "qc" / "protein.pca.tsv"
    assert found.first("angiogenesis_scores.tsv") == staged / "scores" / "angiogenesis_scores.tsv"
    html = (outdir / "report" / "index.html").read_text()
    assert CONTRAST in html and _manifest(staged, "report")["key"] is None


def test_the_report_into_a_results_folder_no_command_recorded_runs_again(staged, tmp_path):
    """As in Nextflow's OMICS_REPORT work folder or its published results: no records there."""
    results = tmp_path / "published"
    shutil.copytree(staged, results, ignore=shutil.ignore_patterns("pipeline_info", "report"))
    for _ in range(2):  # the second time over its own report
        done = run_omics("report", "--results_dir", str(results))
        assert done.returncode == 0, done.stderr[-3000:]
    assert set(json.loads((results / "pipeline_info/cache/report.json").read_text())["outputs"]) == {
        "report/index.html"}
    assert CONTRAST in (results / "report" / "index.html").read_text()


def test_the_report_replaces_a_published_omics_report_but_not_another_file(staged, tmp_path):
    """A Nextflow results folder: its report/index.html is omics's (generator tag), no manifest."""
    results = tmp_path / "published"
    shutil.copytree(staged, results, ignore=shutil.ignore_patterns("pipeline_info", "report"))
    done = run_omics("report", "--results_dir", str(results), "--outdir", str(tmp_path / "first"))
    assert done.returncode == 0, done.stderr[-3000:]
    (results / "report").mkdir()
    shutil.copy(tmp_path / "first" / "report" / "index.html", results / "report" / "index.html")
    done = run_omics("report", "--results_dir", str(results))  # as Nextflow published it
    assert done.returncode == 0, done.stderr[-3000:]
    other = tmp_path / "mine"
    shutil.copytree(results, other, ignore=shutil.ignore_patterns("pipeline_info"))
    (other / "report" / "index.html").write_text("<html>my own notes</html>")
    done = run_omics("report", "--results_dir", str(other))
    assert done.returncode == 2 and "report/index.html" in done.stderr
    assert (other / "report" / "index.html").read_text() == "<html>my own notes</html>"


def test_validate_then_run_into_the_same_folder(tmp_path):
    outdir = tmp_path / "results"
    done = run_omics("validate", "--input", str(C / "samplesheet.csv"), "--contrasts",
                     str(C / "contrasts.yaml"), "--protein_matrix", str(C / "proteinGroups.txt"),
                     "--outdir", str(outdir))
    assert done.returncode == 0, done.stderr[-3000:]
    assert _manifest(outdir, "validate")["key"] is None
    done = run_omics("run", "--input", str(C / "samplesheet.csv"), "--contrasts",
                     str(C / "contrasts.yaml"), "--protein_matrix", str(C / "proteinGroups.txt"),
                     *QUICK, "--outdir", str(outdir))
    assert done.returncode == 0, done.stderr[-3000:]
    assert _manifest(outdir, "validate")["key"]  # the run's own now


# --demo: the cohort the run simulates into <outdir>/demo_cohort is the run's own.


def test_a_users_file_in_demo_cohort_stops_the_demo(tmp_path):
    outdir = tmp_path / "demo"
    users = outdir / "demo_cohort" / "samplesheet.csv"
    users.parent.mkdir(parents=True)
    users.write_text("MY OWN FILE\n")
    before = _snapshot(outdir)
    done = run_omics("run", "--demo", "--outdir", str(outdir))
    assert done.returncode == 2, done.stderr[-3000:]
    errors = [line for line in done.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and "demo_cohort/samplesheet.csv is already in the output folder, " \
        "and no omics run or command there recorded it" in errors[0]
    assert "Move the file away, or choose another --outdir" in errors[0]
    assert _snapshot(outdir) == before  # not even the lock file


def _fake_simulation(calls: list, runner_module):
    """A stand-in for the demo's simulation: the demo cohort's files, each its name as content.

    ``calls`` gets, per call, whether the run record listed every one of them beforehand.
    """
    from omics.simulate._write import cohort_files

    def simulate(folder: Path, *, n_cpus: int, then):  # noqa: ARG001 - the real signature
        files = [path for key, path in cohort_files(folder).items() if key != "flow_fcs"]
        files += [folder / "fcs" / f"BALI{i:03d}.fcs" for i in range(1, 41)]  # 40 patients
        outdir = folder.parent
        listed = runner_module.run_files(outdir) or {}
        calls.append(all(str(p.relative_to(outdir)) in listed for p in files))
        for path in files:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(path.name)
        return {}, "checked now"
    return simulate


@pytest.fixture
def demo_outdir(tmp_path, monkeypatch):
    """A folder whose demo cohort a (stand-in) simulation wrote through ``_demo_inputs``.

    Returns the folder, the list of the simulation's calls (see :func:`_fake_simulation`)
    and what the first ``_demo_inputs`` returned as its input check.
    """
    from omics import runner
    from omics.simulate import _write

    calls: list[bool] = []
    monkeypatch.setattr(_write, "simulate_cohort_then", _fake_simulation(calls, runner))
    outdir = (tmp_path / "demo").resolve()
    _, checked = runner._demo_inputs({}, outdir)
    return outdir, calls, checked


def test_the_demo_cohort_is_recorded_and_reused_while_unchanged(demo_outdir):
    from omics import runner
    from omics._manifests import run_files
    from omics.simulate._write import planned_files

    outdir, calls, checked = demo_outdir
    assert checked == "checked now" and calls == [True]  # listed in the run record before
    files = run_files(outdir) or {}
    cohort = {str(p.relative_to(outdir)) for p in (outdir / "demo_cohort").rglob("*") if p.is_file()}
    assert cohort == {str(p.relative_to(outdir)) for p in planned_files(outdir / "demo_cohort")}
    assert {p for p in files if p.startswith("demo_cohort/")} == cohort
    assert all(files[p] == hashlib.sha256((outdir / p).read_bytes()).hexdigest() for p in cohort)
    params, checked = runner._demo_inputs({}, outdir)
    assert checked is None and calls == [True]  # reused, not simulated again
    assert params["input"] == str(outdir / "demo_cohort" / "samplesheet.csv")


def test_an_edited_demo_cohort_file_stops_the_demo(demo_outdir):
    from omics import runner

    outdir, calls, _ = demo_outdir
    edited = outdir / "demo_cohort" / "samplesheet.csv"
    edited.write_text("sample,age\nBALI001,99\n")
    with pytest.raises(InputError, match="demo_cohort/samplesheet.csv was changed since"):
        runner._demo_inputs({}, outdir)
    assert edited.read_text() == "sample,age\nBALI001,99\n" and calls == [True]


def test_an_unrecorded_file_in_the_demo_cohort_stops_the_demo(demo_outdir):
    from omics import runner

    outdir, calls, _ = demo_outdir
    (outdir / "demo_cohort" / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="demo_cohort/notes.txt is already in the output folder"):
        runner._demo_inputs({}, outdir)
    assert calls == [True]


def test_a_missing_demo_cohort_file_is_simulated_again(demo_outdir):
    from omics import runner

    outdir, calls, _ = demo_outdir
    (outdir / "demo_cohort" / "proteinGroups.txt").unlink()
    _, checked = runner._demo_inputs({}, outdir)
    assert checked == "checked now" and calls == [True, True]
    assert (outdir / "demo_cohort" / "proteinGroups.txt").is_file()


def test_abbreviated_options_are_refused_with_a_suggestion(tmp_path):
    outdir = tmp_path / "o"
    done = run_omics("validate", "--inp", str(C / "samplesheet.csv"), "--contr",
                     str(C / "contrasts.yaml"), "--protein_matrix", str(C / "proteinGroups.txt"),
                     "--outdir", str(outdir))
    assert done.returncode == 2 and not outdir.exists()
    assert "unrecognized arguments: --inp " in done.stderr
    assert "did you mean --input for --inp, --contrasts for --contr?" in done.stderr
    done = run_omics("run", "--demo", "--de_fd", "0.1", "--outdir", str(outdir))
    assert done.returncode == 2 and "--de_fd 0.1; did you mean --de_fdr?" in done.stderr


# Review mends: folders of the previous release, hidden files, and stage commands in a
# folder no run wrote.


def test_a_demo_cohort_of_an_earlier_version_is_simulated_again(demo_outdir):
    """Earlier versions kept no record of the cohort: its planned files are taken as omics's own."""
    from omics import runner
    from omics._manifests import RUN_RECORD

    outdir, calls, _ = demo_outdir
    (outdir / RUN_RECORD).unlink()  # as the previous release left the folder
    (outdir / "demo_cohort" / ".DS_Store").write_text("finder")  # hidden: neither read nor written
    _, checked = runner._demo_inputs({}, outdir)
    assert checked == "checked now" and calls == [True, True]
    assert (outdir / "demo_cohort" / ".DS_Store").read_text() == "finder"
    (outdir / RUN_RECORD).unlink()
    (outdir / "demo_cohort" / "notes.txt").write_text("mine")  # not a file the simulation writes
    with pytest.raises(InputError, match="demo_cohort/notes.txt is already in the output folder"):
        runner._demo_inputs({}, outdir)


def test_a_report_of_the_previous_release_counts_as_omics_own(tmp_path):
    from omics._manifests import is_omics_report

    earlier = tmp_path / "earlier.html"
    earlier.write_text("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><meta name='viewport' "
                       "content='width=device-width, initial-scale=1'><title>BALI BM-MNC angiogenesis "
                       "transcriptomic report</title><style>")
    other = tmp_path / "other.html"
    other.write_text("<!DOCTYPE html><html><head><title>BALI BM-MNC notes</title>")
    assert is_omics_report(earlier) and not is_omics_report(other)


def test_a_stage_command_in_a_folder_no_run_wrote_hides_no_other_result(staged, tmp_path):
    """The report over a Nextflow-like folder lists every table after a stage command wrote there."""
    from omics.report._discover import Results

    results = tmp_path / "published"
    shutil.copytree(staged, results, ignore=shutil.ignore_patterns("pipeline_info", "report", "qc"))
    before = sorted(result.key for result in Results(results).de)
    assert before
    done = run_omics("qc", *_stage_args("qc", staged), "--outdir", str(results))
    assert done.returncode == 0, done.stderr[-3000:]
    assert sorted(result.key for result in Results(results).de) == before  # none hidden
    assert (results / "qc").is_dir()


def test_flow_prep_reads_a_tsv_sample_sheet_for_its_gating_plot_paths(tmp_path):
    from omics.cli import _sheet_ids

    sheet = tmp_path / "sheet.tsv"
    sheet.write_text("\ufeffsample\tarm\n S1 \tplacebo\nS2\tbmmnc\n")
    assert _sheet_ids(str(sheet)) == ["S1", "S2"]
