"""The forest plot of the between-arm effects in the summary table (drawn by the core).

One point with its interval per :class:`~mdsrs_core.endpoint.SummaryRow` that has an
estimate: ratios (odds, hazard ratios) in one panel on a log axis with the line of no effect
at 1, differences in another on a linear axis with the line at 0. The numbers are the
records' (through the rows); matplotlib is imported only when a plot is drawn.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .formatting import fmt_num

if TYPE_CHECKING:  # pragma: no cover
    from ..endpoint import SummaryRow

__all__ = ["forest_rows", "forest_plot"]


def _finite(*values: Any) -> bool:
    return all(v is not None and isinstance(v, (int, float)) and math.isfinite(v) for v in values)


def _interval(row: SummaryRow) -> tuple[float, float, float] | None:
    """``(estimate, conf_low, conf_high)`` when all three are finite numbers."""
    if row.estimate is None or row.conf_low is None or row.conf_high is None:
        return None
    if not _finite(row.estimate, row.conf_low, row.conf_high):
        return None
    return row.estimate, row.conf_low, row.conf_high


def forest_rows(rows: Sequence[SummaryRow]) -> tuple[list[SummaryRow], list[SummaryRow]]:
    """The rows that can be drawn: (ratios with a positive estimate and interval,
    differences with a finite estimate and interval)."""
    ratios = [r for r in rows if r.ratio and (ci := _interval(r)) is not None and min(ci) > 0]
    diffs = [r for r in rows if not r.ratio and _interval(r) is not None]
    return ratios, diffs


_DESCRIPTOR = re.compile(r",\s*(n/N \(%\)|n \(%\)|mean \(SD\).*)$")


def _label(row: SummaryRow) -> str:
    """The row's outcome (``row.outcome``; else its measure without the statistic's
    descriptor) over the effect's name: no time point is tied to a ratio."""
    measure = row.outcome or _DESCRIPTOR.sub("", row.measure)
    return f"{measure}\n{row.effect}" if row.effect else measure


def _limits(rows: list[SummaryRow], ratio: bool) -> tuple[float, float]:
    """x limits holding every interval and the line of no effect, with the line at least a
    quarter of the width from either edge (room for the "favours" labels)."""
    null = 0.0
    values = [null]
    for r in rows:
        ci = _interval(r)
        if ci is not None:
            values += [math.log(v) for v in ci] if ratio else list(ci)
    lo, hi = min(values), max(values)
    width = (hi - lo) or 1.0
    lo, hi = lo - 0.06 * width, hi + 0.06 * width
    width = hi - lo
    lo = min(lo, null - 0.25 * width)
    hi = max(hi, null + 0.25 * width)
    return (math.exp(lo), math.exp(hi)) if ratio else (lo, hi)


def _favours(better: str | None, reference: str, treatment: str) -> tuple[str, str] | None:
    """(arm favoured by the left side, by the right side) of the line of no effect."""
    if better == "higher":
        return reference, treatment
    if better == "lower":
        return treatment, reference
    return None


def _panel(
    ax: Any,
    rows: list[SummaryRow],
    ratio: bool,
    title: str | None,
    xlabel: str | None,
    arms: tuple[str, str],
) -> None:
    from .style import GREY, TREATMENT_COLOR, wrapped

    y = list(range(len(rows)))[::-1]
    for yi, r in zip(y, rows, strict=True):
        ci = _interval(r)
        if ci is None:  # forest_rows() keeps only rows with a finite interval
            continue
        estimate, low, high = ci
        ax.plot([low, high], [yi, yi], color=TREATMENT_COLOR, lw=1.4, solid_capstyle="butt")
        ax.plot([estimate], [yi], marker="s", color=TREATMENT_COLOR, ms=6, ls="none")
        digits = 2 if ratio or abs(estimate) < 10 else 1
        ax.annotate(
            f"{fmt_num(estimate, digits)} ({fmt_num(low, digits)} to {fmt_num(high, digits)})",
            xy=(1.02, yi),
            xycoords=("axes fraction", "data"),
            va="center",
            fontsize=8,
        )
    null = 1.0 if ratio else 0.0
    ax.axvline(null, color=GREY, lw=0.8, ls="--")
    low, high = _limits(rows, ratio)
    if ratio:
        ax.set_xscale("log")
        from matplotlib.ticker import FuncFormatter, NullFormatter

        plain = FuncFormatter(lambda v, _: f"{v:g}")
        ax.xaxis.set_major_formatter(plain)
        # an axis spanning less than a decade has at most one major tick: label the minor
        # ones in the same plain numbers (0.7, 0.8) instead of matplotlib's 7x10^-1
        ax.xaxis.set_minor_formatter(plain if high / low < 10 else NullFormatter())
    ax.set_xlim(low, high)
    ax.set_yticks(y, [_label(r) for r in rows], fontsize=8)
    favours = _favours(rows[0].better, *arms) if rows else None
    top = len(rows) - 0.3
    if favours is not None:
        # "favours" labels inside the panel, above the rows, either side of the null line
        top += 0.55
        # offsets in points, not spaces: SVG text collapses runs of spaces
        for text, ha, dx in (
            (wrapped(f"\u2190 favours {favours[0]}", 28), "right", -4),
            (wrapped(f"favours {favours[1]} \u2192", 28), "left", 4),
        ):
            ax.annotate(
                text,
                xy=(null, len(rows) - 0.45),
                xytext=(dx, 0),
                textcoords="offset points",
                ha=ha,
                va="bottom",
                fontsize=7.5,
                color=GREY,
            )
    ax.set_ylim(-0.7, top)
    if xlabel:
        ax.set_xlabel(wrapped(xlabel, 70))
    if title:
        ax.set_title(title)


def forest_plot(rows: Sequence[SummaryRow], arms: Sequence[str]) -> Any | None:
    """A matplotlib Figure of the effects in ``rows`` (``None`` when none can be drawn).

    ``arms`` are the arm levels, the reference first. Ratios share a log axis per direction
    of benefit (a favourable outcome such as response; an unfavourable one such as death),
    each difference has its own linear axis in its own units; every panel whose rows say
    which direction is better (:attr:`SummaryRow.better`) says which side favours which arm.
    """
    ratios, diffs = forest_rows(rows)
    if not ratios and not diffs:
        return None
    from .style import figure_style, new_figure

    reference = arms[0] if arms else "reference"
    treatment = arms[1] if len(arms) > 1 else "treatment"
    panels: list[tuple[list[SummaryRow], bool, str | None, str | None]] = []
    groups = {key: [r for r in ratios if r.better == key] for key in ("higher", "lower", None)}
    ratio_groups = [g for g in groups.values() if g]
    for i, group in enumerate(ratio_groups):
        panels.append(
            (
                group,
                True,
                "Ratios (log scale; 1 = no difference)" if i == 0 else None,
                f"Ratio, {treatment} vs {reference}" if i == len(ratio_groups) - 1 else None,
            )
        )
    # each difference has its own units, so its own linear axis; rows of the same outcome
    # (an unadjusted and an adjusted difference) share one
    diff_groups: list[list[SummaryRow]] = []
    for row in diffs:
        if diff_groups and row.outcome and diff_groups[-1][-1].outcome == row.outcome:
            diff_groups[-1].append(row)
        else:
            diff_groups.append([row])
    for i, group in enumerate(diff_groups):
        panels.append(
            (
                group,
                False,
                "Differences (each on its own scale; 0 = no difference)" if i == 0 else None,
                f"Difference, {treatment} - {reference}" if i == len(diff_groups) - 1 else None,
            )
        )
    heights = [
        len(p[0])
        + (0.9 if p[2] else 0.3)
        + (0.6 if p[3] else 0)
        + (0.55 if p[0][0].better in ("higher", "lower") else 0)
        for p in panels
    ]
    with figure_style():
        fig = new_figure(7.0, 0.45 * sum(heights) + 0.3)
        axes = fig.subplots(len(panels), 1, squeeze=False, gridspec_kw={"height_ratios": heights})[
            :, 0
        ]
        for ax, (panel_rows, ratio, title, xlabel) in zip(axes, panels, strict=True):
            _panel(ax, panel_rows, ratio, title, xlabel, (reference, treatment))
    fig.set_label("Forest plot of the between-arm effects")
    return fig
