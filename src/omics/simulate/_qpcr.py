"""Optional trial-era measurements of the simulated cohort: in vivo potency and an RT-qPCR panel.

Both are drawn from their own random stream (``default_rng([seed, 13])``), so adding them
leaves every other simulated number unchanged.

- ``potency_perfusion_ratio``: perfusion ratio (ischaemic / contralateral limb) after
  injecting a patient's cells into mouse hindlimb ischaemia,
  ``0.6 + 0.15 x potency_factor + N(0, 0.05)`` clipped to [0.05, 1.3]: it measures the
  same latent cell potency that drives the predictive genes and response in the BM-MNC arm.
- RT-qPCR: four reference genes (no planted effect) and a panel of classic angiogenic
  factors plus the six genes with the largest planted potency loading. A target's Ct is
  ``base - log2 effect (truth) + cDNA input + N(0, 0.25)`` per sample, with three technical
  replicates (SD 0.12 cycles, 1 % outlying by 1.5 cycles); Cts above 38 are written as
  ``Undetermined``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._cohort import Cohort
from ._matrices import log2_effects

REFERENCE_GENES = ("ACTB", "GAPDH", "B2M", "HPRT1")
CLASSIC_PANEL = ("VEGFA", "FGF2", "HGF", "ANGPT1", "ANGPT2", "CXCL8", "CCL2", "KDR", "PDGFB",
                 "TGFB1", "MMP9", "NOS3", "HIF1A", "CXCL12")
UNDETERMINED_ABOVE = 38.0


def potency_perfusion_ratio(cohort: Cohort, rng: np.random.Generator) -> np.ndarray:
    """In vivo potency per sample, driven by the latent potency factor."""
    potency = cohort.latent["potency_factor"].to_numpy(float)
    value = 0.6 + 0.15 * potency + rng.normal(0, 0.05, len(potency))
    return np.round(np.clip(value, 0.05, 1.3), 3)


def simulate_qpcr(truth: pd.DataFrame, cohort: Cohort, rng: np.random.Generator
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return ``(wells, panel_truth)``: a long Ct table and the panel's truth."""
    predictive = truth[truth["log2_loading_potency"] != 0].sort_values(
        "log2_loading_potency", ascending=False, kind="stable")["gene_name"].head(6).tolist()
    targets = list(dict.fromkeys([*REFERENCE_GENES, *CLASSIC_PANEL, *predictive]))
    effects = log2_effects(truth, cohort)
    index = {g: i for i, g in enumerate(truth["gene_name"])}
    n = len(cohort.samplesheet)
    cdna_input = rng.normal(0, 0.5, n)
    rows, panel = [], []
    samples = cohort.samplesheet["sample"].tolist()
    for target in targets:
        reference = target in REFERENCE_GENES
        if target in index and "base_mean" in truth:
            base = 36.0 - np.log2(max(float(truth["base_mean"].iloc[index[target]]), 0.5))
        else:
            base = 27.0 + rng.normal(0, 2.0)
        base = 17.0 + rng.normal(0, 1.0) if reference else base
        effect = (np.zeros(n) if reference or target not in index
                  else effects[:, index[target]])
        ct = base - effect + cdna_input + rng.normal(0, 0.15 if reference else 0.25, n)
        row = truth.iloc[index[target]] if target in index else None
        panel.append({"target": target, "is_reference": reference, "base_ct": base,
                      "role": "reference" if reference else (row["role"] if row is not None
                                                             else "not_simulated"),
                      "log2_loading_potency": 0.0 if reference or row is None
                      else float(row["log2_loading_potency"]),
                      "log2_loading_prognostic": 0.0 if reference or row is None
                      else float(row["log2_loading_prognostic"]),
                      "log2_arm_effect": 0.0 if reference or row is None
                      else float(row["log2_arm_effect"])})
        for i, sample in enumerate(samples):
            for replicate in (1, 2, 3):
                value = ct[i] + rng.normal(0, 0.12) + (1.5 if rng.random() < 0.01 else 0.0)
                rows.append({"sample": sample, "target": target, "replicate": replicate,
                             "plate": f"plate{1 + i * 2 // n}",
                             "Ct": "Undetermined" if value > UNDETERMINED_ABOVE else f"{value:.3f}"})
    return pd.DataFrame(rows), pd.DataFrame(panel)
