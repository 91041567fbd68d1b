"""The stage registry is the one declaration the CLI, the runner and the stages agree with."""

from __future__ import annotations

import inspect
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
    assert parse_de_results_name("x/a.b.protein.limma.results.tsv") == ("a.b", "protein")


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
