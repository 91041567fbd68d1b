"""Round h48 (atomfix): ``omics integrate`` is all or nothing; qPCR Cts above 60 in a hand table.

1. ``omics integrate`` ran its three jobs (MuData, correlations, evidence) side by side,
   each writing its files as it finished: an unexpected error in one (a bug, a full disk, a
   kill) left the others' new files beside an earlier run's. The jobs now write into a
   private staging folder in ``integration/`` and the files take their names only when
   every job succeeded; on an error nothing in ``integration/`` is created or replaced and
   the staging folder is removed; one a SIGKILL left is removed by the runner's stale
   temporary cleanup (``remove_stale_temporaries``, which now removes such folders too).
2. ``pp.qpcr_average_replicates`` counted a hand table's Ct of 2750 (a lost decimal mark)
   silently; it now stops as ``io.read_qpcr`` does for a Ct above ``MAX_POSSIBLE_CT``.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers import stage_test_cohort
from omics._errors import InputError
from omics.stages import _integrate as stage

CONTRAST = "response_in_bmmnc"
RNA_DE = f"differential/{CONTRAST}.rna.deseq2.results.tsv"
PROTEIN_DE = f"differential/{CONTRAST}.protein.limma.results.tsv"
OUTPUTS = ("omics.h5mu", "mrna_protein_correlation.tsv", "concordance.tsv",
           "concordance_summary.tsv", "pathway_evidence.tsv")
TABLES = OUTPUTS[1:]
PARAMS = {"de_fdr": 0.05, "gsea_permutations": 100}
FORK = pytest.mark.skipif(sys.platform != "linux" or (os.cpu_count() or 1) < 2,
                          reason="needs forked worker processes (Linux, 2+ cores)")


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Stage commands into one folder: validate, RNA and protein prep and DE of one contrast."""
    out = stage_test_cohort(tmp_path_factory.mktemp("atomic48") / "staged", CONTRAST)
    gsea = pd.DataFrame({"term": ["T1", "T2", "T3"], "nes": [1.5, -0.8, 0.3],
                         "pvalue": [0.02, 0.3, 0.8], "fdr": 0.5,
                         "pvalue_one_sided": np.array([1, 15, 40]) / 101})
    for modality in ("rna", "protein"):
        gsea.to_csv(out / f"{CONTRAST}.{modality}.gsea.tsv", sep="\t", index=False)
    return out


def _kwargs(staged: Path, outdir: Path, n_cpus: int) -> dict:
    return {"rna_h5ad": staged / "rna/rna.h5ad", "protein_h5ad": staged / "protein/protein.h5ad",
            "de_results": [staged / RNA_DE, staged / PROTEIN_DE],
            "gsea_results": [staged / f"{CONTRAST}.{m}.gsea.tsv" for m in ("rna", "protein")],
            "outdir": outdir, "params": {**PARAMS, "n_cpus": n_cpus}}


def _snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every entry of ``folder`` (hidden ones too, recursively): bytes of files, None for folders."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None)
            for p in sorted(folder.rglob("*"))}


def _earlier_run(outdir: Path) -> dict[str, bytes | None]:
    """Fill ``integration/`` with an earlier run's files (content no run writes) and a user's file."""
    folder = outdir / "integration"
    folder.mkdir(parents=True)
    for name in OUTPUTS:
        (folder / name).write_text(f"earlier run's {name}\n")
    (folder / "notes.txt").write_text("the user's\n")
    return _snapshot(folder)


_real_write_tsv = stage.write_tsv


def _wait_for_the_others(folder: Path) -> None:
    """Wait until the MuData and correlation jobs have written their files into ``folder``."""
    deadline = time.time() + 120
    while time.time() < deadline:
        if all((folder / name).exists() or (folder / f".{name}").exists()
               for name in ("omics.h5mu", "mrna_protein_correlation.tsv")):
            return
        time.sleep(0.05)
    raise AssertionError("the other jobs did not write their files")


def _failing_write_tsv(table: pd.DataFrame, path: str | Path, **kwargs) -> Path:
    """write_tsv, but the pathway evidence (the evidence job's last file) fails: a bug, a full disk.

    The concordance tables of the same job are written first; it waits for the other jobs'
    files, so the failure comes after every other file was written.
    """
    if Path(path).name.lstrip(".") == "pathway_evidence.tsv":
        _wait_for_the_others(Path(path).parent)
        raise RuntimeError(f"simulated failure in process {os.getpid()}")
    return _real_write_tsv(table, path, **kwargs)


def _killing_write_tsv(table: pd.DataFrame, path: str | Path, **kwargs) -> Path:
    """write_tsv, but the pathway evidence SIGKILLs the process running ``integrate``."""
    if Path(path).name.lstrip(".") == "pathway_evidence.tsv":
        _wait_for_the_others(Path(path).parent)
        target = int(os.environ["ATOMIC48_KILL"])
        os.kill(target, signal.SIGKILL)
        time.sleep(60)  # a forked worker dies with its parent (die_with_parent)
    return _real_write_tsv(table, path, **kwargs)


# -- 1: a failing job ---------------------------------------------------------------------------

@pytest.mark.parametrize("n_cpus", [1, pytest.param(2, marks=FORK)])
def test_f1_a_failing_job_leaves_integration_as_it_was(staged: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       n_cpus: int) -> None:
    """Fails on the old code: the MuData, the correlation and the concordance tables of the
    failed run replaced the earlier run's."""
    before = _earlier_run(tmp_path / "out")
    monkeypatch.setattr(stage, "write_tsv", _failing_write_tsv)
    with pytest.raises(RuntimeError, match="simulated failure") as raised:
        stage.integrate(**_kwargs(staged, tmp_path / "out", n_cpus))
    pid = int(str(raised.value).rsplit(" ", 1)[1])
    assert (pid == os.getpid()) == (n_cpus == 1)  # in a forked worker with n_cpus 2
    assert _snapshot(tmp_path / "out" / "integration") == before  # no temporary left either


@pytest.mark.parametrize("n_cpus", [1, pytest.param(2, marks=FORK)])
def test_f1_a_failing_job_creates_nothing(staged: Path, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch, n_cpus: int) -> None:
    """No earlier run: neither a file nor the folder remains. Fails on the old code."""
    monkeypatch.setattr(stage, "write_tsv", _failing_write_tsv)
    with pytest.raises(RuntimeError, match="simulated failure"):
        stage.integrate(**_kwargs(staged, tmp_path / "out", n_cpus))
    assert not (tmp_path / "out" / "integration").exists()


def test_f1_an_output_name_taken_by_a_folder_stops_before_any_file_is_replaced(
        staged: Path, tmp_path: Path) -> None:
    """Fails on the old code: the files before it were replaced, then an IsADirectoryError."""
    before = _earlier_run(tmp_path / "out")
    (tmp_path / "out/integration/pathway_evidence.tsv").unlink()
    (tmp_path / "out/integration/pathway_evidence.tsv").mkdir()
    before = _snapshot(tmp_path / "out/integration")
    with pytest.raises(InputError, match="pathway_evidence.tsv in the output folder is a folder"):
        stage.integrate(**_kwargs(staged, tmp_path / "out", 1))
    assert _snapshot(tmp_path / "out/integration") == before


def _integrate_in_child(kwargs: dict) -> None:  # run in a forked process that gets SIGKILLed
    os.environ["ATOMIC48_KILL"] = str(os.getpid())
    stage.write_tsv = _killing_write_tsv
    stage.integrate(**kwargs)
    os._exit(0)


@pytest.mark.skipif(sys.platform != "linux", reason="forks, reads process states from /proc")
@pytest.mark.parametrize("n_cpus", [1, pytest.param(2, marks=FORK)])
def test_f1_a_killed_stage_leaves_a_staging_folder_the_runner_removes(staged: Path, tmp_path: Path,
                                                                      n_cpus: int) -> None:
    """SIGKILL: the earlier run's files stay; the staging folder (named as a temporary file,
    the killed process's pid) is what the runner's cleanup removes. Fails on the old code
    (the new files replaced the earlier run's)."""
    from omics.io._outdir import remove_stale_temporaries
    from omics.io._write import TMP_NAME
    from omics.runner import _owned_folders

    out = tmp_path / "out"
    before = _earlier_run(out)
    child = multiprocessing.get_context("fork").Process(target=_integrate_in_child,
                                                        args=(_kwargs(staged, out, n_cpus),))
    child.start()
    child.join(300)
    assert child.exitcode == -signal.SIGKILL
    folder = out / "integration"
    visible = {k: v for k, v in _snapshot(folder).items() if not k.startswith(".")}
    assert visible == before  # nothing replaced; the staged files are hidden (the report skips them)
    left = [p for p in folder.iterdir() if p.name.startswith(".")]
    assert len(left) == 1 and left[0].is_dir(), left
    match = TMP_NAME.match(left[0].name)
    assert match and int(match["pid"]) == child.pid
    time.sleep(0.5)  # (the forked workers die with the killed process)
    assert remove_stale_temporaries(_owned_folders(out)) == 1
    assert _snapshot(folder) == before


def test_f1_control_stale_cleanup_keeps_live_folders_links_and_users_folders(tmp_path: Path) -> None:
    """Only staging folders whose process is gone are removed (the live one of a running
    stage, a symbolic link so named, a user's folder are kept). The dead one fails on the
    old code (folders were left)."""
    from omics.io._outdir import remove_stale_temporaries

    dead = 2**22 + 12345  # above the default pid_max: no such process
    ours = tmp_path / f".integration.omics-tmp-{dead}-abcd_123"
    (ours / "sub").mkdir(parents=True)
    (ours / ".omics.h5mu").write_text("x")
    (ours / "sub" / "f").write_text("x")
    live = tmp_path / f".integration.omics-tmp-{os.getppid()}-abcd_123"
    live.mkdir()
    target = tmp_path / "users"
    target.mkdir()
    (target / "keep").write_text("x")
    link = tmp_path / f".integration.omics-tmp-{dead}-link_123"
    link.symlink_to(target, target_is_directory=True)
    users = tmp_path / ".integration.omics-tmp-abc"
    users.mkdir()
    assert remove_stale_temporaries([tmp_path]) == 1
    assert not ours.exists()
    assert live.is_dir() and link.is_symlink() and (target / "keep").is_file() and users.is_dir()


# -- 1: success ---------------------------------------------------------------------------------

@pytest.mark.parametrize("n_cpus", [1, pytest.param(2, marks=FORK)])
def test_f1_control_success_writes_the_same_bytes(staged: Path, tmp_path: Path, n_cpus: int) -> None:
    """Control (passes on old and new code): the files replace an earlier run's, named as
    before, with the bytes the jobs write straight into a folder; no
    staging folder is left."""
    _earlier_run(tmp_path / "out")
    outputs = stage.integrate(**_kwargs(staged, tmp_path / "out", n_cpus))
    folder = tmp_path / "out" / "integration"
    assert list(outputs) == ["h5mu", "correlation", "concordance", "summary", "pathways"]
    assert [Path(p) for p in outputs.values()] == [folder / name for name in OUTPUTS]
    assert sorted(p.name for p in folder.iterdir()) == sorted([*OUTPUTS, "notes.txt"])
    kwargs = _kwargs(staged, tmp_path / "direct", 1)
    stage._write_correlations(kwargs["rna_h5ad"], kwargs["protein_h5ad"], None, None,
                              tmp_path / "direct", PARAMS)
    stage._write_evidence(kwargs["de_results"], kwargs["gsea_results"], tmp_path / "direct", PARAMS)
    for name in TABLES:
        assert (folder / name).read_bytes() == (tmp_path / "direct" / name).read_bytes()
    import mudata as md

    assert set(md.read_h5mu(folder / "omics.h5mu").mod) == {"rna", "protein"}
    assert len(pd.read_csv(folder / "pathway_evidence.tsv", sep="\t")) == 3


@FORK
def test_f1_control_one_and_two_processes_write_the_same_tables(staged: Path, tmp_path: Path) -> None:
    """Control (passes on old and new code): n_cpus 1 and 2 write the same bytes."""
    stage.integrate(**_kwargs(staged, tmp_path / "one", 1))
    stage.integrate(**_kwargs(staged, tmp_path / "two", 2))
    for name in TABLES:
        assert ((tmp_path / "one/integration" / name).read_bytes()
                == (tmp_path / "two/integration" / name).read_bytes())


# -- 2: a Ct above 60 in a hand-made well table --------------------------------------------------

def _wells(ct: list) -> pd.DataFrame:
    return pd.DataFrame({"sample": ["S1", "S1", "S2", "S2"], "target": ["VEGFA"] * 4, "ct": ct},
                        index=["w1", "w2", "w3", "w4"])


def test_f2_ct_above_60_stops_naming_row_sample_target_and_value() -> None:
    """Fails on the old code: the well (at or above max_ct) counted as undetermined, silently."""
    from omics.pp import qpcr_average_replicates

    with pytest.raises(InputError) as raised:
        qpcr_average_replicates(_wells([27.4, 27.6, 2750.0, 27.5]), path="hand.tsv")
    message = str(raised.value)
    assert "2750" in message and "'w3'" in message and "'S2'" in message and "'VEGFA'" in message
    assert "above 60 cycles" in message and "hand.tsv" in message


def test_f2_control_cts_up_to_60_and_undetermined_wells_pass() -> None:
    """Control (passes on old and new code): 60 (the reader's bound) and NaN are Cts."""
    from omics.pp import qpcr_average_replicates

    adata, table = qpcr_average_replicates(_wells([27.4, 27.6, 60.0, np.nan]))
    assert table["flag"].tolist() == ["", "undetermined"]
    assert adata.X[1, 0] == 35.0
