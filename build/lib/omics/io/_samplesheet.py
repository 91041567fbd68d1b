"""Sample sheet: one row per sample, validated against ``metadata/samplesheet_schema.json``."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pandas as pd

from .._errors import InputError
from .._resources import metadata_path
from ._tables import UNNAMED, check_unique, read_table


@cache
def samplesheet_schema() -> dict:
    """Return the sample-sheet column schema (``items.properties`` of the JSON schema)."""
    with metadata_path("samplesheet_schema.json").open() as handle:
        return json.load(handle)["items"]


def categorical_levels(column: str) -> list[str] | None:
    """Levels, reference first, of a schema column with fixed values (``arm``, ``response``)."""
    spec = samplesheet_schema()["properties"].get(column, {})
    return list(spec["enum"]) if "enum" in spec else None


def read_samplesheet(path: str | Path, *, id_col: str = "sample") -> pd.DataFrame:
    """Read and validate a sample sheet.

    Parameters
    ----------
    path
        CSV or TSV with a ``sample`` column and metadata columns.
    id_col
        Column holding the sample ids (nf-core's ``observations_id_col``), for sheets
        such as MaxQuant's where it is ``Experiment``; it is renamed to ``sample``.

    Returns
    -------
    Data frame indexed by ``sample`` (strings); schema columns with fixed levels are
    categorical with the reference level first, numeric schema columns are floats.
    """
    table = read_table(path, required=[id_col], what="sample sheet", dtype=str)
    first_line = table.attrs["first_line"]
    table = table.apply(lambda col: col.str.strip())
    # Excel saves rows and columns it once showed as ",,,,": drop fully empty rows, and
    # columns without a name and without values.
    blank = table.isna() | (table == "")
    table = table.loc[~blank.all(axis=1)]
    table = table.drop(columns=[c for c in table.columns if UNNAMED.match(c) and blank[c].all()])
    if id_col != "sample":
        table = table.drop(columns=["sample"], errors="ignore").rename(columns={id_col: "sample"})
    ids = table["sample"]
    empty = ids.isna() | (ids == "")
    if empty.any():
        rows = ", ".join(str(i + first_line) for i in ids.index[empty][:5])
        raise InputError(f"empty {id_col!r} id at row(s) {rows}; every row needs an id.", path=path)
    check_unique(ids, column=id_col, path=path, what="sample id",
                 rows=[i + first_line for i in ids.index])
    sheet = table.set_index("sample")
    sheet.index.name = "sample"
    for column, spec in samplesheet_schema()["properties"].items():
        if column == "sample" or column not in sheet.columns:
            continue
        values = sheet[column]
        if "enum" in spec:
            bad = values[values.notna() & ~values.isin(spec["enum"])]
            if not bad.empty:
                raise InputError(
                    f"column {column!r} has value {bad.iloc[0]!r} for sample {bad.index[0]!r}; "
                    f"allowed values are {', '.join(spec['enum'])}.",
                    path=path,
                )
            sheet[column] = pd.Categorical(values, categories=spec["enum"])
        elif spec.get("type") == "number":
            numbers = pd.to_numeric(values, errors="coerce")
            bad = values[values.notna() & numbers.isna()]
            if not bad.empty:
                raise InputError(
                    f"column {column!r} must be numeric but sample {bad.index[0]!r} has "
                    f"{bad.iloc[0]!r}; leave the cell empty (or NA) when the value is unknown.",
                    path=path,
                )
            low, high = spec.get("minimum"), spec.get("maximum")
            out = numbers[(low is not None and numbers < low) | (high is not None and numbers > high)]
            if not out.empty:
                raise InputError(
                    f"column {column!r} value {out.iloc[0]} for sample {out.index[0]!r} is outside "
                    f"[{low}, {high}]; check the units.",
                    path=path,
                )
            sheet[column] = numbers.astype(float)
    # Other all-numeric columns become numbers (R's read.csv does the same), so that a
    # covariate such as `bmi` enters a design as a continuous term.
    for column in sheet.columns:
        if column in samplesheet_schema()["properties"] or sheet[column].dtype != object:
            continue
        numbers = pd.to_numeric(sheet[column], errors="coerce")
        if numbers.notna().sum() == sheet[column].notna().sum() and numbers.notna().any():
            sheet[column] = numbers.astype(float)
    sheet.attrs["path"] = str(path)
    return sheet
