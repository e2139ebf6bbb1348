"""Formatting the ``hematology`` records into tables; nothing is computed here."""

from __future__ import annotations

import pandas as pd

from mdsrs_core.report.formatting import fmt_num, fmt_p

from .endpoint import LABS
from .methods import PAIRED, SIGNED_RANK, WELCH


def _digits(value) -> int:
    v = abs(value) if isinstance(value, (int, float)) and value == value else 0
    return 0 if v >= 100 else 1 if v >= 3 else 2


def _sig(value) -> int:
    """Decimals for an estimate shown on its own scale (a change, a difference, a log ratio)."""
    v = abs(value) if isinstance(value, (int, float)) and value == value else 0
    return 0 if v >= 100 else 1 if v >= 10 else 2 if v >= 0.1 else 3


def _ci(by, key, digits=None):
    est, lo, hi = (by.get((*key, s)) for s in ("estimate", "conf_low", "conf_high"))
    if est is None or est.value is None:
        return "NA"
    digits = _sig(est.value) if digits is None else digits
    return (
        f"{fmt_num(est.value, digits)} ({fmt_num(lo.value, digits)} to {fmt_num(hi.value, digits)})"
    )


def _val(by, key):
    r = by.get(key)
    return None if r is None else r.value


def hematology_tables(records) -> dict[str, pd.DataFrame]:
    by = {(r.variable, r.arm, r.level, r.stat): r for r in records}
    arms = [
        r.arm
        for r in records
        if r.variable in LABS and r.stat == "n_analysed" and r.arm is not None
    ]
    arms = list(dict.fromkeys(arms))
    labs = [lab for lab in LABS if (lab, None, None, "n_analysed") in by]
    tables: dict[str, pd.DataFrame] = {}
    within_rows, within_index = [], []
    between_rows, between_index = [], []
    for lab in labs:
        short, label, unit = LABS[lab]
        d = _digits(_val(by, (f"{lab}_base", arms[0], None, "median")) if arms else 0)
        rows, index = [], []
        index.append("N analysed")
        rows.append([str(_val(by, (lab, a, None, "n_analysed"))) for a in arms])
        for var, when in (
            (f"{lab}_base", "Before"),
            (f"{lab}_post", "After"),
            (f"{lab}_change", "Change"),
        ):
            index.append(f"{when}: mean (SD)")
            rows.append(
                [
                    f"{fmt_num(_val(by, (var, a, None, 'mean')), d)} "
                    f"({fmt_num(_val(by, (var, a, None, 'sd')), d)})"
                    for a in arms
                ]
            )
            index.append(f"{when}: median [Q1, Q3]")
            rows.append(
                [
                    f"{fmt_num(_val(by, (var, a, None, 'median')), d)} "
                    f"[{fmt_num(_val(by, (var, a, None, 'p25')), d)}, "
                    f"{fmt_num(_val(by, (var, a, None, 'p75')), d)}]"
                    for a in arms
                ]
            )
        frame = pd.DataFrame(rows, index=index, columns=arms)
        frame.index.name = f"{label} ({unit})"
        tables[f"{short} before and after treatment"] = frame
        for a in arms:
            var = f"{lab}_change"
            within_index.append(f"{short} ({unit}), {a}")
            w = by.get((var, a, SIGNED_RANK, "p_value"))
            within_rows.append(
                [
                    str(_val(by, (var, a, None, "n"))),
                    _ci(by, (var, a, PAIRED)),
                    fmt_p(_val(by, (var, a, PAIRED, "p_value"))),
                    fmt_num(_val(by, (var, a, SIGNED_RANK, "statistic")), 1),
                    fmt_p(None if w is None else w.value),
                    "" if w is None or w.method is None else w.method,
                ]
            )
        arm_term = next(
            (
                r.level
                for k, r in by.items()
                if k[0] == lab
                and k[3] == "estimate"
                and r.level
                and r.level.startswith("arm[T.")
                and ":" not in r.level
            ),
            None,
        )
        formula = _val(by, (lab, None, None, "formula"))
        between_index.append(f"{short} ({unit})")
        between_rows.append(
            [
                "" if formula is None else str(formula),
                _ci(by, (lab, None, arm_term)) if arm_term else "NA",
                fmt_p(_val(by, (lab, None, arm_term, "p_value"))) if arm_term else "NA",
                _ci(by, (f"{lab}_change", None, WELCH)),
                fmt_p(_val(by, (f"{lab}_change", None, WELCH, "p_value"))),
            ]
        )
    if within_rows:
        frame = pd.DataFrame(
            within_rows,
            index=within_index,
            columns=[
                "N",
                "Mean change (95% CI)",
                "Paired t-test p",
                "Wilcoxon V",
                "Wilcoxon signed-rank p",
                "Wilcoxon method",
            ],
        )
        frame.index.name = "Lab, arm"
        tables["Change within arms (after - before)"] = frame
    if between_rows and len(arms) == 2:
        other, ref = arms[1], arms[0]
        frame = pd.DataFrame(
            between_rows,
            index=between_index,
            columns=[
                "ANCOVA formula",
                f"Adjusted difference {other} - {ref} (95% CI)",
                "ANCOVA p",
                f"Difference in mean change {other} - {ref} (95% CI)",
                "Welch t-test p",
            ],
        )
        frame.index.name = "Lab"
        tables["Between arms: ANCOVA and Welch's t-test on the change"] = frame
    mixed = _mixed_table(by)
    if mixed is not None:
        tables["Long-form labs: linear mixed models (value ~ arm * visit)"] = mixed
    return tables


def _mixed_table(by):
    rows, index = [], []
    for lab, (short, _label, unit) in LABS.items():
        var = f"{lab}_mixed"
        terms = [k[2] for k in by if k[0] == var and k[3] == "estimate" and k[1] is None]
        for term in terms:
            d = _sig(_val(by, (var, None, term, "estimate")))
            index.append(f"{short} ({unit}): {term}")
            rows.append(
                [
                    _ci(by, (var, None, term), d),
                    fmt_num(_val(by, (var, None, term, "std_error")), d + 1),
                    fmt_num(_val(by, (var, None, term, "df")), 0),
                    fmt_p(_val(by, (var, None, term, "p_value"))),
                ]
            )
    if not rows:
        return None
    frame = pd.DataFrame(rows, index=index, columns=["Estimate (95% CI)", "SE", "df (nlme)", "p"])
    frame.index.name = "Fixed effect"
    return frame
