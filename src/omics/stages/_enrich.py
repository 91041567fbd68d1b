"""Stage ``enrich``: GSEA prerank and ORA for one differential table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .._errors import InputError
from .._logging import get_logger, labelled
from ..io import write_tsv
from ..tl import DE_COLUMNS, enrichment
from ._common import gene_set_collections, parse_de_results_name, stage_output
from ._panel import check_panel_symbols, panel_names

log = get_logger("enrich")
#: Loggers of the enrichment of one table: their lines name its contrast and modality, since
#: ``omics run`` runs the enrich tasks side by side (``arm_x_response rna: gsea_prerank: ...``).
_TABLE_LOGGERS = ("tl.enrichment", "tl.gsea", "tl.ora")
_METHOD_NAMES = {"deseq2": "DESeq2", "limma": "limma"}


def _check_columns(table: pd.DataFrame, path: str | Path, method: str) -> None:
    """Stop unless the table has ``gene_name`` and the columns of the ``method`` its name says.

    A table of the other method (a limma table named ``*.deseq2.results.tsv``) stops: its
    name would label the enrichment tables with a method, and possibly a modality, it was
    not computed with.
    """
    if "gene_name" not in table.columns:
        ids = (" (gene_id holds ids, not the symbols the gene sets use)"
               if "gene_id" in table.columns else "")
        raise InputError(f"the table has no 'gene_name' column{ids}; its columns are "
                         f"{', '.join(map(str, table.columns[:10]))}"
                         f"{', ...' if len(table.columns) > 10 else ''}.", path=path,
                         fix="Add a gene_name column of gene symbols (as 'omics de' writes it).")
    needed = DE_COLUMNS[method]
    if needed[0] not in table.columns:
        other = next((m for m, columns in DE_COLUMNS.items()
                      if m != method and columns[0] in table.columns), None)
        if other is not None:
            raise InputError(
                f"the file name says a {_METHOD_NAMES[method]} table (.{method}.results.tsv) but it "
                f"has the columns of a {_METHOD_NAMES[other]} table ({', '.join(DE_COLUMNS[other])}"
                f"; no {needed[0]!r}).", path=path,
                fix="Give the table 'omics de' wrote, or name the file after the modality and "
                    f"method it was computed with (<contrast>.<modality>.{other}.results.tsv).")
        raise InputError("the table has neither a 'stat' (DESeq2) nor a 't' (limma) column to rank "
                         f"genes by; its columns are {', '.join(map(str, table.columns[:10]))}"
                         f"{', ...' if len(table.columns) > 10 else ''}.", path=path,
                         fix="Give a DESeq2 or limma results table as 'omics de' writes it.")
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise InputError(f"the table has no {', '.join(map(repr, missing))} column (a "
                         f"{_METHOD_NAMES[method]} table has "
                         f"{', '.join(needed)}).", path=path,
                         fix="Give a DESeq2 or limma results table as 'omics de' writes it.")


def enrich(*, de_results: str | Path, outdir: str | Path, params: dict) -> dict[str, Path]:
    """Write ``enrichment/<contrast>.<modality>.gsea.tsv`` and ``.ora.tsv``.

    The panel (angiogenesis sets by default) is tested together with the background
    collection (GO BP) so that its FDR carries the burden of every set tested; the
    ``collection`` column says which is which. ORA tests up- and down-regulated features
    (adjusted p < ``de_fdr``) against all tested features.
    """
    if not Path(de_results).is_file():
        raise InputError("{--de_results}: file not found.", path=de_results,
                         fix="Give a table written by 'omics de'.")
    contrast_id, modality, method = parse_de_results_name(de_results)
    if modality == "flow":  # populations, not genes: no gene set to test ('omics run' does not)
        raise InputError("flow populations are not enriched: GSEA and ORA test gene sets, and "
                         "'omics run' enriches the rna and protein tables only.", path=de_results,
                         fix="Give a <contrast>.rna.<method>.results.tsv or "
                             "<contrast>.protein.limma.results.tsv table of 'omics de'.")
    table = pd.read_csv(de_results, sep="\t", keep_default_na=False, na_values=["NA", ""])
    _check_columns(table, de_results, method)
    table["gene_name"] = table["gene_name"].fillna("").astype(str)
    panel, background = gene_set_collections(params.get("genesets"), params.get("background_genesets"))
    # a --genesets panel without a gene of this table: said loudly (the input check of 'omics
    # run' stops only when no modality has a panel gene; another table may have them)
    ids = table.iloc[:, 0] if table.columns[0] != "gene_name" else table["gene_name"]
    try:
        check_panel_symbols(panel, {modality: panel_names(ids, table["gene_name"], de_results)},
                            params.get("genesets"))
    except InputError as error:
        log.warning("%s The GSEA and ORA tables of this table are header-only.",
                    error.render(flag=lambda n: f"--{n}"))
    log.info("GSEA %s %s: panel of %d sets, background of %d, %d permutations", contrast_id, modality,
             len(panel), len(background), params["gsea_permutations"])
    with labelled(f"{contrast_id} {modality}: ", _TABLE_LOGGERS):
        gsea, ora_table = enrichment(table, panel, background,
                                     permutations=params["gsea_permutations"], seed=params["seed"],
                                     min_size=params["gsea_min_size"],
                                     max_size=params["gsea_max_size"], fdr=params["de_fdr"])
    return {
        "gsea": write_tsv(gsea, stage_output(outdir, "enrich", "gsea", contrast=contrast_id,
                                             modality=modality)),
        "ora": write_tsv(ora_table, stage_output(outdir, "enrich", "ora", contrast=contrast_id,
                                                 modality=modality)),
    }
