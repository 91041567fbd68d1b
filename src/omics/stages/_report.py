"""Stage ``report``: the self-contained HTML report."""

from __future__ import annotations

from pathlib import Path

from ..report import build_report
from ._common import out_path


def report(*, results_dir: str | Path, outdir: str | Path, params: dict) -> dict[str, Path]:
    """Write ``report/index.html`` from the result files under ``results_dir``."""
    path = out_path(outdir, "report", "index.html")
    return {"html": build_report(results_dir, path, fdr=params["de_fdr"], params=params)}
