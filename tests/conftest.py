from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helpers import TEST_COHORT


@pytest.fixture
def cohort(tmp_path: Path) -> Path:
    """A writable copy of the bundled small test cohort."""
    target = tmp_path / "cohort"
    shutil.copytree(TEST_COHORT, target)
    return target
