"""Row selections of a cohort's frame that copy nothing when nothing is left out.

``frame.loc[mask]`` copies every column of the rows kept; an endpoint that keeps every
patient (the usual case) would copy the whole cohort for nothing -- at 10^6 patients half a
gigabyte per endpoint. :func:`select_rows` returns a shallow copy then: the same arrays
under a new frame, to which the endpoint may add or replace columns (``d[col] = ...``)
without touching the cohort. It must not change the shared values in place
(``d.loc[i, col] = ...``); no endpoint does.

When some patients are left out, the kept rows of every column are copied: an endpoint
that reads a handful of a cohort's forty columns narrows the frame first
(:func:`analysis_columns`), so that only those are.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["analysis_columns", "in_arm", "select_rows", "shared_columns"]


def select_rows(frame: pd.DataFrame, mask: Any) -> pd.DataFrame:
    """``frame.loc[mask]`` (``mask``: booleans, one per row) as a frame of its own: a
    shallow copy when ``mask`` keeps every row, else the kept rows (a copy)."""
    keep = np.asarray(mask, dtype=bool)
    if keep.all():
        return frame.copy(deep=False)
    return frame.loc[keep].copy(deep=False)  # .loc[mask] copied already: no second copy


def analysis_columns(
    frame: pd.DataFrame,
    names: Any,
    formulas: Any = (),
    *,
    added: Any = (),
    adjustment: Any = None,
) -> pd.DataFrame:
    """``frame`` narrowed to the columns an analysis reads, as a frame of its own that
    shares the cohort's arrays (nothing is copied).

    The columns are ``patient_id`` and ``arm``, the ``names`` present in ``frame`` and
    every column the ``formulas`` name (:func:`mdsrs_core.formula.formula_columns`;
    ``added``: the columns the analysis adds itself before it fits them). The
    whole frame is returned when a formula does not parse (the model's own call then
    reports it, as before) and when an ``adjustment`` is attached (its analyses may read
    any covariate)."""
    from mdsrs_core.errors import FormulaError
    from mdsrs_core.formula import formula_columns

    if adjustment is not None:
        return frame.copy(deep=False)
    wanted = ["patient_id", "arm", *names]
    known = [*map(str, frame.columns), *added]
    for formula in formulas:
        if not formula:
            continue
        try:
            wanted.extend(formula_columns(formula, known))
        except FormulaError:
            return frame.copy(deep=False)
    return shared_columns(frame, [c for c in dict.fromkeys(wanted) if c in frame.columns])


def shared_columns(frame: pd.DataFrame, columns: Any) -> pd.DataFrame:
    """``frame[columns]`` as a frame of its own that shares ``frame``'s arrays (pandas'
    ``frame[columns]`` copies each one). ``columns`` are names of ``frame``, in the order
    wanted."""
    columns = list(columns)
    if not columns:
        return frame.iloc[:, :0].copy(deep=False)
    return pd.concat({c: frame[c] for c in columns}, axis=1, copy=False)


def in_arm(arm: pd.Series, name: str) -> np.ndarray:
    """Booleans, one per row: whether the row's arm, as text, is ``name`` (what
    ``arm.astype(str) == name`` gives, except that a missing arm is in no arm). Compared
    through the codes of the column's distinct values: ``astype(str)`` would make an array
    of one string per row (10^6 patients: 8 MB, each time an arm is counted)."""
    codes, values = pd.factorize(arm)
    labels = np.array([str(v) for v in values], dtype=object)
    return np.isin(codes, np.flatnonzero(labels == name))
