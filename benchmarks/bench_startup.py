"""Start-up cost of the stage subcommands (one Nextflow task each) on a demo results folder.

Usage::

    .venv/bin/python benchmarks/bench_startup.py --results_dir RESULTS [--repeats 3]
        [--stages qc de ...] [--pythonpath OLD/src]

``RESULTS`` is the folder of ``omics run --demo --outdir RESULTS`` (made once; without
``--results_dir`` the benchmark makes one in a temporary folder, which takes minutes).
Every command runs as a whole process, as a Nextflow task runs it, writing into a
temporary folder. For each one the table gives

- ``wall``/``cpu``: wall and CPU (user + system) seconds of the whole process (fastest of
  ``--repeats``);
- ``work``: CPU seconds inside the stage function (its own lazy imports included);
- ``startup``: ``cpu - work``: the interpreter, the imports before the stage runs, argument
  parsing and exit;
- ``imports``: seconds of every import of the process by ``python -X importtime`` (a
  separate run; it includes the imports made while the stage works);
- ``heavy``: the heavy optional libraries the process loaded (a stage should load only
  what it uses).

The first rows are the floor: the interpreter alone and ``import numpy``/``pandas``/
``anndata``. ``--r`` adds R limma as a whole ``Rscript`` process on the same protein
values, design and contrast as ``omics de`` protein (``lmFit``, ``contrasts.fit``,
``eBayes``, ``topTable``, reading and writing TSV), timed the same way, and the largest
differences between the two result tables. ``--pythonpath OLD/src`` runs another
checkout's ``omics`` (e.g. an exported older commit; its ``src`` folder, checked first)
with this interpreter and that checkout's own ``metadata/`` (``benchmarks/_benchlib.py``),
for a before/after table made in the same minute; on a shared machine compare only runs
made side by side.

A ``--results_dir`` without ``pipeline_info/`` or ``validated/contrasts.yaml``, an unknown
``--stages`` name, or a named row (or ``--r``'s ``de protein``) whose input file is missing
stops the benchmark before anything runs (exit code 2); without ``--stages`` a row whose
input is missing (e.g. a run without flow) is listed as skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _benchlib import check_tree, command_failed, tree_environment  # noqa: E402

# Libraries no light stage needs; the column `heavy` lists those a command loaded.
HEAVY = ("scanpy", "sklearn", "matplotlib", "pydeseq2", "scipy.stats", "statsmodels", "numba",
         "plotly", "itables", "gseapy", "decoupler", "lifelines", "flowkit", "mudata", "formulaic")

# R limma as one process, for `--r`: values (features x samples), design (samples x
# coefficients) and contrast weights as TSV; writes topTable(sort.by = "none").
R_LIMMA = r"""
suppressPackageStartupMessages(library(limma))
args <- commandArgs(trailingOnly = TRUE)
values <- as.matrix(read.delim(args[1], row.names = 1, check.names = FALSE))
design <- as.matrix(read.delim(args[2], row.names = 1, check.names = FALSE))
weights <- as.matrix(read.delim(args[3], row.names = 1, check.names = FALSE))
fit <- eBayes(contrasts.fit(lmFit(values[, rownames(design)], design), weights))
table <- topTable(fit, coef = 1, number = Inf, sort.by = "none")
write.table(data.frame(feature_id = rownames(table), table, check.names = FALSE), args[4],
            sep = "\t", quote = FALSE, row.names = FALSE)
"""

# Runs `omics.cli.main(argv)` with the stage function timed (CPU and wall) from inside, and
# ends the process as that tree's `omics` command does.
_WRAPPER = """
import json, os, sys, time
import omics.registry as registry
_load = registry.Stage.load
_work = {}
def _timed_load(self):
    function = _load(self)
    def timed(**kwargs):
        cpu, wall = time.process_time(), time.perf_counter()
        try:
            return function(**kwargs)
        finally:
            _work.update(cpu=time.process_time() - cpu, wall=time.perf_counter() - wall)
    return timed
registry.Stage.load = _timed_load
import omics.cli
code = omics.cli.main(sys.argv[1:])
heavy = [name for name in json.loads(os.environ["OMICS_BENCH_HEAVY"]) if name in sys.modules]
with open(os.environ["OMICS_BENCH_OUT"], "w") as handle:
    json.dump({"work": _work, "heavy": heavy}, handle)
if hasattr(omics.cli, "console"):  # the command ends without the interpreter's teardown
    from omics._exit import exit_process
    exit_process(code)
sys.exit(code)
"""


def commands(results: Path, contrast_id: str) -> dict[str, list[str]]:
    """The benchmarked invocations (arguments of ``omics``) on the demo results ``results``."""
    contrasts = str(results / "validated" / "contrasts.yaml")
    table = {
        "version": ["--version"],
        "qc protein": ["qc", "--h5ad", str(results / "protein" / "protein.h5ad"),
                       "--modality", "protein"],
        "qc rna": ["qc", "--h5ad", str(results / "rna" / "rna.h5ad"), "--modality", "rna"],
        "de protein": ["de", "--h5ad", str(results / "protein" / "protein.h5ad"),
                       "--contrasts", contrasts, "--contrast_id", contrast_id,
                       "--modality", "protein"],
        "de flow": ["de", "--h5ad", str(results / "flow" / "flow.h5ad"), "--contrasts", contrasts,
                    "--contrast_id", contrast_id, "--modality", "flow"],
        "de rna": ["de", "--h5ad", str(results / "rna" / "rna.h5ad"), "--contrasts", contrasts,
                   "--contrast_id", contrast_id, "--modality", "rna"],
        "enrich protein": ["enrich", "--de_results", str(
            results / "differential" / f"{contrast_id}.protein.limma.results.tsv")],
        "enrich rna": ["enrich", "--de_results", str(
            results / "differential" / f"{contrast_id}.rna.deseq2.results.tsv")],
        "report": ["report", "--results_dir", str(results)],
    }
    return table


ROWS = tuple(commands(Path("results"), "contrast"))


def missing_input(argv: list[str], results: Path) -> Path | None:
    """The first input file of ``omics <argv>`` under ``results`` that does not exist, if any."""
    return next((Path(a) for a in argv if a.startswith(str(results)) and not Path(a).exists()),
                None)


def _environment(pythonpath: str | None) -> dict[str, str]:
    # ``pythonpath``: another checkout's src folder, run with its own metadata/ (_benchlib).
    env = {**os.environ, "PYTHONHASHSEED": "0", "OMICS_BENCH_HEAVY": json.dumps(HEAVY)}
    if pythonpath:
        env.update(tree_environment(pythonpath))
    return env


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Run ``argv``; return its wall and CPU (user + system) seconds; stop on failure."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise command_failed(argv, done.returncode, done.stderr)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def import_seconds(stderr: str) -> float:
    """Total seconds of a ``python -X importtime`` log (the sum of its top-level imports)."""
    total = 0
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        _, cumulative, name = line.split("|")
        if not name[1:].startswith(" "):  # top level: one space after the bar
            total += int(cumulative)
    return total / 1e6


def measure(argv: list[str], *, repeats: int, env: dict[str, str], workdir: Path) -> dict:
    """Wall, CPU, in-stage work and import seconds of ``omics <argv>`` (fastest of ``repeats``)."""
    out = workdir / "bench.json"
    env = {**env, "OMICS_BENCH_OUT": str(out)}
    stage = argv[0] != "--version"
    full = [*argv, "--outdir", str(workdir / "out")] if stage else argv
    runs = []
    for _ in range(repeats):
        wall, cpu = timed([sys.executable, "-c", _WRAPPER, *full], env)
        record = json.loads(out.read_text()) if out.exists() else {"work": {}, "heavy": []}
        out.unlink(missing_ok=True)
        runs.append({"wall": wall, "cpu": cpu, "work": record["work"].get("cpu", 0.0),
                     "heavy": record["heavy"]})
    log = subprocess.run([sys.executable, "-X", "importtime", "-m", "omics.cli", *full], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    best = min(runs, key=lambda run: run["cpu"])
    return {"wall": min(run["wall"] for run in runs), "cpu": best["cpu"], "work": best["work"],
            "startup": best["cpu"] - best["work"], "imports": import_seconds(log.stderr),
            "heavy": best["heavy"]}


def floor(repeats: int, env: dict[str, str]) -> list[tuple[str, float, float]]:
    """Wall and CPU seconds of the interpreter alone and of the unavoidable imports."""
    rows = []
    for code in ("pass", "import numpy", "import pandas", "import anndata"):
        times = [timed([sys.executable, "-c", code], env) for _ in range(repeats)]
        rows.append((f'python -c "{code}"', min(t[0] for t in times), min(t[1] for t in times)))
    return rows


def r_limma(results: Path, contrast_id: str, repeats: int, workdir: Path) -> dict:
    """Wall and CPU seconds of R limma as one process on ``omics de`` protein's problem.

    The values are ``X`` of ``protein/protein.h5ad`` (log2, NaN missing), the design and
    contrast are the ones ``omics de`` builds; the result is compared with the table
    ``omics run`` wrote (largest absolute differences of logFC, t and P.Value).
    """
    import anndata as ad
    import numpy as np
    import pandas as pd

    from omics.io import read_contrasts
    from omics.tl._design import design_for_contrast

    adata = ad.read_h5ad(results / "protein" / "protein.h5ad")
    contrast = next(c for c in read_contrasts(results / "validated" / "contrasts.yaml")
                    if c.id == contrast_id)
    design = design_for_contrast(adata.obs, contrast, samples=adata.obs_names)
    files = {name: workdir / f"{name}.tsv" for name in ("values", "design", "weights", "out")}
    pd.DataFrame(adata.X.T, index=adata.var_names, columns=adata.obs_names).to_csv(
        files["values"], sep="\t", na_rep="NA", index_label="feature_id")
    design.matrix.to_csv(files["design"], sep="\t", index_label="sample")
    design.contrast_vector.rename("tested").to_frame().to_csv(files["weights"], sep="\t",
                                                              index_label="coefficient")
    script = workdir / "limma.R"
    script.write_text(R_LIMMA)
    argv = ["Rscript", str(script), *(str(files[k]) for k in ("values", "design", "weights", "out"))]
    times = [timed(argv, os.environ.copy()) for _ in range(repeats)]
    theirs = pd.read_csv(files["out"], sep="\t", index_col="feature_id")
    ours = pd.read_csv(results / "differential" / f"{contrast_id}.protein.limma.results.tsv",
                       sep="\t", index_col="feature_id").loc[theirs.index]
    differences = {column: float(np.nanmax(np.abs(ours[column] - theirs[column])))
                   for column in ("logFC", "t", "P.Value")}
    return {"wall": min(t[0] for t in times), "cpu": min(t[1] for t in times), **differences}


def make_results() -> Path:
    """Run ``omics run --demo`` into a temporary folder; return the results folder."""
    results = Path(tempfile.mkdtemp(prefix="omics-startup-")) / "results"
    command = [sys.executable, "-m", "omics.cli", "run", "--demo", "--outdir", str(results)]
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          check=False)
    if done.returncode:
        raise command_failed(command, done.returncode, done.stderr)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results_dir", help="results of `omics run --demo` (default: make one)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per command (fastest kept)")
    parser.add_argument("--contrast_id", default="response_in_bmmnc",
                        help="the contrast of the de and enrich rows (default: response_in_bmmnc)")
    parser.add_argument("--stages", nargs="+", help="names of rows to run (default: all): "
                        + ", ".join(f"'{row}'" for row in ROWS))
    parser.add_argument("--pythonpath", help="another checkout's src folder, run with this "
                        "interpreter (and that checkout's metadata/)")
    parser.add_argument("--r", action="store_true",
                        help="also time R limma as one process on omics de protein's problem")
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error("--repeats must be >= 1")
    unknown = [name for name in args.stages or () if name not in ROWS]
    if unknown:
        parser.error(f"--stages: unknown row(s) {', '.join(repr(n) for n in unknown)}; valid: "
                     + ", ".join(repr(row) for row in ROWS))
    if args.r and shutil.which("Rscript") is None:
        parser.error("--r needs Rscript (with limma, e.g. Debian's r-bioc-limma) on PATH")
    if args.results_dir:
        results = Path(args.results_dir)
        for needed in ("pipeline_info", "validated/contrasts.yaml"):
            if not (results / needed).exists():
                parser.error(f"--results_dir {results}: no {needed} there (give the folder of "
                             "`omics run --demo --outdir RESULTS`, or leave --results_dir out)")
        table = commands(results, args.contrast_id)
        for name in [*(args.stages or ()), *(["de protein"] if args.r else [])]:
            if (path := missing_input(table[name], results)) is not None:
                parser.error(f"--results_dir {results}: row '{name}' needs {path}, which is "
                             "missing (a run with that modality and --contrast_id)")
    check_tree(parser, args.pythonpath)
    results = Path(args.results_dir) if args.results_dir else make_results()
    env = _environment(args.pythonpath)
    print(f"# {time.strftime('%Y-%m-%d %H:%M:%S')}  load average {os.getloadavg()[0]:.2f}  "
          f"python {sys.version.split()[0]}  omics from {args.pythonpath or 'this install'}")
    print(f"{'floor':34s} {'wall':>6s} {'cpu':>6s}")
    for name, wall, cpu in floor(args.repeats, env):
        print(f"{name:34s} {wall:6.2f} {cpu:6.2f}")
    print(f"\n{'omics ...':18s} {'wall':>6s} {'cpu':>6s} {'work':>6s} {'startup':>8s} "
          f"{'imports':>8s}  heavy")
    for name, argv in commands(results, args.contrast_id).items():
        if args.stages and name not in args.stages:
            continue
        if (path := missing_input(argv, results)) is not None:
            print(f"{name:18s} skipped: {path} missing", flush=True)
            continue
        with tempfile.TemporaryDirectory(prefix="omics-startup-") as workdir:
            row = measure(argv, repeats=args.repeats, env=env, workdir=Path(workdir))
        print(f"{name:18s} {row['wall']:6.2f} {row['cpu']:6.2f} {row['work']:6.2f} "
              f"{row['startup']:8.2f} {row['imports']:8.2f}  {','.join(row['heavy']) or '-'}",
              flush=True)
    if args.r:
        with tempfile.TemporaryDirectory(prefix="omics-startup-") as workdir:
            row = r_limma(results, args.contrast_id, args.repeats, Path(workdir))
        print(f"\n{'Rscript limma':18s} {row['wall']:6.2f} {row['cpu']:6.2f}  (same values, design "
              f"and contrast; largest |difference| from omics: logFC {row['logFC']:.1e}, "
              f"t {row['t']:.1e}, P.Value {row['P.Value']:.1e})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
