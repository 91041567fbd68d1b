"""Filtering and normalisation of RNA counts and protein intensities."""

from ._protein import filter_valid_values, impute, log2_transform, missingness_qc, normalize
from ._rna import filter_low_counts, normalize_deseq2

__all__ = [
    "filter_low_counts",
    "filter_valid_values",
    "impute",
    "log2_transform",
    "missingness_qc",
    "normalize",
    "normalize_deseq2",
]
