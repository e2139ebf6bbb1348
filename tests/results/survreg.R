# Reference results for mdsrs_core.models.survreg (parametric AFT models).
#
# Produced with R 4.2.2 and survival 3.5-3 (see "meta" in the output). Re-run from the
# repository root:
#     Rscript tests/results/survreg.R
# Reads tests/data/lung.csv and tests/data/veteran.csv (written by tests/results/survival.R)
# and the example cohort; writes tests/results/survreg.json.
# Every number is written with sprintf("%.17g"); NA / NaN / Inf are written as null.
#
# Models are fitted with survreg.control(rel.tolerance = 1e-13, iter.max = 100) so that
# the estimates are converged far beyond the 1e-6 relative tolerance of the tests.
# Survival probabilities at given times are 1 - psurvreg(t, lp, scale, dist), which is what
# predict.survreg's quantiles invert (predict.survreg has no "survival" type).

suppressPackageStartupMessages(library(survival))

out_json <- "tests/results/survreg.json"
patients_csv <- "mdsrs_core/example/data/patients.csv"

# ----------------------------------------------------------------------------- JSON writer
source("tests/results/_json.R")  # num, str_json, to_json: the shared JSON writer

ctrl <- survreg.control(rel.tolerance = 1e-13, iter.max = 100)
P <- c(0.1, 0.25, 0.5, 0.75, 0.9)

sr_result <- function(fit, n_input, newdata, times) {
  tab <- summary(fit)$table
  ci <- confint(fit)
  nb <- length(coef(fit))
  z <- qnorm(0.975)
  ll <- logLik(fit)
  chi <- 2 * diff(fit$loglik)
  df_chi <- sum(fit$df) - fit$idf
  q <- predict(fit, newdata, type = "quantile", p = P, se.fit = TRUE)
  lp <- predict(fit, newdata, type = "lp", se.fit = TRUE)
  resp <- predict(fit, newdata, type = "response", se.fit = TRUE)
  # per-row scale (per stratum when strata() is in the formula)
  scale_rows <- if (length(fit$scale) == 1) rep(fit$scale, nrow(newdata)) else
    fit$scale[as.character(newdata$.stratum)]
  surv <- sapply(times, function(t)
    1 - psurvreg(t, mean = lp$fit, scale = scale_rows, distribution = fit$dist))
  surv <- matrix(surv, nrow = nrow(newdata))
  list(
    terms = I(rownames(tab)),
    estimate = I(tab[, 1]),
    std_error = I(tab[, 2]),
    statistic = I(tab[, 3]),
    p_value = I(tab[, 4]),
    # Wald intervals for every row (R's confint() gives the coefficients only; the
    # Log(scale) rows are the same formula)
    conf_low = I(tab[, 1] - z * tab[, 2]),
    conf_high = I(tab[, 1] + z * tab[, 2]),
    confint_low = I(ci[, 1]),
    confint_high = I(ci[, 2]),
    n_coef = nb,
    scale = I(fit$scale),
    nobs = nobs(fit),
    n_dropped = n_input - nobs(fit),
    events = sum(fit$y[, 2]),
    loglik = as.numeric(ll),
    loglik_null = fit$loglik[1],
    df = attr(ll, "df"),
    aic = AIC(fit),
    bic = BIC(fit),
    chisq = chi,
    df_chisq = df_chi,
    p_value_chisq = pchisq(chi, df_chi, lower.tail = FALSE),
    vcov = I(as.vector(fit$var)),
    pred_p = I(P),
    pred_quantile = I(as.vector(q$fit)),     # rows x p, column-major
    pred_quantile_se = I(as.vector(q$se.fit)),
    pred_lp = I(as.vector(lp$fit)),
    pred_lp_se = I(as.vector(lp$se.fit)),
    pred_response = I(as.vector(resp$fit)),
    pred_response_se = I(as.vector(resp$se.fit)),
    pred_times = I(times),
    pred_survival = I(as.vector(surv))       # rows x times, column-major
  )
}

dists <- c("weibull", "exponential", "lognormal", "loglogistic")
res <- list()
res$meta <- list(
  r_version = R.version.string,
  survival_version = as.character(packageVersion("survival")),
  control = "survreg.control(rel.tolerance = 1e-13, iter.max = 100)"
)

# ----------------------------------------------------------------------------- lung
lung_df <- read.csv("tests/data/lung.csv")
lung_new <- data.frame(age = c(50, 62, 75), sex = c(1, 2, 1), ph.ecog = c(0, 1, 2))
lung_times <- c(100, 365, 730)
for (d in dists) {
  fit <- survreg(Surv(time, event) ~ age + sex + ph.ecog, lung_df, dist = d, control = ctrl)
  res[[paste0("lung_", d)]] <- sr_result(fit, nrow(lung_df), lung_new, lung_times)
}
# case weights
w <- (seq_len(nrow(lung_df)) %% 3) + 1
lung_w <- cbind(lung_df, w = w)
fit <- survreg(Surv(time, event) ~ age + sex + ph.ecog, lung_w, weights = w,
               dist = "weibull", control = ctrl)
res$lung_weibull_weights <- sr_result(fit, nrow(lung_df), lung_new, lung_times)
res$lung_weibull_weights$weights <- I(w)
# strata(): one scale per stratum
lung_new_s <- cbind(lung_new[, c("age", "ph.ecog")], sex = c(1, 2, 2))
lung_new_s$.stratum <- paste0("sex=", lung_new_s$sex)
for (d in c("weibull", "lognormal")) {
  fit <- survreg(Surv(time, event) ~ age + ph.ecog + strata(sex), lung_df, dist = d,
                 control = ctrl)
  res[[paste0("lung_strata_", d)]] <- sr_result(fit, nrow(lung_df), lung_new_s, lung_times)
}

# no intercept: R still fits the intercept-only model for loglik[1]
fit <- survreg(Surv(time, event) ~ age - 1, lung_df, control = ctrl)
res$lung_no_intercept <- list(terms = I(rownames(summary(fit)$table)),
                              estimate = I(summary(fit)$table[, 1]),
                              std_error = I(summary(fit)$table[, 2]),
                              loglik = fit$loglik[2], loglik_null = fit$loglik[1],
                              df_chisq = sum(fit$df) - fit$idf)

# ----------------------------------------------------------------------------- veteran
vet <- read.csv("tests/data/veteran.csv")
vet$celltype <- factor(vet$celltype, levels = c("squamous", "smallcell", "adeno", "large"))
vet_new <- data.frame(trt = c(1, 2, 2), karno = c(30, 60, 90),
                      celltype = factor(c("squamous", "adeno", "large"),
                                        levels = levels(vet$celltype)))
vet_times <- c(30, 90, 365)
for (d in dists) {
  fit <- survreg(Surv(time, status) ~ trt + karno + celltype, vet, dist = d, control = ctrl)
  res[[paste0("veteran_", d)]] <- sr_result(fit, nrow(vet), vet_new, vet_times)
}

# ----------------------------------------------------------------------------- example
pts <- read.csv(patients_csv, stringsAsFactors = FALSE)
pts$arm <- factor(pts$arm, levels = c("thalidomide", "lenalidomide"))
res$patients_check <- list(n = nrow(pts), sum_os = sum(pts$os_months),
                           deaths = sum(pts$death))
pts_new <- data.frame(arm = factor(c("thalidomide", "lenalidomide"), levels = levels(pts$arm)),
                      age = c(70, 70))
pts_times <- c(12, 36, 60)
for (d in dists) {
  fit <- survreg(Surv(os_months, death) ~ arm, pts, dist = d, control = ctrl)
  res[[paste0("patients_arm_", d)]] <- sr_result(fit, nrow(pts), pts_new, pts_times)
  fit <- survreg(Surv(os_months, death) ~ arm + age, pts, dist = d, control = ctrl)
  res[[paste0("patients_arm_age_", d)]] <- sr_result(fit, nrow(pts), pts_new, pts_times)
}

# per-arm intercept-only fits, as the os endpoint's parametric figure (each arm its own scale)
grid <- seq(0, max(pts$os_months), length.out = 121)
for (d in dists) {
  for (a in levels(pts$arm)) {
    fit <- survreg(Surv(os_months, death) ~ 1, pts[pts$arm == a, ], dist = d, control = ctrl)
    tab <- summary(fit)$table
    med <- predict(fit, data.frame(x = 1), type = "quantile", p = 0.5, se.fit = TRUE)
    res[[paste0("patients_", a, "_", d)]] <- list(
      intercept = tab[1, 1], intercept_std_error = tab[1, 2],
      log_scale = if (nrow(tab) > 1) tab[2, 1] else NA_real_,
      log_scale_std_error = if (nrow(tab) > 1) tab[2, 2] else NA_real_,
      scale = fit$scale, logLik = as.numeric(logLik(fit)), AIC = AIC(fit),
      median = unname(med$fit), median_std_error = unname(med$se.fit),
      grid = I(grid),
      surv = I(1 - psurvreg(grid, coef(fit)[1], fit$scale, distribution = d))
    )
  }
}

# ----------------------------------------------------------------------------- refusals
# R refuses times <= 0 for the log-time distributions:
tiny0 <- data.frame(t = c(0, 1, 2, 3, 4), e = c(1, 1, 0, 1, 1))
res$time0_message <- conditionMessage(tryCatch(survreg(Surv(t, e) ~ 1, tiny0),
                                               error = function(e) e))
# an arm with no events: R does not converge (the coefficient runs off to infinity)
noev <- data.frame(t = c(5, 1, 2, 3, 4, 6, 7, 8), e = c(0, 0, 0, 0, 1, 1, 0, 1),
                   g = c(1, 1, 1, 1, 2, 2, 2, 2))
res$no_event_arm_warning <- tryCatch({survreg(Surv(t, e) ~ g, noev); "none"},
                                     warning = function(w) conditionMessage(w))

writeLines(to_json(res), out_json)
cat("wrote", out_json, "\n")
