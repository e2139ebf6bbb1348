"""What ``mdsrs run`` prints on the terminal, from the run's records (the report files are
written by :mod:`mdsrs_core.report.write`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .formatting import text_table

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..runner import RunResult

__all__ = ["status_rows", "render_text"]


def _frame_rows(frame: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    header = [str(frame.index.name or "")] + [str(c) for c in frame.columns]
    rows = [
        [str(idx)] + [str(v) for v in row]
        for idx, row in zip(frame.index, frame.itertuples(False), strict=True)
    ]
    return header, rows


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


def _tables(result: RunResult):
    records = result.records
    for o in result.outcomes:
        if o.status != "ok" or o.endpoint is None:
            continue
        own = [r for r in records if r.endpoint == o.name]
        yield o, o.endpoint.tables(own)


def _cohort_line(result: RunResult) -> str:
    c = result.cohort
    arms = ", ".join(f"{a} {k}" for a, k in c.counts().items())
    return f"Cohort {c.source}: {c.n} patients ({arms}); reference arm: {c.reference}."


def render_text(result: RunResult) -> str:
    """The terminal summary: the cohort, each endpoint's status, the summary table of the
    between-arm comparisons and Table 1 (every other table is in the report)."""
    from .summary_table import summary_rows, summary_table

    arms = " / ".join(result.cohort.arms)
    out = [
        _cohort_line(result),
        *[f"Note: {n}" for n in result.cohort.notes],
        "",
        text_table(["endpoint", "status", f"analysed ({arms})", "note"], status_rows(result)),
    ]
    for p in result.plugin_failures:
        out.append(f"plugin '{p.name}' failed to load: {p.error}")
    rows, _notes = summary_rows(result)
    if rows:
        table = summary_table(result, rows)
        out += ["", table.title, text_table(table.header, table.rows)]
    for o, tables in _tables(result):
        if o.name == "baseline":
            for title, frame in tables.items():
                header, rows_ = _frame_rows(frame)
                out += ["", f"{o.title}: {title}", text_table(header, rows_)]
    return "\n".join(out) + "\n"
