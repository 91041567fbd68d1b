"""The stage registry: every stage declared once.

A :class:`Stage` names the function that runs it, the files it takes (the CLI options of
``omics <stage>``) and which upstream output feeds each of them (:class:`Feed`), whether
it fans out per contrast and/or modality, the parameters it reads (the CLI options, the
resume key of ``omics run`` and the ``ext.args`` of its Nextflow process, generated into
``pipelines/conf/modules.config`` by ``omics schema``), the files it writes (name
templates relative to the results folder) and its Nextflow module. The CLI, the local
runner (:func:`omics.dag.build_tasks`: which tasks run, in which order, fed by what),
the stages themselves (for output names), the ``omics schema`` generator and the Nextflow
consistency tests read this table. Adding a stage is one declaration here, one function
and one Nextflow module, with its channels in ``pipelines/workflows/angiogenesis.nf``
(written by hand, as nf-core workflows are; ``tests/test_nextflow.py`` checks, task by
task, that they wire the DAG these declarations give ``omics run``).

This module imports nothing heavy: the CLI reads it before any analysis library loads.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ._errors import InputError

#: Every modality, in run order.
MODALITIES = ("rna", "protein", "flow")
# Differential method of each modality (part of the results file name).
DE_METHOD = {"rna": "deseq2", "protein": "limma", "flow": "limma"}
#: Every method a modality's table may be named after (RNA: counts -> DESeq2, qPCR/array -> limma).
DE_METHODS = ("deseq2", "limma")
#: RNA input formats analysed by the limma engine (log2 values, not counts).
RNA_LOG2_FORMATS = ("qpcr", "array")


def de_method(modality: str, params: dict | None = None) -> str:
    """Return the DE engine of a modality: limma for proteins, flow and qPCR/array RNA, else DESeq2."""
    if modality == "rna" and (params or {}).get("rna_format") in RNA_LOG2_FORMATS:
        return "limma"
    return DE_METHOD[modality]


#: The fan-out fields of a task (:attr:`Stage.fan_out`) and the file option each one fills.
FAN_OUT_OPTIONS = {"contrast": "contrast_id", "modality": "modality"}


@dataclass(frozen=True)
class Feed:
    """The upstream output that feeds a file option in ``omics run``.

    (``pipelines/workflows/angiogenesis.nf`` wires the same edges in Nextflow; the stub-run
    test compares the two DAGs task by task.)

    Attributes
    ----------
    stage
        The upstream stage; ``{modality}`` is filled from the task's fan-out fields
        (``"{modality}_prep"``: ``rna_prep`` for the RNA task).
    output
        The key of the upstream stage's :attr:`Stage.outputs`.
    modalities
        Only upstream tasks of these modalities (``None``: all).
    only_with
        Fed only when this other file option of the stage has a value.

    An upstream task feeds the option when its fan-out fields agree with the task's on
    the fields both have; an option with ``nargs`` collects every such task, in run order.
    """

    stage: str
    output: str
    modalities: tuple[str, ...] | None = None
    only_with: str | None = None


@dataclass(frozen=True)
class FileOption:
    """A file (or other per-call value) a stage takes: ``--name`` in ``omics <stage>``.

    ``feed`` names the upstream output that gives its value in ``omics run``; options
    without one are named after a fan-out field (:data:`FAN_OUT_OPTIONS`) or are the
    user's input files, which the runner passes itself.
    """

    name: str
    help: str = ""
    required: bool = False
    nargs: str | None = None
    choices: tuple[str, ...] | None = None
    feed: Feed | None = None

    def argparse_kwargs(self, *, in_params_file: bool = False) -> dict:
        """Keyword arguments of :meth:`argparse.ArgumentParser.add_argument`.

        Parameters
        ----------
        in_params_file
            The option is also a parameter (``input``, ``rna_counts``, ...), so its value
            may come from ``--params-file`` instead: argparse does not require it (the
            command checks it once the file is read) and the help says so.

        Returns
        -------
        dict
            ``help``, and ``required``, ``nargs``/``default`` and ``choices`` when set.
        """
        kwargs: dict = {"help": self.help}
        if in_params_file:
            kwargs["help"] = f"{self.help} (or `{self.name}:` in --params-file)"
        if self.required and not in_params_file:
            kwargs["required"] = True
        if self.nargs:
            kwargs.update(nargs=self.nargs, default=[])
        if self.choices:
            kwargs["choices"] = list(self.choices)
        return kwargs


@dataclass(frozen=True)
class Stage:
    """One stage of the pipeline.

    Attributes
    ----------
    name
        Stage name: ``omics <name>``, process ``OMICS_<NAME>``, module
        ``pipelines/modules/local/<name>/main.nf``.
    help
        One line for ``omics --help``.
    function
        ``module:function`` under ``omics.stages``, imported on first use.
    files
        Per-call inputs (CLI options of the stage subcommand) and what feeds them.
    fan_out
        Fields the stage runs once per value of, in task-name order: ``("contrast",
        "modality")`` gives tasks ``de.<contrast>.<modality>``; ``()`` one task per run.
    params
        Names of the parameters (:mod:`omics.params`) the stage reads.
    outputs
        ``{key: template}`` of the files written, relative to the results folder; fields
        in braces (``{modality}``, ``{contrast}``, ``{method}``) are filled per call.
    adapt
        Turns the CLI values into the function's keyword arguments, when they differ.
    cost
        Rough seconds of one task on the demo cohort: ``omics run`` starts first the ready
        task with the costliest path to the end of the run (a scheduling hint only).
    modalities
        With ``"modality"`` in :attr:`fan_out`: the modalities it runs for, in run order
        (a task is made for each one whose required feeds exist).
    reads
        ``module:function`` under ``omics.stages`` returning the files behind the user's
        inputs (``params -> [Path]``; e.g. the FCS files of a folder), hashed into the
        resume key; the stage runs only when it returns files. ``None``: the user files
        given (file options without a feed) and the files named by :attr:`key_params`.
    key_params
        Parameters naming files (comma-separated lists allowed) whose content is part of
        the resume key, so that a file edited in place is read again (gene sets).
    after_all
        Runs last and reads the whole results folder (the report): fed the folder, its
        resume key hashes every declared output of the tasks before it, and every output
        their manifests recorded (the optional and per-sample ones too).
    requires_any
        Groups of file options: the task is made only when every option of one group has
        a value (``integrate``: RNA and protein, or flow with either). ``()``: no such rule
        (the ``required`` options decide).
    written_with
        ``{output key: file options}``: the output is written only when each of those
        options has a value (``integrate`` writes the mRNA-protein tables only with both
        RNA and protein); a task without them does not declare it
        (:func:`omics.dag.declared_outputs`, the report's inputs), though it still claims it.
    optional
        Keys of :attr:`outputs` written only for some inputs or parameters (the survival
        tables only with ``afs_days``/``afs_event``, the gating plots only from FCS files).
        ``omics run`` does not list them among the report's inputs (they may be absent;
        the report's key counts them through the manifests of the tasks that wrote them), but
        claims them like every output, and stops rather than overwrite a file there that
        no run of its folder wrote.

    Which tasks ``omics run`` makes (:func:`omics.dag.build_tasks`) follows from these
    fields, in declaration order: a stage with user files runs when they are given; a
    stage with feeds runs when its required feeds exist, once per fan-out value.
    """

    name: str
    help: str
    function: str
    files: tuple[FileOption, ...] = ()
    fan_out: tuple[str, ...] = ()
    params: tuple[str, ...] = ()
    outputs: dict[str, str] = field(default_factory=dict)
    adapt: Callable[[dict], dict] | None = None
    cost: float = 1.0
    modalities: tuple[str, ...] = MODALITIES
    reads: str | None = None
    key_params: tuple[str, ...] = ()
    after_all: bool = False
    requires_any: tuple[tuple[str, ...], ...] = ()
    written_with: dict[str, tuple[str, ...]] = field(default_factory=dict)
    optional: tuple[str, ...] = ()

    @property
    def process(self) -> str:
        """Name of the Nextflow process."""
        return f"OMICS_{self.name.upper()}"

    @property
    def nextflow_module(self) -> str:
        """Path of the Nextflow module, relative to the repository root."""
        return f"pipelines/modules/local/{self.name}/main.nf"

    def load(self) -> Callable[..., dict]:
        """Import and return the stage function."""
        return _load(self.function)

    def read_files(self, params: dict) -> list[Path]:
        """Files behind the user's inputs of one call (see :attr:`reads`); [] when none given."""
        if self.reads is not None:
            return list(_load(self.reads)(params))
        given = [Path(params[option.name]) for option in self.user_files if params.get(option.name)]
        return given + self.key_files(params)

    def key_files(self, params: dict) -> list[Path]:
        """Files named by :attr:`key_params` in ``params`` (comma-separated lists split).

        ``none`` (``background_genesets: none``) names no file.
        """
        from .params import split_list

        return [Path(item) for name in self.key_params for item in split_list(params.get(name))
                if item.lower() != "none"]

    @property
    def user_files(self) -> tuple[FileOption, ...]:
        """File options the user's inputs fill (no feed, not a fan-out field)."""
        return tuple(option for option in self.files if option.feed is None
                     and option.name not in FAN_OUT_OPTIONS.values())

    def output(self, key: str, **fields: str) -> str:
        """Relative path of output ``key`` (``method`` is filled from ``modality``)."""
        if "modality" in fields and "method" not in fields:
            fields["method"] = DE_METHOD.get(fields["modality"], "")
        return self.outputs[key].format(**fields)

    def output_path(self, outdir: str | Path, key: str, **fields: str) -> Path:
        """``outdir`` joined with :meth:`output`."""
        return Path(outdir) / self.output(key, **fields)

    def task_name(self, **fields: str) -> str:
        """Name of a task of this stage in ``omics run`` (e.g. ``de.resp.rna``)."""
        return ".".join([self.name, *(fields[field] for field in self.fan_out)])

    def call_kwargs(self, values: dict) -> dict:
        """Keyword arguments of the function from the CLI values of :attr:`files`."""
        return self.adapt(dict(values)) if self.adapt else dict(values)


def _load(target: str) -> Callable:
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(f"omics.stages.{module}"), attribute)


def _score_kwargs(values: dict) -> dict:
    h5ads = {m: p for m, p in (("rna", values.pop("rna_h5ad", None)),
                               ("protein", values.pop("protein_h5ad", None)),
                               ("flow", values.pop("flow_h5ad", None))) if p}
    if not h5ads:
        raise InputError("give --rna_h5ad, --protein_h5ad, --flow_h5ad or several.")
    return {**values, "h5ads": h5ads}


def _rna_prep_kwargs(values: dict) -> dict:
    if not (values.get("rna_counts") or values.get("rna_matrix")):
        raise InputError("give --rna_counts or --rna_matrix (on the command line or as rna_counts: "
                         "or rna_matrix: in --params-file).")
    return values


def _report_kwargs(values: dict) -> dict:
    # ``omics report`` on an earlier run: its methods use the recorded parameters.
    return {**values, "recorded": True}


_QPCR_PARAMS = ("rna_format", "qpcr_max_ct", "qpcr_undetermined", "qpcr_replicate_sd",
                "qpcr_reference_genes", "qpcr_reference_candidates", "qpcr_efficiency")
#: The flow inputs and the options the flow input check reads
#: (:func:`omics.stages._flow.flow_task_inputs`, which ``validate`` calls).
_FLOW_CHECK_PARAMS = ("flow_table", "flow_fcs", "flow_gating", "flow_ignore_offset_error",
                      "flow_beads_per_test", "flow_bead_gate", "flow_sample_volume_ul",
                      "flow_cell_count_col", "flow_count_reference", "flow_dose_population")


#: Modalities measured per gene (differential tables with enrichment and integration).
GENE_MODALITIES = ("rna", "protein")

_H5AD = FileOption("h5ad", "rna.h5ad or protein.h5ad", required=True,
                   feed=Feed("{modality}_prep", "h5ad"))
_DE_H5AD = FileOption("h5ad", "rna.h5ad, protein.h5ad or flow.h5ad", required=True,
                      feed=Feed("{modality}_prep", "h5ad"))
_MODALITY = FileOption("modality", "rna or protein", required=True, choices=GENE_MODALITIES)
_DE_MODALITY = FileOption("modality", "rna, protein or flow", required=True,
                          choices=(*GENE_MODALITIES, "flow"))
_SHEET = FileOption("samplesheet", "validated sample sheet", required=True,
                    feed=Feed("validate", "samplesheet"))
_CONTRASTS = FileOption("contrasts", "validated contrasts", required=True,
                        feed=Feed("validate", "contrasts"))
_VALIDATED = (_SHEET, _CONTRASTS)

STAGES: dict[str, Stage] = {stage.name: stage for stage in (
    Stage("validate", "check inputs; write validated/", "_validate:validate",
          files=(FileOption("input", "sample sheet", required=True),
                 FileOption("contrasts", "contrasts file", required=True),
                 FileOption("rna_counts", "RNA count matrix"),
                 FileOption("rna_matrix", "RNA matrix in --rna_format (qpcr, array)"),
                 FileOption("protein_matrix", "protein matrix")),
          # The flow inputs and options are checked here too, as `omics run` checks them
          # before anything runs (Nextflow: a bad flow input stops in OMICS_VALIDATE).
          params=("sample_id_col", "rna_min_count", "rna_min_samples", *_QPCR_PARAMS,
                  "protein_format", "protein_intensity", "protein_is_log2",
                  "protein_min_valid_fraction", "protein_imputation", "genesets",
                  "background_genesets", "response_covariates", *_FLOW_CHECK_PARAMS),
          key_params=("qpcr_efficiency",),
          outputs={"samplesheet": "validated/samplesheet.csv",
                   "contrasts": "validated/contrasts.yaml",
                   "report": "validated/validation.json"}),
    Stage("rna_prep", "filter, size factors, VST; write rna/rna.h5ad", "_prep:rna_prep",
          files=(*_VALIDATED, FileOption("rna_counts", "RNA count matrix"),
                 FileOption("rna_matrix", "RNA matrix in --rna_format (qpcr, array)")),
          params=("rna_min_count", "rna_min_samples", *_QPCR_PARAMS),
          # qPCR only: the replicates, and with geNorm (no --qpcr_reference_genes) its tables
          outputs={"h5ad": "rna/rna.h5ad", "replicates": "rna/qpcr_replicates.tsv",
                   "genorm": "rna/qpcr_genorm.tsv",
                   "genorm_variation": "rna/qpcr_genorm_variation.tsv"},
          optional=("replicates", "genorm", "genorm_variation"),
          key_params=("qpcr_efficiency",), adapt=_rna_prep_kwargs, cost=2.5),
    Stage("protein_prep", "log2, filter, normalise, missing values; write protein/protein.h5ad",
          "_prep:protein_prep",
          files=(*_VALIDATED, FileOption("protein_matrix", "protein matrix", required=True)),
          params=("protein_format", "protein_intensity", "protein_is_log2",
                  "protein_min_valid_fraction", "protein_normalization", "protein_imputation",
                  "seed"),
          outputs={"h5ad": "protein/protein.h5ad"}, cost=0.4),
    Stage("flow_prep", "gate FCS files or read a population table; write flow/flow.h5ad, "
          "qc/flow.qc.tsv", "_flow:flow_prep",
          files=(_SHEET, FileOption("flow_table", "population table (FlowJo/Kaluza export)"),
                 FileOption("flow_fcs", "folder of FCS files")),
          params=("flow_gating", "flow_ignore_offset_error", "flow_gating_plots",
                  "flow_beads_per_test", "flow_bead_gate",
                  "flow_sample_volume_ul", "flow_cell_count_col", "flow_count_reference",
                  "flow_min_events", "n_cpus"),
          outputs={"h5ad": "flow/flow.h5ad", "qc": "qc/flow.qc.tsv",
                   "gating_plots": "flow/gating_plots/{sample}.png"}, cost=3.0,
          optional=("gating_plots",),  # FCS input, --flow_gating_plots true
          reads="_flow:flow_task_inputs"),
    Stage("qc", "PCA, sample correlations, outliers; write qc/", "_qc:qc",
          files=(_H5AD, _MODALITY), fan_out=("modality",), modalities=GENE_MODALITIES,
          params=("seed",),
          outputs={"pca": "qc/{modality}.pca.tsv",
                   "pca_variance": "qc/{modality}.pca_variance.txt",
                   "correlation": "qc/{modality}.sample_correlation.tsv",
                   "outliers": "qc/{modality}.outliers.tsv"}, cost=0.2),
    Stage("de", "one contrast on one modality; write differential/", "_de:de",
          files=(_DE_H5AD, _CONTRASTS,
                 FileOption("contrast_id", "id of the contrast to test", required=True),
                 _DE_MODALITY),
          fan_out=("contrast", "modality"),
          params=("n_cpus", "deseq2_shrink", "deseq2_alpha"),
          outputs={"results": "differential/{contrast}.{modality}.{method}.results.tsv"}, cost=1.0),
    Stage("enrich", "GSEA prerank + ORA of one differential table; write enrichment/",
          "_enrich:enrich",
          files=(FileOption("de_results", "a differential results table", required=True,
                            feed=Feed("de", "results")),),
          fan_out=("contrast", "modality"), modalities=GENE_MODALITIES,
          params=("genesets", "background_genesets", "gsea_permutations", "gsea_min_size",
                  "gsea_max_size", "de_fdr", "seed"),
          key_params=("genesets", "background_genesets"),
          outputs={"gsea": "enrichment/{contrast}.{modality}.gsea.tsv",
                   "ora": "enrichment/{contrast}.{modality}.ora.tsv"}, cost=2.0),
    Stage("score", "per-patient angiogenic scores and response models; write scores/",
          "_score:score",
          files=(FileOption("rna_h5ad", "rna.h5ad", feed=Feed("rna_prep", "h5ad")),
                 FileOption("protein_h5ad", "protein.h5ad", feed=Feed("protein_prep", "h5ad")),
                 FileOption("flow_h5ad", "flow.h5ad", feed=Feed("flow_prep", "h5ad"))),
          params=("genesets", "score_method", "response_covariates", "response_multiplicity",
                  "cv_folds", "cv_repeats", "seed", "flow_dose_population", "n_cpus"),
          key_params=("genesets",),
          outputs={"scores": "scores/angiogenesis_scores.tsv",
                   "response_model": "scores/response_model.tsv",
                   "score_redundancy": "scores/score_redundancy.tsv",
                   "response_roc": "scores/response_roc.tsv",
                   "phenotype": "scores/score_phenotype_correlation.tsv",
                   "survival_model": "scores/survival_model.tsv",
                   "km_curves": "scores/km_curves.tsv",
                   "km_logrank": "scores/km_logrank.tsv"},
          # ROC with arm/response; phenotype with continuous contrasts; survival and
          # Kaplan-Meier with afs_days/afs_event
          optional=("response_roc", "phenotype", "survival_model", "km_curves", "km_logrank"),
          adapt=_score_kwargs, cost=4.0),
    Stage("integrate", "mRNA-protein MuData, correlation, concordance; flow vs scores; "
          "write integration/",
          "_integrate:integrate",
          files=(FileOption("rna_h5ad", "rna.h5ad", feed=Feed("rna_prep", "h5ad")),
                 FileOption("protein_h5ad", "protein.h5ad", feed=Feed("protein_prep", "h5ad")),
                 FileOption("de_results", "differential tables", nargs="+",
                            feed=Feed("de", "results", modalities=GENE_MODALITIES)),
                 FileOption("gsea_results", "GSEA tables", nargs="+", feed=Feed("enrich", "gsea")),
                 FileOption("flow_h5ad", "flow.h5ad", feed=Feed("flow_prep", "h5ad")),
                 FileOption("scores", "scores/angiogenesis_scores.tsv (with --flow_h5ad)",
                            feed=Feed("score", "scores", only_with="flow_h5ad"))),
          params=("de_fdr", "flow_dose_population", "gsea_permutations", "n_cpus"),
          outputs={"h5mu": "integration/omics.h5mu",
                   "correlation": "integration/mrna_protein_correlation.tsv",
                   "concordance": "integration/concordance.tsv",
                   "summary": "integration/concordance_summary.tsv",
                   "pathways": "integration/pathway_evidence.tsv",
                   "flow_correlation": "integration/flow_score_correlation.tsv"},
          optional=("flow_correlation",),  # with flow.h5ad
          # RNA and protein: the mRNA-protein tables; flow with RNA or protein (or both):
          # the flow-score correlation
          requires_any=(("rna_h5ad", "protein_h5ad"), ("rna_h5ad", "flow_h5ad"),
                        ("protein_h5ad", "flow_h5ad")),
          written_with={key: ("rna_h5ad", "protein_h5ad")
                        for key in ("h5mu", "correlation", "concordance", "summary", "pathways")},
          cost=1.5),
    Stage("report", "HTML report; write report/index.html", "_report:report",
          files=(FileOption("results_dir", "folder holding the result files", required=True),),
          # Read for the methods section (the report states the run's settings).
          params=("de_fdr", "genesets", "background_genesets", "gsea_permutations", "gsea_min_size",
                  "gsea_max_size", "score_method", "response_covariates", "response_multiplicity",
                  "cv_folds", "cv_repeats", "seed", "rna_min_count", "rna_min_samples",
                  "deseq2_shrink", "deseq2_alpha", "protein_format", "protein_intensity",
                  "protein_min_valid_fraction", "protein_normalization", "protein_imputation",
                  "flow_gating_plots", "n_cpus"),
          key_params=("genesets", "background_genesets"),
          outputs={"html": "report/index.html"},
          adapt=_report_kwargs, cost=4.0, after_all=True),
)}


def de_results_name(contrast_id: str, modality: str, method: str | None = None) -> str:
    """File name of a differential table, e.g. ``resp.rna.deseq2.results.tsv``.

    ``method`` defaults to the modality's usual engine (:data:`DE_METHOD`); qPCR and array
    RNA give ``limma`` (``resp.rna.limma.results.tsv``).
    """
    return Path(STAGES["de"].output("results", contrast=contrast_id, modality=modality,
                                    method=method or DE_METHOD[modality])).name


def parse_de_results_name(path: str | Path) -> tuple[str, str, str]:
    """Return ``(contrast_id, modality, method)`` from a differential table's file name."""
    name = Path(path).name
    for modality in DE_METHOD:
        for method in DE_METHODS:
            suffix = de_results_name("", modality, method)
            if name.endswith(suffix) and len(name) > len(suffix):
                return name[: -len(suffix)], modality, method
    raise InputError("not a differential results file (<contrast>.<modality>.<method>.results.tsv).",
                     path=path)
