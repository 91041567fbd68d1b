"""Setting ``X`` of an AnnData that may be a view (``adata[mask]``) without writing through."""

from __future__ import annotations

import anndata as ad
import numpy as np


def set_x(adata: ad.AnnData, values: np.ndarray) -> None:
    """Set ``adata.X``; a view first becomes an AnnData of its own (copy on write).

    anndata writes ``X`` set on a view into the AnnData the view was taken from, unless
    copy on write is on (the default of a coming release). The preprocessing functions
    change the object they are given, as documented, and never its parent: a notebook's
    ``pp.normalize(adata[adata.obs.arm == "bmmnc"])`` leaves ``adata`` unchanged (anndata
    warns that the view was made an AnnData of its own, as for any other change to a view).

    Parameters
    ----------
    adata
        The AnnData, or a view of one.
    values
        The new ``X``, of ``adata``'s shape.
    """
    with ad.settings.override(copy_on_write_X=True):
        adata.X = values

