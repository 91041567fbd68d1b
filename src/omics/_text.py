"""Reading small text inputs (params files, contrasts YAML, GMT) with one-line errors.

Kept free of heavy imports: the CLI reads params files through it before anything else.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ._errors import InputError


def read_text_file(path: str | Path, *, what: str) -> str:
    """Return the text of a UTF-8 file (a byte-order mark is dropped, CRLF read as LF).

    Stops when the file is missing, a folder, empty, or not text (NUL bytes, not UTF-8).
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{what} not found; check the path.", path=path)
    if path.is_dir():
        raise InputError(f"{what} is a directory; give the path of a file.", path=path)
    data = path.read_bytes()
    if not data.strip():
        raise InputError(f"{what} is empty.", path=path)
    if b"\x00" in data:
        raise InputError(f"{what} is a binary file, not text; give the plain-text {what}.", path=path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise InputError(f"{what} is not UTF-8 text (byte {err.start + 1}).", path=path,
                         where=f"line {line}", fix="Save it as UTF-8.") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def load_yaml(path: str | Path, *, what: str) -> Any:
    """Parse a YAML (or JSON) file; a syntax error becomes one line naming the line and column."""
    text = read_text_file(path, what=what)
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else None
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        context = getattr(err, "context", None)
        detail = f"{context}, {problem}" if context else problem
        raise InputError(f"not valid YAML ({detail}).", path=path, where=where,
                         fix="Fix the syntax there (indentation, quotes, ':' after each key).") from None
