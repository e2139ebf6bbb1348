"""Formatting the ``ipssr`` records into tables; nothing is computed here."""

from __future__ import annotations

import re

import pandas as pd

from mdsrs_core.report.formatting import fmt_num, fmt_p
from mdsrs_core.report.naming import test_name

from .scoring import CATEGORIES

_WHEN = {"base": "before", "post": "after"}


def _index(records):
    by = {}
    arms: list[str] = []
    for r in records:
        by[(r.variable, r.arm, r.level, r.stat, r.method)] = r
        if r.variable == "ipssr_base_category" and r.stat == "N" and r.arm not in arms:
            arms.append(r.arm)
    return by, arms


def _get(by, variable, arm, level, stat, method=None):
    r = by.get((variable, arm, level, stat, method))
    return None if r is None else r.value


def _n_pct(n, p) -> str:
    if n is None:
        return ""
    return f"{n} ({100 * p:.1f}%)" if p == p and p is not None else f"{n}"


def categories_table(by, arms) -> pd.DataFrame:
    columns, cells = [], []
    for arm in arms:
        for t, when in _WHEN.items():
            cat, score = f"ipssr_{t}_category", f"ipssr_{t}_score"
            columns.append(f"{arm} {when} (N={_get(by, cat, arm, None, 'N')})")
            col = [
                _n_pct(_get(by, cat, arm, lv, "n"), _get(by, cat, arm, lv, "p"))
                for lv in CATEGORIES
            ]
            col.append(
                f"{fmt_num(_get(by, score, arm, None, 'median'), 1)} "
                f"[{fmt_num(_get(by, score, arm, None, 'p25'), 1)}, "
                f"{fmt_num(_get(by, score, arm, None, 'p75'), 1)}]"
            )
            col.append(
                f"{fmt_num(_get(by, score, arm, None, 'mean'), 2)} "
                f"({fmt_num(_get(by, score, arm, None, 'sd'), 2)})"
            )
            cells.append(col)
    index = [*CATEGORIES, "Score, median [Q1, Q3]", "Score, mean (SD)"]
    frame = pd.DataFrame(list(zip(*cells, strict=True)), index=index, columns=columns)
    frame.index.name = "IPSS-R risk category"
    return frame


def shift_table(by, arm) -> pd.DataFrame:
    rows = []
    for b in CATEGORIES:
        row = [str(_get(by, "ipssr_shift", arm, f"{b} -> {a}", "n")) for a in CATEGORIES]
        row.append(str(_get(by, "ipssr_base_category", arm, b, "n")))
        rows.append(row)
    rows.append(
        [str(_get(by, "ipssr_post_category", arm, a, "n")) for a in CATEGORIES]
        + [str(_get(by, "ipssr_base_category", arm, None, "N"))]
    )
    frame = pd.DataFrame(
        rows, index=[*CATEGORIES, "Total"], columns=[f"after: {a}" for a in CATEGORIES] + ["Total"]
    )
    frame.index.name = "before"
    return frame


def change_table(by, arms) -> pd.DataFrame:
    levels = ("improved", "unchanged", "worsened")
    rows = [
        [
            _n_pct(
                _get(by, "ipssr_category_change", arm, lv, "n"),
                _get(by, "ipssr_category_change", arm, lv, "p"),
            )
            for arm in arms
        ]
        for lv in levels
    ]
    frame = pd.DataFrame(
        rows,
        index=["Improved (lower category)", "Unchanged", "Worsened (higher category)"],
        columns=[f"{arm} (N={_get(by, 'ipssr_base_category', arm, None, 'N')})" for arm in arms],
    )
    frame.index.name = "IPSS-R risk category after vs before"
    return frame


def comparisons_table(records, arms) -> pd.DataFrame:
    """One row per between-arm analysis of the arm effect, in the order recorded."""
    if len(arms) != 2:
        return pd.DataFrame()
    ref, other = arms
    term = f"arm[T.{other}]"
    groups: dict[tuple, dict[str, object]] = {}
    for r in records:
        if r.arm is not None or r.stat not in (
            "estimate",
            "conf_low",
            "conf_high",
            "statistic",
            "p_value",
        ):
            continue
        if r.variable == "ipssr_post_score" and r.level is None:
            key = ("wilcoxon", r.method)
        elif r.level == term and r.variable in ("ipssr_post_score", "ipssr_post_category"):
            key = ("model", r.method)
        else:
            continue
        groups.setdefault(key, {"variable": r.variable})[r.stat] = r.value
    rows, index = [], []
    for (kind, method), v in groups.items():
        if kind == "wilcoxon":
            index.append(f"Post-treatment score, {other} vs {ref} (rank-sum)")
            rows.append(
                [
                    test_name(method),  # the report's one naming style
                    "",
                    f"W = {fmt_num(v.get('statistic'), 1)}",
                    fmt_p(v.get("p_value")),
                ]
            )
            continue
        formula = method.split(": ", 1)[1].split(";", 1)[0]
        level = re.search(r"([\d.]+)% CI", method)
        ci = (
            f"({level.group(1) if level else ''}% CI {fmt_num(v.get('conf_low'), 2)} to "
            f"{fmt_num(v.get('conf_high'), 2)})"
        )
        if v["variable"] == "ipssr_post_score":
            index.append(f"Post-treatment score, {other} vs {ref} (ANCOVA)")
            rows.append(
                [
                    f"lm: {formula}",
                    f"difference {fmt_num(v.get('estimate'), 2)} {ci}",
                    f"t = {fmt_num(v.get('statistic'), 2)}",
                    fmt_p(v.get("p_value")),
                ]
            )
        else:
            rhs = [t.strip() for t in formula.split("~", 1)[-1].split("+")]
            adjusted = ", adjusted" if any(t != "arm" for t in rhs) else ""
            index.append(f"Post-treatment category, {other} vs {ref} (ordinal{adjusted})")
            rows.append(
                [
                    f"clm: {formula}",
                    f"OR {fmt_num(v.get('estimate'), 2)} {ci}",
                    f"z = {fmt_num(v.get('statistic'), 2)}",
                    fmt_p(v.get("p_value")),
                ]
            )
    frame = pd.DataFrame(
        rows, index=index, columns=["Method", "Estimate (CI)", "Statistic", "p-value"]
    )
    frame.index.name = "Comparison"
    return frame


def ipssr_tables(records) -> dict[str, pd.DataFrame]:
    by, arms = _index(records)
    if not arms:
        return {}
    tables = {"IPSS-R risk categories before and after treatment": categories_table(by, arms)}
    for arm in arms:
        tables[f"Shift of IPSS-R risk category, {arm}"] = shift_table(by, arm)
    tables["Change of IPSS-R risk category"] = change_table(by, arms)
    comparisons = comparisons_table(records, arms)
    if not comparisons.empty:
        tables["Between-arm comparisons"] = comparisons
    return tables
