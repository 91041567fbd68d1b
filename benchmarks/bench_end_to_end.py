"""Time ``omics run --demo`` end to end: a fresh run, then a resumed run; optionally against another tree.

Usage::

    .venv/bin/python benchmarks/bench_end_to_end.py [--outdir DIR] [--repeats 1] [--keep]
        [--pythonpath OLD/src [--warmup 1]] [--patients N [--rna-only]] [--r] [--memory]
        [--args "OMICS RUN OPTIONS"]

Runs ``omics run --demo --no-resume`` (fresh) and then ``omics run --demo`` (resumed,
every task cached) as whole processes, and prints their wall and CPU times, the per-task
trace of the last fresh run from ``pipeline_info/execution_trace.tsv`` (slowest first)
and its CPU seconds per stage: the tasks' own (their threads and the processes they split
work over), and what is left of the run's CPU time for the runner itself (start-up, the
demo cohort's simulation, input checks).

``--warmup N`` (default 1) untimed fresh runs of this tree come first, so that the first
timed run does not compile numba's kernels (a new checkout, or an edited kernel, has
none cached); ``--warmup 0`` skips them.

``--pythonpath OLD/src`` runs another checkout's ``omics`` (e.g. ``git worktree add
/tmp/old <commit>``: give its ``src`` folder) with this interpreter, alternating with this
tree's (fresh runs, pair by pair, so both see the same machine load), after ``--warmup``
untimed runs of each tree. The path is checked first (a path without ``omics/`` stops
the benchmark, exit code 2), and the baseline reads its own ``metadata/`` (demo cohort,
gene sets, gating templates), not this tree's (see ``benchmarks/_benchlib.py``). Both trees write
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
protein groups and FCS files, as a user would run a cohort at scale. ``--rna-only`` gives
that run the RNA counts alone (no protein groups, no FCS files).

``--memory`` samples every 0.5 s, during each fresh run of this tree, the resident memory
of the ``omics run`` process (the runner, not its task workers, whose peaks are in the
trace) and the memory in use on the machine (``MemTotal - MemAvailable`` of
``/proc/meminfo``); it prints the runner's median and peak and the machine's peak, and its
use before the run (Linux). ``--args "..."`` appends options to every ``omics run`` (e.g.
``--args "--flow_gating_plots false"``).

``--r`` then times R DESeq2 on the same data in the same benchmark run, and compares its
tables with ours: one ``Rscript`` process (R's default: serial) reads the counts ``omics
run`` kept (``rna/rna.h5ad``, layer ``counts``) and, for every RNA contrast the run tested,
fits ``DESeq(full = <design matrix>)`` with the design matrix and contrast weights that
``omics de`` fitted (so both answer the same question), then ``results(contrast =
<weights>, alpha = <the run's deseq2_alpha>)`` (the unshrunk log2 fold changes are
compared, also with ``deseq2_shrink``). Printed: R's wall time (whole process, and its
``DESeq()`` + ``results()`` part) against the last fresh ``omics run`` (and the sum of its
DESeq2 tasks); per contrast, the Pearson r of log2 fold changes and Wald statistics over
genes both tested, the genes with padj below the run's ``de_fdr`` in each (and whether
the sets are the same), whether padj is missing for the same genes, and the largest
|difference| in log2 fold change. R (with DESeq2, e.g. Debian's ``r-bioc-deseq2``) is
needed only for this option.

A command that fails (``omics run``, ``omics simulate``, ``Rscript``) stops the benchmark
with exit code 2, its command line and the last lines of its stderr.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _benchlib import check_tree, command_failed, tree_environment  # noqa: E402

if TYPE_CHECKING:
    from omics.io import Contrast

OMICS = [sys.executable, "-m", "omics.cli"]
RUN_RECORDS = (".omics.lock", "pipeline_info/")
# The one run-specific text in a result file: the report header's time of the run (to the
# minute), masked before the comparison.
STAMPED = {"report/index.html": re.compile(rb"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC")}


def timed(command: list[str], pythonpath: str | None = None, *,
          memory: MemorySampler | None = None) -> tuple[float, float]:
    """Run ``command``; return its wall time and CPU time (user + system) in seconds.

    ``pythonpath``: run another tree's ``omics`` (``PYTHONPATH``, with its own
    ``metadata/``: :func:`_benchlib.tree_environment`) with this interpreter.
    ``memory``: sample the process's memory while it runs (:class:`MemorySampler`).
    A command that fails stops the benchmark (exit code 2) with its exit code and the
    end of its stderr.
    """
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    if pythonpath:
        env.update(tree_environment(pythonpath))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with tempfile.TemporaryFile(mode="w+") as stderr:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr, env=env)
        if memory is not None:
            memory.watch(process)
        if process.wait() != 0:
            stderr.seek(0)
            raise command_failed(command, process.returncode, stderr.read())
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _meminfo_in_use_mb() -> float:
    """Memory in use on the machine: ``MemTotal - MemAvailable`` of ``/proc/meminfo``, in MB."""
    fields = {}
    for line in Path("/proc/meminfo").read_text().splitlines():
        name, value = line.split(":", 1)
        fields[name] = float(value.split()[0])
    return (fields["MemTotal"] - fields["MemAvailable"]) / 1024


def _rss_mb(pid: int) -> float | None:
    """Resident memory of process ``pid`` (``VmRSS``) in MB; ``None`` once it has ended."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return float(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class MemorySampler:
    """Resident memory of a running process and memory in use on the machine, sampled.

    Parameters
    ----------
    interval
        Seconds between samples.
    """

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self.runner_mb: list[float] = []
        self.in_use_mb: list[float] = []
        self.before_mb = 0.0

    def watch(self, process: subprocess.Popen) -> None:
        """Sample ``process`` in a thread until it ends (the samples of an earlier run are dropped)."""
        self.runner_mb, self.in_use_mb = [], []
        self.before_mb = _meminfo_in_use_mb()

        def sample() -> None:
            while process.poll() is None:
                rss = _rss_mb(process.pid)
                if rss is not None:
                    self.runner_mb.append(rss)
                self.in_use_mb.append(_meminfo_in_use_mb())
                time.sleep(self.interval)

        threading.Thread(target=sample, daemon=True).start()

    def summary(self) -> str:
        """The runner's median and peak resident memory and the machine's peak, one line."""
        if not self.runner_mb:
            return "memory: no sample (the run ended within one interval)"
        return (f"memory: runner (omics run process) median {statistics.median(self.runner_mb):.0f} MB, "
                f"peak {max(self.runner_mb):.0f} MB; in use on the machine at most "
                f"{max(self.in_use_mb) / 1024:.1f} GB ({self.before_mb / 1024:.1f} GB before the run)")


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


def run_inputs(cohort: Path | None, *, rna_only: bool = False) -> list[str]:
    """The ``omics run`` options naming the inputs: ``--demo``, or a simulated cohort's files.

    ``cohort``: a folder written by ``omics simulate`` (its FCS files are counted with the
    beads per test that ``simulation.yaml`` records). ``rna_only``: the cohort's RNA counts
    without its protein groups and FCS files.
    """
    if cohort is None:
        return ["--demo"]
    inputs = ["--input", str(cohort / "samplesheet.csv"), "--contrasts", str(cohort / "contrasts.yaml"),
              "--rna_counts", str(cohort / "salmon.merged.gene_counts.tsv")]
    if rna_only:
        return inputs
    settings = yaml.safe_load((cohort / "simulation.yaml").read_text())
    return [*inputs, "--protein_matrix", str(cohort / "proteinGroups.txt"),
            "--flow_fcs", str(cohort / "fcs"),
            "--flow_beads_per_test", str(settings["flow"]["beads_per_test"])]


# R DESeq2 for `--r`: argument 1 is the folder r_inputs wrote. Every contrast is fitted with
# the design matrix `omics de` fitted (`full =`; the formula ~ 1 only builds the object) and
# tested with its contrast weights at the run's deseq2_alpha (alpha.txt; R's default 0.1
# without it); its table goes to <id>.r.tsv, the seconds of DESeq() +
# results() summed over the contrasts to r_seconds.txt.
R_DESEQ2 = r"""
suppressPackageStartupMessages(library(DESeq2))
folder <- commandArgs(trailingOnly = TRUE)[1]
counts <- as.matrix(read.delim(file.path(folder, "counts.tsv"), row.names = 1,
                               check.names = FALSE))
alpha <- if (file.exists(file.path(folder, "alpha.txt")))
  as.numeric(readLines(file.path(folder, "alpha.txt"))) else 0.1
elapsed <- 0
for (id in readLines(file.path(folder, "contrasts.txt"))) {
  design <- as.matrix(read.delim(file.path(folder, paste0(id, ".design.tsv")), row.names = 1,
                                 check.names = FALSE))
  weights <- read.delim(file.path(folder, paste0(id, ".weights.tsv")), row.names = 1,
                        check.names = FALSE)
  start <- proc.time()[["elapsed"]]
  dds <- DESeqDataSetFromMatrix(counts[, rownames(design)],
                                data.frame(row.names = rownames(design)), design = ~ 1)
  dds <- DESeq(dds, full = design, quiet = TRUE)
  res <- results(dds, contrast = weights[colnames(design), 1], alpha = alpha)
  elapsed <- elapsed + proc.time()[["elapsed"]] - start
  write.table(data.frame(gene_id = rownames(res), as.data.frame(res), check.names = FALSE),
              file.path(folder, paste0(id, ".r.tsv")), sep = "\t", quote = FALSE,
              row.names = FALSE)
}
cat(sprintf("%.3f\n", elapsed), file = file.path(folder, "r_seconds.txt"))
"""


def rna_contrasts(results: Path) -> list[Contrast]:
    """The contrasts a finished run tested with DESeq2, in the contrasts file's order."""
    from omics.io import read_contrasts

    tested = {path.name.split(".rna.deseq2.")[0]
              for path in (results / "differential").glob("*.rna.deseq2.results.tsv")}
    return [contrast for contrast in read_contrasts(results / "validated" / "contrasts.yaml")
            if contrast.id in tested]


def r_inputs(results: Path, folder: Path) -> list[str]:
    """Write R DESeq2's inputs for the RNA contrasts of a finished ``omics run``; return their ids.

    ``counts.tsv``: genes x samples, the integer counts of ``rna/rna.h5ad`` (the genes the
    run kept); per contrast, ``<id>.design.tsv`` (samples x coefficients) and
    ``<id>.weights.tsv`` (coefficient, weight), built as ``omics de`` builds them; and
    ``contrasts.txt``, the ids one per line.
    """
    import numpy as np

    from omics.stages._common import read_h5ad
    from omics.tl._design import design_for_contrast

    folder.mkdir(parents=True, exist_ok=True)
    adata = read_h5ad(results / "rna" / "rna.h5ad", layers=("counts",))  # as omics de reads it
    pd.DataFrame(np.asarray(adata.layers["counts"]).T.astype(np.int64), index=adata.var_names,
                 columns=adata.obs_names).to_csv(folder / "counts.tsv", sep="\t",
                                                 index_label="gene_id")
    contrasts = rna_contrasts(results)
    for contrast in contrasts:
        design = design_for_contrast(adata.obs, contrast, samples=adata.obs_names)
        design.matrix.to_csv(folder / f"{contrast.id}.design.tsv", sep="\t", index_label="sample")
        design.contrast_vector.rename("weight").to_frame().to_csv(
            folder / f"{contrast.id}.weights.tsv", sep="\t", index_label="coefficient")
    ids = [contrast.id for contrast in contrasts]
    (folder / "contrasts.txt").write_text("".join(f"{contrast_id}\n" for contrast_id in ids))
    return ids


def r_agreement(results: Path, folder: Path, ids: list[str], fdr: float) -> pd.DataFrame:
    """Per contrast, how our DESeq2 table agrees with R's (``<id>.r.tsv`` in ``folder``)."""
    import numpy as np

    rows = []
    for contrast_id in ids:
        ours = pd.read_csv(results / "differential" / f"{contrast_id}.rna.deseq2.results.tsv",
                           sep="\t", index_col="gene_id")
        theirs = pd.read_csv(folder / f"{contrast_id}.r.tsv", sep="\t",
                             index_col="gene_id").reindex(ours.index)
        both = ours["stat"].notna() & theirs["stat"].notna()
        sig_ours = set(ours.index[ours["padj"] < fdr])
        sig_r = set(theirs.index[theirs["padj"] < fdr])
        rows.append({
            "contrast": contrast_id, "genes": len(ours),
            "r_lfc": np.corrcoef(ours.loc[both, "log2FoldChange"],
                                 theirs.loc[both, "log2FoldChange"])[0, 1],
            "r_stat": np.corrcoef(ours.loc[both, "stat"], theirs.loc[both, "stat"])[0, 1],
            f"padj<{fdr:g} ours": len(sig_ours), f"padj<{fdr:g} R": len(sig_r),
            "same_sets": sig_ours == sig_r,
            "same_padj_na": bool((ours["padj"].isna() == theirs["padj"].isna()).all()),
            "max_abs_lfc_diff": float(np.nanmax(np.abs(ours["log2FoldChange"]
                                                       - theirs["log2FoldChange"]))),
        })
    return pd.DataFrame(rows)


def compare_with_r(results: Path, work: Path, omics_wall: float, fresh_trace: pd.DataFrame) -> bool:
    """Time R DESeq2 on the RNA of ``results`` and print how it compares; return whether it agrees.

    ``omics_wall`` and ``fresh_trace``: the wall time and the trace of the same fresh run.

    Agreement: per contrast, log2 fold changes and Wald statistics correlate with r >= 0.999
    and the genes with padj below the run's ``de_fdr`` are the same (issue #15's check).
    """
    folder = work / "r_deseq2"
    ids = r_inputs(results, folder)
    params = yaml.safe_load((results / "pipeline_info" / "params.yaml").read_text())
    alpha = params.get("deseq2_alpha", 0.1)  # older trees have no deseq2_alpha: R's default
    (folder / "alpha.txt").write_text(f"{float(alpha)!r}\n")
    script = folder / "deseq2_contrasts.R"
    script.write_text(R_DESEQ2)
    wall, cpu = timed(["Rscript", str(script), str(folder)])
    r_seconds = float((folder / "r_seconds.txt").read_text())
    fdr = float(params["de_fdr"])
    ours_de = fresh_trace.loc[fresh_trace["task"].str.match(r"de\..*\.rna$"), "wall_seconds"].sum()
    print(f"\nR DESeq2, {len(ids)} contrast(s) in one Rscript (serial): {wall:.2f} s wall "
          f"({cpu:.2f} s CPU), DESeq() + results() {r_seconds:.2f} s; results(alpha = "
          f"{float(alpha):g}) as the run's deseq2_alpha"
          + ("; deseq2_shrink: the unshrunk log2FoldChange is compared"
             if params.get("deseq2_shrink") else ""))
    print(f"omics run (last fresh run, all its stages): {omics_wall:.2f} s wall = "
          f"{omics_wall / wall:.3f}x R's process; its DESeq2 tasks {ours_de:.2f} s = "
          f"{ours_de / r_seconds:.3f}x R's DESeq() + results()")
    agreement = r_agreement(results, folder, ids, fdr)
    with pd.option_context("display.width", 200, "display.float_format", "{:.6g}".format):
        print(agreement.to_string(index=False))
    return bool(((agreement["r_lfc"] >= 0.999) & (agreement["r_stat"] >= 0.999)
                 & agreement["same_sets"]).all())


def _fresh(results: Path, keep_as: Path, inputs: list[str], pythonpath: str | None
           ) -> tuple[float, float]:
    """A fresh run into ``results``, then moved to ``keep_as`` (replacing an earlier one)."""
    times = timed([*OMICS, "run", *inputs, "--no-resume", "--outdir", str(results)], pythonpath)
    shutil.rmtree(keep_as, ignore_errors=True)
    results.rename(keep_as)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--outdir", default=None, help="working folder (default: a temporary one)")
    parser.add_argument("--repeats", type=int, default=1, help="fresh/resumed pairs to time")
    parser.add_argument("--keep", action="store_true", help="keep the temporary results folder")
    parser.add_argument("--pythonpath", default=None,
                        help="another checkout's src folder, timed alternately and compared")
    parser.add_argument("--warmup", type=int, default=1,
                        help="untimed runs of each tree first (with --pythonpath)")
    parser.add_argument("--patients", type=int, default=None,
                        help="run a simulated cohort of this many patients instead of the demo")
    parser.add_argument("--rna-only", action="store_true",
                        help="with --patients: run the cohort's RNA counts alone")
    parser.add_argument("--r", action="store_true",
                        help="also time R DESeq2 on the run's RNA contrasts and compare the tables")
    parser.add_argument("--memory", action="store_true",
                        help="sample the runner's and the machine's memory during fresh runs")
    parser.add_argument("--args", default="",
                        help='options appended to every omics run, e.g. "--flow_gating_plots false"')
    args = parser.parse_args()
    if args.rna_only and not args.patients:
        parser.error("--rna-only needs --patients (the demo runs every modality)")
    if args.r and shutil.which("Rscript") is None:
        parser.error("--r needs Rscript (with DESeq2, e.g. Debian's r-bioc-deseq2) on PATH")
    if args.warmup < 0 or args.repeats < 1:
        parser.error("--warmup must be >= 0 and --repeats >= 1")
    check_tree(parser, args.pythonpath)
    work = Path(args.outdir or tempfile.mkdtemp(prefix="omics-e2e-"))
    results, ours, baseline = work / "results", work / "ours", work / "baseline"
    identical = True
    try:
        cohort = None
        if args.patients:
            cohort = work / f"cohort_{args.patients}"
            if not (cohort / "simulation.yaml").is_file():
                command = [*OMICS, "simulate", "--outdir", str(cohort), "--n_patients",
                           str(args.patients), "--n_cpus", "2"]
                done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                      text=True, check=False)
                if done.returncode != 0:
                    raise command_failed(command, done.returncode, done.stderr)
        inputs = [*run_inputs(cohort, rna_only=args.rna_only), *shlex.split(args.args)]
        memory = MemorySampler() if args.memory else None
        for _ in range(args.warmup):  # untimed: numba compiles (or loads) its kernels
            _fresh(results, ours, inputs, None)
            if args.pythonpath:
                _fresh(results, baseline, inputs, args.pythonpath)
        if not args.pythonpath:
            shutil.rmtree(ours, ignore_errors=True)
        ours_fresh, base_fresh = [], []
        for repeat in range(args.repeats):
            fresh = timed([*OMICS, "run", *inputs, "--no-resume", "--outdir", str(results)],
                          memory=memory)
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
            if memory is not None:
                print(f"  {memory.summary()}", flush=True)
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
        if args.r:
            agrees = compare_with_r(ours if args.pythonpath else results, work, ours_fresh[-1],
                                    table)
            identical = identical and agrees
    finally:
        if args.outdir is None and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        elif args.keep:
            print(f"results kept in {work}", file=sys.stderr)
    return 0 if identical else 1  # 1: an output differs from the baseline's, or from R's


if __name__ == "__main__":
    raise SystemExit(main())
