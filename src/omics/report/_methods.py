"""Methods paragraph written from the run's own parameters, software versions and references."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path, PurePath

import pandas as pd
import yaml

from ._assets import scope_headers
from ._context import Context
from ._sections import (
    default_of,
    flow_parents,
    flow_source,
    flow_unit_label,
    flow_uns,
    modalities_note,
    rna_input_record,
)

REFERENCES = {
    "deseq2": "Love MI, Huber W, Anders S. Moderated estimation of fold change and dispersion for "
              "RNA-seq data with DESeq2. Genome Biology 15, 550 (2014).",
    "pydeseq2": "Muzellec B, Telenczuk M, Cabeli V, Andreux M. PyDESeq2: a python package for bulk "
                "RNA-seq differential expression analysis. Bioinformatics 39, btad547 (2023).",
    "limma": "Ritchie ME, Phipson B, Wu D, et al. limma powers differential expression analyses for "
             "RNA-sequencing and microarray studies. Nucleic Acids Research 43, e47 (2015).",
    "ebayes": "Smyth GK. Linear models and empirical Bayes methods for assessing differential "
              "expression in microarray experiments. Stat Appl Genet Mol Biol 3, Article 3 (2004).",
    "gsea": "Subramanian A, Tamayo P, Mootha VK, et al. Gene set enrichment analysis. PNAS 102, "
            "15545-15550 (2005).",
    "gseapy": "Fang Z, Liu X, Peltz G. GSEApy: a comprehensive package for performing gene set "
              "enrichment analysis in Python. Bioinformatics 39, btac757 (2023).",
    "go": "The Gene Ontology Consortium. The Gene Ontology knowledgebase in 2023. Genetics 224, "
          "iyad031 (2023).",
    "bh": "Benjamini Y, Hochberg Y. Controlling the false discovery rate. J R Stat Soc B 57, "
          "289-300 (1995).",
    "firth": "Firth D. Bias reduction of maximum likelihood estimates. Biometrika 80, 27-38 (1993); "
             "Heinze G, Schemper M. A solution to the problem of separation in logistic regression. "
             "Stat Med 21, 2409-2419 (2002).",
    "decoupler": "Badia-i-Mompel P, et al. decoupleR: ensemble of computational methods to infer "
                 "biological activities from omics data. Bioinformatics Advances 2, vbac016 (2022).",
    "sklearn": "Pedregosa F, et al. Scikit-learn: machine learning in Python. JMLR 12, 2825-2830 (2011).",
    "scanpy": "Wolf FA, Angerer P, Theis FJ. SCANPY: large-scale single-cell gene expression data "
              "analysis. Genome Biology 19, 15 (2018).",
    "mudata": "Bredikhin D, Kats I, Stegle O. MUON: multimodal omics analysis framework. Genome "
              "Biology 23, 42 (2022).",
    "stouffer": "Stouffer SA, et al. The American Soldier, Vol. 1. Princeton University Press (1949).",
    "bali": "BALI trial, ClinicalTrials.gov NCT00904501.",
    "cox": "Cox DR. Regression models and life-tables. J R Stat Soc B 34, 187-220 (1972).",
    "efron": "Efron B. The efficiency of Cox's likelihood function for censored data. J Am Stat "
             "Assoc 72, 557-565 (1977).",
    "grambsch": "Grambsch PM, Therneau TM. Proportional hazards tests and diagnostics based on "
                "weighted residuals. Biometrika 81, 515-526 (1994).",
    "kaplan_meier": "Kaplan EL, Meier P. Nonparametric estimation from incomplete observations. "
                    "J Am Stat Assoc 53, 457-481 (1958).",
    "logrank": "Mantel N. Evaluation of survival data and two new rank order statistics arising in "
               "its consideration. Cancer Chemother Rep 50, 163-170 (1966).",
    "lifelines": "Davidson-Pilon C. lifelines: survival analysis in Python. Journal of Open Source "
                 "Software 4, 1317 (2019).",
    "flowkit": "White S, Quinn J, Enzor J, et al. FlowKit: a Python toolkit for integrated manual and "
               "automated cytometry analysis workflows. Frontiers in Immunology 12, 768541 (2021).",
    "collapserows": "Miller JA, Cai C, Langfelder P, et al. Strategies for aggregating gene expression "
                    "data: the collapseRows R function. BMC Bioinformatics 12, 322 (2011).",
}


def _versions(ctx: Context) -> dict[str, str]:
    path = ctx.results.first("pipeline_info/software_versions.yml", "software_versions.yml")
    flat: dict[str, str] = {}
    if path is not None:
        loaded = yaml.safe_load(path.read_text()) or {}
        for key, value in loaded.items():
            if isinstance(value, dict):  # Nextflow: {process: {tool: version}}
                flat.update({str(k): str(v) for k, v in value.items()})
            else:
                flat[str(key)] = str(value)
    if not flat:
        from .._versions import software_versions

        flat = software_versions()
    return flat


LABELS = {"rna": "RNA", "protein": "protein", "flow": "flow"}
STATISTICS = {"rna": "the Wald statistic (RNA)", "protein": "the moderated t (protein)"}


def _order(modality: str) -> tuple[int, str]:
    return (list(LABELS).index(modality) if modality in LABELS else len(LABELS), modality)


def panel_counts(gsea_paths: list) -> dict[str, str]:
    """Panel sets tested per modality (``collection == "panel"`` rows of its GSEA tables).

    ``{"protein": "10", "rna": "11"}``; a modality whose tables differ gives the range ("9-10").
    """
    counts: dict[str, list[int]] = {}
    for path in gsea_paths:
        modality = path.name.removesuffix(".gsea.tsv").rsplit(".", 1)[-1]
        gsea = pd.read_csv(path, sep="\t", usecols=lambda c: c == "collection")
        n = int((gsea["collection"] == "panel").sum()) if "collection" in gsea else len(gsea)
        counts.setdefault(modality, []).append(n)
    return {m: (f"{min(v)}" if min(v) == max(v) else f"{min(v)}-{max(v)}") for m, v in sorted(counts.items())}


def _panel_size(tested: dict[str, str]) -> int | str:
    """Return the size of the shipped panel (the largest tested count if it cannot be read)."""
    try:
        from ..datasets import genesets

        return len(genesets("go_angiogenesis"))
    except Exception:  # noqa: BLE001 - an installation without the shipped sets
        return max((int(v.split("-")[-1]) for v in tested.values()), default="")


#: Marks a value the methods state from the parameters given to the report (the run's unknown).
GIVEN = "†"


def given(ctx: Context, value: object, name: str | None = None, *,
          stages: tuple[str, ...] | None = None, shown: Callable[[object], str] = str) -> str:
    """Return a parameter's value as the methods state it: escaped, marked :data:`GIVEN` when unknown.

    Parameters
    ----------
    ctx
        The report's context (:attr:`Context.params_known`: whether its parameters are the run's).
    value
        The value, or its text as the sentence writes it (``70%``).
    name
        The parameter: its value is known, without the run's record, when every task that
        reads it recorded it (stage commands, :func:`task_values`) or a result file does;
        the values stage commands ran tasks with other than the stated one follow it in
        brackets (``0.1 (0.01 in de.a.rna)``).
    stages
        Only tasks of these stages count for the bracketed values (the sentence describes
        their tables: ``seed`` of the GSEA sentence is ``enrich``'s); None: every task that
        reads ``name``.
    shown
        Writes a task's value as the sentence writes ``value`` (``0.5`` as ``50%``).

    Returns
    -------
    str
        HTML.
    """
    known = ctx.params_known or (name is not None and name in _known_names(ctx))
    return html.escape(str(value)) + ("" if known else GIVEN) + _other_values(ctx, name, stages, shown)


def _other_values(ctx: Context, name: str | None, stages: tuple[str, ...] | None = None,
                  shown: Callable[[object], str] = str) -> str:
    """`` (0.01 in de.a.rna)``: the values stage commands ran tasks with other than the stated one.

    ``stages``: only tasks of these stages count (None: all); ``shown``: writes a value.
    """
    from ..stages._report import same_value

    if name is None:
        return ""
    rerun = ctx.__dict__.get("_rerun")
    if rerun is None:
        rerun = ctx.__dict__["_rerun"] = _rerun_by_hand(ctx)
    stated = ctx.params.get(name)
    if name == "rna_min_count" and _rna_min_count(ctx) is not None:
        stated = _rna_min_count(ctx)
    other = {task: shown(value) for task, value in rerun.get(name, {}).items()
             if not same_value(name, value, stated)
             and (stages is None or task.split(".", 1)[0] in stages)}
    return "".join(f" ({html.escape(value)} in {html.escape(', '.join(tasks))})"
                   for value, tasks in _by_value(other).items())


#: The tasks whose tables a sentence describes (:func:`given`'s ``stages``).
_ENRICH = ("enrich",)
_SCORE = ("score",)


def _percent(value: object) -> str:
    """Return a fraction as the methods write it (``0.7``: ``70%``)."""
    return f"{100 * float(value):.0f}%"


def _covariates(value: object) -> str:
    """Return a ``response_covariates`` list as the methods write it (``age, sex``)."""
    from ..params import split_list

    return ", ".join(split_list(None if value is None else str(value))) or "no covariate"


def _file_name(value: object) -> str:
    """Return a file parameter as the methods write it (its file name; unset: ``none``)."""
    return PurePath(str(value)).name if value else "none"


def _tasks_with(ctx: Context, name: str, value: object) -> str:
    """Return the tasks (comma-separated) stage commands ran with ``value`` of ``name``, not the run's."""
    return ", ".join(task for task, used in sorted(_rerun_by_hand(ctx).get(name, {}).items())
                     if used == value)


def _finished_manifests(results_dir: str | Path) -> dict[str, dict]:
    """``{task: manifest}`` of the finished tasks (a claim counts for none)."""
    from .._manifests import CACHE_DIR, read_manifest

    found: dict[str, dict] = {}
    for path in sorted((Path(results_dir) / CACHE_DIR).glob("*.json")):
        manifest = read_manifest(path)
        if "outputs" not in manifest or "claimed" in manifest:
            continue
        found[path.stem] = manifest
    return found


def _own_params(manifest: dict) -> dict | None:
    """Return the parameters a stage command recorded in its task's manifest (None: ``omics run``'s)."""
    if manifest.get("key") is None and isinstance(manifest.get("params"), dict):
        return manifest["params"]
    return None


def task_params(results_dir: str | Path) -> tuple[dict[str, dict], list[str]]:
    """Return the parameters stage commands recorded per task, and the tasks recorded without.

    A stage command (``omics de ...``) records the parameters it ran with in its task's
    manifest (``pipeline_info/cache/<task>.json``, ``params``); ``omics run``'s tasks and
    stage commands of older versions record none (``omics run`` records its parameters in
    ``pipeline_info/params.yaml``). A manifest of a task that has not finished (it claims
    files) counts for neither.

    Parameters
    ----------
    results_dir
        The results folder.

    Returns
    -------
    (dict, list of str)
        ``{task: {parameter: value}}`` and the names of the other finished tasks.
    """
    recorded: dict[str, dict] = {}
    others: list[str] = []
    for task, manifest in _finished_manifests(results_dir).items():
        own = _own_params(manifest)
        if own is not None:
            recorded[task] = own
        else:
            others.append(task)
    return recorded, others


#: Parameters of the DESeq2 engine: only DE tasks that ran DESeq2 read them (not limma's).
_DESEQ2_PARAMS = ("deseq2_alpha", "deseq2_shrink")


def _modality(task: str) -> str | None:
    """Return the modality of a task fanned out per modality (``de.resp.rna``: ``rna``), else None."""
    from ..registry import STAGES

    stage = STAGES.get(task.split(".", 1)[0])
    if stage is None or "modality" not in stage.fan_out or "." not in task:
        return None
    return task.rsplit(".", 1)[-1] if stage.fan_out[-1] == "modality" else None


def _fed_by(stage_name: str, modality: str | None, upstream: str) -> bool:
    """Whether a task of ``stage_name`` (of ``modality``) reads ``upstream``'s outputs, directly or not.

    From the feeds of the registry (:class:`omics.registry.Feed`), as ``omics run`` wires them.
    """
    from ..registry import STAGES

    for option in STAGES[stage_name].files:
        feed = option.feed
        if feed is None or (feed.modalities is not None and modality is not None
                            and modality not in feed.modalities):
            continue
        if "{modality}" in feed.stage and modality is None:
            continue
        source = feed.stage.replace("{modality}", modality or "")
        if source == upstream or (source in STAGES and source != stage_name
                                  and _fed_by(source, modality, upstream)):
            return True
    return False


def _runs_deseq2(task: str, manifest: dict, run: dict) -> bool:
    """Whether a DE task ran DESeq2: its table's name says (``*.deseq2.results.tsv``), else its modality."""
    from ..registry import de_method

    names = [PurePath(str(path)).name for path in manifest.get("outputs") or {}]
    tables = [name for name in names if name.endswith(".results.tsv")]
    if tables:
        return any(name.endswith(".deseq2.results.tsv") for name in tables)
    modality = _modality(task)
    return modality is not None and de_method(modality, run) == "deseq2"


def _run_record(results_dir: str | Path) -> dict:
    """Return the run's parameters (``pipeline_info/params.yaml``), ``{}`` without the record."""
    record = Path(results_dir) / "pipeline_info" / "params.yaml"
    return (yaml.safe_load(record.read_text()) or {}) if record.is_file() else {}


def task_values(results_dir: str | Path, name: str) -> tuple[dict[str, object], list[str]]:
    """Return the values of parameter ``name`` the tasks that read it were run with.

    A task reads ``name`` when its stage lists it (:attr:`omics.registry.Stage.params`;
    ``deseq2_alpha``/``deseq2_shrink``: DE tasks that ran DESeq2 only), or when it reads,
    directly or through another task, the output of a prep stage that lists it (the
    modality's qc, de, enrich, score and integrate tasks read the h5ad of its ``*_prep``:
    the registry's feeds). Such a downstream task was computed with the value its prep
    stage's h5ad was written with: the one a stage command recorded for the prep task when
    the downstream task, run by a stage command, read that h5ad (its recorded input
    checksums, directly or through a DE table: :func:`_computed_from`), the run's
    otherwise.

    Parameters
    ----------
    results_dir
        The results folder.
    name
        A parameter.

    Returns
    -------
    (dict, list of str)
        ``{task: value}`` of the tasks a stage command ran (:func:`task_params`), and the
        tasks that read ``name`` with the run's value (``omics run``'s: the values of
        ``pipeline_info/params.yaml``). The input check (``validate``) is not counted: its
        copies of the sheet and contrasts do not depend on the parameters.
    """
    from ..registry import STAGES

    manifests = _finished_manifests(results_dir)
    run: dict | None = None
    # prep stages (they write a modality's h5ad) that read the parameter
    preps = [stage.name for stage in STAGES.values()
             if "h5ad" in stage.outputs and name in stage.params and stage.name != "validate"]
    recorded: dict[str, object] = {}
    others: list[str] = []
    for task, manifest in manifests.items():
        stage = STAGES.get(task.split(".", 1)[0])
        if stage is None or stage.after_all or stage.name == "validate":
            continue  # (the input check's copies are not shaped by parameters)
        own = _own_params(manifest)
        if name in stage.params:
            if name in _DESEQ2_PARAMS:
                run = _run_record(results_dir) if run is None else run
                if not _runs_deseq2(task, manifest, run):
                    continue
            if own is None:
                others.append(task)
            elif name in own:
                recorded[task] = own[name]
            continue
        upstream = next((prep for prep in preps if _fed_by(stage.name, _modality(task), prep)), None)
        if upstream is None:
            continue
        prep_params = _own_params(manifests.get(upstream, {}))
        if (own is not None and prep_params is not None and name in prep_params
                and _computed_from(task, upstream, manifests)):
            recorded[task] = prep_params[name]  # run by hand on the h5ad the prep task wrote by hand
        else:
            others.append(task)
    return recorded, others


def _computed_from(task: str, upstream: str, manifests: dict[str, dict],
                   seen: frozenset[str] = frozenset()) -> bool:
    """Whether ``task`` read what ``upstream`` wrote, directly or through other tasks' outputs.

    By content: a stage command records the checksums of the files it read
    (``input_checksums``), and every task those of the files it wrote (``outputs``). A
    task without recorded inputs (``omics run``'s, older versions') is not known to have.
    """
    inputs = set(manifests[task].get("input_checksums", {}).values())
    if not inputs:
        return False
    if inputs & set(manifests[upstream].get("outputs", {}).values()):
        return True
    return any(inputs & set(manifest.get("outputs", {}).values())
               and _computed_from(other, upstream, manifests, seen | {task})
               for other, manifest in manifests.items()
               if other not in seen | {task, upstream})


def _known_names(ctx: Context) -> set[str]:
    """Parameters whose value every task that read it recorded as :attr:`Context.params` states it."""
    from ..stages._report import same_value

    known = ctx.__dict__.get("_known_names")
    if known is None:
        known = set()
        for name, value in ctx.params.items():
            recorded, others = task_values(ctx.results.root, name)
            if recorded and not others and all(same_value(name, v, value) for v in recorded.values()):
                known.add(name)
        if _rna_min_count(ctx) is not None:
            known.add("rna_min_count")
        ctx.__dict__["_known_names"] = known
    return known


def _rna_filter(ctx: Context, key: str) -> int | None:
    """Return ``uns["rna_filter"][key]`` of the run's rna.h5ad (the filter it applied), if recorded."""
    path = ctx.results.first("rna/rna.h5ad", "rna.h5ad")
    if path is None:
        return None
    try:
        import h5py

        with h5py.File(path, "r") as handle:
            return int(handle[f"uns/rna_filter/{key}"][()])
    except Exception:  # noqa: BLE001 - an older or foreign rna.h5ad: not recorded
        return None


def _qpcr_text(ctx: Context) -> str:
    """Return the sentences on qPCR normalisation that rna.h5ad records (empty when not recorded).

    The reference genes and how they were chosen (given, or geNorm with their M values of
    ``rna/qpcr_genorm.tsv``), the Ct limit and its policy, and the targets undetermined in
    every sample (MIQE asks for the reference genes and their validation).
    """
    path = ctx.results.first("rna/rna.h5ad", "rna.h5ad")
    if path is None:
        return ""
    try:
        import h5py

        with h5py.File(path, "r") as handle:
            def text(key: str) -> str:
                value = handle[key][()]
                return value.decode() if isinstance(value, bytes) else str(value)

            references = [r.decode() if isinstance(r, bytes) else str(r)
                          for r in handle["uns/qpcr/reference_genes"][()]]
            source = text("uns/qpcr/reference_source")
            max_ct = float(handle["uns/qpcr/max_ct"][()])
            policy = text("uns/qpcr/undetermined_policy")
            var = handle["var"]
            names = [n.decode() if isinstance(n, bytes) else str(n)
                     for n in var[var.attrs["_index"]][()]]
            obs = handle["obs"]
            n_samples = len(obs[obs.attrs["_index"]])
            n_undetermined = var["n_undetermined"][()] if "n_undetermined" in var else []
    except Exception:  # noqa: BLE001 - an older or foreign rna.h5ad: not recorded
        return ""
    shown = ", ".join(html.escape(r) for r in references)
    if source == "geNorm":
        table = ctx.results.table("rna/qpcr_genorm.tsv", "qpcr_genorm.tsv")
        m, pool = "", "the candidates"
        if table is not None and {"target", "M"} <= set(table.columns):
            values = table.set_index("target")["M"].reindex(references)
            if values.notna().all():
                m = f" (geNorm M {', '.join(f'{v:.3f}' for v in values)})"
            pool = (f"{len(table)} candidates ("
                    f"{', '.join(html.escape(str(t)) for t in table['target'][:10])}"
                    f"{' ...' if len(table) > 10 else ''})")
        chosen = f"chosen by geNorm (Vandesompele et al. 2002) among {pool}{m}"
    else:
        chosen = "as given (qpcr_reference_genes)"
    sentence = (f" Reference genes: {shown}, {chosen}; a Ct of {max_ct:g} or more, or an "
                f"undetermined well, counted as not detected (policy {html.escape(policy)}).")
    never = [n for n, k in zip(names, n_undetermined, strict=False) if n_samples and int(k) == n_samples]
    if never:
        sentence += (f" Undetermined in every sample: {', '.join(html.escape(n) for n in never)}"
                     + " (no value: not tested, ranked or scored).")
    return sentence


def _rna_min_count(ctx: Context) -> int | None:
    """Return the RNA filter rna.h5ad records (:func:`_rna_filter`) when every table it shaped used it.

    A task that reads ``rna_min_count`` (:func:`task_values`: rna_prep and the tasks
    downstream of rna.h5ad) computed with another value, a stage command's or the run's
    (``pipeline_info/params.yaml``), means rna.h5ad was written again after those tables
    (``omics rna_prep`` by hand): None, and the methods state the parameter's values.
    """
    from ..stages._report import same_value

    if "_rna_min_count" in ctx.__dict__:
        return ctx.__dict__["_rna_min_count"]
    value = _rna_filter(ctx, "min_count")
    if value is not None:
        recorded, others = task_values(ctx.results.root, "rna_min_count")
        run = _run_record(ctx.results.root).get("rna_min_count")
        if any(not same_value("rna_min_count", v, value) for v in recorded.values()) or (
                others and (ctx.results.root / "pipeline_info" / "params.yaml").is_file()
                and not same_value("rna_min_count", run, value)):
            value = None
    ctx.__dict__["_rna_min_count"] = value
    return value


def _rerun_by_hand(ctx: Context) -> dict[str, dict[str, object]]:
    """``{parameter: {task: value}}`` of tasks stage commands ran with values other than the run's.

    The run's values are those of ``pipeline_info/params.yaml`` when the folder has it,
    else those the methods state.
    """
    from ..stages._report import same_value

    record = ctx.results.root / "pipeline_info" / "params.yaml"
    run = dict(ctx.params)
    if record.is_file():
        run |= {k: v for k, v in (yaml.safe_load(record.read_text()) or {}).items() if v is not None}
    found: dict[str, dict[str, object]] = {}
    for name, value in run.items():
        differing = {task: v for task, v in task_values(ctx.results.root, name)[0].items()
                     if not same_value(name, v, value)}
        if differing:
            found[name] = differing
    return found


def _rerun_note(rerun: dict[str, dict[str, object]], params: dict) -> str:
    """Return the warning naming the tasks a stage command ran with other values than the run's."""
    if not rerun:
        return ""
    items = "; ".join(f"{html.escape(name)} {html.escape(str(value))} in "
                      + ", ".join(f"<code>{html.escape(task)}</code>" for task in tasks)
                      for name, by_task in sorted(rerun.items())
                      for value, tasks in _by_value(by_task).items())
    return ("<div class='warning'>Tasks were run again by hand (stage commands) with parameters "
            f"other than the run's: {items}. Where every table a parameter shaped was computed with "
            "one value, the methods state it; otherwise they state the run's value followed by the "
            "tasks' values in brackets, as does the parameter table.</div>")


def _by_value(by_task: dict[str, object]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for task, value in sorted(by_task.items()):
        grouped.setdefault(str(value), []).append(task)
    return grouped


def _not_recorded() -> str:
    """Return the warning of a report whose run's parameters were not recorded."""
    return ("<div class='warning'>The run's parameters were not recorded (no "
            "<code>pipeline_info/params.yaml</code> in the results folder). Values marked "
            f"{GIVEN} are those given to this report (its defaults unless given on its command line), "
            "not necessarily the run's; the result tables are as the run computed them.</div>")


def methods(ctx: Context) -> str:
    """Return the Methods section: what was run with which settings, versions and references."""
    p = ctx.params
    res = ctx.results
    modalities = sorted({r.modality for r in res.de})
    cite: list[str] = []
    text = []
    v = _versions(ctx)

    def ver(name: str) -> str:
        return f" {html.escape(v[name])}" if name in v and v[name] != "not installed" else ""

    if modalities_note(ctx):
        text.append(modalities_note(ctx))
    if ctx.bali:
        text.append("Samples are bone-marrow mononuclear cells of the BALI trial (BM-MNC vs placebo; "
                    "response = survival without major amputation at 6 months).")
        cite.append("bali")
    rna_methods = {r.method for r in res.de if r.modality == "rna"}
    if "limma" in rna_methods:
        what = {"qpcr": "RT-qPCR relative quantities (log2, from Ct values and reference genes)",
                "array": "microarray log2 intensities"}.get(str(p.get("rna_format")), "log2 RNA values")
        trend = " with an intensity trend" if p.get("rna_format") == "array" else ""
        collapse = _array_collapse_text(ctx) if p.get("rna_format") == "array" else ""
        text.append(f"RNA {what} were tested with limma-style moderated t-statistics (lmFit, "
                    f"contrasts.fit, eBayes{trend}; the project's own implementation, checked against "
                    "R limma 3.54)."
                    + (_qpcr_text(ctx) if p.get("rna_format") == "qpcr" else "") + collapse)
        cite += ["limma", "ebayes"] + (["collapserows"] if "collapseRows" in collapse else [])
    if "deseq2" in rna_methods:
        min_samples = (f"{given(ctx, p['rna_min_samples'], 'rna_min_samples')} samples"
                       if p.get("rna_min_samples")
                       else "as many samples as the smallest compared group"
                       + ("" if ctx.params_known or "rna_min_samples" in _known_names(ctx) else GIVEN))
        min_count = _rna_min_count(ctx)  # as rna.h5ad records the filter it applied
        min_count = p.get("rna_min_count") if min_count is None else min_count
        min_count = given(ctx, min_count, "rna_min_count")
        text.append(f"RNA counts were filtered to genes with at least {min_count} "
                    f"counts in {min_samples} and tested with DESeq2's model (pydeseq2{ver('pydeseq2')}, "
                    "R DESeq2 1.38 estimators; Wald tests, independent filtering"
                    + (f" for an FDR of {given(ctx, format(p['deseq2_alpha'], 'g'), 'deseq2_alpha')}"
                       if p.get("deseq2_alpha") is not None else "")
                    + ", Benjamini-Hochberg adjustment"
                    + (f"; apeGLM-style shrunken fold changes{given(ctx, '', 'deseq2_shrink')}"
                       if p.get("deseq2_shrink")
                       else f"; apeGLM-style shrunken fold changes in {html.escape(shrunk)}"
                       if (shrunk := _tasks_with(ctx, "deseq2_shrink", True)) else "")
                    + ").")
        cite += ["deseq2", "pydeseq2"]
    if "protein" in modalities:
        valid = _percent(p.get('protein_min_valid_fraction', 0))
        values = ("NPX values" if str(p.get("protein_format") or "").strip().lower() == "olink"
                  else "intensities")
        text.append(f"Protein {values} ({_protein_input_text(ctx)} kept when "
                    f"quantified in at least "
                    f"{given(ctx, valid, 'protein_min_valid_fraction', shown=_percent)} of a group, "
                    f"normalised ({given(ctx, p.get('protein_normalization'), 'protein_normalization')}), "
                    f"imputation {given(ctx, p.get('protein_imputation'), 'protein_imputation')}, and "
                    "tested with limma-style moderated t-statistics "
                    "(lmFit, contrasts.fit, eBayes; the project's own implementation, checked against "
                    "R limma 3.54).")
        cite += [] if "limma" in cite else ["limma", "ebayes"]
    gating = _flow_input_text(ctx, ver("flowkit"))
    if gating:
        text.append(gating)
        cite += ["flowkit"] if flow_source(ctx) == "fcs" else []
    if "flow" in modalities:
        text.append("Flow-cytometry populations were tested on log2 absolute counts (half an event "
                    "added) with limma-style moderated t-statistics.")
        if "limma" not in cite:
            cite += ["limma", "ebayes"]
    other = [m for m in modalities if m not in {"rna", "protein", "flow"}]
    if other:
        text.append(f"Other modalities ({html.escape(', '.join(other))}) were tested with limma-style "
                    "moderated t-statistics.")
        if "limma" not in cite:
            cite += ["limma", "ebayes"]
    gsea_paths = res.find("*.gsea.tsv")
    if gsea_paths and not _any_rows(res, gsea_paths + res.find("*.ora.tsv")):
        text.append("Gene-set enrichment (GSEA prerank with "
                    f"{given(ctx, p.get('gsea_permutations'), 'gsea_permutations', stages=_ENRICH)} "
                    f"gene permutations (seed {given(ctx, p.get('seed'), 'seed', stages=_ENRICH)}), and "
                    "over-representation) tested no gene set: none had "
                    f"{given(ctx, p.get('gsea_min_size'), 'gsea_min_size', stages=_ENRICH)} ranked genes "
                    "(the enrichment tables are empty).")
    elif gsea_paths:
        tested = dict(sorted(panel_counts(gsea_paths).items(), key=lambda kv: _order(kv[0])))
        panel = (f"the {_panel_size(tested)} GO angiogenesis sets" if ctx.default_panel
                 else f"the user's gene sets ({given(ctx, p.get('genesets'), 'genesets', stages=_ENRICH)})")
        if tested:
            panel += (" (tested: " + ", ".join(f"{n} with {html.escape(LABELS.get(m, m))}"
                                               for m, n in tested.items())
                      + "; a set needs "
                      + given(ctx, p.get("gsea_min_size"), "gsea_min_size", stages=_ENRICH)
                      + " ranked genes)")
        # qPCR/array RNA is tested by limma: ranked by its moderated t, not the DESeq2 Wald statistic
        statistic = {**STATISTICS, **({"rna": "the moderated t (RNA)"}
                                      if "limma" in rna_methods and "deseq2" not in rna_methods else {})}
        statistics = [statistic.get(m, f"the moderated t ({html.escape(m)})") for m in tested] or [
            statistic[m] for m in modalities if m in statistic]
        background = p.get("background_genesets")
        if background and str(background).lower() == "none":
            bg = "alone"
        elif background:
            bg = ("together with the background "
                  + given(ctx, background, "background_genesets", stages=_ENRICH))
        elif ctx.default_panel:
            bg = "together with the GO biological-process background (10-500 genes)"
        else:
            bg = "alone (the user's sets replace the default background)"
        ora = (f"FDR &lt; {given(ctx, ctx.fdr, 'de_fdr', stages=_ENRICH)}"
               if ctx.params_known or "de_fdr" in _known_names(ctx)
               else ctx.run_fdr() + _other_values(ctx, "de_fdr", _ENRICH))
        text.append(f"Genes were ranked by {' or '.join(statistics)} and "
                    f"{panel} were tested by GSEA prerank {bg}, with "
                    f"{given(ctx, p.get('gsea_permutations'), 'gsea_permutations', stages=_ENRICH)} gene "
                    f"permutations (seed {given(ctx, p.get('seed'), 'seed', stages=_ENRICH)}), background "
                    f"sets of {given(ctx, p.get('gsea_min_size'), 'gsea_min_size', stages=_ENRICH)}-"
                    f"{given(ctx, p.get('gsea_max_size'), 'gsea_max_size', stages=_ENRICH)} genes, FDR "
                    f"from the pooled NES null; over-representation of the features at {ora} by "
                    "hypergeometric tests with BH adjustment.")
        cite += ["gsea", "gseapy", "bh"] + (["go"] if ctx.default_panel else [])
    model_path = res.first("response_model.tsv")
    model = res.read(model_path) if model_path else None
    if model is not None and model.empty:
        text.append("No per-sample score was related to response (no panel set was scored; the "
                    "response-model table is empty).")
    elif model is not None:
        folds = _folds_used(model, p.get("cv_folds"))
        if not any(str(c).startswith("cv_folds_") for c in model.columns):  # not in the table
            folds = given(ctx, folds, "cv_folds", stages=_SCORE, shown=lambda v: f"{v}-fold")
        covs = _covariates_used(ctx)
        screen = ("a Benjamini-Hochberg screen over both arms' p-values of all scores of a modality"
                  if p.get("response_multiplicity") == "bh" else "no multiplicity screen across scores")
        text.append(f"Per-sample scores ({given(ctx, p.get('score_method'), 'score_method', stages=_SCORE)}) "
                    "of each panel set were related to response by logistic regression per SD of the "
                    "score, adjusted for "
                    f"{given(ctx, covs, 'response_covariates', stages=_SCORE, shown=_covariates)}: within "
                    "each arm, pooled, and with an arm x score interaction: Firth-penalised fits with "
                    "penalised-likelihood-ratio tests (a score test for the interaction), "
                    f"{screen}{given(ctx, '', 'response_multiplicity', stages=_SCORE)}, and AUCs from "
                    f"{given(ctx, p.get('cv_repeats'), 'cv_repeats', stages=_SCORE)} repeats of stratified "
                    f"{folds} "
                    "cross-validation.")
        cite += ["firth", "sklearn"] + (["decoupler"] if p.get("score_method") == "ulm" else [])
        text.append(_flow_scores_text(model, flow_parents(ctx)))
    phenotype_path = res.first("score_phenotype_correlation.tsv")
    if phenotype_path is not None:
        text.append(_phenotype_text(res.read(phenotype_path)))
    if res.first("survival_model.tsv") or res.first("km_logrank.tsv", "km_curves.tsv"):
        survival, references = _survival_text(ctx, ver("lifelines"))
        text.append(survival)
        cite += references
    if res.first("concordance.tsv") or res.first("pathway_evidence.tsv"):
        text.append("mRNA and protein were joined per gene symbol in a MuData object; fold-change "
                    "concordance (Spearman), per-gene mRNA-protein correlation across samples and "
                    "the joint pathway evidence (Stouffer's method over modalities) are reported.")
        cite += ["mudata", "stouffer"]
    cite.append("scanpy")
    refs = "".join(f"<li>{html.escape(REFERENCES[k])}</li>" for k in dict.fromkeys(cite))
    rerun = _rerun_by_hand(ctx)
    # (the text names the tasks' other values; the table adds them to the stated one)
    params = pd.DataFrame({"parameter": list(p), "value": [
        str(x) + "".join(f" ({', '.join(tasks)}: {value})"
                         for value, tasks in _by_value(rerun.get(k, {})).items() if value != str(x))
        for k, x in p.items()]})
    versions = pd.DataFrame({"software": list(v), "version": list(v.values())})
    title = ("Parameters of this run" if ctx.params_known
             else "Parameters given to this report (the run's were not recorded)")
    return (("" if ctx.params_known else _not_recorded()) + _rerun_note(rerun, p)
            + "<p>" + " ".join(text) + "</p><h3>References</h3><ol class='refs'>" + refs + "</ol>"
            + f"<details><summary>{title}</summary>"
            + scope_headers(params.to_html(classes="static", border=0, index=False)) + "</details>"
            + "<details><summary>Software versions</summary>"
            + scope_headers(versions.to_html(classes="static", border=0, index=False)) + "</details>")


def _array_collapse_text(ctx: Context) -> str:
    """Say how microarray probes became genes, as rna.h5ad records it (empty when not recorded).

    With gene symbols: per symbol the probe with the highest mean log2 intensity over the
    sample sheet's samples (WGCNA collapseRows "MaxMean", :func:`omics.pp.collapse_probes`),
    with the numbers of probes and features (``var["n_probes"]``). Without symbols (a GEO
    series matrix): the probes were tested as they are.
    """
    record = rna_input_record(ctx)
    if record.get("gene_symbols") is False:
        return (" The matrix has no gene symbols, so its probes were tested as they are (not "
                "collapsed to genes).")
    path = ctx.results.first("rna/rna.h5ad", "rna.h5ad")
    counts = ""
    try:
        import h5py

        with h5py.File(path, "r") as handle:
            n_probes = handle["var/n_probes"][()]
        counts = f"; {int(n_probes.sum()):,} probes with values to {len(n_probes):,} features"
    except Exception:  # noqa: BLE001 - not recorded (an older or foreign rna.h5ad): no numbers
        if record.get("gene_symbols") is not True:
            return ""
    return (" Probes were collapsed to genes first: per gene symbol the probe with the highest "
            "mean log2 intensity over the sample sheet's samples (WGCNA collapseRows "
            f"\"MaxMean\"; probes without a symbol kept as they are{counts}).")


def _phenotype_text(table: pd.DataFrame) -> str:
    """Say how ``scores/score_phenotype_correlation.tsv`` was computed (a Methods sentence)."""
    phenotypes = (sorted({str(v) for v in table["phenotype"].dropna()})
                  if "phenotype" in table else [])
    which = f" ({html.escape(', '.join(phenotypes))})" if phenotypes else ""
    return ("Each score was correlated across patients with the phenotype of each continuous "
            f"contrast{which} (Spearman and Pearson; scores/score_phenotype_correlation.tsv), with "
            "Benjamini-Hochberg adjustment of the Spearman p-values over the scores of a modality and "
            "phenotype.")


def _protein_input_text(ctx: Context) -> str:
    """``"maxquant, LFQ intensity) were log2-transformed,"`` or ``"proteus, already log2) were"``.

    The intensity family is named for MaxQuant only; proteus and Olink NPX are log2 by
    definition, and MaxQuant and TSV input with ``protein_is_log2``.
    """
    p = ctx.params
    fmt = str(p.get("protein_format") or "").strip().lower()
    log2 = fmt in {"proteus", "olink"} or (fmt in {"maxquant", "tsv"} and bool(p.get("protein_is_log2")))
    source = given(ctx, p.get("protein_format"), "protein_format")
    if fmt == "maxquant":
        source += f", {given(ctx, p.get('protein_intensity'), 'protein_intensity')}"
    if fmt == "olink":  # Normalized Protein eXpression: log2 by definition, not an intensity
        return f"{source}: Olink's Normalized Protein eXpression, relative log2 units) were"
    return f"{source}, already log2) were" if log2 else f"{source}) were log2-transformed,"


def _any_rows(res: object, paths: list) -> bool:
    """Whether any of the tables at ``paths`` has a row (an empty one is header-only)."""
    return any(not res.read(path).empty for path in paths)


def _covariates_used(ctx: Context) -> str:
    """Return the ``response_covariates`` the score models used, as the Methods name them.

    The models skip the covariates of the default (``age,diabetes``) that the sample sheet
    lacks or leaves empty for every sample (:func:`omics.stages._validate.response_covariates`;
    any other list must be in the sheet and hold values, or the run stops), so of the
    default only the sheet's columns with a value are named; without a sample sheet, the
    parameter's list.
    """
    from ..params import BY_NAME, split_list

    covs = split_list(ctx.params.get("response_covariates"))
    if len(ctx.obs.columns) and covs == split_list(BY_NAME["response_covariates"].default):
        covs = [c for c in covs if c in ctx.obs.columns and ctx.obs[c].notna().any()]
    return ", ".join(covs) or "no covariate"


def _survival_text(ctx: Context, lifelines: str) -> tuple[str, list[str]]:
    """Describe the run's survival analysis (Cox models, Kaplan-Meier, log-rank) and its references.

    Parameters
    ----------
    ctx
        The report's context: which survival tables the run wrote, and its parameters.
    lifelines
        ``" <version>"`` of lifelines, or ``""``.

    Returns
    -------
    (str, list of str)
        The paragraph and the keys of :data:`REFERENCES` it cites.
    """
    p, res = ctx.params, ctx.results
    parts, cite = [], []
    if res.first("survival_model.tsv"):
        covs = _covariates_used(ctx)
        arm_test = str(default_of("tl._api_outcome", "survival_model", "arm_test"))
        alpha = float(default_of("tl._api_outcome", "survival_model", "alpha"))
        horizon = float(default_of("tl._api_outcome", "survival_model", "horizon_days"))
        within = ("Efron score tests at the fit without the score" if arm_test == "score"
                  else "partial-likelihood-ratio tests" if arm_test == "lrt"
                  else f"{html.escape(arm_test)} tests")
        screen = ("the Benjamini-Hochberg screen over both arms' p-values of all scores of a "
                  "modality" if p.get("response_multiplicity", "bh") == "bh"
                  else "no multiplicity screen across scores")
        parts.append(
            "Amputation-free survival (time afs_days; event afs_event, major amputation or death), "
            f"follow-up censored at day {horizon:g} (the six-month end point), "
            f"was related to each score per SD by Cox proportional-hazards models (lifelines{lifelines} "
            "CoxPHFitter, Efron's method for tied times), adjusted for "
            f"{given(ctx, covs, 'response_covariates', stages=_SCORE, shown=_covariates)}: within "
            "each arm, pooled (arm as covariate) and with an arm x score interaction. The score's "
            f"p-value within each arm is from {within}, those of the pooled and interaction terms "
            "from partial-likelihood-ratio tests; hazard ratios have Wald 95% intervals, and "
            "proportional hazards were checked by the Schoenfeld-residual test of each model's "
            f"score term. Scores were classified with {screen}"
            f"{given(ctx, '', 'response_multiplicity', stages=_SCORE)} at {alpha:g} and the response "
            "model's rule, on the log hazard ratios.")
        cite += ["cox", "efron", "grambsch", "lifelines"]
    if res.first("km_logrank.tsv", "km_curves.tsv"):
        parts.append("Kaplan-Meier curves of the patients above vs at or below the score's median "
                     "within each arm were compared by log-rank tests within the arm (the project's "
                     "own implementation, equal to lifelines' KaplanMeierFitter and logrank_test).")
        cite += ["kaplan_meier", "logrank"] + ([] if "lifelines" in cite else ["lifelines"])
    return " ".join(parts), cite


def _number(value: object) -> str:
    """Return a parameter value as the Methods print it (``50000``, ``100``, ``2.5``)."""
    try:
        return f"{float(value):g}"
    except (TypeError, ValueError):
        return html.escape(str(value))


def _flow_input_text(ctx: Context, flowkit: str) -> str:
    """Describe how the run got its flow populations: FCS gating with FlowKit, or a table; the counts.

    Parameters
    ----------
    ctx
        The report's context: the run's flow.h5ad (``uns["source"]``, ``uns["absolute_unit"]``)
        and its parameters.
    flowkit
        ``" <version>"`` of FlowKit, or ``""``.

    Returns
    -------
    str
        The sentences, or ``""`` without flow results.
    """
    from ..stages._flow import DEFAULT_GATING

    p = ctx.params
    source = flow_source(ctx)
    if source is None:
        return ""
    if source == "fcs":
        gating = p.get("flow_gating")
        if gating:
            name = given(ctx, PurePath(str(gating)).name, "flow_gating", shown=_file_name)
            kind = ("FlowJo 10 workspace" if str(gating).lower().endswith(".wsp")
                    else "Gating-ML 2.0 gating strategy")
            template = f"the {kind} {name}"
        else:
            template = ("the shipped Gating-ML 2.0 BM-MNC progenitor template (metadata/"
                        + "/".join(DEFAULT_GATING) + ")" + given(ctx, "", "flow_gating", shown=_file_name))
        text = (f"FCS files were gated with FlowKit{flowkit} applying {template} to every file; "
                "each population's events and its parent gate's events were counted per sample.")
    else:
        name = PurePath(str(p.get("flow_table") or "")).name
        name = given(ctx, name, "flow_table", shown=_file_name) if name else ""
        text = ("Flow-cytometry populations (events and parent events per sample) were read from the "
                f"exported population table{f' {name}' if name else ''}.")
    unit = flow_uns(ctx, "absolute_unit")  # as recorded: cells_per_uL, ...
    bead_gate = given(ctx, p.get("flow_bead_gate") or "Beads", "flow_bead_gate")
    if unit == "cells_per_uL" and p.get("flow_beads_per_test") is not None:
        text += (f" Absolute counts (cells/µL) = population events / counting-bead events (gate "
                 f"{bead_gate}) x {_number(p['flow_beads_per_test'])}"
                 f"{given(ctx, '', 'flow_beads_per_test', shown=_number)} beads per test / "
                 f"{_number(p.get('flow_sample_volume_ul', 100))}"
                 f"{given(ctx, '', 'flow_sample_volume_ul', shown=_number)} µL stained; the beads "
                 "are a reference, not a tested population.")
    elif p.get("flow_cell_count_col") and unit not in (None, "per_million_events"):
        text += (" Absolute counts = population events / "
                 f"{given(ctx, p.get('flow_count_reference'), 'flow_count_reference')} events x the sample "
                 f"sheet's {given(ctx, p['flow_cell_count_col'], 'flow_cell_count_col')} "
                 f"({html.escape(flow_unit_label(unit))}).")
    elif unit == "per_million_events":
        text += (" Without counting beads or a cell count, counts are per million acquired events "
                 "(a frequency, not a concentration).")
    elif unit is not None and source == "table":
        text += f" Absolute counts are the table's own ({html.escape(flow_unit_label(unit))})."
    return text


def _flow_scores_text(model: pd.DataFrame, parents: dict[str, str]) -> str:
    """Describe the flow scores of the response models: percent of which parent gate, which dose."""
    scores = [str(s) for s in model.loc[model["modality"] == "flow", "score"].drop_duplicates()] \
        if {"modality", "score"} <= set(model.columns) else []
    doses = [s.removeprefix("dose:") for s in scores if s.startswith("dose:")]
    content = [s for s in scores if not s.startswith("dose:")]
    if not scores:
        return ""
    gates = {**parents, **{s: "all events" for s, parent in parents.items() if parent == "root"}}
    named = [f"{html.escape(s)} of {html.escape(gates[s])}" if gates.get(s) else html.escape(s)
             for s in content]
    text = ("In the response models a flow population's score is its log2 percentage of its parent "
            f"gate (half an event added): {', '.join(named)}")
    if any(parents.get(s) == "LymphBlast" for s in content if s.startswith("CD34")):
        text += (" (CD34 as a percentage of the lymph-blast gate, not the ISHAGE percentage of "
                 "viable CD45+ leukocytes)")
    text += "."
    if doses:
        text += (" The dose score (" + ", ".join(html.escape(d) for d in doses) + ") is the log10 "
                 "absolute count (made per graft when the counts are per µL or mL and the sample sheet "
                 "gives graft volumes).")
    return text


def _folds_used(model: pd.DataFrame, asked: object) -> str:
    """``"5-fold"``, or what the models used when their smaller response class allowed fewer folds."""
    columns = [c for c in model.columns if str(c).startswith("cv_folds_")]
    used = sorted({int(v) for c in columns for v in pd.to_numeric(model[c], errors="coerce").dropna()
                   if v >= 2})
    if not used or used == [asked]:
        return f"{asked}-fold"
    shown = " or ".join(str(v) for v in used)
    return (f"{shown}-fold ({asked} folds asked; a model uses at most as many folds as its smaller "
            "response class has patients)")
