"""Write the input of the Firth logistic fixtures (run once; `python make_data.py`).

40 patients, two arms of 20, a predictive score (response depends on it in the BM-MNC arm
only), a prognostic score (in both arms), age and diabetes as covariates, and a score that
separates the BM-MNC arm's responders completely (Firth's finite estimates are the point).
"""
from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(2026)
n = 40
arm = np.where(np.arange(n) % 2 == 0, "bmmnc", "placebo")
pred, prog = rng.standard_normal((2, n))
age = np.round(rng.normal(70, 9, n))
diabetes = rng.choice(["no", "yes"], n)
eta = -0.4 + 1.6 * pred * (arm == "bmmnc") + 0.9 * prog - 0.5 * (diabetes == "yes")
response = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(int)
# separates the BM-MNC arm: every responder above every non-responder
separating = np.where(response == 1, 1.0, -1.0) * rng.uniform(0.2, 2.0, n)
separating[arm == "placebo"] = rng.standard_normal(int((arm == "placebo").sum()))
pd.DataFrame({
    "sample": [f"S{i:02d}" for i in range(n)], "arm": arm, "response": response,
    "pred": pred.round(6), "prog": prog.round(6), "separating": separating.round(6),
    "age": age, "diabetes": diabetes,
}).to_csv(Path(__file__).with_name("data.csv"), index=False)
