"""Time the flow_prep stage: gate 40 FCS files of 500,000 events each with the shipped template.

Usage::

    .venv/bin/python benchmarks/bench_flow.py [--files 40] [--events 500000] [--n_cpus 2]
        [--no-plots] [--workdir DIR]

FCS files are simulated as in ``omics simulate`` (7 channels, counting beads,
``$SPILLOVER``) into ``--workdir`` (a temporary folder by default; writing them is not
timed; a ``--workdir`` keeps them, and they are reused while ``--files`` and ``--events``
stay the same, written anew otherwise). Then the whole ``flow_prep`` stage runs on them:
header checks, reading, compensation, transformation and gating by FlowKit in ``--n_cpus`` worker processes,
gating plots (unless ``--no-plots``), ``flow.h5ad`` and QC. Prints the wall time, the
peak RSS of this process and the largest peak RSS of a worker process, and the CPU time
of all processes (on a shared machine the wall time says little; CPU time / cores is
the wall time on idle cores, plus process start-up).
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from omics.params import resolve
from omics.simulate._flow import BEADS_PER_TEST, _patient_events, write_fcs
from omics.stages import flow_prep

MANIFEST = "bench_flow.json"


def files_match(folder: Path, n_files: int, n_events: int, seed: int = 1) -> bool:
    """Whether ``folder`` (a ``--workdir``) holds the FCS files of these settings already.

    ``bench_flow.json`` records the files, events and seed the folder's FCS files were
    written with, and every file it names must be there.
    """
    try:
        written = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return False
    return (written == {"files": n_files, "events": n_events, "seed": seed}
            and all((folder / "fcs" / f"S{i + 1:03d}.fcs").is_file() for i in range(n_files)))


def write_files(folder: Path, n_files: int, n_events: int, seed: int = 1) -> Path:
    """Simulate ``n_files`` FCS files of ``n_events`` events into ``folder/fcs``; return the sheet.

    A ``--workdir`` of an earlier run is reused only when its ``bench_flow.json`` records
    the same files, events and seed (:func:`files_match`); otherwise its FCS files are
    written anew.
    """
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    samples = [f"S{i + 1:03d}" for i in range(n_files)]
    if not files_match(folder, n_files, n_events, seed):
        (folder / MANIFEST).unlink(missing_ok=True)
        for old in (folder / "fcs").glob("*.fcs"):
            old.unlink()
        for sample in samples:
            events, _ = _patient_events(n_events, rng.uniform(0.005, 0.04), rng.uniform(0.05, 0.4),
                                        float(np.exp(rng.normal(np.log(8000), 0.3))), rng)
            write_fcs(folder / "fcs" / f"{sample}.fcs", events, sample=sample)
        (folder / MANIFEST).write_text(json.dumps({"files": n_files, "events": n_events,
                                                   "seed": seed}))
    sheet = folder / "samplesheet.csv"
    pd.DataFrame({"sample": samples, "patient": samples}).to_csv(sheet, index=False)
    return sheet


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=40, help="FCS files (default 40)")
    parser.add_argument("--events", type=int, default=500_000, help="events per file (default 500000)")
    parser.add_argument("--n_cpus", type=int, default=2, help="flow_prep worker processes (default 2)")
    parser.add_argument("--no-plots", dest="plots", action="store_false", help="no gating plots")
    parser.add_argument("--workdir", default=None,
                        help="keep the FCS files here (reused while --files/--events stay the same)")
    args = parser.parse_args()
    if args.files < 1 or args.events < 1 or args.n_cpus < 1:
        parser.error("--files, --events and --n_cpus must be >= 1")

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.workdir or tmp)
        started = time.perf_counter()
        reused = files_match(work, args.files, args.events)
        sheet = write_files(work, args.files, args.events)
        there = sorted((work / "fcs").glob("*.fcs"))
        size = sum(p.stat().st_size for p in there) / 2**20
        print(f"{'reused' if reused else 'wrote'} {len(there)} FCS files x {args.events:,} events "
              f"({size:.0f} MB) in {time.perf_counter() - started:.1f} s (not timed below)")
        params = resolve({"n_cpus": args.n_cpus, "flow_beads_per_test": BEADS_PER_TEST})
        params["flow_gating_plots"] = args.plots
        cpu_before = _cpu_seconds()
        started = time.perf_counter()
        outputs = flow_prep(samplesheet=sheet, flow_fcs=work / "fcs", outdir=work / "results",
                            params=params)
        wall = time.perf_counter() - started
        cpu = _cpu_seconds() - cpu_before
    self_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"flow_prep: {args.files} files x {args.events:,} events, {args.n_cpus} worker(s), "
          f"plots {'on' if args.plots else 'off'}: {wall:.1f} s wall "
          f"({wall / args.files:.2f} s per file)")
    print(f"CPU time (all processes): {cpu:.1f} s, i.e. >= {cpu / args.n_cpus:.1f} s wall on "
          f"{args.n_cpus} idle cores")
    print(f"peak RSS: main process {self_peak:.0f} MB, largest worker {child_peak:.0f} MB")
    print(f"outputs: {', '.join(sorted(outputs))}")


if __name__ == "__main__":
    main()
