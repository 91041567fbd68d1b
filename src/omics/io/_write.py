"""Atomic writers: a result appears complete or not at all."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import InputError

# Errors that mean the folder cannot be written, not that something is wrong with the run.
_UNWRITABLE = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.ENOTDIR}

# Every temporary file of ours is named ``.<target>.omics-tmp-<pid>-<random><suffix>``; the
# runner removes leftovers of killed runs only when they match this exactly (and only in
# the output folders it writes), never anything else. A stage's staging folder (``omics
# integrate``: ``integration/.integration.omics-tmp-<pid>-<random>``) is named so too.
TMP_MARK = ".omics-tmp-"
TMP_NAME = re.compile(r"^\..+\.omics-tmp-(?P<pid>\d+)-[A-Za-z0-9_]{8}(\.[A-Za-z0-9]+)?$")


def is_temporary(path: str | Path) -> bool:
    """Whether ``path`` is named like a temporary file of :func:`atomic_path`."""
    return TMP_NAME.match(Path(path).name) is not None


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` on success.

    On an exception the temporary file is removed and ``path`` is left untouched. The
    temporary name (``.<name>.omics-tmp-<pid>-<random><suffix>``) is recognised by
    :func:`is_temporary`.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp_name = tempfile.mkstemp(prefix=f".{path.name}{TMP_MARK}{os.getpid()}-",
                                            suffix=path.suffix, dir=path.parent)
    except OSError as err:
        raise _unwritable(err, path.parent) from None
    os.close(handle)
    tmp = Path(tmp_name)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as err:
        # a full disk while the table is written (h5py's errors carry the text, not the errno)
        if err.errno in (errno.ENOSPC, errno.EDQUOT) or "No space left on device" in str(err):
            raise InputError("cannot write here (No space left on device).", path=path.parent,
                             fix="Free space, or choose an {--outdir} that has free space; the run "
                                 "resumes where it stopped.") from None
        raise
    finally:
        if tmp.exists():
            tmp.unlink()


def _unwritable(err: OSError, folder: Path) -> InputError:
    """Return the one-line error of a folder that cannot be written; re-raise any other ``err``."""
    if err.errno not in _UNWRITABLE:
        raise err
    return InputError(f"cannot write here ({err.strerror}).", path=folder,
                      fix="Choose an {--outdir} you can write to (and that has free space).")


@contextmanager
def staging_folder(folder: str | Path) -> Iterator[Path]:
    """Yield a private folder in ``folder`` for files that must appear together or not at all.

    Write each output as ``<staging>/<name>``. When the block ends without an error, every
    file in the staging folder is renamed onto ``folder/<name>`` (each rename atomic: one
    file system), after checking that no such name is taken by a folder. On an error no
    file of ``folder`` is created or replaced. Either way the staging folder is removed, and
    ``folder`` too when this made it and it is left empty. The staging folder is hidden and
    named like :func:`atomic_path`'s temporaries (``.<folder>.omics-tmp-<pid>-<random>``):
    readers skip it and the next ``omics run`` removes one a killed run left.

    Parameters
    ----------
    folder
        The folder the files belong in (made, with its parents, if missing).

    Yields
    ------
    pathlib.Path
        The staging folder.
    """
    folder = Path(folder)
    created = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}{TMP_MARK}{os.getpid()}-", dir=folder))
    except OSError as err:
        raise _unwritable(err, folder) from None
    try:
        yield staging
        staged = sorted(p for p in staging.iterdir() if p.is_file() and not p.name.startswith("."))
        for path in staged:  # checked first: none or all are replaced
            target = folder / path.name
            if target.is_dir() and not target.is_symlink():
                raise InputError(f"{path.name} in the output folder is a folder, not an output file.",
                                 path=target, fix="Move it away, or choose another {--outdir}.")
        for path in staged:
            os.replace(path, folder / path.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if created:  # a folder this made and left empty (the block stopped) goes too
            with contextlib.suppress(OSError):
                folder.rmdir()


def write_tsv(table: pd.DataFrame, path: str | Path, *, index: bool = False,
              float_format: str = "%.10g", na_rep: str = "NA") -> Path:
    """Write a tab-separated table atomically (by default NA as ``NA``, 10 significant digits).

    ``float_format`` and ``na_rep`` are those of :meth:`pandas.DataFrame.to_csv`, e.g.
    ``"%.0f"`` and ``""`` for a MaxQuant-like intensity table.
    """
    with atomic_path(path) as tmp:
        _floats_as_text(table, float_format, na_rep).to_csv(tmp, sep="\t", index=index,
                                                            na_rep=na_rep, float_format=float_format)
    return Path(path)


def _floats_as_text(table: pd.DataFrame, float_format: str, na_rep: str) -> pd.DataFrame:
    """Format the float columns as pandas ``to_csv(float_format=...)`` would, only faster.

    pandas formats each value through several layers of Python calls; one ``%`` per value
    over a plain list writes the same bytes (NaN as ``na_rep``) in about half the time.
    Other columns, and the index, are left to pandas. A table of floats only (e.g. a
    samples x samples correlation matrix) becomes one block of text, not one per column:
    pandas writes a wide table block by block and chunk by chunk (a 5,000 x 5,000 table
    took 37 s as 5,000 blocks).
    """
    floats = [i for i, dtype in enumerate(table.dtypes)
              if isinstance(dtype, np.dtype) and dtype.kind == "f"]
    if not floats or table.columns.has_duplicates:
        return table
    if len(floats) == table.shape[1]:
        return pd.DataFrame(_as_text(table.to_numpy(dtype=float), float_format, na_rep),
                            index=table.index, columns=table.columns)
    formatted = table.copy(deep=False)
    for i in floats:
        formatted.isetitem(i, _as_text(table.iloc[:, i].to_numpy(), float_format, na_rep))
    return formatted


def _as_text(values: np.ndarray, float_format: str, na_rep: str) -> np.ndarray:
    # Object array of the same shape: `float_format % v` per value, NaN as `na_rep`.
    text = np.array([float_format % v for v in values.ravel().tolist()],
                    dtype=object).reshape(values.shape)
    text[np.isnan(values)] = na_rep
    return text


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

    Parameters
    ----------
    frame
        An annotation table (``adata.obs``, ``adata.var``, ``mdata.obs``), changed in place.
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
