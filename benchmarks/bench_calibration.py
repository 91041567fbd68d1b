"""Calibration and power of the predictive / prognostic classification (issue 9).

Simulated 40-patient trials (20 per arm), the model functions called directly on score
tables (no pipeline):

- logistic (``omics.tl.response_model``, default ``multiplicity="bh"``): each trial has
  ``--scores`` scores (one planted, the rest noise, pairwise correlation 0.3 like
  overlapping gene sets), covariates age and diabetes; response
  ``logit p = 0.3 + 0.4 arm - 0.5 diabetes + b * score * arm``;
- survival (``omics.tl.survival_model``): Weibull proportional-hazards times with log HR
  ``-b * score`` in the treated arm, uniform drop-out and 183-day administrative
  censoring (``omics.simulate._survival.weibull_afs``).

Null (``b = 0``): share of trials with any ``predictive`` or ``prognostic`` call, and with
any call at all (``treated_only`` too: every class but ``none`` is a false finding there).
Grid of ``b``: share of trials calling the planted score ``predictive``,
``prognostic``, ``treated_only``, with the mean treated- and control-arm AUC of the
score (in-sample AUC for response; for survival, AUC for an event by day 183).

Usage: ``python benchmarks/bench_calibration.py [--null 200] [--trials 60] [--effects 0 ...]
[--out table.tsv]``
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from omics.simulate._survival import weibull_afs
from omics.tl._response import response_model
from omics.tl._survival import survival_model


def _trial(rng: np.random.Generator, n_scores: int, n: int = 40):
    ids = [f"S{i:02d}" for i in range(n)]
    arm = rng.permutation(np.arange(n) % 2)
    shared = rng.standard_normal(n)
    scores = np.sqrt(0.3) * shared[:, None] + np.sqrt(0.7) * rng.standard_normal((n, n_scores))
    diabetes = rng.random(n) < 0.45
    age = np.round(rng.normal(71, 10, n))
    obs = pd.DataFrame({"arm": np.where(arm == 1, "bmmnc", "placebo"), "age": age,
                        "diabetes": np.where(diabetes, "yes", "no")}, index=ids)
    names = ["planted"] + [f"noise{i}" for i in range(1, n_scores)]
    return pd.DataFrame(scores, index=ids, columns=names), obs, arm, diabetes


def _auc(y, s):
    return roc_auc_score(y, s) if 0 < y.sum() < len(y) else np.nan


def logistic_trial(rng, b, n_scores):
    scores, obs, arm, diabetes = _trial(rng, n_scores)
    z = scores["planted"].to_numpy()
    while True:
        eta = 0.3 + 0.4 * arm - 0.5 * diabetes + b * z * arm
        y = rng.random(len(z)) < 1 / (1 + np.exp(-eta))
        if all(2 <= y[arm == a].sum() <= (arm == a).sum() - 2 for a in (0, 1)):
            break
    obs["response"] = np.where(y, "responder", "non_responder")
    table = response_model(scores, obs, folds=3, repeats=1).set_index("score")
    return table["classification"], _auc(y[arm == 1], z[arm == 1]), _auc(y[arm == 0], z[arm == 0])


def survival_trial(rng, b, n_scores):
    scores, obs, arm, diabetes = _trial(rng, n_scores)
    z = scores["planted"].to_numpy()
    lp = -b * z * arm + 0.3 * diabetes
    days, event = weibull_afs(lp, rng)
    obs["afs_days"], obs["afs_event"] = days, event
    table = survival_model(scores, obs).set_index("score")
    early = (event == 1) & (days <= 183)
    return (table["classification"], _auc(early[arm == 1], -z[arm == 1]),
            _auc(early[arm == 0], -z[arm == 0]))


def run(kind: str, grid: list[float], trials: int, null_trials: int, n_scores: int,
        seed: int) -> pd.DataFrame:
    fn = logistic_trial if kind == "logistic" else survival_trial
    rows = []
    for b in grid:
        count = null_trials if b == 0 else trials
        rng = np.random.default_rng([seed, int(round(b * 100))])
        calls, auc_t, auc_c, any_call, any_class = [], [], [], 0, 0
        start = time.time()
        for _ in range(count):
            classes, at, ac = fn(rng, b, n_scores)
            calls.append(classes["planted"])
            auc_t.append(at)
            auc_c.append(ac)
            any_call += int(classes.isin(["predictive", "prognostic"]).any())
            any_class += int((classes != "none").any())
        calls = pd.Series(calls)
        rows.append({"model": kind, "effect": b, "trials": count, "scores_per_trial": n_scores,
                     "auc_treated": np.nanmean(auc_t), "auc_control": np.nanmean(auc_c),
                     "any_pred_or_prog_call": any_call / count,
                     "any_call": any_class / count,
                     "planted_predictive": (calls == "predictive").mean(),
                     "planted_prognostic": (calls == "prognostic").mean(),
                     "planted_treated_only": (calls == "treated_only").mean(),
                     "seconds": round(time.time() - start, 1)})
        print(pd.DataFrame(rows[-1:]).to_string(index=False, header=len(rows) == 1), flush=True)
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--null", type=int, default=200, help="null trials per model")
    parser.add_argument("--trials", type=int, default=60, help="trials per effect size")
    parser.add_argument("--scores", type=int, default=11, help="scores per logistic trial")
    parser.add_argument("--survival-scores", type=int, default=11, help="scores per survival trial")
    parser.add_argument("--models", default="logistic,survival",
                        help="comma-separated: logistic, survival (default both)")
    parser.add_argument("--seed", type=int, default=9, help="first seed (default 9)")
    parser.add_argument("--effects", type=float, nargs="+",
                        help="effect sizes to run (default: the whole grid of each model; 0 is the null)")
    parser.add_argument("--out", type=Path, help="TSV of the whole table (written before it is printed)")
    args = parser.parse_args()
    unknown = set(args.models.split(",")) - {"logistic", "survival"}
    if unknown:
        parser.error(f"--models: unknown {', '.join(sorted(unknown))} (valid: logistic, survival)")
    parts = []
    if "logistic" in args.models:
        parts.append(run("logistic", args.effects or [0, 1, 2, 3, 4, 5, 6, 10], args.trials, args.null,
                         args.scores, args.seed))
    if "survival" in args.models:
        parts.append(run("survival", args.effects or [0, 0.5, 1, 1.5, 2, 3], args.trials, args.null,
                         args.survival_scores, args.seed))
    table = pd.concat(parts, ignore_index=True)
    if args.out:  # first: the table of a long run is kept whatever printing it needs
        table.to_csv(args.out, sep="\t", index=False)
    print(as_text(table))


def as_text(table: pd.DataFrame) -> str:
    """The table as Markdown (pandas needs ``tabulate`` for that), else as plain text."""
    try:
        return table.to_markdown(index=False, floatfmt=".3f")
    except ImportError:  # tabulate is not a dependency of omics
        return table.to_string(index=False, float_format="{:.3f}".format)


if __name__ == "__main__":
    main()
