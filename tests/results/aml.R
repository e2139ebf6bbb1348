# Reference values for the `aml` endpoint (transformation to AML) on the bundled example cohort.
#
# Re-run from the repository root:   Rscript tests/results/aml.R
# Writes tests/results/aml.csv (variable, arm, level, stat, value; 17 significant digits).
# Produced with R 4.2.2, cmprsk 2.2.11, survival 3.5-3.
#
# Competing-risk status: 1 = AML at aml_months; 2 = death without AML (death = 1, aml = 0)
# at os_months; 0 = censored at os_months.
# Written out in base R (no gtsummary / tidycmprsk / DescTools here):
#   * Newcombe's hybrid score interval (method 10) for the rate difference, from the Wilson
#     intervals of prop.test(correct = FALSE);
#   * the log(-log) interval of a cumulative incidence F with variance V (cmprsk gives none;
#     tidycmprsk's / Pintilie's / Marubini & Valsecchi's):
#         lower = F^exp(-z sqrt(V) / (F log F)),  upper = F^exp(+z sqrt(V) / (F log F));
#   * the likelihood-ratio test of arm: deviance difference of glm(aml ~ arm) and
#     glm(aml ~ 1).
suppressPackageStartupMessages({library(cmprsk); library(survival)})
d <- read.csv("mdsrs_core/example/data/patients.csv", stringsAsFactors = FALSE)
d$arm <- factor(d$arm, levels = c("thalidomide", "lenalidomide"))
arms <- levels(d$arm)
term <- "arm[T.lenalidomide]"
out <- data.frame(variable = character(), arm = character(), level = character(),
                  stat = character(), value = character())
put <- function(variable, arm, level, stat, value) {
  out[nrow(out) + 1, ] <<- list(variable, arm, level, stat, sprintf("%.17g", value))
}
z <- qnorm(0.975)
st <- ifelse(d$aml == 1, 1, ifelse(d$death == 1, 2, 0))
tt <- ifelse(d$aml == 1, d$aml_months, d$os_months)

# ---------------------------------------------------------------- status counts
for (a in arms) {
  s <- st[d$arm == a]
  put("aml_status", a, "aml", "n", sum(s == 1))
  put("aml_status", a, "death_without_aml", "n", sum(s == 2))
  put("aml_status", a, "censored", "n", sum(s == 0))
}

# ---------------------------------------------------------------- crude rate
for (a in arms) {
  x <- sum(d$aml[d$arm == a]); n <- sum(d$arm == a)
  b <- binom.test(x, n)
  put("aml", a, "", "n", x); put("aml", a, "", "N", n); put("aml", a, "", "p", x / n)
  put("aml", a, "", "conf_low", b$conf.int[1]); put("aml", a, "", "conf_high", b$conf.int[2])
}
x1 <- sum(d$aml[d$arm == "lenalidomide"]); n1 <- sum(d$arm == "lenalidomide")
x0 <- sum(d$aml[d$arm == "thalidomide"]); n0 <- sum(d$arm == "thalidomide")
w1 <- prop.test(x1, n1, correct = FALSE)$conf.int
w0 <- prop.test(x0, n0, correct = FALSE)$conf.int
p1 <- x1 / n1; p0 <- x0 / n0; dd <- p1 - p0
put("aml", "", "difference", "estimate", dd)
put("aml", "", "difference", "conf_low", dd - sqrt((p1 - w1[1])^2 + (w0[2] - p0)^2))
put("aml", "", "difference", "conf_high", dd + sqrt((w1[2] - p1)^2 + (p0 - w0[1])^2))
g <- glm(aml ~ arm, family = binomial, data = d)
cf <- summary(g)$coefficients["armlenalidomide", ]
put("aml", "", term, "estimate", exp(cf[["Estimate"]]))
put("aml", "", term, "std_error", cf[["Std. Error"]])
put("aml", "", term, "statistic", cf[["z value"]])
put("aml", "", term, "p_value", cf[["Pr(>|z|)"]])
put("aml", "", term, "conf_low", exp(cf[["Estimate"]] - z * cf[["Std. Error"]]))
put("aml", "", term, "conf_high", exp(cf[["Estimate"]] + z * cf[["Std. Error"]]))
tab <- table(d$arm, d$aml)
f <- fisher.test(tab)
put("aml", "", "fisher", "p_value", f$p.value)
put("aml", "", "fisher", "estimate", f$estimate)
put("aml", "", "fisher", "conf_low", f$conf.int[1]); put("aml", "", "fisher", "conf_high", f$conf.int[2])
# gtsummary's rule: an expected count < 5 -> Fisher's exact test
stopifnot(min(suppressWarnings(chisq.test(tab))$expected) < 5)
put("aml", "", "chosen_test", "p_value", f$p.value)
for (k in c("yates", "pearson")) {
  ch <- suppressWarnings(chisq.test(tab, correct = (k == "yates")))
  put("aml", "", k, "statistic", ch$statistic); put("aml", "", k, "df", ch$parameter)
  put("aml", "", k, "p_value", ch$p.value)
}
g0 <- glm(aml ~ 1, family = binomial, data = d)
lr <- deviance(g0) - deviance(g)
put("aml", "", "lrt", "statistic", lr); put("aml", "", "lrt", "df", 1)
put("aml", "", "lrt", "p_value", pchisq(lr, 1, lower.tail = FALSE))

# ---------------------------------------------------------------- cumulative incidence
fit <- cuminc(tt, st, d$arm)
times <- c(12, 36, 60)
tp <- timepoints(fit, times)
for (cause in 1:2) {
  variable <- c("aml_cif", "death_without_aml_cif")[cause]
  for (a in arms) {
    row <- paste(a, cause)
    for (i in seq_along(times)) {
      F <- tp$est[row, i]; V <- tp$var[row, i]; lv <- as.character(times[i])
      put(variable, a, lv, "estimate", F); put(variable, a, lv, "variance", V)
      put(variable, a, lv, "std_error", sqrt(V))
      if (F > 0 && F < 1) {
        k <- z * sqrt(V) / (F * log(F))
        put(variable, a, lv, "conf_low", F^exp(-k)); put(variable, a, lv, "conf_high", F^exp(k))
      }
    }
  }
  put(variable, "", "gray_test", "statistic", fit$Tests[cause, "stat"])
  put(variable, "", "gray_test", "p_value", fit$Tests[cause, "pv"])
  put(variable, "", "gray_test", "df", fit$Tests[cause, "df"])
}

# ---------------------------------------------------------------- hazard ratios
cs <- coxph(Surv(aml_months, aml) ~ arm, data = d)
b <- coef(cs)[[1]]; se <- sqrt(vcov(cs)[1, 1])
put("aml_cause_specific", "", term, "estimate", exp(b))
put("aml_cause_specific", "", term, "std_error", se)
put("aml_cause_specific", "", term, "statistic", b / se)
put("aml_cause_specific", "", term, "p_value", 2 * pnorm(-abs(b / se)))
put("aml_cause_specific", "", term, "conf_low", exp(b - z * se))
put("aml_cause_specific", "", term, "conf_high", exp(b + z * se))
fg <- crr(tt, st, model.matrix(~ arm, d)[, -1, drop = FALSE], failcode = 1, cencode = 0)
b <- fg$coef[[1]]; se <- sqrt(fg$var[1, 1])
put("aml_subdistribution", "", term, "estimate", exp(b))
put("aml_subdistribution", "", term, "std_error", se)
put("aml_subdistribution", "", term, "statistic", b / se)
put("aml_subdistribution", "", term, "p_value", 2 * (1 - pnorm(abs(b / se))))
put("aml_subdistribution", "", term, "conf_low", exp(b - z * se))
put("aml_subdistribution", "", term, "conf_high", exp(b + z * se))

write.csv(out, "tests/results/aml.csv", row.names = FALSE)
