"""Input variants seen in practice: gzip, R's write.table layout, Excel leftovers, missing counts."""

from __future__ import annotations

import gzip
import logging
import zipfile
from pathlib import Path

import anndata as ad
import numpy as np
import pytest

from omics._errors import InputError
from omics.io import read_rna_counts, read_samplesheet
from omics.io._tables import check_numbers, check_unique

PLAIN = "gene_id\tS1\tS2\tS3\nG1\t1\t2\t3\nG2\t4\t5\t6\nG3\t0\t7\t8\n"
SALMON = "gene_id\tgene_name\tS1\tS2\nG1\tA\t1.4\t2\nG2\tB\t3\t4.6\n"
FEATURECOUNTS = ("# Program:featureCounts v2.0.1; Command:\"featureCounts\"\n"
                 "Geneid\tChr\tStart\tEnd\tStrand\tLength\t/x/S1.markdup.sorted.bam\t/x/S2.bam\n"
                 "G1\t1\t1\t10\t+\t10\t5\t6\nG2\t1\t20\t30\t-\t11\t7\t8\n")
SHEET = ("sample,arm,response,age\nS1,placebo,responder,70\nS2,placebo,non_responder,71\n"
         "S3,bmmnc,responder,60\nS4,bmmnc,non_responder,65\n")


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def write_gz(path: Path, text: str) -> Path:
    with gzip.open(path, "wt") as handle:
        handle.write(text)
    return path


def assert_same(left: ad.AnnData, right: ad.AnnData) -> None:
    assert list(left.obs_names) == list(right.obs_names)
    assert list(left.var_names) == list(right.var_names)
    assert list(left.var["gene_name"]) == list(right.var["gene_name"])
    np.testing.assert_array_equal(left.X, right.X)
    assert left.uns["rna_input"]["format"] == right.uns["rna_input"]["format"]


def message(call, *args, **kwargs) -> str:  # noqa: ANN001
    with pytest.raises(InputError) as error:
        call(*args, **kwargs)
    return str(error.value)


# --------------------------------------------------------------------------- 1. gzip


@pytest.mark.parametrize(("text", "name"), [
    (PLAIN, "counts.tsv"),
    (PLAIN.replace("\t", ","), "counts.csv"),
    (PLAIN.replace("\n", "\r\n"), "counts_crlf.tsv"),
    (SALMON, "salmon.merged.gene_counts.tsv"),
    (FEATURECOUNTS, "featureCounts.txt"),
])
@pytest.mark.parametrize("suffix", [".gz", ""])
def test_gzip_counts_read_like_plain(tmp_path, text, name, suffix):
    plain = read_rna_counts(write(tmp_path / name, text))
    (tmp_path / "gz").mkdir()
    packed = read_rna_counts(write_gz(tmp_path / "gz" / f"{name}{suffix}", text))
    assert_same(packed, plain)


def test_gzip_duplicated_header_is_caught(tmp_path):
    text = "gene_id\tS1\tS2\tS1\nG1\t1\t2\t3\n"
    for path in (write(tmp_path / "c.tsv", text), write_gz(tmp_path / "c.tsv.gz", text)):
        assert "duplicated column name(s) in the header of the count matrix: 'S1'" in message(
            read_rna_counts, path)


def test_gzip_samplesheet_read_like_plain(tmp_path):
    plain = read_samplesheet(write(tmp_path / "s.csv", SHEET))
    packed = read_samplesheet(write_gz(tmp_path / "s.csv.gz", SHEET))
    assert plain.equals(packed)


def test_truncated_gzip_and_other_archives(tmp_path):
    data = gzip.compress(PLAIN.encode() * 200)
    truncated = tmp_path / "cut.tsv.gz"
    truncated.write_bytes(data[: len(data) // 2])
    assert "gzip file is corrupt or truncated" in message(read_rna_counts, truncated)
    archive = tmp_path / "counts.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("counts.tsv", PLAIN)
    text = message(read_rna_counts, archive)
    assert "zip archive" in text and str(archive) in text


# ----------------------------------------------------------------- 2. R write.table layout


def test_r_write_table_header_without_row_name_field(tmp_path, caplog):
    plain = read_rna_counts(write(tmp_path / "plain.tsv", PLAIN))
    rstyle = PLAIN.replace("gene_id\t", "", 1)
    with caplog.at_level(logging.INFO, logger="omics"):
        adata = read_rna_counts(write(tmp_path / "r.tsv", rstyle))
    assert_same(adata, plain)
    assert adata.var_names.name == "gene_id"
    assert "first column is taken as 'gene_id'" in caplog.text
    # the same written with quotes (write.table's default) and compressed
    quoted = "\n".join("\t".join(f'"{f}"' if not f.isdigit() else f for f in line.split("\t"))
                       for line in rstyle.splitlines()) + "\n"
    assert_same(read_rna_counts(write_gz(tmp_path / "rq.tsv.gz", quoted)), plain)


def test_trailing_delimiter_is_not_taken_for_row_names(tmp_path):
    plain = read_rna_counts(write(tmp_path / "plain.tsv", PLAIN))
    trailing = PLAIN.split("\n", 1)[0] + "\n" + "".join(f"{line}\t\n" for line in PLAIN.splitlines()[1:])
    assert_same(read_rna_counts(write(tmp_path / "t.tsv", trailing)), plain)


def test_r_layout_samplesheet_drops_row_numbers(tmp_path):
    lines = SHEET.splitlines()
    rstyle = "\n".join([lines[0]] + [f"{i},{line}" for i, line in enumerate(lines[1:], start=1)]) + "\n"
    assert read_samplesheet(write(tmp_path / "r.csv", rstyle)).equals(
        read_samplesheet(write(tmp_path / "s.csv", SHEET)))


def test_quoted_delimiter_in_the_first_row_is_not_taken_for_row_names(tmp_path, caplog):
    # A quoted field holding the delimiter is one field (as pandas reads it), not a sign of
    # R's row-name layout: the table is read as written, with no made-up row-name column.
    salmon = SALMON.replace("\tA\t", '\t"A\tA1"\t', 1)
    with caplog.at_level(logging.INFO, logger="omics"):
        adata = read_rna_counts(write(tmp_path / "q.tsv", salmon))
    assert adata.var_names.tolist() == ["G1", "G2"] and "row names" not in caplog.text
    assert adata.var["gene_name"].tolist() == ["A\tA1", "B"]
    sheet = SHEET.replace("S1,placebo,responder,70", 'S1,placebo,responder,70', 1)
    sheet = sheet.replace("age\n", "age,notes\n", 1).replace(",70\n", ',70,"left, leg"\n', 1)
    sheet = "\n".join(line if '"' in line or line.startswith("sample") else line + ","
                      for line in sheet.splitlines()) + "\n"
    with caplog.at_level(logging.INFO, logger="omics"):
        table = read_samplesheet(write(tmp_path / "q.csv", sheet))
    assert table.loc["S1", "notes"] == "left, leg" and "row names" not in caplog.text


def test_duplicate_listing_is_truncated(tmp_path):
    text = message(check_unique, ["0"] * 300 + [f"G{i}" for i in range(10) for _ in range(2)],
                   column="S1", path=tmp_path / "x.tsv", what="gene id")
    assert "'0' at rows 2, 3, 4, 5, 6 ... (300 in all)" in text
    assert "(11 duplicated values in all)" in text
    assert len(text) < 400


# ----------------------------------------------------------- 3. missing counts, 4. row numbers


@pytest.mark.parametrize(("cell", "said"), [
    ("NA", "is 'NA' (a missing value)"),
    ("", "is empty"),
    ("NaN", "is 'NaN' (a missing value)"),
    ("x", "is 'x', not a number"),
])
def test_missing_count_message(tmp_path, cell, said):
    path = write(tmp_path / "c.tsv", PLAIN.replace("G2\t4\t5", f"G2\t4\t{cell}"))
    text = message(read_rna_counts, path)
    assert f"count for gene 'G2' (row 3) in column 'S2' {said}" in text
    assert "non-negative integers" in text
    assert "nan)" not in text and "np.float64" not in text
    if cell in ("", "NA", "NaN"):
        assert "Missing counts are not allowed" in text


def test_missing_gene_name_stays_missing(tmp_path):
    adata = read_rna_counts(write(tmp_path / "s.tsv", SALMON.replace("\tB\t", "\tNA\t")))
    assert adata.var["gene_name"].tolist() == ["A", ""]  # missing, never the text "nan"


def test_featurecounts_rows_are_file_lines(tmp_path):
    two_comments = "# second comment\n" + FEATURECOUNTS
    na = two_comments.replace("G2\t1\t20\t30\t-\t11\t7", "G2\t1\t20\t30\t-\t11\tNA")
    assert "count for gene 'G2' (row 5) in column 'S1' is 'NA'" in message(
        read_rna_counts, write(tmp_path / "na.txt", na))
    negative = FEATURECOUNTS.replace("\t7\t8", "\t-7\t8")
    assert "(row 4) in column 'S1'" in message(read_rna_counts, write_gz(tmp_path / "neg.txt.gz", negative))
    dup = FEATURECOUNTS.replace("G2\t1\t20", "G1\t1\t20")
    assert "'G1' at rows 3, 4" in message(read_rna_counts, write(tmp_path / "dup.txt", dup))


def test_plain_rows_unchanged(tmp_path):
    text = message(read_rna_counts, write(tmp_path / "c.tsv", PLAIN.replace("G3\t0", "G3\t-1")))
    assert "(row 4)" in text


# ------------------------------------------------------------------------ 5. sample sheet


def test_samplesheet_excel_trailing_rows_and_columns(tmp_path):
    plain = read_samplesheet(write(tmp_path / "s.csv", SHEET))
    rows = read_samplesheet(write(tmp_path / "rows.csv", SHEET + ",,,\n,,,\n"))
    padded = "".join(f"{line},,\n" for line in SHEET.splitlines())
    cols = read_samplesheet(write(tmp_path / "cols.csv", padded))
    both = read_samplesheet(write(tmp_path / "both.csv", padded + ",,,,,\n"))
    for sheet in (rows, cols, both):
        assert sheet.equals(plain)
        assert list(sheet.columns) == ["arm", "response", "age"]


def test_samplesheet_partly_empty_row_still_reported(tmp_path):
    text = message(read_samplesheet, write(tmp_path / "s.csv", SHEET + ",,,\n,bmmnc,,\n"))
    assert "empty 'sample' id at row(s) 7" in text


def test_samplesheet_named_empty_column_is_kept(tmp_path):
    sheet = read_samplesheet(write(tmp_path / "s.csv", "".join(
        f"{line},{'note' if i == 0 else ''}\n" for i, line in enumerate(SHEET.splitlines()))))
    assert "note" in sheet.columns


# -------------------------------------------------------------------- 6. salmon rounding


def test_salmon_rounding_logged_once_per_read(tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="omics"):
        adata = read_rna_counts(write(tmp_path / "salmon.tsv", SALMON))
    assert caplog.text.count("rounded 2 fractional salmon counts") == 1
    assert adata.X.tolist() == [[1, 3], [2, 5]]


def test_counts_read_as_integers_or_decimals_agree(tmp_path):
    # Integer columns skip the rounding; columns the parser reads as decimals ("4.0",
    # "5e0") are rounded: the same AnnData. (Text columns, from cells that are not
    # numbers, stop with the messages above.)
    ints = read_rna_counts(write(tmp_path / "int.tsv", PLAIN))
    decimals = read_rna_counts(write(tmp_path / "dec.tsv", PLAIN.replace("G2\t4\t5", "G2\t4.0\t5e0")))
    assert np.array_equal(decimals.X, ints.X) and decimals.X.dtype == ints.X.dtype == np.int64
    assert np.array_equal(decimals.layers["counts"], ints.layers["counts"])
    assert decimals.X.flags.f_contiguous == ints.X.flags.f_contiguous
    assert decimals.uns["rna_input"]["rounded"] == ints.uns["rna_input"]["rounded"] == 0


@pytest.mark.parametrize("value, maximum, problem", [
    (np.inf, 1e20, "is not a finite number"), (-np.inf, 1e20, "is not a finite number"),
    (2e20, 1e20, "larger than any plausible"), (-3e20, 1e20, "larger than any plausible"),
    (np.inf, np.inf, "is not a finite number"),
])
def test_check_numbers_names_the_first_bad_value(value: float, maximum: float, problem: str) -> None:
    matrix = np.array([[1.0, np.nan, 5.0], [0.0, -2.0, np.nan]])
    check_numbers(matrix, labels=["a", "b"], columns=["s1", "s2", "s3"], rows=[2, 3],
                  path="m.tsv", what="count", maximum=maximum, fix="Fix it.")  # NaN is missing
    matrix[1, 2] = value
    with pytest.raises(InputError, match=problem) as caught:
        check_numbers(matrix, labels=["a", "b"], columns=["s1", "s2", "s3"], rows=[2, 3],
                      path="m.tsv", what="count", maximum=maximum, fix="Fix it.")
    assert "row 3, column 's3'" in str(caught.value)


def test_input_record_names_the_file_a_link_points_to(tmp_path):
    # a Nextflow task reads its inputs through staged links: the record names the user's file
    from omics._provenance import input_record

    target = write(tmp_path / "plain.tsv", PLAIN)
    (tmp_path / "input").mkdir()
    link = tmp_path / "input" / "counts.tsv"
    link.symlink_to(target)
    assert input_record(target) == {"path": str(target)}
    assert read_rna_counts(link).uns["rna_input"]["resolved"] == str(target.resolve())
    assert "resolved" not in read_rna_counts(target).uns["rna_input"]
    assert input_record(None) == {"path": ""}
