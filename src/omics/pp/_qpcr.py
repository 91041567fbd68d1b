"""RT-qPCR: technical replicates, the Ct limit policy, geNorm and delta-Ct.

Conventions (documented in the README, section "RT-qPCR"):

- a well is *not detected* when its Ct is undetermined or ``>= max_ct``;
- per sample and target the Ct is the mean of the detected replicates; when their
  standard deviation exceeds ``max_sd`` cycles, a replicate set of three or more drops
  the replicate farthest from the median of the others (``outlier_removed``) and two
  replicates are kept and flagged (``high_sd``); a set whose SD still exceeds ``max_sd``
  after the drop is flagged ``high_sd`` too; when no single replicate is the farthest
  (a tie, e.g. 27.0, 27.6, 28.2) none is dropped and the set is flagged ``high_sd``;
- a sample/target with no detected replicate is set to ``max_ct`` (policy ``limit``:
  the lowest quantifiable expression, a conservative bound) or left missing (policy
  ``missing``: limma then fits that target on the samples where it was detected); both
  are flagged ``undetermined``;
- with per-target amplification factors ``E`` (Pfaffl 2001), Cts are put on the log2
  scale as ``Ct * log2(E)`` (``E = 2`` gives the plain Ct);
- delta-Ct = scaled Ct of the target minus the mean scaled Ct of the reference genes of
  that sample (i.e. log2 of the geometric mean of the references' relative quantities);
  ``-delta-Ct`` is the log2 relative quantity that is analysed.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd

from .._errors import InputError
from .._logging import get_logger
from .._provenance import input_record
from ..io._qpcr import (
    EFFICIENCY_RANGE,
    MAX_POSSIBLE_CT,
    as_amplification_factor,
    check_efficiency_targets,
    not_amplification_factor,
)
from ..params import unique_names

log = get_logger("pp")

#: Columns :func:`qpcr_average_replicates` needs in its long table.
LONG_REQUIRED = ("sample", "target", "ct")
#: Layers :func:`qpcr_delta_ct` reads (written by :func:`qpcr_average_replicates`).
CT_LAYERS = ("ct", "undetermined", "measured")

#: Vandesompele et al. (2002): a pairwise variation below this makes the next gene unnecessary.
GENORM_V_CUTOFF = 0.15


#: Distances from the median of the others that differ by less than this (cycles) are a tie:
#: far below the 0.001-cycle resolution of instrument exports, far above rounding error.
_TIE_CYCLES = 1e-9


def _summarise(cts: np.ndarray, max_sd: float) -> tuple[float, float, int, str]:
    """Mean, SD, replicates used and flag of one sample/target's detected replicate Cts.

    The outlier rule looks at each well's distance from the median of the other wells;
    the well farthest away is dropped only when it is the single farthest one (or the
    farthest ones have one Ct: dropping any gives the same set). When wells of different
    Cts share the largest distance (within :data:`_TIE_CYCLES`; an evenly spread set such
    as 27.0, 27.6, 28.2) no well stands out: all are kept and the set is flagged
    ``high_sd``, so the result does not depend on the order of the wells.
    """
    detected = cts[np.isfinite(cts)]
    if detected.size == 0:
        return np.nan, np.nan, 0, "undetermined"
    flag = "partly_undetermined" if detected.size < cts.size else ""
    sd = float(np.std(detected, ddof=1)) if detected.size > 1 else 0.0
    if sd > max_sd:
        if detected.size >= 3:
            distance = np.array([abs(v - np.median(np.delete(detected, i)))
                                 for i, v in enumerate(detected)])
            farthest = np.flatnonzero(distance >= distance.max() - _TIE_CYCLES)
            # one well is the farthest, or the farthest ones share one Ct (31.0, 31.0): dropping
            # any of them gives the same set, so one is the outlier
            if farthest.size == 1 or np.ptp(detected[farthest]) <= _TIE_CYCLES:
                detected = np.delete(detected, int(farthest[0]))
                sd = float(np.std(detected, ddof=1))
                flag = ";".join(f for f in (flag, "outlier_removed", "high_sd" if sd > max_sd else "")
                                if f)
            else:  # no single farthest well (27.0, 27.6, 28.2): no outlier, all kept
                flag = ";".join(f for f in (flag, "high_sd") if f)
        else:
            flag = ";".join(f for f in (flag, "high_sd") if f)
    return float(np.mean(detected)), sd, int(detected.size), flag


def _check_one_row_per_well(long: pd.DataFrame, path: str | Path | None) -> None:
    """Stop when labelled replicates repeat: two rows of one sample, target, replicate and plate.

    Rows without a replicate label (``""``) are replicates by their position and are not
    checked (:func:`omics.io.read_qpcr` names the lines of a repeated well in a file).
    """
    if "replicate" not in long.columns:
        return
    key = [c for c in ("sample", "target", "replicate", "plate") if c in long.columns]
    labelled = long.loc[long["replicate"].fillna("").astype(str).str.strip() != "", key]
    dup = labelled.duplicated(keep=False)
    if dup.any():
        first = labelled.loc[dup].iloc[0]
        raise InputError(
            f"sample {first['sample']!r}, target {first['target']!r}, replicate "
            f"{first['replicate']!r} has {int((labelled[dup] == first).all(axis=1).sum())} rows; each "
            "well has one row (remove the repeated row or give each replicate its own id).",
            path=path)


def _number(value: object, name: str, function: str, *, positive: bool = True) -> float:
    """Return ``value`` as a finite float, or stop naming the argument (``positive``: above 0)."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and np.isfinite(value)
    if not ok or (value <= 0 if positive else value < 0):
        kind = "positive" if positive else "non-negative"
        raise InputError(f"{function}: {name} {value!r} is not a {kind} number; pass a {kind} "
                         "number.")
    return float(value)


def _check_long(long: pd.DataFrame, path: str | Path | None) -> pd.DataFrame:
    """Return the wells with float Cts; stop unless ``long`` is a table of wells.

    Every row needs a sample and a target name and a Ct that is a positive number of at most
    :data:`~omics.io._qpcr.MAX_POSSIBLE_CT` cycles or NaN (undetermined), as
    :func:`omics.io.read_qpcr` returns them.
    """
    if not isinstance(long, pd.DataFrame):
        raise InputError(f"pp.qpcr_average_replicates: got {type(long).__name__}; pass the long table "
                         "of wells of omics.io.read_qpcr (columns sample, target, ct).", path=path)
    missing = [c for c in LONG_REQUIRED if c not in long.columns]
    if missing:
        raise InputError(
            f"pp.qpcr_average_replicates: the table has no {', '.join(map(repr, missing))} column "
            f"(columns: {', '.join(map(str, list(long.columns)[:10])) or 'none'}); pass the long table "
            "of wells of omics.io.read_qpcr (one row per well: sample, target, ct).", path=path)
    if long.empty:
        raise InputError("pp.qpcr_average_replicates: the table has no wells (0 rows); pass the long "
                         "table of wells of omics.io.read_qpcr.", path=path)
    for column in ("sample", "target"):
        empty = long[column].isna() | (long[column].astype(str).str.strip() == "")
        if empty.any():
            raise InputError(f"pp.qpcr_average_replicates: row {long.index[empty.to_numpy()][0]!r} has "
                             f"no {column}; every well needs a sample and a target name.", path=path)
    ct = pd.to_numeric(long["ct"], errors="coerce").astype(float)
    bad = (ct.isna() & long["ct"].notna()) | np.isinf(ct) | (ct <= 0)
    if bad.any():
        row = long.loc[bad]
        raise InputError(
            f"pp.qpcr_average_replicates: Ct {row['ct'].iloc[0]!r} (row {row.index[0]!r}, sample "
            f"{row['sample'].iloc[0]!r}, target {row['target'].iloc[0]!r}) is not a positive number; "
            "Cts are cycle numbers, NaN for an undetermined well (omics.io.read_qpcr reads them).",
            path=path)
    impossible = ct > MAX_POSSIBLE_CT  # as omics.io.read_qpcr (NaN, undetermined, is not above)
    if impossible.any():
        row = long.loc[impossible]
        raise InputError(
            f"pp.qpcr_average_replicates: Ct {row['ct'].iloc[0]!r} (row {row.index[0]!r}, sample "
            f"{row['sample'].iloc[0]!r}, target {row['target'].iloc[0]!r}) is above "
            f"{MAX_POSSIBLE_CT:g} cycles, which no qPCR run reaches (a lost decimal mark? 2750 for "
            "27.50); pass the Ct as the instrument reports it (e.g. 27.50), NaN for an undetermined "
            "well.", path=path)
    return long.assign(ct=ct)


def qpcr_average_replicates(long: pd.DataFrame, *, max_ct: float = 35.0, max_sd: float = 0.5,
                            undetermined: str = "limit", path: str | Path | None = None
                            ) -> tuple[ad.AnnData, pd.DataFrame]:
    """Average technical replicates and apply the undetermined-Ct policy.

    Parameters
    ----------
    long
        Wells as returned by :func:`omics.io.read_qpcr` (at least ``sample, target, ct``).
        Rows with a ``replicate`` label are one well each: a repeated (sample, target,
        replicate, plate) stops.
    max_ct
        Cts at or above this (and undetermined wells) count as not detected.
    max_sd
        Replicate standard deviation (cycles) above which a replicate set is flagged (after
        dropping an outlier, ``high_sd`` when it is still above). A set of three or more
        drops the well farthest from the median of the others, unless two or more wells
        are equally far (a tie: none is dropped, ``high_sd``), whatever the wells' order.
    undetermined
        ``"limit"`` (set to ``max_ct``) or ``"missing"`` (NaN) for a sample/target with
        no detected replicate.
    path
        The Ct file, named in messages.

    Returns
    -------
    ``(adata, replicates)``: samples x targets AnnData with the averaged Ct in ``X`` and
    ``layers["ct"]``, ``layers["undetermined"]`` (1 = no detected replicate) and
    ``layers["measured"]`` (0 = no well at all); and the per sample/target table
    ``sample, target, n_wells, n_used, ct_mean, ct_sd, flag``.

    Raises
    ------
    omics._errors.InputError
        When a well has no sample or target, a Ct is not a positive number or NaN (or is
        above :data:`omics.io._qpcr.MAX_POSSIBLE_CT`, 60 cycles, as the reader), ``max_ct``
        is not a positive number, ``max_sd`` not a number >= 0 or ``undetermined`` not a
        policy.
    """
    if undetermined not in {"limit", "missing"}:
        raise InputError(f"pp.qpcr_average_replicates: undetermined policy {undetermined!r}: use "
                         "'limit' or 'missing'.", path=path)
    max_ct = _number(max_ct, "max_ct", "pp.qpcr_average_replicates")
    max_sd = _number(max_sd, "max_sd", "pp.qpcr_average_replicates", positive=False)
    long = _check_long(long, path)
    _check_one_row_per_well(long, path)
    wells = long.assign(ct=long["ct"].where(long["ct"] < max_ct))
    samples = list(dict.fromkeys(wells["sample"]))
    targets = list(dict.fromkeys(wells["target"]))
    rows = []
    for (sample, target), group in wells.groupby(["sample", "target"], sort=False):
        mean, sd, used, flag = _summarise(group["ct"].to_numpy(float), max_sd)
        if flag == "undetermined" and undetermined == "limit":
            mean = float(max_ct)
        rows.append({"sample": sample, "target": target, "n_wells": len(group), "n_used": used,
                     "ct_mean": mean, "ct_sd": sd, "flag": flag})
    table = pd.DataFrame(rows)
    ct = table.pivot(index="sample", columns="target", values="ct_mean").reindex(
        index=samples, columns=targets)
    flags = table.pivot(index="sample", columns="target", values="flag").reindex(
        index=samples, columns=targets)
    measured = flags.notna().to_numpy()
    is_undetermined = (flags == "undetermined").to_numpy()
    n_flagged = int(table["flag"].str.contains("high_sd|outlier_removed").sum())
    log.info("%s: %d sample/target Cts from %d wells; %d undetermined (policy %s, max_ct %g), "
             "%d replicate set(s) with SD > %g cycles, %d sample/target pair(s) not measured",
             Path(path).name if path else "qPCR", len(table), len(long), int(is_undetermined.sum()),
             undetermined, max_ct, n_flagged, max_sd, int((~measured).sum()))
    obs = pd.DataFrame(index=pd.Index(samples, name="sample"))
    var = pd.DataFrame({"gene_name": targets}, index=pd.Index(targets, name="target"))
    values = ct.to_numpy(float)
    adata = ad.AnnData(X=values.copy(), obs=obs, var=var)
    adata.layers["ct"] = values
    adata.layers["undetermined"] = is_undetermined.astype(np.int8)
    adata.layers["measured"] = measured.astype(np.int8)
    adata.uns["qpcr"] = {"max_ct": float(max_ct), "max_sd": float(max_sd),
                         "undetermined_policy": undetermined, **input_record(path)}
    return adata, table


def _check_efficiency(efficiency: pd.Series | None, function: str,
                      path: str | Path | None = None) -> pd.Series | None:
    """Return ``efficiency`` as a float Series, or stop unless every value is a factor in (1, 2.2].

    The bounds are those of :func:`omics.io.read_qpcr_efficiency`
    (:data:`omics.io._qpcr.EFFICIENCY_RANGE`). The functions take amplification factors, not
    percentages: a percentage (95) stops with the factor it stands for (1.95), which the
    reader converts it to.
    """
    if efficiency is None:
        return None
    if not isinstance(efficiency, pd.Series):
        raise InputError(f"{function}: got {type(efficiency).__name__} for efficiency; pass a pandas "
                         "Series of amplification factors indexed by target (e.g. "
                         "omics.io.read_qpcr_efficiency(path)).", path=path)
    if efficiency.index.has_duplicates:
        raise InputError(f"{function}: efficiency lists target "
                         f"{efficiency.index[efficiency.index.duplicated()][0]!r} twice; give one "
                         "amplification factor per target.", path=path)
    bad = not_amplification_factor(efficiency)
    if bad.any():
        target, value = efficiency.index[bad.to_numpy()][0], efficiency[bad].iloc[0]
        number = pd.to_numeric(pd.Series([value]), errors="coerce").astype(float)
        factor = as_amplification_factor(number)
        shown = (f"{number.iloc[0]:g}" if not np.isnan(number.iloc[0])
                 else "NaN" if pd.isna(value) else repr(value))
        low, high = EFFICIENCY_RANGE
        hint = (f"{shown} looks like a percentage: pass {factor.iloc[0]:g} for {shown} %"
                if not not_amplification_factor(factor).iloc[0] else "pass e.g. 1.95 for 95 %")
        raise InputError(
            f"{function}: efficiency {shown} for target {target!r} is not an amplification factor "
            f"in ({low:g}, {high:g}] (2 = 100 %); {hint} (omics.io.read_qpcr_efficiency converts a "
            "table of percentages).", path=path)
    return pd.to_numeric(efficiency).astype(float)


def _scaled(ct: pd.DataFrame, efficiency: pd.Series | None) -> pd.DataFrame:
    """Cts in log2 units: ``Ct * log2(E)`` per target (``E = 2`` when not given)."""
    if efficiency is None:
        return ct
    factor = efficiency.reindex(ct.columns).fillna(2.0)
    return ct * np.log2(factor.to_numpy(float))


@dataclass
class GenormResult:
    """geNorm output: per-gene stability and the pairwise variations.

    Attributes
    ----------
    stability
        ``target, rank, M, M_all_candidates``: rank 1 = most stable; ``M`` is the gene's
        stability in the round it was excluded (the final two share theirs);
        ``M_all_candidates`` is M computed with every candidate.
    variation
        ``n, V`` with ``V`` the pairwise variation V(n/n+1).
    n_selected
        Number of reference genes chosen.
    """

    stability: pd.DataFrame
    variation: pd.DataFrame
    n_selected: int

    @property
    def references(self) -> list[str]:
        """The selected reference genes, most stable first."""
        return list(self.stability.sort_values("rank")["target"].iloc[: self.n_selected])


def genorm_m(log2_quantities: pd.DataFrame) -> pd.Series:
    """GeNorm gene-stability measure M (Vandesompele et al. 2002, Genome Biology 3:research0034).

    ``M_j`` is the mean over the other genes ``k`` of the standard deviation (n - 1
    denominator) across samples of ``log2(a_j / a_k)``.

    Parameters
    ----------
    log2_quantities
        Samples x genes log2 relative quantities (``-Ct`` for efficiency 2).

    Returns
    -------
    M per gene.

    Raises
    ------
    omics._errors.InputError
        When the table is not a DataFrame of finite numbers with two or more distinct
        genes and two or more samples.
    """
    values = _genorm_table(log2_quantities, "pp.genorm_m", "log2 quantities", min_samples=2)
    n = values.shape[1]
    diffs = values[:, :, None] - values[:, None, :]
    sd = np.std(diffs, axis=0, ddof=1)
    return pd.Series(sd.sum(axis=1) / (n - 1), index=log2_quantities.columns, name="M")


def _genorm_table(table: pd.DataFrame, function: str, what: str, *, min_samples: int) -> np.ndarray:
    """Return ``table`` as floats; stop unless it is samples x (2+ distinct) genes of finite values.

    Names the genes with gaps (a missing, infinite or text value) or a repeated column, and
    asks for ``min_samples`` samples.
    """
    if not isinstance(table, pd.DataFrame):
        raise InputError(f"{function}: got {type(table).__name__}; pass a samples x candidate genes "
                         f"DataFrame of {what}.")
    if table.columns.has_duplicates:
        raise InputError(f"{function}: gene {table.columns[table.columns.duplicated()][0]!r} is a "
                         "column twice; give each candidate gene once.")
    if table.shape[1] < 2 or table.shape[0] < min_samples:
        raise InputError(f"{function}: {table.shape[0]} sample(s) x {table.shape[1]} gene(s); geNorm "
                         f"needs at least 2 genes and {min_samples} samples.")
    values = table.apply(pd.to_numeric, errors="coerce").to_numpy(float)
    gaps = (~np.isfinite(values)).sum(axis=0)
    if gaps.any():
        named = ", ".join(f"{gene!r} ({int(n)} of {len(table)} samples)"
                          for gene, n in zip(table.columns, gaps, strict=True) if n)
        raise InputError(f"{function}: gene(s) {named} have missing (NaN) or non-numeric {what}; "
                         "geNorm needs detected values only: pass candidate genes detected in every "
                         "sample, or drop those samples.")
    return values


def genorm(ct: pd.DataFrame, *, efficiency: pd.Series | None = None,
           cutoff: float = GENORM_V_CUTOFF) -> GenormResult:
    """Rank candidate reference genes by geNorm stability and choose how many to use.

    The least stable gene (highest M) is removed and M recomputed until two remain. The
    pairwise variation ``V(n/n+1)`` is the SD of ``log2(NF_n / NF_n+1)``, ``NF_n`` the
    geometric mean of the relative quantities of the ``n`` most stable genes; the number
    used is the smallest ``n >= 2`` with ``V(n/n+1) < cutoff`` (0.15), otherwise the
    ``n`` with the smallest V (logged as a warning): with two candidates both, with three
    two, as V(2/3) is the only variation.

    Parameters
    ----------
    ct
        Samples x candidate genes (2 or more, each once), detected Cts only (no NaN) of 3 or
        more samples: a gene with a missing Ct stops, named.
    efficiency
        Amplification factors per target (Pfaffl), each in (1, 2.2] (2 = 100 %, 1.95 =
        95 %; a percentage stops); 2 when not given.
    cutoff
        Pairwise-variation cut-off (a positive number).

    Returns
    -------
    :class:`GenormResult`.

    Raises
    ------
    omics._errors.InputError
        When ``ct`` is not a table, has fewer than 3 samples or 2 genes, a repeated gene, a
        missing (or infinite, or text) Ct, an efficiency is not an amplification factor or
        ``cutoff`` is not a positive number.
    """
    values = _genorm_table(ct, "pp.genorm", "Cts", min_samples=3)
    cutoff = _number(cutoff, "cutoff", "pp.genorm")
    efficiency = _check_efficiency(efficiency, "pp.genorm")
    ct = pd.DataFrame(values, index=ct.index, columns=ct.columns)
    log2q = -_scaled(ct, efficiency)
    remaining = list(log2q.columns)
    m_all = genorm_m(log2q)
    removed: list[tuple[str, float]] = []
    while len(remaining) > 2:
        m = genorm_m(log2q[remaining])
        worst = str(m.sort_values(kind="stable").index[-1])
        removed.append((worst, float(m[worst])))
        remaining.remove(worst)
    final = genorm_m(log2q[remaining])
    ranked = sorted(remaining) + [g for g, _ in reversed(removed)]
    m_value = {g: float(final[g]) for g in remaining} | dict(removed)
    stability = pd.DataFrame({"target": ranked, "rank": range(1, len(ranked) + 1),
                              "M": [m_value[g] for g in ranked],
                              "M_all_candidates": [float(m_all[g]) for g in ranked]})
    variation_rows = []
    for n in range(2, len(ranked)):
        nf_n = log2q[ranked[:n]].mean(axis=1)
        nf_next = log2q[ranked[: n + 1]].mean(axis=1)
        variation_rows.append({"n": n, "V": float(np.std(nf_n - nf_next, ddof=1))})
    variation = pd.DataFrame(variation_rows, columns=["n", "V"])
    if variation.empty:
        n_selected = len(ranked)
    elif (variation["V"] < cutoff).any():
        n_selected = int(variation.loc[variation["V"] < cutoff, "n"].iloc[0])
    else:
        n_selected = int(variation.sort_values(["V", "n"]).iloc[0]["n"])
        log.warning("geNorm: no pairwise variation V(n/n+1) is below %g (smallest %.3f, n = %d): "
                    "%d reference genes used; the candidates are not stable together (name the "
                    "reference genes, or add candidates)", cutoff, float(variation["V"].min()),
                    n_selected, n_selected)
    return GenormResult(stability=stability, variation=variation, n_selected=n_selected)


def _check_ct_anndata(adata: ad.AnnData, path: str | Path | None) -> None:
    """Stop unless ``adata`` is an AnnData with the layers of :func:`qpcr_average_replicates`."""
    if not isinstance(adata, ad.AnnData):
        raise InputError(f"pp.qpcr_delta_ct: got {type(adata).__name__}; pass the AnnData of "
                         "pp.qpcr_average_replicates (layers ct, undetermined, measured).", path=path)
    missing = [layer for layer in CT_LAYERS if layer not in adata.layers]
    if missing:
        raise InputError(f"pp.qpcr_delta_ct: the AnnData has no layer(s) "
                         f"{', '.join(map(repr, missing))} (layers: {', '.join(adata.layers) or 'none'}); "
                         "pass the AnnData of pp.qpcr_average_replicates.", path=path)


def qpcr_delta_ct(adata: ad.AnnData, *, reference_genes: list[str] | str | None = None,
                  candidates: list[str] | str | None = None, efficiency: pd.Series | None = None,
                  path: str | Path | None = None) -> ad.AnnData:
    """Normalise to reference genes: delta-Ct and the log2 relative quantity ``-delta-Ct``.

    Parameters
    ----------
    adata
        Samples x targets from :func:`qpcr_average_replicates` (after sample matching).
    reference_genes
        Reference targets to use; when None or empty (``[]``, what ``omics run`` passes
        for an unset ``qpcr_reference_genes``) they are chosen by :func:`genorm` among
        ``candidates`` (default: every target detected in all samples, targets of
        interest included: name the housekeeping genes in ``reference_genes`` or
        ``candidates`` to keep them out). A list, or one comma-separated string
        (``"ACTB,GAPDH"``); a name given twice stops.
    candidates
        Candidate reference targets for geNorm (as ``reference_genes``); a candidate not
        detected in every sample is left out (logged); geNorm needs 3 or more samples.
        Ignored (with a warning) when ``reference_genes`` are given.
    efficiency
        Amplification factors per target (Pfaffl), each in (1, 2.2] (2 = 100 %, 1.95 =
        95 %): a percentage such as 95 stops (:func:`omics.io.read_qpcr_efficiency`
        reads a table of factors or percentages into factors); a target that is not in the
        Ct table is ignored (logged), unless it looks like a misspelt target or none is in
        the Ct table (:func:`omics.io._qpcr.check_efficiency_targets`: stops); targets not
        listed use 2 (logged).
    path
        The Ct file, named in messages.

    Returns
    -------
    A new AnnData of the non-reference targets (a target undetermined in every sample is
    kept, named in a warning, with NaN ``-delta-Ct`` in every sample whatever the
    policy: it carries no information, so DE, ranking and scores leave it out;
    ``var["n_undetermined"]`` counts the samples): ``X`` = ``layers["log2"]`` = ``-delta-Ct`` (also
    ``layers["vst"]``, the log-scale layer QC and scores read), ``layers["delta_ct"]``,
    ``layers["ct"]``; ``obs["reference_ct_mean"]``; ``uns["qpcr"]`` records the reference
    genes, how they were chosen and the geNorm tables (``uns["qpcr_genorm"]``,
    ``uns["qpcr_genorm_variation"]``).

    Raises
    ------
    omics._errors.InputError
        When ``adata`` is not the AnnData of :func:`qpcr_average_replicates` (layers
        ``ct``, ``undetermined``, ``measured``), a reference or candidate is not a target
        or is given twice, an efficiency is not an amplification factor, the efficiency
        targets look misspelt or none is in the table, or a reference is missing or
        undetermined in a sample.
    """
    _check_ct_anndata(adata, path)
    reference_genes = unique_names(reference_genes, "reference_genes", "pp.qpcr_delta_ct")
    candidates = unique_names(candidates, "candidates", "pp.qpcr_delta_ct")
    efficiency = _check_efficiency(efficiency, "pp.qpcr_delta_ct", path)
    ct = pd.DataFrame(np.asarray(adata.layers["ct"], dtype=float), index=adata.obs_names,
                      columns=adata.var_names)
    if efficiency is not None:
        check_efficiency_targets(efficiency, ct.columns, what="pp.qpcr_delta_ct: efficiency",
                                 path=path)
        default = [g for g in ct.columns if g not in efficiency.index]
        if default:
            log.info("efficiency 2 (100 %%) for %d target(s) not in the efficiency table: %s",
                     len(default), ", ".join(default[:10]) + (" ..." if len(default) > 10 else ""))
    undetermined = pd.DataFrame(np.asarray(adata.layers["undetermined"]).astype(bool),
                                index=ct.index, columns=ct.columns)
    measured = pd.DataFrame(np.asarray(adata.layers["measured"]).astype(bool), index=ct.index,
                            columns=ct.columns)
    genorm_result = None
    if reference_genes and candidates:
        log.warning("reference genes given (%s): the candidate reference genes (%s) are ignored; "
                    "candidates (qpcr_reference_candidates) are for choosing references by geNorm "
                    "when no reference genes are given", ", ".join(reference_genes),
                    ", ".join(candidates))
    if reference_genes:
        source = "given"
        unknown = [g for g in reference_genes if g not in ct.columns]
        if unknown:
            raise InputError(
                f"reference gene(s) {', '.join(map(repr, unknown))} are not targets of the Ct table "
                f"(targets: {', '.join(list(ct.columns)[:15])}); fix {{--qpcr_reference_genes}}.",
                path=path)
        references = list(reference_genes)
    else:
        source = "geNorm"
        pool = list(candidates) if candidates else list(ct.columns)
        unknown = [g for g in pool if g not in ct.columns]
        if unknown:
            raise InputError(f"candidate reference gene(s) {', '.join(map(repr, unknown))} are not "
                             "targets of the Ct table; fix {--qpcr_reference_candidates}.", path=path)
        complete = [g for g in pool if measured[g].all() and not undetermined[g].any()]
        left_out = [g for g in pool if g not in complete]
        if candidates and left_out:
            log.warning("candidate reference gene(s) %s not detected in every sample: left out "
                        "of geNorm", ", ".join(left_out))
        if len(complete) < 2:
            raise InputError(
                "geNorm needs at least two candidate reference targets detected in every sample; "
                f"{len(complete)} are. Name the reference genes with {{--qpcr_reference_genes}}.",
                path=path)
        if len(ct) < 3:
            raise InputError(
                f"geNorm needs at least 3 samples to rank the candidate reference genes; "
                f"{len(ct)} are given. Name the reference genes with {{--qpcr_reference_genes}}.",
                path=path)
        genorm_result = genorm(ct[complete], efficiency=efficiency)
        references = genorm_result.references
        log.info("geNorm over %d candidates: references %s (M %s)", len(complete),
                 ", ".join(references), ", ".join(
                     f"{m:.3f}" for m in genorm_result.stability["M"].iloc[: len(references)]))
    missing = ~measured[references]
    if missing.any().any():
        sample = str(missing.any(axis=1).idxmax())
        target = str(missing.loc[sample].idxmax())
        raise InputError(
            f"reference gene {target!r} has no Ct for sample {sample!r}; every reference must be "
            "measured in every sample (add the wells, or choose other reference genes).",
            path=path)
    usable = ~undetermined[references]
    none = ~usable.any(axis=1)
    if none.any():
        sample = str(none.idxmax())
        raise InputError(
            f"all reference genes ({', '.join(references)}) are undetermined (Ct >= the limit) in "
            f"sample {sample!r}; the sample cannot be normalised: check its RNA/cDNA or remove it "
            "from the sample sheet.", path=path)
    partial = ~usable.all(axis=1)
    for sample in ct.index[partial.to_numpy()]:
        lost = [g for g in references if not usable.loc[sample, g]]
        log.warning("sample %r: reference(s) %s undetermined; normalised to the other reference(s)",
                    sample, ", ".join(lost))
    scaled = _scaled(ct, efficiency)
    reference_mean = _reference_mean(scaled[references], usable)
    targets = [g for g in ct.columns if g not in references]
    if not targets:
        raise InputError("every target is a reference gene; nothing is left to analyse.", path=path)
    never = [g for g in targets if undetermined[g].all()]
    delta = scaled[targets].sub(reference_mean, axis=0)
    if never:
        # No detected well anywhere: with the limit policy the value would be the Ct limit
        # against each sample's reference mean, i.e. the reference genes' noise, which DE
        # would test, GSEA rank and the scores average. Whatever the policy: no value.
        policy = adata.uns.get("qpcr", {}).get("undetermined_policy", "limit")
        log.warning("target(s) %s undetermined in every sample (policy %s): no value in any "
                    "sample, so they are left out of QC, DE (NA rows in the differential tables), "
                    "the ranking and the scores; their Cts stay in layers['ct'] and "
                    "rna/qpcr_replicates.tsv", ", ".join(never), policy)
        delta[never] = np.nan
    out = adata[:, targets].copy()
    out.layers["ct"] = ct[targets].to_numpy(float)
    out.layers["delta_ct"] = delta.to_numpy(float)
    log2q = -delta.to_numpy(float)
    out.X = log2q.copy()
    out.layers["log2"] = log2q.copy()
    out.layers["vst"] = log2q.copy()
    out.obs["reference_ct_mean"] = reference_mean.to_numpy(float)
    out.var["n_undetermined"] = undetermined[targets].sum(axis=0).to_numpy(int)
    out.var["efficiency"] = (efficiency.reindex(targets).fillna(2.0).to_numpy(float)
                             if efficiency is not None else 2.0)
    out.uns["qpcr"] = {**dict(adata.uns.get("qpcr", {})), "reference_genes": references,
                       "reference_source": source,
                       "efficiency": "per target (Pfaffl)" if efficiency is not None else "2 (100 %)"}
    if genorm_result is not None:
        out.uns["qpcr_genorm"] = genorm_result.stability
        out.uns["qpcr_genorm_variation"] = genorm_result.variation
    return out


def _reference_mean(scaled: pd.DataFrame, usable: pd.DataFrame) -> pd.Series:
    """Each sample's normaliser: the mean (scaled) Ct of its references.

    A sample with an undetermined reference is normalised to the others, each put on the
    scale of the mean of all references by its offset from that mean: a reference's mean
    Ct minus the mean of the references' mean Cts, over the samples where every reference
    was detected (or, with none such, where the reference was). Averaging the remaining
    raw Cts instead would shift the sample by the gap between the references' levels
    (R1 at 15 and R2 at 17 cycles: a sample without R1 would move by one cycle, 2-fold).
    """
    mean = scaled.mean(axis=1)
    partial = ~usable.all(axis=1)
    if not partial.any():
        return mean
    complete = ~partial
    levels = scaled[complete].mean(axis=0) if complete.any() else scaled.where(usable).mean(axis=0)
    offsets = levels - levels.mean()
    adjusted = scaled.sub(offsets, axis=1).where(usable).mean(axis=1)
    return mean.where(~partial, adjusted)


def delta_delta_ct(log2_quantity_difference: np.ndarray | pd.Series) -> np.ndarray:
    """delta-delta-Ct from a difference of ``-delta-Ct`` (a limma logFC): ``ddCt = -logFC``.

    The fold change (target over reference group) is ``2 ** -ddCt``.
    """
    return -np.asarray(log2_quantity_difference, dtype=float)
