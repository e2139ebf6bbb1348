"""Cox proportional-hazards regression, mirroring R's ``survival::coxph``.

The model of Cox (1972), fitted by maximising the partial likelihood with Newton-Raphson
(:func:`mdsrs_core.models._survival_engine.cox_fit`). Tied event times use Efron's (1977)
approximation by default, as R does; ``ties="breslow"`` gives Breslow's. ``strata(x)``
terms give a stratified model: a baseline hazard per stratum, common coefficients.

A coefficient that the data push to infinity (monotone likelihood -- typically a group
with no events) is not reported: :func:`coxph` raises :class:`~mdsrs_core.errors.ModelError`
naming it, where R would print a warning and a meaningless finite estimate.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from mdsrs_core.errors import ModelError
from mdsrs_core.formula import ModelFrame, model_frame
from mdsrs_core.models._survival_engine import CoxFit, concordance, cox_fit
from mdsrs_core.models.results import ModelResults

__all__ = ["CoxphResults", "coxph"]

TIES = ("efron", "breslow")


class CoxphResults(ModelResults):
    """A fitted Cox model: ``tidy()``, ``glance()``, ``summary()`` as R's coxph."""

    model_name = "coxph"
    r_call = "survival::coxph(formula, data, ties = 'efron')"

    def __init__(
        self, frame: ModelFrame, fit: CoxFit, ties: str, strata: np.ndarray | None
    ) -> None:
        if frame.time is None or frame.event is None:  # coxph() has checked this
            raise ValueError("CoxphResults needs the model frame of a Surv(time, event) formula")
        self._time: np.ndarray = frame.time
        self._event: np.ndarray = frame.event
        se = np.sqrt(np.diag(fit.var))
        super().__init__(frame, frame.term_names, fit.coef, se)
        self.fit = fit
        self.ties = ties
        self.r_call = f"survival::coxph(formula, data, ties = '{ties}')"
        self._strata = strata
        #: warnings about the fit (empty when there is nothing to say)
        self.warnings: list[str] = []

    # ------------------------------------------------------------------ figures
    @property
    def nevent(self) -> int:
        """Number of events in the rows used."""
        return int(self._event.sum())

    @property
    def loglik(self) -> float:
        """Log partial likelihood at the estimates (R's ``fit$loglik[2]``)."""
        return self.fit.loglik

    @property
    def loglik_null(self) -> float:
        """Log partial likelihood at beta = 0 (R's ``fit$loglik[1]``)."""
        return self.fit.loglik_null

    @property
    def vcov(self) -> pd.DataFrame:
        """Variance-covariance matrix of the coefficients (inverse information)."""
        return pd.DataFrame(self.fit.var, index=self.terms, columns=self.terms)

    @property
    def aic(self) -> float:
        """``-2 loglik + 2 p``, as R's ``AIC(fit)``."""
        return -2.0 * self.loglik + 2.0 * len(self.terms)

    def tests(self) -> pd.DataFrame:
        """The three global tests of beta = 0 that R's summary prints: likelihood ratio,
        Wald and score (log-rank), each a chi-square on p degrees of freedom."""
        from scipy.stats import chi2

        p = len(self.terms)
        lr = 2.0 * (self.loglik - self.loglik_null)
        wald = float(self.estimate @ np.linalg.solve(self.fit.var, self.estimate))
        sc = self.fit.score_test
        stats = [lr, wald, sc]
        return pd.DataFrame(
            {
                "test": ["likelihood_ratio", "wald", "score"],
                "statistic": stats,
                "df": [p] * 3,
                "p_value": [float(chi2.sf(s, p)) for s in stats],
            }
        )

    @cached_property
    def concordance(self) -> tuple[float, float]:
        """Harrell's C of the linear predictor and its standard error, as R's
        ``fit$concordance`` (computed on first use)."""
        c, se, _ = concordance(self._time, self._event, self.fit.linear_predictor, self._strata)
        return c, se

    def glance(self) -> pd.DataFrame:
        """One row: ``nobs, n_dropped, nevent, logLik, AIC, statistic_log, p_value_log,
        statistic_sc, p_value_sc, statistic_wald, p_value_wald, df, concordance,
        std_error_concordance, iterations, converged``."""
        tests = self.tests().set_index("test")
        c, c_se = self.concordance
        return pd.DataFrame(
            [
                {
                    "nobs": self.nobs,
                    "n_dropped": self.n_dropped,
                    "nevent": self.nevent,
                    "logLik": self.loglik,
                    "AIC": self.aic,
                    "statistic_log": tests.loc["likelihood_ratio", "statistic"],
                    "p_value_log": tests.loc["likelihood_ratio", "p_value"],
                    "statistic_sc": tests.loc["score", "statistic"],
                    "p_value_sc": tests.loc["score", "p_value"],
                    "statistic_wald": tests.loc["wald", "statistic"],
                    "p_value_wald": tests.loc["wald", "p_value"],
                    "df": len(self.terms),
                    "concordance": c,
                    "std_error_concordance": c_se,
                    "iterations": self.fit.iterations,
                    "converged": self.fit.converged,
                }
            ]
        )

    def summary(self, conf_level: float = 0.95) -> str:
        """Readable text laid out as R's ``summary(coxph(...))``."""
        tidy = self.tidy(conf_level=conf_level)
        hr = self.tidy(conf_level=conf_level, exponentiate=True)
        coef = pd.DataFrame(
            {
                "coef": tidy["estimate"].to_numpy(),
                "exp(coef)": hr["estimate"].to_numpy(),
                "se(coef)": tidy["std_error"].to_numpy(),
                "z": tidy["statistic"].to_numpy(),
                "Pr(>|z|)": tidy["p_value"].to_numpy(),
            },
            index=self.terms,
        )
        pct = f"{conf_level:g}"[1:] if conf_level < 1 else f"{conf_level:g}"
        ci = pd.DataFrame(
            {
                "exp(coef)": hr["estimate"].to_numpy(),
                "exp(-coef)": 1.0 / hr["estimate"].to_numpy(),
                f"lower {pct}": hr["conf_low"].to_numpy(),
                f"upper {pct}": hr["conf_high"].to_numpy(),
            },
            index=self.terms,
        )
        c, c_se = self.concordance
        tests = self.tests()
        dropped = self.n_dropped
        lines = [
            "Call:",
            f'coxph(formula = {self.formula}, data, ties = "{self.ties}")',
            "",
            f"  n= {self.nobs}, number of events= {self.nevent}",
        ]
        if dropped:
            word = "observation" if dropped == 1 else "observations"
            lines.append(f"   ({dropped} {word} deleted due to missingness)")
        lines += [
            "",
            coef.to_string(float_format=lambda v: f"{v:.6g}"),
            "",
            ci.to_string(float_format=lambda v: f"{v:.6g}"),
            "",
            f"Concordance= {c:.3f}  (se = {c_se:.3f} )",
        ]
        names = {
            "likelihood_ratio": "Likelihood ratio test",
            "wald": "Wald test",
            "score": "Score (logrank) test",
        }
        for row in tests.itertuples():
            lines.append(
                f"{names[str(row.test)]:<21}= {row.statistic:.4g}  on {row.df} df,"
                f"   p={row.p_value:.3g}"
            )
        lines += [f"Warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def _codes(strata: pd.Series | None) -> np.ndarray | None:
    if strata is None:
        return None
    return np.unique(strata.to_numpy(dtype=str), return_inverse=True)[1].reshape(-1)


def _infinite_message(
    formula: str, terms: list[str], flags: np.ndarray, x: np.ndarray, event: np.ndarray
) -> str:
    names = ", ".join(repr(str(terms[j])) for j in np.flatnonzero(flags))
    reasons = []
    for j in np.flatnonzero(flags):
        col = x[:, j]
        if set(np.unique(col)) <= {0.0, 1.0}:
            for value in (1.0, 0.0):
                rows = col == value
                if rows.any() and event[rows].sum() == 0:
                    reasons.append(
                        f"the {int(rows.sum())} rows with {terms[j]} = {value:g} have no events"
                    )
    why = (" Here " + "; ".join(reasons) + ".") if reasons else ""
    return (
        f"coxph cannot estimate {names} in {formula!r}: the partial likelihood keeps "
        "increasing as the coefficient goes to infinity (monotone likelihood; R warns "
        f"'Loglik converged before variable ...; coefficient may be infinite').{why} "
        "Report Kaplan-Meier estimates (survfit) and the log-rank test (survdiff) for "
        "this comparison, or drop the term."
    )


def coxph(formula: str, data: Any, ties: str = "efron") -> CoxphResults:
    """Fit a Cox proportional-hazards model, as ``survival::coxph(formula, data, ties)``.

    Converges to ``|1 - loglik_old/loglik_new| <= 1e-12`` (at most 100 iterations).
    Raises :class:`~mdsrs_core.errors.ModelError` when there are no events, no covariate,
    collinear covariates, no convergence or an infinite coefficient.

    Parameters
    ----------
    formula:
        ``"Surv(time, event) ~ terms"``; ``strata(x)`` terms stratify the baseline hazard.
    data:
        A pandas DataFrame or a :class:`~mdsrs_core.Cohort`. Rows with a missing value in
        the formula's variables are dropped and counted (``n_dropped``).
    ties:
        ``"efron"`` (R's default) or ``"breslow"``.
    """
    if ties not in TIES:
        raise ModelError(f"ties must be 'efron' or 'breslow', not {ties!r}.")
    frame = model_frame(formula, data, intercept=False)
    if frame.time is None or frame.event is None:
        raise ModelError(
            f"coxph needs a survival outcome: write the formula {formula!r} as "
            "'Surv(time, event) ~ terms', e.g. 'Surv(os_months, death) ~ arm'."
        )
    terms = frame.term_names
    if not terms:
        raise ModelError(
            f"The formula {formula!r} has no covariate to estimate: give at least one term "
            "(e.g. '~ arm'); for curves and a log-rank test use survfit and survdiff."
        )
    event = frame.event.astype(float)
    if event.sum() == 0:
        raise ModelError(
            f"coxph cannot fit {formula!r}: none of the {frame.nobs} rows used has an event "
            "(every time is censored), so there is no information on the hazard ratio."
        )
    x = frame.design[terms].to_numpy(dtype=float)
    if np.linalg.matrix_rank(x - x.mean(axis=0)) < len(terms):
        raise ModelError(
            f"The covariates of {formula!r} are collinear (or one is constant) in the "
            f"{frame.nobs} rows used: {', '.join(terms)}. Remove the redundant term."
        )
    strata = _codes(frame.strata)
    fit = cox_fit(frame.time, event, x, strata, ties=ties)
    if not fit.converged:
        raise ModelError(
            f"coxph did not converge for {formula!r} in {fit.iterations} Newton-Raphson "
            "iterations; check for covariates on very different scales or for groups "
            "with very few events."
        )
    if fit.infinite.any():
        raise ModelError(_infinite_message(formula, terms, fit.infinite, x, event))
    return CoxphResults(frame, fit, ties, strata)
