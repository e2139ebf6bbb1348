# Firth's penalised logistic regression in base R, shared by tests/results/logistf.R and
# tests/results/response.R (logistf itself is not installable here). Sourced from the
# repository root: source("tests/results/_firth.R").
#
#   * penalised log-likelihood l*(b) = l(b) + 1/2 log det(X'WX) (Firth 1993), maximised by
#     Newton steps b <- b + (X'WX)^-1 U*(b) with Firth's modified score
#     U* = X'(y - pi + h (1/2 - pi)), h = diag of the hat matrix W^1/2 X (X'WX)^-1 X' W^1/2
#     (Heinze & Schemper 2002), step halving until l* increases, steps capped at 5
#     (logistf.control(maxstep = 5)), to a tolerance of 1e-10 (logistf stops at 1e-5);
#   * profile_pll(): the penalised log-likelihood maximised with coefficient j fixed, for
#     profile intervals and penalised likelihood-ratio tests.

firth_pieces <- function(X, y, b) {
  eta <- drop(X %*% b)
  p <- plogis(eta)
  w <- p * (1 - p)
  info <- crossprod(X, X * w)
  ld <- as.numeric(determinant(info, logarithm = TRUE)$modulus)
  ll <- sum(y * eta - (pmax(eta, 0) + log1p(exp(-abs(eta)))))
  inv <- solve(info)
  h <- w * rowSums((X %*% inv) * X)
  list(pll = ll + 0.5 * ld, U = drop(crossprod(X, y - p + h * (0.5 - p))), I = info)
}

firth_fit <- function(X, y, free = rep(TRUE, ncol(X)), start = rep(0, ncol(X))) {
  b <- start
  cur <- firth_pieces(X, y, b)
  idx <- which(free)
  if (length(idx) == 0) return(list(b = b, pll = cur$pll))
  for (it in 1:200) {
    step <- solve(cur$I[idx, idx, drop = FALSE], cur$U[idx])
    if (max(abs(step)) > 5) step <- step * 5 / max(abs(step))
    improved <- FALSE
    for (hs in 1:30) {
      nb <- b
      nb[idx] <- nb[idx] + step
      new <- firth_pieces(X, y, nb)
      tol <- 1e-12 * max(1, abs(cur$pll))
      # logistf: a step is taken when it increases l*; where l* no longer changes beyond
      # rounding, only a step that shrinks the score (a step keeping l* can cycle)
      if (new$pll > cur$pll + tol ||
          (new$pll >= cur$pll - tol && max(abs(new$U[idx])) < max(abs(cur$U[idx])))) {
        improved <- TRUE
        break
      }
      step <- step / 2
    }
    if (!improved) {  # no step increases l*: the maximum to rounding
      if (max(abs(cur$U[idx])) < 1e-6) return(list(b = b, pll = cur$pll))
      stop("Firth fit did not converge")
    }
    b <- nb
    cur <- new
    if (max(abs(step)) < 1e-10 && max(abs(cur$U[idx])) < 1e-9) {
      return(list(b = b, pll = cur$pll))
    }
  }
  stop("Firth fit did not converge")
}

profile_pll <- function(X, y, fit, j, value) {
  start <- fit$b
  start[j] <- value
  free <- rep(TRUE, ncol(X))
  free[j] <- FALSE
  firth_fit(X, y, free, start)$pll
}
