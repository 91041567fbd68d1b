"""The DESeq2 dispersion kernel of two trees on the same inputs, in one process, alternating.

A change of a few per cent in a per-gene kernel is lost in the noise of whole fits on
a shared machine (the same fit varies by 10-20 % from one process to the next). This
benchmark captures the inputs of the dispersion search (gene-wise and MAP blocks) from a
fit of ``bench_rna_de``'s simulated counts, loads ``_kernels.py`` from this tree and from
``--pythonpath`` as two modules of one process, and times both on the same blocks in
alternating rounds (the first of each round alternates too). It prints each round's
times, the fastest and median of each tree, how many rounds this tree won, and whether
the two trees returned the same dispersions and convergence flags bit for bit.

Usage::

    python benchmarks/bench_deseq2_kernels.py --pythonpath /tmp/base_wt/src --rounds 16
"""

from __future__ import annotations

import os

os.environ.setdefault("NUMBA_NUM_THREADS", "1")
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import importlib  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from types import ModuleType  # noqa: E402

import numpy as np  # noqa: E402
from bench_rna_de import design_matrix, simulate_counts  # noqa: E402

KERNELS = Path("omics/tl/_deseq2/_kernels.py")


def load_kernels(src: Path, name: str, folder: Path) -> ModuleType:
    """``_kernels.py`` of the tree whose ``src`` folder is given, imported as module ``name``.

    The file is copied into ``folder`` under that name first, so numba caches each
    tree's compiled kernels beside its copy, away from either tree's own cache (a
    function cached under one module name cannot be loaded under another).
    """
    shutil.copyfile(src / KERNELS, folder / f"{name}.py")
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    return importlib.import_module(name)


def captured_blocks(n_samples: int, n_genes: int, blocks: int) -> list[tuple]:
    """Arguments of the first ``blocks`` gene-wise and MAP ``fit_dispersions`` calls of a fit."""
    from omics.tl._deseq2 import _kernels, deseq2_fit

    calls: list[tuple] = []
    original = _kernels.fit_dispersions

    def record(*args):  # noqa: ANN002, ANN202
        calls.append(tuple(np.array(a, copy=True) if isinstance(a, np.ndarray) else a
                           for a in args))
        return original(*args)

    counts, sheet = simulate_counts(n_samples, n_genes)
    _kernels.fit_dispersions = record
    try:
        deseq2_fit(counts, design_matrix(sheet))
    finally:
        _kernels.fit_dispersions = original
    genewise = [c for c in calls if c[8]]  # genewise_rules
    map_fits = [c for c in calls if not c[8]]
    return genewise[:blocks] + map_fits[:blocks]


def _time(trees: dict[str, ModuleType], args: argparse.Namespace) -> None:
    # Captures the blocks, warms both modules up, then times them in alternating rounds.
    blocks = captured_blocks(args.samples, args.genes, args.blocks)
    for module in trees.values():  # compile or load both before timing
        for block in blocks:
            module.fit_dispersions(*(a[:20] if isinstance(a, np.ndarray) and a.ndim
                                     and a.shape[0] == block[0].shape[0] else a
                                     for a in block))
    times: dict[str, list[float]] = {name: [] for name in trees}
    outputs: dict[str, list] = {}
    for round_ in range(args.rounds):
        order = list(trees) if round_ % 2 == 0 else list(reversed(trees))
        for name in order:
            start = time.perf_counter()
            outputs[name] = [trees[name].fit_dispersions(*block) for block in blocks]
            times[name].append(time.perf_counter() - start)
        print(f"round {round_ + 1}: " + ", ".join(f"{n} {times[n][-1]:.2f} s" for n in trees),
              flush=True)
    same = all(np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
               for a, b in zip(outputs["this tree"], outputs["other tree"], strict=True))
    wins = sum(a < b for a, b in zip(times["this tree"], times["other tree"], strict=True))
    for name, values in times.items():
        print(f"{name}: fastest {min(values):.2f} s, median {statistics.median(values):.2f} s")
    print(f"this tree faster in {wins} of {args.rounds} rounds; "
          f"dispersions and flags identical: {'yes' if same else 'no'}")



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pythonpath", required=True, help="the other tree's src/")
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--genes", type=int, default=20_000)
    parser.add_argument("--blocks", type=int, default=4,
                        help="gene-wise and MAP blocks (2,000 genes each) timed per round")
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()

    here = Path(__file__).resolve().parents[1] / "src"
    folder = Path(tempfile.mkdtemp(prefix="bench_deseq2_kernels_"))
    try:
        trees = {"this tree": load_kernels(here, "kernels_this", folder),
                 "other tree": load_kernels(Path(args.pythonpath).resolve(), "kernels_other",
                                            folder)}
        _time(trees, args)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
