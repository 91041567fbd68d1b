"""Continuous contrasts (``type: continuous``): DESeq2 and limma slopes against R."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import REPO, assert_input_error, run_omics, run_pipeline
from omics._errors import InputError
from omics.io import read_contrasts, read_samplesheet, write_contrasts
from omics.tl import design_for_contrast

REF = REPO / "tests" / "reference" / "continuous"
CONTRASTS = """contrasts:
  - id: potency
    type: continuous
    comparison: [potency_perfusion_ratio]
    blocking_factors: [age, diabetes]
  - id: potency_sd
    type: continuous
    comparison: [potency_perfusion_ratio]
    blocking_factors: [age, diabetes]
    scale: sd
"""


def _compare(ours: pd.DataFrame, ref: pd.DataFrame, columns: list[str], padj: str) -> None:
    """NA pattern exactly R's, values to rtol 1e-7 (DESeq2 measured: at most 1.4e-9
    relative, 3.8e-13 absolute, no NA mismatch)."""
    ours = ours.loc[ref.index]
    for column in columns:
        np.testing.assert_array_equal(ours[column].isna(), ref[column].isna(), err_msg=column)
        both = ref[column].notna()
        assert both.sum() >= 0.95 * len(ref)
        assert np.corrcoef(ours.loc[both, column], ref.loc[both, column])[0, 1] >= 0.999, column
        np.testing.assert_allclose(ours.loc[both, column], ref.loc[both, column], rtol=1e-7,
                                   atol=1e-11, err_msg=column)
    hits, ref_hits = set(ours.index[ours[padj] < 0.05]), set(ref.index[ref[padj] < 0.05])
    assert ref_hits and len(hits & ref_hits) / len(hits | ref_hits) >= 0.95


@pytest.fixture(scope="module")
def contrasts_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("c") / "contrasts.yaml"
    path.write_text(CONTRASTS)
    return path


@pytest.mark.slow
def test_continuous_deseq2_matches_r(tmp_path, contrasts_file):
    out = run_pipeline(tmp_path / "results", "--input", str(REF / "continuous_samplesheet.csv"),
                       "--contrasts", str(contrasts_file), "--rna_counts",
                       str(REF / "continuous_counts.tsv"), "--rna_min_count", "0")
    ours = pd.read_csv(out / "differential" / "potency.rna.deseq2.results.tsv",
                       sep="\t").set_index("gene_id")
    ref = pd.read_csv(REF / "continuous_deseq2.tsv", sep="\t").set_index("gene_id")
    _compare(ours, ref, ["log2FoldChange", "lfcSE", "stat", "pvalue", "padj"], "padj")
    assert (ours["log2FoldChange_per_unit"] == ours["log2FoldChange"]).all()
    per_sd = pd.read_csv(out / "differential" / "potency_sd.rna.deseq2.results.tsv",
                         sep="\t").set_index("gene_id")
    sd = read_samplesheet(REF / "continuous_samplesheet.csv")["potency_perfusion_ratio"].std()
    assert np.allclose(per_sd["log2FoldChange_per_sd"], ours["log2FoldChange"] * sd, atol=1e-4)
    # A Wald test does not depend on the covariate's scale, but the optimiser's path does:
    # the gene-wise dispersions of the two fits differ by up to 1.2 % (1e-4 after the
    # prior), so the p-values by up to 6.9e-4 relative (measured; 5e-6 when the covariate
    # is multiplied by its SD instead).
    np.testing.assert_array_equal(per_sd["pvalue"].isna(), ours["pvalue"].isna())
    assert np.allclose(per_sd["pvalue"], ours["pvalue"], rtol=1e-3, atol=1e-8)


@pytest.mark.slow
def test_continuous_limma_matches_r(tmp_path, contrasts_file):
    out = run_pipeline(tmp_path / "results", "--input", str(REF / "continuous_samplesheet.csv"),
                       "--contrasts", str(contrasts_file), "--protein_matrix",
                       str(REF / "continuous_log2.tsv"), "--protein_format", "tsv",
                       "--protein_is_log2", "--protein_normalization", "none")
    ours = pd.read_csv(out / "differential" / "potency.protein.limma.results.tsv",
                       sep="\t").set_index("feature_id")
    ref = pd.read_csv(REF / "continuous_limma.tsv", sep="\t").set_index("feature_id")
    _compare(ours, ref, ["logFC", "AveExpr", "t", "P.Value", "adj.P.Val", "B"], "adj.P.Val")
    per_sd = pd.read_csv(out / "differential" / "potency_sd.protein.limma.results.tsv",
                         sep="\t").set_index("feature_id")
    sd = read_samplesheet(REF / "continuous_samplesheet.csv")["potency_perfusion_ratio"].std()
    assert np.allclose(per_sd["logFC_per_sd"], ours["logFC"] * sd, atol=1e-9)
    assert np.allclose(per_sd["t"], ours["t"], atol=1e-9)


def test_contrast_file_round_trip_and_csv(tmp_path, contrasts_file):
    contrasts = read_contrasts(contrasts_file)
    assert [c.is_continuous for c in contrasts] == [True, True]
    assert contrasts[1].scale == "sd" and contrasts[0].reference is None
    again = tmp_path / "again.yaml"
    write_contrasts(contrasts, again)
    assert read_contrasts(again) == contrasts
    csv = tmp_path / "c.csv"
    csv.write_text("id,type,variable,reference,target,blocking\n"
                   "potency,continuous,potency_perfusion_ratio,,,age;diabetes\n"
                   "dm,,diabetes,no,yes,age\n")
    from_csv = read_contrasts(csv)
    assert from_csv[0] == contrasts[0]
    assert not from_csv[1].is_continuous
    sheet = read_samplesheet(REF / "continuous_samplesheet.csv")
    design = design_for_contrast(sheet, contrasts[0])
    assert design.contrast_vector[design.contrast_vector != 0].to_dict() == {
        "potency_perfusion_ratio": 1.0}
    assert list(design.matrix.columns) == ["(Intercept)", "age", "diabetesyes",
                                           "potency_perfusion_ratio"]


@pytest.mark.parametrize(("text", "expected"), [
    ("contrasts:\n  - id: p\n    type: continuous\n    comparison: [score, a, b]\n",
     "give 'comparison: [variable]'"),
    ("contrasts:\n  - id: p\n    type: slope\n    comparison: [score]\n", "type 'slope'"),
    ("contrasts:\n  - id: p\n    type: continuous\n    comparison: [score]\n    scale: z\n",
     "scale 'z'"),
])
def test_continuous_contrast_errors(tmp_path, text, expected):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match=expected.replace("[", r"\[").replace("]", r"\]")):
        read_contrasts(path)


@pytest.mark.slow
@pytest.mark.parametrize("column", ["potency_perfusion_ratio", "vegf_release"])
def test_phenotype_with_text_exits_2(tmp_path, column):
    sheet = pd.read_csv(REF / "continuous_samplesheet.csv")
    sheet[column] = sheet["potency_perfusion_ratio"].astype(str)
    sheet.loc[4, column] = "high"
    sheet_path = tmp_path / "sheet.csv"
    sheet.to_csv(sheet_path, index=False)
    contrasts = tmp_path / "c.yaml"
    contrasts.write_text(f"contrasts:\n  - id: p\n    type: continuous\n    comparison: [{column}]\n")
    out = tmp_path / "results"
    result = run_omics("run", "--input", str(sheet_path), "--contrasts", str(contrasts),
                       "--rna_counts", str(REF / "continuous_counts.tsv"), "--outdir", str(out))
    error = assert_input_error(result, out)
    assert str(sheet_path) in error and "'P05'" in error and column in error


def test_samples_without_a_phenotype_value_sit_out():
    sheet = read_samplesheet(REF / "continuous_samplesheet.csv")
    sheet.loc[sheet.index[:3], "potency_perfusion_ratio"] = np.nan
    contrast = read_contrasts_text("contrasts:\n  - id: p\n    type: continuous\n"
                                   "    comparison: [potency_perfusion_ratio]\n")
    design = design_for_contrast(sheet, contrast)
    assert len(design.samples) == len(sheet) - 3
    assert not set(sheet.index[:3]) & set(design.samples)


def read_contrasts_text(text: str):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "c.yaml"
        path.write_text(text)
        return read_contrasts(path)[0]
