# Reference values for mdsrs_core.adjust: propensity score, weights, balance, matching.
#
# Re-run from the repository root:   Rscript tests/results/adjust.R
# Produced with R 4.2.2, MatchIt 4.5.1, survival 3.5-3.
# Writes tests/data/rotterdam.csv (survival's rotterdam, the columns used) and
# tests/results/adjust.csv (dataset, analysis, variable, stat, value; 17 significant digits).
#
# Data: the bundled example cohort (treated = lenalidomide, reference thalidomide) and
# survival's rotterdam (2982 breast-cancer patients; treated = hormon == 1).
# * PS: glm(treated ~ covariates, family = binomial), fitted values;
# * weights in base R (WeightIt is not installed): stabilised IPTW p/e, (1-p)/(1-e);
#   ATT 1, e/(1-e); overlap 1-e, e;
# * balance with cobalt's conventions written out in base R (cobalt is not installed):
#   factors split into one indicator per level; SMD = (m1 - m0) / s with s from the
#   unadjusted sample (pooled sqrt((v1+v0)/2) for ATE/ATO, treated SD for ATT/matching);
#   binary variance p(1-p), continuous var() unweighted and the unbiased weighted variance
#   sum(w (x-m)^2) / ((sum w)^2 - sum w^2) * sum w; variance ratio continuous only;
#   Kish ESS (sum w)^2 / sum w^2;
# * matching: MatchIt::matchit(method = "nearest", distance = "glm",
#   link = "linear.logit", caliper = 0.2, replace = FALSE, ratio = 1), with
#   mahvars = ~lp_ (lp_ the same logit): the match is then made on |lp_ difference| (a
#   Mahalanobis distance on one variable is a multiple of it) by MatchIt's general routine.
#   Why not the plain call: MatchIt 4.5.1's fast routine for a PS distance
#   (src/nn_matchC_vec.cpp) ignores the caliper and always takes the control below -- on
#   these data it keeps pairs up to 2.2 calipers apart and never a control with a larger
#   distance (see docs/adjustment.md) -- so the plain call does not give the documented
#   matching.
suppressPackageStartupMessages({library(survival); library(MatchIt)})
options(stringsAsFactors = FALSE)
out <- data.frame(dataset = character(), analysis = character(), variable = character(),
                  stat = character(), value = character())
put <- function(dataset, analysis, variable, stat, value) {
  out[nrow(out) + 1, ] <<- list(dataset, analysis, variable, stat, sprintf("%.17g", value))
}

rot <- rotterdam[, c("pid", "age", "meno", "size", "grade", "nodes", "pgr", "er", "hormon",
                     "rtime", "recur", "dtime", "death")]
write.csv(rot, "tests/data/rotterdam.csv", row.names = FALSE)

ex <- read.csv("mdsrs_core/example/data/patients.csv")
ex$arm <- factor(ex$arm, levels = c("thalidomide", "lenalidomide"))
ex$treated <- as.integer(ex$arm == "lenalidomide")
rot <- read.csv("tests/data/rotterdam.csv")
rot$treated <- rot$hormon

sets <- list(
  example = list(data = ex, covs = c("age", "sex", "transfusion_dependent", "sf3b1",
                                     "hgb_base", "plt_base"), rows = nrow(ex)),
  rotterdam = list(data = rot, covs = c("age", "meno", "size", "grade", "nodes", "pgr", "er"),
                   rows = 150)
)

split_covs <- function(d, covs) {
  cols <- list()
  for (v in covs) {
    x <- d[[v]]
    if (is.character(x) || is.factor(x)) {
      for (lv in sort(unique(as.character(x)))) cols[[paste0(v, "_", lv)]] <- as.numeric(x == lv)
    } else cols[[v]] <- as.numeric(x)
  }
  as.data.frame(cols, check.names = FALSE)
}
wvar <- function(x, w) {
  m <- sum(w * x) / sum(w)
  sum(w * (x - m)^2) / ((sum(w)^2 - sum(w^2)) / sum(w))
}
is_bin <- function(x) all(x %in% c(0, 1))
bvar <- function(x, w = rep(1, length(x))) { p <- sum(w * x) / sum(w); p * (1 - p) }
ess <- function(w) sum(w)^2 / sum(w^2)

balance <- function(name, analysis, X, z, w, estimand) {
  for (v in names(X)) {
    x <- X[[v]]; b <- is_bin(x)
    x1 <- x[z == 1]; x0 <- x[z == 0]; w1 <- w[z == 1]; w0 <- w[z == 0]
    v1 <- if (b) bvar(x1) else var(x1); v0 <- if (b) bvar(x0) else var(x0)
    s <- if (estimand == "ATT") sqrt(v1) else sqrt((v1 + v0) / 2)
    put(name, analysis, v, "smd_before", (mean(x1) - mean(x0)) / s)
    put(name, analysis, v, "smd_after",
        (sum(w1 * x1) / sum(w1) - sum(w0 * x0) / sum(w0)) / s)
    if (!b) {
      put(name, analysis, v, "variance_ratio_before", var(x1) / var(x0))
      k1 <- w1 > 0; k0 <- w0 > 0
      put(name, analysis, v, "variance_ratio_after",
          wvar(x1[k1], w1[k1]) / wvar(x0[k0], w0[k0]))
    }
  }
  put(name, analysis, "treated", "ess_after", ess(w[z == 1]))
  put(name, analysis, "reference", "ess_after", ess(w[z == 0]))
}

for (name in names(sets)) {
  s <- sets[[name]]; d <- s$data
  f <- reformulate(s$covs, "treated")
  fit <- glm(f, family = binomial, data = d, control = glm.control(epsilon = 1e-14, maxit = 100))
  e <- fitted(fit); z <- d$treated; p <- mean(z)
  for (i in seq_len(s$rows)) put(name, "ps", as.character(i), "ps", e[i])
  put(name, "ps", "all", "sum_logit", sum(qlogis(e)))
  wts <- list(
    iptw = ifelse(z == 1, p / e, (1 - p) / (1 - e)),
    att = ifelse(z == 1, 1, e / (1 - e)),
    overlap = ifelse(z == 1, 1 - e, e)
  )
  est <- c(iptw = "ATE", att = "ATT", overlap = "ATO")
  X <- split_covs(d, s$covs)
  for (m in names(wts)) {
    w <- wts[[m]]
    for (i in seq_len(s$rows)) put(name, m, as.character(i), "weight", w[i])
    put(name, m, "all", "sum", sum(w)); put(name, m, "all", "sum_sq", sum(w^2))
    balance(name, m, X, z, w, est[[m]])
  }
  # trimmed IPTW: scores outside [0.1, 0.9] dropped, stabilised on the rest
  keep <- e >= 0.1 & e <= 0.9
  pk <- mean(z[keep])
  wt <- ifelse(keep, ifelse(z == 1, pk / e, (1 - pk) / (1 - e)), 0)
  put(name, "iptw_trim", "all", "n_trimmed", sum(!keep))
  put(name, "iptw_trim", "all", "sum", sum(wt)); put(name, "iptw_trim", "all", "sum_sq", sum(wt^2))
  balance(name, "iptw_trim", X, z, wt, "ATE")
  d$lp_ <- predict(fit)  # the logit of the PS, as MatchIt's distance
  for (ratio in 1) {
    m <- matchit(f, data = d, method = "nearest", distance = "glm", link = "linear.logit",
                 caliper = 0.2, replace = FALSE, ratio = ratio, mahvars = ~lp_)
    a <- paste0("match", ratio)
    mm <- m$match.matrix
    for (r in seq_len(nrow(mm))) for (j in seq_len(ncol(mm))) {
      if (!is.na(mm[r, j])) put(name, a, rownames(mm)[r], "control", as.integer(mm[r, j]))
    }
    sub <- m$subclass
    put(name, a, "all", "n_matched", sum(!is.na(sub)))
    put(name, a, "all", "caliper", m$caliper)
    balance(name, a, X, z, ifelse(is.na(sub), 0, 1), "ATT")
  }
}
write.csv(out, "tests/results/adjust.csv", row.names = FALSE)
cat(sprintf("R %s, MatchIt %s, survival %s\n", getRversion(), packageVersion("MatchIt"),
            packageVersion("survival")))
