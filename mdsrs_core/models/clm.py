"""Cumulative link (proportional-odds) models for ordinal outcomes: R's ``ordinal::clm``.

Model (McCullagh 1980, *Regression models for ordinal data*, J. R. Stat. Soc. B
42:109-142), logit link:

    logit P(Y <= j | x) = theta_j - x'beta,    j = 1, ..., K - 1,

with increasing thresholds ``theta_j`` and no intercept in ``x`` (it is absorbed in the
thresholds); a positive ``beta`` shifts the outcome towards higher levels, R's sign
convention. ``exp(beta)`` is the cumulative odds ratio of a higher vs a lower level.

Method: maximum likelihood by Newton-Raphson with the analytic gradient and Hessian of the
log-likelihood in R's parameterisation (the log-likelihood is concave for the logit link,
Pratt 1981), with step halving, started as ``ordinal::clm`` starts: the null model's
thresholds (logits of the cumulative proportions) and zero coefficients. It stops when the
largest absolute gradient is ~1e-10 (R: ``clm.control(gradTol = ...)``); the covariance
matrix is the inverse of the analytic observed information, as ``ordinal::clm`` computes it.
Tests and intervals are Wald z (``confint.default``; R's
``confint.clm`` gives profile intervals instead).

``weights=`` are case weights, as ``ordinal::clm(formula, data, weights = w)``: the weighted
log-likelihood, and the model-based covariance (inverse weighted information) that R reports.
``robust=True`` (optionally ``cluster=``) gives the design-based sandwich of
``survey::svyolr(formula, svydesign(ids = ~1 (or ~cluster), weights = ~w))``, ``A^-1
[m / (m - 1) sum_g U_g U_g'] A^-1`` with Wald z tests and intervals (svyolr's summary); see
:mod:`mdsrs_core.models._weights`.

The outcome must be ordered: an ordered pandas Categorical (its category order) or integers
(their sorted values, e.g. CTCAE grades 0-5). Levels absent from the rows used are dropped,
as R's ``factor`` levels are by ``model.frame``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mdsrs_core.errors import FormulaError, ModelError
from mdsrs_core.formula import ModelFrame, model_frame
from mdsrs_core.models._collapse import collapse_rows
from mdsrs_core.models._rank import check_full_rank
from mdsrs_core.models.results import ModelResults
from mdsrs_core.models.tidy import wald_table

__all__ = ["ClmResults", "clm", "ordinal_outcome"]

_GRAD_TOL = 1e-10
_MAXIT = 100
#: a Newton step this small relative to the parameters ends the iterations: with 10^6 rows
#: the gradient's rounding floor can lie above _GRAD_TOL
_STEP_TOL = 1e-12


class ClmResults(ModelResults):
    """A fitted cumulative link model (see :func:`clm`).

    ``terms`` lists the thresholds (``"1|2"``...) first, then the coefficients, as
    ``coef(clm)`` in R; ``coef_types`` says which is which (``"intercept"`` or
    ``"location"``, the values of broom's ``coef.type``).
    """

    model_name = "clm"
    r_call = "ordinal::clm(formula, data, link = 'logit')"

    def __init__(
        self,
        mf: ModelFrame,
        levels: list[str],
        theta: np.ndarray,
        beta: np.ndarray,
        vcov: np.ndarray,
        loglik: float,
        converged: bool,
        iterations: int,
        max_gradient: float,
    ) -> None:
        thresholds = [f"{levels[j]}|{levels[j + 1]}" for j in range(len(levels) - 1)]
        terms = thresholds + list(mf.design.columns)
        estimate = np.concatenate([theta, beta])
        super().__init__(mf, terms, estimate, np.sqrt(np.diag(vcov)))
        self.levels = levels
        self.coef_types = ["intercept"] * len(thresholds) + ["location"] * len(beta)
        self.vcov = pd.DataFrame(vcov, index=terms, columns=terms)
        self.loglik = float(loglik)
        self.converged = converged
        self.iterations = iterations
        self.max_gradient = max_gradient
        #: "model" or "sandwich" (robust=True / cluster=)
        self.variance = "model"
        #: rows dropped for a missing or zero weight
        self.n_weight_dropped = 0

    @property
    def thresholds(self) -> pd.Series:
        """``theta_j`` by name ``"a|b"``."""
        k = len(self.levels) - 1
        return pd.Series(self.estimate[:k], index=self.terms[:k])

    def tidy(self, conf_level: float = 0.95, exponentiate: bool = False) -> pd.DataFrame:
        """Wald table of thresholds and coefficients, with a ``coef_type`` column."""
        table = wald_table(
            self.terms,
            self.estimate,
            self.std_error,
            conf_level=conf_level,
            exponentiate=exponentiate,
        )
        table["coef_type"] = self.coef_types
        return table

    def glance(self) -> pd.DataFrame:
        """``nobs, n_dropped, logLik, AIC, BIC, df, converged`` (``df`` = number of
        parameters, as ``logLik(clm)``'s df)."""
        k = len(self.estimate)
        return pd.DataFrame(
            [
                {
                    "nobs": self.nobs,
                    "n_dropped": self.n_dropped,
                    "logLik": self.loglik,
                    "AIC": -2 * self.loglik + 2 * k,
                    "BIC": -2 * self.loglik + np.log(self.nobs) * k,
                    "df": k,
                    "converged": self.converged,
                }
            ]
        )


# --------------------------------------------------------------------------- outcome


def ordinal_outcome(outcome: pd.Series, formula: str) -> tuple[np.ndarray, list[str]]:
    """Codes 0..K-1 of the outcome and its level labels, lowest first."""
    name = outcome.name
    dtype = outcome.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        if not dtype.ordered:
            raise FormulaError(
                f"The outcome {name!r} of the clm model {formula!r} is an unordered "
                "categorical; make it ordered (pd.Categorical(x, categories=[...], "
                "ordered=True)) so the order of its levels is explicit."
            )
        cat = outcome.cat.remove_unused_categories()
        return cat.cat.codes.to_numpy(), [_label(c) for c in cat.cat.categories]
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        values = outcome.to_numpy(dtype=float)
        if np.all(values == np.round(values)):
            levels = np.unique(values)
            codes = np.searchsorted(levels, values)
            return codes, [_label(v) for v in levels]
    raise FormulaError(
        f"The outcome {name!r} of the clm model {formula!r} must be ordered: an ordered "
        "categorical or integer values (such as grades 0-5); it is "
        f"{dtype}."
    )


def _label(level: object) -> str:
    """Level label as R prints it: whole numbers without a decimal point (2, not 2.0)."""
    if isinstance(level, (float, np.floating)) and float(level).is_integer():
        return str(int(level))
    return str(level)


# --------------------------------------------------------------------------- likelihood


def _loglik_derivs(
    params: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    k: int,
    need_hessian: bool = True,
    w: np.ndarray | None = None,
) -> tuple[float, np.ndarray, np.ndarray | None]:
    """Log-likelihood, gradient and Hessian in R's parameters ``(theta_1..theta_{K-1}, beta)``.

    With ``u = theta_y - x'beta`` and ``l = theta_{y-1} - x'beta`` (``theta_0 = -inf``,
    ``theta_K = +inf``), ``p = F(u) - F(l)``; for the logistic F, ``f = F(1 - F)`` and
    ``f' = f(1 - 2F)``. With ``a = du/dpsi``, ``b = dl/dpsi``:
    ``d log p = (f(u) a - f(l) b) / p`` and
    ``d2 log p = (f'(u) a a' - f'(l) b b') / p - (d log p)(d log p)'``.
    """
    n = len(y)
    theta = np.concatenate([[-np.inf], params[: k - 1], [np.inf]])
    eta = x @ params[k - 1 :]
    u = theta[y + 1] - eta
    lo = theta[y] - eta
    with np.errstate(over="ignore"):
        fu = 1.0 / (1.0 + np.exp(-u))
        fl = 1.0 / (1.0 + np.exp(-lo))
    prob = fu - fl
    if np.any(prob <= 0) or not np.all(np.isfinite(params)):
        return -np.inf, np.full(len(params), np.nan), None
    du, dl = fu * (1 - fu), fl * (1 - fl)
    a = np.zeros((n, len(params)))
    b = np.zeros((n, len(params)))
    rows = np.arange(n)
    upper = y < k - 1
    lower = y > 0
    a[rows[upper], y[upper]] = 1.0
    b[rows[lower], y[lower] - 1] = 1.0
    a[:, k - 1 :] = -x
    b[:, k - 1 :] = -x
    score = (du[:, None] * a - dl[:, None] * b) / prob[:, None]
    ww = np.ones(n) if w is None else w
    loglik = float(np.sum(ww * np.log(prob)))
    grad = (score * ww[:, None]).sum(axis=0)
    if not need_hessian:
        return loglik, grad, None
    ddu = ww * du * (1 - 2 * fu) / prob
    ddl = ww * dl * (1 - 2 * fl) / prob
    hess = (a * ddu[:, None]).T @ a - (b * ddl[:, None]).T @ b - (score * ww[:, None]).T @ score
    return loglik, grad, hess


def _with_hessian(
    params: np.ndarray, x: np.ndarray, y: np.ndarray, k: int, w: np.ndarray | None = None
) -> tuple[float, np.ndarray, np.ndarray]:
    loglik, grad, hess = _loglik_derivs(params, x, y, k, need_hessian=True, w=w)
    assert hess is not None  # need_hessian=True always computes it
    return loglik, grad, hess


def _newton(
    start: np.ndarray, x: np.ndarray, y: np.ndarray, k: int, w: np.ndarray | None = None
) -> tuple[np.ndarray, int]:
    params = start.copy()
    loglik, grad, hess = _with_hessian(params, x, y, k, w)
    for iteration in range(1, _MAXIT + 1):
        if np.max(np.abs(grad)) < _GRAD_TOL:
            return params, iteration - 1
        try:
            step = np.linalg.solve(hess, -grad)
        except np.linalg.LinAlgError:  # singular information: clm() reports it
            return params, iteration
        scale = 1.0
        while scale > 1e-10:
            trial = params + scale * step
            ll_t, grad_t, hess_t = _with_hessian(trial, x, y, k, w)
            if ll_t >= loglik - 1e-12 * abs(loglik):
                break
            scale /= 2
        else:
            return params, iteration
        params, loglik, grad, hess = trial, ll_t, grad_t, hess_t
        if np.max(np.abs(scale * step)) <= _STEP_TOL * (1.0 + np.max(np.abs(params))):
            return params, iteration  # at the floor of floating point: no step moves it
    return params, _MAXIT


def _start(
    codes: np.ndarray, x: np.ndarray, k: int, formula: str, w: np.ndarray | None = None
) -> np.ndarray:
    """Starting values in R's parameterisation: the thresholds of the null model (logits of
    the (weighted) cumulative proportions) and zero coefficients, as ordinal::clm starts; the
    analytic Newton steps in :func:`_newton` (with step halving) take it to the maximum."""
    counts = np.bincount(codes, weights=w, minlength=k)
    props = np.cumsum(counts)[:-1] / counts.sum()
    return np.concatenate([np.log(props / (1 - props)), np.zeros(x.shape[1])])


def _separation(codes: np.ndarray, design: pd.DataFrame) -> str | None:
    """A 0/1 design column whose rows all lie at or below (or above) the others' categories.

    Then the likelihood has no finite maximum (quasi-complete separation) and R's clm reports
    unusable estimates with a singular Hessian.
    """
    for term in design.columns:
        column = design[term].to_numpy()
        if not np.isin(column, (0.0, 1.0)).all() or column.min() == column.max():
            continue
        with_term, without = codes[column == 1], codes[column == 0]
        if with_term.max() <= without.min():
            return (
                f"every row with {term} is in a category at or below every row without it: "
                "quasi-complete separation"
            )
        if with_term.min() >= without.max():
            return (
                f"every row with {term} is in a category at or above every row without it: "
                "quasi-complete separation"
            )
    return None


def clm(
    formula: str,
    data: Any,
    weights: Any = None,
    robust: bool = False,
    cluster: Any = None,
) -> ClmResults:
    """Fit a proportional-odds (cumulative logit) model, as R's ``ordinal::clm(formula, data)``.

    Rows with missing values in the formula's variables are dropped and counted. ``weights``
    (column name or one value per row) are case weights (model-based SE, as clm's);
    ``robust=True``/``cluster=`` give svyolr's design-based sandwich.
    """
    from mdsrs_core.models._weights import cluster_codes, sandwich, weighted_data

    wd = weighted_data(data, weights)
    mf = model_frame(formula, data if weights is None else wd.frame, intercept=False)
    if mf.outcome is None:
        raise FormulaError(f"clm needs an ordered outcome on the left of '~' in {formula!r}.")
    codes, levels = ordinal_outcome(mf.outcome, formula)
    k = len(levels)
    if k < 2:
        raise ModelError(
            f"The outcome {mf.outcome_name!r} of the clm model {formula!r} has only one level "
            f"({levels[0]}) in the rows used; an ordinal model needs two or more."
        )
    check_full_rank(mf.design, formula)
    separated = _separation(codes, mf.design)
    if separated:
        raise ModelError(
            f"The clm model {formula!r} has no finite maximum-likelihood estimate "
            f"({separated}); no estimate can be reported."
        )
    x = mf.design.to_numpy(dtype=float)
    w = None if wd.weights is None else wd.weights.loc[mf.design.index].to_numpy(dtype=float)
    # many patients, few distinct rows (categorical terms): fit on the distinct rows, each
    # weighted by its count (the same likelihood); not for a sandwich, which needs every row
    fit_x, fit_codes, fit_w = x, codes, w
    if not robust and cluster is None:
        collapsed = collapse_rows([codes, *x.T], w)
        if collapsed is not None:
            first, fit_w = collapsed
            fit_x, fit_codes = x[first], codes[first]
    params, iterations = _newton(
        _start(fit_codes, fit_x, k, formula, fit_w), fit_x, fit_codes, k, fit_w
    )
    loglik, grad, hess = _loglik_derivs(params, fit_x, fit_codes, k, w=fit_w)
    max_grad = float(np.max(np.abs(grad)))
    if hess is None or not np.isfinite(loglik) or max_grad > 1e-6:
        raise ModelError(
            f"The clm model {formula!r} did not converge (largest gradient {max_grad:.3g}); "
            "an outcome level may be never or always seen with one level of a term."
        )
    info_eigen = np.linalg.eigvalsh(-hess) if np.all(np.isfinite(hess)) else np.array([0.0])
    try:
        if info_eigen.min() <= 1e-10 * max(info_eigen.max(), 1.0):
            # R's clm: "Hessian is numerically singular: parameters are not uniquely determined"
            raise np.linalg.LinAlgError
        vcov = np.linalg.inv(-hess)
    except np.linalg.LinAlgError:
        raise ModelError(
            f"The clm model {formula!r} has a singular information matrix: some parameter is "
            "not identified (an outcome level never seen with one level of a term?)."
        ) from None
    if np.any(np.diag(vcov) <= 0) or np.any(np.diff(params[: k - 1]) <= 0):
        raise ModelError(
            f"The clm model {formula!r} did not reach a proper maximum (thresholds not "
            "increasing or negative variances)."
        )
    variance = "model"
    if robust or cluster is not None:
        score = _scores(params, x, codes, k) * (np.ones(len(codes)) if w is None else w)[:, None]
        ids = None if cluster is None else cluster_codes(cluster, wd.frame, mf.design.index)
        vcov, _m = sandwich(vcov, score, ids)
        variance = "sandwich"
    result = ClmResults(
        mf,
        levels,
        params[: k - 1],
        params[k - 1 :],
        vcov,
        loglik,
        converged=True,
        iterations=iterations,
        max_gradient=max_grad,
    )
    result.variance = variance
    result.n_weight_dropped = len(wd.dropped)
    if w is not None:
        result.r_call = "ordinal::clm(formula, data, weights = w, link = 'logit')"
    if variance == "sandwich":
        result.r_call = "survey::svyolr(formula, svydesign(ids = ~1 (or ~cluster), weights = ~w))"
    return result


def _scores(params: np.ndarray, x: np.ndarray, y: np.ndarray, k: int) -> np.ndarray:
    """Per-row score vectors (unweighted) at ``params``: the rows of ``d log p``."""
    n = len(y)
    theta = np.concatenate([[-np.inf], params[: k - 1], [np.inf]])
    eta = x @ params[k - 1 :]
    fu = 1.0 / (1.0 + np.exp(-(theta[y + 1] - eta)))
    fl = 1.0 / (1.0 + np.exp(-(theta[y] - eta)))
    prob = fu - fl
    du, dl = fu * (1 - fu), fl * (1 - fl)
    a = np.zeros((n, len(params)))
    b = np.zeros((n, len(params)))
    rows = np.arange(n)
    a[rows[y < k - 1], y[y < k - 1]] = 1.0
    b[rows[y > 0], y[y > 0] - 1] = 1.0
    a[:, k - 1 :] = -x
    b[:, k - 1 :] = -x
    return (du[:, None] * a - dl[:, None] * b) / prob[:, None]
