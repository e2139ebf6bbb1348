"""Descriptive statistics of one arm, as gtsummary/cards computes them.

* :func:`quantile_type2` is R's ``quantile(x, probs, type = 2)``: the inverse of the
  empirical distribution function with averaging at discontinuities (Hyndman & Fan
  1996, definition 2). gtsummary (>= 2.0) takes ``{p25}`` and ``{p75}`` from cards,
  whose ``continuous_summary_fns()`` computes them with
  ``stats::quantile(x, probs = 0.25, na.rm = TRUE, type = 2)`` (file
  ``R/summary_functions.R`` of insightsengineering/cards, which states it matches SAS's
  default).
* :func:`median` is R's ``median()`` (the mean of the two middle values when n is even,
  which is also ``quantile(x, 0.5, type = 2)``).
* :func:`summarize_continuous` / :func:`summarize_categorical` give the statistics
  gtsummary's ``tbl_summary()`` shows.

Missing values (NaN/None) are dropped and counted (``na.rm = TRUE``, as cards does).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["quantile_type2", "median", "summarize_continuous", "summarize_categorical"]


def _finite_values(x: Any) -> tuple[np.ndarray, int]:
    """Return the non-missing values of ``x`` as float64 and the number dropped."""
    arr = np.ravel(np.asarray(x))
    if arr.dtype.kind in "fiub":  # numbers already: no conversion through objects
        arr = arr.astype(float, copy=False)
    else:
        arr = np.asarray(
            pd.to_numeric(pd.Series(np.asarray(arr, dtype=object)), errors="raise"), dtype=float
        )
    keep = ~np.isnan(arr)
    return arr[keep], int(arr.size - keep.sum())


def quantile_type2(x: Any, q: float | Sequence[float]) -> float | np.ndarray:
    """Sample quantile(s) of ``x`` by R's ``quantile(x, q, type = 2)``.

    Method: with the ordered values x(1) <= ... <= x(n) and ``np = n * q`` (computed in
    floating point as R does), ``j = floor(np)``; the quantile is x(j + 1) when
    ``np > j`` and (x(j) + x(j + 1)) / 2 when ``np == j`` (x(0) = x(1), x(n + 1) = x(n)).
    This is the empirical-distribution inverse with averaging at discontinuities
    (Hyndman & Fan 1996, definition 2; SAS PCTLDEF=5), gtsummary's ``{p25}``/``{p75}``.

    NaN values are dropped (``na.rm = TRUE``); an empty sample gives NaN. ``q`` must lie in
    [0, 1]. Returns a float for a scalar ``q``, else an array.
    Mirrors: ``stats::quantile(x, probs = q, type = 2, na.rm = TRUE)``.
    Reference: Hyndman RJ, Fan Y (1996). Sample quantiles in statistical packages.
    The American Statistician 50:361-365.
    """
    values, _ = _finite_values(x)
    return _quantile_type2_sorted(np.sort(values), q)


def _quantile_type2_sorted(ordered: np.ndarray, q: float | Sequence[float]) -> float | np.ndarray:
    """:func:`quantile_type2` of values already sorted and without NaN."""
    probs = np.atleast_1d(np.asarray(q, dtype=float))
    if np.any((probs < 0) | (probs > 1)) or np.any(np.isnan(probs)):
        raise ValueError(f"quantile probabilities must lie in [0, 1], got {q!r}")
    n = ordered.size
    out = np.full(probs.shape, np.nan)
    if n > 0:
        padded = np.concatenate(([ordered[0]], ordered, [ordered[-1]]))  # x(0)..x(n+1)
        for i, p in enumerate(probs):
            nppm = n * float(p)
            j = math.floor(nppm)
            if nppm > j:
                out[i] = padded[j + 1]
            else:
                lo, hi = padded[j], padded[j + 1]
                out[i] = lo if lo == hi else 0.5 * lo + 0.5 * hi
    if np.ndim(q) == 0:
        return float(out[0])
    return out


def median(x: Any) -> float:
    """Sample median of ``x`` (R's ``median(x, na.rm = TRUE)``); NaN dropped, empty -> NaN.

    Method: the middle order statistic, or the mean of the two middle ones when n is even.
    """
    values, _ = _finite_values(x)
    if values.size == 0:
        return math.nan
    return float(np.median(values))


def summarize_continuous(x: Any) -> dict[str, float | int]:
    """The continuous summary of gtsummary's ``tbl_summary()`` (cards' default statistics).

    Returns ``n`` (non-missing), ``mean``, ``sd`` (denominator n - 1, R's ``sd``),
    ``median``, ``p25`` and ``p75`` (:func:`quantile_type2`), ``min``, ``max`` and
    ``n_missing``. Missing values are dropped and counted; statistics that need more
    values than there are (sd of one value, anything of none) are NaN, as in R.
    Mirrors: ``cards::continuous_summary_fns()`` / ``mean``, ``sd``, ``median``,
    ``quantile(type = 2)``, ``min``, ``max`` with ``na.rm = TRUE``.
    """
    values, n_missing = _finite_values(x)
    n = int(values.size)
    ordered = np.sort(values)  # once, for the median, quartiles and range
    return {
        "n": n,
        "mean": float(np.mean(values)) if n else math.nan,
        "sd": float(np.std(values, ddof=1)) if n > 1 else math.nan,
        "median": float(np.median(ordered)) if n else math.nan,
        "p25": float(_quantile_type2_sorted(ordered, 0.25)),
        "p75": float(_quantile_type2_sorted(ordered, 0.75)),
        "min": float(ordered[0]) if n else math.nan,
        "max": float(ordered[-1]) if n else math.nan,
        "n_missing": n_missing,
    }


def summarize_categorical(x: Any, levels: Sequence[Any]) -> dict[str, Any]:
    """Counts and proportions of each level of ``x``, gtsummary style.

    ``levels`` fixes the order and includes levels nobody has (count 0). Missing values
    (None/NaN) are counted apart; proportions are among the non-missing values, as
    gtsummary's ``{n} ({p}%)`` (``p`` is a fraction here, not a percentage). A value
    that is neither missing nor one of ``levels`` raises ``ValueError``.

    Returns ``{"levels", "n" (dict level -> count), "p" (dict level -> proportion),
    "N" (non-missing), "n_missing", "N_obs" (all), "p_missing" (n_missing / N_obs)}``.
    Proportions are NaN when ``N`` is 0.
    Mirrors: ``cards::ard_categorical()`` (``n``, ``N``, ``p``) and ``ard_missing()``.
    """
    series = pd.Series(np.ravel(np.asarray(x, dtype=object)))
    missing = series.isna()
    present = series[~missing]
    level_list = list(levels)
    unknown = sorted({str(v) for v in present if v not in level_list})
    if unknown:
        raise ValueError(f"values not among the levels {level_list!r}: {unknown}")
    n_total = int(series.size)
    n_non_missing = int(present.size)
    counts = {lev: int((present == lev).sum()) for lev in level_list}
    props = {lev: (c / n_non_missing if n_non_missing else math.nan) for lev, c in counts.items()}
    n_missing = int(missing.sum())
    return {
        "levels": level_list,
        "n": counts,
        "p": props,
        "N": n_non_missing,
        "n_missing": n_missing,
        "N_obs": n_total,
        "p_missing": n_missing / n_total if n_total else math.nan,
    }
