"""The power-curve figure of one planned endpoint, drawn from its records."""

from __future__ import annotations

from typing import Any

from mdsrs_core.records import Record, RecordIndex

__all__ = ["power_curve"]


def power_curve(records: list[Record], title: str, target: float) -> Any:
    """Simulated power against the total trial size, with the Monte-Carlo 95% intervals, the
    target power (dashed) and the smallest size reaching it (dotted)."""
    from mdsrs_core.report.style import OKABE_ITO, figure_style, new_figure

    idx = RecordIndex(records)
    sizes = [int(level) for level in idx.levels("power", "power")]
    power = [idx.value("power", None, str(n), "power") for n in sizes]
    low = [idx.value("power", None, str(n), "conf_low") for n in sizes]
    high = [idx.value("power", None, str(n), "conf_high") for n in sizes]
    required = next((r.value for r in records if r.variable == "n_required"), None)
    color = OKABE_ITO["blue"]
    with figure_style():
        fig = new_figure(6.5, 4.0)
        ax = fig.add_subplot()
        ax.fill_between(
            sizes, low, high, color=color, alpha=0.2, linewidth=0, label="95% Monte-Carlo interval"
        )
        ax.plot(sizes, power, color=color, marker="o", markersize=3.5, label="simulated power")
        ax.axhline(target, color="#555555", linestyle="--", linewidth=1, label=f"target {target:g}")
        if required is not None:
            ax.axvline(
                required,
                color=OKABE_ITO["vermillion"],
                linestyle=":",
                linewidth=1.2,
                label=f"smallest n = {required}",
            )
        ax.set_xlabel("Total trial size (patients)")
        ax.set_ylabel("Power")
        ax.set_ylim(0, 1.02)
        ax.set_title(title, loc="left")
        ax.legend(loc="best", frameon=False, fontsize="small")
    return fig
