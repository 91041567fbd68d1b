"""Over-representation analysis (hypergeometric test) of a gene selection.

Why not ``gseapy.enrich``
-------------------------
``gseapy.enrich`` (1.3) computes the same hypergeometric p-value
(``scipy.stats.hypergeom.sf(x - 1, M, n, N)``) and restricts sets to the background
correctly, but it silently drops every set with no selected gene before the
Benjamini-Hochberg step, so its adjusted p-values are corrected for fewer tests than
were run (anti-conservative when the selection is small), it has no set-size filter,
and it upper-cases query genes on a heuristic. The test itself is one vectorised
hypergeometric survival call here, so we keep the bookkeeping explicit instead:
every set inside the size window is tested and enters the BH correction, including
sets with zero overlap (p = 1). ``tests/test_enrichment.py`` checks the p-values
against ``scipy.stats.hypergeom`` directly and against ``gseapy.enrich``. On the
6,484 GO BP + angiogenesis sets this takes 0.3 s (``gseapy.enrich``: 1.4 s).

The survival function is scipy's own (Boost's ``hypergeometric`` distribution, the
``scipy.special`` ufunc that ``scipy.stats.hypergeom.sf`` calls inside its support), so
the p-values are those of ``scipy.stats.hypergeom.sf`` bit for bit (tested), without
importing ``scipy.stats``: that import takes 0.5-0.8 s, more than the whole test, in
every ``omics enrich`` process.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.special import _ufuncs

from omics._errors import InputError
from omics._logging import get_logger
from omics.tl._genesets import size_range
from omics.tl._stats import bh

__all__ = ["ora"]

_LOG = get_logger("tl.ora")
_COLUMNS = ["term", "size", "overlap", "expected", "odds_ratio", "pvalue", "fdr", "genes"]


def ora(
    selected: Sequence[str],
    background: Sequence[str],
    gene_sets: Mapping[str, Iterable[str]],
    *,
    min_size: int = 10,
    max_size: int = 500,
) -> pd.DataFrame:
    """Test each gene set for over-representation among ``selected`` genes.

    Parameters
    ----------
    selected
        Genes of interest (e.g. significant DE genes). Duplicates are ignored; genes
        not in ``background`` are dropped (and logged), as they could not have been
        selected under the null. One gene given as a string is one gene.
    background
        Universe of genes that could have been selected (e.g. all genes tested for
        differential expression). Only background genes count in set sizes.
    gene_sets
        Mapping of set name to gene symbols (exact, case-sensitive matching).
    min_size, max_size
        Sets whose overlap with the background is outside ``[min_size, max_size]`` are
        not tested (and do not enter the FDR).

    Returns
    -------
    pandas.DataFrame
        One row per tested set, sorted by ``(pvalue, term)``, with columns ``term``,
        ``size`` (set genes in the background), ``overlap`` (set genes selected),
        ``expected`` (``n_selected * size / n_background``), ``odds_ratio``
        (Haldane-Anscombe corrected, i.e. 0.5 added to each cell of the 2x2 table, so
        it is finite; same definition as gseapy), ``pvalue`` (one-sided
        hypergeometric ``P(X >= overlap)``), ``fdr`` (Benjamini-Hochberg over all
        tested sets) and ``genes`` (';'-joined selected set genes, sorted).

    Raises
    ------
    omics._errors.InputError
        If the background is empty or no selected gene is in the background.
    """
    if not 1 <= min_size <= max_size:
        raise InputError(f"ora: need 1 <= min_size <= max_size, got {min_size}, {max_size}")
    # one gene given as a string is one gene, not its letters
    selected = [selected] if isinstance(selected, str) else selected
    universe = {background} if isinstance(background, str) else set(background)
    if not universe:
        raise InputError("ora: the background is empty")
    chosen = set(selected)
    outside = chosen - universe
    if outside:
        _LOG.info("ora: %d selected genes are not in the background and are ignored", len(outside))
        chosen &= universe
    if not chosen:
        raise InputError("ora: none of the selected genes is in the background")

    terms: list[str] = []
    sizes: list[int] = []
    hits: list[list[str]] = []
    for term, genes in gene_sets.items():
        members = universe.intersection(genes)
        if min_size <= len(members) <= max_size:
            terms.append(str(term))
            sizes.append(len(members))
            hits.append(sorted(members & chosen))
    _LOG.info(
        "ora: %d of %d gene sets have %s background genes; %d of %d background genes selected",
        len(terms),
        len(gene_sets),
        size_range(min_size, max_size),
        len(chosen),
        len(universe),
    )
    if not terms:
        _LOG.warning("ora: no gene set passed the size filter")
        return pd.DataFrame({c: pd.Series(dtype=object) for c in _COLUMNS})

    n_bg = len(universe)
    n_sel = len(chosen)
    m = np.asarray(sizes, dtype=np.int64)
    x = np.array([len(h) for h in hits], dtype=np.int64)
    pvalue = hypergeom_sf(x - 1, n_bg, m, n_sel)
    odds = ((x + 0.5) * (n_bg - m - n_sel + x + 0.5)) / ((m - x + 0.5) * (n_sel - x + 0.5))
    out = pd.DataFrame(
        {
            "term": terms,
            "size": m,
            "overlap": x,
            "expected": n_sel * m / n_bg,
            "odds_ratio": odds,
            "pvalue": pvalue,
            "fdr": bh(pvalue),
            "genes": [";".join(h) for h in hits],
        }
    )
    return out.sort_values(["pvalue", "term"], kind="stable", ignore_index=True)


def hypergeom_sf(k: np.ndarray, total: int, successes: np.ndarray, draws: int) -> np.ndarray:
    """Hypergeometric ``P(X > k)``: ``scipy.stats.hypergeom.sf(k, total, successes, draws)``.

    Inside the support the value is the ``scipy.special`` ufunc that ``scipy.stats`` calls
    there (clipped to ``[0, 1]`` as ``scipy.stats`` does); below it 1, at or above its top 0.

    Parameters
    ----------
    k
        Counts (integers).
    total
        Population size (background genes).
    successes
        Successes in the population (set sizes), one per ``k``.
    draws
        Draws (selected genes).

    Returns
    -------
    Survival probabilities, one per ``k``.
    """
    k = np.asarray(k, dtype=np.int64)
    successes = np.broadcast_to(np.asarray(successes, dtype=np.int64), k.shape)
    lowest = np.maximum(0, draws - (total - successes))
    highest = np.minimum(successes, draws)
    inside = (k >= lowest) & (k < highest)
    out = np.where(k < lowest, 1.0, 0.0)
    out[inside] = np.clip(_ufuncs._hypergeom_sf(k[inside], successes[inside], draws, total),
                          0.0, 1.0)
    return out
