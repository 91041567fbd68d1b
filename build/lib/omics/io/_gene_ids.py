"""Gene symbols for matrices that carry only Ensembl gene ids or UniProt accessions.

Enrichment and scores work on gene symbols. A count matrix with only ``ENSG...`` ids or
a protein matrix with only UniProt accessions gets its missing symbols from the shipped
human identifier map ``metadata/human_gene_ids.tsv`` (Bioconductor ``org.Hs.eg.db``;
provenance beside it). Ids the map does not know (other species, retired ids) keep an
empty symbol. An id that the map links to several genes takes the gene with the lowest
Entrez id, so the result is deterministic.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

import pandas as pd

from .._logging import get_logger
from .._resources import metadata_path

log = get_logger("io")

_ENSEMBL_HUMAN = re.compile(r"^ENSG\d{11}(\.\d+)?$")
_UNIPROT = re.compile(r"^([OPQ][0-9][A-Z0-9]{3}[0-9]|[A-NR-Z][0-9]([A-Z][A-Z0-9]{2}[0-9]){1,2})(-\d+)?$")


@cache
def _maps() -> tuple[dict[str, str], dict[str, str]]:
    table = pd.read_csv(metadata_path("human_gene_ids.tsv"), sep="\t", dtype=str,
                        keep_default_na=False)
    table = table.assign(entrez=pd.to_numeric(table["entrez_id"])).sort_values("entrez", kind="stable")
    ensembl: dict[str, str] = {}
    uniprot: dict[str, str] = {}
    for symbol, ensembl_ids, uniprot_ids in zip(table["symbol"], table["ensembl_gene_ids"],
                                                table["uniprot_ids"], strict=True):
        for key in filter(None, ensembl_ids.split(";")):
            ensembl.setdefault(key, symbol)
        for key in filter(None, uniprot_ids.split(";")):
            uniprot.setdefault(key, symbol)
    return ensembl, uniprot


def _mappable(feature_id: str) -> bool:
    return any(_ENSEMBL_HUMAN.match(p.strip()) or _UNIPROT.match(p.strip()) for p in feature_id.split(";"))


def _symbol(feature_id: str, ensembl: dict[str, str], uniprot: dict[str, str]) -> str:
    for part in str(feature_id).split(";"):  # protein groups: "P1;P2"
        part = part.strip()
        if _ENSEMBL_HUMAN.match(part):
            found = ensembl.get(part.split(".")[0], "")
        elif _UNIPROT.match(part):
            found = uniprot.get(part.split("-")[0], "")
        else:
            found = ""
        if found:
            return found
    return ""


def fill_gene_names(ids: Sequence[str], names: Sequence[str], *, what: str) -> list[str]:
    """Return ``names`` with empty (or id-valued) entries filled from human id maps.

    Parameters
    ----------
    ids
        Feature ids: Ensembl human gene ids (``ENSG...``, optionally versioned) or UniProt
        accessions (a protein group ``P1;P2`` uses its first mapped accession).
    names
        Gene symbols as read; ``""`` or the id itself means unknown.
    what
        Named in the log line (e.g. the file name).

    Returns
    -------
    The symbols; unknown ids keep ``""`` (or their original name).
    """
    names = [str(n) for n in names]
    todo = [i for i, (fid, name) in enumerate(zip(ids, names, strict=True))
            if (not name or name == str(fid)) and _mappable(str(fid))]
    if not todo:
        return names
    ensembl, uniprot = _maps()
    filled = 0
    for i in todo:
        symbol = _symbol(ids[i], ensembl, uniprot)
        if symbol:
            names[i] = symbol
            filled += 1
    log.info("%s: %d of %d feature ids without a gene symbol mapped to human symbols "
             "(metadata/human_gene_ids.tsv)", what, filled, len(todo))
    return names
