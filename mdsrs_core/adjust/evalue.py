"""E-values: how strong unmeasured confounding would have to be to explain an effect away.

VanderWeele & Ding (2017), *Ann Intern Med* 167:268-274. For a risk ratio RR > 1,
``E = RR + sqrt(RR (RR - 1))``; an RR < 1 is inverted first. The E-value of a confidence
interval is that of the limit closer to 1, and 1 when the interval contains 1.

Odds and hazard ratios are first put on the risk-ratio scale (VanderWeele & Ding 2017,
table; VanderWeele 2020, *Biometrics* 76:746-752):

* outcome rare (< 15% at the end of follow-up): OR and HR approximate the RR, used as is;
* outcome common: ``RR ~ sqrt(OR)`` for an odds ratio, and for a hazard ratio
  ``RR ~ (1 - 0.5^sqrt(HR)) / (1 - 0.5^sqrt(1 / HR))``.

These are the formulas of the R package EValue (``evalues.OR``, ``evalues.HR`` with
``rare = FALSE``/``TRUE``). mdsrs decides "rare" from the observed outcome proportion in
the analysed patients (below 15%), and records the choice.
"""

from __future__ import annotations

import math

__all__ = ["RARE_THRESHOLD", "evalue_rr", "to_rr", "evalues"]

#: outcome proportion below which an OR or HR is taken as a risk ratio (VanderWeele & Ding)
RARE_THRESHOLD = 0.15


def evalue_rr(rr: float) -> float:
    """E-value of a risk ratio (point estimate): ``RR + sqrt(RR (RR - 1))``, RR >= 1."""
    if rr is None or not math.isfinite(rr) or rr <= 0:
        return math.nan
    if rr < 1:
        rr = 1 / rr
    return rr + math.sqrt(rr * (rr - 1))


def to_rr(value: float, measure: str, rare: bool) -> float:
    """An OR or HR on the risk-ratio scale (see the module docstring); RR unchanged."""
    if value is None or not math.isfinite(value) or value <= 0:
        return math.nan
    if rare or measure == "RR":
        return value
    if measure == "OR":
        return math.sqrt(value)
    if measure == "HR":
        return (1 - 0.5 ** math.sqrt(value)) / (1 - 0.5 ** math.sqrt(1 / value))
    raise ValueError(f"measure must be RR, OR or HR, not {measure!r}")


def evalues(
    estimate: float, conf_low: float, conf_high: float, measure: str, rare: bool
) -> dict[str, float]:
    """E-values of an estimate and of its CI: ``{"estimate", "conf_limit"}`` (the limit
    closer to 1; 1 when the interval includes 1), as EValue's ``evalues.OR/HR/RR``."""
    rr = to_rr(estimate, measure, rare)
    lo, hi = to_rr(conf_low, measure, rare), to_rr(conf_high, measure, rare)
    point = evalue_rr(rr)
    if not all(math.isfinite(v) for v in (rr, lo, hi)):
        limit = math.nan
    elif lo <= 1 <= hi:
        limit = 1.0
    else:
        limit = evalue_rr(lo if rr > 1 else hi)
    return {"estimate": point, "conf_limit": limit}
