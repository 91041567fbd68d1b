"""Input-audit findings 1-5, 10 and 12: ragged rows, level checks, YAML keys, gzip YAML, ids.

Each test reproduces a finding of the CLI/input audit; odd but legitimate variants (R's
write.table layout, a trailing delimiter, blank lines) are checked to stay accepted.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import pytest

from omics import cli
from omics._errors import InputError
from omics.io import read_contrasts, read_samplesheet
from omics.params import resolve

DEMO = Path(__file__).resolve().parents[1] / "metadata" / "demo"
SHEET = ("sample,arm,response,age\nS1,placebo,responder,70\nS2,placebo,non_responder,71\n"
         "S3,bmmnc,responder,60\nS4,bmmnc,non_responder,65\n")
CONTRAST = "  - id: a\n    comparison: [response, non_responder, responder]\n"


def write(path: Path, text: str | bytes) -> Path:
    """Write ``text`` (bytes as they are) to ``path`` and return it."""
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def message(call: Callable[..., object], *args: object, **kwargs: object) -> str:
    """The message of the :class:`InputError` that ``call(*args, **kwargs)`` raises."""
    with pytest.raises(InputError) as error:
        call(*args, **kwargs)
    return str(error.value)


def with_line(text: str, line: int, edit: Callable[[str], str]) -> str:
    """``text`` with its 1-based ``line`` replaced by ``edit(line)``."""
    lines = text.splitlines()
    lines[line - 1] = edit(lines[line - 1])
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------- 1. rows with extra fields


@pytest.mark.parametrize(("line", "suffix", "fields"), [
    (2, ",zz", 5),        # first data row, one extra: was read as R's row-name layout
    (2, ",zz,yy", 6),     # first data row, two extra: was a TypeError (MultiIndex rows)
    (4, ",zz", 5),        # any other row
])
def test_row_with_extra_fields_stops_naming_the_row(tmp_path, line, suffix, fields):
    sheet = write(tmp_path / "s.csv", with_line(SHEET, line, lambda text: text + suffix))
    text = message(read_samplesheet, sheet)
    assert f"row {line}:" in text
    assert f"has {fields} field(s) but the header has 4" in text


@pytest.mark.parametrize("lines", [(2,), (3, 5), (2, 4)])
def test_trailing_delimiter_on_some_rows_reads_like_clean(tmp_path, lines):
    # an edited export: a delimiter after the last field of some rows only (an empty field)
    plain = read_samplesheet(write(tmp_path / "plain.csv", SHEET))
    text = SHEET
    for line in lines:
        text = with_line(text, line, lambda row: row + ",")
    assert read_samplesheet(write(tmp_path / "t.csv", text.replace("\n", "\r\n"))).equals(plain)


def test_extra_fields_stop_the_cli_with_exit_2_and_nothing_written(tmp_path, capsys):
    lines = (DEMO / "samplesheet.csv").read_text().splitlines()
    lines[1] += ",zz,yy"
    sheet = write(tmp_path / "two_extra.csv", "\n".join(lines) + "\n")
    outdir = tmp_path / "out"
    code = cli.main(["validate", "--input", str(sheet), "--contrasts", str(DEMO / "contrasts.yaml"),
                     "--rna_counts", str(DEMO / "salmon.merged.gene_counts.tsv.gz"),
                     "--outdir", str(outdir)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("omics: error: "), err
    assert "two_extra.csv: row 2:" in err[0] and "14 field(s)" in err[0]
    assert not outdir.exists() or not any(p.is_file() for p in outdir.rglob("*"))


def test_r_layout_is_decided_from_every_row(tmp_path):
    plain = read_samplesheet(write(tmp_path / "plain.csv", SHEET))
    # R write.table: a header one field shorter than every row (row names first)
    body = "".join(f"r{i},{row}\n" for i, row in enumerate(SHEET.splitlines()[1:], start=1))
    r_layout = read_samplesheet(write(tmp_path / "r.csv", SHEET.splitlines()[0] + "\n" + body))
    quoted = read_samplesheet(write(tmp_path / "rq.csv", SHEET.splitlines()[0] + "\n" + "".join(
        f'"r{i}","{row.replace(",", chr(34) + "," + chr(34))}"\n'
        for i, row in enumerate(SHEET.splitlines()[1:], start=1))))
    assert r_layout.equals(plain) and quoted.equals(plain)
    # the first row alone one field longer is not that layout: its extra field stops
    text = message(read_samplesheet, write(tmp_path / "first.csv",
                                           with_line(SHEET, 2, lambda t: "r1," + t)))
    assert "row 2:" in text and "5 field(s)" in text


# ------------------------------------------------------------- 2. rows with fewer fields


@pytest.mark.parametrize(("line", "edit", "fields"), [
    (2, lambda t: t.replace(",responder,", ","), 3),   # a field missing mid-row: values shift
    (3, lambda t: t.rsplit(",", 2)[0], 2),             # the last two fields missing
    (5, lambda t: t.rsplit(",", 1)[0], 3),             # the last row, last field missing
])
def test_short_row_stops_naming_the_row_and_counts(tmp_path, line, edit, fields):
    plain = read_samplesheet(write(tmp_path / "plain.csv", SHEET))
    # still fine: an empty last field written out, blank and delimiter-only lines, CRLF
    empty_last = read_samplesheet(write(tmp_path / "e.csv", SHEET.replace(",70\n", ",\n")))
    assert empty_last["age"].isna().sum() == 1
    blank = read_samplesheet(write(tmp_path / "b.csv", SHEET.replace("\n", "\r\n", 2)
                                   + "\n  \n,,,\n\n"))
    assert blank.equals(plain)
    text = message(read_samplesheet, write(tmp_path / "s.csv", with_line(SHEET, line, edit)))
    assert f"row {line}:" in text
    assert f"has {fields} field(s) but the header has 4" in text
    assert "missing delimiter" in text


# ------------------------------------------------ 3. invalid response with survival columns


@pytest.mark.parametrize("value", ["nonresponder", "Responder", "yes"])
def test_invalid_response_is_named_before_the_survival_check(tmp_path, value):
    sheet = ("sample,arm,response,afs_days,afs_event\nS1,placebo,responder,300,0\n"
             f"S2,placebo,{value},20,1\nS3,bmmnc,responder,250,0\nS4,bmmnc,non_responder,40,1\n")
    text = message(read_samplesheet, write(tmp_path / "s.csv", sheet))
    assert f"column 'response' has value {value!r} for sample 'S2'" in text
    assert "allowed values are non_responder, responder" in text
    assert "contradict" not in text


# -------------------------------------------- 4. contrasts YAML: duplicate and unknown keys


@pytest.mark.parametrize(("text", "where"), [
    ("contrasts:\n" + CONTRAST + "contrasts:\n  - id: b\n    comparison: [arm, placebo, bmmnc]\n",
     "line 4, key 'contrasts'"),
    ("contrasts:\n" + CONTRAST + "    comparison: [arm, placebo, bmmnc]\n",
     "line 4, key 'comparison'"),
    ("contrasts:\n" + CONTRAST + "    exclude_samples_col: arm\n    exclude_samples_values: [x]\n"
     "    exclude_samples_col: response\n", "line 6, key 'exclude_samples_col'"),
])
def test_contrasts_yaml_duplicate_key_stops_naming_key_and_line(tmp_path, text, where):
    error = message(read_contrasts, write(tmp_path / "c.yaml", text))
    assert where in error
    assert "given twice" in error


@pytest.mark.parametrize(("text", "key", "hint"), [
    ("contrast_defaults:\n  blocking_factors: [arm]\ncontrasts:\n" + CONTRAST,
     "line 1, key 'contrast_defaults'", "did you mean 'contrasts'?"),
    ("contrasts:\n" + CONTRAST + "blocking_factors: [arm]\n", "line 4, key 'blocking_factors'",
     "top-level"),
])
def test_contrasts_yaml_unknown_top_level_key_stops(tmp_path, text, key, hint):
    error = message(read_contrasts, write(tmp_path / "c.yaml", text))
    assert key in error and hint in error


# -------------------------------------------------------- 5. params file: duplicate keys


@pytest.mark.parametrize(("name", "text", "where"), [
    ("p.yaml", "de_fdr: 0.1\nde_fdr: 0.5\n", "line 2, key 'de_fdr'"),
    ("p.yaml", "seed: 1\nde_fdr: 0.1\nseed: 2\n", "line 3, key 'seed'"),
    ("p.json", '{"de_fdr": 0.1,\n "de_fdr": 0.5}\n', "line 2, key 'de_fdr'"),
])
def test_params_file_duplicate_key_stops(tmp_path, name, text, where):
    error = message(resolve, {}, params_file=write(tmp_path / name, text))
    assert where in error and "given twice" in error


# ------------------------------------------------------------ 10. gzip-compressed YAML


@pytest.mark.parametrize("name", ["contrasts.yaml.gz", "contrasts.yml.gz", "contrasts.YAML.GZ"])
def test_gzip_yaml_contrasts_are_read_as_yaml(tmp_path, name):
    plain = read_contrasts(DEMO / "contrasts.yaml")
    packed = write(tmp_path / name, gzip.compress((DEMO / "contrasts.yaml").read_bytes(), mtime=0))
    assert read_contrasts(packed) == plain


@pytest.mark.parametrize(("name", "packed", "advice"), [
    ("contrasts.txt", False, "contrasts.yaml"),
    ("contrasts", False, "contrasts.yaml"),
    ("contrasts.txt.gz", True, "contrasts.yaml.gz"),
])
def test_yaml_under_another_name_gets_a_yaml_message(tmp_path, name, packed, advice):
    data = (DEMO / "contrasts.yaml").read_bytes()
    path = write(tmp_path / name, gzip.compress(data, mtime=0) if packed else data)
    error = message(read_contrasts, path)
    assert "YAML" in error and f"Name it {advice}" in error
    # a CSV contrasts file is still a table
    csv = write(tmp_path / "c.csv", "id,variable,reference,target\na,response,non_responder,responder\n")
    assert [c.id for c in read_contrasts(csv)] == ["a"]


# ------------------------------------------------------------------ 12. contrast ids


@pytest.mark.parametrize("cid", ["réponse", "Δresponse", "antwort_ä"])
def test_non_ascii_contrast_id_message_says_ascii(tmp_path, cid):
    text = f'contrasts:\n  - id: "{cid}"\n    comparison: [response, non_responder, responder]\n'
    error = message(read_contrasts, write(tmp_path / "c.yaml", text))
    assert repr(cid) in error and "letters (ASCII a-z, A-Z)" in error

