"""One parameter model: the CLI, nextflow_schema.json, nextflow.config and README agree."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from helpers import REPO
from omics.cli import build_parser
from omics.params import PARAMETERS, STAGE_PARAMS, resolve
from omics.schema import build_schema, check_or_write


def test_committed_files_match_the_model():
    assert check_or_write(REPO, check=True) == 0, "run `omics schema` to regenerate"


def test_schema_lists_every_parameter_with_defaults():
    schema = json.loads((REPO / "nextflow_schema.json").read_text())
    properties = {name: prop for group in schema["$defs"].values()
                  for name, prop in group["properties"].items()}
    assert set(properties) == {p.name for p in PARAMETERS}
    for parameter in PARAMETERS:
        assert properties[parameter.name].get("default") == parameter.default
    assert schema == build_schema()


def test_cli_options_come_from_the_model():
    run = build_parser().parse_args(["run"])
    for parameter in PARAMETERS:
        if not parameter.nextflow_only:
            assert hasattr(run, parameter.name), parameter.name
    for stage, names in STAGE_PARAMS.items():
        args = build_parser().parse_args([stage, *_required(stage)])
        for name in names:
            assert hasattr(args, name), (stage, name)


def _required(stage: str) -> list[str]:
    required = {"validate": ["--input", "x", "--contrasts", "y"],
                "rna_prep": ["--samplesheet", "a", "--contrasts", "b", "--rna_counts", "c"],
                "protein_prep": ["--samplesheet", "a", "--contrasts", "b", "--protein_matrix", "c"],
                "qc": ["--h5ad", "a", "--modality", "rna"],
                "de": ["--h5ad", "a", "--contrasts", "b", "--contrast_id", "c", "--modality", "rna"],
                "enrich": ["--de_results", "a"], "score": [],
                "integrate": ["--rna_h5ad", "a", "--protein_h5ad", "b"], "report": ["--results_dir", "r"],
                "flow_prep": ["--samplesheet", "a"]}
    return required[stage]


def test_params_file_and_types(tmp_path):
    params = tmp_path / "p.yaml"
    params.write_text("rna_min_count: 5\nprotein_normalization: quantile\ndeseq2_shrink: true\n")
    values = resolve({"rna_min_count": "7"}, params_file=params)
    assert values["rna_min_count"] == 7 and values["protein_normalization"] == "quantile"
    assert values["deseq2_shrink"] is True


@pytest.mark.skipif(shutil.which("nextflow") is None or shutil.which("nf-core") is None,
                    reason="needs nf-core tools and a nextflow command on PATH (make test sets both)")
@pytest.mark.slow
def test_nf_core_schema_lint():
    result = subprocess.run(["nf-core", "pipelines", "schema", "lint", "nextflow_schema.json"],
                            cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Pipeline schema looks valid" in result.stdout + result.stderr
