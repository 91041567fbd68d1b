"""Command line: ``omics run``, ``omics simulate``, one subcommand per stage, ``omics schema``.

Options are generated from the parameter model (:mod:`omics.params`), so a parameter has
the same name here, in params files and in Nextflow.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from . import __version__
from ._errors import InputError
from ._logging import configure_logging, get_logger
from .params import BY_NAME, PARAMETERS, STAGE_PARAMS, Parameter, resolve

log = get_logger("cli")

_STAGE_FILES: dict[str, list[tuple[str, dict]]] = {
    "validate": [("--input", {"required": True, "help": "sample sheet"}),
                 ("--contrasts", {"required": True, "help": "contrasts file"}),
                 ("--rna_counts", {"help": "RNA count matrix"}),
                 ("--protein_matrix", {"help": "protein matrix"})],
    "rna_prep": [("--samplesheet", {"required": True, "help": "validated sample sheet"}),
                 ("--contrasts", {"required": True, "help": "validated contrasts"}),
                 ("--rna_counts", {"required": True, "help": "RNA count matrix"})],
    "protein_prep": [("--samplesheet", {"required": True, "help": "validated sample sheet"}),
                     ("--contrasts", {"required": True, "help": "validated contrasts"}),
                     ("--protein_matrix", {"required": True, "help": "protein matrix"})],
    "qc": [("--h5ad", {"required": True, "help": "rna.h5ad or protein.h5ad"}),
           ("--modality", {"required": True, "choices": ["rna", "protein"]})],
    "de": [("--h5ad", {"required": True, "help": "rna.h5ad or protein.h5ad"}),
           ("--contrasts", {"required": True, "help": "validated contrasts"}),
           ("--contrast_id", {"required": True, "help": "id of the contrast to test"}),
           ("--modality", {"required": True, "choices": ["rna", "protein"]})],
    "enrich": [("--de_results", {"required": True, "help": "a differential results table"})],
    "score": [("--rna_h5ad", {"help": "rna.h5ad"}), ("--protein_h5ad", {"help": "protein.h5ad"})],
    "integrate": [("--rna_h5ad", {"required": True}), ("--protein_h5ad", {"required": True}),
                  ("--de_results", {"nargs": "+", "default": [], "help": "differential tables"}),
                  ("--gsea_results", {"nargs": "+", "default": [], "help": "GSEA tables"})],
    "report": [("--results_dir", {"required": True, "help": "folder holding the result files"})],
}

_STAGE_HELP = {
    "validate": "check inputs; write validated/",
    "rna_prep": "filter, size factors, VST; write rna/rna.h5ad",
    "protein_prep": "log2, filter, normalise, missing values; write protein/protein.h5ad",
    "qc": "PCA, sample correlations, outliers; write qc/",
    "de": "one contrast on one modality; write differential/",
    "enrich": "GSEA prerank + ORA of one differential table; write enrichment/",
    "score": "per-patient angiogenic scores and response models; write scores/",
    "integrate": "mRNA-protein MuData, correlation, concordance; write integration/",
    "report": "HTML report; write report/index.html",
}


def _add_parameter(parser: argparse.ArgumentParser, parameter: Parameter) -> None:
    flag = f"--{parameter.name}"
    default_text = "" if parameter.default is None else f" (default: {parameter.default})"
    if parameter.type == "boolean":
        parser.add_argument(flag, nargs="?", const="true", default=None, metavar="BOOL",
                            help=parameter.help + default_text)
        return
    kwargs: dict = {"default": None, "help": parameter.help + default_text}
    if parameter.choices:
        kwargs["choices"] = list(parameter.choices)
    if parameter.type in {"integer", "number", "string", "path"}:
        kwargs["metavar"] = parameter.type.upper() if not parameter.choices else None
    parser.add_argument(flag, **kwargs)


class _Parser(argparse.ArgumentParser):
    """Argument parser whose usage errors are one line (not the whole usage) and exit 2."""

    def error(self, message: str) -> NoReturn:
        """Print ``<prog>: error: <message>`` and a pointer to ``--help``; exit 2."""
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    """Return the ``omics`` argument parser."""
    parser = _Parser(
        prog="omics", description="BALI angiogenesis multi-omics workflow (RNA + protein).")
    parser.add_argument("--version", action="version", version=f"omics {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run the whole pipeline on one machine (demo without inputs)",
                         description="Run validate -> prep -> qc -> de -> enrich -> score -> "
                         "integrate -> report. Without --input, runs on the bundled demo cohort.")
    run.add_argument("--params-file", "-params-file", dest="params_file",
                     help="YAML/JSON file of parameters (command-line options win)")
    run.add_argument("--resume", dest="resume", action="store_true", default=True,
                     help="skip stages whose inputs, parameters and version are unchanged (default)")
    run.add_argument("--no-resume", dest="resume", action="store_false", help="recompute everything")
    run.add_argument("--force", action="store_true", help="recompute every stage (same as --no-resume)")
    run.add_argument("-v", "--verbose", action="count", default=0)
    for parameter in PARAMETERS:
        if not parameter.nextflow_only:
            _add_parameter(run, parameter)

    simulate = sub.add_parser("simulate", help="write a simulated BALI-like cohort")
    simulate.add_argument("--outdir", required=True)
    simulate.add_argument("--seed", type=int, default=None)
    simulate.add_argument("--profile", choices=["full", "test"], default="full")
    simulate.add_argument("--scenario", choices=["angiogenic", "null"], default="angiogenic")
    simulate.add_argument("--n_patients", type=int, default=None)
    simulate.add_argument("--n_genes", type=int, default=None)
    simulate.add_argument("--n_proteins", type=int, default=None)
    simulate.add_argument("-v", "--verbose", action="count", default=0)

    for stage, files in _STAGE_FILES.items():
        stage_parser = sub.add_parser(stage, help=_STAGE_HELP[stage])
        for flag, kwargs in files:
            stage_parser.add_argument(flag, **kwargs)
        stage_parser.add_argument("--outdir", default="results", help="results folder (default: results)")
        stage_parser.add_argument("--params-file", "-params-file", dest="params_file")
        stage_parser.add_argument("-v", "--verbose", action="count", default=0)
        taken = {flag.lstrip("-") for flag, _ in files} | {"outdir"}
        for name in STAGE_PARAMS[stage]:
            if name not in taken:
                _add_parameter(stage_parser, BY_NAME[name])

    schema = sub.add_parser("schema", help="write or check nextflow_schema.json and the "
                            "params block of nextflow.config")
    schema.add_argument("--check", action="store_true", help="exit 1 when the files drift")
    schema.add_argument("--root", default=".", help="repository root (default: .)")
    return parser


def _params(args: argparse.Namespace) -> dict:
    overrides = {name: getattr(args, name) for name in BY_NAME if hasattr(args, name)}
    return resolve(overrides, params_file=getattr(args, "params_file", None))


def _run_stage(args: argparse.Namespace) -> None:
    from . import stages

    params = _params(args)
    outdir = args.outdir
    command = args.command
    if command == "validate":
        stages.validate(input=args.input, contrasts=args.contrasts, rna_counts=args.rna_counts,
                        protein_matrix=args.protein_matrix, outdir=outdir, params=params)
    elif command == "rna_prep":
        stages.rna_prep(samplesheet=args.samplesheet, contrasts=args.contrasts,
                        rna_counts=args.rna_counts, outdir=outdir, params=params)
    elif command == "protein_prep":
        stages.protein_prep(samplesheet=args.samplesheet, contrasts=args.contrasts,
                            protein_matrix=args.protein_matrix, outdir=outdir, params=params)
    elif command == "qc":
        stages.qc(h5ad=args.h5ad, modality=args.modality, outdir=outdir, params=params)
    elif command == "de":
        stages.de(h5ad=args.h5ad, contrasts=args.contrasts, contrast_id=args.contrast_id,
                  modality=args.modality, outdir=outdir, params=params)
    elif command == "enrich":
        stages.enrich(de_results=args.de_results, outdir=outdir, params=params)
    elif command == "score":
        h5ads = {m: p for m, p in (("rna", args.rna_h5ad), ("protein", args.protein_h5ad)) if p}
        if not h5ads:
            raise InputError("give --rna_h5ad, --protein_h5ad or both.")
        stages.score(h5ads=h5ads, outdir=outdir, params=params)
    elif command == "integrate":
        stages.integrate(rna_h5ad=args.rna_h5ad, protein_h5ad=args.protein_h5ad,
                         de_results=args.de_results, gsea_results=args.gsea_results,
                         outdir=outdir, params=params)
    elif command == "report":
        stages.report(results_dir=args.results_dir, outdir=outdir, params=params, recorded=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``omics`` command; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # Figures are files here, never windows: a non-interactive matplotlib backend unless the
    # user chose one (omics.pl itself forces none, so notebooks show plots inline).
    os.environ.setdefault("MPLBACKEND", "Agg")
    args = build_parser().parse_args(argv)
    configure_logging(getattr(args, "verbose", 0))
    try:
        if args.command == "run":
            from .runner import run_pipeline

            params = _params(args)
            run_pipeline(params, resume=args.resume and not args.force,
                         command_line="omics " + shlex.join(argv))
        elif args.command == "simulate":
            from .simulate import simulate_cohort

            paths = simulate_cohort(args.outdir, seed=args.seed, profile=args.profile,
                                    scenario=args.scenario, n_patients=args.n_patients,
                                    n_genes=args.n_genes, n_proteins=args.n_proteins)
            for key, path in paths.items():
                print(f"{key}\t{path}")
        elif args.command == "schema":
            from .schema import check_or_write

            return check_or_write(Path(args.root), check=args.check)
        else:
            _run_stage(args)
    except InputError as error:
        print(f"omics: error: {error}", file=sys.stderr)
        return InputError.exit_code
    except KeyboardInterrupt:
        print("omics: interrupted; completed stages are kept and will be reused with --resume.",
              file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
