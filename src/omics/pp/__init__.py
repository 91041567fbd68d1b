"""Filtering and normalisation of RNA counts, qPCR Cts, array intensities and proteins."""

from ._array import collapse_probes
from ._protein import filter_valid_values, impute, log2_transform, missingness_qc, normalize
from ._qpcr import genorm, genorm_m, qpcr_average_replicates, qpcr_delta_ct
from ._rna import filter_low_counts, normalize_deseq2

__all__ = [
    "collapse_probes",
    "filter_low_counts",
    "filter_valid_values",
    "genorm",
    "genorm_m",
    "impute",
    "log2_transform",
    "missingness_qc",
    "normalize",
    "normalize_deseq2",
    "qpcr_average_replicates",
    "qpcr_delta_ct",
]
