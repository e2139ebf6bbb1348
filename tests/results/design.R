# Analytic power for the checks of mdsrs design (simulated power within 3 Monte-Carlo SEs).
#
# Re-run from the repository root:   Rscript tests/results/design.R
# Produced with R 4.2.2, rpact 3.3.4, survival 3.5-3 and stats. Writes tests/results/design.csv (case,
# quantity, value; 17 significant digits): each case's settings and R's answers.
#   * survival cases: exponential survival in both arms with proportional hazards, uniform
#     accrual over `accrual` months, analysis `follow_up` months after the last entry,
#     exponential dropout (`dropout` lost by 12 months). rpact::getEventProbabilities gives
#     the probability that a patient's death is observed (the expected events are n times
#     it) and rpact::getPowerSurvival the power of the two-sided log-rank test with that many
#     events (Schoenfeld 1981: rpact's default typeOfComputation); `schoenfeld` is the same
#     formula written out, Phi(sqrt(d r / (1 + r)^2) |log HR| - z) + Phi(-... - z).
#     Schoenfeld's formula is accurate for 1:1 allocation; the power is compared only there.
#   * two-proportion cases: stats::power.prop.test (normal approximation to the
#     uncorrected chi-squared test) with n patients per arm.
#   * the Weibull scenario of `mdsrs design --os-model weibull` on the bundled example cohort:
#     survival::survreg(Surv(os_months, death) ~ 1, dist = "weibull") on each arm, as
#     shape = 1 / scale and scale = exp(intercept) of S(t) = exp(-(t / scale)^shape).
suppressPackageStartupMessages({library(rpact); library(survival)})
stopifnot(packageVersion("rpact") == "3.3.4")
g <- function(x) sprintf("%.17g", x)
rows <- list()
add <- function(case, quantity, value) {
  rows[[length(rows) + 1]] <<- data.frame(case = case, quantity = quantity, value = g(value))
}

survival_case <- function(case, n, hr, median_ref, accrual, follow_up, dropout, allocation,
                          alpha = 0.05) {
  lambda2 <- log(2) / median_ref
  ep <- getEventProbabilities(
    time = accrual + follow_up, accrualTime = c(0, accrual), lambda2 = lambda2,
    hazardRatio = hr, allocationRatioPlanned = allocation, dropoutRate1 = dropout,
    dropoutRate2 = dropout, dropoutTime = 12, maxNumberOfSubjects = n
  )
  d <- n * ep$overallEventProbabilities
  pw <- getPowerSurvival(
    alpha = alpha, sided = 2, hazardRatio = hr, lambda2 = lambda2,
    accrualTime = c(0, accrual), maxNumberOfSubjects = n, maxNumberOfEvents = d,
    allocationRatioPlanned = allocation, dropoutRate1 = dropout, dropoutRate2 = dropout,
    dropoutTime = 12
  )
  stopifnot(abs(pw$analysisTime[1] - (accrual + follow_up)) < 1e-6)
  z <- qnorm(1 - alpha / 2)
  drift <- sqrt(d * allocation / (1 + allocation)^2) * abs(log(hr))
  for (q in c("n", "hr", "median_ref", "accrual", "follow_up", "dropout", "allocation",
              "alpha")) {
    add(case, q, get(q))
  }
  add(case, "event_probability", ep$overallEventProbabilities)
  add(case, "events", d)
  add(case, "power", pw$overallReject)
  add(case, "schoenfeld", pnorm(drift - z) + pnorm(-drift - z))
}

prop_case <- function(case, n, p1, p2, alpha = 0.05) {
  add(case, "n_per_arm", n)
  add(case, "p_reference", p1)
  add(case, "p_other", p2)
  add(case, "alpha", alpha)
  add(case, "power", power.prop.test(n = n, p1 = p1, p2 = p2, sig.level = alpha)$power)
}

survival_case("surv_dropout", n = 200, hr = 0.7, median_ref = 12, accrual = 24,
              follow_up = 12, dropout = 0.05, allocation = 1)
survival_case("surv_long", n = 400, hr = 0.75, median_ref = 18, accrual = 18,
              follow_up = 24, dropout = 0, allocation = 1)
# Unequal allocation: the approximations part (n = 300, 2:1, HR 0.7, median 18, accrual 18,
# follow-up 24: Schoenfeld 0.636, Freedman 0.680, Hsieh-Freedman 0.627; simulated log-rank
# 0.667), so only the event probability of this case is compared.
survival_case("surv_2to1", n = 300, hr = 0.7, median_ref = 18, accrual = 18,
              follow_up = 24, dropout = 0, allocation = 2)
prop_case("prop_40", n = 40, p1 = 0.25, p2 = 0.5)
prop_case("prop_100", n = 100, p1 = 0.3, p2 = 0.45)

d <- read.csv("mdsrs_core/example/data/patients.csv", stringsAsFactors = FALSE)
for (a in c("thalidomide", "lenalidomide")) {
  fit <- survreg(Surv(os_months, death) ~ 1, data = d[d$arm == a, ], dist = "weibull")
  add(paste0("weibull_", a), "shape", 1 / fit$scale)
  add(paste0("weibull_", a), "scale", exp(unname(coef(fit)[1])))
}

write.csv(do.call(rbind, rows), "tests/results/design.csv", row.names = FALSE)
