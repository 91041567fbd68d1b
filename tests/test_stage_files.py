"""How stages read the AnnData files of the preparation stages (omics.stages._common)."""

from __future__ import annotations

from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from omics._errors import InputError
from omics.stages._common import read_h5ad


@pytest.fixture
def h5ad(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    counts = rng.poisson(20, (6, 4))
    adata = ad.AnnData(counts.copy(), obs=pd.DataFrame({"arm": pd.Categorical(["a", "b"] * 3)},
                                                       index=[f"S{i}" for i in range(6)]),
                       var=pd.DataFrame({"gene_name": list("WXYZ")}, index=list("ABCD")),
                       layers={"counts": counts, "vst": np.log2(counts + 1.0)},
                       uns={"modality": "rna", "rna_filter": {"min_count": 10}},
                       obsm={"X_pca": rng.normal(size=(6, 2))})
    adata.write_h5ad(tmp_path / "rna.h5ad")
    return tmp_path / "rna.h5ad"


def test_a_stage_reads_only_the_layers_it_uses(h5ad: Path) -> None:
    whole = ad.read_h5ad(h5ad)
    part = read_h5ad(h5ad, layers=("vst",))
    assert part.X is None and list(part.layers) == ["vst"]
    np.testing.assert_array_equal(part.layers["vst"], whole.layers["vst"])
    pd.testing.assert_frame_equal(part.obs, whole.obs)
    pd.testing.assert_frame_equal(part.var, whole.var)
    assert part.uns["rna_filter"] == whole.uns["rna_filter"] and part.uns["modality"] == "rna"
    np.testing.assert_array_equal(part.obsm["X_pca"], whole.obsm["X_pca"])


def test_x_is_read_when_a_layer_is_missing_and_everything_without_layers(h5ad: Path) -> None:
    # e.g. qPCR RNA: no counts layer, the stage uses X
    part = read_h5ad(h5ad, layers=("counts", "log2"))
    assert list(part.layers) == ["counts"]
    np.testing.assert_array_equal(part.X, ad.read_h5ad(h5ad).X)
    whole = read_h5ad(h5ad)
    assert sorted(whole.layers) == ["counts", "vst"] and whole.X is not None


def test_a_missing_file_names_the_stage_to_run_first(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="run the preparation stage first"):
        read_h5ad(tmp_path / "rna.h5ad", layers=("counts",))
