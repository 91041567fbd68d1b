"""The gene-set panel against the gene names of the data: one check for the input check and the stages.

Kept apart from :mod:`omics.stages._validate` (which imports AnnData, scipy and the
preprocessing) so that ``omics enrich``, which reads a TSV, checks its panel without them.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .._errors import InputError
from .._logging import get_logger
from ..params import split_list
from ._common import gene_set_panel_files

log = get_logger("validate")


def panel_names(ids: Iterable[object], names: Iterable[object], path: str | Path
                ) -> tuple[str, set[str], bool]:
    """Return (path, the names a panel is matched with, whether they are gene symbols).

    A matrix with gene symbols (a ``gene_name`` other than the feature id) is matched by
    them; features left without one (``gene_name`` = id) would only match a panel of ids by
    chance. A matrix without any (qPCR targets, probe or Ensembl ids) is matched by its ids,
    as enrichment and scores match it.

    Parameters
    ----------
    ids
        The feature ids (``var_names``, or a results table's first column).
    names
        Their gene names (``var["gene_name"]``), in the same order.
    path
        The file they come from, named in the messages.

    Returns
    -------
    tuple
        ``(str(path), names, symbolic)``.
    """
    ids = [str(i) for i in ids]
    names = [str(n) for n in names]
    given = [n for n in names if n and n.lower() != "nan"]
    symbolic = {n for n, i in zip(names, ids, strict=True) if n and n.lower() != "nan" and n != i}
    return (str(path), symbolic, True) if symbolic else (str(path), set(given), False)


def check_panel_symbols(panel: dict[str, list[str]],
                         symbols: dict[str, tuple[str, set[str], bool]],
                         genesets: str | None) -> None:
    """Stop when no set of a ``--genesets`` panel has a gene among the symbols of any matrix.

    The shipped (human) panel on another organism's data only warns: the differential
    analysis still answers the question asked. A matrix without panel genes, or with many
    more matches when letter case is ignored, is warned about.

    A panel of another organism, in another letter case or of Ensembl ids would give
    header-only enrichment tables and no scores. The names compared (:func:`panel_names`)
    are a matrix's gene symbols or, when it has none (qPCR targets, probe or Ensembl ids),
    its feature ids. The message names the panel's GMT files and says whether a
    case-insensitive comparison would have matched (then the fix is the letter case, not
    the organism), or that the matrix has no symbols. The ``gsea_min_size`` filter is left
    to the stages.

    Parameters
    ----------
    panel
        The panel's sets, ``{name: genes}``.
    symbols
        :func:`panel_names` of each modality's data, by modality.
    genesets
        ``--genesets`` (None or empty: the shipped panel, which only warns).

    Raises
    ------
    InputError
        No gene of a ``--genesets`` panel is a gene name of any of the data.
    """
    symbols = {modality: entry for modality, entry in symbols.items() if entry[1]}
    if not symbols:
        return
    genes = {g for members in panel.values() for g in members}
    files = ", ".join(gene_set_panel_files(genesets))
    option = "{--genesets}" if split_list(genesets) else "the shipped panel"
    found = {modality: genes & names for modality, (_, names, _) in symbols.items()}
    folded: dict[str, str] = {}
    for gene in sorted(genes):
        folded.setdefault(gene.casefold(), gene)
    if any(found.values()):
        for modality, shared in found.items():
            path, names, _ = symbols[modality]
            loose = sum(1 for n in names if n.casefold() in folded)
            if not shared:
                log.warning("%s: no gene of the gene-set panel (%s) is a gene name of this matrix; "
                            "%s will get no panel enrichment or scores", path, files, modality)
            elif loose > 2 * len(shared):
                log.warning("%s: only %d gene(s) of the gene-set panel (%s) are gene names of this "
                            "matrix, %d when letter case is ignored: are the sets in another letter "
                            "case, or of another organism?", path, len(shared), files, loose)
        return
    near = sorted({(folded[n.casefold()], n) for _, names, _ in symbols.values() for n in names
                   if n.casefold() in folded})
    matrices = " or ".join(Path(path).name for path, _, _ in symbols.values())
    without = [(Path(path).name, sorted(names)[0]) for path, names, symbolic in symbols.values()
               if not symbolic]
    example = ", ".join(repr(g if len(g) <= 20 else g[:20] + "...") for g in sorted(genes)[:3])
    if near:
        shown = ", ".join(f"{g!r} / {n!r}" for g, n in near[:3])
        fix = (f"A case-insensitive comparison would match {len(near)} of them (set / data: {shown}): "
               "write the set genes in the letter case of the data's symbols (genes are matched "
               "exactly); if the sets are of another organism (mouse symbols are written 'Vegfa'), "
               "give sets of this organism's symbols.")
    elif without and len(without) == len(symbols):
        shown = ", ".join(f"{name} (e.g. {example_id!r})" for name, example_id in without)
        fix = (f"Set genes are matched with the matrix's gene names, which here are its feature "
               f"ids: {shown}. Give sets of those names with {{--genesets}}, or give the matrix "
               "gene symbols (see README, inputs).")
    else:
        also = "".join(f" The gene names of {name} are its feature ids (e.g. {example_id!r})."
                       for name, example_id in without)
        fix = ("Give gene sets of this organism's gene symbols (not Ensembl ids or accessions; "
               f"genes tab-separated) with {{--genesets}}.{also}")
    single = "," not in files
    named = option if single else f"{option}: {files}"
    message = (f"no gene of any panel set ({named}; e.g. {example}) is a gene name of "
               f"{matrices}, so nothing could be tested or scored.")
    if not split_list(genesets):
        # The shipped (human) panel on another organism's data: the differential analysis
        # still answers the question asked; only the panel's enrichment and scores are empty.
        log.warning("%s %s", message, fix.replace("{--genesets}", "--genesets"))
        return
    raise InputError(message, path=files if single else None, fix=fix)
