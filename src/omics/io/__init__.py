"""Readers and writers: sample sheets, contrasts, RNA counts, qPCR Cts, arrays, protein matrices, GMT.

Flow cytometry too: FCS files, gating strategies (read and applied by FlowKit) and
population tables.
"""

from .._lazy import lazy_attributes

# Submodules load on first use (PEP 562): reading a contrasts file must not import anndata.
_LAZY = {
    "read_array_matrix": "._array",
    "FCS_SUFFIXES": "._flow",
    "check_channels": "._flow",
    "gate_dimensions": "._flow",
    "gate_sample": "._flow",
    "read_fcs": "._flow",
    "read_fcs_header": "._flow",
    "read_flow_table": "._flow",
    "read_gating": "._flow",
    "Contrast": "._contrasts",
    "read_contrasts": "._contrasts",
    "write_contrasts": "._contrasts",
    "read_gmt": "._gmt",
    "write_gmt": "._gmt",
    "match_samples": "._matching",
    "folded_name": "._names",
    "name_difference": "._names",
    "blank_cells": "._tables",
    "read_diann": "._protein",
    "read_maxquant": "._protein",
    "read_olink": "._protein",
    "read_protein_matrix": "._protein",
    "read_protein_tsv": "._protein",
    "read_proteus": "._protein",
    "read_qpcr": "._qpcr",
    "read_qpcr_efficiency": "._qpcr",
    "read_rna_counts": "._rna",
    "read_samplesheet": "._samplesheet",
    "atomic_path": "._write",
    "h5_safe_annotations": "._write",
    "staging_folder": "._write",
    "write_h5ad": "._write",
    "write_text": "._write",
    "write_tsv": "._write",
}

__all__ = [
    "FCS_SUFFIXES",
    "Contrast",
    "atomic_path",
    "blank_cells",
    "check_channels",
    "folded_name",
    "gate_dimensions",
    "gate_sample",
    "h5_safe_annotations",
    "match_samples",
    "name_difference",
    "read_array_matrix",
    "read_contrasts",
    "read_diann",
    "read_fcs",
    "read_fcs_header",
    "read_flow_table",
    "read_gating",
    "read_gmt",
    "read_maxquant",
    "read_olink",
    "read_protein_matrix",
    "read_protein_tsv",
    "read_proteus",
    "read_qpcr",
    "read_qpcr_efficiency",
    "read_rna_counts",
    "read_samplesheet",
    "staging_folder",
    "write_contrasts",
    "write_gmt",
    "write_h5ad",
    "write_text",
    "write_tsv",
]


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY, globals())
