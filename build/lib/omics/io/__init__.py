"""Readers and writers: sample sheets, contrasts, RNA counts, protein matrices, GMT."""

from ._contrasts import Contrast, read_contrasts, write_contrasts
from ._gmt import read_gmt, write_gmt
from ._matching import match_samples
from ._protein import (
    read_diann,
    read_maxquant,
    read_olink,
    read_protein_matrix,
    read_protein_tsv,
    read_proteus,
)
from ._rna import read_rna_counts
from ._samplesheet import read_samplesheet
from ._write import atomic_path, write_h5ad, write_text, write_tsv

__all__ = [
    "Contrast",
    "atomic_path",
    "match_samples",
    "read_contrasts",
    "read_diann",
    "read_gmt",
    "read_maxquant",
    "read_olink",
    "read_protein_matrix",
    "read_protein_tsv",
    "read_proteus",
    "read_rna_counts",
    "read_samplesheet",
    "write_contrasts",
    "write_gmt",
    "write_h5ad",
    "write_text",
    "write_tsv",
]
