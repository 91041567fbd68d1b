"""Flow and qPCR API audit (h40/api findings 6-11 and 16): wrong inputs stop with one line.

Each bad input gives one :class:`omics._errors.InputError` line naming the function, the
key and the fix, instead of a bare Python error or a silently wrong result. Small
hand-built inputs; the test-cohort FCS file and the shipped gating template for
:func:`omics.io.gate_sample`.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import anndata as ad
import mudata as md
import numpy as np
import pandas as pd
import pytest

from helpers import REPO, TEST_COHORT, bead_populations
from helpers import raises_one_line as _raises
from omics.io import gate_sample, read_fcs, read_gating, read_qpcr_efficiency
from omics.pp import (
    absolute_counts,
    flow_qc,
    flow_scores,
    genorm,
    populations_anndata,
    qpcr_average_replicates,
    qpcr_delta_ct,
)
from omics.tl import flow_score_correlation

# Duplicate wells of four samples (tests/test_qpcr.py's hand example).
HAND = {"S1": {"REF1": (20.0, 20.2), "REF2": (22.0, 22.0), "VEGFA": (25.0, 25.2)},
        "S2": {"REF1": (19.9, 20.1), "REF2": (21.8, 22.2), "VEGFA": (24.8, 25.0)},
        "S3": {"REF1": (20.5, 20.5), "REF2": (22.5, 22.3), "VEGFA": (23.0, 23.2)},
        "S4": {"REF1": (20.0, 20.0), "REF2": (22.2, 22.0), "VEGFA": (23.4, 23.0)}}
REFS = ["REF1", "REF2"]


def _wells() -> pd.DataFrame:
    """The long table of :func:`omics.io.read_qpcr` for :data:`HAND`."""
    rows = [{"sample": s, "target": t, "replicate": str(i + 1), "plate": "", "ct": ct}
            for s, targets in HAND.items() for t, cts in targets.items() for i, ct in enumerate(cts)]
    return pd.DataFrame(rows)


def _cts() -> ad.AnnData:
    return qpcr_average_replicates(_wells())[0]


def _flow(samples: tuple[str, ...] = ("S1", "S2")) -> ad.AnnData:
    return populations_anndata(bead_populations(), list(samples))


def _counted() -> ad.AnnData:
    adata = _flow()
    absolute_counts(adata, beads_per_test=50000)
    return adata


def _parameters(doc: str) -> str:
    """The Parameters section of a numpydoc docstring, dedented, without its heading."""
    text = inspect.cleandoc(doc).split("Parameters\n----------\n")[1]
    return text.split("Returns\n")[0]


# --------------------------------------------------------------------------------------
# Finding 6: bare Python errors become one-line omics messages
# --------------------------------------------------------------------------------------


def _gate_lacking_channel(tmp_path: Path) -> None:
    """Gate a test-cohort file whose KDR marker is renamed with the shipped BM-MNC template."""
    data = (TEST_COHORT / "fcs" / "BALI001.fcs").read_bytes()
    assert data.count(b"/$P7S/KDR/") == 1
    path = tmp_path / "BALI001.fcs"
    path.write_bytes(data.replace(b"/$P7S/KDR/", b"/$P7S/KDX/"))  # same length: offsets stay
    strategy = read_gating(REPO / "metadata" / "flow" / "bmmnc_progenitors.gating.xml").strategy
    gate_sample(read_fcs(path, sample_id="BALI001"), strategy)


FINDING_6 = {
    "flow_scores_before_absolute_counts": (
        lambda _: flow_scores(_flow()), ("pp.flow_scores", "layers['absolute']", "pp.absolute_counts")),
    "absolute_counts_sample_volume_0": (
        lambda _: absolute_counts(_flow(), beads_per_test=50000, sample_volume_ul=0),
        ("pp.absolute_counts", "sample_volume_ul is 0", "positive")),
    "absolute_counts_ndarray_cell_count": (
        lambda _: absolute_counts(_flow(), cell_count=np.array([1000.0, 2000.0])),
        ("pp.absolute_counts", "got ndarray for cell_count", "pandas Series indexed by sample")),
    "absolute_counts_mudata": (
        lambda _: absolute_counts(md.MuData({"flow": _flow()}), beads_per_test=50000),
        ("pp.absolute_counts", "got MuData", "mdata['flow']")),
    "absolute_counts_dataframe": (
        lambda _: absolute_counts(bead_populations(), beads_per_test=50000),
        ("pp.absolute_counts", "got DataFrame", "pp.populations_anndata")),
    "populations_anndata_no_parent_events": (
        lambda _: populations_anndata(bead_populations().drop(columns="parent_events"), ["S1", "S2"]),
        ("pp.populations_anndata", "'parent_events'", "read_flow_table")),
    "populations_anndata_duplicated_row": (
        lambda _: populations_anndata(pd.concat([bead_populations(), bead_populations().iloc[[2]]]),
                                      ["S1", "S2"]),
        ("pp.populations_anndata", "sample 'S1' lists population 'CD34' twice")),
    "gate_sample_file_lacks_channel": (
        _gate_lacking_channel, ("io.gate_sample", "'BALI001'", "'KDR'", "lacks", "CD45")),
    "qpcr_average_replicates_no_ct": (
        lambda _: qpcr_average_replicates(_wells().drop(columns="ct")),
        ("pp.qpcr_average_replicates", "no 'ct' column", "io.read_qpcr")),
    "qpcr_average_replicates_wide": (
        lambda _: qpcr_average_replicates(pd.DataFrame({"target": ["VEGFA"], "S1": [25.0]})),
        ("pp.qpcr_average_replicates", "'sample', 'ct'", "io.read_qpcr")),
    "qpcr_delta_ct_dataframe": (
        lambda _: qpcr_delta_ct(pd.DataFrame(_cts().layers["ct"]), reference_genes=REFS),
        ("pp.qpcr_delta_ct", "got DataFrame", "pp.qpcr_average_replicates")),
    "flow_score_correlation_anndata": (
        lambda _: flow_score_correlation(_counted(), pd.DataFrame(
            {"sample": ["S1"], "modality": ["rna"], "term": ["t"], "score": [1.0]})),
        ("tl.flow_score_correlation", "got AnnData for flow", "pp.flow_scores(adata)")),
    "flow_score_correlation_wide_scores": (
        lambda _: flow_score_correlation(flow_scores(_counted()),
                                         pd.DataFrame({"t": [1.0, 2.0]}, index=["S1", "S2"])),
        ("tl.flow_score_correlation", "'modality'", "'term'", "'score'", "sample, modality, term, score")),
}


@pytest.mark.parametrize("case", list(FINDING_6))
def test_finding6_wrong_input_gives_one_line_message(case, tmp_path):
    call, needles = FINDING_6[case]
    _raises(lambda: call(tmp_path), *needles)


# --------------------------------------------------------------------------------------
# Finding 7: qPCR efficiencies are amplification factors in (1, 2.2]
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "needles"), [
    (95.0, ("efficiency 95 for target 'VEGFA'", "(1, 2.2]", "pass 1.95 for 95 %")),
    (1.0, ("efficiency 1 for target 'VEGFA'", "(1, 2.2]", "1.95 for 95 %")),
    (-2.0, ("efficiency -2 for target 'VEGFA'", "(1, 2.2]")),
    (2.5, ("efficiency 2.5 for target 'VEGFA'", "(1, 2.2]")),
    (np.nan, ("efficiency NaN for target 'VEGFA'",)),
])
def test_finding7_efficiency_outside_factor_range_stops(value, needles, tmp_path):
    adata = _cts()
    _raises(lambda: qpcr_delta_ct(adata, reference_genes=REFS, efficiency=pd.Series({"VEGFA": value})),
            "pp.qpcr_delta_ct", *needles)
    ct = pd.DataFrame(adata.layers["ct"], index=adata.obs_names, columns=adata.var_names)
    _raises(lambda: genorm(ct, efficiency=pd.Series({"VEGFA": value})), "pp.genorm", *needles)
    # the same bounds as the reader, which converts the percentage to the factor the API takes
    path = tmp_path / "eff.tsv"
    path.write_text("target\tefficiency\nVEGFA\t95\n")
    factor = read_qpcr_efficiency(path)
    assert factor.to_dict() == pytest.approx({"VEGFA": 1.95})
    out = qpcr_delta_ct(adata, reference_genes=REFS, efficiency=factor)
    expected = np.mean(HAND["S1"]["VEGFA"]) * np.log2(1.95) - np.mean([20.1, 22.0])
    assert out[["S1"], ["VEGFA"]].layers["delta_ct"].item() == pytest.approx(expected)


# --------------------------------------------------------------------------------------
# Finding 8: geNorm with missing Cts stops naming the genes
# --------------------------------------------------------------------------------------


def test_finding8_genorm_with_nan_ct_names_the_genes():
    adata = _cts()
    ct = pd.DataFrame(adata.layers["ct"], index=adata.obs_names, columns=adata.var_names)
    ct.loc["S2", "REF2"] = np.nan
    text = _raises(lambda: genorm(ct.assign(REF1=np.nan)), "pp.genorm", "'REF1' (4 of 4 samples)",
                   "'REF2' (1 of 4 samples)", "NaN")
    assert "'VEGFA'" not in text
    result = genorm(ct.dropna(axis=1))  # detected Cts: VEGFA and REF1 remain, both chosen
    assert sorted(result.references) == ["REF1", "VEGFA"]


# --------------------------------------------------------------------------------------
# Finding 9: reference_genes=[] is documented as geNorm's choice (what omics run passes)
# --------------------------------------------------------------------------------------


def test_finding9_empty_reference_list_is_documented_as_genorm():
    doc = _parameters(qpcr_delta_ct.__doc__)
    reference_doc = " ".join(doc.split("reference_genes\n")[1].split("candidates\n")[0].split())
    assert "None or empty" in reference_doc and "targets of interest included" in reference_doc
    adata = _cts()
    empty, none = qpcr_delta_ct(adata, reference_genes=[]), qpcr_delta_ct(adata, reference_genes=None)
    assert empty.uns["qpcr"]["reference_source"] == none.uns["qpcr"]["reference_source"] == "geNorm"
    assert empty.uns["qpcr"]["reference_genes"] == none.uns["qpcr"]["reference_genes"]
    np.testing.assert_array_equal(empty.X, none.X)


# --------------------------------------------------------------------------------------
# Finding 10: counting beads > 0, and not with a cell count
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kwargs", "needles"), [
    ({"beads_per_test": -5}, ("beads_per_test is -5", "positive number")),
    ({"beads_per_test": 0}, ("beads_per_test is 0", "positive number")),
    ({"beads_per_test": float("nan")}, ("beads_per_test is nan", "positive number")),
    ({"beads_per_test": 50000, "cell_count": pd.Series({"S1": 1000.0, "S2": 2000.0}, name="wbc_per_ul")},
     ("beads_per_test and cell_count are two sources of the absolute counts; give one",
      "Leave cell_count unset to count with the beads")),
])
def test_finding10_bad_bead_options_stop(kwargs, needles):
    adata = _flow()
    _raises(lambda: absolute_counts(adata, **kwargs), "pp.absolute_counts", *needles)
    assert "absolute" not in adata.layers
    assert absolute_counts(adata, beads_per_test=50000) == "cells_per_uL"
    # S1: 40 CD34 events / 500 bead events x 50000 beads / 100 uL
    assert adata[["S1"], ["CD34"]].layers["absolute"].item() == pytest.approx(40 / 500 * 50000 / 100)


# --------------------------------------------------------------------------------------
# Finding 11: populations_anndata stops where a sample or population would be all NaN
# --------------------------------------------------------------------------------------


def _misspelt(name: str = "cd34") -> pd.DataFrame:
    """The bead table with sample S2's CD34 row spelt ``name``."""
    long = bead_populations()
    long.loc[5, "population"] = name
    return long


FINDING_11 = {
    "case_spelling": (lambda: populations_anndata(_misspelt(), ["S1", "S2"]),
                      ("'CD34' (sample 'S1') and 'cd34' (sample 'S2') differ only in case",)),
    "other_spelling": (lambda: populations_anndata(_misspelt("CD-34"), ["S1", "S2"]),
                       ("sample 'S1' has no row for population(s) 'CD-34'", "Add the missing rows")),
    "missing_row": (lambda: populations_anndata(bead_populations().drop(index=5), ["S1", "S2"]),
                    ("sample 'S2' has no row for population(s) 'CD34'", "Add the missing rows")),
    "sample_without_rows": (lambda: populations_anndata(bead_populations(), ["S1", "S2", "GHOST"]),
                            ("sample(s) GHOST have no rows in the flow population table; add them or "
                             "drop the samples",)),
}


@pytest.mark.parametrize("case", list(FINDING_11))
def test_finding11_populations_anndata_stops_before_nan_cells(case):
    call, needles = FINDING_11[case]
    _raises(call, "pp.populations_anndata", *needles)
    # the rows of other samples are left out; the result has no NaN cell
    one = populations_anndata(bead_populations(), ["S2"])
    assert list(one.obs_names) == ["S2"] and list(one.var_names) == ["Beads", "Leukocytes", "CD34"]
    assert np.isfinite(one.layers["events"]).all()


# --------------------------------------------------------------------------------------
# Finding 16: flow_qc viable_gate; read_qpcr_efficiency's path parameter
# --------------------------------------------------------------------------------------


def test_finding16_flow_qc_unknown_viable_gate_stops_default_absent_is_nan():
    adata = _counted()
    _raises(lambda: flow_qc(adata, min_events=50, viable_gate="viable"), "pp.flow_qc",
            "viable_gate 'viable' is not a flow population", "populations: Beads, Leukocytes, CD34")
    qc = flow_qc(adata, min_events=50)  # the default "Viable", absent here: NaN, as documented
    assert qc["viability_percent"].isna().all()
    qc = flow_qc(adata, min_events=50, viable_gate="Leukocytes")
    assert qc["viability_percent"].tolist() == pytest.approx([80.0, 90.0])


def test_finding16_read_qpcr_efficiency_documents_path():
    doc = _parameters(read_qpcr_efficiency.__doc__)
    assert doc.startswith("path\n    ")
    assert "efficiency table" in doc
