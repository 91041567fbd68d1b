"""Stage ``integrate``: MuData, mRNA-protein correlation, concordance, joint pathways."""

from __future__ import annotations

from pathlib import Path

import mudata as md
import pandas as pd

from .._errors import InputError
from ..io import atomic_path, h5_safe_annotations, write_tsv
from ..tl import (
    build_mudata,
    flow_score_correlation,
    fold_change_concordance,
    mrna_protein_correlation,
    pathway_evidence,
)
from ._common import out_path, parse_de_results_name, read_h5ad


def _read(path: str | Path) -> pd.DataFrame:
    table = pd.read_csv(path, sep="\t", keep_default_na=False, na_values=["NA", ""])
    table["gene_name"] = table.get("gene_name", pd.Series("", index=table.index)).fillna("").astype(str)
    return table


def _flow_outputs(flow, scores: str | Path | None, outdir: str | Path,  # noqa: ANN001
                  params: dict) -> dict[str, Path]:
    from ..pp import flow_scores

    if not scores:
        raise InputError("{--flow_h5ad} needs {--scores} (scores/angiogenesis_scores.tsv).")
    table = pd.read_csv(scores, sep="\t")
    correlation = flow_score_correlation(
        flow_scores(flow, dose_population=params.get("flow_dose_population")), table)
    return {"flow_correlation": write_tsv(correlation, out_path(outdir, "integration",
                                                                "flow_score_correlation.tsv"))}


def integrate(*, rna_h5ad: str | Path, protein_h5ad: str | Path, de_results: list[str | Path],
              gsea_results: list[str | Path], outdir: str | Path, params: dict,
              flow_h5ad: str | Path | None = None, scores: str | Path | None = None) -> dict[str, Path]:
    """Write ``integration/omics.h5mu`` and the integration tables.

    - ``mrna_protein_correlation.tsv``: per-gene Spearman across patients;
    - ``concordance.tsv`` (per contrast and gene) and ``concordance_summary.tsv``;
    - ``pathway_evidence.tsv``: per contrast and set, Stouffer-combined GSEA evidence;
    - with ``flow_h5ad`` (and ``scores``): the ``flow`` modality in the MuData and
      ``flow_score_correlation.tsv`` (each flow population and the dose against each
      angiogenic mRNA/protein score, Spearman across patients).
    """
    rna, protein = read_h5ad(rna_h5ad), read_h5ad(protein_h5ad)
    flow = read_h5ad(flow_h5ad) if flow_h5ad else None
    mdata = build_mudata(rna, protein, flow)
    h5mu = out_path(outdir, "integration", "omics.h5mu")
    h5_safe_annotations(mdata.obs)
    with atomic_path(h5mu) as tmp, md.set_options(pull_on_update=True):  # as build_mudata
        mdata.write(tmp)
    correlation = mrna_protein_correlation(rna, protein)

    de_tables: dict[str, dict[str, Path]] = {}
    for path in de_results:
        contrast_id, modality = parse_de_results_name(path)
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
        name = Path(path).name
        if not name.endswith(".gsea.tsv"):
            raise InputError("expected a <contrast>.<modality>.gsea.tsv file.", path=path)
        contrast_id, modality = name[: -len(".gsea.tsv")].rsplit(".", 1)
        gsea.setdefault(contrast_id, {})[modality] = pd.read_csv(path, sep="\t")
    evidence = []
    for contrast_id, by_modality in sorted(gsea.items()):
        table = pathway_evidence(by_modality, permutations=params.get("gsea_permutations"))
        table.insert(0, "contrast", contrast_id)
        evidence.append(table)
    outputs = {} if flow is None else _flow_outputs(flow, scores, outdir, params)
    return outputs | {
        "h5mu": h5mu,
        "correlation": write_tsv(correlation, out_path(outdir, "integration",
                                                       "mrna_protein_correlation.tsv")),
        "concordance": write_tsv(pd.concat(concordance, ignore_index=True) if concordance
                                 else pd.DataFrame(columns=["contrast", "gene_name"]),
                                 out_path(outdir, "integration", "concordance.tsv")),
        "summary": write_tsv(pd.DataFrame(summaries), out_path(outdir, "integration",
                                                               "concordance_summary.tsv")),
        "pathways": write_tsv(pd.concat(evidence, ignore_index=True) if evidence
                              else pd.DataFrame(columns=["contrast", "term"]),
                              out_path(outdir, "integration", "pathway_evidence.tsv")),
    }
