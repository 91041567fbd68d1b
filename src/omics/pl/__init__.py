"""Plots of the workflow's results (each returns matplotlib Axes)."""

from ._km import km
from ._plots import concordance, gsea_curve, ma, pca, scores, volcano

__all__ = ["concordance", "gsea_curve", "km", "ma", "pca", "scores", "volcano"]
