"""The record of where an input file was read (``validation.json``, the readers' ``uns``)."""

from __future__ import annotations

import os
from pathlib import Path


def input_record(path: str | Path | None) -> dict[str, str]:
    """Where an input file was read: ``{"path": <as given>}``, plus ``"resolved"`` for a link.

    A Nextflow task reads its inputs through links it stages (``input/rna/counts.tsv``):
    ``resolved`` then names the file the link points to, the user's. Recorded in
    ``validation.json`` and the readers' ``uns`` records; absent when the path is the file.
    """
    if not path:
        return {"path": ""}
    record = {"path": str(path)}
    resolved = os.path.realpath(path)
    if resolved != os.path.abspath(path):
        record["resolved"] = resolved
    return record
