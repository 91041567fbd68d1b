"""``omics run``: the fixed DAG on one machine, with progress, resume and pipeline_info.

A task is skipped when a manifest in ``pipeline_info/cache/`` records the same key
(SHA-256 of its input files, the parameters it reads and the package version) and its
outputs still exist with the recorded checksums. Each output is written atomically, and
a manifest only after all of a task's outputs, so an interrupted run resumes at the
task that was cut off.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import resource
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import pandas as pd
import yaml

from . import __version__
from . import stages as st
from ._errors import InputError
from ._logging import get_logger
from .io import read_contrasts
from .io._write import write_text, write_tsv
from .stages._common import de_results_name, out_path

log = get_logger("run")

_PACKAGES = ("numpy", "pandas", "scipy", "anndata", "mudata", "scanpy", "pydeseq2", "gseapy",
             "decoupler", "statsmodels", "scikit-learn", "formulaic")


@dataclass
class Task:
    """One node of the DAG."""

    name: str
    stage: str
    function: Callable[..., dict]
    kwargs: dict
    inputs: list[Path]
    outputs: Callable[[], list[Path]] = field(default=lambda: [])


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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


def software_versions() -> dict[str, str]:
    """Versions of Python, this package and the statistical libraries."""
    versions = {"omics": __version__, "python": platform.python_version()}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def _task_key(task: Task, params: dict) -> str:
    used = {name: params.get(name) for name in st.STAGE_PARAMS.get(task.stage, ())}
    # Inputs count by content, not by path, so a moved or copied results folder resumes.
    payload = {"task": task.name, "version": __version__, "params": used,
               "inputs": [_sha256(p) for p in task.inputs]}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _manifest_path(outdir: Path, task: Task) -> Path:
    return out_path(outdir, "pipeline_info", f"cache/{task.name}.json")


def _is_cached(outdir: Path, task: Task, key: str) -> bool:
    manifest = _manifest_path(outdir, task)
    if not manifest.is_file():
        return False
    recorded = json.loads(manifest.read_text())
    if recorded.get("key") != key:
        return False
    for path, digest in recorded.get("outputs", {}).items():
        if not (outdir / path).is_file() or _sha256(outdir / path) != digest:
            return False
    return True


@contextmanager
def _sigint_deferred() -> Iterator[None]:
    """Hold Ctrl-C until the block ends, so a finished task's manifest is always written.

    Without this an interrupt while the outputs are being hashed leaves them on disk with
    no manifest, and the resumed run recomputes a task that had finished.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[tuple] = []
    previous = signal.signal(signal.SIGINT, lambda *args: received.append(args))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if received and callable(previous):
            previous(*received[0])
        elif received:
            os.kill(os.getpid(), signal.SIGINT)


def _record(outdir: Path, task: Task, key: str, produced: dict) -> None:
    with _sigint_deferred():
        outputs = {str(Path(p).resolve().relative_to(outdir)): _sha256(Path(p))
                   for p in _flatten(produced)}
        write_text(json.dumps({"key": key, "outputs": outputs}, indent=1) + "\n",
                   _manifest_path(outdir, task))


def _prune_previous(outdir: Path, tasks: list[Task]) -> None:
    """Delete what earlier runs' tasks wrote that this run's DAG no longer has.

    A rerun into the same folder with fewer contrasts or modalities would otherwise leave
    their old tables beside the new ones (and in the report). Only files recorded in a
    task manifest are removed.
    """
    current = {task.name for task in tasks}
    removed = 0
    for manifest in sorted((outdir / "pipeline_info" / "cache").glob("*.json")):
        if manifest.stem in current:
            continue
        try:
            outputs = json.loads(manifest.read_text()).get("outputs", {})
        except (OSError, ValueError):
            outputs = {}
        for relative in outputs:
            path = outdir / relative
            if path.is_file():
                path.unlink()
                removed += 1
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


def _demo_inputs(params: dict, outdir: Path) -> dict:
    """Simulate the demo cohort (once) and point the input parameters at it."""
    from .simulate import simulate_cohort
    from .simulate._write import INPUT_FILES

    folder = outdir / "demo_cohort"
    paths = {key: folder / name for key, name in INPUT_FILES.items()}
    if not all(p.is_file() for p in paths.values()) or not (folder / "simulation.yaml").is_file():
        log.info("no --input given: simulating the bundled demo cohort into %s", folder)
        paths = simulate_cohort(folder)
    else:
        log.info("no --input given: using the demo cohort in %s", folder)
    updated = dict(params)
    updated.update({key: str(path) for key, path in paths.items()})
    return updated


def build_tasks(params: dict, outdir: Path) -> list[Task]:
    """Build the DAG for the inputs present: validate, prep, qc, de, enrich, score, integrate, report."""
    validated_sheet = out_path(outdir, "validated", "samplesheet.csv")
    validated_contrasts = out_path(outdir, "validated", "contrasts.yaml")
    contrast_ids = [c.id for c in read_contrasts(params["contrasts"])]
    matrices = {m: Path(params[key]) for m, key in (("rna", "rna_counts"),
                                                     ("protein", "protein_matrix")) if params[key]}
    tasks = [Task("validate", "validate", st.validate,
                  {"input": params["input"], "contrasts": params["contrasts"],
                   "rna_counts": params["rna_counts"], "protein_matrix": params["protein_matrix"]},
                  [Path(params["input"]), Path(params["contrasts"]), *matrices.values()])]
    h5ads = {}
    for modality, matrix in matrices.items():
        h5ad = out_path(outdir, modality, f"{modality}.h5ad")
        h5ads[modality] = h5ad
        prep = st.rna_prep if modality == "rna" else st.protein_prep
        key = "rna_counts" if modality == "rna" else "protein_matrix"
        tasks.append(Task(f"{modality}_prep", f"{modality}_prep", prep,
                          {"samplesheet": validated_sheet, "contrasts": validated_contrasts,
                           key: matrix}, [validated_sheet, validated_contrasts, matrix]))
        tasks.append(Task(f"qc.{modality}", "qc", st.qc, {"h5ad": h5ad, "modality": modality},
                          [h5ad]))
    de_tables, gsea_tables = [], []
    for modality, h5ad in h5ads.items():
        for contrast_id in contrast_ids:
            table = out_path(outdir, "differential", de_results_name(contrast_id, modality))
            de_tables.append(table)
            tasks.append(Task(f"de.{contrast_id}.{modality}", "de", st.de,
                              {"h5ad": h5ad, "contrasts": validated_contrasts,
                               "contrast_id": contrast_id, "modality": modality},
                              [h5ad, validated_contrasts]))
            gsea = out_path(outdir, "enrichment", f"{contrast_id}.{modality}.gsea.tsv")
            gsea_tables.append(gsea)
            tasks.append(Task(f"enrich.{contrast_id}.{modality}", "enrich", st.enrich,
                              {"de_results": table}, [table]))
    tasks.append(Task("score", "score", st.score, {"h5ads": h5ads}, list(h5ads.values())))
    if len(h5ads) == 2:
        tasks.append(Task("integrate", "integrate", st.integrate,
                          {"rna_h5ad": h5ads["rna"], "protein_h5ad": h5ads["protein"],
                           "de_results": de_tables, "gsea_results": gsea_tables},
                          [*h5ads.values(), *de_tables, *gsea_tables]))
    report_inputs = [p for t in tasks for p in t.inputs if str(p).startswith(str(outdir))]
    report_inputs += [out_path(outdir, "scores", "response_model.tsv")]
    tasks.append(Task("report", "report", st.report, {"results_dir": outdir},
                      sorted(set(report_inputs))))
    return tasks


def _progress(total: int):  # noqa: ANN202 - tqdm or None
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, file=sys.stderr, unit="task", leave=True, dynamic_ncols=True)


def run_pipeline(params: dict, *, resume: bool = True, command_line: str = "") -> Path:
    """Run every stage for the given parameters; return the output folder.

    Parameters
    ----------
    params
        Resolved parameters (:func:`omics.params.resolve`). Without ``input`` the demo
        cohort is simulated into ``<outdir>/demo_cohort`` and used with
        ``metadata/bali_contrasts.yaml``.
    resume
        Skip tasks whose key and outputs are unchanged.
    command_line
        Recorded in ``pipeline_info/command.txt``.
    """
    outdir = Path(params["outdir"]).resolve()
    if outdir.exists() and not outdir.is_dir():
        raise InputError(f"--outdir {params['outdir']} is a file, not a folder; choose another "
                         "--outdir.")
    started = datetime.now(UTC)
    if not params.get("input"):
        params = _demo_inputs(params, outdir)
    elif not params.get("contrasts"):
        raise InputError("--contrasts is required with --input.")
    # Validation runs before anything else is written, so bad input leaves no partial results.
    st.validate(input=params["input"], contrasts=params["contrasts"],
                rna_counts=params["rna_counts"], protein_matrix=params["protein_matrix"],
                outdir=outdir, params=params)
    for stale in outdir.rglob(".*.tmp*"):
        stale.unlink(missing_ok=True)
    tasks = build_tasks(params, outdir)
    _prune_previous(outdir, tasks)
    trace = []
    bar = _progress(len(tasks))
    for number, task in enumerate(tasks, start=1):
        task_started = time.time()
        if task.name == "validate":
            key = _task_key(task, params)
            _record(outdir, task, key, {"sheet": out_path(outdir, "validated", "samplesheet.csv"),
                                        "contrasts": out_path(outdir, "validated", "contrasts.yaml")})
            status, peak, produced = "completed", 0, {}
        else:
            key = _task_key(task, params)
            if resume and _is_cached(outdir, task, key):
                status, peak = "cached", 0
            else:
                log.info("[%d/%d] %s ...", number, len(tasks), task.name)
                with _PeakMemory() as memory:
                    produced = task.function(**task.kwargs, outdir=outdir, params=params)
                _record(outdir, task, key, produced)
                status, peak = "completed", memory.peak
        wall = time.time() - task_started
        trace.append({"task": task.name, "stage": task.stage, "status": status,
                      "wall_seconds": round(wall, 3), "peak_rss_mb": round(peak / 2**20, 1)})
        log.info("[%d/%d] %s %s (%.1f s)", number, len(tasks), task.name, status, wall)
        if bar is not None:
            bar.set_description(task.name)
            bar.update(1)
    if bar is not None:
        bar.close()
    _write_pipeline_info(outdir, params, trace, started, command_line)
    log.info("done: results in %s", outdir)
    return outdir


def _write_pipeline_info(outdir: Path, params: dict, trace: list[dict], started: datetime,
                         command_line: str) -> None:
    info = out_path(outdir, "pipeline_info", "")
    write_text(yaml.safe_dump(params, sort_keys=True), info / "params.yaml")
    write_text(yaml.safe_dump(software_versions(), sort_keys=False), info / "software_versions.yml")
    checksums = [{"parameter": key, "path": params[key], "sha256": _sha256(Path(params[key]))}
                 for key in ("input", "contrasts", "rna_counts", "protein_matrix") if params.get(key)]
    write_tsv(pd.DataFrame(checksums), info / "input_checksums.tsv")
    write_tsv(pd.DataFrame(trace), info / "execution_trace.tsv")
    finished = datetime.now(UTC)
    write_text(f"{command_line}\n# started {started.isoformat()}\n# finished {finished.isoformat()}\n"
               f"# cwd {os.getcwd()}\n", info / "command.txt")
