"""Formatting the ``os`` records into tables; nothing is computed here."""

from __future__ import annotations

import pandas as pd

from mdsrs_core.report.formatting import fmt_num, fmt_p, fmt_pct

_TESTS = {"likelihood_ratio": "Likelihood ratio", "wald": "Wald", "score": "Score (log-rank)"}


def _index(records):
    return {(r.variable, r.arm, r.level, r.stat): r for r in records}


def _arms(by):
    return [k[1] for k in by if k[0] == "os" and k[3] == "N"]


def _levels(by, variable):
    out = []
    for k in by:
        if k[0] == variable and k[2] is not None and k[2] not in out:
            out.append(k[2])
    return out


def _v(by, *key):
    r = by.get(key)
    return None if r is None else r.value


def _ci_pct(by, variable, arm, level):
    s = _v(by, variable, arm, level, "surv")
    if s is None:
        return "NA"
    low, high = _v(by, variable, arm, level, "conf_low"), _v(by, variable, arm, level, "conf_high")
    return f"{fmt_pct(s)} ({fmt_pct(low)}, {fmt_pct(high)})"


def _months(value):
    return "NR" if value is None or value != value else fmt_num(value, 1)


def landmark_table(by, arms) -> pd.DataFrame:
    rows, index = [], []
    for level in _levels(by, "os_km"):
        index.append(f"{level} months")
        row = []
        for arm in arms:
            row.append(_ci_pct(by, "os_km", arm, level))
            risk = _v(by, "os_km", arm, level, "n_risk")
            events = _v(by, "os_km", arm, level, "n_event")
            row.append("NA" if risk is None else f"{risk} / {events}")
        rows.append(row)
    columns = []
    for arm in arms:
        columns += [
            f"{arm} (N={_v(by, 'os', arm, None, 'N')}): survival (95% CI)",
            f"{arm}: at risk / deaths so far",
        ]
    frame = pd.DataFrame(rows, index=index, columns=columns)
    frame.index.name = "Time"
    return frame


def median_table(by, arms) -> pd.DataFrame:
    rows = []
    for arm in arms:
        med = _v(by, "os_median", arm, None, "median")
        low = _v(by, "os_median", arm, None, "conf_low")
        high = _v(by, "os_median", arm, None, "conf_high")
        rows.append(
            [
                str(_v(by, "os", arm, None, "N")),
                str(_v(by, "os", arm, None, "n_event")),
                f"{_months(med)} ({_months(low)}, {_months(high)})",
            ]
        )
    frame = pd.DataFrame(
        rows, index=arms, columns=["Patients", "Deaths", "Median, months (95% CI)"]
    )
    frame.index.name = "Arm"
    return frame


def logrank_table(by, arms) -> pd.DataFrame:
    rows = []
    for arm in arms:
        o, e = (
            _v(by, "os_logrank", arm, None, "observed"),
            _v(by, "os_logrank", arm, None, "expected"),
        )
        rows.append([fmt_num(o, 0), fmt_num(e, 2)])
    stat = by.get(("os_logrank", None, None, "statistic"))
    frame = pd.DataFrame(rows, index=arms, columns=["Observed", "Expected"])
    df = _v(by, "os_logrank", None, None, "df")
    frame["Chi-square (df)"] = [f"{fmt_num(stat.value, 3)} ({df})" if stat else "NA"] + [""] * (
        len(arms) - 1
    )
    frame["p-value"] = [fmt_p(_v(by, "os_logrank", None, None, "p_value"))] + [""] * (len(arms) - 1)
    frame.index.name = stat.method if stat else "Log-rank test"
    return frame


def cox_table(by) -> pd.DataFrame:
    rows, index = [], []
    if _v(by, "os_cox", None, None, "estimable") is False:
        frame = pd.DataFrame(
            [["not estimable", "", ""]],
            index=["Hazard ratio"],
            columns=["Estimate (95% CI)", "Statistic (df)", "p-value"],
        )
        frame.index.name = "Cox model"
        return frame
    for level in _levels(by, "os_cox"):
        hr = by[("os_cox", None, level, "estimate")]
        index.append(hr.label)
        low, high = (_v(by, "os_cox", None, level, s) for s in ("conf_low", "conf_high"))
        rows.append(
            [
                f"{fmt_num(hr.value, 2)} ({fmt_num(low, 2)}, {fmt_num(high, 2)})",
                f"z = {fmt_num(_v(by, 'os_cox', None, level, 'statistic'), 3)}",
                fmt_p(_v(by, "os_cox", None, level, "p_value")),
            ]
        )
    for level in _levels(by, "os_cox_test"):
        index.append(f"{_TESTS.get(level, level)} test")
        rows.append(
            [
                "",
                f"{fmt_num(_v(by, 'os_cox_test', None, level, 'statistic'), 3)} "
                f"({_v(by, 'os_cox_test', None, level, 'df')})",
                fmt_p(_v(by, "os_cox_test", None, level, "p_value")),
            ]
        )
    frame = pd.DataFrame(
        rows, index=index, columns=["Estimate (95% CI)", "Statistic (df)", "p-value"]
    )
    frame.index.name = "Cox model"
    return frame


def ph_table(by) -> pd.DataFrame:
    rows, index = [], []
    for level in _levels(by, "os_ph"):
        index.append(level)
        rows.append(
            [
                fmt_num(_v(by, "os_ph", None, level, "statistic"), 3),
                str(_v(by, "os_ph", None, level, "df")),
                fmt_p(_v(by, "os_ph", None, level, "p_value")),
            ]
        )
    frame = pd.DataFrame(rows, index=index, columns=["Chi-square", "df", "p-value"])
    frame.index.name = "cox.zph (transform 'km')"
    return frame


def difference_table(by) -> pd.DataFrame:
    rows, index = [], []
    for level in _levels(by, "os_landmark_diff"):
        est = by[("os_landmark_diff", None, level, "estimate")]
        index.append(f"{level} months")
        low, high = (
            100 * _v(by, "os_landmark_diff", None, level, s) for s in ("conf_low", "conf_high")
        )
        rows.append(
            [
                f"{fmt_num(100 * est.value, 1)} ({fmt_num(low, 1)}, {fmt_num(high, 1)})",
                fmt_p(_v(by, "os_landmark_diff", None, level, "p_value")),
            ]
        )
    label = "Difference, percentage points (95% CI)"
    if rows:
        first = by[("os_landmark_diff", None, _levels(by, "os_landmark_diff")[0], "estimate")]
        label = first.label.split("(")[-1].rstrip(")") + ": " + label
    frame = pd.DataFrame(rows, index=index, columns=[label, "p-value"])
    frame.index.name = "Time"
    return frame


def os_tables(records) -> dict[str, pd.DataFrame]:
    """The ``os`` tables, the landmark survival first (the one the terminal shows)."""
    by = _index(records)
    arms = _arms(by)
    tables = {}
    if _levels(by, "os_km"):
        tables["Kaplan-Meier survival at landmarks"] = landmark_table(by, arms)
    tables["Median overall survival"] = median_table(by, arms)
    if ("os_logrank", None, None, "statistic") in by:
        tables["Log-rank test"] = logrank_table(by, arms)
    if ("os_cox", None, None, "estimable") in by:
        tables["Cox model"] = cox_table(by)
    if _levels(by, "os_ph"):
        tables["Proportional hazards (cox.zph)"] = ph_table(by)
    if _levels(by, "os_landmark_diff"):
        tables["Landmark differences"] = difference_table(by)
    from .rmst import rmst_table

    rmst = rmst_table(records)
    if rmst is not None:
        tables["Restricted mean survival time"] = rmst
    from .response_table import response_tables

    tables.update(response_tables(records))
    return tables
