# Reference Cox fits for tests/test_survival.py (run once: Rscript make_fixtures.R).
# R survival::coxph, ties = "efron"; scores and age standardised over all 40 patients
# (sd with n - 1), diabetes treatment-coded, arm = 1 for bmmnc: the parametrisation of
# omics.tl.survival_model. Writes coefficients.tsv (coef, se, Wald p per model and term)
# and tests.tsv (likelihood-ratio test of the tested term per model and score).
suppressPackageStartupMessages(library(survival))
here <- dirname(normalizePath(sub("--file=", "", grep("--file=", commandArgs(FALSE), value = TRUE))))
d <- read.csv(file.path(here, "data.csv"))
d$arm <- as.numeric(d$arm == "bmmnc")
d$age <- (d$age - mean(d$age)) / sd(d$age)
d$diab <- as.numeric(d$diabetes == "yes")
# converge fully (default eps = 1e-9 on the relative log-likelihood change leaves
# coefficients ~1e-5 from the optimum in steep fits)
ctrl <- coxph.control(eps = 1e-12, toler.chol = 1e-14, iter.max = 100)
coefs <- list(); tests <- list()
for (score in c("pred", "prog")) {
  d$z <- (d[[score]] - mean(d[[score]])) / sd(d[[score]])
  d$armz <- d$arm * d$z
  models <- list(
    pooled = list(full = Surv(afs_days, afs_event) ~ arm + z + age + diab,
                  reduced = Surv(afs_days, afs_event) ~ arm + age + diab, data = d, term = "z"),
    interaction = list(full = Surv(afs_days, afs_event) ~ arm + z + armz + age + diab,
                       reduced = Surv(afs_days, afs_event) ~ arm + z + age + diab, data = d, term = "armz"),
    control = list(full = Surv(afs_days, afs_event) ~ z + age + diab,
                   reduced = Surv(afs_days, afs_event) ~ age + diab, data = d[d$arm == 0, ], term = "z"),
    treated = list(full = Surv(afs_days, afs_event) ~ z + age + diab,
                   reduced = Surv(afs_days, afs_event) ~ age + diab, data = d[d$arm == 1, ], term = "z"))
  for (m in names(models)) {
    spec <- models[[m]]
    full <- coxph(spec$full, data = spec$data, ties = "efron", control = ctrl)
    reduced <- coxph(spec$reduced, data = spec$data, ties = "efron", control = ctrl)
    s <- summary(full)$coefficients
    coefs[[length(coefs) + 1]] <- data.frame(score = score, model = m, term = rownames(s),
      coef = s[, "coef"], se = s[, "se(coef)"], p = s[, "Pr(>|z|)"])
    lrt <- 2 * (full$loglik[2] - reduced$loglik[2])
    zph <- cox.zph(full, transform = "rank", terms = FALSE)$table
    # Grambsch & Therneau (1994) test as cox.zph computed it before survival 3.0 (and
    # lifelines does): scaled Schoenfeld residuals against the rank of the event times,
    # tied times sharing their average rank (rank()'s default)
    sres <- resid(full, "schoenfeld"); deaths <- nrow(sres)
    ranks <- rank(as.numeric(rownames(sres))); ranks <- ranks - mean(ranks)
    scaled <- sres %*% full$var * deaths
    gt94 <- c((ranks %*% scaled)^2 / (diag(full$var) * deaths * sum(ranks^2)))
    names(gt94) <- names(coef(full))
    # score test of the term at the reduced fit (coxph with init and no iteration)
    terms <- names(coef(full))
    init <- sapply(terms, function(n) if (n == spec$term) 0 else coef(reduced)[[n]])
    at_reduced <- coxph(spec$full, data = spec$data, ties = "efron", init = init,
                        control = coxph.control(iter.max = 0))
    tests[[length(tests) + 1]] <- data.frame(score = score, model = m, term = spec$term,
      loglik = full$loglik[2], lrt_p = pchisq(lrt, 1, lower.tail = FALSE),
      zph_p = zph[spec$term, "p"],
      zph_gt94_p = pchisq(gt94[[spec$term]], 1, lower.tail = FALSE),
      score_p = pchisq(at_reduced$score, 1, lower.tail = FALSE))
  }
}
fmt <- function(x) { x[] <- lapply(x, function(v) if (is.numeric(v)) sprintf("%.12g", v) else v); x }
write.table(fmt(do.call(rbind, coefs)), file.path(here, "coefficients.tsv"), sep = "\t",
            quote = FALSE, row.names = FALSE)
write.table(fmt(do.call(rbind, tests)), file.path(here, "tests.tsv"), sep = "\t",
            quote = FALSE, row.names = FALSE)
cat(sprintf("survival %s\n", packageVersion("survival")), file = file.path(here, "VERSION.txt"))
