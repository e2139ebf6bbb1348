"""What ``mdsrs run`` prints on the terminal, from the run's records (the report files are
written by :mod:`mdsrs_core.report.write`), laid out by ``rich`` to the terminal's width.

At any width from 80 columns: the cohort, each endpoint's status, and a compact summary of
the between-arm comparisons (the estimate with its own p-value and, where it is another
test, the endpoint's primary test) -- full detail is in the report. Table 1 is printed when
it fits the width, or with ``verbose``. ``rich`` is imported when a summary is rendered,
never by ``mdsrs --help``.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from .formatting import fmt_p

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..runner import RunResult

__all__ = ["status_rows", "render_text", "DEFAULT_WIDTH"]

#: width used when the output is not a terminal and COLUMNS is not set
DEFAULT_WIDTH = 100


def status_rows(result: RunResult) -> list[list[str]]:
    """One row per endpoint: name, status, patients analysed (per arm) and the reason/notes."""
    arms = result.cohort.arms
    rows = []
    for o in result.outcomes:
        analysed = ""
        if o.result is not None:
            per_arm = o.result.n_analysed
            analysed = " / ".join(str(per_arm.get(a, 0)) for a in arms)
            if o.result.exclusions:
                analysed += f" ({len(o.result.exclusions)} excluded)"
        rows.append([o.name, o.status, analysed, o.reason or o.title])
    return rows


def _cohort_line(result: RunResult) -> str:
    c = result.cohort
    arms = ", ".join(f"{a} {k}" for a, k in c.counts().items())
    return f"Cohort {c.source}: {c.n} patients ({arms}); reference arm: {c.reference}."


def _console(width: int) -> Any:
    from rich.console import Console

    return Console(
        file=io.StringIO(),
        width=width,
        color_system=None,
        force_terminal=False,
        highlight=False,
        emoji=False,
        markup=False,
    )


def _table(
    header: list[str], *, title: str | None = None, right: frozenset[int] | set[int] = frozenset()
):
    from rich import box
    from rich.table import Table

    table = Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, 1),
    )
    for i, h in enumerate(header):
        table.add_column(h, justify="right" if i in right else "left", overflow="fold")
    return table


#: short names of the effects and primary tests, for the narrow terminal table
_EFFECTS = (
    ("Subdistribution hazard ratio", "sHR"),
    ("Cumulative odds ratio", "cOR"),
    ("Hazard ratio", "HR"),
    ("Odds ratio", "OR"),
    ("RMST difference", "diff"),
    ("Difference", "diff"),
)
_TESTS = {
    "Pearson's Chi-squared test": "Pearson",
    "Fisher's exact test": "Fisher",
    "Log-rank test": "log-rank",
    "Gray's test": "Gray",
    "Weighted log-rank (svylogrank)": "w. log-rank",
}


def _effect(effect: str | None) -> str:
    for prefix, short in _EFFECTS:
        if effect and effect.startswith(prefix):
            return short
    return ""


def _summary(result: RunResult) -> tuple[Any, list[str]] | None:
    from rich.console import Group
    from rich.padding import Padding
    from rich.text import Text

    from .summary_table import format_effect, summary_rows

    rows, _notes = summary_rows(result)
    if not rows:
        return None
    arms = list(result.cohort.arms)
    labels = [result.cohort.arm_label(a) for a in arms]
    table = _table(
        ["Comparison", "Estimate (95% CI)", "p", "Primary p"],
        title=f"Between-arm comparisons, {' vs '.join(labels)} (full detail in the report)",
        right={1, 2, 3},
    )
    for column in table.columns[1:]:
        column.no_wrap = True
    caveats = []
    for r in rows:
        measure = r.measure
        if r.caveat:
            caveats.append(r.caveat)
            measure += f" [{len(caveats)}]"
        primary = ""
        if r.primary_test and r.primary_test != r.test and r.primary_p_value is not None:
            # a short name: a long one would squeeze the comparison column at 80 columns
            short = _TESTS.get(r.primary_test, r.primary_test.split(" (")[0])
            primary = f"{short} {fmt_p(r.primary_p_value)}"
        per_arm = " vs ".join(r.per_arm.get(a, "") for a in arms)
        estimate = format_effect(r)
        table.add_row(
            # the per-arm line as its own indented block, so that its wrapped lines keep
            # the indent instead of falling back to the table's left edge
            Group(Text(measure), Padding(Text(per_arm), (0, 0, 0, 2))),
            f"{_effect(r.effect)} {estimate}".strip() if estimate else "",
            "" if r.p_value is None else fmt_p(r.p_value),
            primary,
        )
    notes = [f"[{i}] {c}" for i, c in enumerate(caveats, start=1)]
    notes.append(
        "p: the estimate's own test; primary p: the endpoint's primary test where it is "
        "another one."
    )
    return table, notes


def _frame_table(title: str, frame: pd.DataFrame):
    header = [str(frame.index.name or "")] + [str(c) for c in frame.columns]
    table = _table(header, title=title, right=set(range(1, len(header))))
    for idx, row in zip(frame.index, frame.itertuples(False), strict=True):
        table.add_row(str(idx), *[str(v) for v in row])
    return table


def _width_of(renderable: Any) -> int:
    """The width ``renderable`` needs to be printed without wrapping any cell."""
    console = _console(10_000)
    console.print(renderable)
    return max((len(line.rstrip()) for line in console.file.getvalue().splitlines()), default=0)


def render_text(result: RunResult, width: int | None = None, verbose: bool = False) -> str:
    """The terminal summary at ``width`` columns (default :data:`DEFAULT_WIDTH`): the
    cohort, each endpoint's status, the summary of the between-arm comparisons and -- when
    it fits ``width``, or with ``verbose`` -- Table 1 (every other table is in the report)."""
    width = width or DEFAULT_WIDTH
    console = _console(width)
    console.print(_cohort_line(result))
    for n in result.cohort.notes:
        console.print(f"Note: {n}")
    arms = " / ".join(result.cohort.arms)
    status = _table(["endpoint", "status", f"analysed ({arms})", "note"])
    for row in status_rows(result):
        status.add_row(*row)
    console.print()
    console.print(status)
    for p in result.plugin_failures:
        console.print(f"plugin '{p.name}' failed to load: {p.error}")
    summary = _summary(result)
    if summary is not None:
        table, caveats = summary
        console.print()
        console.print(table)
        for c in caveats:
            console.print(c)
    for o in result.outcomes:
        if o.name != "baseline" or o.status != "ok" or o.endpoint is None:
            continue
        own = [r for r in result.records if r.endpoint == o.name]
        for title, frame in o.endpoint.tables(own).items():
            table = _frame_table(f"{o.title}: {title}", frame)
            console.print()
            needed = _width_of(table)
            if verbose or needed <= width:
                # asked for (--verbose): printed whole, wider than the terminal if need be
                target = console if needed <= width else _console(needed)
                target.print(table)
                for note in frame.attrs.get("footnotes", ()):
                    target.print(note)
                if target is not console:
                    console.file.write(target.file.getvalue())
            else:
                console.print(
                    f"{o.title}: {title} is in the report (wider than {width} columns; "
                    "mdsrs run --verbose prints it here)."
                )
    text = console.file.getvalue()
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"
