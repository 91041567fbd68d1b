"""Findings M4, L1, L5, L6 of the h50 modal audit (/tmp/notes/h50_modal.md): report and plot wording
for GEO/array RNA without gene symbols, qPCR/array/Olink values, and the score-phenotype table."""

from __future__ import annotations

from pathlib import Path

import anndata as ad
import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

from omics.io import Contrast  # noqa: E402
from omics.params import defaults  # noqa: E402
from omics.report._assets import Ids  # noqa: E402
from omics.report._context import Context  # noqa: E402
from omics.report._discover import Results  # noqa: E402

CONTRAST = Contrast(id="c1", variable="group", reference="a", target="b")
OBS = pd.DataFrame({"group": ["a", "b"] * 3}, index=[f"S{i}" for i in range(6)])


def _ctx(root: Path, **params: object) -> Context:
    return Context(results=Results(root), params={**defaults(), **params}, obs=OBS,
                   contrasts={"c1": CONTRAST})


def _rna_h5ad(root: Path, *, rna_input: dict | None = None, n_probes: list[int] | None = None,
              rna_format: str = "array") -> None:
    """Write ``rna/rna.h5ad`` as the prep stage does (only what the report reads)."""
    n = len(n_probes) if n_probes else 3
    var = pd.DataFrame({"gene_name": [f"G{i}" for i in range(n)]}, index=[f"G{i}" for i in range(n)])
    if n_probes:
        var["n_probes"] = np.asarray(n_probes, dtype=np.int64)
    adata = ad.AnnData(X=np.zeros((len(OBS), n)), obs=OBS.copy(), var=var)
    adata.uns["modality"] = "rna"
    adata.uns["rna_format"] = rna_format
    if rna_input is not None:
        adata.uns["rna_input"] = rna_input
    (root / "rna").mkdir(parents=True, exist_ok=True)
    adata.write_h5ad(root / "rna" / "rna.h5ad")


def _probe_ranking(n: int = 300) -> pd.Series:
    """A ranking whose "symbols" are Affymetrix probe ids (what a series matrix gives)."""
    return pd.Series(np.linspace(3, -3, n), index=[f"{200000 + i}_at" for i in range(n)])


SETS = {"ANGIO": ["VEGFA", "KDR", "FLT1", "TEK", "ANGPT2", "HIF1A"]}


# M4 -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("fmt", "what"), [
    ("array_geo_series_matrix", "a GEO series matrix has probe ids (ID_REF) only"),
    ("array_tsv", "the matrix has no gene-symbol column"),
])
def test_m4_rna_matrix_without_symbols_is_told_so_not_the_organism(tmp_path, fmt, what):
    from omics.report._sections import symbol_mismatch

    _rna_h5ad(tmp_path, rna_input={"format": fmt, "gene_symbols": False, "path": "x"})
    text = symbol_mismatch(_ctx(tmp_path, rna_format="array"), _probe_ranking(), SETS, modality="rna")
    assert "The RNA matrix has no gene symbols:" in text and what in text
    assert "300 ranked features are probe ids" in text and "0.0%" in text
    assert "<code>gene_name</code>" in text and "GPL" in text and "<code>--rna_matrix</code>" in text
    assert "organism" not in text and "mouse" not in text


def test_m4_the_enrichment_section_of_a_geo_run_says_no_gene_symbols(tmp_path):
    """End to end through the Enrichment section (the report of the audit's rG run)."""
    from omics.report._sections import enrichment

    _rna_h5ad(tmp_path, rna_input={"format": "array_geo_series_matrix", "gene_symbols": False,
                                   "path": "GSE1_series_matrix.txt.gz"})
    ranking = _probe_ranking()
    de = pd.DataFrame({"feature_id": ranking.index, "gene_name": ranking.index, "logFC": ranking.to_numpy(),
                       "AveExpr": 8.0, "t": ranking.to_numpy() * 2, "P.Value": 0.5, "adj.P.Val": 0.9,
                       "B": -5.0})
    (tmp_path / "differential").mkdir()
    (tmp_path / "enrichment").mkdir()
    de.to_csv(tmp_path / "differential" / "c1.rna.limma.results.tsv", sep="\t", index=False)
    pd.DataFrame(columns=["term", "collection", "size", "es", "nes", "pvalue", "fdr", "leading_edge"]).to_csv(
        tmp_path / "enrichment" / "c1.rna.gsea.tsv", sep="\t", index=False)
    html = enrichment(_ctx(tmp_path, rna_format="array"), Ids())
    assert "The RNA matrix has no gene symbols:" in html and "GEO series matrix" in html
    assert "this organism" not in html and "MSigDB mouse" not in html


def test_m4_control_other_symbols_keep_the_organism_wording(tmp_path):
    """Control (passes on the old code too): counts (nothing recorded) with mouse symbols."""
    from omics.report._sections import symbol_mismatch

    _rna_h5ad(tmp_path, rna_input={"format": "tsv", "path": "x"}, rna_format="counts")
    ranking = pd.Series(np.linspace(3, -3, 200), index=[f"Gm{i}a" for i in range(200)])
    text = symbol_mismatch(_ctx(tmp_path), ranking, SETS)
    assert "do not match this organism's gene symbols" in text and "MSigDB mouse" in text


def test_m4_control_an_array_whose_ids_are_symbols_gets_no_warning(tmp_path):
    """Control (old code: no ``modality`` keyword): symbols in the id column match, so no warning."""
    from omics.report._sections import symbol_mismatch

    _rna_h5ad(tmp_path, rna_input={"format": "array_tsv", "gene_symbols": False, "path": "x"})
    ranking = pd.Series([3.0, 2.0, 1.0, -1.0, -2.0], index=["VEGFA", "KDR", "FLT1", "TEK", "HIF1A"])
    assert symbol_mismatch(_ctx(tmp_path, rna_format="array"), ranking, SETS, modality="rna") == ""


# L1 + L6 (integration note) -------------------------------------------------------------------
def _integration(tmp_path: Path, **params: object) -> str:
    from omics.report._sections import integration

    (tmp_path / "integration").mkdir(exist_ok=True)
    pd.DataFrame({"gene_name": ["VEGFA", "KDR"], "n_pairs": [6, 6], "spearman_rho": [0.5, -0.1],
                  "pvalue": [0.3, 0.8], "fdr": [0.6, 0.8]}).to_csv(
        tmp_path / "integration" / "mrna_protein_correlation.tsv", sep="\t", index=False)
    return integration(_ctx(tmp_path, **params), Ids())


@pytest.mark.parametrize(("rna_format", "named"), [
    ("qpcr", "patients of the RNA -delta-Ct values (log2 relative quantities to the reference genes)"),
    ("array", "patients of the RNA log2 intensities (probes collapsed to genes)"),
])
def test_l1_the_correlation_note_names_qpcr_and_array_values(tmp_path, rna_format, named):
    html = _integration(tmp_path, rna_format=rna_format)
    assert named in html
    assert "layer vst" not in html


def test_l1_control_counts_keep_the_vst_layer_wording(tmp_path):
    """Control (passes on the old code too): RNA-seq counts, MaxQuant; the demo's wording."""
    html = _integration(tmp_path, rna_format="counts", protein_format="maxquant")
    assert "patients of the RNA values (layer vst) and the protein log2 intensities;" in html


def test_l6_the_correlation_note_names_olink_npx(tmp_path):
    html = _integration(tmp_path, rna_format="counts", protein_format="olink")
    assert "the protein NPX values (Olink's relative log2 units);" in html
    assert "protein log2 intensities" not in html


# L5 -------------------------------------------------------------------------------------------
PHENOTYPE = pd.DataFrame({
    "modality": ["rna", "rna"], "phenotype": ["potency_perfusion_ratio"] * 2,
    "term": ["GO:0001525_ANGIOGENESIS", "GO:0045766_POSITIVE_REGULATION_OF_ANGIOGENESIS"],
    "n": [40, 40], "spearman_rho": [0.08528, 0.29712], "spearman_pvalue": [0.6008, 0.06262],
    "pearson_r": [0.2277, 0.4075], "pearson_pvalue": [0.1576, 0.00906], "fdr": [0.72, 0.19]})


def _phenotype_results(root: Path) -> None:
    (root / "scores").mkdir(parents=True, exist_ok=True)
    PHENOTYPE.to_csv(root / "scores" / "score_phenotype_correlation.tsv", sep="\t", index=False)


def test_l5_the_scores_section_shows_the_phenotype_correlations(tmp_path):
    from omics.report._sections import response

    _phenotype_results(tmp_path)
    html = response(_ctx(tmp_path), Ids())
    assert "<h3>Scores vs continuous phenotypes</h3>" in html
    assert "GO:0045766_POSITIVE_REGULATION_OF_ANGIOGENESIS" in html and "potency_perfusion_ratio" in html
    assert "fewer than 5 give NA" in html and "Benjamini-Hochberg on the Spearman p-values" in html
    # smallest Spearman p first
    assert html.index("GO:0045766_POSITIVE") < html.index("GO:0001525_ANGIOGENESIS")


def test_l5_the_methods_say_how_the_phenotype_correlations_were_made(tmp_path):
    from omics.report._methods import methods

    _phenotype_results(tmp_path)
    pd.DataFrame(columns=["modality", "score", "classification"]).to_csv(
        tmp_path / "scores" / "response_model.tsv", sep="\t", index=False)
    text = methods(_ctx(tmp_path))
    assert ("Each score was correlated across patients with the phenotype of each continuous contrast "
            "(potency_perfusion_ratio) (Spearman and Pearson; scores/score_phenotype_correlation.tsv)"
            in text)


def test_l5_control_without_the_table_nothing_is_added(tmp_path):
    """Control (passes on the old code too): no table, no section part, no methods sentence."""
    from omics.report._methods import methods
    from omics.report._sections import response

    assert response(_ctx(tmp_path), Ids()) == ""
    assert "score_phenotype_correlation" not in methods(_ctx(tmp_path))


# L6 (methods, MA labels) ----------------------------------------------------------------------
def _limma_rna_table(root: Path) -> None:
    (root / "differential").mkdir(exist_ok=True)
    pd.DataFrame({"feature_id": ["G0"], "logFC": [0.1], "AveExpr": [7.0], "t": [0.5], "P.Value": [0.6],
                  "adj.P.Val": [0.9], "B": [-5.0]}).to_csv(
        root / "differential" / "c1.rna.limma.results.tsv", sep="\t", index=False)


def test_l6_array_methods_say_probes_were_collapsed_to_genes(tmp_path):
    from omics.report._methods import methods

    _limma_rna_table(tmp_path)
    _rna_h5ad(tmp_path, rna_input={"format": "array_tsv", "gene_symbols": True, "path": "x"},
              n_probes=[1, 2, 1, 3])
    text = methods(_ctx(tmp_path, rna_format="array"))
    assert "Probes were collapsed to genes first: per gene symbol the probe with the highest mean log2 " \
           "intensity over the sample sheet's samples (WGCNA collapseRows" in text
    assert "7 probes with values to 4 features" in text
    assert "collapseRows R function" in text  # the reference


def test_l6_geo_methods_say_the_probes_were_not_collapsed(tmp_path):
    from omics.report._methods import methods

    _limma_rna_table(tmp_path)
    _rna_h5ad(tmp_path, rna_input={"format": "array_geo_series_matrix", "gene_symbols": False,
                                   "path": "x"}, n_probes=[1, 1, 1])
    text = methods(_ctx(tmp_path, rna_format="array"))
    assert "The matrix has no gene symbols, so its probes were tested as they are" in text
    assert "Probes were collapsed" not in text


def _limma_protein_table(root: Path) -> None:
    (root / "differential").mkdir(exist_ok=True)
    pd.DataFrame({"feature_id": ["P1"], "gene_name": ["VEGFA"], "logFC": [0.1], "AveExpr": [7.0],
                  "t": [0.5], "P.Value": [0.6], "adj.P.Val": [0.9], "B": [-5.0]}).to_csv(
        root / "differential" / "c1.protein.limma.results.tsv", sep="\t", index=False)


def test_l6_olink_methods_name_npx_not_intensities(tmp_path):
    from omics.report._methods import methods

    _limma_protein_table(tmp_path)
    text = methods(_ctx(tmp_path, protein_format="olink"))
    assert "Protein NPX values (olink: Olink's Normalized Protein eXpression, relative log2 units) were " \
           "kept when" in text
    assert "Protein intensities" not in text


def test_l6_control_maxquant_methods_keep_intensities(tmp_path):
    """Control (passes on the old code too): MaxQuant is still called intensities."""
    from omics.report._methods import methods

    _limma_protein_table(tmp_path)
    text = methods(_ctx(tmp_path, protein_format="maxquant", protein_intensity="LFQ intensity"))
    assert "Protein intensities (maxquant, LFQ intensity) were log2-transformed," in text


@pytest.mark.parametrize(("protein_format", "label"), [
    ("olink", "mean NPX (log2 relative units)"),
    ("maxquant", "mean log2 intensity"),  # control: as before
])
def test_l6_report_ma_axis_of_protein(tmp_path, protein_format, label):
    from omics.report._sections import mean_label

    assert mean_label(_ctx(tmp_path, protein_format=protein_format), "protein") == label


def _limma_anndata(uns: dict) -> ad.AnnData:
    from omics.tl import limma

    rng = np.random.default_rng(50)
    adata = ad.AnnData(X=rng.normal(8, 1, (len(OBS), 12)), obs=OBS.copy(),
                       var=pd.DataFrame(index=[f"G{i}" for i in range(12)]))
    adata.uns.update(uns)
    limma(adata, CONTRAST, trend=False)
    return adata


@pytest.mark.parametrize(("uns", "label"), [
    ({"modality": "rna", "rna_format": "qpcr"}, "mean -delta-Ct (log2 relative quantity; AveExpr)"),
    ({"qpcr": {"reference_genes": ["ACTB"]}}, "mean -delta-Ct (log2 relative quantity; AveExpr)"),
    ({"modality": "rna", "rna_format": "array"}, "mean log2 intensity (AveExpr)"),
    ({"rna_input": {"format": "array_tsv", "gene_symbols": True}}, "mean log2 intensity (AveExpr)"),
    ({"modality": "protein", "protein_input": {"format": "olink", "is_log2": True}},
     "mean NPX (log2 relative units; AveExpr)"),
])
def test_l6_pl_ma_names_the_mean_as_the_report_does(uns, label):
    import matplotlib.pyplot as plt

    from omics import pl

    ax = pl.ma(_limma_anndata(uns))
    assert ax.get_xlabel() == label
    plt.close(ax.figure)


@pytest.mark.parametrize(("uns", "label"), [
    ({"modality": "protein", "protein_input": {"format": "maxquant", "is_log2": True}},
     "mean log2 intensity (AveExpr)"),
    ({"modality": "flow"}, "mean log2 count (AveExpr)"),
    ({}, "mean log2 value (AveExpr)"),
])
def test_l6_control_pl_ma_other_labels_unchanged(uns, label):
    """Control (passes on the old code too)."""
    import matplotlib.pyplot as plt

    from omics import pl

    ax = pl.ma(_limma_anndata(uns))
    assert ax.get_xlabel() == label
    plt.close(ax.figure)
