"""Outcome API audit (h40): event coding, ``arm_test``, arm values, empty selections, wrong inputs.

Found by auditing the notebook API: ``tl.survival_model``/``tl.kaplan_meier`` counted a 1/2
event coding as 1 or 2 events and dropped text codings without a word; ``arm_test="wald"``
silently ran the score test; the docstring called the default arm p-values likelihood-ratio
tests; ``BM-MNC`` for ``bmmnc``, or arms that no sample has, gave half or empty analyses;
``kaplan_meier`` returned empty tables when no sample matched; a numpy array, the model table
passed as predictions, an unknown ``cohort`` or ``score`` to a plot gave bare Python errors or
a misleading message.
"""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")  # this test process only

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import omics  # noqa: E402
from omics._errors import InputError  # noqa: E402
from omics.tl._roc import response_roc  # noqa: E402
from omics.tl._survival import kaplan_meier, survival_model  # noqa: E402


def _trial(seed: int = 0, n: int = 40) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Scores (``pred``, ``null``) and a sheet with arm, response, AFS, age and diabetes."""
    rng = np.random.default_rng(seed)
    ids = [f"S{i:03d}" for i in range(n)]
    arm = np.where(np.arange(n) % 2 == 0, "bmmnc", "placebo")
    z = rng.standard_normal((n, 2))
    t = 200 * rng.weibull(1.2, n) * np.exp(1.2 * z[:, 0] * (arm == "bmmnc"))
    c = np.minimum(rng.uniform(30, 600, n), 365)
    event = (t <= c).astype(float)
    days = np.minimum(t, c).round(1)
    obs = pd.DataFrame({"arm": arm, "afs_days": days, "afs_event": event,
                        "response": np.where(days >= 183, "responder", "non_responder"),
                        "age": rng.normal(70, 8, n), "diabetes": np.where(rng.random(n) < 0.5, "yes", "no")},
                       index=ids)
    return pd.DataFrame(z, index=ids, columns=["pred", "null"]), obs


def _one_line(text: str) -> str:
    return " ".join(text.split())


# finding 1 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("function", [survival_model, kaplan_meier])
def test_event_column_other_than_0_1_stops_naming_the_column_and_values(function):
    scores, obs = _trial()
    kwargs = {"covariates": []} if function is survival_model else {}
    name = function.__name__
    with pytest.raises(InputError, match=rf"^{name}: column 'afs_event' must be 1 .* or 0 .*have 2\.0 "
                                         r"\(values: 1\.0, 2\.0\).*subtract 1"):
        function(scores, obs.assign(afs_event=obs["afs_event"] + 1), **kwargs)  # R Surv 1/2
    text = obs.assign(afs_event=np.where(obs["afs_event"] == 1, "yes", "no"))
    with pytest.raises(InputError, match=rf"^{name}: column 'afs_event' .*have no, yes"):
        function(scores, text, **kwargs)
    # 0/1 as booleans or text is the same analysis; a missing event leaves the sample out
    base = function(scores, obs, **kwargs)
    for same in (obs.assign(afs_event=obs["afs_event"] == 1),
                 obs.assign(afs_event=obs["afs_event"].astype(int).astype(str))):
        got = function(scores, same, **kwargs)
        for table, want in zip(list(got) if isinstance(got, tuple) else [got],
                               base if isinstance(base, tuple) else [base], strict=True):
            pd.testing.assert_frame_equal(table, want)
    missing = obs.copy()
    missing.loc["S000", "afs_event"] = np.nan
    if function is survival_model:
        assert function(scores, missing, covariates=[])["n"].tolist() == [39, 39]
        assert base["n"].tolist() == [40, 40]
        # events up to the 6-month end point
        assert base["n_events"].tolist() == [int(obs["afs_event"][obs["afs_days"] <= 183].sum())] * 2
    else:
        logrank = function(scores, missing)[1].set_index(["score", "arm"])
        assert logrank.loc[("pred", "bmmnc"), ["n_low", "n_high"]].sum() == 19  # S000 is bmmnc
    # a value outside the arms analysed (a healthy donor) is not checked: they are left out
    donors = obs.assign(arm=obs["arm"].where(obs.index != "S001", "healthy_donor"))
    donors.loc["S001", "afs_event"] = 7
    function(scores, donors, **kwargs)


# finding 2 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("arm_test", ["wald", "LRT", "lrt ", ""])
def test_arm_test_must_be_score_or_lrt(arm_test):
    scores, obs = _trial()
    with pytest.raises(InputError, match=rf"^survival_model: arm_test must be 'score' or 'lrt', got "
                                         rf"{re.escape(repr(arm_test))}; pass arm_test="):
        survival_model(scores, obs, covariates=[], arm_test=arm_test)
    import anndata as ad

    data = ad.AnnData(np.zeros((len(obs), 1)), obs=obs)
    data.obsm["angio_scores"] = scores
    with pytest.raises(InputError, match="arm_test must be"):  # nothing stored, no wrong provenance
        omics.tl.survival_model(data, covariates=[], arm_test=arm_test)
    assert "survival_model" not in data.uns and "survival_model_params" not in data.uns
    lrt = survival_model(scores, obs, covariates=[], arm_test="lrt")
    score = survival_model(scores, obs, covariates=[])
    assert not np.allclose(lrt["p_control"], score["p_control"])


# finding 3 ------------------------------------------------------------------------------------


def test_survival_model_returns_says_the_arm_p_values_are_score_tests_by_default():
    for doc in (survival_model.__doc__, omics.tl.survival_model.__doc__):
        returns = _one_line(doc.split("Returns")[1].split("Notes")[0])
        assert "``p_*`` (likelihood-ratio test)" not in returns
        assert ("``p_control`` and ``p_treated`` are Efron score tests by default, likelihood-ratio "
                "tests with ``arm_test=\"lrt\"``") in returns


# finding 4 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("written", ["BM-MNC", "bm_mnc", "BM MNC", "Bm.Mnc"])
def test_arm_value_equal_but_for_case_space_punctuation_stops(written):
    scores, obs = _trial()
    bad = obs.assign(arm=obs["arm"].replace({"bmmnc": written}))
    for call, name in ((lambda: survival_model(scores, bad, covariates=[]), "survival_model"),
                       (lambda: omics.tl.response_model(scores, bad, covariates=[], repeats=1),
                        "response_model")):
        with pytest.raises(InputError, match=rf"^{name}: no sample has arm 'bmmnc' \(treated=\), but "
                                             rf"some have {re.escape(repr(written))}.*pass "
                                             rf"treated={re.escape(repr(written))}"):
            call()
    with pytest.raises(InputError, match=rf"^kaplan_meier: no sample has arm 'bmmnc' \(arms=\), but "
                                         rf"some have {re.escape(repr(written))}.*pass arms=\('placebo', "
                                         rf"{re.escape(repr(written))}\)"):
        kaplan_meier(scores, bad)


def test_no_sample_in_either_arm_stops_and_one_arm_alone_still_runs():
    scores, obs = _trial()
    with pytest.raises(InputError, match=r"^survival_model: no sample has arm 'cells' or 'sham' "
                                         r"\(values: bmmnc, placebo\); pass treated= and control="):
        survival_model(scores, obs, covariates=[], treated="cells", control="sham")
    with pytest.raises(InputError, match=r"^kaplan_meier: no sample has arm 'cells' or 'sham' "
                                         r"\(values: bmmnc, placebo\); pass arms="):
        kaplan_meier(scores, obs, arms=("cells", "sham"))
    with pytest.raises(InputError, match=r"^kaplan_meier: no sample has arm 'Placebo' \(arms=\), but "
                                         r"some have 'placebo'.*pass arms=\('placebo', 'bmmnc'\)"):
        kaplan_meier(scores, obs, arms=("Placebo", "BMMNC"))
    # one arm alone and other arms' samples left out: by design
    placebo = obs[obs["arm"] == "placebo"]
    table = survival_model(scores, placebo, covariates=[])
    assert table["n_treated"].tolist() == [0, 0] and table["n_control"].tolist() == [20, 20]
    curves, logrank = kaplan_meier(scores, placebo)
    assert set(logrank["arm"]) == {"placebo"} and set(curves["arm"]) == {"placebo"}
    donors = obs.assign(arm=obs["arm"].where(obs.index >= "S010", "healthy_donor"))
    assert survival_model(scores, donors, covariates=[])["n"].tolist() == [30, 30]
    assert kaplan_meier(scores, donors)[1][["n_low", "n_high"]].sum(axis=1).sum() == 60


# finding 5 ------------------------------------------------------------------------------------


def test_kaplan_meier_stops_when_no_sample_matches_or_the_selection_is_empty():
    import anndata as ad

    scores, obs = _trial()
    foreign = scores.set_axis([f"X{i}" for i in range(len(scores))])
    with pytest.raises(InputError, match=r"^kaplan_meier: no sample id of `scores` is in the sample sheet"):
        kaplan_meier(foreign, obs)
    data = ad.AnnData(np.zeros((len(obs), 1)), obs=obs)
    data.obsm["angio_scores"] = scores
    view = data[data.obs["arm"] == "nope"]
    for function, kwargs in ((omics.tl.kaplan_meier, {}), (omics.tl.survival_model, {"covariates": []})):
        with pytest.raises(InputError, match=rf"^{function.__name__}: `scores` has no sample \(an empty "
                                             r"table, or an AnnData view"):
            function(view, **kwargs)
    with pytest.raises(InputError, match=r"^kaplan_meier: no sample has arm 'placebo' or 'bmmnc' "
                                         r"\(values: healthy_donor\)"):
        kaplan_meier(scores, obs.assign(arm="healthy_donor"))
    with pytest.raises(InputError, match=r"^kaplan_meier: arms is empty"):
        kaplan_meier(scores, obs, arms=())
    curves, logrank = kaplan_meier(scores, obs)
    assert len(logrank) == 4 and not curves.empty


# finding 6 ------------------------------------------------------------------------------------


def test_outcome_functions_given_a_numpy_array_stop_with_one_line():
    scores, obs = _trial()
    for function in (omics.tl.survival_model, omics.tl.kaplan_meier, omics.tl.response_model):
        name = function.__name__
        with pytest.raises(InputError, match=rf"^{name}: data is a ndarray, not an AnnData or a samples "
                                             r"x scores DataFrame; pass "):
            function(scores.to_numpy(), obs)
        with pytest.raises(InputError, match=rf"^{name}: obs is a ndarray, not a DataFrame"):
            function(scores, obs.to_numpy())


def test_response_roc_given_the_model_table_twice_stops_naming_the_columns():
    model = pd.DataFrame({"score": ["a", "b"], "fdr_screen": [0.1, 0.2]})
    cv = pd.DataFrame({"score": ["a"] * 4, "cohort": "pooled", "repeat": 0,
                       "sample": list("wxyz"), "responder": [0, 1, 0, 1],
                       "prediction": [0.1, 0.9, 0.2, 0.8]})
    with pytest.raises(InputError, match=r"^tl.response_roc: cv has no columns 'cohort', 'repeat', "
                                         r"'responder', 'prediction' .*return_cv=True"):
        response_roc(model, model)
    with pytest.raises(InputError, match=r"^tl.response_roc: model has no column 'fdr_screen'"):
        response_roc(cv, cv)
    with pytest.raises(InputError, match=r"^tl.response_roc: cv is a ndarray, not a DataFrame"):
        response_roc(model, cv.to_numpy())
    roc = response_roc(model, cv)
    assert set(roc["score"]) == {"a"} and roc["auc"].iloc[0] == 1.0


# finding 16 -----------------------------------------------------------------------------------


def test_pl_roc_names_an_unknown_cohort():
    cv = pd.DataFrame({"score": ["a"] * 4, "cohort": "pooled", "repeat": 0,
                       "sample": list("wxyz"), "responder": [0, 1, 0, 1],
                       "prediction": [0.1, 0.9, 0.2, 0.8]})
    with pytest.raises(InputError, match=r"^roc: cohort='bmmnc' is not a cohort of the predictions; "
                                         r"pass one of pooled, treated, control$"):
        omics.pl.roc(cv, cohort="bmmnc")
    assert plt.get_fignums() == []
    ax = omics.pl.roc(cv)
    assert len(ax.get_lines()) == 2  # the curve and the diagonal
    plt.close("all")


def test_pl_km_lists_the_scores_without_or_with_an_unknown_score():
    scores, obs = _trial()
    curves, logrank = kaplan_meier(scores, obs)
    with pytest.raises(InputError, match=r"^km: pass score=<the score to draw> \(scores with curves: "
                                         r"pred, null\)$"):
        omics.pl.km(curves, logrank=logrank)
    with pytest.raises(InputError, match=r"^km: no Kaplan-Meier curves for score 'nope' \(scores with "
                                         r"curves: pred, null\); pass one of them as score=$"):
        omics.pl.km(curves, "nope", logrank=logrank)
    with pytest.raises(InputError, match=r"^km: no Kaplan-Meier curves of score 'pred' in modality "
                                         r"'protein' \(its modalities: rna\)"):
        omics.pl.km(curves.assign(modality="rna"), "pred", modality="protein")
    assert plt.get_fignums() == []
    axes = omics.pl.km(curves, "pred", logrank=logrank)
    assert [ax.get_title().split(" ")[0] for ax in axes] == ["placebo", "bmmnc"]
    plt.close("all")
