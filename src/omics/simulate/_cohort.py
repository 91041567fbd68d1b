"""The BALI-like patient cohort: arms, covariates, latent factors and response.

Generative model (all effects per SD of a latent patient factor):

- every patient has a *prognostic* factor (host angiogenic/hypoxia response) and a
  *potency* factor (angiogenic potency of their BM-MNC), independent standard normals;
- response (survival without major amputation) is Bernoulli with
  ``logit p = intercept + b_prog * prognostic + b_pred * potency * [arm == bmmnc]
  + b_diab * diabetes``: the prognostic factor matters in both arms, cell potency
  only when the cells are implanted (predictive);
- CD34+ cell counts correlate with potency (r ~ 0.4), as progenitor content would.

``--scenario null`` draws the response with ``b_prog = b_pred = 0`` (intercept and
diabetes only), so no latent factor, and nothing measured from one (genes, proteins,
qPCR, ``potency_perfusion_ratio``, ``cd34_per_ml``, flow), relates to response.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._errors import InputError


@dataclass
class Cohort:
    """Patients of a simulated trial.

    Attributes
    ----------
    samplesheet
        One row per sample: ``sample, patient, arm, response, sex, age, diabetes, hba1c,
        cd34_per_ml``.
    latent
        Per sample: ``prognostic_factor, potency_factor, linear_predictor, p_response``.
    """

    samplesheet: pd.DataFrame
    latent: pd.DataFrame


def simulate_patients(n_patients: int, response_model: dict, rng: np.random.Generator,
                      *, max_tries: int = 100, max_cohorts: int = 1000) -> Cohort:
    """Draw patients, covariates, latent factors and responses.

    Responses are redrawn (up to ``max_tries`` times, same generator) until each arm has
    at least three responders and three non-responders, so every contrast is estimable.
    When the patients drawn make that practically impossible (a small cohort whose
    response probabilities in an arm are all near 0 or 1), the whole cohort is drawn
    again from the same generator (up to ``max_cohorts`` times); a cohort that succeeds
    at its first draw is the one it always was.

    Parameters
    ----------
    n_patients
        Patients (12 or more); arms alternate over a random permutation.
    response_model
        ``intercept``, ``prognostic``, ``predictive`` and ``diabetes`` coefficients of the
        logistic response model (log-odds per SD of a latent factor).
    rng
        The cohort's random generator (the matrices continue its stream).
    max_tries, max_cohorts
        Redraws of the responses of one cohort, and draws of whole cohorts.

    Returns
    -------
    Cohort
        The sample sheet and the latent factors.

    Raises
    ------
    InputError
        No cohort of ``max_cohorts`` had three of each outcome per arm.
    """
    if n_patients < 12:
        raise ValueError("n_patients must be >= 12 (3 responders and 3 non-responders per arm)")
    for _ in range(max_cohorts):
        drawn = _draw_cohort(n_patients, response_model, rng, max_tries)
        if drawn is not None:
            return drawn
    raise InputError(f"could not draw {n_patients} patients with 3 responders and 3 "
                     f"non-responders in each arm ({max_cohorts} cohorts tried).",
                     fix="Give more patients ({--n_patients}) or another {--seed}.")


def _draw_cohort(n_patients: int, response_model: dict, rng: np.random.Generator,
                 max_tries: int) -> Cohort | None:
    """One draw of :func:`simulate_patients`; None when no response draw had 3 of each per arm."""
    ids = [f"BALI{i + 1:03d}" for i in range(n_patients)]
    arm = np.array(["placebo", "bmmnc"])[rng.permutation(np.arange(n_patients) % 2)]
    prognostic = rng.standard_normal(n_patients)
    potency = rng.standard_normal(n_patients)
    diabetes = rng.random(n_patients) < 0.45
    age = np.clip(np.round(rng.normal(71, 10, n_patients)), 40, 95)
    sex = np.where(rng.random(n_patients) < 0.7, "male", "female")
    hba1c = np.round(np.where(diabetes, rng.normal(7.6, 1.0, n_patients),
                              rng.normal(5.6, 0.35, n_patients)), 1)
    cd34_latent = 0.4 * potency + np.sqrt(1 - 0.16) * rng.standard_normal(n_patients)
    cd34 = np.round(np.exp(np.log(1.5e6) + 0.5 * cd34_latent), -3)
    bmmnc = arm == "bmmnc"
    linear = (response_model["intercept"] + response_model["prognostic"] * prognostic
              + response_model["predictive"] * potency * bmmnc
              + response_model["diabetes"] * diabetes)
    p_response = 1 / (1 + np.exp(-linear))
    for _ in range(max_tries):
        responder = rng.random(n_patients) < p_response
        if all(3 <= responder[a].sum() <= a.sum() - 3 for a in (bmmnc, ~bmmnc)):
            break
    else:
        return None
    sheet = pd.DataFrame({
        "sample": ids,
        "patient": [f"P{i + 1:03d}" for i in range(n_patients)],
        "arm": arm,
        "response": np.where(responder, "responder", "non_responder"),
        "sex": sex,
        "age": age.astype(int),
        "diabetes": np.where(diabetes, "yes", "no"),
        "hba1c": hba1c,
        "cd34_per_ml": cd34.astype(int),
    })
    latent = pd.DataFrame({
        "sample": ids,
        "prognostic_factor": prognostic,
        "potency_factor": potency,
        "linear_predictor": linear,
        "p_response": p_response,
    })
    return Cohort(samplesheet=sheet, latent=latent)
