"""Real proteomics data (PXD043349, nf-core test data) through `omics run` against R limma."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import NFCORE, REPO, require_shared, run_omics

MAXQUANT = NFCORE / "proteomics" / "maxquant"
CASES = {  # our contrast id -> R limma fixture (same design, no filtering or normalisation)
    "genotype_celltype_t1_t2": "maxquant_celltype_T2_vs_T1",
    "genotype_celltype_t1_MZ_fakeBatch": "maxquant_celltype_MZ_vs_T1_fakeBatch",
}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    require_shared()
    outdir = tmp_path_factory.mktemp("pxd") / "results"
    run = run_omics("run",
                    "--input", str(MAXQUANT / "MaxQuant_samplesheet.tsv"), "--sample_id_col", "Experiment",
                    "--contrasts", str(MAXQUANT / "MaxQuant_contrasts.csv"),
                    "--protein_matrix", str(MAXQUANT / "proteus.raw_MaxQuant_proteingroups_tab.tsv"),
                    "--protein_format", "proteus", "--protein_normalization", "none",
                    "--protein_imputation", "none", "--protein_min_valid_fraction", "0",
                    "--gsea_permutations", "100", "--outdir", str(outdir))
    assert run.returncode == 0, run.stderr[-3000:]
    return outdir


@pytest.mark.slow
@pytest.mark.parametrize("contrast", sorted(CASES))
def test_pxd043349_matches_r_limma(results, contrast):
    ours = pd.read_csv(results / "differential" / f"{contrast}.protein.limma.results.tsv", sep="\t",
                       index_col="feature_id")
    ref = pd.read_csv(REPO / "tests/data/limma" / f"{CASES[contrast]}.limma.tsv.gz", sep="\t")
    ref = ref.set_index(ref.columns[0])
    common = ours.index.intersection(ref.index)
    assert len(common) == len(ref) == len(ours)
    ours, ref = ours.loc[common], ref.loc[common]
    ok = ref["t"].notna()
    assert (ours["t"].notna() == ok).all()
    for column in ("logFC", "t"):
        assert np.corrcoef(ours.loc[ok, column], ref.loc[ok, column])[0, 1] >= 0.999
        np.testing.assert_allclose(ours.loc[ok, column], ref.loc[ok, column], atol=1e-8)
    # relative (p down to 1e-13): measured 4.9e-10, the results file's 10 significant digits
    for column in ("P.Value", "adj.P.Val"):
        assert (ours[column].notna() == ok).all(), column
        np.testing.assert_allclose(ours.loc[ok, column], ref.loc[ok, column], rtol=1e-8, atol=0,
                                   err_msg=column)
    ours_hits = set(common[ok & (ours["adj.P.Val"] < 0.05)])
    ref_hits = set(common[ok & (ref["adj.P.Val"] < 0.05)])
    assert ref_hits and len(ours_hits & ref_hits) / len(ours_hits | ref_hits) >= 0.95


@pytest.mark.slow
def test_pxd043349_outputs_without_gene_names(results):
    # The proteus table has protein ids only: enrichment and scores are empty, not errors.
    assert (results / "report" / "index.html").is_file()
    gsea = pd.read_csv(results / "enrichment" / "genotype_celltype_t1_t2.protein.gsea.tsv", sep="\t")
    assert gsea.empty and "nes" in gsea.columns


def _eight_samples(tmp_path, *, n_proteins, seed):
    """A sample sheet of 8 samples (4 per arm) and log2 intensities of ``n_proteins`` proteins."""
    samples = [f"S{i}" for i in range(1, 9)]
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("sample,arm,response\n" + "".join(
        f"{s},{'bmmnc' if i < 4 else 'placebo'},{'responder' if i % 2 else 'non_responder'}\n"
        for i, s in enumerate(samples)))
    rng = np.random.default_rng(seed)
    values = pd.DataFrame(rng.normal(20, 1, (n_proteins, 8)), columns=samples,
                          index=pd.Index([f"P{i}" for i in range(n_proteins)], name="protein"))
    return sheet, values


@pytest.mark.slow
def test_contrast_without_testable_protein_stops_before_any_output(tmp_path):
    sheet, values = _eight_samples(tmp_path, n_proteins=30, seed=0)
    values.iloc[:, :4] = np.nan  # every BM-MNC sample is missing but one protein each
    for i in range(4):  # (a sample with no value at all stops earlier: test_protein_audit43)
        values.iloc[i, i] = 20.0
    matrix = tmp_path / "proteins.tsv"
    values.to_csv(matrix, sep="\t", na_rep="NA")
    contrasts = tmp_path / "contrasts.yaml"
    contrasts.write_text("contrasts:\n  - id: in_bmmnc\n"
                         "    comparison: [response, non_responder, responder]\n"
                         "    exclude_samples_col: arm\n    exclude_samples_values: [placebo]\n")
    outdir = tmp_path / "results"
    run = run_omics("run", "--input", str(sheet), "--contrasts", str(contrasts),
                    "--protein_matrix", str(matrix), "--protein_format", "tsv", "--protein_is_log2",
                    "--protein_min_valid_fraction", "0", "--outdir", str(outdir))
    assert run.returncode == 2, run.stderr[-2000:]
    assert "contrast 'in_bmmnc': no protein has more observed values among its 4 samples" in run.stderr
    assert "Traceback" not in run.stderr and not outdir.exists()


def _every_protein_misses_a_sample(tmp_path):
    sheet, values = _eight_samples(tmp_path, n_proteins=40, seed=1)
    for i in range(40):
        values.iloc[i, i % 8] = np.nan  # no protein is observed in all 8 samples
    matrix = tmp_path / "proteins.tsv"
    values.to_csv(matrix, sep="\t", na_rep="NA")
    contrasts = tmp_path / "contrasts.yaml"
    contrasts.write_text("contrasts:\n  - id: response\n"
                         "    comparison: [response, non_responder, responder]\n")
    return ["--input", str(sheet), "--contrasts", str(contrasts), "--protein_matrix", str(matrix),
            "--protein_format", "tsv", "--protein_is_log2", "--protein_min_valid_fraction", "0"]


def test_protein_qc_without_a_complete_protein_stops_at_the_input_check(tmp_path):
    """QC's PCA takes the proteins observed in every sample; with none it asks for imputation."""
    args = _every_protein_misses_a_sample(tmp_path)
    outdir = tmp_path / "results"
    run = run_omics("run", *args, "--outdir", str(outdir))
    assert run.returncode == 2, run.stderr[-2000:]
    assert "proteins.tsv" in run.stderr
    assert "only 0 protein(s) vary and are observed in every sample; sample QC's PCA needs at least 2" \
        in run.stderr and "--protein_imputation" in run.stderr
    assert "Traceback" not in run.stderr and not outdir.exists()
    # imputed values are what QC reads: the same input then runs, and QC uses every protein
    imputed = tmp_path / "imputed"
    checked = run_omics("run", *args, "--protein_imputation", "minprob", "--gsea_permutations", "100",
                        "--outdir", str(imputed))
    assert checked.returncode == 0, checked.stderr[-2000:]
    assert len(pd.read_csv(imputed / "qc" / "protein.pca.tsv", sep="\t")) == 8
