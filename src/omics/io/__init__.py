"""Readers and writers: sample sheets, contrasts, RNA counts, qPCR Cts, arrays, protein matrices, GMT."""

from .._lazy import lazy_attributes

# Submodules load on first use (PEP 562): reading a contrasts file must not import anndata.
_LAZY = {
    "read_array_matrix": "._array",
    "Contrast": "._contrasts",
    "read_contrasts": "._contrasts",
    "write_contrasts": "._contrasts",
    "read_gmt": "._gmt",
    "write_gmt": "._gmt",
    "match_samples": "._matching",
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
    "write_h5ad": "._write",
    "write_text": "._write",
    "write_tsv": "._write",
}

__all__ = [
    "Contrast",
    "atomic_path",
    "match_samples",
    "read_array_matrix",
    "read_contrasts",
    "read_diann",
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
    "write_contrasts",
    "write_gmt",
    "write_h5ad",
    "write_text",
    "write_tsv",
]


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY, globals())
