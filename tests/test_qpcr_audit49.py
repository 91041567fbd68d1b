"""Findings of the h49 qPCR/array audit (/tmp/notes/h49_qpcr.md): Omit wells, unmeasured pairs,
Ct column names, empty and control rows, the QuantStudio preamble, reference options."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers import raises_one_line
from omics.io import match_samples, read_array_matrix, read_qpcr, read_samplesheet
from omics.params import resolve
from omics.pp import qpcr_average_replicates, qpcr_delta_ct

SAMPLES = [f"S{i:02d}" for i in range(1, 7)]
TARGETS = {"ACTB": 16.0, "GAPDH": 18.0, "KDR": 28.0, "VEGFA": 26.0}


def _wells() -> pd.DataFrame:
    """6 samples x 4 targets, triplicates; deterministic Cts."""
    rng = np.random.default_rng(49)
    rows = []
    for i, sample in enumerate(SAMPLES):
        for target, base in TARGETS.items():
            mu = base + 0.3 * i + (0.4 * rng.normal() if target in ("KDR", "VEGFA") else 0.05 * rng.normal())
            for rep in (1, 2, 3):
                rows.append({"sample": sample, "target": target, "replicate": str(rep),
                             "Ct": f"{mu + 0.05 * rng.normal():.3f}"})
    return pd.DataFrame(rows)


def _sheet(tmp_path: Path) -> Path:
    path = tmp_path / "sheet.csv"
    path.write_text("sample,group\n" + "".join(f"{s},{'ctrl' if i < 3 else 'trt'}\n"
                                               for i, s in enumerate(SAMPLES)))
    return path


def _pair(reps: pd.DataFrame, sample: str, target: str) -> pd.Series:
    return reps[(reps["sample"] == sample) & (reps["target"] == target)].iloc[0]


# H1 --------------------------------------------------------------------------------------------
def _quantstudio(tmp_path: Path, omit: dict[int, str]) -> tuple[Path, pd.DataFrame]:
    """A QuantStudio-style results table (Omit column); ``omit`` sets Omit cells by row."""
    d = _wells()
    qs = pd.DataFrame({"Well": range(1, len(d) + 1), "Omit": "false", "Sample Name": d["sample"],
                       "Target Name": d["target"], "Task": "UNKNOWN", "CT": d["Ct"]})
    for row, value in omit.items():
        qs.loc[row, "Omit"] = value
    path = tmp_path / "qs.txt"
    qs.to_csv(path, sep="\t", index=False)
    return path, d


def test_h1_omitted_wells_are_left_out_before_averaging(tmp_path, caplog):
    d = _wells()
    row = int(d.index[(d["sample"] == "S01") & (d["target"] == "VEGFA")][0])
    path, d = _quantstudio(tmp_path, {row: "true"})
    qs = pd.read_csv(path, sep="\t", dtype=str)
    qs.loc[row, "CT"] = "31.500"  # the omitted well is an outlier
    qs.to_csv(path, sep="\t", index=False)
    with caplog.at_level("INFO", logger="omics"):
        long = read_qpcr(path)
    assert len(long) == len(d) - 1
    _, reps = qpcr_average_replicates(long)
    kept = d.loc[(d["sample"] == "S01") & (d["target"] == "VEGFA"), "Ct"].astype(float).iloc[1:]
    got = _pair(reps, "S01", "VEGFA")
    assert got["n_wells"] == 2 and got["ct_mean"] == pytest.approx(kept.mean())
    assert "1 well(s) marked in column 'Omit' left out" in caplog.text and "S01/VEGFA (1)" in caplog.text


@pytest.mark.parametrize("value", ["TRUE", "Yes", "1"])
def test_h1_omit_spellings(tmp_path, value):
    path, d = _quantstudio(tmp_path, {0: value, 5: value})
    assert len(read_qpcr(path)) == len(d) - 2


def test_h1_unreadable_omit_value_stops_naming_line_and_column(tmp_path):
    path, _ = _quantstudio(tmp_path, {4: "maybe"})
    raises_one_line(lambda: read_qpcr(path), "qs.txt", "line 6, column 'Omit'", "'maybe'",
                    "neither true nor false", "Write true")


def test_h1_control_all_false_reads_every_well(tmp_path):
    """Control (passes on the old code too): Omit all false keeps every well."""
    path, d = _quantstudio(tmp_path, {})
    assert len(read_qpcr(path)) == len(d)


# M1 --------------------------------------------------------------------------------------------
def _prepare(tmp_path: Path, wells: pd.DataFrame, **options):
    from omics.stages._rna_input import prepare_rna_log2

    path = tmp_path / "ct.tsv"
    wells.to_csv(path, sep="\t", index=False)
    sheet_path = _sheet(tmp_path)
    params = resolve({"rna_format": "qpcr", "qpcr_reference_genes": "ACTB,GAPDH", **options})
    return prepare_rna_log2(path, read_samplesheet(sheet_path), params, sheet_path=sheet_path)


def test_m1_a_pair_without_wells_is_warned_about_and_flagged(tmp_path, caplog):
    d = _wells()
    d.loc[(d["sample"] == "S04") & (d["target"] == "KDR"), "sample"] = "SO4"  # letter O for zero
    with caplog.at_level("WARNING", logger="omics"):
        out = _prepare(tmp_path, d)
    warnings = [r.getMessage() for r in caplog.records if "no well" in r.getMessage()]
    assert len(warnings) == 1, caplog.text
    assert "1 sample/target pair(s)" in warnings[0] and "S04/KDR" in warnings[0]
    assert "'SO4' for 'S04'" in warnings[0]  # the one-character hint
    reps = out.uns["qpcr_replicates"]
    row = _pair(reps, "S04", "KDR")
    assert row["flag"] == "not_measured" and row["n_wells"] == 0 and np.isnan(row["ct_mean"])
    assert np.isnan(out[out.obs_names == "S04", "KDR"].X).all()
    assert reps["n_wells"].dtype.kind == "i" and len(reps) == 6 * 4  # 23 measured + 1


def test_m1_control_complete_table_has_no_not_measured_rows(tmp_path, caplog):
    """Control (passes on the old code too): a complete table gives no warning, no extra rows."""
    with caplog.at_level("WARNING", logger="omics"):
        out = _prepare(tmp_path, _wells())
    assert "no well" not in caplog.text
    assert "not_measured" not in set(out.uns["qpcr_replicates"]["flag"])
    assert len(out.uns["qpcr_replicates"]) == 24


# M2 --------------------------------------------------------------------------------------------
def test_m2_long_table_without_ct_column_names_the_columns(tmp_path):
    path = tmp_path / "drn.tsv"
    path.write_text("Sample Name\tTarget Name\tCt (dRn)\tCt Mean\nS01\tACTB\t16.1\t16.1\n"
                    "S01\tGAPDH\t18.2\t18.2\n")
    raises_one_line(lambda: read_qpcr(path), "drn.tsv", "without a Ct column",
                    "'Ct (dRn)', 'Ct Mean'", "'Ct' or 'Cq'")


def test_m2_cp_is_a_ct_column(tmp_path):
    path = tmp_path / "cp.tsv"
    path.write_text("Sample\tTarget\tCp\nS01\tACTB\t16.1\nS01\tGAPDH\t18.2\n")
    long = read_qpcr(path)
    assert list(long["target"]) == ["ACTB", "GAPDH"] and list(long["ct"]) == [16.1, 18.2]


# M4 --------------------------------------------------------------------------------------------
def test_m4_empty_rows_are_dropped_and_lines_stay_right(tmp_path):
    d = _wells()
    text = d.to_csv(index=False)
    path = tmp_path / "trail.csv"
    path.write_text(text + ",,,\n,,,\n")
    base = tmp_path / "base.csv"
    base.write_text(text)
    pd.testing.assert_frame_equal(read_qpcr(path), read_qpcr(base))
    # an empty row in the middle: a later bad cell is named by its file line
    lines = text.splitlines()
    lines[10] = lines[10].rsplit(",", 1)[0] + ",abc"
    bad = tmp_path / "mid.csv"
    bad.write_text("\n".join(lines[:5] + [",,,"] + lines[5:]) + "\n")
    raises_one_line(lambda: read_qpcr(bad), "line 12:", "'abc'")


def test_m4_control_wells_without_sample_are_dropped(tmp_path, caplog):
    d = _wells()
    biorad = pd.DataFrame({"Well": [f"A{i}" for i in range(len(d))], "Target": d["target"],
                           "Content": "Unkn-01", "Sample": d["sample"], "Cq": d["Ct"]})
    controls = pd.DataFrame({"Well": ["P1", "P2", "P3"], "Target": ["ACTB", "ACTB", "KDR"],
                             "Content": ["NTC", "Std-01", "Neg Ctrl"], "Sample": "",
                             "Cq": ["NaN", "15.2", "NaN"]})
    path = tmp_path / "biorad.csv"
    pd.concat([biorad, controls]).to_csv(path, index=False)
    with caplog.at_level("INFO", logger="omics"):
        long = read_qpcr(path)
    assert len(long) == len(d) and set(long["sample"]) == set(SAMPLES)
    assert "3 control well(s) without a sample name" in caplog.text


def test_m4_control_empty_sample_of_an_unknown_well_still_stops(tmp_path):
    """Control (passes on the old code too): an empty sample that is not a control well stops."""
    path = tmp_path / "b.csv"
    path.write_text("Target,Content,Sample,Cq\nACTB,Unkn-01,S01,16.1\nACTB,Unkn-02,,16.2\n")
    raises_one_line(lambda: read_qpcr(path), "line 3", "column 'Sample' is empty")


def _array_text() -> str:
    rng = np.random.default_rng(7)
    header = "ID_REF\tGene Symbol\t" + "\t".join(SAMPLES) + "\n"
    rows = [f"P{i}\tG{i}\t" + "\t".join(f"{v:.3f}" for v in rng.normal(8, 1, len(SAMPLES))) + "\n"
            for i in range(10)]
    return header + "".join(rows)


def test_m4_array_empty_rows_are_dropped_and_rows_stay_right(tmp_path):
    text = _array_text()
    base, trail = tmp_path / "a.tsv", tmp_path / "t.tsv"
    base.write_text(text)
    trail.write_text(text + "\t" * (len(SAMPLES) + 1) + "\n")
    a, b = read_array_matrix(base), read_array_matrix(trail)
    assert a.shape == b.shape and np.array_equal(a.X, b.X) and list(a.var_names) == list(b.var_names)
    lines = text.splitlines(keepends=True)
    lines[6] = lines[6].replace("\t", "\tx", 3).replace("\tx", "\t", 2)  # third sample cell: text
    mid = tmp_path / "m.tsv"
    mid.write_text("".join(lines[:3]) + "\t" * (len(SAMPLES) + 1) + "\n" + "".join(lines[3:]))
    raises_one_line(lambda: read_array_matrix(mid), "(row 8)", "is not a number")


# L1: the QuantStudio preamble is now read past (tests/test_qpcr_preamble50.py)


# L2 --------------------------------------------------------------------------------------------
def test_l2_candidates_with_reference_genes_are_named_as_ignored(caplog):
    d = _wells().rename(columns={"Ct": "ct"})
    adata, _ = qpcr_average_replicates(d.assign(ct=d["ct"].astype(float)))
    with caplog.at_level("WARNING", logger="omics"):
        out = qpcr_delta_ct(adata, reference_genes=["ACTB", "GAPDH"], candidates=["ACTB", "KDR"])
    assert out.uns["qpcr"]["reference_genes"] == ["ACTB", "GAPDH"]
    assert "candidate reference genes (ACTB, KDR) are ignored" in caplog.text


# L6 --------------------------------------------------------------------------------------------
def test_l6_qpcr_sample_mismatch_speaks_of_the_ct_table(tmp_path):
    d = _wells()
    adata, _ = qpcr_average_replicates(d[d["sample"] != "S06"].rename(columns={"Ct": "ct"})
                                       .astype({"ct": float}))
    sheet = read_samplesheet(_sheet(tmp_path))
    text = raises_one_line(lambda: match_samples(adata, sheet, matrix_path="ct.tsv"),
                           "are not samples of this Ct table: S06",
                           "equal the Ct table's sample names")
    assert "matrix column" not in text


# L3 --------------------------------------------------------------------------------------------
def test_l3_methods_name_the_reference_genes_and_never_detected_targets(tmp_path):
    from types import SimpleNamespace

    from omics.report._discover import Results
    from omics.report._methods import _qpcr_text

    d = _wells()
    d.loc[d["target"] == "VEGFA", "Ct"] = "Undetermined"
    out = _prepare(tmp_path, d, qpcr_reference_genes=None,
                   qpcr_reference_candidates="ACTB,GAPDH,KDR")
    (tmp_path / "res" / "rna").mkdir(parents=True)
    out.uns["qpcr_genorm"].to_csv(tmp_path / "res" / "rna" / "qpcr_genorm.tsv", sep="\t", index=False)
    for key in ("qpcr_replicates", "qpcr_genorm", "qpcr_genorm_variation"):
        out.uns.pop(key, None)
    out.write_h5ad(tmp_path / "res" / "rna" / "rna.h5ad")
    text = _qpcr_text(SimpleNamespace(results=Results(tmp_path / "res")))
    refs = ", ".join(out.uns["qpcr"]["reference_genes"])
    assert f"Reference genes: {refs}, chosen by geNorm" in text and "3 candidates (" in text
    assert "geNorm M 0." in text and "Ct of 35 or more" in text and "policy limit" in text
    assert "Undetermined in every sample: VEGFA" in text
