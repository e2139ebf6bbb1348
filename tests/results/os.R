# Reference values for the `os` endpoint (overall survival) and for cox_zph.
#
# Re-run from the repository root:   Rscript tests/results/os.R
# Produced with R 4.2.2, survival 3.5-3, jsonlite. Writes
#   tests/results/os.csv   the endpoint's records on the bundled example cohort
#                          (variable, arm, level, stat, value; 17 significant digits);
#   tests/results/os.json  constructed edge cases of the endpoint, cox.zph on lung and
#                          veteran (Efron and Breslow ties, strata, factor terms), and the
#                          numbers at risk of the KM figure.
# Written out in base R (no package for it here):
#   * landmark difference (Klein et al. 2007): S_trt(t) - S_ref(t), se = sqrt(se_trt^2 +
#     se_ref^2) with se the Greenwood standard error of S from summary(survfit, times = t),
#     Wald interval diff +/- qnorm(0.975) se, two-sided z-test p-value;
#   * restricted mean survival time: survRM2's method, tests/results/_rmst2.R;
#   * cumulative deaths by t: sum(death[time <= t]) per arm (recorded as n_event; R's
#     summary(times) n.event, the deaths since the previous landmark, as n_event_interval).
# coxph runs with R's defaults (eps = 1e-9); mdsrs iterates to 1e-12, which moves the
# figures by far less than the tests' rel = 1e-6.
suppressPackageStartupMessages({library(survival); library(jsonlite)})
source("tests/results/_rmst2.R")  # survRM2's RMST method in base R
stopifnot(packageVersion("survival") == "3.5.3")
g <- function(x) sprintf("%.17g", x)

example <- function() {
  d <- read.csv("mdsrs_core/example/data/patients.csv", stringsAsFactors = FALSE)
  d$arm <- factor(d$arm, levels = c("thalidomide", "lenalidomide"))
  d
}

term_name <- function(x) ifelse(grepl("^arm", x), paste0("arm[T.", sub("^arm", "", x), "]"), x)

os_records <- function(d, cox = "Surv(os_months, death) ~ arm", ties = "efron",
                       landmarks = c(12, 36, 60)) {
  out <- data.frame(variable = character(), arm = character(), level = character(),
                    stat = character(), value = character())
  put <- function(variable, arm, level, stat, value)
    out[nrow(out) + 1, ] <<- list(variable, arm, level, stat, g(value))
  d <- d[!is.na(d$os_months) & !is.na(d$death), ]
  arms <- levels(d$arm)
  fit <- survfit(Surv(os_months, death) ~ arm, data = d)
  tab <- summary(fit)$table
  est <- list()
  for (i in seq_along(arms)) {
    a <- arms[i]; da <- d[d$arm == a, ]
    put("os", a, "", "N", nrow(da)); put("os", a, "", "n_event", sum(da$death))
    row <- tab[i, ]
    put("os_median", a, "", "median", row[["median"]])
    put("os_median", a, "", "conf_low", row[["0.95LCL"]])
    put("os_median", a, "", "conf_high", row[["0.95UCL"]])
    fa <- survfit(Surv(os_months, death) ~ 1, data = da)
    times <- landmarks[landmarks <= max(da$os_months)]
    s <- summary(fa, times = times)
    est[[a]] <- list(time = s$time, surv = s$surv, se = s$std.err)
    for (j in seq_along(times)) {
      lv <- format(times[j])
      put("os_km", a, lv, "surv", s$surv[j]); put("os_km", a, lv, "std_error", s$std.err[j])
      put("os_km", a, lv, "conf_low", s$lower[j]); put("os_km", a, lv, "conf_high", s$upper[j])
      put("os_km", a, lv, "n_risk", s$n.risk[j])
      put("os_km", a, lv, "n_event", sum(da$death[da$os_months <= times[j]]))
      put("os_km", a, lv, "n_event_interval", s$n.event[j])
    }
  }
  # landmark differences: treatment minus reference
  r <- est[[arms[1]]]; t1 <- est[[arms[2]]]
  for (tt in intersect(r$time, t1$time)) {
    i0 <- match(tt, r$time); i1 <- match(tt, t1$time)
    diff <- t1$surv[i1] - r$surv[i0]
    se <- sqrt(t1$se[i1]^2 + r$se[i0]^2)
    z <- diff / se; lv <- format(tt)
    put("os_landmark_diff", "", lv, "estimate", diff)
    put("os_landmark_diff", "", lv, "std_error", se)
    put("os_landmark_diff", "", lv, "statistic", z)
    put("os_landmark_diff", "", lv, "p_value", 2 * pnorm(-abs(z)))
    put("os_landmark_diff", "", lv, "conf_low", diff - qnorm(0.975) * se)
    put("os_landmark_diff", "", lv, "conf_high", diff + qnorm(0.975) * se)
  }
  # restricted mean survival time to the last landmark, per arm as print(survfit, rmean =
  # tau), difference and ratio as survRM2 (tests/results/_rmst2.R); none when survRM2
  # refuses tau (past the follow-up both curves share)
  tau <- max(landmarks)
  arm01 <- as.integer(d$arm == arms[2])
  if (tau <= tau_bound(d$os_months, d$death, arm01)) {
    rt <- summary(fit, rmean = tau)$table
    z <- qnorm(0.975)
    for (i in seq_along(arms)) {
      m <- rt[i, "rmean"]; se <- rt[i, "se(rmean)"]
      put("os_rmst", arms[i], format(tau), "rmst", m)
      put("os_rmst", arms[i], format(tau), "std_error", se)
      put("os_rmst", arms[i], format(tau), "conf_low", m - z * se)
      put("os_rmst", arms[i], format(tau), "conf_high", m + z * se)
    }
    two <- rmst_two(d$os_months, d$death, arm01, tau)
    for (k in 1:2) {
      v <- c("os_rmst_diff", "os_rmst_ratio")[k]
      for (s in c("estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"))
        put(v, "", format(tau), s, two[[s]][k])
    }
  }
  # log-rank: Surv ~ arm plus the Cox formula's strata() terms
  rhs <- attr(terms(as.formula(cox), specials = "strata"), "term.labels")
  st <- rhs[grepl("^strata\\(", rhs)]
  lr <- as.formula(paste(c("Surv(os_months, death) ~ arm", st), collapse = " + "))
  sd <- survdiff(lr, data = d)
  put("os_logrank", "", "", "statistic", sd$chisq)
  put("os_logrank", "", "", "df", length(sd$n) - 1)
  put("os_logrank", "", "", "p_value", pchisq(sd$chisq, length(sd$n) - 1, lower.tail = FALSE))
  obs <- if (is.matrix(sd$obs)) rowSums(sd$obs) else sd$obs
  ex <- if (is.matrix(sd$exp)) rowSums(sd$exp) else sd$exp
  for (i in seq_along(arms)) {
    put("os_logrank", arms[i], "", "observed", obs[i])
    put("os_logrank", arms[i], "", "expected", ex[i])
  }
  # Cox model (skipped when a coefficient is infinite: the endpoint records not estimable)
  cf <- withCallingHandlers(coxph(as.formula(cox), data = d, ties = ties),
                            warning = function(w) invokeRestart("muffleWarning"))
  if (all(sapply(split(d$death, d$arm), sum) > 0)) {
    sm <- summary(cf)
    put("os_cox", "", "", "n", cf$n); put("os_cox", "", "", "n_event", cf$nevent)
    co <- sm$coefficients; ci <- sm$conf.int
    for (k in rownames(co)) {
      lv <- term_name(k)
      put("os_cox", "", lv, "estimate", co[k, "exp(coef)"])
      put("os_cox", "", lv, "std_error", co[k, "se(coef)"])
      put("os_cox", "", lv, "statistic", co[k, "z"])
      put("os_cox", "", lv, "p_value", co[k, "Pr(>|z|)"])
      put("os_cox", "", lv, "conf_low", ci[k, "lower .95"])
      put("os_cox", "", lv, "conf_high", ci[k, "upper .95"])
    }
    # (summary()'s $waldtest and $sctest are rounded: take the unrounded fit components)
    tests <- list(likelihood_ratio = 2 * diff(cf$loglik), wald = cf$wald.test,
                  score = cf$score)
    p <- length(coef(cf))
    for (k in names(tests)) {
      put("os_cox_test", "", k, "statistic", tests[[k]])
      put("os_cox_test", "", k, "df", p)
      put("os_cox_test", "", k, "p_value", pchisq(tests[[k]], p, lower.tail = FALSE))
    }
    z <- cox.zph(cf, transform = "km", terms = TRUE)$table
    for (k in rownames(z)) {
      put("os_ph", "", k, "statistic", z[k, "chisq"])
      put("os_ph", "", k, "df", z[k, "df"])
      put("os_ph", "", k, "p_value", z[k, "p"])
    }
  }
  out
}

d <- example()
write.csv(os_records(d), "tests/results/os.csv", row.names = FALSE)

# ---------------------------------------------------------------- endpoint edge cases
cases <- list()
e <- d; e$death[e$arm == "lenalidomide"] <- 0
cases$no_deaths_lenalidomide <- list(options = list(), data = "death = 0 in the lenalidomide arm",
                                     records = os_records(e))
cases$stratified <- list(
  options = list(formula = "Surv(os_months, death) ~ arm + age + strata(sex)"),
  records = os_records(d, cox = "Surv(os_months, death) ~ arm + age + strata(sex)"))
cases$breslow <- list(options = list(ties = "breslow"),
                      records = os_records(d, ties = "breslow"))
m <- d; m$os_months[c(1, 5, 10)] <- NA; m$death[c(1, 5, 10)] <- NA
cases$missing <- list(options = list(), data = "os_months and death NA in rows 1, 5, 10",
                      records = os_records(m))
cases$landmarks <- list(options = list(landmarks = c(24, 120, 171.7)),
                        records = os_records(d, landmarks = c(24, 120, 171.7)))

# ---------------------------------------------------------------- KM figure: numbers at risk
fit <- survfit(Surv(os_months, death) ~ arm, data = d)
grid <- seq(0, max(d$os_months), by = 12)
s <- summary(fit, times = grid, extend = TRUE)
risk <- lapply(split(s$n.risk, sub("^arm=", "", as.character(s$strata))), as.integer)
curve <- lapply(setNames(levels(d$arm), levels(d$arm)), function(a) {
  f <- survfit(Surv(os_months, death) ~ 1, data = d[d$arm == a, ])
  list(time = f$time, surv = f$surv, n_risk = f$n.risk, n_event = f$n.event,
       n_censor = f$n.censor, conf_low = f$lower, conf_high = f$upper)
})

# ---------------------------------------------------------------- cox.zph
lung <- read.csv("tests/data/lung.csv")
vet <- read.csv("tests/data/veteran.csv")
zph_case <- function(data_name, formula, ties = "efron", transform = "km") {
  data <- list(lung = lung, veteran = vet, example = d)[[data_name]]
  fit <- coxph(as.formula(formula), data = data, ties = ties)
  z <- cox.zph(fit, transform = transform, terms = TRUE)
  list(data = data_name, formula = formula, ties = ties, transform = transform,
       term = rownames(z$table), chisq = unname(z$table[, "chisq"]),
       df = unname(z$table[, "df"]), p = unname(z$table[, "p"]),
       time = unname(z$time), x = unname(z$x), y = unname(z$y))
}
zph <- list(
  zph_case("lung", "Surv(time, event) ~ age + sex + ph.ecog"),
  zph_case("lung", "Surv(time, event) ~ age + sex + ph.ecog", ties = "breslow"),
  zph_case("lung", "Surv(time, event) ~ age + ph.ecog + strata(sex)"),
  zph_case("lung", "Surv(time, event) ~ age + sex", transform = "rank"),
  zph_case("lung", "Surv(time, event) ~ age + sex", transform = "identity"),
  zph_case("lung", "Surv(time, event) ~ age + sex", transform = "log"),
  zph_case("veteran", "Surv(time, status) ~ trt + celltype + karno"),
  zph_case("veteran", "Surv(time, status) ~ trt + celltype + karno", ties = "breslow"),
  zph_case("veteran", "Surv(time, status) ~ trt + celltype + karno + strata(prior)"),
  zph_case("example", "Surv(os_months, death) ~ arm"),
  zph_case("example", "Surv(os_months, death) ~ arm + age", ties = "breslow"),
  zph_case("example", "Surv(os_months, death) ~ arm + age + strata(sex)")
)

write(toJSON(list(r_version = R.version.string,
                  survival = as.character(packageVersion("survival")),
                  cases = cases, risk_table = list(times = grid, n_risk = risk), curve = curve, zph = zph),
             digits = NA, auto_unbox = TRUE, na = "null", pretty = TRUE),
      "tests/results/os.json")
