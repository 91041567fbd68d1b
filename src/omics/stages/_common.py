"""Shared plumbing of the stages: output folders, loading validated inputs, gene sets."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from .._errors import InputError
from .._logging import repeating_input_check
from .._resources import metadata_path
from ..io import Contrast, read_contrasts, read_gmt, read_samplesheet

if TYPE_CHECKING:
    import anndata as ad

from ..registry import (
    DE_METHOD,
    DE_METHODS,
    RNA_LOG2_FORMATS,
    de_method,
    de_results_name,
    parse_de_results_name,
)

__all__ = ["DE_METHOD", "DE_METHODS", "MODALITIES", "RNA_LOG2_FORMATS", "SUBDIRS", "check_h5ad",
           "de_method", "de_results_name", "find_contrast", "gene_set_collections", "gene_set_panel_files",
           "h5ad_modality",
           "load_design_inputs", "out_path", "parse_de_results_name", "read_h5ad", "stage_output"]

SUBDIRS = {
    "validated": "validated",
    "rna": "rna",
    "protein": "protein",
    "flow": "flow",
    "qc": "qc",
    "differential": "differential",
    "enrichment": "enrichment",
    "scores": "scores",
    "integration": "integration",
    "report": "report",
    "pipeline_info": "pipeline_info",
}
MODALITIES = ("rna", "protein")


def out_path(outdir: str | Path, subdir: str, name: str) -> Path:
    """Return ``outdir/<subdir>/name`` (the fixed output layout)."""
    return Path(outdir) / SUBDIRS[subdir] / name


def stage_output(outdir: str | Path, stage: str, key: str, **fields: str) -> Path:
    """Path of output ``key`` of ``stage`` as declared in :data:`omics.registry.STAGES`."""
    from ..registry import STAGES

    return STAGES[stage].output_path(outdir, key, **fields)


def load_design_inputs(samplesheet: str | Path, contrasts: str | Path) -> tuple[pd.DataFrame,
                                                                             list[Contrast]]:
    """Read the validated sample sheet and contrasts.

    Their lines (a column read as text, ...) repeat what the input check showed about the
    user's files: in ``omics run`` they are logged at debug level
    (:func:`omics._logging.repeating_input_check`); a stage run alone logs them.
    """
    with repeating_input_check():
        return read_samplesheet(samplesheet), read_contrasts(contrasts)


def find_contrast(contrasts: list[Contrast], contrast_id: str, path: str | Path) -> Contrast:
    """Return the contrast with ``contrast_id`` or stop naming the available ids."""
    for contrast in contrasts:
        if contrast.id == contrast_id:
            return contrast
    raise InputError(f"no contrast {contrast_id!r}; ids are {', '.join(c.id for c in contrasts)}.",
                     path=path)


def gene_set_panel_files(genesets: str | None) -> list[str]:
    """Return the GMT files of the panel: those of ``genesets`` (comma-separated), else the shipped one.

    Parameters
    ----------
    genesets
        The ``genesets`` parameter (``None``: the 11 GO angiogenesis sets shipped).

    Returns
    -------
    list of str
        Paths of the panel's GMT files.
    """
    from ..params import split_list

    return split_list(genesets) or [str(metadata_path("genesets", "go_angiogenesis.gmt"))]


def gene_set_collections(genesets: str | None, background: str | None
                         ) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Return ``(panel, background)`` gene sets from parameters or the shipped defaults.

    ``genesets``: comma-separated GMTs of the panel (default: the 11 GO angiogenesis sets).
    ``background``: comma-separated GMTs tested alongside (``"none"`` for no background).
    Unset, the shipped GO BP (10-500 genes) background goes with the default panel only:
    the user's own sets replace it (their organism or identifiers may differ from the
    human GO symbols), so with ``genesets`` and no ``background`` the panel is tested
    alone. Sets of the panel are removed from the background. A set name defined in two
    files of one option stops with an :class:`~omics._errors.InputError` naming both (as a
    name twice in one file does).
    """
    from ..params import split_list

    panel_files = gene_set_panel_files(genesets)
    if background is not None and background.strip().lower() == "none":
        background_files: list[str] = []
    elif split_list(background):
        background_files = split_list(background)
    elif split_list(genesets):
        background_files = []
    else:
        background_files = [str(metadata_path("genesets", "go_bp_10_500.gmt"))]
    panel = _read_gmts(panel_files, "genesets")
    rest = {k: v for k, v in _read_gmts(background_files, "background_genesets").items()
            if k not in panel}
    return panel, rest


def _read_gmts(paths: list[str], option: str) -> dict[str, list[str]]:
    """Read the GMT files of one option; stop when two of them define a set of the same name."""
    sets: dict[str, list[str]] = {}
    source: dict[str, str] = {}
    for path in paths:
        for name, genes in read_gmt(path).items():
            if name in sets:
                raise InputError(f"gene set {name!r} is also defined in {source[name]} (both given "
                                 f"to {{--{option}}}); names must be unique across the files.",
                                 path=path, fix="Rename or remove one of the two sets.")
            sets[name] = genes
            source[name] = str(path)
    return sets


def read_h5ad(path: str | Path, *, layers: tuple[str, ...] | None = None) -> ad.AnnData:
    """Read an AnnData file written by a preparation stage.

    ``layers``: the layers the caller uses (``None``: read everything). The file's other
    layers are left unread, and so is ``X`` when every one of them is there (a caller that
    finds one missing uses ``X`` instead); the annotations (``obs``, ``var``, ``uns``,
    ``obsm``, ``varm``, ``obsp``, ``varp``) are always read. The RNA file of 5,000 patients
    holds four 5,000 x 16,000 matrices (2.6 GB): a stage using one reads a quarter of it.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found; run the preparation stage first.", path=path)
    import anndata as ad

    if layers is None:
        return ad.read_h5ad(path)
    import h5py
    from anndata.io import read_elem

    with h5py.File(path, "r") as file:
        stored = file["layers"] if "layers" in file else {}
        found = {name: read_elem(stored[name]) for name in layers if name in stored}
        annotations = {key: read_elem(file[key]) for key in ("obs", "var", "uns", "obsm", "varm",
                                                             "obsp", "varp") if key in file}
        values = None if len(found) == len(layers) or "X" not in file else read_elem(file["X"])
    return ad.AnnData(X=values, layers=found, **annotations)


#: The stage writing the ``.h5ad`` file of each modality (what it records in ``uns["modality"]``).
_PREP_STAGE = {"rna": "rna_prep", "protein": "protein_prep", "flow": "flow_prep"}
#: Without ``uns["modality"]`` (a file built with the library's readers and preprocessing):
#: the records of one modality's readers and steps.
_MODALITY_RECORDS = {"rna_input": "rna", "rna_format": "rna", "rna_filter": "rna",
                     "protein_input": "protein", "protein_preprocessing": "protein",
                     "absolute_unit": "flow"}


def _h5ad_records(path: Path, option: str | None = None) -> tuple[tuple[str, str] | None, set[str]]:
    """Return ``((modality, what records it) or None, layer names)`` of an h5ad file.

    Reads the names in ``uns`` and ``layers`` and the one value ``uns["modality"]``
    (h5py), never a matrix.
    """
    import h5py

    try:
        with h5py.File(path, "r") as file:
            layers = set(file["layers"]) if isinstance(file.get("layers"), h5py.Group) else set()
            uns = file.get("uns")
            if not isinstance(uns, h5py.Group):
                return None, layers
            stored = uns.get("modality")
            value = stored[()] if isinstance(stored, h5py.Dataset) and stored.shape == () else None
            value = value.decode() if isinstance(value, bytes) else value
            if isinstance(value, str) and value.strip().lower() in _PREP_STAGE:
                modality = value.strip().lower()
                return (modality, f"uns['modality'] is {modality!r}"), layers
            found = {(modality, f"it has uns[{key!r}]") for key, modality in _MODALITY_RECORDS.items()
                     if key in uns}
    except OSError as error:
        named = f"{{--{option}}} is " if option else ""
        raise InputError(f"{named}not an .h5ad (HDF5) file.", path=path,
                         fix="Give the .h5ad written by a preparation stage.") from error
    if len({modality for modality, _ in found}) != 1:  # none, or records of several modalities
        return None, layers
    return min(found), layers


def h5ad_modality(path: str | Path) -> str | None:
    """Return the modality an h5ad file records (``rna``, ``protein``, ``flow``), or None.

    ``uns["modality"]``, which the preparation stages write; without it, the records of
    one modality's readers and steps (``uns["rna_input"]``, ``uns["protein_input"]``,
    ...). None when the file records none (or those of several modalities). Only ``uns``
    is read, not the matrices.

    Parameters
    ----------
    path
        The ``.h5ad`` file.

    Returns
    -------
    str or None
        The recorded modality.
    """
    recorded, _ = _h5ad_records(Path(path))
    return None if recorded is None else recorded[0]


def check_h5ad(path: str | Path, modality: str, *, option: str = "h5ad",
               layers: tuple[str, ...] = (), modality_option: str | None = None) -> None:
    """Stop unless ``path`` is an h5ad file of ``modality`` holding ``layers``.

    A file recording no modality (written by the user or an older version) passes the
    modality check, as before. Cheap: reads the names in ``uns`` and ``layers`` and
    ``uns["modality"]``, never a matrix, so a stage checks all its inputs before it
    reads or writes anything.

    Parameters
    ----------
    path
        The ``.h5ad`` file given to ``option``.
    modality
        The modality the stage expects (``rna``, ``protein`` or ``flow``).
    option
        The parameter naming the file (``h5ad``, ``rna_h5ad``, ...), named in the messages.
    layers
        Layers the stage reads.
    modality_option
        The parameter choosing the modality (``modality`` of ``qc`` and ``de``), if any:
        the fix offers it.

    Raises
    ------
    InputError
        The file is missing or not HDF5, holds another modality or lacks a layer.
    """
    path = Path(path)
    wanted = f"{modality}/{modality}.h5ad written by 'omics {_PREP_STAGE[modality]}'"
    if not path.is_file():
        raise InputError(f"{{--{option}}}: file not found.", path=path,
                         fix=f"Give the {wanted} (run it first).")
    recorded, found = _h5ad_records(path, option)
    if recorded is not None and recorded[0] != modality:
        held, evidence = recorded
        fix = f"Give {{--{option}}} the {wanted}"
        fix += f", or set {{--{modality_option}}} {held}." if modality_option else "."
        raise InputError(f"{{--{option}}} holds {held} data ({evidence}), not {modality}.",
                         path=path, fix=fix)
    missing = [name for name in layers if name not in found]
    if missing:
        raise InputError(f"{{--{option}}} has no layer {missing[0]!r}, which this stage reads.",
                         path=path, fix=f"Give the {wanted}.")
