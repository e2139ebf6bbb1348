"""Two-sample and paired location tests: Wilcoxon rank tests and t-tests, equal to R.

* :func:`wilcox_test` — R's ``wilcox.test(x, y)`` (Wilcoxon rank-sum / Mann-Whitney).
* :func:`signed_rank_test` — R's ``wilcox.test(x, y, paired = TRUE)``.
* :func:`t_test` — R's ``t.test(x, y)`` (Welch by default), ``var.equal`` and ``paired``.

Missing values (NaN/None) are dropped as R drops them (``y[!is.na(y)]``; complete pairs
for paired tests); the number dropped is stated in ``note``. Exact null distributions are
computed with integer arithmetic (generating polynomials), so exact p-values are exact.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np

from mdsrs_core._lazy import lazy_module
from mdsrs_core.stats.result import TestResult

sps = lazy_module("mdsrs_core.stats.distributions")

__all__ = ["wilcox_test", "signed_rank_test", "t_test"]


def _as_float(x: Any) -> np.ndarray:
    return np.asarray(np.ravel(np.asarray(x, dtype=float)), dtype=float)


def _drop_nan(x: Any) -> tuple[np.ndarray, int]:
    arr = _as_float(x)
    keep = ~np.isnan(arr)
    return arr[keep], int(arr.size - keep.sum())


def _complete_pairs(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray, int]:
    xa, ya = _as_float(x), _as_float(y)
    if xa.size != ya.size:
        raise ValueError(f"paired test: x and y must have the same length ({xa.size} != {ya.size})")
    keep = ~(np.isnan(xa) | np.isnan(ya))
    return xa[keep], ya[keep], int(xa.size - keep.sum())


def _dropped_note(dropped: int, what: str = "missing values") -> str | None:
    return f"{dropped} {what} dropped" if dropped else None


def _join(*notes: str | None) -> str | None:
    kept = [n for n in notes if n]
    return "; ".join(kept) if kept else None


@lru_cache(maxsize=256)
def _rank_sum_counts(m: int, n: int) -> tuple[int, ...]:
    """Number of arrangements giving each value 0..m*n of the Mann-Whitney statistic.

    The coefficients of the Gaussian binomial [m + n choose m]_q, built as
    prod_{i=1..m} (1 - q^(n+i)) / (1 - q^i) with exact integers.
    """
    size = m * n + 1
    poly = [0] * size
    poly[0] = 1
    for i in range(1, m + 1):
        shift = n + i
        for k in range(size - 1, shift - 1, -1):  # multiply by (1 - q^shift)
            poly[k] -= poly[k - shift]
        for k in range(i, size):  # divide by (1 - q^i)
            poly[k] += poly[k - i]
    return tuple(poly)


@lru_cache(maxsize=256)
def _signed_rank_counts(n: int) -> tuple[int, ...]:
    """Number of sign patterns giving each value 0..n(n+1)/2 of the signed-rank statistic.

    The coefficients of prod_{i=1..n} (1 + q^i), exact integers.
    """
    size = n * (n + 1) // 2 + 1
    poly = [0] * size
    poly[0] = 1
    top = 0
    for i in range(1, n + 1):
        top += i
        for k in range(top, i - 1, -1):
            poly[k] += poly[k - i]
    return tuple(poly)


def _cdf_from_counts(counts: tuple[int, ...], q: float, upper: bool) -> float:
    """P(S <= q) (or P(S > q) when ``upper``) for an integer-valued S with these counts."""
    total = sum(counts)
    k = math.floor(q + 1e-7)  # R's pwilcox/psignrank: floor(q + 1e-7)
    if upper:
        tail = sum(counts[max(k + 1, 0) :]) if k + 1 < len(counts) else 0
    else:
        tail = sum(counts[: k + 1]) if k >= 0 else 0
    return tail / total


def wilcox_test(x: Any, y: Any, *, correct: bool = True, exact: bool | None = None) -> TestResult:
    """Wilcoxon rank-sum (Mann-Whitney) test of x versus y, two-sided, as R computes it.

    Method: pool and rank the values (average ranks for ties); the statistic is
    W = (sum of the ranks of x) - n_x (n_x + 1) / 2, the Mann-Whitney U of x. When
    ``exact`` is None it is exact if both n_x < 50 and n_y < 50; an exact test is done
    only without ties: p = min(1, 2 P(W' <= W)) for W <= n_x n_y / 2, else
    min(1, 2 P(W' >= W)), from the exact null distribution. Otherwise the normal
    approximation with mean n_x n_y / 2, tie-corrected variance
    n_x n_y / 12 * ((N + 1) - sum(t^3 - t) / (N (N - 1))) and (``correct``) the continuity
    correction 0.5 toward the mean. NaN values are dropped from each sample.
    Mirrors: ``stats::wilcox.test(x, y)`` (R 4.2 defaults), including its method strings
    "Wilcoxon rank sum exact test" / "Wilcoxon rank sum test with continuity correction".
    References: Wilcoxon F (1945). Individual comparisons by ranking methods. Biometrics
    Bulletin 1:80-83. Mann HB, Whitney DR (1947). On a test of whether one of two random
    variables is stochastically larger than the other. Ann Math Stat 18:50-60.
    """
    xs, dropped_x = _drop_nan(x)
    ys, dropped_y = _drop_nan(y)
    if xs.size < 1:
        raise ValueError("not enough (non-missing) 'x' observations")
    if ys.size < 1:
        raise ValueError("not enough 'y' observations")
    n_x, n_y = xs.size, ys.size
    ranks = sps.rankdata(np.concatenate((xs, ys)))
    statistic = float(ranks[:n_x].sum() - n_x * (n_x + 1) / 2)
    _, tie_counts = np.unique(ranks, return_counts=True)
    ties = bool(np.any(tie_counts > 1))
    use_exact = (n_x < 50 and n_y < 50) if exact is None else exact
    note = _dropped_note(dropped_x + dropped_y)
    if use_exact and not ties:
        counts = _rank_sum_counts(int(n_x), int(n_y))
        if statistic > n_x * n_y / 2:
            p = _cdf_from_counts(counts, statistic - 1, upper=True)
        else:
            p = _cdf_from_counts(counts, statistic, upper=False)
        return TestResult(
            "Wilcoxon rank sum exact test", statistic, None, min(2 * p, 1.0), note=note
        )
    z = statistic - n_x * n_y / 2
    n = n_x + n_y
    t = tie_counts.astype(float)
    sigma = math.sqrt((n_x * n_y / 12) * ((n + 1) - float(np.sum(t**3 - t)) / (n * (n - 1))))
    method = "Wilcoxon rank sum test"
    correction = 0.0
    if correct:
        correction = math.copysign(0.5, z) if z != 0 else 0.0
        method += " with continuity correction"
    zc = (z - correction) / sigma if sigma > 0 else math.nan
    p = 2 * min(sps.norm.cdf(zc), sps.norm.sf(zc)) if sigma > 0 else math.nan
    why = "ties: normal approximation" if use_exact and ties else None
    return TestResult(method, statistic, None, float(p), note=_join(note, why))


def signed_rank_test(
    x: Any, y: Any, *, correct: bool = True, exact: bool | None = None
) -> TestResult:
    """Wilcoxon signed-rank test of paired x and y (differences x - y), two-sided, as R.

    Method: d = x - y over complete pairs; zero differences are dropped (as R does); rank
    |d| (average ranks for ties); V = sum of the ranks of the positive d. With ``exact``
    None the test is exact when n < 50 (n after dropping zeros) and there are neither ties
    nor zeros: p = min(1, 2 P(V' <= V)) for V <= n (n + 1) / 4, else min(1, 2 P(V' >= V)).
    Otherwise the normal approximation with mean n (n + 1) / 4, variance
    n (n + 1)(2n + 1) / 24 - sum(t^3 - t) / 48 and (``correct``) continuity correction 0.5.
    If every difference is zero the p-value is NaN, as in R.
    Mirrors: ``stats::wilcox.test(x, y, paired = TRUE)`` (R 4.2 defaults), method strings
    "Wilcoxon signed rank exact test" / "... test with continuity correction".
    Reference: Wilcoxon F (1945). Individual comparisons by ranking methods. Biometrics
    Bulletin 1:80-83.
    """
    xs, ys, dropped = _complete_pairs(x, y)
    if xs.size < 1:
        raise ValueError("not enough (non-missing) paired observations")
    d = xs - ys
    zeros = bool(np.any(d == 0))
    n_zero = int(np.sum(d == 0))
    d = d[d != 0]
    n = d.size
    use_exact = (n < 50) if exact is None else exact
    ranks = sps.rankdata(np.abs(d)) if n else np.array([], dtype=float)
    statistic = float(ranks[d > 0].sum())
    _, tie_counts = np.unique(ranks, return_counts=True)
    ties = bool(np.any(tie_counts > 1))
    note = _join(
        _dropped_note(dropped, "incomplete pairs"), _dropped_note(n_zero, "zero differences")
    )
    if use_exact and not ties and not zeros:
        counts = _signed_rank_counts(n)
        if statistic > n * (n + 1) / 4:
            p = _cdf_from_counts(counts, statistic - 1, upper=True)
        else:
            p = _cdf_from_counts(counts, statistic, upper=False)
        return TestResult(
            "Wilcoxon signed rank exact test", statistic, None, min(2 * p, 1.0), note=note
        )
    z = statistic - n * (n + 1) / 4
    t = tie_counts.astype(float)
    var = n * (n + 1) * (2 * n + 1) / 24 - float(np.sum(t**3 - t)) / 48
    sigma = math.sqrt(var) if var > 0 else 0.0
    method = "Wilcoxon signed rank test"
    correction = 0.0
    if correct:
        correction = math.copysign(0.5, z) if z != 0 else 0.0
        method += " with continuity correction"
    if sigma > 0:
        zc = (z - correction) / sigma
        p = float(2 * min(sps.norm.cdf(zc), sps.norm.sf(zc)))
    else:
        p = math.nan
    why = None
    if use_exact and (ties or zeros):
        why = "ties or zero differences: normal approximation"
    return TestResult(method, statistic, None, p, note=_join(note, why))


def t_test(
    x: Any,
    y: Any,
    *,
    paired: bool = False,
    var_equal: bool = False,
    conf_level: float = 0.95,
) -> TestResult:
    """Two-sample or paired t-test of mean(x) - mean(y), two-sided, with its CI, as R.

    Method: Welch's test by default: t = (mean x - mean y) / sqrt(s_x^2/n_x + s_y^2/n_y)
    with Welch-Satterthwaite df; ``var_equal=True`` pools the variances (df = n_x + n_y
    - 2); ``paired=True`` is the one-sample test of the differences over complete pairs
    (df = n - 1). The CI is estimate +/- qt(1 - alpha/2, df) * SE. ``estimate`` is the
    difference of means (R reports the two means for unpaired data; their difference is
    the quantity the interval is for). NaN values are dropped as R drops them.
    Raises ``ValueError`` when R stops: too few observations or essentially constant data.
    Mirrors: ``stats::t.test(x, y, paired = , var.equal = , conf.level = )``; method
    strings "Welch Two Sample t-test", " Two Sample t-test" (sic, R's leading space) and
    "Paired t-test".
    References: Student (1908). The probable error of a mean. Biometrika 6:1-25.
    Welch BL (1947). The generalization of "Student's" problem when several different
    population variances are involved. Biometrika 34:28-35.
    """
    if not 0 < conf_level < 1:
        raise ValueError("conf_level must lie strictly between 0 and 1")
    eps = np.finfo(float).eps
    if paired:
        xs, ys, dropped = _complete_pairs(x, y)
        d = xs - ys
        n = d.size
        if n < 2:
            raise ValueError("not enough 'x' observations")
        mean = float(np.mean(d))
        stderr = math.sqrt(float(np.var(d, ddof=1)) / n)
        if stderr < 10 * eps * abs(mean):
            raise ValueError("data are essentially constant")
        df = float(n - 1)
        method = "Paired t-test"
        note = _dropped_note(dropped, "incomplete pairs")
    else:
        xs, dropped_x = _drop_nan(x)
        ys, dropped_y = _drop_nan(y)
        nx, ny = xs.size, ys.size
        if nx < 1 or (not var_equal and nx < 2):
            raise ValueError("not enough 'x' observations")
        if ny < 1 or (not var_equal and ny < 2):
            raise ValueError("not enough 'y' observations")
        if var_equal and nx + ny < 3:
            raise ValueError("not enough observations")
        mx, my = float(np.mean(xs)), float(np.mean(ys))
        vx = float(np.var(xs, ddof=1)) if nx > 1 else 0.0
        vy = float(np.var(ys, ddof=1)) if ny > 1 else 0.0
        if var_equal:
            df = float(nx + ny - 2)
            pooled = ((nx - 1) * vx + (ny - 1) * vy) / df
            stderr = math.sqrt(pooled * (1 / nx + 1 / ny))
            method = " Two Sample t-test"
        else:
            se_x, se_y = math.sqrt(vx / nx), math.sqrt(vy / ny)
            stderr = math.sqrt(se_x**2 + se_y**2)
            method = "Welch Two Sample t-test"
        if stderr < 10 * eps * max(abs(mx), abs(my)):
            raise ValueError("data are essentially constant")
        if not var_equal:
            df = stderr**4 / (se_x**4 / (nx - 1) + se_y**4 / (ny - 1))
        mean = mx - my
        note = _dropped_note(dropped_x + dropped_y)
    tstat = mean / stderr
    p = float(2 * sps.t.cdf(-abs(tstat), df))
    half = float(sps.t.ppf(1 - (1 - conf_level) / 2, df))
    return TestResult(
        method,
        tstat,
        df,
        p,
        estimate=mean,
        conf_low=(tstat - half) * stderr,
        conf_high=(tstat + half) * stderr,
        note=note,
    )
