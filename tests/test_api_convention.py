"""One calling convention: ``omics.tl.<method>(adata or table, ...)`` and ``omics.pl`` on either.

For every public enrichment, score and outcome function: the AnnData call returns the
same DataFrame as the table call, stores it under the documented key, the stored
results survive ``write_h5ad``/``read_h5ad``, and the plots draw the same figure from
the table and from the AnnData.
"""

from __future__ import annotations

import inspect
import re

import matplotlib

matplotlib.use("Agg")  # this test process only

import anndata as ad  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import omics  # noqa: E402
from helpers import REPO  # noqa: E402
from omics._errors import InputError  # noqa: E402
from omics.tl import _enrichment, _gsea, _keys, _ora, _redundancy, _response, _scores, _survival  # noqa: E402

N_SAMPLES, N_GENES = 32, 300
CONTRAST = "response_in_bmmnc"


def _sets(names: list[str], seed: int = 1) -> dict[str, list[str]]:
    rng = np.random.default_rng(seed)
    sets = {f"SET_{k}": sorted(rng.choice(names, size=size, replace=False).tolist())
            for k, size in enumerate((12, 20, 30, 45, 15))}
    sets["SET_planted"] = names[:25]  # the genes with the largest statistics and the planted effect
    return sets


def _de_table(names: list[str], seed: int = 0) -> pd.DataFrame:
    """A DESeq2-shaped results table (a feature without symbol and a NaN row as in real tables)."""
    rng = np.random.default_rng(seed)
    n = len(names)
    stat = np.sort(rng.normal(size=n))[::-1] * 2
    p = np.clip(np.exp(-np.abs(stat)), 1e-12, 1)
    table = pd.DataFrame({"gene_id": [f"ENSG{i:05d}" for i in range(n)], "gene_name": names,
                          "baseMean": rng.uniform(5, 500, n), "log2FoldChange": stat / 3, "lfcSE": 0.3,
                          "stat": stat, "pvalue": p, "padj": np.minimum(p * 5, 1)})
    table.loc[n - 1, "gene_name"] = ""  # tl.deseq2 writes "" for a feature without symbol
    table.loc[n - 2, ["stat", "pvalue", "padj"]] = np.nan
    return table


@pytest.fixture
def adata() -> ad.AnnData:
    """Samples x genes with a VST-like layer, a BALI sample sheet and a stored DESeq2 table."""
    rng = np.random.default_rng(0)
    names = [f"GENE{i}" for i in range(N_GENES)]
    samples = [f"S{i:02d}" for i in range(N_SAMPLES)]
    arm = np.array(["bmmnc", "placebo"] * (N_SAMPLES // 2))
    response = np.array(["responder", "responder", "non_responder", "non_responder"] * (N_SAMPLES // 4))
    effect = np.where(response == "responder", 1.0, 0.0) * (arm == "bmmnc")
    vst = rng.normal(8, 1, size=(N_SAMPLES, N_GENES))
    vst[:, :25] += effect[:, None] * 0.8
    obs = pd.DataFrame({
        "arm": pd.Categorical(arm, categories=["placebo", "bmmnc"]),
        "response": pd.Categorical(response, categories=["non_responder", "responder"]),
        "age": rng.integers(50, 85, N_SAMPLES).astype(float),
        "diabetes": pd.Categorical(rng.choice(["no", "yes"], N_SAMPLES), categories=["no", "yes"]),
        "afs_days": np.where(response == "responder", 183, rng.integers(10, 180, N_SAMPLES)).astype(float),
        "afs_event": (response == "non_responder").astype(int),
    }, index=samples)
    var = pd.DataFrame({"gene_name": names}, index=[f"ENSG{i:05d}" for i in range(N_GENES)])
    var.iloc[5, 0] = names[4]  # a duplicated symbol: the most observed feature is kept
    data = ad.AnnData(X=np.rint(np.exp2(vst)), obs=obs, var=var, layers={"vst": vst})
    data.uns["deseq2"] = {CONTRAST: _de_table(names)}
    return data


def _fingerprint(ax) -> list:  # noqa: ANN001 - matplotlib Axes
    """What an axes shows: points, lines, texts, ticks and title."""
    out: list = [ax.get_title(), ax.get_xlabel(), ax.get_ylabel(),
                 [t.get_text() for t in ax.get_yticklabels()], [t.get_text() for t in ax.texts]]
    out += [np.asarray(c.get_offsets()).round(12).tolist() for c in ax.collections]
    out += [np.asarray(line.get_xydata()).round(12).tolist() for line in ax.lines]
    return out


# --------------------------------------------------------------------------- same result, stored


def test_gsea_prerank_anndata_equals_tables(adata):
    sets = _sets(list(adata.var["gene_name"]))
    de = adata.uns["deseq2"][CONTRAST]
    kw = {"permutations": 60, "seed": 3, "min_size": 5}
    from_adata = omics.tl.gsea_prerank(adata, sets, **kw)
    ranking = omics.tl.gene_statistic(de.assign(gene_name=de["gene_name"].fillna("")))
    pd.testing.assert_frame_equal(from_adata, _gsea.gsea_prerank(ranking, sets, **kw))
    pd.testing.assert_frame_equal(from_adata, omics.tl.gsea_prerank(de, sets, **kw))
    pd.testing.assert_frame_equal(from_adata, omics.tl.gsea_prerank(ranking, sets, **kw))
    pd.testing.assert_frame_equal(adata.uns["gsea"][CONTRAST], from_adata)
    assert from_adata.set_index("term").loc["SET_planted", "nes"] > 0
    from_adata.loc[0, "nes"] = 99.0  # the stored table is a copy
    assert adata.uns["gsea"][CONTRAST].loc[0, "nes"] != 99.0


def test_ora_anndata_equals_de_table_and_selection(adata):
    sets = _sets(list(adata.var["gene_name"]))
    de = adata.uns["deseq2"][CONTRAST]
    from_adata = omics.tl.ora(adata, sets, fdr=0.05, min_size=5)
    pd.testing.assert_frame_equal(from_adata, omics.tl.ora(de, sets, fdr=0.05, min_size=5))
    pd.testing.assert_frame_equal(adata.uns["ora"][CONTRAST], from_adata)
    up, _, universe = omics.tl.significant_genes(de.assign(gene_name=de["gene_name"].fillna("")), "rna",
                                                 fdr=0.05)
    expected_up = _ora.ora(up, universe, sets, min_size=5)
    got_up = from_adata[from_adata["direction"] == "up"].drop(columns="direction").reset_index(drop=True)
    pd.testing.assert_frame_equal(got_up, expected_up)
    assert set(from_adata["direction"]) == {"up", "down"}
    # the table-level call (selection, background, sets) is unchanged
    pd.testing.assert_frame_equal(omics.tl.ora(up, universe, sets, min_size=5), expected_up)
    assert list(from_adata.columns[:2]) == ["term", "direction"]


def test_enrichment_anndata_equals_table_and_stores_both(adata):
    names = list(adata.var["gene_name"])
    panel, background = {"SET_planted": names[:25]}, _sets(names)
    kw = {"permutations": 40, "seed": 1, "min_size": 5}
    gsea, ora = omics.tl.enrichment(adata, panel, background, **kw)
    gsea_t, ora_t = _enrichment.enrichment(adata.uns["deseq2"][CONTRAST], panel, background, **kw)
    pd.testing.assert_frame_equal(gsea, gsea_t)
    pd.testing.assert_frame_equal(ora, ora_t)
    pd.testing.assert_frame_equal(adata.uns["gsea"][CONTRAST], gsea)
    pd.testing.assert_frame_equal(adata.uns["ora"][CONTRAST], ora)
    assert "collection" in adata.uns["gsea"][CONTRAST]


def test_sample_scores_anndata_equals_table(adata):
    sets = _sets(list(adata.var["gene_name"]))
    from_adata = omics.tl.sample_scores(adata, sets, layer="vst")
    expression = omics.tl.expression_by_gene(adata, "vst")
    pd.testing.assert_frame_equal(from_adata, _scores.sample_scores(expression, sets))
    pd.testing.assert_frame_equal(from_adata, omics.tl.sample_scores(expression, sets))
    stored = adata.obsm["angio_scores"]
    pd.testing.assert_frame_equal(stored, from_adata)
    assert list(stored.index) == list(adata.obs_names)
    params = adata.uns["angio_scores"]
    assert (params["method"], params["min_size"], params["layer"]) == ("zmean", 5, "vst")
    measured = set(expression.columns)
    assert params["gene_sets"] == {t: sorted(measured.intersection(sets[t])) for t in from_adata.columns}
    omics.tl.sample_scores(adata, sets, key_added="x_scores")  # X, another key
    assert adata.uns["x_scores"]["layer"] == "X" and "x_scores" in adata.obsm
    with pytest.raises(InputError, match="no layer 'vsd'"):
        omics.tl.sample_scores(adata, sets, layer="vsd")


def test_outcome_models_anndata_equal_tables(adata):
    sets = _sets(list(adata.var["gene_name"]))
    scores = omics.tl.sample_scores(adata, sets, layer="vst")
    obs = adata.obs
    model = omics.tl.response_model(adata, repeats=2, seed=1)
    pd.testing.assert_frame_equal(model, _response.response_model(scores, obs, repeats=2, seed=1))
    pd.testing.assert_frame_equal(model, omics.tl.response_model(scores, obs, repeats=2, seed=1))
    pd.testing.assert_frame_equal(adata.uns["response_model"], model)
    assert model.set_index("score").loc["SET_planted", "classification"] == "predictive"

    surv = omics.tl.survival_model(adata)
    pd.testing.assert_frame_equal(surv, _survival.survival_model(scores, obs))
    pd.testing.assert_frame_equal(adata.uns["survival_model"], surv)

    curves, logrank = omics.tl.kaplan_meier(adata)
    curves_t, logrank_t = _survival.kaplan_meier(scores, obs)
    pd.testing.assert_frame_equal(curves, curves_t)
    pd.testing.assert_frame_equal(logrank, logrank_t)
    pd.testing.assert_frame_equal(adata.uns["kaplan_meier"]["curves"], curves)
    pd.testing.assert_frame_equal(adata.uns["kaplan_meier"]["logrank"], logrank)

    called = list(scores.columns)
    pairs, groups = omics.tl.score_redundancy(adata, None, called)
    genes = adata.uns["angio_scores"]["gene_sets"]
    pairs_t, groups_t = _redundancy.score_redundancy(scores, genes, called)
    pd.testing.assert_frame_equal(pairs, pairs_t)
    assert groups == groups_t
    pd.testing.assert_frame_equal(adata.uns["score_redundancy"]["pairs"], pairs)
    assert adata.uns["score_redundancy"]["groups"] == groups

    other = omics.tl.response_model(adata, score_key="angio_scores", key_added="rm2", repeats=2, seed=1)
    pd.testing.assert_frame_equal(adata.uns["rm2"], other)


def test_missing_inputs_name_the_key_and_the_fix(adata):
    sets = _sets(list(adata.var["gene_name"]))
    with pytest.raises(InputError, match=r"adata.obsm has no 'angio_scores'; run omics.tl.sample_scores"):
        omics.tl.response_model(adata)
    with pytest.raises(InputError, match="do not pass obs"):
        omics.tl.survival_model(adata, adata.obs)
    with pytest.raises(InputError, match=r"pass the sample sheet"):
        omics.tl.kaplan_meier(pd.DataFrame({"a": [1.0]}, index=["S00"]))
    with pytest.raises(InputError, match="no contrast 'other'.*response_in_bmmnc"):
        omics.tl.gsea_prerank(adata, sets, contrast="other")
    adata.uns["deseq2"]["second"] = adata.uns["deseq2"][CONTRAST]
    with pytest.raises(InputError, match="holds 2 contrasts.*pass contrast="):
        omics.tl.ora(adata, sets)
    contrast = next(c for c in omics.datasets.demo_cohort().contrast_list() if c.id == CONTRAST)
    omics.tl.gsea_prerank(adata, sets, contrast=contrast, permutations=0, min_size=5)  # a Contrast works
    assert list(adata.uns["gsea"]) == [CONTRAST]
    adata.uns["limma"] = {"x": adata.uns["deseq2"][CONTRAST]}
    with pytest.raises(InputError, match="both adata.uns\\['deseq2'\\] and \\['limma'\\]; pass de_key="):
        omics.tl.gsea_prerank(adata, sets, contrast=CONTRAST)
    omics.tl.gsea_prerank(adata, sets, de_key="limma", permutations=0, min_size=5)
    assert list(adata.uns["gsea"]) == [CONTRAST, "x"]
    empty = ad.AnnData(np.zeros((3, 2)))
    with pytest.raises(InputError, match="no differential results.*omics.tl.deseq2"):
        omics.tl.enrichment(empty, sets)
    with pytest.raises(InputError, match=r"ora\(data, gene_sets\)"):
        omics.tl.ora(adata, ["GENE1"], de_key="deseq2", contrast=CONTRAST)


# --------------------------------------------------------------------------- h5ad round trip


def test_stored_results_round_trip_through_h5ad(adata, tmp_path):
    sets = _sets(list(adata.var["gene_name"]))
    omics.tl.enrichment(adata, {"SET_planted": sets["SET_planted"]}, sets, permutations=20, min_size=5)
    scores = omics.tl.sample_scores(adata, sets, layer="vst")
    omics.tl.response_model(adata, repeats=2)
    omics.tl.survival_model(adata)
    omics.tl.kaplan_meier(adata)
    omics.tl.score_redundancy(adata, None, list(scores.columns))
    omics.tl.score_redundancy(adata, None, [], key_added="no_groups")  # empty pairs and groups
    omics.tl.ora(adata, {"NOTHING": ["ABSENT"]}, key_added="ora_empty", min_size=1)  # an empty table
    path = tmp_path / "results.h5ad"
    adata.write_h5ad(path)
    back = ad.read_h5ad(path)

    def same(a: pd.DataFrame, b: pd.DataFrame) -> None:
        pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False,
                                      check_index_type=False)
        assert list(a.columns) == list(b.columns)

    for key in ("deseq2", "gsea", "ora", "ora_empty"):
        for contrast, table in adata.uns[key].items():
            same(back.uns[key][contrast], table)
    for key in ("response_model", "survival_model"):
        same(back.uns[key], adata.uns[key])
    for part in ("curves", "logrank"):
        same(back.uns["kaplan_meier"][part], adata.uns["kaplan_meier"][part])
    same(back.uns["score_redundancy"]["pairs"], adata.uns["score_redundancy"]["pairs"])
    assert dict(back.uns["score_redundancy"]["groups"]) == adata.uns["score_redundancy"]["groups"]
    pd.testing.assert_frame_equal(back.obsm["angio_scores"], adata.obsm["angio_scores"])
    stored = back.uns["angio_scores"]
    assert {k: list(v) for k, v in stored["gene_sets"].items()} == adata.uns["angio_scores"]["gene_sets"]
    # the functions read the round-tripped results as they read fresh ones
    pd.testing.assert_frame_equal(omics.tl.response_model(back, repeats=2), adata.uns["response_model"])
    pairs, groups = omics.tl.score_redundancy(back, None, list(scores.columns))
    pd.testing.assert_frame_equal(pairs, adata.uns["score_redundancy"]["pairs"])


def _read_back(value: object) -> object:
    """A setting read by ``read_h5ad`` as the plain value that was written (arrays -> lists)."""
    if isinstance(value, np.ndarray):
        return [_read_back(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {k: _read_back(v) for k, v in value.items()}
    return value


def test_settings_are_recorded_in_one_layout_and_round_trip(adata, tmp_path):
    sets = _sets(list(adata.var["gene_name"]))
    contrast = next(c for c in omics.datasets.demo_cohort().contrast_list() if c.id == CONTRAST)
    omics.tl.limma(adata, contrast, layer="vst")
    omics.tl.gsea_prerank(adata, sets, de_key="deseq2", permutations=20, seed=2, min_size=5)
    omics.tl.ora(adata, sets, de_key="limma", fdr=0.1, min_size=5)
    omics.tl.enrichment(adata, {"SET_planted": sets["SET_planted"]}, sets, de_key="deseq2", permutations=20,
                        min_size=5, gsea_key="g2", ora_key="o2")
    scores = omics.tl.sample_scores(adata, sets, layer="vst")
    omics.tl.response_model(adata, covariates=["age"], repeats=2, seed=1)
    omics.tl.survival_model(adata, covariates=())
    omics.tl.kaplan_meier(adata)
    omics.tl.score_redundancy(adata, None, list(scores.columns), min_jaccard=0.4)
    omics.tl.sample_qc(adata, layer=None, n_top=50)
    enrichment = {"de_key": "deseq2", "permutations": 20, "seed": 0, "min_size": 5, "max_size": 500,
                  "fdr": 0.05}
    expected = {
        "gsea_params": {CONTRAST: {"de_key": "deseq2", "permutations": 20, "seed": 2, "min_size": 5,
                                   "max_size": 500, "weight": 1.0}},
        "ora_params": {CONTRAST: {"de_key": "limma", "fdr": 0.1, "min_size": 5, "max_size": 500}},
        "g2_params": {CONTRAST: enrichment}, "o2_params": {CONTRAST: enrichment},
        "angio_scores_params": {"method": "zmean", "min_size": 5, "layer": "vst"},
        "response_model_params": {"score_key": "angio_scores", "covariates": ["age"], "arm_col": "arm",
                                  "response_col": "response", "treated": "bmmnc", "control": "placebo",
                                  "responder": "responder", "folds": 5, "repeats": 2, "seed": 1,
                                  "alpha": 0.05, "method": "firth", "multiplicity": "bh"},
        "survival_model_params": {"score_key": "angio_scores", "covariates": [], "arm_col": "arm",
                                  "time_col": "afs_days", "event_col": "afs_event", "treated": "bmmnc",
                                  "control": "placebo", "alpha": 0.05, "multiplicity": "bh",
                                  "arm_test": "score", "horizon_days": 183.0},
        "kaplan_meier_params": {"score_key": "angio_scores", "arm_col": "arm", "time_col": "afs_days",
                                "event_col": "afs_event", "arms": ["placebo", "bmmnc"],
                                "horizon_days": 183.0},
        "score_redundancy_params": {"score_key": "angio_scores", "min_jaccard": 0.4, "min_correlation": 0.8},
        "sample_qc_params": {"layer": "X", "n_top": 50, "n_pcs": 10, "seed": 0},
    }
    limma = adata.uns["limma_params"][CONTRAST]
    assert {k: limma[k] for k in ("layer", "trend", "robust")} == {"layer": "vst", "trend": False,
                                                                  "robust": False}
    formula = omics.tl.design_for_contrast(adata.obs, contrast, samples=adata.obs_names).formula
    assert limma["design"] == formula == "~ response"  # within the treated arm
    for key, settings in expected.items():
        assert adata.uns[key] == settings, key
    # one layout: every stored result has its settings beside it, every settings key a result
    results = {"limma", "gsea", "ora", "g2", "o2", "angio_scores", "response_model", "survival_model",
               "kaplan_meier", "score_redundancy", "sample_qc"}
    params = {k.removesuffix("_params") for k in adata.uns if k.endswith("_params")}
    assert params == results
    path = tmp_path / "settings.h5ad"
    adata.write_h5ad(path)
    back = ad.read_h5ad(path)
    for key in [*expected, "limma_params"]:
        assert _read_back(back.uns[key]) == adata.uns[key], key
    # the stored results keep their shape: tables where tables were
    assert isinstance(back.uns["response_model"], pd.DataFrame)
    assert set(back.uns["gsea"]) == {CONTRAST} and isinstance(back.uns["gsea"][CONTRAST], pd.DataFrame)
    with pytest.raises(TypeError, match="'strength': dict is not a plain value"):
        _keys.store_params(adata, "x", {"strength": {"a": 1.0}})


@pytest.mark.slow
# the small test cohort's dispersions have no parametric trend (pydeseq2 says so; not the point here)
@pytest.mark.filterwarnings("ignore:The parametric dispersion trend did not converge")
def test_deseq2_records_its_settings(adata):
    contrast = next(c for c in omics.datasets.demo_cohort().contrast_list() if c.id == CONTRAST)
    omics.tl.deseq2(adata, contrast, layer=None)
    settings = adata.uns["deseq2_params"][CONTRAST]
    assert settings == {"layer": "X", "shrink": False, "alpha": 0.1, "design": "~ response"}


# --------------------------------------------------------------------------- plots accept both


def test_plots_draw_the_same_from_table_and_anndata(adata):
    sets = _sets(list(adata.var["gene_name"]))
    de = adata.uns["deseq2"][CONTRAST]
    gsea, _ = omics.tl.enrichment(adata, {"SET_planted": sets["SET_planted"]}, sets, permutations=20,
                                  min_size=5)
    scores = omics.tl.sample_scores(adata, sets, layer="vst")
    model = omics.tl.response_model(adata, repeats=2)
    surv = omics.tl.survival_model(adata)
    curves, logrank = omics.tl.kaplan_meier(adata)
    qc = omics.tl.sample_qc(adata, layer="vst", n_top=100)
    corr = pd.DataFrame(adata.obsp["sample_qc_correlation"], index=adata.obs_names, columns=adata.obs_names)
    long = scores.rename_axis("sample").reset_index().melt(id_vars="sample", var_name="term",
                                                          value_name="score").assign(modality="rna")
    pairs = [
        (lambda d: omics.pl.volcano(d), de),
        (lambda d: omics.pl.ma(d), de),
        (lambda d: omics.pl.enrichment_dots(d), gsea),
        (lambda d: omics.pl.gsea_curve(d, {"planted": sets["SET_planted"]}), de),
        (lambda d: omics.pl.forest(d), model),
        (lambda d: omics.pl.forest(d, key="survival_model", ratio="HR"), surv),
        (lambda d: omics.pl.pca(d, color="arm", variance=qc.attrs["variance_ratio"]
                                if isinstance(d, pd.DataFrame) else None), qc.join(adata.obs)),
        (lambda d: omics.pl.correlation_heatmap(d), corr),
    ]
    for draw, table in pairs:
        from_table = _fingerprint(draw(table))
        from_adata = _fingerprint(draw(adata))
        assert from_table == from_adata
        plt.close("all")
    term = "SET_planted"
    assert _fingerprint(omics.pl.scores(long, adata.obs, term=term)) == \
        _fingerprint(omics.pl.scores(adata, term=term))
    ranking = omics.tl.gene_statistic(de.assign(gene_name=de["gene_name"].fillna("")))
    assert _fingerprint(omics.pl.gsea_curve(ranking, sets["SET_planted"])) == \
        _fingerprint(omics.pl.gsea_curve(adata, sets["SET_planted"]))
    axes_t = omics.pl.km(curves, term, logrank=logrank)
    axes_a = omics.pl.km(adata, term)
    assert [_fingerprint(a) for a in axes_t] == [_fingerprint(a) for a in axes_a]
    assert "log-rank p" in axes_a[0].get_title()
    plt.close("all")
    with pytest.raises(InputError, match="adata.uns has no 'kaplan_meier'"):
        omics.pl.km(ad.AnnData(np.zeros((2, 2))), term)
    with pytest.raises(InputError, match="adata.obsp has no 'sample_qc_correlation'"):
        omics.pl.correlation_heatmap(ad.AnnData(np.zeros((2, 2))))


def _legend(ax) -> list[str]:  # noqa: ANN001 - matplotlib Axes
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_roc_draws_the_stored_out_of_fold_predictions(adata):
    from sklearn.metrics import roc_auc_score

    sets = _sets(list(adata.var["gene_name"]))
    scores = omics.tl.sample_scores(adata, sets, layer="vst")
    model, cv = omics.tl.response_model(adata, repeats=3, seed=1, return_cv=True)
    pd.testing.assert_frame_equal(model, _response.response_model(scores, adata.obs, repeats=3, seed=1))
    pd.testing.assert_frame_equal(adata.uns["response_model"], model)
    pd.testing.assert_frame_equal(adata.uns["response_model_cv"], cv)
    table_model, table_cv = omics.tl.response_model(scores, adata.obs, repeats=3, seed=1, return_cv=True)
    pd.testing.assert_frame_equal(table_model, model)
    pd.testing.assert_frame_equal(table_cv, cv)
    assert list(cv.columns) == list(_response.CV_COLUMNS)
    # they are the predictions behind cv_auc_*: per repeat one AUC, their mean is the table's
    for cohort in ("pooled", "treated", "control"):
        part = cv[cv["cohort"] == cohort]
        n = model.set_index("score")["n" if cohort == "pooled" else f"n_{cohort}"]
        sizes = part.groupby(["score", "repeat"]).size()  # every sample of the cohort, once a repeat
        assert (sizes.to_numpy() == n.loc[sizes.index.get_level_values("score")].to_numpy()).all()
        auc = {name: np.mean([roc_auc_score(g["responder"], g["prediction"])
                              for _, g in rows.groupby("repeat")]) for name, rows in part.groupby("score")}
        np.testing.assert_allclose([auc[name] for name in model["score"]], model[f"cv_auc_{cohort}"],
                                   rtol=0, atol=1e-12)
    term = "SET_planted"
    rows = cv[(cv["cohort"] == "pooled") & (cv["repeat"] == 0) & (cv["score"] == term)]
    from_arrays = omics.pl.roc(rows["responder"].to_numpy(), {term: rows["prediction"].to_numpy()})
    for data in (adata, cv):
        drawn = omics.pl.roc(data, scores=[term])
        assert _fingerprint(drawn) == _fingerprint(from_arrays)
        assert _legend(drawn) == _legend(from_arrays)
    rows = cv[(cv["cohort"] == "treated") & (cv["score"] == term)]  # every repeat pooled
    assert _fingerprint(omics.pl.roc(adata, scores=[term], cohort="treated", repeat=None)) == \
        _fingerprint(omics.pl.roc(rows["responder"].to_numpy(), {term: rows["prediction"].to_numpy()}))
    assert len(_legend(omics.pl.roc(adata))) == len(model)  # default: every score
    plt.close("all")
    with pytest.raises(InputError, match=r"adata.uns has no 'response_model_cv'; run "
                                         r"omics.tl.response_model\(adata\)"):
        omics.pl.roc(ad.AnnData(np.zeros((2, 2))))
    with pytest.raises(InputError, match="no out-of-fold predictions of NOPE"):
        omics.pl.roc(adata, scores=["NOPE"])


def test_heatmap_draws_an_anndata_as_the_matrix_call(adata):
    def drawn(ax) -> tuple:  # noqa: ANN001 - matplotlib Axes
        return (np.asarray(ax.images[0].get_array()).round(12).tolist(),
                [t.get_text() for t in ax.get_yticklabels()], [t.get_text() for t in ax.texts])

    groups = adata.obs["response"]
    ids = ["ENSG00010", "ENSG00004", "ENSG00002"]
    matrix = pd.DataFrame(adata[:, ids].layers["vst"].T, index=["GENE10", "GENE4", "GENE2"],
                          columns=adata.obs_names)
    expected = drawn(omics.pl.heatmap(matrix, groups))
    # feature names, or gene symbols (GENE4 is the symbol of two features: the first is drawn)
    for names in (ids, ["GENE10", "GENE4", "GENE2"]):
        assert drawn(omics.pl.heatmap(adata, groupby="response", var_names=names, layer="vst")) == expected
    # the top features of the stored DE table, by p-value
    de = adata.uns["deseq2"][CONTRAST]
    top = de.dropna(subset=["pvalue"]).nsmallest(5, "pvalue")
    matrix = pd.DataFrame(adata[:, list(top["gene_id"])].X.T, columns=adata.obs_names,
                          index=list(adata.var.loc[top["gene_id"], "gene_name"]))
    assert drawn(omics.pl.heatmap(adata, groupby="arm", n_top=5)) == \
        drawn(omics.pl.heatmap(matrix, adata.obs["arm"]))
    plt.close("all")
    with pytest.raises(InputError, match="pass groupby="):
        omics.pl.heatmap(adata, var_names=ids)
    with pytest.raises(InputError, match="not a feature name or gene symbol of the AnnData: NOPE"):
        omics.pl.heatmap(adata, groupby="arm", var_names=["NOPE"])
    with pytest.raises(TypeError, match="pass the group of each sample"):
        omics.pl.heatmap(matrix)


# --------------------------------------------------------------------------- signatures and docs

PUBLIC = {"gsea_prerank": _gsea.gsea_prerank, "ora": _ora.ora, "enrichment": _enrichment.enrichment,
          "sample_scores": _scores.sample_scores, "response_model": _response.response_model,
          "survival_model": _survival.survival_model, "kaplan_meier": _survival.kaplan_meier,
          "score_redundancy": _redundancy.score_redundancy}
STORES = {"gsea_prerank": ['adata.uns["gsea"]'], "ora": ['adata.uns["ora"]'],
          "enrichment": ['adata.uns["gsea"]', 'adata.uns["ora"]'],
          "sample_scores": ['adata.obsm["angio_scores"]', "adata.uns[key_added] = {"],
          "response_model": ['adata.uns["response_model"]'],
          "survival_model": ['adata.uns["survival_model"]'],
          "kaplan_meier": ['adata.uns["kaplan_meier"]', '"curves"', '"logrank"'],
          "score_redundancy": ['adata.uns["score_redundancy"]', '"pairs"', '"groups"']}


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_public_signature_keeps_the_table_defaults_and_documents_the_keys(name):
    public, table_level = getattr(omics.tl, name), PUBLIC[name]
    ours = inspect.signature(public).parameters
    theirs = inspect.signature(table_level).parameters
    for pname, param in theirs.items():
        if param.kind is inspect.Parameter.KEYWORD_ONLY:
            assert pname in ours and ours[pname].default == param.default, pname
    assert list(ours)[0] == "data"
    doc = public.__doc__
    for section in ("Parameters\n----------", "Returns\n-------", "Notes\n-----"):
        assert section in doc
    documented = set(re.findall(r"^([a-z_]+(?:, [a-z_]+)*)$", doc.split("Returns\n-------")[0], re.M))
    documented = {n for line in documented for n in line.split(", ")}
    assert set(ours) <= documented, set(ours) - documented
    for key in STORES[name]:
        assert key in doc, key
    assert '_params"]' in doc  # where the settings are recorded


def test_readme_api_table_lists_every_function_and_key():
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Python API", 1)[1].split("\n## ", 1)[0]
    for name, keys in STORES.items():
        row = next((line for line in section.splitlines() if line.startswith(f"| `tl.{name}")), None)
        assert row is not None, name
        assert keys[0].replace("adata.", "").replace('"', "") in row.replace('"', "").replace("`", ""), name
    for name in ("deseq2", "limma"):
        assert f"| `tl.{name}" in section
    for plot in ("volcano", "ma", "enrichment_dots", "gsea_curve", "forest", "scores", "km", "pca",
                 "correlation_heatmap"):
        assert f"pl.{plot}" in section
