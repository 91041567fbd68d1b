"""Review h45 (findings 1 and 5): which tasks read a parameter, as the report states it.

- Finding 1: the tasks downstream of a prep stage's h5ad (the modality's qc, de, enrich,
  score and integrate) read the prep stage's parameters. A prep stage run again by hand
  (``omics rna_prep --rna_min_count 5``) after the DE tables were computed makes the
  parameter mixed: the report states the run's value, names the rerun task and warns; it
  does not take rna.h5ad's filter for tables computed before it. Rerun together with the
  tables downstream, the new value is stated.
- Finding 5: only DESeq2 tasks read ``deseq2_alpha``/``deseq2_shrink`` (not limma's
  protein, flow, qPCR or array DE tasks).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
import yaml

from helpers import TEST_COHORT, run_omics, stage_test_cohort
from helpers import run_omics_ok as _ok
from omics.params import defaults

C = TEST_COHORT
CONTRAST = "response_arm_adjusted"
RNA_DE = f"de.{CONTRAST}.rna"
PROTEIN_DE = f"de.{CONTRAST}.protein"


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder as ``omics run`` leaves it (default parameters): validate, preps, DE of RNA and protein."""
    out = stage_test_cohort(tmp_path_factory.mktemp("report45") / "results", CONTRAST)
    # as omics run records its tasks (a key, no params) and its parameters (params.yaml)
    for path in sorted((out / "pipeline_info/cache").glob("*.json")):
        manifest = json.loads(path.read_text())
        path.write_text(json.dumps({"key": "0" * 64, "outputs": manifest["outputs"]}))
    (out / "pipeline_info/params.yaml").write_text(
        yaml.safe_dump({**defaults(), "outdir": str(out)}, sort_keys=True))
    return out


def _copy(run_folder: Path, tmp_path: Path) -> Path:
    target = tmp_path / "results"
    shutil.copytree(run_folder, target)  # (keeps the manifests' times)
    return target


def _text(results: Path) -> str:
    page = (results / "report" / "index.html").read_text()
    page = re.sub(r"<script.*?</script>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def _rna_prep(results: Path, *args: str) -> None:
    _ok("rna_prep", "--samplesheet", str(results / "validated/samplesheet.csv"),
        "--contrasts", str(results / "validated/contrasts.yaml"),
        "--rna_counts", str(C / "salmon.merged.gene_counts.tsv"), *args, "--outdir", str(results))


def _de(results: Path, modality: str, *args: str) -> None:
    _ok("de", "--h5ad", str(results / f"{modality}/{modality}.h5ad"),
        "--contrasts", str(results / "validated/contrasts.yaml"), "--contrast_id", CONTRAST,
        "--modality", modality, *args, "--outdir", str(results))


# -- finding 1 ----------------------------------------------------------------------------------

def test_f1_prep_rerun_by_hand_without_de_is_mixed(run_folder: Path, tmp_path: Path) -> None:
    results = _copy(run_folder, tmp_path)
    _rna_prep(results, "--rna_min_count", "5")  # the DE table still has the >= 10 filter
    stderr = _ok("report", "--results_dir", str(results))
    assert "rna_prep" in stderr and "rna_min_count 5" in stderr and "warning" in stderr
    assert "the report states 5" not in stderr
    text = _text(results)
    assert "genes with at least 10 (5 in rna_prep) counts" in text  # not rna.h5ad's 5
    assert "rna_min_count 5 in rna_prep" in text  # the warning at the top of the methods
    refused = run_omics("report", "--results_dir", str(results), "--rna_min_count", "5",
                        "--outdir", str(tmp_path / "refused"))
    assert refused.returncode == 2 and "rna_prep with 5" in refused.stderr


def test_f1_de_rerun_before_the_prep_rerun_is_mixed(run_folder: Path, tmp_path: Path) -> None:
    results = _copy(run_folder, tmp_path)
    _de(results, "rna")  # by hand, on the run's rna.h5ad (>= 10)
    _rna_prep(results, "--rna_min_count", "5")  # later: the DE table predates it
    _ok("report", "--results_dir", str(results))
    assert "genes with at least 10 (5 in rna_prep) counts" in _text(results)


def test_f1_control_prep_and_downstream_rerun_states_the_value(run_folder: Path,
                                                               tmp_path: Path) -> None:
    """Control (passes on the old code too): every table rna_min_count shaped has 5."""
    results = _copy(run_folder, tmp_path)
    _rna_prep(results, "--rna_min_count", "5")
    _de(results, "rna")  # on the new rna.h5ad
    stderr = _ok("report", "--results_dir", str(results), "--rna_min_count", "5")
    assert "the report states 5" in stderr
    text = _text(results)
    assert "genes with at least 5 counts" in text and "(5 in rna_prep)" not in text


@pytest.mark.parametrize("newer", ["rna_prep", f"de.{CONTRAST}.rna"])
def test_f1_which_h5ad_a_table_came_from_does_not_depend_on_file_times(run_folder: Path, tmp_path: Path,
                                                                       newer: str) -> None:
    """Review h45_review2 #1: manifest times decided which rna.h5ad a DE table came from, so
    rna_prep run once more (or a copy, or ``touch``) turned a consistent folder mixed and a
    stale one consistent. The checksums of the files a stage command read decide it now."""
    results = _copy(run_folder, tmp_path)
    _rna_prep(results, "--rna_min_count", "5")
    _de(results, "rna")  # on the new rna.h5ad: every table rna_min_count shaped has 5
    stale = _copy(run_folder, tmp_path / "stale")
    _de(stale, "rna")  # on the run's rna.h5ad (>= 10) ...
    _rna_prep(stale, "--rna_min_count", "5")  # ... which a later rna_prep replaced
    for folder in (results, stale):
        touched = folder / "pipeline_info/cache" / f"{newer}.json"
        later = max(p.stat().st_mtime for p in touched.parent.glob("*.json")) + 60
        os.utime(touched, (later, later))
        _ok("report", "--results_dir", str(folder))
    assert "genes with at least 5 counts" in _text(results)
    assert "genes with at least 10 (5 in rna_prep) counts" in _text(stale)


# -- finding 5 ----------------------------------------------------------------------------------

def test_f5_limma_de_tasks_do_not_read_deseq2_alpha(run_folder: Path, tmp_path: Path) -> None:
    results = _copy(run_folder, tmp_path)
    _de(results, "rna", "--deseq2_alpha", "0.05")  # the only DESeq2 task; protein DE is limma
    stderr = _ok("report", "--results_dir", str(results))
    assert PROTEIN_DE not in stderr and "the report states 0.05" in stderr
    assert "names the task" not in stderr  # no task computed with another value
    text = _text(results)
    assert "for an FDR of 0.05," in text
    assert "(0.05 in" not in text and "0.1 in" not in text
    _ok("report", "--results_dir", str(results), "--deseq2_alpha", "0.05",
        "--outdir", str(tmp_path / "given"))


def test_f5_control_deseq2_task_of_the_run_keeps_it_mixed(run_folder: Path, tmp_path: Path) -> None:
    """Control (passes on the old code too): another DESeq2 task computed with the run's 0.1."""
    results = _copy(run_folder, tmp_path)
    _de(results, "rna", "--deseq2_alpha", "0.05")
    (results / "pipeline_info/cache/de.other.rna.json").write_text(json.dumps(
        {"key": "0" * 64, "outputs": {"differential/other.rna.deseq2.results.tsv": "0" * 64}}))
    _ok("report", "--results_dir", str(results))
    assert f"for an FDR of 0.1 (0.05 in {RNA_DE})" in _text(results)
