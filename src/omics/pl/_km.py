"""Kaplan-Meier curves of amputation-free survival by score (reads ``scores/km_*.tsv``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from anndata import AnnData

from .._errors import InputError
from ..tl._keys import KM_KEY, is_anndata, uns_table

if TYPE_CHECKING:
    from matplotlib.axes import Axes

_GROUP_COLORS = {"low": "#2166ac", "high": "#b2182b"}


def _at_risk(curve: pd.DataFrame, t: float) -> int:
    """Patients still followed at day ``t``: at risk at the first tabulated time >= t."""
    later = curve[curve["time"] >= t]
    return int(later["n_at_risk"].iloc[0]) if len(later) else 0


def _listed(names: list[str], most: int = 10) -> str:
    """``names`` comma-joined, the first ``most`` of them when there are more."""
    shown = ", ".join(map(str, names[:most]))
    return shown + (f", ... ({len(names)} in all)" if len(names) > most else "") if names else "none"


def km(curves: pd.DataFrame | AnnData, score: str | None = None, *, logrank: pd.DataFrame | None = None,
       key: str = KM_KEY, modality: str | None = None, arms: tuple[str, ...] = ("placebo", "bmmnc"),
       risk_times: tuple[float, ...] = (0, 30, 60, 90, 120, 150, 183),
       axes: Axes | Sequence[Axes] | None = None, ax: Axes | Sequence[Axes] | None = None) -> list[Axes]:
    """Draw Kaplan-Meier curves of one score, below vs above its median, per arm.

    Parameters
    ----------
    curves
        ``scores/km_curves.tsv`` (:func:`omics.tl.kaplan_meier`): ``score``, ``arm``,
        ``group`` (``low``/``high``), ``time``, ``survival``, ``n_at_risk`` and
        optionally ``modality``; or an AnnData after :func:`omics.tl.kaplan_meier`, whose
        ``adata.uns[key]["curves"]`` (and ``["logrank"]``, unless ``logrank`` is given)
        are drawn.
    score
        The score (term) to draw. It must be given: the default ``None`` (like an unknown
        score) stops with an :class:`~omics._errors.InputError` that lists the scores with
        curves.
    logrank
        ``scores/km_logrank.tsv``; its ``logrank_p`` goes into each panel's title.
    key
        AnnData input: ``uns`` key of the Kaplan-Meier tables (default ``"kaplan_meier"``).
    modality
        Rows of this modality only. Required when the tables hold curves of ``score`` in
        several modalities (a GO set scored on mRNA and on protein).
    arms
        One panel per arm, in this order.
    risk_times
        Days at which the numbers at risk are printed under each panel.
    axes, ax
        The Axes to draw on (either name; ``ax`` as in the other plots): one per arm, in
        the order of ``arms``, or a single Axes, which draws the one arm that has curves
        (or the one arm of ``arms=("bmmnc",)``).
        Default: a new figure with a panel per arm that has curves (an arm without curves,
        e.g. curves of a one-arm subset, gets no panel; on given Axes its panel is titled
        "no curves"). The backend is never changed; the figure stays open until
        ``plt.close(axes[0].figure)``.

    Returns
    -------
    list of matplotlib.axes.Axes
        One per arm drawn.

    Raises
    ------
    omics._errors.InputError
        ``score`` is not given or has no curves (in ``modality``); the curves of ``score``
        span several modalities and ``modality`` is not given; the AnnData has no
        Kaplan-Meier tables; fewer Axes are given than arms (with more, the first ones
        are drawn on and all are returned). Checked before any figure
        is made.
    """
    import matplotlib.pyplot as plt
    from matplotlib.axes import Axes as AxesType

    if axes is not None and ax is not None:
        raise InputError("km: pass the Axes as axes= or ax=, not both")
    given = axes if axes is not None else ax
    single = isinstance(given, AxesType)
    given = [given] if single else None if given is None else list(np.asarray(given, dtype=object).ravel())

    if is_anndata(curves):
        if logrank is None:
            logrank = uns_table(curves, key, "km", "logrank")
        curves = uns_table(curves, key, "km", "curves")
    if not isinstance(curves, pd.DataFrame) or "score" not in curves.columns:
        raise InputError("km: the curves table has no 'score' column; pass the curves of "
                         "omics.tl.kaplan_meier (scores/km_curves.tsv) or an AnnData after it")
    absent = [c for c in ("arm", "group", "time", "survival", "n_at_risk") if c not in curves.columns]
    if absent:
        raise InputError(f"km: the curves table has no {', '.join(map(repr, absent))} column; pass the "
                         "curves of omics.tl.kaplan_meier (scores/km_curves.tsv) or an AnnData after it")
    available = [str(name) for name in pd.unique(curves["score"])]
    if score is None:
        raise InputError(f"km: pass score=<the score to draw> (scores with curves: {_listed(available)})")
    data = curves[curves["score"] == score]
    if data.empty:
        raise InputError(f"km: no Kaplan-Meier curves for score {score!r} (scores with curves: "
                         f"{_listed(available)}); pass one of them as score=")
    if "modality" in data:
        if modality is not None:
            measured = [str(m) for m in pd.unique(data["modality"])]
            data = data[data["modality"] == modality]
            if data.empty:
                raise InputError(f"km: no Kaplan-Meier curves of score {score!r} in modality "
                                 f"{modality!r} (its modalities: {_listed(measured)}); pass one of "
                                 "them as modality=")
        elif data["modality"].nunique() > 1:
            raise InputError(f"km: score {score!r} has Kaplan-Meier curves of several modalities "
                             f"({', '.join(map(str, data['modality'].unique()))}); pass "
                             "modality=<one of them>")
        elif len(data):
            modality = data["modality"].iloc[0]  # the log-rank rows of the same modality
    with_curves = [arm for arm in arms if (data["arm"] == arm).any()]
    if single and len(arms) > 1:  # one Axes: the one arm with curves
        if len(with_curves) != 1:
            raise InputError(f"km: a single Axes draws one arm, and score {score!r} has curves in "
                             f"{_listed(with_curves)}; pass arms=(<one arm>,) or one Axes per arm")
        arms = tuple(with_curves)
    if given is not None and len(given) < len(arms):  # (more: the first ones are drawn on)
        raise InputError(f"km: {len(given)} Axes for {len(arms)} arms ({', '.join(arms)}); pass one "
                         "Axes per arm, or arms=(<one arm>,) with a single Axes")
    if given is None:
        drawn = with_curves or list(arms)
        _, grid = plt.subplots(1, len(drawn), figsize=(4.5 * len(drawn), 4), sharey=True, squeeze=False)
        axes = list(grid[0])
    else:
        drawn, axes = list(arms), given
    for ax, arm in zip(axes, drawn, strict=False):
        part = data[data["arm"] == arm]
        if part.empty:
            ax.set_title(f"{arm}: no curves", fontsize=10)
            continue
        lines = []
        for group, color in _GROUP_COLORS.items():
            g = part[part["group"] == group].sort_values("time")
            if g.empty:
                continue
            ax.step(g["time"], g["survival"], where="post", color=color, label=f"{group} score")
            censored = g[g.get("n_censored", pd.Series(0, index=g.index)) > 0]
            ax.plot(censored["time"], censored["survival"], "|", color=color, markersize=8)
            at_risk = [_at_risk(g, t) for t in risk_times]
            lines.append(f"{group}: " + " ".join(f"{n:>3d}" for n in at_risk))
        title = f"{arm}"
        if logrank is not None:
            row = logrank[(logrank["score"] == score) & (logrank["arm"] == arm)]
            if modality is not None and "modality" in row:
                row = row[row["modality"] == modality]
            if len(row) and np.isfinite(row["logrank_p"].iloc[0]):
                title += f" (log-rank p = {row['logrank_p'].iloc[0]:.2g})"
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("days")
        ax.set_ylim(0, 1.05)
        if lines:
            ax.legend(loc="lower left", fontsize=8, frameon=False)
            ax.text(0, -0.32, "at risk (days " + ", ".join(f"{t:g}" for t in risk_times) + ")\n"
                    + "\n".join(lines), transform=ax.transAxes, fontsize=7, family="monospace", va="top")
    axes[0].set_ylabel("amputation-free survival")
    return list(axes)
