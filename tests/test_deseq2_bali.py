"""The user-facing RNA path (reader, filter, design from the contrasts file, DESeq2) on the
bundled simulated BALI cohort against R DESeq2 1.38 (design ~ arm + response)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers import REPO, TEST_COHORT
from omics.io import match_samples, read_contrasts, read_rna_counts, read_samplesheet
from omics.pp import filter_low_counts
from omics.tl import deseq2

FIXTURE = REPO / "tests/data/deseq2/bali_test_cohort_arm_response.deseq2.tsv"


def test_bali_cohort_matches_r_deseq2():
    sheet = read_samplesheet(TEST_COHORT / "samplesheet.csv")
    counts_path = TEST_COHORT / "salmon.merged.gene_counts.tsv"
    adata = match_samples(read_rna_counts(counts_path), sheet, matrix_path=counts_path)
    adata = filter_low_counts(adata, min_count=10, min_samples=7)
    contrast = {c.id: c for c in read_contrasts(TEST_COHORT / "contrasts.yaml")}["response_arm_adjusted"]
    table = deseq2(adata, contrast)
    # kept in the AnnData (scanpy style), as a copy the caller's edits do not reach
    pd.testing.assert_frame_equal(adata.uns["deseq2"]["response_arm_adjusted"], table)
    ours = table.set_index("gene_id")
    ref = pd.read_csv(FIXTURE, sep="\t", index_col="gene_id")
    assert list(ours.index) == list(ref.index)
    r = np.corrcoef(ours["log2FoldChange"], ref["log2FoldChange"])[0, 1]
    assert r >= 0.999
    np.testing.assert_allclose(ours["baseMean"], ref["baseMean"], rtol=1e-8)
    np.testing.assert_allclose(ours["log2FoldChange"], ref["log2FoldChange"], atol=1e-4)
    ours_hits = set(ours.index[ours["padj"] < 0.05])
    ref_hits = set(ref.index[ref["padj"] < 0.05])
    assert len(ref_hits) > 10
    assert len(ours_hits & ref_hits) / len(ours_hits | ref_hits) >= 0.95
    assert (ours["padj"].isna() == ref["padj"].isna()).mean() >= 0.99
