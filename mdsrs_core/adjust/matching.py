"""Greedy nearest-neighbour matching on the logit of the propensity score, as MatchIt's.

``match("arm ~ age + sex", data, caliper=0.2, ratio=1)`` reproduces
``MatchIt::matchit(arm ~ age + sex, data, method = "nearest", distance = "glm",
link = "linear.logit", caliper = 0.2, ratio = 1, replace = FALSE)`` (MatchIt >= 4):

* the distance is the linear predictor of the logistic propensity model,
  ``logit(ps)`` (Rosenbaum & Rubin 1985, *Am Stat* 39:33-38; Austin 2011, *Pharm Stat*
  10:150-161, recommends a caliper of 0.2 SD of the logit);
* the caliper is in standard deviations of the distance (``std.caliper = TRUE``):
  ``caliper * sd(distance)``, the SD (n - 1) over every patient with a score, both arms;
* treated patients (the non-reference arm; the ATT) are matched one at a time in
  descending order of distance (``m.order = "largest"``, ties in data order), each to the
  closest control not yet used whose distance lies within the caliper; a treated patient
  with none is left unmatched (1:1 only: ``ratio`` other than 1 is refused, as 1:k
  matching is not checked against MatchIt);
* ``subclass`` numbers the matched sets 1, 2, ... in the data order of their treated
  patient (MatchIt's ``subclass``); matched patients have weight 1, the others 0.

Two controls at exactly the same distance from a treated patient go to the one first in
the data (MatchIt's C++ routine scans controls in data order). References: Stuart (2010)
*Stat Sci* 25:1-21; Ho, Imai, King & Stuart (2011) *J Stat Softw* 42(8).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mdsrs_core.errors import FormulaError

from .score import _Adjustment, fit_score

__all__ = ["MatchResult", "match"]


class MatchResult(_Adjustment):
    """A matched set (see :func:`match`): ``subclass``, ``weights``, ``matched``."""

    method = "match"
    estimand = "ATT"

    def __init__(self, formula, model, frame, treated, levels, caliper, ratio):
        super().__init__(formula, model, frame, treated, levels)
        self.caliper = caliper
        self.ratio = ratio
        distance = self.linear_ps
        ok = distance.notna().to_numpy()
        d = distance.to_numpy()[ok]
        z = self.treated.to_numpy()[ok] == 1
        #: the caliper on the distance scale (``caliper * sd(distance)``), or None
        self.caliper_width = (
            float(caliper * np.std(d, ddof=1)) if caliper is not None and d.size > 1 else None
        )
        pair = _nearest(d, z, self.caliper_width)
        sets = np.full(len(frame), np.nan)
        sets[ok] = pair
        subclass = pd.Series(sets, index=frame.index, name="subclass")
        #: matched-set number per row (NaN when unmatched or without a score)
        self.subclass = subclass
        w = np.full(len(frame), np.nan)
        w[ok] = np.where(np.isnan(pair), 0.0, 1.0)
        weights = pd.Series(w, index=frame.index, name="weight")
        #: 1 for a matched patient, 0 for an unmatched one, NaN without a score
        self.weights = weights

    @property
    def matched(self) -> pd.Series:
        """True for the patients in the matched set."""
        return self.subclass.notna()

    @property
    def unmatched(self) -> pd.Index:
        """Rows with a score that found no match."""
        return self.ps.index[self.ps.notna() & self.subclass.isna()]

    @property
    def n_pairs(self) -> int:
        return int(self.subclass.nunique())

    def __repr__(self) -> str:
        return (
            f"<MatchResult {self.formula!r} 1:{self.ratio}, caliper={self.caliper}, "
            f"sets={self.n_pairs}, unmatched={len(self.unmatched)}, missing={self.n_missing}>"
        )


def _nearest(d: np.ndarray, z: np.ndarray, width: float | None) -> np.ndarray:
    """Matched-set number per unit (NaN unmatched): greedy, without replacement."""
    treated = np.flatnonzero(z)
    controls = np.flatnonzero(~z)
    order = treated[np.argsort(-d[treated], kind="stable")]
    free = np.ones(len(controls), dtype=bool)
    partner: dict[int, list[int]] = {int(t): [] for t in treated}
    for t in order:
        if not free.any():
            break
        gap = np.abs(d[controls] - d[t])
        ok = free.copy()
        if width is not None:
            ok &= gap <= width
        if not ok.any():
            continue
        cand = np.flatnonzero(ok)
        j = cand[np.argmin(gap[cand])]  # first minimum = first in data order
        free[j] = False
        partner[int(t)].append(int(controls[j]))
    out = np.full(len(d), np.nan)
    number = 0
    for t in treated:  # data order of the treated unit
        if partner[int(t)]:
            number += 1
            out[t] = number
            out[partner[int(t)]] = number
    return out


def match(formula: str, data: Any, caliper: float | None = 0.2, ratio: int = 1) -> MatchResult:
    """1:``ratio`` nearest-neighbour matching without replacement on the logit of the
    propensity score, within ``caliper`` SDs of it (``None``: no caliper); see the module
    docstring for the exact rules (MatchIt's)."""
    if caliper is not None and not (
        isinstance(caliper, (int, float)) and not isinstance(caliper, bool) and caliper > 0
    ):
        raise FormulaError(f"caliper must be a number above 0 (SDs of the logit), not {caliper!r}.")
    if ratio != 1 or isinstance(ratio, bool):
        raise FormulaError(
            f"ratio = {ratio!r}: only 1:1 matching is available (it is the one checked against "
            "MatchIt); use weights (method = 'att') for a 1:many comparison."
        )
    model, frame, treated, levels = fit_score(formula, data)
    return MatchResult(formula, model, frame, treated, levels, caliper, ratio)
