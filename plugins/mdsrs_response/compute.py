"""Statistics of the ``response`` endpoint -> records (formatting lives in table.py)."""

from __future__ import annotations

import pandas as pd

from mdsrs_core.binary_outcome import CI_METHODS, compare_binary
from mdsrs_core.errors import StudyError
from mdsrs_core.formula import model_frame, split_formula
from mdsrs_core.frames import analysis_columns, in_arm, select_rows
from mdsrs_core.variables import RESPONSE_LEVELS

from .derive import HI_LABELS, LAB_SOURCE, hematologic_improvement, responder_from_response

LABEL = "Responder rate (CR, PR, mCR or HI)"
LABS = ("hgb", "plt", "anc")  # the before/after labs of IWG 2006 hematologic improvement
LAB_LABEL = "Responder rate (any hematologic improvement, from labs)"
MISSING_RESPONSE = "response missing"


def _check_options(config) -> tuple[str, float]:
    ci_method = str(config.options.get("ci_method", "clopper-pearson")).lower()
    if ci_method not in CI_METHODS:
        raise StudyError(
            f"[endpoints.response] ci_method = {ci_method!r}: choose one of "
            f"{', '.join(CI_METHODS)}."
        )
    conf_level = float(config.options.get("conf_level", 0.95))
    if not 0 < conf_level < 1:
        raise StudyError(
            f"[endpoints.response] conf_level = {conf_level}: must lie strictly between 0 and 1."
        )
    return ci_method, conf_level


def _category_records(result, d: pd.DataFrame, arms: list[str]) -> None:
    """n (%) of each IWG 2006 category by arm, among patients with a response."""
    for arm in arms:
        resp = d.loc[in_arm(d["arm"], arm), "response"].astype("object")
        total = int(resp.notna().sum())
        result.add("response", "N", total, arm=arm, label="Best response (IWG 2006)", n=total)
        for level in RESPONSE_LEVELS:
            k = int((resp == level).sum())
            result.add("response", "n", k, arm=arm, level=level, label=level, n=total)
            result.add(
                "response",
                "p",
                k / total if total else None,
                arm=arm,
                level=level,
                label=level,
                method="n / patients with a response",
                n=total,
            )


def _hi_records(result, d: pd.DataFrame, hi: pd.DataFrame, arms: list[str]) -> None:
    """HI-E, HI-P, HI-N by arm: n with HI / N evaluable for that lineage."""
    for name, label in HI_LABELS.items():
        for arm in arms:
            values = hi.loc[in_arm(d["arm"], arm), name].dropna()
            total, k = int(values.size), int(values.sum())
            result.add(name, "n", k, arm=arm, label=label, n=total)
            result.add(
                name,
                "N",
                total,
                arm=arm,
                label=label,
                method="patients evaluable for this lineage (pretreatment cytopenia)",
                n=total,
            )
            result.add(
                name,
                "p",
                k / total if total else None,
                arm=arm,
                label=label,
                method="n / N evaluable",
                n=total,
            )


def analyze_response(result, cohort, config):
    ci_method, conf_level = _check_options(config)
    formula = config.formulas["responder"]
    lhs, _ = split_formula(formula)
    if lhs is None or lhs.strip() != "responder":
        raise StudyError(
            f"[endpoints.response] formula {formula!r}: the outcome (left of '~') "
            "must be responder."
        )
    arms = cohort.arms
    # the columns the analyses read (new columns are added to this frame, the cohort's
    # arrays stay as they are): the kept patients' rows of only these are copied
    d = analysis_columns(
        cohort.data,
        ["response", "responder"]
        if "response" in cohort.data.columns
        else [f"{lab}_{t}" for lab in LABS for t in ("base", "post")],
        [formula],
        added=("responder",),
        adjustment=getattr(cohort, "adjustment", None),
    )
    if "response" in d.columns:
        source = "response"
        d["responder"] = responder_from_response(d["response"])
        missing = d["responder"].isna()
        result.exclude(
            d.loc[missing, "patient_id"], d.loc[missing, "arm"].astype(str), MISSING_RESPONSE
        )
        _category_records(result, d, arms)
        label = LABEL
    else:
        source = "labs"
        hi = hematologic_improvement(d)
        d["responder"] = hi["responder"]
        for reason in hi["reason"].dropna().unique():
            rows = hi["reason"] == reason
            result.exclude(d.loc[rows, "patient_id"], d.loc[rows, "arm"].astype(str), reason)
        _hi_records(result, d, hi, arms)
        label = LAB_LABEL
        result.note(
            "No response column: responders are derived from the before/after labs as IWG 2006 "
            "hematologic improvement (HI-E: Hgb rise >= 1.5 g/dL from < 11; HI-P: rise >= 30 "
            "×10⁹/L from 20 to < 100, or from < 20 to > 20 and at least doubled; HI-N: at "
            "least doubled and a rise > 0.5 ×10⁹/L from < 1.0). The >= 8-week duration IWG "
            "requires is not checked. Patients without a pretreatment cytopenia cannot show HI "
            "and are excluded, not counted as non-responders."
        )
    result.add(
        "responder",
        "source",
        source,
        label=label,
        method=LAB_SOURCE if source == "labs" else "response in CR, PR, mCR, HI",
    )
    kept = select_rows(d, d["responder"].notna())
    if len(kept):
        mf = model_frame(formula, kept)
        if mf.n_dropped:
            dropped = kept.loc[mf.dropped]
            result.exclude(
                dropped["patient_id"],
                dropped["arm"].astype(str),
                f"missing value in a covariate of {formula!r}",
            )
            kept = kept.drop(index=mf.dropped)
    counts = {arm: int((in_arm(kept["arm"], arm)).sum()) for arm in arms}
    result.analysed(counts)
    if min(counts.values()) == 0:
        empty = [a for a, k in counts.items() if k == 0]
        result.note(f"No patient of {', '.join(empty)} could be analysed: no comparison.")
        return result
    compare_binary(
        result,
        kept,
        "responder",
        arms=arms,
        alpha=config.alpha,
        formula=formula,
        label=label,
        ci_method=ci_method,
        conf_level=conf_level,
    )
    from mdsrs_core.adjust.analyses import adjusted_binary

    adjusted_binary(result, cohort, kept, "responder", label, conf_level)
    return result
