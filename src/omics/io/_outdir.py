"""The output folder: checked before a run, locked while it runs, cleaned only of our own files."""

from __future__ import annotations

import errno
import fcntl
import os
import re
import shutil
import socket
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from .._errors import InputError
from .._logging import get_logger
from ._write import TMP_NAME

log = get_logger("outdir")

LOCK_NAME = ".omics.lock"

#: ``s3://bucket/x``, ``gs://``, ``https://``, ``file://``: a location, not a local path
#: (two letters at least: not a drive letter).
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]+)://")

#: What ``flock`` says on a file system without locks (Lustre without ``-o flock``, NFS
#: without a lock daemon, some FUSE and CIFS mounts).
_NO_LOCKS = frozenset({errno.ENOSYS, errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EINVAL})

#: What ``flock`` says when another process holds the lock.
_HELD_ELSEWHERE = frozenset({errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES})


def remote_scheme(value: object) -> str | None:
    """Return the scheme of a remote location (``"s3"`` for ``s3://bucket/x``), else None.

    Parameters
    ----------
    value
        A path as the user gave it.

    Returns
    -------
    str or None
        The scheme, lower case, when ``value`` starts with ``<scheme>://``.
    """
    match = _SCHEME.match(str(value).strip())
    return match.group(1).lower() if match else None


def _no_locks(outdir: str | Path, err: OSError) -> InputError:
    """Return the error for a file system whose ``flock`` fails with ``err`` (one of :data:`_NO_LOCKS`)."""
    why = err.strerror or errno.errorcode.get(err.errno or 0, "unsupported")
    return InputError(f"the file system of {outdir} does not support file locks (flock: {why}); "
                      "choose an {--outdir} on a local disk, or mount it with -o flock.")


def check_outdir(outdir: str | Path | None) -> Path:
    """Return the absolute output folder after checking that a run can create and write it.

    Nothing is created. Stops (:class:`~omics._errors.InputError`) when ``outdir`` is
    empty, a remote location (``s3://...``: Path would make it a local ``s3:/...``), is a
    file, lies under a file, or cannot be written.
    """
    if outdir is None or not str(outdir).strip():
        raise InputError("{--outdir} is empty; give the folder for the results (e.g. {--outdir} results).")
    if remote_scheme(outdir) == "file":
        raise InputError("{--outdir} is a file:// URL, not a path; give the folder's path "
                         f"({str(outdir).strip()[len('file://'):] or '/'}).", path=str(outdir).strip())
    if (scheme := remote_scheme(outdir)) is not None:
        raise InputError(f"{{--outdir}} is a remote location ({scheme}://); omics writes to local "
                         "folders only: give a local folder, or use the Nextflow pipeline for "
                         "s3:// or gs:// outdirs.", path=str(outdir).strip())
    path = Path(outdir).expanduser().absolute()
    if path.exists() and not path.is_dir():
        raise InputError("{--outdir} is a file, not a folder; choose another {--outdir}.", path=outdir)
    existing = path
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise InputError(f"{{--outdir}} lies under {existing}, which is a file, not a folder; choose "
                         "another {--outdir}.", path=outdir)
    if not os.access(existing, os.W_OK | os.X_OK):
        why = "a read-only file system" if _read_only(existing) else "permission denied"
        raise InputError(f"cannot write to {existing} ({why}); choose an {{--outdir}} you "
                         "can write to.", path=outdir)
    return path.resolve()


def _read_only(folder: Path) -> bool:
    """Whether ``folder`` is on a file system mounted read-only."""
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):
        return False


def _busy(handle_path: Path) -> str:
    """Name the omics command that holds a lock and its process (the start of the message).

    The lock file reads ``omics simulate: pid 12 on host h, started 2026-...`` (the
    command before the colon); a file written without one is an ``omics run``'s.
    """
    try:
        text = handle_path.read_text().strip()
    except OSError:
        text = ""
    command, colon, holder = text.partition(": ")
    if not (colon and command.startswith("omics ")):
        command, holder = "omics run", text
    return f"another {command} is writing to this folder ({holder or 'another process'})"


_HELD: set[int] = set()  # descriptors of the locks this process holds


def _drop_inherited_locks() -> None:
    # A forked child (a task or gating worker) shares the parent's lock: if it kept the
    # descriptor, the folder would stay locked after the parent died (killed) until the
    # child ended too. Closing the child's copy leaves the parent's lock as it is.
    for fd in list(_HELD):
        try:
            os.close(fd)
        except OSError:
            pass
    _HELD.clear()


os.register_at_fork(after_in_child=_drop_inherited_locks)


class OutdirLock:
    """Exclusive advisory lock (``fcntl.flock``) on an output folder for one run.

    The lock file ``<outdir>/.omics.lock`` holds the holder's command, pid, host and start
    time; it is left in place (removing a lock file races with the next run) and released
    when the process ends, however it ends (forked worker processes do not keep it).

    Parameters
    ----------
    outdir
        The folder to lock (created if missing).
    command
        The omics command taking the lock (``"omics simulate"``), named to whoever finds
        the folder busy.
    """

    def __init__(self, outdir: str | Path, command: str = "omics run") -> None:
        self.outdir = Path(outdir)
        self.path = self.outdir / LOCK_NAME
        self.command = command
        self._fd: int | None = None

    def acquire(self) -> OutdirLock:
        """Create ``outdir`` if needed and take the lock, or stop naming the run that holds it.

        On a file system without ``flock`` it stops saying so, after removing what this
        call created (the lock file, and the folders it made while they are empty).
        """
        made = _missing_folders(self.outdir)
        created = False
        try:
            self.outdir.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666)
                created = True
            except FileExistsError:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as err:
            _remove_empty(made)
            raise InputError(f"cannot create the output folder or its lock file ({err.strerror}); "
                             "choose an {--outdir} you can write to.", path=self.outdir) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            os.close(fd)
            if err.errno in _HELD_ELSEWHERE:  # (its holder has the file: it stays)
                raise InputError(f"{_busy(self.path)}; wait for it to finish or choose another "
                                 "{--outdir}.", path=self.outdir) from None
            if created:
                self.path.unlink(missing_ok=True)
            _remove_empty(made)
            if err.errno in _NO_LOCKS:
                raise _no_locks(self.outdir, err) from None
            raise
        started = datetime.now(UTC).isoformat(timespec="seconds")
        os.ftruncate(fd, 0)
        os.write(fd, f"{self.command}: pid {os.getpid()} on host {socket.gethostname()}, "
                     f"started {started}\n".encode())
        self._fd = fd
        _HELD.add(fd)
        return self

    def release(self) -> None:
        """Release the lock (the file stays)."""
        if self._fd is not None:
            _HELD.discard(self._fd)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> OutdirLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def _missing_folders(folder: Path) -> list[Path]:
    """Return ``folder`` and its missing parents, deepest first, that do not exist yet."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    return missing


def _remove_empty(folders: Iterable[Path]) -> None:
    """Remove ``folders`` (deepest first) while each is empty; stop at the first that is not."""
    for folder in folders:
        try:
            folder.rmdir()
        except FileNotFoundError:
            continue
        except OSError:
            return


def probe_lock(outdir: str | Path) -> None:
    """Stop at once when a run holds the lock of ``outdir`` (creates nothing).

    Stops too, saying so, when the folder's file system does not support ``flock``.
    """
    path = Path(outdir) / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError as err:
        if err.errno in _HELD_ELSEWHERE:
            raise InputError(f"{_busy(path)}; wait for it to finish or choose another {{--outdir}}.",
                             path=outdir) from None
        if err.errno in _NO_LOCKS:
            raise _no_locks(outdir, err) from None
        raise
    finally:
        os.close(fd)


def _alive(pid: int) -> bool:
    """Whether process ``pid`` (not this one) is still running.

    A zombie has exited: a task worker killed with its runner stays one until its new
    parent reaps it, and a container's first process may never do so. On Linux the state
    is read from ``/proc``; elsewhere a zombie counts as running (its file is left).
    """
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    state = process_state(pid)
    if state is None:
        return not Path("/proc/self/stat").exists()  # gone meanwhile, or no /proc here
    return state not in {"Z", "X"}


def process_state(pid: int) -> str | None:
    """State letter of process ``pid`` from ``/proc/<pid>/stat`` (``"Z"``: zombie); None if unreadable."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[0]  # after the command name, which may hold ")"


def remove_stale_temporaries(folders: Iterable[str | Path]) -> int:
    """Remove temporary files (and staging folders) that an interrupted run of ours left in ``folders``.

    Only entries directly in the given folders whose names match the temporary-name
    pattern of :func:`omics.io._write.atomic_path` (``.<name>.omics-tmp-<pid>-<random>``)
    and whose writing process is gone are removed; nothing else is touched. A folder so
    named is a stage's staging folder (``omics integrate`` writes its files into one and
    moves them into place when all are written): it is removed with its content. Symbolic
    links are never followed nor removed.
    """
    removed = 0
    for folder in folders:
        folder = Path(folder)
        if not folder.is_dir():
            continue
        for entry in sorted(folder.iterdir()):
            match = TMP_NAME.match(entry.name)
            if not match or entry.is_symlink() or _alive(int(match["pid"])):
                continue
            if entry.is_file():
                entry.unlink(missing_ok=True)
                removed += 1
            elif entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
                removed += not entry.exists()  # (another user's folder may stay)
    if removed:
        log.info("removed %d temporary file(s) left by an interrupted run", removed)
    return removed
