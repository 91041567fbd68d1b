"""Find result files in a results folder (nested as ``omics run`` writes it, or flat)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from .._logging import get_logger
from .._manifests import run_folder, written_here

log = get_logger("report")

_SKIP = {"work", "cache", "demo_cohort", ".nextflow"}
DE_NAME = re.compile(r"^(?P<contrast>.+)\.(?P<modality>[A-Za-z0-9_]+)\.(?P<method>[A-Za-z0-9_]+)"
                     r"\.results\.tsv$")
# A contrast-keyed table (differential, enrichment), parsed from the right as DE_NAME: the
# contrast id (which may hold '.') is what precedes ``.<modality>.<method>.results.tsv`` or
# ``.<modality>.(gsea|ora).tsv``
_KEYED_NAME = re.compile(r"^(?P<contrast>.+)\.[A-Za-z0-9_]+\.(?:[A-Za-z0-9_]+\.results|gsea|ora)\.tsv$")
_KEYED_PATTERNS = ("*.results.tsv", "*.gsea.tsv", "*.ora.tsv")


def read_tsv(path: Path) -> pd.DataFrame:
    """Read a result table (``NA`` and empty cells are missing).

    A column whose every cell is empty (not ``NA``) is text with nothing in it (e.g. the
    ``separation`` of a survival table where no model was separated: :func:`omics.io.write_tsv`
    writes a missing number as ``NA``); it is read as empty strings, so that the report shows
    blank cells, as for a text column with some values, rather than a float column of NaN.

    Parameters
    ----------
    path
        A tab-separated table written by the pipeline.

    Returns
    -------
    pandas.DataFrame
        The table.
    """
    frame = pd.read_csv(path, sep="\t", keep_default_na=False, na_values=["NA", ""])
    empty = [c for c in frame.columns if len(frame) and frame[c].isna().all()]
    if empty and not frame.columns.has_duplicates:
        raw = pd.read_csv(path, sep="\t", keep_default_na=False, na_values=[], dtype=str,
                          usecols=empty)
        for column in empty:
            if (raw[column] == "").all():
                frame[column] = pd.Series("", index=frame.index, dtype=object)
    return frame


@dataclass(frozen=True)
class DeResult:
    """One differential table: its path, contrast id, modality and method."""

    path: Path
    contrast: str
    modality: str
    method: str

    @property
    def key(self) -> str:
        """``<contrast>.<modality>``, the stem shared with the enrichment tables."""
        return f"{self.contrast}.{self.modality}"


class Results:
    """The result files under one folder, found by name so that missing stages are skipped."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._read: dict[Path, pd.DataFrame] = {}
        # An ``omics run`` folder: only what its tasks recorded is a result (not the user's
        # copies or archives in the folder, nor a dropped contrast's table the user edited).
        # Stage commands alone (a Nextflow results folder, its task folders, a folder filled
        # by hand) record only their own files, which must not hide the others.
        own = written_here(self.root) if run_folder(self.root) else None
        self._own = None if own is None else {(self.root / path).resolve() for path in own}
        self._stale = self._other_contrasts()

    def _found(self, pattern: str) -> list[Path]:
        depth = len(self.root.parts)
        # never hidden files nor files in hidden folders (a killed run's temporaries and staging
        # folders, a notebook's .ipynb_checkpoints copies)
        return [p for p in self.root.rglob(pattern)
                if p.is_file() and not any(part.startswith(".") for part in p.parts[depth:])
                and not _SKIP.intersection(p.parts[depth:-1])]

    def _other_contrasts(self) -> set[Path]:
        """Return the contrast-keyed tables of contrasts not in ``validated/contrasts.yaml``.

        Only in a folder without a run record: a Nextflow results folder keeps a previous
        run's tables when a contrast was dropped. They are left out, with one warning naming them.
        """
        path = self.root / "validated" / "contrasts.yaml"
        if self._own is not None or not path.is_file():
            return set()
        from ..io import read_contrasts

        try:
            ids = {c.id for c in read_contrasts(path)}
        except Exception:  # noqa: BLE001 - an unreadable file: nothing to tell the tables apart
            return set()
        stale = {p for pattern in _KEYED_PATTERNS for p in self._found(pattern)
                 if (match := _KEYED_NAME.match(p.name)) and match["contrast"] not in ids}
        if stale:
            names = sorted(str(p.relative_to(self.root)) for p in stale)
            log.warning("%s: %d table(s) of contrasts not in %s are left out of the report (a previous "
                        "run's?): %s. Remove them, or re-make the report from a folder of this run only.",
                        self.root, len(names), path.relative_to(self.root), ", ".join(names))
        return stale

    def read(self, path: Path) -> pd.DataFrame:
        """:func:`read_tsv` of a table read by several sections (a copy; the file is read once)."""
        if path not in self._read:
            self._read[path] = read_tsv(path)
        return self._read[path].copy()

    def find(self, pattern: str) -> list[Path]:
        """Return the files matching ``pattern`` below the root.

        In an ``omics run`` folder, the ones its task manifests record (and those in
        ``pipeline_info/``); elsewhere any (not in work/cache folders) but the tables of
        contrasts not in ``validated/contrasts.yaml``. Never hidden files nor files in hidden
        folders (a killed run's temporaries and staging folders).
        """
        depth = len(self.root.parts)
        found = (p for p in self._found(pattern) if p not in self._stale)
        if self._own is not None:
            found = (p for p in found if p.resolve() in self._own or p.parts[depth] == "pipeline_info")
        return sorted(found)

    def first(self, *patterns: str) -> Path | None:
        """Return the first file matching any of ``patterns`` (in order), or None."""
        for pattern in patterns:
            found = self.find(pattern)
            if found:
                return found[0]
        return None

    def table(self, *patterns: str) -> pd.DataFrame | None:
        """Return the first matching table, or None when absent or empty."""
        path = self.first(*patterns)
        if path is None:
            return None
        frame = read_tsv(path)
        return frame if len(frame) else None

    @cached_property
    def de(self) -> list[DeResult]:
        """Differential tables, ordered by contrast then modality."""
        found = []
        for path in self.find("*.results.tsv"):
            match = DE_NAME.match(path.name)
            if match:
                found.append(DeResult(path, match["contrast"], match["modality"], match["method"]))
        return sorted(found, key=lambda r: (r.contrast, r.modality))
