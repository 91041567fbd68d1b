"""The stage registry is the one declaration the CLI, the runner and the stages agree with."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from helpers import REPO
from omics.cli import build_parser
from omics.params import BY_NAME, STAGE_PARAMS
from omics.registry import STAGES, de_results_name, parse_de_results_name
from omics.runner import build_tasks


@pytest.mark.parametrize("name", list(STAGES))
def test_function_takes_the_declared_files(name):
    stage = STAGES[name]
    signature = inspect.signature(stage.load())
    keywords = set(signature.parameters) - {"outdir", "params"}
    values = {option.name: f"x.{option.name}" for option in stage.files}
    assert set(stage.call_kwargs(values)) == keywords
    assert {"outdir", "params"} <= set(signature.parameters)


@pytest.mark.parametrize("name", list(STAGES))
def test_declaration_is_complete(name):
    stage = STAGES[name]
    assert all(p in BY_NAME for p in stage.params)
    assert STAGE_PARAMS[name] == stage.params
    assert (REPO / stage.nextflow_module).is_file()
    assert stage.outputs and all("/" in t for t in stage.outputs.values())


def test_cli_has_one_subcommand_per_stage():
    subcommands = next(a for a in build_parser()._actions if a.dest == "command").choices
    assert set(STAGES) <= set(subcommands)
    for name, stage in STAGES.items():
        options = {a.dest for a in subcommands[name]._actions}
        assert {o.name for o in stage.files} | set(stage.params) <= options


def test_de_results_names_round_trip():
    assert de_results_name("resp", "rna") == "resp.rna.deseq2.results.tsv"
    assert de_results_name("a.b", "protein") == "a.b.protein.limma.results.tsv"
    assert parse_de_results_name("x/a.b.protein.limma.results.tsv") == ("a.b", "protein", "limma")
    assert parse_de_results_name("r.rna.limma.results.tsv") == ("r", "rna", "limma")  # qPCR, arrays


def test_runner_tasks_are_registered_stages_and_name_outputs_from_the_registry(tmp_path):
    contrasts = tmp_path / "c.yaml"
    contrasts.write_text("contrasts:\n  - id: r\n    comparison: [response, a, b]\n")
    sheet = tmp_path / "s.csv"
    sheet.write_text("sample,group\nA,a\nB,b\n")
    params = {"input": str(sheet), "contrasts": str(contrasts), "rna_counts": "c.tsv",
              "protein_matrix": "p.txt"}
    tasks = build_tasks(params, tmp_path)
    assert {t.stage for t in tasks} == set(STAGES) - {"flow_prep"}  # no flow input given
    integrate = next(t for t in tasks if t.stage == "integrate")
    assert integrate.kwargs["gsea_results"][0] == tmp_path / "enrichment" / "r.rna.gsea.tsv"
    assert Path(integrate.kwargs["de_results"][1]).name == "r.protein.limma.results.tsv"


def test_qc_writes_every_declared_output_through_the_atomic_writer(tmp_path):
    import anndata as ad
    import numpy as np

    from omics.stages import qc

    rng = np.random.default_rng(0)
    adata = ad.AnnData(rng.normal(size=(6, 20)))
    adata.obs_names = [f"S{i}" for i in range(6)]
    adata.write_h5ad(tmp_path / "protein.h5ad")
    produced = qc(h5ad=tmp_path / "protein.h5ad", modality="protein", outdir=tmp_path / "out",
                  params={"seed": 1})
    declared = {key: STAGES["qc"].output_path(tmp_path / "out", key, modality="protein")
                for key in STAGES["qc"].outputs}
    assert produced == declared  # so the resume manifest records pca_variance.txt too
    assert all(path.is_file() for path in declared.values())


def _dag_inputs(tmp_path: Path, **matrices: str) -> dict:
    contrasts = tmp_path / "c.yaml"
    contrasts.write_text("contrasts:\n  - id: r\n    comparison: [response, a, b]\n"
                         "  - id: s\n    comparison: [arm, x, y]\n")
    sheet = tmp_path / "s.csv"
    sheet.write_text("sample,group\nA,a\nB,b\n")
    return {"input": str(sheet), "contrasts": str(contrasts), "rna_counts": None, "rna_matrix": None,
            "protein_matrix": None, **matrices}


def test_runner_order_and_wiring_with_every_modality(tmp_path):
    params = _dag_inputs(tmp_path, rna_counts="c.tsv", protein_matrix="p.txt", flow_table="t.tsv")
    out = tmp_path / "out"
    tasks = {t.name: t for t in build_tasks(params, out, reads={"flow_prep": [tmp_path / "t.tsv"]})}
    # declaration order; fan-out modality by modality, contrasts in file order
    assert list(tasks) == ["validate", "rna_prep", "protein_prep", "flow_prep", "qc.rna",
                           "qc.protein", "de.r.rna", "de.s.rna", "de.r.protein", "de.s.protein",
                           "de.r.flow", "de.s.flow", "enrich.r.rna", "enrich.s.rna",
                           "enrich.r.protein", "enrich.s.protein", "score", "integrate", "report"]
    assert tasks["qc.rna"].kwargs == {"h5ad": out / "rna" / "rna.h5ad", "modality": "rna"}
    assert tasks["de.s.flow"].kwargs == {"h5ad": out / "flow" / "flow.h5ad",
                                         "contrasts": out / "validated" / "contrasts.yaml",
                                         "contrast_id": "s", "modality": "flow"}
    assert tasks["enrich.s.protein"].inputs == [out / "differential" / "s.protein.limma.results.tsv"]
    assert tasks["score"].kwargs == {"h5ads": {m: out / m / f"{m}.h5ad"
                                               for m in ("rna", "protein", "flow")}}
    integrate = tasks["integrate"]
    # the gene modalities' tables only (flow has no enrichment and no concordance)
    assert [p.name for p in integrate.kwargs["de_results"]] == [
        "r.rna.deseq2.results.tsv", "s.rna.deseq2.results.tsv",
        "r.protein.limma.results.tsv", "s.protein.limma.results.tsv"]
    assert integrate.kwargs["scores"] == out / "scores" / "angiogenesis_scores.tsv"
    assert integrate.inputs[-2:] == [out / "flow" / "flow.h5ad", integrate.kwargs["scores"]]
    assert tasks["flow_prep"].inputs == [out / "validated" / "samplesheet.csv", tmp_path / "t.tsv"]
    # the report hashes every declared output of the run (not the per-sample plots)
    assert set(tasks["report"].inputs) >= set(integrate.inputs) - {tmp_path / "t.tsv"}
    assert out / "integration" / "pathway_evidence.tsv" in tasks["report"].inputs
    assert out / "qc" / "protein.outliers.tsv" in tasks["report"].inputs
    assert tasks["report"].kwargs == {"results_dir": out}
    # what each task waits for: the tasks whose outputs it reads
    assert tasks["qc.rna"].needs == ["rna_prep"]
    assert tasks["enrich.s.protein"].needs == ["de.s.protein"]
    assert tasks["score"].needs == ["rna_prep", "protein_prep", "flow_prep"]
    assert set(tasks["de.r.rna"].needs) == {"rna_prep", "validate"}
    assert tasks["report"].needs == [name for name in tasks if name != "report"]
    for task in tasks.values():  # every input made by the run comes from a task it waits for
        made = {p for name in task.needs for p in tasks[name].inputs} | {
            p for name in task.needs for p in _declared_outputs(tasks[name], out)}
        assert {p for p in task.inputs if str(p).startswith(str(out))} <= made, task.name


def test_runner_leaves_out_what_the_inputs_do_not_feed(tmp_path):
    params = _dag_inputs(tmp_path, rna_matrix="q.tsv", qpcr_efficiency="e.tsv", rna_format="qpcr")
    tasks = {t.name: t for t in build_tasks(params, tmp_path, reads={"flow_prep": []})}
    assert "integrate" not in tasks and "flow_prep" not in tasks  # needs protein / flow input
    assert tasks["rna_prep"].kwargs["rna_matrix"] == Path("q.tsv")
    assert tasks["rna_prep"].inputs[-2:] == [Path("q.tsv"), Path("e.tsv")]  # efficiency in the key
    assert tasks["enrich.r.rna"].kwargs["de_results"].name == "r.rna.limma.results.tsv"  # qPCR: limma
    assert tasks["score"].kwargs == {"h5ads": {"rna": tmp_path / "rna" / "rna.h5ad"}}
    # integrate gets the scores only together with flow.h5ad
    both = {t.name: t for t in build_tasks(_dag_inputs(tmp_path, rna_counts="c", protein_matrix="p"),
                                           tmp_path, reads={"flow_prep": []})}
    assert "scores" not in both["integrate"].kwargs and "flow_h5ad" not in both["integrate"].kwargs


@pytest.mark.parametrize("name", list(STAGES))
def test_feeds_name_declared_outputs_and_fan_out_fills_the_output_names(name):
    stage = STAGES[name]
    for option in stage.files:
        if option.feed is not None:
            upstream = [STAGES[option.feed.stage.format(modality=m)]
                        for m in ("rna", "protein", "flow")
                        if option.feed.stage.format(modality=m) in STAGES]
            assert upstream and all(option.feed.output in s.outputs for s in upstream), option
            assert option.feed.only_with in {None, *(o.name for o in stage.files)}
    for template in stage.outputs.values():
        fields = set(re.findall(r"\{(\w+)\}", template)) - {"method", "sample"}
        assert fields == set(stage.fan_out), (name, template)


def _declared_outputs(task, outdir):
    from omics.dag import _Dag

    dag, paths = _Dag(outdir, {"rna_format": "counts"}), set()
    for key in STAGES[task.stage].outputs:
        try:
            paths.add(dag.output(task, key))
        except KeyError:  # an output per sample (gating plots)
            pass
    return paths


def test_a_new_stage_is_one_declaration(tmp_path, monkeypatch):
    """A stage added to the registry gets its tasks, feeds and place without touching the DAG code."""
    from omics import dag, registry

    extra = registry.Stage(
        "network", "a co-expression network per contrast", "_extra:network",
        files=(registry.FileOption("de_results", required=True, feed=registry.Feed("de", "results")),
               registry.FileOption("h5ad", required=True, feed=registry.Feed("{modality}_prep", "h5ad"))),
        fan_out=("contrast", "modality"), modalities=("rna",),
        outputs={"edges": "network/{contrast}.{modality}.edges.tsv"})
    stages = dict(STAGES)
    report = stages.pop("report")
    monkeypatch.setattr(dag, "STAGES", {**stages, "network": extra, "report": report})
    params = _dag_inputs(tmp_path, rna_counts="c.tsv", protein_matrix="p.txt")
    out = tmp_path / "out"
    tasks = {t.name: t for t in build_tasks(params, out, reads={"flow_prep": []})}
    assert [name for name in tasks if name.startswith("network")] == ["network.r.rna", "network.s.rna"]
    assert list(tasks)[-4:] == ["integrate", "network.r.rna", "network.s.rna", "report"]
    assert tasks["network.s.rna"].kwargs == {"de_results": out / "differential" / "s.rna.deseq2.results.tsv",
                                             "h5ad": out / "rna" / "rna.h5ad"}
    assert tasks["network.s.rna"].needs == ["de.s.rna", "rna_prep"]
    assert out / "network" / "s.rna.edges.tsv" in tasks["report"].inputs
    assert "network.s.rna" in tasks["report"].needs
