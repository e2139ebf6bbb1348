# A synthetic registry export (issue 12): 3,000 MDS patients as a registry writes them -- arms
# and sex coded 1/2, one time column (months; a few 0) and one status column (0 censored,
# 1 AML, 2 death without AML), a numeric Karnofsky score, a 15-level WHO category (2,871
# patients with one; sparse levels), responses in local words. SYNTHETIC: no real patient.
#
# Re-run from the repository root:   Rscript tests/results/registry_export.R
# Writes tests/data/registry_export.csv and tests/results/registry_export.csv (figure, term,
# stat, value; 17 significant digits): what R computes from the file as an R user would --
# Table 1 tests by gtsummary's rule (wilcox.test; chisq.test(correct = FALSE) or fisher.test
# when an expected count is < 5), Kaplan-Meier (survfit(Surv(time, status == 2) ~ group))
# at 12/36/60 months and medians, the log-rank test, coxph(Surv(time, status == 2) ~ group +
# age + karno), cmprsk::cuminc(time, status, group) at 12/36/60 months and Gray's test, and
# cmprsk::crr. Produced with R 4.2.2, survival 3.5-3, cmprsk 2.2-11.
suppressPackageStartupMessages({library(survival); library(cmprsk)})
set.seed(20121)
n <- 3000
who <- c("MDS-SLD", "MDS-MLD", "MDS-RS-SLD", "MDS-RS-MLD", "MDS del(5q)", "MDS-EB-1",
         "MDS-EB-2", "MDS-U", "CMML-0", "CMML-1", "CMML-2", "MDS/MPN-RS-T", "aCML",
         "MDS/MPN-U", "AML-MRC")
p_who <- c(.14, .16, .08, .10, .05, .12, .11, .03, .05, .05, .03, .03, .002, .02, .018)
group <- sample(1:2, n, TRUE, prob = c(.45, .55))
age <- round(pmin(pmax(rnorm(n, 71, 9), 30), 97))
karno <- sample(c(50, 60, 70, 80, 90, 100), n, TRUE, prob = c(.05, .1, .2, .3, .25, .1))
who_class <- sample(who, n, TRUE, prob = p_who)
who_class[sample(n, 129)] <- NA
rate <- 0.012 * exp(0.03 * (age - 70) - 0.015 * (karno - 80) - 0.25 * (group == 1))
t_death <- rexp(n, rate)
t_aml <- rexp(n, 0.006 * ifelse(grepl("EB", who_class) & !is.na(who_class), 3, 1))
t_cens <- runif(n, 1, 120)
time <- round(pmin(t_death, t_aml, t_cens), 1)
status <- ifelse(t_cens <= pmin(t_death, t_aml), 0L, ifelse(t_aml < t_death, 1L, 2L))
time[sample(which(status != 1), 6)] <- 0  # a few day-0 records
resp_words <- c("complete remission", "partial remission", "haematological improvement",
                "stable disease", "progression")
best_resp <- sample(resp_words, n, TRUE, prob = c(.1, .1, .2, .4, .2))
best_resp[sample(n, 40)] <- NA
d <- data.frame(id = sprintf("REG%05d", seq_len(n)), group = group, gender = sample(1:2, n, TRUE),
                age = age, karno = karno, who_class = who_class, time = time, status = status,
                best_resp = best_resp)
write.csv(d, "tests/data/registry_export.csv", row.names = FALSE, na = "")

out <- data.frame(figure = character(), term = character(), stat = character(),
                  value = character())
put <- function(figure, term, stat, value) {
  out[nrow(out) + 1, ] <<- list(figure, term, stat, sprintf("%.17g", value))
}
d$arm <- factor(ifelse(d$group == 1, "lenalidomide", "thalidomide"),
                levels = c("thalidomide", "lenalidomide"))
d$sex <- ifelse(d$gender == 1, "M", "F")
# Table 1, gtsummary's rule
gts <- function(x) {
  tab <- table(d$arm, x)
  e <- suppressWarnings(chisq.test(tab, correct = FALSE))$expected
  if (min(e) >= 5) suppressWarnings(chisq.test(tab, correct = FALSE))$p.value
  else tryCatch(fisher.test(tab)$p.value, error = function(e) NA)
}
put("baseline", "age", "p_value", wilcox.test(age ~ arm, data = d, exact = FALSE)$p.value)
put("baseline", "sex", "p_value", gts(d$sex))
put("baseline", "karno", "p_value", gts(d$karno))
put("baseline", "who_class", "exact_p_value_computable", !is.na(gts(d$who_class)))
# overall survival: Surv(time, status == 2)
km <- survfit(Surv(time, status == 2) ~ arm, data = d)
s <- summary(km, times = c(12, 36, 60))
for (i in seq_along(s$time)) {
  st <- sub("arm=", "", as.character(s$strata[i]))
  put("os_km", paste(st, s$time[i]), "surv", s$surv[i])
  put("os_km", paste(st, s$time[i]), "std_err", s$std.err[i])
  put("os_km", paste(st, s$time[i]), "conf_low", s$lower[i])
  put("os_km", paste(st, s$time[i]), "conf_high", s$upper[i])
}
tb <- summary(km)$table
for (i in 1:2) put("os_median", sub("arm=", "", rownames(tb)[i]), "median", tb[i, "median"])
sd <- survdiff(Surv(time, status == 2) ~ arm, data = d)
put("os_logrank", "", "statistic", sd$chisq)
cx <- coxph(Surv(time, status == 2) ~ arm + age + karno, data = d,
            control = coxph.control(eps = 1e-12, toler.chol = 1e-13))
co <- summary(cx)$coefficients
terms <- c("arm[T.lenalidomide]", "age", "karno")
for (i in 1:3) {
  put("os_cox", terms[i], "estimate", co[i, "coef"])
  put("os_cox", terms[i], "std_error", co[i, "se(coef)"])
  put("os_cox", terms[i], "p_value", co[i, "Pr(>|z|)"])
}
# transformation to AML: cuminc(time, status, arm)
ci <- cuminc(d$time, d$status, d$arm)
put("aml_gray", "", "statistic", ci$Tests["1", "stat"])
put("aml_gray", "", "p_value", ci$Tests["1", "pv"])
tp <- timepoints(ci, c(12, 36, 60))
for (a in levels(d$arm)) for (t in colnames(tp$est)) {
  put("aml_cif", paste(a, t), "estimate", tp$est[paste(a, 1), t])
}
fg <- crr(d$time, d$status, as.matrix(as.integer(d$arm == "lenalidomide")), failcode = 1)
put("aml_crr", "arm[T.lenalidomide]", "estimate", fg$coef[1])
put("aml_crr", "arm[T.lenalidomide]", "std_error", sqrt(fg$var[1, 1]))
write.csv(out, "tests/results/registry_export.csv", row.names = FALSE)
