"""Separated models of a response or survival table, and their forest plots' ratio axis.

Which models had separated data (the ``separation`` column), and the ratio axis the
forest plots of the report and :mod:`omics.pl` share. Kept apart from the model fits so
that the report and :mod:`omics.pl` read the table without importing statsmodels and
scikit-learn.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def separation_label(separated: dict[str, bool]) -> str:
    """Join with ``;`` the names of the models whose data are (quasi-)separated (``""``: none)."""
    return ";".join(name for name, flag in separated.items() if flag)


def separated_flags(table: pd.DataFrame, models: Sequence[str]) -> pd.DataFrame:
    """Whether each model of each row had separated data, from the table's ``separation``.

    Parameters
    ----------
    table
        A ``response_model`` or ``survival_model`` table (read back from TSV or not).
    models
        Model names as ``separation`` lists them (``control``, ``treated``, ``pooled``,
        ``interaction``).

    Returns
    -------
    pandas.DataFrame
        Booleans, the table's index, one column per model; all False without a
        ``separation`` column. ``fit_* == "firth"`` does not say this: Firth is the
        default fit of every model.
    """
    labels = (table["separation"].fillna("").astype(str) if "separation" in table
              else pd.Series("", index=table.index))
    listed = [set(label.split(";")) for label in labels]
    return pd.DataFrame({model: [model in names for names in listed] for model in models},
                        index=table.index, dtype=bool)


def ratio_axis_limits(table: pd.DataFrame, effects: Sequence[str]) -> tuple[float, float]:
    """Return the (low, high) of a log ratio axis for the effects of a forest plot.

    The axis spans the estimates and interval ends of ``effects`` (column prefixes such as
    ``or_treated``, with ``_low``/``_high`` companions), 1.5-fold beyond, but no more than
    100-fold beyond the estimates and within 1e-4..1e6 (the estimates themselves always
    1.5-fold within): an end far out (an OR of 1e11 per SD near separation, or an
    unbounded one) is drawn to the edge rather than squeezing every other interval into a
    corner.

    Parameters
    ----------
    table
        A ``response_model`` or ``survival_model`` table.
    effects
        The column prefixes drawn.

    Returns
    -------
    tuple of float
        Axis limits; (0.1, 10) when no value is finite and positive.
    """
    def positive(columns: list[str]) -> np.ndarray:
        values = np.concatenate([table[c].astype(float).to_numpy() for c in columns]) if columns \
            else np.array([])
        return values[np.isfinite(values) & (values > 0)]

    values = positive([f"{e}{s}" for e in effects for s in ("", "_low", "_high")])
    if not len(values):
        return 0.1, 10.0
    estimates = positive(list(effects))
    low_estimate, high_estimate = (estimates.min(), estimates.max()) if len(estimates) else (1.0, 1.0)
    low = max(values.min() / 1.5, low_estimate / 100, 1e-4)
    high = min(values.max() * 1.5, high_estimate * 100, 1e6)
    # an estimate itself is never off the axis (an HR of 1.8e-5 per SD is reported)
    return float(min(low, low_estimate / 1.5)), float(max(high, high_estimate * 1.5))
