"""Contrasts in the nf-core/differentialabundance formats (YAML or CSV), plus formulas."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .._errors import InputError
from ._tables import check_file, check_unique, read_table
from ._write import write_text

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class Contrast:
    """One comparison to test.

    Either the comparison form (``variable``, ``reference``, ``target``, optional
    ``blocking``), whose design is ``~ blocking + variable`` with ``reference`` as the
    base level, or the formula form (``formula`` plus ``make_contrasts_str``, a linear
    combination of design coefficients in R ``model.matrix`` names such as
    ``armbmmnc:responseresponder``). Positive fold change = higher in ``target``.
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
    extra: dict = field(default_factory=dict, compare=False, hash=False)

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


def _contrast_from_mapping(entry: dict, where: str, path: Path) -> Contrast:
    if not isinstance(entry, dict):
        raise InputError(f"{where} is not a mapping; each contrast needs 'id' and 'comparison'.",
                         path=path)
    cid = str(entry.get("id", "")).strip()
    if not cid:
        raise InputError(f"{where} has no 'id'; give each contrast a unique id.", path=path)
    if not _ID.match(cid):
        raise InputError(
            f"contrast id {cid!r} ({where}) may only hold letters, digits, '_', '.' and '-', "
            "and must start with a letter or digit, because it names output files.",
            path=path,
        )
    known = {"id", "comparison", "variable", "reference", "target", "blocking", "blocking_factors",
             "exclude_samples_col", "exclude_samples_values", "formula", "make_contrasts_str"}
    extra = {k: v for k, v in entry.items() if k not in known}
    formula = entry.get("formula")
    formula = str(formula).strip() if formula not in (None, "") and formula == formula else None
    blocking = _as_tuple(entry.get("blocking_factors", entry.get("blocking")))
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
                        exclude_samples_values=exclude_values, extra=extra)
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
    return Contrast(id=cid, variable=variable, reference=reference, target=target,
                    blocking=blocking, exclude_samples_col=exclude_col,
                    exclude_samples_values=exclude_values, extra=extra)


def read_contrasts(path: str | Path) -> list[Contrast]:
    """Read contrasts from an nf-core/differentialabundance YAML or CSV/TSV file.

    Parameters
    ----------
    path
        YAML with a top-level ``contrasts:`` list of ``{id, comparison: [variable,
        reference, target], blocking_factors, exclude_samples_col,
        exclude_samples_values}`` or ``{id, formula, make_contrasts_str}`` entries; or
        CSV/TSV with columns ``id, variable, reference, target`` and optional
        ``blocking`` (``;``-separated), ``exclude_samples_col``,
        ``exclude_samples_values``, ``formula``, ``make_contrasts_str``.

    Returns
    -------
    The contrasts in file order. They are checked against a sample sheet later, by
    :func:`omics.tl.design_for_contrast`.
    """
    path = check_file(path)
    if path.suffix.lower() in {".yaml", ".yml"}:
        try:
            document = yaml.safe_load(path.read_text())
        except yaml.YAMLError as err:
            raise InputError(f"not valid YAML ({err}).", path=path) from None
        entries = document.get("contrasts") if isinstance(document, dict) else document
        if not isinstance(entries, list) or not entries:
            raise InputError("expected a top-level 'contrasts:' list with at least one entry.",
                             path=path)
        contrasts = [_contrast_from_mapping(e, f"contrast #{i + 1}", path)
                     for i, e in enumerate(entries)]
    else:
        table = read_table(path, what="contrasts file", dtype=str)
        has_comparison = {"variable", "reference", "target"} <= set(table.columns)
        if "id" not in table.columns or not (has_comparison or "formula" in table.columns):
            raise InputError(
                "the contrasts file needs columns id,variable,reference,target (and optional "
                f"blocking); found {', '.join(table.columns)}.",
                path=path,
            )
        contrasts = [
            _contrast_from_mapping({k: v for k, v in row.items() if v == v}, f"row {i + 2}", path)
            for i, row in enumerate(table.to_dict("records"))
        ]
    check_unique([c.id for c in contrasts], column="id", path=path, what="contrast id")
    return contrasts


def write_contrasts(contrasts: list[Contrast], path: str | Path) -> None:
    """Write contrasts as nf-core YAML (the validated copy)."""
    write_text(yaml.safe_dump({"contrasts": [c.to_dict() for c in contrasts]}, sort_keys=False),
               path)
