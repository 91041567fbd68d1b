"""The Nextflow pipeline (pipelines/): static nf-core checks, and a real run against `omics run`.

The end-to-end test runs ``nextflow run <repo> -profile test`` on the local executor, then
``omics run`` with the same inputs and parameters, and checks that both give the same
tables, that the published layout is the runner's, and that ``-resume`` caches every
task. Nextflow comes from tools/nextflow (installed offline from Maven Central on first
use); the tasks find ``omics`` and ``python`` of the interpreter running pytest on PATH.
"""

from __future__ import annotations

import csv
import html
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from helpers import QUICK, REPO, TEST_COHORT, run_nextflow, run_omics
from helpers import nextflow_env as _env
from omics.dag import build_tasks
from omics.params import BY_NAME, PARAMETERS, STAGE_PARAMS, resolve
from omics.registry import STAGES
from omics.runner import software_versions
from omics.schema_modules import FROM_MODULE, STAGED_FILES

PIPELINES = REPO / "pipelines"
MODULES = PIPELINES / "modules" / "local"
PROCESSES = {name: stage.process for name, stage in STAGES.items()}
LABELS = ("process_single", "process_low", "process_medium")
# Files a stage reads through a staged input rather than an option in conf/modules.config.
FILE_PARAMS = set(STAGED_FILES)


def _process_blocks(config: str) -> dict[str, str]:
    """``withName: 'X' { ... }`` bodies of conf/modules.config, by process name."""
    blocks = {}
    config = re.sub(r"//[^\n]*", "", config)
    starts = [(m.group(1), m.end()) for m in re.finditer(r"withName:\s*'([A-Z_.*]+)'\s*\{", config)]
    for index, (name, start) in enumerate(starts):
        end = starts[index + 1][1] if index + 1 < len(starts) else len(config)
        blocks[name] = config[start:end]
    return blocks


def _test_profile_params() -> dict[str, str]:
    """The pipeline parameters the test profile sets to plain values (besides the inputs)."""
    text = (PIPELINES / "conf" / "test.config").read_text()
    block = re.search(r"^params\s*\{(.*?)^\}", text, re.S | re.M).group(1)
    return dict(re.findall(r"^\s*(\w+)\s*=\s*([\w.]+)\s*$", block, re.M))


# --------------------------------------------------------------------------------------------
# Static checks (no Java needed)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", list(STAGES))
def test_module_follows_nf_core_conventions(stage: str) -> None:
    folder = (REPO / STAGES[stage].nextflow_module).parent
    main, meta = folder / "main.nf", folder / "meta.yml"
    assert main.is_file() and meta.is_file(), f"{folder} needs main.nf and meta.yml"
    text = main.read_text()
    assert re.search(rf"^process {PROCESSES[stage]} \{{", text, re.M)
    assert 'tag "$meta.id"' in text
    labels = re.findall(r"^\s*label '(\w+)'", text, re.M)
    assert len(labels) == 1 and labels[0] in LABELS, f"one resource label of {LABELS}"
    assert re.search(r"^\s*conda \"\$\{moduleDir\}/(\.\./){4}environment\.yml\"", text, re.M)
    # the image is a parameter (no default pointing at an image that was never published)
    assert re.search(r'^\s*container "\$\{params\.container_image \?: \'\'\}"', text, re.M)
    assert re.search(r"^\s*tuple val\(meta\), path\(", text, re.M), "inputs: tuple val(meta), path(...)"
    assert "def args = task.ext.args ?: ''" in text and "${args}" in text
    assert re.search(r"^\s*stub:\s*$", text, re.M)
    script = text.split("script:", 1)[1].split("stub:", 1)[0]
    assert len(re.findall(rf"\bomics {stage}\b", script)) == 1, "exactly one `omics <stage>` call"
    assert "--outdir ." in script
    stub = text.split("stub:", 1)[1]
    for block in (script, stub):  # the one versions snippet (pipelines/bin/omics_versions.sh)
        assert block.count('omics_versions.sh "${task.process}"') == 1
    assert "END_VERSIONS" not in text, "versions.yml is written by omics_versions.sh only"
    emits = re.findall(r"emit:\s*(\w+)", text)
    assert "versions" in emits and re.search(r"path 'versions\.yml'\s*,\s*emit: versions", text)

    document = yaml.safe_load(meta.read_text())
    assert document["name"] == f"omics_{stage}"
    assert set(document["output"]) == set(emits), "meta.yml outputs = the module's emit names"
    assert document["input"] and document["tools"][0]["omics"]["licence"]


@pytest.mark.parametrize("stage", list(STAGES))
def test_module_matches_the_stage_declaration(stage: str) -> None:
    """The module passes the stage's declared files and declares its declared outputs."""
    declared = STAGES[stage]
    text = (REPO / declared.nextflow_module).read_text()
    script = text.split("script:", 1)[1].split("stub:", 1)[0]
    passed = set(re.findall(r"--(\w+)", script)) - {"outdir", "version"} - set(declared.params)
    required = {option.name for option in declared.files if option.required}
    assert required <= passed <= {option.name for option in declared.files}, passed
    output_block = text.split("output:", 1)[1].split("when:", 1)[0]
    for template in declared.outputs.values():
        folder, _, name = template.partition("/")
        fixed = max(re.split(r"\{\w+\}", name), key=len)  # e.g. ".pca_variance.txt"
        assert f"{folder}/" in output_block and fixed.strip(".") in output_block, (stage, template)


def test_labels_are_defined_in_base_config() -> None:
    text = (PIPELINES / "conf" / "base.config").read_text()
    for label in LABELS:
        block = re.search(rf"withLabel:\s*{label}\s*\{{(.*?)withLabel", text, re.S)
        assert block, f"{label} is not defined"
        assert all(re.search(rf"^\s*{key}\s*=", block.group(1), re.M) for key in ("cpus", "memory", "time"))


def test_modules_config_passes_every_stage_parameter_and_publishes() -> None:
    blocks = _process_blocks((PIPELINES / "conf" / "modules.config").read_text())
    assert set(blocks) == set(PROCESSES.values()) | {"OMICS_.*"}
    for stage, process in PROCESSES.items():
        block = blocks[process]
        module = (MODULES / stage / "main.nf").read_text()
        given = set(re.findall(r"--(\w+)", block)) | set(re.findall(r"--(\w+)", module))
        wanted = set(STAGE_PARAMS[stage])
        missing = wanted - given
        assert not missing, f"{process}: parameters {sorted(missing)} never reach `omics {stage}`"
        options = set(re.findall(r"--(\w+)", block))
        assert options <= wanted, f"{process}: `omics {stage}` does not read {sorted(options - wanted)}"
        for name in wanted & set(FROM_MODULE):  # what ext.args leaves to the module
            assert f"--{name}" in module, f"{process}: the module must pass --{name}"
        for name in options:
            assert f"params.{name}" in block, f"{process}: --{name} must come from params.{name}"
        for name in wanted & FILE_PARAMS:
            # --flow_fcs: the folder's files are staged one by one (fcs_files, see fcsFolder)
            staged = "fcs_files" if name == "flow_fcs" else name
            assert f"path({staged}" in module, f"{process}: {name} files must be staged inputs"
        assert "publishDir" not in block, f"{process}: the one default publishDir applies"
    assert "--n_cpus ${task.cpus}" in (MODULES / "de" / "main.nf").read_text()
    default = blocks["OMICS_.*"]  # one publishDir for every process
    # a null outdir / publish_dir_mode (a params file's `name: null`) is the default, as in omics run
    assert re.search(r"publishDir\s*=\s*\[\s*path:\s*\{\s*\"\$\{params\.outdir == null \? 'results' "
                     r": params\.outdir\}\"\s*\}", default)
    assert "mode: params.publish_dir_mode ?: 'copy'" in default
    assert "filename.equals('versions.yml') ? null : filename" in default
    assert all(name in BY_NAME for names in STAGE_PARAMS.values() for name in names)


def test_workflow_includes_every_process() -> None:
    workflow = (PIPELINES / "workflows" / "angiogenesis.nf").read_text()
    for stage, process in PROCESSES.items():
        assert re.search(rf"include \{{ {process}\s*\}} from '\.\./modules/local/{stage}/main'",
                         workflow)
    main = (PIPELINES / "main.nf").read_text()
    assert "include { ANGIOGENESIS } from './workflows/angiogenesis'" in main
    config = (REPO / "nextflow.config").read_text()
    assert "mainScript      = 'pipelines/main.nf'" in config
    assert "nextflowVersion = '!>=24.10.0'" in config
    assert not re.search(r"^\s*plugins\s*\{", config, re.M), "no plugins: they download at run time"
    # Nextflow reads nextflow.config from the main script's folder, not the repository root
    assert "includeConfig '../nextflow.config'" in (PIPELINES / "nextflow.config").read_text()
    environment = yaml.safe_load((REPO / "environment.yml").read_text())
    assert "python=3.11" in environment["dependencies"]
    assert "." in next(d["pip"] for d in environment["dependencies"] if isinstance(d, dict))


# --------------------------------------------------------------------------------------------
# Nextflow
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.nextflow
def test_config_of_the_test_profile(nextflow: Path, tmp_path: Path) -> None:
    result = subprocess.run([str(nextflow), "config", "-flat", "-profile", "test", str(REPO)],
                            cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr + result.stdout
    flat = dict(re.findall(r"^(\S+) = (.*)$", result.stdout, re.M))
    for name, file in (("input", "samplesheet.csv"), ("contrasts", "contrasts.yaml"),
                       ("rna_counts", "salmon.merged.gene_counts.tsv"),
                       ("protein_matrix", "proteinGroups.txt")):
        path = Path(flat[f"params.{name}"].strip("'"))
        assert path.resolve() == (TEST_COHORT / file).resolve() and path.is_file()
    assert Path(flat["params.flow_fcs"].strip("'")).resolve() == (TEST_COHORT / "fcs").resolve()
    for name, value in _test_profile_params().items():
        assert flat[f"params.{name}"].strip("'") == value
    assert flat["manifest.mainScript"] == "'pipelines/main.nf'"
    assert "process.resourceLimits" in flat


@pytest.mark.slow
@pytest.mark.nextflow
def test_stub_run(nextflow: Path, tmp_path: Path) -> None:
    """-stub-run wires the whole DAG (fan-out included) without computing anything.

    Also: gene-set files of the same name (F10), a dashed parameter (F7), an empty list
    parameter on the command line (F8), pipeline_info/params.yaml (F1) and the versions
    (F6); then -resume after an edited input and a parameter OMICS_VALIDATE checks reruns
    only the tasks whose inputs changed (F4).
    """
    outdir = tmp_path / "stub"
    for folder in ("a", "b"):  # two gene-set files called sets.gmt
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "sets.gmt").write_text(f"SET_{folder}\tna\tVEGFA\tKDR\n")
    genesets = f"{tmp_path / 'a' / 'sets.gmt'},{tmp_path / 'b' / 'sets.gmt'}"
    protein = tmp_path / "proteinGroups.txt"  # a copy, edited before the -resume below
    shutil.copy(TEST_COHORT / "proteinGroups.txt", protein)
    command = [str(nextflow), "run", str(REPO), "-profile", "test", "-stub-run", "--outdir", str(outdir),
               "-work-dir", str(tmp_path / "work"), "--genesets", genesets,
               "--protein_matrix", str(protein)]
    result = run_nextflow([*command, "--de-fdr", "0.2", "--response_covariates", ""],
                          cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True,
                          timeout=300)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    n_contrasts = len(yaml.safe_load((TEST_COHORT / "contrasts.yaml").read_text())["contrasts"])
    assert len(list((outdir / "differential").glob("*.results.tsv"))) == 3 * n_contrasts  # rna, protein, flow
    assert (outdir / "report" / "index.html").is_file()
    versions = yaml.safe_load((outdir / "pipeline_info" / "software_versions.yml").read_text())
    expected = {name: str(version) for name, version in software_versions().items()}
    for process in PROCESSES.values():  # every process wrote versions.yml with omics_versions.sh
        assert {k: str(v) for k, v in versions[process].items()} == expected, process
    # --de-fdr: Nextflow keeps the dashed name; the warning names the parameter meant
    assert re.search(r"Unknown parameter --de-fdr: .* --de_fdr \(this run uses de_fdr = 0\.05\)",
                     result.stdout + result.stderr)
    # --response_covariates '' (Nextflow: true) is the empty list, as for omics run
    recorded = yaml.safe_load((outdir / "pipeline_info" / "params.yaml").read_text())
    assert recorded == {**resolve({**_test_profile_params(), "input": str(TEST_COHORT / "samplesheet.csv"),
                                   "contrasts": str(TEST_COHORT / "contrasts.yaml"),
                                   "rna_counts": str(TEST_COHORT / "salmon.merged.gene_counts.tsv"),
                                   "protein_matrix": str(protein), "flow_fcs": str(TEST_COHORT / "fcs"),
                                   "genesets": genesets, "response_covariates": "",
                                   "outdir": str(outdir)}),
                        "n_cpus": min(2, os.cpu_count() or 1)}  # OMICS_REPORT's task.cpus
    # each gene-set file in a folder of its own: no name collision
    for run in (tmp_path / "work").glob("*/*/.command.run"):
        if re.search(r"^### name: '.*:OMICS_(VALIDATE|ENRICH|SCORE|REPORT) ", run.read_text(), re.M):
            assert sorted(str(p.relative_to(run.parent)) for p in run.parent.glob("genesets/*/*")) == \
                ["genesets/1/sets.gmt", "genesets/2/sets.gmt"], run.parent

    # The channels of workflows/angiogenesis.nf, written by hand, wire the DAG the stage
    # declarations give `omics run`: the same tasks, each fed by the same upstream tasks.
    nextflow_needs = _nextflow_task_needs(tmp_path / "work")
    inputs = {"input": "samplesheet.csv", "contrasts": "contrasts.yaml",
              "rna_counts": "salmon.merged.gene_counts.tsv", "protein_matrix": "proteinGroups.txt",
              "flow_fcs": "fcs"}
    params = resolve({**_test_profile_params(), **{k: str(TEST_COHORT / v) for k, v in inputs.items()}})
    local_needs = {task.name: set(task.needs) for task in build_tasks(params, tmp_path / "local")}
    assert set(nextflow_needs) == set(local_needs)
    for name, needs in local_needs.items():  # the report: every task, as `omics run` gives it
        # OMICS_DE gets its contrast from the validated file as a value (its own entry), not
        # as a staged file, so no link shows that it follows OMICS_VALIDATE
        expected = needs - {"validate"} if name.startswith("de.") else needs
        assert nextflow_needs[name] == expected, name  # the whole results folder

    # -resume after one edited input and a parameter OMICS_VALIDATE checks: the tasks reading
    # the (byte-identical) validated files come from the cache (cache 'deep'), so only the
    # protein tasks whose input changed and those reading the response covariates rerun.
    # (Stubs write empty files: a real run also reruns the protein DE/ENRICH tasks when
    # protein.h5ad changes.)
    head, last = protein.read_text().rstrip("\n").rsplit("\n", 1)
    edited = re.sub(r"\t(\d)", lambda m: f"\t{(int(m.group(1)) + 1) % 10}", last, count=1)
    assert edited != last
    protein.write_text(f"{head}\n{edited}\n")  # one value of the last protein group
    trace = tmp_path / "trace_resume.txt"
    again = run_nextflow([*command, "--response_covariates", "age", "-resume", "-with-trace", str(trace)],
                         cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stdout[-5000:] + again.stderr[-5000:]
    statuses = {_omics_task_name(row["name"]): row["status"] for row in _trace(trace)}
    assert set(statuses) == set(local_needs)
    rerun = {name for name, status in statuses.items() if status != "CACHED"}
    assert rerun == {"validate", "protein_prep", "qc.protein", "score", "integrate", "report"}, statuses

    # -resume after a contrast is added: the other contrasts' DE and enrichment tasks come
    # from the cache (each DE task hashes its own contrast entry), as with omics run
    contrasts = tmp_path / "contrasts.yaml"
    contrasts.write_text((TEST_COHORT / "contrasts.yaml").read_text()
                         + "  - id: response_sex_adjusted\n"
                         "    comparison: [response, non_responder, responder]\n"
                         "    blocking_factors: [sex]\n")
    trace = tmp_path / "trace_contrast.txt"
    added = run_nextflow([*command, "--response_covariates", "age", "--contrasts", str(contrasts),
                          "-resume", "-with-trace", str(trace)],
                         cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=300)
    assert added.returncode == 0, added.stdout[-5000:] + added.stderr[-5000:]
    statuses = {_omics_task_name(row["name"]): row["status"] for row in _trace(trace)}
    rerun = {name for name, status in statuses.items() if status != "CACHED"}
    new = {f"de.response_sex_adjusted.{m}" for m in ("rna", "protein", "flow")} | {
        f"enrich.response_sex_adjusted.{m}" for m in ("rna", "protein")}
    # the preparations read every contrast, and what reads their (new) files reruns
    assert rerun == {"validate", "rna_prep", "protein_prep", "qc.rna", "qc.protein", *new, "score",
                     "integrate", "report"}, statuses


def _omics_task_name(process_name: str) -> str:
    """The ``omics run`` task name of a Nextflow task (``...:OMICS_DE (resp.rna)`` -> ``de.resp.rna``)."""
    process, _, tag = process_name.rpartition(":")[2].partition(" (")
    stage = STAGES[process.removeprefix("OMICS_").lower()]
    return stage.name + (f".{tag.rstrip(')')}" if stage.fan_out else "")


def _nextflow_task_needs(work: Path) -> dict[str, set[str]]:
    """``{omics task name: names of the tasks whose outputs it staged}`` from a work folder.

    A task's name comes from the header of its ``.command.run`` (process and tag); what it
    was fed from, from the staged symlinks that point into other tasks' folders.
    """
    names = {}
    for run in work.glob("*/*/.command.run"):
        header = re.search(r"^### name: '(.*)'$", run.read_text(), re.M).group(1)
        names[run.parent] = _omics_task_name(header)
    needs = {}
    for folder, name in names.items():
        links = [Path(root) / entry for root, dirs, files in os.walk(folder)
                 for entry in dirs + files if (Path(root) / entry).is_symlink()]
        targets = [Path(os.readlink(link)) for link in links]
        needs[name] = {names[parent] for target in targets for parent in target.parents
                       if parent in names and parent != folder}  # not its own links
    return needs


def _report_parameters(report: Path) -> dict[str, str]:
    """The "Parameters of this run" table of a report: ``{parameter: value}``."""
    block = re.search(r"<summary>Parameters of this run</summary>(.*?)</table>", report.read_text(), re.S)
    rows = re.findall(r"<tr>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*</tr>", block.group(1), re.S)
    return {html.unescape(name): html.unescape(value) for name, value in rows}


def _without(values: dict, names: set[str]) -> dict:
    return {k: v for k, v in values.items() if k not in names}


def _trace(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def _assert_tables_equal(left: Path, right: Path) -> None:
    a = pd.read_csv(left, sep="\t", keep_default_na=False, na_values=["NA", ""])
    b = pd.read_csv(right, sep="\t", keep_default_na=False, na_values=["NA", ""])
    assert list(a.columns) == list(b.columns), f"{left} vs {right}: columns differ"
    assert a.shape == b.shape, f"{left} vs {right}: shape {a.shape} vs {b.shape}"
    for column in a.columns:
        if pd.api.types.is_numeric_dtype(a[column]) and pd.api.types.is_numeric_dtype(b[column]):
            np.testing.assert_allclose(a[column].to_numpy(float), b[column].to_numpy(float),
                                       rtol=1e-9, atol=1e-12, equal_nan=True,
                                       err_msg=f"{left.name}: {column}")
        else:
            assert a[column].astype(str).tolist() == b[column].astype(str).tolist(), \
                f"{left.name}: {column}"


@pytest.mark.nextflow
@pytest.mark.slow
def test_pipeline_matches_omics_run_and_resumes(nextflow: Path, tmp_path: Path) -> None:
    env = _env(tmp_path)
    nf_out, local_out = tmp_path / "nf", tmp_path / "local"
    command = [str(nextflow), "run", str(REPO), "-profile", "test", "--outdir", str(nf_out),
               "-work-dir", str(tmp_path / "work")]
    timings = {}

    started = time.monotonic()
    first = run_nextflow([*command, "-with-trace", str(tmp_path / "trace.txt")], cwd=tmp_path,
                         env=env, capture_output=True, text=True, timeout=900)
    timings["nextflow"] = time.monotonic() - started
    log = tmp_path / ".nextflow.log"
    assert first.returncode == 0, (first.stdout[-5000:] + first.stderr[-5000:]
                                   + (log.read_text()[-5000:] if log.is_file() else ""))
    trace = _trace(tmp_path / "trace.txt")
    assert trace and {row["status"] for row in trace} == {"COMPLETED"}

    # The same inputs and parameters through the local runner
    params = {"input": "samplesheet.csv", "contrasts": "contrasts.yaml",
              "rna_counts": "salmon.merged.gene_counts.tsv", "protein_matrix": "proteinGroups.txt",
              "flow_fcs": "fcs"}
    options = [f"--{name}={TEST_COHORT / file}" for name, file in params.items()]
    options += [f"--{name}={value}" for name, value in _test_profile_params().items()]
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "omics.cli", "run", *options, "--outdir", str(local_out)],
                   cwd=tmp_path, check=True, capture_output=True, timeout=900)
    timings["omics run"] = time.monotonic() - started

    # Differential tables: the same files, numerically equal
    nf_tables = sorted(p.name for p in (nf_out / "differential").glob("*.results.tsv"))
    local_tables = sorted(p.name for p in (local_out / "differential").glob("*.results.tsv"))
    n_contrasts = len(yaml.safe_load((TEST_COHORT / "contrasts.yaml").read_text())["contrasts"])
    assert nf_tables == local_tables and len(nf_tables) == 3 * n_contrasts  # rna, protein, flow
    for name in nf_tables:
        _assert_tables_equal(nf_out / "differential" / name, local_out / "differential" / name)

    # The downstream results exist and, being seeded, agree with the runner's too
    for folder in ("enrichment", "scores", "integration", "qc"):
        names = sorted(p.name for p in (nf_out / folder).glob("*.tsv"))
        assert names, f"nothing in {folder}/"
        assert names == sorted(p.name for p in (local_out / folder).glob("*.tsv")), folder
        for name in names:
            _assert_tables_equal(nf_out / folder / name, local_out / folder / name)
    # ... and are in fact the same bytes, as every table and text file of the two runs is
    for path in sorted(p for p in nf_out.rglob("*") if p.suffix in (".tsv", ".txt")
                       and p.relative_to(nf_out).parts[0] not in ("pipeline_info", "report")):
        assert path.read_bytes() == (local_out / path.relative_to(nf_out)).read_bytes(), path
    assert len(list((nf_out / "enrichment").glob("*.gsea.tsv"))) == 2 * n_contrasts  # not flow
    assert (nf_out / "integration" / "omics.h5mu").is_file()
    assert (nf_out / "rna" / "rna.h5ad").is_file() and (nf_out / "protein" / "protein.h5ad").is_file()
    assert (nf_out / "flow" / "flow.h5ad").is_file()
    assert (nf_out / "integration" / "flow_score_correlation.tsv").is_file()
    assert sorted(p.name for p in (nf_out / "flow" / "gating_plots").glob("*.png")) == \
        sorted(p.name for p in (local_out / "flow" / "gating_plots").glob("*.png")) != []
    # The report sees what it sees after `omics run`: the same sections and figures
    # (heatmaps need the h5ad files, the flow QC and gating sections the flow outputs).
    reports = [(out / "report" / "index.html").read_text() for out in (nf_out, local_out)]
    headings, figures = ([re.findall(pattern, report) for report in reports]
                         for pattern in (r"<h[23][^>]*>[^<]*", r"<figure|<img"))
    assert headings[0] == headings[1] and "<h3>flow cytometry QC" in headings[0]
    assert len(figures[0]) == len(figures[1])
    assert (nf_out / "report" / "index.html").stat().st_size > 0
    assert not list(nf_out.rglob("versions.yml")), "versions.yml must not be published"
    versions = yaml.safe_load((nf_out / "pipeline_info" / "software_versions.yml").read_text())
    assert set(PROCESSES.values()) <= set(versions) and "Workflow" in versions
    # every process lists the libraries `omics run` records (F6)
    local_versions = yaml.safe_load((local_out / "pipeline_info" / "software_versions.yml").read_text())
    for process in PROCESSES.values():
        assert versions[process] == local_versions, process
    # The run's parameters (F1, F2): pipeline_info/params.yaml as `omics run` writes it, and
    # the report's "Parameters of this run" table, are the same but for the output folder
    # (and n_cpus, OMICS_REPORT's task.cpus, on a 1-core machine).
    differ = {"outdir"} | ({"n_cpus"} if (os.cpu_count() or 1) < 2 else set())
    recorded = [yaml.safe_load((out / "pipeline_info" / "params.yaml").read_text())
                for out in (nf_out, local_out)]
    tables = [_report_parameters(out / "report" / "index.html") for out in (nf_out, local_out)]
    assert recorded[0]["outdir"] == tables[0]["outdir"] == str(nf_out)
    assert [_without(r, differ) for r in recorded[:1]] == [_without(recorded[1], differ)]
    assert _without(tables[0], differ) == _without(tables[1], differ)
    assert set(tables[0]) == set(recorded[0]) == set(BY_NAME)
    assert (tables[0]["flow_beads_per_test"], tables[0]["gsea_permutations"], tables[0]["cv_repeats"]) == \
        ("50000.0", "250", "10")
    for name, file in params.items():  # the input paths the user gave, not staged copies
        assert tables[0][name] == recorded[0][name] == str(TEST_COHORT / file), name
    # (the trace goes to -with-trace's file here; report and timeline stay in pipeline_info/)
    for report in ("execution_report_*.html", "execution_timeline_*.html"):
        assert list((nf_out / "pipeline_info").glob(report)), report

    # -resume: every task comes from the cache
    started = time.monotonic()
    again = run_nextflow([*command, "-resume", "-with-trace", str(tmp_path / "trace_resume.txt")],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    timings["nextflow -resume"] = time.monotonic() - started
    assert again.returncode == 0, again.stdout[-5000:] + again.stderr[-5000:]
    resumed = _trace(tmp_path / "trace_resume.txt")
    assert len(resumed) == len(trace)
    assert {row["status"] for row in resumed} == {"CACHED"}, \
        [(row["name"], row["status"]) for row in resumed if row["status"] != "CACHED"]
    print("timings (s): " + ", ".join(f"{k} {v:.0f}" for k, v in timings.items()))


@pytest.mark.slow
@pytest.mark.nextflow
def test_qpcr_pipeline_matches_omics_run(nextflow: Path, tmp_path: Path) -> None:
    """RT-qPCR input (rna_matrix, rna_format qpcr, geNorm) and a continuous contrast."""
    env = _env(tmp_path)
    options = [f"--input={TEST_COHORT / 'samplesheet.csv'}",
               f"--contrasts={TEST_COHORT / 'contrasts_potency.yaml'}",
               f"--rna_matrix={TEST_COHORT / 'qpcr_ct.tsv'}", "--rna_format=qpcr",
               "--qpcr_reference_candidates=ACTB,GAPDH,B2M,HPRT1", "--gsea_min_size=3",
               "--gsea_permutations=200", "--cv_repeats=2"]
    nf_out, local_out = tmp_path / "nf", tmp_path / "local"
    limits = tmp_path / "limits.config"  # the test profile's limits, without its inputs
    limits.write_text("process { resourceLimits = [cpus: 1, memory: 6.GB, time: 1.h] }\n")
    result = run_nextflow([str(nextflow), "run", str(REPO), "-c", str(limits), *options,
                           "--outdir", str(nf_out), "-work-dir", str(tmp_path / "work")],
                          cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    subprocess.run([sys.executable, "-m", "omics.cli", "run", *options, "--outdir", str(local_out)],
                   cwd=tmp_path, check=True, capture_output=True, timeout=900)
    for name in ("differential/potency.rna.limma.results.tsv", "rna/qpcr_genorm.tsv",
                 "rna/qpcr_replicates.tsv", "scores/score_phenotype_correlation.tsv",
                 "enrichment/potency.rna.gsea.tsv"):
        _assert_tables_equal(nf_out / name, local_out / name)
def _bad_flow_table(folder: Path) -> Path:
    """The test cohort's flow population table with its `population` column misnamed."""
    table = folder / "populations.tsv"
    text = (TEST_COHORT / "flow_populations.tsv").read_text()
    table.write_text(text.replace("\tpopulation\t", "\tgate_name\t", 1))
    return table


@pytest.mark.slow
def test_validate_checks_the_flow_inputs(tmp_path: Path) -> None:
    """`omics validate` checks the flow inputs as `omics run` does (F3): exit 2, nothing written."""
    outdir = tmp_path / "out"
    result = run_omics("validate", "--input", str(TEST_COHORT / "samplesheet.csv"),
                       "--contrasts", str(TEST_COHORT / "contrasts.yaml"),
                       "--protein_matrix", str(TEST_COHORT / "proteinGroups.txt"),
                       "--flow_table", str(_bad_flow_table(tmp_path)), "--outdir", str(outdir))
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("omics: error: ") and "populations.tsv" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not outdir.exists()


@pytest.mark.slow
@pytest.mark.nextflow
def test_bad_flow_input_stops_in_validate(nextflow: Path, tmp_path: Path) -> None:
    """A bad flow input stops OMICS_VALIDATE, before any other task runs or publishes (F3)."""
    outdir, trace = tmp_path / "out", tmp_path / "trace.txt"
    result = run_nextflow([str(nextflow), "run", str(REPO), f"--input={TEST_COHORT / 'samplesheet.csv'}",
                           f"--contrasts={TEST_COHORT / 'contrasts.yaml'}",
                           f"--protein_matrix={TEST_COHORT / 'proteinGroups.txt'}",
                           f"--flow_table={_bad_flow_table(tmp_path)}", "--outdir", str(outdir),
                           "-work-dir", str(tmp_path / "work"), "-with-trace", str(trace)],
                          cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-5000:]
    error = re.search(r"Command error:\n\s*(omics: error: .*)\n", output)
    assert error and "input/flow_table/populations.tsv" in error.group(1), output[-5000:]
    assert [(_omics_task_name(row["name"]), row["status"]) for row in _trace(trace)] == \
        [("validate", "FAILED")]
    # no other task was even created: one the failed validation lets start (a score task fed
    # by an empty toList) is in the trace as ABORTED only when it was submitted in time
    stats = re.findall(r"WorkflowStats\[.*?pendingCount=(\d+); submittedCount=(\d+)",
                       (tmp_path / ".nextflow.log").read_text())
    assert stats == [("0", "0")], stats
    published = sorted(str(p.relative_to(outdir)) for p in outdir.rglob("*") if p.is_file())
    assert published and all(re.match(r"pipeline_info/(execution_|pipeline_dag_|\.nextflow\.lock$)", p)
                             for p in published), \
        published  # Nextflow's own reports and the outdir lock; no results, params.yaml, versions


def _fcs_column_sheet(folder: Path, *, name: str = "samplesheet.csv", delimiter: str = ",",
                      bom: bool = False, line_end: str = "\r\n",
                      special: dict[int, str] | None = None) -> Path:
    """The test cohort's sample sheet in ``folder/meta/`` with an ``fcs`` column, no FCS folder.

    Each sample's FCS file is copied to ``folder/fcs/sub1/`` or ``sub2/`` and named
    ``../fcs/subN/<file>`` (relative to the sheet's folder, climbing out of it); the first two
    samples' files are both called ``shared.fcs``. ``special`` gives some rows (by position)
    another file name in sub1 (quotes, the delimiter) or, with ``/`` first, an absolute path
    under ``folder/elsewhere/``.
    """
    rows = list(csv.reader((TEST_COHORT / "samplesheet.csv").read_text().splitlines()))
    out = [[*rows[0], "fcs"]]
    for index, row in enumerate(rows[1:]):
        sub = f"sub{index % 2 + 1}"
        file = (special or {}).get(index) or ("shared.fcs" if index < 2 else f"{row[0]}.fcs")
        if file.startswith("/"):
            target = folder / "elsewhere" / file.lstrip("/")
            value = str(target)
        else:
            target = folder / "fcs" / sub / file
            value = f"../fcs/{sub}/{file}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(TEST_COHORT / "fcs" / f"{row[0]}.fcs", target)
        out.append([*row, value])
    sheet = folder / "meta" / name
    sheet.parent.mkdir(parents=True, exist_ok=True)
    with sheet.open("w", newline="", encoding="utf-8-sig" if bom else "utf-8") as handle:
        csv.writer(handle, delimiter=delimiter, lineterminator=line_end).writerows(out)
    return sheet


def _task_folder(work: Path, process: str) -> Path:
    """The work folder of the one task of ``process`` (``OMICS_FLOW_PREP``)."""
    found = [run.parent for run in work.glob("*/*/.command.run")
             if re.search(rf"^### name: '.*:{process} ", run.read_text(), re.M)]
    assert len(found) == 1, (process, found)
    return found[0]


@pytest.mark.slow
@pytest.mark.nextflow
def test_stub_run_stages_the_fcs_files_of_the_sample_sheet(nextflow: Path, tmp_path: Path) -> None:
    """Without --flow_fcs, the FCS files named in the sheet's `fcs` column are staged and gated.

    As `omics run` takes them: relative to the sheet's folder (../fcs/sub1/shared.fcs and
    ../fcs/sub2/shared.fcs, two files of one name) or absolute; a sheet with a byte-order
    mark, `;`, quoted names and CRLF reads alike. OMICS_VALIDATE and OMICS_FLOW_PREP find
    every file where `omics` looks for the sheet's names, and the tasks are those of
    `omics run`. A missing file stops the run before any task, naming sheet, sample, path.
    """
    contrasts, protein = TEST_COHORT / "contrasts.yaml", TEST_COHORT / "proteinGroups.txt"

    def run(sheet: Path, label: str) -> tuple[subprocess.CompletedProcess, Path, Path]:
        work, trace = tmp_path / f"work_{label}", tmp_path / f"trace_{label}.txt"
        result = run_nextflow([str(nextflow), "run", str(REPO), "-stub-run", f"--input={sheet}",
                               f"--contrasts={contrasts}", f"--protein_matrix={protein}",
                               "--outdir", str(tmp_path / f"out_{label}"), "-work-dir", str(work),
                               "-with-trace", str(trace)],
                              cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True,
                              timeout=300)
        return result, work, trace

    def check_staged(sheet: Path, work: Path) -> None:
        table = pd.read_csv(sheet, sep=None, engine="python", dtype=str, encoding="utf-8-sig")
        for process in ("OMICS_VALIDATE", "OMICS_FLOW_PREP"):
            task = _task_folder(work, process)
            # (the stub lays the files out as the script does, for --flow_fcs input/fcs_column/meta)
            assert "omics_fcs_links.sh 'input/fcs_column/meta' " in (task / ".command.sh").read_text()
            staged = sorted(task.glob("input/fcs_files/*/*"))
            assert len(staged) == len(table), process  # every file staged, one folder each
            for sample, value in zip(table["sample"], table["fcs"], strict=True):
                expected = (sheet.parent / value).resolve()
                if Path(value).is_absolute():
                    assert not (task / "input" / "fcs_column" / "meta" / value.lstrip("/")).exists()
                    assert expected in {path.resolve() for path in staged}, (process, sample)
                    continue
                # where omics looks: --flow_fcs folder / the sheet's name
                found = task / "input" / "fcs_column" / "meta" / value
                assert found.resolve() == expected, (process, sample, value)

    # relative names, two files called shared.fcs, CRLF
    sheet = _fcs_column_sheet(tmp_path / "plain")
    result, work, trace = run(sheet, "plain")
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    statuses = {_omics_task_name(row["name"]): row["status"] for row in _trace(trace)}
    assert statuses["flow_prep"] == "COMPLETED"
    assert (tmp_path / "out_plain" / "flow" / "flow.h5ad").is_file()
    check_staged(sheet, work)
    # the tasks of `omics run` for this sheet, each fed by the same tasks
    params = resolve({"input": str(sheet), "contrasts": str(contrasts), "protein_matrix": str(protein)})
    local_needs = {task.name: set(task.needs) for task in build_tasks(params, tmp_path / "local")}
    assert "flow_prep" in local_needs and _nextflow_task_needs(work).keys() == local_needs.keys()

    # a byte-order mark, `;`, a quoted name holding `;`, a quote and a space, an absolute name
    odd = _fcs_column_sheet(tmp_path / "odd", delimiter=";", bom=True,
                            special={2: "it's one;two.fcs", 3: "/abs/BALI004.fcs"})
    written = odd.read_bytes()
    assert written.startswith(b"\xef\xbb\xbf") and b'"../fcs/sub1/it\'s one;two.fcs"' in written
    result, work, trace = run(odd, "odd")
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    check_staged(odd, work)

    # a missing file: the sheet, the row's sample and the path, before any task
    text = sheet.read_text()
    missing = sheet.with_name("missing.csv")
    missing.write_text(text.replace("../fcs/sub1/BALI005.fcs", "../fcs/sub1/BALI005_gone.fcs"))
    result, work, trace = run(missing, "missing")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert f"Sample sheet {missing}: sample 'BALI005' (line 6) names the FCS file " \
           f"'../fcs/sub1/BALI005_gone.fcs' (column 'fcs'), which does not exist at " \
           f"{missing.parent / '../fcs/sub1/BALI005_gone.fcs'}" in output, output[-3000:]
    assert not list(work.glob("*/*/.command.run")), "no task may start"
    # a sample without a file while the others have one stops too, as with `omics run`
    unnamed = sheet.with_name("unnamed.csv")
    unnamed.write_text(text.replace("../fcs/sub2/BALI006.fcs", "NA"))
    result, work, trace = run(unnamed, "unnamed")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert f"Sample sheet {unnamed}: sample 'BALI006' (line 7) has no FCS file (no 'fcs' value)" in output, \
        output[-3000:]
    assert not list(work.glob("*/*/.command.run")), "no task may start"


@pytest.mark.slow
@pytest.mark.nextflow
def test_fcs_column_pipeline_matches_omics_run(nextflow: Path, tmp_path: Path) -> None:
    """FCS files named only in the sample sheet (no --flow_fcs) give `omics run`'s results.

    Byte for byte: the validated sample sheet (as written: its `fcs` column names the user's
    files), the flow outputs (flow.h5ad, gating plots, flow QC), the differential tables and
    the scores. Two of the files share a name (../fcs/sub1/shared.fcs, ../fcs/sub2/shared.fcs).
    Then -resume caches every task.
    """
    env = _env(tmp_path)
    sheet = _fcs_column_sheet(tmp_path / "cohort")
    options = [f"--input={sheet}", f"--contrasts={TEST_COHORT / 'contrasts.yaml'}",
               f"--protein_matrix={TEST_COHORT / 'proteinGroups.txt'}", "--flow_beads_per_test=50000",
               *QUICK]
    nf_out, local_out, work = tmp_path / "nf", tmp_path / "local", tmp_path / "work"
    limits = tmp_path / "limits.config"  # the test profile's limits, without its inputs
    limits.write_text("process { resourceLimits = [cpus: 1, memory: 6.GB, time: 1.h] }\n")
    result = run_nextflow([str(nextflow), "run", str(REPO), "-c", str(limits), *options,
                           "--outdir", str(nf_out), "-work-dir", str(work)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    subprocess.run([sys.executable, "-m", "omics.cli", "run", *options, "--outdir", str(local_out)],
                   cwd=tmp_path, check=True, capture_output=True, timeout=900)
    script = (_task_folder(work, "OMICS_FLOW_PREP") / ".command.sh").read_text()
    assert "--flow_fcs 'input/fcs_column/meta'" in script  # the sheet's names, looked up there

    def files(out: Path) -> list[str]:
        return sorted(str(path.relative_to(out)) for folder in ("differential", "scores", "flow")
                      for path in (out / folder).rglob("*") if path.is_file())

    compared = ["validated/samplesheet.csv", "qc/flow.qc.tsv", *files(local_out)]
    assert files(nf_out) == files(local_out)
    assert "flow/flow.h5ad" in compared and any(name.endswith(".flow.limma.results.tsv") for name in compared)
    assert len([name for name in compared if name.startswith("flow/gating_plots/")]) == 40
    different = [name for name in compared if (nf_out / name).read_bytes() != (local_out / name).read_bytes()]
    assert not different, different
    # the task read its staged links; the record names the user's files too
    record = json.loads((nf_out / "validated" / "validation.json").read_text())
    assert record["samplesheet"]["path"].startswith("input/")
    assert record["samplesheet"]["resolved"] == os.path.realpath(sheet)
    assert record["modalities"]["protein"]["resolved"] == os.path.realpath(TEST_COHORT / "proteinGroups.txt")
    local = json.loads((local_out / "validated" / "validation.json").read_text())
    assert "resolved" not in local["samplesheet"]
    assert "../fcs/sub2/shared.fcs" in (nf_out / "validated" / "samplesheet.csv").read_text()

    # -resume: every task comes from the cache (the staged files and their layout are stable)
    trace = tmp_path / "trace_resume.txt"
    again = run_nextflow([str(nextflow), "run", str(REPO), "-c", str(limits), *options,
                          "--outdir", str(nf_out), "-work-dir", str(work), "-resume",
                          "-with-trace", str(trace)],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stdout[-5000:] + again.stderr[-5000:]
    statuses = {_omics_task_name(row["name"]): row["status"] for row in _trace(trace)}
    assert "flow_prep" in statuses and set(statuses.values()) == {"CACHED"}, statuses


@pytest.mark.slow
@pytest.mark.nextflow
def test_ext_args_pass_free_text_as_one_word(nextflow: Path, tmp_path: Path) -> None:
    """conf/modules.config: values holding quotes and spaces, and an empty list given as
    --response_covariates '' (true in Nextflow), reach `omics` as given (F8, F12)."""
    (tmp_path / "args.nf").write_text(
        "process OMICS_FLOW_PREP {\n  output: path 'flow_prep.txt'\n"
        "  script: \"printf '[%s]\\\\n' ${task.ext.args} > flow_prep.txt\"\n}\n"
        "process OMICS_SCORE {\n  output: path 'score.txt'\n"
        "  script: \"printf '[%s]\\\\n' ${task.ext.args} > score.txt\"\n}\n"
        "workflow { OMICS_FLOW_PREP(); OMICS_SCORE() }\n")
    outdir = tmp_path / "out"
    values = {"flow_bead_gate": "Beads'n \"counts\"", "flow_cell_count_col": "it's $HOME",
              "flow_dose_population": "CD34+ 'bright'"}
    result = run_nextflow([str(nextflow), "run", "args.nf", "-c", str(REPO / "nextflow.config"),
                           *[f"--{name}={value}" for name, value in values.items()],
                           "--response_covariates", "", "--outdir", str(outdir)],
                          cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    flow = (outdir / "flow_prep.txt").read_text().splitlines()
    score = (outdir / "score.txt").read_text().splitlines()
    for lines, name in ((flow, "flow_bead_gate"), (flow, "flow_cell_count_col"),
                        (score, "flow_dose_population")):
        assert lines[lines.index(f"[--{name}]") + 1] == f"[{values[name]}]", lines
    assert score[score.index("[--response_covariates]") + 1] == "[]", score


@pytest.mark.slow
def test_resources_capped_to_the_host_without_a_profile(nextflow: Path, tmp_path: Path) -> None:
    """`nextflow run .` on a laptop: requests never exceed its CPUs (process_medium asks 6)."""
    result = subprocess.run([str(nextflow), "config", "-flat", str(REPO)], cwd=tmp_path, env=_env(tmp_path),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr + result.stdout
    flat = dict(re.findall(r"^(\S+) = (.*)$", result.stdout, re.M))
    limits = flat["process.resourceLimits"]
    assert f"cpus:{os.cpu_count()}" in limits.replace(" ", ""), limits
    assert re.search(r"memory:'\d+\.GB'", limits.replace(" ", "")), limits


@pytest.mark.slow
@pytest.mark.nextflow
def test_container_profiles_need_an_image(nextflow: Path, tmp_path: Path) -> None:
    result = run_nextflow([str(nextflow), "run", str(REPO), "-profile", "test,docker", "-stub-run",
                           "--outdir", str(tmp_path / "out"), "-work-dir", str(tmp_path / "work")],
                          cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert ("--container_image is required when tasks run in a container (docker, -profile test,docker): "
            "build the image") in result.stdout + result.stderr
    assert "ghcr.io" not in (REPO / "nextflow.config").read_text()


def test_task_wrapper_falls_back_to_the_repository_venv(tmp_path: Path) -> None:
    """pipelines/bin/omics (on every task's PATH): the environment's omics, else .venv."""
    wrapper = REPO / "pipelines" / "bin" / "omics"
    bare = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run([str(wrapper), "--version"], env=bare, capture_output=True, text=True)
    if (REPO / ".venv" / "bin" / "omics").is_file():
        assert result.returncode == 0 and result.stdout.startswith("omics "), result.stderr
        python = subprocess.run([str(wrapper.parent / "python"), "-c",
                                 "import omics, sys; print(sys.prefix)"], env=bare, capture_output=True,
                                text=True)
        assert python.returncode == 0 and ".venv" in python.stdout, python.stderr
        # reached through a link to pipelines/bin: Python still finds the venv (its real path)
        (tmp_path / "bin").symlink_to(wrapper.parent)
        linked = subprocess.run(["python", "-c", "import sys; print(sys.prefix)"], cwd=tmp_path,
                                env={**bare, "PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin"},
                                capture_output=True, text=True)
        assert linked.returncode == 0 and ".venv" in linked.stdout, linked.stdout + linked.stderr
    else:
        assert result.returncode == 127 and "make install" in result.stderr
    fake = tmp_path / "env" / "bin"  # an environment on PATH wins (container, conda, activated venv)
    fake.mkdir(parents=True)
    (fake / "omics").write_text("#!/bin/sh\necho from-env\n")
    (fake / "omics").chmod(0o755)
    result = subprocess.run([str(wrapper), "--version"], env={**bare, "PATH": f"{fake}:/usr/bin:/bin"},
                            capture_output=True, text=True)
    assert result.stdout.strip() == "from-env"


def test_versions_snippet_writes_nf_core_versions_yml(tmp_path: Path) -> None:
    """pipelines/bin/omics_versions.sh: the one versions.yml writer every module calls.

    It lists what `omics run` records (omics._versions.software_versions(), F6).
    """
    script = PIPELINES / "bin" / "omics_versions.sh"
    env = {"PATH": os.pathsep.join([str(PIPELINES / "bin"), sysconfig.get_path("scripts"),
                                    str(Path(sys.executable).parent), "/usr/bin:/bin"]),
           "HOME": str(tmp_path)}
    result = subprocess.run([str(script), "ANGIOGENESIS:OMICS_QC"], cwd=tmp_path, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    versions = yaml.safe_load((tmp_path / "versions.yml").read_text())
    assert list(versions) == ["ANGIOGENESIS:OMICS_QC"]
    assert {k: str(v) for k, v in versions["ANGIOGENESIS:OMICS_QC"].items()} == software_versions()
    assert subprocess.run([str(script)], cwd=tmp_path, env=env, capture_output=True).returncode == 2


def test_task_scripts_find_omics_when_nextflow_appends_the_bin_folder(tmp_path: Path) -> None:
    """Nextflow 24.10 puts pipelines/bin at the END of a task's PATH: a `python` without omics
    earlier on PATH (pyenv, the system's) must not be the one the versions script runs."""
    if not (REPO / ".venv" / "bin" / "omics").is_file():
        pytest.skip("no repository .venv (make install): the fallback is what is tested")
    other = tmp_path / "other" / "bin"
    other.mkdir(parents=True)
    (other / "python").write_text("#!/bin/sh\necho 'ModuleNotFoundError: omics' >&2\nexit 1\n")
    (other / "python").chmod(0o755)
    env = {"PATH": os.pathsep.join([str(other), "/usr/bin", "/bin", str(PIPELINES / "bin")]),
           "HOME": str(tmp_path)}
    result = subprocess.run(["omics_versions.sh", "ANGIOGENESIS:OMICS_QC"], cwd=tmp_path, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "ANGIOGENESIS:OMICS_QC" in yaml.safe_load((tmp_path / "versions.yml").read_text())
    (tmp_path / "params.json").write_text(json.dumps({"input": "sheet.csv"}))
    result = subprocess.run(["omics_params.sh", "params.json", "2"], cwd=tmp_path, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "pipeline_info" / "params.yaml").is_file()


def test_params_snippet_writes_params_yaml_as_omics_run(tmp_path: Path) -> None:
    """pipelines/bin/omics_params.sh (OMICS_REPORT): params.yaml as `omics run` writes it (F1, F2)."""
    script = PIPELINES / "bin" / "omics_params.sh"
    env = {"PATH": os.pathsep.join([str(PIPELINES / "bin"), sysconfig.get_path("scripts"),
                                    str(Path(sys.executable).parent), "/usr/bin:/bin"]),
           "HOME": str(tmp_path)}
    given = {name: parameter.default for name, parameter in BY_NAME.items()}
    # as Nextflow gives them: numbers as typed, '' on the command line as true, a list from a
    # params file; the Nextflow-only parameters are not recorded
    given.update(input="sheet.csv", flow_beads_per_test=50000, gsea_permutations=250,
                 response_covariates=True, genesets=["a.gmt", "b.gmt"], n_cpus=8,
                 publish_dir_mode="copy", container_image=None)
    (tmp_path / "params.json").write_text(json.dumps(given))
    result = subprocess.run([str(script), "params.json", "3"], cwd=tmp_path, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    written = (tmp_path / "pipeline_info" / "params.yaml").read_text()
    expected = resolve({"input": "sheet.csv", "flow_beads_per_test": "50000", "gsea_permutations": "250",
                        "response_covariates": "", "genesets": "a.gmt,b.gmt", "n_cpus": "3"})
    assert written == yaml.safe_dump(expected, sort_keys=True)  # what runner.py writes
    assert subprocess.run([str(script), "params.json"], cwd=tmp_path, env=env,
                          capture_output=True).returncode == 2


def test_pipeline_lists_agree_with_the_parameter_model() -> None:
    """main.nf's "empty for none" lists and the workflow's Nextflow-only parameters (F8, F1)."""
    main = (PIPELINES / "main.nf").read_text()
    listed = re.search(r"EMPTY_FOR_NONE = \[([^\]]*)\]", main).group(1)
    assert set(re.findall(r"'(\w+)'", listed)) == {p.name for p in PARAMETERS if p.is_list}
    workflow = (PIPELINES / "workflows" / "angiogenesis.nf").read_text()
    listed = re.search(r"NEXTFLOW_ONLY = \[([^\]]*)\]", workflow).group(1)
    assert set(re.findall(r"'(\w+)'", listed)) == {p.name for p in PARAMETERS if p.nextflow_only}


@pytest.mark.slow
@pytest.mark.nextflow
def test_parameter_check_reads_numbers_given_as_text_and_checks_across_parameters(
        nextflow: Path, tmp_path: Path) -> None:
    """Before any task: min > max gene-set sizes and an out-of-range seed stop; 1e-2 is a number.

    The Nextflow audit found ``--gsea_min_size 600 --gsea_max_size 500`` and ``--seed
    5000000000`` accepted, failing later with result files published, and ``--de_fdr 1e-2``
    refused (Nextflow keeps it as text) where ``omics run`` reads 0.01; ``--publish_dir_mode
    move`` took ``validated/`` out of its task folder before the next task read it.
    """
    out = tmp_path / "out"
    result = run_nextflow([str(nextflow), "run", str(REPO), "-profile", "test", "-stub-run",
                           "--outdir", str(out), "-work-dir", str(tmp_path / "work"),
                           "--gsea_min_size", "600", "--gsea_max_size", "500", "--de_fdr", "1e-2",
                           "--seed", "5000000000", "--publish_dir_mode", "move",
                           "--flow_gating", str(tmp_path / "nope.xml")],
                          cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=300)
    text = result.stdout + result.stderr
    assert result.returncode != 0
    assert "--gsea_min_size (600) is larger than --gsea_max_size (500)" in text
    assert "--seed must be <= 4294967295, got 5000000000" in text
    assert "--publish_dir_mode is 'move'; choose one of" in text  # it broke the run (validated/ moved)
    assert f"--flow_gating {tmp_path / 'nope.xml'}: no such file; check the path" in text
    assert "de_fdr" not in text
    assert not (out / "validated").exists()  # stopped before any task


@pytest.mark.slow
@pytest.mark.nextflow
def test_resume_recomputes_after_the_omics_code_changed(nextflow: Path, tmp_path: Path) -> None:
    """-resume reuses no task computed by other omics code (as `omics run`, runner.code_identity).

    The Nextflow audit found every task cached after a change to the package's source. A copy
    of the pipeline and package (stub run): unchanged, -resume caches all; after one comment
    added to a stage module, every task runs again. On the way (stop 50): cached tasks publish
    over files another run left, software_versions.yml is rewritten, a sample sheet edited with
    its size and date kept reruns OMICS_VALIDATE, and a DESeq2 option reruns the RNA DE only.
    """
    copy = tmp_path / "repo"
    for part in ("pipelines", "metadata", "src/omics", "tests/data/test_cohort"):
        shutil.copytree(REPO / part, copy / part, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("nextflow.config", "nextflow_schema.json", "environment.yml"):
        shutil.copy(REPO / name, copy / name)
    command = [str(nextflow), "run", str(copy), "-profile", "test", "-stub-run", "-resume",
               "--outdir", str(tmp_path / "out"), "-work-dir", str(tmp_path / "work")]

    def run() -> str:
        result = run_nextflow(command, cwd=tmp_path, env=_env(tmp_path), capture_output=True,
                              text=True, timeout=300)
        assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
        return result.stdout

    run()
    # files another run left at this run's result paths (stop 50, nfresume H1/M1): a task taken
    # from the cache publishes over them, and software_versions.yml is written anew
    out = tmp_path / "out"
    (out / "report" / "index.html").write_text("another run's report")
    (out / "pipeline_info" / "software_versions.yml").write_text("OMICS_QC: {omics: old}\n")
    again = run()
    assert "Cached" in again or "cached" in again
    assert not re.search(r"\] Submitted process", again), "an unchanged rerun computed a task"
    assert (out / "report" / "index.html").read_text() != "another run's report"
    versions = yaml.safe_load((out / "pipeline_info" / "software_versions.yml").read_text())
    assert set(versions) >= {"OMICS_VALIDATE", "OMICS_REPORT"} and versions["OMICS_QC"]["omics"] != "old"

    # a sample sheet corrected with its size and date kept (cp -p) is checked again (M2), and
    # the DESeq2 options rerun the DESeq2 tasks only, not the limma ones (L1)
    sheet = copy / "tests" / "data" / "test_cohort" / "samplesheet.csv"
    stat = sheet.stat()
    text = sheet.read_text()
    sheet.write_text(text.replace(",74,", ",75,", 1))
    assert sheet.stat().st_size == stat.st_size and ",75," in sheet.read_text()
    os.utime(sheet, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    command.extend(["--deseq2_alpha", "0.05"])
    changed = run()
    submitted = "\n".join(line for line in changed.splitlines() if "Submitted process" in line)
    assert "OMICS_VALIDATE" in submitted, changed[-3000:]
    submitted_de = set(re.findall(r"OMICS_DE \(([^)]+)\)", submitted))
    assert submitted_de and all(name.endswith(".rna") for name in submitted_de), submitted_de
    command[-2:] = []

    with (copy / "src" / "omics" / "stages" / "_qc.py").open("a") as module:
        module.write("# an edit\n")
    edited = run()
    assert len(re.findall(r"\] Submitted process", edited)) >= 10, edited[-3000:]


@pytest.mark.slow
@pytest.mark.nextflow
def test_help_lists_the_schema_parameters_and_writes_nothing(nextflow: Path, tmp_path: Path) -> None:
    """``--help`` lists every non-hidden parameter of nextflow_schema.json by group (nf-core's
    habit), ``--help <name>`` shows one in full, an unknown name stops; no run folder is made."""
    schema = json.loads((REPO / "nextflow_schema.json").read_text())

    def run(*args: str) -> subprocess.CompletedProcess:
        return run_nextflow([str(nextflow), "-q", "run", str(REPO), *args], cwd=tmp_path,
                            env=_env(tmp_path), capture_output=True, text=True, timeout=300)

    listing = run("--help")
    assert listing.returncode == 0, listing.stderr
    for group in schema["$defs"].values():
        assert f"{group['title']}:" in listing.stdout
        for name, spec in group["properties"].items():
            if not spec.get("hidden"):
                assert re.search(rf"^  --{name} +{spec['type']} ", listing.stdout, re.M), name
    assert "[default: 0.05]" in listing.stdout and "[choices: median, quantile, none]" in listing.stdout
    one = run("--help", "de_fdr")
    assert one.returncode == 0, one.stderr
    assert one.stdout.splitlines()[0] == "--de_fdr"
    assert "default     : 0.05" in one.stdout and "range       : <= 1" in one.stdout
    unknown = run("--help", "fdr")
    assert unknown.returncode != 0
    assert "--help fdr: no such parameter (did you mean --de_fdr?)" in unknown.stdout + unknown.stderr
    assert not (tmp_path / "results").exists()  # no pipeline_info reports for --help


@pytest.mark.slow
@pytest.mark.nextflow
def test_cluster_executor_with_the_launch_machines_limits_warns(nextflow: Path, tmp_path: Path) -> None:
    """nextflow.config caps requests to the machine Nextflow runs on (for the local executor);
    a cluster executor left with those caps would run every task on a login node's share: warn.
    A site config with its own process.resourceLimits does not warn. (No scheduler here: the
    first submission then fails, after the warning.)"""
    cohort = TEST_COHORT
    slurm, site = tmp_path / "slurm.config", tmp_path / "site.config"
    slurm.write_text("process.executor = 'slurm'\n")
    site.write_text("process {\n    executor = 'slurm'\n"
                    "    resourceLimits = [cpus: 32, memory: 256.GB, time: 48.h]\n}\n")
    texts = []
    for config in (slurm, site):
        result = run_nextflow(
            [str(nextflow), "run", str(REPO), "-stub-run", "-c", str(config),
             "--input", str(cohort / "samplesheet.csv"), "--contrasts", str(cohort / "contrasts.yaml"),
             "--rna_counts", str(cohort / "salmon.merged.gene_counts.tsv"),
             "--outdir", str(tmp_path / f"out_{config.stem}"),
             "-work-dir", str(tmp_path / f"work_{config.stem}")],
            cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=300)
        texts.append(result.stdout + result.stderr)
    assert "process.executor is 'slurm', but process.resourceLimits are those of the machine" in texts[0]
    assert "Set process.resourceLimits for your cluster in your -c config" in texts[0]
    assert "process.resourceLimits are those of the machine" not in texts[1]
