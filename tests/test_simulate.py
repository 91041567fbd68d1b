"""The demo cohort simulator writes valid, deterministic inputs with a truth table."""

from __future__ import annotations

import pandas as pd
import pytest

from omics.params import resolve
from omics.simulate import simulate_cohort
from omics.stages import validate


@pytest.mark.slow
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


@pytest.mark.slow
def test_simulation_is_deterministic_and_null_has_no_planted_genes(tmp_path):
    first = simulate_cohort(tmp_path / "a", seed=7, profile="test")
    # n_cpus 2: the flow files are written beside the others, in another process
    second = simulate_cohort(tmp_path / "b", seed=7, profile="test", n_cpus=2)
    assert {k: p.name for k, p in first.items()} == {k: p.name for k, p in second.items()}
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert any(f.suffix == ".fcs" for f in files) and any(f.name == "proteinGroups.txt" for f in files)
    assert files == sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*")
                           if p.is_file())
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    simulate_cohort(tmp_path / "null", seed=7, profile="test", scenario="null")
    truth = pd.read_csv(tmp_path / "null" / "truth_genes.tsv", sep="\t")
    assert set(truth["role"]) == {"arm", "unaffected"}
    assert pd.read_csv(tmp_path / "null" / "truth_sets.tsv", sep="\t").empty


def test_survival_columns_are_consistent_and_matrices_unchanged(tmp_path):
    import hashlib

    from omics.io import read_samplesheet

    paths = simulate_cohort(tmp_path / "s", profile="test")
    sheet = read_samplesheet(paths["input"])  # raises if response and survival contradict
    assert {"afs_days", "afs_event"} <= set(sheet.columns)
    assert set(sheet["afs_event"]) <= {0.0, 1.0} and (sheet["afs_days"] >= 1).all()
    early = (sheet["afs_event"] == 1) & (sheet["afs_days"] <= 183)
    assert (sheet.loc[early, "response"] == "non_responder").all()
    assert (sheet["afs_days"] <= 183).all()  # 6-month administrative censoring
    truth = pd.read_csv(tmp_path / "s" / "truth_sets.tsv", sep="\t").set_index("role")
    assert truth.loc["predictive", "afs_role"] == "predictive"
    assert truth.loc["predictive", "afs_log_hr_per_sd"] < 0
    # the matrices and the original sample-sheet columns are those of the committed test cohort
    from helpers import TEST_COHORT

    for name in ("salmon.merged.gene_counts.tsv", "proteinGroups.txt"):
        assert hashlib.sha256((tmp_path / "s" / name).read_bytes()).digest() == hashlib.sha256(
            (TEST_COHORT / name).read_bytes()).digest(), name
    old = pd.read_csv(TEST_COHORT / "samplesheet.csv")
    pd.testing.assert_frame_equal(pd.read_csv(paths["input"])[old.columns], old)


def _sizes(paths: dict) -> tuple[int, int]:
    """A ``then`` for :func:`simulate_cohort_then`: it sees the molecular files written."""
    return len(pd.read_csv(paths["input"])), len(pd.read_csv(paths["rna_counts"], sep="\t"))


def _fails(paths: dict) -> None:
    from omics._errors import InputError

    raise InputError("checked and refused", path=paths["input"])


@pytest.mark.parametrize("n_cpus", [1, 2])
def test_then_runs_on_the_written_molecular_files_and_its_error_stops(tmp_path, n_cpus):
    """`omics run --demo` checks the matrices in the process that wrote them (simulate_cohort_then)."""
    from omics._errors import InputError
    from omics.simulate._write import INPUT_FILES, simulate_cohort_then

    paths, sizes = simulate_cohort_then(tmp_path / "a", seed=7, profile="test", n_cpus=n_cpus,
                                        then=_sizes)
    assert paths == {key: tmp_path / "a" / name for key, name in INPUT_FILES.items()}
    assert sizes == (40, 3000) and (tmp_path / "a" / "simulation.yaml").is_file()
    with pytest.raises(InputError, match="checked and refused") as error:
        simulate_cohort_then(tmp_path / "c", seed=7, profile="test", n_cpus=n_cpus, then=_fails)
    assert error.value.path == str(tmp_path / "c" / "samplesheet.csv")
