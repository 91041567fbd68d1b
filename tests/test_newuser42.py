"""A new user following README (audit h42_newuser): stage commands and their params file,
README's Python blocks, messages and help texts.

The README and nextflow.config checks read the files beside the ``omics`` package that is
imported (``<root>/src/omics``: ``<root>/README.md``), so they check the checkout under test.
"""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import omics
from helpers import TEST_COHORT, log_records, run_omics
from omics._errors import InputError

C = TEST_COHORT
ROOT = Path(omics.__file__).resolve().parents[2]
README = ROOT / "README.md"


def _validate_params(folder: Path, **entries: str) -> Path:
    """Write ``params.yaml`` in ``folder`` with ``entries`` (the test cohort's protein inputs)."""
    path = folder / "params.yaml"
    path.write_text("".join(f"{key}: {value}\n" for key, value in entries.items()))
    return path


# Finding 1: a stage command reads outdir and its input files from --params-file.


def test_a_stage_writes_into_the_outdir_of_its_params_file_and_says_so(tmp_path):
    _validate_params(tmp_path, outdir="wanted_out")
    done = run_omics("validate", "--input", str(C / "samplesheet.csv"), "--contrasts",
                     str(C / "contrasts.yaml"), "--protein_matrix", str(C / "proteinGroups.txt"),
                     "--params-file", "params.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "wanted_out" / "validated" / "samplesheet.csv").is_file()
    assert not (tmp_path / "results").exists()
    assert "validate: writes into wanted_out (outdir of params.yaml" in done.stderr


def test_validate_and_protein_prep_take_their_input_files_from_the_params_file(tmp_path):
    _validate_params(tmp_path, input=C / "samplesheet.csv", contrasts=C / "contrasts.yaml",
                     protein_matrix=C / "proteinGroups.txt", outdir="out")
    done = run_omics("validate", "--params-file", "params.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    validated = tmp_path / "out" / "validated"
    done = run_omics("protein_prep", "--samplesheet", str(validated / "samplesheet.csv"),
                     "--contrasts", str(validated / "contrasts.yaml"), "--params-file", "params.yaml",
                     cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "out" / "protein" / "protein.h5ad").is_file()


@pytest.mark.parametrize("given", [(), ("--input", str(C / "samplesheet.csv"))])
def test_a_required_option_in_neither_place_stops_naming_both_places(tmp_path, given):
    _validate_params(tmp_path, protein_matrix=C / "proteinGroups.txt", outdir="out")
    done = run_omics("validate", *given, "--params-file", "params.yaml", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert "--contrasts" in lines[0] and "command line" in lines[0] and "--params-file" in lines[0]
    assert ("--input" in lines[0]) == (not given)
    assert not (tmp_path / "out").exists() and not (tmp_path / "results").exists()


def test_protein_prep_without_its_matrix_stops_naming_the_params_file(tmp_path):
    done = run_omics("protein_prep", "--samplesheet", "s.csv", "--contrasts", "c.yaml",
                     "--outdir", str(tmp_path / "out"))
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "--protein_matrix" in done.stderr and "--params-file" in done.stderr
    assert not (tmp_path / "out").exists()


def test_outdir_on_the_command_line_wins_over_the_params_file(tmp_path):
    """Control (as before): --outdir is where the call writes."""
    _validate_params(tmp_path, outdir="ignored")
    done = run_omics("validate", "--input", str(C / "samplesheet.csv"), "--contrasts",
                     str(C / "contrasts.yaml"), "--protein_matrix", str(C / "proteinGroups.txt"),
                     "--params-file", "params.yaml", "--outdir", "chosen", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "chosen" / "validated" / "validation.json").is_file()
    assert not (tmp_path / "ignored").exists()


def test_the_report_keeps_writing_into_its_results_dir(tmp_path, monkeypatch):
    """The report's params file (often the run's params.yaml) does not move report/."""
    from omics import cli
    from omics.stages import _report

    monkeypatch.setattr(_report, "check_results_dir", lambda folder: None)
    params = _validate_params(tmp_path, outdir=tmp_path / "elsewhere")
    args = cli.build_parser().parse_args(["report", "--results_dir", str(tmp_path / "run"),
                                          "--params-file", str(params)])
    with log_records("cli") as records:
        assert cli._stage_outdir(args, {"outdir": str(tmp_path / "elsewhere")}) == str(tmp_path / "run")
    assert any("not the outdir" in record.getMessage() for record in records)


# Finding 2-5: README's notebook and Python API blocks run; what they say holds.


def test_readme_python_blocks_run_in_order(tmp_path):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    assert len(blocks) >= 2
    script = tmp_path / "readme_blocks.py"
    script.write_text("import matplotlib\nmatplotlib.use('Agg')\n" + "\n".join(blocks))
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "rna_results.h5ad").is_file()


def test_readme_states_the_api_seed_pca_input_and_how_to_call_omics():
    text = " ".join(README.read_text().split())
    assert "default to `seed=0`" in text and "pass `seed=42`" in text
    assert "draws the returned table as it is" not in text and "`qc.join(adata.obs)`" in text
    assert "source .venv/bin/activate" in text and "tools/nextflow/nextflow" in text
    assert "the same `results/` layout except `pipeline_info/`" in text


# Finding 6: messages say what is wrong.


def test_a_foreign_file_in_demo_cohort_is_named_as_not_the_cohorts(tmp_path):
    from omics import runner

    outdir = tmp_path.resolve()
    (outdir / "demo_cohort").mkdir()
    (outdir / "demo_cohort" / "notes.txt").write_text("mine")
    with pytest.raises(InputError) as error:
        runner._demo_cohort_reusable(outdir)
    text = str(error.value)
    assert "demo_cohort/notes.txt" in text and "not a file of the demo cohort" in text
    assert "would overwrite" not in text


def test_an_unrecorded_file_the_simulation_writes_still_would_be_overwritten(tmp_path):
    """Control (as before): a demo-cohort file no run recorded would be overwritten."""
    from omics import runner

    outdir = tmp_path.resolve()
    (outdir / "demo_cohort").mkdir()
    (outdir / "demo_cohort" / "samplesheet.csv").write_text("sample\n")
    with pytest.raises(InputError, match="would overwrite it"):
        runner._demo_cohort_reusable(outdir)


def _limma_table(names: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"gene_name": names, "logFC": [1.0, -1.0, 0.5],
                         "t": [3.0, -2.0, 1.0], "P.Value": [0.01, 0.05, 0.3],
                         "adj.P.Val": [0.03, 0.07, 0.3]}, index=["P1", "P2", "P3"])


def test_enrichment_of_a_table_without_gene_names_says_so():
    from omics.tl._enrichment import enrichment

    with log_records("tl.enrichment", logging.WARNING) as records:
        gsea, ora = enrichment(_limma_table(["", "", ""]), {"A": ["X", "Y"]}, None)
    assert gsea.empty and ora.empty
    text = " ".join(record.getMessage() for record in records)
    assert "no gene names" in text and "gene_name column" in text and "organism" not in text


def test_enrichment_without_overlap_still_asks_about_the_organism():
    """Control (as before): gene names that no set holds."""
    from omics.tl._enrichment import enrichment

    with log_records("tl.enrichment", logging.WARNING) as records:
        enrichment(_limma_table(["Aa", "Bb", "Cc"]), {"A": ["X", "Y"]}, None)
    assert "organism" in " ".join(record.getMessage() for record in records)


# Finding 7: help texts, manifest, omics simulate's earlier files.


def test_help_says_what_the_workflow_covers_and_de_takes_flow():
    shown = " ".join(run_omics("--help").stdout.split())
    assert "flow cytometry" in shown and "RT-qPCR" in shown and "protein" in shown
    assert "flow.h5ad" in run_omics("de", "--help").stdout
    assert "flow.h5ad" not in run_omics("qc", "--help").stdout
    validate = " ".join(run_omics("validate", "--help").stdout.split())
    assert "sample sheet (or `input:` in --params-file)" in validate


def test_the_nextflow_manifest_says_what_the_workflow_covers():
    config = (ROOT / "nextflow.config").read_text()
    description = re.search(r"description\s*=\s*'([^']*)'", config).group(1)
    assert "flow cytometry" in description and "RT-qPCR" in description


def test_simulate_removes_its_own_files_a_smaller_cohort_has_not(tmp_path):
    outdir = tmp_path / "cohort"
    sizes = ("--profile", "test", "--n_genes", "1000", "--n_proteins", "50")
    done = run_omics("simulate", "--outdir", str(outdir), "--n_patients", "14", *sizes)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (outdir / "fcs" / "BALI013.fcs").is_file()
    (outdir / "fcs" / "BALI014.fcs").write_bytes(b"edited")  # no longer as written: kept
    done = run_omics("simulate", "--outdir", str(outdir), "--n_patients", "12", *sizes)
    assert done.returncode == 0, done.stderr[-3000:]
    assert not (outdir / "fcs" / "BALI013.fcs").exists()
    assert "BALI013" not in (outdir / "simulate.record").read_text()
    assert (outdir / "fcs" / "BALI014.fcs").read_bytes() == b"edited"
    assert len(list((outdir / "fcs").glob("BALI0*.fcs"))) == 13
