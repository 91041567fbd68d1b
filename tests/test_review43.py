"""Mends of the h43 review (/tmp/notes/h43_review.md) in files the fix helpers did not own."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

from omics.io import read_samplesheet
from omics.params import resolve
from omics.stages._flow import fcs_files
from omics.stages._validate import check_inputs

DEMO = Path(__file__).resolve().parents[1] / "metadata" / "demo"


def test_a_panel_of_qpcr_targets_is_matched_as_enrichment_matches_it(tmp_path):
    """Review #1: qPCR targets are their own gene names (gene_name = id), and enrichment and
    scores match set genes with them; the input check does not stop such a panel because
    the protein matrix (with symbols) has none of its genes."""
    samples = pd.read_csv(DEMO / "samplesheet.csv")["sample"].tolist()
    targets = [f"TGT{i:02d}" for i in range(12)]
    ct = pd.DataFrame(np.random.default_rng(0).normal(25, 1, (len(targets), len(samples))).round(2),
                      index=pd.Index(targets, name="target"), columns=samples)
    matrix = tmp_path / "ct.tsv"
    ct.to_csv(matrix, sep="\t")
    gmt = tmp_path / "panel.gmt"
    gmt.write_text("TARGETS\tx\t" + "\t".join(targets) + "\n")
    checked = check_inputs(input=DEMO / "samplesheet.csv", contrasts=DEMO / "contrasts.yaml",
                           params=resolve({"genesets": str(gmt), "rna_format": "qpcr",
                                           "qpcr_reference_genes": "TGT00,TGT01"}),
                           rna_matrix=matrix, protein_matrix=DEMO / "proteinGroups.txt.gz")
    assert checked.report["genesets"]["panel"] == 1


def test_an_fcs_file_named_in_the_other_unicode_form_on_disk_is_found(tmp_path):
    """Review #2: the sheet is read in NFC; a file copied from macOS has an NFD name."""
    name = "Zürich_P1.fcs"
    on_disk = tmp_path / unicodedata.normalize("NFD", name)
    on_disk.write_bytes(b"FCS3.1")
    sheet_path = tmp_path / "sheet.csv"
    sheet_path.write_text(f"sample,fcs\nP1,{unicodedata.normalize('NFD', name)}\n", encoding="utf-8")
    sheet = read_samplesheet(sheet_path)
    assert sheet.loc["P1", "fcs"] == unicodedata.normalize("NFC", name)  # read in NFC
    assert fcs_files(sheet, flow_fcs=None, base=tmp_path, sheet_path=sheet_path) == {"P1": on_disk}
