"""``omics run``: the tasks of :mod:`omics.dag` on one machine, with progress, resume and pipeline_info.

A task is skipped when a manifest in ``pipeline_info/cache/`` records the same key
(SHA-256 of its input files, the parameters it reads and the package version) and its
outputs still exist with the recorded checksums. Each output is written atomically, and
a manifest only after all of a task's outputs, so an interrupted run resumes at the
task that was cut off.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import resource
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ALL_COMPLETED, FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from multiprocessing.queues import SimpleQueue
from pathlib import Path

import pandas as pd
import yaml

from . import __version__
from ._errors import InputError, Terminated
from ._log_relay import LogRelay, relay_to
from ._logging import LOGGER_NAME, Line, get_logger, input_check_shown, logged_lines, repeating_input_check
from ._manifests import (
    RUN_RECORD,
    claim_undone_on_failure,
    is_omics_report,
    read_manifest,
    refuse_foreign,
    run_files,
    run_folder,
    written_here,
)
from ._memory import release_free_memory
from ._parallel import fork_context, fork_is_safe, start_worker
from ._resources import metadata_path
from ._versions import software_versions
from .dag import Task, build_tasks, possible_outputs
from .io import write_text, write_tsv
from .io._outdir import LOCK_NAME, OutdirLock, check_outdir, probe_lock, remove_stale_temporaries
from .io._write import is_temporary
from .params import split_list
from .registry import STAGES, de_method
from .stages._common import SUBDIRS, out_path

log = get_logger("run")


# SHA-256 of the files hashed in this process, by what identifies a file's content on disk:
# device, inode, size, and modification and change times (ns). A file written again (a new
# inode when moved into place, a new change time when rewritten in place) is read again.
_DIGESTS: dict[tuple[int, int, int, int, int], str] = {}


def _sha256(path: Path) -> str:
    """SHA-256 of the content of ``path``; a file unchanged since this process hashed it is not read again.

    A run hashes the same files many times: an input file for the input check and its
    record, and every task's outputs when the task ends, then once for each task that
    reads them (its cache key). At 1,000 patients the RNA AnnData (500 MB) was read
    eight times per run.
    """
    stat = path.stat()
    identity = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
    known = _DIGESTS.get(identity)
    if known is not None:
        return known
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    _DIGESTS[identity] = known = digest.hexdigest()
    return known


class _PeakMemory:
    """Peak resident memory of this process while a task runs (sampled from /proc)."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval, self.peak, self._stop = interval, 0, threading.Event()

    @staticmethod
    def _rss() -> int:
        try:
            with open("/proc/self/status") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) * 1024
        except OSError:
            pass
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    def _watch(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._rss())
            self._stop.wait(self.interval)

    def __enter__(self) -> _PeakMemory:
        self.peak = self._rss()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._rss())


@functools.cache
def code_identity() -> str:
    """Digest of what computes the results: the library versions and this package's files.

    The versions of :func:`software_versions` and the content of the package's source
    and shipped metadata (gene sets, gating template), so results computed by other code
    (a library upgraded, a checkout updated without a new version number) are not reused.

    Returns
    -------
    str
        SHA-256 hex digest (computed once per process: ~20 ms).
    """
    digest = hashlib.sha256(json.dumps(software_versions(), sort_keys=True).encode())
    package = Path(__file__).resolve().parent
    for root in dict.fromkeys((package, Path(str(metadata_path())).resolve())):
        files = sorted(path for path in root.rglob("*") if path.is_file()
                       and "__pycache__" not in path.parts and path.suffix not in {".pyc", ".nbi", ".nbc"})
        for path in files:
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


# Parameters that change how a run is scheduled, not what it computes (README: the results do
# not depend on n_cpus). The report states them, so they stay in its key.
_SCHEDULING_PARAMS = frozenset({"n_cpus"})
#: The options only the DESeq2 engine reads (not in a limma DE task's resume key).
_DESEQ2_PARAMS = frozenset({"deseq2_alpha", "deseq2_shrink"})


def _contrast_digest(contrasts: Path, contrast_id: str) -> str:
    """Digest of one contrast's entry in a validated contrasts file.

    A task that tests one contrast reads only its own entry, so adding, removing or
    editing another contrast leaves its key unchanged (the whole file's digest would not).
    """
    entries = (yaml.safe_load(contrasts.read_text(encoding="utf-8")) or {}).get("contrasts") or []
    entry = next((item for item in entries if isinstance(item, dict)
                  and str(item.get("id")) == contrast_id), None)
    if entry is None:  # not a validated file this run wrote: count the whole file
        return _sha256(contrasts)
    return hashlib.sha256(json.dumps(entry, sort_keys=True, default=str).encode()).hexdigest()


def _input_digests(task: Task) -> list[str]:
    """Digests of a task's input files; a per-contrast task counts only its contrast's entry."""
    contrast_id = task.fields.get("contrast")
    contrasts = task.kwargs.get("contrasts") if contrast_id else None
    return [_contrast_digest(path, contrast_id)
            if contrasts is not None and path == Path(contrasts) else _sha256(path)
            for path in task.inputs]


def _task_key(task: Task, params: dict, outdir: Path | None = None) -> str:
    stage = STAGES[task.stage]
    # The report states every parameter of the run (its methods' table), paths included:
    # all of them are its key. Another stage's key holds the parameters it reads.
    names = sorted(params) if stage.after_all else stage.params
    used = {name: params.get(name) for name in names
            if stage.after_all or name not in _SCHEDULING_PARAMS}
    if not stage.after_all:
        # a gene-set file counts by content (below), not by its path: the same files
        # elsewhere resume (built-in names, not files, count as given)
        used |= {name: [item if not Path(item).is_file() else "file" for item in split_list(used[name])]
                 for name in stage.key_params if name in used}
    if task.stage == "de" and de_method(task.fields.get("modality", ""), params) != "deseq2":
        # a limma task does not read the DESeq2 options: changing them leaves it cached
        used = {name: value for name, value in used.items() if name not in _DESEQ2_PARAMS}
    # Inputs count by content, not by path, so a moved or copied results folder resumes.
    inputs = _input_digests(task)
    payload = {"task": task.name, "version": __version__, "code": code_identity(), "params": used,
               "inputs": inputs}
    # Files a parameter names (gene sets) count by content too: one edited in place is read again.
    named = [digest for digest in map(_sha256, filter(Path.is_file, stage.key_files(params)))
             if digest not in inputs]
    if named:
        payload["named_files"] = named
    if stage.after_all and outdir is not None:
        # The report also embeds files its inputs do not list (the optional and per-sample
        # outputs: gating plots, ROC points): it counts every output the tasks it waits for
        # recorded, so a rerun task's new plot is not hidden behind a cached report.
        payload["needed_outputs"] = {name: _recorded_outputs(_manifest_path(outdir, name))
                                     for name in sorted(task.needs)}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _manifest_path(outdir: Path, task: Task | str) -> Path:
    name = task if isinstance(task, str) else task.name
    return out_path(outdir, "pipeline_info", f"cache/{name}.json")


def _is_cached(outdir: Path, task: Task, key: str) -> bool:
    recorded = read_manifest(_manifest_path(outdir, task))  # {} when missing or unreadable
    if recorded.get("key") != key:
        return False
    for path, digest in recorded.get("outputs", {}).items():
        if not (outdir / path).is_file() or _sha256(outdir / path) != digest:
            # the inputs, parameters and code are unchanged: say why the task runs again
            log.info("%s: %s was %s since the last run; computing it again", task.name, path,
                     "changed" if (outdir / path).is_file() else "removed")
            return False
    return True


@contextmanager
def _sigint_deferred() -> Iterator[None]:
    """Hold Ctrl-C (and SIGTERM) until the block ends, so a finished task's manifest is always written.

    Without this an interrupt while the outputs are being hashed leaves them on disk with
    no manifest, and the resumed run recomputes a task that had finished.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[tuple] = []
    previous = {signum: signal.signal(signum, lambda *args: received.append(args))
                for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if received:
            handler = previous[received[0][0]]
            if callable(handler):
                handler(*received[0])
            else:
                os.kill(os.getpid(), received[0][0])


def _record(outdir: Path, task: Task, key: str | None, produced: dict, params: dict | None = None,
            inputs: dict[str, str] | None = None) -> None:
    """Write the task's manifest; retire what its previous run wrote and this one did not.

    A task run again with other inputs or parameters may write fewer files (samples
    dropped from the sheet, ``--flow_gating_plots false``): its earlier files that are
    still exactly as written are removed, so the folder (and the report) holds only
    this run's results. ``params``: the parameters a stage command ran with (the
    manifest's ``params``; ``omics run`` records them in ``pipeline_info/params.yaml``), and
    ``inputs`` the checksums of the files it read (``input_checksums``: which task's
    outputs it was computed from, :func:`omics.report.task_values`).
    """
    with _sigint_deferred():
        outputs = {_relative(outdir, Path(p)): _sha256(Path(p))
                   for p in _flatten(produced)}
        previous = _recorded_outputs(_manifest_path(outdir, task))
        retired = _remove_unchanged(outdir, {path: digest for path, digest in previous.items()
                                             if path not in outputs})
        if retired:
            log.info("%s: removed %d file(s) its previous run wrote and this run did not",
                     task.name, retired)
        manifest = ({"key": key, "outputs": outputs} | ({} if params is None else {"params": params})
                    | ({} if inputs is None else {"input_checksums": inputs}))
        write_text(json.dumps(manifest, indent=1, default=str) + "\n", _manifest_path(outdir, task))


def _relative(outdir: Path, path: Path) -> str:
    # How manifests name a file: relative to the (resolved) results folder.
    return str(Path(path).resolve().relative_to(outdir.resolve()))


def _claim(outdir: Path, task: Task, params: dict, samples: Sequence[str] = ()) -> None:
    """Record, before ``task`` runs, the files it may write (``claimed``).

    A run cut off while the task writes leaves them without a finished manifest; the
    claim tells the next run they are its own (:func:`_check_foreign_outputs`). Every file
    the task may write is claimed (:func:`omics.dag.possible_outputs`: the optional ones,
    the gating plot of each of ``samples``). The previous run's outputs stay listed, so
    :func:`_record` still retires those this run does not write again.
    """
    _write_claim(outdir, task, possible_outputs(task, params, outdir, samples))


def _write_claim(outdir: Path, task: Task, paths: Sequence[Path]) -> None:
    """Write ``task``'s manifest claiming ``paths``, keeping the outputs its last run recorded."""
    manifest = _manifest_path(outdir, task)
    claimed = [relative for relative in (_relative_inside(outdir, path) for path in paths)
               if relative is not None]
    write_text(json.dumps({"key": None, "outputs": _recorded_outputs(manifest), "claimed": claimed},
                          indent=1) + "\n", manifest)


#: The files ``omics run`` writes in ``pipeline_info/`` itself (:func:`_write_pipeline_info`,
#: ``software_versions.yml`` before the tasks run); ``cache/`` holds its records.
PIPELINE_INFO_FILES = ("params.yaml", "software_versions.yml", "input_checksums.tsv",
                       "execution_trace.tsv", "command.txt")


def _pipeline_info_files(outdir: Path) -> list[Path]:
    return [out_path(outdir, "pipeline_info", name) for name in PIPELINE_INFO_FILES]


def _run_level_files(outdir: Path) -> list[Path]:
    """Return the files a run writes outside its tasks: the input check's copies, ``pipeline_info/``."""
    validate = STAGES["validate"]
    return [*(validate.output_path(outdir, key) for key in validate.outputs),
            *_pipeline_info_files(outdir)]


def _ours(outdir: Path) -> set[str]:
    """Return the files (relative paths) runs in ``outdir`` wrote or were about to write.

    Those a task manifest records or claims (:func:`omics._manifests.written_here`), those
    the run record lists (:func:`omics._manifests.run_files`: ``validated/`` and
    ``pipeline_info/``, listed before the run writes them) and the ``validated/`` files an
    input check record lists. A folder written by a version before the run record (task
    manifests or an input check record, no run record) had its ``pipeline_info/`` files
    written by its runs, which wrote them at the end of every run.
    """
    known = written_here(outdir)
    if known is None:  # no pipeline_info/cache: no run of ours wrote here
        return set()
    recorded = run_files(outdir)
    check = read_manifest(_check_record_path(outdir)).get("outputs")
    known |= set(recorded or ()) | set(check if isinstance(check, dict) else ())
    if recorded is None and (run_folder(outdir) or _check_record_path(outdir).is_file()):
        known |= {str(path) for path in _pipeline_info_files(Path())}
    return known


def _relative_inside(outdir: Path, path: Path) -> str | None:
    # :func:`_relative`, or None for a path outside ``outdir`` (the input check stops a
    # sample id naming one; this check is not the place to report it).
    try:
        return _relative(outdir, path)
    except ValueError:
        return None


def _check_foreign_outputs(tasks: list[Task], params: dict, outdir: Path,
                           samples: Sequence[str] = ()) -> None:
    """Stop before anything is written when the run would overwrite a file no run of ours wrote.

    A run replaces only its own files (:func:`_ours`): those a task manifest in ``outdir``
    records or claims, and the ``validated/`` and ``pipeline_info/`` files its run record
    lists. Every file a task may write is checked (:func:`omics.dag.possible_outputs`:
    optional outputs such as the survival tables, and the gating plot of each of
    ``samples``, the sample sheet's ids), then the run's own files. A user's file at such
    a path (a table put back after its contrast was dropped, an older report, results of
    another tool) stops the run instead (exit 2).
    """
    writers = [(f"task {task.name}", path) for task in tasks
               for path in possible_outputs(task, params, outdir, samples)]
    # (the validated/ copies are the validate task's outputs, checked above)
    writers += [("this run's pipeline_info (parameters, versions, trace)", path)
                for path in _pipeline_info_files(outdir)]
    refuse_foreign(outdir, writers, _ours(outdir))
    _refuse_edited(outdir, tasks)


def _refuse_edited(outdir: Path, tasks: Sequence[Task]) -> None:
    """Stop before anything is written when a file a task wrote was changed since (edited by hand).

    A task computed again would replace it, and the edit would be lost: a run replaces only
    files as its runs wrote them. A manifest that still claims its files (a task cut off
    while writing) may list files its next outputs replaced: those are not compared. The
    ``validated/`` copies of the inputs are written by the input check, which records them
    at once (``input_check.record``), before the ``validate`` task records them: a copy as
    either record lists it is the run's (a run cut off in between left new copies).
    """
    checked = read_manifest(_check_record_path(outdir)).get("outputs")
    checked = checked if isinstance(checked, dict) else {}
    for task in tasks:
        recorded = read_manifest(_manifest_path(outdir, task))
        if "claimed" in recorded:
            continue
        for relative, digest in (recorded.get("outputs") or {}).items():
            path = outdir / relative
            if (digest and path.is_file() and not path.is_symlink()
                    and _sha256(path) not in (digest, checked.get(relative) if task.stage == "validate"
                                              else None)):
                raise InputError(
                    f"{relative} was changed since {task.name} wrote it (edited by hand, or written "
                    "by another tool such as a Nextflow run into this folder), and a run does not "
                    "overwrite a file changed outside it.", path=outdir,
                    fix="Move the file away (the run then writes it again), or choose another "
                        "{--outdir}.")


def _run_record_path(outdir: Path) -> Path:
    return outdir / RUN_RECORD


def _claim_run_files(outdir: Path, extra: Sequence[Path] = ()) -> None:
    """List in the run record, before the run writes them, its files outside any task.

    Written under the lock once :func:`_check_foreign_outputs` passed, before the input
    check's copies (and, with ``--demo``, before the demo cohort, ``extra``, is simulated):
    a run cut off after that leaves files the next run knows as its own.
    """
    files = dict(run_files(outdir) or {})
    for relative in map(functools.partial(_relative_inside, outdir), [*_run_level_files(outdir), *extra]):
        if relative is not None:
            files.setdefault(relative, None)
    write_text(json.dumps({"files": files}, indent=1) + "\n", _run_record_path(outdir))


def _record_run_files(outdir: Path, extra: Sequence[Path] = ()) -> None:
    """Record the SHA-256 of the run's files outside any task (``extra``: the demo cohort's).

    Files an earlier run recorded that this one did not write (a demo cohort, when this
    run analyses the user's files) stay recorded as they were, while they exist.
    """
    earlier = {relative: digest for relative, digest in (run_files(outdir) or {}).items()
               if (outdir / relative).is_file()}
    files = {relative: _sha256(path) for path in [*_run_level_files(outdir), *extra]
             if path.is_file() and (relative := _relative_inside(outdir, path)) is not None}
    write_text(json.dumps({"files": {**earlier, **files}}, indent=1) + "\n",
               _run_record_path(outdir))


def _sheet_samples(checked: object, outdir: Path) -> list[str]:
    """Return the run's sample ids: its input check's, or those of the validated sheet it reused.

    They name the gating plots the ``flow_prep`` task may write.
    """
    sheet = getattr(checked, "sheet", None)
    if sheet is not None:
        return [str(sample) for sample in sheet.index]
    try:  # an earlier identical check was reused: its validated copy is unchanged
        table = pd.read_csv(STAGES["validate"].output_path(outdir, "samplesheet"), dtype=str,
                            keep_default_na=False)
        return [str(sample) for sample in table["sample"]]
    except (OSError, ValueError, KeyError):
        return []


def _recorded_outputs(manifest: Path) -> dict[str, str]:
    # The outputs (relative path -> SHA-256) a task manifest records; none when unreadable.
    return dict(read_manifest(manifest).get("outputs") or {})


def _remove_unchanged(outdir: Path, outputs: dict[str, str]) -> int:
    # Delete the recorded files still exactly as a run wrote them (a file the user replaced
    # or edited stays; nothing outside `outdir`, nothing through a link), and the folders
    # below `outdir` they leave empty; return how many files.
    root = outdir.resolve()
    removed = 0
    for relative, digest in outputs.items():
        path = outdir / relative
        if path.is_symlink() or not path.is_file():
            continue
        resolved = path.resolve()
        if root not in resolved.parents or _sha256(path) != digest:
            continue
        path.unlink()
        removed += 1
        for folder in resolved.parents:
            if folder == root:
                break
            try:
                folder.rmdir()  # only when empty
            except OSError:
                break
    return removed


def _prune_previous(outdir: Path, tasks: list[Task]) -> None:
    """Delete what earlier runs' tasks wrote that this run's DAG no longer has.

    A rerun into the same folder with fewer contrasts or modalities would otherwise leave
    their old tables beside the new ones (and in the report). Only files recorded in a
    task manifest, with the recorded checksum (unchanged since the run wrote them), are
    removed.
    """
    current = {task.name for task in tasks}
    removed = 0
    for manifest in sorted((outdir / "pipeline_info" / "cache").glob("*.json")):
        if manifest.stem in current:
            continue
        removed += _remove_unchanged(outdir, _recorded_outputs(manifest))
        manifest.unlink()
    if removed:
        log.info("removed %d output file(s) of tasks no longer in this run (contrasts or "
                 "modalities dropped since the last run in %s)", removed, outdir)


def _flatten(produced: dict) -> list[Path]:
    paths = []
    for value in produced.values():
        if isinstance(value, dict):
            paths += _flatten(value)
        elif value is not None:
            paths.append(Path(value))
    return paths


#: The folder of ``<outdir>`` that ``omics run --demo`` simulates the demo cohort into.
DEMO_DIR = "demo_cohort"


def _demo_files(outdir: Path) -> list[Path]:
    """Return every file the demo's simulation writes into ``<outdir>/demo_cohort``."""
    from .simulate._write import planned_files

    return planned_files(outdir / DEMO_DIR)


def _demo_cohort_reusable(outdir: Path) -> bool:
    """Whether ``<outdir>/demo_cohort`` holds the demo cohort exactly as a run there simulated it.

    Every file in the folder must be one the run record lists (:func:`_record_run_files`);
    True when every file the simulation writes is there with its recorded SHA-256, False
    when the cohort is to be simulated (missing files, or a run cut off while writing it).

    Raises
    ------
    InputError
        A file there that no run wrote (one the simulation writes would be overwritten;
        any other is not the demo cohort's) or one changed since (it would be analysed as
        the demo).
    """
    folder, recorded = outdir / DEMO_DIR, run_files(outdir) or {}
    # (an interrupted run's temporaries are removed under the lock, not counted here; hidden
    # files such as .DS_Store are the system's, neither read nor written)
    present = sorted(path for path in folder.rglob("*") if (path.is_file() or path.is_symlink())
                     and not is_temporary(path) and not path.name.startswith(".")) \
        if folder.is_dir() else []
    if present and _earlier_demo_cohort(outdir, present, recorded):
        log.info("--demo: the demo cohort in %s was simulated by an earlier omics version; "
                 "simulating it again", folder)
        return False
    planned = set(_demo_files(outdir))
    present.sort(key=lambda path: path in planned)  # a file the simulation never writes first
    complete = True
    for path in present:
        relative = str(path.relative_to(outdir))
        if relative not in recorded and path not in planned:  # never written by the simulation
            raise InputError(f"{relative} is already in the output folder, and no omics run there "
                             "recorded it: it is not a file of the demo cohort, which --demo "
                             "analyses only as simulated.",
                             path=outdir, fix="Move the file away, or choose another {--outdir}.")
        if relative not in recorded:
            refuse_foreign(outdir, [("--demo (which simulates the demo cohort there)", path)], set())
        digest = recorded[relative]
        if digest is not None and (path.is_symlink() or _sha256(path) != digest):
            raise InputError(f"{relative} was changed since the --demo run there wrote it; --demo "
                             "analyses the demo cohort only as simulated.", path=outdir,
                             fix="Move the file away, or choose another {--outdir}.")
        complete = complete and digest is not None
    return complete and all(path.is_file() for path in _demo_files(outdir))


def _earlier_demo_cohort(outdir: Path, present: Sequence[Path], recorded: dict) -> bool:
    """Whether ``present`` is a demo cohort an earlier version simulated (it kept no record).

    Versions before the demo cohort was listed in the run record reused any cohort whose
    files existed: the folder is theirs when the run record lists nothing in it, it holds
    the simulation's ``simulation.yaml`` and every file is one the simulation writes.
    """
    if any(relative.startswith(f"{DEMO_DIR}/") for relative in recorded):
        return False
    planned = set(_demo_files(outdir))
    return (outdir / DEMO_DIR / "simulation.yaml") in planned and \
        (outdir / DEMO_DIR / "simulation.yaml").is_file() and all(path in planned for path in present)


def _demo_inputs(params: dict, outdir: Path):  # noqa: ANN202 - (dict, Checked | None)
    """Simulate the demo cohort (once) and point the input parameters at it.

    The cohort is reused when it is exactly as a run there simulated it
    (:func:`_demo_cohort_reusable`, which stops on a file no run wrote or one changed
    since); otherwise its files are listed in the run record, then simulated.

    Returns the updated parameters and, when the cohort was simulated now, the check of
    its sample sheet, contrasts and matrices (:func:`_check_molecular`), made while the
    flow cytometry files were written; None when an earlier cohort is reused.
    """
    from .simulate._flow import BEADS_PER_TEST
    from .simulate._write import INPUT_FILES, simulate_cohort_then

    folder = outdir / DEMO_DIR
    paths = {key: folder / name for key, name in INPUT_FILES.items()}
    updated = dict(params)
    updated.update({key: str(path) for key, path in paths.items()})
    if not (params.get("flow_fcs") or params.get("flow_table")):
        updated["flow_fcs"] = str(folder / "fcs")  # the demo's FCS files, counting beads
        # a number, as the option given on the command line records it (50000.0, not 50000)
        updated["flow_beads_per_test"] = float(params.get("flow_beads_per_test") or BEADS_PER_TEST)
    checked = None
    if not _demo_cohort_reusable(outdir):
        log.info("--demo: simulating the bundled demo cohort into %s", folder)
        _claim_run_files(outdir, _demo_files(outdir))
        _, checked = simulate_cohort_then(folder, n_cpus=task_slots(params),
                                          then=functools.partial(_check_molecular, params=updated))
        _record_run_files(outdir, _demo_files(outdir))
    else:
        log.info("--demo: using the demo cohort in %s (as simulated)", folder)
    return updated, checked


def _progress(total: int):  # noqa: ANN202 - tqdm or None
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, file=sys.stderr, unit="task", leave=True, dynamic_ncols=True)


#: Seconds between two looks for the task workers' log lines while tasks run.
_RELAY_INTERVAL = 0.2


def _lines_above(bar: object):  # noqa: ANN202 - a context manager
    """Write the log lines above the progress bar ``bar`` while it is shown (none: as they are).

    The handlers that write to the terminal (the package's, and the root logger's in a
    notebook or a script that set one up) clear the bar, write the line and draw the bar
    again below it, instead of writing the line after the bar.
    """
    if bar is None:
        return nullcontext()
    import logging

    from tqdm.contrib.logging import logging_redirect_tqdm

    def to_terminal(logger: logging.Logger) -> bool:
        return any(isinstance(handler, logging.StreamHandler) and
                   handler.stream in (sys.stdout, sys.stderr) for handler in logger.handlers)

    loggers = [logger for logger in (logging.getLogger(LOGGER_NAME), logging.root) if to_terminal(logger)]
    return logging_redirect_tqdm(loggers=loggers, tqdm_class=type(bar)) if loggers else nullcontext()


class _Interrupts:
    """Ctrl-C or SIGTERM during a run: a handler that records the signal, then raises.

    SIGINT raises :class:`KeyboardInterrupt`, SIGTERM (``kill``, a scheduler's time limit)
    :class:`~omics._errors.Terminated`, its subclass: either way the run stops as on
    Ctrl-C (running tasks stopped, their temporaries removed, the lock released) and the
    same command resumes it. Python swallows an exception raised where it cannot
    propagate (a weakref callback, a ``__del__``: "Exception ignored in ..."), so a
    signal landing there would be lost and the run would finish with exit 0. The signal
    recorded here is checked after every task and at the end, so it still stops the run
    (exit 130, or 143 for SIGTERM).
    """

    def __init__(self) -> None:
        self.received: int | None = None
        self._previous: dict[int, object] = {}

    def _handler(self, signum: int, frame: object) -> None:
        self.received = signum
        self.check()

    # forked workers give SIGTERM back its default action (omics._parallel.start_worker)
    _handler.omics_run_handler = True

    def __enter__(self) -> _Interrupts:
        # Not in a thread, and not for a signal that is ignored (a background job, nohup)
        # or handled by the caller (SIGTERM in an application embedding omics).
        if threading.current_thread() is threading.main_thread():
            if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
                self._previous[signal.SIGINT] = signal.signal(signal.SIGINT, self._handler)
            if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
                self._previous[signal.SIGTERM] = signal.signal(signal.SIGTERM, self._handler)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def check(self) -> None:
        """Raise when a signal arrived (even one that was swallowed where it landed).

        Raises
        ------
        omics._errors.Terminated
            After SIGTERM.
        KeyboardInterrupt
            After SIGINT (Ctrl-C).
        """
        if self.received == signal.SIGTERM:
            raise Terminated
        if self.received is not None:
            raise KeyboardInterrupt


def _owned_folders(outdir: Path) -> list[Path]:
    """Return the folders a run writes into: the only places it removes its own temporaries."""
    folders = [outdir / sub for sub in SUBDIRS.values()]
    # and the sub-folders of declared outputs (flow/gating_plots), the demo's FCS folder
    nested = {(outdir / template).parent for stage in STAGES.values() for template in stage.outputs.values()}
    return list(dict.fromkeys([*folders, *sorted(nested), outdir / SUBDIRS["pipeline_info"] / "cache",
                               outdir / "demo_cohort", outdir / "demo_cohort" / "fcs"]))


def run_pipeline(params: dict, *, resume: bool = True, command_line: str = "",
                 demo: bool = False) -> Path:
    """Run every stage for the given parameters; return the output folder.

    The inputs are checked before anything is written (a bad input stops with an
    :class:`~omics._errors.InputError` and leaves the output folder as it was); then the
    output folder is locked (``<outdir>/.omics.lock``) for the rest of the run, so a
    second run into the same folder stops at once.

    Parameters
    ----------
    params
        Resolved parameters (:func:`omics.params.resolve`) with ``input``, ``contrasts``
        and at least one matrix; with ``demo`` these must be unset.
    resume
        Skip tasks whose key and outputs are unchanged.
    command_line
        Recorded in ``pipeline_info/command.txt``.
    demo
        Simulate the demo cohort into ``<outdir>/demo_cohort`` and analyse it.
    """
    outdir = check_outdir(params.get("outdir"))
    started = datetime.now(UTC)
    _DIGESTS.clear()  # files are hashed afresh by every run (a notebook may edit them between runs)
    if not demo:
        if not params.get("input"):
            raise InputError("no --input given; give --input (the sample sheet), or --demo for "
                             "the bundled demo cohort.")
        if not params.get("contrasts"):
            raise InputError("--contrasts is required with --input.")
    probe_lock(outdir)
    with _Interrupts() as interrupts:
        checked, flow_files, fingerprint = None, None, None
        if not demo:
            # Every input is checked before anything is written, so bad input leaves no trace.
            fingerprint = _input_fingerprint(params)
            flow_files = _checked_before(outdir, fingerprint) if resume else None
            if flow_files is None:
                checked, flow_files = _check_all_inputs(params)
            # A user's file at an output path stops the run before even the lock file is
            # made; checked again below, under the lock, against a run started meanwhile.
            _check_foreign_outputs(build_tasks(params, outdir, reads=None if flow_files is None
                                               else {"flow_prep": flow_files}), params, outdir,
                                   _sheet_samples(checked, outdir))
        else:  # a user's file in demo_cohort stops the run before the lock file is made
            _demo_cohort_reusable(outdir)
        with OutdirLock(outdir):
            remove_stale_temporaries(_owned_folders(outdir))
            if demo:
                params, molecular = _demo_inputs(params, outdir)
                fingerprint = _input_fingerprint(params)
                flow_files = _checked_before(outdir, fingerprint) if resume else None
                if flow_files is None and molecular is not None:
                    with logged_lines() as shown:
                        flow_files = _check_flow(params)
                    checked = dataclasses.replace(molecular, shown=molecular.shown + tuple(shown))
                elif flow_files is None:
                    checked, flow_files = _check_all_inputs(params)
            tasks = build_tasks(params, outdir,
                                reads=None if flow_files is None else {"flow_prep": flow_files})
            samples = _sheet_samples(checked, outdir)
            _check_foreign_outputs(tasks, params, outdir, samples)
            _claim_run_files(outdir)
            if checked is not None:
                from .stages._validate import write_validated

                _record_check(outdir, fingerprint, write_validated(checked, outdir), flow_files)
            # The matrices the check (or the demo's simulation) read are freed, but this
            # process keeps freed memory for reuse (omics._memory): hand it back before the
            # task workers fork, so neither the runner nor they hold it during the run
            # (1,000 patients: 1.56 GB -> 0.30 GB).
            release_free_memory()
            # The report states the versions this run computes with (not the last run's).
            write_text(yaml.safe_dump(software_versions(), sort_keys=False),
                       out_path(outdir, "pipeline_info", "software_versions.yml"))
            # The prep tasks read the inputs again: the lines this run's check showed are not
            # shown twice (none when an earlier check was reused: the tasks show them then).
            try:
                trace = _run_tasks(tasks, params, outdir, resume=resume, interrupts=interrupts,
                                   shown=() if checked is None else
                                   _with_validated_copy(checked.shown, params["input"]),
                                   samples=samples)
            except KeyboardInterrupt:
                # The workers have stopped: one a SIGTERM to the process group ended in the
                # middle of a write left its temporary file, removed here under the lock.
                remove_stale_temporaries(_owned_folders(outdir))
                raise
            _write_pipeline_info(outdir, params, trace, started, command_line)
            _record_run_files(outdir, _demo_files(outdir) if demo else ())
            interrupts.check()
    log.info("done: results in %s", outdir)
    return outdir


def _check_all_inputs(params: dict):  # noqa: ANN202 - (omics.stages._validate.Checked, flow files)
    """Check every input (flow files first, then sheet, contrasts, matrices); write nothing.

    Returns the check's result and the flow files the ``flow_prep`` task reads.
    """
    with logged_lines() as shown:
        flow_files = _check_flow(params)
    # Both checks read the sample sheet: its lines (a column read as text) are shown once.
    with input_check_shown(shown), repeating_input_check():
        checked = _check_molecular(params=params)
    return dataclasses.replace(checked, shown=tuple(shown) + checked.shown), flow_files


def _with_validated_copy(lines: tuple[Line, ...], sheet: str | Path) -> tuple[Line, ...]:
    """``lines`` and, for those about the sample sheet, the same naming its validated copy.

    The tasks read ``validated/samplesheet.csv``, the check's copy of the user's sheet: a
    line about a column of it (``<sheet name>: column 'batch' ...``) repeats what the
    check said about the user's file.
    """
    copy = f"{Path(STAGES['validate'].outputs['samplesheet']).name}: "
    name = f"{Path(sheet).name}: "
    renamed = tuple((logger, level, copy + text[len(name):]) for logger, level, text in lines
                    if text.startswith(name) and name != copy)
    return lines + renamed


def _check_flow(params: dict) -> list[Path]:
    """Check the flow inputs (FCS headers, gating channels, population table); their files.

    The validate stage's check (:func:`omics.stages._validate.check_flow`), which
    Nextflow's OMICS_VALIDATE runs too.
    """
    from .stages._validate import check_flow

    return check_flow(params, params.get("input"))


def _check_molecular(paths: dict | None = None, *, params: dict):  # noqa: ANN202 - Checked
    """Check the sample sheet, contrasts, matrices and gene sets.

    Those ``params`` name, or (``paths``, keyed by parameter name, as
    :func:`omics.simulate.simulate_cohort` returns them) the files at ``paths``.
    """
    from .stages._validate import check_inputs

    params = {**params, **{key: str(path) for key, path in (paths or {}).items()}}
    # The lines it logs go with the result (it may run in another process: the demo's).
    with logged_lines() as shown:
        checked = check_inputs(input=params["input"], contrasts=params["contrasts"],
                               rna_counts=params["rna_counts"],
                               protein_matrix=params["protein_matrix"],
                               rna_matrix=params.get("rna_matrix"), params=params)
    return dataclasses.replace(checked, shown=tuple(shown))


def _input_files(params: dict) -> list[Path]:
    """Every file a parameter names (comma-separated lists and folders included), sorted."""
    files: set[Path] = set()
    for name, value in params.items():
        if name == "outdir" or not isinstance(value, str | Path) or not str(value).strip():
            continue
        for part in str(value).split(","):
            path = Path(part.strip())
            try:
                if path.is_file():
                    files.add(path)
                elif path.is_dir():
                    files.update(p for p in path.rglob("*") if p.is_file())
            except OSError:
                continue
    return sorted(files)


def _input_fingerprint(params: dict) -> str:
    """SHA-256 of the code, every parameter and the content of every file they name.

    The input check of an earlier run into the same folder is reused only when this is
    unchanged (:func:`_checked_before`): any edited input file, changed parameter or
    other code (:func:`code_identity`: an updated checkout without a new version number)
    checks everything again.
    """
    payload = {"version": __version__, "code": code_identity(),
               "params": {k: params[k] for k in sorted(params) if k != "outdir"},
               "files": {str(p): _sha256(p) for p in _input_files(params)}}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _check_record_path(outdir: Path) -> Path:
    # Not ``*.json``: the cache folder's manifests are one per task (see _prune_previous).
    return outdir / "pipeline_info" / "cache" / "input_check.record"


def _checked_before(outdir: Path, fingerprint: str) -> list[Path] | None:
    """Return the flow files of an earlier identical input check in ``outdir``, or None.

    None (check again) unless the record's fingerprint equals ``fingerprint`` and the
    validated files it wrote and the flow files it checked (FCS files named in the
    sample sheet need not be named by a parameter) are unchanged.
    """
    record_path = _check_record_path(outdir)
    try:
        record = json.loads(record_path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("fingerprint") != fingerprint:
        return None
    for path, digest in record.get("outputs", {}).items():
        if not (outdir / path).is_file() or _sha256(outdir / path) != digest:
            return None
    flow_files = record.get("flow_files", {})
    for path, digest in flow_files.items():
        if not Path(path).is_file() or _sha256(Path(path)) != digest:
            return None
    log.info("inputs unchanged since the last check in %s: not checked again", outdir)
    return [Path(p) for p in flow_files]


def _record_check(outdir: Path, fingerprint: str, written: dict, flow_files: list[Path]) -> None:
    """Record a passed input check (fingerprint, validated outputs, flow files)."""
    outputs = {_relative(outdir, Path(p)): _sha256(Path(p))
               for p in written.values()}
    write_text(json.dumps({"fingerprint": fingerprint, "outputs": outputs,
                           "flow_files": {str(p): _sha256(Path(p)) for p in flow_files}},
                          indent=1) + "\n",
               _check_record_path(outdir))


def _cpu_seconds() -> float:
    """User + system CPU seconds of this process (all its threads) and of its waited-for children."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def _run_one(task: Task, outdir: Path, params: dict) -> tuple[dict, int, float]:
    """Run one task; return what it wrote, its process's peak resident memory and its CPU seconds.

    The CPU seconds count the task's threads (numba kernels) and the processes it split
    its work over (``n_cpus``), which have ended when it returns.
    """
    cpu = _cpu_seconds()
    try:
        with _PeakMemory() as memory:
            produced = task.function(**task.kwargs, outdir=outdir, params=params)
    finally:
        release_free_memory()  # a worker's next task starts without this one's freed memory
    return produced, memory.peak, _cpu_seconds() - cpu


def _run_shown(shown: frozenset[Line], task: Task, outdir: Path, params: dict
               ) -> tuple[dict, int, float]:
    """:func:`_run_one`, the task told which lines the run's input check showed.

    The prep tasks read the files the check read; the lines they would log a second time
    are logged at debug level (:func:`omics._logging.repeating_input_check`).
    """
    with input_check_shown(shown):
        return _run_one(task, outdir, params)


def _start_worker(slots: int, runner: int, relay: SimpleQueue) -> None:
    """Start a task worker: it ignores Ctrl-C, dies with the runner and shares the cores.

    What the worker inherits from the runner is frozen out of the cyclic garbage
    collector's reach (:func:`omics._parallel.start_worker`); its log records, and those
    of the processes its tasks split their work over, go to the runner through ``relay``
    (:mod:`omics._log_relay`), which logs them.

    Ctrl-C goes to the runner, which lets the running tasks finish; a runner that is
    killed (process id ``runner``) takes its workers with it (Linux), so none writes on
    after it, and they take the processes their stages split work over. Each of the
    ``slots`` workers runs its numba kernels (GSEA permutations, DESeq2 per-gene fits) on
    its share of the cores: more threads than cores make the parallel loops wait for
    threads that are not running. Results do not depend on the number of threads.
    """
    threads = str(max(1, (os.cpu_count() or 1) // slots))
    if "numba" in sys.modules:
        import numba

        numba.set_num_threads(min(int(threads), numba.config.NUMBA_NUM_THREADS))
    else:
        os.environ["NUMBA_NUM_THREADS"] = threads
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    relay_to(relay)
    start_worker(runner)


def task_slots(params: dict) -> int:
    """How many tasks ``omics run`` runs side by side: ``n_cpus``, at most the machine's cores."""
    return max(1, min(int(params.get("n_cpus") or 1), os.cpu_count() or 1))


def _path_costs(tasks: list[Task]) -> dict[str, float]:
    """Return, per task, the declared cost of its costliest path to the end of the run.

    Costs are :attr:`omics.registry.Stage.cost`; a task's path includes itself.
    """
    dependents: dict[str, list[str]] = {task.name: [] for task in tasks}
    for task in tasks:
        for name in task.needs:
            dependents[name].append(task.name)
    rank: dict[str, float] = {}
    for task in reversed(tasks):  # a task's dependents come after it
        rank[task.name] = STAGES[task.stage].cost + max((rank[d] for d in dependents[task.name]),
                                                        default=0.0)
    return rank


class _Schedule:
    """The tasks of a run, each started as soon as the tasks it reads have finished.

    Up to ``slots`` tasks run at once, each in a worker process of a pool forked from the
    runner (``slots == 1``: one after the other, in DAG order, in this process); of the
    ready tasks, the one on the costliest path to the end starts first. Validation records and
    cached tasks finish at once, without a slot. Every output is a task's own file, so the
    order in which independent tasks finish does not change any result.
    """

    def __init__(self, tasks: list[Task], params: dict, outdir: Path, *, resume: bool,
                 slots: int, shown: tuple[Line, ...] = (), samples: Sequence[str] = ()) -> None:
        if slots > 1 and not fork_is_safe("the tasks run one at a time"):
            slots = 1
        self.params, self.outdir, self.resume, self.slots = params, outdir, resume, slots
        self.samples = tuple(samples)  # the sample sheet's ids: the gating plots claimed
        self.shown = frozenset(shown)  # lines the input check showed (see _run_shown)
        self.order = {task.name: number for number, task in enumerate(tasks, start=1)}
        # With workers, the ready task on the costliest path to the end starts first (the
        # scores, which the integration and the report wait for, before the last contrasts).
        rank = _path_costs(tasks)
        self.pending = list(tasks) if slots == 1 else sorted(
            tasks, key=lambda task: (-rank[task.name], self.order[task.name]))
        self.done: set[str] = set()
        self.rows: dict[str, dict] = {}
        self.keys: dict[str, str] = {}
        self.cached: dict[str, bool] = {}
        self.running: dict[Future, tuple[Task, float]] = {}
        self.bar = _progress(len(tasks))
        self.pool, self.relay = None, None
        if slots > 1:
            # Forked on Linux (the libraries the runner loaded are not loaded again);
            # macOS and Windows start workers their own (safe) way.
            self.relay = LogRelay(fork_context())
            self.pool = ProcessPoolExecutor(max_workers=slots, initializer=_start_worker,
                                            initargs=(slots, os.getpid(), self.relay.queue),
                                            mp_context=fork_context())

    def finish(self, task: Task, status: str, started: float, peak: int = 0,
               cpu: float = 0.0) -> None:
        """Record a finished task in the trace and the progress bar."""
        wall = time.time() - started
        self.done.add(task.name)
        self.rows[task.name] = {"task": task.name, "stage": task.stage, "status": status,
                                "wall_seconds": round(wall, 3),
                                "peak_rss_mb": round(peak / 2**20, 1),
                                "cpu_seconds": round(cpu, 3)}
        # [finished so far/all]: rises with every line, whatever order the tasks finish in
        log.info("[%d/%d] %s %s (%.1f s)", len(self.done), len(self.order), task.name, status, wall)
        if self.bar is not None:
            self.bar.set_description(task.name)
            self.bar.update(1)

    def start_ready(self, interrupts: _Interrupts) -> None:
        """Finish (validation record, cached) or start every task whose inputs are ready.

        A task's key, and whether it is cached, are worked out once: when its inputs are
        ready (they do not change afterwards), not again while it waits for a slot.
        """
        progressed = True
        while progressed:
            progressed = False
            for task in list(self.pending):
                if not set(task.needs) <= self.done:
                    continue
                interrupts.check()
                started = time.time()
                if task.name not in self.keys:
                    self.keys[task.name] = _task_key(task, self.params, self.outdir)
                    self.cached[task.name] = (self.resume and task.name != "validate" and
                                              _is_cached(self.outdir, task, self.keys[task.name]))
                key = self.keys[task.name]
                if task.name == "validate":
                    validate = STAGES["validate"]
                    _record(self.outdir, task, key, {k: validate.output_path(self.outdir, k)
                                                     for k in validate.outputs})
                    self.finish(task, "completed", started)
                elif self.cached[task.name]:
                    self.finish(task, "cached", started)
                elif self.pool is None:
                    log.info("[%d/%d] %s ...", len(self.done), len(self.order), task.name)
                    _claim(self.outdir, task, self.params, self.samples)
                    produced, peak, cpu = _run_shown(self.shown, task, self.outdir, self.params)
                    # An interrupt swallowed during the task: its outputs are not trusted.
                    interrupts.check()
                    _record(self.outdir, task, key, produced)
                    self.finish(task, "completed", started, peak, cpu)
                elif len(self.running) < self.slots:
                    log.info("[%d/%d] %s ...", len(self.done), len(self.order), task.name)
                    _claim(self.outdir, task, self.params, self.samples)
                    future = self.pool.submit(_run_shown, self.shown, task, self.outdir,
                                              self.params)
                    self.running[future] = (task, started)
                else:
                    continue
                self.pending.remove(task)
                progressed = True

    def collect(self, futures: set[Future]) -> None:
        """Record the tasks of ``futures`` that finished; raise the first task's error."""
        if self.relay is not None:  # the tasks' own lines first
            self.relay.drain()
        error = None
        for future in sorted(futures, key=lambda f: self.order[self.running[f][0].name]):
            task, started = self.running.pop(future)
            if future.cancelled():
                continue
            if future.exception() is not None:
                error = error or future.exception()
                continue
            produced, peak, cpu = future.result()
            _record(self.outdir, task, self.keys[task.name], produced)
            self.finish(task, "completed", started, peak, cpu)
        if error is not None:
            raise error

    def run(self, interrupts: _Interrupts) -> list[dict]:
        """Run every task; return the trace rows in DAG order."""
        try:
            with _lines_above(self.bar):
                self._run(interrupts)
        finally:
            if self.bar is not None:
                self.bar.close()
        return [self.rows[name] for name in sorted(self.rows, key=self.order.get)]

    def _run(self, interrupts: _Interrupts) -> None:
        try:
            while self.pending or self.running:
                self.start_ready(interrupts)
                if self.running:
                    self.collect(self._wait(FIRST_COMPLETED))
                elif self.pending:  # nothing runs and nothing can start: a broken DAG
                    raise RuntimeError("tasks wait for inputs no task makes: "
                                       + ", ".join(task.name for task in self.pending))
                interrupts.check()
        except BaseException:
            self.stop()
            raise
        finally:
            if self.pool is not None:
                self._shut_down()

    def _shut_down(self) -> None:
        """Wait for the workers to end, logging their lines meanwhile.

        A running task whose log lines filled the pipe waits for the runner to read them: a
        shutdown that only waited (a second Ctrl-C) would wait for ever.
        """
        closing = threading.Thread(target=self.pool.shutdown, name="omics-pool-shutdown", daemon=True)
        closing.start()
        try:
            self._drain_while(closing)
        except BaseException:
            # a further Ctrl-C: the process ends once the running tasks have (Python waits
            # for the pool), and they may still log: keep reading their lines meanwhile
            threading.Thread(target=self._drain_while, args=(closing,), name="omics-log-drain",
                             daemon=True).start()
            raise
        self.relay.close()

    def _drain_while(self, closing: threading.Thread) -> None:
        while closing.is_alive():
            self.relay.drain()
            closing.join(_RELAY_INTERVAL)

    def _wait(self, return_when: str) -> set[Future]:
        """Wait for running tasks to finish (``wait``'s ``return_when``), logging their lines meanwhile."""
        while True:
            finished, running = wait(self.running, timeout=_RELAY_INTERVAL, return_when=return_when)
            if not running or (finished and return_when == FIRST_COMPLETED):
                return finished
            self.relay.drain()

    def stop(self) -> None:
        """Start nothing more; let running tasks finish and keep (record) the ones that did."""
        if self.pool is None or not self.running:
            return
        log.info("stopping: waiting for %s", ", ".join(t.name for t, _ in self.running.values()))
        for future in self.running:
            future.cancel()
        self._wait(ALL_COMPLETED)
        try:
            self.collect(set(self.running))
        except Exception:  # noqa: BLE001 - the error being raised already is the one to report
            pass


def _run_tasks(tasks: list[Task], params: dict, outdir: Path, *, resume: bool,
               interrupts: _Interrupts, shown: tuple[Line, ...] = (),
               samples: Sequence[str] = ()) -> list[dict]:
    """Run (or reuse) every task of the DAG, up to :func:`task_slots` at once; return the trace.

    ``shown``: the lines this run's input check logged, not logged again by the tasks;
    ``samples``: the sample sheet's ids (the gating plots a task claims).
    """
    _prune_previous(outdir, tasks)
    schedule = _Schedule(tasks, params, outdir, resume=resume, slots=task_slots(params),
                         shown=shown, samples=samples)
    trace = schedule.run(interrupts)
    interrupts.check()
    return trace


def _write_pipeline_info(outdir: Path, params: dict, trace: list[dict], started: datetime,
                         command_line: str) -> None:
    info = out_path(outdir, "pipeline_info", "")
    write_text(yaml.safe_dump(params, sort_keys=True), info / "params.yaml")
    write_text(yaml.safe_dump(software_versions(), sort_keys=False), info / "software_versions.yml")
    checksums = [{"parameter": key, "path": params[key], "sha256": _sha256(Path(params[key]))}
                 for key in ("input", "contrasts", "rna_counts", "rna_matrix", "qpcr_efficiency",
                             "protein_matrix") if params.get(key)]
    write_tsv(pd.DataFrame(checksums), info / "input_checksums.tsv")
    write_tsv(pd.DataFrame(trace), info / "execution_trace.tsv")
    finished = datetime.now(UTC)
    write_text(f"{command_line}\n# started {started.isoformat()}\n# finished {finished.isoformat()}\n"
               f"# cwd {os.getcwd()}\n", info / "command.txt")


def stage_command_task(stage: str, values: dict) -> Task:
    """Return the task ``omics <stage>`` is, named as ``omics run`` names it (``qc.rna``).

    Its fan-out fields come from the command's options (``--contrast_id``, ``--modality``)
    or, for ``omics enrich``, from the differential table's name.

    Parameters
    ----------
    stage
        The stage (:data:`omics.registry.STAGES`).
    values
        The values of the stage's file options.

    Returns
    -------
    Task
        The task, with its fan-out fields (no inputs: it is not run by the runner).
    """
    from .registry import FAN_OUT_OPTIONS, parse_de_results_name

    fields = {}
    for name in STAGES[stage].fan_out:
        value = values.get(FAN_OUT_OPTIONS[name])
        if value is None and values.get("de_results"):
            if not Path(values["de_results"]).is_file():  # before its name: the file is missing
                raise InputError("{--de_results}: file not found.", path=values["de_results"],
                                 fix="Give a table written by 'omics de'.")
            contrast, modality, _ = parse_de_results_name(values["de_results"])
            value = {"contrast": contrast, "modality": modality}[name]
        fields[name] = str(value)
    return Task(STAGES[stage].task_name(**fields), stage, {}, [], fields)


def _stage_outputs(task: Task, params: dict, outdir: Path, samples: Sequence[str]) -> list[Path]:
    # Every file the stage command may write: :func:`omics.dag.possible_outputs`, under each
    # name its DE engine may give (RNA: DESeq2 for counts, limma for qPCR/array values).
    from .registry import RNA_LOG2_FORMATS

    paths = [path for rna_format in (None, *RNA_LOG2_FORMATS)
             for path in possible_outputs(task, {**params, "rna_format": rna_format}, outdir, samples)]
    return list(dict.fromkeys(paths))


def run_stage_command(task: Task, call: Callable[[], dict], params: dict, outdir: Path,
                      samples: Sequence[str] = (), inputs: object = ()) -> dict:
    """Run one stage command (``omics qc ...``), writing only over files omics wrote in ``outdir``.

    Before anything is written, a file at a path the stage may write that no omics run or
    stage command in ``outdir`` wrote or claimed (:func:`_ours`) stops it (exit 2). The
    stage's manifest (``pipeline_info/cache/<task>.json``, the one ``omics run`` keeps for
    the same task) claims those paths while it runs, and records what it wrote and the
    parameters it ran with (``params``, which the report states for its tables), with no
    resume key: ``omics run`` computes the task again, and replaces or retires its files
    as a task's own (:func:`_prune_previous`); the next stage command and the report know
    them as results. A stage that stops before writing leaves no manifest.

    Parameters
    ----------
    task
        :func:`stage_command_task`.
    call
        Runs the stage; returns what it wrote.
    params
        The command's parameters.
    outdir
        The (resolved) output folder.
    samples
        The sample sheet's ids (``flow_prep``: the gating plots it may write).
    inputs
        The stage function's file arguments: their checksums are recorded in the manifest
        (:func:`_input_checksums`).

    Returns
    -------
    dict
        What the stage wrote.
    """
    paths = _stage_outputs(task, params, outdir, samples)
    known = _ours(outdir)
    if task.stage == "report":  # a report omics wrote, published by Nextflow without a manifest
        known |= {relative for path in paths if is_omics_report(path)
                  and (relative := _relative_inside(outdir, path)) is not None}
    # a run's folder: held while the stage writes, so a run (or another stage command)
    # started meanwhile stops at once
    with OutdirLock(outdir, f"omics {task.stage}") if (outdir / LOCK_NAME).is_file() else nullcontext():
        refuse_foreign(outdir, [(f"omics {task.stage}", path) for path in paths], known)
        _refuse_edited(outdir, [task])
        with claim_undone_on_failure(_manifest_path(outdir, task), paths, outdir):
            _write_claim(outdir, task, paths)
            produced = call()
        _record(outdir, task, None, produced, _stage_params(task, params), _input_checksums(params, inputs))
    return produced


def _stage_params(task: Task, params: dict) -> dict | None:
    """Return the parameters a stage command's task ran with (its stage's, as :func:`_task_key` reads them).

    The report states them for the task's tables when they differ from the run's record
    (:func:`omics.report.task_params`). None for the report, which reads every parameter.
    """
    stage = STAGES[task.stage]
    if stage.after_all:
        return None
    return {name: params.get(name) for name in stage.params if name not in _SCHEDULING_PARAMS}


def _input_checksums(params: dict, inputs: object = ()) -> dict[str, str]:
    """``{path: sha256}`` of the files a stage command was given (its options naming files).

    ``inputs``: the stage function's file arguments (paths, or dicts and lists of them:
    ``h5ads={"rna": ...}``). Recorded in its manifest, they tell which task's outputs it
    read (an h5ad written by a prep stage run again by hand, or the one before): the
    report states the parameters its tables were computed with from them
    (:func:`omics.report.task_values`).
    """
    found = {}

    def add(value: object) -> None:
        if isinstance(value, dict):
            for item in value.values():
                add(item)
        elif isinstance(value, list | tuple | set):
            for item in value:
                add(item)
        elif isinstance(value, str | Path):
            for item in str(value).split(",") if isinstance(value, str) else [str(value)]:
                item = item.strip()
                if item and Path(item).is_file():
                    found[item] = _sha256(Path(item))

    add(list(params.values()))
    add(inputs)
    return dict(sorted(found.items()))
