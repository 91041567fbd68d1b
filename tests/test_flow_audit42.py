"""Flow audit h42 (findings 1-9): untestable populations, two flow inputs, Gating-ML references,
messages that name the gate and the fix, the template's comment and blank gating plots.

Each test names its finding; tests named ``control`` are legitimate input that must keep working
(they may pass on the code before the fixes).
"""

from __future__ import annotations

import logging
import re
import shutil
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers import TEST_COHORT, assert_input_error, run_omics
from helpers import raises_one_line as _raises
from omics.io._flow import _gating_error, read_fcs, read_gating
from omics.params import resolve
from omics.stages import _flow as flow_stage
from omics.stages._de import de
from omics.stages._flow import default_gating, fcs_files, flow_prep
from omics.stages._score import _modality_scores
from test_flow_inputs import _check, _sheet  # the same sheets and check

POPULATIONS = TEST_COHORT / "flow_populations.tsv"
CONTRASTS = TEST_COHORT / "contrasts.yaml"
TEMPLATE = default_gating()


def _fcs_folder(tmp_path: Path, samples: tuple[str, ...] = ("BALI001", "BALI002")) -> Path:
    folder = tmp_path / "fcs"
    folder.mkdir(exist_ok=True)
    for sample in samples:
        shutil.copy(TEST_COHORT / "fcs" / f"{sample}.fcs", folder / f"{sample}.fcs")
    return folder


# --------------------------------------------------------------------------------------
# Finding 1: a population with no event in any sample is neither tested nor scored
# --------------------------------------------------------------------------------------


def _emptied(tmp_path: Path, population: str) -> Path:
    """The test cohort's population table with ``population`` (a leaf gate) empty in every sample."""
    table = pd.read_csv(POPULATIONS, sep="\t")
    table.loc[table["population"] == population, "events"] = 0
    path = tmp_path / "populations.tsv"
    table.to_csv(path, sep="\t", index=False)
    return path


def _flow_h5ad(tmp_path: Path, table: Path) -> Path:
    params = resolve({"input": str(TEST_COHORT / "samplesheet.csv"), "flow_table": str(table),
                      "flow_beads_per_test": "50000"})
    return flow_prep(samplesheet=TEST_COHORT / "samplesheet.csv", outdir=tmp_path / "out",
                     params=params)["h5ad"]


def _de_table(tmp_path: Path, h5ad: Path, contrast: str = "response_arm_adjusted") -> pd.DataFrame:
    params = resolve({"input": str(TEST_COHORT / "samplesheet.csv")})
    out = de(h5ad=h5ad, contrasts=CONTRASTS, contrast_id=contrast, modality="flow",
             outdir=tmp_path / "out", params=params)
    return pd.read_csv(out["results"], sep="\t")


def test_f1_population_without_events_is_not_tested_by_limma(tmp_path, caplog):
    h5ad = _flow_h5ad(tmp_path, _emptied(tmp_path, "CD34_KDR"))
    with caplog.at_level(logging.WARNING):
        table = _de_table(tmp_path, h5ad)
    assert "CD34_KDR" not in set(table["feature_id"])
    assert {"CD34", "CD34_CD133", "Leukocytes"} <= set(table["feature_id"])
    assert any("CD34_KDR" in r.getMessage() and "no event" in r.getMessage() for r in caplog.records)


def test_f1_population_without_events_is_neither_a_content_nor_a_dose_score(tmp_path, caplog):
    import anndata as ad

    adata = ad.read_h5ad(_flow_h5ad(tmp_path, _emptied(tmp_path, "CD34_KDR")))
    params = resolve({"input": str(TEST_COHORT / "samplesheet.csv"), "flow_dose_population": "CD34_KDR"})
    with caplog.at_level(logging.WARNING):
        scores, _ = _modality_scores(adata, "flow", {}, params)
    assert "CD34_KDR" not in scores.columns and "dose:CD34_KDR_absolute" not in scores.columns
    assert "CD34" in scores.columns
    assert any("CD34_KDR" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)


def test_f1_population_without_events_is_not_correlated_in_the_integration(tmp_path):
    import anndata as ad

    from omics.stages._integrate import _flow_outputs

    adata = ad.read_h5ad(_flow_h5ad(tmp_path, _emptied(tmp_path, "CD34_KDR")))
    scores = tmp_path / "angiogenesis_scores.tsv"
    pd.DataFrame({"sample": list(adata.obs_names) * 2, "modality": ["rna"] * adata.n_obs * 2,
                  "term": ["A"] * adata.n_obs + ["B"] * adata.n_obs,
                  "score": np.arange(2 * adata.n_obs, dtype=float) % 7}).to_csv(scores, sep="\t",
                                                                               index=False)
    params = {"flow_dose_population": "CD34_KDR"}
    table = pd.read_csv(_flow_outputs(adata, scores, tmp_path / "out", params)["flow_correlation"],
                        sep="\t")
    named = set(table.astype(str).to_numpy().ravel())
    assert "CD34_KDR" not in named and "dose:CD34_KDR_absolute" not in named
    assert "CD34" in named


def test_f1_control_populations_with_events_are_all_tested_as_before(tmp_path):
    """A population with events in some samples only (under flow_min_events elsewhere) stays."""
    table = pd.read_csv(POPULATIONS, sep="\t")
    kdr = table["population"] == "CD34_KDR"
    table.loc[kdr, "events"] = np.where(table.loc[kdr, "sample"] == "BALI001", 3, 0)
    path = tmp_path / "populations.tsv"
    table.to_csv(path, sep="\t", index=False)
    h5ad = _flow_h5ad(tmp_path, path)
    result = _de_table(tmp_path, h5ad)
    import anndata as ad

    from omics.io import read_contrasts
    from omics.tl import limma

    adata = ad.read_h5ad(h5ad)
    contrast = next(c for c in read_contrasts(CONTRASTS) if c.id == "response_arm_adjusted")
    expected = limma(adata, contrast, layer=None)
    assert list(result["feature_id"]) == list(adata.var_names)
    np.testing.assert_allclose(result["adj.P.Val"], expected["adj.P.Val"])
    params = resolve({"input": str(TEST_COHORT / "samplesheet.csv")})
    scores, _ = _modality_scores(adata, "flow", {}, params)
    assert "CD34_KDR" in scores.columns and "dose:CD34_absolute" in scores.columns


# --------------------------------------------------------------------------------------
# Finding 2: an fcs column with --flow_table stops, as --flow_fcs with --flow_table does
# --------------------------------------------------------------------------------------


def _table(tmp_path: Path, n: int = 3) -> Path:
    table = pd.read_csv(POPULATIONS, sep="\t", dtype=str)
    table = table[table["sample"].isin([f"BALI{i:03d}" for i in range(1, n + 1)])]
    path = tmp_path / "populations.tsv"
    table.to_csv(path, sep="\t", index=False)
    return path


def test_f2_fcs_column_with_flow_table_stops_naming_the_column(tmp_path):
    sheet = _sheet(tmp_path, fcs=["BALI001.fcs", "BALI002.fcs", "BALI003.fcs"])
    _raises(lambda: _check(sheet, flow_table=_table(tmp_path)), "sheet.csv", "column 'fcs'",
            "flow_table", "Remove the 'fcs' column")
    out = tmp_path / "out"
    result = run_omics("flow_prep", "--samplesheet", str(sheet), "--flow_table", str(_table(tmp_path)),
                       "--outdir", str(out))
    line = assert_input_error(result, out)
    assert "'fcs'" in line and "--flow_table" in line


def test_f2_control_empty_fcs_column_with_flow_table_is_the_table(tmp_path):
    sheet = _sheet(tmp_path, fcs=["", "", ""])
    assert _check(sheet, flow_table=_table(tmp_path))["mode"] == "table"


# --------------------------------------------------------------------------------------
# Findings 3, 5: Gating-ML references checked when the file is read (before anything is written)
# --------------------------------------------------------------------------------------


def _edited(tmp_path: Path, name: str, old: str, new: str, count: int = 0) -> Path:
    text = TEMPLATE.read_text()
    assert old in text
    path = tmp_path / f"{name}.xml"
    path.write_text(text.replace(old, new, count) if count else text.replace(old, new))
    return path


BROKEN = {
    "transform": (('transformation-ref="asinh"', 'transformation-ref="asinhX"', 1),
                  ("gate 'Beads'", "transformation-ref 'asinhX'", "transformations: asinh",
                   "Fix the reference")),
    "parent": (('parent_id="CD34"', 'parent_id="CD34X"', 0),
               ("gate 'CD34_CD133'", "parent_id 'CD34X'", "no gate in the file", "Fix the parent_id")),
    "dupid": (('gating:id="CD34_KDR"', 'gating:id="CD34_CD133"', 0),
              ("gate id 'CD34_CD133' is used twice", "Rename one of the gates")),
    "compensation": (('compensation-ref="FCS"', 'compensation-ref="spill1"', 0),
                     ("gate 'Beads'", "compensation-ref 'spill1'", "spectrumMatrix")),
    "cycle": (('gating:id="Leukocytes">', 'gating:id="Leukocytes" gating:parent_id="CD34">', 0),
              ("each other's parents", "'Leukocytes'", "Fix the parent_id")),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_f3_f5_broken_gating_ml_reference_stops_naming_the_gate(tmp_path, case):
    (old, new, count), needles = BROKEN[case]
    path = _edited(tmp_path, case, old, new, count)
    text = _raises(lambda: read_gating(path), f"{case}.xml", *needles)
    assert "not a Gating-ML 2.0 file" not in text and "FlowKit" not in text


def test_f3_omics_run_stops_on_an_undefined_transformation_before_writing(tmp_path):
    path = _edited(tmp_path, "transform", 'transformation-ref="asinh"', 'transformation-ref="asinhX"', 1)
    sheet = _sheet(tmp_path, n=2)
    folder = _fcs_folder(tmp_path)
    out = tmp_path / "out"
    result = run_omics("run", "--input", str(sheet), "--contrasts", str(CONTRASTS),
                       "--protein_matrix", str(TEST_COHORT / "proteinGroups.txt"), "--flow_fcs", str(folder),
                       "--flow_gating", str(path), "--flow_gating_plots", "false", "--outdir", str(out))
    line = assert_input_error(result, out)
    assert "transform.xml" in line and "'asinhX'" in line and "gate 'Beads'" in line


def test_f3_control_shipped_template_and_compliance_files_read():
    assert read_gating(TEMPLATE).strategy is not None
    from helpers import SHARED

    for path in sorted((SHARED / "data" / "flow" / "gatingml_reference" / "gml").glob("*.xml")):
        if path.name == "gml_range_gate_attr_testing.xml":  # FlowKit's parser rejects it
            continue
        read_gating(path)


# --------------------------------------------------------------------------------------
# Finding 4: a gating error while gating is said once, for the command line
# --------------------------------------------------------------------------------------


def test_f4_gating_error_is_not_nested_and_has_no_notebook_fix(tmp_path, monkeypatch):
    folder = _fcs_folder(tmp_path, ("BALI001",))

    def failing(sample, strategy, **_):  # noqa: ANN001, ANN202
        raise _gating_error(sample, strategy, KeyError("asinhX"))

    monkeypatch.setattr(flow_stage, "gate_sample", failing)
    task = ("BALI001", str(folder / "BALI001.fcs"), str(TEMPLATE), False, False)
    text = _raises(lambda: flow_stage._gate_one(task), "BALI001.fcs", "'BALI001'", TEMPLATE.name,
                   "asinhX", "Check the gating strategy (flow_gating)")
    assert text.count("could not apply") == 1, text
    assert "io.check_channels" not in text and "io.gate_sample" not in text


# --------------------------------------------------------------------------------------
# Findings 6, 7: FCS look-up messages
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["NFD", "case"])
def test_f6_file_name_differing_only_in_unicode_form_or_case_is_named(tmp_path, form):
    nfc = "M\u00fcller"
    file_stem = unicodedata.normalize("NFD", nfc) if form == "NFD" else nfc.upper()
    folder = tmp_path / "fcs"
    folder.mkdir()
    shutil.copy(TEST_COHORT / "fcs" / "BALI001.fcs", folder / f"{file_stem}.fcs")
    sheet = pd.DataFrame(index=pd.Index([nfc], name="sample"))
    kind = "Unicode normalisation" if form == "NFD" else "letter case"
    _raises(lambda: fcs_files(sheet, flow_fcs=folder, base=tmp_path, sheet_path=tmp_path / "s.csv"),
            f"'{nfc}'", f"{file_stem}.fcs", kind, "Write them alike")


def test_f6_control_no_near_file_keeps_the_plain_message(tmp_path):
    folder = _fcs_folder(tmp_path, ("BALI001",))
    sheet = pd.DataFrame(index=pd.Index(["BALI001", "BALI009"], name="sample"))
    text = _raises(lambda: fcs_files(sheet, flow_fcs=folder, base=tmp_path, sheet_path=tmp_path / "s.csv"),
                   "'BALI009'", "add the file")
    assert "differs" not in text


def test_f7_missing_file_in_fcs_column_gets_a_fix_and_a_backslash_hint(tmp_path):
    _fcs_folder(tmp_path)
    sheet = _sheet(tmp_path, n=2, fcs=["fcs\\BALI001.fcs", "fcs/BALI002.fcs"])
    _raises(lambda: _check(sheet), "sheet.csv", "'BALI001'", "relative to the sample sheet's folder",
            "/ as the separator", "backslash", "'fcs/BALI001.fcs'")
    sheet = _sheet(tmp_path, n=2, fcs=["fcs/NOPE.fcs", "fcs/BALI002.fcs"])
    text = _raises(lambda: _check(sheet), "'BALI001'", "NOPE.fcs", "or an absolute one")
    assert "backslash" not in text


def test_f7_control_forward_slash_paths_read(tmp_path):
    _fcs_folder(tmp_path)
    sheet = _sheet(tmp_path, n=2, fcs=["fcs/BALI001.fcs", "fcs/BALI002.fcs"])
    assert set(_check(sheet)["files"]) == {"BALI001", "BALI002"}


# --------------------------------------------------------------------------------------
# Finding 8: the template's comment says what the code does
# --------------------------------------------------------------------------------------


def test_f8_template_comment_does_not_promise_uncompensated_gating():
    comment = TEMPLATE.read_text().split("-->")[0]
    assert "used uncompensated" not in comment
    assert re.search(r"stops", comment)


# --------------------------------------------------------------------------------------
# Finding 9: no blank gating plot per sample when no gate can be drawn
# --------------------------------------------------------------------------------------


def _ellipse_only(tmp_path: Path) -> Path:
    path = tmp_path / "ellipse.xml"
    path.write_text("""<?xml version="1.0" encoding="UTF-8"?>
<gating:Gating-ML xmlns:gating="http://www.isac-net.org/std/Gating-ML/v2.0/gating"
    xmlns:data-type="http://www.isac-net.org/std/Gating-ML/v2.0/datatypes">
  <gating:RectangleGate gating:id="Big">
    <gating:dimension gating:compensation-ref="uncompensated" gating:min="15000">
      <data-type:fcs-dimension data-type:name="FSC-A" />
    </gating:dimension>
  </gating:RectangleGate>
</gating:Gating-ML>
""")
    return path


def test_f9_no_gating_plots_without_a_gate_to_draw(tmp_path, caplog):
    gating = _ellipse_only(tmp_path)
    sheet = _sheet(tmp_path, n=2)
    folder = _fcs_folder(tmp_path)
    params = resolve({"input": str(sheet), "flow_fcs": str(folder), "flow_gating": str(gating)})
    with caplog.at_level(logging.WARNING):
        outputs = flow_prep(samplesheet=sheet, outdir=tmp_path / "out", params=params)
    assert "plots" not in outputs
    assert not (tmp_path / "out" / "flow" / "gating_plots").exists()
    assert any("no gating plots" in r.getMessage() and "ellipse.xml" in r.getMessage()
               for r in caplog.records)


def test_f9_control_shipped_template_still_draws_every_plot(tmp_path):
    from omics.io import gate_sample
    from omics.pl import gating_png

    fcs = read_fcs(TEST_COHORT / "fcs" / "BALI001.fcs", sample_id="BALI001")
    strategy = read_gating(TEMPLATE).strategy
    _, results = gate_sample(fcs, strategy, cache_events=True)
    png = gating_png(fcs, strategy, results, title="BALI001", blank=False)
    strategy.clear_cache()
    assert png is not None and png.startswith(b"\x89PNG")


def test_f9_control_api_default_still_draws_the_blank_panel(tmp_path):
    from omics.io import gate_sample
    from omics.pl import gating_png

    fcs = read_fcs(TEST_COHORT / "fcs" / "BALI001.fcs", sample_id="BALI001")
    strategy = read_gating(_ellipse_only(tmp_path)).strategy
    _, results = gate_sample(fcs, strategy, cache_events=True)
    assert gating_png(fcs, strategy, results, title="BALI001").startswith(b"\x89PNG")
    assert gating_png(fcs, strategy, results, title="BALI001", blank=False) is None
