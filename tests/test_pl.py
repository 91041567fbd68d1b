"""omics.pl: no forced backend, and every figure draws from result-shaped tables."""

from __future__ import annotations

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")  # this test process only

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import omics  # noqa: E402


@pytest.mark.slow
def test_import_does_not_force_a_backend():
    code = ("import matplotlib; matplotlib.use('module://matplotlib_inline.backend_inline'); "
            "import omics.pl; print(matplotlib.get_backend())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "inline" in out.stdout



def test_cli_sets_a_non_interactive_backend(monkeypatch):
    import os

    from helpers import REPO
    from omics.cli import main

    monkeypatch.setenv("MPLBACKEND", "unset-below")  # records the original value for teardown
    monkeypatch.delenv("MPLBACKEND")
    assert main(["schema", "--check", "--root", str(REPO)]) == 0
    assert os.environ["MPLBACKEND"] == "Agg"


def _de(n: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    stat = rng.normal(size=n)
    p = np.clip(np.exp(-np.abs(stat) * 2), 1e-12, 1)
    return pd.DataFrame({"gene_id": [f"G{i}" for i in range(n)], "gene_name": [f"GENE{i}" for i in range(n)],
                         "baseMean": rng.uniform(5, 500, n), "log2FoldChange": stat / 2, "lfcSE": 0.3,
                         "stat": stat, "pvalue": p, "padj": np.minimum(p * 10, 1)})


def test_every_figure_draws():
    rng = np.random.default_rng(0)
    de = _de()
    ax = omics.pl.volcano(de, label_top=6)
    labels = [t for t in ax.texts]
    assert len(labels) == 6
    xlim, ylim = ax.get_xlim(), ax.get_ylim()
    for t in labels:  # every label inside the axes, none on top of another
        x, y = t.get_position()
        assert xlim[0] <= x <= xlim[1] and ylim[0] <= y <= ylim[1]
    positions = [t.get_position() for t in labels]
    assert len(set(positions)) == len(positions)
    omics.pl.ma(de)
    samples = [f"S{i}" for i in range(12)]
    corr = pd.DataFrame(np.corrcoef(rng.normal(size=(12, 50))), index=samples, columns=samples)
    omics.pl.correlation_heatmap(corr)
    matrix = pd.DataFrame(rng.normal(size=(10, 12)), index=[f"GENE{i}" for i in range(10)], columns=samples)
    omics.pl.heatmap(matrix, pd.Series(["a"] * 6 + ["b"] * 6, index=samples))
    pcs = pd.DataFrame({"PC1": rng.normal(size=12), "PC2": rng.normal(size=12),
                        "arm": ["bmmnc", "placebo"] * 6}, index=samples)
    assert omics.pl.pca(pcs, color="arm", variance=[0.3, 0.2]).get_xlabel() == "PC1 (30.0%)"
    gsea = pd.DataFrame({"term": ["P1", "P2", "B1", "B2"], "collection": ["panel", "panel", "background",
                                                                          "background"],
                         "size": [40, 15, 100, 20], "nes": [1.5, -1.2, 2.0, 0.4],
                         "pvalue": [0.01, 0.05, 0.001, 0.6],
                         "fdr": [0.05, 0.2, 0.0, 0.9]})
    omics.pl.enrichment_dots(gsea)
    ranking = omics.tl.gene_statistic(de)
    omics.pl.gsea_curve(ranking, {"set": list(ranking.index[:20])})
    model = pd.DataFrame({"score": ["A", "B"], "classification": ["predictive", "none"],
                          "or_treated": [5.0, 1.1], "or_treated_low": [1.5, 0.5],
                          "or_treated_high": [np.inf, 2.0],
                          "fit_treated": ["firth", "ml"],
                          "or_control": [1.0, 0.9], "or_control_low": [0.4, 0.4],
                          "or_control_high": [2.5, 2.0]})
    ax = omics.pl.forest(model)
    assert "[predictive]" in ax.get_yticklabels()[0].get_text()
    y = np.array([0, 1] * 10)
    omics.pl.roc(y, {"score": y + rng.normal(scale=0.8, size=20)})
    joined = pd.DataFrame({"gene_name": list("ABCDEF"), "rna_log2fc": [1, -1, 0.5, 0.2, -0.3, 2],
                           "protein_log2fc": [0.8, -0.5, -0.1, 0.3, -0.2, 1.5],
                           "rna_padj": [0.01, 0.2, 0.5, 0.5, 0.5, 0.001],
                           "protein_padj": [0.02, 0.5, 0.5, 0.5, 0.5, 0.01]})
    joined["concordant"] = np.sign(joined["rna_log2fc"]) == np.sign(joined["protein_log2fc"])
    assert "Spearman r" in omics.pl.concordance(joined).get_title()
    omics.pl.correlation_distribution(pd.DataFrame({"spearman_rho": rng.uniform(-1, 1, 50)}))


def test_running_score_extreme_is_the_gsea_es():
    de = _de(300, seed=3)
    ranking = omics.tl.gene_statistic(de)
    genes = list(ranking.sort_values().index[:25])
    curve = omics.tl.gsea_running_score(ranking, genes)
    es = omics.tl.gsea_prerank(ranking, {"s": genes}, permutations=0, min_size=1)["es"].iloc[0]
    extreme = curve["running_es"].to_numpy()[np.argmax(np.abs(curve["running_es"].to_numpy()))]
    assert np.isclose(extreme, es)


def test_km_of_a_score_measured_in_two_modalities_needs_the_modality():
    """A GO set scored on mRNA and protein has two sets of curves: never drawn as one."""
    import matplotlib.pyplot as plt

    rows, tests = [], []
    for modality, drop, p in (("rna", 0.5, 0.01), ("protein", 0.25, 0.5)):
        for arm in ("placebo", "bmmnc"):
            tests.append({"modality": modality, "score": "GO:A", "arm": arm, "logrank_p": p})
            for group in ("low", "high"):
                rows += [{"modality": modality, "score": "GO:A", "arm": arm, "group": group, "time": t,
                          "survival": s, "n_at_risk": 10 - i, "n_censored": 0}
                         for i, (t, s) in enumerate(((0, 1.0), (50, 1 - drop), (183, 1 - drop)))]
    curves, logrank = pd.DataFrame(rows), pd.DataFrame(tests)
    with pytest.raises(omics._errors.InputError,
                       match=r"several modalities \(rna, protein\); pass modality="):
        omics.pl.km(curves, "GO:A", logrank=logrank)
    axes = omics.pl.km(curves, "GO:A", logrank=logrank, modality="protein")
    assert axes[0].get_title() == "placebo (log-rank p = 0.5)"
    assert list(axes[0].get_lines()[0].get_ydata()) == [1.0, 0.75, 0.75]
    one = curves[curves["modality"] == "rna"]  # one modality in the curves: its log-rank rows
    assert omics.pl.km(one, "GO:A", logrank=logrank)[1].get_title() == "bmmnc (log-rank p = 0.01)"
    plt.close("all")


def test_forest_opens_the_markers_of_separated_models_only():
    """Every fit is Firth by default; open markers are the models ``separation`` lists."""
    import matplotlib.pyplot as plt

    model = pd.DataFrame({"score": ["A", "B"], "or_treated": [3.0, 50.0], "or_treated_low": [1.2, 4.0],
                          "or_treated_high": [7.0, np.inf], "fit_treated": ["firth", "firth"],
                          "separation": ["", "treated"], "classification": ["none", "treated_only"]})
    ax = omics.pl.forest(model)
    filled, hollow = ax.collections[1], ax.collections[2]  # the interval lines come first
    assert len(filled.get_offsets()) == 1 and filled.get_offsets()[0][0] == 3.0
    assert len(hollow.get_offsets()) == 1 and hollow.get_offsets()[0][0] == 50.0
    plt.close("all")


def test_forest_axis_stops_100_fold_beyond_the_estimates():
    """A far interval end (OR 1e11 per SD near separation) is an arrow at the axis edge, in the
    notebook plot and the report alike, not an axis to 1e6 that squeezes every other interval."""
    import matplotlib.pyplot as plt

    from omics.report._figures import forest

    model = pd.DataFrame({"score": ["A", "B"], "or_treated": [3.0, 12.0], "or_treated_low": [1.2, 2.0],
                          "or_treated_high": [7.0, 4.5e11], "classification": ["none", "none"]})
    ax = omics.pl.forest(model)
    assert ax.get_xlim() == pytest.approx((1.2 / 1.5, 1200.0))
    fig = forest(model, [("or_treated", "BM-MNC arm")], ratio="OR", title="t")
    assert tuple(fig.layout.xaxis.range) == pytest.approx((np.log10(1.2 / 1.5), np.log10(1200.0)))
    assert [a.x for a in fig.layout.annotations] == pytest.approx([np.log10(1200.0)])  # B: an arrow
    close = model.assign(or_treated_high=[7.0, 40.0])  # ends near the estimates: 1.5-fold beyond
    assert omics.pl.forest(close).get_xlim() == pytest.approx((0.8, 60.0))
    # review h46 #4: an estimate beyond 1e-4 (a Cox HR of 1.8e-5 per SD) is on the axis
    tiny = pd.DataFrame({"score": ["A"], "or_treated": [1.8e-5], "or_treated_low": [1.5e-8],
                         "or_treated_high": [0.0216], "classification": ["none"]})
    low, high = omics.pl.forest(tiny).get_xlim()
    assert low == pytest.approx(1.2e-5) and high == pytest.approx(1.8e-3)  # 100-fold beyond
    plt.close("all")


def test_concordance_from_the_long_table_draws_the_contrast_asked_for():
    """integration/concordance.tsv holds every contrast: contrast= picks one, none given is refused."""
    import matplotlib.pyplot as plt

    from omics._errors import InputError

    rng = np.random.default_rng(2)
    parts = []
    for cid, n in (("response_in_bmmnc", 30), ("response_in_placebo", 20)):
        rna, protein = rng.normal(size=n), rng.normal(size=n)
        parts.append(pd.DataFrame({"contrast": cid, "gene_name": [f"G{i}" for i in range(n)],
                                   "rna_log2fc": rna, "protein_log2fc": protein,
                                   "rna_padj": 0.5, "protein_padj": 0.5,
                                   "concordant": np.sign(rna) == np.sign(protein)}))
    joined = pd.concat(parts, ignore_index=True)
    ax = omics.pl.concordance(joined, contrast="response_in_placebo")
    assert ax.get_title().startswith("response_in_placebo: ") and ax.get_title().endswith(
        f"(20 genes, {int(parts[1]['concordant'].sum())} in the same direction)")
    assert sum(len(c.get_offsets()) for c in ax.collections) == 20
    with pytest.raises(InputError, match=r"holds 2 contrasts .*pass contrast="):
        omics.pl.concordance(joined)
    with pytest.raises(InputError, match="'arm_x_response' is not in the table"):
        omics.pl.concordance(joined, contrast="arm_x_response")
    one = omics.pl.concordance(joined[joined["contrast"] == "response_in_bmmnc"])
    assert one.get_title().endswith(
        f"(30 genes, {int(parts[0]['concordant'].sum())} in the same direction)")
    plt.close("all")


def test_forest_of_the_whole_response_table_names_the_modality_of_each_row():
    """scores/response_model.tsv has a row per modality and score: labels say which."""
    import matplotlib.pyplot as plt

    from omics._errors import InputError

    model = pd.DataFrame({"modality": ["rna", "protein", "flow"], "score": ["GO:1_A", "GO:1_A", "CD34"],
                          "or_pooled": [2.0, 1.5, 0.8], "or_pooled_low": [1.1, 0.7, 0.4],
                          "or_pooled_high": [3.6, 3.2, 1.6],
                          "classification": ["prognostic", "none", "none"]})
    ax = omics.pl.forest(model)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["rna GO:1 A [prognostic]", "protein GO:1 A",
                                                            "flow CD34"]
    protein = omics.pl.forest(model, modality="protein")
    assert [t.get_text() for t in protein.get_yticklabels()] == ["GO:1 A"]
    with pytest.raises(InputError, match=r"no rows of modality 'qpcr' \(the table has rna, protein, flow\)"):
        omics.pl.forest(model, modality="qpcr")
    plt.close("all")


def test_roc_draws_the_roc_table_the_pipeline_writes():
    """scores/response_roc.tsv (ROC points per modality and score) is drawn as written."""
    import matplotlib.pyplot as plt

    from omics._errors import InputError

    table = pd.DataFrame({"modality": ["rna"] * 3 + ["flow"] * 3,
                          "score": ["GO:1", "GO:1", "GO:1", "CD34", "CD34", "CD34"],
                          "cohort": "pooled", "repeat": 0, "auc": [0.75] * 3 + [0.6] * 3,
                          "fpr": [0.0, 0.5, 1.0, 0.0, 0.2, 1.0], "tpr": [0.0, 1.0, 1.0, 0.0, 0.4, 1.0]})
    ax = omics.pl.roc(table, modality="rna")
    line = ax.get_lines()[0]
    assert ax.get_legend().get_texts()[0].get_text() == "GO:1 (AUC 0.75)"
    assert list(line.get_xdata())[:2] == [0.0, 0.5]
    with pytest.raises(InputError, match="holds rna, flow; pass modality="):
        omics.pl.roc(table)
    with pytest.raises(InputError, match="no ROC points of GO:2"):
        omics.pl.roc(table, modality="rna", scores=["GO:2"])
    plt.close("all")


def test_a_misspelt_colour_column_or_score_stops_instead_of_drawing_nothing_useful():
    import matplotlib.pyplot as plt

    from omics._errors import InputError

    pcs = pd.DataFrame({"PC1": [0.1, -0.2, 0.3], "PC2": [0.0, 0.1, -0.1],
                        "arm": ["bmmnc", "placebo", "bmmnc"]}, index=["S1", "S2", "S3"])
    with pytest.raises(InputError, match=r"color='Arm' is not a column of the table \(it has PC1, PC2, "):
        omics.pl.pca(pcs, color="Arm")
    assert [t.get_text() for t in omics.pl.pca(pcs, color=None).get_legend().get_texts()] == ["all"]
    long = pd.DataFrame({"sample": ["S1", "S2", "S3"], "modality": "rna", "term": "GO:1",
                         "score": [1.0, 2, 3]})
    obs = pd.DataFrame({"arm": ["bmmnc", "placebo", "bmmnc"], "response": ["responder"] * 3},
                       index=["S1", "S2", "S3"])
    with pytest.raises(InputError, match=r"no rna score named 'GO:2' \(there are 1: GO:1\)"):
        omics.pl.scores(long, obs, term="GO:2")
    plt.close("all")


def test_scores_label_the_modality_they_come_from():
    import anndata as ad
    import matplotlib.pyplot as plt

    from omics._errors import InputError

    obs = pd.DataFrame({"arm": ["bmmnc", "placebo", "bmmnc"], "response": ["responder"] * 3},
                       index=["S1", "S2", "S3"])
    long = pd.DataFrame({"sample": ["S1", "S2", "S3"] * 2, "modality": ["rna"] * 3 + ["protein"] * 3,
                         "term": ["GO:1"] * 3 + ["GO:2"] * 3, "score": [1.0, 2, 3, 4, 5, 6]})
    assert omics.pl.scores(long, obs, term="GO:2").get_ylabel() == "protein score"
    both = pd.concat([long, long.assign(modality="protein").iloc[:3]])
    with pytest.raises(InputError, match="'GO:1' is scored in rna, protein: pass modality="):
        omics.pl.scores(both, obs, term="GO:1")
    assert omics.pl.scores(both, obs, term="GO:1", modality="protein").get_ylabel() == "protein score"
    protein = ad.AnnData(np.ones((3, 2)), obs=obs)
    protein.uns["protein_input"] = {"format": "tsv"}
    protein.obsm["angio_scores"] = pd.DataFrame({"GO:2": [4.0, 5, 6]}, index=obs.index)
    assert omics.pl.scores(protein, term="GO:2").get_ylabel() == "protein score"
    plt.close("all")
