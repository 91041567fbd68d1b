"""Mends of the h48 review (/tmp/notes/h48_review.md): total_events values and ids, unused
categories in build_mudata, the ssGSEA tie count without samples x genes ranks."""

from __future__ import annotations

import logging
import warnings

import anndata as ad
import numpy as np
import pandas as pd
import pytest

import omics
from omics._errors import InputError
from omics.tl import _scores


def _flow(samples=("S0", "S1", "S2")) -> ad.AnnData:  # noqa: ANN001
    samples = list(samples)
    long = pd.DataFrame({"sample": np.repeat(samples, 2), "population": ["Leukocytes", "CD34"] * 3,
                         "parent": ["root", "Leukocytes"] * 3,
                         "events": [50000, 300, 50000, 300, 50000, 300],
                         "parent_events": [100000, 50000] * 3})
    return omics.pp.populations_anndata(long, samples)


@pytest.mark.parametrize("bad", ["12,000", None, 0, -5, np.inf])
def test_a_total_events_value_that_is_not_a_count_stops_naming_the_sample(bad) -> None:  # noqa: ANN001
    """M1: a text value ("12,000") or None became NaN counts silently."""
    totals = pd.Series({"S0": 1e5, "S1": bad, "S2": 3e5}, dtype=object)
    for call in (lambda: omics.pp.absolute_counts(_flow(), total_events=totals),
                 lambda: omics.pp.flow_qc(_flow(), min_events=100, total_events=totals)):
        with pytest.raises(InputError, match=r"total_events of sample 'S1' is .*not a number of "
                                             r"events above 0") as info:
            call()
        assert "\n" not in str(info.value)
    with pytest.raises(InputError, match=r"sample 'S1'"):
        omics.pp.absolute_counts(_flow(), total_events=[1e5, bad, 3e5])


def test_total_events_ids_are_compared_as_text() -> None:
    """M2: a Series with integer ids (a sheet read by pandas) matches obs names '101', '102'."""
    adata = _flow(("101", "102", "103"))
    totals = pd.Series({103: 3e5, 101: 1e5, 102: 2e5})
    qc = omics.pp.flow_qc(adata, min_events=100, total_events=totals)
    assert dict(zip(qc["sample"], qc["total_events"], strict=True)) == {
        "101": 1e5, "102": 2e5, "103": 3e5}


def test_build_mudata_drops_categories_no_shared_sample_has() -> None:
    """L4: an arm level present in no shared sample is not kept as an empty category."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        demo = omics.datasets.demo_cohort()
    rna, protein = demo.rna(), demo.protein()
    treated = protein.obs_names[protein.obs["arm"] == "bmmnc"]
    mdata = omics.tl.build_mudata(rna, protein[treated].copy())  # shared: the treated samples
    assert list(mdata.obs["arm"].cat.categories) == ["bmmnc"]
    assert (mdata.obs["arm"] == "bmmnc").all()


def test_the_tie_count_is_that_of_ranks(caplog: pytest.LogCaptureFixture) -> None:
    """L5: one sample at a time, the same count as ranks of the whole matrix gave."""
    from scipy.stats import rankdata

    rng = np.random.default_rng(3)
    x = pd.DataFrame(np.round(rng.normal(5, 1, (30, 200)), 1), columns=[f"G{i}" for i in range(200)])
    sets = {f"S{k}": [f"G{i}" for i in rng.choice(200, 15, replace=False)] for k in range(4)}
    values = x.to_numpy()
    tied_all = rankdata(values, method="max", axis=1) - rankdata(values, method="min", axis=1)
    expected = 0
    for genes in sets.values():
        idx = [x.columns.get_loc(g) for g in genes]
        sub = values[:, idx]
        tied_in = rankdata(sub, method="max", axis=1) - rankdata(sub, method="min", axis=1)
        expected += int((tied_all[:, idx] > tied_in).sum())
    assert expected > 0
    with caplog.at_level(logging.INFO):
        _scores._log_ties(x, sets)
    assert f"{expected} values of set genes" in caplog.text
