"""CTCAE v5.0 grades of three blood-count adverse events from laboratory values.

Common Terminology Criteria for Adverse Events (CTCAE) Version 5.0, U.S. Department of Health
and Human Services, National Institutes of Health, National Cancer Institute, published
November 27, 2017. The criteria used (conventional units; "<a - b" reads "below a, down to b":
``b <= value < a``):

========================== ================ ============== ============== ==============
term                       grade 1          grade 2        grade 3        grade 4
========================== ================ ============== ============== ==============
Anemia (Hgb, g/dL)         <LLN - 10.0      <10.0 - 8.0    <8.0;          life-threatening
                                                           transfusion    consequences;
                                                           indicated      urgent
                                                                          intervention
Platelet count decreased   <LLN - 75.0      <75.0 - 50.0   <50.0 - 25.0   <25.0
(x10^9/L)
Neutrophil count decreased <LLN - 1.5       <1.5 - 1.0     <1.0 - 0.5     <0.5
(x10^9/L)
========================== ================ ============== ============== ==============

So a value exactly at a cut-point belongs to the milder grade (Hgb 8.0 g/dL is grade 2, 7.99
grade 3; platelets 75 are grade 1, 74.9 grade 2), and a value at or above the lower limit of
normal (LLN) is grade 0.

Anemia grade 4 is defined by its clinical consequences, not by a hemoglobin value: these
functions never assign grade 4 from Hgb alone (grade 3 is the highest lab-only grade), and
the "transfusion indicated" part of grade 3 is not checked (Hgb < 8.0 g/dL is enough).
Platelet and neutrophil grades 1-4 are purely laboratory thresholds.

The LLN is the laboratory's own lower limit of normal (CTCAE does not fix it); pass yours.
Defaults, used only when none is given:

* hemoglobin: the WHO anaemia thresholds for adults, 12.0 g/dL for women and 13.0 g/dL for
  men (WHO 2011, *Haemoglobin concentrations for the diagnosis of anaemia and assessment of
  severity*, WHO/NMH/NHD/MNM/11.1) when ``sex`` (``"F"``/``"M"``) is given; 12.0 g/dL when
  it is not (the lower of the two: a man with 12.0 <= Hgb < 13.0 is then graded 0, not 1);
* platelets: 150 x10^9/L (the usual adult reference limit, 150-400 x10^9/L);
* neutrophils: 2.0 x10^9/L (a common adult reference interval, 2.0-7.5 x10^9/L).

Each function takes a number (returns an ``int`` grade, or ``None`` for a missing value) or an
array-like / Series (returns a pandas ``Int64`` Series, ``<NA>`` where the value is missing,
keeping a Series' index). Negative values are an error.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "ANC_LLN",
    "HGB_LLN",
    "HGB_LLN_BY_SEX",
    "PLT_LLN",
    "REFERENCE",
    "grade_anemia",
    "grade_neutrophils",
    "grade_platelets",
]

REFERENCE = (
    "Common Terminology Criteria for Adverse Events (CTCAE) Version 5.0. U.S. "
    "Department of Health and Human Services, National Institutes of Health, National "
    "Cancer Institute; November 27, 2017."
)

#: default hemoglobin LLN (g/dL) when neither ``lln`` nor ``sex`` is given
HGB_LLN = 12.0
#: WHO (2011) adult anaemia thresholds (g/dL) by sex
HGB_LLN_BY_SEX = {"F": 12.0, "M": 13.0}
#: default platelet LLN (x10^9/L)
PLT_LLN = 150.0
#: default neutrophil LLN (x10^9/L)
ANC_LLN = 2.0

# (lower bound of the grade, grade) from the most severe up: value < cut -> worse grade
_HGB_CUTS = ((8.0, 3), (10.0, 2))
_PLT_CUTS = ((25.0, 4), (50.0, 3), (75.0, 2))
_ANC_CUTS = ((0.5, 4), (1.0, 3), (1.5, 2))


def _scalar(x: Any) -> bool:
    return np.ndim(x) == 0 and not isinstance(x, (pd.Series, pd.Index))


def _values(x: Any, what: str) -> tuple[np.ndarray, pd.Index | None]:
    index = x.index if isinstance(x, pd.Series) else None
    values = pd.to_numeric(
        pd.Series(np.atleast_1d(np.asarray(x, dtype=object))), errors="coerce"
    ).to_numpy(dtype=float)
    bad = np.isfinite(values) & (values < 0)
    if bad.any():
        raise ValueError(f"{what} must not be negative (got {values[bad][0]:g})")
    return values, index


def _grade(values: np.ndarray, lln: np.ndarray, cuts: tuple[tuple[float, int], ...]) -> np.ndarray:
    grade = np.where(values < lln, 1.0, 0.0)
    for cut, g in reversed(cuts):  # mildest first, the most severe overwrites
        grade = np.where(values < cut, float(g), grade)
    return np.where(np.isfinite(values), grade, np.nan)


def _result(grades: np.ndarray, index: pd.Index | None, scalar: bool) -> Any:
    if scalar:
        g = grades[0]
        return None if math.isnan(g) else int(g)
    out = pd.Series(grades, index=index).astype("Int64")
    return out


def _lln(lln: Any, n: int, what: str) -> np.ndarray:
    arr = np.broadcast_to(np.asarray(lln, dtype=float), (n,)).astype(float)
    if np.any(~np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError(f"the LLN of {what} must be a positive number")
    return arr


def _sex_lln(sex: pd.Series) -> np.ndarray:
    """The WHO hemoglobin LLN of each value of ``sex`` (by its first letter; 12.0 g/dL for
    a missing or unknown one)."""
    s = sex.astype("string").str.strip().str.upper().str[:1]
    return s.map(HGB_LLN_BY_SEX).astype(float).fillna(HGB_LLN).to_numpy()


def grade_anemia(hgb_g_dl: Any, lln: Any = None, sex: Any = None) -> Any:
    """CTCAE v5.0 grade (0-3) of *Anemia* from hemoglobin in g/dL.

    Grade 1: LLN > Hgb >= 10.0; grade 2: 10.0 > Hgb >= 8.0; grade 3: Hgb < 8.0. Grade 4
    (life-threatening consequences; urgent intervention indicated) is clinical and is never
    assigned from Hgb alone. ``lln``: the laboratory's LLN in g/dL (a number or one per
    value); without it the WHO thresholds by ``sex`` (12.0 F, 13.0 M) or 12.0 g/dL.
    """
    scalar = _scalar(hgb_g_dl)
    values, index = _values(hgb_g_dl, "hemoglobin")
    if lln is None:
        if sex is None:
            lln_arr = np.full(len(values), HGB_LLN)
        elif isinstance(getattr(sex, "dtype", None), pd.CategoricalDtype):
            # a categorical (the cohort's sex): each level looked up once, rows by code
            sex = pd.Series(sex).cat
            levels = _sex_lln(pd.Series(np.asarray(sex.categories, dtype=object)))
            codes = np.asarray(sex.codes)
            lln_arr = np.append(levels, HGB_LLN)[codes]
            lln_arr = np.broadcast_to(lln_arr, (len(values),)).astype(float)
        else:
            lln_arr = _sex_lln(pd.Series(np.atleast_1d(np.asarray(sex, dtype=object))))
            lln_arr = np.broadcast_to(lln_arr, (len(values),)).astype(float)
    else:
        lln_arr = _lln(lln, len(values), "hemoglobin")
    return _result(_grade(values, lln_arr, _HGB_CUTS), index, scalar)


def grade_platelets(plt_10e9_l: Any, lln: Any = PLT_LLN) -> Any:
    """CTCAE v5.0 grade (0-4) of *Platelet count decreased* from platelets in x10^9/L.

    Grade 1: LLN > PLT >= 75; grade 2: 75 > PLT >= 50; grade 3: 50 > PLT >= 25;
    grade 4: PLT < 25. ``lln`` defaults to 150 x10^9/L.
    """
    scalar = _scalar(plt_10e9_l)
    values, index = _values(plt_10e9_l, "platelets")
    return _result(_grade(values, _lln(lln, len(values), "platelets"), _PLT_CUTS), index, scalar)


def grade_neutrophils(anc_10e9_l: Any, lln: Any = ANC_LLN) -> Any:
    """CTCAE v5.0 grade (0-4) of *Neutrophil count decreased* from the ANC in x10^9/L.

    Grade 1: LLN > ANC >= 1.5; grade 2: 1.5 > ANC >= 1.0; grade 3: 1.0 > ANC >= 0.5;
    grade 4: ANC < 0.5. ``lln`` defaults to 2.0 x10^9/L.
    """
    scalar = _scalar(anc_10e9_l)
    values, index = _values(anc_10e9_l, "neutrophils")
    return _result(_grade(values, _lln(lln, len(values), "neutrophils"), _ANC_CUTS), index, scalar)
