"""Amputation-free survival (AFS) times for simulated patients.

Weibull proportional-hazards times: cumulative hazard ``H(t) = (t / scale)^shape *
exp(lp)`` with ``lp`` the planted log hazard ratio of the patient (per SD of a latent
factor), uniform drop-out censoring on ``[0, dropout_max]`` days and administrative
censoring at ``followup`` days (6 months = 183 days in BALI).

What ``afs_log_hr_per_sd`` (``truth_sets.tsv``, ``survival_model`` in ``simulation.yaml``)
is: the coefficient of the latent factor in ``lp``, i.e. the log hazard ratio per SD of
the Weibull model from which each time is drawn *given its response* (truncated to
``(0, 183]`` for a non-responder, beyond day 183 for a responder). It is not what a Cox
model of ``afs_days``/``afs_event`` estimates: with follow-up ending at day 183, the
events are the non-responders, so the hazard of the written times follows the logistic
response model (the factors' log-odds), and a marginal Cox fit per SD of a factor gives
a different number, which also differs between the arms (e.g. 3,000 patients, seed 11:
prognostic -1.35 in placebo and -1.05 in BM-MNC, potency -1.83 in BM-MNC, against the
recorded -1.0 and -1.5). Expect a Cox fit to recover the sign and the roles (prognostic
in both arms, potency only with cells), not the recorded values.
"""
from __future__ import annotations

import numpy as np

RESPONSE_DAY = 183.0


def weibull_afs(lp: np.ndarray, rng: np.random.Generator, *, shape: float = 1.2, scale: float = 280.0,
                dropout_max: float = 1500.0, followup: float = RESPONSE_DAY,
                responder: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``(afs_days, afs_event)`` for linear predictors ``lp`` (log hazard ratios).

    With ``responder`` given (a response already drawn, e.g. by the logistic model of
    the demo cohort), each time is drawn from the same Weibull distribution truncated to
    ``(0, 183]`` for non-responders and ``(183, inf)`` for responders, so that the
    survival columns never contradict the response ("event-free at 183 days"); censoring
    can still make a response unknown from the times alone.

    Days are whole numbers >= 1 (events on day 0 are moved to day 1).
    """
    lp = np.asarray(lp, dtype=float)
    n = len(lp)
    cumulative = np.exp(lp) * (RESPONSE_DAY / scale) ** shape  # H(183) per patient
    f183 = -np.expm1(-cumulative)                                # P(T <= 183)
    u = rng.random(n)
    if responder is not None:
        responder = np.asarray(responder, dtype=bool)
        u = np.where(responder, f183 + u * (1.0 - f183), u * f183)
    u = np.clip(u, 1e-12, 1 - 1e-12)
    t = scale * (-np.log1p(-u) / np.exp(lp)) ** (1.0 / shape)
    if responder is not None:  # keep the truncation after rounding to whole days
        t = np.where(responder, np.maximum(t, RESPONSE_DAY + 1), np.minimum(t, RESPONSE_DAY))
    dropout = rng.uniform(0.0, dropout_max, n)
    end = np.minimum(dropout, followup)
    event = t <= end
    days = np.where(event, np.ceil(t), np.floor(end))
    days = np.maximum(days, 1.0)
    if responder is not None:  # a censored non-responder stays censored before day 183
        days = np.where(event, np.minimum(days, RESPONSE_DAY), days)
    return days, event.astype(int)
