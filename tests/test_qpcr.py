"""RT-qPCR: Ct reading, replicate/Ct policy, geNorm, delta-Ct and limma on -delta-Ct."""

from __future__ import annotations

import statistics
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers import REPO, assert_input_error, run_omics, run_pipeline
from omics._errors import InputError
from omics.io import Contrast, match_samples, read_qpcr, read_qpcr_efficiency, read_samplesheet
from omics.pp import genorm, genorm_m, qpcr_average_replicates, qpcr_delta_ct
from omics.tl import limma
from omics.tl._differential import add_delta_delta_ct

QPCR_REF = REPO / "tests" / "reference" / "qpcr"

# Hand-computed example (duplicate wells):
#   sample  group  REF1         REF2         VEGFA        ref mean  dCt
#   S1      ctrl   20.0 20.2    22.0 22.0    25.0 25.2    21.05     4.05
#   S2      ctrl   19.9 20.1    21.8 22.2    24.8 25.0    21.00     3.90
#   S3      trt    20.5 20.5    22.5 22.3    23.0 23.2    21.45     1.65
#   S4      trt    20.0 20.0    22.2 22.0    23.4 23.0    21.05     2.15
# ddCt = mean(1.65, 2.15) - mean(4.05, 3.90) = 1.90 - 3.975 = -2.075; fold change 2^2.075.
HAND = {"S1": {"REF1": (20.0, 20.2), "REF2": (22.0, 22.0), "VEGFA": (25.0, 25.2)},
        "S2": {"REF1": (19.9, 20.1), "REF2": (21.8, 22.2), "VEGFA": (24.8, 25.0)},
        "S3": {"REF1": (20.5, 20.5), "REF2": (22.5, 22.3), "VEGFA": (23.0, 23.2)},
        "S4": {"REF1": (20.0, 20.0), "REF2": (22.2, 22.0), "VEGFA": (23.4, 23.0)}}
HAND_DCT = {"S1": 4.05, "S2": 3.90, "S3": 1.65, "S4": 2.15}


def _long_text(data: dict, sep: str = "\t") -> str:
    lines = [sep.join(["Sample Name", "Target Name", "Replicate", "CT"])]
    for sample, targets in data.items():
        for target, cts in targets.items():
            lines += [sep.join([sample, target, str(i + 1), str(ct)]) for i, ct in enumerate(cts)]
    return "\n".join(lines) + "\n"


def _sheet(path: Path, samples: list[str], groups: list[str]) -> Path:
    path.write_text("sample,group\n" + "".join(f"{s},{g}\n" for s, g in zip(samples, groups,
                                                                          strict=True)))
    return path


@pytest.fixture
def hand(tmp_path):
    ct = tmp_path / "ct.tsv"
    ct.write_text(_long_text(HAND))
    sheet = _sheet(tmp_path / "sheet.csv", list(HAND), ["ctrl", "ctrl", "trt", "trt"])
    return ct, sheet


def test_delta_ct_and_delta_delta_ct_by_hand(hand):
    ct_path, sheet_path = hand
    adata, replicates = qpcr_average_replicates(read_qpcr(ct_path), max_ct=35, path=ct_path)
    assert replicates.loc[(replicates["sample"] == "S1") & (replicates["target"] == "VEGFA"),
                          "ct_mean"].item() == pytest.approx(25.1)
    adata = match_samples(adata, read_samplesheet(sheet_path), matrix_path=ct_path)
    out = qpcr_delta_ct(adata, reference_genes=["REF1", "REF2"])
    assert list(out.var_names) == ["VEGFA"]
    delta = pd.Series(out.layers["delta_ct"][:, 0], index=out.obs_names)
    for sample, expected in HAND_DCT.items():
        assert delta[sample] == pytest.approx(expected, abs=1e-12)
    assert np.allclose(out.X, -out.layers["delta_ct"])
    table = add_delta_delta_ct(limma(out, Contrast(id="t", variable="group", reference="ctrl",
                                                   target="trt")))
    row = table.iloc[0]
    assert row["delta_delta_ct"] == pytest.approx(-2.075, abs=1e-12)
    assert row["logFC"] == pytest.approx(2.075, abs=1e-12)
    assert row["fold_change"] == pytest.approx(2 ** 2.075, rel=1e-12)


def test_pfaffl_efficiency_scales_cts(hand, tmp_path):
    ct_path, sheet_path = hand
    eff_path = tmp_path / "eff.csv"
    eff_path.write_text("target,efficiency\nVEGFA,90\nREF1,1.95\nREF2,2\n")
    efficiency = read_qpcr_efficiency(eff_path)
    assert efficiency.to_dict() == pytest.approx({"VEGFA": 1.9, "REF1": 1.95, "REF2": 2.0})
    adata, _ = qpcr_average_replicates(read_qpcr(ct_path), path=ct_path)
    out = qpcr_delta_ct(adata, reference_genes=["REF1", "REF2"], efficiency=efficiency)
    # Pfaffl: ratio = E_t^-Ct_t / geomean_r(E_r^-Ct_r)  ->  log2 = -(Ct_t log2 E_t) + mean(Ct_r log2 E_r)
    expected_s1 = -(25.1 * np.log2(1.9)) + (20.1 * np.log2(1.95) + 22.0 * np.log2(2.0)) / 2
    assert out.X[0, 0] == pytest.approx(expected_s1, abs=1e-12)


def test_wide_layouts_equal_long(hand, tmp_path):
    ct_path, _ = hand
    adata_long, _ = qpcr_average_replicates(read_qpcr(ct_path))
    means = pd.DataFrame(adata_long.X, index=adata_long.obs_names, columns=adata_long.var_names)
    wide = tmp_path / "wide.csv"
    means.T.rename_axis("target").reset_index().to_csv(wide, index=False)
    adata_wide, _ = qpcr_average_replicates(read_qpcr(wide))
    assert np.allclose(adata_wide.to_df().loc[means.index, means.columns], means)
    by_sample = tmp_path / "by_sample.tsv"
    # CRLF, BOM and decimal commas give the same numbers.
    text = means.rename_axis("sample").reset_index().to_csv(sep="\t", index=False)
    by_sample.write_bytes(("\ufeff" + text.replace(".", ",").replace("\n", "\r\n")).encode())
    adata_rows, _ = qpcr_average_replicates(read_qpcr(by_sample))
    assert np.allclose(adata_rows.to_df().loc[means.index, means.columns], means)


def test_replicate_outlier_and_undetermined_policy(tmp_path):
    data = {"S1": {"A": (20.0, 20.1, 23.0), "B": ("Undetermined", "Undetermined"),
                   "C": (30.0, 36.0), "D": (25.0, 26.2)}}
    path = tmp_path / "ct.tsv"
    path.write_text(_long_text(data))
    long = read_qpcr(path)
    adata, table = qpcr_average_replicates(long, max_ct=35, max_sd=0.5)
    flags = table.set_index("target")["flag"]
    values = adata.to_df().iloc[0]
    assert flags["A"] == "outlier_removed" and values["A"] == pytest.approx(20.05)
    assert flags["B"] == "undetermined" and values["B"] == 35.0
    assert flags["C"] == "partly_undetermined" and values["C"] == 30.0  # 36 >= max_ct
    assert flags["D"] == "high_sd" and values["D"] == pytest.approx(25.6)
    missing, _ = qpcr_average_replicates(long, max_ct=35, undetermined="missing")
    assert np.isnan(missing.to_df().iloc[0]["B"])


def _genorm_by_formula(log2q: pd.DataFrame) -> dict[str, float]:
    """Vandesompele 2002, eq. for M_j: mean over k != j of stdev_i(log2(a_ij / a_ik))."""
    genes = list(log2q.columns)
    out = {}
    for j in genes:
        sds = [statistics.stdev((log2q[j] - log2q[k]).tolist()) for k in genes if k != j]
        out[j] = sum(sds) / len(sds)
    return out


def test_genorm_matches_published_formula():
    ct = pd.DataFrame({"ACTB": [17.1, 17.9, 16.8, 18.2, 17.5],
                       "GAPDH": [18.0, 18.7, 17.9, 19.3, 18.2],
                       "B2M": [19.5, 20.9, 19.0, 20.1, 20.4],
                       "HPRT1": [24.2, 24.6, 24.5, 25.9, 24.1]},
                      index=[f"S{i}" for i in range(1, 6)])
    expected = _genorm_by_formula(-ct)
    assert genorm_m(-ct).to_dict() == pytest.approx(expected, abs=1e-12)
    result = genorm(ct)
    # stepwise exclusion: the gene with the highest M goes first; the last two share their M
    worst = max(expected, key=expected.get)
    assert result.stability["target"].iloc[-1] == worst
    assert result.stability.set_index("target").loc[worst, "M"] == pytest.approx(expected[worst])
    three = [g for g in ct.columns if g != worst]
    m3 = _genorm_by_formula(-ct[three])
    second_worst = max(m3, key=m3.get)
    assert result.stability["target"].iloc[-2] == second_worst
    best_two = sorted(g for g in three if g != second_worst)
    assert list(result.stability["target"].iloc[:2]) == best_two
    m2 = statistics.stdev((ct[best_two[0]] - ct[best_two[1]]).tolist())
    assert result.stability["M"].iloc[:2].tolist() == pytest.approx([m2, m2])
    # pairwise variation V2/3 = SD of log2(NF2/NF3), NF the geometric mean of relative quantities
    nf2 = (-ct[best_two]).mean(axis=1)
    nf3 = (-ct[[*best_two, second_worst]]).mean(axis=1)
    v23 = statistics.stdev((nf2 - nf3).tolist())
    assert result.variation.set_index("n").loc[2, "V"] == pytest.approx(v23, abs=1e-12)
    assert result.n_selected == (2 if v23 < 0.15 else result.n_selected)


@pytest.mark.slow
def test_qpcr_run_matches_r_limma(tmp_path):
    contrasts = tmp_path / "contrasts.yaml"
    contrasts.write_text("contrasts:\n  - id: treated_vs_control\n    comparison: [group, control, "
                         "treated]\n    blocking_factors: [sex]\n")
    out = run_pipeline(tmp_path / "results", "--input", str(QPCR_REF / "qpcr_samplesheet.csv"),
                       "--contrasts", str(contrasts), "--rna_matrix", str(QPCR_REF / "qpcr_ct_long.tsv"),
                       "--rna_format", "qpcr", "--qpcr_reference_genes", "GAPDH,ACTB",
                       "--gsea_min_size", "3")
    ours = pd.read_csv(out / "differential" / "treated_vs_control.rna.limma.results.tsv",
                       sep="\t").set_index("feature_id")
    ref = pd.read_csv(QPCR_REF / "qpcr_limma_group.tsv", sep="\t").set_index("feature_id")
    assert sorted(ours.index) == sorted(ref.index)
    ours = ours.loc[ref.index]
    for column in ("logFC", "t", "AveExpr", "B", "delta_delta_ct"):
        assert np.allclose(ours[column], ref[column], atol=1e-7), column
    for column in ("P.Value", "adj.P.Val"):
        assert np.allclose(ours[column], ref[column], rtol=1e-6, atol=1e-12), column
    delta = pd.read_csv(QPCR_REF / "qpcr_delta_ct.tsv", sep="\t").set_index("target")
    import anndata as ad

    rna = ad.read_h5ad(out / "rna" / "rna.h5ad")
    ours_dct = pd.DataFrame(rna.layers["delta_ct"], index=rna.obs_names, columns=rna.var_names).T
    assert np.allclose(ours_dct.loc[delta.index, delta.columns], delta, atol=1e-9)
    assert (out / "rna" / "qpcr_replicates.tsv").is_file()
    assert (out / "enrichment" / "treated_vs_control.rna.ora.tsv").is_file()
    methods = (out / "report" / "index.html").read_text()
    assert "RNA RT-qPCR relative quantities" in methods and "DESeq2's model" not in methods


@pytest.mark.slow
def test_qpcr_genorm_run_reports_m(tmp_path):
    contrasts = tmp_path / "contrasts.yaml"
    contrasts.write_text("contrasts:\n  - id: g\n    comparison: [group, control, treated]\n")
    out = run_pipeline(tmp_path / "results", "--input", str(QPCR_REF / "qpcr_samplesheet.csv"),
                       "--contrasts", str(contrasts), "--rna_matrix", str(QPCR_REF / "qpcr_ct_long.tsv"),
                       "--rna_format", "qpcr", "--qpcr_reference_candidates", "GAPDH,ACTB,TGFB1,CCL2")
    stability = pd.read_csv(out / "rna" / "qpcr_genorm.tsv", sep="\t")
    assert sorted(stability["target"]) == ["ACTB", "CCL2", "GAPDH", "TGFB1"]
    assert stability["M"].notna().all()
    assert (out / "rna" / "qpcr_genorm_variation.tsv").is_file()


BAD_CASES = [
    # (wells, reference genes, expected message parts)
    ({"S1": {"R": (20, 20), "T": (25, "abc")}, "S2": {"R": (20, 20), "T": (25, 25)}}, "R",
     ["Ct 'abc' for sample 'S1', target 'T'", "is not a number"]),
    ({"S1": {"R": (20, 20), "T": (25, 25)}, "S2": {"T": (25, 25)}}, "R",
     ["reference gene 'R' has no Ct for sample 'S2'"]),
    ({"S1": {"R": (20, 20), "Q": (21, 21), "T": (25, 25)},
      "S2": {"R": ("Undetermined", 40), "Q": ("Undetermined", "Undetermined"), "T": (25, 25)}}, "R,Q",
     ["all reference genes (R, Q) are undetermined", "sample 'S2'"]),
]


@pytest.mark.slow
@pytest.mark.parametrize(("wells", "refs", "expected"), BAD_CASES)
def test_bad_qpcr_input_exits_2_and_writes_nothing(tmp_path, wells, refs, expected):
    samples = ["S1", "S2", "S3", "S4"]
    full = dict(wells)
    for extra in samples[2:]:
        full[extra] = {g: (20, 20) if g in refs.split(",") else (25, 25)
                       for g in ("R", "Q", "T") if g in refs.split(",") or g == "T"}
    ct = tmp_path / "ct.tsv"
    ct.write_text(_long_text(full))
    sheet = _sheet(tmp_path / "sheet.csv", samples, ["a", "b", "a", "b"])
    contrasts = tmp_path / "c.yaml"
    contrasts.write_text("contrasts:\n  - id: ab\n    comparison: [group, a, b]\n")
    out = tmp_path / "results"
    result = run_omics("run", "--input", str(sheet), "--contrasts", str(contrasts), "--rna_matrix",
                       str(ct), "--rna_format", "qpcr", "--qpcr_reference_genes", refs,
                       "--outdir", str(out))
    message = assert_input_error(result, out)
    assert message.startswith("omics: error:") and str(ct) in message
    for part in expected:
        assert part in message


def test_unknown_reference_gene(hand):
    ct_path, _ = hand
    adata, _ = qpcr_average_replicates(read_qpcr(ct_path))
    with pytest.raises(InputError, match="'GAPDH' are not targets"):
        qpcr_delta_ct(adata, reference_genes=["GAPDH"], path=ct_path)


@pytest.mark.parametrize(("text", "expected"), [
    ("sample\ttarget\tct\nS1\tT\t-3\n", "Ct '-3' for sample 'S1', target 'T' is not positive"),
    ("sample\ttarget\tct\nS1\t\t20\n", "line 2: column 'target' is empty"),
    ("well\tvalue\nA1\t20\n", "not a recognised qPCR layout"),
    ("target,S1,S2\nT,20,21\nT,22,23\n", "duplicated target"),
    ("target,S1,S2\nT,20,x21\n", "line 2: Ct 'x21' for sample 'S2', target 'T' is not a number"),
])
def test_read_qpcr_errors(tmp_path, text, expected):
    path = tmp_path / "ct.txt"
    path.write_text(text)
    with pytest.raises(InputError) as error:
        read_qpcr(path)
    assert expected in str(error.value) and str(path) in str(error.value)


def test_efficiency_errors(tmp_path):
    path = tmp_path / "eff.tsv"
    path.write_text("target\tefficiency\nT\t0.9\n")
    with pytest.raises(InputError, match="efficiency '0.9' for target 'T'"):
        read_qpcr_efficiency(path)
