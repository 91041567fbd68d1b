"""Gene-level rankings from differential tables (for GSEA and ORA)."""

from __future__ import annotations

import pandas as pd

from .._errors import InputError

#: Columns of the results table of each differential method (:func:`omics.tl.deseq2`,
#: :func:`omics.tl.limma`; the ``<method>`` of ``omics de``'s file names): the statistic genes
#: are ranked by, the adjusted p-value and the log2 fold change.
DE_COLUMNS = {"deseq2": ("stat", "padj", "log2FoldChange"), "limma": ("t", "adj.P.Val", "logFC")}
#: The same by table kind (:func:`table_kind`): ``"rna"`` a DESeq2 table, ``"protein"`` a limma one.
STATISTIC = {"rna": DE_COLUMNS["deseq2"], "protein": DE_COLUMNS["limma"]}


def statistic_columns(de_table: pd.DataFrame, modality: str) -> tuple[str, str, str]:
    """``(statistic, adjusted p, log2 fold change)`` columns of a DESeq2 or limma table.

    Judged from the columns, so RNA analysed by limma (qPCR, arrays) reads ``t``.
    """
    if "t" in de_table.columns and "stat" not in de_table.columns:
        return STATISTIC["protein"]
    if "stat" in de_table.columns:
        return STATISTIC["rna"]
    return STATISTIC[modality]


def table_kind(de_table: pd.DataFrame) -> str:
    """Return ``"rna"`` for a DESeq2 table (``stat`` column), ``"protein"`` for a limma one (``t``)."""
    return "rna" if "stat" in de_table.columns and "log2FoldChange" in de_table.columns else "protein"


def gene_statistic(de_table: pd.DataFrame, modality: str | None = None) -> pd.Series:
    """Ranking statistic per gene symbol: the Wald stat (RNA) or moderated t (protein).

    Features without a statistic or a gene name are dropped; several features of one
    gene (protein groups, duplicated symbols) are collapsed to the one with the largest
    absolute statistic, keeping its sign.

    Parameters
    ----------
    de_table
        A DESeq2 (``stat``) or limma (``t``) results table with ``gene_name``.
    modality
        ``"rna"`` (DESeq2 columns) or ``"protein"`` (limma columns); default: from the
        table's columns.

    Returns
    -------
    pandas.Series
        Statistic indexed by gene symbol, sorted by symbol.

    Raises
    ------
    omics._errors.InputError
        When ``de_table`` is not a DataFrame, ``modality`` is neither ``"rna"`` nor
        ``"protein"``, or the table lacks ``gene_name`` or the statistic column.
    """
    if not isinstance(de_table, pd.DataFrame):
        raise InputError(f"tl.gene_statistic: de_table is a {type(de_table).__name__}; pass a DESeq2 or "
                         "limma results table (a DataFrame from omics.tl.deseq2 / omics.tl.limma)")
    if modality is not None and modality not in STATISTIC:
        raise InputError(f"tl.gene_statistic: modality={modality!r} is not one of "
                         f"{', '.join(STATISTIC)}; pass one of them, or leave it None")
    column = statistic_columns(de_table, modality or table_kind(de_table))[0]
    missing = [c for c in ("gene_name", column) if c not in de_table.columns]
    if missing:
        raise InputError(f"tl.gene_statistic: de_table has no {' or '.join(map(repr, missing))} column "
                         f"(it has {', '.join(map(str, de_table.columns[:8])) or 'none'}); pass a DESeq2 "
                         "(stat) or limma (t) results table with gene_name, as omics.tl.deseq2 / "
                         "omics.tl.limma return")
    table = de_table[["gene_name", column]].dropna()
    table = table[table["gene_name"].astype(str).str.len() > 0]
    table = table.assign(abs_stat=table[column].abs()).sort_values(
        ["gene_name", "abs_stat"], ascending=[True, False], kind="stable")
    collapsed = table.drop_duplicates("gene_name")
    return pd.Series(collapsed[column].to_numpy(), index=collapsed["gene_name"].astype(str),
                     name=column).sort_index()


def significant_genes(de_table: pd.DataFrame, modality: str, *, fdr: float
                      ) -> tuple[list[str], list[str], list[str]]:
    """Return ``(up, down, background)`` gene symbols at adjusted p < ``fdr``.

    The background is every gene that could have been called: every gene symbol with an
    adjusted p-value. Genes DESeq2's independent filtering (or Cook's outlier rule) left
    without one have a p-value but can never be significant; in the universe they would
    make sets of well-expressed genes look enriched (626 of the demo's 16,121 genes, with
    median baseMean 6.6 against 129).

    Several features of one gene symbol (protein groups, duplicated symbols) count once,
    as in the GSEA ranking (:func:`gene_statistic`): among those with an adjusted
    p-value, the one with the largest absolute statistic (without a statistic column, the
    smallest adjusted p) decides whether and in which direction the gene is selected, so
    a gene is never both up and down.

    Parameters
    ----------
    de_table
        A DESeq2 (``stat``, ``padj``, ``log2FoldChange``) or limma (``t``, ``adj.P.Val``,
        ``logFC``) results table with ``gene_name``.
    modality
        ``"rna"`` (DESeq2 columns) or ``"protein"`` (limma columns); used only when the
        table has neither a ``stat`` nor a ``t`` column (the columns decide otherwise).
    fdr
        Adjusted p-value threshold (strictly below it is significant).

    Returns
    -------
    up : list of str
        Sorted unique symbols significant with a positive log2 fold change.
    down : list of str
        Sorted unique symbols significant with a negative log2 fold change.
    background : list of str
        Sorted unique symbols of the background; features without a symbol are left out
        of all three lists.
    """
    stat, padj, lfc = statistic_columns(de_table, modality)
    tested = de_table.dropna(subset=[padj, "gene_name"])  # a missing symbol (NaN) is no symbol
    tested = tested[tested["gene_name"].astype(str).str.len() > 0]
    # one row per gene, as the GSEA ranking (gene_statistic): the feature with the largest
    # |statistic| (without one, the smallest adjusted p), so two protein groups of one gene
    # changing in opposite directions do not put it in both lists
    order = (tested[stat].abs().to_numpy() if stat in tested else -tested[padj].to_numpy(float))
    tested = tested.assign(_order=order).sort_values(
        ["gene_name", "_order"], ascending=[True, False], kind="stable").drop_duplicates(
        "gene_name").drop(columns="_order")
    hits = tested[tested[padj] < fdr]
    up = sorted(set(hits.loc[hits[lfc] > 0, "gene_name"].astype(str)))
    down = sorted(set(hits.loc[hits[lfc] < 0, "gene_name"].astype(str)))
    background = sorted(set(tested["gene_name"].astype(str)))
    return up, down, background
