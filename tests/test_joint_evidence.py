"""Joint pathway evidence (Stouffer over tested modalities) and score redundancy."""
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from omics._errors import InputError
from omics.tl import pathway_evidence, score_redundancy


def _gsea(rows):
    return pd.DataFrame(rows, columns=["term", "nes", "pvalue", "fdr"])


def test_stouffer_over_tested_modalities_signed():
    rna = _gsea([("A", 2.0, 0.01, 0.1), ("B", 1.5, 0.02, 0.2), ("C", -1.0, 0.3, 0.5)])
    protein = _gsea([("A", 1.8, 0.04, 0.3), ("B", -1.5, 0.02, 0.2)])
    table = pathway_evidence({"rna": rna, "protein": protein}).set_index("term")
    z = (stats.norm.isf(0.005) + stats.norm.isf(0.02)) / np.sqrt(2)
    assert table.loc["A", "stouffer_z"] == pytest.approx(z)
    assert table.loc["A", "stouffer_pvalue"] == pytest.approx(2 * stats.norm.sf(z))
    assert table.loc["B", "stouffer_z"] == pytest.approx(0.0, abs=1e-12)  # opposite signs cancel
    # tested in one modality: its own z (Stouffer of one), so its two-sided p
    assert table.loc["C", "n_modalities"] == 1 and table.loc["C", "stouffer_pvalue"] == pytest.approx(0.3)
    assert table.loc["C", "direction"] == "down"


def test_joint_evidence_direction_is_balanced_when_the_null_leans_to_one_sign():
    """A set's null ES mostly positive: up and down calls by chance equally often.

    GSEA's nominal p is taken within the sign of the ES, so under such a null a set is
    "up" far more often than "down"; the one-sided p over all permutations is not.
    """
    from omics.tl._gsea_stats import _nominal_p, one_sided_p

    rng = np.random.default_rng(7)
    n, b = 4000, 999
    null = rng.normal(0.4, 1.0, (n, b))  # about two thirds of the null ES positive
    es = rng.normal(0.4, 1.0, n)  # the observed ES drawn from the same null
    tables = {"nominal": pd.DataFrame({"term": [f"T{i}" for i in range(n)], "nes": es,
                                       "pvalue": _nominal_p(es, null), "fdr": 1.0})}
    tables["one_sided"] = tables["nominal"].assign(pvalue_one_sided=one_sided_p(es, null))
    rates = {}
    for name, gsea in tables.items():
        z = pathway_evidence({"rna": gsea})["stouffer_z"]
        rates[name] = ((z > 1.96).mean(), (z < -1.96).mean())
    up, down = rates["one_sided"]
    assert 0.015 < up < 0.035 and 0.015 < down < 0.035
    up, down = rates["nominal"]
    assert up > 1.5 * down  # the direction the nominal p-values favour


def test_one_sided_p_counts_all_permutations_in_the_observed_direction():
    from omics.tl._gsea_stats import one_sided_p

    null = np.array([[0.1, 0.5, 0.9, -0.2], [0.1, 0.5, -0.3, -0.7]])
    p = one_sided_p(np.array([0.5, -0.3]), null)
    np.testing.assert_allclose(p, [(2 + 1) / 5, (2 + 1) / 5])


def test_zero_permutation_p_is_floored_not_invented():
    rna = _gsea([("A", 2.5, 0.0, 0.6)])
    protein = _gsea([("A", 0.3, 0.9, 0.9)])
    with pytest.raises(InputError, match=r"\(k \+ 1\) / \(B \+ 1\)"):
        pathway_evidence({"rna": rna, "protein": protein})
    table = pathway_evidence({"rna": rna, "protein": protein}, permutations=1000).set_index("term")
    assert table.loc["A", "rna_pvalue"] == pytest.approx(1 / 1001)
    assert table.loc["A", "stouffer_pvalue"] > 1e-3  # not ~0 as with a 1e-300 clip


def test_demo_joint_fdr_needs_nominal_support():
    """The issue's check: no joint FDR < 0.05 unless a modality has nominal p < 0.05.

    Null-like GSEA tables (p uniform on the (k+1)/(B+1) grid, as from 1,000 permutations)
    for 6,000 sets in two modalities: the joint evidence never reaches FDR < 0.05 for sets
    without nominal support; planted sets with support in both modalities do.
    """
    rng = np.random.default_rng(0)
    n, b = 6000, 1000
    terms = [f"T{i}" for i in range(n)]
    frames = {}
    for modality in ("rna", "protein"):
        k = rng.integers(0, b + 1, n)
        p = (k + 1) / (b + 1)
        p[:5] = 1 / (b + 1)  # five planted sets: no permutation beat them in either modality
        nes = np.where(rng.random(n) < 0.5, -1, 1) * rng.uniform(0.5, 2.5, n)
        nes[:5] = 2.5
        frames[modality] = _gsea(list(zip(terms, nes, p, np.minimum(p * 10, 1), strict=True)))
    table = pathway_evidence(frames)
    joint = table["stouffer_fdr"] < 0.05
    support = (table["rna_pvalue"] < 0.05) | (table["protein_pvalue"] < 0.05)
    assert not (joint & ~support).any()
    assert set(table.loc[joint, "term"]) >= {"T0", "T1", "T2", "T3", "T4"}


def test_redundancy_pairs_and_leader_groups():
    rng = np.random.default_rng(1)
    base = rng.standard_normal(40)
    scores = pd.DataFrame({"lead": base, "copy": base + 0.1 * rng.standard_normal(40),
                           "other": rng.standard_normal(40), "overlap": rng.standard_normal(40)})
    genes = {"lead": list("ABCDEFGH"), "copy": list("ABCDEFGH"), "other": list("XYZW"),
             "overlap": list("XYZWV")}
    pairs, groups = score_redundancy(scores, genes, ["copy", "lead", "other", "overlap"],
                                     strength={"lead": 0.001, "copy": 0.01, "other": 0.02, "overlap": 0.03})
    row = pairs.set_index(["score_a", "score_b"]).loc[("other", "overlap")]
    assert row["jaccard"] == pytest.approx(4 / 5) and row["n_shared"] == 4 and row["linked"]
    assert len(pairs) == 6
    assert groups == {"lead": "lead", "copy": "lead", "other": "other", "overlap": "other"}
    empty, none = score_redundancy(scores, genes, [])
    assert empty.empty and none == {}
