"""Array-level survival computations behind ``coxph``, ``survfit`` and ``survdiff``.

Plain numpy on sorted arrays; no formulas, no pandas. Every function mirrors the
corresponding computation of R's survival package (T. Therneau) so that results agree
to rounding error:

* :func:`cox_fit` -- Cox (1972) partial likelihood with Efron (1977) or Breslow ties,
  maximised by Newton-Raphson with step halving, iterated exactly as R's ``coxfit6``;
* :func:`concordance` -- Harrell's C of the linear predictor with R's infinitesimal
  jackknife standard error (``survival::concordancefit``);
* :func:`kaplan_meier` -- the Kaplan & Meier (1958) product-limit estimate with the
  Greenwood (1926) variance of the cumulative hazard;
* :func:`logrank` -- the G-rho family of Harrington & Fleming (1982); rho = 0 is the
  log-rank test of Mantel (1966).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "CoxFit",
    "KMCurve",
    "LogrankFit",
    "concordance",
    "cox_fit",
    "kaplan_meier",
    "logrank",
]


# =========================================================================== Cox model


@dataclass
class CoxFit:
    """The numbers of a fitted Cox model (coefficients on the original covariate scale)."""

    coef: np.ndarray
    var: np.ndarray  # inverse of the information matrix at ``coef``
    loglik_null: float  # partial log-likelihood at beta = 0
    loglik: float  # at ``coef``
    score_test: float  # score (log-rank) statistic at beta = 0
    score: np.ndarray  # gradient at ``coef``
    iterations: int
    converged: bool
    infinite: np.ndarray  # bool per coefficient: R's "coefficient may be infinite" rule
    linear_predictor: np.ndarray  # x @ coef - mean(x) @ coef, as R's linear.predictors
    data: Any = None  # the likelihood's data (centred covariates), for robust variances


class _CoxData:
    """Data sorted by (stratum, time) with the index sets the likelihood needs.

    At 10^6 rows every row-sized array is 8 MB: only the sorted event and covariates and
    the rows' tie groups are kept, and the stratum bounds only when there are strata."""

    def __init__(
        self, time: np.ndarray, event: np.ndarray, x: np.ndarray, strata: np.ndarray, efron: bool
    ) -> None:
        order = np.lexsort((time, strata))
        t, s = time[order], strata[order]
        self.event = event[order].astype(float)
        self.x = x[order]
        del order
        n = len(t)
        # tie groups: runs of equal (stratum, time)
        new_group = np.ones(n, dtype=bool)
        new_group[1:] = (s[1:] != s[:-1]) | (t[1:] != t[:-1])
        del t
        self.gstart = np.flatnonzero(new_group)
        self.gid = np.cumsum(new_group) - 1
        del new_group
        ngroup = len(self.gstart)
        # for each group, one past the last row of its stratum, and the stratum's first
        # group (None for one stratum: the end of the data and group 0)
        new_stratum = np.ones(n, dtype=bool)
        new_stratum[1:] = s[1:] != s[:-1]
        sstart = np.flatnonzero(new_stratum)
        self.group_send: np.ndarray | None = None
        self.group_sstart_gid: np.ndarray | None = None
        if len(sstart) > 1:
            send = np.append(sstart[1:], n)
            sid = np.cumsum(new_stratum) - 1
            self.group_send = send[sid[self.gstart]]  # stratum end of each group
            self.group_sstart_gid = self.gid[sstart][sid[self.gstart]]
            del sid
        del s, new_stratum
        self.deaths = np.add.reduceat(self.event, self.gstart)
        # one entry per death: its group and the Efron fraction l / d, l = 0..d-1
        d_int = self.deaths.astype(np.int64)
        self.dgroup = np.repeat(np.arange(ngroup), d_int)
        if efron:
            first = np.cumsum(d_int) - d_int
            rank = np.arange(len(self.dgroup)) - np.repeat(first, d_int)
            self.frac = rank / np.repeat(self.deaths, d_int)
        else:
            self.frac = np.zeros(len(self.dgroup))
        self.ngroup = ngroup
        self.xe_sum = self.x.T @ self.event  # sum of x over deaths

    def _risk_sums(self, values: np.ndarray) -> np.ndarray:
        """Sum of ``values`` over the risk set (rows of the stratum at or after) per group."""
        rev = np.cumsum(values[::-1], axis=0)[::-1]
        sums = rev[self.gstart]
        if self.group_send is not None:
            # less the sums beyond each stratum's end (none for the last stratum)
            later = self.group_send < len(rev)
            sums[later] -= rev[self.group_send[later]]
        return sums

    def derivatives(self, beta: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """Log partial likelihood, its gradient and the information matrix at ``beta``.

        (Each row-sized intermediate is released once used: at 10^6 rows the live set, not
        the arithmetic, sets the memory.)"""
        eta = self.x @ beta
        shift = eta.max() if len(eta) else 0.0  # the likelihood is invariant to a shift
        w = np.exp(eta - shift)
        linear = _dot(self.event, eta - shift)
        del eta
        wx = self.x * w[:, None]
        s0 = self._risk_sums(w)
        s1 = self._risk_sums(wx)
        d0 = np.add.reduceat(w * self.event, self.gstart)
        d1 = np.add.reduceat(wx * self.event[:, None], self.gstart, axis=0)
        del wx
        g, frac = self.dgroup, self.frac
        den = s0[g] - frac * d0[g]
        del s0
        loglik = linear - float(np.log(den).sum())
        a = (s1[g] - frac[:, None] * d1[g]) / den[:, None]
        del s1, d1, d0
        grad = self.xe_sum - a.sum(axis=0)
        # information: sum over deaths of (S2 - f D2)/den - a a'; the S2 part is
        # sum_i w_i x_i x_i' * (sum of 1/den over death times at or before t_i)
        inv_den = np.bincount(g, weights=1.0 / den, minlength=self.ngroup)
        f_den = np.bincount(g, weights=frac / den, minlength=self.ngroup)
        del den
        c_group = np.cumsum(inv_den)
        del inv_den
        if self.group_sstart_gid is not None:
            c_group = c_group - np.concatenate([[0.0], c_group])[self.group_sstart_gid]
        row_w = c_group[self.gid]
        del c_group
        row_w -= self.event * f_den[self.gid]
        del f_den
        row_w *= w
        del w
        info = (self.x * row_w[:, None]).T @ self.x - a.T @ a
        return loglik, grad, info


#: above this length OpenBLAS's ddot splits a dot product over threads (its threshold),
#: which on a busy machine costs milliseconds a call; the sum of products is then taken by
#: numpy instead (exactly as before at or below it)
_BLAS_DOT_MAX = 10_000


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """``a @ b`` of two vectors, without OpenBLAS's threads above :data:`_BLAS_DOT_MAX`."""
    if len(a) > _BLAS_DOT_MAX:
        return float(np.multiply(a, b).sum())
    return float(a @ b)


def _solve(info: np.ndarray, u: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(info, u)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(info, u, rcond=None)[0]


def _inverse(info: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.inv(info)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(info)


#: a halved Newton step this small (absolute, in the centred covariates' units) is no step
_STEP_FLOOR = 1e-10


def cox_fit(
    time: np.ndarray,
    event: np.ndarray,
    x: np.ndarray,
    strata: np.ndarray | None = None,
    *,
    ties: str = "efron",
    eps: float = 1e-12,
    max_iter: int = 100,
    start: np.ndarray | None = None,
    weights: np.ndarray | None = None,
) -> CoxFit:
    """Fit a Cox proportional-hazards model by Newton-Raphson (Cox 1972).

    Ties are handled by Efron's (1977) approximation or Breslow's. The iteration is that
    of R's ``coxfit6``: start at beta = 0, take Newton steps, halve a step whose
    log-likelihood decreases, and stop when ``|1 - loglik_old / loglik_new| <= eps``
    after a full step (or after a step halved below 1e-10: on 10^6 rows rounding can make
    every step at the maximum look like a decrease). Covariates are centred first, as in R
    (this changes no estimate).
    The ``infinite`` flags follow ``coxph.fit``: with ``u`` the score and ``V`` the
    variance at the solution, a coefficient is flagged when ``|u V| > eps`` and
    ``|u V| > sqrt(eps) |beta|`` (monotone likelihood, Bryson & Johnson 1981).

    With ``start`` (the counting-process form: ``time`` is then the stop time of each
    ``(start, stop]`` row) or case ``weights``, the likelihood is that of
    :class:`~mdsrs_core.models._cox_counting.CountingData` (R's ``agfit4``); the fit's
    ``data`` then holds it, for score residuals and robust variances.
    """
    time = np.asarray(time, dtype=float)
    event = np.asarray(event)
    if event.dtype.kind not in "biu":  # 0/1 integers are read as they are (same values)
        event = event.astype(float)
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    n, p = x.shape
    strata = None if strata is None else np.asarray(strata)
    means = x.mean(axis=0) if n else np.zeros(p)
    xc = x - means
    data: Any
    if start is None and weights is None:
        if strata is None:
            strata = np.zeros(n, dtype=np.int64)
        data = _CoxData(time, event, xc, strata, efron=(ties == "efron"))
    else:
        from mdsrs_core.models._cox_counting import CountingData

        # a constant start or weight is one value seen n times (read-only, no n-sized array)
        data = CountingData(
            np.broadcast_to(-np.inf, n) if start is None else np.asarray(start, dtype=float),
            time,
            event,
            xc,
            strata,
            np.broadcast_to(1.0, n) if weights is None else np.asarray(weights, dtype=float),
            efron=(ties == "efron"),
        )
    # ``data`` holds what it needs of these (10^6 rows: 24 MB less while fitting)
    del strata, xc

    beta = np.zeros(p)
    loglik0, u, info = data.derivatives(beta)
    score_test = float(u @ _solve(info, u)) if p else 0.0
    loglik_old = loglik0
    new_beta = beta + _solve(info, u)
    halving = False
    converged = False
    iteration = 0
    new_lik = loglik0
    for iteration in range(1, max_iter + 1):
        new_lik, u, info = data.derivatives(new_beta)
        if not np.isfinite(new_lik):
            new_lik = -np.inf
        if abs(1.0 - loglik_old / new_lik) <= eps and (
            not halving or np.max(np.abs(new_beta - beta), initial=0.0) <= _STEP_FLOOR
        ):
            # converged; also after a halved step once the halving has shrunk the step to
            # nothing: with 10^6 rows the log-likelihood's rounding can make every step
            # look like a decrease, and R's rule (no convergence on a halved step) cycles
            converged = True
            beta = new_beta
            break
        if iteration == max_iter:
            beta = new_beta
            break
        if new_lik < loglik_old:
            halving = True
            new_beta = (new_beta + beta) / 2.0
        else:
            halving = False
            loglik_old = new_lik
            beta = new_beta
            new_beta = new_beta + _solve(info, u)
    var = _inverse(info)
    step = np.abs(u @ var)
    infinite = ~np.isfinite(u) | ((step > eps) & (step > np.sqrt(eps) * np.abs(beta)))
    return CoxFit(
        coef=beta,
        var=var,
        loglik_null=loglik0,
        loglik=float(new_lik),
        score_test=score_test,
        score=u,
        iterations=iteration,
        converged=converged,
        infinite=infinite,
        linear_predictor=_linear_predictor(x, beta) - float(means @ beta),
        data=data,
    )


def _linear_predictor(x: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """``x @ beta`` column by column, so that equal rows give bit-equal values.

    (A BLAS product may round identical rows differently, which would split ties of the
    linear predictor in the concordance.)
    """
    lp = np.zeros(x.shape[0])
    for j in range(x.shape[1]):
        lp = lp + x[:, j] * beta[j]
    return lp


# =========================================================================== concordance


def _prefix_counts(flags: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``out[k]`` = the sum of ``flags[:k]`` (``out`` has one more element than ``flags``)."""
    out[0] = 0
    np.cumsum(flags, out=out[1:])
    return out


#: up to this many elements, pairs are counted directly (an n x n comparison)
_DIRECT_PAIRS = 200


def _pair_counts_direct(
    group: np.ndarray, rank: np.ndarray, left_ok: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_pair_counts` by comparing every pair (small n)."""
    n = len(rank)
    pair = np.triu(np.ones((n, n), dtype=bool), 1)
    pair &= group[:, None] == group[None, :]
    pair &= left_ok[:, None]
    diff = rank[:, None] - rank[None, :]  # left minus right
    out = []
    for m in (pair & (diff > 0), pair & (diff < 0), pair & (diff == 0)):
        out.append((m.sum(axis=1) + m.sum(axis=0)).astype(float))
    return out[0], out[1], out[2]


def _pair_counts(
    group: np.ndarray, rank: np.ndarray, left_ok: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per element, counts of (left, right) pairs it belongs to, by comparison of ranks.

    Elements are in array order and ``group`` is constant on contiguous runs; a pair is
    (i, j) with i before j in the same ``group`` and ``left_ok[i]``. For each element e
    the result counts the pairs containing e in which the left member has the larger rank
    ("concordant"), the smaller rank ("discordant") or the same rank ("tied").

    Method: a radix (most significant bit first) partition of each group by the bits of
    the ranks, which is the offline form of a binary indexed tree over the ranks (Fenwick
    1994) processed in array order. Before the pass on bit ``b`` the elements are ordered
    by (group, rank >> (b + 1), position); within each such block the elements whose bit
    is 1 have a larger rank than those whose bit is 0, so the number of earlier elements
    of smaller rank gains, for each element with bit 1, the number of earlier elements of
    its block with bit 0 (a cumulative sum). A stable partition by the bit (positions from
    the same sums) gives the order for the next bit. Each pass is O(n) vectorised, so the
    cost is O(n log m) for m distinct ranks (R's ``concordancefit`` walks a balanced tree,
    O(n log n)). After the last pass the blocks are (group, rank) in array order, which
    gives the ties.
    """
    n = len(rank)
    conc = np.zeros(n)
    disc = np.zeros(n)
    tied = np.zeros(n)
    if n < 2:
        return conc, disc, tied
    rank = np.asarray(rank, dtype=np.int64)
    if n <= _DIRECT_PAIRS:
        return _pair_counts_direct(np.asarray(group), rank, np.asarray(left_ok, dtype=bool))
    ok = np.asarray(left_ok, dtype=bool).astype(np.int64)
    pos = np.arange(n)
    change = np.empty(n, dtype=bool)
    change[0] = True
    np.not_equal(group[1:], group[:-1], out=change[1:])
    starts = np.flatnonzero(change)
    gi = np.cumsum(change) - 1
    start = starts[gi]  # first position of the element's group
    end = np.append(starts[1:], n)[gi]  # one past its last
    cz = np.empty(n + 1, dtype=np.int64)
    czo = np.empty(n + 1, dtype=np.int64)
    okc = _prefix_counts(ok, czo)
    before_ok = okc[:-1] - okc[start]  # eligible left members before the element
    # the state in the current order, (group, rank >> (b + 1), position): the element at
    # each place (perm), its block's bounds, its rank and eligibility (key = 2 rank + ok)
    # and the counts of earlier elements of smaller rank (all / eligible ones)
    perm = pos.copy()
    bstart = start.copy()
    bend = end.copy()
    key = rank * 2 + ok
    less = np.zeros(n, dtype=np.int64)
    less_ok = np.zeros(n, dtype=np.int64)
    inv = np.empty(n, dtype=np.int64)
    for shift in range(int(rank.max()).bit_length(), 0, -1):  # rank bit b = shift - 1
        one = (key >> shift) & 1
        zero = 1 - one
        _prefix_counts(zero, cz)
        _prefix_counts(zero & key, czo)
        z_start = cz[bstart]
        z_before = cz[:-1] - z_start  # earlier elements of the block with bit 0
        z_total = cz[bend] - z_start
        less += one * z_before
        less_ok += one * (czo[:-1] - czo[bstart])
        split = bstart + z_total  # the bit-1 part of the block starts here
        inv[np.where(one, pos + z_total - z_before, bstart + z_before)] = pos
        new_start = np.where(one, split, bstart)
        bend = np.where(one, bend, split)[inv]
        bstart = new_start[inv]
        perm, key, less, less_ok = perm[inv], key[inv], less[inv], less_ok[inv]
    # blocks are now (group, rank), in array order
    _prefix_counts(key & 1, czo)
    back = np.empty(n, dtype=np.int64)
    back[perm] = pos
    less, less_ok = less[back], less_ok[back]
    less_total = (bstart - start)[back]  # elements of the group with a smaller rank
    eq_before = (pos - bstart)[back]
    eq_ok = (czo[:-1] - czo[bstart])[back]
    eq_total = (bend - bstart)[back]
    # as the left member (eligible elements): the later elements of the group
    left = ok.astype(bool)
    c_left = less_total - less
    t_left = eq_total - eq_before - 1
    d_left = (end - pos - 1) - c_left - t_left
    conc += np.where(left, c_left, 0)
    tied += np.where(left, t_left, 0)
    disc += np.where(left, d_left, 0)
    # as the right member: the earlier eligible elements of the group
    disc += less_ok
    tied += eq_ok
    conc += before_ok - less_ok - eq_ok
    return conc, disc, tied


def concordance(
    time: np.ndarray, event: np.ndarray, lp: np.ndarray, strata: np.ndarray | None = None
) -> tuple[float, float, dict[str, float]]:
    """Harrell's concordance of ``lp`` with survival, and its standard error, as R's coxph.

    A pair is comparable when the shorter time is an event (a censored time equal to an
    event time counts as longer; two events at the same time are "tied.y" and left out).
    It is concordant when the member that failed first has the larger ``lp``.
    ``C = (concordant + tied.x / 2) / (concordant + discordant + tied.x)``; the standard
    error is R's infinitesimal-jackknife one (``concordancefit``, ``timewt = "n"``).
    Returns ``(C, se, counts)``.
    """
    time = np.asarray(time, dtype=float)
    event = np.asarray(event).astype(bool)
    lp = np.asarray(lp, dtype=float)
    n = len(time)
    strata = np.zeros(n, dtype=np.int64) if strata is None else np.asarray(strata)
    rank = np.unique(lp, return_inverse=True)[1].astype(np.int64)
    # order: stratum, time, events before censorings at the same time
    order = np.lexsort((~event, time, strata))
    conc, disc, tied = _pair_counts(strata[order], rank[order], event[order])
    # remove pairs of two events at the same time (tied.y), counted above as ordered pairs
    ev = np.flatnonzero(event[order])
    s_ev, t_ev = strata[order][ev], time[order][ev]
    tie_group = np.ones(len(ev), dtype=bool)
    tie_group[1:] = (s_ev[1:] != s_ev[:-1]) | (t_ev[1:] != t_ev[:-1])
    c2, d2, t2 = _pair_counts(np.cumsum(tie_group), rank[order][ev], np.ones(len(ev), bool))
    conc[ev] -= c2
    disc[ev] -= d2
    tied[ev] -= t2
    # each pair is counted once for each of its two members
    n_conc, n_disc, n_tied = conc.sum() / 2, disc.sum() / 2, tied.sum() / 2
    npair = n_conc + n_disc + n_tied
    counts = {"concordant": n_conc, "discordant": n_disc, "tied_x": n_tied}
    if npair == 0:
        return float("nan"), float("nan"), counts
    somer = (n_conc - n_disc) / npair
    dfbeta = (conc - disc) / npair - (somer / npair) * (conc + disc + tied)
    se = float(np.sqrt(np.sum(dfbeta**2) / 4.0))
    return float((somer + 1.0) / 2.0), se, counts


# =========================================================================== Kaplan-Meier


@dataclass
class KMCurve:
    """One Kaplan-Meier curve at every distinct time (events and censorings)."""

    time: np.ndarray
    n_risk: np.ndarray
    n_event: np.ndarray
    n_censor: np.ndarray
    surv: np.ndarray
    std_err: np.ndarray  # standard error of -log S (Greenwood), R's survfit$std.err
    n: int


def kaplan_meier(time: np.ndarray, event: np.ndarray) -> KMCurve:
    """Kaplan & Meier (1958) estimate with the Greenwood (1926) variance.

    ``S(t) = prod_{t_i <= t} (1 - d_i / n_i)``; the standard error of ``-log S`` is
    ``sqrt(sum d_i / (n_i (n_i - d_i)))``, infinite once every subject at risk has failed
    (as in R's ``survfit``).
    """
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=float)
    utime, inverse = np.unique(time, return_inverse=True)
    n_event = np.bincount(inverse, weights=event, minlength=len(utime))
    n_total = np.bincount(inverse, minlength=len(utime)).astype(float)
    n_censor = n_total - n_event
    n_risk = np.cumsum(n_total[::-1])[::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(1.0 - n_event / n_risk)
        term = np.where(n_event > 0, n_event / (n_risk * (n_risk - n_event)), 0.0)
    std_err = np.sqrt(np.cumsum(term))
    return KMCurve(utime, n_risk, n_event, n_censor, surv, std_err, len(time))


def km_confint(
    surv: np.ndarray, std_err: np.ndarray, conf_level: float, conf_type: str
) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise confidence limits of a survival curve, R's ``survfit_confint``.

    ``std_err`` is the standard error of ``-log S``. "log": ``S exp(-/+ z se)`` (upper
    limit capped at 1); "log-log": ``S^exp(-/+ z se / log S)`` (Kalbfleisch & Prentice);
    "plain": ``S (1 -/+ z se)`` clipped to [0, 1]. Undefined limits are NaN.
    """
    from mdsrs_core.stats.distributions import norm

    z = norm.ppf(1.0 - (1.0 - conf_level) / 2.0)
    surv = np.asarray(surv, dtype=float)
    se = np.asarray(std_err, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if conf_type == "plain":
            half = se * surv * z
            return np.maximum(surv - half, 0.0), np.minimum(surv + half, 1.0)
        if conf_type == "log":
            xx = np.where(surv == 0, np.nan, surv)
            return np.exp(np.log(xx) - z * se), np.minimum(np.exp(np.log(xx) + z * se), 1.0)
        if conf_type == "log-log":
            xx = np.where((surv == 0) | (surv == 1), np.nan, surv)
            half = z * se / np.log(xx)
            lower = np.exp(-np.exp(np.log(-np.log(xx)) - half))
            upper = np.exp(-np.exp(np.log(-np.log(xx)) + half))
            return lower, upper
    raise ValueError(f"conf_type must be 'log', 'log-log' or 'plain', not {conf_type!r}")


def first_below_half(values: np.ndarray, time: np.ndarray) -> float:
    """First time the curve is <= 0.5: R's rule for the median and its limits.

    When the curve equals 0.5 (to 1.5e-8) at that time and drops later, the median is the
    mean of that time and the time of the next drop (R's ``survmean``). NaN values are
    skipped; NaN when the curve never reaches 0.5.
    """
    tol = np.sqrt(np.finfo(float).eps)
    values = np.asarray(values, dtype=float)
    keep = ~np.isnan(values) & (values < 0.5 + tol)
    if not keep.any():
        return float("nan")
    x, y = np.asarray(time, dtype=float)[keep], values[keep]
    if abs(y[0] - 0.5) < tol:
        lower = np.flatnonzero(y < y[0])
        if len(lower):
            return float((x[0] + x[lower[0]]) / 2.0)
    return float(x[0])


# =========================================================================== log-rank


@dataclass
class LogrankFit:
    """Observed and expected (weighted) events per group, summed over strata."""

    observed: np.ndarray
    expected: np.ndarray
    var: np.ndarray  # covariance matrix of observed - expected
    n: np.ndarray  # subjects per group
    chisq: float
    df: int


def _stratum_rows(
    time: np.ndarray, event: np.ndarray, group: np.ndarray, strata: np.ndarray | None
) -> Any:
    """(time, event, group) of each stratum in turn: the arrays themselves without strata."""
    if strata is None:
        yield time, event, group
        return
    strata = np.asarray(strata)
    for s in np.unique(strata):
        sel = strata == s
        yield time[sel], event[sel], group[sel]


def logrank(
    time: np.ndarray,
    event: np.ndarray,
    group: np.ndarray,
    strata: np.ndarray | None = None,
    rho: float = 0.0,
) -> LogrankFit:
    """G-rho test of Harrington & Fleming (1982); rho = 0 is the log-rank (Mantel 1966).

    At each event time each death is weighted by ``S(t-)^rho``, the pooled Kaplan-Meier
    estimate of its stratum just before t. Observed, expected and the hypergeometric
    covariance are summed over strata (stratified test). The statistic is
    ``(O - E)' V^- (O - E)`` on the groups with expected > 0, dropping the first, with
    ``df`` = that number of groups minus one, as R's ``survdiff``.
    ``group`` holds integer codes 0..k-1.
    """
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=float)
    group = np.asarray(group, dtype=np.int64)
    k = int(group.max()) + 1
    n_group = np.bincount(group, minlength=k).astype(float)
    observed = np.zeros(k)
    expected = np.zeros(k)
    var = np.zeros((k, k))
    for t, e, g in _stratum_rows(time, event, group, strata):
        # the event times only, and per group the number at risk at each: rows still
        # under observation (time >= t), counted in each group's sorted times (memory
        # linear in the rows and event times, not times x groups over every time)
        dead = e > 0
        utime, at_time = np.unique(t[dead], return_inverse=True)
        m = len(utime)
        deaths = np.bincount(at_time * k + g[dead], weights=e[dead], minlength=m * k)
        deaths = deaths.reshape(m, k)
        del dead, at_time
        risk = np.empty((m, k))
        for j in range(k):
            times_j = np.sort(t[g == j])
            risk[:, j] = len(times_j) - np.searchsorted(times_j, utime, side="left")
        del times_j
        d = deaths.sum(axis=1)
        nr = risk.sum(axis=1)
        km_after = np.cumprod(1.0 - d / nr)
        km_before = np.concatenate([[1.0], km_after[:-1]])
        wt = km_before**rho if rho != 0 else np.ones(len(d))
        observed += (wt[:, None] * deaths).sum(axis=0)
        share = risk / nr[:, None]
        expected += (wt[:, None] * d[:, None] * share).sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            kk = np.where(nr > 1, wt**2 * d * (nr - d) / (nr - 1), 0.0)
        var += np.einsum("t,tj,jk->jk", kk, share, np.eye(k)) - np.einsum(
            "t,tj,tk->jk", kk, share, share
        )
    use = expected > 0
    df = int(use.sum()) - 1
    if use.sum() < 2:
        chisq = 0.0
    else:
        idx = np.flatnonzero(use)[1:]
        diff = (observed - expected)[idx]
        vv = var[np.ix_(idx, idx)]
        chisq = float(diff @ np.linalg.solve(vv, diff))
    return LogrankFit(observed, expected, var, n_group, chisq, df)
