"""``omics run``'s log: each input-check line once, and the lines of parallel tasks say whose they are."""

from __future__ import annotations

import logging
import re
from collections import Counter
from pathlib import Path

import pytest

from helpers import TEST_COHORT, log_records, run_omics
from omics._logging import get_logger

# qPCR RNA with geNorm, MaxQuant proteins, one contrast: the small cohort's quickest run that
# reads both kinds of input the input check reads again in the prep tasks.
QPCR_RUN = ("--contrasts", str(TEST_COHORT / "contrasts_potency.yaml"),
            "--rna_matrix", str(TEST_COHORT / "qpcr_ct.tsv"), "--rna_format", "qpcr",
            "--qpcr_reference_candidates", "ACTB,GAPDH,B2M,HPRT1",
            "--protein_matrix", str(TEST_COHORT / "proteinGroups.txt"),
            "--gsea_min_size", "3", "--gsea_permutations", "100", "--cv_repeats", "2")
#: Lines of the readers, logged by the input check and (before) again by the prep tasks.
READER_LINES = ("qpcr_ct.tsv: qPCR long table, ", "qpcr_ct.tsv: 960 sample/target Cts from ",
                "geNorm over 4 candidates: ", "proteinGroups.txt: removed 85 protein group(s): ",
                "proteinGroups.txt: read 785 protein groups x 40 samples ")
_STAMP = re.compile(r"^\[omics \d\d:\d\d:\d\d\] ")


def _messages(stderr: str) -> list[str]:
    """The log lines of ``stderr`` without their ``[omics HH:MM:SS]`` stamp."""
    return [_STAMP.sub("", line) for line in stderr.splitlines() if _STAMP.match(line)]


def _count(messages: list[str], start: str) -> int:
    return sum(message.startswith(start) for message in messages)


@pytest.fixture(scope="module")
def run_logs(tmp_path_factory) -> tuple[list[str], list[str]]:
    """The log of a run, and of a resumed run whose input check is reused but protein_prep reruns."""
    folder = tmp_path_factory.mktemp("run_log")
    outdir = folder / "results"
    # the sheet with a column of numbers and text: read as text, with a warning
    lines = (TEST_COHORT / "samplesheet.csv").read_text().splitlines()
    sheet = folder / "cohort_sheet.csv"
    sheet.write_text("\n".join([lines[0] + ",batch"] + [f"{line},{'3a' if i == 1 else i % 3}"
                                                       for i, line in enumerate(lines[1:], 1)]) + "\n")
    args = (*QPCR_RUN, "--input", str(sheet), "--outdir", str(outdir))
    first = run_omics("run", *args)
    assert first.returncode == 0, first.stderr[-3000:]
    (outdir / "protein" / "protein.h5ad").unlink()
    again = run_omics("run", *args)
    assert again.returncode == 0, again.stderr[-3000:]
    return _messages(first.stderr), _messages(again.stderr)


def test_input_check_lines_appear_once_per_run(run_logs):
    messages, _ = run_logs
    for start in READER_LINES:
        assert _count(messages, start) == 1, (start, messages)
    # the sheet's warning: read by the flow and molecular checks, and by the prep tasks as
    # the validated copy (validated/samplesheet.csv), shown once
    assert sum("column 'batch' holds numbers but also text" in m for m in messages) == 1, messages
    repeated = {line: n for line, n in Counter(messages).items() if n > 1}
    assert not repeated, repeated
    # the prep tasks still log what only they do
    assert _count(messages, "valid-value filter (") == 1 and _count(messages, "log2: ") == 1


def test_a_resumed_run_whose_check_is_reused_shows_the_rerun_reader_lines(run_logs):
    _, resumed = run_logs
    assert any(line.startswith("inputs unchanged since the last check") for line in resumed)

    def ran(task: str) -> bool:
        return any(re.match(rf"\[\d+/12\] {task} completed", line) for line in resumed)

    assert ran("protein_prep"), resumed  # its output was deleted
    # The check showed nothing this time: a prep task that ran again shows its reader lines,
    # once (rna_prep is cached, unless the package's code changed between the two runs).
    for start in READER_LINES:
        task = "protein_prep" if start.startswith("proteinGroups") else "rna_prep"
        assert _count(resumed, start) == int(ran(task)), (start, resumed)


def test_enrich_and_de_lines_name_contrast_and_modality(run_logs):
    messages, _ = run_logs
    for modality in ("rna", "protein"):
        assert _count(messages, f"potency {modality}: gsea_prerank: ") == 1, messages
        assert _count(messages, f"potency {modality}: ora (up): ") == 1, messages
        assert _count(messages, f"{modality}: limma potency: ") == 1, messages
    unlabelled = [m for m in messages if m.startswith(("gsea_prerank", "ora", "limma", "DESeq2"))]
    assert not unlabelled, unlabelled


def test_stage_commands_still_log_the_reader_lines(tmp_path):
    protein = run_omics("protein_prep", "--samplesheet", str(TEST_COHORT / "samplesheet.csv"),
                        "--contrasts", str(TEST_COHORT / "contrasts.yaml"),
                        "--protein_matrix", str(TEST_COHORT / "proteinGroups.txt"),
                        "--outdir", str(tmp_path / "p"))
    assert protein.returncode == 0, protein.stderr
    rna = run_omics("rna_prep", "--samplesheet", str(TEST_COHORT / "samplesheet.csv"),
                    "--contrasts", str(TEST_COHORT / "contrasts_potency.yaml"),
                    "--rna_matrix", str(TEST_COHORT / "qpcr_ct.tsv"), "--rna_format", "qpcr",
                    "--qpcr_reference_candidates", "ACTB,GAPDH,B2M,HPRT1",
                    "--outdir", str(tmp_path / "r"))
    assert rna.returncode == 0, rna.stderr
    messages = _messages(protein.stderr) + _messages(rna.stderr)
    for start in READER_LINES:
        assert _count(messages, start) == 1, (start, messages)


def _read_twice() -> list[tuple[int, str]]:
    """What a file reader logs, as the input check and then a prep task (shown the check's lines)."""
    from omics._logging import input_check_shown, logged_lines, repeating_input_check

    log = get_logger("io")

    def reader() -> None:
        log.info("m.tsv: read %d rows", 5)
        log.warning("m.tsv: %d empty rows", 2)

    with logged_lines() as shown:
        reader()
    with input_check_shown(shown), repeating_input_check():
        reader()
        log.info("m.tsv: read %d rows", 6)  # not what the check showed: kept
        log.info("m.tsv: %d empty rows", 2)  # the warning's text at another level: kept
    return shown


def test_only_lines_the_check_showed_are_demoted_and_warnings_kept_otherwise():
    from omics._logging import repeating_input_check

    with log_records() as found:
        _read_twice()
    assert [(r.levelno, r.getMessage()) for r in found] == [
        (logging.INFO, "m.tsv: read 5 rows"), (logging.WARNING, "m.tsv: 2 empty rows"),
        (logging.INFO, "m.tsv: read 6 rows"), (logging.INFO, "m.tsv: 2 empty rows")]
    with log_records(level=logging.DEBUG) as verbose:  # -v: the repeats are shown at debug level
        _read_twice()
    assert [r.levelno for r in verbose] == [logging.INFO, logging.WARNING, logging.DEBUG,
                                            logging.DEBUG, logging.INFO, logging.INFO]
    # outside a run's task (a stage command, Nextflow) the marked block logs everything
    with log_records() as alone, repeating_input_check():
        get_logger("io").info("m.tsv: read %d rows", 5)
    assert [r.getMessage() for r in alone] == ["m.tsv: read 5 rows"]


def test_run_tasks_are_told_the_lines_of_this_runs_check(tmp_path):
    from types import SimpleNamespace

    from omics import runner
    from omics._logging import repeating_input_check

    def stage(*, outdir: Path, params: dict) -> dict:
        with repeating_input_check():
            get_logger("io").info("m.tsv: read 5 rows")
        return {}

    task = SimpleNamespace(function=stage, kwargs={})
    with log_records() as found:
        runner._run_shown(frozenset({("omics.io", logging.INFO, "m.tsv: read 5 rows")}), task,
                          tmp_path, {})
        runner._run_shown(frozenset(), task, tmp_path, {})  # an earlier check was reused
    assert [r.getMessage() for r in found] == ["m.tsv: read 5 rows"]


def test_info_as_debug_keeps_warnings():
    # the integration recomputes the flow scores the score stage reported: their info lines
    # go to -v, a warning is still shown
    from omics._logging import info_as_debug

    log = get_logger("pp")
    with log_records(name="pp") as found, info_as_debug("pp"):
        log.info("flow: dose is log10 CD34")
        log.warning("flow: dose stays per uL")
    with log_records(name="pp") as after:
        log.info("flow: dose is log10 CD34")
    assert [(r.levelno, r.getMessage()) for r in found] == [(logging.WARNING, "flow: dose stays per uL")]
    assert [r.getMessage() for r in after] == ["flow: dose is log10 CD34"]
