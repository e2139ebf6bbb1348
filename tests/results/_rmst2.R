# survRM2's restricted-mean-survival-time method in base R, shared by tests/results/rmst.R
# and tests/results/os.R (survRM2 itself is not installable here). Sourced from the
# repository root: source("tests/results/_rmst2.R").
#
#   * rmst_one(): survRM2's rmst1 -- the area under the Kaplan-Meier curve to tau and its
#     plug-in variance sum A_j^2 d_j / (n_j (n_j - d_j)), A_j the area from t_j to tau (the
#     formula of survival's survmean behind print(survfit, rmean = tau));
#   * tau_bound(): survRM2's rule for the largest tau (the shorter follow-up when that
#     group's last time is censored, otherwise the longer one);
#   * rmst_two(): survRM2's rmst2 unadjusted contrasts of arm 1 vs arm 0 -- difference with
#     se = sqrt(var1 + var0); RMST ratio and RMTL ratio by the delta method on the log scale;
#     Wald intervals, two-sided z tests.

rmst_one <- function(time, status, tau) {
  ft <- survfit(Surv(time, status) ~ 1)
  idx <- ft$time <= tau
  wk_time <- sort(c(ft$time[idx], tau))
  areas <- diff(c(0, wk_time)) * c(1, ft$surv[idx])
  n <- ft$n.risk[idx]
  d <- ft$n.event[idx]
  h <- c(ifelse(n - d == 0, 0, d / (n * (n - d))), 0)
  list(rmst = sum(areas), var = sum(cumsum(rev(areas[-1]))^2 * rev(h)[-1]))
}

tau_bound <- function(time, status, arm) {
  last <- function(g) {
    tt <- time[arm == g]
    c(max(tt), min(status[arm == g][tt == max(tt)]))
  }
  a <- last(0)
  b <- last(1)
  ttmax <- max(a[1], b[1])
  ttmin <- min(a[1], b[1])
  if (a[2] == 1 && b[2] == 1) return(ttmax)
  if ((a[2] == 0 && b[2] == 1 && a[1] >= b[1]) || (a[2] == 1 && b[2] == 0 && b[1] > a[1]))
    return(ttmax)
  ttmin
}

rmst_two <- function(time, status, arm, tau, alpha = 0.05) {
  stopifnot(tau <= tau_bound(time, status, arm))
  w1 <- rmst_one(time[arm == 1], status[arm == 1], tau)
  w0 <- rmst_one(time[arm == 0], status[arm == 0], tau)
  z <- qnorm(1 - alpha / 2)
  contrast <- function(est, se, log) {
    p <- 2 * pnorm(-abs(est) / se)
    low <- est - z * se
    high <- est + z * se
    if (log) c(exp(est), se, est / se, exp(low), exp(high), p)
    else c(est, se, est / se, low, high, p)
  }
  d <- contrast(w1$rmst - w0$rmst, sqrt(w1$var + w0$var), FALSE)
  r <- contrast(log(w1$rmst) - log(w0$rmst),
                sqrt(w1$var / w1$rmst^2 + w0$var / w0$rmst^2), TRUE)
  l1 <- tau - w1$rmst
  l0 <- tau - w0$rmst
  m <- contrast(log(l1) - log(l0), sqrt(w1$var / l1^2 + w0$var / l0^2), TRUE)
  out <- rbind(d, r, m)
  list(
    contrast = I(c("difference", "ratio", "rmtl_ratio")),
    estimate = I(out[, 1]), std_error = I(out[, 2]), statistic = I(out[, 3]),
    conf_low = I(out[, 4]), conf_high = I(out[, 5]), p_value = I(out[, 6]),
    rmst1 = w1$rmst, se1 = sqrt(w1$var), rmst0 = w0$rmst, se0 = sqrt(w0$var)
  )
}
