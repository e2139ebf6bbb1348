"""The weighted Aalen-Johansen cumulative incidence and its infinitesimal-jackknife SE.

Competing risks with case weights, as R's ``survfit(Surv(time, factor(status)) ~ 1,
weights = w)``: with weighted events ``d_k(s)`` of cause k, all causes ``d(s)``, and the
weighted number at risk ``n(s)``,
``F_k(t) = sum_{s <= t} S(s-) d_k(s) / n(s)``, ``S`` the weighted Kaplan-Meier of any event
(Aalen & Johansen 1978). The standard error is R's robust one, the infinitesimal jackknife:
``var F_k(t) = sum_i (w_i dF_k(t)/dw_i)^2`` (per row; R's default for non-integer weights),
with ``dh_k(s)/dw_i = (dN_ik(s) - Y_i(s) h_k(s)) / n(s)`` and
``dlog S(s-)/dw_i = -sum_{u < s} (dN_i(u) - Y_i(u) h(u)) / (n(u) - d(u))``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["weighted_cuminc"]


def weighted_cuminc(
    time: np.ndarray,
    status: np.ndarray,
    weights: np.ndarray,
    cause: int,
    at: np.ndarray,
    clusters: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``(F_k(at), se)`` for ``cause`` (status 0 = censored) at the times ``at``; with
    ``clusters`` (integer codes) the influences are summed within clusters first, as R's
    ``survfit(..., cluster =)``."""
    time = np.asarray(time, dtype=float)
    status = np.asarray(status).astype(int)
    w = np.asarray(weights, dtype=float)
    utime, inv = np.unique(time, return_inverse=True)
    m = len(utime)
    ev = status > 0
    evk = status == cause
    d = np.bincount(inv, weights=w * ev, minlength=m)
    dk = np.bincount(inv, weights=w * evk, minlength=m)
    n = np.cumsum(np.bincount(inv, weights=w, minlength=m)[::-1])[::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        h = np.where(n > 0, d / n, 0.0)
        hk = np.where(n > 0, dk / n, 0.0)
        surv = np.cumprod(1 - h)
    s_before = np.concatenate([[1.0], surv[:-1]])
    inc = s_before * hk
    cif = np.cumsum(inc)
    # per row i and time index j: Y_i(j) = inv_i >= j; dN_i(j) = (inv_i == j) & ev_i
    j = np.arange(m)
    at_risk = inv[:, None] >= j[None, :]
    dn = (inv[:, None] == j[None, :]) & ev[:, None]
    dnk = (inv[:, None] == j[None, :]) & evk[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        left = n - d
        g = np.where(left > 0, (dn - at_risk * h[None, :]) / left[None, :], 0.0)
        dhk = np.where(n > 0, (dnk - at_risk * hk[None, :]) / n[None, :], 0.0)
    # dlog S(s-) = -sum_{u < s} g(u)
    dlogs_before = -np.concatenate([np.zeros((len(w), 1)), np.cumsum(g, axis=1)[:, :-1]], axis=1)
    dinc = s_before[None, :] * dhk + inc[None, :] * dlogs_before
    dcif = np.cumsum(dinc, axis=1)
    idx = np.searchsorted(utime, np.asarray(at, dtype=float), "right") - 1
    est = np.where(idx >= 0, cif[np.maximum(idx, 0)], 0.0)
    infl = np.where(idx[None, :] >= 0, dcif[:, np.maximum(idx, 0)], 0.0) * w[:, None]
    if clusters is not None:
        totals = np.zeros((int(clusters.max()) + 1, infl.shape[1]))
        np.add.at(totals, clusters, infl)
        infl = totals
    se = np.sqrt(np.sum(infl**2, axis=0))
    return est, se
