"""Public per-sample score functions (the AnnData-or-table convention of :mod:`._apidoc`).

The computations are those of :mod:`._scores` and :mod:`._redundancy`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import anndata as ad
import pandas as pd

from .._errors import InputError
from . import _redundancy, _scores
from ._apidoc import compose, forwarded, settings_note
from ._integrate import expression_by_gene
from ._keys import (
    REDUNDANCY_KEY,
    SCORES_KEY,
    check_layer,
    check_one_modality,
    is_anndata,
    layer_name,
    obsm_frame,
    store_params,
    uns_entry,
)

__all__ = ["sample_scores", "score_redundancy"]


def sample_scores(
    data: ad.AnnData | pd.DataFrame,
    gene_sets: Mapping[str, Iterable[str]],
    *,
    layer: str | None = None,
    key_added: str = SCORES_KEY,
    method: str = "zmean",
    min_size: int = 5,
) -> pd.DataFrame:
    kwargs = forwarded(_scores.sample_scores, locals())
    check_one_modality(data, "sample_scores")
    if not is_anndata(data):
        return _scores.sample_scores(data, gene_sets, **kwargs)
    check_layer(data, layer, "sample_scores")
    expression = expression_by_gene(data, layer)
    scores, genes = _scores.scores_and_genes(expression, gene_sets, **kwargs)
    settings = {**kwargs, "layer": layer_name(layer)}
    data.obsm[key_added] = scores.copy()
    data.uns[key_added] = {
        "method": method, "min_size": int(min_size), "layer": layer_name(layer),
        "gene_sets": genes,
    }
    store_params(data, key_added, settings)
    return scores


sample_scores.__doc__ = compose(
    _scores.sample_scores,
    summary="Score every sample for every gene set, from an AnnData or a samples x genes table.",
    replace=("expression",),
    inputs="""
    data
        An AnnData (samples x features; gene symbols in ``var["gene_name"]``, else the
        feature names; of duplicated symbols the most observed feature is kept, as
        :func:`omics.tl.expression_by_gene`), or a samples x genes matrix on a log scale
        (VST counts or log2 protein intensities); NaN marks a value not observed in that
        sample.
    """,
    extra="""
    layer
        AnnData input: layer on a log scale (``"vst"`` after :func:`omics.pp.normalize_deseq2`;
        ``None`` = ``X``, e.g. prepared log2 protein intensities).
    key_added
        AnnData input: the scores are stored in ``adata.obsm[key_added]``.
    """,
    stored="""
    Given an AnnData, stores the returned table (samples x sets, index ``obs_names``) in
    ``adata.obsm[key_added]`` (default ``adata.obsm["angio_scores"]``) and
    ``adata.uns[key_added] = {"method", "min_size", "layer", "gene_sets"}`` (``layer`` is
    ``"X"`` for ``X``; ``gene_sets``: per column, the sorted genes the set was scored on,
    read by :func:`omics.tl.score_redundancy`: for ``zmean`` the measured set genes
    observed in >= 3 samples with non-zero SD, for ``ulm``/``ssgsea`` those observed in
    every sample; empty for a set left NaN). :func:`omics.tl.response_model`,
    :func:`omics.tl.survival_model` and :func:`omics.tl.kaplan_meier` read the scores
    from there (``score_key``).
    """ + settings_note('adata.uns[key_added + "_params"]', "``method``, ``min_size``, ``layer``"),
)


def score_redundancy(
    data: ad.AnnData | pd.DataFrame,
    gene_sets: Mapping[str, Iterable[str]] | None,
    called: Sequence[str],
    *,
    score_key: str = SCORES_KEY,
    key_added: str = REDUNDANCY_KEY,
    strength: Mapping[str, float] | None = None,
    min_jaccard: float = 0.5,
    min_correlation: float = 0.8,
) -> tuple[pd.DataFrame, dict[str, str]]:
    kwargs = forwarded(_redundancy.score_redundancy, locals())
    if not is_anndata(data):
        if gene_sets is None:
            raise InputError("score_redundancy: with a scores table, pass the gene sets of the scores")
        return _redundancy.score_redundancy(data, gene_sets, called, **kwargs)
    scores = obsm_frame(data, score_key, "score_redundancy")
    if gene_sets is None:
        params = uns_entry(data, score_key, "score_redundancy")
        gene_sets = params.get("gene_sets", {}) if isinstance(params, dict) else {}
        gene_sets = {str(k): [str(g) for g in v] for k, v in gene_sets.items()}
    pairs, groups = _redundancy.score_redundancy(scores, gene_sets, called, **kwargs)
    data.uns[key_added] = {"pairs": pairs.copy(), "groups": dict(groups)}
    store_params(data, key_added, {"score_key": score_key, "min_jaccard": min_jaccard,
                                   "min_correlation": min_correlation})
    return pairs, groups


score_redundancy.__doc__ = compose(
    _redundancy.score_redundancy,
    summary="Pairwise overlap and correlation of called scores, and their signal groups "
            "(from an AnnData or a scores table).",
    replace=("scores", "gene_sets"),
    inputs="""
    data
        An AnnData with the scores in ``adata.obsm[score_key]``, or a samples x scores
        table (the values the models used).
    gene_sets
        Genes of each score (the genes it was scored on); scores without genes (e.g. a
        flow population) are linked by correlation only. AnnData input: ``None`` reads
        the genes that :func:`omics.tl.sample_scores` stored in
        ``adata.uns[score_key]["gene_sets"]``.
    """,
    extra="""
    score_key
        AnnData input: ``obsm`` key of the scores (and ``uns`` key of their gene sets).
    key_added
        AnnData input: the result is stored in ``adata.uns[key_added]``.
    """,
    stored="""
    Given an AnnData, stores ``adata.uns[key_added] = {"pairs": pairs, "groups": groups}``
    (default ``adata.uns["score_redundancy"]``).
    """ + settings_note('adata.uns[key_added + "_params"]',
                        "``score_key``, ``min_jaccard``, ``min_correlation`` (not the data "
                        "given: ``gene_sets``, ``called``, ``strength``)"),
)
