"""Statistics: one calling convention (AnnData or tables in, tidy DataFrame out).

- differential expression: :func:`deseq2` (counts, pydeseq2), :func:`limma` (log2
  intensities, moderated t), both from :func:`design_for_contrast`;
- enrichment: :func:`enrichment` (one call: GSEA + ORA of a panel within a background),
  :func:`gsea_prerank`, :func:`ora`, :func:`gsea_running_score`; per-patient scores: :func:`sample_scores`;
- response: :func:`response_model` (predictive vs prognostic, cross-validated AUC),
  :func:`survival_model` (Cox, amputation-free survival), :func:`kaplan_meier`,
  :func:`score_redundancy`;
- integration: :func:`build_mudata`, :func:`mrna_protein_correlation`,
  :func:`fold_change_concordance`, :func:`pathway_evidence`, :func:`expression_by_gene`,
  :func:`flow_score_correlation`, :func:`score_phenotype_correlation`; QC: :func:`sample_qc`.
"""

from ._design import Design, continuous_values, design_for_contrast, smallest_group
from ._differential import add_delta_delta_ct, deseq2, limma
from ._enrichment import enrichment
from ._flow import flow_score_correlation
from ._genesets import NO_LIMIT, testable_sets
from ._gsea import gsea_prerank
from ._integrate import (
    build_mudata,
    expression_by_gene,
    fold_change_concordance,
    mrna_protein_correlation,
    pathway_evidence,
)
from ._limma import limma_fit
from ._ora import ora
from ._phenotype import score_phenotype_correlation
from ._qc import sample_qc
from ._ranking import gene_statistic, significant_genes
from ._redundancy import score_redundancy
from ._response import response_model
from ._running import gsea_running_score
from ._scores import sample_scores
from ._survival import kaplan_meier, survival_model

__all__ = [
    "NO_LIMIT",
    "Design",
    "add_delta_delta_ct",
    "build_mudata",
    "continuous_values",
    "deseq2",
    "design_for_contrast",
    "enrichment",
    "expression_by_gene",
    "flow_score_correlation",
    "fold_change_concordance",
    "gene_statistic",
    "gsea_prerank",
    "gsea_running_score",
    "limma",
    "limma_fit",
    "mrna_protein_correlation",
    "ora",
    "pathway_evidence",
    "kaplan_meier",
    "response_model",
    "score_phenotype_correlation",
    "score_redundancy",
    "survival_model",
    "sample_qc",
    "sample_scores",
    "significant_genes",
    "smallest_group",
    "testable_sets",
]
