"""Audit h45 (stages one at a time): fixes of F1, F2, F3, F5 and F6 a, b, g.

- F1: a stage command records the parameters it ran with in its task manifest; the report
  states them for the tables they shaped (or names the tasks rerun by hand) and never
  claims the tables were computed with a value a later stage command changed.
- F2: ``omics integrate`` checks the columns of ``--scores`` (and of its other tables)
  before any job writes.
- F3: ``integration/pathway_evidence.tsv`` has its modalities in one order whatever the
  order of ``--gsea_results``.
- F5: ``omics enrich --genesets`` with a panel without a gene of the data stops as
  ``omics validate`` does.
- F6: an empty concordance is logged (``--scores`` without ``--flow_h5ad`` stops: audit46); a missing
  ``--de_results`` of ``omics enrich`` is "file not found".
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from helpers import QUICK, TEST_COHORT, run_omics, stage_test_cohort
from helpers import run_omics_ok as _ok
from omics.params import defaults

C = TEST_COHORT
CONTRAST = "response_arm_adjusted"
RNA_DE = f"differential/{CONTRAST}.rna.deseq2.results.tsv"
DE_TASK = f"de.{CONTRAST}.rna"


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Stage commands into one folder: rna_prep with rna_min_count 5, de with deseq2_alpha 0.01."""
    return stage_test_cohort(tmp_path_factory.mktemp("audit45") / "results", CONTRAST, flow=True,
                             de=("rna",), rna_prep_args=("--rna_min_count", "5"),
                             de_args=("--deseq2_alpha", "0.01"))


def _copy(staged: Path, tmp_path: Path) -> Path:
    target = tmp_path / "results"
    shutil.copytree(staged, target)
    return target


def _text(results: Path) -> str:
    page = (results / "report" / "index.html").read_text()
    page = re.sub(r"<script.*?</script>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def _as_run(results: Path) -> None:
    """Give the folder the record of an ``omics run`` with the default parameters."""
    record = results / "pipeline_info" / "params.yaml"
    record.write_text(yaml.safe_dump({**defaults(), "outdir": str(results)}, sort_keys=True))


# -- F1 ---------------------------------------------------------------------------------------

def test_f1_stage_command_records_its_parameters(staged: Path) -> None:
    manifest = json.loads((staged / "pipeline_info/cache" / f"{DE_TASK}.json").read_text())
    assert manifest["key"] is None
    assert manifest["params"]["deseq2_alpha"] == 0.01
    assert "n_cpus" not in manifest["params"]
    prep = json.loads((staged / "pipeline_info/cache/rna_prep.json").read_text())
    assert prep["params"]["rna_min_count"] == 5


def test_f1_report_of_stage_folder_states_the_values_the_tasks_ran_with(staged: Path,
                                                                       tmp_path: Path) -> None:
    results = _copy(staged, tmp_path)
    _ok("report", "--results_dir", str(results))
    text = _text(results)
    assert "genes with at least 5 counts" in text  # not the report's default 10†
    assert "for an FDR of 0.01," in text


def test_f1_report_of_run_folder_takes_the_value_every_task_ran_with(staged: Path,
                                                                    tmp_path: Path) -> None:
    results = _copy(staged, tmp_path)
    _as_run(results)  # the record says deseq2_alpha 0.1; the only DE table was computed with 0.01
    stderr = _ok("report", "--results_dir", str(results), "--deseq2_alpha", "0.01")
    assert "deseq2_alpha" in stderr and "0.01" in stderr  # warned
    text = _text(results)
    assert "for an FDR of 0.01," in text
    assert "genes with at least 5 counts" in text  # rna.h5ad's filter, not the record's 10


def test_f1_report_names_a_task_rerun_by_hand_and_claims_no_single_value(staged: Path,
                                                                        tmp_path: Path) -> None:
    results = _copy(staged, tmp_path)
    _as_run(results)
    # another DE task that 'omics run' computed with the record's value (0.1)
    (results / "pipeline_info/cache" / "de.other.rna.json").write_text(
        json.dumps({"key": "0" * 64, "outputs": {}}))
    refused = run_omics("report", "--results_dir", str(results), "--deseq2_alpha", "0.01",
                        "--outdir", str(tmp_path / "refused"))
    assert refused.returncode == 2
    assert "computed with 0.1" not in refused.stderr.replace("computed them with 0.1 (its record)", "")
    assert DE_TASK in refused.stderr
    stderr = _ok("report", "--results_dir", str(results))
    assert DE_TASK in stderr and "warning" in stderr
    text = _text(results)
    assert f"for an FDR of 0.1 (0.01 in {DE_TASK})" in text
    assert f"deseq2_alpha 0.01 in {DE_TASK}" in text  # the warning at the top of the methods


def test_f1_control_old_manifest_without_params_still_reads(staged: Path, tmp_path: Path) -> None:
    """Control (passes on the old code too): a manifest without ``params`` is read as before."""
    results = _copy(staged, tmp_path)
    for manifest in (results / "pipeline_info/cache").glob("*.json"):
        content = json.loads(manifest.read_text())
        content.pop("params", None)
        manifest.write_text(json.dumps(content))
    _ok("report", "--results_dir", str(results))
    assert "Values marked †" in _text(results)


# -- F2, F3, F6 a/b ----------------------------------------------------------------------------

def _integrate_args(results: Path) -> tuple[str, ...]:
    return ("integrate", "--rna_h5ad", str(results / "rna/rna.h5ad"),
            "--protein_h5ad", str(results / "protein/protein.h5ad"))


def test_f2_wrong_scores_table_stops_before_any_output(staged: Path, tmp_path: Path) -> None:
    wrong = tmp_path / "response_model.tsv"
    pd.DataFrame({"modality": ["rna"], "score": ["S"], "n": [3]}).to_csv(wrong, sep="\t", index=False)
    out = tmp_path / "out"
    done = run_omics(*_integrate_args(staged), "--flow_h5ad", str(staged / "flow/flow.h5ad"),
                     "--scores", str(wrong), "--outdir", str(out))
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and "--scores" in errors[0] and str(wrong) in errors[0]
    assert "scores_long" not in errors[0]
    assert not out.exists() or not any(p.is_file() for p in out.rglob("*"))


def _gsea(path: Path, shift: float) -> Path:
    pd.DataFrame({"term": ["A", "B", "C"], "nes": [1.5 + shift, -1.2, 0.3],
                  "pvalue": [0.01, 0.04, 0.6], "pvalue_one_sided": [0.005, 0.02, 0.3],
                  "fdr": [0.03, 0.06, 0.6]}).to_csv(path, sep="\t", index=False)
    return path


def test_f3_pathway_evidence_same_bytes_whatever_the_order(staged: Path, tmp_path: Path) -> None:
    rna = _gsea(tmp_path / f"{CONTRAST}.rna.gsea.tsv", 0.0)
    protein = _gsea(tmp_path / f"{CONTRAST}.protein.gsea.tsv", 0.2)
    written = []
    for name, order in (("a", (protein, rna)), ("b", (rna, protein))):
        out = tmp_path / name
        _ok(*_integrate_args(staged), "--gsea_results", *map(str, order), "--outdir", str(out))
        written.append((out / "integration/pathway_evidence.tsv").read_bytes())
    assert written[0] == written[1]
    header = written[0].decode().splitlines()[0].split("\t")
    assert header.index("rna_nes") < header.index("protein_nes")


def test_f6b_empty_concordance_is_logged(staged: Path, tmp_path: Path) -> None:
    stderr = _ok(*_integrate_args(staged), "--de_results", str(staged / RNA_DE),
                 "--outdir", str(tmp_path / "o"))
    assert "concordance" in stderr and "both" in stderr


# -- F5, F6 g ---------------------------------------------------------------------------------

def test_f5_enrich_panel_without_a_gene_of_the_table_warns(staged: Path, tmp_path: Path) -> None:
    """A panel without a gene of this one table: a warning naming it, header-only tables.

    Not a stop (review h45 #4): the input check of ``omics run`` stops only when no modality
    has a panel gene, and a run's protein enrichment task would otherwise stop midway on a
    panel of RNA genes the input check accepted.
    """
    gmt = tmp_path / "bad.gmt"
    gmt.write_text("SET1\tdesc\tFOO\tBAR\tBAZ\n")
    out = tmp_path / "out"
    done = run_omics("enrich", "--de_results", str(staged / RNA_DE), "--genesets", str(gmt), *QUICK[:2],
                     "--outdir", str(out))
    assert done.returncode == 0, done.stderr[-2000:]
    warning = [line for line in done.stderr.splitlines() if "no gene of any panel set" in line]
    assert len(warning) == 1 and str(gmt) in warning[0]
    assert warning[0].endswith("The GSEA and ORA tables of this table are header-only.")
    for table in (out / "enrichment").glob("*.tsv"):
        assert len(table.read_text().splitlines()) == 1, table


def test_f6g_enrich_missing_table_is_not_found(tmp_path: Path) -> None:
    done = run_omics("enrich", "--de_results", str(tmp_path / "nope.tsv"), "--outdir", str(tmp_path / "o"))
    assert done.returncode == 2
    assert "file not found" in done.stderr and "not a differential results file" not in done.stderr
