"""The report as a clinician or biostatistician reads it (audit h44, area reader).

Findings 1-10 of ``h44_reader``: no upload path on the figures (2), a "Main findings"
section with each model's calls in plain words (1), truncated tables that say so (3),
the survival forest's separated and unbounded estimates (4, 5), concordance legend
counts (6), nav jumps (7), long contrast ids in figure titles (8), accessibility (9) and
small wording fixes (10). Each test builds the smallest result files the report reads.
Tests named ``..._control`` check behaviour that already held and must keep holding.
"""

from __future__ import annotations

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
from omics.report._assets import Ids, render_script
from omics.report._context import Context
from omics.report._discover import Results

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

BALI_OBS = pd.DataFrame({"arm": ["bmmnc", "placebo"] * 4,
                         "response": ["responder", "responder", "non_responder", "non_responder"] * 2},
                        index=[f"S{i}" for i in range(8)])
LONG = "response_in_bmmnc_patients_with_rutherford_5_or_6_and_no_prior_revascularisation_and_diabetes"
CONTRASTS = {f"{LONG}_{i}": Contrast(id=f"{LONG}_{i}", variable="response", reference="non_responder",
                                     target="responder") for i in (0, 1)}


def _ctx(root: Path, params: dict | None = None, obs: pd.DataFrame | None = None,
         contrasts: dict | None = None) -> Context:
    from omics.params import defaults

    return Context(results=Results(root), params={**defaults(), **(params or {})},
                   obs=BALI_OBS if obs is None else obs, contrasts=contrasts or {})


def _figures(markup: str) -> list[dict]:
    return [json.loads(payload.replace("<\\/", "</")) for payload in re.findall(
        r"<script type='application/json' id='[^']+-json'>(.*?)</script>", markup, flags=re.S)]


def _text(markup: str) -> str:
    markup = re.sub(r"<script.*?</script>", "", markup, flags=re.S)
    text = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup)))
    return re.sub(r" +", " ", re.sub(r" ([,.;:)])", r"\1", text))


def _row(kind: str, modality: str, score: str, classification: str, direction: str = "up_in_responders",
         **values: float) -> dict:
    """One row of a response (``or``) or survival (``hr``) model table, as the score stage writes it."""
    ratio = "or" if kind == "response" else "hr"
    row = {"modality": modality, "score": score, "n": 40}
    for effect, (est, low, high, p) in {"control": (1.1, 0.5, 2.4, 0.6), "treated": (1.2, 0.6, 2.5, 0.5),
                                        "pooled": (1.15, 0.7, 1.9, 0.55),
                                        "interaction": (1.05, 0.3, 3.1, 0.9)}.items():
        row[f"{ratio}_{effect}"], row[f"{ratio}_{effect}_low"], row[f"{ratio}_{effect}_high"] = est, low, high
        row[f"p_{effect}"] = p
    row.update({"fdr_pooled": 0.7, "fdr_interaction": 0.9, "fdr_control": 0.7, "fdr_treated": 0.7,
                "fdr_screen": 0.7, "separation": np.nan, "classification": classification,
                "direction": direction})
    if kind == "response":
        row.update({f"fit_{e}": "firth" for e in ("control", "treated", "pooled", "interaction")})
        row["cv_auc_pooled"] = 0.61
    row.update(values)
    return row


def _write(root: Path, response: list[dict] | None, survival: list[dict] | None) -> Path:
    (root / "scores").mkdir(parents=True, exist_ok=True)
    for name, rows in (("response_model.tsv", response), ("survival_model.tsv", survival)):
        if rows is not None:
            pd.DataFrame(rows).to_csv(root / "scores" / name, sep="\t", index=False)
    return root


# --------------------------------------------------------------------------------------
# 2: no upload path
# --------------------------------------------------------------------------------------

def test_plots_are_drawn_without_the_share_chart_button_or_a_cloud_url():
    script = render_script()
    config = json.loads(re.search(r"var CONFIG = (\{.*?\});", script).group(1))
    assert config["showSendToCloud"] is False
    assert config["plotlyServerURL"] == ""
    assert "sendChartToCloud" in config["modeBarButtonsToRemove"]
    assert config["displaylogo"] is False
    assert "Plotly.newPlot(div, spec.data, spec.layout, CONFIG)" in script


# --------------------------------------------------------------------------------------
# 1: main findings
# --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def both_models(tmp_path_factory) -> Path:
    """Response calls one rna score; survival calls another; protein: nothing in either."""
    root = tmp_path_factory.mktemp("h44") / "results"
    response = [_row("response", "rna", "GO:1_SPROUTING", "predictive", or_treated=7.75,
                     or_treated_low=1.833, or_treated_high=120.05, p_treated=0.00111, fdr_treated=0.00431,
                     or_control=0.342, or_control_low=0.0762, or_control_high=1.1, p_control=0.072,
                     fdr_control=0.11, or_interaction=57.1, or_interaction_low=4.99,
                     or_interaction_high=np.inf, p_interaction=2.6e-5, fdr_interaction=0.00028,
                     fdr_screen=0.00431, cv_auc_pooled=0.875),
                _row("response", "rna", "GO:2_HYPOXIA", "none"),
                _row("response", "protein", "GO:1_SPROUTING", "none")]
    survival = [_row("survival", "rna", "GO:1_SPROUTING", "predictive"),
                _row("survival", "rna", "GO:2_HYPOXIA", "prognostic", hr_control=0.185,
                     hr_control_low=0.0469, hr_control_high=0.732, p_control=0.0022, fdr_control=0.0095,
                     hr_treated=np.nan, hr_treated_low=np.nan, hr_treated_high=np.nan, p_treated=0.00013,
                     separation="treated", fdr_screen=0.0095),
                _row("survival", "protein", "GO:1_SPROUTING", "none")]
    return _write(root, response, survival)


def test_main_findings_name_each_called_score_with_its_effects_and_tests(both_models):
    from omics.report._sections import findings

    text = _text(findings(_ctx(both_models), Ids("m")))
    assert "Response at 6 months (logistic model, odds ratios)" in text
    assert "Amputation-free survival (Cox model" in text
    # the response call: class, direction in words, each arm's OR (CI), p and FDR, the interaction
    assert "GO:1_SPROUTING" in text and "predictive" in text
    assert "up_in_responders: higher score, more response" in text
    assert "OR 7.75 (1.83-120)" in text and "p 0.0011 · FDR 0.0043" in text
    assert "OR 0.342 (0.0762-1.1)" in text and "p 0.072 · FDR 0.11" in text
    assert "ratio 57.1 (4.99-inf)" in text and "p < 1e-4 · FDR 0.00028" in text
    assert "0.88" in text  # cv_auc_pooled 0.875 as the table holds it, 2 digits
    assert "Firth-penalised likelihood-ratio tests" in text and "Rao score test" in text
    assert "Efron score tests" in text and "partial-likelihood-ratio test" in text
    # the tables it comes from
    assert "scores/response_model.tsv" in text and "scores/survival_model.tsv" in text
    # survival: a prognostic call whose treated-arm HR is not estimable (separated)
    assert "higher score, longer survival (HR < 1)" in text
    assert "HR not estimable (separated)" in text and "HR 0.185 (0.0469-0.732)" in text
    # modalities without a call, and the disagreement of the two models
    assert "No score is called in protein" in text
    assert ("The two models call 1 of 3 scores differently: rna GO:2_HYPOXIA (response: none, "
            "survival: prognostic)") in text


def test_a_model_that_calls_nothing_says_so_while_the_other_lists_its_calls(tmp_path):
    from omics.report._sections import findings

    root = _write(tmp_path, [_row("response", "rna", f"GO:{i}_SET", "none") for i in range(3)],
                  [_row("survival", "rna", "GO:0_SET", "treated_only", hr_treated=0.1, hr_treated_low=0.02,
                        hr_treated_high=0.5, fdr_treated=0.004),
                   *[_row("survival", "rna", f"GO:{i}_SET", "none") for i in (1, 2)]])
    markup = findings(_ctx(root), Ids("m"))
    text = _text(markup)
    response, survival = text.split("Amputation-free survival (Cox model")
    assert "No score is called predictive, prognostic or treated_only by this model (3 scores of rna)" \
        in response
    assert "GO:0_SET" in survival and "treated_only" in survival and "HR 0.1 (0.02-0.5)" in survival
    assert "The two models call 1 of 3 scores differently" in text


def test_main_findings_are_first_in_the_page_and_its_nav(both_models, tmp_path):
    from omics.report import build_report

    page = build_report(both_models, tmp_path / "index.html").read_text()
    nav = re.search(r"<nav>(.*?)</nav>", page).group(1)
    assert nav.startswith("<a href='#findings'>Main findings</a>")
    assert page.index("<section id='findings'>") < page.index("<section id='response'>")
    assert "Classes (survival model): " in page


def test_main_findings_list_at_most_a_capped_number_and_point_to_the_table(tmp_path):
    from omics.report._sections import FINDINGS_ROWS, findings

    rows = [_row("response", "rna", f"GO:{i:02d}_SET", "treated_only", fdr_screen=0.001 * (i + 1))
            for i in range(FINDINGS_ROWS + 3)]
    text = _text(findings(_ctx(_write(tmp_path, rows, None)), Ids("m")))
    assert f"GO:{FINDINGS_ROWS - 1:02d}_SET" in text and f"GO:{FINDINGS_ROWS:02d}_SET" not in text
    assert "3 more called scores are not listed here" in text and "scores/response_model.tsv" in text


def test_main_findings_cut_the_weakest_screens_of_all_modalities_not_a_later_modality(tmp_path):
    """Review h44: the cap came after grouping by modality, dropping the strongest call of the last one."""
    from omics.report._sections import FINDINGS_ROWS, findings

    rows = [_row("survival", "rna", f"GO:{i:02d}_SET", "prognostic", fdr_screen=0.01 + 0.001 * i)
            for i in range(FINDINGS_ROWS)]
    rows.append(_row("survival", "flow", "CD34_KDR", "predictive", "down_in_responders",
                     fdr_screen=0.0034))
    text = _text(findings(_ctx(_write(tmp_path, None, rows)), Ids("m")))
    assert "CD34_KDR" in text and f"GO:{FINDINGS_ROWS - 1:02d}_SET" not in text
    assert (f"1 more called score is not listed here (the {FINDINGS_ROWS} with the strongest screen "
            "are)") in text
    # the direction names the arm whose slope it is
    assert "higher score, shorter survival (HR > 1) in the BM-MNC arm" in text


# --------------------------------------------------------------------------------------
# 3: truncated tables say so
# --------------------------------------------------------------------------------------

def _big_de(root: Path, n: int = 1005) -> None:
    path = root / "differential" / "c1.rna.deseq2.results.tsv"
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    p = np.sort(rng.uniform(size=n))
    pd.DataFrame({"gene_id": [f"g{i}" for i in range(n)], "gene_name": [f"G{i}" for i in range(n)],
                  "baseMean": rng.uniform(10, 100, n), "log2FoldChange": rng.normal(size=n),
                  "lfcSE": 0.5, "stat": rng.normal(size=n), "pvalue": p,
                  "padj": np.minimum(p * 10, 1)}).to_csv(path, sep="\t", index=False)


def test_a_truncated_differential_table_says_top_n_of_all_and_where_the_rest_are(tmp_path):
    from omics.report._sections import differential

    _big_de(tmp_path)
    markup = differential(_ctx(tmp_path), Ids("d"))
    summary = re.search(r"<summary>(.*?)</summary>", markup).group(1)
    assert _text(summary).strip() == ("Top 1,000 of 1,005 features by p-value (the other 5 are in "
                                      "differential/c1.rna.deseq2.results.tsv)")
    details = markup[markup.index("<details>"):]
    assert details.index("Showing the first 1,000 of 1,005 rows") < details.index("<table")
    assert "No match among the 1,000 rows shown (of 1,005); the full table is " \
           "differential/c1.rna.deseq2.results.tsv" in details


def test_a_whole_differential_table_says_how_many_rows_it_holds(tmp_path):
    from omics.report._sections import differential

    _big_de(tmp_path, n=20)
    markup = differential(_ctx(tmp_path), Ids("d"))
    assert "<summary>Full table (20 features, sorted by p-value)</summary>" in markup
    assert "zeroRecords" not in markup


# --------------------------------------------------------------------------------------
# 4, 5: forest plot
# --------------------------------------------------------------------------------------

def _forest_model() -> pd.DataFrame:
    return pd.DataFrame([
        {"score": "GO:1_A", "classification": "treated_only", "direction": "up_in_responders",
         "hr_treated": np.nan, "hr_treated_low": np.nan, "hr_treated_high": np.nan,
         "hr_control": 0.5, "hr_control_low": 0.2, "hr_control_high": 1.2},
        {"score": "GO:2_B", "classification": "none", "direction": "up_in_responders",
         "hr_treated": 3.0, "hr_treated_low": 1.5, "hr_treated_high": np.inf,
         "hr_control": 0.8, "hr_control_low": 0.0, "hr_control_high": 2.0}])


def test_a_separated_fit_without_an_estimate_is_an_open_marker_at_the_edge_of_its_side():
    model = _forest_model()
    flagged = pd.DataFrame({"hr_treated": [True, False], "hr_control": [False, False]})
    fig = figs.forest(model, [("hr_treated", "BM-MNC arm"), ("hr_control", "placebo arm")], ratio="HR",
                      title="t", flagged=flagged)
    treated = fig.data[0]
    lo = 10 ** fig.layout.xaxis.range[0]
    # treated_only, up_in_responders, HR: a higher score goes with longer survival, HR < 1: left edge
    assert treated.x[0] == pytest.approx(lo)
    assert treated.marker.symbol[0] == "circle-open"
    assert "not estimable" in treated.text[0]
    assert "(BM-MNC arm: HR not estimable, separated)" in fig.layout.yaxis.ticktext[0]
    arrows = [a for a in fig.layout.annotations if a.showarrow]
    assert any(a.x == pytest.approx(np.log10(lo)) and a.y == pytest.approx(treated.y[0])
               and a.ax > 0 for a in arrows)


def test_unbounded_interval_ends_get_an_arrow_at_the_axis_edge():
    model = _forest_model()
    fig = figs.forest(model, [("hr_treated", "BM-MNC arm"), ("hr_control", "placebo arm")], ratio="HR",
                      title="t")
    lo, hi = (10 ** v for v in fig.layout.xaxis.range)
    arrows = [a.to_plotly_json() for a in fig.layout.annotations if a.showarrow]
    treated_y, control_y = fig.data[0].y[1], fig.data[1].y[1]
    # BM-MNC upper end inf: arrow pointing right at the right edge; placebo lower end 0: pointing left
    assert any(a["x"] == pytest.approx(np.log10(hi)) and a["y"] == pytest.approx(treated_y) and a["ax"] < 0
               for a in arrows)
    assert any(a["x"] == pytest.approx(np.log10(lo)) and a["y"] == pytest.approx(control_y) and a["ax"] > 0
               for a in arrows)
    assert len(arrows) == 2  # the NaN row without separation draws nothing
    assert "arrow: interval unbounded" in fig.layout.xaxis.title.text


# --------------------------------------------------------------------------------------
# 6: concordance legend
# --------------------------------------------------------------------------------------

def test_concordance_legend_counts_add_up_to_the_same_direction_genes():
    joined = pd.DataFrame({"gene_name": list("ABCDEF"), "rna_log2fc": [1, 1, -1, 1, 1, -1],
                           "protein_log2fc": [1, 2, 1, -1, 1, -1],
                           "rna_padj": [0.01, 0.5, 0.5, 0.5, 0.01, 0.5],
                           "protein_padj": [0.01, 0.5, 0.5, 0.5, 0.01, 0.5],
                           "concordant": [True, True, False, False, True, True]})
    fig = figs.concordance(joined, title="c1", fdr=0.05)
    names = [t.name for t in fig.data]
    assert names == ["same direction, not significant in both: 2",
                     "opposite direction, not significant in both: 2",
                     "significant in both (FDR < 0.05; all same direction): 2"]
    assert fig.layout.title.text.endswith("6 genes, 4 same direction")


# --------------------------------------------------------------------------------------
# 7, 8: nav jumps, long contrast ids
# --------------------------------------------------------------------------------------

def test_nav_jumps_leave_room_for_the_sticky_nav():
    from omics.report._html import _STYLE

    assert re.search(r"section[^{]*\{[^}]*scroll-margin-top", _STYLE)


def test_long_contrast_ids_keep_their_distinguishing_end_and_the_count_in_figure_titles(tmp_path):
    from omics.report._sections import differential

    for i in (0, 1):
        path = tmp_path / "differential" / f"{LONG}_{i}.rna.deseq2.results.tsv"
        path.parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame({"gene_id": ["g1", "g2"], "gene_name": ["A", "B"], "baseMean": [10.0, 20.0],
                      "log2FoldChange": [1.0, -1.0], "lfcSE": 0.5, "stat": [3.0, -3.0],
                      "pvalue": [0.001, 0.5], "padj": [0.01, 0.5]}).to_csv(path, sep="\t", index=False)
    markup = differential(_ctx(tmp_path, contrasts=CONTRASTS), Ids("d"))
    titles = [f["layout"]["title"]["text"] for f in _figures(markup)]
    volcanoes = [t for t in titles if "at FDR" in t]
    assert len(volcanoes) == 2
    for i, title in zip((0, 1), volcanoes, strict=True):
        assert len(title) <= 80, title
        assert f"_{i} · rna: 1 feature at FDR &lt; 0.05" in title  # the suffix, the count, one feature
    assert f"<h3 id='de-{LONG}_0-rna'>{LONG}_0 · rna</h3>" in markup  # the heading keeps the whole id


# --------------------------------------------------------------------------------------
# 9: accessibility
# --------------------------------------------------------------------------------------

def test_each_figure_has_an_image_role_and_its_title_as_label(tmp_path):
    from omics.report._sections import differential

    _big_de(tmp_path, n=20)
    markup = differential(_ctx(tmp_path), Ids("d"))
    divs = re.findall(r"<div class='plot'[^>]*>", markup)
    assert divs and all("role='img'" in d and "aria-label='Figure: " in d for d in divs)
    assert "aria-label='Figure: c1 · rna: MA plot'" in markup


def test_table_header_cells_have_a_scope(tmp_path):
    from omics.report._sections import cohort, differential

    _big_de(tmp_path, n=20)
    markup = differential(_ctx(tmp_path), Ids("d")) + cohort(_ctx(tmp_path), Ids("c"))
    static = "".join(re.findall(r"<table[^>]*class=\"[^\"]*static[^\"]*\".*?</table>", markup, flags=re.S))
    cells = re.findall(r"<th\b[^>]*>", static)
    assert cells and all("scope=" in c for c in cells), [c for c in cells if "scope=" not in c][:3]
    assert "arm \\ response" in markup  # the crosstab has one header row


def _deutan_delta_e(a: str, b: str) -> float:
    """ΔE76 of two colours as a deuteranope sees them (Machado et al. 2009, severity 1)."""
    m = np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                  [-0.011820, 0.042940, 0.968881]])

    def lin(c: str) -> np.ndarray:
        v = np.array([int(c[i:i + 2], 16) for i in (1, 3, 5)]) / 255
        return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)

    def lab(v: np.ndarray) -> np.ndarray:
        x = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ v
        x = x / np.array([0.95047, 1, 1.08883])
        f = np.where(x > 0.008856, np.cbrt(x), 7.787 * x + 16 / 116)
        return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])

    return float(np.linalg.norm(lab(np.clip(m @ lin(a), 0, 1)) - lab(np.clip(m @ lin(b), 0, 1))))


def test_forest_interaction_colour_is_told_from_the_bmmnc_arm_under_deuteranopia():
    treated = figs.effect_color("or_treated", 0)
    interaction = figs.effect_color("or_interaction", 3)
    assert _deutan_delta_e(treated, interaction) > 20
    others = (figs.effect_color(p, 0) for p in ("or_control", "or_pooled"))
    assert min(_deutan_delta_e(interaction, other) for other in others) > 20


def test_gating_plots_say_what_they_show_in_their_alt_text(tmp_path):
    import base64

    from omics.report._sections import flow_gating

    folder = tmp_path / "flow" / "gating_plots"
    folder.mkdir(parents=True)
    (folder / "BALI001.png").write_bytes(base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="))
    assert "alt='Gating plot of sample BALI001'" in flow_gating(_ctx(tmp_path), Ids("f"))


# --------------------------------------------------------------------------------------
# 10: small ones
# --------------------------------------------------------------------------------------

def test_a_modality_not_given_is_named_in_cohort_and_methods(tmp_path):
    from omics.report._methods import methods
    from omics.report._sections import cohort

    _big_de(tmp_path, n=20)
    ctx = _ctx(tmp_path, params={"rna_counts": "counts.tsv"})
    for markup in (cohort(ctx, Ids("c")), methods(ctx)):
        assert ("Modalities analysed: RNA. Not analysed: protein (no protein input was given) and flow "
                "cytometry (no flow cytometry input was given); so there is no mRNA-protein "
                "integration, no flow section.") in _text(markup)


def test_response_note_explains_direction_and_km_note_says_unadjusted(both_models, tmp_path):
    from omics.report._sections import _kaplan_meier, _response_note

    note = _text(_response_note(_ctx(both_models)))
    assert "direction: up_in_responders when a higher score goes with more response" in note
    assert "the sign of the BM-MNC-arm log OR for predictive and treated_only scores" in note
    km = pd.DataFrame({"score": "GO:1_SPROUTING", "arm": ["bmmnc", "bmmnc"], "group": ["low", "high"],
                       "time": [10.0, 20.0], "survival": [0.9, 0.8]})
    text = _text(_kaplan_meier(km, None, None, Ids("k")))
    assert "The log-rank p-values are unadjusted" in text


def test_unbounded_limits_display_as_inf_in_every_table():
    from omics.report._assets import table

    frame = pd.DataFrame({"score": ["a", "b"], "or_treated_high": [np.inf, 2.0], "p_treated": [0.01, 0.2]})
    markup = table(frame, Ids("t"))
    assert "'inf'" in markup  # the column renderer spells an unbounded end as the TSV and notes do
    assert '"targets": [1]' in markup.replace("'", '"') or '"targets":[1]' in markup.replace(" ", "")


# --------------------------------------------------------------------------------------
# Browser: the built page (share button, nav jump, truncated search)
# --------------------------------------------------------------------------------------

def _browser():
    if not (CHROMIUM and CHROMEDRIVER):
        if os.environ.get("OMICS_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium and chromedriver are required (apt-get install chromium chromium-driver)")
        pytest.skip("chromium/chromedriver not installed")
    pytest.importorskip("selenium")
    from test_report import _browser as browser

    return browser()


def test_built_page_has_no_cloud_button_and_jumps_below_the_nav(both_models, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from omics.report import build_report

    root = tmp_path / "results"
    shutil.copytree(both_models, root)
    _big_de(root)
    page = build_report(root, tmp_path / "index.html")
    driver = _browser()
    try:
        driver.get(page.as_uri())
        WebDriverWait(driver, 60).until(
            lambda d: d.execute_script("return document.readyState") == "complete")
        driver.execute_script("window.omicsDrawAll()")
        WebDriverWait(driver, 120).until(lambda d: d.execute_script(
            "return document.querySelectorAll('div.plot:not([data-rendered=yes])').length === 0"))
        titles = driver.execute_script(
            "return [...document.querySelectorAll('.modebar-btn')].map(b => b.getAttribute('data-title'))")
        assert titles, "no modebar drawn"
        assert not [t for t in titles if re.search(r"share|cloud|chart studio|edit", t or "", re.I)], \
            set(titles)
        assert not driver.execute_script("return document.querySelectorAll('a.modebar-btn[href]').length")
        # a nav jump leaves the section heading below the sticky nav
        for anchor in ("response", "de"):
            driver.find_element(By.CSS_SELECTOR, f"nav a[href='#{anchor}']").click()
            WebDriverWait(driver, 10).until(lambda d, a=anchor: d.execute_script(
                f"return Math.abs(document.getElementById('{a}').getBoundingClientRect().top) < 200"))
            top, nav = driver.execute_script(
                f"return [document.querySelector('#{anchor} h2').getBoundingClientRect().top, "
                "document.querySelector('nav').getBoundingClientRect().bottom]")
            assert top >= nav, (anchor, top, nav)
        # a search for a row left out of the page says so
        WebDriverWait(driver, 60).until(lambda d: d.execute_script(
            "return document.querySelectorAll('table[id*=tbl]:not(.dataTable)').length === 0"))
        driver.execute_script("document.querySelectorAll('details').forEach(e => e.open = true)")
        table = driver.find_element(By.CSS_SELECTOR, "#de table.dataTable")
        wrapper = table.find_element(By.XPATH, "./ancestor::div[contains(@class,'dt-container')][1]")
        search = wrapper.find_element(By.CSS_SELECTOR, "input[type=search]")
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", search)
        search.send_keys("G1004")
        WebDriverWait(driver, 10).until(lambda d: "No match among the 1,000 rows shown" in table.text)
        errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
        assert not errors, errors
    finally:
        driver.quit()
