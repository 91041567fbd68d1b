"""Plots of result tables; each returns the matplotlib Axes (scanpy style)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

from ..tl._ranking import STATISTIC  # noqa: E402

_COLORS = {"responder": "#1b9e77", "non_responder": "#d95f02", "bmmnc": "#7570b3",
           "placebo": "#e7298a", "up": "#b2182b", "down": "#2166ac", "ns": "#bbbbbb"}


def _axes(ax: Axes | None, size: tuple[float, float] = (4.5, 4)) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=size)
    return ax


def _modality(table: pd.DataFrame) -> str:
    return "rna" if "log2FoldChange" in table.columns else "protein"


def volcano(de_table: pd.DataFrame, *, fdr: float = 0.05, title: str | None = None,
            label_top: int = 8, ax: Axes | None = None) -> Axes:
    """Volcano plot of a DESeq2 or limma results table (fold change vs -log10 p)."""
    ax = _axes(ax)
    stat, padj, lfc = STATISTIC[_modality(de_table)]
    pcol = "pvalue" if "pvalue" in de_table else "P.Value"
    table = de_table.dropna(subset=[lfc, pcol])
    logp = -np.log10(table[pcol].clip(lower=1e-300))
    significant = table[padj] < fdr
    color = np.where(~significant, _COLORS["ns"],
                     np.where(table[lfc] > 0, _COLORS["up"], _COLORS["down"]))
    ax.scatter(table[lfc], logp, c=color, s=6, linewidths=0, rasterized=True)
    for _, row in table.assign(logp=logp).nlargest(label_top, "logp").iterrows():
        ax.annotate(str(row["gene_name"]), (row[lfc], row["logp"]), fontsize=6)
    ax.set_xlabel("log2 fold change (target / reference)")
    ax.set_ylabel("-log10 p-value")
    ax.set_title(title or f"{int(significant.sum())} features at FDR < {fdr}", fontsize=9)
    return ax


def ma(de_table: pd.DataFrame, *, fdr: float = 0.05, ax: Axes | None = None) -> Axes:
    """MA plot: mean expression vs fold change."""
    ax = _axes(ax)
    modality = _modality(de_table)
    _, padj, lfc = STATISTIC[modality]
    mean = np.log10(de_table["baseMean"] + 1) if modality == "rna" else de_table["AveExpr"]
    significant = de_table[padj] < fdr
    ax.scatter(mean, de_table[lfc], c=np.where(significant, _COLORS["up"], _COLORS["ns"]), s=5,
               linewidths=0, rasterized=True)
    ax.axhline(0, color="black", lw=0.5)
    ax.set_xlabel("log10 mean of normalised counts" if modality == "rna" else "mean log2 intensity")
    ax.set_ylabel("log2 fold change")
    return ax


def pca(pca_table: pd.DataFrame, *, color: str = "response", title: str | None = None,
        ax: Axes | None = None) -> Axes:
    """PC1 vs PC2 of a QC table, coloured by a sample-sheet column (PC1 alone if only one)."""
    ax = _axes(ax)
    if "PC2" not in pca_table:  # a one-feature matrix has a single component
        pca_table = pca_table.assign(PC2=0.0)
    groups = pca_table[color].astype(str) if color in pca_table else pd.Series("all",
                                                                                index=pca_table.index)
    for level in sorted(groups.unique()):
        part = pca_table[groups == level]
        ax.scatter(part["PC1"], part["PC2"], s=18, label=level, color=_COLORS.get(level))
    ax.set_xlabel("PC1")
    ax.set_ylabel("PC2")
    if title:
        ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, frameon=False)
    return ax


def scores(scores_long: pd.DataFrame, obs: pd.DataFrame, *, term: str, modality: str = "rna",
           ax: Axes | None = None) -> Axes:
    """Per-patient score of one set by arm and response (strip plot with medians)."""
    ax = _axes(ax)
    part = scores_long[(scores_long["term"] == term) & (scores_long["modality"] == modality)]
    part = part.merge(obs[["arm", "response"]], left_on="sample", right_index=True)
    positions = []
    for i, (arm, response) in enumerate([(a, r) for a in ("placebo", "bmmnc")
                                         for r in ("non_responder", "responder")]):
        values = part.loc[(part["arm"] == arm) & (part["response"] == response), "score"]
        jitter = np.linspace(-0.15, 0.15, len(values)) if len(values) else []
        ax.scatter(i + np.asarray(jitter), values, s=12, color=_COLORS[response])
        if len(values):
            ax.hlines(values.median(), i - 0.25, i + 0.25, color="black")
        positions.append(f"{arm}\n{response.replace('_', '-')}")
    ax.set_xticks(range(len(positions)), positions, fontsize=7)
    ax.set_ylabel(f"{modality} score")
    ax.set_title(term, fontsize=8)
    return ax


def concordance(joined: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Plot mRNA vs protein log2 fold change for the genes measured in both."""
    ax = _axes(ax)
    ax.scatter(joined["rna_log2fc"], joined["protein_log2fc"], s=6,
               c=np.where(joined["concordant"], _COLORS["bmmnc"], _COLORS["ns"]), linewidths=0)
    ax.axhline(0, color="black", lw=0.5)
    ax.axvline(0, color="black", lw=0.5)
    ax.set_xlabel("mRNA log2 fold change")
    ax.set_ylabel("protein log2 fold change")
    return ax


def gsea_curve(statistic: pd.Series, genes: list[str], *, title: str = "", ax: Axes | None = None
               ) -> Axes:
    """Plot the running enrichment score of one gene set along a ranking (weight 1, as GSEA)."""
    ax = _axes(ax, (5, 3))
    ranked = statistic.sort_values(ascending=False, kind="stable")
    hits = ranked.index.isin(set(genes))
    weights = np.abs(ranked.to_numpy()) * hits
    up = np.cumsum(weights / weights.sum()) if weights.sum() > 0 else np.zeros(len(ranked))
    down = np.cumsum(~hits / max((~hits).sum(), 1))
    running = up - down
    ax.plot(running, color=_COLORS["bmmnc"])
    ax.vlines(np.flatnonzero(hits), running.min() - 0.05, running.min() - 0.0, color="black", lw=0.3)
    ax.axhline(0, color="black", lw=0.5)
    ax.set_xlabel("rank")
    ax.set_ylabel("running ES")
    ax.set_title(title, fontsize=8)
    return ax
