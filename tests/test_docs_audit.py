"""Behaviour the README states that the code did not do (the documentation audit).

- a flow export's absolute-count column under its own name (``Abs. Count (cells/uL)``)
  was dropped without a message, and the run fell back to counts per 10^6 events;
- a sample with one undetermined qPCR reference moved by the gap between the
  references' levels;
- ``omics report`` made an empty report of a folder holding only the user's inputs.
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from helpers import TEST_COHORT
from omics._errors import InputError
from omics.io import read_flow_table, read_qpcr
from omics.pp import qpcr_average_replicates, qpcr_delta_ct
from omics.stages._report import check_results_dir


def _flow_with(tmp_path, *headers: str):
    table = pd.read_csv(TEST_COHORT / "flow_populations.tsv", sep="\t")
    for k, header in enumerate(headers):
        table[header] = table["events"] * (3 + k)
    path = tmp_path / "populations.tsv"
    table.to_csv(path, sep="\t", index=False)
    return path, table


@pytest.mark.parametrize("header, unit", [
    ("Absolute Count (cells/uL)", "cells_per_uL"), ("Abs. Count (cells/\u00b5L)", "cells_per_uL"),
    ("absolute cells/uL", "cells_per_uL"), ("Absolute count [cells/mL]", "cells_per_mL"),
    ("cells/uL", "cells_per_uL"), ("Cells/uL (abs)", "cells_per_uL"), ("abs_count", "as exported"),
])
def test_an_exported_absolute_column_is_read_under_its_own_name(tmp_path, header, unit):
    path, table = _flow_with(tmp_path, header)
    read = read_flow_table(path)
    assert read.attrs["absolute_unit"] == unit
    np.testing.assert_array_equal(read["absolute"].to_numpy(), table[header].to_numpy(float))


def test_a_column_that_only_states_a_unit_or_is_empty_is_no_absolute_count(tmp_path):
    path, table = _flow_with(tmp_path, "WBC/uL", "Fluorospheres/uL")
    assert read_flow_table(path)["absolute"].isna().all()
    table["Abs. Cnt"] = "N/A"
    table.to_csv(path, sep="\t", index=False)
    read = read_flow_table(path)
    assert read["absolute"].isna().all() and read.attrs["absolute_unit"] is None


def test_two_possible_absolute_columns_stop(tmp_path):
    path, _ = _flow_with(tmp_path, "Abs. Count (cells/uL)", "Absolute per mL")
    with pytest.raises(InputError, match="columns 'Abs. Count \\(cells/uL\\)', 'Absolute per mL' could "
                                         "each be the absolute counts"):
        read_flow_table(path)


def test_one_undetermined_reference_leaves_the_sample_on_the_scale_of_all(tmp_path):
    path = tmp_path / "ct.tsv"
    path.write_text("sample\ttarget\tct\n"
                    "S1\tR1\t15\nS1\tR2\t17\nS1\tT\t25\n"
                    "S2\tR1\t15.2\nS2\tR2\t17.2\nS2\tT\t24\n"
                    "S3\tR1\tUndetermined\nS3\tR2\t17\nS3\tT\t25\n")
    averaged, _ = qpcr_average_replicates(read_qpcr(path), path=path)
    normalised = qpcr_delta_ct(averaged, reference_genes=["R1", "R2"], path=path)
    delta = dict(zip(normalised.obs_names, normalised.layers["delta_ct"][:, 0], strict=True))
    # S3 is S1 with its R1 well failed: R2 sits 1.0 cycle above the references' mean
    assert delta["S1"] == 9.0 and delta["S2"] == pytest.approx(7.8)
    assert delta["S3"] == pytest.approx(9.0)


def test_a_folder_of_inputs_is_no_results_folder(tmp_path):
    for name in ("samplesheet.csv", "contrasts.yaml"):
        shutil.copy(TEST_COHORT / name, tmp_path / name)
    with pytest.raises(InputError, match="holds no result files of a run"):
        check_results_dir(tmp_path)
    (tmp_path / "validated").mkdir()
    shutil.copy(TEST_COHORT / "samplesheet.csv", tmp_path / "validated" / "samplesheet.csv")
    check_results_dir(tmp_path)  # a run's validated copy


def test_a_continuous_contrast_leaves_a_sample_without_a_value_out_once(tmp_path):
    from helpers import run_omics

    sheet = pd.read_csv(TEST_COHORT / "samplesheet.csv")
    sheet.loc[1, "potency_perfusion_ratio"] = np.nan
    sheet.to_csv(tmp_path / "samplesheet.csv", index=False)
    result = run_omics("validate", "--input", str(tmp_path / "samplesheet.csv"),
                       "--contrasts", str(TEST_COHORT / "contrasts_potency.yaml"),
                       "--rna_counts", str(TEST_COHORT / "salmon.merged.gene_counts.tsv"),
                       "--outdir", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr[-2000:]
    lines = [line for line in result.stderr.splitlines() if "are left out" in line]
    assert len(lines) == 1 and "without a potency_perfusion_ratio value" in lines[0], lines
