"""Mends of what the adversarial review of this stretch's changes found (h41 review).

1. A row one field longer than the header with an empty last field was accepted as a
   trailing delimiter even when another field was empty (``P2,case,,61,``): a stray
   delimiter may have shifted its values, so it stops, as before.
2. ``omics report`` compared list options as raw text (``age, sex`` against a recorded
   ``age,sex``) and ``none`` case-sensitively (Nextflow passes ``--background_genesets``
   lower-cased, the record keeps it as typed).
3. ``pp.filter_low_counts(min_samples=3.0)`` (``np.ceil``'s float) was refused.
4. A qPCR efficiency table listing assays the run did not use (a lab-wide table) stopped;
   only a target that looks misspelt stops now.
"""

from __future__ import annotations

from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import yaml

from helpers import log_records, raises_one_line
from omics.io import read_qpcr_efficiency
from omics.io._tables import read_table
from omics.params import defaults
from omics.pp import filter_low_counts
from omics.stages._report import _recorded_params

HEADER = "sample,arm,age,batch\n"


@pytest.mark.parametrize("row", ["P2,case,,61,", "P2,case, ,61,", ",case,50,61,"])
def test_a_trailing_delimiter_beside_an_empty_field_stops(tmp_path, row):
    path = tmp_path / "s.csv"
    path.write_text(HEADER + "P1,ctrl,50,1\n" + row + "\nP3,case,70,2\n")
    raises_one_line(lambda: read_table(path, what="sample sheet"), "row 3:",
                    "has 5 field(s) but the header has 4")


def test_a_trailing_delimiter_on_a_full_row_still_reads_like_clean(tmp_path):
    clean, trailing = tmp_path / "c.csv", tmp_path / "t.csv"
    clean.write_text(HEADER + "P1,ctrl,50,1\nP2,case,60,61\nP3,case,,2\n")
    trailing.write_text(HEADER + "P1,ctrl,50,1\nP2,case,60,61,\nP3,case,,2\n")
    assert read_table(trailing, what="t").equals(read_table(clean, what="t"))


def _record(tmp_path: Path, **values: object) -> Path:
    (tmp_path / "pipeline_info").mkdir(exist_ok=True)
    (tmp_path / "pipeline_info" / "params.yaml").write_text(yaml.safe_dump(values))
    return tmp_path


@pytest.mark.parametrize(("name", "recorded", "given"), [
    ("response_covariates", "age,sex", "age, sex"),
    ("background_genesets", "NONE", "none"),
    ("genesets", "/data/sets/panel.gmt", "work/ab/12/panel.gmt"),
    ("qpcr_reference_genes", "ACTB,GAPDH", " ACTB , GAPDH"),
])
def test_report_takes_equivalent_spellings_of_the_recorded_value(tmp_path, name, recorded, given):
    params = _recorded_params(_record(tmp_path, **{name: recorded}), {**defaults(), name: given})
    assert params[name] in (recorded, given)


def test_report_still_stops_on_a_different_list(tmp_path):
    results = _record(tmp_path, response_covariates="age,sex")
    raises_one_line(lambda: _recorded_params(results, {**defaults(), "response_covariates": "age"}),
                    "response_covariates 'age' differs from the run's recorded 'age,sex'")


@pytest.mark.parametrize("min_samples", [3.0, np.float64(3.0), np.int64(3)])
def test_filter_low_counts_takes_whole_floats(min_samples):
    counts = np.array([[20, 0, 30], [25, 1, 12], [30, 0, 11], [40, 2, 0]], dtype=float)
    adata = ad.AnnData(counts, layers={"counts": counts.copy()},
                       var=pd.DataFrame(index=["G1", "G2", "G3"]))
    assert list(filter_low_counts(adata, min_count=10, min_samples=min_samples).var_names) == ["G1",
                                                                                               "G3"]


def test_efficiency_table_with_more_assays_than_the_run_is_read(tmp_path):
    path = tmp_path / "eff.tsv"
    path.write_text("target\tefficiency\nVEGFA\t1.95\nPECAM1\t1.9\nCDH5\t92\n")
    with log_records("io") as records:
        efficiency = read_qpcr_efficiency(path, targets=["ACTB", "GAPDH", "VEGFA", "KDR"])
    assert efficiency.to_dict() == {"VEGFA": 1.95, "PECAM1": 1.9, "CDH5": 1.92}
    assert any("2 target(s) not in the Ct table are ignored: PECAM1, CDH5" in r.getMessage()
               for r in records)
    # a misspelt target of the run, and a table of another panel, still stop
    path.write_text("target\tefficiency\nvegfa\t1.95\nPECAM1\t1.9\n")
    raises_one_line(lambda: read_qpcr_efficiency(path, targets=["ACTB", "VEGFA"]),
                    "'vegfa' -> 'VEGFA'")
    path.write_text("target\tefficiency\nPECAM1\t1.9\n")
    raises_one_line(lambda: read_qpcr_efficiency(path, targets=["ACTB", "VEGFA"]),
                    "none of its targets is in the Ct table")
