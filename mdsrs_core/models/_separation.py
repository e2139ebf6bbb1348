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


def overlap_certified(x: np.ndarray, y: np.ndarray, mu: np.ndarray, w: np.ndarray | None) -> bool:
    """True when the fitted probabilities ``mu`` of a logistic fit prove the data overlap.

    With ``A`` the rows ``s_i x_i`` (``s_i = +1`` for an event, ``-1`` otherwise) and
    ``c_i = w_i |y_i - mu_i| > 0``, ``r = A'c = X'(w (y - mu))`` is the score (zero at the
    MLE). For any ``b`` with ``Ab >= 0``: ``c_min sigma_min(X) |b| <= c'Ab = r'b <= |r| |b|``,
    so ``c_min sigma_min(X) > |r|`` leaves only ``b = 0``: no separating direction exists
    (Stiemke 1915; Albert & Anderson 1984). ``|r|`` is bounded above by its computed value
    plus the rounding bound ``n eps |X|'c``, ``sigma_min`` below from the eigenvalues of
    ``X'X`` less their rounding bound, so a True is a proof; False only means "not proven".
    """
    n, p = x.shape
    if p == 0 or n == 0:
        return False
    ww = np.ones(n) if w is None else w
    c = ww * np.abs(y - mu)
    c_min = float(c.min())
    if not np.isfinite(c_min) or c_min <= 0:
        return False
    eps = np.finfo(float).eps
    gamma = 1.01 * (n + p) * eps
    r = x.T @ (ww * (y - mu))
    r_bound = float(np.linalg.norm(r)) + gamma * float(np.linalg.norm(np.abs(x).T @ c))
    xtx = x.T @ x
    lam = np.linalg.eigvalsh(xtx)
    lam_err = gamma * float(np.sum(x * x)) + 4 * p * eps * float(lam[-1])
    lam_min = float(lam[0]) - lam_err
    return lam_min > 0 and c_min * np.sqrt(lam_min) > r_bound


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
