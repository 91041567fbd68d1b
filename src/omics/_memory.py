"""How an ``omics`` process manages its memory: the C allocator and Python's cyclic collector.

The statistics allocate and free large arrays over and over (samples x genes blocks,
per-gene temporaries). With glibc's defaults every array above the dynamic mmap
threshold is a fresh ``mmap`` (its pages faulted in and zeroed by the kernel again) and
freed memory at the top of the heap goes back to the system at once; numpy also asks for
transparent huge pages (``madvise``) on arrays of 4 MB and more, which on kernels whose
THP ``defrag`` setting is ``madvise`` (the default) compacts memory inside the page
fault. Measured on the 2-core machine of ``benchmarks/bench_rna_de.py``, DESeq2 on
1,000 x 20,000 spent 4-5 s of its ~20 s in the kernel this way; with freed memory kept
for reuse and without huge-page advice it spends 0.1 s there, and every number is the
same (memory layout does not enter any computation).

:func:`configure_process` sets both for the process it runs in (the ``omics`` command
calls it first; the runner's workers are forked from it and inherit it);
:func:`release_free_memory` hands the kept memory back between tasks of a long-lived
worker. Both are no-ops elsewhere (macOS, Windows, musl), and an explicit
``NUMPY_MADVISE_HUGEPAGE`` / ``MALLOC_*`` setting of the user's wins.

Python's cyclic garbage collector runs a young-generation pass every 700 net container
allocations by default (2,000 from Python 3.13), and a full pass over every tracked
object (all the loaded libraries' functions, classes and dictionaries) every hundred of
those. Importing the analysis libraries allocates millions of containers, so an
``omics de`` RNA task spent 0.40 s in the collector (Python 3.11), mostly in full passes
over the modules it had just imported.
:func:`configure_process` lets 10,000 allocations go between young passes (0.17 s), and
:func:`freeze_inherited_objects` takes what a forked worker inherits out of the
collector's reach (the modules and data loaded before the fork, which the worker never
frees). Summed over the demo's processes the collector took 3.2 s, 1.2 s with the freeze
alone and 0.6 s with both. The collector finds the same garbage, a little later; no
number changes.
"""

from __future__ import annotations

import ctypes
import gc
import os
import sys

__all__ = ["configure_process", "freeze_inherited_objects", "release_free_memory"]

# gc.set_threshold: allocations between young passes (CPython: 700, 2,000 from 3.13), then
# its defaults
_GC_THRESHOLDS = (10_000, 10, 10)

# mallopt(3) parameters (glibc's malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4

_LIBC: ctypes.CDLL | None = None


def _glibc() -> ctypes.CDLL | None:
    global _LIBC
    if _LIBC is None and sys.platform == "linux":
        try:
            libc = ctypes.CDLL(None)  # this process's own symbols, libc among them
            libc.gnu_get_libc_version  # noqa: B018 - glibc only (not musl)
            _LIBC = libc
        except (OSError, AttributeError):
            return None
    return _LIBC


def configure_process() -> bool:
    """Keep freed memory for reuse and leave transparent huge pages to the kernel.

    Large arrays come from the heap instead of a fresh ``mmap`` each (``M_MMAP_MAX`` 0),
    freed memory stays with the process (``M_TRIM_THRESHOLD`` 2 GiB) until
    :func:`release_free_memory`, and numpy does not ``madvise`` huge pages
    (``NUMPY_MADVISE_HUGEPAGE=0``, read when numpy is first imported: call this before).
    The cyclic garbage collector's young passes run every 10,000 allocations instead of
    700 (2,000 from Python 3.13), on every platform. Only for processes that ``omics``
    owns (the command line, its workers, Nextflow tasks): a notebook keeps its
    interpreter's settings.

    Returns
    -------
    bool
        Whether the allocator was configured (Linux with glibc, no ``MALLOC_*`` setting).
    """
    gc.set_threshold(*_GC_THRESHOLDS)
    os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")
    libc = _glibc()
    if libc is None or any(name.startswith(("MALLOC_", "GLIBC_TUNABLES")) for name in os.environ):
        return False
    return bool(libc.mallopt(_M_MMAP_MAX, 0)) and bool(libc.mallopt(_M_TRIM_THRESHOLD, 2**31 - 1))


def release_free_memory() -> None:
    """Return the free memory this process keeps to the system (``malloc_trim``).

    The runner's workers call it after each task, so a task's peak memory does not stay
    with the worker (nor count in the next task's trace row).
    """
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


def freeze_inherited_objects() -> None:
    """Take every object this process holds now out of the cyclic collector's reach.

    For a worker process forked from the runner (or a stage splitting its work), called
    first: what it inherited (loaded libraries, the parent's data) stays alive for the
    worker's life, and the collector no longer walks it on every full pass (nor writes to
    those shared pages). Objects made afterwards are collected as usual.
    """
    gc.freeze()
