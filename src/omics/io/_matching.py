"""Match a data matrix's samples to the sample sheet."""

from __future__ import annotations

from pathlib import Path

import anndata as ad
import pandas as pd

from .._errors import InputError
from .._logging import get_logger
from ._names import near_matches

log = get_logger("io")


def match_samples(adata: ad.AnnData, samplesheet: pd.DataFrame, *, matrix_path: str | Path | None = None,
                  sheet_path: str | Path | None = None) -> ad.AnnData:
    """Order matrix samples like the sample sheet and attach its metadata as ``obs``.

    Every sample-sheet id must be a matrix column (missing ones are listed; the message
    says how to leave a patient without this modality out: remove its sheet row, or run
    the modality separately with its own sheet); matrix columns
    absent from the sheet are dropped with a log line. Ids are compared exactly; when a
    missing id equals a matrix column but for letter case or Unicode normalisation (NFC
    ``É`` against NFD ``E`` + accent, which look the same), the message names the pairs.

    Parameters
    ----------
    adata
        Samples x features as read from ``matrix_path``.
    samplesheet
        Validated sample sheet indexed by sample id.
    matrix_path, sheet_path
        Named in messages (optional: a matrix built in a notebook has no file).

    Returns
    -------
    anndata.AnnData
        A copy restricted to, and ordered like, the sample sheet, with its columns in
        ``obs`` (index named ``sample``).
    """
    sheet_ids = list(samplesheet.index)
    present = set(adata.obs_names)
    missing = [s for s in sheet_ids if s not in present]
    # a qPCR Ct table (pp.qpcr_average_replicates) names samples in a column, not as columns
    qpcr = "qpcr" in adata.uns
    if missing:
        extra = sorted(present - set(sheet_ids))
        others = "samples of the Ct table" if qpcr else "matrix columns"
        hint = f"; {others} not in the sheet: {', '.join(extra[:10])}" if extra else ""
        what = "samples of this Ct table" if qpcr else "columns of this matrix"
        fix = ("make the sample ids equal the Ct table's sample names" if qpcr else
               "make the sample ids equal the matrix column names")
        raise InputError(
            f"{len(missing)} sample(s) of the sample sheet{' ' + str(sheet_path) if sheet_path else ''}"
            f" are not {what}: {', '.join(missing[:10])}"
            f"{' ...' if len(missing) > 10 else ''}{hint}.{near_matches(missing, extra)} Every sample "
            f"of the sheet must be {'a sample' if qpcr else 'a column'} of every matrix given: {fix} "
            "(or set {--sample_id_col}); to leave a patient without this "
            "modality out, remove its row from the sample sheet, or analyse this modality in a "
            "separate run with its own sheet.",
            path=matrix_path,
        )
    in_sheet = set(sheet_ids)
    dropped = [s for s in adata.obs_names if s not in in_sheet]
    if dropped:
        log.info("%s: %d %s not in the sample sheet are ignored: %s",
                 Path(matrix_path).name if matrix_path else "matrix", len(dropped),
                 "sample(s) of the Ct table" if qpcr else "matrix column(s)", ", ".join(dropped[:10]))
    matched = adata[sheet_ids].copy()
    for column in samplesheet.columns:
        values = samplesheet[column].reindex(matched.obs_names)
        matched.obs[column] = values.to_numpy() if not isinstance(
            values.dtype, pd.CategoricalDtype) else values.values
    matched.obs.index.name = "sample"
    return matched
