"""Paths and small helpers shared by the tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# ../shared beside the repository (the main checkout); OMICS_SHARED_DIR overrides it.
SHARED = Path(os.environ.get("OMICS_SHARED_DIR", REPO.parent / "shared"))
TEST_COHORT = REPO / "tests" / "data" / "test_cohort"
NFCORE = SHARED / "data" / "nfcore-testdata" / "data"


def require_shared() -> None:
    """Skip when ../shared (the nf-core test data) is not beside the repository."""
    if not SHARED.is_dir():
        pytest.skip(f"shared test data not found at {SHARED}")


def run_omics(*args: str, **kwargs) -> subprocess.CompletedProcess:
    """Run the ``omics`` CLI of this interpreter; stdout/stderr captured as text."""
    return subprocess.run([sys.executable, "-m", "omics.cli", *args], capture_output=True, text=True,
                          **kwargs)
