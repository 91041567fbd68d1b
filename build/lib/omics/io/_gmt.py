"""GMT gene-set files."""

from __future__ import annotations

from pathlib import Path

from .._errors import InputError
from ._tables import check_file


def read_gmt(path: str | Path) -> dict[str, list[str]]:
    """Read a GMT file (``name<TAB>description<TAB>gene...`` per line).

    Parameters
    ----------
    path
        GMT file, e.g. an MSigDB download or ``metadata/genesets/go_angiogenesis.gmt``.

    Returns
    -------
    Mapping of set name to its unique genes, in file order.
    """
    path = check_file(path)
    sets: dict[str, list[str]] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.rstrip("\n").split("\t")
        if len(fields) < 3:
            raise InputError(
                f"line {number} has {len(fields)} tab-separated field(s); a GMT line is "
                "name<TAB>description<TAB>gene1<TAB>gene2...",
                path=path,
            )
        name = fields[0].strip()
        if name in sets:
            raise InputError(f"gene set {name!r} appears twice (line {number}); names must be "
                             "unique.", path=path)
        sets[name] = list(dict.fromkeys(g.strip() for g in fields[2:] if g.strip()))
    if not sets:
        raise InputError("no gene sets found.", path=path)
    return sets


def write_gmt(gene_sets: dict[str, list[str]], path: str | Path, *, description: str = "") -> None:
    """Write gene sets as GMT."""
    lines = [f"{name}\t{description}\t" + "\t".join(genes) for name, genes in gene_sets.items()]
    Path(path).write_text("\n".join(lines) + "\n")
