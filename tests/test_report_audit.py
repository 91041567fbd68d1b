"""The report says what its figures and tables show (findings 1-12 of the report audit).

Each test builds the smallest result files a section reads, draws the section (or the
figure) and checks the wording, colours and order on the page. The browser test opens a
small page with one table in headless Chromium (skipped without it, as in test_report.py).
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from omics.io._contrasts import Contrast
from omics.report import _figures as figs
from omics.report._assets import Ids, head_scripts, table
from omics.report._context import Context
from omics.report._discover import Results

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

BALI_OBS = pd.DataFrame({"arm": ["bmmnc", "placebo"] * 4,
                         "response": ["responder", "responder", "non_responder", "non_responder"] * 2},
                        index=[f"S{i}" for i in range(8)])
CONTRASTS = {
    "response_in_bmmnc": Contrast(id="response_in_bmmnc", variable="response", reference="non_responder",
                                  target="responder", exclude_samples_col="arm",
                                  exclude_samples_values=("placebo",)),
    "arm_x_response": Contrast(id="arm_x_response", formula="~ arm * response",
                               make_contrasts_str="armbmmnc:responseresponder"),
}


def _ctx(root: Path, params: dict | None = None, obs: pd.DataFrame | None = None) -> Context:
    from omics.params import defaults

    return Context(results=Results(root), params={**defaults(), **(params or {})},
                   obs=BALI_OBS if obs is None else obs, contrasts=dict(CONTRASTS))


def _figures(markup: str) -> list[dict]:
    return [json.loads(payload.replace("<\\/", "</")) for payload in re.findall(
        r"<script type='application/json' id='[^']+-json'>(.*?)</script>", markup, flags=re.S)]


def _values(array: object) -> list:
    if isinstance(array, dict):  # plotly writes numpy arrays as base64 ("bdata")
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"]).tolist()
    return list(array)


def _text(markup: str) -> str:
    markup = re.sub(r"<script.*?</script>", "", markup, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", markup)))


def _dt_args(markup: str) -> dict:
    """The DataTables arguments itables wrote for one table (JSON; functions are strings)."""
    start = markup.index("let dt_args = ") + len("let dt_args = ")
    args, _ = json.JSONDecoder().raw_decode(markup[start:])
    return args


# --------------------------------------------------------------------------------------
# 1. Joint-evidence bars: ties at the permutation floor
# --------------------------------------------------------------------------------------

def _joint_results(root: Path) -> None:
    from omics.tl._stats import norm_isf

    floor = float(norm_isf(np.array([1 / 1001]))[0])
    rows = []
    # 20 background sets first in file (GO id) order, then 3 panel sets: all at the floor
    terms = [f"GO:00000{i:02d}_BACKGROUND_{i}" for i in range(20)] + [
        "GO:0045766_POSITIVE_REGULATION_OF_ANGIOGENESIS", "GO:0001525_ANGIOGENESIS", "GO:0002040_SPROUTING"]
    nes = [1.5 + 0.05 * i for i in range(20)] + [2.1, 3.0, 2.5]
    for term, n in zip(terms, nes, strict=True):
        rows.append({"contrast": "c1", "term": term, "rna_nes": n, "rna_z": floor, "protein_nes": n,
                     "protein_z": floor, "n_modalities": 2, "stouffer_z": 2 * floor / np.sqrt(2)})
    rows.append({"contrast": "c1", "term": "GO:9999999_WEAK", "rna_nes": 1.0, "rna_z": 1.0,
                 "protein_nes": 1.0, "protein_z": 1.0, "n_modalities": 2, "stouffer_z": 2 / np.sqrt(2)})
    evidence = pd.DataFrame(rows)
    from scipy.stats import norm

    evidence["stouffer_pvalue"] = 2 * norm.sf(evidence["stouffer_z"].abs())
    evidence["stouffer_fdr"] = evidence["stouffer_pvalue"]
    (root / "integration").mkdir(parents=True)
    evidence.to_csv(root / "integration" / "pathway_evidence.tsv", sep="\t", index=False)
    (root / "enrichment").mkdir()
    gsea = pd.DataFrame({"term": terms, "collection": ["background"] * 20 + ["panel"] * 3})
    gsea.to_csv(root / "enrichment" / "c1.rna.gsea.tsv", sep="\t", index=False)


def test_joint_evidence_bars_break_ties_and_say_how_many_sets_tie(tmp_path):
    """23 sets tie at the floor: panel sets come first (larger |mean NES| first), the title says so.

    Before, the bars were the first 15 tied sets in file (GO id) order: here 15 background sets.
    """
    from omics.report._sections import integration

    _joint_results(tmp_path)
    ctx = _ctx(tmp_path, {"gsea_permutations": 1000})
    markup = integration(ctx, Ids("i"))
    (bars,) = _figures(markup)
    labels = _values(bars["data"][0]["y"])
    assert labels[:3] == ["GO:0001525 ANGIOGENESIS", "GO:0002040 SPROUTING",
                          "GO:0045766 POSITIVE REGULATION OF ANGIOGENESIS"]
    assert labels[3] == "GO:0000019 BACKGROUND 19"  # then the largest |mean NES|
    assert "15 of 23 sets tied at the smallest p (the permutation floor)" in bars["layout"]["title"]["text"]
    text = _text(markup)
    assert "panel sets first, then by the larger |mean NES|" in text
    assert "c1 (23 sets, p = 1.2e-05): the permutation floor" in text
    from omics.report._sections import joint_top

    evidence = pd.read_csv(tmp_path / "integration" / "pathway_evidence.tsv", sep="\t")
    top, n_tied, at_floor = joint_top(evidence, {"GO:0001525_ANGIOGENESIS"}, n=2, floor=None)
    assert list(top["term"]) == ["GO:0001525_ANGIOGENESIS", "GO:0002040_SPROUTING"]  # NES 2.5 > 2.45
    assert n_tied == 23 and not at_floor  # without the number of permutations: no floor claimed


# --------------------------------------------------------------------------------------
# 2, 6, 12: the response model's table and notes
# --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def model_results(tmp_path_factory) -> Path:
    from omics.tl import response_model

    rng = np.random.default_rng(5)
    samples = [f"S{i:02d}" for i in range(30)]
    obs = pd.DataFrame({"arm": ["bmmnc", "placebo"] * 15,
                        "response": ["responder", "non_responder", "non_responder"] * 10}, index=samples)
    scores = pd.DataFrame({"GO:1_SPROUTING": rng.normal(size=30) + (obs["response"] == "responder") * 2.0,
                           "GO:2_HYPOXIA": rng.normal(size=30)}, index=samples)
    model = response_model(scores, obs, covariates=(), repeats=2, seed=1)
    model.insert(0, "modality", "rna")
    root = tmp_path_factory.mktemp("model") / "results"
    (root / "scores").mkdir(parents=True)
    model.to_csv(root / "scores" / "response_model.tsv", sep="\t", index=False)
    survival = pd.DataFrame({"modality": "rna", "score": ["GO:1_SPROUTING"], "classification": "none"})
    for effect in ("control", "treated", "pooled", "interaction"):
        columns = [f"hr_{effect}", f"hr_{effect}_low", f"hr_{effect}_high", f"p_{effect}"]
        survival[columns] = [0.5, 0.2, 1.2, 0.1]
    survival.to_csv(root / "scores" / "survival_model.tsv", sep="\t", index=False)
    return root


def test_evidence_table_shows_each_arms_screen_fdr_and_the_note_states_the_rule(model_results):
    from omics.report._sections import response

    ctx = _ctx(model_results)
    markup = response(ctx, Ids("r"))
    model = pd.read_csv(model_results / "scores" / "response_model.tsv", sep="\t")
    args = _dt_args(markup[markup.index("Class of each score and its evidence"):])
    thead = args["table_html"].split("</thead>")[0]
    columns = [html.unescape(c) for c in re.findall(r"<th>(.*?)</th>", thead)]
    assert columns.index("p placebo arm") + 1 == columns.index("FDR placebo arm")
    assert columns.index("p BM-MNC arm") + 1 == columns.index("FDR BM-MNC arm")
    rows = json.loads(args["data_json"])
    fdr = [r[columns.index("FDR BM-MNC arm")] for r in rows]
    assert fdr == pytest.approx(model["fdr_treated"].tolist(), rel=1e-3)  # 4 significant digits
    text = _text(markup)
    assert ("adjusted by one Benjamini-Hochberg procedure over the placebo-arm and the BM-MNC-arm "
            "p-values of all scores of its modality together, is below 0.05") in text
    assert "p interaction < 0.05 and the score's |log OR| is larger in the BM-MNC arm" in text
    # 6: the interaction's numerator
    assert "interaction (BM-MNC OR / placebo OR" in text
    forest = _figures(markup)[0]
    assert [t["name"] for t in forest["data"]][-1] == "interaction (BM-MNC OR / placebo OR)"
    # 12: inf does not imply separation; the survival HR direction and event
    assert "An interval end may be unbounded (inf) with or without separation." in text
    assert "HR < 1: a higher score goes with a lower hazard of amputation or death" in text
    assert "event: major amputation or death, afs_event" in text
    assert "interaction (BM-MNC HR / placebo HR)" in text


def test_without_a_screen_the_note_says_arm_p_values_decide(model_results):
    from omics.report._sections import response

    text = _text(response(_ctx(model_results, {"response_multiplicity": "none"}), Ids("r")))
    assert "when that arm's p-value is below 0.05 (--response_multiplicity none" in text


# --------------------------------------------------------------------------------------
# 3, 4: colours
# --------------------------------------------------------------------------------------

def _colour(trace: dict) -> str:
    return trace.get("marker", {}).get("color") or trace["line"]["color"]


def test_each_arm_has_one_colour_in_pca_kaplan_meier_and_forest_plots():
    pcs = pd.DataFrame({"sample": ["a", "b", "c"], "PC1": [1.0, 2, 3], "PC2": [0.0, 1, 2],
                        "arm": ["bmmnc", "placebo", "bmmnc"]})
    pca = {t.name: t.marker.color for t in figs.pca(pcs, color="arm", variance=None, title="").data}
    km = pd.DataFrame({"arm": ["bmmnc", "bmmnc", "placebo", "placebo"], "group": ["high", "low"] * 2,
                       "time": [0, 0, 0, 0], "survival": [1.0] * 4})
    curves = figs.kaplan_meier(km, title="", pvalues={}).data
    km_colours = {t.name.split(",")[0]: t.line.color for t in curves}
    model = pd.DataFrame({"score": ["s"], **{f"or_{e}{s}": [1.0] for e in ("control", "treated")
                                             for s in ("", "_low", "_high")}})
    forest = figs.forest(model, [("or_control", "placebo arm"), ("or_treated", "BM-MNC arm")], ratio="OR",
                         title="").data
    forest_colours = {t.name: t.marker.color for t in forest}
    assert pca["bmmnc"] == km_colours["bmmnc"] == forest_colours["BM-MNC arm"]
    assert pca["placebo"] == km_colours["placebo"] == forest_colours["placebo arm"]
    assert pca["bmmnc"] != pca["placebo"]
    # other groupings never take an arm's colour
    by_response = figs.pca(pcs.assign(response=["r", "n", "r"]), color="response", variance=None, title="")
    assert not {t.marker.color for t in by_response.data} & set(figs.ARM_COLORS.values())


def test_ma_plot_draws_significant_down_features_in_the_volcanos_down_colour():
    de = pd.DataFrame({"feature_id": ["a", "b", "c"], "gene_name": ["A", "B", "C"],
                       "logFC": [1.5, -1.5, 0.1], "AveExpr": [5.0, 6, 7], "t": [5.0, -5, 0.2],
                       "P.Value": [1e-5, 1e-5, 0.8], "adj.P.Val": [1e-4, 1e-4, 0.8]})
    volcano = {t.name.split(":")[0]: t.marker.color for t in figs.volcano(de, fdr=0.05, title="").data}
    ma = {t.name.split(":")[0]: (t.marker.color, list(t.text)) for t in figs.ma(de, fdr=0.05, title="").data}
    assert ma["down (FDR < 0.05)"] == (volcano["down (FDR < 0.05)"], ["B"]) == (figs.DOWN, ["B"])
    assert ma["up (FDR < 0.05)"] == (figs.UP, ["A"])


# --------------------------------------------------------------------------------------
# 5: what a positive interaction coefficient means
# --------------------------------------------------------------------------------------

def test_interaction_contrast_says_what_positive_means(tmp_path):
    ctx = _ctx(tmp_path)
    text = ctx.describe_contrast("arm_x_response")
    assert ("positive log2FC = the responder vs non_responder log2 fold change is larger in BM-MNC "
            "than in placebo") in text
    assert ctx.lfc_axis("arm_x_response") == ("interaction log2FC (responder / non_responder in BM-MNC "
                                              "minus in placebo)")
    assert ctx.lfc_axis("response_in_bmmnc") == "log2 fold change (responder / non_responder)"
    assert "excluding arm = placebo" in ctx.describe_contrast("response_in_bmmnc")
    de = pd.DataFrame({"feature_id": ["a"], "logFC": [1.0], "AveExpr": [5.0], "t": [2.0], "P.Value": [0.1],
                       "adj.P.Val": [0.2]})
    fig = figs.volcano(de, fdr=0.05, title="", xlabel=ctx.lfc_axis("arm_x_response"))
    assert fig.layout.xaxis.title.text.startswith("interaction log2FC")
    # a coefficient that is not a known level: said as such, not as target vs reference
    other = Contrast(id="x", formula="~ dose + arm", make_contrasts_str="dose")
    ctx.contrasts["x"] = other
    assert "positive log2FC = a positive coefficient" in ctx.describe_contrast("x")
    assert ctx.lfc_axis("x") == "log2 fold change (coefficient dose)"


def test_header_and_enrichment_intro_point_to_the_contrast_notes(tmp_path):
    from omics.report._sections import enrichment

    (tmp_path / "differential").mkdir()
    pd.DataFrame({"gene_id": ["g1"], "gene_name": ["VEGFA"], "baseMean": [10.0], "log2FoldChange": [1.0],
                  "lfcSE": [0.5], "stat": [2.0], "pvalue": [0.05], "padj": [0.1]}).to_csv(
        tmp_path / "differential" / "arm_x_response.rna.deseq2.results.tsv", sep="\t", index=False)
    (tmp_path / "enrichment").mkdir()
    pd.DataFrame({"term": ["GO:0001525_ANGIOGENESIS"], "collection": ["panel"], "size": [20], "es": [0.5],
                  "nes": [1.5], "pvalue": [0.01], "fdr": [0.05], "leading_edge": ["VEGFA"]}).to_csv(
        tmp_path / "enrichment" / "arm_x_response.rna.gsea.tsv", sep="\t", index=False)
    text = _text(enrichment(_ctx(tmp_path), Ids("e")))
    assert "NES > 0: the set is higher in the contrast's target level" not in text
    assert ("arm_x_response: positive = the responder vs non_responder log2 fold change is larger in "
            "BM-MNC than in placebo") in text


# --------------------------------------------------------------------------------------
# 7, 8, 9: methods and the flow MA axis
# --------------------------------------------------------------------------------------

def _gsea_tables(root: Path, panel: dict[str, int]) -> None:
    (root / "enrichment").mkdir(parents=True, exist_ok=True)
    (root / "differential").mkdir(parents=True, exist_ok=True)
    for modality, n in panel.items():
        method = "deseq2" if modality == "rna" else "limma"
        pd.DataFrame({"feature_id": ["f"]}).to_csv(
            root / "differential" / f"c1.{modality}.{method}.results.tsv", sep="\t", index=False)
        pd.DataFrame({"term": [f"T{i}" for i in range(n + 2)],
                      "collection": ["panel"] * n + ["background"] * 2}).to_csv(
            root / "enrichment" / f"c1.{modality}.gsea.tsv", sep="\t", index=False)


def test_methods_count_the_panel_sets_tested_per_modality(tmp_path):
    from omics.report._methods import methods

    _gsea_tables(tmp_path, {"rna": 11, "protein": 10})
    text = _text(methods(_ctx(tmp_path)))
    assert "the 11 GO angiogenesis sets (tested: 11 with RNA, 10 with protein; a set needs 10 ranked genes)" \
        in text
    assert "ranked by the Wald statistic (RNA) or the moderated t (protein)" in text


def test_methods_name_only_the_ranking_statistics_of_the_modalities_run(tmp_path):
    from omics.report._methods import methods

    _gsea_tables(tmp_path, {"protein": 10})
    text = _text(methods(_ctx(tmp_path)))
    assert "ranked by the moderated t (protein) and" in text and "Wald" not in text
    assert "tested: 10 with protein" in text


def test_flow_ma_plot_and_methods_say_log2_absolute_counts(tmp_path):
    import anndata as ad

    from omics.report._methods import methods
    from omics.report._sections import differential

    (tmp_path / "flow").mkdir()
    adata = ad.AnnData(np.zeros((2, 1)))
    adata.uns["absolute_unit"] = "cells_per_uL"
    adata.write_h5ad(tmp_path / "flow" / "flow.h5ad")
    (tmp_path / "differential").mkdir()
    pd.DataFrame({"feature_id": ["CD34", "CD133"], "gene_name": ["", ""], "logFC": [0.5, -0.2],
                  "AveExpr": [9.0, 6.0], "t": [2.0, -1.0], "P.Value": [0.01, 0.3], "adj.P.Val": [0.02, 0.3]}
                 ).to_csv(tmp_path / "differential" / "response_in_bmmnc.flow.limma.results.tsv", sep="\t",
                          index=False)
    ctx = _ctx(tmp_path)
    volcano, ma = _figures(differential(ctx, Ids("d")))
    assert ma["layout"]["xaxis"]["title"]["text"] == "mean log2 absolute count (cells/µL)"
    assert "Flow-cytometry populations were tested on log2 absolute counts" in _text(methods(ctx))


def test_methods_name_the_parent_gate_of_each_flow_score(tmp_path):
    """The flow scores are percentages of their parent gate: CD34 of LymphBlast is not ISHAGE's %."""
    import anndata as ad

    from omics.report._methods import methods

    populations = ["Leukocytes", "LymphBlast", "CD34", "CD34_KDR"]
    (tmp_path / "flow").mkdir()
    adata = ad.AnnData(np.zeros((2, 4)), var=pd.DataFrame(
        {"parent": pd.Categorical(["root", "Leukocytes", "LymphBlast", "CD34"])},
        index=pd.Index(populations, name="population")))
    adata.write_h5ad(tmp_path / "flow" / "flow.h5ad")
    (tmp_path / "scores").mkdir()
    pd.DataFrame({"modality": "flow", "score": [*populations, "dose:CD34_absolute"], "n": 8}).to_csv(
        tmp_path / "scores" / "response_model.tsv", sep="\t", index=False)
    text = _text(methods(_ctx(tmp_path)))
    assert ("log2 percentage of its parent gate (half an event added): Leukocytes of all events, "
            "LymphBlast of Leukocytes, CD34 of LymphBlast, CD34_KDR of CD34 (CD34 as a percentage "
            "of the lymph-blast gate, not the ISHAGE percentage") in text
    assert "The dose score (CD34_absolute) is the log10 absolute count" in text


# --------------------------------------------------------------------------------------
# 10: truncated galleries, figures and tables say so
# --------------------------------------------------------------------------------------

def test_gating_gallery_says_how_many_plots_it_shows_and_where_the_rest_are(tmp_path):
    from omics.report import _sections
    from omics.report._sections import flow_gating

    GATING_PLOTS = getattr(_sections, "GATING_PLOTS", 24)  # noqa: N806 - the page's constant

    folder = tmp_path / "flow" / "gating_plots"
    folder.mkdir(parents=True)
    png = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9aw"
                           "AAAABJRU5ErkJggg==")  # a 1x1 PNG
    for i in range(GATING_PLOTS + 6):
        (folder / f"BALI{i:03d}.png").write_bytes(png)
    markup = flow_gating(_ctx(tmp_path), Ids("f"))
    assert f"Showing {GATING_PLOTS} of {GATING_PLOTS + 6} gating plots" in markup
    assert "<code>flow/gating_plots/</code>" in markup
    assert markup.count("<figure>") == GATING_PLOTS


def test_running_scores_title_says_which_panel_sets_it_draws(tmp_path):
    import omics
    from omics.report import _sections
    from omics.report._sections import enrichment

    RUNNING_SETS = getattr(_sections, "RUNNING_SETS", 8)  # noqa: N806 - the page's constant

    panel = omics.datasets.genesets("go_angiogenesis")
    genes = sorted({g for members in panel.values() for g in members})
    rng = np.random.default_rng(2)
    stat = rng.normal(size=len(genes))
    (tmp_path / "differential").mkdir()
    pd.DataFrame({"gene_id": genes, "gene_name": genes, "baseMean": 100.0, "log2FoldChange": stat / 4,
                  "lfcSE": 0.25, "stat": stat, "pvalue": 0.5, "padj": 0.9}).to_csv(
        tmp_path / "differential" / "response_in_bmmnc.rna.deseq2.results.tsv", sep="\t", index=False)
    (tmp_path / "enrichment").mkdir()
    terms = list(panel)
    pd.DataFrame({"term": terms, "collection": "panel", "size": 20, "es": 0.3, "nes": 1.0,
                  "pvalue": np.linspace(0.01, 0.5, len(terms)), "fdr": 0.5, "leading_edge": ""}).to_csv(
        tmp_path / "enrichment" / "response_in_bmmnc.rna.gsea.tsv", sep="\t", index=False)
    running = [f for f in _figures(enrichment(_ctx(tmp_path), Ids("e")))
               if "running enrichment" in f["layout"]["title"]["text"]]
    assert running[0]["layout"]["title"]["text"] == (
        f"response_in_bmmnc.rna: running enrichment scores of the {RUNNING_SETS} panel sets with the "
        f"smallest p-value (of {len(terms)})")
    assert len([t for t in running[0]["data"] if t.get("showlegend", True)]) == RUNNING_SETS


def test_truncated_correlation_table_names_the_full_file(tmp_path):
    from omics.report._assets import MAX_ROWS
    from omics.report._sections import integration

    (tmp_path / "integration").mkdir()
    n = MAX_ROWS + 5
    pd.DataFrame({"gene_name": [f"G{i}" for i in range(n)], "spearman_rho": np.linspace(-1, 1, n),
                  "pvalue": np.linspace(0, 1, n), "fdr": np.linspace(0, 1, n)}).to_csv(
        tmp_path / "integration" / "mrna_protein_correlation.tsv", sep="\t", index=False)
    markup = integration(_ctx(tmp_path), Ids("i"))
    assert (f"Showing the first {MAX_ROWS:,} of {n:,} rows; the full table is "
            "<code>integration/mrna_protein_correlation.tsv</code>") in markup


# --------------------------------------------------------------------------------------
# 11: p-value columns, missing values
# --------------------------------------------------------------------------------------

def test_evidence_p_columns_get_the_p_value_renderer_and_missing_numbers_show_na():
    frame = pd.DataFrame({"score": ["a", "b", "c"], "p placebo arm": [8.01e-5, 0.2, 0.03],
                          "FDR BM-MNC arm": [0.01, 0.5, 0.2], "padj": [0.01, np.nan, 0.3],
                          "log2FoldChange": [1.0, np.nan, -1.0], "n": [1, 2, 3]})
    args = _dt_args(table(frame, Ids("t")))
    p_def, other_def = args["columnDefs"]
    assert p_def["targets"] == [1, 2, 3] and "< 1e-4" in p_def["render"]
    assert other_def["targets"] == [4] and "'NA'" in other_def["render"]
    assert p_def["type"] == other_def["type"] == "num-na"  # missing last, both directions
    assert "'NA'" in p_def["render"]
    assert "text_in_header_can_be_selected" not in args  # clicking the title sorts
    scripts = head_scripts()
    assert "order['num-na-asc']" in scripts and "order['num-na-desc']" in scripts


# --------------------------------------------------------------------------------------
# 12: cohort indicators, Kaplan-Meier labels
# --------------------------------------------------------------------------------------

def test_cohort_indicators_name_themselves():
    from omics.report._sections import covariate_summary

    row = covariate_summary("afs_event", pd.Series([1, 1, 0]), pd.Series(["bmmnc", "bmmnc", "placebo"]))
    assert row["bmmnc"] == "afs_event=1: 2 (100%)" and row["placebo"] == "afs_event=0: 1 (100%)"


def test_kaplan_meier_names_arms_as_the_page_does_and_gives_days(tmp_path):
    from omics.report._sections import response

    (tmp_path / "scores").mkdir()
    km = pd.DataFrame({"modality": "rna", "score": "GO:A", "arm": ["bmmnc", "bmmnc", "placebo", "placebo"],
                       "group": ["high", "low"] * 2, "time": [0, 0, 0, 0], "survival": [1.0] * 4,
                       "n_at_risk": [5] * 4})
    km.to_csv(tmp_path / "scores" / "km_curves.tsv", sep="\t", index=False)
    pd.DataFrame({"modality": "rna", "score": ["GO:A"], "fdr_screen": [0.1]}).to_csv(
        tmp_path / "scores" / "survival_model.tsv", sep="\t", index=False)
    figure = _figures(response(_ctx(tmp_path), Ids("r")))[-1]
    assert [t["name"] for t in figure["data"]] == ["BM-MNC, high score", "BM-MNC, low score",
                                                   "placebo, high score", "placebo, low score"]
    assert figure["layout"]["xaxis"]["title"]["text"] == "days (afs_days)"
    assert figure["layout"]["yaxis"]["title"]["text"] == "amputation-free survival"


# --------------------------------------------------------------------------------------
# Browser: a title click sorts, missing values last both ways
# --------------------------------------------------------------------------------------

@pytest.mark.slow
def test_clicking_a_column_title_sorts_and_missing_values_stay_last(tmp_path):
    if not (CHROMIUM and CHROMEDRIVER):
        if os.environ.get("OMICS_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium and chromedriver are required")
        pytest.skip("chromium/chromedriver not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    frame = pd.DataFrame({"gene": [f"g{i}" for i in range(8)],
                          "padj": [0.3, np.nan, 0.01, 2e-6, np.nan, 0.5, 0.04, 0.2]})
    page = tmp_path / "t.html"
    page.write_text(f"<!DOCTYPE html><html><head><meta charset='utf-8'>{head_scripts()}</head><body>"
                    f"{table(frame, Ids('t'), page_length=10)}</body></html>")
    options = Options()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1200,900"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        driver.get(page.as_uri())
        WebDriverWait(driver, 60).until(lambda d: d.execute_script(
            "return document.querySelector('table.dataTable') !== null"))
        header = driver.find_elements(By.CSS_SELECTOR, "table.dataTable thead th")[1]
        title = header.find_element(By.CSS_SELECTOR, ".dt-column-title")
        column = ("return [...document.querySelectorAll('table.dataTable tbody tr td:nth-child(2)')]"
                  ".map(c => c.textContent)")
        shown = []
        for direction in ("ascending", "descending"):
            title.click()
            WebDriverWait(driver, 10).until(lambda d, s=direction: header.get_attribute("aria-sort") == s)
            shown.append(driver.execute_script(column))
        assert shown[0] == ["< 1e-4", "0.010", "0.040", "0.20", "0.30", "0.50", "NA", "NA"]
        assert shown[1] == ["0.50", "0.30", "0.20", "0.040", "0.010", "< 1e-4", "NA", "NA"]
        errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
        assert not errors, errors
    finally:
        driver.quit()


def test_methods_state_the_cross_validation_folds_the_models_used():
    import pandas as pd

    from omics.report._methods import _folds_used

    model = pd.DataFrame({"cv_folds_pooled": [20, 20], "cv_folds_treated": [7, 7],
                          "cv_folds_control": [7, 0]})
    assert _folds_used(model, 30).startswith("7 or 20-fold (30 folds asked;")
    assert _folds_used(model.assign(cv_folds_pooled=5, cv_folds_treated=5, cv_folds_control=5), 5) == "5-fold"
