# Reference results for mdsrs_core.models.coxph / survfit / survdiff.
#
# Produced with R 4.2.2 and survival 3.5-3 (see "meta" in the output).
# Re-run from the repository root:
#     Rscript tests/results/survival.R
# Writes tests/data/lung.csv, tests/data/veteran.csv and tests/results/survival.json.
# Every number is written with sprintf("%.17g"); NA / NaN / Inf are written as null.
#
# Cox models are fitted with coxph.control(eps = 1e-12, iter.max = 100) so that the
# estimates are converged far beyond the 1e-6 relative tolerance of the tests.

suppressPackageStartupMessages(library(survival))

out_json <- "tests/results/survival.json"
data_dir <- "tests/data"
patients_csv <- "mdsrs_core/example/data/patients.csv"

# ----------------------------------------------------------------------------- JSON writer
source("tests/results/_json.R")  # num, str_json, to_json: the shared JSON writer

# ----------------------------------------------------------------------------- helpers
# toler.chol below eps avoids coxph.control's "tolerance should be < eps" warning
ctrl <- coxph.control(eps = 1e-12, iter.max = 100, toler.chol = 1e-13)

cox_result <- function(fit, n_input) {
  s <- summary(fit)
  co <- s$coefficients
  ci <- s$conf.int
  cc <- fit$concordance
  list(
    terms = I(rownames(co)),
    estimate = I(co[, "coef"]),
    std_error = I(co[, "se(coef)"]),
    statistic = I(co[, "z"]),
    p_value = I(co[, "Pr(>|z|)"]),
    conf_low = I(confint(fit)[, 1]),
    conf_high = I(confint(fit)[, 2]),
    hr = I(ci[, "exp(coef)"]),
    hr_low = I(ci[, "lower .95"]),
    hr_high = I(ci[, "upper .95"]),
    nobs = fit$n,
    n_dropped = n_input - fit$n,
    nevent = fit$nevent,
    loglik_null = fit$loglik[1],
    loglik = fit$loglik[2],
    aic = AIC(fit),
    statistic_log = unname(s$logtest["test"]),
    df_log = unname(s$logtest["df"]),
    p_value_log = unname(s$logtest["pvalue"]),
    statistic_sc = unname(fit$score),
    p_value_sc = pchisq(fit$score, length(fit$coefficients), lower.tail = FALSE),
    statistic_wald = unname(fit$wald.test),  # summary()$waldtest is rounded
    p_value_wald = pchisq(fit$wald.test, length(fit$coefficients), lower.tail = FALSE),
    concordance = unname(cc["concordance"]),
    concordance_se = unname(cc["std"]),
    iterations = fit$iter
  )
}

surv_summary <- function(s) {
  strata <- if (is.null(s$strata)) rep("", length(s$time)) else as.character(s$strata)
  list(
    strata = I(strata),
    time = I(s$time),
    n_risk = I(s$n.risk),
    n_event = I(s$n.event),
    surv = I(s$surv),
    std_err = I(s$std.err),
    conf_low = I(s$lower),
    conf_high = I(s$upper)
  )
}

surv_table <- function(fit) {
  tab <- summary(fit)$table
  if (is.null(dim(tab))) {
    tab <- matrix(tab, nrow = 1, dimnames = list("", names(tab)))
  }
  list(
    strata = I(rownames(tab)),
    records = I(tab[, "records"]),
    events = I(tab[, "events"]),
    median = I(tab[, "median"]),
    conf_low = I(tab[, grep("LCL", colnames(tab))]),
    conf_high = I(tab[, grep("UCL", colnames(tab))])
  )
}

surv_curve <- function(fit) {
  strata <- if (is.null(fit$strata)) rep("", length(fit$time)) else
    rep(names(fit$strata), fit$strata)
  list(
    strata = I(strata),
    time = I(fit$time),
    n_risk = I(fit$n.risk),
    n_event = I(fit$n.event),
    n_censor = I(fit$n.censor),
    surv = I(fit$surv),
    conf_low = I(fit$lower),
    conf_high = I(fit$upper)
  )
}

km_result <- function(fit, times) {
  list(
    n_dropped = length(fit$na.action),
    summary_times = surv_summary(summary(fit, times = times)),
    summary_events = surv_summary(summary(fit)),
    table = surv_table(fit),
    curve = surv_curve(fit)
  )
}

logrank_result <- function(sd) {
  obs <- if (is.matrix(sd$obs)) rowSums(sd$obs) else sd$obs
  exp <- if (is.matrix(sd$exp)) rowSums(sd$exp) else sd$exp
  v <- if (is.matrix(sd$var)) diag(sd$var) else sd$var
  df <- sum(exp > 0) - 1
  list(
    groups = I(names(sd$n)),
    n = I(as.vector(sd$n)),
    observed = I(obs),
    expected = I(exp),
    oe2_e = I((obs - exp)^2 / exp),
    oe2_v = I((obs - exp)^2 / v),
    chisq = sd$chisq,
    df = df,
    p_value = pchisq(sd$chisq, df, lower.tail = FALSE)
  )
}

# ----------------------------------------------------------------------------- data
lung_df <- survival::lung
lung_df$event <- as.integer(lung_df$status == 2)
write.csv(lung_df, file.path(data_dir, "lung.csv"), row.names = FALSE, na = "")

vet <- survival::veteran  # celltype levels: squamous (reference), smallcell, adeno, large
write.csv(vet, file.path(data_dir, "veteran.csv"), row.names = FALSE, na = "")

# median exactly 0.5 over an interval: R averages the two times
half <- data.frame(time = c(1, 2, 3, 4, 5, 6), event = c(1, 1, 1, 0, 1, 1))
# a curve that reaches 0 and a last time with n.risk == n.event
tiny <- data.frame(time = c(1, 2, 2, 3, 4, 5, 5), event = c(1, 1, 0, 1, 0, 1, 1))

res <- list()
res$meta <- list(
  r_version = R.version.string,
  survival_version = as.character(packageVersion("survival")),
  cox_control = "coxph.control(eps = 1e-12, iter.max = 100, toler.chol = 1e-13)"
)

# ----------------------------------------------------------------------------- lung
f_lung <- Surv(time, event) ~ age + sex + ph.ecog
res$lung_cox_efron <- cox_result(coxph(f_lung, lung_df, control = ctrl), nrow(lung_df))
res$lung_cox_breslow <- cox_result(
  coxph(f_lung, lung_df, ties = "breslow", control = ctrl), nrow(lung_df))
res$lung_cox_sex <- cox_result(coxph(Surv(time, event) ~ sex, lung_df, control = ctrl),
                               nrow(lung_df))

lung_times <- c(0, 100, 200, 365, 500, 730, 1000, 1100)
res$lung_km_sex <- km_result(survfit(Surv(time, event) ~ sex, lung_df), lung_times)
res$lung_km_all <- km_result(survfit(Surv(time, event) ~ 1, lung_df), lung_times)
res$lung_km_sex_loglog <- km_result(
  survfit(Surv(time, event) ~ sex, lung_df, conf.type = "log-log"), lung_times)
res$lung_km_sex_plain <- km_result(
  survfit(Surv(time, event) ~ sex, lung_df, conf.type = "plain"), lung_times)
res$lung_km_sex_90 <- km_result(
  survfit(Surv(time, event) ~ sex, lung_df, conf.int = 0.90), lung_times)
res$lung_km_sex_extend <- list(summary_times = surv_summary(
  summary(survfit(Surv(time, event) ~ sex, lung_df), times = lung_times, extend = TRUE)))
res$lung_km_ecog <- km_result(survfit(Surv(time, event) ~ ph.ecog, lung_df), c(100, 365))

res$lung_logrank_sex <- logrank_result(survdiff(Surv(time, event) ~ sex, lung_df))
res$lung_logrank_sex_rho1 <- logrank_result(
  survdiff(Surv(time, event) ~ sex, lung_df, rho = 1))
res$lung_logrank_ecog <- logrank_result(survdiff(Surv(time, event) ~ ph.ecog, lung_df))

# ----------------------------------------------------------------------------- veteran
f_vet <- Surv(time, status) ~ trt + celltype + karno + age
res$vet_cox_efron <- cox_result(coxph(f_vet, vet, control = ctrl), nrow(vet))
res$vet_cox_breslow <- cox_result(coxph(f_vet, vet, ties = "breslow", control = ctrl),
                                  nrow(vet))
f_vet_strat <- Surv(time, status) ~ celltype + karno + strata(trt)
res$vet_cox_strata <- cox_result(coxph(f_vet_strat, vet, control = ctrl), nrow(vet))
res$vet_cox_strata_breslow <- cox_result(
  coxph(f_vet_strat, vet, ties = "breslow", control = ctrl), nrow(vet))

res$vet_km_celltype <- km_result(survfit(Surv(time, status) ~ celltype, vet),
                                 c(30, 90, 180, 365, 999))
res$vet_km_trt <- km_result(survfit(Surv(time, status) ~ strata(trt), vet),
                            c(30, 90, 180, 365))
res$vet_logrank_trt <- logrank_result(survdiff(Surv(time, status) ~ trt, vet))
res$vet_logrank_celltype <- logrank_result(survdiff(Surv(time, status) ~ celltype, vet))
res$vet_logrank_trt_strata <- logrank_result(
  survdiff(Surv(time, status) ~ trt + strata(celltype), vet))
res$vet_logrank_trt_strata_rho1 <- logrank_result(
  survdiff(Surv(time, status) ~ trt + strata(celltype), vet, rho = 1))

# ----------------------------------------------------------------------------- small cases
res$half_km <- km_result(survfit(Surv(time, event) ~ 1, half), c(2, 3.5, 6))
res$tiny_km <- km_result(survfit(Surv(time, event) ~ 1, tiny), c(0, 1.5, 2, 4.5, 5))
res$tiny_km_extend <- list(summary_times = surv_summary(
  summary(survfit(Surv(time, event) ~ 1, tiny), times = c(0, 1.5, 2, 4.5, 5, 6),
          extend = TRUE)))

# ----------------------------------------------------------------------------- example cohort
if (file.exists(patients_csv)) {
  pts <- read.csv(patients_csv, stringsAsFactors = FALSE)
  pts$arm <- factor(pts$arm, levels = c("thalidomide", "lenalidomide"))
  res$patients_km_arm <- km_result(survfit(Surv(os_months, death) ~ arm, pts),
                                   c(12, 36, 60))
  res$patients_logrank_arm <- logrank_result(survdiff(Surv(os_months, death) ~ arm, pts))
  res$patients_cox_arm <- cox_result(coxph(Surv(os_months, death) ~ arm, pts,
                                           control = ctrl), nrow(pts))
  res$patients_cox_arm_age <- cox_result(coxph(Surv(os_months, death) ~ arm + age, pts,
                                               control = ctrl), nrow(pts))
}

writeLines(to_json(res), out_json)
cat("wrote", out_json, "\n")
