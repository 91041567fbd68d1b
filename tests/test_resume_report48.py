"""Resume keys: the report counts what its tasks recorded; limma DE tasks ignore DESeq2 options."""

from __future__ import annotations

import json
from pathlib import Path

from omics import runner
from omics.dag import Task


def _manifest(outdir: Path, name: str, outputs: dict[str, str]) -> None:
    path = outdir / "pipeline_info" / "cache" / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"key": "k", "outputs": outputs}))


def test_the_report_reruns_when_a_task_it_waits_for_rewrote_an_optional_output(tmp_path: Path) -> None:
    """A gating plot (optional, per sample) is not among the report's inputs, yet the report embeds it."""
    outdir = tmp_path / "results"
    table = outdir / "qc" / "flow.qc.tsv"
    table.parent.mkdir(parents=True)
    table.write_text("sample\tevents\nBALI001\t100\n")
    _manifest(outdir, "flow_prep", {"qc/flow.qc.tsv": "t1", "flow/gating_plots/BALI001.png": "p1"})
    report = Task(name="report", stage="report", kwargs={}, inputs=[table], needs=["flow_prep"])
    params = {"n_cpus": 1, "outdir": str(outdir)}
    before = runner._task_key(report, params, outdir)
    assert runner._task_key(report, params, outdir) == before
    # flow_prep ran again: the same table, a new plot
    _manifest(outdir, "flow_prep", {"qc/flow.qc.tsv": "t1", "flow/gating_plots/BALI001.png": "p2"})
    assert runner._task_key(report, params, outdir) != before
    # a task other than the report keys on its inputs only
    qc = Task(name="qc.flow", stage="qc", kwargs={}, inputs=[table], needs=["flow_prep"],
              fields={"modality": "flow"})
    key = runner._task_key(qc, params, outdir)
    _manifest(outdir, "flow_prep", {"qc/flow.qc.tsv": "t1", "flow/gating_plots/BALI001.png": "p3"})
    assert runner._task_key(qc, params, outdir) == key


def test_deseq2_options_leave_limma_de_tasks_cached(tmp_path: Path) -> None:
    table = tmp_path / "protein.h5ad"
    table.write_text("x")
    one = {"n_cpus": 1, "de_fdr": 0.05, "deseq2_alpha": 0.1, "deseq2_shrink": False}
    two = {**one, "deseq2_alpha": 0.05, "deseq2_shrink": True}

    def key(modality: str, params: dict) -> str:
        task = Task(name=f"de.c.{modality}", stage="de", kwargs={}, inputs=[table],
                    fields={"contrast": "c", "modality": modality})
        return runner._task_key(task, params)

    assert key("protein", one) == key("protein", two)
    assert key("flow", one) == key("flow", two)
    assert key("rna", one) != key("rna", two)  # DESeq2 reads them
    # qPCR/array RNA runs limma
    assert key("rna", {**one, "rna_format": "qpcr"}) == key("rna", {**two, "rna_format": "qpcr"})
    # its input still counts
    before = key("protein", one)
    table.write_text("y")
    assert key("protein", one) != before


def test_gene_sets_count_by_content_not_by_path(tmp_path: Path) -> None:
    """The same gene-set file elsewhere leaves enrich and score cached; a built-in name counts as given."""
    table = tmp_path / "c.rna.deseq2.results.tsv"
    table.write_text("gene_id\n")
    here, there = tmp_path / "a" / "panel.gmt", tmp_path / "b" / "panel.gmt"
    for path in (here, there):
        path.parent.mkdir()
        path.write_text("SET_A\tna\tVEGFA\tKDR\n")
    for stage in ("enrich", "score"):
        task = Task(name=stage, stage=stage, kwargs={}, inputs=[table])
        key = runner._task_key(task, {"genesets": str(here), "seed": 42})
        assert runner._task_key(task, {"genesets": str(there), "seed": 42}) == key, stage
        there.write_text("SET_A\tna\tVEGFA\n")  # other content: computed again
        assert runner._task_key(task, {"genesets": str(there), "seed": 42}) != key, stage
        there.write_text("SET_A\tna\tVEGFA\tKDR\n")
        assert (runner._task_key(task, {"genesets": "go_angiogenesis", "seed": 42})
                != runner._task_key(task, {"genesets": "go_bp_10_500", "seed": 42}))
    # the report states the paths: it is written again
    report = Task(name="report", stage="report", kwargs={}, inputs=[table])
    assert (runner._task_key(report, {"genesets": str(here)})
            != runner._task_key(report, {"genesets": str(there)}))
