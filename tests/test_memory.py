"""The allocator set-up of ``omics`` processes (``omics._memory``), each in a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="glibc's allocator only")


def _python(code: str, *args: str, **env: str) -> dict:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("MALLOC_", "GLIBC_TUNABLES", "NUMPY_MADVISE"))}
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          env={**clean, **env}, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


# Allocates and frees a 64 MB array twice and reports the page faults of the second
# allocation, then how much of the process's resident memory malloc_trim hands back;
# with the argument "configure" after configure_process().
_REUSE = """
import json, resource, sys
from omics import _memory
configured = _memory.configure_process() if sys.argv[1:] == ["configure"] else False
import numpy as np
from numpy._core.multiarray import _get_madvise_hugepage

def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

def faults_of_one_array():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    a = np.ones(8 * 2**20)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    del a
    return faults

faults_of_one_array()
second = faults_of_one_array()
held = rss_mb()
_memory.release_free_memory()
print(json.dumps({"configured": configured, "second_faults": second,
                  "released_mb": held - rss_mb(), "hugepage": _get_madvise_hugepage()}))
"""


def test_freed_arrays_are_reused_and_released_between_tasks():
    configured = _python(_REUSE, "configure")
    assert configured["configured"] is True
    assert configured["hugepage"] is False and _python(_REUSE)["hugepage"] is True
    # glibc's default maps a fresh 64 MB array and faults its 16,384 pages in again (4 kB
    # pages here, as configured; numpy's huge-page advice would make that 32 faults of
    # 2 MB, each zeroing and maybe compacting memory); the configured process reuses it
    default = _python(_REUSE, NUMPY_MADVISE_HUGEPAGE="0")
    assert default["second_faults"] > 10_000
    assert configured["second_faults"] < 1_000
    # ...and gives it back when a task is done
    assert configured["released_mb"] > 50


def test_the_users_own_settings_win():
    result = _python(_REUSE, "configure", MALLOC_ARENA_MAX="2", NUMPY_MADVISE_HUGEPAGE="1")
    assert result["configured"] is False  # a MALLOC_* setting: glibc left as the user set it
    assert result["hugepage"] is True


def test_the_omics_command_configures_before_numpy_loads():
    # A stage subcommand, its stage function replaced: numpy loaded inside the stage
    # sees NUMPY_MADVISE_HUGEPAGE=0, so the command configured the process first.
    code = """
import json, sys
import omics.cli as cli
loaded_early = "numpy" in sys.modules
seen = {}
def fake_stage(args):
    import gc
    import numpy
    from numpy._core.multiarray import _get_madvise_hugepage
    seen["hugepage"] = _get_madvise_hugepage()
    seen["gc_threshold"] = gc.get_threshold()
cli._run_stage = fake_stage
code = cli.main(["qc", "--h5ad", "x.h5ad", "--modality", "protein"])
print(json.dumps({"code": code, "loaded_early": loaded_early, **seen}))
"""
    result = _python(code)
    assert result == {"code": 0, "loaded_early": False, "hugepage": False,
                      "gc_threshold": [10_000, 10, 10]}
    # importing the package (a notebook) leaves the collector as the interpreter set it
    # (700 allocations between young passes up to Python 3.12, 2,000 from 3.13)
    plain = _python("import gc, json, omics, omics.tl, omics.pp; print(json.dumps(gc.get_threshold()))")
    assert plain == _python("import gc, json; print(json.dumps(gc.get_threshold()))")
    assert plain != [10_000, 10, 10]


# map_processes' workers (and the runner's, set up the same way) start with what they
# inherited frozen out of the cyclic collector; the parent's collector is left alone.
_FREEZE = """
import gc, json
from omics._parallel import map_processes

def frozen(_):
    return gc.get_freeze_count()

inherited = [dict(a=[i]) for i in range(50_000)]  # tracked containers the workers inherit
before = gc.get_freeze_count()  # 0, or what the interpreter froze itself (375 on Python 3.12)
workers = map_processes(frozen, [0, 1], 2)
print(json.dumps({"workers": workers, "parent": [before, gc.get_freeze_count()]}))
"""


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="map_processes forks only with 2+ cores")
def test_forked_workers_freeze_what_they_inherit():
    result = _python(_FREEZE)
    assert all(count > 100_000 for count in result["workers"])
    before, after = result["parent"]
    assert after == before < 1_000
