"""limma_fit against R limma 3.x topTable fixtures (tests/data/limma, made by
tests/reference/limma/make_limma_fixtures.R; R is not needed to run these tests)."""

from __future__ import annotations

import re
from itertools import product
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers import REPO, SHARED
from omics._errors import InputError
from omics.tl._limma import limma_fit

DATA = REPO / "tests" / "data" / "limma"
COLUMNS = ["logFC", "AveExpr", "t", "P.Value", "adj.P.Val", "B"]
CASES = pd.read_csv(DATA / "cases.tsv", sep="\t", dtype=str).set_index("case", drop=False)
PARAMS = pd.read_csv(DATA / "params.tsv", sep="\t", index_col=0)
TOL = 1e-8  # absolute, logFC / AveExpr / t / B: observed agreement is ~1e-13 (t at most 5.4e-13)
P_RTOL = 1e-10  # relative, P.Value / adj.P.Val (p down to 1e-40): observed at most 1.0e-12


def _resolve(path: str) -> Path:
    return SHARED / path.removeprefix("@shared/") if path.startswith("@shared/") else DATA / path


def _levels(spec: str) -> dict[str, list[str]]:
    return {k: v.split(",") for k, v in (item.split(":") for item in spec.split("|"))}


def model_matrix(sheet: pd.DataFrame, formula: str, levels: dict[str, list[str]]) -> pd.DataFrame:
    """Treatment-coded design like R's model.matrix for factor main effects and `a * b`."""
    rhs = formula.split("~", 1)[1]
    terms: list[list[str]] = []
    for part in (p.strip() for p in rhs.split("+")):
        factors = [f.strip() for f in re.split(r"[*:]", part)]
        if "*" in part:
            terms.extend([f] for f in factors if [f] not in terms)
            terms.append(factors)
        elif factors not in terms:
            terms.append(factors)
    terms.sort(key=len)  # R orders terms by interaction order
    cols = {"(Intercept)": np.ones(len(sheet))}
    for term in terms:
        # the first factor varies fastest, as in R
        for combo in product(*[levels[f][1:] for f in reversed(term)]):
            combo = combo[::-1]
            name = ":".join(f"{f}{lv}" for f, lv in zip(term, combo, strict=True))
            value = np.ones(len(sheet))
            for f, lv in zip(term, combo, strict=True):
                value = value * (sheet[f].to_numpy() == lv)
            cols[name] = value
    return pd.DataFrame(cols, index=sheet.index)


def _inputs(case: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.Series]:
    cs = CASES.loc[case]
    expr_path, sheet_path = _resolve(cs.expression), _resolve(cs.samplesheet)
    if not expr_path.exists():
        pytest.skip(f"input data not available: {expr_path}")
    expression = pd.read_csv(expr_path, sep="\t", index_col=0)
    sheet = pd.read_csv(sheet_path, sep="\t", dtype=str)
    samples = sheet[cs.sample_column].tolist()
    expression = expression[samples]
    sheet.index = samples
    design = model_matrix(sheet, cs.formula, _levels(cs.levels))
    if cs.drop_empty == "1":
        expression = expression[expression.notna().any(axis=1)]
    weights = dict(term.split("=") for term in cs.contrast.split(";"))
    contrast = pd.Series({k: float(v) for k, v in weights.items()})
    reference_design = pd.read_csv(DATA / f"{case}.design.tsv", sep="\t", index_col=0)
    return expression, design, contrast, reference_design


def check_columns_match_r(out: pd.DataFrame, ref: pd.DataFrame) -> None:
    """NaN pattern exactly R's; p-values relative (an absolute bound passes any p < TOL)."""
    for col in COLUMNS:
        ours, theirs = out[col].to_numpy(dtype=float), ref[col].to_numpy(dtype=float)
        np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs), err_msg=col)
        ok = ~np.isnan(theirs)
        if col in ("P.Value", "adj.P.Val"):
            np.testing.assert_allclose(ours[ok], theirs[ok], rtol=P_RTOL, atol=0, err_msg=col)
        else:
            assert np.max(np.abs(ours[ok] - theirs[ok])) < TOL, col


@pytest.mark.parametrize("case", CASES.index.tolist())
def test_matches_r_limma(case: str) -> None:
    cs = CASES.loc[case]
    expression, design, contrast, r_design = _inputs(case)
    assert list(design.columns) == list(r_design.columns)
    np.testing.assert_array_equal(design.to_numpy(), r_design.to_numpy(dtype=float))

    out = limma_fit(expression, design, contrast, trend=cs.trend == "1", robust=cs.robust == "1")
    ref = pd.read_csv(DATA / f"{case}.limma.tsv.gz", sep="\t", index_col=0)

    assert list(out.columns) == COLUMNS
    assert out.index.equals(expression.index)
    assert list(ref.index.astype(str)) == list(out.index.astype(str))
    check_columns_match_r(out, ref)
    for col in ("logFC", "t"):
        ok = out[col].notna().to_numpy()
        assert np.corrcoef(out[col][ok], ref[col][ok])[0, 1] >= 0.999

    ours_sig = set(out.index[out["adj.P.Val"] < 0.05])
    theirs_sig = set(ref.index[ref["adj.P.Val"] < 0.05])
    union = ours_sig | theirs_sig
    assert (len(ours_sig & theirs_sig) / len(union) if union else 1.0) >= 0.95

    params = PARAMS.loc[case]
    if params.df_prior_min == params.df_prior_max:
        assert out.attrs["df_prior"] == pytest.approx(params.df_prior_min, rel=1e-10)
    if params.s2_prior_min == params.s2_prior_max:
        assert out.attrs["s2_prior"] == pytest.approx(params.s2_prior_min, rel=1e-10)


def test_cases_cover_the_edge_cases() -> None:
    """The fixtures exercise non-estimable contrasts, df = 0 features and an infinite prior."""
    ref = pd.read_csv(DATA / "two_groups_missing.limma.tsv.gz", sep="\t", index_col=0)
    assert ref["logFC"].isna().sum() >= 20  # whole group / all but one value missing
    assert np.isinf(PARAMS.loc["homoscedastic", "df_prior_min"])
    assert (
        PARAMS.loc["group_batch_missing_robust", "df_prior_min"]
        < PARAMS.loc["group_batch_missing_robust", "df_prior_max"]
    )


def test_row_order_and_labels_are_kept() -> None:
    expression, design, contrast, _ = _inputs("two_groups_missing")
    shuffled = expression.sample(frac=1.0, random_state=1)
    out = limma_fit(expression, design, contrast)
    out_shuffled = limma_fit(shuffled, design, contrast)
    assert out_shuffled.index.equals(shuffled.index)
    pd.testing.assert_frame_equal(out_shuffled.loc[out.index], out, check_exact=False, rtol=1e-12)


def test_shape_mismatches_raise() -> None:
    expression, design, contrast, _ = _inputs("two_groups")
    with pytest.raises(InputError, match="rows"):
        limma_fit(expression.iloc[:, :-1], design, contrast)
    with pytest.raises(InputError, match="unknown"):
        limma_fit(expression, design, pd.Series({"groupC": 1.0}))
    with pytest.raises(InputError, match="order"):
        limma_fit(expression, design.iloc[::-1], contrast)


def test_all_missing_feature_gets_nan() -> None:
    expression, design, contrast, _ = _inputs("two_groups")
    expression = expression.copy()
    expression.iloc[0] = np.nan
    out = limma_fit(expression, design, contrast)
    assert out.iloc[0].isna().all()
    assert out.iloc[1:].notna().all().all()


def _bits(values: np.ndarray) -> np.ndarray:
    """The float64 bit patterns, NaN payloads set aside (any NaN is NaN)."""
    values = np.asarray(values, dtype=float)
    return np.where(np.isnan(values), np.int64(-1), values.view(np.int64))


@pytest.mark.parametrize("df", [1.0, 2.5, 3.7, 19.0, 38.0, 1e6, np.inf])
def test_t_tails_without_scipy_stats_are_those_of_scipy_stats(df: float) -> None:
    # eBayes uses these on every call; scipy.stats (0.25 s of imports) is their oracle,
    # bit for bit: signed zeros, infinities, NaN and tails past 1e-300 included.
    from scipy import stats

    from omics.tl._limma.distributions import t_isf, t_logsf, t_sf

    rng = np.random.default_rng(7)
    x = np.concatenate([rng.normal(0, 3, 5000), rng.standard_cauchy(2000) * 50,
                        [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-300, -1e-300, 40, 400, -400]])
    q = np.concatenate([rng.uniform(0, 1, 5000), np.exp(-rng.uniform(0, 700, 1000)),
                        [0.0, 1.0, 0.5, np.nan, -0.1, 1.1]])
    dfs = np.full(x.size, df)
    np.testing.assert_array_equal(_bits(t_sf(x, dfs)), _bits(stats.t.sf(x, dfs)))
    np.testing.assert_array_equal(_bits(t_logsf(x, dfs)), _bits(stats.t.logsf(x, dfs)))
    np.testing.assert_array_equal(_bits(t_isf(q, df)), _bits(stats.t.isf(q, df)))
    varying = rng.uniform(1, 40, x.size)
    np.testing.assert_array_equal(_bits(t_logsf(x, varying)), _bits(stats.t.logsf(x, varying)))


def test_limma_does_not_import_scipy_stats() -> None:
    import subprocess
    import sys

    # The default eBayes (missing values, so unequal residual df) on a fresh interpreter.
    code = ("import sys, numpy as np, pandas as pd; from omics.tl._limma import limma_fit; "
            "rng = np.random.default_rng(0); y = pd.DataFrame(rng.normal(size=(50, 8))); "
            "y.iloc[0, :3] = np.nan; d = pd.DataFrame({'a': np.ones(8), 'b': np.repeat([0.0, 1.0], 4)}); "
            "t = limma_fit(y, d, pd.Series({'b': 1.0})); assert t.notna().any().all(); "
            "print('scipy.stats' in sys.modules, 'scipy.optimize' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # scipy.optimize (0.1 s) is imported only by the tail inversion and the robust fit
    assert out.stdout.strip() == "False False", out.stderr


def test_quantiles_of_tails_beyond_exp_minus_700() -> None:
    # Below exp(-700) the t quantile is found by root finding on the log tail (brentq,
    # imported there): the quantile's log tail is the one asked for (down to the last
    # log tail a float represents, ~exp(-708)).
    from omics.tl._limma.distributions import _qt_upper_log, t_logsf

    log_p = np.array([-5.0, -701.0, -706.0])
    for df in (3.0, 20.0):
        q = _qt_upper_log(log_p, df)
        assert np.all(np.isfinite(q)) and np.all(np.diff(q) > 0)
        np.testing.assert_allclose(t_logsf(q, np.full(3, df)), log_p, rtol=1e-10)
