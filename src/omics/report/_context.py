"""What the report knows about the study: sample sheet, contrasts, parameters, wording."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ._discover import Results

ARM_LABELS = {"placebo": "placebo", "bmmnc": "BM-MNC"}


@dataclass
class Context:
    """Inputs shared by the sections.

    ``params_known``: ``params`` are the run's (``omics run``, or the record
    ``pipeline_info/params.yaml`` of the run an ``omics report`` reads). False: they are
    the values given to the report, and the page says which statements rest on them.
    """

    results: Results
    params: dict
    obs: pd.DataFrame
    contrasts: dict = field(default_factory=dict)
    params_known: bool = True

    @property
    def fdr(self) -> float:
        """Adjusted p-value threshold of the run (given to the report if not recorded)."""
        return float(self.params.get("de_fdr", 0.05))

    def run_fdr(self) -> str:
        """Return the run's FDR threshold as a sentence states it (HTML).

        ``0.05``; when the run's parameters were not recorded, ``the FDR given to this
        report (0.05; the run's was not recorded)``.
        """
        if self.params_known:
            return f"{self.fdr:g}"
        return f"the FDR given to this report ({self.fdr:g}; the run's was not recorded)"

    @property
    def bali(self) -> bool:
        """True when the sample sheet has the BALI design (arm placebo/bmmnc and response)."""
        return ("arm" in self.obs and "response" in self.obs
                and set(self.obs["arm"].dropna().astype(str)) <= {"placebo", "bmmnc"})

    @property
    def default_panel(self) -> bool:
        """True when the shipped GO angiogenesis panel was tested (no ``--genesets``)."""
        return not self.params.get("genesets")

    @property
    def panel_name(self) -> str:
        """How the tested gene-set panel is called in titles."""
        if self.default_panel:
            return "GO angiogenesis panel"
        names = [Path(p).name for p in str(self.params["genesets"]).split(",") if p.strip()]
        return "gene-set panel (" + ", ".join(names) + ")"

    def arm_label(self, arm: str) -> str:
        """Readable arm name (BM-MNC, placebo; other studies: the level itself)."""
        return ARM_LABELS.get(arm, arm) if self.bali else arm

    def _reference(self, variable: str, level: str) -> str | None:
        """Return the base level of ``variable`` in a design (as :mod:`omics.tl._design` orders it).

        None unless the variable has exactly two levels in the sample sheet (with more, the
        coefficient of ``level`` is one of several and its base is named as "reference").
        """
        from ..io._samplesheet import categorical_levels

        if variable not in self.obs:
            return None
        present = sorted({str(v) for v in self.obs[variable].dropna()})
        if level not in present or len(present) != 2:
            return None
        schema = categorical_levels(variable) or []
        order = [lvl for lvl in schema if lvl in present] + [lvl for lvl in present if lvl not in schema]
        return order[0] if order[0] != level else order[1]

    def _level(self, variable: str, level: str) -> str:
        return self.arm_label(level) if variable == "arm" else level

    def coefficient_terms(self, contrast_id: str) -> list[tuple[str, str, str | None]] | None:
        """``(variable, level, reference)`` of each factor of a formula contrast's coefficient.

        ``armbmmnc:responseresponder`` with formula ``~ arm * response`` gives
        ``[("arm", "bmmnc", "placebo"), ("response", "responder", "non_responder")]``.
        None for a comparison, or a coefficient expression that is not one (interaction) term.
        """
        import re

        c = self.contrasts.get(contrast_id)
        if c is None or not c.formula or not c.make_contrasts_str:
            return None
        coefficient = c.make_contrasts_str.strip()
        if not re.fullmatch(r"[A-Za-z0-9_.]+(:[A-Za-z0-9_.]+)*", coefficient):
            return None
        variables = sorted({v for v in re.findall(r"[A-Za-z_.][A-Za-z0-9_.]*", c.formula.split("~")[-1])},
                           key=len, reverse=True)
        terms = []
        for part in coefficient.split(":"):
            found = next(((v, part[len(v):]) for v in variables
                          if part.startswith(v) and v in self.obs and part[len(v):]
                          in set(self.obs[v].dropna().astype(str))), None)
            if found is None:
                return None
            terms.append((found[0], found[1], self._reference(*found)))
        return terms

    def positive_means(self, contrast_id: str) -> str | None:
        """Say what a positive log2 fold change (or NES) of a contrast means; None if unknown.

        Plain text of the sample sheet's values: escape it to put it in HTML.
        """
        c = self.contrasts.get(contrast_id)
        if c is None:
            return None
        if not c.formula:
            if c.is_continuous:
                return f"higher with larger {c.variable}"
            return f"higher in {c.target} than in {c.reference}"
        terms = self.coefficient_terms(contrast_id)
        if not terms or len(terms) > 2:
            return None

        def versus(variable: str, level: str, reference: str | None) -> tuple[str, str]:
            base = self._level(variable, reference) if reference else f"the reference level of {variable}"
            return self._level(variable, level), base

        if len(terms) == 1:
            level, base = versus(*terms[0])
            return f"higher in {level} than in {base}"
        (a, a_base), (b, b_base) = versus(*terms[0]), versus(*terms[1])
        return f"the {b} vs {b_base} log2 fold change is larger in {a} than in {a_base}"

    def lfc_axis(self, contrast_id: str, *, short: bool = False) -> str:
        """Return the axis title of a contrast's log2 fold changes (``short``: the MA plot's y-axis).

        Plain text (the figures escape their labels).
        """
        c = self.contrasts.get(contrast_id)
        if c is None:
            return "log2 fold change"
        if not c.formula:
            if c.is_continuous:
                return f"log2 fold change per {'SD' if c.scale == 'sd' else 'unit'} of {c.variable}"
            return f"log2 fold change ({c.target} / {c.reference})"
        terms = self.coefficient_terms(contrast_id)
        if terms and len(terms) == 2 and short:
            return "interaction log2FC"
        if terms and len(terms) == 2 and all(ref for _, _, ref in terms):
            (va, a, a_ref), (vb, b, b_ref) = terms
            return (f"interaction log2FC ({self._level(vb, b)} / {self._level(vb, b_ref)} in "
                    f"{self._level(va, a)} minus in {self._level(va, a_ref)})")
        if terms and len(terms) == 1 and terms[0][2]:
            v, level, ref = terms[0]
            return f"log2 fold change ({self._level(v, level)} / {self._level(v, ref)})"
        if short:
            return "log2 fold change (coefficient)"
        return f"log2 fold change (coefficient {c.make_contrasts_str})"

    @property
    def has_formula(self) -> bool:
        """Whether any contrast is a formula coefficient (no target/reference level)."""
        return any(c.formula for c in self.contrasts.values())

    def describe_contrast(self, contrast_id: str) -> str:
        """One line of HTML saying what a contrast compares and what a positive log2 fold change means.

        Every value from the contrasts and the sample sheet is escaped.
        """
        def e(value: object) -> str:
            return html.escape(str(value))

        c = self.contrasts.get(contrast_id)
        if c is None:
            return e(contrast_id)
        if c.formula:
            text = (f"formula <code>{e(c.formula)}</code>, coefficient "
                    f"<code>{e(c.make_contrasts_str)}</code>")
            meaning = self.positive_means(contrast_id)
            text += (f" (positive log2FC = {e(meaning)})" if meaning
                     else " (positive log2FC = a positive coefficient)")
        elif c.is_continuous:
            unit = "SD" if c.scale == "sd" else "unit"
            text = f"association with {e(c.variable)} (log2FC per {unit} of {e(c.variable)})"
        else:
            text = (f"{e(c.variable)}: {e(c.target)} vs {e(c.reference)} (positive log2FC = higher in "
                    f"{e(c.target)})")
        if c.blocking and not c.formula:
            text += f", adjusted for {e(', '.join(c.blocking))}"
        if c.exclude_samples_col:
            excluded = [self._level(c.exclude_samples_col, str(v)) for v in c.exclude_samples_values]
            text += f"; excluding {e(c.exclude_samples_col)} = {e(', '.join(excluded))}"
        return text


def load_context(results: Results, params: dict, *, known: bool = True) -> Context:
    """Read the validated sample sheet and contrasts (whatever exists).

    ``known``: ``params`` are the run's (:attr:`Context.params_known`).
    """
    from ..io import read_contrasts

    sheet = results.first("validated/samplesheet.csv", "samplesheet.csv")
    obs = pd.DataFrame()
    if sheet is not None:
        obs = pd.read_csv(sheet, dtype={"sample": str})
        obs = obs.set_index("sample") if "sample" in obs else obs
    contrasts = {}
    path = results.first("validated/contrasts.yaml", "contrasts.yaml", "contrasts.csv")
    if path is not None:
        try:
            contrasts = {c.id: c for c in read_contrasts(path)}
        except Exception:  # noqa: BLE001 - the report still renders without descriptions
            contrasts = {}
    return Context(results=results, params=params, obs=obs, contrasts=contrasts, params_known=known)
