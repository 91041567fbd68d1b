"""Reading small text inputs (params files, contrasts YAML, GMT) with one-line errors.

Kept free of heavy imports: the CLI reads params files through it before anything else.
"""

from __future__ import annotations

import gzip
import zlib
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from ._errors import InputError

_GZIP_MAGIC = b"\x1f\x8b"
# UTF-16 byte-order marks, little- and big-endian (UTF-32's little-endian mark starts alike)
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def read_text_file(path: str | Path, *, what: str) -> str:
    """Return the text of a UTF-8 file (a byte-order mark is dropped, CRLF read as LF).

    A gzip-compressed file (recognised by its content, whatever its name) is read
    decompressed. Stops when the file is missing, a folder, empty, a corrupt gzip file,
    UTF-16 text ("not UTF-8 text", as the table readers say), or not text (NUL bytes, not
    UTF-8).
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{what} not found; check the path.", path=path)
    if path.is_dir():
        raise InputError(f"{what} is a directory; give the path of a file.", path=path)
    data = path.read_bytes()
    if data.startswith(_GZIP_MAGIC):
        try:
            data = gzip.decompress(data)
        except (EOFError, OSError, zlib.error):
            raise InputError(f"{what} is a corrupt or truncated gzip file; compress it again (or "
                             "give it uncompressed).", path=path) from None
    if not data.strip():
        raise InputError(f"{what} is empty.", path=path)
    if data.startswith(_UTF16_BOMS):  # Notepad's "Unicode", Excel's "Unicode text"
        raise InputError(f"{what} is not UTF-8 text: it is UTF-16 (it starts with a UTF-16 "
                         "byte-order mark).", path=path,
                         fix="Save it as UTF-8 (in the editor's 'Save as', or with "
                             "iconv -f UTF-16 -t UTF-8).")
    if b"\x00" in data:
        raise InputError(f"{what} is a binary file, not text; give the plain-text {what}.", path=path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise InputError(f"{what} is not UTF-8 text (byte {err.start + 1}).", path=path,
                         where=f"line {line}", fix="Save it as UTF-8.") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


class DuplicateKeyError(yaml.constructor.ConstructorError):
    """A mapping of a YAML document gives the same key twice (the loaders of :func:`load_yaml`).

    Attributes
    ----------
    key
        The key, as loaded.
    line, first_line
        1-based file lines of the repeated key and of its first occurrence.
    """

    def __init__(self, key: object, node: yaml.Node, first: yaml.Node) -> None:
        self.key = key
        self.line = node.start_mark.line + 1
        self.first_line = first.start_mark.line + 1
        super().__init__(None, None, f"duplicate key {key!r}", node.start_mark)


class _UniqueKeys:
    """Loader mix-in: a key given twice in one mapping raises :class:`DuplicateKeyError`.

    PyYAML keeps the last value of a repeated key, so a second ``contrasts:`` block or a
    repeated parameter would silently replace the first. Keys merged in with ``<<`` may be
    overridden, as YAML defines.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        """Construct the mapping after checking that no key is given twice."""
        if isinstance(node, yaml.MappingNode):
            seen: dict[object, yaml.Node] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.setdefault(key, key_node)
                except TypeError:  # not hashable: the base class reports it
                    continue
                if first is not key_node:
                    raise DuplicateKeyError(key, key_node, first)
        return super().construct_mapping(node, deep=deep)


@cache
def _unique_loader(loader: type[yaml.SafeLoader]) -> type[yaml.SafeLoader]:
    """``loader`` with the duplicate-key check of :class:`_UniqueKeys`."""
    return type(f"Unique{loader.__name__}", (_UniqueKeys, loader), {})


def load_yaml(path: str | Path, *, what: str, loader: type[yaml.SafeLoader] = yaml.SafeLoader) -> Any:
    """Parse a YAML (or JSON) file; a syntax error becomes one line naming the line and column.

    A key given twice in one mapping (at any level) stops, naming the key and both lines:
    YAML would keep the last value and drop the first without a word.

    Parameters
    ----------
    path
        The file (plain or gzip-compressed, see :func:`read_text_file`).
    what
        Its role, named in messages ("params file", "contrasts file").
    loader
        A :class:`yaml.SafeLoader` (sub)class to parse with.

    Returns
    -------
    The document (None when it is empty).
    """
    text = read_text_file(path, what=what)
    try:
        return yaml.load(text, Loader=_unique_loader(loader))  # noqa: S506 - a SafeLoader
    except DuplicateKeyError as err:
        key = str(err.key)
        fix = ("Merge the two lists into one 'contrasts:' list." if key == "contrasts" else
               "Keep one of them.")
        raise InputError(f"the key is given twice (lines {err.first_line} and {err.line}) in "
                         "the same mapping; YAML would keep only the last value and drop the "
                         "first without a word.", path=path, where=f"line {err.line}, key {key!r}",
                         fix=fix) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else None
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        context = getattr(err, "context", None)
        detail = f"{context}, {problem}" if context else problem
        raise InputError(f"not valid YAML ({detail}).", path=path, where=where,
                         fix="Fix the syntax there (indentation, quotes, ':' after each key).") from None
