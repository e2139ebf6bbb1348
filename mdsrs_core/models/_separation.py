"""Detect complete or quasi-complete separation in binary-outcome data.

The maximum-likelihood estimate of a logistic regression exists if and only if the data
are *overlapping*: no direction ``b != 0`` has ``x_i'b >= 0`` for every event and
``x_i'b <= 0`` for every non-event (Albert & Anderson 1984, Biometrika 71:1-10; Santner &
Duffy 1986). Such a direction is found, or ruled out, by one linear programme (Konis 2007,
*Linear programming algorithms for detecting separated data in binary logistic regression
models*, DPhil thesis, Oxford; the method of R's ``detectseparation`` package).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def separating_direction(design: pd.DataFrame, y: np.ndarray) -> pd.Series | None:
    """A direction ``b`` (one value per design column) separating ``y``, or None.

    Columns are scaled to a maximum absolute value of 1 before solving, and the components
    of ``b`` are returned on that scale: their signs and which are non-zero matter, not their
    size.
    """
    from scipy.optimize import linprog

    x = design.to_numpy(dtype=float)
    scale = np.abs(x).max(axis=0)
    scale[scale == 0] = 1.0
    x = x / scale
    sign = np.where(y > 0, 1.0, -1.0)
    sx = x * sign[:, None]
    # maximise sum_i s_i x_i'b  subject to  s_i x_i'b >= 0,  -1 <= b <= 1
    res = linprog(
        c=-sx.sum(axis=0),
        A_ub=-sx,
        b_ub=np.zeros(len(y)),
        bounds=[(-1, 1)] * x.shape[1],
        method="highs",
    )
    if res.status != 0 or -res.fun <= 1e-7 * max(1, len(y)) ** 0.5:
        return None
    b = np.where(np.abs(res.x) > 1e-7, res.x, 0.0)
    return pd.Series(b, index=design.columns)
