"""Findings of the h47 log2rna audit (/tmp/notes/h47_log2rna.md): RNA as qPCR Ct or log2 arrays."""

from __future__ import annotations

from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from helpers import qpcr_target_panel, raises_one_line
from omics.io import Contrast, read_qpcr
from omics.params import resolve
from omics.pp import qpcr_average_replicates
from omics.tl import limma

DEMO = Path(__file__).resolve().parents[1] / "metadata" / "demo"


# 1 ---------------------------------------------------------------------------------------------
def _array_with_a_probe_seen_only_outside_the_contrast() -> ad.AnnData:
    """40 features x 10 samples; F03 has values only in S8, S9 (arm 'x', left out by the contrast)."""
    rng = np.random.default_rng(47)
    level = np.linspace(4, 12, 40)[:, None]
    sd = 0.2 + 0.6 / (1 + np.exp(level - 8))
    y = np.round(level + rng.normal(0, 1, (40, 10)) * sd, 3)
    y[3, :8] = np.nan
    y[10, 2] = np.nan
    obs = pd.DataFrame({"group": ["A", "B"] * 5, "arm": ["y"] * 8 + ["x"] * 2},
                       index=[f"S{i}" for i in range(10)])
    adata = ad.AnnData(X=y.T.copy(), obs=obs,
                       var=pd.DataFrame(index=[f"F{i:02d}" for i in range(40)]))
    adata.uns["rna_format"] = "array"
    return adata


CONTRAST_Y = Contrast(id="b_vs_a", variable="group", reference="A", target="B",
                      exclude_samples_col="arm", exclude_samples_values=("x",))

#: R limma 3.54.1: eBayes(lmFit(y[keep, S0..S7], model.matrix(~g)), trend = TRUE) with the rows
#: without a value in S0..S7 (F03) left out (on all rows R stops: "NA covariate values not allowed").
R_TREND = {"F00": (0.740835687863059, 0.459539013117088, 0.896101075578322, -4.61474344306466),
           "F10": (1.266071079397783, 0.206752009192246, 0.896101075578322, -4.57556832085011),
           "F39": (0.171746298851181, 0.863786056026271, 0.943276788107796, -4.63540727831641)}


def test_f1_trend_gives_an_na_row_for_a_feature_without_values_in_the_contrast(caplog):
    adata = _array_with_a_probe_seen_only_outside_the_contrast()
    with caplog.at_level("WARNING", logger="omics"):
        table = limma(adata, CONTRAST_Y, trend=True).set_index("feature_id")
    assert table.loc["F03", ["logFC", "AveExpr", "t", "P.Value", "adj.P.Val", "B"]].isna().all()
    assert table.drop(index="F03")["t"].notna().all()
    for feature, expected in R_TREND.items():
        got = table.loc[feature, ["t", "P.Value", "adj.P.Val", "B"]].to_numpy(float)
        np.testing.assert_allclose(got, expected, rtol=1e-9)
    assert "1 feature(s) without an observed value" in caplog.text and "F03" in caplog.text


def test_f1_other_features_are_as_without_the_empty_one():
    adata = _array_with_a_probe_seen_only_outside_the_contrast()
    table = limma(adata, CONTRAST_Y, trend=True).set_index("feature_id").drop(index="F03")
    alone = limma(adata[:, adata.var_names != "F03"].copy(), CONTRAST_Y, trend=True).set_index("feature_id")
    pd.testing.assert_frame_equal(table, alone)


def test_f1_control_without_trend_the_row_was_already_na():
    """Control (passes on the old code too): trend=False gives the NA row."""
    adata = _array_with_a_probe_seen_only_outside_the_contrast()
    table = limma(adata, CONTRAST_Y, trend=False).set_index("feature_id")
    assert np.isnan(table.loc["F03", "t"]) and table.drop(index="F03")["t"].notna().all()


# 2 ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("order", [[27.0, 27.6, 28.2], [28.2, 27.6, 27.0], [27.6, 28.2, 27.0]])
def test_f2_an_evenly_spread_triplet_keeps_every_well_in_any_order(order):
    long = pd.DataFrame({"sample": "S1", "target": "VEGFA", "ct": order})
    _, reps = qpcr_average_replicates(long)
    row = reps.iloc[0]
    assert row["ct_mean"] == pytest.approx(27.6, abs=1e-12)
    assert row["n_used"] == 3
    assert row["flag"] == "high_sd"


def test_f2_control_a_single_farthest_well_is_still_dropped():
    """Control (passes on the old code too): 27.0, 27.1, 28.5 drops 28.5 in either order."""
    for order in ([27.0, 27.1, 28.5], [28.5, 27.1, 27.0]):
        _, reps = qpcr_average_replicates(pd.DataFrame({"sample": "S1", "target": "T", "ct": order}))
        assert reps.iloc[0]["ct_mean"] == pytest.approx(27.05)
        assert reps.iloc[0]["flag"] == "outlier_removed"


def test_review_equal_farthest_cts_drop_one_well_as_before():
    """Review h47: two farthest wells with one Ct (31.0, 31.0) are no tie of different wells:
    dropping either gives the same set, so one is dropped, as before the tie rule."""
    for order in ([27.0, 27.1, 27.2, 31.0, 31.0], [31.0, 27.2, 31.0, 27.1, 27.0]):
        _, reps = qpcr_average_replicates(pd.DataFrame({"sample": "S1", "target": "T", "ct": order}))
        assert reps.iloc[0]["n_used"] == 4
        assert reps.iloc[0]["ct_mean"] == pytest.approx(28.075)
        assert "outlier_removed" in reps.iloc[0]["flag"]


def test_review_qpcr_max_ct_above_the_ct_bound_stops():
    """Review h47: a --qpcr_max_ct above 60 would call Cts it cannot read (above 60 stops)."""
    from omics._errors import InputError

    with pytest.raises(InputError, match="qpcr_max_ct"):
        resolve({"qpcr_max_ct": 65})
    assert resolve({"qpcr_max_ct": 60})["qpcr_max_ct"] == 60


# 3, 4 ------------------------------------------------------------------------------------------
def _ct_table(tmp_path: Path, bad: str) -> Path:
    lines = ["sample\ttarget\treplicate\tCt"]
    for s in ("S1", "S2"):
        for t in ("ACTB", "VEGFA"):
            lines += [f"{s}\t{t}\t{r}\t2{r}.{r}5" for r in (1, 2, 3)]
    lines[8] = lines[8].rsplit("\t", 1)[0] + "\t" + bad  # line 9: S2, ACTB, replicate 2
    path = tmp_path / "ct.tsv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_f3_an_impossible_ct_stops_naming_the_cell(tmp_path):
    path = _ct_table(tmp_path, "2750")
    raises_one_line(lambda: read_qpcr(path), "ct.tsv", "column 'Ct', line 9 (sample 'S2', target 'ACTB')",
                    "'2750'", "60")


def test_f3_control_a_ct_above_max_ct_below_the_bound_is_not_detected(tmp_path):
    """Control (passes on the old code too): 45 is read, and counts as not detected."""
    long = read_qpcr(_ct_table(tmp_path, "45"))
    assert long["ct"].iloc[7] == 45.0
    _, reps = qpcr_average_replicates(long)
    flag = reps.set_index(["sample", "target"]).loc[("S2", "ACTB"), "flag"]
    assert "partly_undetermined" in flag


def test_f4_a_thousands_ct_in_a_decimal_point_table_is_named(tmp_path):
    path = _ct_table(tmp_path, "1.234,5")
    text = raises_one_line(lambda: read_qpcr(path), "line 9 (sample 'S2', target 'ACTB')", "'1.234,5'",
                           "column 'Ct'")
    assert "line 2" not in text


# 5 ---------------------------------------------------------------------------------------------
def test_f5_methods_name_the_moderated_t_for_limma_rna(tmp_path):
    from omics.io._contrasts import Contrast as C
    from omics.params import defaults
    from omics.report._context import Context
    from omics.report._discover import Results
    from omics.report._methods import methods

    (tmp_path / "enrichment").mkdir()
    (tmp_path / "differential").mkdir()
    pd.DataFrame({"feature_id": ["f"]}).to_csv(tmp_path / "differential" / "c1.rna.limma.results.tsv",
                                               sep="\t", index=False)
    pd.DataFrame({"term": ["T0", "T1", "B0"], "collection": ["panel", "panel", "background"]}).to_csv(
        tmp_path / "enrichment" / "c1.rna.gsea.tsv", sep="\t", index=False)
    obs = pd.DataFrame({"group": ["a", "b"] * 2}, index=[f"S{i}" for i in range(4)])
    ctx = Context(results=Results(tmp_path), params={**defaults(), "rna_format": "qpcr"}, obs=obs,
                  contrasts={"c1": C(id="c1", variable="group", reference="a", target="b")})
    text = methods(ctx)
    assert "ranked by the moderated t (RNA)" in text and "Wald" not in text


# 6 ---------------------------------------------------------------------------------------------
def test_f6_tl_limma_uses_the_trend_the_array_prep_records():
    adata = _array_with_a_probe_seen_only_outside_the_contrast()
    adata = adata[:, adata.var_names != "F03"].copy()
    default = limma(adata, CONTRAST_Y)
    pd.testing.assert_frame_equal(default, limma(adata.copy(), CONTRAST_Y, trend=True))
    assert adata.uns["limma_params"]["b_vs_a"]["trend"] is True
    # as omics.io.read_array_matrix records it
    del adata.uns["rna_format"]
    adata.uns["rna_input"] = {"format": "array_tsv"}
    pd.testing.assert_frame_equal(limma(adata, CONTRAST_Y), default)


def test_f6_control_other_data_keep_trend_false():
    """Control (passes on the old code too): qPCR and unlabelled data default to trend=False."""
    adata = _array_with_a_probe_seen_only_outside_the_contrast()
    adata = adata[:, adata.var_names != "F03"].copy()
    adata.uns["rna_format"] = "qpcr"
    pd.testing.assert_frame_equal(limma(adata, CONTRAST_Y), limma(adata.copy(), CONTRAST_Y, trend=False))


# 7 ---------------------------------------------------------------------------------------------
def _qpcr_check(tmp_path: Path, **options: object) -> None:
    from omics.stages._validate import check_inputs

    matrix, gmt = qpcr_target_panel(tmp_path)
    check_inputs(input=DEMO / "samplesheet.csv", contrasts=DEMO / "contrasts.yaml",
                 params=resolve({"genesets": str(gmt), "rna_format": "qpcr",
                                 "qpcr_reference_genes": "TGT00,TGT01", **options}),
                 rna_matrix=matrix)


def test_f7_count_options_with_qpcr_input_are_named_as_ignored(tmp_path, caplog):
    with caplog.at_level("WARNING", logger="omics"):
        _qpcr_check(tmp_path, deseq2_shrink=True, deseq2_alpha=0.01, rna_min_count=50)
    lines = [r.getMessage() for r in caplog.records if "ignored" in r.getMessage()]
    assert len(lines) == 1, lines
    assert "--rna_min_count, --deseq2_shrink, --deseq2_alpha ignored" in lines[0] and "qpcr" in lines[0]


def test_f7_control_default_count_options_say_nothing(tmp_path, caplog):
    """Control (passes on the old code too): defaults give no warning."""
    with caplog.at_level("WARNING", logger="omics"):
        _qpcr_check(tmp_path)
    assert "ignored" not in caplog.text


@pytest.mark.parametrize(("rna_format", "label"), [
    ("qpcr", "mean -delta-Ct (log2 relative quantity)"),
    ("array", None),  # the MA plot's default, mean log2 intensity, is right for arrays
    ("counts", None),
])
def test_f5_the_qpcr_ma_plot_says_what_its_mean_is(tmp_path: Path, rna_format: str, label: str | None):
    from omics.params import defaults
    from omics.report._context import Context, Results
    from omics.report._sections import mean_label

    ctx = Context(results=Results(tmp_path), params={**defaults(), "rna_format": rna_format},
                  obs=pd.DataFrame(), contrasts={})
    assert mean_label(ctx, "rna") == label
