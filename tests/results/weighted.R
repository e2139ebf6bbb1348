# Reference values for weighted analyses: lm/glm with weights, survey::svyglm (sandwich),
# weighted Kaplan-Meier (robust SE), survey::svylogrank, on propensity weights and on a
# matched set (clusters = matched pairs).
#
# Re-run from the repository root:   Rscript tests/results/weighted.R
# Produced with R 4.2.2, survival 3.5-3, survey 4.1.1, MatchIt 4.5.1.
# Writes tests/results/weighted.csv (dataset, analysis, term, stat, value; 17 significant
# digits). Needs tests/data/rotterdam.csv (written by tests/results/adjust.R).
#
# Data: the bundled example cohort (treated = lenalidomide) and survival's rotterdam
# (treated = hormon). Weights: stabilised IPTW from glm(treated ~ covariates, binomial),
# computed in base R. Matching: MatchIt::matchit(method = "nearest", distance = "glm",
# link = "linear.logit", caliper = 0.2, mahvars = ~lp_) (see adjust.R for why mahvars).
# * lm(y ~ ..., weights = w) and glm(y ~ ..., binomial, weights = w): model-based SEs;
# * svyglm(y ~ ..., svydesign(ids = ~1, weights = ~w), family = gaussian() /
#   quasibinomial()): coefficients, SEs, t (df.residual), p, confint (t, df.residual);
# * matched: svydesign(ids = ~subclass, weights = ~1) on the matched rows;
# * survfit(Surv(t, e) ~ treated, weights = w) (robust IJ SE, R's default for non-integer
#   weights) and survfit(..., cluster = subclass) on the matched rows: summary at times;
#   The landmark differences S1 - S0 at those times (SE sqrt(se1^2 + se0^2), Wald CI, z p);
# * svylogrank(Surv(t, e) ~ treated, design): score, SE, z, chisq, p;
# * ordinal::clm(g ~ treated, weights = w) (model-based SE) and survey::svyolr(g ~ treated,
#   design) (sandwich SE; its bread is optim's finite-difference Hessian, so the SEs are
#   compared at 1e-3): g the worst AE grade (example) or the tumour size
#   group <=20 / 20-50 / >50 (rotterdam, ~ treated + age);
# * survfit(Surv(t, factor(status)) ~ treated, weights = w) (Aalen-Johansen; robust SE) and,
#   matched, with cluster = subclass: cumulative incidence of causes 1 and 2 at times;
# * coxph(Surv(t, e) ~ treated, weights = w, robust = TRUE) and, matched,
#   coxph(Surv(t, e) ~ treated + cluster(subclass)): HR, robust SE, p, CI; on the example
#   also with age in the model (the os endpoint's formula ~ arm + age), *_age.
suppressPackageStartupMessages({library(survival); library(survey); library(MatchIt)
                                 library(ordinal)})
options(stringsAsFactors = FALSE)
out <- data.frame(dataset = character(), analysis = character(), term = character(),
                  stat = character(), value = character())
put <- function(dataset, analysis, term, stat, value) {
  out[nrow(out) + 1, ] <<- list(dataset, analysis, term, stat, sprintf("%.17g", value))
}

ex <- read.csv("mdsrs_core/example/data/patients.csv")
ex$treated <- as.integer(ex$arm == "lenalidomide")
ex$responder <- as.integer(ex$response %in% c("CR", "PR", "mCR", "HI"))
rot <- read.csv("tests/data/rotterdam.csv")
rot$treated <- rot$hormon
sets <- list(
  example = list(d = ex, ps = treated ~ age + sex + transfusion_dependent + sf3b1 + hgb_base +
                   plt_base, bin = responder ~ treated, cont = hgb_post ~ treated + hgb_base,
                 time = "os_months", event = "death", times = c(12, 36, 60)),
  rotterdam = list(d = rot, ps = treated ~ age + meno + size + grade + nodes + pgr + er,
                   bin = death ~ treated, cont = pgr ~ treated + age,
                   time = "dtime", event = "death", times = c(1000, 2000, 3000))
)

coefs <- function(name, a, m, tdf = NULL) {
  cf <- coef(summary(m))
  ci <- if (is.null(tdf)) confint.default(m) else confint(m)
  for (t in rownames(cf)) {
    put(name, a, t, "estimate", cf[t, 1]); put(name, a, t, "std_error", cf[t, 2])
    put(name, a, t, "statistic", cf[t, 3]); put(name, a, t, "p_value", cf[t, 4])
    put(name, a, t, "conf_low", ci[t, 1]); put(name, a, t, "conf_high", ci[t, 2])
  }
}
km <- function(name, a, s, times) {
  x <- summary(s, times = times)
  st <- as.character(x$strata)
  for (i in seq_along(x$time)) {
    key <- paste0(st[i], "@", x$time[i])
    put(name, a, key, "surv", x$surv[i]); put(name, a, key, "std_err", x$std.err[i])
    put(name, a, key, "n_risk", x$n.risk[i]); put(name, a, key, "n_event", x$n.event[i])
    put(name, a, key, "conf_low", x$lower[i]); put(name, a, key, "conf_high", x$upper[i])
  }
}
# between-arm difference of the weighted (or pair-clustered) Kaplan-Meier survival at each
# time: S1 - S0 with SE sqrt(se1^2 + se0^2) from the robust (IJ) SEs of summary(), Wald 95% CI
# (qnorm) and two-sided z-test p
kmdiff <- function(name, a, s, times) {
  x <- summary(s, times = times)
  st <- as.character(x$strata)
  for (t in times) {
    i0 <- which(st == "treated=0" & x$time == t); i1 <- which(st == "treated=1" & x$time == t)
    if (length(i0) != 1 || length(i1) != 1) next
    est <- x$surv[i1] - x$surv[i0]; se <- sqrt(x$std.err[i1]^2 + x$std.err[i0]^2)
    key <- paste0("@", t)
    put(name, a, key, "estimate", est); put(name, a, key, "std_error", se)
    put(name, a, key, "statistic", est / se); put(name, a, key, "p_value", 2 * pnorm(-abs(est / se)))
    put(name, a, key, "conf_low", est - qnorm(0.975) * se)
    put(name, a, key, "conf_high", est + qnorm(0.975) * se)
  }
}
logrank <- function(name, a, f, des) {
  r <- svylogrank(f, des)
  tab <- r[[1]]  # columns: score, se, z, p (the last three unnamed by survey)
  put(name, a, "treated", "score", tab[1, 1]); put(name, a, "treated", "se", tab[1, 2])
  put(name, a, "treated", "z", tab[1, 3]); put(name, a, "treated", "chisq", r[[2]][1])
  put(name, a, "treated", "p_value", r[[2]][2])
}

aj <- function(name, a, s, times) {
  x <- summary(s, times = times)
  st <- as.character(x$strata)
  for (i in seq_along(x$time)) for (k in 2:3) {  # columns: (s0), 1, 2
    key <- paste0(st[i], "@", x$time[i], "#", k - 1)
    put(name, a, key, "estimate", x$pstate[i, k]); put(name, a, key, "std_err", x$std.err[i, k])
    put(name, a, key, "conf_low", x$lower[i, k]); put(name, a, key, "conf_high", x$upper[i, k])
  }
}
# E-values (VanderWeele & Ding 2017) written out in base R (the EValue package is not
# installed): RR -> RR + sqrt(RR (RR - 1)) after inverting an RR < 1; a common outcome's OR ->
# sqrt(OR), HR -> (1 - 0.5^sqrt(HR)) / (1 - 0.5^sqrt(1/HR)); the CI limit closer to 1, or 1
# when the CI includes 1
evalue_rr <- function(rr) { rr <- ifelse(rr < 1, 1 / rr, rr); rr + sqrt(rr * (rr - 1)) }
to_rr <- function(x, measure, rare) {
  if (rare) return(x)
  if (measure == "OR") return(sqrt(x))
  (1 - 0.5^sqrt(x)) / (1 - 0.5^sqrt(1 / x))
}
evalues <- function(name, a, est, lo, hi, measure, rare) {
  r <- to_rr(c(est, lo, hi), measure, rare)
  ci <- if (r[2] <= 1 && 1 <= r[3]) 1 else evalue_rr(if (r[1] > 1) r[2] else r[3])
  put(name, a, "treated", "evalue", evalue_rr(r[1])); put(name, a, "treated", "evalue_ci", ci)
}
coefs_cox <- function(name, a, m) {
  cf <- summary(m)$coefficients  # coef, exp(coef), se(coef), robust se, z, p
  ci <- summary(m)$conf.int
  put(name, a, "treated", "estimate", cf[1, "exp(coef)"])
  put(name, a, "treated", "std_error", cf[1, "robust se"])
  put(name, a, "treated", "p_value", cf[1, "Pr(>|z|)"])
  put(name, a, "treated", "conf_low", ci[1, "lower .95"])
  put(name, a, "treated", "conf_high", ci[1, "upper .95"])
}

for (name in names(sets)) {
  s <- sets[[name]]; d <- s$d
  fit <- glm(s$ps, binomial, d, control = glm.control(epsilon = 1e-14, maxit = 100))
  e <- fitted(fit); p <- mean(d$treated)
  d$w <- ifelse(d$treated == 1, p / e, (1 - p) / (1 - e))
  des <- svydesign(ids = ~1, weights = ~w, data = d)
  coefs(name, "lm_weights", lm(s$cont, d, weights = w), tdf = TRUE)
  coefs(name, "glm_weights", suppressWarnings(glm(s$bin, binomial, d, weights = w,
                                                control = glm.control(epsilon = 1e-14))))
  coefs(name, "svyglm_gaussian", svyglm(s$cont, des), tdf = TRUE)
  coefs(name, "svyglm_quasibinomial", svyglm(s$bin, des, family = quasibinomial()), tdf = TRUE)
  sf <- as.formula(paste0("Surv(", s$time, ", ", s$event, ") ~ treated"))
  km(name, "survfit_weights", survfit(sf, d, weights = w), s$times)
  kmdiff(name, "survfit_weights_diff", survfit(sf, d, weights = w), s$times)
  logrank(name, "svylogrank", sf, des)
  if (name == "example") {  # proportional odds of the worst AE grade
    d$g <- factor(d$ae_max_grade, ordered = TRUE)
    og <- g ~ treated
  } else {  # rotterdam: tumour size group
    d$g <- factor(d$size, levels = c("<=20", "20-50", ">50"), ordered = TRUE)
    og <- g ~ treated + age
  }
  oc <- clm(og, data = d, weights = w, control = clm.control(gradTol = 1e-10))
  cf <- coef(summary(oc))
  for (t in rownames(cf)) {
    put(name, "clm_weights", t, "estimate", cf[t, 1]); put(name, "clm_weights", t, "std_error", cf[t, 2])
  }
  des <- svydesign(ids = ~1, weights = ~w, data = d)
  # optim (BFGS) run to reltol 1e-15 so the estimates are the exact MLE; its Hessian (the
  # sandwich's bread) is optim's finite-difference one
  so <- svyolr(og, des, control = list(reltol = 1e-15, maxit = 5000))
  se <- sqrt(diag(vcov(so)))
  for (t in names(se)) put(name, "svyolr", t, "std_error", se[[t]])
  # competing risks: cause 1 (AML / recurrence) and 2 (death without it)
  if (name == "example") {
    d$st_ <- ifelse(d$aml == 1, 1, ifelse(d$death == 1, 2, 0))
    d$tt_ <- ifelse(d$aml == 1, d$aml_months, d$os_months)
  } else {
    d$st_ <- ifelse(d$recur == 1, 1, ifelse(d$death == 1, 2, 0))
    d$tt_ <- ifelse(d$recur == 1, d$rtime, d$dtime)
  }
  aj(name, "aj_weights", survfit(Surv(tt_, factor(st_)) ~ treated, d, weights = w), s$times)
  cox <- coxph(sf, d, weights = w, robust = TRUE)
  coefs_cox(name, "coxph_weights", cox)
  ci <- summary(cox)$conf.int
  evalues(name, "evalue_hr", ci[1, 1], ci[1, 3], ci[1, 4], "HR", mean(d[[s$event]]) < 0.15)
  qb <- svyglm(s$bin, des, family = quasibinomial())
  orc <- exp(c(coef(qb)[2], confint(qb)[2, ]))
  evalues(name, "evalue_or", orc[1], orc[2], orc[3], "OR", mean(d[[all.vars(s$bin)[1]]]) < 0.15)
  # matched set: pairs as clusters
  d$lp_ <- predict(fit)
  mt <- matchit(s$ps, data = d, method = "nearest", distance = "glm", link = "linear.logit",
                caliper = 0.2, mahvars = ~lp_)
  md <- match.data(mt)
  mdes <- svydesign(ids = ~subclass, weights = ~1, data = md)
  coefs(name, "svyglm_gaussian_matched", svyglm(s$cont, mdes), tdf = TRUE)
  coefs(name, "svyglm_quasibinomial_matched", svyglm(s$bin, mdes, family = quasibinomial()),
        tdf = TRUE)
  km(name, "survfit_matched", survfit(sf, md, cluster = subclass), s$times)
  kmdiff(name, "survfit_matched_diff", survfit(sf, md, cluster = subclass), s$times)
  logrank(name, "svylogrank_matched", sf, mdes)
  aj(name, "aj_matched", survfit(Surv(tt_, factor(st_)) ~ treated, md, cluster = subclass),
     s$times)
  coefs_cox(name, "coxph_matched",
            coxph(update(sf, . ~ . + cluster(subclass)), md))
  if (name == "example") {  # the os endpoint's own Cox formula with a covariate: ~ arm + age
    coefs_cox(name, "coxph_weights_age", coxph(update(sf, . ~ . + age), d, weights = w,
                                               robust = TRUE))
    coefs_cox(name, "coxph_matched_age",
              coxph(update(sf, . ~ . + age + cluster(subclass)), md))
  }
}
write.csv(out, "tests/results/weighted.csv", row.names = FALSE)
cat(sprintf("R %s, survival %s, survey %s, MatchIt %s\n", getRversion(),
            packageVersion("survival"), packageVersion("survey"), packageVersion("MatchIt")))
