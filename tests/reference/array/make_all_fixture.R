# Export the ALL leukaemia RMA matrix (Bioconductor ALL, Chiaretti et al. 2004; Debian
# r-bioc-all) with its sample sheet, and R limma (trend = TRUE) results for B- vs T-lineage.
# Run once from this folder:  Rscript make_all_fixture.R
# Values are written with 3 decimals; limma is run on the matrix read back from the file,
# so R and the workflow analyse identical numbers. Probe ids only (hgu95av2.db, the
# probe -> symbol map, is not installed), so no probe collapsing happens on this data.
suppressPackageStartupMessages({library(ALL); library(limma); library(Biobase)})
data(ALL)
x <- exprs(ALL)
pd <- pData(ALL)
sheet <- data.frame(sample = colnames(x),
                    lineage = substr(as.character(pd$BT), 1, 1),
                    mol_biol = as.character(pd$mol.biol),
                    sex = ifelse(is.na(pd$sex), "", ifelse(pd$sex == "M", "male", "female")),
                    stringsAsFactors = FALSE)
write.csv(sheet, "all_samplesheet.csv", row.names = FALSE, quote = FALSE)
out <- data.frame(probe_id = rownames(x), formatC(x, format = "f", digits = 3),
                  check.names = FALSE, stringsAsFactors = FALSE)
con <- gzfile("all_rma.tsv.gz", "w")
write.table(out, con, sep = "\t", quote = FALSE, row.names = FALSE)
close(con)
back <- read.delim("all_rma.tsv.gz", row.names = 1, check.names = FALSE)
stopifnot(identical(colnames(back), sheet$sample))
lineage <- factor(sheet$lineage, levels = c("B", "T"))
design <- model.matrix(~ lineage)
fit <- eBayes(lmFit(as.matrix(back), design), trend = TRUE)
tt <- topTable(fit, coef = "lineageT", number = Inf, sort.by = "none")
con <- gzfile("all_limma_trend_B_vs_T.tsv.gz", "w")
write.table(data.frame(feature_id = rownames(tt), signif(tt, 10), check.names = FALSE), con,
            sep = "\t", quote = FALSE, row.names = FALSE)
close(con)
writeLines(capture.output(sessionInfo()), "sessionInfo.txt")
