"""The task manifests ``omics run`` keeps in ``<outdir>/pipeline_info/cache/``."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from ._errors import InputError

#: Where the manifests are, relative to the results folder.
CACHE_DIR = Path("pipeline_info") / "cache"
#: The run's own record of the files it writes outside its tasks (``validated/``,
#: ``pipeline_info/``); not ``*.json``, the task manifests.
RUN_RECORD = CACHE_DIR / "run.record"


def read_manifest(path: str | Path) -> dict:
    """Return a task manifest's content; ``{}`` when it is missing or unreadable.

    An unreadable manifest (empty, cut off when a disk filled) records nothing: its task
    runs again.

    Parameters
    ----------
    path
        The manifest (``pipeline_info/cache/<task>.json``).

    Returns
    -------
    dict
        ``{"key", "outputs", "claimed", "params", "input_checksums"}`` as written
        (``params`` and ``input_checksums``: a stage command's parameters and the
        checksums of the files it read), or ``{}``.
    """
    try:
        recorded = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return {}
    return recorded if isinstance(recorded, dict) else {}


def written_here(outdir: str | Path) -> set[str] | None:
    """Return the files (paths relative to ``outdir``) that runs there recorded or claimed.

    Each task's manifest records the outputs it wrote and, while it runs, claims the ones
    it is about to write (:func:`omics.runner._claim`); a stage command records its files
    in the same manifest (:func:`omics.runner.run_stage_command`).

    Parameters
    ----------
    outdir
        A results folder.

    Returns
    -------
    set[str] or None
        The relative paths; None when the folder has no manifest folder (results
        staged by Nextflow, or copied without ``pipeline_info``).
    """
    cache = Path(outdir) / CACHE_DIR
    if not cache.is_dir():
        return None
    known: set[str] = set()
    for manifest in sorted(cache.glob("*.json")):
        recorded = read_manifest(manifest)
        known.update(recorded.get("outputs") or {})
        known.update(recorded.get("claimed") or [])
    return known


def run_files(outdir: str | Path) -> dict[str, str | None] | None:
    """Return the files outside any task that runs in ``outdir`` wrote or were about to write.

    ``omics run`` lists them in :data:`RUN_RECORD` before it writes them (the input
    check's ``validated/`` copies, ``pipeline_info/params.yaml``, the trace, ...) and
    records their SHA-256 when the run ends (:func:`omics.runner._record_run_files`).

    Parameters
    ----------
    outdir
        A results folder.

    Returns
    -------
    dict[str, str | None] or None
        Relative path -> SHA-256 (None: listed before the run wrote it); None when the
        record is missing or unreadable (a folder of a version before the record).
    """
    recorded = read_manifest(Path(outdir) / RUN_RECORD).get("files")
    if not isinstance(recorded, dict):
        return None
    return {str(path): digest if isinstance(digest, str) else None
            for path, digest in recorded.items()}


#: ``omics simulate``'s record of the files it wrote into its ``--outdir``, beside them (not
#: a task manifest in :data:`CACHE_DIR`: :func:`omics.runner._prune_previous` would delete
#: a cohort that a run into the same folder reads).
SIMULATE_RECORD = Path("simulate.record")


def recorded_files(record: str | Path) -> dict[str, str | None]:
    """Return the ``files`` (relative path -> SHA-256 or None) of a ``*.record``; ``{}`` when none.

    Parameters
    ----------
    record
        :data:`RUN_RECORD` or :data:`SIMULATE_RECORD` under a folder.

    Returns
    -------
    dict[str, str | None]
        The files it lists (None: listed before they were written).
    """
    files = read_manifest(record).get("files")
    if not isinstance(files, dict):
        return {}
    return {str(path): digest if isinstance(digest, str) else None for path, digest in files.items()}


def write_record(record: str | Path, files: dict[str, str | None]) -> None:
    """Write ``{"files": files}`` to ``record`` atomically (temporary file, then rename).

    Parameters
    ----------
    record
        The record's path.
    files
        Relative path -> SHA-256 (None: about to be written).
    """
    from .io._write import write_text

    write_text(json.dumps({"files": files}, indent=1) + "\n", record)


def sha256_file(path: str | Path) -> str:
    """Return the SHA-256 hex digest of the file at ``path``."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def refuse_foreign(outdir: Path, writers: Iterable[tuple[str, Path]], known: set[str]) -> None:
    """Stop when a file some writer would write exists in ``outdir`` and is not in ``known``.

    A sub-folder that is a link out of ``outdir`` (a file would be written elsewhere) and
    a link at an output path (a run writes its own files, never through a link) stop it
    too. Every such file is counted; the first few are named.

    Parameters
    ----------
    outdir
        The (resolved) output folder.
    writers
        ``(who writes it, path)``, e.g. ``("omics qc", <outdir>/qc/rna.pca.tsv)``.
    known
        The files (relative to ``outdir``) that omics wrote or claimed there.

    Raises
    ------
    InputError
        Naming the files (exit code 2), before anything is written.
    """
    root = outdir.resolve()
    foreign: dict[str, str] = {}  # relative path -> who would overwrite it
    for writer, path in writers:
        try:
            relative = str(path.relative_to(outdir))
        except ValueError:  # not below the folder (a sample id naming another): checked elsewhere
            continue
        folder = path.parent.resolve()
        if folder != root and root not in folder.parents:
            outside = next((parent for parent in [path.parent, *path.parent.parents]
                            if parent.is_symlink()), path.parent)
            raise InputError(
                f"{outside.relative_to(outdir)} is a link to {outside.resolve()}, outside the output "
                f"folder: {writer} would write {relative} there.", path=outdir,
                fix="Make it a folder of its own (a run writes only inside its output folder), "
                    "or choose another {--outdir}.")
        if path.is_symlink():
            # omics report on a results folder of links (Nextflow's --publish_dir_mode symlink):
            # the report can go to another folder, the results staying where they are
            elsewhere = ("choose another {--outdir} (omics report --results_dir <this folder> "
                         "--outdir <another folder>)" if writer == "omics report"
                         else "choose another {--outdir}")
            raise InputError(
                f"{relative} is a link (to {path.resolve()}): {writer} would replace it.", path=outdir,
                fix=f"Move the link away (a run writes its own files, not through links), or {elsewhere}.")
        if path.exists() and relative not in known:
            foreign.setdefault(relative, writer)
    if foreign:
        (first, writer), *others = foreign.items()
        more = (f" ({len(others)} more such file(s): {', '.join(name for name, _ in others[:3])}"
                f"{', ...' if len(others) > 3 else ''})") if others else ""
        raise InputError(
            f"{first} is already in the output folder, and no omics run or command "
            f"there recorded it: {writer} would overwrite it{more}.", path=outdir,
            fix="Move the file away, or choose another {--outdir}.")


def _states(paths: Iterable[Path]) -> dict[Path, tuple[int, int, int] | None]:
    # What identifies each file's content on disk (inode, size, mtime); None: no file.
    states: dict[Path, tuple[int, int, int] | None] = {}
    for path in paths:
        try:
            stat = path.lstat()
        except OSError:
            states[path] = None
            continue
        states[path] = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
    return states


@contextmanager
def claim_undone_on_failure(record: Path, outputs: Sequence[Path], root: Path) -> Iterator[None]:
    """Put ``record`` back as it was when the block fails before writing any of ``outputs``.

    A command claims its outputs in ``record`` before it writes them (so that a command cut
    off while writing leaves files the next one knows as its own); one that stops on bad
    input before writing anything leaves the folder as it was: the record as it was, and
    the folders the claim created (``pipeline_info/cache``, ``root`` itself) removed.

    Parameters
    ----------
    record
        The record or manifest the block writes its claim to.
    outputs
        The files the block may write.
    root
        The output folder (created by the claim when missing).
    """
    before = record.read_bytes() if record.is_file() else None
    created = [folder for folder in (record.parent, *record.parent.parents) if not folder.exists()
               and (folder == root or root in folder.parents)]
    states = _states(outputs)
    try:
        yield
    except BaseException:
        if _states(outputs) == states:
            _restore(record, before, created)
        raise


def _restore(record: Path, before: bytes | None, created: Sequence[Path]) -> None:
    # ``record`` back to ``before`` (None: removed, with the empty ``created`` folders).
    from .io._write import atomic_path

    if before is not None:
        with atomic_path(record) as tmp:
            tmp.write_bytes(before)
        return
    record.unlink(missing_ok=True)
    for folder in created:  # deepest first
        try:
            folder.rmdir()
        except OSError:
            break


#: The ``<meta>`` tag that marks ``report/index.html`` as written by ``omics report``.
REPORT_GENERATOR = "<meta name='generator' content='omics'>"


def is_omics_report(path: str | Path) -> bool:
    """Return whether ``path`` is a report ``omics report`` wrote (its generator tag).

    Results a Nextflow run published carry no manifest; their ``report/index.html`` is
    still the pipeline's own, and ``omics report --results_dir`` over them may replace it.

    Parameters
    ----------
    path
        A file at the report's path.

    Returns
    -------
    bool
        True when the file's head holds :data:`REPORT_GENERATOR`.
    """
    try:
        with open(path, "rb") as handle:
            head = handle.read(512)
    except OSError:
        return False
    return REPORT_GENERATOR.encode() in head or head.startswith(_EARLIER_REPORT_HEAD)


# The head of a report written before the generator tag (omics 0.1.0 until December 2026).
_EARLIER_REPORT_HEAD = (b"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><meta name='viewport' "
                        b"content='width=device-width, initial-scale=1'><title>BALI BM-MNC ")


def run_folder(outdir: str | Path) -> bool:
    """Return whether ``omics run`` wrote in ``outdir`` (not only stage commands).

    True when the run record exists or a task manifest holds a resume key (a run by a
    version before the run record). Stage commands record their files with no key.

    Parameters
    ----------
    outdir
        A results folder.

    Returns
    -------
    bool
        Whether a run's manifests are there.
    """
    cache = Path(outdir) / CACHE_DIR
    if (Path(outdir) / RUN_RECORD).is_file():
        return True
    return any(read_manifest(manifest).get("key") for manifest in cache.glob("*.json")) \
        if cache.is_dir() else False
