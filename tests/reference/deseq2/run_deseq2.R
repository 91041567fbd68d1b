#!/usr/bin/env Rscript
# Reference DESeq2 run used to make test fixtures (R is not a runtime dependency).
#
# Usage:
#   Rscript run_deseq2.R <counts.tsv> <samplesheet.csv> "<design formula>" <variable> \
#       <target> <reference> <min_count> <min_samples> <out.tsv>
#
# counts.tsv    tab-separated, first column gene id, one column per sample; a
#               `gene_name` column is dropped; fractional counts are rounded.
# samplesheet   comma-separated; sample ids in the `sample` column (else the first).
# Genes are kept when count >= min_count in >= min_samples samples. In the formula,
# `variable` is a factor with `reference` first; other character columns are factors
# with levels in byte (C-locale) order; numeric columns stay numeric.
#
# Writes (full precision, NA kept):
#   out.tsv                  gene_id, baseMean, log2FoldChange, lfcSE, stat, pvalue, padj
#   out.tsv.sizefactors.tsv  sample, size_factor
#   out.tsv.params.tsv       name, value (dispPriorVar, varLogDispEsts, trend, filter...)
#   out.tsv.dispersions.tsv  gene_id, dispGeneEst, dispFit, dispersion, maxCooks, replace
#   out.tsv.vst.tsv          gene_id x samples, vst(blind = FALSE)
#                            (varianceStabilizingTransformation when < 1000 genes)
#   out.tsv.priorvar_kl.tsv  only with 1-3 residual degrees of freedom: the
#                            Kullback-Leibler curve DESeq2's estimateDispersionsPriorVar
#                            minimises (same seed and steps) and its loess smooth, so that
#                            the deterministic part of that estimator can be tested exactly

suppressPackageStartupMessages(library(DESeq2))

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 9) {
  stop("usage: run_deseq2.R <counts.tsv> <samplesheet.csv> <formula> <variable> ",
       "<target> <reference> <min_count> <min_samples> <out.tsv>")
}
counts_path <- args[1]
sheet_path <- args[2]
design <- as.formula(args[3])
variable <- args[4]
target <- args[5]
reference <- args[6]
min_count <- as.numeric(args[7])
min_samples <- as.numeric(args[8])
out_path <- args[9]

fmt <- function(x) {
  out <- sprintf("%.17g", x)
  out[is.na(x)] <- "NA"
  out
}
write_tsv <- function(df, path) {
  write.table(df, path, sep = "\t", quote = FALSE, row.names = FALSE)
}

counts_table <- read.delim(counts_path, check.names = FALSE, stringsAsFactors = FALSE)
gene_ids <- as.character(counts_table[[1]])
counts_table <- counts_table[, -1, drop = FALSE]
counts_table <- counts_table[, setdiff(colnames(counts_table), "gene_name"), drop = FALSE]

sheet <- read.csv(sheet_path, check.names = FALSE, stringsAsFactors = FALSE)
id_column <- if ("sample" %in% colnames(sheet)) "sample" else colnames(sheet)[1]
sheet <- sheet[sheet[[id_column]] %in% colnames(counts_table), , drop = FALSE]
rownames(sheet) <- sheet[[id_column]]

counts <- round(as.matrix(counts_table[, rownames(sheet), drop = FALSE]))
storage.mode(counts) <- "integer"
rownames(counts) <- gene_ids
keep <- rowSums(counts >= min_count) >= min_samples
counts <- counts[keep, , drop = FALSE]

for (column in all.vars(design)) {
  values <- sheet[[column]]
  if (column == variable) {
    others <- setdiff(sort(unique(as.character(values)), method = "radix"), reference)
    sheet[[column]] <- factor(values, levels = c(reference, others))
  } else if (is.character(values) || is.logical(values)) {
    sheet[[column]] <- factor(values, levels = sort(unique(values), method = "radix"))
  }
}

dds <- DESeqDataSetFromMatrix(counts, colData = sheet, design = design)
dds <- DESeq(dds, quiet = TRUE)
res <- results(dds, contrast = c(variable, target, reference))

result_columns <- c("baseMean", "log2FoldChange", "lfcSE", "stat", "pvalue", "padj")
out <- data.frame(gene_id = rownames(res), check.names = FALSE)
for (column in result_columns) out[[column]] <- fmt(res[[column]])
write_tsv(out, out_path)

write_tsv(data.frame(sample = colnames(dds), size_factor = fmt(sizeFactors(dds))),
          paste0(out_path, ".sizefactors.tsv"))

disp_fn <- dispersionFunction(dds)
trend <- attr(disp_fn, "coefficients")
params <- c(
  dispPriorVar = attr(disp_fn, "dispPriorVar"),
  varLogDispEsts = attr(disp_fn, "varLogDispEsts"),
  asymptDisp = if (is.null(trend)) NA else unname(trend["asymptDisp"]),
  extraPois = if (is.null(trend)) NA else unname(trend["extraPois"]),
  filterThreshold = unname(metadata(res)$filterThreshold),
  filterTheta = unname(metadata(res)$filterTheta),
  n_genes = nrow(dds),
  n_samples = ncol(dds)
)
write_tsv(data.frame(name = c("fitType", names(params)),
                     value = c(attr(disp_fn, "fitType"), fmt(params))),
          paste0(out_path, ".params.tsv"))

replaced <- mcols(dds)$replace
write_tsv(data.frame(
  gene_id = rownames(dds),
  dispGeneEst = fmt(mcols(dds)$dispGeneEst),
  dispFit = fmt(mcols(dds)$dispFit),
  dispersion = fmt(mcols(dds)$dispersion),
  maxCooks = fmt(mcols(dds)$maxCooks),
  replace = if (is.null(replaced)) FALSE else replaced
), paste0(out_path, ".dispersions.tsv"))

vsd <- if (nrow(dds) >= 1000 && sum(rowMeans(counts(dds, normalized = TRUE)) > 5) >= 1000) {
  vst(dds, blind = FALSE)
} else {
  varianceStabilizingTransformation(dds, blind = FALSE)
}
vst_values <- assay(vsd)
vst_out <- data.frame(gene_id = rownames(vst_values), check.names = FALSE)
for (column in colnames(vst_values)) vst_out[[column]] <- fmt(vst_values[, column])
write_tsv(vst_out, paste0(out_path, ".vst.tsv"))

# The Monte-Carlo prior-variance search of estimateDispersionsPriorVar, repeated step
# by step (DESeq2 does not return the curve); its minimiser must equal dispPriorVar.
model_matrix <- model.matrix(design, data = as.data.frame(colData(dds)))
residual_df <- nrow(model_matrix) - ncol(model_matrix)
if (residual_df >= 1 && residual_df <= 3) {
  nonzero <- !mcols(dds)$allZero
  gene_est <- mcols(dds)$dispGeneEst[nonzero]
  residuals <- (log(gene_est) - log(mcols(dds)$dispFit[nonzero]))[gene_est >= 1e-8 * 100]
  set.seed(2)
  breaks <- -20:20 / 2
  residuals <- residuals[residuals > min(breaks) & residuals < max(breaks)]
  variance_grid <- seq(from = 0, to = 8, length = 200)
  observed <- hist(residuals, breaks = breaks, plot = FALSE)$density
  divergence <- sapply(variance_grid, function(v) {
    draws <- log(rchisq(10000, df = residual_df)) + rnorm(10000, 0, sqrt(v)) -
      log(residual_df)
    draws <- draws[draws > min(breaks) & draws < max(breaks)]
    simulated <- hist(draws, breaks = breaks, plot = FALSE)$density
    small <- min(c(observed, simulated)[c(observed, simulated) > 0])
    sum(observed * (log(observed + small) - log(simulated + small)))
  })
  fine_grid <- seq(from = 0, to = 8, length = 1000)
  smooth <- predict(loess(divergence ~ variance_grid, span = 0.2), fine_grid)
  if (!isTRUE(all.equal(max(fine_grid[which.min(smooth)], 0.25),
                        attr(disp_fn, "dispPriorVar")))) {
    stop("the repeated prior-variance search does not reproduce DESeq2's dispPriorVar")
  }
  write_tsv(data.frame(
    grid = fmt(c(variance_grid, rep(NA, 800))),
    divergence = fmt(c(divergence, rep(NA, 800))),
    fine_grid = fmt(fine_grid),
    loess = fmt(smooth)
  ), paste0(out_path, ".priorvar_kl.tsv"))
}
