"""Every report figure keeps what it draws inside the picture that is saved
(``style.freeze_layout``'s box) and off its other panels: the figures of the example, of an
adjusted run, and of a cohort whose arms have long names (the adverse-event figure's note and
the legends grow with them)."""

from __future__ import annotations

import pytest

from mdsrs_core import Cohort, load_example, run

matplotlib = pytest.importorskip("matplotlib")

from mdsrs_core.report.forest import forest_plot  # noqa: E402
from mdsrs_core.report.style import figure_style, freeze_layout  # noqa: E402
from mdsrs_core.report.summary_table import summary_rows  # noqa: E402

LONG = ("thalidomide 100-200 mg daily (reference)", "lenalidomide 10 mg days 1-21 of 28")


def _figures(result) -> dict:
    out = {}
    for o in result.outcomes:
        if o.status != "ok" or not o.endpoint.draws_figures:
            continue
        records = [r for r in result.records if r.endpoint == o.name]
        for title, fig in o.endpoint.figures(records, o.result.figures).items():
            out[f"{o.name}: {title}"] = fig
    rows = summary_rows(result)[0]
    out["forest"] = forest_plot(rows, list(result.cohort.arms))
    return out


def _long_arm_cohort() -> Cohort:
    cohort = load_example()
    data = cohort.data.copy()
    names = dict(zip(cohort.arms, LONG, strict=True))
    data["arm"] = data["arm"].astype(str).map(names)
    return Cohort(data, reference=LONG[0], adverse_events=cohort.adverse_events)


def _drawn_boxes(fig, renderer):
    """(what, pixel box) of what is drawn: each axes with its decorations (the tick labels
    drawn, labels, titles, legends, texts), the figure's legends and texts."""
    out = [(ax.get_title() or "axes", ax.get_tightbbox(renderer)) for ax in fig.axes]
    out += [("figure legend", legend.get_window_extent(renderer)) for legend in fig.legends]
    texts = [*fig.texts, fig._supxlabel, fig._suptitle]
    out += [
        (t.get_text(), t.get_window_extent(renderer))
        for t in texts
        if t is not None and t.get_visible() and t.get_text().strip()
    ]
    return out


def _overlap(a, b) -> bool:
    width = min(a.x1, b.x1) - max(a.x0, b.x0)
    height = min(a.y1, b.y1) - max(a.y0, b.y0)
    return width > 0.5 and height > 0.5


def _labels(ax, renderer) -> list:
    """(text, pixel box) of the tick labels drawn, the texts and the legend of ``ax``
    (horizontal texts: the box of a rotated one is larger than the text)."""
    out = []
    for axis, (low, high) in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
        low, high = min(low, high), max(low, high)
        for tick in axis.get_major_ticks():
            label = tick.label1
            shown = label.get_visible() and label.get_text().strip() and not label.get_rotation()
            if shown and low <= tick.get_loc() <= high:
                out.append((label.get_text(), label.get_window_extent(renderer)))
    out += [
        (t.get_text(), t.get_window_extent(renderer))
        for t in ax.texts
        if t.get_visible() and t.get_text().strip() and not t.get_rotation()
    ]
    legend = ax.get_legend()
    if legend is not None and legend.get_visible():
        out.append(("legend", legend.get_window_extent(renderer)))
    return out


def _check(fig) -> None:
    import warnings

    with figure_style(), warnings.catch_warnings():
        # constrained layout giving up (axes collapsed by their decorations) is a failure
        warnings.filterwarnings("error", message=".*constrained_layout not applied.*")
        saved = freeze_layout(fig)
        fig.canvas.draw()  # places the texts of legends and offset boxes
        renderer = fig.canvas.get_renderer()
        x0, y0, x1, y1 = (v * fig.dpi for v in saved.extents)
        for what, box in _drawn_boxes(fig, renderer):
            assert box.x0 >= x0 - 0.5 and box.y0 >= y0 - 0.5, (what, box, saved)
            assert box.x1 <= x1 + 0.5 and box.y1 <= y1 + 0.5, (what, box, saved)
        for a in fig.axes:
            if not a.get_visible() or getattr(a, "_colorbar", None) is not None:
                continue
            decorated = a.get_tightbbox(renderer, for_layout_only=True)
            for b in fig.axes:
                if a is b or not b.get_visible():
                    continue
                other = b.get_window_extent(renderer)
                width = min(decorated.x1, other.x1) - max(decorated.x0, other.x0)
                height = min(decorated.y1, other.y1) - max(decorated.y0, other.y0)
                assert width <= 0.5 or height <= 0.5, (a.get_title(), b.get_title())
        # no two labels, texts or the legend of one axes over each other
        for ax in fig.axes:
            items = _labels(ax, renderer)
            for i, (what, box) in enumerate(items):
                for other, box2 in items[i + 1 :]:
                    assert not _overlap(box, box2), (what, other)


@pytest.fixture(scope="module")
def figures() -> dict:
    out = {}
    for label, result in (
        ("example", run(load_example(), timeout=None)),
        (
            "adjusted",
            run(
                load_example(),
                timeout=None,
                adjust={"formula": "arm ~ age + sex + ipssr_base_score"},
            ),
        ),
        ("long arm names", run(_long_arm_cohort(), timeout=None)),
    ):
        for name, fig in _figures(result).items():
            out[f"{label} / {name}"] = fig
    return out


def test_every_figure_is_drawn(figures):
    # six figures per run (five endpoints and the forest plot), more with the adjustment
    assert sum(k.startswith("example / ") for k in figures) == 6
    assert sum(k.startswith("long arm names / ") for k in figures) == 6
    assert sum(k.startswith("adjusted / ") for k in figures) >= 6


def test_everything_drawn_is_inside_the_saved_picture_and_off_other_panels(figures):
    for name, fig in figures.items():
        try:
            _check(fig)
        except AssertionError as exc:
            raise AssertionError(f"{name}: {exc}") from None


def _laid_out_forests(figures):
    """(name, figure) of each forest plot among ``figures``, laid out, each handed over
    under the figure style."""
    for name, fig in figures.items():
        if name.endswith("/ forest"):
            with figure_style():
                freeze_layout(fig)
                yield name, fig


def test_the_forest_plots_favours_labels_stay_inside_their_panels(figures):
    """The "favours" labels sit either side of the line of no effect; the panel's x range
    leaves them room however near an edge the intervals put that line (a label running out
    of the panel crossed its axis and the row labels)."""
    checked = 0
    for name, fig in _laid_out_forests(figures):
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        for ax in fig.axes:
            box = ax.get_window_extent(renderer)
            for text in ax.texts:
                if "favours" not in text.get_text():
                    continue
                extent = text.get_window_extent(renderer)
                assert extent.x0 >= box.x0 - 0.5 and extent.x1 <= box.x1 + 0.5, (
                    name,
                    text.get_text(),
                )
                checked += 1
    assert checked >= 3 * 2 * 5  # three runs, two labels per panel, five panels or more


def _row(measure, estimate, low, high, *, ratio=False, better="higher", effect="Difference"):
    from mdsrs_core.endpoint import SummaryRow

    return SummaryRow(
        endpoint="x",
        measure=measure,
        per_arm={},
        effect=effect,
        estimate=estimate,
        conf_low=low,
        conf_high=high,
        ratio=ratio,
        outcome=measure,
        better=better,
    )


#: forest plots of rows no run of the example gives: a short label over an axis of wide
#: tick labels (their ends stand out of the margins the labels leave), numbers in the
#: hundreds of thousands (no offset or power of ten printed apart), a label longer than the
#: figure's width allows (the figure widens), no "favours" side, one row only
SYNTHETIC_FORESTS = {
    "short labels, wide ticks": (
        [
            _row("X", -250000.0, -350000.0, -120000.0, effect=None),
            _row("Y", -0.001, -0.0025, 0.0004, effect=None),
        ],
        ("A", "B"),
    ),
    "a very long label": (
        [
            _row("An outcome " * 12, 2.0, 1.1, 3.5, ratio=True, effect="Hazard ratio " * 6),
            _row("Short", 0.5, 0.2, 0.9, ratio=True, better="lower"),
        ],
        LONG,
    ),
    "no favours side, one row": ([_row("HR", 1.3, 0.9, 1.8, ratio=True, better=None)], ("A", "B")),
}


@pytest.mark.parametrize("name", SYNTHETIC_FORESTS)
def test_the_forest_plots_own_layout_keeps_unusual_rows_inside(name):
    rows, arms = SYNTHETIC_FORESTS[name]
    fig = forest_plot(rows, list(arms))
    _check(fig)
    with figure_style():
        renderer = fig.canvas.get_renderer()
        for ax in fig.axes:
            assert not ax.xaxis.get_offset_text().get_text(), name
            ticks = [t for t in ax.get_xticklabels() if t.get_text()]
            assert len(ticks) >= 2, name
            # the figure is laid out by its own code and saved whole
            assert fig.get_layout_engine() is None
        assert tuple(freeze_layout(fig).bounds[:2]) == (0.0, 0.0)
        assert fig.get_figwidth() >= 7.0
        if name == "a very long label":
            assert fig.get_figwidth() > 7.0  # widened: the label alone is wider than 7 in
        labels = [t for ax in fig.axes for t in ax.get_yticklabels() if t.get_text()]
        assert min(t.get_window_extent(renderer).x0 for t in labels) >= 0


def test_a_tick_label_at_an_end_of_an_axis_widens_that_margin(monkeypatch):
    """A tick at the very end of an axis (limits on round numbers) has half its label out of
    the axes: below a short row label it would stand out of the figure; the margin is
    widened to hold it."""
    from mdsrs_core.report import forest

    monkeypatch.setattr(forest, "_limits", lambda rows, ratio, room=None: (-350000.0, 50000.0))
    measured = []
    overhang = forest._tick_overhang
    monkeypatch.setattr(
        forest, "_tick_overhang", lambda *a: measured.append(overhang(*a)) or measured[-1]
    )
    fig = forest_plot([_row("X", -250000.0, -300000.0, -120000.0, effect=None)], ["A", "B"])
    assert len(measured) == 1 and measured[0][0] > 0 and measured[0][1] == 0
    _check(fig)  # redrawn with the wider margin: nothing stands out
    with figure_style():
        renderer = fig.canvas.get_renderer()
        ticks = [t for t in fig.axes[0].get_xticklabels() if t.get_text()]
        assert ticks[0].get_text() == "\u2212350000"
        assert ticks[0].get_window_extent(renderer).x0 >= 0


@pytest.mark.parametrize("dpi", [72, 300])
def test_the_forest_plots_texts_stay_inside_at_the_resolutions_it_is_saved_at(figures, dpi):
    """The forest plot measures its texts itself (hinted widths change with the
    resolution): its row labels, values and titles stay inside the figure as the SVG (72
    dpi) and Word's PNG (300 dpi) draw them, not only at the figure's own 100 dpi."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    checked = 0
    for name, fig in _laid_out_forests(figures):
        own = fig.dpi
        fig.set_dpi(dpi)
        try:
            canvas = FigureCanvasAgg(fig)
            canvas.draw()
            renderer = canvas.get_renderer()
            width = fig.bbox.width
            for ax in fig.axes:
                texts = [*ax.get_yticklabels(), *ax.texts, ax.title, ax._left_title]
                for text in texts:
                    if not text.get_text().strip():
                        continue
                    box = text.get_window_extent(renderer)
                    assert box.x0 >= 0 and box.x1 <= width, (name, dpi, text.get_text())
                    checked += 1
        finally:
            fig.set_dpi(own)
    assert checked > 3 * 10
