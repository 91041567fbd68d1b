"""Mends of the session-49 review (review49): reader speed, header line, file:// URLs, flow hint."""

from __future__ import annotations

import copy
import unicodedata
from pathlib import Path

import pytest

from omics._errors import InputError
from omics.cli import main
from omics.io import read_flow_table, read_samplesheet
from omics.io._tables import read_table


def test_the_line_record_is_shared_not_copied(tmp_path: Path) -> None:
    """M1: pandas deep-copies attrs into every derived frame; a list of one line per row made
    the array reader 5x slower on 54,000 rows. The record now deep-copies as itself."""
    path = tmp_path / "m.tsv"
    path.write_text("id\tS1\n" + "".join(f"g{i}\t{i}\n" for i in range(1000)) + "\t\n")
    table = read_table(path, what="matrix")
    lines = table.attrs["lines"]
    assert list(lines) == list(range(2, 1002)) and len(table) == 1000
    assert copy.deepcopy(table.attrs)["lines"] is lines
    assert table["S1"].astype(str).attrs["lines"] is lines


def test_a_duplicated_header_after_a_blank_row_names_the_header_line(tmp_path: Path) -> None:
    """L1: after an Excel ',,' row the NFC/NFD duplicate column was put on line 2 (the first
    kept data line minus one) instead of the header's line 1."""
    nfc, nfd = unicodedata.normalize("NFC", "Größe"), unicodedata.normalize("NFD", "Größe")
    path = tmp_path / "sheet.csv"
    path.write_text(f"sample,{nfc},{nfd}\n,,\nA1,1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"line 1: column 'Größe' is in the header twice"):
        read_samplesheet(path)


def test_a_file_url_is_named_as_a_url_with_its_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """L2: file:///x was refused as a 'remote location'; it is a local path written as a URL."""
    monkeypatch.chdir(tmp_path)
    assert main(["run", "--demo", "--outdir", f"file://{tmp_path}/out"]) == 2
    assert (f"--outdir is a file:// URL, not a path; give the folder's path ({tmp_path}/out)"
            in capsys.readouterr().err)
    assert main(["qc", "--h5ad", "file:///data/rna.h5ad", "--modality", "rna", "--outdir", "o"]) == 2
    error = capsys.readouterr().err
    assert "--h5ad is a file:// URL, not a path; give the file's path (/data/rna.h5ad)" in error
    assert list(tmp_path.iterdir()) == []


def test_the_flow_table_hint_names_a_case_difference(tmp_path: Path) -> None:
    """Control for the shared near_matches helper (the flow table had its own copy)."""
    path = tmp_path / "flow.tsv"
    path.write_text("sample\tpopulation\tparent\tevents\tparent_events\n"
                    "bali001\tLeukocytes\troot\t100\t1000\nbali001\tCD34\tLeukocytes\t10\t100\n")
    with pytest.raises(InputError, match=(r"1 of them differ from a sample of the table only in letter "
                                          r"case: 'BALI001' \(sheet\) / 'bali001' \(table\)")):
        read_flow_table(path, samples=["BALI001"])
