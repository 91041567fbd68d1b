"""Protein path: findings 1-7 of the audit h43 (double log2, unknown-response groups, zeros
in log2 input, minprob order, re-coded MaxQuant flags, a failed sample, report Methods),
and finding 3 of the h43 review (a '+' flag column flags its '+' rows only).

Tests named ``..._control`` check behaviour that already held and must keep holding.
"""

from __future__ import annotations

import html
import logging
import re
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from helpers import REPO, TEST_COHORT
from omics._errors import InputError
from omics.io import read_maxquant, read_protein_matrix
from omics.pp import contrast_groups, filter_valid_values, impute, log2_transform

DATA = REPO / "tests" / "data" / "protein"


def _maxquant(path: Path, values: np.ndarray, *, flags: dict[str, list[str]] | None = None,
              missing: str = "NaN") -> Path:
    """A proteinGroups.txt with ``LFQ intensity S<j>`` columns holding ``values`` (proteins x samples)."""
    n_proteins, n_samples = values.shape
    table = pd.DataFrame({"Protein IDs": [f"P{i:05d}" for i in range(n_proteins)],
                          "Gene names": [f"G{i}" for i in range(n_proteins)]})
    for j in range(n_samples):
        table[f"LFQ intensity S{j}"] = [missing if np.isnan(v) else repr(float(v))
                                        for v in values[:, j]]
    for column, cells in (flags or {}).items():
        table[column] = cells
    table.to_csv(path, sep="\t", index=False)
    return path


def _log2_values(n_proteins: int = 30, n_samples: int = 4, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.round(rng.normal(25.0, 2.0, (n_proteins, n_samples)), 4)


# --------------------------------------------------------------------------------------
# 1: a log2 (Perseus) MaxQuant table; --protein_is_log2 with maxquant / diann
# --------------------------------------------------------------------------------------


def test_log2_maxquant_table_read_as_linear_stops_naming_the_fix(tmp_path):
    path = _maxquant(tmp_path / "proteinGroups.txt", _log2_values())
    with pytest.raises(InputError, match=r"looks log2-transformed already.*protein_is_log2") as info:
        read_protein_matrix(path, fmt="maxquant")
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_maxquant_honours_protein_is_log2(tmp_path):
    values = _log2_values()
    values[0, 1] = np.nan
    path = _maxquant(tmp_path / "proteinGroups.txt", values)
    adata = read_protein_matrix(path, fmt="maxquant", is_log2=True)
    assert adata.uns["protein_input"]["is_log2"] is True
    np.testing.assert_array_equal(adata.X, values.T)
    log2_transform(adata)  # log2 input is not transformed again
    np.testing.assert_array_equal(adata.X, values.T)


def test_diann_with_protein_is_log2_stops_rather_than_ignoring_it():
    with pytest.raises(InputError, match="applies to .*tsv and maxquant"):
        read_protein_matrix(DATA / "report.pg_matrix.tsv", fmt="diann", is_log2=True)


def test_log2_diann_matrix_stops(tmp_path):
    source = pd.read_csv(DATA / "report.pg_matrix.tsv", sep="\t", dtype=str)
    runs = [c for c in source.columns if "/" in c or "\\" in c]
    rng = np.random.default_rng(1)
    for c in runs:
        source[c] = [f"{v:.4f}" for v in rng.normal(24, 2, len(source))]
    source = pd.concat([source] * 3, ignore_index=True)
    source["Protein.Group"] = [f"P{i}" for i in range(len(source))]
    path = tmp_path / "report.pg_matrix.tsv"
    source.to_csv(path, sep="\t", index=False)
    with pytest.raises(InputError, match="DIA-NN's pg_matrix holds linear intensities"):
        read_protein_matrix(path, fmt="diann")


def test_linear_maxquant_and_small_whole_number_tables_read_as_before_control(tmp_path):
    adata = read_protein_matrix(DATA / "proteinGroups.txt", fmt="maxquant")
    assert adata.uns["protein_input"]["is_log2"] is False
    toy = _maxquant(tmp_path / "toy.txt", np.arange(10.0, 40.0).reshape(10, 3))
    assert read_maxquant(toy).uns["protein_input"]["is_log2"] is False


# --------------------------------------------------------------------------------------
# 2: a sample with an unknown response is in no valid-value group
# --------------------------------------------------------------------------------------


def _grouped() -> tuple[ad.AnnData, list]:
    from omics.io._contrasts import Contrast

    samples = [f"s{i}" for i in range(7)]
    obs = pd.DataFrame({"response": ["r", "r", "r", "n", "n", "n", np.nan]},
                       index=pd.Index(samples, name="sample"))
    x = np.full((7, 2), 20.0)
    # protein B: observed in 2 of 3 of each compared group (67% < 70%) and in the unknown one
    x[[0, 3], 1] = np.nan
    adata = ad.AnnData(X=x, obs=obs, var=pd.DataFrame(index=pd.Index(["A", "B"], name="protein_id")))
    adata.uns["protein_input"] = {"format": "tsv", "is_log2": True}
    contrast = Contrast(id="resp", variable="response", reference="n", target="r")
    return adata, [contrast]


def test_unknown_response_forms_no_group_of_its_own():
    adata, contrasts = _grouped()
    groups = contrast_groups(adata.obs, contrasts)
    assert groups.isna().tolist() == [False] * 6 + [True]
    filter_valid_values(adata, groups, min_fraction=0.7)
    assert adata.var_names.tolist() == ["A"]
    assert adata.uns["protein_preprocessing"]["filter_valid_values"]["needed_per_group"] == {
        "r": 3, "n": 3}


def test_user_given_empty_labels_still_stop_control():
    adata, _ = _grouped()
    with pytest.raises(InputError, match="empty group for sample"):
        filter_valid_values(adata, adata.obs["response"], min_fraction=0.7)


# --------------------------------------------------------------------------------------
# 3: zeros in log2 MS input are missing-value placeholders
# --------------------------------------------------------------------------------------


def _wide(path: Path, values: np.ndarray) -> Path:
    table = pd.DataFrame(values, columns=[f"S{j}" for j in range(values.shape[1])])
    table.insert(0, "protein", [f"P{i}" for i in range(values.shape[0])])
    table.to_csv(path, sep="\t", index=False, na_rep="NA")
    return path


def test_zeros_in_log2_ms_input_are_read_as_missing_with_a_warning(tmp_path, caplog):
    values = _log2_values(20, 4)
    values[:5, 0] = 0.0
    path = _wide(tmp_path / "proteus.tsv", values)
    for reader in (lambda: read_protein_matrix(path, fmt="proteus"),
                   lambda: read_protein_matrix(path, fmt="tsv", is_log2=True)):
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="omics"):
            adata = reader()
        assert int(np.isnan(adata.X).sum()) == 5
        assert adata.uns["protein_input"]["zeros_to_nan"] == 5
        assert any("proteus.tsv" in r.getMessage() and "5 of 80" in r.getMessage()
                   for r in caplog.records)


def test_zeros_in_npx_like_log2_data_are_kept_control(tmp_path):
    values = np.round(np.random.default_rng(2).normal(2.0, 1.5, (20, 4)), 3)
    values[:5, 0] = 0.0
    adata = read_protein_matrix(_wide(tmp_path / "npx.tsv", values), fmt="tsv", is_log2=True)
    assert int((adata.X == 0).sum()) == 5 and not np.isnan(adata.X).any()


# --------------------------------------------------------------------------------------
# 4: minprob draws do not depend on the order of samples or proteins
# --------------------------------------------------------------------------------------


def test_minprob_values_do_not_depend_on_sample_or_protein_order():
    rng = np.random.default_rng(3)
    x = rng.normal(25, 2, (8, 40))
    x[rng.random(x.shape) < 0.2] = np.nan
    adata = ad.AnnData(X=x, obs=pd.DataFrame(index=[f"s{i}" for i in range(8)]),
                       var=pd.DataFrame(index=[f"p{j:02d}" for j in range(40)]))
    adata.uns["protein_input"] = {"format": "tsv", "is_log2": True}
    shuffled = adata[::-1, ::-1].copy()
    impute(adata, "minprob", seed=1)
    impute(shuffled, "minprob", seed=1)
    pd.testing.assert_frame_equal(adata.to_df(), shuffled.to_df().loc[adata.obs_names, adata.var_names])
    again = ad.AnnData(X=x.copy(), obs=adata.obs[[]], var=adata.var[[]])
    again.uns["protein_input"] = {"format": "tsv", "is_log2": True}
    impute(again, "minprob", seed=2)
    assert not np.allclose(again.X, adata.X)  # the seed still matters


# --------------------------------------------------------------------------------------
# 5: re-coded MaxQuant flag columns
# --------------------------------------------------------------------------------------


def test_recoded_flags_remove_site_only_rows_and_log_the_values(tmp_path, caplog):
    values = np.full((8, 2), 1e6) + np.arange(16).reshape(8, 2)
    site = ["TRUE", "x", "1", "-", "FALSE", "0", "no", ""]
    path = _maxquant(tmp_path / "proteinGroups.txt", values,
                     flags={"Only identified by site": site, "Reverse": [""] * 8,
                            "Potential contaminant": ["+"] + [""] * 7})
    with caplog.at_level(logging.INFO, logger="omics"):
        adata = read_maxquant(path)
    assert adata.uns["protein_input"]["removed"]["only_by_site"] == 3
    assert adata.uns["protein_input"]["removed"]["contaminant"] == 1
    assert adata.var_names.tolist() == ["P00003", "P00004", "P00005", "P00006", "P00007"]
    assert any("'Only identified by site'" in r.getMessage() and "'TRUE'" in r.getMessage()
               for r in caplog.records)


# review h43 #3: a '+' column flags its '+' rows only; a re-coded column flagging most rows stops
def _flag_table(tmp_path: Path, others: str, *, plus: int = 2, n: int = 8) -> Path:
    """Eight protein groups; every flag column holds '+' in its first ``plus`` rows and
    ``others`` elsewhere (a table re-written by R or pandas: 'NA', 'nan', 'N', ...)."""
    values = np.full((n, 2), 1e6) + np.arange(2 * n).reshape(n, 2)
    cells = ["+"] * plus + [others] * (n - plus)
    return _maxquant(tmp_path / "proteinGroups.txt", values,
                     flags={"Reverse": cells, "Potential contaminant": cells,
                            "Only identified by site": cells})


@pytest.mark.parametrize("others", ["nan", "N", "F", ".", "none", "?"])
def test_plus_column_flags_only_its_plus_rows(tmp_path, others):
    adata = read_maxquant(_flag_table(tmp_path, others))
    assert adata.var_names.tolist() == [f"P{i:05d}" for i in range(2, 8)]
    assert adata.uns["protein_input"]["removed"] == {
        "reverse": 2, "contaminant": 2, "only_by_site": 2}


@pytest.mark.parametrize("others", ["NA", "FALSE", "-", ""])
def test_plus_column_flags_only_its_plus_rows_control(tmp_path, others):
    adata = read_maxquant(_flag_table(tmp_path, others))
    assert adata.var_names.tolist() == [f"P{i:05d}" for i in range(2, 8)]


def test_plus_column_warns_about_other_values_as_not_flagged(tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="omics"):
        read_maxquant(_flag_table(tmp_path, "?"))
    assert any("'Reverse'" in r.getMessage() and "6 x '?'" in r.getMessage()
               and "not flagged" in r.getMessage() and r.levelno == logging.WARNING
               for r in caplog.records)


def test_plus_column_also_flags_clear_true_spellings(tmp_path):
    """Review 2: in a '+' column, 'x' (or TRUE, 1) rows are flagged too (two exports joined)."""
    values = np.full((8, 2), 1e6) + np.arange(16).reshape(8, 2)
    empty = [""] * 8
    adata = read_maxquant(_maxquant(tmp_path / "proteinGroups.txt", values, flags={
        "Reverse": ["+", "+", "x", "TRUE", "1", "", "", ""], "Potential contaminant": empty,
        "Only identified by site": empty}))
    assert adata.uns["protein_input"]["removed"]["reverse"] == 5
    assert adata.var_names.tolist() == ["P00005", "P00006", "P00007"]


@pytest.mark.parametrize("others", ["n", "F", "nan", "None", "."])
def test_recoded_column_without_plus_takes_more_false_spellings(tmp_path, others):
    path = _flag_table(tmp_path, others, plus=0)
    table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    table.loc[:1, "Only identified by site"] = "TRUE"
    table.to_csv(path, sep="\t", index=False)
    adata = read_maxquant(path)
    assert adata.uns["protein_input"]["removed"]["only_by_site"] == 2
    assert adata.var_names.tolist() == [f"P{i:05d}" for i in range(2, 8)]


def test_recoded_column_flagging_most_rows_stops_naming_column_and_value(tmp_path):
    path = _flag_table(tmp_path, "", plus=0)
    table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    table["Reverse"] = ["TRUE", "TRUE"] + ["falsch"] * 5 + [""]
    table.to_csv(path, sep="\t", index=False)
    with pytest.raises(InputError) as info:
        read_maxquant(path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    assert "'Reverse'" in message and "value 'falsch' in 5 rows (also 'TRUE' in 2)" in message
    assert "7 of 8 rows" in message
    assert "Write '+' in the flagged rows and leave the others empty" in message


def test_repro_flags_variants_read_as_before(tmp_path):
    """The review's repro on the test cohort: MaxQuant's '+' kept, the other rows re-written
    as 'nan', 'N', 'F' or '.' (as R, pandas or a spreadsheet may); all read as the original."""
    source_path = TEST_COHORT / "proteinGroups.txt"
    source = pd.read_csv(source_path, sep="\t", dtype=str, keep_default_na=False)
    expected = read_maxquant(source_path)
    assert expected.uns["protein_input"]["removed"] == {
        "reverse": 40, "contaminant": 30, "only_by_site": 15}
    for spelling in ["nan", "N", "F", "."]:
        table = source.copy()
        for column in ["Reverse", "Potential contaminant", "Only identified by site"]:
            table[column] = table[column].where(table[column] == "+", spelling)
        path = tmp_path / f"flags_{spelling}.txt"
        table.to_csv(path, sep="\t", index=False)
        adata = read_maxquant(path)
        assert adata.var_names.tolist() == expected.var_names.tolist(), spelling
        assert adata.uns["protein_input"]["removed"] == expected.uns["protein_input"]["removed"]


# --------------------------------------------------------------------------------------
# 6: a sample whose MaxQuant column is all 0
# --------------------------------------------------------------------------------------


def _with_empty_sample(tmp_path: Path) -> Path:
    values = np.random.default_rng(4).lognormal(20, 1, (30, 4)).round()
    values[:, 2] = 0.0
    return _maxquant(tmp_path / "proteinGroups.txt", values)


def test_reader_names_an_all_zero_sample_and_its_column(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="omics"):
        adata = read_maxquant(_with_empty_sample(tmp_path))
    assert any("'S2'" in r.getMessage() and "'LFQ intensity S2'" in r.getMessage()
               and "remove the sample from the sample sheet" in r.getMessage()
               for r in caplog.records)
    assert adata.uns["protein_input"]["empty_columns"] == ["LFQ intensity S2"]


def test_protein_prep_stops_on_an_all_zero_sample_naming_it(tmp_path):
    from omics.params import defaults
    from omics.stages import protein_prep

    matrix = _with_empty_sample(tmp_path)
    sheet = tmp_path / "sheet.csv"
    pd.DataFrame({"sample": [f"S{j}" for j in range(4)], "treatment": ["a", "a", "b", "b"]}).to_csv(
        sheet, index=False)
    contrasts = tmp_path / "contrasts.yaml"
    contrasts.write_text("contrasts:\n  - id: resp\n    comparison: [treatment, a, b]\n")
    out = tmp_path / "out"
    with pytest.raises(InputError, match=r"'S2' \(column 'LFQ intensity S2'\).*Remove the sample"):
        protein_prep(samplesheet=sheet, contrasts=contrasts, protein_matrix=matrix, outdir=out,
                     params={**defaults(), "protein_format": "maxquant"})
    assert not (out / "protein").exists() or not any((out / "protein").iterdir())


def test_impute_message_names_the_column_and_file(tmp_path):
    adata = read_maxquant(_with_empty_sample(tmp_path))
    log2_transform(adata)
    with pytest.raises(InputError, match=r"S2 have no observed value \(column 'LFQ intensity S2'\)"
                       ) as info:
        impute(adata, "minprob")
    assert "proteinGroups.txt" in str(info.value) and "Remove" in str(info.value)


def test_sample_qc_names_a_sample_without_values(tmp_path):
    from omics.tl import sample_qc

    adata = read_maxquant(_with_empty_sample(tmp_path))
    log2_transform(adata)
    with pytest.raises(InputError, match=r"sample\(s\) 'S2' have no observed value.*Remove"):
        sample_qc(adata, layer=None)


# --------------------------------------------------------------------------------------
# 7: report Methods state what ran
# --------------------------------------------------------------------------------------


def _text(markup: str) -> str:
    markup = re.sub(r"<script.*?</script>", "", markup, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", markup)))


def _methods(root: Path, params: dict, obs: pd.DataFrame) -> str:
    from omics.params import defaults
    from omics.report._context import Context
    from omics.report._discover import Results
    from omics.report._methods import methods

    ctx = Context(results=Results(root), params={**defaults(), **params}, obs=obs)
    return _text(methods(ctx)).split("References")[0]  # the paragraph, not the parameter table


def _results(root: Path, *, empty: bool) -> Path:
    (root / "differential").mkdir(parents=True)
    pd.DataFrame({"protein_id": ["P1"], "gene_name": ["VEGFA"], "logFC": [1.0], "AveExpr": [20.0],
                  "t": [3.0], "P.Value": [0.01], "adj.P.Val": [0.02], "B": [1.0]}).to_csv(
        root / "differential" / "c1.protein.limma.results.tsv", sep="\t", index=False)
    (root / "enrichment").mkdir()
    gsea = pd.DataFrame(columns=["term", "collection", "size", "es", "nes", "pvalue", "fdr",
                                 "leading_edge"])
    if not empty:
        gsea.loc[0] = ["GO:1_ANGIO", "panel", 20, 0.5, 1.5, 0.01, 0.05, "VEGFA"]
    gsea.to_csv(root / "enrichment" / "c1.protein.gsea.tsv", sep="\t", index=False)
    pd.DataFrame(columns=["term", "pvalue"]).to_csv(root / "enrichment" / "c1.protein.ora.tsv",
                                                    sep="\t", index=False)
    (root / "scores").mkdir()
    model = pd.DataFrame(columns=["modality", "score", "n", "cv_folds_pooled"])
    if not empty:
        model.loc[0] = ["protein", "GO:1_ANGIO", 40, 5]
    model.to_csv(root / "scores" / "response_model.tsv", sep="\t", index=False)
    return root


def test_methods_of_a_proteus_run_without_tests_say_what_ran(tmp_path):
    root = _results(tmp_path / "r", empty=True)
    text = _methods(root, {"protein_format": "proteus"},
                    pd.DataFrame({"celltype": ["a", "b"]}, index=["s1", "s2"]))
    assert "Protein intensities (proteus, already log2) were kept when" in text
    assert "LFQ intensity" not in text and "log2-transformed" not in text
    assert "were tested by GSEA prerank" not in text and "tested no gene set" in text
    assert "adjusted for" not in text and "No per-sample score was related to response" in text


def test_methods_name_only_the_covariates_in_the_sheet(tmp_path):
    root = _results(tmp_path / "r", empty=False)
    text = _methods(root, {}, pd.DataFrame({"age": [60, 70], "arm": ["a", "b"]}, index=["s1", "s2"]))
    assert "adjusted for age:" in text and "diabetes" not in text


def test_methods_of_a_maxquant_run_keep_their_wording_control(tmp_path):
    root = _results(tmp_path / "r", empty=False)
    text = _methods(root, {}, pd.DataFrame({"age": [60, 70], "diabetes": [0, 1]}, index=["s1", "s2"]))
    assert "Protein intensities (maxquant, LFQ intensity) were log2-transformed, kept when" in text
    assert "were tested by GSEA prerank" in text and "adjusted for age, diabetes:" in text
