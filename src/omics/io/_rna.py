"""RNA count matrices (nf-core/rnaseq salmon, featureCounts, plain TSV) into AnnData."""

from __future__ import annotations

import re
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd

from .._errors import InputError
from .._logging import get_logger
from .._provenance import input_record
from ._gene_ids import fill_gene_names
from ._tables import (
    DECIMAL_COMMA,
    MISSING_VALUES,
    check_excel_mangled,
    check_ids,
    check_numbers,
    check_unique,
    data_lines,
    decimal_comma_frame,
    first_annotation_column,
    is_missing,
    read_table,
)

log = get_logger("io")

_FEATURECOUNTS_ANNOTATION = ["Geneid", "Chr", "Start", "End", "Strand", "Length"]
# R's largest integer: DESeq2 stores counts as R integers, and pydeseq2 fails on larger ones.
MAX_COUNT = 2**31 - 1
_BAM_SUFFIX = re.compile(r"(\.markdup)?(\.sorted)?(\.Aligned\.sortedByCoord\.out)?\.bam$")
# A file name that says TPM (nf-core/rnaseq's salmon.merged.gene_tpm.tsv, transcript_tpm.tsv).
_TPM_NAME = re.compile(r"(^|[._-])tpm([._-]|$)", re.IGNORECASE)
#: A sample's column sum within this fraction of 10^6 is what TPM (or CPM) sums to.
PER_MILLION_TOLERANCE = 0.001
_ANNOTATION_HINT = {
    "salmon": "the nf-core/rnaseq layout has gene_id and gene_name, then only sample columns",
    "featurecounts": "featureCounts' annotation columns are Geneid, Chr, Start, End, Strand and "
                     "Length, and every later column is a sample (BAM file)",
    "tsv": "a plain matrix has the gene id in the first column, optionally gene_name, then only "
           "sample columns",
}


def _featurecounts_sample(column: str) -> str:
    return _BAM_SUFFIX.sub("", Path(column).name)


def _describe_cell(value: object) -> str:
    """Say what a count cell that is not a number holds."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or str(value).strip() == "":
        return "is empty"
    if str(value).strip().lower() in MISSING_VALUES | {"none", "-"}:
        return f"is {str(value).strip()!r} (a missing value)"
    return f"is {value!r}, not a number"


def _check_sample_names(headers: list[str], names: list[str], first_column: int, path: str | Path) -> None:
    """Stop when two sample columns give one sample name, naming both columns as written.

    ``first_column``: the 1-based file column of ``headers[0]``.
    """
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in seen:
            j = seen[name]
            raise InputError(
                f"{headers[j]!r} and {headers[i]!r} both give sample name {name!r}.", path=path,
                where=f"columns {first_column + j} and {first_column + i}",
                fix="Every sample needs its own column name: rename one (for featureCounts, the BAM "
                    "file name without its folder and .bam suffix is the sample name).")
        seen[name] = i


def _annotation_column(data: pd.DataFrame, values: pd.DataFrame, fmt: str, lines: range,
                       path: str | Path) -> None:
    """Stop when a column taken as a sample holds text and no number: an annotation column.

    Only when another column holds counts and this one at least two text cells, none of
    them number-like (:data:`~omics.io._tables.NUMBER_LIKE`): otherwise (decimal commas,
    a single bad cell) the first bad cell is reported.
    """
    found = first_annotation_column(data, values, data.apply(is_missing))
    if found is not None:
        column, row = found
        first = " (gene_id must be the first column)" if column == "gene_id" else ""
        raise InputError(
            f"not a sample column: none of its cells is a count (row {lines[row]}: "
            f"{data[column].iloc[row]!r}){first}; {_ANNOTATION_HINT[fmt]}.",
            path=path, where=f"column {column!r}",
            fix="Remove the annotation column(s), or give the counts file as the pipeline wrote it.")


def _check_not_tpm(matrix: np.ndarray, fractional: bool, path: str | Path) -> None:
    """Stop when a matrix given as counts looks like TPM (or CPM): see :func:`read_rna_counts`."""
    sums = matrix.sum(axis=0)
    per_million = bool(sums.size) and bool(np.all(np.abs(sums - 1e6) <= PER_MILLION_TOLERANCE * 1e6))
    named = bool(_TPM_NAME.search(Path(path).name))
    if not ((fractional and (per_million or named)) or (named and per_million)):
        return
    signs = [s for s, present in (
        (f"every sample's column sums to 1,000,000 (+-{PER_MILLION_TOLERANCE:.1%}; here "
         f"{sums.min():,.0f} to {sums.max():,.0f})", per_million),
        ("the values are fractional", fractional), ("the file name says TPM", named)) if present]
    raise InputError(
        f"the matrix looks like TPM (or CPM), not counts: {' and '.join(signs)}. DESeq2 needs "
        "read counts.", path=path,
        fix="Give the counts of the same run: nf-core/rnaseq writes salmon.merged.gene_counts.tsv "
            "next to salmon.merged.gene_tpm.tsv ({--rna_counts}).")


def read_rna_counts(path: str | Path) -> ad.AnnData:
    """Read an RNA-seq gene count matrix.

    The format is recognised from the header:

    - nf-core/rnaseq ``salmon.merged.gene_counts.tsv``: ``gene_id, gene_name, <samples>``;
      salmon's estimated counts are fractional and are rounded (logged). The TPM table
      of the same layout (``salmon.merged.gene_tpm.tsv``) stops, and so does any
      per-million table (CPM): a matrix is taken for TPM when its values are fractional
      and every sample's column sums to 10^6 (within :data:`PER_MILLION_TOLERANCE`, 0.1 %:
      TPM sums to 10^6 but for the rounding of the printed values, while the estimated
      counts of all samples summing to 10^6 within 0.1 % would be a coincidence), when
      its values are fractional and the file name says ``tpm`` (``gene_tpm.tsv``), or
      when both the name and the sums say so (rounded TPM). Whole-number counts whose
      library sizes happen to be 10^6 are counts (a simulation);
    - featureCounts: ``Geneid, Chr, Start, End, Strand, Length, <BAM paths>`` with ``#``
      comment lines; BAM paths are reduced to sample names;
    - plain TSV/CSV: the first column is the feature id, optional ``gene_name``; counts
      must be whole numbers. A header without a name for the first column (R's
      ``write.table``) is accepted and the column is called ``gene_id``.

    In a ``;``-separated matrix (a European spreadsheet export) a decimal comma is a
    decimal mark (``12,5``), so that it reads like its ``,``-separated twin; a count there
    that could hide a thousands separator (``1.234,5``, or ``885.2`` in a column of
    decimal commas) stops, naming the cell. In a tab- or comma-separated matrix ``12,5``
    is not a number and stops (:func:`omics.io._tables.decimal_comma_numbers`).

    Gzip-compressed files are read whatever their suffix. Row numbers in messages are
    file line numbers (featureCounts' ``#`` comment lines included); ``#`` starts a
    comment only in the lines before the header, elsewhere it is text (``S#2``).
    Columns without a name and without values (trailing delimiters) are ignored; a
    column without a name but with counts stops, naming its position, and so does a
    text column among the samples (an annotation column such as ``gene_biotype``). Gene
    ids and names are stripped of surrounding spaces. Human Ensembl gene ids without a
    gene name get their symbol from the shipped id map (for enrichment).

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
    lines = data_lines(table)
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
            table[column] = table[column].mask(is_missing(table[column]))
    data = table.drop(columns=annotation)
    if fmt == "featurecounts":
        ids = table["Geneid"].astype(str).str.strip()
        names = ids
        samples = [_featurecounts_sample(c) for c in data.columns]
    elif fmt == "salmon":
        ids = table["gene_id"].astype(str).str.strip()
        names = table["gene_name"].fillna("").astype(str).str.strip()
        samples = list(data.columns)
    else:
        ids = table.iloc[:, 0].astype(str).str.strip()
        names = (table["gene_name"].fillna("").astype(str).str.strip() if "gene_name" in columns[1:]
                 else ids)
        samples = list(data.columns)
    if data.shape[1] == 0:
        raise InputError("the count matrix has no sample columns.", path=path)
    id_column = {"featurecounts": "Geneid", "salmon": "gene_id"}.get(fmt, columns[0])
    check_ids(table[id_column], column=id_column, path=path, what="gene id", rows=lines)
    check_unique(ids, column=id_column, path=path, what="gene id", rows=lines)
    _check_sample_names([str(c) for c in data.columns], [str(c) for c in samples],
                        columns.index(data.columns[0]) + 1, path)
    data.columns = samples
    if fmt != "featurecounts":
        check_excel_mangled(names, column="gene_name" if fmt == "salmon" or "gene_name" in columns
                            else columns[0], path=path, rows=lines)

    # A ';'-separated matrix (the European export) writes decimals with commas: read as its
    # ','-separated twin (_tables.decimal_comma_numbers); elsewhere a comma is not a number.
    data = decimal_comma_frame(data, table.attrs["delimiter"], path=path,
                               where=lambda i, column: f"row {lines[i]}, column {column!r}")
    # Columns the parser read as numbers are what pd.to_numeric would return: only text
    # columns go through it (1,000 x 20,000 counts: 0.4 s), and only then are the missing
    # cells looked for in the data frame rather than in the matrix.
    kinds = {dtype.kind for dtype in data.dtypes}
    values = data if kinds <= set("iuf") else data.apply(pd.to_numeric, errors="coerce")
    matrix = values.to_numpy(dtype=float)
    if np.isnan(matrix).any():
        _annotation_column(data, values, fmt, lines, path)
        bad = values.isna() & data.notna()
        where = bad if bad.any().any() else values.isna()
        col = where.any(axis=0).idxmax()
        row = int(np.argmax(where[col].to_numpy()))
        cell = str(data[col].iloc[row]).strip()
        advice = (f"Write it without a thousands separator ({cell.replace(',', '')}), or with a "
                  f"decimal point if the comma is one ({cell.replace(',', '.')}): a decimal comma is "
                  "read only in a ';'-separated file." if DECIMAL_COMMA.match(cell) else
                  "Missing counts are not allowed: fill the cell with the count (0 only if the count "
                  "really is 0) or remove the gene or sample.")
        raise InputError(
            f"count for gene {ids.iloc[row]!r} (row {lines[row]}) in column {col!r} "
            f"{_describe_cell(data[col].iloc[row])}; counts must be non-negative integers. {advice}",
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
    if fmt != "featurecounts":
        _check_not_tpm(matrix, bool(fractional.any()), path)
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
    adata.uns["rna_input"] = {"format": fmt, **input_record(path), "rounded": int(fractional.sum())}
    return adata

