"""A busy output folder names the omics command that holds it (a simulation is no "run")."""

from __future__ import annotations

import os

import pytest

from omics._errors import InputError
from omics.io._outdir import LOCK_NAME, OutdirLock, probe_lock


@pytest.mark.parametrize("command", ["omics run", "omics simulate", "omics de"])
def test_a_held_folder_names_the_command_and_process_holding_it(tmp_path, command):
    outdir = tmp_path / "out"
    with OutdirLock(outdir, command):
        assert (outdir / LOCK_NAME).read_text().startswith(f"{command}: pid {os.getpid()} on host ")
        with pytest.raises(InputError) as probed:
            probe_lock(outdir)
        with pytest.raises(InputError) as taken:
            OutdirLock(outdir).acquire()
    for error in (probed.value, taken.value):
        holder = f"(pid {os.getpid()} on host "
        assert f": another {command} is writing to this folder {holder}" in str(error)
        assert str(error).endswith("; wait for it to finish or choose another outdir.")
    probe_lock(outdir)  # released


def test_a_lock_file_without_a_command_is_a_runs(tmp_path):
    """A lock file an earlier omics wrote (no command before the pid) still reads as a run's."""
    outdir = tmp_path / "out"
    with OutdirLock(outdir):
        (outdir / LOCK_NAME).write_text("pid 12 on host node1, started 2026-12-01T10:00:00+00:00\n")
        with pytest.raises(InputError, match=r": another omics run is writing to this folder "
                                             r"\(pid 12 on host node1, started 2026-12-01T10:00:00\+00:00\)"):
            probe_lock(outdir)
