"""The weighted Kaplan-Meier estimate and its infinitesimal-jackknife standard error.

With case weights ``w``, the Kaplan-Meier product runs over weighted counts:
``S(t) = prod_{s <= t} (1 - d(s) / n(s))``, ``d`` the weighted events and ``n`` the weighted
number at risk at s -- R's ``survfit(..., weights = w)``.

Standard error: R's ``survfit`` uses the robust (infinitesimal jackknife, IJ) variance when
the weights are not whole numbers or there is a ``cluster``/``id`` (Therneau, survival
vignette "Multi-state models and competing risks", section on the robust variance). The
influence of row i on ``log S(t)`` is ``-sum_{s <= t} [dN_i(s) - Y_i(s) d(s) / n(s)] /
(n(s) - d(s))``, its weighted version ``w_i`` times that, and
``var(log S(t)) = sum_g (sum_{i in g} w_i infl_i(t))^2`` over clusters g (each row its own
cluster without one). Returned as the standard error of ``-log S``, R's ``std.err``.
"""

from __future__ import annotations

import numpy as np

from mdsrs_core.models._survival_engine import KMCurve

__all__ = ["weighted_kaplan_meier"]


def weighted_kaplan_meier(
    time: np.ndarray, event: np.ndarray, weights: np.ndarray, clusters: np.ndarray | None = None
) -> KMCurve:
    """Weighted KM curve at every distinct time, with the IJ standard error of ``-log S``."""
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=float)
    w = np.asarray(weights, dtype=float)
    utime, inverse = np.unique(time, return_inverse=True)
    m = len(utime)
    n_event = np.bincount(inverse, weights=w * event, minlength=m)
    n_total = np.bincount(inverse, weights=w, minlength=m)
    n_censor = n_total - n_event
    n_risk = np.cumsum(n_total[::-1])[::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(1.0 - n_event / n_risk)
        left = n_risk - n_event
        a = np.where(n_event > 0, 1.0 / left, 0.0)  # dN_i / (n - d)
        b = np.where(n_event > 0, n_event / (n_risk * left), 0.0)  # Y_i d / (n (n - d))
    cum_b = np.cumsum(b)
    # infl[i, k] at time utime[k]: -(e_i a(T_i) 1[T_i <= t_k] - B(min(T_i, t_k)))
    k = np.arange(m)
    upto = np.minimum(inverse[:, None], k[None, :])
    infl = cum_b[upto] - np.where(
        (inverse[:, None] <= k[None, :]) & (event[:, None] > 0), a[inverse][:, None], 0.0
    )
    contrib = infl * w[:, None]
    if clusters is not None:
        g = int(clusters.max()) + 1
        totals = np.zeros((g, m))
        np.add.at(totals, clusters, contrib)
        contrib = totals
    with np.errstate(invalid="ignore"):
        std_err = np.sqrt(np.sum(contrib**2, axis=0))
    std_err = np.where(np.isfinite(surv) & (left > 0) | (n_event == 0), std_err, np.inf)
    return KMCurve(utime, n_risk, n_event, n_censor, surv, std_err, len(time))


def greenwood_weighted(time: np.ndarray, event: np.ndarray, weights: np.ndarray) -> KMCurve:
    """Weighted KM with Greenwood's variance on the weighted counts (R's ``survfit`` with
    whole-number weights and ``robust = FALSE``)."""
    curve = weighted_kaplan_meier(time, event, weights)
    d, n = curve.n_event, curve.n_risk
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(d > 0, d / (n * (n - d)), 0.0)
    curve.std_err = np.sqrt(np.cumsum(term))
    return curve
