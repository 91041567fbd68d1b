"""The output folder: links out of it, hand-edited results, stage commands and the lock, a full
disk, a read-only file system (audit h42_runner)."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from helpers import QUICK, TEST_COHORT, run_omics
from omics._errors import InputError
from omics._manifests import refuse_foreign
from omics.dag import Task
from omics.io import _outdir
from omics.io._outdir import OutdirLock, probe_lock
from omics.io._write import atomic_path

PROTEIN_RUN = ("--input", str(TEST_COHORT / "samplesheet.csv"),
               "--contrasts", str(TEST_COHORT / "contrasts_potency.yaml"),
               "--protein_matrix", str(TEST_COHORT / "proteinGroups.txt"), "--gsea_min_size", "3", *QUICK)
TABLE = "differential/potency.protein.limma.results.tsv"


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_a_sub_folder_linked_out_of_the_output_folder_stops_before_anything_is_written(tmp_path):
    outdir, elsewhere = tmp_path / "results", tmp_path / "elsewhere"
    outdir.mkdir()
    elsewhere.mkdir()
    (elsewhere / "mine.tsv").write_text("my table\n")
    (outdir / "differential").symlink_to(elsewhere)
    done = run_omics("run", *PROTEIN_RUN, "--outdir", str(outdir))
    assert done.returncode == 2, done.stderr[-2000:]
    assert "differential is a link to" in done.stderr and "outside the output folder" in done.stderr
    assert _files(elsewhere) == ["mine.tsv"] and _files(outdir) == ["differential"]


def test_a_link_at_an_output_path_stops_the_run(tmp_path):
    outdir = tmp_path / "results"
    (outdir / "differential").mkdir(parents=True)
    user = tmp_path / "userfile.tsv"
    user.write_text("mine\n")
    (outdir / TABLE).symlink_to(user)
    done = run_omics("run", *PROTEIN_RUN, "--outdir", str(outdir))
    assert done.returncode == 2, done.stderr[-2000:]
    assert f"{TABLE} is a link" in done.stderr
    assert (outdir / TABLE).is_symlink() and user.read_text() == "mine\n"


def test_a_result_edited_by_hand_stops_the_next_run_and_is_kept(tmp_path):
    outdir = tmp_path / "results"
    first = run_omics("run", *PROTEIN_RUN, "--outdir", str(outdir))
    assert first.returncode == 0, first.stderr[-2000:]
    table = outdir / TABLE
    edited = table.read_text() + "my note\n"
    table.write_text(edited)
    for args in ((), ("--no-resume",)):
        again = run_omics("run", *PROTEIN_RUN, "--outdir", str(outdir), *args)
        assert again.returncode == 2, again.stderr[-2000:]
        assert f"{TABLE} was changed since de.potency.protein wrote it" in again.stderr
        assert table.read_text() == edited
    table.rename(tmp_path / "kept.tsv")  # moved away: the run writes it again
    last = run_omics("run", *PROTEIN_RUN, "--outdir", str(outdir))
    assert last.returncode == 0, last.stderr[-2000:]
    assert table.is_file()


def test_a_stage_command_holds_a_run_folders_lock_while_it_writes(tmp_path):
    from omics.runner import run_stage_command

    outdir = tmp_path / "results"
    with OutdirLock(outdir):  # a run's folder: it has a lock file
        pass
    task = Task(name="qc.protein", stage="qc", kwargs={}, inputs=[], fields={"modality": "protein"})
    seen = []

    def call() -> dict:
        with pytest.raises(InputError, match=r"another omics qc is writing to this folder \(pid "):
            probe_lock(outdir)  # what a run (or a stage command) started meanwhile sees
        seen.append(True)
        return {}

    run_stage_command(task, call, {}, outdir)
    assert seen
    probe_lock(outdir)  # released


def test_a_full_disk_while_writing_is_a_one_line_stop(tmp_path):
    with pytest.raises(InputError, match=r"No space left on device.*free space"):
        with atomic_path(tmp_path / "table.tsv"):
            raise OSError(errno.ENOSPC, "No space left on device")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(PermissionError), atomic_path(tmp_path / "table.tsv"):  # not a writing error
        raise PermissionError(errno.EACCES, "Permission denied", "input.tsv")


def test_a_read_only_file_system_is_named(tmp_path, monkeypatch):
    monkeypatch.setattr(_outdir.os, "access", lambda *args: False)
    monkeypatch.setattr(_outdir, "_read_only", lambda folder: True)
    with pytest.raises(InputError, match="read-only file system"):
        _outdir.check_outdir(tmp_path / "results")


def test_every_foreign_file_is_counted(tmp_path):
    names = [f"qc/t{i}.tsv" for i in range(5)]
    for name in names:
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("x\n")
    with pytest.raises(InputError, match=r"qc/t0.tsv is already .*\(4 more such file\(s\): qc/t1.tsv, "
                                         r"qc/t2.tsv, qc/t3.tsv, \.\.\.\)"):
        refuse_foreign(tmp_path, [("omics qc", tmp_path / name) for name in names], set())


_AFTER_A_KERNEL = """
import json, sys
import numba, numpy as np
from omics._logging import configure_logging
from omics.params import resolve
from omics.runner import run_pipeline

configure_logging()

@numba.njit(parallel=True)
def double(x):
    out = np.empty_like(x)
    for i in numba.prange(x.shape[0]):
        out[i] = 2 * x[i]
    return out

double(np.ones(1000))  # as omics.tl.deseq2 or gsea_prerank in a notebook
run_pipeline(resolve(json.loads(sys.argv[1])), resume=False)
"""


def test_a_run_after_an_openmp_kernel_in_the_same_process_completes(tmp_path):
    import json
    import subprocess
    import sys

    params = {"input": str(TEST_COHORT / "samplesheet.csv"),
              "contrasts": str(TEST_COHORT / "contrasts_potency.yaml"),
              "protein_matrix": str(TEST_COHORT / "proteinGroups.txt"), "gsea_min_size": 3,
              "gsea_permutations": 100, "cv_repeats": 2, "n_cpus": 2, "outdir": str(tmp_path / "r")}
    done = subprocess.run([sys.executable, "-c", _AFTER_A_KERNEL, json.dumps(params)],
                          capture_output=True, text=True)
    # forked workers would abort ("fork() called from a process already using GNU OpenMP")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "the tasks run one at a time" in done.stderr
    assert (tmp_path / "r" / "report" / "index.html").is_file()


def test_a_run_cut_off_after_the_input_check_wrote_its_copies_is_resumed(tmp_path, monkeypatch):
    """The input check writes validated/ again before the validate task records it."""
    from omics import runner
    from omics.params import resolve

    outdir = tmp_path / "results"
    first = run_omics("run", *PROTEIN_RUN, "--outdir", str(outdir))
    assert first.returncode == 0, first.stderr[-2000:]
    sheet = tmp_path / "sheet.csv"  # one value changed: new validated/ copies
    sheet.write_text((TEST_COHORT / "samplesheet.csv").read_text().replace(",70,", ",71,", 1))
    params = dict(zip(PROTEIN_RUN[::2], PROTEIN_RUN[1::2], strict=True))
    params = resolve({key.lstrip("-"): value for key, value in params.items()} |
                     {"input": str(sheet), "outdir": str(outdir)})

    def cut_off(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # Ctrl-C at the first check of the schedule

    monkeypatch.setattr(runner, "_run_tasks", cut_off)
    with pytest.raises(KeyboardInterrupt):
        runner.run_pipeline(params)
    again = run_omics("run", *PROTEIN_RUN[2:], "--input", str(sheet), "--outdir", str(outdir))
    assert again.returncode == 0, again.stderr[-2000:]



def test_a_validated_copy_edited_by_hand_stops_the_run(tmp_path):
    outdir = tmp_path / "results"
    first = run_omics("run", *PROTEIN_RUN, "--outdir", str(outdir))
    assert first.returncode == 0, first.stderr[-2000:]
    copy = outdir / "validated" / "samplesheet.csv"
    copy.write_text(copy.read_text() + "\n")
    again = run_omics("run", *PROTEIN_RUN, "--outdir", str(outdir))
    assert again.returncode == 2, again.stderr[-2000:]
    assert "validated/samplesheet.csv was changed since validate wrote it" in again.stderr
