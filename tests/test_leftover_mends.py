"""Mends of defects an earlier stretch left open (its note's "Left" list).

* ``tl.response_model`` decided the arms' presence by text (``str(1) == "1"``), so float
  ``1.0``/``0.0`` arms with ``treated=1, control=0`` stopped as "neither 1 nor 0"
  although the models select those samples by value; it now decides as
  :func:`omics.tl.survival_model` does (:func:`omics.tl._response.check_arms_present`).
* ``pp.absolute_counts`` on an AnnData that already had absolute counts ignored the
  ``beads_per_test`` or ``cell_count`` given, silently; it stops now.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers import bead_populations
from helpers import raises_one_line as _raises
from omics.pp import absolute_counts, populations_anndata
from omics.tl import response_model


def _cohort(arms: list) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(7)
    n = len(arms)
    obs = pd.DataFrame({"arm": arms, "response": rng.choice(["responder", "non"], n),
                        "age": rng.normal(60, 5, n), "diabetes": rng.integers(0, 2, n)},
                       index=[f"s{i}" for i in range(n)])
    return pd.DataFrame({"a": rng.normal(size=n)}, index=obs.index), obs


def test_response_model_numeric_arms_run_as_numbers():
    scores, obs = _cohort([1.0, 0.0] * 12)
    numbers = response_model(scores, obs, treated=1, control=0, repeats=2)
    text = response_model(scores, obs.assign(arm=obs["arm"].map({1.0: "bmmnc", 0.0: "placebo"})),
                          repeats=2)
    assert numbers.loc[0, ["n", "n_treated", "n_control"]].tolist() == [24, 12, 12]
    pd.testing.assert_frame_equal(numbers, text)


def test_response_model_text_levels_for_number_arms_and_empty_arms_stop():
    scores, obs = _cohort([1.0, 0.0] * 12)
    _raises(lambda: response_model(scores, obs, treated="1", control="0", repeats=2),
            "response_model", "no sample has arm '1' or '0'", "holds numbers")
    _raises(lambda: response_model(scores, obs.assign(arm=np.nan), repeats=2),
            "response_model", "'arm' has no value for any sample")


def test_absolute_counts_twice_or_on_exported_counts_with_a_second_source_stops():
    adata = populations_anndata(bead_populations(), ["S1", "S2"])
    absolute_counts(adata, beads_per_test=50000)
    first = adata.layers["absolute"].copy()
    _raises(lambda: absolute_counts(adata, beads_per_test=25000), "pp.absolute_counts",
            "already has absolute counts", "cells_per_uL", "beads_per_test",
            "delete adata.layers['absolute']")
    np.testing.assert_array_equal(adata.layers["absolute"], first)
    # counting again as the message says
    del adata.layers["absolute"]
    absolute_counts(adata, beads_per_test=25000)
    np.testing.assert_allclose(adata.layers["absolute"], first / 2, rtol=1e-12)
    # exported counts and a cell count: two sources
    long = bead_populations().assign(absolute=1.0)
    exported = populations_anndata(long, ["S1", "S2"], absolute_unit="cells_per_uL")
    _raises(lambda: absolute_counts(exported, cell_count=pd.Series([1.0, 2.0], index=["S1", "S2"],
                                                                   name="wbc_per_ul")),
            "already has absolute counts", "cell_count")
    assert absolute_counts(exported) == "cells_per_uL"


