# Reference values for mdsrs_core.models.logistf (Firth's penalised logistic regression).
#
# Re-run from the repository root:   Rscript tests/results/logistf.R
# Writes tests/results/logistf.csv (dataset, term, stat, value; 17 significant digits).
# Produced with R 4.2.2 (base R and stats only).
#
# logistf is NOT installed here (and cannot be), so Firth's method is written out in base R:
#   * penalised log-likelihood l*(b) = l(b) + 1/2 log det(X'WX) (Firth 1993), maximised by
#     Newton steps b <- b + (X'WX)^-1 U*(b) with Firth's modified score
#     U* = X'(y - pi + h (1/2 - pi)), h = diag of the hat matrix W^1/2 X (X'WX)^-1 X' W^1/2
#     (Heinze & Schemper 2002), step halving when l* decreases, steps capped at 5
#     (logistf.control(maxstep = 5)), to a tolerance of 1e-10 (logistf stops at 1e-5);
#   * profile penalised-likelihood intervals (logistf's default pl = TRUE): the roots of
#     2 (l*(b_hat) - max_{b_-j} l*(b_j, b_-j)) = qchisq(0.95, 1), by uniroot(tol = 1e-12);
#   * p-values: penalised likelihood-ratio test of b_j = 0 (others re-maximised, penalty of
#     the full design), chisq 1 df, as logistf's "prob";
#   * overall test (logistf's summary "Likelihood ratio test"): against the model with only
#     the intercept free and the other coefficients fixed at 0 (penalty of the full design);
#   * var = solve(X'WX) at b_hat; Wald intervals b -/+ qnorm(0.975) se (logistf pl = FALSE).
# Check of the implementation: for a single binary covariate the Firth estimate is the
# log odds ratio of the table with 0.5 added to every cell (Firth 1993, sec. 3.1); this
# script stops if that does not hold on the example cohort.
# Datasets: five patients of issue 12 (tiny), the bundled example cohort (responder = response in CR, PR, mCR, HI), the same
# with constructed zero-responder / all-responder / no-event arms, and Spector & Mazzeo's
# (1980) data (Greene, Econometric Analysis, table F14.1; statsmodels.datasets.spector),
# written out below.

source("tests/results/_firth.R")  # firth_pieces, firth_fit, profile_pll

out <- data.frame(dataset = character(), term = character(), stat = character(),
                  value = character())
put <- function(dataset, term, stat, value) {
  out[nrow(out) + 1, ] <<- list(dataset, term, stat, sprintf("%.17g", value))
}

firth_reference <- function(name, formula, data) {
  mf <- model.frame(formula, data)
  X <- model.matrix(formula, mf)
  y <- as.numeric(model.response(mf))
  fit <- firth_fit(X, y)
  var <- solve(firth_pieces(X, y, fit$b)$I)
  se <- sqrt(diag(var))
  target <- fit$pll - qchisq(0.95, 1) / 2
  terms <- colnames(X)
  terms[terms == "(Intercept)"] <- "Intercept"
  terms <- sub("^arm(.*)$", "arm[T.\\1]", terms)
  for (j in seq_along(terms)) {
    f <- function(v) profile_pll(X, y, fit, j, v) - target
    limits <- c()
    for (direction in c(-1, 1)) {
      width <- max(se[j], 0.1)
      inner <- fit$b[j]
      outer <- inner + direction * width
      while (f(outer) > 0) {
        inner <- outer
        outer <- outer + direction * width
        width <- width * 2
      }
      limits <- c(limits, uniroot(f, sort(c(inner, outer)), tol = 1e-12)$root)
    }
    chisq <- max(0, 2 * (fit$pll - profile_pll(X, y, fit, j, 0)))
    put(name, terms[j], "estimate", fit$b[j])
    put(name, terms[j], "std_error", se[j])
    put(name, terms[j], "statistic", chisq)
    put(name, terms[j], "p_value", pchisq(chisq, 1, lower.tail = FALSE))
    put(name, terms[j], "conf_low", limits[1])
    put(name, terms[j], "conf_high", limits[2])
    put(name, terms[j], "wald_low", fit$b[j] - qnorm(0.975) * se[j])
    put(name, terms[j], "wald_high", fit$b[j] + qnorm(0.975) * se[j])
    put(name, terms[j], "wald_p_value", 2 * pnorm(-abs(fit$b[j] / se[j])))
  }
  free <- terms == "Intercept"
  null <- firth_fit(X, y, free, rep(0, ncol(X)))$pll
  lr <- 2 * (fit$pll - null)
  put(name, "", "logLik", fit$pll)
  put(name, "", "null_logLik", null)
  put(name, "", "lr_statistic", lr)
  put(name, "", "lr_p_value", pchisq(lr, ncol(X) - 1, lower.tail = FALSE))
  invisible(fit)
}

d <- read.csv("mdsrs_core/example/data/patients.csv", stringsAsFactors = FALSE)
d$arm <- factor(d$arm, levels = c("thalidomide", "lenalidomide"))
d$responder <- as.numeric(d$response %in% c("CR", "PR", "mCR", "HI"))

fit <- firth_reference("example", responder ~ arm, d)
tab <- table(d$arm, d$responder) + 0.5
haldane <- log(tab[2, 2] / tab[2, 1]) - log(tab[1, 2] / tab[1, 1])
stopifnot(abs(fit$b[2] - haldane) < 1e-9)

zero <- d
zero$responder[zero$arm == "lenalidomide"] <- 0
firth_reference("example_zero", responder ~ arm, zero)
firth_reference("example_zero_age", responder ~ arm + age, zero)
all <- d
all$responder[all$arm == "lenalidomide"] <- 1
firth_reference("example_all", responder ~ arm, all)
none <- d
none$responder <- 0
firth_reference("example_none", responder ~ arm, none)

spector <- data.frame(
  GPA = c(2.66, 2.89, 3.28, 2.92, 4.00, 2.86, 2.76, 2.87, 3.03, 3.92, 2.63, 3.32, 3.57, 3.26,
          3.53, 2.74, 2.75, 2.83, 3.12, 3.16, 2.06, 3.62, 2.89, 3.51, 3.54, 2.83, 3.39, 2.67,
          3.65, 4.00, 3.10, 2.39),
  TUCE = c(20, 22, 24, 12, 21, 17, 17, 21, 25, 29, 20, 23, 23, 25, 26, 19, 25, 19, 23, 25,
           22, 28, 14, 26, 24, 27, 17, 24, 21, 23, 21, 19),
  PSI = c(rep(0, 18), rep(1, 14)),
  GRADE = c(0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 1, 1,
            0, 1, 1, 0, 1))
firth_reference("spector", GRADE ~ GPA + TUCE + PSI, spector)
# five patients (issue 12): plain Fisher scoring cycles around the maximum; logistf's step
# halving (a step only when l* increases) converges: OR 3 (0.5 added to every cell), profile
# interval 0.0989 to 534.3, penalised likelihood-ratio p 0.538
tiny <- data.frame(y = c(0, 1, 0, 0, 1), x = c(0, 1, 1, 1, 1))
firth_reference("tiny", y ~ x, tiny)

write.csv(out, "tests/results/logistf.csv", row.names = FALSE)
