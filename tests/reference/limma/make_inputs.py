"""Write the seeded synthetic inputs and the case table for the limma reference fixtures.

Run from anywhere (numpy and pandas needed); writes to ``tests/data/limma/``::

    python tests/reference/limma/make_inputs.py
    Rscript tests/reference/limma/make_limma_fixtures.R

Outputs
-------
samplesheet.tsv   40 samples: group (A/B), batch (b1-b3), arm x response, condition.
complete.tsv.gz   600 features x 40 samples, log2-like values, no missing values.
missing.tsv.gz    600 features x 40 samples with random and left-censored missing
                  values, plus planted edge cases (a whole group, batch, cell or level
                  missing; 1, 2 or 3 observations; all missing; a constant feature).
homoscedastic.tsv.gz  300 features x 40 samples with one common residual variance and 3%
                  missing values, so that the prior degrees of freedom are infinite.
cases.tsv         One row per fixture: inputs, formula, factor levels (reference first),
                  contrast weights and eBayes options. Read by the R script and the test.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
OUT = HERE.parents[1] / "data" / "limma"
SEED = 20240611
N_FEATURES = 600
MAXQUANT = "@shared/data/nfcore-testdata/data/proteomics/maxquant"


def samplesheet(rng: np.random.Generator) -> pd.DataFrame:
    n = 40
    sheet = pd.DataFrame({"sample": [f"S{i + 1:02d}" for i in range(n)]})
    sheet["group"] = np.repeat(["A", "B"], n // 2)
    # batch is unbalanced with respect to group so that the two are correlated
    sheet["batch"] = np.r_[np.repeat(["b1", "b2", "b3"], [9, 7, 4]), np.repeat(["b1", "b2", "b3"], [4, 7, 9])]
    sheet["arm"] = np.tile(np.repeat(["control", "bmmnc"], 10), 2)
    sheet["response"] = np.tile(["nonresponder", "responder"], n // 2)
    sheet["condition"] = rng.permutation(np.repeat(["ctrl", "low", "high"], [14, 13, 13]))
    return sheet


def simulate(rng: np.random.Generator, sheet: pd.DataFrame) -> pd.DataFrame:
    g = N_FEATURES
    mu = rng.normal(24.0, 2.0, g)
    d0, s0 = 6.0, 0.3
    sd = np.sqrt(s0**2 * d0 / rng.chisquare(d0, g)) * np.exp(-0.12 * (mu - 24.0))

    def effect(frac: float, scale: float) -> np.ndarray:
        eff = np.zeros(g)
        hit = rng.random(g) < frac
        eff[hit] = rng.normal(0.0, scale, hit.sum())
        return eff

    x = np.tile(mu[:, None], (1, len(sheet)))
    x += np.outer(effect(0.15, 1.0), sheet["group"].eq("B"))
    for level in ("b2", "b3"):
        x += np.outer(rng.normal(0.0, 0.3, g), sheet["batch"].eq(level))
    arm = sheet["arm"].eq("bmmnc").to_numpy()
    resp = sheet["response"].eq("responder").to_numpy()
    x += np.outer(effect(0.10, 0.8), arm) + np.outer(effect(0.10, 0.8), resp)
    x += np.outer(effect(0.10, 1.2), arm & resp)
    for level in ("low", "high"):
        x += np.outer(effect(0.10, 1.0), sheet["condition"].eq(level))
    x += rng.normal(size=x.shape) * sd[:, None]
    return pd.DataFrame(x, index=[f"F{i + 1:04d}" for i in range(g)], columns=sheet["sample"].to_numpy())


def add_missing(rng: np.random.Generator, x: pd.DataFrame, sheet: pd.DataFrame) -> pd.DataFrame:
    v = x.to_numpy().copy()
    g, n = v.shape
    # left-censoring: values below a noisy detection limit go missing, plus 5% at random
    limit = np.quantile(v, 0.12) + rng.normal(0.0, 0.6, v.shape)
    v[v < limit] = np.nan
    v[rng.random(v.shape) < 0.05] = np.nan

    planted = rng.permutation(np.arange(g))
    take = iter(np.split(planted, np.cumsum([12, 8, 8, 8, 6, 6, 6, 2, 1]))[:-1])
    cols = {k: sheet[k].to_numpy() for k in ("group", "batch", "arm", "response", "condition")}
    for i in next(take):  # a whole group missing
        v[i, cols["group"] == "B"] = np.nan
    for i in next(take):  # one observation
        keep = rng.integers(n)
        v[i, np.arange(n) != keep] = np.nan
    for i in next(take):  # two observations, one per group
        keep = [rng.integers(0, 20), rng.integers(20, 40)]
        v[i, ~np.isin(np.arange(n), keep)] = np.nan
    for i in next(take):  # three observations
        keep = rng.choice(n, 3, replace=False)
        v[i, ~np.isin(np.arange(n), keep)] = np.nan
    for i in next(take):  # a whole batch missing
        v[i, cols["batch"] == "b3"] = np.nan
    for i in next(take):  # an arm x response cell missing (interaction not estimable)
        v[i, (cols["arm"] == "bmmnc") & (cols["response"] == "responder")] = np.nan
    for i in next(take):  # a condition level missing
        v[i, cols["condition"] == "high"] = np.nan
    for i in next(take):  # everything missing
        v[i] = np.nan
    for i in next(take):  # constant observed values (zero residual variance)
        v[i] = np.where(np.isnan(v[i]), np.nan, 25.0)
    return pd.DataFrame(v, index=x.index, columns=x.columns)


def homoscedastic(rng: np.random.Generator, sheet: pd.DataFrame) -> pd.DataFrame:
    g, n = 300, len(sheet)
    x = rng.normal(20.0, 1.0, (g, 1)) + rng.normal(0.0, 0.5, (g, n))
    hit = rng.random(g) < 0.1
    x[hit] += np.outer(rng.normal(0.0, 1.0, hit.sum()), sheet["group"].eq("B"))
    x[rng.random(x.shape) < 0.03] = np.nan
    x[:2, 1:] = np.nan  # two features with a single observation (no residual df)
    return pd.DataFrame(x, index=[f"H{i + 1:04d}" for i in range(g)], columns=sheet["sample"].to_numpy())


CASES = [
    # case, expression, formula, levels, contrast, trend, robust, drop_empty
    ("two_groups", "complete.tsv.gz", "~ group", "group:A,B", "groupB=1", 0, 0, 0),
    ("two_groups_trend_robust", "complete.tsv.gz", "~ group", "group:A,B", "groupB=1", 1, 1, 0),
    ("two_groups_missing", "missing.tsv.gz", "~ group", "group:A,B", "groupB=1", 0, 0, 0),
    (
        "group_batch_missing",
        "missing.tsv.gz",
        "~ batch + group",
        "batch:b1,b2,b3|group:A,B",
        "groupB=1",
        0,
        0,
        0,
    ),
    (
        "group_batch_missing_trend",
        "missing.tsv.gz",
        "~ batch + group",
        "batch:b1,b2,b3|group:A,B",
        "groupB=1",
        1,
        0,
        1,
    ),
    (
        "group_batch_missing_robust",
        "missing.tsv.gz",
        "~ batch + group",
        "batch:b1,b2,b3|group:A,B",
        "groupB=1",
        0,
        1,
        0,
    ),
    (
        "group_batch_missing_trend_robust",
        "missing.tsv.gz",
        "~ batch + group",
        "batch:b1,b2,b3|group:A,B",
        "groupB=1",
        1,
        1,
        1,
    ),
    ("homoscedastic", "homoscedastic.tsv.gz", "~ group", "group:A,B", "groupB=1", 0, 0, 0),
    ("homoscedastic_robust", "homoscedastic.tsv.gz", "~ group", "group:A,B", "groupB=1", 0, 1, 0),
    (
        "interaction_missing",
        "missing.tsv.gz",
        "~ arm * response",
        "arm:control,bmmnc|response:nonresponder,responder",
        "armbmmnc:responseresponder=1",
        0,
        0,
        0,
    ),
    (
        "linear_combination",
        "complete.tsv.gz",
        "~ condition",
        "condition:ctrl,low,high",
        "conditionhigh=1;conditionlow=-1",
        0,
        0,
        0,
    ),
    (
        "linear_combination_missing",
        "missing.tsv.gz",
        "~ condition",
        "condition:ctrl,low,high",
        "conditionhigh=1;conditionlow=-1",
        0,
        0,
        0,
    ),
    (
        "linear_combination_batch_missing",
        "missing.tsv.gz",
        "~ batch + condition",
        "batch:b1,b2,b3|condition:ctrl,low,high",
        "conditionhigh=0.5;conditionlow=0.5",
        0,
        0,
        0,
    ),
]

MAXQUANT_CASES = [
    ("maxquant_celltype_T2_vs_T1", "~ Celltype", "Celltype:T1,FoB,MZ,T2", "CelltypeT2=1"),
    (
        "maxquant_celltype_MZ_vs_T1_fakeBatch",
        "~ fakeBatch + Celltype",
        "fakeBatch:b1,b2|Celltype:T1,FoB,MZ,T2",
        "CelltypeMZ=1",
    ),
]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    sheet = samplesheet(rng)
    complete = simulate(rng, sheet).round(4)
    missing = add_missing(rng, simulate(rng, sheet), sheet).round(4)
    flat = homoscedastic(np.random.default_rng(SEED + 1), sheet).round(4)
    sheet.to_csv(OUT / "samplesheet.tsv", sep="\t", index=False)
    inputs = {"complete.tsv.gz": complete, "missing.tsv.gz": missing, "homoscedastic.tsv.gz": flat}
    for name, frame in inputs.items():
        text = frame.to_csv(sep="\t", index_label="feature", na_rep="NA", float_format="%.4f")
        with open(OUT / name, "wb") as fh, gzip.GzipFile(fileobj=fh, mode="wb", mtime=0) as gz:
            gz.write(text.encode())  # mtime 0: byte-identical on re-runs

    rows = [
        dict(
            case=c,
            expression=e,
            samplesheet="samplesheet.tsv",
            sample_column="sample",
            formula=f,
            levels=lv,
            contrast=ct,
            trend=t,
            robust=r,
            drop_empty=d,
        )
        for c, e, f, lv, ct, t, r, d in CASES
    ]
    rows += [
        dict(
            case=c,
            expression=f"{MAXQUANT}/proteus.raw_MaxQuant_proteingroups_tab.tsv",
            samplesheet=f"{MAXQUANT}/MaxQuant_samplesheet.tsv",
            sample_column="Experiment",
            formula=f,
            levels=lv,
            contrast=ct,
            trend=0,
            robust=0,
            drop_empty=0,
        )
        for c, f, lv, ct in MAXQUANT_CASES
    ]
    pd.DataFrame(rows).to_csv(OUT / "cases.tsv", sep="\t", index=False)


if __name__ == "__main__":
    main()
