"""Formatting the ``os`` endpoint's response-and-survival records; nothing computed here."""

from __future__ import annotations

import pandas as pd

from mdsrs_core.report.formatting import fmt_num, fmt_p

_ROWS = (
    ("hr", "time_dependent", "Response as a time-dependent covariate (Cox)"),
    ("hr", "time_dependent_arm", "Time-dependent, adjusted for arm"),
    ("test", "mantel_byar", "Mantel-Byar test"),
    ("hr", "landmark", "Landmark: response by {lm} months (Cox from the landmark)"),
    ("test", "landmark_logrank", "Log-rank test from the landmark"),
    ("hr", "naive", "Naive: responders vs non-responders from the start (biased)"),
)


def _landmark(records) -> str:
    for r in records:
        if r.variable == "os_response_test" and r.level == "landmark_logrank":
            return (r.label or "").rsplit(" at ", 1)[-1].replace(" months", "")
    return ""


def response_tables(records) -> dict[str, pd.DataFrame]:
    """ "Response and survival" (hazard ratios and tests) and its patient counts."""
    by = {(r.variable, r.level, r.stat): r for r in records if r.variable.startswith("os_resp")}
    if not by:
        return {}
    lm = _landmark(records)
    rows, index = [], []
    for kind, level, text in _ROWS:
        if kind == "hr" and ("os_response_hr", level, "estimate") in by:
            hr = by[("os_response_hr", level, "estimate")]
            low = by[("os_response_hr", level, "conf_low")].value
            high = by[("os_response_hr", level, "conf_high")].value
            z = by[("os_response_hr", level, "statistic")].value
            p = by[("os_response_hr", level, "p_value")].value
            ci = f"{fmt_num(hr.value, 2)} ({fmt_num(low, 2)}, {fmt_num(high, 2)})"
            rows.append([str(hr.n), ci, f"z = {fmt_num(z, 3)}", fmt_p(p)])
            index.append(text.format(lm=lm))
        elif kind == "test" and ("os_response_test", level, "statistic") in by:
            stat = by[("os_response_test", level, "statistic")]
            df = by[("os_response_test", level, "df")].value
            p = by[("os_response_test", level, "p_value")].value
            chisq = f"chi-square = {fmt_num(stat.value, 3)} ({df} df)"
            rows.append([str(stat.n), "", chisq, fmt_p(p)])
            index.append(text)
    tables = {}
    if rows:
        frame = pd.DataFrame(
            rows, index=index, columns=["Patients", "Hazard ratio (95% CI)", "Statistic", "p-value"]
        )
        frame.index.name = "Does response prolong survival?"
        tables["Response and survival"] = frame
    flow = []  # (analysis, group, number of patients; "intervals" counts rows)
    for variable, what in (
        ("os_response_flow", "Time-dependent analysis"),
        ("os_response_landmark_flow", f"Landmark at {lm} months"),
    ):
        for (v, level, _), r in by.items():
            if v == variable:
                group = "(start, stop] rows after splitting" if level == "intervals" else level
                flow.append([what, group, str(r.value)])
    if flow:
        frame = pd.DataFrame(flow, columns=["Analysis", "Group", "Patients"]).set_index("Analysis")
        tables["Response and survival: patients"] = frame
    return tables
