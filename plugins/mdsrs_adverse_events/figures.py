"""The ``adverse_events`` figure: worst CTCAE grade by arm as stacked bars (% of patients).

Every bar segment is the record ``ae_max_grade`` / arm / grade / ``p`` (the proportion of the
arm's patients analysed), labelled with the record ``n``; the panel gives the
proportional-odds odds ratio and the Wilcoxon rank-sum p (records). Nothing is computed here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from mdsrs_core.records import RecordIndex
from mdsrs_core.report.formatting import fmt_num
from mdsrs_core.report.style import (
    LIGHT_GREY,
    figure_style,
    new_figure,
    ordinal_colors,
    p_text,
    wrapped,
)

from .grades import GRADES

TITLE = "Worst adverse-event grade (CTCAE) by arm"
GRADE_WORDS = {
    0: "Grade 0 (none)",
    1: "Grade 1",
    2: "Grade 2",
    3: "Grade 3",
    4: "Grade 4",
    5: "Grade 5 (death)",
}
#: a segment below this proportion is too thin for its count to be printed in it
_LABEL_MIN = 0.05


def _arms(records) -> list[str]:
    return list(
        dict.fromkeys(
            r.arm
            for r in records
            if r.variable == "ae_max_grade" and r.stat == "N" and r.arm is not None
        )
    )


def odds_ratio_text(by, reference: str | None = None) -> str | None:
    """``Proportional-odds OR 0.25 (95% CI 0.09-0.68), p = 0.006`` from the clm records."""
    terms = [
        k[2]
        for k in by
        if k[0] == "ae_max_grade" and k[3] == "estimate" and str(k[2]).startswith("arm[T.")
    ]
    if not terms:
        return None
    est = by.get("ae_max_grade", None, terms[0], "estimate")
    low, high, p = (
        by.value("ae_max_grade", None, terms[0], s) for s in ("conf_low", "conf_high", "p_value")
    )
    level = re.search(r"(\d+(?:\.\d+)?)% CI", est.method or "")
    arm = terms[0][len("arm[T.") : -1] + (f" vs {reference}" if reference else "")
    return (
        f"Proportional-odds OR, {arm}: {fmt_num(est.value, 2)} "
        f"({level.group(1) if level else '95'}% CI {fmt_num(low, 2)}\u2013"
        f"{fmt_num(high, 2)}), {p_text(p)}"
    )


def wilcoxon_text(by) -> str | None:
    p = by.get("ae_max_grade", None, None, "p_value")
    return None if p is None or p.value is None else f"Wilcoxon rank-sum {p_text(p.value)}"


def _contrast(hex_color: str) -> str:
    r, g, b = (int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.55 else "white"


def grade_figure(records):
    """Stacked bars of the worst grade, one bar per arm, grade 0 at the bottom."""
    by = RecordIndex(records)
    arms = _arms(records)
    colors = [LIGHT_GREY, *ordinal_colors(len(GRADES) - 1)]  # grade 0: no adverse event
    with figure_style():
        from matplotlib.ticker import PercentFormatter

        fig = new_figure(1.6 + 1.1 * len(arms) + 1.6, 4.2)
        fig.set_label(TITLE)
        ax = fig.add_subplot()
        bottoms = [0.0] * len(arms)
        for grade, color in zip(GRADES, colors, strict=True):
            heights = [by.value("ae_max_grade", a, str(grade), "p") or 0.0 for a in arms]
            bars = ax.bar(
                range(len(arms)),
                heights,
                0.6,
                bottom=bottoms,
                color=color,
                edgecolor="white",
                linewidth=0.6,
                label=GRADE_WORDS[grade],
                gid=f"grade-{grade}",
            )
            for bar, arm, h in zip(bars, arms, heights, strict=True):
                n = by.value("ae_max_grade", arm, str(grade), "n")
                if n and h >= _LABEL_MIN:
                    ax.text(
                        bar.get_x() + bar.get_width() / 2,
                        bar.get_y() + h / 2,
                        str(n),
                        ha="center",
                        va="center",
                        fontsize=8,
                        color=_contrast(color),
                    )
            bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
        ax.set_xticks(
            range(len(arms)),
            labels=[
                f"{wrapped(a, 16)}\n(N = {by.value('ae_max_grade', a, None, 'N')})" for a in arms
            ],
        )
        ax.set_xlim(-0.6, len(arms) - 0.4)
        ax.set_ylim(0, 1)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_ylabel("Patients (%)")
        handles, labels = ax.get_legend_handles_labels()
        ax.legend(
            handles[::-1],
            labels[::-1],
            title="Worst grade",
            loc="upper left",
            bbox_to_anchor=(1.02, 1.0),
            alignment="left",
        )
        lines = [t for t in (odds_ratio_text(by, arms[0]), wilcoxon_text(by)) if t]
        if lines:
            width = int(fig.get_figwidth() * 19)  # characters of 8 pt across the figure
            note = "\n".join(wrapped(line, width) for line in lines)
            fig.supxlabel(note, x=0.02, ha="left", fontsize=8, gid="stats")
    return fig


def adverse_event_figures(records, data: Mapping[str, Any]) -> dict[str, Any]:
    """``{title: Figure}``; empty when no arm has a patient analysed."""
    records = [r for r in records if r.endpoint == "adverse_events"]
    by = RecordIndex(records)
    if not any(by.value("ae_max_grade", a, None, "N") for a in _arms(records)):
        return {}
    return {TITLE: grade_figure(records)}
