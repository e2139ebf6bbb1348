"""How a figure is laid out and saved (``mdsrs_core.report.style``): a figure constrained
layout lays out is saved whole, with no tight-bounding-box pass; a figure holding what the
layout does not place is saved to its tight bounding box; font lookups memoised during the
drawing return what matplotlib's lookup returns."""

from __future__ import annotations

import pytest

matplotlib = pytest.importorskip("matplotlib")

from matplotlib import font_manager  # noqa: E402
from matplotlib.font_manager import FontProperties  # noqa: E402

from mdsrs_core.report.style import (  # noqa: E402
    figure_style,
    font_lookups_memoised,
    freeze_layout,
    new_figure,
    to_svg,
)


def _plain():
    with figure_style():
        fig = new_figure(4, 3)
        ax = fig.add_subplot()
        ax.plot([0, 10], [0, 1])
        ax.set_title("A title")
        ax.set_xlabel("Months")
        ax.set_ylabel("Proportion")
        fig.supxlabel("A note under the figure", fontsize=8)
    return fig


def test_a_laid_out_figure_is_saved_whole():
    fig = _plain()
    box = freeze_layout(fig)
    assert tuple(box.bounds) == (0.0, 0.0, 4.0, 3.0)
    assert 'width="288pt" height="216pt"' in to_svg(fig)


@pytest.mark.parametrize("extra", ["figure text", "wide note", "fixed aspect", "colorbar"])
def test_what_the_layout_does_not_place_gets_the_tight_bounding_box(extra):
    with figure_style():
        fig = new_figure(4, 3)
        ax = fig.add_subplot()
        ax.plot([0, 10], [0, 1])
        if extra == "figure text":  # beyond the right edge: outside the layout
            fig.text(1.05, 0.5, "a figure-level text the layout ignores")
        elif extra == "wide note":  # the layout makes room for its height only
            fig.supxlabel("a note much wider than the figure " * 3, x=0.02, ha="left")
        elif extra == "fixed aspect":
            ax.set_aspect("equal")
        else:
            from matplotlib.cm import ScalarMappable

            fig.colorbar(ScalarMappable(), ax=ax)
            ax.set_aspect("equal")
    box = freeze_layout(fig)
    tight = fig.get_tightbbox(fig.canvas.get_renderer())
    assert box.x1 == pytest.approx(tight.x1 + 0.05) and box.y0 == pytest.approx(tight.y0 - 0.05)
    if extra in ("figure text", "wide note"):
        assert box.x1 > 4.0  # the picture grows to hold the text


def test_a_collapsed_layout_warns_and_gets_the_tight_bounding_box():
    with figure_style():
        fig = new_figure(1.0, 0.6)
        ax = fig.add_subplot()
        ax.set_ylabel("a label far longer than the figure is high\n" * 4)
    with pytest.warns(UserWarning, match="constrained_layout not applied"):
        box = freeze_layout(fig)
    assert box.height > 0.6


def test_memoised_font_lookups_return_what_matplotlibs_lookup_returns():
    manager = font_manager.fontManager
    props = [
        FontProperties(family=["DejaVu Sans"], size=9),
        FontProperties(family=["DejaVu Sans"], size=9, weight="bold"),
        FontProperties(family=["DejaVu Serif", "DejaVu Sans"], style="italic"),
    ]
    expected = [manager._find_fonts_by_props(p) for p in props]
    with figure_style(), font_lookups_memoised():
        assert "_find_fonts_by_props" in vars(manager)
        for _ in range(2):  # the second time from the memo
            found = [manager._find_fonts_by_props(p) for p in props]
            assert found == expected
        first = manager._find_fonts_by_props(props[0])
        first.append("changed by the caller")
        assert manager._find_fonts_by_props(props[0]) == expected[0]  # a fresh list
        with font_lookups_memoised():  # nested: the same memo, left in place
            assert manager._find_fonts_by_props(props[1]) == expected[1]
        assert "_find_fonts_by_props" in vars(manager)
    assert "_find_fonts_by_props" not in vars(manager)  # matplotlib's own again


def _matplotlib_png(fig, dpi):
    import io

    box = freeze_layout(fig)
    buffer = io.BytesIO()
    with figure_style():
        fig.savefig(buffer, format="png", dpi=dpi, bbox_inches=box)
    return buffer.getvalue()


def _decoded(png):
    import io

    import numpy as np
    from PIL import Image

    image = Image.open(io.BytesIO(png))
    return image.mode, image.info.get("dpi"), np.asarray(image)


@pytest.mark.parametrize("dpi", [100, 300])
def test_an_opaque_figure_is_an_rgb_png_with_matplotlibs_pixels(dpi):
    from mdsrs_core.report.style import to_png

    fig = _plain()
    mode, res, pixels = _decoded(to_png(fig, dpi=dpi))
    ref_mode, ref_res, ref = _decoded(_matplotlib_png(fig, dpi))
    assert (mode, ref_mode) == ("RGB", "RGBA")
    assert pixels.shape == (3 * dpi, 4 * dpi, 3) and res == pytest.approx(ref_res)
    assert (ref[..., 3] == 255).all() and (pixels == ref[..., :3]).all()


def test_a_figure_with_transparency_keeps_its_alpha_channel():
    from mdsrs_core.report.style import to_png

    fig = _plain()
    fig.patch.set_alpha(0.0)  # a transparent face: the alpha channel carries the picture
    mode, _, pixels = _decoded(to_png(fig, dpi=100))
    _, _, ref = _decoded(_matplotlib_png(fig, 100))
    assert mode == "RGBA" and (pixels == ref).all() and pixels[..., 3].min() == 0


def _titled(variant: str, layout: str | None, auto: bool):
    """A figure with a left title over an axes that has ``variant`` above it (nothing, x
    tick labels at the top, an x label at the top, a y-axis offset text), drawn with
    matplotlib's automatic title placement (``auto``) or with the style's fixed one."""
    with figure_style(**({"axes.titley": None} if auto else {})):
        fig = new_figure(4, 3) if layout else new_figure(4, 3, layout=None)
        ax = fig.add_subplot()
        y = [1_000_000, 1_000_004] if variant == "offset" else [0, 4]
        ax.plot([0, 10], y)
        ax.set_title("A title over the axes")
        ax.set_xlabel("Months")
        if variant == "top ticks":
            ax.xaxis.tick_top()
        elif variant == "top label":
            ax.xaxis.set_label_position("top")
    return fig


@pytest.mark.parametrize("layout", ["constrained", None])
@pytest.mark.parametrize("variant", ["plain", "top ticks", "top label", "offset"])
def test_titles_are_placed_where_matplotlibs_automatic_placement_puts_them(variant, layout):
    """The style fixes titles at the top of their axes (matplotlib's automatic placement
    measures the axes again at every pass); a figure with something over an axes gets the
    automatic placement back: each title lands where matplotlib puts it, above what stands
    over the axes, and the SVG is the automatic placement's."""
    fig, auto = _titled(variant, layout, auto=False), _titled(variant, layout, auto=True)
    assert fig.axes[0]._autotitlepos is False  # the style's fixed placement, before saving
    svg = to_svg(fig)
    assert svg == to_svg(auto)
    title = fig.axes[0]._left_title
    renderer = fig.canvas.get_renderer()
    box = title.get_window_extent(renderer)
    ax = fig.axes[0]
    over = {
        "plain": ax.get_window_extent(renderer),
        "top ticks": ax.xaxis.get_tightbbox(renderer),
        "top label": ax.xaxis.get_tightbbox(renderer),
        "offset": ax.yaxis.get_offset_text().get_window_extent(renderer),
    }[variant]
    assert box.y0 >= over.y1 - 0.5
    assert fig.axes[0]._autotitlepos is (variant != "plain")


def test_warmed_font_lookups_leave_a_figure_none_to_make():
    """``warm_fonts`` (run by the drawing processes' host) looks up the fonts of the
    figures' text sizes: a figure drawn afterwards makes no font lookup of its own, one
    drawn without it makes several; the SVG is the same."""
    from mdsrs_core.report.style import warm_fonts

    cached = type(font_manager.fontManager)._findfont_cached

    def drawn():
        fig = _plain()
        with figure_style():
            fig.axes[0].text(0.5, 0.5, "a note", fontsize=8.5)
        before = cached.cache_info().misses
        svg = to_svg(fig)
        return svg, cached.cache_info().misses - before

    cached.cache_clear()
    cold_svg, cold_misses = drawn()
    cached.cache_clear()
    warm_fonts()
    warm_svg, warm_misses = drawn()
    assert cold_misses >= 3 and warm_misses == 0
    assert warm_svg == cold_svg


def _texts_figure():
    """A figure with the kinds of text the report draws and some it does not: rotated and
    multi-line tick labels, titles left and right, a legend, texts aligned every way, a
    mathtext label and a wrapping text (these two laid out without the memo)."""
    with figure_style():
        fig = new_figure(5, 3.5)
        ax, other = fig.subplots(1, 2)
        for a in (ax, other):
            a.plot([0, 1, 2], [3, 1, 2], label="an arm\nwith two lines")
            a.set_xticks([0, 1, 2], labels=["Very Low", "Low", "Intermediate"], rotation=35)
            a.set_title("left", loc="left")
            a.set_title("right, smaller", loc="right", fontsize=7)
            a.legend(loc="upper right")
        aligned = [("left", "top"), ("center", "baseline"), ("right", "bottom")]
        for k, (ha, va) in enumerate(aligned):
            ax.text(k, 2, f"text {k}\nsecond line", ha=ha, va=va, rotation=15 * k, fontsize=8)
        other.set_ylabel(r"$\alpha$ per $10^9$/L")
        other.text(0.1, 0.5, "a long text that wraps at the figure's edge " * 3, wrap=True)
        fig.supxlabel("A note under the figure", fontsize=8)
    return fig


def _renderings(fig):
    from mdsrs_core.report.style import to_png

    return to_svg(fig), to_png(fig, dpi=100)


def test_memoised_text_layouts_draw_the_same_figure_byte_for_byte(monkeypatch):
    from contextlib import nullcontext

    from mdsrs_core.report import style

    memoised = _renderings(_texts_figure())
    monkeypatch.setattr(style, "text_layouts_memoised", nullcontext)
    plain = _renderings(_texts_figure())
    assert memoised == plain


def test_memoised_text_layouts_follow_a_text_that_changes_and_end_with_the_block():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    from mdsrs_core.report.style import text_layouts_memoised

    fig = _plain()
    renderer = FigureCanvasAgg(fig).get_renderer()
    ax = fig.axes[0]
    text = ax.text(0.5, 0.5, "12 months")
    original = Text._get_layout
    with figure_style(), text_layouts_memoised():
        assert Text._get_layout is not original
        first = text.get_window_extent(renderer)
        assert text.get_window_extent(renderer).bounds == first.bounds  # from the memo
        changes = [
            ("set_text", "120 months"),
            ("set_fontsize", 14),
            ("set_rotation", 90),
            ("set_horizontalalignment", "right"),
            ("set_linespacing", 2.0),
        ]
        for method, value in changes:
            getattr(text, method)(value)
            with_memo = text.get_window_extent(renderer).bounds
            assert (
                with_memo
                == original(text, renderer)[0]
                .translated(*text.get_transform().transform(text.get_unitless_position()))
                .bounds
            ), method
        box = text._get_layout(renderer)[0]
        box.set_points([[0, 0], [1, 1]])  # a caller changing the box it got
        assert text._get_layout(renderer)[0].bounds == original(text, renderer)[0].bounds
        with text_layouts_memoised():  # nested: the same memo, left in place
            assert Text._get_layout is not original
        assert Text._get_layout is not original
    assert Text._get_layout is original  # matplotlib's own again
