"""Flow populations against the angiogenic mRNA and protein scores of the same patients."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._errors import InputError
from ._spearman import spearman
from ._stats import bh

#: Columns of the long score table :func:`flow_score_correlation` reads.
SCORES_LONG = ("sample", "modality", "term", "score")


def _check_inputs(flow: pd.DataFrame, scores_long: pd.DataFrame) -> None:
    """Stop unless ``flow`` is samples x scores and ``scores_long`` the long score table."""
    where = "tl.flow_score_correlation"
    if not isinstance(flow, pd.DataFrame):
        given = "pp.flow_scores(adata)" if hasattr(flow, "layers") else "the DataFrame of pp.flow_scores"
        raise InputError(f"{where}: got {type(flow).__name__} for flow; pass {given}, the samples x "
                         "flow scores table.")
    if not isinstance(scores_long, pd.DataFrame):
        raise InputError(f"{where}: got {type(scores_long).__name__} for scores_long; pass the long "
                         "score table sample, modality, term, score (scores/angiogenesis_scores.tsv).")
    missing = [c for c in SCORES_LONG if c not in scores_long.columns]
    if missing:
        raise InputError(
            f"{where}: scores_long has no {', '.join(map(repr, missing))} column (columns: "
            f"{', '.join(map(str, list(scores_long.columns)[:10])) or 'none'}); pass the long score "
            "table sample, modality, term, score (scores/angiogenesis_scores.tsv), not a samples x "
            "scores table.")


def flow_score_correlation(flow: pd.DataFrame, scores_long: pd.DataFrame, *,
                           min_pairs: int = 6) -> pd.DataFrame:
    """Spearman correlation of every flow score with every mRNA/protein score across patients.

    Parameters
    ----------
    flow
        Samples x flow scores (:func:`omics.pp._flow.flow_scores`).
    scores_long
        ``sample, modality, term, score`` (``scores/angiogenesis_scores.tsv``); rows of
        modality ``flow`` are ignored.
    min_pairs
        Fewer complete patient pairs give NA.

    Returns
    -------
    ``population, modality, term, n, spearman_rho, p_value, fdr`` (BH over all pairs
    tested), sorted by population, modality and term.

    Raises
    ------
    omics._errors.InputError
        When ``flow`` is not a samples x scores DataFrame, or ``scores_long`` is not a
        DataFrame with the columns ``sample, modality, term, score``, or when the flow
        samples and the scores' samples share no id (ids are compared exactly). Samples of
        one only are left out with a logged warning.
    """
    _check_inputs(flow, scores_long)
    caller = "flow_score_correlation"
    from ._integrate import check_shared_samples, warn_unshared_samples  # (anndata/mudata: only when called)
    other = scores_long[scores_long["modality"] != "flow"]
    if len(other):
        samples = pd.Index(other["sample"].drop_duplicates())
        shared = flow.index.intersection(samples, sort=False)
        sides = {"flow": flow.index, "scores": samples}
        check_shared_samples(sides, shared, caller, what="samples",
                             fix="give the flow scores and the mRNA/protein scores of the same "
                                 "patients, with the same sample ids")
        warn_unshared_samples(sides, shared, caller)
    rows = []
    for (modality, term), block in other.groupby(["modality", "term"], sort=True):
        values = block.set_index("sample")["score"].astype(float)
        for population in flow.columns:
            joined = pd.concat([flow[population].astype(float), values], axis=1, join="inner").dropna()
            n = len(joined)
            if n < min_pairs or joined.nunique().min() < 2:
                rho, p = np.nan, np.nan
            else:
                rho, p = spearman(joined.iloc[:, 0], joined.iloc[:, 1])
            rows.append({"population": population, "modality": modality, "term": term, "n": n,
                         "spearman_rho": float(rho), "p_value": float(p)})
    table = pd.DataFrame(rows, columns=["population", "modality", "term", "n", "spearman_rho",
                                        "p_value"])
    table["fdr"] = bh(table["p_value"].to_numpy(float))
    return table.sort_values(["population", "modality", "term"], kind="stable").reset_index(drop=True)
