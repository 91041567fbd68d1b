# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # From inputs to angiogenic scores, in a notebook
#
# The same steps as `omics run`, one function at a time, with the public API only:
# `omics.datasets` (shipped demo cohort and gene sets), `omics.pp` (preparation),
# `omics.tl` (statistics) and `omics.pl` (the report's figures, as matplotlib axes).
# The demo cohort is simulated (40 BALI-like patients, 3,000 genes, 785 protein groups
# after contaminants and decoys are removed).
#
# Open it with `jupytext --to notebook docs/example_notebook.py` (or in Jupyter with the
# jupytext extension); CI executes it (`tests/test_notebook.py`).

# %%
import matplotlib.pyplot as plt

import omics

demo = omics.datasets.demo_cohort()
obs = demo.obs()
contrasts = {c.id: c for c in demo.contrast_list()}
obs.groupby(["arm", "response"], observed=True).size()

# %% [markdown]
# ## RNA: filter, normalise, test one contrast (DESeq2 via pydeseq2)

# %%
rna = demo.rna()
rna = omics.pp.filter_low_counts(rna, min_count=10, min_samples=7)
omics.pp.normalize_deseq2(rna)  # size factors, normalised counts and VST layers
de_rna = omics.tl.deseq2(rna, contrasts["response_in_bmmnc"], layer="counts")
de_rna.sort_values("pvalue").head()

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 4))
omics.pl.volcano(de_rna, fdr=0.05, title="response in the BM-MNC arm (RNA)", ax=axes[0])
omics.pl.ma(de_rna, fdr=0.05, ax=axes[1])
plt.show()

# %% [markdown]
# ## Proteins: log2, valid values, normalisation, moderated t (limma)

# %%
protein = demo.protein()
omics.pp.log2_transform(protein)
# valid values are counted within the groups the contrasts compare (response x arm), as omics run does
groups = omics.pp.contrast_groups(protein.obs, demo.contrast_list())
protein = omics.pp.filter_valid_values(protein, groups, min_fraction=0.7, copy=True)
omics.pp.normalize(protein, method="median")
de_protein = omics.tl.limma(protein, contrasts["response_in_bmmnc"])
de_protein.sort_values("P.Value").head()

# %% [markdown]
# ## Enrichment: the angiogenesis panel within the GO BP background
#
# `omics.tl.enrichment` ranks the genes (`omics.tl.gene_statistic`), keeps every panel
# set whatever its size and background sets of 10-500 genes, and computes the FDR over
# all of them (GSEA prerank), plus ORA of the significant genes. Given the AnnData it
# reads the DESeq2 table that `omics.tl.deseq2` stored in `rna.uns["deseq2"]` and stores
# its tables in `rna.uns["gsea"]` and `rna.uns["ora"]` (by contrast id); given `de_rna`
# it returns the same tables and stores nothing.

# %%
panel = omics.datasets.genesets("go_angiogenesis")
background = omics.datasets.genesets("go_bp_10_500")
gsea, ora = omics.tl.enrichment(rna, panel, background, permutations=250, seed=42)
gsea[gsea["collection"] == "panel"][["term", "size", "nes", "pvalue", "fdr"]]

# %%
omics.pl.enrichment_dots(rna, title="GSEA: panel and top background sets")  # or the table `gsea`
plt.show()

# %%
ranking = omics.tl.gene_statistic(de_rna)
top = gsea[gsea["collection"] == "panel"].nsmallest(3, "pvalue")["term"]
omics.pl.gsea_curve(ranking, {term: panel[term] for term in top}, title="running enrichment score")
plt.show()

# %% [markdown]
# ## Per-patient scores and response (predictive vs prognostic)
#
# The scores go to `rna.obsm["angio_scores"]` (samples x sets); the response model reads
# them with the clinical columns of `rna.obs` and stores its table in
# `rna.uns["response_model"]`. `rna.write_h5ad(...)` keeps every result with the data.

# %%
scores = omics.tl.sample_scores(rna, panel, layer="vst", method="zmean")
model = omics.tl.response_model(rna, covariates=["age", "diabetes"], repeats=10, seed=42)
model[["score", "classification", "or_treated", "or_control", "p_interaction", "cv_auc_pooled"]]

# %%
omics.pl.forest(rna, title="odds ratio of response per SD of each score")  # or the table `model`
plt.show()

# %% [markdown]
# ## QC and integration

# %%
# one row per sample: PCs, correlation to the others, outlier flag; also stored in `rna`
# (obsm["X_sample_qc_pca"], obsp["sample_qc_correlation"], uns["sample_qc"])
qc = omics.tl.sample_qc(rna, layer="vst", seed=42)
variance = rna.uns["sample_qc"]["variance_ratio"]
qc = qc.join(obs[["arm", "response"]])
fig, axes = plt.subplots(1, 2, figsize=(10, 4))
omics.pl.pca(qc, color="arm", variance=variance, ax=axes[0])
omics.pl.pca(qc, color="response", variance=variance, ax=axes[1])
plt.show()
qc[qc["outlier"]]

# %%
# mRNA and protein in one MuData: the integration functions read the modalities (and the
# DESeq2 / limma tables stored in them) and keep their results in `mdata.uns`, which
# `mdata.write("omics.h5mu")` saves; given tables, e.g.
# `omics.tl.fold_change_concordance(de_rna, de_protein)`, they return the same and store nothing.
mdata = omics.tl.build_mudata(rna, protein)
correlation = omics.tl.mrna_protein_correlation(mdata)     # mdata.uns["mrna_protein_correlation"]
joined, summary = omics.tl.fold_change_concordance(mdata)  # mdata.uns["concordance"]["response_in_bmmnc"]
fig, axes = plt.subplots(1, 2, figsize=(10, 4))
omics.pl.correlation_distribution(mdata, ax=axes[0])
omics.pl.concordance(mdata, ax=axes[1])
plt.show()
summary
