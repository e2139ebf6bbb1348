"""The numbers-at-risk table under a time-to-event figure (survminer's ``risk.table``) and
the time axis it shares with the curves: drawing only, from numbers an endpoint computed.

``risk`` is ``{"times": [0, 12, ...], "n_risk": {arm: [n, ...]}}``: for each arm the number
of patients still under observation and event-free at each time (R's
``summary(survfit(...), times = )$n.risk``). When the widest count would run into its
neighbours (six-digit counts every 12 months over 15 years), the table shows every second
(third, ...) time from 0 on, as few as keep the counts apart; the figure data keep them all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["draw_risk_table", "time_axis", "percent_axis", "risk_stride"]

#: the counts' font size (points)
FONT_SIZE = 8.5
#: a digit's advance as a fraction of the font size: DejaVu Sans's 0.64 em, the widest of
#: the figures' fonts (Arial's and Liberation Sans's are 0.56)
DIGIT_EM = 0.64
#: the least room between two neighbouring counts (points)
GAP_PT = 4.0


def risk_stride(ax: Any, times: Sequence[float], widest: int) -> int:
    """Show every k-th time of the table: the smallest k at which counts of ``widest``
    digits, centred on their times, keep :data:`GAP_PT` apart on ``ax`` (its x limits and
    its width in the figure as they are when called)."""
    if len(times) < 2:
        return 1
    low, high = ax.get_xlim()
    width_pt = ax.get_position().width * ax.figure.get_figwidth() * 72
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    step = min(gaps) / (high - low) * width_pt
    need = widest * DIGIT_EM * FONT_SIZE + GAP_PT
    k = 1
    while k * step < need and k < len(times):
        k += 1
    return k


def draw_risk_table(
    ax: Any, risk: Mapping[str, Any], arms: Sequence[str], colors: Mapping[str, str]
) -> None:
    """Numbers at risk, one row per arm in its colour, on ``ax`` (which shares the curves'
    x axis, its limits already set: :func:`time_axis`); the arms' names label the rows.
    Every :func:`risk_stride`-th time is shown when the counts would touch."""
    times = risk["times"]
    rows = [a for a in arms if a in risk["n_risk"]]
    widest = max((len(str(n)) for a in rows for n in risk["n_risk"][a]), default=1)
    stride = risk_stride(ax, times, widest)
    for i, arm in enumerate(rows):
        counts = list(zip(times, risk["n_risk"][arm], strict=True))
        for t, n in counts[::stride]:
            ax.text(
                t,
                i,
                str(n),
                ha="center",
                va="center",
                fontsize=FONT_SIZE,
                color=colors[arm],
                gid="risk",
            )
    ax.set_ylim(len(rows) - 0.5, -0.5)
    from .style import wrapped

    ax.set_yticks(range(len(rows)), labels=[wrapped(a, 22) for a in rows])
    for label, arm in zip(ax.get_yticklabels(), rows, strict=True):
        label.set_color(colors[arm])
    # the arms' names clear of the first count, centred on time 0 at the axis
    half = widest * DIGIT_EM * FONT_SIZE / 2
    ax.tick_params(axis="y", length=0, pad=max(14.0, half + GAP_PT))
    # the x axis is the curves' (shared): none of its own drawn, nor its ticks computed
    ax.xaxis.set_visible(False)
    for side in ("left", "bottom", "top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title("Number at risk", fontsize=9, loc="left", pad=2)


def time_axis(ax: Any, times: Sequence[float], follow_up: float) -> None:
    """Ticks at the risk table's times; the axis ends with the longest follow-up (2% past
    it, so the last step shows), not at the next round number."""
    last = max([*times, follow_up]) if times else follow_up
    ax.set_xticks([t for t in times if t <= last])
    ax.set_xlim(0, last * 1.02 if last else 1)


def percent_axis(ax: Any, top: float = 1.0) -> None:
    """A y axis of proportions labelled in percent (0%, 20%, ...), as the tables print
    them; ``top`` is the upper limit as a proportion."""
    from matplotlib.ticker import MultipleLocator, PercentFormatter

    ax.set_ylim(0, top * 1.02 if top >= 1 else top)
    ax.yaxis.set_major_locator(MultipleLocator(0.2 if top > 0.5 else 0.1))
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=0))
