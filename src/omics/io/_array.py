"""Microarray log2 intensity matrices (RMA output, GEO series matrix tables) into AnnData."""

from __future__ import annotations

import io
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd

from .._errors import InputError
from .._logging import get_logger
from ._tables import check_file, check_unique, open_text, read_table

log = get_logger("io")

_SYMBOL_COLUMNS = ("gene_name", "symbol", "gene_symbol", "gene symbol", "gene.symbol")
_BEGIN, _END = "!series_matrix_table_begin", "!series_matrix_table_end"
#: RMA/GEO log2 intensities lie within about 0-20; larger values mean a linear scale.
LOG2_MAX = 32.0


def _series_matrix_table(path: Path) -> str | None:
    """Return the data table of a GEO series matrix file, or None for other files."""
    with open_text(path) as handle:
        head = handle.read(1 << 16)
        if not head.lstrip().startswith("!") and _BEGIN not in head:
            return None
        text = head + handle.read()
    start = text.find(_BEGIN)
    if start < 0:
        raise InputError(f"a GEO series matrix without a '{_BEGIN}' line.", path=path)
    end = text.find(_END, start)
    return text[text.index("\n", start) + 1: end if end >= 0 else len(text)]


def read_array_matrix(path: str | Path) -> ad.AnnData:
    """Read a log2 normalised microarray matrix.

    Accepted: a TSV/CSV whose first column is the probe id (e.g. ``write.table(exprs(
    rma(...)))``; R's header without a first name works), with an optional gene-symbol
    column (``gene_name``, ``symbol``, ``Gene Symbol``); or a GEO series matrix file
    (``GSE..._series_matrix.txt[.gz]``, the table between ``!series_matrix_table_begin``
    and ``_end``, ``ID_REF`` = probe id). Missing values (``NA``, ``null``, empty) are
    kept as NaN; limma fits each probe on its observed values.

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
    table_text = _series_matrix_table(path)
    if table_text is not None:
        table = pd.read_csv(io.StringIO(table_text), sep="\t", dtype=str, keep_default_na=False)
        table.columns = [str(c).strip().strip('"') for c in table.columns]
        table = table.apply(lambda c: c.str.strip().str.strip('"'))
        first_line = 2
        fmt = "geo_series_matrix"
    else:
        table = read_table(path, what="array matrix", dtype=str, row_names="probe_id", na_values=())
        first_line = table.attrs["first_line"]
        fmt = "tsv"
    columns = list(table.columns)
    probe_col = columns[0]
    symbol_col = next((c for c in columns[1:] if c.strip().lower() in _SYMBOL_COLUMNS), None)
    ids = table[probe_col].fillna("").astype(str).str.strip()
    rows = range(first_line, first_line + len(ids))
    check_unique(ids, column=probe_col, path=path, what="probe id", rows=rows)
    data = table.drop(columns=[probe_col] + ([symbol_col] if symbol_col else []))
    if data.shape[1] == 0:
        raise InputError("the array matrix has no sample columns.", path=path)
    check_unique(data.columns, column="header", path=path, what="sample column")
    text = data.fillna("").apply(lambda c: c.astype(str).str.strip())
    missing = text.apply(lambda c: c.str.lower().isin({"", "na", "nan", "null", "n/a"}))
    values = text.apply(lambda c: pd.to_numeric(c, errors="coerce"))
    bad = values.isna() & ~missing
    if bad.any().any():
        col = bad.any(axis=0).idxmax()
        row = int(np.argmax(bad[col].to_numpy()))
        raise InputError(
            f"value {text[col].iloc[row]!r} for probe {ids.iloc[row]!r} (row {rows[row]}) in sample "
            f"column {col!r} is not a number; give log2 intensities (NA for missing).", path=path)
    matrix = values.to_numpy(float)
    finite = matrix[np.isfinite(matrix)]
    if finite.size and finite.max() > LOG2_MAX:
        r, c = np.argwhere(np.nan_to_num(matrix, nan=0.0) > LOG2_MAX)[0]
        raise InputError(
            f"value {matrix[r, c]:g} for probe {ids.iloc[r]!r} in column {data.columns[c]!r} is "
            f"above {LOG2_MAX:g}: the matrix looks linear, not log2. Give log2 normalised "
            "intensities (RMA output is log2; log2-transform MAS5 values).", path=path)
    if symbol_col:
        names = table[symbol_col].fillna("").astype(str).str.strip()
    else:
        names = ids
    var = pd.DataFrame({"gene_name": names.to_numpy()}, index=pd.Index(ids.to_numpy(), name="probe_id"))
    obs = pd.DataFrame(index=pd.Index([str(c) for c in data.columns], name="sample"))
    adata = ad.AnnData(X=matrix.T.copy(), obs=obs, var=var)
    adata.layers["log2"] = matrix.T.copy()
    adata.uns["rna_input"] = {"format": f"array_{fmt}", "path": str(path),
                              "gene_symbols": symbol_col is not None}
    log.info("%s: array matrix (%s), %d samples x %d probes, %d missing values, gene symbols: %s",
             path.name, fmt, adata.n_obs, adata.n_vars, int(np.isnan(matrix).sum()),
             symbol_col or "none (probe ids are used)")
    return adata
