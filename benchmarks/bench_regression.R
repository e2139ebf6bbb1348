# Time one fit each of lm / glm / clm on the bundled example cohort (R side of
# benchmarks/bench_regression.py). Run from the repository root:
#     Rscript benchmarks/bench_regression.R
# microbenchmark is not installed: each repeat times NUMBER fits with proc.time(), and the
# median over REPEATS repeats is reported in milliseconds per fit.
suppressPackageStartupMessages(library(ordinal))

pt <- read.csv("mdsrs_core/example/data/patients.csv")
pt$arm <- relevel(factor(pt$arm), ref = "thalidomide")
pt$responder <- as.integer(pt$response %in% c("CR", "PR", "mCR", "HI"))
pt$ae <- factor(pt$ae_max_grade, ordered = TRUE)

REPEATS <- 15
NUMBER <- 20

bench <- function(label, expr) {
  f <- function() eval(expr)
  f()  # warm-up
  times <- vapply(seq_len(REPEATS), function(i) {
    t0 <- proc.time()[["elapsed"]]
    for (j in seq_len(NUMBER)) f()
    proc.time()[["elapsed"]] - t0
  }, numeric(1))
  cat(sprintf("%-34s %8.3f ms per fit\n", label, 1000 * median(times) / NUMBER))
}

cat(sprintf("n = %d patients; median of %d repeats of %d fits (%s)\n", nrow(pt), REPEATS,
            NUMBER, R.version.string))
bench("lm(hgb_post ~ arm + hgb_base)", quote(lm(hgb_post ~ arm + hgb_base, data = pt)))
bench("glm(responder ~ arm, binomial)", quote(glm(responder ~ arm, binomial, data = pt)))
bench("clm(ae ~ arm)", quote(clm(ae ~ arm, data = pt)))
