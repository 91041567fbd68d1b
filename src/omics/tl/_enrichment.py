"""Enrichment of one differential table in one call: GSEA prerank and ORA of a panel + background."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager

import pandas as pd

from .._logging import filtered, get_logger
from ._genesets import NO_LIMIT, size_range, testable_sets
from ._gsea import gsea_prerank
from ._ora import ora
from ._ranking import gene_statistic, significant_genes, table_kind

_LOG = get_logger("tl.enrichment")
GSEA_COLUMNS = ["term", "collection", "size", "es", "nes", "pvalue", "fdr", "pvalue_one_sided",
                "leading_edge"]
ORA_COLUMNS = ["term", "direction", "collection", "size", "overlap", "expected", "odds_ratio",
               "pvalue", "fdr", "genes"]


def _ora_direction(direction: str) -> AbstractContextManager[None]:
    """Name the direction in :func:`ora`'s lines meanwhile (``ora (up): ...``)."""
    def label(record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = record.msg.replace("ora: ", f"ora ({direction}): ", 1)
        return True

    return filtered([get_logger("tl.ora")], label)


def _kernel_counts_as_debug() -> AbstractContextManager[None]:
    """Log the size-filter counts of :func:`gsea_prerank` / :func:`ora` at debug level meanwhile.

    They count the sets :func:`enrichment` passes after its own size filter (``3068 of
    3068``); :func:`_log_sizes` reports the filter itself.
    """
    def demote(record: logging.LogRecord) -> bool:
        if (record.levelno == logging.INFO and isinstance(record.msg, str)
                and record.msg.startswith(("gsea_prerank: ", "ora"))
                and ": %d of %d gene sets have %s " in record.msg):
            record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
            return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)
        return True

    return filtered([get_logger("tl.gsea"), get_logger("tl.ora")], demote)


def _log_sizes(what: str, sets: dict[str, list[str]], panel: dict, background: dict,
               universe: set[str], min_size: int, max_size: int) -> None:
    """Log how many sets the size filter kept, and the panel sets above ``max_size`` kept anyway."""
    n_background = sum(1 for name in background if name not in panel)
    in_panel = [name for name in sets if name in panel]
    _LOG.info("enrichment: %d of %d gene sets tested (background: %d of %d with %s %s genes; "
              "panel: %d of %d with >= %d, no upper bound)", len(sets), len(panel) + n_background,
              len(sets) - len(in_panel), n_background, size_range(min_size, max_size), what,
              len(in_panel), len(panel), min_size)
    large = [(name, len(universe.intersection(sets[name]))) for name in in_panel]
    large = [(name, size) for name, size in large if size > max_size]
    if large:
        _LOG.info("enrichment: %d panel set(s) have more than max_size=%d %s genes and are tested "
                  "all the same (panel sets have no upper bound): %s", len(large), max_size, what,
                  ", ".join(f"{name} ({size})" for name, size in large[:10])
                  + (" ..." if len(large) > 10 else ""))


def enrichment(
    de_table: pd.DataFrame,
    panel: Mapping[str, Iterable[str]],
    background: Mapping[str, Iterable[str]] | None = None,
    *,
    permutations: int = 1000,
    seed: int = 0,
    min_size: int = 10,
    max_size: int = 500,
    fdr: float = 0.05,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """GSEA prerank and ORA of a gene-set panel, tested within a background collection.

    What ``omics enrich`` does for one table: genes are ranked by
    :func:`gene_statistic`; panel sets need ``min_size`` ranked genes and have no upper
    bound (they were chosen on purpose), background sets need ``min_size`` to
    ``max_size``; the FDR is computed over panel and background together, so it carries
    the burden of every set tested. ORA tests the features at adjusted p < ``fdr`` (up and
    down separately) against every tested feature (several features of one symbol count
    once: :func:`significant_genes`). The log says how many of the sets given the size
    filter kept, and names the panel sets above ``max_size`` that are tested all the same.

    Parameters
    ----------
    de_table
        A DESeq2 or limma results table with ``gene_name``.
    panel
        Gene sets of interest, e.g. ``omics.datasets.genesets("go_angiogenesis")``.
    background
        Sets tested alongside (e.g. ``omics.datasets.genesets("go_bp_10_500")``); None or
        empty: the panel alone.
    permutations, seed
        GSEA gene permutations and their seed.
    min_size, max_size
        Set-size bounds on the overlap with the ranked (GSEA) or tested (ORA) genes.
    fdr
        Adjusted p-value threshold selecting the ORA features.

    Returns
    -------
    tuple of pandas.DataFrame
        ``(gsea, ora)``; both have a ``collection`` column (``panel``/``background``). Empty
        tables (with their columns) when no set has ``min_size`` genes in the table, e.g.
        gene sets of another organism.
    """
    background = dict(background or {})
    panel = dict(panel)
    table = de_table.assign(gene_name=de_table["gene_name"].fillna("").astype(str))
    kind = table_kind(table)
    ranking = gene_statistic(table, kind)
    ranked = set(ranking.index)
    sets = testable_sets(panel, background, ranked, min_size, max_size)
    if not (table["gene_name"].str.strip() != "").any():
        _LOG.warning("enrichment: the table has no gene names (gene_name is empty in every row), so "
                     "no gene set can be tested; give the matrix its gene symbols (MaxQuant: the "
                     "Gene names column; a TSV/CSV matrix: a gene_name column; human Ensembl ids "
                     "or UniProt accessions are named from the shipped maps)")
        return pd.DataFrame(columns=GSEA_COLUMNS), pd.DataFrame(columns=ORA_COLUMNS)
    if len(ranking) < 2 or not sets:
        _LOG.warning("enrichment: no gene set has >= %d of the %d ranked gene symbols (do the gene "
                     "sets use this organism's symbols?)", min_size, len(ranking))
        return pd.DataFrame(columns=GSEA_COLUMNS), pd.DataFrame(columns=ORA_COLUMNS)
    _log_sizes("ranked", sets, panel, background, ranked, min_size, max_size)
    with _kernel_counts_as_debug():
        gsea = gsea_prerank(ranking, sets, permutations=permutations, seed=seed, min_size=1,
                            max_size=NO_LIMIT)
    gsea.insert(1, "collection", ["panel" if t in panel else "background" for t in gsea["term"]])
    up, down, universe = significant_genes(table, kind, fdr=fdr)
    # The tested genes are usually the ranked ones (both: a statistic and a name).
    tested = set(universe)
    ora_sets = sets if tested == ranked else testable_sets(panel, background, tested, min_size,
                                                           max_size)
    if ora_sets is not sets:
        _log_sizes("tested (ORA)", ora_sets, panel, background, tested, min_size, max_size)
    _LOG.info("enrichment: ORA of %d up and %d down genes (adjusted p < %g) among %d tested genes",
              len(up), len(down), fdr, len(tested))
    parts = []
    for direction, selected in (("up", up), ("down", down)):
        if not selected:
            continue
        with _ora_direction(direction), _kernel_counts_as_debug():
            result = ora(selected, universe, ora_sets, min_size=1, max_size=NO_LIMIT)
        result.insert(1, "direction", direction)
        result.insert(2, "collection", ["panel" if t in panel else "background" for t in result["term"]])
        parts.append(result)
    ora_table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=ORA_COLUMNS)
    return gsea, ora_table
