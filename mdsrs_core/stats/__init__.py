"""Small-sample statistics shared by the endpoints, each equal to its R counterpart.

Modules (import the one you need; this package imports no scipy at import time):

``describe``     R's ``quantile(type = 2)``, median, and gtsummary's continuous and
                 categorical summaries (n, mean, sd, median, p25, p75, min, max, missing).
``ranks``        ``wilcox_test`` (rank-sum), ``signed_rank_test`` (paired) and ``t_test``
                 (Welch, pooled, paired) = R's ``wilcox.test`` / ``t.test``.
``contingency``  ``chisq_test``, ``fisher_test`` (2 x 2 with conditional-MLE odds ratio
                 and exact CI; exact r x c p-value) and ``choose_test`` (gtsummary's
                 chi-squared-or-Fisher rule).
``proportions``  ``clopper_pearson``, ``wilson`` and ``newcombe_diff`` intervals.
``smd``          standardized mean differences as R's smd package (gtsummary's "smd").
``result``       :class:`TestResult`, the frozen record every test returns.

Missing values: descriptive functions and tests drop NaN/None the way R does with
``na.rm = TRUE`` (tests: as ``wilcox.test``/``t.test`` drop them) and say so in
``TestResult.note``; the endpoints count exclusions themselves. Invalid input (negative
counts, too few observations) raises ``ValueError``. Methods, rules and references:
``docs/methods/statistics.md``.
"""

from mdsrs_core.stats.result import ChisqResult, TestResult

__all__ = ["TestResult", "ChisqResult"]
