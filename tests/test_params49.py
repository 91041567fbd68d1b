"""Parameter surface, h49 audit (M1-M3, M5, M6, L1, L2, L7): null, flags, lists, locks.

The Nextflow tests run the parameter check or a -stub-run of the test profile (about 20 s
each); the others call omics directly.
"""

from __future__ import annotations

import fcntl
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from helpers import REPO, TEST_COHORT, run_nextflow
from helpers import nextflow_env as _env
from omics._errors import InputError
from omics.cli import main as omics_main
from omics.params import BY_NAME, resolve


def _params_file(tmp_path: Path, text: str, name: str = "p.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# ---------------------------------------------------------------------------------------
# omics side (fast)
# ---------------------------------------------------------------------------------------


def test_reference_genes_yaml_list_is_the_comma_list(tmp_path: Path) -> None:
    """M6: a YAML list for qpcr_reference_genes/_candidates is the comma-separated list."""
    listed = _params_file(tmp_path, "qpcr_reference_genes: [ACTB, GAPDH]\n"
                                    "qpcr_reference_candidates: [ACTB, GAPDH, B2M]\n")
    from_list = resolve({}, params_file=listed)
    from_text = resolve({"qpcr_reference_genes": "ACTB,GAPDH",
                         "qpcr_reference_candidates": "ACTB,GAPDH,B2M"})
    assert from_list["qpcr_reference_genes"] == from_text["qpcr_reference_genes"] == "ACTB,GAPDH"
    assert from_list["qpcr_reference_candidates"] == "ACTB,GAPDH,B2M"
    assert BY_NAME["qpcr_reference_genes"].is_list and BY_NAME["qpcr_reference_candidates"].is_list


@pytest.mark.parametrize(("text", "words"), [
    ("flow_bead_gate: yes\n", ["flow_bead_gate", "true/false", "Quote"]),
    ("flow_dose_population: on\n", ["flow_dose_population", "true/false", "Quote"]),
    ("sample_id_col: 1.10\n", ["sample_id_col", "a number", "Quote"]),
    ("response_covariates: [age, yes]\n", ["response_covariates", "Quote"]),
])
def test_yaml11_scalar_for_text_stops(tmp_path: Path, text: str, words: list[str]) -> None:
    """L2: a YAML bool or decimal given for a text parameter stops, telling to quote it."""
    with pytest.raises(InputError) as caught:
        resolve({}, params_file=_params_file(tmp_path, text))
    message = str(caught.value)
    for word in words:
        assert word in message, message


def test_quoted_and_integer_text_control(tmp_path: Path) -> None:
    """Control (passes before and after): quoted text and an integer column name are kept."""
    values = resolve({}, params_file=_params_file(tmp_path, "flow_bead_gate: 'yes'\nsample_id_col: 7\n"))
    assert values["flow_bead_gate"] == "yes"
    assert values["sample_id_col"] == "7"


@pytest.mark.parametrize(("args", "hint"), [
    (["run", "-profile", "test"], "`omics run --demo` runs the bundled test cohort"),
    (["run", "--demo", "-c", "x.config"], "--params-file"),
])
def test_nextflow_options_get_a_hint(capsys: pytest.CaptureFixture[str], args: list[str], hint: str) -> None:
    """L7: -profile and -c (Nextflow's options) point to --demo and --params-file."""
    with pytest.raises(SystemExit) as caught:
        omics_main(args)
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "unrecognized arguments" in err and hint in err, err
    assert len(err.strip().splitlines()) == 1


def test_schema_has_no_input_patterns() -> None:
    """L1: the schema holds no file-name pattern that `omics run` would not apply."""
    schema = json.loads((REPO / "nextflow_schema.json").read_text())
    properties = {name: prop for group in schema["$defs"].values()
                  for name, prop in group["properties"].items()}
    assert "pattern" not in properties["input"]
    assert "pattern" not in properties["contrasts"]


def test_generated_publish_dir_defaults_null() -> None:
    """M1/M2: the publishDir of every process reads a null mode/outdir as their defaults."""
    config = (REPO / "pipelines" / "conf" / "modules.config").read_text()
    assert "mode: params.publish_dir_mode ?: 'copy'," in config
    assert """path: { "${params.outdir == null ? 'results' : params.outdir}" },""" in config


# ---------------------------------------------------------------------------------------
# Nextflow side
# ---------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.nextflow
def test_stub_run_null_defaults_flag_words_lists(nextflow: Path, tmp_path: Path) -> None:
    """M1, M2, M5, M6, L1 under Nextflow (one -stub-run of the test profile).

    outdir: null publishes into results/ (not null/), publish_dir_mode: null copies (no
    symlinks into work/), "yes" and 0 are flags, a YAML list of reference genes is the comma
    list, and SampleSheet.CSV (upper case) passes the parameter check.
    """
    launch = tmp_path / "launch"
    launch.mkdir()
    sheet = launch / "SampleSheet.CSV"
    shutil.copy(TEST_COHORT / "samplesheet.csv", sheet)
    params = _params_file(launch, (
        f"input: {sheet}\n"
        "outdir: null\n"
        "publish_dir_mode: null\n"
        "deseq2_shrink: 'yes'\n"
        "flow_gating_plots: 0\n"
        "protein_is_log2: 'FALSE'\n"
        "qpcr_reference_genes: [ACTB, GAPDH]\n"))
    result = run_nextflow([str(nextflow), "run", str(REPO), "-profile", "test", "-stub-run",
                           "-params-file", str(params), "-work-dir", str(tmp_path / "work")],
                          cwd=launch, env=_env(tmp_path), timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    assert not (launch / "null").exists()
    results = launch / "results"
    report = results / "report" / "index.html"
    assert report.is_file() and not report.is_symlink()
    published = [p for p in results.rglob("*") if p.is_file() or p.is_symlink()]
    assert published and not [p for p in published if p.is_symlink()]
    assert list((results / "pipeline_info").glob("execution_trace_*.txt"))
    recorded = yaml.safe_load((results / "pipeline_info" / "params.yaml").read_text())
    assert recorded["outdir"] == "results"
    assert recorded["deseq2_shrink"] is True
    assert recorded["flow_gating_plots"] is False
    assert recorded["protein_is_log2"] is False
    assert recorded["qpcr_reference_genes"] == "ACTB,GAPDH"
    assert "null in the parameters, so the default applies: outdir results, publish_dir_mode copy" in output
    # the lock file names its holder, and is hidden (the report and omics run skip it)
    assert "pid " in (results / "pipeline_info" / ".nextflow.lock").read_text()


@pytest.mark.slow
@pytest.mark.nextflow
def test_parameter_check_messages(nextflow: Path, tmp_path: Path) -> None:
    """M2, M5, L2: empty outdir, YAML scalars for text and list items, flag words; nothing written."""
    params = _params_file(tmp_path, (
        "outdir: ''\n"
        "flow_bead_gate: yes\n"
        "sample_id_col: 1.10\n"
        "deseq2_shrink: 'true'\n"
        "flow_gating_plots: 'maybe'\n"
        "response_covariates: [age, yes]\n"
        "qpcr_reference_genes: no\n"))
    result = run_nextflow([str(nextflow), "run", str(REPO), "-profile", "test", "-stub-run",
                           "-params-file", str(params), "-work-dir", str(tmp_path / "work")],
                          cwd=tmp_path, env=_env(tmp_path), timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "--outdir is empty: give a path, or leave it out for its default (results)" in output
    assert re.search(r"--flow_bead_gate is true: .*quote it in a -params-file: flow_bead_gate: 'yes'", output)
    assert "--sample_id_col is the number 1.1, not text" in output
    assert "--deseq2_shrink" not in output  # 'true' is a flag, as in omics run
    assert "--flow_gating_plots must be true or false (or yes/no, 1/0), got 'maybe'" in output
    assert "--response_covariates has item(s) true that YAML reads as no name" in output
    # review49 M2: a list parameter given an unquoted no is no empty value (omics run stops too)
    assert "--qpcr_reference_genes is false: YAML reads an unquoted no/off/false as false" in output
    assert not (tmp_path / "pipeline_info").exists()
    assert not (tmp_path / "work").exists() or not list((tmp_path / "work").glob("*/*"))


@pytest.mark.slow
@pytest.mark.nextflow
def test_second_run_into_a_locked_outdir_stops(nextflow: Path, tmp_path: Path) -> None:
    """M3: while another run holds <outdir>/pipeline_info/.nextflow.lock, a run stops at once."""
    outdir = tmp_path / "out"
    (outdir / "pipeline_info").mkdir(parents=True)
    lock_path = outdir / "pipeline_info" / ".nextflow.lock"
    lock_path.write_text("pid 4242, host elsewhere, started 2026-01-01 00:00:00, launched from /a\n")
    with open(lock_path, "r+") as handle:
        fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # what Java's FileChannel.tryLock takes
        result = run_nextflow([str(nextflow), "run", str(REPO), "-profile", "test", "-stub-run",
                               "--outdir", str(outdir), "-work-dir", str(tmp_path / "work")],
                              cwd=tmp_path, env=_env(tmp_path), timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert (f"--outdir {outdir}: another Nextflow run is writing to this folder (pid 4242, host "
            "elsewhere") in output, output[-3000:]
    # no result: only pipeline_info/ (the held lock, and this run's own trace/report files,
    # new files named by its start time, which Nextflow opens before the parameter check)
    assert [p.name for p in outdir.iterdir()] == ["pipeline_info"]
    written = sorted(p.name for p in (outdir / "pipeline_info").iterdir())
    assert all(name == ".nextflow.lock" or name.startswith(("execution_", "pipeline_dag_"))
               for name in written), written
    assert lock_path.read_text().startswith("pid 4242")
    # released: the next run takes it (and names itself in the file)
    result = run_nextflow([str(nextflow), "run", str(REPO), "-profile", "test", "-stub-run",
                           "--outdir", str(outdir), "-work-dir", str(tmp_path / "work")],
                          cwd=tmp_path, env=_env(tmp_path), timeout=300)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert "pid " in lock_path.read_text() and "4242" not in lock_path.read_text()
    assert (outdir / "report" / "index.html").is_file()


