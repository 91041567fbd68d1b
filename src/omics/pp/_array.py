"""Microarray preprocessing: probes to genes."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd

from .._errors import InputError
from .._logging import get_logger
from ..io._array import NO_SYMBOL

log = get_logger("pp")


def collapse_probes(adata: ad.AnnData, *, layer: str | None = None) -> ad.AnnData:
    """Collapse probes to genes: per gene symbol keep the probe with the highest mean.

    The rule is WGCNA ``collapseRows(method = "MaxMean")``: the probe with the highest mean
    log2 intensity over all samples (NaN ignored) represents the gene; ties go to the
    probe that comes first in the file. Probes without a symbol (``gene_name`` empty, a
    missing-value spelling such as ``NA``, Affymetrix's ``---``, or equal to the probe id)
    are kept as they are. Without a ``gene_name`` column nothing changes.

    Parameters
    ----------
    adata
        Samples x probes with ``var["gene_name"]``.
    layer
        Layer with log2 values (``None``: ``X``); a sparse matrix is read as dense.

    Returns
    -------
    A new AnnData, one feature per gene (named by the symbol; ``var["probe_id"]`` keeps
    the representative probe, ``var["n_probes"]`` the number collapsed), in file order of
    the representative probes.

    Raises
    ------
    omics._errors.InputError
        When ``adata`` is not an AnnData or ``layer`` is not one of its layers.
    """
    if not isinstance(adata, ad.AnnData):
        raise InputError(f"pp.collapse_probes: got {type(adata).__name__}; pass the samples x probes "
                         "AnnData of omics.io.read_array_matrix.")
    if layer is not None and layer not in adata.layers:
        raise InputError(f"pp.collapse_probes: no layer {layer!r} (layers: "
                         f"{', '.join(adata.layers) or 'none'}); pass one of them, or None for X.")
    names = (adata.var["gene_name"].fillna("").astype(str).str.strip() if "gene_name" in adata.var
             else pd.Series(adata.var_names, index=adata.var_names))
    probe_ids = pd.Series(adata.var_names, index=adata.var_names)
    values = adata.X if layer is None else adata.layers[layer]
    values = np.asarray(values.toarray() if hasattr(values, "toarray") else values, dtype=float)
    finite = np.isfinite(values)
    n_finite = finite.sum(axis=0)
    means = np.where(n_finite > 0, np.where(finite, values, 0.0).sum(axis=0) / np.maximum(n_finite, 1),
                     np.nan)
    symbol = names.where(~names.str.lower().isin(NO_SYMBOL) & (names != probe_ids),
                         probe_ids).to_numpy()
    frame = pd.DataFrame({"symbol": symbol, "mean": np.nan_to_num(means, nan=-np.inf),
                          "order": np.arange(adata.n_vars)})
    best = frame.sort_values(["symbol", "mean", "order"], ascending=[True, False, True],
                             kind="stable").drop_duplicates("symbol")
    keep = np.sort(best["order"].to_numpy())
    counts = frame["symbol"].value_counts()
    out = adata[:, keep].copy()
    out.var["probe_id"] = out.var_names.to_numpy()
    out.var["gene_name"] = symbol[keep]
    out.var["n_probes"] = counts.reindex(symbol[keep]).to_numpy(int)
    out.var_names = pd.Index(symbol[keep], name="gene_id")
    log.info("probes to genes (highest mean): %d probes -> %d features", adata.n_vars, out.n_vars)
    return out
