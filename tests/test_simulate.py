"""The demo cohort simulator writes valid, deterministic inputs with a truth table."""

from __future__ import annotations

import pandas as pd

from omics.params import resolve
from omics.simulate import simulate_cohort
from omics.stages import validate


def test_full_demo_cohort_is_valid_input(tmp_path):
    paths = simulate_cohort(tmp_path / "demo")  # the cohort `omics run` uses without inputs
    validate(**paths, outdir=tmp_path / "results", params=resolve({}))
    counts = pd.read_csv(paths["rna_counts"], sep="\t")
    assert counts.shape == (20000, 42)
    assert counts["gene_id"].str.startswith("ENSG").all() and counts["gene_id"].is_unique
    sheet = pd.read_csv(paths["input"])
    assert len(sheet) == 40 and set(sheet["arm"]) == {"placebo", "bmmnc"}
    assert pd.crosstab(sheet["arm"], sheet["response"]).min().min() >= 3
    proteins = pd.read_csv(paths["protein_matrix"], sep="\t")
    assert proteins["Protein IDs"].is_unique
    assert (proteins["Reverse"] == "+").sum() > 0 and (proteins["Potential contaminant"] == "+").sum() > 0
    truth = pd.read_csv(tmp_path / "demo" / "truth_genes.tsv", sep="\t")
    assert {"predictive", "prognostic", "arm", "unaffected"} <= set(truth["role"])


def test_simulation_is_deterministic_and_null_has_no_planted_genes(tmp_path):
    first = simulate_cohort(tmp_path / "a", seed=7, profile="test")
    second = simulate_cohort(tmp_path / "b", seed=7, profile="test")
    for key in first:
        assert first[key].read_bytes() == second[key].read_bytes(), key
    simulate_cohort(tmp_path / "null", seed=7, profile="test", scenario="null")
    truth = pd.read_csv(tmp_path / "null" / "truth_genes.tsv", sep="\t")
    assert set(truth["role"]) == {"arm", "unaffected"}
    assert pd.read_csv(tmp_path / "null" / "truth_sets.tsv", sep="\t").empty
