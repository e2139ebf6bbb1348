"""The numerical engine of :func:`mdsrs_core.models.survreg`: log-likelihood, derivatives
and Newton-Raphson of parametric accelerated-failure-time (AFT) models.

The model (Kalbfleisch & Prentice 2002, ch. 2-3; Therneau, *survival* vignette "survreg"):
``log T = x'beta + sigma W``, with ``W`` standard extreme-value (Weibull; exponential is
the Weibull with ``sigma = 1``), normal (log-normal) or logistic (log-logistic). With
``z = (log t - x'beta) / sigma``, an event contributes ``log f(z) - log sigma`` and a
right-censored time ``log S(z)``. Parameters are ``(beta, log sigma_1..K)`` (one scale per
stratum, as R's ``strata()`` in ``survreg``). The gradient and the Hessian are analytic:
with ``u(z)`` the contribution as a function of ``z`` and ``s = log sigma``,

* ``dl/dbeta = -u'(z) x / sigma``, ``dl/ds = -z u'(z) - [event]``,
* ``d2l/dbeta dbeta' = u''(z) x x' / sigma^2``,
  ``d2l/dbeta ds = (z u''(z) + u'(z)) x / sigma``, ``d2l/ds^2 = z u'(z) + z^2 u''(z)``.

Newton-Raphson with step halving, as R's ``survreg.fit``; the covariance matrix is the
inverse of the observed information at the optimum, as R's ``fit$var``. The reported
log-likelihood is on the time scale: the Jacobian ``-sum(w log t)`` of the events is
added, as R does (``logcorrect`` in ``survreg``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "DISTRIBUTIONS",
    "AftFit",
    "aft_fit",
    "log_density",
    "quantile",
    "standard_quantile",
    "standard_survival",
    "survival",
]

#: distribution name -> the standard distribution of W
DISTRIBUTIONS: dict[str, str] = {
    "weibull": "extreme",
    "exponential": "extreme",
    "lognormal": "gaussian",
    "loglogistic": "logistic",
}


@dataclass
class AftFit:
    """Result of :func:`aft_fit`."""

    coef: np.ndarray  # beta
    log_scale: np.ndarray  # log sigma per stratum (empty for a fixed scale)
    var: np.ndarray  # inverse observed information of (beta, log sigma)
    loglik: float  # on the time scale (Jacobian included)
    iterations: int
    converged: bool
    linear_predictor: np.ndarray


def _terms(z: np.ndarray, event: np.ndarray, family: str) -> tuple[np.ndarray, ...]:
    """``u, u', u''`` of each observation at ``z`` (event: log f; censored: log S).

    ``event`` is 0/1 as floats; events and censorings are blended arithmetically (masked
    selections cost far more than the arithmetic at 10^5 rows)."""
    from scipy import special

    ev = event
    if family == "extreme":
        with np.errstate(over="ignore"):
            ez = np.exp(z)
        return ev * z - ez, ev - ez, -ez
    if family == "gaussian":
        cens = 1.0 - ev
        logq = special.log_ndtr(-z)
        half_log_2pi = 0.5 * np.log(2.0 * np.pi)
        mills = np.exp(-0.5 * z * z - half_log_2pi - logq)
        u = ev * (-0.5 * z * z - half_log_2pi) + cens * logq
        u1 = -ev * z - cens * mills
        u2 = -ev - cens * mills * (mills - z)
        return u, u1, u2
    if family == "logistic":
        big_f = special.expit(z)
        soft = np.logaddexp(0.0, z)
        both = 1.0 + ev
        return ev * z - both * soft, ev - both * big_f, -both * big_f * (1.0 - big_f)
    raise ValueError(family)  # pragma: no cover - survreg() checks the name


def _derivatives(
    theta: np.ndarray,
    y: np.ndarray,
    event: np.ndarray,
    x: np.ndarray,
    strata: np.ndarray,
    n_strata: int,
    family: str,
    weights: np.ndarray,
    fixed_scale: bool,
    hessian: bool = True,
    xt: np.ndarray | None = None,
) -> tuple[float, np.ndarray, np.ndarray]:
    """Log-likelihood (log-time scale), gradient and Hessian at ``theta`` (``xt``: ``x.T``
    as a contiguous array, for speed)."""
    p = x.shape[1]
    xt = np.ascontiguousarray(x.T) if xt is None else xt
    beta = theta[:p]
    s = np.zeros(n_strata) if fixed_scale else theta[p:]
    one = n_strata == 1
    s_i = s[0] if one else s[strata]
    sigma = np.exp(s_i)
    eta = x @ beta
    z = (y - eta) / sigma
    ev = event.astype(float)
    u, u1, u2 = _terms(z, ev, family)
    # (sums of products, not 1-d `@`: OpenBLAS's threaded dot can be far slower here)
    if one:
        ll = float(np.sum(weights * u) - np.sum(weights * ev) * s_i)
    else:
        ll = float(np.sum(weights * (u - ev * s_i)))
    if not np.isfinite(ll):
        return -np.inf, np.empty(0), np.empty((0, 0))
    k = 0 if fixed_scale else n_strata
    grad = np.empty(p + k)
    grad[:p] = -(xt @ (weights * u1)) / sigma if one else -(xt @ (weights * u1 / sigma))
    if not hessian:
        return ll, grad, np.empty((0, 0))
    hess = np.empty((p + k, p + k))
    hess[:p, :p] = (xt * (weights * u2 / sigma**2)) @ xt.T
    if k:
        # sums by stratum with bincount (a one-hot matrix product is far slower)
        g_s = weights * (-z * u1 - ev)
        h_bs = weights * (z * u2 + u1) / sigma
        h_ss = weights * (z * u1 + z * z * u2)
        if one:
            grad[p:] = g_s.sum()
            hess[:p, p] = xt @ h_bs
            hess[p, p] = h_ss.sum()
        else:
            grad[p:] = np.bincount(strata, g_s, minlength=k)
            for j in range(p):
                hess[j, p:] = np.bincount(strata, xt[j] * h_bs, minlength=k)
            hess[p:, p:] = np.diag(np.bincount(strata, h_ss, minlength=k))
        hess[p:, :p] = hess[:p, p:].T
    return ll, grad, hess


def _newton_step(grad: np.ndarray, hess: np.ndarray) -> np.ndarray:
    """Solve ``-H step = g``; if ``-H`` is not positive definite (far from the optimum),
    add to its diagonal until it is (a Levenberg-Marquardt step)."""
    info = -hess
    ridge = 0.0
    scale = max(float(np.max(np.abs(np.diag(info)))), 1e-12)
    for _ in range(60):
        try:
            chol = np.linalg.cholesky(info + ridge * np.eye(len(grad)))
        except np.linalg.LinAlgError:
            ridge = max(ridge * 10.0, 1e-8 * scale)
            continue
        return np.linalg.solve(chol.T, np.linalg.solve(chol, grad))
    return grad / scale


def aft_fit(
    time: np.ndarray,
    event: np.ndarray,
    x: np.ndarray,
    dist: str,
    *,
    strata: np.ndarray | None = None,
    n_strata: int = 1,
    weights: np.ndarray | None = None,
    start: np.ndarray | None = None,
    max_iter: int = 100,
) -> AftFit:
    """Maximum-likelihood AFT fit of right-censored ``time`` (> 0), ``event`` (0/1), design
    ``x`` (intercept included by the caller), by Newton-Raphson from ``start``
    (``(beta, log sigma...)``; default: intercept ``mean(log t)``, ``log sigma`` from the
    spread of ``log t``).

    Converged when the largest Newton step is below ``1e-10 (1 + |theta|)``; a
    coefficient running off to infinity (no events in a group) does not converge.
    """
    family = DISTRIBUTIONS[dist]
    fixed = dist == "exponential"
    y = np.log(time)
    n, p = x.shape
    strata = np.zeros(n, dtype=int) if strata is None else np.asarray(strata, dtype=int)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    k = 0 if fixed else n_strata
    if start is None:
        theta = np.zeros(p + k)
        beta0, *_ = np.linalg.lstsq(x, y, rcond=None)
        theta[:p] = beta0
        resid = y - x @ beta0
        if k:
            theta[p:] = np.log(max(float(np.sqrt(np.mean(resid**2))), 1e-3))
    else:
        theta = np.array(start, dtype=float)

    xt = np.ascontiguousarray(x.T)

    def at(th: np.ndarray, hess: bool = True) -> tuple[float, np.ndarray, np.ndarray]:
        return _derivatives(th, y, event, x, strata, n_strata, family, w, fixed, hess, xt)

    ll, grad, hess = at(theta)
    if not np.isfinite(ll) and start is not None:  # an impossible start: the default one
        return aft_fit(time, event, x, dist, strata=strata, n_strata=n_strata, weights=weights)
    for _ in range(10):  # residuals far out in a tail: widen the start's scale
        if np.isfinite(ll) or not k:
            break
        theta[p:] += 1.0
        ll, grad, hess = at(theta)
    converged = False
    iterations = 0
    while iterations < max_iter and np.isfinite(ll):
        iterations += 1
        step = _newton_step(grad, hess)
        new = theta + step
        ll_new, grad_new, hess_new = at(new)
        halvings = 0
        while not (np.isfinite(ll_new) and ll_new >= ll - 1e-10 * abs(ll)) and halvings < 40:
            step = step / 2.0
            new = theta + step
            ll_new, grad_new, hess_new = at(new)
            halvings += 1
        if not np.isfinite(ll_new):
            break
        theta, ll, grad, hess = new, ll_new, grad_new, hess_new
        if np.max(np.abs(step) / (1.0 + np.abs(theta))) < 1e-10:
            converged = True
            break
    # An estimate at infinity (a group without events) leaves a flat direction: the
    # information is singular there, and Newton's steps vanish with it.
    if not np.isfinite(ll):
        nan = np.full((p + k, p + k), np.nan)
        return AftFit(theta[:p], theta[p:], nan, float("nan"), 0, False, x @ theta[:p])
    eig = np.linalg.eigvalsh(-hess) if hess.size else np.ones(1)
    if not (eig.min() > 1e-12 * max(eig.max(), 1e-300)):
        converged = False
    try:
        var = np.linalg.inv(-hess)
    except np.linalg.LinAlgError:
        var = np.full_like(hess, np.nan)
        converged = False
    ev = event.astype(bool)
    loglik = ll - float(np.sum(w[ev] * y[ev]))  # the events' Jacobian: d log(t) / dt = 1 / t
    return AftFit(
        coef=theta[:p].copy(),
        log_scale=theta[p:].copy(),
        var=var,
        loglik=loglik,
        iterations=iterations,
        converged=converged,
        linear_predictor=x @ theta[:p],
    )


# --------------------------------------------------------------------------- distributions


def standard_quantile(prob: np.ndarray, dist: str) -> np.ndarray:
    """Quantiles of the standard ``W`` (R's ``survreg.distributions[[d]]$quantile``)."""
    from scipy import special

    prob = np.asarray(prob, dtype=float)
    family = DISTRIBUTIONS[dist]
    if family == "extreme":
        return np.log(-np.log1p(-prob))
    if family == "gaussian":
        return special.ndtri(prob)
    return special.logit(prob)


def standard_survival(z: np.ndarray, dist: str) -> np.ndarray:
    """``S(z) = P(W > z)`` of the standard ``W``."""
    from scipy import special

    family = DISTRIBUTIONS[dist]
    if family == "extreme":
        return np.exp(-np.exp(z))
    if family == "gaussian":
        return special.ndtr(-z)
    return special.expit(-z)


def log_density(z: np.ndarray, dist: str) -> np.ndarray:
    """``log f(z)`` of the standard ``W``."""
    u, _, _ = _terms(np.asarray(z, dtype=float), np.ones(np.shape(z)), DISTRIBUTIONS[dist])
    return u


def quantile(prob: np.ndarray, lp: np.ndarray, scale: np.ndarray, dist: str) -> np.ndarray:
    """Time quantiles ``exp(lp + sigma w_p)``."""
    return np.exp(lp + scale * standard_quantile(prob, dist))


def survival(t: np.ndarray, lp: np.ndarray, scale: np.ndarray, dist: str) -> np.ndarray:
    """``S(t | x) = S_W((log t - lp) / sigma)`` (R: ``1 - psurvreg(t, lp, scale, dist)``)."""
    with np.errstate(divide="ignore"):
        z = (np.log(t) - lp) / scale
    return standard_survival(z, dist)
