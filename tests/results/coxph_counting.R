# Reference results for mdsrs_core.models.coxph: the counting-process form
# Surv(start, stop, event), case weights, robust (sandwich) and cluster() standard errors.
#
# Produced with R and survival (versions in "meta" of the output). Re-run from the
# repository root:
#     Rscript tests/results/coxph_counting.R
# Writes tests/data/heart.csv and tests/results/coxph_counting.json (lung is written by
# survival.R). Every number is written with sprintf("%.17g"); NA / NaN / Inf as null.
#
# Data: survival's `heart` (Stanford heart transplant, Crowley & Hu 1977: one row per
# (start, stop] interval, transplant a time-varying covariate, start = 0 rows, tied stop
# times), `lung` (clustered by institution), and the bundled example cohort. Weights are
# deterministic functions of a column, some integer (R keeps the model-based variance),
# some not (R switches to the robust variance by default).

suppressPackageStartupMessages(library(survival))

out_json <- "tests/results/coxph_counting.json"
patients_csv <- "mdsrs_core/example/data/patients.csv"

source("tests/results/_json.R")  # num, str_json, to_json: the shared JSON writer

ctrl <- coxph.control(eps = 1e-12, iter.max = 100, toler.chol = 1e-13)

cox_result <- function(fit, n_input, n_cluster = fit$n) {
  s <- summary(fit)
  co <- s$coefficients
  robust <- "robust se" %in% colnames(co)
  se <- if (robust) co[, "robust se"] else co[, "se(coef)"]
  z <- qnorm(0.975)
  cc <- fit$concordance
  p <- length(fit$coefficients)
  out <- list(
    terms = I(rownames(co)),
    estimate = I(co[, "coef"]),
    std_error = I(se),                 # what broom's tidy() reports (robust when robust)
    std_error_naive = I(co[, "se(coef)"]),
    statistic = I(co[, "z"]),
    p_value = I(co[, "Pr(>|z|)"]),
    conf_low = I(co[, "coef"] - z * se),
    conf_high = I(co[, "coef"] + z * se),
    robust = robust,
    nobs = fit$n,
    n_dropped = n_input - fit$n,
    nevent = fit$nevent,
    loglik_null = fit$loglik[1],
    loglik = fit$loglik[2],
    aic = AIC(fit),
    statistic_log = unname(s$logtest["test"]),
    p_value_log = unname(s$logtest["pvalue"]),
    statistic_sc = unname(fit$score),
    p_value_sc = pchisq(fit$score, p, lower.tail = FALSE),
    statistic_wald = unname(fit$wald.test),  # with the robust variance when robust
    p_value_wald = pchisq(fit$wald.test, p, lower.tail = FALSE),
    concordance = unname(cc["concordance"]),
    concordance_se = unname(cc["std"]),
    iterations = fit$iter
  )
  if (robust) {
    out$statistic_robust <- unname(fit$rscore)
    out$p_value_robust <- pchisq(fit$rscore, p, lower.tail = FALSE)
    out$n_cluster <- n_cluster  # rows when robust = TRUE without cluster()
  }
  out
}

res <- list()
res$meta <- list(
  r_version = R.version.string,
  survival_version = as.character(packageVersion("survival")),
  cox_control = "coxph.control(eps = 1e-12, iter.max = 100, toler.chol = 1e-13)"
)

# ----------------------------------------------------------------------------- heart
hrt <- survival::heart
hrt$transplant <- as.integer(as.character(hrt$transplant))  # 0/1, as written to the CSV
write.csv(hrt, "tests/data/heart.csv", row.names = FALSE)
n_h <- nrow(hrt)
nc_h <- length(unique(hrt$id))
f_h <- Surv(start, stop, event) ~ age + year + surgery + transplant
res$heart_efron <- cox_result(coxph(f_h, hrt, control = ctrl), n_h)
res$heart_breslow <- cox_result(coxph(f_h, hrt, ties = "breslow", control = ctrl), n_h)
f_hc <- Surv(start, stop, event) ~ age + year + surgery + transplant + cluster(id)
res$heart_cluster <- cox_result(coxph(f_hc, hrt, control = ctrl), n_h, nc_h)
res$heart_cluster_breslow <- cox_result(
  coxph(f_hc, hrt, ties = "breslow", control = ctrl), n_h, nc_h)
f_hs <- Surv(start, stop, event) ~ age + year + transplant + strata(surgery)
res$heart_strata <- cox_result(coxph(f_hs, hrt, control = ctrl), n_h)
res$heart_strata_breslow <- cox_result(coxph(f_hs, hrt, ties = "breslow", control = ctrl), n_h)
f_hsc <- Surv(start, stop, event) ~ age + year + transplant + strata(surgery) + cluster(id)
res$heart_strata_cluster <- cox_result(coxph(f_hsc, hrt, control = ctrl), n_h, nc_h)
# weights, a deterministic function of id; cluster(id)
hrt$w <- 0.5 + (hrt$id %% 4) / 3
res$heart_weights_cluster <- cox_result(
  coxph(f_hc, hrt, weights = w, control = ctrl), n_h, nc_h)
res$heart_weights_naive <- cox_result(
  coxph(f_h, hrt, weights = w, robust = FALSE, control = ctrl), n_h)

# ----------------------------------------------------------------------------- lung
lung_df <- survival::lung
lung_df$event <- as.integer(lung_df$status == 2)
n_l <- nrow(lung_df)
nc_l <- length(unique(na.omit(lung_df[, c("time", "event", "age", "sex", "ph.ecog", "inst")])$inst))
f_l <- Surv(time, event) ~ age + sex + ph.ecog
res$lung_cluster_inst <- cox_result(
  coxph(Surv(time, event) ~ age + sex + ph.ecog + cluster(inst), lung_df, control = ctrl), n_l, nc_l)
res$lung_robust <- cox_result(coxph(f_l, lung_df, robust = TRUE, control = ctrl), n_l)
res$lung_robust_breslow <- cox_result(
  coxph(f_l, lung_df, robust = TRUE, ties = "breslow", control = ctrl), n_l)
lung_df$w <- 0.5 + (lung_df$age %% 7) / 4          # not whole numbers: R's default is robust
res$lung_weights <- cox_result(coxph(f_l, lung_df, weights = w, control = ctrl), n_l)
res$lung_weights_breslow <- cox_result(
  coxph(f_l, lung_df, weights = w, ties = "breslow", control = ctrl), n_l)
res$lung_weights_naive <- cox_result(
  coxph(f_l, lung_df, weights = w, robust = FALSE, control = ctrl), n_l)
lung_df$wi <- 1 + (lung_df$age %% 3)               # whole numbers: model-based variance
res$lung_weights_int <- cox_result(coxph(f_l, lung_df, weights = wi, control = ctrl), n_l)
res$lung_weights_cluster <- cox_result(
  coxph(Surv(time, event) ~ age + sex + ph.ecog + cluster(inst), lung_df, weights = w,
        control = ctrl), n_l, nc_l)

# ----------------------------------------------------------------------------- example cohort
pts <- read.csv(patients_csv, stringsAsFactors = FALSE)
pts$arm <- factor(pts$arm, levels = c("thalidomide", "lenalidomide"))
pts$w <- 0.5 + (pts$age %% 5) / 4
res$patients_weights <- cox_result(
  coxph(Surv(os_months, death) ~ arm + age, pts, weights = w, control = ctrl), nrow(pts))
res$patients_weights_robust_arm <- cox_result(
  coxph(Surv(os_months, death) ~ arm, pts, weights = w, robust = TRUE, control = ctrl),
  nrow(pts))

writeLines(to_json(res), out_json)
cat("wrote", out_json, "\n")
