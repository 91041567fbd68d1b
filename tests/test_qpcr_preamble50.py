"""QuantStudio/7500/ViiA7 results exports read with their instrument preamble (`* ...`, `[Results]`)."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from helpers import raises_one_line
from omics.io import read_qpcr

PREAMBLE = ["* Block Type = 96-Well Block (0.2mL)", "* Chemistry = SYBR_GREEN",
            "* Experiment File Name = C:\\runs\\bali_plate1.eds", "* Instrument Type = sds7500fast", ""]


def _results(n_samples: int = 4) -> pd.DataFrame:
    """A QuantStudio results table: Well, Omit, Sample Name, Target Name, Task, CT (triplicates)."""
    rng = np.random.default_rng(50)
    rows = []
    for s in range(1, n_samples + 1):
        for target, base in (("ACTB", 16.0), ("VEGFA", 26.0)):
            for _ in range(3):
                rows.append({"Omit": "false", "Sample Name": f"S{s:02d}", "Target Name": target,
                             "Task": "UNKNOWN", "CT": f"{base + s * 0.2 + 0.05 * rng.normal():.3f}"})
    table = pd.DataFrame(rows)
    table.insert(0, "Well", range(1, len(table) + 1))
    return table


def _write(path, table: pd.DataFrame, before: list[str], after: list[str] = (), sep: str = "\t",
           newline: str = "\n", bom: bool = False) -> None:
    body = table.to_csv(sep=sep, index=False, lineterminator="\n").splitlines()
    text = newline.join([*before, *body, *after]) + newline
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode())


@pytest.fixture
def clean(tmp_path):
    path = tmp_path / "clean.txt"
    _write(path, _results(), [])
    return read_qpcr(path)


def test_preamble_and_results_line_are_skipped_with_the_file_lines_kept(tmp_path, clean, caplog):
    path = tmp_path / "qs.txt"
    _write(path, _results(), [*PREAMBLE, "[Results]"])
    with caplog.at_level(logging.INFO, logger="omics"):
        long = read_qpcr(path)
    pd.testing.assert_frame_equal(long.drop(columns="line"), clean.drop(columns="line"))
    # six lines above the header: every row's file line is six further down
    assert (long["line"] - clean["line"]).eq(6).all()
    assert "skipped the instrument preamble" in caplog.text and "lines 1-6" in caplog.text


@pytest.mark.parametrize("sep,newline,bom", [(",", "\r\n", True), (";", "\n", False)])
def test_preamble_of_a_spreadsheet_saved_as_csv(tmp_path, clean, sep, newline, bom):
    """Excel pads the preamble's lines with delimiters (`* Block Type = ...,,,,`, `[Results],,,,`)."""
    path = tmp_path / "qs.csv"
    pad = sep * 5
    _write(path, _results(), [*(line + pad if line else pad for line in PREAMBLE), "[Results]" + pad],
           sep=sep, newline=newline, bom=bom)
    long = read_qpcr(path)
    pd.testing.assert_frame_equal(long.drop(columns="line"), clean.drop(columns="line"))


def test_preamble_without_results_line(tmp_path, clean):
    path = tmp_path / "qs.txt"
    _write(path, _results(), PREAMBLE[:2])
    long = read_qpcr(path)
    pd.testing.assert_frame_equal(long.drop(columns="line"), clean.drop(columns="line"))


def test_bad_ct_after_the_preamble_names_its_file_line(tmp_path):
    table = _results()
    table.loc[4, "CT"] = "27.4x"
    path = tmp_path / "qs.txt"
    _write(path, table, [*PREAMBLE, "[Results]"])
    # header on line 7, row 4 (0-based) on line 12
    raises_one_line(lambda: read_qpcr(path), "qs.txt", "line 12", "27.4x")


def test_all_in_one_export_with_another_first_section_stops(tmp_path):
    path = tmp_path / "qs.txt"
    _write(path, _results(), [*PREAMBLE, "[Sample Setup]", "Well\tSample Name", "1\tS01", "",
                              "[Results]"])
    raises_one_line(lambda: read_qpcr(path), "qs.txt", "line 6", "[Sample Setup]",
                    "not the results table", "Export the results table only")


def test_section_after_the_results_table_stops(tmp_path):
    path = tmp_path / "qs.txt"
    table = _results()
    _write(path, table, [*PREAMBLE, "[Results]"], after=["", "[Amplification Data]", "Well\tCycle\tRn"])
    line = len(PREAMBLE) + 1 + 1 + len(table) + 2  # preamble, [Results], header, rows, blank
    raises_one_line(lambda: read_qpcr(path), "qs.txt", f"line {line}", "[Amplification Data]",
                    f"Delete the lines from line {line} on")


def test_preamble_alone_stops(tmp_path):
    path = tmp_path / "qs.txt"
    path.write_text("\n".join([*PREAMBLE, "[Results]"]) + "\n")
    raises_one_line(lambda: read_qpcr(path), "qs.txt", "no results table")


def test_a_table_without_preamble_is_read_as_before(tmp_path, clean):
    """Control: a plain results table (a sample named `[ctrl]` is data, not a section)."""
    table = _results()
    table.loc[0, "Sample Name"] = "S01"
    path = tmp_path / "plain.txt"
    _write(path, table, [])
    pd.testing.assert_frame_equal(read_qpcr(path), clean)
