# The R side of benchmarks/bench_run.py: the analyses of `mdsrs run` on one cohort, as a lean
# R script (no report: a text file of the estimates and two base-graphics figures, the
# Kaplan-Meier and the cumulative-incidence curves, as PNG).
#
#     Rscript benchmarks/bench_run.R PATIENTS.csv OUT_DIR
#
# Endpoint by endpoint, the tests and models mdsrs reports (the same functions as the
# reference scripts in tests/results/): Table 1 (wilcox.test, chisq.test / fisher.test per
# variable), response (binom.test, chisq.test, glm binomial), hematology (paired and Welch
# t-tests, signed-rank, ANCOVA lm per lab), IPSS-R (score, wilcox.test, ANCOVA lm), adverse
# events (ordinal::clm, fisher.test, wilcox.test), AML (glm, fisher.test, cmprsk::cuminc,
# cmprsk::crr) and OS (survfit with landmarks, survdiff, coxph, cox.zph).
# The data are read with data.table::fread, R's fastest reader (it matters at 10^6 rows).
options(warn = -1)  # the exact-test and small-count warnings are expected here
suppressPackageStartupMessages({
  library(survival)
  library(ordinal)
  library(cmprsk)
  library(data.table)
})
args <- commandArgs(trailingOnly = TRUE)
d <- as.data.frame(fread(args[1]))
out <- args[2]
dir.create(out, showWarnings = FALSE, recursive = TRUE)
d$arm <- factor(d$arm, levels = c("thalidomide", "lenalidomide"))
res <- list()
put <- function(name, value) res[[name]] <<- value
small <- nrow(d) <= 5000  # exact tests as R's defaults choose them

# baseline (Table 1)
for (v in c("age", "hgb_base", "plt_base", "anc_base", "bm_blast_base", "ring_sideroblasts_pct")) {
  x <- d[[v]]
  put(v, c(tapply(x, d$arm, median, na.rm = TRUE), tapply(x, d$arm, mean, na.rm = TRUE),
           tapply(x, d$arm, sd, na.rm = TRUE),
           wilcox.test(x ~ d$arm, exact = if (small) NULL else FALSE)$p.value))
}
for (v in c("sex", "cyto_base", "sf3b1", "transfusion_dependent")) {
  tab <- table(d[[v]], d$arm)
  p <- if (small && any(chisq.test(tab)$expected < 5)) fisher.test(tab)$p.value
       else chisq.test(tab, correct = FALSE)$p.value
  put(v, c(prop.table(tab, 2), p))
}

# response
d$responder <- as.integer(d$response %in% c("CR", "PR", "mCR", "HI"))
tab <- table(d$arm, d$responder)
put("response", c(sapply(levels(d$arm), function(a) {
  x <- sum(d$responder[d$arm == a]); n <- sum(d$arm == a); binom.test(x, n)$conf.int
}), chisq.test(tab, correct = FALSE)$p.value, fisher.test(tab)$p.value,
coef(summary(glm(responder ~ arm, binomial, data = d)))))

# hematology
for (lab in c("hgb", "plt", "anc")) {
  b <- d[[paste0(lab, "_base")]]; p <- d[[paste0(lab, "_post")]]
  for (a in levels(d$arm)) {
    k <- d$arm == a
    put(paste(lab, a), c(t.test(p[k], b[k], paired = TRUE)$p.value,
                         wilcox.test(p[k], b[k], paired = TRUE,
                                     exact = if (small) NULL else FALSE)$p.value))
  }
  put(lab, c(t.test(p ~ d$arm)$p.value, coef(summary(lm(p ~ d$arm + b)))))
}

# IPSS-R
ipssr <- function(hgb, plt, anc, blasts, cyto) {
  cyto_pts <- c("very good" = 0, "good" = 1, "intermediate" = 2, "poor" = 3,
                "very poor" = 4)[cyto]
  blast_pts <- ifelse(blasts <= 2, 0, ifelse(blasts < 5, 1, ifelse(blasts <= 10, 2, 3)))
  hgb_pts <- ifelse(hgb >= 10, 0, ifelse(hgb >= 8, 1, 1.5))
  plt_pts <- ifelse(plt >= 100, 0, ifelse(plt >= 50, 0.5, 1))
  anc_pts <- ifelse(anc >= 0.8, 0, 0.5)
  unname(cyto_pts + blast_pts + hgb_pts + plt_pts + anc_pts)
}
cats <- c("Very Low", "Low", "Intermediate", "High", "Very High")
for (t in c("base", "post")) {
  s <- ipssr(d[[paste0("hgb_", t)]], d[[paste0("plt_", t)]], d[[paste0("anc_", t)]],
             d[[paste0("bm_blast_", t)]], d[[paste0("cyto_", t)]])
  d[[paste0("ipssr_", t)]] <- s
  d[[paste0("ipssr_cat_", t)]] <- factor(cats[findInterval(s, c(1.5, 3, 4.5, 6),
                                                           left.open = TRUE) + 1], cats)
}
put("ipssr", c(wilcox.test(ipssr_post ~ arm, data = d,
                           exact = if (small) NULL else FALSE)$p.value,
               coef(summary(lm(ipssr_post ~ arm + ipssr_base, data = d))),
               table(d$ipssr_cat_base, d$ipssr_cat_post, d$arm)))

# adverse events
d$ae <- factor(d$ae_max_grade, ordered = TRUE)
put("ae", c(coef(summary(clm(ae ~ arm, data = d))),
            fisher.test(table(d$arm, d$ae_max_grade >= 3))$p.value,
            wilcox.test(ae_max_grade ~ arm, data = d,
                        exact = if (small) NULL else FALSE)$p.value))

# AML: crude and competing risks (death without AML competes)
tab <- table(d$arm, d$aml)
put("aml", c(fisher.test(tab)$p.value, coef(summary(glm(aml ~ arm, binomial, data = d)))))
status <- ifelse(d$aml == 1, 1, ifelse(d$death == 1, 2, 0))
ci <- cuminc(d$aml_months, status, d$arm)
put("cuminc", c(ci$Tests, unlist(timepoints(ci, c(12, 36, 60))$est)))
put("crr", summary(crr(d$aml_months, status, as.integer(d$arm == "lenalidomide")))$coef)

# OS
km <- survfit(Surv(os_months, death) ~ arm, data = d)
put("km", c(unlist(summary(km, times = c(12, 36, 60))[c("surv", "lower", "upper")]),
            summary(km)$table))
put("logrank", survdiff(Surv(os_months, death) ~ arm, data = d)$chisq)
cox <- coxph(Surv(os_months, death) ~ arm + age, data = d)
put("cox", c(coef(summary(cox)), cox.zph(cox)$table))

# the figures: Kaplan-Meier and cumulative incidence, base graphics
png(file.path(out, "km.png"), width = 6.5, height = 4.8, units = "in", res = 200)
plot(km, col = c("#0072B2", "#D55E00"), lwd = 1.6, mark.time = TRUE,
     xlab = "Months since start of treatment", ylab = "Overall survival")
legend("bottomleft", levels(d$arm), col = c("#0072B2", "#D55E00"), lwd = 1.6, bty = "n")
invisible(dev.off())
png(file.path(out, "cif.png"), width = 6.5, height = 4.2, units = "in", res = 200)
plot(ci, col = c("#0072B2", "#D55E00", "#0072B2", "#D55E00"), lty = c(1, 1, 2, 2),
     xlab = "Months since start of treatment", ylab = "Cumulative incidence")
invisible(dev.off())
capture.output(str(res), file = file.path(out, "results.txt"))
