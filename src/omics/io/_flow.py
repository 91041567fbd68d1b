"""Flow cytometry inputs: FCS files, gating strategies and exported population tables.

FCS files are read, compensated, transformed and gated with FlowKit (and FlowIO
underneath); nothing here parses FCS or applies gates itself. What this module adds is
the checking around it: every problem stops with one message naming the file and the
channel, gate or sample, before anything is written.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import InputError
from .._logging import get_logger
from ._names import near_matches
from ._tables import _shown, check_ids, data_lines, decimal_comma_numbers, is_missing, read_table

log = get_logger("io.flow")

FCS_SUFFIXES = (".fcs", ".lmd")
ROOT = "root"


def _flowkit():  # noqa: ANN202 - module
    import flowkit

    return flowkit


@dataclass
class FcsHeader:
    """What the TEXT segment of an FCS file says (no event data read).

    Attributes
    ----------
    path
        The file.
    channels
        ``$PnN`` labels in channel order.
    markers
        ``$PnS`` labels (stripped; empty when absent), same order.
    event_count
        ``$TOT``, checked against the length of the DATA segment.
    has_spillover
        Whether ``$SPILLOVER``/``SPILL``/``$SPILL`` is present.
    raw_markers
        ``$PnS`` labels as written (FlowKit matches these, not the stripped ones).
    fluorescence
        ``$PnN`` of the fluorescence channels (not scatter, time or null), as FlowIO
        classifies them: the channels a spillover matrix compensates.
    spillover_keyword
        The keyword FlowKit compensates with (``$SPILLOVER``, preferred, or ``$SPILL``), or
        None.
    spillover_detectors
        The detectors (``$PnN``) the spillover matrix names, in its order.
    spillover
        The spillover matrix (detectors x detectors), or None when absent or unreadable.
    spillover_problem
        Why the spillover keyword cannot be used as a matrix (None when it can or is absent).
    """

    path: Path
    channels: list[str]
    markers: list[str]
    event_count: int
    has_spillover: bool
    raw_markers: list[str] = field(default_factory=list)
    fluorescence: list[str] = field(default_factory=list)
    spillover_keyword: str | None = None
    spillover_detectors: list[str] = field(default_factory=list)
    spillover: np.ndarray | None = field(default=None, compare=False)
    spillover_problem: str | None = None

    def labels(self) -> set[str]:
        """Every name a gate dimension may use for this file (``$PnN``, ``$PnS``, FlowJo form)."""
        names = set(self.channels) | {m for m in self.markers if m}
        return names | {c.replace("/", "_") for c in self.channels}

    def channel_of(self, name: str) -> str | None:
        """Return the ``$PnN`` a gate dimension ``name`` resolves to (as :meth:`labels`), or None."""
        for labels in (self.channels, self.markers, [c.replace("/", "_") for c in self.channels]):
            if name in labels:
                return self.channels[labels.index(name)]
        return None

    def channels_named(self, name: str) -> tuple[list[int], str]:
        """Return the indices of the channels FlowKit may take for ``name``, and the keyword matched.

        FlowKit looks a dimension up among the ``$PnN`` first, then the ``$PnS`` as written,
        then the FlowJo form of the ``$PnN`` (``/`` as ``_``), and takes the first channel
        of the first list that has the name; more than one index means that choice is
        ambiguous.
        """
        markers = self.raw_markers or self.markers
        for keyword, labels in (("N", self.channels), ("S", markers),
                                ("N", [c.replace("/", "_") for c in self.channels])):
            hits = [i for i, label in enumerate(labels) if label == name]
            if hits:
                return hits, keyword
        return [], ""


def _existing(path: str | Path, what: str) -> Path:
    """Return ``path`` as a Path, or stop with "<what> not found." naming it."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{what} not found.", path=path)
    return path


def _fcs_error(path: Path, error: Exception) -> InputError:
    text = str(error).strip() or type(error).__name__
    return InputError(f"not a readable FCS file ({text}). Re-export it from the cytometer software; "
                      "if only its data offset is off by one byte, set {--flow_ignore_offset_error} true.",
                      path=path)


def read_fcs_header(path: str | Path, *, ignore_offset_error: bool = False) -> FcsHeader:
    """Read the HEADER and TEXT segments of an FCS file and check that its data fit the file.

    The DATA segment must hold ``$TOT`` events exactly (``$TOT`` x the bytes of one event,
    from ``$DATATYPE`` and ``$PnB``); one byte more is the off-by-one ``$ENDDATA`` some
    exporters write, accepted with ``ignore_offset_error``. The spillover keyword is parsed
    (:attr:`FcsHeader.spillover`); whether it must be usable depends on the gates
    (:func:`check_channels`).

    Parameters
    ----------
    path
        FCS 2.0/3.0/3.1 file.
    ignore_offset_error
        Accept files whose ``$ENDDATA`` is off by one byte (FlowIO's switch of that name).

    Returns
    -------
    :class:`FcsHeader`.

    Raises
    ------
    omics._errors.InputError
        When the file is missing or unreadable, its data are not list mode in a type FlowIO
        reads, it holds no events, or its DATA segment is not ``$TOT`` events long.
    """
    import flowio

    path = _existing(path, "FCS file")
    try:
        with warnings.catch_warnings(action="ignore"):
            data = flowio.FlowData(str(path), only_text=True, ignore_offset_error=ignore_offset_error)
    except Exception as error:  # FlowIO raises ValueError, KeyError, its own errors ...
        raise _fcs_error(path, error) from None
    channels = [str(c) for c in data.pnn_labels]
    raw_markers = [str(m or "") for m in data.pns_labels]
    text = {str(k).lower().lstrip("$"): v for k, v in data.text.items()}
    _check_data_segment(path, data, text, ignore_offset_error=ignore_offset_error)
    # FlowKit compensates with $SPILLOVER when the file has it, else with $SPILL/SPILL
    keyword = next((key for key in ("spillover", "spill") if key in text), None)
    detectors: list[str] = []
    matrix, problem = None, None
    if keyword is not None:
        detectors, matrix, problem = _parse_spillover(str(text[keyword]))
    return FcsHeader(path=path, channels=channels, markers=[m.strip() for m in raw_markers],
                     event_count=int(data.event_count), has_spillover=keyword is not None,
                     raw_markers=raw_markers,
                     fluorescence=[channels[i] for i in data.fluoro_indices],
                     spillover_keyword=None if keyword is None else f"${keyword.upper()}",
                     spillover_detectors=detectors, spillover=matrix, spillover_problem=problem)


def _check_data_segment(path: Path, data, text: dict, *, ignore_offset_error: bool) -> None:  # noqa: ANN001
    """Stop unless the DATA segment holds ``$TOT`` events of a type FlowIO reads.

    The segment is located as FlowIO locates it: the HEADER offsets for FCS 2.0, the
    ``$BEGINDATA``/``$ENDDATA`` keywords otherwise (FlowIO has checked they agree).
    """
    re_export = "Export the file again from the cytometer software."
    mode = str(text.get("mode", "L")).upper()
    if mode != "L":
        raise InputError(f"the file's data are not list mode ($MODE {mode}); FlowIO reads list-mode "
                         "data only.", path=path, fix=re_export + " (list mode).")
    datatype = str(text.get("datatype", "")).upper()
    n_channels = int(data.channel_count)
    if datatype == "I":
        widths = [str(text.get(f"p{i}b", "")).strip() for i in range(1, n_channels + 1)]
        odd = [(i, w) for i, w in enumerate(widths, 1) if w not in ("8", "16", "32")]
        if odd:
            i, width = odd[0]
            raise InputError(f"$P{i}B is {width!r}: FlowIO reads integer data of 8, 16 or 32 bits only.",
                             path=path, fix=re_export)
        event_bytes = sum(int(w) for w in widths) // 8
    elif datatype in ("F", "D"):
        event_bytes = (4 if datatype == "F" else 8) * n_channels
    else:
        raise InputError(f"$DATATYPE is {datatype!r}: FlowIO reads integer (I), float (F) and double "
                         "(D) data, not ASCII (A).", path=path, fix=re_export)
    if data.version == "2.0":
        start, stop = int(data.header["data_start"]), int(data.header["data_stop"])
    else:
        start, stop = int(text["begindata"]), int(text["enddata"])
    events = int(data.event_count)
    if events <= 0:
        raise InputError("the file holds no events ($TOT 0).", path=path,
                         fix="Export the sample's acquisition again, or drop the sample from the sample "
                             "sheet.")
    expected, length = events * event_bytes, stop - start + 1
    if length == expected or (length == expected + 1 and ignore_offset_error):
        return
    if length == expected + 1:
        raise InputError(
            f"its DATA segment ($BEGINDATA {start} to $ENDDATA {stop}) is {length} bytes, one more than "
            f"$TOT {events} events x {event_bytes} bytes = {expected}: the data offset ($ENDDATA) is off "
            "by one byte, as some exporters write it.", path=path,
            fix="If the cytometer software is known to write $ENDDATA one byte too far, set "
                "{--flow_ignore_offset_error} true; otherwise export the file again.")
    raise InputError(
        f"$TOT says {events} events x {event_bytes} bytes = {expected} bytes, but its DATA segment "
        f"($BEGINDATA {start} to $ENDDATA {stop}) is {length} bytes ({length / event_bytes:g} events): "
        "the event count disagrees with the data.", path=path,
        fix="The file is damaged or was written wrongly; export it again from the cytometer software.")


def _parse_spillover(value: str) -> tuple[list[str], np.ndarray | None, str | None]:
    """Parse a ``$SPILLOVER`` value (``n,detector 1..n,n x n values``) as FlowKit reads it.

    Returns the detectors, the matrix and None, or what detectors could be read, None and
    the reason the value is not a usable matrix.
    """
    parts = [item.strip() for item in value.split(",")]
    try:
        n = int(parts[0])
    except ValueError:
        return [], None, f"it does not start with the number of detectors (it starts {parts[0][:20]!r})"
    if n <= 0:
        return [], None, f"it lists {n} detectors"
    detectors = parts[1:n + 1]
    if len(parts) != 1 + n + n * n:
        return detectors, None, (f"it has {max(len(parts) - 1 - n, 0)} values where {n} detectors "
                                 f"need {n * n}")
    try:
        matrix = np.array([float(v) for v in parts[n + 1:]]).reshape(n, n)
    except ValueError:
        bad = next(v for v in parts[n + 1:] if not _is_float(v))
        return detectors, None, f"value {bad!r} is not a number"
    if not np.isfinite(matrix).all():
        return detectors, None, "it holds a value that is not a finite number"
    if len(set(detectors)) < n:
        twice = next(d for d in detectors if detectors.count(d) > 1)
        return detectors, None, f"it names detector {twice!r} twice"
    if np.linalg.matrix_rank(matrix) < n:
        return detectors, None, "it cannot be inverted (it is singular)"
    return detectors, matrix, None


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_fcs(path: str | Path, *, sample_id: str | None = None, ignore_offset_error: bool = False):  # noqa: ANN201
    """Read an FCS file into a :class:`flowkit.Sample` (events preprocessed, not compensated).

    Parameters
    ----------
    path
        FCS file.
    sample_id
        Id given to the sample (default: the file name).
    ignore_offset_error
        Accept files whose data offset is off by one byte.

    Returns
    -------
    ``flowkit.Sample``.

    Raises
    ------
    omics._errors.InputError
        When FlowKit cannot read the file, or reads another number of events than ``$TOT``.
    """
    fk = _flowkit()
    path = _existing(path, "FCS file")
    try:
        with warnings.catch_warnings(action="ignore"):
            sample = fk.Sample(str(path), sample_id=sample_id or path.name,
                               ignore_offset_error=ignore_offset_error, subsample=0)
    except Exception as error:
        raise _fcs_error(path, error) from None
    read = events_read(sample)
    if read != sample.event_count:  # read_fcs_header stops such a file before the run
        raise InputError(f"$TOT says {sample.event_count} events, but its DATA segment holds {read}.",
                         path=path, fix="The file is damaged or was written wrongly; export it again "
                                        "from the cytometer software.")
    return sample


def events_read(sample) -> int:  # noqa: ANN001 - flowkit.Sample
    """Return the number of events a ``flowkit.Sample`` holds (rows read, not its ``$TOT``)."""
    return int(sample.get_events(source="raw").shape[0])


# --------------------------------------------------------------------------------------
# Gating strategies
# --------------------------------------------------------------------------------------


@dataclass
class Gating:
    """A parsed gating strategy: Gating-ML 2.0 (one strategy) or a FlowJo 10 workspace.

    Attributes
    ----------
    path
        The file.
    strategy
        The ``flowkit.GatingStrategy`` of a Gating-ML file (``None`` for a workspace).
    workspace
        For a workspace: FCS file name -> that sample's ``GatingStrategy``.
    """

    path: Path
    strategy: object | None
    workspace: dict[str, object] | None = None
    _dimensions: dict[int, tuple[dict, dict]] = field(default_factory=dict, repr=False, compare=False)

    def for_file(self, fcs_path: Path, sample: str):  # noqa: ANN201
        """Return the gating strategy to apply to one FCS file."""
        if self.strategy is not None:
            return self.strategy
        assert self.workspace is not None
        return self.workspace[self.workspace_name(fcs_path, sample)]

    def populations(self, fcs_path: Path, sample: str) -> list[str]:
        """Return the populations gating one FCS file gives (:func:`strategy_populations`)."""
        return strategy_populations(self.for_file(fcs_path, sample))

    def dimensions(self, fcs_path: Path, sample: str) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        """Return :func:`gate_dimensions` and :func:`fcs_compensated_dimensions` of a file's strategy.

        Looked up once per strategy (a Gating-ML file has one for every FCS file), for
        :func:`check_channels`.
        """
        strategy = self.for_file(fcs_path, sample)
        if id(strategy) not in self._dimensions:
            self._dimensions[id(strategy)] = (gate_dimensions(strategy), fcs_compensated_dimensions(strategy))
        return self._dimensions[id(strategy)]

    def check_populations(self, files: dict[str, Path]) -> None:
        """Stop unless every file's strategy gives the same populations (:func:`check_flow_populations`).

        Every file shares a Gating-ML file's strategy; a FlowJo workspace gives each sample
        its own gates, and a sample whose group lacks a gate would lose every flow result.

        Parameters
        ----------
        files
            Sample -> FCS file (the samples to analyse).
        """
        if self.strategy is not None:
            return
        rows = [(sample, name) for sample, path in files.items() for name in self.populations(path, sample)]
        check_flow_populations(pd.DataFrame(rows, columns=["sample", "population"]), self.path, gated=True)

    def workspace_name(self, fcs_path: Path, sample: str) -> str:
        """Name of the FCS file's sample in the workspace (FlowKit's sample id for its gates)."""
        assert self.workspace is not None
        for key in (fcs_path.name, fcs_path.stem, sample):
            if key in self.workspace:
                return key
        raise InputError(f"sample {sample!r}: the FlowJo workspace has no sample for FCS file "
                         f"{fcs_path.name!r} (it has {', '.join(sorted(self.workspace)[:10])}). Add "
                         "the file to the workspace, or export its gates as Gating-ML.", path=self.path)


def read_gating(path: str | Path) -> Gating:
    """Parse a Gating-ML 2.0 file (``.xml``) or a FlowJo 10 workspace (``.wsp``) with FlowKit.

    Parameters
    ----------
    path
        The gating strategy file.

    Returns
    -------
    :class:`Gating`; :meth:`Gating.for_file` gives the strategy of one FCS file.

    Raises
    ------
    omics._errors.InputError
        When the file is missing, a Gating-ML file's references do not resolve
        (:func:`check_gating_ml_references`: a gate id used twice, a ``parent_id``,
        ``transformation-ref``, ``compensation-ref``, boolean ``gateReference`` or quadrant
        ``divider_ref`` naming nothing in the file, gates that are each other's parents), or
        FlowKit cannot parse it.
    """
    fk = _flowkit()
    path = _existing(path, "gating strategy file")
    try:
        with warnings.catch_warnings(action="ignore"):
            if path.suffix.lower() == ".wsp":
                parsed = fk.parse_wsp(str(path))
                strategies = {name: info["gating_strategy"]
                              for name, info in parsed["samples"].items()}
                if not strategies:
                    raise ValueError("the workspace holds no samples")
                return Gating(path=path, strategy=None, workspace=strategies)
            check_gating_ml_references(path)
            return Gating(path=path, strategy=fk.parse_gating_xml(str(path)))
    except InputError:
        raise
    except Exception as error:
        raise InputError(f"not a Gating-ML 2.0 file or FlowJo 10 workspace ({str(error).strip()}).",
                         path=path) from None


_GML = "http://www.isac-net.org/std/Gating-ML/v2.0/"
_GATING, _TRANSFORMS, _DATATYPES = (f"{{{_GML}{part}}}"
                                    for part in ("gating", "transformations", "datatypes"))
#: compensation-ref values that name no matrix of the file (Gating-ML 2.0).
_BUILT_IN_COMPENSATION = ("FCS", "uncompensated")


def _listed(names: Iterable[str], limit: int = 12) -> str:
    """List the distinct ``names`` sorted, as ``_tables._shown`` does (``none`` when empty)."""
    return _shown(sorted(set(names)), limit) or "none"


def check_gating_ml_references(path: str | Path) -> None:
    """Stop when a reference of a Gating-ML 2.0 file does not resolve, naming the gate and the reference.

    FlowKit reports these as a bare ``KeyError`` (``'CD34X'``), as "not Gating-ML 2.0
    compliant", or only while gating the first FCS file. Checked: gate ids (gates and
    quadrants) are unique; every ``parent_id`` and boolean ``gateReference`` names a gate of
    the file; no gate is its own ancestor; every ``transformation-ref`` (of a dimension,
    divider or ratio dimension) names a ``transformation`` of the file; every
    ``compensation-ref`` is ``FCS``, ``uncompensated`` or a ``spectrumMatrix`` of the file;
    every quadrant's ``divider_ref`` names a divider of its quadrant gate. A file that is
    not XML or not Gating-ML 2.0 is left to FlowKit's parser.

    Parameters
    ----------
    path
        The Gating-ML file.

    Raises
    ------
    omics._errors.InputError
        At the first reference that does not resolve (the file, the gate, the reference,
        what the file defines, and the fix).
    """
    from lxml import etree  # FlowKit's own XML parser

    path = Path(path)
    try:
        root = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
    except Exception:  # noqa: BLE001 - not XML: FlowKit's parser says so
        return
    if not isinstance(root.tag, str) or root.tag != f"{_GATING}Gating-ML":
        return

    def stop(message: str, fix: str) -> None:
        raise InputError(message, path=path, fix=fix)

    transforms = {t.get(f"{_TRANSFORMS}id") for t in root.iter(f"{_TRANSFORMS}transformation")} - {None}
    matrices = {m.get(f"{_TRANSFORMS}id") for m in root.iter(f"{_TRANSFORMS}spectrumMatrix")} - {None}
    gates = [g for g in root if isinstance(g.tag, str) and g.tag.startswith(_GATING)
             and g.tag.endswith("Gate")]
    ids: dict[str, int | None] = {}
    parents: dict[str, str] = {}
    for gate in gates:
        gate_id = gate.get(f"{_GATING}id")
        if not gate_id:
            continue
        for name, element in [(gate_id, gate), *[(q.get(f"{_GATING}id"), q)
                                                 for q in gate.iter(f"{_GATING}Quadrant")]]:
            if not name:
                continue
            if name in ids:
                stop(f"gate id {name!r} is used twice (lines {ids[name]} and {element.sourceline}); "
                     "Gating-ML gate ids must be unique.",
                     "Rename one of the gates (and the parent_id or gateReference that means it).")
            ids[name] = element.sourceline
        if gate.get(f"{_GATING}parent_id") is not None:
            parents[gate_id] = gate.get(f"{_GATING}parent_id")
    for gate in gates:
        gate_id = gate.get(f"{_GATING}id") or "?"
        parent = gate.get(f"{_GATING}parent_id")
        if parent is not None and parent not in ids:
            stop(f"gate {gate_id!r} names parent_id {parent!r}, which is no gate in the file "
                 f"(gates: {_listed(ids)}).", "Fix the parent_id (ids are case-sensitive).")
        for reference in gate.iter(f"{_GATING}gateReference"):
            ref = reference.get(f"{_GATING}ref")
            if ref not in ids:
                stop(f"boolean gate {gate_id!r} has a gateReference {ref!r}, which is no gate in the "
                     f"file (gates: {_listed(ids)}).", "Fix the reference (ids are case-sensitive).")
        for element in gate.iter(f"{_GATING}dimension", f"{_GATING}divider", f"{_DATATYPES}new-dimension"):
            for attribute in (f"{_GATING}transformation-ref", f"{_DATATYPES}transformation-ref"):
                ref = element.get(attribute)
                if ref is not None and ref not in transforms:
                    stop(f"gate {gate_id!r} uses transformation-ref {ref!r}, which the file does not "
                         f"define (transformations: {_listed(transforms)}).",
                         "Fix the reference, or define the transformation in the file.")
            ref = element.get(f"{_GATING}compensation-ref")
            if ref is not None and ref not in matrices and ref not in _BUILT_IN_COMPENSATION:
                stop(f"gate {gate_id!r} uses compensation-ref {ref!r}, which is neither FCS, uncompensated "
                     f"nor a spectrumMatrix of the file (matrices: {_listed(matrices)}).",
                     "Fix the reference, or define the spectrumMatrix in the file.")
        dividers = {d.get(f"{_GATING}id") for d in gate.iter(f"{_GATING}divider")} - {None}
        for position in gate.iter(f"{_GATING}position"):
            ref = position.get(f"{_GATING}divider_ref")
            if ref is not None and ref not in dividers:
                stop(f"quadrant gate {gate_id!r} has a position on divider_ref {ref!r}, which is no "
                     f"divider of the gate (dividers: {_listed(dividers)}).",
                     "Fix the divider_ref (ids are case-sensitive).")
    quadrant_of = {q.get(f"{_GATING}id"): g.get(f"{_GATING}id") for g in gates
                   for q in g.iter(f"{_GATING}Quadrant")}
    for start in parents:
        seen = [start]
        node = parents.get(quadrant_of.get(start, start))
        while node is not None:
            if node in seen:
                stop(f"gates {' -> '.join(map(repr, [*seen, node]))} are each other's parents "
                     "(parent_id), so none of them can be gated.",
                     "Fix the parent_id of one of them.")
            seen.append(node)
            node = parents.get(quadrant_of.get(node, node))


def _dimension_refs(strategy) -> dict[str, list[tuple[str, str | None]]]:  # noqa: ANN001
    """``(channel/marker name, compensation ref)`` of every dimension, per ``gate path/gate``."""
    fk = _flowkit()
    out: dict[str, list[tuple[str, str | None]]] = {}
    for gate_id, gate_path in strategy.get_gate_ids():
        try:
            gate = strategy.get_gate(gate_id, gate_path)
        except Exception:  # a quadrant of a quadrant gate: covered by its parent
            continue
        refs: list[tuple[str, str | None]] = []
        for dim in getattr(gate, "dimensions", None) or []:
            compensation = getattr(dim, "compensation_ref", None)
            if isinstance(dim, fk.RatioDimension):
                transform = strategy.transformations.get(dim.ratio_ref)
                refs += [(name, compensation) for name in getattr(transform, "dimensions", []) or []]
            elif isinstance(dim, fk.QuadrantDivider):
                refs.append((dim.dimension_ref, compensation))
            else:
                refs.append((dim.id, compensation))
        out["/".join([*gate_path, gate_id])] = refs
    return out


def gate_dimensions(strategy) -> dict[str, list[str]]:  # noqa: ANN001
    """Channel/marker names each gate of a strategy reads, keyed by ``gate path/gate``.

    Ratio dimensions contribute the channels of their ratio transform; Boolean gates
    read none.

    Parameters
    ----------
    strategy
        A ``flowkit.GatingStrategy`` (:meth:`Gating.for_file` of :func:`read_gating`).

    Returns
    -------
    dict[str, list[str]]
        ``"<gate path>/<gate id>"`` (e.g. ``"root/Cells/Viable"``) -> the channel or
        marker names the gate reads, in dimension order; a Boolean gate maps to ``[]``.
    """
    return {gate: [name for name, _ in refs] for gate, refs in _dimension_refs(strategy).items()}


def fcs_compensated_dimensions(strategy) -> dict[str, list[str]]:  # noqa: ANN001
    """Channel/marker names each gate compensates with the FCS file's own matrix.

    These are the dimensions with ``compensation-ref="FCS"``, keyed by ``gate path/gate``
    (gates without any are left out).
    """
    out = {gate: [name for name, ref in refs if ref == "FCS"]
           for gate, refs in _dimension_refs(strategy).items()}
    return {gate: names for gate, names in out.items() if names}


def strategy_populations(strategy) -> list[str]:  # noqa: ANN001
    """Names :func:`gate_sample` gives the populations of a gating strategy, in gate order.

    A gate's name, or its path (without ``root``) when the name is not unique; a quadrant
    gate contributes its quadrants, not itself.
    """
    fk = _flowkit()
    gates: list[tuple[str, str]] = []
    for gate_id, gate_path in strategy.get_gate_ids():
        try:
            gate = strategy.get_gate(gate_id, gate_path)
        except Exception:  # a quadrant: a population of its own
            gate = None
        if not isinstance(gate, fk.gates.QuadrantGate):
            gates.append((gate_id, "/".join([*gate_path, gate_id]).removeprefix(ROOT + "/")))
    names = [name for name, _ in gates]
    return [path if names.count(name) > 1 else name for name, path in gates]


def check_channels(header: FcsHeader, strategy, gating_path: Path, sample: str, *,  # noqa: ANN001
                   dimensions: dict[str, list[str]] | None = None,
                   compensated: dict[str, list[str]] | None = None) -> None:
    """Stop naming the file, the gate and the channel when a gate reads a channel the file lacks.

    Also when a gate reads a name that more than one channel carries (FlowKit would take
    the first), a marker whose ``$PnS`` has surrounding white space (FlowKit compares it as
    written), and when gates compensate with the file's own matrix
    (``compensation-ref="FCS"``) that is missing, unreadable, the identity or not over the
    file's fluorescence channels (:func:`_check_compensation`).

    Parameters
    ----------
    header
        The FCS file's header (:func:`read_fcs_header`).
    strategy
        The ``flowkit.GatingStrategy`` applied to that file.
    gating_path
        The gating strategy file (named in the message).
    sample
        The sample id (named in the message).
    dimensions, compensated
        ``gate_dimensions(strategy)`` and ``fcs_compensated_dimensions(strategy)``, when the
        caller has them: a cohort's files share one strategy, whose gates are looked up
        once rather than per file.

    Returns
    -------
    None
        Returns when the file has every channel the gates read.

    Raises
    ------
    omics._errors.InputError
        When a gate or compensation matrix names a channel that is not in the file, a
        name matches more than one channel, a marker matches only without its white
        space, or the file's spillover matrix cannot compensate the gates.
    """
    labels = header.labels()
    compensation_names: set[str] = set()
    for matrix in getattr(strategy, "comp_matrices", {}).values():
        compensation_names |= set(getattr(matrix, "fluorochomes", []) or [])
        compensation_names |= set(getattr(matrix, "fluorochromes", []) or [])
    if dimensions is None:
        dimensions = gate_dimensions(strategy)
    for gate, names in dimensions.items():
        for name in names:
            if name in labels:
                _check_one_channel(header, name, gate, gating_path, sample)
                if name not in compensation_names:
                    _check_marker_spacing(header, name, gate, gating_path, sample)
            elif name not in compensation_names:
                markers = ", ".join(m for m in header.markers if m) or "none"
                raise InputError(
                    f"sample {sample!r}: gate {gate!r} of {gating_path.name} needs channel/marker "
                    f"{name!r}, which this file lacks (channels: {', '.join(header.channels)}; "
                    f"markers: {markers}). Rename the marker ($PnS) in the acquisition template "
                    "or adapt the gating strategy.", path=header.path)
    if compensated is None:
        compensated = fcs_compensated_dimensions(strategy)
    _check_compensation(header, compensated, gating_path, sample)


def _check_one_channel(header: FcsHeader, name: str, gate: str, gating_path: Path, sample: str) -> None:
    """Stop when a gate dimension ``name`` is the ``$PnS`` (or ``$PnN``) of more than one channel.

    FlowKit takes the first such channel (a BD file writes the marker on the -A and the -H
    channel alike), so the gate could read the pulse height instead of the area.
    """
    hits, keyword = header.channels_named(name)
    if len(hits) < 2:
        return
    listed = ", ".join(f"{header.channels[i]!r} ($P{i + 1}{keyword})" for i in hits)
    area = [header.channels[i] for i in hits if header.channels[i].upper().endswith("-A")]
    example = (area or [header.channels[hits[0]]])[0]
    raise InputError(
        f"sample {sample!r}: gate {gate!r} of {gating_path.name} reads {name!r}, which is the "
        f"{'marker ($PnS)' if keyword == 'S' else 'channel name ($PnN)'} of {len(hits)} channels: "
        f"{listed}; FlowKit would gate on the first one.", path=header.path,
        fix=f"Gate on one channel's $PnN (e.g. {example!r}) in a copy of the gating strategy "
            "({--flow_gating}), or give each channel its own name in the acquisition template.")


def _check_marker_spacing(header: FcsHeader, name: str, gate: str, gating_path: Path,
                          sample: str) -> None:
    """Stop when ``name`` matches a ``$PnS`` only once its white space is stripped.

    FlowKit compares markers as written, so such a gate fails inside FlowKit.
    """
    if not header.raw_markers or name in header.raw_markers or name in header.channels \
            or name in {c.replace("/", "_") for c in header.channels}:
        return
    index = header.markers.index(name)
    raise InputError(
        f"sample {sample!r}: gate {gate!r} of {gating_path.name} needs marker {name!r}, but the "
        f"file's $P{index + 1}S is {header.raw_markers[index]!r}: FlowKit does not ignore the "
        "white space.", path=header.path,
        fix=f"Remove the spaces from the marker name ($P{index + 1}S) in the acquisition "
            f"template and export the file again, or gate on its channel "
            f"{header.channels[index]!r} ($PnN) in a copy of the gating strategy ({{--flow_gating}}).")


def _check_compensation(header: FcsHeader, compensated: dict[str, list[str]], gating_path: Path,
                        sample: str) -> None:
    """Stop when gates compensate with the file's own matrix and it cannot compensate them.

    With ``compensation-ref="FCS"`` FlowKit compensates with the file's ``$SPILLOVER``
    (or ``$SPILL``). It stops the run when

    - a gate compensates a fluorescence channel and the file has no such keyword, or one
      whose matrix is the identity: either way the file would be gated uncompensated
      without a word (Gating-ML 2.0); a file with a single fluorescence channel needs no
      compensation;
    - the keyword is not a readable, invertible matrix (``0`` detectors, too few values,
      text), or its detectors are not the file's fluorescence channels, the set FlowKit
      requires (it would fail during the run).

    Parameters
    ----------
    header
        The FCS file's header.
    compensated
        :func:`fcs_compensated_dimensions` of the strategy.
    gating_path, sample
        Named in the message.
    """
    if not compensated:
        return
    fluorescent = [(gate, name, channel) for gate, names in compensated.items() for name in names
                   if (channel := header.channel_of(name)) in header.fluorescence]
    fcs = 'compensation-ref="FCS"'
    elsewhere = ("give the compensation in the gating strategy ({--flow_gating}): a Gating-ML "
                 "spectrumMatrix that the gates' compensation-ref names, or the FlowJo workspace's matrix")
    if not header.has_spillover:
        if len(header.fluorescence) < 2 or not fluorescent:
            return
        gate, name, _ = fluorescent[0]
        raise InputError(
            f"sample {sample!r}: gate {gate!r} of {gating_path.name} compensates {name!r} with the "
            f"file's own spillover matrix ({fcs}), but the file has no $SPILLOVER (or SPILL) keyword, "
            "so it would be gated uncompensated.", path=header.path,
            fix="Add the spillover matrix to the file (export it again from the acquisition "
                "software), or gate with a strategy whose compensation-ref is "
                "\"uncompensated\" (data compensated at acquisition) or names a matrix it "
                "defines ({--flow_gating}).")
    keyword, detectors = header.spillover_keyword, header.spillover_detectors
    gate = (fluorescent[0][0] if fluorescent else next(iter(compensated)))
    if header.spillover is None:
        raise InputError(
            f"sample {sample!r}: gate {gate!r} of {gating_path.name} compensates with the file's own "
            f"spillover matrix ({fcs}), but its {keyword} is not a usable matrix: "
            f"{header.spillover_problem}.", path=header.path,
            fix=f"Export the file again with its spillover matrix, or {elsewhere}.")
    uncovered = [(gate, name, channel) for gate, name, channel in fluorescent if channel not in detectors]
    if uncovered:
        gate, name, channel = uncovered[0]
        raise InputError(
            f"sample {sample!r}: gate {gate!r} of {gating_path.name} compensates {name!r} (channel "
            f"{channel!r}) with the file's own spillover matrix ({fcs}), but the detectors of its "
            f"{keyword} ({', '.join(detectors)}) do not include it.", path=header.path,
            fix=f"Export the file again with a spillover matrix over all its fluorescence channels, or "
                f"{elsewhere}.")
    lacking = [c for c in header.fluorescence if c not in detectors]
    foreign = [d for d in detectors if d not in header.fluorescence]
    if lacking or foreign:
        parts = ([f"it lacks fluorescence channel(s) {', '.join(map(repr, lacking))}"] if lacking else []) \
            + ([f"it names {', '.join(map(repr, foreign))}, not fluorescence channel(s) of the file"]
               if foreign else [])
        raise InputError(
            f"sample {sample!r}: gate {gate!r} of {gating_path.name} compensates with the file's own "
            f"spillover matrix ({fcs}), and FlowKit needs the detectors of its {keyword} to be the "
            f"file's fluorescence channels: {'; '.join(parts)}.", path=header.path,
            fix=f"Export the file again with a spillover matrix over all its fluorescence channels, or "
                f"{elsewhere}.")
    matrix = header.spillover
    if fluorescent and len(header.fluorescence) >= 2 and not (matrix - np.diag(np.diag(matrix))).any():
        gate, name, _ = fluorescent[0]
        raise InputError(
            f"sample {sample!r}: gate {gate!r} of {gating_path.name} compensates {name!r} with the "
            f"file's own spillover matrix ({fcs}), but the file's {keyword} is the identity matrix "
            "(no spillover between any detectors, as written when compensation was not set up), "
            "so the gates would be uncompensated.", path=header.path,
            fix=f"{elsewhere[0].upper()}{elsewhere[1:]}; for data compensated at acquisition, gate "
                "with a strategy whose compensation-ref is \"uncompensated\".")


def _gating_error(sample, strategy, error: Exception) -> InputError:  # noqa: ANN001
    """Say why FlowKit could not gate ``sample``: a channel/marker the file lacks, else its error."""
    sample_id = getattr(sample, "id", None)
    channels = [str(c) for c in getattr(sample, "pnn_labels", []) or []]
    markers = [str(m or "").strip() for m in getattr(sample, "pns_labels", []) or []]
    labels = set(channels) | {m for m in markers if m} | {c.replace("/", "_") for c in channels}
    compensation_names: set[str] = set()
    for matrix in getattr(strategy, "comp_matrices", {}).values():
        compensation_names |= set(getattr(matrix, "fluorochomes", []) or [])
        compensation_names |= set(getattr(matrix, "fluorochromes", []) or [])
    try:
        dimensions = gate_dimensions(strategy)
    except Exception:  # noqa: BLE001 - a strategy FlowKit cannot list: report FlowKit's error
        dimensions = {}
    for gate, names in dimensions.items():
        lacking = [n for n in names if n not in labels and n not in compensation_names]
        if lacking:
            return InputError(
                f"io.gate_sample: sample {sample_id!r}: gate {gate!r} needs channel/marker "
                f"{lacking[0]!r}, which this file lacks (channels: {', '.join(channels)}; markers: "
                f"{', '.join(m for m in markers if m) or 'none'}); gate it with a strategy for its "
                "panel, or rename the marker ($PnS) in the acquisition template.")
    text = str(error).strip() or type(error).__name__
    return InputError(f"io.gate_sample: sample {sample_id!r}: FlowKit could not apply the gating "
                      f"strategy ({type(error).__name__}: {text}).",
                      fix="Check the file against it with io.check_channels(io.read_fcs_header(path), "
                          "strategy, gating_path, sample).")


def gate_sample(sample, strategy, *, cache_events: bool = False) -> tuple[pd.DataFrame, object]:  # noqa: ANN001
    """Apply a gating strategy to a ``flowkit.Sample``.

    Parameters
    ----------
    sample
        From :func:`read_fcs`.
    strategy
        A ``flowkit.GatingStrategy`` (:meth:`Gating.for_file`).
    cache_events
        Keep the compensated and transformed events in FlowKit's cache (for
        :func:`omics.pl.gating_png`; call ``strategy.clear_cache()`` afterwards).

    Returns
    -------
    A table with one row per gate and FlowKit's ``GatingResults`` (event membership).
    The table: ``population`` (gate name, or its full path when the name is not
    unique), ``parent`` (``root`` for top-level gates), ``gate_path``, ``events``,
    ``parent_events`` (for top-level gates the events read from the file).

    Raises
    ------
    omics._errors.InputError
        When FlowKit cannot apply the strategy: naming the gate and the channel/marker the
        file lacks, else FlowKit's error (:func:`check_channels` checks a file's header
        against a strategy before gating, as ``omics run`` does).
    """
    try:
        with warnings.catch_warnings(action="ignore"):
            results = strategy.gate_sample(sample, cache_events=cache_events)
    except Exception as error:  # FlowKit: KeyError for a channel or matrix it cannot find, ...
        raise _gating_error(sample, strategy, error) from None
    report = results.report.copy()
    report["gate_path"] = [
        "/".join([*path, name]) if quad is None else "/".join([*path, quad, name])
        for path, name, quad in zip(report["gate_path"], report["gate_name"],
                                    report["quadrant_parent"], strict=True)]
    duplicated = report["gate_name"].duplicated(keep=False)
    report["population"] = np.where(duplicated, report["gate_path"].str.removeprefix(ROOT + "/"),
                                    report["gate_name"])
    acquired = events_read(sample)  # the events gated, whatever $TOT says
    by_path = dict(zip(report["gate_path"], report["count"], strict=True))
    by_path_name = dict(zip(report["gate_path"], report["population"], strict=True))
    parents, parent_events = [], []
    for gate_path in report["gate_path"]:
        parent_path = gate_path.rsplit("/", 1)[0]
        if parent_path in by_path:
            parents.append(by_path_name[parent_path])
            parent_events.append(by_path[parent_path])
        elif "/" in parent_path and parent_path.rsplit("/", 1)[0] in by_path:
            # a quadrant: its parent is the quadrant gate's parent
            grand = parent_path.rsplit("/", 1)[0]
            parents.append(by_path_name[grand])
            parent_events.append(by_path[grand])
        else:
            parents.append(ROOT)
            parent_events.append(acquired)
    table = pd.DataFrame({
        "population": report["population"].to_numpy(),
        "parent": parents,
        "gate_path": report["gate_path"].to_numpy(),
        "events": report["count"].astype(np.int64).to_numpy(),
        "parent_events": np.asarray(parent_events, dtype=np.int64),
    })
    return table.sort_values("gate_path", kind="stable").reset_index(drop=True), results



# --------------------------------------------------------------------------------------
# Population tables (FlowJo / Kaluza exports)
# --------------------------------------------------------------------------------------

_TABLE_ALIASES = {
    "sample": ("sample", "sample id", "sample_id", "name", "fcs file", "file"),
    "population": ("population", "gate", "gate name", "population name"),
    "parent": ("parent", "parent population", "parent gate"),
    "events": ("events", "count", "event count", "#events", "number of events"),
    "parent_events": ("parent_events", "parent count", "parent events", "#parent events"),
    "absolute": ("absolute", "absolute count", "abs count", "absolute_count", "cells/ul",
                 "cells per ul", "cells/\u00b5l", "cells per \u00b5l", "cells/\u03bcl",
                 "cells per \u03bcl", "absolute per graft", "cells per graft", "cells/graft"),
}

# The unit a column name (an exported absolute count, a sample-sheet cell count) states:
# "... per uL" / ".../uL" (u, the micro sign or the Greek mu), per mL, per graft.
_NAMED_UNITS = (
    ("cells_per_uL", re.compile(r"(?:per[\s_.-]*|/)[u\u00b5\u03bc]l$", re.IGNORECASE)),
    ("cells_per_mL", re.compile(r"(?:per[\s_.-]*|/)ml$", re.IGNORECASE)),
    ("cells_per_graft", re.compile(r"(?:per[\s_.-]*|/)graft$", re.IGNORECASE)),
)
#: Unit of an exported ``absolute`` column whose name states none.
AS_EXPORTED = "as exported"


def named_unit(name: str) -> str | None:
    """Return the unit a column name states (``cells_per_uL``, ``cells_per_mL``, ``cells_per_graft``).

    ``cells/uL``, ``WBC per uL``, ``tnc_per_ul`` (``u``, ``\u00b5`` or ``\u03bc``) are per uL;
    ``..._per_ml`` or ``.../mL`` per mL; ``absolute per graft`` per graft. None when the name
    states no unit.
    """
    text = str(name).strip()
    # "Abs. Count (cells/uL)", "Cells/uL (abs)": a unit in brackets, or before a bracketed note
    parts = [text, *(p.strip() for p in re.split(r"[()\[\]]", text) if p.strip())]
    return next((unit for part in parts for unit, pattern in _NAMED_UNITS if pattern.search(part)),
                None)


_ABSOLUTE_WORD = re.compile(r"(?<![a-z])abs(?:olute)?(?![a-z])", re.IGNORECASE)


def _absolute_column(raw: pd.DataFrame, columns: dict[str, str], path: Path) -> str | None:
    """Find the absolute-count column an export names its own way (``Abs. Count (cells/uL)``).

    Without one of the names of ``_TABLE_ALIASES["absolute"]``, a column whose name says
    ``abs``/``absolute`` (``Abs. Count (cells/uL)``, ``abs_count``) and that holds values
    is the absolute count (logged); two such columns stop the run, naming them, instead
    of one being left out unseen. A column that only states a unit (``WBC/uL``, a
    sample's cell count) is not taken for every population's count.
    """
    taken = set(columns.values())
    found = [c for c in raw.columns if c not in taken and _ABSOLUTE_WORD.search(str(c))
             and not is_missing(raw[c]).all()]
    if found:
        log.info("%s: column %s read as the absolute counts (its name says abs/absolute)",
                 path.name, ", ".join(map(repr, found)))
    if len(found) > 1:
        raise InputError(f"columns {', '.join(map(repr, found))} could each be the absolute "
                         "counts.", path=path,
                         fix="Name the absolute-count column 'absolute' (or 'cells/uL', 'absolute "
                             "per graft') and remove or rename the others.")
    return found[0] if found else None


def _numbers(table: pd.DataFrame, key: str, column: str, *, sep: str, lines: Sequence[int],
             path: Path) -> pd.Series:
    """Column ``key`` of the flow table as non-negative numbers (NaN where empty).

    Commas follow the readers' shared rule (:func:`omics.io._tables.decimal_comma_numbers`,
    ``outside="grouping"``). Stops naming the row, sample and population at a value that
    is ambiguous (both ``,`` and ``.``; several decimal commas; a ``.`` in a column written
    with decimal commas), not a finite non-negative number, or (event counts) not a whole
    number. ``lines`` are the rows' file lines (:func:`omics.io._tables.data_lines`).
    """
    text = table[key].fillna("")
    given = text != ""
    numbers = decimal_comma_numbers(text, sep, outside="grouping")
    numbers.stop_if_ambiguous(text, path=path, where=lambda i: _where(table, i, column, lines))
    values = pd.to_numeric(numbers.text, errors="coerce")
    whole = key != "absolute"
    bad = given & (values.isna() | ~np.isfinite(values) | (values < 0))
    if whole:
        bad |= given & (values % 1 != 0)
    if bad.any():
        what = "a whole non-negative number of events" if whole else "a non-negative number"
        raise InputError(f"value {text[bad].iloc[0]!r} is not {what}.", path=path,
                         where=_where(table, int(np.flatnonzero(bad.to_numpy())[0]), column, lines),
                         fix=f"Write {what} (no units or thousands separators), or leave the cell "
                             "empty.")
    return values


def _where(table: pd.DataFrame, row: int, column: str, lines: Sequence[int]) -> str:
    """``column 'x', row N (sample 'S', population 'P')`` for a row of the flow table."""
    return (f"column {column!r}, row {lines[row]} (sample {table['sample'].iloc[row]!r}, "
            f"population {table['population'].iloc[row]!r})")


def read_flow_table(path: str | Path, *, samples: Iterable[str] | None = None) -> pd.DataFrame:
    """Read a per-sample population table as exported by FlowJo or Kaluza.

    Columns (case-insensitive; common export names accepted): ``sample``, ``population``,
    ``events`` (event count) and either ``parent_events`` or ``parent`` (the parent
    population's name in the same table; ``root``/empty for top-level populations, which
    then need ``parent_events``); optional ``absolute`` (named ``cells/uL`` or ``absolute
    per graft`` to state its unit; :func:`named_unit`; an export's own name that says
    ``abs``/``absolute``, such as ``Abs. Count (cells/uL)``, is read too).

    Numbers: event counts are whole numbers. In a ``;``-separated file (the European
    export) a comma is the decimal mark (``885,2``); otherwise a comma grouping thousands
    (``12,345``) is dropped, and a column whose commas do not group thousands is read
    with decimal commas. Values that could be read either way (``1,234.5``, ``1.234,5``,
    ``1,234,5``, a ``.`` among decimal commas) stop the run.

    Parameters
    ----------
    path
        CSV or TSV export (gzip-compressed files too).
    samples
        The samples to analyse: each must be in the table, rows of other samples are
        left out, and these must all have the same populations, with no two names
        differing only in case (:func:`check_flow_populations`).

    Returns
    -------
    Long table ``sample, population, parent, events, parent_events, absolute`` with the
    percentages checked: a population larger than its parent stops with the sample and
    population named. ``attrs["absolute_unit"]`` is the unit the ``absolute`` column's
    name states (:func:`named_unit`: ``cells/uL`` gives ``cells_per_uL``, ``absolute per
    graft`` ``cells_per_graft``), ``"as exported"`` when it states none, or None without
    absolute counts. An ``absolute`` column must be filled for every row analysed, or
    left empty throughout.
    """
    path = Path(path)
    raw = read_table(path, required=[], what="flow population table", dtype=str)
    lookup = {str(c).strip().lower(): c for c in raw.columns}
    columns = {}
    for key, names in _TABLE_ALIASES.items():
        found = next((lookup[n] for n in names if n in lookup), None)
        if found is not None:
            columns[key] = found
    if "absolute" not in columns:
        found = _absolute_column(raw, columns, path)
        if found is not None:
            columns["absolute"] = found
    for key in ("sample", "population", "events"):
        if key not in columns:
            raise InputError(f"flow population table has no {key!r} column (columns: "
                             f"{', '.join(map(str, raw.columns))}); it needs sample, population, "
                             "events and parent_events (or parent).", path=path)
    if "parent_events" not in columns and "parent" not in columns:
        raise InputError("flow population table needs a 'parent_events' or a 'parent' column.",
                         path=path)
    table = pd.DataFrame({key: raw[col].str.strip() for key, col in columns.items()})
    lines = data_lines(raw)
    sep = raw.attrs["delimiter"]
    for key, what in (("sample", "sample id"), ("population", "population name")):
        check_ids(table[key], column=columns[key], path=path, what=what, rows=lines)
    for key in ("events", "parent_events", "absolute"):
        if key in table:
            table[key] = _numbers(table, key, columns[key], sep=sep, lines=lines, path=path)
    if table["events"].isna().any():
        row = int(np.flatnonzero(table["events"].isna().to_numpy())[0])
        raise InputError("the event count is empty.", path=path,
                         where=_where(table, row, columns["events"], lines),
                         fix="Fill in the population's event count (0 for an empty gate), or "
                             "remove the row.")
    dupes = table.duplicated(["sample", "population"], keep=False)
    if dupes.any():
        row = int(np.flatnonzero(dupes.to_numpy())[0])
        raise InputError(f"sample {table['sample'].iloc[row]!r} lists population "
                         f"{table['population'].iloc[row]!r} twice.", path=path)
    if "parent" not in table:
        table["parent"] = ""
    table["parent"] = table["parent"].fillna("").replace("", ROOT)
    if "parent_events" not in table:
        table["parent_events"] = np.nan
    counts = table.set_index(["sample", "population"])["events"]
    for i in np.flatnonzero(table["parent_events"].isna().to_numpy()):
        sample, parent = table["sample"].iloc[i], table["parent"].iloc[i]
        if (sample, parent) not in counts.index:
            raise InputError(f"sample {sample!r} population {table['population'].iloc[i]!r}: parent "
                             f"{parent!r} is not in the table and no parent count is given; add "
                             "a parent_events column or the parent's row.", path=path)
        table.iloc[i, table.columns.get_loc("parent_events")] = counts[(sample, parent)]
    larger = table["events"] > table["parent_events"]
    if larger.any():
        row = int(np.flatnonzero(larger.to_numpy())[0])
        r = table.iloc[row]
        raise InputError(f"sample {r['sample']!r}: population {r['population']!r} has "
                         f"{r['events']:g} events, more than its parent {r['parent']!r} "
                         f"({r['parent_events']:g}); a gate cannot hold more events than its "
                         "parent. Check the export.", path=path)
    if "absolute" not in table:
        table["absolute"] = np.nan
    table["events"] = table["events"].astype(np.int64)
    table["parent_events"] = table["parent_events"].astype(np.int64)
    table = table[["sample", "population", "parent", "events", "parent_events", "absolute"]]
    if samples is not None:
        table = _keep_samples(table, list(samples), path)
    given = table["absolute"].notna()
    if given.any() and not given.all():
        row = table.index[~given.to_numpy()][0]
        raise InputError(
            "the absolute count is empty here but given in other rows, so the column cannot be the "
            "absolute counts of every population.", path=path,
            where=(f"column {columns['absolute']!r}, row {lines[row]} (sample "
                   f"{table.at[row, 'sample']!r}, population {table.at[row, 'population']!r})"),
            fix="Fill every row's absolute count (0 for an empty gate), or remove the column to have "
                "absolute counts computed from counting beads ({--flow_beads_per_test}) or a cell "
                "count ({--flow_cell_count_col}).")
    table.attrs["absolute_unit"] = (None if not given.any()
                                    else named_unit(columns["absolute"]) or AS_EXPORTED)
    return table


def _keep_samples(table: pd.DataFrame, samples: list[str], path: Path) -> pd.DataFrame:
    """Rows of ``samples`` (each must have some), checked by :func:`check_flow_populations`."""
    present = set(table["sample"])
    missing = [s for s in samples if s not in present]
    if missing:
        hint = near_matches(missing, sorted(present - set(samples)), other="a sample of the table",
                            short="table")
        raise InputError(f"sample(s) {', '.join(missing[:10])} of the sample sheet have no rows in "
                         f"the flow population table; add them or drop the samples.{hint}", path=path)
    kept = table[table["sample"].isin(set(samples))]
    check_flow_populations(kept, path)
    return kept


def check_flow_populations(table: pd.DataFrame, path: str | Path, *, gated: bool = False) -> None:
    """Stop unless every sample has the same populations, spelt alike.

    A population missing from one sample would leave that sample without absolute
    counts; names that differ only in case (``cd34``, ``CD34``) are different populations
    to every later step.

    Parameters
    ----------
    table
        ``sample, population`` (and more) per row: from :func:`read_flow_table` (the samples
        to analyse), or the populations the gating strategy gives each FCS file.
    path
        The table's file, or the gating strategy (named in the message).
    gated
        The populations come from a gating strategy (a FlowJo workspace gives each sample
        its own gates), not from a table: the message asks for the same gates.

    Raises
    ------
    omics._errors.InputError
        Naming both spellings and a sample of each, or the first sample lacking
        populations and which.
    """
    first = table.drop_duplicates("population")
    spellings = first.groupby(first["population"].str.casefold(), sort=False)
    for _, group in spellings:
        if len(group) > 1:
            (a, sample_a), (b, sample_b) = list(zip(group["population"], group["sample"], strict=True))[:2]
            raise InputError(
                f"population {a!r} (sample {sample_a!r}) and {b!r} (sample {sample_b!r}) differ "
                "only in case, so they would be two populations.", path=path,
                where=None if gated else "column 'population'",
                fix="Spell each population the same way in every sample (names are case-sensitive).")
    populations = list(first["population"])
    have = table.groupby("sample", sort=False)["population"].agg(set)
    for sample, present in have.items():
        missing = [p for p in populations if p not in present]
        if missing:
            what = "gate" if gated else "row"
            raise InputError(
                f"sample {sample!r} has no {what} for population(s) {', '.join(map(repr, missing))}, which "
                "other samples have; without it the sample would lose every flow result.", path=path,
                fix="Give every sample the same gates (in FlowJo, the same group's gates), or export "
                    "one Gating-ML strategy for all files ({--flow_gating})." if gated else
                    "Add the missing rows (0 events for an empty gate), or drop the population from "
                    "every sample.")
