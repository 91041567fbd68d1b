"""Library errors name parameters, not command-line flags; the CLI renders the flags.

``InputError`` messages in ``omics.io``, ``omics.pp`` and ``omics.tl`` write a parameter
as ``{--name}``: ``str(error)`` shows ``name`` (Python API), the CLI shows ``--name``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import omics
from omics._errors import InputError

PACKAGE = Path(omics.__file__).parent
FLAG = re.compile(r"(?<![{\w-])--[a-z][a-z0-9_]*")


def _strings(node: ast.AST) -> list[str]:
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _input_errors(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    out = []
    for node in ast.walk(tree):
        name = getattr(node, "func", None)
        if isinstance(node, ast.Call) and getattr(name, "id", getattr(name, "attr", "")) == "InputError":
            out += [(node.lineno, text) for text in _strings(node)]
    return out


def test_the_scan_finds_a_flag_and_ignores_a_parameter(tmp_path):
    module = tmp_path / "m.py"
    module.write_text('def f(x):\n'
                      '    raise InputError(f"bad {x}: pass --rna_min_count", fix="or {--seed}")\n')
    assert [text for _, text in _input_errors(module) if FLAG.search(text)] == [": pass --rna_min_count"]


@pytest.mark.parametrize("package", ["io", "pp", "tl"])
def test_input_errors_do_not_name_command_line_flags(package):
    files = sorted((PACKAGE / package).rglob("*.py"))
    assert files
    offending = [f"{path.relative_to(PACKAGE)}:{line}: {text!r}" for path in files
                 for line, text in _input_errors(path) if FLAG.search(text)]
    assert not offending, "write parameters as {--name}: " + "; ".join(offending)
    n_calls = sum(len(_input_errors(path)) for path in files)
    assert n_calls > 0  # the scan sees the messages


def test_parameter_is_rendered_as_name_in_python_and_as_flag_on_the_command_line():
    error = InputError("values are not log2; drop {--protein_is_log2}.", path="m.tsv")
    assert error.param == "protein_is_log2"
    assert str(error) == "m.tsv: values are not log2; drop protein_is_log2."
    rendered = error.render(flag=lambda name: f"--{name}")
    assert rendered == "m.tsv: values are not log2; drop --protein_is_log2."
