"""The canonical cohort variables (CONTRACT.md), their units, values and plausible ranges.

Users map their own column names onto these names; everything downstream (endpoints,
formulas, records) uses the canonical names only. Plausible ranges exist to catch unit
mistakes (hemoglobin in g/L, platelets per microlitre) before they become wrong numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = [
    "Variable",
    "VARIABLES",
    "variable",
    "SURVIVAL_PAIRS",
    "RESPONSE_LEVELS",
    "CYTO_LEVELS",
    "CYTO_SYNONYMS",
    "LEVEL_SEPARATORS",
    "level_key",
]

RESPONSE_LEVELS = ("CR", "PR", "mCR", "HI", "SD", "PD")
#: IWG 2006 responses counted as a response (Cheson et al., Blood 2006;108:419).
RESPONDER_LEVELS = ("CR", "PR", "mCR", "HI")
CYTO_LEVELS = ("very good", "good", "intermediate", "poor", "very poor")

#: Runs of characters that separate the words of a level label: spaces, underscores, hyphens
#: and dots ("Very-Good", "very_good", "v. good").
LEVEL_SEPARATORS = r"[\s_\-.]+"


def level_key(text: str) -> str:
    """The comparison key of a level label: lower case, each run of separators
    (:data:`LEVEL_SEPARATORS`) one space, no leading or trailing space."""
    return re.sub(LEVEL_SEPARATORS, " ", text.strip().lower()).strip()


#: The one table of IPSS-R cytogenetic risk-group spellings (Schanz et al., J Clin Oncol
#: 2012;30:820; Greenberg et al., Blood 2012;120:2454), used both when a cohort is validated
#: and by the IPSS-R calculator: :func:`level_key` of a spelling -> canonical label. So any case
#: and any spaces, hyphens, underscores or dots between the words are accepted ("Very-Good",
#: "VERY_GOOD", "v. good"), and the abbreviations VG, G, I, Int, Inter, Interm, Intermed, P, VP.
CYTO_SYNONYMS: dict[str, str] = {
    "very good": "very good",
    "verygood": "very good",
    "v good": "very good",
    "vgood": "very good",
    "vg": "very good",
    "good": "good",
    "g": "good",
    "intermediate": "intermediate",
    "intermed": "intermediate",
    "interm": "intermediate",
    "inter": "intermediate",
    "int": "intermediate",
    "i": "intermediate",
    "poor": "poor",
    "p": "poor",
    "very poor": "very poor",
    "verypoor": "very poor",
    "v poor": "very poor",
    "vpoor": "very poor",
    "vp": "very poor",
}


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
    #: What a value *below* ``low`` most likely means (``unit_hint`` when empty).
    low_hint: str = ""


def _lab(
    name: str, label: str, unit: str, low: float, high: float, hint: str, low_hint: str = ""
) -> Variable:
    return Variable(name, label, "numeric", unit, low, high, hint, low_hint=low_hint)


_HGB_HINT = "values above 25 look like g/L: divide by 10"
_PLT_HINT = "values in the thousands look like counts per microlitre: divide by 1000"
_ANC_HINT = "values in the hundreds or thousands look like counts per microlitre: divide by 1000"
_HGB_LOW_HINT = "values below 2 g/dL are not plausible: check the value and the unit (g/dL)"
_COUNT_LOW_HINT = "counts cannot be negative"

VARIABLES: dict[str, Variable] = {
    v.name: v
    for v in [
        Variable("patient_id", "Patient", "id"),
        Variable("arm", "Treatment arm", "arm"),
        Variable("age", "Age", "numeric", "years", 0, 120, "age is in years at treatment start"),
        Variable("sex", "Sex", "category", levels=("F", "M")),
        _lab("hgb_base", "Hemoglobin before treatment", "g/dL", 2, 25, _HGB_HINT, _HGB_LOW_HINT),
        _lab("hgb_post", "Hemoglobin after treatment", "g/dL", 2, 25, _HGB_HINT, _HGB_LOW_HINT),
        _lab(
            "plt_base", "Platelets before treatment", "x10^9/L", 0, 2000, _PLT_HINT, _COUNT_LOW_HINT
        ),
        _lab(
            "plt_post", "Platelets after treatment", "x10^9/L", 0, 2000, _PLT_HINT, _COUNT_LOW_HINT
        ),
        _lab(
            "anc_base",
            "Neutrophils (ANC) before treatment",
            "x10^9/L",
            0,
            100,
            _ANC_HINT,
            _COUNT_LOW_HINT,
        ),
        _lab(
            "anc_post",
            "Neutrophils (ANC) after treatment",
            "x10^9/L",
            0,
            100,
            _ANC_HINT,
            _COUNT_LOW_HINT,
        ),
        _lab(
            "bm_blast_base",
            "Marrow blasts before treatment",
            "%",
            0,
            100,
            "blasts are a percentage from 0 to 100",
        ),
        _lab(
            "bm_blast_post",
            "Marrow blasts after treatment",
            "%",
            0,
            100,
            "blasts are a percentage from 0 to 100",
        ),
        Variable(
            "cyto_base", "IPSS-R cytogenetic group before treatment", "category", levels=CYTO_LEVELS
        ),
        Variable(
            "cyto_post", "IPSS-R cytogenetic group after treatment", "category", levels=CYTO_LEVELS
        ),
        Variable("response", "Best response (IWG 2006)", "category", levels=RESPONSE_LEVELS),
        Variable(
            "response_months",
            "Time from start of treatment to best response",
            "time",
            "months",
            0,
            600,
            "times are durations in months, not dates",
        ),
        Variable(
            "ae_max_grade",
            "Worst adverse-event grade (CTCAE)",
            "grade",
            "",
            0,
            5,
            "CTCAE grades are whole numbers from 0 (none) to 5 (death)",
        ),
        Variable("aml", "Transformation to AML", "event"),
        Variable(
            "aml_months",
            "Time to AML or last follow-up",
            "time",
            "months",
            0,
            600,
            "times are durations in months, not dates",
        ),
        Variable("death", "Death from any cause", "event"),
        Variable(
            "os_months",
            "Time to death or last follow-up",
            "time",
            "months",
            0,
            600,
            "times are durations in months, not dates",
        ),
    ]
}

#: (event, time) pairs: both present or both missing on a row.
SURVIVAL_PAIRS = (("death", "os_months"), ("aml", "aml_months"))


def variable(name: str) -> Variable | None:
    """The canonical variable called ``name``, or ``None``."""
    return VARIABLES.get(name)
