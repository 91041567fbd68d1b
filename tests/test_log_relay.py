"""``omics run``'s task workers send their log lines to the runner, which logs them (above its bar)."""

from __future__ import annotations

import fcntl
import json
import os
import re
import select
import struct
import subprocess
import sys
import termios
from pathlib import Path

from helpers import TEST_COHORT

# Protein only, one contrast, two tasks side by side: the small cohort's quickest parallel run.
PROTEIN_RUN = {"input": str(TEST_COHORT / "samplesheet.csv"),
               "contrasts": str(TEST_COHORT / "contrasts_potency.yaml"),
               "protein_matrix": str(TEST_COHORT / "proteinGroups.txt"),
               "gsea_min_size": 3, "gsea_permutations": 100, "cv_repeats": 2, "n_cpus": 2}
ARGS = [f"--{key}={value}" for key, value in PROTEIN_RUN.items()]


# In a process of its own: forked task workers need a parent in which numba's OpenMP threads
# have not run (pytest's has, in other tests; the runner would then run the tasks one at a time).
_COLLECTING_RUN = """
import json, logging, sys
from omics.params import resolve
from omics.runner import run_pipeline

lines = []
handler = logging.Handler()
handler.emit = lambda record: lines.append(record.getMessage())
logger = logging.getLogger("omics")
logger.addHandler(handler)
logger.setLevel(logging.INFO)
run_pipeline(resolve(json.loads(sys.argv[1])), resume=False)
print(json.dumps(lines))
"""


def test_worker_lines_reach_the_runners_handlers_before_their_task_finishes(tmp_path):
    done = subprocess.run([sys.executable, "-c", _COLLECTING_RUN,
                           json.dumps({**PROTEIN_RUN, "outdir": str(tmp_path / "results")})],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = json.loads(done.stdout.splitlines()[-1])
    # logged by the limma task in a worker process: it reaches a handler of the runner
    de_line = next(i for i, line in enumerate(lines) if line.startswith("protein: limma "))
    finished = next(i for i, line in enumerate(lines)
                    if re.match(r"\[\d+/\d+\] de\.\S+\.protein completed", line))
    assert de_line < finished, lines
    # every worker line once
    assert sum(line.startswith("protein: limma ") for line in lines) == 1, lines


def _run_on_a_terminal(args: list[str], columns: int = 120) -> str:
    """Run ``omics ARGS`` with stderr on a pseudo-terminal; return what it wrote there."""
    controller, terminal = os.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    process = subprocess.Popen([sys.executable, "-m", "omics.cli", *args], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=terminal)
    os.close(terminal)
    written = bytearray()
    while True:
        ready, _, _ = select.select([controller], [], [], 300)
        if not ready:
            process.kill()
            break
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closed: the process ended
            break
        if not chunk:
            break
        written += chunk
    os.close(controller)
    assert process.wait(60) == 0, written.decode(errors="replace")[-3000:]
    return written.decode(errors="replace")


def test_on_a_terminal_every_log_line_starts_a_line_of_its_own_above_the_bar(tmp_path: Path):
    shown = _run_on_a_terminal(["run", *ARGS, "--outdir", str(tmp_path / "results")])
    assert "task/s]" in shown or "s/task]" in shown  # the progress bar was drawn
    # each line starts at the left edge: after a new line, or after the bar was cleared
    # (carriage return), never right after the bar's text
    starts = [match.start() for match in re.finditer(r"\[omics \d\d:\d\d:\d\d\]", shown)]
    assert len(starts) > 10
    glued = [shown[max(0, start - 40):start + 40] for start in starts
             if start and shown[start - 1] not in "\r\n"]
    assert not glued, glued
    # the worker lines are among them
    assert re.search(r"\[omics \d\d:\d\d:\d\d\] protein: limma ", shown)


def _chatty(lines: int) -> int:
    from omics._logging import get_logger

    for number in range(lines):
        get_logger("test").info("line %d of a chatty task", number)
    return lines


def test_the_pool_shuts_down_while_a_task_logs_more_than_the_pipe_holds(tmp_path, monkeypatch):
    import threading

    from omics import runner
    from omics.dag import Task

    monkeypatch.setattr(runner, "fork_is_safe", lambda instead: True)  # the task runs no kernel
    schedule = runner._Schedule([Task("validate", "validate", {}, [])], {}, tmp_path, resume=False,
                                slots=2)
    future = schedule.pool.submit(_chatty, 3000)  # ~20 times what the pipe holds
    ended = threading.Event()
    threading.Thread(target=lambda: (schedule._shut_down(), ended.set()), daemon=True).start()
    assert ended.wait(60), "the shutdown waited for a task blocked on the log pipe"
    assert future.result() == 3000
