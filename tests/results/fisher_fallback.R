# A Table 1 test that cannot be computed (issue 12 item 6): Fisher's exact test on a 2 x 15
# table of 2,871 patients. R's fisher.test fails (FEXACT's workspace); R users then take the
# Monte Carlo p-value, fisher.test(simulate.p.value = TRUE), which is what mdsrs falls back to
# (with its own random numbers: equal within Monte Carlo error, not digit for digit).
#
# Re-run from the repository root:   Rscript tests/results/fisher_fallback.R
# Reads tests/data/registry_export.csv (written by tests/results/real_data.R) and writes
# tests/results/fisher_fallback.csv (stat, value): the exact test's error, the Monte Carlo
# p-value with B = 200000 (set.seed(12)), and, for a 2 x 5 table small enough, the exact
# p-value. Produced with R 4.2.2.
d <- read.csv("tests/data/registry_export.csv", na.strings = "")
tab <- table(d$group, d$who_class)
exact <- tryCatch(fisher.test(tab)$p.value, error = function(e) conditionMessage(e))
set.seed(12)
mc <- fisher.test(tab, simulate.p.value = TRUE, B = 200000)
small <- matrix(c(3, 1, 0, 2, 5, 1, 4, 3, 0, 1), nrow = 2, byrow = TRUE)
out <- data.frame(
  stat = c("exact_error", "n", "levels", "mc_p_value", "mc_replicates", "small_exact_p_value"),
  value = c(gsub("\n", " ", as.character(exact)), sum(tab), ncol(tab),
            sprintf("%.17g", mc$p.value), "200000", sprintf("%.17g", fisher.test(small)$p.value)))
write.csv(out, "tests/results/fisher_fallback.csv", row.names = FALSE)
