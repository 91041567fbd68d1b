"""The task manifests ``omics run`` keeps in ``<outdir>/pipeline_info/cache/``."""

from __future__ import annotations

import json
from pathlib import Path

#: Where the manifests are, relative to the results folder.
CACHE_DIR = Path("pipeline_info") / "cache"
#: The run's own record of the files it writes outside its tasks (``validated/``,
#: ``pipeline_info/``); not ``*.json``, the task manifests.
RUN_RECORD = CACHE_DIR / "run.record"


def read_manifest(path: str | Path) -> dict:
    """Return a task manifest's content; ``{}`` when it is missing or unreadable.

    An unreadable manifest (empty, cut off when a disk filled) records nothing: its task
    runs again.

    Parameters
    ----------
    path
        The manifest (``pipeline_info/cache/<task>.json``).

    Returns
    -------
    dict
        ``{"key", "outputs", "claimed"}`` as written, or ``{}``.
    """
    try:
        recorded = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return {}
    return recorded if isinstance(recorded, dict) else {}


def written_here(outdir: str | Path) -> set[str] | None:
    """Return the files (paths relative to ``outdir``) that runs there recorded or claimed.

    Each task's manifest records the outputs it wrote and, while it runs, claims the ones
    it is about to write (:func:`omics.runner._claim`).

    Parameters
    ----------
    outdir
        A results folder.

    Returns
    -------
    set[str] or None
        The relative paths; None when the folder has no manifest folder (results
        staged by Nextflow, or copied without ``pipeline_info``).
    """
    cache = Path(outdir) / CACHE_DIR
    if not cache.is_dir():
        return None
    known: set[str] = set()
    for manifest in cache.glob("*.json"):
        recorded = read_manifest(manifest)
        known.update(recorded.get("outputs") or {})
        known.update(recorded.get("claimed") or [])
    return known


def run_files(outdir: str | Path) -> dict[str, str | None] | None:
    """Return the files outside any task that runs in ``outdir`` wrote or were about to write.

    ``omics run`` lists them in :data:`RUN_RECORD` before it writes them (the input
    check's ``validated/`` copies, ``pipeline_info/params.yaml``, the trace, ...) and
    records their SHA-256 when the run ends (:func:`omics.runner._record_run_files`).

    Parameters
    ----------
    outdir
        A results folder.

    Returns
    -------
    dict[str, str | None] or None
        Relative path -> SHA-256 (None: listed before the run wrote it); None when the
        record is missing or unreadable (a folder of a version before the record).
    """
    recorded = read_manifest(Path(outdir) / RUN_RECORD).get("files")
    if not isinstance(recorded, dict):
        return None
    return {str(path): digest if isinstance(digest, str) else None
            for path, digest in recorded.items()}
