"""The study's ``[adjust]`` table (or ``--adjust`` on the command line), checked.

::

    [adjust]
    formula = "arm ~ age + sex + ipssr_base_score + transfusion_dependent"
    method = "iptw"      # iptw (ATE, stabilised) | att | overlap | match
    stabilize = true     # iptw only
    trim = 0.05          # optional: no weight outside [trim, 1 - trim] (weighting only)
    caliper = 0.2        # match only: SDs of the logit of the score

Import-light (no pandas): the study file and the command line check it before any data
are read. Errors are :class:`~mdsrs_core.errors.StudyError` naming the key and the rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mdsrs_core.errors import StudyError

__all__ = ["AdjustSpec", "METHOD_LABELS", "adjust_spec"]

#: method -> how the report names the adjusted analysis
METHOD_LABELS = {
    "iptw": "IPTW (ATE, stabilised weights)",
    "att": "ATT weights",
    "overlap": "overlap weights (ATO)",
    "match": "1:1 PS matching (ATT)",
}
KEYS = ("formula", "method", "stabilize", "trim", "caliper")


@dataclass(frozen=True)
class AdjustSpec:
    """A checked ``[adjust]`` table."""

    formula: str
    method: str = "iptw"
    stabilize: bool = True
    trim: float | None = None
    caliper: float | None = 0.2

    @property
    def label(self) -> str:
        """``"adjusted: IPTW (ATE, stabilised weights)"``..."""
        text = METHOD_LABELS[self.method]
        if self.method == "iptw" and not self.stabilize:
            text = "IPTW (ATE, unstabilised weights)"
        if self.trim is not None and self.method != "match":
            text += f", PS trimmed to [{self.trim:g}, {1 - self.trim:g}]"
        if self.method == "match":
            text += (
                f", caliper {self.caliper:g} SD of the logit" if self.caliper else ", no caliper"
            )
        return f"adjusted: {text}"


def _number(where: str, key: str, value: Any, low: float, high: float | None) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not ok or value <= low or (high is not None and value >= high):
        bound = f"between {low:g} and {high:g}" if high is not None else f"above {low:g}"
        raise StudyError(f"{where} {key} must be a number {bound}, not {value!r}.")
    return float(value)


def adjust_spec(table: Any, where: str = "[adjust]") -> AdjustSpec:
    """Check an ``[adjust]`` table (a dict) and return the :class:`AdjustSpec`."""
    if not isinstance(table, dict):
        raise StudyError(f"{where} must be a table of settings (formula, method...).")
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise StudyError(
            f"{where}: unknown key{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
            f"known: {', '.join(KEYS)}."
        )
    formula = table.get("formula")
    if not isinstance(formula, str) or "~" not in formula:
        raise StudyError(
            f'{where} needs formula = "arm ~ covariates" (the propensity model), not {formula!r}.'
        )
    lhs = formula.split("~", 1)[0].strip()
    if lhs != "arm":
        raise StudyError(
            f"{where} formula {formula!r}: the left of '~' must be arm (the propensity model "
            "predicts the arm)."
        )
    if not formula.split("~", 1)[1].strip() or formula.split("~", 1)[1].strip() == "1":
        raise StudyError(f"{where} formula {formula!r} has no covariates on the right of '~'.")
    from mdsrs_core.errors import FormulaError
    from mdsrs_core.formula_check import check_formula

    try:
        check_formula(formula)
    except FormulaError as exc:
        raise StudyError(f"{where} formula: {exc}") from None
    method = table.get("method", "iptw")
    if method not in METHOD_LABELS:
        raise StudyError(
            f"{where} method must be one of {', '.join(METHOD_LABELS)}, not {method!r}."
        )
    stabilize = table.get("stabilize", True)
    if not isinstance(stabilize, bool):
        raise StudyError(f"{where} stabilize must be true or false, not {stabilize!r}.")
    trim = table.get("trim")
    if trim is not None:
        if method == "match":
            raise StudyError(f"{where} trim applies to weighting, not to method = 'match'.")
        trim = _number(where, "trim", trim, 0.0, 0.5)
    caliper = table.get("caliper", 0.2)
    if "caliper" in table and method != "match":
        raise StudyError(f"{where} caliper applies to method = 'match' only.")
    if caliper is not None:
        caliper = _number(where, "caliper", caliper, 0.0, None)
    return AdjustSpec(formula.strip(), method, stabilize, trim, caliper)
