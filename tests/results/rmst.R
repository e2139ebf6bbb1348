# Reference results for mdsrs_core.models.rmst (restricted mean survival time).
#
# Produced with R 4.2.2 and survival 3.5-3 (see "meta" in the output). Re-run from the
# repository root:
#     Rscript tests/results/rmst.R
# Reads tests/data/lung.csv and tests/data/veteran.csv (written by tests/results/survival.R)
# and the example cohort; writes tests/results/rmst.json.
# Every number is written with sprintf("%.17g"); NA / NaN / Inf are written as null.
#
# Per group: rmean and se(rmean) of print(survfit(...), rmean = tau), read from
# summary(fit, rmean = tau)$table. Between groups: survRM2's rmst2() (Uno et al. 2014),
# which cannot be installed here, written out below in base R from its published method
# (its rmst1: KM area to tau and the plug-in variance; its contrasts: difference with
# se = sqrt(var1 + var0), ratios of RMST and of RMTL by the delta method on the log scale,
# Wald intervals, two-sided z tests; its rule for the largest tau allowed). The per-arm
# figures of this base-R rmst1 are checked against survival's own print() below.

suppressPackageStartupMessages(library(survival))

out_json <- "tests/results/rmst.json"
patients_csv <- "mdsrs_core/example/data/patients.csv"

source("tests/results/_json.R")  # num, str_json, to_json: the shared JSON writer

source("tests/results/_rmst2.R")  # rmst_one, tau_bound, rmst_two: survRM2 in base R

per_group <- function(fit, tau) {
  tab <- summary(fit, rmean = tau)$table
  if (is.null(dim(tab))) tab <- matrix(tab, nrow = 1, dimnames = list("All", names(tab)))
  list(strata = I(rownames(tab)), records = I(tab[, "records"]), events = I(tab[, "events"]),
       rmst = I(tab[, "rmean"]), std_error = I(tab[, "se(rmean)"]))
}

res <- list()
res$meta <- list(r_version = R.version.string,
                 survival_version = as.character(packageVersion("survival")))

# ----------------------------------------------------------------------------- lung
lung_df <- read.csv("tests/data/lung.csv")
for (tau in c(365, 730)) {
  key <- paste0("lung_sex_", tau)
  res[[key]] <- per_group(survfit(Surv(time, event) ~ sex, lung_df), tau)
  res[[key]]$all <- per_group(survfit(Surv(time, event) ~ 1, lung_df), tau)
  res[[key]]$contrast <- rmst_two(lung_df$time, lung_df$event, as.integer(lung_df$sex == 2),
                                  tau)
}
# tau past the last time: print(survfit) holds the curve at its last value
res$lung_sex_1100 <- per_group(survfit(Surv(time, event) ~ sex, lung_df), 1100)
res$lung_sex_bound <- tau_bound(lung_df$time, lung_df$event, as.integer(lung_df$sex == 2))
# tau at an event time
res$lung_sex_at_event <- per_group(survfit(Surv(time, event) ~ sex, lung_df), 310)
res$lung_sex_at_event$tau <- 310

# ----------------------------------------------------------------------------- veteran
vet <- read.csv("tests/data/veteran.csv")
res$veteran_trt_200 <- per_group(survfit(Surv(time, status) ~ trt, vet), 200)
res$veteran_trt_200$contrast <- rmst_two(vet$time, vet$status, as.integer(vet$trt == 2), 200)

# ----------------------------------------------------------------------------- example
pts <- read.csv(patients_csv, stringsAsFactors = FALSE)
pts$arm <- factor(pts$arm, levels = c("thalidomide", "lenalidomide"))
res$patients_check <- list(n = nrow(pts), sum_os = sum(pts$os_months), deaths = sum(pts$death))
for (tau in c(36, 60)) {
  key <- paste0("patients_arm_", tau)
  res[[key]] <- per_group(survfit(Surv(os_months, death) ~ arm, pts), tau)
  res[[key]]$contrast <- rmst_two(pts$os_months, pts$death,
                                  as.integer(pts$arm == "lenalidomide"), tau)
}
res$patients_bound <- tau_bound(pts$os_months, pts$death, as.integer(pts$arm == "lenalidomide"))

# ----------------------------------------------------------------------------- small cases
# a curve that reaches 0 (n.risk == n.event at the last time) and an arm without events
tiny <- data.frame(time = c(1, 2, 2, 3, 4, 5, 5, 2, 3, 6, 7),
                   event = c(1, 1, 0, 1, 0, 1, 1, 0, 0, 0, 0),
                   g = c(0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1))
res$tiny_5 <- per_group(survfit(Surv(time, event) ~ g, tiny), 5)
res$tiny_5$contrast <- rmst_two(tiny$time, tiny$event, tiny$g, 5)

# the base-R rmst_one above equals survival's print(survfit, rmean = tau)
chk <- rmst_one(lung_df$time[lung_df$sex == 1], lung_df$event[lung_df$sex == 1], 365)
stopifnot(abs(chk$rmst - res$lung_sex_365$rmst[1]) < 1e-10,
          abs(sqrt(chk$var) - res$lung_sex_365$std_error[1]) < 1e-10)

writeLines(to_json(res), out_json)
cat("wrote", out_json, "\n")
