"""A resumed `omics run` reuses the input check only while inputs and parameters are unchanged."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from helpers import run_omics

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
