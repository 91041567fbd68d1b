"""The report escapes data, states the run's parameters truthfully and names what it shows.

Findings F1-F7 of the report audit h41. Each test builds the smallest result files the
report reads (one small folder per module) and checks the page: escaped values present,
markup from the data absent, one-line errors, headings and titles. Tests named
``..._control`` check behaviour that already held and must keep holding.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from helpers import assert_input_error, raises_one_line, run_omics
from omics.io._contrasts import Contrast
from omics.report import _figures as figs
from omics.report._assets import Ids
from omics.report._context import Context
from omics.report._discover import Results

XSS = "<img src=x onerror=alert(1)>"
AMP = "hot&co"


def _ctx(root: Path, obs: pd.DataFrame | None = None, contrasts: dict | None = None,
         params: dict | None = None) -> Context:
    from omics.params import defaults

    return Context(results=Results(root), params={**defaults(), **(params or {})},
                   obs=pd.DataFrame() if obs is None else obs, contrasts=contrasts or {})


def _figures(markup: str) -> list[dict]:
    return [json.loads(payload.replace("<\\/", "</")) for payload in re.findall(
        r"<script type='application/json' id='[^']+-json'>(.*?)</script>", markup, flags=re.S)]


def _text(markup: str) -> str:
    markup = re.sub(r"<script.*?</script>", "", markup, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", markup)))


def _de_table(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"gene_id": ["g1", "g2", "g3"], "gene_name": ["VEGFA", "KDR", "FLT1"],
                  "baseMean": [10.0, 20.0, 30.0], "log2FoldChange": [1.0, -1.0, 0.2],
                  "lfcSE": [0.5] * 3, "stat": [3.0, -3.0, 0.4], "pvalue": [0.001, 0.002, 0.7],
                  "padj": [0.01, 0.02, 0.7]}).to_csv(path, sep="\t", index=False)


def _gsea_table(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"term": ["GO:0001525_ANGIOGENESIS"], "collection": ["panel"], "size": [20],
                  "es": [0.5], "nes": [1.5], "pvalue": [0.01], "fdr": [0.05],
                  "leading_edge": ["VEGFA"]}).to_csv(path, sep="\t", index=False)


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    """A small results folder: one DE and GSEA table, a concordance summary, score tables."""
    root = tmp_path_factory.mktemp("h41") / "results"
    _de_table(root / "differential" / "c1.rna.deseq2.results.tsv")
    _gsea_table(root / "enrichment" / "c1.rna.gsea.tsv")
    (root / "integration").mkdir()
    pd.DataFrame({"contrast": ["c1"], "n_genes": [3], "spearman_log2fc": [0.5], "sign_agreement": [1.0],
                  "n_significant_both": [1], "sign_agreement_significant": [1.0]}).to_csv(
        root / "integration" / "concordance_summary.tsv", sep="\t", index=False)
    return root


def _with_record(results: Path, target: Path, record: str) -> Path:
    """A copy of ``results`` with ``pipeline_info/params.yaml`` holding ``record``."""
    import shutil

    shutil.copytree(results, target)
    (target / "pipeline_info").mkdir()
    (target / "pipeline_info" / "params.yaml").write_text(record)
    return target


def _files(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


# --------------------------------------------------------------------------------------
# F1: every value from the sample sheet or contrasts is escaped in the page's HTML
# --------------------------------------------------------------------------------------

def test_contrast_levels_with_markup_or_ampersand_are_escaped_in_the_notes(results):
    from omics.report._sections import differential, enrichment

    contrasts = {"c1": Contrast(id="c1", variable="grp", reference=AMP, target=XSS, blocking=("b<i>",),
                                exclude_samples_col="site", exclude_samples_values=("<b>x</b>",))}
    ctx = _ctx(results, contrasts=contrasts)
    note = ctx.describe_contrast("c1")
    assert "<img" not in note and "<b>" not in note and "<i>" not in note
    assert "&lt;img src=x onerror=alert(1)&gt;" in note and "hot&amp;co" in note
    assert html.unescape(note) == (f"grp: {XSS} vs {AMP} (positive log2FC = higher in {XSS}), adjusted "
                                   "for b<i>; excluding site = <b>x</b>")
    for section in (differential, enrichment):
        markup = re.sub(r"<script.*?</script>", "", section(ctx, Ids("x")), flags=re.S)
        assert "<img" not in markup and "onerror=alert(1)>" not in markup
        assert f"higher in {XSS}" in _text(markup)


def test_a_formula_contrast_note_escapes_its_formula_and_levels(results):
    obs = pd.DataFrame({"arm": ["a&b", "c"] * 2, "grp": [XSS, "lo"] * 2}, index=list("ABCD"))
    contrasts = {"c1": Contrast(id="c1", formula="~ grp", make_contrasts_str=f"grp{XSS}")}
    note = _ctx(results, obs=obs, contrasts=contrasts).describe_contrast("c1")
    assert "<img" not in note and "&lt;img" in note
    assert "<code>~ grp</code>" in note  # the page's own markup stays


# --------------------------------------------------------------------------------------
# F4: plotly texts show the literal ids (plotly reads its texts as markup)
# --------------------------------------------------------------------------------------

SAMPLE = "S1<b>&amp;x"


def test_figure_labels_titles_and_axes_are_escaped_for_plotly():
    de = pd.DataFrame({"gene_id": ["g1", "g2"], "gene_name": [SAMPLE, "KDR"], "baseMean": [10.0, 20.0],
                       "log2FoldChange": [2.0, -1.0], "lfcSE": [0.5, 0.5], "stat": [4.0, -2.0],
                       "pvalue": [1e-5, 0.04], "padj": [1e-4, 0.04]})
    escaped = "S1&lt;b&gt;&amp;amp;x"
    volcano = figs.volcano(de, fdr=0.05, title=f"c1 {AMP}", xlabel=f"log2 fold change ({XSS} / lo)")
    spec = volcano.to_plotly_json()
    texts = [t for trace in spec["data"] for t in trace.get("text", [])]
    assert escaped in texts and SAMPLE not in texts
    assert escaped in [a["text"] for a in spec["layout"]["annotations"]]
    axis = spec["layout"]["xaxis"]["title"]["text"]
    assert axis == "log2 fold change (&lt;img src=x onerror=alert(1)&gt; / lo)"
    assert spec["layout"]["title"]["text"] == "c1 hot&amp;co"

    matrix = pd.DataFrame([[1.0, 2.0], [3.0, 1.0]], index=[SAMPLE, "KDR"], columns=["A&B", "C"])
    heat = figs.heatmap(matrix, pd.Series([XSS, "lo"], index=["A&B", "C"]), title="t").to_plotly_json()
    assert heat["data"][0]["x"][0] == "A&amp;B (&lt;img src=x onerror=alert(1)&gt;)"
    assert escaped in list(heat["data"][0]["y"])

    pcs = pd.DataFrame({"sample": [SAMPLE, "S2"], "PC1": [0.1, 0.2], "PC2": [0.3, 0.1], "grp": [XSS, "lo"]})
    pca = figs.pca(pcs, color="grp", variance=None, title="rna PCA").to_plotly_json()
    names = [trace["name"] for trace in pca["data"]]
    assert "&lt;img src=x onerror=alert(1)&gt;" in names and XSS not in names
    assert escaped in [t for trace in pca["data"] for t in trace["text"]]
    assert all(XSS not in trace["hovertemplate"] for trace in pca["data"])


def test_plain_figure_labels_are_unchanged_control():
    pcs = pd.DataFrame({"sample": ["S1", "S2"], "PC1": [0.1, 0.2], "PC2": [0.3, 0.1], "arm": ["bmmnc", "x"]})
    spec = figs.pca(pcs, color="arm", variance=None, title="rna PCA by arm").to_plotly_json()
    assert [t["name"] for t in spec["data"]] == ["bmmnc", "x"]
    assert spec["layout"]["title"]["text"] == "rna PCA by arm"


# --------------------------------------------------------------------------------------
# F2: `omics report` states the run's recorded parameters; a different given value stops it
# --------------------------------------------------------------------------------------

RECORD = "de_fdr: 0.05\nresponse_multiplicity: bh\ngsea_min_size: 15\nde_fdr_unused: 1\nseed: null\n"


def test_a_given_analysis_option_that_differs_from_the_record_stops_the_report(results, tmp_path):
    from omics.params import defaults
    from omics.stages import report

    run = _with_record(results, tmp_path / "run", RECORD)
    out = tmp_path / "out"
    for name, value, needles in (("de_fdr", 0.1, ("0.1", "0.05")),
                                 ("response_multiplicity", "none", ("'none'", "'bh'")),
                                 ("gsea_min_size", 10 + 1, ("11", "15")),
                                 ("seed", 7, ("7", "42"))):  # recorded null: the default ran
        raises_one_line(lambda n=name, v=value: report(results_dir=run, outdir=out,
                                                       params={**defaults(), n: v}, recorded=True),
                        name, *needles, "params.yaml", "Rerun the analysis with", "or leave")
    assert not out.exists()


def test_cli_report_with_a_differing_option_exits_2_and_writes_nothing(results, tmp_path):
    run = _with_record(results, tmp_path / "run", RECORD)
    out = tmp_path / "out"
    line = assert_input_error(run_omics("report", "--results_dir", str(run), "--de_fdr", "0.1",
                                        "--outdir", str(out)), out)
    assert "--de_fdr 0.1 differs from the run's recorded 0.05" in line and "leave --de_fdr out" in line
    before = _files(run)  # into the results folder itself: nothing written either
    assert_input_error(run_omics("report", "--results_dir", str(run), "--response_multiplicity", "none"),
                       tmp_path / "nothing")
    assert _files(run) == before


def test_gene_set_files_given_elsewhere_are_accepted_but_other_files_stop(results, tmp_path):
    from omics.params import defaults
    from omics.stages._report import _recorded_params

    run = _with_record(results, tmp_path / "run", "genesets: /data/sets/panel.gmt\n")
    staged = _recorded_params(run, {**defaults(), "genesets": "genesets/1/panel.gmt"})
    assert staged["genesets"] == "genesets/1/panel.gmt"  # where the report reads them now
    raises_one_line(lambda: _recorded_params(run, {**defaults(), "genesets": "other.gmt"}),
                    "genesets", "'other.gmt'", "'/data/sets/panel.gmt'")


def test_recorded_values_win_and_equal_given_values_pass_control(results, tmp_path):
    from omics.params import defaults
    from omics.report._methods import methods
    from omics.stages import report

    run = _with_record(results, tmp_path / "run", "de_fdr: 0.1\ngsea_min_size: 15\nn_cpus: 8\n")
    page = report(results_dir=run, outdir=tmp_path / "out", params={**defaults(), "gsea_min_size": 15,
                                                                     "n_cpus": 1},
                  recorded=True)["html"].read_text()
    text = _text(page)
    assert "over-representation of the features at FDR < 0.1 by" in text
    assert "a set needs 15 ranked genes" in text and "Parameters of this run" in text
    assert "genes with adjusted p < 0.1 in both modalities" in text
    assert "†" not in _text(methods(_ctx(results)))


# --------------------------------------------------------------------------------------
# F3: without pipeline_info/params.yaml the page says the run's parameters are unknown
# --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def unrecorded_page(results, tmp_path_factory) -> str:
    from omics.params import defaults
    from omics.stages import report

    out = tmp_path_factory.mktemp("unrecorded")
    return report(results_dir=results, outdir=out, params=defaults(), recorded=True)["html"].read_text()


def test_without_a_record_the_parameters_table_is_not_called_the_runs(unrecorded_page):
    assert "Parameters of this run" not in unrecorded_page
    summary = "<summary>Parameters given to this report (the run's were not recorded)</summary>"
    assert summary in unrecorded_page
    text = _text(unrecorded_page)
    assert "The run's parameters were not recorded (no pipeline_info/params.yaml" in text


def test_without_a_record_the_methods_and_notes_say_which_values_were_given(unrecorded_page):
    text = _text(unrecorded_page)
    assert ("over-representation of the features at the FDR given to this report (0.05; the run's was "
            "not recorded)") in text
    assert "over-representation of the features at FDR < 0.05" not in text
    assert "with 1000† gene permutations (seed 42†)" in text
    assert ("n_significant_both: genes with adjusted p < the FDR given to this report (0.05; the run's "
            "was not recorded) in both modalities") in text


def test_omics_run_states_its_own_parameters_control(results, tmp_path):
    from omics.params import defaults
    from omics.stages import report

    page = report(results_dir=results, outdir=tmp_path, params=defaults())["html"].read_text()
    assert "<summary>Parameters of this run</summary>" in page and "not recorded" not in page


# --------------------------------------------------------------------------------------
# F5: the heatmap groups are spelled as the contrast's levels
# --------------------------------------------------------------------------------------

def test_heatmap_groups_of_a_number_like_factor_keep_the_contrasts_spelling(results):
    from omics.report._sections import _contrast_groups

    obs = pd.DataFrame({"site": [1.0, 2.0, 1.0, 3.0]}, index=list("ABCD"))
    contrasts = {"site": Contrast(id="site", variable="site", reference="02", target="01")}
    groups = _contrast_groups(_ctx(results, contrasts=contrasts), "site", obs)
    assert groups.tolist() == ["01", "02", "01", "3"]


def test_heatmap_groups_of_a_text_factor_are_its_values_control(results):
    from omics.report._sections import _contrast_groups

    obs = pd.DataFrame({"grp": ["a&b", "01", "a&b"]}, index=list("ABC"))
    contrasts = {"grp": Contrast(id="grp", variable="grp", reference="01", target="a&b")}
    assert _contrast_groups(_ctx(results, contrasts=contrasts), "grp", obs).tolist() == ["a&b", "01", "a&b"]


# --------------------------------------------------------------------------------------
# F6, F7: headings and title
# --------------------------------------------------------------------------------------

def test_enrichment_heading_of_a_dotted_contrast_id_splits_off_the_modality_only(tmp_path):
    from omics.report._sections import enrichment

    _de_table(tmp_path / "differential" / "resp.v2.rna.deseq2.results.tsv")
    _gsea_table(tmp_path / "enrichment" / "resp.v2.rna.gsea.tsv")
    headings = re.findall(r"<h3>(.*?)</h3>", enrichment(_ctx(tmp_path), Ids("e")))
    assert headings == ["resp.v2 · rna"]


def test_a_scores_only_folder_is_titled_as_its_section(tmp_path):
    from omics.report import build_report

    (tmp_path / "scores").mkdir()
    pd.DataFrame({"modality": ["rna", "protein"], "score": ["GO:1_A", "GO:2_B"],
                  "classification": ["none", "none"]}).to_csv(
        tmp_path / "scores" / "response_model.tsv", sep="\t", index=False)
    page = build_report(tmp_path, tmp_path / "index.html").read_text()
    title = re.search(r"<title>(.*?)</title>", page).group(1)
    assert title == "Angiogenic scores and response: proteomic + transcriptomic report"
    assert "<h2>Angiogenic scores and response</h2>" in page
