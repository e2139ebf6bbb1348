"""Scenarios from what a cohort observed (the default assumptions of ``mdsrs design``).

* ``os``: per arm, ``Surv(os_months, death)`` -- the Kaplan-Meier curve resampled
  (``os_model="km"``, the default), the exponential rate events / exposure
  (``"exponential"``), the piecewise-exponential occurrence/exposure rates between
  :data:`PIECE_BREAKS` (``"piecewise"``), or a Weibull fit per arm (``"weibull"``:
  ``survreg(Surv(os_months, death) ~ 1, dist = "weibull")`` on each arm).
* ``response``: each arm's observed responder proportion (``responder``).
* ``aml``: cause-specific hazards per arm, constant (events / exposure) -- AML
  (``aml = 1`` at ``aml_months``) and death without AML (``death = 1, aml = 0`` at
  ``os_months``), censored otherwise at ``os_months``, the ``aml`` endpoint's status rule.
* ``adverse_events``: each arm's observed distribution of the worst grade (0-5).

Every patient is accounted for: :class:`Fitted` carries, besides the scenario, the patients
used per arm and the reasons the others were left out.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .distributions import (
    Exponential,
    KaplanMeier,
    PiecewiseExponential,
    ProportionalHazards,
    Weibull,
)
from .scenarios import BinaryScenario, CompetingScenario, OrdinalScenario, SurvivalScenario

if TYPE_CHECKING:  # pragma: no cover
    from mdsrs_core.cohort import Cohort

__all__ = ["Fitted", "from_cohort", "OS_MODELS", "PIECE_BREAKS", "DESIGN_ENDPOINTS"]

#: the endpoints that can be planned, in the order of the report (and of the seed keys)
DESIGN_ENDPOINTS = ("os", "response", "aml", "adverse_events")
OS_MODELS = ("km", "exponential", "piecewise", "weibull")
#: interval limits (months) of the piecewise-exponential model
PIECE_BREAKS = (0.0, 12.0, 36.0, 60.0)
GRADES = (0, 1, 2, 3, 4, 5)


@dataclass
class Fitted:
    """A scenario estimated from a cohort: patients used per arm, exclusions with reasons."""

    scenario: Any
    used: dict[str, int]
    excluded: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)


def _events_exposure(time: np.ndarray, event: np.ndarray) -> float:
    exposure = float(np.sum(time))
    return float(np.sum(event)) / exposure if exposure > 0 else 0.0


def piecewise_rates(
    time: np.ndarray, event: np.ndarray, breaks: tuple[float, ...]
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Occurrence/exposure rates between ``breaks`` (events in the interval over the time
    spent in it). Intervals nobody reaches are dropped (the last rate goes on beyond)."""
    kept_b, rates = [], []
    edges = [*breaks, math.inf]
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        exposure = float(np.sum(np.clip(time, lo, hi) - lo))
        if exposure <= 0:
            break
        d = float(np.sum(event[(time > lo) & (time <= hi)]))
        kept_b.append(lo)
        rates.append(d / exposure)
    return tuple(kept_b), tuple(rates)


def _km(time: np.ndarray, event: np.ndarray) -> KaplanMeier:
    from mdsrs_core.models._survival_engine import kaplan_meier

    curve = kaplan_meier(time, event)
    at = curve.n_event > 0
    return KaplanMeier(
        tuple(float(t) for t in curve.time[at]),
        tuple(float(s) for s in curve.surv[at]),
        float(time.max()) if len(time) else 0.0,
        _events_exposure(time, event),
    )


def _weibull(time: np.ndarray, event: np.ndarray) -> Weibull:
    """One arm's Weibull fit, through ``mdsrs_core.models.survreg`` (R's ``survreg``)."""
    from mdsrs_core.models import survreg

    frame = pd.DataFrame({"time": time, "event": event})
    fit = survreg("Surv(time, event) ~ 1", data=frame, dist="weibull")
    tidy = fit.tidy()
    est = dict(zip(tidy["term"], tidy["estimate"].astype(float), strict=True))
    return Weibull(shape=1 / math.exp(est["Log(scale)"]), scale=math.exp(est["Intercept"]))


def _valid(data: pd.DataFrame, columns: dict[str, str]) -> tuple[pd.Series, pd.Series]:
    """Rows usable for the columns (``name -> "time"|"event"|"grade"|"binary"``), and the
    reason for each unusable row."""
    reason = pd.Series([None] * len(data), index=data.index, dtype=object)
    for name, kind in columns.items():
        if name not in data.columns:
            reason[reason.isna()] = f"no column {name}"
            continue
        x = pd.to_numeric(data[name], errors="coerce")
        if kind == "time":
            bad = ~(x >= 0) | ~np.isfinite(x.fillna(-1))
            why = f"{name} missing or not a time >= 0"
        elif kind in ("event", "binary"):
            bad = ~x.isin([0, 1])
            why = f"{name} missing or not 0/1"
        else:
            bad = ~x.isin(GRADES)
            why = f"{name} missing or not a grade 0-5"
        reason[bad & reason.isna()] = why
    return reason.isna(), reason


def _split(cohort: Cohort, columns: dict[str, str]) -> tuple[dict[str, pd.DataFrame], Counter]:
    data = cohort.data
    ok, reason = _valid(data, columns)
    excluded = Counter((str(a), r) for a, r in zip(data["arm"], reason, strict=True) if r)
    from mdsrs_core.frames import in_arm

    per_arm = {a: data[ok & in_arm(data["arm"], a)] for a in cohort.arms}
    return per_arm, excluded


def from_cohort(
    cohort: Cohort,
    endpoint: str,
    *,
    os_model: str = "km",
    hazard_ratio: float | None = None,
    response_rates: tuple[float, float] | None = None,
    ae_test: str = "wilcoxon",
) -> Fitted:
    """The scenario of ``endpoint`` (one of :data:`DESIGN_ENDPOINTS`) from ``cohort``.

    Stated effects replace the observed ones: ``hazard_ratio`` makes the other arm's OS the
    reference arm's fitted survival under proportional hazards, ``S_ref(t)^HR``
    (:class:`~.distributions.ProportionalHazards`); ``response_rates`` = (reference, other)
    gives the responder probabilities. ``ae_test``: ``"wilcoxon"`` or ``"clm"`` (the
    proportional-odds Wald test) for the worst AE grade.
    """
    from mdsrs_core.errors import StudyError

    arms = tuple(str(a) for a in cohort.arms)
    if len(arms) != 2:
        raise StudyError(f"Trial design compares two arms; the cohort has {len(arms)}.")
    arms2: tuple[str, str] = (arms[0], arms[1])
    notes: list[str] = []
    if endpoint == "os":
        if os_model not in OS_MODELS:
            raise StudyError(f"OS model {os_model!r}: choose one of {', '.join(OS_MODELS)}.")
        per_arm, excluded = _split(cohort, {"os_months": "time", "death": "event"})
        dists: list[Any] = []
        for a in arms:
            t = per_arm[a]["os_months"].to_numpy(float)
            e = per_arm[a]["death"].to_numpy(float)
            if os_model == "km":
                dists.append(_km(t, e))
            elif os_model == "exponential":
                dists.append(Exponential(_events_exposure(t, e)))
            elif os_model == "piecewise":
                dists.append(PiecewiseExponential(*piecewise_rates(t, e, PIECE_BREAKS)))
            else:
                from mdsrs_core.errors import ModelError

                try:
                    dists.append(_weibull(t, e))
                except ModelError as exc:
                    raise StudyError(
                        f"OS model weibull: arm {a} cannot be fitted ({exc}); "
                        "use --os-model km or exponential."
                    ) from None
        source = f"cohort ({os_model})"
        if hazard_ratio is not None:
            dists[1] = ProportionalHazards(dists[0], float(hazard_ratio))
            source += f", {arms[1]} by an assumed hazard ratio {hazard_ratio:g}"
        scenario: Any = SurvivalScenario(arms2, (dists[0], dists[1]), source=source)
    elif endpoint == "aml":
        cols = {"aml": "event", "aml_months": "time", "death": "event", "os_months": "time"}
        per_arm, excluded = _split(cohort, cols)
        c1, c2 = [], []
        for a in arms:
            d = per_arm[a]
            aml = d["aml"].to_numpy(float) == 1
            death = (d["death"].to_numpy(float) == 1) & ~aml
            time = np.where(aml, d["aml_months"].to_numpy(float), d["os_months"].to_numpy(float))
            c1.append(Exponential(_events_exposure(time, aml.astype(float))))
            c2.append(Exponential(_events_exposure(time, death.astype(float))))
        scenario = CompetingScenario(arms2, (c1[0], c1[1]), (c2[0], c2[1]), source="cohort")
    elif endpoint == "response":
        per_arm, excluded = _split(cohort, {"responder": "binary"})
        p = [float(per_arm[a]["responder"].astype(float).mean()) for a in arms]
        source = "cohort"
        if response_rates is not None:
            p = [float(response_rates[0]), float(response_rates[1])]
            source = "assumed responder probabilities"
        scenario = BinaryScenario(arms2, (p[0], p[1]), source=source)
    elif endpoint == "adverse_events":
        per_arm, excluded = _split(cohort, {"ae_max_grade": "grade"})
        probs = []
        for a in arms:
            g = per_arm[a]["ae_max_grade"].astype(float)
            probs.append(tuple(float((g == k).mean()) if len(g) else 0.0 for k in GRADES))
        scenario = OrdinalScenario(
            arms2, GRADES, (probs[0], probs[1]), source="cohort", method=ae_test
        )
    else:
        raise StudyError(
            f"Trial design: endpoint {endpoint!r} cannot be planned; "
            f"choose from {', '.join(DESIGN_ENDPOINTS)}."
        )
    used = {a: int(len(per_arm[a])) for a in arms}
    empty = [a for a, k in used.items() if k == 0]
    if endpoint == "os" and hazard_ratio is not None:
        empty = [a for a in empty if a == arms[0]]
        used.pop(arms[1])  # the other arm is the reference arm's under the stated ratio
    if endpoint == "response" and response_rates is not None:
        empty, used = [], {}  # stated, not estimated
    if empty:
        raise StudyError(
            f"Trial design, endpoint {endpoint}: no patient of arm {', '.join(empty)} has the "
            "data it needs; state the assumptions instead (Python API: scenarios=...)."
        )
    return Fitted(scenario, used, excluded, notes)
