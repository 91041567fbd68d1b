"""Microarray log2 intensity matrices (RMA output, GEO series matrix tables) into AnnData."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd

from .._errors import InputError
from .._logging import get_logger
from .._provenance import input_record
from ._tables import (
    _GZIP_ERRORS,
    DECIMAL_COMMA,
    MISSING_VALUES,
    _corrupt_gzip,
    check_excel_mangled,
    check_file,
    check_ids,
    check_unique,
    data_lines,
    decimal_comma_frame,
    drop_empty_unnamed,
    first_annotation_column,
    is_gzip,
    is_missing,
    open_text,
    read_table,
)

log = get_logger("io")

_SYMBOL_COLUMNS = ("gene_name", "symbol", "gene_symbol", "gene symbol", "gene.symbol")
#: Gene-symbol cells meaning "no symbol": the missing-value spellings and Affymetrix/GEO's ``---``.
NO_SYMBOL = MISSING_VALUES | {"---"}
_BEGIN, _END = "!series_matrix_table_begin", "!series_matrix_table_end"
#: RMA/GEO log2 intensities lie within about 0-20; larger values mean a linear scale.
LOG2_MAX = 32.0


def _series_matrix_table(path: Path) -> tuple[str, int] | None:
    """Return the data table of a GEO series matrix file and its header's line number, or None.

    None for other files. Stops on a truncated gzip file, a missing
    ``!series_matrix_table_end`` line (a partial download) and a header naming a column
    twice.
    """
    try:
        with open_text(path) as handle:
            head = handle.read(1 << 16)
            if not head.lstrip().startswith("!") and _BEGIN not in head:
                return None
            text = head + handle.read()
    except _GZIP_ERRORS:
        if is_gzip(path):
            raise _corrupt_gzip(path) from None
        raise
    start = text.find(_BEGIN)
    if start < 0:
        raise InputError(f"a GEO series matrix without a '{_BEGIN}' line.", path=path)
    end = text.find(_END, start)
    if end < 0:
        raise InputError(f"the GEO series matrix has no '{_END}' line after its table: the file is "
                         "incomplete.", path=path,
                         fix="Download it again (a partial download?) and check its size.")
    table = text[text.index("\n", start) + 1: end]
    header_line = text.count("\n", 0, start) + 2
    fields = [f.strip().strip('"').strip() for f in table.split("\n", 1)[0].rstrip("\r").split("\t")]
    seen: dict[str, int] = {}
    for position, name in enumerate(fields, start=1):
        if name and name in seen:
            raise InputError(f"column name {name!r} appears twice in the table header (columns "
                             f"{seen[name]} and {position}).", path=path,
                             where=f"line {header_line}",
                             fix="Each sample (GSM) needs one column: remove the repeated one.")
        seen[name] = position
    return table, header_line


def _check_annotation_columns(text: pd.DataFrame, values: pd.DataFrame, missing: pd.DataFrame,
                              symbol_col: str | None, rows: Sequence[int], path: Path) -> None:
    """Stop when a column taken as a sample holds text and no number: an annotation column.

    Only when another column holds numbers and this one at least two text cells, none of
    them number-like (:data:`~omics.io._tables.NUMBER_LIKE`): otherwise (decimal commas,
    a single bad cell) the first bad cell is reported.
    """
    found = first_annotation_column(text, values, missing)
    if found is not None:
        column, row = found
        second = (f"; only one gene-symbol column is used ({symbol_col!r})"
                  if symbol_col and column.strip().lower() in _SYMBOL_COLUMNS else "")
        raise InputError(
            f"not a sample column: none of its cells is a number (row {rows[row]}: "
            f"{text[column].iloc[row]!r}){second}. The matrix has the probe id in the "
            "first column, an optional gene-symbol column (gene_name, symbol, gene_symbol, Gene "
            "Symbol), then only samples.", path=path, where=f"column {column!r}",
            fix="Remove the annotation column(s).")


def _check_log2(matrix: np.ndarray, columns: list[str], ids: pd.Series, path: Path) -> None:
    """Stop on values above :data:`LOG2_MAX`: a linear matrix, or an annotation column of ids."""
    high = np.nan_to_num(matrix, nan=0.0) > LOG2_MAX
    if not high.any():
        return
    r, c = np.argwhere(high)[0]
    column = columns[c]
    above = high.any(axis=0)
    if above.sum() < len(columns):  # other columns are on the log2 scale
        cells = matrix[:, c][np.isfinite(matrix[:, c])]
        whole = bool(np.all(cells == np.round(cells)))
        what = ("whole numbers, an annotation column (gene ids?), not a sample" if whole else
                "an annotation column, or a sample on a linear scale")
        raise InputError(
            f"values up to {cells.max():g} (probe {ids.iloc[r]!r}: {matrix[r, c]:g}), while "
            f"{len(columns) - int(above.sum())} other column(s) are log2 intensities (at most "
            f"{LOG2_MAX:g}): {what}.", path=path, where=f"column {column!r}",
            fix="Remove annotation columns (only the probe id and one gene-symbol column may precede "
                "the samples); give every sample as log2 intensities.")
    raise InputError(
        f"value {matrix[r, c]:g} for probe {ids.iloc[r]!r} in column {column!r} is "
        f"above {LOG2_MAX:g}: the matrix looks linear, not log2. Give log2 normalised "
        "intensities (RMA output is log2; log2-transform MAS5 values).", path=path)


def _first_symbol(names: pd.Series, path: Path) -> pd.Series:
    """Keep the first gene of a probe annotated with several (GEO platform style ``A /// B``)."""
    several = names.str.contains("///", regex=False)
    if not several.any():
        return names
    log.info("%s: %d probes name several genes (GEO 'A /// B'); the first gene is used "
             "(e.g. %r -> %r)", path.name, int(several.sum()), names[several].iloc[0],
             names[several].iloc[0].split("///")[0].strip())
    return names.where(~several, names.str.split("///").str[0].str.strip())


def read_array_matrix(path: str | Path) -> ad.AnnData:
    """Read a log2 normalised microarray matrix.

    Accepted: a TSV/CSV whose first column is the probe id (e.g. ``write.table(exprs(
    rma(...)))``; R's header without a first name works), with an optional gene-symbol
    column (``gene_name``, ``symbol``, ``Gene Symbol``); or a GEO series matrix file
    (``GSE..._series_matrix.txt[.gz]``, the table between ``!series_matrix_table_begin``
    and ``_end``, ``ID_REF`` = probe id; a file without the ``_end`` line, a truncated
    gzip file or a sample column named twice stops). Missing values (empty, ``NA``,
    ``NaN``, ``N/A``, ``#N/A``, ``null``; :data:`omics.io._tables.MISSING_VALUES`) are
    kept as NaN; limma fits each probe on its observed values. A gene symbol written as a
    missing value or as ``---`` (Affymetrix annotation) is no symbol. Any other text, and
    ``Inf``, stops naming the cell; so do an empty or ``NA`` probe id, gene symbols
    turned into dates by Excel (``1-Mar``), and annotation columns among the samples
    (text, or whole numbers such as Entrez ids). Columns without a name and without
    values (trailing delimiters), and rows empty in every cell (a spreadsheet's ``,,,,``),
    are ignored (messages name the file's line numbers). In a ``;``-separated matrix decimal commas
    (``7,5``) are decimal marks (:func:`omics.io._tables.decimal_comma_numbers`); elsewhere
    they stop, naming the cell. A probe annotated with several genes
    (GEO platform style ``TP53 /// TP53P1``) takes the first one as its symbol.

    Parameters
    ----------
    path
        The matrix.

    Returns
    -------
    AnnData, samples x probes, log2 values in ``X`` and ``layers["log2"]``; ``var``:
    ``probe_id`` index and ``gene_name`` (the symbol, or the probe id when none is given).
    """
    path = check_file(path)
    geo = _series_matrix_table(path)
    if geo is not None:
        table_text, header_line = geo
        table = pd.read_csv(io.StringIO(table_text), sep="\t", dtype=str, keep_default_na=False)
        table.columns = [str(c).strip().strip('"') for c in table.columns]
        table = table.apply(lambda c: c.str.strip().str.strip('"'))
        first_line = header_line + 1
        table = drop_empty_unnamed(table, path=path, what="GEO series matrix table",
                                   first_line=first_line, row_names="ID_REF")
        # rows empty in every cell (read_table drops them from a plain matrix itself),
        # keeping each remaining row's file line number for the messages
        empty_rows = (table == "").all(axis=1).to_numpy()
        rows = [first_line + i for i in np.flatnonzero(~empty_rows)]
        if empty_rows.any():
            table = table.loc[~empty_rows].reset_index(drop=True)
        fmt = "geo_series_matrix"
        delimiter = "\t"
    else:
        table = read_table(path, what="array matrix", dtype=str, row_names="probe_id", na_values=())
        rows = list(data_lines(table))
        fmt = "tsv"
        delimiter = table.attrs["delimiter"]
    columns = list(table.columns)
    probe_col = columns[0]
    symbol_col = next((c for c in columns[1:] if c.strip().lower() in _SYMBOL_COLUMNS), None)
    check_ids(table[probe_col], column=probe_col, path=path, what="probe id", rows=rows)
    ids = table[probe_col].fillna("").astype(str).str.strip()
    check_unique(ids, column=probe_col, path=path, what="probe id", rows=rows)
    data = table.drop(columns=[probe_col] + ([symbol_col] if symbol_col else []))
    if data.shape[1] == 0:
        raise InputError("the array matrix has no sample columns.", path=path)
    check_unique(data.columns, column="header", path=path, what="sample column")
    if table.empty:
        raise InputError("the array matrix has no probe rows (every row is empty).", path=path)
    text = data.fillna("").apply(lambda c: c.astype(str).str.strip())
    missing = text.apply(is_missing)
    # decimal commas of a ';'-separated matrix (_tables.decimal_comma_numbers)
    numbers = decimal_comma_frame(text, delimiter, path=path,
                                  where=lambda i, column: f"row {rows[i]}, sample column {column!r}")
    values = numbers.apply(lambda c: pd.to_numeric(c, errors="coerce"))
    _check_annotation_columns(text, values, missing, symbol_col, rows, path)
    infinite = pd.DataFrame(np.isinf(values.to_numpy(float)), index=values.index, columns=values.columns)
    bad = (values.isna() & ~missing) | infinite
    if bad.any().any():
        col = bad.any(axis=0).idxmax()
        row = int(np.argmax(bad[col].to_numpy()))
        problem = "is not a finite number" if infinite[col].iloc[row] else "is not a number"
        cell = text[col].iloc[row]
        comma = (f" Write it with a decimal point ({cell.replace(',', '.')}): a decimal comma is "
                 "read only in a ';'-separated file." if DECIMAL_COMMA.match(cell) else "")
        raise InputError(
            f"value {cell!r} for probe {ids.iloc[row]!r} (row {rows[row]}) in sample "
            f"column {col!r} {problem}; give log2 intensities (NA for missing).{comma}", path=path)
    matrix = values.to_numpy(float)
    _check_log2(matrix, list(data.columns), ids, path)
    if symbol_col:
        names = table[symbol_col].fillna("").astype(str).str.strip()
        check_excel_mangled(names, column=symbol_col, path=path, rows=rows)
        names = _first_symbol(names, path)
        names = names.where(~names.str.lower().isin(NO_SYMBOL), "")
    else:
        names = ids
    var = pd.DataFrame({"gene_name": names.to_numpy()}, index=pd.Index(ids.to_numpy(), name="probe_id"))
    obs = pd.DataFrame(index=pd.Index([str(c) for c in data.columns], name="sample"))
    adata = ad.AnnData(X=matrix.T.copy(), obs=obs, var=var)
    adata.layers["log2"] = matrix.T.copy()
    adata.uns["rna_input"] = {"format": f"array_{fmt}", **input_record(path),
                              "gene_symbols": symbol_col is not None}
    log.info("%s: array matrix (%s), %d samples x %d probes, %d missing values, gene symbols: %s",
             path.name, fmt, adata.n_obs, adata.n_vars, int(np.isnan(matrix).sum()),
             symbol_col or "none (probe ids are used)")
    return adata
