"""Test of proportional hazards, mirroring R's ``survival::cox.zph`` (survival 3.x).

Grambsch & Therneau (1994): if the effect of covariate j changes with time as
``beta_j(t) = beta_j + theta_j g(t)``, the scaled Schoenfeld residuals trend with g(t).
survival 3.0 and later test ``theta = 0`` with a *score test* in the model extended by
the p covariates ``g(t) x``, evaluated at ``(beta_hat, 0)``, using the full 2p x 2p
information matrix -- not the older approximation through the correlation of the scaled
residuals with time (survival 2.x). This module computes exactly what ``cox.zph`` and its
C routine ``zph1`` compute:

* ``g(t)``: with ``transform="km"`` (the default), ``1 - S(t-)`` where S is the
  Kaplan-Meier estimate of all rows pooled (strata ignored), left-continuous; ``"rank"``,
  ``"identity"`` and ``"log"`` as in R; then centred at its mean over the events;
* at each event time, with the risk weights ``exp(eta)`` of the fitted model, the weighted
  mean ``xbar(t)`` and covariance ``V(t)`` of x over the risk set (Efron's or Breslow's
  handling of ties, as the fit used); the score
  ``U_theta = sum_events g(t) (x_i - xbar(t))`` and the information blocks
  ``I = sum V``, ``I_g = sum g V``, ``I_gg = sum g^2 V``;
* per term (``terms = TRUE``: the columns of a factor form one term) the statistic
  ``u' I_k^{-1} u`` with ``u = (0, U_theta[term])`` and ``I_k`` the rows/columns of the
  beta block plus that term's theta block, chi-square on the term's number of columns;
  ``GLOBAL`` the same with all theta at once (df = p).

The scaled Schoenfeld residuals that ``plot(cox.zph(fit))`` draws are returned too
(R's ``$y``, ``$x`` and ``$time``).

References: Grambsch P.M., Therneau T.M. (1994). Proportional hazards tests and diagnostics
based on weighted residuals. Biometrika 81(3):515-526. Therneau T.M., Grambsch P.M. (2000).
Modeling Survival Data: Extending the Cox Model. Springer, ch. 6.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mdsrs_core.errors import ModelError

__all__ = ["CoxZphResults", "cox_zph", "term_assign"]

TRANSFORMS = ("km", "rank", "identity", "log")


def term_assign(columns: list[str]) -> dict[str, list[int]]:
    """Group design columns into formula terms, as R's ``fit$assign``: ``celltype[T.large]``
    and ``celltype[T.smallcell]`` belong to the term ``celltype``."""
    groups: dict[str, list[int]] = {}
    for j, col in enumerate(columns):
        groups.setdefault(re.sub(r"\[[^\]]*\]", "", col), []).append(j)
    return groups


@dataclass
class _ZphScore:
    u: np.ndarray  # 2p score: beta part (about 0 at the MLE), theta part
    imat: np.ndarray  # 2p x 2p information matrix
    schoen: np.ndarray  # (events, p) Schoenfeld residuals, sorted by (stratum, time)
    used: np.ndarray  # (strata, p) events in the stratum when x_j varies in it, else 0
    event_rows: np.ndarray  # row indices (original order) of the events, same order


class CoxZphResults:
    """``cox.zph`` of a fitted Cox model: the test table and the scaled residuals."""

    def __init__(
        self,
        terms: list[str],
        chisq: np.ndarray,
        df: np.ndarray,
        transform: str,
        residuals: pd.DataFrame,
        ties: str,
    ) -> None:
        from mdsrs_core.stats.distributions import chi2

        self.terms = terms
        self.chisq = np.asarray(chisq, dtype=float)
        self.df = np.asarray(df, dtype=int)
        self.p_value = chi2.sf(self.chisq, self.df)
        self.transform = transform
        self.ties = ties
        #: scaled Schoenfeld residuals, one row per event: ``time`` (R's ``$time``),
        #: ``x`` (transformed time, R's ``$x``), ``strata`` and one column per term (``$y``)
        self.residuals = residuals

    def table(self) -> pd.DataFrame:
        """``term, chisq, df, p_value``: one row per term and the ``GLOBAL`` row (R's
        ``$table``)."""
        return pd.DataFrame(
            {
                "term": [*self.terms, "GLOBAL"],
                "chisq": self.chisq,
                "df": self.df,
                "p_value": self.p_value,
            }
        )

    def tidy(self) -> pd.DataFrame:
        """Same as :meth:`table` (the name other models use for their main table)."""
        return self.table()

    def __str__(self) -> str:
        tab = self.table().set_index("term")
        tab.index.name = None
        tab.columns = ["chisq", "df", "p"]
        return tab.to_string(float_format=lambda v: f"{v:.4g}")

    def __repr__(self) -> str:
        return f"<CoxZphResults transform={self.transform!r}, terms={self.terms}>"


def _transform_time(time: np.ndarray, event: np.ndarray, transform: str) -> np.ndarray:
    if transform == "identity":
        return time.copy()
    if transform == "log":
        return np.log(time)
    if transform == "rank":
        from mdsrs_core.stats.distributions import rankdata

        return rankdata(time)  # average ranks, as R's rank()
    if transform == "km":
        from mdsrs_core.models._survival_engine import kaplan_meier

        km = kaplan_meier(time, event)
        # 1 - S(t-): the number of curve times strictly below t picks S just before t
        indx = np.searchsorted(km.time, time, "left")
        return 1.0 - np.concatenate([[1.0], km.surv])[indx]
    raise ModelError(f"transform must be one of {', '.join(TRANSFORMS)}, not {transform!r}.")


def _tail(blocks: np.ndarray) -> np.ndarray:
    """Sums of ``blocks`` from each one to the last (a running sum from the end)."""
    return np.cumsum(blocks[::-1])[::-1]


def _zph_score(
    gtime: np.ndarray,
    time: np.ndarray,
    event: np.ndarray,
    x: np.ndarray,
    eta: np.ndarray,
    strata: np.ndarray | None,
    efron: bool,
) -> _ZphScore:
    """R's C routine ``zph1``: the score and information of the extended model at
    ``(beta_hat, 0)``, and the Schoenfeld residuals (``strata`` None: one stratum)."""
    n, p = x.shape
    centre = x.mean(axis=0)  # covariates recentred, as zph1 does (changes only rounding)
    shift = eta.max()  # a common factor of the risk scores cancels in every ratio
    # by stratum, then time (stable: tied times in row order); one stratum: by time
    order = np.argsort(time, kind="stable") if strata is None else np.lexsort((time, strata))
    u = np.zeros(2 * p)
    imat = np.zeros((2 * p, 2 * p))
    schoen_rows: list[np.ndarray] = []
    event_rows: list[np.ndarray] = []
    ustrata = np.zeros(1, dtype=np.int64) if strata is None else np.unique(strata)
    used = np.zeros((len(ustrata), p))
    pairs = [(j, k) for j in range(p) for k in range(p)]
    for si, s in enumerate(ustrata):
        rows = order if strata is None else order[strata[order] == s]
        xs = x[rows]
        xs -= centre
        es = event[rows]
        varies = (xs != xs[0]).any(axis=0)
        used[si] = np.where(varies, es.sum(), 0.0)
        dead = np.flatnonzero(es == 1)
        del es
        if len(dead) == 0:
            continue
        ts = time[rows]
        # the distinct event times, each with its deaths (rows sorted by time), and the
        # first row at each time: the risk set of a time is that row and all after it
        times, starts, counts = np.unique(ts[dead], return_index=True, return_counts=True)
        first = np.searchsorted(ts, times, "left")
        del ts
        rs = np.exp(eta[rows] - shift)
        rx = xs * rs[:, None]
        # risk-set sums at each event time: sums over the blocks of rows between
        # consecutive event times, accumulated from the last block backwards (no
        # n-length running sums are kept: 10^6 rows hold a few columns at a time)
        d0 = np.add.reduceat(rs[dead], starts)
        tail0 = _tail(np.add.reduceat(rs, first))
        del rs
        tail1 = np.empty((len(times), p))
        d1 = np.empty((len(times), p))
        for j in range(p):
            tail1[:, j] = _tail(np.add.reduceat(rx[:, j], first))
            d1[:, j] = np.add.reduceat(rx[dead, j], starts)
        tail2 = np.empty((len(times), p, p))
        d2 = np.empty((len(times), p, p))
        for j, k in pairs:
            rxx = xs[:, j] * rx[:, k]
            tail2[:, j, k] = _tail(np.add.reduceat(rxx, first))
            d2[:, j, k] = np.add.reduceat(rxx[dead], starts)
        del rx, rxx
        g = gtime[rows[dead[starts]]]
        xdead = xs[dead]
        del xs
        xsum = np.add.reduceat(xdead, starts, axis=0)
        u[:p] += xsum.sum(axis=0)
        u[p:] += g @ xsum
        # one term per death: Efron's fraction j/d of the tied deaths' risk taken out for
        # the j-th of d (Breslow: none)
        group = np.repeat(np.arange(len(times)), counts)
        if efron:
            f = (np.arange(len(dead)) - starts[group]) / counts[group]
        else:
            f = np.zeros(len(dead))
        den = tail0[group] - f * d0[group]
        a = (tail1[group] - f[:, None] * d1[group]) / den[:, None]
        gd = g[group]
        u[:p] -= a.sum(axis=0)
        u[p:] -= gd @ a
        # the information of each death, one (j, k) entry at a time
        for j, k in pairs:
            v = (tail2[group, j, k] - f * d2[group, j, k]) / den - a[:, j] * a[:, k]
            imat[j, k] += v.sum()
            imat[j, p + k] += gd @ v
            imat[p + j, p + k] += (gd * gd) @ v
        mean = np.add.reduceat(a, starts, axis=0) / counts[:, None]
        schoen_rows.append(xdead - mean[group])
        event_rows.append(rows[dead])
    imat[p:, :p] = imat[:p, p:].T
    schoen = np.vstack(schoen_rows) if schoen_rows else np.zeros((0, p))
    rows_of_events = np.concatenate(event_rows) if event_rows else np.zeros(0, dtype=np.int64)
    return _ZphScore(u, imat, schoen, used, rows_of_events)


def _scaled_residuals(
    score: _ZphScore,
    assign: dict[str, list[int]],
    coef: np.ndarray,
) -> np.ndarray:
    """R's ``cox.zph(..., terms = TRUE)$y``: Schoenfeld residuals scaled by the inverse of
    the average information per event, plus the coefficient."""
    p = len(coef)
    used = score.used.copy()
    for cols in assign.values():
        if len(cols) > 1 and (used[:, cols] == 0).any():
            used[:, cols] = used[:, cols].max(axis=1, keepdims=True)
    wtmat = np.zeros((p, p))
    for row in used:
        wtmat += np.minimum.outer(row, row)
    vmean = score.imat[:p, :p] / np.where(wtmat == 0, 1.0, wtmat)
    sresid = score.schoen
    if any(len(c) > 1 for c in assign.values()):
        temp = np.zeros((p, len(assign)))
        for i, cols in enumerate(assign.values()):
            temp[cols, i] = 1.0 if len(cols) == 1 else coef[cols]
        sresid = sresid @ temp
        vmean = temp.T @ vmean @ temp
        used = used[:, [cols[0] for cols in assign.values()]]
    sresid = sresid.astype(float).copy()
    group = np.repeat(np.arange(len(used)), used.max(axis=1).astype(int))
    for i, row in enumerate(used):
        k = np.flatnonzero(row > 0)
        if len(k) == 0:
            continue
        j = np.flatnonzero(group == i)
        rest = np.setdiff1d(np.arange(sresid.shape[1]), k)
        sresid[np.ix_(j, k)] = np.linalg.solve(vmean[np.ix_(k, k)], sresid[np.ix_(j, k)].T).T
        sresid[np.ix_(j, rest)] = np.nan
    for i, cols in enumerate(assign.values()):
        sresid[:, i] += coef[cols[0]] if len(cols) == 1 else 1.0
    return sresid


def cox_zph(
    fit: Any, data: Any = None, transform: str = "km", *, ties: str = "efron"
) -> CoxZphResults:
    """Test proportional hazards, as R's ``cox.zph(fit, transform, terms = TRUE)``.

    Returns a :class:`CoxZphResults`; ``.table()`` has one row per term and ``GLOBAL``
    (``chisq``, ``df``, ``p_value``), ``.residuals`` the scaled Schoenfeld residuals.

    Parameters
    ----------
    fit:
        A fitted :func:`~mdsrs_core.models.coxph` model -- or a formula, then ``data`` is
        required and the model is fitted first (with ``ties``), so that
        ``models.fit("cox_zph", formula, data)`` works.
    transform:
        ``"km"`` (R's default), ``"rank"``, ``"identity"`` or ``"log"``.
    """
    from mdsrs_core.models.coxph import CoxphResults, coxph

    if isinstance(fit, str):
        if data is None:
            raise ModelError("cox_zph(formula, data): give the data to fit the Cox model on.")
        fit = coxph(fit, data, ties=ties)
    if not isinstance(fit, CoxphResults):
        raise ModelError("cox_zph needs the result of coxph() (or a formula and data).")
    if transform not in TRANSFORMS:
        raise ModelError(f"transform must be one of {', '.join(TRANSFORMS)}, not {transform!r}.")
    mf = fit.model_frame
    time = np.asarray(mf.time, dtype=float)
    event = np.asarray(mf.event)  # 0/1, read as it is (no float copy of every row)
    x = mf.design[fit.terms].to_numpy(dtype=float)
    strata = None if fit._strata is None else np.asarray(fit._strata)
    ttimes = _transform_time(time, event, transform)
    gtime = ttimes - ttimes[event == 1].mean()
    score = _zph_score(
        gtime,
        time,
        event,
        x,
        np.asarray(fit.fit.linear_predictor, float),
        strata,
        efron=(fit.ties == "efron"),
    )
    p = len(fit.terms)
    assign = term_assign(fit.terms)
    chisq, df = [], []
    for cols in assign.values():
        kk = list(range(p)) + [p + j for j in cols]
        u = np.concatenate([np.zeros(p), score.u[[p + j for j in cols]]])
        chisq.append(float(u @ np.linalg.solve(score.imat[np.ix_(kk, kk)], u)))
        df.append(len(cols))
    u = np.concatenate([np.zeros(p), score.u[p:]])
    chisq.append(float(u @ np.linalg.solve(score.imat, u)))
    df.append(p)
    sres = _scaled_residuals(score, assign, np.asarray(fit.estimate, dtype=float))
    rows = score.event_rows
    residuals = pd.DataFrame({"time": time[rows], "x": ttimes[rows]})
    if mf.strata is not None:
        residuals["strata"] = mf.strata.to_numpy()[rows]
    for i, term in enumerate(assign):
        residuals[term] = sres[:, i]
    return CoxZphResults(
        list(assign), np.array(chisq), np.array(df), transform, residuals, fit.ties
    )
