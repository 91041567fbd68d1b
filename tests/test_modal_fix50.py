"""h50 modal audit fixes (M1, M2, M3, L2, L3, L4, L7; /tmp/notes/h50_modal.md).

- M1: flow scores (populations, dose) are correlated with the continuous phenotypes in
  scores/score_phenotype_correlation.tsv, like the RNA and protein scores.
- M2: flow with one gene modality (RNA or protein, not both) still gives
  integration/flow_score_correlation.tsv; the mRNA-protein files stay absent.
- M3: a score missing for some patients is named in a warning with its counts by arm x
  response; qPCR with --qpcr_undetermined missing scores on the targets detected in every
  sample, so no patient loses a score.
- L2: qPCR undetermined cells are left out of the mRNA-protein correlation pairs.
- L3: the Nextflow report gets rna/qpcr_genorm.tsv (its methods name the geNorm M values).
- L4: no duplicate var_names in the MuData when a gene symbol equals a flow population.
- L7: targets undetermined in every sample have no value: NA rows in DE, not ranked, not scored.
"""

from __future__ import annotations

import logging
import re
import subprocess
import sys
import warnings
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from helpers import QUICK, REPO, TEST_COHORT, log_records, run_nextflow, run_pipeline
from helpers import nextflow_env as _env
from omics.dag import build_tasks, declared_outputs
from omics.params import resolve

SHEET = TEST_COHORT / "samplesheet.csv"
QPCR = TEST_COHORT / "qpcr_ct.tsv"
FLOW_TABLE = TEST_COHORT / "flow_populations.tsv"
POPULATIONS = ("CD34", "CD34_CD133", "CD34_KDR")
#: A target made undetermined in every well of the qPCR file of the runs (L7).
NEVER = "PDGFB"


def _qpcr_flow_options(qpcr: Path) -> list[str]:
    """qPCR + flow table + a continuous contrast, no protein (the trial-era combination)."""
    return [f"--input={SHEET}", f"--contrasts={TEST_COHORT / 'contrasts_potency.yaml'}",
            f"--rna_matrix={qpcr}", "--rna_format=qpcr",
            "--qpcr_reference_candidates=ACTB,GAPDH,B2M,HPRT1", "--gsea_min_size=3",
            f"--flow_table={FLOW_TABLE}"]


@pytest.fixture(scope="module")
def qpcr_never(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test cohort's Ct table with :data:`NEVER` undetermined in every well."""
    table = pd.read_csv(QPCR, sep="\t", dtype=str, keep_default_na=False)
    table.loc[table["target"] == NEVER, "Ct"] = "Undetermined"
    path = tmp_path_factory.mktemp("qpcr") / "qpcr_ct.tsv"
    table.to_csv(path, sep="\t", index=False)
    return path


@pytest.fixture(scope="module")
def qpcr_flow_run(tmp_path_factory: pytest.TempPathFactory, qpcr_never: Path) -> Path:
    """``omics run`` of :func:`_qpcr_flow_options` (quick settings)."""
    return run_pipeline(tmp_path_factory.mktemp("qpcr_flow") / "out", *_qpcr_flow_options(qpcr_never))


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", keep_default_na=False, na_values=["NA", ""])


# ------------------------------------------------------------------------------------------
# M1, M2, L7 through omics run (qPCR + flow table, no protein)
# ------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_m1_flow_scores_are_correlated_with_the_continuous_phenotype(qpcr_flow_run: Path) -> None:
    table = _read(qpcr_flow_run / "scores" / "score_phenotype_correlation.tsv")
    assert set(table["modality"]) == {"rna", "flow"}
    flow = table[table["modality"] == "flow"]
    scores = _read(qpcr_flow_run / "scores" / "angiogenesis_scores.tsv")
    # every flow score of the scores table has its row, with the RNA rows' columns filled
    assert set(flow["term"]) == set(scores.loc[scores["modality"] == "flow", "term"])
    assert set(POPULATIONS) <= set(flow["term"])
    assert flow["phenotype"].eq("potency_perfusion_ratio").all()
    assert flow["spearman_rho"].notna().all() and flow["spearman_pvalue"].between(0, 1).all()
    # the value is the Spearman correlation of the score with the phenotype across patients
    sheet = pd.read_csv(SHEET).set_index("sample")
    cd34 = scores[(scores["modality"] == "flow") & (scores["term"] == "CD34")].set_index("sample")["score"]
    expected = cd34.corr(sheet.loc[cd34.index, "potency_perfusion_ratio"], method="spearman")
    assert flow.set_index("term").loc["CD34", "spearman_rho"] == pytest.approx(expected, abs=1e-8)


@pytest.mark.slow
def test_m2_flow_score_correlation_without_protein(qpcr_flow_run: Path) -> None:
    folder = qpcr_flow_run / "integration"
    assert sorted(p.name for p in folder.iterdir()) == ["flow_score_correlation.tsv"]
    table = _read(folder / "flow_score_correlation.tsv")
    assert set(table["modality"]) == {"rna"}  # against the RNA scores, the scored gene modality
    assert set(POPULATIONS) <= set(table["population"])
    assert table["n"].max() == 40 and table["spearman_rho"].notna().any()
    report = (qpcr_flow_run / "report" / "index.html").read_text()
    assert "Flow populations vs scores" in report


@pytest.mark.slow
def test_l7_targets_undetermined_everywhere_are_not_tested_ranked_or_scored(qpcr_flow_run: Path) -> None:
    de = _read(qpcr_flow_run / "differential" / "potency.rna.limma.results.tsv").set_index("gene_name")
    never = [NEVER]  # undetermined in every sample of the runs' Ct table
    assert de.loc[never, ["logFC", "P.Value"]].isna().all().all()  # listed, NA
    assert de.drop(index=never)["P.Value"].notna().all()
    gsea = _read(qpcr_flow_run / "enrichment" / "potency.rna.gsea.tsv")
    edges = ";".join(gsea["leading_edge"].fillna("").astype(str)) if "leading_edge" in gsea else ""
    assert NEVER not in set(edges.split(";"))
    rna = ad.read_h5ad(qpcr_flow_run / "rna" / "rna.h5ad")
    assert np.isnan(np.asarray(rna[:, never].X)).all()
    assert (rna.var.loc[never, "n_undetermined"] == rna.n_obs).all()  # still named (the methods)
    assert np.isfinite(np.asarray(rna[:, never].layers["ct"])).all()  # the Cts are kept


def test_l7_pp_qpcr_delta_ct_gives_no_value_to_a_target_never_detected() -> None:
    from omics.pp import qpcr_average_replicates, qpcr_delta_ct

    rng = np.random.default_rng(1)
    rows = []
    for s in range(6):
        for target, ct in (("R1", 17.0), ("R2", 18.0), ("T1", 25.0), ("NEVER", np.nan)):
            for rep in (1, 2):
                rows.append({"sample": f"S{s}", "target": target, "replicate": rep,
                             "ct": ct + rng.normal(0, 0.1) if np.isfinite(ct) else np.nan})
    long = pd.DataFrame(rows)
    for policy in ("limit", "missing"):
        adata, _ = qpcr_average_replicates(long, max_ct=35, undetermined=policy)
        out = qpcr_delta_ct(adata, reference_genes=["R1", "R2"])
        never = out[:, "NEVER"]
        for layer in (None, "log2", "vst", "delta_ct"):
            values = np.asarray(never.X if layer is None else never.layers[layer], dtype=float)
            assert np.isnan(values).all(), (policy, layer)
        assert np.isfinite(np.asarray(out[:, "T1"].X)).all()


# ------------------------------------------------------------------------------------------
# M2 in the DAG: protein + flow, RNA + flow
# ------------------------------------------------------------------------------------------

def _params(tmp_path: Path, **inputs: str) -> dict:
    return resolve({"input": str(SHEET), "contrasts": str(TEST_COHORT / "contrasts.yaml"), **inputs})


@pytest.mark.parametrize("gene", ["rna_counts", "protein_matrix"])
def test_m2_dag_runs_integrate_with_flow_and_one_gene_modality(tmp_path: Path, gene: str) -> None:
    inputs = {"rna_counts": str(TEST_COHORT / "salmon.merged.gene_counts.tsv"),
              "protein_matrix": str(TEST_COHORT / "proteinGroups.txt")}
    params = _params(tmp_path, **{gene: inputs[gene]}, flow_table=str(FLOW_TABLE))
    out = tmp_path / "out"
    tasks = {t.name: t for t in build_tasks(params, out)}
    integrate = tasks["integrate"]
    modality = "rna" if gene == "rna_counts" else "protein"
    other = "protein" if modality == "rna" else "rna"
    assert integrate.kwargs[f"{modality}_h5ad"] == out / modality / f"{modality}.h5ad"
    assert f"{other}_h5ad" not in integrate.kwargs
    assert integrate.kwargs["flow_h5ad"] == out / "flow" / "flow.h5ad"
    assert integrate.kwargs["scores"] == out / "scores" / "angiogenesis_scores.tsv"
    # the report's inputs: none of the mRNA-protein files, which this task does not write
    declared = {p.name for p in declared_outputs(integrate, params, out)}
    assert declared == set()  # (flow_score_correlation.tsv is optional, as with both)
    report_inputs = {p.name for p in tasks["report"].inputs}
    assert "omics.h5mu" not in report_inputs and "concordance.tsv" not in report_inputs
    # without flow: no integrate task
    alone = {t.name for t in build_tasks(_params(tmp_path, **{gene: inputs[gene]}), out,
                                         reads={"flow_prep": []})}
    assert "integrate" not in alone


def test_m2_control_both_gene_modalities_declare_every_integration_file(tmp_path: Path) -> None:
    """Control (passes on the old code too): RNA + protein keep every declared output."""
    params = _params(tmp_path, rna_counts=str(TEST_COHORT / "salmon.merged.gene_counts.tsv"),
                     protein_matrix=str(TEST_COHORT / "proteinGroups.txt"))
    out = tmp_path / "out"
    integrate = next(t for t in build_tasks(params, out, reads={"flow_prep": []})
                     if t.stage == "integrate")
    assert {p.name for p in declared_outputs(integrate, params, out)} == {
        "omics.h5mu", "mrna_protein_correlation.tsv", "concordance.tsv", "concordance_summary.tsv",
        "pathway_evidence.tsv"}


# ------------------------------------------------------------------------------------------
# M3: missing scores
# ------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_m3_qpcr_missing_scores_every_patient(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "omics.cli", "run", f"--input={SHEET}",
         f"--contrasts={TEST_COHORT / 'contrasts.yaml'}", f"--rna_matrix={QPCR}", "--rna_format=qpcr",
         "--qpcr_undetermined=missing", "--qpcr_reference_genes=ACTB,GAPDH", "--gsea_min_size=3",
         *QUICK, "--outdir", str(out)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    scores = _read(out / "scores" / "angiogenesis_scores.tsv")
    assert len(scores) and scores["score"].notna().all()
    model = _read(out / "scores" / "response_model.tsv")
    assert (model["n"] == 40).all()  # no patient dropped by an outcome-related missingness
    assert "the scores use the targets detected in every sample" in result.stderr
    assert "is missing for" not in result.stderr


def test_m3_warning_names_the_missing_score_with_counts_by_arm_and_response(tmp_path: Path) -> None:
    from omics.stages._score import score

    rng = np.random.default_rng(3)
    n, genes = 12, [f"G{i}" for i in range(8)]
    obs = pd.DataFrame({"arm": ["bmmnc"] * 6 + ["placebo"] * 6,
                        "response": (["responder", "non_responder"] * 6)},
                       index=[f"S{i:02d}" for i in range(n)])
    values = rng.normal(0, 1, (n, len(genes)))
    values[[1, 3, 5], 2:] = np.nan  # bmmnc non-responders: 2 genes of the set left
    adata = ad.AnnData(X=values.copy(), obs=obs, var=pd.DataFrame({"gene_name": genes}, index=genes))
    adata.layers["vst"] = values.copy()
    adata.uns["modality"] = "protein"
    adata.uns["de_layer"] = None
    adata.uns["continuous_outcomes"] = []
    path = tmp_path / "protein.h5ad"
    adata.write_h5ad(path)
    gmt = tmp_path / "set.gmt"
    gmt.write_text("SET_A\tna\t" + "\t".join(genes) + "\n")
    params = resolve({"input": str(SHEET), "contrasts": str(TEST_COHORT / "contrasts.yaml"),
                      "genesets": str(gmt), "response_covariates": "", "cv_repeats": 2,
                      "cv_folds": 3})
    with log_records("score", logging.WARNING) as records:
        score(h5ads={"protein": path}, outdir=tmp_path / "out", params=params)
    messages = [r.getMessage() for r in records]
    hits = [m for m in messages if "SET_A is missing for 3 of 12 patients" in m]
    assert hits, messages
    assert "bmmnc/non_responder 3 of 3" in hits[0]
    assert "placebo" not in hits[0]  # only the groups with a patient missing


# ------------------------------------------------------------------------------------------
# L2, L4: library functions
# ------------------------------------------------------------------------------------------

def test_l2_undetermined_qpcr_cells_are_not_correlation_pairs() -> None:
    from omics.tl import mrna_protein_correlation

    rng = np.random.default_rng(0)
    samples = [f"S{i}" for i in range(12)]
    genes = ["TEK", "KDR"]
    x = rng.normal(0, 1, (12, 2))
    rna = ad.AnnData(X=x.copy(), obs=pd.DataFrame(index=samples),
                     var=pd.DataFrame({"gene_name": genes}, index=genes))
    rna.layers["vst"] = x.copy()
    undetermined = np.zeros((12, 2), dtype=np.int8)
    undetermined[:7, 0] = 1  # TEK undetermined in 7 of 12 samples
    rna.layers["undetermined"] = undetermined
    protein = ad.AnnData(X=rng.normal(0, 1, (12, 2)), obs=pd.DataFrame(index=samples),
                         var=pd.DataFrame({"gene_name": genes}, index=["P1", "P2"]))
    table = mrna_protein_correlation(rna, protein).set_index("gene_name")
    assert table.loc["TEK", "n_pairs"] == 5 and np.isnan(table.loc["TEK", "spearman_rho"])
    assert table.loc["KDR", "n_pairs"] == 12
    # with 6 measured pairs the rho is that of those pairs alone
    undetermined[:7, 0] = 0
    undetermined[:6, 0] = 1
    rna.layers["undetermined"] = undetermined
    rho = mrna_protein_correlation(rna, protein).set_index("gene_name").loc["TEK", "spearman_rho"]
    expected = pd.Series(x[6:, 0]).corr(pd.Series(np.asarray(protein.X)[6:, 0]), method="spearman")
    assert rho == pytest.approx(expected, abs=1e-12)


def test_l4_mudata_var_names_unique_when_a_symbol_is_a_population() -> None:
    from omics.tl import build_mudata

    samples = [f"S{i}" for i in range(4)]
    rna = ad.AnnData(X=np.ones((4, 2)), obs=pd.DataFrame(index=samples),
                     var=pd.DataFrame(index=["CD34", "KDR"]))
    protein = ad.AnnData(X=np.ones((4, 1)), obs=pd.DataFrame(index=samples),
                         var=pd.DataFrame({"gene_name": ["VEGFA"]}, index=["P15692"]))
    flow = ad.AnnData(X=np.ones((4, 2)), obs=pd.DataFrame(index=samples),
                      var=pd.DataFrame(index=["CD34", "CD34_KDR"]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no raw library warning
        mdata = build_mudata(rna, protein, flow)
    assert mdata.var_names.is_unique
    assert list(mdata["flow"].var_names) == ["flow:CD34", "flow:CD34_KDR"]
    assert list(mdata["rna"].var_names) == ["rna:CD34", "rna:KDR"]
    assert list(mdata["rna"].var["gene_name"]) == ["CD34", "KDR"]  # the symbols kept
    assert list(mdata["flow"].var["population"]) == ["CD34", "CD34_KDR"]
    assert list(mdata["protein"].var["gene_name"]) == ["VEGFA"]


def test_l4_control_no_clash_leaves_the_names_alone() -> None:
    """Control (passes on the old code too): without a clash the names are as given."""
    from omics.tl import build_mudata

    samples = [f"S{i}" for i in range(4)]
    rna = ad.AnnData(X=np.ones((4, 2)), obs=pd.DataFrame(index=samples),
                     var=pd.DataFrame(index=["ENSG1", "ENSG2"]))
    flow = ad.AnnData(X=np.ones((4, 1)), obs=pd.DataFrame(index=samples),
                      var=pd.DataFrame(index=["CD34"]))
    mdata = build_mudata(rna, None, flow)
    assert list(mdata.var_names) == ["ENSG1", "ENSG2", "CD34"]
    assert "population" not in mdata["flow"].var and "gene_name" not in mdata["rna"].var


# ------------------------------------------------------------------------------------------
# M1, M2, L3 through Nextflow (one run)
# ------------------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.nextflow
def test_nextflow_flow_phenotype_flow_correlation_and_genorm_methods(
        nextflow: Path, tmp_path: Path, qpcr_never: Path, qpcr_flow_run: Path) -> None:
    limits = tmp_path / "limits.config"
    limits.write_text("process { resourceLimits = [cpus: 1, memory: 6.GB, time: 1.h] }\n")
    quick = [f"{QUICK[0]}={QUICK[1]}", f"{QUICK[2]}={QUICK[3]}"]
    nf_out = tmp_path / "nf"
    options = _qpcr_flow_options(qpcr_never)
    result = run_nextflow([str(nextflow), "run", str(REPO), "-c", str(limits), *options, *quick,
                           "--outdir", str(nf_out), "-work-dir", str(tmp_path / "work")],
                          cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True,
                          timeout=900)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    # M1 and M2: the tables of omics run, flow rows and the flow-score correlation included
    for name in ("scores/score_phenotype_correlation.tsv", "integration/flow_score_correlation.tsv"):
        nf, local = _read(nf_out / name), _read(qpcr_flow_run / name)
        pd.testing.assert_frame_equal(nf, local, check_exact=False, rtol=1e-9)
    assert "flow" in set(_read(nf_out / "scores/score_phenotype_correlation.tsv")["modality"])
    assert sorted(p.name for p in (nf_out / "integration").iterdir()) == ["flow_score_correlation.tsv"]
    # L3: the methods name the geNorm candidates and M values, as omics run's report does
    nf_report = (nf_out / "report" / "index.html").read_text()
    local_report = (qpcr_flow_run / "report" / "index.html").read_text()
    sentence = re.compile(r"Reference genes: [^;]*")
    local = sentence.search(local_report).group(0)
    assert "among 4 candidates (" in local and "(geNorm M " in local
    assert sentence.search(nf_report).group(0) == local
