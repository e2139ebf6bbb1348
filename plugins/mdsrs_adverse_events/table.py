"""Formatting the ``adverse_events`` records into tables; nothing is computed here."""

from __future__ import annotations

import pandas as pd

from mdsrs_core.report.formatting import fmt_num, fmt_p

from .compute import NOMINAL_PREFIX
from .ordinal import METHOD as NOMINAL_METHOD

_GRADES = ("0", "1", "2", "3", "4", "5")
_GROUPS = ("0", "1-2", "3-4", "5")


def _index(records):
    by, arms, terms = {}, [], []
    for r in records:
        by[(r.variable, r.arm, r.level, r.stat)] = r
        if (
            r.variable == "ae_max_grade"
            and r.stat == "N"
            and r.arm is not None
            and r.arm not in arms
        ):
            arms.append(r.arm)
        if r.variable == "ae_term_any" and r.level not in terms:
            terms.append(r.level)
    return by, arms, terms


def _np(by, variable, arm, level):
    n, p = by.get((variable, arm, level, "n")), by.get((variable, arm, level, "p"))
    if n is None:
        return ""
    return f"{n.value} ({fmt_num(100 * p.value, 1)}%)" if p is not None else f"{n.value}"


def _header(by, arms):
    cols = [f"{a} (N={by[('ae_max_grade', a, None, 'N')].value})" for a in arms]
    return [*cols, f"Overall (N={by[('ae_max_grade', None, None, 'N')].value})"]


def adverse_event_tables(records) -> dict[str, pd.DataFrame]:
    by, arms, terms = _index(records)
    if not arms:
        return {}
    columns = [*arms, None]
    header = _header(by, arms)
    out = {}
    rows = [[_np(by, "ae_max_grade", a, g) for a in columns] for g in _GRADES]
    out["Worst adverse-event grade by arm"] = pd.DataFrame(
        rows,
        index=pd.Index([f"Grade {g}" for g in _GRADES], name="Worst CTCAE grade"),
        columns=header,
    )
    rows = [[_np(by, "ae_grade_group", a, g) for a in columns] for g in _GROUPS]
    rows.append([_np(by, "ae_grade_ge3", a, None) for a in columns])
    out["Worst grade groups"] = pd.DataFrame(
        rows,
        index=pd.Index([f"Grade {g}" for g in _GROUPS] + ["Grade >= 3"], name="Worst CTCAE grade"),
        columns=header,
    )
    if terms:
        rows, index = [], []
        for term in terms:
            index.append(term)
            rows.append(
                [_np(by, "ae_term_any", a, term) for a in columns]
                + [_np(by, "ae_term_ge3", a, term) for a in columns]
            )
        cols = [f"Any grade: {h}" for h in header] + [f"Grade >= 3: {h}" for h in header]
        out["Adverse events by CTCAE term"] = pd.DataFrame(
            rows, index=pd.Index(index, name="CTCAE term"), columns=cols
        )
    out["Between-arm tests"] = _tests(records)
    return out


def _short(method: str) -> str:
    if method == NOMINAL_METHOD:
        return "Likelihood-ratio test, nominal vs proportional odds (nominal_test)"
    if method.startswith("Proportional-odds model"):
        return "Proportional-odds model (clm), Wald"
    from mdsrs_core.report.naming import test_name

    return test_name(method)  # the report's one naming style (gtsummary's names)


def _tests(records) -> pd.DataFrame:
    rows, index = [], []
    by = {(r.variable, r.level, r.stat, r.method): r for r in records if r.arm is None}
    for r in records:
        if r.arm is not None or r.stat != "p_value":
            continue
        method = r.method or ""
        get = lambda s, r=r: by.get((r.variable, r.level, s, r.method))  # noqa: E731
        if method == NOMINAL_METHOD:
            stat, df = get("statistic"), get("df")
            what = f"Proportional odds for {r.level.removeprefix(NOMINAL_PREFIX)}"
            effect = (
                f"LR = {fmt_num(stat.value, 3)}, df = {df.value}"
                if stat is not None
                else "not estimable"
            )
        elif method.startswith("Proportional-odds model"):
            if r.level is None or "|" in r.level:
                continue
            est, lo, hi = get("estimate"), get("conf_low"), get("conf_high")
            what = f"Proportional-odds model: {r.level}"
            effect = f"OR {fmt_num(est.value, 2)} ({fmt_num(lo.value, 2)}, {fmt_num(hi.value, 2)})"
        elif r.variable == "ae_grade_ge3":
            est, lo, hi = get("estimate"), get("conf_low"), get("conf_high")
            what = "Grade >= 3 incidence"
            effect = f"OR {fmt_num(est.value, 2)} ({fmt_num(lo.value, 2)}, {fmt_num(hi.value, 2)})"
        else:
            stat = get("statistic")
            what = "Worst grade"
            effect = f"W = {fmt_num(stat.value, 1)}" if stat is not None else ""
        index.append(what)
        rows.append([_short(method), effect, fmt_p(r.value)])
    return pd.DataFrame(
        rows,
        index=pd.Index(index, name="Comparison"),
        columns=["Test", "Estimate or statistic", "p-value"],
    )
