"""Stage ``score``: per-patient angiogenic scores and response models."""

from __future__ import annotations

import inspect
from contextlib import AbstractContextManager
from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import InputError, NoEventsError
from .._logging import get_logger, labelled
from .._parallel import map_processes
from ..io import write_tsv
from ..tl import (
    expression_by_gene,
    kaplan_meier,
    response_model,
    response_roc,
    sample_scores,
    score_phenotype_correlation,
    score_redundancy,
    survival_model,
)
from ._common import check_h5ad, gene_set_collections, out_path, read_h5ad
from ._flow import scores_with_events
from ._panel import check_panel_symbols, panel_names
from ._validate import response_covariates

log = get_logger("score")

SCORE_LAYER = {"rna": "vst", "protein": None}
CALLED = ("predictive", "prognostic", "treated_only")
SURVIVAL = ("afs_days", "afs_event")
ROC_TOP = 4  # scores per modality whose cross-validated ROC curves are written
_PARTS = ("long", "phenotype", "model", "roc", "surv", "km", "lr", "red")
#: Loggers of the scores and models of one modality: their lines name it (``rna: response_model: ...``).
#: The genes of a set a score needs (``omics.tl.sample_scores``' ``min_size``, which the stage
#: leaves at its default).
MIN_SCORE_GENES = inspect.signature(sample_scores).parameters["min_size"].default
_MODALITY_LOGGERS = ("tl.scores", "tl.response", "tl.survival")
#: ``obsm``/``uns`` key of the scores in the modality's AnnData (in the worker; not written).
_SCORES_KEY = "angio_scores"


def _modality_logs(modality: str) -> AbstractContextManager[None]:
    """Start the lines :data:`_MODALITY_LOGGERS` log meanwhile with ``<modality>: ``."""
    return labelled(f"{modality}: ", _MODALITY_LOGGERS)


def _modality_scores(adata, modality: str, panel: dict, params: dict  # noqa: ANN001 - AnnData
                     ) -> tuple[pd.DataFrame, dict[str, list[str]]] | None:
    """Return (samples x scores, the genes each score was computed on) of one modality.

    Gene-set scores for RNA and protein; for flow, one score per population and the
    implanted dose (no genes), leaving out populations with no event in any sample
    (:func:`omics.stages._flow.populations_without_events`; logged). None when the
    modality has no scores.
    """
    if modality == "flow":
        scores = scores_with_events(adata, params.get("flow_dose_population"),
                                    what="the scores and the response and survival models")
        return (scores, {}) if scores.shape[1] else None
    layer = SCORE_LAYER[modality]
    expression = expression_by_gene(adata, layer)
    measured = set(expression.columns)
    if not any(len(measured.intersection(genes)) >= 5 for genes in panel.values()):
        log.warning("%s: no panel gene set has 5 measured genes (gene names missing?); no "
                    "scores for this modality", modality)
        return None
    method = params["score_method"]
    if method != "zmean":  # ulm and ssgsea score on the genes observed in every sample
        complete = set(expression.columns[expression.notna().all().to_numpy()])
        sizes = [len(complete.intersection(genes)) for genes in panel.values()]
        if not any(size >= 5 for size in sizes):
            log.warning("%s: no panel gene set has 5 genes measured in every sample, which "
                        "--score_method %s needs; no scores for this modality (zmean handles "
                        "missing values, or impute them)", modality, method)
            return None
        if not any(5 <= size < len(complete) for size in sizes):
            log.warning("%s: every panel gene set with 5 genes measured in every sample holds all "
                        "%d such genes, and --score_method %s compares a set's genes with the "
                        "other genes of a sample; no scores for this modality (zmean scores such "
                        "a set)", modality, len(complete), method)
            return None
    if method == "zmean" and _qpcr_missing(adata):
        panel = _complete_targets(expression, panel, modality)
        if not any(len(measured.intersection(genes)) >= MIN_SCORE_GENES for genes in panel.values()):
            log.warning("%s: no panel gene set has %d targets detected in every sample (qPCR "
                        "--qpcr_undetermined missing); no scores for this modality", modality,
                        MIN_SCORE_GENES)
            return None
    scores = sample_scores(adata, panel, layer=layer, method=method, key_added=_SCORES_KEY)
    return scores, adata.uns[_SCORES_KEY]["gene_sets"]


def _qpcr_missing(adata) -> bool:  # noqa: ANN001 - AnnData
    """Whether ``adata`` is qPCR RNA prepared with ``--qpcr_undetermined missing``."""
    qpcr = adata.uns.get("qpcr")
    return isinstance(qpcr, dict) and str(qpcr.get("undetermined_policy")) == "missing"


def _complete_targets(expression: pd.DataFrame, panel: dict[str, list[str]], modality: str
                      ) -> dict[str, list[str]]:
    """Return the panel restricted to the targets with a value in every sample (qPCR ``missing``).

    With ``--qpcr_undetermined missing`` a target is missing where it was not detected,
    i.e. where it is expressed lowest: a z-mean over the targets each sample has would
    drop the low-expressing patients from a set (fewer than 5 targets left) and the
    models would be fitted on patients selected by their expression (missing not at
    random; often by their response). As ``ulm`` and ``ssgsea`` do, the sets are scored
    on the targets detected in every sample, so every patient has every score (logged).
    """
    incomplete = set(expression.columns[expression.isna().any().to_numpy()])
    used = {g for genes in panel.values() for g in genes}
    left_out = sorted(incomplete & used)
    if left_out:
        log.info("%s: qPCR with --qpcr_undetermined missing: the scores use the targets detected "
                 "in every sample; left out of them: %s (undetermined in some samples, where "
                 "expression is lowest: a score over the targets each sample has would drop "
                 "those patients from the models)", modality, ", ".join(left_out))
    kept = {term: [g for g in genes if g not in incomplete] for term, genes in panel.items()}
    # (the sets a score needs MIN_SCORE_GENES of: named, as the limit policy names its own)
    dropped = [term for term, genes in kept.items()
               if len(genes) < MIN_SCORE_GENES <= len(panel[term])]
    if dropped:
        log.warning("%s: %d gene set(s) left with fewer than %d targets detected in every sample, "
                    "not scored: %s", modality, len(dropped), MIN_SCORE_GENES, ", ".join(dropped))
    return kept


def _warn_missing_scores(scores: pd.DataFrame, obs: pd.DataFrame, modality: str) -> None:
    """Warn, per score, when some patients have no value, with the counts by arm x response.

    The response and survival models use the patients with a score: when the missing
    ones are concentrated in one arm or response group the models are fitted on a
    selected subset (a missing-not-at-random pattern the ``n`` column alone hides).
    """
    missing = scores.isna()
    for name in scores.columns[missing.any().to_numpy()]:
        lost = missing[name]
        groups = ""
        columns = [c for c in ("arm", "response") if c in obs]
        if columns:
            labels = obs.loc[scores.index, columns].astype("string").fillna("NA").agg("/".join, axis=1)
            counts = [f"{group} {int(lost[labels == group].sum())} of {int((labels == group).sum())}"
                      for group in sorted(labels.unique()) if lost[labels == group].any()]
            groups = f" ({'/'.join(columns)}: {', '.join(counts)})"
        why = ("no value for them" if modality == "flow"
               else "too few of its genes measured in them")
        log.warning("%s: score %s is missing for %d of %d patients%s (%s): the response and survival "
                    "models leave them out", modality, name, int(lost.sum()), len(lost), groups, why)


def _modality_tables(task: tuple) -> dict[str, list[pd.DataFrame]] | None:
    """Scores and models of one modality (runs in a worker process with ``n_cpus`` > 1).

    ``task`` is (modality, h5ad path, panel, params, continuous outcomes). Returns lists of tables keyed by
    ``long``, ``phenotype``, ``model``, ``roc``, ``surv``, ``km``, ``lr``, ``red`` (each
    table with its ``modality``), or None when the modality has no scores.
    """
    modality, path, panel, params, outcomes = task
    layer = SCORE_LAYER.get(modality)
    adata = read_h5ad(path, layers=(layer,) if layer else None)
    computed = _modality_scores(adata, modality, panel, params)
    if computed is None:
        return None
    scores, scored_genes = computed
    out: dict[str, list[pd.DataFrame]] = {key: [] for key in _PARTS}
    long = scores.rename_axis("sample").reset_index().melt(
        id_vars="sample", var_name="term", value_name="score")
    long.insert(1, "modality", modality)
    out["long"].append(long)
    obs = adata.obs.loc[scores.index]
    _warn_missing_scores(scores, obs, modality)
    # this file's phenotypes, then those the other modalities' files record (flow.h5ad
    # records none: its populations and dose are correlated with the RNA/protein ones)
    for outcome in dict.fromkeys([*adata.uns.get("continuous_outcomes", []), *outcomes]):
        if outcome in obs:
            table = score_phenotype_correlation(scores, obs[outcome].rename(outcome))
            table.insert(0, "modality", modality)
            out["phenotype"].append(table)
    covariates = response_covariates(params, obs, path=path)
    model = surv = None
    try:  # the models read the samples of this file: their errors name it
        if {"arm", "response"} <= set(obs.columns) and obs["response"].notna().any():
            model, cv = response_model(scores, obs, covariates=covariates, folds=params["cv_folds"],
                                       repeats=params["cv_repeats"], seed=params["seed"],
                                       multiplicity=params["response_multiplicity"], return_cv=True)
            roc = response_roc(model, cv, top=ROC_TOP)
            roc.insert(0, "modality", modality)
            out["roc"].append(roc)
        else:
            log.info("%s: no 'arm'/'response' columns, response model skipped", modality)
        if {"arm", *SURVIVAL} <= set(obs.columns) and obs["afs_days"].notna().any():
            try:
                surv = survival_model(scores, obs, covariates=covariates,
                                      multiplicity=params["response_multiplicity"])
            except NoEventsError as error:  # another modality's samples may have events
                log.warning("%s: no survival model or Kaplan-Meier curves for this modality: %s",
                            modality, error.message)
            else:
                curves, logrank = kaplan_meier(scores, obs)
                out["km"].append(curves.assign(modality=modality))
                out["lr"].append(logrank.assign(modality=modality))
    except InputError as error:
        raise error.with_path(path) from None
    tables = [t for t in (model, surv) if t is not None]
    called = [name for name in scores.columns
              if any((t.set_index("score").loc[name, "classification"] in CALLED) for t in tables)]
    strength = {}
    for t in tables:
        for name, q in zip(t["score"], t["fdr_screen"], strict=True):
            strength[name] = min(strength.get(name, np.inf), q if np.isfinite(q) else np.inf)
    genes = {name: list(scored_genes[name]) for name in scores.columns if name in scored_genes}
    pairs, groups = score_redundancy(scores, genes, called, strength=strength)
    out["red"].append(pairs.assign(modality=modality))
    for t, key in ((model, "model"), (surv, "surv")):
        if t is not None:
            t = t.assign(signal_group=[groups.get(name, "") for name in t["score"]])
            t.insert(0, "modality", modality)
            out[key].append(t)
    return out


def _check_options(h5ads: dict[str, str | Path], panel: dict[str, list[str]], params: dict) -> None:
    """Stop on a bad option before anything is computed, as the input check of ``omics run`` does.

    Checked against each file's ``obs`` and ``var`` alone (no matrix is read): the
    ``response_covariates`` and the ``flow_dose_population`` (checked again where they are
    used, the models and the flow scores), and a ``--genesets`` panel without a gene of
    the RNA or protein data (:func:`omics.stages._panel.check_panel_symbols`), so that
    a typo stops the stage at once, not after the other modalities' models.
    """
    import h5py
    from anndata.io import read_elem

    names = {}
    for modality, path in h5ads.items():
        with h5py.File(path, "r") as file:
            obs = read_elem(file["obs"])
            var = read_elem(file["var"])
        populations = [str(name) for name in var.index]
        response_covariates(params, obs, path=path)
        if modality in SCORE_LAYER and "gene_name" in var:
            names[modality] = panel_names(var.index, var["gene_name"], path)
        dose = params.get("flow_dose_population")
        if modality == "flow" and dose and dose not in populations:
            raise InputError(f"{{--flow_dose_population}} {dose!r} is not a population of the flow "
                             f"data (populations: {', '.join(populations)}).", path=path,
                             fix="Give one of these names (they are case-sensitive).")
    check_panel_symbols(panel, names, params.get("genesets"))


def _continuous_outcomes(h5ads: dict[str, str | Path]) -> list[str]:
    """Return the phenotypes of continuous contrasts that any of ``h5ads`` records, in file order.

    The RNA and protein preparations record them (``uns["continuous_outcomes"]``, from the
    validated contrasts); the flow preparation has no contrasts, so its scores (the
    populations and the dose) are correlated with the phenotypes the others record.
    """
    import h5py
    from anndata.io import read_elem

    found: list[str] = []
    for path in h5ads.values():
        with h5py.File(path, "r") as file:
            if "uns" in file and "continuous_outcomes" in file["uns"]:
                values = read_elem(file["uns"]["continuous_outcomes"])
                found += [v.decode() if isinstance(v, bytes) else str(v)
                          for v in np.atleast_1d(np.asarray(values, dtype=object))]
    return list(dict.fromkeys(found))


def _labelled_tables(task: tuple) -> dict[str, list[pd.DataFrame]] | None:
    """:func:`_modality_tables`, its log lines naming the modality (``task[0]``)."""
    with _modality_logs(task[0]):
        return _modality_tables(task)


def score(*, h5ads: dict[str, str | Path], outdir: str | Path, params: dict) -> dict[str, Path]:
    """Write the per-patient scores, the response and survival models and their redundancy.

    Scores (one per panel set, sample and modality; long format) come from the VST (RNA)
    or the prepared log2 intensities (protein) with ``score_method``. A ``flow`` h5ad adds
    one score per population (log2 percent of parent) and the implanted dose (log10
    absolute count of ``flow_dose_population``), modality ``flow``. Files in ``scores/``
    (columns documented in :func:`omics.tl.response_model`,
    :func:`omics.tl.survival_model`, :func:`omics.tl.kaplan_meier` and
    :func:`omics.tl.score_redundancy`; every table has a leading ``modality`` column):

    - ``angiogenesis_scores.tsv``: ``sample, modality, term, score``;
    - ``response_model.tsv`` (needs ``arm`` and ``response``): logistic models, plus
      ``signal_group``;
    - ``response_roc.tsv`` (with ``response_model.tsv``): ROC points of the
      cross-validation's out-of-fold predictions, all patients, its first repeat, for
      the ``ROC_TOP`` scores of each modality with the lowest ``fdr_screen``
      (:func:`omics.tl.response_roc`), which the report draws;
    - ``survival_model.tsv`` (only with ``afs_days``/``afs_event``): Cox models, plus
      ``signal_group``;
    - ``km_curves.tsv`` and ``km_logrank.tsv`` (only with survival columns);
    - ``score_redundancy.tsv``: pairs of called scores (called in either model) with
      gene overlap (Jaccard), correlation and ``linked``;
    - ``score_phenotype_correlation.tsv`` (only with continuous contrasts, whose
      phenotypes the RNA and protein prep stages record in ``uns["continuous_outcomes"]``):
      every modality's scores, the flow populations and dose too, with each phenotype any
      of the files records.

    ``signal_group`` names, for a called score, the strongest score of its group of
    overlapping or correlated calls (empty when not called).

    The modalities are scored and modelled in up to ``n_cpus`` worker processes (each
    modality's tables are the same whichever process computes them). Every ``h5ad`` is
    checked first (:func:`check_h5ad`: the modality of its option, the layer scored).
    """
    for modality, path in h5ads.items():
        layer = SCORE_LAYER.get(modality)
        check_h5ad(path, modality, option=f"{modality}_h5ad", layers=(layer,) if layer else ())
    panel, _ = gene_set_collections(params.get("genesets"), "none")
    _check_options(h5ads, panel, params)
    outcomes = _continuous_outcomes(h5ads)
    tasks = [(modality, str(path), panel, params, outcomes) for modality, path in h5ads.items()]
    parts: dict[str, list[pd.DataFrame]] = {key: [] for key in _PARTS}
    for tables in map_processes(_labelled_tables, tasks, params.get("n_cpus") or 1):
        for key, found in (tables or {}).items():
            parts[key] += found
    long_parts, model_parts, surv_parts = parts["long"], parts["model"], parts["surv"]
    km_parts, lr_parts, red_parts = parts["km"], parts["lr"], parts["red"]
    phenotype_parts = parts["phenotype"]
    if not long_parts:
        long_parts.append(pd.DataFrame(columns=["sample", "modality", "term", "score"]))
    scores_long = pd.concat(long_parts, ignore_index=True).sort_values(
        ["modality", "term", "sample"], kind="stable")
    models = (pd.concat(model_parts, ignore_index=True) if model_parts
              else pd.DataFrame(columns=["modality", "score", "classification"]))
    no_pairs = pd.DataFrame(columns=["modality", *score_redundancy(pd.DataFrame(), {}, [])[0].columns])
    red_parts = [part for part in red_parts if not part.empty]  # pandas: empty parts set no dtypes
    redundancy = _leading("modality", pd.concat(red_parts, ignore_index=True) if red_parts else no_pairs)
    out = {
        "scores": write_tsv(scores_long, out_path(outdir, "scores", "angiogenesis_scores.tsv")),
        "response_model": write_tsv(models, out_path(outdir, "scores", "response_model.tsv")),
        "score_redundancy": write_tsv(redundancy, out_path(outdir, "scores", "score_redundancy.tsv")),
    }
    if parts["roc"]:
        out["response_roc"] = write_tsv(pd.concat(parts["roc"], ignore_index=True),
                                        out_path(outdir, "scores", "response_roc.tsv"))
    if phenotype_parts:
        out["phenotype"] = write_tsv(pd.concat(phenotype_parts, ignore_index=True),
                                     out_path(outdir, "scores", "score_phenotype_correlation.tsv"))
    if surv_parts:
        out["survival_model"] = write_tsv(pd.concat(surv_parts, ignore_index=True),
                                          out_path(outdir, "scores", "survival_model.tsv"))
        out["km_curves"] = write_tsv(_leading("modality", pd.concat(km_parts, ignore_index=True)),
                                     out_path(outdir, "scores", "km_curves.tsv"))
        out["km_logrank"] = write_tsv(_leading("modality", pd.concat(lr_parts, ignore_index=True)),
                                      out_path(outdir, "scores", "km_logrank.tsv"))
    return out


def _leading(column: str, table: pd.DataFrame) -> pd.DataFrame:
    return table[[column, *[c for c in table.columns if c != column]]]
