"""Simulated RNA counts and a MaxQuant protein-group table with planted effects.

RNA: negative-binomial counts with gene means drawn from a log-normal, a DESeq2-like
mean-dispersion trend (``a0 + a1 / mean`` with log-normal scatter) and varying library
sizes. Planted genes shift their log2 mean by ``loading x latent factor`` (predictive
genes load on potency, prognostic genes on the prognostic factor) or by a fixed amount
between arms (cryopreservation of placebo cells). Proteins inherit ``coupling x`` the
mRNA log2 effect of their gene, with missing-not-at-random (low-intensity) and random
missingness, contaminant, decoy and site-only rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._cohort import Cohort


def annotated_genes(annotation: pd.DataFrame) -> pd.DataFrame:
    """Return the genes a cohort can have: one row per Ensembl id and symbol, with ``gene_id``.

    Parameters
    ----------
    annotation
        The shipped ``human_gene_ids.tsv``.

    Returns
    -------
    pandas.DataFrame
        The annotation rows with an Ensembl id, first of each id and symbol, in order.
    """
    table = annotation.dropna(subset=["ensembl_gene_ids"]).copy()
    table["gene_id"] = table["ensembl_gene_ids"].str.split(";").str[0]
    return table.drop_duplicates("gene_id").drop_duplicates("symbol")


def gene_universe(annotation: pd.DataFrame, n_genes: int, must_include: set[str],
                  rng: np.random.Generator) -> pd.DataFrame:
    """Pick ``n_genes`` genes with Ensembl ids, protein-coding first, keeping ``must_include``.

    Returns a frame with ``gene_id`` (Ensembl), ``gene_name`` and ``uniprot`` in
    annotation order.
    """
    table = annotated_genes(annotation)
    table["uniprot"] = table["uniprot_ids"].fillna("").str.split(";").str[0]
    coding = table["gene_type"].eq("protein-coding").to_numpy()
    forced = table["symbol"].isin(must_include).to_numpy() & coding
    priority = np.where(forced, 0, np.where(coding, 1, 2)) + rng.random(len(table))
    chosen = np.sort(np.argsort(priority, kind="stable")[:n_genes])
    picked = table.iloc[chosen]
    return pd.DataFrame({"gene_id": picked["gene_id"].to_numpy(),
                         "gene_name": picked["symbol"].to_numpy(),
                         "uniprot": picked["uniprot"].to_numpy()})


def plant_effects(genes: pd.DataFrame, gene_sets: dict[str, list[str]], planted: dict,
                  rng: np.random.Generator, *, null: bool) -> pd.DataFrame:
    """Assign each gene a role and its log2 effect sizes (the gene truth table)."""
    truth = genes[["gene_id", "gene_name"]].copy()
    truth["role"] = "unaffected"  # not "null": pandas reads that as missing
    truth["log2_loading_potency"] = 0.0
    truth["log2_loading_prognostic"] = 0.0
    truth["log2_arm_effect"] = 0.0
    angiogenic = set().union(*gene_sets.values()) if gene_sets else set()
    taken: set[str] = set()
    if not null:
        for pool in ("predictive", "prognostic", "angiogenic_host"):
            spec = planted.get(pool)
            if spec is None:
                continue
            factor = spec.get("factor", pool)
            column = "log2_loading_potency" if factor == "predictive" else "log2_loading_prognostic"
            excluded = set().union(*(gene_sets[name] for name in spec.get("exclude_sets", [])))
            members = [g for g in gene_sets[spec["gene_set"]] if g not in taken and g not in excluded]
            pool_index = truth.index[truth["gene_name"].isin(members)].to_numpy()
            n_pick = int(round(spec["fraction"] * len(pool_index)))
            pick = np.sort(rng.choice(pool_index, size=n_pick, replace=False))
            truth.loc[pick, "role"] = factor
            truth.loc[pick, column] = spec["log2_loading"] * rng.uniform(0.7, 1.3, n_pick)
            taken |= set(truth.loc[pick, "gene_name"])
    arm = planted["arm"]
    pool = truth.index[~truth["gene_name"].isin(angiogenic)].to_numpy()
    pick = np.sort(rng.choice(pool, size=min(arm["n_genes"], len(pool)), replace=False))
    truth.loc[pick, "role"] = "arm"
    truth.loc[pick, "log2_arm_effect"] = arm["log2_effect"] * rng.choice([-1.0, 1.0], len(pick))
    return truth


def log2_effects(truth: pd.DataFrame, cohort: Cohort) -> np.ndarray:
    """Return the samples x genes matrix of planted log2 shifts."""
    latent = cohort.latent
    bmmnc = (cohort.samplesheet["arm"] == "bmmnc").to_numpy(float)
    return (np.outer(latent["potency_factor"], truth["log2_loading_potency"])
            + np.outer(latent["prognostic_factor"], truth["log2_loading_prognostic"])
            + np.outer(bmmnc, truth["log2_arm_effect"]))


def simulate_counts(truth: pd.DataFrame, cohort: Cohort, rng: np.random.Generator) -> pd.DataFrame:
    """Negative-binomial counts, genes x samples, in the nf-core/rnaseq salmon layout."""
    n_genes, n_samples = len(truth), len(cohort.samplesheet)
    log10_mean = rng.normal(2.0, 0.9, n_genes)
    low = rng.random(n_genes) < 0.12  # genes barely expressed in BM-MNC, removed by the filter
    log10_mean[low] = rng.normal(-0.5, 0.5, low.sum())
    base_mean = 10 ** log10_mean
    dispersion = (0.08 + 1.5 / base_mean) * np.exp(rng.normal(0, 0.5, n_genes))
    size_factor = np.exp(rng.normal(0, 0.25, n_samples))
    mean = size_factor[:, None] * base_mean[None, :] * 2.0 ** log2_effects(truth, cohort)
    shape = 1.0 / dispersion
    # Gamma-Poisson mixture: NB with mean `mean` and dispersion `dispersion`.
    counts = rng.poisson(rng.gamma(shape[None, :], mean / shape[None, :]))
    table = pd.DataFrame(counts.T, columns=cohort.samplesheet["sample"])
    table.insert(0, "gene_name", truth["gene_name"].to_numpy())
    table.insert(0, "gene_id", truth["gene_id"].to_numpy())
    truth["base_mean"] = base_mean
    truth["dispersion"] = dispersion
    return table


def simulate_protein_groups(genes: pd.DataFrame, truth: pd.DataFrame, cohort: Cohort,
                            n_proteins: int, spec: dict, rng: np.random.Generator) -> pd.DataFrame:
    """Simulate a MaxQuant ``proteinGroups.txt`` table for the same samples."""
    samples = list(cohort.samplesheet["sample"])
    n_samples = len(samples)
    # One protein group per UniProt accession: some genes share their first accession.
    has_protein = ((genes["uniprot"] != "").to_numpy() & ~genes["uniprot"].duplicated().to_numpy()
                   & (truth["base_mean"] > 5).to_numpy())
    candidates = np.flatnonzero(has_protein)
    weights = np.sqrt(truth["base_mean"].to_numpy()[candidates])
    chosen = np.sort(rng.choice(candidates, size=min(n_proteins, len(candidates)), replace=False,
                                p=weights / weights.sum()))
    log2_rna = np.log2(truth["base_mean"].to_numpy()[chosen])
    base = 24 + 0.6 * (log2_rna - log2_rna.mean()) + rng.normal(0, 1.3, len(chosen))
    offset = rng.normal(0, 0.3, n_samples)  # loading differences: what normalisation removes
    effect = spec["mrna_coupling"] * log2_effects(truth, cohort)[:, chosen]
    log2_lfq = (base[None, :] + offset[:, None] + effect
                + rng.normal(0, spec["noise_sd"], (n_samples, len(chosen))))
    p_missing = 1 / (1 + np.exp(spec["mnar_slope"] * (log2_lfq - spec["mnar_log2_midpoint"])))
    missing = (rng.random(log2_lfq.shape) < p_missing) | (rng.random(log2_lfq.shape)
                                                          < spec["mcar_fraction"])
    lfq = np.where(missing, 0.0, np.round(2.0 ** log2_lfq))
    ids = genes["uniprot"].to_numpy()[chosen]
    names = genes["gene_name"].to_numpy()[chosen]
    site = np.zeros(len(chosen), dtype=bool)
    site[rng.choice(len(chosen), size=spec["n_only_by_site"], replace=False)] = True

    extra_ids, extra_names, extra_lfq, flags = [], [], [], []
    for kind, count, level in (("contaminant", spec["n_contaminants"], 27.0),
                               ("reverse", spec["n_decoys"], 21.0)):
        for k in range(count):
            prefix = "CON__" if kind == "contaminant" else "REV__"
            extra_ids.append(f"{prefix}{ids[rng.integers(len(ids))]}-{k}")
            extra_names.append("KRT1" if kind == "contaminant" and k % 3 == 0 else "")
            values = 2.0 ** rng.normal(level, 1.0, n_samples)
            values[rng.random(n_samples) < 0.3] = 0.0
            extra_lfq.append(np.round(values))
            flags.append(kind)
    all_ids = np.concatenate([ids, extra_ids])
    all_lfq = np.vstack([lfq.T, np.array(extra_lfq).reshape(-1, n_samples)])
    n_rows = len(all_ids)
    raw = np.round(all_lfq * 2.0 ** rng.normal(0.4, 0.15, all_lfq.shape))
    peptides = rng.integers(1, 40, n_rows)
    table = pd.DataFrame({
        "Protein IDs": all_ids,
        "Majority protein IDs": all_ids,
        "Protein names": [f"Protein {n}" if n else "" for n in [*names, *extra_names]],
        "Gene names": [*names, *extra_names],
        "Peptides": peptides,
        "Razor + unique peptides": peptides,
        "Unique peptides": np.maximum(peptides - rng.integers(0, 3, n_rows), 0),
        "Score": np.round(rng.gamma(2.0, 40.0, n_rows), 3),
        "Intensity": raw.sum(axis=1),
    })
    intensity = pd.DataFrame(raw, columns=[f"Intensity {s}" for s in samples])
    lfq_table = pd.DataFrame(all_lfq, columns=[f"LFQ intensity {s}" for s in samples])
    flags_table = pd.DataFrame({
        "Only identified by site": np.where(np.concatenate([site, np.zeros(len(extra_ids), bool)]),
                                            "+", ""),
        "Reverse": ["+" if f == "reverse" else "" for f in [""] * len(ids) + flags],
        "Potential contaminant": ["+" if f == "contaminant" else "" for f in [""] * len(ids) + flags],
    })
    out = pd.concat([table, intensity, lfq_table, flags_table], axis=1)
    out["id"] = np.arange(n_rows)
    order = rng.permutation(n_rows)
    out = out.iloc[order].reset_index(drop=True)
    out["id"] = np.arange(n_rows)
    return out
