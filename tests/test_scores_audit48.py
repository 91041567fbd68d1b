"""Per-patient scores: findings of the h48 score audit (/tmp/notes/h48_scores.md).

#1 ssGSEA on numeric gene ids (Entrez, numeric probes) took a sample as the gene names;
#2 a set holding every scored gene crashed ulm and left ssgsea silently NA; #3 ssGSEA's
tie-order dependence is logged (the scores stay gseapy's); #4 a zmean set without
``min_size`` usable genes was counted as scored; #5 the gene lists behind
``score_redundancy`` were the measured genes, not those scored; #6 duplicated sample ids
were not checked.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import anndata as ad
import numpy as np
import pandas as pd
import pytest

import omics
from omics._errors import InputError
from omics.stages import _score
from omics.tl import sample_scores


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def lines() -> Iterator[list[str]]:
    """Messages logged by the package meanwhile (whatever its propagation setting)."""
    handler = _Lines()
    logger = logging.getLogger("omics")
    old = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)


def _matrix(n_samples: int = 10, n_genes: int = 8, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.normal(8, 2, (n_samples, n_genes)),
                        index=[f"s{i}" for i in range(n_samples)],
                        columns=[f"G{i}" for i in range(n_genes)])


# --- #1 numeric gene ids -------------------------------------------------------------

def test_1_ssgsea_on_numeric_gene_ids_equals_the_scores_on_symbols():
    x = _matrix(8, 60, seed=1)
    sets = {"A": list(x.columns[:10]), "B": list(x.columns[20:35])}
    entrez = {g: str(7000 + i) for i, g in enumerate(x.columns)}
    numeric = x.rename(columns=entrez)
    numeric_sets = {t: [entrez[g] for g in genes] for t, genes in sets.items()}
    by_symbol = sample_scores(x, sets, method="ssgsea")
    by_id = sample_scores(numeric, numeric_sets, method="ssgsea")
    assert list(by_id.index) == list(x.index) and list(by_id.columns) == ["A", "B"]
    assert by_symbol.notna().all().all()
    np.testing.assert_array_equal(by_id.to_numpy(), by_symbol.to_numpy())


def test_1_control_ssgsea_sample_ids_that_look_like_numbers_stay_text():
    x = _matrix(6, 40).set_axis(["001", "002", "010", "1", "2", "3"], axis=0)
    scores = sample_scores(x, {"A": list(x.columns[:8])}, method="ssgsea")
    assert list(scores.index) == ["001", "002", "010", "1", "2", "3"]
    assert scores["A"].notna().all()


# --- #2 a set holding every scored gene -----------------------------------------------

@pytest.mark.parametrize("method", ["ulm", "ssgsea"])
def test_2_set_of_every_gene_is_left_out_by_name_and_the_others_scored(method, lines):
    x = _matrix()
    genes = list(x.columns)
    scores = sample_scores(x, {"ALL": genes, "SOME": genes[:5]}, method=method)
    alone = sample_scores(x, {"SOME": genes[:5]}, method=method)
    assert list(scores.columns) == ["ALL", "SOME"]
    assert scores["ALL"].isna().all()
    np.testing.assert_array_equal(scores["SOME"].to_numpy(), alone["SOME"].to_numpy())
    assert any("left out 1 gene set(s) holding all 8 genes scored" in m and m.endswith(": ALL")
               and "needs genes outside the set" in m for m in lines)
    assert any(f"sample_scores({method}): 1 of 2 gene sets scored" in m for m in lines)


@pytest.mark.parametrize("method", ["ulm", "ssgsea"])
def test_2_only_sets_of_every_gene_stop_with_the_zmean_hint(method):
    x = _matrix()
    with pytest.raises(InputError, match=r"every gene set holds all 8 genes.*ALL.*use method='zmean'"):
        sample_scores(x, {"ALL": list(x.columns)}, method=method)


def test_2_with_missing_values_the_complete_genes_count():
    """A set holding every gene observed in all samples (not every column) is left out too."""
    x = _matrix(10, 10)
    x.iloc[0, 8:] = np.nan  # G8, G9 not observed in every sample
    with pytest.raises(InputError, match="every gene set holds all 8 genes"):
        sample_scores(x, {"MOST": list(x.columns)}, method="ulm")


def _protein(x: pd.DataFrame) -> ad.AnnData:
    return ad.AnnData(x.to_numpy(), obs=pd.DataFrame(index=x.index),
                      var=pd.DataFrame({"gene_name": list(x.columns)}, index=list(x.columns)))


@pytest.mark.parametrize("method", ["ulm", "ssgsea"])
def test_2_stage_scores_the_other_sets_and_skips_a_modality_with_none(method, lines):
    x = _matrix(12, 20)
    genes = list(x.columns)
    params = {"score_method": method}
    scores, scored = _score._modality_scores(_protein(x), "protein",
                                             {"PANEL": genes, "GF": genes[:6]}, params)
    assert scores["PANEL"].isna().all() and scores["GF"].notna().all()
    assert scored == {"PANEL": [], "GF": sorted(genes[:6])}
    assert any("holding all 20 genes scored" in m and m.endswith("PANEL") for m in lines)
    assert _score._modality_scores(_protein(x), "protein", {"PANEL": genes}, params) is None
    assert any("every panel gene set with 5 genes measured in every sample holds all 20" in m
               and f"--score_method {method}" in m for m in lines)


# --- #3 ssGSEA ties -------------------------------------------------------------------

def test_3_ssgsea_ties_with_genes_outside_the_set_are_counted_in_the_log(lines):
    x = _matrix(4, 12)
    genes = list(x.columns)
    x.loc["s0", "G0"] = x.loc["s0", "G9"]  # set gene tied with a gene outside: counts
    x.loc["s1", "G1"] = x.loc["s1", "G2"]  # two set genes tied: order-free, not counted
    x.loc["s2", "G10"] = x.loc["s2", "G11"]  # two other genes tied: not counted
    x.loc["s3", ["G3", "G4", "G8"]] = 5.0  # two set genes tied with one outside: 2 values
    scores = sample_scores(x, {"A": genes[:6]}, method="ssgsea")
    tied = [m for m in lines if "tie with a gene outside the set" in m]
    assert len(tied) == 1
    assert tied[0].startswith("sample_scores(ssgsea): 3 values of set genes (1 of 1 gene sets, "
                              "2 of 4 samples)")
    # the scores stay gseapy's: the same call on the same column order
    import gseapy as gp

    data = x.T.rename_axis("gene").reset_index()
    ref = gp.ssgsea(data=data, gene_sets={"A": genes[:6]}, outdir=None, min_size=5, max_size=6,
                    threads=1, seed=0, no_plot=True, verbose=False).res2d
    ref = ref.pivot(index="Name", columns="Term", values="ES").astype(float).loc[list(x.index)]
    np.testing.assert_array_equal(scores["A"].to_numpy(), ref["A"].to_numpy())


def test_3_control_no_tie_line_without_ties_or_for_other_methods(lines):
    x = _matrix(6, 12)
    sample_scores(x, {"A": list(x.columns[:6])}, method="ssgsea")
    tied = x.copy()
    tied.iloc[:, 0] = tied.iloc[:, 9]
    sample_scores(tied, {"A": list(x.columns[:6])}, method="zmean")
    sample_scores(tied, {"A": list(x.columns[:6])}, method="ulm")
    assert not any("tie with a gene outside" in m for m in lines)


# --- #4 zmean sets without usable genes -----------------------------------------------

def test_4_zmean_set_without_enough_usable_genes_is_named_and_not_counted(lines):
    x = _matrix(12, 20, seed=0)
    genes = list(x.columns)
    x.iloc[2:, 0] = np.nan  # G0 observed in 2 samples: not standardised
    x["G1"] = 5.0  # constant: not standardised either
    scores = sample_scores(x, {"FIVE": genes[:5], "SIX": genes[:6], "OTHER": genes[5:12]})
    assert list(scores.columns) == ["FIVE", "SIX", "OTHER"]  # columns as before
    assert scores["FIVE"].isna().all() and scores["SIX"].isna().all()
    assert scores["OTHER"].notna().all()
    assert any("left out 2 gene set(s) with fewer than 5 usable genes" in m
               and m.endswith(": FIVE, SIX") for m in lines)
    assert any("sample_scores(zmean): 1 of 3 gene sets scored" in m for m in lines)


def test_4_zmean_set_never_observed_enough_in_one_sample_is_named(lines):
    x = _matrix(12, 12, seed=2)
    genes = list(x.columns)
    for j in range(5):  # each of G0..G4 observed in 3 disjoint-ish samples only
        keep = [(3 * j + k) % 12 for k in range(3)]
        x.iloc[[i for i in range(12) if i not in keep], j] = np.nan
    scores = sample_scores(x, {"SPARSE": genes[:5], "OK": genes[5:]})
    assert scores["SPARSE"].isna().all()
    assert any("no sample has 5 observed usable genes of 1 gene set(s)" in m
               and m.endswith("SPARSE") for m in lines)
    assert any("sample_scores(zmean): 1 of 2 gene sets scored" in m for m in lines)


def test_4_control_zmean_values_unchanged():
    x = _matrix(12, 20, seed=5)
    x.iloc[2:, 0] = np.nan
    sets = {"A": list(x.columns[:8]), "B": list(x.columns[6:14])}
    z = (x - x.mean()) / x.std(ddof=1)
    expected = {t: z[[g for g in genes if g != "G0"]].mean(axis=1) for t, genes in sets.items()}
    scores = sample_scores(x, sets)
    for t in sets:
        np.testing.assert_allclose(scores[t].to_numpy(), expected[t].to_numpy(), rtol=1e-12)


# --- #5 genes scored, for score_redundancy ---------------------------------------------

def test_5_uns_gene_sets_are_the_genes_scored():
    x = _matrix(12, 20, seed=4)
    genes = list(x.columns)
    x.iloc[0, [0, 1, 2]] = np.nan  # G0-G2 not observed in every sample
    x.iloc[2:, 3] = np.nan  # G3 observed in 2 samples only: not usable for zmean either
    x["G4"] = 1.0  # constant
    panel = {"A": genes[:12], "B": genes[:7] + ["NOT_MEASURED"]}
    adata = _protein(x)
    omics.tl.sample_scores(adata, panel, method="ulm")
    assert adata.uns["angio_scores"]["gene_sets"] == {
        "A": sorted(genes[4:12]), "B": []}  # B keeps 3 complete genes (G4-G6): not scored
    assert adata.obsm["angio_scores"]["B"].isna().all()
    omics.tl.sample_scores(adata, panel, method="zmean")
    assert adata.uns["angio_scores"]["gene_sets"] == {
        "A": sorted(["G0", "G1", "G2", *genes[5:12]]), "B": ["G0", "G1", "G2", "G5", "G6"]}
    pairs, _ = omics.tl.score_redundancy(adata, None, ["A", "B"], min_jaccard=0.0)
    assert pairs[["n_genes_a", "n_genes_b", "n_shared"]].iloc[0].tolist() == [10, 5, 5]


# --- #6 duplicated sample ids ---------------------------------------------------------

@pytest.mark.parametrize("method", ["zmean", "ulm", "ssgsea"])
def test_6_duplicated_sample_ids_stop_naming_them(method):
    x = _matrix(6, 30).set_axis(["s1", "s2", "s2", "s3", "s3", "s3"], axis=0)
    with pytest.raises(InputError, match=r"duplicated sample ids in expression \(its index\): s2, s3;"):
        sample_scores(x, {"A": list(x.columns[:6])}, method=method)
