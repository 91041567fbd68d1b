"""Public enrichment functions (the AnnData-or-table convention of :mod:`._apidoc`).

The computations are those of :mod:`._gsea`, :mod:`._ora` and :mod:`._enrichment`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import pandas as pd

from .._errors import InputError
from . import _enrichment, _gsea, _ora
from ._apidoc import compose, forwarded, settings_note
from ._keys import (
    GSEA_KEY,
    ORA_KEY,
    check_de_input,
    check_one_modality,
    de_key_for,
    is_anndata,
    per_contrast,
    store_params,
    store_per_contrast,
)
from ._ranking import gene_statistic, significant_genes, table_kind

if TYPE_CHECKING:  # the table calls of the enrich stage need no AnnData
    import anndata as ad

__all__ = ["enrichment", "gsea_prerank", "ora"]


_DE_PARAMS = """
    de_key
        AnnData input: ``uns`` key of the differential results, ``"deseq2"`` or ``"limma"``
        (default: whichever the AnnData holds).
    contrast
        AnnData input: the contrast (id or :class:`omics.io.Contrast`) to read from
        ``adata.uns[de_key]``; default: the only one stored.
"""


def _de_frame(table: pd.DataFrame) -> pd.DataFrame:
    """Return a DE table with ``gene_name`` as text (missing = ``""``), as the enrich stage reads it."""
    if "gene_name" not in table.columns:
        raise InputError("the differential table has no 'gene_name' column (a DESeq2 or limma results "
                         "table from omics.tl.deseq2 / omics.tl.limma has one)")
    return table.assign(gene_name=table["gene_name"].fillna("").astype(str))


def _de_input(adata: ad.AnnData, de_key: str | None, contrast: object, caller: str
              ) -> tuple[str, str, pd.DataFrame]:
    """Return ``(resolved de_key, contrast id, DE table)`` read from the AnnData."""
    de_key = de_key_for(adata, de_key, caller)
    cid, table = per_contrast(adata, de_key, contrast, caller)
    return de_key, cid, _de_frame(table)


def _store(adata: ad.AnnData, key: str, cid: str, table: pd.DataFrame, settings: dict) -> None:
    """Store a per-contrast result and the settings it ran with."""
    store_per_contrast(adata, key, cid, table)
    store_params(adata, key, settings, cid)


_DE_STORED = 'adata.uns[key_added + "_params"][<contrast id>]'


# --------------------------------------------------------------------------- enrichment


def gsea_prerank(
    data: ad.AnnData | pd.DataFrame | pd.Series,
    gene_sets: Mapping[str, Iterable[str]],
    *,
    de_key: str | None = None,
    contrast: object = None,
    key_added: str = GSEA_KEY,
    permutations: int = 1000,
    seed: int = 0,
    min_size: int = 10,
    max_size: int = 500,
    weight: float = 1.0,
) -> pd.DataFrame:
    kwargs = forwarded(_gsea.gsea_prerank, locals())
    check_one_modality(data, "gsea_prerank")
    if is_anndata(data):
        de_key, cid, table = _de_input(data, de_key, contrast, "gsea_prerank")
        result = _gsea.gsea_prerank(gene_statistic(table), gene_sets, **kwargs)
        _store(data, key_added, cid, result, {"de_key": de_key, **kwargs})
        return result
    if isinstance(data, pd.DataFrame):
        data = gene_statistic(_de_frame(data))
    return _gsea.gsea_prerank(data, gene_sets, **kwargs)


gsea_prerank.__doc__ = compose(
    _gsea.gsea_prerank,
    summary="Run preranked GSEA with a gene-permutation null (gseapy-compatible) on a ranking, "
            "a DE table or an AnnData.",
    replace=("statistic",),
    inputs="""
    data
        An AnnData holding differential results (:func:`omics.tl.deseq2` /
        :func:`omics.tl.limma`), a DESeq2/limma results table (ranked by
        :func:`omics.tl.gene_statistic`: Wald ``stat`` or moderated ``t`` per gene symbol),
        or the ranking statistic itself: a Series indexed by gene symbol (e.g. the DESeq2
        Wald statistic or a signed ``-log10 p``). Genes with a missing value are dropped;
        gene names must be unique and values finite. Genes are ranked by decreasing value;
        ties keep their input order (stable sort), which makes the ranking deterministic.
    """,
    extra=_DE_PARAMS + """
    key_added
        AnnData input: the result is stored in ``adata.uns[key_added][<contrast id>]``.
    """,
    stored="""
    Given an AnnData, reads ``adata.uns[de_key][<contrast id>]`` and stores the returned
    table in ``adata.uns[key_added][<contrast id>]`` (default ``adata.uns["gsea"]``).
    """ + settings_note(_DE_STORED, "``de_key`` (as resolved), ``permutations``, ``seed``, "
                                    "``min_size``, ``max_size``, ``weight``"),
)


def ora(
    data: ad.AnnData | pd.DataFrame | Sequence[str],
    background: Sequence[str] | Mapping[str, Iterable[str]] | None = None,
    gene_sets: Mapping[str, Iterable[str]] | None = None,
    *,
    de_key: str | None = None,
    contrast: object = None,
    fdr: float = 0.05,
    key_added: str = ORA_KEY,
    min_size: int = 10,
    max_size: int = 500,
) -> pd.DataFrame:
    kwargs = forwarded(_ora.ora, locals())
    check_one_modality(data, "ora")
    if not (is_anndata(data) or isinstance(data, pd.DataFrame)):
        if background is None or gene_sets is None:
            raise InputError("ora: with a gene selection, pass ora(selected, background, gene_sets)")
        return _ora.ora(data, background, gene_sets, **kwargs)
    if background is not None and gene_sets is not None:
        raise InputError("ora: with an AnnData or a DE table, pass the gene sets once, "
                         "ora(data, gene_sets) (the background is every feature with an adjusted "
                         "p-value); got both `background` and `gene_sets`: to test a panel within "
                         "a background collection use omics.tl.enrichment(data, panel, background), "
                         "or merge them ({**panel, **background})")
    sets = gene_sets if gene_sets is not None else background
    if not isinstance(sets, Mapping):
        raise InputError("ora: with an AnnData or a DE table, pass ora(data, gene_sets) "
                         "(the background is every tested feature)")
    if is_anndata(data):
        de_key, cid, table = _de_input(data, de_key, contrast, "ora")
    else:
        cid, table = None, _de_frame(data)
    up, down, universe = significant_genes(table, table_kind(table), fdr=fdr)
    parts = []
    for direction, selected in (("up", up), ("down", down)):
        if selected:
            result = _ora.ora(selected, universe, sets, **kwargs)
            result.insert(1, "direction", direction)
            parts.append(result)
    columns = [c for c in _enrichment.ORA_COLUMNS if c != "collection"]
    result = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        {c: pd.Series(dtype=object) for c in columns})
    if cid is not None:
        _store(data, key_added, cid, result, {"de_key": de_key, "fdr": fdr, **kwargs})
    return result


ora.__doc__ = compose(
    _ora.ora,
    summary="Test gene sets for over-representation among selected genes, or among the up- and "
            "down-regulated features of a DE table or an AnnData.",
    replace=("selected", "background", "gene_sets"),
    inputs="""
    data
        An AnnData holding differential results (:func:`omics.tl.deseq2` /
        :func:`omics.tl.limma`) or a DESeq2/limma results table: the features at adjusted
        p < ``fdr`` are tested, up- and down-regulated separately, against every feature
        with an adjusted p-value (the tested universe; several features of one symbol
        count once, see :func:`omics.tl.significant_genes`); call as
        ``ora(data, gene_sets)``. Passing both ``background`` and ``gene_sets`` then
        stops with an :class:`~omics._errors.InputError` (one set collection is tested;
        for a panel within a background use :func:`omics.tl.enrichment`).
        Or the selected genes (e.g. significant DE genes): call as
        ``ora(selected, background, gene_sets)``. Duplicates are ignored; genes not in
        ``background`` are dropped (and logged), as they could not have been selected
        under the null.
    background
        With selected genes: the universe of genes that could have been selected (e.g.
        all genes tested for differential expression); only background genes count in set
        sizes. With an AnnData or a DE table: the gene sets (``ora(data, gene_sets)``).
    gene_sets
        Mapping of set name to gene symbols (exact, case-sensitive matching).
    """,
    extra=_DE_PARAMS + """
    fdr
        AnnData or DE table input: adjusted p-value threshold selecting the features.
    key_added
        AnnData input: the result is stored in ``adata.uns[key_added][<contrast id>]``.
    """,
    stored="""
    Given an AnnData or a DE table, the result has a ``direction`` column (``up``/``down``)
    after ``term``, one block per direction with a selected feature (each with its own BH
    correction), as the ``ora`` table of :func:`omics.tl.enrichment`. Given an AnnData,
    reads ``adata.uns[de_key][<contrast id>]`` and stores the table in
    ``adata.uns[key_added][<contrast id>]`` (default ``adata.uns["ora"]``).
    """ + settings_note(_DE_STORED, "``de_key`` (as resolved), ``fdr``, ``min_size``, ``max_size``"),
)


def enrichment(
    data: ad.AnnData | pd.DataFrame,
    panel: Mapping[str, Iterable[str]],
    background: Mapping[str, Iterable[str]] | None = None,
    *,
    de_key: str | None = None,
    contrast: object = None,
    gsea_key: str = GSEA_KEY,
    ora_key: str = ORA_KEY,
    permutations: int = 1000,
    seed: int = 0,
    min_size: int = 10,
    max_size: int = 500,
    fdr: float = 0.05,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    kwargs = forwarded(_enrichment.enrichment, locals())
    check_de_input(data, "enrichment")
    if not is_anndata(data):
        return _enrichment.enrichment(data, panel, background, **kwargs)
    de_key, cid, table = _de_input(data, de_key, contrast, "enrichment")
    gsea, ora_table = _enrichment.enrichment(table, panel, background, **kwargs)
    settings = {"de_key": de_key, **kwargs}
    _store(data, gsea_key, cid, gsea, settings)
    _store(data, ora_key, cid, ora_table, settings)
    return gsea, ora_table


enrichment.__doc__ = compose(
    _enrichment.enrichment,
    summary="GSEA prerank and ORA of a gene-set panel, tested within a background collection, "
            "from a DE table or an AnnData.",
    replace=("de_table",),
    inputs="""
    data
        A DESeq2 or limma results table with ``gene_name``, or an AnnData holding one
        (:func:`omics.tl.deseq2` / :func:`omics.tl.limma`).
    """,
    extra=_DE_PARAMS + """
    gsea_key, ora_key
        AnnData input: the tables are stored in ``adata.uns[gsea_key][<contrast id>]`` and
        ``adata.uns[ora_key][<contrast id>]``.
    """,
    stored="""
    Given an AnnData, reads ``adata.uns[de_key][<contrast id>]`` and stores the GSEA table
    in ``adata.uns["gsea"][<contrast id>]`` and the ORA table in
    ``adata.uns["ora"][<contrast id>]`` (the same keys as :func:`omics.tl.gsea_prerank` and
    :func:`omics.tl.ora`; these tables add the ``collection`` column).
    """ + settings_note('adata.uns[gsea_key + "_params"][<contrast id>]`` and '
                        '``adata.uns[ora_key + "_params"][<contrast id>]',
                        "``de_key`` (as resolved), ``permutations``, ``seed``, ``min_size``, "
                        "``max_size``, ``fdr``"),
)
