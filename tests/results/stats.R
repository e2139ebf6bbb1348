# Reference values for mdsrs_core.stats, computed with R.
#
# Written with: R version 4.2.2 Patched (2022-11-10 r83330); base R and the recommended
# package MASS (ginv) only. gtsummary, smd, DescTools and exact2x2 are NOT installed, so
# the quantities those packages compute are written out here in base R from their
# definitions (and from their source, read on GitHub):
#   * gtsummary's chi-squared-or-Fisher rule (R/assign_tests.R,
#     .add_p_tbl_summary_default_test): min expected count of table(by, variable), computed
#     as rowSums(p) x colSums(p) x N with p = proportions(table); >= 5 -> chisq.test(correct =
#     FALSE), else fisher.test;
#   * smd::smd (R/smd.R, R/mean_var.R): D = ref - other, S = (S1 + S2) / 2, sqrt(D' ginv(S) D),
#     numeric variance with denominator n, factor covariance diag(p) - p p';
#   * Newcombe's hybrid score interval (Newcombe 1998, method 10) from prop.test()'s Wilson
#     limits.
#
# Re-run from the repository root:   Rscript tests/results/stats.R
# It rewrites tests/results/stats.json (hand-written JSON: jsonlite is not installed).
# Every number is written with sprintf("%.17g"); Inf/-Inf/NaN are written as the strings
# "Inf"/"-Inf"/"NaN" and NA as null. The data sets are defined here and written into the
# JSON too, so the Python tests read exactly these numbers.

suppressPackageStartupMessages(library(MASS))

# ---- a tiny JSON writer -----------------------------------------------------------------
arr <- function(x) structure(x, json_array = TRUE)  # force a JSON array even for length 1

json_scalar <- function(v) {
  if (is.null(v)) return("null")
  if (is.character(v) && is.na(v)) return("null")
  if (is.character(v)) {
    v <- gsub("\\\\", "\\\\\\\\", v)
    v <- gsub("\"", "\\\\\"", v)
    v <- gsub("\n", "\\\\n", v)
    v <- gsub("\t", "\\\\t", v)
    return(paste0("\"", v, "\""))
  }
  if (is.logical(v)) return(if (is.na(v)) "null" else if (v) "true" else "false")
  if (is.na(v) && !is.nan(v)) return("null")
  if (is.nan(v)) return("\"NaN\"")
  if (is.infinite(v)) return(if (v > 0) "\"Inf\"" else "\"-Inf\"")
  sprintf("%.17g", v)
}

to_json <- function(x, indent = "") {
  inner <- paste0(indent, "  ")
  if (is.list(x)) {
    if (length(x) == 0) return(if (is.null(names(x))) "[]" else "{}")
    if (!is.null(names(x))) {
      items <- vapply(seq_along(x), function(i) {
        paste0(inner, json_scalar(names(x)[i]), ": ", to_json(x[[i]], inner))
      }, "")
      return(paste0("{\n", paste(items, collapse = ",\n"), "\n", indent, "}"))
    }
    items <- vapply(x, function(e) paste0(inner, to_json(e, inner)), "")
    return(paste0("[\n", paste(items, collapse = ",\n"), "\n", indent, "]"))
  }
  if (is.matrix(x)) {
    rows <- lapply(seq_len(nrow(x)), function(i) arr(unname(x[i, ])))
    return(to_json(rows, indent))
  }
  x_attr <- attr(x, "json_array")
  x <- unname(as.vector(x))
  if (is.null(x)) return("null")
  if (length(x) == 1 && is.null(x_attr)) return(json_scalar(x))
  paste0("[", paste(vapply(as.list(x), json_scalar, ""), collapse = ", "), "]")
}

htest_list <- function(h) {
  list(
    method = h$method,
    statistic = if (is.null(h$statistic)) NULL else unname(h$statistic),
    parameter = if (is.null(h$parameter)) NULL else unname(h$parameter),
    p_value = h$p.value
  )
}

# ---- data -------------------------------------------------------------------------------
set.seed(20240601)
no_ties <- function(v) { stopifnot(!anyDuplicated(v)); invisible(v) }

two_sample <- list(
  exact = list(x = round(rnorm(24, 10.5, 1.8), 4), y = round(rnorm(38, 9.6, 2.1), 4)),
  ties = list(x = round(rnorm(24, 120, 60)), y = round(rnorm(38, 95, 55))),
  small = list(x = c(1.83, 0.50, 1.62, 2.48, 1.68), y = c(0.878, 0.647, 0.598, 2.05)),
  large = list(x = round(rnorm(55, 5, 1), 5), y = round(rnorm(60, 5.4, 1.2), 5)),
  missing = list(x = c(3.1, NA, 4.7, 2.2, 5.9, NA, 3.8), y = c(2.0, 1.4, NA, 3.3, 0.9, 2.6)),
  shifted = list(x = c(8.2, 9.1, 7.7, 10.4, 9.9, 8.8), y = c(1.2, 2.3, 0.4, 3.1, 1.9))
)
no_ties(c(two_sample$exact$x, two_sample$exact$y))
no_ties(c(two_sample$large$x, two_sample$large$y))
stopifnot(anyDuplicated(c(two_sample$ties$x, two_sample$ties$y)) > 0)

before <- round(rnorm(24, 8.5, 1.2), 3)
after <- round(before + rnorm(24, 0.6, 0.9), 3)
before_tied <- c(8.1, 7.4, 9.0, 8.8, 6.9, 7.7, 8.2, 9.5, 7.1, 8.0, 8.6, 7.9)
after_tied <- c(8.6, 7.4, 9.8, 8.3, 7.9, 8.2, 8.2, 10.0, 7.6, 8.5, 9.6, 7.9)
before_large <- round(rnorm(60, 100, 15), 4)
after_large <- round(before_large + rnorm(60, 3, 8), 4)
paired <- list(
  exact = list(x = after, y = before),
  ties_zeros = list(x = after_tied, y = before_tied),
  large = list(x = after_large, y = before_large),
  missing = list(x = c(5.5, 6.1, NA, 7.3, 6.6, 5.9, 7.0), y = c(5.0, 6.4, 5.8, NA, 6.0, 5.2, 6.1))
)
no_ties(abs(paired$exact$x - paired$exact$y))
no_ties(abs(paired$large$x - paired$large$y))

# ---- describe ---------------------------------------------------------------------------
quantile_data <- list(
  n1 = c(7.5), n2 = c(3, 1), n4 = c(4, 1, 3, 2), n5 = c(2.5, 9.1, 4.4, 6.0, 1.3),
  n10 = c(3.3, 1.1, 10.2, 7.4, 5.5, 2.2, 8.8, 6.6, 9.9, 4.4),
  n24 = two_sample$exact$x, n38 = two_sample$exact$y,
  with_na = two_sample$missing$x, ties = two_sample$ties$x, n30 = seq(0.5, 15, by = 0.5)
)
probs <- c(0, 0.1, 0.25, 0.5, 0.75, 0.9, 1)
quantile_ref <- lapply(quantile_data, function(v) list(
  data = arr(v),
  q = arr(unname(quantile(v, probs = probs, type = 2, na.rm = TRUE))),
  median = median(v, na.rm = TRUE)
))

summary_ref <- lapply(list(exact_x = two_sample$exact$x, with_na = two_sample$missing$x,
                           one = c(4.2), ties = two_sample$ties$y), function(v) {
  w <- v[!is.na(v)]
  list(data = arr(v), n = length(w), mean = mean(w), sd = if (length(w) > 1) sd(w) else NA,
       median = median(w), p25 = unname(quantile(w, 0.25, type = 2)),
       p75 = unname(quantile(w, 0.75, type = 2)), min = min(w), max = max(w),
       n_missing = sum(is.na(v)))
})

cat_levels <- c("CR", "PR", "mCR", "HI", "SD", "PD")
cat_x <- c("CR", "PR", NA, "SD", "CR", "PD", NA, "SD", "SD", "HI")
cat_tab <- table(factor(cat_x, levels = cat_levels))
categorical_ref <- list(data = arr(cat_x), levels = arr(cat_levels), n = arr(as.vector(cat_tab)),
                        N = sum(!is.na(cat_x)), p = arr(as.vector(cat_tab) / sum(!is.na(cat_x))),
                        n_missing = sum(is.na(cat_x)))

# ---- ranks and t-tests ------------------------------------------------------------------
wilcox_ref <- lapply(two_sample, function(d) {
  list(x = arr(d$x), y = arr(d$y),
       wilcox = htest_list(suppressWarnings(wilcox.test(d$x, d$y))),
       wilcox_nocorrect = htest_list(suppressWarnings(wilcox.test(d$x, d$y, correct = FALSE))),
       welch = c(htest_list(t.test(d$x, d$y)),
                 list(estimate = unname(diff(rev(t.test(d$x, d$y)$estimate))),
                      conf_int = arr(as.vector(t.test(d$x, d$y)$conf.int)))),
       pooled = c(htest_list(t.test(d$x, d$y, var.equal = TRUE)),
                  list(estimate = unname(diff(rev(t.test(d$x, d$y, var.equal = TRUE)$estimate))),
                       conf_int = arr(as.vector(t.test(d$x, d$y, var.equal = TRUE)$conf.int)))))
})

signed_ref <- lapply(paired, function(d) {
  tt <- t.test(d$x, d$y, paired = TRUE)
  list(x = arr(d$x), y = arr(d$y),
       signed = htest_list(suppressWarnings(wilcox.test(d$x, d$y, paired = TRUE))),
       signed_nocorrect = htest_list(suppressWarnings(
         wilcox.test(d$x, d$y, paired = TRUE, correct = FALSE))),
       paired_t = c(htest_list(tt), list(estimate = unname(tt$estimate),
                                          conf_int = arr(as.vector(tt$conf.int)))))
})

# ---- contingency tables -----------------------------------------------------------------
tables <- list(
  resp_12_24_vs_9_38 = rbind(c(12, 12), c(9, 29)),
  zero_cell = rbind(c(0, 24), c(5, 33)),
  all_responders = rbind(c(24, 0), c(30, 8)),
  small_yates = rbind(c(5, 5), c(5, 6)),
  boundary_5 = rbind(c(5, 26), c(5, 26)),
  large_2x2 = rbind(c(15, 9), c(14, 24)),
  response_2x6 = rbind(c(3, 4, 2, 3, 8, 4), c(1, 3, 1, 4, 17, 12)),
  grades_2x4 = rbind(c(6, 9, 6, 3), c(14, 15, 7, 2)),
  ae_3x4 = rbind(c(5, 3, 2, 1), c(2, 6, 3, 2), c(1, 2, 5, 4)),
  empty_col_2x3 = rbind(c(7, 0, 17), c(12, 0, 26)),
  empty_col_2x6 = rbind(c(3, 4, 0, 3, 10, 4), c(1, 3, 0, 4, 18, 12)),
  both_zero_2x2 = rbind(c(0, 24), c(0, 38))
)

drop_empty <- function(m) m[rowSums(m) > 0, colSums(m) > 0, drop = FALSE]

gtsummary_min_expected <- function(m) {
  p <- m / sum(m)                      # proportions(table(by, variable))
  e <- expand.grid(rowSums(p), colSums(p))
  min(e$Var1 * e$Var2 * sum(m))
}

contingency_ref <- lapply(tables, function(m) {
  red <- drop_empty(m)
  ok <- nrow(red) >= 2 && ncol(red) >= 2
  chisq <- if (ok) suppressWarnings(chisq.test(red, correct = FALSE)) else NULL
  yates <- if (ok) suppressWarnings(chisq.test(red, correct = TRUE)) else NULL
  fisher <- fisher.test(m)
  fisher_red <- if (ok) fisher.test(red) else NULL
  min_exp <- gtsummary_min_expected(m)
  out <- list(
    table = m,
    chisq = if (ok) c(htest_list(chisq), list(expected = unname(chisq$expected))) else NULL,
    chisq_yates = if (ok) htest_list(yates) else NULL,
    fisher = list(method = fisher$method, p_value = fisher$p.value,
                  estimate = if (is.null(fisher$estimate)) NULL else unname(fisher$estimate),
                  conf_int = if (is.null(fisher$conf.int)) NULL else arr(as.vector(fisher$conf.int))),
    fisher_reduced_p = if (ok) fisher_red$p.value else NULL,
    gtsummary_min_expected = min_exp,
    gtsummary_test = if (isTRUE(min_exp >= 5 || is.nan(min_exp))) "chisq.test.no.correct" else "fisher.test"
  )
  if (all(dim(m) == 2)) {
    f90 <- fisher.test(m, conf.level = 0.90)
    out$fisher_conf90 <- arr(as.vector(f90$conf.int))
  }
  out
})

# ---- proportions ------------------------------------------------------------------------
prop_cases <- list(c(0, 24), c(24, 24), c(12, 24), c(9, 38), c(1, 38), c(37, 38), c(0, 1),
                   c(1, 1), c(56, 70), c(3, 10))
proportion_ref <- lapply(prop_cases, function(xn) {
  x <- xn[1]; n <- xn[2]
  one <- function(level) list(
    clopper_pearson = arr(as.vector(binom.test(x, n, conf.level = level)$conf.int)),
    wilson = arr(as.vector(suppressWarnings(prop.test(x, n, correct = FALSE,
                                                      conf.level = level))$conf.int)),
    wilson_cc = arr(as.vector(suppressWarnings(prop.test(x, n, correct = TRUE,
                                                         conf.level = level))$conf.int))
  )
  list(x = x, n = n, conf95 = one(0.95), conf90 = one(0.90))
})

wilson_limits <- function(x, n, level) {
  as.vector(suppressWarnings(prop.test(x, n, correct = FALSE, conf.level = level))$conf.int)
}
newcombe <- function(x1, n1, x2, n2, level = 0.95) {
  p1 <- x1 / n1; p2 <- x2 / n2
  w1 <- wilson_limits(x1, n1, level); w2 <- wilson_limits(x2, n2, level)
  d <- p1 - p2
  c(d, d - sqrt((p1 - w1[1])^2 + (w2[2] - p2)^2), d + sqrt((w1[2] - p1)^2 + (p2 - w2[1])^2))
}
newcombe_cases <- list(c(12, 24, 9, 38), c(0, 24, 0, 38), c(24, 24, 0, 38), c(0, 24, 5, 38),
                       c(24, 24, 38, 38), c(1, 24, 37, 38), c(56, 70, 48, 80), c(9, 10, 3, 10),
                       c(5, 56, 0, 29), c(0, 10, 0, 20), c(10, 10, 0, 20))
newcombe_ref <- lapply(newcombe_cases, function(v) list(
  counts = arr(v), conf95 = arr(newcombe(v[1], v[2], v[3], v[4])),
  conf90 = arr(newcombe(v[1], v[2], v[3], v[4], 0.90))
))
# Newcombe (1998) Table II, method 10, as printed (4 decimals): counts, lower, upper.
newcombe_published <- list(
  list(counts = arr(c(56, 70, 48, 80)), lower = 0.0524, upper = 0.3339),
  list(counts = arr(c(9, 10, 3, 10)), lower = 0.1705, upper = 0.8090),
  list(counts = arr(c(5, 56, 0, 29)), lower = -0.0381, upper = 0.1926),
  list(counts = arr(c(0, 10, 0, 20)), lower = -0.1611, upper = 0.2775),
  list(counts = arr(c(10, 10, 0, 20)), lower = 0.6791, upper = 1.0000)
)

# ---- standardized mean differences ------------------------------------------------------
smd_numeric <- function(x, y, denominator_n = TRUE) {
  x <- x[!is.na(x)]; y <- y[!is.na(y)]
  v <- function(z) if (denominator_n) sum((z - mean(z))^2) / length(z) else var(z)
  (mean(x) - mean(y)) / sqrt((v(x) + v(y)) / 2)
}
smd_factor_ginv <- function(x, y, levels) {
  px <- as.vector(prop.table(table(factor(x[!is.na(x)], levels = levels))))
  py <- as.vector(prop.table(table(factor(y[!is.na(y)], levels = levels))))
  S <- ((diag(px) - outer(px, px)) + (diag(py) - outer(py, py))) / 2
  D <- px - py
  drop(sqrt(t(D) %*% (MASS::ginv(S) %*% D)))
}
smd_factor_drop_one <- function(x, y, levels) {
  px <- as.vector(prop.table(table(factor(x[!is.na(x)], levels = levels))))[-1]
  py <- as.vector(prop.table(table(factor(y[!is.na(y)], levels = levels))))[-1]
  S <- ((diag(px, length(px)) - outer(px, px)) + (diag(py, length(py)) - outer(py, py))) / 2
  D <- px - py
  drop(sqrt(t(D) %*% solve(S) %*% D))
}

smd_continuous_ref <- lapply(two_sample[c("exact", "ties", "missing", "small")], function(d) list(
  x = arr(d$x), y = arr(d$y), smd_pop = smd_numeric(d$x, d$y), smd_sample = smd_numeric(d$x, d$y, FALSE)
))

resp_a <- rep(cat_levels, c(3, 4, 2, 3, 8, 4))
resp_b <- rep(cat_levels, c(1, 3, 0, 4, 18, 12))
resp_b_na <- c(resp_b, NA, NA)
responder_a <- rep(c("yes", "no"), c(12, 12))
responder_b <- rep(c("yes", "no"), c(9, 29))
smd_categorical_ref <- list(
  response = list(x = arr(resp_a), y = arr(resp_b), levels = arr(cat_levels),
                  smd = smd_factor_ginv(resp_a, resp_b, cat_levels),
                  smd_drop_one = smd_factor_drop_one(resp_a, resp_b, c("SD", "CR", "PR", "mCR", "HI", "PD"))),
  response_missing = list(x = arr(resp_a), y = arr(resp_b_na), levels = arr(cat_levels),
                          smd = smd_factor_ginv(resp_a, resp_b_na, cat_levels)),
  extra_empty_level = list(x = arr(resp_a), y = arr(resp_b), levels = arr(c(cat_levels, "NE")),
                           smd = smd_factor_ginv(resp_a, resp_b, c(cat_levels, "NE"))),
  responder = list(x = arr(responder_a), y = arr(responder_b), levels = arr(c("yes", "no")),
                   smd = smd_factor_ginv(responder_a, responder_b, c("yes", "no")),
                   smd_drop_one = smd_factor_drop_one(responder_a, responder_b, c("no", "yes")))
)
p1 <- 12 / 24; p2 <- 9 / 38
smd_binary_ref <- list(
  list(counts = arr(c(12, 24, 9, 38)), smd = (p1 - p2) / sqrt((p1 * (1 - p1) + p2 * (1 - p2)) / 2),
       smd_numeric_01 = smd_numeric(rep(1:0, c(12, 12)), rep(1:0, c(9, 29)))),
  list(counts = arr(c(3, 24, 20, 38)),
       smd = (3 / 24 - 20 / 38) / sqrt((3 / 24 * (21 / 24) + 20 / 38 * (18 / 38)) / 2),
       smd_numeric_01 = smd_numeric(rep(1:0, c(3, 21)), rep(1:0, c(20, 18))))
)

# ---- write ------------------------------------------------------------------------------
out <- list(
  r_version = R.version.string,
  describe = list(probs = arr(probs), quantile = quantile_ref, summary = summary_ref,
                  categorical = categorical_ref),
  two_sample = wilcox_ref,
  paired = signed_ref,
  contingency = contingency_ref,
  proportions = proportion_ref,
  newcombe = newcombe_ref,
  newcombe_published = newcombe_published,
  smd = list(continuous = smd_continuous_ref, categorical = smd_categorical_ref,
             binary = smd_binary_ref)
)
writeLines(to_json(out), "tests/results/stats.json")
cat("wrote tests/results/stats.json\n")
cat(sprintf("12/24 vs 9/38: chisq p = %.4f, Fisher p = %.4f\n",
            contingency_ref$resp_12_24_vs_9_38$chisq$p_value,
            contingency_ref$resp_12_24_vs_9_38$fisher$p_value))
