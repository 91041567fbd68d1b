"""CLI audit (h41): ``omics report --results_dir`` given the folder above a run stops.

Pointed at a parent folder, the report searched every depth, wrote a report from the run in
a sub-folder and said the run's parameters were not recorded (its ``pipeline_info/`` lay
one level down). It now names the run folder(s) below and asks for one.
"""

from __future__ import annotations

import pytest

from helpers import raises_one_line
from omics.stages._report import check_results_dir


def test_report_on_the_folder_above_a_run_names_the_run(tmp_path):
    run = tmp_path / "runs" / "demo"
    (run / "pipeline_info").mkdir(parents=True)
    (run / "differential").mkdir()
    (run / "differential" / "c.rna.deseq2.results.tsv").write_text("gene_id\tstat\nG1\t1.0\n")
    raises_one_line(lambda: check_results_dir(tmp_path), "is not a run's results folder",
                    "1 run(s) lie below it (runs/demo)", f"e.g. {run}")
    raises_one_line(lambda: check_results_dir(tmp_path / "runs"), "(demo)")
    check_results_dir(run)  # the run's own folder: fine


def test_a_folder_of_result_files_without_a_record_is_still_read(tmp_path):
    (tmp_path / "differential").mkdir()
    (tmp_path / "differential" / "c.rna.deseq2.results.tsv").write_text("gene_id\tstat\nG1\t1.0\n")
    check_results_dir(tmp_path)


def test_simulate_refuses_zero_cpus_and_verbose_is_described(tmp_path, capsys):
    from omics import cli

    with pytest.raises(SystemExit) as stop:  # argparse's usage error, as `omics` exits with it
        cli.main(["simulate", "--outdir", str(tmp_path / "c"), "--n_cpus", "0"])
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--n_cpus: must be a whole number >= 1, got '0'" in err[0]
    assert not (tmp_path / "c").exists()
    for command in ("run", "simulate", "qc"):
        assert "log debug lines too" in cli.build_parser()._subparsers._group_actions[0].choices[
            command].format_help()


@pytest.mark.parametrize("option", ["input", "contrasts", "rna_counts", "protein_matrix", "flow_fcs"])
def test_run_names_the_option_of_a_missing_input(tmp_path, capsys, option):
    from helpers import REPO
    from omics import cli

    cohort = REPO / "tests" / "data" / "test_cohort"
    given = {"input": cohort / "samplesheet.csv", "contrasts": cohort / "contrasts.yaml",
             "rna_counts": cohort / "salmon.merged.gene_counts.tsv",
             "protein_matrix": cohort / "proteinGroups.txt", "flow_fcs": cohort / "fcs",
             option: tmp_path / "missing"}
    argv = ["run", "--outdir", str(tmp_path / "out"), "--flow_beads_per_test", "50000"]
    for name, path in given.items():
        argv += [f"--{name}", str(path)]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    what = "folder" if option == "flow_fcs" else "file"
    assert err == [f"omics: error: {tmp_path / 'missing'}: --{option}: {what} not found; check the path."]
    assert not (tmp_path / "out").exists()


def test_a_bad_parameter_value_says_what_to_give(tmp_path, capsys):
    from omics import cli

    assert cli.main(["run", "--demo", "--outdir", str(tmp_path / "o"), "--de_fdr", "2"]) == 2
    assert capsys.readouterr().err.strip() == (
        "omics: error: command line: parameter 'de_fdr' must be <= 1, got 2.0. Give --de_fdr a "
        "number >= 0 and <= 1 (default: 0.05).")
    params_file = tmp_path / "p.yaml"
    params_file.write_text("seed: 1.5\n")
    assert cli.main(["run", "--demo", "--outdir", str(tmp_path / "o"), "-params-file",
                     str(params_file)]) == 2
    assert capsys.readouterr().err.strip().endswith(
        "parameter 'seed' must be a finite integer, got 1.5. Set seed to a whole number >= 0 "
        "(default: 42).")
    assert not (tmp_path / "o").exists()
