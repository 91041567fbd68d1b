"""ROC curves of a response model's cross-validation, as a table (what the report draws)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score, roc_curve

from .._errors import InputError

__all__ = ["ROC_COLUMNS", "response_roc"]

ROC_COLUMNS = ["score", "cohort", "repeat", "auc", "fpr", "tpr"]
COHORTS = ("pooled", "treated", "control")


_MODEL_COLUMNS = ("score", "fdr_screen")
_CV_COLUMNS = ("score", "cohort", "repeat", "responder", "prediction")


def _check_tables(model: object, cv: object) -> None:
    """Stop unless ``model`` is a response-model table and ``cv`` its out-of-fold predictions."""
    for name, table, columns, what in (
            ("model", model, _MODEL_COLUMNS, "the table of omics.tl.response_model"),
            ("cv", cv, _CV_COLUMNS, "its out-of-fold predictions (the second table of "
                                    "response_model(..., return_cv=True))")):
        if not isinstance(table, pd.DataFrame):
            raise InputError(f"tl.response_roc: {name} is a {type(table).__name__}, not a DataFrame; "
                             f"pass {what}")
        missing = [c for c in columns if c not in table.columns]
        if missing:
            raise InputError(f"tl.response_roc: {name} has no column{'s' if len(missing) > 1 else ''} "
                             f"{', '.join(map(repr, missing))} "
                             f"(columns: {', '.join(map(str, table.columns[:8]))}"
                             f"{', ...' if len(table.columns) > 8 else ''}); pass {what}")


def response_roc(model: pd.DataFrame, cv: pd.DataFrame, *, top: int = 4,
                 cohort: str = "pooled", repeat: int = 0) -> pd.DataFrame:
    """Return the ROC points of the strongest scores' out-of-fold predictions.

    The scores are the ``top`` first of ``model`` by ``fdr_screen`` (stable order) that
    have out-of-fold predictions in ``cohort``. Each curve is one repeat of the
    cross-validation (one partition of the patients into folds, every patient predicted
    once, by ``sklearn.metrics.roc_curve``), as :func:`omics.pl.roc` draws it.

    Parameters
    ----------
    model
        The table of :func:`omics.tl.response_model` (columns ``score`` and
        ``fdr_screen``).
    cv
        Its out-of-fold predictions (the second table of ``return_cv=True``).
    top
        Most scores to keep.
    cohort
        Cohort of the predictions: ``"pooled"``, ``"treated"`` or ``"control"``.
    repeat
        The repeat drawn (0: the first partition of the run's seed).

    Returns
    -------
    pandas.DataFrame
        One row per ROC point, with columns ``score``, ``cohort``, ``repeat``, ``auc``
        (of this repeat; the model table's ``cv_auc_<cohort>`` averages all repeats'
        AUCs), ``fpr`` and ``tpr``; scores in the order above. Empty when ``cohort``
        has no out-of-fold predictions (too few patients for two folds).

    Raises
    ------
    omics._errors.InputError
        ``model`` or ``cv`` is not a DataFrame with the columns above (e.g. the model table
        passed twice), ``cohort`` is none of the three, or ``repeat`` is not a repeat of
        the predictions.
    """
    _check_tables(model, cv)
    if cohort not in COHORTS:
        raise InputError(f"tl.response_roc: cohort={cohort!r} is not a cohort of the predictions; "
                         f"pass one of {', '.join(COHORTS)}")
    in_cohort = cv[cv["cohort"] == cohort]
    repeats = sorted(int(r) for r in pd.unique(in_cohort["repeat"]))
    if repeats and repeat not in repeats:
        raise InputError(f"tl.response_roc: repeat={repeat!r} is not a repeat of the {cohort} predictions; "
                         f"pass one of {repeats[0]}..{repeats[-1]}")
    rows = in_cohort[in_cohort["repeat"] == repeat]
    available = set(rows["score"])
    order = model.sort_values("fdr_screen", kind="stable")["score"]
    names = [name for name in order if name in available][:top]
    parts = []
    for name in names:
        part = rows[rows["score"] == name]
        truth = part["responder"].to_numpy(np.int64)
        prediction = part["prediction"].to_numpy(float)
        if truth.min() == truth.max():  # one class only: no curve
            continue
        fpr, tpr, _ = roc_curve(truth, prediction)
        parts.append(pd.DataFrame({"score": name, "cohort": cohort, "repeat": repeat,
                                   "auc": float(roc_auc_score(truth, prediction)),
                                   "fpr": fpr, "tpr": tpr}))
    if not parts:
        return pd.DataFrame({"score": pd.Series(dtype=object), "cohort": pd.Series(dtype=object),
                             "repeat": pd.Series(dtype=np.int64),
                             "auc": pd.Series(dtype=float), "fpr": pd.Series(dtype=float),
                             "tpr": pd.Series(dtype=float)})
    return pd.concat(parts, ignore_index=True)[ROC_COLUMNS]
