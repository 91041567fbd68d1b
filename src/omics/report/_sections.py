"""The report's sections; each returns HTML, or "" when its result files are absent."""

from __future__ import annotations

import base64
import html
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from ..tl._separation import separated_flags
from . import _figures as figs
from ._assets import Ids, figure, scope_headers, table
from ._context import Context
from ._discover import DeResult, read_tsv
from ._format import fmt_ci, fmt_p, plural, short_id

COHORT_SKIP = {"sample", "patient", "fastq_1", "fastq_2"}


def _h(text: object) -> str:
    return html.escape(str(text))


def _grid(*items: str) -> str:
    return "<div class='grid'>" + "".join(f"<div>{i}</div>" for i in items if i) + "</div>"


def _note(text: str) -> str:
    return f"<p class='note'>{text}</p>"


def _warn(text: str) -> str:
    return f"<div class='warning'>{text}</div>"


# --------------------------------------------------------------------------------------
# Cohort
# --------------------------------------------------------------------------------------

def covariate_summary(name: str, values: pd.Series, groups: pd.Series) -> dict[str, str]:
    """One row of the cohort's covariates-by-group table: name, summary, one cell per group.

    A measurement (numeric, other than 0/1) is summarised as median (IQR); a category, and a
    0/1 indicator such as ``afs_event``, as the count and percentage of each value
    (``female: 3 (30%)``; an indicator names itself: ``afs_event=1: 7 (100%)``), with
    missing values counted as ``NA``.
    """
    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    indicator = numeric and values.dropna().isin([0, 1]).all()
    measured = numeric and not indicator
    row = {"covariate": name, "summary": "median (IQR)" if measured else "n (%)"}
    for group in sorted(groups.unique()):
        cell = values[groups == group]
        if measured:
            v = cell.dropna()
            row[group] = (f"{v.median():.3g} ({v.quantile(.25):.3g}-{v.quantile(.75):.3g})"
                          if len(v) else "NA")
        else:
            labels = cell.map(lambda v: "NA" if pd.isna(v) else (f"{name}={int(v)}" if indicator else str(v)))
            counts = labels.value_counts()
            counts = counts[sorted(counts.index, key=lambda k: (k == "NA", k))]  # missing last
            row[group] = "; ".join(f"{k}: {n} ({100 * n / len(labels):.0f}%)" for k, n in counts.items())
    return row


def cohort(ctx: Context, ids: Ids) -> str:
    """Sample counts by design variables and the covariates by group."""
    obs = ctx.obs
    if obs.empty:
        return ""
    parts = [f"<p>{len(obs)} samples. {modalities_note(ctx)}</p>"]
    group_cols = [c for c in ("arm", "response") if c in obs]
    if not group_cols:  # other studies: the contrasts' variables and blocking factors
        named = [v for c in ctx.contrasts.values() for v in (c.variable, *c.blocking) if v]
        group_cols = [c for c in dict.fromkeys(named)
                      if c in obs and 1 < obs[c].nunique() < len(obs)][:2]
    if len(group_cols) == 2:
        cross = pd.crosstab(obs[group_cols[0]], obs[group_cols[1]], margins=True, margins_name="total")
        # one header row: the row variable's name over its levels, the column variable's levels
        cross = cross.rename_axis(index=f"{group_cols[0]} \\ {group_cols[1]}", columns=None).reset_index()
        parts.append(f"<h3>{_h(group_cols[0])} x {_h(group_cols[1])}</h3>"
                     + scope_headers(cross.to_html(classes="static", border=0, index=False)))
    elif len(group_cols) == 1:
        parts.append(scope_headers(obs[group_cols[0]].value_counts().sort_index().to_frame("samples")
                                   .to_html(classes="static", border=0)))
    covariates = [c for c in obs.columns if c not in COHORT_SKIP and c not in group_cols
                  and obs[c].nunique() > 1
                  and (pd.api.types.is_numeric_dtype(obs[c])
                       or (obs[c].nunique() <= 8 and obs[c].nunique() < len(obs)))][:12]
    if covariates and group_cols:
        by = group_cols if ctx.bali else group_cols[:1]  # other studies: the compared variable
        groups = obs[by].astype(str).agg(" / ".join, axis=1)
        rows = [covariate_summary(c, obs[c], groups) for c in covariates]
        parts.append("<h3>Covariates by group</h3>" + scope_headers(pd.DataFrame(rows).to_html(
            classes="static", border=0, index=False)))
        days = pd.to_numeric(obs["afs_days"], errors="coerce") if "afs_days" in obs else None
        if days is not None and "afs_event" in covariates and (days > float(_horizon())).any():
            parts.append(_note(f"afs_event counts the events over all follow-up; the survival "
                               f"models and Kaplan-Meier curves count those up to the end point, "
                               f"day {_horizon()}."))
    shown = obs.reset_index()
    shown = shown[[c for c in shown.columns if not str(c).startswith("fastq")]]
    parts.append("<h3>Sample sheet</h3>" + table(shown, ids, page_length=10))
    return "".join(parts)


# --------------------------------------------------------------------------------------
# QC
# --------------------------------------------------------------------------------------

def qc(ctx: Context, ids: Ids) -> str:
    """PCA by arm and response (% variance), sample correlation, outliers, per modality."""
    res = ctx.results
    parts = []
    for path in res.find("*.pca.tsv"):
        modality = path.name.removesuffix(".pca.tsv")
        pcs = read_tsv(path)
        variance = _variance(path.with_name(f"{modality}.pca_variance.txt"))
        colors = [c for c in ("arm", "response") if c in pcs] or [
            c for c in pcs.columns if c != "sample" and not str(c).startswith("PC")][:2]
        plots = [figure(figs.pca(pcs, color=c, variance=variance, title=f"{modality} PCA by {c}"), ids)
                 for c in colors] or [figure(figs.pca(pcs, color="", variance=variance,
                                                      title=f"{modality} PCA"), ids)]
        parts.append(f"<h3>{_h(modality)}</h3>" + _grid(*plots))
        corr_path = path.with_name(f"{modality}.sample_correlation.tsv")
        if corr_path.is_file():
            corr = read_tsv(corr_path).set_index("sample")
            parts.append(figure(figs.correlation_heatmap(corr, title=f"{modality}: sample-sample "
                                                         "Pearson correlation (clustered)"), ids))
        out_path = path.with_name(f"{modality}.outliers.tsv")
        if out_path.is_file():
            outliers = read_tsv(out_path)
            flagged = outliers[outliers["outlier"].astype(str).str.lower() == "true"] \
                if "outlier" in outliers else outliers.iloc[0:0]
            text = (f"<b>Outliers:</b> {_h(', '.join(flagged['sample'].astype(str)))} (kept in the "
                    "analysis; check them before interpreting)." if len(flagged)
                    else "No outlier sample.") + (
                " Rule: a median correlation to the other samples more than 3 robust SDs below "
                "the cohort's, a distance from the median in PC1-PC2 above 4.24 robust SDs, or a "
                "constant sample; these limits are not calibrated (clean cohorts often flag a "
                "sample), and the log names the criteria each flagged sample met.")
            parts.append(f"<p>{text}</p>" + table(outliers, ids, page_length=5))
    flow_qc = res.first("flow.qc.tsv")
    if flow_qc is not None:
        flow_table = read_tsv(flow_qc)
        parts.append("<h3>flow cytometry QC</h3>" + _note(_flow_qc_note(ctx, flow_table))
                     + table(flow_table, ids, page_length=5))
    if not parts:
        return ""
    rna = {"qpcr": "qPCR RNA: -delta-Ct of the targets, no VST",
           "array": "array RNA: the log2 intensities as given, no VST"}.get(
        str(ctx.params.get("rna_format") or "counts"), "RNA: blind VST")
    return _note(f"PCA of the 500 most variable features, or all when there are fewer ({rna}; "
                 "protein: normalised log2 of the proteins observed in every sample). Sample "
                 "correlations use the features both samples have; missing values are not "
                 "filled in.") + "".join(parts)


def _flow_qc_note(ctx: Context, flow_table: pd.DataFrame) -> str:
    """Say what the columns of ``qc/flow.qc.tsv`` are (:func:`omics.pp._flow.flow_qc`)."""
    viable = default_of("pp._flow", "flow_qc", "viable_gate")  # the flow stage passes none
    bead_gate = ctx.params.get("flow_bead_gate") or "Beads"
    minimum = (flow_table["min_events"].dropna().iloc[0] if "min_events" in flow_table
               and flow_table["min_events"].notna().any() else ctx.params.get("flow_min_events"))
    gate = f"the {_h(viable)} gate's" if viable else "the viability gate's"
    return (f"One row per sample. total_events: events acquired; viability_percent: {gate} "
            "percentage of its parent (empty without that gate); bead_events: "
            f"events in the counting-bead gate {_h(bead_gate)} (empty without beads); populations "
            f"with fewer than {_h(minimum)} events (min_events) are counted in "
            "n_low_event_populations and listed in low_event_populations: flagged, not removed "
            "(their percentages and counts are imprecise).")


def _variance(path: Path) -> list[float] | None:
    if not path.is_file():
        return None
    text = path.read_text().replace("\n", ",")
    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        return None


# --------------------------------------------------------------------------------------
# Differential expression
# --------------------------------------------------------------------------------------

_LAYERS = ("vst", "normalized", "normalised", "log2")


@lru_cache(maxsize=8)
def _matrix(path: str) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    import anndata as ad

    adata = ad.read_h5ad(path)
    layer = next((name for name in _LAYERS if name in adata.layers), None)
    values = adata.layers[layer] if layer else adata.X
    values = values.toarray() if hasattr(values, "toarray") else np.asarray(values)
    frame = pd.DataFrame(values.T, index=adata.var_names.astype(str), columns=adata.obs_names.astype(str))
    return frame, adata.obs.copy()


def _contrast_groups(ctx: Context, contrast_id: str, obs: pd.DataFrame) -> pd.Series | None:
    c = ctx.contrasts.get(contrast_id)
    if c is None:
        return None
    keep = obs.index
    if c.exclude_samples_col and c.exclude_samples_col in obs:
        keep = obs.index[~obs[c.exclude_samples_col].astype(str).isin(map(str, c.exclude_samples_values))]
    if c.variable and c.variable in obs:
        return _as_levels(obs.loc[keep, c.variable], (c.target, c.reference))
    terms = [t for t in ("arm", "response") if t in obs]
    if terms:
        return obs.loc[keep, terms].astype(str).agg(" / ".join, axis=1)
    return None


def _as_levels(values: pd.Series, levels: tuple[str | None, ...]) -> pd.Series:
    """Return a sample-sheet column as text, its numbers spelled as the contrast's ``levels``.

    A column of numbers (levels ``01``/``02`` read as 1.0 and 2.0) gives ``01``/``02``
    where a level reads as that number and no other level does; other whole numbers lose
    their ``.0``.

    Parameters
    ----------
    values
        The column (e.g. ``obs["site"]`` of an h5ad file).
    levels
        The contrast's target and reference levels.

    Returns
    -------
    pandas.Series
        The values as text (missing values as ``nan``).
    """
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return values.astype(str)
    numbers = {str(level): pd.to_numeric(str(level), errors="coerce") for level in levels if level}
    numbers = {level: n for level, n in numbers.items() if pd.notna(n)}
    spelled = {n: level for level, n in numbers.items() if list(numbers.values()).count(n) == 1}

    def text(value: float) -> str:
        if value in spelled:
            return spelled[value]
        return str(int(value)) if pd.notna(value) and float(value).is_integer() else str(value)

    return values.map(text)


def _heatmap(ctx: Context, result: DeResult, de: pd.DataFrame, ids: Ids, n_top: int = 30) -> str:
    h5ad = ctx.results.first(f"{result.modality}/{result.modality}.h5ad", f"{result.modality}.h5ad")
    if h5ad is None:
        return ""
    loaded = _matrix(str(h5ad))
    if loaded is None:
        return ""
    matrix, obs = loaded
    groups = _contrast_groups(ctx, result.contrast, obs)
    if groups is None:
        return ""
    _, padj, _, pcol, _ = figs.de_columns(de)
    id_col = de.columns[0]
    top = de.dropna(subset=[pcol]).nsmallest(n_top, pcol)
    top = top[top[id_col].astype(str).isin(matrix.index)]
    if top.empty:
        return ""
    rows = matrix.loc[top[id_col].astype(str), groups.index]
    names = top["gene_name"].astype(str).where(top["gene_name"].astype(str).str.len() > 0,
                                               top[id_col].astype(str)) if "gene_name" in top \
        else top[id_col].astype(str)
    rows.index = [f"{n} ({fmt_p(q)})" for n, q in zip(names, top[padj], strict=True)]
    return figure(figs.heatmap(rows, groups, title=f"top {len(rows)} features by p-value (FDR in "
                               "brackets), z-scored per feature"), ids)


def _flow_h5ad(ctx: Context) -> Path | None:
    """Return the run's flow.h5ad, if any."""
    return ctx.results.first("flow/flow.h5ad", "flow.h5ad")


def flow_uns(ctx: Context, key: str) -> str | None:
    """Return the text ``uns[key]`` of the run's flow.h5ad (None without it, or when not recorded)."""
    path = _flow_h5ad(ctx)
    if path is None:
        return None
    try:
        import h5py

        with h5py.File(path, "r") as handle:
            return _text(handle[f"uns/{key}"][()])
    except Exception:  # noqa: BLE001 - an older or foreign flow.h5ad: not recorded
        return None


def rna_input_record(ctx: Context) -> dict[str, object]:
    """Return what rna.h5ad records of its matrix: ``format`` and ``gene_symbols`` (``uns["rna_input"]``).

    Recorded for microarray input (:func:`omics.io.read_array_matrix`: ``format``
    ``array_geo_series_matrix`` or ``array_tsv``; ``gene_symbols`` False for a GEO series
    matrix or a matrix without a symbol column, whose features are probe ids). Keys not
    recorded (counts, qPCR, an older rna.h5ad) or without rna.h5ad are absent.
    """
    path = ctx.results.first("rna/rna.h5ad", "rna.h5ad")
    record: dict[str, object] = {}
    if path is None:
        return record
    try:
        import h5py

        with h5py.File(path, "r") as handle:
            group = handle.get("uns/rna_input")
            if group is not None and "gene_symbols" in group:
                record["gene_symbols"] = bool(group["gene_symbols"][()])
            if group is not None and "format" in group:
                record["format"] = _text(group["format"][()])
    except Exception:  # noqa: BLE001 - an unreadable or foreign rna.h5ad: nothing recorded
        return {}
    return record


def rna_values(ctx: Context) -> str:
    """Name the RNA values the integration correlates, by the run's ``rna_format`` (HTML).

    qPCR: -delta-Ct; array: log2 intensities; counts: the VST layer.
    """
    fmt = str(ctx.params.get("rna_format") or "counts")
    if fmt == "qpcr":
        return "RNA -delta-Ct values (log2 relative quantities to the reference genes)"
    if fmt == "array":
        return "RNA log2 intensities (probes collapsed to genes)"
    rna_layer = default_of("tl._api_integrate", "mrna_protein_correlation", "rna_layer")
    return f"RNA values (layer {_h(rna_layer)})"


def protein_values(ctx: Context) -> str:
    """Name the protein values: ``NPX values (relative log2 units)`` for Olink, else log2 intensities."""
    if str(ctx.params.get("protein_format") or "").strip().lower() == "olink":
        return "protein NPX values (Olink's relative log2 units)"
    return "protein log2 intensities"


def _flow_unit(ctx: Context) -> str | None:
    """Return the unit of the flow absolute counts (``uns["absolute_unit"]`` of flow.h5ad), if known."""
    unit = flow_uns(ctx, "absolute_unit")
    return None if unit is None else flow_unit_label(unit)


def flow_unit_label(unit: str) -> str:
    """Return a flow count unit as the page writes it (``cells_per_uL`` -> ``cells/µL``)."""
    return {"cells_per_uL": "cells/µL", "per_million_events": "per million events"}.get(
        unit, unit.replace("_", " "))


def flow_source(ctx: Context) -> str | None:
    """Return where the run's flow populations came from: ``"fcs"`` (gated), ``"table"`` or None.

    Read from ``uns["source"]`` of flow.h5ad (the flow stage records it); an older flow.h5ad
    without it counts as gated when the run wrote gating plots.

    Parameters
    ----------
    ctx
        The report's context (its results folder).

    Returns
    -------
    str or None
        ``"fcs"``, ``"table"``, or None without flow results.
    """
    source = flow_uns(ctx, "source")
    if source in ("fcs", "table"):
        return source
    if ctx.results.first("gating_plots/*.png"):
        return "fcs"
    return "table" if _flow_h5ad(ctx) is not None else None


def _strings(node: object) -> list[str]:
    """Values of an h5ad string column: a string array or a categorical (codes, categories)."""
    import h5py

    if isinstance(node, h5py.Group):  # categorical
        categories = [_text(value) for value in node["categories"][()]]
        return [categories[code] if code >= 0 else "" for code in node["codes"][()]]
    return [_text(value) for value in node[()]]


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def flow_parents(ctx: Context) -> dict[str, str]:
    """Return each flow population's parent gate (``var["parent"]`` of flow.h5ad), if known."""
    path = _flow_h5ad(ctx)
    if path is None:
        return {}
    try:
        import h5py

        with h5py.File(path, "r") as handle:
            var = handle["var"]
            names = _strings(var[_text(var.attrs["_index"])])
            parents = _strings(var["parent"])
    except Exception:  # noqa: BLE001 - an older or foreign flow.h5ad: the methods name no parent
        return {}
    return dict(zip(names, parents, strict=True))


def mean_label(ctx: Context, modality: str) -> str | None:
    """Return the MA plot's x-axis title of a limma table: what its AveExpr is the mean of."""
    if modality == "flow":
        unit = _flow_unit(ctx)
        return "mean log2 absolute count" + (f" ({unit})" if unit else "")
    if modality == "protein":
        olink = str(ctx.params.get("protein_format") or "").strip().lower() == "olink"
        return "mean NPX (log2 relative units)" if olink else "mean log2 intensity"
    if modality == "rna" and ctx.params.get("rna_format") == "qpcr":
        return "mean -delta-Ct (log2 relative quantity)"
    return None


DE_ROWS = 1000  # rows of a differential table on the page (the rest are in its TSV)


def _full_label(n: int, shown: int, what: str, source: str, *, all_: str = "Full table") -> str:
    """Label of a collapsed table: all of it, or ``Top 1,000 of 16,121 features by p-value (...)``."""
    if n <= shown:
        return f"{all_} ({n:,} {what}, sorted by p-value)"
    return (f"Top {shown:,} of {n:,} {what} by p-value (the other {n - shown:,} are in "
            f"<code>{_h(source)}</code>)")


def differential(ctx: Context, ids: Ids) -> str:
    """Summary over contrasts, then per contrast and modality: volcano, MA, heatmap, table."""
    results = ctx.results.de
    if not results:
        return ""
    summary, blocks = [], []
    for result in results:
        de = ctx.results.read(result.path)
        _, padj, lfc, pcol, _ = figs.de_columns(de)
        hits = de[de[padj] < ctx.fdr]
        summary.append({"contrast": result.contrast, "modality": result.modality,
                        "method": result.method, "tested": int(de[padj].notna().sum()),
                        f"up (FDR < {ctx.fdr})": int((hits[lfc] > 0).sum()),
                        f"down (FDR < {ctx.fdr})": int((hits[lfc] < 0).sum())})
        title = f"{result.contrast} · {result.modality}"
        short = f"{short_id(result.contrast)} · {result.modality}"  # figure titles: half-width plots
        anchor = f"de-{result.contrast}-{result.modality}"
        ordered = de.sort_values(pcol, kind="stable", na_position="last")
        source = str(result.path.relative_to(ctx.results.root))
        blocks.append(
            f"<h3 id='{_h(anchor)}'>{_h(title)}</h3>" + _note(ctx.describe_contrast(result.contrast))
            + _grid(figure(figs.volcano(de, fdr=ctx.fdr, title=f"{short}: {plural(len(hits), 'feature')} "
                                        f"at FDR < {ctx.fdr}", xlabel=ctx.lfc_axis(result.contrast)), ids),
                    figure(figs.ma(de, fdr=ctx.fdr, title=f"{short}: MA plot",
                                   mean_label=mean_label(ctx, result.modality),
                                   ylabel=ctx.lfc_axis(result.contrast, short=True)), ids))
            + _heatmap(ctx, result, de, ids)
            + f"<details><summary>{_full_label(len(ordered), DE_ROWS, 'features', source)}</summary>"
            + table(ordered, ids, max_rows=DE_ROWS, note_source=source)
            + "</details>")
    frame = pd.DataFrame(summary)
    return (_note("Positive log2 fold change = higher in the contrast's target level"
                  + ("; for a model coefficient (formula contrast) its note says what positive means"
                     if ctx.has_formula else "")
                  + f". Thresholds: adjusted p &lt; {ctx.fdr} (Benjamini-Hochberg).")
            + scope_headers(frame.to_html(classes="static", border=0, index=False)) + "".join(blocks))


# --------------------------------------------------------------------------------------
# Enrichment
# --------------------------------------------------------------------------------------

def _gene_sets(ctx: Context) -> tuple[dict[str, list[str]], dict[str, list[str]]] | None:
    from ..stages._common import gene_set_collections

    try:
        return gene_set_collections(ctx.params.get("genesets"), ctx.params.get("background_genesets"))
    except Exception:  # noqa: BLE001 - e.g. a GMT path not staged for the report
        return None


def _symbol_style(symbols: list[str]) -> str:
    sample = [s for s in symbols if s[:1].isalpha()][:500]
    if not sample:
        return "no symbols"
    upper = np.mean([s.isupper() or not any(ch.isalpha() for ch in s[1:]) for s in sample])
    title = np.mean([s[:1].isupper() and s[1:] == s[1:].lower() and any(ch.isalpha() for ch in s[1:])
                     for s in sample])
    return "upper" if upper >= 0.6 else "title" if title >= 0.6 else "mixed"


class Members:
    """The genes of a gene-set collection (as given and upper-cased), built once per report."""

    def __init__(self, sets: dict[str, list[str]]) -> None:
        self.genes = {g for genes in sets.values() for g in genes}
        self.listed = list(self.genes)
        self.upper = {g.upper() for g in self.genes}

    @cached_property
    def style(self) -> str:
        """Letter case of the symbols (:func:`_symbol_style`)."""
        return _symbol_style(sorted(self.genes))


def symbol_mismatch(ctx: Context, ranking: pd.Series, sets: dict[str, list[str]] | Members, *,
                    modality: str | None = None) -> str:
    """Return a warning when the gene symbols of a table barely match the gene sets (e.g. mouse vs human).

    ``sets``: the gene sets, or their :class:`Members` (one per report: the sets are the same
    for every table). ``modality``: the table's; for ``"rna"`` whose matrix gave no gene
    symbols (:func:`rna_input_record`: a GEO series matrix, an array matrix without a symbol
    column) the warning says so and how to add them, instead of blaming the organism.
    """
    members = sets if isinstance(sets, Members) else Members(sets)
    if not members.genes or ranking.empty:
        return ""
    found = ranking.index.isin(members.listed).mean()
    folded = pd.Index(ranking.index.str.upper()).isin(members.upper).mean()
    # another organism's symbols: (almost) no exact match, or many more matches ignoring case
    if found >= 0.02 and not (folded >= 0.05 and folded > 2 * found):
        return ""
    ours, theirs = _symbol_style(list(ranking.index)), members.style
    examples = ", ".join([g for g in ranking.index if g[:1].isalpha() and not g[1:].isdigit()][:3])
    hint = ""
    if ours == "title" and theirs == "upper":
        hint = (" The table's symbols look like mouse or rat symbols (e.g. " + _h(examples)
                + ") while the gene sets use human symbols (upper case).")
    where = ("the shipped human GO sets" if ctx.default_panel and not ctx.params.get("background_genesets")
             else "the gene sets given")
    record = rna_input_record(ctx) if modality == "rna" else {}
    if record.get("gene_symbols") is False:
        return _warn(_no_symbols_text(record, found, len(ranking), where))
    return _warn(f"<b>The gene sets do not match this organism's gene symbols:</b> only "
                 f"{100 * found:.1f}% of the {len(ranking):,} ranked symbols are in {where}.{hint} "
                 "Enrichment results are empty or meaningless; run again with "
                 "<code>--genesets</code> naming GMT files for this organism (e.g. MSigDB mouse "
                 "collections).")


def _no_symbols_text(record: dict[str, object], found: float, n: int, where: str) -> str:
    """Say that an RNA matrix has no gene symbols and how to add them (the symbol-mismatch warning, HTML).

    ``record``: :func:`rna_input_record`; ``found``: the fraction of the ``n`` ranked
    features in the gene sets (``where``).
    """
    geo = record.get("format") == "array_geo_series_matrix"
    what = ("a GEO series matrix has probe ids (ID_REF) only" if geo
            else "the matrix has no gene-symbol column")
    return (f"<b>The RNA matrix has no gene symbols:</b> {what}, so the {n:,} ranked features are "
            f"probe ids, and only {100 * found:.1f}% of them are in {where}. Enrichment results "
            "and scores are empty or meaningless. Add the symbols and run again: write the matrix "
            "as a TSV with the probe id first, then a <code>gene_name</code> (or "
            "<code>symbol</code>, <code>Gene Symbol</code>) column, then the samples, the symbols "
            "taken from the platform's annotation (e.g. the GEO GPL table's Gene Symbol column, "
            "matched on the probe id), and give it to <code>--rna_matrix</code> with "
            "<code>--rna_format array</code>.")


ENRICH_ROWS = 300  # rows of a GSEA or ORA table on the page (the rest are in its TSV)
RUNNING_SETS = 8  # running enrichment-score curves drawn per table (panel sets, smallest p first)


def enrichment(ctx: Context, ids: Ids) -> str:
    """Per contrast and modality: dot plot, running-score curves, leading edges, ORA."""
    from ..tl._ranking import gene_statistic
    from ..tl._running import gsea_running_score

    res = ctx.results
    gsea_paths = res.find("*.gsea.tsv")
    if not gsea_paths:
        return ""
    sets = _gene_sets(ctx)
    members = Members({**sets[0], **sets[1]}) if sets is not None else None
    de_by_key = {r.key: r for r in res.de}
    blocks = []
    for path in gsea_paths:
        key = path.name.removesuffix(".gsea.tsv")
        gsea = read_tsv(path)
        de_result = de_by_key.get(key)
        ranking = pd.Series(dtype=float)
        if de_result is not None:
            de = ctx.results.read(de_result.path)
            de["gene_name"] = de["gene_name"].fillna("").astype(str) if "gene_name" in de else ""
            kind = "rna" if "log2FoldChange" in de else "protein"
            if "gene_name" in de:
                ranking = gene_statistic(de, kind)
        contrast_id, _, modality = key.rpartition(".")  # a contrast id may hold dots
        short = f"{short_id(contrast_id)}.{modality}" if contrast_id else short_id(key)  # figure titles
        block = [f"<h3>{_h(f'{contrast_id} · {modality}' if contrast_id else key)}</h3>"]
        contrast_id = de_result.contrast if de_result is not None else contrast_id or key
        if contrast_id in ctx.contrasts:
            meaning = ctx.positive_means(contrast_id)
            if meaning:
                block.append(_note(f"NES &gt; 0: the set's genes rank towards positive log2 fold "
                                   f"changes ({_h(contrast_id)}: positive = {_h(meaning)})."))
        if sets is not None:
            block.append(symbol_mismatch(ctx, ranking, members, modality=modality))
        if gsea.empty:
            block.append(_note("No gene set was tested for this table (no set had enough of its "
                               "genes among the ranked features)."))
            blocks.append("".join(block))
            continue
        with_background = "collection" in gsea and (gsea["collection"] != "panel").any()
        block.append(figure(figs.enrichment_dots(
            gsea, title=f"{short}: {ctx.panel_name}" + (" and the top background sets" if with_background
                                                        else "") + " (GSEA prerank)"), ids))
        panel = gsea[gsea["collection"] == "panel"] if "collection" in gsea else gsea
        if sets is not None and len(ranking) and len(panel):
            curves, labels = {}, {}
            for _, row in panel.sort_values("pvalue", kind="stable").head(RUNNING_SETS).iterrows():
                genes = sets[0].get(row["term"]) or sets[1].get(row["term"])
                if genes:
                    curves[row["term"]] = gsea_running_score(ranking, genes)
                    labels[row["term"]] = (f"{figs._short(row['term'], 38)}: NES {row['nes']:.2f}, "
                                           f"FDR {fmt_p(row['fdr'])}")
            if curves:
                which = (f"the {len(curves)} panel sets with the smallest p-value (of {len(panel)})"
                         if len(panel) > RUNNING_SETS else "the panel sets")
                block.append(figure(figs.running_scores(
                    curves, labels, title=f"{short}: running enrichment scores of {which}",
                    xlabel="rank by the test statistic (most positive first)"), ids))
        if len(panel):
            edge = panel.assign(leading_edge_n=panel["leading_edge"].fillna("").astype(str)
                                .map(lambda s: len([g for g in s.split(";") if g])))
            cols = [c for c in ("term", "size", "es", "nes", "pvalue", "fdr", "leading_edge_n",
                                "leading_edge") if c in edge]
            block.append("<h4>Panel sets and their leading-edge genes</h4>" + table(edge[cols], ids))
        source = str(path.relative_to(ctx.results.root))
        label = _full_label(len(gsea), ENRICH_ROWS, "tested sets", source, all_="All tested sets")
        block.append(f"<details><summary>{label}</summary>" + table(
            gsea.sort_values("pvalue", kind="stable"), ids, max_rows=ENRICH_ROWS, note_source=source)
            + "</details>")
        ora_path = path.with_name(f"{key}.ora.tsv")
        if ora_path.is_file():
            ora = read_tsv(ora_path)
            if len(ora):
                ora_source = str(ora_path.relative_to(ctx.results.root))
                shown = "" if len(ora) <= ENRICH_ROWS else (
                    f": top {ENRICH_ROWS:,} of {len(ora):,} rows by p-value (all in "
                    f"<code>{_h(ora_source)}</code>)")
                block.append("<details><summary>Over-representation (ORA) of the up- and "
                             f"down-regulated features{shown}</summary>" + table(
                                 ora.sort_values("pvalue", kind="stable"), ids, max_rows=ENRICH_ROWS,
                                 note_source=ora_source) + "</details>")
        blocks.append("".join(block))
    intro = (f"GSEA prerank of the {_h(ctx.panel_name)} tested together with the background collection, "
             "so that the FDR carries the burden of every set tested; NES &gt; 0: the set's genes "
             "rank towards positive log2 fold changes (what positive means is under each contrast).")
    if not ctx.default_panel and not ctx.params.get("background_genesets"):
        intro = (f"GSEA prerank of the {_h(ctx.panel_name)}; the user's sets replace the default "
                 "background (give <code>--background_genesets</code> to test them within one).")
    return _note(intro) + "".join(blocks)


# --------------------------------------------------------------------------------------
# Response
# --------------------------------------------------------------------------------------

def _arm_names(ctx: Context) -> tuple[str, str]:
    """Names of the treated and the control arm on the page (BM-MNC, placebo)."""
    if ctx.bali:
        return ctx.arm_label("bmmnc"), ctx.arm_label("placebo")
    return "treated", "control"


def _effects(model: pd.DataFrame, ctx: Context, ratio: str = "or") -> list[tuple[str, str]]:
    """``(column prefix, label)`` of the ratio columns with both interval ends."""
    effects = []
    for col in model.columns:
        if col.startswith(f"{ratio}_") and not col.endswith(("_low", "_high")) \
                and f"{col}_low" in model and f"{col}_high" in model:
            name = col.removeprefix(f"{ratio}_")
            treated, control = _arm_names(ctx)
            label = {"treated": f"{treated} arm", "control": f"{control} arm", "pooled": "pooled",
                     "interaction": f"interaction ({treated} {ratio.upper()} / {control} "
                                    f"{ratio.upper()})"}.get(name)
            if label is None:  # per-arm columns named after the arm level (or_bmmnc, ...)
                arms = set(ctx.obs["arm"].astype(str)) if "arm" in ctx.obs else set()
                label = f"{ctx.arm_label(name)} arm" if name in arms else name
            effects.append((col, label))
    return effects


def _separated(model: pd.DataFrame, effects: list[tuple[str, str]]) -> pd.DataFrame:
    """Per effect column (``or_control``, ...), whether that model's data were separated."""
    names = {prefix: prefix.split("_", 1)[1] for prefix, _ in effects}
    flags = separated_flags(model, list(dict.fromkeys(names.values())))
    return pd.DataFrame({prefix: flags[name] for prefix, name in names.items()}, index=model.index)


def _evidence(model: pd.DataFrame, effects: list[tuple[str, str]], flags: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for i, r in model.iterrows():
        row = {"modality": r.get("modality", ""), "score": r["score"],
               "classification": r.get("classification", ""), "direction": r.get("direction", "")}
        for prefix, label in effects:
            name = prefix.removeprefix("or_")
            ci = fmt_ci(r[prefix], r[f"{prefix}_low"], r[f"{prefix}_high"])
            row[f"OR {label}"] = ci + (" [separated]" if flags.at[i, prefix] else "")
            if f"p_{name}" in r:
                row[f"p {label}"] = r[f"p_{name}"]
            if name in ("control", "treated") and f"fdr_{name}" in r:  # the screen's adjusted arm p
                row[f"FDR {label}"] = r[f"fdr_{name}"]
        for col in ("fdr_screen", "cv_auc_pooled", "cv_auc_treated", "cv_auc_control", "signal_group"):
            if col in r:
                row[col] = r[col]
        rows.append(row)
    return pd.DataFrame(rows)


def _roc_curves(roc: pd.DataFrame, modality: str) -> list[tuple[str, np.ndarray, np.ndarray, float]]:
    """``(label, fpr, tpr, auc)`` of each score of ``modality`` in ``scores/response_roc.tsv``."""
    part = roc[roc["modality"] == modality] if "modality" in roc else roc
    return [(figs._short(name, 40), rows["fpr"].to_numpy(float), rows["tpr"].to_numpy(float),
             float(rows["auc"].iloc[0]))
            for name, rows in part.groupby("score", sort=False)]


KM_PANELS = 6


def _km_panels(km: pd.DataFrame, survival: pd.DataFrame | None) -> list[tuple[str, str]]:
    """``(modality, score)`` of the Kaplan-Meier panels: the lowest survival ``fdr_screen`` first.

    A GO set is scored in every modality that measures it, so a score name alone does not
    say which curves are meant. Scores the survival model does not rank keep the curves'
    order, after the ranked ones.
    """
    modalities = km["modality"].astype(str) if "modality" in km else pd.Series("", index=km.index)
    keys = list(dict.fromkeys(zip(modalities, km["score"].astype(str), strict=True)))
    if survival is not None and "fdr_screen" in survival:
        ranked = survival.sort_values("fdr_screen", kind="stable")
        ranked_modalities = (ranked["modality"].astype(str) if "modality" in ranked
                             else pd.Series("", index=ranked.index))
        rank = {key: i for i, key in enumerate(zip(ranked_modalities, ranked["score"].astype(str),
                                                   strict=True))}
        keys.sort(key=lambda key: rank.get(key, len(rank)))
    return keys[:KM_PANELS]


def _kaplan_meier(km: pd.DataFrame, logrank: pd.DataFrame | None, survival: pd.DataFrame | None,
                  ids: Ids, arm_labels: dict[str, str] | None = None) -> str:
    """Kaplan-Meier panels of the best-ranked scores, each of one modality, with log-rank p per arm.

    The curves are those of the score stage (:func:`omics.tl.kaplan_meier`: time = ``afs_days``,
    event = ``afs_event``); ``arm_labels`` names the arms as the page does (BM-MNC).
    """
    plots = []
    for modality, score in _km_panels(km, survival):
        curves = km[km["score"].astype(str) == score]
        if modality:
            curves = curves[curves["modality"].astype(str) == modality]
        pvalues = {}
        if logrank is not None:
            rows = logrank[logrank["score"].astype(str) == score]
            if modality and "modality" in rows:
                rows = rows[rows["modality"].astype(str) == modality]
            pvalues = dict(zip(rows["arm"].astype(str), rows["logrank_p"].astype(float), strict=True))
        label = f"{modality} {figs._short(score, 44)}" if modality else figs._short(score, 50)
        plots.append(figure(figs.kaplan_meier(curves, title=f"{label}: high vs low score",
                                              pvalues=pvalues, arm_labels=arm_labels,
                                              xlabel="days (afs_days)",
                                              ylabel="amputation-free survival"), ids))
    ranked = survival is not None and "fdr_screen" in survival
    return ("<h3>Kaplan-Meier curves</h3>" + _note(
        "Amputation-free survival (event: major amputation or death, afs_event) over the days of "
        f"follow-up (afs_days) to the end point, day {_horizon()} (follow-up beyond it censored "
        "there). Patients at or below (low) and above (high) the score's median within "
        "each arm; the log-rank test compares them within the arm. "
        + (f"The {KM_PANELS} scores with the lowest fdr_screen of the survival model; "
           if ranked else f"The first {KM_PANELS} scores of scores/km_curves.tsv; ")
        + "every score's curves are in scores/km_curves.tsv. The log-rank p-values are "
        "<b>unadjusted</b> (no correction for the scores and arms tested"
        + (", and these panels were picked for their small fdr_screen" if ranked else "")
        + "): read them as descriptive.") + _grid(*plots))


def _horizon() -> str:
    """Return the day the survival models censor follow-up at (the end point), as the stages use it."""
    return f"{default_of('tl._api_outcome', 'survival_model', 'horizon_days'):g}"


def default_of(module: str, function: str, parameter: str) -> object:
    """Return the default of ``parameter`` of ``omics.<module>.<function>``.

    The stages call these functions without the parameter, so its default is what the run
    used; the report states it from the code rather than repeating the number.

    Parameters
    ----------
    module
        Module below :mod:`omics` (``"tl._redundancy"``).
    function
        The function's name.
    parameter
        The parameter's name.

    Returns
    -------
    object
        The default value.
    """
    import importlib
    import inspect

    target = getattr(importlib.import_module(f"omics.{module}"), function)
    return inspect.signature(target).parameters[parameter].default


def _screen_alpha() -> float:
    """Return the level of the response model's screen and interaction test.

    The score stage passes no ``alpha``: it is :func:`omics.tl.response_model`'s default.
    """
    import inspect

    from ..tl import response_model

    return float(inspect.signature(response_model).parameters["alpha"].default)


def _redundancy_note() -> str:
    """Say what ``scores/score_redundancy.tsv`` holds and when two scores are ``linked``."""
    from ..stages._score import CALLED

    jaccard = default_of("tl._redundancy", "score_redundancy", "min_jaccard")  # the stage's
    correlation = default_of("tl._redundancy", "score_redundancy", "min_correlation")
    classes = f"{', '.join(CALLED[:-1])} or {CALLED[-1]}" if len(CALLED) > 1 else "".join(CALLED)
    return (f"Pairs of called scores of one modality (class {classes} in the response or "
            "the survival model). n_genes_a, n_genes_b: measured genes of each set; n_shared: genes "
            "in both; jaccard: n_shared / genes in either (empty for flow populations, which have "
            "no genes); correlation: Pearson correlation of the two scores across patients. "
            f"<b>linked</b>: jaccard &ge; {jaccard:g} or |correlation| &ge; {correlation:g}. The "
            "model tables' signal_group names, for each called score, the strongest score (lowest "
            "fdr_screen) of its group of linked calls: linked calls are one signal, not independent "
            "findings.")


def _response_note(ctx: Context) -> str:
    """How the response model's classes follow from the table (``omics.tl.response_model``)."""
    treated, control = (_h(name) for name in _arm_names(ctx))
    alpha = _screen_alpha()
    multiplicity = ctx.params.get("response_multiplicity", "bh")
    given = ("" if ctx.params_known else
             f"(The run's --response_multiplicity was not recorded: this is the rule of "
             f"{_h(multiplicity)}, the value given to this report.) ")
    if multiplicity == "bh":
        evidence = (f"A score has <b>evidence in an arm</b> when that arm's p-value, adjusted by one "
                    f"Benjamini-Hochberg procedure over the {control}-arm and the {treated}-arm "
                    f"p-values of all scores of its modality together, is below {alpha:g} (columns "
                    f"FDR {control} arm and FDR {treated} arm; fdr_screen is the smaller of the two). ")
    else:
        evidence = (f"A score has <b>evidence in an arm</b> when that arm's p-value is below {alpha:g} "
                    "(--response_multiplicity none: no screen across scores; the FDR columns are "
                    "reported only). ")
    evidence += given
    return (f"Odds ratios of response per SD of each score: within each arm, pooled (arm as "
            f"covariate) and the arm x score interaction ({treated} OR / {control} OR: &gt; 1 when "
            f"the OR is higher in the {treated} arm). " + evidence
            + f"The arm <b>modifies</b> the association when p interaction &lt; {alpha:g} and the "
            f"score's |log OR| is larger in the {treated} arm than in the {control} arm, or of "
            "the opposite sign. "
            f"<b>Predictive</b>: evidence in the {treated} arm and modification; <b>prognostic</b>: "
            f"evidence in the {control} arm, an association of the same sign in the {treated} arm "
            f"and no modification; <b>treated_only</b>: evidence in the {treated} arm, neither "
            "predictive nor prognostic; <b>none</b>: otherwise. Every fit is Firth-penalised; open "
            "markers and '[separated]': the score separates the outcome completely or "
            "quasi-completely in that model. An interval end may be unbounded (inf) with or "
            "without separation. <b>direction</b>: up_in_responders when a higher score goes with "
            f"more response, down_in_responders otherwise; it is the sign of the {treated}-arm "
            f"log OR for predictive and treated_only scores, of the {control}-arm log OR for "
            "prognostic scores and of the pooled log OR for the others (so it can differ from the "
            "OR of the other arm).")


def _phenotype_note() -> str:
    """Say what ``scores/score_phenotype_correlation.tsv`` holds (``tl.score_phenotype_correlation``)."""
    min_samples = default_of("tl._phenotype", "score_phenotype_correlation", "min_samples")  # the stage's
    return ("Each score (modality, term) correlated across patients with the phenotype of each "
            "continuous contrast (phenotype): spearman_rho and pearson_r with their two-sided "
            f"p-values; n: patients with both values (fewer than {min_samples} give NA); fdr: "
            "Benjamini-Hochberg on the Spearman p-values over the scores of a modality and "
            "phenotype. Sorted by the Spearman p-value.")


def _phenotype_part(ctx: Context, phenotype: pd.DataFrame, ids: Ids) -> str:
    """Return the scores section's table of ``scores/score_phenotype_correlation.tsv`` (HTML)."""
    if "spearman_pvalue" in phenotype:
        phenotype = phenotype.sort_values("spearman_pvalue", kind="stable", na_position="last")
    if phenotype.empty:
        return ("<h3>Scores vs continuous phenotypes</h3>"
                + _note("No score was correlated with a continuous phenotype (the table "
                        "scores/score_phenotype_correlation.tsv is empty)."))
    return ("<h3>Scores vs continuous phenotypes</h3>" + _note(_phenotype_note())
            + table(phenotype, ids, note_source=_source(ctx, "score_phenotype_correlation.tsv")))


def _class_counts(model: pd.DataFrame) -> str:
    """``<b>none</b> 17, <b>predictive</b> 5, ...`` of a model table's classification column."""
    counts = model["classification"].value_counts()
    return ", ".join(f"<b>{_h(k)}</b> {v}" for k, v in counts.items())


def response(ctx: Context, ids: Ids) -> str:
    """Forest plots, class and evidence per score, cross-validated ROC, survival, redundancy."""
    res = ctx.results
    model = res.table("response_model.tsv")
    survival = res.table("survival_model.tsv")
    phenotype = res.table("score_phenotype_correlation.tsv")
    if model is None and survival is None and phenotype is None:
        return ""
    parts = []
    if phenotype is not None:
        parts.append(_phenotype_part(ctx, phenotype, ids))
    if model is not None:
        effects = _effects(model, ctx)
        flags = _separated(model, effects)
        parts.append(_note(_response_note(ctx)))
        for modality in (model["modality"].unique() if "modality" in model else [""]):
            part = model[model["modality"] == modality] if modality else model
            parts.append(figure(figs.forest(part.reset_index(drop=True), effects, ratio="OR",
                                            title=f"{modality} scores: odds ratio of response per SD",
                                            flagged=flags.loc[part.index].reset_index(drop=True)), ids))
        if "classification" in model:
            parts.append("<p>Classes (response model): " + _class_counts(model) + ".</p>")
        parts.append("<h3>Class of each score and its evidence</h3>"
                     + table(_evidence(model, effects, flags), ids))
        roc = res.table("response_roc.tsv")
        if roc is None:
            parts.append(_note("No cross-validated ROC curves: scores/response_roc.tsv is not in "
                               "the results (an omics score older than the report); run "
                               "omics score again to draw them."))
        elif {"score", "auc", "fpr", "tpr"} <= set(roc.columns):
            rocs = []
            for modality in (roc["modality"].unique() if "modality" in roc else [""]):
                curves = _roc_curves(roc, modality)
                if curves:
                    rocs.append(figure(figs.roc(curves, title=f"{modality}: cross-validated ROC of "
                                                "response (top scores)"), ids))
            if rocs:
                splits = (f"the first of its {_h(ctx.params.get('cv_repeats', 50))} stratified "
                          f"{_h(ctx.params.get('cv_folds', 5))}-fold splits with the run's seed"
                          if ctx.params_known else "the first of its stratified splits, with the "
                          "run's seed; the run's --cv_repeats and --cv_folds were not recorded")
                parts.append("<h3>Cross-validated ROC</h3>" + _note(
                    "Out-of-fold predictions of the response model's cross-validation (a logistic "
                    f"model on each score alone, all patients; {splits}) for the "
                    "scores with the lowest fdr_screen. The table's cv_auc_pooled averages the "
                    "AUCs of all repeats.") + _grid(*rocs))
        parts.append("<details><summary>Full response-model table</summary>" + table(model, ids)
                     + "</details>")
    if survival is not None:
        treated, control = (_h(name) for name in _arm_names(ctx))
        parts.append("<h3>Survival</h3>" + _note(
            "Cox models of amputation-free survival (event: major amputation or death, afs_event; "
            f"time: afs_days, censored at the end point, day {_horizon()}) per SD of each score, "
            "within each arm, pooled and the arm x score "
            f"interaction ({treated} HR / {control} HR). <b>HR &lt; 1: a higher score goes with a "
            "lower hazard of amputation or death, i.e. a better outcome</b> (the reverse of the odds "
            "ratios of response above, where OR &gt; 1 is better). Classes follow the rule and "
            "screen of the response model on the log hazard ratios; direction up_in_responders: a "
            "higher score goes with longer amputation-free survival (HR &lt; 1). ph_p: test of "
            "proportional hazards (the smallest over the model's terms)."))
        if "classification" in survival:
            parts.append("<p>Classes (survival model): " + _class_counts(survival) + ".</p>")
        hr_effects = _effects(survival, ctx, ratio="hr")
        if hr_effects:
            hr_flags = _separated(survival, hr_effects)
            for modality in (survival["modality"].unique() if "modality" in survival else [""]):
                part = survival[survival["modality"] == modality] if modality else survival
                parts.append(figure(figs.forest(part.reset_index(drop=True), hr_effects, ratio="HR",
                                                title=f"{modality} scores: hazard ratio per SD",
                                                flagged=hr_flags.loc[part.index].reset_index(drop=True)),
                                    ids))
        parts.append(table(survival, ids))
    km = res.table("km_curves.tsv")
    if km is not None and {"score", "arm", "group", "time", "survival"} <= set(km.columns):
        arms = km["arm"].astype(str).unique()
        parts.append(_kaplan_meier(km, res.table("km_logrank.tsv"), survival, ids,
                                   arm_labels={a: ctx.arm_label(a) for a in arms}))
    redundancy = res.table("score_redundancy.tsv")
    if redundancy is not None:
        parts.append("<h3>Score redundancy</h3>" + _note(_redundancy_note()) + table(redundancy, ids))
    return "".join(parts)


# --------------------------------------------------------------------------------------
# Integration
# --------------------------------------------------------------------------------------

JOINT_TOP = 15  # sets per contrast in the joint-evidence bars
JOINT_ROWS = 500  # rows of the joint-evidence table on the page


def _source(ctx: Context, name: str) -> str:
    """Path of a result file relative to the results folder (its name when absent)."""
    path = ctx.results.first(name)
    return str(path.relative_to(ctx.results.root)) if path is not None else name


def _panel_terms(ctx: Context) -> set[str]:
    """Return the panel sets, as the GSEA tables mark them (``collection == "panel"``)."""
    terms: set[str] = set()
    for path in ctx.results.find("*.gsea.tsv"):
        gsea = pd.read_csv(path, sep="\t", usecols=lambda c: c in ("term", "collection"))
        if {"term", "collection"} <= set(gsea.columns):
            terms |= set(gsea.loc[gsea["collection"] == "panel", "term"].astype(str))
    return terms


def _permutation_floor(ctx: Context) -> float | None:
    """|z| of the smallest one-sided permutation p-value, ``1 / (B + 1)`` (:mod:`omics.tl._integrate`)."""
    from ..tl._stats import norm_isf

    permutations = ctx.params.get("gsea_permutations")
    if not permutations:
        return None
    return float(norm_isf(np.array([1.0 / (int(permutations) + 1)]))[0])


def joint_top(part: pd.DataFrame, panel: set[str], *, n: int = JOINT_TOP,
              floor: float | None = None) -> tuple[pd.DataFrame, int, bool]:
    """Return the ``n`` sets of one contrast's joint evidence shown as bars, and the tie at the top.

    Sets are ordered by Stouffer p-value; ties (sets at the permutation floor share one
    p-value) are broken by panel sets first, then the larger |mean NES| over the modalities,
    then the term. Returns ``(top, n_tied, at_floor)``: how many sets share the smallest
    p-value, and whether every modality's |z| of those sets is at the permutation floor
    (``floor``, the |z| of ``1 / (B + 1)``).
    """
    nes = [c for c in part.columns if c.endswith("_nes")]
    p = part["stouffer_pvalue"].astype(float)
    ranked = part.assign(
        _background=~part["term"].astype(str).isin(panel),
        _nes=part[nes].astype(float).mean(axis=1, skipna=True).abs() if nes else 0.0)
    ranked = ranked.sort_values(["stouffer_pvalue", "_background", "_nes", "term"],
                                ascending=[True, True, False, True], kind="stable")
    top = ranked.head(n).drop(columns=["_background", "_nes"])
    smallest = p.min()
    tied = np.isclose(p, smallest, rtol=1e-9, atol=0)
    at_floor = False
    z_columns = [c for c in part.columns if c.endswith("_z") and c != "stouffer_z"]
    if floor is not None and z_columns and tied.any():
        z = part.loc[tied, z_columns].astype(float).abs()
        at_floor = bool(((z >= floor - 1e-6) | z.isna()).all().all() and z.notna().any(axis=None))
    return top, int(tied.sum()), at_floor


def _joint_note(tied: list[tuple[str, int, float, bool]], panel: set[str], source: str) -> str:
    """Return the note above the joint-evidence bars: their order and the ties at the smallest p."""
    text = (f"Bars: the {JOINT_TOP} sets with the smallest Stouffer p-value of each contrast; sets "
            "with equal p-values are ordered " + ("panel sets first, then " if panel else "")
            + "by the larger |mean NES| of mRNA and protein (hover: each modality's NES).")
    if tied:
        floor = all(at for *_, at in tied)
        where = ("the table below" if sum(k for _, k, _, _ in tied) <= JOINT_ROWS
                 else f"<code>{_h(source)}</code>")
        text += (" More sets than shown share the smallest p-value in "
                 + ", ".join(f"{_h(c)} ({k} sets, p = {v:.2g})" for c, k, v, _ in tied)
                 + (": the permutation floor, where each modality's permutation p-value is at its "
                    "minimum of 1 / (permutations + 1), so their evidence is not ordered beyond that"
                    if floor else "")
                 + f"; all of them are in {where}.")
    return text


def _concordance_note(ctx: Context) -> str:
    """Say how ``integration/concordance*.tsv`` join the modalities and what the summary columns are."""
    return ("Each contrast's RNA and protein differential results joined by gene symbol (of several "
            "features with one symbol, the one with the largest |statistic|); each point is a gene: "
            "its RNA vs its protein log2 fold change. concordant: the two fold changes have the same "
            "sign. Summary per contrast: n_genes joined; spearman_log2fc: Spearman correlation of "
            "the two fold changes; sign_agreement: fraction of genes concordant; n_significant_both: "
            f"genes with adjusted p &lt; {ctx.run_fdr()} in both modalities; sign_agreement_significant: "
            "fraction concordant among those (empty when there are none).")


def _correlation_note(ctx: Context) -> str:
    """Say what ``integration/mrna_protein_correlation.tsv`` is (``omics.tl.mrna_protein_correlation``).

    The RNA and protein values are named by the run's formats (:func:`rna_values`,
    :func:`protein_values`).
    """
    min_pairs = default_of("tl._api_integrate", "mrna_protein_correlation", "min_pairs")  # the stage's
    return (f"Per gene symbol measured in both modalities: Spearman correlation (spearman_rho) across "
            f"patients of the {rna_values(ctx)} and the {protein_values(ctx)}; "
            "patients without a measured value are left out, imputed values counting as missing"
            f"{' (and undetermined qPCR wells)' if ctx.params.get('rna_format') == 'qpcr' else ''} "
            "(n_pairs: patients used), and genes with "
            f"fewer than {min_pairs} complete pairs get NA. pvalue: two-sided test of rho = 0; fdr: "
            "Benjamini-Hochberg over the genes tested.")


def _flow_correlation_note(flow: pd.DataFrame) -> str:
    """Say what ``integration/flow_score_correlation.tsv`` is (:func:`omics.tl.flow_score_correlation`)."""
    min_pairs = default_of("tl._flow", "flow_score_correlation", "min_pairs")  # the stage's
    populations = flow["population"].astype(str) if "population" in flow else pd.Series(dtype=str)
    doses = sorted({p for p in populations if p.startswith("dose:")})
    dose = (f"; {', '.join(_h(d) for d in doses)} is the log10 absolute count of the dose population "
            "(the implanted dose), correlated like the populations" if doses else "")
    return ("Spearman correlation across patients of each flow score (population) with each RNA and "
            "protein score (modality, term; scores/angiogenesis_scores.tsv). A population's score is "
            f"its log2 percentage of its parent gate (half an event added){dose}. n: patients with "
            f"both values (fewer than {min_pairs} give NA); p_value: two-sided test of rho = 0; fdr: "
            "Benjamini-Hochberg over every pair in the table.")


def integration(ctx: Context, ids: Ids) -> str:
    """Concordance scatter per contrast, mRNA-protein correlations, joint pathway evidence."""
    res = ctx.results
    parts = []
    joined = res.table("concordance.tsv")
    summary = res.table("concordance_summary.tsv")
    rho = ({} if summary is None or "spearman_log2fc" not in summary else
           dict(zip(summary["contrast"].astype(str), summary["spearman_log2fc"].astype(float),
                    strict=True)))
    if joined is not None:
        plots = [figure(figs.concordance(part, title=short_id(str(contrast)), fdr=ctx.fdr,
                                         rho=rho.get(str(contrast))), ids)
                 for contrast, part in joined.groupby("contrast", sort=True)]
        parts.append("<h3>Fold-change concordance</h3>" + _note(_concordance_note(ctx)) + _grid(*plots))
    if summary is not None:
        if joined is None:
            parts.append("<h3>Fold-change concordance</h3>" + _note(_concordance_note(ctx)))
        parts.append(table(summary, ids, page_length=5))
    corr = res.table("mrna_protein_correlation.tsv")
    if corr is not None:
        n_sig = int((corr["fdr"] < ctx.fdr).sum()) if "fdr" in corr else 0
        parts.append("<h3>Per-gene mRNA-protein correlation across samples</h3>"
                     + _note(_correlation_note(ctx))
                     + figure(figs.histogram(corr["spearman_rho"], title=f"Spearman rho of {len(corr)} genes "
                                             f"({n_sig} at FDR < {ctx.fdr})", xlabel="Spearman rho"), ids)
                     + "<details><summary>Table</summary>" + table(
                         corr.sort_values("pvalue", kind="stable") if "pvalue" in corr else corr, ids,
                         note_source=_source(ctx, "mrna_protein_correlation.tsv"))
                     + "</details>")
    evidence = res.table("pathway_evidence.tsv")
    if evidence is not None:
        plots, tied = [], []
        panel = _panel_terms(ctx)
        floor = _permutation_floor(ctx)
        for contrast, part in evidence.groupby("contrast", sort=True):
            top, n_tied, at_floor = joint_top(part, panel, floor=floor)
            subtitle = None
            if n_tied > len(top):
                subtitle = (f"{len(top)} of {n_tied} sets tied at the smallest p"
                            + (" (the permutation floor)" if at_floor else ""))
                tied.append((contrast, n_tied, float(part["stouffer_pvalue"].min()), at_floor))
            nes = [c for c in ("rna_nes", "protein_nes") if c in top]
            hover = [f"FDR {fmt_p(r['stouffer_fdr'])}"
                     + "".join(f"<br>{c.removesuffix('_nes')} NES {r[c]:.2f}" for c in nes if pd.notna(r[c]))
                     + ("<br>panel set" if r["term"] in panel else "") for _, r in top.iterrows()]
            plots.append(figure(figs.bars(
                list(top["term"]), list(top["stouffer_z"].astype(float)),
                title=f"{short_id(str(contrast))}: joint evidence, top {len(top)} sets", subtitle=subtitle,
                xlabel="Stouffer z (mRNA + protein)", hover=hover), ids))
        evidence = evidence.sort_values(["stouffer_pvalue", "contrast"], kind="stable")
        source = _source(ctx, "pathway_evidence.tsv")
        parts.append("<h3>Joint pathway evidence (Stouffer)</h3>" + _note(_joint_note(tied, panel, source))
                     + _grid(*plots) + table(evidence, ids, max_rows=JOINT_ROWS, note_source=source))
    flow = res.table("flow_score_correlation.tsv")
    if flow is not None:
        parts.append("<h3>Flow populations vs scores</h3>" + _note(_flow_correlation_note(flow))
                     + table(flow, ids))
    return "".join(parts)


GATING_PLOTS = 24  # gating plots inlined in the page


def flow_gating(ctx: Context, ids: Ids) -> str:
    """Gating plots written by the flow stage (PNG), inlined; a note when they were turned off."""
    found = ctx.results.find("gating_plots/*.png")
    pngs = found[:GATING_PLOTS]
    if not pngs:
        if ctx.params.get("flow_gating_plots") is False and ctx.results.first("flow.qc.tsv"):
            return ("<p>Gating plots were not drawn (<code>--flow_gating_plots false</code>); "
                    "the gate counts are in <code>flow/flow.h5ad</code> and "
                    "<code>qc/flow.qc.tsv</code>.</p>")
        return ""
    images = "".join(
        f"<figure><img alt='Gating plot of sample {_h(p.stem)}' "
        "src='data:image/png;base64,"
        f"{base64.b64encode(p.read_bytes()).decode()}'><figcaption>{_h(p.stem)}</figcaption></figure>"
        for p in pngs)
    note = ""
    if len(found) > len(pngs):
        folder = str(found[0].parent.relative_to(ctx.results.root))
        note = _note(f"Showing {len(pngs)} of {len(found)} gating plots (the first {len(pngs)} by file "
                     f"name); all are in <code>{_h(folder)}/</code>.")
    return f"{note}<div class='gallery'>{images}</div>"


# --------------------------------------------------------------------------------------
# Modalities, main findings
# --------------------------------------------------------------------------------------

MODALITY_INPUTS = {"rna": ("rna_counts", "rna_matrix"), "protein": ("protein_matrix",),
                   "flow": ("flow_table", "flow_fcs")}
MODALITY_NAMES = {"rna": "RNA", "protein": "protein", "flow": "flow cytometry"}


def analysed_modalities(ctx: Context) -> list[str]:
    """Modalities with results: of the differential tables and of the score tables."""
    found = {r.modality for r in ctx.results.de}
    for name in ("response_model.tsv", "survival_model.tsv"):
        model = ctx.results.table(name)
        if model is not None and "modality" in model:
            found |= set(model["modality"].dropna().astype(str))
    order = list(MODALITY_INPUTS)
    return sorted(found, key=lambda m: (order.index(m) if m in order else len(order), m))


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def modalities_note(ctx: Context) -> str:
    """Say which modalities were analysed and which were not, and why (no input given).

    Parameters
    ----------
    ctx
        The report's context.

    Returns
    -------
    str
        e.g. ``Modalities analysed: RNA. Not analysed: protein (no protein input was given) ...``;
        ``""`` when the folder has no modality's results.
    """
    found = analysed_modalities(ctx)
    if not found:
        return ""
    text = f"Modalities analysed: {_h(_and([MODALITY_NAMES.get(m, m) for m in found]))}."
    missing = [m for m in MODALITY_INPUTS if m not in found]
    if missing:
        reasons = []
        for m in missing:
            given = any(ctx.params.get(name) for name in MODALITY_INPUTS[m])
            why = (f"no {MODALITY_NAMES[m]} input was given" if ctx.params_known and not given
                   else f"no {MODALITY_NAMES[m]} results in this folder")
            reasons.append(f"{MODALITY_NAMES[m]} ({why})")
        text += f" Not analysed: {_h(_and(reasons))}"
        if "rna" in missing or "protein" in missing:
            text += "; so there is no mRNA-protein integration"
        if "flow" in missing:
            text += ", no flow section" if {"rna", "protein"} & set(missing) else "; so no flow section"
        text += "."
    return text


FINDINGS_ROWS = 12  # called scores listed per model in the main findings (the rest: the tables)
CALLED_CLASSES = ("predictive", "prognostic", "treated_only")


def _arm_cell(r: pd.Series, prefix: str, ratio: str, flagged: bool, *,
              p_col: str, fdr_col: str | None) -> str:
    """``OR 7.75 (1.83-120)<br>p 0.0011 · FDR 0.0043`` of one effect of a model row."""
    estimate = r.get(prefix)
    if flagged and (estimate is None or not np.isfinite(float(estimate))):
        effect = f"{ratio} not estimable (separated)"
    else:
        effect = f"{ratio} {fmt_ci(r[prefix], r[f'{prefix}_low'], r[f'{prefix}_high'])}" + (
            " [separated]" if flagged else "")
    tests = [f"p {fmt_p(r[p_col])}"] if p_col in r else []
    if fdr_col and fdr_col in r:
        tests.append(f"FDR {fmt_p(r[fdr_col])}")
    return _h(effect) + ("<br>" + " · ".join(_h(t) for t in tests) if tests else "")


def _direction_words(direction: object, kind: str, arm: str = "") -> str:
    """``up_in_responders: higher score, more response`` (survival: longer amputation-free survival).

    ``arm``: the arm whose slope the direction is of (``"in the BM-MNC arm"``), or ``""``.
    """
    text = str(direction)
    if kind == "response":
        words = {"up_in_responders": "higher score, more response",
                 "down_in_responders": "higher score, less response"}
    else:
        words = {"up_in_responders": "higher score, longer survival (HR < 1)",
                 "down_in_responders": "higher score, shorter survival (HR > 1)"}
    return (f"{_h(text)}: {_h(words[text])}{' ' + _h(arm) if arm else ''}" if text in words
            else _h(text))


def _findings_model(ctx: Context, model: pd.DataFrame, kind: str, source: str) -> str:
    """Return the called scores of one model table as a compact table, and the modalities with none."""
    treated, control = _arm_names(ctx)
    ratio = "OR" if kind == "response" else "HR"
    prefix = ratio.lower()
    effects = _effects(model, ctx, ratio=prefix)
    flags = _separated(model, effects) if effects else pd.DataFrame(index=model.index)
    modalities = (list(dict.fromkeys(model["modality"].astype(str))) if "modality" in model else [""])
    classes = model["classification"].astype(str) if "classification" in model else \
        pd.Series("", index=model.index)
    called = model[classes.isin(CALLED_CLASSES)]
    if "fdr_screen" in called:
        called = called.sort_values("fdr_screen", kind="stable")
    # the strongest screens of all modalities, then listed by modality
    shown = called.head(FINDINGS_ROWS)
    order = {m: i for i, m in enumerate(modalities)}
    if "modality" in shown:
        shown = shown.iloc[np.argsort([order[str(m)] for m in shown["modality"]], kind="stable")]
    rows = []
    for i, r in shown.iterrows():
        # direction: the treated-arm slope of predictive and treated_only scores, the
        # control-arm slope of prognostic ones (tl.response_model)
        arm = {"predictive": treated, "treated_only": treated, "prognostic": control}.get(
            str(r["classification"]), "")
        row = {"modality": _h(r.get("modality", "")), "score": _h(r["score"]),
               "class, direction": f"<b>{_h(r['classification'])}</b><br>"
                                   + _direction_words(r.get("direction", ""), kind,
                                                      f"in the {arm} arm" if arm else "")}
        for name, label in (("treated", f"{treated} arm"), ("control", f"{control} arm")):
            if f"{prefix}_{name}" in model:
                row[_h(f"{label}: {ratio} per SD (95% CI)")] = _arm_cell(
                    r, f"{prefix}_{name}", ratio, bool(flags.at[i, f"{prefix}_{name}"])
                    if f"{prefix}_{name}" in flags else False, p_col=f"p_{name}", fdr_col=f"fdr_{name}")
        if f"{prefix}_interaction" in model:
            row[_h(f"interaction: {treated} {ratio} / {control} {ratio} (95% CI)")] = _arm_cell(
                r, f"{prefix}_interaction", "ratio",
                bool(flags.at[i, f"{prefix}_interaction"]) if f"{prefix}_interaction" in flags else False,
                p_col="p_interaction", fdr_col="fdr_interaction")
        if kind == "response" and "cv_auc_pooled" in r:
            auc = r["cv_auc_pooled"]
            row["pooled CV AUC"] = f"{float(auc):.2f}" if pd.notna(auc) else "NA"
        rows.append(row)
    none = [m for m in modalities if not (called["modality"].astype(str) == m).any()] \
        if "modality" in called else ([] if len(called) else [""])
    parts = []
    if rows:
        parts.append(scope_headers(pd.DataFrame(rows).to_html(classes="static findings", border=0,
                                                              index=False, escape=False)))
        if len(called) > FINDINGS_ROWS:
            more = len(called) - FINDINGS_ROWS
            parts.append(_note(f"{more} more called score{'s are' if more > 1 else ' is'} not "
                               f"listed here (the {FINDINGS_ROWS} with the "
                               + ("strongest screen" if ctx.params.get("response_multiplicity", "bh")
                                  == "bh" else "smallest arm p-value") + " are): "
                               f"all are in the table of the scores section and in "
                               f"<code>{_h(source)}</code>."))
        if none:
            parts.append(f"<p>No score is called in {_h(_and([m or 'the table' for m in none]))}.</p>")
    else:
        of = f" of {_h(_and(modalities))}" if modalities != [""] else ""
        parts.append(f"<p><b>No score is called</b> predictive, prognostic or treated_only by this "
                     f"model ({len(model)} scores{of}).</p>")
    return "".join(parts)


def _tests_text(ctx: Context, kind: str, model: pd.DataFrame) -> str:
    """How the p-values of a model table were tested and adjusted (as the tables hold them)."""
    bh = ctx.params.get("response_multiplicity", "bh") == "bh"
    fdr = ("FDR of an arm: Benjamini-Hochberg over both arms' p-values of all scores of the "
           "modality (the screen); FDR of the interaction: Benjamini-Hochberg over the scores"
           if bh else "the arm p-values decide (no screen); FDRs are reported only")
    if kind == "response":
        fits = {str(v) for c in ("fit_control", "fit_treated") if c in model for v in model[c].dropna()}
        lrt = "Firth-penalised likelihood-ratio tests" if fits == {"firth"} else \
            "likelihood-ratio tests (Firth-penalised where fit_&lt;arm&gt; says firth)"
        return (f"p of an arm: {lrt}; p of the interaction: Rao score test; {fdr}. Pooled CV "
                "AUC: cross-validated AUC of the score alone over both arms (cv_auc_pooled; "
                "per arm in the scores section's table).")
    arm_test = str(default_of("tl._api_outcome", "survival_model", "arm_test"))
    within = ("Efron score tests" if arm_test == "score" else "partial-likelihood-ratio tests"
              if arm_test == "lrt" else f"{_h(arm_test)} tests")
    return f"p of an arm: {within}; p of the interaction: partial-likelihood-ratio test; {fdr}."


def findings(ctx: Context, ids: Ids) -> str:  # noqa: ARG001 - the signature of every section
    """Return the scores each model calls, in plain words, with effects and tests (of the score tables).

    Per model (response: logistic, ``scores/response_model.tsv``; survival: Cox,
    ``scores/survival_model.tsv``) and modality: each score called predictive, prognostic
    or treated_only with its direction, the ratio per SD with its interval in each arm,
    the interaction ratio, and p and FDR as the table holds them; the scores the two
    models call differently; a model that calls nothing says so.
    """
    res = ctx.results
    tables = [(kind, name, title, res.table(name)) for kind, name, title in (
        ("response", "response_model.tsv", ("Response at 6 months" if ctx.bali else "Response")
         + " (logistic model, odds ratios)"),
        ("survival", "survival_model.tsv", "Amputation-free survival (Cox model, hazard ratios; "
                                           "HR &lt; 1 is better)"))]
    tables = [(k, n, t, m) for k, n, t, m in tables if m is not None and "classification" in m]
    if not tables:
        return ""
    sources = [_source(ctx, name) for _, name, _, _ in tables]
    treated, control = _arm_names(ctx)
    screened = ctx.params.get("response_multiplicity", "bh") == "bh"
    alpha = default_of("tl._api_outcome", "response_model", "alpha")
    parts = [_note(f"The scores each model calls predictive (evidence in the {_h(treated)} arm, "
                   f"and the association is modified: an interaction p-value below {alpha} with "
                   f"a stronger or reversed association in the {_h(treated)} arm), prognostic "
                   f"(evidence in the {_h(control)} arm, the same sign in the {_h(treated)} arm, "
                   f"not modified) or treated_only (evidence in the {_h(treated)} arm, not "
                   f"modified, no same-sign evidence in the {_h(control)} arm: an association of "
                   f"similar size there is not ruled out). Evidence in an arm is "
                   + ("an adjusted p-value (FDR, the screen)" if screened else "a p-value")
                   + f" below {alpha}. Listed by modality: the "
                   + ("scores with the strongest screen" if screened
                      else "scores with the smallest arm p-value")
                   + "; ratios per SD of the score. Every number is as the score stage wrote it in "
                   + " and ".join(f"<code>{_h(s)}</code>" for s in sources)
                   + "; the rules are under the scores section.")]
    for kind, name, title, model in tables:
        parts.append(f"<h3>{title}</h3>" + _note(_tests_text(ctx, kind, model))
                     + _findings_model(ctx, model, kind, _source(ctx, name)))
    if len(tables) == 2:
        parts.append(_disagreement(tables[0][3], tables[1][3]))
    return "".join(parts)


def _disagreement(response_model: pd.DataFrame, survival: pd.DataFrame) -> str:
    """Return a sentence naming the scores the response and the survival model call differently."""
    keys = [c for c in ("modality", "score") if c in response_model and c in survival]
    joined = response_model[[*keys, "classification"]].merge(
        survival[[*keys, "classification"]], on=keys, suffixes=("_response", "_survival"))
    differ = joined[joined["classification_response"].astype(str)
                    != joined["classification_survival"].astype(str)]
    if differ.empty:
        return f"<p>The two models give every one of the {len(joined)} scores the same class.</p>"
    shown = differ.head(FINDINGS_ROWS)
    items = [f"{_h(' '.join(str(r[k]) for k in keys))} (response: <b>{_h(r['classification_response'])}"
             f"</b>, survival: <b>{_h(r['classification_survival'])}</b>)" for _, r in shown.iterrows()]
    more = f"; and {len(differ) - len(shown)} more" if len(differ) > len(shown) else ""
    return (f"<p><b>The two models call {len(differ)} of {len(joined)} scores differently:</b> "
            + "; ".join(items) + more + ".</p>")
