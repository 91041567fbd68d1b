"""The vectorised mRNA-protein Spearman correlation equals scipy's per-gene spearmanr."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
from scipy import stats

from omics.tl import mrna_protein_correlation
from omics.tl._integrate import _spearman_columns


def test_spearman_columns_match_scipy() -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(25, 300))
    y = x * rng.uniform(-1, 1, size=300) + rng.normal(size=(25, 300))
    x[:, :40] = np.round(x[:, :40])  # ties
    y[:, 40:60] = np.round(y[:, 40:60] * 2)
    rho, p = _spearman_columns(x, y)
    for j in range(x.shape[1]):
        expected = stats.spearmanr(x[:, j], y[:, j])
        assert abs(rho[j] - expected[0]) < 1e-12
        assert abs(p[j] - expected[1]) <= 1e-12 * max(expected[1], 1e-300) + 1e-15


def test_correlation_table_matches_per_gene_loop() -> None:
    rng = np.random.default_rng(3)
    samples = [f"S{i}" for i in range(20)]
    genes = [f"G{j}" for j in range(50)]
    rna = rng.normal(size=(20, 50))
    protein = rna + rng.normal(size=(20, 50))
    protein[:5, 3] = np.nan          # some missing pairs: 15 left
    protein[:16, 4] = np.nan         # too few pairs: NA
    rna[:, 5] = 1.0                  # constant: NA
    protein[rng.random((20, 50)) < 0.02] = np.nan
    obs = pd.DataFrame(index=samples)
    var = pd.DataFrame({"gene_name": genes}, index=genes)
    rna_ad = ad.AnnData(np.zeros((20, 50)), obs=obs, var=var, layers={"vst": rna})
    prot_ad = ad.AnnData(protein, obs=obs.copy(), var=var.copy())
    table = mrna_protein_correlation(rna_ad, prot_ad, min_pairs=6)
    for row in table.itertuples():
        j = genes.index(row.gene_name)
        ok = np.isfinite(rna[:, j]) & np.isfinite(protein[:, j])
        assert row.n_pairs == ok.sum()
        if ok.sum() >= 6 and np.ptp(rna[ok, j]) > 0 and np.ptp(protein[ok, j]) > 0:
            expected = stats.spearmanr(rna[ok, j], protein[ok, j])
            assert abs(row.spearman_rho - expected[0]) < 1e-12
            assert abs(row.pvalue - expected[1]) <= 1e-12 * expected[1] + 1e-15
        else:
            assert np.isnan(row.spearman_rho) and np.isnan(row.pvalue)
    assert table["spearman_rho"].isna().sum() >= 2


def test_partial_pairs_are_bit_identical_to_scipy() -> None:
    from omics.tl._integrate import _spearman_partial

    rng = np.random.default_rng(5)
    x = rng.normal(size=(30, 200))
    y = x * rng.uniform(-1, 1, size=200) + rng.normal(size=(30, 200))
    x[:, :30] = np.round(x[:, :30])  # ties
    ok = rng.random((30, 200)) > 0.2
    ok[:, 7] = True
    x[:, 9] = 2.0  # constant: NA
    rho, p = _spearman_partial(x, y, ok)
    for j in range(x.shape[1]):
        rows = ok[:, j]
        if j == 9:
            assert np.isnan(rho[j]) and np.isnan(p[j])
            continue
        expected = stats.spearmanr(x[rows, j], y[rows, j])
        assert rho[j] == expected[0] and p[j] == expected[1]  # exactly, not approximately


def test_spearman_pair_ranks_and_normal_tails_are_scipy_stats_bit_for_bit() -> None:
    import warnings

    from omics.tl._spearman import average_ranks, spearman
    from omics.tl._stats import norm_isf, norm_sf

    rng = np.random.default_rng(11)
    x = rng.normal(size=(40, 60))
    x[:, :20] = np.round(x[:, :20])  # ties
    x[3, 5] = -0.0
    x[4, 5] = 0.0
    x[rng.random((40, 60)) < 0.05] = np.nan
    assert average_ranks(x).tobytes() == stats.rankdata(x, axis=0, nan_policy="omit").tobytes()
    assert average_ranks(x[:, 7]).tobytes() == stats.rankdata(x[:, 7], nan_policy="omit").tobytes()
    pairs = [(x[:, j], x[:, j + 1] * rng.uniform(-1, 1) + rng.normal(size=40)) for j in range(58)]
    pairs += [(np.arange(5.0), np.arange(5.0)), (np.arange(5.0), -np.arange(5.0)),  # rho = +-1
              (np.ones(6), np.arange(6.0)), (np.arange(6.0), np.full(6, 2.0)),  # constant
              (np.array([1.0]), np.array([2.0])), (np.arange(3.0), np.array([3.0, 1.0, 2.0])),
              (np.array([1.0, np.nan, 3.0, 4.0]), np.array([2.0, 1.0, 4.0, 3.0]))]
    for a, b in pairs:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = stats.spearmanr(a, b)
        ours = spearman(a, b)
        assert np.array(ours).tobytes() == np.array([expected[0], expected[1]], float).tobytes()
    q = np.concatenate([[0.0, 1.0, 0.5, 0.25, 1e-300, 1 - 1e-16, -0.1, 1.1, np.nan],
                        rng.uniform(size=200), 10.0 ** -rng.uniform(0, 300, size=50)])
    assert norm_isf(q).tobytes() == stats.norm.isf(q).tobytes()
    z = np.concatenate([[0.0, -0.0, np.inf, -np.inf, np.nan, 40.0], rng.normal(scale=5, size=200)])
    assert norm_sf(z).tobytes() == stats.norm.sf(z).tobytes()
