# Reference values for times of 0 (issue 12): a patient censored, dying or with a competing
# event on day 0 is valid in R's survival and cmprsk, with R's risk-set rules (a subject with
# time 0 is at risk at time 0; an event at 0 drops the curve at 0).
#
# Re-run from the repository root:   Rscript tests/results/time_zero.R
# Writes tests/data/time_zero.csv (40 simulated patients, set.seed(12); five have time 0:
# three events of cause 1, one censored, one competing event) and tests/results/time_zero.csv
# (model, strata, term, stat, value; 17 significant digits). Produced with R 4.2.2,
# survival 3.5-3, cmprsk 2.2-11.
suppressPackageStartupMessages({library(survival); library(cmprsk)})
set.seed(12)
n <- 40
d <- data.frame(patient_id = sprintf("P%02d", 1:n),
                time = round(rexp(n, 0.1), 1),
                status = sample(0:2, n, TRUE, prob = c(.3, .4, .3)),
                arm = rep(c("thalidomide", "lenalidomide"), each = n / 2),
                x = round(rnorm(n), 2))
d$time[c(1, 2, 3, 21, 22)] <- 0
d$status[c(1, 2, 3, 21, 22)] <- c(1, 0, 2, 1, 1)
d$event <- as.integer(d$status == 1)
write.csv(d, "tests/data/time_zero.csv", row.names = FALSE)
d$arm <- factor(d$arm, levels = c("thalidomide", "lenalidomide"))

out <- data.frame(model = character(), strata = character(), term = character(),
                  stat = character(), value = character())
put <- function(model, strata, term, stat, value) {
  out[nrow(out) + 1, ] <<- list(model, strata, term, stat, sprintf("%.17g", value))
}
f <- survfit(Surv(time, status == 1) ~ arm, data = d)
s <- summary(f, times = c(0, 1, 5, 10))
for (i in seq_along(s$time)) {
  st <- sub("^arm=", "arm=", as.character(s$strata[i]))
  tt <- format(s$time[i])
  put("survfit", st, tt, "n_risk", s$n.risk[i]); put("survfit", st, tt, "n_event", s$n.event[i])
  put("survfit", st, tt, "surv", s$surv[i]); put("survfit", st, tt, "std_err", s$std.err[i])
  put("survfit", st, tt, "conf_low", s$lower[i]); put("survfit", st, tt, "conf_high", s$upper[i])
}
tab <- summary(f)$table
for (i in seq_len(nrow(tab))) {
  st <- rownames(tab)[i]
  put("survfit_table", st, "", "records", tab[i, "records"])
  put("survfit_table", st, "", "events", tab[i, "events"])
  put("survfit_table", st, "", "median", tab[i, "median"])
  put("survfit_table", st, "", "conf_low", tab[i, "0.95LCL"])
}
sd <- survdiff(Surv(time, status == 1) ~ arm, data = d)
put("survdiff", "", "", "chisq", sd$chisq)
put("survdiff", "", "", "p_value", pchisq(sd$chisq, 1, lower.tail = FALSE))
cx <- coxph(Surv(time, status == 1) ~ arm + x, data = d,
            control = coxph.control(eps = 1e-12, toler.chol = 1e-13, iter.max = 100))
co <- summary(cx)$coefficients
terms <- c("arm[T.lenalidomide]", "x")
for (i in 1:2) {
  put("coxph", "", terms[i], "estimate", co[i, "coef"])
  put("coxph", "", terms[i], "std_error", co[i, "se(coef)"])
  put("coxph", "", terms[i], "p_value", co[i, "Pr(>|z|)"])
}
put("coxph", "", "", "loglik", cx$loglik[2])
ci <- cuminc(d$time, d$status, d$arm)
for (k in 1:2) {
  put("cuminc_test", "", as.character(k), "statistic", ci$Tests[k, "stat"])
  put("cuminc_test", "", as.character(k), "p_value", ci$Tests[k, "pv"])
}
tp <- timepoints(ci, c(0, 1, 5, 10))
for (r in rownames(tp$est)) for (j in seq_len(ncol(tp$est))) {
  put("cuminc", r, colnames(tp$est)[j], "estimate", tp$est[r, j])
  put("cuminc", r, colnames(tp$est)[j], "variance", tp$var[r, j])
}
fg <- crr(d$time, d$status, model.matrix(~ arm + x, d)[, -1])
for (i in 1:2) {
  put("crr", "", terms[i], "estimate", fg$coef[i])
  put("crr", "", terms[i], "std_error", sqrt(diag(fg$var))[i])
}
write.csv(out, "tests/results/time_zero.csv", row.names = FALSE)
