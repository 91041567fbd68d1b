"""The notebook chain on the shipped demo cohort with results kept in the AnnData.

``deseq2 -> gsea_prerank -> sample_scores -> response_model -> pl`` (and limma -> ora on
the proteins), each step reading what the previous one stored; the same tables as the
table-level calls, and the same figures after a ``write_h5ad`` round trip.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # this test process only

import anndata as ad  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import omics  # noqa: E402
from test_api_convention import _fingerprint  # noqa: E402

CONTRAST = "response_in_bmmnc"


@pytest.mark.slow
def test_demo_chain_keeps_results_in_the_anndata(tmp_path):
    demo = omics.datasets.demo_cohort()
    contrasts = {c.id: c for c in demo.contrast_list()}
    panel = omics.datasets.genesets("go_angiogenesis")

    rna = omics.pp.filter_low_counts(demo.rna(), min_count=10, min_samples=7)
    omics.pp.normalize_deseq2(rna)
    de = omics.tl.deseq2(rna, contrasts[CONTRAST])
    assert list(rna.uns["deseq2"]) == [CONTRAST]

    kw = {"permutations": 200, "seed": 1, "min_size": 5, "max_size": omics.tl.NO_LIMIT}
    gsea = omics.tl.gsea_prerank(rna, panel, **kw)
    pd.testing.assert_frame_equal(gsea, omics.tl.gsea_prerank(omics.tl.gene_statistic(de), panel, **kw))
    assert set(gsea["term"]) == set(panel)  # every panel set has >= 5 of the demo's genes
    pd.testing.assert_frame_equal(rna.uns["gsea"][CONTRAST], gsea)

    scores = omics.tl.sample_scores(rna, panel, layer="vst")
    by_gene = omics.tl.expression_by_gene(rna, "vst")
    pd.testing.assert_frame_equal(scores, omics.tl.sample_scores(by_gene, panel))
    assert scores.shape == (rna.n_obs, len(panel)) and list(rna.obsm["angio_scores"].columns) == list(panel)

    model = omics.tl.response_model(rna, repeats=5, seed=1)
    pd.testing.assert_frame_equal(model, omics.tl.response_model(scores, demo.obs(), repeats=5, seed=1))
    assert list(model["score"]) == list(panel)
    pd.testing.assert_frame_equal(rna.uns["response_model"], model)
    curves, logrank = omics.tl.kaplan_meier(rna)
    assert set(logrank["arm"]) == {"placebo", "bmmnc"}

    protein = demo.protein()
    omics.pp.log2_transform(protein)
    protein = omics.pp.filter_valid_values(protein, protein.obs["response"].astype(str), min_fraction=0.7,
                                           copy=True)
    omics.pp.normalize(protein, method="median")
    de_protein = omics.tl.limma(protein, contrasts[CONTRAST])
    ora = omics.tl.ora(protein, panel, fdr=0.25, min_size=3, max_size=omics.tl.NO_LIMIT)
    pd.testing.assert_frame_equal(ora, omics.tl.ora(de_protein, panel, fdr=0.25, min_size=3,
                                                    max_size=omics.tl.NO_LIMIT))
    pd.testing.assert_frame_equal(protein.uns["ora"][CONTRAST], ora)

    term = model.sort_values("p_interaction")["score"].iloc[0]
    draws = [lambda d: omics.pl.volcano(d), lambda d: omics.pl.enrichment_dots(d),
             lambda d: omics.pl.forest(d), lambda d: omics.pl.scores(d, term=term),
             lambda d: omics.pl.gsea_curve(d, panel[term])]
    fresh = [_fingerprint(draw(rna)) for draw in draws]
    km_fresh = [_fingerprint(a) for a in omics.pl.km(rna, term)]
    plt.close("all")
    path = tmp_path / "rna.h5ad"
    rna.write_h5ad(path)
    back = ad.read_h5ad(path)
    assert [_fingerprint(draw(back)) for draw in draws] == fresh
    assert [_fingerprint(a) for a in omics.pl.km(back, term)] == km_fresh
    assert _fingerprint(omics.pl.volcano(de)) == fresh[0]
    plt.close("all")
