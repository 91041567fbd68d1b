"""The user-facing RNA path (reader, filter, design from the contrasts file, DESeq2) on the
bundled simulated BALI cohort against R DESeq2 1.38 (design ~ arm + response)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import omics.tl._deseq2 as deseq2_module
from helpers import REPO, TEST_COHORT
from omics.io import match_samples, read_contrasts, read_rna_counts, read_samplesheet
from omics.pp import filter_low_counts
from omics.tl import deseq2

FIXTURE = REPO / "tests/data/deseq2/bali_test_cohort_arm_response.deseq2.tsv"


def check_results_match_r(ours: pd.DataFrame, ref: pd.DataFrame) -> None:
    """Assert a DESeq2 results table (indexed by gene) equals R's on this cohort.

    Measured (40 samples, 2,414 genes; the MAD prior-variance path, deterministic):
    baseMean 4e-16 relative, log2FoldChange 1.1e-6 and stat 3.3e-6 absolute, lfcSE
    1.3e-7 and pvalue / padj 7.4e-6 relative, no NA mismatch. Tolerances are ~10-100x.
    """
    assert list(ours.index) == list(ref.index)
    r = np.corrcoef(ours["log2FoldChange"], ref["log2FoldChange"])[0, 1]
    assert r >= 0.999
    np.testing.assert_allclose(ours["baseMean"], ref["baseMean"], rtol=1e-10)
    np.testing.assert_allclose(ours["log2FoldChange"], ref["log2FoldChange"], rtol=0, atol=1e-5)
    np.testing.assert_allclose(ours["lfcSE"], ref["lfcSE"], rtol=1e-5)
    np.testing.assert_allclose(ours["stat"], ref["stat"], rtol=0, atol=1e-4)
    # NA pattern (Cook's outliers, independent filtering) exactly R's; values relative
    for column in ("pvalue", "padj"):
        assert ours[column].isna().equals(ref[column].isna()), column
        tested = ref[column].notna()
        np.testing.assert_allclose(ours.loc[tested, column], ref.loc[tested, column], rtol=1e-4,
                                   atol=0, err_msg=column)
    ours_hits = set(ours.index[ours["padj"] < 0.05])
    ref_hits = set(ref.index[ref["padj"] < 0.05])
    assert len(ref_hits) > 10
    assert ours_hits == ref_hits  # the README: the padj < 0.05 sets are identical


def test_bali_cohort_matches_r_deseq2(monkeypatch: pytest.MonkeyPatch) -> None:
    fits = []
    fit = deseq2_module.deseq2_fit

    def keep_fit(*args, **kwargs):
        fits.append(fit(*args, **kwargs))
        return fits[-1]

    monkeypatch.setattr(deseq2_module, "deseq2_fit", keep_fit)  # tl.deseq2 imports it per call
    sheet = read_samplesheet(TEST_COHORT / "samplesheet.csv")
    counts_path = TEST_COHORT / "salmon.merged.gene_counts.tsv"
    adata = match_samples(read_rna_counts(counts_path), sheet, matrix_path=counts_path)
    adata = filter_low_counts(adata, min_count=10, min_samples=7)
    contrast = {c.id: c for c in read_contrasts(TEST_COHORT / "contrasts.yaml")}["response_arm_adjusted"]
    table = deseq2(adata, contrast)
    # kept in the AnnData (scanpy style), as a copy the caller's edits do not reach
    pd.testing.assert_frame_equal(adata.uns["deseq2"]["response_arm_adjusted"], table)
    ref = pd.read_csv(FIXTURE, sep="\t", index_col="gene_id")
    check_results_match_r(table.set_index("gene_id"), ref)

    # size factors and the dispersion prior (40 samples: the deterministic MAD path)
    (dds,) = fits
    size_factors = pd.read_csv(f"{FIXTURE}.sizefactors.tsv", sep="\t", index_col=0)["size_factor"]
    np.testing.assert_allclose(dds.obs["size_factors"].loc[size_factors.index], size_factors,
                               rtol=1e-10)
    params = pd.read_csv(f"{FIXTURE}.params.tsv", sep="\t", index_col=0)["value"]
    assert dds.uns["dispersion_prior_method"] == "mad"
    # measured 1.1e-8 and 9.6e-9 relative (the MAD of the log residuals)
    for ours, name in ((dds.uns["prior_disp_var"], "dispPriorVar"),
                       (dds.uns["_squared_logres"], "varLogDispEsts")):
        assert float(ours) == pytest.approx(float(params[name]), rel=1e-6), name
