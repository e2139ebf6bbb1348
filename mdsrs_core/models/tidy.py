"""Broom-style coefficient tables with Wald statistics and intervals.

One table layout for every model: ``term, estimate, std_error, statistic, p_value,
conf_low, conf_high`` (the column names of R's ``broom::tidy``, with underscores).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["TIDY_COLUMNS", "wald_table"]

TIDY_COLUMNS = ["term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"]


def wald_table(
    terms: Sequence[str],
    estimate: Sequence[float] | np.ndarray,
    std_error: Sequence[float] | np.ndarray,
    *,
    conf_level: float = 0.95,
    exponentiate: bool = False,
    df: float | None = None,
) -> pd.DataFrame:
    """Wald tests and intervals for coefficients, as a broom-style table.

    ``statistic = estimate / std_error``; the two-sided p-value and the interval
    ``estimate -/+ q * std_error`` use the standard normal quantile ``q`` (R's
    ``confint.default`` and the z tests of ``summary.glm`` / ``summary.coxph``), or
    Student's t with ``df`` degrees of freedom when ``df`` is given (R's ``confint.lm``
    and the t tests of ``summary.lm``).

    With ``exponentiate=True`` the estimate and the interval limits are exponentiated
    (odds, hazard or rate ratios); ``std_error`` and ``statistic`` stay on the link scale,
    as in ``broom::tidy(exponentiate = TRUE)``.
    """
    from mdsrs_core.stats import distributions as stats  # deferred: models import no scipy

    if not 0 < conf_level < 1:
        raise ValueError(f"conf_level must be between 0 and 1, not {conf_level}")
    est = np.asarray(estimate, dtype=float)
    se = np.asarray(std_error, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = est / se
    if df is None:
        p_value = 2.0 * stats.norm.sf(np.abs(statistic))
        q = stats.norm.ppf(0.5 + conf_level / 2.0)
    else:
        p_value = 2.0 * stats.t.sf(np.abs(statistic), df)
        q = stats.t.ppf(0.5 + conf_level / 2.0, df)
    low, high = est - q * se, est + q * se
    if exponentiate:
        est, low, high = np.exp(est), np.exp(low), np.exp(high)
    return pd.DataFrame(
        {
            "term": list(terms),
            "estimate": est,
            "std_error": se,
            "statistic": statistic,
            "p_value": p_value,
            "conf_low": low,
            "conf_high": high,
        }  # the order of TIDY_COLUMNS (columns= would make pandas reindex: 4x slower)
    )
