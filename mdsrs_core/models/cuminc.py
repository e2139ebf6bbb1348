"""Cumulative incidence of competing risks and Gray's test, mirroring R's ``cmprsk::cuminc``.

For each cause and group, the cumulative incidence function (CIF)
``F_k(t) = sum_{s <= t} S(s-) d_k(s) / n(s)`` -- the Aalen-Johansen (1978) estimator, with
``S`` the Kaplan-Meier estimate of being free of every cause (Kalbfleisch & Prentice
1980) -- and its variance as ``cmprsk`` computes it (the delta-method estimator of
``cmprsk``'s Fortran routine ``cinc``, ported line by line, ties included). Groups are
compared per cause with Gray's (1988) K-sample test (routine ``crstm``: score vector of the
first ``ng - 1`` groups, its covariance, statistic ``s' V^-1 s`` on ``ng - 1`` degrees of
freedom; weight ``(1 - F(t-))^rho``, ``rho = 0`` by default; ``strata(x)`` terms sum the
scores and covariances over strata).

``summary(times=)`` is ``cmprsk::timepoints`` (the estimate and variance in force at each
time; missing after the last follow-up of a group) with a pointwise interval that cmprsk
does not give: the log(-log) interval of Marubini & Valsecchi (1995) and Pintilie (2006),
as ``tidycmprsk`` computes it, ``F^exp(+-z se / (F log F))``.

Status codes follow cmprsk: ``cencode`` (0) is censored, every other value a cause.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Sequence
from itertools import repeat
from typing import Any

import numpy as np
import pandas as pd

from mdsrs_core.errors import FormulaError, ModelError

__all__ = ["CumincCurve", "CumincResults", "cuminc", "cuminc_fit", "loglog_interval"]

_SURV = re.compile(r"^\s*Surv\s*\((.*)\)\s*$", re.DOTALL)
#: column used internally for the censoring indicator handed to the formula layer
_EVENT_COLUMN = "mdsrs_cr_event_"


def event_column(status: pd.Series, cencode: Any) -> np.ndarray:
    """The censoring indicator handed to the formula layer for a competing-risk status: 1
    for a failure of any cause, 0 censored (``cencode``), NaN where the status is missing;
    0/1 of one byte per row when none is (10^6 rows: 7 MB less while a model is fitted)."""
    missing = status.isna().to_numpy()
    if not missing.any():
        return (status != cencode).to_numpy(dtype=bool).astype(np.int8)
    return np.where(missing, np.nan, (status != cencode).astype(float))


@dataclasses.dataclass
class CumincCurve:
    """One CIF as cmprsk returns it: step-function corners ``time``, ``est``, ``var``."""

    group: str
    cause: Any
    time: np.ndarray
    est: np.ndarray
    var: np.ndarray

    @property
    def label(self) -> str:
        """R's name of the curve: ``"<group> <cause>"``."""
        return f"{self.group} {_text(self.cause)}"


def _text(value: Any) -> str:
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def loglog_interval(
    est: np.ndarray, var: np.ndarray, conf_level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise log(-log) interval of a cumulative incidence ``est`` with variance ``var``:
    ``est ^ exp(-+ z sqrt(var) / (est log est))`` (lower, upper); NaN where ``est`` is 0
    or 1 (the transform is not defined there)."""
    from mdsrs_core.stats.distributions import norm

    est = np.asarray(est, dtype=float)
    se = np.sqrt(np.asarray(var, dtype=float))
    z = norm.ppf((1 + conf_level) / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        k = z * se / (est * np.log(est))
        low = est ** np.exp(-k)
        high = est ** np.exp(k)
    bad = ~((est > 0) & (est < 1))
    low[bad] = np.nan
    high[bad] = np.nan
    return low, high


# --------------------------------------------------------------------------- Fortran ports


def _running_product(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``p_0 = 1``, ``p_k = p_(k-1) * num_k / den_k``: a Fortran running product, in its
    order of operations (a scalar loop; ``cumprod`` of the ratios rounds differently)."""
    out = [1.0]
    acc = 1.0
    for a, b in zip(num.tolist(), den.tolist(), strict=True):
        acc = acc * a / b
        out.append(acc)
    return np.array(out)


def _cached(cache: dict | None, key: str, compute: Callable[[], np.ndarray]) -> np.ndarray:
    """``compute()``, kept in ``cache`` (when given) under ``key``."""
    if cache is None:
        return compute()
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def _cinc(
    y: np.ndarray, ic: np.ndarray, icc: np.ndarray, cache: dict | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """cmprsk's ``cinc``: CIF corners and variances; ``y`` sorted, ``ic`` failed of any
    cause, ``icc`` failed of the cause of interest.

    The Fortran loop over distinct times, vectorised: the running products (the
    all-cause Kaplan-Meier ``fk``) are taken in a scalar loop over the event times, every
    running sum by ``cumsum`` over the terms in the Fortran's order of addition, so the
    results are those of the loop to the last bit."""
    n = len(y)
    new = np.ones(n, dtype=bool)
    new[1:] = y[1:] != y[:-1]
    first = np.flatnonzero(new)
    gid = np.cumsum(new) - 1
    ng = len(first)
    nd1_all = np.bincount(gid, weights=icc, minlength=ng)
    nd_all = np.bincount(gid, weights=ic, minlength=ng)
    ev = np.flatnonzero(nd_all > 0)  # the times with a failure of any cause
    rs = (n - first[ev]).astype(float)  # at risk just before
    nd1 = nd1_all[ev]
    nd2 = nd_all[ev] - nd1
    # the all-cause Kaplan-Meier: the same for every cause of the same rows (``cache``)
    km = _cached(cache, "km", lambda: _running_product(rs - nd1 - nd2, rs))
    fk, fkn = km[:-1], km[1:]  # just before and just after each time
    has1 = nd1 > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.cumsum(np.where(has1, fk * nd1 / rs, 0.0))  # f after each time
        # the competing-cause terms, then the cause-of-interest terms, of each time
        use2 = (nd2 > 0) & (fkn > 0)
        t5 = np.where(nd2 <= 1, 1.0, 1.0 - (nd2 - 1.0) / (rs - 1.0))
        t6 = fk * fk * t5 * nd2 / (rs * rs)
        t3 = 1.0 / fkn
        t4 = f / fkn
        a1 = np.where(use2, t4 * t4 * t6, 0.0)
        a2 = np.where(use2, t3 * t4 * t6, 0.0)
        a3 = np.where(use2, t3 * t3 * t6, 0.0)
        t5 = np.where(nd1 <= 1, 1.0, 1.0 - (nd1 - 1.0) / (rs - 1.0))
        t6 = fk * fk * t5 * nd1 / (rs * rs)
        t3 = np.where(fkn > 0, 1.0 / fkn, 0.0)
        t4 = 1.0 + t3 * f
        b1 = np.where(has1, t4 * t4 * t6, 0.0)
        b2 = np.where(has1, t3 * t4 * t6, 0.0)
        b3 = np.where(has1, t3 * t3 * t6, 0.0)
    v1 = np.cumsum(np.column_stack([a1, b1]).ravel())[1::2]
    v2 = np.cumsum(np.column_stack([a2, b2]).ravel())[1::2]
    v3 = np.cumsum(np.column_stack([a3, b3]).ravel())[1::2]
    j = np.flatnonzero(has1)
    t2 = f[j]
    vj = v1[j] + t2 * t2 * v3[j] - 2 * t2 * v2[j]
    fj_before = np.concatenate([[0.0], t2])[:-1]
    vj_before = np.concatenate([[0.0], vj])[:-1]
    tj = y[first[ev[j]]].astype(float)
    x = np.concatenate([[0.0], np.repeat(tj, 2), [float(y[-1])]])
    fo = np.concatenate([[0.0], np.column_stack([fj_before, t2]).ravel(), [0.0]])
    vo = np.concatenate([[0.0], np.column_stack([vj_before, vj]).ravel(), [0.0]])
    fo[-1] = fo[-2]
    vo[-1] = vo[-2]
    return x, fo, vo


def _running(terms: np.ndarray) -> np.ndarray:
    """Running sums ``0.0 + t_0 + t_1 + ...`` along the first axis, added one by one
    (a Fortran accumulator's values after each term, signed zeros included)."""
    out = np.cumsum(np.concatenate([np.zeros((1,) + terms.shape[1:]), terms]), axis=0)
    return out[1:]


def _crst(
    y: np.ndarray, m: np.ndarray, ig: np.ndarray, ng: int, rho: float, cache: dict | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """cmprsk's ``crst`` (one stratum): Gray's score vector (first ng-1 groups) and its
    covariance. ``y`` sorted; ``m`` 0 censored, 1 cause of interest, 2 other cause;
    ``ig`` group codes 0..ng-1.

    The Fortran loop over distinct times, vectorised over the times with a failure: the
    running products (each group's Kaplan-Meier ``skm``) in a scalar loop, every other
    accumulator by running sums of its terms in the Fortran's order of addition, so the
    results are those of the loop to the last bit."""
    n = len(y)
    ng1 = ng - 1
    new = np.ones(n, dtype=bool)
    new[1:] = y[1:] > y[:-1]
    first = np.flatnonzero(new)
    gid = np.cumsum(new) - 1
    nt = len(first)
    d1 = np.zeros((nt, ng))
    d2 = np.zeros((nt, ng))
    np.add.at(d1, (gid[m == 1], ig[m == 1]), 1.0)
    np.add.at(d2, (gid[m == 2], ig[m == 2]), 1.0)
    total = np.zeros((nt, ng))
    np.add.at(total, (gid, ig), 1.0)
    # at risk in each group at the start of each time: the group's rows not yet passed
    rs_all = np.bincount(ig, minlength=ng).astype(float) - _running(total) + total
    nd1_all, nd2_all = d1.sum(axis=1), d2.sum(axis=1)
    ev = np.flatnonzero((nd1_all > 0) | (nd2_all > 0))
    rs, d1, d2 = rs_all[ev], d1[ev], d2[ev]
    nd1, nd2 = nd1_all[ev], nd2_all[ev]
    # each array is dropped once used (at 10^6 rows each is ~8 MB); nothing else changes
    del total, rs_all, nd1_all, nd2_all
    ne = len(ev)
    live = rs > 0
    # each group's Kaplan-Meier of any failure just before (skmm) and after (skm)
    # (failures of any cause: the same for every cause of the same rows, ``cache``)
    km = _cached(
        cache,
        "skm",
        lambda: np.column_stack(
            [
                _running_product(
                    np.where(live[:, i], rs[:, i] - d1[:, i] - d2[:, i], 1.0),
                    np.where(live[:, i], rs[:, i], 1.0),
                )
                for i in range(ng)
            ]
        ),
    )
    skmm, skm = km[:-1], km[1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = _running(np.where(live, skmm * d1 / rs, 0.0))
        f1m = np.concatenate([np.zeros((1, ng)), f1[:-1]])
        tr = np.zeros(ne)
        tq = np.zeros(ne)
        for i in range(ng):
            tr = tr + np.where(live[:, i], rs[:, i] / skmm[:, i], 0.0)
            tq = tq + np.where(live[:, i], rs[:, i] * (1 - f1m[:, i]) / skmm[:, i], 0.0)
        f = _running(nd1 / tr)
        fm = np.concatenate([[0.0], f[:-1]])
        # powers by the C library's pow(), as the loop took them (numpy's array power
        # takes x**2 as x*x and x**0.5 as sqrt, which may differ in the last bit)
        fb = np.ones(ne) if rho == 0 else np.array([x**rho for x in (1 - fm).tolist()])
        # a (symmetric) and the increments of c, per time
        a = np.zeros((ne, ng, ng))
        cinc = np.zeros((ne, ng, ng))
        scale = tr * (1 - fm)
        for i in range(ng):
            t1 = rs[:, i] / skmm[:, i]
            a[:, i, i] = np.where(live[:, i], fb * t1 * (1 - t1 / tr), 0.0)
            cinc[:, i, i] = np.where(live[:, i], a[:, i, i] * nd1 / scale, 0.0)
            for j in range(i + 1, ng):
                both = live[:, i] & live[:, j]
                a[:, i, j] = np.where(both, -fb * t1 * rs[:, j] / (skmm[:, j] * tr), 0.0)
                cinc[:, i, j] = np.where(both, a[:, i, j] * nd1 / scale, 0.0)
                a[:, j, i] = a[:, i, j]
                cinc[:, j, i] = cinc[:, i, j]
        c = _running(cinc)
        del cinc
        s = np.zeros(ng1)
        for i in range(ng1):
            term = fb * (d1[:, i] - nd1 * rs[:, i] * (1 - f1m[:, i]) / (skmm[:, i] * tq))
            s[i] = _running(np.where(live[:, i], term, 0.0))[-1] if ne else 0.0
        del f1, f1m, tq
        # the terms of v3, v2 and v: per time, those of the cause (k = 0..ng-1), then
        # those of the other causes (k = 0..ng-1)
        use1 = (nd1 > 0)[:, None] & live
        t4 = np.where(skm > 0, 1 - (1 - f)[:, None] / skm, 1.0)
        t5 = np.where((nd1 > 1)[:, None], 1 - (nd1 - 1)[:, None] / (tr[:, None] * skmm - 1), 1.0)
        t3 = t5 * skmm * nd1[:, None] / (tr[:, None] * rs)
        del t5
        use2 = (nd2 > 0)[:, None] & (skm > 0) & (d2 > 0)
        u4 = (1 - f)[:, None] / skm
        u5 = np.where(d2 > 1, 1 - (d2 - 1.0) / (rs - 1.0), 1.0)
        sq = np.ones_like(skmm)
        sq[use2] = list(map(math.pow, skmm[use2].tolist(), repeat(2.0)))
        u3 = u5 * (sq * d2) / (rs * rs)
        del u5, sq
        v3_terms = np.stack(
            [np.where(use1, t4 * t4 * t3, 0.0), np.where(use2, u4 * u4 * u3, 0.0)], 1
        )
        v3 = _running(v3_terms.reshape(2 * ne, ng))[-1] if ne else np.zeros(ng)
        del v3_terms
        v2 = np.zeros((ng1, ng))
        v = np.zeros((ng1, ng1))
        t1s = a[:, :ng1, :] - t4[:, None, :] * c[:, :ng1, :]  # (time, i, k)
        u1s = u4[:, None, :] * c[:, :ng1, :]
        cf = c[-1].copy() if ne else np.zeros((ng, ng))
        del a, c
        for i in range(ng1):
            terms = np.stack(
                [
                    np.where(use1, t1s[:, i] * t4 * t3, 0.0),
                    np.where(use2, -(u1s[:, i] * u4 * u3), 0.0),
                ],
                1,
            )
            if ne:
                v2[i] = _running(terms.reshape(2 * ne, ng))[-1]
            for j in range(i + 1):
                terms = np.stack(
                    [
                        np.where(use1, t1s[:, i] * t1s[:, j] * t3, 0.0),
                        np.where(use2, u1s[:, i] * u1s[:, j] * u3, 0.0),
                    ],
                    1,
                )
                if ne:
                    v[i, j] = _running(terms.reshape(-1))[-1]
    for i in range(ng1):
        for j in range(i + 1):
            for k in range(ng):
                v[i, j] += cf[i, k] * cf[j, k] * v3[k] + cf[i, k] * v2[j, k] + cf[j, k] * v2[i, k]
    v = np.tril(v) + np.tril(v, -1).T
    return s, v


def _tpoi(x: np.ndarray, times: np.ndarray) -> np.ndarray:
    """cmprsk's ``tpoi``: index (0-based) of the corner in force at each time, -1 when the
    time is after the curve's last follow-up (or before 0)."""
    n = len(x)
    out = np.full(len(times), -1, dtype=np.int64)
    for i, t in enumerate(times):
        if t > x[-1]:
            continue
        if t == x[-1]:
            out[i] = n - 1
            continue
        k = int(np.searchsorted(x[: n - 1], t, side="right")) - 1
        if k >= 0:
            out[i] = k + 1
    return out


# --------------------------------------------------------------------------- results


class CumincResults:
    """Cumulative incidence curves by group and cause, and Gray's test per cause."""

    r_call = "cmprsk::cuminc(ftime, fstatus, group, strata, rho, cencode)"

    def __init__(
        self,
        curves: list[CumincCurve],
        tests: pd.DataFrame | None,
        groups: list[str],
        causes: list[Any],
        nobs: int,
        n_dropped: int,
        rho: float,
        formula: str | None = None,
    ) -> None:
        self.curves = curves
        self._tests = tests
        self.groups = groups
        self.causes = causes
        self.nobs = nobs
        self.n_dropped = n_dropped
        self.rho = rho
        self.formula = formula
        #: warnings about the fit (empty when there is nothing to say)
        self.warnings: list[str] = []

    def curve_of(self, group: str, cause: Any = 1) -> CumincCurve:
        """The curve of ``group`` and ``cause``."""
        for c in self.curves:
            if c.group == str(group) and _text(c.cause) == _text(cause):
                return c
        raise ModelError(
            f"No cumulative incidence curve for group {group!r}, cause {cause!r}; "
            f"curves: {', '.join(c.label for c in self.curves)}."
        )

    def tests(self) -> pd.DataFrame:
        """Gray's test per cause, as cuminc's ``$Tests``: ``cause, statistic, p_value, df``."""
        if self._tests is None:
            raise ModelError("Gray's test needs two or more groups; this fit has one.")
        return self._tests.copy()

    def test(self, cause: Any = 1) -> dict[str, float]:
        """Gray's test of ``cause``: ``{"statistic", "p_value", "df"}``."""
        tests = self.tests()
        row = tests[tests["cause"].map(_text) == _text(cause)]
        if row.empty:
            raise ModelError(
                f"No Gray's test for cause {cause!r}; causes: {', '.join(map(_text, self.causes))}."
            )
        r = row.iloc[0]
        return {
            "statistic": float(r["statistic"]),
            "p_value": float(r["p_value"]),
            "df": int(r["df"]),
        }

    def summary(self, times: Sequence[float], conf_level: float = 0.95) -> pd.DataFrame:
        """``cmprsk::timepoints(fit, times)`` as a DataFrame ``group, cause, time, estimate,
        variance, std_error, conf_low, conf_high`` (log(-log) interval, see
        :func:`loglog_interval`); NaN after a group's last follow-up, as timepoints."""
        req = np.sort(np.unique(np.asarray(list(times), dtype=float)))
        parts = []
        for c in self.curves:
            idx = _tpoi(c.time, req)
            est = np.where(idx >= 0, c.est[np.maximum(idx, 0)], np.nan)
            var = np.where(idx >= 0, c.var[np.maximum(idx, 0)], np.nan)
            low, high = loglog_interval(est, var, conf_level)
            parts.append(
                pd.DataFrame(
                    {
                        "group": c.group,
                        "cause": c.cause,
                        "time": req,
                        "estimate": est,
                        "variance": var,
                        "std_error": np.sqrt(var),
                        "conf_low": low,
                        "conf_high": high,
                    }
                )
            )
        return pd.concat(parts, ignore_index=True)

    def tidy(self, conf_level: float = 0.95, exponentiate: bool = False) -> pd.DataFrame:
        """The estimate at every time where a curve jumps (as tidycmprsk's ``tidy``):
        ``group, cause, time, estimate, std_error, conf_low, conf_high`` (log(-log)
        interval). ``exponentiate`` is accepted for the common interface and ignored."""
        parts = []
        for c in self.curves:
            jump = np.flatnonzero(np.diff(c.est) > 0) + 1
            low, high = loglog_interval(c.est[jump], c.var[jump], conf_level)
            parts.append(
                pd.DataFrame(
                    {
                        "group": c.group,
                        "cause": c.cause,
                        "time": c.time[jump],
                        "estimate": c.est[jump],
                        "std_error": np.sqrt(c.var[jump]),
                        "conf_low": low,
                        "conf_high": high,
                    }
                )
            )
        return pd.concat(parts, ignore_index=True)

    def glance(self) -> pd.DataFrame:
        """One row: ``nobs, n_dropped, groups, causes``, and per cause Gray's statistic
        and p-value (``statistic_<cause>, p_value_<cause>``) when there are groups."""
        row: dict[str, Any] = {
            "nobs": self.nobs,
            "n_dropped": self.n_dropped,
            "groups": len(self.groups),
            "causes": len(self.causes),
        }
        if self._tests is not None:
            for r in self._tests.itertuples():
                row[f"statistic_{_text(r.cause)}"] = r.statistic
                row[f"p_value_{_text(r.cause)}"] = r.p_value
        return pd.DataFrame([row])

    def curve(self) -> pd.DataFrame:
        """Every corner of every step curve, for plotting: ``group, cause, time, estimate,
        variance`` (cmprsk's ``$time``, ``$est``, ``$var``)."""
        return pd.concat(
            [
                pd.DataFrame(
                    {
                        "group": c.group,
                        "cause": c.cause,
                        "time": c.time,
                        "estimate": c.est,
                        "variance": c.var,
                    }
                )
                for c in self.curves
            ],
            ignore_index=True,
        )

    def __repr__(self) -> str:
        return (
            f"<CumincResults n={self.nobs}, groups={self.groups}, "
            f"causes={[_text(c) for c in self.causes]}>"
        )

    def __str__(self) -> str:
        lines = [f"cuminc: {self.formula or ''}  (n = {self.nobs}, {self.n_dropped} dropped)"]
        if self._tests is not None:
            lines += ["Gray's test:", self._tests.to_string(index=False)]
        return "\n".join(lines)


def _series(values: Any) -> pd.Series:
    """``values`` as a Series: numbers as they are, anything else as Python objects."""
    arr = np.asarray(values)
    return pd.Series(arr if arr.dtype.kind in "iuf" else np.asarray(values, dtype=object))


def _codes(values: np.ndarray, code: Callable[[Any], int]) -> np.ndarray:
    """``[code(v) for v in values]`` as int64, calling ``code`` once per distinct value."""
    which, distinct = pd.factorize(values)
    return np.array([code(u) for u in distinct], dtype=np.int64)[which]


def cuminc_fit(
    ftime: Any,
    fstatus: Any,
    group: Any = None,
    strata: Any = None,
    *,
    rho: float = 0.0,
    cencode: Any = 0,
    group_levels: Sequence[Any] | None = None,
    formula: str | None = None,
) -> CumincResults:
    """``cmprsk::cuminc(ftime, fstatus, group, strata, rho, cencode)`` on arrays.

    Rows with a missing value are dropped and counted (R's ``na.omit``). Groups are the
    levels of ``group`` in R's ``as.factor`` order (``group_levels`` overrides it) that
    have observations; causes the sorted distinct values of ``fstatus`` other than
    ``cencode``.
    """
    t_in = pd.to_numeric(_series(ftime), errors="coerce")
    st_in = _series(fstatus)
    n = len(t_in)
    ones = pd.Series(np.ones(n, dtype=np.int64))
    g_in = _series(group) if group is not None else ones
    sg_in = _series(strata) if strata is not None else ones
    if not (len(st_in) == len(g_in) == len(sg_in) == n):
        raise ModelError("ftime, fstatus, group and strata must have the same length.")
    keep = (t_in.notna() & st_in.notna() & g_in.notna() & sg_in.notna()).to_numpy()
    n_dropped = int((~keep).sum())
    t = t_in[keep].to_numpy(dtype=float)
    st: np.ndarray = st_in[keep].to_numpy()
    g = g_in[keep].to_numpy()
    sg = sg_in[keep].to_numpy()
    del t_in, st_in, g_in, sg_in, ones, keep  # the complete rows are copied: 10^6 rows, ~8 MB each
    if len(t) == 0:
        raise ModelError("cuminc: no complete rows.")
    order = np.argsort(t, kind="stable")
    t, st, g, sg = t[order], st[order], g[order], sg[order]
    del order
    st_num = pd.to_numeric(pd.Series(st), errors="coerce")
    if st_num.notna().all():
        st = st_num.to_numpy(dtype=float)
        if np.all(st == np.round(st)):
            st = st.astype(np.int64)
    del st_num
    g_which, g_distinct = pd.factorize(g)
    if group_levels is None:
        uniq = list(g_distinct)  # pd.unique's order
        numeric = all(isinstance(u, (int, float, np.number)) for u in uniq)
        group_levels = sorted(uniq) if numeric else sorted(uniq, key=str)
    levels = [lv for lv in group_levels if any(u == lv for u in g_distinct)]
    gcode = np.array([levels.index(u) for u in g_distinct], dtype=np.int64)[g_which]
    slevels = sorted(pd.unique(sg), key=str)
    scode = _codes(sg, lambda u: slevels.index(u))
    del g, sg, g_which  # coded as gcode and scode
    censind = _codes(st, lambda u: 0 if u == cencode else 1)
    causes = sorted(pd.unique(st[censind == 1]))
    if not causes:
        raise ModelError(
            f"cuminc: no failure of any cause (every status is the censoring code {cencode!r})."
        )
    ng = len(levels)
    curves: list[CumincCurve] = []
    rows = []
    # per group (curves) and stratum (Gray's test): what every cause shares
    cinc_cache: dict[int, dict] = {}
    crst_cache: dict[int, dict] = {}
    for cause in causes:
        causeind = _codes(st, lambda u: 1 if u == cause else 0)  # noqa: B023 - used here
        for j, lv in enumerate(levels):
            sel = gcode == j
            x, f, v = _cinc(t[sel], censind[sel], causeind[sel], cinc_cache.setdefault(j, {}))
            curves.append(CumincCurve(_text(lv), cause, x, f, v))
        if ng > 1:
            m = 2 * censind - causeind
            s_all = np.zeros(ng - 1)
            v_all = np.zeros((ng - 1, ng - 1))
            for k in range(len(slevels)):
                if len(slevels) == 1:  # every row: the arrays themselves (_crst reads them)
                    y, mk, gk = t, m, gcode
                else:
                    sel = scode == k
                    y, mk, gk = t[sel], m[sel], gcode[sel]
                s, v = _crst(y, mk, gk, ng, rho, crst_cache.setdefault(k, {}))
                del y, mk, gk
                s_all += s
                v_all += v
            stat = -1.0
            if np.linalg.matrix_rank(v_all) == ng - 1:
                stat = float(s_all @ np.linalg.solve(v_all, s_all))
            rows.append((cause, stat, ng - 1))
    tests = None
    if ng > 1:
        from mdsrs_core.stats.distributions import chi2

        tests = pd.DataFrame(
            {
                "cause": [r[0] for r in rows],
                "statistic": [r[1] for r in rows],
                "p_value": [float(chi2.sf(r[1], r[2])) if r[1] >= 0 else np.nan for r in rows],
                "df": [r[2] for r in rows],
            }
        )
    res = CumincResults(
        curves, tests, [_text(lv) for lv in levels], causes, len(t), n_dropped, rho, formula
    )
    if tests is not None and (tests["statistic"] < 0).any():
        res.warnings.append(
            "Gray's test covariance is singular for some cause; R reports "
            "the statistic as -1 (here NaN p-value)."
        )
    return res


def cuminc(formula: str, data: Any, *, rho: float = 0.0, cencode: Any = 0) -> CumincResults:
    """Cumulative incidence curves and Gray's test from a formula, as ``cmprsk::cuminc``.

    ``formula`` is ``"Surv(ftime, fstatus) ~ group"`` (``~ 1`` for one group;
    ``+ strata(x)`` for a stratified Gray's test), with ``fstatus`` coded as in cmprsk:
    ``cencode`` (0) censored, any other value a cause (e.g. 1 = AML, 2 = death without
    AML). ``data`` is a DataFrame or a Cohort; incomplete rows are dropped and counted.
    """
    from mdsrs_core.formula import evaluate
    from mdsrs_core.models._survival_groups import survival_groups

    time_code, status_code, rhs = _parse(formula)
    frame = data_frame(data)
    status = evaluate(status_code, frame, formula)
    work = frame.copy(deep=False)  # one new column; assign() would copy every column
    work[_EVENT_COLUMN] = event_column(status, cencode)
    mf, groups, strata = survival_groups(f"Surv({time_code}, {_EVENT_COLUMN}) ~ {rhs}", work)
    if status_code.strip() in frame.columns and mf._positions is not None:
        st = mf.rows_of(status.to_numpy())  # the status column, rows used
    else:
        st = evaluate(status_code, mf.data, formula).to_numpy()
    group = None
    levels: list[str] | None = None
    if groups.k:
        # R's cuminc names the groups by their values; strip formula_groups' "var=" prefix
        levels = [
            lbl.split("=", 1)[1] if "=" in lbl and "," not in lbl else lbl for lbl in groups.labels
        ]
        group = np.array(levels, dtype=object)[groups.codes]
    sgroup = np.array(strata.labels, dtype=object)[strata.codes] if strata.k else None
    ftime, n_dropped = mf.time, mf.n_dropped
    # the model frame, the groups and the working copy go before the fit (10^6 rows: ~50 MB)
    del mf, groups, strata, work, status
    res = cuminc_fit(
        ftime, st, group, sgroup, rho=rho, cencode=cencode, group_levels=levels, formula=formula
    )
    res.n_dropped = n_dropped
    return res


def data_frame(data: Any) -> pd.DataFrame:
    """The DataFrame of ``data`` (a DataFrame, or a Cohort whose ``arm`` already has its
    reference level first)."""
    frame = data if isinstance(data, pd.DataFrame) else getattr(data, "data", None)
    if not isinstance(frame, pd.DataFrame):
        raise FormulaError(
            f"data must be a pandas DataFrame or a Cohort, not {type(data).__name__}."
        )
    return frame


def _parse(formula: str) -> tuple[str, str, str]:
    """(time expression, status expression, right-hand side) of ``Surv(t, s) ~ rhs``."""
    from mdsrs_core.formula import split_formula, split_top_level

    lhs, rhs = split_formula(formula)
    match = _SURV.match(lhs or "")
    args = [a.strip() for a in split_top_level(match.group(1), ",")] if match else []
    if len(args) != 2 or not all(args):
        raise FormulaError(
            f"The formula {formula!r} needs 'Surv(time, status) ~ terms' with status coded "
            "as in cmprsk (0 censored, 1, 2, ... the causes), e.g. "
            "'Surv(aml_months, aml_status) ~ arm'."
        )
    return args[0], args[1], rhs
