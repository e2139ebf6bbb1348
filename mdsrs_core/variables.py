"""The canonical cohort variables (CONTRACT.md), their units, values and plausible ranges.

Users map their own column names onto these names; everything downstream (endpoints,
formulas, records) uses the canonical names only. Plausible ranges exist to catch unit
mistakes (hemoglobin in g/L, platelets per microlitre) before they become wrong numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Variable", "VARIABLES", "variable", "SURVIVAL_PAIRS", "RESPONSE_LEVELS", "CYTO_LEVELS"]

RESPONSE_LEVELS = ("CR", "PR", "mCR", "HI", "SD", "PD")
#: IWG 2006 responses counted as a response (Cheson et al., Blood 2006;108:419).
RESPONDER_LEVELS = ("CR", "PR", "mCR", "HI")
CYTO_LEVELS = ("very good", "good", "intermediate", "poor", "very poor")


@dataclass(frozen=True)
class Variable:
    """One canonical variable.

    ``kind`` is one of ``id``, ``arm``, ``numeric``, ``grade``, ``event``, ``time``,
    ``category``. ``low``/``high`` bound plausible values (inclusive) and ``unit_hint``
    says what an out-of-range value most likely means.
    """

    name: str
    label: str
    kind: str
    unit: str = ""
    low: float | None = None
    high: float | None = None
    unit_hint: str = ""
    levels: tuple[str, ...] = field(default=())


def _lab(name: str, label: str, unit: str, low: float, high: float, hint: str) -> Variable:
    return Variable(name, label, "numeric", unit, low, high, hint)


_HGB_HINT = "values above 25 look like g/L: divide by 10"
_PLT_HINT = "values in the thousands look like counts per microlitre: divide by 1000"
_ANC_HINT = "values in the hundreds or thousands look like counts per microlitre: divide by 1000"

VARIABLES: dict[str, Variable] = {
    v.name: v
    for v in [
        Variable("patient_id", "Patient", "id"),
        Variable("arm", "Treatment arm", "arm"),
        Variable("age", "Age", "numeric", "years", 0, 120, "age is in years at treatment start"),
        Variable("sex", "Sex", "category", levels=("F", "M")),
        _lab("hgb_base", "Hemoglobin before treatment", "g/dL", 2, 25, _HGB_HINT),
        _lab("hgb_post", "Hemoglobin after treatment", "g/dL", 2, 25, _HGB_HINT),
        _lab("plt_base", "Platelets before treatment", "x10^9/L", 0, 2000, _PLT_HINT),
        _lab("plt_post", "Platelets after treatment", "x10^9/L", 0, 2000, _PLT_HINT),
        _lab("anc_base", "Neutrophils (ANC) before treatment", "x10^9/L", 0, 100, _ANC_HINT),
        _lab("anc_post", "Neutrophils (ANC) after treatment", "x10^9/L", 0, 100, _ANC_HINT),
        _lab("bm_blast_base", "Marrow blasts before treatment", "%", 0, 100,
             "blasts are a percentage from 0 to 100"),
        _lab("bm_blast_post", "Marrow blasts after treatment", "%", 0, 100,
             "blasts are a percentage from 0 to 100"),
        Variable("cyto_base", "IPSS-R cytogenetic group before treatment", "category",
                 levels=CYTO_LEVELS),
        Variable("cyto_post", "IPSS-R cytogenetic group after treatment", "category",
                 levels=CYTO_LEVELS),
        Variable("response", "Best response (IWG 2006)", "category", levels=RESPONSE_LEVELS),
        Variable("ae_max_grade", "Worst adverse-event grade (CTCAE)", "grade", "", 0, 5,
                 "CTCAE grades are whole numbers from 0 (none) to 5 (death)"),
        Variable("aml", "Transformation to AML", "event"),
        Variable("aml_months", "Time to AML or last follow-up", "time", "months", 0, 600,
                 "times are durations in months, not dates"),
        Variable("death", "Death from any cause", "event"),
        Variable("os_months", "Time to death or last follow-up", "time", "months", 0, 600,
                 "times are durations in months, not dates"),
    ]
}

#: (event, time) pairs: both present or both missing on a row.
SURVIVAL_PAIRS = (("death", "os_months"), ("aml", "aml_months"))


def variable(name: str) -> Variable | None:
    """The canonical variable called ``name``, or ``None``."""
    return VARIABLES.get(name)
