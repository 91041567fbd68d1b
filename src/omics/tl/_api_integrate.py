"""Public integration functions (the convention of :mod:`._apidoc`, with a MuData for the AnnData).

A MuData from :func:`omics.tl.build_mudata` is read through its modalities
(``mdata["rna"]``, ``mdata["protein"]`` and what earlier steps stored in their ``uns``);
the results and their settings are stored in ``mdata.uns``. The computations are those
of :mod:`._integrate`.
"""

from __future__ import annotations

from collections.abc import Mapping

import anndata as ad
import mudata as md
import numpy as np
import pandas as pd

from .._errors import InputError
from . import _integrate
from ._keys import (
    CONCORDANCE_KEY,
    CONCORDANCE_SUMMARY_KEY,
    CORRELATION_KEY,
    GSEA_KEY,
    PATHWAY_KEY,
    contrast_id,
    de_key_for,
    is_anndata,
    is_mudata,
    layer_name,
    per_contrast,
    store_params,
    store_per_contrast,
)

__all__ = ["fold_change_concordance", "mrna_protein_correlation", "pathway_evidence"]


def _modality(mdata: md.MuData, name: str, caller: str) -> ad.AnnData:
    if name not in mdata.mod:
        raise InputError(f"{caller}: the MuData has no {name!r} modality (it has "
                         f"{', '.join(mdata.mod) or 'none'}); build it with "
                         "omics.tl.build_mudata(rna, protein)")
    return mdata.mod[name]


def mrna_protein_correlation(data: md.MuData | ad.AnnData, protein: ad.AnnData | None = None, *,
                             rna_layer: str = "vst", protein_layer: str | None = None,
                             min_pairs: int = 6, key_added: str = CORRELATION_KEY) -> pd.DataFrame:
    """Per-gene Spearman correlation of mRNA (VST) and protein (log2) across patients.

    Pairs with a missing protein value are left out, and so are imputed values (cells
    marked in ``layers["imputed_mask"]``, as :func:`omics.pp.impute` writes): only measured
    pairs are correlated, so ``n_pairs`` and rho do not depend on the imputation. Genes
    with fewer than ``min_pairs`` complete pairs get NA. BH adjustment over the genes
    tested. Samples not in both modalities are left out with a logged warning.

    Parameters
    ----------
    data
        A MuData with ``rna`` and ``protein`` modalities, or the RNA AnnData.
    protein
        With an RNA AnnData: the protein AnnData (unused with a MuData).
    rna_layer
        RNA layer to correlate (``None``: ``X``).
    protein_layer
        Protein layer to correlate (``None``: ``X``).
    min_pairs
        Fewest complete sample pairs for a gene to be tested.
    key_added
        MuData input: the table is stored in ``mdata.uns[key_added]``.

    Returns
    -------
    pandas.DataFrame
        ``gene_name``, ``n_pairs``, ``spearman_rho``, ``pvalue``, ``fdr``; one row per gene
        measured in both modalities, sorted by gene.

    Notes
    -----
    Given a MuData, reads ``mdata["rna"]`` and ``mdata["protein"]`` and stores the returned
    table in ``mdata.uns[key_added]`` (default ``mdata.uns["mrna_protein_correlation"]``)
    and the settings in ``mdata.uns[key_added + "_params"]``: ``rna_layer``,
    ``protein_layer`` (``"X"`` for ``X``) and ``min_pairs``.
    """
    caller = "mrna_protein_correlation"
    if is_mudata(data):
        rna, prot = _modality(data, "rna", caller), _modality(data, "protein", caller)
    else:
        for argument, given in (("data", data), ("protein", protein)):
            if not is_anndata(given):
                raise InputError(f"{caller}: {argument} is a {type(given).__name__}, not an AnnData; pass "
                                 "a MuData with rna and protein modalities (omics.tl.build_mudata), or "
                                 "the RNA AnnData and protein=<the protein AnnData>")
        rna, prot = data, protein
    table = _integrate.mrna_protein_correlation(rna, prot, rna_layer=rna_layer,
                                                protein_layer=protein_layer, min_pairs=min_pairs)
    if is_mudata(data):
        data.uns[key_added] = table.copy()
        store_params(data, key_added, {"rna_layer": layer_name(rna_layer),
                                       "protein_layer": layer_name(protein_layer), "min_pairs": min_pairs})
    return table


def fold_change_concordance(data: md.MuData | pd.DataFrame, protein_de: pd.DataFrame | None = None,
                            *, contrast: object = None, rna_de_key: str | None = None,
                            protein_de_key: str | None = None, fdr: float = 0.05,
                            key_added: str = CONCORDANCE_KEY) -> tuple[pd.DataFrame, dict]:
    """Join mRNA and protein differential results of one contrast by gene symbol.

    Parameters
    ----------
    data
        A MuData whose ``rna`` and ``protein`` modalities hold the contrast's results
        (``omics.tl.deseq2`` / ``omics.tl.limma`` store them in ``uns``), or the RNA
        differential table.
    protein_de
        With an RNA table: the protein differential table (unused with a MuData).
    contrast
        MuData input: the contrast (id or :class:`omics.io.Contrast`); default: the only
        one stored.
    rna_de_key, protein_de_key
        MuData input: ``uns`` keys of the differential results in each modality
        (default: whichever of ``deseq2``/``limma`` the modality holds).
    fdr
        Adjusted p-value below which a gene counts as significant in a modality.
    key_added
        MuData input: the table is stored in ``mdata.uns[key_added][<contrast id>]``, the
        summary in ``mdata.uns[key_added + "_summary"][<contrast id>]`` and the settings in
        ``mdata.uns[key_added + "_params"][<contrast id>]`` (``rna_de_key`` and
        ``protein_de_key`` as resolved, ``fdr``).

    Returns
    -------
    tuple of (pandas.DataFrame, dict)
        The per-gene table (``gene_name``, ``rna_log2fc``, ``rna_stat``, ``rna_padj``, the
        same for protein, ``concordant`` = same sign of fold change) and the summary:
        genes matched, Spearman correlation of the fold changes, sign agreement overall
        and among genes significant in both.
    """
    caller = "fold_change_concordance"
    if not is_mudata(data):
        for argument, table in (("data", data), ("protein_de", protein_de)):
            if not isinstance(table, pd.DataFrame):
                raise InputError(f"{caller}: {argument} is not a differential table (found "
                                 f"{type(table).__name__}); pass the RNA and the protein DESeq2/limma "
                                 "results tables (DataFrames), or a MuData whose modalities hold them "
                                 "(omics.tl.build_mudata(rna, protein) after omics.tl.deseq2 / "
                                 "omics.tl.limma)")
        return _integrate.fold_change_concordance(data, protein_de, fdr=fdr)
    rna, prot = _modality(data, "rna", caller), _modality(data, "protein", caller)
    rna_de_key, protein_de_key = de_key_for(rna, rna_de_key, caller), de_key_for(prot, protein_de_key, caller)
    cid, rna_de = per_contrast(rna, rna_de_key, contrast, caller, argument="rna_de_key")
    _, prot_de = per_contrast(prot, protein_de_key, cid, caller, argument="protein_de_key")
    joined, summary = _integrate.fold_change_concordance(rna_de, prot_de, fdr=fdr)
    store_per_contrast(data, key_added, cid, joined)
    store_per_contrast(data, f"{key_added}{CONCORDANCE_SUMMARY_KEY}", cid, dict(summary))
    store_params(data, key_added, {"rna_de_key": rna_de_key, "protein_de_key": protein_de_key, "fdr": fdr},
                 cid)
    return joined, summary


def _stored_contrasts(held: Mapping[str, ad.AnnData], key: str) -> str:
    """``"rna: a, b; protein: a"``: the contrasts each modality holds in ``uns[key]``."""
    return "; ".join(f"{name}: {', '.join(map(str, adata.uns[key])) or 'none'}"
                     if isinstance(adata.uns[key], Mapping) else f"{name}: none"
                     for name, adata in held.items())


def _recorded_permutations(adata: ad.AnnData, gsea_key: str, cid: str) -> int | None:
    """Return the ``permutations`` gsea_prerank recorded for the contrast (``None``: not recorded)."""
    params = adata.uns.get(gsea_key + "_params")
    settings = params.get(cid) if isinstance(params, Mapping) else None
    value = settings.get("permutations") if isinstance(settings, Mapping) else None
    return int(value) if isinstance(value, (int, np.integer)) and value > 0 else None


def pathway_evidence(data: md.MuData | dict[str, pd.DataFrame], *, contrast: object = None,
                     gsea_key: str = GSEA_KEY, permutations: int | None = None,
                     key_added: str = PATHWAY_KEY) -> pd.DataFrame:
    """Combine per-modality GSEA results of one contrast by Stouffer's method.

    Parameters
    ----------
    data
        A MuData whose modalities hold the contrast's GSEA results
        (``omics.tl.gsea_prerank`` stores them in ``uns[gsea_key]``), or a mapping of
        modality name to GSEA table.
    contrast
        MuData input: the contrast (id or :class:`omics.io.Contrast`); default: the only
        one stored (in the first modality with GSEA results; every modality with GSEA
        results must then hold it). A modality without GSEA results of the contrast is
        left out; none holding it raises :class:`~omics._errors.InputError`.
    gsea_key
        MuData input: ``uns`` key of the GSEA results in each modality.
    permutations
        Permutations behind the GSEA p-values: a p-value of 0 is floored at
        ``1 / (permutations + 1)`` and a one-sided p-value of 1 capped at
        ``permutations / (permutations + 1)`` (without it, such a table is rejected).
        MuData input: default the ``permutations`` that :func:`omics.tl.gsea_prerank`
        recorded in ``uns[gsea_key + "_params"][<contrast id>]``, when every modality used
        recorded the same number.
    key_added
        MuData input: the table is stored in ``mdata.uns[key_added][<contrast id>]`` and
        the settings in ``mdata.uns[key_added + "_params"][<contrast id>]`` (``gsea_key``,
        ``permutations`` unless ``None``, ``modalities``: those that held the contrast's
        GSEA table).

    Returns
    -------
    pandas.DataFrame
        ``term``; per modality ``<m>_nes``, ``<m>_pvalue``, ``<m>_fdr``, ``<m>_z``;
        ``n_modalities``, ``stouffer_z``, ``stouffer_pvalue``, ``stouffer_fdr``,
        ``direction``; sorted by ``(stouffer_pvalue, term)``. The method is described
        in the table-level function (``omics.tl._integrate.pathway_evidence``): equal
        weights, a set counted only in the modalities that tested it.
    """
    caller = "pathway_evidence"
    if not is_mudata(data):
        return _integrate.pathway_evidence(data, permutations=permutations)
    held = {name: adata for name, adata in data.mod.items() if gsea_key in adata.uns}
    if not held:
        raise InputError(f"{caller}: no modality of the MuData holds uns[{gsea_key!r}]; run "
                         "omics.tl.gsea_prerank(adata, gene_sets) on each modality first")
    wanted = contrast_id(contrast)
    by_modality, cid = {}, wanted
    for name, adata in held.items():
        store = adata.uns[gsea_key]
        if wanted is not None and isinstance(store, Mapping) and wanted not in store:
            continue  # GSEA results of other contrasts only: as a modality without any
        if cid is not None and isinstance(store, Mapping) and store and cid not in store:
            raise InputError(f"{caller}: the modalities hold GSEA results of different contrasts "
                             f"({_stored_contrasts(held, gsea_key)}); pass contrast=<one of them>")
        cid, by_modality[name] = per_contrast(adata, gsea_key, cid, caller, argument="gsea_key")
    if not by_modality:
        raise InputError(f"{caller}: no modality holds GSEA results of contrast {wanted!r} in "
                         f"uns[{gsea_key!r}] ({_stored_contrasts(held, gsea_key)}); pass one of these, "
                         f"or run omics.tl.gsea_prerank(mdata[<modality>], gene_sets, contrast={wanted!r})"
                         " first")
    if permutations is None:
        recorded = {_recorded_permutations(data.mod[name], gsea_key, cid) for name in by_modality}
        if len(recorded) == 1:
            permutations = recorded.pop()
    table = _integrate.pathway_evidence(by_modality, permutations=permutations)
    store_per_contrast(data, key_added, cid, table)
    store_params(data, key_added, {"gsea_key": gsea_key, "permutations": permutations,
                                   "modalities": list(by_modality)}, cid)
    return table
