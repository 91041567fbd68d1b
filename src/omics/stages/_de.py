"""Stage ``de``: one contrast on one modality."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .._errors import InputError
from .._logging import labelled
from ..io import read_contrasts, write_tsv
from ..tl import add_delta_delta_ct, deseq2, design_for_contrast, limma
from ._common import RNA_LOG2_FORMATS, check_h5ad, find_contrast, read_h5ad, stage_output
from ._flow import drop_populations_without_events

if TYPE_CHECKING:
    import pandas as pd

#: Loggers of the fits and their designs: their lines name the modality, since ``omics run``
#: runs the de tasks side by side (``protein: limma arm_x_response: ...``).
_FIT_LOGGERS = ("tl", "design")


def de(*, h5ad: str | Path, contrasts: str | Path, contrast_id: str, modality: str,
       outdir: str | Path, params: dict) -> dict[str, Path]:
    """Write ``differential/<contrast>.<modality>.<method>.results.tsv``.

    RNA counts: pydeseq2 on raw counts; protein: limma-style moderated t on the prepared
    log2 values; qPCR RNA: limma on ``-delta-Ct`` with ``delta_delta_ct`` and
    ``fold_change`` columns added; array RNA: limma with ``trend=TRUE``. Rows keep the
    feature order of the ``.h5ad``; one recording another modality stops the stage
    (:func:`check_h5ad`).
    """
    with labelled(f"{modality}: ", _FIT_LOGGERS):
        return _de(h5ad=h5ad, contrasts=contrasts, contrast_id=contrast_id, modality=modality,
                   outdir=outdir, params=params)


def _de(*, h5ad: str | Path, contrasts: str | Path, contrast_id: str, modality: str,
        outdir: str | Path, params: dict) -> dict[str, Path]:
    check_h5ad(h5ad, modality, modality_option="modality")
    # RNA counts: the DESeq2 counts alone (qPCR and array RNA have no such layer: X)
    adata = read_h5ad(h5ad, layers=("counts",) if modality == "rna" else None)
    contrast = find_contrast(read_contrasts(contrasts), contrast_id, contrasts)
    rna_format = adata.uns.get("rna_format", "counts") if modality == "rna" else None
    if rna_format in RNA_LOG2_FORMATS:
        table = limma(adata, contrast, layer=None, trend=rna_format == "array",
                      contrasts_path=str(contrasts))
        if rna_format == "qpcr":
            table = add_delta_delta_ct(table)
        path = stage_output(outdir, "de", "results", contrast=contrast_id, modality=modality,
                            method="limma")
        return {"results": write_tsv(table, path)}
    if modality == "flow":
        return {"results": write_tsv(_flow_limma(adata, contrast, str(contrasts)),
                                     stage_output(outdir, "de", "results", contrast=contrast_id,
                                                  modality=modality))}
    if modality == "rna":
        table = deseq2(adata, contrast, layer="counts", n_cpus=params["n_cpus"],
                       shrink=params["deseq2_shrink"], alpha=params["deseq2_alpha"],
                       contrasts_path=str(contrasts))
    else:
        table = limma(adata, contrast, layer=None, contrasts_path=str(contrasts))
    path = stage_output(outdir, "de", "results", contrast=contrast_id, modality=modality)
    return {"results": write_tsv(table, path)}


def _flow_limma(adata, contrast, contrasts_path: str) -> pd.DataFrame:  # noqa: ANN001
    """Fit limma on the flow populations that have an event in a sample of the contrast.

    A population with no event in any of the contrast's samples is not tested (logged):
    its ``X`` would be the tube's bead or reference count alone
    (:func:`omics.stages._flow.populations_without_events`).
    """
    design = design_for_contrast(adata.obs, contrast, samples=adata.obs_names,
                                 contrasts_path=contrasts_path)
    tested, empty = drop_populations_without_events(
        adata, list(design.samples), what=f"the limma test of contrast {contrast.id!r}")
    if tested.n_vars == 0:
        raise InputError(f"no flow population has an event in the samples of contrast {contrast.id!r} "
                         f"(populations: {', '.join(empty)}), so there is nothing to test.",
                         fix="Check the gating strategy ({--flow_gating}) against the FCS files, and "
                             "the population table's events.")
    return limma(tested, design, layer=None, contrasts_path=contrasts_path)
