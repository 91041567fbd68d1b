"""Protein abundance tables (MaxQuant, proteus, DIA-NN, Olink NPX, plain TSV) into AnnData.

Every reader returns samples as ``obs`` and protein groups as ``var``:

- ``X`` (float64): intensities as read, linear for MaxQuant / DIA-NN / linear TSV and log2
  for proteus / Olink NPX / log2 TSV / MaxQuant with ``is_log2`` (a Perseus export);
  missing values are NaN, zeros are kept in linear input (the preprocessing step
  :func:`omics.pp._protein.log2_transform` turns them into NaN). In log2 MS input
  (proteus, log2 TSV, log2 MaxQuant) whose median is above 10, exact zeros are
  missing-value placeholders and are read as NaN with a warning (:func:`_log2_zeros`);
  Olink NPX, which may legitimately be 0 or below, is never changed;
- ``layers["raw"]``: a copy of ``X``;
- ``var``: index ``protein_id`` (unique strings), columns ``protein_ids`` and
  ``gene_name`` (first of the ``;``-separated names; ``""`` when unknown);
- ``uns["protein_input"]``: ``format``, ``path``, ``is_log2``, ``removed`` (rows dropped
  as ``reverse``, ``contaminant`` and ``only_by_site`` hits) and ``intensity_prefix``;
  ``zeros_to_nan`` (log2 input: zeros read as missing) and, when some sample has no
  observed value, ``empty_samples`` and ``empty_columns`` (its column in the file).

A sample without any observed value (every value missing, or 0 in linear input: a failed
run) is reported with a warning naming its column; ``omics run`` stops on it when the
sample is in the sample sheet.

Cells reading ``Filtered``, nothing or a missing-value spelling (``NA``, ``NaN``, ``N/A``,
``#N/A``, ``null``: :data:`omics.io._tables.MISSING_VALUES`) are missing; any other
non-number stops with an :class:`~omics._errors.InputError` naming the row and column.
In a ``;``-separated table decimal commas (``12,5``) are decimal marks, by the rule every
reader shares (:func:`omics.io._tables.decimal_comma_numbers`).
Columns without a name and without values (a spreadsheet's trailing delimiters) are
ignored, as :func:`omics.io._tables.read_table` ignores them.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd

from .._errors import InputError
from .._logging import get_logger
from .._provenance import input_record
from ._gene_ids import fill_gene_names
from ._tables import (
    MISSING_VALUES,
    check_excel_mangled,
    check_file,
    check_numbers,
    check_unique,
    data_lines,
    decimal_comma_frame,
    decimal_comma_numbers,
    open_text,
    read_table,
    sniff_delimiter,
)

log = get_logger("io")

FORMATS = ("maxquant", "proteus", "diann", "olink", "tsv")
MAXQUANT_INTENSITIES = ("LFQ intensity", "Intensity", "iBAQ")

_MISSING_TOKENS = MISSING_VALUES | {"filtered"}
_INTENSITY_ALIASES = {
    "lfq intensity": "LFQ intensity", "lfq": "LFQ intensity", "intensity": "Intensity",
    "ibaq": "iBAQ",
}
# MaxQuant flag columns; "Contaminant" is the name used before MaxQuant 1.6.
_MAXQUANT_FLAGS = {
    "reverse": ("Reverse",),
    "contaminant": ("Potential contaminant", "Contaminant"),
    "only_by_site": ("Only identified by site",),
}
# When a flag column is absent, decoys and contaminants are recognised by id prefix.
_MAXQUANT_ID_PREFIX = {"reverse": "REV__", "contaminant": "CON__"}
_DIANN_ANNOTATION = frozenset({
    "Protein.Group", "Protein.Ids", "Protein.Names", "Genes", "First.Protein.Description",
    "N.Sequences", "N.Proteotypic.Sequences", "Proteotypic",
})
_RUN_SUFFIX = re.compile(r"\.(raw|mzml|mzxml|d|wiff2?|dia|mgf|gz|bz2|zip)$", re.IGNORECASE)
_OLINK_REQUIRED = ("SampleID", "OlinkID", "UniProt", "Assay", "NPX")
_OLINK_WARNING = frozenset({"warning", "warn", "fail"})


# --------------------------------------------------------------------------- helpers


def _raw_header(path: Path, sep: str) -> list[str]:
    """Header fields exactly as written, spaces kept (pandas renames duplicates to ``x.1``)."""
    with open_text(path) as handle:
        for row in csv.reader(handle, delimiter=sep):
            if any(field.strip() for field in row):
                return row
    return []


def _exact_floats(frame: pd.DataFrame) -> bool:
    """Whether columns read as float64 hold what ``pd.to_numeric`` makes of their text.

    pandas' parser and ``pd.to_numeric`` convert a number with the same function, but
    ``pd.to_numeric`` reads a column of integers as integers: ``-0`` is then 0, and an
    integer from 2**53 on may round otherwise. Infinity is refused by the checked parse
    (with its text in the message). Those need the text.
    """
    if not all(dtype == np.float64 for dtype in frame.dtypes):
        return False
    values = frame.to_numpy(dtype=np.float64)
    finite = values[np.isfinite(values)]
    return bool(not np.isinf(values).any() and not (np.abs(finite) >= 2.0**53).any()
                and not ((finite == 0) & np.signbit(finite)).any())


def _read(path: str | Path, *, what: str, required: Sequence[str] = (),
          numeric: Callable[[list[str]], list[str]] | None = None) -> tuple[pd.DataFrame, str]:
    """Read a table (as text, number columns as floats) and check the header.

    Columns without a header name are dropped when empty (trailing delimiters) and stop
    otherwise (:func:`omics.io._tables.read_table`); ``numeric`` is given the named
    header fields only.

    ``numeric`` names, given the header, the columns of numbers (intensities). They are
    read as float64 by pandas' parser, about twice as fast as text then
    :func:`_clean_numbers` (a 1,000 x 5,000 MaxQuant table: 2.5 s against 4.7 s), when
    every one of their cells is a number, ``NA`` or empty and :func:`_exact_floats`
    holds; otherwise (a cell such as ``NaN`` or ``Filtered``, or anything to report) the
    table is read again, all as text.
    """
    path = check_file(path)
    sep = sniff_delimiter(path)
    raw = _raw_header(path, sep)
    header = [field.strip() for field in raw]
    seen: dict[str, int] = {}
    for position, name in enumerate(header, start=1):
        if name and name in seen:
            raise InputError(
                f"column name {name!r} appears twice in the header (columns {seen[name]} and "
                f"{position}); every column of the {what} needs a distinct name.",
                path=path,
            )
        seen[name] = position
    table = _read_numbers(path, raw, numeric([h for h in header if h]), what=what,
                          required=required) if numeric is not None else None
    if table is None:
        table = read_table(path, required=required, what=what, dtype=str)
    return table, sep


def _read_numbers(path: Path, raw_header: list[str], numeric: list[str], *, what: str,
                  required: Sequence[str]) -> pd.DataFrame | None:
    """Return the table with the ``numeric`` columns read as float64 (see :func:`_read`), or None.

    ``raw_header``: the header fields as written (:func:`_raw_header`).
    """
    wanted = set(numeric)
    # pandas names a column by its header field as written (read_table strips them after)
    typed = {raw: "float64" for raw in raw_header if raw.strip() in wanted}
    if not wanted or len(typed) != len(wanted):
        return None
    try:
        table = read_table(path, required=required, what=what,
                           dtype=defaultdict(lambda: str, typed))
    except ValueError:  # a cell that is not a number: read as text, and checked
        return None
    if not set(numeric) <= set(table.columns):  # a header pandas names otherwise: read as text
        return None
    return table if _exact_floats(table[numeric]) else None


def _first_gene(values: pd.Series) -> pd.Series:
    """First entry of ``;``-separated gene names; ``""`` when absent (also ``NA``, ``NaN``)."""
    text = values.fillna("").astype(str)
    first = text.str.split(";").str[0].str.strip()
    return first.where(~first.str.lower().isin(MISSING_VALUES), "")


def _parse_values(
    data: pd.DataFrame,
    labels: Sequence[str],
    rows: np.ndarray,
    path: Path,
    *,
    linear: bool,
    delimiter: str = "\t",
) -> np.ndarray:
    """Turn string cells into floats, stopping at the first cell that is not a number.

    ``labels[i]`` describes data row ``i`` in messages ("protein 'P1'") and ``rows[i]`` is
    its line number in the file. In a ``;``-separated table (``delimiter``) decimal commas
    are decimal marks (:func:`omics.io._tables.decimal_comma_numbers`), so that it reads
    like its ``,``-separated twin; elsewhere a decimal comma stops, naming the cell.
    """
    data = decimal_comma_frame(data, delimiter, path=path,
                               where=lambda i, column: f"row {rows[i]}, column {column!r}")
    values = _clean_numbers(data)
    if values is None:  # some cell is neither a number nor a missing token: find and name it
        values = _checked_numbers(data, labels, rows, path)
    check_numbers(values, labels=list(labels), columns=list(data.columns), rows=list(rows),
                  path=path, what="intensity" if linear else "value",
                  maximum=MAX_LINEAR,
                  fix="Check the cell (a unit or export slip?).")
    if linear and (values < 0).any():
        r, c = np.argwhere(values < 0)[0]
        raise InputError(
            f"negative intensity {values[r, c]:g} for {labels[r]} (row {rows[r]}) in column "
            f"{data.columns[c]!r}; linear intensities must be >= 0. If the table is already "
            "log2-transformed (a Perseus export), pass {--protein_is_log2} true (with "
            "{--protein_format} maxquant or tsv).",
            path=path,
        )
    return values


def _clean_numbers(data: pd.DataFrame) -> np.ndarray | None:
    """Return the cells as floats when each is a number or a missing token; else None.

    The numbers are parsed as :func:`_checked_numbers` parses them (``pd.to_numeric``
    column by column, which skips the ASCII spaces around a number that ``str.strip``
    removes there), so they are the same floats; the text of a cell is only looked at
    when it is not a finite number (missing tokens, or something to report). Stripping
    and lower-casing every cell took most of the time of reading a large table (5
    million cells: 3.4 of 5.9 s).
    """
    if all(dtype == np.float64 for dtype in data.dtypes):  # read as numbers (_read_numbers)
        return data.to_numpy(dtype=np.float64)
    values = data.apply(lambda col: pd.to_numeric(col.astype(object), errors="coerce")).to_numpy(
        dtype=np.float64, na_value=np.nan)
    unparsed = ~np.isfinite(values)
    if unparsed.any():
        cells = pd.Series(data.to_numpy(dtype=object)[unparsed], dtype=object)
        text = cells[cells.notna()]
        if len(text) and (pd.api.types.infer_dtype(text, skipna=False) != "string"
                          or not text.str.strip().str.lower().isin(_MISSING_TOKENS).all()):
            return None
        values[unparsed] = np.nan
    return values


def _checked_numbers(data: pd.DataFrame, labels: Sequence[str], rows: np.ndarray, path: Path
                     ) -> np.ndarray:
    """Return the cells as floats, parsed from their stripped text; stop at a non-number."""
    text = data.apply(lambda col: col.astype(object).str.strip())
    tokens = text.apply(lambda col: col.str.lower().isin(_MISSING_TOKENS))
    missing = (text.isna() | tokens).to_numpy(dtype=bool)
    values = text.apply(lambda col: pd.to_numeric(col, errors="coerce")).to_numpy(
        dtype=np.float64, na_value=np.nan)
    bad = ~missing & ~np.isfinite(values)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise InputError(
            f"value for {labels[r]} (row {rows[r]}) in column {data.columns[c]!r} is "
            f"{text.iat[r, c]!r}, not a finite number. Intensities must be numbers with '.' as "
            "the decimal mark (',' only in a ';'-separated file; missing values: empty, NA, NaN, "
            "N/A, #N/A, null or Filtered); fix the cell or re-export the table.",
            path=path,
        )
    values[missing] = np.nan
    return values


def _check_samples(names: Sequence[str], headers: Sequence[str], path: Path) -> None:
    empty = [h for n, h in zip(names, headers, strict=True) if not n]
    if empty:
        raise InputError(
            f"sample column {empty[0]!r} gives an empty sample name; rename the column.",
            path=path,
        )
    counts = pd.Series(list(names)).value_counts()
    dup = counts[counts > 1]
    if not dup.empty:
        name = dup.index[0]
        cols = [h for n, h in zip(names, headers, strict=True) if n == name]
        raise InputError(
            f"columns {', '.join(map(repr, cols))} all give sample name {name!r}; rename them "
            "so that every sample name is unique.",
            path=path,
        )


def _assemble(
    path: Path,
    *,
    fmt: str,
    ids: Sequence[str],
    protein_ids: Sequence[str],
    gene_names: Sequence[str],
    samples: Sequence[str],
    values: np.ndarray,
    is_log2: bool,
    removed: dict[str, int] | None = None,
    intensity_prefix: str | None = None,
    extra: dict | None = None,
    columns: Sequence[str] | None = None,
) -> ad.AnnData:
    """Build the AnnData from a proteins x samples matrix.

    ``columns``: the file's column of each sample (named in the warning on a sample
    without any observed value); the sample names when None.
    """
    if values.size == 0 or np.isnan(values).all():
        raise InputError(
            "every intensity value is missing (NA/empty); check that the right columns were "
            "exported and that this is the intended file.",
            path=path,
        )
    # zeros are missing in linear intensities (MaxQuant and DIA-NN write 0 for "not quantified")
    unobserved = np.isnan(values) | ((values == 0) & (not is_log2))
    columns = list(samples) if columns is None else list(columns)
    empty = [(str(s), str(c)) for s, c, e in zip(samples, columns, unobserved.all(axis=0),
                                                  strict=True) if e]
    for sample, column in empty[:10]:
        log.warning("%s: sample %r has no observed value (column %r is %s in every row: a failed "
                    "run?); remove the sample from the sample sheet", path.name, sample, column,
                    "missing" if is_log2 else "0 or missing")
    if len(empty) > 10:
        log.warning("%s: %d more sample(s) have no observed value", path.name, len(empty) - 10)
    gene_names = fill_gene_names([str(p) for p in protein_ids], [str(g) for g in gene_names],
                                 what=path.name)
    var = pd.DataFrame(
        {"protein_ids": [str(p) for p in protein_ids], "gene_name": gene_names},
        index=pd.Index([str(i) for i in ids], name="protein_id"),
    )
    obs = pd.DataFrame(index=pd.Index([str(s) for s in samples], name="sample"))
    matrix = np.ascontiguousarray(values.T, dtype=np.float64)
    adata = ad.AnnData(X=matrix, obs=obs, var=var)
    adata.layers["raw"] = matrix.copy()
    info = {
        "format": fmt,
        **input_record(path),
        "is_log2": bool(is_log2),
        "removed": {"reverse": 0, "contaminant": 0, "only_by_site": 0, **(removed or {})},
        "intensity_prefix": intensity_prefix,
    }
    info.update(extra or {})
    if empty:  # only when there are any: the h5ad of clean input is unchanged
        info["empty_samples"] = [s for s, _ in empty]
        info["empty_columns"] = [c for _, c in empty]
    adata.uns["protein_input"] = info
    # zeros are missing in linear intensities (log2 turns them into NaN)
    n_missing = int((np.isnan(matrix) | ((matrix == 0) & (not is_log2))).sum())
    log.info("%s: read %d protein groups x %d samples (%s, %s; %.1f%% missing)", path.name,
             adata.n_vars, adata.n_obs, fmt, "log2" if is_log2 else "linear",
             100 * n_missing / matrix.size)
    return adata


def _protein_ids(table: pd.DataFrame, id_column: str, path: Path, *, what: str,
                 lines: Sequence[int]) -> pd.Series:
    """Return the stripped ids of ``id_column``; stop on an empty or a duplicated one.

    ``lines`` are the file lines of the rows (:func:`omics.io._tables.data_lines`).
    """
    ids = table[id_column].fillna("").astype(str).str.strip()
    blank = ids == ""
    if blank.any():
        raise InputError(
            f"empty {what} in column {id_column!r} at row "
            f"{lines[int(np.flatnonzero(blank.to_numpy())[0])]}; every row needs an id.",
            path=path,
        )
    check_unique(ids, column=id_column, path=path, what=what, rows=lines)
    return ids


def _id_labels(ids: Sequence[str]) -> list[str]:
    return [f"protein {i!r}" for i in ids]


# --------------------------------------------------------------------------- MaxQuant


def _maxquant_columns(columns: Sequence[str], prefix: str) -> list[str]:
    """Sample columns ``<prefix> <sample>``, excluding summary and label-channel columns.

    ``Intensity`` must not catch ``Intensity L ...`` (SILAC channel columns) and ``iBAQ``
    must not catch ``iBAQ peptides``; ``LFQ intensity`` is never caught by ``Intensity``
    because the match is on the start of the name. The prefix is matched in any case
    (``lfq intensity S2``, a header edited by hand), so that no sample is left out.
    """
    start = f"{prefix.lower()} "
    lowered = [c.lower() for c in columns]
    column_set = set(lowered)
    channels = {
        label for label in "LMH"
        if f"{start}{label.lower()}" in column_set
        and any(c.startswith(f"{start}{label.lower()} ") for c in lowered)
    }
    out = []
    for column in columns:
        if not column.lower().startswith(start):
            continue
        rest = column[len(prefix) + 1:].strip()
        if not rest or (prefix == "iBAQ" and rest == "peptides"):
            continue
        if rest.upper() in channels or rest.split(" ", 1)[0].upper() in channels:
            continue
        out.append(column)
    return out


def _maxquant_prefix(intensity: str, path: Path) -> str:
    prefix = _INTENSITY_ALIASES.get(str(intensity).strip().lower())
    if prefix is None:
        raise InputError(
            f"unknown MaxQuant intensity {intensity!r}; use one of "
            f"{', '.join(map(repr, MAXQUANT_INTENSITIES))} ({{--protein_intensity}}).",
            path=path,
        )
    return prefix


def _check_maxquant_header(path: Path) -> None:
    """Stop on an intensity column without a sample name (``Intensity ``, ``LFQ intensity``).

    MaxQuant names a sample column ``<family> <sample>``; a header field holding the
    family and nothing after it (the sample name left empty in the experimental design,
    or deleted by hand) would otherwise be taken for the summary column (``Intensity``,
    ``iBAQ``) or be left out silently. But a family with a summary column (``Intensity``,
    ``iBAQ``) written with trailing white space (``Intensity `` after an edit in Excel) and
    no other field of that name is the summary column, and reads like the clean file.
    """
    sep = sniff_delimiter(path)
    fields = _raw_header(path, sep)
    # the summary columns written exactly ("Intensity", "iBAQ", without trailing white space)
    exact = {f.lower() for f in fields if f == f.rstrip()}
    spaced: set[str] = set()
    for position, field in enumerate(fields, start=1):
        family = next((f for f in MAXQUANT_INTENSITIES
                       if field.lower().startswith(f"{f.lower()} ") and not field[len(f):].strip()),
                      None)
        if family is not None and family != "LFQ intensity" and family.lower() not in exact \
                and family.lower() not in spaced:
            spaced.add(family.lower())  # the summary column, with trailing white space
            continue
        if field.strip().lower() == "lfq intensity":  # no summary column has this name
            family = "LFQ intensity"
        if family is not None:
            raise InputError(
                f"the sample name of intensity column {field!r} is empty: MaxQuant names each "
                f"sample column '{family} <sample>'.", path=path, where=f"column {position}",
                fix=f"Write the sample name after {family + ' '!r} in the header (e.g. "
                    f"'{family} S1'; MaxQuant takes it from the experimental design), or delete "
                    "the column.")


def read_maxquant(path: str | Path, *, intensity: str = "LFQ intensity",
                  is_log2: bool = False) -> ad.AnnData:
    """Read a MaxQuant ``proteinGroups.txt``.

    Parameters
    ----------
    path
        The tab-separated ``proteinGroups.txt``.
    intensity
        Column family holding the sample intensities: ``"LFQ intensity"``,
        ``"Intensity"`` or ``"iBAQ"`` (case-insensitive; ``"lfq"`` also works). Sample
        columns are ``<intensity> <sample>``; the prefix and one space are removed to
        give the sample name.
    is_log2
        Whether the intensities are already log2 (a proteinGroups table log-transformed
        and exported by Perseus, ``NaN`` for missing). A table read as linear
        (``is_log2=False``) whose values are all <= 64 with a median above 5 stops: it
        holds log2 values, which would be log2-transformed again.

    Returns
    -------
    AnnData of linear intensities (zeros kept), or of log2 intensities with ``is_log2``.
    The ``var`` index is ``Protein IDs`` (or ``Majority protein IDs`` when that is the
    only id column); ``protein_ids`` holds ``Majority protein IDs`` when present;
    ``gene_name`` is the first of ``Gene names``.
    Rows flagged in ``Reverse``, ``Potential contaminant`` (``Contaminant`` in older
    files) and ``Only identified by site`` are removed and counted in
    ``uns["protein_input"]["removed"]``. MaxQuant writes ``+``: a column holding any
    ``+`` flags exactly its ``+`` rows, whatever the other rows hold (``NA``, ``nan``,
    ``N``, ...). A column without ``+`` re-coded by a spreadsheet or script (``TRUE``,
    ``x``, ``1``) counts too: any value other than empty, ``-``, ``FALSE``, ``F``,
    ``no``, ``N``, ``0``, ``NA``, ``NaN``, ``None`` or ``.`` (case-insensitive) flags
    the row. Values other than ``+`` are logged with their count. When the ``Reverse``
    or contaminant column is absent, or flags no row, ids starting with ``REV__`` /
    ``CON__`` are removed instead.

    In a ``;``-separated table decimal commas are decimal marks
    (:func:`omics.io._tables.decimal_comma_numbers`).

    Raises
    ------
    InputError
        When no ``<intensity> <sample>`` column exists (the message lists the intensity
        families that do), an intensity column has no sample name (``Intensity `` with
        nothing after the prefix; the message names its position), ids are duplicated, a
        cell is not a number, a table read as linear holds log2 values, or a flag column
        without ``+`` would flag more than half of the rows (the message names the column
        and the value).
    """
    path = check_file(path)
    prefix = _maxquant_prefix(intensity, path)
    _check_maxquant_header(path)
    table, sep = _read(path, what="MaxQuant proteinGroups table",
                       numeric=lambda header: _maxquant_columns(header, prefix))
    # A Perseus export has annotation rows (#!{Type}E, #!{C:Group}...) after the header.
    annotations = int(table.iloc[:, 0].astype(str).str.startswith("#!{").cummin().sum())
    lines = np.asarray(data_lines(table))[annotations:]
    if annotations:
        log.info("%s: %d Perseus annotation row(s) (#!{...}) skipped", path.name, annotations)
        table = table.iloc[annotations:].reset_index(drop=True)
    columns = list(table.columns)
    id_column = next((c for c in ("Protein IDs", "Majority protein IDs") if c in columns), None)
    if id_column is None:
        raise InputError(
            "no 'Protein IDs' or 'Majority protein IDs' column (found: "
            f"{', '.join(map(repr, columns[:8]))} ...); give MaxQuant's proteinGroups.txt "
            "(txt/ folder) or choose another {--protein_format}.",
            path=path,
        )
    sample_columns = _maxquant_columns(columns, prefix)
    if not sample_columns:
        present = [f for f in MAXQUANT_INTENSITIES if _maxquant_columns(columns, f)]
        if present:
            hint = (f"found {' and '.join(repr(f + ' ') for f in present)} columns; use "
                    f"{{--protein_intensity}} '{present[0]}'")
        else:
            hint = ("found none of the 'LFQ intensity ', 'Intensity ' or 'iBAQ ' sample columns "
                    "(label-channel and TMT 'Reporter intensity' columns are not supported); "
                    "export a protein x sample matrix and use {--protein_format} tsv")
        raise InputError(
            f"no sample columns starting with {prefix + ' '!r} (for {{--protein_intensity}} "
            f"{prefix!r}); {hint}.",
            path=path,
        )
    ids = _protein_ids(table, id_column, path, what="protein group id", lines=lines)
    gene_column = "Gene names" if "Gene names" in columns else None
    genes = _first_gene(table[gene_column]) if gene_column else pd.Series([""] * len(table))
    if gene_column:
        check_excel_mangled(genes, column=gene_column, path=path, rows=lines)

    removed: dict[str, int] = {}
    drop = np.zeros(len(table), dtype=bool)
    for key, names in _MAXQUANT_FLAGS.items():
        flag_column = next((c for c in names if c in columns), None)
        if flag_column is not None:
            flagged = _flagged(table[flag_column], flag_column, path)
            if not flagged.any() and key in _MAXQUANT_ID_PREFIX:  # a flag column left empty?
                by_id = ids.str.startswith(_MAXQUANT_ID_PREFIX[key]).to_numpy()
                if by_id.any():
                    log.info("%s: column %r marks no row with '+'; %d row(s) with ids starting %s "
                             "count as %s", path.name, flag_column, int(by_id.sum()),
                             _MAXQUANT_ID_PREFIX[key], key)
                    flagged = by_id
        elif key in _MAXQUANT_ID_PREFIX:
            flagged = ids.str.startswith(_MAXQUANT_ID_PREFIX[key]).to_numpy()
            if flagged.any():
                log.info("%s: no %r column; %d row(s) with ids starting %s count as %s",
                         path.name, names[0], int(flagged.sum()), _MAXQUANT_ID_PREFIX[key], key)
        else:
            flagged = np.zeros(len(table), dtype=bool)
        removed[key] = int(flagged.sum())
        drop |= flagged
    log.info("%s: removed %d protein group(s): %d reverse, %d contaminant, %d only identified "
             "by site", path.name, int(drop.sum()), removed["reverse"], removed["contaminant"],
             removed["only_by_site"])
    if drop.all():
        raise InputError(
            f"all {len(table)} protein groups are reverse, contaminant or only-identified-by-site "
            "hits; nothing is left. Check that this is the right proteinGroups.txt.",
            path=path,
        )
    keep = ~drop
    kept_ids = ids[keep]
    rows = lines[keep]
    values = _parse_values(table.loc[keep, sample_columns], _id_labels(kept_ids), rows, path,
                           linear=not is_log2, delimiter=sep)
    _check_scale(values, is_log2=is_log2, path=path,
                 looks_log2_fix="a MaxQuant table read as linear holds raw intensities; if this "
                 "one is already log2 (a Perseus export), pass {--protein_is_log2} true, or "
                 "give MaxQuant's own proteinGroups.txt")
    zeros = _log2_zeros(values, path=path) if is_log2 else 0
    samples = [c[len(prefix) + 1:].strip() for c in sample_columns]
    _check_samples(samples, sample_columns, path)
    protein_ids = (table["Majority protein IDs"].fillna("").astype(str).str.strip()[keep]
                   if "Majority protein IDs" in columns else kept_ids)
    return _assemble(
        path, fmt="maxquant", ids=kept_ids.tolist(), protein_ids=protein_ids.tolist(),
        gene_names=genes[keep].tolist(), samples=samples, values=values, is_log2=is_log2,
        removed=removed, intensity_prefix=prefix, columns=sample_columns,
        extra={"zeros_to_nan": zeros} if is_log2 else None,
    )


# Values of a MaxQuant flag column without any "+" that do not flag the row
# (case-insensitive); MaxQuant writes "+" or nothing.
_FLAG_FALSE = frozenset({"", "-", "false", "f", "no", "n", "0", "0.0", "na", "nan", "none", "."})
#: Values that flag a row even in a column marking its flagged rows with ``+`` (two exports
#: concatenated, a column edited by hand).
_FLAG_TRUE = frozenset({"+", "true", "t", "yes", "y", "x", "1", "1.0"})


def _flagged(values: pd.Series, column: str, path: Path) -> np.ndarray:
    """Rows a MaxQuant flag column marks.

    A column holding any ``+`` (MaxQuant's own spelling) flags its ``+`` rows and those
    with an unambiguous "true" (:data:`_FLAG_TRUE`: ``TRUE``, ``x``, ``1``, ...); any other
    value is "not flagged", with a warning for values in neither set. A column without
    ``+`` is taken as re-coded: any value not in :data:`_FLAG_FALSE` flags the row. Values
    other than ``+`` that flag a row are logged with their count, so that what was removed
    is on record.

    Raises
    ------
    InputError
        When a column without ``+`` would flag more than half of the rows; the message
        names the column, the most common flagging value and its count.
    """
    text = values.fillna("").astype(str).str.strip()
    plus = text == "+"
    unusual = ~text.str.lower().isin(_FLAG_FALSE) & ~plus
    other = text[unusual].value_counts()
    if plus.any():
        true = text.str.lower().isin(_FLAG_TRUE) & ~plus
        if true.any():
            log.info("%s: column %r: %s count as flagged, as '+' does", path.name, column,
                     _counted(text[true].value_counts()))
        neither = unusual & ~true
        if neither.any():
            log.warning("%s: column %r: %s count as not flagged (the column marks flagged rows "
                        "with '+')", path.name, column, _counted(text[neither].value_counts()))
        return (plus | true).to_numpy(dtype=bool)
    if 2 * int(unusual.sum()) > len(text):
        value, count = other.index[0], int(other.iloc[0])
        more = ", ".join(f"{v!r} in {n}" for v, n in other.iloc[1:4].items())
        more = f" (also {more}{', ...' if len(other) > 4 else ''})" if more else ""
        raise InputError(
            f"column {column!r} holds no '+' (MaxQuant's flag), so it reads as re-coded, and "
            f"its values would flag {int(unusual.sum())} of {len(text)} rows, more than half: "
            f"value {value!r} in {count} rows{more}. Write '+' in the flagged rows and leave "
            "the others empty, as MaxQuant does.",
            path=path,
        )
    if not other.empty:
        log.info("%s: column %r: %s count as flagged (MaxQuant writes '+')", path.name, column,
                 _counted(other))
    return unusual.to_numpy(dtype=bool)


def _counted(counts: pd.Series) -> str:
    """``"3 x 'TRUE', 1 x 'x'"`` for the first five values of a ``value_counts`` result."""
    return (", ".join(f"{n} x {v!r}" for v, n in counts.head(5).items())
            + (" ..." if len(counts) > 5 else ""))


# --------------------------------------------------------------------------- wide tables


# No instrument reports intensities near this; a larger value is a unit or export slip.
MAX_LINEAR = 1e20
LOG2_MAX = 64.0  # a log2 intensity above this would be a linear value above 2**64


def _check_scale(values: np.ndarray, *, is_log2: bool, path: Path,
                 looks_log2_fix: str | None = None) -> None:
    """Stop on log2 input with linear-scale values; warn on linear input that looks log2.

    Linear input looks log2 when every value is <= :data:`LOG2_MAX` and the median of the
    non-zero values is above 5. With ``looks_log2_fix`` (formats that are linear by
    definition: MaxQuant, DIA-NN) that stops, the message ending with the fix, when at
    least 10 non-zero values are there to judge and most have a fractional part (log2
    values do; a hand-made table of small whole numbers is linear); a plain TSV only
    warns.
    """
    observed = values[np.isfinite(values)]
    if observed.size == 0:
        return
    top, median = float(observed.max()), float(np.median(observed))
    if not is_log2 and looks_log2_fix is not None:
        nonzero = observed[observed != 0]
        fractional = float(np.mean(nonzero != np.round(nonzero))) if nonzero.size else 0.0
        if (nonzero.size >= 10 and top <= LOG2_MAX and float(np.median(nonzero)) > 5
                and fractional > 0.5):
            raise InputError(
                f"every intensity is <= {LOG2_MAX:g} (median {float(np.median(nonzero)):.4g}), "
                "as log2 values are, so the table looks log2-transformed already and would be "
                f"log2-transformed again; {looks_log2_fix}.",
                path=path,
            )
    if is_log2 and top > LOG2_MAX:
        raise InputError(
            f"values up to {top:.4g} (median {median:.4g}) are not log2 intensities (those stay "
            f"below {LOG2_MAX:g}); the matrix looks linear: drop {{--protein_is_log2}}.",
            path=path,
        )
    if not is_log2 and top <= LOG2_MAX and median > 5:
        log.warning("%s: all values are <= %g (median %.3g), as log2 intensities are; if the "
                     "matrix is already log2, pass --protein_is_log2 (it is log2-transformed "
                     "again otherwise)", path, LOG2_MAX, median)


# Log2 MS intensities have medians far above this; Olink NPX (often <= 0) stays below it.
LOG2_ZERO_MEDIAN = 10.0


def _log2_zeros(values: np.ndarray, *, path: Path) -> int:
    """Read exact zeros of log2 MS intensities as missing (in place); return their count.

    In log2 intensities whose non-zero median is above :data:`LOG2_ZERO_MEDIAN` (MS
    intensities: 20-30), a 0 is a linear intensity of 1, far below anything measured: it
    is the placeholder some tools write for "not quantified" (NA written as 0). Those
    zeros become NaN with a warning naming the file and their count. Data with a lower
    median (Olink NPX, which may be 0 or negative) are left unchanged.
    """
    zeros = values == 0
    n_zero = int(zeros.sum())
    if not n_zero:
        return 0
    nonzero = values[np.isfinite(values) & ~zeros]
    if not nonzero.size or float(np.median(nonzero)) <= LOG2_ZERO_MEDIAN:
        return 0
    values[zeros] = np.nan
    log.warning("%s: %d of %d log2 value(s) are exactly 0 next to a median of %.3g; 0 is a "
                "missing-value placeholder there and they are read as missing (write NA for "
                "missing values to silence this)", path.name, n_zero, values.size,
                float(np.median(nonzero)))
    return n_zero


def _wide_sample_columns(columns: Sequence[str]) -> list[str]:
    """Return the sample columns of a wide table: all but the first (ids) and ``gene_name``."""
    return [c for c in columns[1:] if c != "gene_name"]


def _read_wide(path: str | Path, *, fmt: str, is_log2: bool, what: str) -> ad.AnnData:
    """First column protein id, optional ``gene_name`` column, the rest samples."""
    path = check_file(path)
    table, sep = _read(path, what=what, numeric=_wide_sample_columns)
    columns = list(table.columns)
    id_column = columns[0]
    gene_column = "gene_name" if "gene_name" in columns[1:] else None
    sample_columns = _wide_sample_columns(columns)
    if not sample_columns:
        raise InputError(
            f"the {what} has no sample columns after {id_column!r}; it needs the protein id "
            "in the first column and one column per sample.",
            path=path,
        )
    rows = np.asarray(data_lines(table))
    ids = _protein_ids(table, id_column, path, what="protein id", lines=rows)
    genes = _first_gene(table[gene_column]) if gene_column else pd.Series([""] * len(table))
    if gene_column:
        check_excel_mangled(genes, column=gene_column, path=path, rows=rows)
    values = _parse_values(table[sample_columns], _id_labels(ids), rows, path, linear=not is_log2,
                           delimiter=sep)
    _check_scale(values, is_log2=is_log2, path=path)
    zeros = _log2_zeros(values, path=path) if is_log2 else 0
    _check_samples(sample_columns, sample_columns, path)
    return _assemble(path, fmt=fmt, ids=ids.tolist(), protein_ids=ids.tolist(),
                     gene_names=genes.tolist(), samples=sample_columns, values=values,
                     is_log2=is_log2, extra={"zeros_to_nan": zeros} if is_log2 else None)


def read_proteus(path: str | Path) -> ad.AnnData:
    """Read a proteus-style log2 protein table.

    Parameters
    ----------
    path
        Tab-separated table whose first column is the protein group id (``Majority
        protein IDs``) followed by one column per sample of log2 intensities; ``NA`` is
        missing (as written by the nf-core/differentialabundance proteus module).

    Returns
    -------
    AnnData with log2 values (``uns["protein_input"]["is_log2"]`` is True); ``gene_name``
    is ``""`` unless a ``gene_name`` column is present.
    """
    return _read_wide(path, fmt="proteus", is_log2=True, what="proteus protein table")


def read_protein_tsv(path: str | Path, *, is_log2: bool) -> ad.AnnData:
    """Read a plain protein x sample matrix.

    Parameters
    ----------
    path
        CSV/TSV: first column the protein id, an optional ``gene_name`` column, every other
        column one sample.
    is_log2
        Whether the values are already log2 (negative values are then allowed).

    Returns
    -------
    AnnData with the values as read.
    """
    return _read_wide(path, fmt="tsv", is_log2=is_log2, what="protein matrix")


# --------------------------------------------------------------------------- DIA-NN


def _run_name(header: str) -> str:
    """Reduce a DIA-NN run header (often a file path) to the file stem."""
    name = re.split(r"[\\/]", header.strip().rstrip("/\\"))[-1]
    while True:
        shorter = _RUN_SUFFIX.sub("", name)
        if shorter == name or not shorter:
            return name
        name = shorter


def _diann_run_columns(columns: Sequence[str]) -> list[str]:
    """Return the run (sample) columns of a DIA-NN pg_matrix: all but its annotation columns."""
    return [c for c in columns if c not in _DIANN_ANNOTATION]


def read_diann(path: str | Path) -> ad.AnnData:
    r"""Read a DIA-NN ``report.pg_matrix.tsv``.

    Parameters
    ----------
    path
        The protein-group matrix: ``Protein.Group``, ``Protein.Ids``, ``Protein.Names``,
        ``Genes``, ``First.Protein.Description`` (and, in newer versions, ``N.Sequences``,
        ``N.Proteotypic.Sequences``), then one column per run. Run headers are usually file
        paths (``/data/run/S01.raw``, ``C:\runs\S01.d``); they are reduced to the file
        name without ``.raw``/``.mzML``/``.d``/``.wiff``/``.dia`` (and ``.gz``) suffixes.

    Returns
    -------
    AnnData of linear intensities; ``var`` index ``Protein.Group``, ``protein_ids`` from
    ``Protein.Ids`` and ``gene_name`` the first of ``Genes``.

    Raises
    ------
    InputError
        Also when every value is <= 64 with a median above 5: the matrix is log2 already.
    """
    path = check_file(path)
    table, sep = _read(path, what="DIA-NN pg_matrix", required=["Protein.Group"],
                       numeric=_diann_run_columns)
    columns = list(table.columns)
    run_columns = _diann_run_columns(columns)
    if not run_columns:
        raise InputError(
            "no run columns after the annotation columns (Protein.Group ... "
            "First.Protein.Description); give the report.pg_matrix.tsv with one column per run.",
            path=path,
        )
    rows = np.asarray(data_lines(table))
    ids = _protein_ids(table, "Protein.Group", path, what="protein group", lines=rows)
    genes = _first_gene(table["Genes"]) if "Genes" in columns else pd.Series([""] * len(table))
    if "Genes" in columns:
        check_excel_mangled(genes, column="Genes", path=path, rows=rows)
    protein_ids = table["Protein.Ids"].fillna("").astype(str) if "Protein.Ids" in columns else ids
    values = _parse_values(table[run_columns], _id_labels(ids), rows, path, linear=True,
                           delimiter=sep)
    _check_scale(values, is_log2=False, path=path,
                 looks_log2_fix="DIA-NN's pg_matrix holds linear intensities: give it as DIA-NN "
                 "wrote it, or read a log2 matrix with {--protein_format} tsv "
                 "{--protein_is_log2} true")
    samples = [_run_name(c) for c in run_columns]
    _check_samples(samples, run_columns, path)
    return _assemble(path, fmt="diann", ids=ids.tolist(), protein_ids=protein_ids.tolist(),
                     gene_names=genes.tolist(), samples=samples, values=values, is_log2=False,
                     columns=run_columns)


# --------------------------------------------------------------------------- Olink


def _decimal_commas(table: pd.DataFrame, column: str, sep: str, path: Path) -> tuple[pd.Series, int]:
    """Olink's ``column`` with decimal commas read (the shared rule, ``outside="decimal"``).

    Returns the text to parse and how many cells had a decimal comma.
    """
    values = table[column]
    numbers = decimal_comma_numbers(values, sep, outside="decimal")
    numbers.stop_if_ambiguous(values, path=path, where=lambda i: (
        f"row {table['_row'].iloc[i]}, column {column!r} (sample {table['SampleID'].iloc[i]!r}, "
        f"assay {table['OlinkID'].iloc[i]!r})"))
    n_comma = int(values.astype("string").str.contains(",", regex=False).fillna(False).sum())
    return numbers.text, n_comma if numbers.decimal else 0


def read_olink(path: str | Path) -> ad.AnnData:
    """Read an Olink NPX file in long format.

    Parameters
    ----------
    path
        Semicolon-, tab- or comma-separated export with columns ``SampleID``, ``OlinkID``,
        ``UniProt``, ``Assay``, ``NPX`` and usually ``QC_Warning`` and ``LOD`` (others, such
        as ``Panel`` or ``PlateID``, are ignored). Decimal commas (``3,14``) are read as
        decimal points, in any delimiter (NPX never reaches a thousand); a value that could
        hide a thousands separator (``1.234,5``, a ``.`` among decimal commas) stops
        (:func:`omics.io._tables.decimal_comma_numbers`).

    Returns
    -------
    AnnData of samples x ``OlinkID`` with NPX (log2 scale, ``is_log2`` True);
    ``protein_ids`` is ``UniProt`` and ``gene_name`` is ``Assay``.

    Notes
    -----
    - NPX values whose ``QC_Warning`` (or Olink Explore's ``SampleQC``) is ``Warning``
      (``WARN``/``FAIL``; case-insensitive) become NaN; the count is logged and stored as
      ``uns["protein_input"]["olink"]["qc_warning_to_nan"]``.
    - NPX values below ``LOD`` are kept, as Olink recommends for statistical analysis;
      their count is stored as ``below_lod_kept`` (None without a ``LOD`` column).
    - Control samples (``SampleID`` starting with ``CONTROL``, or a ``Sample_Type`` other
      than ``SAMPLE``) are dropped with a log line.
    - A (``SampleID``, ``OlinkID``) pair occurring twice stops with an InputError.
    """
    path = check_file(path)
    table, sep = _read(path, what="Olink NPX file", required=_OLINK_REQUIRED)
    lines = np.asarray(data_lines(table))
    for column in ("SampleID", "OlinkID"):
        table[column] = table[column].fillna("").astype(str).str.strip()
        blank = table[column] == ""
        if blank.any():
            raise InputError(
                f"empty {column!r} at row {lines[int(np.flatnonzero(blank.to_numpy())[0])]}; every "
                "NPX row needs a SampleID and an OlinkID.",
                path=path,
            )
    check_excel_mangled(table["Assay"], column="Assay", path=path, rows=lines)
    table["_row"] = lines

    control = table["SampleID"].str.upper().str.startswith("CONTROL").to_numpy(dtype=bool)
    if "Sample_Type" in table.columns:
        kind = table["Sample_Type"].fillna("SAMPLE").astype(str).str.strip().str.upper()
        control |= (kind != "SAMPLE").to_numpy(dtype=bool)
    dropped = list(dict.fromkeys(table.loc[control, "SampleID"]))
    if dropped:
        log.info("%s: dropped %d control sample(s): %s", path.name, len(dropped),
                 ", ".join(dropped[:10]) + (" ..." if len(dropped) > 10 else ""))
    table = table.loc[~control].reset_index(drop=True)
    if table.empty:
        raise InputError("every SampleID is a control sample (CONTROL...); no study samples left.",
                         path=path)

    dup = table.duplicated(["SampleID", "OlinkID"], keep=False).to_numpy(dtype=bool)
    if dup.any():
        first = table.loc[dup].iloc[0]
        same = table.loc[dup & (table["SampleID"] == first["SampleID"]).to_numpy()
                         & (table["OlinkID"] == first["OlinkID"]).to_numpy(), "_row"]
        raise InputError(
            f"SampleID {first['SampleID']!r} with OlinkID {first['OlinkID']!r} occurs "
            f"{len(same)} times (rows {', '.join(map(str, same))}); each sample needs one NPX "
            "per assay. Remove repeated or bridging samples, or rename them, before the "
            "analysis.",
            path=path,
        )

    npx, n_comma = _decimal_commas(table, "NPX", sep, path)
    if n_comma:
        log.info("%s: read %d NPX value(s) written with a decimal comma", path.name, n_comma)
    labels = [f"sample {s!r}, assay {o!r}" for s, o in zip(table["SampleID"], table["OlinkID"],
                                                             strict=True)]
    values = _parse_values(npx.to_frame("NPX"), labels, table["_row"].to_numpy(), path,
                           linear=False)[:, 0]

    qc_column = next((c for c in ("QC_Warning", "SampleQC") if c in table.columns), None)
    n_warning = 0
    if qc_column is not None:
        flags = table[qc_column].fillna("").astype(str).str.strip().str.lower()
        warned = flags.isin(_OLINK_WARNING).to_numpy(dtype=bool) & ~np.isnan(values)
        n_warning = int(warned.sum())
        values[warned] = np.nan
        log.info("%s: %d NPX value(s) with a QC warning set to missing (%s)", path.name,
                 n_warning, qc_column)
    n_below: int | None = None
    if "LOD" in table.columns:
        lod_text, _ = _decimal_commas(table, "LOD", sep, path)
        lod = pd.to_numeric(lod_text, errors="coerce").to_numpy(dtype=np.float64)
        n_below = int(np.sum(values < lod))
        log.info("%s: %d NPX value(s) below LOD kept (Olink's recommendation)", path.name,
                 n_below)

    samples = list(dict.fromkeys(table["SampleID"]))
    assays = list(dict.fromkeys(table["OlinkID"]))
    r = pd.Categorical(table["OlinkID"], categories=assays).codes
    c = pd.Categorical(table["SampleID"], categories=samples).codes
    matrix = np.full((len(assays), len(samples)), np.nan)
    matrix[r, c] = values
    first = table.drop_duplicates("OlinkID").set_index("OlinkID").loc[assays]
    uniprot = first["UniProt"].fillna("").astype(str).str.strip()
    assay = first["Assay"].fillna("").astype(str).str.strip()
    n_unmeasured = int(np.isnan(matrix).sum() - np.isnan(values).sum())
    if n_unmeasured:
        log.info("%s: %d sample x assay combination(s) have no row (missing)", path.name,
                 n_unmeasured)
    extra = {"olink": {"qc_warning_to_nan": n_warning, "below_lod_kept": n_below,
                       "control_samples_dropped": len(dropped), "qc_column": qc_column}}
    return _assemble(path, fmt="olink", ids=assays, protein_ids=uniprot.tolist(),
                     gene_names=assay.tolist(), samples=samples, values=matrix, is_log2=True,
                     extra=extra)


# --------------------------------------------------------------------------- dispatch


def read_protein_matrix(
    path: str | Path,
    *,
    fmt: str,
    intensity: str = "LFQ intensity",
    is_log2: bool = False,
) -> ad.AnnData:
    """Read a protein abundance table in one of the supported formats.

    Parameters
    ----------
    path
        The table.
    fmt
        ``"maxquant"`` (proteinGroups.txt), ``"proteus"``, ``"diann"`` (pg_matrix),
        ``"olink"`` (NPX long format) or ``"tsv"`` (case-insensitive).
    intensity
        MaxQuant intensity family (``"LFQ intensity"``, ``"Intensity"``, ``"iBAQ"``);
        ignored for other formats.
    is_log2
        Whether the values are already log2: for ``"tsv"``, and for ``"maxquant"`` (a
        proteinGroups table log-transformed by Perseus). ``"proteus"`` and ``"olink"`` are
        log2 by definition (True changes nothing); ``"diann"`` is linear, and True stops
        with an :class:`~omics._errors.InputError` rather than being ignored.

    Returns
    -------
    anndata.AnnData
        Samples as ``obs`` (index ``sample``) and protein groups as ``var``, as
        :func:`read_maxquant`, :func:`read_proteus`, :func:`read_diann`, :func:`read_olink`
        or :func:`read_protein_tsv` return them:

        - ``X`` (float64): intensities as read, linear for ``"diann"`` and for
          ``"maxquant"`` and ``"tsv"`` with ``is_log2=False``, log2 for ``"proteus"``,
          ``"olink"`` (NPX) and for ``"maxquant"`` and ``"tsv"`` with ``is_log2=True``;
          missing values are NaN; zeros are kept in linear input
          (:func:`omics.pp.log2_transform` turns them into NaN), and read as NaN, with a
          warning, in log2 MS input whose median is above 10 (a placeholder for missing);
        - ``layers["raw"]``: a copy of ``X``;
        - ``var``: index ``protein_id`` (unique strings), columns ``protein_ids`` and
          ``gene_name`` (first of the ``;``-separated names; an empty one is filled from
          the human UniProt map where the accession is known; ``""`` when unknown);
        - ``uns["protein_input"]``: ``format``, ``path``, ``is_log2``, ``removed`` (counts
          of rows dropped as ``reverse``, ``contaminant`` and ``only_by_site`` hits;
          MaxQuant only, 0 for the other formats) and ``intensity_prefix`` (the MaxQuant
          intensity family; None for the other formats); Olink adds ``olink`` (counts of
          QC-warning values set to NaN, values below LOD kept and control samples dropped,
          and the QC column used).

        Cells reading ``Filtered``, nothing or a missing-value spelling (``NA``, ``NaN``,
        ``N/A``, ``#N/A``, ``null``) are missing.

    Raises
    ------
    omics._errors.InputError
        When ``fmt`` is not one of the formats, or the table cannot be read as that
        format (e.g. a cell that is neither a number nor a missing token, naming the row
        and column).
    """
    key = str(fmt).strip().lower()
    if key == "diann" and is_log2:
        raise InputError(
            "{--protein_is_log2} applies to {--protein_format} tsv and maxquant (proteus and olink "
            "are log2 by definition); a DIA-NN pg_matrix holds linear intensities.",
            path=path,
            fix="Drop {--protein_is_log2}, or read a log2 matrix with {--protein_format} tsv.")
    if key == "maxquant":
        return read_maxquant(path, intensity=intensity, is_log2=is_log2)
    if key == "proteus":
        return read_proteus(path)
    if key == "diann":
        return read_diann(path)
    if key == "olink":
        return read_olink(path)
    if key == "tsv":
        return read_protein_tsv(path, is_log2=is_log2)
    raise InputError(
        f"unknown protein format {fmt!r}; use one of {', '.join(FORMATS)} ({{--protein_format}}).",
        path=path,
    )
