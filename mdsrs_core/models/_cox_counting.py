"""The Cox partial likelihood on ``(start, stop]`` intervals with case weights.

Array-level, plain numpy, as :mod:`mdsrs_core.models._survival_engine` (whose
Newton-Raphson iteration :func:`~mdsrs_core.models._survival_engine.cox_fit` drives the
:class:`CountingData` here). This is the counting-process form of Andersen & Gill (1982):
row i is at risk at time t when ``start_i < t <= stop_i`` (and in t's stratum), so a
subject may have several rows, and a covariate may change between them (time-varying
covariates, Therneau & Grambsch 2000, ch. 3). Case weights ``w_i`` multiply each row's
contribution as in R's ``coxph(weights = w)``; ties use Efron's (1977) approximation with
R's weighted form (the k-th of the d tied deaths removes ``k/d`` of the deaths' weighted
risk from the denominator; each term is weighted by the mean weight of the deaths) or
Breslow's. Right-censored data are the special case ``start = -inf``.

:func:`score_residuals` gives the per-row score residuals of Therneau, Grambsch & Fleming
(1990), from which :func:`robust_variance` forms the grouped infinitesimal-jackknife
(sandwich) variance of Lin & Wei (1989) exactly as R's ``coxph`` does with ``cluster()``
or ``robust = TRUE``: ``D = rowsum(w * U V, cluster)``, ``var = D'D``.

The risk-set sums are cumulative sums in two sort orders (by stop time, and by start time
to remove the rows that have not yet entered), so one evaluation of the likelihood, its
gradient and its information matrix costs O(n log n + n p^2), as R's ``agfit4``.
"""

from __future__ import annotations

import numpy as np

from mdsrs_core.models._survival_engine import _dot

__all__ = ["CountingData", "concordance_counting", "robust_variance", "score_residuals"]


def _keys(strata: np.ndarray | None, values: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Integer sort keys: stratum first, then the rank of ``values`` among ``times`` (1 for
    the first time, 0 for -inf: before every time); ``strata`` None: one stratum. Built in
    place in one int64 array (10^6 rows: 8 MB, not five such arrays at once)."""
    key = np.searchsorted(times, values).astype(np.int64, copy=False)
    key += 1
    key[~np.isfinite(values)] = 0
    if strata is not None:
        key += np.asarray(strata, dtype=np.int64) * (len(times) + 2)
    return key


def _event_times(stop: np.ndarray, start: np.ndarray) -> np.ndarray:
    """The distinct finite times among ``stop`` and ``start`` in increasing order (the
    union of each one's distinct times: no (2 x rows) concatenation to sort)."""
    finite = np.isfinite(start)
    starts = np.unique(start if finite.all() else start[finite])
    return np.union1d(np.unique(stop), starts)


#: rows per ``np.take`` of the risk-set sums (its int64 copy of the positions: 2 MB)
_TAKE_BLOCK = 1 << 18


class CountingData:
    """Rows ``(start, stop, event, x, stratum, weight)`` with the index sets the counting-
    process likelihood needs. ``x`` should be centred (this changes no estimate)."""

    def __init__(
        self,
        start: np.ndarray,
        stop: np.ndarray,
        event: np.ndarray,
        x: np.ndarray,
        strata: np.ndarray | None,
        weights: np.ndarray,
        efron: bool,
    ) -> None:
        n = len(stop)
        self.x = x
        # shared with the caller's arrays when already float or integer 0/1 (nothing here
        # writes to them; the products with the weights are the same floats either way)
        self.event = event if event.dtype.kind in "biu" else event.astype(float, copy=False)
        self.weights = weights.astype(float, copy=False)
        if strata is not None:
            strata = np.asarray(strata, dtype=np.int64)
            if n and not strata.any():
                strata = None  # one stratum: no keys offset by it
        times = _event_times(stop, start)
        self.nstrata = int(strata.max()) + 1 if strata is not None else 1
        m = len(times) + 2
        stop_key = _keys(strata, stop, times)
        start_key = _keys(strata, start, times)  # -inf sorts before every time
        # death groups: distinct (stratum, stop) among the events, in key order
        dead = self.event > 0
        gkeys, ginv = np.unique(stop_key[dead], return_inverse=True)
        self.gkeys = gkeys
        self.ngroup = len(gkeys)
        self.dead = np.flatnonzero(dead)
        self.dead_group = ginv.reshape(-1)
        self.gstratum_end = (gkeys // m + 1) * m  # first key of the next stratum
        # per group: number of deaths (R's Efron fractions use the count) and their weight
        self.ndeath = np.bincount(self.dead_group, minlength=self.ngroup).astype(float)
        dw = np.bincount(self.dead_group, weights=self.weights[dead], minlength=self.ngroup)
        self.meanwt = dw / self.ndeath
        d_int = self.ndeath.astype(np.int64)
        self.egroup = np.repeat(np.arange(self.ngroup), d_int)  # one entry per death
        if efron:
            first = np.cumsum(d_int) - d_int
            rank = np.arange(len(self.egroup)) - np.repeat(first, d_int)
            self.frac = rank / np.repeat(self.ndeath, d_int)
        else:
            self.frac = np.zeros(len(self.egroup))
        # row positions as int32 below 2^31 rows: they are the engine's largest arrays
        index = np.int32 if n < 2**31 - 1 else np.int64
        # per row: number of groups with key <= stop key / <= start key (same stratum)
        self.row_stop_g = np.searchsorted(gkeys, stop_key, "right").astype(index)
        self.row_start_g = np.searchsorted(gkeys, start_key, "right").astype(index)
        # the risk-set sums' sort orders, last row first (suffix sums are cumulative sums
        # in that order), and at each death group's time t (stratum s) the number of rows
        # with stop >= t (start >= t), and those of later strata, within s
        by_stop = np.argsort(stop_key, kind="stable")
        sk = stop_key[by_stop]
        del stop_key
        self.stop_desc = by_stop[::-1].astype(index)
        del by_stop
        self.stop_lo = n - np.searchsorted(sk, gkeys, "left")
        self.stop_hi = n - np.searchsorted(sk, self.gstratum_end, "left")
        del sk
        by_start = np.argsort(start_key, kind="stable")
        tk = start_key[by_start]
        del start_key
        self.start_desc = by_start[::-1].astype(index)
        del by_start
        self.start_lo = n - np.searchsorted(tk, gkeys, "left")
        self.start_hi = n - np.searchsorted(tk, self.gstratum_end, "left")
        del tk
        self.we_x = self.x.T @ (self.weights * self.event)

    def _risk_sums(self, values: np.ndarray) -> np.ndarray:
        """Sum of ``values`` over the rows at risk at each death group's time.

        Suffix sums (from the last time back, as R's agfit4 accumulates): the rows with
        stop >= t minus those with start >= t. Prefix sums would take a late, small risk
        set as the difference of two sums over nearly all rows and lose its digits (at
        10^6 rows enough to stall Newton-Raphson on rounding)."""
        at_risk = self._suffix(values, self.stop_desc, self.stop_lo, self.stop_hi)
        at_risk -= self._suffix(values, self.start_desc, self.start_lo, self.start_hi)
        return at_risk

    @staticmethod
    def _suffix(values: np.ndarray, desc: np.ndarray, lo: np.ndarray, hi: np.ndarray):
        """``sum(values[k:]) - sum(values[k':])`` in the sort order ``desc`` reversed, for
        k, k' the positions ``n - lo``, ``n - hi``: one buffer of the rows' cumulative sums
        from the last row back (``buffer[j]`` the sum of the last j rows, ``buffer[0] = 0``)."""
        buffer = np.empty((len(desc) + 1,) + values.shape[1:])
        buffer[0] = 0.0
        # mode='clip' (the positions are all valid): 'raise' buffers a copy of the rows;
        # in blocks, as NumPy converts int32 positions to a new int64 array per call
        for first in range(0, len(desc), _TAKE_BLOCK):
            end = first + _TAKE_BLOCK
            np.take(values, desc[first:end], axis=0, out=buffer[1 + first : 1 + end], mode="clip")
        np.cumsum(buffer[1:], axis=0, out=buffer[1:])
        out = buffer[lo]
        out -= buffer[hi]  # in place: the differences are the same, one array fewer
        return out

    def _row_cumulative(self, per_group: np.ndarray) -> np.ndarray:
        """Per row: sum of ``per_group`` over the groups whose time is in (start, stop]."""
        pad = np.zeros((1,) + per_group.shape[1:])
        cum = np.concatenate([pad, np.cumsum(per_group, axis=0)], axis=0)
        out = cum[self.row_stop_g]
        out -= cum[self.row_start_g]  # in place: one row-sized array, not two
        return out

    def _group_parts(self, beta: np.ndarray, keep_r: bool = False):
        """At ``beta``: ``sum(w delta (eta - shift))`` (the log-likelihood's linear part),
        the shift, the rows' ``r = exp(eta - shift)`` (``keep_r``, else None) and ``w r``,
        and per death the Efron denominator and the weighted mean of x."""
        eta = self.x @ beta
        shift = eta.max() if len(eta) else 0.0  # the likelihood is invariant to a shift
        eta -= shift
        linear = _dot(self.weights * self.event, eta)
        if keep_r:
            r = np.exp(eta)
            wr = self.weights * r
        else:  # in place: the same values, two row-sized arrays fewer while the sums run
            r = None
            wr = np.exp(eta, out=eta)
            wr *= self.weights
        del eta
        s0 = self._risk_sums(wr)
        dg = self.dead_group
        d0 = np.bincount(dg, weights=wr[self.dead], minlength=self.ngroup)
        # column by column: the same sums, in the same order, as on the whole of w r x,
        # without its (rows x p) array and the risk-set sums' (rows x p) buffer
        p = self.x.shape[1]
        s1 = np.empty((self.ngroup, p))
        d1 = np.zeros((self.ngroup, p))
        for j in range(p):
            wrx = self.x[:, j] * wr
            s1[:, j] = self._risk_sums(wrx)
            np.add.at(d1[:, j], dg, wrx[self.dead])
        g, frac = self.egroup, self.frac
        den = s0[g] - frac * d0[g]
        # one column at a time: the same values without three (deaths x p) temporaries
        xbar = np.empty((len(g), p))
        for j in range(p):
            xbar[:, j] = (s1[g, j] - frac * d1[g, j]) / den
        return linear, shift, r, wr, den, xbar

    def derivatives(self, beta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """Log partial likelihood, its gradient and the information matrix at ``beta``."""
        linear, _, _, wr, den, xbar = self._group_parts(beta)
        g, frac = self.egroup, self.frac
        mw = self.meanwt[g]
        loglik = linear - float((mw * np.log(den)).sum())
        grad = self.we_x - (mw[:, None] * xbar).sum(axis=0)
        # information: sum over deaths of mw [(S2 - f D2)/den - xbar xbar']; the S2 part is
        # sum_i w_i r_i x_i x_i' * (sum of mw/den over the death times in (start_i, stop_i])
        inv_den = np.bincount(g, weights=mw / den, minlength=self.ngroup)
        f_den = np.bincount(g, weights=mw * frac / den, minlength=self.ngroup)
        # row_w = wr * (row_c - own), own = f_den of the row's death (0 for other rows), in
        # place: the same values as with a row-sized ``own`` of zeros, one array less
        row_w = self._row_cumulative(inv_den)
        row_w[self.dead] -= f_den[self.dead_group]
        row_w *= wr
        del wr
        info = (self.x * row_w[:, None]).T @ self.x - (xbar * mw[:, None]).T @ xbar
        return loglik, grad, info

    def score_residuals(self, beta: np.ndarray) -> np.ndarray:
        """Per-row score residuals at ``beta`` (unweighted, as R's ``type = "score"``).

        ``U_i = delta_i (x_i - mean_k xbar_k) - r_i sum_t sum_k (1 - f_k delta_i(t)) h_k
        (x_i - xbar_k)``, summed over the death times t in (start_i, stop_i]; ``h_k`` is
        the hazard increment ``mw / den_k`` of the k-th Efron step (one step for Breslow).
        ``sum_i w_i U_i`` is the score vector.
        """
        _, shift, r, _, den, xbar = self._group_parts(beta, keep_r=True)
        g, frac = self.egroup, self.frac
        p = self.x.shape[1]
        h = self.meanwt[g] / den
        hg = np.bincount(g, weights=h, minlength=self.ngroup)
        xh = np.zeros((self.ngroup, p))
        np.add.at(xh, g, xbar * h[:, None])
        hf = np.bincount(g, weights=h * frac, minlength=self.ngroup)
        xhf = np.zeros((self.ngroup, p))
        np.add.at(xhf, g, xbar * (h * frac)[:, None])
        xmean = np.zeros((self.ngroup, p))
        np.add.at(xmean, g, xbar)
        xmean /= self.ndeath[:, None]
        resid = -r[:, None] * (
            self.x * self._row_cumulative(hg)[:, None] - self._row_cumulative(xh)
        )
        d, dg = self.dead, self.dead_group
        resid[d] += (self.x[d] - xmean[dg]) + r[d, None] * (self.x[d] * hf[dg, None] - xhf[dg])
        return resid


def score_residuals(data: CountingData, beta: np.ndarray) -> np.ndarray:
    """Per-row score residuals of the fitted model (see :meth:`CountingData.score_residuals`)."""
    return data.score_residuals(beta)


def robust_variance(
    data: CountingData, beta: np.ndarray, var: np.ndarray, cluster: np.ndarray
) -> tuple[np.ndarray, float]:
    """R's robust variance and robust score test for clusters ``cluster`` (integer codes).

    ``D = rowsum(w U(beta) V, cluster)`` gives ``var = D'D`` (Lin & Wei 1989; the grouped
    dfbeta of R's ``residuals(fit, "dfbeta", collapse = cluster, weighted = TRUE)``). The
    robust score test is ``u0' (D0'D0)^-1 u0`` with ``D0 = rowsum(w U(0), cluster)`` and
    ``u0`` its column sums (R's ``fit$rscore``).
    """
    codes = np.asarray(cluster, dtype=np.int64)
    k = int(codes.max()) + 1
    w = data.weights[:, None]

    def grouped(values: np.ndarray) -> np.ndarray:
        out = np.zeros((k, values.shape[1]))
        np.add.at(out, codes, values)
        return out

    dfbeta = grouped(w * data.score_residuals(beta) @ var)
    robust = dfbeta.T @ dfbeta
    u0 = grouped(w * data.score_residuals(np.zeros_like(beta)))
    total = u0.sum(axis=0)
    meat = u0.T @ u0
    try:
        rscore = float(total @ np.linalg.solve(meat, total))
    except np.linalg.LinAlgError:
        rscore = float(total @ np.linalg.pinv(meat) @ total)
    return robust, rscore


def _prefix_sums(
    rank: np.ndarray, weight: np.ndarray, is_point: np.ndarray, is_query: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each query, the weights of the points before it in array order, summed by
    whether the point's rank is smaller, equal or larger (zero for non-queries).

    Bottom-up merging as in :func:`~mdsrs_core.models._survival_engine._pair_counts`:
    at each level the points of each left block are sorted by rank and the queries of
    the right block looked up in them; O(n log^2 n), vectorised per level.
    """
    n = len(rank)
    lt, eq, gt = np.zeros(n), np.zeros(n), np.zeros(n)
    pidx, qidx = np.flatnonzero(is_point), np.flatnonzero(is_query)
    if n < 2 or not len(pidx) or not len(qidx):
        return lt, eq, gt
    prank, pw, qrank = rank[pidx].astype(np.int64), weight[pidx], rank[qidx].astype(np.int64)
    width = int(rank.max()) + 2
    block = 1
    while block < n:
        pblock, qblock = pidx // block, qidx // block
        left = (pblock % 2) == 0
        right = (qblock % 2) == 1
        if left.any() and right.any():
            pkey = (pblock[left] // 2) * width + prank[left]
            order = np.argsort(pkey)
            lkeys = pkey[order]
            cw = np.concatenate([[0.0], np.cumsum(pw[left][order])])
            qbase = (qblock[right] // 2) * width
            qkey = qbase + qrank[right]
            qorder = np.argsort(qkey)
            qk, qb = qkey[qorder], qbase[qorder]
            lo = np.searchsorted(lkeys, qb, "left")
            a = np.searchsorted(lkeys, qk, "left")
            b = np.searchsorted(lkeys, qk, "right")
            hi = np.searchsorted(lkeys, qb + width, "left")
            target = qidx[right][qorder]
            lt[target] += cw[a] - cw[lo]
            eq[target] += cw[b] - cw[a]
            gt[target] += cw[hi] - cw[b]
        block *= 2
    return lt, eq, gt


def _dominance(
    strata: np.ndarray,
    point_key: np.ndarray,
    point_rank: np.ndarray,
    point_w: np.ndarray,
    query_key: np.ndarray,
    query_rank: np.ndarray,
    descending: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per query q: the weights of the points of q's stratum with key >= q's key
    (``descending``) or <= it, summed by rank smaller / equal / larger than q's rank.

    ``strata`` gives the stratum of the points then of the queries (concatenated)."""
    npnt, nq = len(point_key), len(query_key)
    key = np.concatenate([point_key, query_key]).astype(float)
    rank = np.concatenate([point_rank, query_rank]).astype(np.int64)
    weight = np.concatenate([point_w, np.zeros(nq)])
    is_point = np.arange(npnt + nq) < npnt
    # points before queries at an equal key: the comparison is inclusive
    order = np.lexsort((~is_point, -key if descending else key, strata))
    r, s = rank[order], strata[order]
    width = int(rank.max()) + 1 if len(rank) else 1
    lt, eq, gt = _prefix_sums(s * width + r, weight[order], is_point[order], ~is_point[order])
    # points of earlier strata come first and have smaller (offset) ranks: take them out
    pw = np.where(is_point[order], weight[order], 0.0)
    before = np.cumsum(pw) - pw
    change = np.ones(len(s), dtype=bool)
    change[1:] = s[1:] != s[:-1]
    first = np.maximum.accumulate(np.where(change, np.arange(len(s)), 0))
    lt = lt - before[first]
    out = np.empty((3, npnt + nq))
    out[:, order] = np.vstack([lt, eq, gt])
    return out[0, npnt:], out[1, npnt:], out[2, npnt:]


def concordance_counting(
    start: np.ndarray | None,
    stop: np.ndarray,
    event: np.ndarray,
    lp: np.ndarray,
    strata: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    cluster: np.ndarray | None = None,
) -> tuple[float, float]:
    """Harrell's C of ``lp`` and its standard error, as R's ``coxph`` reports it
    (``concordancefit(y, lp, strata, weights, cluster, reverse = TRUE, timefix = FALSE)``).

    A pair is a death at time t and a row at risk at t (``start < t <= stop``, same
    stratum) that does not die at t; it is concordant when the death has the larger
    ``lp``, tied when equal. A pair weighs ``w_i w_j``. The standard error is R's
    infinitesimal jackknife: per row ``dfbeta_i = w_i ((C_i - D_i) / N - (somer / N)
    (C_i + D_i + T_i))`` with ``C_i, D_i, T_i`` the partner-weighted counts of the pairs
    row i is in, summed within clusters; ``var = sum(dfbeta^2) / 4``.

    The at-risk sets are "stop >= t" minus "start >= t" minus the deaths at t, each a
    weighted dominance count (:func:`_dominance`), so the cost is O(n log^2 n).
    """
    stop = np.asarray(stop, dtype=float)
    n = len(stop)
    start = np.full(n, -np.inf) if start is None else np.asarray(start, dtype=float)
    event = np.asarray(event).astype(bool)
    lp = np.asarray(lp, dtype=float)
    strata = np.zeros(n, dtype=np.int64) if strata is None else np.asarray(strata, np.int64)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    rank = np.unique(lp, return_inverse=True)[1].reshape(-1).astype(np.int64)
    d = np.flatnonzero(event)
    t, rd, wd, sd = stop[d], rank[d], w[d], strata[d]
    both = np.concatenate([strata, sd])
    # death side: rows at risk at the death's time, by rank below / equal / above its own
    a = _dominance(both, stop, rank, w, t, rd, descending=True)
    b = _dominance(both, start, rank, w, t, rd, descending=True)
    # the deaths at the same time (tied on time, itself included): not pairs
    tie_lt, tie_eq, tie_gt = _same_time(sd, t, rd, wd)
    d_lt = a[0] - b[0] - tie_lt
    d_eq = a[1] - b[1] - tie_eq
    d_gt = a[2] - b[2] - tie_gt
    # partner side: deaths at a time in (start_j, stop_j], by their rank vs row j's
    both = np.concatenate([sd, strata])
    e = _dominance(both, t, rd, wd, stop, rank, descending=False)
    f = _dominance(both, t, rd, wd, start, rank, descending=False)
    p_lt, p_eq, p_gt = e[0] - f[0], e[1] - f[1], e[2] - f[2]
    p_lt[d] -= tie_lt
    p_eq[d] -= tie_eq
    p_gt[d] -= tie_gt
    # concordant: the death has the larger lp
    conc, tied, disc = p_gt.copy(), p_eq.copy(), p_lt.copy()
    conc[d] += d_lt
    tied[d] += d_eq
    disc[d] += d_gt
    n_conc, n_tied, n_disc = _dot(wd, d_lt), _dot(wd, d_eq), _dot(wd, d_gt)
    npair = n_conc + n_disc + n_tied
    if npair == 0:
        return float("nan"), float("nan")
    somer = (n_conc - n_disc) / npair
    dfbeta = w * ((conc - disc) / npair - (somer / npair) * (conc + disc + tied))
    if cluster is not None:
        codes = np.asarray(cluster, dtype=np.int64)
        dfbeta = np.bincount(codes, weights=dfbeta).astype(float)
    se = float(np.sqrt(np.sum(dfbeta**2) / 4.0))
    return float((somer + 1.0) / 2.0), se


def _same_time(
    strata: np.ndarray, time: np.ndarray, rank: np.ndarray, weight: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per death: the weights of the deaths at the same (stratum, time), itself included,
    by rank below / equal / above its own."""
    m = len(time)
    if m == 0:
        return np.zeros(0), np.zeros(0), np.zeros(0)
    order = np.lexsort((rank, time, strata))
    s, t, r, w = strata[order], time[order], rank[order], weight[order]
    new_group = np.ones(m, dtype=bool)
    new_group[1:] = (s[1:] != s[:-1]) | (t[1:] != t[:-1])
    gid = np.cumsum(new_group) - 1
    width = int(r.max()) + 1
    key = gid.astype(np.int64) * width + r
    cw = np.concatenate([[0.0], np.cumsum(w)])
    g_start = np.flatnonzero(new_group)
    g_end = np.append(g_start[1:], m)
    lo = np.searchsorted(key, key, "left")
    hi = np.searchsorted(key, key, "right")
    lt = cw[lo] - cw[g_start[gid]]
    eq = cw[hi] - cw[lo]
    gt = cw[g_end[gid]] - cw[hi]
    out = np.empty((3, m))
    out[:, order] = np.vstack([lt, eq, gt])
    return out[0], out[1], out[2]
