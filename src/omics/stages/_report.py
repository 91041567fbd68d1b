"""Stage ``report``: the self-contained HTML report."""

from __future__ import annotations

from pathlib import Path

from ..report import build_report
from ._common import stage_output


def report(*, results_dir: str | Path, outdir: str | Path, params: dict) -> dict[str, Path]:
    """Write ``report/index.html`` from the result files under ``results_dir``."""
    path = stage_output(outdir, "report", "html")
    return {"html": build_report(results_dir, path, fdr=params["de_fdr"])}
