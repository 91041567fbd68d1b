"""Statistics: one calling convention (AnnData or tables in, tidy DataFrame out).

- differential expression: :func:`deseq2` (counts, pydeseq2), :func:`limma` (log2
  intensities, moderated t), both from :func:`design_for_contrast`;
- enrichment: :func:`enrichment` (one call: GSEA + ORA of a panel within a background),
  :func:`gsea_prerank`, :func:`ora`, :func:`gsea_running_score`; per-patient scores: :func:`sample_scores`;
- response: :func:`response_model` (predictive vs prognostic, cross-validated AUC),
  :func:`response_roc` (ROC points of its cross-validation), :func:`survival_model` (Cox,
  amputation-free survival), :func:`kaplan_meier`, :func:`score_redundancy`;
- integration: :func:`build_mudata`, :func:`mrna_protein_correlation`,
  :func:`fold_change_concordance`, :func:`pathway_evidence`, :func:`expression_by_gene`,
  :func:`flow_score_correlation`, :func:`score_phenotype_correlation`; QC: :func:`sample_qc`.

Given an AnnData, :func:`deseq2`, :func:`limma`, :func:`gsea_prerank`, :func:`ora`,
:func:`enrichment`, :func:`sample_scores`, :func:`response_model`, :func:`survival_model`,
:func:`kaplan_meier`, :func:`score_redundancy` and :func:`sample_qc` read what the previous
step stored and store their result under a documented key (``uns["deseq2"]``,
``uns["gsea"]``, ``obsm["angio_scores"]``, ``uns["response_model"]``, ...; README
"Python API"), with the settings they ran with beside it (``uns[key + "_params"]``); given
tables they return the same DataFrame and store nothing. Given the
MuData of :func:`build_mudata`, :func:`mrna_protein_correlation`,
:func:`fold_change_concordance` and :func:`pathway_evidence` read its modalities (and the
results stored in them) and store theirs in ``mdata.uns``.
"""

from .._lazy import lazy_attributes

# Submodules load on first use (PEP 562), so that a stage process imports only what it
# uses: `omics qc` must not pay for pydeseq2, matplotlib or scikit-learn.
_LAZY = {
    "DE_COLUMNS": "._ranking",
    "Design": "._design",
    "design_for_contrast": "._design",
    "continuous_values": "._design",
    "smallest_group": "._design",
    "level_per_sample": "._design",
    "deseq2": "._differential",
    "limma": "._differential",
    "add_delta_delta_ct": "._differential",
    "enrichment": "._api_enrich",
    "flow_score_correlation": "._flow",
    "NO_LIMIT": "._genesets",
    "testable_sets": "._genesets",
    "gsea_prerank": "._api_enrich",
    "build_mudata": "._integrate",
    "expression_by_gene": "._integrate",
    "fold_change_concordance": "._api_integrate",
    "mrna_protein_correlation": "._api_integrate",
    "pathway_evidence": "._api_integrate",
    "limma_fit": "._limma",
    "ora": "._api_enrich",
    "score_phenotype_correlation": "._phenotype",
    "sample_qc": "._qc",
    "gene_statistic": "._ranking",
    "significant_genes": "._ranking",
    "score_redundancy": "._api_scores",
    "response_model": "._api_outcome",
    "response_roc": "._roc",
    "gsea_running_score": "._running",
    "sample_scores": "._api_scores",
    "kaplan_meier": "._api_outcome",
    "survival_model": "._api_outcome",
}

__all__ = [
    "DE_COLUMNS",
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
    "response_roc",
    "score_phenotype_correlation",
    "score_redundancy",
    "survival_model",
    "sample_qc",
    "sample_scores",
    "significant_genes",
    "level_per_sample",
    "smallest_group",
    "testable_sets",
]


__getattr__, __dir__ = lazy_attributes(__name__, _LAZY, globals())
