"""Locate files shipped in ``metadata/`` (gene sets, schema, demo cohort definition)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def metadata_path(*parts: str) -> Path:
    """Return the path of a shipped metadata file.

    The repository's ``metadata/`` folder is installed as the package ``omics.metadata``
    so the same files are found from a checkout, a wheel or a container.
    """
    base = Path(str(resources.files("omics.metadata")))
    return base.joinpath(*parts)
