"""Notebook calls found wrong by the API audit: views, containers, numeric levels, one arm.

- ``pp`` functions that change their AnnData in place, given a view (``adata[mask]``),
  wrote into the AnnData the view was taken from;
- a MuData or a data frame where an AnnData belongs failed deep inside;
- a comparison on a numerically coded column (``[treated, 0, 1]``) could not be fitted;
- one arm's samples refused the contrast that leaves the other arm out.
"""

from __future__ import annotations

import warnings

import anndata as ad
import mudata as md
import numpy as np
import pandas as pd
import pytest

from helpers import bead_populations
from omics._errors import InputError
from omics.io._contrasts import Contrast
from omics.pp import absolute_counts, populations_anndata
from omics.pp._protein import contrast_groups, filter_valid_values, impute, log2_transform, normalize
from omics.pp._rna import filter_low_counts, normalize_deseq2
from omics.tl import design_for_contrast, limma


def _intensities(n_samples: int = 12, n_proteins: int = 60, seed: int = 3) -> ad.AnnData:
    rng = np.random.default_rng(seed)
    x = 2.0 ** rng.normal(25, 2, (n_samples, n_proteins))
    x[rng.random(x.shape) < 0.15] = 0.0  # MaxQuant's "not quantified"
    obs = pd.DataFrame({"arm": pd.Categorical(["placebo", "bmmnc"] * (n_samples // 2),
                                              categories=["placebo", "bmmnc"]),
                        "response": pd.Categorical(
                            (["non_responder"] * 2 + ["responder"] * 2) * (n_samples // 4),
                            categories=["non_responder", "responder"])},
                       index=[f"S{i:02d}" for i in range(n_samples)])
    adata = ad.AnnData(X=x, obs=obs, var=pd.DataFrame(index=[f"P{j}" for j in range(n_proteins)]))
    adata.uns["protein_input"] = {"format": "maxquant", "is_log2": False}
    return adata


def _quiet(call, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # anndata: the view is initialised as actual
        return call(*args, **kwargs)


@pytest.mark.parametrize("steps", [
    [(log2_transform, {})],
    [(log2_transform, {}), (normalize, {"method": "quantile"})],
    [(log2_transform, {}), (normalize, {"method": "median"}), (impute, {"method": "minprob"})],
])
def test_in_place_steps_on_a_view_leave_its_parent_unchanged(steps):
    parent = _intensities()
    before = parent.X.copy()
    mask = (parent.obs["arm"] == "bmmnc").to_numpy()
    view = parent[mask]
    expected = parent[mask].copy()
    for step, kwargs in steps:
        _quiet(step, view, **kwargs)
        step(expected, **kwargs)
    np.testing.assert_array_equal(parent.X, before)
    assert "protein_preprocessing" not in parent.uns and not parent.layers
    # the view holds the documented in-place result, as a copy of it would
    assert not view.is_view
    np.testing.assert_array_equal(view.X, expected.X)
    assert set(view.layers) == set(expected.layers)


@pytest.mark.parametrize("exported", [False, True])
def test_absolute_counts_on_a_view_leave_its_parent_unchanged(exported):
    long = bead_populations()
    adata = populations_anndata(long, ["S1", "S2"])
    if exported:  # the table's own absolute counts (an `absolute` column)
        adata.layers["absolute"] = adata.layers["events"] * 3.0
    before = np.array(adata.X, dtype=float, copy=True)
    view = adata[["S2"]]
    # exported counts are the counts: beads would be a second source (pp.absolute_counts stops)
    beads = {} if exported else {"beads_per_test": 50000, "bead_gate": "Beads", "sample_volume_ul": 100}
    _quiet(absolute_counts, view, **beads)
    np.testing.assert_array_equal(np.asarray(adata.X, dtype=float), before)
    whole = adata.copy()
    absolute_counts(whole, **beads)
    np.testing.assert_array_equal(view.X, whole.X[1:])


@pytest.mark.parametrize("call, modality", [
    (log2_transform, "protein"), (normalize, "protein"), (impute, "protein"),
    (filter_valid_values, "protein"), (filter_low_counts, "rna"), (normalize_deseq2, "rna"),
])
def test_pp_names_the_container_it_needs(call, modality):
    adata = _intensities()
    with pytest.raises(InputError, match=rf"pp\.{call.__name__}: pass one modality of the MuData "
                                         rf"\(e\.g\. mdata\['{modality}'\]\)"):
        call(md.MuData({modality: adata}))
    with pytest.raises(InputError, match=rf"pp\.{call.__name__}: expects an AnnData .* not a "
                                         r"DataFrame; .*anndata\.AnnData\(table"):
        call(adata.to_df())


def _log2_proteins() -> ad.AnnData:
    adata = _intensities(n_samples=16)
    log2_transform(adata)
    return adata


@pytest.mark.parametrize("dtype, levels", [
    (int, ("0", "1")), (float, ("0", "1")), (float, ("0.0", "1.0")), ("Int64", ("0", "1")),
])
def test_a_comparison_on_a_numeric_column_compares_its_groups(dtype, levels):
    adata = _log2_proteins()
    coded = (adata.obs["response"] == "responder").astype(int)
    adata.obs["treated"] = coded.astype(dtype)
    text = adata.copy()
    text.obs["treated"] = coded.astype(str).replace({"0": levels[0], "1": levels[1]})
    contrast = Contrast(id="treated", variable="treated", reference=levels[0], target=levels[1])
    numeric = limma(adata, contrast)
    as_text = limma(text, contrast)
    pd.testing.assert_frame_equal(numeric, as_text)
    design = design_for_contrast(adata.obs, contrast)
    assert list(design.matrix.columns) == ["(Intercept)", f"treated{levels[1]}"]
    assert design.matrix[f"treated{levels[1]}"].sum() == coded.sum()


def test_a_numeric_comparison_names_the_values_it_has():
    adata = _log2_proteins()
    adata.obs["treated"] = (adata.obs["response"] == "responder").astype(float)
    with pytest.raises(InputError, match=r"target level '2' is not a value of column 'treated'.*"
                                         r"values are 0, 1"):
        design_for_contrast(adata.obs, Contrast(id="c", variable="treated", reference="0", target="2"))


def test_a_numeric_comparison_splits_the_valid_value_groups():
    obs = pd.DataFrame({"treated": [0.0, 1.0, 0.0, 1.0], "age": [50.0, 60.0, 70.0, 80.0]},
                       index=list("abcd"))
    groups = contrast_groups(obs, [Contrast(id="c", variable="treated", reference="0", target="1")])
    assert list(groups) == ["0.0", "1.0", "0.0", "1.0"]
    continuous = Contrast(id="slope", variable="age", type="continuous")
    assert set(contrast_groups(obs, [continuous])) == {"all"}


def test_one_arm_keeps_the_contrast_that_leaves_the_other_arm_out(caplog):
    adata = _log2_proteins()
    contrast = Contrast(id="response_in_bmmnc", variable="response", reference="non_responder",
                        target="responder", exclude_samples_col="arm",
                        exclude_samples_values=("placebo",))
    full = limma(adata, contrast)
    one_arm = adata[adata.obs["arm"] == "bmmnc"].copy()
    assert list(one_arm.obs["arm"].cat.categories) == ["bmmnc"]
    with caplog.at_level("INFO", logger="omics"):
        subset = limma(one_arm, contrast)
    pd.testing.assert_frame_equal(subset, full)
    assert "no sample has arm 'placebo'; none left out for it" in caplog.text
    misspelt = Contrast(id="c", variable="response", reference="non_responder", target="responder",
                        exclude_samples_col="arm", exclude_samples_values=("Placebo",))
    with pytest.raises(InputError, match="exclude_samples_values 'Placebo' matches no sample"):
        limma(adata, misspelt)


def test_contrast_groups_take_the_contrasts_as_a_notebook_keeps_them():
    obs = pd.DataFrame({"arm": ["placebo", "bmmnc"] * 2,
                        "response": ["responder"] * 2 + ["non_responder"] * 2}, index=list("abcd"))
    contrast = Contrast(id="c", variable="response", reference="non_responder", target="responder",
                        blocking=("arm",))
    assert list(contrast_groups(obs, {"c": contrast})) == list(contrast_groups(obs, [contrast]))


@pytest.mark.parametrize("model", ["response_model", "survival_model"])
def test_a_misspelt_arm_stops_instead_of_analysing_the_other_arm_alone(model):
    import omics

    rng = np.random.default_rng(0)
    samples = [f"S{i}" for i in range(20)]
    obs = pd.DataFrame({"arm": ["bmmnc", "placebo"] * 10,
                        "response": ["responder", "non_responder", "non_responder", "responder"] * 5,
                        "afs_days": rng.uniform(30, 400, 20), "afs_event": [1, 0] * 10},
                       index=samples)
    scores = pd.DataFrame({"SET_A": rng.normal(size=20)}, index=samples)
    call = getattr(omics.tl, model)
    for treated in ("BMMNC", "bmnc"):
        with pytest.raises(InputError, match=rf"{model}: no sample has arm '{treated}' \(treated=\), "
                                             r"but some have 'bmmnc'"):
            call(scores, obs, treated=treated, covariates=[])
    # samples of another arm (healthy donors) are left out by design, not taken for a typo
    donors = obs.assign(arm=np.where(obs["arm"] == "placebo", "healthy_donor", obs["arm"]))
    table = call(scores, donors, covariates=[])
    assert len(table) == 1
    if model == "survival_model":  # an empty arm column: the model runs on no sample, as before
        assert len(call(scores, obs.assign(arm=np.nan), covariates=[])) == 1


@pytest.mark.parametrize("levels", [("false", "true"), ("False", "True"), ("0", "1")])
def test_a_comparison_on_a_logical_column_compares_its_groups(levels):
    adata = _log2_proteins()
    truth = (adata.obs["response"] == "responder").to_numpy()
    adata.obs["treated"] = truth
    text = adata.copy()
    text.obs["treated"] = np.where(truth, levels[1], levels[0])
    contrast = Contrast(id="treated", variable="treated", reference=levels[0], target=levels[1])
    pd.testing.assert_frame_equal(limma(adata, contrast), limma(text, contrast))
