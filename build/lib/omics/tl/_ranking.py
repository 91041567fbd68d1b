"""Gene-level rankings from differential tables (for GSEA and ORA)."""

from __future__ import annotations

import pandas as pd

STATISTIC = {"rna": ("stat", "padj", "log2FoldChange"), "protein": ("t", "adj.P.Val", "logFC")}


def gene_statistic(de_table: pd.DataFrame, modality: str) -> pd.Series:
    """Ranking statistic per gene symbol: the Wald stat (RNA) or moderated t (protein).

    Features without a statistic or a gene name are dropped; several features of one
    gene (protein groups, duplicated symbols) are collapsed to the one with the largest
    absolute statistic, keeping its sign.
    """
    column = STATISTIC[modality][0]
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

    The background is every gene that received a p-value (the tested universe).
    """
    _, padj, lfc = STATISTIC[modality]
    tested = de_table.dropna(subset=[padj])
    tested = tested[tested["gene_name"].astype(str).str.len() > 0]
    hits = tested[tested[padj] < fdr]
    up = sorted(set(hits.loc[hits[lfc] > 0, "gene_name"].astype(str)))
    down = sorted(set(hits.loc[hits[lfc] < 0, "gene_name"].astype(str)))
    background = sorted(set(de_table.dropna(subset=[STATISTIC[modality][0]])["gene_name"].astype(str))
                        - {""})
    return up, down, background
