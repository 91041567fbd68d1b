"""Delimited-table reading with input checks shared by every reader."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from .._errors import InputError

_DELIMITERS = {"\t": "tab", ",": "comma", ";": "semicolon"}
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


def _first_line(path: Path, comment: str | None = None) -> str:
    with path.open(encoding="utf-8-sig", errors="replace") as handle:
        for line in handle:
            if comment and line.startswith(comment):
                continue
            if line.strip():
                return line.rstrip("\r\n")
    raise InputError("file has no header row; it looks empty.", path=path)


def sniff_delimiter(path: str | Path, comment: str | None = None) -> str:
    """Guess the delimiter (tab, comma or semicolon) from the header line."""
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


def read_table(
    path: str | Path,
    *,
    required: Sequence[str] = (),
    what: str = "table",
    comment: str | None = None,
    dtype: object = None,
) -> pd.DataFrame:
    """Read a CSV/TSV file, detecting the delimiter and checking required columns.

    Parameters
    ----------
    path
        File to read.
    required
        Column names that must be present.
    what
        Name of the file's role, used in messages ("sample sheet", ...).
    comment
        Lines starting with this are skipped.
    dtype
        Passed to :func:`pandas.read_csv`.

    Returns
    -------
    The table, with column names stripped of surrounding white space.
    """
    path = check_file(path)
    sep = sniff_delimiter(path, comment)
    header = [h.strip().strip('"') for h in _first_line(path, comment).split(sep)]
    repeated = sorted({h for h in header if header.count(h) > 1 and h})
    if repeated:
        raise InputError(
            f"duplicated column name(s) in the header of the {what}: "
            f"{', '.join(map(repr, repeated[:5]))}; each column needs a unique name (a duplicated "
            "sample column?).",
            path=path,
        )
    try:
        table = pd.read_csv(
            path, sep=sep, comment=comment, dtype=dtype, encoding="utf-8-sig", na_values=["NA", ""],
            keep_default_na=False,
        )
    except pd.errors.ParserError as err:
        raise InputError(
            f"cannot parse the {what} as {_DELIMITERS[sep]}-separated text ({err}); check that "
            "every row has the same number of fields.",
            path=path,
        ) from None
    except UnicodeDecodeError:
        raise InputError(f"the {what} is not UTF-8 text; save it as UTF-8 CSV/TSV.", path=path) from None
    table.columns = [str(c).strip() for c in table.columns]
    if table.shape[0] == 0:
        raise InputError(f"the {what} has a header but no data rows.", path=path)
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise InputError(
            f"the {what} lacks required column(s) {', '.join(map(repr, missing))} (found: "
            f"{', '.join(map(repr, table.columns[:12]))}); rename or add them.",
            path=path,
        )
    return table


def check_unique(values: Iterable[object], *, column: str, path: str | Path, what: str) -> None:
    """Stop when ``values`` has duplicates, naming them and their (1-based data) rows."""
    series = pd.Series(list(values))
    dup = series[series.duplicated(keep=False)]
    if not dup.empty:
        examples = "; ".join(
            f"{value!r} at rows {', '.join(str(i + 2) for i in idx)}"
            for value, idx in list(dup.groupby(dup).groups.items())[:5]
        )
        raise InputError(
            f"duplicated {what} in column {column!r}: {examples}. Each {what} must be unique.",
            path=path,
        )


def check_excel_mangled(names: Iterable[object], *, column: str, path: str | Path) -> None:
    """Stop when gene names look like Excel date conversions (``1-Mar``, ``2-Sep``)."""
    bad = [(i, n) for i, n in enumerate(names) if isinstance(n, str) and _EXCEL_DATE.match(n)]
    if bad:
        shown = ", ".join(f"{n!r} (row {i + 2})" for i, n in bad[:5])
        raise InputError(
            f"column {column!r} holds {len(bad)} gene name(s) that look like Excel dates: {shown}. "
            "Excel converts symbols such as MARCH1 and SEPT2 into dates; export the table "
            "again without opening it in Excel (or import the column as text).",
            path=path,
        )
