"""The task manifests ``omics run`` keeps in ``<outdir>/pipeline_info/cache/``."""

from __future__ import annotations

import json
from pathlib import Path

#: Where the manifests are, relative to the results folder.
CACHE_DIR = Path("pipeline_info") / "cache"


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
