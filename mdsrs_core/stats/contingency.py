"""Tests of independence in contingency tables (arm x category), equal to R.

* :func:`chisq_test` — R's ``chisq.test(table, correct = FALSE)`` (Pearson), or with
  ``correct=True`` Yates' correction for 2 x 2 tables as R applies it.
* :func:`fisher_test` — R's ``fisher.test(table)``: for 2 x 2 the p-value, the
  conditional maximum-likelihood odds ratio and its exact conditional interval; for
  r x c the exact p-value by enumerating every table with the observed margins.
* :func:`fisher_test_simulated` — R's ``fisher.test(table, simulate.p.value = TRUE)``.
* :func:`choose_test` — gtsummary's ``add_p()`` default for a categorical variable:
  chi-squared without correction, Fisher's exact test when any expected count is < 5 (its
  Monte Carlo p-value when the exact one cannot be computed).

Tables are integer counts (rows = arms, columns = categories or the reverse; both tests
are symmetric). Negative, non-integer or missing counts raise ``ValueError``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from mdsrs_core._lazy import lazy_module
from mdsrs_core.stats.result import ChisqResult, TestResult

special = lazy_module("scipy.special")
sps = lazy_module("mdsrs_core.stats.distributions")

__all__ = [
    "chisq_test",
    "fisher_test",
    "fisher_test_simulated",
    "choose_test",
    "expected_counts",
    "ChosenTest",
]

FISHER_METHOD = "Fisher's Exact Test for Count Data"
# R's FEXACT (fexact.c) counts a table as "as or more extreme" when its log-probability is
# at most the observed one plus TOL = 3.45254e-7 ("the square root of the smallest
# relative spacing"); R's 2 x 2 code instead uses a relative tolerance of 1e-7.
FEXACT_LOG_TOL = 3.45254e-7
FISHER_2X2_REL_ERR = 1 + 1e-7
MAX_ENUMERATED = 1_000_000  # partial tables held at once by the r x c enumeration (~1 s)


def _as_table(table: Any) -> np.ndarray:
    arr = np.asarray(table, dtype=float)
    if arr.ndim != 2:
        raise ValueError(f"a contingency table must be two-dimensional, got shape {arr.shape}")
    if np.any(np.isnan(arr)) or np.any(arr < 0) or np.any(arr != np.round(arr)):
        raise ValueError("all entries of the table must be non-negative whole numbers")
    return arr.astype(np.int64)


def _drop_empty(tab: np.ndarray) -> tuple[np.ndarray, str | None]:
    """Drop rows/columns whose total is zero (R does so when given two factors)."""
    rows, cols = tab.sum(axis=1) > 0, tab.sum(axis=0) > 0
    dropped = int((~rows).sum() + (~cols).sum())
    kept = tab[rows][:, cols]
    if kept.shape[0] < 2 or kept.shape[1] < 2:
        raise ValueError(
            "the table needs at least 2 rows and 2 columns with a non-zero total, "
            f"got {kept.shape[0]} x {kept.shape[1]}"
        )
    note = f"{dropped} empty row(s)/column(s) dropped" if dropped else None
    return kept, note


def expected_counts(table: Any) -> np.ndarray:
    """Expected counts under independence, r_i * c_j / N (R's ``chisq.test()$expected``)."""
    tab = _as_table(table)
    n = tab.sum()
    if n == 0:
        raise ValueError("at least one entry of the table must be positive")
    return np.outer(tab.sum(axis=1), tab.sum(axis=0)) / n


def chisq_test(table: Any, correct: bool = False) -> ChisqResult:
    """Pearson's chi-squared test of independence, as R's ``chisq.test(table, correct=)``.

    Method: X^2 = sum((|O - E| - Y)^2 / E) with E = r_i c_j / N and (r - 1)(c - 1) degrees
    of freedom, p from the chi-squared distribution. Y = 0 unless ``correct`` and the
    table is 2 x 2; then Y = min(0.5, min |O - E|) as R applies Yates' correction (so the
    correction never overshoots), and the method says so when Y > 0.
    Rows/columns with a zero total are dropped first (R gives NaN for them in a matrix,
    and drops them when given two factors, as gtsummary does); ``note`` says so.
    Returns a :class:`ChisqResult` with ``expected`` (the expected counts).
    Mirrors: ``stats::chisq.test(x, correct = FALSE)`` (default here) / ``correct = TRUE``.
    References: Pearson K (1900). Philosophical Magazine 50:157-175. Yates F (1934).
    Contingency tables involving small numbers and the chi-squared test. Suppl J R Stat
    Soc 1:217-235.
    """
    tab, note = _drop_empty(_as_table(table))
    expected = np.outer(tab.sum(axis=1), tab.sum(axis=0)) / tab.sum()
    method = "Pearson's Chi-squared test"
    yates = 0.0
    if correct and tab.shape == (2, 2):
        yates = min(0.5, float(np.min(np.abs(tab - expected))))
        if yates > 0:
            method += " with Yates' continuity correction"
    statistic = float(np.sum((np.abs(tab - expected) - yates) ** 2 / expected))
    df = float((tab.shape[0] - 1) * (tab.shape[1] - 1))
    p = float(sps.chi2.sf(statistic, df))
    if np.any(expected < 5):
        note = "; ".join(
            filter(
                None,
                [note, "Chi-squared approximation may be incorrect (an expected count is below 5)"],
            )
        )
    return ChisqResult(
        method,
        statistic,
        df,
        p,
        note=note,
        expected=tuple(tuple(float(v) for v in row) for row in expected),
    )


def _uniroot(
    f: Callable[[float], float],
    lower: float,
    upper: float,
    tol: float = np.finfo(float).eps ** 0.25,
    maxiter: int = 1000,
) -> float:
    """Root of ``f`` in [lower, upper] exactly as R's ``uniroot()`` finds it.

    R's ``fisher.test`` obtains its odds-ratio estimate and limits with ``uniroot()`` at
    the default tolerance (about 1.2e-4), so its numbers are only that close to the true
    roots; matching R to 1e-6 needs the same iterates. This is Brent's (1973) algorithm
    step for step as R's ``R_zeroin2`` runs it, with the same stopping rule.
    Reference: Brent RP (1973). Algorithms for Minimization without Derivatives, ch. 4.
    """
    eps = float(np.finfo(float).eps)
    fa, fb = f(lower), f(upper)
    if fa * fb > 0:
        raise ValueError("f() values at end points not of opposite sign")
    a, b = lower, upper
    c, fc = a, fa
    if fa == 0.0:
        return a
    if fb == 0.0:
        return b
    for _ in range(maxiter + 1):
        prev_step = b - a
        if abs(fc) < abs(fb):  # make b the best approximation so far
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol_act = 2 * eps * abs(b) + tol / 2
        new_step = (c - b) / 2
        if abs(new_step) <= tol_act or fb == 0.0:
            return b
        if abs(prev_step) >= tol_act and abs(fa) > abs(fb):
            cb = c - b
            if a == c:  # two distinct points: secant step
                t1 = fb / fa
                p = cb * t1
                q = 1.0 - t1
            else:  # inverse quadratic interpolation
                q = fa / fc
                t1 = fb / fc
                t2 = fb / fa
                p = t2 * (cb * q * (q - t1) - (b - a) * (t1 - 1.0))
                q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0)
            if p > 0:
                q = -q
            else:
                p = -p
            if p < (0.75 * cb * q - abs(tol_act * q) / 2) and p < abs(prev_step * q / 2):
                new_step = p / q
        if abs(new_step) < tol_act:
            new_step = tol_act if new_step > 0 else -tol_act
        a, fa = b, fb
        b += new_step
        fb = f(b)
        if (fb > 0 and fc > 0) or (fb < 0 and fc < 0):
            c, fc = a, fa
    return b  # not converged: R warns and returns the last iterate


class _NoncentralHypergeometric:
    """Fisher's noncentral hypergeometric distribution of cell [1, 1] given the margins."""

    def __init__(self, tab: np.ndarray):
        self.m = int(tab[:, 0].sum())  # first column total
        self.n = int(tab[:, 1].sum())  # second column total
        self.k = int(tab[0, :].sum())  # first row total
        self.x = int(tab[0, 0])
        self.lo = max(0, self.k - self.n)
        self.hi = min(self.k, self.m)
        self.support = np.arange(self.lo, self.hi + 1, dtype=float)
        self.logdc = sps.hypergeom.logpmf(self.support, self.m + self.n, self.m, self.k)

    def density(self, ncp: float) -> np.ndarray:
        d = self.logdc + math.log(ncp) * self.support
        d = np.exp(d - d.max())
        return d / d.sum()

    def mean(self, ncp: float) -> float:
        if ncp == 0:
            return float(self.lo)
        if ncp == math.inf:
            return float(self.hi)
        return float(np.sum(self.support * self.density(ncp)))

    def cdf(self, q: int, ncp: float, upper_tail: bool = False) -> float:
        """P(X <= q), or P(X >= q) with ``upper_tail``, at odds ratio ``ncp``."""
        if ncp == 1:
            total = self.m + self.n
            if upper_tail:
                return float(sps.hypergeom.sf(self.x - 1, total, self.m, self.k))
            return float(sps.hypergeom.cdf(self.x, total, self.m, self.k))
        if ncp == 0:
            return float(q <= self.lo) if upper_tail else float(q >= self.lo)
        if ncp == math.inf:
            return float(q <= self.hi) if upper_tail else float(q >= self.hi)
        d = self.density(ncp)
        return float(d[self.support >= q].sum() if upper_tail else d[self.support <= q].sum())


def _fisher_2x2(tab: np.ndarray, conf_level: float) -> TestResult:
    dist = _NoncentralHypergeometric(tab)
    x, lo, hi = dist.x, dist.lo, dist.hi
    d = dist.density(1.0)
    p_value = float(d[d <= d[x - lo] * FISHER_2X2_REL_ERR].sum())
    tiny = float(np.finfo(float).eps)

    def mle() -> float:
        if x == lo:
            return 0.0
        if x == hi:
            return math.inf
        mu = dist.mean(1.0)
        if mu > x:
            return _uniroot(lambda t: dist.mean(t) - x, 0.0, 1.0)
        if mu < x:
            return 1 / _uniroot(lambda t: dist.mean(1 / t) - x, tiny, 1.0)
        return 1.0

    def upper_limit(alpha: float) -> float:
        if x == hi:
            return math.inf
        p = dist.cdf(x, 1.0)
        if p < alpha:
            return _uniroot(lambda t: dist.cdf(x, t) - alpha, 0.0, 1.0)
        if p > alpha:
            return 1 / _uniroot(lambda t: dist.cdf(x, 1 / t) - alpha, tiny, 1.0)
        return 1.0

    def lower_limit(alpha: float) -> float:
        if x == lo:
            return 0.0
        p = dist.cdf(x, 1.0, upper_tail=True)
        if p > alpha:
            return _uniroot(lambda t: dist.cdf(x, t, upper_tail=True) - alpha, 0.0, 1.0)
        if p < alpha:
            return 1 / _uniroot(lambda t: dist.cdf(x, 1 / t, upper_tail=True) - alpha, tiny, 1.0)
        return 1.0

    alpha = (1 - conf_level) / 2
    return TestResult(
        FISHER_METHOD,
        None,
        None,
        p_value,
        estimate=mle(),
        conf_low=lower_limit(alpha),
        conf_high=upper_limit(alpha),
    )


def _compositions(total: int, parts: int) -> np.ndarray:
    """Every way of writing ``total`` as an ordered sum of ``parts`` non-negative integers."""
    if parts == 1:
        return np.array([[total]], dtype=np.int64)
    slots = total + parts - 1  # stars and bars: choose where the parts - 1 bars go
    out = []
    for bars in itertools.combinations(range(slots), parts - 1):
        edges = (-1, *bars, slots)
        out.append([edges[i + 1] - edges[i] - 1 for i in range(parts)])
    return np.array(out, dtype=np.int64)


def _split_cost(totals: np.ndarray, parts: int, log_fact: np.ndarray) -> np.ndarray:
    """Smallest sum of log x! over ways to split each total into ``parts`` counts (even split)."""
    q, r = np.divmod(totals, parts)
    return (parts - r) * log_fact[q] + r * log_fact[q + 1]


def _merge(
    remaining: np.ndarray, partial: np.ndarray, count: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merge partial tables with the same remaining row totals and the same cost.

    Costs are compared rounded to 1e-9 (they are sums of log-factorials; tables that are
    permutations of each other differ only by rounding), as FEXACT merges equal "past
    path lengths" of a node.
    """
    if remaining.shape[0] < 2:
        return remaining, partial, count
    keys = np.column_stack((remaining.astype(float), np.round(partial, 9)))
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    return remaining[first], partial[first], np.bincount(inverse, weights=count)


def _fisher_rxc_pvalue(tab: np.ndarray) -> float:
    """Exact p-value: the total probability of the tables, with the observed margins, whose
    probability is at most the observed one (FEXACT's log-scale tolerance).

    log P(table) = C - sum log x_ij!, so "at most as probable" is a path cost
    sum log x_ij! >= observed - tol. Tables are built column by column (each column split
    among the rows); a partial table whose every completion is extreme is counted at once
    (the completions' total weight is N'! / (prod r'_i! prod c'_j!)), one none of whose
    completions can be extreme is dropped, using bounds on the remaining cost.
    """
    if tab.shape[0] > tab.shape[1]:
        tab = tab.T  # fewer rows: fewer ways to split each column
    n_rows = tab.shape[0]
    row_tot, col_tot, n = tab.sum(axis=1), tab.sum(axis=0), int(tab.sum())
    col_tot = np.sort(col_tot)[::-1]  # big columns first: their splits decide most
    log_fact = special.gammaln(np.arange(n + 2) + 1.0)
    constant = float(log_fact[row_tot].sum() + log_fact[col_tot].sum() - log_fact[n])
    threshold = float(log_fact[tab].sum()) - FEXACT_LOG_TOL
    remaining = row_tot[np.newaxis, :].copy()  # one row per (merged) partial table
    partial = np.zeros(1)
    count = np.ones(1)  # how many partial tables share this row of remaining/partial
    p_value = 0.0
    n_cols = col_tot.size
    for j in range(n_cols - 1):
        splits = _compositions(int(col_tot[j]), n_rows)
        if remaining.shape[0] * splits.shape[0] > MAX_ENUMERATED:
            raise ValueError(
                f"table {tab.shape[0]} x {tab.shape[1]} with N = {n} is too large for exact "
                "enumeration"
            )
        left = remaining[:, np.newaxis, :] - splits[np.newaxis, :, :]
        ok = np.all(left >= 0, axis=2)
        cost = partial[:, np.newaxis] + log_fact[splits].sum(axis=1)[np.newaxis, :]
        mult = np.broadcast_to(count[:, np.newaxis], ok.shape)
        remaining, partial, count = left[ok], cost[ok], mult[ok]
        remaining, partial, count = _merge(remaining, partial, count)
        later = col_tot[j + 1 :]
        k_left = later.size
        low = np.maximum(
            _split_cost(later, n_rows, log_fact).sum(),
            _split_cost(remaining, k_left, log_fact).sum(axis=1),
        )
        high = np.minimum(log_fact[later].sum(), log_fact[remaining].sum(axis=1))
        done = partial + low >= threshold  # every completion is extreme
        if np.any(done):
            n_left = int(later.sum())
            weight = (
                log_fact[n_left] - log_fact[remaining[done]].sum(axis=1) - log_fact[later].sum()
            )
            p_value += float((count[done] * np.exp(constant - partial[done] + weight)).sum())
        keep = ~done & (partial + high >= threshold)  # some completion may be extreme
        remaining, partial, count = remaining[keep], partial[keep], count[keep]
    if remaining.shape[0]:
        partial = partial + log_fact[remaining].sum(axis=1)  # the last column is what is left
        extreme = partial >= threshold
        p_value += float((count[extreme] * np.exp(constant - partial[extreme])).sum())
    return max(0.0, min(1.0, p_value))


def fisher_test(table: Any, conf_level: float = 0.95) -> TestResult:
    """Fisher's exact test of independence, two-sided, as R's ``fisher.test(table)``.

    2 x 2 (Fisher's exact conditional test): with the margins fixed, cell [1, 1] follows
    the (noncentral) hypergeometric distribution. The p-value sums the null probabilities
    of every table no more probable than the observed one (relative tolerance 1e-7, as
    R). ``estimate`` is the conditional maximum-likelihood odds ratio (not ad/bc) and
    ``conf_low``/``conf_high`` its exact conditional interval (each tail at
    (1 - conf_level)/2); both are found with R's ``uniroot`` algorithm and tolerance, so
    they equal R's to machine precision, not only to uniroot's 1e-4. Degenerate tables
    follow R: estimate 0 (cell at its minimum) or Inf (at its maximum), p = 1 when a
    margin is zero. Zero-total rows/columns are kept for 2 x 2 tables (R's matrix path).

    r x c: the exact p-value, the total probability of every table with the observed
    margins whose log-probability is <= the observed + 3.45254e-7 (FEXACT's tolerance in
    R). Tables are enumerated column by column (multivariate hypergeometric weights),
    merging equal partial tables and settling whole subtrees by bounds, so a 2 x 6 table
    of 62 patients takes milliseconds; a table too large raises ``ValueError``.
    Rows/columns with a zero total are dropped first (they do not change the p-value).
    No estimate, as in R.
    Mirrors: ``stats::fisher.test(x)``; method "Fisher's Exact Test for Count Data".
    References: Fisher RA (1935). The logic of inductive inference. J R Stat Soc 98:39-82.
    Mehta CR, Patel NR (1986). FEXACT. ACM Trans Math Softw 12:154-161 (R's r x c
    algorithm; enumeration here gives the same sum).
    """
    if not 0 < conf_level < 1:
        raise ValueError("conf_level must lie strictly between 0 and 1")
    tab = _as_table(table)
    if tab.shape[0] < 2 or tab.shape[1] < 2:
        raise ValueError("the table must have at least 2 rows and columns")
    if tab.shape == (2, 2):
        return _fisher_2x2(tab, conf_level)
    rows, cols = tab.sum(axis=1) > 0, tab.sum(axis=0) > 0
    kept = tab[rows][:, cols]
    dropped = int((~rows).sum() + (~cols).sum())
    note = f"{dropped} empty row(s)/column(s) dropped" if dropped else None
    if kept.shape[0] < 2 or kept.shape[1] < 2:
        return TestResult(FISHER_METHOD, None, None, 1.0, note=note)  # one possible table
    return TestResult(FISHER_METHOD, None, None, _fisher_rxc_pvalue(kept), note=note)


#: R's default number of Monte Carlo replicates in ``fisher.test(simulate.p.value = TRUE)``.
SIMULATION_REPLICATES = 2000
#: The seed of the Monte Carlo p-value when the run gives none (recorded with the p-value).
DEFAULT_SIMULATION_SEED = 20_240_101


def fisher_test_simulated(
    table: Any, replicates: int = SIMULATION_REPLICATES, seed: int | None = None
) -> TestResult:
    """Fisher's test with a Monte Carlo p-value, as R's ``fisher.test(x, simulate.p.value =
    TRUE, B = replicates)``: for tables whose exact p-value cannot be computed.

    ``replicates`` tables with the observed margins are drawn at random (Patefield's r2dtable
    distribution: each row a multivariate hypergeometric draw from the columns left), the
    statistic of each is -sum(log x_ij!), and p = (1 + #{simulated <= observed / (1 + 64 eps)})
    / (replicates + 1), R's formula (so p is never 0). The random numbers are numpy's
    (``default_rng(seed)``), not R's: the p-value equals R's within Monte Carlo error, not
    digit for digit. ``note`` records the replicates and the seed.
    References: Hope ACA (1968). A simplified Monte Carlo significance test procedure. J R
    Stat Soc B 30:582-598. Patefield WM (1981). Algorithm AS 159. Appl Stat 30:91-97.
    """
    tab = _as_table(table)
    tab = tab[tab.sum(axis=1) > 0][:, tab.sum(axis=0) > 0]
    seed = DEFAULT_SIMULATION_SEED if seed is None else int(seed)
    method = f"{FISHER_METHOD} with simulated p-value (based on {replicates} replicates)"
    note = f"Monte Carlo p-value: {replicates} replicates, seed {seed}"
    if tab.shape[0] < 2 or tab.shape[1] < 2:
        return TestResult(method, None, None, 1.0, note=note)
    log_fact = special.gammaln(np.arange(int(tab.sum()) + 2) + 1.0)
    observed = -float(log_fact[tab].sum())
    rng = np.random.default_rng(seed)
    left = np.broadcast_to(tab.sum(axis=0), (replicates, tab.shape[1])).copy()
    stat = np.zeros(replicates)
    for total in tab.sum(axis=1)[:-1]:
        row = np.array([rng.multivariate_hypergeometric(c, int(total)) for c in left])
        stat -= log_fact[row].sum(axis=1)
        left -= row
    stat -= log_fact[left].sum(axis=1)
    almost_one = 1 + 64 * np.finfo(float).eps
    p_value = (1 + int((stat <= observed / almost_one).sum())) / (replicates + 1)
    return TestResult(method, None, None, p_value, note=note)


@dataclass(frozen=True)
class ChosenTest:
    """The test :func:`choose_test` picked, why (``rule``), and the smallest expected count."""

    result: TestResult
    rule: str
    min_expected: float


def _gtsummary_min_expected(tab: np.ndarray) -> float:
    """Smallest expected count computed in gtsummary's floating-point order.

    gtsummary: ``table(by, variable) |> proportions()``, then ``rowSums x colSums x N``.
    Sums are correctly rounded (``math.fsum``), as R's extended-precision sums are.
    """
    n = int(tab.sum())
    props = tab / n
    row = [math.fsum(r) for r in props]
    col = [math.fsum(c) for c in props.T]
    return min(r * c * n for r in row for c in col)


def choose_test(table: Any, *, seed: int | None = None) -> ChosenTest:
    """gtsummary's default test for a categorical variable by a two-level arm.

    Rule (gtsummary >= 2.0, ``.add_p_tbl_summary_default_test()`` in
    ``R/assign_tests.R``): compute the expected counts of ``table(by, variable)`` (all
    levels, empty ones included); if the smallest is >= 5 use ``"chisq.test.no.correct"``
    (Pearson's chi-squared without continuity correction), otherwise ``"fisher.test"``.
    So Fisher's test is chosen when *any* expected count is < 5; a level nobody has gives
    an expected count of 0 and hence Fisher. The chosen test then runs on the table with
    empty rows/columns dropped (gtsummary passes factors, which R tabulates without unused
    levels).
    Returns a :class:`ChosenTest` (the :class:`TestResult`, the rule applied and why, and
    the smallest expected count).

    When Fisher's test is chosen but its exact p-value cannot be computed (a large r x c
    table: R's ``fisher.test`` fails there too, and gtsummary then leaves the p-value out),
    the p-value is R's Monte Carlo one, ``fisher.test(simulate.p.value = TRUE, B = 2000)``
    (:func:`fisher_test_simulated`, with ``seed``), and the rule says so.
    """
    tab = _as_table(table)
    if tab.sum() == 0:
        raise ValueError("at least one entry of the table must be positive")
    min_exp = _gtsummary_min_expected(tab)
    if min_exp >= 5:
        rule = (
            f"gtsummary add_p() default: every expected count >= 5 (smallest "
            f"{min_exp:.3g}), so Pearson's chi-squared test without continuity correction"
        )
        return ChosenTest(chisq_test(tab, correct=False), rule, min_exp)
    rule = (
        f"gtsummary add_p() default: an expected count < 5 (smallest {min_exp:.3g}), "
        "so Fisher's exact test"
    )
    try:
        return ChosenTest(fisher_test(tab), rule, min_exp)
    except ValueError as exc:
        if "too large" not in str(exc):
            raise
    simulated = fisher_test_simulated(tab, seed=seed)
    rule += (
        f"; its exact p-value cannot be computed for this {tab.shape[0]} x {tab.shape[1]} "
        f"table of {int(tab.sum())} (R's fisher.test fails too), so the Monte Carlo p-value "
        f"of fisher.test(simulate.p.value = TRUE, B = {SIMULATION_REPLICATES}) "
        f"({simulated.note})"
    )
    return ChosenTest(simulated, rule, min_exp)
