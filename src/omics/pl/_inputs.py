"""Plot inputs: a result table as it is, or the table an ``omics.tl`` function stored in an AnnData."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .._errors import InputError
from ..tl._keys import (
    CV_SUFFIX,
    check_de_input,
    check_layer,
    check_one_modality,
    contrast_id,
    de_key_for,
    gene_symbols,
    is_anndata,
    is_mudata,
    obsm_frame,
    per_contrast,
    uns_entry,
    uns_table,
)


def de_table(data: object, de_key: str | None, contrast: object, caller: str, *,
             fold_change: bool = True) -> pd.DataFrame:
    """Return a DESeq2/limma table as given, or ``adata.uns[de_key][<contrast>]``.

    Anything else (a MuData: one of its modalities is meant; with ``fold_change``, a table
    without a DESeq2 or limma table's fold change and adjusted p-value, such as a GSEA
    table) stops with an :class:`~omics._errors.InputError` naming ``caller``, before any
    figure is made.
    """
    check_de_input(data, caller)
    table = (per_contrast(data, de_key_for(data, de_key, caller), contrast, caller)[1]
             if is_anndata(data) else data)
    columns = set(table.columns)
    if fold_change and not ({"log2FoldChange", "padj"} <= columns or {"logFC", "adj.P.Val"} <= columns):
        raise InputError(f"{caller}: the table is no DESeq2/limma results table (no log2FoldChange "
                         f"and padj, nor logFC and adj.P.Val columns; it has "
                         f"{', '.join(map(str, table.columns[:8]))}); pass the table of "
                         "omics.tl.deseq2 or omics.tl.limma")
    return table


def require_columns(table: object, columns: Sequence[str], caller: str, fix: str) -> None:
    """Stop (before any figure is made) unless ``table`` is a DataFrame with every one of ``columns``."""
    if not isinstance(table, pd.DataFrame):
        raise InputError(f"{caller}: got {type(table).__name__}, not a table; {fix}")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise InputError(f"{caller}: the table has no {', '.join(map(repr, missing))} column"
                         f"{'s' if len(missing) > 1 else ''} (it has "
                         f"{', '.join(map(str, table.columns[:10])) or 'none'}"
                         f"{', ...' if len(table.columns) > 10 else ''}); {fix}")


def de_context(data: object, de_key: str | None, contrast: object) -> tuple[str | None, str | None, bool]:
    """``(contrast id, modality, coefficient)`` of the DE table :func:`de_table` returned.

    The contrast id and modality (``adata.uns["modality"]``) are known for an AnnData only
    (``None`` for a table). ``coefficient``: the fold change is a formula contrast's
    coefficient (an :class:`omics.io.Contrast` with a formula was passed, or the stored
    design formula has an interaction), not a target / reference ratio.
    """
    if getattr(contrast, "is_formula", False):
        return contrast_id(contrast), None, True
    if not is_anndata(data):
        return None, None, False
    key = de_key_for(data, de_key, "de_context")
    cid = per_contrast(data, key, contrast, "de_context")[0]
    modality = data.uns.get("modality")
    params = data.uns.get(key + "_params")
    settings = params.get(cid) if isinstance(params, Mapping) else None
    design = settings.get("design") if isinstance(settings, Mapping) else None
    design = design if isinstance(design, str) else ""
    return cid, str(modality) if isinstance(modality, str) else None, ":" in design or "*" in design


def contrast_table(data: object, key: str, contrast: object, caller: str) -> pd.DataFrame:
    """Return a per-contrast result table as given, or ``adata.uns[key][<contrast>]`` (e.g. GSEA)."""
    check_one_modality(data, caller)
    return per_contrast(data, key, contrast, caller)[1] if is_anndata(data) else data


def stored_table(data: object, key: str, caller: str, part: str | None = None, *,
                 mudata: bool = False) -> pd.DataFrame:
    """Return a result table as given, or ``adata.uns[key]`` (``adata.uns[key][part]``).

    With ``mudata``, a MuData's ``mdata.uns[key]`` is read the same way.
    """
    stored = is_mudata(data) if mudata else is_anndata(data)
    return uns_table(data, key, caller, part) if stored else data


def roc_curves(data: object, predictions: Mapping[str, Sequence[float]] | None, *, key: str,
               scores: Sequence[str] | None, cohort: str, repeat: int | None, caller: str
               ) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """``[(label, y_true, prediction)]`` to draw as ROC curves.

    From ``y_true`` and ``{label: predictions}`` as given; from the out-of-fold predictions
    of :func:`omics.tl.response_model` (the ``return_cv=True`` table, or an AnnData's
    ``adata.uns[key + "_cv"]``): per score, the rows of ``cohort`` and ``repeat``
    (``None``: every repeat pooled), in the stored order of the scores.
    """
    if not (is_anndata(data) or isinstance(data, pd.DataFrame)):
        if predictions is None:
            raise TypeError(f"{caller}: pass roc(y_true, predictions), or the out-of-fold predictions "
                            "of omics.tl.response_model (an AnnData or its return_cv=True table)")
        y_true = np.asarray(data)
        return [(str(label), y_true, np.asarray(pred, dtype=float)) for label, pred in predictions.items()]
    from ..tl._roc import COHORTS  # here: the plotting inputs need no model code otherwise

    cv = uns_table(data, key + CV_SUFFIX, caller) if is_anndata(data) else data
    if cohort not in COHORTS:
        raise InputError(f"{caller}: cohort={cohort!r} is not a cohort of the predictions; pass one of "
                         f"{', '.join(COHORTS)}")
    if "cohort" not in cv.columns:
        raise InputError(f"{caller}: the table has no 'cohort' column; pass the out-of-fold predictions "
                         "of omics.tl.response_model (its return_cv=True table, or an AnnData)")
    rows = cv[cv["cohort"] == cohort]
    if repeat is not None:
        rows = rows[rows["repeat"] == repeat]
    names = list(dict.fromkeys(rows["score"])) if scores is None else list(scores)
    missing = [str(name) for name in names if name not in set(rows["score"])]
    if missing or not names:
        where = f"cohort {cohort!r}" + ("" if repeat is None else f", repeat {repeat}")
        raise InputError(f"{caller}: no out-of-fold predictions of {', '.join(missing) or 'any score'} in "
                         f"{where} (a cohort too small for 2 folds has none)")
    curves = []
    for name in names:
        part = rows[rows["score"] == name]
        curves.append((str(name), part["responder"].to_numpy(int), part["prediction"].to_numpy(float)))
    return curves


def heatmap_matrix(adata: object, *, groupby: str | None, var_names: Sequence[str] | None,
                   layer: str | None, de_key: str | None, contrast: object, n_top: int, caller: str
                   ) -> tuple[pd.DataFrame, pd.Series]:
    """``(features x samples matrix, groups)`` of an AnnData, as :func:`omics.pl.heatmap` draws them.

    The features are ``var_names`` (feature names, or gene symbols of ``var["gene_name"]``)
    or the ``n_top`` by p-value of the DE table ``adata.uns[de_key][contrast]``; the rows
    are labelled by gene symbol where there is one. Samples without a ``groupby`` value are
    left out.
    """
    if groupby is None or groupby not in adata.obs:
        raise InputError(f"{caller}: with an AnnData, pass groupby=<an obs column> (it has "
                         f"{', '.join(map(str, adata.obs.columns)) or 'none'})")
    check_layer(adata, layer, caller)
    features = _features(adata, var_names) if var_names is not None else _top_features(
        adata, de_key, contrast, n_top, caller)
    groups = adata.obs[groupby].dropna()
    part = adata[groups.index, features]
    values = part.X if layer is None else part.layers[layer]
    values = values.toarray() if hasattr(values, "toarray") else np.asarray(values)
    symbols = (gene_symbols(adata).loc[features] if "gene_name" in adata.var
               else pd.Series("", index=features))
    labels = [s if s and s != "nan" else f for f, s in zip(features, symbols, strict=True)]
    return pd.DataFrame(values.T.astype(float), index=labels, columns=groups.index), groups


def _features(adata: object, var_names: Sequence[str]) -> list[str]:
    """Feature names of ``var_names``: a feature name as it is, else the first feature of that symbol."""
    first: dict[str, str] = {}
    if "gene_name" in adata.var:
        for feature, symbol in zip(adata.var_names, gene_symbols(adata), strict=True):
            first.setdefault(symbol, feature)
    found = [name if name in adata.var_names else first.get(name) for name in var_names]
    missing = [name for name, f in zip(var_names, found, strict=True) if f is None]
    if missing:
        raise InputError(f"heatmap: not a feature name or gene symbol of the AnnData: {', '.join(missing)}")
    return found


def _top_features(adata: object, de_key: str | None, contrast: object, n_top: int, caller: str) -> list[str]:
    """Return the ``n_top`` features by p-value of the stored DE table.

    The table's ids (its first column) are looked up in ``var_names``; when none is there,
    its ``gene_name`` column (``var_names`` set to gene symbols after the DE step). None
    matching stops with an :class:`~omics._errors.InputError`; some not matching warns.
    """
    key = de_key_for(adata, de_key, caller)
    cid, table = per_contrast(adata, key, contrast, caller)
    pcol = "pvalue" if "pvalue" in table else "P.Value"
    top = table.dropna(subset=[pcol]).nsmallest(n_top, pcol, keep="first")
    names = set(map(str, adata.var_names))
    column = str(table.columns[0])
    ids = top[column].astype(str).tolist()
    if not any(f in names for f in ids) and "gene_name" in top and column != "gene_name":
        symbols = top["gene_name"].astype(str).tolist()
        if any(f in names for f in symbols):
            column, ids = "gene_name", symbols
    found = list(dict.fromkeys(f for f in ids if f in names))
    unmatched = [f for f in ids if f not in names]
    shown = ", ".join(unmatched[:5]) + (", ..." if len(unmatched) > 5 else "")
    if not found:
        example = ", ".join(map(str, adata.var_names[:3]))
        raise InputError(f"{caller}: none of the top {len(ids)} features of adata.uns[{key!r}][{cid!r}] "
                         f"({shown}) is in var_names (e.g. {example}), nor their gene_name; the table "
                         "was made before var_names changed: pass var_names=<features to draw>, or "
                         "rerun the DE step")
    if unmatched:
        warnings.warn(f"{caller}: {len(unmatched)} of the top {len(ids)} features of "
                      f"adata.uns[{key!r}][{cid!r}] are not in var_names ({shown}); drawing the "
                      f"{len(found)} that are", UserWarning, stacklevel=4)
    return found


def scores_long(data: object, obs: pd.DataFrame | None, key: str, modality: str, caller: str
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(sample, modality, term, score)`` long table and the sample sheet.

    From an AnnData: the scores in ``adata.obsm[key]`` and ``adata.obs``.
    """
    if not is_anndata(data):
        if obs is None:
            raise TypeError(f"{caller}: with a long scores table, pass the sample sheet (obs)")
        return data, obs
    wide = obsm_frame(data, key, caller)
    long = wide.rename_axis("sample").reset_index().melt(id_vars="sample", var_name="term",
                                                         value_name="score")
    long.insert(1, "modality", modality)
    return long, data.obs


def qc_correlation(data: object, key: str, caller: str) -> pd.DataFrame:
    """Return a sample x sample correlation table as given, or ``adata.obsp["<key>_correlation"]``.

    A table that is not square and numeric, with the same samples as rows and columns,
    stops with an :class:`~omics._errors.InputError` naming ``caller``.
    """
    if not is_anndata(data):
        check_one_modality(data, caller)
        if not isinstance(data, pd.DataFrame):
            raise InputError(f"{caller}: got {type(data).__name__}; pass the samples x samples table "
                             "(qc/<modality>.sample_correlation.tsv read with index_col=0) or an AnnData")
        numeric = all(pd.api.types.is_numeric_dtype(dtype) for dtype in data.dtypes)
        if not numeric or list(map(str, data.index)) != list(map(str, data.columns)):
            raise InputError(f"{caller}: the table is no samples x samples correlation table "
                             f"({data.shape[0]} rows, {data.shape[1]} columns, numeric: {numeric}); pass "
                             "qc/<modality>.sample_correlation.tsv read with index_col=0")
        return data
    name = f"{key}_correlation"
    if name not in data.obsp:
        raise InputError(f"{caller}: adata.obsp has no {name!r}; run omics.tl.sample_qc(adata, layer=...) "
                         "first, or pass key=")
    return pd.DataFrame(np.asarray(data.obsp[name]), index=data.obs_names, columns=data.obs_names)


def qc_table(data: object, key: str, caller: str) -> tuple[pd.DataFrame, list[float] | None]:
    """``(PC table joined with obs, variance ratios)`` from :func:`omics.tl.sample_qc`'s keys."""
    if not is_anndata(data):
        return data, None
    params = uns_entry(data, key, caller)
    if f"X_{key}_pca" not in data.obsm:
        raise InputError(f"{caller}: adata.obsm has no 'X_{key}_pca'; run omics.tl.sample_qc(adata, "
                         "layer=...) first, or pass key=")
    coords = np.asarray(data.obsm[f"X_{key}_pca"])
    table = pd.DataFrame(coords, index=data.obs_names,
                         columns=[f"PC{i + 1}" for i in range(coords.shape[1])])
    variance = [float(v) for v in np.asarray(params.get("variance_ratio", []))] or None
    return table.join(data.obs), variance


def one_contrast(table: pd.DataFrame, contrast: object, caller: str) -> tuple[str, pd.DataFrame]:
    """``(id, rows)`` of one contrast of a long table with a ``contrast`` column."""
    ids = list(dict.fromkeys(table["contrast"].astype(str)))
    if contrast is None:
        if len(ids) != 1:
            raise InputError(f"{caller}: the table holds {len(ids)} contrasts ({', '.join(ids)}); "
                             "pass contrast=<one of them>")
        return ids[0], table
    cid = str(contrast_id(contrast))
    if cid not in ids:
        raise InputError(f"{caller}: contrast {cid!r} is not in the table (it has {', '.join(ids)})")
    return cid, table[table["contrast"].astype(str) == cid]


def roc_points(table: pd.DataFrame, *, scores: Sequence[str] | None, modality: str | None,
               caller: str) -> list[tuple[str, np.ndarray, np.ndarray, float]]:
    """``(score, fpr, tpr, auc)`` per score of a ``scores/response_roc.tsv`` table, in its order."""
    if "modality" in table:
        present = list(dict.fromkeys(table["modality"].astype(str)))
        if modality is None and len(present) > 1:
            raise InputError(f"{caller}: the ROC table holds {', '.join(present)}; "
                             "pass modality=<one of them>")
        if modality is not None:
            if modality not in present:
                raise InputError(f"{caller}: no ROC points of modality {modality!r} (the table has "
                                 f"{', '.join(present)})")
            table = table[table["modality"].astype(str) == modality]
    names = list(dict.fromkeys(table["score"].astype(str))) if scores is None else [str(s) for s in scores]
    missing = [name for name in names if name not in set(table["score"].astype(str))]
    if missing or not names:
        raise InputError(f"{caller}: no ROC points of {', '.join(missing) or 'any score'} in the table (it "
                         "has the best-screened scores of each modality; omics.tl.response_model(..., "
                         "return_cv=True) gives every score's predictions)")
    points = []
    for name in names:
        rows = table[table["score"].astype(str) == name]
        points.append((name, rows["fpr"].to_numpy(float), rows["tpr"].to_numpy(float),
                       float(rows["auc"].iloc[0])))
    return points
