"""Public outcome-model functions (the AnnData-or-table convention of :mod:`._apidoc`).

The computations are those of :mod:`._response` and :mod:`._survival`.
"""

from __future__ import annotations

from collections.abc import Sequence

import anndata as ad
import pandas as pd

from .._errors import InputError
from ..io._samplesheet import RESPONSE_DAY
from . import _response, _survival
from ._apidoc import compose, forwarded, settings_note
from ._keys import (
    CV_SUFFIX,
    KM_KEY,
    RESPONSE_KEY,
    SCORES_KEY,
    SURVIVAL_KEY,
    is_anndata,
    obsm_frame,
    store_params,
)

__all__ = ["kaplan_meier", "response_model", "survival_model"]


def _scores_obs(data: ad.AnnData | pd.DataFrame, obs: pd.DataFrame | None, score_key: str,
                caller: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (scores, sample sheet) of an AnnData or of a scores table and its sheet.

    Anything else (a numpy array, a MuData, a list) stops with an InputError naming what
    was given and what to pass.
    """
    if is_anndata(data):
        if obs is not None:
            raise InputError(f"{caller}: with an AnnData the sample sheet is adata.obs; do not pass obs")
        return obsm_frame(data, score_key, caller), data.obs
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"{caller}: data is a {type(data).__name__}, not an AnnData or a samples x "
                         "scores DataFrame; pass an AnnData with adata.obsm[score_key], or "
                         "pd.DataFrame(values, index=<sample ids>, columns=<score names>) and obs")
    if obs is None:
        raise InputError(f"{caller}: with a scores table, pass the sample sheet: {caller}(scores, obs)")
    if not isinstance(obs, pd.DataFrame):
        raise InputError(f"{caller}: obs is a {type(obs).__name__}, not a DataFrame; pass the sample "
                         "sheet as a DataFrame indexed by sample id")
    return data, obs


_MODEL_EXTRA = """
    score_key
        AnnData input: ``obsm`` key of the scores.
    key_added
        AnnData input: the result is stored in ``adata.uns[key_added]``.
    """


def _store(adata: ad.AnnData, key: str, result: object, settings: dict, score_key: str) -> None:
    """Store a result in ``adata.uns[key]`` and the settings it ran with (``score_key`` first)."""
    adata.uns[key] = result
    store_params(adata, key, {"score_key": score_key, **settings})


def _model_stored(default_key: str, last: str) -> str:
    """Return the Notes paragraph of a model function: what it reads, where it stores its table."""
    return f"""
    Given an AnnData, reads ``adata.obsm[score_key]`` (default ``"angio_scores"``) and
    ``adata.obs``, and stores the returned table in ``adata.uns[key_added]`` (default
    ``adata.uns["{default_key}"]``).
    """ + settings_note('adata.uns[key_added + "_params"]', "``score_key`` and the settings from "
                        f"``covariates`` (as a list) to ``{last}``")


_OUTCOME_INPUTS = """
data
    An AnnData with the scores in ``adata.obsm[score_key]`` (a DataFrame, as
    :func:`omics.tl.sample_scores` stores it) and the sample sheet in ``obs``; or a
    samples x scores table (e.g. one column per gene set), indexed by sample id; NaN
    marks a missing score. Samples are matched to ``obs`` by index.
obs
    Table input: sample sheet indexed by sample id, with the
    {columns} columns. AnnData input: leave ``None`` (``adata.obs`` is used).
"""


def response_model(
    data: ad.AnnData | pd.DataFrame,
    obs: pd.DataFrame | None = None,
    *,
    score_key: str = SCORES_KEY,
    key_added: str = RESPONSE_KEY,
    covariates: Sequence[str] = ("age", "diabetes"),
    arm_col: str = "arm",
    response_col: str = "response",
    treated: str = "bmmnc",
    control: str = "placebo",
    responder: str = "responder",
    folds: int = 5,
    repeats: int = 50,
    seed: int = 0,
    alpha: float = 0.05,
    method: str = "firth",
    multiplicity: str = "bh",
    return_cv: bool = False,
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    settings = forwarded(_response.response_model, locals())
    scores, sheet = _scores_obs(data, obs, score_key, "response_model")
    if not is_anndata(data):
        return _response.response_model(scores, sheet, **settings)
    table, cv = _response.response_model(scores, sheet, **{**settings, "return_cv": True})
    settings.pop("return_cv")
    _store(data, key_added, table.copy(), settings, score_key)
    data.uns[key_added + CV_SUFFIX] = cv.copy()
    return (table, cv) if return_cv else table


response_model.__doc__ = compose(
    _response.response_model,
    summary="Classify each score as predictive of BM-MNC benefit, prognostic, or neither "
            "(from an AnnData or a scores table and a sample sheet).",
    replace=("scores", "obs"),
    inputs=_OUTCOME_INPUTS.format(columns="arm, response and covariate"),
    extra=_MODEL_EXTRA,
    stored=_model_stored("response_model", "multiplicity") + """
    The out-of-fold predictions (the second table of ``return_cv=True``) are stored in
    ``adata.uns[key_added + "_cv"]`` (default ``adata.uns["response_model_cv"]``), which
    :func:`omics.pl.roc` draws.
    """,
)


def survival_model(
    data: ad.AnnData | pd.DataFrame,
    obs: pd.DataFrame | None = None,
    *,
    score_key: str = SCORES_KEY,
    key_added: str = SURVIVAL_KEY,
    covariates: Sequence[str] = ("age", "diabetes"),
    arm_col: str = "arm",
    time_col: str = "afs_days",
    event_col: str = "afs_event",
    treated: str = "bmmnc",
    control: str = "placebo",
    alpha: float = 0.05,
    multiplicity: str = "bh",
    arm_test: str = "score",
    horizon_days: float | None = RESPONSE_DAY,
) -> pd.DataFrame:
    settings = forwarded(_survival.survival_model, locals())
    scores, sheet = _scores_obs(data, obs, score_key, "survival_model")
    table = _survival.survival_model(scores, sheet, **settings)
    if is_anndata(data):
        _store(data, key_added, table.copy(), settings, score_key)
    return table


survival_model.__doc__ = compose(
    _survival.survival_model,
    summary="Cox models of amputation-free survival per score, classified like the logistic model "
            "(from an AnnData or a scores table and a sample sheet).",
    replace=("scores", "obs"),
    inputs=_OUTCOME_INPUTS.format(columns="arm, ``time_col``, ``event_col`` and covariate"),
    extra=_MODEL_EXTRA,
    stored=_model_stored("survival_model", "horizon_days"),
)


def kaplan_meier(
    data: ad.AnnData | pd.DataFrame,
    obs: pd.DataFrame | None = None,
    *,
    score_key: str = SCORES_KEY,
    key_added: str = KM_KEY,
    arm_col: str = "arm",
    time_col: str = "afs_days",
    event_col: str = "afs_event",
    arms: Sequence[str] = ("placebo", "bmmnc"),
    horizon_days: float | None = RESPONSE_DAY,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    settings = forwarded(_survival.kaplan_meier, locals())
    scores, sheet = _scores_obs(data, obs, score_key, "kaplan_meier")
    curves, logrank = _survival.kaplan_meier(scores, sheet, **settings)
    if is_anndata(data):
        _store(data, key_added, {"curves": curves.copy(), "logrank": logrank.copy()}, settings, score_key)
    return curves, logrank


kaplan_meier.__doc__ = compose(
    _survival.kaplan_meier,
    summary="Kaplan-Meier curves by score median split within each arm, with log-rank tests "
            "(from an AnnData or a scores table and a sample sheet).",
    replace=(),
    inputs=_OUTCOME_INPUTS.format(columns="arm, ``time_col`` and ``event_col``"),
    extra="""
    score_key
        AnnData input: ``obsm`` key of the scores.
    key_added
        AnnData input: the tables are stored in ``adata.uns[key_added]``.
    arm_col, time_col, event_col
        Sample-sheet columns of the arm, the follow-up in days and the event (1 = major
        amputation or death).
    arms
        Arms drawn, in this order.
    horizon_days
        The end point: follow-up is censored at this day (default 183, six months); None
        uses all follow-up.
    """,
    stored="""
    Given an AnnData, reads ``adata.obsm[score_key]`` (default ``"angio_scores"``) and
    ``adata.obs``, and stores ``adata.uns[key_added] = {"curves": curves, "logrank":
    logrank}`` (default ``adata.uns["kaplan_meier"]``), which :func:`omics.pl.km` reads.
    """ + settings_note('adata.uns[key_added + "_params"]',
                        "``score_key``, ``arm_col``, ``time_col``, ``event_col``, ``arms``, "
                        "``horizon_days``"),
    returns="""
    tuple of pandas.DataFrame
        ``(curves, logrank)`` as described above.
    """,
)
