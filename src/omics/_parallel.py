"""Helpers for the stages that split their own work over processes (``n_cpus``)."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.context import BaseContext
from typing import TypeVar

from ._logging import get_logger
from ._memory import freeze_inherited_objects

Item = TypeVar("Item")
Result = TypeVar("Result")


def map_processes(function: Callable[[Item], Result], items: Iterable[Item], n_cpus: int
                  ) -> list[Result]:
    """Return ``[function(item) for item in items]``, computed in up to ``n_cpus`` processes.

    With one process (``n_cpus`` 1, one item or a one-core machine) everything runs here, in
    order. Otherwise the items go to worker processes (forked on Linux, so libraries loaded
    here are not loaded again) one at a time; the results come back in the order of
    ``items`` whichever worker computed them. ``function`` and the items must pickle
    (module-level functions, plain data).

    Parameters
    ----------
    function
        Called once per item.
    items
        The work, one item per call.
    n_cpus
        Most processes to use (at most the machine's cores and the number of items).

    Returns
    -------
    list
        One result per item, in order.
    """
    items = list(items)
    workers = max(1, min(int(n_cpus or 1), len(items), os.cpu_count() or 1))
    if workers == 1:
        return [function(item) for item in items]
    with ProcessPoolExecutor(max_workers=workers, initializer=start_worker,
                             initargs=(os.getpid(),), mp_context=fork_context()) as pool:
        return list(pool.map(function, items, chunksize=1))


def fork_is_safe(instead: str) -> bool:
    """Whether worker processes may be forked from this one (logged when not).

    numba's OpenMP threading layer, once its threads have run in a process (a notebook that
    ran :func:`omics.tl.deseq2` or :func:`omics.tl.gsea_prerank`), aborts a forked child
    that runs a parallel kernel ("fork() called from a process already using GNU
    OpenMP"): the pool breaks. ``omics run`` starts its task workers, which run the
    kernels, before any kernel runs; :func:`omics.runner.run_pipeline` called in such a
    notebook runs its tasks in the notebook's process instead. (The processes the stages
    split their work over, :func:`map_processes`, run no numba kernel.)

    Parameters
    ----------
    instead
        What happens instead, for the log line (``"the tasks run one at a time"``).

    Returns
    -------
    bool
        False when numba's OpenMP layer has run in this process.
    """
    if sys.platform != "linux" or "numba" not in sys.modules:
        return True
    import numba

    try:
        layer = numba.threading_layer()
    except ValueError:  # no parallel kernel has run in this process
        return True
    if layer != "omp":
        return True
    get_logger("parallel").info(
        "numba's OpenMP threads have run in this process, and a forked worker running a "
        "parallel kernel would abort: %s (the results are the same)", instead)
    return False


def fork_context() -> BaseContext | None:
    """How ``omics`` starts its worker processes: forked on Linux, the platform's way elsewhere.

    Said explicitly rather than left to Python's default, which on Linux is ``fork`` up to
    Python 3.13 and ``forkserver`` from 3.14: a fork server's workers would load every
    library again, and they are children of the server, not of this process, so
    :func:`die_with_parent` would stop each of them at once (the pool breaks). macOS and
    Windows keep their own (safe) default, under which :func:`die_with_parent` does nothing.

    Returns
    -------
    multiprocessing.context.BaseContext or None
        ``mp_context`` for :class:`concurrent.futures.ProcessPoolExecutor` (None: the default).
    """
    return multiprocessing.get_context("fork") if sys.platform == "linux" else None


def start_worker(parent: int) -> None:
    """Set up a forked worker process of ``parent``: inherited objects frozen, dies with it.

    See :func:`omics._memory.freeze_inherited_objects` and :func:`die_with_parent`. SIGTERM
    ends the worker at once (the default action), not through the handler ``omics run``
    installs and the fork inherits: sent to the whole process group (``timeout``, a
    scheduler's time limit), it stops the workers and the runner alone cleans up. A
    SIGTERM the launcher ignores or handles itself is left as inherited.

    Parameters
    ----------
    parent
        Process id of the parent, read before the worker started.
    """
    if getattr(signal.getsignal(signal.SIGTERM), "omics_run_handler", False):
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    freeze_inherited_objects()
    die_with_parent(parent)


def die_with_parent(parent: int) -> None:
    """Make this (worker) process die when process ``parent``, which started it, dies (Linux).

    A killed ``omics run`` takes its task workers with it, and a killed task worker the
    processes it split its work over: none is left waiting for work that never comes, or
    writes on after the run stopped. Elsewhere this does nothing.

    Parameters
    ----------
    parent
        Process id of the parent, read before the worker started: a parent that died
        before this call is noticed too.
    """
    if sys.platform != "linux":
        return
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGKILL))
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)
