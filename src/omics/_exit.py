"""How an ``omics`` command ends: exit handlers run, streams flushed, no interpreter teardown.

When a Python program ends, the interpreter first runs the exit handlers (``atexit``:
logging, multiprocessing, temporary folders), then tears itself down: it clears every
module and frees every object one by one. With the libraries a stage loads that second
part is slow and does nothing a finished command needs: 0.6 s for ``omics run`` (FlowKit,
numba, anndata, pydeseq2, matplotlib loaded), 0.2 s for ``import anndata`` alone, and a
Nextflow task waits for it before it counts as done.

:func:`exit_process` runs the exit handlers and flushes the standard streams as a normal
exit does, then ends the process at once (``os._exit``). Every file the stages write is
closed (and moved into place) before the command returns, so nothing is lost. When a
thread other than the main one is still running (a normal exit waits for it), or a
profiler or tracer is active (``python -m cProfile -m omics.cli ...`` writes its report
after the program returns; debuggers, coverage; through ``sys.settrace``/``setprofile``
or, from Python 3.12, ``sys.monitoring``), it is an ordinary ``sys.exit``; and
only the ``omics`` command ends this way (not a notebook, nor the tests calling
:func:`omics.cli.main`).
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import NoReturn

__all__ = ["exit_process"]


def _status(code: object) -> int:
    # The exit status sys.exit(code) gives: None -> 0, an integer as is, anything else
    # printed to stderr -> 1.
    if code is None:
        return 0
    if isinstance(code, int):
        return int(code)
    print(code, file=sys.stderr)
    return 1


def _observed() -> bool:
    # A profiler or tracer reports after the program returns (cProfile's -m, coverage).
    # From Python 3.12 cProfile (and coverage, debuggers, on request) watch through
    # sys.monitoring instead of sys.setprofile / sys.settrace.
    monitoring = getattr(sys, "monitoring", None)
    tools = range(6) if monitoring is not None else ()  # sys.monitoring's tool ids 0-5
    return (sys.getprofile() is not None or sys.gettrace() is not None
            or any(monitoring.get_tool(tool) is not None for tool in tools))


def _threads_running() -> bool:
    # A normal exit waits for non-daemon threads (and joins executors' threads).
    main = threading.main_thread()
    return any(thread is not main and not thread.daemon and thread.is_alive()
               for thread in threading.enumerate())


def exit_process(code: object = 0) -> NoReturn:
    """End the process as ``sys.exit(code)`` would, without the interpreter's teardown.

    The ``atexit`` handlers run and ``stdout``/``stderr`` are flushed first; with a
    non-daemon thread still running, or a profiler or tracer active, this is
    ``sys.exit(code)``.

    Parameters
    ----------
    code
        Exit status: ``None`` or an integer, or a message (printed to stderr, status 1),
        as for :func:`sys.exit`.
    """
    if _threads_running() or _observed():
        sys.exit(code)
    status = _status(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # closed, or a reader that went away
            pass
    os._exit(status)
