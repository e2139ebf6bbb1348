"""Parametric accelerated-failure-time regression, mirroring R's ``survival::survreg``.

``log T = x'beta + sigma W`` with ``W`` extreme-value (``dist="weibull"``; ``"exponential"``
fixes ``sigma = 1``), normal (``"lognormal"``) or logistic (``"loglogistic"``). The
coefficients are on the log-time scale as in R: ``exp(beta)`` is a *time ratio* (the factor
by which survival times are stretched), ``Log(scale)`` is ``log sigma``; for the Weibull,
R's scale is 1 / the shape and the hazard ratio is ``exp(-beta / sigma)``. ``strata(x)``
terms give one scale per stratum (R's rows ``x=a``). Case ``weights=`` multiply each row's
log-likelihood, as R's ``weights``.

Fitted by maximum likelihood with Newton-Raphson on the exact log-likelihood, analytic
gradient and Hessian in ``(beta, log sigma)`` (:mod:`mdsrs_core.models._aft_engine`);
standard errors from the inverse observed information, as R's ``fit$var``. Newton starts
from least squares on ``log t`` (``init="lsq"``), or from lifelines' AFT fitters
(``init="lifelines"``: WeibullAFTFitter, LogNormalAFTFitter, LogLogisticAFTFitter, whose
own optimum lies ~1e-5 from R's) -- both reach R's optimum to rounding.

References: Kalbfleisch J.D., Prentice R.L. (2002) *The Statistical Analysis of Failure Time
Data*, 2nd ed., Wiley, ch. 2-3; Therneau T.M., *survival* package, ``survreg``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from functools import cached_property
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from mdsrs_core.errors import ModelError
from mdsrs_core.formula import ModelFrame, model_frame, split_formula
from mdsrs_core.models._aft_engine import (
    DISTRIBUTIONS,
    AftFit,
    aft_fit,
    standard_quantile,
    survival,
)
from mdsrs_core.models._rank import column_rank
from mdsrs_core.models.results import ModelResults
from mdsrs_core.models.tidy import wald_table

__all__ = ["DISTS", "SurvregResults", "survreg"]

DISTS = tuple(DISTRIBUTIONS)
INITS = ("lsq", "lifelines")
_NAMES = {
    "weibull": "Weibull",
    "exponential": "Exponential",
    "lognormal": "Log-normal",
    "loglogistic": "Log-logistic",
}


class SurvregResults(ModelResults):
    """A fitted AFT model: ``tidy()``, ``glance()``, ``predict()``, ``summary()`` as R's
    ``survreg``."""

    model_name = "survreg"

    def __init__(
        self,
        frame: ModelFrame,
        fit: AftFit,
        null: Callable[[], AftFit],
        dist: str,
        strata_levels: list[str],
        strata_codes: np.ndarray,
        weights: np.ndarray | None,
        event: np.ndarray,
    ) -> None:
        self.coef_names = list(frame.design.columns)
        self.dist = dist
        self.fit = fit
        self._null = null
        self.strata_levels = strata_levels
        self._strata_codes = strata_codes
        self._event = event
        self.weights = weights
        if dist == "exponential":
            scale_terms: list[str] = []
        elif len(strata_levels) > 1:
            scale_terms = list(strata_levels)
        else:
            scale_terms = ["Log(scale)"]
        estimate = np.r_[fit.coef, fit.log_scale]
        super().__init__(frame, self.coef_names + scale_terms, estimate, np.sqrt(np.diag(fit.var)))
        self.r_call = f"survival::survreg(formula, data, dist = '{dist}')"

    # ------------------------------------------------------------------ figures
    @property
    def coefficients(self) -> pd.Series:
        """The regression coefficients (log-time scale), without the scale rows."""
        return pd.Series(self.fit.coef, index=self.coef_names, name="estimate")

    @property
    def scale(self) -> np.ndarray:
        """sigma per stratum (R's ``fit$scale``); 1 for the exponential."""
        if self.dist == "exponential":
            return np.ones(max(1, len(self.strata_levels)))
        return np.exp(self.fit.log_scale)

    @property
    def vcov(self) -> pd.DataFrame:
        """Covariance of (coefficients, log scales): R's ``fit$var``."""
        return pd.DataFrame(self.fit.var, index=self.terms, columns=self.terms)

    @property
    def nevent(self) -> int:
        """Number of events in the rows used."""
        return int(self._event.sum())

    @property
    def loglik(self) -> float:
        """Log-likelihood at the estimates, on the time scale (R's ``logLik(fit)``)."""
        return self.fit.loglik

    @cached_property
    def null(self) -> AftFit:
        """The intercept-only fit, fitted on first use: ``print.survreg``'s ``Loglik(intercept
        only)`` (R fits it also for a formula without intercept)."""
        return self._null()

    @property
    def loglik_null(self) -> float:
        """Log-likelihood of the intercept-only model (R's ``fit$loglik[1]``)."""
        return self.null.loglik

    @property
    def df(self) -> int:
        """Number of parameters, scales included (R's ``attr(logLik(fit), "df")``)."""
        return len(self.terms)

    def chisq_test(self) -> tuple[float, int, float]:
        """Likelihood-ratio chi-square against the intercept-only model, its degrees of
        freedom and p-value, as ``print.survreg``'s ``Chisq= ... on k degrees of freedom``."""
        from mdsrs_core.stats.distributions import chi2

        stat = 2.0 * (self.loglik - self.loglik_null)
        k = len(self.fit.coef) - len(self.null.coef)
        return stat, k, float(chi2.sf(stat, k)) if k > 0 else float("nan")

    def tidy(self, conf_level: float = 0.95, exponentiate: bool = False) -> pd.DataFrame:
        """``term, estimate, std_error, statistic, p_value, conf_low, conf_high`` (Wald),
        the rows of R's ``summary(fit)$table``; ``conf_*`` of the coefficients are R's
        ``confint(fit)``.

        ``exponentiate=True`` turns the coefficients into time ratios ``exp(beta)`` (and
        their interval limits); the ``Log(scale)`` rows stay on the log scale (the scale
        itself is ``glance()["scale"]``).
        """
        table = wald_table(self.terms, self.estimate, self.std_error, conf_level=conf_level)
        if exponentiate:
            rows = np.arange(len(self.terms)) < len(self.coef_names)
            for col in ("estimate", "conf_low", "conf_high"):
                table.loc[rows, col] = np.exp(table.loc[rows, col].to_numpy(dtype=float))
        return table

    def glance(self) -> pd.DataFrame:
        """One row: ``nobs, n_dropped, events, logLik, AIC, BIC, df, scale, logLik_null,
        statistic, df_statistic, p_value, iterations, converged, dist`` (``statistic`` is the
        chi-square against the intercept-only model; ``scale`` the first stratum's, with
        ``scale_<stratum>`` columns when there are strata)."""
        stat, k, p = self.chisq_test()
        n = self.nobs
        row: dict[str, Any] = {
            "nobs": n,
            "n_dropped": self.n_dropped,
            "events": self.nevent,
            "logLik": self.loglik,
            "AIC": -2.0 * self.loglik + 2.0 * self.df,
            "BIC": -2.0 * self.loglik + np.log(n) * self.df,
            "df": self.df,
            "scale": float(self.scale[0]),
        }
        if len(self.strata_levels) > 1:
            for level, value in zip(self.strata_levels, self.scale, strict=True):
                row[f"scale_{level}"] = float(value)
        row.update(
            {
                "logLik_null": self.loglik_null,
                "statistic": stat,
                "df_statistic": k,
                "p_value": p,
                "iterations": self.fit.iterations,
                "converged": self.fit.converged,
                "dist": self.dist,
            }
        )
        return pd.DataFrame([row])

    # ------------------------------------------------------------------ prediction
    def _new_design(self, newdata: pd.DataFrame | None) -> tuple[np.ndarray, np.ndarray, Any]:
        """Design rows, stratum codes and row labels for ``newdata`` (the fit's own rows
        when None), coded exactly as the data the model was fitted to."""
        frame = self.model_frame
        if newdata is None:
            return frame.design.to_numpy(dtype=float), self._strata_codes, frame.design.index
        if not isinstance(newdata, pd.DataFrame):
            newdata = pd.DataFrame(newdata)
        if self.coef_names == ["Intercept"] and len(self.strata_levels) <= 1:
            # '~ 1': every row has the same design, whatever its columns
            return np.ones((len(newdata), 1)), np.zeros(len(newdata), dtype=int), newdata.index
        train = frame.data
        new = newdata.copy()
        for col in train.columns:
            if col in new.columns and isinstance(train[col].dtype, pd.CategoricalDtype):
                cats = train[col].cat.categories
                unknown = sorted(set(new[col].dropna().astype(str)) - set(map(str, cats)))
                if unknown:
                    raise ModelError(
                        f"newdata's column {col!r} holds {', '.join(unknown)}, not a level of "
                        f"the data survreg was fitted to ({', '.join(map(str, cats))})."
                    )
                new[col] = pd.Categorical(new[col], categories=cats)
        both = pd.concat([train.reset_index(drop=True), new.reset_index(drop=True)])
        both = both.reset_index(drop=True)
        rhs = split_formula(frame.formula)[1]
        try:
            combined = model_frame("~ " + rhs, both)
        except Exception as err:  # noqa: BLE001 - newdata lacking a column, etc.
            raise ModelError(
                f"predict: newdata cannot be used with {frame.formula!r}: {err}"
            ) from None
        n_train = len(train)
        n_new = len(new)
        if combined.n_dropped:
            rows = [int(i) - n_train for i in combined.dropped if int(i) >= n_train]
            raise ModelError(
                f"predict: newdata rows {', '.join(map(str, rows[:10]))} have a missing value "
                f"in a variable of {frame.formula!r}."
            )
        design = combined.design
        if list(design.columns) != self.coef_names or not np.allclose(
            design.iloc[:n_train].to_numpy(dtype=float), frame.design.to_numpy(dtype=float)
        ):
            raise ModelError(
                f"predict: newdata cannot be coded as the data of {frame.formula!r} were "
                "(a level the fit did not see, or a data-dependent transform such as "
                "center() or bs()); predict on the fitted rows, or refit."
            )
        x = design.iloc[n_train:].to_numpy(dtype=float)
        codes = np.zeros(n_new, dtype=int)
        if len(self.strata_levels) > 1 and combined.strata is not None:
            labels = combined.strata.iloc[n_train:].to_numpy(dtype=str)
            index = {level: i for i, level in enumerate(self.strata_levels)}
            missing = sorted(set(labels) - set(index))
            if missing:
                raise ModelError(
                    f"predict: newdata's strata {', '.join(missing)} are not among the fit's "
                    f"({', '.join(self.strata_levels)})."
                )
            codes = np.array([index[label] for label in labels], dtype=int)
        return x, codes, newdata.index

    def predict(
        self,
        newdata: pd.DataFrame | None = None,
        type: str = "quantile",
        p: Any = (0.5,),
        times: Any = None,
        se_fit: bool = False,
    ) -> pd.DataFrame:
        """Predictions as R's ``predict(fit, newdata, type, p, se.fit)``.

        ``type``:

        * ``"quantile"`` / ``"uquantile"``: the ``p`` quantiles of survival time (of log
          time), one row per (newdata row, p): ``row, p, quantile`` (+ ``std_error``, the
          delta method of R: ``se = sqrt(g' V g)`` with ``g = (x, w_p sigma)`` on the log
          scale, times the quantile for ``"quantile"``);
        * ``"lp"`` (``"link"``) / ``"response"``: ``row, fit`` (+ ``std_error``), the linear
          predictor ``x'beta`` and ``exp(x'beta)``;
        * ``"survival"``: ``row, time, surv``, ``S(t | x)`` at each of ``times`` (R:
          ``1 - psurvreg(t, lp, scale, dist)``; R gives no standard error for it).
        """
        kinds = ("quantile", "uquantile", "lp", "link", "linear", "response", "survival")
        if type not in kinds:
            raise ModelError(f"predict type must be one of {', '.join(kinds)}, not {type!r}.")
        x, codes, labels = self._new_design(newdata)
        lp = x @ self.fit.coef
        scale = self.scale[codes] if self.dist != "exponential" else np.ones(len(lp))
        p_coef = len(self.coef_names)
        v_beta = self.fit.var[:p_coef, :p_coef]
        if type == "survival":
            if times is None:
                raise ModelError("predict(type='survival') needs times=[...].")
            t = np.atleast_1d(np.asarray(times, dtype=float))
            if (t < 0).any():
                raise ModelError(f"predict: times must be >= 0, not {list(t)}.")
            surv = survival(t[None, :], lp[:, None], scale[:, None], self.dist)
            return pd.DataFrame(
                {
                    "row": np.repeat(np.asarray(labels), len(t)),
                    "time": np.tile(t, len(lp)),
                    "surv": surv.reshape(-1),
                }
            )
        if type in ("lp", "link", "linear", "response"):
            fit = lp if type != "response" else np.exp(lp)
            out = pd.DataFrame({"row": np.asarray(labels), "fit": fit})
            if se_fit:
                se = np.sqrt(np.einsum("ij,jk,ik->i", x, v_beta, x))
                out["std_error"] = se if type != "response" else se * fit
            return out
        prob = np.atleast_1d(np.asarray(p, dtype=float))
        if ((prob <= 0) | (prob >= 1)).any():
            raise ModelError(f"predict: p must be strictly between 0 and 1, not {list(prob)}.")
        wq = standard_quantile(prob, self.dist)
        ulog = lp[:, None] + scale[:, None] * wq[None, :]
        out = pd.DataFrame(
            {
                "row": np.repeat(np.asarray(labels), len(prob)),
                "p": np.tile(prob, len(lp)),
                "quantile": (np.exp(ulog) if type == "quantile" else ulog).reshape(-1),
            }
        )
        if se_fit:
            if self.dist == "exponential":
                var = np.einsum("ij,jk,ik->i", x, v_beta, x)
                se = np.repeat(np.sqrt(var)[:, None], len(prob), axis=1)
            else:
                k = len(self.fit.log_scale)
                onehot = np.zeros((len(lp), k))
                onehot[np.arange(len(lp)), codes] = 1.0
                se = np.empty_like(ulog)
                for j, w in enumerate(wq):
                    g = np.hstack([x, (w * scale)[:, None] * onehot])
                    se[:, j] = np.sqrt(np.einsum("ij,jk,ik->i", g, self.fit.var, g))
            if type == "quantile":
                se = se * np.exp(ulog)
            out["std_error"] = se.reshape(-1)
        return out

    # ------------------------------------------------------------------ text
    def summary(self, conf_level: float = 0.95) -> str:
        """Readable text laid out as R's ``summary(survreg(...))``."""
        tidy = self.tidy(conf_level=conf_level)
        table = pd.DataFrame(
            {
                "Value": tidy["estimate"].to_numpy(),
                "Std. Error": tidy["std_error"].to_numpy(),
                "z": tidy["statistic"].to_numpy(),
                "p": tidy["p_value"].to_numpy(),
            },
            index=self.terms,
        )
        stat, k, p = self.chisq_test()
        lines = [
            "Call:",
            f'survreg(formula = {self.formula}, data, dist = "{self.dist}")',
            table.to_string(float_format=lambda v: f"{v:.6g}"),
            "",
        ]
        if self.dist == "exponential":
            lines.append("Scale fixed at 1")
        elif len(self.strata_levels) > 1:
            scales = ", ".join(
                f"{lv}: {s:.4g}" for lv, s in zip(self.strata_levels, self.scale, strict=True)
            )
            lines.append(f"Scale: {scales}")
        else:
            lines.append(f"Scale= {self.scale[0]:.4g}")
        lines += [
            "",
            f"{_NAMES[self.dist]} distribution",
            f"Loglik(model)= {self.loglik:.1f}   Loglik(intercept only)= {self.loglik_null:.1f}",
        ]
        if k > 0:
            lines.append(f"\tChisq= {stat:.2f} on {k} degrees of freedom, p= {p:.2g}")
        lines.append(f"Number of Newton-Raphson Iterations: {self.fit.iterations}")
        lines.append(f"n= {self.nobs}")
        if self.n_dropped:
            lines.append(f"   ({self.n_dropped} observations deleted due to missingness)")
        return "\n".join(lines)


# --------------------------------------------------------------------------- fitting


def _natural_key(label: str) -> tuple:
    """Order strata labels ``x=2`` before ``x=10`` (R orders a numeric strata variable
    numerically)."""
    parts = []
    for part in label.split(", "):
        value = part.split("=", 1)[-1]
        try:
            parts.append((0, float(value), ""))
        except ValueError:
            parts.append((1, 0.0, value))
    return tuple(parts)


def _strata(frame: ModelFrame) -> tuple[list[str], np.ndarray]:
    if frame.strata is None:
        return [], np.zeros(frame.nobs, dtype=int)
    labels = frame.strata.to_numpy(dtype=str)
    levels = sorted(set(labels), key=_natural_key)
    index = {level: i for i, level in enumerate(levels)}
    return levels, np.array([index[v] for v in labels], dtype=int)


WEIGHTS_COLUMN = "(weights)"


def _with_weights(data: Any, weights: Any) -> tuple[Any, str | None]:
    """``data`` with the weights as a column (so that the rows dropped for missing values
    drop their weights too), and that column's name."""
    if weights is None:
        return data, None
    table = data if isinstance(data, pd.DataFrame) else getattr(data, "data", None)
    if not isinstance(table, pd.DataFrame):
        return data, None  # model_frame reports the bad data
    if isinstance(weights, str):
        if weights not in table.columns:
            raise ModelError(f"weights={weights!r}: there is no such column in the data.")
        return data, weights
    values = np.asarray(weights, dtype=float).reshape(-1)
    if len(values) != len(table):
        raise ModelError(f"weights has {len(values)} values but the data have {len(table)} rows.")
    table = table.assign(**{WEIGHTS_COLUMN: values})
    if isinstance(data, pd.DataFrame):
        return table, WEIGHTS_COLUMN
    return SimpleNamespace(data=table, arm_reference=getattr(data, "arm_reference", None)), (
        WEIGHTS_COLUMN
    )


def _weights(frame: ModelFrame, column: str | None) -> np.ndarray | None:
    if column is None:
        return None
    values = pd.to_numeric(frame.data[column], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        rows = ", ".join(str(r) for r in list(frame.design.index[bad])[:10])
        raise ModelError(
            f"weights must be finite numbers >= 0 (R: 'Invalid weights, must be >0'); rows "
            f"{rows} are not."
        )
    return values


def _lifelines_start(
    time: np.ndarray,
    event: np.ndarray,
    x: np.ndarray,
    has_intercept: bool,
    dist: str,
    weights: np.ndarray | None,
    n_strata: int,
) -> np.ndarray | None:
    """Start values from lifelines' AFT fitter of the same distribution (None if it fails).

    lifelines' Weibull ``lambda_`` and log-logistic ``alpha_`` coefficients and log-normal
    ``mu_`` are R's coefficients; ``sigma`` is 1 / ``rho_`` (Weibull), 1 / ``beta_``
    (log-logistic) or ``exp(sigma_)`` (log-normal).
    """
    if dist == "exponential":
        return None
    import lifelines

    fitters = {
        "weibull": (lifelines.WeibullAFTFitter, "lambda_", "rho_", -1.0),
        "lognormal": (lifelines.LogNormalAFTFitter, "mu_", "sigma_", 1.0),
        "loglogistic": (lifelines.LogLogisticAFTFitter, "alpha_", "beta_", -1.0),
    }
    cls, loc, anc, sign = fitters[dist]
    cols = [f"x{j}" for j in range(x.shape[1])]
    frame = pd.DataFrame(x, columns=cols)
    covariates = cols[1:] if has_intercept else cols
    frame = frame[covariates].assign(_t=time, _e=event)
    if weights is not None:
        frame["_w"] = weights
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitter = cls(fit_intercept=has_intercept).fit(
                frame,
                "_t",
                "_e",
                weights_col="_w" if weights is not None else None,
                robust=False,
            )
    except Exception:  # noqa: BLE001 - any lifelines failure: use the default start
        return None
    params = fitter.params_
    beta = [params[(loc, "Intercept")]] if has_intercept else []
    beta += [params[(loc, c)] for c in covariates]
    log_sigma = sign * params[(anc, "Intercept")]
    start = np.r_[np.asarray(beta, dtype=float), np.repeat(log_sigma, n_strata)]
    return start if np.all(np.isfinite(start)) else None


def _no_event_terms(x: np.ndarray, names: list[str], event: np.ndarray) -> list[str]:
    reasons = []
    for j, name in enumerate(names):
        col = x[:, j]
        if name == "Intercept" or not set(np.unique(col)) <= {0.0, 1.0}:
            continue
        for value in (1.0, 0.0):
            rows = col == value
            if rows.any() and event[rows].sum() == 0:
                reasons.append(f"the {int(rows.sum())} rows with {name} = {value:g} have no events")
    return reasons


def survreg(
    formula: str,
    data: Any,
    dist: str = "weibull",
    weights: Any = None,
    init: str = "lsq",
) -> SurvregResults:
    """Fit a parametric AFT model, as ``survival::survreg(formula, data, weights, dist)``.

    Raises :class:`~mdsrs_core.errors.ModelError` for times <= 0 (R: "Invalid survival
    times for this distribution"), no events, a coefficient that runs off to infinity
    (a group without events: R warns "Ran out of iterations and did not converge") or
    collinear terms.

    Parameters
    ----------
    formula:
        ``"Surv(time, event) ~ terms"``; ``strata(x)`` terms give one scale per stratum.
    data:
        A pandas DataFrame or a :class:`~mdsrs_core.Cohort`. Rows with a missing value in
        the formula's variables are dropped and counted (``n_dropped``).
    dist:
        ``"weibull"`` (R's default), ``"exponential"``, ``"lognormal"`` or ``"loglogistic"``.
    weights:
        Case weights: a column name or an array as long as the data.
    init:
        Newton's start: ``"lsq"`` (least squares on log time; if Newton does not converge
        from there, R's start, the intercept-only fit) or ``"lifelines"`` (lifelines' AFT
        fitter). Both end at the same optimum.

    """
    if dist not in DISTS:
        raise ModelError(f"dist must be one of {', '.join(DISTS)}, not {dist!r}.")
    if init not in INITS:
        raise ModelError(f"init must be one of {', '.join(INITS)}, not {init!r}.")
    data, weights_column = _with_weights(data, weights)
    frame = model_frame(formula, data, intercept=True)
    if frame.time is None or frame.event is None:
        raise ModelError(
            f"survreg needs a survival outcome: write the formula {formula!r} as "
            "'Surv(time, event) ~ terms', e.g. 'Surv(os_months, death) ~ arm'."
        )
    time = np.asarray(frame.time, dtype=float)
    event = np.asarray(frame.event, dtype=int)
    bad = ~(time > 0)
    if bad.any():
        rows = ", ".join(str(r) for r in list(frame.design.index[bad])[:10])
        more = f" and {int(bad.sum()) - 10} more" if bad.sum() > 10 else ""
        raise ModelError(
            f"survreg cannot fit {formula!r} with dist = '{dist}': rows {rows}{more} have a "
            "survival time <= 0, and the model is one for log(time) (R: 'Invalid survival "
            "times for this distribution'). Drop or correct those rows (a time of 0 is often "
            "a same-day event: R users add half a day), or use a Cox model or Kaplan-Meier."
        )
    if event.sum() == 0:
        raise ModelError(
            f"survreg cannot fit {formula!r}: none of the {frame.nobs} rows used has an event "
            "(every time is censored), so the likelihood has no maximum."
        )
    w = _weights(frame, weights_column)
    x = frame.design.to_numpy(dtype=float)
    names = list(frame.design.columns)
    if column_rank(x) < x.shape[1]:
        raise ModelError(
            f"The terms of {formula!r} are collinear (or one is constant) in the "
            f"{frame.nobs} rows used: {', '.join(names)}. Remove the redundant term."
        )
    levels, codes = _strata(frame)
    n_strata = max(1, len(levels))
    has_intercept = "Intercept" in names
    x0 = np.ones((len(time), 1))

    def null() -> AftFit:  # intercept-only, when asked (R fits it without an intercept too)
        return aft_fit(time, event, x0, dist, strata=codes, n_strata=n_strata, weights=w)

    start = None
    if init == "lifelines":
        start = _lifelines_start(time, event, x, has_intercept, dist, w, n_strata)
    fit = aft_fit(time, event, x, dist, strata=codes, n_strata=n_strata, weights=w, start=start)
    if not fit.converged and has_intercept:  # R's start: the intercept-only fit
        first = null()
        start = np.r_[first.coef, np.zeros(x.shape[1] - 1), first.log_scale]
        fit = aft_fit(time, event, x, dist, strata=codes, n_strata=n_strata, weights=w, start=start)
    if not fit.converged:
        reasons = _no_event_terms(x, names, event)
        why = (" Here " + "; ".join(reasons) + ".") if reasons else ""
        raise ModelError(
            f"survreg ({dist}) did not converge for {formula!r} in {fit.iterations} "
            "Newton-Raphson iterations: a coefficient runs off to infinity (R warns 'Ran out "
            f"of iterations and did not converge' and prints a meaningless estimate).{why} "
            "Report Kaplan-Meier estimates and the log-rank test for this comparison, or "
            "drop the term."
        )
    return SurvregResults(frame, fit, null, dist, levels, codes, w, event)
