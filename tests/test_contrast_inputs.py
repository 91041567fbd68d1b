"""Contrasts and the sample-sheet columns they use: misspelt or odd input never changes the question.

A contrast key, an ``exclude_samples_values`` entry or a ``--response_covariates`` column
that matches nothing stops instead of being ignored; YAML ``no``/``yes`` and decimal
commas in a ``;`` sheet read as written; an empty or malformed sheet cell is blamed on the
sheet, its sample and column.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from helpers import TEST_COHORT, assert_input_error, run_omics
from omics._errors import InputError
from omics.io import read_contrasts, read_samplesheet
from omics.tl import design_for_contrast

SHEET = ("sample,arm,response,age,diabetes,visit\n"
         "S1,placebo,responder,70,no,1\nS2,placebo,non_responder,71,yes,2\n"
         "S3,bmmnc,responder,60,no,1\nS4,bmmnc,non_responder,65,yes,2\n"
         "S5,placebo,responder,80,yes,1\nS6,bmmnc,non_responder,55,no,2\n"
         "S7,bmmnc,responder,58,yes,1\nS8,placebo,non_responder,66,no,2\n")


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def contrast(tmp_path: Path, entry: str, name: str = "c.yaml"):  # noqa: ANN201 - Contrast
    return read_contrasts(write(tmp_path / name, f"contrasts:\n  - id: x\n    {entry}\n"))[0]


def sheet(tmp_path: Path, text: str = SHEET, name: str = "s.csv") -> pd.DataFrame:
    return read_samplesheet(write(tmp_path / name, text))


# ------------------------------------------------------------------ exclude_samples_values

def test_exclude_value_matching_no_sample_stops(tmp_path):
    entry = ("comparison: [response, non_responder, responder]\n    exclude_samples_col: arm\n"
             "    exclude_samples_values: [Placebo]")
    with pytest.raises(InputError) as error:
        design_for_contrast(sheet(tmp_path), contrast(tmp_path, entry), contrasts_path="c.yaml")
    message = str(error.value)
    assert message.startswith("c.yaml: contrast 'x': exclude_samples_values 'Placebo' matches no "
                              "sample in column 'arm'; its values are bmmnc, placebo.")


def test_exclude_numeric_column_compares_numbers(tmp_path):
    entry = ("comparison: [arm, placebo, bmmnc]\n    exclude_samples_col: visit\n"
             "    exclude_samples_values: [1]")
    design = design_for_contrast(sheet(tmp_path), contrast(tmp_path, entry))
    assert list(design.samples) == ["S2", "S4", "S6", "S8"]
    with pytest.raises(InputError, match="exclude_samples_values '3' matches no sample in column "
                       "'visit'; its values are 1, 2"):
        design_for_contrast(sheet(tmp_path), contrast(tmp_path, entry.replace("[1]", "[3]")))


# ------------------------------------------------------------------ contrast keys

def test_unknown_contrast_key_stops_naming_the_closest(tmp_path):
    path = write(tmp_path / "c.yaml", "contrasts:\n  - id: resp\n    comparison: "
                 "[response, non_responder, responder]\n    blocking_factor: [arm]\n")
    with pytest.raises(InputError) as error:
        read_contrasts(path)
    assert str(error.value).startswith(
        f"{path}: contrast #1, key 'blocking_factor': unknown key in contrast 'resp' (did you mean "
        "'blocking_factors'?); accepted keys are id, comparison, variable, reference, target, "
        "blocking, blocking_factors, exclude_samples_col,")


def test_unknown_contrast_csv_column_stops(tmp_path):
    path = write(tmp_path / "c.csv", "id,variable,reference,target,blockng\n"
                 "resp,response,non_responder,responder,arm\n")
    with pytest.raises(InputError, match="header: unknown column 'blockng' \\(did you mean "
                       "'blocking'\\?\\)"):
        read_contrasts(path)


def test_nfcore_contrast_keys_are_accepted(tmp_path):
    yaml_path = write(tmp_path / "c.yaml", """contrasts:
  - id: a
    comparison: [response, non_responder, responder]
    blocking_factors: [age]
    exclude_samples_col: arm
    exclude_samples_values: [placebo]
  - id: b
    formula: "~ arm * response"
    make_contrasts_str: "armbmmnc:responseresponder"
  - id: c
    type: continuous
    comparison: [age]
    scale: sd
""")
    csv_path = write(tmp_path / "c.csv", "id,variable,reference,target,blocking,"
                     "exclude_samples_col,exclude_samples_values,formula,make_contrasts_str,,\n"
                     "a,response,non_responder,responder,age,arm,placebo,,,,\n")
    assert read_contrasts(yaml_path)[0] == read_contrasts(csv_path)[0]
    assert [c.id for c in read_contrasts(yaml_path)] == ["a", "b", "c"]


# ------------------------------------------------------------------ YAML no/yes

def test_yaml_no_yes_are_read_as_written(tmp_path):
    from_yaml = contrast(tmp_path, "comparison: [diabetes, no, yes]")
    from_csv = read_contrasts(write(tmp_path / "c.csv", "id,variable,reference,target\n"
                                    "x,diabetes,no,yes\n"))[0]
    assert (from_yaml.reference, from_yaml.target) == ("no", "yes")
    assert from_yaml == from_csv
    design = design_for_contrast(sheet(tmp_path), from_yaml)
    assert list(design.matrix.columns) == ["(Intercept)", "diabetesyes"]


# ------------------------------------------------------------------ --response_covariates

def test_explicit_response_covariate_typo_stops(tmp_path):
    from omics.stages._validate import response_covariates

    frame = pd.DataFrame(columns=["arm", "response", "age", "diabetes"])
    with pytest.raises(InputError) as error:
        response_covariates({"response_covariates": "age,diabetis"}, frame, path="s.csv")
    assert str(error.value) == (
        "s.csv: response_covariates names column 'diabetis', which is not in the sample sheet "
        "(did you mean 'diabetes'?); its columns are arm, response, age, diabetes. Correct the "
        "name, or leave it out of response_covariates.")
    assert error.value.param == "response_covariates"


def test_default_response_covariates_absent_are_skipped(tmp_path):
    from omics.stages._validate import response_covariates

    frame = sheet(tmp_path).drop(columns="diabetes")
    assert response_covariates({"response_covariates": "age,diabetes"}, frame) == ["age"]
    assert response_covariates({"response_covariates": "diabetes"}, sheet(tmp_path)) == ["diabetes"]


def test_text_response_covariate_with_a_level_per_sample_stops(tmp_path):
    from omics.stages._validate import response_covariates

    frame = sheet(tmp_path).assign(bmi=[f"{30 + i},1" for i in range(8)])
    with pytest.raises(InputError) as error:
        response_covariates({"response_covariates": "age,bmi"}, frame, path="s.csv")
    assert str(error.value).startswith(
        "s.csv: column 'bmi': response_covariates column 'bmi' is text with 8 different values "
        "among 8 samples ('30,1' for sample 'S1')")


def test_validate_stops_on_a_response_covariate_typo(tmp_path):
    outdir = tmp_path / "out"
    result = run_omics("validate", "--input", str(TEST_COHORT / "samplesheet.csv"), "--contrasts",
                       str(TEST_COHORT / "contrasts.yaml"), "--rna_counts",
                       str(TEST_COHORT / "salmon.merged.gene_counts.tsv"),
                       "--response_covariates", "age,diabetis", "--outdir", str(outdir))
    line = assert_input_error(result, outdir)
    assert "--response_covariates names column 'diabetis'" in line
    assert "(did you mean 'diabetes'?)" in line


# ------------------------------------------------------------------ decimal commas

def test_semicolon_sheet_decimal_commas_read_like_decimal_points(tmp_path):
    values = ["33.1", "19.3", "27.0", "41.25", "22.8", "30.5", "25.0", "28.4"]
    lines = SHEET.splitlines()
    rows = [f"{lines[0]},bmi,hba1c"] + [f"{row},{v},5.{i}" for i, (row, v) in
                                        enumerate(zip(lines[1:], values, strict=True))]
    clean = "\n".join(rows) + "\n"
    euro = "\n".join(r.replace(",", ";").replace(".", ",") for r in rows) + "\n"
    assert "33,1" in euro and ";5,0" in euro
    expected = sheet(tmp_path, clean, "dot.csv")
    got = sheet(tmp_path, euro, "euro.csv")
    assert got["bmi"].dtype == float and got["hba1c"].dtype == float
    pd.testing.assert_frame_equal(got, expected)


def test_comma_sheet_keeps_text_with_commas(tmp_path):
    text = SHEET.replace(",visit\n", ",note\n", 1)
    text = "\n".join([text.splitlines()[0], *(r.rsplit(",", 1)[0] + ',"1,5"'
                                              for r in text.splitlines()[1:])]) + "\n"
    assert sheet(tmp_path, text)["note"].tolist() == ["1,5"] * 8


# ------------------------------------------------------------------ the sheet's fault, named

def test_empty_cell_is_blamed_on_the_sheet_row_and_column(tmp_path):
    path = write(tmp_path / "s.csv", SHEET.replace("S3,bmmnc,", "S3,,"))
    entry = "comparison: [response, non_responder, responder]\n    blocking_factors: [arm]"
    with pytest.raises(InputError) as error:
        design_for_contrast(read_samplesheet(path), contrast(tmp_path, entry),
                            contrasts_path="c.yaml")
    assert (error.value.path, error.value.where) == (str(path), "sample 'S3', column 'arm'")
    assert "contrast 'x' (in c.yaml)" in str(error.value)


def test_validate_names_the_sheet_for_an_empty_arm(tmp_path):
    text = (TEST_COHORT / "samplesheet.csv").read_text().replace("BALI003,P003,bmmnc,",
                                                                  "BALI003,P003,,")
    assert "BALI003,P003,," in text
    path = write(tmp_path / "sheet.csv", text)
    outdir = tmp_path / "out"
    result = run_omics("validate", "--input", str(path), "--contrasts",
                       str(TEST_COHORT / "contrasts.yaml"), "--rna_counts",
                       str(TEST_COHORT / "salmon.merged.gene_counts.tsv"), "--outdir", str(outdir))
    line = assert_input_error(result, outdir)
    assert f"error: {path}: sample 'BALI003', column 'arm': 1 sample(s) lack a value in arm" in line


def test_text_covariate_with_a_level_per_sample_is_blamed_on_the_sheet(tmp_path):
    values = ["33,1", "19,3", "27,0", "41,2", "22,8", "30,5", "25,0", "28,4"]
    rows = SHEET.splitlines()
    text = "\n".join([rows[0] + ",bmi", *(f'{r},"{v}"' for r, v in zip(rows[1:], values,
                                                                       strict=True))]) + "\n"
    path = write(tmp_path / "s.csv", text)
    entry = "comparison: [response, non_responder, responder]\n    blocking_factors: [arm, bmi]"
    with pytest.raises(InputError) as error:
        design_for_contrast(read_samplesheet(path), contrast(tmp_path, entry),
                            contrasts_path="c.yaml")
    assert error.value.path == str(path)
    assert error.value.where.startswith("sample 'S")
    assert error.value.where.endswith(", column 'bmi'")
    assert "column 'bmi' is text with 8 different values among 8 samples" in str(error.value)
