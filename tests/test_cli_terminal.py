"""What the terminal shows: help texts, usage errors, progress and log lines (docs audit 4-12)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers import REPO, TEST_COHORT, assert_input_error, log_records, run_omics
from omics._errors import InputError
from omics._logging import get_logger
from omics.params import BY_NAME, PARAMETERS, resolve
from omics.schema import parameter_table

OMICS = [sys.executable, "-m", "omics.cli"]


def _validated(outdir: Path) -> subprocess.CompletedProcess:
    """``omics validate`` of the bundled test cohort's protein groups (a folder the report takes)."""
    return run_omics("validate", "--input", str(TEST_COHORT / "samplesheet.csv"),
                     "--contrasts", str(TEST_COHORT / "contrasts.yaml"),
                     "--protein_matrix", str(TEST_COHORT / "proteinGroups.txt"), "--outdir", str(outdir))


# A. `omics report` writes back into the folder it reads unless --outdir is given


def test_report_without_outdir_writes_into_the_results_folder(tmp_path):
    results, elsewhere = tmp_path / "results_of_a_run", tmp_path / "cwd"
    elsewhere.mkdir()
    assert _validated(results).returncode == 0
    done = subprocess.run([*OMICS, "report", "--results_dir", str(results)], cwd=elsewhere,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (results / "report" / "index.html").is_file()
    assert not any(elsewhere.iterdir())  # not ./results/report/ of the current folder
    # an explicit --outdir still wins
    other = tmp_path / "other"
    done = run_omics("report", "--results_dir", str(results), "--outdir", str(other))
    assert done.returncode == 0, done.stderr
    assert (other / "report" / "index.html").is_file()


def test_nextflow_report_module_passes_outdir_itself():
    script = (REPO / "pipelines" / "modules" / "local" / "report" / "main.nf").read_text()
    start = script.index("omics report")
    call = script[start:script.index("omics_versions.sh", start)]
    assert "--outdir ." in call and "--results_dir ." in call


# B. `omics simulate`: help, size checks before anything is written, every file listed


def test_simulate_help_describes_every_option_with_the_real_defaults():
    from omics.simulate import demo_definition
    from omics.simulate._write import SIZE_LIMITS

    done = run_omics("simulate", "--help")
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    spec = demo_definition()
    assert "Write a simulated BALI-like cohort" in text
    for option in ("--outdir", "--seed", "--profile", "--scenario", "--n_patients", "--n_genes",
                   "--n_proteins"):
        described = re.search(re.escape(option) + r" \S+ (\w+)", text.split("options:")[1])
        assert described and described.group(1) != "-", option  # some help text follows
    assert f"default: {spec['seed']}" in text
    low, high = SIZE_LIMITS["n_patients"]
    assert f"patients, {low} to {high} (default: {spec['n_patients']})" in text
    assert f"(default: {spec['n_genes']}; {spec['test_profile']['n_genes']} with --profile test)" in text
    assert f"(default: {spec['n_proteins']}; {spec['test_profile']['n_proteins']} with --profile" in text
    assert f"genes, {SIZE_LIMITS['n_genes'][0]} or more" in text
    assert f"protein groups, {SIZE_LIMITS['n_proteins'][0]} or more" in text


def test_simulate_help_names_the_annotation_gene_count():
    from omics._resources import metadata_path
    from omics.simulate._matrices import annotated_genes

    count = len(annotated_genes(pd.read_csv(metadata_path("human_gene_ids.tsv"), sep="\t", dtype=str)))
    text = " ".join(run_omics("simulate", "--help").stdout.split())
    assert f"at most the shipped annotation's {count}" in text


@pytest.mark.parametrize(("args", "named"), [
    (("--n_patients", "-3"), "--n_patients is -3; give 12 to 100,000"),
    (("--n_patients", "5000000000"), "--n_patients is 5000000000"),
    (("--n_patients", "0"), "--n_patients is 0"),
    (("--n_genes", "50"), "--n_genes is 50; give at least 1,000"),
    (("--n_genes", "1000000"), "the shipped annotation has"),
    (("--n_proteins", "3"), "--n_proteins is 3"),
    (("--n_genes", "2000", "--n_proteins", "3000"), "--n_proteins (3000) is larger than --n_genes (2000)"),
    (("--seed", "-1"), "--seed is -1"),
])
def test_simulate_stops_on_a_bad_size_before_writing(tmp_path, args, named):
    outdir = tmp_path / "cohort"
    started = time.time()
    done = run_omics("simulate", "--outdir", str(outdir), *args)
    line = assert_input_error(done, outdir)
    assert named in line, line
    assert not outdir.exists()  # not even an empty folder
    assert "simulating" not in done.stderr
    assert time.time() - started < 60  # stopped at once, not after filling the memory


def test_simulate_stops_when_the_matrices_cannot_fit_in_memory(tmp_path, monkeypatch):
    from omics.simulate import _write, simulate_cohort

    monkeypatch.setattr(_write, "_available_memory", lambda: 2**30)  # 1 GB left
    with pytest.raises(InputError, match=r"1,000 patients x 20,000 genes need about 1\.3 GB of memory"):
        simulate_cohort(tmp_path / "cohort", n_patients=1000)
    assert not (tmp_path / "cohort").exists()
    _write.check_sizes(40, 20000, 5000, 1)  # the demo cohort fits


@pytest.mark.slow
def test_simulate_lists_every_file_and_folder_it_wrote(tmp_path):
    outdir = tmp_path / "cohort"
    done = run_omics("simulate", "--outdir", str(outdir), "--profile", "test")
    assert done.returncode == 0, done.stderr
    listed = dict(line.split("\t") for line in done.stdout.splitlines())
    assert list(listed)[:4] == ["input", "rna_counts", "protein_matrix", "contrasts"]
    assert {Path(path) for path in listed.values()} == set(outdir.iterdir()) - {outdir / ".omics.lock"}
    assert listed["flow_fcs"].endswith("/fcs/") and listed["qpcr"].endswith("qpcr_ct.tsv")


# C. unknown options name the subcommand's help and the option meant


@pytest.mark.parametrize(("args", "command"), [
    (("simulate", "--outdir", "s", "--bogus"), "simulate"),
    (("run", "--bogus", "1"), "run"),
    (("schema", "--bogus"), "schema"),
    (("qc", "--h5ad", "x", "--modality", "rna", "--bogus"), "qc"),
])
def test_unknown_option_points_to_the_subcommand_help(tmp_path, args, command):
    done = run_omics(*args, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert f"(see `omics {command} --help`)" in done.stderr, done.stderr
    assert "did you mean" not in done.stderr  # --bogus is close to nothing
    assert not any(tmp_path.iterdir())


def test_unknown_option_close_to_a_known_one_is_suggested(tmp_path):
    done = run_omics("run", "--de-fdr", "0.1", "--demo", cwd=tmp_path)
    assert done.returncode == 2
    assert ("unrecognized arguments: --de-fdr 0.1; did you mean --de_fdr? (see `omics run --help`)"
            in done.stderr)
    done = run_omics("run", "--de-fdr", "0.1", "--seeds=3", "--bogus", cwd=tmp_path)
    assert "did you mean --de_fdr for --de-fdr, --seed for --seeds?" in done.stderr
    done = run_omics("qc", "--h5ad", "x", "--modality", "rna", "--outdirr", "o", cwd=tmp_path)
    assert "did you mean --outdir?" in done.stderr and "omics qc --help" in done.stderr


def test_params_file_unknown_key_is_suggested(tmp_path):
    params = tmp_path / "params.yaml"
    params.write_text("de-fdr: 0.1\ngsea_permutation: 200\nbogus: 1\n")
    with pytest.raises(InputError) as caught:
        resolve({}, params_file=params)
    message = str(caught.value)
    assert ("bogus, de-fdr (did you mean de_fdr?), gsea_permutation (did you mean gsea_permutations?)"
            in message)
    # --params_file is accepted beside --params-file and -params-file
    done = run_omics("run", "--demo", "--params_file", str(params), "--outdir", str(tmp_path / "out"))
    line = assert_input_error(done, tmp_path / "out")
    assert "de-fdr (did you mean de_fdr?)" in line


# D. `omics schema --root` that is not the repository


def test_schema_root_not_found_is_an_input_error(tmp_path):
    for root, named in ((tmp_path / "nonexistent", "folder not found"),
                        (tmp_path, "no nextflow.config or README.md in this folder")):
        done = run_omics("schema", "--check", "--root", str(root))
        assert done.returncode == 2, done.stderr
        assert done.stderr.count("\n") == 1 and "unexpected" not in done.stderr
        assert str(root) in done.stderr and named in done.stderr and "--root" in done.stderr
    done = run_omics("schema", "--root", str(tmp_path / "nonexistent"))
    assert done.returncode == 2 and not (tmp_path / "nonexistent").exists()


# E. parameter bounds in `omics run --help` and the README table


def test_parameter_bounds_are_in_the_help_and_the_readme_table():
    from omics.params import bounds_text

    bounded = [p for p in PARAMETERS if bounds_text(p)]
    assert {p.name for p in bounded} >= {"gsea_permutations", "cv_folds", "deseq2_alpha", "qpcr_max_ct"}
    assert bounds_text(BY_NAME["gsea_permutations"]) == ">= 100"
    assert bounds_text(BY_NAME["deseq2_alpha"]) == "> 0 and < 1"
    assert bounds_text(BY_NAME["de_fdr"]) == ">= 0 and <= 1"
    help_text = " ".join(run_omics("run", "--help").stdout.split())
    assert "Gene permutations for GSEA prerank. (>= 100; default: 1000)" in help_text
    assert "Folds of the stratified cross-validation. (>= 2; default: 5)" in help_text
    table = parameter_table()
    readme = (REPO / "README.md").read_text()
    for parameter in bounded:
        assert f"({bounds_text(parameter)}; default:" in help_text or (
            parameter.default is None and f"({bounds_text(parameter)})" in help_text), parameter.name
        row = next(line for line in table.splitlines() if line.startswith(f"| `--{parameter.name}` |"))
        assert f" ({bounds_text(parameter)}) |" in row, row
        assert row in readme  # regenerated with `omics schema`
    assert "| `--gsea_permutations` | integer (>= 100) | `1000` |" in table


# F. `omics run` progress: the counter is the number of tasks finished so far


def test_progress_counter_counts_finished_tasks_in_any_order(tmp_path):
    from omics.dag import Task
    from omics.runner import _Schedule

    tasks = [Task("validate", "validate", {}, []),
             Task("qc.rna", "qc", {}, [], needs=["validate"]),
             Task("de.a.rna", "de", {}, [], needs=["validate"]),
             Task("de.b.rna", "de", {}, [], needs=["validate"]),
             Task("report", "report", {}, [], needs=["qc.rna", "de.a.rna", "de.b.rna"])]
    schedule = _Schedule(tasks, {}, tmp_path, resume=True, slots=1)
    with log_records("run") as found:
        for name, status in (("validate", "completed"), ("de.b.rna", "cached"),
                             ("qc.rna", "completed"), ("de.a.rna", "completed"), ("report", "completed")):
            schedule.finish(next(t for t in tasks if t.name == name), status, time.time())
    lines = [record.getMessage() for record in found]
    assert [line.split("]")[0] for line in lines] == ["[1/5", "[2/5", "[3/5", "[4/5", "[5/5"], lines
    assert lines[1].startswith("[2/5] de.b.rna cached")


# G. score-stage log lines name their modality


def test_score_log_lines_name_the_modality():
    from omics.stages._score import _modality_logs
    from omics.tl import sample_scores

    rng = np.random.default_rng(0)
    expression = pd.DataFrame(rng.normal(size=(6, 8)), index=[f"s{i}" for i in range(6)],
                              columns=[f"G{i}" for i in range(8)])
    with log_records("tl.scores") as found, _modality_logs("protein"):
        sample_scores(expression, {"set": [f"G{i}" for i in range(6)]})
    with log_records("tl.response") as later:
        get_logger("tl.response").info("response_model: outside the stage")
    assert [r.getMessage() for r in found] == [
        "protein: sample_scores(zmean): 1 of 1 gene sets have >= 5 genes in the data"]
    assert later[0].getMessage() == "response_model: outside the stage"  # the label is removed


# H. stage subcommands name the folder and files they wrote


def test_stage_subcommand_names_what_it_wrote(tmp_path):
    done = _validated(tmp_path / "out")
    assert done.returncode == 0, done.stderr
    folder = (tmp_path / "out" / "validated").resolve()
    last = done.stderr.strip().splitlines()[-1]
    assert last.endswith(f"validate: wrote 3 files in {folder}/: samplesheet.csv, contrasts.yaml, "
                         "validation.json"), last
    assert sorted(p.name for p in folder.iterdir()) == ["contrasts.yaml", "samplesheet.csv",
                                                        "validation.json"]
    done = run_omics("report", "--results_dir", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1].endswith(
        f"report: wrote 1 file in {(tmp_path / 'out' / 'report').resolve()}/: index.html")
