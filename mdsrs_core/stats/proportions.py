"""Confidence intervals for a proportion and for a difference of two proportions.

* :func:`clopper_pearson` — exact interval, R's ``binom.test(x, n)$conf.int``.
* :func:`wilson` — score interval, R's ``prop.test(x, n, correct = FALSE)$conf.int``
  (``correct=True`` gives R's continuity-corrected version).
* :func:`newcombe_diff` — Newcombe's hybrid score interval for p1 - p2 (method 10).

Counts must be whole numbers with 0 <= x <= n and n > 0, else ``ValueError``. Every
function returns ``(estimate, conf_low, conf_high)`` as floats.
"""

from __future__ import annotations

import math

from mdsrs_core._lazy import lazy_module

special = lazy_module("scipy.special")
sps = lazy_module("mdsrs_core.stats.distributions")

__all__ = ["clopper_pearson", "wilson", "newcombe_diff"]


def _check_counts(x: int | float, n: int | float) -> tuple[int, int]:
    if (isinstance(x, float) and not x.is_integer()) or (
        isinstance(n, float) and not n.is_integer()
    ):
        raise ValueError(f"counts must be whole numbers, got x={x!r}, n={n!r}")
    xi, ni = int(x), int(n)
    if ni <= 0 or xi < 0 or xi > ni:
        raise ValueError(f"need 0 <= x <= n and n > 0, got x={xi}, n={ni}")
    return xi, ni


def _check_level(conf_level: float) -> None:
    if not 0 < conf_level < 1:
        raise ValueError("conf_level must lie strictly between 0 and 1")


def clopper_pearson(x: int, n: int, conf_level: float = 0.95) -> tuple[float, float, float]:
    """Clopper-Pearson exact interval for a binomial proportion x / n.

    Method: the limits are beta quantiles, lower = Beta(alpha/2; x, n - x + 1) (0 when
    x = 0) and upper = Beta(1 - alpha/2; x + 1, n - x) (1 when x = n), alpha = 1 -
    conf_level: the proportions for which each one-sided binomial tail equals alpha/2.
    Mirrors: ``stats::binom.test(x, n, conf.level = )$conf.int`` (estimate ``x/n``).
    Reference: Clopper CJ, Pearson ES (1934). The use of confidence or fiducial limits
    illustrated in the case of the binomial. Biometrika 26:404-413.
    """
    xi, ni = _check_counts(x, n)
    _check_level(conf_level)
    alpha = (1 - conf_level) / 2
    low = 0.0 if xi == 0 else float(special.betaincinv(xi, ni - xi + 1, alpha))
    high = 1.0 if xi == ni else float(special.betaincinv(xi + 1, ni - xi, 1 - alpha))
    return xi / ni, low, high


def wilson(
    x: int, n: int, conf_level: float = 0.95, correct: bool = False
) -> tuple[float, float, float]:
    """Wilson score interval for a binomial proportion x / n.

    Method: the proportions p whose score test |p_hat - p| / sqrt(p (1 - p) / n) <= z,
    z = qnorm((1 + conf_level) / 2); in closed form
    (p_c + z^2/2n +/- z sqrt(p_c (1 - p_c)/n + z^2/4n^2)) / (1 + z^2/n), with p_c = p_hat.
    With ``correct`` (R's ``prop.test`` default), p_c = p_hat -/+ Y/n with
    Y = min(0.5, |x - n/2|) (R's correction, measured from the null p = 0.5); a limit
    whose p_c falls outside [0, 1] is set to 0 or 1.
    Mirrors: ``stats::prop.test(x, n, correct = FALSE, conf.level = )$conf.int``.
    Reference: Wilson EB (1927). Probable inference, the law of succession, and
    statistical inference. J Am Stat Assoc 22:209-212.
    """
    xi, ni = _check_counts(x, n)
    _check_level(conf_level)
    estimate = xi / ni
    z = float(sps.norm.ppf((1 + conf_level) / 2))
    yates = min(0.5, abs(xi - ni * 0.5)) if correct else 0.0
    z22n = z**2 / (2 * ni)
    p_c = estimate + yates / ni
    if p_c >= 1:
        high = 1.0
    else:
        high = (p_c + z22n + z * math.sqrt(p_c * (1 - p_c) / ni + z22n / (2 * ni))) / (1 + 2 * z22n)
    p_c = estimate - yates / ni
    if p_c <= 0:
        low = 0.0
    else:
        low = (p_c + z22n - z * math.sqrt(p_c * (1 - p_c) / ni + z22n / (2 * ni))) / (1 + 2 * z22n)
    return estimate, max(low, 0.0), min(high, 1.0)


def newcombe_diff(
    x1: int, n1: int, x2: int, n2: int, conf_level: float = 0.95
) -> tuple[float, float, float]:
    """Newcombe's hybrid score interval for the difference of proportions p1 - p2.

    Method (Newcombe 1998, method 10): with d = p1 - p2 and the Wilson score limits
    (l1, u1), (l2, u2) of each proportion (no continuity correction, same conf_level),
    lower = d - sqrt((p1 - l1)^2 + (u2 - p2)^2) and
    upper = d + sqrt((u1 - p1)^2 + (p2 - l2)^2). The limits stay in [-1, 1] and the
    interval is defined for x = 0, x = n and both arms 0 (then it is symmetric about 0).
    Mirrors: no base-R function; the reference values are computed from this formula in
    base R with ``prop.test(correct = FALSE)``'s Wilson limits (tests/results/stats.R),
    and checked against Newcombe's Table II (e.g. 56/70 - 48/80: 0.0524 to 0.3339).
    Reference: Newcombe RG (1998). Interval estimation for the difference between
    independent proportions: comparison of eleven methods. Stat Med 17:873-890.
    """
    p1, l1, u1 = wilson(x1, n1, conf_level)
    p2, l2, u2 = wilson(x2, n2, conf_level)
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return d, low, high
