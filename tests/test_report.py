"""The HTML report: self-contained, sections from whatever result files exist, wording from the data.

The browser test (headless Chromium + chromedriver from Debian, via Selenium) opens the demo
report from disk with the network disabled and fails on any console error or failed
request; it checks that every plot rendered and that a table sorts and filters, and saves
screenshots. Without Chromium it is skipped, unless OMICS_REQUIRE_BROWSER=1 (CI sets it).
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers import NFCORE, TEST_COHORT, require_shared, run_omics
from omics.report._format import fmt_p

FAST = ["--gsea_permutations", "250", "--cv_repeats", "10"]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
SCREENSHOTS = os.environ.get("OMICS_SCREENSHOTS")


def test_fmt_p_never_prints_zero():
    assert fmt_p(0.0) == "< 1e-4"
    assert fmt_p(3e-9) == "< 1e-4"
    assert fmt_p(0.00012) == "0.00012"
    assert fmt_p(0.032) == "0.032"
    assert fmt_p(0.5) == "0.50"
    assert fmt_p(float("nan")) == "NA"


@pytest.fixture(scope="module")
def demo_results(tmp_path_factory) -> Path:
    """``omics run`` on the shipped demo cohort (omics.datasets), fast settings."""
    import omics

    demo = omics.datasets.demo_cohort()
    outdir = tmp_path_factory.mktemp("demo") / "results"
    args = [f"--{k}={v}" for k, v in demo.as_params().items()]
    result = run_omics("run", *args, *FAST, "--outdir", str(outdir))
    assert result.returncode == 0, result.stderr[-3000:]
    return outdir


def _add_other_results(results: Path) -> None:
    """Small files in the layouts other stages write (survival, KM, flow), to exercise sections."""
    model = pd.read_csv(results / "scores" / "response_model.tsv", sep="\t")
    scores = model["score"].unique()[:2]
    rows, km, logrank = [], [], []
    rng = np.random.default_rng(1)
    for s in scores:
        row = {"modality": "rna", "score": s}
        for eff in ("control", "treated", "pooled", "interaction"):
            hr = float(np.exp(rng.normal(0, 0.5)))
            row |= {f"hr_{eff}": hr, f"hr_{eff}_low": hr / 2, f"hr_{eff}_high": hr * 2,
                    f"p_{eff}": float(rng.uniform())}
        rows.append(row | {"classification": "prognostic", "ph_p": 0.4})
        for arm in ("placebo", "bmmnc"):
            logrank.append({"score": s, "arm": arm, "logrank_p": float(rng.uniform(0, 0.1))})
            for group in ("low", "high"):
                times = np.sort(rng.uniform(0, 180, 8))
                surv = np.cumprod(np.full(8, 0.9 if group == "high" else 0.8))
                km += [{"score": s, "arm": arm, "group": group, "time": round(t, 1), "survival": v,
                        "n_at_risk": 10 - i} for i, (t, v) in enumerate(zip(times, surv, strict=True))]
    pd.DataFrame(rows).to_csv(results / "scores" / "survival_model.tsv", sep="\t", index=False)
    pd.DataFrame(km).to_csv(results / "scores" / "km_curves.tsv", sep="\t", index=False)
    pd.DataFrame(logrank).to_csv(results / "scores" / "km_logrank.tsv", sep="\t", index=False)
    pd.DataFrame({"score_a": scores[:1], "score_b": scores[1:2], "spearman_rho": [0.8]}).to_csv(
        results / "scores" / "score_redundancy.tsv", sep="\t", index=False)
    (results / "flow" / "gating_plots").mkdir(parents=True)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 2))
    ax.scatter([1, 2], [2, 1])
    fig.savefig(results / "flow" / "gating_plots" / "BALI001_cd34.png")
    plt.close(fig)
    pd.DataFrame({"sample": ["BALI001", "BALI002"], "events": [50000, 48000], "cd34_fraction": [0.01, 0.02]}
                 ).to_csv(results / "qc" / "flow.qc.tsv", sep="\t", index=False)
    flow = pd.DataFrame({"feature_id": ["CD34+", "CD133+", "CD34+KDR+"], "gene_name": ["", "", ""],
                         "logFC": [0.8, -0.2, 1.1], "AveExpr": [-4.0, -5.0, -7.0], "t": [3.1, -0.7, 2.5],
                         "P.Value": [0.004, 0.5, 0.02], "adj.P.Val": [0.012, 0.5, 0.03], "B": [1.0, -5, -1]})
    flow.to_csv(results / "differential" / "response_in_bmmnc.flow.limma.results.tsv", sep="\t", index=False)
    pd.DataFrame({"population": ["CD34+"], "score": [scores[0]], "spearman_rho": [0.4], "pvalue": [0.01],
                  "fdr": [0.02]}).to_csv(results / "integration" / "flow_score_correlation.tsv", sep="\t",
                                         index=False)


@pytest.fixture(scope="module")
def extended_report(demo_results, tmp_path_factory) -> Path:
    results = tmp_path_factory.mktemp("ext") / "results"
    shutil.copytree(demo_results, results, ignore=shutil.ignore_patterns("*.h5mu", "cache"))
    _add_other_results(results)
    outdir = results.parent / "out"
    result = run_omics("report", "--results_dir", str(results), "--outdir", str(outdir))
    assert result.returncode == 0, result.stderr[-3000:]
    return outdir / "report" / "index.html"


@pytest.mark.slow
def test_demo_report_is_self_contained_and_complete(demo_results):
    html = (demo_results / "report" / "index.html").read_text()
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=['\"]?https?://", html)
    # the libraries carry URLs in their code; nothing on the page loads one (the browser test
    # checks the network too)
    assert not re.search(r"import[^;\n]*from\s*['\"]https?://", html)
    assert not re.search(r"@import\s+url\(['\"]?https?://", html)
    assert html.count("Plotly.newPlot") == 1 and html.count("injectModule") <= 2  # bundles once
    for heading in ("Cohort", "Methods", "Quality control", "Differential expression", "Enrichment",
                    "Angiogenic scores and response", "Integration", "References"):
        assert f">{heading}<" in html, heading
    assert "BALI BM-MNC angiogenesis" in html
    assert "% of variance" in html and "Spearman r =" in html
    assert "running enrichment scores" in html and "Cross-validated ROC" in html
    assert "pydeseq2" in html and "Subramanian" in html  # methods cite what ran
    assert "Flow cytometry" not in html  # no flow files
    assert "Kaplan-Meier" in html  # the demo sample sheet has afs_days/afs_event


@pytest.mark.slow
def test_report_sections_drawn_in_processes_give_the_same_page(demo_results, tmp_path):
    """n_cpus draws the sections side by side: the page is the same, its element ids unique."""
    from omics.report import build_report

    pages = []
    for n_cpus in (1, 2):
        path = build_report(demo_results, tmp_path / f"{n_cpus}.html", params={"n_cpus": 1},
                            n_cpus=n_cpus)
        pages.append(re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", "", path.read_text()))
    assert pages[0] == pages[1]
    ids = re.findall(r"""<(?:div|table) id=["']([^"']+)["']""", pages[0])
    assert len(ids) > 40 and len(ids) == len(set(ids))
    assert {i.split("-")[0] for i in ids} >= {"cohort", "qc", "de", "enrichment", "response",
                                               "integration"}
    # tables carry their (4-digit) numbers as numbers, drawn by DataTables, not pre-formatted text
    assert not re.search(r'\[\\"[-0-9.e+]+\\", ?[-0-9.e+]+\]', pages[0])  # ["0.9750", 0.975]
    assert re.search(r'\[\\"BALI001\\", [-0-9.e+]+, ', pages[0])


@pytest.mark.slow
def test_report_renders_other_stages_results(extended_report):
    html = extended_report.read_text()
    for text in ("Kaplan-Meier curves", "hazard ratio per SD", "Score redundancy",
                 "Flow cytometry gating", "flow cytometry QC", "response_in_bmmnc · flow",
                 "Flow populations vs scores", "log-rank p"):
        assert text in html, text


def test_report_on_partial_results_and_other_organism(tmp_path):
    """Mouse RNA with the human default gene sets: clear message, no BALI wording, no empty sections."""
    require_shared()
    rnaseq = NFCORE / "genomics" / "mus_musculus" / "rnaseq_expression"
    results = tmp_path / "results"
    (results / "differential").mkdir(parents=True)
    table = pd.read_csv(rnaseq / "SRP254919.salmon.merged.deseq2.results.tsv", sep="\t")
    table = table.rename(columns={table.columns[0]: "gene_id"})
    if "gene_name" not in table:
        names = pd.read_csv(rnaseq / "SRP254919.salmon.merged.gene_counts.top1000cov.tsv", sep="\t")
        table = table.merge(names[["gene_id", "gene_name"]], on="gene_id", how="left")
    cols = ["gene_id", "gene_name", "baseMean", "log2FoldChange", "lfcSE", "stat", "pvalue", "padj"]
    table[cols].to_csv(results / "differential" / "treatment.rna.deseq2.results.tsv", sep="\t", index=False)
    (results / "enrichment").mkdir()
    pd.DataFrame(columns=["term", "collection", "size", "es", "nes", "pvalue", "fdr", "pvalue_one_sided",
                          "leading_edge"]).to_csv(
        results / "enrichment" / "treatment.rna.gsea.tsv", sep="\t", index=False)
    (results / "pipeline_info").mkdir()
    (results / "pipeline_info" / "params.yaml").write_text("gsea_permutations: 123\nseed: 7\n")
    from omics.params import defaults
    from omics.stages import report

    out = report(results_dir=results, outdir=tmp_path, params=defaults(), recorded=True)["html"]
    html = out.read_text()
    assert "123 gene permutations (seed 7)" in html  # the recorded run's settings
    assert "BALI" not in html and "ngiogen" not in html.split("<main>")[0]
    assert "do not match this organism" in html and "mouse" in html
    assert ">Differential expression<" in html and ">Integration<" not in html and ">Cohort<" not in html


def test_report_draws_the_roc_table_and_says_when_it_is_missing(tmp_path):
    """ROC curves come from scores/response_roc.tsv; results without it get a note, not a gap."""
    from omics.params import defaults
    from omics.stages import report
    from omics.tl import response_model, response_roc

    rng = np.random.default_rng(5)
    samples = [f"S{i:02d}" for i in range(30)]
    obs = pd.DataFrame({"arm": ["bmmnc", "placebo"] * 15,
                        "response": ["responder", "non_responder", "non_responder"] * 10},
                       index=samples)
    scores = pd.DataFrame({"GO:1_SPROUTING": rng.normal(size=30) + (obs["response"] == "responder") * 2.0,
                           "GO:2_HYPOXIA": rng.normal(size=30)}, index=samples)
    model, cv = response_model(scores, obs, covariates=(), repeats=2, seed=1, return_cv=True)
    results = tmp_path / "results"
    (results / "scores").mkdir(parents=True)
    model.insert(0, "modality", "rna")
    model.to_csv(results / "scores" / "response_model.tsv", sep="\t", index=False)
    params = {**defaults(), "cv_repeats": 2}
    html = report(results_dir=results, outdir=tmp_path / "a", params=params)["html"].read_text()
    assert "response_roc.tsv is not in the results" in html and "Cross-validated ROC" not in html
    roc = response_roc(model, cv)
    roc.insert(0, "modality", "rna")
    roc.to_csv(results / "scores" / "response_roc.tsv", sep="\t", index=False)
    html = report(results_dir=results, outdir=tmp_path / "b", params=params)["html"].read_text()
    assert "Cross-validated ROC" in html and "response_roc.tsv is not in" not in html
    assert "the first of its 2 stratified 5-fold splits" in html
    auc = roc.groupby("score", sort=False)["auc"].first()
    assert f"GO:1 SPROUTING (AUC {auc['GO:1_SPROUTING']:.2f})" in html


def test_user_genesets_replace_default_background(tmp_path):
    from omics.stages._common import gene_set_collections

    gmt = tmp_path / "mine.gmt"
    gmt.write_text("MY_SET\tna\tA\tB\tC\n")
    panel, background = gene_set_collections(str(gmt), None)
    assert list(panel) == ["MY_SET"] and background == {}
    _, default_background = gene_set_collections(None, None)
    assert len(default_background) > 1000
    bg = tmp_path / "bg.gmt"
    bg.write_text("BG\tna\tX\tY\n")
    _, explicit = gene_set_collections(str(gmt), str(bg))
    assert list(explicit) == ["BG"]


def test_demo_cohort_ships_the_test_cohort():
    import omics

    demo = omics.datasets.demo_cohort()
    assert demo.samplesheet.read_bytes() == (TEST_COHORT / "samplesheet.csv").read_bytes()
    assert demo.contrasts.read_bytes() == (TEST_COHORT / "contrasts.yaml").read_bytes()
    for name, packed in (("salmon.merged.gene_counts.tsv", demo.rna_counts),
                         ("proteinGroups.txt", demo.protein_matrix)):
        assert gzip.decompress(packed.read_bytes()) == (TEST_COHORT / name).read_bytes(), name
    assert len(omics.datasets.genesets("go_angiogenesis")) == 11
    assert "GO:0001525_ANGIOGENESIS" in omics.datasets.genesets("go_angiogenesis")
    assert {"symbol", "ensembl_gene_ids"} <= set(omics.datasets.annotation().columns)
    with pytest.raises(omics._errors.InputError, match="go_angiogenesis"):
        omics.datasets.genesets("hallmark")


# --------------------------------------------------------------------------------------
# Browser
# --------------------------------------------------------------------------------------

def _browser():
    if not (CHROMIUM and CHROMEDRIVER):
        if os.environ.get("OMICS_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium and chromedriver are required (apt-get install chromium chromium-driver)")
        pytest.skip("chromium/chromedriver not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,1000", "--host-resolver-rules=MAP * ~NOTFOUND"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_network_conditions(offline=True, latency=0, download_throughput=0, upload_throughput=0)
    return driver


def _check_page(driver, path: Path, shots: Path | None) -> None:
    import json
    import time

    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(path.as_uri())
    WebDriverWait(driver, 60).until(lambda d: d.execute_script("return document.readyState") == "complete")
    # tables: DataTables initialised on every table
    WebDriverWait(driver, 60).until(lambda d: d.execute_script(
        "return document.querySelectorAll('table[id*=tbl]').length > 0 && "
        "document.querySelectorAll('table[id*=tbl]:not(.dataTable)').length === 0"))
    driver.execute_script("document.querySelectorAll('details').forEach(e => e.open = true)")
    n_plots = driver.execute_script("return document.querySelectorAll('div.plot').length")
    assert n_plots > 0
    driver.execute_script("window.omicsDrawAll()")
    WebDriverWait(driver, 120).until(lambda d: d.execute_script(
        "return document.querySelectorAll('div.plot[data-rendered=yes] .main-svg').length > 0 && "
        "document.querySelectorAll('div.plot:not([data-rendered=yes])').length === 0"))
    empty = driver.execute_script(
        "return [...document.querySelectorAll('div.plot')].filter(d => !d.querySelector('.main-svg') "
        "|| d.getBoundingClientRect().height < 100).map(d => d.id)")
    assert not empty, f"plots not drawn: {empty}"
    # a table sorts and filters: the sample sheet of the cohort section
    table = driver.find_element(By.CSS_SELECTOR, "#cohort table.dataTable")
    wrapper = table.find_element(By.XPATH, "./ancestor::div[contains(@class,'dt-container')][1]")
    first_cells = ("return [...arguments[0].querySelectorAll('tbody tr td:first-child')]"
                   ".map(c => c.textContent)")
    before = driver.execute_script(first_cells, table)
    header = table.find_element(By.CSS_SELECTOR, "thead th:first-child")
    order = header.find_element(By.CSS_SELECTOR, "span.dt-column-order")  # the sort control
    for _ in range(3):  # click it until the column sorts descending (asc, desc, none, ...)
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", order)
        previous = header.get_attribute("aria-sort")
        order.click()
        WebDriverWait(driver, 10).until(lambda d, p=previous: header.get_attribute("aria-sort") != p)
        if header.get_attribute("aria-sort") == "descending":
            break
    assert header.get_attribute("aria-sort") == "descending"
    after = driver.execute_script(first_cells, table)
    assert after == sorted(after, reverse=True) and after != before
    search = wrapper.find_element(By.CSS_SELECTOR, "input[type=search]")
    search.send_keys("BALI001", Keys.ENTER)
    try:  # DataTables filters on its own schedule (a fixed sleep flakes on a busy machine)
        WebDriverWait(driver, 10).until(
            lambda d: d.execute_script(first_cells, table) == ["BALI001"])
    except TimeoutException:
        pass
    rows = driver.execute_script(first_cells, table)
    assert rows == ["BALI001"], rows
    search.clear()
    # no console error, no failed request
    logs = driver.get_log("browser")
    errors = [e for e in logs if e["level"] in ("SEVERE", "ERROR")]
    assert not errors, errors
    failed = [json.loads(e["message"])["message"] for e in driver.get_log("performance")]
    failed = [m for m in failed if m["method"] == "Network.loadingFailed"]
    assert not failed, failed
    if shots is not None:
        shots.mkdir(parents=True, exist_ok=True)
        for section in driver.find_elements(By.CSS_SELECTOR, "section"):
            driver.execute_script("arguments[0].scrollIntoView()", section)
            time.sleep(0.4)
            name = f"{path.parent.parent.name}_{section.get_attribute('id')}.png"
            driver.save_screenshot(str(shots / name))


@pytest.mark.slow
def test_report_in_headless_browser(demo_results, extended_report, tmp_path):
    driver = _browser()
    shots = Path(SCREENSHOTS) if SCREENSHOTS else tmp_path / "screenshots"
    try:
        _check_page(driver, demo_results / "report" / "index.html", shots)
        _check_page(driver, extended_report, shots)
    finally:
        driver.quit()
    assert list(shots.glob("*.png"))


def test_roc_curves_are_read_per_modality_from_the_roc_table():
    """The report draws scores/response_roc.tsv as written: per modality, in its order."""
    from omics.report._sections import _roc_curves

    roc = pd.DataFrame({"modality": ["flow"] * 3 + ["rna"] * 3,
                        "score": ["CD34_KDR", "CD34_KDR", "Viable", "GO:1", "GO:1", "GO:1"],
                        "cohort": "pooled", "repeat": 0,
                        "auc": [0.8, 0.8, 0.6, 0.7, 0.7, 0.7],
                        "fpr": [0.0, 1.0, 1.0, 0.0, 0.5, 1.0], "tpr": [0.0, 1.0, 1.0, 0.5, 0.9, 1.0]})
    flow = _roc_curves(roc, "flow")
    assert [(label, auc) for label, _, _, auc in flow] == [("CD34 KDR", 0.8), ("Viable", 0.6)]
    (label, fpr, tpr, auc), = _roc_curves(roc, "rna")
    assert label == "GO:1" and list(fpr) == [0.0, 0.5, 1.0] and list(tpr) == [0.5, 0.9, 1.0]


def test_a_large_cohort_correlation_heatmap_is_drawn_in_blocks(monkeypatch):
    """Above HEATMAP_SAMPLES samples the heatmap shows block means, not every sample pair."""
    import omics.report._figures as figures

    rng = np.random.default_rng(5)
    factor = rng.normal(size=(7, 40))
    values = np.corrcoef(factor.T + rng.normal(scale=0.8, size=(40, 7)) @ rng.normal(size=(7, 7)))
    names = [f"S{i:02d}" for i in range(40)]
    corr = pd.DataFrame(values, index=names, columns=names)
    whole = figures.correlation_heatmap(corr, title="rna")
    full = whole.data[0]
    assert len(full.x) == 40 and whole.layout.title.text == "rna"

    monkeypatch.setattr(figures, "HEATMAP_SAMPLES", 15)  # 40 samples: 14 blocks of 3 (the last of 1)
    fig = figures.correlation_heatmap(corr, title="rna")
    blocks = fig.data[0]
    assert fig.layout.title.text == "rna; 40 samples in blocks of 3, mean r per block"
    assert len(blocks.x) == len(blocks.y) == 14 and len(set(blocks.x)) == 14
    assert blocks.x[0] == f"{full.x[0]}..{full.x[2]}" and blocks.x[-1] == f"{full.x[39]}..{full.x[39]}"
    shown = np.array(full.z, dtype=float)  # the clustered matrix, diagonal NaN
    z = np.array(blocks.z, dtype=float)
    assert z[0, 1] == pytest.approx(np.nanmean(shown[0:3, 3:6]), abs=6e-5)
    assert z[2, 2] == pytest.approx(np.nanmean(shown[6:9, 6:9]), abs=6e-5)  # without the diagonal
    assert z[0, 13] == pytest.approx(np.nanmean(shown[0:3, 39:40]), abs=6e-5)
    assert np.isnan(z[13, 13])  # a block of one sample has no pair of its own
    assert "mean r" in blocks.hovertemplate


def test_covariates_by_group_count_indicators_and_categories_and_summarise_measurements():
    """A 0/1 indicator (the AFS event) is counted as a category, not given a median (IQR)."""
    from omics.report._sections import covariate_summary

    groups = pd.Series(["bmmnc", "bmmnc", "bmmnc", "placebo", "placebo"])
    event = covariate_summary("afs_event", pd.Series([1, 0, 1, 1, 1]), groups)
    assert event == {"covariate": "afs_event", "summary": "n (%)",
                     "bmmnc": "afs_event=0: 1 (33%); afs_event=1: 2 (67%)",
                     "placebo": "afs_event=1: 2 (100%)"}
    flagged = covariate_summary("event", pd.Series([1.0, np.nan, 0.0, 0.0, 1.0]), groups)
    assert flagged["bmmnc"] == "event=0: 1 (33%); event=1: 1 (33%); NA: 1 (33%)"
    assert flagged["placebo"] == "event=0: 1 (50%); event=1: 1 (50%)"
    sex = covariate_summary("sex", pd.Series(["female", None, "male", "male", "male"]), groups)
    assert sex["summary"] == "n (%)" and sex["bmmnc"] == "female: 1 (33%); male: 1 (33%); NA: 1 (33%)"
    age = covariate_summary("age", pd.Series([60, 70, 80, 50, 2]), groups)
    assert age == {"covariate": "age", "summary": "median (IQR)", "bmmnc": "70 (65-75)",
                   "placebo": "26 (14-38)"}


def test_a_missing_text_cell_is_shown_empty_and_a_missing_number_stays_missing():
    """A sample with no low-event population shows an empty cell, not the word NaN."""
    import json

    from omics.report._assets import Ids, table

    frame = pd.DataFrame({"sample": ["BALI001", "BALI002"],
                          "low_event_populations": [np.nan, "CD34_KDR"], "bead_events": [713.0, np.nan]})
    markup = table(frame, Ids("t"))
    rows = json.loads(json.loads(re.search(r'"data_json": ("(?:[^"\\]|\\.)*")', markup).group(1)))
    assert rows[0][:2] == ["BALI001", ""] and rows[1][:2] == ["BALI002", "CD34_KDR"]
    assert rows[0][2] == 713.0 and rows[1][2] == "___NaN___"  # itables' marker of a missing number


def test_kaplan_meier_panels_keep_each_modalitys_curves_and_log_rank_apart():
    """A GO set scored on mRNA and protein: each panel draws one modality's curves and p-values.

    Grouped by score name alone, a panel joined the two modalities' steps into one line
    per arm and group (a curve that rose) and took the other modality's log-rank p.
    """
    import base64
    import json

    from omics.report._assets import Ids
    from omics.report._sections import _kaplan_meier, _km_panels

    rows = []
    for modality, drop in (("rna", 0.5), ("protein", 0.25)):
        for score in ("GO:A", "GO:B"):
            for arm in ("placebo", "bmmnc"):
                for group in ("low", "high"):
                    rows += [{"modality": modality, "score": score, "arm": arm, "group": group,
                              "time": t, "survival": s, "n_at_risk": 10 - i}
                             for i, (t, s) in enumerate(((0, 1.0), (50, 1 - drop), (183, 1 - drop)))]
    km = pd.DataFrame(rows)
    logrank = pd.DataFrame({"modality": ["rna", "rna", "protein", "protein"] * 2,
                            "score": ["GO:A"] * 4 + ["GO:B"] * 4,
                            "arm": ["placebo", "bmmnc"] * 4,
                            "logrank_p": [0.011, 0.012, 0.51, 0.52, 0.021, 0.022, 0.61, 0.62]})
    survival = pd.DataFrame({"modality": ["rna", "rna", "protein", "protein"],
                             "score": ["GO:A", "GO:B", "GO:A", "GO:B"],
                             "fdr_screen": [0.9, 0.2, 0.1, 0.5]})
    assert _km_panels(km, survival) == [("protein", "GO:A"), ("rna", "GO:B"), ("protein", "GO:B"),
                                        ("rna", "GO:A")]
    assert _km_panels(km, None) == [("rna", "GO:A"), ("rna", "GO:B"), ("protein", "GO:A"),
                                    ("protein", "GO:B")]
    markup = _kaplan_meier(km, logrank, survival, Ids("k"))
    figures = [json.loads(payload) for payload in re.findall(
        r"<script type='application/json' id='k-fig-?\d*-json'>(.*?)</script>", markup)]
    assert [f["layout"]["title"]["text"] for f in figures] == [
        "protein GO:A: high vs low score", "rna GO:B: high vs low score",
        "protein GO:B: high vs low score", "rna GO:A: high vs low score"]
    def values(array: object) -> list[float]:  # plotly writes numpy arrays as base64 ("bdata")
        if isinstance(array, dict):
            return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"]).tolist()
        return list(array)

    first = figures[0]["data"]
    assert len(first) == 4 and all(values(trace["y"]) == [1.0, 0.75, 0.75] for trace in first)
    assert [trace["name"] for trace in first if "log-rank" in trace["name"]] == [
        "bmmnc, high score (log-rank p 0.52)", "placebo, high score (log-rank p 0.51)"]
    assert all(values(trace["y"]) == [1.0, 0.5, 0.5] for trace in figures[1]["data"])
    assert "lowest fdr_screen of the survival model" in markup


def test_only_models_with_separated_data_get_open_markers_not_every_firth_fit():
    """Firth is the default fit of every model: the flag comes from the separation column."""
    from omics.report._sections import _separated

    effects = [("or_control", "placebo arm"), ("or_treated", "BM-MNC arm"), ("or_interaction", "x")]
    model = pd.DataFrame({"fit_control": ["firth"] * 3, "fit_treated": ["firth"] * 3,
                          "fit_interaction": ["firth"] * 3,
                          "separation": ["treated;interaction", np.nan, "control"]})
    flags = _separated(model, effects)
    assert flags.to_numpy().tolist() == [[False, True, True], [False, False, False], [True, False, False]]
    hr = _separated(model.drop(columns="separation"), [("hr_pooled", "pooled")])
    assert not hr.to_numpy().any()


def test_report_reads_the_runs_own_tables_not_the_users_copies_in_the_folder(tmp_path):
    """In an `omics run` folder, the report reads what the task manifests record."""
    import json

    from omics.report._discover import Results

    (tmp_path / "scores").mkdir()
    (tmp_path / "archive").mkdir()
    (tmp_path / "differential").mkdir()
    (tmp_path / "flow" / "gating_plots").mkdir(parents=True)
    (tmp_path / "scores" / "response_model.tsv").write_text("score\nrun\n")
    (tmp_path / "archive" / "response_model.tsv").write_text("score\nuser\n")  # sorts first
    (tmp_path / "differential" / "old.rna.deseq2.results.tsv").write_text("gene_id\n")
    (tmp_path / "flow" / "gating_plots" / ".S1.png.omics-tmp-1-abc.png").write_bytes(b"")
    # without manifests (a folder staged by Nextflow) any table of that name is found
    assert Results(tmp_path).first("response_model.tsv") == tmp_path / "archive" / "response_model.tsv"
    cache = tmp_path / "pipeline_info" / "cache"
    cache.mkdir(parents=True)
    (cache / "score.json").write_text(json.dumps({"key": "k", "outputs": {
        "scores/response_model.tsv": "0" * 64}}))
    results = Results(tmp_path)
    assert results.first("response_model.tsv") == tmp_path / "scores" / "response_model.tsv"
    assert results.de == []  # a table no task of the run wrote is not a contrast of the run
    assert results.find("gating_plots/*.png") == []  # a killed run's temporary
