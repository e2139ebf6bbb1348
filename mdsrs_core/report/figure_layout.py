"""One layout pass for a report figure, in place of constrained layout where it can.

matplotlib's constrained layout solves a figure's margins in two passes, and saving with a
tight bounding box measures the figure once more: every tick label, title and legend is
laid out three or four times before the figure is drawn, most of a figure's cost. The
figures mdsrs draws have one shape: axes on one grid (``fig.subplots``, a gridspec),
figure-wide artists stacked at the bottom or top (a ``fig.supxlabel`` or ``fig.suptitle``,
a ``fig.legend(loc="outside lower center")`` or ``"outside upper center"``), legends and
notes inside or beside their axes. For that shape the margins follow from one measurement:

1. the figure-wide artists are measured and stacked in a band at the bottom (the
   ``supxlabel`` lowest, the legends above it) and at the top (the ``suptitle`` highest);
2. matplotlib's tight layout (``TightLayoutEngine``: one measurement of each axes' tight
   bounding box, decorations, legends and texts included) places the axes in the rest of the
   figure, :data:`PAD` from its edges and from each other;
3. the figure is saved whole (the bands and the pad leave no empty margin to trim), so no
   tight-bounding-box pass is needed.

A figure of any other shape (a colorbar, subfigures, axes outside the grid, a legend or
label at a side), or one too small for its decorations, keeps constrained layout, as
matplotlib would lay it out.
"""

from __future__ import annotations

from typing import Any

__all__ = ["fits_one_pass", "lay_out_once", "PAD", "GAP"]

#: space kept between the figure's edge and what it holds, and between axes, in units of
#: the font size (0.4 x 9 pt = 3.6 pt, the 0.05 in the tight bounding box was padded with)
PAD = 0.4
#: space between axes of the grid and between stacked figure-wide artists, font sizes
GAP = 0.8


def fits_one_pass(fig: Any) -> bool:
    """Whether ``fig`` has the shape :func:`lay_out_once` lays out: its axes on one grid,
    no subfigures or colorbars, figure legends only outside at the bottom or top centre,
    no ``supylabel``."""
    if getattr(fig, "subfigs", None):
        return False
    if getattr(fig, "_supylabel", None) is not None:
        return False
    grids = set()
    for ax in fig.axes:
        spec = ax.get_subplotspec()
        if spec is None or getattr(ax, "_colorbar", None) is not None:
            return False
        grids.add(id(spec.get_topmost_subplotspec().get_gridspec()))
    if len(grids) != 1:
        return False
    for legend in fig.legends:
        side = getattr(legend, "_outside_loc", None)
        if side not in (None, "lower", "upper"):
            return False
        if side is not None and legend._loc not in (8, 9):  # lower / upper center
            return False
    return True


def _stack(fig: Any, renderer: Any, side: str, start: float, gap: float) -> float:
    """Place the figure-wide artists of ``side`` ("lower" or "upper") one above (below) the
    other from ``start`` pixels off that edge; the band's height in pixels."""
    height = fig.bbox.height
    edge = start
    label = fig._supxlabel if side == "lower" else fig._suptitle
    if label is not None and label.get_visible() and label.get_text():
        if side == "lower":
            label.set_y(edge / height)
            label.set_verticalalignment("bottom")
        else:
            label.set_y(1 - edge / height)
            label.set_verticalalignment("top")
        edge += label.get_window_extent(renderer).height + gap
    from matplotlib.transforms import Bbox

    for legend in fig.legends:
        if getattr(legend, "_outside_loc", None) != side or not legend.get_visible():
            continue
        # lower (upper) centre of the rest of the figure, no further pad
        legend.borderaxespad = 0.0
        if side == "lower":
            box = Bbox.from_extents(0, edge / height, 1, 1)
        else:
            box = Bbox.from_extents(0, 0, 1, 1 - edge / height)
        legend.set_bbox_to_anchor(box, transform=fig.transFigure)
        edge += legend.get_window_extent(renderer).height + gap
    return edge


def _margins(ax: Any, renderer: Any) -> tuple[float, float, float, float]:
    """What ``ax``'s decorations (tick labels, axis labels, titles, legends, texts) take
    beyond its box, in pixels: left, right, bottom, top."""
    box = ax.get_position(original=False).transformed(ax.figure.transFigure)
    tight = ax.get_tightbbox(renderer, for_layout_only=True)
    if tight is None:
        return 0.0, 0.0, 0.0, 0.0
    return (
        max(0.0, box.x0 - tight.x0),
        max(0.0, tight.x1 - box.x1),
        max(0.0, box.y0 - tight.y0),
        max(0.0, tight.y1 - box.y1),
    )


def _cells(
    start: float,
    length: float,
    ratios: list[float],
    before: list[float],
    after: list[float],
    gap: float,
) -> list[tuple[float, float]] | None:
    """The (start, end) of each cell along one side of the grid: cell ``k`` keeps
    ``before[k]`` and ``after[k]`` for its axes' decorations and ``gap`` from the next; the
    rest of ``length`` is shared in proportion to ``ratios``. None when nothing is left."""
    free = length - sum(before) - sum(after) - gap * (len(ratios) - 1)
    if free <= 0:
        return None
    total = float(sum(ratios))
    out = []
    x = start
    for ratio, b, a in zip(ratios, before, after, strict=True):
        x += b
        size = free * ratio / total
        out.append((x, x + size))
        x += size + a + gap
    return out


def lay_out_once(fig: Any, renderer: Any) -> bool:
    """Lay ``fig`` out in one pass (the module's steps 1-2); False, with ``fig`` unchanged,
    when it does not have that shape or its decorations leave no room for the axes."""
    if not fits_one_pass(fig):
        return False
    if not fig.axes:
        return False
    if any(ax.get_aspect() != "auto" for ax in fig.axes):
        return False
    from matplotlib.transforms import Bbox

    font = fig.dpi * _font_points() / 72.0
    pad, gap = PAD * font, GAP * font
    saved = [(legend, legend._bbox_to_anchor, legend.borderaxespad) for legend in fig.legends]
    labels = [
        (text, text.get_position(), text.get_verticalalignment())
        for text in (fig._supxlabel, fig._suptitle)
        if text is not None
    ]
    bottom = _stack(fig, renderer, "lower", pad, gap)
    top = _stack(fig, renderer, "upper", pad, gap)
    grid = fig.axes[0].get_subplotspec().get_topmost_subplotspec().get_gridspec()
    nrows, ncols = grid.get_geometry()
    left, right = [0.0] * ncols, [0.0] * ncols
    above, below = [0.0] * nrows, [0.0] * nrows
    spans = []
    for ax in fig.axes:
        spec = ax.get_subplotspec().get_topmost_subplotspec()
        rows, cols = spec.rowspan, spec.colspan
        m_left, m_right, m_bottom, m_top = _margins(ax, renderer)
        left[cols.start] = max(left[cols.start], m_left)
        right[cols.stop - 1] = max(right[cols.stop - 1], m_right)
        above[rows.start] = max(above[rows.start], m_top)
        below[rows.stop - 1] = max(below[rows.stop - 1], m_bottom)
        spans.append((ax, rows, cols))
    width, height = fig.bbox.width, fig.bbox.height
    xs = _cells(pad, width - 2 * pad, list(grid.get_width_ratios()), left, right, gap)
    # rows run from the top: lay them out downwards from the upper band
    ys = _cells(top, height - top - bottom, list(grid.get_height_ratios()), above, below, gap)
    if xs is None or ys is None:  # leave the figure to constrained layout, as it was
        for legend, box, axespad in saved:
            legend.set_bbox_to_anchor(box)
            legend.borderaxespad = axespad
        for text, xy, va in labels:
            text.set_position(xy)
            text.set_verticalalignment(va)
        return False
    for ax, rows, cols in spans:
        x0, x1 = xs[cols.start][0], xs[cols.stop - 1][1]
        y_top, y_bottom = ys[rows.start][0], ys[rows.stop - 1][1]
        box = Bbox.from_extents(x0 / width, 1 - y_bottom / height, x1 / width, 1 - y_top / height)
        ax._set_position(box)
    return True


def _font_points() -> float:
    import matplotlib
    from matplotlib.font_manager import FontProperties

    return float(FontProperties(size=matplotlib.rcParams["font.size"]).get_size_in_points())
