"""Time limma_fit on a proteomics-sized problem: 5,000 proteins x 40 samples, ~20% missing.

Usage::

    .venv/bin/python benchmarks/bench_protein_de.py [--proteins 5000] [--samples 40]
        [--repeats 5] [--trend] [--robust]

Missing values are left-censored (noisy detection limit, intensity dependent) plus 5% at
random, as in label-free proteomics, so almost every protein has its own missing-value
pattern. The design is ``~ batch + group`` (3 batches), testing ``groupB``. Prints the
wall time of the first call and the best of ``--repeats`` calls, the peak traced Python
memory (tracemalloc, which includes numpy buffers) of one call, and the process peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc

import numpy as np
import pandas as pd

from omics.tl._limma import limma_fit


def simulate(n_proteins: int, n_samples: int, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n_sim = int(n_proteins * 1.1)  # proteins never observed are dropped, as pipelines do
    group = np.arange(n_samples) >= n_samples // 2
    batch = rng.integers(0, 3, n_samples)
    mu = rng.normal(24.0, 2.0, n_sim)
    sd = np.sqrt(0.09 * 6 / rng.chisquare(6, n_sim))
    effect = np.where(rng.random(n_sim) < 0.1, rng.normal(0, 1, n_sim), 0.0)
    y = mu[:, None] + np.outer(effect, group) + rng.normal(0, 0.2, (n_sim, 3))[:, batch]
    y += rng.normal(size=y.shape) * sd[:, None]
    limit = np.quantile(y, 0.15) + rng.normal(0, 0.7, y.shape)
    y[(y < limit) | (rng.random(y.shape) < 0.05)] = np.nan
    y = y[np.isfinite(y).any(axis=1)][:n_proteins]
    samples = [f"s{i:02d}" for i in range(n_samples)]
    expression = pd.DataFrame(y, index=[f"P{i:05d}" for i in range(n_proteins)], columns=samples)
    design = pd.DataFrame(
        {
            "(Intercept)": 1.0,
            "batchb2": (batch == 1).astype(float),
            "batchb3": (batch == 2).astype(float),
            "groupB": group.astype(float),
        },
        index=samples,
    )
    return expression, design


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--proteins", type=int, default=5000)
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--trend", action="store_true")
    parser.add_argument("--robust", action="store_true")
    args = parser.parse_args()

    expression, design = simulate(args.proteins, args.samples)
    contrast = pd.Series({"groupB": 1.0})
    observed = expression.notna().to_numpy()
    n_patterns = np.unique(np.packbits(observed, axis=1), axis=0).shape[0]
    opts = {"trend": args.trend, "robust": args.robust}

    t0 = time.perf_counter()
    out = limma_fit(expression, design, contrast, **opts)
    first = time.perf_counter() - t0
    times = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        limma_fit(expression, design, contrast, **opts)
        times.append(time.perf_counter() - t0)
    tracemalloc.start()
    limma_fit(expression, design, contrast, **opts)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB on Linux

    print(
        f"limma_fit {args.proteins} proteins x {args.samples} samples, "
        f"{1 - observed.mean():.1%} missing, {n_patterns} missing-value patterns, "
        f"trend={args.trend} robust={args.robust}"
    )
    print(f"wall time: first call {first:.3f} s, best of {args.repeats} {min(times):.3f} s")
    print(f"peak traced memory (one call): {peak / 2**20:.1f} MiB; process peak RSS {rss:.0f} MiB")
    print(f"adj.P.Val < 0.05: {(out['adj.P.Val'] < 0.05).sum()} proteins")


if __name__ == "__main__":
    main()
