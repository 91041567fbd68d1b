"""Stage ``validate``: check every input before any computation."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import InputError
from .._logging import get_logger, info_as_debug
from .._manifests import sha256_file
from .._provenance import input_record
from ..io import (
    atomic_path,
    match_samples,
    read_contrasts,
    read_rna_counts,
    read_samplesheet,
    write_contrasts,
    write_text,
)
from ..params import BY_NAME, split_list
from ..pp import contrast_groups, filter_valid_values, log2_transform, low_count_keep
from ..tl import continuous_values, design_for_contrast, level_per_sample, smallest_group
from ._common import RNA_LOG2_FORMATS, gene_set_collections, stage_output
from ._panel import check_panel_symbols, panel_names
from ._rna_input import prepare_rna_log2, rna_input_path

log = get_logger("validate")

# Fewest features that must vary across samples (after the RNA low-count filter): DESeq2's
# dispersion trend and limma's variance prior are estimated across features, and sample
# QC (PCA, correlations) needs features that differ between samples.
MIN_FEATURES = 10


def _check_varying(values, names, *, what: str, path: str | Path, where: str = "") -> None:  # noqa: ANN001
    """Stop when fewer than :data:`MIN_FEATURES` features (columns) vary across samples."""
    values = np.asarray(values, dtype=float)
    observed = np.isfinite(values)
    high = np.where(observed, values, -np.inf).max(axis=0, initial=-np.inf)
    low = np.where(observed, values, np.inf).min(axis=0, initial=np.inf)
    varying = int(np.sum(observed.any(axis=0) & (high > low)))
    if varying < MIN_FEATURES:
        raise InputError(
            f"only {varying} {what}(s){where} vary across the samples (of {len(names)}); the "
            f"models need at least {MIN_FEATURES}.",
            path=path, fix="Give the full matrix (is it a summary, a test subset, or constant?).")


def read_protein(path: str | Path, params: dict):  # noqa: ANN201 - AnnData
    """Read the protein matrix with the format options in ``params``."""
    from ..io import read_protein_matrix

    return read_protein_matrix(path, fmt=params["protein_format"],
                               intensity=params["protein_intensity"],
                               is_log2=params["protein_is_log2"])


def rna_min_samples(adata, contrast_list: list, params: dict,  # noqa: ANN001 - AnnData
                    contrasts_path: str | Path | None = None, *,
                    samplesheet_path: str | Path | None = None, designs: list | None = None) -> int:
    """``rna_min_samples``, or by default the smallest group any contrast compares.

    ``designs``: the contrasts' designs when the caller built them already (the input
    check), so their messages are not logged twice.
    """
    value = params.get("rna_min_samples")
    if value is None:
        if designs is None:
            designs = [design_for_contrast(
                adata.obs, c, samples=adata.obs_names,
                contrasts_path=None if contrasts_path is None else str(contrasts_path),
                samplesheet_path=None if samplesheet_path is None else str(samplesheet_path))
                for c in contrast_list]
        value = min(smallest_group(design) for design in designs)
    return int(value)


def _check_rna_counts(adata, designs: list, params: dict, path: str | Path) -> None:  # noqa: ANN001
    """Stop on samples without reads and on a low-count filter that would keep nothing."""
    counts = np.asarray(adata.X)
    empty = [str(s) for s, total in zip(adata.obs_names, counts.sum(axis=1), strict=True) if total == 0]
    if empty:
        raise InputError(
            f"sample(s) {', '.join(repr(s) for s in empty[:5])} have no reads (every count is 0); "
            "DESeq2 cannot normalise them: remove them from the sample sheet.",
            path=path,
        )
    min_samples = rna_min_samples(adata, [], params, designs=designs)
    try:
        keep = low_count_keep(counts, min_count=params.get("rna_min_count", 10),
                              min_samples=min_samples)
    except InputError as error:
        raise error.with_path(path) from None
    _check_varying(counts[:, keep], adata.var_names[keep], what="gene", path=path,
                   where=f" passing the low-count filter (>= {params.get('rna_min_count', 10)} "
                   f"counts in >= {min_samples} samples)")


def _check_protein_observations(adata, design, path: str | Path) -> None:  # noqa: ANN001
    """Stop when no protein has more observed values in a contrast's samples than coefficients."""
    values = np.asarray(adata[design.samples].X, dtype=float)
    observed = np.isfinite(values)
    if "rna_format" not in adata.uns and not adata.uns.get("protein_input", {}).get("is_log2",
                                                                                      False):
        observed &= values > 0  # zeros are missing in linear intensities
    n_coef = design.matrix.shape[1]
    if not (observed.sum(axis=0) > n_coef).any():
        raise InputError(
            f"contrast {design.contrast.id!r}: no protein has more observed values among its "
            f"{len(design.samples)} samples than the design's {n_coef} coefficients, so no protein "
            "can be tested; check that these samples' intensity columns are filled.",
            path=path,
        )


def _check_valid_value_filter(adata, contrast_list: list, params: dict,  # noqa: ANN001
                              path: str | Path) -> None:
    """Run the protein stage's valid-value filter on a copy: stop as it would.

    It stops when no protein passes, or when a sample keeps no observed value (naming the
    sample and the ``--protein_min_valid_fraction`` that keeps one of its proteins), before
    the complete-feature check below would give advice (impute) that cannot help. Its log
    line is shown once, by the protein stage.
    """
    with info_as_debug("pp"):
        values = log2_transform(adata, copy=True)
        try:
            filter_valid_values(values, contrast_groups(values.obs, contrast_list),
                                min_fraction=params["protein_min_valid_fraction"])
        except InputError as error:
            raise error.with_path(path) from None


def _check_complete_features(adata, modality: str, params: dict, path: str | Path) -> None:  # noqa: ANN001
    """Stop when sample QC's PCA would have fewer than 2 varying features observed in every sample.

    QC does not fill missing values in (:func:`omics.tl.sample_qc`); protein imputation,
    when on, runs before it and leaves none.
    """
    if modality == "protein" and params.get("protein_imputation", "none") != "none":
        return
    values = np.asarray(adata.layers["vst"] if "vst" in adata.layers else adata.X, dtype=float)
    observed = np.isfinite(values)
    if modality == "protein" and not adata.uns.get("protein_input", {}).get("is_log2", False):
        observed &= values > 0  # zeros are missing in linear intensities
    if observed.all():
        return
    complete = values[:, observed.all(axis=0)]
    varying = int(np.sum(complete.max(axis=0) > complete.min(axis=0))) if complete.size else 0
    if varying < 2:
        fix = ("Impute the missing values ({--protein_imputation} minprob or knn)."
               if modality == "protein" else
               "Give a matrix without missing values ({--qpcr_undetermined} limit)."
               if params.get("rna_format") == "qpcr" else "Give a matrix without missing values.")
        raise InputError(
            f"only {varying} {'protein' if modality == 'protein' else 'gene'}(s) vary and are "
            "observed in every sample; sample QC's PCA needs at least 2 (it does not fill in "
            "missing values).", path=path, fix=fix)


def response_covariates(params: dict, sheet: pd.DataFrame, *,
                        path: str | Path | None = None) -> list[str]:
    """Return the ``response_covariates`` that are columns of ``sheet``.

    Parameters
    ----------
    params
        Resolved parameters.
    sheet
        Sample sheet (or ``obs``) indexed by sample.
    path
        The sample sheet (or h5ad) named in the error.

    Returns
    -------
    The covariates present, in the order given.

    Raises
    ------
    InputError
        When ``response_covariates`` differs from its default and names a column that is
        not there (a typo would otherwise drop the covariate); or when a covariate is text
        with more distinct values than half the samples (numbers with a unit, an id),
        which would enter the models as a factor of about one level per sample; or when a
        covariate named is empty for every sample (every sample would be left out). Columns
        of the default (``age,diabetes``) that a sheet lacks, or that are empty for every
        sample, are skipped with a log line.
    """
    columns = [str(c) for c in sheet.columns]
    covariates = split_list(params.get("response_covariates"))
    absent = [c for c in covariates if c not in columns]
    if absent and covariates != split_list(BY_NAME["response_covariates"].default):
        close = difflib.get_close_matches(absent[0], columns, n=1, cutoff=0.6)
        raise InputError(
            f"{{--response_covariates}} names column {absent[0]!r}, which is not in the sample "
            f"sheet{f' (did you mean {close[0]!r}?)' if close else ''}; its columns are "
            f"{', '.join(columns)}.",
            path=path, fix="Correct the name, or leave it out of {--response_covariates}.")
    if absent:
        log.info("response covariates not in the sample sheet (skipped): %s", ", ".join(absent))
    present = [c for c in covariates if c in columns]
    if covariates == split_list(BY_NAME["response_covariates"].default):
        # the default's columns are used when they hold values, as they are when present
        empty = [c for c in present if len(sheet[c]) and sheet[c].isna().all()]
        if empty:
            log.info("response covariates of the default empty for every sample (skipped): %s",
                     ", ".join(empty))
        present = [c for c in present if c not in empty]
    for name in present:
        _check_covariate_observed(sheet[name], name, path)
        _check_covariate_levels(sheet[name], name, path)
    return present


def _check_covariate_observed(values: pd.Series, name: str, path: str | Path | None) -> None:
    """Stop on a covariate column without a value: the models would leave every sample out."""
    if len(values) == 0 or values.notna().any():
        return
    raise InputError(
        f"{{--response_covariates}} column {name!r} is empty for every sample, so the response "
        "and survival models would leave every sample out.",
        path=path, where=f"column {name!r}",
        fix="Fill it in, or leave it out of {--response_covariates} (name the other covariates "
        "only).")


def _check_covariate_levels(values: pd.Series, name: str, path: str | Path | None) -> None:
    """Stop on a text covariate with more distinct values than half the samples."""
    if not level_per_sample(values):
        return
    n_levels, n_samples = values.nunique(), int(values.notna().sum())
    sample = values.dropna().index[0]
    raise InputError(
        f"{{--response_covariates}} column {name!r} is text with {n_levels} different values "
        f"among {n_samples} samples ({str(values[sample])!r} for sample {str(sample)!r}), so the "
        "models would fit a level per sample.",
        path=path, where=f"column {name!r}",
        fix="If it holds numbers, write them as plain numbers (no unit); otherwise leave it out "
        "of {--response_covariates}.")


#: The options only an RT-qPCR run (``--rna_format qpcr``) reads.
QPCR_OPTIONS = ("qpcr_max_ct", "qpcr_undetermined", "qpcr_replicate_sd", "qpcr_reference_genes",
                "qpcr_reference_candidates", "qpcr_efficiency")


def _non_default(params: dict, names: tuple[str, ...]) -> list[str]:
    """Return the options of ``names`` that ``params`` sets away from their defaults."""
    return [name for name in names if name in params and params[name] != BY_NAME[name].default]


def _warn_qpcr_options_ignored(params: dict, rna: str | Path | None) -> None:
    """Log one warning naming the qPCR options set away from their defaults in a non-qPCR run."""
    fmt = params.get("rna_format") or "counts"
    if fmt == "qpcr":
        return
    changed = _non_default(params, QPCR_OPTIONS)
    if changed:
        log.warning("%s ignored: they apply to RT-qPCR input (--rna_format qpcr), and the RNA input "
                    "is %s", ", ".join(f"--{name}" for name in changed),
                    fmt if rna is not None else "not given")


#: The options only an RNA-count run (DESeq2: ``--rna_format counts``) reads.
COUNT_OPTIONS = ("rna_min_count", "rna_min_samples", "deseq2_shrink", "deseq2_alpha")


def _warn_count_options_ignored(params: dict, rna: str | Path | None) -> None:
    """Log one warning naming the count (DESeq2) options set away from their defaults.

    Only in a qPCR or array run: limma on log2 values reads no count filter and no DESeq2 option.
    """
    fmt = params.get("rna_format") or "counts"
    if fmt not in RNA_LOG2_FORMATS or rna is None:
        return
    changed = _non_default(params, COUNT_OPTIONS)
    if changed:
        log.warning("%s ignored: they apply to RNA counts (DESeq2, --rna_format counts), and the RNA "
                    "input is %s (limma on log2 values)", ", ".join(f"--{name}" for name in changed), fmt)


@dataclass
class Checked:
    """What :func:`check_inputs` read and found: written out by :func:`write_validated`."""

    sheet: pd.DataFrame
    contrasts: list
    report: dict
    #: The lines the check logged, ``(logger, level, message)``: ``omics run`` hands them to
    #: its prep tasks, which read the same files again (:func:`omics._logging.input_check_shown`).
    shown: tuple = ()


def check_inputs(*, input: str | Path, contrasts: str | Path,  # noqa: A002
                 rna_counts: str | Path | None = None, protein_matrix: str | Path | None = None,
                 params: dict, rna_matrix: str | Path | None = None) -> Checked:
    """Check the sample sheet, contrasts, matrices, gene sets and parameters; write nothing.

    Every contrast is built against every modality's samples (levels present, enough
    samples per group, a full-rank design), so a bad input stops here with one
    :class:`~omics._errors.InputError` naming the file. qPCR and array RNA
    (``rna_matrix`` with ``params["rna_format"]``) is prepared in full here (reference
    genes, Ct policy), so their errors also stop before anything is written.
    """
    rna_counts = rna_input_path(params, rna_counts, rna_matrix)
    if rna_counts is None and protein_matrix is None:
        raise InputError("give {--rna_counts} (or {--rna_matrix}), {--protein_matrix} or both (none was "
                         "given).")
    rna_log2 = params.get("rna_format") in RNA_LOG2_FORMATS
    _warn_qpcr_options_ignored(params, rna_counts)
    _warn_count_options_ignored(params, rna_counts)
    sheet = read_samplesheet(input, id_col=params.get("sample_id_col", "sample"))
    contrast_list = read_contrasts(contrasts)
    response_covariates(params, sheet, path=input)
    report: dict = {"samplesheet": {**input_record(input), "sha256": sha256_file(input),
                                    "n_samples": int(len(sheet)), "columns": list(sheet.columns)},
                    "contrasts": {**input_record(contrasts), "sha256": sha256_file(contrasts),
                                  "ids": [c.id for c in contrast_list]},
                    "modalities": {}}
    for contrast in contrast_list:  # a phenotype column with text is the sample sheet's fault
        if contrast.is_continuous and contrast.variable in sheet.columns:
            continuous_values(sheet, contrast.variable, cid=contrast.id, path=str(input))
    matrices = {}
    if rna_counts is not None:
        matrices["rna"] = (rna_counts, prepare_rna_log2(rna_counts, sheet, params, sheet_path=input)
                           if rna_log2 else read_rna_counts(rna_counts))
    if protein_matrix is not None:
        matrices["protein"] = (protein_matrix, read_protein(protein_matrix, params))
    symbols: dict[str, tuple[str, set[str], bool]] = {}
    for modality, (path, adata) in matrices.items():
        matched = match_samples(adata, sheet, matrix_path=path, sheet_path=input)
        if modality == "protein":
            check_empty_protein_samples(matched, path)
        if "gene_name" in matched.var:
            symbols[modality] = _gene_names(matched, path)
        built = [design_for_contrast(matched.obs, contrast, samples=matched.obs_names,
                                     contrasts_path=str(contrasts), samplesheet_path=str(input))
                 for contrast in contrast_list]
        if modality == "rna" and not rna_log2:
            _check_rna_counts(matched, built, params, path)
            if params.get("deseq2_shrink"):
                for design in built:
                    design.check_single_coefficient(contrasts_path=str(contrasts))
        elif modality == "protein" or params.get("rna_format") == "array":  # not small qPCR panels
            _check_varying(matched.X, matched.var_names,
                           what="protein" if modality == "protein" else "gene", path=path)
        designs = {}
        for design in built:
            if modality == "protein" or (modality == "rna" and rna_log2):
                _check_protein_observations(matched, design, path)
            designs[design.contrast.id] = {"formula": design.formula,
                                           "n_samples": int(len(design.samples)),
                                           "coefficients": list(design.matrix.columns),
                                           "residual_df": int(design.residual_df)}
        if modality == "protein" and "protein_min_valid_fraction" in params:
            _check_valid_value_filter(matched, contrast_list, params, path)
        if modality == "protein" or rna_log2:
            _check_complete_features(matched, modality, params, path)
        report["modalities"][modality] = {**input_record(path), "sha256": sha256_file(path),
                                          "n_samples": int(matched.n_obs),
                                          "n_features": int(matched.n_vars), "designs": designs}
        log.info("%s: %d samples x %d features, %d contrast(s) valid", modality, matched.n_obs,
                 matched.n_vars, len(designs))
    panel, background = gene_set_collections(params.get("genesets"), params.get("background_genesets"))
    check_panel_symbols(panel, symbols, params.get("genesets"))
    report["genesets"] = {"panel": len(panel), "background": len(background)}
    covariates = split_list(params.get("response_covariates"))
    report["response_covariates_absent"] = [c for c in covariates if c not in sheet.columns]
    return Checked(sheet=sheet, contrasts=contrast_list, report=report)


def _gene_names(adata, path: str | Path) -> tuple[str, set[str], bool]:  # noqa: ANN001 - AnnData
    """:func:`omics.stages._panel.panel_names` of an AnnData's features."""
    return panel_names(adata.var_names, adata.var["gene_name"], path)


def check_empty_protein_samples(adata, path: str | Path) -> None:  # noqa: ANN001 - AnnData
    """Stop on a sample of the sheet without any observed protein value (a failed run).

    Missing values and, in linear input, zeros (MaxQuant's "not quantified") count as
    unobserved. The message names the sample, its column in the file (the reader's
    ``uns["protein_input"]["empty_columns"]``) and the fix; without the stop, QC and
    imputation would fail later with advice that does not help.
    """
    info = adata.uns.get("protein_input", {})
    values = np.asarray(adata.X, dtype=float)
    unobserved = np.isnan(values) | ((values <= 0) & (not info.get("is_log2", False)))
    empty = [str(s) for s, e in zip(adata.obs_names, unobserved.all(axis=1), strict=True) if e]
    if not empty:
        return
    columns = dict(zip(map(str, info.get("empty_samples", [])),
                       map(str, info.get("empty_columns", [])), strict=False))
    named = ", ".join(f"{s!r}" + (f" (column {columns[s]!r})" if s in columns else "")
                      for s in empty[:10]) + (f" and {len(empty) - 10} more" if len(empty) > 10 else "")
    raise InputError(
        f"sample{'s' if len(empty) > 1 else ''} {named} {'have' if len(empty) > 1 else 'has'} no "
        "observed protein value (every value is missing"
        f"{'' if info.get('is_log2', False) else ' or 0'}: a failed run?).",
        path=path, fix="Remove the sample(s) from the sample sheet.")


def write_validated(checked: Checked, outdir: str | Path) -> dict[str, Path]:
    """Write ``validated/samplesheet.csv``, ``contrasts.yaml`` and ``validation.json``."""
    sheet_out = stage_output(outdir, "validate", "samplesheet")
    frame = pd.DataFrame(checked.sheet).reset_index()
    for column in frame.columns:  # whole numbers are written as read (50, not 50.0)
        values = frame[column]
        if pd.api.types.is_float_dtype(values) and np.all(np.mod(values.dropna(), 1) == 0):
            frame[column] = values.astype("Int64")
    with atomic_path(sheet_out) as tmp:
        frame.to_csv(tmp, index=False)
    contrasts_out = stage_output(outdir, "validate", "contrasts")
    write_contrasts(checked.contrasts, contrasts_out)
    report_out = write_text(json.dumps(checked.report, indent=2) + "\n",
                            stage_output(outdir, "validate", "report"))
    return {"samplesheet": sheet_out, "contrasts": contrasts_out, "report": report_out}


def check_flow(params: dict, input: str | Path | None) -> list[Path]:  # noqa: A002
    """Check the flow inputs for the sample sheet ``input`` as ``omics run`` does; return their files.

    FCS headers and channels against the gating strategy, or the population table, and
    the flow options (:func:`omics.stages._flow.flow_task_inputs`); ``[]`` without flow
    input. No event data is read and nothing is written.
    """
    from ._flow import flow_task_inputs

    return flow_task_inputs(params if input is None else {**params, "input": str(input)})


def validate(*, input: str | Path, contrasts: str | Path, outdir: str | Path,  # noqa: A002
             rna_counts: str | Path | None = None, protein_matrix: str | Path | None = None,
             params: dict, rna_matrix: str | Path | None = None) -> dict[str, Path]:
    """Validate the sample sheet, contrasts, matrices and gene sets.

    Every contrast is built against every modality's samples (levels present, enough
    samples per group, a full-rank design), so a bad input stops here with one message
    and nothing is written. On success writes ``validated/samplesheet.csv``,
    ``validated/contrasts.yaml`` and ``validated/validation.json``.

    Parameters
    ----------
    input
        Sample sheet.
    contrasts
        Contrasts file.
    outdir
        Results folder.
    rna_counts, protein_matrix
        Data matrices; at least one is required.
    rna_matrix
        RNA in ``params["rna_format"]`` (qPCR Cts, array log2, or counts) instead of
        ``rna_counts``.
    params
        Resolved parameters (``sample_id_col``, protein format options, gene sets).

    The flow cytometry inputs (``flow_table``, ``flow_fcs`` and ``flow_gating`` in
    ``params``, or the sample sheet's ``fcs`` column) are checked first, as ``omics run``
    checks them (:func:`check_flow`).

    Returns
    -------
    Paths of the validated sample sheet and contrasts.
    """
    check_flow(params, input)
    checked = check_inputs(input=input, contrasts=contrasts, rna_counts=rna_counts,
                           protein_matrix=protein_matrix, params=params, rna_matrix=rna_matrix)
    return write_validated(checked, outdir)
