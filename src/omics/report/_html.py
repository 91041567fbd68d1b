"""Build ``report/index.html`` from a results folder (nested, or flat as Nextflow stages it)."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from .. import __version__, pl

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;margin-top:2em}
h3{font-size:1em}table{border-collapse:collapse;font-size:12px;margin:.5em 0}
td,th{border:1px solid #ddd;padding:2px 6px;text-align:right}th{background:#f4f4f4}
td:first-child,th:first-child{text-align:left}.figs img{max-width:48%;margin:1%}
.note{color:#555;font-size:13px}
"""


def _find(root: Path, pattern: str) -> list[Path]:
    return sorted(p for p in root.rglob(pattern) if "work" not in p.parts[len(root.parts):-1])


def _figure(ax) -> str:  # noqa: ANN001 - matplotlib Axes
    fig = ax.figure
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    return f'<img src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}">'


def _table(frame: pd.DataFrame, digits: int = 3) -> str:
    return frame.to_html(index=False, float_format=lambda v: f"{v:.{digits}g}", border=0,
                         na_rep="NA", escape=True)


def _ratios(table: pd.DataFrame, prefix: str) -> pd.DataFrame:
    """Add bounded ``OR``/``HR <model>`` display columns (never a 1e9: 'separated (> x)')."""
    from ..tl._response import format_ratio

    out = table.copy()
    separated = out["separation"].fillna("").astype(str) if "separation" in out else None
    for model in ("treated", "control", "pooled", "interaction"):
        if f"{prefix}_{model}" not in out:
            continue
        flags = (separated.str.split(";").apply(lambda names, m=model: m in names)
                 if separated is not None else pd.Series(False, index=out.index))
        out[f"{prefix.upper()} {model}"] = [
            format_ratio(r, lo, hi, bool(f)) for r, lo, hi, f in zip(
                out[f"{prefix}_{model}"], out[f"{prefix}_{model}_low"], out[f"{prefix}_{model}_high"], flags,
                strict=True)]
    return out


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", keep_default_na=False, na_values=["NA", ""])


def build_report(results_dir: str | Path, output: str | Path, *, fdr: float = 0.05) -> Path:
    """Write a self-contained HTML report of the results in ``results_dir``.

    Parameters
    ----------
    results_dir
        A results folder (``omics run``) or a folder with the result files side by side
        (Nextflow's staged inputs).
    output
        The HTML file to write.
    fdr
        Threshold used in summaries.

    Returns
    -------
    The path written.
    """
    from ..io._write import write_text

    root = Path(results_dir)
    parts = [f"<h1>BALI angiogenesis multi-omics report</h1><p class='note'>omics {__version__}. "
             "Positive fold changes: higher in the contrast's target level.</p>"]
    sheet_paths = _find(root, "samplesheet.csv")
    obs = pd.read_csv(sheet_paths[0]).set_index("sample") if sheet_paths else pd.DataFrame()
    if not obs.empty and {"arm", "response"} <= set(obs.columns):
        parts.append("<h2>Cohort</h2>" + _table(pd.crosstab(obs["arm"], obs["response"])
                                                .reset_index()))

    pca_figs = [_figure(pl.pca(pd.read_csv(p, sep="\t"), color="response",
                               title=p.name.replace(".pca.tsv", "")))
                for p in _find(root, "*.pca.tsv")]
    if pca_figs:
        parts.append("<h2>Quality control</h2><p class='note'>PC1/PC2 of the 500 most variable "
                     "features (RNA: VST; protein: normalised log2).</p><div class='figs'>"
                     + "".join(pca_figs) + "</div>")
    for path in _find(root, "*.outliers.tsv"):
        flagged = _read(path).query("outlier == True")
        if len(flagged):
            parts.append(f"<p><b>{path.name}</b>: outlier samples: "
                         f"{html.escape(', '.join(flagged['sample'].astype(str)))}</p>")

    de_paths = _find(root, "*.results.tsv")
    if de_paths:
        parts.append("<h2>Differential expression</h2>")
        rows = []
        figs = []
        for path in de_paths:
            table = _read(path)
            padj = "padj" if "padj" in table else "adj.P.Val"
            lfc = "log2FoldChange" if "log2FoldChange" in table else "logFC"
            hits = table[table[padj] < fdr]
            rows.append({"result": path.name, "tested": int(table[padj].notna().sum()),
                         "up": int((hits[lfc] > 0).sum()), "down": int((hits[lfc] < 0).sum())})
            figs.append(_figure(pl.volcano(table, fdr=fdr, title=path.name.replace(".results.tsv", ""))))
        parts.append(_table(pd.DataFrame(rows)) + "<div class='figs'>" + "".join(figs) + "</div>")

    gsea_paths = _find(root, "*.gsea.tsv")
    if gsea_paths:
        parts.append("<h2>Angiogenic pathway enrichment (GSEA prerank)</h2><p class='note'>The "
                     "panel is tested together with the GO BP background; FDR over all sets.</p>")
        for path in gsea_paths:
            table = _read(path)
            panel = table[table.get("collection", "panel") == "panel"] if "collection" in table else table
            columns = [c for c in ("term", "size", "nes", "pvalue", "fdr") if c in panel]
            parts.append(f"<h3>{html.escape(path.name)}</h3>" + _table(panel[columns]))

    model_paths = _find(root, "response_model.tsv")
    if model_paths:
        model = _read(model_paths[0])
        if len(model):
            shown = _ratios(model, "or")
            columns = [c for c in shown.columns if c in {
                "modality", "score", "classification", "direction", "signal_group", "OR treated",
                "p_treated", "OR control", "p_control", "OR interaction", "p_interaction",
                "fdr_screen", "separation", "cv_auc_treated", "cv_auc_control"}]
            parts.append("<h2>Angiogenic scores and response</h2><p class='note'>Odds ratios per SD "
                         "of the score with 95% intervals ('separated': the data are separated, "
                         "the interval's finite end is shown). Predictive: associated with response "
                         "in the BM-MNC arm and the arm modifies the association (score test of the "
                         "arm x score interaction); prognostic: associated in the placebo arm, same "
                         "sign with BM-MNC, no modification; treated_only: associated in the BM-MNC "
                         "arm, modification not established. Arm associations pass a "
                         "Benjamini-Hochberg screen across scores (fdr_screen). signal_group: calls "
                         "that share genes or correlate are one signal (scores/score_redundancy.tsv)."
                         "</p>" + _table(shown[columns]))
            score_paths = _find(root, "angiogenesis_scores.tsv")
            if score_paths and not obs.empty and {"arm", "response"} <= set(obs.columns):
                scores_long = _read(score_paths[0])
                called = model[model["classification"] != "none"].head(4)
                figs = [_figure(pl.scores(scores_long, obs, term=row["score"], modality=row["modality"]))
                        for _, row in called.iterrows()]
                parts.append("<div class='figs'>" + "".join(figs) + "</div>")
    survival_paths = _find(root, "survival_model.tsv")
    if survival_paths:
        surv = _read(survival_paths[0])
        if len(surv):
            shown = _ratios(surv, "hr")
            columns = [c for c in shown.columns if c in {
                "modality", "score", "classification", "direction", "signal_group", "HR treated",
                "p_treated", "HR control", "p_control", "HR interaction", "p_interaction", "ph_p",
                "separation"}]
            parts.append("<h2>Amputation-free survival (Cox)</h2><p class='note'>Hazard ratios per SD "
                         "with 95% intervals, likelihood-ratio p-values, same classes as above; "
                         "ph_p: smallest Schoenfeld-residual test of proportional hazards.</p>"
                         + _table(shown[columns]))
            km_curves, km_tests = _find(root, "km_curves.tsv"), _find(root, "km_logrank.tsv")
            if km_curves:
                curves = _read(km_curves[0])
                tests = _read(km_tests[0]) if km_tests else None
                called = surv[surv["classification"] != "none"].head(3)
                figs = []
                for _, row in called.iterrows():
                    axes = pl.km(curves, row["score"], logrank=tests, modality=row.get("modality"))
                    axes[0].figure.suptitle(f"{row['score']} ({row.get('modality', '')})", fontsize=9)
                    figs.append(_figure(axes[0]))
                parts.append("<div class='figs'>" + "".join(figs) + "</div>")

    for name, title in (("concordance_summary.tsv", "mRNA-protein concordance"),
                        ("pathway_evidence.tsv", "Joint pathway evidence (Stouffer)")):
        paths = _find(root, name)
        if paths:
            table = _read(paths[0])
            if name == "pathway_evidence.tsv" and "stouffer_fdr" in table:
                table = table[table["stouffer_fdr"] < fdr].head(30)
            parts.append(f"<h2>{title}</h2>" + _table(table))
    concordance = _find(root, "concordance.tsv")
    if concordance:
        joined = _read(concordance[0])
        if len(joined):
            first = joined["contrast"].iloc[0]
            parts.append(f"<div class='figs'>{_figure(pl.concordance(joined[joined['contrast'] == first]))}"
                         f"</div><p class='note'>{html.escape(first)}</p>")
    document = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>BALI angiogenesis report"
                f"</title><style>{_STYLE}</style></head><body>{''.join(parts)}</body></html>\n")
    write_text(document, output)
    return Path(output)
