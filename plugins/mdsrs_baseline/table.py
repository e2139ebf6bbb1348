"""Formatting the Table 1 records as gtsummary's ``tbl_summary(by = arm) |> add_p() |>
add_overall()`` prints them; nothing is computed here (gtsummary's cards/format split).

* columns: Characteristic, Overall (N = n), one per arm in display order (the study's
  ``[arms]``, with their display names), p-value, SMD;
* one row per continuous variable: median [Q1, Q3] (gtsummary's default statistic) or
  mean (SD), as the endpoint's ``statistic`` / ``mean`` options chose (record
  ``statistic_shown``);
* a categorical variable: its label row, then one indented row per level with n (%);
  a yes/no variable (levels 0/1, no/yes, false/true, N/Y) on one row: the n (%) of yes;
* an indented "Unknown" row with the count of missing values, when there are any;
* labels: the study file's ``[labels]``; for canonical variables without one, a label with
  the unit (``Hemoglobin, g/dL``); "before treatment" is not repeated;
* p-values as gtsummary's ``style_pvalue()`` (``<0.001``, ``0.12``, ``0.5``, ``>0.9``),
  each with a letter naming its test in the footnotes ("ᵃ Wilcoxon rank sum test");
* percentages as gtsummary's ``style_percent()``: no decimal from 10%, one below.

The footnotes travel with the DataFrame in ``frame.attrs["footnotes"]``.
"""

from __future__ import annotations

import math

import pandas as pd

from mdsrs_core.report.formatting import fmt_num, style_pvalue
from mdsrs_core.report.naming import display_unit, test_name
from mdsrs_core.variables import VARIABLES

__all__ = ["table_one", "TABLE1_LABELS", "style_percent", "is_yes_no"]

#: Table 1's names of the canonical baseline variables (the table is "before treatment", so
#: that is not repeated; the unit follows a comma, as gtsummary's examples write it)
TABLE1_LABELS = {
    "age": "Age",
    "sex": "Sex",
    "hgb_base": "Hemoglobin",
    "plt_base": "Platelets",
    "anc_base": "Absolute neutrophil count",
    "bm_blast_base": "Bone-marrow blasts",
    "cyto_base": "IPSS-R cytogenetic risk group",
    "ipssr_base_score": "IPSS-R score",
    "ipssr_base_category": "IPSS-R risk category",
}
#: footnote letters, in order of first use
_LETTERS = "ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖ"
#: the level shown for a yes/no variable, by the variable's set of levels (lower case)
_YES = {
    frozenset({"0", "1"}): "1",
    frozenset({"no", "yes"}): "yes",
    frozenset({"false", "true"}): "true",
    frozenset({"n", "y"}): "y",
}
_STATISTICS = {"median_iqr": "median [Q1, Q3]", "mean_sd": "mean (SD)"}


def style_percent(p: float) -> str:
    """A proportion as gtsummary's ``style_percent()`` writes it (without the % sign): no
    decimal from 10%, one decimal from 0.1%, ``<0.1`` below, ``0`` for none."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "NA"
    x = 100 * float(p)
    if x >= 10:
        return f"{_half_up(x, 0):.0f}"
    if x >= 0.1:
        return f"{_half_up(x, 1):.1f}"
    return "<0.1" if x > 0 else "0"


def _half_up(x: float, digits: int) -> float:
    from decimal import ROUND_HALF_UP, Decimal

    return float(Decimal(repr(x)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def is_yes_no(levels) -> str | None:
    """The "yes" level of a two-level variable gtsummary shows on one row (0/1, no/yes,
    false/true, N/Y; any case), else ``None``."""
    key = frozenset(str(v).lower() for v in levels)
    yes = _YES.get(key)
    if yes is None:
        return None
    return next(v for v in levels if str(v).lower() == yes)


def _digits(values) -> int:
    """Decimals for a continuous variable: 0 for large numbers, 1 otherwise, 2 for small."""
    finite = [abs(v) for v in values if isinstance(v, (int, float)) and v == v]
    top = max(finite, default=0)
    return 0 if top >= 100 else (1 if top >= 10 else 2 if top < 3 else 1)


def _label(var: str, record_label: str | None) -> str:
    """The study's label when it gave one; for a canonical variable, its Table 1 name with
    the unit; else the record's label (the column name)."""
    canonical = VARIABLES.get(var)
    label = record_label or var
    if canonical is not None and label == canonical.label:
        name = TABLE1_LABELS.get(var, canonical.label)
        unit = display_unit(canonical.unit)
        return f"{name}, {unit}" if unit else name
    # Table 1 is before treatment: a derived variable's "... before treatment" says it twice
    return label.removesuffix(" before treatment") or label


def table_one(records) -> pd.DataFrame:
    """Table 1 as text cells (see the module docstring); ``attrs["footnotes"]`` holds the
    statistics' key and the lettered tests."""
    by: dict = {}
    order: list[str] = []
    arms: list[tuple[str, str]] = []  # (level, display name), display order
    for r in records:
        if r.variable == "arm" and r.stat == "N":
            if r.arm is not None:
                arms.append((r.arm, r.label if r.label and r.label != "Treatment arm" else r.arm))
            by[("arm", r.arm, None, "N")] = r.value
            continue
        if r.variable in ("flow", "endpoint"):
            continue
        if r.variable not in order:
            order.append(r.variable)
        by[(r.variable, r.arm, r.level, r.stat)] = r
    columns: list[str | None] = [None, *(a for a, _ in arms)]
    header = [f"Overall (N = {by[('arm', None, None, 'N')]})"]
    header += [f"{name} (N = {by[('arm', a, None, 'N')]})" for a, name in arms]
    letters: dict[str, str] = {}
    used: list[str] = []
    rows: list[list[str]] = []
    index: list[str] = []
    blank = [""] * len(columns)

    def between(var: str) -> list[str]:
        p = by.get((var, None, None, "p_value"))
        smd = by.get((var, None, None, "smd"))
        cell = ""
        if p is not None:
            name = test_name(p.method)
            if name not in letters:
                letters[name] = _LETTERS[len(letters) % len(_LETTERS)]
            cell = f"{style_pvalue(p.value)}{letters[name]}"
        return [cell, fmt_num(smd.value, 2) if smd else ""]

    def n_pct(var: str, arm: str | None, level: str) -> str:
        n, p = by[(var, arm, level, "n")].value, by[(var, arm, level, "p")].value
        return f"{n} ({style_percent(p)}%)" if p == p else f"{n}"

    for var in order:
        levels = [
            k[2] for k in by if k[0] == var and k[3] == "n" and k[1] is None and k[2] is not None
        ]
        first = next(r for k, r in by.items() if k[0] == var and hasattr(r, "label"))
        label = _label(var, first.label)
        if levels:
            yes = is_yes_no(levels)
            if yes is not None:
                index.append(label)
                rows.append([n_pct(var, a, yes) for a in columns] + between(var))
                used.append("n (%)")
            else:
                index.append(label)
                rows.append(blank + between(var))
                for level in levels:
                    index.append(f"    {level}")
                    rows.append([n_pct(var, a, level) for a in columns] + ["", ""])
                used.append("n (%)")
        else:
            shown = by.get((var, None, None, "statistic_shown"))
            kind = shown.value if shown is not None else "median_iqr"
            d = _digits([by[(var, a, None, "median")].value for a in columns])

            def value(arm, stat, var=var, d=d):
                return fmt_num(by[(var, arm, None, stat)].value, d)

            if kind == "mean_sd":
                cells = [f"{value(a, 'mean')} ({value(a, 'sd')})" for a in columns]
            else:
                cells = [
                    f"{value(a, 'median')} [{value(a, 'p25')}, {value(a, 'p75')}]" for a in columns
                ]
            index.append(label)
            rows.append(cells + between(var))
            used.append(_STATISTICS[kind])
        missing = [getattr(by.get((var, a, None, "n_missing")), "value", 0) or 0 for a in columns]
        if any(missing):
            index.append("    Unknown")
            rows.append([str(int(m)) for m in missing] + ["", ""])
    frame = pd.DataFrame(rows, index=index, columns=[*header, "p-value", "SMD"])
    frame.index.name = "Characteristic"
    statistics = list(
        dict.fromkeys(s for s in ("median [Q1, Q3]", "mean (SD)", "n (%)") if s in used)
    )
    footnotes = []
    if statistics:
        footnotes.append(
            "; ".join(s[0].upper() + s[1:] if i == 0 else s for i, s in enumerate(statistics))
            + ("; Unknown: patients without a value, n." if "    Unknown" in index else ".")
        )
    footnotes += [f"{letter} {name}" for name, letter in letters.items()]
    if any(k[3] == "smd" for k in by):
        footnotes.append(
            "SMD: standardized mean difference, the treatment arm vs the reference arm "
            "(Yang & Dalton 2012)."
        )
    frame.attrs["footnotes"] = footnotes
    return frame
