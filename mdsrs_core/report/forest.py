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


#: the "favours" labels: their size and their offset from the line of no effect (points)
FAVOURS_PT = 7.5
_FAVOURS_GAP_PT = 4.0
#: the forest plot's width (inches) and what its layout keeps beside each panel's axes
#: besides the row labels and the values: tick labels' pad and the figure's margins (points)
WIDTH_IN = 7.0
_FRAME_PT = 24.0


def _text_pt(text: str, size: float, renderer: Any = None) -> float:
    """The width in points of ``text``'s widest line at ``size`` points, in the figure
    fonts (measured by a 72-dpi Agg renderer, as the layout measures it; pass one
    ``renderer`` for many texts: matplotlib caches text metrics per renderer)."""
    from matplotlib.font_manager import FontProperties

    renderer = renderer or _renderer()
    prop = FontProperties(size=size)
    return max(
        (
            renderer.get_text_width_height_descent(line, prop, ismath=False)[0]
            for line in text.split("\n")
        ),
        default=0.0,
    )


def _renderer() -> Any:
    from matplotlib.backends.backend_agg import RendererAgg

    return RendererAgg(10, 10, 72)


def _value_text(ci: tuple[float, float, float], ratio: bool) -> str:
    """The estimate and its interval as printed right of a panel."""
    estimate, low, high = ci
    digits = 2 if ratio or abs(estimate) < 10 else 1
    return f"{fmt_num(estimate, digits)} ({fmt_num(low, digits)} to {fmt_num(high, digits)})"


def _room(label: str, axes_pt: float, renderer: Any = None) -> float:
    """The fraction of a panel's width (``axes_pt`` points) a "favours" label takes beside
    the line of no effect, with its offset and a margin; at most 0.47."""
    return min(0.47, (_FAVOURS_GAP_PT + _text_pt(label, FAVOURS_PT, renderer)) / axes_pt + 0.03)


def _limits(
    rows: list[SummaryRow], ratio: bool, room: tuple[float, float] = (0.2, 0.2)
) -> tuple[float, float]:
    """x limits holding every interval and the line of no effect, with the line at least
    ``room`` (fractions of the final width: left, right) from the edges, room for the
    "favours" labels either side of it."""
    null = 0.0
    values = [null]
    for r in rows:
        ci = _interval(r)
        if ci is not None:
            values += [math.log(v) for v in ci] if ratio else list(ci)
    lo, hi = min(values), max(values)
    width = (hi - lo) or 1.0
    lo, hi = lo - 0.06 * width, hi + 0.06 * width
    left, right = null - lo, hi - null
    # widen one side until the other side's share is enough; twice settles both
    # (each share is at most 0.47, so they fit together)
    for _ in range(2):
        left = max(left, room[0] / (1 - room[0]) * right)
        right = max(right, room[1] / (1 - room[1]) * left)
    lo, hi = null - left, null + right
    return (math.exp(lo), math.exp(hi)) if ratio else (lo, hi)


def _favours_labels(rows: list[SummaryRow], arms: tuple[str, str]) -> tuple[str, str] | None:
    """The panel's "favours" labels, left and right of the line of no effect (long arm
    names wrapped), or None when its rows do not say which direction is better."""
    from .style import wrapped

    favours = _favours(rows[0].better, *arms) if rows else None
    if favours is None:
        return None
    return (
        wrapped(f"\u2190 favours {favours[0]}", 22),
        wrapped(f"favours {favours[1]} \u2192", 22),
    )


def _favours_rows(labels: tuple[str, str] | None) -> float:
    """The height (in rows) the "favours" labels take above a panel's rows: 0.55 for one
    line, 0.35 more per further line."""
    if labels is None:
        return 0.0
    lines = max(label.count("\n") + 1 for label in labels)
    return 0.55 + 0.35 * (lines - 1)


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
    axes_pt: float,
    renderer: Any = None,
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
        ax.annotate(
            _value_text(ci, ratio),
            xy=(1.02, yi),
            xycoords=("axes fraction", "data"),
            va="center",
            fontsize=8,
        )
    null = 1.0 if ratio else 0.0
    ax.axvline(null, color=GREY, lw=0.8, ls="--")
    labels = _favours_labels(rows, arms)
    room = (
        (_room(labels[0], axes_pt, renderer), _room(labels[1], axes_pt, renderer))
        if labels
        else (0.2, 0.2)
    )
    low, high = _limits(rows, ratio, room)
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
    top = len(rows) - 0.3
    if labels is not None:
        # "favours" labels inside the panel, above the rows, either side of the null line
        top += _favours_rows(labels)
        # offsets in points, not spaces: SVG text collapses runs of spaces
        for text, ha, dx in (
            (labels[0], "right", -_FAVOURS_GAP_PT),
            (labels[1], "left", _FAVOURS_GAP_PT),
        ):
            ax.annotate(
                text,
                xy=(null, len(rows) - 0.45),
                xytext=(dx, 0),
                textcoords="offset points",
                ha=ha,
                va="bottom",
                fontsize=FAVOURS_PT,
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
        + _favours_rows(_favours_labels(p[0], (reference, treatment)))
        for p in panels
    ]
    from .style import font_lookups_memoised

    with figure_style(), font_lookups_memoised():
        # the axes' width: the figure less the widest row label and value (8 pt) beside it
        # (one renderer measures every text: matplotlib caches their metrics per renderer)
        renderer = _renderer()
        shown = [(r, ratio) for group, ratio, *_ in panels for r in group]
        axes_pt = (
            WIDTH_IN * 72 - _FRAME_PT - max(_text_pt(_label(r), 8, renderer) for r, _ in shown)
        )
        values = [(_interval(r), ratio) for r, ratio in shown]
        axes_pt -= max(_text_pt(_value_text(ci, ratio), 8, renderer) for ci, ratio in values if ci)
        axes_pt = max(axes_pt, 72.0)
        fig = new_figure(WIDTH_IN, 0.45 * sum(heights) + 0.3)
        axes = fig.subplots(len(panels), 1, squeeze=False, gridspec_kw={"height_ratios": heights})[
            :, 0
        ]
        for ax, (panel_rows, ratio, title, xlabel) in zip(axes, panels, strict=True):
            _panel(ax, panel_rows, ratio, title, xlabel, (reference, treatment), axes_pt, renderer)
    fig.set_label("Forest plot of the between-arm effects")
    return fig
