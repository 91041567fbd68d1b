"""Methods paragraph written from the run's own parameters, software versions and references."""

from __future__ import annotations

import html

import pandas as pd
import yaml

from ._context import Context
from ._sections import flow_parents

REFERENCES = {
    "deseq2": "Love MI, Huber W, Anders S. Moderated estimation of fold change and dispersion for "
              "RNA-seq data with DESeq2. Genome Biology 15, 550 (2014).",
    "pydeseq2": "Muzellec B, Telenczuk M, Cabeli V, Andreux M. PyDESeq2: a python package for bulk "
                "RNA-seq differential expression analysis. Bioinformatics 39, btad547 (2023).",
    "limma": "Ritchie ME, Phipson B, Wu D, et al. limma powers differential expression analyses for "
             "RNA-sequencing and microarray studies. Nucleic Acids Research 43, e47 (2015).",
    "ebayes": "Smyth GK. Linear models and empirical Bayes methods for assessing differential "
              "expression in microarray experiments. Stat Appl Genet Mol Biol 3, Article 3 (2004).",
    "gsea": "Subramanian A, Tamayo P, Mootha VK, et al. Gene set enrichment analysis. PNAS 102, "
            "15545-15550 (2005).",
    "gseapy": "Fang Z, Liu X, Peltz G. GSEApy: a comprehensive package for performing gene set "
              "enrichment analysis in Python. Bioinformatics 39, btac757 (2023).",
    "go": "The Gene Ontology Consortium. The Gene Ontology knowledgebase in 2023. Genetics 224, "
          "iyad031 (2023).",
    "bh": "Benjamini Y, Hochberg Y. Controlling the false discovery rate. J R Stat Soc B 57, "
          "289-300 (1995).",
    "firth": "Firth D. Bias reduction of maximum likelihood estimates. Biometrika 80, 27-38 (1993); "
             "Heinze G, Schemper M. A solution to the problem of separation in logistic regression. "
             "Stat Med 21, 2409-2419 (2002).",
    "decoupler": "Badia-i-Mompel P, et al. decoupleR: ensemble of computational methods to infer "
                 "biological activities from omics data. Bioinformatics Advances 2, vbac016 (2022).",
    "sklearn": "Pedregosa F, et al. Scikit-learn: machine learning in Python. JMLR 12, 2825-2830 (2011).",
    "scanpy": "Wolf FA, Angerer P, Theis FJ. SCANPY: large-scale single-cell gene expression data "
              "analysis. Genome Biology 19, 15 (2018).",
    "mudata": "Bredikhin D, Kats I, Stegle O. MUON: multimodal omics analysis framework. Genome "
              "Biology 23, 42 (2022).",
    "stouffer": "Stouffer SA, et al. The American Soldier, Vol. 1. Princeton University Press (1949).",
    "bali": "BALI trial, ClinicalTrials.gov NCT00904501.",
}


def _versions(ctx: Context) -> dict[str, str]:
    path = ctx.results.first("pipeline_info/software_versions.yml", "software_versions.yml")
    flat: dict[str, str] = {}
    if path is not None:
        loaded = yaml.safe_load(path.read_text()) or {}
        for key, value in loaded.items():
            if isinstance(value, dict):  # Nextflow: {process: {tool: version}}
                flat.update({str(k): str(v) for k, v in value.items()})
            else:
                flat[str(key)] = str(value)
    if not flat:
        from .._versions import software_versions

        flat = software_versions()
    return flat


LABELS = {"rna": "RNA", "protein": "protein", "flow": "flow"}
STATISTICS = {"rna": "the Wald statistic (RNA)", "protein": "the moderated t (protein)"}


def _order(modality: str) -> tuple[int, str]:
    return (list(LABELS).index(modality) if modality in LABELS else len(LABELS), modality)


def panel_counts(gsea_paths: list) -> dict[str, str]:
    """Panel sets tested per modality (``collection == "panel"`` rows of its GSEA tables).

    ``{"protein": "10", "rna": "11"}``; a modality whose tables differ gives the range ("9-10").
    """
    counts: dict[str, list[int]] = {}
    for path in gsea_paths:
        modality = path.name.removesuffix(".gsea.tsv").rsplit(".", 1)[-1]
        gsea = pd.read_csv(path, sep="\t", usecols=lambda c: c == "collection")
        n = int((gsea["collection"] == "panel").sum()) if "collection" in gsea else len(gsea)
        counts.setdefault(modality, []).append(n)
    return {m: (f"{min(v)}" if min(v) == max(v) else f"{min(v)}-{max(v)}") for m, v in sorted(counts.items())}


def _panel_size(tested: dict[str, str]) -> int | str:
    """Return the size of the shipped panel (the largest tested count if it cannot be read)."""
    try:
        from ..datasets import genesets

        return len(genesets("go_angiogenesis"))
    except Exception:  # noqa: BLE001 - an installation without the shipped sets
        return max((int(v.split("-")[-1]) for v in tested.values()), default="")


def methods(ctx: Context) -> str:
    """Return the Methods section: what was run with which settings, versions and references."""
    p = ctx.params
    res = ctx.results
    modalities = sorted({r.modality for r in res.de})
    cite: list[str] = []
    text = []
    v = _versions(ctx)

    def ver(name: str) -> str:
        return f" {v[name]}" if name in v and v[name] != "not installed" else ""

    if ctx.bali:
        text.append("Samples are bone-marrow mononuclear cells of the BALI trial (BM-MNC vs placebo; "
                    "response = survival without major amputation at 6 months).")
        cite.append("bali")
    rna_methods = {r.method for r in res.de if r.modality == "rna"}
    if "limma" in rna_methods:
        what = {"qpcr": "RT-qPCR relative quantities (log2, from Ct values and reference genes)",
                "array": "microarray log2 intensities"}.get(str(p.get("rna_format")), "log2 RNA values")
        trend = " with an intensity trend" if p.get("rna_format") == "array" else ""
        text.append(f"RNA {what} were tested with limma-style moderated t-statistics (lmFit, "
                    f"contrasts.fit, eBayes{trend}; the project's own implementation, checked against "
                    "R limma 3.54).")
        cite += ["limma", "ebayes"]
    if "deseq2" in rna_methods:
        min_samples = (f"{p['rna_min_samples']} samples" if p.get("rna_min_samples")
                       else "as many samples as the smallest compared group")
        text.append(f"RNA counts were filtered to genes with at least {p.get('rna_min_count')} counts "
                    f"in {min_samples} and tested with DESeq2's model (pydeseq2{ver('pydeseq2')}, "
                    "R DESeq2 1.38 estimators; Wald tests, independent filtering"
                    + (f" for an FDR of {p['deseq2_alpha']:g}" if p.get("deseq2_alpha") is not None else "")
                    + ", Benjamini-Hochberg adjustment"
                    + ("; apeGLM-style shrunken fold changes" if p.get("deseq2_shrink") else "")
                    + ").")
        cite += ["deseq2", "pydeseq2"]
    if "protein" in modalities:
        text.append(f"Protein intensities ({html.escape(str(p.get('protein_format')))}, "
                    f"{html.escape(str(p.get('protein_intensity')))}) were log2-transformed, kept when "
                    f"quantified in at least {100 * float(p.get('protein_min_valid_fraction', 0)):.0f}% of "
                    f"a group, normalised ({p.get('protein_normalization')}), imputation "
                    f"{p.get('protein_imputation')}, and tested with limma-style moderated t-statistics "
                    "(lmFit, contrasts.fit, eBayes; the project's own implementation, checked against "
                    "R limma 3.54).")
        cite += [] if "limma" in cite else ["limma", "ebayes"]
    if "flow" in modalities:
        text.append("Flow-cytometry populations were tested on log2 absolute counts (half an event "
                    "added) with limma-style moderated t-statistics.")
        if "limma" not in cite:
            cite += ["limma", "ebayes"]
    other = [m for m in modalities if m not in {"rna", "protein", "flow"}]
    if other:
        text.append(f"Other modalities ({', '.join(other)}) were tested with limma-style moderated "
                    "t-statistics.")
        if "limma" not in cite:
            cite += ["limma", "ebayes"]
    gsea_paths = res.find("*.gsea.tsv")
    if gsea_paths:
        tested = dict(sorted(panel_counts(gsea_paths).items(), key=lambda kv: _order(kv[0])))
        panel = (f"the {_panel_size(tested)} GO angiogenesis sets" if ctx.default_panel
                 else f"the user's gene sets ({html.escape(str(p.get('genesets')))})")
        if tested:
            panel += (" (tested: " + ", ".join(f"{n} with {LABELS.get(m, m)}" for m, n in tested.items())
                      + f"; a set needs {p.get('gsea_min_size')} ranked genes)")
        statistics = [STATISTICS.get(m, f"the moderated t ({m})") for m in tested] or [
            STATISTICS[m] for m in modalities if m in STATISTICS]
        background = p.get("background_genesets")
        if background and str(background).lower() == "none":
            bg = "alone"
        elif background:
            bg = f"together with the background {html.escape(str(background))}"
        elif ctx.default_panel:
            bg = "together with the GO biological-process background (10-500 genes)"
        else:
            bg = "alone (the user's sets replace the default background)"
        text.append(f"Genes were ranked by {' or '.join(statistics)} and "
                    f"{panel} were tested by GSEA prerank {bg}, with {p.get('gsea_permutations')} gene "
                    f"permutations (seed {p.get('seed')}), background sets of {p.get('gsea_min_size')}-"
                    f"{p.get('gsea_max_size')} genes, FDR from the pooled NES null; over-representation "
                    f"of the features at FDR &lt; {ctx.fdr} by hypergeometric tests with BH adjustment.")
        cite += ["gsea", "gseapy", "bh"] + (["go"] if ctx.default_panel else [])
    if (model_path := res.first("response_model.tsv")):
        folds = _folds_used(res.read(model_path), p.get("cv_folds"))
        covs = ", ".join(c.strip() for c in str(p.get("response_covariates") or "").split(",") if c.strip())
        covs = covs or "no covariate"
        screen = ("a Benjamini-Hochberg screen over both arms' p-values of all scores of a modality"
                  if p.get("response_multiplicity") == "bh" else "no multiplicity screen across scores")
        text.append(f"Per-sample scores ({p.get('score_method')}) of each panel set were related to "
                    f"response by logistic regression per SD of the score, adjusted for "
                    f"{html.escape(str(covs))}: within each arm, pooled, and with an arm x score "
                    "interaction: Firth-penalised fits with penalised-likelihood-ratio tests "
                    f"(a score test for the interaction), {screen}, "
                    f"and AUCs from {p.get('cv_repeats')} repeats of stratified {folds} "
                    "cross-validation.")
        cite += ["firth", "sklearn"] + (["decoupler"] if p.get("score_method") == "ulm" else [])
        text.append(_flow_scores_text(res.read(model_path), flow_parents(ctx)))
    if res.first("concordance.tsv") or res.first("pathway_evidence.tsv"):
        text.append("mRNA and protein were joined per gene symbol in a MuData object; fold-change "
                    "concordance (Spearman), per-gene mRNA-protein correlation across samples and "
                    "the joint pathway evidence (Stouffer's method over modalities) are reported.")
        cite += ["mudata", "stouffer"]
    cite.append("scanpy")
    refs = "".join(f"<li>{html.escape(REFERENCES[k])}</li>" for k in dict.fromkeys(cite))
    params = pd.DataFrame({"parameter": list(p), "value": [str(x) for x in p.values()]})
    versions = pd.DataFrame({"software": list(v), "version": list(v.values())})
    return ("<p>" + " ".join(text) + "</p><h3>References</h3><ol class='refs'>" + refs + "</ol>"
            + "<details><summary>Parameters of this run</summary>"
            + params.to_html(classes="static", border=0, index=False) + "</details>"
            + "<details><summary>Software versions</summary>"
            + versions.to_html(classes="static", border=0, index=False) + "</details>")


def _flow_scores_text(model: pd.DataFrame, parents: dict[str, str]) -> str:
    """Describe the flow scores of the response models: percent of which parent gate, which dose."""
    scores = [str(s) for s in model.loc[model["modality"] == "flow", "score"].drop_duplicates()] \
        if {"modality", "score"} <= set(model.columns) else []
    doses = [s.removeprefix("dose:") for s in scores if s.startswith("dose:")]
    content = [s for s in scores if not s.startswith("dose:")]
    if not scores:
        return ""
    gates = {**parents, **{s: "all events" for s, parent in parents.items() if parent == "root"}}
    named = [f"{html.escape(s)} of {html.escape(gates[s])}" if gates.get(s) else html.escape(s)
             for s in content]
    text = ("In the response models a flow population's score is its log2 percentage of its parent "
            f"gate (half an event added): {', '.join(named)}")
    if any(parents.get(s) == "LymphBlast" for s in content if s.startswith("CD34")):
        text += (" (CD34 as a percentage of the lymph-blast gate, not the ISHAGE percentage of "
                 "viable CD45+ leukocytes)")
    text += "."
    if doses:
        text += (" The dose score (" + ", ".join(html.escape(d) for d in doses) + ") is the log10 "
                 "absolute count (made per graft when the counts are per µL or mL and the sample sheet "
                 "gives graft volumes).")
    return text


def _folds_used(model: pd.DataFrame, asked: object) -> str:
    """``"5-fold"``, or what the models used when their smaller response class allowed fewer folds."""
    columns = [c for c in model.columns if str(c).startswith("cv_folds_")]
    used = sorted({int(v) for c in columns for v in pd.to_numeric(model[c], errors="coerce").dropna()
                   if v >= 2})
    if not used or used == [asked]:
        return f"{asked}-fold"
    shown = " or ".join(str(v) for v in used)
    return (f"{shown}-fold ({asked} folds asked; a model uses at most as many folds as its smaller "
            "response class has patients)")
