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


def write_h5ad(adata, path: str | Path) -> Path:  # noqa: ANN001 - AnnData
    """Write an AnnData file atomically."""
    with atomic_path(path) as tmp:
        adata.write_h5ad(tmp)
    return Path(path)
