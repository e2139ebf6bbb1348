"""Firth's penalised-likelihood logistic regression: R's ``logistf::logistf``.

Method (Firth 1993; Heinze & Schemper 2002): maximise the penalised log-likelihood
``l*(b) = l(b) + 1/2 log det I(b)``, ``I(b) = X'WX``, ``W = diag(pi (1 - pi))`` (Jeffreys'
invariant prior). Its score is Firth's modified score
``U*(b) = X'(y - pi + h (1/2 - pi))`` with ``h`` the diagonal of the hat matrix
``W^1/2 X (X'WX)^-1 X' W^1/2``. The estimate is found by Newton steps
``b <- b + I(b)^-1 U*(b)`` (step halving until ``l*`` increases, as logistf's
``if (loglik > loglik.old) break``, steps capped at 5 as ``logistf.control(maxstep = 5)``),
run until every coefficient changes by less than 1e-10
and the largest |U*| is below 1e-9 -- much tighter than logistf's defaults (1e-5), so the
numbers are the exact maximiser that logistf approaches.

The estimate is finite under complete or quasi-complete separation, a zero-event or an
all-event arm, and even when no patient has the event.

Inference, as logistf's defaults (``pl = TRUE``):

* ``conf_low``/``conf_high``: profile penalised-likelihood intervals, the values ``b_j``
  where ``2 (l*(b_hat) - max_{b_-j} l*(b_j, b_-j)) = qchisq(conf_level, 1)``; each limit is
  found by Brent's root finding on the profile (tolerance 1e-10) rather than by logistf's
  Venzon-Moolgavkar iterations (which stop at 1e-5).
* ``p_value``: penalised likelihood-ratio test of ``b_j = 0`` (the other coefficients
  re-maximised, the penalty still that of the full design), chi-square with 1 df;
  ``statistic`` is that chi-square.
* ``std_error``: square roots of the diagonal of ``I(b_hat)^-1`` (logistf's ``var``).

``tidy(method="wald")`` gives Wald z tests and intervals on the penalised fit instead
(logistf's ``pl = FALSE``). ``glance()`` has the overall penalised likelihood-ratio test
of logistf's ``summary``: the model against the intercept-only model with the penalty of
the full design (the other coefficients fixed at 0), on ``p - 1`` df.

Mirrors: ``logistf::logistf(formula, data)`` (not installed here; the reference script
``tests/results/logistf.R`` writes the same method out in base R).
References: Firth D (1993). Bias reduction of maximum likelihood estimates. Biometrika
80:27-38. Heinze G, Schemper M (2002). A solution to the problem of separation in logistic
regression. Stat Med 21:2409-2419. Venzon DJ, Moolgavkar SH (1988). A method for computing
profile-likelihood-based confidence intervals. Appl Stat 37:87-94.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mdsrs_core.errors import FormulaError, ModelError
from mdsrs_core.formula import ModelFrame, model_frame
from mdsrs_core.models._rank import check_full_rank
from mdsrs_core.models.results import ModelResults
from mdsrs_core.models.tidy import TIDY_COLUMNS, wald_table

__all__ = ["LogistfResults", "logistf", "firth_fit", "penalized_loglik"]

_XTOL = 1e-10
_GTOL = 1e-9
_GTOL_FLOOR = 1e-6  # the score at a maximum no step can improve on, in floating point
_MAXIT = 200
_MAXSTEP = 5.0
_MAXHS = 30


def _pieces(x: np.ndarray, y: np.ndarray, beta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Penalised log-likelihood, modified score and Fisher information at ``beta``."""
    eta = x @ beta
    pi = 1.0 / (1.0 + np.exp(-eta))
    w = pi * (1.0 - pi)
    info = x.T @ (x * w[:, None])
    sign, logdet = np.linalg.slogdet(info)
    if sign <= 0:
        return -np.inf, np.zeros_like(beta), info
    # log-likelihood computed stably: y * eta - log(1 + exp(eta))
    ll = float(np.sum(y * eta - np.logaddexp(0.0, eta)))
    inv = np.linalg.inv(info)
    h = w * np.einsum("ij,jk,ik->i", x, inv, x)
    score = x.T @ (y - pi + h * (0.5 - pi))
    return ll + 0.5 * logdet, score, info


def penalized_loglik(x: np.ndarray, y: np.ndarray, beta: np.ndarray) -> float:
    """Firth's penalised log-likelihood ``l(b) + 1/2 log det(X'WX)`` (logistf's ``loglik``)."""
    return _pieces(np.asarray(x, float), np.asarray(y, float), np.asarray(beta, float))[0]


def firth_fit(
    x: np.ndarray, y: np.ndarray, *, free: np.ndarray | None = None, start: np.ndarray | None = None
) -> tuple[np.ndarray, float, int, bool]:
    """Maximise the penalised log-likelihood over the coefficients marked ``free``.

    Coefficients not free keep their ``start`` values (default 0): this gives the profile
    (``free`` all but one) and the restricted fits of the likelihood-ratio tests.
    Returns ``(beta, penalised loglik, iterations, converged)``.
    """
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    p = x.shape[1]
    beta = np.zeros(p) if start is None else np.array(start, dtype=float)
    free = np.ones(p, dtype=bool) if free is None else np.asarray(free, dtype=bool)
    idx = np.flatnonzero(free)
    pll, score, info = _pieces(x, y, beta)
    if idx.size == 0:
        return beta, pll, 0, True
    for it in range(1, _MAXIT + 1):
        sub = info[np.ix_(idx, idx)]
        step = np.linalg.solve(sub, score[idx])
        big = np.max(np.abs(step))
        if big > _MAXSTEP:
            step *= _MAXSTEP / big
        for _ in range(_MAXHS):
            trial = beta.copy()
            trial[idx] += step
            t_pll, t_score, t_info = _pieces(x, y, trial)
            # logistf's step halving: a step is taken when it increases l*. Where l* no
            # longer changes beyond rounding, a step must shrink the score instead: taking
            # any step that keeps l* lets Fisher scoring cycle between two points either
            # side of the maximum (issue 12)
            tol = 1e-12 * max(1.0, abs(pll))
            if t_pll > pll + tol or (
                t_pll >= pll - tol and np.max(np.abs(t_score[idx])) < np.max(np.abs(score[idx]))
            ):
                break
            step = step / 2
        else:
            # no step increases l*: the maximum to rounding; converged when the score is
            # small there (logistf's gconv is 1e-5)
            return beta, pll, it, bool(np.max(np.abs(score[idx])) < _GTOL_FLOOR)
        beta, pll, score, info = trial, t_pll, t_score, t_info
        if np.max(np.abs(step)) < _XTOL and np.max(np.abs(score[idx])) < _GTOL:
            return beta, pll, it, True
    return beta, pll, _MAXIT, False


def _binary_y(outcome: pd.Series, formula: str) -> np.ndarray:
    from mdsrs_core.models.glm import _binary_outcome

    y, _ = _binary_outcome(outcome, formula)
    return y


class LogistfResults(ModelResults):
    """A Firth logistic regression (see :func:`logistf`)."""

    model_name = "logistf"
    r_call = "logistf::logistf(formula, data)"

    def __init__(
        self,
        mf: ModelFrame,
        x: np.ndarray,
        y: np.ndarray,
        beta: np.ndarray,
        pll: float,
        iterations: int,
        converged: bool,
    ) -> None:
        info = _pieces(x, y, beta)[2]
        var = np.linalg.inv(info)
        super().__init__(mf, list(mf.design.columns), beta, np.sqrt(np.diag(var)))
        self.x, self.y = x, y
        self.vcov = var
        self.loglik = pll
        self.iterations = iterations
        self.converged = converged
        self._plr: dict[int, float] = {}
        self._ci: dict[tuple[int, float], tuple[float, float]] = {}

    # ------------------------------------------------------------ profile likelihood
    def _profile(self, j: int, value: float) -> float:
        """max over the other coefficients of l*, with coefficient ``j`` fixed at ``value``."""
        free = np.ones(len(self.terms), dtype=bool)
        free[j] = False
        start = self.estimate.copy()
        start[j] = value
        beta, pll, _, ok = firth_fit(self.x, self.y, free=free, start=start)
        if not ok:
            raise ModelError(
                f"The profile penalised likelihood of {self.terms[j]!r} in "
                f"{self.formula!r} did not converge at {value:g}."
            )
        return pll

    def plr_statistic(self, j: int) -> float:
        """Penalised likelihood-ratio chi-square of ``coefficient j = 0``."""
        if j not in self._plr:
            self._plr[j] = max(0.0, 2.0 * (self.loglik - self._profile(j, 0.0)))
        return self._plr[j]

    def profile_ci(self, j: int, conf_level: float = 0.95) -> tuple[float, float]:
        """Profile penalised-likelihood interval of coefficient ``j`` (link scale)."""
        from scipy import optimize

        from mdsrs_core.stats import distributions as stats

        key = (j, conf_level)
        if key in self._ci:
            return self._ci[key]
        target = self.loglik - stats.chi2.ppf(conf_level, 1) / 2.0
        b, se = self.estimate[j], self.std_error[j]

        def f(v: float) -> float:
            return self._profile(j, v) - target

        limits = []
        for direction in (-1.0, 1.0):
            width = max(se, 0.1)
            inner, outer = b, b + direction * width
            while f(outer) > 0:
                inner, outer = outer, outer + direction * width
                width *= 2
                if width > 1e4:
                    raise ModelError(f"No profile limit found for {self.terms[j]!r}.")
            lo, hi = sorted((inner, outer))
            limits.append(
                optimize.brentq(f, lo, hi, xtol=1e-12, rtol=4 * np.finfo(float).eps, maxiter=500)
            )
        self._ci[key] = (limits[0], limits[1])
        return self._ci[key]

    # ------------------------------------------------------------ tables
    def tidy(
        self, conf_level: float = 0.95, exponentiate: bool = False, method: str = "pl"
    ) -> pd.DataFrame:
        """``term, estimate, std_error, statistic, p_value, conf_low, conf_high``.

        ``method="pl"`` (default, logistf's ``pl = TRUE``): profile penalised-likelihood
        intervals and penalised likelihood-ratio tests (``statistic`` is the chi-square,
        1 df). ``method="wald"`` (logistf's ``pl = FALSE``): Wald z on the penalised fit.
        ``exponentiate`` gives odds ratios (estimate and limits), as broom.
        """
        if method == "wald":
            return wald_table(
                self.terms,
                self.estimate,
                self.std_error,
                conf_level=conf_level,
                exponentiate=exponentiate,
            )
        if method != "pl":
            raise ValueError(f"method must be 'pl' or 'wald', not {method!r}")
        from mdsrs_core.stats import distributions as stats

        rows = []
        for j, term in enumerate(self.terms):
            chisq = self.plr_statistic(j)
            low, high = self.profile_ci(j, conf_level)
            est = self.estimate[j]
            if exponentiate:
                est, low, high = np.exp(est), np.exp(low), np.exp(high)
            rows.append(
                {
                    "term": term,
                    "estimate": est,
                    "std_error": self.std_error[j],
                    "statistic": chisq,
                    "p_value": float(stats.chi2.sf(chisq, 1)),
                    "conf_low": low,
                    "conf_high": high,
                }
            )
        return pd.DataFrame(rows, columns=TIDY_COLUMNS)

    def null_loglik(self) -> float:
        """Penalised log-likelihood with only the intercept free (logistf's null model)."""
        free = np.zeros(len(self.terms), dtype=bool)
        if self.model_frame.include_intercept:
            free[self.terms.index("Intercept")] = True
        return firth_fit(self.x, self.y, free=free)[1]

    def glance(self) -> pd.DataFrame:
        """``nobs, n_dropped, logLik`` (penalised), ``null_logLik``, the overall penalised
        likelihood-ratio test ``statistic, df, p_value``, ``converged, iterations``."""
        from mdsrs_core.stats import distributions as stats

        null = self.null_loglik()
        df = len(self.terms) - int(self.model_frame.include_intercept)
        chisq = max(0.0, 2.0 * (self.loglik - null))
        return pd.DataFrame(
            [
                {
                    "nobs": self.nobs,
                    "n_dropped": self.n_dropped,
                    "logLik": self.loglik,
                    "null_logLik": null,
                    "statistic": chisq,
                    "df": df,
                    "p_value": float(stats.chi2.sf(chisq, df)) if df > 0 else np.nan,
                    "converged": self.converged,
                    "iterations": self.iterations,
                }
            ]
        )


def logistf(formula: str, data: Any) -> LogistfResults:
    """Fit Firth's penalised logistic regression, as R's ``logistf(formula, data)``.

    The outcome is 0/1, true/false or a two-level factor (first level = failure), as for
    ``glm(family="binomial")``. Rows with missing values in the formula's variables are
    dropped and counted. Finite estimates under separation; see the module docstring.
    """
    mf = model_frame(formula, data)
    if mf.outcome is None:
        raise FormulaError(f"logistf needs an outcome on the left of '~' in {formula!r}.")
    y = _binary_y(mf.outcome, formula)
    check_full_rank(mf.design, formula)
    x = mf.design.to_numpy(dtype=float)
    beta, pll, it, ok = firth_fit(x, y)
    if not ok:
        raise ModelError(
            f"The Firth logistic regression {formula!r} did not converge in {_MAXIT} iterations."
        )
    return LogistfResults(mf, x, y, beta, pll, it, ok)
