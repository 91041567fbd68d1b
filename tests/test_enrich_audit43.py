"""h43 enrichment / integration audit: one test per finding (/tmp/notes/h43_enrich.md)."""

from __future__ import annotations

import logging
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest

import omics
from omics._errors import InputError

DEMO = Path(__file__).resolve().parents[1] / "metadata" / "demo"


def _messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records]


def _pair(n: int = 20, genes: int = 8, seed: int = 0) -> tuple[ad.AnnData, ad.AnnData]:
    rng = np.random.default_rng(seed)
    names = [f"G{i}" for i in range(genes)]
    samples = [f"S{i:02d}" for i in range(n)]
    base = rng.normal(size=(n, genes))
    rna = ad.AnnData(X=base + rng.normal(size=(n, genes)),
                     obs=pd.DataFrame(index=samples), var=pd.DataFrame({"gene_name": names}, index=names))
    rna.layers["vst"] = rna.X.copy()
    protein_values = base + rng.normal(size=(n, genes))
    protein_values[rng.random((n, genes)) < 0.3] = np.nan
    protein = ad.AnnData(X=protein_values, obs=pd.DataFrame(index=samples),
                         var=pd.DataFrame({"gene_name": names}, index=[f"P{i}" for i in range(genes)]))
    return rna, protein


# 1 ---------------------------------------------------------------------------------------------
def test_f1_correlation_leaves_imputed_protein_values_out():
    rna, protein = _pair()
    plain = omics.tl.mrna_protein_correlation(rna, protein)
    missing = np.isnan(protein.X)
    imputed = protein.copy()
    imputed.X = np.where(missing, np.random.default_rng(1).normal(-3, 0.3, missing.shape), protein.X)
    imputed.layers["imputed_mask"] = missing
    pd.testing.assert_frame_equal(omics.tl.mrna_protein_correlation(rna, imputed), plain)
    assert (plain["n_pairs"] < rna.n_obs).any()


# 2 ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["ulm", "ssgsea"])
def test_f2_ulm_ssgsea_score_every_sample_on_the_same_genes(method):
    rng = np.random.default_rng(0)
    genes = [f"G{i}" for i in range(300)]
    x = pd.DataFrame(rng.normal(size=(8, 300)), index=[f"S{i}" for i in range(8)], columns=genes)
    x.iloc[0, rng.choice(300, 100, replace=False)] = np.nan
    sets = {"A": genes[:40], "B": genes[100:160]}
    complete = x.columns[x.notna().all()]
    expected = omics.tl.sample_scores(x[complete], sets, method=method)
    got = omics.tl.sample_scores(x, sets, method=method)
    pd.testing.assert_frame_equal(got, expected)


def test_f2_no_set_left_on_the_complete_genes_stops():
    genes = [f"G{i}" for i in range(20)]
    x = pd.DataFrame(np.arange(60, dtype=float).reshape(3, 20), index=["a", "b", "c"], columns=genes)
    x.iloc[0, :10] = np.nan
    x.iloc[1, 10:] = np.nan
    with pytest.raises(InputError, match="observed in every sample"):
        omics.tl.sample_scores(x, {"A": genes}, method="ulm")


def test_f2_zmean_keeps_per_sample_genes():  # control: passes on the old code too
    genes = [f"G{i}" for i in range(20)]
    x = pd.DataFrame(np.random.default_rng(2).normal(size=(5, 20)), index=list("abcde"), columns=genes)
    x.iloc[0, :3] = np.nan
    assert omics.tl.sample_scores(x, {"A": genes[:8]}).notna().all().all()


# 3 ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("option", ["genesets", "background_genesets"])
def test_f3_same_set_name_in_two_files_stops(tmp_path, option):
    from omics.stages._common import gene_set_collections

    a, b = tmp_path / "a.gmt", tmp_path / "b.gmt"
    a.write_text("MY_SET\tx\tVEGFA\tKDR\n")
    b.write_text("MY_SET\tx\tIL6\tTNF\nOTHER\tx\tA\tB\n")
    files = f"{a},{b}"
    args = (files, "none") if option == "genesets" else (None, files)
    with pytest.raises(InputError) as error:
        gene_set_collections(*args)
    text = error.value.render()
    assert "MY_SET" in text and str(a) in text and str(b) in text and option in text


# 4, 9 ------------------------------------------------------------------------------------------
def _de(n: int = 60) -> pd.DataFrame:
    genes = [f"G{i:03d}" for i in range(n)]
    stat = np.linspace(4, -4, n)
    padj = np.where(np.abs(stat) > 3, 0.001, 0.5)
    return pd.DataFrame({"gene_name": genes, "baseMean": 100.0, "log2FoldChange": stat / 2,
                         "stat": stat, "pvalue": padj / 10, "padj": padj})


def test_f4_f9_size_filter_and_large_panel_sets_are_logged(caplog):
    de = _de()
    genes = list(de["gene_name"])
    panel = {"BIG_PANEL": genes[:40]}
    background = {"SMALL": genes[:3], "OK": genes[10:25], "TOO_BIG": genes[5:45]}
    with caplog.at_level(logging.INFO, logger="omics"):
        gsea, _ = omics.tl.enrichment(de, panel, background, permutations=100, min_size=5,
                                      max_size=30)
    assert set(gsea["term"]) == {"BIG_PANEL", "OK"}
    lines = _messages(caplog)
    assert any("2 of 4 gene sets tested (background: 1 of 3 with 5-30 ranked genes" in m
               and "panel: 1 of 1" in m for m in lines)
    assert any("BIG_PANEL (40)" in m and "max_size=30" in m for m in lines)
    assert not any("gsea_prerank: 2 of 2 gene sets" in m for m in lines)


def test_f4_max_size_help_says_panel_sets_are_exempt():
    from omics.params import BY_NAME

    assert "panel sets" in BY_NAME["gsea_max_size"].help and "no upper bound" in BY_NAME["gsea_max_size"].help


# 5 ---------------------------------------------------------------------------------------------
def _check(tmp_path: Path, gmt_text: str, **files: str) -> None:
    from omics.params import resolve
    from omics.stages._validate import check_inputs

    gmt = tmp_path / "panel.gmt"
    gmt.write_text(gmt_text)
    params = resolve({"genesets": str(gmt)})
    check_inputs(input=DEMO / "samplesheet.csv", contrasts=DEMO / "contrasts.yaml", params=params,
                 **files)


def test_f5_panel_in_other_letter_case_stops_before_anything_runs(tmp_path):
    with pytest.raises(InputError) as error:
        _check(tmp_path, "S1\tx\tvegfa\tkdr\tflt1\tangpt2\ttek\n",
               rna_counts=DEMO / "salmon.merged.gene_counts.tsv.gz")
    text = error.value.render()
    assert "panel.gmt" in text and "case-insensitive" in text and "'angpt2' / 'ANGPT2'" in text


def test_f5_panel_of_unknown_symbols_stops(tmp_path):
    with pytest.raises(InputError) as error:
        _check(tmp_path, "S1\tx\tNOPE1\tNOPE2\n", rna_counts=DEMO / "salmon.merged.gene_counts.tsv.gz")
    assert "panel.gmt" in error.value.render() and "case-insensitive" not in error.value.render()


def test_f5_panel_matching_one_modality_only_warns(tmp_path, caplog):
    rna = omics.io.read_rna_counts(DEMO / "salmon.merged.gene_counts.tsv.gz")
    protein = omics.io.read_protein_matrix(DEMO / "proteinGroups.txt.gz", fmt="maxquant")
    protein_symbols = set(protein.var["gene_name"])
    only_rna = sorted(set(rna.var["gene_name"]) - protein_symbols)[:6]
    with caplog.at_level(logging.WARNING, logger="omics"):
        _check(tmp_path, "S1\tx\t" + "\t".join(only_rna) + "\n",
               rna_counts=DEMO / "salmon.merged.gene_counts.tsv.gz",
               protein_matrix=DEMO / "proteinGroups.txt.gz")
    assert any("proteinGroups.txt.gz" in m and "no gene of the gene-set panel" in m
               for m in _messages(caplog))


# 6 ---------------------------------------------------------------------------------------------
def test_f6_ora_with_panel_and_background_stops():
    de = _de()
    genes = list(de["gene_name"])
    with pytest.raises(InputError, match="enrichment"):
        omics.tl.ora(de, {"P": genes[:20]}, {"B": genes[20:40]})


# 7 ---------------------------------------------------------------------------------------------
def test_f7_samples_left_out_are_logged_with_the_case_hint(caplog):
    rna, protein = _pair()
    protein = protein[2:].copy()
    protein.obs_names = [s.lower() if i < 3 else s for i, s in enumerate(protein.obs_names)]
    with caplog.at_level(logging.WARNING, logger="omics"):
        omics.tl.build_mudata(rna, protein)
        omics.tl.mrna_protein_correlation(rna, protein)
    lines = _messages(caplog)
    for caller in ("build_mudata", "mrna_protein_correlation"):
        rna_line = [m for m in lines if m.startswith(caller) and "5 of the 20 rna samples" in m]
        assert rna_line and "letter case" in rna_line[0] and "'S02' / 's02'" in rna_line[0]
        assert any(m.startswith(caller) and "3 of the 18 protein samples" in m for m in lines)


# 8 ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("columns, needle", [
    (["gene_id", "baseMean", "log2FoldChange", "stat", "pvalue", "padj"], "'gene_name'"),
    (["feature_id", "gene_name", "logFC", "P.Value", "adj.P.Val"], "'t' (limma)"),
])
def test_f8_enrich_table_without_a_column_names_file_and_column(tmp_path, columns, needle):
    from omics.params import resolve
    from omics.stages._enrich import enrich

    path = tmp_path / "c1.rna.deseq2.results.tsv"
    pd.DataFrame([["X1"] + [1.0] * (len(columns) - 1)], columns=columns).to_csv(path, sep="\t",
                                                                                 index=False)
    with pytest.raises(InputError) as error:
        enrich(de_results=path, outdir=tmp_path / "out", params=resolve({}))
    assert error.value.path == str(path) and needle in error.value.render()
    assert not (tmp_path / "out").exists()


# 10 --------------------------------------------------------------------------------------------
def test_f10_set_with_every_ranked_gene_is_named(caplog):
    ranking = pd.Series(np.linspace(3, -3, 12), index=[f"T{i}" for i in range(12)])
    sets = {"ALL_TARGETS": list(ranking.index), "HALF": list(ranking.index[:6])}
    with caplog.at_level(logging.WARNING, logger="omics"):
        table = omics.tl.gsea_prerank(ranking, sets, permutations=100, min_size=1)
    assert list(table["term"]) == ["HALF"]
    assert any("ALL_TARGETS" in m and "every one of the 12 ranked genes" in m for m in _messages(caplog))


# 11 --------------------------------------------------------------------------------------------
def test_f11_missing_sample_message_says_how_to_leave_a_patient_out():
    adata = ad.AnnData(X=np.zeros((2, 1)), obs=pd.DataFrame(index=["A", "B"]))
    sheet = pd.DataFrame({"arm": ["x", "y", "z"]}, index=["A", "B", "C"])
    with pytest.raises(InputError) as error:
        omics.io.match_samples(adata, sheet)
    text = str(error.value)
    assert "every matrix" in text and "remove its row from the sample sheet" in text


# 12 --------------------------------------------------------------------------------------------
def test_f12_gmt_without_description_column_warns(tmp_path, caplog):
    path = tmp_path / "nodesc.gmt"
    path.write_text("A\tVEGFA\tKDR\tFLT1\nB\tKDR\tVEGFA\tTEK\nC\tFLT1\tKDR\tANGPT2\n")
    with caplog.at_level(logging.WARNING, logger="omics"):
        omics.io.read_gmt(path)
    assert any("nodesc.gmt" in m and "description" in m for m in _messages(caplog))


def test_f12_gmt_with_descriptions_does_not_warn(tmp_path, caplog):  # control: passes on old code
    path = tmp_path / "desc.gmt"
    path.write_text("A\thttp://x/A\tVEGFA\tKDR\nB\tangiogenesis\tKDR\tTEK\n")
    with caplog.at_level(logging.WARNING, logger="omics"):
        omics.io.read_gmt(path)
    assert not caplog.records


def test_f12_ora_counts_a_gene_of_two_protein_groups_once():
    table = pd.DataFrame({"gene_name": ["VEGFA", "VEGFA", "KDR"], "logFC": [1.0, -1.0, 0.5],
                          "t": [5.0, -6.0, 2.0], "P.Value": [1e-5, 1e-6, 0.01],
                          "adj.P.Val": [0.001, 0.0005, 0.02]}, index=["P15692", "P15692-2", "P35968"])
    up, down, background = omics.tl.significant_genes(table, "protein", fdr=0.05)
    assert up == ["KDR"] and down == ["VEGFA"] and background == ["KDR", "VEGFA"]


def test_f12_ora_docstring_universe_is_features_with_adjusted_p():
    assert "every feature\n        with an adjusted p-value" in omics.tl.ora.__doc__ or \
        "with an adjusted p-value (the tested universe" in omics.tl.ora.__doc__


@pytest.mark.slow
def test_f5_panel_with_too_few_matrix_genes_still_runs_to_the_end(tmp_path):
    """Control (passes on the old code too): one panel gene in the matrix, below gsea_min_size."""
    from helpers import run_omics
    from test_hostile_inputs import args_for, make_tiny_cohort

    tiny = make_tiny_cohort(tmp_path / "tiny")
    small = tmp_path / "small.tsv"
    lines = tiny["rna_counts"].read_text().splitlines()
    small.write_text("\n".join(lines[:13]) + "\n")
    symbol = lines[1].split("\t")[1]
    gmt = tmp_path / "sets.gmt"
    gmt.write_text(f"A\td\t{symbol}\tNOPE2\n")
    outdir = tmp_path / "results"
    result = run_omics(*args_for({**tiny, "rna_counts": small}, outdir), "--genesets", str(gmt))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "no gene set has >= 10 of the" in result.stderr
    assert (outdir / "enrichment" / "resp.rna.gsea.tsv").is_file()
