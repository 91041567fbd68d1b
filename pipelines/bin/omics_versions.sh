#!/usr/bin/env bash
# Writes versions.yml (nf-core convention) for the process named in $1, e.g.
#   omics_versions.sh "${task.process}"
# Every module calls this one script (pipelines/bin is on each task's PATH), in its script and
# its stub, so that the versions block is written in one place. `omics` and `python` resolve as
# for the stage itself (see pipelines/bin/omics).
set -euo pipefail
if [[ $# -ne 1 || -z "$1" ]]; then
    echo "usage: omics_versions.sh <process name>" >&2
    exit 2
fi
omics_version="$(omics --version | sed 's/^omics //')"
python_version="$(python --version 2>&1 | sed 's/^Python //')"
cat > versions.yml <<END_VERSIONS
"$1":
    omics: ${omics_version}
    python: ${python_version}
END_VERSIONS
