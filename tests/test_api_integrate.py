"""Integration in the MuData: ``omics.tl.<method>(mdata, ...)`` equals the table call and stores it.

``mrna_protein_correlation``, ``fold_change_concordance`` and ``pathway_evidence`` read
the modalities of the MuData of ``omics.tl.build_mudata`` (and the DE / GSEA results
stored in them), return exactly what the table-level call returns, store it in
``mdata.uns`` (surviving ``write_h5mu``), and ``omics.pl`` draws it from either.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # this test process only

import anndata as ad  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import mudata as md  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import omics  # noqa: E402
from omics._errors import InputError  # noqa: E402
from omics.tl import _integrate  # noqa: E402
from test_api_convention import _read_back  # noqa: E402

N_SAMPLES, N_GENES = 24, 60
CONTRAST = "response_in_bmmnc"


def _de(names: list[str], kind: str, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    stat = rng.normal(size=len(names)) * 2
    p = np.clip(np.exp(-np.abs(stat)), 1e-12, 1)
    columns = ("stat", "padj", "log2FoldChange") if kind == "rna" else ("t", "adj.P.Val", "logFC")
    return pd.DataFrame({"gene_name": names, columns[0]: stat, columns[1]: np.minimum(p * 3, 1),
                         columns[2]: stat / 3 + rng.normal(scale=0.1, size=len(names))})


def _gsea(terms: list[str], seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"term": terms, "nes": rng.normal(size=len(terms)) * 1.5,
                         "pvalue": rng.uniform(0.001, 1, len(terms)),
                         "fdr": rng.uniform(0.01, 1, len(terms))})


@pytest.fixture
def modalities() -> tuple[ad.AnnData, ad.AnnData]:
    rng = np.random.default_rng(0)
    samples = [f"S{i:02d}" for i in range(N_SAMPLES)]
    names = [f"GENE{i}" for i in range(N_GENES)]
    latent = rng.normal(size=(N_SAMPLES, N_GENES))
    obs = pd.DataFrame({"arm": ["bmmnc", "placebo"] * (N_SAMPLES // 2)}, index=samples)
    rna = ad.AnnData(X=latent + rng.normal(scale=0.5, size=latent.shape), obs=obs.copy(),
                     var=pd.DataFrame({"gene_name": names}, index=[f"ENSG{i:04d}" for i in range(N_GENES)]))
    rna.layers["vst"] = rna.X.copy()
    protein_x = latent[:, : N_GENES - 10] + rng.normal(scale=1.0, size=(N_SAMPLES, N_GENES - 10))
    protein_x[rng.random(protein_x.shape) < 0.1] = np.nan  # missing values, as in proteomics
    protein = ad.AnnData(X=protein_x, obs=obs.copy(),
                         var=pd.DataFrame({"gene_name": names[: N_GENES - 10]},
                                          index=[f"P{i:04d}" for i in range(N_GENES - 10)]))
    terms = [f"SET_{k}" for k in range(8)]
    rna.uns["deseq2"] = {CONTRAST: _de(names, "rna", 1)}
    protein.uns["limma"] = {CONTRAST: _de(names[: N_GENES - 10], "protein", 2)}
    rna.uns["gsea"] = {CONTRAST: _gsea(terms, 3)}
    protein.uns["gsea"] = {CONTRAST: _gsea(terms[:6], 4)}
    return rna, protein


def test_mudata_calls_equal_table_calls_and_store_the_results(modalities, tmp_path):
    rna, protein = modalities
    mdata = omics.tl.build_mudata(rna, protein)

    correlation = omics.tl.mrna_protein_correlation(mdata)
    expected = _integrate.mrna_protein_correlation(mdata["rna"], mdata["protein"])
    pd.testing.assert_frame_equal(correlation, expected)
    assert correlation["spearman_rho"].notna().sum() == N_GENES - 10  # the genes in both
    pd.testing.assert_frame_equal(omics.tl.mrna_protein_correlation(rna, protein), expected)

    joined, summary = omics.tl.fold_change_concordance(mdata, fdr=0.1)
    joined_t, summary_t = _integrate.fold_change_concordance(rna.uns["deseq2"][CONTRAST],
                                                             protein.uns["limma"][CONTRAST], fdr=0.1)
    pd.testing.assert_frame_equal(joined, joined_t)
    assert summary == summary_t

    evidence = omics.tl.pathway_evidence(mdata, permutations=1000)
    evidence_t = _integrate.pathway_evidence({"rna": rna.uns["gsea"][CONTRAST],
                                              "protein": protein.uns["gsea"][CONTRAST]},
                                             permutations=1000)
    pd.testing.assert_frame_equal(evidence, evidence_t)

    path = tmp_path / "omics.h5mu"
    mdata.write(path)
    back = md.read_h5mu(path)
    pd.testing.assert_frame_equal(back.uns["mrna_protein_correlation"], correlation, check_dtype=False)
    pd.testing.assert_frame_equal(back.uns["concordance"][CONTRAST].reset_index(drop=True), joined,
                                  check_dtype=False)
    assert back.uns["concordance_summary"][CONTRAST]["n_genes"] == summary["n_genes"]
    settings = {"mrna_protein_correlation_params": {"rna_layer": "vst", "protein_layer": "X", "min_pairs": 6},
                "concordance_params": {CONTRAST: {"rna_de_key": "deseq2", "protein_de_key": "limma",
                                                  "fdr": 0.1}},
                "pathway_evidence_params": {CONTRAST: {"gsea_key": "gsea", "permutations": 1000,
                                                       "modalities": ["rna", "protein"]}}}
    for key, value in settings.items():
        assert mdata.uns[key] == value, key
        assert _read_back(back.uns[key]) == value, key
    pd.testing.assert_frame_equal(back.uns["pathway_evidence"][CONTRAST].reset_index(drop=True),
                                  evidence.reset_index(drop=True), check_dtype=False)


def test_plots_draw_the_same_from_the_table_and_the_mudata(modalities):
    mdata = omics.tl.build_mudata(*modalities)
    correlation = omics.tl.mrna_protein_correlation(mdata)
    joined, _ = omics.tl.fold_change_concordance(mdata)
    for draw, table in ((omics.pl.correlation_distribution, correlation),
                        (omics.pl.concordance, joined)):
        from_table, from_mudata = draw(table), draw(mdata)
        assert [p.get_height() for p in from_table.patches] == [p.get_height() for p in from_mudata.patches]
        assert [c.get_offsets().tolist() for c in from_table.collections] == \
            [c.get_offsets().tolist() for c in from_mudata.collections]
    assert omics.pl.concordance(mdata).get_title().startswith(CONTRAST)  # titled by its contrast
    plt.close("all")


def test_missing_inputs_name_the_step_that_makes_them(modalities):
    rna, protein = modalities
    del protein.uns["limma"]
    mdata = omics.tl.build_mudata(rna, protein)
    with pytest.raises(InputError, match=r"omics.tl.deseq2\(adata, contrast\)"):
        omics.tl.fold_change_concordance(mdata)
    with pytest.raises(InputError, match=r"omics.tl.mrna_protein_correlation\(mdata\)"):
        omics.pl.correlation_distribution(mdata)
    with pytest.raises(InputError, match="no 'protein' modality"):
        omics.tl.mrna_protein_correlation(omics.tl.build_mudata(rna, None))
    with pytest.raises(InputError, match="protein_de is not a differential table"):
        omics.tl.fold_change_concordance(rna.uns["deseq2"][CONTRAST])
