"""Does the workflow find what the simulator planted? Rates over many seeds.

For each seed a test-profile cohort (40 patients x 3,000 genes) is simulated with the
planted (angiogenic) scenario and with the null scenario; the RNA arm of the workflow
runs (filter, VST, DESeq2 for the pooled and interaction contrasts, GSEA prerank over
the panel + GO BP with 1,000 permutations, per-patient scores, response models) and the
script reports:

- planted sets at FDR < 0.05 with the right sign (predictive set in the interaction
  contrast, prognostic set and GO:0001525 angiogenesis in the pooled contrast);
- predictive/prognostic classification of the planted scores;
- |CV AUC - oracle AUC| of the planted scores, with two oracles: the in-sample AUC of
  the true latent factor (``auc_gap_*``), and the same cross-validated model fitted on the
  true latent factor (``cv_gap_*``, which isolates how well the score measures it);
- null scenario: seeds with no panel set at FDR < 0.05, and with no score classified.

Usage: ``python benchmarks/bench_truth.py --seeds 20``
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from omics.io import match_samples, read_contrasts, read_rna_counts, read_samplesheet
from omics.pp import filter_low_counts, normalize_deseq2
from omics.simulate import simulate_cohort
from omics.stages._common import gene_set_collections
from omics.tl import deseq2, gene_statistic, gsea_prerank, response_model, sample_scores, testable_sets
from omics.tl._integrate import _by_gene

ANGIOGENESIS = "GO:0001525_ANGIOGENESIS"


def run_seed(seed: int, scenario: str, folder: Path, permutations: int) -> dict:
    paths = simulate_cohort(folder, seed=seed, profile="test", scenario=scenario)
    sheet = read_samplesheet(paths["input"])
    contrasts = {c.id: c for c in read_contrasts(paths["contrasts"])}
    adata = match_samples(read_rna_counts(paths["rna_counts"]), sheet, matrix_path=paths["rna_counts"])
    adata = filter_low_counts(adata, min_count=10, min_samples=7)
    normalize_deseq2(adata)
    panel, background = gene_set_collections(None, None)
    gsea = {}
    for cid in ("response_arm_adjusted", "arm_x_response"):
        table = deseq2(adata, contrasts[cid])
        ranking = gene_statistic(table, "rna")
        sets = testable_sets(panel, background, set(ranking.index), 10, 500)
        result = gsea_prerank(ranking, sets, permutations=permutations, seed=seed, min_size=1,
                              max_size=10**9)
        gsea[cid] = result.set_index("term")
    scores = sample_scores(_by_gene(adata, "vst"), panel, method="zmean")
    model = response_model(scores, adata.obs, covariates=["age", "diabetes"], repeats=20,
                           seed=seed).set_index("score")
    out = {"panel_hits": int(sum((gsea[c].reindex(list(panel))["fdr"] < 0.05).sum() for c in gsea)),
           "classified": int((model["classification"] != "none").sum())}
    if scenario == "null":
        return out
    truth = pd.read_csv(folder / "truth_sets.tsv", sep="\t").set_index("role")["term"]
    latent = pd.read_csv(folder / "truth_patients.tsv", sep="\t").set_index("sample")
    obs = adata.obs
    treated = (obs["arm"] == "bmmnc").to_numpy()
    responder = (obs["response"] == "responder").to_numpy()

    def called(cid: str, term: str) -> bool:
        row = gsea[cid].loc[term]
        return bool(row["fdr"] < 0.05 and row["nes"] > 0)

    oracle = response_model(
        pd.DataFrame({"potency": latent.loc[obs_names(obs), "potency_factor"].to_numpy(),
                      "prognostic": latent.loc[obs_names(obs), "prognostic_factor"].to_numpy()},
                     index=obs.index), obs, covariates=["age", "diabetes"], repeats=20,
        seed=seed).set_index("score")
    out.update({
        "cv_gap_predictive": abs(model.loc[truth["predictive"], "cv_auc_treated"]
                                 - oracle.loc["potency", "cv_auc_treated"]),
        "cv_gap_prognostic": abs(model.loc[truth["prognostic"], "cv_auc_pooled"]
                                 - oracle.loc["prognostic", "cv_auc_pooled"]),
        "predictive_set_called": called("arm_x_response", truth["predictive"]),
        "prognostic_set_called": called("response_arm_adjusted", truth["prognostic"]),
        "angiogenesis_called": called("response_arm_adjusted", ANGIOGENESIS),
        "predictive_classified": model.loc[truth["predictive"], "classification"] == "predictive",
        "prognostic_classified": model.loc[truth["prognostic"], "classification"] == "prognostic",
        "auc_gap_predictive": abs(model.loc[truth["predictive"], "cv_auc_treated"] - roc_auc_score(
            responder[treated], latent.loc[obs_names(obs)[treated], "potency_factor"])),
        "auc_gap_prognostic": abs(model.loc[truth["prognostic"], "cv_auc_pooled"] - roc_auc_score(
            responder, latent.loc[obs_names(obs), "prognostic_factor"])),
    })
    return out


def obs_names(obs: pd.DataFrame) -> np.ndarray:
    return obs.index.to_numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=1000)
    parser.add_argument("--permutations", type=int, default=1000)
    args = parser.parse_args()
    rows = []
    started = time.time()
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        for scenario in ("angiogenic", "null"):
            with tempfile.TemporaryDirectory() as tmp:
                row = run_seed(seed, scenario, Path(tmp), args.permutations)
            rows.append({"seed": seed, "scenario": scenario, **row})
            print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    planted = table[table["scenario"] == "angiogenic"]
    null = table[table["scenario"] == "null"]
    print(f"\n{args.seeds} seeds, {args.permutations} permutations, {time.time() - started:.0f} s")
    for column in ("predictive_set_called", "prognostic_set_called", "angiogenesis_called",
                   "predictive_classified", "prognostic_classified"):
        print(f"{column:28s} {planted[column].mean():.2f}")
    for column in ("auc_gap_predictive", "auc_gap_prognostic", "cv_gap_predictive",
                   "cv_gap_prognostic"):
        print(f"mean {column:23s} {planted[column].mean():.3f} (max {planted[column].max():.3f})")
    print(f"null seeds without panel FDR<0.05 hit: {(null['panel_hits'] == 0).mean():.2f}")
    print(f"null seeds without a classified score: {(null['classified'] == 0).mean():.2f}")


if __name__ == "__main__":
    main()
