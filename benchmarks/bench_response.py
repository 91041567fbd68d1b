"""Benchmark `omics.tl._response.response_model` on simulated BALI-like cohorts.

For each seed a test-profile cohort (40 patients x 3,000 genes) is simulated in the
angiogenic and the null scenario; counts are filtered and VST-transformed, every
angiogenesis gene set is scored as the mean per-gene z-score of the VST over its
members, and `response_model` is fitted. Printed:

- the rate at which the planted predictive set is called `predictive` and the planted
  prognostic set `prognostic` (both with direction `up_in_responders`), and what the
  planted sets were called otherwise;
- under the null scenario, the per-set rate of predictive/prognostic calls and the
  fraction of cohorts with at least one such call;
- the mean |CV AUC - oracle AUC|: the treated-arm CV AUC of the predictive score versus
  the AUC of the true potency factor in the treated arm, and the pooled CV AUC of the
  prognostic score versus the AUC of the true prognostic factor in the pooled cohort;
- wall time.

Effect sizes can be overridden without editing ``metadata/demo_cohort.yaml``
(``--prognostic``, ``--predictive``: log-odds per SD of the latent factors;
``--n-patients``). ``--latent`` skips the RNA simulation and scores each planted set as
its latent factor plus N(0, 0.2^2) noise (the zmean VST scores of the planted sets
correlate ~0.98 with their factor), the other sets as pure noise: a fast check of the
statistics for an effect-size grid (the gene-set overlap between sets is then ignored).

Usage: .venv/bin/python benchmarks/bench_response.py --seeds 20
       .venv/bin/python benchmarks/bench_response.py --seeds 200 --latent --prognostic 1.5
"""

from __future__ import annotations

import argparse
import copy
import inspect
import logging
import tempfile
import time
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

import omics.simulate._write as simulate_write
from omics._resources import metadata_path
from omics.io import match_samples, read_gmt, read_rna_counts, read_samplesheet
from omics.pp._rna import filter_low_counts, normalize_deseq2
from omics.simulate import simulate_cohort
from omics.simulate._cohort import simulate_patients
from omics.tl._response import response_model

# The fit of response_model (and of the workflow) unless --method says otherwise.
DEFAULT_METHOD = inspect.signature(response_model).parameters["method"].default
PREDICTIVE = "GO:0002040_SPROUTING_ANGIOGENESIS"
PROGNOSTIC = "GO:0001666_RESPONSE_TO_HYPOXIA"


def zmean_scores(vst: pd.DataFrame, sets: dict[str, list[str]]) -> pd.DataFrame:
    z = (vst - vst.mean()) / vst.std(ddof=1)
    z = z.loc[:, z.std() > 0]
    return pd.DataFrame({t: z[[g for g in genes if g in z.columns]].mean(axis=1)
                         for t, genes in sets.items()})


def override_effects(prognostic: float | None, predictive: float | None) -> dict:
    """Patch the simulator's cohort definition (the YAML file is left alone)."""
    original = simulate_write.demo_definition
    spec = original()
    for key, value in (("prognostic", prognostic), ("predictive", predictive)):
        if value is not None:
            spec["response_model"][key] = value
    simulate_write.demo_definition = lambda: copy.deepcopy(spec)
    return spec


def latent_cohort(seed: int, scenario: str, n_patients: int | None,
                  noise: float = 0.2) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    spec = simulate_write.demo_definition()
    rng = np.random.default_rng(seed)
    sim = simulate_patients(n_patients or spec["n_patients"], spec["response_model"], rng)
    obs = sim.samplesheet.set_index("sample")
    truth = sim.latent.set_index("sample")
    names = list(read_gmt(metadata_path("genesets", "go_angiogenesis.gmt")))
    scores = pd.DataFrame(rng.standard_normal((len(obs), len(names))), index=obs.index, columns=names)
    if scenario == "angiogenic":
        scores[PREDICTIVE] = truth["potency_factor"] + noise * scores[PREDICTIVE]
        scores[PROGNOSTIC] = truth["prognostic_factor"] + noise * scores[PROGNOSTIC]
    return scores, obs, truth


def cohort(seed: int, scenario: str, workdir: Path,
           n_patients: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    out = workdir / f"{scenario}_{seed}"
    paths = simulate_cohort(out, seed=seed, profile="test", scenario=scenario, n_patients=n_patients)
    adata = read_rna_counts(paths["rna_counts"])
    sheet = read_samplesheet(paths["input"])
    adata = match_samples(adata, sheet, matrix_path=paths["rna_counts"])
    adata = filter_low_counts(adata)
    normalize_deseq2(adata)
    vst = pd.DataFrame(adata.layers["vst"], index=adata.obs_names,
                       columns=adata.var["gene_name"].astype(str))
    vst = vst.loc[:, ~vst.columns.duplicated()]
    sets = read_gmt(metadata_path("genesets", "go_angiogenesis.gmt"))
    truth = pd.read_csv(out / "truth_patients.tsv", sep="\t", index_col="sample")
    return zmean_scores(vst, sets), adata.obs, truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--alpha", type=float, default=0.05)
    parser.add_argument("--method", choices=["ml", "firth"], default=DEFAULT_METHOD,
                        help=f"response_model's fit (default {DEFAULT_METHOD}, response_model's "
                        "and the workflow's)")
    parser.add_argument("--multiplicity", choices=["bh", "none"], default="bh")
    parser.add_argument("--out", type=Path, help="optional TSV of every fitted row")
    parser.add_argument("--prognostic", type=float, help="override response_model.prognostic")
    parser.add_argument("--predictive", type=float, help="override response_model.predictive")
    parser.add_argument("--n-patients", type=int, help="override the number of patients")
    parser.add_argument("--latent", action="store_true", help="latent-factor scores, no RNA")
    parser.add_argument("--quiet", action="store_true", help="no per-seed lines")
    args = parser.parse_args()
    spec = override_effects(args.prognostic, args.predictive)
    logging.getLogger("omics").setLevel(logging.WARNING)
    warnings.simplefilter("ignore")

    seeds = range(args.first_seed, args.first_seed + args.seeds)
    calls: dict[str, Counter] = {"predictive": Counter(), "prognostic": Counter()}
    auc_gap: dict[str, list[float]] = {"predictive": [], "prognostic": []}
    null_calls, null_sets, null_dirty = 0, 0, 0
    rows, fit_time, prep_time = [], 0.0, 0.0
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            for scenario in ("angiogenic", "null"):
                t0 = time.perf_counter()
                if args.latent:
                    scores, obs, truth = latent_cohort(seed, scenario, args.n_patients)
                else:
                    scores, obs, truth = cohort(seed, scenario, Path(tmp), args.n_patients)
                t1 = time.perf_counter()
                res = response_model(scores, obs, folds=args.folds, repeats=args.repeats, seed=seed,
                                     alpha=args.alpha, method=args.method,
                                     multiplicity=args.multiplicity).set_index("score")
                fit_time += time.perf_counter() - t1
                prep_time += t1 - t0
                rows.append(res.reset_index().assign(seed=seed, scenario=scenario))
                if scenario == "null":
                    called = res["classification"].isin(["predictive", "prognostic"])
                    null_calls += int(called.sum())
                    null_sets += len(res)
                    null_dirty += int(called.any())
                    continue
                y = (obs["response"] == "responder").to_numpy()
                treated = (obs["arm"] == "bmmnc").to_numpy()
                truth = truth.loc[obs.index]
                oracle = {
                    "predictive": roc_auc_score(y[treated], truth["potency_factor"][treated]),
                    "prognostic": roc_auc_score(y, truth["prognostic_factor"]),
                }
                for role, term, column in (("predictive", PREDICTIVE, "cv_auc_treated"),
                                           ("prognostic", PROGNOSTIC, "cv_auc_pooled")):
                    call = res.loc[term, "classification"]
                    if call == role and res.loc[term, "direction"] != "up_in_responders":
                        call += " (wrong direction)"
                    calls[role][call] += 1
                    auc_gap[role].append(abs(res.loc[term, column] - oracle[role]))
                if args.quiet:
                    continue
                print(f"seed {seed:3d}: predictive set -> {res.loc[PREDICTIVE, 'classification']:10s}"
                      f" (p_int {res.loc[PREDICTIVE, 'p_interaction']:.3g}), prognostic set -> "
                      f"{res.loc[PROGNOSTIC, 'classification']:10s} (p_pooled "
                      f"{res.loc[PROGNOSTIC, 'p_pooled']:.3g}, p_int "
                      f"{res.loc[PROGNOSTIC, 'p_interaction']:.3g})", flush=True)
    wall = time.perf_counter() - start
    n = len(seeds)
    model = spec["response_model"]
    kind = "latent scores" if args.latent else "test profile"
    print(f"\n{n} seeds ({seeds.start}..{seeds.stop - 1}), {kind}"
          f", {args.n_patients or spec['n_patients']} patients, prognostic {model['prognostic']}, "
          f"predictive {model['predictive']}; method={args.method}, folds={args.folds}, "
          f"repeats={args.repeats}, alpha={args.alpha}, multiplicity={args.multiplicity}")
    for role in ("predictive", "prognostic"):
        rate = calls[role][role] / n
        other = ", ".join(f"{k}: {v}" for k, v in sorted(calls[role].items()) if k != role)
        print(f"planted {role:10s} set called {role:10s}: {calls[role][role]}/{n} = {rate:.2f}"
              f"{'  (otherwise ' + other + ')' if other else ''}")
    print(f"null scenario: {null_calls}/{null_sets} set calls predictive/prognostic = "
          f"{null_calls / null_sets:.3f} per set; cohorts with >= 1 call: {null_dirty}/{n} = "
          f"{null_dirty / n:.2f}")
    for role, label in (("predictive", "treated"), ("prognostic", "pooled")):
        gap = np.array(auc_gap[role])
        print(f"|CV AUC - oracle AUC| {role} ({label}): mean {gap.mean():.3f}, median "
              f"{np.median(gap):.3f}, max {gap.max():.3f}, within 0.05: {(gap <= 0.05).mean():.2f}")
    print(f"wall time {wall:.1f} s ({prep_time:.1f} s simulate+VST+score, {fit_time:.1f} s "
          f"response_model for {2 * n} cohorts, {fit_time / (2 * n):.2f} s each)")
    if args.out:
        pd.concat(rows, ignore_index=True).to_csv(args.out, sep="\t", index=False)


if __name__ == "__main__":
    main()
