"""The numbers-at-risk table under a time-to-event figure (survminer's ``risk.table``) and
the time axis it shares with the curves: drawing only, from numbers an endpoint computed.

``risk`` is ``{"times": [0, 12, ...], "n_risk": {arm: [n, ...]}}``: for each arm the number
of patients still under observation and event-free at each time (R's
``summary(survfit(...), times = )$n.risk``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["draw_risk_table", "time_axis", "percent_axis"]


def draw_risk_table(
    ax: Any, risk: Mapping[str, Any], arms: Sequence[str], colors: Mapping[str, str]
) -> None:
    """Numbers at risk, one row per arm in its colour, on ``ax`` (which shares the curves'
    x axis); the arms' names label the rows."""
    times = risk["times"]
    rows = [a for a in arms if a in risk["n_risk"]]
    for i, arm in enumerate(rows):
        for t, n in zip(times, risk["n_risk"][arm], strict=True):
            ax.text(
                t, i, str(n), ha="center", va="center", fontsize=8.5, color=colors[arm], gid="risk"
            )
    ax.set_ylim(len(rows) - 0.5, -0.5)
    from .style import wrapped

    ax.set_yticks(range(len(rows)), labels=[wrapped(a, 22) for a in rows])
    for label, arm in zip(ax.get_yticklabels(), rows, strict=True):
        label.set_color(colors[arm])
    ax.tick_params(axis="y", length=0, pad=14)
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
