"""Cox proportional-hazards regression, mirroring R's ``survival::coxph``.

The model of Cox (1972), fitted by maximising the partial likelihood with Newton-Raphson
(:func:`mdsrs_core.models._survival_engine.cox_fit`). Tied event times use Efron's (1977)
approximation by default, as R does; ``ties="breslow"`` gives Breslow's. ``strata(x)``
terms give a stratified model: a baseline hazard per stratum, common coefficients.

The counting-process form ``Surv(start, stop, event)`` (Andersen & Gill 1982) fits
time-varying covariates, one row per ``(start, stop]`` interval, as R's
``coxph(Surv(start, stop, event) ~ ...)``. ``weights=`` gives case weights (R's
``weights =``). A ``cluster(id)`` term, or ``robust=True``, replaces the model-based
variance by the robust (sandwich) variance of Lin & Wei (1989) grouped by cluster, as R
does (``robust`` defaults, as in R, to true when there is a cluster() term or a weight that
is not a whole number). Then ``tidy()`` reports the robust standard error (as broom does)
and the model-based one in ``std_error_naive``; the Wald test uses the robust variance and
``glance()`` adds R's robust score test. These fits use the likelihood of
:mod:`mdsrs_core.models._cox_counting` (R's ``agfit4``).

A coefficient that the data push to infinity (monotone likelihood -- typically a group
with no events) is not reported: :func:`coxph` raises :class:`~mdsrs_core.errors.ModelError`
naming it, where R would print a warning and a meaningless finite estimate.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from mdsrs_core.errors import ModelError
from mdsrs_core.formula import ModelFrame, model_frame
from mdsrs_core.models._cox_counting import robust_variance
from mdsrs_core.models._rank import column_rank
from mdsrs_core.models._survival_engine import CoxFit, concordance, cox_fit
from mdsrs_core.models.results import ModelResults

__all__ = ["CoxphResults", "coxph"]

TIES = ("efron", "breslow")


class CoxphResults(ModelResults):
    """A fitted Cox model: ``tidy()``, ``glance()``, ``summary()`` as R's coxph."""

    model_name = "coxph"
    r_call = "survival::coxph(formula, data, ties = 'efron')"

    def __init__(
        self,
        frame: ModelFrame,
        fit: CoxFit,
        ties: str,
        strata: np.ndarray | None,
        cluster: np.ndarray | None = None,
        weighted: bool = False,
    ) -> None:
        if frame.time is None or frame.event is None:  # coxph() has checked this
            raise ValueError("CoxphResults needs the model frame of a Surv(time, event) formula")
        self._time: np.ndarray = frame.time
        self._event: np.ndarray = frame.event
        self._start = frame.start
        self._weights = frame.weights
        #: model-based variance (inverse information), R's ``fit$naive.var`` when robust
        self.naive_var: np.ndarray = fit.var
        #: robust (sandwich) variance when robust, else None
        self.robust_var: np.ndarray | None = None
        #: R's robust score test statistic when robust, else None
        self.robust_score: float | None = None
        self._cluster = cluster
        if cluster is not None:
            self.robust_var, self.robust_score = robust_variance(
                fit.data, fit.coef, fit.var, cluster
            )
        var = self.naive_var if self.robust_var is None else self.robust_var
        super().__init__(frame, frame.term_names, fit.coef, np.sqrt(np.diag(var)))
        # the likelihood's sorted copy of the data has served (the robust variance above):
        # released, as nothing after the fit reads it (10^6 rows, 2 terms: ~60 MB)
        self.fit = replace(fit, data=None)
        self.ties = ties
        args = ["formula", "data"]
        if weighted:
            args.append("weights = w")
        if self.robust and (frame.cluster is None):
            args.append("robust = TRUE")
        args.append(f"ties = '{ties}'")
        self.r_call = f"survival::coxph({', '.join(args)})"
        self._strata = strata
        #: warnings about the fit (empty when there is nothing to say)
        self.warnings: list[str] = []

    @property
    def robust(self) -> bool:
        """Whether the standard errors are robust (sandwich) ones."""
        return self.robust_var is not None

    @property
    def n_cluster(self) -> int | None:
        """Number of clusters of the robust variance (rows when ``robust=True`` alone)."""
        return None if self._cluster is None else int(self._cluster.max()) + 1

    def tidy(self, conf_level: float = 0.95, exponentiate: bool = False) -> pd.DataFrame:
        """Coefficient table ``term, estimate, std_error, statistic, p_value, conf_low,
        conf_high``; when robust, ``std_error`` is R's ``robust se`` (as broom reports it)
        and the model-based ``se(coef)`` is added as ``std_error_naive``."""
        table = super().tidy(conf_level=conf_level, exponentiate=exponentiate)
        if self.robust:
            table["std_error_naive"] = np.sqrt(np.diag(self.naive_var))
        return table

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
    def var(self) -> np.ndarray:
        """The variance the standard errors use: robust when robust (R's ``fit$var``)."""
        return self.naive_var if self.robust_var is None else self.robust_var

    @property
    def vcov(self) -> pd.DataFrame:
        """Variance-covariance matrix of the coefficients, as R's ``vcov(fit)``: the
        inverse information, or the robust variance when robust."""
        return pd.DataFrame(self.var, index=self.terms, columns=self.terms)

    @property
    def aic(self) -> float:
        """``-2 loglik + 2 p``, as R's ``AIC(fit)``."""
        return -2.0 * self.loglik + 2.0 * len(self.terms)

    def _test_values(self) -> dict[str, tuple[float, float]]:
        """test name -> (statistic, p-value) of :meth:`tests`."""
        from mdsrs_core.stats.distributions import chi2

        p = len(self.terms)
        lr = 2.0 * (self.loglik - self.loglik_null)
        wald = float(self.estimate @ np.linalg.solve(self.var, self.estimate))
        values = {"likelihood_ratio": lr, "wald": wald, "score": self.fit.score_test}
        if self.robust_score is not None:
            values["robust_score"] = self.robust_score
        return {name: (s, float(chi2.sf(s, p))) for name, s in values.items()}

    def tests(self) -> pd.DataFrame:
        """The global tests of beta = 0 that R's summary prints: likelihood ratio, Wald
        and score (log-rank), each a chi-square on p degrees of freedom; when robust, the
        Wald test uses the robust variance and R's robust score test is added."""
        values = self._test_values()
        return pd.DataFrame(
            {
                "test": list(values),
                "statistic": [s for s, _ in values.values()],
                "df": [len(self.terms)] * len(values),
                "p_value": [pv for _, pv in values.values()],
            }
        )

    @cached_property
    def concordance(self) -> tuple[float, float]:
        """Harrell's C of the linear predictor and its standard error, as R's
        ``fit$concordance`` (computed on first use)."""
        if self._start is None and self._weights is None and self._cluster is None:
            c, se, _ = concordance(self._time, self._event, self.fit.linear_predictor, self._strata)
            return c, se
        from mdsrs_core.models._cox_counting import concordance_counting

        c, se = concordance_counting(
            self._start,
            self._time,
            self._event,
            self.fit.linear_predictor,
            self._strata,
            self._weights,
            self._cluster,
        )
        return c, se

    def glance(self) -> pd.DataFrame:
        """One row: ``nobs, n_dropped, nevent, logLik, AIC, statistic_log, p_value_log,
        statistic_sc, p_value_sc, statistic_wald, p_value_wald, df, concordance,
        std_error_concordance, iterations, converged``; when robust also
        ``statistic_robust, p_value_robust, n_cluster`` (R's robust score test)."""
        tests = self._test_values()
        c, c_se = self.concordance
        robust = {}
        if self.robust:
            robust = {
                "statistic_robust": tests["robust_score"][0],
                "p_value_robust": tests["robust_score"][1],
                "n_cluster": self.n_cluster,
            }
        row = {
            "nobs": self.nobs,
            "n_dropped": self.n_dropped,
            "nevent": self.nevent,
            "logLik": self.loglik,
            "AIC": self.aic,
            "statistic_log": tests["likelihood_ratio"][0],
            "p_value_log": tests["likelihood_ratio"][1],
            "statistic_sc": tests["score"][0],
            "p_value_sc": tests["score"][1],
            "statistic_wald": tests["wald"][0],
            "p_value_wald": tests["wald"][1],
            "df": len(self.terms),
            "concordance": c,
            "std_error_concordance": c_se,
            "iterations": self.fit.iterations,
            "converged": self.fit.converged,
            **robust,
        }
        # one array per column, its dtype inferred once (pandas' own inference per column
        # costs more than the fit at n = 62)
        return pd.DataFrame({k: np.asarray([v]) for k, v in row.items()}, copy=False)

    def _call_text(self) -> str:
        args = [f"formula = {self.formula}", "data"]
        if self._weights is not None:
            args.append("weights = w")
        if self.robust and self.model_frame.cluster is None:
            args.append("robust = TRUE")
        args.append(f'ties = "{self.ties}"')
        return f"coxph({', '.join(args)})"

    def summary(self, conf_level: float = 0.95) -> str:
        """Readable text laid out as R's ``summary(coxph(...))``."""
        tidy = self.tidy(conf_level=conf_level)
        hr = self.tidy(conf_level=conf_level, exponentiate=True)
        columns = {
            "coef": tidy["estimate"].to_numpy(),
            "exp(coef)": hr["estimate"].to_numpy(),
            "se(coef)": np.sqrt(np.diag(self.naive_var)),
        }
        if self.robust:
            columns["robust se"] = tidy["std_error"].to_numpy()
        columns["z"] = tidy["statistic"].to_numpy()
        columns["Pr(>|z|)"] = tidy["p_value"].to_numpy()
        coef = pd.DataFrame(columns, index=self.terms)
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
            self._call_text(),
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
            if row.test == "robust_score":
                lines[-1] += f",   Robust = {row.statistic:.4g}  p={row.p_value:.3g}"
                continue
            lines.append(
                f"{names[str(row.test)]:<21}= {row.statistic:.4g}  on {row.df} df,"
                f"   p={row.p_value:.3g}"
            )
        if self.robust:
            lines += [
                "",
                "  (Note: the likelihood ratio and score tests assume independence of",
                "     observations within a cluster, the Wald and robust score tests do not).",
            ]
        lines += [f"Warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def _codes(strata: pd.Series | None) -> np.ndarray | None:
    """Integer codes of the stratum labels, numbered in the labels' sorted order (as
    ``np.unique`` of the texts numbers them; each distinct label converted once)."""
    if strata is None:
        return None
    which, labels = pd.factorize(strata)
    texts = np.asarray(labels).astype(str)
    number = np.empty(len(texts), dtype=np.int64)
    number[np.argsort(texts, kind="stable")] = np.arange(len(texts))
    return number[which]


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


def _cluster_codes(values: pd.Series) -> np.ndarray:
    """Integer codes 0..k-1 of the cluster ids (R orders them; the order changes nothing)."""
    return np.unique(values.to_numpy(dtype=str), return_inverse=True)[1].reshape(-1)


def coxph(
    formula: str,
    data: Any,
    ties: str = "efron",
    weights: Any = None,
    robust: bool | None = None,
) -> CoxphResults:
    """Fit a Cox proportional-hazards model, as ``survival::coxph(formula, data, weights,
    robust, ties)``.

    Converges to ``|1 - loglik_old/loglik_new| <= 1e-12`` (at most 100 iterations).
    Raises :class:`~mdsrs_core.errors.ModelError` when there are no events, no covariate,
    collinear covariates, no convergence or an infinite coefficient.

    Parameters
    ----------
    formula:
        ``"Surv(time, event) ~ terms"``, or ``"Surv(start, stop, event) ~ terms"`` for
        ``(start, stop]`` intervals (time-varying covariates: one row per interval, an
        event only on a subject's last row). ``strata(x)`` terms stratify the baseline
        hazard; a ``cluster(id)`` term groups rows (a subject's intervals, a centre's
        patients) for the robust variance.
    data:
        A pandas DataFrame or a :class:`~mdsrs_core.Cohort`. Rows with a missing value in
        the formula's variables (or the weights) are dropped and counted (``n_dropped``).
    ties:
        ``"efron"`` (R's default) or ``"breslow"``.
    weights:
        Case weights: a column name or one value per row (R's ``weights =``), >= 0.
    robust:
        Robust (sandwich) standard errors. ``None`` (the default) follows R: robust when the
        formula has a ``cluster()`` term or a weight is not a whole number. ``True`` without
        a cluster treats each row as its own cluster (right-censored data; the counting
        form needs ``cluster(id)``, as R requires). ``False`` with a cluster ignores it,
        with a warning, as R does.
    """
    if ties not in TIES:
        raise ModelError(f"ties must be 'efron' or 'breslow', not {ties!r}.")
    if robust not in (None, True, False):
        raise ModelError(f"robust must be True, False or None, not {robust!r}.")
    frame = model_frame(formula, data, intercept=False, weights=weights, allow_cluster=True)
    if frame.time is None or frame.event is None:
        raise ModelError(
            f"coxph needs a survival outcome: write the formula {formula!r} as "
            "'Surv(time, event) ~ terms', e.g. 'Surv(os_months, death) ~ arm', or "
            "'Surv(start, stop, event) ~ terms' for (start, stop] intervals."
        )
    terms = frame.term_names
    if not terms:
        raise ModelError(
            f"The formula {formula!r} has no covariate to estimate: give at least one term "
            "(e.g. '~ arm'); for curves and a log-rank test use survfit and survdiff."
        )
    event = frame.event  # 0/1: the engine reads it as it is (no float copy of every row)
    if event.sum() == 0:
        raise ModelError(
            f"coxph cannot fit {formula!r}: none of the {frame.nobs} rows used has an event "
            "(every time is censored), so there is no information on the hazard ratio."
        )
    w = frame.weights
    if w is not None and not (w[event > 0] > 0).any():
        raise ModelError(
            f"coxph cannot fit {formula!r}: every row with an event has weight 0, so there "
            "is no information on the hazard ratio."
        )
    design = frame.design
    x = (design if list(design.columns) == terms else design[terms]).to_numpy(dtype=float)
    if column_rank(x, centre=True) < len(terms):
        raise ModelError(
            f"The covariates of {formula!r} are collinear (or one is constant) in the "
            f"{frame.nobs} rows used: {', '.join(terms)}. Remove the redundant term."
        )
    warnings: list[str] = []
    fractional = w is not None and bool(np.any(w != np.floor(w)))
    explicit = robust is not None
    if robust is None:
        robust = frame.cluster is not None or fractional
    cluster = None
    if frame.cluster is not None and not robust:
        warnings.append("cluster specified with robust=False, cluster ignored (as R does)")
    elif frame.cluster is not None:
        cluster = _cluster_codes(frame.cluster)
    elif robust:
        if frame.start is not None and explicit:
            raise ModelError(
                f"robust=True for the counting-process formula {formula!r} needs to know "
                "which rows belong to one subject: add a cluster(id) term, e.g. "
                "'Surv(start, stop, event) ~ x + cluster(patient_id)' (R: 'one of cluster "
                "or id is needed')."
            )
        cluster = np.arange(frame.nobs)
    strata = _codes(frame.strata)
    fit = cox_fit(
        frame.time,
        event,
        x,
        strata,
        ties=ties,
        start=frame.start,
        # robust variances need the score residuals of the counting-process likelihood
        weights=np.ones(frame.nobs) if (w is None and cluster is not None) else w,
    )
    if not fit.converged:
        raise ModelError(
            f"coxph did not converge for {formula!r} in {fit.iterations} Newton-Raphson "
            "iterations; check for covariates on very different scales or for groups "
            "with very few events."
        )
    if fit.infinite.any():
        raise ModelError(_infinite_message(formula, terms, fit.infinite, x, event))
    result = CoxphResults(frame, fit, ties, strata, cluster, weighted=w is not None)
    result.warnings.extend(warnings)
    return result
