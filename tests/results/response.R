# Reference values for the `response` endpoint and mdsrs_core.binary_outcome.compare_binary.
#
# Re-run from the repository root:   Rscript tests/results/response.R
# Writes tests/results/response.csv (scenario, variable, arm, level, stat, value; 17
# significant digits; "NA" where R gives NA/NaN).
# Produced with R 4.2.2, base R and stats only:
#   * per arm: binom.test (Clopper-Pearson) or prop.test(correct = FALSE) (Wilson) intervals;
#   * difference: Newcombe's hybrid score interval (method 10) written out from prop.test's
#     Wilson limits (no base-R function);
#   * odds ratio: glm(binomial), exponentiated, Wald interval (confint.default); the LR test of
#     arm is anova(reduced, full, test = "Chisq");
#   * gtsummary's add_p() rule (gtsummary not installed): chisq.test(correct = FALSE) when every
#     expected count >= 5, else fisher.test;
#   * panel: fisher.test, chisq.test(correct = TRUE), chisq.test(correct = FALSE);
#   * separated data (zero/all responders in an arm, no responders at all): logistf is NOT
#     installed, so Firth's penalised logistic regression is written out in base R in
#     tests/results/_firth.R (shared with logistf.R): estimate, profile penalised-likelihood
#     interval (uniroot), penalised LR test of arm = 0;
#   * lab-derived responders (scenario "labs", the example cohort without its response column):
#     IWG 2006 hematologic improvement (Cheson et al., Blood 2006;108:419-425) written out below.

source("tests/results/_firth.R")  # firth_pieces, firth_fit, profile_pll

out <- data.frame(scenario = character(), variable = character(), arm = character(),
                  level = character(), stat = character(), value = character())
put <- function(scenario, variable, arm, level, stat, value) {
  v <- if (is.na(value) || is.nan(value)) "NA" else sprintf("%.17g", value)
  out[nrow(out) + 1, ] <<- list(scenario, variable, arm, level, stat, v)
}

compare <- function(sc, d, formula = responder ~ arm, ci = "clopper-pearson") {
  arms <- levels(d$arm)
  for (a in arms) {
    y <- d$responder[d$arm == a]
    x <- sum(y)
    n <- length(y)
    put(sc, "responder", a, "", "n", x)
    put(sc, "responder", a, "", "N", n)
    put(sc, "responder", a, "", "p", x / n)
    ciw <- if (ci == "wilson") prop.test(x, n, correct = FALSE)$conf.int else binom.test(x, n)$conf.int
    put(sc, "responder", a, "", "conf_low", ciw[1])
    put(sc, "responder", a, "", "conf_high", ciw[2])
  }
  x0 <- sum(d$responder[d$arm == arms[1]]); n0 <- sum(d$arm == arms[1])
  x1 <- sum(d$responder[d$arm == arms[2]]); n1 <- sum(d$arm == arms[2])
  w0 <- prop.test(x0, n0, correct = FALSE)$conf.int
  w1 <- prop.test(x1, n1, correct = FALSE)$conf.int
  p0 <- x0 / n0; p1 <- x1 / n1
  put(sc, "responder", "", "difference", "estimate", p1 - p0)
  put(sc, "responder", "", "difference", "conf_low", p1 - p0 - sqrt((p1 - w1[1])^2 + (w0[2] - p0)^2))
  put(sc, "responder", "", "difference", "conf_high", p1 - p0 + sqrt((w1[2] - p1)^2 + (p0 - w0[1])^2))
  term <- paste0("arm[T.", arms[2], "]")
  separated <- x0 %in% c(0, n0) || x1 %in% c(0, n1)
  if (!separated) {
    fit <- glm(formula, family = binomial, data = d, control = glm.control(epsilon = 1e-14, maxit = 100))
    s <- summary(fit)$coefficients
    ci <- confint.default(fit)
    for (j in 2:nrow(s)) {
      tname <- rownames(s)[j]
      tname <- if (startsWith(tname, "arm")) term else tname
      put(sc, "responder", "", tname, "estimate", exp(s[j, 1]))
      put(sc, "responder", "", tname, "std_error", s[j, 2])
      put(sc, "responder", "", tname, "statistic", s[j, 3])
      put(sc, "responder", "", tname, "p_value", s[j, 4])
      put(sc, "responder", "", tname, "conf_low", exp(ci[j, 1]))
      put(sc, "responder", "", tname, "conf_high", exp(ci[j, 2]))
    }
    reduced <- update(formula, . ~ . - arm)
    fit0 <- glm(reduced, family = binomial, data = d, control = glm.control(epsilon = 1e-14, maxit = 100))
    a <- anova(fit0, fit, test = "Chisq")
    put(sc, "responder", "", "lrt", "statistic", a$Deviance[2])
    put(sc, "responder", "", "lrt", "df", a$Df[2])
    put(sc, "responder", "", "lrt", "p_value", a[2, "Pr(>Chi)"])
  } else {
    X <- model.matrix(formula, d)
    y <- d$responder
    fit <- firth_fit(X, y)
    se <- sqrt(diag(solve(firth_pieces(X, y, fit$b)$I)))
    target <- fit$pll - qchisq(0.95, 1) / 2
    for (j in 2:ncol(X)) {
      tname <- if (startsWith(colnames(X)[j], "arm")) term else colnames(X)[j]
      f <- function(v) profile_pll(X, y, fit, j, v) - target
      limits <- c()
      for (direction in c(-1, 1)) {
        width <- max(se[j], 0.1); inner <- fit$b[j]; outer <- inner + direction * width
        while (f(outer) > 0) { inner <- outer; outer <- outer + direction * width; width <- width * 2 }
        limits <- c(limits, uniroot(f, sort(c(inner, outer)), tol = 1e-12)$root)
      }
      chisq <- max(0, 2 * (fit$pll - profile_pll(X, y, fit, j, 0)))
      put(sc, "responder", "", tname, "estimate", exp(fit$b[j]))
      put(sc, "responder", "", tname, "std_error", se[j])
      put(sc, "responder", "", tname, "statistic", chisq)
      put(sc, "responder", "", tname, "p_value", pchisq(chisq, 1, lower.tail = FALSE))
      put(sc, "responder", "", tname, "conf_low", exp(limits[1]))
      put(sc, "responder", "", tname, "conf_high", exp(limits[2]))
      if (startsWith(colnames(X)[j], "arm")) {
        put(sc, "responder", "", "lrt", "statistic", chisq)
        put(sc, "responder", "", "lrt", "df", 1)
        put(sc, "responder", "", "lrt", "p_value", pchisq(chisq, 1, lower.tail = FALSE))
      }
    }
  }
  tab <- table(d$arm, factor(d$responder, levels = c(0, 1)))
  expected <- outer(rowSums(tab), colSums(tab)) / sum(tab)
  fisher <- fisher.test(matrix(tab, 2))
  pearson <- suppressWarnings(chisq.test(matrix(tab, 2), correct = FALSE))
  yates <- suppressWarnings(chisq.test(matrix(tab, 2), correct = TRUE))
  chosen <- if (min(expected) >= 5) pearson else fisher
  if (!is.null(chosen$statistic)) put(sc, "responder", "", "chosen_test", "statistic", chosen$statistic)
  put(sc, "responder", "", "chosen_test", "p_value", chosen$p.value)
  put(sc, "responder", "", "fisher", "p_value", fisher$p.value)
  put(sc, "responder", "", "fisher", "estimate", fisher$estimate)
  put(sc, "responder", "", "fisher", "conf_low", fisher$conf.int[1])
  put(sc, "responder", "", "fisher", "conf_high", fisher$conf.int[2])
  for (t in list(list("pearson", pearson), list("yates", yates))) {
    put(sc, "responder", "", t[[1]], "statistic", t[[2]]$statistic)
    put(sc, "responder", "", t[[1]], "p_value", t[[2]]$p.value)
  }
}

d <- read.csv("mdsrs_core/example/data/patients.csv", stringsAsFactors = FALSE)
d$arm <- factor(d$arm, levels = c("thalidomide", "lenalidomide"))
d$responder <- as.numeric(d$response %in% c("CR", "PR", "mCR", "HI"))
for (a in levels(d$arm)) {
  r <- factor(d$response[d$arm == a], levels = c("CR", "PR", "mCR", "HI", "SD", "PD"))
  put("example", "response", a, "", "N", length(r))
  for (l in levels(r)) {
    put("example", "response", a, l, "n", sum(r == l))
    put("example", "response", a, l, "p", mean(r == l))
  }
}
compare("example", d)
compare("example_wilson", d, ci = "wilson")
compare("example_age", d, responder ~ arm + age)
zero <- d; zero$responder[zero$arm == "lenalidomide"] <- 0
compare("zero", zero)
compare("zero_age", zero, responder ~ arm + age)
all <- d; all$responder[all$arm == "lenalidomide"] <- 1
compare("all", all)
none <- d; none$responder <- 0
compare("none", none)

# IWG 2006 hematologic improvement from the labs (no response column)
r9 <- function(x) round(x, 9)
hb <- d$hgb_base; ha <- d$hgb_post; pb <- d$plt_base; pa <- d$plt_post
nb <- d$anc_base; na <- d$anc_post
ev_e <- !is.na(hb) & hb < 11 & !is.na(ha)
ev_p <- !is.na(pb) & pb < 100 & !is.na(pa)
ev_n <- !is.na(nb) & nb < 1.0 & !is.na(na)
hi_e <- ifelse(ev_e, as.numeric(r9(ha - hb) >= 1.5), NA)
hi_p <- ifelse(ev_p, as.numeric(ifelse(pb >= 20, r9(pa - pb) >= 30,
                                       pa > 20 & r9(pa - 2 * pb) >= 0)), NA)
hi_n <- ifelse(ev_n, as.numeric(r9(na - 2 * nb) >= 0 & r9(na - nb) > 0.5), NA)
labs <- d
labs$responder <- ifelse(ev_e | ev_p | ev_n,
                         as.numeric(pmax(hi_e, hi_p, hi_n, na.rm = TRUE) > 0), NA)
for (a in levels(d$arm)) {
  for (v in list(list("hi_e", hi_e), list("hi_p", hi_p), list("hi_n", hi_n))) {
    x <- v[[2]][d$arm == a]
    x <- x[!is.na(x)]
    put("labs", v[[1]], a, "", "n", sum(x))
    put("labs", v[[1]], a, "", "N", length(x))
  }
  put("labs", "flow", a, "", "n_excluded", sum(is.na(labs$responder) & d$arm == a))
}
compare("labs", labs[!is.na(labs$responder), ])

write.csv(out, "tests/results/response.csv", row.names = FALSE)
