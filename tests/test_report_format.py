"""Manuscript-ready formatting (issue 15): gtsummary's p-value style, one naming style for
tests and units, the forest plot's labels and "favours" sides."""

from __future__ import annotations

import pytest

from mdsrs_core import load_example
from mdsrs_core.report.formatting import style_pvalue
from mdsrs_core.report.naming import display_unit, test_name
from mdsrs_core.runner import run

#: gtsummary's own example (?style_pvalue): the input and what it prints, digits = 1 and 2
PVALUES = [1.5, 1, 0.999, 0.5, 0.25, 0.2, 0.197, 0.12, 0.10, 0.0999, 0.06, 0.03, 0.002, 0.001]
PVALUES += [0.00099, 0.0002, 0.00002, -1]
DIGITS_1 = [
    *["NA", ">0.9", ">0.9", "0.5", "0.3", "0.2", "0.2", "0.12", "0.10", "0.10", "0.060"],
    *["0.030", "0.002", "0.001", "<0.001", "<0.001", "<0.001", "NA"],
]
DIGITS_2 = [
    *["NA", ">0.99", ">0.99", "0.50", "0.25", "0.20", "0.20", "0.12", "0.10", "0.10"],
    *["0.060", "0.030", "0.002", "0.001", "<0.001", "<0.001", "<0.001", "NA"],
]


def test_style_pvalue_is_gtsummarys():
    assert [style_pvalue(p) for p in PVALUES] == DIGITS_1
    assert [style_pvalue(p, digits=2) for p in PVALUES] == DIGITS_2
    assert style_pvalue(None) == style_pvalue(float("nan")) == "NA"
    # halves round up as gtsummary's round2 (0.25 -> 0.3, 0.145 -> 0.15), not to even
    assert style_pvalue(0.145) == "0.15"
    with pytest.raises(ValueError, match="digits must be 1 or 2"):
        style_pvalue(0.5, digits=3)


@pytest.mark.parametrize(
    ("method", "name"),
    [
        ("Wilcoxon rank sum test with continuity correction", "Wilcoxon rank sum test"),
        ("Wilcoxon rank sum exact test", "Wilcoxon rank sum test"),
        ("Fisher's Exact Test for Count Data", "Fisher's exact test"),
        ("Pearson's Chi-squared test", "Pearson's Chi-squared test"),
        (
            "Pearson's Chi-squared test with Yates' continuity correction",
            "Chi-squared test with Yates' correction",
        ),
        ("Log-rank test (survdiff, rho = 0)", "Log-rank test"),
        ("Gray's test (cmprsk::cuminc), rho = 0", "Gray's test"),
        (
            "Cox proportional-hazards (coxph, efron ties); hazard ratio, Wald 95% CI",
            "Wald test (Cox model)",
        ),
        ("ANCOVA (lm: hgb_post ~ arm + hgb_base); t-test and t 95% CI", "t-test (ANCOVA)"),
        ("Some plugin's own test; with details", "Some plugin's own test"),
        (None, ""),
    ],
)
def test_test_names(method, name):
    assert test_name(method) == name


def test_units_are_written_one_way():
    for spelling in ("x10^9/L", "10^9/L", "×10^9/L", "10e9/L", "x 10^9/L"):
        assert display_unit(spelling) == "×10⁹/L", spelling
    assert display_unit("x10^12/L") == "×10¹²/L"
    assert display_unit("g/dL") == "g/dL" and display_unit(None) == ""


@pytest.fixture(scope="module")
def example_rows():
    from mdsrs_core.report.summary_table import summary_rows

    result = run(load_example())
    rows, notes = summary_rows(result)
    assert notes == []
    return result, rows


def _texts(fig) -> list[str]:
    from matplotlib.text import Text

    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


def test_forest_plot_says_which_side_favours_which_arm(example_rows):
    from mdsrs_core.report.forest import forest_plot

    result, rows = example_rows
    fig = forest_plot(rows, list(result.cohort.arms))
    texts = _texts(fig)
    # response: higher is better, so the right of 1 favours the treatment arm;
    # death, AML, adverse events: lower is better, the left favours it
    assert texts.count("← favours thalidomide") >= 2  # response, blood counts
    assert texts.count("favours lenalidomide →") >= 2
    assert "← favours lenalidomide" in texts and "favours thalidomide →" in texts
    labels = [t for ax in fig.axes for t in (x.get_text() for x in ax.get_yticklabels())]
    assert "Overall survival (death from any cause)\nHazard ratio (Cox)" in labels
    ratio_labels = [
        x.get_text() for ax in fig.axes if ax.get_xscale() == "log" for x in ax.get_yticklabels()
    ]
    assert ratio_labels and not any("months" in t for t in ratio_labels)  # no HR "at 60 months"
    # each favours pair sits either side of its panel's line of no effect
    for ax in fig.axes:
        sides = [t for t in ax.texts if "favours" in t.get_text()]
        if sides:
            null = 1.0 if ax.get_xscale() == "log" else 0.0
            assert {t.xy[0] for t in sides} == {null}
            assert sorted(t.xyann[0] for t in sides) == [-4, 4]  # either side of the line
            assert {t.get_horizontalalignment() for t in sides} == {"left", "right"}
            low, high = ax.get_xlim()
            assert low < null < high


def _shown_ticks(ax, minor=False):
    low, high = ax.get_xlim()
    locs = ax.xaxis.get_minorticklocs() if minor else ax.xaxis.get_majorticklocs()
    return [float(v) for v in locs if low <= v <= high]


def _one_ratio_panel(example_rows, estimate, low, high):
    """A ratio panel of the forest plot with one effect (the example's first ratio row with
    ``estimate`` and its interval replaced); its axes."""
    import dataclasses

    from mdsrs_core.report.forest import _panel, forest_rows
    from mdsrs_core.report.style import figure_style, new_figure

    result, rows = example_rows
    with figure_style():
        ax = new_figure(4, 2).add_subplot()
        ratio = forest_rows(rows)[0][0]
        one = [dataclasses.replace(ratio, estimate=estimate, conf_low=low, conf_high=high)]
        _panel(ax, one, True, None, tuple(result.cohort.arms), 200.0)
    return ax


def test_forest_ratio_axes_read_at_1_2_5_without_minor_ticks(example_rows):
    """A ratio axis over a decade or more is labelled at 1, 2 and 5 times the powers of ten
    (0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10), each label its plain number, with no unlabelled
    minor ticks; one over less than a decade labels its minor ticks (0.6, 0.7, ...)."""
    from mdsrs_core.report.forest import forest_plot

    result, rows = example_rows
    fig = forest_plot(rows, list(result.cohort.arms))
    logs = [ax for ax in fig.axes if ax.get_xscale() == "log"]
    assert len(logs) == 2
    for ax in logs:
        low, high = ax.get_xlim()
        assert high / low >= 10
        shown = _shown_ticks(ax)
        expected = [
            m * 10.0**e for e in range(-3, 4) for m in (1, 2, 5) if low <= m * 10.0**e <= high
        ]
        assert shown == pytest.approx(expected)
        assert _shown_ticks(ax, minor=True) == []
        formatter = ax.xaxis.get_major_formatter()
        assert [formatter(v, 0) for v in shown] == [f"{v:g}" for v in shown]
    ax = _one_ratio_panel(example_rows, 1.0, 0.7, 1.4)
    low, high = ax.get_xlim()
    assert high / low < 10
    minor = _shown_ticks(ax, minor=True)
    assert minor and ax.xaxis.get_minor_formatter()(minor[0], 0) == f"{minor[0]:g}"


def test_forest_ratio_axis_under_a_decade_reads_at_1_2_5_when_three_fall_in_it(example_rows):
    """An axis from about 0.37 to 2.3 (a large cohort's narrow interval far from 1) is read
    at 0.5, 1 and 2, not at every tenth (0.6, 0.7, 0.8 and 0.9 ran into each other)."""
    ax = _one_ratio_panel(example_rows, 0.4, 0.39, 0.41)
    low, high = ax.get_xlim()
    assert high / low < 10
    assert _shown_ticks(ax) == pytest.approx([0.5, 1.0, 2.0])
    assert _shown_ticks(ax, minor=True) == []


@pytest.fixture(scope="module")
def all_figures(example_rows):
    """Every figure of the example run: the endpoints' and the forest plot."""
    from mdsrs_core.report.forest import forest_plot

    result, rows = example_rows
    figures = {"forest": forest_plot(rows, list(result.cohort.arms))}
    for o in result.outcomes:
        own = [r for r in result.records if r.endpoint == o.name]
        for title, fig in o.endpoint.figures(own, o.result.figures).items():
            figures[title] = fig
    assert len(figures) >= 6
    return result, figures


def test_every_glyph_of_every_figure_is_drawn_without_a_warning(all_figures):
    """PNG rendering (Word, Markdown) warns "Glyph ... missing from font(s)" and draws a box
    when no font of the family list has a character; DejaVu Sans (shipped with matplotlib)
    is always the last fallback, so ×10⁹/L, ≥, ← and → are drawn."""
    import warnings

    from mdsrs_core.report.style import figure_style, to_png, to_svg

    with figure_style() as rc:
        assert rc["font.sans-serif"][-1] == "DejaVu Sans"
    _, figures = all_figures
    texts = [t for fig in figures.values() for t in _texts(fig)]
    assert any("×10⁹/L" in t for t in texts) and not any("10^9" in t for t in texts)
    for title, fig in figures.items():
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # any warning fails the test
            assert to_png(fig, dpi=72).startswith(b"\x89PNG"), title
            assert "<svg" in to_svg(fig)


def test_cumulative_incidence_figure_has_numbers_at_risk_percent_and_ends_with_follow_up(
    all_figures,
):
    from mdsrs_core.models import survfit

    result, figures = all_figures
    fig = figures["Cumulative incidence of transformation to AML by arm"]
    risk = result["aml"].result.figures["cif_risk"]
    # the numbers at risk are survfit's n.risk of "still under observation, event-free"
    data = result.cohort.data.copy()
    data["any_event"] = ((data["aml"] == 1) | (data["death"] == 1)).astype(int)
    data["t"] = data["aml_months"]
    summary = survfit("Surv(t, any_event) ~ arm", data).summary(times=risk["times"], extend=True)
    for arm, counts in risk["n_risk"].items():
        expected = summary.loc[summary["strata"] == f"arm={arm}", "n_risk"].astype(int).tolist()
        assert counts == expected, arm
    assert risk["n_risk"]["thalidomide"][:3] == [38, 32, 26]
    curves, table = fig.axes[0], fig.axes[1]
    drawn = [t.get_text() for t in table.texts if t.get_gid() == "risk"]
    assert drawn == [str(n) for arm in ("thalidomide", "lenalidomide") for n in risk["n_risk"][arm]]
    assert table.get_title(loc="left") == "Number at risk"
    # percent, as the tables; the axis ends with the follow-up
    assert curves.get_ylabel() == "Cumulative incidence (%)"
    low, high = curves.get_ylim()
    shown = [v for v in curves.yaxis.get_majorticklocs() if low - 1e-9 <= v <= high + 1e-9]
    labels = [curves.yaxis.get_major_formatter()(v, i) for i, v in enumerate(shown)]
    assert labels[:3] == ["0%", "20%", "40%"] and low == 0
    follow_up = float(data["aml_months"].max())
    assert risk["follow_up"] == pytest.approx(follow_up)
    assert curves.get_xlim()[1] == pytest.approx(1.02 * follow_up)
