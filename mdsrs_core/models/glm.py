"""Generalized linear models by iteratively reweighted least squares: R's ``stats::glm``.

Method: maximum likelihood by IRLS (Fisher scoring; Newton-Raphson for the canonical links
used here), Nelder & Wedderburn (1972) *J. R. Stat. Soc. A* 135:370-384; McCullagh &
Nelder (1989) *Generalized Linear Models*, 2nd ed., Chapman & Hall. The engine is R's
``glm.fit`` algorithm in NumPy (:mod:`mdsrs_core.models._glm_engine`: R's starting values,
QR steps and deviance convergence rule) with ``glm.control(epsilon = 1e-14, maxit = 100)``,
so the estimates are the exact MLE and ``iterations`` is R's ``iter`` under that control.

Families and links (canonical, R's defaults): ``binomial`` (logit), ``poisson`` (log),
``gaussian`` (identity). Standard errors come from the inverse Fisher information; for
``gaussian`` it is scaled by the Pearson dispersion ``sum(r^2) / (n - p)`` and the tests
and intervals use t with ``n - p`` df (``summary.glm``); for binomial and poisson the
dispersion is 1 and tests and intervals are Wald z (``confint.default``; note that R's
``confint.glm`` gives profile-likelihood intervals instead, which mdsrs does not).

A binomial outcome is 0/1, true/false, or a two-level factor whose first level (R's
reference) is the failure.

``weights=`` are R's prior weights (``glm(..., weights = w)``): the weighted likelihood,
model-based standard errors. ``robust=True`` (optionally ``cluster=``) gives the
design-based sandwich of ``survey::svyglm(formula, design = svydesign(ids = ~1 (or
~cluster), weights = ~w), family = quasibinomial())`` -- for binomial, ``quasibinomial``
estimates equal the weighted MLE -- with t tests and intervals on ``m - p`` df, m the number
of clusters (rows); see :mod:`mdsrs_core.models._weights`. This is the weighted logistic
regression of a propensity-weighted analysis.

Separation (a term that perfectly predicts the outcome, so the MLE does not exist) is ruled
out by the converged fit itself when its fitted probabilities certify overlap, and otherwise
found by the linear programme of :mod:`mdsrs_core.models._separation` and raised as
:class:`~mdsrs_core.errors.ModelError`. Firth's penalised likelihood would be the remedy;
its hook is :func:`_on_separation`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mdsrs_core.errors import FormulaError, ModelError
from mdsrs_core.formula import ModelFrame, model_frame
from mdsrs_core.models._rank import check_full_rank
from mdsrs_core.models._separation import overlap_certified, separating_direction
from mdsrs_core.models.results import ModelResults

__all__ = ["FAMILIES", "GlmResults", "glm"]

FAMILIES = ("binomial", "poisson", "gaussian")
_EPSILON = 1e-14  # glm.control(epsilon = 1e-14, maxit = 100): the exact MLE
_MAXIT = 100


class GlmResults(ModelResults):
    """A fitted generalized linear model (see :func:`glm`)."""

    model_name = "glm"

    def __init__(
        self,
        mf: ModelFrame,
        family: str,
        y: np.ndarray,
        fit: Any,
        outcome_levels: tuple[str, str] | None,
    ) -> None:
        n, p = mf.design.shape
        super().__init__(
            mf,
            list(mf.design.columns),
            np.asarray(fit.params),
            np.asarray(fit.bse),
            tidy_df=(n - p) if family == "gaussian" else None,
        )
        self.family = family
        self.r_call = f"glm(formula, family = {family}, data)"
        self.y = y
        self._mu = np.asarray(fit.mu)
        self._fitted: pd.Series | None = None
        self.outcome_levels = outcome_levels
        self.converged = bool(fit.converged)
        self.iterations = int(fit.iterations)
        self.deviance = float(fit.deviance)
        self.df_residual = n - p
        self.rank = p
        self.dispersion = float(fit.scale)
        #: prior weights of the rows fitted (None: unweighted)
        self.weights: np.ndarray | None = None
        #: rows dropped for a missing or zero weight
        self.n_weight_dropped = 0
        #: "model" or "sandwich" (robust=True)
        self.variance = "model"

    @property
    def fitted_values(self) -> pd.Series:
        """Fitted means ``mu`` by row of the model frame (built when first read)."""
        if self._fitted is None:
            self._fitted = pd.Series(self._mu, index=self.model_frame.design.index)
        return self._fitted

    @property
    def loglik(self) -> float:
        """Log-likelihood as R's ``logLik.glm`` (gaussian: at the ML variance RSS/n)."""
        y, mu, n = self.y, self._mu, self.nobs
        if self.family == "binomial":
            return float(np.sum(np.log(np.where(y > 0, mu, 1 - mu))))
        if self.family == "poisson":
            from scipy.special import gammaln

            return float(np.sum(y * np.log(np.where(y > 0, mu, 1.0)) - mu - gammaln(y + 1)))
        return float(-0.5 * n * (np.log(2 * np.pi * self.deviance / n) + 1))

    @property
    def null_deviance(self) -> float:
        """Deviance of the intercept-only model (of ``mu = linkinv(0)`` without intercept)."""
        y = self.y
        if self.model_frame.include_intercept:
            mu0 = np.full_like(y, y.mean(), dtype=float)
        else:
            mu0 = np.full_like(
                y, {"binomial": 0.5, "poisson": 1.0, "gaussian": 0.0}[self.family], dtype=float
            )
        return _deviance(self.family, y, mu0)

    def glance(self) -> pd.DataFrame:
        """``nobs, n_dropped, null_deviance, df_null, deviance, df_residual, logLik, AIC,
        BIC, converged, iterations`` as ``broom::glance.glm`` (AIC/BIC count the dispersion
        as a parameter for gaussian, as R does)."""
        k = self.rank + (1 if self.family == "gaussian" else 0)
        ll = self.loglik
        return pd.DataFrame(
            [
                {
                    "nobs": self.nobs,
                    "n_dropped": self.n_dropped,
                    "null_deviance": self.null_deviance,
                    "df_null": self.nobs - int(self.model_frame.include_intercept),
                    "deviance": self.deviance,
                    "df_residual": self.df_residual,
                    "logLik": ll,
                    "AIC": -2 * ll + 2 * k,
                    "BIC": -2 * ll + np.log(self.nobs) * k,
                    "converged": self.converged,
                    "iterations": self.iterations,
                }
            ]
        )


def _deviance(family: str, y: np.ndarray, mu: np.ndarray) -> float:
    def ylogy(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.where(a > 0, a * np.log(np.where(a > 0, a, 1.0) / b), 0.0)

    if family == "binomial":
        return float(2 * np.sum(ylogy(y, mu) + ylogy(1 - y, 1 - mu)))
    if family == "poisson":
        return float(2 * np.sum(ylogy(y, mu) - (y - mu)))
    return float(np.sum((y - mu) ** 2))


def _binary_outcome(outcome: pd.Series, formula: str) -> tuple[np.ndarray, tuple[str, str]]:
    """0/1 outcome and the names of its (failure, success) levels."""
    name = outcome.name
    if outcome.dtype == bool:
        return outcome.to_numpy().astype(float), ("FALSE", "TRUE")
    if pd.api.types.is_numeric_dtype(outcome.dtype) and not isinstance(
        outcome.dtype, pd.CategoricalDtype
    ):
        values = outcome.to_numpy(dtype=float)
        if np.isin(values, [0.0, 1.0]).all():
            return values, ("0", "1")
        bad = sorted(set(values[~np.isin(values, [0.0, 1.0])]))[:10]
        raise FormulaError(
            f"The outcome {name!r} of the binomial model {formula!r} must be 0/1, true/false "
            f"or a two-level factor; it holds {', '.join(map(str, bad))}."
        )
    if isinstance(outcome.dtype, pd.CategoricalDtype):
        levels = list(outcome.cat.categories)
    else:
        levels = sorted(pd.unique(outcome), key=str)
    if len(levels) != 2:
        raise FormulaError(
            f"The outcome {name!r} of the binomial model {formula!r} must have two levels; it "
            f"has {len(levels)}: {', '.join(map(str, levels[:10]))}. Derive a 0/1 column "
            "first (e.g. responder = response in CR/PR)."
        )
    y = (outcome == levels[1]).to_numpy().astype(float)
    return y, (str(levels[0]), str(levels[1]))


def _separation_message(
    formula: str, design: pd.DataFrame, y: np.ndarray, levels: tuple[str, str], direction: pd.Series
) -> str:
    details = []
    for term, b in direction.items():
        if b == 0 or term == "Intercept":
            continue
        col = design[term].to_numpy(dtype=float)
        if np.isin(col, [0.0, 1.0]).all():
            ys = y[col == 1]
            seen = levels[1] if ys.mean() == 1 else levels[0] if ys.mean() == 0 else None
            if seen is not None:
                never = levels[0] if seen == levels[1] else levels[1]
                details.append(
                    f"among the {len(ys)} rows with {term} the outcome is always {seen!r}: "
                    f"{never!r} is never seen"
                )
                continue
        details.append(f"{term} (with the other terms) perfectly predicts the outcome")
    if not details:
        seen = levels[1] if y.mean() == 1 else levels[0]
        details.append(f"the outcome is always {seen!r}")
    return (
        f"The binomial model {formula!r} cannot be fitted: the data are separated, so the "
        f"maximum-likelihood estimate does not exist (it is infinite): {'; '.join(details)}. "
        "Combine sparse levels, drop the term, or use a penalised (Firth) fit."
    )


def _on_separation(
    mf: ModelFrame, y: np.ndarray, levels: tuple[str, str], direction: pd.Series
) -> None:
    """What to do with separated data: raise. (Hook for the Firth fallback, a later issue.)"""
    raise ModelError(_separation_message(mf.formula, mf.design, y, levels, direction))


def glm(
    formula: str,
    data: Any,
    family: str = "gaussian",
    weights: Any = None,
    robust: bool = False,
    cluster: Any = None,
) -> GlmResults:
    """Fit a generalized linear model, as R's ``glm(formula, family = family, data)``.

    ``family`` is ``"gaussian"`` (identity link; the default, as in R), ``"binomial"``
    (logit) or ``"poisson"`` (log). Rows with missing values in the
    formula's variables are dropped and counted. ``weights`` (column name or one value per
    row) are prior weights; ``robust=True`` gives svyglm's sandwich variance, by
    ``cluster`` when given.
    """
    from mdsrs_core.models._weights import cluster_codes, sandwich, weighted_data

    if family not in FAMILIES:
        raise FormulaError(f"Unknown glm family {family!r}: choose one of {', '.join(FAMILIES)}.")
    wd = weighted_data(data, weights)
    mf = model_frame(formula, data if weights is None else wd.frame)
    if mf.outcome is None:
        raise FormulaError(f"glm needs an outcome on the left of '~' in {formula!r}.")
    levels: tuple[str, str] | None = None
    if family == "binomial":
        y, levels = _binary_outcome(mf.outcome, formula)
    else:
        y = pd.to_numeric(mf.outcome, errors="coerce").to_numpy(dtype=float)
        if np.isnan(y).any() or mf.outcome.dtype == bool:
            raise FormulaError(
                f"The outcome {mf.outcome_name!r} of the {family} model {formula!r} must be "
                "numeric."
            )
        if family == "poisson" and (y < 0).any():
            raise FormulaError(
                f"The outcome {mf.outcome_name!r} of the poisson model {formula!r} must be a "
                "count (>= 0); it has negative values."
            )
    check_full_rank(mf.design, formula)
    w = None if wd.weights is None else wd.weights.loc[mf.design.index].to_numpy(dtype=float)
    x = mf.design.to_numpy(dtype=float)
    fit = _irls(x, y, family, w)
    if family == "binomial" and not (
        _finite(fit) and overlap_certified(x, y, fit.mu, w)
    ):  # the fit does not prove the MLE exists: look for a separating direction
        direction = separating_direction(mf.design, y)
        if direction is not None:
            _on_separation(mf, y, levels, direction)  # type: ignore[arg-type]
    if not _finite(fit):
        raise ModelError(
            f"The {family} model {mf.formula!r} did not converge in {_MAXIT} iterations "
            "(IRLS); check for terms with very few rows or extreme values."
        )
    result = GlmResults(mf, family, y, fit, levels)
    result.weights = w
    result.n_weight_dropped = len(wd.dropped)
    if w is not None:
        result.r_call = f"glm(formula, family = {family}, data, weights = w)"
    if robust or cluster is not None:
        mu = np.asarray(fit.mu)
        ww = np.ones(len(y)) if w is None else w
        bread = np.asarray(fit.normalized_cov_params)
        codes = None if cluster is None else cluster_codes(cluster, wd.frame, mf.design.index)
        cov, m = sandwich(bread, x * (ww * (y - mu))[:, None], codes)
        result.std_error = np.sqrt(np.diag(cov))
        result.tidy_df = m - x.shape[1]
        result.variance = "sandwich"
        quasi = {"binomial": "quasibinomial()", "poisson": "quasipoisson()"}
        ids = "cluster" if cluster is not None else "1"
        result.r_call = (
            f"survey::svyglm(formula, svydesign(ids = ~{ids}, weights = ~w), "
            f"family = {quasi.get(family, 'gaussian()')})"
        )
    return result


def _irls(x: np.ndarray, y: np.ndarray, family: str, weights: np.ndarray | None) -> Any:
    from mdsrs_core.models._glm_engine import irls

    try:
        with np.errstate(all="ignore"):
            return irls(x, y, family, weights, _EPSILON, _MAXIT)
    except np.linalg.LinAlgError:  # a singular weighted design: no fit (reported by glm)
        return None


def _finite(fit: Any) -> bool:
    return fit is not None and bool(fit.converged and np.all(np.isfinite(fit.params)))
