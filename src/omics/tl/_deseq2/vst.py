"""Variance-stabilising transformation as R DESeq2 ``vst(blind = FALSE)``."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydeseq2.dds import DeseqDataSet

from .trend import parametric_dispersion_trend

__all__ = ["deseq2_vst"]

# R's vst() fits the dispersion trend on this many genes with mean normalised count > 5.
_VST_NSUB = 1000


def deseq2_vst(dds: DeseqDataSet) -> pd.DataFrame:
    """Variance-stabilising transformation using the fitted design, as R ``vst(blind=FALSE)``.

    As R's ``vst()``, the parametric dispersion trend is refitted on 1000 genes evenly
    spaced in mean among those with mean normalised count above 5 (their gene-wise
    dispersions are reused from the fit, so this is fast). With fewer such genes the
    fit's own trend is used, as R ``varianceStabilizingTransformation(blind=FALSE)``.

    Parameters
    ----------
    dds
        Dataset fitted by :func:`~.dataset.deseq2_fit`.

    Returns
    -------
    Samples x genes VST values (log2-like scale).
    """
    normed = np.asarray(dds.layers["normed_counts"], dtype=float)
    if dds.uns.get("disp_function_type") == "mean":
        mean_disp = float(dds.uns["mean_disp"])
        values = (2 * np.arcsinh(np.sqrt(mean_disp * normed)) - np.log(mean_disp)
                  - np.log(4)) / np.log(2)
        return pd.DataFrame(values, index=dds.obs_names.copy(), columns=dds.var_names.copy())

    a0, a1 = (float(v) for v in dds.uns["trend_coeffs"][["a0", "a1"]])
    means = normed.mean(axis=0)
    candidates = np.flatnonzero(means > 5)
    if dds.n_vars >= _VST_NSUB and candidates.size >= _VST_NSUB:
        ordered = candidates[np.argsort(means[candidates], kind="stable")]
        positions = np.round(np.linspace(1, ordered.size, _VST_NSUB)).astype(int) - 1
        subset = ordered[positions]
        column = ("_genewise_dispersions_original"
                  if "_genewise_dispersions_original" in dds.var else "genewise_dispersions")
        genewise = dds.var[column].to_numpy(float)
        refit = parametric_dispersion_trend(
            means[subset], genewise[subset], min_disp=dds.min_disp,
            fit_glm=getattr(dds.inference, "dispersion_trend_gamma_glm", None))
        if refit is not None:
            a0, a1 = refit
    values = np.log2(
        (1 + a1 + 2 * a0 * normed + 2 * np.sqrt(a0 * normed * (1 + a1 + a0 * normed)))
        / (4 * a0)
    )
    return pd.DataFrame(values, index=dds.obs_names.copy(), columns=dds.var_names.copy())
