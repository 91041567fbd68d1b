"""Stage ``score``: per-patient angiogenic scores and response models."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .._logging import get_logger
from ..io import write_tsv
from ..params import split_list
from ..tl._integrate import _by_gene
from ..tl._phenotype import score_phenotype_correlation
from ..tl._scores import sample_scores
from ._common import gene_set_collections, out_path, read_h5ad

log = get_logger("score")

SCORE_LAYER = {"rna": "vst", "protein": None}


def _modality_scores(adata, modality: str, panel: dict, params: dict) -> pd.DataFrame | None:  # noqa: ANN001
    """Return samples x scores of one modality: gene-set scores, or flow populations and dose."""
    if modality == "flow":
        from ..pp._flow import flow_scores

        return flow_scores(adata, dose_population=params.get("flow_dose_population"))
    expression = _by_gene(adata, SCORE_LAYER[modality])
    measured = set(expression.columns)
    if not any(len(measured.intersection(genes)) >= 5 for genes in panel.values()):
        log.warning("%s: no panel gene set has 5 measured genes (gene names missing?); no "
                    "scores for this modality", modality)
        return None
    return sample_scores(expression, panel, method=params["score_method"])


def score(*, h5ads: dict[str, str | Path], outdir: str | Path, params: dict) -> dict[str, Path]:
    """Write ``scores/angiogenesis_scores.tsv`` and ``scores/response_model.tsv``.

    Scores (one per panel set, sample and modality; long format) come from the VST (RNA)
    or the prepared log2 intensities (protein) with ``score_method``. The response model
    needs ``arm`` and ``response`` columns; without them only the scores are written.
    Phenotypes of continuous contrasts (recorded by the prep stages in
    ``uns["continuous_outcomes"]``) are correlated with every score in
    ``scores/score_phenotype_correlation.tsv``.
    A ``flow`` h5ad adds one score per population (log2 percent of parent) and the
    implanted dose (log10 absolute count of ``flow_dose_population``), modality ``flow``.
    """
    from ..tl._response import response_model

    panel, _ = gene_set_collections(params.get("genesets"), "none")
    long_parts, model_parts, phenotype_parts = [], [], []
    for modality, path in h5ads.items():
        adata = read_h5ad(path)
        scores = _modality_scores(adata, modality, panel, params)
        if scores is None:
            continue
        long = scores.rename_axis("sample").reset_index().melt(
            id_vars="sample", var_name="term", value_name="score")
        long.insert(1, "modality", modality)
        long_parts.append(long)
        obs = adata.obs.loc[scores.index]
        for outcome in adata.uns.get("continuous_outcomes", []):
            if outcome in obs:
                table = score_phenotype_correlation(scores, obs[outcome].rename(outcome))
                table.insert(0, "modality", modality)
                phenotype_parts.append(table)
        if {"arm", "response"} <= set(obs.columns):
            covariates = [c for c in split_list(params.get("response_covariates")) if c in obs]
            model = response_model(scores, obs, covariates=covariates, folds=params["cv_folds"],
                                   repeats=params["cv_repeats"], seed=params["seed"],
                                   multiplicity=params["response_multiplicity"])
            model.insert(0, "modality", modality)
            model_parts.append(model)
        else:
            log.info("%s: no 'arm'/'response' columns, response model skipped", modality)
    if not long_parts:
        long_parts.append(pd.DataFrame(columns=["sample", "modality", "term", "score"]))
    scores_long = pd.concat(long_parts, ignore_index=True).sort_values(
        ["modality", "term", "sample"], kind="stable")
    models = (pd.concat(model_parts, ignore_index=True) if model_parts
              else pd.DataFrame(columns=["modality", "score", "classification"]))
    outputs = {}
    if phenotype_parts:
        outputs["phenotype"] = write_tsv(pd.concat(phenotype_parts, ignore_index=True),
                                         out_path(outdir, "scores", "score_phenotype_correlation.tsv"))
    return outputs | {
        "scores": write_tsv(scores_long, out_path(outdir, "scores", "angiogenesis_scores.tsv")),
        "response_model": write_tsv(models, out_path(outdir, "scores", "response_model.tsv")),
    }
