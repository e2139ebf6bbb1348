# Reference values for mdsrs_core.models.cuminc and mdsrs_core.models.crr
# (tests/test_cuminc.py, tests/test_crr.py).
#
# Re-run from the repository root:   Rscript tests/results/competing_risks.R
# Writes tests/results/competing_risks.json, tests/data/crr_sim.csv and tests/data/mgus2.csv.
# Produced with R 4.2.2, cmprsk 2.2.11, survival 3.5-3, jsonlite.
#
# Data sets:
#   * example  - the bundled example cohort; status 1 = AML at aml_months, 2 = death without
#                AML at os_months, 0 = censored at os_months;
#   * sim      - cmprsk's own example (help(crr)): set.seed(10); ftime <- rexp(200);
#                fstatus <- sample(0:2, 200, replace = TRUE); cov <- matrix(runif(600),
#                nrow = 200); plus a 3-level group and a 2-level stratum drawn after them;
#   * mgus2    - survival::mgus2 (Kyle et al. 2002), the competing risks of plasma-cell
#                malignancy (pstat = 1, at ptime) and death without it (at futime), as in
#                survival's "compete" vignette; many tied times.
suppressPackageStartupMessages({library(cmprsk); library(survival); library(jsonlite)})

cif <- function(fit, times) {
  # every curve in full (time, est, var) and cmprsk::timepoints at `times`
  tp <- timepoints(fit, times)
  curves <- fit[names(fit) != "Tests"]
  list(
    curves = lapply(curves, function(z) list(time = z$time, est = z$est, var = z$var)),
    names = names(curves),
    times = times,
    tp_est = lapply(seq_len(nrow(tp$est)), function(i) unname(tp$est[i, ])),
    tp_var = lapply(seq_len(nrow(tp$var)), function(i) unname(tp$var[i, ])),
    tests = if (is.null(fit$Tests)) NULL else list(
      cause = rownames(fit$Tests), stat = unname(fit$Tests[, "stat"]),
      pv = unname(fit$Tests[, "pv"]), df = unname(fit$Tests[, "df"]))
  )
}
crrfit <- function(z) {
  se <- sqrt(diag(z$var))
  list(coef = unname(z$coef), se = unname(se), z = unname(z$coef / se),
       p = unname(2 * (1 - pnorm(abs(z$coef / se)))), var = unname(z$var),
       loglik = z$loglik, loglik_null = z$loglik.null, converged = z$converged,
       n = z$n, inf = unname(z$inf))
}
out <- list()

# ---------------------------------------------------------------- example cohort
d <- read.csv("mdsrs_core/example/data/patients.csv", stringsAsFactors = FALSE)
d$arm <- factor(d$arm, levels = c("thalidomide", "lenalidomide"))
st <- ifelse(d$aml == 1, 1, ifelse(d$death == 1, 2, 0))
tt <- ifelse(d$aml == 1, d$aml_months, d$os_months)
x_arm <- model.matrix(~ arm, d)[, -1, drop = FALSE]
out$example <- list(
  cuminc = cif(cuminc(tt, st, d$arm), c(12, 36, 60, 100)),
  cuminc_rho1 = cif(cuminc(tt, st, d$arm, rho = 1), c(12, 36, 60)),
  cuminc_one_group = cif(cuminc(tt, st), c(12, 36, 60)),
  crr_arm = crrfit(crr(tt, st, x_arm)),
  crr_arm_age = crrfit(crr(tt, st, cbind(x_arm, age = d$age))),
  crr_death = crrfit(crr(tt, st, x_arm, failcode = 2))
)

# ---------------------------------------------------------------- simulated (cmprsk's example)
set.seed(10)
ftime <- rexp(200)
fstatus <- sample(0:2, 200, replace = TRUE)
cov <- matrix(runif(600), nrow = 200)
group <- sample(c("a", "b", "c"), 200, replace = TRUE)
stratum <- sample(1:2, 200, replace = TRUE)
sim <- data.frame(ftime = sprintf("%.17g", ftime), fstatus = fstatus,
                  x1 = sprintf("%.17g", cov[, 1]), x2 = sprintf("%.17g", cov[, 2]),
                  x3 = sprintf("%.17g", cov[, 3]), group = group, stratum = stratum)
write.csv(sim, "tests/data/crr_sim.csv", row.names = FALSE, quote = FALSE)
out$sim <- list(
  cuminc = cif(cuminc(ftime, fstatus, group), c(0.5, 1, 2)),
  cuminc_strata = cif(cuminc(ftime, fstatus, group, strata = stratum), c(0.5, 1, 2)),
  crr = crrfit(crr(ftime, fstatus, cov))
)

# ---------------------------------------------------------------- mgus2
m <- mgus2
m$etime <- ifelse(m$pstat == 0, m$futime, m$ptime)
m$event <- ifelse(m$pstat == 0, 2 * m$death, 1)
m$male <- as.numeric(m$sex == "M")
write.csv(m[, c("id", "age", "sex", "male", "etime", "event")], "tests/data/mgus2.csv",
          row.names = FALSE)
out$mgus2 <- list(
  cuminc = cif(cuminc(m$etime, m$event, m$sex), c(60, 120, 240)),
  crr = crrfit(crr(m$etime, m$event, cbind(age = m$age, male = m$male))),
  crr_death = crrfit(crr(m$etime, m$event, cbind(age = m$age, male = m$male),
                         failcode = 2))
)

out$versions <- list(R = R.version.string, cmprsk = as.character(packageVersion("cmprsk")),
                     survival = as.character(packageVersion("survival")))
write_json(out, "tests/results/competing_risks.json", digits = NA, auto_unbox = TRUE,
           pretty = FALSE)
