"""Docstrings of the AnnData-or-table functions, built from the table-level ones.

The table-level function keeps the single description of its parameters and results;
the public function's docstring is that text with the first parameters replaced (the
input is an AnnData or a table), the AnnData-only parameters added, and the keys it
stores in the AnnData prepended to ``Notes``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence

_Section = tuple[str, list[str]]


def _split(doc: str) -> tuple[list[str], list[_Section]]:
    """``(summary lines, [(title, body lines)])`` of a numpydoc docstring."""
    lines = inspect.cleandoc(doc).splitlines()
    head: list[str] = []
    sections: list[_Section] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        underline = lines[i + 1] if i + 1 < len(lines) else ""
        if line.strip() and underline.strip() and set(underline.strip()) == {"-"} \
                and not line.startswith(" "):
            sections.append((line.strip(), []))
            i += 2
            continue
        (sections[-1][1] if sections else head).append(line)
        i += 1
    return head, sections


def _entries(body: list[str]) -> list[tuple[str, list[str]]]:
    """Parameter entries ``(name line, description lines)`` of a Parameters section."""
    entries: list[tuple[str, list[str]]] = []
    for line in body:
        if line and not line.startswith(" "):
            entries.append((line, []))
        elif entries:
            entries[-1][1].append(line)
    return entries


def _trim(lines: list[str]) -> list[str]:
    """Drop trailing blank lines."""
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines


def compose(table_func: Callable, *, summary: str, replace: Sequence[str], inputs: str,
            extra: str, stored: str, returns: str | None = None) -> str:
    """Docstring of a public function from its table-level function's docstring.

    Parameters
    ----------
    table_func
        The table-level function whose docstring describes the shared parameters.
    summary
        First paragraph (replaces the table-level summary line; the rest is kept).
    replace
        Names of the table-level parameter entries that ``inputs`` replaces.
    inputs
        numpydoc entries of the new leading parameters (AnnData or table).
    extra
        numpydoc entries of the AnnData-only parameters, appended.
    stored
        Paragraph naming the keys stored in the AnnData (first in ``Notes``).
    returns
        A ``Returns`` section body, for a table-level docstring without one.
    """
    head, sections = _split(table_func.__doc__ or "")
    body = _trim(head[1:])
    out = [summary.strip(), *body]
    titles = [t for t, _ in sections]
    if "Parameters" not in titles:
        sections.insert(0, ("Parameters", []))
    if "Returns" not in titles and returns:
        sections.insert(1, ("Returns", inspect.cleandoc(returns).splitlines()))
    if "Notes" not in titles:
        sections.append(("Notes", []))
    for title, lines in sections:
        if title == "Parameters":
            kept = [e for e in _entries(lines) if e[0].split(",")[0].strip() not in replace]
            lines = [*inspect.cleandoc(inputs).splitlines(),
                     *[line for name, desc in kept for line in (name, *_trim(desc))],
                     *[line for line in inspect.cleandoc(extra).splitlines() if line.strip()]]
        elif title == "Notes":
            lines = [*inspect.cleandoc(stored).splitlines(), *([""] + lines if lines else [])]
        out += ["", title, "-" * len(title), *_trim(lines)]
    return "\n".join(out).strip() + "\n"
