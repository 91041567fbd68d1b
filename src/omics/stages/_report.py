"""Stage ``report``: the self-contained HTML report."""

from __future__ import annotations

from pathlib import Path, PurePath

import yaml

from .._errors import InputError
from ..report import build_report
from ._common import stage_output

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


def _shown(value: object) -> str:
    return f"'{value}'" if isinstance(value, str) else str(value)


def _check_given(name: str, given: object, used: object, record: Path) -> None:
    """Stop when ``given`` for parameter ``name`` is not what the run ``used`` (its ``record``)."""
    if _comparable(name, given) != _comparable(name, used):
        raise InputError(
            f"{{--{name}}} {_shown(given)} differs from the run's recorded {_shown(used)}: the "
            f"result tables were computed with {_shown(used)}, and the report describes them.",
            path=record, fix=f"Rerun the analysis with {{--{name}}} {_shown(given)}, or leave "
                             f"{{--{name}}} out.")


def _recorded_params(results_dir: str | Path, params: dict) -> dict:
    """Return the run's parameters from ``pipeline_info/params.yaml``; given values must match them.

    The recorded values shaped the result tables, so they win. A value in ``params`` other
    than its default is one given to the report: it stops the report when it differs from
    the recorded one (gene-set paths: when the file names differ), except the report's own
    :data:`_REPORT_ONLY`. A recorded ``null`` for a parameter with a default (a Nextflow
    ``-params-file`` holding ``de_fdr: null``, which the stages ran with the default) is the
    default. Without the record, ``params`` is returned unchanged.

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
        A given value differs from the run's recorded value.
    """
    from ..params import defaults

    recorded = _record_path(results_dir)
    if not recorded.is_file():
        return params
    loaded = yaml.safe_load(recorded.read_text()) or {}
    base = defaults()
    used = {k: (v if v is not None else base[k]) for k, v in loaded.items() if k in base}
    given = {k: v for k, v in params.items() if k not in base or v != base[k]}
    for name, value in given.items():
        if name in used and name not in _REPORT_ONLY + _RECORD_ONLY:
            _check_given(name, value, used[name], recorded)
    where = {k: v for k, v in given.items() if k in _REPORT_ONLY + _LOCATIONS or k not in used}
    return {**params, **used, **where}


def report(*, results_dir: str | Path, outdir: str | Path, params: dict, recorded: bool = False
           ) -> dict[str, Path]:
    """Write ``report/index.html`` from the result files under ``results_dir``.

    ``recorded``: the report of an earlier run (``omics report``): its methods state the
    parameters recorded in ``pipeline_info/params.yaml`` (a given value that differs stops
    the report, see :func:`_recorded_params`); without that record they state the values
    given and say that the run's were not recorded. ``omics run`` passes the run's own
    parameters. A ``results_dir`` that is missing or holds none of the result files the
    report shows (:data:`REPORTED`) stops the stage.
    """
    check_results_dir(results_dir)
    known = True
    if recorded:
        known = _record_path(results_dir).is_file()
        params = _recorded_params(results_dir, params)
    path = stage_output(outdir, "report", "html")
    return {"html": build_report(results_dir, path, fdr=params["de_fdr"], params=params,
                                 n_cpus=params.get("n_cpus") or 1, params_known=known)}
