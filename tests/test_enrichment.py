"""Tests of omics.tl enrichment: gsea_prerank, ora, sample_scores."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from helpers import REPO, SHARED
from omics._errors import InputError
from omics.tl._gsea import _es_sorted, _leading_edge, _null_es, _observed_walks, gsea_prerank
from omics.tl._gsea_stats import (
    _fused_sign_means_and_p,
    _gsea_fdr,
    _nominal_p,
    _normalise,
    _pairwise_sum,
    _sign_means,
    null_statistics,
)
from omics.tl._ora import hypergeom_sf, ora
from omics.tl._scores import SCORE_METHODS, sample_scores

GSEA_COLUMNS = ["term", "size", "es", "nes", "pvalue", "fdr", "pvalue_one_sided", "leading_edge"]
ORA_COLUMNS = ["term", "size", "overlap", "expected", "odds_ratio", "pvalue", "fdr", "genes"]
_GMT_DIRS = [REPO / "metadata" / "genesets", SHARED / "data" / "genesets"]


def parse_gmt(path: Path) -> dict[str, list[str]]:
    """Tiny local GMT reader (name<TAB>description<TAB>genes...)."""
    sets = {}
    for line in path.read_text().splitlines():
        fields = line.split("\t")
        if len(fields) >= 3 and fields[0]:
            sets[fields[0]] = [g for g in fields[2:] if g]
    return sets


def _gmt(name: str) -> Path:
    for d in _GMT_DIRS:
        if (d / name).is_file():
            return d / name
    pytest.skip(f"{name} not available")


@pytest.fixture(scope="module")
def angio_sets() -> dict[str, list[str]]:
    return parse_gmt(_gmt("go_angiogenesis.gmt"))


def realistic_ranking(sets: dict[str, list[str]], n: int = 20_000, seed: int = 1) -> pd.Series:
    """t-like statistics for n genes; one set shifted up, one shifted down."""
    rng = np.random.default_rng(seed)
    set_genes = sorted({g for v in sets.values() for g in v})
    fillers = [f"GENE{i:05d}" for i in range(n - len(set_genes))]
    genes = np.array(set_genes + fillers)
    stat = rng.standard_t(10, size=n)
    names = list(sets)
    up, down = set(sets[names[7]]), set(sets[names[9]])
    for i, g in enumerate(genes):
        if g in up and rng.random() < 0.4:
            stat[i] += 1.0
        if g in down and rng.random() < 0.3:
            stat[i] -= 0.8
    return pd.Series(stat, index=genes).sample(frac=1.0, random_state=seed)


def naive_running_sum(stat: pd.Series, genes: set[str], weight: float = 1.0) -> np.ndarray:
    """Full O(N) GSEA running sum, straight from Subramanian et al. 2005."""
    ranked = stat.sort_values(ascending=False, kind="stable")
    hit = ranked.index.isin(list(genes))
    w = np.abs(ranked.to_numpy()) ** weight if weight else np.ones(len(ranked))
    step = np.where(hit, w / w[hit].sum(), -1.0 / (~hit).sum())
    return np.cumsum(step)


def naive_es(stat: pd.Series, genes: set[str], weight: float = 1.0) -> float:
    res = naive_running_sum(stat, genes, weight)
    return res.max() if abs(res.max()) > abs(res.min()) else res.min()


# --------------------------------------------------------------------------- GSEA


@pytest.mark.slow
def test_gsea_matches_gseapy(angio_sets):
    gp = pytest.importorskip("gseapy")
    stat = realistic_ranking(angio_sets)
    kw = {"min_size": 10, "max_size": 1000}
    ours = gsea_prerank(stat, angio_sets, permutations=1000, seed=0, **kw).set_index("term")
    ref = gp.prerank(
        rnk=stat,
        gene_sets={k: list(v) for k, v in angio_sets.items()},
        permutation_num=1000,
        seed=0,
        threads=2,
        no_plot=True,
        outdir=None,
        verbose=False,
        **kw,
    ).res2d.set_index("Term")
    assert sorted(ours.index) == sorted(ref.index) and len(ours) == 11
    ref = ref.loc[ours.index]
    # ES is deterministic: must be identical
    assert np.max(np.abs(ours["es"] - ref["ES"].astype(float))) < 1e-6
    # set sizes and leading edges are deterministic too
    assert (ours["size"] == ref["Tag %"].str.split("/").str[1].astype(int)).all()
    assert (ours["leading_edge"] == ref["Lead_genes"]).all()
    # NES, p-values and q-values differ only by permutation noise
    nes_ref = ref["NES"].astype(float)
    assert np.corrcoef(ours["nes"], nes_ref)[0, 1] >= 0.99
    assert np.max(np.abs(ours["nes"] - nes_ref)) < 0.1
    p_ours, p_ref = ours["pvalue"], ref["NOM p-val"].astype(float)
    p_mid = (p_ours + p_ref) / 2
    # ~500 same-sign permutations each: 4 binomial SDs of the difference, plus slack
    tol = 4 * np.sqrt(2 * p_mid * (1 - p_mid) / 500) + 0.01
    assert (np.abs(p_ours - p_ref) <= tol).all()
    # GSEA q-values jump where two observed NES nearly tie (their order flips between
    # seeds, for gseapy as for us); compare them in the range that matters
    q_ours, q_ref = ours["fdr"], ref["FDR q-val"].astype(float)
    relevant = (q_ours < 0.25) | (q_ref < 0.25)
    assert relevant.sum() >= 3
    assert np.max(np.abs(q_ours - q_ref)[relevant]) < 0.05


def test_gsea_es_and_leading_edge_match_naive_walk():
    rng = np.random.default_rng(5)
    genes = [f"G{i}" for i in range(400)]
    stat = pd.Series(rng.normal(size=400), index=genes)
    sets = {f"S{j}": list(rng.choice(genes, 25, replace=False)) for j in range(6)}
    sets["UP"] = list(stat.nlargest(60).index[::2])
    sets["DOWN"] = list(stat.nsmallest(60).index[1::2])
    for weight in (0.0, 1.0, 2.0):
        res = gsea_prerank(stat, sets, permutations=0, weight=weight, min_size=5).set_index("term")
        for term, genes_ in sets.items():
            assert res.loc[term, "es"] == pytest.approx(naive_es(stat, set(genes_), weight), abs=1e-12)
    res = gsea_prerank(stat, sets, permutations=0).set_index("term")
    up = res.loc["UP", "leading_edge"].split(";")
    ranked = list(stat.sort_values(ascending=False).index)
    assert up == [g for g in ranked if g in set(up)]  # in rank order from the top
    run = naive_running_sum(stat, set(sets["UP"]))
    assert set(up) == {g for g in ranked[: int(run.argmax()) + 1] if g in set(sets["UP"])}
    down = res.loc["DOWN", "leading_edge"].split(";")
    assert down == [g for g in ranked[::-1] if g in set(down)]  # from the bottom up
    assert res.loc["UP", "es"] > 0 > res.loc["DOWN", "es"]


def test_null_kernel_matches_naive_walk():
    rng = np.random.default_rng(11)
    n = 300
    w = np.abs(rng.normal(size=n))
    w.sort()
    w = w[::-1].copy()
    hits = [np.sort(rng.choice(n, k, replace=False)) for k in (5, 17, 40, 120)]
    sizes = np.array([h.size for h in hits], dtype=np.int64)
    member_gene = np.concatenate(hits)
    member_set = np.repeat(np.arange(len(hits)), sizes)
    order = np.argsort(member_gene, kind="stable")
    set_idx = member_set[order].astype(np.int32)
    set_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(member_gene, minlength=n), out=set_ptr[1:])
    perms = np.stack([rng.permutation(n) for _ in range(7)]).astype(np.int32)
    out = np.empty((len(hits), 7))
    _null_es(perms, w, set_ptr, set_idx, sizes, out)
    for b in range(7):
        pos_of_gene = np.argsort(perms[b])
        for s, h in enumerate(hits):
            hit = np.zeros(n, dtype=bool)
            hit[pos_of_gene[h]] = True
            run = np.cumsum(np.where(hit, w / w[hit].sum(), -1.0 / (n - h.size)))
            es = run.max() if abs(run.max()) > abs(run.min()) else run.min()
            assert out[s, b] == pytest.approx(es, abs=1e-12)
            # bit for bit the observed-ES walk on the permuted positions
            assert out[s, b] == _es_sorted(np.sort(pos_of_gene[h]), w, n)
    # the compact set index and permutations (uint16, up to 65,536 sets / genes) walk the
    # same sets
    compact = np.empty_like(out)
    _null_es(perms.astype(np.uint16), w, set_ptr, set_idx.astype(np.uint16), sizes, compact)
    assert np.array_equal(compact, out)


def test_gsea_statistics_match_gseapy_reference_formulas():
    alg = pytest.importorskip("gseapy.algorithm")
    rng = np.random.default_rng(2)
    es = rng.normal(0, 0.3, size=40)
    null = rng.normal(0, 0.25, size=(40, 1000)) + rng.normal(0, 0.05, size=(40, 1))
    with np.errstate(all="ignore"):
        p_ref = alg.gsea_pval(es, null)
        nes_ref, nes_null_ref = alg.normalize(es, null)
        fdr_ref = np.asarray(alg.gsea_fdr(nes_ref, nes_null_ref))
    nes, nes_null = _normalise(es, null)
    # gseapy reports k / B; ours is (k + 1) / (B + 1) (Phipson & Smyth), B = same-sign nulls
    same_sign = np.where(es >= 0, (null >= 0).sum(axis=1), (null < 0).sum(axis=1))
    np.testing.assert_allclose(_nominal_p(es, null), (p_ref * same_sign + 1) / (same_sign + 1),
                               atol=1e-12)
    assert (_nominal_p(es, null) >= 1 / (same_sign + 1)).all()
    np.testing.assert_allclose(nes, nes_ref, rtol=1e-12)
    np.testing.assert_allclose(nes_null, nes_null_ref, rtol=1e-12)
    np.testing.assert_allclose(_gsea_fdr(nes, nes_null), fdr_ref, rtol=1e-12)


def test_gsea_output_contract_and_determinism():
    rng = np.random.default_rng(3)
    genes = [f"G{i}" for i in range(2000)]
    stat = pd.Series(rng.normal(size=2000), index=genes)
    sets = {f"S{j:02d}": list(rng.choice(genes, k, replace=False)) for j, k in enumerate(range(5, 80, 5))}
    sets["SMALL"] = genes[:9] + ["NOT_A_GENE"] * 5  # 9 genes in the ranking -> dropped
    sets["BIG"] = genes[:600]  # > max_size -> dropped
    a = gsea_prerank(stat, sets, permutations=200, seed=7)
    b = gsea_prerank(stat, sets, permutations=200, seed=7)
    c = gsea_prerank(stat, sets, permutations=200, seed=8)
    assert list(a.columns) == GSEA_COLUMNS
    pd.testing.assert_frame_equal(a, b)
    assert not np.array_equal(a.sort_values("term")["nes"], c.sort_values("term")["nes"])
    assert "SMALL" not in set(a["term"]) and "BIG" not in set(a["term"])
    assert set(a["term"]) == {f"S{j:02d}" for j in range(1, 15)}  # S00 has 5 genes < 10
    assert list(a.sort_values(["pvalue", "term"])["term"]) == list(a["term"])
    assert ((a["pvalue"] >= 0) & (a["pvalue"] <= 1) & (a["fdr"] >= 0) & (a["fdr"] <= 1)).all()
    sizes = {t: len(set(g) & set(genes)) for t, g in sets.items()}
    assert all(a["size"] == a["term"].map(sizes))


def test_gsea_input_checks():
    stat = pd.Series([1.0, 2.0, np.nan, -1.0], index=["A", "B", "C", "D"])
    res = gsea_prerank(stat, {"S": ["A", "B", "C"]}, permutations=10, min_size=1)
    assert res.loc[0, "size"] == 2  # C dropped with its NaN statistic
    with pytest.raises(InputError, match="duplicated"):
        gsea_prerank(pd.Series([1.0, 2.0], index=["A", "A"]), {"S": ["A"]}, min_size=1)
    with pytest.raises(InputError, match="infinite"):
        gsea_prerank(pd.Series([np.inf, 2.0], index=["A", "B"]), {"S": ["A"]}, min_size=1)
    with pytest.raises(InputError):
        gsea_prerank(stat, {"S": ["A"]}, min_size=5, max_size=2)
    empty = gsea_prerank(stat, {"S": ["A"]}, permutations=10)
    assert empty.empty and list(empty.columns) == GSEA_COLUMNS


# --------------------------------------------------------------------------- ORA


@pytest.fixture(scope="module")
def ora_case():
    rng = np.random.default_rng(4)
    universe = [f"G{i}" for i in range(3000)]
    background = universe[:2500]
    selected = list(rng.choice(background, 150, replace=False)) + ["G2999", "OTHER"]
    sets = {f"T{j:03d}": list(rng.choice(universe, rng.integers(5, 200), replace=False)) for j in range(300)}
    sets["ENRICHED"] = list(selected[:40]) + list(rng.choice(background, 40, replace=False))
    sets["NOHIT"] = [g for g in background if g not in set(selected)][:30]
    return selected, background, sets


def test_ora_matches_scipy_hypergeom(ora_case):
    selected, background, sets = ora_case
    res = ora(selected, background, sets).set_index("term")
    assert list(res.reset_index().columns) == ORA_COLUMNS
    bg = set(background)
    sel = set(selected) & bg  # G2999 and OTHER are outside the background
    tested = {t: set(g) & bg for t, g in sets.items() if 10 <= len(set(g) & bg) <= 500}
    assert set(res.index) == set(tested) and "NOHIT" in res.index
    for term, members in tested.items():
        x, m = len(members & sel), len(members)
        row = res.loc[term]
        assert (row["size"], row["overlap"]) == (m, x)
        assert row["genes"] == ";".join(sorted(members & sel))
        p = stats.hypergeom(len(bg), m, len(sel)).pmf(np.arange(x, min(m, len(sel)) + 1)).sum()
        assert row["pvalue"] == pytest.approx(min(p, 1.0), rel=1e-9, abs=1e-300)
        assert row["expected"] == pytest.approx(len(sel) * m / len(bg))
    assert res.loc["NOHIT", "pvalue"] == 1.0
    assert res.loc["ENRICHED", "fdr"] < 1e-10
    order = np.argsort(res["pvalue"].to_numpy(), kind="stable")
    p_sorted = res["pvalue"].to_numpy()[order]
    bh = np.minimum.accumulate((p_sorted * len(p_sorted) / np.arange(1, len(p_sorted) + 1))[::-1])[::-1]
    np.testing.assert_allclose(res["fdr"].to_numpy()[order], np.minimum(bh, 1), rtol=1e-12)


def test_hypergeom_sf_is_scipy_stats_bit_for_bit():
    # every overlap a set can have, at the edges of the support (k below it, at its top,
    # sets as large as the background, empty selections) and across sizes
    rng = np.random.default_rng(7)
    cases = [(1, 1, 1), (10, 10, 3), (10, 0, 4), (10, 4, 0), (10, 4, 10), (5000, 20, 1),
             (16121, 500, 2), (16121, 10, 16121)]
    for _ in range(300):
        total = int(rng.integers(1, 30_000))
        cases.append((total, int(rng.integers(0, min(total, 600) + 1)),
                      int(rng.integers(0, total + 1))))
    for total, size, draws in cases:
        lowest, highest = max(0, draws - (total - size)), min(size, draws)
        k = np.arange(lowest - 1, highest + 1)
        ours = hypergeom_sf(k, total, np.full(k.shape, size), draws)
        reference = stats.hypergeom.sf(k, total, size, draws)
        assert ours.tobytes() == reference.tobytes(), (total, size, draws)


def test_ora_agrees_with_gseapy_enrich(ora_case):
    gp = pytest.importorskip("gseapy")
    selected, background, sets = ora_case
    ours = ora(selected, background, sets, min_size=1, max_size=10_000).set_index("term")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = gp.enrich(
            gene_list=list(selected),
            gene_sets={k: list(v) for k, v in sets.items()},
            background=list(background),
            outdir=None,
            no_plot=True,
        ).results.set_index("Term")
    # gseapy only reports sets with >= 1 selected gene (and corrects only those)
    assert set(ref.index) == set(ours.index[ours["overlap"] > 0])
    o = ours.loc[ref.index]
    np.testing.assert_allclose(o["pvalue"], ref["P-value"], rtol=1e-9)
    np.testing.assert_allclose(o["odds_ratio"], ref["Odds Ratio"], rtol=1e-9)
    assert (ref["Overlap"] == o["overlap"].astype(str) + "/" + o["size"].astype(str)).all()


def test_ora_input_checks():
    with pytest.raises(InputError, match="background"):
        ora(["A"], [], {"S": ["A"]})
    with pytest.raises(InputError, match="none of the selected"):
        ora(["Z"], ["A", "B"], {"S": ["A"]}, min_size=1)


# --------------------------------------------------------------------------- sample scores


def simulate_latent(seed: int, n_samples: int = 40, n_genes: int = 5000, frac_nan: float = 0.0):
    """Log-normal noise; latent factor x loading added to 60 % of the PLANTED set."""
    rng = np.random.default_rng(seed)
    genes = np.array([f"G{i:05d}" for i in range(n_genes)])
    mu = rng.normal(3.0, 1.0, n_genes)
    x = np.log2(rng.lognormal(mean=mu, sigma=0.6, size=(n_samples, n_genes)))
    latent = rng.normal(size=n_samples)
    sets = {"PLANTED": list(genes[:50]), "NULL": list(genes[100:150])}
    for j in range(9):
        sets[f"RANDOM_{j}"] = list(rng.choice(genes[200:], 60, replace=False))
    planted = rng.choice(50, 30, replace=False)
    x[:, planted] += latent[:, None] * rng.uniform(0.5, 1.5, 30)[None, :]
    expr = pd.DataFrame(x, columns=genes, index=[f"P{i:02d}" for i in range(n_samples)])
    if frac_nan:  # missing not at random, as in proteomics: low values go missing
        low = expr.stack().quantile(0.3)
        p_miss = 2 * frac_nan / (1 + np.exp((expr - low) / 0.5))
        expr = expr.mask(rng.random(expr.shape) < p_miss)
    return expr, sets, latent


@pytest.mark.parametrize("method", SCORE_METHODS)
def test_scores_track_planted_latent_factor(method):
    null_rho = []
    for seed in range(3):
        expr, sets, latent = simulate_latent(seed)
        scores = sample_scores(expr, sets, method=method)
        assert scores.shape == (40, 11) and list(scores.index) == list(expr.index)
        assert stats.spearmanr(scores["PLANTED"], latent)[0] >= 0.9
        null_rho.append(abs(stats.spearmanr(scores["NULL"], latent)[0]))
    # null |rho| has SD ~ 1/sqrt(39) = 0.16
    assert max(null_rho) < 0.5 and np.mean(null_rho) < 0.3


def test_scores_with_missing_values():
    expr, sets, latent = simulate_latent(0, frac_nan=0.2)
    assert expr.isna().to_numpy().mean() > 0.05
    scores = sample_scores(expr, sets, method="zmean")
    assert scores.notna().all().all()
    assert stats.spearmanr(scores["PLANTED"], latent)[0] >= 0.9


@pytest.mark.parametrize("method", ["ulm", "ssgsea"])
def test_ulm_and_ssgsea_with_missing_values_score_on_the_complete_genes(method):
    """Every sample is scored on the genes observed in all samples (comparable scores)."""
    expr, sets, latent = simulate_latent(0, frac_nan=0.2)
    complete = expr.loc[:, expr.notna().all()]
    assert complete.shape[1] < expr.shape[1]
    pd.testing.assert_frame_equal(sample_scores(expr, sets, method=method),
                                  sample_scores(complete, sets, method=method))


def test_zmean_definition_and_nan_rule():
    expr = pd.DataFrame(
        {
            "A": [1.0, 2.0, 3.0, 4.0],
            "B": [2.0, 2.0, 5.0, np.nan],
            "C": [0.0, 1.0, 0.0, 1.0],
            "D": [7.0, 7.0, 7.0, 7.0],  # zero variance -> ignored
        },
        index=["s1", "s2", "s3", "s4"],
    )
    scores = sample_scores(expr, {"S": ["A", "B", "C", "D", "MISSING"]}, min_size=2)
    z = (expr - expr.mean()) / expr.std(ddof=1)
    expected = z[["A", "B", "C"]].mean(axis=1, skipna=True)
    np.testing.assert_allclose(scores["S"], expected)
    # with min_size=3, s4 has only 2 observed genes (B is NaN there) -> NaN
    strict = sample_scores(expr, {"S": ["A", "B", "C", "D"]}, min_size=3)
    assert np.isnan(strict.loc["s4", "S"]) and strict.loc[["s1", "s2", "s3"], "S"].notna().all()


def test_scores_input_checks_and_scale():
    expr, sets, _ = simulate_latent(1)
    with pytest.raises(InputError, match="method"):
        sample_scores(expr, sets, method="gsva")
    with pytest.raises(InputError, match="no gene set"):
        sample_scores(expr, {"S": ["X", "Y"]})
    # 11 sets x 40 samples x 20,000 genes (default method); its time is measured by
    # benchmarks/bench_enrichment.py, not asserted here
    rng = np.random.default_rng(0)
    big = pd.DataFrame(
        rng.normal(6, 2, (1, 20_000)) + rng.normal(0, 0.5, (40, 20_000)),
        columns=[f"G{i:05d}" for i in range(20_000)],
    )
    big_sets = {f"S{j}": list(rng.choice(big.columns, 200, replace=False)) for j in range(11)}
    out = sample_scores(big, big_sets)
    assert out.shape == (40, 11) and np.isfinite(out.to_numpy()).all()


def test_null_statistics_equal_the_sort_based_reference_exactly():
    rng = np.random.default_rng(4)
    es = rng.normal(0, 0.3, size=60)
    null = np.round(rng.normal(0, 0.25, size=(60, 400)), 3)  # many ties among null NES
    null[5] = np.abs(null[5])  # a set with no negative null ES
    es[7] = 0.0
    es[8] = es[9]  # tied observed ES
    nes, pvalue, fdr = null_statistics(es, null)
    nes_ref, nes_null = _normalise(es, null)
    assert np.array_equal(nes, nes_ref, equal_nan=True)
    assert np.array_equal(pvalue, _nominal_p(es, null))
    assert np.array_equal(fdr, _gsea_fdr(nes_ref, nes_null), equal_nan=True)
    for es_case in (np.full(60, 0.2), es * 100):  # equal observed NES; most null NES inside
        nes, pvalue, fdr = null_statistics(es_case, null)
        nes_ref, nes_null = _normalise(es_case, null)
        assert np.array_equal(fdr, _gsea_fdr(nes_ref, nes_null), equal_nan=True)
    null[3, 0] = np.nan  # a non-finite null NES: the sort-based path gives the answer
    nes, pvalue, fdr = null_statistics(es, null)
    nes_ref, nes_null = _normalise(es, null)
    assert np.array_equal(fdr, _gsea_fdr(nes_ref, nes_null), equal_nan=True)


@pytest.mark.parametrize("permutations", [1, 7, 8, 9, 128, 129, 1000, 20_001])
def test_fused_null_summaries_are_the_numpy_references_bit_for_bit(permutations):
    # One numba pass gives what numpy's np.where(...).sum(axis=1) (pairwise summation) and
    # the comparisons give: NES, the sign means and the nominal p-values, to the bit.
    rng = np.random.default_rng(permutations)
    n_sets = 40
    null = rng.normal(0, 0.3, size=(n_sets, permutations)) * np.exp(
        rng.normal(0, 2, size=(n_sets, permutations)))
    es = rng.normal(0, 0.4, size=n_sets)
    null[1] = np.abs(null[1])  # no negative null ES
    null[2] = -np.abs(null[2]) - 1e-3  # no non-negative null ES
    null[3, ::2] = -0.0  # negative zeros count as non-negative
    null[4, 0] = np.nan  # NaN: in neither count, in the negative sum
    null[5] = 0.25  # ties with the observed ES
    es[5] = 0.25
    es[6], es[7] = 0.0, -0.0
    es[8] = np.nan
    nes, pos_mean, neg_mean, pvalue = _fused_sign_means_and_p(es, null)
    nes_ref, pos_ref, neg_ref = _sign_means(es, null)
    for got, want in ((nes, nes_ref), (pos_mean, pos_ref), (neg_mean, neg_ref),
                      (pvalue, _nominal_p(es, null))):
        assert np.array_equal(got.view(np.int64), want.view(np.int64))


def test_observed_walks_give_the_es_and_leading_edges_of_the_per_set_reference():
    # One numba call for all sets: the ES of _es_sorted and the cut of _leading_edge
    # (numpy's pairwise sum, cumsum, first argmax/argmin), for every kind of set.
    rng = np.random.default_rng(11)
    n = 3000
    w = np.abs(np.round(rng.standard_t(3, size=n), 2))  # ties and zero weights
    w[:40] = 0.0
    hits = [np.sort(rng.choice(n, size=k, replace=False)) for k in
            (1, 2, 7, 8, 9, 127, 128, 129, 300, 1000, *rng.integers(10, 400, size=40))]
    hits += [np.arange(5), np.arange(40), np.arange(n - 20, n)]  # all weights zero; the ends
    starts = np.zeros(len(hits) + 1, dtype=np.int64)
    np.cumsum([h.size for h in hits], out=starts[1:])
    es, cuts = _observed_walks(np.concatenate(hits), starts, w, n)
    for h, e, c in zip(hits, es, cuts, strict=True):
        assert e == _es_sorted(h, w, n)
        edge = h[: c + 1] if e >= 0 else h[c:][::-1]
        assert np.array_equal(edge, _leading_edge(h, w, n, e))


@pytest.mark.parametrize("size", [0, 1, 7, 8, 9, 127, 128, 129, 1000, 20_001])
def test_pairwise_sum_is_numpy_sum_bit_for_bit(size):
    rng = np.random.default_rng(size)
    values = rng.normal(size=size) * np.exp(rng.normal(0, 3, size=size))
    assert np.array_equal(np.float64(_pairwise_sum(values)).view(np.int64),
                          np.float64(values.sum()).view(np.int64))
    zeros = np.full(size, -0.0)  # numpy's sum starts from +0.0
    assert np.array_equal(np.float64(_pairwise_sum(zeros)).view(np.int64),
                          np.float64(zeros.sum()).view(np.int64))


def test_ora_universe_is_the_genes_that_could_be_called():
    """DESeq2's independently filtered genes (padj NA) have a p-value but never a call."""
    from omics.tl import significant_genes

    de = pd.DataFrame({"gene_name": ["A", "B", "C", "D", "E", ""],
                       "stat": [5.0, -4.0, 0.5, 0.1, 1.0, 3.0],
                       "padj": [0.001, 0.01, 0.8, np.nan, np.nan, 0.02],
                       "log2FoldChange": [1.0, -1.0, 0.1, 0.0, 0.2, 1.0]})
    up, down, universe = significant_genes(de, "rna", fdr=0.05)
    assert (up, down, universe) == (["A"], ["B"], ["A", "B", "C"])
