"""The RNA modality's input by format: counts (DESeq2) or log2 values (qPCR, arrays; limma).

Shared by ``validate`` (which runs the whole preparation of qPCR/array input so that a
bad Ct table stops before anything is written) and ``rna_prep``.
"""

from __future__ import annotations

from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd

from .._errors import InputError
from .._logging import get_logger
from ..io import match_samples, read_array_matrix, read_qpcr, read_qpcr_efficiency, read_rna_counts
from ..params import unique_names
from ..pp import collapse_probes, qpcr_average_replicates, qpcr_delta_ct

log = get_logger("pp")


def rna_input_path(params: dict, rna_counts: str | Path | None = None,
                   rna_matrix: str | Path | None = None) -> str | Path | None:
    """Return the RNA file: ``rna_matrix`` (any format) or ``rna_counts`` (counts only)."""
    rna_counts = rna_counts if rna_counts is not None else params.get("rna_counts")
    rna_matrix = rna_matrix if rna_matrix is not None else params.get("rna_matrix")
    fmt = params.get("rna_format") or "counts"
    if rna_counts and rna_matrix:
        raise InputError("give {--rna_counts} or {--rna_matrix}, not both (both were given).")
    if rna_counts and fmt != "counts":
        raise InputError(f"{{--rna_format}} {fmt} needs the file as {{--rna_matrix}}; "
                         "{--rna_counts} is for sequencing counts.", path=rna_counts)
    return rna_matrix or rna_counts


def read_rna_any(path: str | Path, params: dict) -> ad.AnnData:
    """Read the RNA file in ``params["rna_format"]`` (before sample matching).

    qPCR: wells -> per sample/target Ct (replicates averaged, Ct policy applied); array:
    probes x samples log2; counts: :func:`omics.io.read_rna_counts`.
    """
    fmt = params.get("rna_format") or "counts"
    if fmt == "qpcr":
        long = read_qpcr(path)
        adata, replicates = qpcr_average_replicates(
            long, max_ct=params["qpcr_max_ct"], max_sd=params["qpcr_replicate_sd"],
            undetermined=params["qpcr_undetermined"], path=path)
        adata.uns["qpcr_replicates"] = replicates
        return adata
    if fmt == "array":
        return read_array_matrix(path)
    return read_rna_counts(path)


def _drop_unobserved_probes(adata: ad.AnnData, path: str | Path) -> ad.AnnData:
    """Stop on a sample column without any value; leave out probes without any (logged).

    limma fits each probe on its observed values; a probe with none in the samples of the
    sample sheet (a GEO row of ``null``) cannot be fitted and is dropped.
    """
    values = np.asarray(adata.X, dtype=float)
    observed = np.isfinite(values)
    empty = [str(s) for s, any_value in zip(adata.obs_names, observed.any(axis=1), strict=True)
             if not any_value]
    if empty:
        raise InputError(f"sample column(s) {', '.join(map(repr, empty[:5]))} have no value (every "
                         "probe is missing).", path=path, where=f"column {empty[0]!r}",
                         fix="Fill the column, or remove the sample from the sample sheet.")
    unobserved = ~observed.any(axis=0)
    if unobserved.any():
        names = list(adata.var_names[unobserved])
        log.warning("%s: %d probe(s) with no value in the samples of the sample sheet left out: %s",
                    Path(path).name, len(names), ", ".join(names[:5]) + (" ..." if len(names) > 5 else ""))
        adata = adata[:, ~unobserved].copy()
    return adata


def _one_edit_apart(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ by one character (replaced, added or removed)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))


def _not_measured(adata: ad.AnnData, extra: list[str], path: str | Path) -> pd.DataFrame:
    """Warn about the sheet's sample/target pairs without any well; return them as replicate rows.

    ``adata`` is matched to the sample sheet; ``extra`` are the Ct table's samples not in
    the sheet, named as a hint when one differs from an affected sheet sample by one
    character (``SO4`` for ``S04``). The rows (``n_wells`` 0, flag ``not_measured``) extend
    ``rna/qpcr_replicates.tsv``.
    """
    measured = np.asarray(adata.layers["measured"]).astype(bool)
    rows, cols = np.nonzero(~measured)
    columns = ["sample", "target", "n_wells", "n_used", "ct_mean", "ct_sd", "flag"]
    if rows.size == 0:
        return pd.DataFrame(columns=columns)
    pairs = [(str(adata.obs_names[r]), str(adata.var_names[c])) for r, c in zip(rows, cols, strict=True)]
    affected = list(dict.fromkeys(s for s, _ in pairs))
    near = [f"{e!r} for {s!r}" for s in affected for e in extra if _one_edit_apart(e, s)]
    hint = (f"; the Ct table's sample(s) not in the sample sheet {', '.join(near[:3])} differ by one "
            "character (a typo?)") if near else ""
    log.warning("%s: %d sample/target pair(s) of the sample sheet have no well in the Ct table: %s%s "
                "(their value is missing; flagged not_measured in rna/qpcr_replicates.tsv)%s",
                Path(path).name, len(pairs), ", ".join(f"{s}/{t}" for s, t in pairs[:8]),
                " ..." if len(pairs) > 8 else "", hint)
    return pd.DataFrame({"sample": [s for s, _ in pairs], "target": [t for _, t in pairs],
                         "n_wells": 0, "n_used": 0, "ct_mean": np.nan, "ct_sd": np.nan,
                         "flag": "not_measured"}, columns=columns)


def prepare_rna_log2(path: str | Path, sheet: pd.DataFrame, params: dict,
                     sheet_path: str | Path | None = None) -> ad.AnnData:
    """Read, match to the sample sheet and normalise qPCR or array RNA (log2 values in ``X``).

    qPCR: a sheet sample/target pair without any well is warned about (a sample of the Ct
    table one character apart is named) and listed in ``uns["qpcr_replicates"]`` with flag
    ``not_measured``; reference genes (given or geNorm) and ``-delta-Ct`` (a reference or
    candidate named twice, or an efficiency table naming a misspelt target, stops);
    array: a sample column without values stops, probes without values in the sheet's
    samples are left out (logged), then probes are collapsed to genes (highest mean).
    ``layers["vst"]`` holds the same log2 values for QC and scores.
    """
    fmt = params["rna_format"]
    raw = read_rna_any(path, params)
    adata = match_samples(raw, sheet, matrix_path=path, sheet_path=sheet_path)
    if fmt == "qpcr":
        not_measured = _not_measured(adata, [s for s in raw.obs_names if s not in adata.obs_names],
                                     path)
        reference_genes = unique_names(params.get("qpcr_reference_genes"), "{--qpcr_reference_genes}")
        candidates = unique_names(params.get("qpcr_reference_candidates"),
                                  "{--qpcr_reference_candidates}")
        efficiency = (read_qpcr_efficiency(params["qpcr_efficiency"], targets=adata.var_names)
                      if params.get("qpcr_efficiency") else None)
        replicates = adata.uns.pop("qpcr_replicates")
        out = qpcr_delta_ct(adata, reference_genes=reference_genes, candidates=candidates,
                            efficiency=efficiency, path=path)
        kept = replicates[replicates["sample"].isin(out.obs_names)]
        # column by column: pd.concat warns about the all-NaN Ct columns of not_measured rows
        out.uns["qpcr_replicates"] = pd.DataFrame(
            {c: np.concatenate([kept[c].to_numpy(), not_measured[c].to_numpy()]) for c in kept.columns}
        ) if len(not_measured) else kept.reset_index(drop=True)
    elif fmt == "array":
        out = collapse_probes(_drop_unobserved_probes(adata, path))
        out.layers["log2"] = np.asarray(out.X, dtype=float)
        out.layers["vst"] = np.asarray(out.X, dtype=float)
    else:
        raise ValueError(f"not a log2 RNA format: {fmt}")
    observed = np.isfinite(np.asarray(out.X, dtype=float)).sum(axis=0)
    if not (observed >= 2).any():
        raise InputError("no RNA feature has values in two or more samples of the sample sheet.",
                         path=path)
    out.uns["modality"] = "rna"
    out.uns["rna_format"] = fmt
    out.uns["de_layer"] = None
    return out
