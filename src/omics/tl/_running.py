"""Running enrichment score of one gene set along a ranking (the GSEA curve)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd


def gsea_running_score(statistic: pd.Series, genes: Iterable[str], *, weight: float = 1.0) -> pd.DataFrame:
    """Return the running enrichment score of ``genes`` along ``statistic`` (GSEA's walk).

    Genes are ranked by decreasing statistic (ties keep their input order, as in
    :func:`gsea_prerank`); a hit steps up by ``|statistic| ** weight`` over the total
    weight of the hits, a miss steps down by one over the number of misses. The extreme
    of the curve is the set's enrichment score (ES) of :func:`gsea_prerank`.

    Parameters
    ----------
    statistic
        Ranking statistic indexed by gene symbol (e.g. :func:`gene_statistic`).
    genes
        Members of the gene set (genes absent from the ranking are ignored).
    weight
        Exponent of the hit weights (1 = standard GSEA, 0 = Kolmogorov-Smirnov).

    Returns
    -------
    pandas.DataFrame
        One row per ranked gene: ``rank`` (1-based), ``gene``, ``statistic``, ``hit``
        (bool) and ``running_es``.
    """
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
