"""Odd but legitimate paths and names (pathfix, from the h50 path audit).

- M1: gene-set files whose names hold a space, a quote or an apostrophe reach `omics` intact
  in every Nextflow module (the joined list is quoted).
- M2: a leading ``~`` / ``~/`` in a path parameter is the home folder, in ``omics`` (params
  file and command line) and in Nextflow (inputs, ``--outdir``, the run reports); no folder
  named ``~`` is ever created.
- L1: a sample whose id starts with ``.`` finds its hidden FCS file in Nextflow too.
- L2: CJK sample ids in gating-plot titles: no matplotlib font warning, the characters the
  font lacks written ``<U+XXXX>``.
- L5: a folder given for a file, and a missing GMT, name the option.
- nfresume L2: an empty bead gate in one sample names that sample's FCS file.
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pandas as pd
import pytest
import yaml

from helpers import REPO, TEST_COHORT, run_nextflow, run_omics
from helpers import nextflow_env as _env

GENESETS = REPO / "metadata" / "genesets"


def _error_line(result) -> str:  # noqa: ANN001
    """The one ``omics: error`` line of a run that stopped with exit code 2."""
    assert result.returncode == 2, result.stderr[-3000:]
    lines = [line for line in result.stderr.splitlines() if line.startswith("omics: error")]
    assert len(lines) == 1, result.stderr[-3000:]
    return lines[0]


# ------------------------------------------------------------------------------------------
# M2: ~ in omics (params file)
# ------------------------------------------------------------------------------------------


def test_tilde_in_params_file_is_the_home_folder_for_every_path(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """`~/` in a params file: inputs, gene sets and outdir all in $HOME, no `~` folder."""
    home, launch = tmp_path / "home", tmp_path / "launch"
    data = home / "data"
    data.mkdir(parents=True)
    launch.mkdir()
    for name in ("samplesheet.csv", "contrasts.yaml", "salmon.merged.gene_counts.tsv"):
        shutil.copy(TEST_COHORT / name, data / name)
    shutil.copy(GENESETS / "go_angiogenesis.gmt", data / "panel.gmt")
    params = {"input": "~/data/samplesheet.csv", "contrasts": "~/data/contrasts.yaml",
              "rna_counts": "~/data/salmon.merged.gene_counts.tsv",
              "genesets": ["~/data/panel.gmt"], "outdir": "~/res"}
    (launch / "params.yaml").write_text(yaml.safe_dump(params))
    env = {**_env(tmp_path), "HOME": str(home)}
    result = run_omics("validate", "--params-file", "params.yaml", cwd=launch, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (home / "res" / "validated" / "samplesheet.csv").is_file()
    assert not (launch / "~").exists()

    # the resolved parameters (what omics run uses and records); Path.home() reads $HOME
    from omics.params import resolve

    monkeypatch.setenv("HOME", str(home))
    resolved = resolve({"flow_fcs": "~"}, params_file=launch / "params.yaml")
    assert resolved["input"] == f"{home}/data/samplesheet.csv"
    assert resolved["outdir"] == f"{home}/res"
    assert resolved["genesets"] == f"{home}/data/panel.gmt"
    assert resolved["flow_fcs"] == str(home)


def test_tilde_elsewhere_is_left_as_written_control() -> None:
    """Control (passes on the old code too): only a leading ~ or ~/ is the home folder."""
    from omics.params import BY_NAME, coerce

    for value in ("~user/x.csv", "a/~/b.csv", "x~.csv"):
        assert coerce(BY_NAME["input"], value, source="command line") == value


# ------------------------------------------------------------------------------------------
# L5: messages name the option
# ------------------------------------------------------------------------------------------


def test_folder_for_a_file_and_missing_gmt_name_the_option(tmp_path: Path) -> None:
    base = ["run", "--contrasts", str(TEST_COHORT / "contrasts.yaml"),
            "--rna_counts", str(TEST_COHORT / "salmon.merged.gene_counts.tsv")]
    out = tmp_path / "out"
    line = _error_line(run_omics(*base, "--input", str(TEST_COHORT), "--outdir", str(out)))
    assert "--input" in line and "is a directory" in line and str(TEST_COHORT) in line
    sheet = ["--input", str(TEST_COHORT / "samplesheet.csv")]
    line = _error_line(run_omics(*base, *sheet, "--genesets", str(tmp_path / "a b.gmt"),
                                 "--outdir", str(out)))
    assert "--genesets" in line and "not found" in line and "a b.gmt" in line
    line = _error_line(run_omics(*base, *sheet, "--genesets", str(GENESETS / "go_angiogenesis.gmt"),
                                 "--background_genesets", str(tmp_path), "--outdir", str(out)))
    assert "--background_genesets" in line and "is a directory" in line
    assert not out.exists()  # stopped before anything was written


# ------------------------------------------------------------------------------------------
# L2: CJK in gating-plot titles
# ------------------------------------------------------------------------------------------


def _gated(sample: str = "BALI001") -> tuple:
    from omics.io._flow import gate_sample, read_fcs, read_gating
    from omics.stages._flow import default_gating

    fcs = read_fcs(TEST_COHORT / "fcs" / f"{sample}.fcs", sample_id=sample)
    strategy = read_gating(default_gating()).for_file(TEST_COHORT / "fcs" / f"{sample}.fcs", sample)
    _, results = gate_sample(fcs, strategy, cache_events=True)
    return fcs, strategy, results


def test_cjk_sample_id_in_gating_plot_title_gives_no_font_warning() -> None:
    from omics.pl import gating_png

    fcs, strategy, results = _gated()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = gating_png(fcs, strategy, results, title="患者.003 (患者.003.fcs)")
    glyphs = [str(w.message) for w in caught if "Glyph" in str(w.message)]
    assert glyphs == []
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    # the escaped title draws the same PNG as writing the escape by hand
    by_hand = gating_png(fcs, strategy, results, title="<U+60A3><U+8005>.003 (<U+60A3><U+8005>.003.fcs)")
    assert png == by_hand


def test_ascii_and_latin_titles_unchanged_control() -> None:
    """Control (passes on the old code too): titles the font can draw are drawn as given."""
    from omics.pl import gating_png

    fcs, strategy, results = _gated()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        latin = gating_png(fcs, strategy, results, title="Bälï.002 (Bälï.002.fcs)")
    assert latin != gating_png(fcs, strategy, results, title="Bali.002 (Bali.002.fcs)")


# ------------------------------------------------------------------------------------------
# nfresume L2: an empty bead gate in one sample names that sample's FCS file
# ------------------------------------------------------------------------------------------


def test_empty_bead_gate_in_one_sample_names_its_fcs_file(tmp_path: Path, monkeypatch, capsys) -> None:  # noqa: ANN001
    import omics.stages._flow as stage_flow
    from omics.cli import main

    sheet = pd.read_csv(TEST_COHORT / "samplesheet.csv").head(4)
    sheet_path = tmp_path / "sheet.csv"
    sheet.to_csv(sheet_path, index=False)
    folder = tmp_path / "fcs dir"
    folder.mkdir()
    for sample in sheet["sample"]:
        shutil.copy(TEST_COHORT / "fcs" / f"{sample}.fcs", folder / f"{sample}.fcs")
    real = stage_flow.gate_files

    def no_beads_in_third(files, gating_path, **kwargs):  # noqa: ANN001, ANN202
        gated = real(files, gating_path, **kwargs)
        table = gated[2]["table"]
        table.loc[table["population"] == "Beads", "events"] = 0
        return gated

    monkeypatch.setattr(stage_flow, "gate_files", no_beads_in_third)
    code = main(["flow_prep", "--samplesheet", str(sheet_path), "--flow_fcs", str(folder),
                 "--flow_beads_per_test", "50000", "--flow_gating_plots", "false",
                 "--outdir", str(tmp_path / "out")])
    assert code == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("omics: error")]
    assert len(lines) == 1, lines
    third = sheet["sample"][2]
    assert str(folder / f"{third}.fcs") in lines[0] and f"sample '{third}'" in lines[0]
    assert "bead gate" in lines[0] and "re-acquire" in lines[0]
    assert "gating.xml" not in lines[0]


# ------------------------------------------------------------------------------------------
# Nextflow (one run): M1 quoted gene-set names, M2 ~ paths, L1 hidden FCS file of sample '.X'
# ------------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.nextflow
def test_nextflow_odd_gene_set_names_tilde_paths_and_hidden_fcs(nextflow: Path, tmp_path: Path) -> None:
    """A real run (protein and FCS files, one contrast): ~35 s.

    Inputs in ``~/data é/`` given as ``~/...`` in a -params-file, the gene-set panel
    ``Lab's panel é.gmt`` and background ``bg "sets".gmt``, outdir ``~/res``; sample BALI001
    renamed ``.BALI001`` with the FCS file ``.BALI001.fcs``. The run completes, every module
    passes the gene-set files quoted, everything lands under $HOME/res (no ``~`` folder in
    the launch folder), and the hidden FCS file of sample ``.BALI001`` is staged and gated.
    """
    home, launch = tmp_path / "home", tmp_path / "launch"
    data = home / "data é"
    (data / "fcs").mkdir(parents=True)
    launch.mkdir()
    (data / "samplesheet.csv").write_text(
        (TEST_COHORT / "samplesheet.csv").read_text().replace("BALI001,", ".BALI001,", 1))
    header, rest = (TEST_COHORT / "proteinGroups.txt").read_text(encoding="utf-8").split("\n", 1)
    (data / "proteinGroups.txt").write_text(header.replace(" BALI001\t", " .BALI001\t") + "\n" + rest,
                                            encoding="utf-8")
    contrasts = yaml.safe_load((TEST_COHORT / "contrasts.yaml").read_text())
    contrasts["contrasts"] = [c for c in contrasts["contrasts"] if c["id"] == "response_in_bmmnc"]
    (data / "contrasts.yaml").write_text(yaml.safe_dump(contrasts))
    for path in (TEST_COHORT / "fcs").iterdir():
        shutil.copy(path, data / "fcs" / ("." + path.name if path.name == "BALI001.fcs" else path.name))
    shutil.copy(GENESETS / "go_angiogenesis.gmt", data / "Lab's panel é.gmt")
    background = tmp_path / 'bg "sets".gmt'
    shutil.copy(GENESETS / "go_bp_10_500.gmt", background)
    params = {"input": "~/data é/samplesheet.csv", "contrasts": "~/data é/contrasts.yaml",
              "rna_counts": None, "protein_matrix": "~/data é/proteinGroups.txt",
              "flow_fcs": "~/data é/fcs", "genesets": "~/data é/Lab's panel é.gmt",
              "background_genesets": str(background), "outdir": "~/res",
              "gsea_permutations": 100, "cv_repeats": 2, "flow_gating_plots": False}
    (launch / "params.yaml").write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    env = _env(tmp_path)
    env.setdefault("NXF_HOME", str(Path.home() / ".nextflow"))  # the installed Nextflow, not $HOME's
    env["HOME"] = str(home)
    result = run_nextflow([str(nextflow), "run", str(REPO), "-profile", "test", "-params-file",
                           "params.yaml", "-work-dir", str(tmp_path / "work")],
                          cwd=launch, env=env, timeout=400)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-3000:]

    # M2: everything under $HOME/res, no folder named ~ anywhere in the launch folder
    out = home / "res"
    assert (out / "differential" / "response_in_bmmnc.protein.limma.results.tsv").is_file()
    assert list((out / "pipeline_info").glob("execution_trace_*.txt"))
    assert (out / "pipeline_info" / "software_versions.yml").is_file()
    assert not list(launch.rglob("~")) and not (tmp_path / "~").exists()
    recorded = yaml.safe_load((out / "pipeline_info" / "params.yaml").read_text())
    assert recorded["input"] == f"{home}/data é/samplesheet.csv"
    assert recorded["outdir"] == str(out)

    # M1: the gene-set files quoted in every module that passes them
    quoted_panel = "--genesets 'genesets/1/Lab'\\''s panel é.gmt'"
    quoted_background = "--background_genesets 'background_genesets/1/bg \"sets\".gmt'"
    scripts = {}
    for command in (tmp_path / "work").glob("*/*/.command.sh"):
        text = command.read_text(encoding="utf-8")
        name = next(line for line in (command.parent / ".command.run").read_text().splitlines()
                    if line.startswith("### name:"))
        scripts[name.split(":")[-1].split()[0].strip("'")] = text
    for process in ("OMICS_VALIDATE", "OMICS_ENRICH", "OMICS_SCORE", "OMICS_REPORT"):
        assert quoted_panel in scripts[process], process
    for process in ("OMICS_VALIDATE", "OMICS_ENRICH", "OMICS_REPORT"):
        assert quoted_background in scripts[process], process

    # L1: the hidden FCS file of sample .BALI001 was gated
    flow = pd.read_csv(out / "qc" / "flow.qc.tsv", sep="\t", dtype=str)
    assert ".BALI001" in set(flow["sample"])
