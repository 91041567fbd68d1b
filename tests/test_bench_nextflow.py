"""The trace summary of ``benchmarks/bench_nextflow.py`` (no Nextflow needed)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_nextflow.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_nextflow", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("text", "expected"), [("850ms", 0.85), ("1.2s", 1.2), ("1m 3s", 63.0),
                                                ("1h 2m", 3720.0), ("0ms", 0.0), ("-", 0.0)])
def test_trace_durations(bench, text: str, expected: float) -> None:
    assert bench.seconds(text) == pytest.approx(expected)


def test_trace_summary_counts_tasks_and_the_de_task_of_each_contrast(bench, tmp_path: Path) -> None:
    trace = tmp_path / "trace.txt"
    prefix = "BALI_OMICS_ANGIOGENESIS:ANGIOGENESIS"
    trace.write_text("task_id\tname\tstatus\trealtime\n"
                     f"1\t{prefix}:OMICS_VALIDATE (cohort)\tCOMPLETED\t1.2s\n"
                     f"2\t{prefix}:OMICS_DE (b.rna)\tCOMPLETED\t2.5s\n"
                     f"3\t{prefix}:OMICS_DE (a.rna)\tCOMPLETED\t850ms\n"
                     f"4\t{prefix}:OMICS_DE_EXTRA (a.rna)\tCOMPLETED\t1m 1s\n")
    summary = bench.summarise_trace(trace)
    assert summary["tasks"] == 4
    assert summary["task_seconds"] == pytest.approx(1.2 + 2.5 + 0.85 + 61)
    assert summary["de_tasks"] == ["OMICS_DE (a.rna)", "OMICS_DE (b.rna)"]


def test_the_local_run_gets_the_test_profiles_parameters(bench) -> None:
    params = bench.profile_params()
    assert params["gsea_permutations"] == "250" and params["cv_repeats"] == "10"
    assert "input" not in params  # inputs are paths, given separately
