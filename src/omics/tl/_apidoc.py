"""The AnnData-or-table functions: their convention, docstrings and forwarded settings.

Each public function of ``tl/_api_*.py`` dispatches on its first argument:

- an AnnData (a MuData for the integration functions): inputs are read from where the
  previous step stored them (DE tables in ``uns["deseq2"|"limma"][<contrast>]``, scores
  in ``obsm``, clinical columns in ``obs``), the result is stored under a documented key
  (``key_added``; the keys in :mod:`._keys`) beside the settings it ran with, and
  returned, as in scanpy and decoupler;
- a table (the table-level signature): the table-level function runs unchanged and
  nothing is stored.

The computations are those of the table-level modules; an AnnData call returns exactly
the table the table call returns on the same data.

The public signature repeats the table-level settings on purpose (explicit for IDEs,
``help()`` and the docs; tests check the defaults are the same), and :func:`forwarded`
passes them on. The table-level function keeps the single description of its
parameters and results; the public function's docstring (:func:`compose`) is that text
with the first parameters replaced (the input is an AnnData or a table), the
AnnData-only parameters added, and the keys it stores prepended to ``Notes``.
"""

from __future__ import annotations

import inspect
import re
import textwrap
from collections.abc import Callable, Mapping, Sequence
from typing import Any

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


def forwarded(table_func: Callable, values: Mapping[str, Any]) -> dict[str, Any]:
    """Return the keyword-only arguments of ``table_func``, taken from the caller's ``locals()``.

    Parameters
    ----------
    table_func
        The table-level function the public function calls.
    values
        The public function's ``locals()`` (its parameters repeat the table-level ones).

    Returns
    -------
    dict
        ``{name: value}`` for each keyword-only parameter of ``table_func``.
    """
    parameters = inspect.signature(table_func).parameters.values()
    return {p.name: values[p.name] for p in parameters if p.kind is p.KEYWORD_ONLY}


def settings_note(where: str, names: str) -> str:
    """Return the Notes sentence naming where the settings are recorded and which.

    Parameters
    ----------
    where
        The key, e.g. ``adata.uns[key_added + "_params"][<contrast id>]``.
    names
        The recorded settings, e.g. ``de_key, permutations, seed``.
    """
    sentence = f"The settings it ran with are recorded in ``{where}``: {names}."
    # A literal (``...``) is not broken across lines: its spaces are held while wrapping.
    held = re.sub(r"``[^`]+``", lambda m: m.group(0).replace(" ", "\0"), sentence)
    lines = textwrap.wrap(held, width=84, break_on_hyphens=False, break_long_words=False)
    return "\n" + "".join(f"    {line.replace(chr(0), ' ')}\n" for line in lines)
