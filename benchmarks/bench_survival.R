# Timings of survival::coxph, survfit and survdiff, the R side of bench_survival.py.
#
#     Rscript benchmarks/bench_survival.R COHORT.csv LABEL REPEATS
#
# Prints one line per operation: "LABEL<TAB>operation<TAB>median elapsed seconds<TAB>median
# CPU seconds". Each operation is run REPEATS times (after one warm-up run) and timed with
# proc.time(): elapsed, and user + system CPU time, medians per run. The operations mirror
# those of bench_survival.py.

suppressPackageStartupMessages(library(survival))

args <- commandArgs(trailingOnly = TRUE)
path <- args[1]
label <- args[2]
repeats <- as.integer(args[3])

d <- read.csv(path, stringsAsFactors = FALSE)
d$arm <- factor(d$arm, levels = c("thalidomide", "lenalidomide"))

# proc.time() resolves about 1 ms: on a small cohort each repeat runs the operation `inner`
# times (so that a repeat lasts well over the resolution) and reports the time per run.
inner <- if (nrow(d) < 10000) 50L else 1L

time_it <- function(name, f) {
  f()  # warm-up
  times <- vapply(seq_len(repeats), function(i) {
    t0 <- proc.time()
    for (j in seq_len(inner)) f()
    t1 <- proc.time() - t0
    c(t1[["elapsed"]], t1[["user.self"]] + t1[["sys.self"]]) / inner
  }, numeric(2))
  cat(sprintf("%s\t%s\t%.6f\t%.6f\n", label, name, median(times[1, ]), median(times[2, ])))
}

time_it("coxph(~ arm + age)", function() {
  fit <- coxph(Surv(os_months, death) ~ arm + age, data = d)
  summary(fit)
})
time_it("survfit(~ arm) + summary(times)", function() {
  fit <- survfit(Surv(os_months, death) ~ arm, data = d)
  summary(fit, times = c(12, 36, 60))
  summary(fit)$table
})
time_it("survdiff(~ arm)", function() {
  survdiff(Surv(os_months, death) ~ arm, data = d)
})
