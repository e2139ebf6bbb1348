"""Responder flags: from the IWG 2006 best response, or hematologic improvement from labs.

IWG 2006 (Cheson BD et al. Clinical application and proposal for modification of the
International Working Group (IWG) response criteria in myelodysplasia. Blood
2006;108:419-425, Table 4), hematologic improvement (HI) in patients with the
pretreatment abnormality:

* HI-E (erythroid), pretreatment Hgb < 11 g/dL: Hgb rise >= 1.5 g/dL.
* HI-P (platelets), pretreatment PLT < 100 x10^9/L: from >= 20, an absolute rise of
  >= 30 x10^9/L; from < 20, to > 20 x10^9/L and by at least 100% (post >= 2 x base).
* HI-N (neutrophils), pretreatment ANC < 1.0 x10^9/L: at least a 100% increase
  (post >= 2 x base) and an absolute rise > 0.5 x10^9/L.

A lineage is evaluable only when its pretreatment value is abnormal (below the limit) and
both values are present. Responder = HI in any evaluable lineage; a patient with no
evaluable lineage cannot show HI and has no responder value (the endpoint excludes them
with the reason, it does not count them as non-responders). IWG also requires the
improvement to last >= 8 weeks: durations are not in the data and are not checked.
Differences are rounded to 9 decimals before comparing, so 12.4 - 10.9 counts as a rise of
exactly 1.5 (lab values carry at most 2-3 decimals; floating-point noise must not decide
a boundary).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mdsrs_core.variables import RESPONDER_LEVELS

__all__ = [
    "hematologic_improvement",
    "responder_from_response",
    "derive_responder",
    "HI_LABELS",
    "LAB_SOURCE",
    "HGB_LIMIT",
    "PLT_LIMIT",
    "PLT_LOW",
    "ANC_LIMIT",
]

HGB_LIMIT, HGB_RISE = 11.0, 1.5
PLT_LIMIT, PLT_LOW, PLT_RISE = 100.0, 20.0, 30.0
ANC_LIMIT, ANC_RISE = 1.0, 0.5
_DECIMALS = 9

HI_LABELS = {
    "hi_e": "Hematologic improvement, erythroid (HI-E, IWG 2006, from labs)",
    "hi_p": "Hematologic improvement, platelets (HI-P, IWG 2006, from labs)",
    "hi_n": "Hematologic improvement, neutrophils (HI-N, IWG 2006, from labs)",
}
RESPONDER_LABEL = "Responder (CR, PR, mCR or HI; IWG 2006)"
LAB_RESPONDER_LABEL = "Responder: any hematologic improvement (IWG 2006, from labs)"
LAB_SOURCE = (
    "hematologic improvement derived from before/after labs (IWG 2006 HI-E, HI-P, "
    "HI-N); durations (>= 8 weeks) not checked"
)
RESPONSE_SOURCE = "response in CR, PR, mCR, HI (IWG 2006)"

NO_CYTOPENIA = (
    "not evaluable for hematologic improvement (IWG 2006): no pretreatment "
    "cytopenia (Hgb >= 11 g/dL, PLT >= 100 ×10⁹/L, ANC >= 1.0 ×10⁹/L)"
)
LABS_MISSING = (
    "not evaluable for hematologic improvement (IWG 2006): before/after labs "
    "missing for every cytopenic lineage"
)


def _col(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame.columns:
        return pd.to_numeric(frame[name], errors="coerce").astype(float)
    return pd.Series(np.nan, index=frame.index)


def _diff(a: pd.Series, b: pd.Series) -> pd.Series:
    return (a - b).round(_DECIMALS)


def hematologic_improvement(frame: pd.DataFrame) -> pd.DataFrame:
    """``hi_e, hi_p, hi_n, responder`` (1/0, NaN when not evaluable) and ``reason``.

    ``reason`` is None for a patient evaluable in at least one lineage, else why not.
    """
    hb, ha = _col(frame, "hgb_base"), _col(frame, "hgb_post")
    pb, pa = _col(frame, "plt_base"), _col(frame, "plt_post")
    nb, na = _col(frame, "anc_base"), _col(frame, "anc_post")

    cyto_e, cyto_p, cyto_n = hb < HGB_LIMIT, pb < PLT_LIMIT, nb < ANC_LIMIT
    eval_e, eval_p, eval_n = cyto_e & ha.notna(), cyto_p & pa.notna(), cyto_n & na.notna()

    hi_e = _diff(ha, hb) >= HGB_RISE
    hi_p = np.where(
        pb >= PLT_LOW, _diff(pa, pb) >= PLT_RISE, (pa > PLT_LOW) & (_diff(pa, 2 * pb) >= 0)
    )
    hi_n = (_diff(na, 2 * nb) >= 0) & (_diff(na, nb) > ANC_RISE)

    out = pd.DataFrame(index=frame.index)
    for name, hit, ok in (("hi_e", hi_e, eval_e), ("hi_p", hi_p, eval_p), ("hi_n", hi_n, eval_n)):
        out[name] = np.where(ok, np.asarray(hit, dtype=float), np.nan)
    evaluable = eval_e | eval_p | eval_n
    any_hi = out[["hi_e", "hi_p", "hi_n"]].max(axis=1, skipna=True)
    out["responder"] = np.where(evaluable, any_hi, np.nan)
    cytopenic = cyto_e | cyto_p | cyto_n
    out["reason"] = np.where(evaluable, None, np.where(cytopenic, LABS_MISSING, NO_CYTOPENIA))
    # a lineage whose baseline is missing is unknown, not "no cytopenia"
    unknown = ~cytopenic & ((hb.isna()) & (pb.isna()) & (nb.isna()))
    out.loc[~evaluable & unknown, "reason"] = LABS_MISSING
    return out


def responder_from_response(response: pd.Series) -> pd.Series:
    """1 for CR, PR, mCR, HI; 0 for SD, PD; NaN when the response is missing."""
    text = response.astype("object")
    flag = text.isin(RESPONDER_LEVELS).astype(float)
    return flag.where(text.notna(), np.nan)


def derive_responder(cohort) -> None:
    """Add ``responder`` (and, from labs, ``hi_e``, ``hi_p``, ``hi_n``) to the cohort.

    Variables the data already hold are left alone (a derived variable never replaces one
    of the user's columns).
    """
    data = cohort.data

    def free(name: str) -> bool:
        return name not in data.columns or name in cohort.derived

    if "response" in data.columns:
        if free("responder"):
            cohort.add_variable(
                "responder",
                responder_from_response(data["response"]),
                label=RESPONDER_LABEL,
                source=RESPONSE_SOURCE,
            )
        return
    pairs = (("hgb_base", "hgb_post"), ("plt_base", "plt_post"), ("anc_base", "anc_post"))
    if not any(b in data.columns and a in data.columns for b, a in pairs):
        return
    hi = hematologic_improvement(data)
    for name, label in HI_LABELS.items():
        if free(name):
            cohort.add_variable(name, hi[name], label=label, source=LAB_SOURCE)
    if free("responder"):
        cohort.add_variable(
            "responder", hi["responder"], label=LAB_RESPONDER_LABEL, source=LAB_SOURCE
        )
