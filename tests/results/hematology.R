# Reference values for the `hematology` endpoint on the bundled example cohort.
#
# Re-run from the repository root:   Rscript tests/results/hematology.R
# Writes tests/results/hematology.csv (case, variable, arm, level, stat, value; 17 significant
# digits). Produced with R 4.2.2, lme4 1.1-31, nlme 3.1-162 (stats for the rest).
#
# Cases:
#   example       the bundled cohort as it is;
#   missing       the same with hgb_post missing for MDS001 and MDS004, plt_base missing for
#                 MDS002 and both ANC values missing for MDS005 (per-lab exclusions);
#   log_plt       the PLT ANCOVA with the formula log(plt_post) ~ arm + log(plt_base);
#   mixed         lab values in long form (visit = base/post) built from the example cohort,
#                 one lmer(value ~ arm * visit + (1 | patient_id), REML = TRUE) per test;
#   mixed_missing the same for HGB from the `missing` case (unbalanced: 122 values).
# Calls mirrored: t.test(post, base, paired = TRUE); wilcox.test(post, base, paired = TRUE);
# t.test(change ~ arm) (Welch) with the treatment arm as first level, so that the estimate is
# lenalidomide - thalidomide, the sign of the ANCOVA; lm(post ~ arm + base) with confint();
# lme4::lmer: fixed effects, their SEs, t values, variance components (as.data.frame(VarCorr))
# and logLik; lmer gives no p-values: p = 2 * pt(-|t|, df) and the interval
# estimate +/- qt(0.975, df) * SE use nlme::lme's denominator df (summary(lme)$tTable[, "DF"]),
# as nlme does. lme's own p-values are written too (stat p_value_lme): its optimiser stops at
# a slightly different REML optimum (variance components differ by ~2e-6 relative).
# Quartiles: quantile(type = 2), gtsummary's default.
suppressMessages({library(lme4); library(nlme)})
d0 <- read.csv("mdsrs_core/example/data/patients.csv", stringsAsFactors = FALSE)
d0$arm <- factor(d0$arm, levels = c("thalidomide", "lenalidomide"))
out <- data.frame(case = character(), variable = character(), arm = character(),
                  level = character(), stat = character(), value = character())
put <- function(case, variable, arm, level, stat, value) {
  out[nrow(out) + 1, ] <<- list(case, variable, arm, level, stat, sprintf("%.17g", value))
}
term_name <- function(x) {
  x <- sub("^\\(Intercept\\)$", "Intercept", x)
  x <- gsub("armlenalidomide", "arm[T.lenalidomide]", x)
  gsub("visitpost", "visit[T.post]", x)
}
summ <- function(case, var, arm, x) {
  put(case, var, arm, "", "n", length(x))
  put(case, var, arm, "", "mean", mean(x)); put(case, var, arm, "", "sd", sd(x))
  put(case, var, arm, "", "median", median(x))
  q <- quantile(x, c(0.25, 0.75), type = 2)
  put(case, var, arm, "", "p25", q[[1]]); put(case, var, arm, "", "p75", q[[2]])
  put(case, var, arm, "", "min", min(x)); put(case, var, arm, "", "max", max(x))
}
htest <- function(case, var, arm, level, t) {
  put(case, var, arm, level, "estimate", if (length(t$estimate) == 2)
      t$estimate[[1]] - t$estimate[[2]] else t$estimate[[1]])
  put(case, var, arm, level, "std_error", t$stderr)
  put(case, var, arm, level, "conf_low", t$conf.int[1])
  put(case, var, arm, level, "conf_high", t$conf.int[2])
  put(case, var, arm, level, "statistic", t$statistic[[1]])
  put(case, var, arm, level, "df", t$parameter[[1]])
  put(case, var, arm, level, "p_value", t$p.value)
}
ancova <- function(case, lab, formula, d) {
  f <- lm(as.formula(formula), data = d)
  s <- summary(f)$coefficients
  ci <- confint(f)
  for (i in seq_len(nrow(s))) {
    term <- term_name(rownames(s)[i])
    put(case, lab, "", term, "estimate", s[i, 1]); put(case, lab, "", term, "std_error", s[i, 2])
    put(case, lab, "", term, "statistic", s[i, 3]); put(case, lab, "", term, "p_value", s[i, 4])
    put(case, lab, "", term, "conf_low", ci[i, 1]); put(case, lab, "", term, "conf_high", ci[i, 2])
  }
  put(case, lab, "", "", "nobs", nobs(f)); put(case, lab, "", "", "sigma", sigma(f))
  put(case, lab, "", "", "r_squared", summary(f)$r.squared)
  put(case, lab, "", "", "df_residual", df.residual(f))
}
lab_analysis <- function(case, d, lab) {
  b <- d[[paste0(lab, "_base")]]; p <- d[[paste0(lab, "_post")]]
  ok <- !is.na(b) & !is.na(p)
  dd <- d[ok, ]
  for (a in levels(d$arm)) {
    sel <- ok & d$arm == a
    put(case, lab, a, "", "n_analysed", sum(sel))
    summ(case, paste0(lab, "_base"), a, b[sel]); summ(case, paste0(lab, "_post"), a, p[sel])
    summ(case, paste0(lab, "_change"), a, p[sel] - b[sel])
    htest(case, paste0(lab, "_change"), a, "Paired t-test", t.test(p[sel], b[sel], paired = TRUE))
    w <- suppressWarnings(wilcox.test(p[sel], b[sel], paired = TRUE))
    put(case, paste0(lab, "_change"), a, "Wilcoxon signed rank test", "statistic", w$statistic)
    put(case, paste0(lab, "_change"), a, "Wilcoxon signed rank test", "p_value", w$p.value)
  }
  put(case, lab, "", "", "n_analysed", sum(ok))
  dd$change <- dd[[paste0(lab, "_post")]] - dd[[paste0(lab, "_base")]]
  dd$arm_first_treated <- factor(dd$arm, levels = c("lenalidomide", "thalidomide"))
  htest(case, paste0(lab, "_change"), "", "Welch Two Sample t-test",
        t.test(change ~ arm_first_treated, data = dd))
  ancova(case, lab, sprintf("%s_post ~ arm + %s_base", lab, lab), dd)
}
to_long <- function(d, lab) {
  b <- d[[paste0(lab, "_base")]]; p <- d[[paste0(lab, "_post")]]
  long <- rbind(data.frame(patient_id = d$patient_id, arm = d$arm, visit = "base", value = b),
                data.frame(patient_id = d$patient_id, arm = d$arm, visit = "post", value = p))
  long[!is.na(long$value), ]
}
mixed <- function(case, long, lab) {
  var <- paste0(lab, "_mixed")
  m <- lmer(value ~ arm * visit + (1 | patient_id), data = long, REML = TRUE)
  m2 <- lme(value ~ arm * visit, random = ~ 1 | patient_id, data = long)
  s <- summary(m)$coefficients
  tt <- summary(m2)$tTable
  for (i in seq_len(nrow(s))) {
    term <- term_name(rownames(s)[i])
    df <- tt[rownames(s)[i], "DF"]
    put(case, var, "", term, "estimate", s[i, 1]); put(case, var, "", term, "std_error", s[i, 2])
    put(case, var, "", term, "statistic", s[i, 3]); put(case, var, "", term, "df", df)
    put(case, var, "", term, "p_value", 2 * pt(-abs(s[i, 3]), df))
    put(case, var, "", term, "conf_low", s[i, 1] - qt(0.975, df) * s[i, 2])
    put(case, var, "", term, "conf_high", s[i, 1] + qt(0.975, df) * s[i, 2])
    put(case, var, "", term, "p_value_lme", tt[rownames(s)[i], "p-value"])
  }
  vc <- as.data.frame(VarCorr(m))
  put(case, var, "", "patient_id: (Intercept)", "variance", vc$vcov[1])
  put(case, var, "", "patient_id: (Intercept)", "sd", vc$sdcor[1])
  put(case, var, "", "Residual", "variance", vc$vcov[2])
  put(case, var, "", "Residual", "sd", vc$sdcor[2])
  put(case, var, "", "", "nobs", nobs(m)); put(case, var, "", "", "n_groups", ngrps(m)[[1]])
  put(case, var, "", "", "sigma", sigma(m)); put(case, var, "", "", "logLik", as.numeric(logLik(m)))
}

for (lab in c("hgb", "plt", "anc")) lab_analysis("example", d0, lab)

dm <- d0
dm$hgb_post[dm$patient_id %in% c("MDS001", "MDS004")] <- NA
dm$plt_base[dm$patient_id == "MDS002"] <- NA
dm$anc_base[dm$patient_id == "MDS005"] <- NA
dm$anc_post[dm$patient_id == "MDS005"] <- NA
for (lab in c("hgb", "plt", "anc")) lab_analysis("missing", dm, lab)

ancova("log_plt", "plt", "log(plt_post) ~ arm + log(plt_base)", d0)

for (lab in c("hgb", "plt", "anc")) mixed("mixed", to_long(d0, lab), lab)
mixed("mixed_missing", to_long(dm, "hgb"), "hgb")

write.csv(out, "tests/results/hematology.csv", row.names = FALSE)
