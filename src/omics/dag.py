"""The DAG of ``omics run``: which tasks run, in which order, fed by which files.

What feeds each file option of a stage, whether it fans out per contrast and modality,
and the names of its outputs come from the stage declarations
(:data:`omics.registry.STAGES`); :func:`build_tasks` sets the run order and which stages
run for the inputs given. :mod:`omics.runner` runs the tasks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .io import read_contrasts
from .registry import FAN_OUT_OPTIONS, STAGES, Feed, de_method

__all__ = ["Task", "build_tasks"]


@dataclass
class Task:
    """One node of the DAG: a call of a registered stage (:data:`omics.registry.STAGES`)."""

    name: str
    stage: str
    kwargs: dict
    inputs: list[Path]
    fields: dict[str, str] = field(default_factory=dict)  # fan-out: contrast, modality
    needs: list[str] = field(default_factory=list)  # names of the tasks whose outputs it reads

    @property
    def function(self) -> Callable[..., dict]:
        """The stage function."""
        return STAGES[self.stage].load()


_FIELD_OF_OPTION = {option: name for name, option in FAN_OUT_OPTIONS.items()}


class _Dag:
    """The tasks of a run, in order; each new task is fed by the tasks before it.

    :meth:`add` fills a stage's file options as the registry declares them
    (:class:`omics.registry.Feed`): from the outputs of earlier tasks, from the task's
    fan-out fields (``contrast``, ``modality``) or from the values given (the user's
    files). A stage whose required upstream output is missing (``integrate`` without
    protein) gets no task.
    """

    def __init__(self, outdir: Path, params: dict) -> None:
        self.outdir, self.params, self.tasks = outdir, params, []

    def output(self, task: Task, key: str) -> Path:
        """Path of output ``key`` of an earlier task."""
        fields = dict(task.fields)
        if "modality" in fields:
            fields["method"] = de_method(fields["modality"], self.params)
        return STAGES[task.stage].output_path(self.outdir, key, **fields)

    def _fed(self, feed: Feed, fields: dict[str, str]) -> list[tuple[Task, Path]]:
        stage = feed.stage.format(**fields)
        return [(task, self.output(task, feed.output)) for task in self.tasks
                if task.stage == stage
                and (feed.modalities is None or task.fields.get("modality") in feed.modalities)
                and all(fields.get(k, v) == v for k, v in task.fields.items())]

    def add(self, name: str, *, given: dict | None = None, reads: Sequence[Path] = (),
            **fields: str) -> None:
        """Add a task of stage ``name`` for the fan-out ``fields``.

        ``given`` are values of file options without a feed (the user's files); ``reads``
        the files behind them, hashed into the task's resume key after its fed inputs.
        """
        stage, values, inputs, needs = STAGES[name], dict(given or {}), [], []
        for option in stage.files:
            if option.name in values:
                continue
            if option.feed is None:  # e.g. --modality: a fan-out field
                if _FIELD_OF_OPTION.get(option.name) in fields:
                    values[option.name] = fields[_FIELD_OF_OPTION[option.name]]
                continue
            if option.feed.only_with and not values.get(option.feed.only_with):
                continue
            fed = self._fed(option.feed, fields)
            paths = [path for _, path in fed]
            needs += [task.name for task, _ in fed if task.name not in needs]
            if not paths and option.required:
                return  # e.g. integrate without protein
            if option.nargs:
                values[option.name] = paths
            elif paths:
                values[option.name] = paths[0]
            inputs += paths
        self.tasks.append(Task(stage.task_name(**fields), name, stage.call_kwargs(values),
                               [*inputs, *reads], fields, needs))


def build_tasks(params: dict, outdir: Path, *, flow_files: list[Path] | None = None) -> list[Task]:
    """Build the DAG for the inputs present: validate, prep, qc, de, enrich, score, integrate, report.

    The order of the tasks, and which run for the inputs given, are set here; what feeds
    each task, its name and its output names come from the stage declarations
    (:data:`omics.registry.STAGES`).
    """
    contrast_ids = [c.id for c in read_contrasts(params["contrasts"])]
    rna_key = "rna_matrix" if params.get("rna_matrix") else "rna_counts"
    matrices = {m: (key, Path(params[key])) for m, key in (("rna", rna_key),
                                                           ("protein", "protein_matrix")) if params[key]}
    efficiency = [Path(params["qpcr_efficiency"])] if params.get("qpcr_efficiency") else []
    if flow_files is None:
        from .stages._flow import flow_task_inputs

        flow_files = flow_task_inputs(params)

    dag = _Dag(outdir, params)
    given = {key: params.get(key) for key in ("input", "contrasts", "rna_counts", "rna_matrix",
                                              "protein_matrix")}
    dag.add("validate", given=given, reads=[Path(params["input"]), Path(params["contrasts"]),
                                            *(path for _, path in matrices.values()), *efficiency])
    for modality, (key, matrix) in matrices.items():
        dag.add(f"{modality}_prep", given={key: matrix},
                reads=[matrix, *(efficiency if modality == "rna" else [])])
        dag.add("qc", modality=modality)
    if flow_files:  # flow cytometry: prep, limma per contrast, scores (no enrichment)
        dag.add("flow_prep", given={"flow_table": params.get("flow_table"),
                                    "flow_fcs": params.get("flow_fcs")}, reads=flow_files)
        for contrast_id in contrast_ids:
            dag.add("de", contrast=contrast_id, modality="flow")
    for modality in matrices:
        for contrast_id in contrast_ids:
            dag.add("de", contrast=contrast_id, modality=modality)
            dag.add("enrich", contrast=contrast_id, modality=modality)
    dag.add("score")
    dag.add("integrate")
    # The report reads the whole results folder: every result of the tasks before it.
    tasks = dag.tasks
    report_inputs = [p for t in tasks for p in t.inputs if str(p).startswith(str(outdir))]
    report_inputs += [STAGES["score"].output_path(outdir, "response_model")]
    tasks.append(Task("report", "report", {"results_dir": outdir}, sorted(set(report_inputs)),
                      needs=[task.name for task in tasks]))
    return tasks
