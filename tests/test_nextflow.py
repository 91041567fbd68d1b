"""The Nextflow pipeline (pipelines/): static nf-core checks, and a real run against `omics run`.

The end-to-end test runs ``nextflow run <repo> -profile test`` on the local executor, then
``omics run`` with the same inputs and parameters, and checks that both give the same
tables, that the published layout is the runner's, and that ``-resume`` caches every
task. Nextflow comes from tools/nextflow (installed offline from Maven Central on first
use); the tasks find ``omics`` and ``python`` of the interpreter running pytest on PATH.
"""

from __future__ import annotations

import csv
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

from helpers import REPO, TEST_COHORT
from omics.dag import build_tasks
from omics.params import BY_NAME, STAGE_PARAMS, resolve
from omics.registry import STAGES
from omics.schema_modules import FROM_MODULE, STAGED_FILES

PIPELINES = REPO / "pipelines"
MODULES = PIPELINES / "modules" / "local"
LAUNCHER = REPO / "tools" / "nextflow" / "nextflow"
PROCESSES = {name: stage.process for name, stage in STAGES.items()}
LABELS = ("process_single", "process_low", "process_medium")
# Files a stage reads through a staged input rather than an option in conf/modules.config.
FILE_PARAMS = set(STAGED_FILES)


def _java_available() -> bool:
    for variable in ("NXF_JAVA_HOME", "JAVA_HOME"):
        home = os.environ.get(variable)
        if home and (Path(home) / "bin" / "java").is_file():
            return True
    return shutil.which("java") is not None


@pytest.fixture(scope="module")
def nextflow() -> Path:
    """The offline Nextflow launcher, installed on first use."""
    if not _java_available():
        pytest.skip("java (11+) not found: Nextflow cannot run (set JAVA_HOME or put java on PATH)")
    if not LAUNCHER.is_file():
        subprocess.run(["bash", str(REPO / "tools" / "nextflow" / "install.sh")], check=True,
                       stdout=subprocess.DEVNULL, timeout=900)
    return LAUNCHER


def _env(tmp: Path) -> dict[str, str]:
    """Environment for Nextflow: fast JVM start-up and this interpreter's `omics` first on PATH."""
    env = dict(os.environ)
    scripts = sysconfig.get_path("scripts")
    env["PATH"] = os.pathsep.join([scripts, str(Path(sys.executable).parent), env.get("PATH", "")])
    env["NXF_OPTS"] = "-XX:TieredStopAtLevel=1"
    env["NXF_ANSI_LOG"] = "false"
    env["NXF_TEMP"] = str(tmp)
    return env


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
            assert f"path({name}" in module, f"{process}: {name} files must be staged inputs"
        assert "publishDir" not in block, f"{process}: the one default publishDir applies"
    assert "--n_cpus ${task.cpus}" in (MODULES / "de" / "main.nf").read_text()
    default = blocks["OMICS_.*"]  # one publishDir for every process
    assert re.search(r"publishDir\s*=\s*\[\s*path:\s*\{\s*\"\$\{params\.outdir\}\"\s*\}", default)
    assert "mode: params.publish_dir_mode" in default
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
    """-stub-run wires the whole DAG (fan-out included) without computing anything."""
    outdir = tmp_path / "stub"
    result = subprocess.run([str(nextflow), "run", str(REPO), "-profile", "test", "-stub-run",
                             "--outdir", str(outdir), "-work-dir", str(tmp_path / "work")],
                            cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    n_contrasts = len(yaml.safe_load((TEST_COHORT / "contrasts.yaml").read_text())["contrasts"])
    assert len(list((outdir / "differential").glob("*.results.tsv"))) == 3 * n_contrasts  # rna, protein, flow
    assert (outdir / "report" / "index.html").is_file()
    versions = yaml.safe_load((outdir / "pipeline_info" / "software_versions.yml").read_text())
    for process in PROCESSES.values():  # every process wrote versions.yml with omics_versions.sh
        assert set(versions[process]) == {"omics", "python"}, process

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
        assert nextflow_needs[name] == needs, name  # the whole results folder


def _nextflow_task_needs(work: Path) -> dict[str, set[str]]:
    """``{omics task name: names of the tasks whose outputs it staged}`` from a work folder.

    A task's name comes from the header of its ``.command.run`` (process and tag); what it
    was fed from, from the staged symlinks that point into other tasks' folders.
    """
    names = {}
    for run in work.glob("*/*/.command.run"):
        header = re.search(r"^### name: '(.*)'$", run.read_text(), re.M).group(1)
        process, _, tag = header.rpartition(":")[2].partition(" (")
        stage = STAGES[process.removeprefix("OMICS_").lower()]
        names[run.parent] = stage.name + (f".{tag.rstrip(')')}" if stage.fan_out else "")
    needs = {}
    for folder, name in names.items():
        links = [Path(root) / entry for root, dirs, files in os.walk(folder)
                 for entry in dirs + files if (Path(root) / entry).is_symlink()]
        targets = [Path(os.readlink(link)) for link in links]
        needs[name] = {names[parent] for target in targets for parent in target.parents
                       if parent in names}
    return needs


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
    first = subprocess.run([*command, "-with-trace", str(tmp_path / "trace.txt")], cwd=tmp_path,
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
    # (the trace goes to -with-trace's file here; report and timeline stay in pipeline_info/)
    for report in ("execution_report_*.html", "execution_timeline_*.html"):
        assert list((nf_out / "pipeline_info").glob(report)), report

    # -resume: every task comes from the cache
    started = time.monotonic()
    again = subprocess.run([*command, "-resume", "-with-trace", str(tmp_path / "trace_resume.txt")],
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
    result = subprocess.run([str(nextflow), "run", str(REPO), "-c", str(limits), *options,
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
    result = subprocess.run([str(nextflow), "run", str(REPO), "-profile", "test,docker", "-stub-run",
                             "--outdir", str(tmp_path / "out"), "-work-dir", str(tmp_path / "work")],
                            cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert "--container_image is required with -profile test,docker" in result.stdout + result.stderr
    assert "ghcr.io" not in (REPO / "nextflow.config").read_text()


def test_task_wrapper_falls_back_to_the_repository_venv(tmp_path: Path) -> None:
    """pipelines/bin/omics (first on every task's PATH): the environment's omics, else .venv."""
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
    """pipelines/bin/omics_versions.sh: the one versions.yml writer every module calls."""
    script = PIPELINES / "bin" / "omics_versions.sh"
    fake = tmp_path / "env" / "bin"  # a task environment with known versions
    fake.mkdir(parents=True)
    for name, text in (("omics", "omics 9.8.7"), ("python", "Python 3.11.4")):
        (fake / name).write_text(f"#!/bin/sh\necho '{text}'\n")
        (fake / name).chmod(0o755)
    env = {"PATH": f"{PIPELINES / 'bin'}:{fake}:/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run([str(script), "ANGIOGENESIS:OMICS_QC"], cwd=tmp_path, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    versions = yaml.safe_load((tmp_path / "versions.yml").read_text())
    assert versions == {"ANGIOGENESIS:OMICS_QC": {"omics": "9.8.7", "python": "3.11.4"}}
    assert subprocess.run([str(script)], cwd=tmp_path, env=env, capture_output=True).returncode == 2
