# Reference values for the `adverse_events` endpoint.
#
# Re-run from the repository root:   Rscript tests/results/adverse_events.R
# Writes tests/results/adverse_events.csv (case, variable, arm, level, stat, value; values with
# 17 significant digits). Produced with R 4.2.2 and ordinal 2022.11.16 (clm, nominal_test);
# stats::wilcox.test and stats::fisher.test.
#
# Cases:
#   example    the bundled example cohort (patients.csv + adverse_events.csv, complete table)
#   incomplete the same, the table marked incomplete: patients absent from it are excluded
#   covariate  the example cohort with the formula ae_max_grade ~ arm + age (nominal_test on
#              a non-saturated model: one row per term)
#   no_ge3     a small constructed cohort (below; the same literals are in
#              tests/test_adverse_events.py) whose lenalidomide arm has no grade >= 3 event:
#              nominal_test gives NA (the nominal model has no finite MLE), Fisher's odds
#              ratio is 0.
# Conventions of mdsrs's records: arm "" = between arms or overall; nominal_test rows have
# level "nominal: TERM"; the clm coefficient of arm
# is named "arm[T.lenalidomide]" (R: "armlenalidomide"); odds ratios are exp(estimate) with
# std_error and statistic on the log scale (broom::tidy(exponentiate = TRUE)); intervals are
# Wald (confint.default); Fisher's estimate is the conditional MLE odds ratio of grade >= 3,
# lenalidomide vs thalidomide, from table(arm, grade >= 3) with thalidomide first.
suppressPackageStartupMessages(library(ordinal))
out <- data.frame(case = character(), variable = character(), arm = character(),
                  level = character(), stat = character(), value = character())
put <- function(case, variable, arm, level, stat, value) {
  out[nrow(out) + 1, ] <<- list(case, variable, arm, level, stat, sprintf("%.17g", value))
}
arms <- c("thalidomide", "lenalidomide")

analyse <- function(case, d, ae, formula = g ~ arm, rename = c(armlenalidomide =
                                                                 "arm[T.lenalidomide]")) {
  d$arm <- factor(d$arm, levels = arms)
  for (a in c(arms, "")) {
    x <- if (a == "") d$ae_max_grade else d$ae_max_grade[d$arm == a]
    put(case, "ae_max_grade", a, "", "N", length(x))
    for (k in 0:5) {
      put(case, "ae_max_grade", a, k, "n", sum(x == k))
      put(case, "ae_max_grade", a, k, "p", mean(x == k))
    }
    groups <- list("0" = 0, "1-2" = 1:2, "3-4" = 3:4, "5" = 5)
    for (gname in names(groups)) {
      put(case, "ae_grade_group", a, gname, "n", sum(x %in% groups[[gname]]))
      put(case, "ae_grade_group", a, gname, "p", mean(x %in% groups[[gname]]))
    }
    put(case, "ae_grade_ge3", a, "", "n", sum(x >= 3))
    put(case, "ae_grade_ge3", a, "", "p", mean(x >= 3))
  }
  if (!is.null(ae)) {
    ae <- ae[ae$patient_id %in% d$patient_id, ]
    ae$arm <- d$arm[match(ae$patient_id, d$patient_id)]
    for (term in sort(unique(ae$term))) {
      e <- ae[ae$term == term, ]
      worst <- tapply(e$grade, e$patient_id, max)
      arm_of <- d$arm[match(names(worst), d$patient_id)]
      for (a in c(arms, "")) {
        n_total <- if (a == "") nrow(d) else sum(d$arm == a)
        w <- if (a == "") worst else worst[arm_of == a]
        put(case, "ae_term_any", a, term, "n", length(w))
        put(case, "ae_term_any", a, term, "p", length(w) / n_total)
        put(case, "ae_term_ge3", a, term, "n", sum(w >= 3))
        put(case, "ae_term_ge3", a, term, "p", sum(w >= 3) / n_total)
      }
    }
  }
  # proportional-odds model on the observed grades
  d$g <- factor(d$ae_max_grade, ordered = TRUE)
  # nominal_test() refits with update(), which looks the data up from the calling frames up
  # to the global environment: the data must be a global variable, not this function's
  assign("ae_data", d, envir = globalenv())
  fit <- eval(bquote(clm(.(formula), data = ae_data)))
  s <- coef(summary(fit))
  ci <- confint.default(fit)
  for (term in rownames(s)) {
    threshold <- grepl("|", term, fixed = TRUE)
    name <- if (term %in% names(rename)) rename[[term]] else term
    est <- s[term, "Estimate"]; lo <- ci[term, 1]; hi <- ci[term, 2]
    if (!threshold) { est <- exp(est); lo <- exp(lo); hi <- exp(hi) }
    put(case, "ae_max_grade", "", name, "estimate", est)
    put(case, "ae_max_grade", "", name, "std_error", s[term, "Std. Error"])
    put(case, "ae_max_grade", "", name, "statistic", s[term, "z value"])
    put(case, "ae_max_grade", "", name, "p_value", s[term, "Pr(>|z|)"])
    put(case, "ae_max_grade", "", name, "conf_low", lo)
    put(case, "ae_max_grade", "", name, "conf_high", hi)
  }
  put(case, "ae_max_grade", "", "", "logLik", as.numeric(logLik(fit)))
  put(case, "ae_max_grade", "", "", "nobs", nobs(fit))
  nt <- suppressWarnings(nominal_test(fit))
  for (term in rownames(nt)[-1]) {
    level <- paste0("nominal: ", term)
    if (is.na(nt[term, "LRT"])) {
      put(case, "ae_max_grade", "", level, "p_value", NA)  # written as "NA"
      next
    }
    put(case, "ae_max_grade", "", level, "statistic", nt[term, "LRT"])
    put(case, "ae_max_grade", "", level, "df", nt[term, "Df"])
    put(case, "ae_max_grade", "", level, "p_value", nt[term, "Pr(>Chi)"])
    put(case, "ae_max_grade", "", level, "logLik", nt[term, "logLik"])
  }
  x1 <- d$ae_max_grade[d$arm == "lenalidomide"]; x0 <- d$ae_max_grade[d$arm == "thalidomide"]
  w <- suppressWarnings(wilcox.test(x1, x0))
  put(case, "ae_max_grade", "", "", "statistic", w$statistic)
  put(case, "ae_max_grade", "", "", "p_value", w$p.value)
  f <- fisher.test(table(d$arm, factor(d$ae_max_grade >= 3, levels = c(FALSE, TRUE))))
  put(case, "ae_grade_ge3", "", "", "p_value", f$p.value)
  put(case, "ae_grade_ge3", "", "", "estimate", f$estimate)
  put(case, "ae_grade_ge3", "", "", "conf_low", f$conf.int[1])
  put(case, "ae_grade_ge3", "", "", "conf_high", f$conf.int[2])
}

d <- read.csv("mdsrs_core/example/data/patients.csv", stringsAsFactors = FALSE)
ae <- read.csv("mdsrs_core/example/data/adverse_events.csv", stringsAsFactors = FALSE)
analyse("example", d, ae)
analyse("incomplete", d[d$patient_id %in% ae$patient_id, ], ae)
analyse("covariate", d, ae, formula = g ~ arm + age)

small <- data.frame(
  patient_id = sprintf("S%02d", 1:18),
  arm = rep(c("thalidomide", "lenalidomide"), c(10, 8)),
  age = c(70, 65, 72, 80, 59, 77, 68, 74, 66, 71, 63, 69, 75, 58, 81, 62, 67, 73),
  ae_max_grade = c(0, 1, 2, 2, 3, 3, 3, 4, 4, 2, 0, 0, 1, 1, 2, 1, 2, 0))
small_ae <- data.frame(
  patient_id = c("S02", "S03", "S04", "S05", "S05", "S06", "S07", "S08", "S09", "S10",
                 "S13", "S14", "S15", "S15", "S16", "S17"),
  term = c("Fatigue", "Constipation", "Somnolence", "Somnolence", "Somnolence", "Constipation",
           "Dizziness", "Thromboembolic event", "Somnolence", "Fatigue", "Rash maculo-papular",
           "Fatigue", "Neutrophil count decreased", "Fatigue", "Rash maculo-papular",
           "Neutrophil count decreased"),
  grade = c(1, 2, 2, 3, 1, 3, 3, 4, 4, 2, 1, 1, 2, 1, 1, 2))
analyse("no_ge3", small, small_ae)
write.csv(out, "tests/results/adverse_events.csv", row.names = FALSE)
