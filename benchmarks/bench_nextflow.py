"""Time ``nextflow run <repo> -profile test`` against ``omics run`` on the same inputs.

Usage::

    .venv/bin/python benchmarks/bench_nextflow.py [--repeats 1] [--stub] [--workdir DIR]

Runs, alternately, ``nextflow run <repo> -profile test`` (the ``tools/nextflow`` launcher,
installed on first use, local executor) and ``omics run`` with the test profile's inputs
and parameters (``tests/data/test_cohort`` and the plain values of the ``params`` block of
``pipelines/conf/test.config``), each as a whole process, from the same interpreter's
environment. ``NXF_OPTS`` is ``-XX:TieredStopAtLevel=1`` unless set (as the tests and
``smoke_test.sh`` set it: on 2 cores the C2 compiler competes with the tasks).

Prints, per pair, both wall times and their ratio; from the Nextflow trace, the number of
tasks, their summed run time (``task-s``: what the tasks themselves cost, start-up
included) and the differential-analysis tasks (one per contrast and modality, so a
cluster runs contrasts in parallel). It also prints the CPU seconds (user + system) of
each whole process tree: for Nextflow split into its tasks' (the trace's ``realtime``
times ``%cpu``) and the rest (the Java process of Nextflow itself and each task's
``.command.run`` wrapper and ``versions.yml`` snippet); that CPU time divided by the
machine's cores is a floor under the wall time, and the ratio it allows at best.
``--stub`` also times ``-stub-run`` (every task a stub): Nextflow's own start-up and task
dispatch, the floor of any ``nextflow run``.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LAUNCHER = REPO / "tools" / "nextflow" / "nextflow"
COHORT = REPO / "tests" / "data" / "test_cohort"
INPUTS = {"input": "samplesheet.csv", "contrasts": "contrasts.yaml",
          "rna_counts": "salmon.merged.gene_counts.tsv", "protein_matrix": "proteinGroups.txt",
          "flow_fcs": "fcs"}


def profile_params() -> dict[str, str]:
    """The parameters ``-profile test`` sets to plain values (besides the inputs)."""
    text = (REPO / "pipelines" / "conf" / "test.config").read_text()
    block = re.search(r"^params\s*\{(.*?)^\}", text, re.S | re.M).group(1)
    return dict(re.findall(r"^\s*(\w+)\s*=\s*([\w.]+)\s*$", block, re.M))


def environment(tmp: Path) -> dict[str, str]:
    """This interpreter's ``omics`` first on ``PATH``; Nextflow's temporary files in ``tmp``."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.setdefault("NXF_OPTS", "-XX:TieredStopAtLevel=1")
    env["NXF_ANSI_LOG"] = "false"
    env["NXF_TEMP"] = str(tmp)
    return env


def seconds(text: str) -> float:
    """A Nextflow trace duration (``850ms``, ``1.2s``, ``1m 3s``, ``1h 2m``) in seconds."""
    units = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
    parts = re.findall(r"([\d.]+)\s*(ms|s|m|h|d)", text)
    return sum(float(value) * units[unit] for value, unit in parts)


def summarise_trace(path: Path) -> dict:
    """Tasks, their summed run time and the differential-analysis tasks of a Nextflow trace."""
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    de = sorted(row["name"].split(":")[-1] for row in rows if ":OMICS_DE " in row["name"])
    cpu = sum(seconds(row["realtime"]) * float(row["%cpu"].rstrip("%")) / 100.0
              for row in rows if row.get("%cpu", "-") not in ("-", ""))  # '-': not measured
    return {"tasks": len(rows), "task_seconds": sum(seconds(row["realtime"]) for row in rows),
            "task_cpu_seconds": cpu, "de_tasks": de}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Run ``command`` (it must succeed); return its wall time and its process tree's CPU time.

    The CPU time (user + system, seconds) counts every descendant process that was waited
    for: for ``nextflow run``, the Java process and every task it ran.
    """
    cpu, start = _children_cpu(), time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    wall, cpu = time.perf_counter() - start, _children_cpu() - cpu
    if done.returncode:
        raise SystemExit(f"{' '.join(command[:4])} ... failed ({done.returncode}):\n"
                         f"{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return wall, cpu


def cpu_floor(nextflow_cpu: float, task_cpu: float, omics_wall: float, cores: int) -> str:
    """One line: the Nextflow tree's CPU time, its split, and the wall time and ratio it allows.

    With ``cores`` cores no run takes less than its CPU time over ``cores``; that floor
    over ``omics run``'s wall time is the best ratio this much CPU time allows.
    """
    floor = nextflow_cpu / cores
    return (f"CPU: Nextflow {nextflow_cpu:.1f} CPU-s = tasks {task_cpu:.1f} + Nextflow itself "
            f"and the task wrappers {nextflow_cpu - task_cpu:.1f}; on {cores} cores at least "
            f"{floor:.1f} s of wall time, {floor / omics_wall:.2f}x omics run at best")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=1, help="Nextflow / omics run pairs")
    parser.add_argument("--stub", action="store_true", help="also time -stub-run")
    parser.add_argument("--workdir", default=None, help="working folder (default: a temporary one)")
    args = parser.parse_args()
    if not LAUNCHER.is_file():
        subprocess.run(["bash", str(REPO / "tools" / "nextflow" / "install.sh")], check=True,
                       stdout=subprocess.DEVNULL)
    work = Path(args.workdir or tempfile.mkdtemp(prefix="omics-nf-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    env = environment(work)
    local = [sys.executable, "-m", "omics.cli", "run",
             *(f"--{name}={COHORT / file}" for name, file in INPUTS.items()),
             *(f"--{name}={value}" for name, value in profile_params().items())]
    print(f"NXF_OPTS={env['NXF_OPTS']!r}; {os.cpu_count()} cores")
    try:
        for repeat in range(1, args.repeats + 1):
            for leftover in ("nf", "work", "local", ".nextflow"):
                shutil.rmtree(work / leftover, ignore_errors=True)
            trace = work / f"trace_{repeat}.txt"
            nextflow, nextflow_cpu = timed([str(LAUNCHER), "run", str(REPO), "-profile", "test",
                                            "--outdir", str(work / "nf"), "-work-dir",
                                            str(work / "work"), "-with-trace", str(trace)],
                                           work, env)
            omics, omics_cpu = timed([*local, "--outdir", str(work / "local")], work, env)
            summary = summarise_trace(trace)
            print(f"pair {repeat}: nextflow -profile test {nextflow:.1f} s, omics run {omics:.1f} s: "
                  f"{nextflow / omics:.2f}x; Nextflow ran {summary['tasks']} tasks, "
                  f"{summary['task_seconds']:.1f} task-s; omics run {omics_cpu:.1f} CPU-s", flush=True)
            print("  " + cpu_floor(nextflow_cpu, summary["task_cpu_seconds"], omics,
                                   os.cpu_count() or 1), flush=True)
        print(f"differential analysis: {len(summary['de_tasks'])} Nextflow tasks, one per contrast "
              f"and modality: {', '.join(summary['de_tasks'])}")
        if args.stub:
            for leftover in ("stub", "work", ".nextflow"):
                shutil.rmtree(work / leftover, ignore_errors=True)
            stub, stub_cpu = timed([str(LAUNCHER), "run", str(REPO), "-profile", "test",
                                    "-stub-run", "--outdir", str(work / "stub"), "-work-dir",
                                    str(work / "work")], work, env)
            print(f"nextflow -profile test -stub-run: {stub:.1f} s, {stub_cpu:.1f} CPU-s (start-up "
                  f"and dispatch of {summary['tasks']} stub tasks)")
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
