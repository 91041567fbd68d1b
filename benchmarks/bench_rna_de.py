"""Wall time and peak memory of the RNA differential-expression step, optionally against R.

Runs ``deseq2_fit`` + ``deseq2_results`` (and ``deseq2_vst``, timed separately) on
simulated negative binomial counts (seeded): a lognormal spread of gene means,
dispersions scattered around the trend ``0.04 + 2 / mean``, lognormal library sizes,
and the BALI design ``~ arm + response`` (arm alternating, response drawn with
probability 0.4, so the four cells are unbalanced; 10% of genes change with response,
arm shifts every gene a little). The tested contrast is ``responseresponder``.

Each case runs in its own process, so its peak resident memory is that process's
``ru_maxrss`` (``peak_rss_mb``, including the simulation); ``de_peak_rss_mb`` is the
peak during fit + results + VST alone (Linux: the peak is reset after simulating; the
input counts are included). With ``--r`` the same counts are written to a temporary folder and R
DESeq2 (``DESeq()`` + ``results(name = "response_responder_vs_non_responder")``) runs
right after ours in its own ``Rscript`` process (``Rscript`` and DESeq2 are checked
before anything runs), timed the same way (whole process,
and the ``DESeq()`` + ``results()`` part alone); the two result tables are compared
(Pearson r of log2 fold changes and Wald statistics, Jaccard index of the genes with
padj < 0.1, NA pattern of padj). ``--no-ours`` times R only. ``--repeats N`` alternates
the two N times per size (ours, R, ours, R, ...) and reports medians, the ratio being
the median of each pair's: on a shared machine whose speed drifts by tens of per cent
within the hour, one pair's ratio can be off by as much. ``ours_process_s`` /
``ours_peak_mb`` against ``r_process_s`` / ``r_peak_mb`` (``ratio_process``) are whole
processes doing different work: ours simulates the counts and also runs VST, R reads
them from a TSV; ``ratio_de`` (fit + results against ``DESeq()`` + ``results()``) is the
like-for-like ratio.

Before the timed cases an untimed 12 x 200 fit runs in its own process
(``--no-warmup`` skips it), so that numba's kernel compilation (a fresh clone, or an
edited kernel, has an empty cache) is not timed in the first case.

Usage::

    nice .venv/bin/python benchmarks/bench_rna_de.py --samples 40 1000 --genes 20000 --r
    nice .venv/bin/python benchmarks/bench_rna_de.py --samples 1000 --r --repeats 3
    nice .venv/bin/python benchmarks/bench_rna_de.py --samples 5000 --genes 20000

One BLAS thread per process, and the allocator set up as the ``omics`` command sets it
(:func:`omics._memory.configure_process`: freed memory kept for reuse, no huge-page
advice; ``--default-allocator`` leaves glibc's and numpy's defaults, for a before/after
pair); our numba kernels use ``--n-cpus``
threads (default 1, as R DESeq2 without BiocParallel). ``--r-workers N`` (N > 1) runs R
DESeq2 with ``parallel = TRUE`` and BiocParallel ``MulticoreParam(N)`` (forked workers),
for a comparison with both sides on the same number of cores.
"""

from __future__ import annotations

import os
import sys

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
if "--case" in sys.argv and "--default-allocator" not in sys.argv:
    from omics._memory import configure_process  # before numpy, as the omics command

    configure_process()

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _benchlib import command_failed  # noqa: E402

CONTRAST = "responseresponder"

R_SCRIPT = r"""
suppressPackageStartupMessages(library(DESeq2))
args <- commandArgs(trailingOnly = TRUE)
counts <- as.matrix(read.delim(args[1], row.names = 1, check.names = FALSE))
sheet <- read.delim(args[2], row.names = 1)
sheet$arm <- factor(sheet$arm, levels = c("placebo", "bmmnc"))
sheet$response <- factor(sheet$response, levels = c("non_responder", "responder"))
start <- proc.time()[["elapsed"]]
dds <- DESeqDataSetFromMatrix(counts, sheet, design = ~ arm + response)
workers <- as.integer(args[5])
if (workers > 1) {
  suppressPackageStartupMessages(library(BiocParallel))
  bpparam <- MulticoreParam(workers)
  dds <- DESeq(dds, quiet = TRUE, parallel = TRUE, BPPARAM = bpparam)
  res <- results(dds, name = "response_responder_vs_non_responder", parallel = TRUE,
                 BPPARAM = bpparam)
} else {
  dds <- DESeq(dds, quiet = TRUE)
  res <- results(dds, name = "response_responder_vs_non_responder")
}
elapsed <- proc.time()[["elapsed"]] - start
out <- data.frame(gene_id = rownames(res), log2FoldChange = res$log2FoldChange,
                  stat = res$stat, padj = res$padj)
write.table(out, args[3], sep = "\t", quote = FALSE, row.names = FALSE)
cat(sprintf("%.3f\n", elapsed), file = args[4])
"""


def simulate_counts(n_samples: int, n_genes: int, *, seed: int = 0,
                    de_fraction: float = 0.1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulated samples x genes NB counts and their sample sheet (``arm``, ``response``)."""
    rng = np.random.default_rng(seed)
    base_mean = np.exp(rng.normal(np.log(150.0), 1.8, n_genes))
    dispersion = (0.04 + 2.0 / base_mean) * np.exp(rng.normal(0.0, 0.5, n_genes))
    arm = np.arange(n_samples) % 2
    response = (rng.random(n_samples) < 0.4).astype(int)
    response[:2], response[2:4] = 0, 1  # every arm x response cell is present
    lfc = np.where(rng.random(n_genes) < de_fraction, rng.normal(0.0, 1.0, n_genes), 0.0)
    arm_effect = rng.normal(0.0, 0.2, n_genes)
    size_factors = np.exp(rng.normal(0.0, 0.3, n_samples))
    mu = (size_factors[:, None] * base_mean[None, :]
          * np.exp(response[:, None] * lfc[None, :] + arm[:, None] * arm_effect[None, :]))
    counts = rng.negative_binomial(1.0 / dispersion, 1.0 / (1.0 + mu * dispersion))
    samples = [f"S{i + 1:04d}" for i in range(n_samples)]
    genes = [f"G{j + 1:05d}" for j in range(n_genes)]
    sheet = pd.DataFrame({"arm": np.where(arm == 1, "bmmnc", "placebo"),
                          "response": np.where(response == 1, "responder", "non_responder")},
                         index=pd.Index(samples, name="sample"))
    counts = pd.DataFrame(counts, index=samples, columns=genes)
    return counts.loc[:, counts.sum(axis=0) > 0], sheet


def design_matrix(sheet: pd.DataFrame) -> pd.DataFrame:
    """R ``model.matrix(~ arm + response)`` of the simulated sheet."""
    return pd.DataFrame({"(Intercept)": 1.0,
                         "armbmmnc": (sheet["arm"] == "bmmnc").astype(float),
                         CONTRAST: (sheet["response"] == "responder").astype(float)},
                        index=sheet.index)


def run_case(n_samples: int, n_genes: int, n_cpus: int, out: str | None) -> dict:
    """Time our DESeq2 in this process and return its figures."""
    from omics.tl._deseq2 import deseq2_fit, deseq2_results, deseq2_vst

    counts, sheet = simulate_counts(n_samples, n_genes)
    design = design_matrix(sheet)
    reset = _reset_peak_rss()  # so the DE peak excludes the simulation's temporaries
    timings = {}
    start = time.perf_counter()
    dds = deseq2_fit(counts, design, n_cpus=n_cpus)
    timings["fit_s"] = time.perf_counter() - start
    start = time.perf_counter()
    results = deseq2_results(dds, pd.Series({CONTRAST: 1.0}))
    timings["results_s"] = time.perf_counter() - start
    timings["de_s"] = timings["fit_s"] + timings["results_s"]
    start = time.perf_counter()
    deseq2_vst(dds)
    timings["vst_s"] = time.perf_counter() - start
    if out:
        results.to_csv(out, sep="\t")
    return {
        "samples": n_samples,
        "genes": int(counts.shape[1]),
        "n_cpus": n_cpus,
        **{k: round(v, 2) for k, v in timings.items()},
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "de_peak_rss_mb": _peak_rss_mb() if reset else None,
        "refitted_genes": int(dds.var.get("refitted", pd.Series(dtype=bool)).sum()),
        "padj_below_0.1": int((results["padj"] < 0.1).sum()),
    }


def _reset_peak_rss() -> bool:
    # Linux: writing 5 to clear_refs resets the peak resident set size (VmHWM).
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def _measured(command: list[str], timeout: float) -> tuple[subprocess.CompletedProcess, float, float]:
    # Wall time and peak RSS (MB) of one child process, read in a fresh wrapper so that
    # earlier children do not count.
    wrapper = [sys.executable, "-c",
               "import resource, subprocess, sys, time; t = time.perf_counter(); "
               "r = subprocess.run(sys.argv[1:]); w = time.perf_counter() - t; "
               "m = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024; "
               "print(f'MEASURED {w:.3f} {m:.1f}', file=sys.stderr); sys.exit(r.returncode)",
               *command]
    done = subprocess.run(wrapper, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise command_failed(command, done.returncode, done.stderr)
    line = [x for x in done.stderr.splitlines() if x.startswith("MEASURED ")][-1].split()
    return done, float(line[1]), float(line[2])


def _compare(ours_path: Path, r_path: Path) -> dict:
    ours = pd.read_csv(ours_path, sep="\t", index_col=0)
    theirs = pd.read_csv(r_path, sep="\t", index_col=0).loc[ours.index]
    both = ours["stat"].notna() & theirs["stat"].notna()
    sig_ours = set(ours.index[ours["padj"] < 0.1])
    sig_r = set(theirs.index[theirs["padj"] < 0.1])
    union = sig_ours | sig_r
    return {
        "r_lfc": round(float(np.corrcoef(ours.loc[both, "log2FoldChange"],
                                         theirs.loc[both, "log2FoldChange"])[0, 1]), 6),
        "r_stat": round(float(np.corrcoef(ours.loc[both, "stat"], theirs.loc[both, "stat"])[0, 1]), 6),
        "padj_jaccard": round(len(sig_ours & sig_r) / len(union), 4) if union else 1.0,
        "padj_na_same": bool((ours["padj"].isna() == theirs["padj"].isna()).all()),
        "sig_ours": len(sig_ours),
        "sig_r": len(sig_r),
    }


def _r_command(n_samples: int, args: argparse.Namespace, tmp: Path, r_out: Path) -> list[str]:
    # Writes the simulated counts, sheet and R script once; the Rscript command to time.
    counts, sheet = simulate_counts(n_samples, args.genes)
    counts_path, sheet_path = tmp / "counts.tsv", tmp / "sheet.tsv"
    counts.T.to_csv(counts_path, sep="\t", index_label="gene_id")
    sheet.to_csv(sheet_path, sep="\t")
    script = tmp / "deseq2.R"
    script.write_text(R_SCRIPT)
    return ["Rscript", str(script), str(counts_path), str(sheet_path), str(r_out),
            str(tmp / "r_time.txt"), str(args.r_workers)]


def pair_summary(pairs: list[dict]) -> dict:
    """One row from repeated runs (ours then R, alternating): the median of each figure.

    The ratios are the median of each pair's ratio (ours over the R run right after it),
    so that a machine whose speed drifts between pairs moves both sides of a ratio; with
    more than one pair every pair's ratio is listed in ``ratio_de_pairs``.
    """
    row: dict = {}
    for key in pairs[0]:
        values = [pair[key] for pair in pairs]
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
        varies = len(set(values)) > 1
        row[key] = round(float(np.median(values)), 3) if numeric and varies else values[0]
    if len(pairs) > 1:
        row["repeats"] = len(pairs)
        if "ratio_de" in row:
            row["ratio_de_pairs"] = " ".join(f"{pair['ratio_de']:.3f}" for pair in pairs)
    return row


def check_r(r_workers: int) -> str | None:
    """Why ``--r`` cannot run (no ``Rscript``, or DESeq2 / BiocParallel missing), or ``None``."""
    if shutil.which("Rscript") is None:
        return "--r needs Rscript (with DESeq2, e.g. Debian's r-bioc-deseq2) on PATH"
    packages = ["DESeq2", *(["BiocParallel"] if r_workers > 1 else [])]
    code = "; ".join(f"suppressPackageStartupMessages(library({p}))" for p in packages)
    done = subprocess.run(["Rscript", "-e", code], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return f"--r: Rscript cannot load {' and '.join(packages)} ({last})"
    return None


def _case_command(n_samples: int, n_genes: int, args: argparse.Namespace, out: Path) -> list[str]:
    return [sys.executable, __file__, "--case", str(n_samples), "--genes", str(n_genes),
            "--n-cpus", str(args.n_cpus), "--out", str(out),
            *(["--default-allocator"] if args.default_allocator else [])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, nargs="+", default=[40, 1000],
                        help="sample counts, one case each (default: 40 1000)")
    parser.add_argument("--genes", type=int, default=20_000, help="genes simulated (default 20000)")
    parser.add_argument("--r", action="store_true", help="time R DESeq2 on the same counts")
    parser.add_argument("--no-ours", action="store_true", help="time R only")
    parser.add_argument("--n-cpus", type=int, default=1,
                        help="threads of our numba kernels (deseq2_fit n_cpus)")
    parser.add_argument("--r-workers", type=int, default=1,
                        help="BiocParallel workers of R DESeq2 (1: serial, R's default)")
    parser.add_argument("--default-allocator", action="store_true",
                        help="time our DESeq2 with glibc's and numpy's allocation defaults "
                        "instead of the omics command's (for a before/after pair)")
    parser.add_argument("--repeats", type=int, default=1,
                        help="runs of each side per size, ours and R alternating; figures "
                        "are medians, ratios the median of each pair's (default 1)")
    parser.add_argument("--no-warmup", dest="warmup", action="store_false",
                        help="skip the untimed 12 x 200 fit that first compiles (or loads) "
                        "numba's kernels")
    parser.add_argument("--timeout", type=float, default=7200.0,
                        help="seconds allowed to each process (default 7200)")
    parser.add_argument("--case", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.case is not None:
        print(json.dumps(run_case(args.case, args.genes, args.n_cpus, args.out)))
        return

    if args.no_ours and not args.r:
        parser.error("--no-ours needs --r (it times R alone)")
    if args.repeats < 1 or min(args.samples) < 4 or args.genes < 1:
        parser.error("--repeats must be >= 1, --samples >= 4 and --genes >= 1")
    if args.r and (problem := check_r(args.r_workers)):
        parser.error(problem)

    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_rna_de_") as tmp:
        if args.warmup and not args.no_ours:  # untimed: an empty numba cache compiles here
            _measured(_case_command(12, 200, args, Path(tmp, "warmup.tsv")), args.timeout)
        for n_samples in args.samples:
            ours_out, r_out = Path(tmp, f"ours_{n_samples}.tsv"), Path(tmp, f"r_{n_samples}.tsv")
            r_command = _r_command(n_samples, args, Path(tmp), r_out) if args.r else None
            pairs = []
            for _ in range(args.repeats):
                pair: dict = {"samples": n_samples}
                if not args.no_ours:
                    command = _case_command(n_samples, args.genes, args, ours_out)
                    done, wall, peak = _measured(command, args.timeout)
                    pair.update(json.loads(done.stdout.strip().splitlines()[-1]))
                    pair.update({"ours_process_s": round(wall, 2), "ours_peak_mb": peak})
                if r_command is not None:
                    _, wall, peak = _measured(r_command, args.timeout)
                    pair.update({"r_workers": args.r_workers,
                                 "r_de_s": float(Path(tmp, "r_time.txt").read_text()),
                                 "r_process_s": round(wall, 2), "r_peak_mb": peak})
                    if not args.no_ours:
                        pair["ratio_de"] = round(pair["de_s"] / pair["r_de_s"], 3)
                        pair["ratio_process"] = round(pair["ours_process_s"]
                                                      / pair["r_process_s"], 3)
                pairs.append(pair)
            row = pair_summary(pairs)
            if args.r and not args.no_ours:
                row.update(_compare(ours_out, r_out))
            rows.append(row)
            print(json.dumps(row), flush=True)
    print(pd.DataFrame(rows).T.to_string(header=False))


if __name__ == "__main__":
    main()
