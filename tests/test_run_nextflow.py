"""The hang handling of ``helpers.run_nextflow`` (a Nextflow run still going after its timeout)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from helpers import run_nextflow

# A stand-in for the Nextflow launcher: the first call records a task in the task cache and
# hangs; the second lists the cache it finds and exits 0.
FAKE = """#!/bin/bash
if [ ! -e hung_once ]; then
  touch hung_once
  mkdir -p .nextflow/cache/session/db
  echo task > .nextflow/cache/session/db/recorded_by_the_hung_run
  exec sleep 120
fi
ls .nextflow/cache/session/db 2>/dev/null || echo no-cache
"""


@pytest.mark.parametrize("earlier", [True, False], ids=["cache", "fresh folder"])
def test_a_hung_resume_run_is_retried_from_the_task_cache_it_started_with(tmp_path: Path,
                                                                          earlier: bool) -> None:
    """CI stop 46: the retry of a hung ``-resume`` run found the tasks the hung run had
    completed in the shared task cache and listed them as cached. The retry starts from the
    cache as it was before the first attempt (none in a fresh folder); the hang is reported
    and no copy of the cache is left behind."""
    launcher = tmp_path / "nextflow"
    launcher.write_text(FAKE)
    launcher.chmod(0o755)
    if earlier:
        (tmp_path / ".nextflow" / "cache" / "session" / "db").mkdir(parents=True)
        (tmp_path / ".nextflow" / "cache" / "session" / "db" / "from_earlier_runs").write_text("task")
    with pytest.warns(UserWarning, match=r"still running after 2 s \(attempt 1\)"):
        result = run_nextflow([str(launcher), "run", "-resume"], cwd=tmp_path, env=dict(os.environ),
                              timeout=2)
    assert result.returncode == 0
    # not the hung run's task
    assert result.stdout.split() == (["from_earlier_runs"] if earlier else ["no-cache"])
    assert (tmp_path / "nextflow_hang_1.txt").is_file()
    assert not (tmp_path / ".nextflow" / "cache.before_run").exists()
