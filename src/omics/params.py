"""The parameter model: declared once, used by the CLI, ``omics run`` and Nextflow.

``nextflow_schema.json`` (nf-core schema format) and the ``params`` block of
``nextflow.config`` are generated from :data:`PARAMETERS` by ``omics schema``; a test
fails when the committed files drift from the model.
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._errors import InputError
from ._logging import get_logger
from ._text import load_yaml
from .registry import STAGES

log = get_logger("params")


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
        Bounds for numbers (inclusive).
    exclusive_minimum, exclusive_maximum
        Bounds a number must stay strictly above / below (JSON Schema
        ``exclusiveMinimum`` / ``exclusiveMaximum``).
    is_list
        A comma-separated list of names; a params file may give it as a YAML list.
    """

    name: str
    type: str
    default: Any
    help: str
    group: str
    choices: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    exclusive_maximum: float | None = None
    pattern: str | None = None
    nextflow_only: bool = False
    extra: dict = field(default_factory=dict)
    is_list: bool = False


GROUPS = {
    "input_output": ("Input/output options", "Where the data are and where results go."),
    "rna": ("RNA options", "Low-count filtering and DESeq2 (counts); Ct handling and reference "
            "genes (RT-qPCR)."),
    "protein": ("Proteomics options", "Protein matrix format, filtering, normalisation and "
                "missing values."),
    "differential": ("Differential analysis options", "Thresholds shared by both modalities."),
    "enrichment": ("Enrichment and score options", "Gene sets, GSEA and per-patient scores."),
    "response": ("Response model options", "Logistic models of response on angiogenic scores."),
    "flow": ("Flow cytometry options", "FCS files or population tables, gating, absolute counts."),
    "general": ("General options", "Reproducibility and resources."),
}

PARAMETERS: tuple[Parameter, ...] = (
    Parameter("input", "path", None, "Sample sheet (CSV/TSV) with a `sample` column and metadata "
              "(BALI: patient, arm, response, covariates). Required (`omics run --demo` and Nextflow's "
              "`-profile test` run a bundled cohort instead).",
              "input_output"),
    Parameter("sample_id_col", "string", "sample", "Sample-sheet column holding the sample ids "
              "(e.g. `Experiment` for MaxQuant sheets).", "input_output"),
    Parameter("contrasts", "path", None, "Contrasts in the nf-core/differentialabundance YAML or "
              "CSV format.", "input_output"),
    Parameter("rna_counts", "path", None, "RNA count matrix: nf-core/rnaseq "
              "salmon.merged.gene_counts.tsv, featureCounts output or a TSV (first column gene id).",
              "input_output"),
    Parameter("rna_matrix", "path", None, "RNA matrix in the format rna_format: RT-qPCR Ct table "
              "(long or wide) or log2 microarray matrix (RMA output, GEO series matrix).",
              "input_output"),
    Parameter("rna_format", "string", "counts", "Format of the RNA input: `counts` (rna_counts or "
              "rna_matrix; DESeq2), `qpcr` (Ct values; limma on -delta-Ct) or `array` (log2 "
              "intensities; limma trend).", "input_output", choices=("counts", "qpcr", "array")),
    Parameter("protein_matrix", "path", None, "Protein matrix (see protein_format).",
              "input_output"),
    Parameter("protein_format", "string", "maxquant", "Format of protein_matrix.", "input_output",
              choices=("maxquant", "proteus", "diann", "olink", "tsv")),
    Parameter("outdir", "path", "results", "Output directory.", "input_output"),
    Parameter("rna_min_count", "integer", 10, "Keep genes with at least this count in "
              "rna_min_samples samples (0 disables the filter).", "rna", minimum=0),
    Parameter("rna_min_samples", "integer", None, "Samples that must reach rna_min_count "
              "(default: the size of the smallest group any contrast compares; a contrast comparing no "
              "groups, type continuous or a formula without a categorical variable, counts a third "
              "of its samples, at least 2).", "rna", minimum=1),
    Parameter("deseq2_shrink", "boolean", False, "Add an apeGLM-style shrunken log2 fold change "
              "column (single-coefficient contrasts).", "rna"),
    Parameter("deseq2_alpha", "number", 0.1, "FDR the DESeq2 independent filtering optimises "
              "(R results()' alpha, as nf-core's deseq2_alpha). DESeq2 advises setting it to the "
              "threshold genes are called at (`--de_fdr`); 0.1 keeps R's default.", "rna",
              exclusive_minimum=0, exclusive_maximum=1),
    Parameter("qpcr_max_ct", "number", 35.0, "Cts at or above this, and undetermined wells, count "
              "as not detected (at most 60: a Ct above 60 cycles stops the run).", "rna", minimum=1,
              maximum=60),
    Parameter("qpcr_undetermined", "string", "limit", "A sample/target with no detected "
              "replicate: `limit` sets it to qpcr_max_ct (flagged), `missing` leaves it out of "
              "that target's fit.", "rna", choices=("limit", "missing")),
    Parameter("qpcr_replicate_sd", "number", 0.5, "Technical-replicate SD (cycles) above which a "
              "replicate set is flagged (3+ replicates: the outlying one is dropped).",
              "rna", minimum=0),
    Parameter("qpcr_reference_genes", "string", None, "Comma-separated reference (housekeeping) "
              "targets. Unset: chosen by geNorm stability M among qpcr_reference_candidates.",
              "rna", is_list=True),
    Parameter("qpcr_reference_candidates", "string", None, "Comma-separated candidate reference "
              "targets for geNorm. Unset: every target detected in all samples.", "rna",
              is_list=True),
    Parameter("qpcr_efficiency", "path", None, "TSV `target, efficiency` of amplification "
              "factors (2 = 100 %) or percentages for Pfaffl's correction. Unset: 2 for all.",
              "rna"),
    Parameter("protein_intensity", "string", "LFQ intensity", "MaxQuant intensity columns to use.",
              "protein", choices=("LFQ intensity", "Intensity", "iBAQ")),
    Parameter("protein_is_log2", "boolean", False, "The protein matrix is already log2: a tsv "
              "matrix, or a MaxQuant proteinGroups table exported by Perseus (proteus and olink are log2 by "
              "definition; with diann it stops).",
              "protein"),
    Parameter("protein_min_valid_fraction", "number", 0.7, "Keep proteins observed in at least "
              "this fraction of samples of at least one group (0 disables).", "protein",
              minimum=0, maximum=1),
    Parameter("protein_normalization", "string", "median", "Between-sample normalisation of log2 "
              "intensities.", "protein", choices=("median", "quantile", "none")),
    Parameter("protein_imputation", "string", "none", "Missing values: `none` fits each protein "
              "on its observed values (as limma does); `minprob` draws left-censored values; "
              "`knn` borrows from proteins with similar profiles. With `minprob`/`knn` the "
              "imputed values are what limma tests and QC uses (X); minprob draws each sample's "
              "values from a generator seeded by --seed and the sample id, so row order does not "
              "matter.", "protein",
              choices=("none", "minprob", "knn")),
    Parameter("de_fdr", "number", 0.05, "Adjusted p-value threshold for calling differential "
              "features (ORA selection, report).", "differential", minimum=0, maximum=1),
    Parameter("genesets", "string", None, "Comma-separated GMT files of the gene-set panel to "
              "test (e.g. MSigDB downloads). Unset: the shipped 11 GO angiogenesis sets.",
              "enrichment", is_list=True),
    Parameter("background_genesets", "string", None, "GMT(s) tested together with the panel so "
              "that the FDR carries an honest multiple-testing burden. Unset: shipped GO BP "
              "(10-500 genes) with the default panel; with `--genesets` the user's sets replace "
              "it (panel tested alone unless a background is given); `none` tests the panel "
              "alone.", "enrichment", is_list=True),
    Parameter("gsea_permutations", "integer", 1000, "Gene permutations for GSEA prerank.",
              "enrichment", minimum=100),
    Parameter("gsea_min_size", "integer", 10, "Smallest gene-set size tested.", "enrichment",
              minimum=1),
    Parameter("gsea_max_size", "integer", 500, "Largest gene-set size tested (genes in the "
              "ranking) for background sets; panel sets (`--genesets`, or the shipped angiogenesis "
              "panel) have no upper bound and the log names those above it.", "enrichment",
              minimum=2),
    Parameter("score_method", "string", "zmean", "Per-patient gene-set score: mean z-score of the "
              "set's genes, decoupler ULM t-value, or ssGSEA (gseapy); ULM and ssGSEA score every "
              "patient on the genes measured in all patients.", "enrichment",
              choices=("zmean", "ulm", "ssgsea")),
    Parameter("response_covariates", "string", "age,diabetes", "Comma-separated sample-sheet "
              "columns adjusted for in the response models (empty for none). A column you name "
              "must be in the sample sheet, and a column you name that is empty for every sample stops "
              "the run; the default's columns are skipped, with a log line, when absent or empty "
              "(also when `age,diabetes` is given explicitly: it cannot be told from the default).",
              "response", is_list=True),
    Parameter("response_multiplicity", "string", "bh", "Multiple testing across scores: `bh` "
              "classifies only scores passing a Benjamini-Hochberg screen of the placebo- and "
              "BM-MNC-arm tests (one family per modality and model); `none` classifies each "
              "score at its own 0.05 level.", "response",
              choices=("bh", "none")),
    Parameter("cv_folds", "integer", 5, "Folds of the stratified cross-validation.", "response",
              minimum=2),
    Parameter("cv_repeats", "integer", 50, "Repeats of the cross-validation.", "response",
              minimum=1),
    Parameter("flow_table", "path", None, "Flow population table as exported by FlowJo/Kaluza "
              "(sample, population, events, parent_events or parent, optional absolute: `cells/uL` or "
              "`absolute per graft`, as its header states).", "flow"),
    Parameter("flow_fcs", "path", None, "Folder of FCS files (`<sample>.fcs`, or the names in the "
              "sample sheet's `fcs` column). Unset with an `fcs` column: its paths, relative "
              "to the sample sheet's folder or absolute.", "flow"),
    Parameter("flow_gating", "path", None, "Gating strategy for the FCS files: Gating-ML 2.0 (.xml) "
              "or FlowJo 10 workspace (.wsp). Unset: the shipped BM-MNC progenitor template "
              "(metadata/flow/bmmnc_progenitors.gating.xml).", "flow"),
    Parameter("flow_ignore_offset_error", "boolean", False, "Read FCS files whose data offset is "
              "off by one byte (FlowIO's ignore_offset_error).", "flow"),
    Parameter("flow_gating_plots", "boolean", True, "Draw each FCS file's gating plot "
              "(flow/gating_plots/<sample>.png, about 80 ms a file; the report shows the first "
              "24). `false` skips them: on large cohorts drawing them is most of the flow stage.",
              "flow"),
    Parameter("flow_beads_per_test", "number", None, "Counting beads per tube: absolute counts "
              "(cells/uL) = events / bead events x beads per test / sample volume. Not with "
              "flow_cell_count_col.", "flow", exclusive_minimum=0),
    Parameter("flow_bead_gate", "string", "Beads", "Gate holding the counting beads (a reference, "
              "kept per sample as bead_events; not tested as a population).", "flow"),
    Parameter("flow_sample_volume_ul", "number", 100.0, "Sample volume (uL) stained per tube, for "
              "bead-based absolute counts.", "flow", exclusive_minimum=0),
    Parameter("flow_cell_count_col", "string", None, "Sample-sheet column with a cell count of "
              "flow_count_reference: absolute = events / reference events x count, in the unit the "
              "column's name states (`..._per_ul`, `..._per_ml`, `..._per_graft`). Not with "
              "flow_beads_per_test.", "flow"),
    Parameter("flow_count_reference", "string", "Leukocytes", "Population the sample-sheet cell "
              "count refers to.", "flow"),
    Parameter("flow_min_events", "integer", 50, "Populations with fewer events are flagged in "
              "qc/flow.qc.tsv.", "flow", minimum=0),
    Parameter("flow_dose_population", "string", "CD34", "Population whose absolute count is the "
              "implanted dose (its own row in the response model; per graft with graft_volume_ml; none "
              "when counts are per 10^6 events).", "flow"),
    Parameter("seed", "integer", 42, "Random seed (permutations, imputation, cross-validation).",
              "general", minimum=0),
    Parameter("n_cpus", "integer", 2, "CPU cores: tasks omics run runs side by side, and the "
              "workers of DESeq2, flow gating, scoring, integration, the report and the demo "
              "simulation (Nextflow sets task.cpus).",
              "general", minimum=1),
    Parameter("publish_dir_mode", "string", "copy", "How Nextflow publishes results to outdir "
              "(not `move`, which takes a task's files out of its work folder before the tasks "
              "that read them, e.g. `validated/`, have run).",
              "general", choices=("symlink", "rellink", "link", "copy", "copyNoFollow"),
              nextflow_only=True),
    Parameter("container_image", "string", None, "Container image of every process with "
              "`-profile docker`, `singularity` or `apptainer`: build it from the repository's "
              "`Dockerfile` (README) or pull it from where you published it, e.g. "
              "`docker://registry.example.org/omics-angiogenesis:0.1.0`. Required with those "
              "profiles, and whenever a config enables a container engine.",
              "general", nextflow_only=True),
)

# Parameters each stage reads (declared with the stage in omics.registry): the runner's
# resume key and the CLI options come from this.
STAGE_PARAMS: dict[str, tuple[str, ...]] = {name: stage.params for name, stage in STAGES.items()}

BY_NAME = {p.name: p for p in PARAMETERS if not p.nextflow_only}

#: Parameters only the Nextflow pipeline reads (``publish_dir_mode``, ``container_image``):
#: not ``omics`` options; a params file given to ``omics run`` may hold them (ignored).
NEXTFLOW_ONLY: dict[str, Parameter] = {p.name: p for p in PARAMETERS if p.nextflow_only}

#: Words that unset a parameter whose default is unset (``None``): ``--rna_min_samples none``.
_UNSET_WORDS = frozenset({"", "null", "none"})


def bounds_text(parameter: Parameter) -> str:
    """Return the parameter's bounds as text (``">= 100"``, ``"> 0 and < 1"``; ``""`` when none).

    Parameters
    ----------
    parameter
        The parameter whose :attr:`~Parameter.minimum`, :attr:`~Parameter.maximum` and
        exclusive bounds are written.

    Returns
    -------
    str
        The bounds joined with ``and``, as the messages of :func:`coerce` state them.
    """
    bounds = ((">=", parameter.minimum), (">", parameter.exclusive_minimum),
              ("<=", parameter.maximum), ("<", parameter.exclusive_maximum))
    return " and ".join(f"{sign} {value:g}" for sign, value in bounds if value is not None)


def suggestion(name: str, known: Iterable[str]) -> str | None:
    """Return the known name closest to a mistyped ``name`` (``de-fdr`` -> ``de_fdr``), if any.

    An abbreviation of at least 4 characters that begins exactly one known name
    (``n_pat`` -> ``n_patients``) suggests that name.

    Parameters
    ----------
    name
        The unknown name.
    known
        The names it could be a slip for.

    Returns
    -------
    str or None
        The one name ``name`` abbreviates, else the closest name
        (:func:`difflib.get_close_matches`), or None when none is close.
    """
    known = list(known)
    normalised = name.replace("-", "_")
    if normalised != name and normalised in known:
        return normalised
    starts = ([k for k in known if k.startswith((name, normalised))]
              if len(name.lstrip("-")) >= 4 else [])
    if len(starts) == 1:  # an abbreviation (argparse's allow_abbrev is off): the one it begins
        return starts[0]
    matches = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
    return matches[0] if matches else None


def defaults() -> dict[str, Any]:
    """Return ``{name: default}`` for every parameter."""
    return {p.name: p.default for p in PARAMETERS if not p.nextflow_only}


def is_positive_number(value: object) -> bool:
    """Return whether ``value`` reads as a finite number above 0 (beads per test, volumes).

    Parameters
    ----------
    value
        A number, or text of one.

    Returns
    -------
    bool
        False for 0, negatives, NaN, infinity and anything that is no number.
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    return math.isfinite(number) and number > 0


def check_seed(seed: object, caller: str) -> int:
    """Return ``seed`` as an int, or stop when it is no integer from 0 to 2**32 - 1.

    The range of numpy's and scikit-learn's seeds, checked before any work is done so that
    a wrong seed stops with one line naming ``caller``.

    Parameters
    ----------
    seed
        The seed given.
    caller
        The function named in the message (e.g. ``"tl.sample_qc"``).

    Returns
    -------
    int
        ``seed`` as a Python int.

    Raises
    ------
    omics._errors.InputError
        When ``seed`` is a bool, not an integer, negative or above 2**32 - 1.
    """
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool) and 0 <= seed <= INT_LIMIT:
        return int(seed)
    raise InputError(f"{caller}: seed={seed!r} is not an integer from 0 to {INT_LIMIT}; pass "
                     "seed=<such an integer>, e.g. seed=0")


def nextflow_only_hint(flags: Iterable[str]) -> str:
    """Return the note an unrecognised-option error adds for Nextflow-only parameters.

    Parameters
    ----------
    flags
        The unrecognised options as given (``--publish_dir_mode`` or
        ``--publish_dir_mode=copy``).

    Returns
    -------
    str
        ``"; --publish_dir_mode is Nextflow-only ..."`` naming those of ``flags``
        that are Nextflow-only parameters, or ``""`` when none is.
    """
    flags = [flag.split("=", 1)[0] for flag in flags]
    names = list(dict.fromkeys(flag.lstrip("-") for flag in flags))
    named = [f"--{name}" for name in names if name in NEXTFLOW_ONLY]
    hints = [_NEXTFLOW_OPTIONS[flag] for flag in dict.fromkeys(flags) if flag in _NEXTFLOW_OPTIONS]
    if named:
        verb, it = ("is", "it") if len(named) == 1 else ("are", "them")
        hints.insert(0, f"{', '.join(named)} {verb} Nextflow-only (give {it} to `nextflow run`; "
                     f"omics ignores {it} in a params file)")
    return "".join(f"; {hint}" for hint in dict.fromkeys(hints))


_CONFIG_HINT = ("-c (a config file) is Nextflow's option: give `omics run` its parameters in a "
                "YAML/JSON file with --params-file")
#: Nextflow's own options (single dash) as nf-core users type them, and what omics run takes.
_NEXTFLOW_OPTIONS = {
    "-profile": ("-profile is Nextflow's option: `omics run --demo` runs the bundled test "
                 "cohort, and --params-file takes a YAML/JSON file of parameters"),
    "-c": _CONFIG_HINT,
    "-config": _CONFIG_HINT,
}


def _needs(parameter: Parameter) -> str:
    """Return what a value of ``parameter`` must be, for messages (``"a number >= 0 and <= 1"``)."""
    if parameter.choices:
        return "one of " + ", ".join(parameter.choices)
    kind = {"integer": "a whole number", "number": "a number", "boolean": "true or false",
            "path": "a path"}.get(parameter.type, "a value")
    bounds = bounds_text(parameter)
    return f"{kind} {bounds}" if bounds else kind


def _value_fix(parameter: Parameter, source: str) -> str:
    """Return the fix of a bad value: what to give instead, and the default."""
    default = f" (default: {_shown(parameter.default)})" if parameter.default is not None else ""
    where = (f"Give {{--{parameter.name}}}" if source == "command line"
             else f"Set {parameter.name} to")
    return f"{where} {_needs(parameter)}{default}."


def _shown(value: Any) -> str:
    """Return a default as a user writes it (``false``, not ``False``)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _list_value(parameter: Parameter, value: list | tuple, source: str) -> str:
    """Join a YAML list given for a list parameter into its comma-separated form."""
    items = []
    for item in value:
        if isinstance(item, (list, tuple, dict)) or item is None:
            raise InputError(f"parameter {parameter.name!r} must be a list of names, got {value!r}.",
                             path=source, fix="Write it as [a, b] or as 'a,b'.")
        if isinstance(item, (bool, float)):  # YAML 1.1: yes, on, 1.10 are no longer the text given
            raise InputError(f"parameter {parameter.name!r} has item {item!r}, which YAML reads as "
                             f"a {'true/false' if isinstance(item, bool) else 'number'}, not as text.",
                             path=source, fix="Quote the item, e.g. ['yes', '1.10'].")
        text = str(item).strip()
        if "," in text or not text:
            raise InputError(f"parameter {parameter.name!r} has item {item!r}; list items must be "
                             "non-empty names without commas.", path=source)
        items.append(text)
    return ",".join(items)


#: List parameters whose items are files (a leading ``~`` of each is expanded, as for paths).
PATH_LISTS = ("genesets", "background_genesets")


def expand_home(value: str) -> str:
    """Return a path with a leading ``~`` or ``~/`` replaced by the home folder.

    One rule for every path parameter, in a params file as on the command line (where the
    shell does it only for an unquoted ``~``), and in the Nextflow pipeline alike
    (pipelines/main.nf ``userPath``): ``~/data/sheet.csv`` is ``$HOME/data/sheet.csv``, never a
    folder named ``~``. ``~user/`` and a ``~`` elsewhere in the path are left as written.

    Parameters
    ----------
    value
        The path as given.

    Returns
    -------
    str
        The path, expanded when it starts with ``~`` or ``~/``.
    """
    if value == "~" or value.startswith("~/"):
        return str(Path.home()) + value[1:]
    return value


def coerce(parameter: Parameter, value: Any, *, source: str) -> Any:
    """Convert ``value`` to the parameter's type and check choices and bounds.

    A list parameter (``is_list``) also accepts a list, joined with commas. Lists and
    mappings given for any other parameter, empty paths, and non-finite numbers stop with
    an :class:`~omics._errors.InputError`. ``None`` is returned as it is (the caller
    decides what unset means). ``""``, ``"null"`` and ``"none"`` given for a parameter
    that is not a string unset it (``None``) only when its default is unset (e.g.
    ``rna_min_samples``: automatic); for any other (``de_fdr``, ``gsea_min_size``,
    ``outdir``) they stop with an :class:`~omics._errors.InputError` naming what the
    parameter needs, so that no ``None`` replaces a default. A bool or float given for a
    text or path parameter (YAML 1.1 reads ``yes``/``on`` as true and ``1.10`` as 1.1)
    stops, telling to quote it. Flags take true/false, yes/no and 1/0 (text in any case,
    or the integers 0 and 1).
    A path starting with ``~`` or ``~/`` (and each such file of ``genesets`` and
    ``background_genesets``) is in the home folder (:func:`expand_home`).

    Parameters
    ----------
    parameter
        The parameter the value is for.
    value
        The value as given (text from the command line, any YAML/JSON value from a file).
    source
        Where it was given (``"command line"`` or the params file), for messages.

    Returns
    -------
    Any
        The value as the parameter's type, or ``None`` (unset).
    """
    name = parameter.name
    if isinstance(value, (list, tuple)) and parameter.is_list:
        value = _list_value(parameter, value, source)
    if isinstance(value, (list, tuple, dict, set)):
        raise InputError(f"parameter {name!r} must be a single {parameter.type}, got {value!r}.",
                         path=source, fix="Give one value" + (" (a comma-separated list is not "
                         "accepted here)." if isinstance(value, (list, tuple)) else "."))
    if parameter.type == "path" and isinstance(value, str) and not value.strip():
        raise InputError(f"parameter {name!r} is empty; give a path, or leave the parameter out.",
                         path=source)
    if value is None:
        return None
    if parameter.type in {"string", "path"} and isinstance(value, (bool, float)):
        # A YAML 1.1 scalar (yes, on, true, 1.10, 1e3) in a params file: str() of what YAML
        # read is not what was written (yes -> 'True', 1.10 -> '1.1')
        kind = "true/false" if isinstance(value, bool) else "a number"
        raise InputError(f"parameter {name!r} is {_shown(value)}, which YAML reads as {kind}, "
                         "not as text.", path=source,
                         fix=f"Quote the value as you mean it, e.g. {name}: "
                         f"'{'yes' if isinstance(value, bool) else '1.10'}'.")
    if (isinstance(value, str) and value.strip().lower() in _UNSET_WORDS
            and parameter.type != "string"):
        if parameter.default is None:  # unset is this parameter's default (rna_min_samples: auto)
            return None
        raise InputError(f"{{--{name}}} needs {_needs(parameter)}, got {value!r} (it has a default "
                         "and cannot be unset).", path=source,
                         fix=(f"Leave {{--{name}}} out" if source == "command line" else
                              f"Remove the key (or write `{name}: null`)")
                         + f" for its default ({_shown(parameter.default)}).")
    fix = _value_fix(parameter, source)
    try:
        if parameter.type == "boolean":
            if isinstance(value, str):
                lowered = value.strip().lower()
                if lowered not in {"true", "false", "1", "0", "yes", "no"}:
                    raise ValueError(value)
                value = lowered in {"true", "1", "yes"}
            elif isinstance(value, (bool, int)) and value in (0, 1):
                value = bool(value)
            else:
                raise ValueError(value)
        elif parameter.type == "integer":
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError(value)
            value = int(value)
        elif parameter.type == "number":
            if isinstance(value, bool):
                raise ValueError(value)
            value = float(value)
            if not math.isfinite(value):
                raise ValueError(value)
        else:
            value = str(value)
            if parameter.type == "path":
                value = expand_home(value)
            elif name in PATH_LISTS and "~" in value:
                value = ",".join(expand_home(item.strip()) for item in value.split(","))
    except (TypeError, ValueError, OverflowError):
        raise InputError(f"parameter {name!r} must be a finite {parameter.type}, got {value!r}."
                         if parameter.type in {"integer", "number"} else
                         f"parameter {name!r} must be {parameter.type}, got {value!r}.",
                         path=source, fix=fix) from None
    if parameter.choices and value not in parameter.choices:
        raise InputError(f"parameter {name!r} is {value!r}; choose one of "
                         f"{', '.join(parameter.choices)}.", path=source, fix=fix)
    if parameter.minimum is not None and value < parameter.minimum:
        raise InputError(f"parameter {name!r} must be >= {parameter.minimum}, got {value}.",
                         path=source, fix=fix)
    if parameter.maximum is not None and value > parameter.maximum:
        raise InputError(f"parameter {name!r} must be <= {parameter.maximum}, got {value}.",
                         path=source, fix=fix)
    if parameter.exclusive_minimum is not None and value <= parameter.exclusive_minimum:
        raise InputError(f"parameter {name!r} must be > {parameter.exclusive_minimum}, got {value}.",
                         path=source, fix=fix)
    if parameter.exclusive_maximum is not None and value >= parameter.exclusive_maximum:
        raise InputError(f"parameter {name!r} must be < {parameter.exclusive_maximum}, got {value}.",
                         path=source, fix=fix)
    if parameter.type == "integer" and abs(value) > _INT_LIMIT:
        raise InputError(f"parameter {name!r} is {value}, beyond any sensible value (limit "
                         f"{_INT_LIMIT}).", path=source, fix=fix)
    return value


#: Integers beyond this (numpy seeds and counts are 32-bit) are typing slips, not settings;
#: the schema states it as every integer parameter's maximum.
INT_LIMIT = 2**32 - 1
_INT_LIMIT = INT_LIMIT


def _read_params_file(params_file: str | Path, values: dict[str, Any]) -> None:
    """Set ``values`` from a YAML/JSON params file (see :func:`resolve`)."""
    path = Path(params_file)
    loaded = load_yaml(path, what="params file")
    if loaded is None:
        loaded = {}
    if not isinstance(loaded, dict):
        raise InputError("a params file must be a mapping of name: value.", path=path)
    unknown = sorted(map(str, set(loaded) - set(BY_NAME) - set(NEXTFLOW_ONLY)))
    if unknown:
        named = [name if (close := suggestion(name, [*BY_NAME, *NEXTFLOW_ONLY])) is None
                 else f"{name} (did you mean {close}?)" for name in unknown]
        raise InputError(f"unknown parameter(s) {', '.join(named)}; see `omics run --help`.",
                         path=path)
    nextflow_only = sorted(name for name in loaded if name in NEXTFLOW_ONLY)
    for name in nextflow_only:  # checked all the same: the file is also Nextflow's
        coerce(NEXTFLOW_ONLY[name], loaded[name], source=str(path))
    if nextflow_only:
        log.info("%s: %s: Nextflow-only, ignored by omics", path, ", ".join(nextflow_only))
    # `name: null` (nf-core params files) leaves the parameter unset: its default applies
    unset = [name for name, value in loaded.items() if value is None and name in BY_NAME
             and BY_NAME[name].default is not None]
    if unset:
        log.info("%s: %s: null, so the default applies (%s)", path, ", ".join(unset),
                 ", ".join(f"{name} {_shown(BY_NAME[name].default)}" for name in unset))
    for name, value in loaded.items():
        if name in BY_NAME and value is not None:
            values[name] = coerce(BY_NAME[name], value, source=str(path))


def resolve(overrides: dict[str, Any], *, params_file: str | Path | None = None) -> dict[str, Any]:
    """Merge defaults, a YAML/JSON params file and explicit overrides (in that order).

    Parameters
    ----------
    overrides
        ``{name: value}`` given on the command line; ``None`` means not given.
    params_file
        A YAML/JSON mapping of ``name: value``. A ``null`` value leaves the parameter
        unset (its default applies, as in nf-core params files), and the Nextflow-only
        parameters (:data:`NEXTFLOW_ONLY`) are accepted and ignored (one info line each).

    Returns
    -------
    dict
        Every parameter (not the Nextflow-only ones) with its value; a parameter whose
        default is set is never ``None``.

    Raises
    ------
    InputError
        Unknown keys, values of the wrong type or out of bounds, an unset word (``none``,
        ``null``, ``''``) for a parameter that needs a value, or gsea_min_size above
        gsea_max_size.
    """
    values = defaults()
    if params_file is not None:
        _read_params_file(params_file, values)
    for name, value in overrides.items():
        if value is not None:
            values[name] = coerce(BY_NAME[name], value, source="command line")
    if values["gsea_min_size"] > values["gsea_max_size"]:
        source = "command line" if {"gsea_min_size", "gsea_max_size"} & {
            k for k, v in overrides.items() if v is not None} else params_file
        raise InputError(f"{{--gsea_min_size}} ({values['gsea_min_size']}) is larger than "
                         f"{{--gsea_max_size}} ({values['gsea_max_size']}): no gene set could be tested.",
                         path=source, fix="Give a minimum no larger than the maximum.")
    return values


def split_list(value: str | None) -> list[str]:
    """Split a comma-separated parameter into its items."""
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def unique_names(value: Iterable[str] | str | None, named: str, caller: str | None = None) -> list[str]:
    """Return the names of ``value`` (one comma-separated string, or a list); stop on a repeat.

    Parameters
    ----------
    value
        ``"ACTB,GAPDH"`` (split as :func:`split_list`), ``["ACTB", "GAPDH"]`` or None (none).
    named
        The list as the message names it: an option (``"{--qpcr_reference_genes}"``) or an
        argument (``"reference_genes"``).
    caller
        The function the message names first (e.g. ``"pp.qpcr_delta_ct"``), if any.

    Returns
    -------
    list of str
        The names, in order.

    Raises
    ------
    omics._errors.InputError
        A name is given twice (a reference gene would weigh twice in the normaliser).
    """
    names = split_list(value) if value is None or isinstance(value, str) else [str(v) for v in value]
    repeated = next((name for i, name in enumerate(names) if name in names[:i]), None)
    if repeated is not None:
        raise InputError(f"{caller + ': ' if caller else ''}{repeated!r} is given twice in {named}; "
                         "name each gene once.")
    return names
