"""``omics simulate``: write a cohort's inputs and truth tables."""

from __future__ import annotations

import copy
import numbers
import os
import shutil
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd
import yaml

from .._errors import InputError
from .._logging import get_logger
from .._parallel import fork_context, start_worker
from .._resources import metadata_path
from ..io._gmt import read_gmt
from ..io._write import atomic_path, write_text, write_tsv
from ._cohort import Cohort, simulate_patients
from ._flow import (
    BEADS_PER_TEST,
    FCS_DIR,
    SAMPLE_VOLUME_UL,
    TABLE,
    TRUTH,
    TRUTH_ROLES,
    simulate_flow,
)
from ._matrices import (
    annotated_genes,
    gene_universe,
    plant_effects,
    simulate_counts,
    simulate_protein_groups,
)
from ._qpcr import potency_perfusion_ratio, simulate_qpcr
from ._survival import weibull_afs

log = get_logger("simulate")
T = TypeVar("T")

INPUT_FILES = {
    "input": "samplesheet.csv",
    "rna_counts": "salmon.merged.gene_counts.tsv",
    "protein_matrix": "proteinGroups.txt",
    "contrasts": "contrasts.yaml",
}

FLOW_EVENTS = {"full": 10000, "test": 5000}  # events per simulated FCS file


#: Optional trial-era inputs written beside them (``--rna_matrix qpcr_ct.tsv --rna_format qpcr``;
#: ``--contrasts contrasts_potency.yaml`` for the continuous potency outcome).
EXTRA_FILES = {"qpcr": "qpcr_ct.tsv", "potency_contrasts": "contrasts_potency.yaml"}
#: The truth tables and the settings of the simulation.
TRUTH_FILES = {"truth_genes": "truth_genes.tsv", "truth_patients": "truth_patients.tsv",
               "truth_sets": "truth_sets.tsv", "truth_qpcr": "truth_qpcr.tsv"}
SETTINGS_FILE = "simulation.yaml"

#: Smallest and largest cohort (None: no fixed limit; n_genes is limited by the shipped
#: annotation, n_proteins by n_genes). 12 patients: 3 responders and 3 non-responders per
#: arm; fewer genes or protein groups leave too few to plant effects in and to draw from.
SIZE_LIMITS = {"n_patients": (12, 100_000), "n_genes": (1_000, None), "n_proteins": (50, None)}
#: Peak memory per patient and gene (the matrices and their temporaries): 1.45 GB for
#: 1,000 x 20,000, 2.8 GB for 2,000 x 20,000, 7.0 GB for 5,000 x 20,000.
BYTES_PER_VALUE = 72

POTENCY_CONTRASTS = """contrasts:
  - id: potency
    type: continuous
    comparison: [potency_perfusion_ratio]
    blocking_factors: [arm]
    scale: sd
"""


def cohort_files(outdir: str | Path) -> dict[str, Path]:
    """Return every file and folder :func:`simulate_cohort` writes into ``outdir``.

    Parameters
    ----------
    outdir
        The cohort folder.

    Returns
    -------
    dict
        Paths keyed by what they are: the ``omics run`` inputs first (``input``,
        ``rna_counts``, ``protein_matrix``, ``contrasts``), then ``qpcr`` (for
        ``--rna_matrix`` with ``--rna_format qpcr``), ``potency_contrasts``, ``flow_fcs``
        (the folder of FCS files), ``flow_table``, the truth tables and ``settings``.
    """
    outdir = Path(outdir)
    names = {**INPUT_FILES, **EXTRA_FILES, "flow_fcs": FCS_DIR, "flow_table": TABLE,
             **TRUTH_FILES, "truth_flow": TRUTH, "truth_flow_populations": TRUTH_ROLES,
             "settings": SETTINGS_FILE}
    return {key: outdir / name for key, name in names.items()}


def _available_memory() -> int | None:
    """Return the bytes of memory this machine can still give (Linux), or None when unknown."""
    try:
        fields = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
        return sum(int(fields[key].split()[0]) * 1024 for key in ("MemAvailable", "SwapFree"))
    except (OSError, KeyError, ValueError, IndexError):
        return None


def check_sizes(n_patients: int, n_genes: int, n_proteins: int, seed: int, *,
                given: Collection[str] = ("n_genes", "n_proteins")) -> None:
    """Stop (:class:`~omics._errors.InputError`) on a cohort size or seed that cannot be simulated.

    Parameters
    ----------
    n_patients, n_genes, n_proteins
        The cohort size, each within :data:`SIZE_LIMITS`; the matrices must fit in the
        memory available (:data:`BYTES_PER_VALUE` per patient and gene).
    seed
        Random seed (0 or more).
    given
        Sizes the user chose: ``n_genes`` is checked against the genes of the shipped
        annotation (read for it), ``n_proteins`` against ``n_genes``. (A default is
        within them, or is cut to what the genes give, as it always was.)
    """
    sizes = {"n_patients": n_patients, "n_genes": n_genes, "n_proteins": n_proteins}
    for name, (low, high) in SIZE_LIMITS.items():
        value = sizes[name]
        if value < low or (high is not None and value > high):
            limit = f"at least {low:,}" if high is None else f"{low:,} to {high:,}"
            raise InputError(f"{{--{name}}} is {value}; give {limit}.")
    if "n_proteins" in given and n_proteins > n_genes:
        raise InputError(f"{{--n_proteins}} ({n_proteins}) is larger than {{--n_genes}} ({n_genes}); "
                         "each protein group is the product of one gene.",
                         fix="Give at most as many protein groups as genes.")
    if "n_genes" in given:
        annotation = pd.read_csv(metadata_path("human_gene_ids.tsv"), sep="\t", dtype=str)
        available = len(annotated_genes(annotation))
        if n_genes > available:
            raise InputError(f"{{--n_genes}} is {n_genes}, but the shipped annotation has "
                             f"{available:,} genes; give at most {available}.")
    if seed < 0:
        raise InputError(f"{{--seed}} is {seed}; give 0 or more.")
    need, free = BYTES_PER_VALUE * n_patients * n_genes, _available_memory()
    if free is not None and need > free:
        raise InputError(f"{n_patients:,} patients x {n_genes:,} genes need about "
                         f"{need / 2**30:,.1f} GB of memory; this machine has "
                         f"{free / 2**30:,.1f} GB available.",
                         fix="Give a smaller {--n_patients} or {--n_genes}.")


def planned_files(outdir: str | Path, *, profile: str = "full", n_patients: int | None = None
                  ) -> list[Path]:
    """Return every file :func:`simulate_cohort` writes into ``outdir``, before it writes them.

    Parameters
    ----------
    outdir
        The cohort folder.
    profile
        ``"full"`` or ``"test"`` (its default number of patients).
    n_patients
        Patients (default: the profile's): one FCS file each, ``fcs/<patient id>.fcs``.

    Returns
    -------
    list[Path]
        The files of :func:`cohort_files`, the FCS files in place of their folder.
    """
    files = cohort_files(outdir)
    fcs = files.pop("flow_fcs")
    count = _definition(profile)["n_patients"] if n_patients is None else n_patients
    return [*files.values(), *(fcs / f"{patient}.fcs" for patient in patient_ids(count))]


def patient_ids(n_patients: int) -> list[str]:
    """Return the ids :func:`omics.simulate._cohort.simulate_patients` gives ``n_patients`` patients.

    (``BALI001``, ...; a test checks :func:`planned_files` against what a simulation writes.)
    """
    return [f"BALI{i + 1:03d}" for i in range(n_patients)]


def _checked_sizes(spec: dict, seed: int | None, n_patients: int | None, n_genes: int | None,
                   n_proteins: int | None) -> tuple[int, int, int, int]:
    """Return seed and sizes, the definition ``spec``'s where not given, checked (:func:`check_sizes`).

    Called before anything is written: a size out of range stops with nothing left behind.
    """
    seed = spec["seed"] if seed is None else seed
    given = [name for name, value in (("n_patients", n_patients), ("n_genes", n_genes),
                                      ("n_proteins", n_proteins)) if value is not None]
    n_patients = spec["n_patients"] if n_patients is None else n_patients
    n_genes = spec["n_genes"] if n_genes is None else n_genes
    n_proteins = spec["n_proteins"] if n_proteins is None else n_proteins
    check_sizes(n_patients, n_genes, n_proteins, seed, given=given)
    return seed, n_patients, n_genes, n_proteins


def _check_options(scenario: str, profile: str, sizes: dict[str, object]) -> None:
    """Raise ValueError on a ``scenario``, ``profile`` or size/seed that is not one of the choices.

    Called before anything is written (the folder included); the ranges are checked by
    :func:`check_sizes`.
    """
    if scenario not in {"angiogenic", "null"}:
        raise ValueError(f"scenario is {scenario!r}; give 'angiogenic' or 'null'.")
    if profile not in FLOW_EVENTS:
        raise ValueError(f"profile is {profile!r}; give 'full' or 'test'.")
    for name, value in sizes.items():
        if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Integral)):
            raise ValueError(f"{name} is {value!r}; give a whole number (e.g. {name}=40).")


def _definition(profile: str) -> dict:
    """Return the demo definition, with its ``test_profile`` applied for ``profile="test"``."""
    spec = copy.deepcopy(demo_definition())
    if profile == "test":
        spec.update(spec["test_profile"])
    return spec


def demo_definition() -> dict:
    """Return the demo cohort definition (``metadata/demo_cohort.yaml``)."""
    return yaml.safe_load(metadata_path("demo_cohort.yaml").read_text())


def simulate_cohort(outdir: str | Path, *, seed: int | None = None, n_patients: int | None = None,
                    n_genes: int | None = None, n_proteins: int | None = None,
                    scenario: str = "angiogenic", profile: str = "full", n_cpus: int = 1
                    ) -> dict[str, Path]:
    """Simulate a BALI-like cohort and write its files, writing only over files it wrote before.

    As ``omics simulate``: a file at a path the simulation writes that no earlier
    simulation into ``outdir`` recorded (``simulate.record``, written beside the cohort),
    or one changed since it wrote it, stops it before anything is written; so does an
    ``omics run`` (or ``omics simulate``) holding the folder's lock. (The lock is taken
    only when the folder has one, ``.omics.lock``: a folder no command locked is left
    without that file.)

    Parameters
    ----------
    outdir
        Folder to write ``samplesheet.csv``, ``salmon.merged.gene_counts.tsv``,
        ``proteinGroups.txt``, ``contrasts.yaml``, the truth tables
        ``truth_genes.tsv``, ``truth_patients.tsv``, ``truth_sets.tsv``, and the optional
        trial-era inputs ``qpcr_ct.tsv`` (RT-qPCR panel, truth in ``truth_qpcr.tsv``) and
        ``contrasts_potency.yaml`` (the sample sheet's ``potency_perfusion_ratio``).
    seed
        Random seed (default: the demo definition's).
    n_patients, n_genes, n_proteins
        Cohort size (defaults from ``metadata/demo_cohort.yaml``, or its ``test_profile``).
    scenario
        ``"angiogenic"`` plants predictive and prognostic effects; ``"null"`` plants only
        the arm (cryopreservation) effect: response is drawn from the intercept and
        diabetes alone, so nothing measured relates to it.
    profile
        ``"full"`` or ``"test"`` (the small cohort used by ``-profile test``).
    n_cpus
        With 2 or more, the flow cytometry files are written and gated here while another
        process writes the other files (each part has its own random stream: the files
        are the same).

    Returns
    -------
    dict[str, Path]
        Paths of the written inputs, keyed by parameter name (``input``, ``rna_counts``,
        ``protein_matrix``, ``contrasts``).

    Raises
    ------
    ValueError
        ``scenario`` or ``profile`` not one of the choices, or a size or seed that is not
        a whole number (nothing written, no folder created).
    omics._errors.InputError
        A size out of range, a file in the way (see above) or the folder locked.
    """
    return simulate_recorded(Path(outdir), seed=seed, profile=profile, n_patients=n_patients,
                             n_genes=n_genes, n_proteins=n_proteins, scenario=scenario,
                             n_cpus=n_cpus, lock=False)


def simulate_recorded(outdir: Path, *, seed: int | None = None, profile: str = "full",
                      n_patients: int | None = None, n_genes: int | None = None,
                      n_proteins: int | None = None, lock: bool = True,
                      **options: object) -> dict[str, Path]:
    """``omics simulate``: :func:`simulate_cohort_then`, writing only over files it wrote before.

    The options and sizes are checked first. A file at a path the simulation writes
    (:func:`planned_files`) that no earlier ``omics simulate`` into ``outdir`` recorded,
    or that was changed since it wrote it, stops it before anything is written (exit 2);
    so does a ``simulate.record`` omics did not write, and an ``omics run`` or another
    simulation holding the folder's lock (:class:`omics.io._outdir.OutdirLock`, held while
    the cohort is written). The record (:data:`omics._manifests.SIMULATE_RECORD`, not a
    task manifest, so ``omics run`` into the same folder keeps the cohort) lists the files
    before they are written and their SHA-256 after. Its earlier files this cohort does
    not have (an FCS file of a patient a smaller cohort lacks) are removed when they are
    still as it wrote them.

    Parameters
    ----------
    outdir
        The cohort folder (resolved by the command line).
    seed, profile, n_patients, n_genes, n_proteins
        As for :func:`simulate_cohort`.
    lock
        Take the folder's lock even when it has no lock file yet (``omics simulate``);
        False: only when it has one (:func:`simulate_cohort`, which then leaves no
        ``.omics.lock`` in a folder no command locked).
    **options
        The other options of :func:`simulate_cohort`.

    Returns
    -------
    dict[str, Path]
        As :func:`simulate_cohort`.
    """
    from .._manifests import SIMULATE_RECORD, claim_undone_on_failure, sha256_file, write_record
    from ..io._outdir import LOCK_NAME, OutdirLock, probe_lock

    sizes = {"seed": seed, "n_patients": n_patients, "n_genes": n_genes, "n_proteins": n_proteins}
    _check_options(str(options.get("scenario", "angiogenic")), profile, sizes)
    _checked_sizes(_definition(profile), **sizes)  # (a billion patients: no list of their files)
    record = outdir / SIMULATE_RECORD
    planned = planned_files(outdir, profile=profile, n_patients=n_patients)
    probe_lock(outdir)  # a run writing there: stop before anything is made
    _refuse_overwrite(outdir, planned)
    names = {path: str(path.relative_to(outdir)) for path in planned}
    with OutdirLock(outdir, "omics simulate") if lock or (outdir / LOCK_NAME).is_file() else nullcontext():
        earlier = _refuse_overwrite(outdir, planned)  # again: a simulation may have ended meanwhile
        with claim_undone_on_failure(record, planned, outdir):
            write_record(record, {**earlier, **dict.fromkeys(names.values())})
            paths, _ = simulate_cohort_then(outdir, profile=profile, **sizes,  # type: ignore[arg-type]
                                            **options)  # type: ignore[arg-type]
        for name, digest in earlier.items():  # its earlier files this cohort has not (fewer patients)
            path = outdir / name
            if (name not in names.values() and digest is not None and path.is_file()
                    and not path.is_symlink() and sha256_file(path) == digest):
                path.unlink()
        write_record(record, {**{name: digest for name, digest in earlier.items()
                                 if (outdir / name).is_file()},
                              **{name: sha256_file(path) for path, name in names.items()
                                 if path.is_file()}})
    return paths


def _refuse_overwrite(outdir: Path, planned: Sequence[Path]) -> dict[str, str | None]:
    """Stop when simulating into ``outdir`` would replace a file it did not write as it is now.

    Checked in turn: ``simulate.record`` itself (it must be a record omics wrote); a
    planned file changed since the simulation recorded it (edited by hand); a planned file
    an ``omics run --demo`` in ``outdir`` or a folder above it simulated (its run record
    lists it); any other planned file no simulation recorded (:func:`refuse_foreign`).

    Returns
    -------
    dict[str, str | None]
        The earlier record's files (relative path -> SHA-256, None: claimed, not finished).

    Raises
    ------
    omics._errors.InputError
        Naming the file and the fix, before anything is written.
    """
    from .._manifests import (
        RUN_RECORD,
        SIMULATE_RECORD,
        recorded_files,
        refuse_foreign,
        run_files,
        sha256_file,
    )

    fix = "Move the file away (omics simulate then writes it again), or choose another {--outdir}."
    record = outdir / SIMULATE_RECORD
    if record.is_symlink() or (record.exists() and not _is_simulate_record(record)):
        raise InputError(f"{SIMULATE_RECORD} is in the output folder, but it is not a record "
                         "omics simulate wrote (JSON with its files and their SHA-256): omics "
                         "simulate would overwrite it.", path=outdir,
                         fix="Move the file away, or choose another {--outdir}.")
    earlier = recorded_files(record)
    for path in planned:
        relative = str(path.relative_to(outdir))
        digest = earlier.get(relative)
        if (digest is not None and path.is_file() and not path.is_symlink()
                and sha256_file(path) != digest):
            raise InputError(f"{relative} was changed since omics simulate wrote it (edited by "
                             "hand, or written by another tool), and omics simulate does not "
                             "overwrite a file changed outside it.", path=outdir, fix=fix)
    unknown = [path for path in planned if str(path.relative_to(outdir)) not in earlier
               and (path.exists() or path.is_symlink())]
    if unknown:
        absolute = outdir.absolute()
        for parent in (absolute, *absolute.parents):
            ran = run_files(parent)
            listed = [path for path in unknown if ran
                      and str(absolute.joinpath(path.relative_to(outdir)).relative_to(parent)) in ran]
            if listed:
                more = f" ({len(listed) - 1} more such file(s))" if len(listed) > 1 else ""
                raise InputError(
                    f"{listed[0].relative_to(outdir)} is a file of the cohort an omics run in "
                    f"{parent} simulated (its {RUN_RECORD} lists it){more}: omics simulate does "
                    "not overwrite a run's files.", path=outdir,
                    fix="Simulate into another {--outdir} (that run reuses its cohort only as "
                        "it simulated it).")
    refuse_foreign(outdir, [("omics simulate", path) for path in planned], set(earlier))
    return earlier


def _is_simulate_record(record: Path) -> bool:
    """Whether ``record`` is a file :func:`omics._manifests.write_record` wrote: ``{"files": {...}}``."""
    from .._manifests import read_manifest

    if not record.is_file():
        return False
    files = read_manifest(record).get("files")
    return isinstance(files, dict) and all(isinstance(name, str) and (digest is None or isinstance(
        digest, str)) for name, digest in files.items())


def simulate_cohort_then(outdir: str | Path, *, then: Callable[[dict[str, Path]], T] | None = None,
                         seed: int | None = None, n_patients: int | None = None,
                         n_genes: int | None = None, n_proteins: int | None = None,
                         scenario: str = "angiogenic", profile: str = "full", n_cpus: int = 1
                         ) -> tuple[dict[str, Path], T | None]:
    """:func:`simulate_cohort`, calling ``then`` on the input paths once the molecular files exist.

    ``then`` runs in the process that wrote the sample sheet, contrasts and matrices (with
    ``n_cpus`` > 1 a child process, while this one still writes and gates the flow
    cytometry files), e.g. to check them meanwhile; it and its result must pickle.

    Returns
    -------
    tuple
        The input paths (as :func:`simulate_cohort`) and ``then``'s result (None without
        ``then``).
    """
    _check_options(scenario, profile, {"seed": seed, "n_patients": n_patients,
                                       "n_genes": n_genes, "n_proteins": n_proteins})
    spec = _definition(profile)
    if scenario == "null":  # no planted response (or survival) effect: intercept and diabetes only
        for model in ("response_model", "survival_model"):
            spec[model] = {**spec.get(model, {}), "prognostic": 0.0, "predictive": 0.0}
    seed, n_patients, n_genes, n_proteins = _checked_sizes(spec, seed, n_patients, n_genes,
                                                           n_proteins)
    rng = np.random.default_rng(seed)
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)

    log.info("simulating %d patients, %d genes, up to %d protein groups (seed %d, %s)", n_patients,
             n_genes, n_proteins, seed, scenario)
    cohort = simulate_patients(n_patients, spec["response_model"], rng)
    flow_events = FLOW_EVENTS[profile]
    molecular = (cohort, spec, rng, outdir, seed, n_genes, n_proteins, scenario)
    if min(int(n_cpus or 1), os.cpu_count() or 1) > 1:
        # FlowKit is imported and the FCS files gated here (a runner's task workers, forked
        # later, inherit the import) while a child process writes the other files.
        with ProcessPoolExecutor(max_workers=1, initializer=start_worker,
                                 initargs=(os.getpid(),), mp_context=fork_context()) as pool:
            written = pool.submit(_write_molecular_then, then, *molecular)
            simulate_flow(cohort, outdir, seed=seed, n_events=flow_events, null=scenario == "null")
            paths, result, n_groups = written.result()
    else:
        paths, result, n_groups = _write_molecular_then(then, *molecular)
        simulate_flow(cohort, outdir, seed=seed, n_events=flow_events, null=scenario == "null")
    proteins: dict[str, int] = {"n_proteins": n_proteins}
    if n_groups != n_proteins:  # fewer genes expressed enough for a protein group each
        log.warning("wrote %d protein groups, not the %d asked for (n_proteins): only %d of "
                    "the genes have a UniProt accession of their own and are expressed enough; "
                    "simulation.yaml records both (n_proteins, n_proteins_requested)", n_groups,
                    n_proteins, n_groups)
        proteins = {"n_proteins": n_groups, "n_proteins_requested": n_proteins}
    settings = {"seed": seed, "scenario": scenario, "profile": profile, "n_patients": n_patients,
                "n_genes": n_genes, **proteins, "definition": spec,
                "flow": {"events_per_file": flow_events, "beads_per_test": BEADS_PER_TEST,
                         "sample_volume_ul": SAMPLE_VOLUME_UL}}
    write_text(yaml.safe_dump(settings, sort_keys=False), outdir / SETTINGS_FILE)
    log.info("wrote the cohort to %s", outdir)
    return paths, result


def _write_molecular_then(then: Callable[[dict[str, Path]], T] | None, *molecular: object
                          ) -> tuple[dict[str, Path], T | None, int]:
    """:func:`_write_molecular` (its arguments ``molecular``), then ``then`` on the written paths.

    Returns the paths, ``then``'s result and the number of protein groups written.
    """
    paths, n_groups = _write_molecular(*molecular)
    return paths, (None if then is None else then(paths)), n_groups


def _write_molecular(cohort: Cohort, spec: dict, rng: np.random.Generator, outdir: Path, seed: int,
                     n_genes: int, n_proteins: int, scenario: str) -> tuple[dict[str, Path], int]:
    """Simulate and write everything but the flow cytometry.

    Returns the input paths and the number of protein groups written (genes' groups, not
    contaminants or decoys: at most ``n_proteins``, fewer when fewer genes are expressed).

    ``rng`` continues the cohort's stream (genes, effects, counts, proteins); the trial-era
    extras and the survival have their own streams.
    """
    annotation = pd.read_csv(metadata_path("human_gene_ids.tsv"), sep="\t", dtype=str)
    gene_sets = read_gmt(metadata_path("genesets", "go_angiogenesis.gmt"))
    genes = gene_universe(annotation, n_genes, set().union(*gene_sets.values()), rng)
    truth = plant_effects(genes, gene_sets, spec["planted"], rng, null=scenario == "null")
    counts = simulate_counts(truth, cohort, rng)
    log.info("simulated the RNA counts (%d genes x %d samples)", len(truth), len(cohort.samplesheet))
    proteins = simulate_protein_groups(genes, truth, cohort, n_proteins, spec["protein"], rng)
    n_groups = int(((proteins["Reverse"] != "+") & (proteins["Potential contaminant"] != "+")).sum())
    log.info("simulated %d protein groups", n_groups)

    extra_rng = np.random.default_rng([seed, 13])  # own stream: other numbers stay as they were
    cohort.samplesheet["potency_perfusion_ratio"] = potency_perfusion_ratio(cohort, extra_rng)
    wells, qpcr_truth = simulate_qpcr(truth, cohort, extra_rng)
    # Amputation-free survival from its own generator, so the matrices above are unchanged.
    afs = spec.get("survival_model", {})
    surv_rng = np.random.default_rng([seed, 183])
    latent = cohort.latent
    treated = (cohort.samplesheet["arm"] == "bmmnc").to_numpy()
    lp = (afs.get("prognostic", -1.0) * latent["prognostic_factor"].to_numpy()
          + afs.get("predictive", -1.5) * latent["potency_factor"].to_numpy() * treated)
    if scenario == "null":
        lp = np.zeros(len(lp))
    responder = (cohort.samplesheet["response"] == "responder").to_numpy()
    days, event = weibull_afs(lp, surv_rng, responder=responder)
    cohort.samplesheet["afs_days"] = days.astype(int)
    cohort.samplesheet["afs_event"] = event
    cohort.latent["afs_log_hazard"] = lp

    paths = {key: outdir / name for key, name in INPUT_FILES.items()}
    with atomic_path(paths["input"]) as tmp:
        cohort.samplesheet.to_csv(tmp, index=False)
    write_tsv(counts, paths["rna_counts"])
    write_tsv(proteins, paths["protein_matrix"], float_format="%.0f", na_rep="")
    with atomic_path(paths["contrasts"]) as tmp:
        shutil.copyfile(metadata_path("bali_contrasts.yaml"), tmp)
    write_tsv(wells, outdir / EXTRA_FILES["qpcr"])
    write_tsv(qpcr_truth, outdir / TRUTH_FILES["truth_qpcr"])
    write_text(POTENCY_CONTRASTS, outdir / EXTRA_FILES["potency_contrasts"])
    write_tsv(truth, outdir / TRUTH_FILES["truth_genes"])
    write_tsv(cohort.latent, outdir / TRUTH_FILES["truth_patients"])
    # afs_log_hr_per_sd: the factor's coefficient in the Weibull model of the times given
    # the response (see omics.simulate._survival), not a marginal Cox hazard ratio.
    roles = {"predictive": ("predictive", "potency_factor"),
             "prognostic": ("prognostic", "prognostic_factor")}
    planted = [] if scenario == "null" else [
        {"term": spec["planted"][role]["gene_set"], "role": label, "direction": "up_in_responders",
         "latent_factor": factor, "afs_role": label,
         "afs_log_hr_per_sd": afs.get(role, -1.0 if role == "prognostic" else -1.5)}
        for role, (label, factor) in roles.items()
    ]
    if scenario != "null" and "angiogenic_host" in spec["planted"]:
        # The parent angiogenesis set holds both kinds of planted genes (its sprouting
        # members load on potency, others on the host factor): up in responders, role mixed.
        planted.append({"term": spec["planted"]["angiogenic_host"]["gene_set"], "role": "mixed",
                        "direction": "up_in_responders",
                        "latent_factor": "prognostic_factor+potency_factor", "afs_role": "mixed",
                        "afs_log_hr_per_sd": np.nan})
    write_tsv(pd.DataFrame(planted, columns=["term", "role", "direction", "latent_factor", "afs_role",
                                             "afs_log_hr_per_sd"]),
              outdir / TRUTH_FILES["truth_sets"])
    return paths, n_groups
