"""Flow input checks: each bad input stops before anything is written, naming the file and the fix.

Small crafted inputs (a few test-cohort samples, edited FCS headers, short tables); one
``omics run`` checks that nothing is written.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers import TEST_COHORT, assert_input_error, run_omics
from helpers import raises_one_line as _raises
from omics.io import read_flow_table, read_qpcr, read_samplesheet
from omics.params import resolve
from omics.pp import flow_scores
from omics.stages._flow import check_flow_inputs, default_gating, flow_prep, flow_task_inputs

POPULATIONS = TEST_COHORT / "flow_populations.tsv"


def _sheet(tmp_path: Path, n: int = 3, **columns: list[str]) -> Path:
    """The first ``n`` test-cohort samples as a CSV sample sheet, with extra ``columns``."""
    sheet = pd.read_csv(TEST_COHORT / "samplesheet.csv", dtype=str).head(n)
    for name, values in columns.items():
        sheet[name] = values
    path = tmp_path / "sheet.csv"
    sheet.to_csv(path, index=False)
    return path


def _check(sheet: Path, **params: object) -> dict | None:
    """``check_flow_inputs`` of ``omics run`` (``flow_task_inputs``' check) on ``sheet``."""
    resolved = resolve({"input": str(sheet), **{k: str(v) for k, v in params.items()}})
    return check_flow_inputs(resolved, read_samplesheet(sheet), sheet_path=sheet)


def _edit_fcs(source: Path, target: Path, edit: Callable[[str], str]) -> None:
    """Write ``source`` to ``target`` with its TEXT segment edited (offsets recomputed)."""
    data = source.read_bytes()
    start, end = int(data[10:18]), int(data[18:26])
    begin_data, end_data = int(data[26:34]), int(data[34:42])
    text, events = edit(data[start:end + 1].decode("latin1")), data[begin_data:end_data + 1]
    for _ in range(3):  # the offsets' own digits change the TEXT length
        begin = 256 + len(text.encode("latin1"))
        text = re.sub(r"\$BEGINDATA/\d+/", f"$BEGINDATA/{begin}/", text)
        text = re.sub(r"\$ENDDATA/\d+/", f"$ENDDATA/{begin + len(events) - 1}/", text)
    raw = text.encode("latin1")
    begin = 256 + len(raw)
    offsets = (256, 256 + len(raw) - 1, begin, begin + len(events) - 1, 0, 0)
    header = b"FCS3.1    " + b"".join(str(x).rjust(8).encode() for x in offsets)
    target.write_bytes(header.ljust(256) + raw + events)


def _fcs_cohort(tmp_path: Path, edit: Callable[[str], str] | None = None) -> tuple[Path, Path]:
    """Sheet and FCS folder of two samples; ``edit`` applied to BALI002's TEXT segment."""
    sheet = _sheet(tmp_path, n=2)
    folder = tmp_path / "fcs"
    folder.mkdir()
    for sample in ("BALI001", "BALI002"):
        source = TEST_COHORT / "fcs" / f"{sample}.fcs"
        if sample == "BALI002" and edit is not None:
            _edit_fcs(source, folder / source.name, edit)
        else:
            shutil.copy(source, folder / source.name)
    return sheet, folder


def _no_spillover(text: str) -> str:
    return re.sub(r"\$SPILLOVER/[^/]*/", "", text)


def test_fcs_without_spillover_stops_when_the_template_compensates_with_it(tmp_path):
    sheet, folder = _fcs_cohort(tmp_path, _no_spillover)
    _raises(lambda: _check(sheet, flow_fcs=folder), "BALI002.fcs", "'BALI002'", "$SPILLOVER",
            'compensation-ref="FCS"', "uncompensated", "flow_gating")
    # the fix the message names: a template for data compensated at acquisition
    template = tmp_path / "uncompensated.gating.xml"
    template.write_text(default_gating().read_text().replace('compensation-ref="FCS"',
                                                             'compensation-ref="uncompensated"'))
    assert _check(sheet, flow_fcs=folder, flow_gating=template)["mode"] == "fcs"


def test_fcs_with_spillover_or_a_scatter_only_template_passes(tmp_path):
    sheet, folder = _fcs_cohort(tmp_path)
    assert set(_check(sheet, flow_fcs=folder)["files"]) == {"BALI001", "BALI002"}
    # scatter is never compensated: scatter-only gates pass without a spillover matrix
    template = tmp_path / "scatter.gating.xml"
    template.write_text(_scatter_template())
    one = tmp_path / "one"
    one.mkdir()
    for sample in ("BALI001", "BALI002"):
        _edit_fcs(TEST_COHORT / "fcs" / f"{sample}.fcs", one / f"{sample}.fcs",
                  _no_spillover)
    _raises(lambda: _check(sheet, flow_fcs=one), "$SPILLOVER")
    assert _check(sheet, flow_fcs=one, flow_gating=template)["mode"] == "fcs"


def _scatter_template() -> str:
    """A Gating-ML 2.0 range gate on FSC-A with compensation-ref="FCS" (scatter is never compensated)."""
    return """<?xml version="1.0" encoding="UTF-8"?>
<gating:Gating-ML xmlns:gating="http://www.isac-net.org/std/Gating-ML/v2.0/gating"
    xmlns:data-type="http://www.isac-net.org/std/Gating-ML/v2.0/datatypes">
  <gating:RectangleGate gating:id="Cells">
    <gating:dimension gating:min="15000" gating:compensation-ref="FCS">
      <data-type:fcs-dimension data-type:name="FSC-A"/>
    </gating:dimension>
  </gating:RectangleGate>
</gating:Gating-ML>
"""


def test_marker_with_trailing_space_stops_naming_the_keyword(tmp_path):
    sheet, folder = _fcs_cohort(tmp_path, lambda t: t.replace("$P4S/CD34/", "$P4S/CD34 /"))
    _raises(lambda: _check(sheet, flow_fcs=folder), "BALI002.fcs", "'BALI002'", "$P4S",
            "'CD34 '", "'FL2-A'", "white space")


# --------------------------------------------------------------------------------------
# Population tables
# --------------------------------------------------------------------------------------


def _table(tmp_path: Path, edit: Callable[[pd.DataFrame], pd.DataFrame] = lambda t: t,
           n: int = 3, name: str = "populations.tsv", sep: str = "\t") -> Path:
    table = pd.read_csv(POPULATIONS, sep="\t", dtype=str)
    table = edit(table[table["sample"].isin([f"BALI{i:03d}" for i in range(1, n + 1)])])
    path = tmp_path / name
    table.to_csv(path, sep=sep, index=False)
    return path


def _drop(sample: str, population: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    return lambda t: t[~((t["sample"] == sample) & (t["population"] == population))]


def test_population_missing_from_one_sample_stops(tmp_path):
    sheet, table = _sheet(tmp_path), _table(tmp_path, _drop("BALI002", "CD34_KDR"))
    _raises(lambda: _check(sheet, flow_table=table), "populations.tsv", "'BALI002'", "'CD34_KDR'")
    # a sample left out of the sample sheet is not analysed, so its rows do not matter
    table = _table(tmp_path, _drop("BALI004", "CD34_KDR"), n=4, name="extra.tsv")
    assert sorted(set(_check(sheet, flow_table=table)["table"]["sample"])) == [
        "BALI001", "BALI002", "BALI003"]


def test_population_names_differing_in_case_stop_naming_both(tmp_path):
    def lower(table: pd.DataFrame) -> pd.DataFrame:
        table = table.copy()
        for column in ("population", "parent"):
            table.loc[(table["sample"] == "BALI002") & (table[column] == "CD34"), column] = "cd34"
        return table

    sheet, table = _sheet(tmp_path), _table(tmp_path, lower)
    _raises(lambda: _check(sheet, flow_table=table), "populations.tsv", "'CD34'", "'cd34'",
            "'BALI002'", "case")


def _absolute(values: dict[str, str]) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """Give the table an ``absolute`` column: ``values`` for BALI001's populations, 1 elsewhere."""
    def edit(table: pd.DataFrame) -> pd.DataFrame:
        table = table.assign(absolute="1")
        for population, value in values.items():
            table.loc[(table["sample"] == "BALI001") & (table["population"] == population),
                      "absolute"] = value
        return table
    return edit


def _bali001(path: Path) -> pd.Series:
    table = read_flow_table(path)
    return table[table["sample"] == "BALI001"].set_index("population")["absolute"]


def test_decimal_comma_of_a_semicolon_table_is_a_decimal_mark(tmp_path):
    path = _table(tmp_path, _absolute({"Leukocytes": "885,2", "CD34": "15,03", "Viable": "800"}),
                  name="euro.csv", sep=";")
    absolute = _bali001(path)
    assert absolute[["Leukocytes", "CD34", "Viable"]].tolist() == [885.2, 15.03, 800.0]
    # a tab-separated table: a comma grouping thousands is dropped, another one is a decimal mark
    grouped = _table(tmp_path, lambda t: _absolute({"Leukocytes": "12,345"})(t).assign(
        events=lambda d: d["events"].str.replace(r"^(\d)(\d{3})$", r"\1,\2", regex=True)),
        name="grouped.tsv")
    assert _bali001(grouped)["Leukocytes"] == 12345.0
    assert read_flow_table(grouped)["events"].tolist() == read_flow_table(_table(tmp_path))["events"].tolist()
    assert _bali001(_table(tmp_path, _absolute({"CD34": "15,03"}), name="comma.tsv"))["CD34"] == 15.03


@pytest.mark.parametrize(("value", "sep", "needle"), [
    ("1,234.5", ";", "ambiguous"),
    ("1,234.5", "\t", "ambiguous"),
    ("1.234,5", ";", "ambiguous"),
    ("1,234,5", ";", "ambiguous"),
    ("885.2", ";", "ambiguous"),  # a point among decimal commas: a thousands point?
    ("inf", "\t", "not a non-negative number"),
])
def test_ambiguous_or_bad_numbers_in_the_table_stop(tmp_path, value, sep, needle):
    path = _table(tmp_path, _absolute({"Leukocytes": "15,5", "CD34": value}), name="t.csv", sep=sep)
    _raises(lambda: read_flow_table(path), "t.csv", "column 'absolute'", "'BALI001'", "'CD34'",
            repr(value), needle)


def test_event_counts_must_be_whole_numbers(tmp_path):
    def thousands_point(table: pd.DataFrame) -> pd.DataFrame:
        table = table.copy()
        table.loc[table.index[1], "events"] = "8.848"  # a European thousands point
        return table

    path = _table(tmp_path, thousands_point, name="t.csv", sep=";")
    _raises(lambda: read_flow_table(path), "column 'events'", "'8.848'", "whole")


# --------------------------------------------------------------------------------------
# Sample sheet columns and flow options, checked before omics run writes anything
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("volume", ["40 ml", "40,5"])
def test_graft_volume_not_a_number_stops(tmp_path, volume):
    sheet = _sheet(tmp_path, graft_volume_ml=["40", volume, ""])
    _raises(lambda: _check(sheet, flow_table=POPULATIONS), "sheet.csv", "column 'graft_volume_ml'",
            "sample 'BALI002'", repr(volume))
    # an empty cell is an unknown volume; numbers pass
    assert _check(_sheet(tmp_path, graft_volume_ml=["40", "40.5", ""]), flow_table=POPULATIONS)


def test_flow_scores_refuse_a_graft_volume_that_is_text():
    import anndata as ad

    adata = ad.AnnData(np.log2(np.array([[100.0], [200.0]])),
                       obs=pd.DataFrame({"graft_volume_ml": ["40", "40 ml"]}, index=["S1", "S2"]),
                       var=pd.DataFrame(index=["CD34"]))
    adata.layers["events"] = adata.layers["parent_events"] = adata.layers["absolute"] = np.array(
        [[100.0], [200.0]])
    adata.uns["absolute_unit"] = "cells_per_uL"
    _raises(lambda: flow_scores(adata), "graft_volume_ml", "'S2'", "'40 ml'")


@pytest.mark.parametrize(("params", "needles"), [
    ({"flow_beads_per_test": 50000, "flow_bead_gate": "CountBright"},
     ["flow_bead_gate", "'CountBright'", "populations.tsv", "Beads"]),
    ({"flow_bead_gate": "CountBright"}, ["flow_bead_gate", "'CountBright'"]),
    ({"flow_cell_count_col": "cd34_per_ml", "flow_count_reference": "leukocytes"},
     ["flow_count_reference", "'leukocytes'", "Leukocytes"]),
    ({"flow_dose_population": "CD-34"}, ["flow_dose_population", "'CD-34'", "CD34_KDR"]),
    ({"flow_dose_population": "Beads"}, ["flow_dose_population", "'Beads'"]),
    ({"flow_cell_count_col": "nosuch_col"}, ["sheet.csv", "flow_cell_count_col", "'nosuch_col'"]),
])
def test_flow_options_naming_no_population_or_column_stop_the_pre_run_check(tmp_path, params, needles):
    sheet = _sheet(tmp_path)
    table = _table(tmp_path)
    resolved = resolve({"input": str(sheet), "flow_table": str(table),
                        **{k: str(v) for k, v in params.items()}})
    _raises(lambda: flow_task_inputs(resolved), *needles)


def test_flow_options_that_name_populations_pass(tmp_path):
    sheet, table = _sheet(tmp_path), _table(tmp_path)
    for params in ({"flow_beads_per_test": "50000"}, {"flow_cell_count_col": "cd34_per_ml"},
                   {"flow_dose_population": "CD34_KDR"}):
        assert flow_task_inputs(resolve({"input": str(sheet), "flow_table": str(table), **params}))
    # options of the FCS route are checked against the gating strategy's populations
    (tmp_path / "f").mkdir()
    fcs_sheet, folder = _fcs_cohort(tmp_path / "f")
    resolved = resolve({"input": str(fcs_sheet), "flow_fcs": str(folder), "flow_dose_population": "CD34x"})
    _raises(lambda: flow_task_inputs(resolved), "bmmnc_progenitors.gating.xml", "'CD34x'")


def test_cell_count_column_message_names_the_users_sheet(tmp_path):
    """flow_prep in omics run reads validated/samplesheet.csv, but the user wrote the original."""
    sheet = _sheet(tmp_path)
    copy = tmp_path / "validated" / "samplesheet.csv"
    copy.parent.mkdir()
    shutil.copy(sheet, copy)
    params = resolve({"input": str(sheet), "flow_cell_count_col": "nosuch_col"})
    text = _raises(lambda: flow_prep(samplesheet=copy, outdir=tmp_path / "out", params=params,
                                     flow_table=_table(tmp_path)), "'nosuch_col'")
    assert text.startswith(str(sheet)) and "validated" not in text
    assert not (tmp_path / "out").exists()


def test_cell_count_used_must_be_a_positive_number(tmp_path):
    sheet = _sheet(tmp_path, cells=["1000", "", "2000"])
    _raises(lambda: _check(sheet, flow_table=POPULATIONS, flow_cell_count_col="cells"),
            "column 'cells'", "sample 'BALI002'", "empty")
    # counting beads and a cell count are two sources of the same counts: give one (F13)
    _raises(lambda: _check(sheet, flow_table=POPULATIONS, flow_cell_count_col="cells",
                           flow_beads_per_test=50000),
            "flow_beads_per_test", "flow_cell_count_col", "give one")


def test_omics_run_with_a_bad_flow_option_exits_2_and_writes_nothing(tmp_path):
    sheet = _sheet(tmp_path, n=40)
    outdir = tmp_path / "out"
    result = run_omics("run", "--input", str(sheet), "--contrasts", str(TEST_COHORT / "contrasts.yaml"),
                       "--rna_counts", str(TEST_COHORT / "salmon.merged.gene_counts.tsv"),
                       "--flow_table", str(POPULATIONS), "--flow_dose_population", "CD-34",
                       "--outdir", str(outdir))
    line = assert_input_error(result, outdir)
    assert "--flow_dose_population 'CD-34'" in line and "flow_populations.tsv" in line


# --------------------------------------------------------------------------------------
# qPCR
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["inf", "-Infinity"])
def test_qpcr_ct_inf_is_text_and_stops(tmp_path, text):
    path = tmp_path / "ct.tsv"
    path.write_text(f"sample\ttarget\tct\nS1\tACTB\t20,5\nS1\tKDR\t{text}\n")
    _raises(lambda: read_qpcr(path), "line 3", repr(text), "'KDR'", "not a number")
