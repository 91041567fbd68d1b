"""The non-count RNA paths (RT-qPCR Cts, log2 microarray matrices): audit h41's findings.

Each test of a finding fails on the code before the fix; the controls (named ``control``)
pass on both.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from helpers import log_records, raises_one_line
from omics._errors import InputError
from omics.io import read_array_matrix, read_qpcr, read_qpcr_efficiency
from omics.pp import collapse_probes, genorm, genorm_m, qpcr_average_replicates, qpcr_delta_ct
from omics.stages._rna_input import prepare_rna_log2
from omics.stages._validate import _check_complete_features

SAMPLES = ["S1", "S2", "S3", "S4", "S5", "S6"]
QPCR_PARAMS = {"rna_format": "qpcr", "qpcr_max_ct": 35.0, "qpcr_replicate_sd": 0.5,
               "qpcr_undetermined": "limit", "qpcr_reference_genes": None,
               "qpcr_reference_candidates": None, "qpcr_efficiency": None}
#: Reference genes and targets: base Ct and a per-sample step.
PANEL = {"ACTB": (18.0, 0.05), "GAPDH": (20.0, -0.04), "HPRT1": (24.0, 0.08),
         "VEGFA": (26.0, 0.4), "KDR": (27.0, -0.3)}


def _sheet() -> pd.DataFrame:
    return pd.DataFrame({"arm": ["a", "b"] * 3}, index=pd.Index(SAMPLES, name="sample"))


def _wells(panel: dict = PANEL) -> pd.DataFrame:
    rows = [{"sample": s, "target": t, "replicate": str(r + 1), "plate": "",
             "ct": base + step * i + 0.1 * ((i * 7 + j * 3) % 5) + 0.05 * r}
            for i, s in enumerate(SAMPLES) for j, (t, (base, step)) in enumerate(panel.items())
            for r in range(2)]
    return pd.DataFrame(rows)


def _ct_file(tmp_path: Path, wells: pd.DataFrame | None = None) -> Path:
    path = tmp_path / "ct.tsv"
    (_wells() if wells is None else wells)[["sample", "target", "ct"]].to_csv(path, sep="\t",
                                                                           index=False)
    return path


def _cts() -> ad.AnnData:
    return qpcr_average_replicates(_wells())[0]


def _array_file(tmp_path: Path, symbols: list[str] | None = None, blank_probe: int | None = None,
                blank_sample: str | None = None) -> Path:
    rng = np.random.default_rng(4)
    values = pd.DataFrame(rng.normal(8, 1, (6, len(SAMPLES))).round(3), columns=SAMPLES)
    values.insert(0, "probe_id", [f"{i}_at" for i in range(1, 7)])
    if symbols is not None:
        values.insert(1, "symbol", symbols)
    if blank_probe is not None:
        values.loc[blank_probe, SAMPLES] = np.nan
    if blank_sample is not None:
        values[blank_sample] = np.nan
    path = tmp_path / "array.tsv"
    values.to_csv(path, sep="\t", index=False, na_rep="NA")
    return path


# F1 -------------------------------------------------------------------------------------


def test_f1_array_probe_without_values_is_left_out_and_logged(tmp_path):
    path = _array_file(tmp_path, blank_probe=2)
    with warnings.catch_warnings(), log_records("pp", logging.WARNING) as records:
        warnings.simplefilter("error", RuntimeWarning)
        out = prepare_rna_log2(path, _sheet(), {"rna_format": "array"})
    assert list(out.var_names) == ["1_at", "2_at", "4_at", "5_at", "6_at"]
    assert np.isfinite(out.X).all()
    (record,) = records
    assert "1 probe(s) with no value" in record.getMessage() and "3_at" in record.getMessage()


def test_f1_control_probe_with_one_value_is_kept(tmp_path):
    frame = pd.read_csv(_array_file(tmp_path), sep="\t")
    frame.loc[0, SAMPLES[1:]] = np.nan
    frame.to_csv(tmp_path / "one.tsv", sep="\t", index=False, na_rep="NA")
    out = prepare_rna_log2(tmp_path / "one.tsv", _sheet(), {"rna_format": "array"})
    assert out.n_vars == 6 and np.isfinite(out.X[:, 0]).sum() == 1


# F2 -------------------------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["NA", "---", "nan", "N/A"])
def test_f2_missing_symbol_spellings_are_no_symbol(tmp_path, missing):
    path = _array_file(tmp_path, symbols=["TP53", "EGFR", missing, missing, missing, missing])
    adata = read_array_matrix(path)
    assert list(adata.var["gene_name"]) == ["TP53", "EGFR", "", "", "", ""]
    assert list(collapse_probes(adata).var_names) == ["TP53", "EGFR", "3_at", "4_at", "5_at", "6_at"]


def test_f2_collapse_probes_treats_dashes_as_no_symbol():
    adata = ad.AnnData(np.arange(12, dtype=float).reshape(3, 4),
                       var=pd.DataFrame({"gene_name": ["TP53", "---", "NA", "TP53"]},
                                        index=["p1", "p2", "p3", "p4"]))
    assert list(collapse_probes(adata).var_names) == ["p2", "p3", "TP53"]


# F3 -------------------------------------------------------------------------------------


def test_f3_efficiency_targets_not_in_the_ct_table_stop(tmp_path):
    eff = tmp_path / "eff.tsv"
    eff.write_text("target\tefficiency\nactb\t1.9\nVEGFA\t1.95\nKDRX\t1.9\n")
    params = {**QPCR_PARAMS, "qpcr_reference_genes": "ACTB,GAPDH", "qpcr_efficiency": str(eff)}
    raises_one_line(lambda: prepare_rna_log2(_ct_file(tmp_path), _sheet(), params),
                    "eff.tsv", "'actb', 'KDRX' are not in the Ct table", "'actb' -> 'ACTB'",
                    "'KDRX' -> 'KDR'")


def test_f3_efficiency_file_matching_no_target_stops_in_the_api():
    efficiency = pd.Series({"actb": 1.9, "hprt1": 1.95})
    raises_one_line(lambda: qpcr_delta_ct(_cts(), reference_genes=["ACTB"], efficiency=efficiency),
                    "pp.qpcr_delta_ct: efficiency: none of its targets is in the Ct table")


def test_f3_targets_with_the_default_factor_are_logged():
    with log_records("pp") as records:
        qpcr_delta_ct(_cts(), reference_genes=["ACTB"], efficiency=pd.Series({"VEGFA": 1.9}))
    assert any("efficiency 2 (100 %) for 4 target(s)" in r.getMessage()
               and "GAPDH, HPRT1, KDR" in r.getMessage() for r in records)


# F4 -------------------------------------------------------------------------------------


@pytest.mark.parametrize("option", ["qpcr_reference_genes", "qpcr_reference_candidates"])
def test_f4_repeated_gene_in_an_option_stops(tmp_path, option):
    params = {**QPCR_PARAMS, option: "ACTB,HPRT1, ACTB"}
    with pytest.raises(InputError) as error:
        prepare_rna_log2(_ct_file(tmp_path), _sheet(), params)
    assert f"'ACTB' is given twice in --{option}" in error.value.render(lambda n: f"--{n}")


@pytest.mark.parametrize("argument", ["reference_genes", "candidates"])
def test_f4_repeated_gene_in_the_api_stops(argument):
    raises_one_line(lambda: qpcr_delta_ct(_cts(), **{argument: ["ACTB", "GAPDH", "ACTB"]}),
                    f"'ACTB' is given twice in {argument}")


# F5 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("change", "needle"), [
    ({"ct": "abc"}, "Ct 'abc'"),
    ({"ct": -1.0}, "is not a positive number"),
    ({"sample": np.nan}, "has no sample"),
])
def test_f5_bad_wells_stop(change, needle):
    wells = _wells()
    for column, value in change.items():
        wells[column] = wells[column].astype(object)
        wells.loc[3, column] = value
    raises_one_line(lambda: qpcr_average_replicates(wells), needle)


@pytest.mark.parametrize(("kwargs", "needle"), [
    ({"max_ct": "35"}, "max_ct '35' is not a positive number"),
    ({"max_ct": -1}, "max_ct -1 is not a positive number"),
    ({"max_sd": None}, "max_sd None is not a non-negative number"),
    ({"undetermined": "Limit"}, "undetermined policy 'Limit'"),
])
def test_f5_bad_options_stop(kwargs, needle):
    raises_one_line(lambda: qpcr_average_replicates(_wells(), **kwargs), needle)


def test_f5_read_qpcr_of_a_table_stops():
    raises_one_line(lambda: read_qpcr(_wells()), "io.read_qpcr: got DataFrame")


def test_f5_repeated_efficiency_target_stops():
    efficiency = pd.Series([1.9, 1.95], index=["VEGFA", "VEGFA"])
    raises_one_line(lambda: qpcr_delta_ct(_cts(), reference_genes=["ACTB"], efficiency=efficiency),
                    "lists target 'VEGFA' twice")


def _genorm_ct(n_samples: int = 6) -> pd.DataFrame:
    return pd.DataFrame(np.asarray(_cts().layers["ct"])[:n_samples, :3], columns=["ACTB", "GAPDH", "HPRT1"],
                        index=SAMPLES[:n_samples])


@pytest.mark.parametrize(("call", "needle"), [
    (lambda: genorm(_genorm_ct()[["ACTB"]]), "1 gene(s); geNorm needs at least 2 genes"),
    (lambda: genorm(_genorm_ct(2)), "2 sample(s) x 3 gene(s); geNorm needs at least 2 genes and 3"),
    (lambda: genorm(_genorm_ct()[["ACTB", "GAPDH", "ACTB"]]), "gene 'ACTB' is a column twice"),
    (lambda: genorm(_genorm_ct(), cutoff=-1), "cutoff -1 is not a positive number"),
    (lambda: genorm_m(_genorm_ct().to_numpy()), "pp.genorm_m: got ndarray"),
    (lambda: genorm_m(_genorm_ct().assign(ACTB=lambda f: f["ACTB"].where(f.index != "S2"))),
     "'ACTB' (1 of 6 samples)"),
    (lambda: collapse_probes(pd.DataFrame({"a": [1.0]})), "pp.collapse_probes: got DataFrame"),
    (lambda: collapse_probes(ad.AnnData(np.ones((2, 2))), layer="nope"), "no layer 'nope'"),
])
def test_f5_genorm_and_collapse_stop(call, needle):
    raises_one_line(call, needle)


def test_f5_genorm_with_text_cts_is_genorm_of_the_numbers():
    ct = _genorm_ct()
    pd.testing.assert_frame_equal(genorm(ct.astype(str)).stability, genorm(ct).stability)


def test_f5_delta_ct_on_two_samples_stops_in_genorm():
    raises_one_line(lambda: qpcr_delta_ct(_cts()[:2].copy()), "geNorm needs at least 3 samples",
                    "qpcr_reference_genes")


def test_f5_gene_lists_as_one_string_are_lists():
    adata = _cts()
    given = qpcr_delta_ct(adata, reference_genes="ACTB, GAPDH")
    assert given.uns["qpcr"]["reference_genes"] == ["ACTB", "GAPDH"]
    np.testing.assert_array_equal(given.X, qpcr_delta_ct(adata, reference_genes=["ACTB", "GAPDH"]).X)
    assert qpcr_delta_ct(adata, reference_genes="ACTB").uns["qpcr"]["reference_genes"] == ["ACTB"]
    chosen = qpcr_delta_ct(adata, candidates="ACTB,GAPDH,HPRT1")
    assert chosen.uns["qpcr"]["reference_genes"] == qpcr_delta_ct(
        adata, candidates=["ACTB", "GAPDH", "HPRT1"]).uns["qpcr"]["reference_genes"]


# F6 -------------------------------------------------------------------------------------


def test_f6_target_undetermined_everywhere_is_named_in_a_warning():
    wells = _wells()
    wells.loc[wells["target"] == "KDR", "ct"] = np.nan
    adata = qpcr_average_replicates(wells)[0]
    with log_records("pp", logging.WARNING) as records:
        out = qpcr_delta_ct(adata, reference_genes=["ACTB", "GAPDH"])
    assert "KDR" in out.var_names  # kept: the demo panel's tables stay as they are
    assert any("target(s) KDR undetermined in every sample" in r.getMessage() for r in records)


# F7 -------------------------------------------------------------------------------------


def test_f7_array_sample_column_without_values_is_named(tmp_path):
    path = _array_file(tmp_path, blank_sample="S4")
    raises_one_line(lambda: prepare_rna_log2(path, _sheet(), {"rna_format": "array"}),
                    "array.tsv", "column 'S4'", "have no value")


def test_f7_no_qpcr_hint_for_an_array():
    values = np.arange(12, dtype=float).reshape(4, 3)
    values[0, :] = np.nan
    adata = ad.AnnData(values)
    text = raises_one_line(lambda: _check_complete_features(adata, "rna", {"rna_format": "array"},
                                                            "m.tsv"), "sample QC's PCA")
    assert "qpcr" not in text


# F8 -------------------------------------------------------------------------------------


def test_f8_three_candidates_docstring_and_warning_agree():
    rng = np.random.default_rng(0)
    ct = pd.DataFrame(20 + rng.normal(0, 1, (10, 3)), columns=["A", "B", "C"])
    with log_records("pp", logging.WARNING) as records:
        result = genorm(ct)
    assert result.variation["V"].iloc[0] >= 0.15 and result.n_selected == 2
    assert "with three two" in " ".join(genorm.__doc__.split())
    assert any("no pairwise variation V(n/n+1) is below 0.15" in r.getMessage() for r in records)


# F9 -------------------------------------------------------------------------------------


def test_f9_sd_still_high_after_the_outlier_is_flagged():
    wells = pd.DataFrame({"sample": "S1", "target": "VEGFA", "ct": [20.0, 21.0, 22.5]})
    table = qpcr_average_replicates(wells)[1]
    assert table["flag"].iloc[0] == "outlier_removed;high_sd"
    assert table["ct_mean"].iloc[0] == 20.5


def test_f9_control_outlier_removed_alone():
    wells = pd.DataFrame({"sample": "S1", "target": "VEGFA", "ct": [20.0, 20.2, 22.5]})
    assert qpcr_average_replicates(wells)[1]["flag"].iloc[0] == "outlier_removed"


# F10 ------------------------------------------------------------------------------------


def test_l1_one_decimal_comma_among_points_is_the_cell_named(tmp_path):
    path = tmp_path / "ct.tsv"
    path.write_text("sample\ttarget\tct\nS1\tACTB\t18.689\nS1\tACTB\t18.7\nS2\tACTB\t18,5\n"
                    "S2\tACTB\t18.4\n")
    raises_one_line(lambda: read_qpcr(path), "line 4 (sample 'S2', target 'ACTB')",
                    "Ct '18,5' has a decimal comma", "Write it as 18.5")


def test_l1_control_decimal_commas_throughout(tmp_path):
    path = tmp_path / "ct.tsv"
    path.write_text("sample\ttarget\tct\nS1\tACTB\t18,689\nS2\tACTB\t18,5\n")
    assert read_qpcr(path)["ct"].tolist() == [18.689, 18.5]


def test_l2_efficiency_with_a_percent_sign(tmp_path):
    path = tmp_path / "eff.tsv"
    path.write_text("target\tefficiency\nACTB\t91.7%\nVEGFA\t95 %\nKDR\t1.9\n")
    assert read_qpcr_efficiency(path).round(4).to_dict() == {"ACTB": 1.917, "VEGFA": 1.95, "KDR": 1.9}


def test_l3_candidate_not_detected_everywhere_is_named():
    wells = _wells()
    wells.loc[(wells["sample"] == "S3") & (wells["target"] == "HPRT1"), "ct"] = np.nan
    adata = qpcr_average_replicates(wells)[0]
    with log_records("pp", logging.WARNING) as records:
        qpcr_delta_ct(adata, candidates=["ACTB", "GAPDH", "HPRT1"])
    assert any("candidate reference gene(s) HPRT1 not detected in every sample" in r.getMessage()
               for r in records)


def test_l4_qpcr_options_of_a_counts_run_are_named_once():
    from omics.stages._validate import _warn_qpcr_options_ignored

    params = {**QPCR_PARAMS, "rna_format": "counts", "qpcr_reference_genes": "NOPE",
              "qpcr_efficiency": "eff.tsv"}
    with log_records("validate", logging.WARNING) as records:
        _warn_qpcr_options_ignored(params, "counts.tsv")
    (record,) = records
    assert "--qpcr_reference_genes, --qpcr_efficiency ignored" in record.getMessage()


def test_l5_empty_replicate_cells_read_as_pp_takes_them(tmp_path):
    path = tmp_path / "ct.tsv"
    path.write_text("sample\ttarget\treplicate\tct\nS1\tVEGFA\t\t25.1\nS1\tVEGFA\t\t25.3\n"
                    "S2\tVEGFA\t1\t24.0\nS2\tVEGFA\t2\t24.4\n")
    long = read_qpcr(path)
    table = qpcr_average_replicates(long)[1]
    assert table["n_used"].tolist() == [2, 2]
    assert table["ct_mean"].round(6).tolist() == [25.2, 24.2]
