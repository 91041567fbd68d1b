"""Filtering and normalisation of RNA counts, qPCR Cts, array intensities, proteins and flow populations."""

from ._array import collapse_probes
from ._flow import absolute_counts, flow_qc, flow_scores, populations_anndata
from ._protein import filter_valid_values, impute, log2_transform, missingness_qc, normalize
from ._qpcr import genorm, genorm_m, qpcr_average_replicates, qpcr_delta_ct
from ._rna import filter_low_counts, low_count_keep, normalize_deseq2

__all__ = [
    "absolute_counts",
    "collapse_probes",
    "filter_low_counts",
    "filter_valid_values",
    "flow_qc",
    "flow_scores",
    "genorm",
    "genorm_m",
    "impute",
    "log2_transform",
    "low_count_keep",
    "missingness_qc",
    "normalize",
    "normalize_deseq2",
    "populations_anndata",
    "qpcr_average_replicates",
    "qpcr_delta_ct",
]
