"""Statistics: one calling convention (AnnData or tables in, tidy DataFrame out).

- differential expression: :func:`deseq2` (counts, pydeseq2), :func:`limma` (log2
  intensities, moderated t), both from :func:`design_for_contrast`;
- enrichment: :func:`gsea_prerank`, :func:`ora`; per-patient scores: :func:`sample_scores`;
- response: :func:`response_model` (predictive vs prognostic, cross-validated AUC),
  :func:`survival_model` (Cox, amputation-free survival), :func:`kaplan_meier`,
  :func:`score_redundancy`;
- integration: :func:`build_mudata`, :func:`mrna_protein_correlation`,
  :func:`fold_change_concordance`, :func:`pathway_evidence`; QC: :func:`sample_qc`.
"""

from ._design import Design, design_for_contrast, smallest_group
from ._differential import deseq2, limma
from ._genesets import testable_sets
from ._gsea import gsea_prerank
from ._integrate import build_mudata, fold_change_concordance, mrna_protein_correlation, pathway_evidence
from ._limma import limma_fit
from ._ora import ora
from ._qc import sample_qc
from ._ranking import gene_statistic, significant_genes
from ._redundancy import score_redundancy
from ._response import response_model
from ._scores import sample_scores
from ._survival import kaplan_meier, survival_model

__all__ = [
    "Design",
    "build_mudata",
    "deseq2",
    "design_for_contrast",
    "fold_change_concordance",
    "gene_statistic",
    "gsea_prerank",
    "limma",
    "limma_fit",
    "mrna_protein_correlation",
    "ora",
    "pathway_evidence",
    "kaplan_meier",
    "response_model",
    "score_redundancy",
    "survival_model",
    "sample_qc",
    "sample_scores",
    "significant_genes",
    "smallest_group",
    "testable_sets",
]
