# Reference Cox fits for tests/test_survival_fix50.py (run once: Rscript make_convergence.R).
# Data sets on which lifelines' Newton-Raphson stops short of the maximum (audit h50_surv):
# a score shifted between the arms (shift, shift35: H1), a placebo arm whose events the
# score and covariates order (mono: monotone likelihood, H2), a score whose spread differs
# 10- to 1000-fold between the arms (spread: L2/L4), and a BM-MNC arm with one event
# (fewev: M1, no covariates). The parametrisation of omics.tl.survival_model: follow-up
# censored at day 183, the score and age standardised over the patients of the data set
# (sd with n - 1), diabetes treatment-coded, arm = 1 for bmmnc. Writes convergence.tsv:
# per data set, score and model the coefficient of the tested term, its SE, both
# log-likelihoods, the likelihood-ratio p and (arms) the Efron score-test p; NA where
# coxph finds no finite coefficient.
suppressPackageStartupMessages(library(survival))
here <- dirname(normalizePath(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))))
all <- read.csv(file.path(here, "convergence_data.csv"))
ctrl <- coxph.control(eps = 1e-12, toler.chol = 1e-14, iter.max = 100)
out <- list()
for (key in unique(paste(all$dataset, all$score_name))) {
  d <- all[paste(all$dataset, all$score_name) == key, ]
  d$time <- pmin(d$afs_days, 183); d$event <- ifelse(d$afs_days > 183, 0, d$afs_event)
  d$arm1 <- as.numeric(d$arm == "bmmnc")
  d$z <- (d$score - mean(d$score)) / sd(d$score); d$armz <- d$arm1 * d$z
  covs <- if (all(is.na(d$age))) "" else {
    d$age <- (d$age - mean(d$age)) / sd(d$age); d$diab <- as.numeric(d$diabetes == "yes"); " + age + diab" }
  f <- function(rhs) as.formula(paste("Surv(time, event) ~", rhs, covs))
  models <- list(
    control = list(full = f("z"), reduced = f("1"), data = d[d$arm1 == 0, ], term = "z"),
    treated = list(full = f("z"), reduced = f("1"), data = d[d$arm1 == 1, ], term = "z"),
    pooled = list(full = f("arm1 + z"), reduced = f("arm1"), data = d, term = "z"),
    interaction = list(full = f("arm1 + z + armz"), reduced = f("arm1 + z"), data = d, term = "armz"))
  for (m in names(models)) {
    s <- models[[m]]
    if (sum(s$data$event) < 2) next
    full <- suppressWarnings(coxph(s$full, data = s$data, control = ctrl))
    reduced <- suppressWarnings(coxph(s$reduced, data = s$data, control = ctrl))
    ll_red <- if (is.null(coef(reduced))) reduced$loglik[1] else reduced$loglik[2]
    score_p <- NA
    if (m %in% c("control", "treated")) {
      init <- sapply(names(coef(full)), function(n) if (n == s$term) 0 else coef(reduced)[[n]])
      at <- coxph(s$full, data = s$data, init = init, control = coxph.control(iter.max = 0))
      score_p <- pchisq(at$score, 1, lower.tail = FALSE)
    }
    out[[length(out) + 1]] <- data.frame(dataset = d$dataset[1], score = d$score_name[1], model = m,
      term = s$term, coef = coef(full)[[s$term]], se = sqrt(diag(full$var))[names(coef(full)) == s$term],
      loglik = full$loglik[2], loglik_reduced = ll_red,
      lrt_p = pchisq(2 * (full$loglik[2] - ll_red), 1, lower.tail = FALSE), score_p = score_p)
  }
}
fmt <- function(x) { x[] <- lapply(x, function(v) if (is.numeric(v)) sprintf("%.12g", v) else v); x }
write.table(fmt(do.call(rbind, out)), file.path(here, "convergence.tsv"), sep = "\t", quote = FALSE,
            row.names = FALSE)
