"""Standardized mean differences (SMD) between two arms, as the R package smd computes them.

gtsummary's ``add_difference(test = everything() ~ "smd")`` calls
``cardx::ard_smd_smd()``, which calls ``smd::smd(x, g, na.rm = TRUE)`` with the
reference group ``gref = 1`` (the first level of the arm). From smd's source
(bsaul/smd, ``R/smd.R`` and ``R/mean_var.R``):

* the difference is D = (reference group) - (other group): positive when the first arm
  has the larger mean. Here that is ``x`` (first argument) minus ``y``;
* the SMD is sqrt(D' S^+ D) with S = (S_x + S_y) / 2 and S^+ the Moore-Penrose inverse
  (``MASS::ginv``), and when D has length 1 (numeric or logical variables) it is
  multiplied by sign(D); for factors (any number of levels, two included) it is left
  unsigned;
* a numeric variable's variance is sum((x - mean)^2) / n, the *population* variance
  (denominator n, not n - 1); a factor's S_g is the multinomial covariance
  diag(p_g) - p_g p_g' over *all* levels.

With all levels and the pseudo-inverse, the categorical SMD equals Yang & Dalton's
(2012) form with one level dropped and an ordinary inverse (the quadratic form is the
same on the space D lives in), and for two levels it equals
|p1 - p2| / sqrt((p1 (1 - p1) + p2 (1 - p2)) / 2). Missing values are dropped
(``na.rm = TRUE``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["smd_continuous", "smd_categorical", "smd_binary"]

_GINV_TOL = math.sqrt(float(np.finfo(float).eps))  # MASS::ginv(tol = sqrt(.Machine$double.eps))


def _finite(x: Any) -> np.ndarray:
    arr = np.asarray(np.ravel(np.asarray(x, dtype=float)), dtype=float)
    return arr[~np.isnan(arr)]


def smd_continuous(x: Any, y: Any, *, ddof: int = 0) -> float:
    """Standardized mean difference of a continuous variable, arm x versus arm y (signed).

    Method: (mean x - mean y) / sqrt((v_x + v_y) / 2). With ``ddof=0`` (default) v is the
    population variance sum((x - mean)^2) / n, exactly as ``smd::smd()`` computes it (and
    so gtsummary's ``"smd"``); ``ddof=1`` uses the sample variance (n - 1), Yang &
    Dalton's (2012) and tableone's choice. NaN values are dropped. Returns NaN when an
    arm has no values or both variances are 0 (as R gives NaN/Inf).
    Mirrors: ``smd::smd(x = c(x, y), g = rep(1:2, ...), na.rm = TRUE)$estimate``.
    Reference: Yang D, Dalton JE (2012). A unified approach to measuring the effect size
    between two groups using SAS. SAS Global Forum, paper 335-2012.
    """
    xs, ys = _finite(x), _finite(y)
    if xs.size == 0 or ys.size == 0 or xs.size <= ddof or ys.size <= ddof:
        return math.nan
    diff = float(np.mean(xs) - np.mean(ys))
    pooled = (float(np.var(xs, ddof=ddof)) + float(np.var(ys, ddof=ddof))) / 2
    if pooled == 0:
        return math.nan
    return diff / math.sqrt(pooled)


def smd_binary(x1: int, n1: int, x2: int, n2: int) -> float:
    """Standardized difference of two proportions p1 = x1/n1 and p2 = x2/n2 (signed).

    Method: (p1 - p2) / sqrt((p1 (1 - p1) + p2 (1 - p2)) / 2) — what ``smd::smd()``
    returns for a 0/1 or logical variable (population variance p (1 - p)). NaN when both
    proportions are 0 or both are 1, or when an arm is empty.
    Mirrors: ``smd::smd(x = <0/1 or logical>, g = arm)$estimate``.
    Reference: Yang D, Dalton JE (2012), SAS Global Forum 335-2012, formula for binary
    variables.
    """
    if n1 <= 0 or n2 <= 0:
        return math.nan
    p1, p2 = x1 / n1, x2 / n2
    pooled = (p1 * (1 - p1) + p2 * (1 - p2)) / 2
    if pooled == 0:
        return math.nan
    return (p1 - p2) / math.sqrt(pooled)


def _proportions(values: pd.Series, levels: list[Any]) -> np.ndarray:
    counts = np.array([(values == lev).sum() for lev in levels], dtype=float)
    return counts / values.size


def smd_categorical(x: Any, y: Any, levels: Sequence[Any] | None = None) -> float:
    """Multi-category standardized difference of a categorical variable (unsigned).

    Method (Yang & Dalton 2012): with p_x, p_y the vectors of level proportions,
    D = p_x - p_y and S = (S_x + S_y) / 2, S_g = diag(p_g) - p_g p_g', the SMD is
    sqrt(D' S^+ D) with S^+ the Moore-Penrose pseudo-inverse (singular values below
    sqrt(machine eps) times the largest dropped, as ``MASS::ginv``). This equals the
    drop-one-level form sqrt(D' S^-1 D) whenever that S is invertible, and also handles
    levels nobody has. ``levels`` fixes the levels (default: those observed in either
    arm); values outside them raise ``ValueError``. Missing values (None/NaN) are dropped.
    NaN when an arm has no values.
    Mirrors: ``smd::smd(x = factor(...), g = arm, na.rm = TRUE)$estimate`` (for factors
    smd does not apply a sign, two-level factors included).
    Reference: Yang D, Dalton JE (2012). A unified approach to measuring the effect size
    between two groups using SAS. SAS Global Forum, paper 335-2012.
    """
    xs = pd.Series(np.ravel(np.asarray(x, dtype=object))).dropna()
    ys = pd.Series(np.ravel(np.asarray(y, dtype=object))).dropna()
    if xs.size == 0 or ys.size == 0:
        return math.nan
    if levels is None:
        level_list = list(pd.unique(pd.concat([xs, ys], ignore_index=True)))
    else:
        level_list = list(levels)
        unknown = {str(v) for v in pd.concat([xs, ys]) if v not in level_list}
        if unknown:
            raise ValueError(f"values not among the levels {level_list!r}: {sorted(unknown)}")
    px, py = _proportions(xs, level_list), _proportions(ys, level_list)
    diff = px - py
    cov = (np.diag(px) - np.outer(px, px) + np.diag(py) - np.outer(py, py)) / 2
    quad = float(diff @ (np.linalg.pinv(cov, rcond=_GINV_TOL) @ diff))
    return math.sqrt(max(quad, 0.0))
