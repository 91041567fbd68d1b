"""Paths and small helpers shared by the tests."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# ../shared beside the repository (the main checkout); OMICS_SHARED_DIR overrides it.
SHARED = Path(os.environ.get("OMICS_SHARED_DIR", REPO.parent / "shared"))
TEST_COHORT = REPO / "tests" / "data" / "test_cohort"
NFCORE = SHARED / "data" / "nfcore-testdata" / "data"
#: The offline Nextflow launcher `make nextflow` (tools/nextflow/install.sh) writes.
NEXTFLOW_LAUNCHER = REPO / "tools" / "nextflow" / "nextflow"


def java_available() -> bool:
    """Whether a java that Nextflow can use is found (NXF_JAVA_HOME, JAVA_HOME or PATH)."""
    for variable in ("NXF_JAVA_HOME", "JAVA_HOME"):
        home = os.environ.get(variable)
        if home and (Path(home) / "bin" / "java").is_file():
            return True
    return shutil.which("java") is not None


def nextflow_env(tmp: Path) -> dict[str, str]:
    """Environment for Nextflow: fast JVM start-up and this interpreter's `omics` first on PATH."""
    env = dict(os.environ)
    scripts = sysconfig.get_path("scripts")
    env["PATH"] = os.pathsep.join([scripts, str(Path(sys.executable).parent), env.get("PATH", "")])
    env["NXF_OPTS"] = "-XX:TieredStopAtLevel=1"
    env["NXF_ANSI_LOG"] = "false"
    env["NXF_TEMP"] = str(tmp)
    return env


def require_shared() -> None:
    """Skip when ../shared (the nf-core test data) is not beside the repository."""
    if not SHARED.is_dir():
        pytest.skip(f"shared test data not found at {SHARED}")


def run_omics(*args: str, **kwargs) -> subprocess.CompletedProcess:
    """Run the ``omics`` CLI of this interpreter; stdout/stderr captured as text."""
    return subprocess.run([sys.executable, "-m", "omics.cli", *args], capture_output=True, text=True,
                          **kwargs)


def run_omics_ok(*args: str) -> str:
    """Run the ``omics`` CLI of this interpreter, require exit 0 and return what it logged."""
    done = run_omics(*args)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stderr


def stage_test_cohort(out: Path, contrast: str, *, flow: bool = False,
                      de: Sequence[str] = ("rna", "protein"), rna_prep_args: Sequence[str] = (),
                      de_args: Sequence[str] = ()) -> Path:
    """Run the stage commands on the test cohort into ``out``, as a user runs them one by one:
    validate, RNA and protein prep (and flow prep from its population table with ``flow``),
    then the DE of ``contrast`` for each modality of ``de``; returns ``out``."""
    o = ("--outdir", str(out))
    contrasts = str(out / "validated/contrasts.yaml")
    design = ("--samplesheet", str(out / "validated/samplesheet.csv"), "--contrasts", contrasts)
    flow_table = ("--flow_table", str(TEST_COHORT / "flow_populations.tsv")) if flow else ()
    run_omics_ok("validate", "--input", str(TEST_COHORT / "samplesheet.csv"),
                 "--contrasts", str(TEST_COHORT / "contrasts.yaml"),
                 "--rna_counts", str(TEST_COHORT / "salmon.merged.gene_counts.tsv"),
                 "--protein_matrix", str(TEST_COHORT / "proteinGroups.txt"), *flow_table, *o)
    run_omics_ok("rna_prep", *design, "--rna_counts", str(TEST_COHORT / "salmon.merged.gene_counts.tsv"),
                 *rna_prep_args, *o)
    run_omics_ok("protein_prep", *design, "--protein_matrix", str(TEST_COHORT / "proteinGroups.txt"), *o)
    if flow:
        run_omics_ok("flow_prep", "--samplesheet", str(out / "validated/samplesheet.csv"), *flow_table, *o)
    for modality in de:
        run_omics_ok("de", "--h5ad", str(out / f"{modality}/{modality}.h5ad"), "--contrasts", contrasts,
                     "--contrast_id", contrast, "--modality", modality, *de_args, *o)
    return out


def qpcr_target_panel(tmp_path: Path) -> tuple[Path, Path]:
    """Write a Ct table of 12 targets (``TGT00``..``TGT11``, seeded normal Cts around 25) over
    the bundled demo's samples and a GMT panel of those targets; return both paths."""
    import numpy as np
    import pandas as pd

    samples = pd.read_csv(REPO / "metadata" / "demo" / "samplesheet.csv")["sample"].tolist()
    targets = [f"TGT{i:02d}" for i in range(12)]
    ct = pd.DataFrame(np.random.default_rng(0).normal(25, 1, (len(targets), len(samples))).round(2),
                      index=pd.Index(targets, name="target"), columns=samples)
    matrix = tmp_path / "ct.tsv"
    ct.to_csv(matrix, sep="\t")
    gmt = tmp_path / "panel.gmt"
    gmt.write_text("TARGETS\tx\t" + "\t".join(targets) + "\n")
    return matrix, gmt


def survival_reference():
    """The 40 patients of ``tests/reference/survival`` (scores, follow-up, arm, covariates),
    indexed by sample, with ``response`` derived from the follow-up (event-free at day 183)."""
    import numpy as np
    import pandas as pd

    data = pd.read_csv(REPO / "tests" / "reference" / "survival" / "data.csv").set_index("sample")
    data["response"] = np.where((data["afs_event"] == 1) & (data["afs_days"] <= 183),
                                "non_responder", "responder")
    return data


def edited_test_sheet(tmp_path: Path, edit: Callable) -> Path:
    """Write the test cohort's sample sheet, changed in place by ``edit`` (a function of its
    table of strings), to ``tmp_path/sheet.csv`` and return that path."""
    import pandas as pd

    sheet = pd.read_csv(TEST_COHORT / "samplesheet.csv", dtype=str)
    edit(sheet)
    path = tmp_path / "sheet.csv"
    sheet.to_csv(path, index=False)
    return path


def run_nextflow(command: Sequence[str], *, cwd: Path, env: dict[str, str], timeout: float,
                 capture_output: bool = True, text: bool = True) -> subprocess.CompletedProcess:
    """Run a Nextflow command (stdout/stderr captured as text); a run that hangs is run again once.

    Nextflow 24.10's local executor hung once in CI (stop 44: a ``-stub-run`` of the test
    profile, 11 s here, still running after 600 s; not reproduced in 16 runs on the same
    tree), and once in a fresh-clone CI run under load (stop 46: every task done but the
    last two, never submitted; the thread dump shows every thread idle, a dataflow message
    that never came; not reproduced in 24 traced stub runs). A run still going after
    ``timeout`` seconds gets SIGQUIT (the JVM prints its
    threads), then its process group is killed; the threads, the end of ``.nextflow.log``
    and what it printed go to ``<cwd>/nextflow_hang_<attempt>.txt`` and into a warning (the
    warnings summary of pytest names it), and the same command runs once more. A second
    hang fails the test with that report. Any other outcome is returned as it is: a failed
    run is not retried.

    A ``-resume`` run is retried from the task cache it started with: the hung run had
    recorded the tasks it completed in ``<cwd>/.nextflow/cache`` (every ``-resume`` run
    of a folder shares one session), so a plain rerun would list them as cached where the
    test expects them computed (CI, stop 46: a hang after every task but the last two had
    run turned "an edited module reruns every task" into 2 submitted). The cache folder
    is copied before the first attempt and put back before the second (removed, when
    there was none).
    """
    assert capture_output and text, "run_nextflow always captures its output as text"
    reports = []
    cache = Path(cwd) / ".nextflow" / "cache"
    snapshot = Path(cwd) / ".nextflow" / "cache.before_run"
    resuming = "-resume" in command
    had_cache = cache.is_dir()
    if resuming and had_cache:
        shutil.rmtree(snapshot, ignore_errors=True)
        shutil.copytree(cache, snapshot)
    for attempt in (1, 2):
        process = subprocess.Popen(list(command), cwd=cwd, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGQUIT)  # the launcher execs java: the JVM's thread dump
            time.sleep(3)
            os.killpg(process.pid, signal.SIGKILL)  # Nextflow and its tasks
            stdout, stderr = process.communicate()
            log = Path(cwd) / ".nextflow.log"
            log_tail = "\n".join(log.read_text(errors="replace").splitlines()[-60:]) if log.is_file() else ""
            report = Path(cwd) / f"nextflow_hang_{attempt}.txt"
            report.write_text(f"$ {' '.join(map(str, command))}\n\n## stdout (thread dump at the end)\n"
                              f"{stdout}\n## stderr\n{stderr}\n## .nextflow.log, last lines\n{log_tail}\n")
            reports.append(report)
            warnings.warn(f"Nextflow still running after {timeout:.0f} s (attempt {attempt}), killed; "
                          f"report {report}; .nextflow.log ends:\n{log_tail[-3000:]}", stacklevel=2)
            # the killed run's trace file: Nextflow refuses to overwrite it
            for option, value in zip(command, list(command)[1:], strict=False):
                if option == "-with-trace":
                    Path(cwd, value).unlink(missing_ok=True)
            if resuming:  # the task cache as the hung run found it (none: none)
                shutil.rmtree(cache, ignore_errors=True)
                if had_cache:
                    shutil.copytree(snapshot, cache)
            continue
        shutil.rmtree(snapshot, ignore_errors=True)
        return subprocess.CompletedProcess(list(command), process.returncode, stdout, stderr)
    shutil.rmtree(snapshot, ignore_errors=True)
    raise AssertionError(f"Nextflow hung twice ({timeout:.0f} s each): " + ", ".join(map(str, reports))
                         + "\n" + reports[-1].read_text()[-8000:])


#: Quick enrichment and cross-validation settings for runs that check other outputs.
QUICK = ("--gsea_permutations", "100", "--cv_repeats", "2")


def run_pipeline(outdir: Path, *args: str, quick: bool = True) -> Path:
    """Run ``omics run ARGS --outdir OUTDIR`` (with :data:`QUICK` settings) and require exit 0.

    Returns ``outdir``, so a test reads its tables straight from the call.
    """
    result = run_omics("run", *args, *(QUICK if quick else ()), "--outdir", str(outdir))
    assert result.returncode == 0, result.stderr[-3000:]
    return Path(outdir)


def assert_input_error(result: subprocess.CompletedProcess, outdir: Path) -> str:
    """Require exit 2, exactly one ``error`` line on stderr and no file under ``outdir``.

    Returns the error line, for the test to check what it names.
    """
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert len(errors) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert not outdir.exists() or not any(p.is_file() for p in outdir.rglob("*"))
    return errors[0]


def bead_populations(cd34: tuple[int, int] = (40, 90)):
    """Two samples' flow populations with counting beads: the long table of ``populations_anndata``."""
    import pandas as pd

    return pd.DataFrame({"sample": ["S1"] * 3 + ["S2"] * 3,
                         "population": ["Beads", "Leukocytes", "CD34"] * 2,
                         "parent": ["root", "root", "Leukocytes"] * 2,
                         "events": [500, 8000, cd34[0], 250, 9000, cd34[1]],
                         "parent_events": [10000, 10000, 8000, 10000, 10000, 9000]})


@contextmanager
def log_records(name: str = "io", level: int = logging.INFO) -> Iterator[list[logging.LogRecord]]:
    """Collect what the ``omics.<name>`` logger logs meanwhile at ``level`` (whatever the handlers)."""
    from omics._logging import get_logger

    logger, found = get_logger(name), []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = found.append  # type: ignore[method-assign]
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(level)
    try:
        yield found
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


def raises_one_line(call: Callable[[], object], *needles: str) -> str:
    """Run ``call``; require one InputError whose one-line text holds every needle; return it."""
    from omics._errors import InputError

    with pytest.raises(InputError) as error:
        call()
    text = str(error.value)
    assert "\n" not in text
    for needle in needles:
        assert needle in text, (needle, text)
    return text
