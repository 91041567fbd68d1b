"""The Firth fixtures' models: their rows of ``data.csv`` and design matrices.

Read by ``make_fixtures.py`` (firthlogist) and by ``tests/test_firth_reference.py`` (ours),
so both fit the same matrices. Scores and age are z-scored over the model's rows,
``arm`` (BM-MNC) and ``diabetes`` (yes) are 0/1, the intercept comes first.
``tied`` is ``separating`` with the lowest BM-MNC responder moved onto the highest BM-MNC
non-responder: quasi-complete separation, whose profile interval ends beyond log OR 10.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).with_name("data.csv")
# model: (arm of its rows, None for both; design columns after the intercept; tested terms)
MODELS = {
    "bmmnc_pred": ("bmmnc", ["pred", "age", "diabetes"], ["pred", "age"]),
    "placebo_prog": ("placebo", ["prog", "age", "diabetes"], ["prog"]),
    "pooled_prog": (None, ["arm", "prog", "age", "diabetes"], ["arm", "prog"]),
    "interaction_pred": (None, ["arm", "pred", "arm:pred", "age", "diabetes"], ["pred", "arm:pred"]),
    "bmmnc_separating": ("bmmnc", ["separating", "age", "diabetes"], ["separating"]),
    "bmmnc_tied": ("bmmnc", ["tied", "age", "diabetes"], ["tied"]),
}


def design(model: str, data: pd.DataFrame | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Response, design matrix and design column names (after the intercept) of one model."""
    data = pd.read_csv(DATA) if data is None else data
    arm, columns, _ = MODELS[model]
    data = data.assign(tied=_tied(data))
    rows = data if arm is None else data[data["arm"] == arm]
    built = {"arm": (rows["arm"] == "bmmnc").to_numpy(float),
             "diabetes": (rows["diabetes"] == "yes").to_numpy(float)}
    for name in ("pred", "prog", "separating", "tied", "age"):
        values = rows[name].to_numpy(float)
        built[name] = (values - values.mean()) / values.std()
    built["arm:pred"] = built["arm"] * built["pred"]
    x = np.column_stack([np.ones(len(rows)), *(built[c] for c in columns)])
    return rows["response"].to_numpy(float), x, columns


def _tied(data: pd.DataFrame) -> pd.Series:
    """``separating`` with the lowest BM-MNC responder set to the highest BM-MNC non-responder."""
    tied = data["separating"].astype(float).copy()
    bmmnc = data["arm"] == "bmmnc"
    responders = tied[bmmnc & (data["response"] == 1)]
    tied[responders.idxmin()] = tied[bmmnc & (data["response"] == 0)].max()
    return tied
