"""Plots of result tables; each returns the matplotlib Axes (scanpy style).

The same figures as the HTML report (which draws them with plotly), from the same result
tables, for notebooks. No backend is forced: figures show inline in Jupyter; the command
line sets a non-interactive backend itself. A call without ``ax=`` opens a new pyplot
figure, which stays open until ``plt.close(ax.figure)`` (a script that draws many plots
closes each after ``ax.figure.savefig(...)``; matplotlib warns past 20 open figures).
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from anndata import AnnData
from matplotlib.axes import Axes

from .._errors import InputError
from ..tl._keys import (
    CONCORDANCE_KEY,
    CORRELATION_KEY,
    GSEA_KEY,
    RESPONSE_KEY,
    SCORES_KEY,
    contrast_id,
    is_anndata,
    is_mudata,
    per_contrast,
)
from ..tl._ranking import STATISTIC, gene_statistic
from ..tl._running import gsea_running_score
from ..tl._separation import ratio_axis_limits, separated_flags
from . import _inputs

if TYPE_CHECKING:
    from mudata import MuData

_COLORS = {"responder": "#1b9e77", "non_responder": "#d95f02", "bmmnc": "#7570b3",
           "placebo": "#e7298a", "up": "#b2182b", "down": "#2166ac", "ns": "#bbbbbb"}
_PALETTE = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666"]


_UNKNOWN = "unknown"  # the legend label of samples without a value (drawn in _COLORS["ns"])


def _level_colors(levels: Sequence[str]) -> list[str]:
    """Return one distinct colour per level.

    A level named in ``_COLORS`` keeps its colour; the others take the palette's colours that
    no level drawn uses (then tab20's; with more levels than those, evenly spaced hues).
    """
    used = {_COLORS[level] for level in levels if level in _COLORS} | {_COLORS["ns"]}
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    spare = [c for c in _PALETTE + [to_hex(c) for c in colormaps["tab20"].colors] if c not in used]
    others = [level for level in levels if level not in _COLORS]
    if len(others) > len(spare):
        spare = [to_hex(colormaps["hsv"](k / len(others))) for k in range(len(others))]
    free = iter(spare)
    return [_COLORS[level] if level in _COLORS else next(free) for level in levels]


def _axes(ax: Axes | None, size: tuple[float, float] = (4.5, 4)) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=size)
    return ax


def _check_fdr(fdr: object, caller: str) -> None:
    """Stop unless ``fdr`` is a number with 0 < fdr <= 1 (before any figure is made)."""
    if isinstance(fdr, bool) or not isinstance(fdr, numbers.Real) or not 0 < fdr <= 1:
        raise InputError(f"{caller}: fdr={fdr!r} is not an adjusted p-value threshold; pass a number "
                         "with 0 < fdr <= 1, e.g. fdr=0.05")


def _modality(table: pd.DataFrame) -> str:
    return "rna" if "log2FoldChange" in table.columns else "protein"


def _effect_label(table: pd.DataFrame, contrast: object, coefficient: bool) -> str:
    """Return the label of the fold change axis.

    A continuous contrast's unit (the table's ``attrs["effect_unit"]``), a formula
    contrast's coefficient, else target / reference (the levels when a Contrast is passed).
    """
    unit = table.attrs.get("effect_unit")
    if isinstance(unit, str) and unit:
        return unit
    if coefficient:
        return "log2 fold change / coefficient"
    target, reference = getattr(contrast, "target", None), getattr(contrast, "reference", None)
    if target is not None and reference is not None:
        return f"log2 fold change ({target} / {reference})"
    return "log2 fold change (target / reference)"


_MEAN_LABELS = {"flow": "mean log2 count (AveExpr)", "protein": "mean log2 intensity (AveExpr)",
                "rna": "mean log2 expression (AveExpr)",
                # by format, as the report's MA plots name them
                "qpcr": "mean -delta-Ct (log2 relative quantity; AveExpr)",
                "array": "mean log2 intensity (AveExpr)",
                "olink": "mean NPX (log2 relative units; AveExpr)"}


def _value_kind(data: object, modality: str | None) -> str | None:
    """Return what an AnnData's limma AveExpr is the mean of: its format, else its modality.

    RNA: ``uns["rna_format"]`` (``omics run``'s rna.h5ad), or the records of the notebook
    steps (``uns["qpcr"]`` of :func:`omics.pp.qpcr_delta_ct`, ``uns["rna_input"]["format"]``
    ``array_...`` of :func:`omics.io.read_array_matrix`); protein: ``"olink"`` for Olink NPX
    (``uns["protein_input"]["format"]``). A table (not an AnnData) gives ``modality``.
    """
    if not _inputs.is_anndata(data):
        return modality
    uns = data.uns
    fmt = uns.get("rna_format")
    if modality in (None, "rna") and isinstance(fmt, str) and fmt in ("qpcr", "array"):
        return fmt
    record = uns.get("rna_input")
    if modality in (None, "rna") and fmt is None:
        if isinstance(uns.get("qpcr"), Mapping):
            return "qpcr"
        if isinstance(record, Mapping) and str(record.get("format", "")).startswith("array"):
            return "array"
    protein = uns.get("protein_input")
    if modality in (None, "protein") and isinstance(protein, Mapping) \
            and str(protein.get("format", "")).lower() == "olink":
        return "olink"
    return modality


def _short(term: str, width: int = 45) -> str:
    text = str(term).replace("_", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def volcano(de_table: pd.DataFrame | AnnData, *, de_key: str | None = None, contrast: object = None,
            fdr: float = 0.05, title: str | None = None, label_top: int = 8, ax: Axes | None = None) -> Axes:
    """Volcano plot of a DESeq2 or limma results table (fold change vs -log10 p).

    The dashed line is the p-value of the FDR threshold; the ``label_top`` most significant
    features are labelled in two columns at the plot's edges, with a line to their point
    (the labels are spaced evenly down each edge: with the default 8 they do not overlap, with
    several dozen they can). The x axis says what the fold change is: target / reference,
    a continuous contrast's unit (``attrs["effect_unit"]``), or a formula contrast's
    coefficient (an AnnData whose stored design has an interaction, or a formula
    :class:`omics.io.Contrast` passed as ``contrast``).

    Parameters
    ----------
    de_table
        A ``*.deseq2.results.tsv`` or ``*.limma.results.tsv`` table (as returned by
        :func:`omics.tl.deseq2` / :func:`omics.tl.limma`), or an AnnData holding it.
    de_key, contrast
        AnnData input: the table ``adata.uns[de_key][contrast]`` (default: ``"deseq2"`` or
        ``"limma"``, whichever is stored; the only stored contrast). A table: a
        :class:`omics.io.Contrast` passed here names its levels on the x axis.
    fdr
        Adjusted p-value threshold, 0 < fdr <= 1 (else an InputError).
    title
        Axes title (default: the number of features at the threshold).
    label_top
        Number of features labelled.
    ax
        Axes to draw on (a new figure by default).

    Returns
    -------
    matplotlib.axes.Axes
    """
    _check_fdr(fdr, "volcano")
    data = de_table
    de_table = _inputs.de_table(de_table, de_key, contrast, "volcano")
    _, _, coefficient = _inputs.de_context(data, de_key, contrast)
    ax = _axes(ax)
    _, padj, lfc = STATISTIC[_modality(de_table)]
    pcol = "pvalue" if "pvalue" in de_table else "P.Value"
    table = de_table.dropna(subset=[lfc, pcol])
    logp = -np.log10(table[pcol].clip(lower=1e-300))
    significant = (table[padj] < fdr).to_numpy()
    color = np.where(~significant, _COLORS["ns"],
                     np.where(table[lfc] > 0, _COLORS["up"], _COLORS["down"]))
    ax.scatter(table[lfc], logp, c=color, s=6, linewidths=0, rasterized=True)
    if significant.any():
        ax.axhline(-np.log10(table.loc[significant, pcol].max()), color="#555", ls="--", lw=0.8)
    xmax = float(np.abs(table[lfc]).max()) * 1.05 if len(table) else 1.0
    ymax = float(logp.max()) * 1.08 if len(table) else 1.0
    xmax, ymax = (v if np.isfinite(v) and v > 0 else 1.0 for v in (xmax, ymax))  # all lfc 0 / all p 1
    ax.set_xlim(-xmax, xmax)
    ax.set_ylim(0, ymax)
    top = table.assign(logp=logp).nlargest(label_top, "logp")
    for side, part in (("left", top[top[lfc] < 0]), ("right", top[top[lfc] >= 0])):
        part = part.sort_values("logp", ascending=False)
        for i, (_, row) in enumerate(part.iterrows()):
            y = ymax * (0.95 - 0.9 * i / max(len(part), 8))
            x = -xmax * 0.97 if side == "left" else xmax * 0.97
            ax.annotate(str(row.get("gene_name", "")), (row[lfc], row["logp"]), xytext=(x, y),
                        fontsize=6, ha=side, va="center",
                        arrowprops={"arrowstyle": "-", "color": "#888", "lw": 0.4})
    ax.set_xlabel(_effect_label(de_table, contrast, coefficient))
    ax.set_ylabel("-log10 p-value")
    ax.set_title(title or f"{int(significant.sum())} features at FDR < {fdr}", fontsize=9)
    return ax


def ma(de_table: pd.DataFrame | AnnData, *, de_key: str | None = None, contrast: object = None,
       fdr: float = 0.05, title: str | None = None, ax: Axes | None = None) -> Axes:
    """Draw an MA plot: mean expression vs fold change, features at ``fdr`` in red.

    The mean is ``log10(baseMean + 1)`` for a DESeq2 table and ``AveExpr`` for a limma one:
    the mean log2 intensity (protein, microarray RNA), NPX (Olink), -delta-Ct (qPCR RNA) or
    log2 count (flow), named from ``adata.uns`` for AnnData input (``"modality"``, and the
    format: ``"rna_format"``, ``"qpcr"``, ``"rna_input"``, ``"protein_input"``; a table
    does not say which). The fold change axis is labelled as in :func:`volcano`.

    Parameters
    ----------
    de_table
        A DESeq2/limma results table (as returned by :func:`omics.tl.deseq2` /
        :func:`omics.tl.limma`), or an AnnData holding it in ``adata.uns[de_key][contrast]``
        (as :func:`volcano`).
    de_key, contrast
        AnnData input: the table ``adata.uns[de_key][contrast]`` (default: ``"deseq2"`` or
        ``"limma"``, whichever is stored; the only stored contrast).
    fdr
        Adjusted p-value threshold (0 < fdr <= 1): features below it are drawn in red.
    title
        Axes title (none by default).
    ax
        Axes to draw on (a new figure by default).

    Returns
    -------
    matplotlib.axes.Axes
    """
    _check_fdr(fdr, "ma")
    data = de_table
    de_table = _inputs.de_table(de_table, de_key, contrast, "ma")
    _, stored_modality, coefficient = _inputs.de_context(data, de_key, contrast)
    modality = _modality(de_table)
    _, padj, lfc = STATISTIC[modality]
    if modality == "rna" and "baseMean" not in de_table or modality != "rna" and "AveExpr" not in de_table:
        raise InputError(f"ma: the table has no {'baseMean' if modality == 'rna' else 'AveExpr'} column "
                         "(the mean expression); pass the table of omics.tl.deseq2 or omics.tl.limma")
    ax = _axes(ax)
    mean = np.log10(de_table["baseMean"] + 1) if modality == "rna" else de_table["AveExpr"]
    significant = de_table[padj] < fdr
    ax.scatter(mean, de_table[lfc], c=np.where(significant, _COLORS["up"], _COLORS["ns"]), s=5,
               linewidths=0, rasterized=True)
    ax.axhline(0, color="black", lw=0.5)
    ax.set_xlabel("log10(mean normalised count + 1)" if modality == "rna"
                  else _MEAN_LABELS.get(_value_kind(data, stored_modality) or "",
                                        "mean log2 value (AveExpr)"))
    ax.set_ylabel(_effect_label(de_table, contrast, coefficient))
    if title:
        ax.set_title(title, fontsize=9)
    return ax


def pca(pca_table: pd.DataFrame | AnnData, *, color: str | None = "response",
        variance: Sequence[float] | None = None, title: str | None = None, key: str = "sample_qc",
        ax: Axes | None = None) -> Axes:
    """Draw PC1 vs PC2 of a QC table, coloured by a sample-sheet column.

    Parameters
    ----------
    pca_table
        The table :func:`omics.tl.sample_qc` returns (joined with sample-sheet columns to
        colour by) or ``qc/<modality>.pca.tsv``: columns ``PC1``, ``PC2``, ... indexed by
        sample. A one-feature matrix has PC1 alone (PC2 drawn at 0). Or an AnnData after
        :func:`omics.tl.sample_qc`: the PCs in ``adata.obsm["X_<key>_pca"]`` with
        ``adata.obs`` and the variance in ``adata.uns[key]``.
    color
        Column to colour by (default ``"response"``); ``None``: one colour. A name that is
        not a column of the table raises :class:`~omics._errors.InputError`. Each level has
        its own colour (responder, non_responder, bmmnc and placebo their usual ones);
        samples without a value are grey, labelled "unknown".
    variance
        Fractions of variance per component (``qc/<modality>.pca_variance.txt``), shown on
        the axis labels; by default the AnnData's ``adata.uns[key]["variance_ratio"]`` or
        the table's ``attrs["variance_ratio"]`` (none: the labels have no percentage).
        pandas drops ``attrs`` in ``join``/``merge``, so with ``qc.join(adata.obs)`` pass
        ``variance=qc.attrs["variance_ratio"]`` (or
        ``adata.uns["sample_qc"]["variance_ratio"]``), or draw the AnnData itself.
    title
        Axes title (none by default).
    key
        AnnData input: the key :func:`omics.tl.sample_qc` stored its results under.
    ax
        Axes to draw on (a new figure by default).

    Returns
    -------
    matplotlib.axes.Axes
    """
    pca_table, stored_variance = _inputs.qc_table(pca_table, key, "pca")
    if variance is None:
        variance = stored_variance
    if variance is None:
        variance = pca_table.attrs.get("variance_ratio")
    if "PC2" not in pca_table:
        pca_table = pca_table.assign(PC2=0.0)
    if color is not None and color not in pca_table:
        raise InputError(f"pca: color={color!r} is not a column of the table (it has "
                         f"{', '.join(map(str, pca_table.columns))}); join the sample sheet, name one of "
                         "them, or pass color=None for one colour")
    ax = _axes(ax)
    if color is None:
        ax.scatter(pca_table["PC1"], pca_table["PC2"], s=18, label="all", color=_PALETTE[0])
    else:
        unknown = pca_table[color].isna().to_numpy()
        groups = pca_table[color].astype(str)
        levels = sorted(groups[~unknown].unique())
        for level, level_color in zip(levels, _level_colors(levels), strict=True):
            part = pca_table[(groups == level).to_numpy() & ~unknown]
            ax.scatter(part["PC1"], part["PC2"], s=18, label=level, color=level_color)
        if unknown.any():
            part = pca_table[unknown]
            ax.scatter(part["PC1"], part["PC2"], s=18, label=_UNKNOWN, color=_COLORS["ns"])
    for k, setter in ((1, ax.set_xlabel), (2, ax.set_ylabel)):
        setter(f"PC{k} ({100 * variance[k - 1]:.1f}%)" if variance is not None and len(variance) >= k
               else f"PC{k}")
    if title:
        ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, frameon=False, title=color)
    return ax


def correlation_heatmap(corr: pd.DataFrame | AnnData, *, title: str | None = None, key: str = "sample_qc",
                        ax: Axes | None = None) -> Axes:
    """Draw a sample-sample correlation heatmap (``qc/<modality>.sample_correlation.tsv``).

    Samples are in average-linkage clustering order (with more than two samples); the
    diagonal is left blank. A missing r (two samples without shared features) is blank and
    clustered as the largest distance.

    Parameters
    ----------
    corr
        Samples x samples correlations, indexed by sample
        (``qc/<modality>.sample_correlation.tsv``), or an AnnData after
        :func:`omics.tl.sample_qc`: ``adata.obsp["<key>_correlation"]``.
    title
        Axes title (default ``"sample correlation"``).
    key
        AnnData input: the key :func:`omics.tl.sample_qc` stored its results under.
    ax
        Axes to draw on (a new figure by default).

    Returns
    -------
    matplotlib.axes.Axes
    """
    corr = _inputs.qc_correlation(corr, key, "correlation_heatmap")
    from scipy.cluster.hierarchy import leaves_list, linkage
    from scipy.spatial.distance import squareform

    ax = _axes(ax, (6, 5.5))
    values = corr.to_numpy(dtype=float)
    order = np.arange(len(corr))
    if len(corr) > 2:
        distance = np.clip(1 - values, 0, None)
        # a NaN r (no features shared by two samples): the largest distance, so they cluster last
        finite = distance[np.isfinite(distance)]
        distance = np.where(np.isfinite(distance), distance, finite.max() if finite.size else 1.0)
        np.fill_diagonal(distance, 0)
        order = leaves_list(linkage(squareform((distance + distance.T) / 2, checks=False), "average"))
    shown = values[np.ix_(order, order)].copy()
    np.fill_diagonal(shown, np.nan)
    image = ax.imshow(shown, cmap="viridis")
    names = [str(corr.index[i]) for i in order]
    ax.set_xticks(range(len(names)), names, rotation=90, fontsize=5)
    ax.set_yticks(range(len(names)), names, fontsize=5)
    ax.figure.colorbar(image, ax=ax, label="r", shrink=0.7)
    ax.set_title(title or "sample correlation", fontsize=9)
    return ax


def heatmap(matrix: pd.DataFrame | AnnData, groups: pd.Series | None = None, *, groupby: str | None = None,
            var_names: Sequence[str] | None = None, layer: str | None = None, de_key: str | None = None,
            contrast: object = None, n_top: int = 30, title: str | None = None,
            ax: Axes | None = None) -> Axes:
    """Heatmap of features x samples, z-scored per feature, samples ordered by ``groups``.

    Parameters
    ----------
    matrix
        Features x samples (e.g. VST counts or log2 intensities; rows labelled by the
        index), or an AnnData (samples x features) whose ``layer`` is drawn.
    groups
        Table input: the group of each sample, indexed by the columns of ``matrix``
        (samples without a group are left out; a sample that is not a column raises
        :class:`~omics._errors.InputError`).
    groupby
        AnnData input: the ``obs`` column that groups the samples (samples without a
        value are left out).
    var_names
        AnnData input: the features to draw, in this order (feature names or gene
        symbols of ``var["gene_name"]``); rows are labelled by gene symbol where there is one.
    layer
        AnnData input: the layer to draw (``None``: ``X``).
    de_key, contrast, n_top
        AnnData input without ``var_names``: the ``n_top`` features by p-value of
        ``adata.uns[de_key][contrast]`` (as :func:`volcano`: default ``"deseq2"`` or
        ``"limma"``, whichever is stored; the only stored contrast), most significant first.
        The table's ids are matched to ``var_names``, else its ``gene_name`` column (after
        ``var_names`` were set to symbols); none matching raises
        :class:`~omics._errors.InputError`, some not matching warns.
    title
        Axes title.
    ax
        Axes to draw on (a new figure by default).

    Returns
    -------
    matplotlib.axes.Axes
    """
    if is_anndata(matrix):
        matrix, groups = _inputs.heatmap_matrix(matrix, groupby=groupby, var_names=var_names, layer=layer,
                                                de_key=de_key, contrast=contrast, n_top=n_top,
                                                caller="heatmap")
    elif groups is None:
        raise TypeError("heatmap: with a matrix, pass the group of each sample: heatmap(matrix, groups)")
    else:
        groups = pd.Series(groups).dropna()  # as with an AnnData: samples without a group are left out
        absent = [str(sample) for sample in groups.index if sample not in matrix.columns]
        if absent:
            shown = ", ".join(absent[:5]) + (", ..." if len(absent) > 5 else "")
            raise InputError(f"heatmap: {len(absent)} sample(s) of groups are not columns of the matrix "
                             f"({shown}); pass groups indexed by the matrix's columns (samples)")
        if groups.empty:
            raise InputError("heatmap: no sample has a group; pass groups indexed by the matrix's columns")
    order = groups.sort_values(kind="stable").index
    values = matrix[order]
    z = values.sub(values.mean(axis=1), axis=0).div(values.std(axis=1).replace(0, 1), axis=0)
    ax = _axes(ax, (7, max(3, 0.18 * len(values) + 1)))
    image = ax.imshow(z.to_numpy(), aspect="auto", cmap="RdBu_r", vmin=-3, vmax=3)
    ax.set_yticks(range(len(values)), list(values.index), fontsize=6)
    ax.set_xticks([])
    labels = groups[order].to_numpy()
    for b in np.flatnonzero(labels[1:] != labels[:-1]):
        ax.axvline(b + 0.5, color="black", lw=1.5)
    starts = np.r_[0, np.flatnonzero(labels[1:] != labels[:-1]) + 1]
    for s in starts:
        ax.text(s, -0.8, str(labels[s]), fontsize=7, va="bottom")
    ax.figure.colorbar(image, ax=ax, label="z", shrink=0.6)
    if title:
        ax.set_title(title, fontsize=9, pad=14)
    return ax


def enrichment_dots(gsea: pd.DataFrame | AnnData, *, key: str = GSEA_KEY, contrast: object = None,
                    n_background: int = 10, title: str | None = None, ax: Axes | None = None) -> Axes:
    """Draw a dot plot of a GSEA table: the panel sets and the top background sets by p-value.

    x = NES, dot size = set size, colour = -log10 FDR (capped at 4); diamonds: background.

    Parameters
    ----------
    gsea
        The table of :func:`omics.tl.enrichment` / :func:`omics.tl.gsea_prerank`
        (``term``, ``size``, ``nes``, ``pvalue``, ``fdr``; panel sets are those with
        ``collection`` ``"panel"``, and without a ``collection`` column every set is drawn
        as a panel set), or an AnnData holding it in ``adata.uns[key][contrast]``. A table
        without these columns (the ORA table, a DE table) raises
        :class:`~omics._errors.InputError`.
    key, contrast
        AnnData input: the table ``adata.uns[key][contrast]`` (default ``"gsea"``; the only
        stored contrast).
    n_background
        Number of background (non-panel) sets drawn: those with the smallest p-values.
    title
        Axes title (none by default).
    ax
        Axes to draw on (a new figure by default).

    Returns
    -------
    matplotlib.axes.Axes
    """
    gsea = _inputs.contrast_table(gsea, key, contrast, "enrichment_dots")
    _inputs.require_columns(gsea, ("term", "nes", "pvalue", "fdr", "size"), "enrichment_dots",
                            "pass the GSEA table of omics.tl.enrichment / omics.tl.gsea_prerank (its "
                            "first table; the ORA table has no NES), or key='gsea' with an AnnData")
    panel = gsea[gsea["collection"] == "panel"] if "collection" in gsea else gsea
    rest = (gsea[gsea["collection"] != "panel"].nsmallest(n_background, "pvalue")
            if "collection" in gsea else gsea.iloc[0:0])
    data = pd.concat([panel.assign(kind="panel"), rest.assign(kind="background")])
    data = data.sort_values(["kind", "nes"], ascending=[True, True], kind="stable").reset_index(drop=True)
    ax = _axes(ax, (6.5, max(3, 0.28 * len(data) + 1)))
    logq = -np.log10(data["fdr"].astype(float).clip(lower=1e-4))
    points = None
    for kind, marker in (("panel", "o"), ("background", "D")):
        mask = (data["kind"] == kind).to_numpy()
        if mask.any():
            points = ax.scatter(data.loc[mask, "nes"], np.flatnonzero(mask), marker=marker,
                                s=np.clip(data.loc[mask, "size"].astype(float), 10, 400) / 2,
                                c=logq[mask], cmap="viridis", vmin=0, vmax=4, edgecolors="#333",
                                linewidths=0.4, label=f"{kind} sets")
    ax.set_yticks(range(len(data)), [_short(t) for t in data["term"]], fontsize=6)
    ax.axvline(0, color="black", lw=0.5)
    ax.set_xlabel("NES")
    if points is not None:
        ax.figure.colorbar(points, ax=ax, label="-log10 FDR", shrink=0.6)
        ax.legend(fontsize=6, frameon=False, loc="lower right")
    if title:
        ax.set_title(title, fontsize=9)
    return ax


def gsea_curve(statistic: pd.Series | pd.DataFrame | AnnData, genes: list[str] | Mapping[str, list[str]],
               *, de_key: str | None = None, contrast: object = None, title: str = "",
               ax: Axes | None = None) -> Axes:
    """Plot the running enrichment score of one or several gene sets along a ranking, hits as ticks.

    The curve's extreme is the ES of :func:`omics.tl.gsea_prerank` (weight 1).

    Parameters
    ----------
    statistic
        The ranking (Series by gene symbol), a DESeq2/limma table or an AnnData holding one
        in ``adata.uns[de_key][contrast]`` (ranked by :func:`omics.tl.gene_statistic`, as
        :func:`omics.tl.gsea_prerank` does).
    genes
        One set's genes, or ``{name: genes}`` for several curves on one axes (labelled by
        name in a legend).
    de_key, contrast
        AnnData input: the table ``adata.uns[de_key][contrast]`` (as :func:`volcano`:
        default ``"deseq2"`` or ``"limma"``, whichever is stored; the only stored contrast).
    title
        Axes title (none by default).
    ax
        Axes to draw on (a new figure by default).

    Returns
    -------
    matplotlib.axes.Axes
    """
    if not isinstance(statistic, pd.Series):
        table = _inputs.de_table(statistic, de_key, contrast, "gsea_curve", fold_change=False)
        fix = ("pass a DESeq2/limma results table (stat or t, and gene_name), an AnnData holding one, or "
               "the ranking as a Series by gene symbol")
        _inputs.require_columns(table, ("gene_name",), "gsea_curve", fix)
        if "stat" not in table and "t" not in table:
            raise InputError(f"gsea_curve: the table has no 'stat' (DESeq2) or 't' (limma) column to rank "
                             f"by (it has {', '.join(map(str, table.columns[:10]))}); {fix}")
        statistic = gene_statistic(table.assign(gene_name=table["gene_name"].fillna("").astype(str)))
    ax = _axes(ax, (5.5, 3.2))
    sets = genes if isinstance(genes, Mapping) else {"": list(genes)}
    low = 0.0
    curves = {name: gsea_running_score(statistic, members) for name, members in sets.items()}
    for i, (name, curve) in enumerate(curves.items()):
        ax.plot(curve["rank"], curve["running_es"], color=_PALETTE[i % len(_PALETTE)], lw=1,
                label=_short(name, 40) or None)
        low = min(low, float(curve["running_es"].min()))
    for i, curve in enumerate(curves.values()):
        y0 = low - 0.06 * (i + 1)
        ax.vlines(curve.loc[curve["hit"], "rank"], y0, y0 + 0.05, color=_PALETTE[i % len(_PALETTE)], lw=0.3)
    ax.axhline(0, color="black", lw=0.5)
    ax.set_xlabel("rank")
    ax.set_ylabel("running ES")
    ax.set_title(title, fontsize=8)
    if len(curves) > 1 or next(iter(sets)):
        ax.legend(fontsize=6, frameon=False)
    return ax


def forest(model: pd.DataFrame | AnnData, *, key: str = RESPONSE_KEY, effects: Sequence[str] | None = None,
           ratio: str = "OR", modality: str | None = None, title: str | None = None,
           ax: Axes | None = None) -> Axes:
    """Draw a forest plot of ratios per SD with 95% intervals (``scores/response_model.tsv`` rows).

    One row per table row (score), one marker and interval per effect. Open markers:
    models whose data the score separates (the table's ``separation``); unbounded interval
    ends are drawn to the axis edge. A row's ``classification`` (other than ``none``) is
    added to its label.

    Parameters
    ----------
    model
        The table of :func:`omics.tl.response_model` (or, with ``ratio="HR"``,
        :func:`omics.tl.survival_model`), or an AnnData holding it in ``adata.uns[key]``.
    key
        AnnData input: the ``uns`` key of the table (default ``"response_model"``;
        ``key="survival_model"`` with ``ratio="HR"``).
    effects
        Column prefixes with ``_low``/``_high`` companions (default: every ``or_*`` column
        that has them, e.g. ``or_control``, ``or_treated``, ``or_pooled``,
        ``or_interaction``; ``hr_*`` with ``ratio="HR"``). A table with none of them (a
        survival model drawn with ``ratio="OR"``) raises :class:`~omics._errors.InputError`.
    ratio
        ``"OR"`` or ``"HR"``: the ratio drawn (its lower case plus ``_`` is the prefix of the
        default ``effects``) and named on the x axis.
    modality
        Rows of this modality only. The file holds every modality, and a GO set scored on
        mRNA and on protein has a row in each: without ``modality`` the rows are labelled
        with their modality. A modality without rows raises
        :class:`~omics._errors.InputError`.
    title
        Axes title (none by default).
    ax
        Axes to draw on (a new figure by default).

    Returns
    -------
    matplotlib.axes.Axes
    """
    model = _inputs.stored_table(model, key, "forest")
    if modality is not None:
        if "modality" not in model or modality not in set(model["modality"].astype(str)):
            known = ", ".join(dict.fromkeys(model["modality"].astype(str))) if "modality" in model else "none"
            raise InputError(f"forest: no rows of modality {modality!r} (the table has {known})")
        model = model[model["modality"].astype(str) == modality].reset_index(drop=True)
    prefix = ratio.lower() + "_"
    if effects is None:
        effects = _ratio_columns(model, prefix)
    if not effects:
        other = "HR" if ratio.upper() == "OR" else "OR"
        hint = (f"; it has {other.lower()}_* columns: pass ratio={other!r}"
                if _ratio_columns(model, other.lower() + "_") else
                "; pass the table of omics.tl.response_model (ratio='OR') or omics.tl.survival_model "
                "(ratio='HR')")
        raise InputError(f"forest: the table has no {prefix}* columns with _low/_high intervals "
                         f"(ratio={ratio!r}){hint}")
    missing = [e for e in effects if not {e, f"{e}_low", f"{e}_high"} <= set(model.columns)]
    if missing:
        present = ", ".join(_ratio_columns(model, "")) or "none"
        raise InputError(f"forest: effects {', '.join(map(repr, missing))} are not columns of the table "
                         f"with _low/_high companions (it has {present}); pass effects=<some of them>")
    ax = _axes(ax, (6.5, max(3, 0.45 * len(model) + 1)))
    lo, hi = ratio_axis_limits(model, effects)
    for k, effect in enumerate(effects):
        y = np.arange(len(model)) + (k - (len(effects) - 1) / 2) * 0.18
        est = model[effect].astype(float).clip(lo, hi).to_numpy()
        low = model[f"{effect}_low"].astype(float).fillna(lo).clip(lo, hi).to_numpy()
        high = model[f"{effect}_high"].astype(float).fillna(hi).clip(lo, hi).to_numpy()
        name = effect.removeprefix(prefix)
        separated = separated_flags(model, [name])[name].to_numpy()
        color = _PALETTE[k % len(_PALETTE)]
        ax.hlines(y, low, high, color=color, lw=1)
        ax.scatter(est[~separated], y[~separated], color=color, s=18, label=name, zorder=3)
        ax.scatter(est[separated], y[separated], facecolors="white", edgecolors=color, s=18, zorder=3)
    ax.axvline(1, color="#555", ls="--", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlim(lo, hi)
    classes = model["classification"] if "classification" in model else ["none"] * len(model)
    several = "modality" in model and model["modality"].nunique() > 1
    names = ([f"{m} {_short(s, 34)}" for m, s in zip(model["modality"], model["score"], strict=True)]
             if several else [_short(s, 40) for s in model["score"]])
    labels = [name + (f" [{c}]" if str(c) not in ("none", "nan") else "")
              for name, c in zip(names, classes, strict=True)]
    ax.set_yticks(range(len(model)), labels, fontsize=6)
    ax.invert_yaxis()
    ax.set_xlabel(f"{ratio} per SD (95% CI; open marker: separated fit)")
    ax.legend(fontsize=6, frameon=False)
    if title:
        ax.set_title(title, fontsize=9)
    return ax


def _ratio_columns(model: pd.DataFrame, prefix: str) -> list[str]:
    """Columns starting with ``prefix`` that have ``_low``/``_high`` companions (forest effects)."""
    return [c for c in model.columns if str(c).startswith(prefix) and not str(c).endswith(("_low", "_high"))
            and f"{c}_low" in model and f"{c}_high" in model]


def _check_roc_input(label: str, truth: np.ndarray, pred: np.ndarray) -> None:
    """Stop (before any figure is made) on predictions that give no ROC curve."""
    if len(truth) != len(pred):
        raise InputError(f"roc: {label!r} has {len(pred)} predictions for {len(truth)} outcomes; pass one "
                         "prediction per sample")
    classes = pd.unique(pd.Series(truth).dropna())
    if pd.isna(truth).any() or len(classes) != 2:
        problem = "a missing value" if pd.isna(truth).any() else f"{len(classes)} class(es)"
        raise InputError(f"roc: the outcome of {label!r} has {problem}; an ROC curve needs both classes "
                         "(0 and 1) and no missing outcome: drop those samples or pick a subgroup with both")
    missing = np.flatnonzero(~np.isfinite(pred))
    if missing.size:
        raise InputError(f"roc: the predictions of {label!r} are missing (NaN/inf) at position(s) "
                         f"{', '.join(map(str, missing[:5]))}; drop those samples from y_true and "
                         "predictions")


def roc(y_true: Sequence[int] | pd.DataFrame | AnnData,
        predictions: Mapping[str, Sequence[float]] | None = None, *, key: str = RESPONSE_KEY,
        scores: Sequence[str] | None = None, cohort: str = "pooled", repeat: int | None = 0,
        modality: str | None = None, title: str | None = None, ax: Axes | None = None) -> Axes:
    """ROC curves of out-of-fold predictions with their AUC.

    The points are joined by straight lines, so the area under each drawn curve is its AUC
    (tied predictions of a responder and a non-responder give a diagonal segment).

    Parameters
    ----------
    y_true
        The binary outcome (with ``predictions``); or the out-of-fold predictions of
        :func:`omics.tl.response_model`: its ``return_cv=True`` table, or an AnnData
        holding it in ``adata.uns[key + "_cv"]`` (default ``"response_model_cv"``); or
        the ROC points of ``scores/response_roc.tsv`` (:func:`omics.tl.response_roc`:
        ``score``, ``auc``, ``fpr``, ``tpr``), drawn as written.
    predictions
        With ``y_true``: ``{label: predictions}``, one curve each. An outcome with one
        class or a missing value, or a missing prediction, raises
        :class:`~omics._errors.InputError` naming the label.
    key
        AnnData input: ``uns`` key of the response model (its predictions are in
        ``adata.uns[key + "_cv"]``).
    scores
        Stored predictions: the scores drawn (default: every score, in the model's order).
    cohort
        Stored predictions: ``"pooled"``, ``"treated"`` or ``"control"``.
    repeat
        Stored predictions: the cross-validation repeat drawn (one partition of the
        samples into folds); ``None`` pools every repeat into one curve. The AUC of each
        repeat, averaged over repeats, is the table's ``cv_auc_<cohort>``.
    modality
        ROC points input: the rows of this modality (required when the file holds several).
    title
        Axes title.
    ax
        Axes to draw on (a new figure by default).

    Returns
    -------
    matplotlib.axes.Axes
    """
    if isinstance(y_true, pd.DataFrame) and {"fpr", "tpr", "auc"} <= set(y_true.columns):
        points = _inputs.roc_points(y_true, scores=scores, modality=modality, caller="roc")
    else:
        from sklearn.metrics import roc_auc_score, roc_curve

        points = []
        for label, truth, pred in _inputs.roc_curves(y_true, predictions, key=key, scores=scores,
                                                     cohort=cohort, repeat=repeat, caller="roc"):
            _check_roc_input(label, truth, pred)
            fpr, tpr, _ = roc_curve(truth, pred)
            points.append((label, fpr, tpr, float(roc_auc_score(truth, pred))))
    ax = _axes(ax)
    for i, (label, fpr, tpr, auc) in enumerate(points):
        # past the palette's 8 colours the line style changes, so no two curves look alike
        # straight segments: a tie between a responder and a non-responder is a diagonal, as
        # in the trapezoid AUC, so the area under the drawn curve is the AUC in the legend
        ax.plot(fpr, tpr, color=_PALETTE[i % len(_PALETTE)],
                ls=("-", "--", ":")[i // len(_PALETTE) % 3], label=f"{_short(label, 35)} (AUC {auc:.2f})")
    ax.plot([0, 1], [0, 1], color="#999", ls=":", lw=0.8)
    ax.set_xlabel("1 - specificity")
    ax.set_ylabel("sensitivity")
    if len(points) > 4:  # many curves: the legend beside the axes, not over them
        ax.legend(fontsize=6, frameon=False, loc="upper left", bbox_to_anchor=(1.02, 1))
    else:
        ax.legend(fontsize=6, frameon=False, loc="lower right")
    if title:
        ax.set_title(title, fontsize=9)
    return ax


def scores(scores_long: pd.DataFrame | AnnData, obs: pd.DataFrame | None = None, *, term: str,
           modality: str | None = None, key: str = SCORES_KEY, ax: Axes | None = None) -> Axes:
    """Draw the per-patient score of one set by arm and response (strip plot with medians).

    Four columns: ``placebo`` and ``bmmnc`` (``arm``), each split into ``non_responder`` and
    ``responder`` (``response``); a black line marks each group's median.

    Parameters
    ----------
    scores_long
        ``scores/angiogenesis_scores.tsv`` (``sample, modality, term, score``) with the
        sample sheet ``obs``; or an AnnData with the scores of
        :func:`omics.tl.sample_scores` in ``adata.obsm[key]`` and the sample sheet in
        ``adata.obs`` (``obs`` not needed).
    obs
        Table input: the sample sheet, indexed by sample, with ``arm`` and ``response``
        columns. Sample ids are compared as text; a table read with ``pd.read_csv`` turns
        ids such as ``001`` into numbers, so read it with ``dtype={"sample": str}`` (no id
        matching raises :class:`~omics._errors.InputError`).
    term
        The set whose score is drawn; it titles the plot.
    modality
        Rows of this modality; it labels the y axis. A table: required when ``term`` is
        scored in several modalities, else the one it has. An AnnData: its scores are
        taken as this modality (default: ``adata.uns["modality"]``, which the stages
        write; else ``protein`` for an AnnData read by :func:`omics.io.read_protein_matrix`,
        else ``rna``).
    key
        AnnData input: the ``obsm`` key of the scores (default ``"angio_scores"``).
    ax
        Axes to draw on (a new figure by default).

    Returns
    -------
    matplotlib.axes.Axes
    """
    if modality is None and is_anndata(scores_long):
        stored = scores_long.uns.get("modality")  # written by the stages and omics.io readers
        modality = (stored if isinstance(stored, str) and stored
                    else "protein" if "protein_input" in scores_long.uns else "rna")
    scores_long, obs = _inputs.scores_long(scores_long, obs, key, modality, "scores")
    if modality is None:
        measured = list(dict.fromkeys(scores_long.loc[scores_long["term"] == term, "modality"].astype(str)))
        if len(measured) > 1:
            raise InputError(f"scores: {term!r} is scored in {', '.join(measured)}: pass modality=")
        modality = measured[0] if measured else "rna"
    part = scores_long[(scores_long["term"] == term) & (scores_long["modality"] == modality)]
    if part.empty:
        terms = list(dict.fromkeys(scores_long.loc[scores_long["modality"] == modality, "term"].astype(str)))
        shown = ", ".join(terms[:5]) + (", ..." if len(terms) > 5 else "")
        raise InputError(f"scores: no {modality} score named {term!r} (there are {len(terms)}: {shown}); "
                         "pass term= and modality=")
    absent = [column for column in ("arm", "response") if column not in obs]
    if absent:
        raise InputError(f"scores: the sample sheet has no {' or '.join(map(repr, absent))} column (it has "
                         f"{', '.join(map(str, obs.columns)) or 'none'}); pass a sample sheet with the "
                         "arm and response columns")
    # the ids compared as text: a scores table read without dtype=str has 1 where obs has "1"
    sheet = obs[["arm", "response"]].set_axis(obs.index.astype(str))
    part = part.assign(sample=part["sample"].astype(str))
    if not part["sample"].isin(sheet.index).any():
        ids = ", ".join(part["sample"].head(3))
        raise InputError(f"scores: none of the scores' sample ids ({ids}, ...) is in the sample sheet's "
                         f"index ({', '.join(sheet.index[:3])}, ...); pass obs indexed by sample, and read "
                         "the scores table with dtype={'sample': str} so ids such as 001 keep their "
                         "leading zeros")
    ax = _axes(ax)
    part = part.merge(sheet, left_on="sample", right_index=True)
    positions = []
    for i, (arm, response) in enumerate([(a, r) for a in ("placebo", "bmmnc")
                                         for r in ("non_responder", "responder")]):
        values = part.loc[(part["arm"] == arm) & (part["response"] == response), "score"]
        jitter = np.linspace(-0.15, 0.15, len(values)) if len(values) else []
        ax.scatter(i + np.asarray(jitter), values, s=12, color=_COLORS[response])
        if len(values):
            ax.hlines(values.median(), i - 0.25, i + 0.25, color="black")
        positions.append(f"{arm}\n{response.replace('_', '-')}")
    ax.set_xticks(range(len(positions)), positions, fontsize=7)
    ax.set_ylabel(f"{modality} score")
    ax.set_title(term, fontsize=8)
    return ax


def concordance(joined: pd.DataFrame | MuData, *, key: str = CONCORDANCE_KEY, contrast: object = None,
                fdr: float = 0.05, title: str | None = None, ax: Axes | None = None) -> Axes:
    """Plot mRNA vs protein log2 fold change of one contrast, with Spearman r and a legend.

    Parameters
    ----------
    joined
        The per-gene table of :func:`omics.tl.fold_change_concordance`, or the MuData it
        stored it in (``mdata.uns[key][<contrast id>]``).
    key
        MuData input: ``uns`` key of the concordance tables.
    contrast
        The contrast to draw (default: the only one stored, or the only one in the
        table's ``contrast`` column); it titles the plot. Required when the MuData or
        ``integration/concordance.tsv`` holds several contrasts. The table of one contrast
        (:func:`omics.tl.fold_change_concordance` returns it without a ``contrast``
        column) is drawn as given, titled with this id, which cannot be checked.
    fdr
        Genes with both adjusted p-values below it (0 < fdr <= 1) are marked significant in
        both.
    title
        Title prefix.
    ax
        Axes to draw on (default: a new figure).

    Returns
    -------
    matplotlib.axes.Axes
    """
    from scipy.stats import spearmanr

    _check_fdr(fdr, "pl.concordance")
    if not (is_mudata(joined) or isinstance(joined, pd.DataFrame)):
        raise InputError(f"pl.concordance: got {type(joined).__name__}; pass the table of "
                         "omics.tl.fold_change_concordance or the MuData it stored it in")
    if is_mudata(joined):
        cid, joined = per_contrast(joined, key, contrast, "pl.concordance")
        title = title or cid
    elif "contrast" in joined:
        cid, joined = _inputs.one_contrast(joined, contrast, "pl.concordance")
        title = title or cid
    elif contrast is not None:  # the table of one contrast: its id cannot be checked, it titles the plot
        title = title or contrast_id(contrast)
    missing = [c for c in ("rna_log2fc", "protein_log2fc", "concordant") if c not in joined]
    if missing:
        raise InputError(f"pl.concordance: the table has no {' and '.join(missing)} column; pass the "
                         "table of omics.tl.fold_change_concordance (integration/concordance.tsv)")
    ax = _axes(ax)
    data = joined.dropna(subset=["rna_log2fc", "protein_log2fc"])
    both = ((data["rna_padj"] < fdr) & (data["protein_padj"] < fdr)).to_numpy() \
        if {"rna_padj", "protein_padj"} <= set(data) else np.zeros(len(data), bool)
    same = data["concordant"].astype(bool).to_numpy()
    for label, mask, color in (("same direction, not significant in both", same & ~both, _COLORS["bmmnc"]),
                               ("opposite direction, not significant in both", ~same & ~both, _COLORS["ns"]),
                               (f"significant in both (FDR < {fdr})", both, _COLORS["up"])):
        ax.scatter(data.loc[mask, "rna_log2fc"], data.loc[mask, "protein_log2fc"], s=6, color=color,
                   linewidths=0, label=f"{label}: {int(mask.sum())}")
    rho = spearmanr(data["rna_log2fc"], data["protein_log2fc"]).statistic if len(data) > 2 else np.nan
    ax.axhline(0, color="black", lw=0.5)
    ax.axvline(0, color="black", lw=0.5)
    ax.set_xlabel("mRNA log2 fold change")
    ax.set_ylabel("protein log2 fold change")
    ax.set_title(f"{title + ': ' if title else ''}Spearman r = {rho:.2f} ({len(data)} genes, "
                 f"{int(same.sum())} in the same direction)", fontsize=9)
    ax.legend(fontsize=6, frameon=False)
    return ax


def correlation_distribution(correlations: pd.DataFrame | MuData, *, key: str = CORRELATION_KEY,
                             ax: Axes | None = None) -> Axes:
    """Histogram of per-gene mRNA-protein Spearman rho (``integration/mrna_protein_correlation.tsv``).

    Parameters
    ----------
    correlations
        The table of :func:`omics.tl.mrna_protein_correlation`, or the MuData it stored it
        in (``mdata.uns[key]``).
    key
        MuData input: ``uns`` key of the table.
    ax
        Axes to draw on (default: a new figure).

    Returns
    -------
    matplotlib.axes.Axes
    """
    if not (is_mudata(correlations) or isinstance(correlations, pd.DataFrame)):
        raise InputError(f"pl.correlation_distribution: got {type(correlations).__name__}; pass the table "
                         "of omics.tl.mrna_protein_correlation or the MuData it stored it in")
    if is_mudata(correlations):
        correlations = _inputs.stored_table(correlations, key, "pl.correlation_distribution",
                                            mudata=True)
    if "spearman_rho" not in correlations:
        raise InputError("pl.correlation_distribution: the table has no 'spearman_rho' column; pass the "
                         "table of omics.tl.mrna_protein_correlation")
    ax = _axes(ax)
    rho = correlations["spearman_rho"].dropna()
    ax.hist(rho, bins=40, color=_COLORS["bmmnc"])
    if len(rho):
        ax.axvline(rho.median(), color="black", ls="--", lw=0.8, label=f"median {rho.median():.2f}")
        ax.legend(fontsize=7, frameon=False)
    ax.set_xlabel("Spearman rho (mRNA vs protein, across samples)")
    ax.set_ylabel("genes")
    return ax
