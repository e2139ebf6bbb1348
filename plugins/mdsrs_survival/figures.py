"""The ``os`` figure: Kaplan-Meier curves by arm with the numbers at risk beneath.

Drawn from the endpoint's figure data (``data["km"]``: the survfit curve per arm and the
numbers at risk on the risk-table grid) and its records (log-rank p, hazard ratio, landmark
survival); nothing is computed here. Formatting only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from mdsrs_core.records import RecordIndex
from mdsrs_core.report.formatting import fmt_num, fmt_pct
from mdsrs_core.report.risk_table import draw_risk_table, percent_axis, time_axis
from mdsrs_core.report.style import (
    CURVE_BINS,
    GREY,
    POINTS_MAX,
    arm_colors,
    figure_style,
    new_figure,
    p_text,
    thinned,
    wrapped,
)

from .distributions import DIST_NAMES

TITLE = "Overall survival by arm (Kaplan-Meier)"
X_LABEL = "Months since start of treatment"
Y_LABEL = "Overall survival (%)"


def _arms(records, km) -> list[str]:
    """Arms in the records' order (the reference first), then any others of the data."""
    arms = [r.arm for r in records if r.variable == "os" and r.stat == "N" and r.arm]
    return list(dict.fromkeys([*arms, *km["arms"]]))


def logrank_text(by) -> str | None:
    """``Log-rank p = 0.019`` from the log-rank record (``Stratified log-rank`` when so)."""
    p = by.get("os_logrank", None, None, "p_value")
    if p is None:
        return None
    name = "Stratified log-rank" if (p.method or "").startswith("Stratified") else "Log-rank"
    return f"{name} {p_text(p.value)}"


def hazard_ratio_text(by) -> str | None:
    """``HR lenalidomide vs thalidomide 0.38 (95% CI 0.16-0.88)`` from the Cox records."""
    arm_terms = [
        k[2]
        for k in by
        if k[0] == "os_cox" and k[3] == "estimate" and str(k[2]).startswith("arm[T.")
    ]
    if not arm_terms:
        return None
    term = arm_terms[0]
    est = by.get("os_cox", None, term, "estimate")
    low = by.get("os_cox", None, term, "conf_low").value
    high = by.get("os_cox", None, term, "conf_high").value
    level = re.search(r"(\d+(?:\.\d+)?)% CI", est.method or "")
    what = (est.label or "").replace("Hazard ratio, ", "")
    others = [
        k[2]
        for k in by
        if k[0] == "os_cox" and k[3] == "estimate" and not str(k[2]).startswith("arm[")
    ]
    adjusted = f", adjusted for {', '.join(others)}" if others else ""
    return (
        f"HR {what}{adjusted}: {fmt_num(est.value, 2)} "
        f"({level.group(1) if level else '95'}% CI {fmt_num(low, 2)}\u2013"
        f"{fmt_num(high, 2)})"
    )


def _landmark(by, arms, landmark) -> list[tuple[str, float]]:
    """(arm, survival) at the landmark for the arms whose record exists."""
    level = f"{landmark:g}"
    out = []
    for arm in arms:
        r = by.get("os_km", arm, level, "surv")
        if r is not None and r.value is not None:
            out.append((arm, r.value))
    return out


def _censor_marks(c) -> list[tuple[float, float]]:
    """(time, survival) of the curve's censoring marks; beyond :data:`POINTS_MAX` marks,
    one per cell of a 4000 x 2000 grid over the panel (opaque marks less than a pixel
    apart draw the same picture)."""
    import numpy as np

    censored = np.asarray(c["n_censor"]) > 0
    marks = np.column_stack(
        [np.asarray(c["time"], dtype=float)[censored], np.asarray(c["surv"], dtype=float)[censored]]
    )
    if len(marks) <= POINTS_MAX:
        return [(t, s) for t, s in marks.tolist()]
    low, span = marks.min(axis=0), np.ptp(marks, axis=0)
    span[span == 0] = 1.0
    cells = np.floor((marks - low) / span * [2 * CURVE_BINS, CURVE_BINS]).astype(np.int64)
    _, first = np.unique(cells[:, 0] * (CURVE_BINS + 1) + cells[:, 1], return_index=True)
    return [tuple(m) for m in marks[np.sort(first)].tolist()]


def _from(first: float, values) -> Any:
    """``values`` (a sequence or an array of numbers) with ``first`` before them, as an
    array."""
    import numpy as np

    return np.concatenate([[first], np.asarray(values, dtype=float)])


def _last_time(km) -> float:
    """The latest time of the curves (0 without any)."""
    import numpy as np

    return max(
        (float(np.max(c["time"])) for c in km["arms"].values() if len(c["time"])), default=0.0
    )


def _curves(ax, km, arms, colors, confidence_bands):
    for arm in arms:
        c = km["arms"].get(arm)
        if c is None:
            continue
        curves = [_from(1.0, c["surv"])]
        if confidence_bands:
            curves += [_from(1.0, c["conf_low"]), _from(1.0, c["conf_high"])]
        time, surv, *band = thinned(_from(0.0, c["time"]), *curves)
        ax.step(time, surv, where="post", color=colors[arm], label=wrapped(arm, 24), lw=1.6)
        if confidence_bands:
            ax.fill_between(
                time,
                band[0],
                band[1],
                step="post",
                color=colors[arm],
                alpha=0.12,
                lw=0,
            )
        cens = _censor_marks(c)
        if cens:
            ax.plot(
                [t for t, _ in cens],
                [s for _, s in cens],
                ls="none",
                marker="|",
                ms=6,
                mew=1.0,
                color=colors[arm],
                rasterized=len(cens) > 2000,  # 10^5 marks: one image, not 10^5 SVG marks
            )


def km_figure(
    records, km: Mapping[str, Any], *, landmark: float | None = 60, confidence_bands: bool = False
):
    """The Kaplan-Meier figure with the numbers-at-risk table; ``landmark`` (months) is
    marked with its survival records when they exist (``None``: not marked)."""
    by = RecordIndex(records)
    arms = _arms(records, km)
    colors = arm_colors(arms)
    times = km["risk_table"]["times"]
    with figure_style():
        fig = new_figure(6.5, 4.8)
        fig.set_label(TITLE)
        grid = fig.add_gridspec(2, 1, height_ratios=[4, 0.3 + 0.25 * len(arms)])
        ax = fig.add_subplot(grid[0])
        table = fig.add_subplot(grid[1], sharex=ax)
        _curves(ax, km, arms, colors, confidence_bands)
        percent_axis(ax)
        ax.set_ylabel(Y_LABEL)
        ax.set_xlabel(X_LABEL)
        time_axis(ax, times, _last_time(km))
        marked = _landmark(by, arms, landmark) if landmark is not None else []
        if marked:
            ax.axvline(landmark, color=GREY, lw=0.8, ls=":")
            text = f" {landmark:g} months: " + ", ".join(f"{a} {fmt_pct(s)}" for a, s in marked)
            if len(text) > 60:  # long arm names: one arm per line
                text = f" {landmark:g} months:\n" + "\n".join(
                    f" {wrapped(a, 30)} {fmt_pct(s)}".replace("\n", "\n ") for a, s in marked
                )
            ax.text(
                landmark,
                1.01,
                text,
                color=GREY,
                fontsize=8,
                va="top",
                ha="left",
            )
        # a line longer than 60 characters (long arm names) is wrapped to 40: the legend
        # at the lower left keeps its room
        lines = [
            wrapped(t, 40 if len(t) > 60 else 60)
            for t in (logrank_text(by), hazard_ratio_text(by))
            if t
        ]
        if lines:
            ax.text(
                0.98,
                0.03,
                "\n".join(lines),
                transform=ax.transAxes,
                ha="right",
                va="bottom",
                fontsize=9,
                gid="stats",
            )
        ax.legend(loc="lower left")
        draw_risk_table(table, km["risk_table"], arms, colors)
    return fig


def os_figures(records, data: Mapping[str, Any]) -> dict[str, Any]:
    """``{title: Figure}``; empty when there is no curve (e.g. no deaths)."""
    records = [r for r in records if r.endpoint == "os"]
    km = data.get("km") if data else None
    if not km or not km.get("arms"):
        return {}
    figures = {TITLE: km_figure(records, km)}
    title, fig = parametric_figure(records, km, data)
    if fig is not None:
        figures[title] = fig
    return figures


def parametric_figure(records, km, data):
    """The Kaplan-Meier figure with the per-arm parametric curves drawn over it (dashed),
    or None without parametric figure data."""
    fit = data.get("parametric") if data else None
    if not fit or not fit.get("arms"):
        return None, None
    fig = km_figure(records, km)
    ax = fig.axes[0]
    arms = list(dict.fromkeys([*km["arms"], *fit["arms"]]))
    colors = arm_colors(arms)
    name = DIST_NAMES.get(fit["dist"], fit["dist"])
    for arm, curve in fit["arms"].items():
        ax.plot(
            curve["time"],
            curve["surv"],
            ls="--",
            lw=1.2,
            color=colors[arm],
            label=f"{arm}, {name} fit",
        )
    ax.legend(loc="lower left", fontsize=8)
    title = f"Overall survival by arm: Kaplan-Meier and {name} fits"
    fig.set_label(title)
    return title, fig
