"""Command line: ``omics run``, ``omics simulate``, one subcommand per stage, ``omics schema``.

Options are generated from the parameter model (:mod:`omics.params`), so a parameter has
the same name here, in params files and in Nextflow.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from . import __version__
from ._errors import InputError, Terminated, one_line
from ._exit import exit_process
from ._logging import configure_logging, get_logger
from ._memory import configure_process
from .params import (
    BY_NAME,
    GROUPS,
    PARAMETERS,
    PATH_LISTS,
    Parameter,
    bounds_text,
    expand_home,
    nextflow_only_hint,
    resolve,
    split_list,
    suggestion,
)
from .registry import STAGES

log = get_logger("cli")

def _add_parameter(parser: argparse.ArgumentParser | argparse._ArgumentGroup, parameter: Parameter) -> None:
    flag = f"--{parameter.name}"
    notes = [bounds_text(parameter), "" if parameter.default is None else f"default: {parameter.default}"]
    notes_text = "; ".join(note for note in notes if note)
    help_text = parameter.help + (f" ({notes_text})" if notes_text else "")
    help_text = help_text.replace("%", "%%")  # argparse formats help with %
    if parameter.type == "boolean":
        parser.add_argument(flag, nargs="?", const="true", default=None, metavar="BOOL",
                            help=help_text)
        return
    kwargs: dict = {"default": None, "help": help_text}
    if parameter.choices:
        kwargs["choices"] = list(parameter.choices)
    if parameter.type in {"integer", "number", "string", "path"}:
        kwargs["metavar"] = parameter.type.upper() if not parameter.choices else None
    parser.add_argument(flag, **kwargs)


def _add_parameters(parser: argparse.ArgumentParser, parameters: Sequence[Parameter]) -> None:
    """Add ``parameters`` to ``parser``'s help in the sections of the schema (Input/output options, ...)."""
    for group, (title, description) in GROUPS.items():
        members = [parameter for parameter in parameters if parameter.group == group]
        if members:
            section = parser.add_argument_group(title, description)
            for parameter in members:
                _add_parameter(section, parameter)


class _Parser(argparse.ArgumentParser):
    """Argument parser whose usage errors are one line (not the whole usage) and exit 2."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        # No abbreviated options (``--inp`` for ``--input``): an unknown one is an error
        # with a suggestion, and a new option cannot make an old abbreviation ambiguous.
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        #: Subcommand parsers by name (the top-level parser's), for errors about their options.
        self.commands: dict[str, argparse.ArgumentParser] = {}

    def error(self, message: str) -> NoReturn:
        """Print ``<prog>: error: <message>`` and a pointer to ``--help``; exit 2.

        Required options missing while an unknown one was given (``--inp`` for
        ``--input``): the unknown one is named, with a suggestion.
        """
        unknown = [item for item in getattr(self, "given", ()) if item.startswith("--")
                   and item.split("=", 1)[0] not in self._option_string_actions]
        if unknown and message.startswith("the following arguments are required"):
            message = _unrecognized(self, unknown)
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")

    def parse_known_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                         namespace: argparse.Namespace | None = None
                         ) -> tuple[argparse.Namespace, list[str]]:
        """Parse ``args`` (kept for :meth:`error`); see :meth:`argparse.ArgumentParser.parse_known_args`."""
        self.given = list(sys.argv[1:] if args is None else args)
        return super().parse_known_args(args, namespace)

    def parse_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                   namespace: argparse.Namespace | None = None) -> argparse.Namespace:
        """Parse ``args``; an unknown option is an error of its subcommand, with a suggestion.

        ``omics simulate --bogus`` points to ``omics simulate --help`` (not ``omics
        --help``), and an option close to a known one is named (``--de-fdr``: did you mean
        ``--de_fdr``?). Abbreviations are unknown options (``--inp``: did you mean
        ``--input``?).
        """
        parsed, unknown = self.parse_known_args(args, namespace)
        if unknown:
            parser = self.commands.get(getattr(parsed, "command", None) or "", self)
            parser.error(_unrecognized(parser, unknown))
        return parsed


def _unrecognized(parser: argparse.ArgumentParser, unknown: Sequence[str]) -> str:
    """Return ``unrecognized arguments: ...`` with the known options close to the unknown ones."""
    known = [flag for flag in parser._option_string_actions if flag.startswith("--")]
    flags = [item.split("=", 1)[0] for item in unknown if item.startswith("-")]
    close = {flag: match for flag in flags if (match := suggestion(flag, known))}
    hint = ""
    if len(close) == 1 and len(flags) == 1:
        hint = f"; did you mean {next(iter(close.values()))}?"
    elif close:
        hint = "; did you mean " + ", ".join(f"{m} for {f}" for f, m in close.items()) + "?"
    return f"unrecognized arguments: {' '.join(unknown)}{hint}{nextflow_only_hint(flags)}"


#: Help of -v in every command.
VERBOSE_HELP = "log debug lines too, and print an unexpected error's traceback"


def _at_least_one(text: str) -> int:
    """Parse a whole number >= 1 for argparse (``--n_cpus`` of ``omics simulate``)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """Return the ``omics`` argument parser."""
    parser = _Parser(
        prog="omics", description="BALI angiogenesis multi-omics workflow: RNA (RNA-seq counts, "
        "RT-qPCR, arrays), protein and flow cytometry, from input checks to an HTML report.")
    parser.add_argument("--version", action="version", version=f"omics {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                parser_class=_Parser)

    run = sub.add_parser("run", help="run the whole pipeline on one machine (--demo: demo cohort)",
                         usage="%(prog)s (--demo | --input SAMPLESHEET --contrasts CONTRASTS "
                         "DATA...) [--outdir OUTDIR] [options]",
                         description="Run validate -> prep -> qc -> de -> enrich -> score -> "
                         "integrate -> report on --input/--contrasts and the DATA: --rna_counts (or "
                         "--rna_matrix) and/or --protein_matrix, with --flow_fcs or --flow_table "
                         "for flow cytometry; or with --demo on the bundled demo cohort. The "
                         "options below are grouped as in nextflow_schema.json.")
    run.add_argument("--demo", action="store_true",
                     help="simulate the bundled demo cohort into <outdir>/demo_cohort and analyse it "
                     "(no data options allowed)")
    run.add_argument("--params-file", "-params-file", "--params_file", dest="params_file",
                     help="YAML/JSON file of parameters (command-line options win)")
    run.add_argument("--resume", dest="resume", action="store_true", default=True,
                     help="skip stages whose inputs, parameters and version are unchanged (default)")
    run.add_argument("--no-resume", dest="resume", action="store_false", help="recompute everything")
    run.add_argument("--force", action="store_true", help="recompute every stage (same as --no-resume)")
    run.add_argument("-v", "--verbose", action="count", default=0, help=VERBOSE_HELP)
    _add_parameters(run, [parameter for parameter in PARAMETERS if not parameter.nextflow_only])

    # The defaults are metadata/demo_cohort.yaml's (and its test_profile's); the limits
    # omics.simulate.SIZE_LIMITS (a test keeps this text in step with both).
    simulate = sub.add_parser(
        "simulate", help="write a simulated BALI-like cohort",
        description="Write a simulated BALI-like cohort (no patient data) into --outdir: the inputs "
        "of `omics run` (samplesheet.csv, salmon.merged.gene_counts.tsv, proteinGroups.txt, "
        "contrasts.yaml), an RT-qPCR Ct table, a continuous-outcome contrast, FCS files and their "
        "population table, and truth tables of the planted effects. The same seed and sizes give "
        "the same files.")
    simulate.add_argument("--outdir", required=True, help="folder to write the cohort into")
    simulate.add_argument("--seed", type=int, default=None,
                          help="random seed, 0 or more (default: 20090601, the demo cohort's)")
    simulate.add_argument("--profile", choices=["full", "test"], default="full",
                          help="full: the demo cohort's size; test: the small cohort of "
                          "`-profile test`, 3000 genes, 800 protein groups, 5000 events per FCS "
                          "file (default: full)")
    simulate.add_argument("--scenario", choices=["angiogenic", "null"], default="angiogenic",
                          help="angiogenic: plant predictive and prognostic effects; null: only "
                          "the arm (cryopreservation) effect (default: angiogenic)")
    simulate.add_argument("--n_patients", type=int, default=None, metavar="N",
                          help="patients, 12 to 100000 (default: 40)")
    simulate.add_argument("--n_genes", type=int, default=None, metavar="N",
                          help="genes, 1000 or more, at most the shipped annotation's 36373 "
                          "(default: 20000; 3000 with --profile test)")
    simulate.add_argument("--n_proteins", type=int, default=None, metavar="N",
                          help="protein groups, 50 or more (default: 5000; 800 with --profile "
                          "test); fewer are written when fewer genes are expressed enough")
    simulate.add_argument("--n_cpus", type=_at_least_one, default=1,
                          help="2 or more: write the flow cytometry files beside the others (same "
                          "files; default: 1)")
    simulate.add_argument("-v", "--verbose", action="count", default=0, help=VERBOSE_HELP)

    for stage in STAGES.values():
        stage_parser = sub.add_parser(
            stage.name, help=stage.help,
            description=f"{stage.help[0].upper()}{stage.help[1:]}: the {stage.name} stage of "
            "`omics run`, alone (Nextflow runs each stage as its own task).")
        required = stage_parser.add_argument_group("required options")
        in_params_file = _params_file_options(stage.name)
        for option in stage.files:
            (required if option.required else stage_parser).add_argument(
                f"--{option.name}",
                **option.argparse_kwargs(in_params_file=option.name in in_params_file))
        if "results_dir" in {option.name for option in stage.files}:  # the report
            stage_parser.add_argument("--outdir", default=None, help="folder to write report/ "
                                      "into (default: the --results_dir folder)")
        else:
            stage_parser.add_argument("--outdir", default=None,
                                      help="results folder this call writes into (default: "
                                      "outdir of --params-file, else results)")
        stage_parser.add_argument("--params-file", "-params-file", "--params_file", dest="params_file",
                                  help="YAML/JSON file of parameters (command-line options win)")
        stage_parser.add_argument("-v", "--verbose", action="count", default=0, help=VERBOSE_HELP)
        taken = {option.name for option in stage.files} | {"outdir"}
        _add_parameters(stage_parser, [BY_NAME[name] for name in stage.params if name not in taken])

    schema = sub.add_parser("schema", help="write or check nextflow_schema.json, the params "
                            "block of nextflow.config, the README table and conf/modules.config")
    schema.add_argument("--check", action="store_true", help="exit 1 when the files drift")
    schema.add_argument("--root", default=".", help="repository root (default: .)")
    parser.commands = dict(sub.choices)
    return parser


def _params_file_options(stage: str) -> tuple[str, ...]:
    """Return the file options of ``omics <stage>`` that are also parameters.

    They are the user's input files (no upstream feed: ``omics validate --input``,
    ``omics rna_prep --rna_counts``, ...), so their value may come from ``--params-file``
    as in ``omics run``; a file fed by another stage (the validated ``--contrasts``) may not.

    Parameters
    ----------
    stage
        Name of the stage (:data:`omics.registry.STAGES`).

    Returns
    -------
    tuple of str
        The option names, in the stage's order.
    """
    return tuple(option.name for option in STAGES[stage].user_files if option.name in BY_NAME)


def _stage_values(args: argparse.Namespace, params: dict) -> dict:
    """Return the values of a stage command's file options; stop when a required one is missing.

    An option that is also a parameter (:func:`_params_file_options`) and was not given on
    the command line takes the ``--params-file`` value (``params`` holds the command
    line's first, then the file's).

    Parameters
    ----------
    args
        The parsed command line of ``omics <stage>``.
    params
        The resolved parameters (:func:`_params`).

    Returns
    -------
    dict
        ``{option name: value}`` for every file option of the stage.

    Raises
    ------
    InputError
        A required option given neither on the command line nor in the params file.
    """
    stage = STAGES[args.command]
    values = {option.name: getattr(args, option.name) for option in stage.files}
    for name in _params_file_options(stage.name):
        if values[name] is None and params.get(name):
            values[name] = params[name]
    missing = [option.name for option in stage.files if option.required and not values[option.name]]
    if missing:
        flags = ", ".join(f"{{--{name}}}" for name in missing)
        keys = " and ".join(f"{name}:" for name in missing)
        raise InputError(f"{flags} missing: give {'them' if len(missing) > 1 else 'it'} on the "
                         f"command line or as {keys} in --params-file.")
    for name, value in values.items():
        # ~ is the home folder, as in every path parameter (omics.params.expand_home)
        if isinstance(value, str):
            values[name] = value = expand_home(value)
        elif isinstance(value, list | tuple):
            values[name] = value = type(value)(expand_home(v) if isinstance(v, str) else v for v in value)
        for item in value if isinstance(value, list | tuple) else [value]:
            if item is not None:
                _refuse_remote(name, str(item))
    return values


def _refuse_remote(name: str, value: str) -> None:
    """Stop when the file option ``name`` is a remote location (``s3://...``), not a local path."""
    from .io._outdir import remote_scheme

    if remote_scheme(value) == "file":
        raise InputError(f"{{--{name}}} is a file:// URL, not a path; give the file's path "
                         f"({value.strip()[len('file://'):]}).", path=value.strip())
    if (scheme := remote_scheme(value)) is not None:
        raise InputError(f"{{--{name}}} is a remote path ({scheme}://): omics reads local files "
                         "only; copy it to a local disk first, or use the Nextflow pipeline, "
                         "which stages s3:// or gs:// inputs.", path=value.strip())


def _stage_outdir(args: argparse.Namespace, params: dict) -> str:
    """Return the folder one stage command writes into, and log it when it is not ``--outdir``.

    ``--outdir`` on the command line wins; else the ``outdir`` of ``--params-file`` (as
    ``omics run`` reads it), else ``results``. The report writes into the folder it reads
    (``--results_dir``) unless ``--outdir`` is given: a params file's ``outdir`` (the
    analysed run's, in its recorded ``params.yaml``) does not move it.

    Parameters
    ----------
    args
        The parsed command line of ``omics <stage>``.
    params
        The resolved parameters (:func:`_params`: ``outdir`` from the params file, else the
        default ``results``).

    Returns
    -------
    str
        The folder, as given.
    """
    if args.outdir is not None:
        return args.outdir
    from_file = _params_file_outdir(args.params_file)
    if args.command == "report":
        from .stages._report import check_results_dir

        check_results_dir(args.results_dir)
        if from_file is not None and Path(from_file).absolute() != Path(args.results_dir).absolute():
            log.info("report: writes into the --results_dir folder %s, not the outdir %s of %s "
                     "(give --outdir to choose)", args.results_dir, from_file, args.params_file)
        return args.results_dir
    if from_file is not None:
        log.info("%s: writes into %s (outdir of %s; --outdir overrides)", args.command, from_file,
                 args.params_file)
    return str(params["outdir"])


def _params_file_outdir(params_file: str | None) -> str | None:
    """Return the ``outdir`` a params file sets, ``None`` without a file or the key (or ``null``)."""
    if not params_file:
        return None
    from ._text import load_yaml

    loaded = load_yaml(Path(params_file), what="params file")
    value = loaded.get("outdir") if isinstance(loaded, dict) else None
    return None if value is None else str(value)


def _params(args: argparse.Namespace, *, stage: bool = False) -> dict:
    overrides = {name: getattr(args, name) for name in BY_NAME if hasattr(args, name)}
    if stage:
        # A stage's --outdir is where this one call writes (in Nextflow `.`, the task folder),
        # not the pipeline's `outdir` parameter, which no stage reads: `omics report` states
        # the analysed run's (recorded in pipeline_info/params.yaml) among its parameters.
        # Without --outdir the call writes into the params file's outdir (_stage_outdir).
        overrides.pop("outdir", None)
    return resolve(overrides, params_file=getattr(args, "params_file", None))


_DATA_OPTIONS = ("input", "contrasts", "rna_counts", "rna_matrix", "protein_matrix", "flow_table",
                 "flow_fcs")


def _check_run_inputs(args: argparse.Namespace, params: dict) -> None:
    """``omics run`` analyses the user's files or, with ``--demo`` only, the demo cohort."""
    given = [name for name in _DATA_OPTIONS if params.get(name)]
    if args.demo:
        if given:
            raise InputError(f"--demo analyses the bundled demo cohort and cannot be combined with "
                             f"--{given[0]}; drop --demo to analyse your files.")
        return
    if not params.get("input"):
        if given:
            raise InputError(f"--{given[0]} was given without --input; add --input <sample sheet> "
                             "(or use --demo alone for the bundled demo cohort).")
        raise InputError("no input given; give --input <sample sheet>, --contrasts and "
                         "--rna_counts and/or --protein_matrix, or --demo for the bundled demo "
                         "cohort.")
    for name in given:  # name the option of a local file that is not there, or is remote
        value = str(params[name])
        _refuse_remote(name, value)
        _check_local_path(name, value, folder=name == "flow_fcs")


def _check_local_path(name: str, value: str, *, folder: bool = False) -> None:
    """Stop, naming the option, when a local input path is missing, or a folder given for a file."""
    path = Path(value)
    if not path.exists():
        what = "folder" if folder else "file"
        raise InputError(f"{{--{name}}}: {what} not found; check the path.", path=value)
    if not folder and path.is_dir():
        raise InputError(f"{{--{name}}}: is a directory; give the path of a file.", path=value)


def _check_other_paths(params: dict) -> None:
    """``omics run``: name the option of a gene-set, efficiency or gating file that is not there.

    The GMT files of ``genesets``/``background_genesets`` one by one (``none`` gives none;
    remote paths stop as for any file option), ``qpcr_efficiency`` and ``flow_gating``:
    missing, or a folder, stops before anything runs with the option in the message.
    """
    for name in ("qpcr_efficiency", "flow_gating"):
        if params.get(name):
            _refuse_remote(name, str(params[name]))
            _check_local_path(name, str(params[name]))
    for name in PATH_LISTS:
        value = params.get(name)
        if not isinstance(value, str) or value.strip().lower() == "none":
            continue
        for item in split_list(value):
            _refuse_remote(name, item)
            _check_local_path(name, item)


def _written(produced: object) -> list[Path]:
    """Return the paths in what a stage returned (paths, and dicts or lists of them)."""
    if isinstance(produced, dict):
        return [path for value in produced.values() for path in _written(value)]
    if isinstance(produced, (list, tuple)):
        return [path for value in produced for path in _written(value)]
    return [Path(produced)] if isinstance(produced, (str, Path)) else []


def _log_written(stage: str, produced: object, *, shown: int = 6) -> None:
    """Log one line naming the folder a stage wrote into and its files (the first ``shown``)."""
    paths = list(dict.fromkeys(_written(produced)))
    if not paths:
        log.info("%s: done, no file written", stage)
        return
    folder = Path(os.path.commonpath([path.parent for path in paths]))
    names = [str(path.relative_to(folder)) for path in paths]
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    log.info("%s: wrote %d file%s in %s%s: %s%s", stage, len(paths), "" if len(paths) == 1 else "s",
             folder, os.sep, ", ".join(names[:shown]), more)


def _run_stage(args: argparse.Namespace) -> None:
    """Run one stage subcommand: its file options and parameters, as the registry declares.

    A file option that is also a parameter (``--input``, ``--rna_counts``, ...) may come
    from ``--params-file`` (:func:`_stage_values`). The call writes into ``--outdir``, else
    the params file's ``outdir``, else ``results``; the report into the folder it reads
    (``--results_dir``) unless ``--outdir`` is given (:func:`_stage_outdir`). A file the
    stage may write that no omics command wrote there stops it before anything is written
    (:func:`omics.runner.run_stage_command`, which records what it wrote). One line then
    names the folder written into and the files.
    """
    from .io._outdir import check_outdir, probe_lock
    from .runner import run_stage_command, stage_command_task

    stage = STAGES[args.command]
    params = _params(args, stage=True)
    values = _stage_values(args, params)
    outdir = check_outdir(_stage_outdir(args, params))
    probe_lock(outdir)  # not into a folder an `omics run` is writing (creates nothing)
    kwargs = stage.call_kwargs(values)
    task = stage_command_task(stage.name, values)
    produced = run_stage_command(
        task, lambda: stage.load()(**kwargs, outdir=outdir, params=params), params, outdir,
        _sheet_ids(values.get("samplesheet")) if stage.name == "flow_prep" else (), inputs=kwargs)
    _log_written(stage.name, produced)


def _sheet_ids(samplesheet: str | None) -> list[str]:
    """Return the ids of a validated sample sheet (its ``sample`` column); [] without one.

    They name the gating plots ``omics flow_prep`` may write. The sheet is read as the stage
    reads it (CSV or TSV, BOM, quoting): a sheet it cannot read stops here.
    """
    if not samplesheet:
        return []
    from .io._tables import read_table

    table = read_table(samplesheet, what="sample sheet", required=("sample",), dtype=str)
    return [str(sample).strip() for sample in table["sample"]]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``omics`` command; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # Freed memory kept for reuse, no huge-page advice: same numbers, less kernel time
    # (before numpy is imported, which reads NUMPY_MADVISE_HUGEPAGE once).
    configure_process()
    # Figures are files here, never windows: a non-interactive matplotlib backend unless the
    # user chose one (omics.pl itself forces none, so notebooks show plots inline).
    os.environ.setdefault("MPLBACKEND", "Agg")
    args = build_parser().parse_args(argv)
    configure_logging(getattr(args, "verbose", 0))
    try:
        if args.command == "run":
            from .runner import run_pipeline

            params = _params(args)
            _check_run_inputs(args, params)
            _check_other_paths(params)
            run_pipeline(params, resume=args.resume and not args.force,
                         command_line="omics " + shlex.join(argv), demo=args.demo)
        elif args.command == "simulate":
            from ._manifests import SIMULATE_RECORD
            from .io._outdir import check_outdir
            from .simulate._write import cohort_files, simulate_recorded

            outdir = check_outdir(args.outdir)
            simulate_recorded(outdir, seed=args.seed, profile=args.profile, scenario=args.scenario,
                              n_patients=args.n_patients, n_genes=args.n_genes,
                              n_proteins=args.n_proteins, n_cpus=args.n_cpus)
            # Everything written, the inputs of `omics run` first (a folder: flow_fcs), and
            # the record of what it wrote
            for key, path in {**cohort_files(outdir), "record": outdir / SIMULATE_RECORD}.items():
                if path.exists():
                    print(f"{key}\t{path}{os.sep if path.is_dir() else ''}")
        elif args.command == "schema":
            from .schema import check_or_write

            return check_or_write(Path(args.root), check=args.check)
        else:
            _run_stage(args)
    except InputError as error:
        print(f"omics: error: {error.render(flag=lambda name: f'--{name}')}", file=sys.stderr)
        return InputError.exit_code
    except KeyboardInterrupt as stop:
        terminated = isinstance(stop, Terminated)
        print(f"omics: {'stopped by SIGTERM' if terminated else 'interrupted'}; run the same "
              "command again to go on (stages that finished are reused).", file=sys.stderr)
        return 143 if terminated else 130

    except Exception as error:  # noqa: BLE001 - the last resort: one line, not a traceback
        if getattr(args, "verbose", 0):
            traceback.print_exc(file=sys.stderr)
        reason = one_line(str(error))[:300] or "no message"
        print(f"omics: error: unexpected {type(error).__name__}: {reason} (this is a bug or an "
              "unsupported input; rerun with -v for the traceback)", file=sys.stderr)
        return 1
    return 0


def console() -> NoReturn:
    """Run the ``omics`` command: :func:`main`, then :func:`omics._exit.exit_process`.

    The process ends as soon as the command is done (exit handlers run, streams flushed),
    without the interpreter's teardown (0.2-0.6 s with the analysis libraries loaded).
    """
    try:
        code: object = main()
    except SystemExit as stop:  # argparse: --help, usage errors
        code = stop.code
    exit_process(code)


if __name__ == "__main__":
    console()
