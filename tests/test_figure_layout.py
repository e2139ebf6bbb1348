"""The one-pass layout of report figures (``mdsrs_core.report.figure_layout``): every
figure mdsrs draws keeps its text inside the figure and off the other panels, figure-wide
labels and legends stack below the axes, and figures of other shapes (a colorbar, a legend
at a side, no room) keep matplotlib's constrained layout."""

from __future__ import annotations

import pytest

from mdsrs_core import load_example, run

matplotlib = pytest.importorskip("matplotlib")
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.layout_engine import ConstrainedLayoutEngine  # noqa: E402

from mdsrs_core.report import figure_layout  # noqa: E402
from mdsrs_core.report.forest import forest_plot  # noqa: E402
from mdsrs_core.report.style import figure_style, freeze_layout, new_figure, to_svg  # noqa: E402
from mdsrs_core.report.summary_table import summary_rows  # noqa: E402


def _figures(result):
    out = {}
    for o in result.outcomes:
        if o.status != "ok" or not o.endpoint.draws_figures:
            continue
        records = [r for r in result.records if r.endpoint == o.name]
        for title, fig in o.endpoint.figures(records, o.result.figures).items():
            out[f"{o.name}: {title}"] = fig
    out["forest"] = forest_plot(summary_rows(result)[0], list(result.cohort.arms))
    return out


@pytest.fixture(scope="module")
def example_figures():
    return _figures(run(load_example(), timeout=None))


def _drawn_boxes(fig, renderer):
    """(what, box in pixels) of everything drawn: each axes with its decorations (the tick
    labels drawn, axis labels, titles, legends, texts and annotations), and the figure's
    legends and texts."""
    out = [(ax.get_title() or "axes", ax.get_tightbbox(renderer)) for ax in fig.axes]
    out += [("figure legend", legend.get_window_extent(renderer)) for legend in fig.legends]
    texts = [*fig.texts, fig._supxlabel, fig._suptitle]
    out += [
        (t.get_text(), t.get_window_extent(renderer))
        for t in texts
        if t is not None and t.get_visible() and t.get_text().strip()
    ]
    return out


def _check_fitted(fig, renderer, saved=None):
    """Everything drawn inside what is saved (``saved``, inches: by default the whole
    figure); no axes' decorations over another axes' box (after a drawing, which places
    the texts of legends and offset boxes)."""
    fig.canvas.draw()
    x0, y0, x1, y1 = (0.0, 0.0, fig.bbox.width, fig.bbox.height)
    if saved is not None:
        x0, y0, x1, y1 = (v * fig.dpi for v in saved.extents)
    for what, box in _drawn_boxes(fig, renderer):
        assert box.x0 >= x0 - 0.5 and box.y0 >= y0 - 0.5, (what, box)
        assert box.x1 <= x1 + 0.5 and box.y1 <= y1 + 0.5, (what, box)
    axes = fig.axes
    for a in axes:
        decorated = a.get_tightbbox(renderer, for_layout_only=True)
        for b in axes:
            if a is b:
                continue
            other = b.get_window_extent(renderer)
            overlap_w = min(decorated.x1, other.x1) - max(decorated.x0, other.x0)
            overlap_h = min(decorated.y1, other.y1) - max(decorated.y0, other.y0)
            assert overlap_w <= 0.5 or overlap_h <= 0.5, (a.get_title(), b.get_title())


def test_the_report_figures_are_laid_out_in_one_pass_and_keep_their_text_inside(
    example_figures,
):
    laid_out = []
    for name, fig in example_figures.items():
        with figure_style():
            one_pass = figure_layout.fits_one_pass(fig)
            box = freeze_layout(fig)
            renderer = fig.canvas.get_renderer()
            if one_pass:
                laid_out.append(name)
                # saved whole: no empty margin to trim
                assert (box.width, box.height) == pytest.approx(tuple(fig.get_size_inches()))
            _check_fitted(fig, renderer, box)
        assert fig.get_layout_engine() is None
    # the IPSS-R shift figure has a colorbar: constrained layout; the others one pass
    assert sorted(laid_out) == sorted(n for n in example_figures if not n.startswith("ipssr"))


def test_a_figure_legend_and_supxlabel_stack_below_the_axes():
    with figure_style():
        fig = new_figure(6.0, 3.5)
        axes = fig.subplots(1, 2)
        for ax in axes:
            ax.plot([0, 10], [0, 1000], label="a line")
            ax.set_xlabel("Months since start of treatment")
            ax.set_title("Panel")
        legend = fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center")
        label = fig.supxlabel("A note under the legend\nin two lines", x=0.02, ha="left")
        FigureCanvasAgg(fig)
        freeze_layout(fig)
        renderer = fig.canvas.get_renderer()
        _check_fitted(fig, renderer)
        note, key = label.get_window_extent(renderer), legend.get_window_extent(renderer)
        lowest_axes = min(ax.get_tightbbox(renderer, for_layout_only=True).y0 for ax in fig.axes)
        assert note.y1 <= key.y0 and key.y1 <= lowest_axes  # note, then legend, then axes
        assert note.y0 == pytest.approx(figure_layout.PAD * 9 * fig.dpi / 72, abs=1)
        assert "<svg" in to_svg(fig)


def test_axes_of_one_column_share_their_left_edge():
    with figure_style():
        fig = new_figure(5.0, 4.0)
        grid = fig.add_gridspec(2, 1, height_ratios=[3, 1])
        top = fig.add_subplot(grid[0])
        bottom = fig.add_subplot(grid[1], sharex=top)
        top.plot([0, 1], [0, 123456])  # wide tick labels above, narrow below
        bottom.set_yticks([0, 1], ["a", "b"])
        FigureCanvasAgg(fig)
        freeze_layout(fig)
        renderer = fig.canvas.get_renderer()
        _check_fitted(fig, renderer)
        assert top.get_position().x0 == pytest.approx(bottom.get_position().x0)
        # the height ratio holds between the axes boxes
        ratio = top.get_position().height / bottom.get_position().height
        assert ratio == pytest.approx(3.0)


@pytest.mark.parametrize("shape", ["colorbar", "side legend", "supylabel", "subfigures"])
def test_other_shapes_keep_constrained_layout(shape):
    with figure_style():
        fig = new_figure(5.0, 3.5)
        if shape == "subfigures":
            for sub in fig.subfigures(1, 2):
                sub.add_subplot().plot([0, 1])
        else:
            ax = fig.add_subplot()
            image = ax.imshow([[0, 1], [1, 0]], aspect="auto")
            if shape == "colorbar":
                fig.colorbar(image, ax=ax)
            elif shape == "side legend":
                ax.plot([0, 1], label="x")
                fig.legend(loc="outside right upper")
            else:
                fig.supylabel("a label at the side")
        assert not figure_layout.fits_one_pass(fig)
        assert isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine)
        FigureCanvasAgg(fig)
        box = freeze_layout(fig)  # constrained layout, then the tight bounding box
        assert fig.get_layout_engine() is None
        # saved as the tight bounding box of what the figure holds, padded
        tight = fig.get_tightbbox(fig.canvas.get_renderer()).padded(0.05)
        assert box.extents == pytest.approx(tight.extents)


def test_no_room_for_the_axes_leaves_the_figure_to_constrained_layout():
    with figure_style():
        fig = new_figure(1.2, 1.0)
        ax = fig.add_subplot()
        for k in range(8):
            ax.plot([0, 1], [0, k], label=f"line {k}")
        ax.set_ylabel("a very long label of the vertical axis\nin two lines")
        legend = fig.legend(loc="outside lower center", ncols=1)  # taller than the figure
        FigureCanvasAgg(fig)
        renderer = fig.canvas.get_renderer()
        before = (legend._bbox_to_anchor, legend.borderaxespad)
        assert figure_layout.fits_one_pass(fig)
        assert not figure_layout.lay_out_once(fig, renderer)
        assert (legend._bbox_to_anchor, legend.borderaxespad) == before  # left as it was
