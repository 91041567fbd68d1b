"""GMT gene-set files."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from .._errors import InputError
from .._logging import get_logger
from .._text import read_text_file

log = get_logger("io")


def read_gmt(path: str | Path) -> dict[str, list[str]]:
    """Read a GMT file (``name<TAB>description<TAB>gene...`` per line).

    Parameters
    ----------
    path
        GMT file, e.g. an MSigDB download or ``metadata/genesets/go_angiogenesis.gmt``.

    Returns
    -------
    Mapping of set name to its unique genes, in file order. A field in double quotes (a
    spreadsheet's tab-separated export) is read without them.

    A file whose second field is, on most lines, a gene of some set (a GMT written
    without the description column) is read as it is, with a logged warning: the first
    gene of every set would otherwise be lost without a word.

    Notes
    -----
    A file is parsed once per process while its size and modification time stay the
    same (every contrast reads the same GMTs); each call returns a fresh copy.
    """
    path = Path(path)
    try:
        stat = path.stat()
    except OSError:
        return {k: list(v) for k, v in _parse_gmt(path, None).items()}
    cached = _parse_gmt(path, (stat.st_size, stat.st_mtime_ns, stat.st_ino, stat.st_dev))
    return {name: list(genes) for name, genes in cached.items()}


@lru_cache(maxsize=16)
def _parse_gmt(path: Path, signature: tuple | None) -> dict[str, tuple[str, ...]]:
    """Parse a GMT file; ``signature`` (size, mtime, inode, device) keys the cache."""
    sets: dict[str, tuple[str, ...]] = {}
    descriptions: list[str] = []
    for number, line in enumerate(read_text_file(path, what="GMT file").splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.rstrip("\n").split("\t")
        if '"' in line:  # a spreadsheet's quoted fields ("AAMP", "a, b"): read without the quotes
            fields = [_unquoted(f) for f in fields]
        where = f"line {number}"
        if len(fields) < 3:
            raise InputError(
                f"the line has {len(fields)} tab-separated field(s); a GMT line is "
                "name<TAB>description<TAB>gene1<TAB>gene2...",
                path=path, where=where,
            )
        name = fields[0].strip()
        if not name:
            raise InputError("the gene set has no name (first field empty).", path=path,
                             where=where)
        if name in sets:
            raise InputError(f"gene set {name!r} appears twice; names must be unique.",
                             path=path, where=where)
        # str.strip and filter in C: the GO BP background has ~460,000 gene fields
        genes = list(dict.fromkeys(filter(None, map(str.strip, fields[2:]))))
        if not genes:
            raise InputError(f"gene set {name!r} has no genes.", path=path, where=where,
                             fix="Add its genes (tab-separated after the description) or "
                             "remove the line.")
        sets[name] = tuple(genes)
        descriptions.append(fields[1].strip())
    if not sets:
        raise InputError("no gene sets found.", path=path)
    _warn_no_description(path, sets, descriptions)
    return sets


def _unquoted(field: str) -> str:
    """Return ``field`` without one pair of surrounding double quotes (``""`` inside read as ``"``).

    Spreadsheets saving tab-separated text quote a field holding a comma or a quote; the
    quotes are not part of the gene or set name.
    """
    text = field.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1].replace('""', '"')
    return field


def _warn_no_description(path: Path, sets: dict[str, tuple[str, ...]], descriptions: list[str]) -> None:
    """Warn when most lines' second field is a gene of some set: a GMT without its description column.

    ``NAME<TAB>GENE1<TAB>GENE2...`` would lose the first gene of every set (read as the
    description). Judged only with two or more sets; the file is read as it is.
    """
    if len(sets) < 2:
        return
    genes = {g for members in sets.values() for g in members}
    looks_like_gene = [d for d in descriptions if d in genes]
    if len(looks_like_gene) * 2 > len(descriptions):
        log.warning("%s: the second field of %d of %d lines is a gene of a set (e.g. %r); a GMT line "
                    "is name<TAB>description<TAB>gene1...: if the file has no description column, "
                    "the first gene of every set is read as its description and left out",
                    path, len(looks_like_gene), len(descriptions), looks_like_gene[0])


def write_gmt(gene_sets: dict[str, list[str]], path: str | Path, *, description: str = "") -> None:
    """Write gene sets as GMT: one line per set, ``name<TAB>description<TAB>gene...``.

    Parameters
    ----------
    gene_sets
        Set name -> member genes, written in this order.
    path
        The GMT file to write (replaced when it exists).
    description
        The description column of every line (``""`` by default; :func:`read_gmt` ignores it).

    Returns
    -------
    None
    """
    lines = [f"{name}\t{description}\t" + "\t".join(genes) for name, genes in gene_sets.items()]
    Path(path).write_text("\n".join(lines) + "\n")
