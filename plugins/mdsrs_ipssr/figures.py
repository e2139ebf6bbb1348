"""The ``ipssr`` figure: shift of the IPSS-R risk category, before -> after, one panel per arm.

A heat-map table per arm: rows the category before treatment, columns the category after,
each cell the record ``ipssr_shift`` / arm / ``"<before> -> <after>"`` / ``n`` (shade and
number); the diagonal (unchanged) is outlined; beneath, improved / unchanged / worsened from
the ``ipssr_category_change`` records. Nothing is computed here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mdsrs_core.records import RecordIndex
from mdsrs_core.report.formatting import fmt_pct
from mdsrs_core.report.style import GREY, figure_style, new_figure, wrapped

from .levels import CATEGORIES, CHANGE_LEVELS

TITLE = "Shift of the IPSS-R risk category from before to after treatment by arm"
_CMAP = "Blues"


def _arms(records) -> list[str]:
    return list(
        dict.fromkeys(
            r.arm
            for r in records
            if r.variable == "ipssr_base_category" and r.stat == "N" and r.arm is not None
        )
    )


def shift_counts(by, arm) -> list[list[int]]:
    """The shift table of ``arm`` from its records: rows before, columns after."""
    return [
        [by.value("ipssr_shift", arm, f"{b} -> {a}", "n") or 0 for a in CATEGORIES]
        for b in CATEGORIES
    ]


def change_text(by, arm) -> str:
    """``Improved 5 (20.8%),`` then on a second line ``Unchanged ..., Worsened ...``, from
    the change records (two lines: on one, the texts of two panels side by side ran into
    each other)."""
    parts = []
    for level in CHANGE_LEVELS:
        n = by.value("ipssr_category_change", arm, level, "n")
        p = by.value("ipssr_category_change", arm, level, "p")
        parts.append(f"{level.capitalize()} {n} ({fmt_pct(p)})")
    return ",\n".join([parts[0], ", ".join(parts[1:])]) if len(parts) > 1 else "".join(parts)


def _panel(ax, by, arm, counts, norm, cmap):
    import numpy as np

    # the shaded cells as vector squares (an image would be resampled and PNG-encoded
    # inside the SVG: two fifths of the figure's SVG time, and blurred when scaled)
    edges = np.arange(len(counts) + 1) - 0.5
    ax.pcolormesh(edges, edges, counts, cmap=cmap, norm=norm, gid="shift-cells")
    ax.set_aspect("equal")
    ax.set_xlim(edges[0], edges[-1])
    ax.set_ylim(edges[-1], edges[0])  # the first category at the top, as a table reads
    top = norm.vmax or 1
    for i, row in enumerate(counts):
        for j, n in enumerate(row):
            color = GREY if n == 0 else ("white" if n > 0.6 * top else "black")
            ax.text(
                j,
                i,
                str(n),
                ha="center",
                va="center",
                fontsize=8.5,
                color=color,
                gid=f"cell-{i}-{j}",
            )
    from matplotlib.patches import Rectangle

    for k in range(len(CATEGORIES)):
        ax.add_patch(Rectangle((k - 0.5, k - 0.5), 1, 1, fill=False, ec="black", lw=1.0))
    ticks = range(len(CATEGORIES))
    ax.set_xticks(ticks, labels=CATEGORIES, rotation=35, ha="right", rotation_mode="anchor")
    ax.set_yticks(ticks, labels=CATEGORIES)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_xlabel("IPSS-R category after treatment")
    n_arm = by.value("ipssr_base_category", arm, None, "N")
    ax.set_title(wrapped(f"{arm} (N = {n_arm})", 36), loc="center")
    ax.text(
        0.5,
        -0.42,
        change_text(by, arm),
        transform=ax.transAxes,
        ha="center",
        va="top",
        fontsize=8,
        gid="change",
    )


def shift_figure(records):
    by = RecordIndex(records)
    arms = _arms(records)
    tables = {arm: shift_counts(by, arm) for arm in arms}
    with figure_style():
        import matplotlib
        from matplotlib.colors import Normalize

        top = max((n for t in tables.values() for row in t for n in row), default=0)
        norm = Normalize(vmin=0, vmax=max(top, 1))
        cmap = matplotlib.colormaps[_CMAP]
        fig = new_figure(3.4 * len(arms) + 0.8, 3.9)
        fig.set_label(TITLE)
        axes = fig.subplots(1, len(arms), squeeze=False)[0]
        for ax, arm in zip(axes, arms, strict=True):
            _panel(ax, by, arm, tables[arm], norm, cmap)
        axes[0].set_ylabel("IPSS-R category before treatment")
        from matplotlib.cm import ScalarMappable

        bar = fig.colorbar(
            ScalarMappable(norm=norm, cmap=cmap), ax=list(axes), shrink=0.7, pad=0.02
        )
        bar.set_label("Patients")
        bar.outline.set_visible(False)
        fig.supxlabel(
            "Outlined: the same category before and after; improved: a lower "
            "(better) category after treatment.",
            x=0.02,
            ha="left",
            fontsize=8,
            color=GREY,
        )
    return fig


def ipssr_figures(records, data: Mapping[str, Any]) -> dict[str, Any]:
    """``{title: Figure}``; empty when no patient has both scores."""
    records = [r for r in records if r.endpoint == "ipssr"]
    by = RecordIndex(records)
    if not any(by.value("ipssr_base_category", a, None, "N") for a in _arms(records)):
        return {}
    return {TITLE: shift_figure(records)}
