"""Identical rows of a likelihood collapsed into one row carrying their summed weight.

A likelihood that is a sum over rows, ``sum_i w_i l(y_i, x_i; theta)``, takes the same value
-- and so has the same maximum, gradient and Hessian -- when the rows sharing ``(y, x)`` are
replaced by one row whose weight is the sum of theirs (frequency weights; McCullagh & Nelder
1989, section 4.4). A model with categorical covariates (``ae_max_grade ~ arm``) then fits
on a handful of rows, however many patients the cohort holds: the estimates and model-based
standard errors are those of the full fit (up to the order of floating-point summation).
Not for a sandwich or cluster variance, which needs each row's score.

Used by :func:`mdsrs_core.models.clm` and the proportional-odds test of the adverse-events
endpoint (R's ``ordinal::clm``/``nominal_test`` fit row by row; their estimates agree).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["collapse_rows", "MIN_ROWS"]

#: below this many rows a fit is fast as it is: nothing is collapsed (small cohorts keep
#: exactly the row-by-row arithmetic R's fit does)
MIN_ROWS = 5000
#: collapse only when at most this share of the rows are distinct
_MAX_SHARE = 0.25


def collapse_rows(
    columns: Sequence[np.ndarray], weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray] | None:
    """``(first, weight)``: the index of the first row of each distinct combination of the
    ``columns``' values (in order of first appearance) and the summed ``weights`` (1 per row
    without) of each combination; None when the rows are too few (:data:`MIN_ROWS`) or too
    varied to gain (more than a quarter distinct)."""
    import pandas as pd

    n = len(columns[0]) if columns else 0
    if n < MIN_ROWS:
        return None
    limit = int(n * _MAX_SHARE)
    key = np.zeros(n, dtype=np.int64)
    radix = 1
    for column in columns:
        codes, uniques = pd.factorize(np.asarray(column), use_na_sentinel=False)
        m = len(uniques)
        if m > limit:
            return None
        if radix * m >= 2**62:  # renumber the combinations so far before going on
            key = pd.factorize(key)[0].astype(np.int64)
            radix = int(key.max()) + 1
            if radix * m >= 2**62:
                return None
        key = key * m + codes
        radix *= m
    group = pd.factorize(key)[0]  # numbered in order of first appearance
    groups = int(group.max()) + 1
    if groups > limit:
        return None
    running = np.maximum.accumulate(group)
    first = np.flatnonzero(np.concatenate([[True], running[1:] > running[:-1]]))
    weight = np.bincount(group, weights=weights, minlength=groups).astype(float)
    return first, weight
