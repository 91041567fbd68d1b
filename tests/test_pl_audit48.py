"""omics.pl fixes of the h48 plotting audit (/tmp/notes/h48_pl.md) and finding #8 of the scores audit."""

from __future__ import annotations

import io
import warnings

import anndata as ad
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

import omics  # noqa: E402
from omics._errors import InputError  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    plt.close("all")
    yield
    plt.close("all")


def _limma_table(n: int = 12, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    p = rng.uniform(1e-4, 1, n)
    return pd.DataFrame({"feature_id": [f"F{i}" for i in range(n)], "gene_name": [f"G{i}" for i in range(n)],
                         "logFC": rng.normal(size=n), "AveExpr": rng.uniform(5, 15, n),
                         "t": rng.normal(size=n), "P.Value": p, "adj.P.Val": np.minimum(p * 3, 1),
                         "B": rng.normal(size=n)})


def _deseq2_table(n: int = 12, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    p = rng.uniform(1e-4, 1, n)
    return pd.DataFrame({"gene_id": [f"ENSG{i:05d}" for i in range(n)],
                         "gene_name": [f"G{i}" for i in range(n)],
                         "baseMean": rng.uniform(10, 1000, n), "log2FoldChange": rng.normal(size=n),
                         "lfcSE": rng.uniform(0.1, 0.5, n), "stat": rng.normal(size=n), "pvalue": p,
                         "padj": np.minimum(p * 3, 1)})


def _obs(n: int) -> pd.DataFrame:
    return pd.DataFrame({"arm": [("placebo", "bmmnc")[i % 2] for i in range(n)],
                         "response": [("responder", "non_responder")[(i // 2) % 2] for i in range(n)]},
                        index=[f"S{i}" for i in range(n)])


def _adata_with(table: pd.DataFrame, key: str, *, contrast: str = "c1", modality: str | None = None,
                design: str | None = None, n_obs: int = 8) -> ad.AnnData:
    ids = table.iloc[:, 0].astype(str).tolist()
    rng = np.random.default_rng(2)
    adata = ad.AnnData(rng.normal(size=(n_obs, len(ids))), obs=_obs(n_obs),
                       var=pd.DataFrame({"gene_name": table["gene_name"].to_numpy()}, index=ids))
    adata.uns[key] = {contrast: table}
    if design is not None:
        adata.uns[key + "_params"] = {contrast: {"design": design}}
    if modality is not None:
        adata.uns["modality"] = modality
    return adata


def _legend(ax) -> dict[str, str]:  # noqa: ANN001
    """Legend label -> face colour of its scatter."""
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    return {text: to_hex(coll.get_facecolor()[0]) for text, coll in zip(texts, ax.collections, strict=True)}


# --- M1 ---------------------------------------------------------------------------------------------

def test_pca_missing_response_is_grey_and_labelled_unknown():
    """M1: NaN response was drawn as 'nan' in the responders' green."""
    table = pd.DataFrame({"PC1": np.arange(6.0), "PC2": np.arange(6.0)[::-1],
                          "response": ["responder", "non_responder", np.nan, "responder", np.nan,
                                       "non_responder"]}, index=list("abcdef"))
    colours = _legend(omics.pl.pca(table))
    assert colours == {"non_responder": "#d95f02", "responder": "#1b9e77", "unknown": "#bbbbbb"}


def test_pca_levels_never_share_a_colour():
    """M1: unlisted levels took palette colours by index, so they collided with named levels / each other."""
    levels = [f"L{i}" for i in range(10)] + ["responder", "placebo"]
    table = pd.DataFrame({"PC1": np.arange(12.0), "PC2": np.zeros(12), "site": levels},
                         index=[f"s{i}" for i in range(12)])
    colours = _legend(omics.pl.pca(table, color="site"))
    assert len(colours) == 12
    assert len(set(colours.values())) == 12
    assert colours["responder"] == "#1b9e77" and colours["placebo"] == "#e7298a"


# --- M2 ---------------------------------------------------------------------------------------------

def test_roc_area_under_drawn_curve_equals_auc_with_ties():
    """M2: a step curve drew area 0.25 for a legend AUC of 0.50."""
    ax = omics.pl.roc([0, 0, 1, 1], {"binary marker": [0, 1, 0, 1]})
    path = ax.lines[0].get_path().vertices
    area = float(np.sum(np.diff(path[:, 0]) * (path[1:, 1] + path[:-1, 1]) / 2))
    assert ax.get_legend().get_texts()[0].get_text() == "binary marker (AUC 0.50)"
    assert area == pytest.approx(0.5)


# --- M3 ---------------------------------------------------------------------------------------------

_ORA = pd.DataFrame({"term": ["A", "B"], "direction": ["up", "down"], "collection": ["panel", "bg"],
                     "size": [10, 20], "overlap": [3, 4], "pvalue": [0.01, 0.2], "fdr": [0.02, 0.3]})


def test_enrichment_dots_on_the_ora_table_names_nes_and_the_fix():
    """M3: the ORA table ended in KeyError: 'nes'."""
    with pytest.raises(InputError, match=r"no 'nes' column.*GSEA table.*key='gsea'"):
        omics.pl.enrichment_dots(_ORA)
    adata = ad.AnnData(np.zeros((2, 2)))
    adata.uns["ora"] = {"c1": _ORA}
    with pytest.raises(InputError, match=r"no 'nes' column"):
        omics.pl.enrichment_dots(adata, key="ora")
    with pytest.raises(InputError, match=r"enrichment_dots: the table has no 'term', 'nes'"):
        omics.pl.enrichment_dots(_limma_table())
    assert plt.get_fignums() == []


# --- L1 ---------------------------------------------------------------------------------------------

_GSEA = pd.DataFrame({"term": ["A", "B", "C"], "collection": ["panel", "panel", "bg"], "size": [10, 20, 30],
                      "es": [0.5, -0.4, 0.3], "nes": [1.5, -1.2, 1.0], "pvalue": [0.01, 0.2, 0.3],
                      "fdr": [0.02, 0.3, 0.4]})


def test_gsea_curve_of_a_gsea_table_is_an_input_error():
    """L1: gsea_curve(gsea_table) ended in KeyError: 'gene_name'."""
    with pytest.raises(InputError, match=r"gsea_curve: the table has no 'gene_name' column"):
        omics.pl.gsea_curve(_GSEA, ["G1"])
    assert plt.get_fignums() == []


def _concordance_table() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    rna, protein = rng.normal(size=20), rng.normal(size=20)
    return pd.DataFrame({"gene_name": [f"G{i}" for i in range(20)], "rna_log2fc": rna,
                         "protein_log2fc": protein,
                         "rna_padj": rng.uniform(size=20), "protein_padj": rng.uniform(size=20),
                         "concordant": np.sign(rna) == np.sign(protein)})


def test_concordance_without_concordant_stops_before_a_figure():
    """L1: KeyError: 'concordant' after a figure was opened."""
    with pytest.raises(InputError, match=r"no concordant column"):
        omics.pl.concordance(_concordance_table().drop(columns="concordant"))
    assert plt.get_fignums() == []


def test_heatmap_groups_with_a_sample_not_in_the_matrix():
    """L1: KeyError: "['c'] not in index"."""
    with pytest.raises(InputError, match=r"1 sample\(s\) of groups are not columns of the matrix \(c\)"):
        omics.pl.heatmap(pd.DataFrame(np.ones((2, 2)), columns=["a", "b"]),
                         pd.Series(["x", "y", "z"], index=["a", "b", "c"]))
    assert plt.get_fignums() == []


def test_correlation_heatmap_with_a_missing_r_is_drawn():
    """L1: a NaN r raised scipy's 'must contain only finite values' and left a figure open."""
    corr = pd.DataFrame([[1, np.nan, .5, .4], [np.nan, 1, .2, .1], [.5, .2, 1, .9], [.4, .1, .9, 1]],
                        index=list("abcd"), columns=list("abcd"))
    ax = omics.pl.correlation_heatmap(corr)
    names = [t.get_text() for t in ax.get_xticklabels()]
    assert sorted(names) == list("abcd")
    assert abs(names.index("c") - names.index("d")) == 1  # the closest pair stays together
    shown = ax.images[0].get_array()
    i, j = names.index("a"), names.index("b")
    assert np.ma.is_masked(shown[i, j]) or np.isnan(shown[i, j])


def _km_curves(arms=("placebo", "bmmnc")) -> tuple[pd.DataFrame, pd.DataFrame]:  # noqa: ANN001
    rows, tests = [], []
    for arm in arms:
        tests.append({"score": "GO:A", "arm": arm, "logrank_p": 0.01 if arm == "bmmnc" else 0.85})
        for group in ("low", "high"):
            rows += [{"score": "GO:A", "arm": arm, "group": group, "time": t, "survival": s,
                      "n_at_risk": 10 - i, "n_censored": 0}
                     for i, (t, s) in enumerate(((0, 1.0), (50, 0.7), (183, 0.7)))]
    return pd.DataFrame(rows), pd.DataFrame(tests)


def test_km_takes_a_single_axes_and_ax():
    """L1: km(curves, score, axes=<one Axes>) raised TypeError: 'Axes' object is not iterable; no ax=."""
    curves, logrank = _km_curves()
    one = curves[curves["arm"] == "bmmnc"]
    _, ax = plt.subplots()
    drawn = omics.pl.km(one, "GO:A", logrank=logrank, axes=ax)
    assert drawn == [ax] and ax.get_title() == "bmmnc (log-rank p = 0.01)" and len(ax.get_lines()) == 4
    _, ax2 = plt.subplots()
    assert omics.pl.km(curves, "GO:A", arms=("placebo",), ax=ax2) == [ax2]
    assert ax2.get_title() == "placebo"
    _, pair = plt.subplots(1, 2)
    assert omics.pl.km(curves, "GO:A", ax=pair)[1] is pair[1]
    n = len(plt.get_fignums())
    with pytest.raises(InputError, match=r"a single Axes draws one arm.*pass arms="):
        omics.pl.km(curves, "GO:A", ax=ax)
    with pytest.raises(InputError, match=r"1 Axes for 2 arms"):
        omics.pl.km(curves, "GO:A", axes=[ax2])
    # more Axes than arms: the first ones are drawn on, as before (review48 L1)
    _, three = plt.subplots(1, 3)
    assert omics.pl.km(curves, "GO:A", axes=list(three))[:2] == list(three[:2])
    assert {three[0].get_title(), three[1].get_title()} == {"bmmnc", "placebo"}
    assert three[2].get_title() == "" and not three[2].get_lines()
    plt.close(three[0].figure)
    with pytest.raises(InputError, match=r"no 'survival' column"):
        omics.pl.km(curves.drop(columns="survival"), "GO:A")
    assert len(plt.get_fignums()) == n


# --- L2 ---------------------------------------------------------------------------------------------

def test_concordance_contrast_titles_a_table_without_a_contrast_column():
    """L2: contrast= was silently ignored for the table tl.fold_change_concordance returns."""
    ax = omics.pl.concordance(_concordance_table(), contrast="response_in_placebo")
    assert ax.get_title().startswith("response_in_placebo: Spearman r = ")


# --- L3, L4 -----------------------------------------------------------------------------------------

def test_heatmap_de_ids_not_in_var_names():
    """L3: no DE id in var_names drew an empty heatmap; gene_name is tried; a partial match warns."""
    table = _deseq2_table()
    adata = _adata_with(table, "deseq2")
    adata.uns["deseq2"]["c1"] = table.assign(gene_id="x" + table["gene_id"])
    with pytest.raises(InputError, match=r"none of the top 5 features of adata.uns\['deseq2'\]\['c1'\]"):
        omics.pl.heatmap(adata, groupby="response", n_top=5)
    assert plt.get_fignums() == []
    by_symbol = _adata_with(table, "deseq2")  # var_names set to gene symbols after DE
    by_symbol.var_names = by_symbol.var["gene_name"].astype(str).to_numpy()
    top = table.nsmallest(5, "pvalue")["gene_name"].tolist()
    ax = omics.pl.heatmap(by_symbol, groupby="response", n_top=5)
    assert [t.get_text() for t in ax.get_yticklabels()] == top
    partial = _adata_with(table, "deseq2")
    first = table.nsmallest(5, "pvalue")["gene_id"].iloc[0]
    partial.uns["deseq2"]["c1"] = table.assign(
        gene_id=table["gene_id"].where(table["gene_id"] != first, "gone"))
    with pytest.warns(UserWarning,
                      match=r"1 of the top 5 features .* not in var_names \(gone\); drawing the 4"):
        ax = omics.pl.heatmap(partial, groupby="response", n_top=5)
    assert len(ax.get_yticklabels()) == 4


def test_heatmap_table_leaves_out_samples_without_a_group():
    """L4: each NaN-group sample became its own block labelled 'nan'."""
    m = pd.DataFrame(np.random.default_rng(0).normal(size=(3, 6)), columns=list("abcdef"))
    ax = omics.pl.heatmap(m, pd.Series(["x", "x", np.nan, np.nan, "y", np.nan], index=list("abcdef")))
    assert [t.get_text() for t in ax.texts] == ["x", "y"]
    assert ax.images[0].get_array().shape == (3, 3)


# --- L6, L7 -----------------------------------------------------------------------------------------

def test_ma_labels_the_mean_by_modality_and_deseq2_plus_one():
    """L6: flow MA said 'mean log2 intensity'; DESeq2 MA omitted the +1 of log10(baseMean + 1)."""
    flow = _adata_with(_limma_table(), "limma", modality="flow")
    assert omics.pl.ma(flow).get_xlabel() == "mean log2 count (AveExpr)"
    protein = _adata_with(_limma_table(), "limma", modality="protein")
    assert omics.pl.ma(protein).get_xlabel() == "mean log2 intensity (AveExpr)"
    assert omics.pl.ma(_deseq2_table()).get_xlabel() == "log10(mean normalised count + 1)"


def test_formula_contrast_is_labelled_a_coefficient():
    """L6: an interaction coefficient was labelled 'log2 fold change (target / reference)'."""
    adata = _adata_with(_deseq2_table(), "deseq2", contrast="arm_x_response",
                        design="~arm + response + arm:response")
    assert omics.pl.volcano(adata).get_xlabel() == "log2 fold change / coefficient"
    assert omics.pl.ma(adata).get_ylabel() == "log2 fold change / coefficient"
    contrast = omics.io.Contrast(id="arm_x_response", formula="~arm*response",
                                 make_contrasts_str="armbmmnc:responseresponder")
    label = omics.pl.volcano(_deseq2_table(), contrast=contrast).get_xlabel()
    assert label == "log2 fold change / coefficient"
    # control (passes on the old code too): a table of unknown origin keeps the usual label
    assert omics.pl.volcano(_deseq2_table()).get_xlabel() == "log2 fold change (target / reference)"


def test_ma_takes_a_title_and_anndata_titles_stay_as_for_a_table():
    """L6: ma gained title= like the other plots. The contrast id is not made a default title:
    tests/test_api_convention.py requires a table and its AnnData to draw the same figure."""
    adata = _adata_with(_limma_table(), "limma", contrast="response_in_bmmnc", modality="protein")
    assert omics.pl.ma(adata, title="response_in_bmmnc").get_title() == "response_in_bmmnc"
    table = adata.uns["limma"]["response_in_bmmnc"]
    assert omics.pl.volcano(adata).get_title() == omics.pl.volcano(table).get_title()


def test_scores_of_a_flow_anndata_are_labelled_flow():
    """L7: the y axis of a flow AnnData's scores read 'rna score'."""
    adata = ad.AnnData(np.zeros((8, 2)), obs=_obs(8))
    adata.uns["modality"] = "flow"
    adata.obsm["angio_scores"] = pd.DataFrame({"CD34": np.arange(8.0)}, index=adata.obs_names)
    assert omics.pl.scores(adata, term="CD34").get_ylabel() == "flow score"


# --- L9, L10, L11 -----------------------------------------------------------------------------------

def test_km_of_one_arms_curves_draws_that_arm_only():
    """L9: an empty placebo panel titled with placebo's log-rank p, and a legend warning."""
    curves, logrank = _km_curves()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        axes = omics.pl.km(curves[curves["arm"] == "bmmnc"], "GO:A", logrank=logrank)
    assert [a.get_title() for a in axes] == ["bmmnc (log-rank p = 0.01)"]
    _, pair = plt.subplots(1, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        axes = omics.pl.km(curves[curves["arm"] == "bmmnc"], "GO:A", logrank=logrank, axes=pair)
    assert [a.get_title() for a in axes] == ["placebo: no curves", "bmmnc (log-rank p = 0.01)"]


def test_roc_of_one_class_or_a_missing_prediction():
    """L10: one class drew 'AUC nan' with sklearn warnings; a NaN prediction raised sklearn's ValueError."""
    with pytest.raises(InputError, match=r"roc: the outcome of 'a' has 1 class\(es\)"):
        omics.pl.roc([1, 1, 1], {"a": [0.1, 0.2, 0.3]})
    with pytest.raises(InputError,
                       match=r"roc: the predictions of 'a' are missing \(NaN/inf\) at position\(s\) 1"):
        omics.pl.roc([0, 1, 1], {"a": [0.1, np.nan, 0.3]})
    assert plt.get_fignums() == []


def test_flat_volcano_and_empty_enrichment_draw_without_warnings():
    """L11: matplotlib 'identical low and high ylims' / 'No artists with labels' warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = omics.pl.volcano(_deseq2_table(5).assign(pvalue=1.0, padj=1.0, log2FoldChange=0.0))
        omics.pl.enrichment_dots(_GSEA.head(0))
    assert ax.get_ylim() == (0.0, 1.0) and ax.get_xlim() == (-1.0, 1.0)


# --- L5, L8, L12: documentation -----------------------------------------------------------------------

def test_docstrings_say_what_the_audit_found_undocumented():
    """L5 (attrs lost in join), L8 (labels can overlap), L12 (figures stay open until plt.close)."""
    import omics.pl._plots as plots

    assert "drops ``attrs`` in ``join``" in omics.pl.pca.__doc__
    assert "no label overlaps another" not in omics.pl.volcano.__doc__
    assert "plt.close(ax.figure)" in plots.__doc__


# --- scores audit #8 ----------------------------------------------------------------------------------

def _points(ax) -> int:  # noqa: ANN001
    from matplotlib.collections import PathCollection

    return sum(len(c.get_offsets()) for c in ax.collections if isinstance(c, PathCollection))


_TSV = ("sample\tmodality\tterm\tscore\n001\trna\tS\t0.5\n002\trna\tS\t-0.5\n003\trna\tS\t0.1\n"
        "004\trna\tS\t0.3\n")


def test_scores_with_ids_read_as_numbers():
    """Scores audit #8: pandas 'merge on int64 and object columns' ValueError."""
    obs = pd.DataFrame({"arm": ["placebo", "placebo", "bmmnc", "bmmnc"],
                        "response": ["responder", "non_responder"] * 2}, index=["001", "002", "003", "004"])
    long = pd.read_csv(io.StringIO(_TSV), sep="\t")
    with pytest.raises(InputError,
                       match=r"none of the scores' sample ids \(1, 2, 3, \.\.\.\).*dtype=\{'sample': str\}"):
        omics.pl.scores(long, obs, term="S")
    assert plt.get_fignums() == []
    # ids compared as text: numbers in the table, text in the sheet
    ax = omics.pl.scores(long, obs.set_axis(["1", "2", "3", "4"]), term="S")
    assert _points(ax) == 4
    ax = omics.pl.scores(pd.read_csv(io.StringIO(_TSV), sep="\t", dtype={"sample": str}), obs, term="S")
    assert _points(ax) == 4
