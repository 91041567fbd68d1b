"""The DAG of ``omics run``: which tasks run, in which order, fed by which files.

Everything comes from the stage declarations (:data:`omics.registry.STAGES`): the run
order is the declaration order; which stages run follows from the inputs given and the
feeds each stage requires; what feeds each file option, the fan-out per contrast and
modality, and the output names are declared there. :mod:`omics.runner` runs the tasks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .io import read_contrasts
from .registry import FAN_OUT_OPTIONS, STAGES, Feed, Stage, de_method

__all__ = ["Task", "build_tasks", "declared_outputs", "possible_outputs"]


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
        if stage.requires_any and not any(all(values.get(option) for option in group)
                                          for group in stage.requires_any):
            return  # e.g. integrate with RNA alone
        self.tasks.append(Task(stage.task_name(**fields), name, stage.call_kwargs(values),
                               [*inputs, *reads], fields, needs))

    def add_last(self, name: str) -> None:
        """Add the task of stage ``name`` that reads the whole results folder (the report).

        Its one file option is the results folder; its inputs, hashed into the resume key,
        are the declared outputs of every task before it (not the per-sample or
        wildcard ones, which its resume key counts through the tasks' manifests); it
        waits for all of them.
        """
        stage = STAGES[name]
        (option,) = stage.files
        outputs = {path for task in self.tasks for path in declared_outputs(task, self.params, self.outdir)}
        # Not ``stage.adapt``: that is ``omics report`` on an earlier run's recorded settings.
        self.tasks.append(Task(stage.task_name(), name, {option.name: self.outdir},
                               sorted(outputs), needs=[task.name for task in self.tasks]))


def declared_outputs(task: Task, params: dict, outdir: Path) -> list[Path]:
    """Return the files every run of ``task`` writes, whose names are known before it runs.

    Parameters
    ----------
    task
        A task of :func:`build_tasks`.
    params
        The run's parameters.
    outdir
        The results folder.

    Returns
    -------
    list[Path]
        Its declared outputs, except the optional ones (:attr:`omics.registry.Stage.optional`:
        the survival tables, the gating plots, the qPCR tables), those its file options do
        not give (:attr:`omics.registry.Stage.written_with`) and the per-sample and
        wildcard ones.
    """
    stage = STAGES[task.stage]
    # not written without their file options (integrate's mRNA-protein tables without protein)
    unwritten = {key for key, options in stage.written_with.items()
                 if not all(task.kwargs.get(option) for option in options)}
    optional = set(stage.optional) | unwritten
    return [path for key, path in _output_paths(task, params, outdir) if key not in optional]


def possible_outputs(task: Task, params: dict, outdir: Path, samples: Sequence[str] = ()
                     ) -> list[Path]:
    """Return every file ``task`` may write: its declared outputs, the optional ones too.

    A per-sample output (``flow/gating_plots/{sample}.png``) is named for each of
    ``samples`` (the sample sheet's ids); a wildcard template names no file.

    Parameters
    ----------
    task
        A task of :func:`build_tasks`.
    params
        The run's parameters.
    outdir
        The results folder.
    samples
        The ids of the run's sample sheet.

    Returns
    -------
    list[Path]
        The paths, in declaration order (per-sample ones in the order of ``samples``).
    """
    return [path for _, path in _output_paths(task, params, outdir, samples=samples)]


def _output_paths(task: Task, params: dict, outdir: Path, *, samples: Sequence[str] | None = None
                  ) -> list[tuple[str, Path]]:
    # (key, path) of the task's outputs; per-sample ones for `samples` (none when None).
    fields = dict(task.fields)
    if "modality" in fields:
        fields["method"] = de_method(fields["modality"], params)
    stage = STAGES[task.stage]
    paths = []
    for key, template in stage.outputs.items():
        if "*" in template:
            continue
        try:
            if "{sample}" in template:
                paths += [(key, stage.output_path(outdir, key, sample=str(sample), **fields))
                          for sample in samples or ()]
            else:
                paths.append((key, stage.output_path(outdir, key, **fields)))
        except KeyError:  # a field the task does not have (a task made by hand, in a test)
            continue
    return paths


def build_tasks(params: dict, outdir: Path, *,
                reads: Mapping[str, list[Path]] | None = None) -> list[Task]:
    """Build the DAG of ``omics run`` for the inputs given, from the stage declarations.

    Stages come in declaration order (:data:`omics.registry.STAGES`): a stage taking the
    user's files runs when they are given; a fanned-out stage once per contrast and
    modality whose required feeds exist; the report (``after_all``) last, after every
    other task. What feeds each task, its name and its output names come from the
    declarations too.

    Parameters
    ----------
    params
        The run's parameters (the user's files among them).
    outdir
        The results folder.
    reads
        Files behind the user's inputs of a stage, already worked out by the caller
        (``{"flow_prep": [...]}``); otherwise from :meth:`omics.registry.Stage.read_files`.

    Returns
    -------
    list[Task]
        The tasks in run order.
    """
    contrast_ids = [c.id for c in read_contrasts(params["contrasts"])]
    dag = _Dag(outdir, params)
    for stage in STAGES.values():
        if stage.after_all:
            dag.add_last(stage.name)
        elif stage.fan_out:
            for fields in _fan_out(stage, contrast_ids):
                dag.add(stage.name, **fields)
        elif stage.user_files:
            if any(option.required and not params.get(option.name) for option in stage.user_files):
                continue
            given = {option.name: Path(params[option.name]) for option in stage.user_files
                     if params.get(option.name)}
            files = (reads or {}).get(stage.name)
            files = stage.read_files(params) if files is None else files
            if files and (given or stage.reads is not None):
                dag.add(stage.name, given=given, reads=files)
        else:
            dag.add(stage.name)
    return dag.tasks


def _fan_out(stage: Stage, contrast_ids: list[str]) -> list[dict[str, str]]:
    """Fan-out fields of a stage's tasks, modality by modality, contrasts in file order."""
    values = {"modality": list(stage.modalities), "contrast": contrast_ids}
    combos: list[dict[str, str]] = [{}]
    for name in sorted(stage.fan_out, key=lambda name: name != "modality"):
        combos = [{**combo, name: value} for combo in combos for value in values[name]]
    return combos
