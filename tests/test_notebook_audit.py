"""Findings of the notebook / public API audit (h41): wrong input stops with one line.

Each test of a finding failed before its fix; the tests named ``*_control`` (and the
control parts marked so) check legitimate input that must keep working.
"""

from __future__ import annotations

import inspect
import logging

import matplotlib

matplotlib.use("Agg")

import anndata as ad  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import omics  # noqa: E402
from helpers import log_records, raises_one_line  # noqa: E402
from omics.io import Contrast  # noqa: E402

N_SAMPLES, N_GENES = 12, 40
CONTRAST = Contrast(id="resp", variable="response", reference="non_responder", target="responder")


def _obs() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame({"response": ["non_responder", "responder"] * (N_SAMPLES // 2),
                         "arm": ["placebo"] * (N_SAMPLES // 2) + ["bmmnc"] * (N_SAMPLES // 2),
                         "age": rng.normal(70, 8, N_SAMPLES)},
                        index=[f"S{i:02d}" for i in range(N_SAMPLES)])


def _var(prefix: str = "G") -> pd.DataFrame:
    return pd.DataFrame({"gene_name": [f"GENE{i}" for i in range(N_GENES)]},
                        index=[f"{prefix}{i:03d}" for i in range(N_GENES)])


def _protein(*, linear: bool) -> ad.AnnData:
    """A protein AnnData as omics.io reads MaxQuant: linear intensities, zeros = not quantified."""
    rng = np.random.default_rng(2)
    x = np.exp2(rng.normal(22, 2, (N_SAMPLES, N_GENES)))
    x[rng.random(x.shape) < 0.1] = 0.0
    adata = ad.AnnData(X=x, obs=_obs(), var=_var("P"))
    adata.uns["protein_input"] = {"format": "maxquant", "is_log2": False}
    if not linear:
        omics.pp.log2_transform(adata)
    return adata


def _counts() -> ad.AnnData:
    """RNA counts in X and in layer ``raw_counts``, VST-like values in layer ``vst``."""
    rng = np.random.default_rng(3)
    counts = rng.negative_binomial(5, 0.005, (N_SAMPLES, N_GENES)).astype(float)
    return ad.AnnData(X=counts.copy(), obs=_obs(), var=_var(),
                      layers={"raw_counts": counts.copy(), "vst": np.log2(counts + 1)})


def _de_table(n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(4)
    stat = rng.normal(size=n)
    return pd.DataFrame({"gene_id": [f"G{i}" for i in range(n)], "gene_name": [f"GENE{i}" for i in range(n)],
                         "baseMean": 100.0, "log2FoldChange": stat / 2, "lfcSE": 0.5, "stat": stat,
                         "pvalue": rng.uniform(size=n), "padj": rng.uniform(size=n)})


# --------------------------------------------------------------------------- finding 1


def test_limma_refuses_a_protein_anndata_not_on_the_log2_scale():
    raises_one_line(lambda: omics.tl.limma(_protein(linear=True), CONTRAST),
                    "tl.limma", "not on the log2 scale", "omics.pp.log2_transform(adata)")


def test_limma_refuses_linear_values_of_a_plain_matrix_or_layer():
    linear = ad.AnnData(X=np.exp2(np.random.default_rng(5).normal(20, 1, (N_SAMPLES, N_GENES))),
                        obs=_obs(), var=_var("P"))
    text = raises_one_line(lambda: omics.tl.limma(linear, CONTRAST), "tl.limma: X holds values up to",
                           "no log2 intensities", "log2_transform")
    assert "1e+0" in text or "e+06" in text  # the largest value is shown
    protein = _protein(linear=False)
    protein.layers["raw"] = np.exp2(protein.layers["log2"])  # a log2 AnnData, its linear layer asked
    raises_one_line(lambda: omics.tl.limma(protein, CONTRAST, layer="raw"), "tl.limma: layer 'raw'")


def test_limma_on_log2_values_control():
    """Control: log2 protein, array-like RMA values (2-16) and -delta-Ct (negative) are fitted."""
    table = omics.tl.limma(_protein(linear=False), CONTRAST)
    assert table["logFC"].abs().max() < 10
    rng = np.random.default_rng(6)
    for values in (rng.uniform(2, 16, (N_SAMPLES, N_GENES)), rng.normal(-8, 3, (N_SAMPLES, N_GENES))):
        table = omics.tl.limma(ad.AnnData(X=values, obs=_obs(), var=_var()), CONTRAST)
        assert table["P.Value"].notna().all()


def test_sample_scores_warns_on_raw_counts():
    adata = _counts()
    sets = {"SET": [f"GENE{i}" for i in range(10)]}
    with log_records("tl.scores", logging.WARNING) as found:
        omics.tl.sample_scores(adata, sets, layer="raw_counts")
    warnings = [r.getMessage() for r in found if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "look like raw counts" in warnings[0], warnings
    assert "layer='vst'" in warnings[0]
    with log_records("tl.scores", logging.WARNING) as found:  # control: a log scale, no warning
        omics.tl.sample_scores(adata, sets, layer="vst")
    assert not [r for r in found if r.levelno >= logging.WARNING]


# --------------------------------------------------------------------------- finding 2


def test_filter_low_counts_and_normalize_deseq2_stop_on_a_mistyped_layer():
    adata = _counts()
    raises_one_line(lambda: omics.pp.filter_low_counts(adata, layer="raw_count", min_samples=2),
                    "pp.filter_low_counts", "no layer 'raw_count'", "raw_counts", "layer=")
    raises_one_line(lambda: omics.pp.normalize_deseq2(adata, layer="raw_count"),
                    "pp.normalize_deseq2", "no layer 'raw_count'", "raw_counts")
    assert "normalized" not in adata.layers


def test_the_default_counts_layer_still_falls_back_to_x_control():
    adata = _counts()
    filtered = omics.pp.filter_low_counts(adata, min_count=10, min_samples=2)
    explicit = omics.pp.filter_low_counts(adata, min_count=10, min_samples=2, layer="raw_counts")
    assert list(filtered.var_names) == list(explicit.var_names)


@pytest.mark.parametrize("min_samples", [0, -1, 2.5, True])
def test_filter_low_counts_stops_on_min_samples_below_one_or_not_whole(min_samples):
    raises_one_line(lambda: omics.pp.filter_low_counts(_counts(), min_samples=min_samples),
                    "pp.filter_low_counts", f"min_samples={min_samples!r}", "whole number >= 1")


def test_normalize_deseq2_stops_on_values_that_are_not_whole_counts():
    adata = _counts()
    adata.X = adata.layers["vst"].copy()  # VST values where counts are read
    del adata.layers["raw_counts"]
    raises_one_line(lambda: omics.pp.normalize_deseq2(adata), "pp.normalize_deseq2: X holds",
                    "whole counts >= 0")


# --------------------------------------------------------------------------- finding 3


def test_protein_normalize_and_impute_before_log2_are_input_errors():
    raises_one_line(lambda: omics.pp.normalize(_protein(linear=True)), "pp.normalize",
                    "expects log2 intensities", "log2_transform")
    raises_one_line(lambda: omics.pp.impute(_protein(linear=True), method="minprob"), "pp.impute",
                    "expects log2 intensities")


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, True, "0"])
def test_a_seed_outside_0_to_2_32_stops_naming_seed(seed):
    protein = _protein(linear=False)
    omics.pp.impute(protein, method="minprob")
    raises_one_line(lambda: omics.tl.sample_qc(protein, layer=None, seed=seed), "tl.sample_qc",
                    f"seed={seed!r}", "seed=0")
    scores = pd.DataFrame({"score": np.random.default_rng(7).normal(size=N_SAMPLES)}, index=_obs().index)
    raises_one_line(lambda: omics.tl.response_model(scores, _obs(), covariates=["age"], repeats=2,
                                                    seed=seed), "response_model", f"seed={seed!r}")
    sets = {"SET": [f"GENE{i}" for i in range(15)]}
    raises_one_line(lambda: omics.tl.enrichment(_de_table(), sets, permutations=10, seed=seed),
                    f"seed={seed!r}")
    ranking = omics.tl.gene_statistic(_de_table())
    raises_one_line(lambda: omics.tl.gsea_prerank(ranking, sets, permutations=10, seed=seed),
                    "gsea_prerank", f"seed={seed!r}")


def test_response_model_reads_a_covariate_given_as_a_string_as_one_column():
    scores = pd.DataFrame({"score": np.random.default_rng(8).normal(size=N_SAMPLES)}, index=_obs().index)
    one = omics.tl.response_model(scores, _obs(), covariates="age", repeats=2)
    listed = omics.tl.response_model(scores, _obs(), covariates=["age"], repeats=2)
    pd.testing.assert_frame_equal(one, listed)


@pytest.mark.parametrize("table, missing", [
    (pd.DataFrame(), "'gene_name' or 't'"),
    (pd.DataFrame({"feature_id": ["P1"], "t": [1.0]}), "'gene_name'"),
])
def test_gene_statistic_of_a_table_without_its_columns_names_them(table, missing):
    raises_one_line(lambda: omics.tl.gene_statistic(table), "tl.gene_statistic", f"no {missing} column")


def test_integration_functions_given_one_modality_stop_with_an_input_error():
    rna = _counts()
    raises_one_line(lambda: omics.tl.fold_change_concordance(_de_table()), "fold_change_concordance",
                    "protein_de is not a differential table")
    raises_one_line(lambda: omics.tl.mrna_protein_correlation(rna), "mrna_protein_correlation",
                    "protein is a NoneType", "protein=")


def test_limma_fit_with_a_design_that_does_not_match_is_an_input_error():
    expression = pd.DataFrame(np.ones((3, 4)), columns=list("abcd"))
    design = pd.DataFrame({"(Intercept)": 1.0, "g": [0, 0, 1]}, index=list("abc"))
    raises_one_line(lambda: omics.tl.limma_fit(expression, design, pd.Series({"g": 1.0})),
                    "tl.limma_fit: design has 3 rows but expression has 4 samples")


def test_km_with_curves_of_several_modalities_is_an_input_error():
    rows = [{"modality": m, "score": "GO:A", "arm": arm, "group": g, "time": t, "survival": 1.0,
             "n_at_risk": 5} for m in ("rna", "protein") for arm in ("placebo", "bmmnc")
            for g in ("low", "high") for t in (0, 100)]
    raises_one_line(lambda: omics.pl.km(pd.DataFrame(rows), "GO:A"), "km:", "several modalities",
                    "(rna, protein)", "modality=")


# --------------------------------------------------------------------------- finding 4


def test_missing_result_hints_name_the_callers_own_keyword():
    rna = _counts()
    text = raises_one_line(lambda: omics.tl.response_model(rna), "response_model",
                           "or pass score_key=<the key it was stored under>")
    assert "pass key=" not in text
    rna.uns["deseq2"] = {"resp": _de_table()}
    text = raises_one_line(lambda: omics.tl.enrichment(rna, {"S": ["GENE1"]}, contrast="nope"),
                           "or pass de_key=<the key it was stored under>")
    assert "pass key=" not in text
    # the plots do have key=: theirs stays key, now with what to pass
    raises_one_line(lambda: omics.pl.forest(rna), "forest", "or pass key=<the key it was stored under>")


# --------------------------------------------------------------------------- finding 8


@pytest.mark.parametrize("fdr", [5, 0, -0.1, "0.05"])
def test_plots_stop_on_an_fdr_outside_0_to_1(fdr):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    raises_one_line(lambda: omics.pl.volcano(_de_table(), fdr=fdr), "volcano", f"fdr={fdr!r}",
                    "0 < fdr <= 1")
    raises_one_line(lambda: omics.pl.ma(_de_table(), fdr=fdr), "ma", f"fdr={fdr!r}")
    assert plt.get_fignums() == before  # stopped before any figure was made


def test_volcano_at_fdr_1_control():
    import matplotlib.pyplot as plt

    ax = omics.pl.volcano(_de_table(), fdr=1)
    assert ax.get_title().endswith("features at FDR < 1")
    plt.close(ax.figure)


# --------------------------------------------------------------------------- docstrings


def _section(doc: str, title: str) -> str:
    text = inspect.cleandoc(doc)
    start = text.index(f"{title}\n{'-' * len(title)}")
    rest = text[start + 2 * len(title) + 2:]
    ends = [rest.find(f"\n{t}\n{'-' * len(t)}") for t in ("Parameters", "Returns", "Raises", "Notes",
                                                         "Examples")]
    ends = [e for e in ends if e >= 0]
    return rest[:min(ends)] if ends else rest


def test_docstrings_match_the_signatures():
    assert "Amputation-free" not in _section(omics.io.read_samplesheet.__doc__, "Parameters")
    assert "Amputation-free" in _section(omics.io.read_samplesheet.__doc__, "Notes")
    km_score = _section(omics.pl.km.__doc__, "Parameters")
    assert "required" not in km_score and "default ``None``" in km_score
    assert "ValueError" not in omics.pl.km.__doc__
    assert inspect.signature(omics.pl.km).return_annotation != inspect.Signature.empty
    assert "``expression``" not in omics.tl.sample_scores.__doc__
    assert "ValueError" not in omics.tl.limma_fit.__doc__
    assert "Parameters" in omics.tl.add_delta_delta_ct.__doc__
