"""Flow audit (F1-F13): inputs that were silently accepted stop before the run; units and dose.

Each test names the finding it covers. Small crafted inputs: test-cohort FCS files with an
edited TEXT segment, short population tables, hand-built AnnData objects.
"""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from helpers import TEST_COHORT, assert_input_error, bead_populations, run_omics
from helpers import raises_one_line as _raises
from omics.io import read_flow_table, read_samplesheet
from omics.io._flow import Gating, gate_sample, read_fcs, read_fcs_header
from omics.pp import absolute_counts, flow_scores, populations_anndata
from omics.stages import _flow as flow_stage
from omics.stages._flow import check_flow_inputs, fcs_files, flow_prep
from test_flow_inputs import POPULATIONS, _check, _edit_fcs, _fcs_cohort, _sheet, _table

FL = ["FL1-A", "FL2-A", "FL3-A", "FL4-A", "FL5-A"]


def _spillover(value: str):  # noqa: ANN202 - an edit of the TEXT segment
    return lambda text: re.sub(r"\$SPILLOVER/[^/]*/", f"$SPILLOVER/{value}/", text)


def _matrix(detectors: list[str], matrix: np.ndarray) -> str:
    return ",".join([str(len(detectors)), *detectors, *(f"{v:g}" for v in matrix.ravel())])


# --------------------------------------------------------------------------------------
# F1: $TOT must be the number of events in the DATA segment
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("tot", [4000, 6000])
def test_f1_tot_disagreeing_with_the_data_segment_stops_before_the_run(tmp_path, tot):
    sheet, folder = _fcs_cohort(tmp_path, lambda t: t.replace("$TOT/5000/", f"$TOT/{tot}/"))
    # 7 float channels: 28 bytes an event; the DATA segment holds 5000 events
    _raises(lambda: _check(sheet, flow_fcs=folder), "BALI002.fcs", f"$TOT says {tot} events",
            f"{tot * 28} bytes", "is 140000 bytes (5000 events)", "export it again")
    # FlowKit read the file as it is: the number of events read, not $TOT
    _raises(lambda: read_fcs(folder / "BALI002.fcs"), "BALI002.fcs", f"$TOT says {tot} events", "5000")


def test_f1_root_parent_count_is_the_number_of_events_read(tmp_path):
    from omics.io import read_gating
    from omics.stages._flow import default_gating

    sample = read_fcs(TEST_COHORT / "fcs" / "BALI001.fcs")
    sample.event_count = 4000  # what FlowKit keeps from a $TOT that disagrees with the data
    table, _ = gate_sample(sample, read_gating(default_gating()).strategy)
    assert (table.loc[table["parent"] == "root", "parent_events"] == 5000).all()


def _shift_enddata(path: Path, delta: int) -> None:
    """Move ``$ENDDATA`` (TEXT and HEADER) by ``delta`` bytes; the data stay as they are."""
    data = bytearray(path.read_bytes())
    end = int(data[34:42])
    text = data[int(data[10:18]):int(data[18:26]) + 1].decode("latin1")
    edited = text.replace(f"$ENDDATA/{end}/", f"$ENDDATA/{end + delta}/")
    assert len(edited) == len(text) and edited != text
    data[int(data[10:18]):int(data[18:26]) + 1] = edited.encode("latin1")
    data[34:42] = str(end + delta).rjust(8).encode()
    path.write_bytes(bytes(data))


def test_f1_enddata_off_by_one_stops_before_the_run_unless_ignored(tmp_path):
    sheet, folder = _fcs_cohort(tmp_path)
    _shift_enddata(folder / "BALI002.fcs", 1)
    _raises(lambda: _check(sheet, flow_fcs=folder), "BALI002.fcs", "140001 bytes", "one more",
            "off by one byte", "flow_ignore_offset_error")
    assert _check(sheet, flow_fcs=folder, flow_ignore_offset_error="true")["mode"] == "fcs"
    header = read_fcs_header(folder / "BALI002.fcs", ignore_offset_error=True)
    assert header.event_count == 5000
    # one byte short is no known exporter slip: it stops either way
    _shift_enddata(folder / "BALI002.fcs", -2)
    for ignore in ("false", "true"):
        _raises(lambda ignore=ignore: _check(sheet, flow_fcs=folder, flow_ignore_offset_error=ignore),
                "BALI002.fcs", "$TOT says 5000 events", "139999 bytes")


def test_f1_omics_run_stops_on_the_off_by_one_file_before_writing(tmp_path):
    sheet, folder = _sheet(tmp_path, n=40), tmp_path / "fcs"
    shutil.copytree(TEST_COHORT / "fcs", folder)
    _shift_enddata(folder / "BALI002.fcs", 1)
    outdir = tmp_path / "out"
    result = run_omics("run", "--input", str(sheet), "--contrasts", str(TEST_COHORT / "contrasts.yaml"),
                       "--rna_counts", str(TEST_COHORT / "salmon.merged.gene_counts.tsv"),
                       "--flow_fcs", str(folder), "--outdir", str(outdir))
    line = assert_input_error(result, outdir)
    assert "BALI002.fcs" in line and "--flow_ignore_offset_error true" in line


# --------------------------------------------------------------------------------------
# F2, F3: one FCS file per sample, one sample per FCS file
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("other", ["BALI001.FCS", "BALI001.lmd"])
def test_f2_two_files_for_one_sample_stop_naming_both(tmp_path, other):
    sheet, folder = _fcs_cohort(tmp_path)
    shutil.copy(folder / "BALI002.fcs", folder / other)
    _raises(lambda: _check(sheet, flow_fcs=folder), "'BALI001'", "BALI001.fcs", other, "2 FCS files")
    # the sample sheet's fcs column says which one
    named = _sheet(tmp_path, n=2, fcs=["BALI001.fcs", "BALI002.fcs"])
    assert _check(named, flow_fcs=folder)["files"]["BALI001"].name == "BALI001.fcs"


def test_f3_one_file_for_two_samples_stops_naming_them(tmp_path):
    _, folder = _fcs_cohort(tmp_path)
    both = _sheet(tmp_path, n=2, fcs=["BALI001.fcs", "BALI001.fcs"])
    _raises(lambda: _check(both, flow_fcs=folder), "sheet.csv", "column 'fcs'", "'BALI001', 'BALI002'",
            "BALI001.fcs", "same flow data")
    # one sample by its name, the other through the fcs column
    sheet = pd.DataFrame({"fcs": ["", "BALI001.fcs"]}, index=pd.Index(["BALI001", "BALI002"], name="sample"))
    _raises(lambda: fcs_files(sheet, flow_fcs=folder, base=tmp_path, sheet_path=tmp_path / "s.csv"),
            "'BALI001', 'BALI002'", "BALI001.fcs")


# --------------------------------------------------------------------------------------
# F4, F5, F6, F12, F13: absolute counts, their unit and the dose
# --------------------------------------------------------------------------------------


def _with_absolute(column: str = "absolute", empty: tuple[str, str] | None = None,
                   scale: float = 1.0):  # noqa: ANN202 - a table edit
    """Give the table the bead-based cells/uL (50,000 beads, 100 uL) as ``column``, x ``scale``."""
    def edit(table: pd.DataFrame) -> pd.DataFrame:
        table = table.copy()
        events = table["events"].astype(float)
        beads = table["sample"].map(table[table["population"] == "Beads"].set_index("sample")["events"]
                                    .astype(float))
        table[column] = (events / beads * 50000 / 100 * scale).map(repr)
        if empty is not None:
            table.loc[(table["sample"] == empty[0]) & (table["population"] == empty[1]), column] = ""
        return table
    return edit


def test_f4_partly_filled_absolute_column_stops_naming_the_cell(tmp_path):
    sheet = _sheet(tmp_path)
    table = _table(tmp_path, _with_absolute(empty=("BALI002", "CD34")))
    line = 1 + table.read_text().splitlines()[1:].index(
        next(t for t in table.read_text().splitlines() if t.startswith("BALI002\tCD34\t"))) + 1
    assert line == 13  # the header, BALI001's 7 rows, BALI002's Beads, Leukocytes, Viable, LymphBlast
    for params in ({}, {"flow_beads_per_test": 50000}):
        _raises(lambda params=params: _check(sheet, flow_table=table, **params), "populations.tsv",
                "column 'absolute'", f"row {line}", "'BALI002'", "'CD34'", "empty")
    # a sample left out of the sample sheet is not analysed: its empty cell does not matter
    extra = _table(tmp_path, _with_absolute(empty=("BALI004", "CD34")), n=4, name="extra.tsv")
    assert _check(sheet, flow_table=extra)["table"].attrs["absolute_unit"] == "as exported"
    # an empty column is no absolute counts
    assert read_flow_table(_table(tmp_path, lambda t: t.assign(absolute=""), name="e.tsv")).attrs[
        "absolute_unit"] is None


def _dose(tmp_path: Path, name: str, table: Path, sheet: Path, **params: object) -> tuple[pd.Series, str]:
    outdir = tmp_path / name
    flow_prep(samplesheet=sheet, outdir=outdir, params={"flow_gating_plots": False, **params},
              flow_table=table)
    flow = ad.read_h5ad(outdir / "flow" / "flow.h5ad")
    scores = flow_scores(flow)
    return scores.get("dose:CD34_absolute"), flow.uns["absolute_unit"]


def test_f5_exported_cells_per_ul_become_a_dose_per_graft_as_with_beads(tmp_path):
    sheet = _sheet(tmp_path, graft_volume_ml=["40", "40", "80"])
    beads, unit = _dose(tmp_path, "beads", _table(tmp_path), sheet, flow_beads_per_test=50000)
    assert unit == "cells_per_uL"
    for column in ("cells/uL", "Cells/\u00b5L", "cells per ul"):
        table = _table(tmp_path, _with_absolute(column), name="per_ul.tsv")
        exported, unit = _dose(tmp_path, "exported", table, sheet)
        assert unit == "cells_per_uL", column
        np.testing.assert_allclose(exported, beads, rtol=1e-12)
    # cells per graft are used as they are
    table = _table(tmp_path, _with_absolute("absolute per graft", scale=1000 * 40), name="graft.tsv")
    graft, unit = _dose(tmp_path, "graft", table, sheet)
    assert unit == "cells_per_graft"
    np.testing.assert_allclose(graft.iloc[:2], beads.iloc[:2], rtol=1e-12)  # 40 mL grafts
    np.testing.assert_allclose(graft.iloc[2], beads.iloc[2] - np.log10(2), rtol=1e-12)


def test_f5_cell_count_per_ul_becomes_a_dose_per_graft(tmp_path):
    sheet = _sheet(tmp_path, graft_volume_ml=["40", "40", "80"], wbc_per_ul=["5000", "8000", "6000"],
                   wbc=["5000", "8000", "6000"])
    per_ul, unit = _dose(tmp_path, "per_ul", _table(tmp_path), sheet, flow_cell_count_col="wbc_per_ul")
    assert unit == "cells_per_uL"
    table = read_flow_table(_table(tmp_path))
    events = table.pivot(index="sample", columns="population", values="events")
    expected = events["CD34"] / events["Leukocytes"] * [5000, 8000, 6000] * 1000 * [40, 40, 80]
    np.testing.assert_allclose(per_ul, np.log10(expected.to_numpy()), rtol=1e-12)
    # a column whose name states no unit: the dose stays in it (and graft_volume_ml is not used)
    plain, unit = _dose(tmp_path, "plain", _table(tmp_path), sheet, flow_cell_count_col="wbc")
    assert unit == "cells_per_wbc_unit"
    np.testing.assert_allclose(plain, np.log10(expected / 1000 / [40, 40, 80]).to_numpy(), rtol=1e-12)


def test_f6_no_dose_from_counts_per_million_events(tmp_path, caplog):
    sheet = _sheet(tmp_path)
    with caplog.at_level(logging.INFO, logger="omics"):
        dose, unit = _dose(tmp_path, "relative", _table(tmp_path), sheet)
    assert unit == "per_million_events" and dose is None
    lines = [r.getMessage() for r in caplog.records if "dose:CD34_absolute" in r.getMessage()]
    assert len(lines) == 1 and "per 10^6 acquired events" in lines[0] and "no dose" in lines[0]


def _cohort_anndata(cd34: list[int]) -> ad.AnnData:
    long = bead_populations((cd34[0], cd34[1]))
    adata = populations_anndata(long, ["S1", "S2"])
    absolute_counts(adata, beads_per_test=50000, bead_gate="Beads", sample_volume_ul=100)
    return adata


def test_f12_dose_is_the_absolute_count_and_an_empty_gate_half_an_event(tmp_path):
    adata = _cohort_anndata([99, 0])
    adata.obs["graft_volume_ml"] = [40.0, 80.0]
    dose = flow_scores(adata)["dose:CD34_absolute"]
    # S1: 99 events / 500 beads x 50,000 / 100 uL = 99 cells/uL, x 1000 x 40 mL (no pseudo-event)
    assert dose["S1"] == pytest.approx(np.log10(99 * 1000 * 40), abs=1e-12)
    # S2: no CD34 event: half an event's worth, 0.5 / 250 x 50,000 / 100 = 1 cell/uL
    assert dose["S2"] == pytest.approx(np.log10(1.0 * 1000 * 80), abs=1e-12)
    # without graft volumes the dose stays in cells/uL
    np.testing.assert_allclose(flow_scores(_cohort_anndata([99, 0]))["dose:CD34_absolute"],
                               np.log10([99.0, 1.0]), rtol=1e-12)
    # exported counts: the empty gate's half event is scaled by the sample's other populations
    long = pd.DataFrame({"sample": ["S1", "S1", "S2", "S2"], "population": ["Leukocytes", "CD34"] * 2,
                         "parent": ["root", "Leukocytes"] * 2, "events": [8000, 40, 9000, 0],
                         "parent_events": [10000, 8000, 10000, 9000],
                         "absolute": [4000.0, 20.0, 3000.0, 0.0]})
    exported = populations_anndata(long, ["S1", "S2"], absolute_unit="cells_per_uL")
    absolute_counts(exported)
    np.testing.assert_allclose(flow_scores(exported)["dose:CD34_absolute"],
                               np.log10([20.0, 0.5 * 3000 / 9000]), rtol=1e-12)


def test_f13_two_sources_of_absolute_counts_stop(tmp_path):
    sheet = _sheet(tmp_path, cells=["1000", "2000", "3000"])
    _raises(lambda: _check(sheet, flow_table=POPULATIONS, flow_cell_count_col="cells",
                           flow_beads_per_test=50000),
            "flow_beads_per_test", "flow_cell_count_col", "give one")
    (tmp_path / "f").mkdir()
    _, folder = _fcs_cohort(tmp_path / "f")
    fcs_sheet = _sheet(tmp_path / "f", n=2, cells=["1", "2"])
    _raises(lambda: _check(fcs_sheet, flow_fcs=folder, flow_cell_count_col="cells",
                           flow_beads_per_test=50000), "give one")
    assert _check(fcs_sheet, flow_fcs=folder, flow_beads_per_test=50000)
    assert _check(fcs_sheet, flow_fcs=folder, flow_cell_count_col="cells")
    # a table's absolute column and counting beads, too
    table = _table(tmp_path, _with_absolute("cells/uL"), name="exported.tsv")
    _raises(lambda: _check(sheet, flow_table=table, flow_beads_per_test=50000), "exported.tsv",
            "absolute counts", "flow_beads_per_test", "give one")
    assert _check(sheet, flow_table=table)


# --------------------------------------------------------------------------------------
# F7: the file's spillover matrix, when gates compensate with it
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "needles"), [
    ("0", ["$SPILLOVER", "not a usable matrix", "0 detectors"]),
    ("5,FL1-A,FL2-A", ["$SPILLOVER", "not a usable matrix", "0 values where 5 detectors need 25"]),
    (_matrix(FL, np.eye(5)).replace(",0,", ",x,", 1), ["$SPILLOVER", "'x' is not a number"]),
    (_matrix(FL, np.ones((5, 5))), ["$SPILLOVER", "singular"]),
    (_matrix(FL, np.eye(5)), ["$SPILLOVER", "identity matrix", "uncompensated", "flow_gating"]),
    (_matrix(FL[:4], np.eye(4) + 0.01), ["'KDR'", "'FL5-A'", "do not include it"]),
    (_matrix([*FL, "FL6-A"], np.eye(6) + 0.01), ["'FL6-A'", "not fluorescence channel(s) of the file"]),
])
def test_f7_spillover_the_gates_cannot_compensate_with_stops(tmp_path, value, needles):
    sheet, folder = _fcs_cohort(tmp_path, _spillover(value))
    _raises(lambda: _check(sheet, flow_fcs=folder), "BALI002.fcs", "'BALI002'", 'compensation-ref="FCS"',
            *needles)


def test_f7_spillover_unused_or_fine_passes(tmp_path):
    # a real matrix in another detector order passes; an identity matrix with a template that
    # does not compensate with the file's matrix passes too
    order = [FL[i] for i in (4, 2, 0, 1, 3)]
    matrix = np.eye(5)
    matrix[order.index("FL1-A"), order.index("FL2-A")] = 0.15
    sheet, folder = _fcs_cohort(tmp_path, _spillover(_matrix(order, matrix)))
    assert _check(sheet, flow_fcs=folder)["mode"] == "fcs"
    (tmp_path / "i").mkdir()
    sheet, folder = _fcs_cohort(tmp_path / "i", _spillover(_matrix(FL, np.eye(5))))
    template = tmp_path / "uncompensated.gating.xml"
    template.write_text(flow_stage.default_gating().read_text().replace(
        'compensation-ref="FCS"', 'compensation-ref="uncompensated"'))
    assert _check(sheet, flow_fcs=folder, flow_gating=template)["mode"] == "fcs"
    header = read_fcs_header(folder / "BALI002.fcs")
    assert header.spillover_keyword == "$SPILLOVER" and header.spillover_detectors == FL
    np.testing.assert_array_equal(header.spillover, np.eye(5))


# --------------------------------------------------------------------------------------
# F8: a gate dimension carried by two channels
# --------------------------------------------------------------------------------------


def test_f8_marker_on_two_channels_stops_naming_them(tmp_path):
    sheet, folder = _fcs_cohort(tmp_path, lambda t: t.replace("$P1N/FSC-A/", "$P1N/FSC-A/$P1S/CD34/"))
    _raises(lambda: _check(sheet, flow_fcs=folder), "BALI002.fcs", "'BALI002'", "'CD34'",
            "'FSC-A' ($P1S)", "'FL2-A' ($P4S)", "FlowKit would gate on the first", "$PnN", "'FL2-A'")
    # a gate on the $PnN is not ambiguous: the same file passes with a template gating FL2-A
    template = tmp_path / "pnn.gating.xml"
    template.write_text(flow_stage.default_gating().read_text().replace(
        'data-type:name="CD34"', 'data-type:name="FL2-A"'))
    assert _check(sheet, flow_fcs=folder, flow_gating=template)["mode"] == "fcs"


# --------------------------------------------------------------------------------------
# F9: bead numbers and the sample volume are positive
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "value"), [("flow_sample_volume_ul", 0), ("flow_sample_volume_ul", -100),
                                             ("flow_beads_per_test", 0), ("flow_beads_per_test", -1)])
def test_f9_zero_or_negative_volume_or_beads_stop_the_pre_run_check(tmp_path, name, value):
    sheet = _sheet(tmp_path)
    params = {"input": str(sheet), "flow_table": str(POPULATIONS), "flow_beads_per_test": 50000, name: value}
    _raises(lambda: check_flow_inputs(params, read_samplesheet(sheet), sheet_path=sheet), name,
            repr(value), "positive")
    # flow_prep called directly (no schema check) stops too, instead of taking 100 uL for 0
    _raises(lambda: flow_prep(samplesheet=sheet, outdir=tmp_path / "out", params=params), name)
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------------------
# F11: every sample of a workspace has the same populations
# --------------------------------------------------------------------------------------


def test_f11_workspace_samples_with_different_populations_stop(tmp_path, monkeypatch):
    import flowkit as fk

    def strategy(*gates: str) -> object:
        built = fk.GatingStrategy()
        parent: tuple[str, ...] = ("root",)
        for gate in gates:
            dim = fk.Dimension("FSC-A", compensation_ref="uncompensated", range_min=1000)
            built.add_gate(fk.gates.RectangleGate(gate, [dim]), parent)
            parent = (*parent, gate)
        return built

    sheet, folder = _fcs_cohort(tmp_path)
    workspace = tmp_path / "groups.wsp"
    workspace.write_text("<Workspace/>")
    strategies = {"BALI001.fcs": strategy("Cells", "Big"), "BALI002.fcs": strategy("Cells")}
    monkeypatch.setattr(flow_stage, "read_gating",
                        lambda path: Gating(path=Path(path), strategy=None, workspace=strategies))
    _raises(lambda: _check(sheet, flow_fcs=folder, flow_gating=workspace), "groups.wsp", "'BALI002'",
            "no gate for population(s) 'Big'", "same gates")
    strategies["BALI002.fcs"] = strategy("Cells", "Big")
    assert _check(sheet, flow_fcs=folder, flow_gating=workspace)["mode"] == "fcs"


def test_edited_fcs_files_still_read_event_for_event(tmp_path):
    """The TEXT edits above keep the events: the unedited copy and the edited file agree."""
    target = tmp_path / "copy.fcs"
    _edit_fcs(TEST_COHORT / "fcs" / "BALI001.fcs", target, lambda t: t)
    a = read_fcs(TEST_COHORT / "fcs" / "BALI001.fcs").get_events(source="raw")
    np.testing.assert_array_equal(a, read_fcs(target).get_events(source="raw"))
