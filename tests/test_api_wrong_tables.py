"""A wrong table or argument given to a plot or ROC function stops with one line, and no figure is left open.

Found while auditing the notebook API (left over from the first audit): ``pl.concordance``
given a GSEA table raised a bare ``KeyError``, ``pl.correlation_heatmap`` given a table that
is not samples x samples raised numpy's broadcasting ``ValueError``, both after opening a
figure; ``tl.response_roc`` with a misspelt cohort or a repeat that was never run returned
an empty table, as for a cohort too small to predict.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # this test process only

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import omics  # noqa: E402
from omics._errors import InputError  # noqa: E402
from omics.tl._roc import response_roc  # noqa: E402

GSEA = pd.DataFrame({"term": ["a", "b"], "NES": [1.0, -2.0], "padj": [0.1, 0.2]})


@pytest.fixture(autouse=True)
def _no_figures_left():
    plt.close("all")
    yield
    assert plt.get_fignums() == [], "a failed call left a figure open"


@pytest.mark.parametrize("call", [
    lambda: omics.pl.concordance(GSEA),
    lambda: omics.pl.correlation_heatmap(GSEA),
    lambda: omics.pl.correlation_heatmap(pd.DataFrame(np.ones((3, 2)), index=list("abc"),
                                                      columns=list("ab"))),
    lambda: omics.pl.correlation_heatmap(pd.DataFrame(np.eye(2), index=list("ab"), columns=list("ba"))),
], ids=["concordance_of_gsea", "heatmap_of_gsea", "heatmap_not_square", "heatmap_other_order"])
def test_a_wrong_table_stops_before_a_figure(call):
    with pytest.raises(InputError) as raised:
        call()
    assert "\n" not in str(raised.value)
    assert "pass" in str(raised.value)


def test_a_square_correlation_table_read_from_tsv_draws(tmp_path):
    corr = pd.DataFrame([[1.0, 0.5], [0.5, 1.0]], index=["1", "2"], columns=["1", "2"])
    corr.rename_axis("sample").to_csv(tmp_path / "c.tsv", sep="\t")
    read = pd.read_csv(tmp_path / "c.tsv", sep="\t", index_col=0)  # numeric ids: int index, str columns
    omics.pl.correlation_heatmap(read)
    plt.close("all")


def _model_and_cv() -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = []
    for repeat in (0, 1):
        for cohort in ("pooled", "treated"):
            for i in range(8):
                rows.append({"score": "s", "cohort": cohort, "repeat": repeat, "sample": f"P{i}",
                             "responder": i % 2, "prediction": (i % 2) + 0.1 * i})
    model = pd.DataFrame({"score": ["s"], "fdr_screen": [0.1]})
    return model, pd.DataFrame(rows)


@pytest.mark.parametrize(("kwargs", "named"), [
    ({"cohort": "bmmnc"}, "cohort='bmmnc'"),
    ({"cohort": "Pooled"}, "cohort='Pooled'"),
    ({"repeat": 5}, "repeat=5"),
])
def test_response_roc_refuses_a_cohort_or_repeat_it_does_not_have(kwargs, named):
    model, cv = _model_and_cv()
    with pytest.raises(InputError, match=named):
        response_roc(model, cv, **kwargs)


def test_response_roc_of_a_cohort_without_predictions_is_empty():
    model, cv = _model_and_cv()
    assert response_roc(model, cv, cohort="control").empty  # too few patients: no rows at all
    assert not response_roc(model, cv, repeat=1).empty
