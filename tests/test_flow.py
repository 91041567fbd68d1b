"""Flow cytometry: Gating-ML compliance, real FCS files, bad input, population tables."""

from __future__ import annotations

import shutil
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from helpers import SHARED, TEST_COHORT, bead_populations, run_omics
from omics.io._flow import gate_sample, read_fcs, read_fcs_header, read_flow_table, read_gating
from omics.stages._flow import default_gating

FLOW = SHARED / "data" / "flow"
GML = FLOW / "gatingml_reference"
PBMC = FLOW / "pbmc_16colour_100715.fcs"
# Truth files whose gate is defined in its own file rather than in gml_all_gates.xml
# (PROVENANCE.md), with the gate's id in that file.
OWN_FILE = {"Ellipsoid3D": ("gml_ellipsoid3d_gate.xml", "Ellipsoid3D"),
            "ParQuadRect": ("gml_parent_quadrant_rect_gate.xml", "ParRectangle1")}


def _need_shared() -> None:
    if not FLOW.is_dir():
        pytest.skip(f"flow test data not found at {FLOW}")


def _truth_ids() -> list[str]:
    if not (GML / "truth").is_dir():
        return ["shared-data-missing"]
    return sorted(p.stem.removeprefix("Results_") for p in (GML / "truth").glob("Results_*.txt"))


@pytest.fixture(scope="module")
def compliance() -> dict:
    _need_shared()
    results = {}
    sample = read_fcs(GML / "data1.fcs")
    for name in ["gml_all_gates.xml", *(f for f, _ in OWN_FILE.values())]:
        strategy = read_gating(GML / "gml" / name).strategy
        results[name] = gate_sample(sample, strategy)
    return results


@pytest.mark.parametrize("gate_id", _truth_ids())
def test_gatingml_compliance_event_for_event(compliance, gate_id):
    """Every Results_<gate>.txt of the ISAC compliance set, through our read/gate path."""
    name, gate = OWN_FILE.get(gate_id, ("gml_all_gates.xml", gate_id))
    table, results = compliance[name]
    truth = pd.read_csv(GML / "truth" / f"Results_{gate_id}.txt", header=None).iloc[:, 0].to_numpy()
    assert len(truth) == 13367
    row = table[table["gate_path"].str.split("/").str[-1] == gate]
    assert len(row) == 1, gate
    membership = results.get_gate_membership(gate)
    np.testing.assert_array_equal(np.asarray(membership, dtype=int), truth)
    assert row["events"].iloc[0] == truth.sum()


def test_compliance_covers_every_truth_file(compliance):
    assert len(_truth_ids()) == 51  # 47 gate definitions; quadrant gates have a file per quadrant


PBMC_GATING = """<?xml version="1.0" encoding="UTF-8"?>
<gating:Gating-ML xmlns:gating="http://www.isac-net.org/std/Gating-ML/v2.0/gating"
    xmlns:transforms="http://www.isac-net.org/std/Gating-ML/v2.0/transformations"
    xmlns:data-type="http://www.isac-net.org/std/Gating-ML/v2.0/datatypes">
  <transforms:transformation transforms:id="asinh">
    <transforms:fasinh transforms:T="262144" transforms:M="4.5" transforms:A="0" />
  </transforms:transformation>
  <gating:RectangleGate gating:id="Lymphocytes">
    <gating:dimension gating:compensation-ref="FCS" gating:min="30000" gating:max="120000">
      <data-type:fcs-dimension data-type:name="FSC-A" /></gating:dimension>
    <gating:dimension gating:compensation-ref="FCS" gating:min="0" gating:max="60000">
      <data-type:fcs-dimension data-type:name="SSC-A" /></gating:dimension>
  </gating:RectangleGate>
  <gating:RectangleGate gating:id="CD3" gating:parent_id="Lymphocytes">
    <gating:dimension gating:compensation-ref="FCS" gating:transformation-ref="asinh" gating:min="0.45">
      <data-type:fcs-dimension data-type:name="CD3" /></gating:dimension>
  </gating:RectangleGate>
  <gating:RectangleGate gating:id="CD4" gating:parent_id="CD3">
    <gating:dimension gating:compensation-ref="FCS" gating:transformation-ref="asinh" gating:min="0.45">
      <data-type:fcs-dimension data-type:name="CD4" /></gating:dimension>
    <gating:dimension gating:compensation-ref="FCS" gating:transformation-ref="asinh" gating:max="0.45">
      <data-type:fcs-dimension data-type:name="CD8" /></gating:dimension>
  </gating:RectangleGate>
  <gating:RectangleGate gating:id="CD8" gating:parent_id="CD3">
    <gating:dimension gating:compensation-ref="FCS" gating:transformation-ref="asinh" gating:max="0.45">
      <data-type:fcs-dimension data-type:name="CD4" /></gating:dimension>
    <gating:dimension gating:compensation-ref="FCS" gating:transformation-ref="asinh" gating:min="0.45">
      <data-type:fcs-dimension data-type:name="CD8" /></gating:dimension>
  </gating:RectangleGate>
</gating:Gating-ML>
"""


def _asinh(x: np.ndarray) -> np.ndarray:
    return np.arcsinh(x * np.sinh(4.5 * np.log(10)) / 262144) / (4.5 * np.log(10))


@pytest.mark.slow
def test_real_pbmc_file_markers_compensation_and_cd3_cd4_cd8_counts(tmp_path):
    _need_shared()
    import flowkit as fk

    header = read_fcs_header(PBMC)
    assert header.event_count == 65016 and header.has_spillover
    assert {"CD3", "CD4", "CD8", "CD19", "KI67"} <= set(header.markers)
    gating = tmp_path / "cd3_cd4_cd8.xml"
    gating.write_text(PBMC_GATING)
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(f"sample,fcs\npbmc,{PBMC}\n")
    result = run_omics("flow_prep", "--samplesheet", str(sheet), "--flow_gating", str(gating),
                       "--outdir", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    flow = ad.read_h5ad(tmp_path / "out" / "flow" / "flow.h5ad")
    ours = dict(zip(flow.var_names, flow.layers["events"][0].astype(int), strict=True))

    # FlowKit directly: the same gates built with its API, compensated from $SPILLOVER
    sample = fk.Sample(str(PBMC))
    strategy = fk.GatingStrategy()
    xform = fk.transforms.AsinhTransform(param_t=262144, param_m=4.5, param_a=0)
    strategy.add_transform("asinh", xform)

    def dim(name, low=None, high=None, transform="asinh"):
        return fk.Dimension(name, compensation_ref="FCS", transformation_ref=transform,
                            range_min=low, range_max=high)

    strategy.add_gate(fk.gates.RectangleGate("Lymphocytes", [dim("FSC-A", 30000, 120000, None),
                                                             dim("SSC-A", 0, 60000, None)]), ("root",))
    strategy.add_gate(fk.gates.RectangleGate("CD3", [dim("CD3", 0.45)]), ("root", "Lymphocytes"))
    strategy.add_gate(fk.gates.RectangleGate("CD4", [dim("CD4", 0.45), dim("CD8", None, 0.45)]),
                      ("root", "Lymphocytes", "CD3"))
    strategy.add_gate(fk.gates.RectangleGate("CD8", [dim("CD4", None, 0.45), dim("CD8", 0.45)]),
                      ("root", "Lymphocytes", "CD3"))
    direct = strategy.gate_sample(sample)
    for gate in ("Lymphocytes", "CD3", "CD4", "CD8"):
        assert ours[gate] == direct.get_gate_count(gate), gate
    assert ours["CD3"] > 1000 and ours["CD4"] > 100 and ours["CD8"] > 100

    # compensation really applied: the same gates on compensated events (numpy) agree,
    # on uncompensated events they do not
    spill = sample.metadata["spill"]
    detectors = [sample.pnn_labels[i] for i in sample.fluoro_indices]
    matrix = fk.Matrix(spill, detectors, [sample.pns_labels[i] for i in sample.fluoro_indices])
    comp = matrix.apply(sample)
    raw = sample.get_events(source="raw")

    def counts(events):
        col = {m: sample.pns_labels.index(m) for m in ("CD3", "CD4", "CD8")}
        fsc, ssc = events[:, sample.pnn_labels.index("FSC-A")], events[:, sample.pnn_labels.index("SSC-A")]
        lymph = (fsc >= 30000) & (fsc < 120000) & (ssc >= 0) & (ssc < 60000)
        cd3 = lymph & (_asinh(events[:, col["CD3"]]) >= 0.45)
        cd4, cd8 = _asinh(events[:, col["CD4"]]), _asinh(events[:, col["CD8"]])
        return {"CD3": cd3.sum(), "CD4": (cd3 & (cd4 >= 0.45) & (cd8 < 0.45)).sum(),
                "CD8": (cd3 & (cd4 < 0.45) & (cd8 >= 0.45)).sum()}

    assert counts(comp) == {k: ours[k] for k in ("CD3", "CD4", "CD8")}
    assert counts(raw) != counts(comp)


# --------------------------------------------------------------------------------------
# Bad input: one message naming the file and the channel/sample, exit 2, nothing written
# --------------------------------------------------------------------------------------


def _small_cohort(tmp_path: Path, n: int = 3) -> tuple[Path, Path]:
    """A sheet of the first n test-cohort samples and a folder with their FCS files."""
    sheet = pd.read_csv(TEST_COHORT / "samplesheet.csv").head(n)
    path = tmp_path / "sheet.csv"
    sheet.to_csv(path, index=False)
    folder = tmp_path / "fcs"
    folder.mkdir()
    for sample in sheet["sample"]:
        shutil.copy(TEST_COHORT / "fcs" / f"{sample}.fcs", folder / f"{sample}.fcs")
    return path, folder


def _fails(result, *needles: str) -> str:
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.strip().splitlines() if line.startswith("omics: error")]
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


@pytest.mark.slow
def test_good_fcs_input_runs(tmp_path):
    sheet, folder = _small_cohort(tmp_path)
    result = run_omics("flow_prep", "--samplesheet", str(sheet), "--flow_fcs", str(folder),
                       "--flow_beads_per_test", "50000", "--outdir", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    flow = ad.read_h5ad(tmp_path / "out" / "flow" / "flow.h5ad")
    # the counting beads are the tube's reference, kept per sample, not a population to test
    assert list(flow.var_names) == ["Leukocytes", "Viable", "LymphBlast", "CD34", "CD34_CD133", "CD34_KDR"]
    assert {"events", "percent_of_parent", "absolute"} <= set(flow.layers)
    events = pd.DataFrame(flow.layers["events"], index=flow.obs_names, columns=flow.var_names)
    percent = pd.DataFrame(flow.layers["percent_of_parent"], index=flow.obs_names, columns=flow.var_names)
    np.testing.assert_allclose(percent["CD34_KDR"], 100 * events["CD34_KDR"] / events["CD34"])
    absolute = pd.DataFrame(flow.layers["absolute"], index=flow.obs_names, columns=flow.var_names)
    np.testing.assert_allclose(absolute["CD34"], events["CD34"] / flow.obs["bead_events"] * 50000 / 100)
    # the committed population table is the same gating (as a FlowJo export would be)
    table = read_flow_table(TEST_COHORT / "flow_populations.tsv")
    wide = table.pivot(index="sample", columns="population", values="events")
    pd.testing.assert_frame_equal(events.astype(int), wide.loc[events.index, events.columns].astype(int),
                                  check_names=False)
    np.testing.assert_array_equal(flow.obs["bead_events"], wide.loc[flow.obs_names, "Beads"])
    qc = pd.read_csv(tmp_path / "out" / "qc" / "flow.qc.tsv", sep="\t")
    assert list(qc["sample"]) == list(flow.obs_names) and (qc["total_events"] == 5000).all()
    assert qc["viability_percent"].between(80, 100).all()
    plots = sorted((tmp_path / "out" / "flow" / "gating_plots").glob("*.png"))
    assert [p.stem for p in plots] == sorted(flow.obs_names)
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in plots)


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["truncated", "not_fcs"])
def test_broken_fcs_file_stops(tmp_path, damage):
    sheet, folder = _small_cohort(tmp_path)
    target = folder / "BALI002.fcs"
    data = target.read_bytes()
    target.write_bytes(data[: len(data) // 2] if damage == "truncated" else b"sample,value\nBALI002,1\n" * 50)
    result = run_omics("flow_prep", "--samplesheet", str(sheet), "--flow_fcs", str(folder),
                       "--outdir", str(tmp_path / "out"))
    _fails(result, "BALI002.fcs", "FCS")
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_gating_channel_missing_from_file_stops(tmp_path):
    _need_shared()
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(f"sample,fcs\ndata1,{GML / 'data1.fcs'}\n")
    result = run_omics("flow_prep", "--samplesheet", str(sheet), "--outdir", str(tmp_path / "out"))
    line = _fails(result, "data1.fcs", "'CD45'", "data1")  # the shipped template needs CD45
    assert "bmmnc_progenitors.gating.xml" in line
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_sample_without_fcs_file_stops(tmp_path):
    sheet, folder = _small_cohort(tmp_path)
    (folder / "BALI003.fcs").unlink()
    result = run_omics("flow_prep", "--samplesheet", str(sheet), "--flow_fcs", str(folder),
                       "--outdir", str(tmp_path / "out"))
    _fails(result, "'BALI003'", str(folder))
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_omics_run_with_bad_flow_input_writes_nothing(tmp_path):
    sheet, folder = _small_cohort(tmp_path, n=40)
    (folder / "BALI007.fcs").unlink()
    result = run_omics("run", "--input", str(sheet), "--contrasts", str(TEST_COHORT / "contrasts.yaml"),
                       "--rna_counts", str(TEST_COHORT / "salmon.merged.gene_counts.tsv"),
                       "--flow_fcs", str(folder), "--outdir", str(tmp_path / "out"))
    _fails(result, "'BALI007'")
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_population_table_child_larger_than_parent_stops(tmp_path):
    table = pd.read_csv(TEST_COHORT / "flow_populations.tsv", sep="\t")
    bad = (table["sample"] == "BALI002") & (table["population"] == "CD34_KDR")
    table.loc[bad, "events"] = table.loc[bad, "parent_events"] + 1
    path = tmp_path / "populations.tsv"
    table.to_csv(path, sep="\t", index=False)
    sheet, _ = _small_cohort(tmp_path)
    result = run_omics("flow_prep", "--samplesheet", str(sheet), "--flow_table", str(path),
                       "--outdir", str(tmp_path / "out"))
    _fails(result, "populations.tsv", "'BALI002'", "'CD34_KDR'", "parent")
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_population_table_from_parent_names_crlf_bom_same_result(tmp_path):
    """A FlowJo-style export (parent by name, CRLF, BOM, commas) gives the FCS route's numbers."""
    table = pd.read_csv(TEST_COHORT / "flow_populations.tsv", sep="\t")
    export = table.drop(columns=["parent_events"]).rename(
        columns={"sample": "Sample", "population": "Population", "parent": "Parent", "events": "Count"})
    export.loc[export["Parent"] == "root", "Parent"] = ""
    # top-level populations need their parent count: give the acquired events
    export["Parent count"] = np.where(export["Parent"] == "", 5000, np.nan)
    path = tmp_path / "export.csv"
    path.write_bytes(("\ufeff" + export.to_csv(index=False, lineterminator="\r\n")).encode())
    sheet, _ = _small_cohort(tmp_path, n=40)
    clean = run_omics("flow_prep", "--samplesheet", str(sheet), "--flow_table",
                      str(TEST_COHORT / "flow_populations.tsv"), "--outdir", str(tmp_path / "a"))
    odd = run_omics("flow_prep", "--samplesheet", str(sheet), "--flow_table", str(path),
                    "--outdir", str(tmp_path / "b"))
    assert clean.returncode == 0 and odd.returncode == 0, clean.stderr + odd.stderr
    a, b = (ad.read_h5ad(tmp_path / d / "flow" / "flow.h5ad") for d in ("a", "b"))
    for layer in ("events", "parent_events", "percent_of_parent", "absolute"):
        np.testing.assert_array_equal(a.layers[layer], b.layers[layer])


def test_default_template_is_documented_gating_ml():
    template = read_gating(default_gating()).strategy
    gates = {gate_id for gate_id, _ in template.get_gate_ids()}
    assert gates == {"Beads", "Leukocytes", "Viable", "LymphBlast", "CD34", "CD34_CD133", "CD34_KDR"}
    readme = (default_gating().parent / "README.md").read_text()
    for marker in ("FSC-A", "SSC-A", "CD45", "CD34", "CD133", "KDR", "7-AAD"):
        assert marker in readme


# --------------------------------------------------------------------------------------
# Simulator and the analysis stages on the test cohort
# --------------------------------------------------------------------------------------


def test_simulator_reproduces_the_committed_test_cohort_byte_for_byte(tmp_path):
    """Flow files come from their own random stream: RNA, protein and sheet are unchanged."""
    from omics.simulate import simulate_cohort

    simulate_cohort(tmp_path / "cohort", profile="test")
    committed = sorted(p.relative_to(TEST_COHORT) for p in TEST_COHORT.rglob("*") if p.is_file())
    written = sorted(p.relative_to(tmp_path / "cohort") for p in (tmp_path / "cohort").rglob("*")
                     if p.is_file() and p.name != "simulate.record")
    assert written == committed
    for name in committed:
        assert (tmp_path / "cohort" / name).read_bytes() == (TEST_COHORT / name).read_bytes(), name


@pytest.mark.slow
def test_gating_plots_turned_off_on_a_rerun(tmp_path):
    import hashlib

    outdir = tmp_path / "out"
    args = ["run", "--input", str(TEST_COHORT / "samplesheet.csv"),
            "--contrasts", str(TEST_COHORT / "contrasts.yaml"),
            "--protein_matrix", str(TEST_COHORT / "proteinGroups.txt"),
            "--flow_fcs", str(TEST_COHORT / "fcs"), "--flow_beads_per_test", "50000",
            "--outdir", str(outdir)]
    first = run_omics(*args)
    assert first.returncode == 0, first.stderr[-3000:]
    plots = outdir / "flow" / "gating_plots"
    assert len(list(plots.glob("*.png"))) == 40
    h5ad = (outdir / "flow" / "flow.h5ad").read_bytes()
    assert "<figcaption>BALI001</figcaption>" in (outdir / "report" / "index.html").read_text()
    second = run_omics(*args, "--flow_gating_plots", "false")
    assert second.returncode == 0, second.stderr[-3000:]
    assert "flow_prep: removed 40 file(s) its previous run wrote" in second.stderr
    assert not plots.exists()
    # the gating counts do not depend on the plots: everything downstream stays cached
    assert hashlib.sha256((outdir / "flow" / "flow.h5ad").read_bytes()).digest() == \
        hashlib.sha256(h5ad).digest()
    trace = pd.read_csv(outdir / "pipeline_info" / "execution_trace.tsv", sep="\t")
    ran = set(trace.loc[trace["status"] == "completed", "task"])
    assert ran == {"validate", "flow_prep", "report"}, ran
    html = (outdir / "report" / "index.html").read_text()
    assert "Gating plots were not drawn" in html
    assert "<figcaption>BALI001</figcaption>" not in html


@pytest.fixture(scope="module")
def cohort_flow(tmp_path_factory) -> Path:
    outdir = tmp_path_factory.mktemp("flow")
    result = run_omics("flow_prep", "--samplesheet", str(TEST_COHORT / "samplesheet.csv"),
                       "--flow_fcs", str(TEST_COHORT / "fcs"), "--flow_beads_per_test", "50000",
                       "--outdir", str(outdir))
    assert result.returncode == 0, result.stderr
    return outdir


@pytest.mark.slow
def test_planted_progenitor_content_is_in_the_gated_data(cohort_flow):
    flow = ad.read_h5ad(cohort_flow / "flow" / "flow.h5ad")
    latent = pd.read_csv(TEST_COHORT / "truth_patients.tsv", sep="\t").set_index("sample")
    planted = pd.read_csv(TEST_COHORT / "truth_flow.tsv", sep="\t").set_index("sample")
    percent = pd.DataFrame(flow.layers["percent_of_parent"], index=flow.obs_names, columns=flow.var_names)
    rho = percent["CD34_KDR"].corr(latent.loc[flow.obs_names, "potency_factor"], method="spearman")
    assert rho > 0.6
    # bead-based absolute leukocyte counts recover the simulated concentration
    absolute = pd.DataFrame(flow.layers["absolute"], index=flow.obs_names, columns=flow.var_names)
    ratio = absolute["Leukocytes"] / planted.loc[flow.obs_names, "leukocytes_per_ul"]
    assert ratio.between(0.75, 1.15).all()


@pytest.mark.slow
def test_flow_scores_limma_and_response_model(cohort_flow):
    h5ad = cohort_flow / "flow" / "flow.h5ad"
    score = run_omics("score", "--flow_h5ad", str(h5ad), "--cv_repeats", "5", "--outdir", str(cohort_flow))
    assert score.returncode == 0, score.stderr
    model = pd.read_csv(cohort_flow / "scores" / "response_model.tsv", sep="\t").set_index("score")
    assert set(model["modality"]) == {"flow"}
    assert "dose:CD34_absolute" in model.index and "Beads" not in model.index
    roles = pd.read_csv(TEST_COHORT / "truth_flow_populations.tsv", sep="\t").set_index("population")
    assert model.loc["CD34_KDR", "classification"] == roles.loc["CD34_KDR", "role"] == "predictive"
    de = run_omics("de", "--h5ad", str(h5ad), "--contrasts", str(TEST_COHORT / "contrasts.yaml"),
                   "--contrast_id", "arm_x_response", "--modality", "flow", "--outdir", str(cohort_flow))
    assert de.returncode == 0, de.stderr
    table = pd.read_csv(cohort_flow / "differential" / "arm_x_response.flow.limma.results.tsv", sep="\t")
    assert list(table.columns) == ["feature_id", "gene_name", "logFC", "AveExpr", "t", "P.Value",
                                   "adj.P.Val", "B"]
    assert table.set_index("feature_id").loc["CD34_KDR", "logFC"] > 0
    # the six cell populations are tested (and share the BH correction), not the counting beads
    assert sorted(table["feature_id"]) == ["CD34", "CD34_CD133", "CD34_KDR", "Leukocytes", "LymphBlast",
                                           "Viable"]


def test_counting_beads_leave_the_populations_for_the_samples_obs():
    """drop_counting_beads: the bead gate's events move to obs; nothing else changes."""
    from omics.pp import absolute_counts, drop_counting_beads, populations_anndata

    long = bead_populations()
    adata = populations_anndata(long, ["S1", "S2"])
    absolute_counts(adata, beads_per_test=50000, bead_gate="Beads", sample_volume_ul=100)
    cells = drop_counting_beads(adata, bead_gate="Beads")
    assert list(cells.var_names) == ["Leukocytes", "CD34"] and list(adata.var_names)[0] == "Beads"
    assert list(cells.obs["bead_events"]) == [500.0, 250.0]
    np.testing.assert_array_equal(cells.layers["absolute"], [[8000.0, 40.0], [18000.0, 180.0]])
    np.testing.assert_array_equal(cells.X, adata.X[:, 1:])
    assert drop_counting_beads(cells, bead_gate="Beads") is cells  # no bead gate: as it is


def test_flowjo_workspace_gives_the_gating_ml_counts(tmp_path):
    """The same strategy as a FlowJo 10 workspace (written by FlowKit) and as Gating-ML."""
    import flowkit as fk

    from omics.stages._flow import gate_files

    files = {s: TEST_COHORT / "fcs" / f"{s}.fcs" for s in ("BALI001", "BALI002", "BALI003")}
    strategy = fk.GatingStrategy()
    strategy.add_transform("logicle", fk.transforms.LogicleTransform(param_t=262144, param_w=0.5,
                                                                     param_m=4.5, param_a=0))

    def dim(name, low=None, high=None, transform="logicle"):
        return fk.Dimension(name, compensation_ref="uncompensated", transformation_ref=transform,
                            range_min=low, range_max=high)

    strategy.add_gate(fk.gates.RectangleGate("Cells", [dim("FSC-A", 15000, 262144, None),
                                                       dim("SSC-A", 0, 262144, None)]), ("root",))
    strategy.add_gate(fk.gates.RectangleGate("CD45dim_CD34", [dim("FL1-A", 0.3, 0.62),
                                                              dim("FL2-A", 0.6, 1.0)]), ("root", "Cells"))
    session = fk.Session(gating_strategy=strategy)
    session.add_samples([fk.Sample(str(path)) for path in files.values()])
    with (tmp_path / "strategy.wsp").open("wb") as handle:
        session.export_wsp(handle, "All Samples")
    with (tmp_path / "strategy.xml").open("wb") as handle:
        fk.export_gatingml(strategy, handle)
    from_gml = gate_files(files, tmp_path / "strategy.xml", plots=False)
    from_wsp = gate_files(files, tmp_path / "strategy.wsp", plots=False)
    for a, b in zip(from_gml, from_wsp, strict=True):
        pd.testing.assert_frame_equal(a["table"], b["table"])
        assert a["table"].set_index("population").loc["CD45dim_CD34", "events"] > 20
