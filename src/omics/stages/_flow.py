"""Stage ``flow_prep``: flow cytometry populations per patient, from FCS files or a table.

Two ways in:

- ``flow_table``: a population table exported by FlowJo/Kaluza (:func:`omics.io._flow.read_flow_table`);
- ``flow_fcs`` (a folder of FCS files, ``<sample>.fcs`` or the file named in the sample
  sheet's ``fcs`` column) or an ``fcs`` column alone, gated with ``flow_gating`` (Gating-ML
  2.0 or a FlowJo 10 workspace; default the shipped BM-MNC progenitor template
  ``metadata/flow/bmmnc_progenitors.gating.xml``) by FlowKit.

Every input is checked (:func:`check_flow_inputs`) before any file is read in full, and
nothing is written until every sample has been gated.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import InputError
from .._logging import get_logger, repeating_input_check
from .._parallel import map_processes
from .._resources import metadata_path
from ..io import (
    FCS_SUFFIXES,
    atomic_path,
    blank_cells,
    check_channels,
    folded_name,
    gate_sample,
    match_samples,
    name_difference,
    read_fcs,
    read_fcs_header,
    read_flow_table,
    read_gating,
    read_samplesheet,
    write_h5ad,
    write_tsv,
)
from ..params import is_positive_number
from ..pp import (
    absolute_counts,
    drop_counting_beads,
    flow_qc,
    flow_scores,
    graft_volumes,
    populations_anndata,
)
from ._common import out_path

log = get_logger("flow")
# Above this many FCS files the log says how to skip the gating plots (~80 ms a file).
_MANY_PLOTS = 200

DEFAULT_GATING = ("flow", "bmmnc_progenitors.gating.xml")
FCS_COLUMN = "fcs"
DEFAULT_BEAD_GATE = "Beads"
#: The channel pairs the gating plots draw (those of omics.pl.gating_png by default).
GATING_PLOT_PAIRS = (("FSC-A", "SSC-A"), ("CD45", "CD34"))


def default_gating() -> Path:
    """Return the shipped BM-MNC progenitor gating template (Gating-ML 2.0)."""
    return metadata_path(*DEFAULT_GATING)


def _sheet_dir(params: dict, samplesheet: str | Path) -> Path:
    original = params.get("input")
    return Path(original).parent if original else Path(samplesheet).parent


def fcs_files(sheet: pd.DataFrame, *, flow_fcs: str | Path | None, base: Path,
              sheet_path: str | Path) -> dict[str, Path]:
    """Map every sample of the sheet to its FCS file, or stop naming the sample without one.

    With an ``fcs`` column its values are file names resolved against ``flow_fcs`` (or,
    without it, against the sample sheet's folder; absolute paths stay as they are).
    Otherwise ``flow_fcs/<sample>.fcs`` (suffix case-insensitive, ``.lmd`` too). Stops when
    a sample found by name has two files (``P1.fcs`` and ``P1.FCS``, ``P1.fcs`` and
    ``P1.lmd``), and when one file would serve two samples.
    """
    folder = Path(flow_fcs) if flow_fcs else None
    if folder is not None and not folder.is_dir():
        raise InputError("{--flow_fcs} must be a folder of FCS files.", path=folder)
    listing: dict[str, list[Path]] = {}
    if folder is not None:
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() in FCS_SUFFIXES and path.is_file():
                listing.setdefault(path.stem, []).append(path)
    files: dict[str, Path] = {}
    for sample in sheet.index:
        named = sheet[FCS_COLUMN].get(sample) if FCS_COLUMN in sheet else None
        if isinstance(named, str) and named.strip():
            path = Path(named.strip())
            if not path.is_absolute():
                path = (folder or base) / path
            if not path.is_file():
                raise InputError(f"sample {sample!r}: its FCS file {named!r} (column {FCS_COLUMN!r}) "
                                 f"does not exist at {path}.", path=sheet_path,
                                 fix=_missing_file_fix(named, path, folder, base))
            files[sample] = path
        elif sample in listing:
            found = listing[sample]
            if len(found) > 1:
                raise InputError(f"sample {sample!r} has {len(found)} FCS files: "
                                 f"{', '.join(p.name for p in found)}; which one is the sample's is "
                                 "not clear.", path=folder,
                                 fix="Remove or rename the other file(s), or name the sample's file in "
                                     f"the sample sheet's {FCS_COLUMN!r} column.")
            files[sample] = found[0]
        else:
            where = f"no {sample}.fcs in {folder}" if folder else f"no {FCS_COLUMN!r} value"
            near = _near_file(sample, listing)
            if near:
                raise InputError(f"sample {sample!r} has no FCS file ({where}); {near}", path=folder,
                                 fix="Write them alike (rename the file or the sample id), or name the "
                                     f"file in the sample sheet's {FCS_COLUMN!r} column.")
            raise InputError(f"sample {sample!r} has no FCS file ({where}); add the file, name it "
                             f"in the sample sheet's {FCS_COLUMN!r} column, or drop the sample.",
                             path=folder or sheet_path)
    by_file: dict[Path, list[str]] = {}
    for sample, path in files.items():
        by_file.setdefault(path.resolve(), []).append(sample)
    shared = next(((path, samples) for path, samples in by_file.items() if len(samples) > 1), None)
    if shared is not None:
        path, samples = shared
        raise InputError(f"samples {', '.join(map(repr, samples))} would all be read from one FCS file, "
                         f"{path.name}, so they would get the same flow data.", path=sheet_path,
                         where=f"column {FCS_COLUMN!r}" if FCS_COLUMN in sheet else None,
                         fix="Give each sample its own FCS file (a copy-paste slip in the "
                             f"{FCS_COLUMN!r} column?).")
    unused = sorted(set(listing) - set(sheet.index) - {p.stem for p in files.values()})
    if unused:
        log.info("%d FCS file(s) in %s not in the sample sheet are ignored: %s", len(unused), folder,
                 ", ".join(unused[:10]))
    return files


def _near_file(sample: str, listing: dict[str, list[Path]]) -> str:
    """Return a sentence naming the FCS file that differs from ``sample`` only in case or Unicode form.

    Sample ids and file names are compared exactly; a sheet typed on one system and files
    named on another (macOS writes accented letters as letter plus accent, NFD) look alike
    but differ.
    """
    found = next((paths[0] for stem, paths in listing.items()
                  if folded_name(stem) == folded_name(sample)), None)
    if found is None:
        return ""
    return (f"the file {found.name!r} differs from the id only {name_difference(found.stem, sample)}, "
            "and ids and file names are compared exactly.")


def _missing_file_fix(named: str, path: Path, folder: Path | None, base: Path) -> str:
    """Return the fix for an ``fcs`` column value that is no file (a Windows path, a wrong folder).

    Names a file of the same folder whose name differs only in letter case or Unicode form.
    """
    where = (f"relative to the {{--flow_fcs}} folder ({folder})" if folder is not None
             else f"relative to the sample sheet's folder ({base})")
    hint = (f" A backslash is not a path separator here: write {named.replace(chr(92), '/')!r}."
            if "\\" in named else "")
    if not hint and path.parent.is_dir():
        near = next((p.name for p in sorted(path.parent.iterdir())
                     if folded_name(p.name) == folded_name(path.name)), None)
        if near is not None:
            hint = (f" The folder has {near!r}, which differs from it only "
                    f"{name_difference(near, path.name)}: write the name as the file is named.")
    return f"Give the file's path {where} or an absolute one, with / as the separator.{hint}"


def flow_mode(params: dict, sheet: pd.DataFrame | None = None, *,
              sheet_path: str | Path | None = None) -> str | None:
    """Return ``"table"``, ``"fcs"`` or ``None`` (no flow input) for these parameters and sheet.

    Parameters
    ----------
    params
        The run's parameters (``flow_table``, ``flow_fcs``).
    sheet
        The sample sheet (its ``fcs`` column names FCS files).
    sheet_path
        The sample sheet file, named in the message.

    Raises
    ------
    omics._errors.InputError
        When ``flow_table`` is given with ``flow_fcs`` or with a filled ``fcs`` column of
        the sample sheet: two flow inputs, one of which would be ignored.
    """
    if params.get("flow_table") and params.get("flow_fcs"):
        raise InputError("give {--flow_table} or {--flow_fcs}, not both.")
    if params.get("flow_table"):
        if sheet is not None and FCS_COLUMN in sheet and not blank_cells(sheet[FCS_COLUMN]).all():
            raise InputError(f"the sample sheet's {FCS_COLUMN!r} column names FCS files, and "
                             "{--flow_table} gives a population table: two flow inputs, and the FCS "
                             "files would be ignored.", path=sheet_path, where=f"column {FCS_COLUMN!r}",
                             fix=f"Remove the {FCS_COLUMN!r} column (or empty it) to use the table, or "
                                 "leave {--flow_table} unset to gate the FCS files.")
        return "table"
    if params.get("flow_fcs"):
        return "fcs"
    if sheet is not None and FCS_COLUMN in sheet and sheet[FCS_COLUMN].notna().any():
        return "fcs"
    return None


def check_flow_inputs(params: dict, sheet: pd.DataFrame, *, sheet_path: str | Path,
                      samplesheet: str | Path | None = None, downstream: bool = False) -> dict | None:
    """Check the flow inputs without reading event data; return what :func:`flow_prep` needs.

    FCS files: header and TEXT segment readable and the DATA segment ``$TOT`` events long,
    every sample has one file of its own, the gating strategy parses, gives every sample
    the same populations, and every channel/marker it gates on is in every file (markers
    as written, each on one channel), with a usable spillover matrix where a gate
    compensates with it. Population table: parsed and checked, every sample present with
    the same populations, an ``absolute`` column filled throughout or not at all.
    Sample sheet: the cell-count column and ``graft_volume_ml``. Options: one source of
    absolute counts, positive bead numbers and volume, the bead gate, the cell-count
    reference and (``downstream``: ``omics run``, whose ``score`` stage uses it) the dose
    population are populations.
    """
    mode = flow_mode(params, sheet, sheet_path=sheet_path)
    if mode is None:
        return None
    _check_count_options(params)
    if mode == "table":
        path = Path(params["flow_table"])
        table = read_flow_table(path, samples=sheet.index)
        exported = table.attrs.get("absolute_unit") is not None
        counts = _count_source(params, exported=exported, path=path)
        _check_sheet_columns(params, sheet, sheet_path, counts)
        _check_population_options(params, list(dict.fromkeys(table["population"])), counts,
                                  source=f"the flow population table {path.name}", path=path,
                                  downstream=downstream)
        return {"mode": mode, "table": table}
    counts = _count_source(params, exported=False)
    _check_sheet_columns(params, sheet, sheet_path, counts)
    gating_path = Path(params.get("flow_gating") or default_gating())
    gating = read_gating(gating_path)
    files = fcs_files(sheet, flow_fcs=params.get("flow_fcs"),
                      base=_sheet_dir(params, samplesheet or sheet_path), sheet_path=sheet_path)
    gating.check_populations(files)  # a workspace gives each sample its own gates
    headers = {}
    checked: set[int] = set()  # strategies whose populations the options were checked against
    for sample, path in files.items():
        header = read_fcs_header(path, ignore_offset_error=params.get("flow_ignore_offset_error", False))
        strategy = gating.for_file(path, sample)
        if id(strategy) not in checked:
            checked.add(id(strategy))
            source = f"the gating strategy {gating_path.name}" + (
                f" (sample {sample!r})" if gating.workspace else "")
            _check_population_options(params, gating.populations(path, sample), counts,
                                      source=source, path=gating_path, downstream=downstream)
        dimensions, compensated = gating.dimensions(path, sample)
        check_channels(header, strategy, gating_path, sample, dimensions=dimensions,
                       compensated=compensated)
        headers[sample] = header
    return {"mode": mode, "files": files, "gating": gating_path, "headers": headers}


def _check_count_options(params: dict) -> None:
    """Stop on counting-bead options that are not positive numbers, and on two count sources.

    ``--flow_beads_per_test`` and ``--flow_sample_volume_ul`` divide and multiply every
    absolute count (0 beads gave counts of 0; a volume of 0 became 100 uL). Counting beads
    and a sample-sheet cell count are two sources of the same absolute counts: one is used.
    """
    for name in ("flow_beads_per_test", "flow_sample_volume_ul"):
        value = params.get(name)
        if value is None:
            continue
        if not is_positive_number(value):
            raise InputError(f"{{--{name}}} is {value!r}; it must be a positive number.",
                             fix=f"Give {{--{name}}} as a number above 0"
                                 + (", or leave it unset." if name == "flow_beads_per_test" else
                                    " (uL of sample stained per tube; default 100)."))
    if params.get("flow_beads_per_test") is not None and params.get("flow_cell_count_col"):
        raise InputError("{--flow_beads_per_test} and {--flow_cell_count_col} are two sources of the "
                         "absolute counts; give one.",
                         fix="Leave {--flow_cell_count_col} unset to count with the beads, or "
                             "{--flow_beads_per_test} unset to count with the sample sheet's cell count.")


def _count_source(params: dict, *, exported: bool, path: Path | None = None) -> str:
    """Where absolute counts come from (as :func:`omics.pp.absolute_counts` decides).

    ``"exported"`` (the population table's ``absolute`` column), ``"beads"``,
    ``"cell_count"`` or ``"events"``. A table with absolute counts and a bead or
    cell-count option stop: two sources of the same counts.
    """
    if exported:
        given = [f"{{--{name}}}" for name in ("flow_beads_per_test", "flow_cell_count_col")
                 if params.get(name) not in (None, "")]
        if given:
            raise InputError(f"the flow population table has absolute counts, and {given[0]} is given: "
                             "two sources of the same counts; give one.", path=path,
                             fix=f"Leave {given[0]} unset to use the table's absolute counts, or remove "
                                 "the table's absolute column to compute them.")
        return "exported"
    if params.get("flow_beads_per_test") is not None:
        return "beads"
    return "cell_count" if params.get("flow_cell_count_col") else "events"


def _check_sheet_columns(params: dict, sheet: pd.DataFrame, sheet_path: str | Path,
                         counts: str) -> None:
    """Stop on a cell-count column the sheet lacks, a bad count and a bad graft volume.

    The counts are checked when they are used (``counts == "cell_count"``).
    """
    count_col = params.get("flow_cell_count_col")
    if count_col and count_col not in sheet:
        raise InputError(f"{{--flow_cell_count_col}} {count_col!r} is not a sample-sheet column "
                         f"(columns: {', '.join(map(str, sheet.columns))}).", path=sheet_path,
                         fix="Name the column holding each sample's cell count, or leave the "
                             "option unset.")
    if counts == "cell_count":
        _check_positive(sheet[count_col], sheet_path, what="a cell count",
                        fix="Give every sample's cell count as a positive number, or use "
                            "counting beads ({--flow_beads_per_test}).")
    graft_volumes(sheet, path=str(sheet_path))


def _check_positive(values: pd.Series, sheet_path: str | Path, *, what: str, fix: str) -> None:
    """Stop naming the sample and column at the first value that is not a positive number."""
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    empty = values.isna() | (values.astype(str).str.strip() == "")
    bad = ~(np.isfinite(numbers) & (numbers > 0))
    if bad.any():
        sample = values.index[bad.to_numpy()][0]
        problem = "is empty" if empty[sample] else f"{values[sample]!r} is not {what}"
        raise InputError(f"the value {problem}.", path=sheet_path,
                         where=f"column {values.name!r}, sample {sample!r}", fix=fix)


def _check_population_options(params: dict, populations: list[str], counts: str, *, source: str,
                              path: Path, downstream: bool) -> None:
    """Stop when the bead gate, the cell-count reference or the dose population is not a population.

    Each is checked when it is used: the bead gate with counting beads (or when renamed
    from its default: it is left out of the tested populations), the reference with a
    cell count, and the dose population (``downstream``), which cannot be the bead gate.
    """
    bead_gate = params.get("flow_bead_gate") or DEFAULT_BEAD_GATE
    needed = []
    if counts == "beads" or bead_gate != DEFAULT_BEAD_GATE:
        needed.append(("flow_bead_gate", bead_gate))
    if counts == "cell_count":
        needed.append(("flow_count_reference", params.get("flow_count_reference") or "Leukocytes"))
    if downstream and params.get("flow_dose_population"):
        needed.append(("flow_dose_population", params["flow_dose_population"]))
    for option, name in needed:
        usable = [p for p in populations if p != bead_gate or option == "flow_bead_gate"]
        if name not in usable:
            raise InputError(f"{{--{option}}} {name!r} is not a population of {source} "
                             f"(populations: {', '.join(usable)}).", path=path,
                             fix="Give one of these names (they are case-sensitive).")


@functools.lru_cache(maxsize=4)
def _parsed_gating(path: str, modified_ns: int, size: int):  # noqa: ANN202 - omics.io._flow.Gating
    """Return the gating file parsed once per process and version of the file (``read_gating``).

    A parse takes 4-7 ms: as much as gating a file of 10,000 events, once per FCS file
    before. Each file's gate results are cleared from the strategy after use.
    """
    return read_gating(path)


_GATING_FIX = ("Check the gating strategy ({--flow_gating}) against this file: the channels and "
               "markers its gates name, their transformations and compensation.")


def _gate_one(task: tuple) -> dict:
    """Read, gate and (with ``plots``) plot one FCS file (runs in a worker process).

    matplotlib is imported only to plot: gating alone (the demo's simulation, which gates
    its FCS files for the truth table, or ``--flow_gating_plots false``) does without it.
    """
    sample, path, gating_path, ignore_offset, plots = task
    stat = Path(gating_path).stat()
    gating = _parsed_gating(str(gating_path), stat.st_mtime_ns, stat.st_size)
    strategy = gating.for_file(Path(path), sample)
    # a workspace holds per-sample (custom) gates under the sample's name in the workspace
    flowkit_id = gating.workspace_name(Path(path), sample) if gating.workspace else sample
    fcs = read_fcs(path, sample_id=flowkit_id, ignore_offset_error=ignore_offset)
    try:
        try:
            table, results = gate_sample(fcs, strategy, cache_events=plots)
        except InputError as error:  # said once, for the command line (not the notebook call)
            raise InputError(error.message.removeprefix("io.gate_sample: ").replace(
                "the gating strategy", Path(gating_path).name, 1), path=path,
                fix=error.fix if error.fix and "io." not in error.fix else _GATING_FIX) from None
        except Exception as error:  # FlowKit: a channel, transform or matrix it cannot resolve
            raise InputError(f"sample {sample!r}: FlowKit could not apply {Path(gating_path).name} "
                             f"({str(error).strip() or type(error).__name__}).", path=path,
                             fix=_GATING_FIX) from None
        table.insert(0, "sample", sample)
        png = None
        if plots:
            from ..pl import gating_png

            # None: no rectangle or polygon gate on the pairs drawn (a blank plot per file said only that)
            png = gating_png(fcs, strategy, results, title=f"{sample} ({Path(path).name})",
                             pairs=GATING_PLOT_PAIRS, blank=False)
    finally:
        strategy.clear_cache()  # the strategy serves the process's next file
    # read_fcs stopped unless $TOT is the number of events read
    return {"sample": sample, "table": table, "total": fcs.event_count, "png": png}


def gate_files(files: dict[str, Path], gating_path: Path, *, n_cpus: int = 1,
               ignore_offset_error: bool = False, plots: bool = True) -> list[dict]:
    """Gate every FCS file (in ``n_cpus`` processes); results in the order of ``files``."""
    tasks = [(sample, str(path), str(gating_path), ignore_offset_error, plots)
             for sample, path in files.items()]
    if plots and n_cpus > 1:  # imported once here, not in every (forked) worker
        from ..pl import gating_png  # noqa: F401
    return map_processes(_gate_one, tasks, n_cpus)


def flow_prep(*, samplesheet: str | Path, outdir: str | Path, params: dict,
              flow_table: str | Path | None = None,
              flow_fcs: str | Path | None = None) -> dict[str, Path]:
    """Write ``flow/flow.h5ad``, ``qc/flow.qc.tsv`` and (FCS input) ``flow/gating_plots/*.png``.

    ``flow.h5ad``: samples x populations; layers ``events``, ``parent_events``,
    ``percent_of_parent``, ``absolute``; ``X`` = log2 absolute count (half an event
    added); ``obs`` the sample sheet plus ``total_events``; ``uns["absolute_unit"]``.
    """
    params = dict(params)
    if flow_table is not None:
        params["flow_table"] = str(flow_table)
    if flow_fcs is not None:
        params["flow_fcs"] = str(flow_fcs)
    with repeating_input_check():  # omics run's check did this (and showed its lines)
        sheet = read_samplesheet(samplesheet)  # the validated copy of the user's sheet
        # messages name the user's sheet, not omics run's copy of it (validated/samplesheet.csv)
        checked = check_flow_inputs(params, sheet, sheet_path=params.get("input") or samplesheet,
                                    samplesheet=samplesheet)
    if checked is None:
        raise InputError("no flow input: give {--flow_table}, {--flow_fcs} or an 'fcs' sample-sheet column.")
    samples = list(sheet.index)
    pngs: dict[str, bytes] = {}
    if checked["mode"] == "table":
        long = checked["table"]
        total = None
        source = str(params["flow_table"])
    else:
        plots = params.get("flow_gating_plots", True)
        log.info("gating %d FCS files with %s%s", len(checked["files"]), checked["gating"],
                 " and drawing their gating plots (--flow_gating_plots false skips them)"
                 if plots and len(checked["files"]) > _MANY_PLOTS else "")
        gated = gate_files(checked["files"], checked["gating"], n_cpus=params.get("n_cpus") or 1,
                           ignore_offset_error=params.get("flow_ignore_offset_error", False),
                           plots=plots)
        long = pd.concat([g["table"] for g in gated], ignore_index=True)
        total = np.array([g["total"] for g in gated], float)
        pngs = {g["sample"]: g["png"] for g in gated if g["png"] is not None}
        if plots and gated and not pngs:
            log.warning("flow: no gating plots: %s has no rectangle or polygon gate on %s, the channel "
                        "pairs the plots draw", Path(checked["gating"]).name,
                        " or ".join("/".join(pair) for pair in GATING_PLOT_PAIRS))
        source = str(checked["gating"])
    adata = populations_anndata(long, samples)
    bead_gate = params.get("flow_bead_gate") or DEFAULT_BEAD_GATE
    count_col = params.get("flow_cell_count_col")  # a sheet column (check_flow_inputs)
    cell_count = None
    if count_col:
        cell_count = pd.to_numeric(sheet[count_col], errors="coerce").rename(count_col)
    volume = params.get("flow_sample_volume_ul")  # positive (check_flow_inputs)
    unit = absolute_counts(adata, beads_per_test=params.get("flow_beads_per_test"),
                           bead_gate=bead_gate,
                           sample_volume_ul=100.0 if volume is None else float(volume),
                           cell_count=cell_count,
                           count_reference=params.get("flow_count_reference") or "Leukocytes",
                           total_events=total, path=source,
                           sample_paths=checked["files"] if checked["mode"] != "table" else None)
    adata = match_samples(adata, sheet, matrix_path=source)
    adata.obs["total_events"] = total if total is not None else np.nan
    adata.uns["modality"] = "flow"
    adata.uns["de_layer"] = None
    adata.uns["source"] = checked["mode"]
    qc = flow_qc(adata, min_events=params.get("flow_min_events", 50), total_events=total,
                 bead_gate=bead_gate)
    adata = drop_counting_beads(adata, bead_gate=bead_gate)  # a reference, not a population
    log.info("flow: %d samples x %d populations, absolute counts in %s%s", adata.n_obs, adata.n_vars,
             unit, f" (counting beads {bead_gate!r} as obs['bead_events'], not tested)"
             if "bead_events" in adata.obs else "")
    flagged = qc.loc[qc["n_low_event_populations"] > 0, "sample"]
    if len(flagged):
        log.warning("flow: %d sample(s) have populations under %d events (see qc/flow.qc.tsv)",
                    len(flagged), params.get("flow_min_events", 50))
    outputs: dict[str, Path | dict] = {
        "h5ad": write_h5ad(adata, out_path(outdir, "flow", "flow.h5ad")),
        "qc": write_tsv(qc, out_path(outdir, "qc", "flow.qc.tsv")),
    }
    plots = {}
    for sample, png in pngs.items():
        path = out_path(outdir, "flow", f"gating_plots/{sample}.png")
        with atomic_path(path) as tmp:
            tmp.write_bytes(png)
        plots[sample] = path
    if plots:
        outputs["plots"] = plots
    return outputs


def populations_without_events(adata, samples: list[str] | None = None) -> list[str]:  # noqa: ANN001
    """Return the populations with no event in any of ``samples`` (default: every sample).

    Such a population has nothing to test or score: its ``X`` (log2 of half an event
    times the sample's absolute count per event) is the bead or reference count of the
    tube, and its content score a function of its parent's size. The differential and
    score stages leave them out (:func:`drop_populations_without_events`).

    Parameters
    ----------
    adata
        The flow AnnData of :func:`flow_prep` (``layers["events"]``).
    samples
        The samples analysed (a contrast's samples); None: all.

    Returns
    -------
    The populations, in the order of ``adata.var_names``.
    """
    events = adata.layers["events"] if samples is None else adata[list(samples)].layers["events"]
    events = np.asarray(events, float)
    if events.shape[0] == 0:
        return []
    empty = ~(events > 0).any(axis=0)
    return [str(name) for name in adata.var_names[empty]]


def drop_populations_without_events(adata, samples: list[str] | None = None, *,  # noqa: ANN001, ANN201
                                    what: str) -> tuple[object, list[str]]:
    """Return ``adata`` without :func:`populations_without_events` and their names; log a warning.

    Parameters
    ----------
    adata
        The flow AnnData.
    samples
        The samples analysed; None: all.
    what
        What they are left out of, for the warning (``"the limma test of contrast 'resp'"``).

    Returns
    -------
    (AnnData, left-out populations): ``adata`` itself when there are none.
    """
    empty = populations_without_events(adata, samples)
    if not empty:
        return adata, []
    _warn_left_out(empty, adata.n_obs if samples is None else len(samples), what)
    return adata[:, ~adata.var_names.isin(empty)].copy(), empty


def _warn_left_out(empty: list[str], n_samples: int, what: str) -> None:
    log.warning("flow: %d population(s) have no event in any of the %d samples analysed and are left out "
                "of %s: %s (with half an event their values would come from the bead or reference "
                "count, or the parent's size, alone; check the gating strategy's gates)", len(empty),
                n_samples, what, ", ".join(empty))


def scores_with_events(adata, dose_population: str | None, *, what: str | None) -> pd.DataFrame:  # noqa: ANN001
    """:func:`omics.pp.flow_scores` without the populations that have no event in any sample.

    Their content and dose scores would be the bead count or the parent's size alone
    (:func:`populations_without_events`). The score stage and the integration use it alike.

    Parameters
    ----------
    adata
        The flow AnnData.
    dose_population
        ``--flow_dose_population``.
    what
        What they are left out of, for the warning; None: not logged (a later stage of a
        run whose score stage said it).

    Returns
    -------
    pandas.DataFrame
        Samples x scores.
    """
    scores = flow_scores(adata, dose_population=dose_population)
    empty = populations_without_events(adata)
    if empty and what is not None:
        _warn_left_out(empty, adata.n_obs, what)
    left_out = {*empty, *(f"dose:{name}_absolute" for name in empty)}
    return scores.drop(columns=[column for column in scores.columns if column in left_out])


def flow_task_inputs(params: dict) -> list[Path]:
    """Files the ``flow_prep`` task reads (for ``omics run``'s DAG and resume key); [] without flow.

    Checks the flow inputs against the original sample sheet (``params["input"]``)
    first, so that ``omics run`` stops before anything is written.
    """
    if not params.get("input"):
        return []
    sheet = read_samplesheet(params["input"], id_col=params.get("sample_id_col") or "sample")
    checked = check_flow_inputs(params, sheet, sheet_path=params["input"], downstream=True)
    if checked is None:
        return []
    if checked["mode"] == "table":
        return [Path(params["flow_table"])]
    return [Path(checked["gating"]), *checked["files"].values()]
