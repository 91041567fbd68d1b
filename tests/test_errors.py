"""InputError: typed fields (path, where, fix, param); the CLI renders parameters as flags."""

from __future__ import annotations

import pickle

from helpers import run_omics
from omics._errors import InputError
from omics.io._outdir import check_outdir


def test_fields_and_library_rendering_name_no_flag():
    error = InputError("{--rna_min_samples} 40 is more than the 12 samples.", path="counts.tsv",
                       where="column 'S1'", fix="Lower {--rna_min_samples}.")
    assert (error.path, error.where, error.param) == ("counts.tsv", "column 'S1'", "rna_min_samples")
    assert str(error) == ("counts.tsv: column 'S1': rna_min_samples 40 is more than the 12 samples. "
                          "Lower rna_min_samples.")
    assert "--" not in str(error)
    assert error.render(flag=lambda name: f"--{name}") == (
        "counts.tsv: column 'S1': --rna_min_samples 40 is more than the 12 samples. Lower --rna_min_samples.")


def test_param_given_explicitly_and_kept_by_with_path():
    error = InputError("not a folder of FCS files.", param="flow_fcs").with_path("fcs/")
    assert (error.path, error.param) == ("fcs/", "flow_fcs")
    assert InputError("plain message").param is None


def test_library_error_names_the_parameter_and_the_cli_the_flag(tmp_path):
    try:
        check_outdir("")
    except InputError as error:
        assert error.param == "outdir" and str(error).startswith("outdir is empty")
    else:
        raise AssertionError("an empty outdir must stop")
    occupied = tmp_path / "a_file"
    occupied.write_text("")
    result = run_omics("qc", "--h5ad", str(tmp_path / "x.h5ad"), "--modality", "rna",
                       "--outdir", str(occupied))
    assert result.returncode == 2
    assert "--outdir is a file, not a folder; choose another --outdir." in result.stderr, result.stderr


def test_pickled_error_keeps_its_fields():  # errors raised in flow_prep's worker processes
    error = pickle.loads(pickle.dumps(InputError("{--flow_fcs} is empty.", path="a.fcs", fix="Fix it.")))
    assert (error.message, error.path, error.fix, error.param) == ("{--flow_fcs} is empty.", "a.fcs",
                                                                   "Fix it.", "flow_fcs")
