"""Per-patient scores against a continuous phenotype (e.g. in vivo potency)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .._errors import InputError
from ._stats import bh

COLUMNS = ["phenotype", "term", "n", "spearman_rho", "spearman_pvalue", "pearson_r",
           "pearson_pvalue", "fdr"]


def _a(name: str) -> str:
    """Return the type name with its article: ``"an AnnData"``, ``"a DataFrame"``."""
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def _check_types(scores: object, phenotype: object, caller: str) -> None:
    """Stop unless ``scores`` is a samples x scores DataFrame and ``phenotype`` a Series."""
    if not isinstance(scores, pd.DataFrame):
        hint = (" (for an AnnData pass its scores, e.g. adata.obsm['angio_scores'])"
                if hasattr(scores, "obsm") else "")
        raise InputError(f"{caller}: scores is {_a(type(scores).__name__)}; pass the samples x scores "
                         f"table (a DataFrame indexed by sample id, e.g. from omics.tl.sample_scores)"
                         f"{hint}")
    if not isinstance(phenotype, pd.Series):
        what = (f"the text {phenotype!r}" if isinstance(phenotype, str)
                else _a(type(phenotype).__name__))
        raise InputError(f"{caller}: phenotype is {what}; pass the values as a Series indexed by "
                         "sample id: pd.Series(values, index=sample ids), e.g. adata.obs['<column>']")


def score_phenotype_correlation(scores: pd.DataFrame, phenotype: pd.Series, *,
                                min_samples: int = 5) -> pd.DataFrame:
    """Correlate every score with a continuous phenotype across samples.

    Parameters
    ----------
    scores
        Samples x scores (e.g. from :func:`omics.tl.sample_scores`).
    phenotype
        Numeric phenotype per sample (NaN = unknown; those samples are left out).
    min_samples
        Fewest samples with both values for a correlation to be reported.

    Returns
    -------
    One row per score: ``phenotype, term, n, spearman_rho, spearman_pvalue, pearson_r,
    pearson_pvalue, fdr`` (Benjamini-Hochberg over the scores, on the Spearman p-values).

    Raises
    ------
    omics._errors.InputError
        When ``scores`` is not a DataFrame or ``phenotype`` not a Series (values without
        sample ids, or a column name), or they share no sample id (ids are compared
        exactly: ``1`` is not ``'1'``). Samples of one only are left out with a logged
        warning.
    """
    caller = "score_phenotype_correlation"
    _check_types(scores, phenotype, caller)
    from ._integrate import check_shared_samples, warn_unshared_samples  # (anndata/mudata: only when called)
    shared = scores.index.intersection(phenotype.index, sort=False)
    sides = {"scores": scores.index, "phenotype": phenotype.index}
    check_shared_samples(sides, shared, caller, what="indexes",
                         fix="index the phenotype by the scores' sample ids (same text and type)")
    warn_unshared_samples(sides, shared, caller)
    values = pd.to_numeric(phenotype.reindex(scores.index), errors="coerce").to_numpy(float)
    rows = []
    for term in scores.columns:
        x = scores[term].to_numpy(float)
        ok = np.isfinite(x) & np.isfinite(values)
        if ok.sum() >= min_samples and np.ptp(x[ok]) > 0 and np.ptp(values[ok]) > 0:
            rho, p_rho = stats.spearmanr(x[ok], values[ok])
            r, p_r = stats.pearsonr(x[ok], values[ok])
        else:
            rho = p_rho = r = p_r = np.nan
        rows.append((phenotype.name, term, int(ok.sum()), rho, p_rho, r, p_r))
    table = pd.DataFrame(rows, columns=COLUMNS[:-1])
    table["fdr"] = bh(table["spearman_pvalue"].to_numpy(float))
    return table
