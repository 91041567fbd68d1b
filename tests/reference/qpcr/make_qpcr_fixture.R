# RT-qPCR fixture: a simulated long Ct table (24 samples x 12 targets x 3 technical
# replicates, 2 reference genes), and R limma on -delta-Ct computed here independently:
# mean of the replicates, delta-Ct = Ct - mean(reference Cts), design ~ sex + group.
# Run once from this folder:  Rscript make_qpcr_fixture.R
suppressPackageStartupMessages(library(limma))
set.seed(20240513)
n <- 24
samples <- sprintf("S%02d", seq_len(n))
group <- rep(c("control", "treated"), each = n / 2)
sex <- rep(c("female", "male"), times = n / 2)
targets <- c("GAPDH", "ACTB", "VEGFA", "FGF2", "HGF", "ANGPT1", "CXCL8", "CCL2", "KDR",
             "PDGFB", "TGFB1", "MMP9")
base <- c(18, 17, 26, 28, 29, 30, 24, 23, 31, 27, 22, 25)
effect <- c(0, 0, -1.5, -0.8, 0, 0.6, -1.2, 0, 0, 0.4, 0, 0)  # Ct shift in treated
input <- rnorm(n, 0, 0.7)                                      # cDNA input per sample
rows <- list()
for (i in seq_len(n)) for (j in seq_along(targets)) {
  true <- base[j] + input[i] + (group[i] == "treated") * effect[j] + (sex[i] == "male") * 0.2 +
    rnorm(1, 0, 0.5)
  for (r in 1:3) rows[[length(rows) + 1]] <- data.frame(
    sample = samples[i], target = targets[j], replicate = r, plate = "P1",
    Ct = sprintf("%.3f", true + rnorm(1, 0, 0.1)))
}
long <- do.call(rbind, rows)
write.table(long, "qpcr_ct_long.tsv", sep = "\t", quote = FALSE, row.names = FALSE)
write.csv(data.frame(sample = samples, group = group, sex = sex), "qpcr_samplesheet.csv",
          row.names = FALSE, quote = FALSE)

back <- read.delim("qpcr_ct_long.tsv")
ct <- tapply(back$Ct, list(back$target, back$sample), mean)[targets, samples]
refs <- c("GAPDH", "ACTB")
dct <- sweep(ct[setdiff(targets, refs), ], 2, colMeans(ct[refs, ]))
y <- -dct
design <- model.matrix(~ factor(sex, levels = c("female", "male")) + factor(group, levels = c("control", "treated")))
colnames(design) <- c("(Intercept)", "sexmale", "grouptreated")
fit <- eBayes(lmFit(y, design))
tt <- topTable(fit, coef = "grouptreated", number = Inf, sort.by = "none")
write.table(data.frame(feature_id = rownames(tt), tt, delta_delta_ct = -tt$logFC, check.names = FALSE),
            "qpcr_limma_group.tsv", sep = "\t", quote = FALSE, row.names = FALSE)
write.table(data.frame(target = rownames(dct), dct, check.names = FALSE), "qpcr_delta_ct.tsv",
            sep = "\t", quote = FALSE, row.names = FALSE)
writeLines(capture.output(sessionInfo()), "sessionInfo.txt")
