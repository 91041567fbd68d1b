"""Mends of review h_review40 findings 4, 5 and 6.

4: the arm checks compared ``str()`` values while the analysis selects samples by value
(``isin``): float 1.0/0.0 arms with ``treated=1, control=0`` were refused, and text "1"/"0"
arms passed the check and gave silently empty results. 5: an event column of the text
TRUE/FALSE (R's ``write.csv`` of a logical) was refused by a message saying True/False are
accepted. 6: a top-level contrasts-YAML key holding an anchor (``x-common: &base``) stopped.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from omics._errors import InputError
from omics.io._contrasts import read_contrasts
from omics.tl._survival import kaplan_meier, survival_model


def _trial(n: int = 40) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(1)
    ids = [f"S{i:03d}" for i in range(n)]
    scores = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)}, index=ids)
    obs = pd.DataFrame({"arm": np.where(np.arange(n) % 2 == 0, "bmmnc", "placebo"),
                        "afs_days": rng.integers(10, 400, n).astype(float),
                        "afs_event": rng.integers(0, 2, n)}, index=ids)
    return scores, obs


def test_arm_presence_is_decided_by_value_as_the_samples_are_selected():
    scores, obs = _trial()
    code = (obs["arm"] == "bmmnc").astype(int)
    ints = obs.assign(arm=code)
    floats = obs.assign(arm=code.astype(float).where(np.arange(len(obs)) < 38))  # NaN: float column
    assert floats["arm"].dtype == float
    by_int = survival_model(scores.iloc[:38], ints.iloc[:38], covariates=(), treated=1, control=0)
    by_float = survival_model(scores, floats, covariates=(), treated=1, control=0)
    columns = ["n", "n_events", "n_control", "n_treated"]
    pd.testing.assert_frame_equal(by_float[columns], by_int[columns])
    assert by_float["n"].tolist() == [38, 38] and by_float["n_treated"].tolist() == [19, 19]
    km_int = kaplan_meier(scores.iloc[:38], ints.iloc[:38], arms=(0, 1))[1]
    km_float = kaplan_meier(scores, floats, arms=(0, 1))[1]
    assert len(km_float) == 4
    pd.testing.assert_frame_equal(km_float, km_int)
    # text "1"/"0" never equals the numbers 1/0: stop instead of an empty analysis
    text = obs.assign(arm=code.astype(str))
    with pytest.raises(InputError, match=r"^survival_model: no sample has arm 1 or 0 \(values: 0, 1\); "
                                         r"arm holds text and the arms asked for are numbers"):
        survival_model(scores, text, covariates=(), treated=1, control=0)
    with pytest.raises(InputError, match=r"^kaplan_meier: no sample has arm 0 or 1 \(values: 0, 1\); "
                                         r"arm holds text"):
        kaplan_meier(scores, text, arms=(0, 1))
    # as the sheet writes them, the text arms run
    assert survival_model(scores, text, covariates=(), treated="1", control="0")["n"].tolist() == [40, 40]
    # kept: one arm alone runs, other arms are left out, an empty arm column runs on no sample
    alone = survival_model(scores, floats[floats["arm"] == 0], covariates=(), treated=1, control=0)
    assert alone["n_treated"].tolist() == [0, 0] and alone["n_control"].tolist() == [19, 19]
    donors = floats.assign(arm=floats["arm"].where(np.arange(len(obs)) >= 10, 7.0))
    assert survival_model(scores, donors, covariates=(), treated=1, control=0)["n"].tolist() == [28, 28]
    empty = survival_model(scores, obs.assign(arm=np.nan), covariates=(), treated=1, control=0)
    assert empty["n"].tolist() == [0, 0]
    # a misspelt text arm still stops
    with pytest.raises(InputError, match=r"no sample has arm 'bmmnc' \(treated=\), but some have 'BM-MNC'"):
        survival_model(scores, obs.replace({"arm": {"bmmnc": "BM-MNC"}}), covariates=())


@pytest.mark.parametrize("written", [("TRUE", "FALSE"), ("true", "false"), ("True ", "False")])
def test_text_true_false_events_count_as_one_and_zero(written):
    scores, obs = _trial()
    text = obs.assign(afs_event=np.where(obs["afs_event"] == 1, *written))
    pd.testing.assert_frame_equal(survival_model(scores, text, covariates=()),
                                  survival_model(scores, obs, covariates=()))
    for got, want in zip(kaplan_meier(scores, text), kaplan_meier(scores, obs), strict=True):
        pd.testing.assert_frame_equal(got, want)
    assert survival_model(scores, text, covariates=())["n_events"].iloc[0] == \
        obs["afs_event"][obs["afs_days"] <= 183].sum()  # events up to the 6-month end point
    # other text stops, and the message does not claim it is accepted
    yes = obs.assign(afs_event=np.where(obs["afs_event"] == 1, "yes", "no"))
    with pytest.raises(InputError) as info:
        survival_model(scores, yes, covariates=())
    message = str(info.value)
    assert "40 sample(s) have no, yes (values: no, yes)" in message
    assert "True/False" not in message and "TRUE/FALSE" in message


def test_a_top_level_anchor_key_is_read_with_a_warning_and_contrast_keys_still_stop(tmp_path, caplog):
    path = tmp_path / "c.yaml"
    path.write_text("x-common: &base\n  variable: response\n  reference: nonresponder\n"
                    "  target: responder\ncontrasts:\n  - <<: *base\n    id: resp_all\n"
                    "  - <<: *base\n    id: resp_arm\n    blocking_factors: [arm]\n")
    logger = logging.getLogger("omics")
    logger.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.WARNING, logger="omics"):
            contrasts = read_contrasts(path)
    finally:
        logger.removeHandler(caplog.handler)
    assert [c.id for c in contrasts] == ["resp_all", "resp_arm"]
    assert [(c.variable, c.reference, c.target) for c in contrasts] == [
        ("response", "nonresponder", "responder")] * 2
    assert contrasts[1].blocking == ("arm",) and contrasts[0].blocking == ()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(set(warnings)) == 1 and "line 1: top-level key 'x-common' is not read" in warnings[0]
    # a contrast setting at top level would be ignored: it stops, as does a key close to contrasts
    entry = "contrasts:\n  - id: a\n    comparison: [arm, placebo, bmmnc]\n"
    for text, where in ((entry + "blocking_factors: [arm]\n", "line 4, key 'blocking_factors'"),
                        ("variable: arm\n" + entry, "line 1, key 'variable'"),
                        ("contrast:\n  - id: b\n" + entry, "did you mean 'contrasts'?")):
        path.write_text(text)
        with pytest.raises(InputError, match="unknown top-level key") as info:
            read_contrasts(path)
        assert where in str(info.value)
