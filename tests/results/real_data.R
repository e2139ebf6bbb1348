# Real data sets of R's survival package run through `mdsrs run` (issue 12 item 8):
# tests/test_real_data.py runs each with a study file, as a user would, and compares every
# figure below with R's. Data are exported as they are (no sampling): myeloid (646), flchain
# (7,874; three times of 0; an id column of row numbers added), cgd (first infection per patient: the rows with enum == 1, 128),
# nwtco (4,028; its age, in months, is written as age_months so that it is not read as the
# canonical age in years) and pbc (the 312 randomised patients; status 0 censored /
# 1 transplant / 2 dead: one time and one status column, arms coded 1/2).
#
# Re-run from the repository root:   Rscript tests/results/real_data.R
# Writes tests/data/real_<name>.csv and tests/results/real_data.csv (dataset, figure, term,
# stat, value; 17 significant digits). Times stay in days (the study files say time_unit =
# "days"; mdsrs converts with 1 month = 365.25/12 days): Kaplan-Meier estimates are taken at
# the landmarks 12, 36 and 60 months converted to days, medians in days. Calls mirrored:
# gtsummary's add_p() rule (wilcox.test; chisq.test(correct = FALSE), or fisher.test when an
# expected count is < 5), survfit, survdiff, coxph (Efron), cmprsk::cuminc/timepoints, crr.
# Produced with R 4.2.2, survival 3.5-3, cmprsk 2.2-11.
suppressPackageStartupMessages({library(survival); library(cmprsk)})
out <- data.frame(dataset = character(), figure = character(), term = character(),
                  stat = character(), value = character())
put <- function(ds, figure, term, stat, value) {
  out[nrow(out) + 1, ] <<- list(ds, figure, term, stat, sprintf("%.17g", value))
}
months <- c(12, 36, 60)  # the landmarks (cgd: 3, 6, 12; its follow-up is about a year)
gts <- function(ds, d, var) {
  x <- d[[var]]
  if (is.numeric(x) && length(unique(na.omit(x))) >= 10) {
    put(ds, "baseline", var, "p_value", wilcox.test(x ~ d$arm)$p.value)
    return(invisible())
  }
  tab <- table(d$arm, x)
  e <- suppressWarnings(chisq.test(tab, correct = FALSE))$expected
  p <- if (min(e) >= 5) suppressWarnings(chisq.test(tab, correct = FALSE))$p.value
       else tryCatch(fisher.test(tab)$p.value, error = function(e) NA)
  if (is.na(p)) put(ds, "baseline", var, "exact_p_value_computable", 0)
  else put(ds, "baseline", var, "p_value", p)
}
surv_figures <- function(ds, d, time, event, formula, terms, at = months) {
  landmarks <- at * 365.25 / 12
  d$.t <- d[[time]]; d$.e <- d[[event]]
  km <- survfit(Surv(.t, .e) ~ arm, data = d)
  s <- summary(km, times = landmarks, extend = FALSE)
  for (i in seq_along(s$time)) {
    st <- sub("arm=", "", as.character(s$strata[i]))
    m <- at[which.min(abs(landmarks - s$time[i]))]
    put(ds, "os_km", paste(st, m), "surv", s$surv[i])
    put(ds, "os_km", paste(st, m), "std_error", s$std.err[i])
    put(ds, "os_km", paste(st, m), "conf_low", s$lower[i])
    put(ds, "os_km", paste(st, m), "conf_high", s$upper[i])
    put(ds, "os_km", paste(st, m), "n_risk", s$n.risk[i])
  }
  tb <- summary(km)$table
  for (i in seq_len(nrow(tb))) {
    put(ds, "os_median", sub("arm=", "", rownames(tb)[i]), "median_days", tb[i, "median"])
  }
  put(ds, "os_logrank", "", "statistic", survdiff(Surv(.t, .e) ~ arm, data = d)$chisq)
  cx <- coxph(formula, data = d, control = coxph.control(eps = 1e-12, toler.chol = 1e-13))
  co <- summary(cx)$coefficients
  for (i in seq_len(nrow(co))) {
    put(ds, "os_cox", terms[i], "estimate", co[i, "coef"])
    put(ds, "os_cox", terms[i], "std_error", co[i, "se(coef)"])
    put(ds, "os_cox", terms[i], "p_value", co[i, "Pr(>|z|)"])
  }
  put(ds, "os_cox", "", "n", cx$n)
}
arm_term <- function(level) paste0("arm[T.", level, "]")

# ---- myeloid: trt A/B, sex f/m
d <- myeloid
write.csv(d, "tests/data/real_myeloid.csv", row.names = FALSE, na = "")
d$arm <- factor(d$trt, levels = c("A", "B"))
d$sexc <- toupper(as.character(d$sex))
gts("myeloid", d, "sexc")
surv_figures("myeloid", d, "futime", "death", Surv(.t, .e) ~ arm + sexc,
             c(arm_term("B"), "sex[T.M]"))

# ---- flchain: MGUS (0/1) as the two groups; futime has three 0s; numeric kappa, lambda
d <- cbind(id = seq_len(nrow(flchain)), flchain)  # flchain has no id column: row numbers
write.csv(d, "tests/data/real_flchain.csv", row.names = FALSE, na = "")
d$arm <- factor(ifelse(d$mgus == 1, "MGUS", "no MGUS"), levels = c("no MGUS", "MGUS"))
for (v in c("sex", "sample.yr", "kappa", "flc.grp", "chapter")) gts("flchain", d, v)
surv_figures("flchain", d, "futime", "death", Surv(.t, .e) ~ arm + age + kappa + lambda,
             c(arm_term("MGUS"), "age", "kappa", "lambda"))

# ---- cgd: time to the first serious infection (enum == 1), numeric weight
d <- cgd[cgd$enum == 1, c("id", "center", "random", "treat", "sex", "age", "height", "weight",
                          "inherit", "steroids", "propylac", "hos.cat", "tstop", "status")]
write.csv(d, "tests/data/real_cgd.csv", row.names = FALSE, na = "")
d$arm <- factor(d$treat, levels = c("placebo", "rIFN-g"))
for (v in c("inherit", "steroids", "propylac", "hos.cat", "height")) gts("cgd", d, v)
surv_figures("cgd", d, "tstop", "status", Surv(.t, .e) ~ arm + age + weight,
             c(arm_term("rIFN-g"), "age", "weight"), at = c(3, 6, 12))

# ---- nwtco: histology 1 favourable / 2 unfavourable, relapse; factor(stage)
d <- nwtco
names(d)[names(d) == "age"] <- "age_months"
write.csv(d, "tests/data/real_nwtco.csv", row.names = FALSE, na = "")
d$arm <- factor(ifelse(d$histol == 1, "favorable", "unfavorable"),
                levels = c("favorable", "unfavorable"))
for (v in c("stage", "study", "instit", "age_months")) gts("nwtco", d, v)
surv_figures("nwtco", d, "edrel", "rel", Surv(.t, .e) ~ arm + age_months + factor(stage),
             c(arm_term("unfavorable"), "age_months", "factor(stage)[T.2]",
               "factor(stage)[T.3]", "factor(stage)[T.4]"))

# ---- pbc: the 312 randomised patients; one time column, status 0/1/2, trt coded 1/2
d <- pbc[1:312, ]
write.csv(d, "tests/data/real_pbc.csv", row.names = FALSE, na = "")
d$arm <- factor(ifelse(d$trt == 1, "D-penicillamine", "placebo"),
                levels = c("placebo", "D-penicillamine"))
d$dead <- as.integer(d$status == 2)
for (v in c("ascites", "edema", "stage", "bili")) gts("pbc", d, v)
surv_figures("pbc", d, "time", "dead", Surv(.t, .e) ~ arm + age + bili,
             c(arm_term("D-penicillamine"), "age", "bili"))
ci <- cuminc(d$time, d$status, d$arm)
put("pbc", "aml_gray", "", "statistic", ci$Tests["1", "stat"])
put("pbc", "aml_gray", "", "p_value", ci$Tests["1", "pv"])
tp <- timepoints(ci, months * 365.25 / 12)
for (a in levels(d$arm)) for (j in seq_along(months)) {
  put("pbc", "aml_cif", paste(a, c(12, 36, 60)[j]), "estimate", tp$est[paste(a, 1), j])
}
fg <- crr(d$time, d$status, as.matrix(as.integer(d$arm == "D-penicillamine")), failcode = 1)
put("pbc", "aml_crr", arm_term("D-penicillamine"), "estimate", fg$coef[1])
put("pbc", "aml_crr", arm_term("D-penicillamine"), "std_error", sqrt(fg$var[1, 1]))
write.csv(out, "tests/results/real_data.csv", row.names = FALSE)
