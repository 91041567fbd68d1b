"""Firth logistic reference values from firthlogist 0.5.0 (MIT; a port of R logistf).

Run once, in a Python 3.10 environment with ``pip install firthlogist==0.5.0
"scikit-learn<1.6" pandas`` (firthlogist requires Python < 3.11, so it is a test oracle
only, never a dependency)::

    python make_fixtures.py   # reads data.csv, writes reference.tsv and VERSION.txt

For each model of ``models.py`` (its rows of ``data.csv`` and design matrix) and each
tested coefficient:

- ``beta``: the Firth (Jeffreys-penalised) estimate;
- ``low``/``high``: the 95 % profile penalised-likelihood interval (logistf's algorithm,
  the penalty of the full design);
- ``p``: the penalised-likelihood-ratio p-value of beta = 0 with the full design's
  penalty, as R logistf defines it, obtained from the same profile by duality: the
  level alpha at which the interval's bound nearest 0 reaches 0 (root found on alpha).
  (firthlogist's own ``pvals_`` fit the restricted model with the tested column removed
  from the penalty's hat matrix, which logistf does not do, so they are not used).
"""
from __future__ import annotations

from pathlib import Path

import firthlogist
import numpy as np
import pandas as pd
from firthlogist.firthlogist import _profile_likelihood_ci
from models import MODELS, design
from scipy.optimize import brentq

HERE = Path(__file__).parent
SETTINGS = {"max_iter": 100, "max_stepsize": 5, "max_halfstep": 1000, "tol": 1e-10}
PL_TOL = 1e-8  # |penalised log-likelihood - its target| at a profile bound


def profile_interval(x: np.ndarray, y: np.ndarray, fit: object, j: int, alpha: float) -> np.ndarray:
    """The (1 - alpha) profile penalised-likelihood interval of coefficient ``j`` (logistf's)."""
    ci = _profile_likelihood_ci(x, y, fit.coef_.copy(), fit.loglik_, 1000, 5, 1000, PL_TOL, alpha, [j])
    return ci[j]


def penalised_lrt_p(x: np.ndarray, y: np.ndarray, fit: object, j: int) -> float:
    """The level at which the interval's bound nearest 0 reaches 0: the penalised LRT p."""
    side = 0 if fit.coef_[j] > 0 else 1
    return brentq(lambda alpha: profile_interval(x, y, fit, j, alpha)[side], 1e-8, 0.999,
                  xtol=1e-14, rtol=1e-12)


def main() -> None:
    """Fit every model with firthlogist; write reference.tsv and VERSION.txt."""
    rows = []
    for model, (_, _, tested) in MODELS.items():
        y, x, columns = design(model)
        fit = firthlogist.FirthLogisticRegression(fit_intercept=False, skip_pvals=True, skip_ci=True,
                                                  **SETTINGS)
        fit.fit(x, y)
        for name in tested:
            j = columns.index(name) + 1
            low, high = profile_interval(x, y, fit, j, 0.05)
            rows.append({"model": model, "term": name, "beta": fit.coef_[j], "low": low,
                         "high": high, "p": penalised_lrt_p(x, y, fit, j)})
    table = pd.DataFrame(rows)
    table.to_csv(HERE / "reference.tsv", sep="\t", index=False, float_format="%.10g")
    (HERE / "VERSION.txt").write_text(f"firthlogist 0.5.0; numpy {np.__version__}; pandas "
                                      f"{pd.__version__}\n")
    print(table.to_string())


if __name__ == "__main__":
    main()
