"""``omics.io.staging_folder``: files that appear together or not at all (session 49).

The helper took over the staging that ``omics integrate`` did by hand; the report's
file discovery now skips files in hidden folders (a staging folder, a notebook's
``.ipynb_checkpoints`` copies).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from omics._errors import InputError
from omics.io import staging_folder
from omics.io._outdir import remove_stale_temporaries
from omics.io._write import is_temporary


def test_files_take_their_names_only_when_the_block_succeeds(tmp_path: Path) -> None:
    folder = tmp_path / "out" / "integration"
    folder.mkdir(parents=True)
    (folder / "a.tsv").write_text("old a\n")
    (folder / "notes.txt").write_text("mine\n")
    with staging_folder(folder) as staging:
        assert staging.parent == folder and is_temporary(staging) and staging.name.startswith(".")
        (staging / "a.tsv").write_text("new a\n")
        (staging / "b.tsv").write_text("new b\n")
        assert (folder / "a.tsv").read_text() == "old a\n" and not (folder / "b.tsv").exists()
    assert (folder / "a.tsv").read_text() == "new a\n" and (folder / "b.tsv").read_text() == "new b\n"
    assert sorted(p.name for p in folder.iterdir()) == ["a.tsv", "b.tsv", "notes.txt"]


def test_an_error_creates_and_replaces_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "out" / "integration"
    folder.mkdir(parents=True)
    (folder / "a.tsv").write_text("old a\n")
    with pytest.raises(RuntimeError, match="job failed"), staging_folder(folder) as staging:
        (staging / "a.tsv").write_text("new a\n")
        (staging / "b.tsv").write_text("new b\n")
        raise RuntimeError("job failed")
    assert sorted(p.name for p in folder.iterdir()) == ["a.tsv"]
    assert (folder / "a.tsv").read_text() == "old a\n"


def test_a_folder_it_made_goes_when_the_block_stops(tmp_path: Path) -> None:
    folder = tmp_path / "out" / "integration"
    with pytest.raises(RuntimeError), staging_folder(folder) as staging:
        (staging / "a.tsv").write_text("new a\n")
        raise RuntimeError("job failed")
    assert not folder.exists() and (tmp_path / "out").exists()


def test_a_name_taken_by_a_folder_stops_before_any_rename(tmp_path: Path) -> None:
    folder = tmp_path / "integration"
    (folder / "b.tsv").mkdir(parents=True)
    (folder / "a.tsv").write_text("old a\n")
    with pytest.raises(InputError, match=r"b\.tsv in the output folder is a folder"), \
            staging_folder(folder) as staging:
        (staging / "a.tsv").write_text("new a\n")
        (staging / "b.tsv").write_text("new b\n")
    assert (folder / "a.tsv").read_text() == "old a\n"
    assert sorted(p.name for p in folder.iterdir()) == ["a.tsv", "b.tsv"]


def test_an_unwritable_folder_stops_with_one_line(tmp_path: Path) -> None:
    """A file where the folder's parent should be (ENOTDIR): the same one-line error."""
    (tmp_path / "out").write_text("a file\n")
    with pytest.raises(InputError, match="cannot write here"), \
            staging_folder(tmp_path / "out" / "integration"):
        pass


def test_a_killed_blocks_staging_folder_is_removed_by_the_next_run(tmp_path: Path) -> None:
    folder = tmp_path / "integration"
    folder.mkdir()
    dead = folder / ".integration.omics-tmp-999999999-abcd1234"  # no such pid
    dead.mkdir()
    (dead / "a.tsv").write_text("half\n")
    assert remove_stale_temporaries([folder]) == 1
    assert list(folder.iterdir()) == []


def test_the_report_skips_tables_in_hidden_folders(tmp_path: Path) -> None:
    """A hand-filled results folder: a notebook's checkpoint copy of a DE table is not a
    second contrast table (it was found, and its contrast counted twice)."""
    from omics.report._discover import Results

    table = pd.DataFrame({"feature_id": ["P1"], "logFC": [1.0], "P.Value": [0.01], "adj.P.Val": [0.02]})
    de = tmp_path / "differential"
    (de / ".ipynb_checkpoints").mkdir(parents=True)
    table.to_csv(de / "c1.protein.limma.results.tsv", sep="\t", index=False)
    table.to_csv(de / ".ipynb_checkpoints" / "c1.protein.limma.results.tsv", sep="\t", index=False)
    (tmp_path / "integration" / ".integration.omics-tmp-1-abcd1234").mkdir(parents=True)
    table.to_csv(tmp_path / "integration" / ".integration.omics-tmp-1-abcd1234" / "concordance.tsv",
                 sep="\t", index=False)
    results = Results(tmp_path)
    assert results.find("*.results.tsv") == [de / "c1.protein.limma.results.tsv"]
    assert results.find("concordance.tsv") == []
