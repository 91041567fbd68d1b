"""Integration functions and report text (findings 6, 12-15 of the API / report audit).

Integration: no shared samples and wrong argument types stop with one omics message
naming the function and the fix. Report: the Methods describe the survival analysis and
the FCS gating the run did, with references; an all-empty text column shows blank cells;
the integration, redundancy and flow-QC tables have a caption saying what their columns
and thresholds mean. Each report test builds the smallest result files a section reads.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest

import omics
from omics._errors import InputError
from omics.report._assets import Ids, table
from omics.report._context import Context
from omics.report._discover import Results

BALI_OBS = pd.DataFrame({"arm": ["bmmnc", "placebo"] * 4,
                         "response": ["responder", "responder", "non_responder", "non_responder"] * 2},
                        index=[f"S{i}" for i in range(8)])


def _ctx(root: Path, params: dict | None = None) -> Context:
    from omics.params import defaults

    return Context(results=Results(root), params={**defaults(), **(params or {})}, obs=BALI_OBS)


def _text(markup: str) -> str:
    markup = re.sub(r"<script.*?</script>", "", markup, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", markup)))


def _modality(samples: list[str], genes: list[str], *, layer: str | None, seed: int) -> ad.AnnData:
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(len(samples), len(genes)))
    adata = ad.AnnData(values, obs=pd.DataFrame(index=samples),
                       var=pd.DataFrame({"gene_name": genes}, index=[f"f{seed}_{g}" for g in genes]))
    if layer:
        adata.layers[layer] = values.copy()
    return adata


# --------------------------------------------------------------------------------------
# 12. No shared samples between the modalities
# --------------------------------------------------------------------------------------

def test_modalities_without_shared_samples_stop_naming_both_and_their_ids():
    """Before: build_mudata gave MuData(0, n) and mrna_protein_correlation an all-NaN table."""
    genes = [f"G{i}" for i in range(10)]
    rna = _modality([f"S{i}" for i in range(8)], genes, layer="vst", seed=1)
    protein = _modality([f"X{i}" for i in range(8)], genes, layer=None, seed=2)
    with pytest.raises(InputError) as built:
        omics.tl.build_mudata(rna, protein)
    message = str(built.value)
    assert message.startswith("build_mudata: ") and "\n" not in message
    assert "rna" in message and "protein" in message and "no sample id in common" in message
    assert "'S0', 'S1', 'S2'" in message and "'X0', 'X1', 'X2'" in message and "pass " in message
    with pytest.raises(InputError, match=r"^mrna_protein_correlation: the rna and protein AnnData have "
                                         r"no sample id in common .*'S0'.*'X0'"):
        omics.tl.mrna_protein_correlation(rna, protein)
    # shared samples still work (half of them here)
    protein.obs_names = [f"S{i}" for i in range(4)] + [f"X{i}" for i in range(4)]
    assert omics.tl.build_mudata(rna, protein).n_obs == 4


# --------------------------------------------------------------------------------------
# 6. Wrong inputs of the integration functions: one omics message, not a Python error
# --------------------------------------------------------------------------------------

def _de(kind: str, genes: list[str]) -> pd.DataFrame:
    rng = np.random.default_rng(3 if kind == "rna" else 4)
    n = len(genes)
    if kind == "rna":
        return pd.DataFrame({"gene_id": [f"E{i}" for i in range(n)], "gene_name": genes,
                             "log2FoldChange": rng.normal(size=n), "stat": rng.normal(size=n),
                             "pvalue": rng.uniform(size=n), "padj": rng.uniform(size=n)})
    return pd.DataFrame({"protein_id": [f"P{i}" for i in range(n)], "gene_name": genes,
                         "logFC": rng.normal(size=n), "t": rng.normal(size=n),
                         "P.Value": rng.uniform(size=n), "adj.P.Val": rng.uniform(size=n)})


def test_integration_functions_given_the_wrong_objects_stop_with_one_line():
    """Before: AttributeError ('layers', 'columns'), KeyError ('gene_name', 'term') and ValueError."""
    genes = [f"G{i}" for i in range(10)]
    rna = _modality([f"S{i}" for i in range(8)], genes, layer="vst", seed=1)
    rde, pde = _de("rna", genes), _de("protein", genes)
    gsea = pd.DataFrame({"term": ["A", "B"], "nes": [1.2, -0.5], "pvalue": [0.01, 0.4],
                         "fdr": [0.02, 0.5], "pvalue_one_sided": [0.005, 0.2]})
    calls = {
        "mrna_protein_correlation": lambda: omics.tl.mrna_protein_correlation(
            rna.to_df(), rna.to_df()),
        "fold_change_concordance: data": lambda: omics.tl.fold_change_concordance(rna, pde),
        "fold_change_concordance: the RNA differential table has no column 'gene_name'":
            lambda: omics.tl.fold_change_concordance(rde.drop(columns=["gene_name"]), pde),
        "pathway_evidence: expects a MuData or a mapping": lambda: omics.tl.pathway_evidence(gsea),
        "pathway_evidence: no GSEA table given": lambda: omics.tl.pathway_evidence({}),
    }
    for start, call in calls.items():
        with pytest.raises(InputError) as error:
            call()
        message = str(error.value)
        assert message.startswith(start), message
        assert "\n" not in message and ("pass " in message or "wrap " in message), message
    # the right objects still work
    joined, summary = omics.tl.fold_change_concordance(rde, pde)
    assert summary["n_genes"] == len(genes) == len(joined)
    assert list(omics.tl.pathway_evidence({"rna": gsea})["term"]) == ["A", "B"]


# --------------------------------------------------------------------------------------
# 13. Methods: survival analysis and FCS gating, with references
# --------------------------------------------------------------------------------------

def _survival_results(root: Path, *, separation: str = "") -> None:
    (root / "scores").mkdir(parents=True, exist_ok=True)
    survival = pd.DataFrame({"modality": ["rna", "rna"], "score": ["GO:1_A", "GO:2_B"], "n": [40, 40],
                             "p_control": [0.2, np.nan], "fdr_screen": [0.3, 0.6],
                             "separation": [separation, separation],
                             "classification": ["none", "none"], "direction": ["", ""]})
    survival.to_csv(root / "scores" / "survival_model.tsv", sep="\t", index=False, na_rep="NA")
    pd.DataFrame({"modality": ["rna"] * 2, "score": ["GO:1_A"] * 2, "arm": ["placebo", "bmmnc"],
                  "n_low": [10, 10], "n_high": [10, 10], "events_low": [6, 3], "events_high": [7, 4],
                  "median_score": [0.1, 0.2], "logrank_p": [0.5, 0.7]}).to_csv(
        root / "scores" / "km_logrank.tsv", sep="\t", index=False)


def _flow_results(root: Path, source: str = "fcs", unit: str = "cells_per_uL") -> None:
    (root / "flow").mkdir(parents=True, exist_ok=True)
    adata = ad.AnnData(np.zeros((2, 1)), obs=pd.DataFrame(index=["S0", "S1"]),
                       var=pd.DataFrame(index=["CD34"]),
                       uns={"source": source, "absolute_unit": unit, "modality": "flow"})
    adata.write_h5ad(root / "flow" / "flow.h5ad")


def test_methods_describe_the_survival_models_and_the_fcs_gating_the_run_did(tmp_path):
    """Before: no Cox, Kaplan-Meier, log-rank, lifelines, FlowKit or gating in the Methods."""
    from omics.report._methods import methods

    (tmp_path / "pipeline_info").mkdir()
    (tmp_path / "pipeline_info" / "software_versions.yml").write_text("lifelines: 9.8.7\nflowkit: 6.5.4\n")
    # not run, not said (the software-versions table lists them anyway)
    assert not re.search(r"Cox|Kaplan|FlowKit|lifelines", methods(_ctx(tmp_path)).split("<details>")[0])
    _survival_results(tmp_path)
    _flow_results(tmp_path)
    params = {"flow_fcs": "fcs", "flow_beads_per_test": 50000, "flow_sample_volume_ul": 80,
              "flow_bead_gate": "CountBeads", "response_covariates": "age",
              "response_multiplicity": "none"}
    markup = methods(_ctx(tmp_path, params))
    text = _text(markup.split("<details>")[0])
    assert "Cox proportional-hazards models (lifelines 9.8.7 CoxPHFitter" in text
    assert "adjusted for age: within each arm, pooled (arm as covariate) and with an arm x score " \
           "interaction" in text
    assert "within each arm is from Efron score tests" in text  # survival_model's default arm_test
    assert "no multiplicity screen across scores" in text  # response_multiplicity = none
    assert "Kaplan-Meier curves" in text and "log-rank tests" in text
    assert "FCS files were gated with FlowKit 6.5.4 applying the shipped Gating-ML 2.0 BM-MNC " \
           "progenitor template" in text
    assert "counting-bead events (gate CountBeads) x 50000 beads per test / 80 µL" in text
    for reference in ("Cox DR. Regression models and life-tables. J R Stat Soc B 34, 187-220 (1972)",
                      "Kaplan EL, Meier P. Nonparametric estimation from incomplete observations",
                      "Davidson-Pilon C. lifelines: survival analysis in Python. Journal of Open "
                      "Source Software 4, 1317 (2019)",
                      "White S, Quinn J, Enzor J, et al. FlowKit", "Frontiers in Immunology 12, "
                      "768541 (2021)"):
        assert reference in text, reference
    # a user's gating strategy is named; a population table is not "gated with FlowKit"
    text = _text(methods(_ctx(tmp_path, {**params, "flow_gating": "/data/panel.wsp"})))
    assert "applying the FlowJo 10 workspace panel.wsp" in text
    _flow_results(tmp_path, source="table", unit="per_million_events")
    text = _text(methods(_ctx(tmp_path, {"flow_table": "/data/export.csv"})))
    assert "read from the exported population table export.csv" in text
    assert "per million acquired events" in text and "FlowKit" not in text


# --------------------------------------------------------------------------------------
# 14. An all-empty text column shows blank, not NaN
# --------------------------------------------------------------------------------------

def _data(markup: str) -> list[list]:
    return json.loads(json.loads(re.search(r'"data_json": ("(?:[^"\\]|\\.)*")', markup).group(1)))


def test_an_all_empty_text_column_shows_blank_cells_and_missing_numbers_stay_missing(tmp_path):
    """Before: survival_model.tsv's empty separation column was read as float NaN (shown "NaN")."""
    _survival_results(tmp_path)
    survival = Results(tmp_path).table("survival_model.tsv")
    assert list(survival["separation"]) == ["", ""] and list(survival["direction"]) == ["", ""]
    assert np.isnan(survival.loc[1, "p_control"])  # "NA" is still a missing number
    rows = _data(table(survival, Ids("t")))
    column = list(survival.columns).index("separation")
    assert [row[column] for row in rows] == ["", ""]
    assert rows[1][list(survival.columns).index("p_control")] == "___NaN___"
    from omics.report._sections import response

    rows = _data(response(_ctx(tmp_path), Ids("r")))  # the survival table of the page
    assert [row[column] for row in rows] == ["", ""]


# --------------------------------------------------------------------------------------
# 15. Captions of the redundancy, concordance, correlation, flow and flow-QC tables
# --------------------------------------------------------------------------------------

def _caption_results(root: Path) -> None:
    _survival_results(root)
    pd.DataFrame({"modality": ["rna"], "score_a": ["GO:1_A"], "score_b": ["GO:2_B"], "n_genes_a": [20],
                  "n_genes_b": [15], "n_shared": [10], "jaccard": [0.4], "correlation": [0.9],
                  "linked": [True]}).to_csv(root / "scores" / "score_redundancy.tsv", sep="\t", index=False)
    (root / "integration").mkdir()
    rng = np.random.default_rng(0)
    genes = [f"G{i}" for i in range(20)]
    pd.DataFrame({"contrast": "c1", "gene_name": genes, "rna_log2fc": rng.normal(size=20),
                  "rna_stat": rng.normal(size=20), "rna_padj": rng.uniform(size=20),
                  "protein_log2fc": rng.normal(size=20), "protein_stat": rng.normal(size=20),
                  "protein_padj": rng.uniform(size=20), "concordant": True}).to_csv(
        root / "integration" / "concordance.tsv", sep="\t", index=False)
    pd.DataFrame({"contrast": ["c1"], "n_genes": [20], "spearman_log2fc": [0.1], "sign_agreement": [0.5],
                  "n_significant_both": [0], "sign_agreement_significant": [np.nan]}).to_csv(
        root / "integration" / "concordance_summary.tsv", sep="\t", index=False, na_rep="NA")
    pd.DataFrame({"gene_name": genes, "n_pairs": 8, "spearman_rho": rng.uniform(-1, 1, 20),
                  "pvalue": rng.uniform(size=20), "fdr": rng.uniform(size=20)}).to_csv(
        root / "integration" / "mrna_protein_correlation.tsv", sep="\t", index=False)
    pd.DataFrame({"population": ["CD34", "dose:CD34_absolute"], "modality": "rna", "term": "GO:1_A",
                  "n": 8, "spearman_rho": [0.2, -0.1], "p_value": [0.5, 0.8], "fdr": [0.8, 0.8]}).to_csv(
        root / "integration" / "flow_score_correlation.tsv", sep="\t", index=False)
    (root / "qc").mkdir()
    pd.DataFrame({"sample": ["S0", "S1"], "total_events": [10000, 9000], "viability_percent": [95.0, 90.0],
                  "bead_events": [700, 650], "n_low_event_populations": [0, 1],
                  "low_event_populations": ["", "CD34_KDR"], "min_events": [40, 40]}).to_csv(
        root / "qc" / "flow.qc.tsv", sep="\t", index=False)


def _caption(markup: str, heading: str) -> str:
    """The note right under the ``<h3>`` ``heading`` ("" when the table follows directly)."""
    found = re.search(rf"<h3[^>]*>{re.escape(heading)}</h3>(<p class='note'>(.*?)</p>)?", markup, flags=re.S)
    assert found, heading
    return _text(found.group(2) or "")


def test_integration_redundancy_and_flow_qc_tables_say_what_their_columns_mean(tmp_path):
    """Before: these headings were followed directly by the figure or the table."""
    from omics.report._sections import integration, qc, response

    _caption_results(tmp_path)
    ctx = _ctx(tmp_path, {"de_fdr": 0.1})
    redundancy = _caption(response(ctx, Ids("r")), "Score redundancy")
    assert "linked: jaccard ≥ 0.5 or |correlation| ≥ 0.8" in redundancy
    assert "predictive, prognostic or treated_only" in redundancy and "signal_group" in redundancy
    markup = integration(ctx, Ids("i"))
    concordance = _caption(markup, "Fold-change concordance")
    assert "concordant: the two fold changes have the same sign" in concordance
    assert "genes with adjusted p < 0.1 in both modalities" in concordance  # the run's de_fdr
    correlation = _caption(markup, "Per-gene mRNA-protein correlation across samples")
    assert "fewer than 6 complete pairs get NA" in correlation and "(layer vst)" in correlation
    assert "Benjamini-Hochberg over the genes tested" in correlation
    flow = _caption(markup, "Flow populations vs scores")
    assert "dose:CD34_absolute is the log10 absolute count of the dose population" in flow
    assert "p_value: two-sided test" in flow and "fdr: Benjamini-Hochberg over every pair" in flow
    flow_qc = _caption(qc(ctx, Ids("q")), "flow cytometry QC")
    assert "fewer than 40 events (min_events)" in flow_qc  # the table's own threshold
    assert "viability_percent: the Viable gate's percentage of its parent" in flow_qc


def test_concordance_summary_without_both_modalities_is_a_readable_header(tmp_path):
    """Protein DE tables only: the summary was an empty file, and `omics report` then stopped
    with pandas' EmptyDataError."""
    from omics.report._discover import read_tsv
    from omics.stages._integrate import _write_evidence

    table = pd.DataFrame({"feature_id": ["P1", "P2"], "gene_name": ["A", "B"], "logFC": [1.0, -1.0],
                          "t": [2.0, -2.0], "P.Value": [0.01, 0.02], "adj.P.Val": [0.02, 0.02]})
    path = tmp_path / "c1.protein.limma.results.tsv"
    table.to_csv(path, sep="\t", index=False)
    out = _write_evidence([path], [], tmp_path / "out", {"de_fdr": 0.05, "gsea_permutations": 100})
    summary = read_tsv(out["summary"])
    assert list(summary.columns) == ["contrast"] and summary.empty
