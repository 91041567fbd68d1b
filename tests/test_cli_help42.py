"""Command help: `omics run` options in the schema's sections; a stage command says what it is and
which options it needs (audit h41_cli)."""

from __future__ import annotations

import pytest

from helpers import run_omics
from omics.params import GROUPS
from omics.registry import STAGES


def test_run_help_groups_the_options_as_the_schema():
    shown = run_omics("run", "--help").stdout
    positions = [shown.index(f"\n{title}:\n") for title, _ in GROUPS.values()]
    assert positions == sorted(positions)  # in the schema's order
    rna = shown[shown.index("\nRNA options:\n"):shown.index("\nProteomics options:\n")]
    assert "--rna_min_count" in rna and "--protein_min_valid_fraction" not in rna
    assert shown.startswith("usage: omics run (--demo | --input SAMPLESHEET --contrasts CONTRASTS")


@pytest.mark.parametrize("stage", [name for name in STAGES if name != "validate"] + ["validate"])
def test_stage_help_describes_the_stage_and_marks_required_options(stage):
    shown = run_omics(stage, "--help").stdout
    assert f"the {stage} stage of `omics run`" in " ".join(shown.split())
    required = [option.name for option in STAGES[stage].files if option.required]
    if required:
        section = shown[shown.index("\nrequired options:\n"):]
        section = section[:section.index("\n\n")]
        assert all(f"--{name}" in section for name in required), section
