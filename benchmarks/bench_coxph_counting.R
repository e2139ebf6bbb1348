# The R side of bench_coxph_counting.py: survival::coxph on (start, stop] rows, with
# cluster(id), and with case weights and robust standard errors.
#
#     Rscript benchmarks/bench_coxph_counting.R ROWS.csv SUBJECTS.csv LABEL
#
# Runs each operation once as a warm-up, then once timed (proc.time(); small data: the
# mean of `inner` runs), and prints "LABEL<TAB>operation<TAB>seconds". bench_coxph_counting.py
# calls it once per repeat, alternating with the Python runs, and takes the medians.

suppressPackageStartupMessages(library(survival))

args <- commandArgs(trailingOnly = TRUE)
rows <- read.csv(args[1], stringsAsFactors = FALSE)
subjects <- read.csv(args[2], stringsAsFactors = FALSE)
label <- args[3]
for (d in c("rows", "subjects")) {
  x <- get(d)
  x$arm <- factor(x$arm, levels = c("thalidomide", "lenalidomide"))
  assign(d, x)
}
inner <- if (nrow(rows) < 10000) 50L else 1L

time_it <- function(name, f) {
  f()  # warm-up
  t0 <- proc.time()[["elapsed"]]
  for (j in seq_len(inner)) f()
  cat(sprintf("%s\t%s\t%.6f\n", label, name, (proc.time()[["elapsed"]] - t0) / inner))
}

time_it("coxph(Surv(tstart, tstop, death) ~ responded + arm + age)", function() {
  summary(coxph(Surv(tstart, tstop, death) ~ responded + arm + age, data = rows))
})
time_it("... + cluster(id) (robust SE)", function() {
  summary(coxph(Surv(tstart, tstop, death) ~ responded + arm + age + cluster(id), data = rows))
})
time_it("coxph(Surv(os_months, death) ~ arm + age, weights = w) (robust SE)", function() {
  summary(coxph(Surv(os_months, death) ~ arm + age, data = subjects, weights = w))
})
