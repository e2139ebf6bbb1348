"""Formatting the Table 1 records (gtsummary's default look), nothing computed here."""

from __future__ import annotations

import pandas as pd

from mdsrs_core.report.formatting import fmt_num, fmt_p

_SHORT = {
    "Wilcoxon rank sum test with continuity correction": "Wilcoxon rank-sum",
    "Wilcoxon rank sum exact test": "Wilcoxon rank-sum (exact)",
    "Pearson's Chi-squared test": "Chi-square",
    "Fisher's Exact Test for Count Data": "Fisher's exact",
}


def _digits(values) -> int:
    """Decimals for a continuous variable: 0 for large numbers, 1 otherwise, 2 for small."""
    finite = [abs(v) for v in values if isinstance(v, (int, float)) and v == v]
    top = max(finite, default=0)
    return 0 if top >= 100 else (1 if top >= 10 else 2 if top < 3 else 1)


def table_one(records) -> pd.DataFrame:
    """Table 1 as text cells: a column per arm and overall, p-value, test and SMD."""
    by = {}
    order: list[str] = []
    arms: list[str] = []
    for r in records:
        if r.variable == "arm" and r.stat == "N":
            if r.arm is not None:
                arms.append(r.arm)
            by[("arm", r.arm, None, "N")] = r.value
            continue
        if r.variable in ("flow", "endpoint"):
            continue
        if r.variable not in order:
            order.append(r.variable)
        by[(r.variable, r.arm, r.level, r.stat)] = r
    columns = [*arms, None]
    header = [f"{a} (N={by[('arm', a, None, 'N')]})" for a in arms]
    header.append(f"Overall (N={by[('arm', None, None, 'N')]})")
    rows, index = [], []

    def tests(var):
        p = by.get((var, None, None, "p_value"))
        smd = by.get((var, None, None, "smd"))
        return [
            fmt_p(p.value) if p else "",
            _SHORT.get(p.method, p.method) if p else "",
            fmt_num(smd.value, 2) if smd else "",
        ]

    for var in order:
        levels = [
            k[2] for k in by if k[0] == var and k[3] == "n" and k[1] is None and k[2] is not None
        ]
        label = next(r.label for k, r in by.items() if k[0] == var and hasattr(r, "label"))
        if levels:
            index.append(label)
            rows.append([""] * len(columns) + tests(var))
            for level in levels:
                cells = []
                for a in columns:
                    n, p = by[(var, a, level, "n")].value, by[(var, a, level, "p")].value
                    cells.append(f"{n} ({100 * p:.1f}%)" if p == p else f"{n}")
                index.append(f"    {level}")
                rows.append(cells + ["", "", ""])
            missing = [by[(var, a, None, "n_missing")].value for a in columns]
        else:
            d = _digits([by[(var, a, None, s)].value for a in columns for s in ("median",)])
            index.append(label)
            rows.append([""] * len(columns) + tests(var))
            index.append("    Median [Q1, Q3]")
            rows.append(
                [
                    f"{fmt_num(by[(var, a, None, 'median')].value, d)} "
                    f"[{fmt_num(by[(var, a, None, 'p25')].value, d)}, "
                    f"{fmt_num(by[(var, a, None, 'p75')].value, d)}]"
                    for a in columns
                ]
                + ["", "", ""]
            )
            index.append("    Mean (SD)")
            rows.append(
                [
                    f"{fmt_num(by[(var, a, None, 'mean')].value, d)} "
                    f"({fmt_num(by[(var, a, None, 'sd')].value, d)})"
                    for a in columns
                ]
                + ["", "", ""]
            )
            missing = [by[(var, a, None, "n_missing")].value for a in columns]
        if any(missing):
            index.append("    Missing")
            rows.append([str(m) for m in missing] + ["", "", ""])
    frame = pd.DataFrame(rows, index=index, columns=[*header, "p-value", "Test", "SMD"])
    frame.index.name = "Characteristic"
    return frame
