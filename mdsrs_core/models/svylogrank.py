"""The design-based (weighted) log-rank test, mirroring ``survey::svylogrank``.

R's ``survdiff`` takes no weights; survey's ``svylogrank(formula, design)`` (Lumley; method
``"small"``, rho = gamma = 0) is the reference for a propensity-weighted or matched
comparison. It is the score test of a weighted Cox model at beta = 0 with a design-based
variance:

* with case weights w, at each event time the weighted mean of the group indicator x over
  the risk set, ``E(t)``, and the weighted hazard increment ``dL(t) = d(t) / n(t)``
  (``d``, ``n`` weighted events and number at risk; tied deaths by Efron's rule, as
  ``coxph.detail`` of R's default ``coxph`` gives them);
* each row's score residual ``U_i = e_i (x_i - E(T_i)) - sum_{t <= T_i} (x_i - E(t)) dL(t)``;
* the statistic is the weighted total ``T = sum w_i U_i`` with the variance of a total
  ``m / (m - 1) sum_g (T_g - T / m)^2`` over clusters g (rows without ``cluster``; matched
  pairs with it); ``z = T / se``, ``chisq = z^2`` on 1 df (two groups).

Reference: Lumley T (2010) *Complex Surveys*, Wiley, ch. 9; Lin DY (2000) *J Am Stat
Assoc* 95:1010-1019 (the design-based Cox score).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from mdsrs_core.errors import ModelError
from mdsrs_core.formula import model_frame
from mdsrs_core.models._survival_groups import formula_groups, grouping_formula

__all__ = ["SvylogrankResults", "svylogrank"]


@dataclasses.dataclass
class SvylogrankResults:
    """``score`` (weighted O - E of the second group), ``se``, ``z``, ``chisq``, ``p_value``."""

    formula: str
    groups: list[str]
    score: float
    se: float
    z: float
    chisq: float
    df: int
    p_value: float
    nobs: int
    n_dropped: int
    n_clusters: int

    def glance(self) -> pd.DataFrame:
        return pd.DataFrame([dataclasses.asdict(self)]).drop(columns=["groups"])


def _score_residuals(time, event, x, w):
    """Score residuals at beta = 0 of a weighted Cox model with one 0/1 covariate, Efron ties.

    At a time with k tied deaths (weighted sums D0 of w, D1 of w x over them; S0, S1 over
    the risk set) the hazard is ``sum_j (D0 / k) / (S0 - j D0 / k)`` and the mean the
    average of ``(S1 - j D1 / k) / (S0 - j D0 / k)``, j = 0..k-1: what
    ``coxph.detail`` returns and svylogrank uses.
    """
    utime, inv = np.unique(time, return_inverse=True)
    m = len(utime)
    count = np.bincount(inv, weights=event, minlength=m)
    d0 = np.bincount(inv, weights=w * event, minlength=m)
    d1 = np.bincount(inv, weights=w * x * event, minlength=m)
    s0 = np.cumsum(np.bincount(inv, weights=w, minlength=m)[::-1])[::-1]
    s1 = np.cumsum(np.bincount(inv, weights=w * x, minlength=m)[::-1])[::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(s0 > 0, s1 / s0, 0.0)
        hazard = np.where(count > 0, d0 / s0, 0.0)
    for k in np.flatnonzero(count > 1):
        c = int(count[k])
        frac = np.arange(c) / c
        den = s0[k] - frac * d0[k]
        hazard[k] = float(np.sum((d0[k] / c) / den))
        mean[k] = float(np.mean((s1[k] - frac * d1[k]) / den))
    cum_dl = np.cumsum(hazard)
    cum_edl = np.cumsum(mean * hazard)
    # U_i = e_i (x_i - E(T_i)) - sum_{t <= T_i} (x_i - E(t)) dL(t)
    return event * (x - mean[inv]) - (x * cum_dl[inv] - cum_edl[inv])


def svylogrank(formula: str, data: Any, weights: Any = None, cluster: Any = None):
    """Weighted log-rank test of two groups, as ``survey::svylogrank(formula,
    svydesign(ids = ~1 (or ~cluster), weights = ~w))``.

    ``formula`` is ``"Surv(time, event) ~ arm"`` (two groups); ``weights`` and ``cluster`` a
    column name or one value per row (no weights: all 1).
    """
    from mdsrs_core.models._weights import cluster_codes, weighted_data
    from mdsrs_core.stats.distributions import norm

    wd = weighted_data(data, weights if weights is not None else None)
    if wd.weights is None:
        wd = weighted_data(data, np.ones(len(wd.frame)))
    columns = wd.frame.columns
    frame = model_frame(grouping_formula(formula, columns), wd.frame, intercept=False)
    if frame.time is None or frame.event is None:
        raise ModelError(
            f"svylogrank needs a survival outcome: 'Surv(time, event) ~ arm', not {formula!r}."
        )
    groups, _ = formula_groups(formula, frame.variables)
    if groups.k != 2:
        raise ModelError(
            f"svylogrank compares two groups; the formula {formula!r} gives {groups.k} in the "
            f"{frame.nobs} rows used."
        )
    rows = frame.design.index
    assert wd.weights is not None
    w = wd.weights.loc[rows].to_numpy(dtype=float)
    x = (groups.codes == 1).astype(float)
    event = frame.event.astype(float)
    if event.sum() == 0:
        raise ModelError(f"svylogrank cannot test {formula!r}: no events in the rows used.")
    u = w * _score_residuals(frame.time.astype(float), event, x, w)
    if cluster is not None:
        codes = cluster_codes(cluster, wd.frame, rows)
        totals = np.bincount(codes, weights=u)
    else:
        totals = u
    m = len(totals)
    total = float(u.sum())
    var = float(np.sum((totals - totals.mean()) ** 2) * m / (m - 1))
    se = float(np.sqrt(var))
    z = total / se if se > 0 else np.nan
    return SvylogrankResults(
        formula=formula,
        groups=groups.labels,
        score=total,
        se=se,
        z=z,
        chisq=z * z,
        df=1,
        p_value=float(2 * norm.sf(abs(z))),
        nobs=frame.nobs,
        n_dropped=frame.n_dropped + len(wd.dropped),
        n_clusters=m,
    )
