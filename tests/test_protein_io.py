import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers import NFCORE, REPO
from omics._errors import InputError
from omics.io import _protein as protein_io
from omics.io._protein import (
    _checked_numbers,
    _clean_numbers,
    read_diann,
    read_maxquant,
    read_olink,
    read_protein_matrix,
    read_protein_tsv,
    read_proteus,
)

DATA = REPO / "tests" / "data" / "protein"
MAXQUANT = DATA / "proteinGroups.txt"
DIANN = DATA / "report.pg_matrix.tsv"
OLINK = DATA / "olink_npx.csv"
TSV_LINEAR = DATA / "protein_linear.tsv"
TSV_LOG2 = DATA / "protein_log2.csv"
PROTEUS = NFCORE / "proteomics/maxquant/proteus.raw_MaxQuant_proteingroups_tab.tsv"


def _rows(path: Path) -> tuple[list[list[str]], str]:
    lines = path.read_text().splitlines()
    sep = next(s for s in ("\t", ";", ",") if s in lines[0])
    return [line.split(sep) for line in lines], sep


def _rewrite(src: Path, dst: Path, edit) -> Path:
    """Copy ``src`` to ``dst`` after ``edit(rows)`` changes the split rows in place."""
    rows, sep = _rows(src)
    edit(rows)
    dst.write_text("\n".join(sep.join(r) for r in rows) + "\n")
    return dst


def _set(rows, row_id, column, value):
    """Set the cell of the row whose first field is ``row_id`` in ``column``."""
    col = rows[0].index(column)
    for r in rows[1:]:
        if r[0] == row_id:
            r[col] = value
            return
    raise KeyError(row_id)


# --------------------------------------------------------------------------- MaxQuant


def test_maxquant_lfq_default():
    adata = read_maxquant(MAXQUANT)
    assert adata.obs_names.tolist() == ["A1", "A2", "B1", "B2"]
    assert adata.var_names.tolist() == [
        "P15692;P15692-2;P15692-4", "P35968", "Q15389", "Q9Y5C1", "Q16665",
    ]
    assert adata.X.dtype == np.float64
    assert adata.X[:, 0].tolist() == [2.0e8, 1.8e8, 3.1e8, 2.9e8]
    # zeros are kept as zeros by the reader
    assert adata.X[1, 2] == 0
    np.testing.assert_array_equal(adata.layers["raw"], adata.X)
    # Q9Y5C1 has no "Gene names" entry: its symbol comes from the shipped human UniProt map
    assert adata.var["gene_name"].tolist() == ["VEGFA", "KDR", "ANGPT1", "ANGPTL3", "HIF1A"]
    assert adata.var["protein_ids"].iloc[0] == "P15692;P15692-2"
    info = adata.uns["protein_input"]
    assert info["format"] == "maxquant"
    assert info["is_log2"] is False
    assert info["intensity_prefix"] == "LFQ intensity"
    assert info["removed"] == {"reverse": 1, "contaminant": 1, "only_by_site": 1}


def test_maxquant_logs_removed_rows(caplog):
    with caplog.at_level(logging.INFO, logger="omics"):
        read_maxquant(MAXQUANT)
    assert "1 reverse, 1 contaminant, 1 only identified by site" in caplog.text


@pytest.mark.parametrize(
    ("intensity", "prefix", "first"),
    [("Intensity", "Intensity", 2.1e8), ("iBAQ", "iBAQ", 1.1e6), ("lfq", "LFQ intensity", 2.0e8),
     ("ibaq", "iBAQ", 1.1e6)],
)
def test_maxquant_intensity_families(intensity, prefix, first):
    adata = read_maxquant(MAXQUANT, intensity=intensity)
    # 'Intensity' must not catch the total 'Intensity' or 'LFQ intensity ...'; 'iBAQ' not
    # 'iBAQ peptides'
    assert adata.obs_names.tolist() == ["A1", "A2", "B1", "B2"]
    assert adata.X[0, 0] == first  # A1, VEGFA
    assert adata.uns["protein_input"]["intensity_prefix"] == prefix


def test_maxquant_ignores_silac_channels(tmp_path):
    path = tmp_path / "proteinGroups.txt"
    path.write_text(
        "Protein IDs\tGene names\tIntensity\tIntensity L\tIntensity H\tIntensity L S 1\t"
        "Intensity H S 1\tIntensity S 1\tReverse\tPotential contaminant\n"
        "P1\tG1\t30\t10\t20\t10\t20\t30\t\t\n"
    )
    adata = read_maxquant(path, intensity="Intensity")
    assert adata.obs_names.tolist() == ["S 1"]
    assert adata.X[0, 0] == 30


def test_maxquant_missing_prefix_names_present_families(tmp_path):
    def drop_lfq(rows):
        keep = [i for i, c in enumerate(rows[0]) if not c.startswith("LFQ intensity")]
        rows[:] = [[r[i] for i in keep] for r in rows]

    path = _rewrite(MAXQUANT, tmp_path / "proteinGroups.txt", drop_lfq)
    with pytest.raises(InputError) as err:
        read_maxquant(path)
    message = str(err.value)
    assert str(path) in message
    assert "'LFQ intensity '" in message
    assert "found 'Intensity ' and 'iBAQ ' columns" in message
    assert "use protein_intensity 'Intensity'" in message  # the library names the parameter
    assert "--protein_intensity 'Intensity'" in err.value.render(flag=lambda name: f"--{name}")  # the CLI


def test_maxquant_no_intensity_family_at_all(tmp_path):
    path = tmp_path / "proteinGroups.txt"
    path.write_text("Protein IDs\tReporter intensity corrected 1 S1\nP1\t5\n")
    with pytest.raises(InputError, match="found none of") as err:
        read_maxquant(path)
    assert str(path) in str(err.value)


def test_maxquant_unknown_intensity():
    with pytest.raises(InputError, match="unknown MaxQuant intensity 'Area'") as err:
        read_maxquant(MAXQUANT, intensity="Area")
    assert str(MAXQUANT) in str(err.value)


def test_maxquant_old_contaminant_column(tmp_path):
    def rename(rows):
        rows[0][rows[0].index("Potential contaminant")] = "Contaminant"

    adata = read_maxquant(_rewrite(MAXQUANT, tmp_path / "pg.txt", rename))
    assert adata.uns["protein_input"]["removed"]["contaminant"] == 1
    assert "CON__P02768;P02768" not in adata.var_names


def test_maxquant_without_flag_columns_uses_id_prefixes(tmp_path):
    def drop_flags(rows):
        flags = {"Reverse", "Potential contaminant", "Only identified by site"}
        keep = [i for i, c in enumerate(rows[0]) if c not in flags]
        rows[:] = [[r[i] for i in keep] for r in rows]

    adata = read_maxquant(_rewrite(MAXQUANT, tmp_path / "pg.txt", drop_flags))
    assert adata.uns["protein_input"]["removed"] == {
        "reverse": 1, "contaminant": 1, "only_by_site": 0,
    }
    assert "P01375" in adata.var_names


def test_maxquant_majority_ids_only(tmp_path):
    def drop_ids(rows):
        i = rows[0].index("Protein IDs")
        rows[:] = [r[:i] + r[i + 1:] for r in rows]

    adata = read_maxquant(_rewrite(MAXQUANT, tmp_path / "pg.txt", drop_ids))
    assert adata.var_names[0] == "P15692;P15692-2"


def test_maxquant_non_numeric_cell(tmp_path):
    path = _rewrite(MAXQUANT, tmp_path / "pg.txt",
                    lambda rows: _set(rows, "P35968", "LFQ intensity B1", "12,5"))
    with pytest.raises(InputError) as err:
        read_maxquant(path)
    message = str(err.value)
    assert str(path) in message
    assert "'P35968' (row 3)" in message
    assert "'LFQ intensity B1'" in message
    assert "'12,5'" in message


def test_maxquant_negative_intensity(tmp_path):
    path = _rewrite(MAXQUANT, tmp_path / "pg.txt",
                    lambda rows: _set(rows, "Q16665", "LFQ intensity A2", "-5"))
    with pytest.raises(InputError, match=r"negative intensity -5 for protein 'Q16665' \(row 6\)"):
        read_maxquant(path)


def test_maxquant_duplicated_ids(tmp_path):
    path = _rewrite(MAXQUANT, tmp_path / "pg.txt",
                    lambda rows: _set(rows, "Q9Y5C1", "Protein IDs", "P35968"))
    with pytest.raises(InputError, match="duplicated protein group id") as err:
        read_maxquant(path)
    assert "'P35968' at rows 3, 5" in str(err.value)
    assert str(path) in str(err.value)


def test_maxquant_excel_mangled_gene(tmp_path):
    path = _rewrite(MAXQUANT, tmp_path / "pg.txt",
                    lambda rows: _set(rows, "Q9Y5C1", "Gene names", "1-Mar"))
    with pytest.raises(InputError, match="Excel") as err:
        read_maxquant(path)
    assert "'1-Mar' (row 5)" in str(err.value)
    assert "'Gene names'" in str(err.value)


def test_maxquant_all_rows_flagged(tmp_path):
    def flag_all(rows):
        col = rows[0].index("Reverse")
        for r in rows[1:]:
            r[col] = "+"

    path = _rewrite(MAXQUANT, tmp_path / "pg.txt", flag_all)
    with pytest.raises(InputError, match="nothing is left") as err:
        read_maxquant(path)
    assert str(path) in str(err.value)


def test_maxquant_all_values_missing(tmp_path):
    def blank(rows):
        for c in [i for i, name in enumerate(rows[0]) if name.startswith("LFQ intensity ")]:
            for r in rows[1:]:
                r[c] = "NaN"

    path = _rewrite(MAXQUANT, tmp_path / "pg.txt", blank)
    with pytest.raises(InputError, match="every intensity value is missing") as err:
        read_maxquant(path)
    assert str(path) in str(err.value)


# --------------------------------------------------------------------------- DIA-NN


def test_diann_reads_paths_as_stems():
    adata = read_diann(DIANN)
    assert adata.obs_names.tolist() == ["S01", "S02", "S03", "S04"]
    assert adata.var_names.tolist() == ["P15692", "P35968", "O15123;O15123-2", "P16070"]
    assert adata.var["protein_ids"].iloc[0] == "P15692;P15692-2"
    assert adata.var["gene_name"].tolist() == ["VEGFA", "KDR", "ANGPT2", "CD44"]
    assert np.isnan(adata.X[1, 1]) and np.isnan(adata.X[2, 2])
    assert adata.X[0, 0] == 1520000
    assert adata.uns["protein_input"]["format"] == "diann"
    assert adata.uns["protein_input"]["is_log2"] is False


def test_diann_duplicate_run_names(tmp_path):
    def same_stem(rows):
        rows[0][rows[0].index("/data/run/S02.mzML")] = "/other/S01.mzML"

    path = _rewrite(DIANN, tmp_path / "pg_matrix.tsv", same_stem)
    with pytest.raises(InputError, match="sample name 'S01'") as err:
        read_diann(path)
    assert str(path) in str(err.value)


def test_diann_duplicated_group(tmp_path):
    path = _rewrite(DIANN, tmp_path / "pg_matrix.tsv",
                    lambda rows: _set(rows, "P16070", "Protein.Group", "P15692"))
    with pytest.raises(InputError, match="duplicated protein group in column 'Protein.Group'"):
        read_diann(path)


def test_diann_missing_group_column(tmp_path):
    path = _rewrite(DIANN, tmp_path / "pg_matrix.tsv",
                    lambda rows: rows[0].__setitem__(0, "Group"))
    with pytest.raises(InputError, match="'Protein.Group'") as err:
        read_diann(path)
    assert str(path) in str(err.value)


def test_diann_excel_gene(tmp_path):
    path = _rewrite(DIANN, tmp_path / "pg_matrix.tsv",
                    lambda rows: _set(rows, "P16070", "Genes", "2-Sep"))
    with pytest.raises(InputError, match=r"'2-Sep' \(row 5\)"):
        read_diann(path)


# --------------------------------------------------------------------------- Olink


def test_olink_long_format():
    adata = read_olink(OLINK)
    assert adata.obs_names.tolist() == ["S01", "S02", "S03"]  # control dropped
    assert adata.var_names.tolist() == ["OID00471", "OID00472", "OID00490"]
    assert adata.var["gene_name"].tolist() == ["VEGFA", "KDR", "ANGPT2"]
    assert adata.var["protein_ids"].tolist() == ["P15692", "P35968", "O15123"]
    # QC warning -> NaN; below LOD (S02 ANGPT2 0.35 < 0.6) kept
    assert np.isnan(adata["S02", "OID00472"].X[0, 0])
    assert adata["S02", "OID00490"].X[0, 0] == pytest.approx(0.35)
    info = adata.uns["protein_input"]
    assert info["is_log2"] is True
    assert info["olink"]["qc_warning_to_nan"] == 1
    assert info["olink"]["below_lod_kept"] == 1
    assert info["olink"]["control_samples_dropped"] == 1


def test_olink_logs_controls(caplog):
    with caplog.at_level(logging.INFO, logger="omics"):
        read_olink(OLINK)
    assert "dropped 1 control sample(s): CONTROL_SAMPLE_AS 1" in caplog.text


def test_olink_tab_and_decimal_comma(tmp_path):
    rows, _ = _rows(OLINK)
    npx = rows[0].index("NPX")
    for r in rows[1:]:
        r[npx] = r[npx].replace(".", ",")
    path = tmp_path / "npx.tsv"
    path.write_text("\n".join("\t".join(r) for r in rows) + "\n")
    adata = read_olink(path)
    assert adata["S01", "OID00471"].X[0, 0] == pytest.approx(5.12)


def test_olink_duplicate_pair(tmp_path):
    def duplicate(rows):
        rows.append(list(rows[1]))

    path = _rewrite(OLINK, tmp_path / "npx.csv", duplicate)
    with pytest.raises(InputError) as err:
        read_olink(path)
    message = str(err.value)
    assert str(path) in message
    assert "SampleID 'S01' with OlinkID 'OID00471' occurs 2 times (rows 2, 14)" in message


def test_olink_missing_column(tmp_path):
    path = _rewrite(OLINK, tmp_path / "npx.csv",
                    lambda rows: rows[0].__setitem__(rows[0].index("NPX"), "Value"))
    with pytest.raises(InputError, match="lacks required column.*'NPX'") as err:
        read_olink(path)
    assert str(path) in str(err.value)


def test_olink_non_numeric_npx(tmp_path):
    def bad(rows):
        rows[5][rows[0].index("NPX")] = "high"

    path = _rewrite(OLINK, tmp_path / "npx.csv", bad)
    with pytest.raises(InputError) as err:
        read_olink(path)
    assert "sample 'S02', assay 'OID00472' (row 6) in column 'NPX' is 'high'" in str(err.value)


# --------------------------------------------------------------------------- TSV / proteus


def test_tsv_linear_missing_tokens():
    adata = read_protein_tsv(TSV_LINEAR, is_log2=False)
    assert adata.obs_names.tolist() == ["S01", "S02", "S03", "S04"]
    assert adata.var["gene_name"].tolist() == ["VEGFA", "KDR", "ANGPT2"]  # O15123 mapped
    x = adata.X
    assert np.isnan(x[3, 0])  # NA
    assert np.isnan(x[1, 2])  # NaN
    assert np.isnan(x[3, 2])  # Filtered
    assert x[2, 0] == 0  # zeros kept
    assert adata.uns["protein_input"]["format"] == "tsv"


def test_number_parsing_fast_path_gives_the_checked_floats():
    """Cells parsed without stripping every one: the same floats, or the checked parse."""
    cells = pd.DataFrame({
        "a": [" 12 ", "NA", "3.25", "\t7\t", "1e3", " nan", "0"],
        "b": ["Filtered", "", "123456789", "FILTERED ", "0.1", "2.5e-3", "4"],
        "c": ["9007199254740993", "17", "18", "19", "20", "21", "22"],  # integers only
        "d": ["1.0000000000000002", "0.30000000000000004", "5e-324", None, "na", "NaN", "8"],
    })
    fast = _clean_numbers(cells)
    checked = _checked_numbers(cells, [f"row {i}" for i in range(7)], np.arange(2, 9), Path("x"))
    assert fast is not None and fast.tobytes() == checked.tobytes()
    assert np.isnan(fast[[1, 5], 0]).all() and fast[0, 0] == 12.0 and fast[3, 0] == 7.0
    # a space that is not ASCII, text and infinity go the checked way (which strips or names them)
    for odd in ("\u00a012", "1,5", "inf", "abc"):
        assert _clean_numbers(cells.assign(a=[odd, *cells["a"][1:]])) is None
    spaced = cells.assign(a=["\u00a012", *cells["a"][1:]])
    assert _checked_numbers(spaced, ["r"] * 7, np.arange(7), Path("x"))[0, 0] == 12.0


@pytest.mark.parametrize("cells", [
    ["123", "4.5e3", "", "NA", " 7 ", "1e-300", "0.30000000000000004"],  # numbers: read as numbers
    ["-0", "1", "2", "3", "4", "5", "6"],  # -0 in a column of integers: 0 for pd.to_numeric
    ["9007199254740993", "1", "2", "3", "4", "5", "6"],  # an integer from 2**53 on
    ["NaN", "1.5", "Filtered", "3", "4", "5", "6"],  # missing tokens only the text parse knows
])
def test_intensities_read_as_numbers_equal_the_text_parse(tmp_path: Path, monkeypatch, cells):
    """pandas' parser gives the floats of the checked text parse, or the text is parsed."""
    header = "Protein IDs\tGene names\tLFQ intensity A\tLFQ intensity B\tReverse\n"
    rows = "".join(f"P{i}\tG{i}\t{cell}\t{i + 0.25}\t\n" for i, cell in enumerate(cells))
    path = tmp_path / "proteinGroups.txt"
    path.write_text(header + rows)
    read = read_maxquant(path).layers["raw"]
    monkeypatch.setattr(protein_io, "_read_numbers", lambda *args, **kwargs: None)
    as_text = read_maxquant(path).layers["raw"]
    assert read.tobytes() == as_text.tobytes()


def test_exact_floats_guard():
    assert protein_io._exact_floats(pd.DataFrame({"a": [1.5, np.nan, 0.0, -2.0]}))
    for odd in ([1.0, np.inf], [-0.0, 1.0], [2.0**53, 1.0]):
        assert not protein_io._exact_floats(pd.DataFrame({"a": odd}))
    assert not protein_io._exact_floats(pd.DataFrame({"a": ["1.5"]}))  # text


def test_tsv_log2_allows_negative():
    adata = read_protein_tsv(TSV_LOG2, is_log2=True)
    assert adata.X[1, 0] == -1.5
    assert adata.uns["protein_input"]["is_log2"] is True
    assert adata.var["gene_name"].tolist() == ["VEGFA", "KDR"]  # from the UniProt map


def test_tsv_negative_linear_rejected():
    with pytest.raises(InputError, match="negative intensity -1.5 for protein 'P15692'") as err:
        read_protein_tsv(TSV_LOG2, is_log2=False)
    assert str(TSV_LOG2) in str(err.value)
    assert "'S02'" in str(err.value)


def test_tsv_duplicate_header(tmp_path):
    path = tmp_path / "m.tsv"
    path.write_text("id\tS1\tS1\nP1\t1\t2\n")
    with pytest.raises(InputError, match="column name 'S1' appears twice") as err:
        read_protein_tsv(path, is_log2=False)
    assert str(path) in str(err.value)


def test_tsv_excel_gene(tmp_path):
    path = tmp_path / "m.tsv"
    path.write_text("id\tgene_name\tS1\nP1\tSEPT2\t1\nP2\t2-Sep\t2\n")
    with pytest.raises(InputError, match=r"'2-Sep' \(row 3\)"):
        read_protein_tsv(path, is_log2=False)


@pytest.mark.parametrize(
    "reader",
    [
        lambda p: read_maxquant(p),
        lambda p: read_proteus(p),
        lambda p: read_diann(p),
        lambda p: read_olink(p),
        lambda p: read_protein_tsv(p, is_log2=False),
    ],
    ids=["maxquant", "proteus", "diann", "olink", "tsv"],
)
def test_every_reader_rejects_empty_and_header_only(tmp_path, reader):
    empty = tmp_path / "empty.tsv"
    empty.write_text("")
    with pytest.raises(InputError, match="file is empty") as err:
        reader(empty)
    assert str(empty) in str(err.value)
    header = tmp_path / "header.tsv"
    header.write_text("Protein IDs\tLFQ intensity A\n")
    with pytest.raises(InputError, match="no data rows") as err:
        reader(header)
    assert str(header) in str(err.value)


@pytest.mark.parametrize("fmt", ["proteus", "tsv"])
def test_wide_readers_reject_duplicates_and_text(tmp_path, fmt):
    dup = tmp_path / "dup.tsv"
    dup.write_text("Majority protein IDs\ts1\ts2\nP1\t20\t21\nP2\t19\tNA\nP1\t18\t17\n")
    with pytest.raises(InputError, match="duplicated protein id.*'P1' at rows 2, 4") as err:
        read_protein_matrix(dup, fmt=fmt, is_log2=True)
    assert str(dup) in str(err.value)
    text = tmp_path / "text.tsv"
    text.write_text("Majority protein IDs\ts1\ts2\nP1\t20\t21\nP2\t19\tlow\n")
    with pytest.raises(InputError) as err:
        read_protein_matrix(text, fmt=fmt, is_log2=True)
    assert str(text) in str(err.value)
    assert "protein 'P2' (row 3) in column 's2' is 'low'" in str(err.value)
    missing = tmp_path / "missing.tsv"
    missing.write_text("Majority protein IDs\ts1\ts2\nP1\tNA\t\nP2\tNaN\tFiltered\n")
    with pytest.raises(InputError, match="every intensity value is missing") as err:
        read_protein_matrix(missing, fmt=fmt, is_log2=True)
    assert str(missing) in str(err.value)


@pytest.mark.parametrize(
    ("fmt", "path", "shape"),
    [("maxquant", MAXQUANT, (4, 5)), ("diann", DIANN, (4, 4)), ("olink", OLINK, (3, 3)),
     ("tsv", TSV_LINEAR, (4, 3)), ("TSV", TSV_LOG2, (3, 2))],
)
def test_read_protein_matrix_dispatch(fmt, path, shape):
    adata = read_protein_matrix(path, fmt=fmt, is_log2=path == TSV_LOG2)
    assert adata.shape == shape
    assert adata.uns["protein_input"]["format"] == fmt.lower()


def test_read_protein_matrix_unknown_format():
    with pytest.raises(InputError, match="unknown protein format 'spectronaut'") as err:
        read_protein_matrix(TSV_LINEAR, fmt="spectronaut")
    assert str(TSV_LINEAR) in str(err.value)


def test_missing_file(tmp_path):
    path = tmp_path / "nope.txt"
    with pytest.raises(InputError, match="file not found") as err:
        read_maxquant(path)
    assert str(path) in str(err.value)


@pytest.mark.skipif(not PROTEUS.exists(), reason="nf-core test data not available")
def test_proteus_real_file():
    adata = read_proteus(PROTEUS)
    assert adata.shape == (15, 7627)
    assert adata.obs_names[0] == "sample 5"
    assert adata.obs_names[-1] == "sample 20"
    assert "sample 14" not in adata.obs_names
    assert adata.var_names[0] == "A0A087WNL7;A0A087WQ44;A0A087WNX7"
    assert adata.var_names.is_unique
    assert (adata.var["gene_name"] == "").all()
    assert adata.uns["protein_input"]["is_log2"] is True
    assert adata.X[0, 0] == pytest.approx(27.912)
    assert np.isnan(adata.X[2, 1])  # 'NA' in row 2 for sample 7
    assert 0.2 < np.isnan(adata.X).mean() < 0.4


def _wide(path: Path, values: np.ndarray) -> Path:
    lines = ["protein\t" + "\t".join(f"S{j + 1:02d}" for j in range(values.shape[1]))]
    lines += [f"P{i}\t" + "\t".join(f"{v:.6g}" for v in row) for i, row in enumerate(values)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_tsv_log2_flag_on_linear_values_is_rejected(tmp_path):
    rng = np.random.default_rng(1)
    path = _wide(tmp_path / "linear.tsv", 2 ** rng.normal(22, 2, (30, 6)))
    with pytest.raises(InputError, match="not log2 intensities") as err:
        read_protein_tsv(path, is_log2=True)
    # the library names the parameter; the CLI renders it as a flag
    assert "drop protein_is_log2" in str(err.value) and str(path) in str(err.value)
    assert err.value.param == "protein_is_log2"
    assert "drop --protein_is_log2" in err.value.render(flag=lambda name: f"--{name}")
    assert read_protein_tsv(path, is_log2=False).n_vars == 30


def test_tsv_linear_flag_on_log2_values_warns(tmp_path, caplog):
    rng = np.random.default_rng(2)
    path = _wide(tmp_path / "log2.tsv", rng.normal(22, 2, (30, 6)))
    with caplog.at_level(logging.WARNING, logger="omics"):
        read_protein_tsv(path, is_log2=False)
    assert any("pass --protein_is_log2" in r.getMessage() for r in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="omics"):
        read_protein_tsv(path, is_log2=True)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
