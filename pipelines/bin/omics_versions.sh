#!/usr/bin/env bash
# Writes versions.yml (nf-core convention) for the process named in $1, e.g.
#   omics_versions.sh "${task.process}"
# Every module calls this one script (pipelines/bin is on each task's PATH), in its script and
# its stub, so that the versions block is written in one place. `omics` and `python` resolve as
# for the stage itself (see pipelines/bin/omics).
# It lists what `omics run` records (omics._versions.software_versions(): omics, Python and
# the scientific libraries that compute the results); that module imports nothing heavy
# (~0.2 s a task, where importing omics.runner would load pandas).
set -euo pipefail
if [[ $# -ne 1 || -z "$1" ]]; then
    echo "usage: omics_versions.sh <process name>" >&2
    exit 2
fi
# The `python` beside this script finds the interpreter that has omics, wherever Nextflow
# put this folder on PATH (24.10 appends it: a bare `python` would be the first on PATH).
"${BASH_SOURCE[0]%/*}/python" - "$1" <<'END_PYTHON'
import sys

import yaml

from omics._versions import software_versions

with open("versions.yml", "w") as handle:
    yaml.safe_dump({sys.argv[1]: software_versions()}, handle, sort_keys=False,
                   default_flow_style=False, indent=4)
END_PYTHON
