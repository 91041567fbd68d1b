"""Mends of the h43 review (/tmp/notes/h43_review.md) in files the fix helpers did not own."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

from helpers import qpcr_target_panel, raises_one_line
from omics.io import read_samplesheet
from omics.params import resolve
from omics.stages._flow import fcs_files
from omics.stages._validate import check_inputs

DEMO = Path(__file__).resolve().parents[1] / "metadata" / "demo"


def test_a_panel_of_qpcr_targets_is_matched_as_enrichment_matches_it(tmp_path):
    """Review #1: qPCR targets are their own gene names (gene_name = id), and enrichment and
    scores match set genes with them; the input check does not stop such a panel because
    the protein matrix (with symbols) has none of its genes."""
    matrix, gmt = qpcr_target_panel(tmp_path)
    checked = check_inputs(input=DEMO / "samplesheet.csv", contrasts=DEMO / "contrasts.yaml",
                           params=resolve({"genesets": str(gmt), "rna_format": "qpcr",
                                           "qpcr_reference_genes": "TGT00,TGT01"}),
                           rna_matrix=matrix, protein_matrix=DEMO / "proteinGroups.txt.gz")
    assert checked.report["genesets"]["panel"] == 1


def _demo_counts() -> pd.DataFrame:
    return pd.read_csv(DEMO / "salmon.merged.gene_counts.tsv.gz", sep="\t")


def _check_panel(tmp_path, counts: pd.DataFrame, genes: list[str]) -> None:
    matrix = tmp_path / "counts.tsv"
    counts.to_csv(matrix, sep="\t", index=False)
    gmt = tmp_path / "panel.gmt"
    gmt.write_text("P\tx\t" + "\t".join(genes) + "\n")
    check_inputs(input=DEMO / "samplesheet.csv", contrasts=DEMO / "contrasts.yaml",
                 params=resolve({"genesets": str(gmt)}), rna_counts=matrix)


def test_a_panel_of_ids_matching_only_unnamed_genes_of_a_symbol_matrix_stops(tmp_path):
    """Review 2 B: in a matrix with symbols, the few genes left without one (gene_name =
    id) do not make a panel of Ensembl ids pass: it could never reach gsea_min_size."""
    counts = _demo_counts()
    unmapped = [f"ENSG9999999999{i}" for i in range(3)]  # not in the shipped id map
    counts.loc[:2, "gene_id"] = unmapped
    counts.loc[:2, "gene_name"] = unmapped
    raises_one_line(lambda: _check_panel(tmp_path, counts, counts["gene_id"].iloc[:30].tolist()),
                    "panel.gmt", "not Ensembl ids")


def test_a_matrix_without_symbols_is_named_as_such(tmp_path):
    """Review 2 A: counts of Ensembl ids only, a panel of symbols: the fix names the matrix's
    missing symbols, not the panel's (it is of symbols)."""
    counts = _demo_counts().drop(columns="gene_name")
    counts["gene_id"] = [f"ENSMUSG{i:011d}" for i in range(len(counts))]
    raises_one_line(lambda: _check_panel(tmp_path, counts, ["Vegfa", "Kdr", "Flt1"]),
                    "counts.tsv", "gene names, which here are its feature ids",
                    "ENSMUSG00000000000")


def test_the_fcs_column_names_files_byte_for_byte(tmp_path):
    """Review #2: sheet text is read in NFC, but the ``fcs`` column is kept as written: a
    file copied from macOS has an NFD name, and the sheet names it with the same bytes."""
    nfd = unicodedata.normalize("NFD", "Zürich_P1.fcs")
    on_disk = tmp_path / nfd
    on_disk.write_bytes(b"FCS3.1")
    sheet_path = tmp_path / "sheet.csv"
    sheet_path.write_text(f"sample,fcs,site\nP1,{nfd},{unicodedata.normalize('NFD', 'Zürich')}\n",
                          encoding="utf-8")
    sheet = read_samplesheet(sheet_path)
    assert sheet.loc["P1", "fcs"] == nfd  # as written
    assert sheet.loc["P1", "site"] == "Zürich" == unicodedata.normalize("NFC", "Zürich")
    assert fcs_files(sheet, flow_fcs=None, base=tmp_path, sheet_path=sheet_path) == {"P1": on_disk}


def test_a_plus_column_also_flags_unambiguous_true_spellings(caplog):
    """Review 2 D: two exports concatenated: '+' rows and 'TRUE' rows are both flagged; a
    value that is neither a flag nor a clear 'not flagged' warns."""
    import logging

    from omics.io._protein import _flagged

    values = pd.Series(["+", "TRUE", "", "x", "NA", "maybe", "1.0", "0.0"])
    with caplog.at_level(logging.WARNING, logger="omics"):
        flagged = _flagged(values, "Reverse", Path("proteinGroups.txt"))
    assert flagged.tolist() == [True, True, False, True, False, False, True, False]
    assert any("'maybe'" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)


def test_a_perseus_export_with_annotation_rows_reads_like_the_maxquant_table(tmp_path):
    """Review 3: a Perseus export (log2 values, 'NaN' for missing, a '#!{Type}' row after the
    header) reads with is_log2 as MaxQuant's own table does, instead of stopping on 'E'."""
    from omics.io import read_protein_matrix

    table = pd.read_csv(DEMO / "proteinGroups.txt.gz", sep="\t", dtype=str, keep_default_na=False)
    lfq = [c for c in table if c.startswith("LFQ intensity ")]
    for column in lfq:
        linear = table[column].astype(float)
        table[column] = [f"{v:.6f}" for v in np.log2(linear.where(linear > 0))]
    types = ["E" if c in lfq else "T" for c in table]
    types[0] = "#!{Type}" + types[0]
    path = tmp_path / "perseus.txt"
    with path.open("w", encoding="utf-8") as out:
        out.write("\t".join(table.columns) + "\n" + "\t".join(types) + "\n")
        table.to_csv(out, sep="\t", index=False, header=False)
    perseus = read_protein_matrix(path, fmt="maxquant", is_log2=True)
    maxquant = read_protein_matrix(DEMO / "proteinGroups.txt.gz", fmt="maxquant")
    assert perseus.var_names.tolist() == maxquant.var_names.tolist()
    assert perseus.uns["protein_input"]["removed"] == maxquant.uns["protein_input"]["removed"]


def test_a_missing_value_spelling_is_no_gene_name():
    """Review 3: a 'Gene names' cell written 'NaN' (a table re-exported by pandas) is no
    symbol, not a gene called 'NaN'."""
    from omics.io._protein import _first_gene

    assert _first_gene(pd.Series(["VEGFA;VEGF", "NaN", "NA", "", None, "KDR"])).tolist() == [
        "VEGFA", "", "", "", "", "KDR"]
