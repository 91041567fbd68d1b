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
from ..io._contrasts import formula_variables as _formula_variables
from ..io._samplesheet import categorical_levels

log = get_logger("design")

_FACTOR = re.compile(r"^\s*([+-]?)\s*(?:(\d+(?:\.\d*)?|\.\d+)\s*\*\s*)?(.*?)\s*$", re.S)


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

    def check_single_coefficient(self, *, contrasts_path: str | None = None,
                                 reason: str = "{--deseq2_shrink} (apeGLM) shrinks one coefficient"
                                 ) -> None:
        """Stop unless the contrast is one design coefficient with weight 1 or -1.

        DESeq2's apeGLM shrinkage (``deseq2_shrink``) shrinks a single coefficient; the
        input check calls this for every RNA counts design when it is on, so that a
        combined contrast stops before anything is computed.

        Parameters
        ----------
        contrasts_path
            Contrasts file, named in the error.
        reason
            Why one coefficient is needed, in the message.

        Raises
        ------
        InputError
            When the contrast combines coefficients or weights one by other than 1 or -1.
        """
        weights = self.contrast_vector
        used = weights[weights != 0]
        if len(used) == 1 and abs(float(used.iloc[0])) == 1:
            return
        combined = " + ".join(f"{w:g}*{name}" for name, w in used.items())
        raise InputError(
            f"contrast {self.contrast.id!r}: {reason}, but this contrast is {combined}.",
            path=contrasts_path,
            fix="Set {--deseq2_shrink} false, or reparameterise the formula so that the contrast "
            "is one coefficient.")


def _r_names(columns: pd.Index, data: pd.DataFrame) -> list[str]:
    """R ``model.matrix`` names of formulaic's columns (``arm[T.bmmnc]`` -> ``armbmmnc``).

    Built from the categorical columns of ``data`` and their levels, not by parsing the
    names, so that column names ending in any character (``CD34+``, ``group (x)``) and
    levels holding brackets convert alike. Interaction parts (``a[T.x]:b[T.y]``) convert
    one by one; other names (numeric terms, ``C(x)[T.1]``) are kept as formulaic writes them.
    """
    known = {f"{prefix}[T.{level}]": f"{column}{level}"
             for column in data.columns if isinstance(data[column].dtype, pd.CategoricalDtype)
             for level in data[column].cat.categories
             for prefix in (column, f"`{column}`")}
    pattern = (re.compile("(?:^|(?<=:))(?:" + "|".join(map(re.escape, sorted(known, key=len, reverse=True)))
                          + ")(?=:|$)") if known else None)
    names = []
    for column in map(str, columns):
        if column == "Intercept":
            names.append("(Intercept)")
        elif pattern is None:
            names.append(column)
        else:
            names.append(pattern.sub(lambda m: known[m.group(0)], column))
    return names


def _ordered(values: pd.Series, column: str, first: list[str] | None = None) -> pd.Categorical:
    present = [str(v) for v in pd.unique(values.dropna().astype(str))]
    schema = categorical_levels(column)
    order = [lvl for lvl in (schema or []) if lvl in present] if schema else sorted(present)
    order += sorted(lvl for lvl in present if lvl not in order)
    for lvl in reversed(first or []):
        order.remove(lvl)
        order.insert(0, lvl)
    return pd.Categorical(values.astype("string").astype(object), categories=order)


def _split_terms(expression: str) -> list[str]:
    """Split a make_contrasts_str at ``+``/``-`` outside backticks (`` `high-dose` `` is one name)."""
    terms, current, quoted = [], "", False
    for char in expression:
        if char == "`":
            quoted = not quoted
        elif char in "+-" and not quoted and current.strip():
            terms.append(current)
            current = ""
        current += char
    terms.append(current)
    return [term for term in terms if term.strip()]


def _name_spellings(written: str) -> list[str]:
    """Return the coefficient names a term's name may stand for.

    Backticks removed (their content kept as written, spaces too); unquoted text as
    written, then with its white space removed.
    """
    if "`" in written:
        parts = written.split("`")
        return ["".join(part if i % 2 else re.sub(r"\s+", "", part) for i, part in enumerate(parts))]
    return list(dict.fromkeys([written, re.sub(r"\s+", "", written)]))


def _parse_contrast_expression(expression: str, columns: list[str], cid: str, path: str | None
                               ) -> pd.Series:
    weights = pd.Series(0.0, index=columns)
    for raw in _split_terms(expression):
        match = _FACTOR.match(raw)
        sign, factor, written = match.groups() if match else ("", None, "")
        if not written or written.count("`") % 2:
            raise InputError(f"contrast {cid!r}: cannot read {raw.strip()!r} in make_contrasts_str "
                             f"{expression!r}.", path=path)
        name = next((n for n in _name_spellings(written) if n in weights.index), None)
        if name is None:
            special = [c for c in columns if re.search(r"[\s+*/-]", c)]
            hint = (f" Put a name with spaces or operators in backticks (`{special[0]}`)."
                    if special and "`" not in written else "")
            raise InputError(
                f"contrast {cid!r}: coefficient {written!r} is not in the design; available: "
                f"{', '.join(columns)}.{hint}",
                path=path,
            )
        weights[name] += (-1.0 if sign == "-" else 1.0) * (float(factor) if factor else 1.0)
    if not weights.any():
        raise InputError(f"contrast {cid!r}: make_contrasts_str {expression!r} selects nothing.",
                         path=path)
    return weights


def excluded_samples(values: pd.Series, exclude: tuple[str, ...], *, cid: str, column: str,
                     path: str | None) -> pd.Series:
    """Mark the samples whose ``column`` holds one of ``exclude`` (``exclude_samples_values``).

    Parameters
    ----------
    values
        The sample-sheet column, indexed by sample.
    exclude
        The values to exclude, as written in the contrasts file.
    cid, column, path
        Contrast id, column name and contrasts file, named in the error.

    Returns
    -------
    Boolean Series over ``values.index``, True for a sample to leave out.

    Raises
    ------
    InputError
        When a value matches no sample (``Placebo`` for ``placebo``, a number for text),
        unless it is one of the column's levels (the schema's ``placebo``/``bmmnc`` of
        ``arm``, or a category of a categorical column): then no sample is left out for it.
    """
    numeric = _is_numeric(values)
    text = values.astype("string").str.strip()
    out = pd.Series(False, index=values.index)
    known = set(categorical_levels(column) or ())
    if isinstance(values.dtype, pd.CategoricalDtype):
        known |= {str(level) for level in values.cat.categories}
    for value in exclude:
        hit = _matches(values, text, value, numeric)
        if not hit.any() and value in known:
            # a level of the column that no sample holds (one arm's samples in a notebook):
            # spelt right, so there is nothing to leave out
            log.info("contrast %r: no sample has %s %r; none left out for it", cid, column, value)
            continue
        if not hit.any():
            present = ([f"{v:g}" for v in sorted(values.dropna().unique())] if numeric
                       else sorted(text.dropna().unique()))
            raise InputError(
                f"contrast {cid!r}: exclude_samples_values {value!r} matches no sample in column "
                f"{column!r}; its values are {', '.join(present) or 'none'}.",
                path=path, fix="Write the value as the sample sheet does (case matters); if the "
                "samples holding it were left out on purpose (a subset), drop it from "
                "exclude_samples_values.")
        out |= hit
    return out


def numeric_labels(values: pd.Series, levels: tuple[str, ...]) -> pd.Series:
    """Label a numeric column's values as text, each written as the ``levels`` it equals.

    A comparison on a numerically coded column (``comparison: [treated, 0, 1]``) compares
    groups, as R's and nf-core/differentialabundance's ``factor()`` does: the sample sheet
    reads ``0``/``1`` as numbers, and the contrast writes its levels as text (``0``, or
    ``0.0``). Each sample's value becomes the level it equals as a number; other values
    are written in full (``2``, ``0.5``); missing values stay missing. A logical column
    matches ``false``/``true`` (any case) or ``0``/``1``; its other labels are R's ``FALSE``
    and ``TRUE``.

    Parameters
    ----------
    values
        The numeric sample-sheet column.
    levels
        The contrast's reference and target, as written.

    Returns
    -------
    The labels (object dtype, NaN where missing), indexed as ``values``.
    """
    logical = pd.api.types.is_bool_dtype(values)
    numbers = values.astype(float)
    labels = (values.map({True: "TRUE", False: "FALSE"}, na_action="ignore") if logical else
              numbers.map(lambda v: np.format_float_positional(v, trim="-"), na_action="ignore"))
    for level in levels:
        truth = str(level).strip().lower()
        if logical and truth in ("true", "false"):  # [treated, false, true], as R's FALSE/TRUE
            labels = labels.mask(numbers.eq(float(truth == "true")), level)
            continue
        number = _number(level)
        if pd.notna(number):
            labels = labels.mask(numbers.eq(number), level)
    return labels.astype(object)


def _is_numeric(values: pd.Series) -> bool:
    """Whether a sample-sheet column holds numbers (not a categorical of them)."""
    return pd.api.types.is_numeric_dtype(values) and not isinstance(values.dtype, pd.CategoricalDtype)


def _number(text: str) -> float:
    """Read a contrast file's value as a number (``1``, ``0.0``, ``.5``); NaN when it is not one."""
    return pd.to_numeric(pd.Series([text]), errors="coerce").iloc[0]


def _matches(values: pd.Series, text: pd.Series, value: str, numeric: bool) -> pd.Series:
    """Return the samples holding ``value``: as numbers for a numeric column, else as text."""
    if numeric:
        number = _number(value)
        return values.eq(number) if pd.notna(number) else pd.Series(False, index=values.index)
    return text.eq(value).fillna(False).astype(bool)


def _check_filled(used: pd.DataFrame, cid: str, path: str | None, sheet_path: str | None,
                  variable: str | None = None) -> None:
    """Stop, naming the sample sheet, the first sample and the column, on an empty cell.

    ``exclude_samples_values`` cannot name an empty value, so the fix offers removing the
    rows, and an exclusion on another column only where the empty column is not ``variable``.
    """
    missing = used.isna().any(axis=1)
    if not missing.any():
        return
    bad = used.loc[missing]
    first = bad.index[0]
    columns = [c for c in used.columns if bad[c].isna().any()]
    first_column = next(c for c in columns if pd.isna(bad.loc[first, c]))
    raise InputError(
        f"{int(missing.sum())} sample(s) lack a value in {', '.join(columns)} (first: "
        f"{first!r}), which contrast {cid!r}{_in(path)} uses.",
        **_sheet_cell(sheet_path, first, first_column),
        fix="Fill the values, or remove those rows from the sample sheet" + (
            "." if variable in columns else " (or leave those samples out with the contrast's "
            "exclude_samples_col/exclude_samples_values on another column)."))


def _in(path: str | None) -> str:
    return f" (in {path})" if path else ""


def _sheet_cell(sheet_path: str | None, sample: object, column: str) -> dict[str, str | None]:
    """``path``/``where`` of an :class:`InputError` about one cell of the sample sheet."""
    where = f"sample {str(sample)!r}, column {column!r}"
    return {"path": sheet_path, "where": where if sheet_path else f"sample sheet, {where}"}


def _coefficient_level(name: str, data: pd.DataFrame) -> tuple[str, str] | None:
    """Return (column, level) of a categorical level coefficient (``bmi37,0``: bmi, 37,0)."""
    for column in data.columns:
        values = data[column]
        if not isinstance(values.dtype, pd.CategoricalDtype):
            continue
        for level in values.cat.categories:
            if name in (f"{column}{level}", f"`{column}`{level}"):
                return column, str(level)
    return None


def _check_full_rank(matrix: pd.DataFrame, data: pd.DataFrame, cid: str, path: str | None,
                     sheet_path: str | None) -> None:
    """Stop on a design that is not full rank.

    A dependent level of a text column with more distinct values than half the samples
    (numbers written with a unit or a decimal comma, an id) is the sample sheet's fault:
    the error names it, the column and a sample. Otherwise the contrast's choice of
    factors is (a confounded blocking factor, a level combination with no samples).
    """
    values = matrix.to_numpy(dtype=float)
    if np.linalg.matrix_rank(values) == values.shape[1]:
        return
    dependent, kept = [], []
    for j, name in enumerate(matrix.columns):
        if np.linalg.matrix_rank(values[:, [*kept, j]]) == len(kept) + 1:
            kept.append(j)
        else:
            dependent.append(name)
    coefficients = ", ".join(map(repr, dependent))
    for found in filter(None, (_coefficient_level(name, data) for name in dependent)):
        column, level = found
        if not level_per_sample(data[column]):
            continue
        n_levels = data[column].nunique()
        sample = str(data.index[data[column].astype(str) == level][0])
        raise InputError(
            f"contrast {cid!r}{_in(path)}: the design is not full rank: coefficient(s) "
            f"{coefficients} are linear combinations of earlier ones, because column {column!r} "
            f"is text with {n_levels} different values among {len(data)} samples ({level!r} for "
            f"sample {sample!r}), so it enters as a factor with almost one level per sample.",
            **_sheet_cell(sheet_path, sample, column),
            fix="If it holds numbers, write them as plain numbers (no unit); otherwise leave the "
            "column out of the contrast.")
    raise InputError(
        f"contrast {cid!r}: the design is not full rank: coefficient(s) {coefficients} are "
        "linear combinations of earlier ones (a blocking factor confounded with the variable, or "
        f"a level combination with no samples; sample-sheet columns "
        f"{', '.join(map(repr, data.columns))}). Remove the confounded blocking factor or exclude "
        "those samples.",
        path=path,
    )


def _check_two_levels(data: pd.DataFrame, contrast: Contrast, formula: str,
                      available: pd.DataFrame, cid: str, path: str | None) -> None:
    """Stop on a factor with one level among the samples used.

    formulaic (like R's ``model.matrix``, which stops: "contrasts can be applied only to
    factors with 2 or more levels") cannot use it; it would drop the term, and the run
    would answer without the adjustment that the recorded formula names.
    """
    for name in data.columns:
        values = data[name]
        if isinstance(values.dtype, pd.CategoricalDtype):
            levels = [str(level) for level in values.cat.categories]
        elif contrast.is_formula and re.search(rf"C\(\s*`?{re.escape(name)}`?\s*[,)]", formula):
            levels = [f"{v:g}" for v in pd.unique(values)]
        else:
            continue
        if len(levels) >= 2 or name == contrast.variable and not contrast.is_formula:
            continue
        role, where = (("formula variable", "the formula") if contrast.is_formula
                       else ("blocking factor", "blocking_factors"))
        only = levels[0] if levels else ""
        why = ""
        column = contrast.exclude_samples_col
        if column and name in available.columns and available[name].nunique() >= 2:
            why = (f"; exclude_samples_col {column!r} with values "
                   f"{', '.join(contrast.exclude_samples_values)} leaves only {only!r}")
        raise InputError(
            f"contrast {cid!r}: {role} {name!r} has one value ({only!r}) among the {len(data)} "
            f"samples used{why}, so it cannot enter the design (a factor needs 2 or more levels; "
            "R stops here too).", path=path,
            fix=f"Remove it from {where}, or use samples that differ in it.")


def _warn_case_variants(data: pd.DataFrame, cid: str) -> None:
    """Warn when two levels of a factor differ only in letter case (``R`` and ``r``).

    They stay separate groups, as in R, but a sample spelt the other way has likely left
    its group: the warning names the rarer spelling's samples and both spellings.
    """
    for name in data.columns:
        values = data[name]
        if not isinstance(values.dtype, pd.CategoricalDtype):
            continue
        groups: dict[str, list[str]] = {}
        for level in map(str, values.cat.categories):
            groups.setdefault(level.casefold(), []).append(level)
        for spellings in (g for g in groups.values() if len(g) > 1):
            counts = values.astype(str).value_counts()
            spellings = sorted(spellings, key=lambda lvl: (-counts.get(lvl, 0), lvl))
            for rare in spellings[1:]:
                samples = [str(s) for s in values.index[values.astype(str) == rare]]
                log.warning(
                    "contrast %r: column %r holds %r for sample(s) %s and %r for %d other "
                    "sample(s); they differ only in letter case and are kept as separate levels "
                    "(as R does). If they are one group, write them alike in the sample sheet.",
                    cid, name, rare, ", ".join(samples[:5]) + (" ..." if len(samples) > 5 else ""),
                    spellings[0], int(counts.get(spellings[0], 0)))


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
                        contrasts_path: str | None = None,
                        samplesheet_path: str | None = None) -> Design:
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
    samplesheet_path
        Path of the sample sheet, named in errors about its cells (an empty value, a
        text column with one level per sample); by default ``samplesheet.attrs["path"]``
        as :func:`omics.io.read_samplesheet` sets it.

    Returns
    -------
    The :class:`Design`.

    Notes
    -----
    ``exclude_samples_values`` are compared with the sample sheet's column as numbers
    when it is numeric (``1`` matches ``1.0``), else as text; a value that no sample of
    the sheet holds stops (a misspelt value would otherwise exclude nothing), unless it is
    one of the column's levels (``placebo`` on one arm's samples). A comparison on a
    numeric column (``[treated, 0, 1]``) compares groups: the column enters as a factor
    whose levels are its values (:func:`numeric_labels`).
    """
    cid, path = contrast.id, contrasts_path
    sheet_path = samplesheet_path or samplesheet.attrs.get("path")
    sheet = samplesheet if samples is None else samplesheet.loc[samplesheet.index.isin(samples)]
    columns = list(sheet.columns)

    def need(column: str, role: str) -> None:
        if column not in sheet.columns:
            raise InputError(
                f"contrast {cid!r}: {role} {column!r} is not a sample-sheet column; columns "
                f"are {', '.join(columns)}.",
                path=path,
            )

    available = sheet
    if contrast.exclude_samples_col:
        need(contrast.exclude_samples_col, "exclude_samples_col")
        column = contrast.exclude_samples_col
        excluded = excluded_samples(samplesheet[column], contrast.exclude_samples_values,
                                    cid=cid, column=column, path=path)
        sheet = sheet.loc[~excluded.reindex(sheet.index, fill_value=False)]
        if sheet.empty:
            raise InputError(
                f"contrast {cid!r}: exclude_samples_col {column!r} with values "
                f"{', '.join(contrast.exclude_samples_values)} leaves no sample (of the "
                f"{len(available)} used).", path=path,
                fix="Drop values from exclude_samples_values, or remove the contrast.")

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
        values = sheet[contrast.variable]
        if _is_numeric(values):
            sheet = sheet.assign(**{contrast.variable: numeric_labels(
                values, (contrast.reference or "", contrast.target or ""))})
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
    _check_filled(sheet[variables], cid, path, sheet_path,
                  None if contrast.is_formula else contrast.variable)

    data = pd.DataFrame(index=sheet.index)
    for name in variables:
        values = sheet[name]
        if _is_numeric(values):
            data[name] = values.astype(float)
            if name in contrast.blocking:
                _warn_if_coded_factor(data[name], name, cid)
        else:
            first = [contrast.reference] if name == contrast.variable and not contrast.is_formula else None
            data[name] = _ordered(values, name, first)
    _check_two_levels(data, contrast, formula, available, cid, path)
    _warn_case_variants(data, cid)
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
                          columns=_r_names(matrix.columns, data))
    _check_full_rank(matrix, data, cid, path, sheet_path)
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
        # formulaic names a numeric term by its column (no backticks), a level as _r_names does
        coefficient = (contrast.variable if contrast.is_continuous
                       else f"{contrast.variable}{contrast.target}")
        if coefficient not in matrix.columns:
            raise InputError(
                f"contrast {cid!r}: the design {formula!r} has no coefficient {coefficient!r} for "
                f"the variable; its coefficients are {', '.join(matrix.columns)}.", path=path,
                fix="Rename the column to letters, digits and '_' and try again.")
        vector = pd.Series(0.0, index=matrix.columns)
        vector[coefficient] = 1.0
    return Design(contrast=contrast, metadata=sheet.loc[data.index], matrix=matrix,
                  contrast_vector=vector, formula=formula)


def continuous_values(sheet: pd.DataFrame, column: str, *, cid: str, path: str | None) -> pd.Series:
    """Return a sample-sheet column as numbers, or stop naming the first sample holding text.

    Empty cells stay missing (the design then asks to fill or exclude them).

    Parameters
    ----------
    sheet
        The sample sheet, indexed by sample id.
    column
        The column of the continuous variable.
    cid
        The contrast id, named in the message.
    path
        The contrasts or sample-sheet file, named in the message (None: none).

    Returns
    -------
    pandas.Series
        The column as floats, indexed like ``sheet`` (NaN where empty); text numbers with a
        decimal comma (``"1,5"``) are read as numbers.

    Raises
    ------
    omics._errors.InputError
        When a cell holds text that is not a number, naming the sample and the column.
    """
    values = sheet[column]
    if _is_numeric(values):
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


def level_per_sample(values: pd.Series) -> bool:
    """Tell whether a covariate would enter a model as a factor of about a level per sample.

    A text (or categorical) column with more distinct values than half its non-missing
    samples: numbers with a unit, or with a decimal comma where the sheet is not
    ``;``-separated, read as text.

    Parameters
    ----------
    values
        One sample-sheet column.

    Returns
    -------
    bool
    """
    factor = (isinstance(values.dtype, pd.CategoricalDtype) or values.dtype == bool
              or not pd.api.types.is_numeric_dtype(values))
    return bool(factor and values.nunique() > values.notna().sum() / 2)


def smallest_group(design: Design) -> int:
    """Size of the smallest group the design compares.

    For a comparison, the smaller of the reference and target groups; for a formula, the
    smallest cell of its categorical variables; for a continuous contrast, the smallest
    cell of its categorical blocking factors. A design without a categorical variable (a
    continuous contrast, or a formula such as ``~ potency_perfusion_ratio``, the same
    model) compares no groups: a third of its samples (at least 2), the same number for
    both spellings. Used as the default ``rna_min_samples``.

    Parameters
    ----------
    design
        The design of one contrast (:func:`design_for_contrast`).

    Returns
    -------
    int
        The number of samples in the smallest compared group (for a design without a
        categorical variable, a third of its samples, at least 2).
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
    if not categorical:  # no groups: the continuous rule, as for `type: continuous`
        return max(2, len(meta) // 3)
    return int(meta.groupby([meta[c].astype(str) for c in categorical]).size().min())
