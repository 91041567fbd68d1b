"""RT-qPCR Ct tables (long or wide) into one tidy long table."""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import InputError
from .._logging import get_logger
from ._tables import (
    MISSING_VALUES,
    check_file,
    check_unique,
    data_lines,
    decimal_comma_numbers,
    open_text,
    read_table,
)

log = get_logger("io")

#: Cell values meaning "no amplification" (read as an undetermined Ct, not as an error): the
#: instruments' words and every missing-value spelling (``_tables.MISSING_VALUES``; Bio-Rad CFX
#: writes ``N/A`` or ``NaN`` for a well without a Cq).
UNDETERMINED = frozenset({"undetermined", "undet", "undet.", "no ct", "noct", "no cq", "-", "--",
                          "n.d.", "nd", "not detected", "no amp", "neg"}) | MISSING_VALUES

_ALIASES = {
    "sample": ("sample", "sample name", "sample_name", "sample id", "sample_id"),
    "target": ("target", "target name", "target_name", "gene", "detector", "assay"),
    "ct": ("ct", "cq", "ct value", "cq value", "crt", "cт", "cp"),
    "replicate": ("replicate", "technical_replicate", "technical replicate", "rep", "well"),
    "plate": ("plate", "plate_id", "run"),
    "omit": ("omit", "exclude", "excluded"),
    "content": ("content", "task"),
}

#: ``Omit``/``Exclude`` cells (case-insensitive) marking a well the user left out, and those
#: keeping it (an empty cell keeps it).
_OMIT_TRUE = frozenset({"true", "yes", "1", "y", "t"})
_OMIT_FALSE = frozenset({"false", "no", "0", "n", "f", ""})
#: ``Content``/``Task`` words of control wells (Bio-Rad CFX ``NTC``, ``Std-01``, ``Neg Ctrl``;
#: QuantStudio ``NTC``, ``STANDARD``): such a well without a sample name is not a sample's.
_CONTROL = re.compile(r"(ntc|std|standard|neg|neg ctrl|negative|nrt|no template)([ -]?\d*)",
                      re.IGNORECASE)

#: A section line of an instrument export (QuantStudio ``[Results]``, ``[Sample Setup]``).
_SECTION = re.compile(r"\[([^\]]+)\]")

LONG_COLUMNS = ["sample", "target", "replicate", "plate", "ct", "line", "cell"]

#: The largest Ct a qPCR run can report. Cycler protocols run 40-45 cycles (50-60 at the very
#: most, and MIQE treats a Cq above 40 as unreliable), so a larger Ct is no measurement but a
#: typing or export error (2750 for 27.50); Cts from ``qpcr_max_ct`` up to this still count as
#: not detected.
MAX_POSSIBLE_CT = 60.0


def _find(columns: list[str], role: str) -> str | None:
    for column in columns:
        if column.strip().lower() in _ALIASES[role]:
            return column
    return None


def _parse_ct(cells: pd.Series, delimiter: str = "\t", *, path: str | Path | None = None,
              where: Callable[[int], str] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(ct, is_number)``: Ct as float (NaN when undetermined) and which cells are numbers.

    ``inf``/``infinity`` are text, not numbers (only the :data:`UNDETERMINED` words mean no
    amplification). A comma is a decimal mark (``27,41``) whatever the delimiter, by the
    readers' shared rule (:func:`omics.io._tables.decimal_comma_numbers` with
    ``outside="decimal"``: Cts never reach a thousand); a Ct that could hide a thousands
    separator (``1.234,5``, or a ``.`` among decimal commas) stops, naming ``where(i)``: the
    first comma cell when decimal commas are fewer than decimal points (``18,5`` among
    ``18.689``), else the first ambiguous cell.
    """
    text = cells.fillna("").astype(str).str.strip()
    numbers = decimal_comma_numbers(text, delimiter, outside="decimal")
    if where is not None:
        # every number cell with a comma (27,41 and 1.234,5) against the plain decimal points
        comma = text.str.fullmatch(r"[+-]?[\d.]*,[\d.,]*") & text.str.contains(r"\d")
        point = text.str.fullmatch(r"[+-]?\d*\.\d+")
        if comma.any() and comma.sum() < point.sum():
            i = int(np.argmax(comma.to_numpy()))
            cell = text.iloc[i]
            simple = "." not in cell and cell.count(",") == 1
            raise InputError(f"Ct {cell!r} has a {'decimal ' if simple else ''}comma, while "
                             f"{int(point.sum())} other Cts have decimal points.", path=path,
                             where=where(i),
                             fix=(f"Write it as {cell.replace(',', '.')} (one decimal mark per table)."
                                  if simple else "Write the Ct with one decimal point (e.g. 27.41)."))
        numbers.stop_if_ambiguous(text, path=path, where=where)
    values = pd.to_numeric(numbers.text, errors="coerce").to_numpy(float)
    undetermined = text.str.lower().isin(UNDETERMINED).to_numpy()
    return np.where(undetermined, np.nan, values), np.isfinite(values) | undetermined


def _check_wells(long: pd.DataFrame, rep_col: str, plate_col: str | None, path: str | Path) -> None:
    """Stop when two rows of a long table are the same well: sample, target, replicate (and plate).

    A row pasted twice, or replicate ids ``1, 1, 3``, would otherwise count as one more
    technical replicate and shift the mean. Rows with an empty replicate cell are
    replicates by their position (as :func:`omics.pp.qpcr_average_replicates` takes them).
    """
    key = ["sample", "target", "replicate", "plate"]
    dup = (long.duplicated(key, keep=False) & (long["replicate"] != "")).to_numpy()
    if not dup.any():
        return
    first = long.loc[dup].iloc[0]
    same = long.loc[dup & (long[key] == first[key]).all(axis=1).to_numpy()]
    lines = ", ".join(str(int(v)) for v in same["line"])
    identical = same["cell"].str.strip().nunique() == 1
    plate = f", plate {first['plate']!r}" if plate_col else ""
    raise InputError(
        f"{len(same)} rows of sample {first['sample']!r}, target {first['target']!r}, {rep_col} "
        f"{first['replicate']!r}{plate}"
        f"{', with the same Ct (a row pasted twice?)' if identical else ', with different Cts'}; "
        "each well has one row.", path=path, where=f"lines {lines}",
        fix=f"Remove the repeated row, or correct the {rep_col!r} column so that each replicate "
            "has its own id.")



def _preamble(path: str | Path) -> tuple[str, ...] | None:
    """Return the prefixes of an instrument export's lines above its results header, or None.

    QuantStudio/7500/ViiA7 results exports open with ``* Block Type = ...`` lines and a
    ``[Results]`` section line; the column header follows. Those lines are skipped (logged).
    An export that opens with another section (``[Sample Setup]``, ``[Amplification Data]``:
    an all-in-one export) or that has a section after the results table stops, naming the
    section's line: the run reads the results table only.
    """
    try:
        with open_text(check_file(path)) as handle:
            text = handle.read().splitlines()
    except (OSError, UnicodeDecodeError, EOFError):
        return None  # read_table names the problem
    # (a spreadsheet saved as CSV pads lines with delimiters and quotes a line holding one:
    # "* Stage/ Cycle ... = Stage2, Step2",,,)
    cells = [line.strip().strip(",;\t ").lstrip('"') for line in text]
    filled = [i for i, cell in enumerate(cells) if cell]
    if not filled or not (cells[filled[0]].startswith("*") or _SECTION.fullmatch(cells[filled[0]])):
        return None
    head = next((i for i in filled if not cells[i].startswith("*")), None)
    prefixes: tuple[str, ...] = ("*", '"*')
    section = _SECTION.fullmatch(cells[head]) if head is not None else None
    if section and section.group(1).strip().lower() != "results":
        raise InputError(
            f"the export's first section is {cells[head]!r}, not the results table ([Results]).",
            path=path, where=f"line {head + 1}",
            fix="Export the results table only (QuantStudio: File > Export, Results), or delete "
                "every line but the [Results] section's.")
    if section:
        prefixes += (text[head].strip()[: section.end()],)
        head = next((i for i in filled if i > head), None)
    if head is None:
        raise InputError("the export has an instrument preamble but no results table after it.",
                         path=path, fix="Export the results table (QuantStudio: File > Export, Results).")
    later = next((i for i in filled if i > head and _SECTION.fullmatch(cells[i])), None)
    if later is not None:
        raise InputError(
            f"a section {cells[later]!r} follows the results table; the run reads the results "
            "table only.", path=path, where=f"line {later + 1}",
            fix=f"Delete the lines from line {later + 1} on, or export the results table only.")
    # a spreadsheet saved as CSV pads the preamble's blank lines with delimiters (",,,,")
    prefixes += tuple(sorted({text[i].strip() for i in range(head) if text[i].strip() and not cells[i]}))
    log.info("%s: skipped the instrument preamble above the column header (lines 1-%d: the '* ...' "
             "lines%s)", Path(path).name, head, " and [Results]" if section else "")
    return prefixes


def _drop_omitted(long: pd.DataFrame, table: pd.DataFrame, omit_col: str | None,
                  path: str | Path) -> pd.DataFrame:
    """Leave out the wells marked true in an ``Omit``/``Exclude`` column (logged); stop on other text.

    QuantStudio/7500/ViiA7 exports mark the wells the user omitted ``true``; ``false``
    (or ``no``, ``0``, empty) keeps a well.
    """
    if omit_col is None:
        return long
    text = table[omit_col].fillna("").astype(str).str.strip().str.lower()
    unreadable = ~text.isin(_OMIT_TRUE | _OMIT_FALSE)
    if unreadable.any():
        i = unreadable.to_numpy().argmax()
        raise InputError(
            f"{omit_col} value {table[omit_col].iloc[i]!r} (sample {long['sample'].iloc[i]!r}, target "
            f"{long['target'].iloc[i]!r}) is neither true nor false.", path=path,
            where=f"line {int(long['line'].iloc[i])}, column {omit_col!r}",
            fix="Write true to leave the well out or false to use it (an empty cell keeps it).")
    omitted = text.isin(_OMIT_TRUE).to_numpy()
    if omitted.any():
        pairs = (long.loc[omitted, "sample"] + "/" + long.loc[omitted, "target"]).value_counts(sort=False)
        shown = ", ".join(f"{pair} ({n})" for pair, n in list(pairs.items())[:5])
        log.info("%s: %d well(s) marked in column %r left out (%d sample/target pair(s): %s%s)",
                 Path(path).name, int(omitted.sum()), omit_col, len(pairs), shown,
                 " ..." if len(pairs) > 5 else "")
    return long.loc[~omitted]


def _drop_control_wells(long: pd.DataFrame, table: pd.DataFrame, content_col: str | None,
                        path: str | Path) -> pd.DataFrame:
    """Leave out control wells without a sample name: ``Content``/``Task`` NTC, Std, Standard, NEG.

    Bio-Rad CFX and QuantStudio exports list no-template and standard-curve wells with an
    empty sample; they belong to no sample (logged with their count).
    """
    if content_col is None:
        return long
    content = table.loc[long.index, content_col].fillna("").astype(str).str.strip()
    control = ((long["sample"] == "") & content.str.fullmatch(_CONTROL.pattern, case=False)).to_numpy()
    if control.any():
        kinds = ", ".join(sorted(set(content[control].str.upper())))
        log.info("%s: %d control well(s) without a sample name (column %r: %s) left out",
                 Path(path).name, int(control.sum()), content_col, kinds)
    return long.loc[~control]

def read_qpcr(path: str | Path) -> pd.DataFrame:
    """Read an RT-qPCR Ct table.

    Two layouts are recognised from the header (case-insensitive names):

    - long: one row per well with ``sample`` (or ``Sample Name``), ``target`` (``Target
      Name``, ``gene``, ``detector``) and ``ct`` (``Cq``); optional ``replicate`` (or
      ``well``) and ``plate`` columns (the export of most qPCR instruments). With a
      replicate column, two rows of the same sample, target, replicate and plate stop
      (a row pasted twice, or repeated replicate ids); without one (or where the
      replicate cell is empty), every row is a technical replicate. Wells marked ``true``
      (``yes``, ``1``) in an ``Omit`` (or ``Exclude``, ``Excluded``) column, as
      QuantStudio/7500/ViiA7 exports mark the wells the user omitted, are left out (logged
      with their count and sample/target pairs; a value other than true/false/yes/no/1/0
      or empty stops). Control wells without a sample name whose ``Content`` or ``Task``
      column reads NTC, Std (``Std-01``), Standard or NEG (Bio-Rad CFX, QuantStudio) are
      left out (logged). A table with sample and target columns but no Ct column (``Ct``,
      ``Cq``, ``Cp``) stops, naming the columns found;
    - wide: the first column is ``target`` (rows = targets, one column per sample) or
      ``sample`` (rows = samples, one column per target); one Ct per cell.

    Rows empty in every cell (a spreadsheet's ``,,,,``) are dropped; line numbers in
    messages stay those of the file. A QuantStudio/7500/ViiA7 preamble (``* Block Type =
    ...`` lines and ``[Results]`` before the header) is skipped (logged); an export whose
    first section is not ``[Results]``, or with a section after the results table, stops
    (the run reads the results table only).

    ``Undetermined``, ``No Ct``, ``-``, empty cells and the missing-value spellings
    (``NA``, ``NaN``, ``N/A``, ``#N/A``, ``null``) mean no amplification and are read as
    NaN (the Ct policy of :func:`omics.pp.qpcr_average_replicates` decides what they
    become). Decimal commas are accepted (``27,41``; in any delimiter, as Cts never reach
    a thousand; a Ct such as ``1.234,5``, or a ``.`` among decimal commas, stops as
    ambiguous: :func:`omics.io._tables.decimal_comma_numbers`). Any other text, a Ct of 0 or
    less, and a Ct above :data:`MAX_POSSIBLE_CT` (60 cycles, which no run reaches: ``2750``
    for ``27.50``) stop with a message naming the line, column, sample and target.

    Parameters
    ----------
    path
        The Ct table (CSV/TSV, optionally gzip-compressed).

    Returns
    -------
    Long table with columns ``sample, target, replicate, plate, ct, line, cell`` (``line``:
    file line number, ``cell``: the text as written), in file order.

    Raises
    ------
    omics._errors.InputError
        When ``path`` is not a path, or the table is not one of these layouts or has a bad
        cell (named by line).
    """
    if not isinstance(path, str | os.PathLike):
        raise InputError(f"io.read_qpcr: got {type(path).__name__}; pass the path of the Ct table "
                         "(a DataFrame of wells goes to omics.pp.qpcr_average_replicates).")
    table = read_table(path, what="qPCR Ct table", dtype=str, na_values=(),
                       comment=_preamble(path))
    # (read_table drops Excel's ",,,," rows, empty in every cell, and records each row's line)
    columns = list(table.columns)
    sample_col, target_col, ct_col = (_find(columns, r) for r in ("sample", "target", "ct"))
    if sample_col and target_col and not ct_col:
        raise InputError(
            f"a long qPCR table (columns {sample_col!r}, {target_col!r}) without a Ct column; "
            f"found {', '.join(map(repr, columns[:12]))}.", path=path,
            where="header",
            fix="Name the column of Ct values 'Ct' or 'Cq' (Cp is read too; an instrument's "
                "averaged 'Ct Mean' is not a well's Ct).")
    lines = np.asarray(data_lines(table), dtype=int)
    if sample_col and target_col and ct_col:
        rep_col, plate_col = _find(columns, "replicate"), _find(columns, "plate")
        long = pd.DataFrame({
            "sample": table[sample_col].fillna("").astype(str).str.strip(),
            "target": table[target_col].fillna("").astype(str).str.strip(),
            "replicate": table[rep_col].fillna("").astype(str).str.strip() if rep_col else "",
            "plate": table[plate_col].fillna("").astype(str).str.strip() if plate_col else "",
            "cell": table[ct_col].fillna("").astype(str),
            "line": lines,
        }, index=table.index)
        long = _drop_omitted(long, table, _find(columns, "omit"), path)
        long = _drop_control_wells(long, table, _find(columns, "content"), path)
        for role, column in (("sample", sample_col), ("target", target_col)):
            empty = long[role] == ""
            if empty.any():
                line = int(long.loc[empty, "line"].iloc[0])
                raise InputError(f"line {line}: column {column!r} is empty; every row needs a "
                                 f"{role} name.", path=path)
        if rep_col:
            _check_wells(long, rep_col, plate_col, path)
        long = long.reset_index(drop=True)
        column = pd.Series(ct_col, index=long.index)
    else:
        first = columns[0]
        role = first.strip().lower()
        if role not in _ALIASES["target"] + _ALIASES["sample"]:
            raise InputError(
                "not a recognised qPCR layout: give a long table with columns sample, target, ct "
                "(optional replicate, plate) or a wide table whose first column is 'target' (one "
                f"column per sample) or 'sample' (one column per target); found {', '.join(columns[:8])}.",
                path=path)
        ids = table[first].fillna("").astype(str).str.strip()
        check_unique(ids, column=first, path=path, what=role, rows=list(lines))
        melted = table.assign(**{first: ids, "__line": lines}
                              ).melt(id_vars=[first, "__line"], var_name="__col", value_name="cell")
        by_target = role in _ALIASES["target"]
        long = pd.DataFrame({
            "sample": (melted["__col"] if by_target else melted[first]).astype(str),
            "target": (melted[first] if by_target else melted["__col"]).astype(str),
            "replicate": "", "plate": "",
            "cell": melted["cell"].fillna("").astype(str),
            "line": melted["__line"].to_numpy(),
        })
        column = melted["__col"].astype(str)
    if long.empty:
        raise InputError("the qPCR Ct table has no wells left (every row is empty, omitted or a "
                         "control well).", path=path, fix="Give the wells of the samples.")

    def where(i: int) -> str:
        return (f"column {column.iloc[i]!r}, line {int(long['line'].iloc[i])} (sample "
                f"{long['sample'].iloc[i]!r}, target {long['target'].iloc[i]!r})")

    ct, is_number = _parse_ct(long["cell"], table.attrs["delimiter"], path=path, where=where)
    if not is_number.all():
        row = long.loc[~is_number].iloc[0]
        raise InputError(
            f"line {int(row['line'])}: Ct {row['cell']!r} for sample {row['sample']!r}, target "
            f"{row['target']!r} is not a number; write the Ct (e.g. 27.41), or 'Undetermined' when "
            "the well did not amplify.", path=path)
    if (ct[np.isfinite(ct)] <= 0).any():
        row = long.loc[np.nan_to_num(ct, nan=1.0) <= 0].iloc[0]
        raise InputError(f"line {int(row['line'])}: Ct {row['cell']!r} for sample {row['sample']!r}, "
                         f"target {row['target']!r} is not positive; Ct values are cycle numbers.",
                         path=path)
    impossible = np.nan_to_num(ct, nan=0.0) > MAX_POSSIBLE_CT
    if impossible.any():
        i = int(np.argmax(impossible))
        raise InputError(
            f"Ct {long['cell'].iloc[i].strip()!r} is above {MAX_POSSIBLE_CT:g} cycles, which no qPCR "
            "run reaches (a lost decimal mark? 2750 for 27.50).", path=path, where=where(i),
            fix="Write the Ct as the instrument reports it (e.g. 27.50), or 'Undetermined' when the "
                "well did not amplify.")
    long["ct"] = ct
    layout = "long" if sample_col and target_col and ct_col else "wide"
    log.info("%s: qPCR %s table, %d samples x %d targets, %d wells (%d undetermined)",
             Path(path).name, layout, long["sample"].nunique(), long["target"].nunique(), len(long),
             int(np.isnan(ct).sum()))
    long.attrs["layout"] = layout
    return long[LONG_COLUMNS].reset_index(drop=True)


#: Amplification factors per cycle accepted (2 = 100 %): above 1 (1 = no amplification) and at
#: most 2.2 (a little above the ideal doubling, for the spread of a standard-curve estimate).
EFFICIENCY_RANGE = (1.0, 2.2)
#: An efficiency above this is a percentage (95 is 1.95), as an efficiency table may give it.
PERCENT_ABOVE = 3.0


def as_amplification_factor(values: pd.Series) -> pd.Series:
    """Return efficiencies as amplification factors: a percentage (above 3) becomes ``1 + % / 100``.

    The rule of :func:`read_qpcr_efficiency` (95 becomes 1.95; 1.95 and 2 stay as they are);
    :func:`not_amplification_factor` then tells the values that are not factors.
    """
    values = pd.to_numeric(values, errors="coerce").astype(float)
    return values.where(values <= PERCENT_ABOVE, 1 + values / 100)


def not_amplification_factor(factor: pd.Series) -> pd.Series:
    """Return which values are not amplification factors in :data:`EFFICIENCY_RANGE`, ``(1, 2.2]``.

    NaN and text count as not a factor.
    """
    factor = pd.to_numeric(factor, errors="coerce").astype(float)
    low, high = EFFICIENCY_RANGE
    return factor.isna() | (factor <= low) | (factor > high)


def check_efficiency_targets(efficiency: pd.Series, targets: Iterable[str], *, what: str,
                             path: str | Path | None = None) -> None:
    """Stop when the efficiency table's targets look misspelt, or none is in the Ct table.

    A lab's table may list more assays than a run used: a target of the table that is not
    in the Ct table is ignored (logged), unless it resembles a Ct-table target the table
    does not list (``actb`` for ``ACTB``, ``KDRX`` for ``KDR``: same letters in another
    case, or difflib ratio >= 0.8), which would silently leave that target at 2. A table
    none of whose targets is in the Ct table stops.

    Parameters
    ----------
    efficiency
        Amplification factors indexed by target.
    targets
        The Ct table's targets.
    what
        The table as the message names it (the option or argument).
    path
        The file named in the message.

    Raises
    ------
    omics._errors.InputError
        A target resembles an unlisted Ct-table target, or no target is in the Ct table.
    """
    targets = [str(t) for t in targets]
    listed = {str(t) for t in efficiency.index}
    unknown = [str(t) for t in efficiency.index if t not in targets]
    if not unknown:
        return
    unlisted = [t for t in targets if t not in listed]
    lower = {t.lower(): t for t in unlisted}
    near = {u: lower.get(u.lower()) or next(iter(difflib.get_close_matches(u, unlisted, n=1,
                                                                            cutoff=0.8)), None)
            for u in unknown}
    misspelt = [u for u in unknown if near[u]]
    if misspelt or len(unknown) == len(efficiency):
        hint = ", ".join(f"{u!r} -> {near[u]!r}" for u in misspelt)
        which = ("none of its targets is" if len(unknown) == len(efficiency) else
                 f"target(s) {', '.join(map(repr, misspelt[:8]))} are not")
        raise InputError(
            f"{what}: {which} in the Ct table{f' (did you mean {hint}?)' if hint else ''}; the "
            f"Ct table's targets are {', '.join(targets[:15])}"
            f"{f' and {len(targets) - 15} more' if len(targets) > 15 else ''}.",
            path=path, fix="Write the target names as in the Ct table (names are case-sensitive).")
    log.info("%s: %d target(s) not in the Ct table are ignored: %s", what, len(unknown),
             ", ".join(unknown[:8]) + (" ..." if len(unknown) > 8 else ""))


def read_qpcr_efficiency(path: str | Path, *, targets: Iterable[str] | None = None) -> pd.Series:
    """Read per-target amplification efficiencies (Pfaffl): columns ``target, efficiency``.

    ``efficiency`` is the amplification factor per cycle (2 = 100 %, 1.95 = 95 %) or a
    percentage (95, or ``95%``), with a decimal comma as the Ct table allows it (``1,95``); a
    value above 3, or one written with ``%``, is a percentage (:func:`as_amplification_factor`).
    Every factor must be in (1, 2.2] (:data:`EFFICIENCY_RANGE`).

    Parameters
    ----------
    path
        The efficiency table (CSV/TSV, optionally gzip-compressed): one row per target.
    targets
        The Ct table's targets (:func:`check_efficiency_targets`): a target of the file that
        is not one of them is ignored (logged), unless it resembles an unlisted Ct-table
        target (a misspelling: stops) or no target of the file is one of them (stops).
        None: not checked.

    Returns
    -------
    The amplification factor per target (index ``target``, name ``efficiency``), as
    :func:`omics.pp.qpcr_delta_ct` and :func:`omics.pp.genorm` take it.

    Raises
    ------
    omics._errors.InputError
        When a target is listed twice, or an efficiency is neither a factor in (1, 2.2] nor
        a percentage that gives one, naming the line and the target; or a target looks
        like a misspelt Ct-table target, or none is one of ``targets``.
    """
    table = read_table(path, what="qPCR efficiency table", required=("target", "efficiency"),
                       dtype=str)
    lines = data_lines(table)
    names = table["target"].astype(str).str.strip()
    check_unique(names, column="target", path=path, what="target", rows=lines)
    text = table["efficiency"].fillna("").astype(str).str.strip()
    percent = text.str.endswith("%")
    text = text.str.removesuffix("%").str.strip()
    numbers = decimal_comma_numbers(text, table.attrs["delimiter"], outside="decimal")
    numbers.stop_if_ambiguous(text, path=path, where=lambda i: f"line {lines[i]}, "
                              f"column 'efficiency' (target {names.iloc[i]!r})")
    value = pd.to_numeric(numbers.text, errors="coerce").astype(float)
    factor = as_amplification_factor(value).where(~percent, 1 + value / 100)
    bad = not_amplification_factor(factor)
    if bad.any():
        i = int(np.argmax(bad.to_numpy()))
        raise InputError(
            f"line {lines[i]}: efficiency {table['efficiency'].iloc[i]!r} for target "
            f"{names.iloc[i]!r} is not an amplification factor in (1, 2.2] (2 = 100 %) or a "
            "percentage.", path=path)
    efficiency = pd.Series(factor.to_numpy(float), index=pd.Index(names, name="target"),
                           name="efficiency")
    if targets is not None:
        check_efficiency_targets(efficiency, targets, what="efficiency table", path=path)
    return efficiency
