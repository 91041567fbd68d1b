"""Microarray input: reading (TSV, GEO series matrix), probe collapsing, limma trend vs R on ALL."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest

from helpers import REPO, run_pipeline
from omics._errors import InputError
from omics.io import read_array_matrix
from omics.pp import collapse_probes

ARRAY_REF = REPO / "tests" / "reference" / "array"


@pytest.mark.slow
def test_all_leukaemia_matches_r_limma_trend(tmp_path):
    """ALL (Chiaretti 2004) RMA, 128 samples x 12,625 probes, T- vs B-lineage, limma trend=TRUE."""
    contrasts = tmp_path / "contrasts.yaml"
    contrasts.write_text("contrasts:\n  - id: T_vs_B\n    comparison: [lineage, B, T]\n")
    out = run_pipeline(tmp_path / "results", "--input", str(ARRAY_REF / "all_samplesheet.csv"),
                       "--contrasts", str(contrasts), "--rna_matrix", str(ARRAY_REF / "all_rma.tsv.gz"),
                       "--rna_format", "array", "--background_genesets", "none")
    ours = pd.read_csv(out / "differential" / "T_vs_B.rna.limma.results.tsv",
                       sep="\t").set_index("feature_id")
    ref = pd.read_csv(ARRAY_REF / "all_limma_trend_B_vs_T.tsv.gz", sep="\t").set_index("feature_id")
    assert len(ours) == len(ref) == 12625
    ours = ours.loc[ref.index]
    for column in ("logFC", "t", "B"):
        assert np.corrcoef(ours[column], ref[column])[0, 1] >= 0.999
        assert np.allclose(ours[column], ref[column], atol=1e-6), column
    assert np.allclose(ours["P.Value"], ref["P.Value"], rtol=1e-6, atol=1e-300)
    ours_hits = set(ours.index[ours["adj.P.Val"] < 0.05])
    ref_hits = set(ref.index[ref["adj.P.Val"] < 0.05])
    assert len(ref_hits) > 1000
    assert len(ours_hits & ref_hits) / len(ours_hits | ref_hits) >= 0.95


def test_collapse_keeps_highest_mean_probe(tmp_path):
    path = tmp_path / "array.tsv"
    path.write_text("probe_id\tgene_name\tA\tB\tC\n"
                    "p1\tVEGFA\t5.0\t5.2\t5.1\n"
                    "p2\tVEGFA\t7.0\t6.8\tNA\n"
                    "p3\t\t4.0\t4.0\t4.1\n"
                    "p4\tKDR\t9.0\t9.1\t9.2\n"
                    "p5\tKDR\t9.0\t9.1\t9.2\n")
    adata = read_array_matrix(path)
    assert np.isnan(adata.X[2, 1])
    genes = collapse_probes(adata)
    assert list(genes.var_names) == ["VEGFA", "p3", "KDR"]
    assert list(genes.var["probe_id"]) == ["p2", "p3", "p4"]  # tie: first in the file
    assert list(genes.var["n_probes"]) == [2, 1, 2]


def test_geo_series_matrix(tmp_path):
    path = tmp_path / "GSE1_series_matrix.txt.gz"
    text = ('!Series_title\t"x"\n!Sample_geo_accession\t"GSM1"\t"GSM2"\n'
            '!series_matrix_table_begin\n"ID_REF"\t"GSM1"\t"GSM2"\n"1007_s_at"\t8.1\t8.3\n'
            '"1053_at"\tnull\t6.2\n!series_matrix_table_end\n')
    with gzip.open(path, "wt") as handle:
        handle.write(text)
    adata = read_array_matrix(path)
    assert list(adata.obs_names) == ["GSM1", "GSM2"]
    assert list(adata.var_names) == ["1007_s_at", "1053_at"]
    assert adata.X[1, 0] == pytest.approx(8.3) and np.isnan(adata.X[0, 1])


@pytest.mark.parametrize(("body", "expected"), [
    ("p1\t5.0\tx\n", "value 'x' for probe 'p1' (row 2) in sample column 'B' is not a number"),
    ("p1\t5000\t6000\n", "looks linear, not log2"),
])
def test_array_errors(tmp_path, body, expected):
    path = tmp_path / "a.tsv"
    path.write_text("probe_id\tA\tB\n" + body)
    with pytest.raises(InputError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        read_array_matrix(path)


def test_a_probe_of_several_genes_takes_the_first(tmp_path):
    """GEO platform symbols ``A /// B`` name the probe's first gene, so it can join its gene set."""
    path = tmp_path / "array.tsv"
    path.write_text("probe_id\tGene Symbol\tA\tB\n"
                    "p1\tVEGFA /// VEGFA-AS1\t5.0\t5.2\n"
                    "p2\tKDR\t7.0\t6.8\n"
                    "p3\tVEGFA\t9.0\t9.1\n")
    adata = read_array_matrix(path)
    assert list(adata.var["gene_name"]) == ["VEGFA", "KDR", "VEGFA"]
    genes = collapse_probes(adata)
    kept = dict(zip(genes.var_names, genes.var["probe_id"], strict=True))
    assert kept == {"KDR": "p2", "VEGFA": "p3"}  # VEGFA: the higher mean of its two probes
