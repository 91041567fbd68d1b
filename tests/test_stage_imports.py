"""Stages use the public API of omics.io / pp / tl / pl, never a private module of theirs."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import omics.stages

LAYERS = ("io", "pp", "tl", "pl")
STAGE_MODULES = sorted(Path(omics.stages.__file__).parent.glob("*.py"))


def _imports(source: str, package: str) -> list[tuple[int, str, str | None]]:
    """``(line, absolute module, imported name or None)`` of every import, nested ones too."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
            module = ".".join([*base, node.module] if node.level else [node.module or ""])
            found += [(node.lineno, module, alias.name) for alias in node.names]
    return sorted(found, key=lambda item: item[0])


def layer_violations(source: str, package: str = "omics.stages") -> list[str]:
    """Imports of a private module of a layer, or of a name a layer does not export."""
    problems = []
    for line, module, name in _imports(source, package):
        parts = module.split(".")
        if parts[0] != "omics" or len(parts) < 2 or parts[1] not in LAYERS:
            continue
        if len(parts) > 2 and any(part.startswith("_") for part in parts[2:]):
            problems.append(f"line {line}: {module} is private")
        elif name is not None and name.startswith("_"):
            problems.append(f"line {line}: {module}.{name} is private")
        elif name is not None and len(parts) == 2:
            public = importlib.import_module(module).__all__
            if name not in public:
                problems.append(f"line {line}: {module}.{name} is not in {module}.__all__")
    return problems


def test_the_check_finds_private_imports():
    bad = ("from ..io._flow import read_fcs\n"
           "from ..pp import _protein as protein_pp\n"
           "def f():\n    from ..pl._flow import gating_png\n"
           "import omics.tl._gsea\n"
           "from ..tl import deseq2\n")
    assert [p.split(":")[0] for p in layer_violations(bad)] == [
        "line 1", "line 2", "line 4", "line 5"]
    assert layer_violations("from .._errors import InputError\nfrom ._common import out_path\n") == []


@pytest.mark.parametrize("path", STAGE_MODULES, ids=lambda p: p.name)
def test_stage_imports_only_public_layer_names(path: Path):
    assert layer_violations(path.read_text()) == []


@pytest.mark.parametrize("layer", LAYERS)
def test_every_exported_name_resolves(layer: str):
    module = importlib.import_module(f"omics.{layer}")
    for name in module.__all__:
        value = getattr(module, name)
        if callable(value) and not isinstance(value, type):
            assert value.__doc__ and value.__doc__.strip(), f"omics.{layer}.{name} has no docstring"
