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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .formatting import fmt_num

if TYPE_CHECKING:  # pragma: no cover
    from ..endpoint import SummaryRow

__all__ = ["forest_rows", "forest_plot"]


def _one_two_five(low: float, high: float) -> list[float]:
    """The values 1, 2 and 5 times a power of ten from ``low`` to ``high`` (positive)."""
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    values = (m * 10.0**e for e in range(first, last + 1) for m in (1, 2, 5))
    return [v for v in values if low <= v <= high]


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
#: the forest plot's width (inches; wider only when a row label needs it)
WIDTH_IN = 7.0


def _text_pt(text: str, size: Any, meter: _Meter | None = None) -> float:
    """The width in points of ``text``'s widest line at ``size`` (points, or a name such as
    "medium"), in the figure fonts, as wide as any output shows it (:class:`_Meter`; pass
    one ``meter`` for many texts: matplotlib caches text metrics per renderer)."""
    from matplotlib.font_manager import FontProperties

    meter = meter or _Meter()
    prop = FontProperties(size=size)
    return max((meter.width(line, prop) for line in text.split("\n")), default=0.0)


#: what a measured text width is widened by: the outputs draw the texts unhinted
#: (``text.hinting`` ``no_hinting`` in the figure style; SVG viewers draw the font's own
#: widths too), within ~1% of the width measured at any resolution; the rest is a margin
#: for a viewer's own font rendering
_WIDTH_SLACK = 1.03


class _Meter:
    """Text widths as the forest plot's outputs draw them: the font's own (unhinted) width
    at 72 dpi, times :data:`_WIDTH_SLACK`; heights from the font's metrics at 72 dpi, as
    matplotlib's SVG measures them. One renderer measures both (matplotlib caches text
    metrics per renderer)."""

    def __init__(self) -> None:
        from matplotlib.backends.backend_agg import RendererAgg

        self._renderer = RendererAgg(10, 10, 72)  # one cache of text metrics for both

    def width(self, line: str, prop: Any) -> float:
        """The width in points of the one-line text ``line`` in the font ``prop`` (measured
        under :func:`~.style.figure_style`, whose ``text.hinting`` is ``no_hinting``, as
        :func:`forest_plot` measures)."""
        w = self._renderer.get_text_width_height_descent(line, prop, ismath=False)[0]
        return w * _WIDTH_SLACK

    def box(self, text: str, **props: Any) -> tuple[float, float, float]:
        """(width, height, top) in points of ``text`` drawn at (0, 0) with the text
        properties ``props`` (its top: above the anchor; the height from the font's own
        metrics at 72 dpi, the width as :meth:`width`)."""
        from matplotlib.figure import Figure
        from matplotlib.text import Text

        artist = Text(0, 0, text, **props)
        artist.set_figure(Figure(dpi=72))
        extent = artist.get_window_extent(self._renderer)
        prop = artist.get_fontproperties()
        width = max((self.width(line, prop) for line in text.split("\n")), default=0.0)
        return width, float(extent.height), float(extent.y1)


def _value_text(ci: tuple[float, float, float], ratio: bool) -> str:
    """The estimate and its interval as printed right of a panel."""
    estimate, low, high = ci
    digits = 2 if ratio or abs(estimate) < 10 else 1
    return f"{fmt_num(estimate, digits)} ({fmt_num(low, digits)} to {fmt_num(high, digits)})"


def _room(label: str, axes_pt: float, meter: _Meter | None = None) -> float:
    """The fraction of a panel's width (``axes_pt`` points) a "favours" label takes beside
    the line of no effect, with its offset and a margin; at most 0.47."""
    return min(0.47, (_FAVOURS_GAP_PT + _text_pt(label, FAVOURS_PT, meter)) / axes_pt + 0.03)


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
    xlabel: str | None,
    arms: tuple[str, str],
    axes_pt: float,
    meter: _Meter | None = None,
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
        (_room(labels[0], axes_pt, meter), _room(labels[1], axes_pt, meter))
        if labels
        else (0.2, 0.2)
    )
    low, high = _limits(rows, ratio, room)
    if ratio:
        ax.set_xscale("log")
        from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

        plain = FuncFormatter(lambda v, _: f"{v:g}")
        ax.xaxis.set_major_formatter(plain)
        if high / low < 10 and len(_one_two_five(low, high)) < 3:
            # an axis spanning a fraction of a decade has at most one major tick: label the
            # minor ones in the same plain numbers (0.8, 0.9) instead of matplotlib's 9x10^-1
            ax.xaxis.set_minor_formatter(plain)
        else:
            # ratios read at 0.2, 0.5, 1, 2, 5 (a forest plot's usual scale), with no
            # unlabelled minor ticks between (also under a decade when three of them fall
            # in it: 0.3 to 2.4 labelled at every tenth ran 0.6, 0.7, 0.8, 0.9 together);
            # over more than four decades, at the decades
            decades = math.log10(high / low)
            subs = (1.0, 2.0, 5.0) if decades <= 4 else (1.0,)
            ax.xaxis.set_major_locator(LogLocator(10, subs=subs))
            ax.xaxis.set_minor_locator(NullLocator())
    else:
        from matplotlib.ticker import ScalarFormatter

        # the tick labels themselves, never an offset or a power of ten printed apart
        plain_numbers = ScalarFormatter(useOffset=False)
        plain_numbers.set_scientific(False)
        ax.xaxis.set_major_formatter(plain_numbers)
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


#: the forest plot's own layout (points): the margin at the figure's edges (constrained
#: layout's pad), the space between a panel's decorations and the next panel, the height of
#: one row of a panel, and where the values start right of a panel (fraction of its width)
_EDGE_PT = 3.0
_GAP_PT = 10.0
ROW_PT = 26.0
_VALUE_X = 1.02

Panel = tuple[list["SummaryRow"], bool, "str | None", "str | None"]


def _tick_out(axis: str) -> float:
    """How far the major ticks of ``axis`` ("x" or "y") stand out of the axes, plus their
    labels' pad (points): rcParams' tick size by its direction, and pad."""
    import matplotlib

    rc: Any = matplotlib.rcParams
    size = float(rc[f"{axis}tick.major.size"])
    out = {"out": size, "inout": size / 2}.get(rc[f"{axis}tick.direction"], 0.0)
    return out + float(rc[f"{axis}tick.major.pad"])


@dataclass
class _Layout:
    """Where the forest plot's panels go, from the measured sizes of what they hold (points,
    from the figure's bottom left): each panel's axes at ``left``, ``axes_width`` wide,
    above its x tick labels and x label, below its title; the row labels left of it, the
    values right of it. Everything the figure draws is placed inside it, :data:`_EDGE_PT`
    from its edges, so no layout engine and no tight bounding box are needed to save it."""

    width: float
    height: float
    left: float
    axes_width: float
    #: per panel: (bottom, height) of its axes
    rects: list[tuple[float, float]]
    #: the titles' x (axes fraction; 0, the axes' left, unless a title would stand out)
    title_x: float
    #: per panel: its x label's centre (axes fraction; 0.5 unless it would stand out)
    xlabel_x: list[float]

    @classmethod
    def measure(
        cls,
        panels: list[Panel],
        arms: tuple[str, str],
        meter: _Meter,
        extra: tuple[float, float] = (0.0, 0.0),
    ) -> _Layout:
        """The layout of ``panels``; ``extra``: points added to the left and right margins
        (for a tick label at an end of an axis, known once the axes are placed)."""
        import matplotlib

        from .style import wrapped

        rc: Any = matplotlib.rcParams
        shown = [(r, ratio) for group, ratio, *_ in panels for r in group]
        label_w = max(_text_pt(_label(r), 8, meter) for r, _ in shown)
        value_w = max(
            _text_pt(_value_text(ci, ratio), 8, meter)
            for r, ratio in shown
            if (ci := _interval(r)) is not None
        )
        left = _EDGE_PT + extra[0] + label_w + _tick_out("y")
        right = value_w + _EDGE_PT + extra[1]
        width = max(WIDTH_IN * 72, left + _VALUE_X * 72 + right)
        axes_width = (width - left - right) / _VALUE_X
        tick_h = meter.box("0123456789", fontsize=rc["xtick.labelsize"], va="top")[1]
        below_axes = _tick_out("x") + tick_h
        title_font = {"fontsize": rc["axes.titlesize"], "fontweight": rc["axes.titleweight"]}
        title_pt, title_w = 0.0, 0.0
        rects: list[tuple[float, float]] = []
        xlabel_x: list[float] = []
        top = 0.0  # from the figure's top, downwards
        for i, (rows, _ratio, title, xlabel) in enumerate(panels):
            top += _EDGE_PT if i == 0 else _GAP_PT
            if title:
                w, _h, above = meter.box(title, va="baseline", **title_font)
                title_pt = float(rc["axes.titlepad"])
                top += title_pt + above
                title_w = max(title_w, w)
            span = len(rows) + 0.4 + _favours_rows(_favours_labels(rows, arms))
            height = span * ROW_PT
            rects.append((top + height, height))  # its bottom, from the top for now
            top += height + below_axes
            centre = 0.5
            if xlabel:
                w, h, _top = meter.box(wrapped(xlabel, 70), fontsize=rc["axes.labelsize"], va="top")
                top += float(rc["axes.labelpad"]) + h
                centre = _inside(w, left, axes_width, width, 0.5)
            xlabel_x.append(centre)
        height = top + _EDGE_PT
        rects = [(height - bottom, h) for bottom, h in rects]
        title_x = _inside(title_w, left, axes_width, width, 0.0) if title_pt else 0.0
        return cls(width, height, left, axes_width, rects, title_x, xlabel_x)


def _inside(text_w: float, left: float, axes_w: float, fig_w: float, anchor: float) -> float:
    """Where (axes fraction) to put a text ``text_w`` points wide that is drawn from
    ``anchor`` (0: left-aligned at the axes' left; 0.5: centred) so that it stays inside
    the figure, :data:`_EDGE_PT` from its edges: ``anchor`` when it does."""
    start = left + anchor * axes_w - anchor * text_w
    low, high = _EDGE_PT, fig_w - _EDGE_PT - text_w
    moved = min(max(start, low), max(high, low))
    return anchor + (moved - start) / axes_w


def _draw(panels: list[Panel], arms: tuple[str, str], layout: _Layout, meter: _Meter) -> Any:
    """The forest plot's figure, its panels where ``layout`` puts them (no layout engine)."""
    from .style import new_figure

    fig = new_figure(layout.width / 72, layout.height / 72, layout=None)
    for (rows, ratio, title, xlabel), (bottom, height), xlabel_x in zip(
        panels, layout.rects, layout.xlabel_x, strict=True
    ):
        ax = fig.add_axes(
            (
                layout.left / layout.width,
                bottom / layout.height,
                layout.axes_width / layout.width,
                height / layout.height,
            )
        )
        _panel(ax, rows, ratio, xlabel, arms, layout.axes_width, meter)
        if title:
            ax.set_title(title, loc="left", x=layout.title_x)
        if xlabel:
            ax.xaxis.label.set_x(xlabel_x)
    return fig


def _tick_overhang(fig: Any, layout: _Layout, meter: _Meter) -> tuple[float, float]:
    """How far (points) the x tick labels at the ends of the panels' axes stand out of the
    figure's left and right margins (0.0 each when none does)."""
    import matplotlib

    rc: Any = matplotlib.rcParams
    over_left = over_right = 0.0
    for ax in fig.axes:
        low, high = ax.get_xlim()
        log = ax.get_xscale() == "log"
        scale = math.log if log else float
        span = scale(high) - scale(low)
        for axis_locs, formatter in (
            (ax.xaxis.get_majorticklocs(), ax.xaxis.get_major_formatter()),
            (ax.xaxis.get_minorticklocs(), ax.xaxis.get_minor_formatter()),
        ):
            texts = formatter.format_ticks(list(axis_locs)) if len(axis_locs) else []
            for loc, text in zip(axis_locs, texts, strict=True):
                if not text or not low <= loc <= high or (log and loc <= 0):
                    continue
                x = layout.left + (scale(loc) - scale(low)) / span * layout.axes_width
                half = _text_pt(text, rc["xtick.labelsize"], meter) / 2
                over_left = max(over_left, _EDGE_PT - (x - half))
                over_right = max(over_right, x + half - (layout.width - _EDGE_PT))
    return (math.ceil(over_left), math.ceil(over_right)) if over_left or over_right else (0.0, 0.0)


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
    from .style import figure_style

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
    from .style import drawing_memoised, fixed_layout

    with figure_style(), drawing_memoised():
        meter = _Meter()
        layout = _Layout.measure(panels, (reference, treatment), meter)
        fig = _draw(panels, (reference, treatment), layout, meter)
        extra = _tick_overhang(fig, layout, meter)
        if extra != (0.0, 0.0):  # a tick label at an end stands out: widen that margin
            layout = _Layout.measure(panels, (reference, treatment), meter, extra)
            fig = _draw(panels, (reference, treatment), layout, meter)
    fixed_layout(fig)
    fig.set_label("Forest plot of the between-arm effects")
    return fig
