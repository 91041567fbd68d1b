"""Design matrices and contrast vectors from a sample sheet and a contrast.

One builder serves both DESeq2 and limma so that the two modalities test the same
hypothesis with the same coefficients. Coefficient names follow R's ``model.matrix``
(``(Intercept)``, ``armbmmnc``, ``armbmmnc:responseresponder``) so that formulas and
contrast strings written for nf-core/differentialabundance work unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from formulaic import model_matrix

from .._errors import InputError
from .._logging import get_logger
from ..io._contrasts import Contrast
from ..io._samplesheet import categorical_levels

log = get_logger("design")

_FORMULAIC_LEVEL = re.compile(r"(\w+)\[T\.([^\]]+)\]")
_TERM = re.compile(r"^\s*([+-]?)\s*(?:(\d+(?:\.\d*)?|\.\d+)\s*\*\s*)?([^\s+*-][^+]*?)\s*$")


@dataclass
class Design:
    """A fitted-ready design for one contrast.

    Attributes
    ----------
    contrast
        The contrast it was built for.
    metadata
        Sample-sheet rows of the samples kept, with categorical levels ordered.
    matrix
        Samples x coefficients design matrix (float), R-style column names.
    contrast_vector
        Weights over ``matrix`` columns; the tested quantity is their dot product with
        the coefficients.
    formula
        The model formula used.
    """

    contrast: Contrast
    metadata: pd.DataFrame
    matrix: pd.DataFrame
    contrast_vector: pd.Series
    formula: str

    @property
    def samples(self) -> pd.Index:
        """Samples in the design, in sample-sheet order."""
        return self.matrix.index

    @property
    def residual_df(self) -> int:
        """Residual degrees of freedom (samples minus coefficients)."""
        return self.matrix.shape[0] - self.matrix.shape[1]


def _r_name(column: str) -> str:
    if column == "Intercept":
        return "(Intercept)"
    return _FORMULAIC_LEVEL.sub(lambda m: f"{m.group(1)}{m.group(2)}", column)


def _ordered(values: pd.Series, column: str, first: list[str] | None = None) -> pd.Categorical:
    present = [str(v) for v in pd.unique(values.dropna().astype(str))]
    schema = categorical_levels(column)
    order = [lvl for lvl in (schema or []) if lvl in present] if schema else sorted(present)
    order += sorted(lvl for lvl in present if lvl not in order)
    for lvl in reversed(first or []):
        order.remove(lvl)
        order.insert(0, lvl)
    return pd.Categorical(values.astype("string").astype(object), categories=order)


def _formula_variables(formula: str) -> list[str]:
    quoted = re.findall(r"`([^`]+)`", formula)  # `column with spaces`
    names = quoted + re.findall(r"[A-Za-z_][A-Za-z0-9_.]*",
                                re.sub(r"`[^`]+`", " ", formula).replace("~", " "))
    seen: list[str] = []
    for name in names:
        if name not in seen and name not in {"C", "I", "np", "log", "exp"}:
            seen.append(name)
    return seen


def _parse_contrast_expression(expression: str, columns: list[str], cid: str, path: str | None
                               ) -> pd.Series:
    weights = pd.Series(0.0, index=columns)
    for raw in re.split(r"(?=[+-])", expression.replace(" ", "")):
        if not raw:
            continue
        match = _TERM.match(raw)
        if not match:
            raise InputError(f"contrast {cid!r}: cannot read {raw!r} in make_contrasts_str "
                             f"{expression!r}.", path=path)
        sign, factor, name = match.groups()
        if name not in weights.index:
            raise InputError(
                f"contrast {cid!r}: coefficient {name!r} is not in the design; available: "
                f"{', '.join(columns)}.",
                path=path,
            )
        weights[name] += (-1.0 if sign == "-" else 1.0) * (float(factor) if factor else 1.0)
    if not weights.any():
        raise InputError(f"contrast {cid!r}: make_contrasts_str {expression!r} selects nothing.",
                         path=path)
    return weights


def _check_full_rank(matrix: pd.DataFrame, cid: str, path: str | None) -> None:
    values = matrix.to_numpy(dtype=float)
    if np.linalg.matrix_rank(values) == values.shape[1]:
        return
    dependent, kept = [], []
    for j, name in enumerate(matrix.columns):
        if np.linalg.matrix_rank(values[:, [*kept, j]]) == len(kept) + 1:
            kept.append(j)
        else:
            dependent.append(name)
    raise InputError(
        f"contrast {cid!r}: the design is not full rank: coefficient(s) "
        f"{', '.join(map(repr, dependent))} are linear combinations of earlier ones (a blocking "
        "factor confounded with the variable, or a level combination with no samples). Remove "
        "the confounded blocking factor or exclude those samples.",
        path=path,
    )


def _warn_if_coded_factor(values: pd.Series, name: str, cid: str) -> None:
    """Warn when a numeric blocking factor looks like integer codes of a categorical one."""
    levels = np.unique(values.dropna())
    if 2 < len(levels) <= 10 and np.all(levels == np.round(levels)) and len(levels) <= len(values) / 2:
        log.warning(
            "contrast %r: blocking factor %r is numeric (values %s) and enters the design as one "
            "continuous term, as in R; if it labels batches, write the labels as text (b1, b2, "
            "...) or use the formula form with C(%s).", cid, name,
            ", ".join(f"{v:g}" for v in levels), name)


def design_for_contrast(samplesheet: pd.DataFrame, contrast: Contrast, *,
                        samples: pd.Index | None = None, min_per_group: int = 2,
                        contrasts_path: str | None = None) -> Design:
    """Build the design matrix and contrast vector for one contrast.

    Parameters
    ----------
    samplesheet
        Validated sample sheet indexed by sample id.
    contrast
        The contrast to build.
    samples
        Samples available in the data matrix; others are left out.
    min_per_group
        Smallest number of samples allowed in the reference and target groups.
    contrasts_path
        Path of the contrasts file, named in error messages.

    Returns
    -------
    The :class:`Design`.
    """
    cid, path = contrast.id, contrasts_path
    sheet = samplesheet if samples is None else samplesheet.loc[samplesheet.index.isin(samples)]
    columns = list(sheet.columns)

    def need(column: str, role: str) -> None:
        if column not in sheet.columns:
            raise InputError(
                f"contrast {cid!r}: {role} {column!r} is not a sample-sheet column; columns "
                f"are {', '.join(columns)}.",
                path=path,
            )

    if contrast.exclude_samples_col:
        need(contrast.exclude_samples_col, "exclude_samples_col")
        keep = ~sheet[contrast.exclude_samples_col].astype(str).isin(contrast.exclude_samples_values)
        sheet = sheet.loc[keep]

    if contrast.is_formula:
        variables = _formula_variables(contrast.formula or "")
        for name in variables:
            need(name, "formula variable")
        formula = contrast.formula or ""
    else:
        need(contrast.variable or "", "variable")
        for block in contrast.blocking:
            need(block, "blocking factor")
        variables = [*contrast.blocking, contrast.variable or ""]
        formula = "~ " + " + ".join(v if v.isidentifier() else f"`{v}`" for v in variables)
    if contrast.is_continuous:
        sheet = sheet.assign(**{contrast.variable: continuous_values(
            sheet, contrast.variable or "", cid=cid, path=path)})
        unknown = sheet[contrast.variable].isna()
        if unknown.any():  # as R's model.frame (na.omit): the samples without a value sit out
            log.warning("contrast %r: %d sample(s) without a %s value are left out (%s)", cid,
                        int(unknown.sum()), contrast.variable,
                        ", ".join(map(str, sheet.index[unknown][:5])))
            sheet = sheet.loc[~unknown]
    elif not contrast.is_formula:
        levels = set(sheet[contrast.variable].dropna().astype(str))
        for role, level in (("reference", contrast.reference), ("target", contrast.target)):
            if level not in levels:
                raise InputError(
                    f"contrast {cid!r}: {role} level {level!r} is not a value of column "
                    f"{contrast.variable!r} among the samples used; values are "
                    f"{', '.join(sorted(levels)) or 'none'}.",
                    path=path,
                )

    if "response" in variables and "afs_days" in sheet.columns and sheet["response"].isna().any():
        # response derived from amputation-free survival: censored before 183 days = unknown
        unknown = sheet["response"].isna()
        log.info("contrast %r: %d sample(s) with unknown response (censored before 183 days) "
                 "left out", cid, int(unknown.sum()))
        sheet = sheet.loc[~unknown]
    used = sheet[variables]
    missing = used.isna().any(axis=1)
    if missing.any():
        bad = used.loc[missing]
        first = bad.index[0]
        raise InputError(
            f"contrast {cid!r}: {int(missing.sum())} sample(s) lack a value in "
            f"{', '.join(c for c in variables if bad[c].isna().any())} (first: {first!r}); fill "
            "the values or drop those samples with exclude_samples_col/exclude_samples_values.",
            path=path,
        )

    data = pd.DataFrame(index=sheet.index)
    for name in variables:
        values = sheet[name]
        if pd.api.types.is_numeric_dtype(values) and not isinstance(values.dtype, pd.CategoricalDtype):
            data[name] = values.astype(float)
            if name in contrast.blocking:
                _warn_if_coded_factor(data[name], name, cid)
        else:
            first = [contrast.reference] if name == contrast.variable and not contrast.is_formula else None
            data[name] = _ordered(values, name, first)
    if contrast.is_continuous:
        values = data[contrast.variable]
        if values.nunique() < 3:
            raise InputError(
                f"contrast {cid!r}: continuous variable {contrast.variable!r} takes "
                f"{values.nunique()} distinct value(s) among the samples used; a slope needs at "
                "least 3 (use a categorical comparison for two groups).", path=path)
        if contrast.scale == "sd":
            data[contrast.variable] = values / values.std(ddof=1)

    if not contrast.is_formula and not contrast.is_continuous:
        counts = data[contrast.variable].value_counts()
        for level in (contrast.reference, contrast.target):
            if counts.get(level, 0) < min_per_group:
                raise InputError(
                    f"contrast {cid!r}: group {contrast.variable}={level!r} has "
                    f"{counts.get(level, 0)} sample(s); at least {min_per_group} are needed.",
                    path=path,
                )

    try:
        matrix = model_matrix(formula, data, ensure_full_rank=True, na_action="raise")
    except Exception as error:  # formulaic's syntax and evaluation errors
        reason = (re.sub(r"\x1b\[[0-9;]*m", "", str(error)).strip().splitlines() or [""])[0]
        raise InputError(
            f"contrast {cid!r}: cannot build the design {formula!r} ({reason}). Write the formula "
            "in R/patsy syntax (e.g. '~ arm * response'); put column names with spaces or other "
            "symbols in backticks (`cd34 per ml`).",
            path=path,
        ) from error
    matrix = pd.DataFrame(np.asarray(matrix, dtype=float), index=data.index,
                          columns=[_r_name(c) for c in matrix.columns])
    _check_full_rank(matrix, cid, path)
    if matrix.shape[0] <= matrix.shape[1]:
        raise InputError(
            f"contrast {cid!r}: {matrix.shape[0]} samples for {matrix.shape[1]} coefficients leaves "
            "no residual degrees of freedom; add samples or drop blocking factors.",
            path=path,
        )
    if contrast.is_formula:
        vector = _parse_contrast_expression(contrast.make_contrasts_str or "", list(matrix.columns),
                                            cid, path)
    else:
        coefficient = (_r_name(_quoted_name(contrast.variable or "")) if contrast.is_continuous
                       else f"{contrast.variable}{contrast.target}")
        if coefficient not in matrix.columns:  # formulaic keeps back-ticked names as written
            coefficient = next(c for c in matrix.columns if c.strip("`") == contrast.variable)
        vector = pd.Series(0.0, index=matrix.columns)
        vector[coefficient] = 1.0
    return Design(contrast=contrast, metadata=sheet.loc[data.index], matrix=matrix,
                  contrast_vector=vector, formula=formula)


def _quoted_name(name: str) -> str:
    return name if name.isidentifier() else f"`{name}`"


def continuous_values(sheet: pd.DataFrame, column: str, *, cid: str, path: str | None) -> pd.Series:
    """Return a sample-sheet column as numbers, or stop naming the first sample holding text.

    Empty cells stay missing (the design then asks to fill or exclude them).
    """
    values = sheet[column]
    if pd.api.types.is_numeric_dtype(values) and not isinstance(values.dtype, pd.CategoricalDtype):
        return values.astype(float)
    text = values.astype("string")
    numbers = pd.to_numeric(text.str.strip().str.replace(",", ".", regex=False), errors="coerce")
    bad = numbers.isna() & text.notna() & (text.str.strip() != "")
    if bad.any():
        sample = str(bad[bad].index[0])
        raise InputError(
            f"contrast {cid!r} is continuous, but column {column!r} of the sample sheet holds "
            f"{str(text[sample])!r} for sample {sample!r}, not a number; give numbers (empty for "
            "unknown) or use a categorical comparison.", path=path)
    return numbers.astype(float)


def effect_unit(design: Design) -> str | None:
    """``"per_unit"`` / ``"per_sd"`` for a continuous contrast, else None."""
    contrast = design.contrast
    if not contrast.is_continuous:
        return None
    return "per_sd" if contrast.scale == "sd" else "per_unit"


def smallest_group(design: Design) -> int:
    """Size of the smallest group the design compares.

    For a comparison, the smaller of the reference and target groups; for a formula, the
    smallest cell of its categorical variables; for a continuous contrast, the smallest
    cell of its categorical blocking factors, else a third of its samples (at least 2).
    Used as the default ``rna_min_samples``.
    """
    meta = design.metadata
    if design.contrast.is_continuous:
        categorical = [c for c in design.contrast.blocking
                       if not pd.api.types.is_numeric_dtype(meta[c])]
        if categorical:
            return int(meta.groupby([meta[c].astype(str) for c in categorical]).size().min())
        return max(2, len(meta) // 3)
    if not design.contrast.is_formula:
        counts = meta[design.contrast.variable].astype(str).value_counts()
        return int(min(counts.get(design.contrast.reference, 0),
                       counts.get(design.contrast.target, 0)))
    categorical = [c for c in _formula_variables(design.formula)
                   if not pd.api.types.is_numeric_dtype(meta[c])]
    if not categorical:
        return int(len(meta))
    return int(meta.groupby([meta[c].astype(str) for c in categorical]).size().min())
