"""Build ``report/index.html`` from a results folder (nested, or flat as Nextflow stages it)."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path

from .. import __version__
from .._manifests import REPORT_GENERATOR
from .._parallel import map_processes
from . import _sections as sections
from ._assets import Ids, head_scripts, render_script
from ._context import Context, load_context
from ._discover import Results
from ._methods import methods

_STYLE = """
body{font-family:system-ui,-apple-system,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#27364a;color:#fff;padding:1em 2em}header h1{margin:0;font-size:1.5em}
header p{margin:.3em 0 0;color:#cfd8e3;font-size:13px}
nav{position:sticky;top:0;background:#fff;border-bottom:1px solid #ddd;padding:.5em 2em;z-index:10}
nav a{margin-right:1.2em;color:#27364a;text-decoration:none;font-weight:600;font-size:14px}
main{max-width:1280px;margin:0 auto;padding:0 2em 3em}
section{background:#fff;border:1px solid #e3e3e3;border-radius:6px;padding:.5em 1.5em 1.5em;margin-top:1.5em}
h2{font-size:1.3em;border-bottom:2px solid #27364a;padding-bottom:.2em}h3{font-size:1.08em;margin-top:1.6em}
h4{font-size:1em}.note{color:#555;font-size:13px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(480px,1fr));gap:1em}
table.static{border-collapse:collapse;font-size:12px;margin:.5em 0}
table.static td,table.static th{border:1px solid #ddd;padding:3px 8px;text-align:right}
table.static th{background:#f4f4f4}table.static td:first-child{text-align:left}
.tablewrap{font-size:12px;overflow-x:auto}details{margin:.6em 0}summary{cursor:pointer;color:#27364a}
.warning{background:#fff4e5;border-left:4px solid #e67e22;padding:.6em 1em;margin:.8em 0;font-size:14px}
.refs{font-size:13px}.gallery{display:flex;flex-wrap:wrap;gap:1em}.gallery img{max-width:360px}
figure{margin:0}figcaption{font-size:12px;color:#555}
section,h3[id]{scroll-margin-top:3.5em}table.static.findings td{text-align:left;vertical-align:top}
"""

_SECTIONS = [
    ("findings", "Main findings", sections.findings),
    ("cohort", "Cohort", sections.cohort),
    ("qc", "Quality control", sections.qc),
    ("de", "Differential expression", sections.differential),
    ("enrichment", "Enrichment", sections.enrichment),
    ("response", "Scores and response", sections.response),
    ("integration", "Integration", sections.integration),
    ("flow", "Flow cytometry gating", sections.flow_gating),
]


def _modalities(ctx: Context) -> list[str]:
    """Modalities of the results: of the differential tables, else of the score tables."""
    found = {r.modality for r in ctx.results.de}
    if not found:
        for name in ("response_model.tsv", "survival_model.tsv"):
            model = ctx.results.table(name)
            if model is not None and "modality" in model:
                found |= set(model["modality"].dropna().astype(str))
    return sorted(found)


def _response_heading(ctx: Context) -> str:
    """Heading of the scores section (its scores are of the GO angiogenesis panel by default)."""
    return "Angiogenic scores and response" if ctx.default_panel else "Scores and response"


def _title(ctx: Context) -> str:
    """Title of the page: the study, and the modalities of its tables.

    A folder of score tables only (no differential tables) is titled by its section.
    """
    what = " + ".join({"rna": "transcriptomic", "protein": "proteomic", "flow": "flow cytometry"}.get(m, m)
                      for m in _modalities(ctx)) or "omics"
    if ctx.bali:
        topic = "angiogenesis " if ctx.default_panel else ""
        return f"BALI BM-MNC {topic}{what} report"
    if not ctx.results.de and (ctx.results.first("response_model.tsv")
                               or ctx.results.first("survival_model.tsv")):
        return f"{_response_heading(ctx)}: {what} report"
    return f"{what[:1].upper()}{what[1:]} analysis report"


def _section(job: tuple) -> str:
    """Return the HTML of one section (``(anchor, ctx)``; ids in the anchor's namespace)."""
    anchor, ctx = job
    build = next(build for name, _, build in _SECTIONS if name == anchor)
    return build(ctx, Ids(anchor))


def build_report(results_dir: str | Path, output: str | Path, *, fdr: float = 0.05,
                 params: dict | None = None, n_cpus: int = 1, params_known: bool = True) -> Path:
    """Write a self-contained, interactive HTML report of the results in ``results_dir``.

    Sections appear only when their result files exist: cohort, methods, QC, differential
    expression, enrichment, scores and response, integration, flow gating. plotly.js and the
    DataTables bundle are inlined once; the page needs no network.

    Parameters
    ----------
    results_dir
        A results folder (``omics run``) or a folder with the result files side by side
        (Nextflow's staged inputs).
    output
        The HTML file to write.
    fdr
        Adjusted p-value threshold of the run (used when ``params`` lacks ``de_fdr``).
    params
        The run's parameters (:func:`omics.params.resolve`); they write the methods text.
    n_cpus
        Processes drawing the sections side by side (the page is the same).
    params_known
        Whether ``params`` are the run's (``omics run``, or its ``pipeline_info/params.yaml``);
        if not, the page says that the run's parameters were not recorded and which
        statements rest on the values given to the report.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    from ..io._write import write_text
    from ..params import defaults

    params = {**defaults(), **(params or {})}
    params.setdefault("de_fdr", fdr)
    if params.get("de_fdr") is None:
        params["de_fdr"] = fdr
    results = Results(results_dir)
    ctx = load_context(results, params, known=params_known)
    title = _title(ctx)
    body, nav = [], []
    contents = map_processes(_section, [(anchor, ctx) for anchor, _, _ in _SECTIONS], n_cpus)
    for (anchor, heading, _), content in zip(_SECTIONS, contents, strict=True):
        if anchor == "response":
            heading = _response_heading(ctx)
        if content:
            nav.append(f"<a href='#{anchor}'>{heading}</a>")
            body.append(f"<section id='{anchor}'><h2>{heading}</h2>{content}</section>")
        if anchor == "cohort":
            nav.append("<a href='#methods'>Methods</a>")
            body.append(f"<section id='methods'><h2>Methods</h2>{methods(ctx)}</section>")
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    document = (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>{REPORT_GENERATOR}"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{html.escape(title)}"
        f"</title><style>{_STYLE}</style>{head_scripts()}</head><body>"
        f"<header><h1>{html.escape(title)}</h1><p>omics {__version__} · {stamp} · positive fold changes: "
        "higher in the contrast's target level"
        + ("; model coefficients (e.g. interactions): see each contrast's note" if ctx.has_formula else "")
        + "</p></header>"
        f"<nav>{''.join(nav)}</nav><main>{''.join(body)}</main>{render_script()}</body></html>\n")
    write_text(document, output)
    return Path(output)
