"""Audit h47 (integration layer), findings 1 to 9, fixed in round h47.

1. ``pathway_evidence``: a one-sided permutation p of 1 gave z = -inf (Stouffer p 0, FDR 0,
   direction flipped); it is now clipped to ``[1/(B+1), B/(B+1)]``, and stops without B.
2. ``omics integrate``: two DE tables of one contrast and modality stop (the answer
   depended on the order of ``--de_results``).
3. ``omics integrate``: a DE table without ``gene_name`` stops (gave an empty concordance).
4. ``omics integrate --gsea_permutations`` exists (the stage read a default it did not expose).
5. A term repeated in a GSEA table stops, in the stage (exit 2, nothing written) and in
   ``tl.pathway_evidence`` (InputError, not pandas' InvalidIndexError).
6. ``tl.score_phenotype_correlation`` / ``tl.flow_score_correlation``: no shared sample id
   raises, some left out warns (as ``mrna_protein_correlation``).
7. ``omics integrate`` warns about contrasts given with one of RNA/protein only.
8. a) a NaN log2FC row is left out of the concordance; b) a set with NES 0 and no p-value
   is not counted in the joint evidence.
9. The report's correlation note says imputed values count as missing.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from helpers import TEST_COHORT, assert_input_error, run_omics, stage_test_cohort
from helpers import run_omics_ok as _ok
from omics._errors import InputError
from omics.tl import _integrate as integ

C = TEST_COHORT
CONTRAST = "response_in_bmmnc"
RNA_DE = f"differential/{CONTRAST}.rna.deseq2.results.tsv"
PROTEIN_DE = f"differential/{CONTRAST}.protein.limma.results.tsv"


def _gsea(terms, nes, one_sided, pvalue=None) -> pd.DataFrame:
    one_sided = np.asarray(one_sided, dtype=float)
    return pd.DataFrame({"term": terms, "nes": nes,
                         "pvalue": one_sided if pvalue is None else pvalue,
                         "fdr": 0.5, "pvalue_one_sided": one_sided})


# -- 1: a one-sided p of 1 ---------------------------------------------------------------------

def test_f1_one_sided_p_of_1_is_bounded_symmetrically() -> None:
    b = 1000
    rna = _gsea(["WEAK", "STRONG"], [0.35, 2.0], [1.0, 0.001])
    protein = _gsea(["WEAK", "STRONG"], [0.5, 2.0], [0.3, 0.001])
    table = integ.pathway_evidence({"rna": rna, "protein": protein}, permutations=b).set_index("term")
    floor_z = stats.norm.isf(1 / (b + 1))
    assert np.isfinite(table["rna_z"]).all()
    assert table.loc["WEAK", "rna_z"] == pytest.approx(-floor_z)  # mirror of the floor
    expected = (-floor_z + stats.norm.isf(0.3)) / np.sqrt(2)
    assert table.loc["WEAK", "stouffer_z"] == pytest.approx(expected)
    assert table.loc["WEAK", "stouffer_pvalue"] == pytest.approx(2 * stats.norm.sf(abs(expected)))
    assert table.index[0] == "STRONG"  # WEAK no longer ranks first


def test_f1_one_sided_p_of_1_without_permutations_stops() -> None:
    rna = _gsea(["WEAK", "OTHER"], [0.35, 1.0], [1.0, 0.2])
    with pytest.raises(InputError, match=r"'WEAK'.*pass permutations"):
        integ.pathway_evidence({"rna": rna})


def test_f1_control_p_inside_0_1_unchanged_without_permutations() -> None:
    """Control (passes on old and new code): p strictly inside (0, 1) is taken as given."""
    rna = _gsea(["A", "B"], [1.2, -0.8], [0.02, 0.4])
    table = integ.pathway_evidence({"rna": rna}).set_index("term")
    assert table.loc["A", "rna_z"] == pytest.approx(stats.norm.isf(0.02))
    assert table.loc["B", "rna_z"] == pytest.approx(-stats.norm.isf(0.4))


# -- 5 (API): a repeated term -------------------------------------------------------------------

def test_f5_repeated_term_raises_input_error_naming_it() -> None:
    protein = _gsea(["T1", "T1", "T2"], [1.0, 1.1, 0.5], [0.01, 0.02, 0.3])
    rna = _gsea(["T1", "T2"], [1.0, 0.5], [0.01, 0.3])
    with pytest.raises(InputError, match=r"'protein' GSEA table has term 'T1' more than once"):
        integ.pathway_evidence({"rna": rna, "protein": protein})


# -- 6: no shared sample id ---------------------------------------------------------------------

def _scores() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(rng.normal(size=(8, 2)), index=[str(i) for i in range(1, 9)], columns=["a", "b"])


def test_f6_phenotype_no_shared_id_raises() -> None:
    from omics.tl import score_phenotype_correlation

    potency = pd.Series(np.arange(8.0), index=range(1, 9), name="potency")  # integer ids
    with pytest.raises(InputError, match=r"no sample id in common.*'1'.*phenotype: 1, 2"):
        score_phenotype_correlation(_scores(), potency)


def test_f6_phenotype_partial_overlap_warns(caplog: pytest.LogCaptureFixture) -> None:
    from omics.tl import score_phenotype_correlation

    potency = pd.Series(np.arange(8.0), index=[str(i) for i in range(3, 11)], name="potency")
    with caplog.at_level("WARNING", logger="omics"):
        table = score_phenotype_correlation(_scores(), potency)
    assert (table["n"] == 6).all()
    assert "score_phenotype_correlation: 2 of the 8 scores samples" in caplog.text
    assert "'1', '2'" in caplog.text


def test_f6_flow_no_shared_id_raises() -> None:
    from omics.tl import flow_score_correlation

    rng = np.random.default_rng(1)
    flow = pd.DataFrame(rng.normal(size=(8, 1)), index=[f"BALI{i:03d}" for i in range(1, 9)],
                        columns=["CD34"])
    long = pd.DataFrame({"sample": [f"bali{i:03d}" for i in range(1, 9)], "modality": "rna",
                         "term": "T", "score": rng.normal(size=8)})
    with pytest.raises(InputError, match=r"flow_score_correlation: the flow and scores samples have "
                                         r"no sample id in common.*'BALI001'.*'bali001'"):
        flow_score_correlation(flow, long)


def test_f6_flow_partial_overlap_warns(caplog: pytest.LogCaptureFixture) -> None:
    from omics.tl import flow_score_correlation

    rng = np.random.default_rng(2)
    flow = pd.DataFrame(rng.normal(size=(8, 1)), index=[f"BALI{i:03d}" for i in range(1, 9)],
                        columns=["CD34"])
    ids = [f"BALI{i:03d}" for i in range(1, 8)] + ["bali008"]
    long = pd.DataFrame({"sample": ids, "modality": "rna", "term": "T", "score": rng.normal(size=8)})
    with caplog.at_level("WARNING", logger="omics"):
        table = flow_score_correlation(flow, long)
    assert table["n"].tolist() == [7]
    assert "1 of the 8 flow samples" in caplog.text and "in letter case" in caplog.text


# -- 8: NaN edge cases --------------------------------------------------------------------------

def _de(lfc, stat, padj, genes=("A", "B", "C", "D", "E", "F")) -> pd.DataFrame:
    return pd.DataFrame({"gene_name": list(genes), "log2FoldChange": lfc, "stat": stat, "padj": padj})


def test_f8a_nan_log2fc_is_left_out_of_the_concordance() -> None:
    rna = _de([1.0, -1.0, 2.0, 0.5, -0.3, np.nan], [3.0, -3.0, 4.0, 1.0, -1.0, 2.0],
              [0.01, 0.01, 0.01, 0.5, 0.5, 0.01])
    protein = pd.DataFrame({"gene_name": list("ABCDEF"), "logFC": [0.8, -0.5, -1.0, 0.2, -0.1, 0.3],
                            "t": [2.0, -2.0, -3.0, 1.0, -1.0, 2.0],
                            "adj.P.Val": [0.01, 0.01, 0.01, 0.5, 0.5, 0.01]})
    joined, summary = integ.fold_change_concordance(rna, protein)
    assert "F" not in set(joined["gene_name"])
    assert summary["n_genes"] == 5
    assert summary["sign_agreement"] == pytest.approx(4 / 5)
    assert summary["spearman_log2fc"] == pytest.approx(
        stats.spearmanr([1.0, -1.0, 2.0, 0.5, -0.3], [0.8, -0.5, -1.0, 0.2, -0.1])[0])


def test_f8b_nes_0_with_missing_p_is_not_counted() -> None:
    rna = _gsea(["T3", "T1"], [0.0, 1.5], [np.nan, 0.01])
    protein = _gsea(["T3", "T1"], [1.2, 1.0], [0.01, 0.05])
    table = integ.pathway_evidence({"rna": rna, "protein": protein}, permutations=1000).set_index("term")
    assert table.loc["T3", "n_modalities"] == 1
    assert np.isnan(table.loc["T3", "rna_z"])
    assert table.loc["T3", "stouffer_z"] == pytest.approx(stats.norm.isf(0.01))


def test_f8b_control_nes_0_with_p_counts_as_0() -> None:
    """Control (passes on old and new code): a tested set with NES 0 is z = 0 and counted."""
    rna = _gsea(["T3", "T1"], [0.0, 1.5], [0.7, 0.01])
    protein = _gsea(["T3", "T1"], [1.2, 1.0], [0.01, 0.05])
    table = integ.pathway_evidence({"rna": rna, "protein": protein}, permutations=1000).set_index("term")
    assert table.loc["T3", "n_modalities"] == 2 and table.loc["T3", "rna_z"] == 0.0


# -- 9: the report note -------------------------------------------------------------------------

def test_f9_correlation_note_says_imputed_values_count_as_missing() -> None:
    from omics.report._sections import _correlation_note

    note = _correlation_note(SimpleNamespace(params={}))  # the report's context: its parameters
    assert "imputed values included" not in note and "imputed values counting as missing" in note


# -- 2, 3, 4, 5, 7: the stage -------------------------------------------------------------------

@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Stage commands into one folder: validate, RNA and protein prep and DE of one contrast."""
    return stage_test_cohort(tmp_path_factory.mktemp("audit47") / "staged", CONTRAST)


def _integrate(staged: Path, out: Path, de: list[Path], gsea: list[Path] | None = None,
               *extra: str):
    args = ["integrate", "--rna_h5ad", str(staged / "rna/rna.h5ad"),
            "--protein_h5ad", str(staged / "protein/protein.h5ad"),
            "--de_results", *map(str, de), "--outdir", str(out), "--n_cpus", "1", *extra]
    if gsea:
        args += ["--gsea_results", *map(str, gsea)]
    return run_omics(*args)


def _write_gsea(path: Path, table: pd.DataFrame) -> Path:
    table.to_csv(path, sep="\t", index=False)
    return path


def test_f2_two_de_tables_of_one_contrast_and_modality_stop(staged: Path, tmp_path: Path) -> None:
    limma_named = tmp_path / f"{CONTRAST}.rna.limma.results.tsv"
    shutil.copy(staged / RNA_DE, limma_named)
    out = tmp_path / "o"
    line = assert_input_error(_integrate(staged, out, [staged / RNA_DE, limma_named,
                                                       staged / PROTEIN_DE]), out)
    assert CONTRAST in line and "'rna'" in line
    assert str(staged / RNA_DE) in line and str(limma_named) in line


def test_f3_de_table_without_gene_name_stops(staged: Path, tmp_path: Path) -> None:
    protein = tmp_path / f"{CONTRAST}.protein.limma.results.tsv"
    pd.read_csv(staged / PROTEIN_DE, sep="\t").drop(columns="gene_name").to_csv(protein, sep="\t",
                                                                                  index=False)
    out = tmp_path / "o"
    line = assert_input_error(_integrate(staged, out, [staged / RNA_DE, protein]), out)
    assert str(protein) in line and "'gene_name'" in line


def test_f4_gsea_permutations_option_bounds_the_z(staged: Path, tmp_path: Path) -> None:
    gsea = _write_gsea(tmp_path / f"{CONTRAST}.rna.gsea.tsv",
                       _gsea(["WEAK", "ZERO", "MID"], [0.4, 1.5, -1.0], [1.0, 0.0, 20 / 101]))
    out = tmp_path / "o"
    done = _integrate(staged, out, [staged / RNA_DE, staged / PROTEIN_DE], [gsea],
                      "--gsea_permutations", "100")
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(out / "integration/pathway_evidence.tsv", sep="\t").set_index("term")
    z = stats.norm.isf(1 / 101)
    assert table.loc["WEAK", "rna_z"] == pytest.approx(-z)
    assert table.loc["ZERO", "rna_z"] == pytest.approx(z)
    assert table.loc["MID", "rna_z"] == pytest.approx(-stats.norm.isf(20 / 101))
    modules = (Path(__file__).parents[1] / "pipelines/conf/modules.config").read_text()
    block = modules[modules.index("withName: 'OMICS_INTEGRATE'"):]
    assert "--gsea_permutations" in block[:block.index("withName", 10)]


def test_f5_repeated_gsea_term_stops_before_writing(staged: Path, tmp_path: Path) -> None:
    gsea = _write_gsea(tmp_path / f"{CONTRAST}.rna.gsea.tsv",
                       _gsea(["T1", "T2", "T1"], [1.0, 0.5, 1.1], [0.01, 0.3, 0.02]))
    out = tmp_path / "o"
    line = assert_input_error(_integrate(staged, out, [staged / RNA_DE, staged / PROTEIN_DE], [gsea]),
                              out)
    assert str(gsea) in line and "'T1'" in line


def test_f7_contrast_with_one_modality_only_warns(staged: Path, tmp_path: Path) -> None:
    lone = tmp_path / "other_contrast.rna.deseq2.results.tsv"
    shutil.copy(staged / RNA_DE, lone)
    out = tmp_path / "o"
    stderr = _ok("integrate", "--rna_h5ad", str(staged / "rna/rna.h5ad"),
                 "--protein_h5ad", str(staged / "protein/protein.h5ad"), "--de_results",
                 str(staged / RNA_DE), str(staged / PROTEIN_DE), str(lone), "--outdir", str(out),
                 "--n_cpus", "1")
    warnings = [line for line in stderr.splitlines() if "warning:" in line]
    assert len(warnings) == 1, stderr
    assert "other_contrast: rna only" in warnings[0] and "concordance.tsv" in warnings[0]
    summary = pd.read_csv(out / "integration/concordance_summary.tsv", sep="\t")
    assert summary["contrast"].tolist() == [CONTRAST]


def test_f1_mudata_takes_the_permutations_gsea_prerank_recorded() -> None:
    import anndata as ad
    import mudata as md

    from omics.tl import pathway_evidence

    table = _gsea(["WEAK", "S"], [0.4, 1.0], [1.0, 0.01])
    modalities = {}
    for name in ("rna", "protein"):
        adata = ad.AnnData(np.zeros((3, 2)), obs=pd.DataFrame(index=list("abc")),
                           var=pd.DataFrame(index=["g1", "g2"]))
        adata.uns["gsea"] = {"c1": table.copy()}
        adata.uns["gsea_params"] = {"c1": {"permutations": 100}}
        modalities[name] = adata
    with md.set_options(pull_on_update=True):
        mdata = md.MuData(modalities)
    result = pathway_evidence(mdata).set_index("term")
    assert result.loc["WEAK", "rna_z"] == pytest.approx(-stats.norm.isf(1 / 101))
    assert mdata.uns["pathway_evidence_params"]["c1"]["permutations"] == 100


# -- review h47: B must be the table's; sample ids that look like numbers ----------------------

def test_review_gsea_table_of_another_b_stops_before_writing(staged: Path, tmp_path: Path) -> None:
    """A table of 100 permutations (p = (k + 1) / 101) with a p of 1, given with the default
    B of 1000: its p of 1 would be bounded at 1000/1001, not 100/101; it stops instead."""
    gsea = _write_gsea(tmp_path / f"{CONTRAST}.rna.gsea.tsv",
                       _gsea(["WEAK", "MID"], [0.4, -1.0], [1.0, 20 / 101]))
    out = tmp_path / "o"
    line = assert_input_error(_integrate(staged, out, [staged / RNA_DE, staged / PROTEIN_DE], [gsea]),
                              out)
    assert str(gsea) in line and "--gsea_permutations" in line and "1/1001" in line


def test_review_control_table_without_p_of_0_or_1_needs_no_b(staged: Path, tmp_path: Path) -> None:
    """Control: B is not used for p strictly inside (0, 1), so such a table of any B is taken."""
    gsea = _write_gsea(tmp_path / f"{CONTRAST}.rna.gsea.tsv",
                       _gsea(["A", "MID"], [0.4, -1.0], [0.5, 20 / 101]))
    out = tmp_path / "o"
    done = _integrate(staged, out, [staged / RNA_DE, staged / PROTEIN_DE], [gsea])
    assert done.returncode == 0, done.stderr


def test_review_numeric_looking_sample_ids_are_read_as_text(tmp_path: Path) -> None:
    """The scores table's ids (``001``) are compared with the flow file's as written."""
    import anndata as ad

    from omics.stages._integrate import _check_score_samples

    ids = ["001", "002", "003"]
    flow = tmp_path / "flow.h5ad"
    ad.AnnData(np.ones((3, 1)), obs=pd.DataFrame(index=ids)).write_h5ad(flow)
    scores = tmp_path / "scores.tsv"
    pd.DataFrame({"sample": ids, "modality": "rna", "term": "T", "score": [0.1, 0.2, 0.3]}).to_csv(
        scores, sep="\t", index=False)
    _check_score_samples(flow, scores)  # shared ids: no stop (001 was read as 1 before)
    other = tmp_path / "other.tsv"
    pd.DataFrame({"sample": ["x1", "x2"], "modality": "rna", "term": "T", "score": [0.1, 0.2]}).to_csv(
        other, sep="\t", index=False)
    with pytest.raises(InputError, match=r"no sample id in common with .*flow_h5ad"):
        _check_score_samples(flow, other)


@pytest.mark.parametrize("missing", ["NA", "N/A", "null", "#N/A", ""])
def test_review2_missing_scores_of_any_spelling_are_missing(tmp_path: Path, missing: str) -> None:
    """Review2 h47: every missing-value spelling pandas reads is a missing score (N/A gave exit 1)."""
    from omics.stages._integrate import _read_scores

    path = tmp_path / "scores.tsv"
    path.write_text(f"sample\tmodality\tterm\tscore\n001\trna\tT\t{missing}\n002\trna\tT\t0.5\n")
    table = _read_scores(path)
    assert table["sample"].tolist() == ["001", "002"]
    assert table["score"].isna().tolist() == [True, False]


def test_review2_a_score_that_is_text_stops_naming_the_row(tmp_path: Path) -> None:
    import anndata as ad

    from omics.stages._integrate import _check_score_samples

    flow = tmp_path / "flow.h5ad"
    ad.AnnData(np.ones((2, 1)), obs=pd.DataFrame(index=["001", "002"])).write_h5ad(flow)
    scores = tmp_path / "scores.tsv"
    scores.write_text("sample\tmodality\tterm\tscore\n001\trna\tT\t0.1\n002\trna\tT\thigh\n")
    with pytest.raises(InputError, match=r"row 3, column 'score': 'high' is not a number"):
        _check_score_samples(flow, scores)
