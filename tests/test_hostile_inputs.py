"""Hostile inputs and faults: one line naming the file and place, exit 2, nothing written.

Most cases run ``omics`` in-process (``omics.cli.main``) on a tiny cohort cut from the
bundled test cohort (12 samples, 150 genes, 40 proteins), so they take well under a
second each. End-to-end cases (odd-but-legitimate inputs giving byte-identical tables,
SIGKILL then resume, two concurrent runs, users' files in the output folder) run the
real CLI and are marked ``slow``.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
import weakref
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers import TEST_COHORT, run_omics
from omics import cli
from omics._errors import InputError
from omics.io._outdir import OutdirLock
from omics.params import resolve

FAST = ["--rna_min_count", "5", "--gsea_permutations", "100", "--cv_repeats", "2",
        "--background_genesets", "none"]
CONTRASTS = ("contrasts:\n  - id: resp\n    comparison: [response, non_responder, responder]\n"
             "    blocking_factors: [arm]\n")


def make_tiny_cohort(folder: Path) -> dict[str, Path]:
    """12 samples (3 per arm x response), 150 genes, 40 proteins; written as clean files."""
    folder.mkdir(parents=True, exist_ok=True)
    sheet = pd.read_csv(TEST_COHORT / "samplesheet.csv")
    pick = pd.concat([g.head(3) for _, g in sheet.groupby(["arm", "response"])]).sort_values("sample")
    pick.to_csv(folder / "samplesheet.csv", index=False)
    counts = pd.read_csv(TEST_COHORT / "salmon.merged.gene_counts.tsv", sep="\t")
    counts = counts[["gene_id", "gene_name", *pick["sample"]]]
    counts = counts[counts.iloc[:, 2:].sum(axis=1) > 200].head(150)
    counts.to_csv(folder / "counts.tsv", sep="\t", index=False)
    (folder / "contrasts.yaml").write_text(CONTRASTS)
    rng = np.random.default_rng(1)
    protein = pd.DataFrame(np.round(2 ** rng.normal(20, 2, size=(40, len(pick)))),
                           columns=pick["sample"])
    protein.insert(0, "gene_name", counts["gene_name"].head(40).to_numpy())
    protein.insert(0, "protein", [f"P{i:05d}" for i in range(40)])
    protein.to_csv(folder / "protein.tsv", sep="\t", index=False)
    return {"input": folder / "samplesheet.csv", "rna_counts": folder / "counts.tsv",
            "contrasts": folder / "contrasts.yaml", "protein_matrix": folder / "protein.tsv"}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> dict[str, Path]:
    return make_tiny_cohort(tmp_path_factory.mktemp("tiny"))


def args_for(files: dict[str, Path], outdir: Path, *, protein: bool = False) -> list[str]:
    args = ["run", "--input", str(files["input"]), "--contrasts", str(files["contrasts"]),
            "--rna_counts", str(files["rna_counts"]), *FAST, "--outdir", str(outdir)]
    if protein:
        args += ["--protein_matrix", str(files["protein_matrix"]), "--protein_format", "tsv"]
    return args


@pytest.fixture
def omics(capsys) -> Callable[..., tuple[int, str]]:
    """Run ``omics`` in-process; return (exit code, stderr) with the logs included."""

    def call(*argv: str) -> tuple[int, str]:
        capsys.readouterr()
        for handler in logging.getLogger("omics").handlers:
            if getattr(handler, "_omics", False):
                handler.stream = sys.stderr  # this test's captured stderr
        code = cli.main(list(argv))
        return code, capsys.readouterr().err

    return call


def assert_one_line_error(code: int, stderr: str, *expected: str) -> str:
    """Exit 2; a single non-log line ``omics: error: ...`` holding every ``expected`` text."""
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line and not line.startswith("[omics ")]
    assert code == 2, stderr
    assert len(lines) == 1, stderr
    assert lines[0].startswith("omics: error: "), stderr
    for text in expected:
        assert text in lines[0], (text, lines[0])
    return lines[0]


# ----------------------------------------------------------------------------- bad input files
def _cell(text: str, row: int, column: int, value: str, sep: str = "\t") -> str:
    lines = text.splitlines()
    fields = lines[row - 1].split(sep)
    fields[column] = value
    lines[row - 1] = sep.join(fields)
    return "\n".join(lines) + "\n"


def _rows(text: str, keep: int) -> str:
    return "\n".join(text.splitlines()[:keep]) + "\n"


def _sheet_col(column: str, row: int, value: str) -> Callable[[str], str]:
    def mutate(text: str) -> str:
        header = text.splitlines()[0].split(",")
        return _cell(text, row, header.index(column), value, sep=",")
    return mutate


def _sheet_add_batch(text: str) -> str:
    lines = text.splitlines()
    lines[0] += ",batch"
    for i in range(1, len(lines)):
        lines[i] += "," + ("" if i == 3 else "ab"[i % 2])
    return "\n".join(lines) + "\n"


def _protein_constant(text: str) -> str:
    lines = text.splitlines()
    out = [lines[0]]
    for line in lines[1:]:
        fields = line.split("\t")
        out.append("\t".join(fields[:2] + ["1000"] * (len(fields) - 2)))
    return "\n".join(out) + "\n"


BINARY = bytes(range(256)) * 8
ZIP = b"PK\x03\x04" + bytes(200)
C_HEAD = "contrasts:\n  - id: r\n"

# (id, which file, mutation of its text (or bytes), extra options, texts the message must hold)
# "{path}" in the expected texts stands for the mutated file.
BAD_FILES = [
    # count matrix: numbers
    ("count_inf", "rna_counts", lambda t: _cell(t, 4, 4, "Inf"), [], ["row 4", "'BALI003'", "finite"]),
    ("count_minus_inf", "rna_counts", lambda t: _cell(t, 5, 3, "-inf"), [], ["row 5", "finite"]),
    ("count_1e300", "rna_counts", lambda t: _cell(t, 4, 4, "1e300"), [], ["row 4", "'BALI003'", "plausible"]),
    ("count_above_int32", "rna_counts", lambda t: _cell(t, 7, 2, "3000000000"), [], ["row 7", "plausible"]),
    ("count_nan_text", "rna_counts", lambda t: _cell(t, 6, 5, "NaN"), [], ["row 6", "missing value"]),
    ("count_NA", "rna_counts", lambda t: _cell(t, 6, 5, "NA"), [], ["row 6", "missing value"]),
    ("count_empty_cell", "rna_counts", lambda t: _cell(t, 9, 3, ""), [], ["row 9", "is empty"]),
    ("count_negative", "rna_counts", lambda t: _cell(t, 3, 6, "-4"), [], ["row 3", "negative count"]),
    ("count_text", "rna_counts", lambda t: _cell(t, 10, 4, "12a"), [], ["row 10", "not a number"]),
    # count matrix: ids and layout
    ("gene_id_empty", "rna_counts", lambda t: _cell(t, 4, 0, ""), [],
     ["row 4", "'gene_id'", "empty gene id"]),
    ("gene_id_blank", "rna_counts", lambda t: _cell(t, 8, 0, "  "), [], ["row 8", "empty gene id"]),
    ("gene_id_NA", "rna_counts", lambda t: _cell(t, 8, 0, "NA"), [], ["row 8", "gene id"]),
    ("gene_id_duplicated", "rna_counts", lambda t: _cell(t, 3, 0, t.splitlines()[1].split("\t")[0]), [],
     ["duplicated gene id", "rows 2, 3"]),
    ("gene_name_excel_date", "rna_counts", lambda t: _cell(t, 5, 1, "1-Mar"), [], ["row 5", "Excel"]),
    ("sample_column_duplicated", "rna_counts", lambda t: t.replace("BALI002", "BALI001", 1), [],
     ["'BALI001'"]),
    ("counts_binary", "rna_counts", lambda t: BINARY, [], ["not UTF-8"]),
    ("counts_zip", "rna_counts", lambda t: ZIP, [], ["zip archive"]),
    ("counts_latin1", "rna_counts", lambda t: _cell(t, 2, 1, "caf\u00e9").encode("latin-1"), [],
     ["not UTF-8"]),
    ("counts_header_only", "rna_counts", lambda t: _rows(t, 1), [], ["no data rows"]),
    ("counts_empty_file", "rna_counts", lambda t: "", [], ["empty"]),
    ("counts_one_gene", "rna_counts", lambda t: _rows(t, 2), [], ["gene(s)", "vary", "at least 10"]),
    ("counts_all_below_filter", "rna_counts", lambda t: t, ["--rna_min_count", "100000"],
     ["no gene has >= 100000 counts"]),
    ("counts_sample_without_reads", "rna_counts",
     lambda t: "\n".join(_cell(line + "\n", 1, 2, "0").rstrip("\n") if i else line
                         for i, line in enumerate(t.splitlines())) + "\n", [], ["no reads", "BALI001"]),
    # sample sheet
    ("sheet_duplicate_id", "input", _sheet_col("sample", 3, "BALI001"), [],
     ["duplicated sample id", "rows 2, 3"]),
    ("sheet_empty_id", "input", _sheet_col("sample", 4, ""), [], ["empty 'sample' id at row(s) 4"]),
    ("sheet_bad_arm", "input", _sheet_col("arm", 5, "treated"), [], ["column 'arm'", "'treated'"]),
    ("sheet_age_text", "input", _sheet_col("age", 5, "old"), [], ["column 'age'", "'old'"]),
    ("sheet_age_absurd", "input", _sheet_col("age", 5, "1e300"), [], ["column 'age'", "outside"]),
    ("sheet_infinite_covariate", "input",
     lambda t: _sheet_col("bmi", 4, "inf")(t.replace("cd34_per_ml", "bmi")), [],
     ["column 'bmi', sample 'BALI003'", "'inf' is not a finite number"]),
    ("sheet_no_sample_column", "input", lambda t: t.replace("sample,", "id,", 1), [], ["'sample'"]),
    ("sheet_binary", "input", lambda t: BINARY, [], ["not UTF-8"]),
    ("sheet_single_column", "input", lambda t: t.replace(",", " "), [], ["single column"]),
    ("sheet_no_sample_in_matrix", "input", lambda t: t.replace("BALI0", "X0"), [], ["X001"]),
    # contrasts
    ("contrasts_broken_yaml", "contrasts", lambda t: t.replace("responder]", "responder"), [],
     ["line ", "column ", "not valid YAML"]),
    ("contrasts_binary", "contrasts", lambda t: BINARY, [], ["binary file"]),
    ("contrasts_unknown_level", "contrasts", lambda t: t.replace("non_responder,", "nonresponder,"), [],
     ["'nonresponder'"]),
    ("contrasts_one_sample_group", "contrasts",
     lambda t: C_HEAD + "    comparison: [patient, P001, P002]\n", [], ["contrast 'r'", "at least 2"]),
    ("contrasts_blocking_is_variable", "contrasts", lambda t: t.replace("[arm]", "[response]"), [],
     ["contrast 'resp'", "blocking factor 'response'"]),
    ("contrasts_unknown_column", "contrasts",
     lambda t: C_HEAD + "    formula: '~ arm + nosuch'\n    make_contrasts_str: armbmmnc\n", [],
     ["contrast 'r'", "'nosuch'"]),
    ("contrasts_unknown_coefficient", "contrasts",
     lambda t: C_HEAD + "    formula: '~ arm + response'\n    make_contrasts_str: nosuch\n", [],
     ["contrast 'r'", "'nosuch'"]),
    ("contrasts_code_in_formula", "contrasts",
     lambda t: C_HEAD + "    formula: '~ __import__(\"os\").getcwd()'\n    make_contrasts_str: x\n", [],
     ["contrast 'r'"]),
    ("contrasts_duplicate_id", "contrasts", lambda t: t + t.split("contrasts:\n")[1], [],
     ["duplicated contrast id"]),
    ("contrasts_bad_id", "contrasts", lambda t: t.replace("id: resp", "id: 'a/b'"), [],
     ["may only hold letters"]),
    ("contrasts_empty_list", "contrasts", lambda t: "contrasts: []\n", [], ["at least one entry"]),
    # protein matrix
    ("protein_inf", "protein_matrix", lambda t: _cell(t, 3, 4, "inf"), [], ["row 3", "finite"]),
    ("protein_1e300", "protein_matrix", lambda t: _cell(t, 3, 4, "1e300"), [], ["row 3", "plausible"]),
    ("protein_constant", "protein_matrix", _protein_constant, [], ["protein(s)", "vary"]),
    ("protein_one", "protein_matrix", lambda t: _rows(t, 2), [], ["protein(s)", "vary"]),
    ("protein_empty_id", "protein_matrix", lambda t: _cell(t, 5, 0, ""), [], ["row 5", "empty protein id"]),
    ("protein_text_cell", "protein_matrix", lambda t: _cell(t, 6, 3, "high"), [], ["row 6", "'high'"]),
]


@pytest.mark.parametrize(("key", "mutate", "extra", "expected"),
                         [case[1:] for case in BAD_FILES], ids=[case[0] for case in BAD_FILES])
def test_bad_file_stops_with_one_line_and_writes_nothing(tiny, tmp_path, omics, key, mutate, extra,
                                                         expected):
    files = dict(tiny)
    original = files[key].read_text()
    changed = mutate(original)
    target = tmp_path / f"bad {key}{files[key].suffix}"  # a space in the path, too
    if isinstance(changed, bytes):
        target.write_bytes(changed)
    else:
        target.write_text(changed)
    files[key] = target
    outdir = tmp_path / "results"
    code, stderr = omics(*args_for(files, outdir, protein=key == "protein_matrix"), *extra)
    assert_one_line_error(code, stderr, str(target), *expected)
    assert not outdir.exists()


def _gmt_case(text: str | bytes) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / "sets.gmt"
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        return path
    return make


BAD_GENESETS = [
    ("gmt_binary", _gmt_case(BINARY), ["binary file"]),
    ("gmt_all_sets_empty", _gmt_case("A\tdesc\t\t\nB\tdesc\t \n"), ["line 1", "'A' has no genes"]),
    ("gmt_one_set_empty", _gmt_case("A\tdesc\tVEGFA\tKDR\nB\tdesc\t\n"), ["line 2", "'B' has no genes"]),
    ("gmt_duplicate_set", _gmt_case("A\td\tVEGFA\nA\td\tKDR\n"), ["line 2", "appears twice"]),
    ("gmt_two_fields", _gmt_case("A\tVEGFA\n"), ["line 1", "2 tab-separated"]),
    ("gmt_no_name", _gmt_case("\tdesc\tVEGFA\n"), ["line 1", "no name"]),
    ("gmt_latin1", _gmt_case("A\td\tcaf\u00e9\n".encode("latin-1")), ["line 1", "not UTF-8"]),
    ("gmt_missing", lambda folder: folder / "nosuch.gmt", ["not found"]),
]


@pytest.mark.parametrize(("make", "expected"), [c[1:] for c in BAD_GENESETS],
                         ids=[c[0] for c in BAD_GENESETS])
@pytest.mark.parametrize("option", ["--genesets", "--background_genesets"])
def test_bad_gene_sets(tiny, tmp_path, omics, make, expected, option):
    gmt = make(tmp_path)
    outdir = tmp_path / "results"
    args = [a for a in args_for(tiny, outdir) if a not in ("--background_genesets", "none")]
    code, stderr = omics(*args, option, str(gmt))
    assert_one_line_error(code, stderr, str(gmt), *expected)
    assert not outdir.exists()


# ----------------------------------------------------------------------------- parameters
BAD_PARAMS = [
    ("params_broken_yaml", "seed: 1\n  cv_repeats: [2\n", ["line 2, column", "not valid YAML"]),
    ("params_binary", BINARY, ["binary file"]),
    ("params_not_mapping", "- seed\n- 1\n", ["mapping"]),
    ("params_unknown_key", "rna_min_cout: 3\n", ["unknown parameter(s) rna_min_cout"]),
    ("params_list_for_integer", "cv_repeats: [2, 3]\n", ["'cv_repeats'", "single integer"]),
    ("params_list_for_choice", "score_method: [zmean]\n", ["'score_method'", "single string"]),
    ("params_mapping_value", "genesets: {a: 1}\n", ["'genesets'"]),
    ("params_nested_list", "response_covariates: [[age], diabetes]\n", ["'response_covariates'"]),
    ("params_nan_number", "de_fdr: .nan\n", ["'de_fdr'", "finite"]),
    ("params_inf_number", "de_fdr: .inf\n", ["'de_fdr'", "finite"]),
    ("params_huge_seed", "seed: 100000000000000000000\n", ["'seed'", "beyond"]),
    ("params_bool_for_integer", "cv_folds: true\n", ["'cv_folds'"]),
    ("params_empty_path", "input: ''\n", ["'input' is empty"]),
    ("params_fdr_above_1", "de_fdr: 2\n", ["'de_fdr' must be <= 1"]),
    ("params_alpha_1", "deseq2_alpha: 1\n", ["'deseq2_alpha' must be < 1"]),  # R: 0 < alpha < 1
    ("params_zero_volume", "flow_sample_volume_ul: 0\n", ["'flow_sample_volume_ul' must be > 0"]),
    ("params_zero_beads", "flow_beads_per_test: 0\n", ["'flow_beads_per_test' must be > 0"]),
    ("params_min_above_max", "gsea_min_size: 600\n", ["--gsea_min_size (600) is larger than "
                                                        "--gsea_max_size (500)"]),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in BAD_PARAMS],
                         ids=[c[0] for c in BAD_PARAMS])
def test_bad_params_file(tiny, tmp_path, omics, text, expected):
    params = tmp_path / "my params.yaml"
    params.write_bytes(text if isinstance(text, bytes) else text.encode())
    outdir = tmp_path / "results"
    code, stderr = omics(*args_for(tiny, outdir), "--params-file", str(params))
    assert_one_line_error(code, stderr, str(params), *expected)
    assert not outdir.exists()


def test_list_parameters_accept_yaml_lists(tmp_path):
    params = tmp_path / "p.yaml"
    params.write_text("response_covariates: [age, diabetes]\ngenesets: [a.gmt, b.gmt]\n")
    resolved = resolve({}, params_file=params)
    assert resolved["response_covariates"] == "age,diabetes"
    assert resolved["genesets"] == "a.gmt,b.gmt"


COMMAND_LINES = [
    ("no_input_at_all", lambda f, o: ["run", "--outdir", str(o)], ["--input", "--demo"]),
    ("input_empty", lambda f, o: ["run", "--input", "", "--outdir", str(o)], ["'input' is empty"]),
    ("data_without_input", lambda f, o: ["run", "--rna_counts", str(f["rna_counts"]),
                                         "--contrasts", str(f["contrasts"]), "--outdir", str(o)],
     ["--", "without --input"]),
    ("demo_with_input", lambda f, o: ["run", "--demo", "--input", str(f["input"]), "--outdir", str(o)],
     ["--demo", "--input"]),
    ("contrasts_missing", lambda f, o: ["run", "--input", str(f["input"]), "--rna_counts",
                                        str(f["rna_counts"]), "--outdir", str(o)], ["--contrasts"]),
    ("no_matrix", lambda f, o: ["run", "--input", str(f["input"]), "--contrasts", str(f["contrasts"]),
                                "--outdir", str(o)], ["--rna_counts (or --rna_matrix), --protein_matrix"]),
    ("input_missing_file", lambda f, o: args_for({**f, "input": f["input"].with_name("nosuch.csv")}, o),
     ["nosuch.csv", "not found"]),
    ("min_samples_too_many", lambda f, o: [*args_for(f, o), "--rna_min_samples", "100"],
     ["--rna_min_samples 100"]),
    ("gsea_permutations_too_few", lambda f, o: [*args_for(f, o), "--gsea_permutations", "5"],
     ["'gsea_permutations' must be >= 100"]),
    ("seed_not_integer", lambda f, o: [*args_for(f, o), "--seed", "1.5"], ["'seed'", "integer"]),
]


@pytest.mark.parametrize(("build", "expected"), [c[1:] for c in COMMAND_LINES],
                         ids=[c[0] for c in COMMAND_LINES])
def test_bad_command_line(tiny, tmp_path, omics, build, expected):
    outdir = tmp_path / "results"
    code, stderr = omics(*build(tiny, outdir))
    assert_one_line_error(code, stderr, *expected)
    assert not outdir.exists()


# ----------------------------------------------------------------------------- output folder
def test_outdir_empty(tiny, tmp_path, omics):
    code, stderr = omics(*args_for(tiny, tmp_path)[:-1], "")
    assert_one_line_error(code, stderr, "'outdir' is empty")


def test_outdir_is_a_file(tiny, tmp_path, omics):
    target = tmp_path / "results"
    target.write_text("mine\n")
    code, stderr = omics(*args_for(tiny, target))
    assert_one_line_error(code, stderr, str(target), "is a file")
    assert target.read_text() == "mine\n"


def test_outdir_under_a_file(tiny, tmp_path, omics):
    (tmp_path / "afile").write_text("mine\n")
    code, stderr = omics(*args_for(tiny, tmp_path / "afile" / "results"))
    assert_one_line_error(code, stderr, str(tmp_path / "afile"), "which is a file")


def test_outdir_not_writable(tiny, tmp_path, omics):
    locked = tmp_path / "readonly"
    locked.mkdir()
    locked.chmod(0o500)
    target = locked / "results" if os.geteuid() != 0 else Path("/proc/sys/omics_results")
    try:
        code, stderr = omics(*args_for(tiny, target))
    finally:
        locked.chmod(0o700)
    assert_one_line_error(code, stderr, str(target), "cannot write")
    assert not target.exists()


def test_outdir_held_by_another_run_stops_at_once(tiny, tmp_path, omics):
    outdir = tmp_path / "results"
    (outdir / "notes").mkdir(parents=True)
    with OutdirLock(outdir):
        started = time.time()
        code, stderr = omics(*args_for(tiny, outdir))
        line = assert_one_line_error(code, stderr, str(outdir), "another omics run",
                                     f"pid {os.getpid()}", "started")
    assert time.time() - started < 5, line
    assert sorted(p.name for p in outdir.iterdir()) == [".omics.lock", "notes"]
    # a single stage does not write into it either
    with OutdirLock(outdir):
        code, stderr = omics("validate", "--input", str(tiny["input"]), "--contrasts",
                             str(tiny["contrasts"]), "--rna_counts", str(tiny["rna_counts"]),
                             "--outdir", str(outdir))
        assert_one_line_error(code, stderr, str(outdir), "another omics run")
    assert sorted(p.name for p in outdir.iterdir()) == [".omics.lock", "notes"]


def test_bad_input_leaves_an_existing_outdir_as_it_was(tiny, tmp_path, omics):
    outdir = tmp_path / "results"
    (outdir / "rna").mkdir(parents=True)
    (outdir / "rna" / ".draft.tmp.md").write_text("mine\n")
    bad = tmp_path / "counts.tsv"
    bad.write_text(_cell(tiny["rna_counts"].read_text(), 4, 4, "Inf"))
    code, stderr = omics(*args_for({**tiny, "rna_counts": bad}, outdir))
    assert_one_line_error(code, stderr, str(bad))
    assert [p.relative_to(outdir) for p in sorted(outdir.rglob("*"))] == [
        Path("rna"), Path("rna/.draft.tmp.md")]


# ----------------------------------------------------------------------------- failures of ours
def test_unexpected_error_is_one_line_and_exit_1(tiny, tmp_path, omics, monkeypatch):
    import omics.runner as runner

    def boom(*args, **kwargs):
        raise RuntimeError("something\nbroke")

    monkeypatch.setattr(runner, "run_pipeline", boom)
    code, stderr = omics(*args_for(tiny, tmp_path / "results"))
    assert code == 1
    assert stderr.strip() == ("omics: error: unexpected RuntimeError: something broke (this is a bug "
                              "or an unsupported input; rerun with -v for the traceback)")
    code, stderr = omics(*args_for(tiny, tmp_path / "results"), "-v")
    assert code == 1 and "Traceback" in stderr


def test_input_error_is_always_one_line():
    error = InputError("bad\nvalue", path="/x/y.tsv", where="row 3, column 'a'", fix="Fix\nit.")
    assert str(error) == "/x/y.tsv: row 3, column 'a': bad value Fix it."
    assert InputError("no file").with_path("f.tsv").path == "f.tsv"


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_interrupt_swallowed_in_a_weakref_callback_is_still_noticed():
    from omics.runner import _Interrupts

    class Thing:
        pass

    before = signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal
    with _Interrupts() as interrupts:
        thing = Thing()

        def callback(_ref: object) -> None:
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(1000):  # the handler runs here; its KeyboardInterrupt is swallowed
                pass

        ref = weakref.ref(thing, callback)
        del thing  # "Exception ignored in: <function callback ...>: KeyboardInterrupt"
        assert ref() is None
        assert interrupts.received
        with pytest.raises(KeyboardInterrupt):
            interrupts.check()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    signal.signal(signal.SIGINT, before)


def test_stale_temporaries_only_ours_are_removed(tmp_path):
    from omics.io._outdir import remove_stale_temporaries
    from omics.io._write import atomic_path

    folder = tmp_path / "rna"
    folder.mkdir()
    dead = 2**22 + 12345  # above the default pid_max of 2**22: no such process
    ours = folder / f".rna.h5ad.omics-tmp-{dead}-abcd_123.h5ad"
    live = folder / f".rna.h5ad.omics-tmp-{os.getppid()}-abcd_123.h5ad"  # a running writer
    users = [folder / ".draft.tmp.md", folder / ".notes.tmp", folder / "x.omics-tmp-1-abcdefgh",
             folder / ".a.omics-tmp-12-short"]
    for path in [ours, live, *users]:
        path.write_text("x")
    assert remove_stale_temporaries([folder, tmp_path / "absent"]) == 1
    assert not ours.exists() and live.exists() and all(p.exists() for p in users)
    with atomic_path(folder / "t.tsv") as tmp:
        from omics.io._write import is_temporary

        assert is_temporary(tmp)


@pytest.mark.skipif(sys.platform != "linux", reason="reads process states from /proc")
def test_a_zombie_writers_temporary_is_stale(tmp_path):
    """A worker killed with its runner may stay a zombie (unreaped): its file is stale."""
    from omics.io._outdir import process_state, remove_stale_temporaries

    child = os.fork()
    if child == 0:
        os._exit(0)
    try:
        deadline = time.time() + 10
        while time.time() < deadline and process_state(child) != "Z":
            time.sleep(0.01)
        assert process_state(child) == "Z"
        left = tmp_path / f".resp.rna.ora.tsv.omics-tmp-{child}-dnygcg6_.tsv"
        left.write_text("")
        assert remove_stale_temporaries([tmp_path]) == 1
        assert not left.exists()
    finally:
        os.waitpid(child, 0)


# ----------------------------------------------------------------------------- odd but legitimate
def _odd(kind: str, files: dict[str, Path], folder: Path) -> dict[str, Path]:
    """Rewrite the clean inputs the way other tools and editors write them."""
    folder.mkdir(parents=True, exist_ok=True)
    out = dict(files)

    def put(key: str, name: str, data: bytes) -> None:
        path = folder / name
        path.write_bytes(data)
        out[key] = path

    sheet, counts = files["input"].read_bytes(), files["rna_counts"].read_bytes()
    contrasts = files["contrasts"].read_bytes()
    if kind == "crlf":
        put("input", "samplesheet.csv", sheet.replace(b"\n", b"\r\n"))
        put("rna_counts", "counts.tsv", counts.replace(b"\n", b"\r\n"))
        put("contrasts", "contrasts.yaml", contrasts.replace(b"\n", b"\r\n"))
    elif kind == "bom":
        put("input", "samplesheet.csv", b"\xef\xbb\xbf" + sheet)
        put("rna_counts", "counts.tsv", b"\xef\xbb\xbf" + counts)
        put("contrasts", "contrasts.yaml", b"\xef\xbb\xbf" + contrasts)
    elif kind == "semicolons":
        put("input", "samplesheet.csv", sheet.replace(b",", b";"))
    elif kind == "comma_tsv":
        put("rna_counts", "counts.tsv", counts.replace(b"\t", b","))
    elif kind == "unicode_spaces_in_paths":
        sub = "d\u00e9j\u00e0 vu/\u6570\u636e set"
        (folder / sub).mkdir(parents=True)
        put("input", f"{sub}/sample sheet \u00e9.csv", sheet)
        put("rna_counts", f"{sub}/counts \u03b1.tsv", counts)
        put("contrasts", f"{sub}/con trasts.yaml", contrasts)
    elif kind == "gzip":
        import gzip

        put("rna_counts", "counts.tsv.gz", gzip.compress(counts, mtime=0))
    elif kind == "trailing_blank_lines":
        put("input", "samplesheet.csv", sheet + b"\n\n")
        put("rna_counts", "counts.tsv", counts + b"\n\n")
    else:
        raise ValueError(kind)
    return out


ODD_KINDS = ["crlf", "bom", "semicolons", "comma_tsv", "unicode_spaces_in_paths", "gzip",
             "trailing_blank_lines"]


@pytest.mark.parametrize("kind", ODD_KINDS)
def test_odd_but_legitimate_inputs_read_identically(tiny, tmp_path, kind):
    from omics.stages._validate import check_inputs, write_validated

    params = resolve({"rna_min_count": 5})
    odd = _odd(kind, tiny, tmp_path / "odd")
    results = {}
    for name, files in (("clean", tiny), ("odd", odd)):
        checked = check_inputs(input=files["input"], contrasts=files["contrasts"],
                               rna_counts=files["rna_counts"], params=params)
        write_validated(checked, tmp_path / name)
        results[name] = checked
    for relative in ("validated/samplesheet.csv", "validated/contrasts.yaml"):
        assert (tmp_path / "clean" / relative).read_bytes() == (tmp_path / "odd" / relative).read_bytes()
    from omics.io import read_rna_counts

    clean, odd_counts = read_rna_counts(tiny["rna_counts"]), read_rna_counts(odd["rna_counts"])
    assert np.array_equal(clean.X, odd_counts.X)
    assert clean.obs_names.equals(odd_counts.obs_names) and clean.var.equals(odd_counts.var)


# ----------------------------------------------------------------------------- end to end (slow)
def _tables(outdir: Path) -> dict[str, bytes]:
    """Every result table (not the logs, the report or pipeline_info, which record paths/times)."""
    folders = ("differential", "enrichment", "scores", "qc", "integration")
    return {str(p.relative_to(outdir)): p.read_bytes() for folder in folders
            for p in sorted((outdir / folder).glob("*")) if p.suffix in {".tsv", ".txt"}}


@pytest.fixture(scope="module")
def clean_run(tiny, tmp_path_factory) -> Path:
    """One uninterrupted run of the tiny cohort (RNA + protein), with users' files in the outdir."""
    outdir = tmp_path_factory.mktemp("clean") / "results"
    (outdir / "notes").mkdir(parents=True)
    (outdir / "rna").mkdir()
    for name in ("notes/.todo.tmp", ".draft.tmp.md", "rna/.x.tmp.h5ad", "notes/keep.txt"):
        (outdir / name).write_text(f"user file {name}\n")
    result = run_omics(*args_for(tiny, outdir, protein=True))
    assert result.returncode == 0, result.stderr[-3000:]
    return outdir


@pytest.mark.slow
def test_users_files_in_the_outdir_are_kept(clean_run):
    for name in ("notes/.todo.tmp", ".draft.tmp.md", "rna/.x.tmp.h5ad", "notes/keep.txt"):
        assert (clean_run / name).read_text() == f"user file {name}\n"
    assert not [p for p in clean_run.rglob("*") if ".omics-tmp-" in p.name]


@pytest.mark.slow
def test_odd_inputs_give_byte_identical_tables(tiny, clean_run, tmp_path):
    files = _odd("crlf", tiny, tmp_path / "crlf")
    files = {**files, **{k: v for k, v in _odd("unicode_spaces_in_paths", files, tmp_path / "u").items()
                         if k == "input"}}
    sheet = files["input"]
    sheet.write_bytes(b"\xef\xbb\xbf" + sheet.read_bytes().replace(b",", b";"))
    counts = tmp_path / "u" / "counts comma.tsv"
    counts.write_bytes(files["rna_counts"].read_bytes().replace(b"\t", b","))
    files["rna_counts"] = counts
    outdir = tmp_path / "r\u00e9sultats avec espaces"
    result = run_omics(*args_for(files, outdir, protein=True))
    assert result.returncode == 0, result.stderr[-3000:]
    assert _tables(outdir) == _tables(clean_run)


@pytest.mark.slow
def test_demo_must_be_asked_for(tmp_path):
    result = run_omics("run", "--outdir", str(tmp_path / "results"))
    assert result.returncode == 2
    assert "--demo" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "results").exists()


@pytest.mark.slow
@pytest.mark.parametrize("kill_after", ["validated/validation.json", "pipeline_info/cache/rna_prep.json",
                                        "differential/resp.rna.deseq2.results.tsv",
                                        "pipeline_info/cache/enrich.resp.protein.json"])
def test_sigkill_then_rerun_is_byte_identical(tiny, clean_run, tmp_path, kill_after):
    outdir = tmp_path / "results"
    process = subprocess.Popen([sys.executable, "-m", "omics.cli",
                                *args_for(tiny, outdir, protein=True)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    target = outdir / kill_after
    deadline = time.time() + 300
    while not target.exists() and time.time() < deadline and process.poll() is None:
        time.sleep(0.02)
    process.kill()
    process.wait()
    assert target.exists(), "the run ended before the kill point"
    rerun = run_omics(*args_for(tiny, outdir, protein=True))
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert _tables(outdir) == _tables(clean_run)
    assert not [p for p in outdir.rglob("*") if ".omics-tmp-" in p.name]


@pytest.mark.slow
def test_two_concurrent_runs_second_stops_at_once(tiny, clean_run, tmp_path):
    outdir = tmp_path / "results"
    first = subprocess.Popen([sys.executable, "-m", "omics.cli", *args_for(tiny, outdir, protein=True)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lock = outdir / ".omics.lock"
    deadline = time.time() + 120
    while not (lock.exists() and lock.read_text()) and time.time() < deadline:
        time.sleep(0.02)
    os.kill(first.pid, signal.SIGSTOP)  # hold the first run mid-way, however fast the machine
    try:
        second = run_omics(*args_for(tiny, outdir, protein=True), "--seed", "7")
    finally:
        os.kill(first.pid, signal.SIGCONT)
    _, first_err = first.communicate(timeout=300)
    assert first.returncode == 0, first_err[-3000:]
    line = assert_one_line_error(second.returncode, second.stderr, str(outdir), "another omics run",
                                 f"pid {first.pid}", "host", "started")
    assert second.stderr.strip() == line  # stopped before reading any input
    assert "seed: 42" in (outdir / "pipeline_info" / "params.yaml").read_text()
    assert _tables(outdir) == _tables(clean_run)


@pytest.mark.slow
def test_small_matrix_without_gene_set_overlap_runs_to_the_end(tiny, tmp_path):
    """Degenerate but valid (12 genes, one panel gene): runs, with empty enrichment tables.

    (A panel with no gene of any matrix stops at the input check: test_enrich_audit43.)
    """
    small = tmp_path / "small.tsv"
    lines = tiny["rna_counts"].read_text().splitlines()
    small.write_text("\n".join(lines[:13]) + "\n")
    outdir = tmp_path / "results"
    result = run_omics(*args_for({**tiny, "rna_counts": small}, outdir),
                       "--genesets", str(_gmt_case(f"A\td\t{lines[1].split(chr(9))[1]}\tNOPE2\n")(tmp_path)))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "no gene set has >= 10 of the" in result.stderr
    assert (outdir / "enrichment" / "resp.rna.gsea.tsv").is_file()
    assert (outdir / "report" / "index.html").is_file()


def test_pruning_removes_only_files_still_as_the_run_wrote_them(tmp_path):
    import hashlib
    import json

    from omics.runner import _prune_previous

    outdir = tmp_path / "results"
    (outdir / "differential").mkdir(parents=True)
    (outdir / "pipeline_info" / "cache").mkdir(parents=True)
    ours, edited = outdir / "differential" / "old.tsv", outdir / "differential" / "edited.tsv"
    for path in (ours, edited):
        path.write_text("as written\n")
    digest = hashlib.sha256(b"as written\n").hexdigest()
    manifest = {"key": "k", "outputs": {"differential/old.tsv": digest,
                                         "differential/edited.tsv": digest}}
    (outdir / "pipeline_info" / "cache" / "de.gone.rna.json").write_text(json.dumps(manifest))
    edited.write_text("the user's notes\n")
    _prune_previous(outdir, [])
    assert not ours.exists()
    assert edited.read_text() == "the user's notes\n"


def test_a_rerun_task_retires_only_its_unchanged_files_it_no_longer_writes(tmp_path):
    import hashlib
    import json

    from omics.dag import Task
    from omics.runner import _record

    outdir = tmp_path / "results"
    plots = outdir / "flow" / "gating_plots"
    plots.mkdir(parents=True)
    (outdir / "pipeline_info" / "cache").mkdir(parents=True)
    h5ad, old, edited = outdir / "flow" / "flow.h5ad", plots / "S1.png", plots / "S2.png"
    for path in (h5ad, old, edited):
        path.write_text("as written\n")
    digest = hashlib.sha256(b"as written\n").hexdigest()
    task = Task("flow_prep", "flow_prep", {}, [])
    manifest = outdir / "pipeline_info" / "cache" / "flow_prep.json"
    manifest.write_text(json.dumps({"key": "old", "outputs": {
        "flow/flow.h5ad": digest, "flow/gating_plots/S1.png": digest,
        "flow/gating_plots/S2.png": digest}}))
    edited.write_text("the user's annotation\n")
    _record(outdir, task, "new", {"h5ad": h5ad})
    assert not old.exists() and h5ad.is_file()
    assert edited.read_text() == "the user's annotation\n"  # changed since the run: kept
    assert json.loads(manifest.read_text()) == {"key": "new", "outputs": {"flow/flow.h5ad": digest}}
    edited.unlink()
    manifest.write_text(json.dumps({"key": "old", "outputs": {
        "flow/flow.h5ad": digest, "flow/gating_plots/S3.png": digest}}))
    (plots / "S3.png").write_text("as written\n")
    _record(outdir, task, "new", {"h5ad": h5ad})
    assert not plots.exists() and h5ad.is_file()  # the folder it emptied goes too
    outside = tmp_path / "elsewhere.txt"  # a manifest pointing outside the results
    outside.write_text("as written\n")
    manifest.write_text(json.dumps({"key": "old", "outputs": {
        "flow/flow.h5ad": digest, "../elsewhere.txt": digest}}))
    _record(outdir, task, "new", {"h5ad": h5ad})
    assert outside.is_file()


def test_unwritable_folder_at_write_time_is_an_input_error(tmp_path):
    from omics.io._write import write_text

    target = Path("/sys/omics_results/table.tsv")  # read-only even for root
    if os.access("/sys", os.W_OK) and not Path("/sys").is_mount():
        pytest.skip("/sys is writable here")
    with pytest.raises(InputError, match="cannot write here"):
        write_text("x\n", target)


@pytest.mark.parametrize("value", ["", "NA"])
def test_empty_gene_name_is_never_the_text_nan(tiny, tmp_path, value):
    from omics.io import read_rna_counts

    path = tmp_path / "counts.tsv"
    path.write_text(_cell(tiny["rna_counts"].read_text(), 4, 1, value))
    names = read_rna_counts(path).var["gene_name"]
    assert "nan" not in set(names)
    assert names.iloc[2] == read_rna_counts(tiny["rna_counts"]).var["gene_name"].iloc[2]  # from the id map
