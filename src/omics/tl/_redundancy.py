"""Redundancy of called scores: shared genes, correlated values, independent signals.

Gene-set scores overlap: GO angiogenesis sets share many genes, so several calls can be
one signal. For the called scores (``classification`` other than ``none`` in the
logistic or the survival model) :func:`score_redundancy` reports, per pair, the Jaccard
index of their measured genes and the Pearson correlation of their per-patient values,
and groups the calls into signals by leader clustering: the called scores are taken from
the strongest (smallest ``strength``, e.g. ``fdr_screen``) to the weakest; a score joins
the group of the strongest existing leader it is *linked* to (Jaccard >=
``min_jaccard`` or ``|r| >= min_correlation``), and otherwise leads a new group. Linking
only to leaders avoids the chaining of single linkage (A like B like C while A and C are
unrelated). ``signal_group`` is the leader's name.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["score_redundancy"]

COLUMNS = ["score_a", "score_b", "n_genes_a", "n_genes_b", "n_shared", "jaccard", "correlation", "linked"]


def score_redundancy(scores: pd.DataFrame, gene_sets: Mapping[str, Iterable[str]], called: Sequence[str], *,
                     strength: Mapping[str, float] | None = None, min_jaccard: float = 0.5,
                     min_correlation: float = 0.8) -> tuple[pd.DataFrame, dict[str, str]]:
    """Pairwise overlap and correlation of called scores, and their signal groups.

    Parameters
    ----------
    scores
        Samples x scores (the values the models used).
    gene_sets
        Genes of each score (measured genes only); scores without genes (e.g. a flow
        population) are linked by correlation only.
    called
        Names of the called scores, in the order to report.
    strength
        Per score, a value where smaller is stronger (e.g. ``fdr_screen``) to name each
        group after its strongest member; default: the order of ``called``.
    min_jaccard, min_correlation
        Link thresholds.

    Returns
    -------
    (pairs, groups)
        ``pairs``: one row per pair of called scores with ``score_a``, ``score_b``,
        ``n_genes_a``, ``n_genes_b``, ``n_shared``, ``jaccard``, ``correlation``
        (Pearson over samples with both values) and ``linked``; ``groups``: called score
        -> signal group name (the strongest member's name).
    """
    called = [called] if isinstance(called, str) else called  # one name, not its letters
    called = [c for c in dict.fromkeys(called) if c in scores.columns]
    genes = {c: set(gene_sets.get(c, ())) for c in called}
    rows, linked_pairs = [], set()
    for i, a in enumerate(called):
        for b in called[i + 1:]:
            shared = len(genes[a] & genes[b])
            union = len(genes[a] | genes[b])
            jaccard = shared / union if union else np.nan
            both = scores[[a, b]].dropna()
            varied = len(both) > 2 and both.std().min() > 0
            r = float(np.corrcoef(both[a], both[b])[0, 1]) if varied else np.nan
            linked = bool((np.isfinite(jaccard) and jaccard >= min_jaccard)
                          or (np.isfinite(r) and abs(r) >= min_correlation))
            if linked:
                linked_pairs |= {(a, b), (b, a)}
            rows.append((a, b, len(genes[a]), len(genes[b]), shared, jaccard, r, linked))
    order = sorted(called, key=lambda c: ((strength or {}).get(c, np.inf) if strength else 0.0,
                                          called.index(c)))
    leaders: list[str] = []
    groups: dict[str, str] = {}
    for c in order:
        lead = next((leader for leader in leaders if (c, leader) in linked_pairs), None)
        if lead is None:
            leaders.append(c)
            lead = c
        groups[c] = lead
    return pd.DataFrame(rows, columns=COLUMNS), groups
