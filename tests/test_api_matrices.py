"""omics.tl.deseq2 / limma and the RNA pre-processing on the matrices analysts pass in notebooks.

Sparse layers (AnnData from other tools), estimated (non-integer) counts, a contrast id
string, a MuData: each either works as the dense equivalent or stops with what to pass.
The tables returned are the caller's to edit: the copies in ``uns`` do not change.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import omics
from omics._errors import InputError

CONTRAST = "response_in_bmmnc"


@pytest.fixture(scope="module")
def cohort():
    demo = omics.datasets.demo_cohort()
    contrast = {c.id: c for c in demo.contrast_list()}[CONTRAST]
    rna = omics.pp.filter_low_counts(demo.rna(), min_count=10, min_samples=7)
    return demo, contrast, rna[:, :400].copy()


def test_sparse_counts_give_the_dense_results(cohort):
    _, contrast, rna = cohort
    sparse = rna.copy()
    sparse.layers["counts"] = sp.csr_matrix(rna.layers["counts"])
    dense = omics.tl.deseq2(rna.copy(), contrast)
    pd.testing.assert_frame_equal(omics.tl.deseq2(sparse, contrast), dense)
    kept = omics.pp.filter_low_counts(sparse, min_count=50, min_samples=10)
    assert list(kept.var_names) == list(omics.pp.filter_low_counts(rna, min_count=50,
                                                                   min_samples=10).var_names)
    omics.pp.normalize_deseq2(sparse, nsub=100)
    reference = rna.copy()
    omics.pp.normalize_deseq2(reference, nsub=100)
    np.testing.assert_array_equal(sparse.layers["vst"], reference.layers["vst"])


def test_estimated_counts_are_refused_not_floored(cohort):
    _, contrast, rna = cohort
    estimated = rna.copy()
    estimated.layers["counts"] = rna.layers["counts"] + 0.7
    sample, gene = estimated.obs_names[0], estimated.var_names[0]
    with pytest.raises(InputError, match=rf"layer 'counts' holds \d+\.7 for gene '{gene}' in sample "
                                         rf"'{sample}'; DESeq2 needs whole counts >= 0: round"):
        omics.tl.deseq2(estimated, contrast)
    with pytest.raises(InputError, match="no layer 'vst'"):
        omics.tl.deseq2(rna.copy(), contrast, layer="vst")


def test_a_contrast_id_or_a_mudata_is_refused_with_what_to_pass(cohort):
    demo, contrast, rna = cohort
    with pytest.raises(InputError, match="contrast must be an omics.io.Contrast"):
        omics.tl.deseq2(rna.copy(), CONTRAST)
    with pytest.raises(InputError, match="contrast must be an omics.io.Contrast"):
        omics.tl.limma(rna.copy(), CONTRAST)
    import mudata

    mdata = mudata.MuData({"rna": rna.copy()})
    with pytest.raises(InputError, match=r"pass one modality of the MuData \(e.g. mdata\['rna'\]\)"):
        omics.tl.deseq2(mdata, contrast)


def test_the_returned_table_is_a_copy_of_the_stored_one(cohort):
    _, contrast, rna = cohort
    data = rna.copy()
    table = omics.tl.deseq2(data, contrast)
    table["padj"] = 1.0
    assert (data.uns["deseq2"][CONTRAST]["padj"] < 1).any()
    protein = rna.copy()
    protein.X = np.log2(rna.layers["counts"] + 1.0)
    limma = omics.tl.limma(protein, contrast)
    limma["adj.P.Val"] = 1.0
    assert (protein.uns["limma"][CONTRAST]["adj.P.Val"] < 1).any()


def test_deseq2_alpha_is_the_independent_filtering_fdr(cohort):
    """alpha= goes to results(): the filter threshold is chosen for that FDR; p-values stay."""
    _, contrast, rna = cohort
    default = omics.tl.deseq2(rna.copy(), contrast)
    data = rna.copy()
    strict = omics.tl.deseq2(data, contrast, alpha=0.05)
    pd.testing.assert_series_equal(default["pvalue"], strict["pvalue"])
    assert (default["padj"].isna().sum(), strict["padj"].isna().sum()) == (0, 0)  # bmmnc: no filter
    assert data.uns["deseq2_params"][CONTRAST]["alpha"] == 0.05
    demo = omics.datasets.demo_cohort()
    adjusted = {c.id: c for c in demo.contrast_list()}["response_arm_adjusted"]
    filtered = [omics.tl.deseq2(rna.copy(), adjusted, alpha=a)["padj"].isna().sum() for a in (0.1, 0.05)]
    assert filtered == [0, 24]  # 400 genes: at 0.05 the filter removes 24 low-count genes
