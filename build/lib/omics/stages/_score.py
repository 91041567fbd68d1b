"""Stage ``score``: per-patient angiogenic scores and response models."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .._logging import get_logger
from ..io import write_tsv
from ..params import split_list
from ..tl._integrate import _by_gene
from ..tl._scores import sample_scores
from ._common import gene_set_collections, out_path, read_h5ad

log = get_logger("score")

SCORE_LAYER = {"rna": "vst", "protein": None}


def score(*, h5ads: dict[str, str | Path], outdir: str | Path, params: dict) -> dict[str, Path]:
    """Write ``scores/angiogenesis_scores.tsv`` and ``scores/response_model.tsv``.

    Scores (one per panel set, sample and modality; long format) come from the VST (RNA)
    or the prepared log2 intensities (protein) with ``score_method``. The response model
    needs ``arm`` and ``response`` columns; without them only the scores are written.
    """
    from ..tl._response import response_model

    panel, _ = gene_set_collections(params.get("genesets"), "none")
    long_parts, model_parts = [], []
    for modality, path in h5ads.items():
        adata = read_h5ad(path)
        expression = _by_gene(adata, SCORE_LAYER[modality])
        measured = set(expression.columns)
        if not any(len(measured.intersection(genes)) >= 5 for genes in panel.values()):
            log.warning("%s: no panel gene set has 5 measured genes (gene names missing?); no "
                        "scores for this modality", modality)
            continue
        scores = sample_scores(expression, panel, method=params["score_method"])
        long = scores.rename_axis("sample").reset_index().melt(
            id_vars="sample", var_name="term", value_name="score")
        long.insert(1, "modality", modality)
        long_parts.append(long)
        obs = adata.obs.loc[scores.index]
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
    return {
        "scores": write_tsv(scores_long, out_path(outdir, "scores", "angiogenesis_scores.tsv")),
        "response_model": write_tsv(models, out_path(outdir, "scores", "response_model.tsv")),
    }
