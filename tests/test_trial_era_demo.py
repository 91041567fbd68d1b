"""The simulated cohort's trial-era inputs: qPCR panel and in vivo potency against the truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import TEST_COHORT, run_omics
from omics.simulate import simulate_cohort


def test_extra_inputs_leave_existing_numbers_unchanged(tmp_path):
    simulate_cohort(tmp_path / "sim", profile="test")
    for name in ("salmon.merged.gene_counts.tsv", "proteinGroups.txt", "truth_genes.tsv",
                 "qpcr_ct.tsv", "samplesheet.csv"):
        assert (tmp_path / "sim" / name).read_bytes() == (TEST_COHORT / name).read_bytes(), name
    sheet = pd.read_csv(tmp_path / "sim" / "samplesheet.csv")
    latent = pd.read_csv(tmp_path / "sim" / "truth_patients.tsv", sep="\t")
    assert np.corrcoef(sheet["potency_perfusion_ratio"], latent["potency_factor"])[0, 1] > 0.9


@pytest.mark.slow
def test_qpcr_potency_recovers_planted_truth(tmp_path):
    out = tmp_path / "results"
    result = run_omics(
        "run", "--input", str(TEST_COHORT / "samplesheet.csv"), "--contrasts",
        str(TEST_COHORT / "contrasts_potency.yaml"), "--rna_matrix", str(TEST_COHORT / "qpcr_ct.tsv"),
        "--rna_format", "qpcr", "--qpcr_reference_candidates", "ACTB,GAPDH,B2M,HPRT1",
        "--gsea_min_size", "3", "--gsea_permutations", "200", "--cv_repeats", "2",
        "--outdir", str(out))
    assert result.returncode == 0, result.stderr
    truth = pd.read_csv(TEST_COHORT / "truth_qpcr.tsv", sep="\t").set_index("target")
    genorm = pd.read_csv(out / "rna" / "qpcr_genorm.tsv", sep="\t")
    assert set(genorm["target"]) == {"ACTB", "GAPDH", "B2M", "HPRT1"}
    de = pd.read_csv(out / "differential" / "potency.rna.limma.results.tsv",
                     sep="\t").set_index("feature_id")
    assert "logFC_per_sd" in de.columns and "delta_delta_ct" in de.columns
    predictive = truth.index[truth["log2_loading_potency"] > 0]
    assert len(predictive) >= 6
    assert (de.loc[predictive, "adj.P.Val"] < 0.05).all()
    assert (de.loc[predictive, "logFC"] > 0).all()
    unaffected = truth.index[(truth["role"] == "unaffected")].intersection(de.index)
    assert (de.loc[unaffected, "adj.P.Val"] < 0.05).mean() <= 0.2
    correlation = pd.read_csv(out / "scores" / "score_phenotype_correlation.tsv", sep="\t")
    sprouting = correlation.set_index("term").loc["GO:0002040_SPROUTING_ANGIOGENESIS"]
    assert sprouting["spearman_rho"] > 0.5 and sprouting["fdr"] < 0.05
    assert (out / "enrichment" / "potency.rna.gsea.tsv").is_file()
