# Continuous-phenotype fixture: simulated counts (DESeq2) and log2 intensities (limma) for
# 30 samples whose genes depend on a continuous phenotype (potency_perfusion_ratio) with
# age and a categorical covariate (diabetes); R DESeq2 (~ age + diabetes +
# potency_perfusion_ratio, Wald test of the numeric term, unshrunken) and R limma
# (same design) give the per-unit log2 fold changes.
# Run once from this folder:  Rscript make_continuous_fixture.R
suppressPackageStartupMessages({library(DESeq2); library(limma)})
set.seed(7)
n <- 30; g <- 600
samples <- sprintf("P%02d", seq_len(n))
potency <- round(runif(n, 0.3, 1.1), 3)
age <- round(rnorm(n, 68, 9))
diabetes <- sample(c("no", "yes"), n, replace = TRUE)
sheet <- data.frame(sample = samples, age = age, diabetes = diabetes,
                    potency_perfusion_ratio = potency)
write.csv(sheet, "continuous_samplesheet.csv", row.names = FALSE, quote = FALSE)
beta <- c(rnorm(60, 0, 1.5), rep(0, g - 60))          # log2 change per unit of potency
mu0 <- exp(rnorm(g, 5, 1.5))
disp <- 0.05 + 1 / mu0
counts <- sapply(seq_len(n), function(i)
  rnbinom(g, mu = mu0 * 2^(beta * potency[i] + 0.01 * (age[i] - 68)), size = 1 / disp))
dimnames(counts) <- list(sprintf("G%04d", seq_len(g)), samples)
write.table(data.frame(gene_id = rownames(counts), counts, check.names = FALSE),
            "continuous_counts.tsv", sep = "\t", quote = FALSE, row.names = FALSE)
log2int <- matrix(rnorm(g * n, 20, 0.5), g, n) + outer(beta, potency) +
  outer(rep(0.3, g), diabetes == "yes")
dimnames(log2int) <- dimnames(counts)
write.table(data.frame(feature_id = rownames(log2int), formatC(log2int, format = "f", digits = 5),
                       check.names = FALSE),
            "continuous_log2.tsv", sep = "\t", quote = FALSE, row.names = FALSE)
sheet$diabetes <- factor(sheet$diabetes, levels = c("no", "yes"))
dds <- DESeqDataSetFromMatrix(counts, sheet, ~ age + diabetes + potency_perfusion_ratio)
dds <- DESeq(dds, quiet = TRUE)
res <- results(dds, name = "potency_perfusion_ratio")
write.table(data.frame(gene_id = rownames(res), as.data.frame(res)), "continuous_deseq2.tsv",
            sep = "\t", quote = FALSE, row.names = FALSE)
back <- as.matrix(read.delim("continuous_log2.tsv", row.names = 1, check.names = FALSE))
design <- model.matrix(~ age + diabetes + potency_perfusion_ratio, sheet)
fit <- eBayes(lmFit(back, design))
tt <- topTable(fit, coef = "potency_perfusion_ratio", number = Inf, sort.by = "none")
write.table(data.frame(feature_id = rownames(tt), tt), "continuous_limma.tsv", sep = "\t",
            quote = FALSE, row.names = FALSE)
writeLines(capture.output(sessionInfo()), "sessionInfo.txt")
