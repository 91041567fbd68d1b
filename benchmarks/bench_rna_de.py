"""Wall time and peak memory of the RNA differential-expression step.

Runs ``deseq2_fit`` + ``deseq2_results`` + ``deseq2_vst`` on simulated negative
binomial counts (seeded): a lognormal spread of gene means, dispersions scattered
around the trend ``0.04 + 2 / mean``, lognormal library sizes, a two-level batch and
a two-group treatment with 10% of genes changed (design ``~ batch + group``). Each
case runs in its own process so its peak resident memory can be read from
``resource.getrusage``; joblib workers (only pydeseq2's apeGLM shrinkage uses
``n_cpus``, and the benchmark does not shrink) would be reported separately.

Usage::

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_rna_de.py \\
        --samples 40 200 --genes 20000 --n-cpus 2 [--timeout 3600]
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def simulate_counts(n_samples: int, n_genes: int, *, seed: int = 0,
                    de_fraction: float = 0.1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulated samples x genes NB counts and their ``~ batch + group`` design."""
    rng = np.random.default_rng(seed)
    base_mean = np.exp(rng.normal(np.log(150.0), 1.8, n_genes))
    dispersion = (0.04 + 2.0 / base_mean) * np.exp(rng.normal(0.0, 0.5, n_genes))
    group = np.arange(n_samples) % 2
    batch = (np.arange(n_samples) // 2) % 2
    lfc = np.where(rng.random(n_genes) < de_fraction, rng.normal(0.0, 1.0, n_genes), 0.0)
    batch_effect = rng.normal(0.0, 0.2, n_genes)
    size_factors = np.exp(rng.normal(0.0, 0.3, n_samples))
    mu = (size_factors[:, None] * base_mean[None, :]
          * np.exp(group[:, None] * lfc[None, :] + batch[:, None] * batch_effect[None, :]))
    counts = rng.negative_binomial(1.0 / dispersion, 1.0 / (1.0 + mu * dispersion))
    samples = [f"S{i + 1:03d}" for i in range(n_samples)]
    genes = [f"G{j + 1:05d}" for j in range(n_genes)]
    design = pd.DataFrame(
        {"(Intercept)": 1.0, "batchb2": batch.astype(float), "grouptreated": group.astype(float)},
        index=samples,
    )
    return pd.DataFrame(counts, index=samples, columns=genes), design


def run_case(n_samples: int, n_genes: int, n_cpus: int) -> dict:
    """Time one case in this process and return its figures."""
    from omics.tl._deseq2 import deseq2_fit, deseq2_results, deseq2_vst

    # Importing the stack already runs a helper subprocess; only a higher children's
    # peak afterwards is DE work (joblib workers).
    import_children_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    counts, design = simulate_counts(n_samples, n_genes)
    counts = counts.loc[:, counts.sum(axis=0) > 0]
    timings = {}
    start = time.perf_counter()
    dds = deseq2_fit(counts, design, n_cpus=n_cpus)
    timings["fit_s"] = time.perf_counter() - start
    start = time.perf_counter()
    results = deseq2_results(dds, pd.Series({"grouptreated": 1.0}))
    timings["results_s"] = time.perf_counter() - start
    start = time.perf_counter()
    deseq2_vst(dds)
    timings["vst_s"] = time.perf_counter() - start
    timings["total_s"] = sum(timings.values())
    main_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Join any joblib/loky workers (pydeseq2's apeGLM shrinkage uses them) so that
    # their peak is accounted for; do not start an executor just to stop it.
    from joblib.externals.loky import reusable_executor

    if getattr(reusable_executor, "_executor", None) is not None:
        reusable_executor._executor.shutdown(wait=True)
    worker_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    worker_peak = worker_peak if worker_peak > import_children_peak else 0
    return {
        "samples": n_samples,
        "genes": int(counts.shape[1]),
        "n_cpus": n_cpus,
        **{k: round(v, 2) for k, v in timings.items()},
        "peak_rss_main_mb": round(main_peak / 1024, 1),
        "peak_rss_worker_mb": round(worker_peak / 1024, 1),
        "refitted_genes": int(dds.var.get("refitted", pd.Series(dtype=bool)).sum()),
        "padj_below_0.05": int((results["padj"] < 0.05).sum()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, nargs="+", default=[40, 200])
    parser.add_argument("--genes", type=int, default=20_000)
    parser.add_argument("--n-cpus", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=3600.0)
    parser.add_argument("--case", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.case is not None:
        print(json.dumps(run_case(args.case, args.genes, args.n_cpus)))
        return

    rows = []
    for n_samples in args.samples:
        command = [sys.executable, __file__, "--case", str(n_samples), "--genes",
                   str(args.genes), "--n-cpus", str(args.n_cpus)]
        start = time.perf_counter()
        try:
            done = subprocess.run(command, capture_output=True, text=True, check=True,
                                  timeout=args.timeout)
        except subprocess.TimeoutExpired:
            print(f"{n_samples} samples: no result within {args.timeout:.0f} s", flush=True)
            continue
        row = json.loads(done.stdout.strip().splitlines()[-1])
        row["process_wall_s"] = round(time.perf_counter() - start, 1)
        rows.append(row)
        print(json.dumps(row), flush=True)
    if rows:
        print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
