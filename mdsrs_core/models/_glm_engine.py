"""Iteratively reweighted least squares as R's ``glm.fit``, on NumPy alone.

Method (R's ``stats::glm.fit``, R Core Team; Nelder & Wedderburn 1972, *J. R. Stat. Soc. A*
135:370-384; McCullagh & Nelder 1989, *Generalized Linear Models*, 2nd ed., section 2.5):
start from the family's ``mustart`` (binomial ``(w y + 0.5) / (w + 1)``, poisson ``y + 0.1``,
gaussian ``y``), ``eta = linkfun(mustart)``; then repeat

    z = eta + (y - mu) / mu.eta(eta),   W = w mu.eta(eta)^2 / variance(mu)
    beta = argmin sum W (z - X beta)^2       (QR of sqrt(W) X, as R's Cdqrls)
    eta = X beta,  mu = linkinv(eta),  dev = sum w dev.resids(y, mu)

until ``|dev - dev_old| / (|dev| + 0.1) < epsilon`` (R's rule). mdsrs runs it with
``epsilon = 1e-14, maxit = 100`` -- ``glm.control(epsilon = 1e-14, maxit = 100)``, the
setting of the R references (tests/results/regression.R) -- so the estimates are the exact
maximum-likelihood estimates and ``iterations`` is R's ``iter`` under that control. The
unscaled covariance is ``(R'R)^-1`` of the last iteration's QR (R's ``summary.glm``:
``chol2inv(Qr$qr)``); the dispersion is 1 for binomial and poisson and the Pearson
``sum(W r_working^2) / (n - p)`` for gaussian. Links: the canonical ones (logit, log,
identity), with R's C-level guards for the logit (``eta`` beyond +/-30 maps to
``DBL_EPSILON``, as ``binomial()$linkinv`` and ``mu.eta``) and ``pmax(exp(eta),
DBL_EPSILON)`` for the log. R's step halving for an invalid or infinite deviance is kept.

Designs must be of full rank (the caller checks); no column pivoting is needed then.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mdsrs_core.models._rank import householder_r

__all__ = ["IrlsFit", "irls"]

_EPS = np.finfo(float).eps
_THRESH = 30.0
_INVEPS = 1.0 / _EPS


@dataclass
class IrlsFit:
    """What ``glm.fit`` returns that mdsrs reads."""

    params: np.ndarray
    bse: np.ndarray
    mu: np.ndarray
    eta: np.ndarray
    deviance: float
    scale: float
    normalized_cov_params: np.ndarray
    converged: bool
    iterations: int


def _inside(eta: np.ndarray) -> bool:
    """Every ``|eta| <= 30`` (R's guards are then no-ops)."""
    return bool(eta.size == 0 or (eta.max() <= _THRESH and eta.min() >= -_THRESH))


def _logit_linkinv(eta: np.ndarray) -> np.ndarray:
    # R's logit_linkinv (src/library/stats/src/family.c)
    if _inside(eta):
        tmp = np.exp(eta)
    else:
        tmp = np.where(eta < -_THRESH, _EPS, np.where(eta > _THRESH, _INVEPS, np.exp(eta)))
    return tmp / (1.0 + tmp)


def _logit_mu_eta(eta: np.ndarray) -> np.ndarray:
    # R's logit_mu_eta
    e = np.exp(eta)
    opexp = 1.0 + e
    val = e / (opexp * opexp)
    if _inside(eta):
        return val
    return np.where((eta > _THRESH) | (eta < -_THRESH), _EPS, val)


def _ylogy(y: np.ndarray, mu: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(y != 0.0, y * np.log(np.where(y != 0.0, y, 1.0) / mu), 0.0)


class _Family:
    def __init__(self, name: str, y: np.ndarray):
        self.name = name
        #: y == 1 for a 0/1 binomial outcome (the deviance then has one term per row)
        self.binary = (y == 1.0) if name == "binomial" and np.isin(y, (0.0, 1.0)).all() else None

    def mustart(self, y: np.ndarray, w: np.ndarray) -> np.ndarray:
        if self.name == "binomial":
            return (w * y + 0.5) / (w + 1.0)
        if self.name == "poisson":
            return y + 0.1
        return y.copy()

    def linkfun(self, mu: np.ndarray) -> np.ndarray:
        if self.name == "binomial":
            return np.log(mu / (1.0 - mu))
        if self.name == "poisson":
            return np.log(mu)
        return mu

    def linkinv(self, eta: np.ndarray) -> np.ndarray:
        if self.name == "binomial":
            return _logit_linkinv(eta)
        if self.name == "poisson":
            return np.maximum(np.exp(eta), _EPS)
        return eta

    def mu_eta(self, eta: np.ndarray) -> np.ndarray:
        if self.name == "binomial":
            return _logit_mu_eta(eta)
        if self.name == "poisson":
            return np.maximum(np.exp(eta), _EPS)
        return np.ones_like(eta)

    def variance(self, mu: np.ndarray) -> np.ndarray:
        if self.name == "binomial":
            return mu * (1.0 - mu)
        if self.name == "poisson":
            return mu
        return np.ones_like(mu)

    def deviance(self, y: np.ndarray, mu: np.ndarray, w: np.ndarray) -> float:
        if self.name == "binomial":
            if self.binary is not None:  # y 0/1: y log(y/mu) + (1-y) log((1-y)/(1-mu)), one term
                return float(np.sum(2.0 * w * np.log(1.0 / np.where(self.binary, mu, 1.0 - mu))))
            return float(np.sum(2.0 * w * (_ylogy(y, mu) + _ylogy(1.0 - y, 1.0 - mu))))
        if self.name == "poisson":
            r = mu * w
            with np.errstate(divide="ignore", invalid="ignore"):
                pos = w * (y * np.log(np.where(y > 0, y, 1.0) / mu) - (y - mu))
            return float(np.sum(2.0 * np.where(y > 0, pos, r)))
        return float(np.sum(w * (y - mu) ** 2))


def irls(
    x: np.ndarray,
    y: np.ndarray,
    family: str,
    weights: np.ndarray | None = None,
    epsilon: float = 1e-14,
    maxit: int = 100,
) -> IrlsFit:
    """Fit ``family`` (``"binomial"``, ``"poisson"``, ``"gaussian"``; canonical link) to the
    full-rank design ``x`` and outcome ``y`` by R's ``glm.fit`` (prior ``weights`` > 0)."""
    fam = _Family(family, y)
    n, p = x.shape
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    if p == 0:  # the empty model: eta = 0 (R's glm.fit, EMPTY)
        eta = np.zeros(n)
        mu = fam.linkinv(eta)
        return IrlsFit(
            params=np.zeros(0),
            bse=np.zeros(0),
            mu=mu,
            eta=eta,
            deviance=fam.deviance(y, mu, w),
            scale=1.0,
            normalized_cov_params=np.zeros((0, 0)),
            converged=True,
            iterations=0,
        )
    eta = fam.linkfun(fam.mustart(y, w))
    mu = fam.linkinv(eta)
    devold = fam.deviance(y, mu, w)
    coef = coefold = None
    converged = False
    r = None
    it = 0
    for it in range(1, maxit + 1):  # noqa: B007 - the count is returned
        mu_eta = fam.mu_eta(eta)
        z = eta + (y - mu) / mu_eta
        sw = np.sqrt(w * mu_eta**2 / fam.variance(mu))
        # the weighted least-squares step by Householder QR of [sqrt(W) X, sqrt(W) z],
        # keeping R only: its last column is Q'sqrt(W)z (Q, n x p, is never formed)
        augmented = np.empty((n, p + 1), order="F")
        np.multiply(x, sw[:, None], out=augmented[:, :p])
        np.multiply(z, sw, out=augmented[:, p])
        r_full = householder_r(augmented)
        del augmented
        r = r_full[:p, :p]
        start = np.linalg.solve(r, r_full[:p, p])
        eta = x @ start
        mu = fam.linkinv(eta)
        dev = fam.deviance(y, mu, w)
        if not np.isfinite(dev):  # (R's validmu/valideta: implied for these links)
            if coefold is None:
                break  # no valid earlier fit to step back to (R stops with an error)
            for _ in range(maxit):  # R's step halving
                start = (start + coefold) / 2.0
                eta = x @ start
                mu = fam.linkinv(eta)
                dev = fam.deviance(y, mu, w)
                if np.isfinite(dev):
                    break
        if abs(dev - devold) / (abs(dev) + 0.1) < epsilon:
            converged = True
            coef = start
            break
        devold = dev
        coef = coefold = start
    assert r is not None
    if coef is None:
        coef = start
    r_inv = np.linalg.inv(r)
    cov = r_inv @ r_inv.T
    if family == "gaussian":
        resid = (y - mu) / fam.mu_eta(eta)
        wt = w * fam.mu_eta(eta) ** 2 / fam.variance(mu)
        scale = float(np.sum(wt * resid**2) / (n - p)) if n > p else float("nan")
    else:
        scale = 1.0
    return IrlsFit(
        params=coef,
        bse=np.sqrt(np.diag(cov) * scale),
        mu=mu,
        eta=eta,
        deviance=float(dev),
        scale=scale,
        normalized_cov_params=cov,
        converged=converged,
        iterations=it,
    )
