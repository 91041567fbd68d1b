"""What the report knows about the study: sample sheet, contrasts, parameters, wording."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ._discover import Results

ARM_LABELS = {"placebo": "placebo", "bmmnc": "BM-MNC"}


@dataclass
class Context:
    """Inputs shared by the sections."""

    results: Results
    params: dict
    obs: pd.DataFrame
    contrasts: dict = field(default_factory=dict)

    @property
    def fdr(self) -> float:
        """Adjusted p-value threshold of the run."""
        return float(self.params.get("de_fdr", 0.05))

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

    def describe_contrast(self, contrast_id: str) -> str:
        """One line saying what a contrast compares."""
        c = self.contrasts.get(contrast_id)
        if c is None:
            return contrast_id
        if c.formula:
            text = f"formula <code>{c.formula}</code>, coefficient <code>{c.make_contrasts_str}</code>"
        else:
            text = f"{c.variable}: {c.target} vs {c.reference} (positive log2FC = higher in {c.target})"
            if c.blocking:
                text += f", adjusted for {', '.join(c.blocking)}"
        if c.exclude_samples_col:
            text += f"; excluding {c.exclude_samples_col} = {', '.join(map(str, c.exclude_samples_values))}"
        return text


def load_context(results: Results, params: dict) -> Context:
    """Read the validated sample sheet and contrasts (whatever exists)."""
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
    return Context(results=results, params=params, obs=obs, contrasts=contrasts)
