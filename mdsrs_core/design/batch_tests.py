"""Two-arm tests on a batch of simulated trials at once: one row of a 2-D array per trial.

Each function takes arrays of shape ``(trials, patients)`` (or per-trial counts) and returns
one p-value per trial, computed with sorting, cumulative sums and products along the patient
axis -- no Python loop over trials. Each gives, trial by trial, the p-value of the scalar
routine the study's endpoint uses (tests/test_design_batch.py checks them against it, and
those routines are checked against R):

* :func:`logrank_p` -- the log-rank test, :func:`mdsrs_core.models._survival_engine.logrank`
  (R's ``survdiff``), ties handled as R does (deaths at a time are one risk set);
* :func:`gray_p` -- Gray's (1988) test of cause 1 with a competing cause 2,
  ``cmprsk::cuminc``'s ``crstm`` routine (``rho = 0``, one stratum, two groups) as
  :mod:`mdsrs_core.models.cuminc` ports it;
* :func:`binary_p` -- the gtsummary ``add_p()`` rule: Pearson's chi-squared test without
  correction when every expected count is >= 5, else Fisher's exact test
  (:func:`mdsrs_core.stats.contingency.choose_test`);
* :func:`wilcoxon_p` -- the Wilcoxon rank-sum test with the tie correction and continuity
  correction (:func:`mdsrs_core.stats.ranks.wilcox_test`, R's ``wilcox.test``; with ordered
  grades there are always ties, so R uses the normal approximation). It is the score test of
  the proportional-odds model for a two-arm comparison (McCullagh 1980) up to its variance
  estimate;
* :func:`clm_wald_p` -- the Wald test of the proportional-odds model ``clm(grade ~ arm)``
  (:func:`mdsrs_core.models.clm.clm`, R's ``ordinal::clm``), one small fit per trial.

``group`` arrays hold 0 (reference arm) and 1 (other arm).
"""

from __future__ import annotations

import numpy as np

from mdsrs_core.stats import distributions as sps

__all__ = [
    "logrank_p",
    "logrank_chisq",
    "logrank_score",
    "gray_p",
    "binary_p",
    "wilcoxon_p",
    "clm_wald_p",
    "tie_groups",
]


def _sorted(time: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    order = np.argsort(time, axis=1, kind="stable")
    return [np.take_along_axis(a, order, axis=1) for a in (time, *others)]


def tie_groups(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For rows of sorted times: the index of the first patient of each patient's tie group,
    and a mask of the last patient of each tie group (where that time's counts are taken)."""
    n = t.shape[1]
    new = np.ones(t.shape, dtype=bool)
    new[:, 1:] = t[:, 1:] != t[:, :-1]
    last = np.ones(t.shape, dtype=bool)
    last[:, :-1] = new[:, 1:]
    start = np.maximum.accumulate(np.where(new, np.arange(n), 0), axis=1)
    return start, last


def _before(cum: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Counts of the patients before each patient's tie group (``cum`` an inclusive cumsum)."""
    excl = np.concatenate([np.zeros((cum.shape[0], 1), cum.dtype), cum[:, :-1]], axis=1)
    return np.take_along_axis(excl, start, axis=1)


def _at_tie(values: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Per patient: the sum of ``values`` over its tie group (correct at the group's last
    patient, which is where it is used)."""
    cum = np.cumsum(values, axis=1)
    return cum - _before(cum, start)


def logrank_p(time: np.ndarray, event: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Log-rank p-values (1 df) of ``(trials, patients)`` arrays of times, 0/1 events and
    0/1 groups (:func:`logrank_chisq`)."""
    return sps.chi2.sf(logrank_chisq(time, event, group), 1)


def logrank_chisq(time: np.ndarray, event: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Log-rank chi-squared statistics of ``(trials, patients)`` arrays of times, 0/1 events
    and 0/1 groups.

    Method: at each distinct event time t of a trial, with n(t) at risk, n1(t) of them in
    group 1, and d(t) deaths, d1(t) in group 1: ``U = sum(d1 - d n1 / n)`` and
    ``V = sum(d (n1/n)(1 - n1/n)(n - d)/(n - 1))``; ``U^2 / V`` on 1 df (Mantel 1966), as
    R's ``survdiff``. ``V = 0`` (no event) gives p = 1 (``survdiff``: chisq 0).
    """
    u, v = logrank_score(time, event, group)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(v > 0, u * u / v, 0.0)


def logrank_score(
    time: np.ndarray, event: np.ndarray, group: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The log-rank score ``U`` and its variance ``V`` of each trial (see
    :func:`logrank_chisq`); a stratified test sums them over the strata (``survdiff``
    with ``strata()``: ``(sum U_s)^2 / sum V_s``)."""
    t, e, g = _sorted(np.asarray(time, float), np.asarray(event, float), np.asarray(group, float))
    n = t.shape[1]
    start, last = tie_groups(t)
    at_risk = n - start
    at_risk1 = g.sum(axis=1, keepdims=True) - _before(np.cumsum(g, axis=1), start)
    d = np.where(last, _at_tie(e, start), 0.0)
    d1 = np.where(last, _at_tie(e * g, start), 0.0)
    share = at_risk1 / at_risk
    u = (d1 - d * share).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        v_t = np.where(at_risk > 1, d * share * (1 - share) * (at_risk - d) / (at_risk - 1), 0.0)
    return u, v_t.sum(axis=1)


def _shift(a: np.ndarray, fill: float) -> np.ndarray:
    """The value before each position along axis 1 (the state just before a time)."""
    return np.concatenate([np.full((a.shape[0], 1), fill), a[:, :-1]], axis=1)


def gray_p(time: np.ndarray, status: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Gray's test (cause 1, with the competing cause 2; 0 censored), 1 df, per trial.

    Method: Gray RJ (1988). A class of K-sample tests for comparing the cumulative incidence
    of a competing risk. Ann Stat 16:1141-1154; weight ``(1 - F(t-))^0``. The score
    ``s = sum(d1_0 - d1 R_0 (1 - F1_0(t-)) / (S_0(t-) Q))`` and its variance follow cmprsk's
    Fortran routine ``crst`` for two groups term by term, each running quantity (group-wise
    Kaplan-Meier S_k, cumulative incidence F1_k, the pooled F, the ``c`` matrix and the
    variance sums ``v``, ``v2``, ``v3``) being a cumulative sum or product along the sorted
    times. Returns p-values (1 where the variance is 0).
    """
    t, m, g = _sorted(np.asarray(time, float), np.asarray(status, float), np.asarray(group, float))
    shape = t.shape
    start, last = tie_groups(t)
    total = np.stack([1 - g, g])  # (2, trials, patients)
    n_k = total.sum(axis=2, keepdims=True)
    rs = np.stack([n_k[k] - _before(np.cumsum(total[k], axis=1), start) for k in (0, 1)])
    d1 = np.stack([np.where(last, _at_tie((m == 1) * total[k], start), 0.0) for k in (0, 1)])
    d2 = np.stack([np.where(last, _at_tie((m == 2) * total[k], start), 0.0) for k in (0, 1)])
    nd1, nd2 = d1.sum(axis=0), d2.sum(axis=0)
    active = (nd1 > 0) | (nd2 > 0)
    live = rs > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(live & active, (rs - d1 - d2) / rs, 1.0)
        skm = np.cumprod(factor, axis=2)
        skmm = np.stack([_shift(skm[k], 1.0) for k in (0, 1)])
        f1 = np.cumsum(np.where(live & active, skmm * d1 / rs, 0.0), axis=2)
        f1m = np.stack([_shift(f1[k], 0.0) for k in (0, 1)])
        ratio = np.where(live, rs / skmm, 0.0)  # t1 of crst, R_k / S_k(t-)
        tr = ratio.sum(axis=0)
        tq = np.where(live, rs * (1 - f1m) / skmm, 0.0).sum(axis=0)
        inc = np.where(active, nd1 / tr, 0.0)
        f = np.cumsum(inc, axis=1)
        fm = _shift(f, 0.0)
        a00 = np.where(live[0], ratio[0] * (1 - ratio[0] / tr), 0.0)
        a01 = np.where(live[0] & live[1], -ratio[0] * ratio[1] / tr, 0.0)
        w = np.where(active, nd1 / (tr * (1 - fm)), 0.0)
        c00 = np.cumsum(np.where(live[0], a00 * w, 0.0), axis=1)
        c01 = np.cumsum(np.where(live[0] & live[1], a01 * w, 0.0), axis=1)
        s = np.where(
            active & live[0], d1[0] - nd1 * rs[0] * (1 - f1m[0]) / (skmm[0] * tq), 0.0
        ).sum(axis=1)
        a_k = (a00, a01)
        c_k = (c00, c01)
        v = np.zeros(shape[0])
        v2 = [np.zeros(shape[0]), np.zeros(shape[0])]
        v3 = [np.zeros(shape[0]), np.zeros(shape[0])]
        has1 = nd1 > 0
        for k in (0, 1):
            # cause-1 terms
            use = has1 & live[k]
            t4 = np.where(skm[k] > 0, 1 - (1 - f) / skm[k], 1.0)
            t5 = np.where(nd1 > 1, 1 - (nd1 - 1) / (tr * skmm[k] - 1), 1.0)
            t3 = t5 * skmm[k] * nd1 / (tr * rs[k])
            t1 = a_k[k] - t4 * c_k[k]
            v3[k] += np.where(use, t4 * t4 * t3, 0.0).sum(axis=1)
            v2[k] += np.where(use, t1 * t4 * t3, 0.0).sum(axis=1)
            v += np.where(use, t1 * t1 * t3, 0.0).sum(axis=1)
            # cause-2 terms
            use = (nd2 > 0) & (skm[k] > 0) & (d2[k] > 0)
            t4 = (1 - f) / skm[k]
            t5 = np.where(d2[k] > 1, 1 - (d2[k] - 1) / (rs[k] - 1), 1.0)
            t3 = t5 * skmm[k] ** 2 * d2[k] / rs[k] ** 2
            t1 = t4 * c_k[k]
            v3[k] += np.where(use, t4 * t4 * t3, 0.0).sum(axis=1)
            v2[k] -= np.where(use, t1 * t4 * t3, 0.0).sum(axis=1)
            v += np.where(use, t1 * t1 * t3, 0.0).sum(axis=1)
        c_end = (c00[:, -1], c01[:, -1])
        for k in (0, 1):
            v += c_end[k] * c_end[k] * v3[k] + 2 * c_end[k] * v2[k]
        stat = np.where(v > 0, s * s / v, 0.0)
    return sps.chi2.sf(stat, 1)


def binary_p(x0: np.ndarray, n0: int, x1: np.ndarray, n1: int) -> np.ndarray:
    """p-values of the gtsummary rule for per-trial responder counts ``x0`` of ``n0`` and
    ``x1`` of ``n1``: Pearson's chi-squared (no correction) when the smallest expected count
    of ``table(arm, outcome)``, computed in gtsummary's order, is >= 5; otherwise Fisher's
    exact test (R's two-sided p-value: the tables no more probable than the observed, with
    R's relative tolerance 1e-7). A table with a zero margin gives p = 1 (no evidence).
    Fisher's p-values are computed once per distinct table.
    """
    from mdsrs_core.stats.contingency import FISHER_2X2_REL_ERR, _NoncentralHypergeometric

    x0 = np.asarray(x0, dtype=np.int64)
    x1 = np.asarray(x1, dtype=np.int64)
    n = n0 + n1
    tab = np.stack([[n0 - x0, x0], [n1 - x1, x1]]).astype(float)  # (2 arms, 2 levels, trials)
    props = tab / n
    rows = props[:, 0] + props[:, 1]
    cols = props[0] + props[1]
    min_exp = np.min(np.stack([rows[i] * cols[j] * n for i in (0, 1) for j in (0, 1)]), axis=0)
    expected = np.stack([[rows[i] * cols[j] * n for j in (0, 1)] for i in (0, 1)])
    with np.errstate(divide="ignore", invalid="ignore"):
        chisq = np.nansum((tab - expected) ** 2 / expected, axis=(0, 1))
    p = sps.chi2.sf(chisq, 1)
    degenerate = (cols == 0).any(axis=0)
    p = np.where(degenerate, 1.0, p)
    fisher = (min_exp < 5) & ~degenerate
    if fisher.any():
        keys = np.stack([x0[fisher], x1[fisher]], axis=1)
        uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
        values = np.empty(len(uniq))
        for i, (a, b) in enumerate(uniq):
            dist = _NoncentralHypergeometric(np.array([[n0 - a, a], [n1 - b, b]]))
            dens = dist.density(1.0)
            values[i] = dens[dens <= dens[dist.x - dist.lo] * FISHER_2X2_REL_ERR].sum()
        p[fisher] = np.minimum(values[inverse.ravel()], 1.0)
    return p


def wilcoxon_p(counts0: np.ndarray, counts1: np.ndarray) -> np.ndarray:
    """Wilcoxon rank-sum p-values from per-trial counts of each ordered grade:
    ``counts0`` / ``counts1`` of shape ``(trials, grades)`` for the reference / other arm.

    Method: midranks of each grade from the pooled counts; ``W`` = rank sum of arm 1 minus
    ``n1 (n1 + 1) / 2``; normal approximation with mean ``n0 n1 / 2``, tie-corrected variance
    ``n0 n1 / 12 ((N + 1) - sum(t^3 - t) / (N (N - 1)))`` and continuity correction 0.5
    toward the mean, as R's ``wilcox.test`` with ties. Every patient in one grade gives
    p = NaN in R; here p = 1 (not rejected).
    """
    c0 = np.asarray(counts0, dtype=float)
    c1 = np.asarray(counts1, dtype=float)
    tot = c0 + c1
    n0, n1 = c0.sum(axis=1), c1.sum(axis=1)
    n = n0 + n1
    below = np.cumsum(tot, axis=1) - tot
    midrank = below + (tot + 1) / 2
    w = (c1 * midrank).sum(axis=1) - n1 * (n1 + 1) / 2
    z = w - n0 * n1 / 2
    ties = (tot**3 - tot).sum(axis=1)
    sigma = np.sqrt(n0 * n1 / 12 * ((n + 1) - ties / (n * (n - 1))))
    zc = (z - np.sign(z) * 0.5) / np.where(sigma > 0, sigma, 1.0)
    p = 2 * np.minimum(sps.norm.cdf(zc), sps.norm.sf(zc))
    return np.where(sigma > 0, p, 1.0)


def clm_wald_p(counts0: np.ndarray, counts1: np.ndarray) -> np.ndarray:
    """Wald p-values of the arm coefficient of the proportional-odds model
    ``clm(grade ~ arm)`` (logit link), the ``adverse_events`` endpoint's model, per trial.

    Each trial's model is fitted on its 2 x K table of counts as case weights (the same
    likelihood, estimates and Hessian as the patient-level data) with the Newton iterations
    and the start of :func:`mdsrs_core.models.clm.clm`; grades nobody has are dropped (clm
    sees only the levels observed). Where clm reports no estimate -- one grade only, quasi-
    complete separation, no convergence, a singular information -- p = 1 (no rejection).
    One small fit per trial: a loop over trials, not one array.
    """
    from mdsrs_core.models.clm import _loglik_derivs, _newton, _start
    from mdsrs_core.stats.distributions import norm

    c0 = np.asarray(counts0, dtype=float)
    c1 = np.asarray(counts1, dtype=float)
    out = np.ones(c0.shape[0])
    for i in range(c0.shape[0]):
        seen = (c0[i] + c1[i]) > 0
        k = int(seen.sum())
        if k < 2:
            continue
        a, b = c0[i][seen], c1[i][seen]
        codes0, codes1 = np.flatnonzero(a > 0), np.flatnonzero(b > 0)
        if not len(codes0) or not len(codes1):
            continue
        if codes1.max() <= codes0.min() or codes1.min() >= codes0.max():
            continue  # quasi-complete separation: no finite estimate
        codes = np.concatenate([codes0, codes1])
        w = np.concatenate([a[codes0], b[codes1]])
        x = np.concatenate([np.zeros(len(codes0)), np.ones(len(codes1))])[:, None]
        params, _ = _newton(_start(codes, x, k, "", w), x, codes, k, w)
        loglik, grad, hess = _loglik_derivs(params, x, codes, k, w=w)
        if hess is None or not np.isfinite(loglik) or np.max(np.abs(grad)) > 1e-6:
            continue
        try:
            vcov = np.linalg.inv(-hess)
        except np.linalg.LinAlgError:
            continue
        var = vcov[k - 1, k - 1]
        if not var > 0:
            continue
        out[i] = 2 * norm.sf(abs(params[k - 1]) / np.sqrt(var))
    return out
