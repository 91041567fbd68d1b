"""Protein preprocessing: log2, valid-value filter, normalisation, imputation, missingness QC.

The functions follow scanpy's convention: they change the AnnData in place and return
None, or work on a copy and return it when ``copy=True``. Each records its parameters
and counts in ``adata.uns["protein_preprocessing"][<step>]``. Expected order:
:func:`log2_transform`, :func:`filter_valid_values`, :func:`normalize`, :func:`impute`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import anndata as ad
import numpy as np
import pandas as pd

from .._errors import InputError
from .._logging import get_logger
from ..io._contrasts import formula_variables
from ..tl._keys import check_anndata
from ._views import set_x

log = get_logger("pp")

NORMALIZE_METHODS = ("median", "quantile", "none")
IMPUTE_METHODS = ("none", "minprob", "knn")

#: No log2 value reaches this (2**100 would be the intensity): larger values are linear
#: (``omics.tl.limma`` refuses larger values as not log2; :func:`log2_transform` refuses
#: smaller ones without the reader's record of the scale).
LOG2_LIMIT = 100.0


def _matrix(adata: ad.AnnData) -> np.ndarray:
    x = adata.X
    if hasattr(x, "toarray"):
        x = x.toarray()
    return np.array(x, dtype=np.float64)


def _record(adata: ad.AnnData, step: str, info: dict) -> None:
    steps = dict(adata.uns.get("protein_preprocessing", {}))
    steps[step] = info
    adata.uns["protein_preprocessing"] = steps


def _input_is_log2(adata: ad.AnnData) -> bool:
    return bool(adata.uns.get("protein_input", {}).get("is_log2", False))


def _on_log2_scale(adata: ad.AnnData) -> bool:
    return "log2" in adata.layers or _input_is_log2(adata)


def _method_key(method: str, choices: tuple[str, ...], what: str, option: str) -> str:
    """Normalise a method name, or stop naming the choices and the option to set."""
    key = str(method).strip().lower()
    if key not in choices:
        raise InputError(f"unknown protein {what} {method!r}; use one of {', '.join(choices)} (--{option}).")
    return key


def _require_log2(adata: ad.AnnData, step: str) -> None:
    """Stop with an InputError naming ``step`` (e.g. ``"pp.normalize"``) unless on the log2 scale."""
    if not _on_log2_scale(adata):
        raise InputError(
            f"{step} expects log2 intensities: run omics.pp.log2_transform(adata) first (or set "
            "adata.uns['protein_input']['is_log2'] = True for log2 input)."
        )


def _empty_columns_text(adata: ad.AnnData, samples: Sequence[str]) -> str:
    """``" (columns 'LFQ intensity S3', ...)"`` of ``samples`` in the protein file, or ``""``.

    The columns are the reader's record (``uns["protein_input"]["empty_columns"]``), else,
    for MaxQuant, ``<intensity prefix> <sample>``.
    """
    info = adata.uns.get("protein_input", {})
    known = dict(zip(map(str, info.get("empty_samples", [])), map(str, info.get("empty_columns", [])),
                     strict=False))
    prefix = info.get("intensity_prefix")
    columns = [known.get(str(s)) or (f"{prefix} {s}" if prefix else None) for s in samples[:10]]
    columns = [c for c in columns if c]
    if not columns:
        return ""
    return f" (column{'s' if len(columns) > 1 else ''} {', '.join(map(repr, columns))})"


def log2_transform(adata: ad.AnnData, *, copy: bool = False) -> ad.AnnData | None:
    """Turn intensities into log2 values with missing values as NaN.

    Linear input (``uns["protein_input"]["is_log2"]`` False): zeros and negative values
    (MaxQuant and DIA-NN write 0 for "not quantified") become NaN, with their count
    logged, and the rest is log2-transformed. Log2 input (proteus, Olink NPX, log2 TSV):
    only non-finite values become NaN. Calling it twice does not transform twice.

    The :mod:`omics.io` protein readers record the scale in ``uns["protein_input"]``.
    An AnnData without that record (built from a table of one's own) is taken as linear
    intensities only when they look linear: values that already look like log2 (every
    finite value below 100, the limit :func:`omics.tl.limma` uses, or any negative value)
    stop with an :class:`~omics._errors.InputError` instead of being logged a second time
    (their negative values would become missing). Set
    ``adata.uns["protein_input"] = {"is_log2": True}`` for log2 values, or
    ``{"is_log2": False}`` for linear intensities that are all below 100.

    Parameters
    ----------
    adata
        Proteins as ``var``, samples as ``obs``; intensities in ``X``. The scale is
        ``adata.uns["protein_input"]["is_log2"]`` (True: ``X`` is log2 already; False:
        linear), as the :mod:`omics.io` readers record it.
    copy
        Work on and return a copy.

    Returns
    -------
    The AnnData when ``copy`` is True, else None. The result is in ``X`` and
    ``layers["log2"]``.

    Raises
    ------
    omics._errors.InputError
        When ``adata`` is not an AnnData, or it has no ``uns["protein_input"]`` and ``X``
        looks like log2 values (finite maximum below 100, or a negative value).
    """
    check_anndata(adata, "pp.log2_transform", "protein")
    adata = adata.copy() if copy else adata
    if "log2_transform" in adata.uns.get("protein_preprocessing", {}):
        log.warning("log2_transform already applied; leaving the data unchanged")
        return adata if copy else None
    x = _matrix(adata)
    if "protein_input" not in adata.uns:
        _check_looks_linear(x)
    nonfinite = ~np.isfinite(x) & ~np.isnan(x)
    info: dict = {"input_is_log2": _input_is_log2(adata), "nonfinite_to_nan": int(nonfinite.sum())}
    x[nonfinite] = np.nan
    if info["input_is_log2"]:
        info.update(zeros_to_nan=0, negatives_to_nan=0)
    else:
        zeros = x == 0
        negatives = x < 0
        info.update(zeros_to_nan=int(zeros.sum()), negatives_to_nan=int(negatives.sum()))
        x[zeros | negatives] = np.nan
        x = np.log2(x)
        log.info("log2: %d zero and %d negative intensities set to missing (of %d values)",
                 info["zeros_to_nan"], info["negatives_to_nan"], x.size)
    if info["nonfinite_to_nan"]:
        log.info("log2: %d non-finite values set to missing", info["nonfinite_to_nan"])
    info["fraction_missing"] = float(np.isnan(x).mean()) if x.size else 0.0
    set_x(adata, x)
    adata.layers["log2"] = x.copy()
    _record(adata, "log2_transform", info)
    return adata if copy else None


def _check_looks_linear(x: np.ndarray) -> None:
    """Stop when ``x`` (no reader's record of its scale) looks like log2 values already."""
    finite = x[np.isfinite(x)]
    if not finite.size:
        return
    largest, negatives = float(finite.max()), int((finite < 0).sum())
    if largest >= LOG2_LIMIT and not negatives:
        return
    seen = (f"{negatives} negative value{'s' if negatives != 1 else ''}, smallest "
            f"{float(finite.min()):.4g}, max {largest:.4g}" if negatives
            else f"every value below {LOG2_LIMIT:g}: max {largest:.4g}")
    raise InputError(
        "pp.log2_transform: X looks like log2 values already (" + seen + ") and the AnnData has no "
        "record of its scale (adata.uns['protein_input'], which the omics.io readers write); for "
        "log2 data set adata.uns['protein_input'] = {'is_log2': True} (log2_transform then only "
        "sets non-finite values missing), or pass linear intensities (set "
        "adata.uns['protein_input'] = {'is_log2': False} to log2-transform these values)")


# attrs key of a contrast_groups Series: NaN labels mean "in no group", not a sheet error
_NO_GROUP_OK = "omics_missing_is_no_group"


def _group_labels(adata: ad.AnnData, groups: pd.Series | Sequence | np.ndarray | str | None) -> pd.Series:
    if groups is None:
        return pd.Series("all", index=adata.obs_names)
    if isinstance(groups, str):
        if groups not in adata.obs.columns:
            raise InputError(
                f"valid-value filter: grouping column {groups!r} is not in the sample metadata "
                f"(columns: {', '.join(map(str, adata.obs.columns))}); choose an existing column."
            )
        groups = adata.obs[groups]
    if not isinstance(groups, pd.Series):  # a list or array, one label per sample in obs order
        values = np.asarray(groups, dtype=object)
        if values.ndim != 1 or len(values) != adata.n_obs:
            raise InputError(f"valid-value filter: {len(values)} group labels for {adata.n_obs} samples; "
                             "pass one label per sample (in adata.obs order) or a Series indexed by sample")
        groups = pd.Series(values, index=adata.obs_names)
    labels = groups
    missing = [s for s in adata.obs_names if s not in labels.index]
    if missing:
        raise InputError(
            f"valid-value filter: no group for sample(s) {', '.join(missing[:10])}; every sample "
            "needs a group label."
        )
    labels = labels.reindex(adata.obs_names)
    unlabelled = labels.index[labels.isna()].tolist()
    if unlabelled and groups.attrs.get(_NO_GROUP_OK):  # contrast_groups: a variable missing
        log.info("valid-value filter: %d sample(s) with a missing level of a compared variable "
                 "are in no group: %s", len(unlabelled), ", ".join(map(str, unlabelled[:10])))
        return labels.astype(str).where(labels.notna(), np.nan)
    if unlabelled:
        raise InputError(
            f"valid-value filter: empty group for sample(s) {', '.join(map(str, unlabelled[:10]))};"
            " fill in the grouping column of the sample sheet."
        )
    return labels.astype(str)


def contrast_groups(obs: pd.DataFrame, contrasts: Sequence[object] | Mapping[str, object]) -> pd.Series:
    """Valid-value groups: the combinations of the levels of the variables the contrasts compare.

    The groups ``omics run`` counts valid values in (:func:`filter_valid_values`): one
    group per combination of the levels of all compared categorical variables together
    (not one set of groups per contrast). For the BALI contrasts (response within an arm,
    across arms, arm x response) these are the four ``response|arm`` cells, so a protein
    seen in most responders of one arm is kept.

    Parameters
    ----------
    obs
        Sample sheet indexed by sample (``adata.obs``).
    contrasts
        :class:`omics.io.Contrast` objects (``omics.io.read_contrasts``), or a mapping of
        ids to them. Numeric
        variables (continuous contrasts, numeric covariates) do not split the samples;
        the variable of a comparison does, numeric (``[treated, 0, 1]``) or not.

    Returns
    -------
    pandas.Series
        ``"|"``-joined levels per sample, indexed like ``obs`` (``"all"`` when no
        contrast has a categorical variable). A sample with a missing value of any compared
        variable (a response unknown, e.g. censored before the end point) gets NaN and
        belongs to no group of the filter: :func:`filter_valid_values` counts its values
        in no group, so they do not count towards keeping a protein for any contrast. The
        differential test is not affected: a contrast of another variable (the arm)
        still tests that sample, although its values did not count towards the filter.
        (NaN labels given to :func:`filter_valid_values` otherwise stop there.)
    """
    if isinstance(contrasts, Mapping):  # {id: Contrast}, as a notebook keeps them
        contrasts = list(contrasts.values())
    columns: list[str] = []
    for contrast in contrasts:
        if contrast.is_formula:
            names = [c for c in formula_variables(contrast.formula or "") if c in obs.columns
                     and not pd.api.types.is_numeric_dtype(obs[c])]
        elif contrast.is_continuous:
            names = []
        else:  # a comparison of two levels, of a numeric column too (0 vs 1)
            names = [contrast.variable]
        columns += [c for c in names if c and c not in columns]
    if not columns:
        return pd.Series("all", index=obs.index)
    labels = obs[columns].astype(str).agg("|".join, axis=1)
    labels = labels.where(~obs[columns].isna().any(axis=1).to_numpy(), np.nan)
    labels.attrs[_NO_GROUP_OK] = True
    return labels


def filter_valid_values(
    adata: ad.AnnData,
    groups: pd.Series | Sequence | np.ndarray | str | None = None,
    *,
    min_fraction: float = 0.7,
    copy: bool = False,
) -> ad.AnnData | None:
    """Keep proteins observed in at least ``min_fraction`` of the samples of some group.

    Parameters
    ----------
    adata
        Log2 intensities with NaN for missing values (after :func:`log2_transform`).
    groups
        Group label per sample: a Series indexed by sample name (e.g.
        :func:`contrast_groups`), a list or array in ``adata.obs`` order, or the name of an
        ``obs`` column; None treats all samples as one group. A missing label stops,
        except in a Series from :func:`contrast_groups`, where it marks a sample with a
        missing value of a compared variable: it belongs to no group, its values count
        nowhere, and the protein is kept or removed as the other samples' groups decide
        (a contrast of another variable, one the sample has a value of, still tests it
        in DE).
    min_fraction
        Minimum fraction of observed (non-NaN) values, reached in at least one group;
        a group of ``n`` samples needs ``ceil(min_fraction * n)`` observations. 0 keeps
        every protein.
    copy
        Work on and return a copy.

    Returns
    -------
    The filtered AnnData when ``copy`` is True, else None.

    Raises
    ------
    InputError
        When no protein passes (the message names ``min_fraction`` to lower), or when a
        sample with observed values has none left (the message names the sample and the
        ``min_fraction`` at or below which one of its proteins is kept): QC and
        imputation cannot use a sample without values.
    """
    check_anndata(adata, "pp.filter_valid_values", "protein")
    if not 0 <= min_fraction <= 1:
        raise InputError(f"valid-value fraction must be between 0 and 1, got {min_fraction}.")
    adata = adata.copy() if copy else adata
    labels = _group_labels(adata, groups)
    x = _matrix(adata)
    observed = ~np.isnan(x)
    keep = np.zeros(adata.n_vars, dtype=bool) if min_fraction > 0 else np.ones(adata.n_vars, bool)
    needed: dict[str, int] = {}
    if min_fraction > 0:
        for label in pd.unique(labels.dropna()):
            members = (labels == label).to_numpy()
            need = max(1, int(np.ceil(min_fraction * members.sum() - 1e-9)))
            needed[str(label)] = need
            keep |= observed[members].sum(axis=0) >= need
    n_removed = int((~keep).sum())
    log.info("valid-value filter (>= %.0f%% observed in at least one of %d group(s)): removed "
             "%d of %d proteins, %d kept", 100 * min_fraction, labels.nunique(dropna=True), n_removed,
             adata.n_vars, int(keep.sum()))
    if not keep.any():
        raise InputError(
            f"no protein is observed in >= {min_fraction:.0%} of the samples of any group "
            f"(needed per group: {needed}); lower the valid-value threshold "
            "({--protein_min_valid_fraction}) or check the intensity columns."
        )
    emptied = observed.any(axis=1) & ~observed[:, keep].any(axis=1)
    if emptied.any():  # QC and imputation cannot use them; say so now, naming the filter
        samples = [str(s) for s in adata.obs_names[emptied]]
        # the largest fraction keeping one of each such sample's proteins (per group, as above)
        best = np.zeros(adata.n_vars)
        for label in pd.unique(labels.dropna()):
            members = (labels == label).to_numpy()
            best = np.maximum(best, observed[members].sum(axis=0) / members.sum())
        lower = min(best[observed[i]].max() for i in np.flatnonzero(emptied))
        floor = np.floor(lower * 100) / 100
        kept = min(int((best[observed[i]] >= floor).sum()) for i in np.flatnonzero(emptied))
        complete = int(observed[:, best >= floor].all(axis=0).sum())
        if floor <= 0:
            advice = "or lower {--protein_min_valid_fraction}."
        elif complete < 2:  # sample QC's PCA needs >= 2 proteins observed in every sample
            advice = (f"or lower {{--protein_min_valid_fraction}} to {floor:g} or less and impute "
                      "the missing values ({--protein_imputation} minprob or knn): then "
                      f"{complete} protein(s) are observed in every sample, too few for sample QC "
                      "without imputation.")
        else:
            advice = (f"or lower {{--protein_min_valid_fraction}} to {floor:g} or less (keeps "
                      f"{kept} of {'its' if len(samples) == 1 else 'their'} proteins).")
        one = len(samples) == 1
        raise InputError(
            f"sample{'' if one else 's'} {', '.join(map(repr, samples[:10]))} "
            f"{'has' if one else 'have'} no observed value left after the valid-value filter "
            f"(>= {min_fraction:.0%} observed in a group): {'its' if one else 'their'} "
            f"{int(observed[emptied].sum())} observed value(s) are all in removed proteins.",
            path=adata.uns.get("protein_input", {}).get("path"),
            fix=f"Remove the sample(s) from the sample sheet (a failed run?), {advice}")
    if n_removed:
        adata._inplace_subset_var(keep)
    _record(adata, "filter_valid_values", {
        "min_fraction": float(min_fraction),
        "grouping": groups if isinstance(groups, str) else (
            None if groups is None else str(getattr(groups, "name", None) or "groups")),
        "needed_per_group": needed,
        "n_removed": n_removed,
        "n_kept": int(keep.sum()),
    })
    return adata if copy else None


def _quantile_normalize(x: np.ndarray) -> np.ndarray:
    """Quantile-normalise the rows (samples) of ``x``, tolerating NaN.

    Each sample's sorted observed values are interpolated onto a common grid of
    ``n_features`` probabilities; the target distribution is the mean over samples.
    Observed values are then replaced by the target at their (tie-averaged) rank
    position, and NaN stay NaN. Without NaN and ties the samples end up with identical
    sets of values.
    """
    from scipy.stats import rankdata  # scipy.stats costs ~0.5 s to import: only for quantile

    n_samples, n_features = x.shape
    out = np.full_like(x, np.nan)
    if n_features == 0:
        return out
    grid = np.linspace(0.0, 1.0, n_features)
    usable = [i for i in range(n_samples) if np.isfinite(x[i]).any()]
    quantiles = np.empty((len(usable), n_features))
    for k, i in enumerate(usable):
        values = np.sort(x[i][~np.isnan(x[i])])
        if values.size == 1:
            quantiles[k] = values[0]
        else:
            quantiles[k] = np.interp(grid, np.linspace(0.0, 1.0, values.size), values)
    target = quantiles.mean(axis=0)
    for i in usable:
        seen = ~np.isnan(x[i])
        n = int(seen.sum())
        ranks = rankdata(x[i][seen], method="average")
        position = (ranks - 1) / (n - 1) if n > 1 else np.full(n, 0.5)
        out[i, seen] = np.interp(position, grid, target)
    return out


def normalize(
    adata: ad.AnnData, method: str = "median", *, copy: bool = False
) -> ad.AnnData | None:
    """Normalise log2 intensities between samples.

    Parameters
    ----------
    adata
        Log2 intensities (after :func:`log2_transform`), NaN for missing.
    method
        ``"median"``: subtract each sample's median of observed values and add back the
        mean of the medians, so values stay on the original log2 scale; ``"quantile"``:
        quantile normalisation tolerating NaN (each sample's observed values are mapped
        by rank onto the mean quantile function, interpolating between quantiles when
        samples have different numbers of observations, as limma's
        ``normalizeQuantiles`` does); ``"none"``: unchanged.
    copy
        Work on and return a copy.

    Returns
    -------
    The AnnData when ``copy`` is True, else None. The result is in ``X`` and
    ``layers["normalized"]``; ``uns["protein_preprocessing"]["normalize"]`` records the
    ``method`` and, for ``"median"``, the ``centre`` and ``sample_medians`` (a data frame
    indexed by sample, column ``median``).
    """
    check_anndata(adata, "pp.normalize", "protein")
    key = _method_key(method, NORMALIZE_METHODS, "normalisation", "protein_normalization")
    _require_log2(adata, "pp.normalize")
    adata = adata.copy() if copy else adata
    x = _matrix(adata)
    info: dict = {"method": key}
    if key == "median":
        with np.errstate(all="ignore"):
            medians = np.array([np.median(row[~np.isnan(row)]) if (~np.isnan(row)).any()
                                else np.nan for row in x])
        if np.isnan(medians).all():
            raise InputError("median normalisation: no sample has an observed value.")
        centre = float(np.nanmean(medians))
        x = x - np.where(np.isnan(medians), 0.0, medians - centre)[:, None]
        # One table, not one scalar per sample: a dict of 1,000 medians is 1,000 HDF5
        # datasets, which every later read of the file visits (0.4 s a read, 0.8 s to write).
        info.update(centre=centre, sample_medians=pd.DataFrame(
            {"median": medians}, index=pd.Index(adata.obs_names.astype(str), name="sample")))
        log.info("median normalisation: sample medians %.2f..%.2f shifted to %.2f",
                 float(np.nanmin(medians)), float(np.nanmax(medians)), centre)
    elif key == "quantile":
        x = _quantile_normalize(x)
        log.info("quantile normalisation of %d samples", adata.n_obs)
    set_x(adata, x)
    adata.layers["normalized"] = x.copy()
    _record(adata, "normalize", info)
    return adata if copy else None


def _sample_rng(seed: int, sample: str) -> np.random.Generator:
    """Return the generator of one sample's draws, seeded by ``seed`` and the sample's name.

    So a sample's imputed values do not depend on where it stands in the sample sheet or
    the matrix, nor on which other samples are analysed.
    """
    import hashlib

    digest = hashlib.sha256(str(sample).encode("utf-8")).digest()
    words = [int.from_bytes(digest[i:i + 4], "little") for i in range(0, 16, 4)]
    return np.random.default_rng(np.random.SeedSequence([int(seed), *words]))


def _minprob(x: np.ndarray, seed: int, samples: Sequence[str], features: Sequence[str], *,
             quantile: float, tune_sigma: float, shift: float) -> tuple[np.ndarray, dict]:
    """Left-censored draws per sample (rows); see :func:`impute`.

    Each sample draws from its own generator (:func:`_sample_rng`), for its missing values
    in the order of the sorted ``features`` (protein ids), so a value does not depend on
    the order of the samples or proteins.
    """
    n_samples, n_features = x.shape
    observed = ~np.isnan(x)
    frequent = observed.sum(axis=0) > 0.5 * n_samples
    candidates = frequent if (observed[:, frequent].sum(axis=0) >= 2).any() else (
        observed.sum(axis=0) >= 2)
    if not candidates.any():
        raise InputError(
            "minprob imputation needs proteins observed in at least two samples to estimate "
            "the spread; use {--protein_imputation} none or knn."
        )
    with np.errstate(all="ignore"):
        sds = np.nanstd(x[:, candidates], axis=0, ddof=1)
    sd = float(np.nanmedian(sds)) * tune_sigma
    out = x.copy()
    centres, caps = [], []
    order = np.argsort(np.asarray([str(f) for f in features], dtype=object), kind="stable")
    for i in range(n_samples):
        rng = _sample_rng(seed, samples[i])
        seen = x[i][observed[i]]
        centre = float(np.quantile(seen, quantile)) - shift
        cap = float(np.median(seen))
        centres.append(centre)
        caps.append(cap)
        holes = order[~observed[i][order]]  # missing values, in sorted protein-id order
        draws = rng.normal(centre, sd, holes.size)
        # Left-censored values lie below the sample's observed median: redraw the rare
        # draws above it, then clip whatever is still above.
        for _ in range(20):
            high = draws >= cap
            if not high.any():
                break
            draws[high] = rng.normal(centre, sd, int(high.sum()))
        draws = np.minimum(draws, np.nextafter(cap, -np.inf))
        out[i, holes] = draws
    return out, {"sd": sd, "centres": centres, "caps": caps}


def impute(
    adata: ad.AnnData,
    method: str = "none",
    *,
    seed: int = 0,
    knn_neighbors: int = 5,
    minprob_quantile: float = 0.01,
    minprob_tune_sigma: float = 0.3,
    minprob_shift: float = 0.0,
    copy: bool = False,
) -> ad.AnnData | None:
    """Fill missing log2 intensities, or leave them missing.

    Parameters
    ----------
    adata
        Log2 intensities, normalised, NaN for missing.
    method
        ``"none"`` (default): keep NaN; the differential model then uses each protein's
        observed values. ``"minprob"``: left-censored imputation as in imputeLCMD's
        ``impute.MinProb``: in each sample, missing values are drawn from a normal
        distribution centred on the ``minprob_quantile`` quantile of that sample's observed
        values (minus ``minprob_shift``) with standard deviation the median of the
        protein-wise standard deviations (proteins observed in more than half of the
        samples) times ``minprob_tune_sigma``; draws are kept below the sample's observed
        median. ``"knn"``: :class:`sklearn.impute.KNNImputer` with proteins as rows and
        samples as features, so a missing value is the mean of the same sample's values
        of the ``knn_neighbors`` proteins with the most similar profiles across samples
        (as ``impute.knn`` does for expression matrices; with a handful of samples,
        neighbouring proteins are better supported than neighbouring samples). Proteins
        without any observed value get the sample mean.
    seed
        Seed of ``"minprob"``: each sample draws from a :class:`numpy.random.Generator`
        seeded by ``seed`` and the sample's name, in the order of the sorted protein ids,
        so an imputed value does not depend on the order of the samples or proteins.
    knn_neighbors
        Number of neighbouring proteins for ``"knn"``.
    minprob_quantile
        Quantile of each sample's observed values used as the centre of the draws
        (imputeLCMD's ``q``).
    minprob_tune_sigma
        Factor on the median protein standard deviation (imputeLCMD's ``tune.sigma``,
        whose default there is 1; 0.3 gives a narrow distribution as in Perseus).
    minprob_shift
        Extra downward shift of the centre, in log2 units (0 = imputeLCMD).
    copy
        Work on and return a copy.

    Returns
    -------
    The AnnData when ``copy`` is True, else None. ``layers["imputed_mask"]`` marks the
    filled values (all False for ``"none"``); when imputing, the result is in ``X`` and
    ``layers["imputed"]``.
    """
    check_anndata(adata, "pp.impute", "protein")
    key = _method_key(method, IMPUTE_METHODS, "imputation", "protein_imputation")
    _require_log2(adata, "pp.impute")
    adata = adata.copy() if copy else adata
    x = _matrix(adata)
    missing = np.isnan(x)
    info: dict = {"method": key, "n_missing": int(missing.sum())}
    if key == "none" or not missing.any():
        adata.layers["imputed_mask"] = np.zeros_like(missing)
        if key != "none":
            log.info("imputation (%s): no missing values", key)
            adata.layers["imputed"] = x.copy()
        _record(adata, "impute", info)
        return adata if copy else None
    empty = [str(s) for s, e in zip(adata.obs_names, missing.all(axis=1), strict=True) if e]
    if empty:
        filtered = adata.uns.get("protein_preprocessing", {}).get("filter_valid_values", {})
        where = (" left after the valid-value filter" if filtered.get("n_removed") else "")
        raise InputError(
            f"cannot impute: sample(s) {', '.join(empty[:10])} have no observed value{where}"
            f"{_empty_columns_text(adata, empty)} (a failed run?).",
            path=adata.uns.get("protein_input", {}).get("path"),
            fix="Remove the sample(s) from the sample sheet.")
    if key == "minprob":
        filled, details = _minprob(x, int(seed), list(map(str, adata.obs_names)),
                                   list(map(str, adata.var_names)), quantile=minprob_quantile,
                                   tune_sigma=minprob_tune_sigma, shift=minprob_shift)
        info.update(seed=int(seed), quantile=float(minprob_quantile),
                    tune_sigma=float(minprob_tune_sigma), shift=float(minprob_shift),
                    sd=details["sd"])
    else:
        from sklearn.impute import KNNImputer

        imputer = KNNImputer(n_neighbors=int(knn_neighbors), keep_empty_features=True)
        filled = imputer.fit_transform(x.T).T
        info.update(knn_neighbors=int(knn_neighbors), orientation="proteins as rows")
    log.info("imputation (%s): filled %d missing values (%.1f%%)", key, int(missing.sum()),
             100 * missing.mean())
    set_x(adata, filled)
    adata.layers["imputed"] = filled.copy()
    adata.layers["imputed_mask"] = missing
    _record(adata, "impute", info)
    return adata if copy else None


def missingness_qc(adata: ad.AnnData) -> pd.DataFrame:
    """Per-sample missingness and log2 intensity summary.

    Parameters
    ----------
    adata
        Protein AnnData; ``X`` is used when on the log2 scale, else ``log2`` of the
        positive values of ``X`` (zeros count as missing). Values marked in
        ``layers["imputed_mask"]`` count as missing, so the table describes the measured
        data also after imputation.

    Returns
    -------
    Data frame indexed by sample with ``n_observed``, ``fraction_missing``,
    ``median_log2`` and ``iqr_log2`` (of the observed values).

    Raises
    ------
    omics._errors.InputError
        When ``adata`` is not an AnnData (e.g. a MuData: pass ``mdata["protein"]``).
    """
    check_anndata(adata, "pp.missingness_qc", "protein")
    x = _matrix(adata)
    if "imputed_mask" in adata.layers:
        x = np.where(np.asarray(adata.layers["imputed_mask"], dtype=bool), np.nan, x)
    if not _on_log2_scale(adata):
        with np.errstate(all="ignore"):
            x = np.where(x > 0, np.log2(np.where(x > 0, x, 1.0)), np.nan)
    x = np.where(np.isfinite(x), x, np.nan)
    observed = ~np.isnan(x)
    n_observed = observed.sum(axis=1)
    rows = []
    for row, seen in zip(x, observed, strict=True):
        values = row[seen]
        if values.size:
            q1, median, q3 = np.quantile(values, [0.25, 0.5, 0.75])
            rows.append((median, q3 - q1))
        else:
            rows.append((np.nan, np.nan))
    stats = np.array(rows, dtype=float).reshape(-1, 2)
    return pd.DataFrame(
        {
            "n_observed": n_observed.astype(int),
            "fraction_missing": 1 - n_observed / max(adata.n_vars, 1),
            "median_log2": stats[:, 0],
            "iqr_log2": stats[:, 1],
        },
        index=pd.Index(adata.obs_names, name="sample"),
    )
