"""Wall-time benchmark of the omics.tl enrichment methods.

Usage::

    .venv/bin/python benchmarks/bench_enrichment.py [--gmt-dir DIR] [--gseapy-all]

Times, on a realistic 20,000-gene ranking:

* ``gsea_prerank`` on all angiogenesis + GO BP background sets, 1,000 permutations;
* ``gseapy.prerank`` on the 11 angiogenesis sets (and on all sets with ``--gseapy-all``,
  ~12 min on 2 cores);
* ``sample_scores`` for 11 sets x 40 samples x 20,000 genes, every method;
* ``ora`` and ``gseapy.enrich`` on all sets.
"""

from __future__ import annotations

import argparse
import logging
import os
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from omics.tl._gsea import gsea_prerank
from omics.tl._ora import ora
from omics.tl._scores import SCORE_METHODS, sample_scores

GMT_DIRS = [
    Path(__file__).resolve().parents[1] / "metadata" / "genesets",
    Path("/work/shared/data/genesets"),
]
GENE_TABLES = [
    Path(__file__).resolve().parents[1] / "metadata" / "human_gene_ids.tsv",
    Path("/work/shared/data/annotation/human_gene_ids.tsv"),
]


def parse_gmt(path: Path) -> dict[str, list[str]]:
    sets = {}
    for line in path.read_text().splitlines():
        fields = line.split("\t")
        if len(fields) >= 3 and fields[0]:
            sets[fields[0]] = [g for g in fields[2:] if g]
    return sets


def find(candidates: list[Path], name: str | None = None) -> Path:
    for c in candidates:
        p = c / name if name else c
        if p.is_file():
            return p
    raise SystemExit(f"not found: {name or candidates}")


def ranking(angio: dict[str, list[str]], n: int = 20_000, seed: int = 1) -> pd.Series:
    """20,000 protein-coding symbols with t-like statistics and two shifted sets."""
    table = pd.read_csv(find(GENE_TABLES), sep="\t", usecols=["symbol", "gene_type"])
    pc = table.loc[table["gene_type"] == "protein-coding", "symbol"].dropna().unique()
    rng = np.random.default_rng(seed)
    genes = np.sort(rng.choice(pc, size=min(n, pc.size), replace=False))
    stat = rng.standard_t(10, size=genes.size)
    up = set(angio["GO:0002040_SPROUTING_ANGIOGENESIS"])
    down = set(angio["GO:0030198_EXTRACELLULAR_MATRIX_ORGANIZATION"])
    for i, g in enumerate(genes):
        if g in up and rng.random() < 0.4:
            stat[i] += 1.0
        if g in down and rng.random() < 0.3:
            stat[i] -= 0.8
    return pd.Series(stat, index=genes)


def timed(label: str, func, *args, **kwargs):
    t0, c0 = time.perf_counter(), time.process_time()
    out = func(*args, **kwargs)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"{label:<80s} wall {wall:7.2f} s  cpu {cpu:7.2f} s", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gmt-dir", type=Path, help="folder with the two GMT files")
    parser.add_argument("--gseapy-all", action="store_true", help="also time gseapy on all sets")
    args = parser.parse_args()
    print(f"load average before start: {os.getloadavg()[0]:.2f} (2 cores; > 0.5 means other work)")
    if args.gmt_dir:
        GMT_DIRS.insert(0, args.gmt_dir)
    warnings.filterwarnings("ignore")
    logging.getLogger("gseapy").setLevel(logging.ERROR)

    angio = parse_gmt(find(GMT_DIRS, "go_angiogenesis.gmt"))
    background = parse_gmt(find(GMT_DIRS, "go_bp_10_500.gmt"))
    merged = {**background, **angio}
    stat = ranking(angio)
    print(
        f"ranking: {stat.size} genes; sets: {len(angio)} angiogenesis + {len(background)} "
        f"background = {len(merged)} unique names "
        f"({len(angio) + len(background) - len(merged)} angiogenesis sets are also GO BP sets)"
    )

    print("\n== preranked GSEA, 1,000 permutations ==")
    timed(
        "gsea_prerank, first call (numba JIT compile or cache load), 11 sets",
        gsea_prerank,
        stat,
        angio,
        permutations=10,
    )
    res = timed(
        f"gsea_prerank, all {len(merged)} sets (min 10, max 500), 1,000 permutations",
        gsea_prerank,
        stat,
        merged,
        permutations=1000,
        seed=0,
    )
    print(f"  -> {len(res)} sets tested; {int((res['fdr'] < 0.05).sum())} with FDR < 0.05")
    timed(
        "gsea_prerank, 11 angiogenesis sets (max 1000), 1,000 permutations",
        gsea_prerank,
        stat,
        angio,
        permutations=1000,
        max_size=1000,
    )

    import gseapy as gp

    def gseapy_prerank(sets, max_size):
        return gp.prerank(
            rnk=stat,
            gene_sets={k: list(v) for k, v in sets.items()},
            permutation_num=1000,
            seed=0,
            min_size=10,
            max_size=max_size,
            threads=2,
            no_plot=True,
            outdir=None,
            verbose=False,
        )

    timed(
        "gseapy.prerank, 11 angiogenesis sets (max 1000), 1,000 permutations, 2 threads",
        gseapy_prerank,
        angio,
        1000,
    )
    if args.gseapy_all:
        timed(
            f"gseapy.prerank, all {len(merged)} sets, 1,000 permutations, 2 threads",
            gseapy_prerank,
            merged,
            500,
        )

    print("\n== per-sample scores, 11 sets x 40 samples x 20,000 genes ==")
    rng = np.random.default_rng(0)
    expr = pd.DataFrame(
        rng.normal(6, 2, (1, stat.size)) + rng.normal(0, 0.5, (40, stat.size)),
        columns=stat.index,
        index=[f"P{i:02d}" for i in range(40)],
    )
    for method in SCORE_METHODS:
        sample_scores(expr.iloc[:, :2000], angio, method=method)  # warm-up / imports
        timed(f"sample_scores(method={method!r})", sample_scores, expr, angio, method=method)
    masked = expr.mask(rng.random(expr.shape) < 0.1)
    timed("sample_scores(method='zmean'), 10 % NaN", sample_scores, masked, angio)

    print("\n== over-representation, all sets ==")
    selected = list(
        res.loc[res["term"] == "GO:0002040_SPROUTING_ANGIOGENESIS", "leading_edge"].iloc[0].split(";")
    )
    selected += list(stat.nlargest(300).index)
    timed(
        f"ora, {len(merged)} sets, {len(set(selected))} selected of {stat.size}",
        ora,
        selected,
        list(stat.index),
        merged,
    )
    timed(
        "gseapy.enrich (same input, for comparison)",
        gp.enrich,
        gene_list=selected,
        gene_sets={k: list(v) for k, v in merged.items()},
        background=list(stat.index),
        outdir=None,
        no_plot=True,
    )


if __name__ == "__main__":
    main()
