"""Review h50 mends: an untested BM-MNC arm with a significant interaction is not prognostic;
an Excel-saved QuantStudio preamble; sets left without enough detected qPCR targets are named;
an empty flow-score correlation is warned about."""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd

import omics
from omics.io import read_qpcr


def test_untested_treated_arm_with_a_significant_interaction_is_not_prognostic():
    """Every BM-MNC patient responds (no treated-arm test) and the interaction is p ~ 7e-9:
    the old rule (coxfix M1) called the score prognostic; README's prognostic has no modification."""
    rng = np.random.default_rng(24)
    n = 20
    arm = np.array(["placebo"] * n + ["bmmnc"] * n)
    z = rng.normal(size=2 * n)
    y = (rng.uniform(size=2 * n) < 1 / (1 + np.exp(-2.5 * z))).astype(int)
    y[n:] = 1
    obs = pd.DataFrame({"arm": arm, "response": np.where(y == 1, "responder", "non_responder"),
                        "age": rng.normal(68, 8, 2 * n), "diabetes": rng.choice(["yes", "no"], 2 * n)},
                       index=[f"P{i}" for i in range(2 * n)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        row = omics.tl.response_model(pd.DataFrame({"s": z}, index=obs.index), obs, repeats=1).iloc[0]
    assert np.isnan(row["p_treated"]) and row["p_control"] < 1e-3 and row["p_interaction"] < 1e-6
    assert row["classification"] == "none"


def test_excel_quoted_preamble_line_is_part_of_the_preamble(tmp_path):
    """Excel quotes a preamble line holding a comma ("* ... = Stage2, Step2",,,)."""
    body = ["Well,Sample Name,Target Name,CT"] + [
        f"{i + 1},S0{i // 4 + 1},{'ACTB' if i % 4 < 2 else 'KDR'},{24 + i % 4 + 0.1 * i:.2f}"
        for i in range(8)]
    clean = tmp_path / "clean.csv"
    clean.write_text("\n".join(body) + "\n")
    saved = tmp_path / "excel.csv"
    saved.write_text("\n".join(["* Block Type = 96-Well Block (0.2mL),,,",
                                '"* Stage/ Cycle where Ct Analysis is performed = Stage2, Step2",,,',
                                ",,,", "[Results],,,", *body]) + "\n")
    got, want = read_qpcr(saved), read_qpcr(clean)
    pd.testing.assert_frame_equal(got.drop(columns="line"), want.drop(columns="line"))
    assert (got["line"] - want["line"]).eq(4).all()


def test_sets_left_without_enough_detected_targets_are_named(caplog):
    from omics.stages._score import MIN_SCORE_GENES, _complete_targets

    genes = [f"G{i}" for i in range(9)]
    expression = pd.DataFrame(1.0, index=["a", "b", "c"], columns=genes)
    expression.loc["a", ["G0", "G1", "G2", "G3"]] = np.nan  # undetermined in one sample
    panel = {"SET_KEPT": genes[4:8] + ["G0"], "SET_ALL": genes}  # SET_ALL keeps 5
    with caplog.at_level(logging.WARNING, logger="omics"):
        kept = _complete_targets(expression, panel, "rna")
    assert kept["SET_KEPT"] == genes[4:8] and len(kept["SET_KEPT"]) < MIN_SCORE_GENES
    assert "not scored: SET_KEPT" in caplog.text and "SET_ALL" not in caplog.text.split("not scored")[1]
