"""Shared helpers of the benchmark scripts: running another checkout's ``omics`` (``--pythonpath``).

Not a benchmark. A tree given with ``--pythonpath OLD/src`` is checked before anything runs:

- ``OLD/src/omics/__init__.py`` must exist. Python skips a ``PYTHONPATH`` entry that does
  not hold the package, and this venv's editable install then supplies this tree's
  ``omics``, so a wrong path would time this tree against itself.
- The package ``omics.metadata`` (the repository's ``metadata/`` folder: the demo cohort,
  gene sets, gating templates, schemas) is not under ``src/``; the editable install maps it
  to this tree's ``metadata/``, and the package has no setting to point it elsewhere. So
  the baseline's processes get a ``sitecustomize`` module (first on their ``PYTHONPATH``)
  that maps ``omics.metadata`` to ``OLD/metadata``. A tree without a ``metadata/`` folder
  (nor ``src/omics/metadata``) is refused.
- A child process under that environment then imports ``omics`` and ``omics.metadata``;
  both must come from the given tree.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# Loaded first by every process of the baseline: finds `omics.metadata` (and its
# subpackages) in the baseline's own metadata/ folder instead of this install's.
_SITECUSTOMIZE = '''\
import importlib.util
import os
import sys

_METADATA = {metadata!r}


class _BaselineMetadata:
    """``omics.metadata`` of the baseline tree (benchmarks/_benchlib.py)."""

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name != "omics.metadata" and not name.startswith("omics.metadata."):
            return None
        folder = os.path.join(_METADATA, *name.split(".")[2:])
        init = os.path.join(folder, "__init__.py")
        if not os.path.isfile(init):
            return None
        return importlib.util.spec_from_file_location(name, init,
                                                      submodule_search_locations=[folder])


sys.meta_path.insert(0, _BaselineMetadata)
'''

_PROBE = ("import omics, omics.metadata, os; print(os.path.realpath(omics.__file__)); "
          "print(os.path.realpath(list(omics.metadata.__path__)[0]))")


class TreeError(ValueError):
    """A ``--pythonpath`` that does not name a usable checkout (the message is one line)."""


def _under(path: str, folder: Path) -> bool:
    return Path(path).resolve().is_relative_to(folder.resolve())


@functools.cache
def tree_environment(pythonpath: str) -> dict[str, str]:
    """The environment variables that make a process run the ``omics`` of ``pythonpath``.

    Parameters
    ----------
    pythonpath
        Another checkout's ``src`` folder.

    Returns
    -------
    dict
        ``{"PYTHONPATH": ...}``: a ``sitecustomize`` folder (mapping ``omics.metadata`` to
        the checkout's ``metadata/``, when ``src/omics`` has none) and ``pythonpath``.

    Raises
    ------
    TreeError
        When ``pythonpath`` holds no ``omics`` package, the checkout has no metadata
        folder, or a process under that environment imports ``omics`` or
        ``omics.metadata`` from elsewhere.
    """
    src = Path(pythonpath).expanduser().resolve()
    package = src / "omics"
    if not (package / "__init__.py").is_file():
        hint = (f"e.g. {src / 'src'}" if (src / "src" / "omics" / "__init__.py").is_file()
                else "the folder holding omics/, e.g. /tmp/old/src")
        raise TreeError(f"--pythonpath {pythonpath}: no omics package there (give the checkout's "
                        f"src folder, {hint})")
    entries = [str(src)]
    if (package / "metadata" / "__init__.py").is_file():
        metadata = package / "metadata"
    else:
        metadata = src.parent / "metadata"
        if not (metadata / "__init__.py").is_file():
            raise TreeError(f"--pythonpath {pythonpath}: the checkout has no metadata folder "
                            f"({metadata}/__init__.py missing), so its omics would read this "
                            "tree's metadata/; give the src folder of a whole checkout")
        shim = Path(tempfile.mkdtemp(prefix="omics-bench-baseline-"))
        atexit.register(shutil.rmtree, shim, True)
        (shim / "sitecustomize.py").write_text(_SITECUSTOMIZE.format(metadata=str(metadata)))
        entries.insert(0, str(shim))
    env = {"PYTHONPATH": os.pathsep.join(entries)}
    done = subprocess.run([sys.executable, "-c", _PROBE], env={**os.environ, **env},
                          capture_output=True, text=True, check=False)
    found = done.stdout.split()
    if done.returncode != 0 or len(found) != 2:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise TreeError(f"--pythonpath {pythonpath}: importing its omics failed ({last})")
    if not _under(found[0], package) or not _under(found[1], metadata):
        raise TreeError(f"--pythonpath {pythonpath}: a process given it imports omics from "
                        f"{found[0]} and omics.metadata from {found[1]}, not from that tree")
    return env


def command_failed(command: list[str], code: int, stderr: str, lines: int = 20) -> SystemExit:
    """Print that ``command`` failed (its exit code and the last ``lines`` of its stderr).

    Parameters
    ----------
    command
        The command that failed.
    code
        Its exit code.
    stderr
        Its standard error.
    lines
        How many of its last lines to print.

    Returns
    -------
    SystemExit
        Exit code 2, for the caller to raise.
    """
    print(f"failed (exit code {code}): {' '.join(command)}", file=sys.stderr)
    tail = stderr.rstrip().splitlines()[-lines:]
    if tail:
        print("\n".join(f"  {line}" for line in tail), file=sys.stderr)
    return SystemExit(2)


def check_tree(parser, pythonpath: str | None) -> dict[str, str]:
    """:func:`tree_environment` of ``pythonpath`` (``{}`` without one); a bad tree stops the script.

    Parameters
    ----------
    parser
        The script's :class:`argparse.ArgumentParser` (``parser.error``: one line, exit 2).
    pythonpath
        The value of ``--pythonpath``, or ``None``.

    Returns
    -------
    dict
        The environment variables of the baseline's processes.
    """
    if not pythonpath:
        return {}
    try:
        return tree_environment(pythonpath)
    except TreeError as error:
        parser.error(str(error))
    raise AssertionError("unreachable")
