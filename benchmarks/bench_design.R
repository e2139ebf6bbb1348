# The R side of bench_design.py: power of the log-rank test by simulation, one survdiff per
# simulated trial in replicate(), the loop an R user writes.
#
#     Rscript benchmarks/bench_design.R TRIALS PATIENTS SEED
#
# Trials as mdsrs design simulates them: PATIENTS randomised 1:1 in fixed numbers,
# exponential survival (median 12 months in the reference arm, hazard ratio 0.7), uniform
# accrual over 24 months, analysis 12 months after the last entry. Prints
# "seconds<TAB>power" (elapsed time of the replicate() loop, proc.time()).
suppressPackageStartupMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
trials <- as.integer(args[1])
n <- as.integer(args[2])
set.seed(as.integer(args[3]))
lambda <- log(2) / 12
group <- rep(0:1, c(n - n %/% 2, n %/% 2))
t0 <- proc.time()[["elapsed"]]
p <- replicate(trials, {
  t <- rexp(n, ifelse(group == 1, 0.7 * lambda, lambda))
  cens <- 24 + 12 - runif(n, 0, 24)
  time <- pmin(t, cens)
  status <- as.integer(t <= cens)
  fit <- survdiff(Surv(time, status) ~ group)
  pchisq(fit$chisq, 1, lower.tail = FALSE)
})
elapsed <- proc.time()[["elapsed"]] - t0
cat(sprintf("%.6f\t%.6f\n", elapsed, mean(p < 0.05)))
