"""Audit h49 M4 and L5: output folders on file systems without ``flock``, and remote paths.

M4: on a file system without ``flock`` (Lustre without ``-o flock``, NFS without a lock
daemon, some FUSE/CIFS mounts) every command that locks or probes an output folder stops
with one line naming the folder, the cause and the fix, exit code 2, and leaves nothing it
created. The missing ``flock`` is simulated by patching ``fcntl.flock``.

L5: an ``s3://`` (any ``scheme://``) ``--outdir`` or input is refused with one line, not
made into a local ``s3:/...`` folder or reported as a missing ``s3:/...`` file.
"""

from __future__ import annotations

import errno
import fcntl
from pathlib import Path

import pytest

from omics._errors import InputError
from omics.cli import main
from omics.io._outdir import LOCK_NAME, OutdirLock, check_outdir, probe_lock, remote_scheme

NO_LOCKS = {
    errno.ENOSYS: "Function not implemented",
    errno.ENOLCK: "No locks available",
    errno.EOPNOTSUPP: "Operation not supported",
    errno.EINVAL: "Invalid argument",
}


def _no_flock(monkeypatch: pytest.MonkeyPatch, code: int = errno.ENOSYS) -> None:
    """Make ``fcntl.flock`` fail as a file system without locks does."""
    def flock(fd: int, operation: int) -> None:
        raise OSError(code, NO_LOCKS.get(code, "I/O error"))

    monkeypatch.setattr(fcntl, "flock", flock)


def _tree(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


def _error_line(capsys: pytest.CaptureFixture[str]) -> str:
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("omics")]
    assert len(lines) == 1, lines
    return lines[0]


def _no_locks_message(outdir: Path, why: str) -> str:
    return (f"omics: error: the file system of {outdir} does not support file locks (flock: {why}); "
            "choose an --outdir on a local disk, or mount it with -o flock.")


# --- M4 -------------------------------------------------------------------------------------

@pytest.mark.parametrize("code", sorted(NO_LOCKS))
def test_run_without_flock_stops_with_one_line_and_leaves_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        code: int) -> None:
    """Fails on the old code: "unexpected OSError ... this is a bug", exit 1, outdir/.omics.lock left."""
    monkeypatch.chdir(tmp_path)
    _no_flock(monkeypatch, code)
    outdir = tmp_path / "olk"
    for _ in range(2):  # the second call too (the old code then said "another omics run is writing")
        assert main(["run", "--demo", "--outdir", "olk"]) == 2
        assert _error_line(capsys) == _no_locks_message(outdir, NO_LOCKS[code])
        assert _tree(tmp_path) == []


def test_run_without_flock_removes_the_nested_folders_it_made(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Fails on the old code (deep/a/b/.omics.lock left)."""
    _no_flock(monkeypatch)
    (tmp_path / "deep").mkdir()
    (tmp_path / "deep" / "mine.txt").write_text("user's\n")
    outdir = tmp_path / "deep" / "a" / "b"
    assert main(["run", "--demo", "--outdir", str(outdir)]) == 2
    assert _error_line(capsys) == _no_locks_message(outdir, "Function not implemented")
    assert _tree(tmp_path) == ["deep", "deep/mine.txt"]  # the folder that was there stays


def test_run_without_flock_keeps_an_existing_outdir(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Fails on the old code (exit 1, .omics.lock left in the user's empty folder)."""
    _no_flock(monkeypatch, errno.ENOLCK)
    outdir = tmp_path / "mine"
    outdir.mkdir()
    assert main(["run", "--demo", "--outdir", str(outdir)]) == 2
    assert _error_line(capsys) == _no_locks_message(outdir, "No locks available")
    assert outdir.is_dir() and _tree(tmp_path) == ["mine"]


def test_simulate_without_flock_leaves_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """``omics simulate`` locks its folder too. Fails on the old code (exit 1, lock file left)."""
    _no_flock(monkeypatch)
    outdir = tmp_path / "cohort"
    assert main(["simulate", "--outdir", str(outdir), "--n_patients", "12"]) == 2
    assert _error_line(capsys) == _no_locks_message(outdir, "Function not implemented")
    assert _tree(tmp_path) == []


def test_stage_command_without_flock_on_a_run_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A run's folder (it has a lock file) on a file system without locks: a stage command
    says so (probe_lock) and leaves the lock file, which it did not create.

    Fails on the old code: "another omics run is writing to this folder".
    """
    _no_flock(monkeypatch)
    outdir = tmp_path / "results"
    outdir.mkdir()
    (outdir / LOCK_NAME).write_text("omics run: pid 1 on host h, started 2026-01-01T00:00:00+00:00\n")
    (tmp_path / "sheet.csv").write_text("sample\n")
    (tmp_path / "contrasts.yaml").write_text("x: 1\n")
    assert main(["validate", "--input", str(tmp_path / "sheet.csv"), "--contrasts",
                 str(tmp_path / "contrasts.yaml"), "--outdir", str(outdir)]) == 2
    assert _error_line(capsys) == _no_locks_message(outdir, "Function not implemented")
    assert _tree(outdir) == [LOCK_NAME]


@pytest.mark.parametrize("code", sorted(NO_LOCKS))
def test_probe_lock_without_flock_is_not_busy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              code: int) -> None:
    """Fails on the old code (every OSError was "another omics run is writing")."""
    (tmp_path / LOCK_NAME).write_text("")
    _no_flock(monkeypatch, code)
    with pytest.raises(InputError) as caught:
        probe_lock(tmp_path)
    assert str(caught.value) == (f"the file system of {tmp_path} does not support file locks (flock: "
                                 f"{NO_LOCKS[code]}); choose an outdir on a local disk, or mount it "
                                 "with -o flock.")
    assert _tree(tmp_path) == [LOCK_NAME]


@pytest.mark.parametrize("code", [errno.EWOULDBLOCK, errno.EACCES])
def test_probe_lock_busy_is_still_busy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int) -> None:
    """Control (passes on the old code too): a held lock still names the holder."""
    (tmp_path / LOCK_NAME).write_text("omics simulate: pid 7 on host h, started 2026\n")
    _no_flock(monkeypatch, code)
    with pytest.raises(InputError, match=r"another omics simulate is writing to this folder "
                                         r"\(pid 7 on host h, started 2026\); wait for it"):
        probe_lock(tmp_path)


def test_real_lock_still_refuses_a_second_holder(tmp_path: Path) -> None:
    """Control (passes on the old code too): with working locks nothing changed."""
    with OutdirLock(tmp_path / "out", "omics run"):
        with pytest.raises(InputError, match="another omics run is writing to this folder"):
            probe_lock(tmp_path / "out")
        with pytest.raises(InputError, match="another omics run is writing to this folder"):
            OutdirLock(tmp_path / "out", "omics qc").acquire()
    probe_lock(tmp_path / "out")  # released
    assert _tree(tmp_path) == ["out", f"out/{LOCK_NAME}"]  # the lock file stays (by design)


def test_unknown_flock_error_is_raised_but_cleaned_up(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Another errno (EIO) is still an unexpected error, but what the call created is gone.

    Fails on the old code (out/.omics.lock left).
    """
    _no_flock(monkeypatch, errno.EIO)
    with pytest.raises(OSError) as caught:
        OutdirLock(tmp_path / "out").acquire()
    assert caught.value.errno == errno.EIO and not isinstance(caught.value, InputError)
    assert _tree(tmp_path) == []


# --- L5 -------------------------------------------------------------------------------------

@pytest.mark.parametrize("outdir", ["s3://bucket/results", "gs://b/r", "https://host/x", "az://c/d"])
def test_run_refuses_a_remote_outdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str], outdir: str) -> None:
    """Fails on the old code (the demo ran into a local ./s3:/bucket/results)."""
    monkeypatch.chdir(tmp_path)
    assert main(["run", "--demo", "--outdir", outdir]) == 2
    scheme = outdir.split("://")[0]
    assert _error_line(capsys) == (
        f"omics: error: {outdir}: --outdir is a remote location ({scheme}://); omics writes to local "
        "folders only: give a local folder, or use the Nextflow pipeline for s3:// or gs:// outdirs.")
    assert _tree(tmp_path) == []


def test_check_outdir_refuses_a_remote_outdir_for_every_command(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """check_outdir serves run, simulate and the stage commands. Fails on the old code."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match=r"^s3://b/r: outdir is a remote location \(s3://\)"):
        check_outdir("s3://b/r")
    with pytest.raises(InputError, match=r"remote location \(gs://\)"):
        check_outdir(" gs://b/r ")
    assert _tree(tmp_path) == []


def test_remote_scheme() -> None:
    """Which values are remote locations (control for the helper; new)."""
    assert remote_scheme("s3://bucket/x") == "s3"
    assert remote_scheme("GS://bucket/x") == "gs"
    assert remote_scheme("file:///tmp/x") == "file"
    for local in ("results", "/tmp/s3:/x", "./s3://x", "C://x", "a b://c", "", Path("s3://x")):
        assert remote_scheme(local) is None, local  # (Path("s3://x") is already "s3:/x")


@pytest.mark.parametrize("option", ["--input", "--contrasts", "--rna_counts"])
def test_run_names_a_remote_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str], option: str) -> None:
    """Fails on the old code: "s3:/b/x.csv: file not found" (the path mangled)."""
    monkeypatch.chdir(tmp_path)
    files = {"--input": "sheet.csv", "--contrasts": "contrasts.yaml", "--rna_counts": "counts.tsv"}
    for name in files.values():
        (tmp_path / name).write_text("x\n")
    files[option] = "s3://b/x.csv"
    argv = ["run", *(part for pair in files.items() for part in pair), "--outdir", "out"]
    assert main(argv) == 2
    assert _error_line(capsys) == (
        f"omics: error: s3://b/x.csv: {option} is a remote path (s3://): omics reads local files "
        "only; copy it to a local disk first, or use the Nextflow pipeline, which stages s3:// or "
        "gs:// inputs.")
    assert _tree(tmp_path) == sorted({"sheet.csv", "contrasts.yaml", "counts.tsv"})


@pytest.mark.parametrize("argv", [["qc", "--h5ad", "s3://b/rna.h5ad", "--modality", "rna"],
                                  ["enrich", "--de_results", "s3://b/c1.rna.deseq2.results.tsv"]])
def test_stage_command_names_a_remote_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    """A stage command's file option: the path was mangled to "s3:/b/..." and not found."""
    monkeypatch.chdir(tmp_path)
    assert main([*argv, "--outdir", "out"]) == 2
    option, value = argv[1], argv[2]
    assert _error_line(capsys) == (
        f"omics: error: {value}: {option} is a remote path (s3://): omics reads local files only; "
        "copy it to a local disk first, or use the Nextflow pipeline, which stages s3:// or gs:// "
        "inputs.")
    assert _tree(tmp_path) == []
