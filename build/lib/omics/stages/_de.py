"""Stage ``de``: one contrast on one modality."""

from __future__ import annotations

from pathlib import Path

from ..io import read_contrasts, write_tsv
from ..tl import _differential
from ._common import de_results_name, find_contrast, out_path, read_h5ad


def de(*, h5ad: str | Path, contrasts: str | Path, contrast_id: str, modality: str,
       outdir: str | Path, params: dict) -> dict[str, Path]:
    """Write ``differential/<contrast>.<modality>.<method>.results.tsv``.

    RNA: pydeseq2 on raw counts; protein: limma-style moderated t on the prepared log2
    values. Rows keep the feature order of the ``.h5ad``.
    """
    adata = read_h5ad(h5ad)
    contrast = find_contrast(read_contrasts(contrasts), contrast_id, contrasts)
    if modality == "rna":
        table = _differential.deseq2(adata, contrast, layer="counts", n_cpus=params["n_cpus"],
                                     shrink=params["deseq2_shrink"], contrasts_path=str(contrasts))
    else:
        table = _differential.limma(adata, contrast, layer=None, contrasts_path=str(contrasts))
    path = out_path(outdir, "differential", de_results_name(contrast_id, modality))
    return {"results": write_tsv(table, path)}
