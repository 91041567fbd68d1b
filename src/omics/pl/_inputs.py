"""Plot inputs: a result table as it is, or the table an ``omics.tl`` function stored in an AnnData."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._errors import InputError
from ..tl._keys import de_key_for, is_anndata, is_mudata, obsm_frame, per_contrast, uns_entry, uns_table


def de_table(data: object, de_key: str | None, contrast: object, caller: str) -> pd.DataFrame:
    """Return a DESeq2/limma table as given, or ``adata.uns[de_key][<contrast>]``."""
    if is_anndata(data):
        return per_contrast(data, de_key_for(data, de_key, caller), contrast, caller)[1]
    return data


def contrast_table(data: object, key: str, contrast: object, caller: str) -> pd.DataFrame:
    """Return a per-contrast result table as given, or ``adata.uns[key][<contrast>]`` (e.g. GSEA)."""
    return per_contrast(data, key, contrast, caller)[1] if is_anndata(data) else data


def stored_table(data: object, key: str, caller: str, part: str | None = None, *,
                 mudata: bool = False) -> pd.DataFrame:
    """Return a result table as given, or ``adata.uns[key]`` (``adata.uns[key][part]``).

    With ``mudata``, a MuData's ``mdata.uns[key]`` is read the same way.
    """
    stored = is_mudata(data) if mudata else is_anndata(data)
    return uns_table(data, key, caller, part) if stored else data




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
    """Return a sample x sample correlation table as given, or ``adata.obsp["<key>_correlation"]``."""
    if not is_anndata(data):
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
