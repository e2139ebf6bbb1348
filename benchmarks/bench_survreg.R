# Timings of survival::survreg and restricted mean survival time, the R side of
# bench_survreg.py.
#
#     Rscript benchmarks/bench_survreg.R COHORT.csv LABEL REPEATS
#
# Prints one line per run: "LABEL<TAB>operation<TAB>seconds" (REPEATS lines per operation,
# after one warm-up run; bench_survreg.py alternates calls of this script with its own runs
# and takes medians). Each run is timed with proc.time(); on a small cohort a run repeats
# the operation `inner` times (proc.time() resolves about 1 ms) and reports the time per
# operation. The operations mirror those of bench_survreg.py.

suppressPackageStartupMessages(library(survival))
source("tests/results/_rmst2.R")  # survRM2's rmst2 in base R (survRM2 is not installable)

args <- commandArgs(trailingOnly = TRUE)
path <- args[1]
label <- args[2]
repeats <- as.integer(args[3])

d <- read.csv(path, stringsAsFactors = FALSE)
d$arm <- factor(d$arm, levels = c("thalidomide", "lenalidomide"))
new <- data.frame(arm = factor(c("thalidomide", "lenalidomide"), levels = levels(d$arm)),
                  age = c(70, 70))
inner <- if (nrow(d) < 10000) 50L else 1L

time_it <- function(name, f) {
  f()  # warm-up
  for (i in seq_len(repeats)) {
    t0 <- proc.time()[["elapsed"]]
    for (j in seq_len(inner)) f()
    cat(sprintf("%s\t%s\t%.6f\n", label, name, (proc.time()[["elapsed"]] - t0) / inner))
  }
}

for (dist in c("weibull", "exponential", "lognormal", "loglogistic")) {
  time_it(sprintf("survreg(~ arm + age, %s) + summary", dist), function() {
    fit <- survreg(Surv(os_months, death) ~ arm + age, data = d, dist = dist)
    summary(fit)
  })
}
time_it("survreg(weibull) + predict(quantile, se)", function() {
  fit <- survreg(Surv(os_months, death) ~ arm + age, data = d)
  predict(fit, new, type = "quantile", p = c(0.25, 0.5, 0.75), se.fit = TRUE)
})
time_it("rmst(~ arm, tau = 60) + contrasts", function() {
  fit <- survfit(Surv(os_months, death) ~ arm, data = d)
  summary(fit, rmean = 60)$table
  rmst_two(d$os_months, d$death, as.integer(d$arm == "lenalidomide"), 60)
})
