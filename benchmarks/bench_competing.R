# The R side of benchmarks/bench_competing.py: cmprsk's cuminc (curves + Gray's test) and
# crr (Fine-Gray) on one synthetic competing-risks cohort.
#
#     Rscript benchmarks/bench_competing.R COHORT.csv OPERATIONS
#
# OPERATIONS is a comma-separated list of "cuminc" and "crr". Prints one line per operation:
# "operation<TAB>elapsed seconds<TAB>CPU seconds" (proc.time(): elapsed, user + system) of
# one run after a warm-up run on the first 1,000 rows (loads and compiles what R needs
# without doubling the cost of a slow run). The operations mirror those of
# bench_competing.py: the formula's model matrix is built inside the timing, as mdsrs does.
suppressPackageStartupMessages(library(cmprsk))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE)
ops <- strsplit(args[2], ",")[[1]]
d$arm <- factor(d$arm, levels = c("thalidomide", "lenalidomide"))

run <- list(
  cuminc = function(d) {
    fit <- cuminc(d$ftime, d$fstatus, d$arm, cencode = 0)
    timepoints(fit, c(12, 36, 60))
  },
  crr = function(d) {
    cov <- model.matrix(~ arm + age, data = d)[, -1, drop = FALSE]
    fit <- crr(d$ftime, d$fstatus, cov, failcode = 1, cencode = 0)
    summary(fit)
  }
)
for (op in ops) {
  f <- run[[op]]
  invisible(f(d[seq_len(min(1000L, nrow(d))), ]))  # warm-up
  t0 <- proc.time()
  invisible(f(d))
  t1 <- proc.time() - t0
  cat(sprintf("%s\t%.6f\t%.6f\n", op, t1[["elapsed"]], t1[["user.self"]] + t1[["sys.self"]]))
}
