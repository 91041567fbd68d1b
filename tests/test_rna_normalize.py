"""``pp.normalize_deseq2``: pydeseq2's size factors and VST, to the last bit."""

from __future__ import annotations

import warnings

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from omics.pp._rna import _intercept_dataset, normalize_deseq2


def _counts(n_samples: int, n_genes: int, *, every_gene_has_a_zero: bool) -> ad.AnnData:
    rng = np.random.default_rng(11)
    means = np.exp(rng.normal(4.0, 1.5, n_genes))
    size = 1.0 / (0.05 + 1.0 / means)  # DESeq2's parametric trend: dispersion = a0 + a1 / mean
    counts = rng.negative_binomial(size, size / (size + means), size=(n_samples, n_genes))
    if every_gene_has_a_zero:
        counts[rng.integers(0, n_samples, n_genes), np.arange(n_genes)] = 0
    else:
        counts[:, : n_genes // 2] += 1  # half the genes without a zero
    obs = pd.DataFrame(index=pd.Index([f"S{i}" for i in range(n_samples)], name="sample"))
    var = pd.DataFrame(index=pd.Index([f"G{j}" for j in range(n_genes)], name="gene_id"))
    adata = ad.AnnData(X=counts, obs=obs, var=var)
    adata.layers["counts"] = counts.copy()
    return adata


@pytest.mark.parametrize("every_gene_has_a_zero", [False, True])
def test_size_factors_are_pydeseq2s(every_gene_has_a_zero: bool) -> None:
    # pydeseq2's iterative fit is slow: a small matrix for it
    shape = (16, 300) if every_gene_has_a_zero else (48, 1500)
    adata = _counts(*shape, every_gene_has_a_zero=every_gene_has_a_zero)
    counts = adata.layers["counts"].copy()
    reference = _intercept_dataset(counts, adata.obs_names, adata.var_names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference.fit_size_factors()  # ratio, or pydeseq2's iterative fit when every gene has a zero
    normalize_deseq2(adata, nsub=100)
    expected = reference.obs["size_factors"].to_numpy()
    np.testing.assert_array_equal(adata.obs["size_factors"].to_numpy(), expected)
    np.testing.assert_array_equal(adata.layers["normalized"], counts / expected[:, None])
    assert np.isfinite(adata.layers["vst"]).all()


def test_vst_is_unchanged_by_the_size_factor_path() -> None:
    # The VST computed from pydeseq2's own size factors (the earlier code path) and from
    # median_of_ratios are the same doubles.
    adata = _counts(40, 1200, every_gene_has_a_zero=False)
    counts = adata.layers["counts"].copy()
    normalize_deseq2(adata, nsub=400)
    reference = _intercept_dataset(counts, adata.obs_names, adata.var_names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference.fit_size_factors()
    reference.vst_fit_type = "parametric"
    reference.uns["vst_trend_coeffs"] = np.array(adata.uns["vst"]["trend_coeffs"])
    np.testing.assert_array_equal(adata.layers["vst"], np.asarray(reference.vst_transform()))
