import logging

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from helpers import NFCORE, REPO
from omics._errors import InputError
from omics.io._contrasts import Contrast
from omics.io._protein import read_maxquant, read_proteus
from omics.pl import pca
from omics.pp._protein import (
    filter_valid_values,
    impute,
    log2_transform,
    missingness_qc,
    normalize,
)
from omics.tl import limma

DATA = REPO / "tests" / "data" / "protein"
PROTEUS = NFCORE / "proteomics/maxquant/proteus.raw_MaxQuant_proteingroups_tab.tsv"


def _adata(x, *, is_log2=True, samples=None):
    x = np.asarray(x, dtype=float)
    samples = samples or [f"s{i}" for i in range(x.shape[0])]
    adata = ad.AnnData(
        X=x.copy(),
        obs=pd.DataFrame(index=samples),
        var=pd.DataFrame(index=[f"p{j}" for j in range(x.shape[1])]),
    )
    adata.uns["protein_input"] = {"format": "tsv", "is_log2": is_log2}
    return adata


def _log2_data(seed=1, n_samples=8, n_proteins=200, missing=0.2):
    rng = np.random.default_rng(seed)
    base = rng.normal(25, 2, n_proteins)
    x = base[None, :] + rng.normal(0, 0.3, (n_samples, n_proteins))
    x += rng.normal(0, 1, n_samples)[:, None]  # sample loading differences
    x[rng.random(x.shape) < missing] = np.nan
    return _adata(x)


# --------------------------------------------------------------------------- log2


def test_log2_transform_linear(caplog):
    adata = _adata([[8.0, 0.0, 1.0], [2.0, 4.0, -3.0]], is_log2=False)
    with caplog.at_level(logging.INFO, logger="omics"):
        log2_transform(adata)
    expected = np.array([[3.0, np.nan, 0.0], [1.0, 2.0, np.nan]])
    np.testing.assert_array_equal(adata.X, expected)
    np.testing.assert_array_equal(adata.layers["log2"], expected)
    info = adata.uns["protein_preprocessing"]["log2_transform"]
    assert info["zeros_to_nan"] == 1
    assert info["negatives_to_nan"] == 1
    assert "1 zero and 1 negative" in caplog.text
    # a second call does not transform twice
    log2_transform(adata)
    np.testing.assert_array_equal(adata.X, expected)


def test_log2_transform_already_log2_only_nonfinite():
    adata = _adata([[0.0, -1.0, np.inf], [20.0, np.nan, 21.0]], is_log2=True)
    log2_transform(adata)
    np.testing.assert_array_equal(adata.X, [[0.0, -1.0, np.nan], [20.0, np.nan, 21.0]])
    assert adata.uns["protein_preprocessing"]["log2_transform"]["nonfinite_to_nan"] == 1


def test_log2_transform_copy_leaves_input():
    adata = _adata([[8.0, 0.0]], is_log2=False)
    out = log2_transform(adata, copy=True)
    assert out is not adata
    np.testing.assert_array_equal(adata.X, [[8.0, 0.0]])
    assert "log2" not in adata.layers
    np.testing.assert_array_equal(out.X, [[3.0, np.nan]])


def test_log2_on_maxquant_reader_output():
    adata = read_maxquant(DATA / "proteinGroups.txt")
    log2_transform(adata)
    assert np.isnan(adata.X).sum() == 3  # the three LFQ zeros
    assert adata.X[0, 0] == pytest.approx(np.log2(2.0e8))


# --------------------------------------------------------------------------- filter


def _group_data():
    # 10 samples per group; protein 0: 7/10 in A, 0/10 in B (keep with groups, 35% overall)
    # protein 1: 6/10 in A and 6/10 in B (60% everywhere: removed)
    # protein 2: complete; protein 3: 10/10 in B only
    x = np.full((20, 4), 20.0)
    x[7:20, 0] = np.nan
    x[6:10, 1] = np.nan
    x[16:20, 1] = np.nan
    x[0:10, 3] = np.nan
    samples = [f"a{i}" for i in range(10)] + [f"b{i}" for i in range(10)]
    adata = _adata(x, samples=samples)
    groups = pd.Series(["A"] * 10 + ["B"] * 10, index=samples, name="arm")
    return adata, groups


def test_filter_keeps_protein_observed_in_one_group_only(caplog):
    adata, groups = _group_data()
    with caplog.at_level(logging.INFO, logger="omics"):
        filter_valid_values(adata, groups, min_fraction=0.7)
    assert adata.var_names.tolist() == ["p0", "p2", "p3"]
    info = adata.uns["protein_preprocessing"]["filter_valid_values"]
    assert info["n_removed"] == 1
    assert info["needed_per_group"] == {"A": 7, "B": 7}
    assert "removed 1 of 4 proteins" in caplog.text


def test_filter_without_groups_uses_all_samples():
    adata, _ = _group_data()
    filter_valid_values(adata, None, min_fraction=0.7)
    assert adata.var_names.tolist() == ["p2"]


def test_filter_group_order_and_obs_column():
    adata, groups = _group_data()
    adata.obs["arm"] = groups.to_numpy()
    shuffled = groups.sample(frac=1, random_state=0)  # alignment is by sample name
    out = filter_valid_values(adata, shuffled, copy=True)
    assert out.var_names.tolist() == ["p0", "p2", "p3"]
    assert adata.n_vars == 4
    out = filter_valid_values(adata, "arm", copy=True)
    assert out.var_names.tolist() == ["p0", "p2", "p3"]


def test_filter_zero_disables():
    adata, groups = _group_data()
    filter_valid_values(adata, groups, min_fraction=0)
    assert adata.n_vars == 4


def test_filter_nothing_left_names_threshold():
    adata = _adata([[1.0, np.nan], [np.nan, np.nan], [np.nan, 2.0]])
    with pytest.raises(InputError, match="lower the valid-value threshold"):
        filter_valid_values(adata, None, min_fraction=0.7)


def test_filter_group_missing_sample():
    adata, groups = _group_data()
    with pytest.raises(InputError, match="no group for sample"):
        filter_valid_values(adata, groups.iloc[1:])


# --------------------------------------------------------------------------- normalize


def test_median_normalization_equalises_medians():
    adata = _log2_data()
    missing = np.isnan(adata.X)
    before = np.nanmedian(adata.X, axis=1)
    normalize(adata, "median")
    np.testing.assert_array_equal(np.isnan(adata.X), missing)
    after = np.nanmedian(adata.X, axis=1)
    np.testing.assert_allclose(after, after[0])
    assert after[0] == pytest.approx(before.mean())
    np.testing.assert_array_equal(adata.layers["normalized"], adata.X)
    assert adata.uns["protein_preprocessing"]["normalize"]["method"] == "median"
    medians = adata.uns["protein_preprocessing"]["normalize"]["sample_medians"]
    assert list(medians.index) == list(adata.obs_names) and list(medians.columns) == ["median"]
    np.testing.assert_array_equal(medians["median"].to_numpy(), before)


def test_sample_medians_are_one_table_in_the_h5ad(tmp_path):
    # Recorded as one data frame, not one HDF5 dataset per sample (every read visits each).
    import h5py

    adata = _log2_data()
    normalize(adata, "median")
    adata.write_h5ad(tmp_path / "p.h5ad")
    with h5py.File(tmp_path / "p.h5ad") as file:
        group = file["uns/protein_preprocessing/normalize/sample_medians"]
        assert group.attrs["encoding-type"] == "dataframe"
        assert len(group) <= 3  # index, the median column (and nothing per sample)
    back = ad.read_h5ad(tmp_path / "p.h5ad").uns["protein_preprocessing"]["normalize"]
    pd.testing.assert_frame_equal(back["sample_medians"],
                                  adata.uns["protein_preprocessing"]["normalize"]["sample_medians"])


def test_quantile_normalization_complete_data():
    rng = np.random.default_rng(3)
    x = rng.normal(20, 2, (5, 50)) + np.arange(5)[:, None]
    adata = _adata(x)
    normalize(adata, "quantile")
    out = np.sort(adata.X, axis=1)
    for row in out[1:]:
        np.testing.assert_allclose(row, out[0])
    np.testing.assert_allclose(out[0], np.sort(x, axis=1).mean(axis=0))
    # ranks within each sample are kept
    np.testing.assert_array_equal(np.argsort(adata.X, axis=1), np.argsort(x, axis=1))


def test_quantile_normalization_with_missing_values_and_ties():
    x = np.array([
        [1.0, 2.0, 3.0, 4.0, 5.0],
        [2.0, np.nan, 6.0, 8.0, 10.0],
        [3.0, 3.0, 1.0, np.nan, np.nan],
    ])
    adata = _adata(x)
    normalize(adata, "quantile")
    out = adata.X
    np.testing.assert_array_equal(np.isnan(out), np.isnan(x))
    # target: the mean of the samples' quantile functions on a 5-point grid
    grid = np.linspace(0, 1, 5)
    observed = [np.sort(r[np.isfinite(r)]) for r in x]
    q = np.vstack([np.interp(grid, np.linspace(0, 1, o.size), o) for o in observed])
    target = q.mean(axis=0)
    np.testing.assert_allclose(out[0], target)  # complete sample gets the target itself
    np.testing.assert_allclose(out[1, [0, 2, 3, 4]], np.interp([0, 1 / 3, 2 / 3, 1], grid, target))
    assert out[2, 0] == out[2, 1]  # ties share a value
    assert out[2, 2] < out[2, 0]


def test_normalize_none_and_unknown():
    adata = _log2_data()
    x = adata.X.copy()
    normalize(adata, "none")
    np.testing.assert_array_equal(adata.X, x)
    with pytest.raises(InputError, match="unknown protein normalisation 'vsn'"):
        normalize(adata, "vsn")


def test_normalize_requires_log2():
    with pytest.raises(InputError, match=r"log2_transform\(adata\) first"):
        normalize(_adata([[1.0, 2.0]], is_log2=False))


# --------------------------------------------------------------------------- impute


def test_impute_none_keeps_nan():
    adata = _log2_data()
    x = adata.X.copy()
    impute(adata)
    np.testing.assert_array_equal(adata.X, x)
    assert not adata.layers["imputed_mask"].any()
    assert adata.layers["imputed_mask"].dtype == bool
    assert "imputed" not in adata.layers


def test_minprob_deterministic_and_left_censored():
    adata = _log2_data(missing=0.3)
    missing = np.isnan(adata.X)
    first = impute(adata, "minprob", seed=7, copy=True)
    again = impute(adata, "minprob", seed=7, copy=True)
    other = impute(adata, "minprob", seed=8, copy=True)
    np.testing.assert_array_equal(first.X, again.X)
    assert not np.array_equal(first.X, other.X)
    assert not np.isnan(first.X).any()
    np.testing.assert_array_equal(first.layers["imputed_mask"], missing)
    np.testing.assert_array_equal(first.X[~missing], adata.X[~missing])  # observed untouched
    np.testing.assert_array_equal(first.layers["imputed"], first.X)
    for i in range(adata.n_obs):
        median = np.nanmedian(adata.X[i])
        assert (first.X[i, missing[i]] < median).all()
    assert np.isnan(adata.X).any()  # copy=True left the input alone


def test_minprob_centre_is_low_quantile():
    adata = _log2_data(n_proteins=2000, missing=0.2)
    out = impute(adata, "minprob", seed=0, minprob_quantile=0.01, copy=True)
    missing = out.layers["imputed_mask"]
    for i in range(adata.n_obs):
        centre = np.nanquantile(adata.X[i], 0.01)
        assert np.mean(out.X[i, missing[i]]) == pytest.approx(centre, abs=0.2)


def test_knn_uses_similar_proteins():
    x = np.array([
        [10.0, 10.0, 30.0],
        [12.0, 12.0, 31.0],
        [14.0, np.nan, 29.0],
        [16.0, 16.0, 30.5],
    ])
    adata = _adata(x)
    impute(adata, "knn", knn_neighbors=1)
    assert adata.X[2, 1] == pytest.approx(14.0)  # protein p0 has the same profile as p1
    np.testing.assert_array_equal(adata.layers["imputed_mask"], np.isnan(x))
    assert adata.uns["protein_preprocessing"]["impute"]["knn_neighbors"] == 1


def test_impute_rejects_empty_sample_and_unknown_method():
    adata = _adata([[1.0, 2.0], [np.nan, np.nan]])
    with pytest.raises(InputError, match="s1 have no observed value"):
        impute(adata, "minprob")
    with pytest.raises(InputError, match="unknown protein imputation 'mice'"):
        impute(adata, "mice")


# --------------------------------------------------------------------------- QC


def test_missingness_qc():
    adata = _adata([[1.0, 2.0, 3.0, np.nan], [4.0, np.nan, np.nan, np.nan]])
    qc = missingness_qc(adata)
    assert qc.index.tolist() == ["s0", "s1"]
    assert qc["n_observed"].tolist() == [3, 1]
    assert qc["fraction_missing"].tolist() == [0.25, 0.75]
    assert qc["median_log2"].tolist() == [2.0, 4.0]
    assert qc["iqr_log2"].tolist() == [1.0, 0.0]


def test_missingness_qc_linear_and_after_imputation():
    linear = _adata([[4.0, 0.0, 16.0]], is_log2=False)
    qc = missingness_qc(linear)
    assert qc.loc["s0", "n_observed"] == 2
    assert qc.loc["s0", "median_log2"] == pytest.approx(3.0)
    adata = _log2_data()
    before = missingness_qc(adata)
    impute(adata, "minprob")
    pd.testing.assert_frame_equal(missingness_qc(adata), before)


@pytest.mark.skipif(not PROTEUS.exists(), reason="nf-core test data not available")
def test_pipeline_on_proteus_file(tmp_path):
    adata = read_proteus(PROTEUS)
    celltype = {5: "T1", 6: "T2", 7: "MZ", 8: "FoB", 9: "T1", 10: "T2", 11: "MZ", 12: "FoB",
                13: "T1", 15: "MZ", 16: "FoB", 17: "T1", 18: "T2", 19: "MZ", 20: "FoB"}
    groups = pd.Series({f"sample {k}": v for k, v in celltype.items()})
    log2_transform(adata)
    filter_valid_values(adata, groups, min_fraction=0.7)
    assert 0 < adata.n_vars < 7627
    normalize(adata, "median")
    medians = np.nanmedian(adata.X, axis=1)
    np.testing.assert_allclose(medians, medians[0])
    impute(adata, "minprob", seed=1)
    assert not np.isnan(adata.X).any()
    qc = missingness_qc(adata)
    assert qc.shape == (15, 4)
    adata.write_h5ad(tmp_path / "protein.h5ad")  # uns records must be writable
    back = ad.read_h5ad(tmp_path / "protein.h5ad")
    assert set(back.uns["protein_preprocessing"]) == {
        "log2_transform", "filter_valid_values", "normalize", "impute",
    }


def test_limma_without_residual_df_is_an_input_error():
    """Every protein observed in too few samples of the contrast: one clear message."""
    obs = pd.DataFrame({"response": ["non_responder"] * 3 + ["responder"] * 3},
                       index=[f"S{i}" for i in range(6)])
    x = np.random.default_rng(0).normal(20, 1, (6, 4))
    x[1:, :] = np.nan  # one observed value per protein: no residual df anywhere
    x[3, :] = 21.0
    adata = ad.AnnData(x, obs=obs, var=pd.DataFrame(index=[f"P{i}" for i in range(4)]))
    contrast = Contrast(id="resp", variable="response", reference="non_responder", target="responder")
    with pytest.raises(InputError, match="contrast 'resp': the log2 data cannot be fitted"):
        limma(adata, contrast)


def test_limma_returns_a_tidy_table_and_stores_it_in_uns():
    obs = pd.DataFrame({"response": ["non_responder"] * 4 + ["responder"] * 4},
                       index=[f"S{i}" for i in range(8)])
    x = np.random.default_rng(3).normal(20, 1, (8, 30))
    adata = ad.AnnData(x, obs=obs, var=pd.DataFrame(index=[f"P{i}" for i in range(30)]))
    contrast = Contrast(id="resp", variable="response", reference="non_responder", target="responder")
    table = limma(adata, contrast)
    assert list(table["feature_id"]) == list(adata.var_names)
    stored = adata.uns["limma"]["resp"]  # scanpy style: result kept in the AnnData, as a copy
    pd.testing.assert_frame_equal(stored, table)
    assert stored is not table


def test_pca_plot_with_one_component():
    table = pd.DataFrame({"PC1": [0.1, -0.2, 0.3], "response": ["responder", "non_responder", "responder"]})
    assert pca(table).get_ylabel() == "PC2"


def test_contrast_groups_are_the_cells_the_pipeline_filters_in():
    """omics.pp.contrast_groups: response x arm for the BALI contrasts, as protein_prep uses."""
    import omics

    demo = omics.datasets.demo_cohort()
    protein = demo.protein()
    groups = omics.pp.contrast_groups(protein.obs, demo.contrast_list())
    assert groups.value_counts().to_dict() == {"responder|bmmnc": 13, "non_responder|placebo": 13,
                                               "non_responder|bmmnc": 7, "responder|placebo": 7}
    continuous = [c for c in demo.contrast_list() if c.is_continuous]
    assert set(omics.pp.contrast_groups(protein.obs, continuous)) <= {"all"}


def test_valid_value_groups_may_be_an_array_in_obs_order():
    import omics

    demo = omics.datasets.demo_cohort()
    protein = demo.protein()
    omics.pp.log2_transform(protein)
    labels = protein.obs["response"].astype(str)
    by_series = omics.pp.filter_valid_values(protein, labels, copy=True)
    by_array = omics.pp.filter_valid_values(protein, labels.to_numpy(), copy=True)
    by_list = omics.pp.filter_valid_values(protein, list(labels), copy=True)
    assert list(by_series.var_names) == list(by_array.var_names) == list(by_list.var_names)
    with pytest.raises(InputError, match="3 group labels for 40 samples"):
        omics.pp.filter_valid_values(protein, ["a", "b", "c"], copy=True)


def test_contrast_groups_of_a_formula_take_its_variables_not_substrings():
    """`~ treatment_arm * response` names treatment_arm, not the sheet's `arm` column too."""
    import omics
    from omics.io import Contrast

    obs = pd.DataFrame({"treatment_arm": ["a", "a", "b", "b"], "arm": ["x", "y", "x", "y"],
                        "response": ["r", "n", "r", "n"]}, index=["S1", "S2", "S3", "S4"])
    contrast = Contrast(id="f", formula="~ treatment_arm * response",
                        make_contrasts_str="treatment_armb")
    assert list(omics.pp.contrast_groups(obs, [contrast])) == ["a|r", "a|n", "b|r", "b|n"]
