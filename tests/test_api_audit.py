"""Defects of the notebook API found by the API audit, one test per item (h_api.md).

Each test builds small AnnData objects: features without a gene symbol (NaN), sparse
layers, wrong layer or column names, a MuData or a table where an AnnData is expected
(and the reverse), a survival table drawn as odds ratios, plots that fail, and GSEA
results of other contrasts in one modality of a MuData.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # this test process only

import anndata as ad  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import scipy.sparse as sp  # noqa: E402

import omics  # noqa: E402
from omics._errors import InputError  # noqa: E402
from omics.io import Contrast  # noqa: E402

N_SAMPLES, N_GENES = 24, 40
CONTRAST = Contrast(id="response_in_all", variable="response", reference="non_responder",
                    target="responder")


def _obs(rng: np.random.Generator) -> pd.DataFrame:
    samples = [f"S{i:02d}" for i in range(N_SAMPLES)]
    response = np.array(["responder", "non_responder"] * (N_SAMPLES // 2))
    return pd.DataFrame({
        "arm": np.array(["placebo"] * 2 + ["bmmnc"] * 2)[np.arange(N_SAMPLES) % 4],
        "response": response,
        "afs_days": np.where(response == "responder", 183, rng.integers(10, 180, N_SAMPLES)).astype(float),
        "afs_event": (response == "non_responder").astype(int),
    }, index=samples)


def _pair(symbols: list[object] | None = None) -> tuple[ad.AnnData, ad.AnnData]:
    """An RNA (``vst`` layer) and a protein AnnData (X, some NaN) of the same samples and genes."""
    rng = np.random.default_rng(0)
    obs = _obs(rng)
    names = symbols if symbols is not None else [f"GENE{i}" for i in range(N_GENES)]
    latent = rng.normal(size=(N_SAMPLES, N_GENES))
    vst = latent + rng.normal(scale=0.5, size=latent.shape) + 8
    rna = ad.AnnData(X=np.rint(np.exp2(vst)), obs=obs.copy(),
                     var=pd.DataFrame({"gene_name": names}, index=[f"ENSG{i:04d}" for i in range(N_GENES)]),
                     layers={"vst": vst})
    log2 = latent + rng.normal(scale=1.0, size=latent.shape) + 20
    log2[rng.random(log2.shape) < 0.05] = np.nan
    protein = ad.AnnData(X=log2, obs=obs.copy(),
                         var=pd.DataFrame({"gene_name": names}, index=[f"P{i:04d}" for i in range(N_GENES)]))
    return rna, protein


def _missing_symbols(adata: ad.AnnData, n: int = 5) -> ad.AnnData:
    """The AnnData with the first ``n`` symbols missing, as a categorical read back from an h5ad."""
    out = adata.copy()
    names = out.var["gene_name"].astype(object).copy()
    names.iloc[:n] = np.nan
    out.var["gene_name"] = names.astype("category")
    return out


def _blank_symbols(adata: ad.AnnData, n: int = 5) -> ad.AnnData:
    """The AnnData with the first ``n`` symbols ``""``, as the omics.io readers write them."""
    out = adata.copy()
    names = out.var["gene_name"].astype(str).to_numpy().copy()
    names[:n] = ""
    out.var["gene_name"] = names
    return out


@pytest.fixture(autouse=True)
def _no_figures_left():
    plt.close("all")
    yield
    plt.close("all")


# --------------------------------------------------------------------------- item 2


def test_missing_gene_symbols_are_no_gene_called_nan():
    rna, protein = _pair()
    blank_rna, blank_protein = _blank_symbols(rna), _blank_symbols(protein)
    nan_rna, nan_protein = _missing_symbols(rna), _missing_symbols(protein)

    table = omics.tl.limma(nan_protein, CONTRAST)
    assert table["gene_name"].iloc[:5].tolist() == [""] * 5
    pd.testing.assert_frame_equal(table, omics.tl.limma(blank_protein, CONTRAST))
    assert "nan" not in omics.tl.gene_statistic(table).index
    assert all("nan" not in genes for genes in omics.tl.significant_genes(table, "protein", fdr=1.0))

    by_gene = omics.tl.expression_by_gene(nan_protein, None)
    assert "nan" not in by_gene.columns
    pd.testing.assert_frame_equal(by_gene, omics.tl.expression_by_gene(blank_protein, None))

    correlation = omics.tl.mrna_protein_correlation(nan_rna, nan_protein)
    assert "nan" not in set(correlation["gene_name"])
    pd.testing.assert_frame_equal(correlation, omics.tl.mrna_protein_correlation(blank_rna, blank_protein))


def test_tables_with_missing_symbols_leave_those_features_out():
    """A DE table read from a file (NaN for an empty gene_name) is ranked and joined as with ""."""
    rng = np.random.default_rng(1)
    names = [np.nan, None, *[f"GENE{i}" for i in range(8)]]
    rna_de = pd.DataFrame({"gene_name": names, "stat": rng.normal(size=10), "padj": 0.01,
                           "log2FoldChange": rng.normal(size=10)})
    prot_de = pd.DataFrame({"gene_name": names, "t": rng.normal(size=10), "adj.P.Val": 0.01,
                            "logFC": rng.normal(size=10)})
    up, down, background = omics.tl.significant_genes(prot_de, "protein", fdr=0.05)
    assert background == [f"GENE{i}" for i in range(8)]
    assert "nan" not in up + down and "None" not in up + down
    joined, summary = omics.tl.fold_change_concordance(rna_de, prot_de)
    assert joined["gene_name"].tolist() == [f"GENE{i}" for i in range(8)]
    assert summary["n_genes"] == 8


# --------------------------------------------------------------------------- item 4


def test_sparse_layers_give_the_dense_results():
    rna, protein = _pair()
    sparse = rna.copy()
    sparse.layers["vst"] = sp.csr_matrix(sparse.layers["vst"])
    sets = {"SET_A": [f"GENE{i}" for i in range(10)], "SET_B": [f"GENE{i}" for i in range(5, 25)]}

    pd.testing.assert_frame_equal(omics.tl.expression_by_gene(sparse, "vst"),
                                  omics.tl.expression_by_gene(rna, "vst"))
    pd.testing.assert_frame_equal(omics.tl.sample_scores(sparse, sets, layer="vst"),
                                  omics.tl.sample_scores(rna, sets, layer="vst"))
    pd.testing.assert_frame_equal(omics.tl.sample_qc(sparse, layer="vst"),
                                  omics.tl.sample_qc(rna, layer="vst"))
    pd.testing.assert_frame_equal(omics.tl.mrna_protein_correlation(sparse, protein),
                                  omics.tl.mrna_protein_correlation(rna, protein))


# --------------------------------------------------------------------------- item 5


def test_wrong_layer_names_the_layers_there_are():
    rna, protein = _pair()
    with pytest.raises(InputError, match=r"sample_qc: the AnnData has no layer 'VST' \(it has vst\); "
                                         "pass layer=None to use X"):
        omics.tl.sample_qc(rna, layer="VST")
    with pytest.raises(InputError, match="expression_by_gene: the AnnData has no layer 'VST'"):
        omics.tl.expression_by_gene(rna, "VST")
    with pytest.raises(InputError, match="the RNA AnnData has no layer 'VST'.*pass rna_layer=None"):
        omics.tl.mrna_protein_correlation(rna, protein, rna_layer="VST")
    with pytest.raises(InputError, match="the protein AnnData has no layer 'log'.*pass protein_layer=None"):
        omics.tl.mrna_protein_correlation(rna, protein, protein_layer="log")
    mdata = omics.tl.build_mudata(rna, protein)
    with pytest.raises(InputError, match="the RNA AnnData has no layer 'VST'"):
        omics.tl.mrna_protein_correlation(mdata, rna_layer="VST")
    with pytest.raises(InputError, match=r"sample_qc: pass one modality of the MuData \(e.g. mdata\['rna'\]"):
        omics.tl.sample_qc(mdata, layer=None)


# --------------------------------------------------------------------------- item 6


def test_kaplan_meier_names_a_missing_column_and_the_argument():
    _, protein = _pair()
    omics.tl.sample_scores(protein, {"SET_A": [f"GENE{i}" for i in range(10)]})
    for argument, column in (("time_col", "afs_day"), ("event_col", "event"), ("arm_col", "Arm")):
        with pytest.raises(InputError, match=f"kaplan_meier: column '{column}' is not in the sample sheet "
                                             rf"\(columns: .*\); pass {argument}="):
            omics.tl.kaplan_meier(protein, **{argument: column})
    scores = protein.obsm["angio_scores"]
    with pytest.raises(InputError, match="column 'afs_days' is not in the sample sheet"):
        omics.tl.kaplan_meier(scores, protein.obs.drop(columns="afs_days"))


# --------------------------------------------------------------------------- item 7


def test_a_mudata_or_a_table_where_an_anndata_is_expected_and_the_reverse():
    rna, protein = _pair()
    omics.tl.limma(protein, CONTRAST)
    mdata = omics.tl.build_mudata(rna, protein)
    sets = {"SET_A": [f"GENE{i}" for i in range(10)]}
    one_modality = r"pass one modality of the MuData \(e.g. mdata\['rna'\]\), not the MuData"
    for name, call in (("enrichment", lambda: omics.tl.enrichment(mdata, sets)),
                       ("gsea_prerank", lambda: omics.tl.gsea_prerank(mdata, sets)),
                       ("ora", lambda: omics.tl.ora(mdata, sets)),
                       ("volcano", lambda: omics.pl.volcano(mdata)),
                       ("sample_scores", lambda: omics.tl.sample_scores(mdata, sets)),
                       ("enrichment_dots", lambda: omics.pl.enrichment_dots(mdata, contrast="c"))):
        with pytest.raises(InputError, match=f"{name}: {one_modality}"):
            call()
    with pytest.raises(InputError, match="tl.limma: expects an AnnData .*not a DataFrame"):
        omics.tl.limma(protein.to_df(), CONTRAST)
    with pytest.raises(InputError, match="enrichment: pass a DESeq2/limma results table .*not a list"):
        omics.tl.enrichment(["GENE1"], sets)
    with pytest.raises(InputError, match="pl.concordance: got AnnData; pass the table"):
        omics.pl.concordance(rna)
    with pytest.raises(InputError, match="pl.correlation_distribution: got AnnData; pass the table"):
        omics.pl.correlation_distribution(rna)
    with pytest.raises(InputError, match="pl.correlation_distribution: the table has no 'spearman_rho'"):
        omics.pl.correlation_distribution(pd.DataFrame({"gene_name": ["A"]}))
    assert plt.get_fignums() == []


# --------------------------------------------------------------------------- items 8 and 9


def _survival_table() -> pd.DataFrame:
    table = pd.DataFrame({"score": ["SET_A", "SET_B"], "classification": ["none", "prognostic"]})
    for effect in ("control", "treated"):
        table[f"hr_{effect}"] = [0.8, 1.3]
        table[f"hr_{effect}_low"] = [0.5, 0.9]
        table[f"hr_{effect}_high"] = [1.2, 1.9]
    return table


def test_forest_of_a_survival_table_without_ratio_hr_says_so():
    table = _survival_table()
    with pytest.raises(InputError, match=r"forest: the table has no or_\* columns with _low/_high intervals "
                                         r"\(ratio='OR'\); it has hr_\* columns: pass ratio='HR'"):
        omics.pl.forest(table)
    with pytest.raises(InputError, match="effects 'or_pooled' are not columns"):
        omics.pl.forest(table, effects=["or_pooled"])
    assert plt.get_fignums() == []
    assert omics.pl.forest(table, ratio="HR").get_xlabel().startswith("HR per SD")


def test_failed_plots_leave_no_open_figure():
    rng = np.random.default_rng(2)
    obs = _obs(rng)
    long = pd.DataFrame({"sample": obs.index, "modality": "rna", "term": "SET_A",
                         "score": rng.normal(size=N_SAMPLES)})
    with pytest.raises(InputError, match=r"scores: the sample sheet has no 'arm' column \(it has response"):
        omics.pl.scores(long, obs.drop(columns="arm"), term="SET_A", modality="rna")
    with pytest.raises(InputError, match="scores: no rna score named 'NOPE'"):
        omics.pl.scores(long, obs, term="NOPE", modality="rna")
    pca = pd.DataFrame({"PC1": rng.normal(size=4), "PC2": rng.normal(size=4), "response": list("abab")})
    with pytest.raises(InputError, match="pca: color='respons' is not a column"):
        omics.pl.pca(pca, color="respons")
    with pytest.raises(InputError, match="forest: the table has no or_"):
        omics.pl.forest(_survival_table())
    assert plt.get_fignums() == []
    omics.pl.scores(long, obs, term="SET_A", modality="rna")  # the valid calls still draw
    omics.pl.pca(pca)
    assert len(plt.get_fignums()) == 2


# --------------------------------------------------------------------------- item 10


def _gsea(terms: list[str], seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"term": terms, "nes": rng.normal(size=len(terms)) * 1.5,
                         "pvalue": rng.uniform(0.001, 1, len(terms)),
                         "pvalue_one_sided": rng.uniform(0.001, 1, len(terms)),
                         "fdr": rng.uniform(0.01, 1, len(terms))})


def test_pathway_evidence_skips_a_modality_without_the_contrast():
    rna, protein = _pair()
    terms = [f"SET_{k}" for k in range(6)]
    rna.uns["gsea"] = {"a": _gsea(terms, 1)}
    protein.uns["gsea"] = {"a": _gsea(terms, 2), "b": _gsea(terms, 3)}
    mdata = omics.tl.build_mudata(rna, protein)

    table = omics.tl.pathway_evidence(mdata, contrast="b")
    expected = omics.tl.pathway_evidence({"protein": protein.uns["gsea"]["b"]})
    pd.testing.assert_frame_equal(table, expected)
    assert mdata.uns["pathway_evidence_params"]["b"]["modalities"] == ["protein"]
    both = omics.tl.pathway_evidence(mdata, contrast="a")
    assert mdata.uns["pathway_evidence_params"]["a"]["modalities"] == ["rna", "protein"]
    pd.testing.assert_frame_equal(both, omics.tl.pathway_evidence({"rna": rna.uns["gsea"]["a"],
                                                                   "protein": protein.uns["gsea"]["a"]}))
    with pytest.raises(InputError, match=r"no modality holds GSEA results of contrast 'c' in uns\['gsea'\] "
                                         r"\(rna: a; protein: a, b\)"):
        omics.tl.pathway_evidence(mdata, contrast="c")


def test_a_table_that_is_no_de_table_stops_before_a_figure():
    gsea = pd.DataFrame({"term": ["SET_A"], "nes": [1.2], "fdr": [0.01]})
    for name, call in (("volcano", omics.pl.volcano), ("ma", omics.pl.ma)):
        with pytest.raises(InputError, match=f"{name}: the table is no DESeq2/limma results table"):
            call(gsea)
    assert plt.get_fignums() == []
