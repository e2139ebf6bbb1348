"""The report's summary table: one row per comparison the study reports, from every
endpoint's :meth:`~mdsrs_core.endpoint.Endpoint.summary`, and the forest plot of its effects.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .document import Figure, Note, Paragraph, Section, Table
from .formatting import fmt_num, fmt_p

if TYPE_CHECKING:  # pragma: no cover
    from ..endpoint import SummaryRow
    from ..runner import RunResult

__all__ = ["summary_rows", "summary_section", "effect_digits", "format_effect"]


def effect_digits(value: Any, ratio: bool) -> int:
    """Decimals of an effect: 2 for a ratio; for a difference, by its size (0 from 100,
    1 from 10, 2 from 0.1, else 3)."""
    if ratio:
        return 2
    v = abs(value) if isinstance(value, (int, float)) and math.isfinite(value) else 0
    return 0 if v >= 100 else 1 if v >= 10 else 2 if v >= 0.1 else 3


def format_effect(row: SummaryRow) -> str:
    """``"3.22 (1.08 to 9.63)"``; ``""`` without an estimate."""
    if row.estimate is None:
        return ""
    d = effect_digits(row.estimate, row.ratio)
    text = fmt_num(row.estimate, d)
    if row.conf_low is not None or row.conf_high is not None:
        text += f" ({fmt_num(row.conf_low, d)} to {fmt_num(row.conf_high, d)})"
    return text


def summary_rows(run: RunResult) -> tuple[list[SummaryRow], list[Note]]:
    """Every ok endpoint's summary rows (in run order), and a note for each endpoint whose
    ``summary()`` raised."""
    records = run.records
    rows: list[SummaryRow] = []
    notes: list[Note] = []
    for o in run.outcomes:
        if o.status != "ok" or o.endpoint is None:
            continue
        own = [r for r in records if r.endpoint == o.name]
        try:
            rows.extend(o.endpoint.summary(own))
        except Exception as exc:
            notes.append(
                Note(
                    f"The summary rows of '{o.name}' could not be formatted: "
                    f"{type(exc).__name__}: {exc}",
                    "error",
                    "Failed",
                )
            )
    return rows, notes


def _arm_totals(run: RunResult) -> dict[str, int]:
    """Patients per arm (analysed + excluded) from the first endpoint's flow records."""
    records = run.records  # built from the outcomes on each access: read once
    for o in run.outcomes:
        flow = [
            (r.arm, r.value)
            for r in records
            if r.endpoint == o.name and r.variable == "flow" and r.arm is not None
        ]
        if flow:
            totals: dict[str, int] = {}
            for arm, value in flow:
                totals[arm] = totals.get(arm, 0) + int(value)
            return totals
    return {}


def _conf_level(run: RunResult) -> str:
    levels = {
        float((o.config.options if o.config else {}).get("conf_level", 0.95))
        for o in run.outcomes
        if o.status == "ok"
    }
    return f"{100 * levels.pop():g}% CI" if len(levels) == 1 else "CI"


#: footnote marks of the rows' caveats (superscript letters, as gtsummary's footnotes)
_MARKS = tuple("ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖ")
#: the summary table's columns after the arms
EFFECT_COLUMNS = ("Between-arm effect", "Estimate ({ci})", "p-value", "Test of the estimate")
PRIMARY_COLUMNS = ("Primary test", "Primary test p-value")


def summary_table(run: RunResult, rows: Sequence[SummaryRow]) -> Table:
    """The summary table: per row the arms' figures, the between-arm estimate with its own
    test and p-value, and -- where it is another test -- the endpoint's primary test with its
    p-value, in columns of their own so that one p-value cannot be read for the other."""
    arms = list(run.cohort.arms)
    totals = _arm_totals(run)
    ref, trt = (arms + ["", ""])[:2]
    primary = any(r.primary_test and r.primary_test != r.test for r in rows)
    header = [
        "Measure",
        *[f"{run.cohort.arm_label(a)} (N = {totals[a]})" if a in totals else a for a in arms],
        *[c.format(ci=_conf_level(run)) for c in EFFECT_COLUMNS],
        *(PRIMARY_COLUMNS if primary else ()),
    ]
    body = []
    caveats: list[str] = []
    for r in rows:
        mark = ""
        if r.caveat:
            caveats.append(r.caveat)
            mark = " " + _MARKS[(len(caveats) - 1) % len(_MARKS)]
        cells = [
            r.measure + mark,
            *[r.per_arm.get(a, "") for a in arms],
            r.effect or "",
            format_effect(r),
            "" if r.p_value is None else fmt_p(r.p_value),
            r.test or "",
        ]
        if primary:
            other = bool(r.primary_test) and r.primary_test != r.test
            cells += [
                (r.primary_test or "") if other else "",
                fmt_p(r.primary_p_value) if other and r.primary_p_value is not None else "",
            ]
        body.append(cells)
    footnotes = [
        f"Effects compare {trt} with {ref} (the reference arm): ratios above 1 and positive "
        f"differences mean a higher value in the {trt} arm.",
        "p-value: the test of the estimate shown (the Wald test of the model's arm term unless "
        "the test column says otherwise); intervals are Wald intervals of that estimate unless "
        "the endpoint's section says otherwise.",
    ]
    if primary:
        footnotes.append(
            "Primary test: the endpoint's own test of no difference between the arms, where it "
            "is not the estimate's test (log-rank beside a Cox hazard ratio, Gray's test beside "
            "a Fine-Gray ratio, the test gtsummary's rule chooses beside a logistic odds ratio); "
            "blank where the estimate's test is the primary test."
        )
    footnotes += [f"{_MARKS[i % len(_MARKS)]} {c}" for i, c in enumerate(caveats)]
    footnotes.append("Every figure is formatted from the analysis-results records (results.json).")
    return Table(
        "Summary of the between-arm comparisons",
        header,
        body,
        footnotes=footnotes,
        row_tags=[r.endpoint for r in rows],
    )


def summary_section(run: RunResult, drawn: tuple[str, Any] | None = None) -> Section:
    """The summary table, its forest plot and notes (``drawn``: the forest plot drawn
    elsewhere, :meth:`~mdsrs_core.report.prerender.FigurePool.forest`'s ``("ok", Figure or
    None)`` or ``("error", reason)``; None draws it here)."""
    rows, notes = summary_rows(run)
    section = Section("Summary", id="summary")
    if not rows:
        section.add(Paragraph("No endpoint reported a between-arm comparison."))
    else:
        section.add(summary_table(run, rows))
        fig: Any = None
        if drawn is not None:
            status, value = drawn
            if status == "ok":
                fig = value
            else:
                notes.append(
                    Note(f"The forest plot could not be drawn: {value}", "warning", "Warning")
                )
        else:
            try:
                from .forest import forest_plot

                fig = forest_plot(rows, list(run.cohort.arms))
            except Exception as exc:  # a figure must not cost the report
                notes.append(
                    Note(
                        f"The forest plot could not be drawn: {type(exc).__name__}: {exc}",
                        "warning",
                        "Warning",
                    )
                )
        if fig is not None:
            figure = fig if isinstance(fig, Figure) else Figure("", fig)
            figure.title = "Forest plot of the between-arm effects"
            figure.caption = (
                "Point estimates with their intervals, from the summary table. Ratios "
                "share a log axis (1 = no difference); each difference has its own linear "
                "axis in its own units (0 = no difference)."
            )
            section.add(figure)
    for n in notes:
        section.add(n)
    return section
