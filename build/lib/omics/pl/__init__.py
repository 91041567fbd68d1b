"""Plots of the workflow's results (each returns matplotlib Axes)."""

from ._plots import concordance, gsea_curve, ma, pca, scores, volcano

__all__ = ["concordance", "gsea_curve", "ma", "pca", "scores", "volcano"]
