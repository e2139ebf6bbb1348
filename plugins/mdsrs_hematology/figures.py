"""The ``hematology`` figure: HGB, PLT and ANC before and after treatment, one panel per lab.

Per arm, each patient's before and after values joined by a thin line (the endpoint's figure
data ``data[lab][arm]``; one LineCollection per arm) and the arm's mean before and after
(records ``<lab>_base`` and ``<lab>_post``, stat ``mean``) in bold; above each arm the
paired t-test p of the change, in the panel's corner the ANCOVA p between arms (records).
Nothing is computed here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mdsrs_core.records import RecordIndex
from mdsrs_core.report.naming import display_unit
from mdsrs_core.report.style import (
    GREY,
    arm_colors,
    figure_style,
    new_figure,
    p_text,
    wrapped,
)

from .endpoint import LABS
from .methods import PAIRED

TITLE = "Blood counts before and after treatment by arm"
#: distance between the arms' pairs of positions on the x axis
_GAP = 2.6
#: above this many patients in an arm, its per-patient lines are drawn as a raster image
_VECTOR_MAX = 2000
#: the most distinct segments drawn per arm and panel (beyond, values are binned finer
#: than the image's pixels)
_SEGMENTS_MAX = 20000
#: the opacity of one patient's line and points
_ALPHA = 0.3


def _distinct(x, y, counts=None):
    """The distinct points (``x``, ``y``) and how many patients each stands for."""
    import numpy as np

    # as complex numbers, one sort orders the pairs (np.unique with axis=0 is 10x slower)
    points, inverse = np.unique(x + 1j * y, return_inverse=True)
    weights = np.bincount(inverse.ravel(), weights=counts, minlength=len(points))
    return points.real, points.imag, weights


def _binned_pairs(base, post):
    """The (before, after) pairs of an arm as distinct pairs with their patient counts:
    exact when there are at most :data:`_SEGMENTS_MAX` distinct pairs, else with values
    rounded to the nearest of 1024 (or 512, 256...) equal steps between the panel's
    smallest and largest value, i.e. finer than a pixel of the drawn panel (the extremes
    stay exact)."""
    import numpy as np

    base, post = np.asarray(base, float), np.asarray(post, float)
    b, p, counts = _distinct(base, post)
    levels = 1024
    low, high = float(min(base.min(), post.min())), float(max(base.max(), post.max()))
    while len(b) > _SEGMENTS_MAX and high > low and levels >= 64:
        step = (high - low) / levels
        b, p, counts = _distinct(
            low + np.rint((base - low) / step) * step, low + np.rint((post - low) / step) * step
        )
        levels //= 2
    return b, p, counts


def _many_patients(ax, base, post, x0, color, arm):
    """Thousands of patients: the lines and points of patients sharing (before, after)
    values drawn once with the opacity their overlap gives, ``1 - (1 - alpha)**k`` for
    ``k`` patients (what ``k`` stacked lines of opacity ``alpha`` show), as one raster
    image inside the SVG; the picture is that of one line per patient, at a cost that
    does not grow with the cohort."""
    import numpy as np
    from matplotlib.collections import LineCollection
    from matplotlib.colors import to_rgba

    b, p, counts = _binned_pairs(base, post)
    rgba = np.tile(to_rgba(color), (len(b), 1))
    rgba[:, 3] = 1 - (1 - _ALPHA) ** counts
    left, right = np.full(len(b), float(x0)), np.full(len(b), x0 + 1.0)
    segments = np.stack([np.column_stack([left, b]), np.column_stack([right, p])], axis=1)
    ax.add_collection(
        LineCollection(segments, colors=rgba, lw=0.7, gid=f"patients-{arm}", rasterized=True)
    )
    px, py, weights = _distinct(
        np.concatenate([left, right]), np.concatenate([b, p]), np.concatenate([counts, counts])
    )
    rgba = np.tile(to_rgba(color), (len(px), 1))
    rgba[:, 3] = 1 - (1 - _ALPHA) ** weights
    ax.scatter(
        px,
        py,
        s=2.2**2,
        c=rgba,
        marker="o",
        linewidths=0,
        gid=f"patient-values-{arm}",
        rasterized=True,
    )


def _arms(records, data) -> list[str]:
    arms = [r.arm for r in records if r.variable in LABS and r.stat == "n_analysed" and r.arm]
    for lab in LABS:
        arms += list(data.get(lab) or {})
    return list(dict.fromkeys(arms))


def paired_text(by, lab, arm) -> str | None:
    p = by.value(f"{lab}_change", arm, PAIRED, "p_value")
    return None if p is None else f"paired t {p_text(p)}"


def ancova_text(by, lab, arms) -> str | None:
    if len(arms) < 2:
        return None
    p = by.value(lab, None, f"arm[T.{arms[1]}]", "p_value")
    return None if p is None else f"ANCOVA {p_text(p)}"


def _panel(ax, by, lab, values, arms, colors):
    import numpy as np

    short, label, unit = LABS[lab]
    for i, arm in enumerate(arms):
        x0 = i * _GAP
        pairs = values.get(arm, {})
        # the figure data hold arrays (or sequences) of numbers
        base = np.asarray(pairs.get("base", []), dtype=float)
        post = np.asarray(pairs.get("post", []), dtype=float)
        if len(base) != len(post):
            raise ValueError(f"{lab} {arm}: {len(base)} values before, {len(post)} after")
        if len(base) > _VECTOR_MAX:
            _many_patients(ax, base, post, x0, colors[arm], arm)
        elif len(base):
            base, post = base.tolist(), post.tolist()
            # one collection of segments and one marker set per arm (not one line per
            # patient: the figure stays cheap to draw and small at any cohort size)
            from matplotlib.collections import LineCollection

            segments = [((x0, b), (x0 + 1, p)) for b, p in zip(base, post, strict=True)]
            ax.add_collection(
                LineCollection(
                    segments, colors=colors[arm], alpha=_ALPHA, lw=0.7, gid=f"patients-{arm}"
                )
            )
            ax.plot(
                [x0] * len(base) + [x0 + 1] * len(post),
                base + post,
                ls="none",
                color=colors[arm],
                alpha=_ALPHA,
                marker="o",
                ms=2.2,
                mew=0,
                gid=f"patient-values-{arm}",
            )
        mean = (
            by.value(f"{lab}_base", arm, None, "mean"),
            by.value(f"{lab}_post", arm, None, "mean"),
        )
        if None not in mean:
            ax.plot(
                [x0, x0 + 1],
                mean,
                color=colors[arm],
                lw=2.4,
                marker="o",
                ms=6,
                mec="white",
                mew=0.8,
                zorder=5,
                gid=f"mean-{arm}",
            )
        text = paired_text(by, lab, arm)
        if text:
            ax.text(
                x0 + 0.5,
                1.0,
                text,
                transform=ax.get_xaxis_transform(),
                ha="center",
                va="bottom",
                fontsize=8,
                color=colors[arm],
            )
    ax.set_xticks(
        [x for i in range(len(arms)) for x in (i * _GAP, i * _GAP + 1)],
        labels=["Before", "After"] * len(arms),
    )
    ax.set_xlim(-0.5, (len(arms) - 1) * _GAP + 1.5)
    # each arm's name centred under its Before/After pair, in the arm's colour (texts below
    # the tick labels: in the layout as tick labels are, at a fraction of the cost of a
    # secondary axis)
    for i, arm in enumerate(arms):
        ax.annotate(
            wrapped(arm, 14),
            (i * _GAP + 0.5, 0),
            xycoords=ax.get_xaxis_transform(),
            xytext=(0, -20),
            textcoords="offset points",
            ha="center",
            va="top",
            color=colors[arm],
            annotation_clip=False,
        )
    ax.set_ylabel(f"{label} ({display_unit(unit)})")
    ax.set_title(short, pad=16)
    corner = ancova_text(by, lab, arms)
    if corner:
        ax.set_title(corner, loc="right", fontsize=8, fontweight="normal", pad=16)


def labs_figure(records, data: Mapping[str, Any]):
    """One panel per lab of the figure data, side by side."""
    by = RecordIndex(records)
    labs = [lab for lab in LABS if data.get(lab)]
    arms = _arms(records, data)
    colors = arm_colors(arms)
    with figure_style():
        fig = new_figure(2.4 * len(labs) + 0.6, 3.6)
        fig.set_label(TITLE)
        axes = fig.subplots(1, len(labs), squeeze=False)[0]
        for ax, lab in zip(axes, labs, strict=True):
            _panel(ax, by, lab, data[lab], arms, colors)
        from matplotlib.lines import Line2D

        key = [
            Line2D([], [], color=GREY, alpha=0.5, lw=0.7, marker="o", ms=2.2, mew=0),
            Line2D([], [], color=GREY, lw=2.4, marker="o", ms=6, mec="white", mew=0.8),
        ]
        fig.legend(key, ["One patient", "Arm mean"], loc="outside lower center", ncols=2)
    return fig


def hematology_figures(records, data: Mapping[str, Any]) -> dict[str, Any]:
    """``{title: Figure}``; empty when no lab has before and after values."""
    records = [r for r in records if r.endpoint == "hematology"]
    if not data or not any(data.get(lab) for lab in LABS):
        return {}
    return {TITLE: labs_figure(records, data)}
