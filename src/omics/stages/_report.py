"""Stage ``report``: the self-contained HTML report."""

from __future__ import annotations

from pathlib import Path

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
        It is missing, not a folder, or holds none of :data:`REPORTED` (the sample sheet
        and contrasts only in a ``validated/`` folder).
    """
    from ..report._discover import Results

    path = Path(results_dir)
    fix = ("Give {--results_dir} the results folder of an 'omics run' (its {--outdir}) or a folder "
           "of its result files.")
    if not path.is_dir():
        problem = "not a folder." if path.exists() else "folder not found."
        raise InputError("{--results_dir}: " + problem, path=path, fix=fix)
    results = Results(path)
    # The sample sheet and contrasts count as a run's only as its validated/ copies: a
    # folder of the user's inputs is not results (the report would be empty).
    if not any(found.parent.name == "validated" if pattern in _INPUT_COPIES else True
               for pattern in REPORTED for found in results.find(pattern)):
        raise InputError("{--results_dir} holds no result files of a run (no validated/ sample "
                         "sheet, no differential, enrichment, QC, score or integration table).",
                         path=path, fix=fix)


def _recorded_params(results_dir: str | Path, params: dict) -> dict:
    """Return the run's parameters from ``pipeline_info/params.yaml``, non-default ``params`` winning.

    A recorded ``null`` for a parameter with a default (a Nextflow ``-params-file`` holding
    ``de_fdr: null``, which the stages ran with the default) is the default.
    """
    from ..params import defaults

    recorded = Path(results_dir) / "pipeline_info" / "params.yaml"
    if not recorded.is_file():
        return params
    loaded = yaml.safe_load(recorded.read_text()) or {}
    base = defaults()
    changed = {k: v for k, v in params.items() if k not in base or v != base[k]}
    kept = {k: v for k, v in loaded.items() if k in base and (v is not None or base[k] is None)}
    return {**params, **kept, **changed}


def report(*, results_dir: str | Path, outdir: str | Path, params: dict, recorded: bool = False
           ) -> dict[str, Path]:
    """Write ``report/index.html`` from the result files under ``results_dir``.

    ``recorded``: the report of an earlier run (``omics report``): its methods use the
    parameters recorded in ``pipeline_info/params.yaml`` unless given on the command line.
    A ``results_dir`` that is missing or holds none of the result files the report shows
    (:data:`REPORTED`) stops the stage.
    """
    check_results_dir(results_dir)
    if recorded:
        params = _recorded_params(results_dir, params)
    path = stage_output(outdir, "report", "html")
    return {"html": build_report(results_dir, path, fdr=params["de_fdr"], params=params,
                                 n_cpus=params.get("n_cpus") or 1)}
