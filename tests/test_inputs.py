"""Bad inputs stop with one clear message (exit 2) and leave no results behind."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers import NFCORE, require_shared, run_omics
from omics._errors import InputError
from omics.io import read_contrasts, read_gmt, read_rna_counts, read_samplesheet
from omics.io._contrasts import Contrast
from omics.tl import design_for_contrast


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


SHEET = "sample,arm,response,age\nS1,placebo,responder,70\nS2,placebo,non_responder,71\n" \
        "S3,bmmnc,responder,60\nS4,bmmnc,non_responder,65\nS5,placebo,responder,80\n" \
        "S6,bmmnc,non_responder,55\n"


def test_samplesheet_ok(tmp_path):
    sheet = read_samplesheet(write(tmp_path / "s.csv", SHEET))
    assert list(sheet.index) == ["S1", "S2", "S3", "S4", "S5", "S6"]
    assert list(sheet["arm"].cat.categories) == ["placebo", "bmmnc"]
    assert sheet["age"].dtype == float


@pytest.mark.parametrize(("text", "expected"), [
    ("", "file is empty"),
    ("sample,arm\n", "no data rows"),
    ("sample arm response\nS1 placebo responder\n", "single column"),
    ("id,arm\nS1,placebo\n", "lacks required column(s) 'sample'"),
    ("sample,arm\nS1,placebo\nS1,bmmnc\n", "duplicated sample id in column 'sample': 'S1' at rows 2, 3"),
    ("sample,arm\nS1,placebo\nS2,treated\n", "column 'arm' has value 'treated' for sample 'S2'"),
    ("sample,age\nS1,70\nS2,old\n", "column 'age' must be numeric but sample 'S2'"),
    ("sample,arm\n,placebo\n", "empty 'sample' id at row(s) 2"),
])
def test_samplesheet_errors(tmp_path, text, expected):
    path = write(tmp_path / "sheet.csv", text)
    with pytest.raises(InputError) as error:
        read_samplesheet(path)
    assert expected in str(error.value)
    assert str(path) in str(error.value)


def test_semicolon_samplesheet_is_read(tmp_path):
    sheet = read_samplesheet(write(tmp_path / "s.csv", SHEET.replace(",", ";")))
    assert sheet.shape == (6, 3)


def test_contrasts_yaml_and_csv(tmp_path):
    yaml_path = write(tmp_path / "c.yaml", """contrasts:
  - id: resp
    comparison: [response, non_responder, responder]
    blocking_factors: [arm]
  - id: inter
    formula: "~ arm * response"
    make_contrasts_str: "armbmmnc:responseresponder"
""")
    csv_path = write(tmp_path / "c.csv", "id,variable,reference,target,blocking\n"
                     "resp,response,non_responder,responder,arm\n")
    yaml_contrasts, csv_contrasts = read_contrasts(yaml_path), read_contrasts(csv_path)
    assert yaml_contrasts[0] == csv_contrasts[0]
    assert yaml_contrasts[1].is_formula


@pytest.mark.parametrize(("text", "expected"), [
    ("contrasts: []\n", "at least one entry"),
    ("contrasts:\n  - comparison: [a, b, c]\n", "has no 'id'"),
    ("contrasts:\n  - id: x\n    comparison: [a, b]\n", "needs 'comparison: [variable, reference, target]'"),
    ("contrasts:\n  - id: x y\n    comparison: [a, b, c]\n", "may only hold letters"),
    ("contrasts:\n  - id: x\n    comparison: [a, b, c]\n  - id: x\n    comparison: [a, c, b]\n",
     "duplicated contrast id"),
    ("contrasts:\n  - id: x\n    formula: '~ a'\n", "no 'make_contrasts_str'"),
    ("contrasts: [\n", "not valid YAML"),
])
def test_contrast_errors(tmp_path, text, expected):
    path = write(tmp_path / "c.yaml", text)
    with pytest.raises(InputError) as error:
        read_contrasts(path)
    assert expected in str(error.value)


def _sheet(tmp_path):
    return read_samplesheet(write(tmp_path / "s.csv", SHEET))


@pytest.mark.parametrize(("entry", "expected"), [
    ("comparison: [treatment, a, b]", "variable 'treatment' is not a sample-sheet column"),
    ("comparison: [response, non_responder, good]", "target level 'good' is not a value"),
    ("comparison: [response, non_responder, responder]\n    blocking_factors: [site]",
     "blocking factor 'site' is not a sample-sheet column"),
    ("formula: '~ arm * response'\n    make_contrasts_str: 'armfoo'", "coefficient 'armfoo' is not in"),
    ("comparison: [response, non_responder, responder]\n    exclude_samples_col: arm\n"
     "    exclude_samples_values: [placebo]", "has 1 sample(s); at least 2 are needed"),
])
def test_design_errors(tmp_path, entry, expected):
    contrast = read_contrasts(write(tmp_path / "c.yaml", f"contrasts:\n  - id: x\n    {entry}\n"))[0]
    with pytest.raises(InputError) as error:
        design_for_contrast(_sheet(tmp_path), contrast, contrasts_path="c.yaml")
    assert expected in str(error.value)


def test_design_not_full_rank(tmp_path):
    sheet = _sheet(tmp_path)
    sheet["batch"] = sheet["response"].astype(str)  # confounded with the variable
    contrast = read_contrasts(write(tmp_path / "c.yaml", "contrasts:\n  - id: x\n    comparison: "
                                    "[response, non_responder, responder]\n    blocking_factors: "
                                    "[batch]\n"))[0]
    with pytest.raises(InputError, match="not full rank: coefficient\\(s\\) 'responseresponder'"):
        design_for_contrast(sheet, contrast)


def test_design_interaction_and_levels(tmp_path):
    sheet = _sheet(tmp_path)
    contrast = read_contrasts(write(tmp_path / "c.yaml", "contrasts:\n  - id: x\n    formula: "
                                    "'~ arm * response'\n    make_contrasts_str: "
                                    "'responseresponder + armbmmnc:responseresponder'\n"))[0]
    design = design_for_contrast(sheet, contrast)
    assert list(design.matrix.columns) == ["(Intercept)", "armbmmnc", "responseresponder",
                                           "armbmmnc:responseresponder"]
    assert design.contrast_vector.to_dict() == {"(Intercept)": 0.0, "armbmmnc": 0.0,
                                                "responseresponder": 1.0,
                                                "armbmmnc:responseresponder": 1.0}


def test_design_missing_values(tmp_path):
    sheet = read_samplesheet(write(tmp_path / "s.csv", SHEET.replace("S2,placebo,non_responder,71",
                                                                     "S2,placebo,non_responder,")))
    contrast = read_contrasts(write(tmp_path / "c.yaml", "contrasts:\n  - id: x\n    comparison: "
                                    "[response, non_responder, responder]\n    blocking_factors: "
                                    "[age]\n"))[0]
    with pytest.raises(InputError, match="lack a value in age \\(first: 'S2'\\)"):
        design_for_contrast(sheet, contrast)


COUNTS = "gene_id\tgene_name\tS1\tS2\nG1\tA\t1\t2\nG2\tB\t3\t4\n"


@pytest.mark.parametrize(("text", "expected"), [
    ("gene_id\tS1\tS2\nG1\t1\t-2\n", "negative count -2.0 for gene 'G1' (row 2) in column 'S2'"),
    ("gene_id\tS1\tS2\nG1\t1\tx\n", "count for gene 'G1' (row 2) in column 'S2' is 'x'"),
    ("gene_id\tS1\tS2\nG1\t1\t2.5\n", "is not a whole number"),
    ("gene_id\tS1\tS2\nG1\t1\t2\nG1\t3\t4\n", "duplicated gene id in column 'gene_id'"),
    ("gene_id\tgene_name\tS1\nG1\t1-Mar\t4\nG2\tSEPT2\t5\n", "look like Excel dates: '1-Mar' (row 2)"),
    ("gene_id\tS1\tS1\nG1\t1\t2\n", "duplicated column name(s) in the header of the count matrix: 'S1'"),
])
def test_count_errors(tmp_path, text, expected):
    path = write(tmp_path / "counts.tsv", text)
    with pytest.raises(InputError) as error:
        read_rna_counts(path)
    assert expected in str(error.value)


def test_salmon_counts_are_rounded():
    require_shared()
    adata = read_rna_counts(NFCORE / "genomics/mus_musculus/rnaseq_expression/"
                            "SRP254919.salmon.merged.gene_counts.top1000cov.tsv")
    assert adata.shape == (6, 1000)
    assert adata.uns["rna_input"]["format"] == "salmon"
    assert adata.X.dtype.kind == "i"


def test_featurecounts(tmp_path):
    text = ("# Program:featureCounts\nGeneid\tChr\tStart\tEnd\tStrand\tLength\t/x/S1.markdup.sorted.bam"
            "\t/x/S2.bam\nG1\t1\t1\t10\t+\t10\t5\t6\n")
    adata = read_rna_counts(write(tmp_path / "fc.txt", text))
    assert list(adata.obs_names) == ["S1", "S2"]


def test_gmt(tmp_path):
    sets = read_gmt(write(tmp_path / "s.gmt", "A\tdesc\tX\tY\tX\nB\t\tZ\n"))
    assert sets == {"A": ["X", "Y"], "B": ["Z"]}
    with pytest.raises(InputError, match="line 1: the line has 2"):
        read_gmt(write(tmp_path / "bad.gmt", "A\tdesc\n"))


def _zero_sample(path: Path, sample: str) -> None:
    table = pd.read_csv(path, sep="\t")
    table[sample] = 0
    table.to_csv(path, sep="\t", index=False)


def _cli_inputs(cohort: Path) -> list[str]:
    return ["--input", str(cohort / "samplesheet.csv"), "--contrasts", str(cohort / "contrasts.yaml"),
            "--rna_counts", str(cohort / "salmon.merged.gene_counts.tsv")]


@pytest.mark.parametrize(("mutate", "expected"), [
    (lambda c: (c / "samplesheet.csv").write_text((c / "samplesheet.csv").read_text()
                                                  .replace("BALI002", "BALI001")),
     "duplicated sample id"),
    (lambda c: (c / "samplesheet.csv").write_text((c / "samplesheet.csv").read_text()
                                                  .replace("BALI040", "BALI999")),
     "are not columns of this matrix: BALI999"),
    (lambda c: (c / "salmon.merged.gene_counts.tsv").write_text(""), "file is empty"),
    (lambda c: (c / "contrasts.yaml").write_text("contrasts:\n  - id: a\n    comparison: "
                                                 "[response, non_responder, cured]\n"),
     "target level 'cured'"),
    (lambda c: _zero_sample(c / "salmon.merged.gene_counts.tsv", "BALI007"),
     "sample(s) 'BALI007' have no reads"),
    (lambda c: (c / "contrasts.yaml").write_text("contrasts:\n  - id: ix\n    formula: '~ arm ** (response'"
                                                 "\n    make_contrasts_str: armbmmnc\n"),
     "contrast 'ix': cannot build the design '~ arm ** (response'"),
    (lambda c: (c / "contrasts.yaml").write_text("contrasts:\n  - id: '..'\n    comparison: "
                                                 "[response, non_responder, responder]\n"),
     "must start with a letter or digit"),
])
@pytest.mark.slow
def test_cli_bad_input_exit_2_no_outputs(cohort, tmp_path, mutate, expected):
    mutate(cohort)
    outdir = tmp_path / "results"
    result = run_omics("run", *_cli_inputs(cohort), "--outdir", str(outdir))
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert not outdir.exists() or not any(p.is_file() for p in outdir.rglob("*"))


@pytest.mark.slow
def test_cli_unknown_param_file(tmp_path, cohort):
    params = write(tmp_path / "p.yaml", "rna_min_cout: 3\n")
    result = run_omics("run", *_cli_inputs(cohort), "--params-file", str(params))
    assert result.returncode == 2
    assert "unknown parameter(s) rna_min_cout" in result.stderr


def test_cli_bad_choice(cohort):
    result = run_omics("run", *_cli_inputs(cohort), "--protein_normalization", "mean")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr
    assert result.stderr.count("\n") == 1 and "usage:" not in result.stderr  # one line, no usage dump


def test_frame_roundtrip_has_no_index(tmp_path):
    from omics.io import write_tsv

    path = write_tsv(pd.DataFrame({"a": [1.0, None]}), tmp_path / "x.tsv")
    assert path.read_text() == "a\n1\nNA\n"
    assert not [p for p in tmp_path.iterdir() if ".omics-tmp-" in p.name]


@pytest.mark.parametrize(("float_format", "na_rep"), [("%.10g", "NA"), ("%.0f", "")])
def test_write_tsv_writes_the_bytes_of_pandas(tmp_path, float_format, na_rep):
    """write_tsv formats floats itself (faster); the bytes are those of pandas' to_csv."""
    from omics.io import write_tsv

    rng = np.random.default_rng(3)
    values = np.concatenate([rng.lognormal(10, 4, 200), [0.0, 0.5, 1.5, 2.5, -0.4, 1e-300, 1e300,
                                                         np.nan, 123456789.123456789]])
    table = pd.DataFrame({"id": [f"g{i}" for i in range(len(values))], "x": values,
                          "n": np.arange(len(values)), "y": values[::-1] / 7})
    expected = table.to_csv(sep="\t", index=False, na_rep=na_rep, float_format=float_format)
    path = write_tsv(table, tmp_path / "x.tsv", float_format=float_format, na_rep=na_rep)
    assert path.read_text() == expected


@pytest.mark.parametrize("index", [True, False])
def test_write_tsv_writes_a_table_of_floats_only_as_pandas_does(tmp_path, index):
    """A table of float columns only (one block of text) gives pandas' bytes too."""
    from omics.io import write_tsv

    rng = np.random.default_rng(4)
    values = rng.normal(0.0, 1.0, (30, 25))
    values[3, 4] = values[7, 0] = np.nan
    table = pd.DataFrame(values, index=pd.Index([f"S{i}" for i in range(30)], name="sample"),
                         columns=[f"S{i}" for i in range(25)])
    table["f32"] = rng.normal(0.0, 1.0, 30).astype(np.float32)  # another float dtype
    table.columns.name = "columns"
    for frame in (table, table.iloc[:0]):
        expected = frame.to_csv(sep="\t", index=index, na_rep="NA", float_format="%.10g")
        assert write_tsv(frame, tmp_path / "x.tsv", index=index).read_text() == expected


@pytest.mark.slow
def test_cli_outdir_that_is_a_file(cohort, tmp_path):
    target = write(tmp_path / "results", "not a folder\n")
    result = run_omics("run", *_cli_inputs(cohort), "--outdir", str(target))
    assert result.returncode == 2 and "is a file, not a folder" in result.stderr
    assert "Traceback" not in result.stderr and target.read_text() == "not a folder\n"


@pytest.mark.slow
def test_cli_min_samples_above_sample_count(cohort, tmp_path):
    outdir = tmp_path / "results"
    result = run_omics("run", *_cli_inputs(cohort), "--rna_min_samples", "100", "--outdir", str(outdir))
    assert result.returncode == 2 and "--rna_min_samples 100 is more than the 40 samples" in result.stderr
    assert not outdir.exists()


def test_design_column_with_spaces_and_coded_batch(caplog):
    sheet = pd.read_csv(io.StringIO(SHEET)).set_index("sample")
    sheet["cd34 per ml"] = [1.0, 2.5, 0.7, 3.1, 2.2, 1.4]
    sheet["batch"] = [1, 2, 3, 1, 2, 3]
    contrast = Contrast(id="c", variable="response", reference="non_responder", target="responder",
                        blocking=("cd34 per ml",))
    design = design_for_contrast(sheet, contrast)
    assert design.formula == "~ `cd34 per ml` + response"
    assert design.contrast_vector["responseresponder"] == 1.0
    with caplog.at_level(logging.WARNING, logger="omics"):
        design_for_contrast(sheet, Contrast(id="c", variable="response", reference="non_responder",
                                            target="responder", blocking=("batch",)))
    assert any("blocking factor 'batch' is numeric (values 1, 2, 3)" in r.getMessage()
               for r in caplog.records)


def test_ensembl_only_counts_get_human_symbols(tmp_path):
    path = write(tmp_path / "counts.tsv", "gene\tS1\tS2\nENSG00000112715.21\t5\t7\n"
                 "ENSG00000128052\t1\t0\nENSG99999999999\t3\t3\nENSMUSG00000023978\t2\t2\n")
    adata = read_rna_counts(path)
    # VEGFA (versioned id), KDR; an unknown and a mouse id keep no symbol (the id is kept)
    assert adata.var["gene_name"].tolist() == ["VEGFA", "KDR", "ENSG99999999999", "ENSMUSG00000023978"]
    assert adata.var_names.tolist()[0] == "ENSG00000112715.21"


def test_match_samples_needs_no_file_path_for_a_matrix_built_in_a_notebook():
    import anndata as ad

    from omics.io import match_samples

    sheet = pd.DataFrame({"arm": ["bmmnc", "placebo"]}, index=pd.Index(["S1", "S2"], name="sample"))
    matrix = ad.AnnData(np.ones((3, 2)), obs=pd.DataFrame(index=["S2", "S1", "S3"]))
    matched = match_samples(matrix, sheet)
    assert list(matched.obs_names) == ["S1", "S2"] and list(matched.obs["arm"]) == ["bmmnc", "placebo"]
