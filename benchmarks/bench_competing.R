# The R side of benchmarks/bench_competing.py: cmprsk's cuminc (curves + Gray's test) and
# crr (Fine-Gray) on one synthetic competing-risks cohort.
#
#     Rscript benchmarks/bench_competing.R COHORT.csv OPERATIONS [CUMINC_REPEATS]
#
# OPERATIONS is a comma-separated list of "cuminc" and "crr". Prints one line per operation:
# "operation<TAB>elapsed seconds<TAB>CPU seconds" (proc.time(): elapsed, user + system) per
# run: the mean of CUMINC_REPEATS runs (default 1) for cuminc, one run for crr, after a
# warm-up run on the first 1,000 rows (loads and compiles what R needs without doubling the
# cost of a slow run; proc.time() counts milliseconds, so a fast fit is run several times). The operations mirror those of
# bench_competing.py: the formula's model matrix is built inside the timing, as mdsrs does.
suppressPackageStartupMessages(library(cmprsk))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE)
ops <- strsplit(args[2], ",")[[1]]
cuminc_repeats <- if (length(args) >= 3) as.integer(args[3]) else 1L
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
  k <- if (op == "cuminc") cuminc_repeats else 1L
  invisible(f(d[seq_len(min(1000L, nrow(d))), ]))  # warm-up
  t0 <- proc.time()
  for (i in seq_len(k)) invisible(f(d))
  t1 <- (proc.time() - t0) / k
  cat(sprintf("%s\t%.6f\t%.6f\n", op, t1[["elapsed"]], t1[["user.self"]] + t1[["sys.self"]]))
}
