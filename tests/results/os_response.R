# Reference values for "does response prolong survival?" in the `os` endpoint
# (plugins/mdsrs_survival/response_survival.py): response as a time-dependent covariate
# (Mantel & Byar 1974) and the landmark analysis (Anderson, Cain & Gelber 1983).
#
# Re-run from the repository root:   Rscript tests/results/os_response.R
# Produced with R and survival (stopifnot below). Writes
#   tests/results/os_response.csv  variable, arm, level, stat, value (17 significant digits):
#       the endpoint's os_response_* records on the bundled example cohort (ties = "efron",
#       landmark 6 months), and the same analyses on survival's `jasa` data (Stanford heart
#       transplant: transplant as the "response", wait.time as its time, the classic
#       Mantel-Byar example), variable prefix "jasa_";
#   tests/data/jasa.csv            jasa's futime, fustat, wait.time, transplant, age.
# The follow-up is split with survival::tmerge (tdc), as R users do; the Mantel-Byar test
# is the score test of the counting-process coxph; the landmark analysis keeps the
# patients with os_months > L, response by L (response_months <= L), time from L.
suppressPackageStartupMessages(library(survival))
stopifnot(packageVersion("survival") >= "3.5.3")
g <- function(x) sprintf("%.17g", x)
out <- data.frame(variable = character(), arm = character(), level = character(),
                  stat = character(), value = character())
put <- function(variable, level, stat, value)
  out[nrow(out) + 1, ] <<- list(variable, "", level, stat, g(value))

hr_records <- function(prefix, level, fit) {
  s <- summary(fit)$coefficients
  ci <- summary(fit)$conf.int
  put(prefix, level, "estimate", ci["responded", "exp(coef)"])
  put(prefix, level, "std_error", s["responded", "se(coef)"])
  put(prefix, level, "statistic", s["responded", "z"])
  put(prefix, level, "p_value", s["responded", "Pr(>|z|)"])
  put(prefix, level, "conf_low", ci["responded", "lower .95"])
  put(prefix, level, "conf_high", ci["responded", "upper .95"])
}
test_records <- function(prefix, level, stat, df) {
  put(prefix, level, "statistic", stat)
  put(prefix, level, "df", df)
  put(prefix, level, "p_value", pchisq(stat, df, lower.tail = FALSE))
}

analyse <- function(d, landmark, hr = "os_response_hr", test = "os_response_test",
                    flow = "os_response_flow", lflow = "os_response_landmark_flow") {
  # d: id, arm, os_months, death, responder (0/1), response_months (NA for non-responders)
  put(flow, "patients", "n", nrow(d))
  put(flow, "responders", "n", sum(d$responder))
  base <- d[, c("id", "arm", "os_months", "death")]
  sp <- tmerge(base, base, id = id, death = event(os_months, death))
  resp <- d[d$responder == 1, c("id", "response_months")]
  sp <- tmerge(sp, resp, id = id, responded = tdc(response_months))
  sp$responded[is.na(sp$responded)] <- 0
  put(flow, "intervals", "n", nrow(sp))
  td <- coxph(Surv(tstart, tstop, death) ~ responded, data = sp)
  hr_records(hr, "time_dependent", td)
  test_records(test, "mantel_byar", td$score, 1)
  test_records(test, "likelihood_ratio", 2 * diff(td$loglik), 1)
  if (length(unique(d$arm)) > 1) {
    hr_records(hr, "time_dependent_arm",
               coxph(Surv(tstart, tstop, death) ~ responded + arm, data = sp))
  }
  d$responded <- d$responder
  hr_records(hr, "naive", coxph(Surv(os_months, death) ~ responded, data = d))
  # landmark
  lm <- d[d$os_months > landmark, ]
  put(lflow, "excluded: died by the landmark", "n", sum(d$os_months <= landmark & d$death == 1))
  put(lflow, "excluded: censored by the landmark", "n",
      sum(d$os_months <= landmark & d$death == 0))
  by_then <- lm$responder == 1 & lm$response_months <= landmark
  put(lflow, "responded after the landmark (counted as non-responders)", "n",
      sum(lm$responder == 1 & !by_then))
  lm$responded <- as.integer(by_then)
  lm$time_from_landmark <- lm$os_months - landmark
  put(lflow, "patients", "n", nrow(lm))
  put(lflow, "responders", "n", sum(lm$responded))
  put(lflow, "deaths", "n", sum(lm$death))
  hr_records(hr, "landmark", coxph(Surv(time_from_landmark, death) ~ responded, data = lm))
  sd <- survdiff(Surv(time_from_landmark, death) ~ responded, data = lm)
  test_records(test, "landmark_logrank", sd$chisq, 1)
}

# ----------------------------------------------------------------------------- example
pts <- read.csv("mdsrs_core/example/data/patients.csv", stringsAsFactors = FALSE)
pts$arm <- factor(pts$arm, levels = c("thalidomide", "lenalidomide"))
pts$id <- seq_len(nrow(pts))
pts$responder <- as.integer(pts$response %in% c("CR", "PR", "mCR", "HI"))
analyse(pts, landmark = 6)

# ----------------------------------------------------------------------------- jasa
j <- survival::jasa
write.csv(data.frame(futime = j$futime, fustat = j$fustat, wait.time = j$wait.time,
                     transplant = j$transplant, age = j$age),
          "tests/data/jasa.csv", row.names = FALSE, na = "")
j <- j[j$futime > 0, ]  # one patient died on the day of acceptance: no follow-up
jd <- data.frame(id = seq_len(nrow(j)), arm = "all", os_months = j$futime,
                 death = j$fustat, responder = j$transplant, response_months = j$wait.time)
analyse(jd, landmark = 30, hr = "jasa_hr", test = "jasa_test", flow = "jasa_flow",
        lflow = "jasa_landmark_flow")

write.csv(out, "tests/results/os_response.csv", row.names = FALSE)
cat("wrote tests/results/os_response.csv\n")
