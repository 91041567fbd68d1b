"""Stage ``report``: the self-contained HTML report."""

from __future__ import annotations

from pathlib import Path

import yaml

from ..report import build_report
from ._common import stage_output


def _recorded_params(results_dir: str | Path, params: dict) -> dict:
    """Return the run's parameters from ``pipeline_info/params.yaml``, non-default ``params`` winning."""
    from ..params import defaults

    recorded = Path(results_dir) / "pipeline_info" / "params.yaml"
    if not recorded.is_file():
        return params
    loaded = yaml.safe_load(recorded.read_text()) or {}
    base = defaults()
    changed = {k: v for k, v in params.items() if k not in base or v != base[k]}
    return {**params, **{k: v for k, v in loaded.items() if k in base}, **changed}


def report(*, results_dir: str | Path, outdir: str | Path, params: dict, recorded: bool = False
           ) -> dict[str, Path]:
    """Write ``report/index.html`` from the result files under ``results_dir``.

    ``recorded``: the report of an earlier run (``omics report``): its methods use the
    parameters recorded in ``pipeline_info/params.yaml`` unless given on the command line.
    """
    if recorded:
        params = _recorded_params(results_dir, params)
    path = stage_output(outdir, "report", "html")
    return {"html": build_report(results_dir, path, fdr=params["de_fdr"], params=params,
                                 n_cpus=params.get("n_cpus") or 1)}
