"""Odd but legitimate table input (audit h49, F1-F7): blank rows, true file lines, flow messages.

F1: rows blank in every cell (Excel's ``,,,,``, tab-only rows) read like the clean file in
every reader built on ``read_table``; a row with an id but no values is not blank.
F2: the flow table names an empty sample, population or event count, with a fix.
F3: messages name the true file line after blank lines, blank rows and Perseus ``#!`` rows.
F4: the flow table's sample check names ids differing only in Unicode normalisation.
F5: MaxQuant's summary ``Intensity`` header with a trailing space reads like the clean file.
F6: a UTF-16 contrasts YAML or GMT stops with "not UTF-8 text", not "binary file".
F7: quoted GMT fields read like unquoted ones.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from omics import io
from omics._errors import InputError
from omics.io._tables import read_table

REPO = Path(__file__).resolve().parents[1]
COHORT = REPO / "tests" / "data" / "test_cohort"
PROTEIN = REPO / "tests" / "data" / "protein"


def _message(call, *args, **kwargs) -> str:
    with pytest.raises(InputError) as err:
        call(*args, **kwargs)
    return str(err.value)


def _with_lines(source: Path, target: Path, *, end: list[str] = (), middle: list[str] = (),
                at: int = 3) -> Path:
    """``source`` with ``middle`` inserted before data row ``at`` (0: header) and ``end`` appended."""
    lines = source.read_text().splitlines()
    lines = lines[:at] + list(middle) + lines[at:] + list(end)
    target.write_text("\n".join(lines) + "\n")
    return target


def _small_salmon(tmp_path: Path) -> Path:
    lines = (COHORT / "salmon.merged.gene_counts.tsv").read_text().splitlines()[:40]
    path = tmp_path / "salmon.tsv"
    path.write_text("\n".join(lines) + "\n")
    return path


def _same_adata(a, b) -> None:
    assert list(a.obs_names) == list(b.obs_names)
    assert list(a.var_names) == list(b.var_names)
    np.testing.assert_array_equal(np.asarray(a.X), np.asarray(b.X))
    assert a.X.dtype == b.X.dtype
    pd.testing.assert_frame_equal(a.var, b.var)


# ----------------------------------------------------------------------------- F1

def _blank_rows(width: int, sep: str) -> list[str]:
    return [sep * (width - 1), sep * (width - 1), " " + sep * (width - 1)]


@pytest.mark.parametrize("reader, source", [
    ("rna", None),
    ("maxquant", PROTEIN / "proteinGroups.txt"),
    ("diann", PROTEIN / "report.pg_matrix.tsv"),
    ("olink", PROTEIN / "olink_npx.csv"),
    ("tsv", PROTEIN / "protein_linear.tsv"),
    ("proteus", PROTEIN / "protein_log2.csv"),
])
def test_excel_blank_rows_read_like_clean_matrix(tmp_path: Path, reader: str, source: Path | None) -> None:
    """F1: ',,,,'/tab-only rows, at the end and in the middle, are ignored (stopped before)."""
    read = {"rna": io.read_rna_counts, "maxquant": io.read_maxquant, "diann": io.read_diann,
            "olink": io.read_olink, "tsv": lambda p: io.read_protein_tsv(p, is_log2=False),
            "proteus": io.read_proteus}[reader]
    source = source or _small_salmon(tmp_path)
    header = source.read_text().splitlines()[0]
    sep = max("\t,;", key=header.count)
    rows = _blank_rows(header.count(sep) + 1, sep)
    odd = _with_lines(source, tmp_path / f"odd_{source.name}", end=rows, middle=rows[:1])
    _same_adata(read(odd), read(source))


def test_excel_blank_rows_flow_table_and_contrasts_csv(tmp_path: Path) -> None:
    """F1: the flow population table and a contrasts CSV read like their clean files."""
    flow = COHORT / "flow_populations.tsv"
    odd = _with_lines(flow, tmp_path / "flow.tsv", end=["\t\t\t\t"] * 3, middle=["\t\t\t\t"])
    pd.testing.assert_frame_equal(io.read_flow_table(odd), io.read_flow_table(flow))
    clean = tmp_path / "contrasts.csv"
    clean.write_text("id,variable,reference,target\nr,response,non_responder,responder\n"
                     "a,arm,placebo,bmmnc\n")
    odd = _with_lines(clean, tmp_path / "odd_contrasts.csv", end=[",,,"] * 3, middle=[",,,"], at=2)
    assert io.read_contrasts(odd) == io.read_contrasts(clean)


def test_blank_rows_keep_column_types_and_lines(tmp_path: Path) -> None:
    """F1/F3: read_table drops the blank rows, keeps the clean file's dtypes and records each row's line."""
    path = tmp_path / "t.csv"
    path.write_text("id,a,b\nx,1,2\n,,\n\ny,3,4\n , ,\nz,5,6\n,,\n")
    table = read_table(path)
    assert list(table["id"]) == ["x", "y", "z"]
    assert table["a"].dtype == np.int64  # as in the clean file (a NaN row would make it float)
    assert list(table.attrs.get("lines") or []) == [2, 5, 7]
    assert table.attrs["first_line"] == 2


def test_blank_rows_in_r_write_table_layout(tmp_path: Path) -> None:
    """F1: in R's layout (header one field short) a blank row is one field wider, and is dropped too."""
    path = tmp_path / "r.tsv"
    path.write_text("S1\tS2\nG1\t1\t2\n\t\t\nG2\t3\t4\n\t\t\n")
    table = read_table(path, row_names="gene_id")
    assert list(table["gene_id"]) == ["G1", "G2"] and table["S1"].dtype == np.int64
    assert list(table.attrs.get("lines") or []) == [2, 4]


def test_row_with_id_but_no_values_is_not_blank(tmp_path: Path) -> None:
    """F1 guard: a row with an id and empty values still stops, naming its true line."""
    source = _small_salmon(tmp_path)
    lines = source.read_text().splitlines()
    width = lines[0].count("\t") + 1
    odd = tmp_path / "odd.tsv"
    odd.write_text("\n".join(lines[:5] + ["\t" * (width - 1), "GX\tGX" + "\t" * (width - 2)]
                             + lines[5:]) + "\n")
    said = _message(io.read_rna_counts, odd)
    assert "count for gene 'GX' (row 7)" in said
    flow = tmp_path / "flow.tsv"
    flow.write_text("sample\tpopulation\tparent\tevents\tparent_events\n"
                    "S1\tA\troot\t10\t100\n\t\t\t\t\nS1\tB\troot\t\t100\n")
    said = _message(io.read_flow_table, flow)
    assert "row 4 (sample 'S1', population 'B')" in said and "event count is empty" in said


def test_only_blank_rows_is_no_data(tmp_path: Path) -> None:
    """F1: a header followed by blank rows only has no data rows."""
    path = tmp_path / "m.tsv"
    path.write_text("gene_id\tS1\tS2\n\t\t\n\t\t\n")
    assert "has a header but no data rows" in _message(io.read_rna_counts, path)


# ----------------------------------------------------------------------------- F3

def test_rna_rows_after_blank_lines(tmp_path: Path) -> None:
    """F3: duplicated ids and bad counts name the file lines past blank lines."""
    path = tmp_path / "rna.tsv"
    path.write_text("gene_id\tS1\tS2\nG1\t1\t2\n\n\n\nG2\t3\t2\nG1\t5\t4\n")
    assert "'G1' at rows 2, 7" in _message(io.read_rna_counts, path)
    path.write_text("gene_id\tS1\tS2\nG1\t1\t2\n\t\t\nG2\t3\t2\nG3\tx\t4\n")
    assert "count for gene 'G3' (row 5)" in _message(io.read_rna_counts, path)


def test_featurecounts_rows_after_comment_and_blank_row(tmp_path: Path) -> None:
    """F3: featureCounts' '# Program' line and a blank row before a bad row."""
    path = tmp_path / "fc.txt"
    path.write_text("# Program:featureCounts v2\nGeneid\tChr\tStart\tEnd\tStrand\tLength\ta.bam\n"
                    "G1\t1\t1\t9\t+\t9\t3\n\t\t\t\t\t\t\nG2\t1\t1\t9\t+\t9\t-1\n")
    assert "(row 5)" in _message(io.read_rna_counts, path)


def test_samplesheet_rows_after_blank_line(tmp_path: Path) -> None:
    """F3: the sample sheet's empty id after a blank line."""
    path = tmp_path / "ss.csv"
    path.write_text("sample,arm,response\nA1,bmmnc,responder\n\nA2,placebo,non_responder\n"
                    ",bmmnc,responder\n")
    assert "at row(s) 5" in _message(io.read_samplesheet, path)
    path.write_text("sample,arm,response,afs_days,afs_event\nA1,bmmnc,responder,200,0\n,,,,\n"
                    "A2,placebo,non_responder,20,7\n")
    assert "row(s) 4 have '7'" in _message(io.read_samplesheet, path)


def test_perseus_annotation_rows_counted(tmp_path: Path) -> None:
    """F3: after Perseus '#!{Type}' rows, an empty id names its true line (was '+ 2')."""
    lines = (PROTEIN / "proteinGroups.txt").read_text().splitlines()
    rows = [r.split("\t") for r in lines[1:] if r]
    rows[2][0] = ""
    width = len(lines[0].split("\t"))
    path = tmp_path / "perseus.txt"
    path.write_text("\n".join([lines[0], "#!{Type}" + "\tT" * (width - 1)]
                              + ["\t".join(r) for r in rows]) + "\n")
    assert "at row 5;" in _message(io.read_maxquant, path, is_log2=True)


def test_protein_tsv_and_olink_rows_after_blank_lines(tmp_path: Path) -> None:
    """F3: protein tsv duplicated ids and Olink empty SampleID past blank lines."""
    path = tmp_path / "p.tsv"
    path.write_text("protein_id\tS1\tS2\nP1\t1\t2\n\nP2\t3\t4\nP1\t5\t6\n")
    assert "'P1' at rows 2, 5" in _message(io.read_protein_tsv, path, is_log2=False)
    lines = (PROTEIN / "olink_npx.csv").read_text().splitlines()
    bad = ";" + lines[3].split(";", 1)[1]
    path = tmp_path / "o.csv"
    path.write_text("\n".join(lines[:3] + ["", ";" * lines[0].count(";"), bad]) + "\n")
    assert "empty 'SampleID' at row 6;" in _message(io.read_olink, path)


def test_flow_and_contrasts_rows_after_blank_lines(tmp_path: Path) -> None:
    """F3: flow value and contrast row messages past blank lines."""
    path = tmp_path / "f.csv"
    path.write_text("sample,population,parent,events,parent_events\nS1,A,root,10,100\n\n"
                    "S1,B,root,x,100\n")
    assert "column 'events', row 4 (sample 'S1'" in _message(io.read_flow_table, path)
    path = tmp_path / "c.csv"
    path.write_text("id,variable,reference,target\nr,response,non_responder,responder\n\n"
                    ",arm,placebo,bmmnc\n")
    assert "row 4" in _message(io.read_contrasts, path)


def test_clean_file_row_numbers_unchanged(tmp_path: Path) -> None:
    """Control (passes on the old code too): without blank lines, rows count from line 2."""
    path = tmp_path / "rna.tsv"
    path.write_text("gene_id\tS1\tS2\nG1\t1\t2\nG2\t3\t2\nG1\t5\t4\n")
    assert "'G1' at rows 2, 4" in _message(io.read_rna_counts, path)


# ----------------------------------------------------------------------------- F2

def test_flow_empty_sample_population_and_events(tmp_path: Path) -> None:
    """F2: an empty sample or population is named with its column and line, and a fix."""
    head = "sample\tpopulation\tparent\tevents\tparent_events\nS1\tA\troot\t10\t100\n"
    path = tmp_path / "f.tsv"
    path.write_text(head + "\tB\troot\t5\t100\n")
    said = _message(io.read_flow_table, path)
    assert "empty sample id" in said and "row 3, column 'sample'" in said and "nan" not in said
    assert "fill it in or remove the row" in said
    path.write_text(head + "S1\t\troot\t5\t100\n")
    said = _message(io.read_flow_table, path)
    assert "empty population name" in said and "row 3, column 'population'" in said
    path.write_text(head + "S1\tB\troot\t\t100\n")
    said = _message(io.read_flow_table, path)
    assert "column 'events', row 3 (sample 'S1', population 'B')" in said
    assert "Fill in the population's event count" in said


# ----------------------------------------------------------------------------- F4

def test_flow_sample_nfd_hint(tmp_path: Path) -> None:
    """F4: a sheet id in NFC against the flow table's NFD names the pair and the difference."""
    nfc = unicodedata.normalize("NFC", "Mü001")
    nfd = unicodedata.normalize("NFD", "Mü001")
    path = tmp_path / "f.tsv"
    path.write_text("sample\tpopulation\tparent\tevents\tparent_events\n"
                    f"{nfd}\tA\troot\t10\t100\nS2\tA\troot\t10\t100\n")
    said = _message(io.read_flow_table, path, samples=[nfc, "S2"])
    assert "Unicode normalisation" in said and "(sheet)" in said and "(table)" in said
    said = _message(io.read_flow_table, path, samples=["GHOST", "S2"])
    assert "Unicode" not in said and "GHOST" in said  # control: no near match, no hint


# ----------------------------------------------------------------------------- F5

def test_maxquant_summary_intensity_with_trailing_space(tmp_path: Path) -> None:
    """F5: 'Intensity ' (the summary column, trailing space) reads like the clean file."""
    source = PROTEIN / "proteinGroups.txt"
    text = source.read_text()
    header = text.split("\n", 1)[0].split("\t")
    assert "Intensity" in header
    spaced = ["Intensity " if h == "Intensity" else h for h in header]
    path = tmp_path / "mq.txt"
    path.write_text("\t".join(spaced) + "\n" + text.split("\n", 1)[1])
    _same_adata(io.read_maxquant(path), io.read_maxquant(source))
    _same_adata(io.read_maxquant(path, intensity="Intensity"),
                io.read_maxquant(source, intensity="Intensity"))


def test_maxquant_empty_sample_name_still_stops(tmp_path: Path) -> None:
    """Control (passes on the old code too): beside a bare 'Intensity', 'Intensity ' is a nameless sample."""
    source = PROTEIN / "proteinGroups.txt"
    text = source.read_text()
    header = text.split("\n", 1)[0].split("\t")
    sample = next(i for i, h in enumerate(header) if h.startswith("Intensity "))
    header[sample] = "Intensity "
    path = tmp_path / "mq.txt"
    path.write_text("\t".join(header) + "\n" + text.split("\n", 1)[1])
    assert "sample name of intensity column 'Intensity ' is empty" in _message(io.read_maxquant, path)


# ----------------------------------------------------------------------------- F6, F7

def test_utf16_yaml_and_gmt_say_not_utf8(tmp_path: Path) -> None:
    """F6: UTF-16 text with a BOM is 'not UTF-8 text' (as the table readers say), not binary."""
    yaml_path = tmp_path / "contrasts.yaml"
    yaml_path.write_bytes((COHORT / "contrasts.yaml").read_text().replace("\n", "\r\n")
                          .encode("utf-16"))
    said = _message(io.read_contrasts, yaml_path)
    assert "not UTF-8 text" in said and "UTF-16" in said and "binary" not in said
    gmt = tmp_path / "sets.gmt"
    gmt.write_bytes("SET_A\tdesc\tVEGFA\tKDR\n".encode("utf-16-be").join([b"\xfe\xff", b""]))
    said = _message(io.read_gmt, gmt)
    assert "not UTF-8 text" in said and "binary" not in said


def test_quoted_gmt_fields(tmp_path: Path) -> None:
    """F7: quoted set names and genes are read without their quotes."""
    plain = tmp_path / "plain.gmt"
    plain.write_text("SET_A\tdesc, with comma\tVEGFA\tKDR\nSET_B\tx\tHIF1A\tKDR\n")
    quoted = tmp_path / "quoted.gmt"
    quoted.write_text('"SET_A"\t"desc, with comma"\t"VEGFA"\t"KDR"\n"SET_B"\t"x"\t"HIF1A"\tKDR\n')
    assert io.read_gmt(quoted) == io.read_gmt(plain) == {"SET_A": ["VEGFA", "KDR"],
                                                         "SET_B": ["HIF1A", "KDR"]}


def test_qpcr_efficiency_table_names_the_file_line_after_blank_rows(tmp_path: Path) -> None:
    """The efficiency table counted rows from the header (``first + i``): after a blank line
    and an Excel ``,,`` row, the bad value was named two lines too early."""
    from omics._errors import InputError
    from omics.io import read_qpcr_efficiency

    path = tmp_path / "eff.csv"
    path.write_text("target,efficiency\nACTB,1.95\n\n,\nVEGFA,abc\n")
    with pytest.raises(InputError, match=r"line 5: efficiency 'abc' for target 'VEGFA'"):
        read_qpcr_efficiency(path)
