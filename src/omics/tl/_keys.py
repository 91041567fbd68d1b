"""Where results live in an AnnData: the documented keys, and readers that name the fix.

One place for the key names that :mod:`omics.tl` writes and :mod:`omics.tl` /
:mod:`omics.pl` read back, so that a function given an AnnData finds what the previous
step stored (scanpy's ``key_added`` / decoupler's ``obsm`` convention):

========================  =============================================  =====================
step                      stored in                                      content
========================  =============================================  =====================
``tl.deseq2``             ``uns["deseq2"][<contrast id>]``               DE table
``tl.limma``              ``uns["limma"][<contrast id>]``                DE table
``tl.gsea_prerank``       ``uns["gsea"][<contrast id>]``                 GSEA table
``tl.ora``                ``uns["ora"][<contrast id>]``                  ORA table
``tl.enrichment``         ``uns["gsea"]`` and ``uns["ora"]`` as above    both
``tl.sample_scores``      ``obsm["angio_scores"]``, ``uns[...]``         samples x sets
``tl.response_model``     ``uns["response_model"]``                      model table
``tl.survival_model``     ``uns["survival_model"]``                      model table
``tl.kaplan_meier``       ``uns["kaplan_meier"]["curves"/"logrank"]``    two tables
``tl.score_redundancy``   ``uns["score_redundancy"]["pairs"/"groups"]``  table + dict
========================  =============================================  =====================

The integration functions store their results in the MuData (``mdata.uns``):

==============================  ===================================================  ============
step                            stored in                                            content
==============================  ===================================================  ============
``tl.mrna_protein_correlation``  ``mdata.uns["mrna_protein_correlation"]``            per-gene table
``tl.fold_change_concordance``   ``mdata.uns["concordance"][<contrast id>]``,         table, dict
                                 ``mdata.uns["concordance_summary"][<contrast id>]``
``tl.pathway_evidence``          ``mdata.uns["pathway_evidence"][<contrast id>]``     table
==============================  ===================================================  ============

Beside each result, the settings it was computed with (scanpy's ``uns[...]["params"]``,
kept in a sibling key so that the stored results keep their shape): the function that
stores ``uns[key]`` stores ``uns[key + "_params"]`` (:func:`store_params`), a dict of
plain values (str, int, float, bool, lists of them) that ``write_h5ad`` writes; where the
results are per contrast, so are the settings (``uns["gsea_params"][<contrast id>]``).
Inputs resolved from the AnnData are recorded as resolved (``de_key``, ``layer``: ``"X"``
for ``X``); a setting left ``None`` is left out. Data given to the call (gene sets,
``called``, ``strength``) are not settings and are not recorded. ``tl.response_model``
also stores its out-of-fold predictions in ``uns["response_model_cv"]`` (``key + "_cv"``),
which :func:`omics.pl.roc` draws.
"""

from __future__ import annotations

import numbers
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._errors import InputError

if TYPE_CHECKING:
    import anndata as ad

DE_KEYS = ("deseq2", "limma")
GSEA_KEY = "gsea"
ORA_KEY = "ora"
SCORES_KEY = "angio_scores"
RESPONSE_KEY = "response_model"
SURVIVAL_KEY = "survival_model"
KM_KEY = "kaplan_meier"
REDUNDANCY_KEY = "score_redundancy"
CORRELATION_KEY = "mrna_protein_correlation"
CONCORDANCE_KEY = "concordance"
CONCORDANCE_SUMMARY_KEY = "_summary"  # suffix: uns["concordance_summary"]
PATHWAY_KEY = "pathway_evidence"
PARAMS_SUFFIX = "_params"  # uns[key + "_params"]: the settings of uns[key]
CV_SUFFIX = "_cv"  # uns["response_model_cv"]: out-of-fold predictions

_PRODUCER = {"deseq2": "omics.tl.deseq2(adata, contrast)", "limma": "omics.tl.limma(adata, contrast)",
             GSEA_KEY: "omics.tl.gsea_prerank(adata, gene_sets)", ORA_KEY: "omics.tl.ora(adata, gene_sets)",
             SCORES_KEY: "omics.tl.sample_scores(adata, gene_sets)",
             RESPONSE_KEY: "omics.tl.response_model(adata)", SURVIVAL_KEY: "omics.tl.survival_model(adata)",
             KM_KEY: "omics.tl.kaplan_meier(adata)", REDUNDANCY_KEY: "omics.tl.score_redundancy(adata, ...)",
             CORRELATION_KEY: "omics.tl.mrna_protein_correlation(mdata)",
             CONCORDANCE_KEY: "omics.tl.fold_change_concordance(mdata, contrast=...)",
             PATHWAY_KEY: "omics.tl.pathway_evidence(mdata, contrast=...)",
             RESPONSE_KEY + CV_SUFFIX: "omics.tl.response_model(adata)"}


def is_anndata(data: object) -> bool:
    """Tell whether ``data`` is an AnnData (the AnnData branch of every public ``tl``/``pl`` function)."""
    # A process that never imported anndata holds no AnnData: a table-only stage (enrich)
    # does not pay for importing it just to ask.
    anndata = sys.modules.get("anndata")
    return anndata is not None and isinstance(data, anndata.AnnData)


def is_mudata(data: object) -> bool:
    """Tell whether ``data`` is a MuData (the MuData branch of the integration functions and plots).

    Without importing mudata: a MuData exists only once its module is loaded, and most
    stage processes never load it.
    """
    mudata = sys.modules.get("mudata")
    return mudata is not None and isinstance(data, mudata.MuData)


#: The keyword that names the stored result, for the ``tl`` functions that read one (a DE
#: result is always ``de_key``); the ``pl`` functions call it ``key``.
_KEY_ARGUMENT = {"response_model": "score_key", "survival_model": "score_key",
                 "kaplan_meier": "score_key", "score_redundancy": "score_key"}


def _fix(key: str, caller: str, argument: str | None = None) -> str:
    """Return the hint of a missing result: run the step that stores it, or pass ``argument=``.

    ``argument`` (default: :data:`_KEY_ARGUMENT` of ``caller``, ``de_key`` for a DE
    result, else ``key``) is the caller's keyword that names where the result is stored.
    """
    if argument is None:
        argument = "de_key" if key in DE_KEYS else _KEY_ARGUMENT.get(caller.removeprefix("tl."), "key")
    producer = _PRODUCER.get(key)
    stored = f"pass {argument}=<the key it was stored under>"
    return f"run {producer} first, or {stored}" if producer else stored


def contrast_id(contrast: object) -> str | None:
    """Return the id of a :class:`omics.io.Contrast` (or a plain id string; ``None`` stays ``None``)."""
    if contrast is None:
        return None
    return str(getattr(contrast, "id", contrast))


def de_key_for(adata: ad.AnnData, de_key: str | None, caller: str) -> str:
    """Resolve ``de_key``: as given, else whichever of ``deseq2``/``limma`` the AnnData holds."""
    if de_key is not None:
        return de_key
    present = [k for k in DE_KEYS if k in adata.uns]
    if len(present) == 1:
        return present[0]
    if not present:
        raise InputError(f"{caller}: the AnnData holds no differential results (adata.uns['deseq2'] or "
                         "['limma']); run omics.tl.deseq2(adata, contrast) or omics.tl.limma(adata, "
                         "contrast) first")
    raise InputError(f"{caller}: the AnnData holds both adata.uns['deseq2'] and ['limma']; pass "
                     "de_key='deseq2' or de_key='limma'")


def per_contrast(adata: ad.AnnData, key: str, contrast: object, caller: str, *,
                 argument: str | None = None) -> tuple[str, pd.DataFrame]:
    """Return ``(contrast id, table)`` from ``adata.uns[key][<contrast id>]``.

    ``contrast=None`` picks the only stored contrast; with several, the message lists them.
    ``argument`` is the caller's keyword for ``key``, named in the hint (see :func:`_fix`).
    """
    store = adata.uns.get(key)
    if not isinstance(store, dict) or not store:
        raise InputError(f"{caller}: adata.uns[{key!r}] holds no results; {_fix(key, caller, argument)}")
    wanted = contrast_id(contrast)
    if wanted is None:
        if len(store) > 1:
            raise InputError(f"{caller}: adata.uns[{key!r}] holds {len(store)} contrasts "
                             f"({', '.join(map(str, store))}); pass contrast=<one of them>")
        wanted = next(iter(store))
    if wanted not in store:
        raise InputError(f"{caller}: adata.uns[{key!r}] has no contrast {wanted!r} (it has "
                         f"{', '.join(map(str, store))}); pass one of these or "
                         f"{_fix(key, caller, argument)}")
    return wanted, _frame(store[wanted], f"adata.uns[{key!r}][{wanted!r}]", caller)


def uns_entry(adata: ad.AnnData, key: str, caller: str) -> Any:
    """Return ``adata.uns[key]`` or stop naming the step that writes it."""
    if key not in adata.uns:
        raise InputError(f"{caller}: adata.uns has no {key!r}; {_fix(key, caller)}")
    return adata.uns[key]


def uns_table(adata: ad.AnnData, key: str, caller: str, part: str | None = None) -> pd.DataFrame:
    """Return the DataFrame ``adata.uns[key]`` (or ``adata.uns[key][part]``)."""
    entry = uns_entry(adata, key, caller)
    where = f"adata.uns[{key!r}]"
    if part is not None:
        if not isinstance(entry, dict) or part not in entry:
            raise InputError(f"{caller}: {where} has no {part!r}; {_fix(key, caller)}")
        entry, where = entry[part], f"{where}[{part!r}]"
    return _frame(entry, where, caller)


def obsm_frame(adata: ad.AnnData, key: str, caller: str) -> pd.DataFrame:
    """Return ``adata.obsm[key]`` as a samples x columns DataFrame indexed by ``obs_names``."""
    if key not in adata.obsm:
        raise InputError(f"{caller}: adata.obsm has no {key!r}; {_fix(key, caller)}")
    value = adata.obsm[key]
    if isinstance(value, pd.DataFrame):
        return value
    raise InputError(f"{caller}: adata.obsm[{key!r}] is not a DataFrame with named columns (as "
                     "omics.tl.sample_scores stores it); store the scores as a DataFrame")


def _frame(value: Any, where: str, caller: str) -> pd.DataFrame:
    if isinstance(value, pd.DataFrame):
        return value
    raise InputError(f"{caller}: {where} is not a table (found {type(value).__name__})")


def store_per_contrast(adata: Any, key: str, contrast: str, table: pd.DataFrame | dict) -> None:
    """``adata.uns[key][contrast] = table`` (a copy, so later edits of the returned table do not leak).

    ``adata`` is an AnnData or a MuData; ``table`` a result table or a dict (a summary).
    """
    _put(adata, key, contrast, table.copy())


def check_layer(adata: Any, layer: str | None, caller: str, *, argument: str = "layer",
                what: str = "the AnnData") -> None:
    """Stop with the layers there are when ``layer`` (``None``: ``X``) is not in the AnnData.

    ``argument`` is the parameter named in the fix (e.g. ``rna_layer``), ``what`` the
    AnnData named in the message (e.g. ``"the RNA AnnData"``).
    """
    if layer is not None and layer not in adata.layers:
        raise InputError(f"{caller}: {what} has no layer {layer!r} (it has "
                         f"{', '.join(adata.layers) or 'none'}); pass {argument}=None to use X")


def check_one_modality(data: object, caller: str, modality: str = "rna") -> None:
    """Stop when ``data`` is a MuData where one modality (an AnnData) or a table is expected.

    ``modality`` is the one the message shows as an example (``mdata['protein']``).
    """
    if is_mudata(data):
        raise InputError(f"{caller}: pass one modality of the MuData (e.g. mdata[{modality!r}]), "
                         "not the MuData")


def check_de_input(data: object, caller: str) -> None:
    """Stop unless ``data`` is a DESeq2/limma results table or one modality's AnnData holding one."""
    check_one_modality(data, caller)
    if not (is_anndata(data) or isinstance(data, pd.DataFrame)):
        raise InputError(f"{caller}: pass a DESeq2/limma results table (a DataFrame) or an AnnData "
                         f"holding one, not a {type(data).__name__}")


def check_anndata(data: object, caller: str, modality: str = "rna") -> None:
    """Stop unless ``data`` is an AnnData with one row per sample id.

    A MuData stops naming one of its modalities (``modality`` the example); an AnnData
    whose ``obs_names`` repeat a sample id stops naming the first repeated id (results are
    matched to samples by id, which a repeated id makes ambiguous).
    """
    check_one_modality(data, caller, modality)
    if not is_anndata(data):
        raise InputError(f"{caller}: expects an AnnData (samples as obs with the sample sheet, features "
                         f"as var), not a {type(data).__name__}; read the data with omics.io, or wrap a "
                         "samples x features table as anndata.AnnData(table, obs=sheet)")
    check_unique_obs_names(data, caller)


def check_unique_obs_names(adata: Any, caller: str) -> None:
    """Stop when ``adata.obs_names`` hold a sample id twice, naming the first repeated id."""
    names = adata.obs_names
    if names.has_duplicates:
        repeated = names[names.duplicated()].unique()
        first = repeated[0]
        times = int((names == first).sum())
        more = f" ({len(repeated)} ids repeat)" if len(repeated) > 1 else ""
        raise InputError(f"{caller}: sample id {str(first)!r} is in adata.obs_names {times} times{more}; "
                         "give each sample one row: fix the sample sheet (one row per sample), or "
                         "rename the repeats with adata.obs_names_make_unique()")


def check_matrix_input(adata: Any, layer: str | None, caller: str, *, argument: str = "layer",
                       what: str = "the AnnData") -> None:
    """Stop unless ``adata`` is one modality (not a MuData) holding ``layer`` (``None``: ``X``).

    ``argument`` and ``what`` name the parameter and the AnnData as in :func:`check_layer`.
    """
    check_one_modality(adata, caller)
    check_layer(adata, layer, caller, argument=argument, what=what)


def layer_array(adata: Any, layer: str | None, caller: str, *, argument: str = "layer",
                what: str = "the AnnData") -> np.ndarray:
    """Return the values of ``layer`` (``None``: ``X``) as a dense numpy array.

    Sparse matrices (as AnnData from other tools often hold) are densified; a missing
    layer or a MuData stops as in :func:`check_matrix_input` (``argument`` and ``what``
    name the parameter and the AnnData in the message).
    """
    check_matrix_input(adata, layer, caller, argument=argument, what=what)
    values = adata.X if layer is None else adata.layers[layer]
    if hasattr(values, "toarray"):
        values = values.toarray()
    return np.asarray(values)


def gene_symbols(adata: Any) -> pd.Series:
    """Return ``var["gene_name"]`` as text, a missing symbol (NaN, None) as ``""``.

    ``""`` is what the :mod:`omics.io` readers write for a feature without a gene symbol;
    a column read back from an h5ad (a categorical with NaN) or made by another tool can
    hold NaN instead, which ``astype(str)`` would turn into a pseudo-symbol ``"nan"``.
    The AnnData must have a ``gene_name`` column.
    """
    names = adata.var["gene_name"]
    text = names.astype(str)
    missing = names.isna().to_numpy()
    return text.where(~missing, "") if missing.any() else text


def layer_name(layer: str | None) -> str:
    """Return the layer as the settings record it: its name, ``"X"`` for ``X`` (``None``)."""
    return "X" if layer is None else layer


def store_params(data: Any, key: str, params: Mapping[str, object], contrast: str | None = None) -> None:
    """Record the settings of the result ``data.uns[key]`` in ``data.uns[key + "_params"]``.

    Parameters
    ----------
    data
        The AnnData (or MuData) the result is stored in.
    key
        The ``uns`` key of the result (``key_added``).
    params
        Setting name -> value: str, int, float, bool, or a sequence of them (written as a
        list); ``None`` values are left out.
    contrast
        For per-contrast results: the contrast id; the settings go to
        ``data.uns[key + "_params"][contrast]``.
    """
    settings = {name: _plain(value, name) for name, value in params.items() if value is not None}
    if contrast is None:
        data.uns[key + PARAMS_SUFFIX] = settings
    else:
        _put(data, key + PARAMS_SUFFIX, contrast, settings)


def _put(data: Any, key: str, contrast: str, value: object) -> None:
    """``data.uns[key][contrast] = value``, keeping the other contrasts."""
    store = data.uns.get(key)
    store = dict(store) if isinstance(store, Mapping) else {}
    store[contrast] = value
    data.uns[key] = store


def _plain(value: object, name: str) -> str | int | float | bool | list:
    """Return a setting as a value that ``write_h5ad`` writes and ``read_h5ad`` reads back."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return [_plain(v, name) for v in value]
    raise TypeError(f"setting {name!r}: {type(value).__name__} is not a plain value to record")
