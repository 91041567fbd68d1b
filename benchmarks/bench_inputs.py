"""Time reading and checking a cohort's inputs: what ``omics run`` does before its first task.

Usage::

    .venv/bin/python benchmarks/bench_inputs.py --cohort C [--repeats 4] [--pythonpath OLD/src]

``C`` is a folder written by ``omics simulate`` (e.g. ``omics simulate --n_patients 1000
--seed 7 --outdir C``). Each part is timed ``--repeats`` times, each time in a new process
after an untimed warm-up call (imports and FlowKit's start are not counted), and the
fastest and the median are printed:

- ``rna counts``: :func:`omics.io.read_rna_counts` on ``salmon.merged.gene_counts.tsv``
  (the input check reads it, and ``rna_prep`` again);
- ``protein groups``: ``proteinGroups.txt`` read as the input check reads it
  (:func:`omics.io.read_protein_matrix` with the run's format settings);
- ``flow check``: the FCS headers and the gating strategy's channels
  (:func:`omics.stages._flow.flow_task_inputs`; ``flow_prep`` checks them again);
- ``molecular check``: the sample sheet, contrasts and matrices as the runner checks them.

``--pythonpath OLD/src`` (checked first; that checkout's own ``metadata/`` is used, see
``benchmarks/_benchlib.py``) also times another checkout's code, its processes alternating
with this tree's (the speed of a shared machine drifts), and says whether both read the
same count matrix (values, memory layout, annotations).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _benchlib import check_tree, command_failed, tree_environment  # noqa: E402

SRC = Path(__file__).resolve().parents[1] / "src"
PARTS = ("rna counts", "protein groups", "flow check", "molecular check")


def _params(cohort: Path) -> dict:
    """The resolved parameters of ``omics run`` on the cohort's files."""
    import yaml

    from omics.params import resolve

    settings = yaml.safe_load((cohort / "simulation.yaml").read_text())
    return resolve({"input": str(cohort / "samplesheet.csv"), "contrasts": str(cohort / "contrasts.yaml"),
                    "rna_counts": str(cohort / "salmon.merged.gene_counts.tsv"),
                    "protein_matrix": str(cohort / "proteinGroups.txt"), "flow_fcs": str(cohort / "fcs"),
                    "flow_beads_per_test": settings["flow"]["beads_per_test"]})


def measure(cohort: Path, repeats: int, dump: Path | None) -> dict[str, list[float]]:
    """Seconds of each part, ``repeats`` times after a warm-up (run in this process)."""
    from omics import runner
    from omics.io import read_rna_counts
    from omics.stages._validate import read_protein

    params = _params(cohort)
    calls = {
        "rna counts": lambda: read_rna_counts(params["rna_counts"]),
        "protein groups": lambda: read_protein(params["protein_matrix"], params),
        "flow check": lambda: runner._check_flow(params),
        "molecular check": lambda: runner._check_molecular(params=params),
    }
    seconds: dict[str, list[float]] = {}
    for part, call in calls.items():
        result = call()
        if part == "rna counts" and dump is not None:
            dump.write_bytes(pickle.dumps((result.X, result.layers["counts"], result.X.flags.f_contiguous,
                                           result.layers["counts"].flags.c_contiguous, result.obs,
                                           result.var, dict(result.uns))))
        del result
        seconds[part] = []
        for _ in range(repeats):
            start = time.perf_counter()
            call()
            seconds[part].append(time.perf_counter() - start)
    return seconds


def _same_counts(ours: Path, theirs: Path) -> bool:
    import numpy as np

    a, b = pickle.loads(ours.read_bytes()), pickle.loads(theirs.read_bytes())
    return (np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]) and a[2:4] == b[2:4]
            and a[4].equals(b[4]) and a[5].equals(b[5]) and a[6] == b[6])


def _run(cohort: Path, pythonpath: str, dump: Path) -> dict[str, list[float]]:
    """One timing of each part in a new process with ``pythonpath``'s code (and its metadata/)."""
    env = {**os.environ, **tree_environment(pythonpath)}
    command = [sys.executable, __file__, "--cohort", str(cohort), "--repeats", "1", "--json",
               "--dump", str(dump)]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise command_failed([f"PYTHONPATH={env['PYTHONPATH']}", *command], done.returncode,
                             done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def fastest_and_median(seconds: list[float]) -> str:
    """``"fastest / median"`` of ``seconds`` (the median of an even count: the middle two's mean)."""
    return f"{min(seconds):.2f} / {statistics.median(seconds):.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cohort", type=Path, required=True, help="a folder written by omics simulate")
    parser.add_argument("--repeats", type=int, default=4, help="processes per tree (default 4)")
    parser.add_argument("--pythonpath", help="another checkout's src folder (with its own "
                        "metadata/), timed alternately")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--dump", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.json:
        if args.repeats < 1:
            parser.error("--repeats must be >= 1")
        if not (args.cohort / "simulation.yaml").is_file():
            parser.error(f"--cohort {args.cohort}: no simulation.yaml there (give a folder "
                         "written by omics simulate)")
        check_tree(parser, args.pythonpath)
    if args.json:  # one tree's figures, for the parent process (the log goes to stderr)
        print(json.dumps(measure(args.cohort, args.repeats, args.dump)))
        return
    trees = {"this tree": str(SRC)}
    if args.pythonpath:
        trees["baseline"] = args.pythonpath
    with tempfile.TemporaryDirectory() as tmp:
        dumps = {name: Path(tmp) / f"{i}.pickle" for i, name in enumerate(trees)}
        figures: dict[str, dict[str, list[float]]] = {name: {part: [] for part in PARTS} for name in trees}
        for _ in range(args.repeats):
            for name, path in trees.items():
                for part, seconds in _run(args.cohort, path, dumps[name]).items():
                    figures[name][part] += seconds
        print(f"cohort {args.cohort}, {args.repeats} processes per tree (seconds: fastest / median)")
        for part in PARTS:
            row = "  ".join(f"{name} {fastest_and_median(f[part])}" for name, f in figures.items())
            print(f"{part:16s} {row}")
        if args.pythonpath:
            same = _same_counts(dumps["this tree"], dumps["baseline"])
            print(f"count matrix read the same by both trees: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
