"""Interactive (plotly) figures of the report, one function per figure, from result tables.

plotly reads its texts (titles, labels, legend names, hover texts) as HTML-like markup, so
every text from the data is escaped (:func:`_t`) and shows literally, as in the tables.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..tl._ranking import STATISTIC
from ..tl._separation import ratio_axis_limits
from ._format import fmt_p

PALETTE = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666"]
UP, DOWN, NS = "#b2182b", "#2166ac", "#c8c8c8"
# One colour per arm on every figure (PCA by arm, Kaplan-Meier, OR/HR forests); the forests'
# per-arm effects (control/treated) take their arm's colour, pooled and interaction their own.
ARM_COLORS = {"bmmnc": PALETTE[0], "placebo": PALETTE[1]}
# The interaction is near-black (and drawn as diamonds): Dark2's pink (#e7298a) is hardly
# told from the BM-MNC green under deuteranopia (Machado 2009: deltaE76 ~6; near-black: ~44).
INTERACTION_COLOR = "#222222"
EFFECT_COLORS = {"treated": ARM_COLORS["bmmnc"], "control": ARM_COLORS["placebo"],
                 "pooled": PALETTE[2], "interaction": INTERACTION_COLOR}
EFFECT_SYMBOLS = {"interaction": "diamond", "pooled": "square"}
# Series that are not arms (response groups, scores, gene sets) never take an arm's colour.
SERIES = [c for c in PALETTE if c not in ARM_COLORS.values()] + ["#1f78b4", "#b15928"]


def _t(text: object) -> str:
    """Return ``text`` for a plotly text field: ``<``, ``>`` and ``&`` escaped (plotly shows them)."""
    return html.escape(str(text), quote=False)


def _ts(texts: pd.Series) -> pd.Series:
    """Return a column of texts for plotly, each escaped as :func:`_t` does (missing ones kept)."""
    return texts.map(lambda text: text if pd.isna(text) else _t(text))


def arm_color(arm: str, fallback: int) -> str:
    """Colour of an arm level (BM-MNC, placebo), else ``PALETTE[fallback]``."""
    return ARM_COLORS.get(str(arm), PALETTE[fallback % len(PALETTE)])


def effect_color(prefix: str, fallback: int) -> str:
    """Colour of a forest-plot effect ``or_treated``, ``hr_control``, ``or_bmmnc``, ..."""
    name = prefix.split("_", 1)[-1]
    return EFFECT_COLORS.get(name) or arm_color(name, fallback)


def de_columns(table: pd.DataFrame) -> tuple[str, str, str, str, str]:
    """Return ``(statistic, padj, log2fc, pvalue, mean)`` column names of a DESeq2 or limma table."""
    if "log2FoldChange" in table:
        stat, padj, lfc = STATISTIC["rna"]
        return stat, padj, lfc, "pvalue", "baseMean"
    stat, padj, lfc = STATISTIC["protein"]
    return stat, padj, lfc, "P.Value", "AveExpr"


def _label_column(table: pd.DataFrame) -> pd.Series:
    first = table.columns[0]
    names = table["gene_name"].astype(str) if "gene_name" in table else table[first].astype(str)
    names = names.where(~names.isin(["", "nan", "None"]), table[first].astype(str))
    return names


def volcano(table: pd.DataFrame, *, fdr: float, title: str, label_top: int = 10,
            xlabel: str = "log2 fold change (target / reference)") -> go.Figure:
    """Volcano plot: log2 fold change vs -log10 p, the FDR threshold as a line, labelled top features.

    ``xlabel`` says what the fold change compares (:meth:`Context.lfc_axis`).

    Labels are stacked at the plot's left (down) and right (up) edges with a line to their
    point, evenly spaced, so they never overlap and never leave the plot.
    """
    _, padj, lfc, pcol, _ = de_columns(table)
    data = table.dropna(subset=[lfc, pcol]).assign(label=lambda t: _label_column(t))
    data = data.assign(logp=-np.log10(data[pcol].clip(lower=1e-300)))
    sig = data[padj] < fdr
    fig = go.Figure()
    for name, mask, color in (("not significant", ~sig, NS),
                              (f"up (FDR < {fdr})", sig & (data[lfc] > 0), UP),
                              (f"down (FDR < {fdr})", sig & (data[lfc] < 0), DOWN)):
        part = data[mask]
        fig.add_trace(go.Scatter(
            x=part[lfc].round(4), y=part["logp"].round(4), mode="markers", name=f"{name}: {len(part)}",
            marker={"color": color, "size": 5 if color == NS else 6, "opacity": 0.8},
            text=_ts(part["label"]), customdata=part[padj].map(fmt_p),
            hovertemplate="%{text}<br>log2FC %{x:.3f}<br>-log10 p %{y:.2f}<br>FDR %{customdata}"
                          "<extra></extra>"))
    if sig.any():
        threshold = -np.log10(data.loc[sig, pcol].max())
        fig.add_hline(y=threshold, line_dash="dash", line_color="#555",
                      annotation_text=f"FDR {fdr}", annotation_position="top left")
    xmax = float(np.nanmax(np.abs(data[lfc]))) * 1.05 if len(data) else 1.0
    ymax = float(data["logp"].max()) * 1.08 if len(data) else 1.0
    top = data[sig].nsmallest(label_top, pcol) if sig.any() else data.nsmallest(min(label_top, 5), pcol)
    labels = []
    for side, part in (("left", top[top[lfc] < 0]), ("right", top[top[lfc] >= 0])):
        part = part.sort_values("logp", ascending=False)
        n = len(part)
        for i, (_, row) in enumerate(part.iterrows()):
            ty = ymax * (0.95 - 0.9 * i / max(n, 8))
            tx = -xmax * 0.98 if side == "left" else xmax * 0.98
            labels.append({"x": row[lfc], "y": row["logp"], "ax": tx, "ay": ty, "axref": "x", "ayref": "y",
                           "text": _t(row["label"]), "showarrow": True, "arrowhead": 0,
                           "arrowwidth": 0.6, "arrowcolor": "#777", "font": {"size": 10},
                           "xanchor": "left" if side == "left" else "right"})
    # One layout update for all labels (fig.add_annotation re-validates every earlier one).
    fig.update_layout(annotations=[*fig.layout.annotations, *labels])
    fig.update_layout(title={"text": _t(title), "font": {"size": 14}}, height=460,
                      xaxis={"title": _t(xlabel), "range": [-xmax, xmax]},
                      yaxis={"title": "-log10 p-value", "range": [0, ymax]},
                      legend={"orientation": "h", "y": -0.18})
    return fig


def ma(table: pd.DataFrame, *, fdr: float, title: str, mean_label: str | None = None,
       ylabel: str = "log2 fold change") -> go.Figure:
    """MA plot: mean expression vs log2 fold change, significant up and down features coloured.

    Colours as in :func:`volcano` (up red, down blue). ``mean_label``: the x-axis title of a
    limma table (default "mean log2 intensity"; flow: log2 absolute counts).
    """
    _, padj, lfc, _, mean = de_columns(table)
    data = table.dropna(subset=[lfc]).assign(label=lambda t: _label_column(t))
    x = np.log10(data[mean] + 1) if mean == "baseMean" else data[mean]
    sig = (data[padj] < fdr).to_numpy()
    up = sig & (data[lfc] > 0).to_numpy()
    down = sig & (data[lfc] < 0).to_numpy()
    fig = go.Figure()
    for name, mask, color in (("not significant", ~sig, NS), (f"up (FDR < {fdr})", up, UP),
                              (f"down (FDR < {fdr})", down, DOWN)):
        fig.add_trace(go.Scatter(x=np.round(x[mask], 4), y=data.loc[mask, lfc].round(4), mode="markers",
                                 name=f"{name}: {int(mask.sum())}", text=_ts(data.loc[mask, "label"]),
                                 marker={"color": color, "size": 5, "opacity": 0.8},
                                 hovertemplate="%{text}<br>mean %{x:.2f}<br>log2FC %{y:.3f}<extra></extra>"))
    fig.add_hline(y=0, line_color="#444", line_width=1)
    fig.update_layout(title={"text": _t(title), "font": {"size": 14}}, height=420,
                      xaxis={"title": "log10 mean of normalised counts" if mean == "baseMean"
                             else _t(mean_label or "mean log2 intensity")},
                      yaxis={"title": _t(ylabel)}, legend={"orientation": "h", "y": -0.18})
    return fig


def heatmap(matrix: pd.DataFrame, groups: pd.Series, *, title: str) -> go.Figure:
    """Heatmap of row-centred, scaled values (features x samples), samples ordered by group."""
    order = groups.sort_values(kind="stable").index
    values = matrix[order]
    z = values.sub(values.mean(axis=1), axis=0).div(values.std(axis=1).replace(0, 1), axis=0)
    labels = [_t(f"{s} ({groups[s]})") for s in order]
    fig = go.Figure(go.Heatmap(z=z.to_numpy().round(3), x=labels, y=[_t(i) for i in values.index],
                               colorscale="RdBu_r",
                               zmid=0, colorbar={"title": "z"},
                               hovertemplate="%{y}<br>%{x}<br>z %{z:.2f}<extra></extra>"))
    boundaries = np.flatnonzero(groups[order].to_numpy()[1:] != groups[order].to_numpy()[:-1])
    for b in boundaries:
        fig.add_vline(x=b + 0.5, line_color="black", line_width=2)
    fig.update_layout(title={"text": _t(title), "font": {"size": 14}},
                      height=max(360, 16 * len(values) + 160),
                      xaxis={"showticklabels": len(order) <= 60, "tickangle": -60, "tickfont": {"size": 8},
                             "automargin": True},
                      yaxis={"autorange": "reversed", "tickfont": {"size": 9}, "automargin": True})
    return fig


def pca(scores: pd.DataFrame, *, color: str, variance: list[float] | None, title: str) -> go.Figure:
    """PC1 vs PC2 coloured by a sample-sheet column, with % variance on the axes."""
    data = scores.assign(PC2=scores["PC2"] if "PC2" in scores else 0.0)
    groups = data[color].astype(str) if color in data else pd.Series("all", index=data.index)
    fig = go.Figure()
    for i, level in enumerate(sorted(groups.unique())):
        part = data[groups == level]
        colour = arm_color(level, i) if color == "arm" else SERIES[i % len(SERIES)]
        fig.add_trace(go.Scatter(x=part["PC1"].round(4), y=part["PC2"].round(4), mode="markers",
                                 name=_t(level), text=_ts(part["sample"]),
                                 marker={"size": 9, "color": colour},
                                 hovertemplate="%{text}<extra>" + _t(level) + "</extra>"))

    def axis(k: int) -> str:
        if variance and len(variance) >= k:
            return f"PC{k} ({100 * variance[k - 1]:.1f}% of variance)"
        return f"PC{k}"

    fig.update_layout(title={"text": _t(title), "font": {"size": 14}}, height=400,
                      xaxis={"title": axis(1)}, yaxis={"title": axis(2)}, legend={"title": _t(color)})
    return fig


# Most samples per axis drawn one by one in the correlation heatmap; a larger cohort is
# drawn in blocks of consecutive samples (a 5,000-sample matrix alone made a 266 MB report).
HEATMAP_SAMPLES = 1000


def _block_means(shown: np.ndarray, names: list[str]) -> tuple[np.ndarray, list[str], int]:
    """Mean of each block of ``size`` consecutive rows x columns (NaN ignored), and their labels.

    ``size`` is the smallest that leaves at most :data:`HEATMAP_SAMPLES` blocks per axis;
    the last block may be smaller. A label names the block's first and last sample.
    """
    n = len(names)
    size = -(-n // HEATMAP_SAMPLES)
    blocks = -(-n // size)
    padded = np.full((blocks * size, blocks * size), np.nan)
    padded[:n, :n] = shown
    cells = padded.reshape(blocks, size, blocks, size)
    counts = np.isfinite(cells).sum(axis=(1, 3))
    with np.errstate(invalid="ignore"):
        means = np.nansum(cells, axis=(1, 3)) / counts
    labels = [f"{names[start]}..{names[min(start + size, n) - 1]}" for start in range(0, n, size)]
    return means, labels, size


def correlation_heatmap(corr: pd.DataFrame, *, title: str) -> go.Figure:
    """Sample-sample correlation heatmap (samples in hierarchical-clustering order).

    Above :data:`HEATMAP_SAMPLES` samples, blocks of consecutive samples in that order are
    drawn by their mean correlation (the title says how many samples a block holds).
    """
    from scipy.cluster.hierarchy import leaves_list, linkage
    from scipy.spatial.distance import squareform

    values = corr.to_numpy(dtype=float)
    if len(corr) > 2:
        distance = np.clip(1 - values, 0, None)
        np.fill_diagonal(distance, 0)
        order = leaves_list(linkage(squareform((distance + distance.T) / 2, checks=False), "average"))
    else:
        order = np.arange(len(corr))
    names = [str(corr.index[i]) for i in order]
    shown = values[np.ix_(order, order)].round(4)
    np.fill_diagonal(shown, np.nan)  # the diagonal (1) would flatten the colour scale
    hover = "%{x} / %{y}<br>r %{z:.3f}<extra></extra>"
    if len(names) > HEATMAP_SAMPLES:
        shown, names, size = _block_means(shown, names)
        shown = shown.round(4)
        hover = "%{x} / %{y}<br>mean r %{z:.3f}<extra></extra>"
        title += f"; {len(corr):,} samples in blocks of {size}, mean r per block"
    names = [_t(name) for name in names]
    fig = go.Figure(go.Heatmap(z=shown, x=names, y=names,
                               colorscale="Viridis", colorbar={"title": "r"},
                               hovertemplate=hover))
    fig.update_layout(title={"text": _t(title), "font": {"size": 14}}, height=520,
                      xaxis={"tickfont": {"size": 8}, "tickangle": -60},
                      yaxis={"tickfont": {"size": 8}, "autorange": "reversed"})
    return fig


def enrichment_dots(gsea: pd.DataFrame, *, title: str, n_background: int = 10) -> go.Figure:
    """Dot plot of the panel sets and the top background sets: NES, size = set size, colour = FDR."""
    panel = gsea[gsea["collection"] == "panel"] if "collection" in gsea else gsea
    rest = gsea[gsea["collection"] != "panel"].nsmallest(n_background, "pvalue") if "collection" in gsea \
        else gsea.iloc[0:0]
    data = pd.concat([panel.assign(kind="panel"), rest.assign(kind="background")]).copy()
    data = data.sort_values(["kind", "nes"], ascending=[True, True], kind="stable")
    logq = -np.log10(data["fdr"].astype(float).clip(lower=1e-4))
    fig = go.Figure()
    for kind, symbol in (("panel", "circle"), ("background", "diamond")):
        mask = (data["kind"] == kind).to_numpy()
        if not mask.any():
            continue
        part = data[mask]
        fig.add_trace(go.Scatter(
            x=part["nes"].round(3), y=[_t(_short(t)) for t in part["term"]], mode="markers",
            name=f"{kind} sets",
            marker={"size": np.clip(np.sqrt(part["size"].astype(float)) * 2, 6, 30), "symbol": symbol,
                    "color": logq[mask].round(3), "colorscale": "Viridis", "cmin": 0, "cmax": 4,
                    "colorbar": ({"title": {"text": "-log10 FDR", "side": "right"}} if kind == "panel"
                                 else None),
                    "showscale": kind == "panel", "line": {"width": 0.5, "color": "#333"}},
            customdata=np.stack([part["size"], part["fdr"].map(fmt_p), part["pvalue"].map(fmt_p)], axis=1),
            hovertemplate="%{y}<br>NES %{x:.2f}<br>size %{customdata[0]}<br>p %{customdata[2]}"
                          "<br>FDR %{customdata[1]}<extra></extra>"))
    fig.add_vline(x=0, line_color="#444", line_width=1)
    fig.update_layout(title={"text": _t(title), "font": {"size": 14}}, height=max(320, 24 * len(data) + 140),
                      xaxis={"title": "normalised enrichment score (NES)"},
                      yaxis={"tickfont": {"size": 10}, "automargin": True},
                      legend={"orientation": "h", "y": -0.15})
    return fig


def running_scores(curves: dict[str, pd.DataFrame], labels: dict[str, str], *, title: str,
                   xlabel: str = "rank in the ranking (most up in target first)") -> go.Figure:
    """Plot running enrichment-score curves of several sets along one ranking, with hit ticks below."""
    fig = go.Figure()
    low = 0.0
    for i, (term, curve) in enumerate(curves.items()):
        low = min(low, float(curve["running_es"].min()))
        color = SERIES[i % len(SERIES)]
        step = max(1, len(curve) // 400)
        keep = (curve.index % step == 0) | curve["hit"].to_numpy()
        part = curve[keep]
        fig.add_trace(go.Scatter(x=part["rank"], y=part["running_es"].round(3), mode="lines",
                                 name=_t(labels.get(term, term)), line={"color": color, "width": 1.5},
                                 legendgroup=term, hovertemplate="rank %{x}<br>ES %{y:.3f}<extra></extra>"))
    for i, (term, curve) in enumerate(curves.items()):
        hits = curve.loc[curve["hit"], "rank"].to_numpy()
        y0 = low - 0.06 * (i + 1)
        xs = np.repeat(hits, 3).astype(float)
        ys = np.tile([y0, y0 + 0.05, np.nan], len(hits))
        xs[2::3] = np.nan
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line={"color": SERIES[i % len(SERIES)],
                                                                  "width": 0.6},
                                 legendgroup=term, showlegend=False, hoverinfo="skip"))
    fig.add_hline(y=0, line_color="#444", line_width=1)
    fig.update_layout(title={"text": _t(title), "font": {"size": 14}}, height=460,
                      xaxis={"title": _t(xlabel)},
                      yaxis={"title": "running enrichment score"},
                      legend={"font": {"size": 10}})
    return fig


def _short(term: str, width: int = 48) -> str:
    text = str(term).replace("_", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def _pinned_side(row: pd.Series, name: str, ratio: str) -> int:
    """Side of the axis (+1 right, -1 left, 0 unknown) a separated, not estimated effect lies on.

    The table's ``direction`` is the sign of the arm effect its class rests on (treated for
    predictive and treated_only, control for prognostic): ``up_in_responders`` is OR > 1,
    and for hazard ratios HR < 1. Other effects have no known side.
    """
    cls, direction = str(row.get("classification", "")), str(row.get("direction", ""))
    rests_on = {"predictive": "treated", "treated_only": "treated", "prognostic": "control"}.get(cls)
    if rests_on is None or name != rests_on or direction not in ("up_in_responders", "down_in_responders"):
        return 0
    up = 1 if direction == "up_in_responders" else -1
    return -up if ratio.upper() == "HR" else up


def forest(model: pd.DataFrame, effects: list[tuple[str, str]], *, ratio: str, title: str,
           flagged: pd.DataFrame | None = None) -> go.Figure:
    """Forest plot of ratios per SD with 95% intervals, one marker series per effect.

    ``effects`` lists ``(column prefix, label)``, e.g. ``("or_treated", "BM-MNC arm")``;
    ``flagged`` (same index, one bool column per prefix) marks separated fits with open markers.
    Unbounded interval ends (and ends beyond the axis) are drawn to the axis edge with an
    arrow. A separated fit without an estimate (NaN) is an open marker pinned at the axis
    edge on the side of its effect, with an arrow, when the table's class and direction
    give that side, else on the ratio-1 line; its row says "not estimable (separated)".
    """
    rows = [_t(_short(r["score"], 40) + (f" [{r['classification']}]" if str(r.get("classification", "none"))
                                         not in ("none", "nan", "") else "")) for _, r in model.iterrows()]
    fig = go.Figure()
    lo, hi = ratio_axis_limits(model, [prefix for prefix, _ in effects])
    n = len(effects)
    arrows, missing = [], {}
    for k, (prefix, label) in enumerate(effects):
        est = model[prefix].astype(float).to_numpy()
        low = model[f"{prefix}_low"].astype(float).to_numpy()
        high = model[f"{prefix}_high"].astype(float).to_numpy()
        offset = (k - (n - 1) / 2) * 0.18
        y = np.arange(len(model)) + offset
        open_ = (flagged[prefix].to_numpy() if flagged is not None and prefix in flagged
                 else np.zeros(len(model), bool))
        color = effect_color(prefix, k)
        name = prefix.split("_", 1)[-1]
        not_estimated = ~np.isfinite(est) & open_
        sides = np.array([_pinned_side(r, name, ratio) if ne else 0
                          for (_, r), ne in zip(model.iterrows(), not_estimated, strict=True)])
        shown = np.clip(est, lo, hi)
        shown = np.where(not_estimated, np.where(sides > 0, hi, np.where(sides < 0, lo, 1.0)), shown)
        plus = np.where(np.isfinite(high), np.minimum(high, hi) - shown, hi - shown)
        minus = np.where(np.isfinite(low) & (low > 0), shown - np.maximum(low, lo), shown - lo)
        plus = np.where(not_estimated, 0.0, plus)
        minus = np.where(not_estimated, 0.0, minus)
        hover = [f"{_t(label)}: {ratio} not estimable (separated data)" if ne else
                 f"{_t(label)}: {ratio} {_r(e)} (95% CI {_r(a)}-{_r(b)})" + (" · separated data" if o else "")
                 for e, a, b, o, ne in zip(est, low, high, open_, not_estimated, strict=True)]
        base = EFFECT_SYMBOLS.get(name, "circle")
        fig.add_trace(go.Scatter(
            x=shown, y=y, mode="markers", name=_t(label), cliponaxis=False,  # edge markers whole
            marker={"color": color, "size": 9,
                    "symbol": [f"{base}-open" if o else base for o in open_]},
            error_x={"type": "data", "symmetric": False, "array": np.clip(plus, 0, None),
                     "arrayminus": np.clip(minus, 0, None), "thickness": 1.2, "width": 3},
            text=hover, hovertemplate="%{text}<extra></extra>"))
        for j in range(len(model)):
            if not_estimated[j]:
                missing.setdefault(j, []).append(_t(label))
                if sides[j]:
                    arrows.append(_arrow(hi if sides[j] > 0 else lo, y[j], sides[j], color))
                continue
            if not np.isfinite(est[j]):  # no estimate, no interval (e.g. no test in that arm)
                continue
            if not np.isfinite(high[j]) or high[j] > hi:
                arrows.append(_arrow(hi, y[j], 1, color))
            if not (np.isfinite(low[j]) and low[j] > 0) or low[j] < lo:
                arrows.append(_arrow(lo, y[j], -1, color))
    rows = [row + (f" ({', '.join(missing[j])}: {ratio} not estimable, separated)" if j in missing else "")
            for j, row in enumerate(rows)]
    fig.add_vline(x=1, line_dash="dash", line_color="#555")
    # one layout update for all arrows (fig.add_annotation re-validates every earlier one)
    fig.update_layout(annotations=[*fig.layout.annotations, *arrows])
    ticks = [v for v in (1e-4, 1e-3, 0.01, 0.1, 0.2, 0.5, 1, 2, 5, 10, 100, 1e3, 1e4, 1e5, 1e6)
             if lo <= v <= hi]
    fig.update_layout(title={"text": _t(title), "font": {"size": 14}}, height=max(320, 34 * len(model) + 150),
                      xaxis={"title": f"{ratio} per SD of the score (95% CI, log scale)<br>open marker: "
                                      "separated fit; arrow: interval unbounded or beyond the axis",
                             "type": "log", "range": [np.log10(lo), np.log10(hi)],
                             "tickvals": ticks, "ticktext": [f"{v:g}" for v in ticks]},
                      yaxis={"tickmode": "array", "tickvals": list(range(len(model))), "ticktext": rows,
                             "zeroline": False, "showgrid": False,
                             "autorange": "reversed", "automargin": True, "tickfont": {"size": 10}},
                      legend={"orientation": "h", "x": 0, "xanchor": "left", "y": 1.0, "yanchor": "bottom"},
                      margin={"t": 80, "b": 80})
    return fig


def _arrow(x: float, y: float, side: int, color: str) -> dict:
    """Return an arrowhead at the axis edge ``x`` (log10 units) of row ``y``, pointing out (+1: right)."""
    return {"x": float(np.log10(x)), "y": float(y), "xref": "x", "yref": "y", "text": "",
            "showarrow": True, "arrowhead": 2, "arrowsize": 1.2, "arrowwidth": 1.4,
            "arrowcolor": color, "ax": -16 * side, "ay": 0}


def _r(value: float) -> str:
    from ._format import fmt_ratio

    return fmt_ratio(value)


def roc(curves: list[tuple[str, np.ndarray, np.ndarray, float]], *, title: str) -> go.Figure:
    """ROC curves ``(label, fpr, tpr, auc)`` with the diagonal."""
    fig = go.Figure()
    for i, (label, fpr, tpr, auc) in enumerate(curves):
        fig.add_trace(go.Scatter(x=np.round(fpr, 4), y=np.round(tpr, 4), mode="lines",
                                 name=f"{_t(label)} (AUC {auc:.2f})", line={"color": SERIES[i % len(SERIES)],
                                                                       "shape": "hv"}))
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line={"dash": "dot", "color": "#999"},
                             showlegend=False, hoverinfo="skip"))
    fig.update_layout(title={"text": _t(title), "font": {"size": 14}}, height=520,
                      xaxis={"title": "1 - specificity", "range": [0, 1]},
                      yaxis={"title": "sensitivity", "range": [0, 1.02]},
                      legend={"font": {"size": 10}, "orientation": "h", "y": -0.2, "x": 0})
    return fig


def kaplan_meier(curves: pd.DataFrame, *, title: str, pvalues: dict[str, float],
                 arm_labels: dict[str, str] | None = None, xlabel: str = "time",
                 ylabel: str = "survival probability") -> go.Figure:
    """Kaplan-Meier step curves (columns arm, group, time, survival): one colour per arm, dash per group.

    ``arm_labels`` maps arm levels to the page's names (``bmmnc`` -> ``BM-MNC``).
    """
    fig = go.Figure()
    dashes = {"low": "dot", "high": "solid"}
    arms = sorted(curves["arm"].astype(str).unique())
    when = "day" if xlabel.startswith("day") else "t"
    for (arm, group), part in curves.groupby(["arm", "group"], sort=True):
        part = part.sort_values("time", kind="stable")
        p = pvalues.get(str(arm))
        name = _t(f"{(arm_labels or {}).get(str(arm), arm)}, {group} score")
        if p is not None and group == "high":
            name += f" (log-rank p {fmt_p(p)})"
        fig.add_trace(go.Scatter(x=part["time"], y=part["survival"], mode="lines", name=name,
                                 line={"shape": "hv", "color": arm_color(str(arm), arms.index(str(arm))),
                                       "dash": dashes.get(str(group), "solid")},
                                 customdata=part.get("n_at_risk"),
                                 hovertemplate=f"{when} %{{x}}<br>S(t) %{{y:.2f}}<br>at risk "
                                               "%{customdata}<extra></extra>"))
    fig.update_layout(title={"text": _t(title), "font": {"size": 14}}, height=500,
                      xaxis={"title": _t(xlabel)}, yaxis={"title": _t(ylabel), "range": [0, 1.02]},
                      legend={"font": {"size": 10}, "orientation": "h", "y": -0.2, "x": 0})
    return fig


def concordance(joined: pd.DataFrame, *, title: str, fdr: float, rho: float | None = None
                ) -> go.Figure:
    """Plot mRNA vs protein log2 fold change, coloured by agreement.

    ``rho`` (the integrate stage's ``spearman_log2fc`` of the contrast) goes in the title.
    """
    data = joined.dropna(subset=["rna_log2fc", "protein_log2fc"])
    both = (data["rna_padj"] < fdr) & (data["protein_padj"] < fdr)
    same = data["concordant"].astype(bool)
    fig = go.Figure()
    # the legend counts add up to the summary table's: same direction = the first and the
    # concordant part of the last series (sign_agreement x n_genes)
    n_same_both = int((same & both).sum())
    n_both = int(both.sum())
    in_both = ("all" if n_same_both == n_both else str(n_same_both)) + " same direction"
    for name, mask, color in (("same direction, not significant in both", same & ~both, "#7570b3"),
                              ("opposite direction, not significant in both", ~same & ~both, NS),
                              (f"significant in both (FDR < {fdr}; {in_both})", both, UP)):
        part = data[mask]
        fig.add_trace(go.Scatter(x=part["rna_log2fc"].round(4), y=part["protein_log2fc"].round(4),
                                 mode="markers", name=f"{name}: {len(part)}", text=_ts(part["gene_name"]),
                                 marker={"color": color, "size": 6 if color != UP else 8},
                                 hovertemplate="%{text}<br>mRNA %{x:.3f}<br>protein %{y:.3f}<extra></extra>"))
    fig.add_hline(y=0, line_color="#444", line_width=1)
    fig.add_vline(x=0, line_color="#444", line_width=1)
    spearman = f"Spearman r = {rho:.2f} over " if rho is not None and np.isfinite(rho) else ""
    fig.update_layout(title={"text": _t(f"{title}: {spearman}{len(data)} genes, {int(same.sum())} "
                                        "same direction"),
                             "font": {"size": 14}}, height=440,
                      xaxis={"title": "mRNA log2 fold change"}, yaxis={"title": "protein log2 fold change"},
                      legend={"orientation": "h", "y": -0.18})
    return fig


def histogram(values: pd.Series, *, title: str, xlabel: str) -> go.Figure:
    """Histogram of one distribution with its median marked."""
    values = values.dropna().astype(float)
    fig = go.Figure(go.Histogram(x=values.round(4), nbinsx=40, marker={"color": "#7570b3"}, name=_t(xlabel)))
    if len(values):
        fig.add_vline(x=float(values.median()), line_dash="dash", line_color="#333",
                      annotation_text=f"median {values.median():.2f}")
    fig.update_layout(title={"text": _t(title), "font": {"size": 14}}, height=360,
                      xaxis={"title": _t(xlabel)}, yaxis={"title": "genes"}, showlegend=False)
    return fig


def bars(labels: list[str], values: list[float], *, title: str, xlabel: str,
         hover: list[str] | None = None, subtitle: str | None = None) -> go.Figure:
    """Horizontal bars (e.g. Stouffer z of the panel sets); ``hover`` texts show on hover only.

    ``subtitle``: a second, smaller title line (e.g. how many sets tie with the bars').
    ``hover`` is plotly markup (``<br>``): the caller escapes any data in it.
    """
    colors = [UP if v > 0 else DOWN for v in values]
    fig = go.Figure(go.Bar(x=np.round(values, 3), y=[_t(_short(lab)) for lab in labels], orientation="h",
                           marker={"color": colors}, customdata=hover, textposition="none",
                           hovertemplate="%{y}<br>%{x}" + ("<br>%{customdata}" if hover else "")
                                         + "<extra></extra>"))
    text = _t(title) + (f"<br><sup>{_t(subtitle)}</sup>" if subtitle else "")
    fig.update_layout(title={"text": text, "font": {"size": 14}}, height=max(300, 24 * len(labels) + 140),
                      xaxis={"title": xlabel}, yaxis={"autorange": "reversed", "automargin": True,
                                                      "tickfont": {"size": 10}})
    if subtitle:
        fig.update_layout(margin={"t": 70})
    return fig
