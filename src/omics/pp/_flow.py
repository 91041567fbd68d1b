"""Flow populations as an AnnData: event counts, percent of parent, absolute counts.

``X`` holds what the differential and score stages use: ``log2`` of the absolute count
with half an event added to every population (so an empty gate is finite). Absolute
counts come, in this order, from

1. the population table's own ``absolute`` column (FlowJo/Kaluza exports);
2. counting beads: ``events / bead_events * beads_per_test / sample_volume_ul``
   (cells per uL; single-platform ISHAGE, e.g. Stem-Count/Trucount tubes);
3. a sample-sheet cell count of a reference population (e.g. leukocytes per uL, or
   nucleated cells per graft): ``events / reference_events * cell_count``.

Without any of these the count is relative: events per 10^6 acquired events
(``uns["absolute_unit"]`` says which). The unit of an exported column or a cell count
is the one its name states (``cells/uL``, ``wbc_per_ul``: ``cells_per_uL``; ``..._per_ml``:
``cells_per_mL``; ``absolute per graft``: ``cells_per_graft``).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd

from .._errors import InputError
from .._logging import get_logger
from ..io._flow import check_flow_populations, named_unit
from ..params import is_positive_number
from ._views import set_x

log = get_logger("pp")

PSEUDO_EVENTS = 0.5
#: Sample-sheet column with the volume of the implanted graft (mL): the dose is per graft.
GRAFT_VOLUME = "graft_volume_ml"
#: Units of absolute counts per volume of graft, and the factor to cells per mL of it.
PER_ML = {"cells_per_uL": 1000.0, "cells_per_mL": 1.0}
#: Unit of the relative counts (no beads, cell count or exported absolute counts).
PER_MILLION_EVENTS = "per_million_events"
#: Columns :func:`populations_anndata` needs in its long table.
LONG_REQUIRED = ("sample", "population", "events", "parent_events")
#: Default viability gate of :func:`flow_qc` (a strategy without it gives NaN viability).
VIABLE_GATE = "Viable"


def graft_volumes(sheet: pd.DataFrame, *, path: str | None = None) -> np.ndarray | None:
    """Return ``graft_volume_ml`` per sample (NaN where empty), or None without the column.

    Parameters
    ----------
    sheet
        The sample sheet (or an AnnData's ``obs``), indexed by sample.
    path
        The sample sheet file, named in the message.

    Returns
    -------
    numpy.ndarray or None
        The graft volume in mL per sample, in the order of ``sheet`` (NaN where the cell
        is empty); None when the sheet has no ``graft_volume_ml`` column.

    Raises
    ------
    omics._errors.InputError
        When a volume is not a positive number (``40 ml``, or a decimal comma the sample
        sheet reader does not read as a number), naming the sample and the column.
    """
    if GRAFT_VOLUME not in sheet:
        return None
    raw = sheet[GRAFT_VOLUME]
    values = pd.to_numeric(raw, errors="coerce").astype(float)
    bad = raw.notna() & (raw.astype(str).str.strip() != "") & ~(np.isfinite(values) & (values > 0))
    if bad.any():
        raise InputError(f"value {raw[bad].iloc[0]!r} is not a volume in mL.", path=path,
                         where=f"column {GRAFT_VOLUME!r}, sample {raw.index[bad][0]!r}",
                         fix="Give the graft volume as a number of mL without a unit (e.g. 40.5; "
                             "a decimal comma only in a ;-separated sheet), or leave the cell empty "
                             "when unknown.")
    return values.to_numpy()


def _check_long(long: pd.DataFrame, samples: list[str]) -> pd.DataFrame:
    """Return the rows of ``samples``, or stop where :func:`populations_anndata` would leave NaN."""
    where = "pp.populations_anndata"
    if not isinstance(long, pd.DataFrame):
        raise InputError(f"{where}: got {type(long).__name__}; pass the long table of "
                         "omics.io.read_flow_table (sample, population, events, parent_events).")
    if isinstance(samples, str):
        raise InputError(f"{where}: samples is the string {samples!r}; pass a list of sample ids.")
    missing_columns = [c for c in LONG_REQUIRED if c not in long.columns]
    if missing_columns:
        raise InputError(f"{where}: the table has no {', '.join(map(repr, missing_columns))} column "
                         f"(columns: {', '.join(map(str, long.columns)) or 'none'}); pass the long table "
                         "of omics.io.read_flow_table (sample, population, events, parent_events), or "
                         "of omics.io.gate_sample with a 'sample' column.")
    samples = list(samples)
    present = set(long["sample"])
    missing = [s for s in samples if s not in present]
    if missing:
        raise InputError(f"{where}: sample(s) {', '.join(map(str, missing[:10]))} have no rows in the "
                         "flow population table; add them or drop the samples.")
    kept = long[long["sample"].isin(set(samples))]
    dupes = kept.duplicated(["sample", "population"], keep=False)
    if dupes.any():
        row = kept.loc[dupes.to_numpy()].iloc[0]
        raise InputError(f"{where}: sample {row['sample']!r} lists population {row['population']!r} "
                         "twice; give one row per sample and population.")
    try:
        check_flow_populations(kept, None)
    except InputError as error:
        raise InputError(f"{where}: {error.message}", fix=error.fix) from None
    if len(kept) == len(long):
        return long
    out = kept.copy()
    out.attrs = dict(long.attrs)
    return out


def populations_anndata(long: pd.DataFrame, samples: list[str], *,
                        absolute_unit: str | None = None) -> ad.AnnData:
    """Return samples x populations from a long table (``sample, population, parent, events, ...``).

    Parameters
    ----------
    long
        One row per sample and population (:func:`omics.io.read_flow_table`, or the
        tables of :func:`omics.io.gate_sample` with a ``sample`` column).
    samples
        The samples, in the order of the rows of the result; each needs a row for every
        population (rows of other samples are left out).
    absolute_unit
        Unit of the ``absolute`` column (default: ``long.attrs["absolute_unit"]``, which
        :func:`omics.io.read_flow_table` sets, else ``"as exported"``).

    Returns
    -------
    AnnData with layers ``events``, ``parent_events``, ``percent_of_parent`` (NaN when
    the parent is empty), and ``absolute`` from the table's ``absolute`` column when it
    is filled for every sample and population (``uns["absolute_unit"]`` its unit).
    Populations keep the order of their first appearance; ``var`` holds ``parent`` and
    ``gate_path`` (when given).

    Raises
    ------
    omics._errors.InputError
        When ``long`` lacks a column of ``sample, population, events, parent_events``,
        lists a population twice for a sample, has no rows for one of ``samples``, or
        the samples do not all have the same populations spelt alike
        (:func:`omics.io._flow.check_flow_populations`): any of these would leave NaN
        cells. Rows of other samples are left out.
    """
    long = _check_long(long, samples)
    populations = list(dict.fromkeys(long["population"]))
    wide = {key: long.pivot(index="sample", columns="population", values=key)
            .reindex(index=samples, columns=populations)
            for key in ("events", "parent_events", "absolute") if key in long}
    events = wide["events"].to_numpy(float)
    parent = wide["parent_events"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        percent = np.where(parent > 0, 100.0 * events / parent, np.nan)
    var = long.drop_duplicates("population").set_index("population")
    var = var[[c for c in ("parent", "gate_path") if c in var]].reindex(populations)
    var.index.name = "population"
    obs = pd.DataFrame(index=pd.Index(samples, name="sample"))
    adata = ad.AnnData(X=np.zeros_like(events), obs=obs, var=var)
    adata.layers["events"] = events
    adata.layers["parent_events"] = parent
    adata.layers["percent_of_parent"] = percent
    if "absolute" in wide and wide["absolute"].notna().to_numpy().all():
        adata.layers["absolute"] = wide["absolute"].to_numpy(float)
        adata.uns["absolute_unit"] = absolute_unit or long.attrs.get("absolute_unit") or "as exported"
    return adata


def _reference(adata: ad.AnnData, population: str, what: str, path: str | None) -> np.ndarray:
    if population not in adata.var_names:
        raise InputError(f"{what} population {population!r} is not a gate of the strategy "
                         f"(populations: {', '.join(adata.var_names)}).", path=path)
    return adata[:, population].layers["events"].ravel().astype(float)


def _check_flow_anndata(adata: ad.AnnData, where: str) -> None:
    """Stop unless ``adata`` is an AnnData of :func:`populations_anndata` (``layers["events"]``)."""
    if isinstance(adata, ad.AnnData):
        if "events" not in adata.layers:
            raise InputError(f"{where}: the AnnData has no layers['events'] (layers: "
                             f"{', '.join(adata.layers) or 'none'}); pass the AnnData of "
                             "pp.populations_anndata.")
        return
    hint = ("pass its flow modality, mdata['flow']" if type(adata).__name__ == "MuData"
            else "pass pp.populations_anndata(table, samples)")
    raise InputError(f"{where}: got {type(adata).__name__}; {hint}.")


def _check_count_arguments(adata: ad.AnnData, beads_per_test: float | None, sample_volume_ul: float,
                           cell_count: pd.Series | None) -> None:
    """Stop on what :func:`absolute_counts` cannot count with (the checks of ``omics run``)."""
    where = "pp.absolute_counts"
    _check_flow_anndata(adata, where)
    for name, value in (("beads_per_test", beads_per_test), ("sample_volume_ul", sample_volume_ul)):
        if value is None and name == "beads_per_test":
            continue
        if not is_positive_number(value):
            raise InputError(f"{where}: {name} is {value!r}; it must be a positive number: pass "
                             + ("the beads added per tube, or None to count without beads."
                                if name == "beads_per_test" else
                                "the uL of sample stained per tube (default 100)."))
    if beads_per_test is not None and cell_count is not None:
        raise InputError(f"{where}: beads_per_test and cell_count are two sources of the absolute "
                         "counts; give one. Leave cell_count unset to count with the beads, or "
                         "beads_per_test unset to count with the sample sheet's cell count.")
    if "absolute" in adata.layers and (beads_per_test is not None or cell_count is not None):
        given = "beads_per_test" if beads_per_test is not None else "cell_count"
        raise InputError(f"{where}: adata already has absolute counts (layers['absolute'], "
                         f"{adata.uns.get('absolute_unit', 'as exported')}) and {given} is a second "
                         f"source of them; pass no {given} to use them, or delete "
                         "adata.layers['absolute'] first to count again.")
    if cell_count is not None and not isinstance(cell_count, pd.Series):
        raise InputError(f"{where}: got {type(cell_count).__name__} for cell_count; pass a pandas Series "
                         "indexed by sample and named after its unit (e.g. "
                         "pd.Series(counts, index=samples, name='wbc_per_ul')).")


def _total_events(adata: ad.AnnData, total_events: pd.Series | np.ndarray | None,
                  where: str) -> np.ndarray:
    """Events acquired per sample in ``obs`` order (default: the largest ``parent_events``).

    A Series is matched by sample id, compared as text (as ``cell_count``; ``101`` and
    ``"101"`` are one sample); an array or list is taken in ``obs`` order and must have one
    value per sample. Every value must be a number above 0.
    """
    if total_events is None:
        return adata.layers["parent_events"].max(axis=1)
    fix = ("pass a pd.Series of events acquired indexed by sample id, or an array with one value "
           "per sample in adata.obs order")
    if isinstance(total_events, pd.DataFrame):
        raise InputError(f"{where}: total_events is a DataFrame; {fix}.")
    if isinstance(total_events, pd.Series):
        given = total_events.set_axis(total_events.index.map(str))
        if given.index.has_duplicates:
            sample = given.index[given.index.duplicated()][0]
            raise InputError(f"{where}: total_events has sample {sample!r} twice; {fix}.")
        samples = adata.obs_names.map(str)
        missing = samples.difference(given.index, sort=False)
        if len(missing):
            raise InputError(f"{where}: total_events has no value for sample {missing[0]!r} "
                             f"({len(missing)} of {adata.n_obs} samples missing; its index: "
                             f"{', '.join(map(repr, given.index[:5]))}"
                             f"{', ...' if len(given) > 5 else ''}); {fix}.")
        raw = given.reindex(samples)
    else:
        raw = pd.Series(list(np.ravel(np.asarray(total_events, dtype=object))))
        if np.ndim(total_events) != 1 or len(raw) != adata.n_obs:
            raise InputError(f"{where}: total_events has {len(raw)} values (shape "
                             f"{np.shape(total_events)}) for {adata.n_obs} samples; {fix}.")
        raw.index = adata.obs_names.map(str)
    values = pd.to_numeric(raw, errors="coerce").to_numpy(float)
    bad = ~(np.isfinite(values) & (values > 0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"{where}: total_events of sample {raw.index[i]!r} is {raw.iloc[i]!r}, not a "
                         f"number of events above 0 ({int(bad.sum())} such value(s)); {fix}.")
    return values


def absolute_counts(adata: ad.AnnData, *, beads_per_test: float | None = None,
                    bead_gate: str = "Beads", sample_volume_ul: float = 100.0,
                    cell_count: pd.Series | None = None, count_reference: str = "Leukocytes",
                    total_events: pd.Series | np.ndarray | None = None, path: str | None = None,
                    sample_paths: Mapping[str, str | Path] | None = None) -> str:
    """Fill ``layers["absolute"]`` and ``X`` (log2 absolute, half an event added); return the unit.

    Parameters
    ----------
    adata
        From :func:`populations_anndata`.
    beads_per_test, bead_gate, sample_volume_ul
        Counting beads: beads added per tube, the gate holding them and the volume of
        sample (uL) in the tube.
    cell_count, count_reference
        Per-sample cell count (indexed by sample) of the population ``count_reference``;
        its name states its unit (:func:`omics.io._flow.named_unit`: ``wbc_per_ul`` is per uL).
    total_events
        Events acquired per sample (the relative fallback; default: the largest
        ``parent_events`` of the sample): a Series indexed by sample id (matched by id, as
        ``cell_count``), or an array with one value per sample in ``obs`` order.
    path
        Named in messages.
    sample_paths
        Each sample's own file (its FCS file), named instead of ``path`` in a message about
        that sample alone (no events in the bead gate).

    Returns
    -------
    The unit of the absolute counts (also ``uns["absolute_unit"]``): ``cells_per_uL``
    with beads; with a cell count the unit its column's name states, else
    ``cells_per_<column>_unit``; ``per_million_events`` otherwise; or the table's own
    unit when it had an ``absolute`` column.

    Raises
    ------
    omics._errors.InputError
        When ``adata`` is not an AnnData of :func:`populations_anndata`,
        ``beads_per_test`` or ``sample_volume_ul`` is not a positive number, both
        ``beads_per_test`` and ``cell_count`` are given (two sources of the same counts),
        either is given for an ``adata`` that already has absolute counts (exported, or
        counted by an earlier call: delete ``layers["absolute"]`` to count again),
        ``cell_count`` is not a Series indexed by sample, a sample has no bead events,
        cell count or reference events, or (counting relative to the events acquired)
        ``total_events`` has no value for a sample (a Series) or not one value per sample
        (an array).
    """
    _check_count_arguments(adata, beads_per_test, sample_volume_ul, cell_count)
    events = adata.layers["events"].astype(float)
    with_pseudo = events + PSEUDO_EVENTS
    if "absolute" in adata.layers:
        unit = adata.uns.get("absolute_unit", "as exported")
        absolute = adata.layers["absolute"]
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(events > 0, absolute / events, np.nan)
        per_sample = np.nanmedian(np.where(np.isfinite(scale), scale, np.nan), axis=1)
        set_x(adata, np.log2(np.where(events > 0, absolute, with_pseudo * per_sample[:, None])))
        return unit
    if beads_per_test is not None:
        beads = _reference(adata, bead_gate, "bead", path)
        if (beads <= 0).any():
            sample = adata.obs_names[int(np.flatnonzero(beads <= 0)[0])]
            own = (sample_paths or {}).get(str(sample))
            if own is not None and (beads > 0).any():  # others have beads: this file or acquisition
                raise InputError(f"sample {sample!r}: no events in the bead gate {bead_gate!r}, so no "
                                 "absolute count.", path=str(own),
                                 fix="Check that sample's file (beads added, the right file, "
                                     "acquired whole), re-acquire the sample or leave it out of the "
                                     "sample sheet; or leave {--flow_beads_per_test} unset.")
            raise InputError(f"sample {sample!r}: no events in the bead gate {bead_gate!r}, so no "
                             "absolute count; check the bead gate or leave {--flow_beads_per_test} "
                             "unset.", path=path)
        factor = beads_per_test / sample_volume_ul / beads
        unit = "cells_per_uL"
    elif cell_count is not None:
        reference = _reference(adata, count_reference, "cell-count reference", path)
        counts = cell_count.reindex(adata.obs_names).to_numpy(float)
        bad = ~np.isfinite(counts) | (reference <= 0)
        if bad.any():
            sample = adata.obs_names[int(np.flatnonzero(bad)[0])]
            raise InputError(f"sample {sample!r}: no cell count or no {count_reference!r} events, so "
                             "no absolute count; fill the cell-count column.", path=path)
        factor = counts / reference
        unit = named_unit(str(cell_count.name or "")) or f"cells_per_{cell_count.name or 'count'}_unit"
    else:
        factor = 1e6 / _total_events(adata, total_events, "pp.absolute_counts")
        unit = PER_MILLION_EVENTS
    adata.layers["absolute"] = events * factor[:, None]
    set_x(adata, np.log2(with_pseudo * factor[:, None]))
    adata.uns["absolute_unit"] = unit
    return unit


def drop_counting_beads(adata: ad.AnnData, *, bead_gate: str = "Beads") -> ad.AnnData:
    """Return the cell populations only: the counting-bead gate becomes ``obs["bead_events"]``.

    Counting beads are a technical reference of the tube, not a population of the graft: their
    absolute count is the bead concentration by construction, so a differential test, a score or
    a correlation of them says nothing about the patient and would only add a test to the
    multiplicity correction. Their events stay with each sample (``obs["bead_events"]``, and
    the ``bead_events`` column of :func:`flow_qc`).

    Parameters
    ----------
    adata
        From :func:`populations_anndata` (with :func:`absolute_counts` applied, which needs
        the bead events).
    bead_gate
        Name of the counting-bead gate; an AnnData without it is returned as it is.

    Returns
    -------
    The AnnData without the ``bead_gate`` population (a copy), or ``adata`` itself.
    """
    if bead_gate not in adata.var_names:
        return adata
    cells = adata[:, adata.var_names != bead_gate].copy()
    cells.obs["bead_events"] = np.asarray(adata[:, bead_gate].layers["events"], float).ravel()
    return cells


def flow_qc(adata: ad.AnnData, *, min_events: int, total_events: pd.Series | np.ndarray | None = None,
            viable_gate: str | None = VIABLE_GATE, bead_gate: str = "Beads") -> pd.DataFrame:
    """Per-sample QC: events acquired, viability, bead events, populations under ``min_events``.

    Parameters
    ----------
    adata
        From :func:`populations_anndata`.
    min_events
        Populations with fewer events are listed (flagged, not removed).
    total_events
        Events acquired per sample (default: the largest ``parent_events`` of the sample):
        a Series indexed by sample id (matched by id), or an array with one value per
        sample in ``obs`` order.
    viable_gate
        Name of the viability gate. The default, ``"Viable"``, gives NaN viability when the
        strategy has no such gate (as ``omics run`` calls it); a name given that is not a
        population stops, naming the populations; None: no viability (NaN).
    bead_gate
        Name of the counting-bead gate (NaN bead events without it).

    Returns
    -------
    One row per sample; ``viability_percent`` is the percent of parent of
    ``viable_gate`` (NaN without that gate); ``low_event_populations`` lists the
    populations under ``min_events``.

    Raises
    ------
    omics._errors.InputError
        When ``adata`` is not an AnnData of :func:`populations_anndata`,
        ``viable_gate`` is not the default and not one of its populations, or
        ``total_events`` has no value for a sample (a Series) or not one value per sample
        (an array).
    """
    _check_flow_anndata(adata, "pp.flow_qc")
    if viable_gate not in (None, VIABLE_GATE) and viable_gate not in adata.var_names:
        raise InputError(f"pp.flow_qc: viable_gate {viable_gate!r} is not a flow population "
                         f"(populations: {', '.join(adata.var_names)}); pass one of these, or "
                         "None for no viability.")
    events = pd.DataFrame(adata.layers["events"], index=adata.obs_names, columns=adata.var_names)
    percent = pd.DataFrame(adata.layers["percent_of_parent"], index=adata.obs_names,
                           columns=adata.var_names)
    low = events.lt(min_events)
    table = pd.DataFrame({
        "sample": adata.obs_names,
        "total_events": _total_events(adata, total_events, "pp.flow_qc"),
        "viability_percent": (percent[viable_gate].to_numpy()
                              if viable_gate is not None and viable_gate in percent else np.nan),
        "bead_events": events[bead_gate].to_numpy() if bead_gate in events else np.nan,
        "n_low_event_populations": low.sum(axis=1).to_numpy(),
        "low_event_populations": [",".join(events.columns[row]) for row in low.to_numpy()],
    })
    table["min_events"] = min_events
    return table


def _dose_unit(unit: str | None, volumes: np.ndarray | None) -> str | None:
    """Return the unit of the dose :func:`flow_scores` computes from counts in ``unit``.

    ``cells_per_graft`` when the counts are per uL or mL and the graft volumes are known
    (``volumes``), or already per graft; else ``unit`` itself (``"as exported"`` when not
    recorded); None for counts relative to the events acquired (``per_million_events``),
    which give no dose.
    """
    if unit == PER_MILLION_EVENTS:
        return None
    if unit in PER_ML and volumes is not None:
        return "cells_per_graft"
    return unit or "as exported"


def flow_scores(adata: ad.AnnData, *, dose_population: str | None = "CD34",
                exclude: tuple[str, ...] = ("Beads",)) -> pd.DataFrame:
    """Per-patient flow scores for the response model (samples x scores).

    - one column per population (bead gates excluded): ``log2`` percent of parent, with
      half an event added (``(events + 0.5) / (parent_events + 1)``), i.e. the
      progenitor *content* of the graft;
    - ``dose:<population>_absolute``: ``log10`` absolute count of ``dose_population``
      (``layers["absolute"]``), i.e. the implanted *dose*. Counts per uL or per mL
      (counting beads, an exported ``cells/uL`` column, a cell count per uL or mL) are
      made per graft when the sample sheet has ``graft_volume_ml`` (x 1000 x mL, or x mL);
      counts per graft are used as they are. A sample with no event of the population
      gets half an event's worth (0.5 x its absolute count per event), as ``X`` does, so
      that its dose is finite. Counts relative to the events acquired
      (``per_million_events``: no beads, cell count or exported absolute counts) are a
      frequency, not a dose: no dose column then (logged).

    The response model standardises every score, so units do not matter.

    Parameters
    ----------
    adata
        From :func:`populations_anndata` with :func:`absolute_counts` applied.
    dose_population
        Population whose absolute count is the dose (``None``: no dose column).
    exclude
        Populations left out (counting beads).

    Returns
    -------
    Samples x scores.

    Raises
    ------
    omics._errors.InputError
        When ``adata`` is not an AnnData of :func:`populations_anndata`,
        ``dose_population`` is not a population, or the dose is asked for and
        :func:`absolute_counts` has not filled ``layers["absolute"]``.
    """
    _check_flow_anndata(adata, "pp.flow_scores")
    events = adata.layers["events"].astype(float)
    parent = adata.layers["parent_events"].astype(float)
    content = np.log2(100.0 * (events + PSEUDO_EVENTS) / (parent + 2 * PSEUDO_EVENTS))
    scores = pd.DataFrame(content, index=adata.obs_names, columns=adata.var_names)
    scores = scores.drop(columns=[c for c in exclude if c in scores.columns])
    if dose_population:
        if dose_population not in adata.var_names:
            raise InputError(f"{{--flow_dose_population}} {dose_population!r} is not a flow population "
                             f"(populations: {', '.join(adata.var_names)}).")
        if "absolute" not in adata.layers:
            raise InputError("pp.flow_scores: the AnnData has no layers['absolute'], from which the "
                             f"dose of {dose_population!r} comes; run pp.absolute_counts(adata, ...) "
                             "first, or pass dose_population=None for no dose column.")
        unit = adata.uns.get("absolute_unit")
        volumes = graft_volumes(adata.obs)
        dose_unit = _dose_unit(unit, volumes)
        name = f"dose:{dose_population}_absolute"
        if dose_unit is None:
            log.info("flow: no %s score: without counting beads, a cell count or exported absolute "
                     "counts the counts are per 10^6 acquired events, a frequency rather than a dose",
                     name)
        else:
            if volumes is not None and dose_unit != "cells_per_graft":
                log.warning("flow: %s stays in %r, not per graft: graft_volume_ml is not used since that "
                            "unit is not per uL or mL. Name the population table's absolute column "
                            "'cells/uL' or 'absolute per graft', or the cell-count column '<name>_per_ul'",
                            name, unit)
            else:
                log.info("flow: %s is log10 %s in %s", name, dose_population, dose_unit)
            scores[name] = np.log10(_dose(adata, dose_population, unit, volumes))
    scores.index.name = "sample"
    scores.columns.name = None
    return scores


def _dose(adata: ad.AnnData, population: str, unit: str | None, volumes: np.ndarray | None) -> np.ndarray:
    """Absolute count of ``population`` per sample, per graft where :func:`_dose_unit` says so.

    An empty gate (0 events) gets half an event's worth: ``0.5 x`` the sample's absolute
    count per event, the median over its populations with events (the same for every
    population with beads or a cell count).
    """
    events = np.asarray(adata.layers["events"], float)
    absolute = np.asarray(adata.layers["absolute"], float)
    column = list(adata.var_names).index(population)
    dose = absolute[:, column].copy()
    empty = events[:, column] <= 0
    if empty.any():
        with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings(action="ignore"):
            per_event = np.where(events > 0, absolute / events, np.nan)
            half = PSEUDO_EVENTS * np.nanmedian(per_event[empty], axis=1)  # NaN: no event at all
        dose[empty] = np.where(dose[empty] > 0, dose[empty], half)
    if unit in PER_ML and volumes is not None:
        dose = dose * PER_ML[unit] * volumes
    return dose
