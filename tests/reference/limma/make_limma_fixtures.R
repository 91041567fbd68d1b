#!/usr/bin/env Rscript
# Reference limma runs used as test fixtures (R is not a runtime or CI dependency).
#
# Usage (from anywhere; made with limma 3.54):
#   python tests/reference/limma/make_inputs.py      # seeded synthetic inputs + cases.tsv
#   Rscript tests/reference/limma/make_limma_fixtures.R
#
# For every row of tests/data/limma/cases.tsv this runs
#   fit  <- lmFit(y, design)
#   fit2 <- contrasts.fit(fit, contrast)
#   fit2 <- eBayes(fit2, trend = trend, robust = robust)
#   topTable(fit2, coef = 1, number = Inf, sort.by = "none")
# and writes, to tests/data/limma/:
#   <case>.limma.tsv.gz  feature, logFC, AveExpr, t, P.Value, adj.P.Val, B (%.15g, NA kept)
#   <case>.design.tsv    the model.matrix() design (sample, then R's coefficient names)
#   params.tsv           per case: df.prior and s2.prior (range when they vary by feature),
#                        var.prior
#   VERSION.txt          R and limma versions
#
# cases.tsv columns: case; expression (TSV, first column = feature id, NA = missing; a path
# relative to tests/data/limma or "@shared/..." for the shared data folder beside the repo,
# overridable with OMICS_SHARED); samplesheet (TSV) and its sample_column naming the
# expression columns; formula; levels ("factor:ref,l2,...|factor2:..."; reference first);
# contrast ("coef=weight;coef=weight"); trend, robust (0/1); drop_empty (1 = drop features
# without any observed value first, as eBayes(trend = TRUE) cannot use them).

suppressPackageStartupMessages(library(limma))

args <- commandArgs(trailingOnly = FALSE)
script <- normalizePath(sub("^--file=", "", args[grep("^--file=", args)][1]))
repo <- normalizePath(file.path(dirname(script), "..", "..", ".."))
data_dir <- file.path(repo, "tests", "data", "limma")
shared <- Sys.getenv("OMICS_SHARED", file.path(dirname(repo), "shared"))

resolve <- function(path) {
  if (startsWith(path, "@shared/")) file.path(shared, substring(path, 9)) else file.path(data_dir, path)
}
fmt <- function(x) ifelse(is.na(x), "NA", sprintf("%.15g", x))
split1 <- function(x, sep) strsplit(x, sep, fixed = TRUE)[[1]]

cases <- read.delim(file.path(data_dir, "cases.tsv"), colClasses = "character")
cols <- c("logFC", "AveExpr", "t", "P.Value", "adj.P.Val", "B")
params <- NULL

for (i in seq_len(nrow(cases))) {
  cs <- cases[i, ]
  expr <- read.delim(resolve(cs$expression), check.names = FALSE, stringsAsFactors = FALSE)
  sheet <- read.delim(resolve(cs$samplesheet), check.names = FALSE, stringsAsFactors = FALSE)
  samples <- sheet[[cs$sample_column]]
  y <- as.matrix(expr[, samples])
  ids <- expr[[1]]
  rownames(y) <- NULL
  for (spec in split1(cs$levels, "|")) {
    parts <- split1(spec, ":")
    sheet[[parts[1]]] <- factor(sheet[[parts[1]]], levels = split1(parts[2], ","))
  }
  design <- model.matrix(as.formula(cs$formula), data = sheet)
  rownames(design) <- samples
  if (cs$drop_empty == "1") {
    keep <- rowSums(is.finite(y)) > 0
    y <- y[keep, , drop = FALSE]
    ids <- ids[keep]
  }
  cm <- matrix(0, ncol(design), 1, dimnames = list(colnames(design), cs$case))
  for (term in split1(cs$contrast, ";")) {
    kv <- split1(term, "=")
    if (!kv[1] %in% colnames(design)) stop("unknown coefficient ", kv[1], " in case ", cs$case)
    cm[kv[1], 1] <- as.numeric(kv[2])
  }

  fit <- suppressWarnings(lmFit(y, design))
  fit2 <- contrasts.fit(fit, cm)
  fit2 <- eBayes(fit2, trend = cs$trend == "1", robust = cs$robust == "1")
  tt <- topTable(fit2, coef = 1, number = Inf, sort.by = "none")

  out <- data.frame(feature = ids, lapply(tt[, cols], fmt), check.names = FALSE)
  con <- gzfile(file.path(data_dir, paste0(cs$case, ".limma.tsv.gz")), "w", compression = 9)
  write.table(out, con, sep = "\t", quote = FALSE, row.names = FALSE)
  close(con)
  dm <- data.frame(sample = samples, design, check.names = FALSE)
  write.table(dm, file.path(data_dir, paste0(cs$case, ".design.tsv")),
              sep = "\t", quote = FALSE, row.names = FALSE)
  params <- rbind(params, data.frame(
    case = cs$case,
    df_prior_min = fmt(min(fit2$df.prior)), df_prior_max = fmt(max(fit2$df.prior)),
    s2_prior_min = fmt(min(fit2$s2.prior)), s2_prior_max = fmt(max(fit2$s2.prior)),
    var_prior = fmt(fit2$var.prior)
  ))
  cat(cs$case, ": ", nrow(y), " features, df.prior ", min(fit2$df.prior), "\n", sep = "")
}

write.table(params, file.path(data_dir, "params.tsv"), sep = "\t", quote = FALSE, row.names = FALSE)
writeLines(c(R.version.string, paste("limma", as.character(packageVersion("limma")))),
           file.path(data_dir, "VERSION.txt"))
