"""Audit h45 (stages one at a time), F6 polish items a) to h), fixed in round h46.

- a) ``omics integrate --scores`` without ``--flow_h5ad`` stops (one line, exit 2), as the
  reverse case does, instead of ignoring ``--scores``.
- b) ``omics integrate`` given DE tables of one modality only warns that no contrast had
  both modalities' tables (``concordance.tsv`` is header-only).
- c) ``omics enrich`` of a flow table stops: ``omics run`` never enriches flow populations.
- d) ``omics enrich`` checks the table's columns against the ``<method>`` of its name (a
  limma table named ``*.deseq2.results.tsv`` stops); the tables ``omics de`` writes pass.
- e) ``rna_prep``'s contrast errors name the contrasts file, as ``validate``'s do.
- f) ``omics qc``'s error names the ``--h5ad`` given, not the input path recorded at prep time.
- g) (control: fixed before h46) a missing ``--de_results`` of ``omics enrich`` is "file
  not found", whatever its name.
- h) the report of a stage-command folder (no ``pipeline_info/params.yaml``) shows as
  ``outdir`` the folder it reports on, not the default ``results``.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers import QUICK, TEST_COHORT, assert_input_error, run_omics, stage_test_cohort
from helpers import run_omics_ok as _ok

C = TEST_COHORT
CONTRAST = "response_in_bmmnc"
RNA_DE = f"differential/{CONTRAST}.rna.deseq2.results.tsv"
PROTEIN_DE = f"differential/{CONTRAST}.protein.limma.results.tsv"
FLOW_DE = f"differential/{CONTRAST}.flow.limma.results.tsv"


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Stage commands into one folder: validate, the three preps and the DE of one contrast."""
    return stage_test_cohort(tmp_path_factory.mktemp("audit46") / "staged", CONTRAST, flow=True,
                             de=("rna", "protein", "flow"))


def _integrate_args(results: Path) -> tuple[str, ...]:
    return ("integrate", "--rna_h5ad", str(results / "rna/rna.h5ad"),
            "--protein_h5ad", str(results / "protein/protein.h5ad"))


# -- a, b: integrate ----------------------------------------------------------------------------

def test_f6a_scores_without_flow_h5ad_stops(staged: Path, tmp_path: Path) -> None:
    scores = tmp_path / "angiogenesis_scores.tsv"
    pd.DataFrame({"sample": ["x"], "modality": ["rna"], "term": ["T"], "score": [1.0]}).to_csv(
        scores, sep="\t", index=False)
    out = tmp_path / "o"
    line = assert_input_error(run_omics(*_integrate_args(staged), "--scores", str(scores),
                                        "--outdir", str(out)), out)
    assert "--scores" in line and "--flow_h5ad" in line


def test_f6b_one_modality_de_tables_warn(staged: Path, tmp_path: Path) -> None:
    out = tmp_path / "o"
    stderr = _ok(*_integrate_args(staged), "--de_results", str(staged / RNA_DE), "--outdir", str(out))
    warnings = [line for line in stderr.splitlines() if "warning:" in line and "both" in line]
    assert len(warnings) == 1, stderr
    assert "concordance.tsv" in warnings[0] and "protein" in warnings[0]
    assert (out / "integration/concordance.tsv").read_text().splitlines() == ["contrast\tgene_name"]


def test_f6b_control_both_modalities_no_warning(staged: Path, tmp_path: Path) -> None:
    """Control (passes on old and new code): RNA and protein tables of one contrast, no warning."""
    out = tmp_path / "o"
    stderr = _ok(*_integrate_args(staged), "--de_results", str(staged / RNA_DE),
                 str(staged / PROTEIN_DE), "--outdir", str(out))
    assert not [line for line in stderr.splitlines() if "warning:" in line], stderr
    assert len((out / "integration/concordance.tsv").read_text().splitlines()) > 1


# -- c, d, g: enrich ----------------------------------------------------------------------------

def test_f6c_enrich_flow_table_stops(staged: Path, tmp_path: Path) -> None:
    out = tmp_path / "o"
    line = assert_input_error(run_omics("enrich", "--de_results", str(staged / FLOW_DE),
                                        "--outdir", str(out)), out)
    assert str(staged / FLOW_DE) in line and "flow" in line and "not enriched" in line


@pytest.mark.parametrize(("source", "named", "said"), [
    (PROTEIN_DE, "rna.deseq2", ("deseq2", "limma")),  # a limma table named a DESeq2 one
    (RNA_DE, "protein.limma", ("DESeq2", "limma")),  # and the other way round
])
def test_f6d_enrich_table_named_after_the_other_method_stops(staged: Path, tmp_path: Path, source: str,
                                                             named: str, said: tuple[str, str]) -> None:
    renamed = tmp_path / "in" / f"{CONTRAST}.{named}.results.tsv"
    renamed.parent.mkdir()
    shutil.copy(staged / source, renamed)
    out = tmp_path / "o"
    line = assert_input_error(run_omics("enrich", "--de_results", str(renamed), "--outdir", str(out)), out)
    assert str(renamed) in line and all(word in line for word in said)


def test_f6d_control_tables_of_omics_de_pass(staged: Path, tmp_path: Path) -> None:
    """Control (passes on old and new code): DESeq2 RNA, limma protein and a limma RNA table
    (qPCR/array RNA is named ``*.rna.limma.results.tsv``) are enriched."""
    limma_rna = tmp_path / "in" / f"{CONTRAST}.rna.limma.results.tsv"
    limma_rna.parent.mkdir()
    shutil.copy(staged / PROTEIN_DE, limma_rna)
    for table in (staged / RNA_DE, staged / PROTEIN_DE, limma_rna):
        out = tmp_path / table.name
        _ok("enrich", "--de_results", str(table), *QUICK[:2], "--outdir", str(out))
        assert len(list((out / "enrichment").glob("*.gsea.tsv"))) == 1


def test_f6g_control_missing_table_is_not_found(tmp_path: Path) -> None:
    """Control (fixed before h46: passes on old and new code)."""
    for name in ("differential/nope.tsv", f"differential/{CONTRAST}.rna.deseq2.results.tsv"):
        out = tmp_path / "o"
        line = assert_input_error(run_omics("enrich", "--de_results", str(tmp_path / name),
                                            "--outdir", str(out)), out)
        assert "file not found" in line and "not a differential results file" not in line


# -- e: rna_prep ---------------------------------------------------------------------------------

def test_f6e_rna_prep_contrast_error_names_contrasts_file(staged: Path, tmp_path: Path) -> None:
    sheet = pd.read_csv(staged / "validated/samplesheet.csv")
    one_arm = tmp_path / "sheet_bmmnc.csv"
    sheet[sheet["arm"] == "bmmnc"].to_csv(one_arm, index=False)
    contrasts = staged / "validated/contrasts.yaml"
    out = tmp_path / "o"
    line = assert_input_error(run_omics("rna_prep", "--samplesheet", str(one_arm), "--contrasts",
                                        str(contrasts), "--rna_counts",
                                        str(C / "salmon.merged.gene_counts.tsv"), "--outdir", str(out)),
                              out)
    assert "blocking factor 'arm' has one value" in line
    assert line.startswith(f"omics: error: {contrasts}: ")


# -- f: qc ---------------------------------------------------------------------------------------

def test_f6f_qc_error_names_the_h5ad_given(staged: Path, tmp_path: Path) -> None:
    import anndata as ad

    adata = ad.read_h5ad(staged / "protein/protein.h5ad")
    values = np.asarray(adata.X, dtype=float).copy()
    for j in range(adata.n_vars):  # a hole in every protein: no complete feature for the PCA
        values[j % adata.n_obs, j] = np.nan
    adata.X = values
    holes = tmp_path / "holes.h5ad"
    adata.write_h5ad(holes)
    out = tmp_path / "o"
    line = assert_input_error(run_omics("qc", "--h5ad", str(holes), "--modality", "protein",
                                        "--outdir", str(out)), out)
    assert line.startswith(f"omics: error: {holes}: ")
    assert "sample QC needs at least 2 features" in line


# -- h: report -----------------------------------------------------------------------------------

def test_f6h_report_of_stage_folder_shows_its_folder_as_outdir(staged: Path, tmp_path: Path) -> None:
    folder = tmp_path / "stagefolder"
    shutil.copytree(staged, folder)
    assert not (folder / "pipeline_info/params.yaml").exists()
    _ok("report", "--results_dir", str(folder))
    page = (folder / "report" / "index.html").read_text()
    page = re.sub(r"<script.*?</script>", " ", page, flags=re.S)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert re.search(r" outdir (\S+) ", text).group(1) == str(folder)
