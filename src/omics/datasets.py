"""Data shipped with the package: the demo cohort, gene sets and the gene-id annotation.

Everything here is read from the installed package (no network), so a notebook can start
with::

    import omics
    demo = omics.datasets.demo_cohort()
    rna = demo.rna()                      # AnnData, counts matched to the sample sheet
    panel = omics.datasets.genesets("go_angiogenesis")
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import anndata as ad
import pandas as pd

from ._errors import InputError
from ._resources import metadata_path

GENESETS = {
    "go_angiogenesis": "go_angiogenesis.gmt",
    "go_bp_10_500": "go_bp_10_500.gmt",
}
ANNOTATIONS = {"human_gene_ids": "human_gene_ids.tsv"}


@dataclass(frozen=True)
class DemoCohort:
    """Paths of the demo cohort's input files, and readers that match them to the sample sheet.

    A simulated BALI-like cohort (no patient data): 40 patients (20 BM-MNC, 20 placebo),
    3,000 genes (salmon counts) and 785 MaxQuant protein groups (870 rows before the reverse,
    contaminant and site-only ones are dropped), with planted predictive
    and prognostic angiogenesis effects (``omics simulate``, test profile).
    """

    samplesheet: Path
    contrasts: Path
    rna_counts: Path
    protein_matrix: Path

    def obs(self) -> pd.DataFrame:
        """Return the validated sample sheet (indexed by sample, BALI columns as categories)."""
        from .io import read_samplesheet

        return read_samplesheet(self.samplesheet)

    def contrast_list(self) -> list:
        """Return the four BALI contrasts (:class:`omics.io.Contrast`)."""
        from .io import read_contrasts

        return read_contrasts(self.contrasts)

    def rna(self) -> ad.AnnData:
        """Read the samples x genes AnnData of raw counts with the sample sheet in ``obs``."""
        from .io import match_samples, read_rna_counts

        return match_samples(read_rna_counts(self.rna_counts), self.obs(), matrix_path=self.rna_counts)

    def protein(self, *, intensity: str = "LFQ intensity") -> ad.AnnData:
        """Read the samples x protein groups AnnData (linear intensities) with the sample sheet in ``obs``."""
        from .io import match_samples, read_maxquant

        return match_samples(read_maxquant(self.protein_matrix, intensity=intensity), self.obs(),
                             matrix_path=self.protein_matrix)

    def as_params(self) -> dict[str, str]:
        """``omics run`` input parameters pointing at these files."""
        return {"input": str(self.samplesheet), "contrasts": str(self.contrasts),
                "rna_counts": str(self.rna_counts), "protein_matrix": str(self.protein_matrix)}


def demo_cohort() -> DemoCohort:
    """Return the shipped demo cohort (paths inside the installed package).

    Returns
    -------
    DemoCohort
        ``samplesheet``, ``contrasts``, ``rna_counts`` (gzip TSV) and ``protein_matrix``
        (gzip MaxQuant proteinGroups) paths, with ``.obs()``, ``.rna()``, ``.protein()``.

    Examples
    --------
    >>> demo = omics.datasets.demo_cohort()  # doctest: +SKIP
    >>> demo.rna().shape  # doctest: +SKIP
    (40, 3000)
    """
    folder = metadata_path("demo")
    return DemoCohort(samplesheet=folder / "samplesheet.csv", contrasts=folder / "contrasts.yaml",
                      rna_counts=folder / "salmon.merged.gene_counts.tsv.gz",
                      protein_matrix=folder / "proteinGroups.txt.gz")


def genesets(name: str = "go_angiogenesis") -> dict[str, list[str]]:
    """Return shipped gene sets by name: ``go_angiogenesis`` (11 sets) or ``go_bp_10_500``.

    Human gene symbols from Bioconductor ``org.Hs.eg.db``/``GO.db`` (see
    ``metadata/genesets/PROVENANCE.txt``).

    Parameters
    ----------
    name
        One of :data:`GENESETS`.

    Returns
    -------
    dict
        Set name -> gene symbols.
    """
    from .io import read_gmt

    if name not in GENESETS:
        raise InputError(f"unknown gene-set collection {name!r}; choose one of {', '.join(GENESETS)}.")
    return read_gmt(metadata_path("genesets", GENESETS[name]))


def genesets_path(name: str = "go_angiogenesis") -> Path:
    """Return the path of a shipped GMT file (e.g. for ``--genesets``)."""
    if name not in GENESETS:
        raise InputError(f"unknown gene-set collection {name!r}; choose one of {', '.join(GENESETS)}.")
    return metadata_path("genesets", GENESETS[name])


def annotation(name: str = "human_gene_ids") -> pd.DataFrame:
    """Return a shipped annotation table by name (``human_gene_ids``: Ensembl/UniProt -> symbol)."""
    if name not in ANNOTATIONS:
        raise InputError(f"unknown annotation {name!r}; choose one of {', '.join(ANNOTATIONS)}.")
    return pd.read_csv(metadata_path(ANNOTATIONS[name]), sep="\t", dtype=str, keep_default_na=False)
