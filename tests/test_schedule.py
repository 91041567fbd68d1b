"""``omics run`` runs independent tasks side by side, each after the tasks it reads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from omics import runner
from omics._errors import InputError
from omics.dag import Task
from omics.io._outdir import _alive


def _fake_run_one(task: Task, outdir: Path, params: dict) -> tuple[dict, int, float]:
    started = time.time()
    if task.kwargs.get("fail"):
        raise InputError("bad row", path="x.tsv", where="row 2")
    time.sleep(task.kwargs["seconds"])
    out = outdir / "qc" / f"{task.name}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(f"{started} {time.time()}\n")
    return {"out": out}, 0, 0.0


def _spin(seconds: float) -> float:
    """Keep a core busy for ``seconds`` of CPU time."""
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass
    return seconds


def _busy_stage(*, outdir: Path, params: dict) -> dict:
    # 0.3 s of CPU here and 0.3 s in each of two processes the stage splits its work over
    from omics._parallel import map_processes

    _spin(0.3)
    map_processes(_spin, [0.3, 0.3], 2)
    return {}


def test_the_trace_counts_a_tasks_cpu_seconds_with_its_worker_processes(tmp_path):
    task = SimpleNamespace(function=_busy_stage, kwargs={})  # what _run_one reads of a Task
    produced, peak, cpu = runner._run_one(task, tmp_path, {})
    assert produced == {} and peak > 0
    # 0.9 s whether the two parts ran in processes (2+ cores) or here (one core)
    assert 0.9 <= cpu < 1.5


def _tasks(outdir: Path, fail: str = "") -> list[Task]:
    def task(name: str, needs: list[str], seconds: float = 0.4) -> Task:
        inputs = [outdir / "qc" / f"{n}.txt" for n in needs]
        return Task(name, "qc", {"seconds": seconds, "fail": name == fail}, inputs, needs=needs)

    return [task("a", []), task("b", ["a"]), task("c", []), task("d", ["b", "c"], 0.0)]


def _span(outdir: Path, name: str) -> tuple[float, float]:
    start, end = (outdir / "qc" / f"{name}.txt").read_text().split()
    return float(start), float(end)


def _forks_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let the schedule fork workers from pytest's process, which may have run numba's OpenMP
    threads in other tests: these tasks run no kernel (omics.runner falls back to one at a time)."""
    monkeypatch.setattr(runner, "fork_is_safe", lambda instead: True)


@pytest.mark.parametrize("slots", [1, 2])
def test_tasks_start_after_what_they_read(tmp_path, monkeypatch, slots):
    monkeypatch.setattr(runner, "_run_one", _fake_run_one)
    _forks_here(monkeypatch)
    schedule = runner._Schedule(_tasks(tmp_path), {}, tmp_path, resume=True, slots=slots)
    with runner._Interrupts() as interrupts:
        trace = schedule.run(interrupts)
    assert [row["task"] for row in trace] == ["a", "b", "c", "d"]  # DAG order, whatever finished first
    assert {row["status"] for row in trace} == {"completed"}
    a, b, c, d = (_span(tmp_path, name) for name in "abcd")
    assert b[0] >= a[1] and d[0] >= max(b[1], c[1])
    if slots == 2:
        assert c[0] < a[1]  # independent tasks overlap
    else:
        assert c[0] >= b[1]  # one after the other, in DAG order
    again = runner._Schedule(_tasks(tmp_path), {}, tmp_path, resume=True, slots=slots)
    with runner._Interrupts() as interrupts:
        assert {row["status"] for row in again.run(interrupts)} == {"cached"}


def test_a_failing_task_stops_the_run_and_keeps_what_finished(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "_run_one", _fake_run_one)
    _forks_here(monkeypatch)
    schedule = runner._Schedule(_tasks(tmp_path, fail="a"), {}, tmp_path, resume=True, slots=2)
    with runner._Interrupts() as interrupts, pytest.raises(InputError, match="row 2"):
        schedule.run(interrupts)
    manifests = tmp_path / "pipeline_info" / "cache"
    assert (manifests / "c.json").is_file()  # ran beside the failing task: recorded, resumable
    assert not (manifests / "b.json").exists() and not (tmp_path / "qc" / "d.txt").exists()


def test_task_slots_are_n_cpus_within_the_machine(monkeypatch):
    monkeypatch.setattr(runner.os, "cpu_count", lambda: 2)
    assert runner.task_slots({"n_cpus": 8}) == 2
    assert runner.task_slots({"n_cpus": 1}) == 1


def _worker_numba_threads() -> int:
    import numba

    return numba.get_num_threads()


def test_each_worker_runs_numba_on_its_share_of_the_cores(monkeypatch):
    """Two task workers on two cores: one numba thread each (no more threads than cores)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    monkeypatch.setattr(runner.os, "cpu_count", lambda: 2)
    relay = runner.LogRelay(multiprocessing.get_context("fork")).queue
    with ProcessPoolExecutor(max_workers=1, initializer=runner._start_worker,
                             initargs=(2, os.getpid(), relay),
                             mp_context=multiprocessing.get_context("fork")) as pool:
        assert pool.submit(_worker_numba_threads).result() == 1
    with ProcessPoolExecutor(max_workers=1, initializer=runner._start_worker,
                             initargs=(1, os.getpid(), relay),
                             mp_context=multiprocessing.get_context("fork")) as pool:
        assert pool.submit(_worker_numba_threads).result() == 2


def test_the_ready_task_on_the_costliest_path_starts_first(tmp_path, monkeypatch):
    _forks_here(monkeypatch)
    from omics.registry import STAGES

    out = tmp_path
    # de (1) -> enrich (2) -> report (4) against score (4) -> report: the score goes first
    tasks = [Task("de", "de", {}, [], needs=[]), Task("enrich", "enrich", {}, [], needs=["de"]),
             Task("score", "score", {}, [], needs=[]),
             Task("report", "report", {}, [], needs=["de", "enrich", "score"])]
    costs = runner._path_costs(tasks)
    assert costs["score"] == STAGES["score"].cost + STAGES["report"].cost
    assert costs["de"] == STAGES["de"].cost + STAGES["enrich"].cost + STAGES["report"].cost
    schedule = runner._Schedule(tasks, {}, out, resume=False, slots=2)
    try:
        assert [task.name for task in schedule.pending] == ["score", "de", "enrich", "report"]
    finally:
        schedule.pool.shutdown()
    assert [t.name for t in runner._Schedule(tasks, {}, out, resume=False, slots=1).pending] == \
        ["de", "enrich", "score", "report"]  # one at a time: DAG order


_KILLED_RUNNER = """
import os, sys, time
from concurrent.futures import ProcessPoolExecutor
from omics import runner
from omics._parallel import fork_context, map_processes

def split_work(path):
    with open(path, "a") as handle:
        handle.write(f"{os.getpid()}\\n")
    time.sleep(120)

def task(path):
    # a task worker that splits its work over two processes, as flow_prep or score do
    with open(path, "a") as handle:
        handle.write(f"{os.getpid()}\\n")
    map_processes(split_work, [path, path], 2)

if __name__ == "__main__":
    relay = runner.LogRelay(fork_context()).queue
    with ProcessPoolExecutor(1, initializer=runner._start_worker, initargs=(2, os.getpid(), relay),
                             mp_context=fork_context()) as pool:
        pool.submit(task, sys.argv[1])
        time.sleep(120)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="the parent-death signal is Linux's")
def test_a_killed_runner_leaves_no_worker_and_no_worker_child(tmp_path):
    pids = tmp_path / "pids.txt"
    script = tmp_path / "runner.py"
    script.write_text(_KILLED_RUNNER)
    top = subprocess.Popen([sys.executable, str(script), str(pids)])
    deadline = time.time() + 60
    while time.time() < deadline and (not pids.exists() or len(pids.read_text().split()) < 3):
        time.sleep(0.05)
    started = [int(p) for p in pids.read_text().split()]
    assert len(started) == 3 and all(_alive(pid) for pid in started)
    top.kill()
    top.wait()
    deadline = time.time() + 10
    while time.time() < deadline and any(_alive(pid) for pid in started):
        time.sleep(0.05)
    assert [pid for pid in started if _alive(pid)] == []


def test_the_runner_hands_back_the_checks_memory_before_the_tasks(tmp_path, monkeypatch):
    # The input check frees the matrices it read, but the runner keeps freed memory for
    # reuse: it must return it before the task workers fork (1,000 patients: 1.56 -> 0.30 GB).
    from helpers import TEST_COHORT
    from omics.params import resolve

    events = []

    class Stop(Exception):
        pass

    def tasks(*args, **kwargs):
        events.append("tasks")
        raise Stop

    monkeypatch.setattr(runner, "release_free_memory", lambda: events.append("release"))
    monkeypatch.setattr(runner, "_run_tasks", tasks)
    params = resolve({"input": str(TEST_COHORT / "samplesheet.csv"),
                      "contrasts": str(TEST_COHORT / "contrasts.yaml"),
                      "protein_matrix": str(TEST_COHORT / "proteinGroups.txt"),
                      "outdir": str(tmp_path / "results")})
    with pytest.raises(Stop):
        runner.run_pipeline(params)
    assert events == ["release", "tasks"]


# Python 3.14 makes `forkserver` the default start method on Linux: the workers would be
# children of the server, and die_with_parent would stop each of them at once.
_FORKSERVER_DEFAULT = """
import json, multiprocessing, os
from omics._parallel import map_processes

def parent_of(_):
    return os.getppid()

if __name__ == "__main__":
    multiprocessing.set_start_method("forkserver")
    print(json.dumps({"me": os.getpid(), "parents": map_processes(parent_of, [0, 1], 2)}))
"""


@pytest.mark.skipif(sys.platform != "linux" or (os.cpu_count() or 1) < 2,
                    reason="workers are forked on Linux with 2+ cores")
def test_workers_are_forked_whatever_pythons_default_start_method(tmp_path):
    script = tmp_path / "forkserver_default.py"
    script.write_text(_FORKSERVER_DEFAULT)
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["parents"] == [result["me"], result["me"]]
