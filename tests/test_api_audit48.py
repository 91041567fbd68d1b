"""h48 notebook-API audit (omics.io / pp / tl): the findings' fixes, one test (or more) each.

#1 ``total_events`` of ``pp.absolute_counts`` / ``pp.flow_qc`` matched by sample id;
#2 ``pp.log2_transform`` refuses log2-looking values without the reader's record;
#3 one covariate (or one name) given as a string is not split into letters;
#4 ``tl.build_mudata`` keeps the dtype of the unprefixed ``mdata.obs`` columns;
#5 wrong-type inputs stop with the package's one-line InputError;
#7 numpydoc sections of the public functions (``io/_write.py`` apart) and ``tl.deseq2``'s
alpha; #8 duplicate ``obs_names`` stop in the shared AnnData check.
Tests marked "control" pass on the old code too.
"""

from __future__ import annotations

import inspect
import re
import warnings

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import omics
from omics._errors import InputError

warnings.filterwarnings("ignore", message=".*obs_names.*not unique.*")


def _one_line(error: pytest.ExceptionInfo) -> str:
    text = str(error.value)
    assert "\n" not in text
    return text


@pytest.fixture(scope="module")
def demo():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return omics.datasets.demo_cohort()


# --------------------------------------------------------------------------- #1 total_events


def _flow() -> ad.AnnData:
    samples = ["S0", "S1", "S2"]
    long = pd.DataFrame({"sample": np.repeat(samples, 2), "population": ["Leukocytes", "CD34"] * 3,
                         "parent": ["root", "Leukocytes"] * 3,
                         "events": [50000, 300, 50000, 300, 50000, 300],
                         "parent_events": [100000, 50000] * 3})
    return omics.pp.populations_anndata(long, samples)


TOTALS = {"S0": 100000.0, "S1": 200000.0, "S2": 300000.0}


def test_total_events_series_is_matched_by_sample_id():
    shuffled = pd.Series({s: TOTALS[s] for s in ("S2", "S1", "S0")})
    adata = _flow()
    assert omics.pp.absolute_counts(adata, total_events=shuffled) == "per_million_events"
    absolute = pd.DataFrame(adata.layers["absolute"], index=adata.obs_names, columns=adata.var_names)
    expected = {s: 50000 / TOTALS[s] * 1e6 for s in TOTALS}
    np.testing.assert_allclose(absolute["Leukocytes"].to_numpy(), [expected[s] for s in adata.obs_names])
    np.testing.assert_allclose(absolute.loc["S0", "Leukocytes"], 500000.0)
    qc = omics.pp.flow_qc(adata, min_events=100, total_events=shuffled)
    assert dict(zip(qc["sample"], qc["total_events"], strict=True)) == TOTALS


def test_total_events_array_keeps_obs_order():  # control: an array was taken in obs order before
    adata = _flow()
    omics.pp.absolute_counts(adata, total_events=np.array([TOTALS[s] for s in adata.obs_names]))
    np.testing.assert_allclose(adata.layers["absolute"][:, 0], [5e5, 2.5e5, 5e5 / 3])
    qc = omics.pp.flow_qc(adata, min_events=100, total_events=[1.0, 2.0, 3.0])
    assert qc["total_events"].tolist() == [1.0, 2.0, 3.0]


def test_total_events_series_missing_a_sample_stops_naming_it():
    partial = pd.Series({"S2": 3e5, "S0": 1e5})
    with pytest.raises(InputError) as info:
        omics.pp.absolute_counts(_flow(), total_events=partial)
    text = _one_line(info)
    assert "pp.absolute_counts: total_events has no value for sample 'S1'" in text
    assert "pd.Series" in text
    with pytest.raises(InputError, match=r"pp\.flow_qc: total_events has no value for sample 'S1'"):
        omics.pp.flow_qc(_flow(), min_events=100, total_events=partial)


def test_total_events_array_of_wrong_length_stops():
    with pytest.raises(InputError) as info:
        omics.pp.absolute_counts(_flow(), total_events=np.array([1e5, 2e5]))
    assert "total_events has 2 values (shape (2,)) for 3 samples" in _one_line(info)
    with pytest.raises(InputError, match=r"pp\.flow_qc: total_events has 4 values .* for 3 samples"):
        omics.pp.flow_qc(_flow(), min_events=100, total_events=[1, 2, 3, 4])


# --------------------------------------------------------------------------- #2 log2_transform


def _log2_table(demo) -> tuple[pd.DataFrame, ad.AnnData]:
    protein = demo.protein()
    omics.pp.log2_transform(protein)
    return protein.to_df(), protein


def test_log2_transform_refuses_log2_values_without_the_record(demo):
    table, protein = _log2_table(demo)
    mine = ad.AnnData(table, obs=protein.obs.copy(), var=protein.var.copy())
    before = mine.X.copy()
    with pytest.raises(InputError) as info:
        omics.pp.log2_transform(mine)
    text = _one_line(info)
    assert "pp.log2_transform: X looks like log2 values already" in text
    assert f"max {np.nanmax(before):.4g}" in text
    assert "adata.uns['protein_input'] = {'is_log2': True}" in text and "linear intensities" in text
    np.testing.assert_array_equal(mine.X, before)  # nothing changed
    assert "protein_preprocessing" not in mine.uns
    # marked as the message says, the values are kept (only non-finite ones become NaN)
    mine.uns["protein_input"] = {"is_log2": True}
    omics.pp.log2_transform(mine)
    np.testing.assert_array_equal(mine.X, before)


def test_log2_transform_refuses_negative_values_without_the_record(demo):
    table, protein = _log2_table(demo)
    npx = ad.AnnData(table - 25, obs=protein.obs.copy(), var=protein.var.copy())
    negatives = int((npx.X < 0).sum())
    with pytest.raises(InputError) as info:
        omics.pp.log2_transform(npx)
    assert f"{negatives} negative values" in _one_line(info)
    # large linear values with a negative one (no record) stop too
    linear = ad.AnnData(np.array([[1e6, -5.0], [2e6, 3e6]]))
    with pytest.raises(InputError, match=r"\(1 negative value, smallest -5, max 3e\+06\)"):
        omics.pp.log2_transform(linear)


def test_log2_transform_linear_without_record_as_before():  # control
    adata = ad.AnnData(np.array([[1024.0, 0.0], [2.0 ** 20, 4096.0]]))
    omics.pp.log2_transform(adata)
    np.testing.assert_array_equal(adata.X, [[10.0, np.nan], [20.0, 12.0]])


def test_log2_transform_with_reader_record_as_before():  # control: the record decides
    small = np.array([[8.0, 0.0], [2.0, 4.0]])
    linear = ad.AnnData(small.copy())
    linear.uns["protein_input"] = {"format": "tsv", "is_log2": False}
    omics.pp.log2_transform(linear)
    np.testing.assert_array_equal(linear.X, [[3.0, np.nan], [1.0, 2.0]])
    log2 = ad.AnnData(np.array([[-1.5, 20.0], [np.inf, 21.0]]))
    log2.uns["protein_input"] = {"format": "tsv", "is_log2": True}
    omics.pp.log2_transform(log2)
    np.testing.assert_array_equal(log2.X, [[-1.5, 20.0], [np.nan, 21.0]])


def test_log2_transform_documents_the_flag():
    doc = omics.pp.log2_transform.__doc__
    assert "uns[\"protein_input\"] = {\"is_log2\": True}" in doc and "Raises" in doc


# --------------------------------------------------------------------------- #3 one name as text


def _scores_obs(demo) -> tuple[pd.DataFrame, pd.DataFrame]:
    obs = demo.rna().obs
    rng = np.random.default_rng(4)
    scores = pd.DataFrame(rng.normal(size=(obs.shape[0], 2)), index=obs.index, columns=["s1", "s2"])
    return scores, obs


def test_survival_model_takes_one_covariate_as_text(demo):
    scores, obs = _scores_obs(demo)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one = omics.tl.survival_model(scores, obs, covariates="age")
        listed = omics.tl.survival_model(scores, obs, covariates=["age"])
    pd.testing.assert_frame_equal(one, listed)


def test_score_redundancy_takes_one_called_score_as_text():
    scores = pd.DataFrame({"angio": [1.0, 2.0, 3.0], "a": [3.0, 1.0, 2.0], "n": [1.0, 1.5, 4.0]})
    pairs, groups = omics.tl.score_redundancy(scores, {"angio": ["VEGFA"]}, "angio")
    assert groups == {"angio": "angio"} and pairs.empty


def test_gsea_running_score_takes_one_gene_as_text():
    stat = pd.Series({"VEGFA": 3.0, "KDR": 2.0, "V": 1.0, "A": -1.0})
    table = omics.tl.gsea_running_score(stat, "VEGFA")
    assert table["hit"].tolist() == [True, False, False, False]


def test_ora_takes_one_selected_gene_as_text():
    background = [f"G{i}" for i in range(40)]
    sets = {"one": background[:10], "two": background[10:25]}
    one = omics.tl.ora("G1", background, sets, min_size=5)
    listed = omics.tl.ora(["G1"], background, sets, min_size=5)
    pd.testing.assert_frame_equal(one, listed)
    assert one.set_index("term").loc["one", "overlap"] == 1


# --------------------------------------------------------------------------- #4 build_mudata


def test_build_mudata_keeps_obs_dtypes(demo):
    rna, protein = demo.rna(), demo.protein()
    rna.obs["arm"] = rna.obs["arm"].cat.reorder_categories(["bmmnc", "placebo"])
    order = rna.obs_names[::-1]
    mdata = omics.tl.build_mudata(rna[order].copy(), protein)
    for column in rna.obs.columns:
        assert mdata.obs[column].dtype == rna.obs[column].dtype, column
        pd.testing.assert_series_equal(mdata.obs[column], rna.obs.loc[mdata.obs_names, column],
                                       check_names=False)
    assert list(mdata.obs["arm"].cat.categories) == ["bmmnc", "placebo"]
    assert list(mdata.obs_names) == list(order)


# --------------------------------------------------------------------------- #5 wrong types


@pytest.fixture(scope="module")
def small_rna():
    rng = np.random.default_rng(1)
    counts = rng.negative_binomial(5, 0.05, (8, 30)).astype(float)
    obs = pd.DataFrame({"arm": ["a", "b"] * 4, "age": np.linspace(50, 80, 8)},
                       index=[f"S{i}" for i in range(8)])
    var = pd.DataFrame({"gene_name": [f"G{j}" for j in range(30)]}, index=[f"E{j}" for j in range(30)])
    adata = ad.AnnData(np.log2(counts + 1), obs=obs, var=var, layers={"counts": counts})
    return adata


WRONG_TYPES = {
    "tl.sample_qc: expects an AnnData":
        lambda a, s: omics.tl.sample_qc(a.to_df(), layer=None),
    "pp.missingness_qc: expects an AnnData": lambda a, s: omics.pp.missingness_qc(a.to_df()),
    "pp.missingness_qc: pass one modality of the MuData (e.g. mdata['protein'])":
        lambda a, s: omics.pp.missingness_qc(__import__("mudata").MuData({"protein": a.copy()})),
    "phenotype is a ndarray; pass the values as a Series indexed by sample id":
        lambda a, s: omics.tl.score_phenotype_correlation(s, a.obs["age"].to_numpy()),
    "phenotype is the text 'age'": lambda a, s: omics.tl.score_phenotype_correlation(s, "age"),
    "scores is an AnnData; pass the samples x scores table":
        lambda a, s: omics.tl.score_phenotype_correlation(a, a.obs["age"]),
    "tl.gsea_running_score: statistic is a ndarray":
        lambda a, s: omics.tl.gsea_running_score(np.arange(3.0), ["G1"]),
}


@pytest.mark.parametrize("expected", list(WRONG_TYPES))
def test_wrong_types_give_one_line_input_errors(small_rna, expected):
    scores = pd.DataFrame({"s": np.arange(8.0)}, index=small_rna.obs_names)
    with pytest.raises(InputError) as info:
        WRONG_TYPES[expected](small_rna, scores)
    assert expected in _one_line(info)


def test_gsea_running_score_reads_a_de_table():
    de = pd.DataFrame({"gene_id": ["E1", "E2", "E3", "E4"], "gene_name": ["A", "B", "C", "D"],
                       "baseMean": 10.0, "log2FoldChange": [1.0, -1.0, 0.5, 0.1],
                       "lfcSE": 0.1, "stat": [3.0, -2.0, 1.0, 0.5], "pvalue": 0.01, "padj": 0.05})
    from_table = omics.tl.gsea_running_score(de, ["A", "C"])
    from_series = omics.tl.gsea_running_score(omics.tl.gene_statistic(de), ["A", "C"])
    pd.testing.assert_frame_equal(from_table, from_series)
    assert from_table["gene"].tolist() == ["A", "C", "D", "B"]


def test_collapse_probes_reads_sparse_x():
    x = np.array([[5.0, 7.0, 1.0], [6.0, 8.0, 2.0]])
    var = pd.DataFrame({"gene_name": ["G", "G", "H"]}, index=["p1", "p2", "p3"])
    dense = omics.pp.collapse_probes(ad.AnnData(x, var=var.copy()))
    sparse = omics.pp.collapse_probes(ad.AnnData(sp.csr_matrix(x), var=var.copy()))
    assert list(sparse.var["probe_id"]) == list(dense.var["probe_id"]) == ["p2", "p3"]
    np.testing.assert_array_equal(sparse.X.toarray(), dense.X)


# --------------------------------------------------------------------------- #7 docstrings


def _sections(doc: str) -> set[str]:
    lines = inspect.cleandoc(doc).splitlines()
    return {lines[i].strip() for i in range(len(lines) - 1)
            if lines[i].strip() and re.fullmatch(r"-{3,}", lines[i + 1].strip())}


@pytest.mark.parametrize("name", [
    "io.write_contrasts", "io.write_gmt", "io.gate_dimensions", "tl.continuous_values",
    "tl.smallest_group", "pp.graft_volumes",
])
def test_public_functions_have_parameters_and_returns(name):
    module, attribute = name.split(".")
    func = getattr(getattr(omics, module), attribute)
    assert {"Parameters", "Returns"} <= _sections(func.__doc__)
    documented = inspect.cleandoc(func.__doc__)
    for parameter in inspect.signature(func).parameters:
        assert re.search(rf"^{parameter}\b", documented, re.M), (name, parameter)


def test_deseq2_docstring_names_alpha_among_the_stored_settings():
    doc = " ".join(omics.tl.deseq2.__doc__.split())
    assert "``shrink``, ``alpha`` and ``design``" in doc


# --------------------------------------------------------------------------- #8 duplicate obs_names


def test_duplicate_obs_names_stop_in_the_anndata_check(small_rna):
    adata = small_rna.copy()
    adata.obs_names = ["S0", "S0", *adata.obs_names[2:]]
    contrast = omics.io.Contrast(id="b_vs_a", variable="arm", reference="a", target="b")
    with pytest.raises(InputError) as info:
        omics.tl.deseq2(adata, contrast)
    text = _one_line(info)
    assert "tl.deseq2: sample id 'S0' is in adata.obs_names 2 times" in text
    assert "obs_names_make_unique()" in text and "sample sheet" in text
    with pytest.raises(InputError, match=r"tl\.sample_qc: sample id 'S0'"):
        omics.tl.sample_qc(adata, layer=None)
    with pytest.raises(InputError, match=r"pp\.filter_low_counts: sample id 'S0'"):
        omics.pp.filter_low_counts(adata, min_count=1, min_samples=1)


def test_unique_obs_names_pass_the_check(small_rna):  # control
    from omics.tl._keys import check_anndata

    check_anndata(small_rna, "tl.deseq2")
