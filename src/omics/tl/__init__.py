"""Statistics: differential expression, enrichment, scores, response models, integration."""

from ._design import Design, design_for_contrast

__all__ = ["Design", "design_for_contrast"]
