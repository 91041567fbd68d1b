"""The DESeq2 backend's contract with pydeseq2, and the shared statistics.

omics.tl._deseq2 plugs R DESeq2's estimators into pydeseq2 through its ``Inference``
interface and overrides a few ``DeseqDataSet``/``DeseqStats`` steps. It was checked
against pydeseq2 0.5.4: if pydeseq2's interface or the steps the backend relies on
change, these tests fail, so that the R parity is re-checked before the pin is moved.
"""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pydeseq2
import pytest
from pydeseq2.dds import DeseqDataSet
from pydeseq2.ds import DeseqStats
from pydeseq2.inference import Inference

from omics.tl._deseq2 import RDeseqDataSet, RDeseqStats, RInference, deseq2_fit, deseq2_results
from omics.tl._stats import bh, permutation_pvalue, r_mad

PYDESEQ2_VERSION = "0.5.4"

# inspect.signature of pydeseq2 0.5.4's abstract Inference methods (annotations dropped).
INFERENCE_METHODS = {
    "alpha_mle": (
        "(self, counts, design_matrix, mu, alpha_hat, min_disp, max_disp, "
        "prior_disp_var=None, cr_reg=True, prior_reg=False, optimizer='L-BFGS-B')"
    ),
    "dispersion_trend_gamma_glm": "(self, covariates, targets)",
    "fit_moments_dispersions": "(self, normed_counts, size_factors)",
    "fit_rough_dispersions": "(self, normed_counts, design_matrix)",
    "irls": (
        "(self, counts, size_factors, design_matrix, disp, min_mu, beta_tol, "
        "min_beta=-30, max_beta=30, optimizer='L-BFGS-B', maxiter=250)"
    ),
    "lfc_shrink_nbinom_glm": (
        "(self, design_matrix, counts, size, offset, prior_no_shrink_scale, prior_scale, "
        "optimizer, shrink_index)"
    ),
    "lin_reg_mu": "(self, counts, size_factors, design_matrix, min_mu)",
    "wald_test": (
        "(self, design_matrix, disp, lfc, mu, ridge_factor, contrast, lfc_null, "
        "alt_hypothesis=None)"
    ),
}

# The DeseqDataSet / DeseqStats steps that RDeseqDataSet / RDeseqStats override or call.
DATASET_METHODS = {
    "DeseqDataSet.__init__": (
        "(self, *, adata=None, counts=None, metadata=None, design='~condition', "
        "design_factors=None, continuous_factors=None, ref_level=None, "
        "fit_type='parametric', size_factors_fit_type='ratio', control_genes=None, "
        "min_mu=0.5, min_disp=1e-08, max_disp=10.0, refit_cooks=True, min_replicates=7, "
        "beta_tol=1e-08, n_cpus=None, inference=None, quiet=False, low_memory=False)"
    ),
    "DeseqDataSet.deseq2": "(self, fit_type=None)",
    "DeseqDataSet.fit_size_factors": "(self, fit_type=None, control_genes=None)",
    "DeseqDataSet.fit_genewise_dispersions": "(self, vst=False)",
    "DeseqDataSet.fit_dispersion_trend": "(self, vst=False)",
    "DeseqDataSet.fit_dispersion_prior": "(self)",
    "DeseqDataSet.fit_MAP_dispersions": "(self)",
    "DeseqDataSet.fit_LFC": "(self)",
    "DeseqDataSet.calculate_cooks": "(self)",
    "DeseqDataSet.refit": "(self)",
    "DeseqDataSet.cooks_outlier": "(self)",
    "DeseqDataSet._replace_outliers": "(self)",
    "DeseqDataSet._fit_mean_dispersion_trend": "(self, vst=False)",
    "DeseqDataSet._fit_MoM_dispersions": "(self)",
    "DeseqDataSet.disp_function": "(self, x)",
    "DeseqStats.__init__": (
        "(self, dds, contrast, alpha=0.05, cooks_filter=True, independent_filter=True, "
        "prior_LFC_var=None, lfc_null=0.0, alt_hypothesis=None, inference=None, "
        "quiet=False, n_cpus=None)"
    ),
    "DeseqStats.run_wald_test": "(self)",
    "DeseqStats.summary": "(self, **kwargs)",
    "DeseqStats.lfc_shrink": "(self, coeff, adapt=True)",
}


def _shape(func) -> str:
    sig = inspect.signature(func)
    params = [p.replace(annotation=inspect.Parameter.empty) for p in sig.parameters.values()]
    return str(sig.replace(parameters=params, return_annotation=inspect.Signature.empty))


def test_pydeseq2_is_the_checked_version() -> None:
    assert pydeseq2.__version__ == PYDESEQ2_VERSION, (
        f"pydeseq2 {pydeseq2.__version__} is installed; the R DESeq2 backend was checked "
        f"against {PYDESEQ2_VERSION} (pinned in pyproject.toml and constraints.txt)")


def test_inference_interface_unchanged() -> None:
    assert sorted(Inference.__abstractmethods__) == sorted(INFERENCE_METHODS)
    for name, expected in INFERENCE_METHODS.items():
        assert _shape(getattr(Inference, name)) == expected, name


def test_overridden_steps_unchanged() -> None:
    classes = {"DeseqDataSet": DeseqDataSet, "DeseqStats": DeseqStats}
    for key, expected in DATASET_METHODS.items():
        cls, name = key.split(".")
        assert _shape(getattr(classes[cls], name)) == expected, key


def test_backend_accepts_the_interface_calls() -> None:
    # Every interface parameter is accepted under the same name and position; extra
    # parameters (R's starting values) are keyword-only with defaults.
    inference = RInference()
    assert not inspect.isabstract(RInference)
    for name in INFERENCE_METHODS:
        ours = list(inspect.signature(getattr(inference, name)).parameters.values())
        theirs = [p for p in inspect.signature(getattr(Inference, name)).parameters.values()
                  if p.name != "self"]
        assert [p.name for p in ours[: len(theirs)]] == [p.name for p in theirs], name
        assert all(p.kind is inspect.Parameter.KEYWORD_ONLY and p.default is not p.empty
                   for p in ours[len(theirs):]), name


def test_fit_runs_through_the_inference_backend() -> None:
    rng = np.random.default_rng(1)
    groups = np.repeat([0.0, 1.0], 6)
    fold = np.where(np.arange(200) < 40, 3.0, 1.0)  # 40 genes up in group B
    base = np.exp(rng.normal(4, 1, 200))
    size = 1.0 / (0.05 + 2.0 / base)  # dispersion trend a0 + a1 / mean
    mean = base[None, :] * np.where(groups[:, None] == 1, fold, 1.0)
    counts = pd.DataFrame(rng.negative_binomial(size, size / (size + mean)),
                          index=[f"s{i}" for i in range(12)],
                          columns=[f"g{j}" for j in range(200)])
    design = pd.DataFrame({"(Intercept)": 1.0, "groupB": groups}, index=counts.index)
    calls: list[str] = []

    class Spy(RInference):
        def irls(self, *args, **kwargs):
            calls.append("irls")
            return super().irls(*args, **kwargs)

        def alpha_mle(self, *args, **kwargs):
            calls.append("alpha_mle_map" if kwargs.get("prior_reg") else "alpha_mle")
            return super().alpha_mle(*args, **kwargs)

        def wald_test(self, *args, **kwargs):
            calls.append("wald_test")
            return super().wald_test(*args, **kwargs)

    dds = RDeseqDataSet(counts=counts, metadata=pd.DataFrame(index=counts.index),
                        design=design, inference=Spy(), quiet=True)
    dds.deseq2()
    stats = RDeseqStats(dds, np.array([0.0, 1.0]))
    stats.summary()
    assert {"irls", "alpha_mle", "alpha_mle_map", "wald_test"} <= set(calls)
    same = deseq2_results(deseq2_fit(counts, design), pd.Series({"groupB": 1.0}))
    pd.testing.assert_frame_equal(stats.results_df, same, check_names=False)
    assert (same["padj"] < 0.1).sum() > 20
    # Genes are independent: the kernels' thread count does not change any number.
    threaded = deseq2_results(deseq2_fit(counts, design, n_cpus=2), pd.Series({"groupB": 1.0}))
    pd.testing.assert_frame_equal(threaded, same, check_exact=True)


@pytest.mark.parametrize("all_expressed", [True, False])
def test_lean_steps_give_pydeseq2s_numbers(all_expressed: bool) -> None:
    # The steps overridden only for memory (size factors, starting and gene-wise
    # dispersions, LFC fit, Cook's distances) give exactly pydeseq2's numbers, with and
    # without all-zero genes, on a design with more cells than coefficients (IRLS means).
    rng = np.random.default_rng(7)
    n_samples, n_genes = 40, 300
    arm, response = np.arange(n_samples) % 2, (np.arange(n_samples) // 2) % 3 == 0
    base = np.exp(rng.normal(4, 1.5, n_genes))
    size = 1.0 / (0.05 + 2.0 / base)
    mean = base[None, :] * np.exp(0.5 * response[:, None] * rng.normal(0, 1, n_genes))
    values = rng.negative_binomial(size, size / (size + mean))
    values[3, 5] = 5000  # an outlier for Cook's distance
    if not all_expressed:
        values[:, [10, 200]] = 0
    counts = pd.DataFrame(values, index=[f"s{i}" for i in range(n_samples)],
                          columns=[f"g{j}" for j in range(n_genes)])
    design = pd.DataFrame({"(Intercept)": 1.0, "arm": arm.astype(float),
                           "response": response.astype(float)}, index=counts.index)

    def dataset() -> RDeseqDataSet:
        return RDeseqDataSet(counts=counts, metadata=pd.DataFrame(index=counts.index),
                             design=design, quiet=True)

    ours, theirs = dataset(), dataset()
    ours.fit_size_factors()
    DeseqDataSet.fit_size_factors(theirs)
    np.testing.assert_array_equal(ours.obs["size_factors"], theirs.obs["size_factors"])
    np.testing.assert_array_equal(ours.layers["normed_counts"], theirs.layers["normed_counts"])
    ours.fit_genewise_dispersions()
    DeseqDataSet.fit_genewise_dispersions(theirs)
    pydeseq2_mom = theirs.var["_MoM_dispersions"].copy()
    DeseqDataSet._fit_MoM_dispersions(theirs)
    np.testing.assert_array_equal(theirs.var["_MoM_dispersions"], pydeseq2_mom)
    for column in ("non_zero", "_MoM_dispersions", "genewise_dispersions"):
        np.testing.assert_array_equal(ours.var[column], theirs.var[column])
    np.testing.assert_array_equal(ours.layers["_mu_hat"], theirs.layers["_mu_hat"])
    ours.fit_dispersion_trend()
    ours.fit_dispersion_prior()
    ours.fit_MAP_dispersions()
    theirs.var["dispersions"] = ours.var["dispersions"]
    ours.fit_LFC()
    DeseqDataSet.fit_LFC(theirs)
    pd.testing.assert_frame_equal(ours.varm["LFC"], theirs.varm["LFC"], check_exact=True)
    for key in ("_mu_LFC", "_hat_diagonals"):
        np.testing.assert_array_equal(ours.obsm[key], theirs.obsm[key])
    ours.calculate_cooks()
    DeseqDataSet.calculate_cooks(theirs)
    np.testing.assert_array_equal(ours.layers["cooks"], theirs.layers["cooks"])
    assert np.nanmax(ours.layers["cooks"]) > 1  # the outlier is seen

def test_bh_is_r_p_adjust() -> None:
    # R: p.adjust(c(0.01, 0.04, 0.03, 0.2, 0.04), "BH") = 0.05 0.05 0.05 0.20 0.05
    p = np.array([0.01, 0.04, np.nan, 0.03, 0.2, 0.04])
    adjusted = bh(p)
    np.testing.assert_array_equal(np.isnan(adjusted), np.isnan(p))
    np.testing.assert_allclose(adjusted[~np.isnan(p)], [0.05, 0.05, 0.05, 0.2, 0.05], rtol=1e-15)
    assert bh(np.array([])).size == 0


def test_permutation_pvalue_and_mad() -> None:
    assert permutation_pvalue(0, 999) == pytest.approx(0.001)
    np.testing.assert_allclose(permutation_pvalue(np.array([0, 9, 999]), 999),
                               [0.001, 0.01, 1.0])
    with pytest.raises(ValueError):
        permutation_pvalue(0, 0)
    # R: mad(c(1, 2, 3, 4, 100)) = 1.4826
    assert r_mad(np.array([1.0, 2, 3, 4, 100])) == pytest.approx(1.4826)


def test_row_medians_are_numpys() -> None:
    from omics.tl._deseq2.moments import row_medians

    rng = np.random.default_rng(3)
    for shape in [(1, 1), (7, 5), (8, 6), (40, 2001), (30, 1000)]:
        values = rng.normal(size=shape)
        values[::3, ::4] = 0.5  # ties
        expected = np.median(values, axis=1)
        for layout in (values, np.asfortranarray(values), values[:, ::-1]):
            np.testing.assert_array_equal(row_medians(layout), expected)
    # even length: the mean of the two middle values, not either of them
    np.testing.assert_array_equal(row_medians(np.array([[4.0, 1.0, 3.0, 2.0]])), [2.5])


def test_median_of_ratios_gives_pydeseq2s_doubles() -> None:
    from pydeseq2.preprocessing import deseq2_norm

    from omics.tl._deseq2.moments import median_of_ratios

    rng = np.random.default_rng(5)
    counts = rng.negative_binomial(2, 0.02, size=(60, 3000))
    counts[:, :5] = rng.negative_binomial(2, 0.02, size=(60, 5)) + 1  # some genes without a zero
    for layout in (counts, np.asfortranarray(counts)):
        expected = deseq2_norm(layout)[1]
        np.testing.assert_array_equal(median_of_ratios(layout)[0], expected)


@pytest.mark.parametrize("cell_sizes", [
    (3, 5, 30),     # one cell in each of pydeseq2's trimming bins (< 3.5, < 23.5, more)
    (2, 4, 1, 9),   # cells of fewer than 3 samples are left out of the variance
    (2, 2, 1),      # no cell of 3: one trimmed variance over all samples
])
def test_cooks_distances_are_pydeseq2s(cell_sizes: tuple[int, ...]) -> None:
    # Our block-wise Cook's distances are pydeseq2's bit for bit, whatever the cells.
    from pydeseq2.utils import robust_method_of_moments_disp

    from omics.tl._deseq2.moments import cooks_distances

    rng = np.random.default_rng(11)
    cells = np.repeat(np.arange(len(cell_sizes)), cell_sizes)
    rng.shuffle(cells)
    n_samples, n_genes = cells.size, 257
    design = pd.DataFrame({"(Intercept)": 1.0}, index=[f"s{i}" for i in range(n_samples)])
    for c in range(1, len(cell_sizes)):
        design[f"cell{c}"] = (cells == c).astype(float)
    counts = rng.negative_binomial(3, 0.05, (n_samples, n_genes))
    counts[0, :5] = [0, 1, 5000, 0, 7]
    size_factors = np.exp(rng.normal(0, 0.3, n_samples))
    normed = counts / size_factors[:, None]
    mu = np.maximum(normed.mean(axis=0), 0.5)[None, :] * size_factors[:, None]
    hat = rng.uniform(0.01, 0.6, (n_samples, n_genes))

    # pydeseq2 DeseqDataSet.calculate_cooks, operation by operation; numpy's sums follow
    # the memory layout, so both layouts are checked.
    for layout in (normed, np.asfortranarray(normed)):
        dispersions = robust_method_of_moments_disp(layout, design)
        squared = (counts - mu) ** 2 / (mu**2 * dispersions[None, :] + mu) / design.shape[1]
        expected = squared * (hat / (1 - hat) ** 2)
        np.testing.assert_array_equal(cooks_distances(counts, layout, mu, hat, design), expected)


@pytest.mark.parametrize("groups", [1, 3])
def test_vst_inference_means_are_pydeseq2s(groups: int) -> None:
    # The VST fit's starting means: the lean per-gene least squares gives pydeseq2's
    # LinearRegression numbers bit for bit (intercept only, and one coefficient per group).
    from pydeseq2.default_inference import DefaultInference

    from omics.pp._vst_inference import VSTInference

    rng = np.random.default_rng(5)
    n_samples = 40
    counts = rng.negative_binomial(2, 0.02, (n_samples, 60))
    counts[:, 3] = 0
    counts[:5, 4] = 0
    size_factors = np.exp(rng.normal(0, 0.4, n_samples))
    group = np.arange(n_samples) % groups
    design = np.column_stack([np.ones(n_samples)] + [(group == g).astype(float)
                                                     for g in range(1, groups)])
    expected = DefaultInference(n_cpus=1).lin_reg_mu(counts, size_factors, design, 0.5)
    np.testing.assert_array_equal(VSTInference(n_cpus=1).lin_reg_mu(counts, size_factors, design, 0.5),
                                  expected)


def test_rough_dispersions_from_qr_factors_equal_the_hat_matrix_ones(monkeypatch) -> None:
    # Above HAT_MATRIX_SAMPLES the fitted values are Q (Q'y) instead of the n x n hat
    # matrix times y: the same estimates to rounding, and pydeseq2's to rounding.
    from pydeseq2.default_inference import DefaultInference

    from omics.tl._deseq2 import inference

    rng = np.random.default_rng(8)
    n = 120
    design = np.column_stack([np.ones(n), rng.integers(0, 2, n), rng.integers(0, 2, n),
                              rng.normal(size=n)])
    normed = rng.negative_binomial(4, 0.04, size=(n, 700)).astype(float)
    below = RInference().fit_rough_dispersions(normed, design)
    np.testing.assert_allclose(below, DefaultInference().fit_rough_dispersions(normed, design),
                               rtol=1e-10)
    monkeypatch.setattr(inference, "HAT_MATRIX_SAMPLES", n - 1)
    monkeypatch.setattr(np.linalg, "pinv", None)  # the QR path must not form the hat matrix
    above = RInference().fit_rough_dispersions(normed, design)
    np.testing.assert_allclose(above, below, rtol=1e-10)
