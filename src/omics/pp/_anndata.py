"""What the preprocessing functions ask of their AnnData.

The right container, and ``X`` set without writing through a view (``adata[mask]``) into
the AnnData it was taken from.
"""

from __future__ import annotations

import anndata as ad
import numpy as np

from .._errors import InputError


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


def check_anndata(adata: object, caller: str, modality: str) -> None:
    """Stop unless ``adata`` is an AnnData: name what was passed and what to pass instead.

    Parameters
    ----------
    adata
        What the caller was given.
    caller
        The public function, named in the message (``pp.normalize``).
    modality
        The MuData modality the function works on, for the message (``protein``).

    Raises
    ------
    omics._errors.InputError
        For a MuData (pass one modality), a data frame or array (build an AnnData), or
        anything else.
    """
    if isinstance(adata, ad.AnnData):
        return
    kind = type(adata).__name__
    if kind == "MuData":
        raise InputError(f"{caller}: pass one modality of the MuData (e.g. mdata[{modality!r}]), "
                         "not the MuData")
    raise InputError(f"{caller} expects an AnnData (samples as obs, features as var), not a "
                     f"{kind}; read the data with omics.io, or wrap a samples x features table "
                     "as anndata.AnnData(table)")
