"""Delimited-table reading with input checks shared by every reader."""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import re
import warnings
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import numpy as np
import pandas as pd

from .._errors import InputError
from .._logging import get_logger

log = get_logger("io")

_DELIMITERS = {"\t": "tab", ",": "comma", ";": "semicolon"}
_GZIP_MAGIC = b"\x1f\x8b"
# Other compressed or binary formats that pandas might open by suffix but the sniffers cannot.
_OTHER_MAGIC = {
    b"PK\x03\x04": "a zip archive (or an Excel .xlsx workbook)",
    b"\xfd7zXZ\x00": "xz-compressed",
    b"\x28\xb5\x2f\xfd": "zstd-compressed",
    b"\xd0\xcf\x11\xe0": "an old Excel .xls workbook",
}
_BZIP2 = re.compile(rb"^BZh[1-9]1AY&SY")
#: Text that is a number written with a decimal comma or digit grouping (``10,5``, ``1 000``,
#: ``1'000.5``): not a number to the readers (but for decimal commas in a ``;``-separated
#: table, :func:`decimal_comma_numbers`), but not words either.
NUMBER_LIKE = re.compile(r"^[+-]?[\d.,' ]*\d[\d.,' ]*([eE][+-]?\d+)?$")
# pandas' name for header cells left empty (Excel's trailing ",,").
UNNAMED = re.compile(r"^Unnamed: (\d+)$")
#: Cell texts every reader takes for a missing value, compared stripped and case-insensitively:
#: empty, ``NA`` (R), ``NaN`` (pandas, numpy), ``N/A``, ``#N/A`` (Excel) and ``null`` (SQL, JSON).
#: ``-`` is not one: a sample sheet stops on it (a lost minus sign, or "not applicable"?), and
#: only the qPCR reader reads it, with the instrument exports, as "no amplification".
MISSING_VALUES = frozenset({"", "na", "nan", "n/a", "#n/a", "null"})
_GZIP_ERRORS = (EOFError, OSError, zlib.error)
_MONTHS = "jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec"
# What Excel turns symbols such as SEPT2, MARCH1 or DEC1 into ("2-Sep", "1-Mar", "Dec-01",
# "2006/09/02"); the first two forms are the ones seen in supplementary tables.
_EXCEL_DATE = re.compile(
    rf"^(\d{{1,2}}-({_MONTHS})|({_MONTHS})-\d{{1,2}}|\d{{4}}[-/]\d{{2}}[-/]\d{{2}}([ T].*)?)$",
    re.IGNORECASE,
)


def check_file(path: str | Path) -> Path:
    """Return ``path`` as a Path after checking it exists, is a file and is not empty."""
    path = Path(path)
    if not path.exists():
        raise InputError("file not found; check the path.", path=path)
    if path.is_dir():
        raise InputError("is a directory; give the path of a file.", path=path)
    if path.stat().st_size == 0:
        raise InputError("file is empty; give a file with a header row and data.", path=path)
    return path


def is_gzip(path: str | Path) -> bool:
    """Return whether ``path`` is gzip-compressed, judged by its magic bytes (not its suffix).

    Other compressed formats (zip, bzip2, xz, zstd, Excel workbooks) stop with a message.
    """
    with Path(path).open("rb") as handle:
        magic = handle.read(10)
    if magic.startswith(_GZIP_MAGIC):
        return True
    kind = next((k for m, k in _OTHER_MAGIC.items() if magic.startswith(m)), None)
    if kind is None and _BZIP2.match(magic):
        kind = "bzip2-compressed"
    if kind:
        raise InputError(
            f"the file is {kind}, not text; give a plain or gzip-compressed CSV/TSV file "
            "(decompress it, or export the sheet as CSV/TSV).",
            path=path,
        )
    return False


def open_text(path: str | Path) -> TextIO:
    """Open a text file for reading, decompressing it when it is gzip (see :func:`is_gzip`)."""
    path = Path(path)
    if is_gzip(path):
        return gzip.open(path, "rt", encoding="utf-8-sig", errors="replace")
    return path.open(encoding="utf-8-sig", errors="replace")


def _corrupt_gzip(path: Path) -> InputError:
    return InputError("the gzip file is corrupt or truncated; compress it again (or give it "
                      "uncompressed).", path=path)


@contextmanager
def _text_errors(path: Path, what: str, gz: bool) -> Iterator[None]:
    """Turn a read's undecodable text or broken gzip stream into the file's one-line error."""
    try:
        yield
    except UnicodeDecodeError:
        raise InputError(f"the {what} is not UTF-8 text; save it as UTF-8 CSV/TSV.", path=path) from None
    except _GZIP_ERRORS:
        if gz:
            raise _corrupt_gzip(path) from None
        raise


def _head(path: Path, comment: str | tuple[str, ...] | None = None, n: int = 2) -> list[tuple[int, str]]:
    """Return the first ``n`` non-blank lines with their 1-based line numbers.

    Lines starting with ``comment`` (or any of several prefixes) before the first of them
    (the header) are skipped; after it they are data.
    """
    found: list[tuple[int, str]] = []
    gz = is_gzip(path)
    try:
        with open_text(path) as handle:
            for number, line in enumerate(handle, start=1):
                if comment and not found and line.startswith(comment):
                    continue
                if line.strip():
                    found.append((number, line.rstrip("\r\n")))
                    if len(found) == n:
                        break
    except _GZIP_ERRORS:
        if not gz:
            raise
        if not found:
            raise _corrupt_gzip(path) from None
    if not found:
        raise InputError("file has no header row; it looks empty.", path=path)
    return found


def _first_line(path: Path, comment: str | tuple[str, ...] | None = None) -> str:
    return _head(path, comment, n=1)[0][1]


def sniff_delimiter(path: str | Path, comment: str | tuple[str, ...] | None = None) -> str:
    """Guess the delimiter (tab, comma or semicolon) from the header line.

    ``comment``: lines starting with it before the header are skipped.
    """
    header = _first_line(Path(path), comment)
    counts = {sep: header.count(sep) for sep in _DELIMITERS}
    best = max(counts, key=lambda sep: counts[sep])
    if counts[best] == 0:
        raise InputError(
            f"the header line has a single column ({header[:60]!r}); the file must be tab- or "
            "comma-separated. Re-save it as CSV or TSV.",
            path=path,
        )
    return best


def is_missing(values: pd.Series) -> pd.Series:
    """Whether each cell is missing: NaN, or text in :data:`MISSING_VALUES` (stripped, any case)."""
    text = values.astype("string").str.strip().str.lower()
    return (values.isna() | text.isin(MISSING_VALUES)).fillna(True).astype(bool)


def blank_cells(column: pd.Series) -> pd.Series:
    """Return whether each cell is empty: NaN or only white space.

    Parameters
    ----------
    column
        A table column, of any dtype.

    Returns
    -------
    pandas.Series
        Booleans, one per cell.
    """
    return (column.isna() | (column.astype("string").str.strip() == "")).fillna(True).astype(bool)


def drop_empty_unnamed(table: pd.DataFrame, *, path: str | Path, what: str, first_line: int,
                       row_names: str | None = None,
                       lines: Sequence[int] | None = None) -> pd.DataFrame:
    """Drop the columns without a header name and without values; stop on one with values.

    Excel (and other spreadsheet exports) end every line with a delimiter, or several
    (``a,b,c,,``), for columns once used: the empty header fields become pandas'
    ``Unnamed: <i>`` columns, and without values they are dropped, so the table reads
    like its clean twin. An unnamed column holding values (a sample whose name was
    deleted?) stops, naming its position, except the first column: there it holds row
    names (pandas' ``to_csv``, R's ``write.table(col.names = NA)``) and is called
    ``row_names`` when that is given.

    Parameters
    ----------
    table
        As read by :func:`pandas.read_csv`.
    path, what
        The file and its role, named in messages.
    first_line
        File line number of the first data row.
    row_names
        Name for an unnamed first column with values (None: keep pandas' name).
    lines
        File line of each row (None: rows follow each other from ``first_line``).

    Returns
    -------
    The table without the empty unnamed columns.
    """
    columns = [str(c) for c in table.columns]
    unnamed = [i for i, c in enumerate(columns) if UNNAMED.match(c.strip())]
    if not unnamed:
        return table
    empty = {i for i in unnamed if blank_cells(table.iloc[:, i]).all()}
    for i in unnamed:
        if i in empty or i == 0:
            continue
        cells = table.iloc[:, i]
        row = int(np.flatnonzero(~blank_cells(cells).to_numpy())[0])
        named = [c for j, c in enumerate(columns) if j not in unnamed]
        before = [c for c in columns[:i] if c in named]
        after = [c for c in columns[i + 1:] if c in named]
        around = (f"between {before[-1]!r} and {after[0]!r}" if before and after
                  else f"after {before[-1]!r}" if before else f"before {after[0]!r}" if after else "")
        position = int(UNNAMED.match(columns[i].strip()).group(1)) + 1
        raise InputError(
            f"the header of the {what} gives this column no name"
            f"{f' (it is {around})' if around else ''}, but the column holds values (first: "
            f"{str(cells.iloc[row]).strip()!r} on row "
            f"{lines[row] if lines is not None else first_line + row}).",
            path=path, where=f"column {position}",
            fix="Name the column (a sample column needs its sample name), or delete it.")
    if empty:
        log.debug("%s: ignored %d empty column(s) without a name (trailing delimiters)",
                  Path(path).name, len(empty))
        table = table.drop(columns=[table.columns[i] for i in sorted(empty)])
    if 0 in unnamed and 0 not in empty and row_names is not None and row_names not in table.columns:
        table = table.rename(columns={table.columns[0]: row_names})
    return table


def _fields(line: str, sep: str) -> list[str]:
    """Split one line into its fields as :func:`pandas.read_csv` does.

    A quoted field may hold the delimiter (``"left, leg"`` is one field).
    """
    return next(csv.reader([line], delimiter=sep), [""])


#: Irregular rows :class:`_RowShape` keeps (the check names only the first).
_KEPT_IRREGULAR = 10


@dataclass
class _RowShape:
    """Field counts of a table's data rows, as :func:`_row_shapes` finds them.

    Attributes
    ----------
    width
        The header's field count.
    rows
        Number of data rows that hold a value (blank lines, and rows of delimiters only
        no wider than the header, Excel's ``,,,,``, are not counted: read_table drops them).
    plus_one
        Number of rows with one field more than the header (R's ``write.table`` layout).
    plus_one_filled
        Whether any of them has a value in its last field (row names, not a trailing
        delimiter on every row).
    plus_one_gap
        Whether any of them with an empty last field also has an empty field among the
        header's width (``P2,case,,61,``: a stray delimiter may have shifted its values).
    first_plus_one
        File line of the first of them (None: there is none).
    first_regular
        File line of the first row with the header's field count (None: there is none).
    others
        Number of rows whose field count is neither the header's nor one more.
    irregular
        ``(line, fields)`` of the first of them (at most ``_KEPT_IRREGULAR``), in file order.
    """

    width: int
    rows: int = 0
    plus_one: int = 0
    plus_one_filled: bool = False
    plus_one_gap: bool = False
    first_plus_one: int | None = None
    first_regular: int | None = None
    others: int = 0
    irregular: list[tuple[int, int]] = field(default_factory=list)
    #: File line of each row :func:`pandas.read_csv` reads (it skips empty and white-space-only
    #: lines, not rows of delimiters), in file order; None when the walk could not follow pandas.
    starts: list[int] | None = field(default_factory=list)
    #: ``(first line, last line, position in starts)`` of each such row that is blank in every
    #: cell (Excel's ``,,,,``, a tab-only row): :func:`read_table` drops them.
    blank_rows: list[tuple[int, int, int]] = field(default_factory=list)
    #: The same for blank rows one field wider than the header: blank rows of R's
    #: ``write.table`` layout (every row one field wider), or a stray delimiter run otherwise.
    wide_blank_rows: list[tuple[int, int, int]] = field(default_factory=list)

    def add(self, line: int, count: int, last_filled: bool, gap: bool = False) -> None:
        """Record data row ``line`` with ``count`` fields.

        ``last_filled``: its last field has a value; ``gap``: an empty field before the last.
        """
        self.rows += 1
        if count == self.width:
            if self.first_regular is None:
                self.first_regular = line
        elif count == self.width + 1:
            self.plus_one += 1
            self.plus_one_filled = self.plus_one_filled or last_filled
            self.plus_one_gap = self.plus_one_gap or gap
            if self.first_plus_one is None:
                self.first_plus_one = line
        else:
            self.others += 1
            if len(self.irregular) < _KEPT_IRREGULAR:
                self.irregular.append((line, count))


def _simple_quotes(line: str, sep: str) -> list[str] | None:
    """Split ``line`` at its quotes when every quoted part is a whole plain field, else None.

    A whole plain field starts and ends a field (``"G1"`` between delimiters) and holds
    neither the delimiter nor a doubled quote, so the line's fields are its delimiters
    plus one, as :func:`pandas.read_csv` reads them. The odd-index parts returned are the
    quoted contents. Any other quote (a quoted delimiter, a ``""`` escape, a quoted field
    running over the line end, a ``"`` inside a field) gives None.
    """
    parts = line.split('"')
    pairs = len(parts) // 2
    if len(parts) % 2 == 0:
        return None
    if pairs <= 4:  # R's quoted row names, a few quoted text columns
        for k in range(1, len(parts), 2):
            before, after = parts[k - 1], parts[k + 1]
            if (sep in parts[k] or (before[-1:] != sep and (k > 1 or before))
                    or (after[:1] != sep and (k < len(parts) - 2 or after))):
                return None
        return parts
    if sep in "".join(parts[1::2]):
        return None
    # with no delimiter inside quotes, a quote after a delimiter (or at the line start) opens
    # a field and one before a delimiter (or at the line end) closes it: every pair must do both
    if (line.count(sep + '"') + line.startswith('"') != pairs
            or line.count('"' + sep) + line.endswith('"') != pairs):
        return None
    return parts


def _gap_before_last(line: str, sep: str) -> bool:
    """Whether a field before the last one of ``line`` is empty or white space only.

    Substring tests first (a delimiter at either end of the fields before the last, two
    in a row, or one beside white space), so that a wide row without any costs no split;
    quoted lines are split as :func:`pandas.read_csv` splits them.
    """
    if '"' in line:
        return any(not f.strip() for f in next(csv.reader([line], delimiter=sep), [""])[:-1])
    body = line[:line.rfind(sep)]
    spaces = " " if sep == "\t" else " \t"
    if not (body == "" or body.startswith(sep) or body.endswith(sep) or sep + sep in body
            or any(sep + c in body or c + sep in body for c in spaces)
            or body[:1].isspace() or body[-1:].isspace()):
        return False
    return any(not f.strip() for f in body.split(sep))


def _row_shapes(path: Path, sep: str, header_line: int, width: int, what: str) -> _RowShape:
    """Count the fields of every data row after the header (file line ``header_line``).

    A line without quotes, or whose quotes only enclose whole fields without the
    delimiter or a doubled quote (``"G1"``, R's quoted row names), is counted by its
    delimiters (fast for wide matrices); any other line (a quoted delimiter, a ``""``
    escape, a quoted field running over the line end, a ``"`` inside a field) is split
    as :func:`pandas.read_csv` splits it. ``width`` is the header's field count; ``what``
    names the file's role in messages. Text that is not UTF-8 stops, as
    :func:`pandas.read_csv` would.
    """
    shape = _RowShape(width)
    blank_chars = f"{sep} \t"
    # the white space pandas skips a line of (skip_blank_lines): spaces and tabs, but not the delimiter
    pandas_blank = " \t".replace(sep, "")
    starts: list[int] = []
    gz = is_gzip(path)
    with _text_errors(path, what, gz):
        with (gzip.open(path, "rt", encoding="utf-8-sig") if gz
              else path.open(encoding="utf-8-sig")) as handle:
            numbered = enumerate(handle, start=1)
            for number, line in numbered:
                if number <= header_line:
                    continue
                line = line.rstrip("\r\n")
                parts = _simple_quotes(line, sep) if '"' in line else None
                last_line = number
                if '"' not in line:
                    if not line.strip(pandas_blank):
                        continue  # pandas skips the line
                    count = line.count(sep) + 1
                    # only delimiters and white space (strip stops at the first other character)
                    blank = not line.strip(blank_chars)
                    last_filled = count != width and bool(line[line.rfind(sep) + 1:].strip())
                elif parts is not None:
                    count = line.count(sep) + 1
                    rest = line.strip(blank_chars + '"')
                    if rest and rest[0].isspace():
                        # a quoted field of other white space (a no-break space) is blank
                        rest = "".join(p if i % 2 == 0 else ("q" if p.strip() else "")
                                       for i, p in enumerate(parts)).strip(blank_chars)
                    blank = not rest
                    last = parts[-2] if line.endswith('"') else parts[-1][parts[-1].rfind(sep) + 1:]
                    last_filled = count != width and bool(last.strip())
                else:
                    # csv pulls the continuation lines of a quoted field from the same iterator
                    reader = csv.reader(itertools.chain([line], (rest for _, rest in numbered)),
                                        delimiter=sep)
                    try:
                        fields = next(reader, [])
                    except csv.Error:  # a NUL byte, ...: pandas reports the file as it is
                        return _RowShape(width, first_regular=shape.first_regular, starts=None)
                    last_line = number + max(reader.line_num - 1, 0)
                    count = len(fields)
                    blank = all(not f.strip() for f in fields)
                    last_filled = bool(fields) and bool(fields[-1].strip())
                starts.append(number)
                # a blank row wider than the header is a stray delimiter run, not an empty row
                if blank and count <= width:
                    shape.blank_rows.append((number, last_line, len(starts) - 1))
                    continue
                if blank and count == width + 1:
                    shape.wide_blank_rows.append((number, last_line, len(starts) - 1))
                gap = count == width + 1 and not last_filled and _gap_before_last(line, sep)
                shape.add(number, count, last_filled, gap)
    shape.starts = starts
    return shape


def _without_lines(path: Path, drop: set[int]) -> io.StringIO:
    """Return the text of ``path`` (gzip or plain, UTF-8) without the file lines in ``drop``."""
    gz = is_gzip(path)
    with (gzip.open(path, "rt", encoding="utf-8-sig", newline="") if gz
          else path.open(encoding="utf-8-sig", newline="")) as handle:
        return io.StringIO("".join(line for number, line in enumerate(handle, start=1)
                                   if number not in drop))


def _check_row_widths(shape: _RowShape, width: int, *, path: Path, what: str) -> bool:
    """Stop on a data row whose field count is not the header's; return whether rows have one more.

    Every data row with exactly one field more than the header is R's ``write.table``
    layout (or a trailing delimiter on every row), and is accepted, as are rows with one
    more, empty, field beside rows of the header's width when none of them has another
    empty field (a trailing delimiter on some rows; pandas then reads the header's columns
    only; ``P2,case,,61,`` may be a stray delimiter that shifted ``61``); otherwise a row with
    more fields than the header (a stray delimiter, a value without a column, a row of
    delimiters only wider than the header) or fewer (a missing delimiter, which shifts
    the values after it into the wrong columns) stops, naming its file line and the field
    counts.
    """
    if not shape.plus_one and not shape.others:
        return False
    if shape.plus_one == shape.rows:
        return True
    if not shape.others and not shape.plus_one_filled and not shape.plus_one_gap:
        # a trailing delimiter on some rows only (an edited export): their extra field is
        # empty, and no field before it is (else a stray delimiter may have shifted values)
        log.info("%s: %d row(s) end with a delimiter (from file line %d); the empty field after "
                 "it is ignored", path.name, shape.plus_one, shape.first_plus_one)
        return True
    regular = shape.rows - shape.plus_one - shape.others
    # most rows one field longer: an R write.table layout with a bad row
    expected = width + 1 if shape.plus_one > regular else width
    candidates = shape.irregular[:1]
    if expected == width and shape.first_plus_one is not None:
        candidates.append((shape.first_plus_one, width + 1))
    if expected != width and shape.first_regular is not None:
        candidates.append((shape.first_regular, width))
    line, count = min(candidates)
    if expected == width:
        others = f"the header has {width}"
    else:
        others = (f"the other rows have {expected} (a header one field shorter than the rows, "
                  f"R's write.table layout) and the header {width}")
    if count > expected:
        fix = ("Remove the extra field(s) (a stray delimiter, or a trailing one on this row only), "
               "or name the column in the header.")
    else:
        fix = ("A missing delimiter shifts the values after it into the wrong columns: add the "
               "missing field(s), empty ones for unknown values (e.g. 'a,,c').")
    raise InputError(f"the row of the {what} has {count} field(s) but {others}.",
                     path=path, where=f"row {line}", fix=fix)


def read_table(
    path: str | Path,
    *,
    required: Sequence[str] = (),
    what: str = "table",
    comment: str | tuple[str, ...] | None = None,
    dtype: object = None,
    row_names: str | None = None,
    na_values: Sequence[str] = ("NA", ""),
) -> pd.DataFrame:
    """Read a CSV/TSV file, detecting the delimiter and checking required columns.

    Gzip-compressed files (recognised by their content, whatever the suffix) are read
    like plain ones. Every data row has the header's number of fields, or every row one
    more: a header with one field fewer than the data rows, as R's ``write.table`` writes
    it, means the first column holds row names (a trailing delimiter on every row is
    dropped). A row with fewer or more fields (a missing or stray delimiter, a trailing
    one on some rows only, a row of delimiters only wider than the header) stops, naming
    its line (:func:`_check_row_widths`); blank lines and rows blank in every cell no wider
    than the header (Excel's ``,,,,``, tab-only rows) are dropped, so the table is the clean
    file's (a row with an id but no values is not blank, and is kept). Columns without a
    header name and without values (a spreadsheet's trailing delimiters) are dropped; one
    with values stops
    (:func:`drop_empty_unnamed`).

    Parameters
    ----------
    path
        File to read.
    required
        Column names that must be present.
    what
        Name of the file's role, used in messages ("sample sheet", ...).
    comment
        Lines starting with this (or with any of a tuple of prefixes) before the header are
        skipped (featureCounts' ``# Program:...`` line; a qPCR instrument's ``* ...`` lines
        and ``[Results]``). After the header every line is data: the character is text
        inside a line (a sample ``S#2``, a cell ``#N/A``).
    dtype
        Passed to :func:`pandas.read_csv`.
    row_names
        Name given to an unnamed row-name column (R layout); when None, row names are dropped.
    na_values
        Cell values read as missing; with none, empty cells are read as ``""``.

    Returns
    -------
    The table, with column names stripped of surrounding white space and a default
    index; ``attrs["first_line"]`` is the file line number of the first data row,
    ``attrs["lines"]`` the file line of each row (None when unknown; use
    :func:`data_lines`), ``attrs["header_line"]`` the header's file line and
    ``attrs["delimiter"]`` the delimiter found.
    """
    path = check_file(path)
    sep = sniff_delimiter(path, comment)
    lines = _head(path, comment, n=2)
    header = [h.strip().strip('"') for h in _fields(lines[0][1], sep)]
    repeated = sorted({h for h in header if header.count(h) > 1 and h})
    if repeated:
        raise InputError(
            f"duplicated column name(s) in the header of the {what}: "
            f"{', '.join(map(repr, repeated[:5]))}; each column needs a unique name (a duplicated "
            "sample column?).",
            path=path,
        )
    # Every data row one field longer than the header: R row names, or a trailing delimiter
    # on every row; any other row whose field count is not the header's stops.
    shape = _row_shapes(path, sep, lines[0][0], len(header), what)
    extra_field = _check_row_widths(shape, len(header), path=path, what=what)
    has_row_names = extra_field and shape.plus_one_filled
    gz = is_gzip(path)
    source: Path | io.StringIO = path
    starts = shape.starts
    # in R's layout (every row one field wider than the header) a blank row is one wider too
    blank_rows = shape.blank_rows + (shape.wide_blank_rows if extra_field else [])
    if blank_rows and starts is not None:
        # rows blank in every cell (Excel's ",,,,", tab-only rows): read the text without them,
        # so that the table (and the types of its columns) is the clean file's
        blank = {first for first, _, _ in blank_rows}
        log.debug("%s: ignored %d row(s) blank in every cell (from file line %d)", path.name,
                  len(blank), min(blank))
        with _text_errors(path, what, gz):
            source = _without_lines(path, {n for first, last, _ in blank_rows
                                           for n in range(first, last + 1)})
        starts = [n for n in starts if n not in blank]
    try:
        with _text_errors(path, what, gz), warnings.catch_warnings():
            # mixed types across the parser's chunks (decimal-comma text next to numbers):
            # every reader checks and converts each column itself, so pandas' warning is noise
            warnings.simplefilter("ignore", pd.errors.DtypeWarning)
            table = pd.read_csv(
                source, sep=sep, dtype=dtype, encoding="utf-8-sig", na_values=list(na_values),
                keep_default_na=False, compression="gzip" if gz and source is path else None,
                index_col=False if extra_field and not has_row_names else None,
                # a trailing delimiter on some rows only: their empty last field is not read
                usecols=range(len(header)) if extra_field and not has_row_names else None,
                # the lines before the header: blank, or comments
                skiprows=lines[0][0] - 1 if comment else None,
            )
    except pd.errors.ParserError as err:
        raise InputError(
            f"cannot parse the {what} as {_DELIMITERS[sep]}-separated text ({err}); check that "
            "every row has the same number of fields.",
            path=path,
        ) from None
    if has_row_names:
        if row_names is None:
            log.info("%s: the header has one field fewer than the data rows (R write.table layout); "
                     "the first column is taken as row names and ignored", path.name)
            table = table.reset_index(drop=True)
        else:
            name = row_names if row_names not in table.columns else "row.names"
            log.info("%s: the header has one field fewer than the data rows (R write.table layout); "
                     "the first column is taken as %r", path.name, name)
            table = table.rename_axis(name).reset_index()
    table.columns = [str(c).strip() for c in table.columns]
    if table.shape[0] == 0:
        raise InputError(f"the {what} has a header but no data rows.", path=path)
    if starts is not None and len(starts) != table.shape[0]:
        log.debug("%s: %d rows read but %d found by the line walk; row numbers count from the "
                  "first data line", path.name, table.shape[0], len(starts))
        starts = None
    first_line = starts[0] if starts else lines[1][0] if len(lines) > 1 else lines[0][0] + 1
    table = drop_empty_unnamed(table, path=path, what=what, first_line=first_line,
                               row_names=row_names, lines=starts)
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise InputError(
            f"the {what} lacks required column(s) {', '.join(map(repr, missing))} (found: "
            f"{', '.join(map(repr, table.columns[:12]))}); rename or add them.",
            path=path,
        )
    table.attrs["header_line"] = lines[0][0]
    table.attrs["first_line"] = first_line
    table.attrs["lines"] = None if starts is None else FileLines(starts)
    table.attrs["delimiter"] = sep
    return table


class FileLines(tuple):
    """The file line of each row of a table: a tuple that deep copies as itself.

    pandas deep-copies ``attrs`` into every frame or column derived from a table (each
    ``astype``, ``str`` method, selection), so a list of one line per row made a reader of
    54,000 rows 5x slower; this record is immutable and shared instead.
    """

    __slots__ = ()

    def __deepcopy__(self, memo: dict) -> FileLines:
        return self


def data_lines(table: pd.DataFrame) -> Sequence[int]:
    """Return the file line of each row of a table read by :func:`read_table`, by position.

    Blank lines, dropped blank rows and lines before the header are not rows, so row ``i``
    is on file line ``data_lines(table)[i]``, not ``first_line + i``. Without the record
    (a table not read by :func:`read_table`) rows count from ``attrs["first_line"]`` (default 2).

    Parameters
    ----------
    table
        A table returned by :func:`read_table`, in its rows' file order.

    Returns
    -------
    Sequence[int]
        One file line number per row.
    """
    lines = table.attrs.get("lines")
    if lines is not None and len(lines) == table.shape[0]:
        return lines
    first = table.attrs.get("first_line", 2)
    return range(first, first + table.shape[0])


def _rows(count: int, rows: Sequence[int] | None) -> Sequence[int]:
    return rows if rows is not None else range(2, count + 2)


def _shown(items: Sequence[str], limit: int = 5) -> str:
    """Join ``items``, showing at most ``limit`` of them and then ``... (N in all)``."""
    more = f" ... ({len(items)} in all)" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def check_unique(values: Iterable[object], *, column: str, path: str | Path, what: str,
                 rows: Sequence[int] | None = None) -> None:
    """Stop when ``values`` has duplicates, naming them and their rows.

    ``rows`` are the file line numbers of the values (default: value ``i`` on line ``i + 2``).
    At most 5 values, and 5 rows of each, are listed.
    """
    series = pd.Series(list(values))
    dup = series[series.duplicated(keep=False)]
    if not dup.empty:
        lines = _rows(len(series), rows)
        groups = list(dup.groupby(dup).groups.items())
        examples = [f"{value!r} at rows {_shown([str(lines[i]) for i in idx])}" for value, idx in groups]
        more = f"; ... ({len(groups)} duplicated values in all)" if len(groups) > 5 else ""
        raise InputError(
            f"duplicated {what} in column {column!r}: {'; '.join(examples[:5])}{more}. Each {what} "
            "must be unique.",
            path=path,
        )


def check_excel_mangled(names: Iterable[object], *, column: str, path: str | Path,
                        rows: Sequence[int] | None = None) -> None:
    """Stop when gene names look like Excel date conversions (``1-Mar``, ``2-Sep``).

    ``rows`` are the file line numbers of the names (default: name ``i`` on line ``i + 2``).
    """
    names = list(names)
    lines = _rows(len(names), rows)
    bad = [(i, n) for i, n in enumerate(names) if isinstance(n, str) and _EXCEL_DATE.match(n)]
    if bad:
        shown = ", ".join(f"{n!r} (row {lines[i]})" for i, n in bad[:5])
        raise InputError(
            f"column {column!r} holds {len(bad)} gene name(s) that look like Excel dates: {shown}. "
            "Excel converts symbols such as MARCH1 and SEPT2 into dates; export the table "
            "again without opening it in Excel (or import the column as text).",
            path=path,
        )


def check_ids(values: Iterable[object], *, column: str, path: str | Path, what: str,
              rows: Sequence[int] | None = None) -> None:
    """Stop when an id is empty or missing (NaN, blank, a :data:`MISSING_VALUES` spelling), naming its row.

    ``rows`` are the file line numbers of the values (default: value ``i`` on line ``i + 2``).
    """
    values = list(values)
    lines = _rows(len(values), rows)
    for i, value in enumerate(values):
        if value is None or (isinstance(value, float) and value != value) or \
                str(value).strip().lower() in MISSING_VALUES:
            raise InputError(f"empty {what}." if value is None or value != value or not str(
                value).strip() else f"{what} {value!r} is a missing-value marker.",
                path=path, where=f"row {lines[i]}, column {column!r}",
                fix=f"Every row needs a {what}: fill it in or remove the row.")


def check_numbers(matrix: np.ndarray, *, labels: Sequence[str], columns: Sequence[object],
                  rows: Sequence[int], path: str | Path, what: str, maximum: float,
                  fix: str) -> None:
    """Stop at the first value of ``matrix`` (features x samples) that is not finite or exceeds ``maximum``.

    ``labels[i]``, ``rows[i]`` describe row ``i`` and ``columns[j]`` column ``j`` in the message.
    """
    # One pass over the values first (NaN compares False; infinity is above any finite
    # maximum): the full check below builds five temporaries, 1.25 s for 20 million values.
    magnitude = np.abs(matrix)
    if not ((magnitude > maximum).any() or (np.isinf(maximum) and np.isinf(magnitude).any())):
        return
    bad = ~np.isfinite(matrix) | (np.abs(np.nan_to_num(matrix, nan=0.0)) > maximum)
    bad &= ~np.isnan(matrix)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        value = matrix[r, c]
        problem = "is not a finite number" if not np.isfinite(value) else \
            f"is larger than any plausible {what} (limit {maximum:.6g})"
        raise InputError(f"{what} {float(value):g} for {labels[r]} {problem}.", path=path,
                         where=f"row {rows[r]}, column {columns[c]!r}", fix=fix)


def first_annotation_column(text: pd.DataFrame, values: pd.DataFrame,
                            missing: pd.DataFrame) -> tuple[str, int] | None:
    """Return ``(column, row position)`` of the first column taken as a sample that holds text.

    A column counts as an annotation column when no cell of it is a number while another
    column holds numbers, and it has at least two filled cells, none of them number-like
    (:data:`NUMBER_LIKE`): otherwise (decimal commas, a single bad cell) the readers report
    the first bad cell instead.

    Parameters
    ----------
    text
        The cells as read (strings).
    values
        The same cells as numbers (NaN where not a number).
    missing
        Where a cell is a missing value (:func:`is_missing`).

    Returns
    -------
    tuple[str, int] or None
        The column and the position of its first filled cell; None when there is none.
    """
    no_number = values.isna().all(axis=0)
    if no_number.all():
        return None
    for column in text.columns[no_number.to_numpy()]:
        filled = ~missing[column]
        cells = text[column][filled].astype(str).str.strip()
        if filled.sum() < 2 or cells.str.match(NUMBER_LIKE.pattern).any():
            continue
        return column, int(np.argmax(filled.to_numpy()))
    return None


# --------------------------------------------------------------------------- decimal commas

#: A number written with a decimal comma: ``12,5``, ``-0,25``, ``,5``, ``1,5e3``.
DECIMAL_COMMA = re.compile(r"^[+-]?\d*,\d+([eE][+-]?\d+)?$")
# Digits grouped by thousands with commas: ``12,345``, ``1,234,567``.
_THOUSANDS_COMMA = re.compile(r"^[+-]?[1-9]\d{0,2}(,\d{3})+$")  # not 0,512
# Text made of a number's characters only (sign, digits, '.', ',', exponent): the cells the
# decimal-comma rule looks at; other text ("a, b", "Undetermined") is left as written.
_NUMBER_TEXT = re.compile(r"^[+-]?[\d.,]*\d[\d.,]*([eE][+-]?\d+)?$")
#: What a comma in a number means outside a ``;``-separated table, per reader (see
#: :func:`decimal_comma_numbers`).
COMMA_OUTSIDE_SEMICOLON = ("text", "decimal", "grouping")
#: The fix of every "ambiguous number" message.
DECIMAL_FIX = ("Write the numbers without thousands separators and with one decimal mark (',' in "
               "a ;-separated file, '.' otherwise).")
_DECIMAL_REASON = "the table writes decimals with ',', so a '.' or a second ',' may separate thousands"
_GROUPING_REASON = "with both ',' and '.' either may be the decimal mark"


@dataclass(frozen=True)
class CommaNumbers:
    """A column's cells with its decimal commas made decimal points (:func:`decimal_comma_numbers`).

    Attributes
    ----------
    text
        The cells, stripped, with each decimal comma replaced by ``.`` (or a thousands
        comma removed); other cells as given (NaN stays NaN). ``pd.to_numeric`` reads it.
    decimal
        Whether the column's commas were read as decimal marks.
    ambiguous
        Where a cell could be read two ways (:func:`decimal_comma_numbers`).
    reason
        Why such a cell is ambiguous, for the message.
    """

    text: pd.Series
    decimal: bool
    ambiguous: pd.Series
    reason: str

    def first_ambiguous(self) -> int | None:
        """Position of the first ambiguous cell, or None."""
        found = np.flatnonzero(self.ambiguous.to_numpy(dtype=bool))
        return int(found[0]) if found.size else None

    def stop_if_ambiguous(self, values: pd.Series, *, path: str | Path,
                          where: Callable[[int], str]) -> None:
        """Stop at the first ambiguous cell, quoting it.

        ``values`` are the cells as written; ``where(i)`` names the file location of cell ``i``.
        """
        i = self.first_ambiguous()
        if i is not None:
            raise InputError(f"value {str(values.iloc[i]).strip()!r} is ambiguous: {self.reason}.",
                             path=path, where=where(i), fix=DECIMAL_FIX)


def writes_decimal_commas(columns: Iterable[pd.Series], delimiter: str) -> bool:
    """Whether a ``;``-separated table writes decimals with commas: a number in any column has one.

    The decision is the table's, not each column's: in a table whose ``hba1c`` reads
    ``5,4``, ``226.500`` in another column is a thousands separator as likely as a decimal
    point (:func:`decimal_comma_numbers` stops on it), and is not read as 226.5.
    """
    if delimiter != ";":
        return False
    for cells in columns:
        if cells.dtype != object and not isinstance(cells.dtype, pd.StringDtype):
            continue
        text = cells.astype("string").str.strip()
        number = text.str.match(_NUMBER_TEXT.pattern).fillna(False).astype(bool)
        if (number & text.str.contains(",", regex=False).fillna(False).astype(bool)).any():
            return True
    return False


def decimal_comma_numbers(values: pd.Series, delimiter: str, *, outside: str = "text",
                          table_decimal: bool | None = None) -> CommaNumbers:
    """Apply the decimal-comma rule, the same for every reader, to one column of a table.

    A European spreadsheet export writes ``;``-separated tables whose numbers have a
    decimal comma (``12,5``); such a table must read like its ``,``-separated,
    decimal-point twin. Only cells made of a number's characters (digits, sign, ``.``,
    ``,``, exponent) are looked at; other text is left as written.

    - ``;``-separated table (``delimiter == ";"``): a column holding a comma in a number
      writes decimals with commas, and ``12,5`` is 12.5. In such a column a cell that
      could hide a thousands separator is ambiguous: a ``.`` (``1.234,5``, ``885.2``) or
      two commas (``1,234,5``). A column without commas is read with decimal points
      (``12.5``), as a ``;`` export from a decimal-point locale writes it.
    - Other delimiters (tab, comma): a ``,``-separated file cannot hold an unquoted
      decimal comma, and a tab file from a decimal-point tool has none. ``outside`` says
      what a comma in a number means there:

      - ``"text"`` (the default: sample sheets, count, array and protein matrices): it is
        not a number; the cell is left as written, and the reader stops on it, naming the
        cell (``12,5`` in a tab count matrix is an error, not 12.5 or 125);
      - ``"decimal"`` (qPCR Ct and efficiency, Olink NPX: values that never reach a
        thousand, from instrument software that writes the locale's decimal mark in any
        export): a decimal mark, with the ambiguity checks of a ``;`` table;
      - ``"grouping"`` (flow population tables, whose event counts are grouped by
        thousands in English exports): a column whose every comma groups thousands
        (``12,345``) is read without them; any other column is read with decimal commas,
        as in a ``;`` table. A cell with both ``,`` and ``.`` (``1,234.5``) is ambiguous.

    Parameters
    ----------
    values
        The column's cells as text (NaN where missing).
    delimiter
        The table's delimiter (``read_table``'s ``attrs["delimiter"]``).
    outside
        What a comma means outside a ``;`` table: one of :data:`COMMA_OUTSIDE_SEMICOLON`.
    table_decimal
        ``;`` table: whether the table writes decimals with commas
        (:func:`writes_decimal_commas` over its columns of numbers); a column without a
        comma then has its ``.`` checked too. None: decided from this column alone.

    Returns
    -------
    CommaNumbers
        The converted text, whether commas were decimal marks, and the ambiguous cells.
        Callers stop on those (:meth:`CommaNumbers.stop_if_ambiguous`) before using the
        numbers.
    """
    if outside not in COMMA_OUTSIDE_SEMICOLON:
        raise ValueError(f"outside must be one of {COMMA_OUTSIDE_SEMICOLON}, not {outside!r}")
    none = pd.Series(False, index=values.index)
    if delimiter != ";" and outside == "text":
        return CommaNumbers(values, False, none, "")
    text = values.astype("string").str.strip()
    number = text.str.match(_NUMBER_TEXT.pattern).fillna(False).astype(bool)
    comma = number & text.str.contains(",", regex=False).fillna(False).astype(bool)
    decimal = bool(comma.any()) if table_decimal is None or delimiter != ";" else table_decimal
    if not decimal:
        return CommaNumbers(values, False, none, "")
    point = number & text.str.contains(".", regex=False).fillna(False).astype(bool)
    if delimiter != ";" and outside == "grouping" and \
            text[comma].str.match(_THOUSANDS_COMMA.pattern).all():
        converted = text.where(~comma, text.str.replace(",", "", regex=False))
        return CommaNumbers(_as_object(converted), False, comma & point, _GROUPING_REASON)
    ambiguous = point | (number & (text.str.count(",").fillna(0) > 1))
    converted = text.where(~comma, text.str.replace(",", ".", regex=False))
    return CommaNumbers(_as_object(converted), True, ambiguous.astype(bool), _DECIMAL_REASON)


def _as_object(text: pd.Series) -> pd.Series:
    return text.astype(object).where(text.notna(), np.nan)


def _stop_on_point_numbers(cells: pd.Series, *, path: str | Path,
                           where: Callable[[int], str]) -> None:
    """Stop on a column the parser read as fractional numbers, in a table of decimal commas.

    The parser reads ``12,5`` as text but ``1.234`` as a number: a fractional value (or a
    float column without missing cells, ``1.000``) shows a ``.`` in the file.
    """
    if cells.dtype.kind != "f":
        return
    values = cells.to_numpy()
    fractional = np.isfinite(values) & (values != np.round(values))
    if fractional.any():
        i = int(np.flatnonzero(fractional)[0])
    elif values.size and not np.isnan(values).any():
        i = 0
    else:
        return
    raise InputError(f"the column is written with '.' ({values[i]:g}): {_DECIMAL_REASON}.",
                     path=path, where=where(i), fix=DECIMAL_FIX)


def decimal_comma_frame(frame: pd.DataFrame, delimiter: str, *, path: str | Path,
                        where: Callable[[int, object], str], outside: str = "text") -> pd.DataFrame:
    """Apply :func:`decimal_comma_numbers` to every text column of ``frame``.

    Stops at the first ambiguous cell (first column holding one, then first row);
    ``where(row position, column)`` names its file location. Columns already read as
    numbers, and every column when the rule reads no comma (a tab or ``,`` table with
    ``outside="text"``), are returned as they are; but in a ``;`` table that writes
    decimals with commas, a column the parser read as fractional numbers was written with
    ``.`` (``1.234``: a thousands separator as likely as a decimal point), and stops.
    """
    if delimiter != ";" and outside == "text":
        return frame
    table_decimal = writes_decimal_commas((frame[c] for c in frame.columns), delimiter)
    out = {}
    changed = False
    for column in frame.columns:
        cells = frame[column]
        if cells.dtype != object and not isinstance(cells.dtype, pd.StringDtype):
            if table_decimal:
                _stop_on_point_numbers(cells, path=path, where=lambda i, c=column: where(i, c))
            out[column] = cells
            continue
        numbers = decimal_comma_numbers(cells, delimiter, outside=outside,
                                        table_decimal=table_decimal)
        numbers.stop_if_ambiguous(cells, path=path, where=lambda i, c=column: where(i, c))
        out[column] = numbers.text
        changed |= numbers.text is not cells
    if not changed:
        return frame
    return pd.DataFrame(out, index=frame.index, columns=frame.columns)
