"""Formatting the ``response`` records into tables; nothing is computed here."""

from __future__ import annotations

import pandas as pd

from mdsrs_core.report.formatting import fmt_num, fmt_p, fmt_pct
from mdsrs_core.report.naming import test_name
from mdsrs_core.variables import RESPONSE_LEVELS

_PANEL = (
    ("fisher", "Fisher's exact test"),
    ("yates", "Yates' corrected chi-square"),
    ("pearson", "Pearson's chi-square"),
    ("lrt", "Likelihood-ratio test"),
)


def _index(records):
    return {(r.variable, r.arm, r.level, r.stat): r for r in records}


def _arms(records) -> list[str]:
    arms: list[str] = []
    for r in records:
        if r.variable == "flow" and r.arm is not None and r.arm not in arms:
            arms.append(r.arm)
    return arms


def _value(by, *key):
    r = by.get(key)
    return None if r is None else r.value


def response_tables(records) -> dict[str, pd.DataFrame]:
    by = _index(records)
    arms = _arms(records)
    out: dict[str, pd.DataFrame] = {}

    # ----------------------------------------------------------- categories
    if any(k[0] == "response" for k in by):
        header = [f"{a} (N={_value(by, 'response', a, None, 'N')})" for a in arms]
        rows = [
            [
                f"{_value(by, 'response', a, lv, 'n')} "
                f"({fmt_pct(_value(by, 'response', a, lv, 'p'))})"
                for a in arms
            ]
            for lv in RESPONSE_LEVELS
        ]
        out["Best response (IWG 2006) by arm, n (%)"] = pd.DataFrame(
            rows, index=list(RESPONSE_LEVELS), columns=header
        )
    elif any(k[0] == "hi_e" for k in by):
        rows, index = [], []
        for name in ("hi_e", "hi_p", "hi_n"):
            index.append(by[(name, arms[0], None, "n")].label)
            rows.append(
                [
                    f"{_value(by, name, a, None, 'n')}/{_value(by, name, a, None, 'N')} "
                    f"({fmt_pct(_value(by, name, a, None, 'p'))})"
                    for a in arms
                ]
            )
        out["Hematologic improvement by arm (from labs), n/N evaluable (%)"] = pd.DataFrame(
            rows, index=index, columns=arms
        )

    # ----------------------------------------------------------- comparison
    if ("responder", None, "conclusion", "conclusion") not in by:
        return out
    ref, trt = arms[0], arms[1]
    rows, index = [], []
    for a in arms:
        r = by[("responder", a, None, "conf_low")]
        index.append(f"Responders, {a}")
        rows.append(
            [
                f"{_value(by, 'responder', a, None, 'n')}/"
                f"{_value(by, 'responder', a, None, 'N')} "
                f"({fmt_pct(_value(by, 'responder', a, None, 'p'))})",
                f"{fmt_pct(r.value)} to {fmt_pct(_value(by, 'responder', a, None, 'conf_high'))}",
                "",
                r.method,
            ]
        )
    d = by[("responder", None, "difference", "estimate")]
    index.append(f"Difference, {trt} - {ref}")
    rows.append(
        [
            fmt_pct(d.value),
            f"{fmt_pct(_value(by, 'responder', None, 'difference', 'conf_low'))} to "
            f"{fmt_pct(_value(by, 'responder', None, 'difference', 'conf_high'))}",
            "",
            d.method,
        ]
    )
    term = f"arm[T.{trt}]"
    o = by.get(("responder", None, term, "estimate"))
    if o is not None:
        index.append(f"Odds ratio, {trt} vs {ref}")
        rows.append(
            [
                fmt_num(o.value, 2),
                f"{fmt_num(_value(by, 'responder', None, term, 'conf_low'), 2)} to "
                f"{fmt_num(_value(by, 'responder', None, term, 'conf_high'), 2)}",
                fmt_p(_value(by, "responder", None, term, "p_value")),
                o.method,
            ]
        )
    c = by[("responder", None, "chosen_test", "p_value")]
    index.append("Test (gtsummary rule)")
    rows.append(
        [
            "",
            "",
            fmt_p(c.value),
            f"{test_name(c.method)}; {_value(by, 'responder', None, 'chosen_test', 'test_rule')}",
        ]
    )
    out["Responder rate by arm"] = pd.DataFrame(
        rows, index=index, columns=["Estimate", "CI", "p-value", "Method"]
    )

    # ----------------------------------------------------------- sensitivity panel
    rows, index = [], []
    for key, name in _PANEL:
        p = by.get(("responder", None, key, "p_value"))
        if p is None:
            continue
        stat = _value(by, "responder", None, key, "statistic")
        sig = _value(by, "responder", None, key, "significant")
        index.append(name)
        rows.append(
            [
                test_name(p.method),  # the report's one naming style
                "" if stat is None else fmt_num(stat, 3),
                fmt_p(p.value),
                "NA" if sig is None else ("yes" if sig else "no"),
            ]
        )
    index.append("Conclusion")
    rows.append([_value(by, "responder", None, "conclusion", "conclusion"), "", "", ""])
    out["Responder rate: sensitivity panel"] = pd.DataFrame(
        rows, index=index, columns=["Method", "Statistic", "p-value", "Significant"]
    )
    return out
