"""Stage ``report``: the self-contained HTML report."""

from __future__ import annotations

from pathlib import Path, PurePath

import yaml

from .._errors import InputError
from .._logging import get_logger
from ..report import build_report
from ..report._methods import task_values
from ._common import stage_output

log = get_logger("report")
#: The input check's copies of the sample sheet and contrasts (results in ``validated/`` only).
_INPUT_COPIES = ("samplesheet.csv", "contrasts.yaml", "contrasts.csv")
#: Result files the report shows (any one makes ``results_dir`` the results of a run).
REPORTED = (*_INPUT_COPIES, "*.pca.tsv", "flow.qc.tsv",
            "*.results.tsv", "*.gsea.tsv", "response_model.tsv", "survival_model.tsv",
            "km_curves.tsv", "score_redundancy.tsv", "concordance.tsv", "mrna_protein_correlation.tsv",
            "pathway_evidence.tsv", "flow_score_correlation.tsv")


def check_results_dir(results_dir: str | Path) -> None:
    """Stop unless ``results_dir`` is a folder holding result files of a run.

    Parameters
    ----------
    results_dir
        The folder ``omics report`` reads.

    Raises
    ------
    InputError
        It is missing, not a folder, holds runs' folders (with ``pipeline_info/``) below it
        rather than being one, or holds none of :data:`REPORTED` (the sample sheet and
        contrasts only in a ``validated/`` folder).
    """
    from ..report._discover import Results

    path = Path(results_dir)
    fix = ("Give {--results_dir} the results folder of an 'omics run' (its {--outdir}) or a folder "
           "of its result files.")
    if not path.is_dir():
        problem = "not a folder." if path.exists() else "folder not found."
        raise InputError("{--results_dir}: " + problem, path=path, fix=fix)
    # A folder above a run (its parent, or a folder of runs): the report would mix runs'
    # files and miss their parameters record. The run is the folder with pipeline_info/.
    if not (path / "pipeline_info").is_dir():
        runs = sorted({info.parent for depth in ("*", "*/*") for info in path.glob(f"{depth}/pipeline_info")
                       if info.is_dir()})
        if runs:
            names = ", ".join(str(run.relative_to(path)) for run in runs[:5])
            raise InputError(f"{{--results_dir}} is not a run's results folder: the results of "
                             f"{len(runs)} run(s) lie below it ({names}).", path=path,
                             fix=f"Give {{--results_dir}} the run's folder, e.g. {runs[0]}.")
    results = Results(path)
    # The sample sheet and contrasts count as a run's only as its validated/ copies: a
    # folder of the user's inputs is not results (the report would be empty).
    if not any(found.parent.name == "validated" if pattern in _INPUT_COPIES else True
               for pattern in REPORTED for found in results.find(pattern)):
        raise InputError("{--results_dir} holds no result files of a run (no validated/ sample "
                         "sheet, no differential, enrichment, QC, score or integration table).",
                         path=path, fix=fix)


#: Parameters of the report itself, not of the results: a given value wins, unchecked.
_REPORT_ONLY = ("n_cpus",)
#: Parameters the record keeps whatever is given: where the run wrote (``omics report`` is
#: never told it).
_RECORD_ONLY = ("outdir",)
#: Files the report reads again (the gene sets' members): the given path says where they
#: are now (Nextflow stages copies), so only their file names must match the record's.
_LOCATIONS = ("genesets", "background_genesets")


def _record_path(results_dir: str | Path) -> Path:
    return Path(results_dir) / "pipeline_info" / "params.yaml"


def _manifest_dir(results_dir: str | Path) -> Path:
    from .._manifests import CACHE_DIR

    return Path(results_dir) / CACHE_DIR


#: Comma-separated lists of names, compared item by item (``age, sex`` is ``age,sex``).
_NAME_LISTS = ("qpcr_reference_genes", "qpcr_reference_candidates")


def _comparable(name: str, value: object) -> object:
    """Return ``value`` of parameter ``name`` as the record and the report must agree on it.

    Lists are compared item by item (spaces after commas do not count); gene-set files by
    their file names (Nextflow stages copies under other folders), ``none`` in any case.
    """
    from ..params import BY_NAME, split_list

    if name in _LOCATIONS:
        items = split_list(None if value is None else str(value))
        if [item.lower() for item in items] == ["none"]:
            return ["none"]
        return [PurePath(item).name for item in items]
    if name in _NAME_LISTS or (name in BY_NAME and BY_NAME[name].is_list):
        return split_list(None if value is None else str(value))
    return value


def same_value(name: str, first: object, second: object) -> bool:
    """Whether two values of parameter ``name`` are the same setting (:func:`_comparable`).

    ``None`` is the parameter's default; files are compared by their names (a stage
    command and the run may name one file by other paths).

    Parameters
    ----------
    name
        The parameter.
    first, second
        Its two values.

    Returns
    -------
    bool
        True when they are the same setting.
    """
    from ..params import BY_NAME

    default = BY_NAME[name].default if name in BY_NAME else None
    first, second = (default if v is None else v for v in (first, second))
    if name in BY_NAME and BY_NAME[name].type == "path" and name not in _LOCATIONS:
        return (None if first is None else PurePath(str(first)).name) == (
            None if second is None else PurePath(str(second)).name)
    return _comparable(name, first) == _comparable(name, second)


def _by_hand(results_dir: str | Path, used: dict) -> tuple[dict, dict[str, dict[str, object]]]:
    """Return the parameters the tables were computed with, and those stage commands ran with mixed values.

    A stage command records the parameters its task ran with (:func:`omics.report.task_values`).
    Where every task that reads a parameter was run so with one value, the tables were
    computed with it: it replaces ``used``'s. Where only some were, or with several values,
    the parameter is returned with ``{task: value}`` of the tasks that differ from ``used``
    (logged as a warning): no one value describes the tables.
    """
    used = dict(used)
    mixed: dict[str, dict[str, object]] = {}
    for name in sorted(used):
        if name in _REPORT_ONLY + _RECORD_ONLY:
            continue
        recorded, others = task_values(results_dir, name)
        differing = {task: value for task, value in recorded.items()
                     if not same_value(name, value, used[name])}
        if not differing:
            continue
        first = next(iter(recorded.values()))
        if not others and len(differing) == len(recorded) and all(
                same_value(name, value, first) for value in recorded.values()):
            log.warning("report: every task that reads %s was run again by hand (a stage command) "
                        "with %s, not the run's %s: the report states %s", name, _shown(first),
                        _shown(used[name]), _shown(first))
            used[name] = first
            continue
        mixed[name] = differing
        for task, value in sorted(differing.items()):
            log.warning("report: task %s was run again by hand (a stage command) with %s %s, not the "
                        "run's %s; the report states %s and names the task", task, name,
                        _shown(value), _shown(used[name]), _shown(used[name]))
    return used, mixed


def _shown(value: object) -> str:
    return f"'{value}'" if isinstance(value, str) else str(value)


def _check_given(name: str, given: object, used: object, record: Path,
                 by_hand: dict[str, object] | None = None) -> None:
    """Stop when ``given`` for parameter ``name`` is not what the run ``used`` (its ``record``).

    ``by_hand``: ``{task: value}`` of tasks a stage command ran with other values than
    ``used`` (:func:`_by_hand`): the tables were computed with more than one value.
    """
    if by_hand:
        tasks = ", ".join(f"{task} with {_shown(value)}" for task, value in sorted(by_hand.items()))
        raise InputError(
            f"{{--{name}}} {_shown(given)} cannot describe the result tables: the run computed them "
            f"with {_shown(used)} (its record), and stage commands ran {tasks} again by hand.",
            path=record, fix=f"Run those tasks again with one value of {{--{name}}} (or 'omics run' "
                             f"with {{--{name}}} {_shown(given)}), or leave {{--{name}}} out (the report "
                             "then names those tasks).")
    if not same_value(name, given, used):
        raise InputError(
            f"{{--{name}}} {_shown(given)} differs from the run's recorded {_shown(used)}: the "
            f"result tables were computed with {_shown(used)}, and the report describes them.",
            path=record, fix=f"Rerun the analysis with {{--{name}}} {_shown(given)}, or leave "
                             f"{{--{name}}} out.")


def _recorded_params(results_dir: str | Path, params: dict) -> dict:
    """Return the run's parameters from ``pipeline_info/params.yaml``; given values must match them.

    The recorded values shaped the result tables, so they win; where stage commands ran
    tasks again with other values (their manifests record them), see :func:`_by_hand`.
    Without ``params.yaml`` (stage commands only), a value every task that reads it
    recorded is used, and a given value must match it. A value in ``params`` other
    than its default is one given to the report: it stops the report when it differs from
    the recorded one (gene-set paths: when the file names differ), except the report's own
    :data:`_REPORT_ONLY`. A recorded ``null`` for a parameter with a default (a Nextflow
    ``-params-file`` holding ``de_fdr: null``, which the stages ran with the default) is the
    default.

    Parameters
    ----------
    results_dir
        The results folder of the run.
    params
        The parameters given to the report (:func:`omics.params.resolve`).

    Returns
    -------
    dict
        The parameters the methods state.

    Raises
    ------
    InputError
        A given value differs from the run's recorded value, or stage commands ran some
        of the tasks that read it with other values.
    """
    from ..params import defaults

    recorded = _record_path(results_dir)
    base = defaults()
    given = {k: v for k, v in params.items() if k not in base or v != base[k]}
    if not recorded.is_file():
        # the tasks' own records (stage commands): values every task that reads them ran
        # with; files (gene sets) stay where the report is told they are now
        from ..params import BY_NAME

        known = {}
        for name in params:
            if name in _REPORT_ONLY + _RECORD_ONLY + _LOCATIONS or (
                    name in BY_NAME and BY_NAME[name].type == "path"):
                continue
            values, others = task_values(results_dir, name)
            first = next(iter(values.values()), None)
            if values and not others and all(
                    same_value(name, value, first) for value in values.values()):
                known[name] = base.get(name) if first is None else first
        for name, value in given.items():
            if name in known:
                _check_given(name, value, known[name], _manifest_dir(results_dir))
        return {**params, **known}
    loaded = yaml.safe_load(recorded.read_text()) or {}
    used = {k: (v if v is not None else base[k]) for k, v in loaded.items() if k in base}
    used, mixed = _by_hand(results_dir, used)
    for name, value in given.items():
        if name in used and name not in _REPORT_ONLY + _RECORD_ONLY:
            _check_given(name, value, used[name], recorded, mixed.get(name))
    where = {k: v for k, v in given.items() if k in _REPORT_ONLY + _LOCATIONS or k not in used}
    return {**params, **used, **where}


def report(*, results_dir: str | Path, outdir: str | Path, params: dict, recorded: bool = False
           ) -> dict[str, Path]:
    """Write ``report/index.html`` from the result files under ``results_dir``.

    ``recorded``: the report of an earlier run (``omics report``): its methods state the
    parameters recorded in ``pipeline_info/params.yaml`` (a given value that differs stops
    the report, see :func:`_recorded_params`); without that record they state the values
    given (``outdir``: ``results_dir``) and say that the run's were not recorded. ``omics
    run`` passes the run's own parameters. A ``results_dir`` that is missing or holds none
    of the result files the report shows (:data:`REPORTED`) stops the stage.
    """
    check_results_dir(results_dir)
    known = True
    if recorded:
        known = _record_path(results_dir).is_file()
        params = _recorded_params(results_dir, params)
        if not known:  # no run's record of where it wrote: the folder of these results
            params = {**params, "outdir": str(results_dir)}
    path = stage_output(outdir, "report", "html")
    return {"html": build_report(results_dir, path, fdr=params["de_fdr"], params=params,
                                 n_cpus=params.get("n_cpus") or 1, params_known=known)}
