"""`omics run` end to end on the bundled test cohort: outputs, planted truth, resume, interrupt."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import anndata as ad
import mudata as md
import pandas as pd
import pytest

from helpers import TEST_COHORT, run_omics

FAST = ["--gsea_permutations", "250", "--cv_repeats", "10"]


def inputs(cohort: Path) -> list[str]:
    return ["--input", str(cohort / "samplesheet.csv"), "--contrasts", str(cohort / "contrasts.yaml"),
            "--rna_counts", str(cohort / "salmon.merged.gene_counts.tsv"),
            "--protein_matrix", str(cohort / "proteinGroups.txt")]


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    outdir = tmp_path_factory.mktemp("run") / "results"
    result = run_omics("run", *inputs(TEST_COHORT), *FAST, "--outdir", str(outdir))
    assert result.returncode == 0, result.stderr[-3000:]
    return outdir


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t")


CONTRASTS = ["response_arm_adjusted", "response_in_bmmnc", "response_in_placebo", "arm_x_response"]


@pytest.mark.slow
def test_output_layout(results):
    for contrast in CONTRASTS:
        rna = read(results / "differential" / f"{contrast}.rna.deseq2.results.tsv")
        assert list(rna.columns)[:8] == ["gene_id", "gene_name", "baseMean", "log2FoldChange",
                                         "lfcSE", "stat", "pvalue", "padj"]
        protein = read(results / "differential" / f"{contrast}.protein.limma.results.tsv")
        assert list(protein.columns) == ["feature_id", "gene_name", "logFC", "AveExpr", "t",
                                         "P.Value", "adj.P.Val", "B"]
        for modality in ("rna", "protein"):
            gsea = read(results / "enrichment" / f"{contrast}.{modality}.gsea.tsv")
            assert {"term", "size", "es", "nes", "pvalue", "fdr", "leading_edge"} <= set(gsea.columns)
            assert (results / "enrichment" / f"{contrast}.{modality}.ora.tsv").is_file()
    rna = ad.read_h5ad(results / "rna" / "rna.h5ad")
    assert {"counts", "normalized", "vst"} <= set(rna.layers)
    assert "size_factors" in rna.obs
    protein = ad.read_h5ad(results / "protein" / "protein.h5ad")
    assert {"raw", "log2", "normalized"} <= set(protein.layers)
    mdata = md.read_h5mu(results / "integration" / "omics.h5mu")
    assert set(mdata.mod) == {"rna", "protein"}
    for name in ("rna.pca.tsv", "protein.outliers.tsv"):
        assert (results / "qc" / name).is_file()
    scores = read(results / "scores" / "angiogenesis_scores.tsv")
    assert list(scores.columns) == ["sample", "modality", "term", "score"]
    assert scores.groupby("modality")["sample"].nunique().to_dict() == {"protein": 40, "rna": 40}
    html = (results / "report" / "index.html").read_text()
    assert "Differential expression" in html and "Angiogenic scores and response" in html
    info = results / "pipeline_info"
    for name in ("params.yaml", "software_versions.yml", "input_checksums.tsv",
                 "execution_trace.tsv", "command.txt"):
        assert (info / name).is_file(), name
    trace = read(info / "execution_trace.tsv")
    assert {"wall_seconds", "peak_rss_mb", "cpu_seconds"} <= set(trace.columns)
    ran = trace.set_index("task")
    assert ran.loc["rna_prep", "cpu_seconds"] > 0.05 and (trace["cpu_seconds"] >= 0).all()
    assert not [p for p in results.rglob("*") if ".omics-tmp-" in p.name]


@pytest.mark.slow
def test_planted_effects_are_found(results):
    truth = read(TEST_COHORT / "truth_sets.tsv").set_index("role")["term"]
    interaction = read(results / "enrichment" / "arm_x_response.rna.gsea.tsv").set_index("term")
    assert interaction.loc[truth["predictive"], "fdr"] < 0.05
    assert interaction.loc[truth["predictive"], "nes"] > 0
    pooled = read(results / "enrichment" / "response_arm_adjusted.rna.gsea.tsv").set_index("term")
    assert pooled.loc[truth["prognostic"], "fdr"] < 0.05
    assert pooled.loc[truth["prognostic"], "nes"] > 0


@pytest.mark.slow
def test_joint_pathway_evidence_needs_nominal_support(results):
    """No set reaches joint FDR < 0.05 unless a modality has nominal p < 0.05 (issue 9)."""
    evidence = read(results / "integration" / "pathway_evidence.tsv")
    joint = evidence["stouffer_fdr"] < 0.05
    support = (evidence["rna_pvalue"] < 0.05) | (evidence["protein_pvalue"] < 0.05)
    assert not (joint & ~support).any()
    for modality in ("rna", "protein"):  # permutation p-values are >= 1 / (B + 1)
        assert evidence[f"{modality}_pvalue"].min() >= 1 / (250 + 1) - 1e-12


@pytest.mark.slow
def test_resume_skips_everything(results):
    before = {p: p.stat().st_mtime_ns for p in (results / "differential").iterdir()}
    rerun = run_omics("run", *inputs(TEST_COHORT), *FAST, "--outdir", str(results))
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    trace = read(results / "pipeline_info" / "execution_trace.tsv")
    assert set(trace.loc[trace["task"] != "validate", "status"]) == {"cached"}
    assert before == {p: p.stat().st_mtime_ns for p in (results / "differential").iterdir()}


@pytest.mark.slow
def test_changed_parameter_reruns_dependent_stages(results, tmp_path):
    outdir = tmp_path / "copy"
    subprocess.run(["cp", "-r", str(results), str(outdir)], check=True)
    rerun = run_omics("run", *inputs(TEST_COHORT), *FAST, "--outdir", str(outdir), "--de_fdr", "0.1")
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    trace = read(outdir / "pipeline_info" / "execution_trace.tsv").set_index("task")["status"]
    assert trace["de.response_arm_adjusted.rna"] == "cached"
    assert trace["enrich.response_arm_adjusted.rna"] == "completed"


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "code", "said", "group"), [
    (signal.SIGINT, 130, "interrupted", False),
    (signal.SIGTERM, 143, "stopped by SIGTERM", False),
    # to the whole process group, as `timeout` or a scheduler's time limit send it: the task
    # workers end at once, the runner cleans up (it hung before they took SIGTERM's default)
    (signal.SIGTERM, 143, "stopped by SIGTERM", True)])
def test_interrupt_then_resume(tmp_path, signum, code, said, group):
    outdir = tmp_path / "results"
    process = subprocess.Popen([sys.executable, "-m", "omics.cli", "run", *inputs(TEST_COHORT), *FAST,
                                "--outdir", str(outdir), "--n_cpus", "2"], stderr=subprocess.PIPE,
                               text=True, start_new_session=group,
                               # Ctrl-C reaches the run even when pytest runs as a background job
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    # A task has finished once its manifest holds its resume key (written after all of its
    # outputs; a task that starts writes one claiming its outputs, with no key).
    target = outdir / "pipeline_info" / "cache" / "de.response_arm_adjusted.rna.json"

    def finished() -> bool:
        try:
            return json.loads(target.read_text()).get("key") is not None
        except (OSError, ValueError):
            return False

    deadline = time.time() + 300
    while not finished() and time.time() < deadline and process.poll() is None:
        time.sleep(0.2)
    assert finished()
    if group:
        os.killpg(process.pid, signum)
    else:
        process.send_signal(signum)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == code, stderr[-2000:]
    assert stderr.rstrip().splitlines()[-1] == (
        f"omics: {said}; run the same command again to go on (stages that finished are reused).")
    assert not [p for p in outdir.rglob("*") if ".omics-tmp-" in p.name]
    assert not (outdir / "report" / "index.html").exists()
    resumed = run_omics("run", *inputs(TEST_COHORT), *FAST, "--outdir", str(outdir))
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    trace = read(outdir / "pipeline_info" / "execution_trace.tsv").set_index("task")["status"]
    assert trace["rna_prep"] == "cached"
    assert trace["de.response_arm_adjusted.rna"] == "cached"
    assert (outdir / "report" / "index.html").is_file()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_recording_a_task_is_held_until_the_manifest_is_written(signum):
    from omics._errors import Terminated
    from omics.runner import _Interrupts, _sigint_deferred

    steps = []
    with pytest.raises(KeyboardInterrupt) as stopped, _Interrupts():
        with _sigint_deferred():
            os.kill(os.getpid(), signum)
            time.sleep(0.1)
            steps.append("manifest written")
    assert steps == ["manifest written"]
    assert type(stopped.value) is (Terminated if signum == signal.SIGTERM else KeyboardInterrupt)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


@pytest.mark.slow
def test_rerun_is_identical(results, tmp_path):
    outdir = tmp_path / "again"
    result = run_omics("run", *inputs(TEST_COHORT), *FAST, "--outdir", str(outdir),
                       env={**os.environ, "PYTHONHASHSEED": "123"})
    assert result.returncode == 0, result.stderr[-2000:]
    for folder in ("differential", "enrichment", "scores"):
        for path in sorted((results / folder).iterdir()):
            assert path.read_bytes() == (outdir / folder / path.name).read_bytes(), path.name


@pytest.mark.slow
def test_rerun_with_fewer_contrasts_removes_their_old_outputs(tmp_path):
    outdir = tmp_path / "results"
    rna_only = ["--input", str(TEST_COHORT / "samplesheet.csv"),
                "--rna_counts", str(TEST_COHORT / "salmon.merged.gene_counts.tsv"),
                "--gsea_permutations", "100", "--cv_repeats", "2", "--outdir", str(outdir)]
    first = run_omics("run", *rna_only, "--contrasts", str(TEST_COHORT / "contrasts.yaml"))
    assert first.returncode == 0, first.stderr[-2000:]
    assert (outdir / "differential" / "arm_x_response.rna.deseq2.results.tsv").is_file()
    one = tmp_path / "one.yaml"
    one.write_text("contrasts:\n  - id: response_arm_adjusted\n    comparison: [response, non_responder, "
                   "responder]\n    blocking_factors: [arm]\n")
    second = run_omics("run", *rna_only, "--contrasts", str(one))
    assert second.returncode == 0, second.stderr[-2000:]
    assert sorted(p.name for p in (outdir / "differential").iterdir()) == [
        "response_arm_adjusted.rna.deseq2.results.tsv"]
    assert sorted(p.name for p in (outdir / "enrichment").iterdir()) == [
        "response_arm_adjusted.rna.gsea.tsv", "response_arm_adjusted.rna.ora.tsv"]
    assert "arm_x_response" not in (outdir / "report" / "index.html").read_text()
    # The user's own table at a path a run writes is not overwritten: the run stops first.
    mine = outdir / "differential" / "arm_x_response.rna.deseq2.results.tsv"
    mine.write_text("my own table\n")
    third = run_omics("run", *rna_only, "--contrasts", str(TEST_COHORT / "contrasts.yaml"))
    assert third.returncode == 2, third.stderr[-2000:]
    assert "differential/arm_x_response.rna.deseq2.results.tsv is already in the output folder, and " \
        "no omics run or command there recorded it" in third.stderr and "Move the file away" in third.stderr
    assert mine.read_text() == "my own table\n"
    assert not (outdir / "differential" / "arm_x_response.protein.limma.results.tsv").exists()
