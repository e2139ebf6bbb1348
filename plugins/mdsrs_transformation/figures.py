"""The ``aml`` figure: cumulative incidence of AML by arm, death without AML dashed.

Drawn from the endpoint's figure data (``data["cif"]``: cmprsk's step curves per event type
and arm, already as step points) and its records (Gray's test p); nothing is computed here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from mdsrs_core.report.risk_table import draw_risk_table, percent_axis, time_axis
from mdsrs_core.report.style import (
    arm_colors,
    figure_style,
    new_figure,
    p_text,
    thinned,
    wrapped,
)

TITLE = "Cumulative incidence of transformation to AML by arm"
X_LABEL = "Months since start of treatment"
Y_LABEL = "Cumulative incidence (%)"
#: figure-data key -> (record variable, words in the legend and the panel)
EVENTS = {
    "aml": ("aml_cif", "AML"),
    "death_without_aml": ("death_without_aml_cif", "death without AML"),
}


def _arms(records, cif) -> list[str]:
    arms = [r.arm for r in records if r.variable == "aml_status" and r.arm]
    for curves in cif.values():
        arms += list(curves)
    return list(dict.fromkeys(arms))


def gray_text(records, key: str) -> str | None:
    """``Gray's test (AML) p = 0.378`` from the record, or None when there is none."""
    variable, words = EVENTS[key]
    for r in records:
        if r.variable == variable and r.level == "gray_test" and r.stat == "p_value":
            return f"Gray's test ({words}) {p_text(r.value)}"
    return None


def _top(cif, keys) -> float:
    import numpy as np

    highest = max(
        (float(np.max(c["estimate"])) for k in keys for c in cif[k].values() if len(c["estimate"])),
        default=0.0,
    )
    return min(1.0, math.ceil((highest + 0.05) * 10) / 10)


def cif_figure(
    records,
    cif: Mapping[str, Any],
    *,
    competing: bool = True,
    risk: Mapping[str, Any] | None = None,
):
    """Cumulative incidence of AML (solid) and, with ``competing``, of death without AML
    (dashed) by arm in percent, Gray's test p in the panel; with ``risk`` (times, numbers at
    risk per arm, the longest follow-up) the numbers at risk beneath, as the Kaplan-Meier
    figure, and the time axis ends with the follow-up."""
    keys = [k for k in EVENTS if k in cif and (k == "aml" or competing)]
    arms = _arms(records, cif)
    colors = arm_colors(arms)
    with figure_style():
        from matplotlib.ticker import MultipleLocator

        fig = new_figure(6.5, 5.0 if risk else 4.2)
        fig.set_label(TITLE)
        if risk:
            grid = fig.add_gridspec(2, 1, height_ratios=[4, 0.3 + 0.25 * len(arms)])
            ax = fig.add_subplot(grid[0])
            table = fig.add_subplot(grid[1], sharex=ax)
        else:
            ax = fig.add_subplot()
        for key in keys:
            words = EVENTS[key][1]
            for arm in arms:
                c = cif[key].get(arm)
                if c is None:
                    continue
                time, estimate = thinned(c["time"], c["estimate"])
                ax.plot(
                    time,
                    estimate,
                    color=colors[arm],
                    ls="-" if key == "aml" else "--",
                    label=wrapped(f"{arm}, {words}", 34),
                )
        percent_axis(ax, _top(cif, keys))
        ax.set_xlim(left=0)
        ax.set_xlabel(X_LABEL)
        ax.set_ylabel(Y_LABEL)
        lines = [t for t in (gray_text(records, k) for k in keys) if t]
        if lines:
            ax.text(
                0.02,
                0.97,
                "\n".join(lines),
                transform=ax.transAxes,
                ha="left",
                va="top",
                gid="stats",
            )
        if risk:
            time_axis(ax, risk["times"], float(risk["follow_up"]))
            draw_risk_table(table, risk, arms, colors)
            ax.legend(loc="best", ncols=1, fontsize=8)
        else:
            ax.xaxis.set_major_locator(MultipleLocator(12))
            handles, labels = ax.get_legend_handles_labels()
            fig.legend(handles, labels, loc="outside lower center", ncols=len(keys))
    return fig


def aml_figures(records, data: Mapping[str, Any]) -> dict[str, Any]:
    """``{title: Figure}``; empty when no cumulative incidence was estimated."""
    records = [r for r in records if r.endpoint == "aml"]
    cif = (data or {}).get("cif")
    if not cif or not any(cif.get(k) for k in EVENTS):
        return {}
    if "aml" not in cif:  # no AML at all: the figure would show only the competing event
        return {}
    return {TITLE: cif_figure(records, cif, risk=(data or {}).get("cif_risk"))}
