"""Formatting the ``aml`` records into tables; nothing is computed here."""

from __future__ import annotations

import pandas as pd

from mdsrs_core.report.formatting import fmt_num, fmt_p, fmt_pct, p_text
from mdsrs_core.report.naming import test_name

_PANEL = (
    ("chosen_test", "Test chosen by gtsummary's rule"),
    ("fisher", "Fisher's exact"),
    ("yates", "Chi-square, Yates-corrected"),
    ("pearson", "Chi-square (Pearson)"),
    ("lrt", "Likelihood-ratio (logistic model)"),
)


def _index(records):
    by = {}
    arms: list[str] = []
    for r in records:
        by[(r.variable, r.arm, r.level, r.stat)] = r
        if r.variable == "aml_status" and r.arm is not None and r.arm not in arms:
            arms.append(r.arm)
    return by, arms


def _value(by, *key):
    r = by.get(key)
    return None if r is None else r.value


def _ci(low, high, pct: bool) -> str:
    if low is None or high is None:
        return "NA"
    if pct:
        return f"{fmt_pct(low)} to {fmt_pct(high)}"
    return f"{fmt_num(low, 2)} to {fmt_num(high, 2)}"


def _crude(by, arms) -> pd.DataFrame:
    rows, index = [], []
    for arm in arms:
        n, total = _value(by, "aml", arm, None, "n"), _value(by, "aml", arm, None, "N")
        p = _value(by, "aml", arm, None, "p")
        rows.append(
            [
                f"{n}/{total}",
                fmt_pct(p, 2),
                _ci(
                    _value(by, "aml", arm, None, "conf_low"),
                    _value(by, "aml", arm, None, "conf_high"),
                    True,
                ),
            ]
        )
        index.append(arm)
    d = _value(by, "aml", None, "difference", "estimate")
    if d is not None:
        rows.append(
            [
                "",
                fmt_pct(d, 2),
                _ci(
                    _value(by, "aml", None, "difference", "conf_low"),
                    _value(by, "aml", None, "difference", "conf_high"),
                    True,
                ),
            ]
        )
        index.append(f"Difference {arms[-1]} - {arms[0]}")
    term = f"arm[T.{arms[-1]}]"
    orr = _value(by, "aml", None, term, "estimate")
    if orr is not None:
        rows.append(
            [
                "",
                fmt_num(orr, 2),
                _ci(
                    _value(by, "aml", None, term, "conf_low"),
                    _value(by, "aml", None, term, "conf_high"),
                    False,
                ),
            ]
        )
        wald_p = p_text(_value(by, "aml", None, term, "p_value"), "Wald p")
        index.append(f"Odds ratio {arms[-1]} vs {arms[0]} ({wald_p})")
    return pd.DataFrame(rows, index=index, columns=["n/N", "Rate / estimate", "95% CI"])


def _cif(by, arms) -> pd.DataFrame:
    rows, index = [], []
    for variable, name in (("aml_cif", "AML"), ("death_without_aml_cif", "Death without AML")):
        levels = []
        for v, _, lv, s in by:
            if v == variable and s == "estimate" and lv not in levels and lv != "gray_test":
                levels.append(lv)
        for lv in sorted(levels, key=float):
            cells = []
            for arm in arms:
                est = _value(by, variable, arm, lv, "estimate")
                if est is None:
                    cells.append("NA")
                    continue
                ci = _ci(
                    _value(by, variable, arm, lv, "conf_low"),
                    _value(by, variable, arm, lv, "conf_high"),
                    True,
                )
                cells.append(f"{fmt_pct(est)} ({ci})")
            rows.append(cells + [""])
            index.append(f"{name}, {lv} months")
        stat = _value(by, variable, None, "gray_test", "statistic")
        if stat is not None:
            rows.append(
                [""] * len(arms)
                + [
                    f"chi2 = {fmt_num(stat, 3)}, "
                    f"df = {_value(by, variable, None, 'gray_test', 'df')}, "
                    f"p = {fmt_p(_value(by, variable, None, 'gray_test', 'p_value'))}"
                ]
            )
            index.append(f"{name}: Gray's test")
    return pd.DataFrame(rows, index=index, columns=[*arms, "Gray's test"])


def _hazards(by, arms) -> pd.DataFrame:
    rows, index = [], []
    term = f"arm[T.{arms[-1]}]"
    for variable, name in (
        ("aml_cause_specific", "Cause-specific HR (Cox)"),
        ("aml_subdistribution", "Subdistribution HR (Fine-Gray)"),
    ):
        if _value(by, variable, None, None, "estimable") is False:
            rows.append(["not estimable", "", _value(by, variable, None, None, "reason") or ""])
            index.append(name)
            continue
        est = _value(by, variable, None, term, "estimate")
        if est is None:
            continue
        rows.append(
            [
                fmt_num(est, 2),
                _ci(
                    _value(by, variable, None, term, "conf_low"),
                    _value(by, variable, None, term, "conf_high"),
                    False,
                ),
                fmt_p(_value(by, variable, None, term, "p_value")),
            ]
        )
        index.append(f"{name}, {arms[-1]} vs {arms[0]}")
    return pd.DataFrame(rows, index=index, columns=["Estimate", "95% CI", "p"])


def _panel(by) -> pd.DataFrame:
    rows, index = [], []
    for level, name in _PANEL:
        p = by.get(("aml", None, level, "p_value"))
        if p is None:
            continue
        sig = _value(by, "aml", None, level, "significant")
        rows.append(
            [test_name(p.method), fmt_p(p.value), "" if sig is None else ("yes" if sig else "no")]
        )
        index.append(name)
    conclusion = _value(by, "aml", None, "conclusion", "conclusion")
    if conclusion:
        rows.append([conclusion, "", ""])
        index.append("Conclusion")
    return pd.DataFrame(rows, index=index, columns=["Test", "p", "Significant"])


def aml_tables(records) -> dict[str, pd.DataFrame]:
    """Display tables: crude rate, cumulative incidence with Gray's test, hazard ratios,
    sensitivity panel with its conclusion."""
    by, arms = _index(records)
    if not arms:
        return {}
    out = {}
    if ("aml", arms[0], None, "n") in by:
        out["Crude rate by arm"] = _crude(by, arms)
    cif = _cif(by, arms)
    if len(cif):
        out["Cumulative incidence (death without AML as competing risk)"] = cif
    hz = _hazards(by, arms)
    if len(hz):
        out["Hazard ratios of AML"] = hz
    panel = _panel(by)
    if len(panel):
        out["Sensitivity panel of the crude rate"] = panel
    return out
