"""Findings F1-F17 of the reader audit: odd but legitimate input reads like clean input, bad input stops.

Each test names its finding. Inputs are written inline (small fixtures under
``tests/data/reader_audit/``): an Excel export with trailing delimiters, ``#`` inside a
line, a salmon TPM table given as counts, missing-value spellings in a sample sheet, a
qPCR well pasted twice, ``Inf`` in an array, GEO series matrix downloads cut short,
annotation columns among the samples, sample names that differ only in case or Unicode
normalisation.
"""

from __future__ import annotations

import gzip
import unicodedata
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from omics._errors import InputError
from omics.io import (
    match_samples,
    read_array_matrix,
    read_maxquant,
    read_protein_matrix,
    read_qpcr,
    read_rna_counts,
    read_samplesheet,
)
from omics.io._tables import MISSING_VALUES, read_table
from omics.pp import qpcr_average_replicates

DATA = Path(__file__).parent / "data" / "reader_audit"

SALMON = ("gene_id\tgene_name\tS1\tS2\tS3\n"
          "G1\tVEGFA\t10.2\t20\t31\n"
          "G2\tKDR\t3\t4.6\t5\n"
          "G3\tACTB\t100\t200\t300\n")
PLAIN = "gene_id\tS1\tS2\tS3\nG1\t1\t2\t3\nG2\t4\t5\t6\nG3\t0\t7\t8\n"
FEATURECOUNTS = ("# Program:featureCounts v2.0.1; Command:\"featureCounts\" \"-a\" \"genes.gtf\"\n"
                 "Geneid\tChr\tStart\tEnd\tStrand\tLength\t/x/S1.markdup.sorted.bam\t/x/S2.bam\n"
                 "G1\t1\t1\t10\t+\t10\t5\t6\nG2\t1\t20\t30\t-\t11\t7\t8\n")
WIDE_QPCR = "sample,ACTB,GAPDH,VEGFA\nS1,18.1,20.2,27.5\nS2,18.4,20.0,28.1\nS3,18.0,20.5,26.9\n"
LONG_QPCR = ("sample\ttarget\treplicate\tplate\tCt\n"
             "S1\tACTB\t1\tp1\t18.1\nS1\tACTB\t2\tp1\t18.3\nS1\tACTB\t3\tp1\t18.2\n"
             "S2\tACTB\t1\tp1\t19.0\nS2\tACTB\t2\tp1\t19.2\nS2\tACTB\t3\tp1\t19.1\n")
ARRAY = ("probe_id\tA\tB\tC\n"
         "p1\t7.5\t7.6\t7.4\np2\t5.0\t5.1\t4.9\np3\t9.1\t9.0\t9.2\n")
SHEET = ("sample,arm,response,age,bmi\n"
         "S1,placebo,responder,70,27.1\nS2,placebo,non_responder,71,30.4\n"
         "S3,bmmnc,responder,60,22.8\nS4,bmmnc,non_responder,65,25.0\n")
PROTEUS = ("Majority protein IDs\tgene_name\tS1\tS2\tS3\n"
           "P15692\tVEGFA\t27.9\t26.3\tNA\nP35968\tKDR\t24.1\t24.8\t25.0\nP60709\tACTB\t30.2\t30.1\t30.3\n")


def write(path: Path, text: str, *, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def trailing(text: str, tail: str, *, crlf: bool = False) -> str:
    """Every line (header included) ending with ``tail``, as a spreadsheet exports it."""
    end = "\r\n" if crlf else "\n"
    return "".join(line + tail + end for line in text.splitlines())


def message(call, *args, **kwargs) -> str:  # noqa: ANN001
    with pytest.raises(InputError) as error:
        call(*args, **kwargs)
    text = str(error.value)
    assert "\n" not in text
    return text


def assert_same(left: ad.AnnData, right: ad.AnnData) -> None:
    assert list(left.obs_names) == list(right.obs_names)
    assert list(left.var_names) == list(right.var_names)
    assert left.var.equals(right.var)
    np.testing.assert_array_equal(np.asarray(left.X), np.asarray(right.X))
    assert left.X.dtype == right.X.dtype


# ------------------------------------------------- F1, F7, F8, F10, F15: one rule in read_table


def test_f1_qpcr_wide_excel_trailing_comma_adds_no_target(tmp_path):
    clean = read_qpcr(write(tmp_path / "clean.csv", WIDE_QPCR))
    excel = read_qpcr(write(tmp_path / "excel.csv", trailing(WIDE_QPCR, ",", crlf=True)))
    assert sorted(excel["target"].unique()) == ["ACTB", "GAPDH", "VEGFA"]
    pd.testing.assert_frame_equal(excel, clean)
    adata, _ = qpcr_average_replicates(excel)
    assert list(adata.var_names) == ["ACTB", "GAPDH", "VEGFA"]


@pytest.mark.parametrize("tail", ["\t", "\t\t"])
def test_f8_rna_counts_trailing_delimiters_on_every_line(tmp_path, tail):
    clean = read_rna_counts(write(tmp_path / "clean.tsv", PLAIN))
    assert_same(read_rna_counts(write(tmp_path / "t.tsv", trailing(PLAIN, tail))), clean)
    excel = trailing(PLAIN.replace("\t", ","), ",,", crlf=True)
    assert_same(read_rna_counts(write(tmp_path / "excel.csv", excel)), clean)


@pytest.mark.parametrize("fmt", ["proteus", "tsv"])
def test_f7_protein_wide_trailing_delimiter_reads_like_clean(tmp_path, fmt):
    clean = read_protein_matrix(write(tmp_path / "clean.tsv", PROTEUS), fmt=fmt, is_log2=True)
    tabs = read_protein_matrix(write(tmp_path / "tabs.tsv", trailing(PROTEUS, "\t")), fmt=fmt,
                               is_log2=True)
    excel = read_protein_matrix(write(tmp_path / "excel.csv", trailing(PROTEUS.replace("\t", ","), ",,",
                                                                      crlf=True)), fmt=fmt, is_log2=True)
    for adata in (tabs, excel):
        assert_same(adata, clean)


def test_f7_diann_trailing_delimiter_reads_like_clean(tmp_path):
    source = (Path(__file__).parent / "data" / "protein" / "report.pg_matrix.tsv").read_text()
    clean = read_protein_matrix(write(tmp_path / "clean.tsv", source), fmt="diann")
    assert_same(read_protein_matrix(write(tmp_path / "t.tsv", trailing(source, "\t")), fmt="diann"), clean)


def test_f15_array_trailing_delimiters_add_no_sample(tmp_path):
    clean = read_array_matrix(write(tmp_path / "clean.tsv", ARRAY))
    excel = read_array_matrix(write(tmp_path / "excel.csv", trailing(ARRAY.replace("\t", ","), ",,")))
    assert list(excel.obs_names) == ["A", "B", "C"]
    assert_same(excel, clean)


def test_f10_unnamed_column_with_values_stops_naming_its_position(tmp_path):
    text = PLAIN.replace("gene_id\tS1\tS2", "gene_id\tS1\t")
    said = message(read_rna_counts, write(tmp_path / "c.tsv", text))
    assert "column 3:" in said and "between 'S1' and 'S3'" in said
    assert "'2' on row 2" in said and "Name the column" in said
    # the same rule for every table read by read_table: here a sample sheet
    sheet = SHEET.replace("age,bmi", "age,")
    said = message(read_samplesheet, write(tmp_path / "s.csv", sheet))
    assert "column 5:" in said and "after 'age'" in said


def test_unnamed_first_column_is_the_row_name_column(tmp_path):
    # pandas' to_csv and R's write.table(col.names = NA) leave the first header field empty
    clean = read_rna_counts(write(tmp_path / "clean.tsv", PLAIN))
    assert_same(read_rna_counts(write(tmp_path / "r.tsv", PLAIN.replace("gene_id", "", 1))), clean)
    table = read_table(write(tmp_path / "r2.tsv", PLAIN.replace("gene_id", '""', 1)), row_names="gene_id")
    assert list(table.columns) == ["gene_id", "S1", "S2", "S3"]


# ------------------------------------------------------------------------ F2: '#' is data


def test_f2_hash_inside_a_line_is_data(tmp_path):
    header_last = PLAIN.replace("S3\n", "S3#2\n", 1)
    assert list(read_rna_counts(write(tmp_path / "a.tsv", header_last)).obs_names) == ["S1", "S2", "S3#2"]
    header_mid = PLAIN.replace("\tS2\t", "\tMouse#2\t", 1)
    assert list(read_rna_counts(write(tmp_path / "b.tsv", header_mid)).obs_names) == ["S1", "Mouse#2", "S3"]
    gene = "gene_id\tS1\tS2\tgene_name\nG1\t1\t2\tGm#1\nG2\t3\t4\tKDR\n"
    assert read_rna_counts(write(tmp_path / "c.tsv", gene)).var["gene_name"].tolist() == ["Gm#1", "KDR"]


def test_f2_hash_na_count_is_named_as_written(tmp_path):
    said = message(read_rna_counts, write(tmp_path / "c.tsv", PLAIN.replace("G2\t4\t5", "G2\t4\t#N/A")))
    assert "count for gene 'G2' (row 3) in column 'S2' is '#N/A' (a missing value)" in said


def test_f2_featurecounts_comment_lines_still_skipped(tmp_path):
    adata = read_rna_counts(write(tmp_path / "fc.txt", "# second\n" + FEATURECOUNTS))
    assert list(adata.obs_names) == ["S1", "S2"] and adata.X.tolist() == [[5, 7], [6, 8]]
    said = message(read_rna_counts, write(tmp_path / "neg.txt", FEATURECOUNTS.replace("\t7\t8", "\t-7\t8")))
    assert "(row 4) in column 'S1'" in said


# --------------------------------------------------------------------- F3: TPM as counts


def _tpm(counts: pd.DataFrame) -> pd.DataFrame:
    values = counts.iloc[:, 2:].astype(float)
    return counts.iloc[:, :2].join(values / values.sum() * 1e6)


def _salmon_counts(n_genes: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    values = rng.gamma(0.8, 300.0, size=(n_genes, 4)) * [1.0, 1.7, 0.6, 1.2]
    table = pd.DataFrame(values.round(3), columns=["S1", "S2", "S3", "S4"])
    table.insert(0, "gene_name", [f"GENE{i}" for i in range(n_genes)])
    table.insert(0, "gene_id", [f"ENSG{i:011d}" for i in range(n_genes)])
    return table


def test_f3_salmon_tpm_given_as_counts_stops(tmp_path):
    counts = _salmon_counts()
    ok = read_rna_counts(write(tmp_path / "salmon.merged.gene_counts.tsv",
                               counts.to_csv(sep="\t", index=False)))
    assert ok.uns["rna_input"]["format"] == "salmon"
    tpm = _tpm(counts).to_csv(sep="\t", index=False, float_format="%.4f")
    said = message(read_rna_counts, write(tmp_path / "salmon.merged.gene_tpm.tsv", tpm))
    assert "looks like TPM" in said and "salmon.merged.gene_counts.tsv" in said
    assert "--rna_counts" not in said and "rna_counts" in said  # library form of {--rna_counts}
    # the column sums alone are enough (a renamed file) ...
    said = message(read_rna_counts, write(tmp_path / "renamed.tsv", tpm))
    assert "sums to 1,000,000" in said
    # ... and so is the name alone for a subset of the genes (sums below 10^6)
    subset = _tpm(counts).iloc[:50].to_csv(sep="\t", index=False, float_format="%.4f")
    said = message(read_rna_counts, write(tmp_path / "gene_tpm.tsv", subset))
    assert "the file name says TPM" in said
    # a plain table of TPM says TPM too, rather than "not a whole number"
    plain = _tpm(counts).drop(columns="gene_name").to_csv(sep="\t", index=False, float_format="%.4f")
    assert "looks like TPM" in message(read_rna_counts, write(tmp_path / "tpm_plain.tsv", plain))


def test_f3_whole_counts_with_a_million_reads_are_counts(tmp_path):
    # a simulation with 10^6 reads per sample: whole numbers, no TPM in the name
    rng = np.random.default_rng(0)
    values = rng.multinomial(1_000_000, np.full(100, 0.01), size=3).T
    table = pd.DataFrame(values, columns=["S1", "S2", "S3"])
    table.insert(0, "gene_id", [f"G{i}" for i in range(100)])
    adata = read_rna_counts(write(tmp_path / "counts.tsv", table.to_csv(sep="\t", index=False)))
    assert adata.X.sum(axis=1).tolist() == [1_000_000] * 3


# ------------------------------------------------------ F4: one set of missing-value spellings


def test_f4_missing_value_spellings_are_the_documented_ones():
    assert {"", "na", "nan", "n/a", "#n/a", "null"} == set(MISSING_VALUES)


@pytest.mark.parametrize("cell", ["", "NA", "NaN", "nan", "#N/A", "N/A", "n/a", "null", "NULL", " NA "])
def test_f4_numeric_sheet_column_with_a_missing_spelling_stays_numeric(tmp_path, cell):
    sheet = read_samplesheet(write(tmp_path / "s.csv", SHEET.replace(",30.4\n", f",{cell}\n")))
    assert sheet["bmi"].dtype == np.float64
    assert np.isnan(sheet.loc["S2", "bmi"]) and sheet.loc["S1", "bmi"] == pytest.approx(27.1)
    # schema columns read the same spellings as missing
    sheet = read_samplesheet(write(tmp_path / "a.csv", SHEET.replace(",71,", f",{cell},")))
    assert np.isnan(sheet.loc["S2", "age"])


@pytest.mark.parametrize(("cell", "fix"), [
    ("-", "Leave the cell empty (or write NA)"), (".", "Leave the cell empty (or write NA)"),
    ("unknown", "Leave the cell empty (or write NA)"), ("n.d.", "Leave the cell empty (or write NA)"),
    ('"30,4"', "decimal point (30.4)"),
])
def test_f4_placeholder_in_a_numeric_sheet_column_stops(tmp_path, cell, fix):
    said = message(read_samplesheet, write(tmp_path / "s.csv", SHEET.replace(",30.4\n", f",{cell}\n")))
    assert "column 'bmi', sample 'S2'" in said and "would be read as text" in said and fix in said


def test_f4_text_column_with_numbers_stays_text(tmp_path, caplog):
    sheet = read_samplesheet(write(tmp_path / "s.csv", SHEET.replace(",30.4\n", ",3a\n")))
    assert sheet["bmi"].dtype == object
    assert "holds numbers but also text ('3a' for sample 'S2')" in caplog.text


def test_f4_same_spellings_in_array_and_protein_tables(tmp_path):
    for cell in ("#N/A", "N/A", "null"):
        array = read_array_matrix(write(tmp_path / "a.tsv", ARRAY.replace("5.1", cell)))
        assert np.isnan(array.X[1, 1])
        protein = read_protein_matrix(write(tmp_path / "p.tsv", PROTEUS.replace("\tNA\n", f"\t{cell}\n")),
                                      fmt="proteus")
        assert np.isnan(protein.X[2, 0])


# ---------------------------------------------------------------- F5: a qPCR well twice


def test_f5_qpcr_row_pasted_twice_stops(tmp_path):
    lines = LONG_QPCR.splitlines()
    pasted = "\n".join([lines[0], lines[1], lines[1], *lines[2:]]) + "\n"
    said = message(read_qpcr, write(tmp_path / "ct.tsv", pasted))
    assert "lines 2, 3:" in said and "sample 'S1', target 'ACTB', replicate '1', plate 'p1'" in said
    assert "a row pasted twice?" in said


def test_f5_qpcr_repeated_replicate_id_stops(tmp_path):
    text = LONG_QPCR.replace("S1\tACTB\t2\tp1", "S1\tACTB\t1\tp1")
    said = message(read_qpcr, write(tmp_path / "ct.tsv", text))
    assert "lines 2, 3:" in said and "with different Cts" in said


def test_f5_rows_without_replicate_column_are_replicates(tmp_path):
    text = "sample\ttarget\tCt\nS1\tACTB\t18.1\nS1\tACTB\t18.1\nS1\tACTB\t18.4\n"
    _, table = qpcr_average_replicates(read_qpcr(write(tmp_path / "ct.tsv", text)))
    assert table["n_wells"].tolist() == [3]
    # the same wells on two plates are two wells
    plates = LONG_QPCR + "S1\tACTB\t1\tp2\t18.0\n"
    assert len(read_qpcr(write(tmp_path / "plates.tsv", plates))) == 7


def test_f5_average_replicates_checks_a_table_built_by_hand():
    long = pd.DataFrame({"sample": ["S1", "S1"], "target": ["T", "T"], "replicate": ["1", "1"],
                         "plate": ["", ""], "ct": [20.0, 20.1]})
    with pytest.raises(InputError, match="replicate '1' has 2 rows"):
        qpcr_average_replicates(long)


# ------------------------------------------------------------------------ F6: Inf in an array


@pytest.mark.parametrize("cell", ["Inf", "-Inf", "inf", "Infinity"])
def test_f6_array_infinity_stops(tmp_path, cell):
    said = message(read_array_matrix, write(tmp_path / "a.tsv", ARRAY.replace("5.1", cell)))
    assert f"value '{cell}' for probe 'p2' (row 3) in sample column 'B' is not a finite number" in said


# ------------------------------------------------------------ F9: GEO series matrix downloads


GEO = ('!Series_title\t"x"\n!Sample_geo_accession\t"GSM1"\t"GSM2"\n'
       '!series_matrix_table_begin\n"ID_REF"\t"GSM1"\t"GSM2"\n' +
       "".join(f'"{i}_at"\t{7 + i % 5}.{i % 10}\t{6 + i % 4}.{i % 7}\n' for i in range(3000)) +
       "!series_matrix_table_end\n")


def test_f9_geo_truncated_gzip_is_one_line_input_error(tmp_path):
    whole = gzip.compress(GEO.encode())
    path = tmp_path / "GSE1_series_matrix.txt.gz"
    path.write_bytes(whole[: len(whole) // 2])
    assert "the gzip file is corrupt or truncated" in message(read_array_matrix, path)


def test_f9_geo_without_end_marker_stops(tmp_path):
    cut = GEO[: GEO.index('"2000_at"')]
    said = message(read_array_matrix, write(tmp_path / "GSE1_series_matrix.txt", cut))
    assert "no '!series_matrix_table_end' line" in said and "Download it again" in said
    assert read_array_matrix(write(tmp_path / "GSE2_series_matrix.txt", GEO)).n_vars == 3000


def test_f9_geo_duplicate_sample_columns_stop(tmp_path):
    text = GEO.replace('"ID_REF"\t"GSM1"\t"GSM2"', '"ID_REF"\t"GSM1"\t"GSM1"')
    said = message(read_array_matrix, write(tmp_path / "GSE1_series_matrix.txt", text))
    assert "line 4:" in said and "'GSM1' appears twice" in said and "columns 2 and 3" in said


def test_f9_geo_rows_are_file_lines(tmp_path):
    text = GEO.replace('"1_at"\t8.1', '"1_at"\tx')
    said = message(read_array_matrix, write(tmp_path / "GSE1_series_matrix.txt", text))
    assert "value 'x' for probe '1_at' (row 6)" in said


# ------------------------------------------------------- F11, F12: annotation columns as samples


def test_f11_array_entrez_column_is_named_as_annotation(tmp_path):
    text = ARRAY.replace("probe_id\t", "probe_id\tENTREZ_GENE_ID\t").replace("p1\t", "p1\t7157\t").replace(
        "p2\t", "p2\t3791\t").replace("p3\t", "p3\t60\t")
    said = message(read_array_matrix, write(tmp_path / "a.tsv", text))
    assert "column 'ENTREZ_GENE_ID':" in said and "an annotation column (gene ids?), not a sample" in said
    assert "looks linear" not in said


def test_f11_array_second_symbol_column(tmp_path):
    text = (ARRAY.replace("probe_id\t", "probe_id\tsymbol\tgene_name\t")
            .replace("p1\t", "p1\tVEGFA\tVEGFA\t").replace("p2\t", "p2\tKDR\tKDR\t")
            .replace("p3\t", "p3\tACTB\tACTB\t"))
    said = message(read_array_matrix, write(tmp_path / "a.tsv", text))
    assert "column 'gene_name': not a sample column" in said
    assert "only one gene-symbol column is used ('symbol')" in said


def test_f11_linear_matrix_still_said_linear(tmp_path):
    said = message(read_array_matrix, write(tmp_path / "a.tsv", "probe_id\tA\tB\np1\t5000\t6000\n"))
    assert "looks linear, not log2" in said


def test_f12_rna_annotation_column_is_named(tmp_path):
    text = SALMON.replace("gene_name\t", "gene_name\tgene_biotype\t")
    text = text.replace("VEGFA\t", "VEGFA\tprotein_coding\t").replace("KDR\t", "KDR\tprotein_coding\t")
    text = text.replace("ACTB\t", "ACTB\tlncRNA\t")
    said = message(read_rna_counts, write(tmp_path / "c.tsv", text))
    assert "column 'gene_biotype': not a sample column" in said and "'protein_coding'" in said
    assert "gene_id and gene_name, then only sample columns" in said
    assert "Missing counts" not in said


def test_f12_decimal_commas_throughout_still_name_the_cell(tmp_path):
    # A tab matrix cannot hold decimal commas: the first cell is named, not the column taken
    # for an annotation column. (A ';' matrix reads them: tests/test_decimal_comma.py.)
    text = "gene_id\tS1\tS2\nG1\t10,0\t2\nG2\t3,5\t4,0\n"
    said = message(read_rna_counts, write(tmp_path / "c.tsv", text))
    assert "is '10,0', not a number" in said
    assert "decimal point if the comma is one (10.0): a decimal comma is read only in a " \
           "';'-separated file" in said


# --------------------------------------------------------- F13: messages that point the right way


def test_f13_featurecounts_duplicate_sample_names_columns_and_paths(tmp_path):
    text = FEATURECOUNTS.replace("/x/S2.bam", "/y/S1.bam")
    said = message(read_rna_counts, write(tmp_path / "fc.txt", text))
    assert "columns 7 and 8:" in said
    assert "'/x/S1.markdup.sorted.bam' and '/y/S1.bam' both give sample name 'S1'" in said
    assert "rows" not in said


def _matrix(names: list[str]) -> ad.AnnData:
    return ad.AnnData(X=np.ones((len(names), 2)), obs=pd.DataFrame(index=names),
                      var=pd.DataFrame(index=["G1", "G2"]))


def test_f13_case_only_mismatch_gets_a_hint():
    sheet = pd.DataFrame({"arm": ["a", "b"]}, index=pd.Index(["srx1", "srx2"], name="sample"))
    with pytest.raises(InputError) as error:
        match_samples(_matrix(["SRX1", "SRX2"]), sheet)
    assert "2 of them differ from a matrix column only in letter case" in str(error.value)
    assert "'srx1' (sheet) / 'SRX1' (matrix)" in str(error.value)


def test_f13_unicode_normalisation_mismatch_gets_a_hint():
    nfc = [unicodedata.normalize("NFC", f"Échantillon_{i}") for i in range(2)]
    nfd = [unicodedata.normalize("NFD", s) for s in nfc]
    sheet = pd.DataFrame({"arm": ["a", "b"]}, index=pd.Index(nfc, name="sample"))
    with pytest.raises(InputError) as error:
        match_samples(_matrix(nfd), sheet)
    assert "only in Unicode normalisation" in str(error.value)
    assert "letter case" not in str(error.value)


def test_f13_no_hint_for_different_ids():
    sheet = pd.DataFrame({"arm": ["a"]}, index=pd.Index(["S9"], name="sample"))
    with pytest.raises(InputError) as error:
        match_samples(_matrix(["S1", "S2"]), sheet)
    assert "differ from a matrix column" not in str(error.value)


# ---------------------------------------------------------------------- F14, F16, F17 (minor)


def test_f14_rna_ids_and_names_are_stripped(tmp_path):
    clean = read_rna_counts(write(tmp_path / "clean.tsv", SALMON))
    padded = SALMON.replace("G1\tVEGFA", " G1 \t VEGFA ")
    assert_same(read_rna_counts(write(tmp_path / "p.tsv", padded)), clean)
    dup = SALMON.replace("G2\tKDR", "G1 \tKDR")
    assert "duplicated gene id in column 'gene_id': 'G1' at rows 2, 3" in message(
        read_rna_counts, write(tmp_path / "d.tsv", dup))


def test_f16_array_symbols_and_probe_ids_are_checked(tmp_path):
    with_symbol = ARRAY.replace("probe_id\t", "probe_id\tgene_name\t").replace("p1\t", "p1\t1-Mar\t").replace(
        "p2\t", "p2\tKDR\t").replace("p3\t", "p3\tACTB\t")
    assert "look like Excel dates: '1-Mar' (row 2)" in message(
        read_array_matrix, write(tmp_path / "s.tsv", with_symbol))
    for probe in ("", "NA"):
        said = message(read_array_matrix, write(tmp_path / "p.tsv", ARRAY.replace("p2\t", f"{probe}\t")))
        assert "row 3, column 'probe_id'" in said


def test_f17_maxquant_prefix_in_any_case_and_recoded_reverse_flag(tmp_path):
    header = ["Protein IDs", "Majority protein IDs", "Gene names", "Reverse", "Potential contaminant",
              "LFQ intensity S1", "lfq intensity S2"]
    rows = [["P1", " P1 ", "VEGFA", "", "", "10", "20"], ["P2", "P2", "KDR", "", "", "30", "40"],
            ["REV__P3", "REV__P3", "", "TRUE", "", "5", "6"]]
    path = write(tmp_path / "proteinGroups.txt", "\n".join("\t".join(r) for r in [header, *rows]) + "\n")
    adata = read_maxquant(path)
    assert list(adata.obs_names) == ["S1", "S2"]
    assert list(adata.var_names) == ["P1", "P2"] and adata.uns["protein_input"]["removed"]["reverse"] == 1
    assert adata.var["protein_ids"].tolist() == ["P1", "P2"]


def test_fixture_featurecounts_with_hash_in_sample_names():
    adata = read_rna_counts(DATA / "featurecounts_hash.txt")
    assert list(adata.obs_names) == ["Mouse#1", "Mouse#2"]
    assert adata.X.tolist() == [[5, 7], [6, 8]]


def test_fixture_excel_sample_sheet_with_hash_na(tmp_path):
    sheet = read_samplesheet(DATA / "samplesheet_excel.csv")
    assert list(sheet.columns) == ["arm", "response", "age", "bmi"]
    assert sheet["bmi"].dtype == np.float64 and np.isnan(sheet.loc["S2", "bmi"])
