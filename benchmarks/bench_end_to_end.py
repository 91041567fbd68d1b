"""Time ``omics run --demo`` end to end: a fresh run, then a resumed run.

Usage::

    .venv/bin/python benchmarks/bench_end_to_end.py [--outdir DIR] [--repeats 1] [--keep]

Runs ``omics run --demo --no-resume --outdir DIR`` (fresh) and then
``omics run --demo --outdir DIR`` (resumed, every task cached) as whole processes, and
prints their wall and CPU times, the per-task trace of the fresh run from
``pipeline_info/execution_trace.tsv`` (slowest first) and its CPU seconds per stage: the
tasks' own (their threads and the processes they split work over), and what is left of
the run's CPU time for the runner itself (start-up, the demo cohort's simulation, input
checks). On a shared machine the wall time depends on the load: compare runs made side
by side.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

OMICS = [sys.executable, "-m", "omics.cli"]


def timed(command: list[str]) -> tuple[float, float]:
    """Run ``command``; return its wall time and CPU time (user + system) in seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={**os.environ, "PYTHONHASHSEED": "0"})
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def trace(outdir: Path) -> pd.DataFrame:
    """The execution trace of the last run in ``outdir``, slowest task first."""
    table = pd.read_csv(outdir / "pipeline_info" / "execution_trace.tsv", sep="\t")
    return table.sort_values("wall_seconds", ascending=False, kind="stable")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outdir", default=None, help="results folder (default: a temporary one)")
    parser.add_argument("--repeats", type=int, default=1, help="fresh/resumed pairs to time")
    parser.add_argument("--keep", action="store_true", help="keep the temporary results folder")
    args = parser.parse_args()
    outdir = Path(args.outdir or tempfile.mkdtemp(prefix="omics-e2e-")) / "results"
    try:
        for repeat in range(args.repeats):
            fresh = timed([*OMICS, "run", "--demo", "--no-resume", "--outdir", str(outdir)])
            table = trace(outdir)
            resumed = timed([*OMICS, "run", "--demo", "--outdir", str(outdir)])
            print(f"run {repeat + 1}: fresh {fresh[0]:.2f} s wall ({fresh[1]:.2f} s CPU), "
                  f"resumed {resumed[0]:.2f} s wall ({resumed[1]:.2f} s CPU)")
        with pd.option_context("display.width", 200, "display.max_rows", 200):
            print(table.to_string(index=False))
            if "cpu_seconds" in table:  # older trees' traces have no CPU column
                stages = table.groupby("stage", sort=False)["cpu_seconds"].sum()
                stages["(runner)"] = fresh[1] - stages.sum()
                print("\nCPU seconds per stage (last fresh run):")
                print(stages.sort_values(ascending=False).round(2).to_string())
    finally:
        if args.outdir is None and not args.keep:
            shutil.rmtree(outdir.parent, ignore_errors=True)
        elif args.keep:
            print(f"results kept in {outdir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
