"""Firth logistic fits of the response model against firthlogist (a port of R logistf).

``tests/reference/firth/`` holds 40 simulated patients, six models (one arm, pooled,
arm x score interaction, a score separating an arm, one separating it quasi-completely, whose
interval ends beyond log OR 10 per SD) and firthlogist 0.5.0's estimates,
95 % profile penalised-likelihood intervals and penalised-likelihood-ratio p-values
(``make_fixtures.py``, run once; firthlogist is a test oracle, not a dependency).
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest

from helpers import REPO
from omics.tl._response import _compare

FIRTH = REPO / "tests" / "reference" / "firth"
_spec = importlib.util.spec_from_file_location("firth_models", FIRTH / "models.py")
models = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(models)
REFERENCE = pd.read_csv(FIRTH / "reference.tsv", sep="\t")


@pytest.mark.parametrize("row", list(REFERENCE.itertuples(index=False)),
                         ids=[f"{m}-{t}" for m, t in zip(REFERENCE["model"], REFERENCE["term"],
                                                         strict=True)])
def test_firth_fit_interval_and_penalised_lrt_match_firthlogist(row):
    y, x, columns = models.design(row.model)
    test = _compare(y, x, columns.index(row.term) + 1, method="firth", test="lrt")
    assert test.method == "firth"
    assert test.beta == pytest.approx(row.beta, abs=1e-7)
    # our profile bound stops within 1e-4 of the signed-root target: ~1e-4 x the scale
    assert test.low == pytest.approx(row.low, abs=1e-4)
    assert test.high == pytest.approx(row.high, abs=1e-4)
    assert test.p == pytest.approx(row.p, rel=1e-6)


def test_the_fixture_covers_separation_and_the_interaction():
    y, x, columns = models.design("bmmnc_separating")
    score = x[:, columns.index("separating") + 1]
    assert score[y == 1].min() > score[y == 0].max()  # complete separation: no ML estimate
    assert _compare(y, x, 1, method="firth").separated
    assert set(REFERENCE["term"]) >= {"arm:pred", "separating"}
    assert np.isfinite(REFERENCE[["beta", "low", "high", "p"]].to_numpy()).all()
