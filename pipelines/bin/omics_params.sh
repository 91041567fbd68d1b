#!/usr/bin/env bash
# Writes pipeline_info/params.yaml, the run's parameters as `omics run` writes them (resolved
# by omics.params.resolve, every parameter with its value or default, YAML sorted by name),
# from the pipeline's params as JSON (the workflow's paramsJson()); OMICS_REPORT runs it:
#   omics_params.sh <params.json> <n_cpus>
# `omics report` reads that file for its methods and "Parameters of this run" table.
# n_cpus: the CPUs of the task that writes it (in Nextflow each task has its own task.cpus).
set -euo pipefail
if [[ $# -ne 2 || -z "$1" || -z "$2" ]]; then
    echo "usage: omics_params.sh <params.json> <n_cpus>" >&2
    exit 2
fi
mkdir -p pipeline_info
# The `python` beside this script finds the interpreter that has omics, wherever Nextflow
# put this folder on PATH (24.10 appends it: a bare `python` would be the first on PATH).
"${BASH_SOURCE[0]%/*}/python" - "$1" "$2" <<'END_PYTHON'
import json
import sys

import yaml

from omics._errors import InputError
from omics.params import BY_NAME, resolve

with open(sys.argv[1]) as handle:
    given = json.load(handle)
# Nextflow turns an empty command-line value (--response_covariates '') into true: for the
# comma-separated lists documented "empty for none" that is the empty value omics run takes.
values = {name: "" if BY_NAME[name].is_list and value is True else value
          for name, value in given.items() if name in BY_NAME}
values["n_cpus"] = int(sys.argv[2])
try:
    params = resolve(values)
except InputError as error:
    sys.exit(f"omics_params.sh: error: {error.render(flag=lambda name: f'--{name}')}")
with open("pipeline_info/params.yaml", "w") as handle:
    handle.write(yaml.safe_dump(params, sort_keys=True))
END_PYTHON
