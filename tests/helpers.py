"""Paths and small helpers shared by the tests."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


#: Quick enrichment and cross-validation settings for runs that check other outputs.
QUICK = ("--gsea_permutations", "100", "--cv_repeats", "2")


def run_pipeline(outdir: Path, *args: str, quick: bool = True) -> Path:
    """Run ``omics run ARGS --outdir OUTDIR`` (with :data:`QUICK` settings) and require exit 0.

    Returns ``outdir``, so a test reads its tables straight from the call.
    """
    result = run_omics("run", *args, *(QUICK if quick else ()), "--outdir", str(outdir))
    assert result.returncode == 0, result.stderr[-3000:]
    return Path(outdir)


def assert_input_error(result: subprocess.CompletedProcess, outdir: Path) -> str:
    """Require exit 2, exactly one ``error`` line on stderr and no file under ``outdir``.

    Returns the error line, for the test to check what it names.
    """
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert len(errors) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert not outdir.exists() or not any(p.is_file() for p in outdir.rglob("*"))
    return errors[0]


def bead_populations(cd34: tuple[int, int] = (40, 90)):
    """Two samples' flow populations with counting beads: the long table of ``populations_anndata``."""
    import pandas as pd

    return pd.DataFrame({"sample": ["S1"] * 3 + ["S2"] * 3,
                         "population": ["Beads", "Leukocytes", "CD34"] * 2,
                         "parent": ["root", "root", "Leukocytes"] * 2,
                         "events": [500, 8000, cd34[0], 250, 9000, cd34[1]],
                         "parent_events": [10000, 10000, 8000, 10000, 10000, 9000]})


@contextmanager
def log_records(name: str = "io", level: int = logging.INFO) -> Iterator[list[logging.LogRecord]]:
    """Collect what the ``omics.<name>`` logger logs meanwhile at ``level`` (whatever the handlers)."""
    from omics._logging import get_logger

    logger, found = get_logger(name), []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = found.append  # type: ignore[method-assign]
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(level)
    try:
        yield found
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


def raises_one_line(call: Callable[[], object], *needles: str) -> str:
    """Run ``call``; require one InputError whose one-line text holds every needle; return it."""
    from omics._errors import InputError

    with pytest.raises(InputError) as error:
        call()
    text = str(error.value)
    assert "\n" not in text
    for needle in needles:
        assert needle in text, (needle, text)
    return text
