"""Stages check their inputs before they write: missing files, swapped or wrong-modality h5ad.

Each bad call stops with exit 2, one ``omics: error:`` line naming the file, the option and
what is wrong, and writes nothing (:func:`helpers.assert_input_error`).
"""

from __future__ import annotations

from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from helpers import TEST_COHORT, assert_input_error, run_omics
from omics._errors import InputError
from omics.stages._common import check_h5ad, h5ad_modality

N_SAMPLES, N_GENES = 12, 40


def _obs() -> pd.DataFrame:
    return pd.DataFrame({"arm": pd.Categorical(["bmmnc"] * 6 + ["placebo"] * 6),
                         "response": pd.Categorical(["non_responder", "responder"] * 6)},
                        index=[f"S{i:02d}" for i in range(N_SAMPLES)])


def _var(prefix: str, n: int = N_GENES) -> pd.DataFrame:
    return pd.DataFrame({"gene_name": [f"G{i}" for i in range(n)]},
                        index=[f"{prefix}{i}" for i in range(n)])


def _write(adata: ad.AnnData, path: Path) -> Path:
    adata.write_h5ad(path)
    return path


@pytest.fixture(scope="module")
def h5ads(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Small prepared-like files: ``rna`` (counts, vst), ``protein``, ``flow``, ``plain`` (no record)."""
    folder = tmp_path_factory.mktemp("h5ad")
    rng = np.random.default_rng(0)
    counts = rng.poisson(50, (N_SAMPLES, N_GENES)).astype(float)
    log2 = rng.normal(20, 1, (N_SAMPLES, N_GENES))
    return {
        "rna": _write(ad.AnnData(counts.copy(), obs=_obs(), var=_var("ENSG"),
                                 layers={"counts": counts, "vst": np.log2(counts + 1)},
                                 uns={"modality": "rna", "de_layer": "counts"}), folder / "rna.h5ad"),
        "protein": _write(ad.AnnData(log2, obs=_obs(), var=_var("P"),
                                     uns={"modality": "protein", "protein_input": {"format": "tsv"}}),
                          folder / "protein.h5ad"),
        "flow": _write(ad.AnnData(rng.uniform(1, 50, (N_SAMPLES, 5)), obs=_obs(),
                                  var=pd.DataFrame(index=[f"pop{i}" for i in range(5)]),
                                  uns={"modality": "flow", "absolute_unit": "cells_per_uL"}),
                       folder / "flow.h5ad"),
        "plain": _write(ad.AnnData(log2.copy(), obs=_obs(), var=_var("P")), folder / "plain.h5ad"),
    }


# ---------------------------------------------------------------------------------------
# The shared check (omics.stages._common)


def test_the_recorded_modality_and_the_records_of_the_readers(h5ads, tmp_path):
    assert [h5ad_modality(h5ads[m]) for m in ("rna", "protein", "flow", "plain")] == [
        "rna", "protein", "flow", None]
    # no uns["modality"] (built with the library's readers): the reader's record decides
    built = _write(ad.AnnData(np.ones((3, 2)), uns={"protein_input": {"format": "maxquant"}}),
                   tmp_path / "built.h5ad")
    assert h5ad_modality(built) == "protein"
    with pytest.raises(InputError, match=r"holds protein data \(it has uns\['protein_input'\]\), not rna"):
        check_h5ad(built, "rna", option="rna_h5ad")
    # records of two modalities, or a modality the stages do not know: no check
    mixed = _write(ad.AnnData(np.ones((3, 2)), uns={"rna_input": {"format": "x"},
                                                    "protein_input": {"format": "y"}}),
                   tmp_path / "mixed.h5ad")
    other = _write(ad.AnnData(np.ones((3, 2)), uns={"modality": "adt"}), tmp_path / "other.h5ad")
    assert h5ad_modality(mixed) is None and h5ad_modality(other) is None
    check_h5ad(h5ads["plain"], "rna", option="rna_h5ad")  # no record: used as before
    with pytest.raises(InputError, match="has no layer 'vst'"):
        check_h5ad(h5ads["plain"], "rna", option="rna_h5ad", layers=("vst",))


def test_a_file_that_is_not_hdf5_is_named(tmp_path):
    text = tmp_path / "rna.h5ad"
    text.write_text("gene\tS1\n")
    with pytest.raises(InputError, match="rna_h5ad is not an .h5ad"):
        check_h5ad(text, "rna", option="rna_h5ad")


# ---------------------------------------------------------------------------------------
# Finding 2: qc and de on a file of another modality


@pytest.mark.parametrize(("held", "modality"), [("rna", "protein"), ("protein", "rna")])
def test_qc_stops_on_a_file_of_another_modality(h5ads, tmp_path, held, modality):
    outdir = tmp_path / "out"
    result = run_omics("qc", "--h5ad", str(h5ads[held]), "--modality", modality,
                       "--outdir", str(outdir))
    line = assert_input_error(result, outdir)
    assert str(h5ads[held]) in line and f"--h5ad holds {held} data" in line, line
    assert f"uns['modality'] is '{held}'" in line and f"--modality {held}" in line, line


@pytest.mark.parametrize(("held", "modality"), [("rna", "flow"), ("rna", "protein"), ("flow", "rna")])
def test_de_stops_on_a_file_of_another_modality(h5ads, tmp_path, held, modality):
    outdir = tmp_path / "out"
    result = run_omics("de", "--h5ad", str(h5ads[held]), "--contrasts",
                       str(TEST_COHORT / "contrasts.yaml"), "--contrast_id", "response_in_placebo",
                       "--modality", modality, "--outdir", str(outdir))
    line = assert_input_error(result, outdir)
    assert str(h5ads[held]) in line and f"holds {held} data" in line and f"not {modality}" in line, line


def test_a_file_without_a_record_is_used_as_before(h5ads, tmp_path):
    outdir = tmp_path / "out"
    result = run_omics("qc", "--h5ad", str(h5ads["plain"]), "--modality", "protein",
                       "--outdir", str(outdir))
    assert result.returncode == 0, result.stderr
    assert (outdir / "qc" / "protein.pca.tsv").is_file()


# ---------------------------------------------------------------------------------------
# Finding 5: score


@pytest.mark.parametrize(("option", "held"), [("rna_h5ad", "protein"), ("protein_h5ad", "rna"),
                                              ("rna_h5ad", "plain")])
def test_score_stops_on_a_file_of_another_modality(h5ads, tmp_path, option, held):
    outdir = tmp_path / "out"
    result = run_omics("score", f"--{option}", str(h5ads[held]), "--outdir", str(outdir))
    line = assert_input_error(result, outdir)
    assert str(h5ads[held]) in line and f"--{option}" in line, line
    # no record: the RNA VST the scores need is missing
    assert ("has no layer 'vst'" if held == "plain" else f"holds {held} data") in line, line


# ---------------------------------------------------------------------------------------
# Finding 1: integrate checks every input before its jobs start


def test_integrate_stops_on_missing_h5ad_before_writing(tmp_path):
    outdir = tmp_path / "out"
    result = run_omics("integrate", "--rna_h5ad", str(tmp_path / "nope.h5ad"), "--protein_h5ad",
                       str(tmp_path / "nope2.h5ad"), "--outdir", str(outdir))
    line = assert_input_error(result, outdir)
    assert "nope.h5ad: --rna_h5ad: file not found" in line and "omics rna_prep" in line, line


def test_integrate_stops_on_swapped_h5ad_before_writing(h5ads, tmp_path):
    outdir = tmp_path / "out"
    result = run_omics("integrate", "--rna_h5ad", str(h5ads["protein"]), "--protein_h5ad",
                       str(h5ads["rna"]), "--outdir", str(outdir))
    line = assert_input_error(result, outdir)
    assert f"{h5ads['protein']}: --rna_h5ad holds protein data" in line, line


def test_integrate_stops_on_a_missing_table_before_writing(h5ads, tmp_path):
    outdir = tmp_path / "out"
    missing = tmp_path / "c1.rna.deseq2.results.tsv"
    result = run_omics("integrate", "--rna_h5ad", str(h5ads["rna"]), "--protein_h5ad",
                       str(h5ads["protein"]), "--de_results", str(missing), "--outdir", str(outdir))
    line = assert_input_error(result, outdir)
    assert f"{missing}: --de_results: file not found" in line, line


# ---------------------------------------------------------------------------------------
# Finding 4: enrich


def test_enrich_stops_on_a_missing_table(tmp_path):
    outdir = tmp_path / "out"
    missing = tmp_path / "nothere.rna.deseq2.results.tsv"
    result = run_omics("enrich", "--de_results", str(missing), "--outdir", str(outdir))
    line = assert_input_error(result, outdir)
    assert f"{missing}: --de_results: file not found" in line, line


# ---------------------------------------------------------------------------------------
# Finding 3: report


def test_report_stops_on_a_missing_results_dir(tmp_path):
    outdir = tmp_path / "out"
    result = run_omics("report", "--results_dir", str(tmp_path / "nope"), "--outdir", str(outdir))
    line = assert_input_error(result, outdir)
    assert "--results_dir: folder not found" in line, line


def test_report_stops_on_a_folder_without_results(tmp_path):
    results = tmp_path / "results"
    (results / "pipeline_info").mkdir(parents=True)
    (results / "notes.txt").write_text("not a result\n")
    outdir = tmp_path / "out"
    result = run_omics("report", "--results_dir", str(results), "--outdir", str(outdir))
    line = assert_input_error(result, outdir)
    assert f"{results}: --results_dir holds no result files of a run" in line, line


def test_report_accepts_a_flat_folder_of_result_tables(tmp_path):
    from omics.stages._report import check_results_dir

    (tmp_path / "c1.rna.deseq2.results.tsv").write_text("gene_id\tlog2FoldChange\n")
    check_results_dir(tmp_path)
