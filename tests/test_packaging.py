"""Packaging: the container and conda recipes install the pinned set; a clean build prints no warning."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

import pytest
import yaml

from helpers import REPO as ROOT


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    return pins


def test_dockerfile_installs_the_pinned_set():
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^COPY [^\n]*\bconstraints\.txt\b", text, re.M)
    installs = re.findall(r"pip install ([^&\n]*)", text)
    assert installs, "the Dockerfile installs the package with pip"
    for args in installs:
        assert re.search(r"(-c|--constraint)\s+constraints\.txt", args), args
    pins = _pins()
    for name, version in re.findall(r"([A-Za-z0-9_.-]+)==([\w.]+)", text):
        assert pins.get(re.sub(r"[-_.]+", "-", name).lower()) == version, f"{name}=={version}"
    python = re.search(r"^FROM python:(\d+\.\d+)", text, re.M).group(1)
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert f"python={python}" in env["dependencies"]
    pip = next(d for d in env["dependencies"] if isinstance(d, dict))["pip"]
    assert "--constraint constraints.txt" in pip and "." in pip


def test_every_dependency_is_pinned():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = _pins()
    names = project["dependencies"] + project["optional-dependencies"]["test"]
    for requirement in names:
        name = re.split(r"[<>=!~\[ ]", requirement, maxsplit=1)[0]
        assert re.sub(r"[-_.]+", "-", name).lower() in pins, f"{name} is not pinned in constraints.txt"


def test_license_is_spdx_and_data_packages_are_declared():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert config["project"]["license"] == "MIT"
    packages = config["tool"]["setuptools"]["packages"]
    for package in ("omics.metadata", "omics.metadata.genesets", "omics.metadata.demo"):
        assert package in packages


@pytest.mark.slow
def test_wheel_build_prints_no_warning(tmp_path):
    import shutil

    source = tmp_path / "source"  # setuptools writes build/ and *.egg-info beside the sources
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "constraints.txt"):
        shutil.copy(ROOT / name, source / name)
    for name in ("src", "metadata"):
        shutil.copytree(ROOT / name, source / name,
                        ignore=shutil.ignore_patterns("*.egg-info", "__pycache__"))
    wheels = tmp_path / "wheels"
    # pip builds in an isolated environment with setuptools from the package index, as a
    # user's first `pip install` does
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels),
                             str(source)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "warning" not in (result.stdout + result.stderr).lower(), result.stderr[-3000:]
    wheel = next(wheels.glob("*.whl"))
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    for shipped in ("omics/metadata/genesets/go_angiogenesis.gmt", "omics/metadata/demo/samplesheet.csv",
                    "omics/metadata/demo/salmon.merged.gene_counts.tsv.gz"):
        assert shipped in names, shipped
