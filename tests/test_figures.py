"""Figures of the endpoints (issue 7): drawn from records and figure data only.

Checks the numbers printed or drawn in each figure against the records (and, for the
Kaplan-Meier figure, against R's values in tests/results/os.*), and that every figure renders
to SVG and to a non-blank PNG. Also that no mdsrs import loads matplotlib.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from mdsrs_core import Cohort, load_example, run
from mdsrs_core.report.formatting import fmt_num, fmt_p, fmt_pct

matplotlib = pytest.importorskip("matplotlib")
from matplotlib.figure import Figure  # noqa: E402

RESULTS = Path(__file__).parent / "results"
R_OS = json.loads((RESULTS / "os.json").read_text())
PATIENTS = Path(__file__).parents[1] / "mdsrs_core" / "example" / "data" / "patients.csv"
ARMS = ["thalidomide", "lenalidomide"]
TITLES = {
    "os": ["Overall survival by arm (Kaplan-Meier)"],
    "aml": ["Cumulative incidence of transformation to AML by arm"],
    "hematology": ["Blood counts before and after treatment by arm"],
    "adverse_events": ["Worst adverse-event grade (CTCAE) by arm"],
    "ipssr": ["Shift of the IPSS-R risk category from before to after treatment by arm"],
}


def r_os(variable, arm, level, stat) -> float:
    with (RESULTS / "os.csv").open() as f:
        for row in csv.DictReader(f):
            if (row["variable"], row["arm"], row["level"], row["stat"]) == (
                variable,
                arm,
                level,
                stat,
            ):
                return float(row["value"])
    raise KeyError((variable, arm, level, stat))


@pytest.fixture(scope="module")
def outcomes():
    result = run(load_example(), only=list(TITLES))
    return {name: result[name] for name in TITLES}


@pytest.fixture(scope="module")
def figures(outcomes):
    return {
        name: o.endpoint.figures(o.result.records, o.result.figures) for name, o in outcomes.items()
    }


def _by(records):
    return {(r.variable, r.arm, r.level, r.stat): r.value for r in records}


def _texts(fig, gid=None):
    out = []
    for ax in fig.axes:
        out += [t for t in ax.texts if gid is None or t.get_gid() == gid]
    return out


# ------------------------------------------------------------------ imports stay light


def test_importing_mdsrs_and_its_plugins_loads_no_matplotlib():
    code = (
        "import sys\n"
        "import mdsrs_core, mdsrs_core.report.style\n"
        "import mdsrs_survival, mdsrs_transformation, mdsrs_hematology, mdsrs_adverse_events, "
        "mdsrs_ipssr, mdsrs_baseline, mdsrs_response\n"
        "from mdsrs_core.plugins import *\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported'\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_drawing_uses_no_pyplot_and_a_headless_backend():
    code = (
        "import sys\n"
        "from mdsrs_core import load_example, run\n"
        "o = run(load_example(), only=['adverse_events'])['adverse_events']\n"
        "figs = o.endpoint.figures(o.result.records, o.result.figures)\n"
        "assert figs\n"
        "import matplotlib\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
        "assert matplotlib.get_backend().lower() == 'agg', matplotlib.get_backend()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


# ------------------------------------------------------------------ every endpoint


@pytest.mark.parametrize("name", list(TITLES))
def test_titles_and_figures(figures, name):
    assert list(figures[name]) == TITLES[name]
    for title, fig in figures[name].items():
        assert isinstance(fig, Figure)
        assert fig.get_label() == title


@pytest.mark.parametrize("name", list(TITLES))
def test_every_figure_renders_to_svg_and_png(outcomes, figures, name):
    from matplotlib.image import imread

    from mdsrs_core.report.style import to_png, to_svg

    o = outcomes[name]
    again = o.endpoint.figures(o.result.records, o.result.figures)
    for title, fig in figures[name].items():
        svg = to_svg(fig)
        assert (
            svg.lstrip().startswith("<?xml") and "<svg" in svg and svg.rstrip().endswith("</svg>")
        )
        assert f"<title>{title}</title>" in svg
        assert to_svg(again[title]) == svg  # drawn twice, the same SVG (no date, fixed ids)
        png = to_png(fig, dpi=300)
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        pixels = imread(io.BytesIO(png))
        width_in = fig.get_size_inches()[0]
        assert pixels.shape[1] > 0.8 * width_in * 300  # 300 dpi (tight bbox trims a little)
        assert pixels[..., :3].std() > 0.05  # not blank
        small = to_png(fig, dpi=100)
        assert imread(io.BytesIO(small)).shape[1] < pixels.shape[1] / 2.5


# ------------------------------------------------------------------ os


def _risk_rows(fig):
    """The numbers-at-risk table as drawn: {row label: ([x], [count])}."""
    table = fig.axes[1]
    labels = [t.get_text() for t in table.get_yticklabels()]
    rows = {label: ([], []) for label in labels}
    for t in table.texts:
        if t.get_gid() != "risk":
            continue
        x, y = t.get_position()
        rows[labels[int(round(y))]][0].append(x)
        rows[labels[int(round(y))]][1].append(int(t.get_text()))
    return rows


def test_km_risk_table_equals_figure_data_and_r(outcomes, figures):
    fig = figures["os"]["Overall survival by arm (Kaplan-Meier)"]
    data = outcomes["os"].result.figures["km"]["risk_table"]
    rows = _risk_rows(fig)
    assert list(rows) == ARMS
    for arm in ARMS:
        times, counts = rows[arm]
        assert times == pytest.approx(data["times"])
        assert counts == data["n_risk"][arm]
        assert counts == R_OS["risk_table"]["n_risk"][arm]  # R summary(survfit, times=)
        assert times == pytest.approx(R_OS["risk_table"]["times"])
    # the landmark records (checked against R in test_os) agree with the drawn table
    by = _by(outcomes["os"].result.records)
    for arm in ARMS:
        times, counts = rows[arm]
        for level in ("12", "36", "60"):
            drawn = counts[times.index(float(level))]
            assert drawn == by[("os_km", arm, level, "n_risk")]
            assert drawn == r_os("os_km", arm, level, "n_risk")


def test_km_panel_prints_logrank_p_and_hazard_ratio_of_the_records(outcomes, figures):
    fig = figures["os"]["Overall survival by arm (Kaplan-Meier)"]
    by = _by(outcomes["os"].result.records)
    term = "arm[T.lenalidomide]"
    p = by[("os_logrank", None, None, "p_value")]
    hr = [by[("os_cox", None, term, s)] for s in ("estimate", "conf_low", "conf_high")]
    want = (
        f"Log-rank p = {fmt_p(p)}\nHR lenalidomide vs thalidomide: {fmt_num(hr[0], 2)} "
        f"(95% CI {fmt_num(hr[1], 2)}\u2013{fmt_num(hr[2], 2)})"
    )
    [panel] = _texts(fig, "stats")
    assert panel.get_text() == want
    # and the same text from R's values
    r_hr = [r_os("os_cox", "", term, s) for s in ("estimate", "conf_low", "conf_high")]
    assert want == (
        f"Log-rank p = {fmt_p(r_os('os_logrank', '', '', 'p_value'))}\n"
        f"HR lenalidomide vs thalidomide: {fmt_num(r_hr[0], 2)} (95% CI "
        f"{fmt_num(r_hr[1], 2)}\u2013{fmt_num(r_hr[2], 2)})"
    )
    assert want == (
        "Log-rank p = 0.019\nHR lenalidomide vs thalidomide: 0.38 (95% CI 0.16\u20130.88)"
    )


def test_km_curves_are_the_figure_data(outcomes, figures):
    fig = figures["os"]["Overall survival by arm (Kaplan-Meier)"]
    ax = fig.axes[0]
    data = outcomes["os"].result.figures["km"]["arms"]
    steps = {line.get_label(): line for line in ax.lines if line.get_label() in ARMS}
    for arm in ARMS:
        x, y = steps[arm].get_data()
        assert list(x) == [0.0, *data[arm]["time"]]
        assert list(y) == [1.0, *data[arm]["surv"]]
    assert ax.get_ylabel() == "Overall survival (%)" and ax.get_ylim()[0] == 0
    assert ax.get_xlabel() == "Months since start of treatment"
    [mark] = [t for t in ax.texts if "60 months" in t.get_text()]
    by = _by(outcomes["os"].result.records)
    surv = {arm: fmt_pct(by[("os_km", arm, "60", "surv")]) for arm in ARMS}
    assert mark.get_text() == (
        f" 60 months: thalidomide {surv['thalidomide']}, lenalidomide {surv['lenalidomide']}"
    )
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ARMS
    assert not legend.get_frame_on()


def _os(frame):
    out = run(Cohort(frame, reference="thalidomide"), only=["os"])["os"]
    assert out.status == "ok"
    return out, out.endpoint.figures(out.result.records, out.result.figures)


def test_no_deaths_gives_no_km_figure_and_no_crash():
    frame = pd.read_csv(PATIENTS)
    frame["death"] = 0
    _out, figs = _os(frame)
    assert figs == {}


def test_hazard_ratio_not_estimable_leaves_the_log_rank_p_only():
    frame = pd.read_csv(PATIENTS)
    frame.loc[frame["arm"] == "lenalidomide", "death"] = 0
    out, figs = _os(frame)
    [fig] = figs.values()
    [panel] = _texts(fig, "stats")
    p = _by(out.result.records)[("os_logrank", None, None, "p_value")]
    assert panel.get_text() == f"Log-rank p {'<' if p < 0.001 else '='} {fmt_p(p).lstrip('<')}"


# ------------------------------------------------------------------ aml


def test_cif_curves_and_gray_p(outcomes, figures):
    fig = figures["aml"]["Cumulative incidence of transformation to AML by arm"]
    res = outcomes["aml"].result
    by = _by(res.records)
    [panel] = _texts(fig, "stats")
    assert panel.get_text() == (
        f"Gray's test (AML) p = {fmt_p(by[('aml_cif', None, 'gray_test', 'p_value')])}\n"
        "Gray's test (death without AML) p = "
        f"{fmt_p(by[('death_without_aml_cif', None, 'gray_test', 'p_value')])}"
    )
    ax = fig.axes[0]
    lines = {line.get_label(): line for line in ax.lines}
    for arm in ARMS:
        for key, words, style in (
            ("aml", "AML", "-"),
            ("death_without_aml", "death without AML", "--"),
        ):
            line = lines[f"{arm}, {words}"]
            assert list(line.get_xdata()) == res.figures["cif"][key][arm]["time"].tolist()
            assert list(line.get_ydata()) == res.figures["cif"][key][arm]["estimate"].tolist()
            assert line.get_linestyle() == style


def test_cif_without_competing_deaths_drawn():
    from mdsrs_transformation.figures import cif_figure

    o = run(load_example(), only=["aml"])["aml"]
    fig = cif_figure(o.result.records, o.result.figures["cif"], competing=False)
    assert {line.get_label() for line in fig.axes[0].lines} == {f"{a}, AML" for a in ARMS}


def test_no_transformation_to_aml_gives_no_figure_and_no_crash():
    frame = pd.read_csv(PATIENTS)
    frame["aml"] = 0
    frame["aml_months"] = frame["os_months"]
    out = run(Cohort(frame, reference="thalidomide"), only=["aml"])["aml"]
    assert out.status == "ok"
    assert out.endpoint.figures(out.result.records, out.result.figures) == {}


# ------------------------------------------------------------------ hematology


def test_before_after_means_are_the_records_and_lines_the_patients(outcomes, figures):
    fig = figures["hematology"]["Blood counts before and after treatment by arm"]
    res = outcomes["hematology"].result
    by = _by(res.records)
    panels = [ax for ax in fig.axes if ax.get_title(loc="left")]
    assert [ax.get_title(loc="left") for ax in panels] == ["HGB", "PLT", "ANC"]
    for ax, lab in zip(panels, ("hgb", "plt", "anc"), strict=True):
        for arm in ARMS:
            [mean] = [line for line in ax.lines if line.get_gid() == f"mean-{arm}"]
            assert list(mean.get_ydata()) == [
                by[(f"{lab}_base", arm, None, "mean")],
                by[(f"{lab}_post", arm, None, "mean")],
            ]
        for arm in ARMS:  # one segment per patient, from the before to the after value
            [segments] = [c for c in ax.collections if c.get_gid() == f"patients-{arm}"]
            n = by[(lab, arm, None, "n_analysed")]
            assert len(segments.get_segments()) == n
            pairs = res.figures[lab][arm]
            assert [tuple(s[:, 1]) for s in segments.get_segments()] == list(
                zip(pairs["base"], pairs["post"], strict=True)
            )
        assert ax.get_title(loc="right") == (
            f"ANCOVA p {'<' if by[(lab, None, 'arm[T.lenalidomide]', 'p_value')] < 0.001 else '='}"
            f" {fmt_p(by[(lab, None, 'arm[T.lenalidomide]', 'p_value')]).lstrip('<')}"
        )
    assert panels[0].get_ylabel() == "Hemoglobin (g/dL)"


def test_hematology_without_labs_gives_no_figure():
    from mdsrs_hematology.figures import hematology_figures

    assert hematology_figures([], {}) == {}


# ------------------------------------------------------------------ adverse events


def test_stacked_bar_heights_equal_the_record_proportions(outcomes, figures):
    fig = figures["adverse_events"]["Worst adverse-event grade (CTCAE) by arm"]
    by = _by(outcomes["adverse_events"].result.records)
    ax = fig.axes[0]
    bottoms = [0.0, 0.0]
    for grade in range(6):
        bars = sorted(
            (p for p in ax.patches if p.get_gid() == f"grade-{grade}"), key=lambda p: p.get_x()
        )
        # (matplotlib stores a stacked bar's height as (bottom + height) - bottom: equal to
        # the record up to rounding in the last bit)
        assert [b.get_height() for b in bars] == pytest.approx(
            [by[("ae_max_grade", arm, str(grade), "p")] for arm in ARMS], rel=1e-12, abs=1e-15
        )
        assert [b.get_y() for b in bars] == pytest.approx(bottoms)
        bottoms = [b + p.get_height() for b, p in zip(bottoms, bars, strict=True)]
    assert bottoms == pytest.approx([1.0, 1.0])
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "thalidomide\n(N = 38)",
        "lenalidomide\n(N = 24)",
    ]
    assert ax.get_legend().get_texts()[0].get_text() == "Grade 5 (death)"


def test_adverse_events_panel_text_is_the_records(outcomes, figures):
    fig = figures["adverse_events"]["Worst adverse-event grade (CTCAE) by arm"]
    by = _by(outcomes["adverse_events"].result.records)
    term = "arm[T.lenalidomide]"
    est, low, high = (
        by[("ae_max_grade", None, term, s)] for s in ("estimate", "conf_low", "conf_high")
    )
    p_or, p_w = (
        by[("ae_max_grade", None, term, "p_value")],
        by[("ae_max_grade", None, None, "p_value")],
    )
    assert fig.get_supxlabel() == (
        f"Proportional-odds OR, lenalidomide vs thalidomide: {fmt_num(est, 2)} (95% CI "
        f"{fmt_num(low, 2)}\u2013{fmt_num(high, 2)}), p = {fmt_p(p_or)}\n"
        f"Wilcoxon rank-sum p = {fmt_p(p_w)}"
    )


def test_adverse_events_without_patients_gives_no_figure():
    from mdsrs_adverse_events.figures import adverse_event_figures

    assert adverse_event_figures([], {}) == {}


# ------------------------------------------------------------------ ipssr


def test_shift_cells_are_the_record_counts(outcomes, figures):
    from mdsrs_ipssr.scoring import CATEGORIES

    fig = figures["ipssr"][TITLES["ipssr"][0]]
    by = _by(outcomes["ipssr"].result.records)
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in panels] == [
        f"{a} (N = {by[('ipssr_base_category', a, None, 'N')]})" for a in ARMS
    ]
    for ax, arm in zip(panels, ARMS, strict=True):
        cells = {
            t.get_gid(): int(t.get_text()) for t in ax.texts if str(t.get_gid()).startswith("cell-")
        }
        for i, before in enumerate(CATEGORIES):
            for j, after in enumerate(CATEGORIES):
                assert (
                    cells[f"cell-{i}-{j}"] == by[("ipssr_shift", arm, f"{before} -> {after}", "n")]
                )
        [change] = [t for t in ax.texts if t.get_gid() == "change"]
        # on two lines (side by side, two panels' one-line texts ran into each other)
        assert change.get_text().replace(",\n", ", ") == ", ".join(
            f"{lv.capitalize()} {by[('ipssr_category_change', arm, lv, 'n')]} "
            f"({fmt_pct(by[('ipssr_category_change', arm, lv, 'p')])})"
            for lv in ("improved", "unchanged", "worsened")
        )
        assert change.get_text().count("\n") == 1


def test_shift_cells_are_shaded_by_their_counts_as_vector_squares(outcomes, figures):
    """Each panel's cell (before i, after j) is a square of the mesh centred on (j, i),
    shaded by its count, with the first category at the top; the SVG holds one raster
    image only (the colour bar's gradient), not the cells."""
    from mdsrs_core.report.style import to_svg
    from mdsrs_ipssr.scoring import CATEGORIES

    fig = figures["ipssr"][TITLES["ipssr"][0]]
    by = _by(outcomes["ipssr"].result.records)
    panels = [ax for ax in fig.axes if ax.get_title()]
    k = len(CATEGORIES)
    for ax, arm in zip(panels, ARMS, strict=True):
        [mesh] = [c for c in ax.collections if c.get_gid() == "shift-cells"]
        counts = [
            [by[("ipssr_shift", arm, f"{b} -> {a}", "n")] for a in CATEGORIES] for b in CATEGORIES
        ]
        assert mesh.get_array().reshape(k, k).tolist() == counts
        corners = mesh.get_coordinates()
        assert corners[0, 0].tolist() == [-0.5, -0.5]
        assert corners[k, k].tolist() == [k - 0.5, k - 0.5]
        assert ax.get_ylim() == (k - 0.5, -0.5)  # row 0 (Very Low before) at the top
        assert ax.get_xlim() == (-0.5, k - 0.5)
        assert ax.get_aspect() == 1.0
    assert to_svg(fig).count("<image") == 1


def test_ipssr_without_patients_gives_no_figure():
    from mdsrs_ipssr.figures import ipssr_figures

    assert ipssr_figures([], {}) == {}


# ------------------------------------------------------------------ style


def test_style_defaults():
    from mdsrs_core.report.style import (
        PALETTE,
        REFERENCE_COLOR,
        TREATMENT_COLOR,
        arm_colors,
        figure_style,
    )

    assert arm_colors(ARMS) == {"thalidomide": REFERENCE_COLOR, "lenalidomide": TREATMENT_COLOR}
    assert arm_colors(["a", "b"], reference="b") == {"b": REFERENCE_COLOR, "a": TREATMENT_COLOR}
    assert len(set(PALETTE)) == 8
    before = matplotlib.rcParams["font.size"]
    with figure_style() as rc:
        # the installed families themselves (glyph-by-glyph fallback), DejaVu Sans last
        families = matplotlib.rcParams["font.family"]
        assert families == rc["font.sans-serif"] and families[-1] == "DejaVu Sans"
        assert 9 <= matplotlib.rcParams["font.size"] <= 10
        assert matplotlib.rcParams["savefig.dpi"] == 300
        assert not matplotlib.rcParams["legend.frameon"]
        assert rc["svg.fonttype"] == "none"
    assert matplotlib.rcParams["font.size"] == before  # restored


def test_p_text():
    from mdsrs_core.report.style import p_text

    assert p_text(0.0192) == "p = 0.019"
    assert p_text(1e-5) == "p < 0.001"
    assert p_text(None) == "p = NA"


def test_svg_ids_renamed_in_one_pass_with_their_references():
    from mdsrs_core.report.style import renumber_svg_ids

    svg = (
        '<svg><defs><clipPath id="p1a"><rect/></clipPath><path id="g"/></defs>'
        '<g clip-path="url(#p1a)"><use xlink:href="#g"/><text>url(#p1a</text></g>'
        '<clipPath id="p1"/><g clip-path="url(#p1)"/></svg>'
    )
    out = renumber_svg_ids(svg, lambda k, name: f"n{k}")
    assert out == (
        '<svg><defs><clipPath id="n1"><rect/></clipPath><path id="n2"/></defs>'
        '<g clip-path="url(#n1)"><use xlink:href="#n2"/><text>url(#p1a</text></g>'
        '<clipPath id="n3"/><g clip-path="url(#n3)"/></svg>'
    )


def test_risk_table_of_large_counts_shows_every_kth_time_and_no_count_touches_another():
    """Six-digit counts every 12 months over 15 years would run into each other: the table
    shows every k-th time from 0 (k the smallest that keeps them apart, measured on the
    drawn text), and the arms' names stay clear of the first count."""
    from mdsrs_core.report.risk_table import draw_risk_table, time_axis
    from mdsrs_core.report.style import figure_style, freeze_layout, new_figure

    times = [float(t) for t in range(0, 181, 12)]
    risk = {
        "times": times,
        "n_risk": {
            "lenalidomide": [386981 - 20000 * i for i in range(len(times))],
            "thalidomide": [613019 - 30000 * i for i in range(len(times))],
        },
    }
    colors = {"lenalidomide": "#0072B2", "thalidomide": "#D55E00"}
    for counts, want_stride in ((risk, 2), ({**risk, "n_risk": {"a": [12] * 16}}, 1)):
        arms = list(counts["n_risk"])
        with figure_style():
            fig = new_figure(6.5, 4.8)
            grid = fig.add_gridspec(2, 1, height_ratios=[4, 0.8])
            ax = fig.add_subplot(grid[0])
            table = fig.add_subplot(grid[1], sharex=ax)
            time_axis(ax, times, 180.0)
            draw_risk_table(table, counts, arms, {a: colors.get(a, "k") for a in arms})
            freeze_layout(fig)
        texts = [t for t in table.texts if t.get_gid() == "risk"]
        shown = [t.get_text() for t in texts]
        assert shown == [str(n) for a in arms for n in counts["n_risk"][a][::want_stride]]
        renderer = fig.canvas.get_renderer()
        for row in range(len(arms)):
            boxes = sorted(
                (t.get_window_extent(renderer) for t in texts if t.get_position()[1] == row),
                key=lambda b: b.x0,
            )
            assert all(a.x1 < b.x0 for a, b in zip(boxes, boxes[1:], strict=False))
            label = table.get_yticklabels()[row].get_window_extent(renderer)
            assert label.x1 < boxes[0].x0
