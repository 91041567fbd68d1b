"""h44 QC audit: low-count default of formula designs, outlier rule and flat samples, messages."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import pytest

import omics
from omics._errors import InputError
from omics.io import read_contrasts, read_qpcr
from omics.pp import filter_valid_values, impute, qpcr_average_replicates, qpcr_delta_ct
from omics.tl import design_for_contrast, smallest_group


# (1) The same continuous model written two ways gets the same default rna_min_samples.
def test_formula_without_categorical_variable_takes_the_continuous_rule(tmp_path):
    rng = np.random.default_rng(0)
    sheet = pd.DataFrame({"potency_perfusion_ratio": rng.normal(size=12),
                          "arm": ["bmmnc", "placebo"] * 6},
                         index=pd.Index([f"S{i}" for i in range(12)], name="sample"))
    path = tmp_path / "contrasts.yaml"
    path.write_text("contrasts:\n"
                    "  - id: cont\n    type: continuous\n    comparison: [potency_perfusion_ratio]\n"
                    "  - id: form\n    formula: \"~ potency_perfusion_ratio\"\n"
                    "    make_contrasts_str: potency_perfusion_ratio\n"
                    "  - id: blocked\n    formula: \"~ arm + potency_perfusion_ratio\"\n"
                    "    make_contrasts_str: potency_perfusion_ratio\n")
    sizes = {c.id: smallest_group(design_for_contrast(sheet, c, samples=sheet.index))
             for c in read_contrasts(path)}
    assert sizes["form"] == sizes["cont"] == max(2, 12 // 3)
    assert sizes["blocked"] == 6  # a categorical variable: its smallest cell, as before


def _cohort(seed: int = 3, n: int = 12) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.normal(8, 2, 2000)
    x = base + rng.normal(0, 0.3, (n, 2000))
    x[1] = rng.permutation(x[1])  # S1: a garbage sample, r ~ 0 to the others
    return x


def _adata(x: np.ndarray) -> ad.AnnData:
    adata = ad.AnnData(x)
    adata.obs_names = [f"S{i}" for i in range(x.shape[0])]
    return adata


# (7) One constant sample must not switch the correlation rule off for the others.
def test_a_constant_sample_is_flagged_and_the_others_keep_their_correlation_rule(caplog):
    x = _cohort()
    x[0] = 8.0  # S0: constant values
    with caplog.at_level("WARNING", logger="omics"):
        table = omics.tl.sample_qc(_adata(x), layer=None, seed=0)
    assert np.isfinite(table["correlation_robust_z"].drop("S0")).all()
    assert table.loc["S1", "correlation_robust_z"] < -3 and table.loc["S1", "outlier"]
    assert table.loc["S0", "outlier"] and np.isnan(table.loc["S0", "median_correlation"])
    assert "'S0'" in caplog.text and "no defined correlation" in caplog.text
    assert table.attrs["outlier_reasons"]["S0"].endswith("no defined correlation")


def test_without_a_constant_sample_the_flags_are_unchanged():  # control: passes on old code too
    table = omics.tl.sample_qc(_adata(_cohort()), layer=None, seed=0)
    assert table.loc["S1", "outlier"] and np.isfinite(table["correlation_robust_z"]).all()


# (2) The rule and the criteria that fired are stated where users see them.
def test_outlier_rule_and_reasons_are_stated():
    adata = _adata(_cohort())
    table = omics.tl.sample_qc(adata, layer=None, seed=0)
    rule = table.attrs["outlier_rule"]
    assert "correlation_robust_z < -3" in rule and "pc_distance > 4.24" in rule
    assert adata.uns["sample_qc"]["outlier_rule"] == rule
    reasons = table.attrs["outlier_reasons"]
    assert set(reasons) == set(table.index[table["outlier"]])
    assert reasons["S1"].startswith("correlation_robust_z ")


def _stage_qc(tmp_path, caplog) -> dict:
    from omics.stages._qc import qc

    rng = np.random.default_rng(5)
    x = rng.normal(20, 2, 300) + rng.normal(0, 0.3, (12, 300))
    x[1] = rng.permutation(x[1])
    x[1, :60] = np.nan  # the flagged sample also misses the most values
    adata = _adata(x)
    adata.obs["response"] = ["responder", np.nan] + ["non_responder"] * 10
    adata.uns["modality"] = "protein"
    adata.uns["protein_input"] = {"is_log2": True}
    path = tmp_path / "protein.h5ad"
    adata.write_h5ad(path)
    with caplog.at_level("WARNING", logger="omics"):
        return qc(h5ad=path, modality="protein", outdir=tmp_path, params={"seed": 0})


def test_qc_stage_logs_flagged_samples_their_criteria_and_the_rule(tmp_path, caplog):
    _stage_qc(tmp_path, caplog)
    assert "'S1' (correlation_robust_z" in caplog.text and "Rule: outlier = " in caplog.text
    assert "the most missing values" in caplog.text  # (3) the flag coincides with missingness


def test_qc_stage_writes_a_missing_response_empty(tmp_path, caplog):
    out = _stage_qc(tmp_path, caplog)
    pca = pd.read_csv(out["pca"], sep="\t", keep_default_na=False)
    assert pca.loc[pca["sample"] == "S1", "response"].item() == ""
    assert "nan" not in out["pca"].read_text()


# (4) A protein sample emptied by the valid-value filter: named, with advice that works.
def _emptied() -> ad.AnnData:
    rng = np.random.default_rng(2)
    x = rng.normal(20, 1, (8, 30))
    x[0] = np.nan
    x[0, :2] = 21.0  # S0 observed in 2 proteins ...
    x[1:, :2] = np.nan  # ... that no other sample has
    adata = _adata(x)
    adata.uns["protein_input"] = {"is_log2": True}
    return adata


def test_valid_value_filter_names_an_emptied_sample_and_a_fraction_that_keeps_it():
    with pytest.raises(InputError) as raised:
        filter_valid_values(_emptied(), min_fraction=0.7, copy=True)
    text = str(raised.value)
    assert "'S0'" in text and "valid-value filter" in text and "protein_min_valid_fraction" in text
    assert "to 0.12 or less and impute" in text  # 1 of 8 samples; then no protein is complete
    kept = filter_valid_values(_emptied(), min_fraction=0.12, copy=True)  # following the advice
    assert np.isfinite(kept.X[0]).any()


def test_impute_message_names_the_valid_value_filter():
    adata = _emptied()[:, 2:].copy()
    adata.uns["protein_preprocessing"] = {"filter_valid_values": {"n_removed": 2}}
    with pytest.raises(InputError, match="no observed value left after the valid-value filter"):
        impute(adata, method="minprob", seed=1)


# (4b) --qpcr_undetermined missing: the warning says there is no value.
def test_missing_policy_warning_says_the_target_has_no_value(tmp_path, caplog):
    lines = ["Sample Name\tTarget Name\tReplicate\tCT"]
    for i, sample in enumerate(["S1", "S2", "S3"]):
        lines += [f"{sample}\tREF1\t1\t{20 + i * 0.1}", f"{sample}\tVEGFA\t1\t{25 + i * 0.3}",
                  f"{sample}\tCCL2\t1\tUndetermined"]
    path = tmp_path / "ct.tsv"
    path.write_text("\n".join(lines) + "\n")
    adata, _ = qpcr_average_replicates(read_qpcr(path), undetermined="missing")
    with caplog.at_level("WARNING", logger="omics"):
        out = qpcr_delta_ct(adata, reference_genes=["REF1"])
    assert np.isnan(out[:, "CCL2"].X).all()
    assert "CCL2" in caplog.text and "no value in any sample" in caplog.text
    assert "Ct limit" not in caplog.text


# (6) The blind VST says what it is and how far it is from R's.
def test_vst_docstring_states_blind_dispersions_fallback_and_distance_to_r():
    doc = " ".join(omics.pp.normalize_deseq2.__doc__.split())
    assert "blind" in doc and "pydeseq2's, not the R-matched estimator" in doc
    assert "0.003 log2" in doc and "0.016 log2" in doc and "locfit" in doc
