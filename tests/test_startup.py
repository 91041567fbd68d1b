"""Start-up: stage processes import only what they use, and the QC PCA without scanpy is the same.

A Nextflow task is one ``omics <stage>`` process, so every import a stage does not need
is paid once per task. ``benchmarks/bench_startup.py`` measures the cost; these tests
keep the heavy libraries out of the light stages and check that the import-light PCA of
``omics.tl.sample_qc`` gives exactly what ``scanpy.pp.pca`` (scikit-learn) gave.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from helpers import TEST_COHORT, run_omics
from omics.tl._qc import _pca, qc_matrix, sample_qc

# Loaded by none of the light stage processes (each costs 0.1-1 s of start-up).
HEAVY = ("scanpy", "sklearn", "matplotlib", "pydeseq2", "statsmodels", "numba", "plotly", "itables",
         "gseapy", "decoupler", "lifelines", "flowkit", "mudata")

_MODULES = """
import json, sys
from omics.cli import main
code = main(sys.argv[2:])
with open(sys.argv[1], "w") as handle:
    json.dump(sorted(sys.modules), handle)
sys.exit(code)
"""


def _modules_after(tmp_path: Path, *argv: str) -> set[str]:
    """Run ``omics <argv>`` in a fresh interpreter; return the modules it had loaded at the end."""
    out = tmp_path / "modules.json"
    done = subprocess.run([sys.executable, "-c", _MODULES, str(out), *argv], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    return set(json.loads(out.read_text()))


@pytest.fixture(scope="module")
def protein_h5ad(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """``validated/contrasts.yaml`` and ``protein/protein.h5ad`` of the bundled test cohort."""
    outdir = tmp_path_factory.mktemp("startup") / "results"
    validate = run_omics("validate", "--input", str(TEST_COHORT / "samplesheet.csv"),
                         "--contrasts", str(TEST_COHORT / "contrasts.yaml"),
                         "--protein_matrix", str(TEST_COHORT / "proteinGroups.txt"),
                         "--outdir", str(outdir))
    assert validate.returncode == 0, validate.stderr
    prep = run_omics("protein_prep", "--samplesheet", str(outdir / "validated" / "samplesheet.csv"),
                     "--contrasts", str(outdir / "validated" / "contrasts.yaml"),
                     "--protein_matrix", str(TEST_COHORT / "proteinGroups.txt"), "--outdir", str(outdir))
    assert prep.returncode == 0, prep.stderr
    return outdir / "validated" / "contrasts.yaml", outdir / "protein" / "protein.h5ad"


def test_omics_qc_on_protein_imports_no_heavy_library(protein_h5ad, tmp_path):
    _, h5ad = protein_h5ad
    modules = _modules_after(tmp_path, "qc", "--h5ad", str(h5ad), "--modality", "protein",
                             "--outdir", str(tmp_path / "out"))
    assert (tmp_path / "out" / "qc" / "protein.pca.tsv").is_file()
    assert {"anndata", "omics.stages._qc"} <= modules  # the check saw the stage run
    loaded = sorted(name for name in (*HEAVY, "scipy.stats", "formulaic") if name in modules)
    assert loaded == []


def test_omics_de_on_protein_imports_no_heavy_library(protein_h5ad, tmp_path):
    contrasts, h5ad = protein_h5ad
    contrast_id = _first_contrast(contrasts)
    modules = _modules_after(tmp_path, "de", "--h5ad", str(h5ad), "--contrasts", str(contrasts),
                             "--contrast_id", contrast_id, "--modality", "protein",
                             "--outdir", str(tmp_path / "out"))
    assert (tmp_path / "out" / "differential" / f"{contrast_id}.protein.limma.results.tsv").is_file()
    # The design needs formulaic; limma's moderated t takes its tails from scipy.special
    # (scipy.stats only for the robust and trended fits); nothing else heavy.
    assert {"omics.tl._limma", "formulaic"} <= modules
    assert sorted(name for name in (*HEAVY, "scipy.stats") if name in modules) == []
    assert "omics.tl._deseq2" not in modules


def test_omics_enrich_reads_a_table_without_anndata(protein_h5ad, tmp_path):
    contrasts, h5ad = protein_h5ad
    contrast_id = _first_contrast(contrasts)
    de_out = tmp_path / "de"
    de = run_omics("de", "--h5ad", str(h5ad), "--contrasts", str(contrasts), "--contrast_id",
                   contrast_id, "--modality", "protein", "--outdir", str(de_out))
    assert de.returncode == 0, de.stderr
    table = de_out / "differential" / f"{contrast_id}.protein.limma.results.tsv"
    modules = _modules_after(tmp_path, "enrich", "--de_results", str(table), "--gsea_permutations",
                             "100", "--outdir", str(tmp_path / "out"))
    assert (tmp_path / "out" / "enrichment" / f"{contrast_id}.protein.gsea.tsv").is_file()
    # GSEA's kernels need numba; ORA's hypergeometric test is a scipy.special ufunc (not
    # scipy.stats, 0.5-0.8 s of imports); a TSV needs no AnnData.
    assert {"omics.tl._gsea", "numba", "scipy.special"} <= modules
    assert sorted(name for name in ("anndata", "mudata", *HEAVY) if name in modules) == ["numba"]


def test_integration_and_report_modules_import_no_scipy_stats():
    # omics integrate's correlations and Stouffer tails, and the report, need neither
    # scipy.stats nor scikit-learn (0.5-0.8 s and ~1 s of imports in their processes)
    code = ("import json, sys, omics.stages._integrate, omics.stages._report, omics.tl._integrate, "
            "omics.tl._flow, omics.report._sections, omics.report._figures; "
            "print(json.dumps(sorted(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    modules = set(json.loads(done.stdout))
    assert "omics.tl._spearman" in modules
    assert sorted(name for name in ("scipy.stats", "sklearn", "statsmodels") if name in modules) == []


def test_package_namespaces_and_cli_import_no_analysis_library():
    code = ("import json, sys, omics, omics.io, omics.pp, omics.tl, omics.stages, omics.cli; "
            "print(json.dumps(sorted(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    modules = set(json.loads(done.stdout))
    assert sorted(name for name in ("numpy", "pandas", "anndata", "scipy", *HEAVY)
                  if name in modules) == []


def _first_contrast(path: Path) -> str:
    from omics.io import read_contrasts

    return read_contrasts(path)[0].id


@pytest.mark.parametrize(("shape", "k", "solver"), [((24, 500), 10, "arpack"), ((10, 200), 3, "arpack"),
                                                    ((5, 40), 4, "full"), ((6, 3), 2, "full")])
def test_pca_is_exactly_scikit_learns(shape, k, solver):
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(sum(shape) + k)
    x = rng.normal(size=shape) * rng.uniform(0.5, 3.0, size=shape[1])
    x -= x.mean(axis=0)
    scores, components, ratio = _pca(x, k, seed=7, solver=solver)
    model = PCA(n_components=k, svd_solver=solver, random_state=np.random.RandomState(7))
    expected = model.fit_transform(x).astype(np.float32)
    assert scores.dtype == np.float32
    np.testing.assert_array_equal(scores, expected)
    np.testing.assert_array_equal(components, model.components_)
    np.testing.assert_array_equal(ratio, model.explained_variance_ratio_)


@pytest.mark.parametrize(("n_samples", "n_pcs"), [(24, 10), (5, 10)])
def test_sample_qc_pca_is_exactly_scanpys(n_samples, n_pcs):
    """The table ``sample_qc`` wrote with ``scanpy.pp.pca`` before it stopped importing scanpy."""
    import anndata as ad
    import scanpy as sc

    rng = np.random.default_rng(n_samples)
    x = rng.normal(size=(n_samples, 700)) + rng.normal(size=700) * 2
    x[rng.random(x.shape) < 0.05] = np.nan  # protein-like missing values
    adata = ad.AnnData(x)
    table = sample_qc(adata, layer=None, n_pcs=n_pcs, seed=3)

    values = qc_matrix(adata, None)  # the old code from here on, on the complete features
    values = values[:, ~np.isnan(values).any(axis=0)]
    top = np.argsort(-values.var(axis=0), kind="stable")[:500]
    sub = ad.AnnData(values[:, top] - values[:, top].mean(axis=0))
    pcs = min(n_pcs, n_samples - 1, len(top) - 1)
    sc.pp.pca(sub, n_comps=pcs, zero_center=True, random_state=3,
              svd_solver="arpack" if pcs < min(sub.shape) - 1 else "full")
    loadings = np.asarray(sub.varm["PCs"])
    signs = np.sign(loadings[np.abs(loadings).argmax(axis=0), np.arange(loadings.shape[1])])
    np.testing.assert_array_equal(table[[f"PC{i + 1}" for i in range(pcs)]].to_numpy(),
                                  np.asarray(sub.obsm["X_pca"]) * signs)
    assert table.attrs["variance_ratio"] == [float(v) for v in sub.uns["pca"]["variance_ratio"]]
