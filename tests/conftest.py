from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from helpers import NEXTFLOW_LAUNCHER, REPO, TEST_COHORT, java_available


@pytest.fixture
def cohort(tmp_path: Path) -> Path:
    """A writable copy of the bundled small test cohort."""
    target = tmp_path / "cohort"
    shutil.copytree(TEST_COHORT, target)
    return target


@pytest.fixture(scope="module")
def nextflow() -> Path:
    """The offline Nextflow launcher, installed on first use."""
    if not java_available():
        pytest.skip("java (11+) not found: Nextflow cannot run (set JAVA_HOME or put java on PATH)")
    if not NEXTFLOW_LAUNCHER.is_file():
        subprocess.run(["bash", str(REPO / "tools" / "nextflow" / "install.sh")], check=True,
                       stdout=subprocess.DEVNULL, timeout=900)
    return NEXTFLOW_LAUNCHER
