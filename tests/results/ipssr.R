# Reference values for the `ipssr` endpoint on the bundled example cohort.
#
# Re-run from the repository root:   Rscript tests/results/ipssr.R
# Writes tests/results/ipssr.csv (variable, arm, level, stat, formula, value; 17 significant
# digits), read by tests/test_ipssr_endpoint.py.
# Produced with R 4.2.2 and ordinal 2022.11.16 (stats: lm, confint, wilcox.test, quantile).
#
# The IPSS-R is computed here with a base-R implementation of Greenberg et al.'s table
# (Blood 2012;120:2454-2465), written independently of the Python code:
#   cytogenetics very good 0, good 1, intermediate 2, poor 3, very poor 4;
#   marrow blasts <= 2%: 0, > 2 to < 5%: 1, 5-10%: 2, > 10%: 3;
#   hemoglobin >= 10 g/dL: 0, 8 to < 10: 1, < 8: 1.5;
#   platelets >= 100 x10^9/L: 0, 50 to < 100: 0.5, < 50: 1;
#   ANC >= 0.8 x10^9/L: 0, < 0.8: 0.5;
#   categories Very Low <= 1.5 < Low <= 3 < Intermediate <= 4.5 < High <= 6 < Very High;
#   IPSS-RA = IPSS-R + (age - 70) * (0.05 - IPSS-R * 0.005) (age at treatment start for both
#   time points).
# Per-patient scores are written too (stat "patient_score", level = patient_id) so the test
# compares the derived variables patient by patient.
suppressPackageStartupMessages(library(ordinal))

d <- read.csv("mdsrs_core/example/data/patients.csv", stringsAsFactors = FALSE)
d$arm <- factor(d$arm, levels = c("thalidomide", "lenalidomide"))
cats <- c("Very Low", "Low", "Intermediate", "High", "Very High")

ipssr_points <- function(hgb, plt, anc, blasts, cyto) {
  cyto_pts <- c("very good" = 0, "good" = 1, "intermediate" = 2, "poor" = 3,
                "very poor" = 4)[cyto]
  blast_pts <- ifelse(blasts <= 2, 0, ifelse(blasts < 5, 1, ifelse(blasts <= 10, 2, 3)))
  hgb_pts <- ifelse(hgb >= 10, 0, ifelse(hgb >= 8, 1, 1.5))
  plt_pts <- ifelse(plt >= 100, 0, ifelse(plt >= 50, 0.5, 1))
  anc_pts <- ifelse(anc >= 0.8, 0, 0.5)
  unname(cyto_pts + blast_pts + hgb_pts + plt_pts + anc_pts)
}
category <- function(s) {
  factor(cats[findInterval(s, c(1.5, 3, 4.5, 6), left.open = TRUE) + 1], levels = cats,
         ordered = TRUE)
}
for (t in c("base", "post")) {
  s <- ipssr_points(d[[paste0("hgb_", t)]], d[[paste0("plt_", t)]], d[[paste0("anc_", t)]],
                    d[[paste0("bm_blast_", t)]], d[[paste0("cyto_", t)]])
  d[[paste0("ipssr_", t, "_score")]] <- s
  d[[paste0("ipssr_", t, "_category")]] <- category(s)
  d[[paste0("ipssra_", t, "_score")]] <- s + (d$age - 70) * (0.05 - s * 0.005)
}
stopifnot(!anyNA(d$ipssr_base_score), !anyNA(d$ipssr_post_score))

out <- data.frame(variable = character(), arm = character(), level = character(),
                  stat = character(), formula = character(), value = character())
put <- function(variable, arm, level, stat, value, formula = "") {
  out[nrow(out) + 1, ] <<- list(variable, arm, level, stat, formula, sprintf("%.17g", value))
}

# per-patient scores
for (v in c("ipssr_base_score", "ipssr_post_score", "ipssra_base_score", "ipssra_post_score")) {
  for (i in seq_len(nrow(d))) put(v, "", d$patient_id[i], "patient_score", d[[v]][i])
}

# per arm: score summaries, category distributions, shift table, change of category
arms <- levels(d$arm)
for (a in arms) {
  g <- d[d$arm == a, ]
  for (t in c("base", "post")) {
    x <- g[[paste0("ipssr_", t, "_score")]]
    v <- paste0("ipssr_", t, "_score")
    put(v, a, "", "n", length(x)); put(v, a, "", "mean", mean(x)); put(v, a, "", "sd", sd(x))
    put(v, a, "", "median", median(x))
    q <- quantile(x, c(0.25, 0.75), type = 2)
    put(v, a, "", "p25", q[[1]]); put(v, a, "", "p75", q[[2]])
    put(v, a, "", "min", min(x)); put(v, a, "", "max", max(x))
    cv <- paste0("ipssr_", t, "_category")
    tab <- table(g[[cv]])
    put(cv, a, "", "N", sum(tab))
    for (l in cats) {
      put(cv, a, l, "n", tab[[l]]); put(cv, a, l, "p", tab[[l]] / sum(tab))
    }
  }
  shift <- table(g$ipssr_base_category, g$ipssr_post_category)
  for (b in cats) for (p in cats) put("ipssr_shift", a, paste(b, "->", p), "n", shift[b, p])
  step <- as.integer(g$ipssr_post_category) - as.integer(g$ipssr_base_category)
  change <- c(improved = sum(step < 0), unchanged = sum(step == 0), worsened = sum(step > 0))
  for (l in names(change)) {
    put("ipssr_category_change", a, l, "n", change[[l]])
    put("ipssr_category_change", a, l, "p", change[[l]] / nrow(g))
  }
}

rterm <- function(x) {
  x <- sub("^armlenalidomide$", "arm[T.lenalidomide]", x)
  sub("^\\(Intercept\\)$", "Intercept", x)
}

# ANCOVA: lm, t tests, confint (t-based)
f <- "ipssr_post_score ~ arm + ipssr_base_score"
fit <- lm(as.formula(f), data = d)
co <- summary(fit)$coefficients
ci <- confint(fit, level = 0.95)
for (term in rownames(co)) {
  put("ipssr_post_score", "", rterm(term), "estimate", co[term, 1], f)
  put("ipssr_post_score", "", rterm(term), "std_error", co[term, 2], f)
  put("ipssr_post_score", "", rterm(term), "statistic", co[term, 3], f)
  put("ipssr_post_score", "", rterm(term), "p_value", co[term, 4], f)
  put("ipssr_post_score", "", rterm(term), "conf_low", ci[term, 1], f)
  put("ipssr_post_score", "", rterm(term), "conf_high", ci[term, 2], f)
  put("ipssr_post_score", "", rterm(term), "df", fit$df.residual, f)
}

# Wilcoxon rank-sum of the post-treatment score, lenalidomide vs thalidomide
w <- wilcox.test(d$ipssr_post_score[d$arm == "lenalidomide"],
                 d$ipssr_post_score[d$arm == "thalidomide"])
stopifnot(w$method == "Wilcoxon rank sum test with continuity correction")
put("ipssr_post_score", "", "", "statistic", w$statistic)
put("ipssr_post_score", "", "", "p_value", w$p.value)

# proportional-odds models: ordinal::clm, Wald z, confint.default, odds ratios. gradTol is
# tightened from its default 1e-6 to 1e-10 (what mdsrs_core.models.clm iterates to), so both
# sides are the maximum-likelihood estimate, not two points within R's default tolerance.
for (f in c("ipssr_post_category ~ arm", "ipssr_post_category ~ arm + ipssr_base_score")) {
  fit <- clm(as.formula(f), data = d, link = "logit", control = clm.control(gradTol = 1e-10))
  co <- summary(fit)$coefficients
  ci <- confint.default(fit, level = 0.95)
  for (term in names(fit$beta)) {
    put("ipssr_post_category", "", rterm(term), "estimate", exp(co[term, 1]), f)
    put("ipssr_post_category", "", rterm(term), "std_error", co[term, 2], f)
    put("ipssr_post_category", "", rterm(term), "statistic", co[term, 3], f)
    put("ipssr_post_category", "", rterm(term), "p_value", co[term, 4], f)
    put("ipssr_post_category", "", rterm(term), "conf_low", exp(ci[term, 1]), f)
    put("ipssr_post_category", "", rterm(term), "conf_high", exp(ci[term, 2]), f)
  }
}
write.csv(out, "tests/results/ipssr.csv", row.names = FALSE)
