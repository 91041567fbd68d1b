"""Which models of a response or survival table had separated data (the ``separation`` column).

Kept apart from the model fits so that the report and :mod:`omics.pl` read the column
without importing statsmodels and scikit-learn.
"""

from __future__ import annotations

from collections.abc import Sequence

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
