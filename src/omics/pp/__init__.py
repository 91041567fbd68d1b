"""Filtering and normalisation of RNA counts, qPCR Cts, array intensities and proteins."""

from .._lazy import lazy_attributes

# Submodules load on first use (PEP 562): `omics qc` needs only the protein missingness QC.
_LAZY = {
    "collapse_probes": "._array",
    "filter_valid_values": "._protein",
    "impute": "._protein",
    "log2_transform": "._protein",
    "missingness_qc": "._protein",
    "normalize": "._protein",
    "genorm": "._qpcr",
    "genorm_m": "._qpcr",
    "qpcr_average_replicates": "._qpcr",
    "qpcr_delta_ct": "._qpcr",
    "filter_low_counts": "._rna",
    "normalize_deseq2": "._rna",
}

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


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY, globals())
