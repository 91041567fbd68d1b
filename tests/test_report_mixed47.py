"""Fix h47 (reportmixed): every methods sentence states a parameter's values as the DESeq2 one does.

A stage command run again by hand with another value records it in its task manifest. Where
only some of the tasks that read a parameter were, the methods state the run's value followed
by the tasks' values in brackets ("1000 (200 in enrich.x.protein)"), as the DESeq2 sentence
did ("an FDR of 0.1 (0.01 in de.x.rna)"); the protein, GSEA, ORA and score sentences stated
the run's value alone. A value every task that reads it recorded is stated plainly, without
the dagger of a value given to the report.

The folder is built once by stage commands (protein only: validate, protein_prep, de, enrich,
score); the tests make it an ``omics run`` folder and then edit manifests as a stage command
rerun by hand leaves them (``key`` null, ``params``), as ``test_report_params45`` does.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from helpers import TEST_COHORT
from helpers import run_omics_ok as _ok
from omics.params import defaults

C = TEST_COHORT
CONTRAST = "response_arm_adjusted"
ENRICH = f"enrich.{CONTRAST}.protein"
CACHE = "pipeline_info/cache"


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Stage commands into one folder (protein: prep, DE, enrichment, scores), as they record them."""
    out = tmp_path_factory.mktemp("report47") / "results"
    o = ("--outdir", str(out))
    _ok("validate", "--input", str(C / "samplesheet.csv"), "--contrasts", str(C / "contrasts.yaml"),
        "--protein_matrix", str(C / "proteinGroups.txt"), *o)
    _ok("protein_prep", "--samplesheet", str(out / "validated/samplesheet.csv"),
        "--contrasts", str(out / "validated/contrasts.yaml"),
        "--protein_matrix", str(C / "proteinGroups.txt"), *o)
    _ok("de", "--h5ad", str(out / "protein/protein.h5ad"),
        "--contrasts", str(out / "validated/contrasts.yaml"), "--contrast_id", CONTRAST,
        "--modality", "protein", *o)
    _ok("enrich", "--de_results", str(out / f"differential/{CONTRAST}.protein.limma.results.tsv"),
        "--gsea_permutations", "100", *o)
    _ok("score", "--protein_h5ad", str(out / "protein/protein.h5ad"), "--cv_repeats", "2", *o)
    return out


@pytest.fixture(scope="module")
def run_folder(staged: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder as ``omics run`` leaves it (a key and no params per task; params.yaml), plus
    a second enrichment task of the run (its table is not needed: only its manifest counts)."""
    out = tmp_path_factory.mktemp("report47run") / "results"
    shutil.copytree(staged, out)
    for path in sorted((out / CACHE).glob("*.json")):
        manifest = json.loads(path.read_text())
        path.write_text(json.dumps({"key": "0" * 64, "outputs": manifest["outputs"]}))
    (out / CACHE / "enrich.other.protein.json").write_text(json.dumps(
        {"key": "0" * 64, "outputs": {"enrichment/other.protein.gsea.tsv": "0" * 64}}))
    (out / "pipeline_info/params.yaml").write_text(yaml.safe_dump(
        {**defaults(), "gsea_permutations": 100, "cv_repeats": 2, "outdir": str(out)}, sort_keys=True))
    return out


def _copy(folder: Path, tmp_path: Path) -> Path:
    target = tmp_path / "results"
    shutil.copytree(folder, target)
    return target


def _by_hand(results: Path, task: str, **values: object) -> None:
    """Make ``task``'s manifest one a stage command wrote, run with the run's parameters but ``values``."""
    from omics.registry import STAGES

    path = results / CACHE / f"{task}.json"
    manifest = json.loads(path.read_text())
    run = yaml.safe_load((results / "pipeline_info/params.yaml").read_text())
    names = STAGES[task.split(".", 1)[0]].params
    params = {name: run.get(name) for name in names if name != "n_cpus"}
    path.write_text(json.dumps({"key": None, "outputs": manifest["outputs"], "params": {**params, **values}}))


def _methods(results: Path) -> str:
    """The methods paragraph of the report, as text."""
    page = (results / "report" / "index.html").read_text()
    page = re.sub(r"<script.*?</script>", " ", page, flags=re.S)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)).replace("&lt;", "<")
    return text[text.index("Protein intensities"):text.index("References")]


def test_enrich_rerun_with_other_permutations_and_fdr_is_named_in_the_gsea_sentence(
        run_folder: Path, tmp_path: Path) -> None:
    results = _copy(run_folder, tmp_path)
    _by_hand(results, ENRICH, gsea_permutations=200, gsea_min_size=5, de_fdr=0.01)
    _ok("report", "--results_dir", str(results))
    text = _methods(results)
    assert f"with 100 (200 in {ENRICH}) gene permutations (seed 42)" in text
    assert f"a set needs 10 (5 in {ENRICH}) ranked genes" in text
    assert f"background sets of 10 (5 in {ENRICH})-500 genes" in text
    assert f"features at FDR < 0.05 (0.01 in {ENRICH}) by hypergeometric" in text


def test_protein_prep_rerun_without_downstream_is_named_in_the_protein_sentence(
        run_folder: Path, tmp_path: Path) -> None:
    results = _copy(run_folder, tmp_path)
    _by_hand(results, "protein_prep", protein_min_valid_fraction=0.5, protein_normalization="quantile")
    _ok("report", "--results_dir", str(results))
    text = _methods(results)
    assert "quantified in at least 70% (50% in protein_prep) of a group" in text
    assert "normalised (median (quantile in protein_prep)), imputation none," in text


def test_score_values_every_reader_recorded_are_stated_without_the_given_mark(
        staged: Path, tmp_path: Path) -> None:
    """Without the run's record, the score sentence stated the values the score task recorded
    as given to the report (2† repeats); the DESeq2 sentence states such values plainly."""
    results = _copy(staged, tmp_path)
    _ok("report", "--results_dir", str(results))
    text = _methods(results)
    assert "Per-sample scores (zmean) of each panel set" in text
    assert "adjusted for age, diabetes:" in text
    assert "from 2 repeats of stratified 5-fold cross-validation" in text
    assert "with 100 gene permutations (seed 42)" in text
    assert "quantified in at least 70% of a group, normalised (median)" in text


def test_control_seed_of_another_stage_is_not_named_in_the_gsea_sentence(
        run_folder: Path, tmp_path: Path) -> None:
    """Control (passes on the old code too): a task that is not an enrichment task (protein_prep
    reads ``seed`` for its imputation) does not make the GSEA sentence's seed mixed."""
    results = _copy(run_folder, tmp_path)
    _by_hand(results, "protein_prep", seed=7)
    _ok("report", "--results_dir", str(results))
    text = _methods(results)
    assert "gene permutations (seed 42), background" in text
    assert "(7 in" not in text
