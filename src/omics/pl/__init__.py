"""Plots of the workflow's results (each returns matplotlib Axes), the report's figures for notebooks."""

from ._flow import gating_png
from ._km import km
from ._plots import (
    concordance,
    correlation_distribution,
    correlation_heatmap,
    enrichment_dots,
    forest,
    gsea_curve,
    heatmap,
    ma,
    pca,
    roc,
    scores,
    volcano,
)

__all__ = [
    "concordance",
    "correlation_distribution",
    "correlation_heatmap",
    "enrichment_dots",
    "forest",
    "gating_png",
    "gsea_curve",
    "heatmap",
    "km",
    "ma",
    "pca",
    "roc",
    "scores",
    "volcano",
]
