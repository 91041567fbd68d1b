#!/usr/bin/env bash
# Writes versions.yml (nf-core convention) for the process named in $1, e.g.
#   omics_versions.sh "${task.process}"
# Every module calls this one script (pipelines/bin is on each task's PATH), in its script and
# its stub, so that the versions block is written in one place. `omics` and `python` resolve as
# for the stage itself (see pipelines/bin/omics).
# It lists what `omics run` records (omics.runner.software_versions()): omics, Python and the
# scientific libraries that compute the results. Their names are read from omics/runner.py
# (_PACKAGES) rather than imported with it: importing omics.runner loads pandas (~0.8 s), in
# every task; read this way the versions take ~0.2 s. Should the list not be readable, the
# function itself is called.
set -euo pipefail
if [[ $# -ne 1 || -z "$1" ]]; then
    echo "usage: omics_versions.sh <process name>" >&2
    exit 2
fi
python - "$1" <<'END_PYTHON'
import ast
import importlib.util
import platform
import sys
from importlib import metadata

import yaml

import omics


def packages():
    origin = importlib.util.find_spec("omics.runner").origin
    with open(origin, encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and getattr(node.targets[0], "id", None) == "_PACKAGES"):
            return ast.literal_eval(node.value)
    raise LookupError("_PACKAGES")


try:
    versions = {"omics": omics.__version__, "python": platform.python_version()}
    for name in packages():
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
except (OSError, SyntaxError, ValueError, LookupError, AttributeError, TypeError):
    from omics.runner import software_versions

    versions = software_versions()
with open("versions.yml", "w") as handle:
    yaml.safe_dump({sys.argv[1]: versions}, handle, sort_keys=False, default_flow_style=False,
                   indent=4)
END_PYTHON
