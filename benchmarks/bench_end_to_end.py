"""Time ``omics run --demo`` end to end: a fresh run, then a resumed run; optionally against another tree.

Usage::

    .venv/bin/python benchmarks/bench_end_to_end.py [--outdir DIR] [--repeats 1] [--keep]
        [--pythonpath OLD/src [--warmup 1]] [--patients N]

Runs ``omics run --demo --no-resume`` (fresh) and then ``omics run --demo`` (resumed,
every task cached) as whole processes, and prints their wall and CPU times, the per-task
trace of the last fresh run from ``pipeline_info/execution_trace.tsv`` (slowest first)
and its CPU seconds per stage: the tasks' own (their threads and the processes they split
work over), and what is left of the run's CPU time for the runner itself (start-up, the
demo cohort's simulation, input checks).

``--pythonpath OLD/src`` runs another checkout's ``omics`` (e.g. ``git worktree add
/tmp/old <commit>``) with this interpreter, alternating with this tree's (fresh runs,
pair by pair, so both see the same machine load), after ``--warmup`` untimed runs of
each tree (the first run in a new checkout compiles its numba kernels). Both trees write
into the same results path (moved aside after each run), so every output can be compared
byte for byte: the last fresh run of each is compared file by file, and any result file
that differs, or that only one tree wrote, is listed and makes the exit code 1 (the
report's time of the run, to the minute, masked). Only the run records are left out of
that verdict: ``.omics.lock`` and ``pipeline_info/`` (times, command lines, cache keys),
whose differences are listed for information. On a shared machine the wall time depends
on the load: compare runs made side by side.

``--patients N`` runs a cohort of N simulated patients instead of the demo's 40 (``omics
simulate --n_patients N`` into the working folder, once, untimed; the demo's genes,
proteins and FCS files per patient): ``omics run`` on its sample sheet, contrasts, counts,
protein groups and FCS files, as a user would run a cohort at scale.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

OMICS = [sys.executable, "-m", "omics.cli"]
RUN_RECORDS = (".omics.lock", "pipeline_info/")
# The one run-specific text in a result file: the report header's time of the run (to the
# minute), masked before the comparison.
STAMPED = {"report/index.html": re.compile(rb"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC")}


def timed(command: list[str], pythonpath: str | None = None) -> tuple[float, float]:
    """Run ``command``; return its wall time and CPU time (user + system) in seconds.

    ``pythonpath``: run another tree's ``omics`` (``PYTHONPATH``) with this interpreter.
    """
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def trace(outdir: Path) -> pd.DataFrame:
    """The execution trace of the last run in ``outdir``, slowest task first."""
    table = pd.read_csv(outdir / "pipeline_info" / "execution_trace.tsv", sep="\t")
    return table.sort_values("wall_seconds", ascending=False, kind="stable")


def compare_outputs(ours: Path, baseline: Path) -> dict[str, list[str]]:
    """Compare two results folders file by file (byte for byte).

    Returns the relative paths (POSIX, sorted) under ``identical``, ``different``,
    ``only_ours`` and ``only_baseline``. The report's time of the run (:data:`STAMPED`) is
    masked first.
    """
    def files(root: Path) -> set[str]:
        return {path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()}

    mine, theirs = files(ours), files(baseline)
    found: dict[str, list[str]] = {"identical": [], "different": [],
                                   "only_ours": sorted(mine - theirs),
                                   "only_baseline": sorted(theirs - mine)}
    for relative in sorted(mine & theirs):
        if relative in STAMPED:
            a, b = ((root / relative).read_bytes() for root in (ours, baseline))
            same = STAMPED[relative].sub(b"", a, count=1) == STAMPED[relative].sub(b"", b, count=1)
        else:
            same = filecmp.cmp(ours / relative, baseline / relative, shallow=False)
        found["identical" if same else "different"].append(relative)
    return found


def is_run_record(relative: str) -> bool:
    """Whether a results-folder path records the run (times, command, cache) rather than a result."""
    return any(relative == record or relative.startswith(record) for record in RUN_RECORDS)


def report_comparison(found: dict[str, list[str]]) -> bool:
    """Print the comparison of :func:`compare_outputs`; return whether every result file is identical."""
    regressions = {kind: [p for p in found[kind] if not is_run_record(p)]
                   for kind in ("different", "only_ours", "only_baseline")}
    records = [p for kind in ("different", "only_ours", "only_baseline") for p in found[kind]
               if is_run_record(p)]
    identical = [p for p in found["identical"] if not is_run_record(p)]
    print(f"\noutputs: {len(identical)} result files identical to the baseline's "
          f"({len(found['identical']) - len(identical)} run records identical, "
          f"{len(records)} differ: {', '.join(records) or 'none'})")
    for kind, paths in regressions.items():
        for path in paths:
            print(f"  {kind.replace('_', ' ')}: {path}")
    return not any(regressions.values())


def run_inputs(cohort: Path | None) -> list[str]:
    """The ``omics run`` options naming the inputs: ``--demo``, or a simulated cohort's files.

    ``cohort``: a folder written by ``omics simulate`` (its FCS files are counted with the
    beads per test that ``simulation.yaml`` records).
    """
    if cohort is None:
        return ["--demo"]
    settings = yaml.safe_load((cohort / "simulation.yaml").read_text())
    return ["--input", str(cohort / "samplesheet.csv"), "--contrasts", str(cohort / "contrasts.yaml"),
            "--rna_counts", str(cohort / "salmon.merged.gene_counts.tsv"),
            "--protein_matrix", str(cohort / "proteinGroups.txt"), "--flow_fcs", str(cohort / "fcs"),
            "--flow_beads_per_test", str(settings["flow"]["beads_per_test"])]


def _fresh(results: Path, keep_as: Path, inputs: list[str], pythonpath: str | None
           ) -> tuple[float, float]:
    """A fresh run into ``results``, then moved to ``keep_as`` (replacing an earlier one)."""
    times = timed([*OMICS, "run", *inputs, "--no-resume", "--outdir", str(results)], pythonpath)
    shutil.rmtree(keep_as, ignore_errors=True)
    results.rename(keep_as)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outdir", default=None, help="working folder (default: a temporary one)")
    parser.add_argument("--repeats", type=int, default=1, help="fresh/resumed pairs to time")
    parser.add_argument("--keep", action="store_true", help="keep the temporary results folder")
    parser.add_argument("--pythonpath", default=None,
                        help="another checkout's src folder, timed alternately and compared")
    parser.add_argument("--warmup", type=int, default=1,
                        help="untimed runs of each tree first (with --pythonpath)")
    parser.add_argument("--patients", type=int, default=None,
                        help="run a simulated cohort of this many patients instead of the demo")
    args = parser.parse_args()
    work = Path(args.outdir or tempfile.mkdtemp(prefix="omics-e2e-"))
    results, ours, baseline = work / "results", work / "ours", work / "baseline"
    identical = True
    try:
        cohort = None
        if args.patients:
            cohort = work / f"cohort_{args.patients}"
            if not (cohort / "simulation.yaml").is_file():
                subprocess.run([*OMICS, "simulate", "--outdir", str(cohort), "--n_patients",
                                str(args.patients), "--n_cpus", "2"], check=True,
                               stdout=subprocess.DEVNULL)
        inputs = run_inputs(cohort)
        if args.pythonpath:
            for _ in range(args.warmup):
                _fresh(results, ours, inputs, None)
                _fresh(results, baseline, inputs, args.pythonpath)
        ours_fresh, base_fresh = [], []
        for repeat in range(args.repeats):
            fresh = timed([*OMICS, "run", *inputs, "--no-resume", "--outdir", str(results)])
            table = trace(results)
            resumed = timed([*OMICS, "run", *inputs, "--outdir", str(results)])
            ours_fresh.append(fresh[0])
            line = (f"run {repeat + 1}: fresh {fresh[0]:.2f} s wall ({fresh[1]:.2f} s CPU), "
                    f"resumed {resumed[0]:.2f} s wall ({resumed[1]:.2f} s CPU)")
            if args.pythonpath:
                shutil.rmtree(ours, ignore_errors=True)
                results.rename(ours)
                other = _fresh(results, baseline, inputs, args.pythonpath)
                base_fresh.append(other[0])
                line += f"; baseline fresh {other[0]:.2f} s wall ({other[1]:.2f} s CPU)"
            print(line, flush=True)
        if args.pythonpath:
            print(f"fresh runs: this tree {min(ours_fresh):.2f}-{max(ours_fresh):.2f} s, "
                  f"baseline {min(base_fresh):.2f}-{max(base_fresh):.2f} s")
        with pd.option_context("display.width", 200, "display.max_rows", 200):
            print(table.to_string(index=False))
            if "cpu_seconds" in table:  # older trees' traces have no CPU column
                stages = table.groupby("stage", sort=False)["cpu_seconds"].sum()
                stages["(runner)"] = fresh[1] - stages.sum()
                print("\nCPU seconds per stage (last fresh run):")
                print(stages.sort_values(ascending=False).round(2).to_string())
        if args.pythonpath:
            identical = report_comparison(compare_outputs(ours, baseline))
    finally:
        if args.outdir is None and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        elif args.keep:
            print(f"results kept in {work}", file=sys.stderr)
    return 0 if identical else 1


if __name__ == "__main__":
    raise SystemExit(main())
