"""Contrasts in the nf-core/differentialabundance formats (YAML or CSV), plus formulas."""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

from .._errors import InputError
from .._logging import get_logger
from .._text import load_yaml, read_text_file
from ._tables import UNNAMED, check_file, check_unique, data_lines, is_gzip, read_table
from ._write import write_text

log = get_logger("io")

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

#: Keys of a contrast: nf-core/differentialabundance's (YAML ``comparison`` /
#: ``blocking_factors``, CSV ``variable, reference, target, blocking``, both
#: ``exclude_samples_col``, ``exclude_samples_values``, ``formula``,
#: ``make_contrasts_str``) plus ``type`` and ``scale`` for continuous contrasts.
KNOWN_KEYS = ("id", "comparison", "variable", "reference", "target", "blocking",
              "blocking_factors", "exclude_samples_col", "exclude_samples_values", "formula",
              "make_contrasts_str", "type", "scale")


class _TextLoader(yaml.SafeLoader):
    """YAML loader that keeps every plain scalar as written, except empty/``null``.

    YAML 1.1 reads ``no``/``yes``/``on``/``off`` as booleans and ``01`` as 1, but in a
    contrast they are sample-sheet values (``comparison: [diabetes, no, yes]``).
    """


_TextLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers
            if tag in ("tag:yaml.org,2002:null", "tag:yaml.org,2002:merge")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class Contrast:
    """One comparison to test.

    Either the comparison form (``variable``, ``reference``, ``target``, optional
    ``blocking``), whose design is ``~ blocking + variable`` with ``reference`` as the
    base level, or the formula form (``formula`` plus ``make_contrasts_str``, a linear
    combination of design coefficients in R ``model.matrix`` names such as
    ``armbmmnc:responseresponder``). Positive fold change = higher in ``target``.

    A ``continuous`` contrast (``type: continuous``, ``comparison: [variable]``) tests the
    association with a numeric sample-sheet column (design ``~ blocking + variable``);
    the fold change is per unit of ``variable`` (``scale: unit``, default) or per
    standard deviation of it among the samples used (``scale: sd``).
    """

    id: str
    variable: str | None = None
    reference: str | None = None
    target: str | None = None
    blocking: tuple[str, ...] = ()
    exclude_samples_col: str | None = None
    exclude_samples_values: tuple[str, ...] = ()
    formula: str | None = None
    make_contrasts_str: str | None = None
    type: str = "categorical"
    scale: str = "unit"

    @property
    def is_continuous(self) -> bool:
        """Whether the contrast tests a numeric variable (log2 fold change per unit or SD)."""
        return self.type == "continuous"

    @property
    def is_formula(self) -> bool:
        """Whether the contrast is given as a formula and a coefficient expression."""
        return self.formula is not None

    def to_dict(self) -> dict:
        """Return the contrast in the YAML form (for ``validated/contrasts.yaml``)."""
        out: dict = {"id": self.id}
        if self.is_formula:
            out["formula"] = self.formula
            out["make_contrasts_str"] = self.make_contrasts_str
        elif self.is_continuous:
            out["type"] = "continuous"
            out["comparison"] = [self.variable]
            if self.scale != "unit":
                out["scale"] = self.scale
        else:
            out["comparison"] = [self.variable, self.reference, self.target]
        if self.blocking:
            out["blocking_factors"] = list(self.blocking)
        if self.exclude_samples_col:
            out["exclude_samples_col"] = self.exclude_samples_col
            out["exclude_samples_values"] = list(self.exclude_samples_values)
        return out


def _as_tuple(value: object) -> tuple[str, ...]:
    if value is None or value == "" or (isinstance(value, float) and value != value):
        return ()
    if isinstance(value, list | tuple):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return tuple(v.strip() for v in re.split(r"[;,]", str(value)) if v.strip())


def formula_variables(formula: str) -> list[str]:
    """Sample-sheet columns a design formula names, in order (```quoted columns``` too).

    Function names of formula syntax (``C``, ``I``, ``np``, ``log``, ``exp``) are not
    columns.
    """
    quoted = re.findall(r"`([^`]+)`", formula)  # `column with spaces`
    names = quoted + re.findall(r"[A-Za-z_][A-Za-z0-9_.]*",
                                re.sub(r"`[^`]+`", " ", formula).replace("~", " "))
    seen: list[str] = []
    for name in names:
        if name not in seen and name not in {"C", "I", "np", "log", "exp"}:
            seen.append(name)
    return seen


def _closest(name: str, choices: tuple[str, ...] | list[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``choices`` to ``name``, or ``""``."""
    match = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""


def _check_keys(entry: dict, cid: str, where: str, path: Path) -> None:
    """Stop on a key that is not a contrast key (a typo would be silently ignored)."""
    for key in entry:
        if str(key) not in KNOWN_KEYS:
            raise InputError(
                f"unknown key in contrast {cid!r}{_closest(str(key), KNOWN_KEYS)}; accepted keys "
                f"are {', '.join(KNOWN_KEYS)}.",
                path=path, where=f"{where}, key {str(key)!r}", fix="Correct or remove the key.")


def _nfc(value: object) -> object:
    """Return ``value`` with its text (in lists too) in Unicode NFC form.

    As :func:`omics.io.read_samplesheet` reads the sheet: ``é`` typed as one character or
    as ``e`` plus accent match.
    """
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list | tuple):
        return [_nfc(v) for v in value]
    return value


def _contrast_from_mapping(entry: dict, where: str, path: Path) -> Contrast:
    if not isinstance(entry, dict):
        raise InputError(f"{where} is not a mapping; each contrast needs 'id' and 'comparison'.",
                         path=path)
    entry = {key: _nfc(value) for key, value in entry.items()}
    cid = str(entry.get("id", "")).strip()
    if not cid:
        raise InputError(f"{where} has no 'id'; give each contrast a unique id.", path=path)
    if not _ID.match(cid):
        raise InputError(
            f"contrast id {cid!r} ({where}) may only hold letters (ASCII a-z, A-Z), digits, '_', "
            "'.' and '-', and must start with a letter or digit, because it names output files.",
            path=path,
        )
    _check_keys(entry, cid, where, path)
    formula = entry.get("formula")
    formula = str(formula).strip() if formula not in (None, "") and formula == formula else None
    blocking = _as_tuple(entry.get("blocking_factors", entry.get("blocking")))
    repeated = sorted({b for b in blocking if blocking.count(b) > 1})
    if repeated:
        raise InputError(f"contrast {cid!r}: blocking factor {repeated[0]!r} is listed twice.",
                         path=path, where=where, fix="List each blocking factor once.")
    exclude_col = entry.get("exclude_samples_col")
    if exclude_col in (None, "") or exclude_col != exclude_col:
        exclude_col = None
    else:
        exclude_col = str(exclude_col).strip()
    exclude_values = _as_tuple(entry.get("exclude_samples_values"))
    if exclude_col and not exclude_values:
        raise InputError(f"contrast {cid!r} sets exclude_samples_col but no exclude_samples_values.",
                         path=path)
    if formula is not None:
        expression = entry.get("make_contrasts_str")
        if expression in (None, "") or expression != expression:
            raise InputError(
                f"contrast {cid!r} has a formula but no 'make_contrasts_str' naming the "
                "coefficient(s) to test, e.g. 'armbmmnc:responseresponder'.",
                path=path,
            )
        if not formula.startswith("~"):
            raise InputError(f"contrast {cid!r}: formula {formula!r} must start with '~'.", path=path)
        return Contrast(id=cid, formula=formula, make_contrasts_str=str(expression).strip(),
                        blocking=blocking, exclude_samples_col=exclude_col,
                        exclude_samples_values=exclude_values)
    kind = str(entry.get("type") or "categorical").strip().lower()
    if kind not in {"categorical", "continuous"}:
        raise InputError(f"contrast {cid!r}: type {kind!r} is not 'categorical' or 'continuous'.",
                         path=path)
    scale = str(entry.get("scale") or "unit").strip().lower()
    if scale not in {"unit", "sd"}:
        raise InputError(f"contrast {cid!r}: scale {scale!r} is not 'unit' (log2 fold change per "
                         "unit of the variable) or 'sd' (per standard deviation).", path=path)
    if kind == "continuous":
        comparison = entry.get("comparison", entry.get("variable"))
        if isinstance(comparison, str):
            comparison = [comparison]
        if (not isinstance(comparison, list | tuple) or not comparison
                or any(v not in (None, "") and v == v for v in list(comparison)[1:])):
            raise InputError(
                f"contrast {cid!r} is continuous: give 'comparison: [variable]' naming one numeric "
                "sample-sheet column (no reference/target levels).", path=path)
        return Contrast(id=cid, variable=str(comparison[0]).strip(), blocking=blocking,
                        exclude_samples_col=exclude_col, exclude_samples_values=exclude_values,
                        type="continuous", scale=scale)
    comparison = entry.get("comparison")
    if comparison is None and all(k in entry for k in ("variable", "reference", "target")):
        comparison = [entry["variable"], entry["reference"], entry["target"]]
    if not isinstance(comparison, list | tuple) or len(comparison) != 3:
        raise InputError(
            f"contrast {cid!r} needs 'comparison: [variable, reference, target]' (or a "
            "'formula' with 'make_contrasts_str').",
            path=path,
        )
    variable, reference, target = (str(v).strip() for v in comparison)
    if reference == target:
        raise InputError(f"contrast {cid!r}: reference and target are both {reference!r}.", path=path)
    if variable in blocking:
        raise InputError(f"contrast {cid!r}: blocking factor {variable!r} is the variable being "
                         "compared; a factor cannot be adjusted for and tested at once.",
                         path=path, where=where, fix="Remove it from blocking_factors.")
    return Contrast(id=cid, variable=variable, reference=reference, target=target,
                    blocking=blocking, exclude_samples_col=exclude_col,
                    exclude_samples_values=exclude_values)


#: Top-level keys of a contrasts YAML (nf-core/differentialabundance's format has one).
TOP_LEVEL_KEYS = ("contrasts",)
#: File names read as YAML (a gzip-compressed file too, read whatever its name).
_YAML_SUFFIXES = (".yaml", ".yml")


def _load_contrasts_yaml(path: Path) -> object:
    """Parse a contrasts YAML with scalars kept as written (see :class:`_TextLoader`).

    A key given twice in a mapping (a second ``contrasts:`` block, ``comparison:`` twice
    in an entry) stops, naming it and its lines (:func:`omics._text.load_yaml`).
    """
    return load_yaml(path, what="contrasts file", loader=_TextLoader)


def _is_yaml_name(path: Path) -> bool:
    """Whether the file name says YAML: ``.yaml``/``.yml``, or those with ``.gz`` after them."""
    suffixes = [s.lower() for s in path.suffixes[-2:]]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return bool(suffixes) and suffixes[-1] in _YAML_SUFFIXES


def _key_line(text: str, key: str) -> int | None:
    """Return the file line of top-level ``key:`` in a YAML text (block style), or None."""
    pattern = re.compile(rf"""^["']?{re.escape(key)}["']?\s*:""")
    return next((i for i, line in enumerate(text.splitlines(), start=1) if pattern.match(line)),
                None)


def _check_top_level(document: dict, path: Path) -> None:
    """Stop on a top-level key whose setting would be silently ignored; warn on other keys.

    Only ``contrasts:`` is read. A contrast key given at top level (``blocking_factors:``
    meant for every contrast) or a key close to ``contrasts`` (``contrast:``) stops, since
    its settings would be ignored. Any other key (one holding a YAML anchor merged into the
    contrasts, ``x-common: &base {...}`` with ``<<: *base``) is not read: one warning names it.
    """
    for key in document:
        name = str(key)
        if name in TOP_LEVEL_KEYS:
            continue
        line = _key_line(read_text_file(path, what="contrasts file"), name)
        hint = _closest(name, TOP_LEVEL_KEYS)
        if name in KNOWN_KEYS or hint:
            raise InputError(
                f"unknown top-level key{hint}; the file holds one top-level key, 'contrasts:', "
                "a list of contrasts (settings such as blocking_factors go in each contrast).",
                path=path, where=f"{f'line {line}, ' if line else ''}key {name!r}",
                fix="Correct or remove the key.")
        log.warning("%s: %stop-level key %r is not read (only 'contrasts:' is; a contrast "
                    "setting goes in each contrast, or in an anchor merged into it with '<<:')",
                    path, f"line {line}: " if line else "", name)


def _yaml_name(path: Path) -> str:
    """Return the file's name with a YAML suffix (``.yaml.gz`` when it is gzip-compressed)."""
    base = path.name.split(".")[0] or path.stem
    return f"{base}.yaml.gz" if is_gzip(path) else f"{base}.yaml"


def _yaml_by_content(path: Path) -> bool:
    """Whether a file is a contrasts YAML (a mapping with ``contrasts:``), whatever its name."""
    try:
        document = _load_contrasts_yaml(path)
    except InputError:
        return False
    return isinstance(document, dict) and "contrasts" in document


def _check_columns(columns: list[str], path: Path) -> None:
    """Stop on a CSV/TSV contrasts column that is not a contrast key."""
    for column in columns:
        if column not in KNOWN_KEYS:
            raise InputError(
                f"unknown column {column!r}{_closest(column, KNOWN_KEYS)}; accepted columns are "
                f"{', '.join(KNOWN_KEYS)}.",
                path=path, where="header", fix="Correct or remove the column.")


def _check_unique_ids(contrasts: list[Contrast], path: Path) -> None:
    """Stop on a contrast id given to two YAML entries, naming them (``contrasts #1 and #2``)."""
    ids = [c.id for c in contrasts]
    for cid in dict.fromkeys(ids):
        entries = [f"#{i + 1}" for i, other in enumerate(ids) if other == cid]
        if len(entries) > 1:
            raise InputError(
                f"duplicated contrast id {cid!r}: contrasts {', '.join(entries[:-1])} and "
                f"{entries[-1]} of the 'contrasts:' list both have it.", path=path,
                fix="Give each contrast a unique id (it names the output files).")


def read_contrasts(path: str | Path) -> list[Contrast]:
    """Read contrasts from an nf-core/differentialabundance YAML or CSV/TSV file.

    Parameters
    ----------
    path
        YAML with a top-level ``contrasts:`` list of ``{id, comparison: [variable,
        reference, target], blocking_factors, exclude_samples_col,
        exclude_samples_values}``, ``{id, type: continuous, comparison: [variable],
        scale: unit|sd, ...}`` or ``{id, formula, make_contrasts_str}`` entries; or
        CSV/TSV with columns ``id, variable, reference, target`` and optional
        ``blocking`` (``;``-separated), ``exclude_samples_col``,
        ``exclude_samples_values``, ``type``, ``scale``, ``formula``,
        ``make_contrasts_str`` (a continuous row leaves reference and target empty).
        Any other key of a contrast, or column, stops (a typo would otherwise be ignored).
        Top-level YAML keys other than ``contrasts`` are not read: a contrast key given
        there (``blocking_factors:``) or one close to ``contrasts`` stops; any other (a
        key holding a YAML anchor merged with ``<<:``) is logged as a warning. YAML values
        are read as written: ``comparison: [diabetes, no, yes]`` compares the sample
        sheet's ``no`` and ``yes``, not YAML 1.1 booleans.

    Returns
    -------
    The contrasts in file order. They are checked against a sample sheet later, by
    :func:`omics.tl.design_for_contrast`.
    """
    path = check_file(path)
    if _is_yaml_name(path):
        document = _load_contrasts_yaml(path)
        if isinstance(document, dict):
            _check_top_level(document, path)
        entries = document.get("contrasts") if isinstance(document, dict) else document
        if not isinstance(entries, list) or not entries:
            raise InputError("expected a top-level 'contrasts:' list with at least one entry.",
                             path=path)
        contrasts = [_contrast_from_mapping(e, f"contrast #{i + 1}", path)
                     for i, e in enumerate(entries)]
        _check_unique_ids(contrasts, path)
    else:
        try:
            table = read_table(path, what="contrasts file", dtype=str)
        except InputError:
            if _yaml_by_content(path):
                raise InputError(
                    "the file is a contrasts YAML (a top-level 'contrasts:' list), but its name "
                    "does not say so, and it was read as a CSV/TSV table.", path=path,
                    fix=f"Name it {_yaml_name(path)} (a .yaml or .yml name is read as YAML)."
                ) from None
            raise
        lines = data_lines(table)
        table = table.drop(columns=[c for c in table.columns
                                    if UNNAMED.match(c) and table[c].isna().all()])
        _check_columns(list(table.columns), path)
        has_comparison = ({"variable", "reference", "target"} <= set(table.columns)
                          or {"variable", "type"} <= set(table.columns))
        if "id" not in table.columns or not (has_comparison or "formula" in table.columns):
            raise InputError(
                "the contrasts file needs columns id,variable,reference,target (and optional "
                f"blocking); found {', '.join(table.columns)}.",
                path=path,
            )
        contrasts = [
            _contrast_from_mapping({k: v for k, v in row.items() if v == v}, f"row {lines[i]}", path)
            for i, row in enumerate(table.to_dict("records"))
        ]
        check_unique([c.id for c in contrasts], column="id", path=path, what="contrast id",
                     rows=lines)
        return contrasts
    check_unique([c.id for c in contrasts], column="id", path=path, what="contrast id")
    return contrasts


def write_contrasts(contrasts: list[Contrast], path: str | Path) -> None:
    """Write contrasts as nf-core YAML (the validated copy).

    The file is always YAML (``contrasts:`` and one mapping per contrast), whatever the
    suffix of ``path``: give it a ``.yaml`` or ``.yml`` name, as :func:`read_contrasts`
    reads a file of any other name as a CSV/TSV table (and refuses this one).

    Parameters
    ----------
    contrasts
        The contrasts to write (e.g. from :func:`read_contrasts`), in file order.
    path
        The YAML file to write (replaced when it exists; written atomically).

    Returns
    -------
    None
    """
    write_text(yaml.safe_dump({"contrasts": [c.to_dict() for c in contrasts]}, sort_keys=False),
               path)
