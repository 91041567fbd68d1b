"""`omics score` checks its model options against the files before it computes anything.

A bad --response_covariates or --flow_dose_population stopped the stage only after the
scores and models of the modalities read first had been computed (audit h45_stages F4), and a
--genesets panel without a gene of the data gave empty tables and exit 0 where the input
check of `omics run` stops (F5).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import TEST_COHORT
from omics._errors import InputError
from omics.params import resolve
from omics.stages import _score
from omics.stages._flow import flow_prep
from omics.stages._prep import rna_prep


@pytest.fixture(scope="module")
def flow_h5ad(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("flow")
    params = resolve({"input": str(TEST_COHORT / "samplesheet.csv"),
                      "flow_table": str(TEST_COHORT / "flow_populations.tsv")})
    return flow_prep(samplesheet=TEST_COHORT / "samplesheet.csv", outdir=outdir, params=params,
                     flow_table=TEST_COHORT / "flow_populations.tsv")["h5ad"]


def _nothing_computed(*args: object, **kwargs: object) -> None:
    raise AssertionError("a model was computed before the options were checked")


@pytest.mark.parametrize(("option", "value", "named"), [
    ("flow_dose_population", "CD999", "flow_dose_population 'CD999' is not a population of the flow data"),
    ("response_covariates", "nosuchcol", "response_covariates names column 'nosuchcol'"),
])
def test_a_bad_model_option_stops_before_any_model(flow_h5ad, tmp_path, monkeypatch, option, value, named):
    monkeypatch.setattr(_score, "map_processes", _nothing_computed)
    params = resolve({option: value})
    with pytest.raises(InputError) as stopped:
        _score.score(h5ads={"flow": flow_h5ad}, outdir=tmp_path / "out", params=params)
    assert named in str(stopped.value)
    assert str(flow_h5ad) in str(stopped.value)  # the file it was checked against
    assert not (tmp_path / "out").exists()


def test_good_options_reach_the_models(flow_h5ad, tmp_path, monkeypatch):
    """Control: the check passes the options the models take (the dose population CD34_KDR)."""
    reached = []
    monkeypatch.setattr(_score, "map_processes", lambda *a, **k: reached.append(True) or [])
    _score.score(h5ads={"flow": flow_h5ad}, outdir=tmp_path / "out",
                 params=resolve({"flow_dose_population": "CD34_KDR"}))
    assert reached == [True]


@pytest.fixture(scope="module")
def rna_h5ad(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("rna")
    return rna_prep(samplesheet=TEST_COHORT / "samplesheet.csv", contrasts=TEST_COHORT / "contrasts.yaml",
                    rna_counts=TEST_COHORT / "salmon.merged.gene_counts.tsv", outdir=outdir,
                    params=resolve({}))["h5ad"]


def test_a_panel_without_a_gene_of_the_data_stops_as_the_input_check(rna_h5ad, tmp_path, monkeypatch):
    monkeypatch.setattr(_score, "map_processes", _nothing_computed)
    panel = tmp_path / "bad.gmt"
    panel.write_text("SET1\tdesc\tFOO\tBAR\tBAZ\n")
    with pytest.raises(InputError) as stopped:
        _score.score(h5ads={"rna": rna_h5ad}, outdir=tmp_path / "out",
                     params=resolve({"genesets": str(panel)}))
    assert "no gene of any panel set" in str(stopped.value) and "rna.h5ad" in str(stopped.value)
    assert not (tmp_path / "out").exists()
