"""RNA count matrices (nf-core/rnaseq salmon, featureCounts, plain TSV) into AnnData."""

from __future__ import annotations

import re
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd

from .._errors import InputError
from .._logging import get_logger
from ._gene_ids import fill_gene_names
from ._tables import check_excel_mangled, check_ids, check_numbers, check_unique, read_table

log = get_logger("io")

_FEATURECOUNTS_ANNOTATION = ["Geneid", "Chr", "Start", "End", "Strand", "Length"]
# R's largest integer: DESeq2 stores counts as R integers, and pydeseq2 fails on larger ones.
MAX_COUNT = 2**31 - 1
_BAM_SUFFIX = re.compile(r"(\.markdup)?(\.sorted)?(\.Aligned\.sortedByCoord\.out)?\.bam$")


def _featurecounts_sample(column: str) -> str:
    return _BAM_SUFFIX.sub("", Path(column).name)


def _describe_cell(value: object) -> str:
    """Say what a count cell that is not a number holds."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or str(value).strip() == "":
        return "is empty"
    if str(value).strip().upper() in {"NA", "NAN", "N/A", "NULL", "NONE", "-"}:
        return f"is {str(value).strip()!r} (a missing value)"
    return f"is {value!r}, not a number"


def read_rna_counts(path: str | Path) -> ad.AnnData:
    """Read an RNA-seq gene count matrix.

    The format is recognised from the header:

    - nf-core/rnaseq ``salmon.merged.gene_counts.tsv``: ``gene_id, gene_name, <samples>``;
      salmon's estimated counts are fractional and are rounded (logged);
    - featureCounts: ``Geneid, Chr, Start, End, Strand, Length, <BAM paths>`` with ``#``
      comment lines; BAM paths are reduced to sample names;
    - plain TSV/CSV: the first column is the feature id, optional ``gene_name``; counts
      must be whole numbers. A header without a name for the first column (R's
      ``write.table``) is accepted and the column is called ``gene_id``.

    Gzip-compressed files are read whatever their suffix. Row numbers in messages are
    file line numbers (featureCounts' ``#`` comment lines included). Human Ensembl gene
    ids without a gene name get their symbol from the shipped id map (for enrichment).

    Parameters
    ----------
    path
        The count matrix.

    Returns
    -------
    AnnData with samples as obs, genes as var (``gene_id`` index, ``gene_name``), integer
    counts in ``X`` and ``layers["counts"]``.
    """
    table = read_table(path, what="count matrix", comment="#", row_names="gene_id", na_values=())
    first_line = table.attrs["first_line"]
    lines = range(first_line, first_line + table.shape[0])
    columns = list(table.columns)
    if columns[: len(_FEATURECOUNTS_ANNOTATION)] == _FEATURECOUNTS_ANNOTATION:
        fmt = "featurecounts"
        annotation = _FEATURECOUNTS_ANNOTATION
    elif columns[:2] == ["gene_id", "gene_name"]:
        fmt = "salmon"
        annotation = columns[:2]
    else:
        fmt = "tsv"
        annotation = [columns[0], *(["gene_name"] if "gene_name" in columns[1:] else [])]
    # Empty and NA cells are kept as text so that messages can quote them; outside the counts
    # they are missing values, as in every other table.
    for column in annotation:
        if table[column].dtype == object:
            table[column] = table[column].mask(table[column].isin(["", "NA"]))
    data = table.drop(columns=annotation)
    if fmt == "featurecounts":
        ids = table["Geneid"].astype(str)
        names = ids
        data.columns = [_featurecounts_sample(c) for c in data.columns]
    elif fmt == "salmon":
        ids, names = table["gene_id"].astype(str), table["gene_name"].fillna("").astype(str)
    else:
        ids = table.iloc[:, 0].astype(str)
        names = table["gene_name"].fillna("").astype(str) if "gene_name" in columns[1:] else ids
    if data.shape[1] == 0:
        raise InputError("the count matrix has no sample columns.", path=path)
    id_column = {"featurecounts": "Geneid", "salmon": "gene_id"}.get(fmt, columns[0])
    check_ids(table[id_column], column=id_column, path=path, what="gene id", rows=lines)
    check_unique(ids, column=id_column, path=path, what="gene id", rows=lines)
    check_unique(data.columns, column="header", path=path, what="sample column")
    if fmt != "featurecounts":
        check_excel_mangled(names, column="gene_name" if fmt == "salmon" or "gene_name" in columns
                            else columns[0], path=path, rows=lines)

    # Columns the parser read as numbers are what pd.to_numeric would return: only text
    # columns go through it (1,000 x 20,000 counts: 0.4 s), and only then are the missing
    # cells looked for in the data frame rather than in the matrix.
    kinds = {dtype.kind for dtype in data.dtypes}
    values = data if kinds <= set("iuf") else data.apply(pd.to_numeric, errors="coerce")
    matrix = values.to_numpy(dtype=float)
    if np.isnan(matrix).any():
        bad = values.isna() & data.notna()
        where = bad if bad.any().any() else values.isna()
        col = where.any(axis=0).idxmax()
        row = int(np.argmax(where[col].to_numpy()))
        raise InputError(
            f"count for gene {ids.iloc[row]!r} (row {lines[row]}) in column {col!r} "
            f"{_describe_cell(data[col].iloc[row])}; counts must be non-negative integers. Missing "
            "counts are not allowed: fill the cell with the count (0 only if the count really is 0) "
            "or remove the gene or sample.",
            path=path,
        )
    check_numbers(matrix, labels=[f"gene {i!r}" for i in ids], columns=list(data.columns),
                  rows=lines, path=path, what="count", maximum=MAX_COUNT,
                  fix="Counts are whole numbers of reads; check the cell (a unit or export slip?).")
    if (matrix < 0).any():
        r, c = np.argwhere(matrix < 0)[0]
        raise InputError(
            f"negative count {matrix[r, c]} for gene {ids.iloc[r]!r} (row {lines[r]}) in column "
            f"{data.columns[c]!r}; counts must be >= 0 (is this a log or normalised matrix?).",
            path=path,
        )
    whole = kinds <= set("iu")  # integer columns as read: nothing to round
    fractional = np.zeros((0,), dtype=bool) if whole else np.abs(matrix - np.round(matrix)) > 1e-8
    if fractional.any():
        if fmt != "salmon":
            r, c = np.argwhere(fractional)[0]
            raise InputError(
                f"count {matrix[r, c]} for gene {ids.iloc[r]!r} (row {lines[r]}) in column "
                f"{data.columns[c]!r} is not a whole number. Give raw integer counts; salmon/RSEM "
                "estimated counts are accepted in the nf-core/rnaseq layout (gene_id, gene_name, "
                "samples) and rounded.",
                path=path,
            )
        log.info("%s: rounded %d fractional salmon counts to integers (as DESeqDataSetFromMatrix "
                 "requires)", Path(path).name, int(fractional.sum()))
    counts = (matrix if whole else np.round(matrix)).astype(np.int64).T
    symbols = fill_gene_names([str(i) for i in ids], [str(n) for n in names], what=Path(path).name)
    var = pd.DataFrame({"gene_name": symbols}, index=pd.Index(ids.to_numpy(), name="gene_id"))
    obs = pd.DataFrame(index=pd.Index([str(c) for c in data.columns], name="sample"))
    adata = ad.AnnData(X=counts, obs=obs, var=var)
    adata.layers["counts"] = counts.copy()
    adata.uns["rna_input"] = {"format": fmt, "path": str(path), "rounded": int(fractional.sum())}
    return adata

