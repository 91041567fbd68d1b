"""The benchmarks' own logic: bench_end_to_end's output comparison (the A/B of two trees) and
bench_nextflow's trace summary (no Nextflow needed)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return _load("bench_end_to_end")


@pytest.fixture(scope="module")
def bench_nf() -> ModuleType:
    return _load("bench_nextflow")


def _write(root: Path, files: dict[str, bytes]) -> Path:
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return root


RESULTS = {"differential/a.rna.deseq2.results.tsv": b"gene\tstat\nA\t1.5\n",
           "rna/rna.h5ad": b"\x89HDF\r\n",
           "report/index.html": b"<p>omics 0.1.0 \xc2\xb7 2026-12-05 15:39 UTC</p>",
           ".omics.lock": b"123", "pipeline_info/command.txt": b"omics run --demo\n# started 1\n",
           "pipeline_info/execution_trace.tsv": b"task\twall_seconds\nqc\t0.1\n"}


def test_run_records_do_not_count_as_differences(bench, tmp_path: Path, capsys) -> None:
    ours = _write(tmp_path / "ours", RESULTS)
    other = dict(RESULTS, **{".omics.lock": b"456", "pipeline_info/command.txt": b"# started 2\n",
                             "pipeline_info/execution_trace.tsv": b"task\twall_seconds\nqc\t0.2\n"})
    baseline = _write(tmp_path / "baseline", other)
    found = bench.compare_outputs(ours, baseline)
    assert found["identical"] == ["differential/a.rna.deseq2.results.tsv", "report/index.html",
                                  "rna/rna.h5ad"]
    assert found["different"] == [".omics.lock", "pipeline_info/command.txt",
                                  "pipeline_info/execution_trace.tsv"]
    assert bench.report_comparison(found) is True
    assert "3 result files identical" in capsys.readouterr().out


def test_a_changed_or_missing_result_file_is_a_difference(bench, tmp_path: Path, capsys) -> None:
    ours = _write(tmp_path / "ours", {**RESULTS, "scores/new.tsv": b"x\n"})
    other = {k: v for k, v in RESULTS.items() if k != "report/index.html"}
    other["differential/a.rna.deseq2.results.tsv"] = b"gene\tstat\nA\t1.50000001\n"
    baseline = _write(tmp_path / "baseline", other)
    found = bench.compare_outputs(ours, baseline)
    assert found["different"] == ["differential/a.rna.deseq2.results.tsv"]
    assert found["only_ours"] == ["report/index.html", "scores/new.tsv"]
    assert found["only_baseline"] == []
    assert bench.report_comparison(found) is False
    out = capsys.readouterr().out
    assert "different: differential/a.rna.deseq2.results.tsv" in out
    assert "only ours: scores/new.tsv" in out


def test_the_report_differs_in_more_than_its_time_of_the_run(bench, tmp_path: Path) -> None:
    ours = _write(tmp_path / "ours", RESULTS)
    later = _write(tmp_path / "later", {**RESULTS, "report/index.html":
                                        b"<p>omics 0.1.0 \xc2\xb7 2026-12-05 15:40 UTC</p>"})
    assert "report/index.html" in bench.compare_outputs(ours, later)["identical"]
    changed = _write(tmp_path / "changed", {**RESULTS, "report/index.html":
                                            b"<p>omics 0.1.1 \xc2\xb7 2026-12-05 15:39 UTC</p>"})
    assert bench.compare_outputs(ours, changed)["different"] == ["report/index.html"]


@pytest.mark.parametrize(("text", "expected"), [("850ms", 0.85), ("1.2s", 1.2), ("1m 3s", 63.0),
                                                ("1h 2m", 3720.0), ("0ms", 0.0), ("-", 0.0)])
def test_trace_durations(bench_nf, text: str, expected: float) -> None:
    assert bench_nf.seconds(text) == pytest.approx(expected)


def test_trace_summary_counts_tasks_and_the_de_task_of_each_contrast(bench_nf, tmp_path: Path) -> None:
    trace = tmp_path / "trace.txt"
    prefix = "BALI_OMICS_ANGIOGENESIS:ANGIOGENESIS"
    trace.write_text("task_id\tname\tstatus\trealtime\t%cpu\n"
                     f"1\t{prefix}:OMICS_VALIDATE (cohort)\tCOMPLETED\t1.2s\t50.0%\n"
                     f"2\t{prefix}:OMICS_DE (b.rna)\tCOMPLETED\t2.5s\t100.0%\n"
                     f"3\t{prefix}:OMICS_DE (a.rna)\tCOMPLETED\t850ms\t-\n"
                     f"4\t{prefix}:OMICS_DE_EXTRA (a.rna)\tCOMPLETED\t1m 1s\t150.0%\n")
    summary = bench_nf.summarise_trace(trace)
    assert summary["tasks"] == 4
    assert summary["task_seconds"] == pytest.approx(1.2 + 2.5 + 0.85 + 61)
    assert summary["task_cpu_seconds"] == pytest.approx(0.6 + 2.5 + 91.5)  # '-': not measured
    assert summary["de_tasks"] == ["OMICS_DE (a.rna)", "OMICS_DE (b.rna)"]


def test_cpu_floor_splits_the_tree_and_bounds_the_ratio(bench_nf) -> None:
    line = bench_nf.cpu_floor(90.0, 70.0, 15.0, 2)
    assert line == ("CPU: Nextflow 90.0 CPU-s = tasks 70.0 + Nextflow itself and the task "
                    "wrappers 20.0; on 2 cores at least 45.0 s of wall time, 3.00x omics run at best")


def test_timed_counts_the_cpu_of_the_whole_process_tree(bench_nf, tmp_path: Path) -> None:
    busy = "import subprocess, sys; subprocess.run([sys.executable, '-c', 'sum(range(3*10**7))'])"
    wall, cpu = bench_nf.timed([sys.executable, "-c", busy], tmp_path, dict(os.environ))
    assert cpu > 0.2 and wall > 0.2  # the grandchild's loop is counted


def test_the_local_run_gets_the_test_profiles_parameters(bench_nf) -> None:
    params = bench_nf.profile_params()
    assert params["gsea_permutations"] == "250" and params["cv_repeats"] == "10"
    assert "input" not in params  # inputs are paths, given separately


def test_a_simulated_cohort_is_run_from_its_files(bench, tmp_path: Path) -> None:
    assert bench.run_inputs(None) == ["--demo"]
    (tmp_path / "simulation.yaml").write_text("seed: 1\nflow:\n  beads_per_test: 50000\n")
    options = bench.run_inputs(tmp_path)
    given = dict(zip(options[::2], options[1::2], strict=True))
    assert given == {"--input": str(tmp_path / "samplesheet.csv"),
                     "--contrasts": str(tmp_path / "contrasts.yaml"),
                     "--rna_counts": str(tmp_path / "salmon.merged.gene_counts.tsv"),
                     "--protein_matrix": str(tmp_path / "proteinGroups.txt"),
                     "--flow_fcs": str(tmp_path / "fcs"), "--flow_beads_per_test": "50000"}


def test_an_rna_only_run_names_the_counts_alone(bench, tmp_path: Path) -> None:
    options = bench.run_inputs(tmp_path, rna_only=True)
    assert dict(zip(options[::2], options[1::2], strict=True)) == {
        "--input": str(tmp_path / "samplesheet.csv"), "--contrasts": str(tmp_path / "contrasts.yaml"),
        "--rna_counts": str(tmp_path / "salmon.merged.gene_counts.tsv")}


CONTRASTS = """contrasts:
- id: arm_x_response
  formula: ~ arm * response
  make_contrasts_str: armbmmnc:responseresponder
- id: response_in_bmmnc
  comparison: [response, non_responder, responder]
  exclude_samples_col: arm
  exclude_samples_values: [placebo]
- id: response_arm_adjusted
  comparison: [response, non_responder, responder]
  blocking_factors: [arm]
"""


def _rna_results(root: Path, tested: list[str]) -> Path:
    """A finished run's RNA AnnData, validated contrasts and DESeq2 tables (``tested``)."""
    import anndata as ad
    import numpy as np
    import pandas as pd

    samples = [f"S{i}" for i in range(12)]
    obs = pd.DataFrame({"arm": ["placebo", "bmmnc"] * 6,
                        "response": ["responder"] * 3 + ["non_responder"] * 3
                        + ["responder"] * 3 + ["non_responder"] * 3}, index=samples)
    counts = np.arange(36, dtype=float).reshape(12, 3) * 7 % 50
    adata = ad.AnnData(np.log1p(counts), obs=obs, var=pd.DataFrame(index=["G1", "G2", "G3"]),
                       layers={"counts": counts})
    (root / "rna").mkdir(parents=True)
    adata.write_h5ad(root / "rna" / "rna.h5ad")
    (root / "validated").mkdir()
    (root / "validated" / "contrasts.yaml").write_text(CONTRASTS)
    (root / "differential").mkdir()
    for contrast_id in tested:
        (root / "differential" / f"{contrast_id}.rna.deseq2.results.tsv").write_text(
            "gene_id\tlog2FoldChange\tstat\tpadj\nG1\t1.0\t3.0\t0.01\nG2\t-0.5\t-1.0\t0.2\n"
            "G3\t0.1\t0.2\tNA\n")
    (root / "differential" / "response_in_bmmnc.protein.limma.results.tsv").write_text("x\n")
    return root


def test_r_gets_the_counts_and_the_designs_omics_de_fitted(bench, tmp_path: Path) -> None:
    import anndata as ad
    import pandas as pd

    from omics.io import read_contrasts
    from omics.tl._design import design_for_contrast

    results = _rna_results(tmp_path / "results", ["response_arm_adjusted", "arm_x_response"])
    folder = tmp_path / "r"
    # the contrasts tested on RNA, in the contrasts file's order (not the protein-only one)
    assert bench.r_inputs(results, folder) == ["arm_x_response", "response_arm_adjusted"]
    assert (folder / "contrasts.txt").read_text() == "arm_x_response\nresponse_arm_adjusted\n"
    counts = pd.read_csv(folder / "counts.tsv", sep="\t", index_col="gene_id")
    adata = ad.read_h5ad(results / "rna" / "rna.h5ad")
    assert counts.dtypes.eq("int64").all()
    pd.testing.assert_frame_equal(counts.T, pd.DataFrame(adata.layers["counts"].astype("int64"),
                                                         index=adata.obs_names,
                                                         columns=pd.Index(adata.var_names,
                                                                          name="gene_id")),
                                  check_names=False)
    contrasts = {c.id: c for c in read_contrasts(results / "validated" / "contrasts.yaml")}
    for contrast_id in ("arm_x_response", "response_arm_adjusted"):
        expected = design_for_contrast(adata.obs, contrasts[contrast_id], samples=adata.obs_names)
        design = pd.read_csv(folder / f"{contrast_id}.design.tsv", sep="\t", index_col="sample")
        pd.testing.assert_frame_equal(design, expected.matrix, check_names=False)
        weights = pd.read_csv(folder / f"{contrast_id}.weights.tsv", sep="\t",
                              index_col="coefficient")["weight"]
        pd.testing.assert_series_equal(weights, expected.contrast_vector, check_names=False)
    assert list(design.columns) == ["(Intercept)", "armbmmnc", "responseresponder"]


def test_agreement_with_r_per_contrast(bench, tmp_path: Path) -> None:
    results = _rna_results(tmp_path / "results", ["arm_x_response", "response_arm_adjusted"])
    folder = tmp_path / "r"
    folder.mkdir()
    # R's table: rows in another order; for response_arm_adjusted G2 crosses padj 0.05
    (folder / "arm_x_response.r.tsv").write_text(
        "gene_id\tbaseMean\tlog2FoldChange\tlfcSE\tstat\tpvalue\tpadj\n"
        "G3\t5\t0.1\t1\t0.2\t0.8\tNA\nG1\t9\t1.0000001\t1\t3.0\t0.001\t0.01\n"
        "G2\t7\t-0.5\t1\t-1.0\t0.3\t0.2\n")
    (folder / "response_arm_adjusted.r.tsv").write_text(
        "gene_id\tbaseMean\tlog2FoldChange\tlfcSE\tstat\tpvalue\tpadj\n"
        "G1\t9\t1.0\t1\t3.0\t0.001\t0.01\nG2\t7\t-0.5\t1\t-1.0\t0.3\t0.04\n"
        "G3\t5\t0.1\t1\t0.2\t0.8\t0.9\n")
    table = bench.r_agreement(results, folder, ["arm_x_response", "response_arm_adjusted"], 0.05)
    assert table["contrast"].tolist() == ["arm_x_response", "response_arm_adjusted"]
    assert table["r_lfc"].tolist() == pytest.approx([1.0, 1.0])
    assert table["padj<0.05 ours"].tolist() == [1, 1]
    assert table["padj<0.05 R"].tolist() == [1, 2]
    assert table["same_sets"].tolist() == [True, False]
    assert table["same_padj_na"].tolist() == [True, False]
    assert table["max_abs_lfc_diff"].tolist() == pytest.approx([1e-7, 0.0], abs=1e-12)


def test_the_memory_sampler_sees_the_runners_resident_memory(bench) -> None:
    sampler = bench.MemorySampler(interval=0.05)
    # a process holding 200 MB for half a second
    bench.timed([sys.executable, "-c",
                 "import time, numpy; a = numpy.ones(25_000_000); time.sleep(0.5)"],
                memory=sampler)
    assert max(sampler.runner_mb) >= 190
    assert max(sampler.in_use_mb) > 0 and sampler.before_mb > 0
    line = sampler.summary()
    assert line.startswith("memory: runner (omics run process) median") and "GB before the run" in line


def test_input_benchmark_times_every_part_and_compares_the_counts(tmp_path: Path) -> None:
    bench_inputs = _load("bench_inputs")
    cohort = Path(__file__).resolve().parent / "data" / "test_cohort"
    ours, theirs = tmp_path / "ours.pickle", tmp_path / "theirs.pickle"
    seconds = bench_inputs.measure(cohort, 1, ours)
    assert list(seconds) == list(bench_inputs.PARTS)
    assert all(len(times) == 1 and times[0] > 0 for times in seconds.values())
    bench_inputs.measure(cohort, 1, theirs)
    assert bench_inputs._same_counts(ours, theirs)


def test_rna_de_pairs_are_summarised_by_medians_and_each_pairs_ratio() -> None:
    bench_rna = _load("bench_rna_de")
    pairs = [{"samples": 1000, "de_s": 20.0, "r_de_s": 160.0, "ratio_de": 0.125},
             {"samples": 1000, "de_s": 22.0, "r_de_s": 250.0, "ratio_de": 0.088},
             {"samples": 1000, "de_s": 21.0, "r_de_s": 200.0, "ratio_de": 0.105}]
    row = bench_rna.pair_summary(pairs)
    assert row == {"samples": 1000, "de_s": 21.0, "r_de_s": 200.0, "ratio_de": 0.105,
                   "repeats": 3, "ratio_de_pairs": "0.125 0.088 0.105"}
    assert bench_rna.pair_summary(pairs[:1]) == pairs[0]


def test_rna_de_benchmark_repeats_our_fit(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(BENCHMARKS / "bench_rna_de.py"), "--samples", "12",
                           "--genes", "200", "--repeats", "2", "--no-warmup"],
                          capture_output=True, text=True, check=True, timeout=300)
    row = json.loads(done.stdout.splitlines()[0])
    assert row["samples"] == 12 and row["repeats"] == 2
    assert row["genes"] <= 200 and row["de_s"] > 0 and row["ours_peak_mb"] > 0


def test_deseq2_kernel_benchmark_compares_two_trees_bit_for_bit() -> None:
    src = BENCHMARKS.parent / "src"
    done = subprocess.run([sys.executable, str(BENCHMARKS / "bench_deseq2_kernels.py"),
                           "--pythonpath", str(src), "--samples", "16", "--genes", "200",
                           "--blocks", "1", "--rounds", "2"],
                          capture_output=True, text=True, check=True, timeout=300)
    assert "round 2: this tree" in done.stdout
    assert "dispersions and flags identical: yes" in done.stdout
