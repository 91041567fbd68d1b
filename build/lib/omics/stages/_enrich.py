"""Stage ``enrich``: GSEA prerank and ORA for one differential table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .._logging import get_logger
from ..io import write_tsv
from ..tl._genesets import NO_LIMIT as _NO_LIMIT
from ..tl._genesets import testable_sets
from ..tl._gsea import gsea_prerank
from ..tl._ora import ora
from ..tl._ranking import gene_statistic, significant_genes
from ._common import gene_set_collections, out_path, parse_de_results_name

log = get_logger("enrich")


def enrich(*, de_results: str | Path, outdir: str | Path, params: dict) -> dict[str, Path]:
    """Write ``enrichment/<contrast>.<modality>.gsea.tsv`` and ``.ora.tsv``.

    The panel (angiogenesis sets by default) is tested together with the background
    collection (GO BP) so that its FDR carries the burden of every set tested; the
    ``collection`` column says which is which. ORA tests up- and down-regulated features
    (adjusted p < ``de_fdr``) against all tested features.
    """
    contrast_id, modality = parse_de_results_name(de_results)
    table = pd.read_csv(de_results, sep="\t", keep_default_na=False, na_values=["NA", ""])
    table["gene_name"] = table["gene_name"].fillna("").astype(str)
    panel, background = gene_set_collections(params.get("genesets"), params.get("background_genesets"))
    ranking = gene_statistic(table, modality)
    gene_sets = testable_sets(panel, background, set(ranking.index), params["gsea_min_size"],
                              params["gsea_max_size"])
    log.info("GSEA %s %s: %d genes, %d sets, %d permutations", contrast_id, modality, len(ranking),
             len(gene_sets), params["gsea_permutations"])
    if len(ranking) < 2 or not gene_sets:
        # e.g. a proteus table or a TSV without gene names: nothing to map onto gene sets.
        log.warning("%s %s: %d gene symbols and no gene set with >= %d of them; writing empty "
                    "enrichment tables (the matrix needs gene names)", contrast_id, modality,
                    len(ranking), params["gsea_min_size"])
        empty = {"gsea": ["term", "collection", "size", "es", "nes", "pvalue", "fdr", "leading_edge"],
                 "ora": ["term", "direction", "collection", "size", "overlap", "expected",
                         "odds_ratio", "pvalue", "fdr", "genes"]}
        return {kind: write_tsv(pd.DataFrame(columns=columns), out_path(
            outdir, "enrichment", f"{contrast_id}.{modality}.{kind}.tsv"))
            for kind, columns in empty.items()}
    gsea = gsea_prerank(ranking, gene_sets, permutations=params["gsea_permutations"],
                        seed=params["seed"], min_size=1, max_size=_NO_LIMIT)
    gsea.insert(1, "collection", ["panel" if t in panel else "background" for t in gsea["term"]])
    up, down, universe = significant_genes(table, modality, fdr=params["de_fdr"])
    parts = []
    for direction, selected in (("up", up), ("down", down)):
        if not selected:
            log.info("ORA %s %s %s: no feature at FDR < %s", contrast_id, modality, direction,
                     params["de_fdr"])
            continue
        result = ora(selected, universe,
                     testable_sets(panel, background, set(universe), params["gsea_min_size"],
                                   params["gsea_max_size"]),
                     min_size=1, max_size=_NO_LIMIT)
        result.insert(1, "direction", direction)
        result.insert(2, "collection", ["panel" if t in panel else "background"
                                        for t in result["term"]])
        parts.append(result)
    ora_table = (pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["term", "direction", "collection", "size", "overlap", "expected", "odds_ratio",
                 "pvalue", "fdr", "genes"]))
    return {
        "gsea": write_tsv(gsea, out_path(outdir, "enrichment", f"{contrast_id}.{modality}.gsea.tsv")),
        "ora": write_tsv(ora_table, out_path(outdir, "enrichment", f"{contrast_id}.{modality}.ora.tsv")),
    }
