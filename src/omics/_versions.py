"""Versions of this package, Python and the libraries that compute the results.

A module of its own (imports nothing heavy), so that a Nextflow task's ``versions.yml``
costs no pandas import.
"""

from __future__ import annotations

import platform
from importlib import metadata

from . import __version__

#: The libraries whose versions a run records (``pipeline_info/software_versions.yml``) and
#: keys its resume cache on.
PACKAGES = ("numpy", "pandas", "scipy", "anndata", "mudata", "scanpy", "pydeseq2", "gseapy",
            "decoupler", "statsmodels", "scikit-learn", "formulaic", "numba", "lifelines", "flowkit",
            "flowio")


def software_versions() -> dict[str, str]:
    """Return the versions of Python, this package and the statistical libraries.

    Returns
    -------
    dict[str, str]
        ``{"omics": ..., "python": ..., <library>: <version or "not installed">}``.
    """
    versions = {"omics": __version__, "python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions
