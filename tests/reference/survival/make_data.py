"""Write the input of the coxph fixtures (run once; `python make_data.py`).

40 patients, two arms, a predictive and a prognostic score, Weibull times rounded to
whole days (so there are tied event times for Efron's method), uniform censoring and
administrative censoring at 365 days; age and diabetes as covariates.
"""
from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(2024)
n = 40
arm = np.where(np.arange(n) % 2 == 0, "bmmnc", "placebo")
pred, prog = rng.standard_normal((2, n))
age = np.round(rng.normal(70, 9, n))
diabetes = rng.choice(["no", "yes"], n)
lp = -1.0 * pred * (arm == "bmmnc") - 0.7 * prog + 0.3 * (diabetes == "yes")
t = np.round(150 * rng.weibull(1.3, n) * np.exp(-lp / 1.3) / 5) * 5 + 1  # 5-day grid: ties
c = np.minimum(rng.uniform(60, 500, n).round(), 365)
pd.DataFrame({
    "sample": [f"S{i:02d}" for i in range(n)], "arm": arm, "pred": pred.round(6), "prog": prog.round(6),
    "age": age, "diabetes": diabetes, "afs_days": np.minimum(t, c), "afs_event": (t <= c).astype(int),
}).to_csv(Path(__file__).with_name("data.csv"), index=False)
