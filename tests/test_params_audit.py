"""Parameter audit (CLI audit findings 6, 7, 9): unset values, the seed's bounds, Nextflow-only names.

- 6: ``key: null`` in a params file leaves the default; ``none``/``null``/``''`` on the command
  line for a parameter with a default stops with one line naming the option (exit 2, nothing
  written); parameters whose default is unset (``rna_min_samples``) still take them.
- 7: ``--seed`` below 0 stops before the run starts, as every integer parameter's bounds do.
- 9: a params file may hold the Nextflow-only parameters (``publish_dir_mode``,
  ``container_image``): ``omics`` ignores them with one info line.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import QUICK, TEST_COHORT, assert_input_error, log_records, run_omics
from omics._errors import InputError
from omics.params import BY_NAME, PARAMETERS, defaults, resolve

RUN_INPUTS = ("--input", str(TEST_COHORT / "samplesheet.csv"),
              "--contrasts", str(TEST_COHORT / "contrasts.yaml"),
              "--rna_counts", str(TEST_COHORT / "salmon.merged.gene_counts.tsv"))


def _params_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "params.yaml"
    path.write_text(text)
    return path


# ---------------------------------------------------------------------------- 6: unset values


def test_null_in_params_file_leaves_the_default(tmp_path: Path) -> None:
    """``key: null`` (nf-core habit) is "not set": the default applies, with one info line."""
    with_default = ["rna_min_count", "de_fdr", "sample_id_col", "protein_format", "gsea_min_size",
                    "gsea_max_size", "deseq2_shrink", "seed", "outdir", "response_covariates"]
    text = "".join(f"{name}: null\n" for name in with_default) + "rna_min_samples: null\n"
    path = _params_file(tmp_path, text)
    with log_records("params") as records:
        resolved = resolve({}, params_file=path)
    assert resolved == defaults()
    assert all(resolved[name] is not None for name in with_default)
    assert resolved["rna_min_samples"] is None  # its default: automatic
    lines = [record.getMessage() for record in records]
    assert len(lines) == 1 and "null, so the default applies" in lines[0], lines
    assert "de_fdr 0.05" in lines[0] and "rna_min_samples" not in lines[0]
    # the command line still wins over the file
    assert resolve({"de_fdr": "0.1"}, params_file=path)["de_fdr"] == 0.1


@pytest.mark.parametrize(("name", "word"), [
    ("de_fdr", "none"), ("gsea_min_size", "null"), ("gsea_max_size", ""), ("rna_min_count", "NULL"),
    ("deseq2_shrink", "none"), ("cv_folds", " None "), ("outdir", "none"),
    ("flow_sample_volume_ul", ""), ("seed", "null")])
def test_unset_word_for_a_parameter_with_a_default_stops(name: str, word: str) -> None:
    """``--de_fdr none``: one message naming the option and what it needs, not a None default."""
    with pytest.raises(InputError) as caught:
        resolve({name: word})
    rendered = caught.value.render(flag=lambda n: f"--{n}")
    assert rendered.startswith(f"command line: --{name} needs "), rendered
    assert f"got {word!r}" in rendered and f"Leave --{name} out for its default" in rendered


def test_unset_word_in_a_params_file_stops(tmp_path: Path) -> None:
    path = _params_file(tmp_path, "de_fdr: none\n")
    with pytest.raises(InputError) as caught:
        resolve({}, params_file=path)
    rendered = caught.value.render(flag=lambda n: f"--{n}")
    assert str(path) in rendered and "--de_fdr needs a number >= 0 and <= 1, got 'none'" in rendered
    assert "de_fdr: null" in rendered  # the way to ask for the default in a file


def test_what_the_option_needs_is_named() -> None:
    cases = {"gsea_min_size": "a whole number >= 1", "deseq2_shrink": "true or false",
             "outdir": "a path", "de_fdr": "a number >= 0 and <= 1"}
    for name, needs in cases.items():
        with pytest.raises(InputError, match=f"needs {needs}, got"):
            resolve({name: "none"})


def test_unset_word_keeps_working_where_unset_is_the_default() -> None:
    """rna_min_samples (automatic) and the other parameters whose default is unset."""
    unset_default = [p for p in PARAMETERS if p.default is None and not p.nextflow_only
                     and p.type != "string" and p.type != "path"]
    assert {p.name for p in unset_default} >= {"rna_min_samples", "flow_beads_per_test"}
    for parameter in unset_default:
        for word in ("none", "null", ""):
            assert resolve({parameter.name: word})[parameter.name] is None
    # and every parameter with a default refuses them (none may end up None)
    for parameter in PARAMETERS:
        if parameter.default is not None and not parameter.nextflow_only and parameter.type != "string":
            with pytest.raises(InputError):
                resolve({parameter.name: "none"})
    # free text is taken as written: `none` is a documented value of background_genesets
    assert resolve({"background_genesets": "none"})["background_genesets"] == "none"
    assert resolve({"response_covariates": ""})["response_covariates"] == ""


@pytest.mark.parametrize("option", [("--de_fdr", "none"), ("--gsea_min_size", "null"),
                                    ("--gsea_max_size", "")])
def test_run_with_unset_word_stops_before_writing(tmp_path: Path, option: tuple[str, str]) -> None:
    outdir = tmp_path / "out"
    done = run_omics("run", *RUN_INPUTS, *QUICK, *option, "--outdir", str(outdir))
    line = assert_input_error(done, outdir)
    assert f"{option[0]} needs" in line and "unexpected" not in line
    assert not outdir.exists()


# ---------------------------------------------------------------------------- 7: the seed


def test_negative_seed_is_refused_with_the_other_parameters(tmp_path: Path) -> None:
    assert BY_NAME["seed"].minimum == 0
    with pytest.raises(InputError, match="'seed' must be >= 0, got -5"):
        resolve({"seed": "-5"})
    with pytest.raises(InputError, match="'seed' must be >= 0, got -1"):
        resolve({}, params_file=_params_file(tmp_path, "seed: -1\n"))
    assert resolve({"seed": "0"})["seed"] == 0
    assert resolve({"seed": str(2**32 - 1)})["seed"] == 2**32 - 1
    with pytest.raises(InputError, match="'seed' is 4294967296, beyond"):
        resolve({"seed": str(2**32)})


def test_every_integer_parameter_is_bounded() -> None:
    """Each integer parameter has a minimum, and the schema states omics' upper limit."""
    from omics.params import INT_LIMIT
    from omics.schema import build_schema

    properties = {name: prop for group in build_schema()["$defs"].values()
                  for name, prop in group["properties"].items()}
    integers = [p for p in PARAMETERS if p.type == "integer"]
    assert integers and all(p.minimum is not None and p.minimum >= 0 for p in integers)
    for parameter in integers:
        prop = properties[parameter.name]
        assert prop["minimum"] == parameter.minimum, parameter.name
        assert prop["maximum"] == (parameter.maximum if parameter.maximum is not None else INT_LIMIT)
        with pytest.raises(InputError):
            resolve({parameter.name: str(int(parameter.minimum) - 1)})
    assert INT_LIMIT == 2**32 - 1


def test_run_with_negative_seed_stops_before_writing(tmp_path: Path) -> None:
    outdir = tmp_path / "out"
    done = run_omics("run", *RUN_INPUTS, *QUICK, "--seed", "-5", "--outdir", str(outdir))
    line = assert_input_error(done, outdir)
    assert "'seed' must be >= 0, got -5" in line
    assert not outdir.exists()


# ---------------------------------------------------------------------------- 9: Nextflow-only


def test_params_file_may_hold_nextflow_only_parameters(tmp_path: Path) -> None:
    path = _params_file(tmp_path, "publish_dir_mode: copy\ncontainer_image: x\nde_fdr: 0.1\n")
    with log_records("params") as records:
        resolved = resolve({}, params_file=path)
    assert resolved["de_fdr"] == 0.1
    assert "publish_dir_mode" not in resolved and "container_image" not in resolved
    assert set(resolved) == set(BY_NAME)
    lines = [record.getMessage() for record in records]
    assert lines == [f"{path}: container_image, publish_dir_mode: Nextflow-only, ignored by omics"]
    # a value Nextflow would refuse is refused here too; unknown names still stop
    with pytest.raises(InputError, match="'publish_dir_mode' is 'cpy'; choose one of"):
        resolve({}, params_file=_params_file(tmp_path, "publish_dir_mode: cpy\n"))
    with pytest.raises(InputError, match=r"unknown parameter\(s\) publish_dir_mod \(did you mean"):
        resolve({}, params_file=_params_file(tmp_path, "publish_dir_mod: copy\n"))
    # null, as Nextflow's params JSON gives an unset one, is accepted too
    assert resolve({}, params_file=_params_file(tmp_path, "container_image: null\n")) == defaults()


def test_run_with_nextflow_only_params_file_gets_past_the_parameters(tmp_path: Path) -> None:
    """``omics run --params-file`` with Nextflow-only keys: the run is not stopped by them."""
    path = _params_file(tmp_path, "publish_dir_mode: copy\ncontainer_image: x\n")
    outdir = tmp_path / "out"
    # no --input: the run stops at the next check, after the parameters were accepted
    done = run_omics("run", "--params-file", str(path), "--outdir", str(outdir))
    line = assert_input_error(done, outdir)
    assert "no input given" in line and "unknown parameter" not in line
    assert "container_image, publish_dir_mode: Nextflow-only, ignored by omics" in done.stderr


def test_nextflow_only_hint_for_the_command_line() -> None:
    """The note an unrecognised ``--publish_dir_mode`` can carry (for cli.py's _Parser)."""
    from omics.params import NEXTFLOW_ONLY, nextflow_only_hint

    assert set(NEXTFLOW_ONLY) == {p.name for p in PARAMETERS if p.nextflow_only}
    assert set(NEXTFLOW_ONLY) >= {"publish_dir_mode", "container_image"}
    hint = nextflow_only_hint(["--publish_dir_mode=copy", "--bogus"])
    assert hint.startswith("; --publish_dir_mode is Nextflow-only")
    assert "--bogus" not in hint
    both = nextflow_only_hint(["--container_image", "--publish_dir_mode"])
    assert "--container_image, --publish_dir_mode are Nextflow-only" in both
    assert nextflow_only_hint(["--de-fdr", "--bogus"]) == ""


def test_report_reads_a_recorded_null_as_the_default(tmp_path):
    """A Nextflow params.yaml may record ``de_fdr: null`` (the stages ran with the default)."""
    from omics.params import defaults
    from omics.stages._report import _recorded_params

    (tmp_path / "pipeline_info").mkdir()
    (tmp_path / "pipeline_info" / "params.yaml").write_text(
        "de_fdr: null\nrna_min_samples: null\ngsea_min_size: 15\n")
    params = _recorded_params(tmp_path, defaults())
    assert params["de_fdr"] == defaults()["de_fdr"] == 0.05
    assert params["rna_min_samples"] is None
    assert params["gsea_min_size"] == 15


def test_a_nextflow_only_option_on_the_omics_command_line_says_so(tmp_path):
    from helpers import run_omics

    done = run_omics("run", "--demo", "--outdir", str(tmp_path / "o"), "--publish_dir_mode", "copy")
    assert done.returncode == 2
    assert "--publish_dir_mode is Nextflow-only (give it to `nextflow run`" in done.stderr
    assert not (tmp_path / "o").exists()
