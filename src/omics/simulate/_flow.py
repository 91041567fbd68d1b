"""Simulated BM-MNC flow cytometry: one FCS file per patient with planted progenitor content.

Each file is a single-platform ISHAGE tube (CD45 / CD34 / 7-AAD / CD133 / KDR plus
counting beads) written with FlowIO, with a ``$SPILLOVER`` keyword (CD45 FITC into the
CD34 PE detector, CD34 PE into 7-AAD) applied to the events, so reading them needs
compensation. The events fall into the gates of the shipped template
(``metadata/flow/bmmnc_progenitors.gating.xml``):

- the CD34+ fraction of viable leukocytes follows the patient's ``cd34_per_ml`` (the
  sample-sheet column, itself correlated r ~ 0.4 with the potency factor): the
  implanted-dose population;
- the KDR+ fraction of CD34+ cells (endothelial progenitors, ``CD34_KDR``) loads on the
  *potency* factor, which only matters for response in the BM-MNC arm: a **predictive**
  population (``truth_flow.tsv``);
- CD133+ among CD34+ and the leukocyte concentration are noise.

A separate random stream (``seed`` combined with a fixed tag) is used, so the RNA,
protein and sample-sheet values of a cohort are the same with or without flow files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .._logging import get_logger
from ..io._write import atomic_path, write_tsv
from ._cohort import Cohort

log = get_logger("simulate")

FLOW_TAG = 12  # seeds the flow stream: default_rng([seed, FLOW_TAG])
FCS_DIR = "fcs"
TABLE = "flow_populations.tsv"
TRUTH = "truth_flow.tsv"
TRUTH_ROLES = "truth_flow_populations.tsv"
CHANNELS = (("FSC-A", ""), ("SSC-A", ""), ("FL1-A", "CD45"), ("FL2-A", "CD34"), ("FL3-A", "7-AAD"),
            ("FL4-A", "CD133"), ("FL5-A", "KDR"))
FLUORESCENCE = ("FL1-A", "FL2-A", "FL3-A", "FL4-A", "FL5-A")
SPILL = {("FL1-A", "FL2-A"): 0.15, ("FL2-A", "FL3-A"): 0.05}
BEADS_PER_TEST = 50000
SAMPLE_VOLUME_UL = 100.0
KDR_LOGIT_LOADING = 1.0  # per SD of the potency factor

# asinh scale of the template: y = asinh(x * sinh(M ln10) / T) / (M ln10), T=262144, M=4.5
_T, _M = 262144.0, 4.5


def _linear(y: np.ndarray) -> np.ndarray:
    """Linear intensity whose template (fasinh) value is ``y``."""
    return np.sinh(y * _M * np.log(10)) * _T / np.sinh(_M * np.log(10))


def spillover_text() -> str:
    """``$SPILLOVER`` value: n, detector names, the row-major matrix."""
    n = len(FLUORESCENCE)
    matrix = np.eye(n)
    for (source, target), value in SPILL.items():
        matrix[FLUORESCENCE.index(source), FLUORESCENCE.index(target)] = value
    return ",".join([str(n), *FLUORESCENCE, *(f"{v:g}" for v in matrix.ravel())])


def _events(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """Draw true (unspilled) events of one cell kind: FSC, SSC, then 5 fluorescences."""
    # template-scale means (sd 0.04) of CD45, CD34, 7-AAD, CD133, KDR
    neg = 0.12
    spec = {
        "debris": ((6000, 3000), (5000, 2500), (0.08, neg, 0.15, neg, neg)),
        "bead": ((20000, 3000), (15000, 3000), (0.93, 0.93, 0.5, 0.9, 0.9)),
        "dead": ((60000, 15000), (40000, 15000), (0.62, neg, 0.52, neg, neg)),
        "granulocyte": ((110000, 15000), (140000, 20000), (0.6, neg, neg, neg, neg)),
        "lymph": ((65000, 10000), (28000, 8000), (0.68, neg, neg, neg, neg)),
        "cd34": ((75000, 10000), (30000, 8000), (0.42, 0.64, neg, neg, neg)),
        "cd34_cd133": ((75000, 10000), (30000, 8000), (0.42, 0.64, neg, 0.64, neg)),
        "cd34_kdr": ((75000, 10000), (30000, 8000), (0.42, 0.64, neg, neg, 0.6)),
        "cd34_cd133_kdr": ((75000, 10000), (30000, 8000), (0.42, 0.64, neg, 0.64, 0.6)),
    }[kind]
    (fsc_m, fsc_s), (ssc_m, ssc_s), fluor = spec
    fsc = np.clip(rng.normal(fsc_m, fsc_s, n), 100, 262000)
    ssc = np.clip(rng.normal(ssc_m, ssc_s, n), 100, 262000)
    scale = rng.normal(np.array(fluor)[None, :], 0.035, (n, len(fluor)))
    return np.column_stack([fsc, ssc, _linear(scale)])


def _patient_events(n_events: int, cd34_fraction: float, kdr_fraction: float, leukocytes_per_ul: float,
                    rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """Events of one tube and the planted proportions."""
    cells = leukocytes_per_ul * SAMPLE_VOLUME_UL
    p_bead = BEADS_PER_TEST / (BEADS_PER_TEST + cells)
    p_debris = 0.04
    p_cell = 1 - p_bead - p_debris
    viable = rng.uniform(0.88, 0.97)
    granulocyte_of_viable = rng.uniform(0.3, 0.45)
    cd133_of_cd34 = rng.uniform(0.4, 0.7)
    p_cd34 = p_cell * viable * cd34_fraction
    p_lymph = p_cell * viable * (1 - granulocyte_of_viable) - p_cd34
    p = {
        "debris": p_debris, "bead": p_bead, "dead": p_cell * (1 - viable),
        "granulocyte": p_cell * viable * granulocyte_of_viable, "lymph": p_lymph,
        "cd34": p_cd34 * (1 - cd133_of_cd34) * (1 - kdr_fraction),
        "cd34_cd133": p_cd34 * cd133_of_cd34 * (1 - kdr_fraction),
        "cd34_kdr": p_cd34 * (1 - cd133_of_cd34) * kdr_fraction,
        "cd34_cd133_kdr": p_cd34 * cd133_of_cd34 * kdr_fraction,
    }
    kinds = list(p)
    counts = rng.multinomial(n_events, np.array([p[k] for k in kinds]) / sum(p.values()))
    blocks = [_events(kind, count, rng) for kind, count in zip(kinds, counts, strict=True) if count]
    events = np.vstack(blocks)[rng.permutation(n_events)]
    # spill the fluorescences as the detectors would see them
    fluor = events[:, 2:]
    matrix = np.eye(len(FLUORESCENCE))
    for (source, target), value in SPILL.items():
        matrix[FLUORESCENCE.index(source), FLUORESCENCE.index(target)] = value
    events[:, 2:] = fluor @ matrix + rng.normal(0, 5.0, fluor.shape)
    return events.astype(np.float32), {"viable_fraction": viable, "cd133_of_cd34": cd133_of_cd34}


def write_fcs(path: Path, events: np.ndarray, *, sample: str, extra: dict | None = None) -> Path:
    """Write events (n x 7, :data:`CHANNELS`) as an FCS 3.1 file with FlowIO, atomically."""
    import flowio

    metadata = {"SPILLOVER": spillover_text(), "FIL": f"{sample}.fcs", "SRC": sample,
                "CYT": "omics simulate"}
    for i, _ in enumerate(CHANNELS, start=1):
        metadata[f"P{i}R"] = "262144"
    metadata.update(extra or {})
    with atomic_path(path) as tmp, tmp.open("wb") as handle:
        flowio.create_fcs(handle, events.ravel().tolist(), channel_names=[c for c, _ in CHANNELS],
                          opt_channel_names=[m for _, m in CHANNELS], metadata_dict=metadata)
    return path


def simulate_flow(cohort: Cohort, outdir: str | Path, *, seed: int, n_events: int,
                  null: bool = False) -> dict[str, Path]:
    """Write ``fcs/<sample>.fcs``, ``flow_populations.tsv`` and the flow truth tables.

    ``flow_populations.tsv`` is the FCS files gated with the shipped template (what a
    FlowJo export would give).

    Parameters
    ----------
    cohort
        The simulated patients (``cd34_per_ml`` and the latent potency factor are used).
    outdir
        Cohort folder.
    seed
        Cohort seed; the flow stream is ``default_rng([seed, FLOW_TAG])``.
    n_events
        Events per FCS file.
    null
        Plant no potency effect on the KDR+ fraction.
    """
    from ..stages._flow import default_gating, gate_files

    rng = np.random.default_rng([seed, FLOW_TAG])
    outdir = Path(outdir)
    sheet = cohort.samplesheet
    potency = cohort.latent.set_index("sample")["potency_factor"]
    base_logit = np.log(0.2 / 0.8)
    log.info("writing %d FCS files (%d events each), then gating them", len(sheet), n_events)
    files, truth = {}, []
    for row in sheet.itertuples(index=False):
        sample = row.sample
        cd34_fraction = float(np.clip(0.02 * row.cd34_per_ml / 1.5e6, 0.003, 0.08))
        loading = 0.0 if null else KDR_LOGIT_LOADING
        kdr_fraction = float(1 / (1 + np.exp(-(base_logit + loading * potency[sample]))))
        leukocytes = float(np.exp(rng.normal(np.log(8000), 0.3)))
        events, planted = _patient_events(n_events, cd34_fraction, kdr_fraction, leukocytes, rng)
        files[sample] = write_fcs(outdir / FCS_DIR / f"{sample}.fcs", events, sample=sample)
        truth.append({"sample": sample, "cd34_fraction_of_viable": cd34_fraction,
                      "kdr_fraction_of_cd34": kdr_fraction, "leukocytes_per_ul": leukocytes,
                      **planted})
    gated = gate_files(files, default_gating(), n_cpus=1, plots=False)
    table = pd.concat([g["table"] for g in gated], ignore_index=True)
    table = table[["sample", "population", "parent", "events", "parent_events"]]
    roles = pd.DataFrame([
        {"population": "CD34_KDR", "role": "none" if null else "predictive",
         "latent_factor": "" if null else "potency_factor",
         "direction": "" if null else "up_in_responders"},
        {"population": "CD34", "role": "dose", "latent_factor": "cd34_per_ml",
         "direction": ""},
    ])
    paths = {
        "flow_fcs": outdir / FCS_DIR,
        "flow_table": write_tsv(table, outdir / TABLE),
        "truth_flow": write_tsv(pd.DataFrame(truth), outdir / TRUTH),
        "truth_flow_roles": write_tsv(roles, outdir / TRUTH_ROLES),
    }
    log.info("wrote %d FCS files (%d events each) to %s", len(files), n_events, outdir / FCS_DIR)
    return paths
