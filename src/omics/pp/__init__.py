"""Filtering and normalisation of RNA counts, qPCR Cts, array intensities, proteins and flow populations."""

from .._lazy import lazy_attributes

# Submodules load on first use (PEP 562): `omics qc` needs only the protein missingness QC.
_LAZY = {
    "collapse_probes": "._array",
    "contrast_groups": "._protein",
    "filter_valid_values": "._protein",
    "impute": "._protein",
    "log2_transform": "._protein",
    "missingness_qc": "._protein",
    "normalize": "._protein",
    "genorm": "._qpcr",
    "genorm_m": "._qpcr",
    "qpcr_average_replicates": "._qpcr",
    "qpcr_delta_ct": "._qpcr",
    "absolute_counts": "._flow",
    "drop_counting_beads": "._flow",
    "flow_qc": "._flow",
    "flow_scores": "._flow",
    "graft_volumes": "._flow",
    "populations_anndata": "._flow",
    "filter_low_counts": "._rna",
    "low_count_keep": "._rna",
    "normalize_deseq2": "._rna",
}

__all__ = [
    "absolute_counts",
    "collapse_probes",
    "contrast_groups",
    "drop_counting_beads",
    "filter_low_counts",
    "filter_valid_values",
    "flow_qc",
    "flow_scores",
    "genorm",
    "genorm_m",
    "graft_volumes",
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


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY, globals())
