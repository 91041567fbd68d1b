"""The row field-count check of ``read_table`` (``_row_shapes``, ``_check_row_widths``).

Lines are counted by their delimiters when they hold no quote, or only quotes around
whole fields without the delimiter or a doubled quote (R's quoted row names); any other
line is split as ``csv.reader`` splits it. Both paths must give the tables pandas reads:
R ``write.table`` layout, quoted and multi-line quoted fields, CRLF, gzip. A row of
delimiters only that is wider than the header stops with the one-line row message.
"""

from __future__ import annotations

import csv
import gzip
import io
import logging

import numpy as np
import pandas as pd
import pytest

from omics._errors import InputError
from omics.io._tables import _row_shapes, _simple_quotes, read_table


def counts_frame(rows: int = 30, samples: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(rng.integers(0, 5000, size=(rows, samples)),
                         index=[f"ENSG{i:011d}" for i in range(rows)],
                         columns=[f"S{j}" for j in range(samples)])
    frame.index.name = "gene_id"
    return frame


def r_layout(frame: pd.DataFrame, sep: str = "\t", newline: str = "\n") -> str:
    """``frame`` as R's write.table writes it: quoted header without the row-name column."""
    buffer = io.StringIO()
    frame.to_csv(buffer, sep=sep, quoting=csv.QUOTE_NONNUMERIC, header=False, lineterminator=newline)
    return sep.join(f'"{c}"' for c in frame.columns) + newline + buffer.getvalue()


@pytest.fixture(autouse=True)
def _quiet(caplog):
    caplog.set_level(logging.WARNING)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("compressed", [False, True])
def test_r_layout_reads_like_the_plain_table(tmp_path, newline, compressed):
    frame = counts_frame()
    plain = tmp_path / "plain.tsv"
    frame.to_csv(plain, sep="\t")
    data = r_layout(frame, newline=newline).encode()
    r_file = tmp_path / "r.tsv"
    r_file.write_bytes(gzip.compress(data) if compressed else data)
    expected = read_table(plain, what="counts", row_names="gene_id")
    got = read_table(r_file, what="counts", row_names="gene_id")
    pd.testing.assert_frame_equal(got, expected)
    assert got.attrs == expected.attrs


def test_r_layout_keeps_counts_not_one_entry_per_row(tmp_path):
    frame = counts_frame(rows=200)
    path = tmp_path / "r.tsv"
    path.write_text(r_layout(frame))
    shape = _row_shapes(path, "\t", 1, frame.shape[1], "counts")
    assert (shape.rows, shape.plus_one, shape.others) == (200, 200, 0)
    assert shape.plus_one_filled and shape.irregular == [] and shape.first_regular is None


SHEET_QUOTED = (
    'sample,arm,notes\n'
    '"S1","placebo","plain"\n'                      # whole quoted fields: counted by delimiters
    'S2,"bmmnc",""\n'                               # an empty quoted field
    '"S3",placebo,"left, leg"\n'                    # a quoted delimiter: csv path
    '"S4",placebo,"a ""quoted"" word"\n'            # doubled quotes: csv path
    'S5,bmmnc,"line one\nline two, more"\n'         # a quoted field over two lines: csv path
    'S6,bmmnc,5" tube\n'                            # a quote inside a field: csv path
    '"S7","placebo",x\n'
)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("compressed", [False, True])
def test_quoted_fields_read_as_pandas_reads_them(tmp_path, newline, compressed):
    data = SHEET_QUOTED.replace("\n", newline).encode()
    path = tmp_path / "sheet.csv"
    path.write_bytes(gzip.compress(data) if compressed else data)
    got = read_table(path, what="sample sheet", dtype=str)
    expected = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False,
                           na_values=["NA", ""])
    pd.testing.assert_frame_equal(got, expected)
    assert got["notes"].iloc[4] == f"line one{newline}line two, more"


def test_multiline_quoted_field_in_r_layout(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text('"arm","notes"\n"S1","placebo","a\nb"\n"S2","placebo","c"\n"S3","bmmnc","d"\n')
    got = read_table(path, what="sample sheet", dtype=str, row_names="sample")
    assert got.columns.tolist() == ["sample", "arm", "notes"]
    assert got["sample"].tolist() == ["S1", "S2", "S3"]
    assert got["notes"].tolist() == ["a\nb", "c", "d"]


@pytest.mark.parametrize("line", [
    '"G1",1,2',            # R row name: fast
    '"G1","x",2',          # two whole quoted fields: fast
    '"",1,2',              # empty quoted field: fast
    '" ",,',               # blank quoted field: fast, blank row
    '1,2,""',              # quoted last field, empty: fast
    '"a,b",1',             # quoted delimiter: csv
    '"a""b",1,2',          # doubled quote: csv
    'a"b,1,2',             # quote inside a field: csv
    '"a"b,1,2',            # text after a closing quote: csv
    '"x" ,1,2,3',          # a space after the closing quote: csv
    'x,"y"z,"w"',          # csv
])
def test_row_counts_agree_with_csv(tmp_path, line):
    path = tmp_path / "t.csv"
    path.write_text(f"h1,h2,h3\n{line}\n")
    fields = next(csv.reader([line]))
    shape = _row_shapes(path, ",", 1, 3, "table")
    if all(not f.strip() for f in fields) and len(fields) <= 3:
        assert shape.rows == 0
        return
    assert shape.rows == 1
    count = (3 if shape.first_regular else 4 if shape.plus_one else shape.irregular[0][1])
    assert count == len(fields)
    if shape.plus_one:
        assert shape.plus_one_filled == bool(fields[-1].strip())


def test_simple_quotes_takes_only_whole_plain_fields():
    assert _simple_quotes('"G1"\t1\t2', "\t") == ["", "G1", "\t1\t2"]
    assert _simple_quotes('1\t"G1"', "\t") == ["1\t", "G1", ""]
    for line in ['"a\tb"\t1', '"a""b"\t1', 'a"b\t1', '"a"b\t1', '"open\t1', '1\t"x" ']:
        assert _simple_quotes(line, "\t") is None, line
    wide = "\t".join(f'"{i}"' for i in range(10))
    assert _simple_quotes(wide, "\t") is not None
    assert _simple_quotes(wide.replace('"5"', '"5\t5"'), "\t") is None
    assert _simple_quotes(wide.replace('"5"', '"5"x'), "\t") is None


def test_delimiters_only_row_wider_than_the_header_stops_with_the_row_message(tmp_path):
    path = tmp_path / "sheet.csv"
    path.write_text("sample;arm;;\nS1;placebo;;\nS2;placebo;;\n;;;;;;\n")
    with pytest.raises(InputError) as err:
        read_table(path, what="sample sheet", dtype=str)
    text = str(err.value)
    assert "row 4" in text and "has 7 field(s) but the header has 4" in text
    assert "C error" not in text


def test_delimiters_only_row_no_wider_than_the_header_is_empty(tmp_path):
    path = tmp_path / "sheet.csv"
    path.write_text("sample;arm;;\nS1;placebo;;\n;;;\nS2;placebo;;\n")
    table = read_table(path, what="sample sheet", dtype=str)
    assert table["sample"].dropna().tolist() == ["S1", "S2"]


def test_r_layout_with_a_short_row_names_it(tmp_path):
    frame = counts_frame(rows=5)
    lines = r_layout(frame).splitlines()
    lines[3] = lines[3].rsplit("\t", 1)[0]
    path = tmp_path / "r.tsv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as err:
        read_table(path, what="counts", row_names="gene_id")
    assert "row 4" in str(err.value) and "has 5 field(s)" in str(err.value)

