# Reference values for the `baseline` endpoint (Table 1) on the bundled example cohort.
#
# Re-run from the repository root:   Rscript tests/results/baseline.R
# Writes tests/results/baseline.csv (variable, arm, level, stat, value; 17 significant digits).
# Produced with R 4.2.2. gtsummary and smd are not installed here, so their rules are written
# out in base R:
#   * quartiles: quantile(type = 2), gtsummary's default for p25/p75;
#   * test (gtsummary add_p default): wilcox.test for continuous; for categorical, Pearson's
#     chisq.test(correct = FALSE) unless an expected count of table(arm, x) is below 5, then
#     fisher.test;
#   * SMD (smd::smd): continuous (mean1 - mean2) / sqrt((v1 + v2) / 2) with v the population
#     variance (denominator n); categorical Yang & Dalton (2012) sqrt(D' S^-1 D), dropping the
#     first level. Sign: treatment (lenalidomide) minus reference (thalidomide).
d <- read.csv("mdsrs_core/example/data/patients.csv", stringsAsFactors = FALSE)
d$arm <- factor(d$arm, levels = c("thalidomide", "lenalidomide"))
# IPSS-R before treatment (derived by the mdsrs_ipssr plugin), Greenberg et al. Blood 2012,
# in base R: the same table as tests/results/ipssr.R.
ipssr <- unname(c("very good" = 0, "good" = 1, "intermediate" = 2, "poor" = 3,
                  "very poor" = 4)[d$cyto_base]) +
  ifelse(d$bm_blast_base <= 2, 0, ifelse(d$bm_blast_base < 5, 1,
         ifelse(d$bm_blast_base <= 10, 2, 3))) +
  ifelse(d$hgb_base >= 10, 0, ifelse(d$hgb_base >= 8, 1, 1.5)) +
  ifelse(d$plt_base >= 100, 0, ifelse(d$plt_base >= 50, 0.5, 1)) +
  ifelse(d$anc_base >= 0.8, 0, 0.5)
d$ipssr_base_score <- ipssr
d$ipssr_base_category <- c("Very Low", "Low", "Intermediate", "High", "Very High")[
  findInterval(ipssr, c(1.5, 3, 4.5, 6), left.open = TRUE) + 1]
out <- data.frame(variable = character(), arm = character(), level = character(),
                  stat = character(), value = character())
put <- function(variable, arm, level, stat, value) {
  out[nrow(out) + 1, ] <<- list(variable, arm, level, stat, sprintf("%.17g", value))
}
arms <- levels(d$arm)
for (a in arms) put("arm", a, "", "N", sum(d$arm == a))
put("arm", "", "", "N", nrow(d))
continuous <- c("age", "hgb_base", "plt_base", "anc_base", "bm_blast_base",
                "ipssr_base_score", "ring_sideroblasts_pct")  # the score: median [IQR]
categorical <- list(sex = c("F", "M"),
                    cyto_base = c("very good", "good", "intermediate", "poor", "very poor"),
                    ipssr_base_category = c("Very Low", "Low", "Intermediate", "High",
                                            "Very High"),
                    sf3b1 = c("mutated", "wild-type"), transfusion_dependent = c("no", "yes"))
for (v in continuous) {
  for (a in c(arms, "")) {
    x <- if (a == "") d[[v]] else d[[v]][d$arm == a]
    put(v, a, "", "n_missing", sum(is.na(x)))
    x <- x[!is.na(x)]
    put(v, a, "", "n", length(x))
    put(v, a, "", "mean", mean(x)); put(v, a, "", "sd", sd(x)); put(v, a, "", "median", median(x))
    q <- quantile(x, c(0.25, 0.75), type = 2)
    put(v, a, "", "p25", q[[1]]); put(v, a, "", "p75", q[[2]])
    put(v, a, "", "min", min(x)); put(v, a, "", "max", max(x))
  }
  x1 <- d[[v]][d$arm == "lenalidomide"]; x0 <- d[[v]][d$arm == "thalidomide"]
  t <- wilcox.test(x1, x0)
  put(v, "", "", "p_value", t$p.value); put(v, "", "", "statistic", t$statistic)
  pv <- function(x) mean((x - mean(x))^2)
  put(v, "", "", "smd", (mean(x1) - mean(x0)) / sqrt((pv(x1) + pv(x0)) / 2))
}
for (v in names(categorical)) {
  lv <- categorical[[v]]
  x <- factor(d[[v]], levels = lv)
  for (a in c(arms, "")) {
    xa <- if (a == "") x else x[d$arm == a]
    put(v, a, "", "N", sum(!is.na(xa)))
    put(v, a, "", "n_missing", sum(is.na(xa)))
    for (l in lv) {
      put(v, a, l, "n", sum(xa == l, na.rm = TRUE))
      put(v, a, l, "p", mean(xa[!is.na(xa)] == l))
    }
  }
  tab <- table(d$arm, x)
  expected <- outer(rowSums(tab), colSums(tab)) / sum(tab)
  if (min(expected) < 5) {
    t <- fisher.test(table(d$arm, droplevels(x)))
  } else {
    t <- chisq.test(tab, correct = FALSE)
    put(v, "", "", "statistic", t$statistic)
  }
  put(v, "", "", "p_value", t$p.value)
  p1 <- as.numeric(prop.table(table(x[d$arm == "lenalidomide"])))
  p0 <- as.numeric(prop.table(table(x[d$arm == "thalidomide"])))
  D <- (p1 - p0)[-1]
  S1 <- diag(p1) - p1 %*% t(p1); S0 <- diag(p0) - p0 %*% t(p0)
  S <- ((S1 + S0) / 2)[-1, -1, drop = FALSE]
  put(v, "", "", "smd", sqrt(drop(t(D) %*% solve(S) %*% D)))
}
write.csv(out, "tests/results/baseline.csv", row.names = FALSE)
