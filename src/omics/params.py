"""The parameter model: declared once, used by the CLI, ``omics run`` and Nextflow.

``nextflow_schema.json`` (nf-core schema format) and the ``params`` block of
``nextflow.config`` are generated from :data:`PARAMETERS` by ``omics schema``; a test
fails when the committed files drift from the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ._errors import InputError


@dataclass(frozen=True)
class Parameter:
    """One pipeline parameter.

    Attributes
    ----------
    name
        snake_case name, identical in the CLI (``--name``), params files and Nextflow.
    type
        ``"string"``, ``"integer"``, ``"number"``, ``"boolean"`` or ``"path"``.
    default
        Default value (``None`` = unset).
    help
        One-line description.
    group
        Schema section.
    choices
        Allowed values for enumerations.
    minimum, maximum
        Bounds for numbers.
    """

    name: str
    type: str
    default: Any
    help: str
    group: str
    choices: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    nextflow_only: bool = False
    extra: dict = field(default_factory=dict)


GROUPS = {
    "input_output": ("Input/output options", "Where the data are and where results go."),
    "rna": ("RNA-seq options", "Low-count filtering and DESeq2."),
    "protein": ("Proteomics options", "Protein matrix format, filtering, normalisation and "
                "missing values."),
    "differential": ("Differential analysis options", "Thresholds shared by both modalities."),
    "enrichment": ("Enrichment and score options", "Gene sets, GSEA and per-patient scores."),
    "response": ("Response model options", "Logistic models of response on angiogenic scores."),
    "general": ("General options", "Reproducibility and resources."),
}

PARAMETERS: tuple[Parameter, ...] = (
    Parameter("input", "path", None, "Sample sheet (CSV/TSV) with a `sample` column and metadata "
              "(BALI: patient, arm, response, covariates). Unset: the bundled demo cohort.",
              "input_output", pattern=r"^\S+\.(csv|tsv|txt)$"),
    Parameter("sample_id_col", "string", "sample", "Sample-sheet column holding the sample ids "
              "(e.g. `Experiment` for MaxQuant sheets).", "input_output"),
    Parameter("contrasts", "path", None, "Contrasts in the nf-core/differentialabundance YAML or "
              "CSV format. Unset with the demo: metadata/bali_contrasts.yaml.", "input_output",
              pattern=r"^\S+\.(ya?ml|csv|tsv)$"),
    Parameter("rna_counts", "path", None, "RNA count matrix: nf-core/rnaseq "
              "salmon.merged.gene_counts.tsv, featureCounts output or a TSV (first column gene id).",
              "input_output"),
    Parameter("protein_matrix", "path", None, "Protein matrix (see protein_format).",
              "input_output"),
    Parameter("protein_format", "string", "maxquant", "Format of protein_matrix.", "input_output",
              choices=("maxquant", "proteus", "diann", "olink", "tsv")),
    Parameter("outdir", "path", "results", "Output directory.", "input_output"),
    Parameter("rna_min_count", "integer", 10, "Keep genes with at least this count in "
              "rna_min_samples samples (0 disables the filter).", "rna", minimum=0),
    Parameter("rna_min_samples", "integer", None, "Samples that must reach rna_min_count "
              "(default: the size of the smallest group of any contrast).", "rna", minimum=1),
    Parameter("deseq2_shrink", "boolean", False, "Add an apeGLM-style shrunken log2 fold change "
              "column (single-coefficient contrasts).", "rna"),
    Parameter("protein_intensity", "string", "LFQ intensity", "MaxQuant intensity columns to use.",
              "protein", choices=("LFQ intensity", "Intensity", "iBAQ")),
    Parameter("protein_is_log2", "boolean", False, "The TSV protein matrix is already log2.",
              "protein"),
    Parameter("protein_min_valid_fraction", "number", 0.7, "Keep proteins observed in at least "
              "this fraction of samples of at least one group (0 disables).", "protein",
              minimum=0, maximum=1),
    Parameter("protein_normalization", "string", "median", "Between-sample normalisation of log2 "
              "intensities.", "protein", choices=("median", "quantile", "none")),
    Parameter("protein_imputation", "string", "none", "Missing values: `none` fits each protein "
              "on its observed values (as limma does); `minprob` draws left-censored values; "
              "`knn` borrows from proteins with similar profiles.", "protein",
              choices=("none", "minprob", "knn")),
    Parameter("de_fdr", "number", 0.05, "Adjusted p-value threshold for calling differential "
              "features (ORA selection, report).", "differential", minimum=0, maximum=1),
    Parameter("genesets", "string", None, "Comma-separated GMT files of the gene-set panel to "
              "test (e.g. MSigDB downloads). Unset: the shipped 11 GO angiogenesis sets.",
              "enrichment"),
    Parameter("background_genesets", "string", None, "GMT(s) tested together with the panel so "
              "that the FDR carries an honest multiple-testing burden. Unset: shipped GO BP "
              "(10-500 genes) with the default panel; with `--genesets` the user's sets replace "
              "it (panel tested alone unless a background is given); `none` tests the panel "
              "alone.", "enrichment"),
    Parameter("gsea_permutations", "integer", 1000, "Gene permutations for GSEA prerank.",
              "enrichment", minimum=100),
    Parameter("gsea_min_size", "integer", 10, "Smallest gene-set size tested.", "enrichment",
              minimum=1),
    Parameter("gsea_max_size", "integer", 500, "Largest gene-set size tested.", "enrichment",
              minimum=2),
    Parameter("score_method", "string", "zmean", "Per-patient gene-set score: mean z-score of the "
              "set's genes, decoupler ULM t-value, or ssGSEA (gseapy).", "enrichment",
              choices=("zmean", "ulm", "ssgsea")),
    Parameter("response_covariates", "string", "age,diabetes", "Comma-separated sample-sheet "
              "columns adjusted for in the response models (empty for none).", "response"),
    Parameter("response_multiplicity", "string", "bh", "Multiple testing across scores: `bh` "
              "classifies only scores passing a Benjamini-Hochberg screen of the pooled and "
              "BM-MNC-arm tests; `none` classifies each score at its own 0.05 level.", "response",
              choices=("bh", "none")),
    Parameter("cv_folds", "integer", 5, "Folds of the stratified cross-validation.", "response",
              minimum=2),
    Parameter("cv_repeats", "integer", 50, "Repeats of the cross-validation.", "response",
              minimum=1),
    Parameter("seed", "integer", 42, "Random seed (permutations, imputation, cross-validation).",
              "general"),
    Parameter("n_cpus", "integer", 2, "CPU cores for pydeseq2 (Nextflow sets task.cpus).",
              "general", minimum=1),
    Parameter("publish_dir_mode", "string", "copy", "How Nextflow publishes results to outdir.",
              "general", choices=("symlink", "rellink", "link", "copy", "copyNoFollow", "move"),
              nextflow_only=True),
    Parameter("container_image", "string", None, "Container image of every process with "
              "`-profile docker`, `singularity` or `apptainer`: build it from the repository's "
              "`Dockerfile` (README) or pull it from where you published it, e.g. "
              "`docker://registry.example.org/omics:0.1.0`. Required with those profiles.",
              "general", nextflow_only=True),
)

# Parameters each stage reads: the runner's resume key and the CLI options come from this.
STAGE_PARAMS: dict[str, tuple[str, ...]] = {
    "validate": ("sample_id_col", "rna_min_count", "rna_min_samples", "protein_format",
                 "protein_intensity", "protein_is_log2", "genesets", "background_genesets",
                 "response_covariates"),
    "rna_prep": ("rna_min_count", "rna_min_samples"),
    "protein_prep": ("protein_format", "protein_intensity", "protein_is_log2",
                     "protein_min_valid_fraction", "protein_normalization", "protein_imputation",
                     "seed"),
    "qc": ("seed",),
    "de": ("n_cpus", "deseq2_shrink"),
    "enrich": ("genesets", "background_genesets", "gsea_permutations", "gsea_min_size",
               "gsea_max_size", "de_fdr", "seed"),
    "score": ("genesets", "score_method", "response_covariates", "response_multiplicity", "cv_folds",
              "cv_repeats", "seed"),
    "integrate": ("de_fdr",),
    "report": ("de_fdr", "genesets", "background_genesets", "gsea_permutations", "gsea_min_size",
               "gsea_max_size", "score_method", "response_covariates", "response_multiplicity",
               "cv_folds", "cv_repeats", "seed", "rna_min_count", "rna_min_samples", "deseq2_shrink",
               "protein_format", "protein_intensity", "protein_min_valid_fraction",
               "protein_normalization", "protein_imputation"),
}

BY_NAME = {p.name: p for p in PARAMETERS if not p.nextflow_only}


def defaults() -> dict[str, Any]:
    """Return ``{name: default}`` for every parameter."""
    return {p.name: p.default for p in PARAMETERS if not p.nextflow_only}


def coerce(parameter: Parameter, value: Any, *, source: str) -> Any:
    """Convert ``value`` to the parameter's type and check choices and bounds."""
    if value is None or (isinstance(value, str) and value.strip().lower() in {"", "null", "none"}
                         and parameter.type != "string"):
        return None
    name = parameter.name
    try:
        if parameter.type == "boolean":
            if isinstance(value, str):
                lowered = value.strip().lower()
                if lowered not in {"true", "false", "1", "0", "yes", "no"}:
                    raise ValueError(value)
                value = lowered in {"true", "1", "yes"}
            else:
                value = bool(value)
        elif parameter.type == "integer":
            if isinstance(value, float) and not value.is_integer():
                raise ValueError(value)
            value = int(value)
        elif parameter.type == "number":
            value = float(value)
        else:
            value = str(value)
    except (TypeError, ValueError):
        raise InputError(f"parameter {name!r} must be {parameter.type}, got {value!r}.",
                         path=source) from None
    if parameter.choices and value not in parameter.choices:
        raise InputError(f"parameter {name!r} is {value!r}; choose one of "
                         f"{', '.join(parameter.choices)}.", path=source)
    if parameter.minimum is not None and value < parameter.minimum:
        raise InputError(f"parameter {name!r} must be >= {parameter.minimum}, got {value}.",
                         path=source)
    if parameter.maximum is not None and value > parameter.maximum:
        raise InputError(f"parameter {name!r} must be <= {parameter.maximum}, got {value}.",
                         path=source)
    return value


def resolve(overrides: dict[str, Any], *, params_file: str | Path | None = None) -> dict[str, Any]:
    """Merge defaults, a YAML/JSON params file and explicit overrides (in that order)."""
    values = defaults()
    if params_file is not None:
        path = Path(params_file)
        if not path.is_file():
            raise InputError("params file not found.", path=path)
        try:
            loaded = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as err:
            raise InputError(f"not valid YAML/JSON ({err}).", path=path) from None
        if not isinstance(loaded, dict):
            raise InputError("a params file must be a mapping of name: value.", path=path)
        unknown = sorted(set(loaded) - set(BY_NAME))
        if unknown:
            raise InputError(f"unknown parameter(s) {', '.join(unknown)}; see `omics run --help`.",
                             path=path)
        for name, value in loaded.items():
            values[name] = coerce(BY_NAME[name], value, source=str(path))
    for name, value in overrides.items():
        if value is not None:
            values[name] = coerce(BY_NAME[name], value, source="command line")
    return values


def split_list(value: str | None) -> list[str]:
    """Split a comma-separated parameter into its items."""
    return [item.strip() for item in (value or "").split(",") if item.strip()]
