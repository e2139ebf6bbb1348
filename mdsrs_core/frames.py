"""Row selections of a cohort's frame that copy nothing when nothing is left out.

``frame.loc[mask]`` copies every column of the rows kept; an endpoint that keeps every
patient (the usual case) would copy the whole cohort for nothing -- at 10^6 patients half a
gigabyte per endpoint. :func:`select_rows` returns a shallow copy then: the same arrays
under a new frame, to which the endpoint may add or replace columns (``d[col] = ...``)
without touching the cohort. It must not change the shared values in place
(``d.loc[i, col] = ...``); no endpoint does.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["select_rows"]


def select_rows(frame: pd.DataFrame, mask: Any) -> pd.DataFrame:
    """``frame.loc[mask]`` (``mask``: booleans, one per row) as a frame of its own: a
    shallow copy when ``mask`` keeps every row, else the kept rows (a copy)."""
    keep = np.asarray(mask, dtype=bool)
    if keep.all():
        return frame.copy(deep=False)
    return frame.loc[keep].copy(deep=False)  # .loc[mask] copied already: no second copy
