"""The result every hypothesis test in :mod:`mdsrs_core.stats` returns.

:class:`TestResult` mirrors the parts of R's ``htest`` object that the endpoints report:
``method`` (R's method string), ``statistic``, ``df`` (R's ``parameter``), ``p_value``, and,
where the test has one, ``estimate`` with its confidence interval. ``note`` carries what a
reader needs to know about how the number was obtained (missing values dropped, empty
levels dropped, why the normal approximation was used...).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TestResult", "ChisqResult"]


@dataclass(frozen=True)
class TestResult:
    """One hypothesis test, as R's ``htest`` reports it.

    ``statistic`` and ``df`` are ``None`` when the test has none (Fisher's exact test);
    ``estimate``/``conf_low``/``conf_high`` are ``None`` when R reports none.
    """

    __test__ = False  # not a pytest test class, despite its name

    method: str
    statistic: float | None
    df: float | None
    p_value: float
    estimate: float | None = None
    conf_low: float | None = None
    conf_high: float | None = None
    note: str | None = None


@dataclass(frozen=True)
class ChisqResult(TestResult):
    """A chi-squared test, with the expected counts R returns as ``$expected``.

    ``expected`` is a tuple of rows (row i, column j = r_i * c_j / N) of the table the
    test was computed on (after rows/columns with a zero total were dropped).
    """

    expected: tuple[tuple[float, ...], ...] = ()
