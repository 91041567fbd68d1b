"""Which gene sets to test against a universe of measured genes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

NO_LIMIT = 10**9


def testable_sets(panel: Mapping[str, Iterable[str]], background: Mapping[str, Iterable[str]],
                  universe: set[str], min_size: int, max_size: int) -> dict[str, list[str]]:
    """Return the panel and background sets to test together.

    Panel sets need ``min_size`` genes in ``universe`` and have no upper bound: they were
    chosen on purpose (GO:0001525 angiogenesis has 607 genes, more than the usual 500).
    Background sets need ``min_size`` to ``max_size`` genes in ``universe``.

    Parameters
    ----------
    panel, background
        Gene sets by name; a name in both counts as panel.
    universe
        Genes measured (ranked, or tested for ORA).
    min_size, max_size
        Size bounds on the overlap with ``universe``.

    Returns
    -------
    The sets to pass to :func:`gsea_prerank` / :func:`ora` with no further size limits.
    """
    chosen: dict[str, list[str]] = {}
    for name, genes in {**background, **panel}.items():
        genes = list(genes)
        size = len(universe.intersection(genes))
        if size >= min_size and (name in panel or size <= max_size):
            chosen[name] = genes
    return chosen


def size_range(min_size: int, max_size: int) -> str:
    """Describe set-size bounds for a log line (``"15-500"``, or ``">= 1"`` when unbounded)."""
    return f">= {min_size}" if max_size >= NO_LIMIT else f"{min_size}-{max_size}"
