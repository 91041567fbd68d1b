"""How the ``omics`` command ends (``omics._exit``), each case in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

# An object whose finaliser runs only in the interpreter's teardown (module globals are
# cleared there), so its message shows whether the process was torn down.
_TEARDOWN_PROBE = """
import sys
class Probe:
    def __del__(self):
        sys.stderr.write("torn down\\n")
probe = Probe()
"""


def _python(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          timeout=120)


def test_exit_runs_the_exit_handlers_flushes_and_skips_the_teardown(tmp_path: Path):
    marker = tmp_path / "atexit.txt"
    done = _python(_TEARDOWN_PROBE + f"""
import atexit, logging
from omics._exit import exit_process
atexit.register(lambda: open({str(marker)!r}, "w").write("ran"))
logging.basicConfig(stream=sys.stderr)
logging.getLogger("probe").warning("logged")
sys.stdout.write("buffered, no newline")  # a pipe: held in the buffer until flushed
exit_process(3)
""")
    assert done.returncode == 3
    assert done.stdout == "buffered, no newline"
    assert "logged" in done.stderr
    assert marker.read_text() == "ran"
    assert "torn down" not in done.stderr
    # the same program ending with sys.exit is torn down (the probe works)
    control = _python(_TEARDOWN_PROBE + "sys.exit(3)")
    assert control.returncode == 3 and "torn down" in control.stderr


def test_exit_status_follows_sys_exit():
    for code, status in (("None", 0), ("0", 0), ("2", 2), ("True", 1)):
        done = _python(f"from omics._exit import exit_process; exit_process({code})")
        assert done.returncode == status, code
    message = _python("from omics._exit import exit_process; exit_process('stopped: why')")
    assert message.returncode == 1 and message.stderr.strip() == "stopped: why"


def test_exit_waits_for_a_running_thread_as_a_normal_exit(tmp_path: Path):
    marker = tmp_path / "thread.txt"
    done = _python(_TEARDOWN_PROBE + f"""
import threading, time
from omics._exit import exit_process
def late():
    time.sleep(0.5)
    open({str(marker)!r}, "w").write("finished")
threading.Thread(target=late).start()
exit_process(0)
""")
    assert done.returncode == 0
    assert marker.read_text() == "finished"
    assert "torn down" in done.stderr  # an ordinary exit


def test_the_omics_command_ends_without_teardown_and_keeps_its_exit_codes(tmp_path: Path):
    command = _TEARDOWN_PROBE + "from omics.cli import console\nsys.argv[0] = 'omics'\nconsole()"
    version = _python(command, "--version")
    assert version.returncode == 0 and version.stdout.startswith("omics ")
    assert "torn down" not in version.stderr
    usage = _python(command, "--no-such-option")
    assert usage.returncode == 2 and usage.stderr.startswith("omics: error:")
    missing = tmp_path / "missing.csv"
    bad = _python(command, "run", "--input", str(missing), "--contrasts", str(missing),
                  "--rna_counts", str(missing), "--outdir", str(tmp_path / "out"))
    assert bad.returncode == 2
    assert bad.stderr.startswith("omics: error:") and "missing.csv" in bad.stderr
    assert "torn down" not in bad.stderr
    # `python -m omics.cli` ends the same way
    module = subprocess.run([sys.executable, "-m", "omics.cli", "--version"], capture_output=True,
                            text=True, timeout=120)
    assert module.returncode == 0 and module.stdout == version.stdout


def test_a_profiled_command_still_writes_its_profile(tmp_path: Path):
    # `python -m cProfile -o F -m omics.cli ...` writes F after the command returns
    profile = tmp_path / "omics.prof"
    done = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "omics.cli",
                           "--version"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.startswith("omics ")
    assert profile.stat().st_size > 0
