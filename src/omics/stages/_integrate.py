"""Stage ``integrate``: MuData, mRNA-protein correlation, concordance, joint pathways."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import mudata as md
import numpy as np
import pandas as pd

from .._errors import InputError
from .._logging import get_logger, info_as_debug
from .._parallel import map_processes
from ..io import atomic_path, h5_safe_annotations, staging_folder, write_tsv
from ..tl import (
    DE_COLUMNS,
    build_mudata,
    flow_score_correlation,
    fold_change_concordance,
    mrna_protein_correlation,
    pathway_evidence,
)
from ._common import check_h5ad, out_path, parse_de_results_name, read_h5ad

log = get_logger("integrate")
#: The order of the modalities' columns in ``pathway_evidence.tsv`` (``omics run``'s); others follow by name.
MODALITY_ORDER = ("rna", "protein", "flow")
#: Columns the input tables must have (a DE table: those of DESeq2 or of limma, ``DE_COLUMNS``).
_SCORES_COLUMNS = ("sample", "modality", "term", "score")
_GSEA_COLUMNS = ("term", "nes", "pvalue", "fdr")


def _modality_order(modality: str) -> tuple[int, str]:
    """Sort key of a modality: :data:`MODALITY_ORDER`, then by name."""
    return (MODALITY_ORDER.index(modality) if modality in MODALITY_ORDER else len(MODALITY_ORDER),
            modality)


def _read(path: str | Path) -> pd.DataFrame:
    table = pd.read_csv(path, sep="\t", keep_default_na=False, na_values=["NA", ""])
    if "gene_name" in table:  # (_check_inputs stops on an RNA/protein table without it)
        table["gene_name"] = table["gene_name"].fillna("").astype(str)
    return table


def _read_scores(path: str | Path) -> pd.DataFrame:
    """Read ``scores/angiogenesis_scores.tsv`` with its sample ids as text, as written (``001``).

    The other columns are read as pandas reads them (``NA``, ``N/A``, ``null``, ... missing).
    """
    return pd.read_csv(path, sep="\t", converters={"sample": str})


def _flow_outputs(flow, scores: str | Path | None, folder: str | Path,  # noqa: ANN001
                  params: dict) -> dict[str, Path]:
    from ._flow import scores_with_events

    table = _read_scores(scores)
    with info_as_debug("pp"):  # the score stage reported the flow scores' units and left-outs
        computed = scores_with_events(flow, params.get("flow_dose_population"), what=None)
    correlation = flow_score_correlation(computed, table)
    if correlation.empty:
        log.warning("integrate: flow_score_correlation.tsv has no rows: the scores table holds no "
                    "RNA or protein score of these patients to correlate the flow populations with")
    return {"flow_correlation": write_tsv(correlation, Path(folder, "flow_score_correlation.tsv"))}


def _write_h5mu(rna_h5ad: str | Path, protein_h5ad: str | Path, flow_h5ad: str | Path | None,
                folder: str | Path) -> dict[str, Path]:
    """Build the MuData of the prepared modalities and write ``omics.h5mu`` in ``folder``."""
    rna, protein = read_h5ad(rna_h5ad), read_h5ad(protein_h5ad)
    flow = read_h5ad(flow_h5ad) if flow_h5ad else None
    mdata = build_mudata(rna, protein, flow)
    h5mu = Path(folder, "omics.h5mu")
    h5_safe_annotations(mdata.obs)
    with atomic_path(h5mu) as tmp, md.set_options(pull_on_update=True):  # as build_mudata
        mdata.write(tmp)
    return {"h5mu": h5mu}


def _write_correlations(rna_h5ad: str | Path, protein_h5ad: str | Path, flow_h5ad: str | Path | None,
                        scores: str | Path | None, folder: str | Path, params: dict) -> dict[str, Path]:
    """Write the mRNA-protein correlation and (with flow) the flow-score correlation."""
    # the correlation reads the RNA VST and the protein X (mrna_protein_correlation's layers),
    # and qPCR's undetermined cells, which it leaves out
    rna = read_h5ad(rna_h5ad, layers=("vst", "undetermined") if _has_layer(rna_h5ad, "undetermined")
                    else ("vst",))
    protein = read_h5ad(protein_h5ad)
    outputs = ({} if not flow_h5ad
               else _flow_outputs(read_h5ad(flow_h5ad), scores, folder, params))
    return outputs | {"correlation": write_tsv(mrna_protein_correlation(rna, protein),
                                               Path(folder, "mrna_protein_correlation.tsv"))}


def _has_layer(path: str | Path, layer: str) -> bool:
    """Whether the h5ad file at ``path`` has ``layers[layer]`` (qPCR RNA: ``undetermined``)."""
    import h5py

    with h5py.File(path, "r") as file:
        return "layers" in file and layer in file["layers"]


def _write_flow_correlation(flow_h5ad: str | Path, scores: str | Path, folder: str | Path,
                            params: dict) -> dict[str, Path]:
    """Write the flow-score correlation alone (flow with one of RNA and protein)."""
    return _flow_outputs(read_h5ad(flow_h5ad), scores, folder, params)


def _write_evidence(de_results: list[str | Path], gsea_results: list[str | Path], folder: str | Path,
                    params: dict) -> dict[str, Path]:
    """Write the fold-change concordance (and its summary) and the joint pathway evidence."""
    de_tables: dict[str, dict[str, Path]] = {}
    for path in de_results:
        contrast_id, modality, _ = parse_de_results_name(path)
        de_tables.setdefault(contrast_id, {})[modality] = Path(path)
    concordance, summaries = [], []
    for contrast_id, tables in sorted(de_tables.items()):
        if {"rna", "protein"} <= set(tables):
            joined, summary = fold_change_concordance(_read(tables["rna"]), _read(tables["protein"]),
                                                      fdr=params["de_fdr"])
            joined.insert(0, "contrast", contrast_id)
            concordance.append(joined)
            summaries.append({"contrast": contrast_id, **summary})

    gsea: dict[str, dict[str, pd.DataFrame]] = {}
    for path in gsea_results:
        contrast_id, modality = _gsea_name(path)
        gsea.setdefault(contrast_id, {})[modality] = pd.read_csv(path, sep="\t")
    evidence = []
    for contrast_id, by_modality in sorted(gsea.items()):
        # the modalities' columns in one order whatever the order of --gsea_results (a
        # shell glob and Nextflow give them by name): the bytes of 'omics run'
        by_modality = dict(sorted(by_modality.items(), key=lambda item: _modality_order(item[0])))
        table = pathway_evidence(by_modality, permutations=params.get("gsea_permutations"))
        table.insert(0, "contrast", contrast_id)
        evidence.append(table)
    return {
        "concordance": write_tsv(pd.concat(concordance, ignore_index=True) if concordance
                                 else pd.DataFrame(columns=["contrast", "gene_name"]),
                                 Path(folder, "concordance.tsv")),
        # (no contrast with both modalities' tables: a header, not an empty file the report
        # cannot read)
        "summary": write_tsv(pd.DataFrame(summaries) if summaries else pd.DataFrame(columns=["contrast"]),
                             Path(folder, "concordance_summary.tsv")),
        "pathways": write_tsv(pd.concat(evidence, ignore_index=True) if evidence
                              else pd.DataFrame(columns=["contrast", "term"]),
                              Path(folder, "pathway_evidence.tsv")),
    }


def _gsea_name(path: str | Path) -> tuple[str, str]:
    """``(contrast, modality)`` of a ``<contrast>.<modality>.gsea.tsv`` file."""
    name = Path(path).name
    if not name.endswith(".gsea.tsv"):
        raise InputError("expected a <contrast>.<modality>.gsea.tsv file.", path=path)
    contrast_id, modality = name[: -len(".gsea.tsv")].rsplit(".", 1)
    return contrast_id, modality


def _check_inputs(rna_h5ad: str | Path | None, protein_h5ad: str | Path | None,
                  de_results: list[str | Path], gsea_results: list[str | Path],
                  flow_h5ad: str | Path | None, scores: str | Path | None,
                  permutations: int | None) -> None:
    """Stop on a missing, misnamed or wrong-modality input before any job reads or writes."""
    if not (rna_h5ad and protein_h5ad) and not (flow_h5ad and (rna_h5ad or protein_h5ad)):
        raise InputError("give {--rna_h5ad} and {--protein_h5ad} (the mRNA-protein integration), "
                         "or {--flow_h5ad} and {--scores} with either (the flow-score correlation).",
                         fix="Give the h5ad files the preparation stages wrote.")
    if flow_h5ad and not scores:
        raise InputError("{--flow_h5ad} needs {--scores} (scores/angiogenesis_scores.tsv).")
    if scores and not flow_h5ad:
        raise InputError("{--scores} is used only with {--flow_h5ad} (the flow-score correlation), "
                         "which was not given.", path=scores,
                         fix="Give {--flow_h5ad} flow/flow.h5ad too, or leave {--scores} out.")
    if rna_h5ad:
        check_h5ad(rna_h5ad, "rna", option="rna_h5ad", layers=("vst",))  # the correlation's layer
    if protein_h5ad:
        check_h5ad(protein_h5ad, "protein", option="protein_h5ad")
    if flow_h5ad:
        check_h5ad(flow_h5ad, "flow", option="flow_h5ad")
    tables = [("de_results", "de", path) for path in de_results]
    tables += [("gsea_results", "enrich", path) for path in gsea_results]
    tables += [("scores", "score", scores)] if flow_h5ad else []
    for option, stage, path in tables:
        if not Path(path).is_file():
            raise InputError(f"{{--{option}}}: file not found.", path=path,
                             fix=f"Give the tables written by 'omics {stage}'.")
    _check_one_table_each(de_results, gsea_results)
    # the tables' columns too: a wrong table given stops here, not inside a job that runs
    # beside others writing their files
    for path in de_results:
        header = _header(path, "de_results")
        if not any(set(needed) <= set(header) for needed in DE_COLUMNS.values()):
            _missing_columns("de_results", path, header,
                             "a DESeq2 ({}) or limma ({}) results table".format(
                                 *(", ".join(DE_COLUMNS[method]) for method in ("deseq2", "limma"))),
                             "de")
        if "gene_name" not in header and parse_de_results_name(path)[1] in ("rna", "protein"):
            # the concordance joins RNA and protein by symbol: without them it would be empty
            raise InputError("{--de_results}: the table has no column 'gene_name' (the gene symbols "
                             "the concordance joins RNA and protein by).", path=path,
                             fix="Give the table written by 'omics de', which has it.")
    for path in gsea_results:
        header = _header(path, "gsea_results")
        if not set(_GSEA_COLUMNS) <= set(header):
            _missing_columns("gsea_results", path, header, f"a GSEA table ({', '.join(_GSEA_COLUMNS)})",
                             "enrich")
        table = pd.read_csv(path, sep="\t")  # as _write_evidence reads it
        repeated = table["term"][table["term"].duplicated()]
        if len(repeated):
            raise InputError(f"{{--gsea_results}}: term {repeated.iloc[0]!r} is on more than one row "
                             f"({repeated.nunique()} terms repeated).", path=path,
                             fix="Give one row per gene set, as 'omics enrich' writes.")
        _check_permutations(table, path, permutations)
    if flow_h5ad:
        header = _header(scores, "scores")
        if not set(_SCORES_COLUMNS) <= set(header):
            _missing_columns("scores", scores, header, "the per-sample scores table "
                             f"({', '.join(_SCORES_COLUMNS)})", "score",
                             "scores/angiogenesis_scores.tsv")
        _check_score_samples(flow_h5ad, scores)
    if rna_h5ad and protein_h5ad:
        _warn_no_concordance(de_results)


def _check_score_samples(flow_h5ad: str | Path, scores: str | Path) -> None:
    """Stop when the flow samples and the mRNA/protein scores share no sample id.

    The flow-score correlation pairs them by id: without a shared one its table would be
    empty. Ids are compared as text, as the stages write them (``001`` stays ``001``).
    """
    table = _read_scores(scores)
    numbers = pd.to_numeric(table["score"], errors="coerce")
    text = table["score"].notna() & numbers.isna()
    if text.any():
        row = int(text.to_numpy().argmax())
        raise InputError(f"{{--scores}}: row {row + 2}, column 'score': {table['score'].iloc[row]!r} "
                         "is not a number.", path=scores,
                         fix="Give the per-sample scores table 'omics score' wrote "
                             "(scores/angiogenesis_scores.tsv).")
    samples = table.loc[table["modality"] != "flow", "sample"].drop_duplicates()
    if samples.empty:
        return
    flow_ids = read_h5ad(flow_h5ad).obs_names
    if not set(flow_ids) & set(samples):
        raise InputError(
            f"{{--scores}}: no sample id in common with {{--flow_h5ad}} {flow_h5ad} (scores: "
            f"{', '.join(samples[:3])}; flow: {', '.join(map(str, flow_ids[:3]))}).", path=scores,
            fix="Give the scores and the flow file of the same run (scores/angiogenesis_scores.tsv "
                "and flow/flow.h5ad).")


def _check_permutations(table: pd.DataFrame, path: str | Path, permutations: int | None) -> None:
    """Stop when a GSEA table's one-sided p-values were not computed with ``permutations``.

    ``omics enrich`` writes ``pvalue_one_sided = (k + 1) / (B + 1)``; the joint evidence
    sets a p of 0 or 1 to ``1 / (B + 1)`` or ``B / (B + 1)``, so in a table that has one, B
    must be the table's (another B would give another z, silently). Other tables, and
    tables without ``pvalue_one_sided``, do not use B and are not checked. The check is
    that every one-sided p is a multiple of ``1 / (B + 1)``: a B whose ``B + 1`` is a
    multiple of the table's (2001 for a table of 1000), or a table whose only p is 1,
    passes it.
    """
    if not permutations or "pvalue_one_sided" not in table:
        return
    p = pd.to_numeric(table["pvalue_one_sided"], errors="coerce").dropna().to_numpy(float)
    if not ((p <= 0) | (p >= 1)).any():
        return
    counts = p * (int(permutations) + 1)
    # the tables keep 10 significant digits: a count is a whole number to within 1e-8 of itself
    off = abs(counts - counts.round()) > 1e-8 * np.maximum(counts, 1.0)
    if off.any():
        raise InputError(
            f"{{--gsea_results}}: the one-sided p-values are not counts of {permutations} "
            f"permutations (e.g. {p[off][0]:.6g} is not a multiple of 1/{int(permutations) + 1}).",
            path=path,
            fix="Give {--gsea_permutations} the number of permutations 'omics enrich' ran with.")


def _check_one_table_each(de_results: list[str | Path], gsea_results: list[str | Path]) -> None:
    """Stop on a misnamed table, or on two tables of one contrast and modality.

    Two (e.g. ``<c>.rna.deseq2`` and ``<c>.rna.limma``, both matched by a glob) would leave
    the answer to the order of the options.
    """
    seen: dict[tuple[str, str], Path] = {}
    for option, paths, name in (("de_results", de_results, lambda p: parse_de_results_name(p)[:2]),
                                ("gsea_results", gsea_results, _gsea_name)):
        seen.clear()
        for path in paths:
            key = name(path)
            if key in seen and Path(path).resolve() != seen[key].resolve():
                raise InputError(f"{{--{option}}}: two tables of contrast {key[0]!r} and modality "
                                 f"{key[1]!r}: {seen[key]} and {path}.",
                                 fix=f"Give one {key[1]} table per contrast to {{--{option}}}.")
            seen.setdefault(key, Path(path))


def _warn_no_concordance(de_results: list[str | Path]) -> None:
    """Warn when a contrast of ``--de_results`` lacks its RNA or its protein table.

    The fold-change concordance compares a contrast's RNA and protein tables: a contrast
    with one of them only is not in ``concordance.tsv`` and ``concordance_summary.tsv``
    (both header-only when no contrast has the pair). Tables of other modalities (flow)
    are not compared and not warned about.
    """
    given: dict[str, list[str]] = {}
    for path in de_results:
        contrast_id, modality, _ = parse_de_results_name(path)
        given.setdefault(contrast_id, []).append(modality)
    if given and not any({"rna", "protein"} <= set(modalities) for modalities in given.values()):
        log.warning("no contrast has both an RNA and a protein differential table among "
                    "--de_results (given: %s): concordance.tsv and concordance_summary.tsv are "
                    "header-only; give the rna and protein tables of a contrast to compare them",
                    "; ".join(f"{c} {', '.join(sorted(m))}" for c, m in sorted(given.items())))
        return
    alone = {c: sorted(set(m) & {"rna", "protein"}) for c, m in sorted(given.items())
             if len(set(m) & {"rna", "protein"}) == 1}
    if alone:
        log.warning("%d contrast(s) of --de_results have only one of the RNA and protein differential "
                    "tables and are not in concordance.tsv and concordance_summary.tsv (%s); give "
                    "both tables of a contrast to compare them", len(alone),
                    "; ".join(f"{c}: {m[0]} only" for c, m in alone.items()))


def _header(path: str | Path, option: str) -> list[str]:
    """Return the column names of the tab-separated table given to ``--<option>``."""
    try:
        return [str(c) for c in pd.read_csv(path, sep="\t", nrows=0).columns]
    except (ValueError, UnicodeDecodeError) as error:  # empty, not text
        raise InputError(f"{{--{option}}}: not a tab-separated table ({error}).", path=path,
                         fix="Give the tables written by the omics stages.") from None


def _missing_columns(option: str, path: str | Path, header: list[str], expected: str, stage: str,
                     example: str = "") -> None:
    shown = ", ".join(header[:8]) + (", ..." if len(header) > 8 else "")
    raise InputError(f"{{--{option}}}: not {expected} (its columns: {shown or 'none'}).",
                     path=path, fix=f"Give {{--{option}}} the table written by 'omics {stage}'"
                                    + (f" ({example})." if example else "."))


def _run(job: tuple) -> dict[str, Path]:
    function, kwargs = job
    return function(**kwargs)


def integrate(*, outdir: str | Path, params: dict, rna_h5ad: str | Path | None = None,
              protein_h5ad: str | Path | None = None, de_results: Sequence[str | Path] = (),
              gsea_results: Sequence[str | Path] = (), flow_h5ad: str | Path | None = None,
              scores: str | Path | None = None) -> dict[str, Path]:
    """Write ``integration/omics.h5mu`` and the integration tables.

    With RNA and protein (``rna_h5ad`` and ``protein_h5ad``):

    - ``mrna_protein_correlation.tsv``: per-gene Spearman across patients;
    - ``concordance.tsv`` (per contrast and gene) and ``concordance_summary.tsv``;
    - ``pathway_evidence.tsv``: per contrast and set, Stouffer-combined GSEA evidence;
    - with ``flow_h5ad`` (and ``scores``): the ``flow`` modality in the MuData and
      ``flow_score_correlation.tsv`` (each flow population and the dose against each
      angiogenic mRNA/protein score, Spearman across patients).

    With flow and only one of RNA and protein: ``flow_score_correlation.tsv`` alone (the
    flow scores against the scores of the modality there is; logged); the mRNA-protein
    files are not written, and ``de_results``/``gsea_results`` are not read.

    The MuData, the correlations and the fold-change/pathway evidence are independent:
    they are written in up to ``n_cpus`` processes (the same files either way). Every
    input is checked first (files there and named as their stages write them, each h5ad
    of the modality of its option): a bad one stops the stage before anything is written.
    The stage is all or nothing: the jobs write into a private staging folder in
    ``integration/`` and the files take their names only when every job succeeded; on an
    error no file of ``integration/`` is created or replaced and the staging folder is
    removed (one a killed run left is removed by the next ``omics run``).
    """
    de_results, gsea_results = list(de_results), list(gsea_results)
    _check_inputs(rna_h5ad, protein_h5ad, de_results, gsea_results, flow_h5ad, scores,
                  params.get("gsea_permutations"))
    folder = out_path(outdir, "integration", "omics.h5mu").parent
    staged: dict[str, Path] = {}
    if not (rna_h5ad and protein_h5ad):
        scored = "RNA" if rna_h5ad else "protein"
        log.info("no %s data: integration/ holds the flow-score correlation with the %s scores "
                 "alone (no mRNA-protein MuData, correlation, concordance or joint pathway "
                 "evidence)", "protein" if rna_h5ad else "RNA", scored)
        with staging_folder(folder) as staging:
            staged = _write_flow_correlation(flow_h5ad, scores, staging, params)
        return {key: folder / path.name for key, path in staged.items()}
    with staging_folder(folder) as staging:
        # the jobs write into the staging folder, in this process or in forked ones
        jobs = [(_write_h5mu, {"rna_h5ad": rna_h5ad, "protein_h5ad": protein_h5ad,
                               "flow_h5ad": flow_h5ad, "folder": staging}),
                (_write_correlations, {"rna_h5ad": rna_h5ad, "protein_h5ad": protein_h5ad,
                                       "flow_h5ad": flow_h5ad, "scores": scores, "folder": staging,
                                       "params": params}),
                (_write_evidence, {"de_results": de_results, "gsea_results": gsea_results,
                                   "folder": staging, "params": params})]
        for written in map_processes(_run, jobs, params.get("n_cpus") or 1):
            staged |= written
    return {key: folder / path.name for key, path in staged.items()}
