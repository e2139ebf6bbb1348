# R reference results for mdsrs_core.models.lm / glm / clm.
#
# Re-run from the repository root with:
#     Rscript tests/results/regression.R
# It writes the data sets it uses to tests/data/<name>.csv and every figure to
# tests/results/regression.json (numbers printed with sprintf("%.17g"), JSON by hand).
#
# Written with R 4.2.2 (2022-11-10 r83330), stats 4.2.2, ordinal 2022.11.16;
# the versions actually used are recorded in the JSON ("r_version", "ordinal_version").
#
# Intervals: lm uses confint() (t, confint.lm); binomial and poisson glm and clm use
# confint.default() (Wald z); gaussian glm uses t intervals est +/- qt(.975, df.residual) se,
# the tests of summary.glm for an estimated dispersion.

suppressPackageStartupMessages(library(ordinal))
options(stringsAsFactors = FALSE)

out_json <- "tests/results/regression.json"
data_dir <- "tests/data"
dir.create(data_dir, showWarnings = FALSE, recursive = TRUE)

num <- function(x) {
  if (is.logical(x)) return(if (isTRUE(x)) "true" else "false")
  ifelse(is.na(x) | !is.finite(x), "null", sprintf("%.17g", x))
}
quote_json <- function(s) paste0('"', gsub('"', '\\\\"', s), '"')
obj <- function(fields) {
  paste0("{", paste(quote_json(names(fields)), unlist(fields), sep = ": ", collapse = ", "), "}")
}

coef_block <- function(est, se, stat, p, lo, hi) {
  terms <- names(est)
  rows <- vapply(seq_along(terms), function(i) {
    obj(list(estimate = num(est[i]), std_error = num(se[i]), statistic = num(stat[i]),
             p_value = num(p[i]), conf_low = num(lo[i]), conf_high = num(hi[i])))
  }, "")
  paste0("{", paste(quote_json(terms), rows, sep = ": ", collapse = ", "), "}")
}

fits <- list()
add_fit <- function(name, call, coefs, glance) {
  fits[[name]] <<- obj(list(call = quote_json(call), coef = coefs, glance = obj(glance)))
}

n_dropped <- function(m) if (is.null(m$na.action)) 0 else length(m$na.action)

record_lm <- function(name, call, m) {
  s <- summary(m); cf <- coef(s); ci <- confint(m)
  f <- s$fstatistic
  add_fit(name, call,
    coef_block(setNames(cf[, 1], rownames(cf)), cf[, 2], cf[, 3], cf[, 4], ci[, 1], ci[, 2]),
    list(nobs = num(nobs(m)), n_dropped = num(n_dropped(m)), r_squared = num(s$r.squared),
         adj_r_squared = num(s$adj.r.squared), sigma = num(s$sigma),
         statistic = num(f[["value"]]), p_value = num(pf(f[["value"]], f[["numdf"]],
         f[["dendf"]], lower.tail = FALSE)), df = num(f[["numdf"]]),
         df_residual = num(m$df.residual), logLik = num(as.numeric(logLik(m))),
         AIC = num(AIC(m)), BIC = num(BIC(m))))
}

record_glm <- function(name, call, m) {
  cf <- coef(summary(m))
  if (m$family$family == "gaussian") {
    q <- qt(0.975, m$df.residual)
    ci <- cbind(cf[, 1] - q * cf[, 2], cf[, 1] + q * cf[, 2])
  } else {
    ci <- confint.default(m)
  }
  add_fit(name, call,
    coef_block(setNames(cf[, 1], rownames(cf)), cf[, 2], cf[, 3], cf[, 4], ci[, 1], ci[, 2]),
    list(nobs = num(nobs(m)), n_dropped = num(n_dropped(m)),
         null_deviance = num(m$null.deviance), df_null = num(m$df.null),
         deviance = num(m$deviance), df_residual = num(m$df.residual),
         logLik = num(as.numeric(logLik(m))), AIC = num(AIC(m)), BIC = num(BIC(m)),
         converged = num(m$converged)))
}

record_clm <- function(name, call, m) {
  cf <- coef(summary(m)); ci <- confint.default(m)
  add_fit(name, call,
    coef_block(setNames(cf[, 1], rownames(cf)), cf[, 2], cf[, 3], cf[, 4], ci[, 1], ci[, 2]),
    list(nobs = num(nobs(m)), n_dropped = num(n_dropped(m)),
         logLik = num(as.numeric(logLik(m))), AIC = num(AIC(m)), BIC = num(BIC(m)),
         df = num(attr(logLik(m), "df")), converged = num(m$convergence$code == 0)))
}

gctl <- glm.control(epsilon = 1e-14, maxit = 100)
cctl <- clm.control(gradTol = 1e-12, maxIter = 200)

# ---------------------------------------------------------------- data sets
mt <- mtcars
mt$car <- rownames(mtcars)
write.csv(mt, file.path(data_dir, "mtcars.csv"), row.names = FALSE)

# a copy with missing values: 2 in the outcome, 1 in a covariate, 1 in an unused column
mt_na <- mt
mt_na$mpg[c(3, 10)] <- NA
mt_na$wt[5] <- NA
mt_na$qsec[7] <- NA
write.csv(mt_na, file.path(data_dir, "mtcars_na.csv"), row.names = FALSE, na = "")

inf <- infert[, c("education", "age", "parity", "induced", "case", "spontaneous")]
inf$education <- as.character(inf$education)
write.csv(inf, file.path(data_dir, "infert.csv"), row.names = FALSE)
inf_na <- inf
inf_na$induced[seq(5, 248, by = 40)] <- NA
inf_na$education[c(2, 100)] <- NA
write.csv(inf_na, file.path(data_dir, "infert_na.csv"), row.names = FALSE, na = "")

wb <- warpbreaks
wb$wool <- as.character(wb$wool); wb$tension <- as.character(wb$tension)
write.csv(wb, file.path(data_dir, "warpbreaks.csv"), row.names = FALSE)

wn <- as.data.frame(wine)
wn$rating <- as.integer(as.character(wn$rating))
wn$temp <- as.character(wn$temp); wn$contact <- as.character(wn$contact)
wn$judge <- as.integer(as.character(wn$judge))
wn$bottle <- as.integer(as.character(wn$bottle))
write.csv(wn, file.path(data_dir, "wine.csv"), row.names = FALSE)
wn_na <- wn
wn_na$rating[c(1, 30)] <- NA
wn_na$contact[c(50)] <- NA
write.csv(wn_na, file.path(data_dir, "wine_na.csv"), row.names = FALSE, na = "")

# ---------------------------------------------------------------- lm
record_lm("lm_mtcars", "lm(mpg ~ wt + factor(cyl), mtcars)",
          lm(mpg ~ wt + factor(cyl), data = mt))
mt6 <- mt; mt6$cyl <- relevel(factor(mt6$cyl), ref = "6")
record_lm("lm_mtcars_relevel", "lm(mpg ~ wt + relevel(factor(cyl), '6'), mtcars)",
          lm(mpg ~ wt + cyl, data = mt6))
record_lm("lm_mtcars_interaction", "lm(mpg ~ wt * am + hp, mtcars)",
          lm(mpg ~ wt * am + hp, data = mt))
record_lm("lm_mtcars_na", "lm(mpg ~ wt + hp, mtcars_na)", lm(mpg ~ wt + hp, data = mt_na))
record_lm("lm_mtcars_noint", "lm(mpg ~ wt + hp - 1, mtcars)", lm(mpg ~ wt + hp - 1, data = mt))

# ---------------------------------------------------------------- glm
record_glm("glm_infert", "glm(case ~ spontaneous + induced + education, binomial, infert)",
           glm(case ~ spontaneous + induced + education, family = binomial, data = inf,
               control = gctl))
inf2 <- inf; inf2$education <- relevel(factor(inf2$education), ref = "6-11yrs")
record_glm("glm_infert_relevel",
           "glm(case ~ age + relevel(education, '6-11yrs'), binomial, infert)",
           glm(case ~ age + education, family = binomial, data = inf2, control = gctl))
record_glm("glm_infert_interaction", "glm(case ~ spontaneous * induced, binomial, infert)",
           glm(case ~ spontaneous * induced, family = binomial, data = inf, control = gctl))
record_glm("glm_infert_na", "glm(case ~ spontaneous + induced + education, binomial, infert_na)",
           glm(case ~ spontaneous + induced + education, family = binomial, data = inf_na,
               control = gctl))
wb2 <- wb; wb2$tension <- factor(wb2$tension, levels = c("L", "M", "H"))
record_glm("glm_warpbreaks", "glm(breaks ~ wool * tension, poisson, warpbreaks)",
           glm(breaks ~ wool * tension, family = poisson, data = wb2, control = gctl))
record_glm("glm_mtcars_gaussian", "glm(mpg ~ wt + hp, gaussian, mtcars)",
           glm(mpg ~ wt + hp, family = gaussian, data = mt, control = gctl))

# ---------------------------------------------------------------- clm
wf <- wn; wf$rating <- factor(wf$rating, ordered = TRUE)
record_clm("clm_wine", "clm(rating ~ temp + contact, wine)",
           clm(rating ~ temp + contact, data = wf, control = cctl))
record_clm("clm_wine_interaction", "clm(rating ~ temp * contact, wine)",
           clm(rating ~ temp * contact, data = wf, control = cctl))
wf_na <- wn_na; wf_na$rating <- factor(wf_na$rating, ordered = TRUE)
record_clm("clm_wine_na", "clm(rating ~ temp + contact, wine_na)",
           clm(rating ~ temp + contact, data = wf_na, control = cctl))

# many rows, few distinct ones (mdsrs fits such a clm on the distinct rows, each weighted by
# its count; R fits row by row): wine replicated 100 times, and 20,000 simulated patients
# with categorical and integer covariates (written to tests/data/clm_large.csv)
wf100 <- wf[rep(seq_len(nrow(wf)), 100), ]
record_clm("clm_wine_x100", "clm(rating ~ temp + contact, wine[rep(1:72, 100), ])",
           clm(rating ~ temp + contact, data = wf100, control = cctl))
set.seed(20261202)
n_large <- 20000
large <- data.frame(arm = sample(c("control", "treated"), n_large, replace = TRUE),
                    sex = sample(c("F", "M"), n_large, replace = TRUE),
                    age = sample(40:89, n_large, replace = TRUE))
latent <- 0.5 * (large$arm == "treated") - 0.3 * (large$sex == "M") + 0.02 * (large$age - 65) +
  rlogis(n_large)
large$grade <- findInterval(latent, c(-1.5, -0.2, 0.8, 2.2))
write.csv(large, file.path(data_dir, "clm_large.csv"), row.names = FALSE)
lf <- large; lf$grade <- factor(lf$grade, ordered = TRUE)
record_clm("clm_large", "clm(factor(grade, ordered) ~ arm + sex + age, clm_large)",
           # gradTol 1e-9: with 20,000 rows the gradient's rounding floor is ~4e-11
           clm(grade ~ arm + sex + age, data = lf,
               control = clm.control(gradTol = 1e-9, maxIter = 200)))
nt_large <- nominal_test(clm(grade ~ arm + sex, data = lf))  # default control, as nominal_test refits
nominal <- obj(list(call = quote_json("nominal_test(clm(grade ~ arm + sex, clm_large))"),
                    terms = paste0("[", paste(quote_json(rownames(nt_large)[-1]), collapse = ", "), "]"),
                    df = paste0("[", paste(num(nt_large$Df[-1]), collapse = ", "), "]"),
                    logLik = paste0("[", paste(num(nt_large$logLik[-1]), collapse = ", "), "]"),
                    LRT = paste0("[", paste(num(nt_large$LRT[-1]), collapse = ", "), "]"),
                    p_value = paste0("[", paste(num(nt_large[["Pr(>Chi)"]][-1]), collapse = ", "), "]")))

# ---------------------------------------------------------------- the bundled example cohort
patients_csv <- "mdsrs_core/example/data/patients.csv"
if (file.exists(patients_csv)) {
  pt <- read.csv(patients_csv, na.strings = c("", "NA"))
  pt$arm <- relevel(factor(pt$arm), ref = "thalidomide")
  pt$responder <- as.integer(pt$response %in% c("CR", "PR", "mCR", "HI"))
  pt$responder[is.na(pt$response)] <- NA
  record_lm("lm_patients_hgb", "lm(hgb_post ~ arm + hgb_base, patients)",
            lm(hgb_post ~ arm + hgb_base, data = pt))
  record_glm("glm_patients_responder", "glm(responder ~ arm, binomial, patients)",
             glm(responder ~ arm, family = binomial, data = pt, control = gctl))
  pt$ae <- factor(pt$ae_max_grade, ordered = TRUE)
  record_clm("clm_patients_ae", "clm(factor(ae_max_grade, ordered) ~ arm, patients)",
             clm(ae ~ arm, data = pt, control = cctl))
}

# ---------------------------------------------------------------- write
json <- paste0(
  "{\n",
  '  "r_version": ', quote_json(R.version.string), ",\n",
  '  "ordinal_version": ', quote_json(as.character(packageVersion("ordinal"))), ",\n",
  '  "nominal_large": ', nominal, ",\n",
  '  "fits": {\n',
  paste0("    ", quote_json(names(fits)), ": ", unlist(fits), collapse = ",\n"),
  "\n  }\n}\n")
writeLines(json, out_json, sep = "")
cat("wrote", out_json, "with", length(fits), "fits\n")
