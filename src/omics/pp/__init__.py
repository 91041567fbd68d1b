"""Filtering and normalisation of RNA counts and protein intensities."""

from ._rna import filter_low_counts, normalize_deseq2

__all__ = ["filter_low_counts", "normalize_deseq2"]
