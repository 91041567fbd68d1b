"""Atomic writers: a result appears complete or not at all."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    On an exception the temporary file is removed and ``path`` is left untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    os.close(handle)
    tmp = Path(tmp_name)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_tsv(table: pd.DataFrame, path: str | Path, *, index: bool = False) -> Path:
    """Write a tab-separated table atomically (NA as ``NA``, full float precision)."""
    with atomic_path(path) as tmp:
        table.to_csv(tmp, sep="\t", index=index, na_rep="NA", float_format="%.10g")
    return Path(path)


def write_text(text: str, path: str | Path) -> Path:
    """Write a text file atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    return Path(path)


def h5_safe_annotations(frame: pd.DataFrame) -> None:
    """Make ``obs``/``var`` columns writable to HDF5, in place.

    anndata cannot write an ``object`` column that holds anything but strings (a
    sample-sheet column that is empty or ``NA`` throughout, mixed numbers and text);
    such a column becomes a categorical of its values as text, missing values kept
    missing.
    """
    for column in frame.columns:
        values = frame[column]
        if values.dtype != object or values.map(lambda v: isinstance(v, str)).all():
            continue
        text = values.map(lambda v: v if isinstance(v, str) or pd.isna(v) else str(v))
        frame[column] = pd.Categorical(text)


def write_h5ad(adata, path: str | Path) -> Path:  # noqa: ANN001 - AnnData
    """Write an AnnData file atomically (annotation columns made HDF5-safe first)."""
    h5_safe_annotations(adata.obs)
    h5_safe_annotations(adata.var)
    with atomic_path(path) as tmp:
        adata.write_h5ad(tmp)
    return Path(path)
