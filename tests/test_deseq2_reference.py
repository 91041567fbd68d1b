"""pydeseq2-based RNA DE against R DESeq2 1.38 on the nf-core SRP254919 test data.

Fixtures in tests/data/deseq2 come from tests/reference/deseq2/make_fixtures.sh (R's
DESeq() + results() on the same rounded, filtered counts). The counts themselves are
read from the shared nf-core test data beside the repository.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import NFCORE as NFCORE_DATA
from helpers import REPO
from omics.tl._deseq2 import (
    deseq2_fit,
    deseq2_results,
    deseq2_vst,
    dispersion_prior_variance_monte_carlo,
    loess_smooth,
)

NFCORE = NFCORE_DATA / "genomics/mus_musculus/rnaseq_expression"
FIXTURES = REPO / "tests/data/deseq2"

needs_shared = pytest.mark.skipif(
    not NFCORE.is_dir(),
    reason=f"nf-core SRP254919 test data not found at {NFCORE} (the shared folder beside "
    "the repository)",
)

# (fixture name, blocking factors); contrast treatment hND6 (target) vs mCherry (reference)
CONTRASTS = {
    "SRP254919_treatment": [],
    "SRP254919_sample_number_treatment": ["sample_number"],
}
MIN_COUNT, MIN_SAMPLES = 10, 3


def _dummies(values: pd.Series, reference: str | None = None) -> pd.DataFrame:
    levels = sorted(values.unique())
    if reference is not None:
        levels = [reference] + [level for level in levels if level != reference]
    coded = pd.get_dummies(pd.Categorical(values, categories=levels), dtype=float)
    coded.index = values.index
    return coded.iloc[:, 1:].add_prefix(values.name)


def _load_inputs(blocking: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    raw = pd.read_csv(NFCORE / "SRP254919.salmon.merged.gene_counts.top1000cov.tsv",
                      sep="\t", index_col=0).drop(columns="gene_name")
    sheet = pd.read_csv(NFCORE / "SRP254919.samplesheet.csv").set_index("sample")
    counts = np.round(raw[sheet.index]).astype(int)
    counts = counts.loc[(counts >= MIN_COUNT).sum(axis=1) >= MIN_SAMPLES].T
    parts = [pd.DataFrame({"(Intercept)": 1.0}, index=sheet.index)]
    parts += [_dummies(sheet[column].astype(str)) for column in blocking]
    parts.append(_dummies(sheet["treatment"], reference="mCherry"))
    return counts, pd.concat(parts, axis=1)


def _read_fixture(name: str, suffix: str = "") -> pd.DataFrame:
    return pd.read_csv(FIXTURES / f"{name}.deseq2.tsv{suffix}", sep="\t", index_col=0)


@pytest.fixture(scope="module", params=list(CONTRASTS))
def fitted(request: pytest.FixtureRequest) -> dict:
    name = request.param
    counts, design = _load_inputs(CONTRASTS[name])
    dds = deseq2_fit(counts, design)
    return {
        "name": name,
        "dds": dds,
        "design": design,
        "results": deseq2_results(dds, pd.Series({"treatmenthND6": 1.0})),
        "reference": _read_fixture(name),
        "params": _read_fixture(name, ".params.tsv")["value"],
    }


@needs_shared
def test_design_matches_r_model_matrix(fitted: dict) -> None:
    expected = ["(Intercept)", "treatmenthND6"]
    if "sample_number" in fitted["name"]:
        expected[1:1] = ["sample_numbersample2", "sample_numbersample3"]
    assert list(fitted["design"].columns) == expected


@needs_shared
def test_size_factors_and_base_mean_match_r(fitted: dict) -> None:
    size_factors = _read_fixture(fitted["name"], ".sizefactors.tsv")["size_factor"]
    ours = fitted["dds"].obs["size_factors"]
    np.testing.assert_allclose(ours.loc[size_factors.index], size_factors, rtol=1e-10)
    results, reference = fitted["results"], fitted["reference"]
    assert list(results.index) == list(reference.index)
    np.testing.assert_allclose(results["baseMean"], reference["baseMean"], rtol=1e-10)


@needs_shared
def test_dispersion_prior_variance_matches_r(fitted: dict) -> None:
    dds, params = fitted["dds"], fitted["params"]
    ours, theirs = float(dds.uns["prior_disp_var"]), float(params["dispPriorVar"])
    print(f"{fitted['name']}: dispPriorVar R {theirs:.4f}, ours {ours:.4f} "
          f"({dds.uns['dispersion_prior_method']})")
    np.testing.assert_allclose(float(dds.uns["_squared_logres"]),
                               float(params["varLogDispEsts"]), rtol=1e-6)
    if dds.uns["dispersion_prior_method"] == "mad":
        assert ours == pytest.approx(theirs, rel=1e-8)
    else:
        # Monte-Carlo search (df = 2): R's random draws cannot be reproduced; across
        # seeds both implementations give 0.61 +- 0.02 on this data.
        assert dds.uns["dispersion_prior_method"] == "monte_carlo_kl"
        assert ours == pytest.approx(theirs, abs=0.05)


# One gene whose coefficient is barely determined (lfcSE 2.3): its IRLS stops at the deviance
# tolerance, a few ulps of the CPU's arithmetic apart (Intel: 8.8e-7 from R; AMD EPYC: 1.2e-5).
_LOOSE_GENES = ["ENSMUSG00000086503"]


def check_mad_case_matches_r(results: pd.DataFrame, reference: pd.DataFrame) -> None:
    """Deterministic (MAD prior variance) path: equal to R up to optimiser tolerances.

    Measured on an Intel machine: log2FoldChange 8.8e-7 absolute, lfcSE 7.7e-12, pvalue
    4.0e-7 and padj 1.5e-12 relative; tolerances ~10-100x. On an AMD EPYC the genes other
    than :data:`_LOOSE_GENES` agree within 2e-14 in log2FoldChange; that one gene is held to
    1e-4 (lfc) and 1e-4 relative (p-value) there (measured 1.2e-5 and 5.4e-6).
    """
    loose = results.index.isin(_LOOSE_GENES)
    difference = np.abs(results["log2FoldChange"] - reference["log2FoldChange"])
    assert float(np.max(difference[~loose])) < 1e-5
    assert float(np.max(difference[loose].to_numpy(), initial=0.0)) < 1e-4
    np.testing.assert_allclose(results["lfcSE"], reference["lfcSE"], rtol=1e-9)
    for column, rtol in (("pvalue", 1e-5), ("padj", 1e-9)):
        tested = reference[column].notna()
        assert results[column].isna().equals(~tested), column
        for genes, tolerance in ((~loose, rtol), (loose, max(rtol, 1e-4))):
            np.testing.assert_allclose(results.loc[tested & genes, column],
                                       reference.loc[tested & genes, column],
                                       rtol=tolerance, atol=0, err_msg=column)


@needs_shared
def test_results_agree_with_r(fitted: dict) -> None:
    results, reference = fitted["results"], fitted["reference"]
    lfc_r = np.corrcoef(results["log2FoldChange"], reference["log2FoldChange"])[0, 1]
    ours = set(results.index[results["padj"] < 0.05])
    theirs = set(reference.index[reference["padj"] < 0.05])
    jaccard = len(ours & theirs) / max(len(ours | theirs), 1)
    max_lfc_diff = float(np.max(np.abs(results["log2FoldChange"]
                                       - reference["log2FoldChange"])))
    print(f"{fitted['name']}: log2FoldChange r = {lfc_r:.8f} (max |diff| {max_lfc_diff:.2e}), "
          f"padj < 0.05 Jaccard = {jaccard:.3f} ({len(ours)} ours, {len(theirs)} R)")
    assert lfc_r >= 0.999
    assert jaccard >= 0.95
    # NA pattern (Cook's outliers, independent filtering) must be R's exactly.
    for column in ("pvalue", "padj"):
        assert results[column].isna().equals(reference[column].isna()), column

    if fitted["dds"].uns["dispersion_prior_method"] == "mad":
        check_mad_case_matches_r(results, reference)
    else:
        # Prior variance 0.585 vs R's 0.593 moves the shrunken dispersions slightly (the
        # rest of this path, with R's prior variance: test_reference_audit44.py).
        tested = reference["pvalue"].notna()
        assert max_lfc_diff < 0.01
        np.testing.assert_allclose(results["lfcSE"], reference["lfcSE"], rtol=0.05)
        log_ratio = np.log10(results.loc[tested, "pvalue"] / reference.loc[tested, "pvalue"])
        assert float(np.max(np.abs(log_ratio))) < 0.1


@needs_shared
def test_dispersions_match_r(fitted: dict) -> None:
    dds = fitted["dds"]
    reference = _read_fixture(fitted["name"], ".dispersions.tsv")
    np.testing.assert_allclose(dds.var["genewise_dispersions"], reference["dispGeneEst"],
                               rtol=1e-6)
    np.testing.assert_allclose(dds.var["fitted_dispersions"], reference["dispFit"],
                               rtol=1e-6)
    tolerance = 1e-6 if dds.uns["dispersion_prior_method"] == "mad" else 0.05
    np.testing.assert_allclose(dds.var["dispersions"], reference["dispersion"],
                               rtol=tolerance)


@needs_shared
def test_vst_matches_r(fitted: dict) -> None:
    reference = _read_fixture(fitted["name"], ".vst.tsv")
    ours = deseq2_vst(fitted["dds"])
    np.testing.assert_allclose(ours.T.loc[reference.index, reference.columns], reference,
                               atol=1e-6)


def test_loess_reproduces_r_prior_variance_search() -> None:
    # R's own Kullback-Leibler curve for the df = 2 design: our loess surface and
    # argmin must give exactly DESeq2's dispPriorVar.
    name = "SRP254919_sample_number_treatment"
    curve = _read_fixture(name, ".priorvar_kl.tsv").reset_index()
    grid, divergence = curve["grid"].dropna().to_numpy(), curve["divergence"].dropna()
    fine_grid = curve["fine_grid"].to_numpy()
    smooth = loess_smooth(grid, divergence.to_numpy(), fine_grid, span=0.2)
    np.testing.assert_allclose(smooth, curve["loess"], rtol=1e-10, atol=1e-12)
    prior_var = max(float(fine_grid[np.argmin(smooth)]), 0.25)
    assert prior_var == pytest.approx(float(_read_fixture(name, ".params.tsv")
                                            .loc["dispPriorVar", "value"]), rel=1e-12)


def test_monte_carlo_prior_variance_is_seeded() -> None:
    residuals = np.random.default_rng(0).normal(0.0, 1.5, 500)
    first = dispersion_prior_variance_monte_carlo(residuals, 2)
    assert first == dispersion_prior_variance_monte_carlo(residuals, 2)
    assert 0.25 <= first <= 8


@needs_shared
def test_shrinkage_only_for_single_coefficient() -> None:
    counts, design = _load_inputs(["sample_number"])
    dds = deseq2_fit(counts, design)
    shrunk = deseq2_results(dds, pd.Series({"treatmenthND6": 1.0}), shrink=True)
    assert "log2FoldChange_shrunk" in shrunk
    assert (shrunk["log2FoldChange_shrunk"].abs() <= shrunk["log2FoldChange"].abs() + 1e-6).mean() > 0.95
    with pytest.raises(ValueError, match="single design coefficient"):
        deseq2_results(dds, pd.Series({"treatmenthND6": 1.0, "sample_numbersample2": 0.5}),
                       shrink=True)
    with pytest.raises(ValueError, match="not in the design"):
        deseq2_results(dds, pd.Series({"treatmentXYZ": 1.0}))


@needs_shared
def test_nfcore_module_output_is_not_comparable() -> None:
    """Why there is no agreement assertion against the nf-core module's own results.

    treatment_mCherry_hND6_.deseq2.results.tsv was made with a different gene filter
    (count >= 10 in >= 1 sample, on unrounded counts: 982 genes, not 691), gene-level
    normalisation factors (count / normalised count varies between genes of one sample,
    as with transcript-length offsets) and shrunken log2 fold changes. Informally, on
    its 982 genes our p-values still correlate with it (Pearson r of log10 p ~ 0.99).
    """
    raw = pd.read_csv(NFCORE / "SRP254919.salmon.merged.gene_counts.top1000cov.tsv",
                      sep="\t", index_col=0).drop(columns="gene_name")
    module = pd.read_csv(NFCORE / "treatment_mCherry_hND6_.deseq2.results.tsv", sep="\t",
                         index_col=0)
    normalised = pd.read_csv(NFCORE / "treatment_mCherry_hND6_.deseq2.normalised_counts.tsv",
                             sep="\t", index_col=0)
    kept = raw.index[(raw >= MIN_COUNT).sum(axis=1) >= 1]
    assert list(module.index) == list(kept)
    implied = np.round(raw.loc[normalised.index, normalised.columns]) / normalised
    spread = implied.max() / implied.min()
    assert (spread > 1.05).all()  # not one size factor per sample
