"""Likelihood-ratio tests of proportional odds: R's ``ordinal::nominal_test(clm(...))``.

For each term of a fitted proportional-odds model (:func:`mdsrs_core.models.clm`),
``nominal_test`` refits the model with that term's effect allowed to differ at every
threshold -- a *nominal* effect, the partial proportional-odds model of Peterson & Harrell
(1990) -- and compares the two by a likelihood-ratio test::

    PO:       logit P(Y <= j | x, z) = theta_j          - x'beta - z'gamma
    nominal:  logit P(Y <= j | x, z) = theta_j + z'g_j  - x'beta

``LRT = 2 (logLik_nominal - logLik_PO)`` on ``df = (K - 2) * q`` degrees of freedom (``q``
the columns of the term, ``K`` the outcome levels): the difference in the number of
parameters, as ``nominal_test`` computes it.

The nominal model is fitted by maximum likelihood with Newton-Raphson on the analytic
gradient and Hessian (the cumulative-logit likelihood is concave in these linear
predictors), from the PO estimates with ``g_j = 0``, to a largest absolute gradient below
1e-10. When it has no finite maximum -- typically a grade level never seen in one arm, so that
arm's cumulative probability at some threshold is 0 or 1 -- Newton cannot converge (a
singular or non-negative-definite Hessian, a gradient above R's ``gradTol`` 1e-6, or
cumulative probabilities that are not increasing); R's ``clm`` then reports convergence code
-1 and ``nominal_test`` gives ``NA``: so does this function (``lrt``/``p_value`` None, with the
reason).

References: Christensen RHB (2019). *ordinal -- Regression Models for Ordinal Data*, R package
(``nominal_test``; Christensen RHB, "Cumulative link models for ordinal regression with the R
package ordinal", vignette). Peterson B, Harrell FE (1990). Partial proportional odds models
for ordinal response variables. *Applied Statistics* 39:205-217. McCullagh P (1980).
Regression models for ordinal data. *J R Stat Soc B* 42:109-142.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mdsrs_core._lazy import lazy_module
from mdsrs_core.formula import model_frame, split_formula, split_top_level
from mdsrs_core.models._collapse import collapse_rows
from mdsrs_core.models.clm import ClmResults

stats = lazy_module("mdsrs_core.stats.distributions")

__all__ = ["NominalTest", "nominal_test", "METHOD"]

METHOD = (
    "Likelihood-ratio test of proportional odds: nominal effect vs proportional odds "
    "(ordinal::nominal_test)"
)

_GRAD_TOL = 1e-10
_R_GRAD_TOL = 1e-6
_MAXIT = 200


@dataclass(frozen=True)
class NominalTest:
    """One row of ``nominal_test``: the term made nominal and its likelihood-ratio test."""

    term: str
    df: int | None
    loglik: float | None
    aic: float | None
    lrt: float | None
    p_value: float | None
    reason: str | None = None


def _loglik_derivs(
    psi: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    has_a: np.ndarray,
    has_b: np.ndarray,
    w: np.ndarray | None = None,
):
    """Log-likelihood, gradient, Hessian of a cumulative-logit model with linear predictors
    ``upper = a @ psi`` (``+inf`` where ``not has_a``) and ``lower = b @ psi`` (``-inf``
    where ``not has_b``); ``p = F(upper) - F(lower)``; ``w``: row weights (counts of
    collapsed identical rows)."""
    with np.errstate(over="ignore"):
        fu = np.where(has_a, 1.0 / (1.0 + np.exp(-(a @ psi))), 1.0)
        fl = np.where(has_b, 1.0 / (1.0 + np.exp(-(b @ psi))), 0.0)
    prob = fu - fl
    if np.any(prob <= 0) or not np.all(np.isfinite(psi)):
        return -np.inf, None, None
    du, dl = fu * (1 - fu), fl * (1 - fl)
    score = (du[:, None] * a - dl[:, None] * b) / prob[:, None]
    ddu = du * (1 - 2 * fu) / prob
    ddl = dl * (1 - 2 * fl) / prob
    if w is None:
        hess = (a * ddu[:, None]).T @ a - (b * ddl[:, None]).T @ b - score.T @ score
        return float(np.sum(np.log(prob))), score.sum(axis=0), hess
    ws = score * w[:, None]
    hess = (a * (w * ddu)[:, None]).T @ a - (b * (w * ddl)[:, None]).T @ b - ws.T @ score
    return float(np.sum(w * np.log(prob))), ws.sum(axis=0), hess


def _nominal_design(codes: np.ndarray, k: int, z: np.ndarray, x: np.ndarray):
    """Rows of d(upper)/d(psi) and d(lower)/d(psi); psi = (theta_1..K-1, g_1..K-1, beta)."""
    n, q = z.shape
    p = x.shape[1]
    size = (k - 1) * (1 + q) + p

    def rows(cut: np.ndarray, valid: np.ndarray) -> np.ndarray:
        out = np.zeros((n, size))
        idx = np.flatnonzero(valid)
        out[idx, cut[idx]] = 1.0
        for c in range(q):
            out[idx, (k - 1) + cut[idx] * q + c] = z[idx, c]
        out[:, (k - 1) * (1 + q) :] = -x
        return out * valid[:, None]

    has_a, has_b = codes < k - 1, codes > 0
    return rows(codes, has_a), rows(codes - 1, has_b), has_a, has_b


def _fit_nominal(
    codes: np.ndarray, k: int, z: np.ndarray, x: np.ndarray, theta: np.ndarray, beta_x: np.ndarray
):
    w = None
    collapsed = collapse_rows([codes, *z.T, *x.T])  # the same likelihood on distinct rows
    if collapsed is not None:
        first, w = collapsed
        codes, z, x = codes[first], z[first], x[first]
    a, b, has_a, has_b = _nominal_design(codes, k, z, x)
    q = z.shape[1]
    psi = np.concatenate([theta, np.zeros((k - 1) * q), beta_x])
    loglik, grad, hess = _loglik_derivs(psi, a, b, has_a, has_b, w)
    if hess is None:
        return None, "the starting values give a zero probability"
    for _ in range(_MAXIT):
        if np.max(np.abs(grad)) < _GRAD_TOL:
            break
        try:
            step = np.linalg.solve(hess, -grad)
        except np.linalg.LinAlgError:
            break
        scale = 1.0
        while scale > 1e-10:
            trial = psi + scale * step
            ll_t, g_t, h_t = _loglik_derivs(trial, a, b, has_a, has_b, w)
            if h_t is not None and ll_t >= loglik - 1e-12 * abs(loglik):
                break
            scale /= 2
        else:
            break
        psi, loglik, grad, hess = trial, ll_t, g_t, h_t
        if np.max(np.abs(scale * step)) <= 1e-12 * (1.0 + np.max(np.abs(psi))):
            break  # at the floor of floating point (10^6 rows): no step moves it
    max_grad = float(np.max(np.abs(grad)))
    if max_grad > _R_GRAD_TOL:
        return None, (
            f"the nominal model did not converge (largest gradient {max_grad:.3g}): "
            "it has no finite maximum-likelihood estimate"
        )
    try:
        np.linalg.cholesky(-hess)
    except np.linalg.LinAlgError:
        return None, (
            "the nominal model's information matrix is singular: some threshold is not identified"
        )
    cond = np.linalg.cond(-hess)
    if not np.isfinite(cond) or cond > 1e12:
        return None, (
            "the nominal model's information matrix is near-singular "
            f"(condition number {cond:.3g}): no finite maximum-likelihood estimate"
        )
    return loglik, None


def _term_labels(formula: str) -> list[str]:
    _, rhs = split_formula(formula)
    terms = [t.strip() for t in split_top_level(rhs, "+")]
    return [t for t in terms if t and t not in ("1", "0", "-1")]


def nominal_test(fit: ClmResults) -> list[NominalTest]:
    """LR tests of proportional odds for each term of ``fit``, as R's ``nominal_test(fit)``."""
    from mdsrs_core.models.clm import ordinal_outcome

    mf = fit.model_frame
    codes, levels = ordinal_outcome(mf.outcome, fit.formula)
    k = len(levels)
    design = mf.design
    columns = list(design.columns)
    n_par = len(fit.estimate)
    out = []
    for term in _term_labels(fit.formula):
        try:
            own = [
                c
                for c in model_frame(f"~ {term}", mf.variables, intercept=True).design.columns
                if c != "Intercept"
            ]
        except Exception as exc:  # noqa: BLE001 - reported as the reason, test not done
            out.append(
                NominalTest(
                    term,
                    None,
                    None,
                    None,
                    None,
                    None,
                    f"the term's columns could not be found ({exc})",
                )
            )
            continue
        if not own or not set(own) <= set(columns):
            out.append(
                NominalTest(
                    term,
                    None,
                    None,
                    None,
                    None,
                    None,
                    "the term's columns do not match the model's design",
                )
            )
            continue
        rest = [c for c in columns if c not in own]
        z = design[own].to_numpy(dtype=float)
        x = design[rest].to_numpy(dtype=float)
        theta = fit.estimate[: k - 1]
        beta = pd.Series(fit.estimate[k - 1 :], index=columns)[rest].to_numpy()
        df = (k - 2) * len(own)
        loglik, reason = _fit_nominal(codes, k, z, x, theta, beta)
        if loglik is None:
            out.append(NominalTest(term, None, None, None, None, None, reason))
            continue
        edf = n_par + df
        lrt = 2.0 * (loglik - fit.loglik)
        p = float(stats.chi2.sf(lrt, df)) if df > 0 else float("nan")
        out.append(NominalTest(term, df, loglik, -2 * loglik + 2 * edf, lrt, p))
    return out
