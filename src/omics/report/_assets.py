"""The page's JavaScript and the two building blocks: interactive tables and plots.

plotly.js and the DataTables bundle of itables are inlined once per page; nothing is
fetched from the network. Figures are stored as JSON and drawn when they scroll into view,
so a report with many volcano plots opens quickly.
"""

from __future__ import annotations

import html
import json
import re

import numpy as np
import pandas as pd

P_COLUMNS = re.compile(r"(^|_)(p|pvalue|p_value|fdr|padj|adj\.p\.val|p\.value|qvalue|logrank_p|ph_p)"
                       r"($|_)|^p_|^fdr_|_p$|_fdr$|^(p|fdr) ", re.IGNORECASE)  # "p placebo arm"
MAX_ROWS = 2000

# DataTables column renderers: a missing number (NaN in the data) displays as "NA"; p-values
# display as "< 1e-4" but sort on the number.
_P_RENDER = """function (data, type) {
  if ((type === 'display' || type === 'filter') && (data === Infinity || data === -Infinity)) {
    return data > 0 ? 'inf' : '-inf';
  }
  if (typeof data === 'number' && isNaN(data)) {
    return type === 'display' || type === 'filter' ? 'NA' : data;
  }
  if (type !== 'display' || data === null || data === '' || isNaN(data)) { return data; }
  var p = Number(data);
  if (p < 1e-4) { return '< 1e-4'; }
  if (p >= 0.1) { return p.toFixed(2); }
  return p.toFixed(-Math.floor(Math.log10(p)) + 1);
}"""

_NA_RENDER = """function (data, type) {
  if ((type === 'display' || type === 'filter') && typeof data === 'number' && isNaN(data)) { return 'NA'; }
  if ((type === 'display' || type === 'filter') && (data === Infinity || data === -Infinity)) {
    return data > 0 ? 'inf' : '-inf';
  }
  return data;
}"""

# Sort type of numeric columns: missing values (NaN, null, '') last in both directions
# (DataTables' own "num" puts them first when ascending). Registered on the DataTables of
# the inlined itables bundle before any table is set up (see head_scripts).
NUM_NA = "num-na"
_NUM_NA_JS = """
window.%(promise)s.then(function (module) {
  var order = module.default.ext.type.order;
  function missing(v) {
    return v === null || v === '' || v === undefined || (typeof v === 'number' && isNaN(v));
  }
  function compare(a, b, sign) {
    if (missing(a)) { return missing(b) ? 0 : 1; }
    if (missing(b)) { return -1; }
    a = Number(a); b = Number(b);
    return a < b ? -sign : (a > b ? sign : 0);
  }
  order['%(type)s-asc'] = function (a, b) { return compare(a, b, 1); };
  order['%(type)s-desc'] = function (a, b) { return compare(a, b, -1); };
});
"""

# The plot config: no upload path ("Share chart..." to Plotly Cloud is on by default in
# plotly.js), no link to a server: the page works offline and its data never leave it.
PLOT_CONFIG = {"responsive": True, "displaylogo": False, "showSendToCloud": False,
               "plotlyServerURL": "", "modeBarButtonsToRemove": ["sendChartToCloud"]}

_RENDER_JS = """
(function () {
  var CONFIG = %(config)s;
  function draw(div) {
    if (div.dataset.rendered) { return; }
    var spec = JSON.parse(document.getElementById(div.id + '-json').textContent);
    div.dataset.rendered = 'pending';
    Plotly.newPlot(div, spec.data, spec.layout, CONFIG)
      .then(function () { div.dataset.rendered = 'yes'; });
  }
  var plots = document.querySelectorAll('div.plot');
  if ('IntersectionObserver' in window) {
    var seen = new IntersectionObserver(function (entries) {
      entries.forEach(function (e) { if (e.isIntersecting) { draw(e.target); seen.unobserve(e.target); } });
    }, {rootMargin: '400px'});
    plots.forEach(function (d) { seen.observe(d); });
  } else {
    plots.forEach(draw);
  }
  window.omicsDrawAll = function () { plots.forEach(draw); };
})();
"""


def head_scripts() -> str:
    """Return the ``<script>`` blocks of plotly.js and the itables DataTables bundle (once)."""
    from itables.javascript import generate_init_offline_itables_html
    from itables.options import dt_bundle
    from plotly.offline import get_plotlyjs

    init = generate_init_offline_itables_html(dt_bundle)
    promise = re.search(r"window\.(_itables_\w+)\s*=", init)
    if promise is None:  # an itables release that loads differently: DataTables' own order
        return f"<script type='text/javascript'>{get_plotlyjs()}</script>\n{init}"
    order = _NUM_NA_JS % {"promise": promise.group(1), "type": NUM_NA}
    return (f"<script type='text/javascript'>{get_plotlyjs()}</script>\n{init}"
            f"<script>{order}</script>")


def render_script() -> str:
    """Return the script that draws the figures (put at the end of the body)."""
    return f"<script>{_RENDER_JS % {'config': json.dumps(PLOT_CONFIG)}}</script>"


class Ids:
    """Unique, deterministic element ids of one page (or of one ``namespace`` of it).

    Sections drawn apart (in other processes) each count in a namespace of their own,
    e.g. ``de-tbl3``, so their ids never clash.
    """

    def __init__(self, namespace: str = "") -> None:
        self._n = 0
        self._namespace = f"{namespace}-" if namespace else ""

    def __call__(self, prefix: str) -> str:
        self._n += 1
        return f"{self._namespace}{prefix}{self._n}"


def _round(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column]):
            values = out[column].to_numpy(dtype=float)
            with np.errstate(divide="ignore", invalid="ignore"):
                out[column] = [float(f"{v:.4g}") if np.isfinite(v) else v for v in values]
    return out


def _blank_missing_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns with their missing cells empty (an empty list of genes or populations), not NaN."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object and out[column].isna().any():
            out[column] = out[column].where(out[column].notna(), "")
    return out


def table(frame: pd.DataFrame, ids: Ids, *, caption: str | None = None, page_length: int = 10,
          max_rows: int = MAX_ROWS, note_source: str | None = None) -> str:
    """Return an interactive (sort, filter, search) table of ``frame``.

    Rows beyond ``max_rows`` are left out (the note says how many and where the full table is).
    P-value columns display as ``< 1e-4`` etc. but sort numerically; a missing number shows
    ``NA`` and sorts after every other in both directions; missing text is an empty cell.
    Clicking a column's title (not only its arrow) sorts.
    """
    from itables import JavascriptFunction, to_html_datatable

    shown = frame.reset_index(drop=True)
    note = ""
    options = {}
    if len(shown) > max_rows:
        note = (f"<p class='note'>Showing the first {max_rows:,} of {len(shown):,} rows"
                + (f"; the full table is <code>{html.escape(note_source)}</code>" if note_source else "")
                + ".</p>")
        where = f"; the full table is {note_source}" if note_source else ""
        # a search that finds nothing says the row may be among those left out
        options["language"] = {"zeroRecords": f"No match among the {max_rows:,} rows shown (of "
                                              f"{len(shown):,}){where}"}
        shown = shown.head(max_rows)
    shown = _blank_missing_text(_round(shown))
    numeric = [i for i, c in enumerate(shown.columns) if pd.api.types.is_numeric_dtype(shown[c])
               and not pd.api.types.is_bool_dtype(shown[c])]
    p_targets = [i for i in numeric if P_COLUMNS.search(str(shown.columns[i]))]
    other = [i for i in numeric if i not in p_targets
             and not np.isfinite(shown.iloc[:, i].to_numpy(dtype=float)).all()]  # NA or inf
    numeric_type = {"type": NUM_NA, "className": "dt-type-numeric"}
    column_defs = ([{"targets": p_targets, **numeric_type, "render": JavascriptFunction(_P_RENDER)}]
                   if p_targets else [])
    if other:
        column_defs.append({"targets": other, **numeric_type, "render": JavascriptFunction(_NA_RENDER)})
    markup = to_html_datatable(
        shown, caption=caption, connected=False, table_id=ids("tbl"), maxBytes=0, showIndex=False,
        pageLength=page_length, lengthMenu=[5, 10, 25, 100], columnDefs=column_defs,
        column_filters="footer", format_floats_in_python=False, text_in_header_can_be_selected=False,
        classes="display compact", display_logo_when_loading=False, **options)
    return f"{note}<div class='tablewrap'>{markup}</div>"


def scope_headers(markup: str) -> str:
    """Return table ``markup`` with ``scope`` on its header cells: ``col`` in thead, ``row`` elsewhere.

    Parameters
    ----------
    markup
        HTML of one or more tables (pandas ``to_html``, itables).

    Returns
    -------
    str
        The markup, each ``<th>`` without a scope given one.
    """
    def scoped(scope: str):  # noqa: ANN202 - a re.sub callback
        return lambda part: _TH.sub(f"<th scope='{scope}'", part.group(0))

    markup = re.sub(r"<t(?:head|foot)\b.*?</t(?:head|foot)>", scoped("col"), markup, flags=re.S)
    return re.sub(r"<tbody\b.*?</tbody>", scoped("row"), markup, flags=re.S)


_TH = re.compile(r"<th(?![^>]*\bscope=)(?=[\s>])")


def figure(fig: object, ids: Ids, *, height: int | None = None) -> str:
    """Return a lazily drawn plotly figure (JSON in the page, drawn by :func:`render_script`)."""
    spec = fig.to_plotly_json()  # type: ignore[attr-defined]
    layout = spec.get("layout", {})
    layout.pop("template", None)
    layout["template"] = _TEMPLATE
    if isinstance(layout.get("title"), dict):
        layout["title"] = {**layout["title"], "x": 0.01, "xanchor": "left"}
    if height:
        layout["height"] = height
    div_id = ids("fig")
    payload = json.dumps({"data": spec["data"], "layout": layout}, cls=_Encoder, separators=(",", ":"))
    payload = payload.replace("</", "<\\/")
    h = layout.get("height", 420)
    label = html.escape(figure_label(layout), quote=True)
    return (f"<div class='plot' id='{div_id}' role='img' aria-label='{label}' "
            f"style='min-height:{h}px'></div>"
            f"<script type='application/json' id='{div_id}-json'>{payload}</script>")


def figure_label(layout: dict) -> str:
    """Return the text alternative of a figure: its title as plain text (plotly markup removed).

    Parameters
    ----------
    layout
        The figure's layout (``fig.to_plotly_json()["layout"]``).

    Returns
    -------
    str
        e.g. ``"Figure: c1 · rna: 3 features at FDR < 0.05"``; ``"Figure"`` without a title.
    """
    title = layout.get("title")
    text = title.get("text") if isinstance(title, dict) else title
    plain = html.unescape(re.sub(r"<br\s*/?>", "; ", re.sub(r"<(?!br)[^>]*>", "", str(text or ""))))
    return f"Figure: {plain}" if plain.strip() else "Figure"


_TEMPLATE = {"layout": {"font": {"family": "system-ui, sans-serif", "size": 12},
                        "paper_bgcolor": "white", "plot_bgcolor": "white",
                        "xaxis": {"showline": True, "linecolor": "#444", "ticks": "outside",
                                  "gridcolor": "#eee", "zerolinecolor": "#999"},
                        "yaxis": {"showline": True, "linecolor": "#444", "ticks": "outside",
                                  "gridcolor": "#eee", "zerolinecolor": "#999"},
                        "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
                        "legend": {"bgcolor": "rgba(255,255,255,0.7)"},
                        "modebar": {"orientation": "v"}}}


class _Encoder(json.JSONEncoder):
    def default(self, o: object) -> object:
        if isinstance(o, np.ndarray):
            return [None if isinstance(v, float) and not np.isfinite(v) else v for v in o.tolist()]
        if isinstance(o, np.integer):
            return int(o)
        if isinstance(o, np.floating):
            return float(o) if np.isfinite(o) else None
        if isinstance(o, np.bool_):
            return bool(o)
        return super().default(o)

    def iterencode(self, o: object, _one_shot: bool = False):  # noqa: ANN201 - json API
        return super().iterencode(_clean(o), _one_shot)


def _clean(o: object) -> object:
    """Replace non-finite floats by None (JSON has no NaN/inf)."""
    if isinstance(o, float):
        return o if np.isfinite(o) else None
    if isinstance(o, dict):
        return {k: _clean(v) for k, v in o.items()}
    if isinstance(o, list | tuple):  # strings (hover texts, labels) are the bulk: skip the call
        return [v if type(v) is str else _clean(v) for v in o]
    if isinstance(o, np.ndarray):
        return _clean(o.tolist())
    return o
