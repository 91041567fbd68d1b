"""Sample sheet: one row per sample, validated against ``metadata/samplesheet_schema.json``."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import InputError
from .._logging import get_logger
from .._resources import metadata_path
from ._tables import (
    DECIMAL_COMMA,
    NUMBER_LIKE,
    _as_object,
    check_unique,
    data_lines,
    decimal_comma_numbers,
    is_missing,
    read_table,
    writes_decimal_commas,
)

log = get_logger("io")

#: Day at which amputation-free survival defines ``response`` (6 months).
RESPONSE_DAY = 183.0
SURVIVAL_COLUMNS = ("afs_days", "afs_event")
# Placeholders for an unknown value that are not missing-value spellings (``_tables.MISSING_VALUES``):
# in a column of numbers they stop the run rather than turn it into text (a factor).
_PLACEHOLDER = re.compile(r"^([^\w]+|n\.a\.?|n\.?d\.?|none|unknown|missing|not (available|done|known))$",
                          re.IGNORECASE)


def _to_numbers(values: pd.Series, *, delimiter: str = ",", path: str | Path | None = None,
                where: Callable[[int], str] | None = None,
                table_decimal: bool | None = None) -> pd.Series:
    """Parse text cells as numbers (NaN where a cell is not a number).

    Parameters
    ----------
    values
        Text cells (missing cells stay NaN).
    delimiter
        The sheet's delimiter: in a ``;``-separated sheet (the European spreadsheet
        export) ``33,1`` is 33.1, by the rule every reader shares
        (:func:`omics.io._tables.decimal_comma_numbers`); a value that could hide a
        thousands separator there (``1.234,5``) stops.
    path, where
        Name the file and (``where(i)``) the location of cell ``i`` in that message
        (without ``where``, nothing stops: ambiguous cells are read as the rule reads them).
    table_decimal
        Whether the sheet writes decimals with commas (decided over the whole sheet).

    Returns
    -------
    Float Series on ``values.index``.
    """
    text = values.astype("string").str.strip()
    numbers = decimal_comma_numbers(_as_object(text), delimiter, table_decimal=table_decimal)
    if where is not None:
        numbers.stop_if_ambiguous(values, path=path, where=where)
    return pd.to_numeric(numbers.text, errors="coerce")


def _at_sample(column: str) -> Callable[[pd.Series], Callable[[int], str]]:
    return lambda values: lambda i: f"column {column!r}, sample {values.index[i]!r}"


def _check_numeric_column(values: pd.Series, numbers: pd.Series, column: str, path: str | Path) -> None:
    """Stop when a column of numbers holds a placeholder or a decimal comma; log other text.

    A column whose every value is a number is numeric (a continuous term in a design), so
    a single cell that is not would turn it into text, a factor with a level per value,
    silently. Missing-value spellings are missing before this check; placeholders such
    as ``-``, ``.``, ``?``, ``n.d.`` or ``unknown`` and numbers with a decimal comma in a
    sheet that is not ``;``-separated stop, naming the cell. A column with other text
    (``3a``) stays text, with a warning.

    Parameters
    ----------
    values
        The column's cells (stripped text; NaN when missing).
    numbers
        ``values`` parsed by :func:`_to_numbers`.
    column, path
        Named in messages.
    """
    text = values[values.notna() & numbers.isna()]
    if text.empty:
        return
    odd = text[text.str.match(_PLACEHOLDER.pattern, flags=re.IGNORECASE)
               | text.str.match(DECIMAL_COMMA.pattern)]
    if not odd.empty and len(odd) == len(text):
        sample, value = odd.index[0], odd.iloc[0]
        fix = (f"Write it with a decimal point ({value.replace(',', '.')}): a decimal comma is read "
               "only in a ';'-separated sheet." if DECIMAL_COMMA.match(value) else
               "Leave the cell empty (or write NA) when the value is unknown.")
        raise InputError(
            f"the column holds numbers except {value!r}"
            f"{f' (and {len(odd) - 1} more cell(s))' if len(odd) > 1 else ''}; it would be read as "
            "text (a factor).", path=path, where=f"column {column!r}, sample {sample!r}", fix=fix)
    log.warning("%s: column %r holds numbers but also text (%r for sample %r%s); it is read as text "
                "(a factor)", Path(path).name, column, text.iloc[0], text.index[0],
                f" and {len(text) - 1} more" if len(text) > 1 else "")


def _rows(mask: pd.Series, lines: Sequence[int], limit: int = 10) -> str:
    """File lines of the rows where ``mask`` holds (``lines[label]``: a row's file line)."""
    rows = [str(lines[i]) for i in mask.index[mask.to_numpy()]]
    return ", ".join(rows[:limit]) + (f" (and {len(rows) - limit} more)" if len(rows) > limit else "")


def response_from_survival(days: pd.Series, event: pd.Series) -> pd.Series:
    """``responder`` / ``non_responder`` / NaN: event-free at :data:`RESPONSE_DAY` days.

    A major amputation or death on or before day 183 is a non-response; follow-up past
    day 183 (or censoring on day 183) without an event is a response; censoring before
    day 183 (or missing survival) leaves the response unknown.
    """
    out = pd.Series(pd.NA, index=days.index, dtype=object)
    out[(event == 1) & (days <= RESPONSE_DAY)] = "non_responder"
    out[(days > RESPONSE_DAY) | ((days >= RESPONSE_DAY) & (event == 0))] = "responder"
    return out


def _check_survival(table: pd.DataFrame, lines: Sequence[int], path: str | Path, *,
                    delimiter: str = ",", table_decimal: bool | None = None) -> None:
    """Check ``afs_days``/``afs_event`` and derive or cross-check ``response`` (in place).

    ``lines[label]`` is the file line of the row with index ``label``.
    Raises one :class:`InputError` naming the column and the rows (file line numbers): on an
    event code other than 0/1, or a follow-up that is not a finite number >= 0 or is missing
    beside an event, or (``response`` derived, for some rows at least) no follow-up reaching
    :data:`RESPONSE_DAY` although some patients are censored (``afs_days`` not in days?).
    (Follow-up without an event by :data:`RESPONSE_DAY` is legitimate: the
    score stage then fits no survival model, with a warning.)
    """
    present = [c for c in SURVIVAL_COLUMNS if c in table.columns]
    if not present:
        return
    if len(present) == 1:
        other = next(c for c in SURVIVAL_COLUMNS if c not in present)
        raise InputError(f"column {present[0]!r} is given without {other!r}; amputation-free "
                         "survival needs both afs_days (days to major amputation, death or last "
                         "follow-up) and afs_event (1 = amputation or death, 0 = censored).", path=path)
    raw_days, raw_event = table["afs_days"], table["afs_event"]
    days, event = (_to_numbers(table[c], delimiter=delimiter, path=path, table_decimal=table_decimal,
                               where=lambda i, c=c: f"column {c!r}, row {lines[table.index[i]]}")
                   for c in SURVIVAL_COLUMNS)
    bad = raw_event.notna() & ~event.isin([0, 1])
    if bad.any():
        raise InputError(f"column 'afs_event' must be 0 (censored) or 1 (major amputation or death); "
                         f"row(s) {_rows(bad, lines)} have {raw_event[bad].iloc[0]!r}.", path=path)
    bad = raw_days.notna() & (days.isna() | (days < 0) | np.isinf(days))
    if bad.any():
        raise InputError(f"column 'afs_days' must be a number of days >= 0; row(s) "
                         f"{_rows(bad, lines)} have {raw_days[bad].iloc[0]!r}.", path=path)
    bad = days.isna() & event.notna()
    if bad.any():
        raise InputError(f"column 'afs_days' is missing in row(s) {_rows(bad, lines)} that have an "
                         "afs_event; give the day of the event or of the last follow-up.", path=path)
    derived = response_from_survival(days, event)
    if "response" not in table.columns:
        _check_follow_up_reaches(days, event, pd.Series(True, index=days.index), path)
        table["response"] = derived
        return
    given = table["response"]
    clash = given.notna() & derived.notna() & (given != derived)
    if clash.any():
        raise InputError(f"columns 'response' and 'afs_days'/'afs_event' contradict each other in "
                         f"row(s) {_rows(clash, lines)}: response is survival without major "
                         f"amputation at {RESPONSE_DAY:g} days; correct one of them.", path=path)
    if given.isna().any():  # derived there
        _check_follow_up_reaches(days, event, given.isna(), path, column=True)
    table["response"] = given.where(given.notna(), derived)


def _check_follow_up_reaches(days: pd.Series, event: pd.Series, derived: pd.Series,
                             path: str | Path, *, column: bool = False) -> None:
    """Stop when a derived ``response`` is unknown because no follow-up reaches :data:`RESPONSE_DAY`.

    ``derived`` marks the rows whose response is derived (every row without a ``response``
    column, its empty cells with one; ``column``). Without a follow-up of 183 days or more
    in the sheet no patient can be a responder: a derived row censored before day 183 is
    unknown, and every derived response ``non_responder`` or unknown. Follow-up in months
    or weeks (``6`` for six months) does this. A sheet whose derived rows all had their
    event before day 183 does not stop (their responses are known).
    """
    known = days.notna()
    censored = derived & known & (event == 0)
    if not known.any() or (days[known] >= RESPONSE_DAY).any() or not censored.any():
        return
    shorter = ("fill its empty 'response' cells" if column else "give a 'response' column")
    raise InputError(f"no follow-up reaches day {RESPONSE_DAY:g} (the largest is "
                     f"{days[known].max():g}), so no patient can be a responder: response is "
                     f"derived as event-free survival at day {RESPONSE_DAY:g}.", path=path,
                     where="column 'afs_days'",
                     fix=f"afs_days must be in days (months x 30.44, weeks x 7); if follow-up is "
                         f"truly shorter, {shorter}.")


def _check_levels(table: pd.DataFrame, path: str | Path, *,
                  columns: tuple[str, ...] | None = None) -> None:
    """Stop on a value outside the allowed levels of a schema column (``arm``, ``response``).

    Parameters
    ----------
    table
        The sheet with a ``sample`` column; missing cells are NaN.
    path
        Named in the message.
    columns
        The columns to check (None: every schema column with fixed levels in ``table``).
    """
    properties = samplesheet_schema()["properties"]
    for column in columns if columns is not None else tuple(properties):
        spec = properties.get(column, {})
        if column == "sample" or "enum" not in spec or column not in table.columns:
            continue
        values = table[column]
        bad = values.notna() & ~values.isin(spec["enum"])
        if bad.any():
            i = int(np.argmax(bad.to_numpy()))
            raise InputError(
                f"column {column!r} has value {values.iloc[i]!r} for sample "
                f"{table['sample'].iloc[i]!r}; allowed values are {', '.join(spec['enum'])}.",
                path=path,
            )


@cache
def samplesheet_schema() -> dict:
    """Return the sample-sheet column schema (``items.properties`` of the JSON schema)."""
    with metadata_path("samplesheet_schema.json").open() as handle:
        return json.load(handle)["items"]


def categorical_levels(column: str) -> list[str] | None:
    """Levels, reference first, of a schema column with fixed values (``arm``, ``response``)."""
    spec = samplesheet_schema()["properties"].get(column, {})
    return list(spec["enum"]) if "enum" in spec else None


def _check_file_names(ids: pd.Series, *, id_col: str, path: Path, lines: Sequence[int]) -> None:
    """Stop on a sample id that, as a file name, would leave its folder (``../x``, ``/x``).

    A sample's id names its files (``flow/gating_plots/<sample>.png``): a ``..`` part or a
    leading ``/`` would write outside the results folder. ``P001/V1`` stays inside (a
    sub-folder) and is accepted.
    """
    for i, value in ids.items():
        text = str(value)
        if text.startswith("/") or ".." in text.split("/"):
            raise InputError(
                f"sample id {text!r} would name a file outside the results folder "
                "(flow/gating_plots/<sample>.png).", path=path,
                where=f"row {lines[i]}, column {id_col!r}",
                fix="Rename the sample (no '..' part, no leading '/'), in the matrices too.")


#: Sample-sheet columns naming files (the FCS file of each sample), kept as written.
FILE_COLUMNS = ("fcs",)


def _nfc_text(table: pd.DataFrame, id_col: str, path: str | Path, header_line: int
              ) -> tuple[pd.DataFrame, str]:
    """Write headers and cells (not the sample ids or file names) in Unicode NFC form.

    An accented letter typed as one character (NFC) or as letter plus accent (NFD, macOS)
    looks the same; without this, one cell in the other form would be a level of its own.
    Sample ids are kept as written: they must equal the matrix column names exactly
    (:func:`omics.io.match_samples` names near misses). So are the file names of the
    columns in :data:`FILE_COLUMNS` (``fcs``): they name files on disk byte for byte, as
    Nextflow stages them.
    """
    headers = [unicodedata.normalize("NFC", str(c)) for c in table.columns]
    twice = sorted({h for h in headers if headers.count(h) > 1})
    if twice:
        raise InputError(
            f"column {twice[0]!r} is in the header twice, once written with accented letters as "
            "one character and once as letter plus accent (Unicode NFC/NFD).",
            path=path, where=f"line {header_line}", fix="Keep one of the two columns.")
    id_name = unicodedata.normalize("NFC", id_col)
    table = table.set_axis(headers, axis=1)
    table = table.apply(lambda col: col if col.name == id_name or col.name in FILE_COLUMNS
                        else col.str.normalize("NFC"))
    return table, id_name


def read_samplesheet(path: str | Path, *, id_col: str = "sample") -> pd.DataFrame:
    """Read and validate a sample sheet.

    Parameters
    ----------
    path
        CSV or TSV with a ``sample`` column and metadata columns.
    id_col
        Column holding the sample ids (nf-core's ``observations_id_col``), for sheets
        such as MaxQuant's where it is ``Experiment``; it is renamed to ``sample``.

    Returns
    -------
    Data frame indexed by ``sample`` (strings); schema columns with fixed levels are
    categorical with the reference level first, numeric schema columns are floats, and
    so is any other column whose every value is a number. In a ``;``-separated sheet a
    decimal comma (``33,1``) is read as a decimal point, so that such a sheet reads like
    its ``,``-separated, decimal-point twin; a value there that could hide a thousands
    separator (``1.234,5``, ``1,234,5``, a ``.`` in a column of decimal commas) stops,
    naming the cell (:func:`omics.io._tables.decimal_comma_numbers`).

    Notes
    -----
    Amputation-free survival (optional ``afs_days`` and ``afs_event``, both or neither)
    is checked, and ``response`` is derived from it as "event-free at 183 days" where it
    is not given (:func:`response_from_survival`); a given response contradicting the
    survival columns is an error naming the rows.

    Cells reading ``NA``, ``NaN``, ``N/A``, ``#N/A``, ``null`` (any case) or nothing are
    missing in every column (:data:`omics.io._tables.MISSING_VALUES`); a column of
    numbers with such a cell is numeric with a missing value. A placeholder such as
    ``-``, ``.`` or ``unknown`` (or a decimal comma outside a ``;``-separated sheet) in a
    column of numbers stops, naming the cell (:func:`_check_numeric_column`). Columns
    without a name and without values (trailing delimiters) are dropped.
    """
    table = read_table(path, required=[id_col], what="sample sheet", dtype=str)
    lines = data_lines(table)  # by index label: rows keep their labels below
    delimiter = table.attrs["delimiter"]  # ';': the European export, with decimal commas
    header_line = table.attrs["header_line"]
    table = table.apply(lambda col: col.str.strip())
    table, id_col = _nfc_text(table, id_col, path, header_line)
    # Missing-value spellings (NA, NaN, N/A, #N/A, null, empty; _tables.MISSING_VALUES) are
    # missing in every column, so that a column of numbers stays one.
    table = table.apply(lambda col: col.mask(is_missing(col)))
    # Rows of missing-value markers only (NA,NA,...): dropped (read_table drops the rows blank
    # in every cell, Excel's ",,,,", and the columns without a name and without values).
    table = table.loc[~table.isna().all(axis=1)]
    if id_col != "sample":
        table = table.drop(columns=["sample"], errors="ignore").rename(columns={id_col: "sample"})
    ids = table["sample"]
    empty = ids.isna() | (ids == "")
    if empty.any():
        rows = ", ".join(str(lines[i]) for i in ids.index[empty][:5])
        raise InputError(f"empty {id_col!r} id at row(s) {rows}; every row needs an id.", path=path)
    check_unique(ids, column=id_col, path=path, what="sample id",
                 rows=[lines[i] for i in ids.index])
    _check_file_names(ids, id_col=id_col, path=path, lines=lines)
    # ';': whether the sheet writes decimals with commas is the sheet's decision, not a column's
    table_decimal = writes_decimal_commas((table[c] for c in table.columns), delimiter)
    # a value outside a column's levels is named as such before it can read as a
    # contradiction with the survival columns (``nonresponder`` against afs_days/afs_event)
    _check_levels(table, path)
    _check_survival(table, lines, path, delimiter=delimiter, table_decimal=table_decimal)
    sheet = table.set_index("sample")
    sheet.index.name = "sample"
    for column, spec in samplesheet_schema()["properties"].items():
        if column == "sample" or column not in sheet.columns:
            continue
        values = sheet[column]
        if "enum" in spec:
            # levels checked above (_check_levels); a response derived from the survival
            # columns is one of them by construction
            sheet[column] = pd.Categorical(values, categories=spec["enum"])
        elif spec.get("type") in ("number", "integer"):
            numbers = _to_numbers(values, delimiter=delimiter, path=path,
                                  where=_at_sample(column)(values), table_decimal=table_decimal)
            bad = values[values.notna() & numbers.isna()]
            if not bad.empty:
                value = str(bad.iloc[0])
                fix = (f"write it with a decimal point ({value.replace(',', '.')}): a decimal comma "
                       "is read only in a ';'-separated sheet." if DECIMAL_COMMA.match(value) else
                       "leave the cell empty (or NA) when the value is unknown.")
                raise InputError(
                    f"column {column!r} must be numeric but sample {bad.index[0]!r} has "
                    f"{bad.iloc[0]!r}; {fix}",
                    path=path,
                )
            low, high = spec.get("minimum"), spec.get("maximum")
            out = numbers[(low is not None and numbers < low) | (high is not None and numbers > high)]
            if not out.empty:
                raise InputError(
                    f"column {column!r} value {out.iloc[0]} for sample {out.index[0]!r} is outside "
                    f"[{low}, {high}]; check the units.",
                    path=path,
                )
            sheet[column] = numbers.astype(float)
    # Other all-numeric columns become numbers (R's read.csv does the same), so that a
    # covariate such as `bmi` enters a design as a continuous term; in a `;`-separated
    # sheet (a European spreadsheet export) with decimal commas (`33,1`).
    for column in sheet.columns:
        if column in samplesheet_schema()["properties"] or sheet[column].dtype != object:
            continue
        # an ambiguous number stops in a column of numbers; a column with other text is text
        number_like = sheet[column].dropna().astype(str).str.strip().str.match(NUMBER_LIKE.pattern).all()
        numbers = _to_numbers(sheet[column], delimiter=delimiter, path=path,
                              where=_at_sample(column)(sheet[column]) if number_like else None,
                              table_decimal=table_decimal)
        if numbers.notna().any():
            _check_numeric_column(sheet[column], numbers, column, path)
        given = sheet[column].dropna().astype(str).str.strip()
        if not numbers.notna().any() and not given.empty and given.str.match(DECIMAL_COMMA.pattern).all():
            log.warning("%s: column %r holds only numbers with a decimal comma (%r for sample %r); "
                        "it is read as text (a factor): a decimal comma is read only in a "
                        "';'-separated sheet, write decimal points", Path(path).name, column,
                        given.iloc[0], given.index[0])
        if numbers.notna().sum() == sheet[column].notna().sum() and numbers.notna().any():
            infinite = numbers[~np.isfinite(numbers) & numbers.notna()]
            if not infinite.empty:
                raise InputError(f"value {sheet[column][infinite.index[0]]!r} is not a finite "
                                 "number.", path=path,
                                 where=f"column {column!r}, sample {infinite.index[0]!r}",
                                 fix="Give the value, or leave the cell empty (NA) when unknown.")
            sheet[column] = numbers.astype(float)
    sheet.attrs["path"] = str(path)
    return sheet
