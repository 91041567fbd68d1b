"""The benchmark scripts' argument checks and failure paths (no real benchmark runs).

Each script's ``main`` runs in this process with ``sys.argv`` set and its timing functions
replaced by ones that fail the test, so a check that does not stop the script before any
work fails fast instead of starting a benchmark.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"
COHORT = ROOT / "tests" / "data" / "test_cohort"
SCRIPTS = sorted(path.stem for path in BENCHMARKS.glob("bench_*.py"))


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    # a script sets thread counts in os.environ when imported (NUMBA_NUM_THREADS=1): they must
    # not reach the later tests of this process, whose numba would then refuse two threads
    saved = dict(os.environ)
    try:
        spec.loader.exec_module(module)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return module


def _never(*args, **kwargs):
    raise AssertionError(f"the benchmark started work: {args}")


def _main(module: ModuleType, argv: list[str], monkeypatch) -> int | str | None:
    """Run ``module.main()`` with ``argv``; return its exit code (``None``: it returned)."""
    monkeypatch.setattr(sys, "argv", [module.__name__, *argv])
    try:
        module.main()
    except SystemExit as stop:
        return stop.code
    return None


def _fake_tree(root: Path, *, metadata: bool = True) -> Path:
    """A checkout with an (empty) omics package and, optionally, a metadata folder."""
    (root / "src" / "omics").mkdir(parents=True)
    (root / "src" / "omics" / "__init__.py").write_text("")
    if metadata:
        (root / "metadata").mkdir()
        (root / "metadata" / "__init__.py").write_text("")
    return root


@pytest.fixture(scope="module")
def e2e() -> ModuleType:
    return _load("bench_end_to_end")


@pytest.fixture(scope="module")
def startup() -> ModuleType:
    return _load("bench_startup")


@pytest.fixture(scope="module")
def inputs() -> ModuleType:
    return _load("bench_inputs")


@pytest.fixture(scope="module")
def rna() -> ModuleType:
    return _load("bench_rna_de")


@pytest.fixture()
def results(tmp_path: Path) -> Path:
    """A results folder with the run records bench_startup needs (no stage outputs)."""
    root = tmp_path / "results"
    (root / "pipeline_info").mkdir(parents=True)
    (root / "validated").mkdir()
    (root / "validated" / "contrasts.yaml").write_text("contrasts: []\n")
    return root


# M1: a --pythonpath without an omics package stops the script (it would time this tree).

def test_e2e_refuses_a_pythonpath_without_omics(e2e, tmp_path: Path, monkeypatch, capsys) -> None:
    old = _fake_tree(tmp_path / "old")
    monkeypatch.setattr(e2e, "timed", _never)
    monkeypatch.setattr(e2e, "_fresh", _never)
    code = _main(e2e, ["--pythonpath", str(old), "--outdir", str(tmp_path / "work"), "--warmup", "0"],
                 monkeypatch)
    assert code == 2
    err = capsys.readouterr().err
    assert f"--pythonpath {old}: no omics package there" in err
    assert f"e.g. {old / 'src'}" in err  # the tree root given: the src folder is named


def test_startup_refuses_a_missing_pythonpath(startup, results: Path, monkeypatch, capsys) -> None:
    for name in ("timed", "measure", "floor", "make_results"):
        monkeypatch.setattr(startup, name, _never)
    code = _main(startup, ["--results_dir", str(results), "--stages", "version", "--repeats", "1",
                           "--pythonpath", "/nonexistent/src"], monkeypatch)
    assert code == 2
    assert "--pythonpath /nonexistent/src: no omics package there" in capsys.readouterr().err


def test_inputs_refuses_a_missing_pythonpath(inputs, monkeypatch, capsys) -> None:
    monkeypatch.setattr(inputs, "_run", _never)
    code = _main(inputs, ["--cohort", str(COHORT), "--repeats", "1", "--pythonpath",
                          "/nonexistent/src"], monkeypatch)
    assert code == 2
    assert "--pythonpath /nonexistent/src: no omics package there" in capsys.readouterr().err


# M2: the baseline's processes read the baseline's metadata/, not this tree's.

_METADATA_OF = ("import omics, omics.metadata, sys; "
                "open(sys.argv[1], 'w').write(omics.__file__ + '\\n' + omics.metadata.__file__)")


def test_startup_runs_the_baseline_with_its_own_metadata(startup, tmp_path: Path) -> None:
    old = _fake_tree(tmp_path / "old")
    out = tmp_path / "where.txt"
    env = startup._environment(str(old / "src"))
    subprocess.run([sys.executable, "-c", _METADATA_OF, str(out)], env=env, check=True)
    package, metadata = out.read_text().splitlines()
    assert Path(package) == old / "src" / "omics" / "__init__.py"
    assert Path(metadata) == old / "metadata" / "__init__.py"


def test_e2e_runs_the_baseline_with_its_own_metadata(e2e, tmp_path: Path) -> None:
    old = _fake_tree(tmp_path / "old")
    out = tmp_path / "where.txt"
    e2e.timed([sys.executable, "-c", _METADATA_OF, str(out)], str(old / "src"))
    assert Path(out.read_text().splitlines()[1]) == old / "metadata" / "__init__.py"


def test_a_checkout_without_metadata_is_refused(e2e, tmp_path: Path, monkeypatch, capsys) -> None:
    old = _fake_tree(tmp_path / "old", metadata=False)
    monkeypatch.setattr(e2e, "timed", _never)
    monkeypatch.setattr(e2e, "_fresh", _never)
    code = _main(e2e, ["--pythonpath", str(old / "src"), "--outdir", str(tmp_path / "work")],
                 monkeypatch)
    assert code == 2
    assert "the checkout has no metadata folder" in capsys.readouterr().err


def test_control_this_trees_src_is_a_valid_baseline(startup) -> None:
    """Control (passes on the old scripts too): this tree's own src folder is accepted."""
    env = startup._environment(str(ROOT / "src"))
    done = subprocess.run([sys.executable, "-c", "import omics.metadata as m; print(m.__file__)"],
                          env=env, capture_output=True, text=True, check=True)
    assert Path(done.stdout.strip()) == ROOT / "metadata" / "__init__.py"


# M3: bench_rna_de compiles numba's kernels in an untimed warm-up fit first.

def _fake_case(command: list[str], timeout: float):
    n = int(command[command.index("--case") + 1])
    row = {"samples": n, "genes": 50, "de_s": float(n), "fit_s": float(n)}
    return subprocess.CompletedProcess(command, 0, stdout=json.dumps(row) + "\n"), 1.0, 10.0


def test_rna_de_warms_up_before_the_timed_case(rna, monkeypatch, capsys) -> None:
    calls: list[list[str]] = []

    def measured(command, timeout):
        calls.append(command)
        return _fake_case(command, timeout)

    monkeypatch.setattr(rna, "_measured", measured)
    assert _main(rna, ["--samples", "30", "--genes", "50"], monkeypatch) is None
    cases = [(c[c.index("--case") + 1], c[c.index("--genes") + 1]) for c in calls]
    assert cases == [("12", "200"), ("30", "50")]  # the warm-up, then the timed case
    row = json.loads(capsys.readouterr().out.splitlines()[0])
    assert row["samples"] == 30 and row["de_s"] == 30.0  # the warm-up's figures are not kept


# M4: bench_flow reuses a --workdir's FCS files only when they match --files/--events.

def test_flow_workdir_is_rewritten_when_the_events_change(tmp_path: Path) -> None:
    import flowio

    flow = _load("bench_flow")
    flow.write_files(tmp_path, 1, 2000)
    assert flow.files_match(tmp_path, 1, 2000) and not flow.files_match(tmp_path, 1, 3000)
    flow.write_files(tmp_path, 1, 3000)
    assert flowio.FlowData(str(tmp_path / "fcs" / "S001.fcs")).event_count == 3000


# M5: bench_calibration writes --out, and prints without tabulate.

def test_calibration_without_tabulate_writes_its_table(tmp_path: Path, monkeypatch, capsys) -> None:
    calibration = _load("bench_calibration")
    monkeypatch.setitem(sys.modules, "tabulate", None)  # import tabulate fails
    out = tmp_path / "cal.tsv"
    code = _main(calibration, ["--null", "1", "--effects", "0", "--models", "logistic", "--out",
                               str(out)], monkeypatch)
    assert code is None
    table = pd.read_csv(out, sep="\t")
    assert table["model"].tolist() == ["logistic"] and table["trials"].tolist() == [1]
    assert "any_pred_or_prog_call" in capsys.readouterr().out


# M6: a failing command stops bench_end_to_end with its exit code and the end of its stderr.

def test_e2e_reports_why_a_command_failed(e2e, capsys) -> None:
    command = [sys.executable, "-c",
               "import sys; sys.stderr.write('line 1\\nparameter x must be >= 100\\n'); sys.exit(3)"]
    with pytest.raises(SystemExit) as stop:
        e2e.timed(command)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "failed (exit code 3)" in err and "parameter x must be >= 100" in err


# M7: bench_startup stops on a wrong --results_dir, an unknown row, a missing input.

def test_startup_refuses_a_folder_that_is_no_results_dir(startup, tmp_path: Path, monkeypatch,
                                                        capsys) -> None:
    for name in ("timed", "measure", "floor", "make_results"):
        monkeypatch.setattr(startup, name, _never)
    code = _main(startup, ["--results_dir", str(tmp_path / "nothing"), "--repeats", "1"], monkeypatch)
    assert code == 2
    assert f"--results_dir {tmp_path / 'nothing'}: no pipeline_info there" in capsys.readouterr().err


def test_startup_refuses_an_unknown_row(startup, results: Path, monkeypatch, capsys) -> None:
    for name in ("timed", "measure", "floor", "make_results"):
        monkeypatch.setattr(startup, name, _never)
    code = _main(startup, ["--results_dir", str(results), "--stages", "de-protein"], monkeypatch)
    assert code == 2
    err = capsys.readouterr().err
    assert "unknown row(s) 'de-protein'" in err and "'de protein'" in err and "'version'" in err


def test_startup_names_a_missing_input_of_a_requested_row(startup, results: Path, monkeypatch,
                                                         capsys) -> None:
    for name in ("timed", "measure", "floor", "make_results"):
        monkeypatch.setattr(startup, name, _never)
    code = _main(startup, ["--results_dir", str(results), "--stages", "qc protein"], monkeypatch)
    assert code == 2
    assert f"needs {results / 'protein' / 'protein.h5ad'}, which is missing" in capsys.readouterr().err


# M8: bench_rna_de --r checks Rscript and DESeq2 before anything runs.

def test_rna_de_r_without_rscript_stops_first(rna, tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(rna, "_measured", _never)
    monkeypatch.setenv("PATH", str(tmp_path))  # no Rscript there
    assert _main(rna, ["--samples", "12", "--genes", "50", "--r"], monkeypatch) == 2
    assert "--r needs Rscript" in capsys.readouterr().err


def test_rna_de_r_without_deseq2_stops_first(rna, tmp_path: Path, monkeypatch, capsys) -> None:
    fake = tmp_path / "Rscript"
    fake.write_text("#!/bin/sh\necho \"Error in library(DESeq2) : there is no package called "
                    "'DESeq2'\" >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setattr(rna, "_measured", _never)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert _main(rna, ["--samples", "12", "--genes", "50", "--r"], monkeypatch) == 2
    err = capsys.readouterr().err
    assert "Rscript cannot load DESeq2" in err and "no package called 'DESeq2'" in err


# M9 (and L8): R DESeq2 gets the run's deseq2_alpha; the compared run is named "last".

def test_r_deseq2_uses_the_runs_alpha(e2e, tmp_path: Path, monkeypatch, capsys) -> None:
    results = tmp_path / "results"
    (results / "pipeline_info").mkdir(parents=True)
    (results / "pipeline_info" / "params.yaml").write_text("de_fdr: 0.05\ndeseq2_alpha: 0.05\n")
    ran: list[list[str]] = []

    def rscript(command, pythonpath=None, **kwargs):
        ran.append(command)
        (Path(command[2]) / "r_seconds.txt").write_text("1.0\n")
        return 2.0, 2.0

    monkeypatch.setattr(e2e, "r_inputs", lambda results, folder: folder.mkdir(parents=True) or ["c"])
    monkeypatch.setattr(e2e, "timed", rscript)
    monkeypatch.setattr(e2e, "r_agreement", lambda *a: pd.DataFrame(
        {"r_lfc": [1.0], "r_stat": [1.0], "same_sets": [True]}))
    trace = pd.DataFrame({"task": ["de.c.rna"], "wall_seconds": [0.5]})
    assert e2e.compare_with_r(results, tmp_path, 4.0, trace)
    folder = tmp_path / "r_deseq2"
    assert float((folder / "alpha.txt").read_text()) == 0.05
    script = (folder / "deseq2_contrasts.R").read_text()
    assert "alpha.txt" in script and "alpha = alpha" in script
    assert ran[0][0] == "Rscript"
    assert "omics run (last fresh run" in capsys.readouterr().out


# L2: bench_inputs prints the median (the middle two's mean), not the upper median.

def test_inputs_prints_the_median(inputs, monkeypatch, capsys) -> None:
    values = iter([4.0, 1.0, 3.0, 2.0])

    def run(cohort, pythonpath, dump):
        value = next(values)
        return {part: [value] for part in inputs.PARTS}

    monkeypatch.setattr(inputs, "_run", run)
    assert _main(inputs, ["--cohort", str(COHORT), "--repeats", "4"], monkeypatch) is None
    assert "rna counts       this tree 1.00 / 2.50" in capsys.readouterr().out


# L6: --no-ours without --r measures nothing.

def test_rna_de_no_ours_needs_r(rna, monkeypatch, capsys) -> None:
    monkeypatch.setattr(rna, "_measured", _never)
    assert _main(rna, ["--samples", "12", "--no-ours"], monkeypatch) == 2
    assert "--no-ours needs --r" in capsys.readouterr().err


# L7: PYTHONPATH decides which omics these scripts time (this tree's src is not put first).

@pytest.mark.parametrize("script", ["bench_protein_de", "bench_flow", "bench_calibration"])
def test_pythonpath_decides_which_omics_is_timed(script: str, tmp_path: Path) -> None:
    old = _fake_tree(tmp_path / "old")
    (old / "src" / "omics" / "__init__.py").write_text("raise SystemExit('FAKE OMICS IMPORTED')\n")
    done = subprocess.run([sys.executable, str(BENCHMARKS / f"{script}.py"), "--help"],
                          env={**os.environ, "PYTHONPATH": str(old / "src")},
                          capture_output=True, text=True, timeout=120)
    assert "FAKE OMICS IMPORTED" in done.stderr


# L5 and L4: --help shows the whole docstring; bench_response's fit is the workflow's.

@pytest.mark.parametrize("script", SCRIPTS)
def test_help_shows_the_whole_docstring(script: str, monkeypatch, capsys) -> None:
    module = _load(script)
    assert _main(module, ["--help"], monkeypatch) == 0
    out = " ".join(capsys.readouterr().out.split())
    last = " ".join(module.__doc__.strip().splitlines()[-1].split())
    assert last in out
    if script == "bench_response":
        import inspect

        from omics.tl._response import response_model

        default = inspect.signature(response_model).parameters["method"].default
        assert f"(default {default}, response_model's and the workflow's)" in out
