"""Running enrichment score of one gene set along a ranking (the GSEA curve)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from .._errors import InputError
from ._ranking import gene_statistic


def gsea_running_score(statistic: pd.Series | pd.DataFrame, genes: Iterable[str], *,
                       weight: float = 1.0) -> pd.DataFrame:
    """Return the running enrichment score of ``genes`` along ``statistic`` (GSEA's walk).

    Genes are ranked by decreasing statistic (ties keep their input order, as in
    :func:`gsea_prerank`); a hit steps up by ``|statistic| ** weight`` over the total
    weight of the hits, a miss steps down by one over the number of misses. The extreme
    of the curve is the set's enrichment score (ES) of :func:`gsea_prerank`.

    Parameters
    ----------
    statistic
        Ranking statistic indexed by gene symbol (e.g. :func:`gene_statistic`), or a
        DESeq2/limma results table, ranked by its :func:`gene_statistic` (as
        :func:`gsea_prerank` ranks one).
    genes
        Members of the gene set (genes absent from the ranking are ignored); one name
        given as a string is a set of one gene.
    weight
        Exponent of the hit weights (1 = standard GSEA, 0 = Kolmogorov-Smirnov).

    Returns
    -------
    pandas.DataFrame
        One row per ranked gene: ``rank`` (1-based), ``gene``, ``statistic``, ``hit``
        (bool) and ``running_es``.

    Raises
    ------
    omics._errors.InputError
        When ``statistic`` is neither a Series nor a results table (as
        :func:`gene_statistic` reads it).
    """
    if isinstance(statistic, pd.DataFrame):
        statistic = gene_statistic(statistic)
    elif not isinstance(statistic, pd.Series):
        raise InputError(f"tl.gsea_running_score: statistic is a {type(statistic).__name__}; pass the "
                         "ranking as a Series indexed by gene symbol (omics.tl.gene_statistic(table)) "
                         "or the DESeq2/limma results table")
    if isinstance(genes, str):
        genes = [genes]
    stat = statistic.dropna().astype(float)
    order = np.argsort(-stat.to_numpy(), kind="stable")
    ranked = stat.iloc[order]
    hits = ranked.index.isin(set(genes))
    w = np.abs(ranked.to_numpy()) ** weight if weight else np.ones(len(ranked))
    w = np.where(hits, w, 0.0)
    total = w.sum()
    up = np.cumsum(w / total) if total > 0 else np.zeros(len(ranked))
    misses = (~hits).sum()
    down = np.cumsum((~hits) / misses) if misses else np.zeros(len(ranked))
    return pd.DataFrame({"rank": np.arange(1, len(ranked) + 1), "gene": ranked.index.astype(str),
                         "statistic": ranked.to_numpy(), "hit": hits, "running_es": up - down})
