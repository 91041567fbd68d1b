"""omics.tl.sample_qc: one tidy table returned, results stored in the AnnData (scanpy style)."""

from __future__ import annotations

import anndata as ad
import matplotlib

matplotlib.use("Agg")  # this test process only

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import omics  # noqa: E402
from omics._errors import InputError  # noqa: E402


def _adata(seed: int = 0) -> ad.AnnData:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(10, 200))
    x[0] -= 6.0  # one sample far from the others
    adata = ad.AnnData(x)
    adata.obs_names = [f"S{i}" for i in range(10)]
    adata.layers["vst"] = x.copy()
    return adata


def test_sample_qc_returns_one_tidy_table_and_stores_documented_keys():
    adata = _adata()
    table = omics.tl.sample_qc(adata, layer="vst", n_pcs=3, seed=1)
    assert list(table.index) == list(adata.obs_names)
    assert list(table.columns) == ["PC1", "PC2", "PC3", "median_correlation", "correlation_robust_z",
                                   "pc_distance", "outlier"]
    assert table["outlier"].dtype == bool
    np.testing.assert_array_equal(adata.obsm["X_sample_qc_pca"], table[["PC1", "PC2", "PC3"]].to_numpy())
    np.testing.assert_allclose(adata.obsp["sample_qc_correlation"], np.corrcoef(adata.layers["vst"]))
    stored = adata.uns["sample_qc"]
    assert (stored["layer"], stored["n_top"], stored["n_pcs"], stored["seed"]) == ("vst", 500, 3, 1)
    assert stored["variance_ratio"] == table.attrs["variance_ratio"] and len(stored["variance_ratio"]) == 3
    assert adata.obs["sample_qc_outlier"].tolist() == table["outlier"].tolist()
    off = np.corrcoef(adata.layers["vst"])
    np.fill_diagonal(off, np.nan)
    np.testing.assert_allclose(table["median_correlation"], np.nanmedian(off, axis=1))
    assert table.loc["S0", "outlier"]  # the shifted sample is flagged


def test_sample_qc_is_deterministic_and_key_added_prefixes_keys():
    first = omics.tl.sample_qc(_adata(), layer=None, seed=3)
    adata = _adata()
    second = omics.tl.sample_qc(adata, layer=None, seed=3, key_added="qc_x")
    pd.testing.assert_frame_equal(first, second)
    assert {"X_qc_x_pca"} <= set(adata.obsm) and "qc_x_correlation" in adata.obsp
    assert adata.uns["qc_x"]["layer"] == "X"


def test_pl_pca_draws_the_sample_qc_table_with_its_variance():
    table = omics.tl.sample_qc(_adata(), layer="vst", seed=0)
    ax = omics.pl.pca(table, color="outlier")
    assert ax.get_xlabel().startswith("PC1 (") and ax.get_xlabel().endswith("%)")


def test_sample_qc_too_small_is_an_input_error():
    with pytest.raises(InputError, match="at least 2 features that vary, and 3 samples"):
        omics.tl.sample_qc(ad.AnnData(np.ones((2, 5))), layer=None)


def _censored_proteins(seed: int = 2) -> ad.AnnData:
    """20 samples x 380 proteins (log2); sample P0 lost everything below its 160 most abundant."""
    rng = np.random.default_rng(seed)
    abundance = np.sort(rng.normal(25, 2.5, size=400))[::-1]
    x = abundance + rng.normal(scale=0.6, size=(20, 400))
    x[0, 160:] = np.nan
    adata = ad.AnnData(x[:, :380])
    adata.obs_names = [f"P{i}" for i in range(20)]
    return adata


def test_sample_qc_takes_missing_values_as_missing_not_as_the_feature_mean():
    adata = _censored_proteins()
    x = np.asarray(adata.X)
    table = omics.tl.sample_qc(adata, layer=None, n_pcs=3, seed=0)
    # correlations over the features both samples observed (R: use = "pairwise.complete.obs")
    np.testing.assert_allclose(adata.obsp["sample_qc_correlation"],
                               pd.DataFrame(x.T).corr(min_periods=3).to_numpy())
    np.testing.assert_allclose(adata.obsp["sample_qc_correlation"][0, 1],
                               np.corrcoef(x[0, :160], x[1, :160])[0, 1])
    # the PCA is that of the proteins observed in every sample, as if the others were absent
    complete = ad.AnnData(x[:, :160].copy())
    complete.obs_names = adata.obs_names
    expected = omics.tl.sample_qc(complete, layer=None, n_pcs=3, seed=0)
    pd.testing.assert_frame_equal(table[["PC1", "PC2", "PC3"]], expected[["PC1", "PC2", "PC3"]])
    assert adata.uns["sample_qc"]["n_features_pca"] == 160
    # The censored sample is the one flagged. Filled with the protein means (the old rule),
    # P0 had the highest median correlation (0.957) and P1, P7 and P17 were flagged instead.
    assert table.index[table["outlier"]].tolist() == ["P0"]
    assert table.loc["P0", "median_correlation"] < 0.86 < table["median_correlation"].drop("P0").min()


def test_sample_qc_without_a_complete_feature_asks_for_imputation():
    x = np.random.default_rng(0).normal(size=(6, 30))
    x[np.arange(30) % 6, np.arange(30)] = np.nan  # every feature misses one sample
    with pytest.raises(InputError, match="observed in every sample.*protein_imputation"):
        omics.tl.sample_qc(ad.AnnData(x), layer=None)
