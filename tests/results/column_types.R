# Column types (issue 12): what R's read.csv makes of every test data set, and models with a
# numeric covariate that is not a canonical variable (one slope, not one dummy per value).
#
# Re-run from the repository root:   Rscript tests/results/column_types.R
# Writes tests/results/column_types.csv (file, column, class, any_na: R's class() of each
# column of read.csv(file), and whether it has a missing value) and
# tests/results/column_types_models.csv (model, term, stat, value; 17 significant digits), on
# the bundled example cohort: coxph(Surv(os_months, death) ~ arm + ring_sideroblasts_pct) and
# lm(hgb_post ~ arm + hgb_base + ring_sideroblasts_pct), and the same with
# factor(transfusion_dependent). Produced with R 4.2.2, survival 3.5-3.
suppressPackageStartupMessages(library(survival))
files <- sort(list.files("tests/data", pattern = "\\.csv$", full.names = TRUE))
types <- do.call(rbind, lapply(files, function(f) {
  d <- read.csv(f)
  data.frame(file = basename(f), column = names(d),
             class = vapply(d, function(x) class(x)[1], ""),
             any_na = vapply(d, function(x) anyNA(x), TRUE))
}))
write.csv(types, "tests/results/column_types.csv", row.names = FALSE)

d <- read.csv("mdsrs_core/example/data/patients.csv")
d$arm <- factor(d$arm, levels = c("thalidomide", "lenalidomide"))
out <- data.frame(model = character(), term = character(), stat = character(),
                  value = character())
put <- function(model, term, stat, value) {
  out[nrow(out) + 1, ] <<- list(model, term, stat, sprintf("%.17g", value))
}
name <- function(x) {
  x <- sub("^\\(Intercept\\)$", "Intercept", x)
  x <- sub("^armlenalidomide$", "arm[T.lenalidomide]", x)
  sub("^transfusion_dependentyes$", "transfusion_dependent[T.yes]", x)
}
cx <- coxph(Surv(os_months, death) ~ arm + ring_sideroblasts_pct + transfusion_dependent,
            data = d, control = coxph.control(eps = 1e-12, toler.chol = 1e-13))
co <- summary(cx)$coefficients
for (i in seq_len(nrow(co))) {
  put("coxph", name(rownames(co)[i]), "estimate", co[i, "coef"])
  put("coxph", name(rownames(co)[i]), "std_error", co[i, "se(coef)"])
  put("coxph", name(rownames(co)[i]), "p_value", co[i, "Pr(>|z|)"])
}
fit <- lm(hgb_post ~ arm + hgb_base + ring_sideroblasts_pct, data = d)
co <- summary(fit)$coefficients
for (i in seq_len(nrow(co))) {
  put("lm", name(rownames(co)[i]), "estimate", co[i, 1])
  put("lm", name(rownames(co)[i]), "std_error", co[i, 2])
  put("lm", name(rownames(co)[i]), "p_value", co[i, 4])
}
write.csv(out, "tests/results/column_types_models.csv", row.names = FALSE)
