"""Decimal commas: a ';'-separated European export reads like its decimal-point twin, in every reader.

One rule (:func:`omics.io._tables.decimal_comma_numbers`): in a ``;``-separated table a
comma in a number is the decimal mark (``12,5``), and a value that could hide a thousands
separator there (``1.234,5``, ``1,234,5``, a ``.`` in a column of decimal commas) stops,
naming the cell. Outside a ``;`` table the sample sheet, count, array and protein matrices
stop on ``12,5``; the qPCR, Olink and flow readers keep their documented readings.

Each reader is given the same table three times: as a clean tab- or comma-separated file
with decimal points, as a ``;`` file with decimal commas, and as that ``;`` file with a
byte-order mark and CRLF line ends; the three must give the same AnnData / DataFrame
(values, dtypes, obs, var, uns but for the recorded path).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from omics._errors import InputError
from omics.io import (
    read_array_matrix,
    read_flow_table,
    read_maxquant,
    read_protein_matrix,
    read_qpcr,
    read_rna_counts,
    read_samplesheet,
)
from omics.io._qpcr import read_qpcr_efficiency

REPO = Path(__file__).resolve().parents[1]
COHORT = REPO / "tests" / "data" / "test_cohort"
PROTEIN = REPO / "tests" / "data" / "protein"
NFCORE = REPO.parent / "shared" / "data" / "nfcore-testdata" / "data"
NFCORE_SALMON = (NFCORE / "genomics/mus_musculus/rnaseq_expression"
                 / "SRP254919.salmon.merged.gene_counts.top1000cov.tsv")
NFCORE_PROTEUS = NFCORE / "proteomics/maxquant/proteus.raw_MaxQuant_proteingroups_tab.tsv"

_DECIMAL = re.compile(r"^[+-]?\d*\.\d+([eE][+-]?\d+)?$")

SALMON = ("gene_id\tgene_name\tS1\tS2\tS3\n"
          "G1\tVEGFA\t10.25\t20\t31.5\n"
          "G2\tKDR\t3\t4.6\t5\n"
          "G3\tACTB\t100.75\t200\t300.125\n")
ARRAY = ("probe_id\tgene_name\tA\tB\tC\n"
         "p1\tVEGFA\t7.5\t7.625\t7.4\np2\tKDR\t5.0\t5.1\t4.9\np3\tACTB\t9.1\tNA\t9.2\n")
PROTEUS = ("Majority protein IDs\tgene_name\tS1\tS2\tS3\n"
           "P15692\tVEGFA\t27.9\t26.3\tNA\nP35968\tKDR\t24.1\t24.8\t25.0\n"
           "P60709\tACTB\t30.2\t30.125\t30.3\n")
SHEET = ("sample,arm,response,age,bmi,hba1c\n"
         "S1,placebo,responder,70,27.1,5.8\nS2,placebo,non_responder,71.5,30.4,6.25\n"
         "S3,bmmnc,responder,60,22.8,7\nS4,bmmnc,non_responder,65,25.0,NA\n")


# --------------------------------------------------------------------------- helpers


def _rows(text: str) -> list[list[str]]:
    sep = next(s for s in ("\t", ";", ",") if s in text.splitlines()[0])
    return [row for row in csv.reader(io.StringIO(text), delimiter=sep) if row]


def _write(path: Path, rows: list[list[str]], sep: str, *, bom: bool = False, crlf: bool = False) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=sep, lineterminator="\r\n" if crlf else "\n").writerows(rows)
    path.write_bytes((("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8"))
    return path


def _european(rows: list[list[str]], keep: Iterable[int] = ()) -> list[list[str]]:
    """Decimal points made decimal commas, except in the columns ``keep`` (ids, names)."""
    keep = set(keep)
    return [rows[0]] + [[cell.replace(".", ",") if j not in keep and _DECIMAL.match(cell.strip()) else cell
                         for j, cell in enumerate(row)] for row in rows[1:]]


def _twins(tmp_path: Path, text: str, *, keep: Iterable[int] = (), clean_sep: str | None = None,
           suffix: str = ".csv") -> tuple[Path, Path, Path]:
    """The clean table (``clean_sep``, default as given), its ';' decimal-comma twin, and that
    twin with a BOM and CRLF line ends."""
    rows = _rows(text)
    sep = clean_sep or next(s for s in ("\t", ";", ",") if s in text.splitlines()[0])
    clean = _write(tmp_path / f"clean{'.tsv' if sep == chr(9) else suffix}", rows, sep)
    euro = _european(rows, keep)
    assert euro != rows or not any(_DECIMAL.match(c) for r in rows[1:] for c in r), "no decimal to convert"
    semicolon = _write(tmp_path / f"euro{suffix}", euro, ";")
    odd = _write(tmp_path / f"euro_bom_crlf{suffix}", euro, ";", bom=True, crlf=True)
    return clean, semicolon, odd


def _same_adata(a: ad.AnnData, b: ad.AnnData, uns_key: str) -> None:
    assert a.X.dtype == b.X.dtype
    assert np.array_equal(np.asarray(a.X), np.asarray(b.X), equal_nan=True)
    assert sorted(a.layers) == sorted(b.layers)
    for layer in a.layers:
        assert a.layers[layer].dtype == b.layers[layer].dtype
        assert np.array_equal(a.layers[layer], b.layers[layer], equal_nan=True)
    pd.testing.assert_frame_equal(a.obs, b.obs, check_exact=True)
    pd.testing.assert_frame_equal(a.var, b.var, check_exact=True)
    assert sorted(a.uns) == sorted(b.uns)
    info_a = {k: v for k, v in a.uns[uns_key].items() if k != "path"}
    info_b = {k: v for k, v in b.uns[uns_key].items() if k != "path"}
    assert info_a == info_b


def _same_frame(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Equal frames; the qPCR reader's ``cell`` (the text as written) and the recorded path and
    delimiter aside."""
    pd.testing.assert_frame_equal(a.drop(columns=["cell"], errors="ignore"),
                                  b.drop(columns=["cell"], errors="ignore"), check_exact=True)
    assert {k: v for k, v in a.attrs.items() if k not in ("path", "delimiter")} == \
        {k: v for k, v in b.attrs.items() if k not in ("path", "delimiter")}


def _stops(read: Callable[[], object], path: Path, *needles: str) -> str:
    """The one-line exit-2 message of ``read()``: it names ``path`` and holds every needle
    (looked for after the path, which holds the test's name)."""
    with pytest.raises(InputError) as error:
        read()
    said = str(error.value)
    assert error.value.exit_code == 2 and "\n" not in said
    assert said.startswith(f"{path}: "), said
    rest = said[len(f"{path}: "):]
    for needle in needles:
        assert needle in rest, (needle, said)
    return said


def _all_equal(read: Callable[[Path], object], paths: tuple[Path, ...], compare: Callable) -> None:
    clean, *others = (read(p) for p in paths)
    for other in others:
        compare(clean, other)


# --------------------------------------------------------------------------- sample sheet


def test_samplesheet_semicolon_decimal_comma_equals_clean(tmp_path):
    paths = _twins(tmp_path, SHEET)
    _all_equal(read_samplesheet, paths, _same_frame)
    sheet = read_samplesheet(paths[1])
    assert sheet.loc["S2", "hba1c"] == 6.25 and sheet.loc["S2", "age"] == 71.5
    assert sheet["bmi"].dtype == np.float64


def test_samplesheet_of_the_test_cohort(tmp_path):
    text = (COHORT / "samplesheet.csv").read_text()
    _all_equal(read_samplesheet, _twins(tmp_path, text, keep=[0, 1]), _same_frame)


def test_samplesheet_tab_decimal_comma_still_stops(tmp_path):
    path = _write(tmp_path / "s.tsv", _european(_rows(SHEET)), "\t")
    _stops(lambda: read_samplesheet(path), path, "column 'age' must be numeric but sample 'S2'",
           "'71,5'", "decimal point (71.5)", "only in a ';'-separated sheet")
    rows = _rows(SHEET)
    rows[1][4] = "27,1"  # 'bmi' is not in the schema: a column of numbers but for S1's cell
    path = _write(tmp_path / "s.tsv", rows, "\t")
    _stops(lambda: read_samplesheet(path), path, "column 'bmi', sample 'S1'", "'27,1'",
           "decimal point (27.1)", "only in a ';'-separated sheet")


@pytest.mark.parametrize("value", ["1.234,5", "1,234,5", "30.4"])
def test_samplesheet_ambiguous_number_stops(tmp_path, value):
    rows = _european(_rows(SHEET))
    rows[2][4] = value  # S2's bmi, among decimal commas
    path = _write(tmp_path / "s.csv", rows, ";")
    _stops(lambda: read_samplesheet(path), path, "column 'bmi', sample 'S2'", repr(value),
           "ambiguous", "thousands")


# --------------------------------------------------------------------------- flow table


def _flow_text() -> str:
    table = pd.read_csv(COHORT / "flow_populations.tsv", sep="\t", dtype=str)
    table = table[table["sample"].isin(["BALI001", "BALI002", "BALI003"])]
    absolute = (table["events"].astype(float) / 7).round(3).map(lambda v: f"{v:.3f}")
    return table.assign(absolute=absolute).to_csv(sep="\t", index=False)


def test_flow_table_semicolon_decimal_comma_equals_clean(tmp_path):
    paths = _twins(tmp_path, _flow_text(), keep=[0, 1, 2])
    _all_equal(read_flow_table, paths, _same_frame)
    assert read_flow_table(paths[1])["absolute"].notna().all()


def test_flow_table_ambiguous_number_stops(tmp_path):
    rows = _european(_rows(_flow_text()), keep=[0, 1, 2])
    rows[3][5] = "1.234,5"
    path = _write(tmp_path / "f.csv", rows, ";")
    _stops(lambda: read_flow_table(path), path, "column 'absolute', row 4", "'1.234,5'",
           "ambiguous")


# --------------------------------------------------------------------------- RNA counts


def test_rna_salmon_semicolon_decimal_comma_equals_clean(tmp_path):
    paths = _twins(tmp_path, SALMON, keep=[0, 1])
    _all_equal(read_rna_counts, paths, lambda a, b: _same_adata(a, b, "rna_input"))
    adata = read_rna_counts(paths[2])
    assert adata.uns["rna_input"]["rounded"] == 5 and adata.X.dtype == np.int64


@pytest.mark.parametrize("source", [COHORT / "salmon.merged.gene_counts.tsv", NFCORE_SALMON],
                         ids=["test_cohort", "nfcore"])
def test_rna_shipped_salmon_matrix_as_semicolon_csv(tmp_path, source):
    if not source.exists():
        pytest.skip(f"{source} not available")
    _all_equal(read_rna_counts, _twins(tmp_path, source.read_text(), keep=[0, 1]),
               lambda a, b: _same_adata(a, b, "rna_input"))


def test_rna_tab_decimal_comma_still_stops(tmp_path):
    path = _write(tmp_path / "c.tsv", _european(_rows(SALMON), keep=[0, 1]), "\t")
    _stops(lambda: read_rna_counts(path), path, "gene 'G1' (row 2) in column 'S1'",
           "is '10,25', not a number", "without a thousands separator (1025)",
           "decimal point if the comma is one (10.25)")


def test_rna_ambiguous_count_stops(tmp_path):
    rows = _european(_rows(SALMON), keep=[0, 1])
    rows[2][3] = "1.234,5"
    path = _write(tmp_path / "c.csv", rows, ";")
    _stops(lambda: read_rna_counts(path), path, "row 3, column 'S2'", "'1.234,5'", "ambiguous")


# --------------------------------------------------------------------------- array matrix


def test_array_semicolon_decimal_comma_equals_clean(tmp_path):
    paths = _twins(tmp_path, ARRAY, keep=[0, 1])
    _all_equal(read_array_matrix, paths, lambda a, b: _same_adata(a, b, "rna_input"))


def test_array_tab_decimal_comma_still_stops(tmp_path):
    path = _write(tmp_path / "a.tsv", _european(_rows(ARRAY), keep=[0, 1]), "\t")
    _stops(lambda: read_array_matrix(path), path, "probe 'p1' (row 2)", "'7,5'",
           "column 'A'", "decimal point (7.5)")


# --------------------------------------------------------------------------- qPCR


def test_qpcr_semicolon_decimal_comma_equals_clean(tmp_path):
    paths = _twins(tmp_path, (COHORT / "qpcr_ct.tsv").read_text(), keep=[0, 1, 2, 3])
    _all_equal(read_qpcr, paths, _same_frame)
    eff = _twins(tmp_path / "eff" if (tmp_path / "eff").mkdir() is None else tmp_path,
                 "target,efficiency\nACTB,1.95\nVEGFA,92.5\n")
    _all_equal(read_qpcr_efficiency, eff, lambda a, b: pd.testing.assert_series_equal(a, b))


def test_qpcr_ambiguous_ct_stops(tmp_path):
    rows = _european(_rows((COHORT / "qpcr_ct.tsv").read_text()), keep=[0, 1, 2, 3])
    rows[5][4] = "1.234,5"
    path = _write(tmp_path / "ct.csv", rows, ";")
    _stops(lambda: read_qpcr(path), path, "line 6", "'1.234,5'", "ambiguous")


# --------------------------------------------------------------------------- protein


def _decimal_intensities(text: str, columns: Callable[[str], bool]) -> str:
    """The table with ``.5`` added to every non-zero whole number in ``columns``."""
    rows = _rows(text)
    chosen = [j for j, name in enumerate(rows[0]) if columns(name)]
    for row in rows[1:]:
        for j in chosen:
            if re.fullmatch(r"[1-9]\d*", row[j].strip()):
                row[j] = f"{row[j].strip()}.5"
    buffer = io.StringIO()
    csv.writer(buffer, delimiter="\t", lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def _keep_text_columns(text: str, numbers: Callable[[str], bool]) -> list[int]:
    return [j for j, name in enumerate(_rows(text)[0]) if not numbers(name)]


@pytest.mark.parametrize("source", [PROTEIN / "proteinGroups.txt", COHORT / "proteinGroups.txt"],
                         ids=["protein_fixture", "test_cohort"])
def test_maxquant_semicolon_decimal_comma_equals_clean(tmp_path, source):
    def intensity(name: str) -> bool:
        return name.lower().startswith(("intensity", "lfq intensity", "ibaq"))

    text = _decimal_intensities(source.read_text(), intensity)
    paths = _twins(tmp_path, text, keep=_keep_text_columns(text, intensity), suffix=".txt")
    for family in ("LFQ intensity", "Intensity"):
        _all_equal(lambda p, f=family: read_maxquant(p, intensity=f), paths,
                   lambda a, b: _same_adata(a, b, "protein_input"))


def test_proteus_and_tsv_semicolon_decimal_comma_equals_clean(tmp_path):
    paths = _twins(tmp_path, PROTEUS, keep=[0, 1])
    _all_equal(lambda p: read_protein_matrix(p, fmt="proteus"), paths,
               lambda a, b: _same_adata(a, b, "protein_input"))
    _all_equal(lambda p: read_protein_matrix(p, fmt="tsv", is_log2=True), paths,
               lambda a, b: _same_adata(a, b, "protein_input"))


def test_nfcore_proteus_table_as_semicolon_csv(tmp_path):
    if not NFCORE_PROTEUS.exists():
        pytest.skip(f"{NFCORE_PROTEUS} not available")
    _all_equal(lambda p: read_protein_matrix(p, fmt="proteus"),
               _twins(tmp_path, NFCORE_PROTEUS.read_text(), keep=[0]),
               lambda a, b: _same_adata(a, b, "protein_input"))


def test_diann_semicolon_decimal_comma_equals_clean(tmp_path):
    source = (PROTEIN / "report.pg_matrix.tsv").read_text()
    first_run = 5

    def run(name: str) -> bool:
        return _rows(source)[0].index(name) >= first_run

    text = _decimal_intensities(source, run)
    paths = _twins(tmp_path, text, keep=range(first_run))
    _all_equal(lambda p: read_protein_matrix(p, fmt="diann"), paths,
               lambda a, b: _same_adata(a, b, "protein_input"))


def test_olink_semicolon_decimal_comma_equals_clean(tmp_path):
    text = (PROTEIN / "olink_npx.csv").read_text()  # ';'-separated with decimal points
    header = _rows(text)[0]
    numbers = {header.index(c) for c in ("MissingFreq", "LOD", "NPX")}
    keep = [j for j in range(len(header)) if j not in numbers]
    paths = _twins(tmp_path, text, keep=keep, clean_sep=",")
    _all_equal(lambda p: read_protein_matrix(p, fmt="olink"), paths,
               lambda a, b: _same_adata(a, b, "protein_input"))


def test_protein_tab_decimal_comma_still_stops(tmp_path):
    path = _write(tmp_path / "p.tsv", _european(_rows(PROTEUS), keep=[0, 1]), "\t")
    _stops(lambda: read_protein_matrix(path, fmt="tsv", is_log2=True), path,
           "protein 'P15692' (row 2) in column 'S1'", "'27,9'", "';'-separated")


def test_protein_ambiguous_value_stops(tmp_path):
    rows = _european(_rows(PROTEUS), keep=[0, 1])
    rows[3][3] = "30.125"  # a point among decimal commas
    path = _write(tmp_path / "p.csv", rows, ";")
    _stops(lambda: read_protein_matrix(path, fmt="proteus"), path, "row 4, column 'S2'",
           "'30.125'", "ambiguous")


# --------------------------------------------------------------------------- MaxQuant header


@pytest.mark.parametrize(("family", "position"), [("Intensity", 7), ("LFQ intensity", 17)])
def test_maxquant_empty_sample_name_is_named(tmp_path, family, position):
    rows = _rows((PROTEIN / "proteinGroups.txt").read_text())
    assert rows[0][position - 1] == f"{family} A1"
    rows[0][position - 1] = f"{family} "
    path = _write(tmp_path / "proteinGroups.txt", rows, "\t")
    for intensity in ("LFQ intensity", "Intensity"):
        said = _stops(lambda i=intensity: read_maxquant(path, intensity=i), path,
                      f"column {position}:", f"'{family} '", "sample name", "empty",
                      f"'{family} S1'")
        assert "twice" not in said


# ----------------------------------------------- the table decides, not each column (audit)


def test_a_point_number_in_a_table_of_decimal_commas_stops(tmp_path):
    # '1.234' (or '226.500') beside columns of decimal commas may be a thousands separator:
    # the whole table writes decimals with ',', so it stops rather than being read as 1.234
    salmon = _write(tmp_path / "c.csv", [["gene_id", "gene_name", "A", "B"],
                                         ["G1", "VEGFA", "12,5", "1.234"], ["G2", "KDR", "3,25", "56"]], ";")
    _stops(lambda: read_rna_counts(salmon), salmon, "column 'B'", "written with '.' (1.234)",
           "table writes decimals with ','")
    matrix = _write(tmp_path / "p.csv", [["protein_id", "A", "B"], ["P1", "1234,5", "1.234"],
                                         ["P2", "22,5", "2.500"]], ";")
    _stops(lambda: read_protein_matrix(matrix, fmt="tsv", is_log2=False), matrix, "column 'B'",
           "'1.234'", "ambiguous")
    rows = _european(_rows(SHEET))
    rows[0].append("cd34_per_ml")
    for row, value in zip(rows[1:], ["226.500", "194.500", "201.000", "187.250"], strict=False):
        row.append(value)
    sheet = _write(tmp_path / "s.csv", rows, ";")
    _stops(lambda: read_samplesheet(sheet), sheet, "column 'cd34_per_ml', sample 'S1'",
           "'226.500'", "ambiguous")


def test_a_text_column_of_a_semicolon_sheet_stays_text(tmp_path):
    rows = _european(_rows(SHEET))
    rows[0].append("note")
    for row, value in zip(rows[1:], ["1,5", "2.0", "see file", ""], strict=False):
        row.append(value)
    sheet = read_samplesheet(_write(tmp_path / "s.csv", rows, ";"))
    assert sheet["note"].tolist()[:3] == ["1,5", "2.0", "see file"]
    assert sheet.loc["S2", "hba1c"] == 6.25


def test_a_tab_sheet_column_of_decimal_commas_warns(tmp_path, caplog):
    rows = _rows(SHEET)
    for row in rows[1:]:
        row[4] = row[4].replace(".", ",")  # every bmi written with a decimal comma
    with caplog.at_level("WARNING", logger="omics"):
        sheet = read_samplesheet(_write(tmp_path / "s.tsv", rows, "\t"))
    assert sheet["bmi"].dtype == object
    assert "column 'bmi' holds only numbers with a decimal comma" in caplog.text


def test_flow_thousands_group_never_starts_with_zero(tmp_path):
    path = tmp_path / "f.tsv"
    path.write_text("sample\tpopulation\tparent\tevents\tparent_events\tcells/uL\n"
                    "S1\tCD34\troot\t12\t1000\t0,512\nS2\tCD34\troot\t15\t1000\t1,250\n")
    assert read_flow_table(path)["absolute"].tolist() == [0.512, 1.25]


def test_maxquant_lfq_intensity_without_a_name_or_space_stops(tmp_path):
    rows = _rows((PROTEIN / "proteinGroups.txt").read_text())
    rows[0][16] = "LFQ intensity"
    path = _write(tmp_path / "proteinGroups.txt", rows, "\t")
    _stops(lambda: read_maxquant(path), path, "column 17:", "'LFQ intensity'", "empty")


def test_mixed_chunks_of_a_large_semicolon_matrix_give_no_pandas_warning(tmp_path, recwarn):
    # one decimal comma deep in a column of integers: the parser's chunks then differ in type
    # (pandas' DtypeWarning, printed raw before); the reader converts each column itself
    n, m = 20_000, 40
    row = ";".join(str(j) for j in range(m))
    lines = ["gene_id;gene_name;" + ";".join(f"S{j}" for j in range(m))]
    lines += [f"G{i};g{i};" + ("0,5;" + row.split(";", 1)[1] if i == 15_000 else row)
              for i in range(n)]
    path = tmp_path / "c.csv"
    path.write_text("\n".join(lines) + "\n")
    adata = read_rna_counts(path)  # salmon layout: 0,5 is rounded
    assert adata.n_vars == n and adata.X[0, 15_000] == 0
    assert not [w for w in recwarn if issubclass(w.category, pd.errors.DtypeWarning)]
