"""Time the flow_prep stage: gate 40 FCS files of 500,000 events each with the shipped template.

Usage::

    .venv/bin/python benchmarks/bench_flow.py [--files 40] [--events 500000] [--n_cpus 2]
        [--no-plots] [--workdir DIR]

FCS files are simulated as in ``omics simulate`` (7 channels, counting beads,
``$SPILLOVER``) into ``--workdir`` (a temporary folder by default; writing them is not
timed). Then the whole ``flow_prep`` stage runs on them: header checks, reading,
compensation, transformation and gating by FlowKit in ``--n_cpus`` worker processes,
gating plots (unless ``--no-plots``), ``flow.h5ad`` and QC. Prints the wall time, the
peak RSS of this process and the largest peak RSS of a worker process, and the CPU time
of all processes (on a shared machine the wall time says little; CPU time / cores is
the wall time on idle cores, plus process start-up).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from omics.params import resolve  # noqa: E402
from omics.simulate._flow import BEADS_PER_TEST, _patient_events, write_fcs  # noqa: E402
from omics.stages import flow_prep  # noqa: E402


def write_files(folder: Path, n_files: int, n_events: int, seed: int = 1) -> Path:
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    samples = [f"S{i + 1:03d}" for i in range(n_files)]
    for sample in samples:
        if (folder / "fcs" / f"{sample}.fcs").is_file():  # a --workdir of an earlier run
            continue
        events, _ = _patient_events(n_events, rng.uniform(0.005, 0.04), rng.uniform(0.05, 0.4),
                                    float(np.exp(rng.normal(np.log(8000), 0.3))), rng)
        write_fcs(folder / "fcs" / f"{sample}.fcs", events, sample=sample)
    sheet = folder / "samplesheet.csv"
    pd.DataFrame({"sample": samples, "patient": samples}).to_csv(sheet, index=False)
    return sheet


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--events", type=int, default=500_000)
    parser.add_argument("--n_cpus", type=int, default=2)
    parser.add_argument("--no-plots", dest="plots", action="store_false")
    parser.add_argument("--workdir", default=None)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.workdir or tmp)
        started = time.perf_counter()
        sheet = write_files(work, args.files, args.events)
        size = sum(p.stat().st_size for p in (work / "fcs").glob("*.fcs")) / 2**20
        print(f"wrote {args.files} FCS files x {args.events:,} events ({size:.0f} MB) in "
              f"{time.perf_counter() - started:.1f} s (not timed below)")
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
