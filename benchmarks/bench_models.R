# The R side of benchmarks/bench_models.py: milliseconds per fit of lm, glm, clm, coxph,
# survfit + summary(times) and survdiff on the bundled example cohort.
#
#     Rscript benchmarks/bench_models.R PATIENTS.csv NUMBER
#
# Prints "name<TAB>ms per fit" per model: one timed loop of NUMBER fits (proc.time(), after a
# warm-up fit). The formulas are those of bench_models.py.
suppressPackageStartupMessages({
  library(survival)
  library(ordinal)
})
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE)
number <- as.integer(args[2])
d$arm <- factor(d$arm, levels = c("thalidomide", "lenalidomide"))
d$responder <- as.integer(d$response %in% c("CR", "PR", "mCR", "HI"))
d$ae <- factor(d$ae_max_grade, ordered = TRUE)
fits <- list(
  lm = function() summary(lm(hgb_post ~ arm + hgb_base, data = d)),
  glm = function() summary(glm(responder ~ arm, binomial, data = d)),
  clm = function() summary(clm(ae ~ arm, data = d)),
  coxph = function() summary(coxph(Surv(os_months, death) ~ arm + age, data = d)),
  survfit = function() summary(survfit(Surv(os_months, death) ~ arm, data = d),
                               times = c(12, 36, 60)),
  survdiff = function() survdiff(Surv(os_months, death) ~ arm, data = d)
)
for (name in names(fits)) {
  f <- fits[[name]]
  f()
  t0 <- proc.time()[["elapsed"]]
  for (i in seq_len(number)) f()
  cat(sprintf("%s\t%.6f\n", name, 1000 * (proc.time()[["elapsed"]] - t0) / number))
}
