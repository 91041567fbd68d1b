"""Differential expression/abundance for one contrast: AnnData in, tidy table out.

Both methods take the design from :func:`design_for_contrast`, so a contrast means the
same thing for mRNA and protein. Sign convention (as nf-core/differentialabundance):
positive = higher in ``target`` than in ``reference``.
"""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from .._errors import InputError
from .._logging import get_logger
from ..io._contrasts import Contrast
from ..pp._protein import LOG2_LIMIT, _on_log2_scale
from ._design import Design, design_for_contrast, effect_unit
from ._keys import (
    check_anndata,
    check_matrix_input,
    gene_symbols,
    layer_array,
    layer_name,
    store_params,
    store_per_contrast,
)

log = get_logger("tl")

DESEQ2_COLUMNS = ["gene_id", "gene_name", "baseMean", "log2FoldChange", "lfcSE", "stat",
                  "pvalue", "padj"]
LIMMA_COLUMNS = ["feature_id", "gene_name", "logFC", "AveExpr", "t", "P.Value", "adj.P.Val", "B"]


def _whole_counts(adata: ad.AnnData, layer: str | None) -> np.ndarray:
    """Return the layer's counts as int64; stop at the first value that is not a whole count >= 0."""
    return check_whole_counts(adata, layer, "tl.deseq2").astype(np.int64, copy=False)


def check_whole_counts(adata: ad.AnnData, layer: str | None, caller: str) -> np.ndarray:
    """Return the layer's values (dense); stop at the first that is not a whole count >= 0.

    Float layers are checked in blocks of samples, so no samples x genes temporary is made.
    ``caller`` is the function the message names (``tl.deseq2``, ``pp.normalize_deseq2``).
    """
    values = layer_array(adata, layer, caller)
    block = 256
    for start in range(0, values.shape[0], block):
        part = values[start:start + block]
        if np.issubdtype(part.dtype, np.integer):
            bad = part < 0
        else:
            with np.errstate(invalid="ignore"):
                bad = ~((part >= 0) & (part == np.floor(part)))  # NaN and inf fail too
        if bad.any():
            i, j = np.argwhere(bad)[0]
            raise InputError(
                f"{caller}: {'X' if layer is None else f'layer {layer!r}'} holds {float(part[i, j]):g} for "
                f"gene {adata.var_names[j]!r} in sample {adata.obs_names[start + i]!r}; DESeq2 needs whole "
                "counts >= 0: round estimated counts first (np.rint, as omics.io.read_rna_counts does "
                "for salmon's), or pass the layer of raw counts")
    return values


#: No log2 value reaches this (2**100 would be the intensity): larger values are linear.
_LOG2_LIMIT = LOG2_LIMIT


def _check_log2(adata: ad.AnnData, layer: str | None, values: np.ndarray) -> None:
    """Stop unless ``values`` (``layer`` of ``adata``, ``None``: ``X``) look like log2 data.

    An omics protein AnnData says whether it is on the log2 scale (as :func:`omics.pp.normalize`
    reads it); any other matrix is refused only when a value exceeds :data:`_LOG2_LIMIT`.
    """
    where = "X" if layer is None else f"layer {layer!r}"
    fix = ("run omics.pp.log2_transform(adata) first, or pass layer=<a layer of log2 values> "
           "(layer=None: X)")
    if "protein_input" in adata.uns and not _on_log2_scale(adata):
        raise InputError(f"tl.limma: the protein AnnData is not on the log2 scale (no 'log2' layer, and "
                         f"adata.uns['protein_input']['is_log2'] is not True); {fix}; for values already "
                         "on the log2 scale set adata.uns['protein_input']['is_log2'] = True")
    largest = np.max(values, initial=-np.inf, where=np.isfinite(values))
    if largest > _LOG2_LIMIT:
        raise InputError(f"tl.limma: {where} holds values up to {largest:.4g}, which are no log2 "
                         f"intensities (log2 values stay below {_LOG2_LIMIT:g}); {fix}")


def _check_contrast(contrast: object, caller: str) -> None:
    if not isinstance(contrast, Contrast | Design):
        raise InputError(f"{caller}: contrast must be an omics.io.Contrast (e.g. one of "
                         f"omics.io.read_contrasts(path)), not {type(contrast).__name__} {contrast!r}")


def _gene_names(adata: ad.AnnData) -> np.ndarray:
    """Gene symbols of the features as text; a missing one (NaN) is ``""``, as the readers write it."""
    if "gene_name" in adata.var:
        return gene_symbols(adata).to_numpy()
    return adata.var_names.to_numpy()


def deseq2(adata: ad.AnnData, contrast: Contrast | Design, *, layer: str | None = "counts",
           n_cpus: int = 1, shrink: bool = False, alpha: float = 0.1,
           contrasts_path: str | None = None) -> pd.DataFrame:
    """Test one contrast on RNA counts with pydeseq2 (DESeq2 Wald test).

    Parameters
    ----------
    adata
        Samples x genes with raw counts in ``layer`` and sample-sheet columns in ``obs``.
    contrast
        The contrast (or an already built :class:`Design`).
    layer
        Layer holding integer counts (``None``: ``X``).
    n_cpus
        Processes for pydeseq2.
    shrink
        Add ``log2FoldChange_shrunk`` (single-coefficient contrasts only).
    alpha
        FDR the independent filtering optimises (R ``results(alpha=)``, default 0.1);
        DESeq2 advises the threshold genes will be called at.
    contrasts_path
        Named in error messages.

    Returns
    -------
    pandas.DataFrame
        One row per gene (input order): ``gene_id, gene_name, baseMean, log2FoldChange,
        lfcSE, stat, pvalue, padj`` as DESeq2 ``results()`` (unshrunken, independent
        filtering and Cook's outlier handling as in R). A continuous contrast adds
        ``log2FoldChange_per_unit`` (or ``_per_sd``): the slope of log2 expression on the
        variable, equal to ``log2FoldChange``. ``gene_name`` is ``var["gene_name"]`` as
        text, ``""`` where it is missing (the feature names when ``var`` has no
        ``gene_name``).

        A copy of the table is stored in ``adata.uns["deseq2"][<contrast id>]`` (scanpy
        style), and the settings in ``adata.uns["deseq2_params"][<contrast id>]``: ``layer``
        (``"X"`` for ``X``), ``shrink``, ``alpha`` and ``design`` (the design formula).
    """
    _check_contrast(contrast, "tl.deseq2")
    check_anndata(adata, "tl.deseq2")
    check_matrix_input(adata, layer, "tl.deseq2")
    design = contrast if isinstance(contrast, Design) else design_for_contrast(
        adata.obs, contrast, samples=adata.obs_names, contrasts_path=contrasts_path)
    subset = adata[design.samples]
    counts = pd.DataFrame(_whole_counts(subset, layer), index=design.samples, columns=adata.var_names)
    log.info("DESeq2 %s: %s, %d samples x %d genes", design.contrast.id, design.formula,
             counts.shape[0], counts.shape[1])
    from ._deseq2 import deseq2_fit, deseq2_results  # pydeseq2 only when DESeq2 runs

    with threadpool_limits(1):
        dds = deseq2_fit(counts, design.matrix, n_cpus=n_cpus)
        results = deseq2_results(dds, design.contrast_vector, alpha=alpha, shrink=shrink)
    table = results.reindex(adata.var_names)
    table.insert(0, "gene_name", _gene_names(adata))
    table.insert(0, "gene_id", adata.var_names.to_numpy())
    extra = [c for c in table.columns if c not in DESEQ2_COLUMNS]
    table = _label_continuous(table[DESEQ2_COLUMNS + extra].reset_index(drop=True), design,
                              "log2FoldChange")
    store_per_contrast(adata, "deseq2", design.contrast.id, table)
    store_params(adata, "deseq2", {"layer": layer_name(layer), "shrink": shrink, "alpha": alpha,
                                   "design": design.formula},
                 design.contrast.id)
    return table


def _label_continuous(table: pd.DataFrame, design: Design, column: str) -> pd.DataFrame:
    """Add ``<column>_per_unit`` / ``_per_sd`` after the fold change of a continuous contrast.

    The standard column stays (enrichment, integration and plots read it); the added one
    says what a unit of the slope is.
    """
    unit = effect_unit(design)
    if unit is None:
        return table
    table.insert(list(table.columns).index(column) + 1, f"{column}_{unit}", table[column])
    table.attrs["effect_unit"] = f"log2 fold change {unit.replace('_', ' ')} of {design.contrast.variable}"
    return table


def _recorded_trend(adata: ad.AnnData) -> bool:
    """Whether the AnnData's preparation records microarray RNA (``omics run`` fits it with a trend).

    ``omics run``'s ``rna.h5ad`` has ``uns["rna_format"] == "array"``; an AnnData of
    :func:`omics.io.read_array_matrix` (also after :func:`omics.pp.collapse_probes`) has
    ``uns["rna_input"]["format"]`` ``"array_<layout>"``.
    """
    if adata.uns.get("rna_format") is not None:
        return str(adata.uns["rna_format"]) == "array"
    record = adata.uns.get("rna_input")
    return isinstance(record, dict) and str(record.get("format", "")).startswith("array")


def limma(adata: ad.AnnData, contrast: Contrast | Design, *, layer: str | None = None,
          trend: bool | None = None, robust: bool = False, contrasts_path: str | None = None
          ) -> pd.DataFrame:
    """Test one contrast on log2 values with a limma-style moderated t.

    Parameters
    ----------
    adata
        Samples x features (proteins, array genes, qPCR targets), log2 values (NaN =
        missing) in ``layer``. An omics protein AnnData must be on the log2 scale (after
        :func:`omics.pp.log2_transform`, or read as log2); any values above 100 are taken
        for linear intensities and refused.
    contrast
        The contrast (or an already built :class:`Design`).
    layer
        Layer with log2 values (``None``: ``X``).
    trend
        As limma ``eBayes(trend=)``: let the prior variance depend on the average log2
        value. ``None`` (default): as the AnnData's preparation records it, as ``omics run``
        does: ``True`` for microarray RNA (``uns["rna_format"] == "array"``, or
        ``uns["rna_input"]["format"]`` of :func:`omics.io.read_array_matrix`), else
        ``False`` (proteins, qPCR, flow). With ``trend``, features without an observed
        value among the contrast's samples get NA statistics (logged).
    robust
        As limma ``eBayes(robust=)``.
    contrasts_path
        Named in error messages.

    Returns
    -------
    pandas.DataFrame
        One row per protein (input order): ``feature_id, gene_name, logFC, AveExpr, t,
        P.Value, adj.P.Val, B`` as limma ``topTable(sort.by="none")``; a continuous contrast
        adds ``logFC_per_unit`` (or ``logFC_per_sd``). ``gene_name`` is
        ``var["gene_name"]`` as text, ``""`` where it is missing (the feature names when
        ``var`` has no ``gene_name``).

        A copy of the table is stored in ``adata.uns["limma"][<contrast id>]`` (scanpy
        style), and the settings in ``adata.uns["limma_params"][<contrast id>]``: ``layer``
        (``"X"`` for ``X``), ``trend`` (the value used), ``robust`` and ``design`` (the
        design formula).

    Raises
    ------
    omics._errors.InputError
        When the data are not log2 values (above), ``layer`` is missing, the contrast does
        not fit the sample sheet, or no feature has enough observed values to be fitted.
    """
    _check_contrast(contrast, "tl.limma")
    if trend is None:
        trend = _recorded_trend(adata) if isinstance(adata, ad.AnnData) else False
    check_anndata(adata, "tl.limma")
    check_matrix_input(adata, layer, "tl.limma")
    design = contrast if isinstance(contrast, Design) else design_for_contrast(
        adata.obs, contrast, samples=adata.obs_names, contrasts_path=contrasts_path)
    subset = adata[design.samples]
    values = layer_array(subset, layer, "tl.limma").astype(float)
    _check_log2(adata, layer, values)
    expression = pd.DataFrame(values.T, index=adata.var_names, columns=design.samples)
    log.info("limma %s: %s, %d samples x %d features", design.contrast.id, design.formula,
             expression.shape[1], expression.shape[0])
    from ._limma import limma_fit  # scipy.stats only when limma runs (not for DESeq2)

    try:
        results = limma_fit(expression, design.matrix, design.contrast_vector, trend=trend,
                            robust=robust)
    except InputError as error:  # the inputs are checked, so this is about the observed data
        raise InputError(
            f"contrast {design.contrast.id!r}: the log2 data cannot be fitted "
            f"({error.__cause__ or error.message}). Each "
            f"feature needs more observed values among this contrast's {expression.shape[1]} "
            f"samples than the design's {design.matrix.shape[1]} coefficients; check which samples "
            "are missing, or drop blocking factors."
        ) from error
    table = results.reindex(adata.var_names)
    table.insert(0, "gene_name", _gene_names(adata))
    table.insert(0, "feature_id", adata.var_names.to_numpy())
    table = _label_continuous(table[LIMMA_COLUMNS].reset_index(drop=True), design, "logFC")
    store_per_contrast(adata, "limma", design.contrast.id, table)
    store_params(adata, "limma", {"layer": layer_name(layer), "trend": trend, "robust": robust,
                                  "design": design.formula}, design.contrast.id)
    return table


def add_delta_delta_ct(table: pd.DataFrame) -> pd.DataFrame:
    """Add qPCR columns to a limma table fitted on ``-delta-Ct``.

    ``delta_delta_ct`` = ``-logFC`` (delta-Ct of the target group minus that of the
    reference group, adjusted for the design's covariates) and ``fold_change`` =
    ``2 ** -delta_delta_ct`` (the Livak / Pfaffl relative expression ratio, target over
    reference; with efficiencies the Cts were already scaled by ``log2(E)``).

    Parameters
    ----------
    table
        The table of :func:`limma` on ``-delta-Ct`` values (it has a ``logFC`` column).

    Returns
    -------
    pandas.DataFrame
        A copy of ``table`` with ``delta_delta_ct`` and ``fold_change`` after ``logFC``.

    Raises
    ------
    omics._errors.InputError
        When ``table`` is not a DataFrame with a ``logFC`` column.
    """
    if not isinstance(table, pd.DataFrame) or "logFC" not in table.columns:
        raise InputError("tl.add_delta_delta_ct: table is no limma results table (no logFC column); "
                         "pass the table of omics.tl.limma on -delta-Ct values")
    out = table.copy()
    position = list(out.columns).index("logFC") + 1
    out.insert(position, "delta_delta_ct", -out["logFC"])
    out.insert(position + 1, "fold_change", np.exp2(out["logFC"]))
    return out
