"""One endpoint's section of the report: status, patient flow, tables, figures and notes,
all formatted from the endpoint's records (and the figure data of its result)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .document import Figure, Note, Section, Table

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..records import Record
    from ..runner import EndpointOutcome

__all__ = ["endpoint_section", "frame_table", "flow_table", "note_kind"]

#: words that make a note a warning (a fallback, a failure to converge, a conclusion that
#: depends on the test, an assumption in doubt)
_WARNING = re.compile(
    r"separation|firth|converg|violat|depends on the test|disagree|"
    r"not estimable|may be incorrect|failed|evidence against|singular|"
    r"accounts for \d+ of",
    re.IGNORECASE,
)


def note_kind(text: str) -> str:
    """``"warning"`` for a note that qualifies a result, else ``"note"``."""
    return "warning" if _WARNING.search(text) else "note"


def frame_table(title: str, frame: pd.DataFrame) -> Table:
    """A display DataFrame (index = row labels) as a :class:`Table`; leading spaces of a row
    label (Table 1's sub-rows) become its indent level; ``frame.attrs["footnotes"]`` (a list
    of sentences) become the table's footnotes."""
    header = [str(frame.index.name or "")] + [str(c) for c in frame.columns]
    rows, indent = [], []
    # plain tuples (name=None): a namedtuple class is built for each call otherwise
    for idx, values in zip(frame.index, frame.itertuples(False, None), strict=True):
        label = str(idx)
        stripped = label.lstrip(" ")
        indent.append((len(label) - len(stripped) + 3) // 4)
        rows.append([stripped, *["" if v is None else str(v) for v in values]])
    footnotes = [str(n) for n in frame.attrs.get("footnotes", ())]
    return Table(title, header, rows, footnotes=footnotes, indent=indent if any(indent) else None)


def flow_table(
    name: str, records: list[Record], arms: list[str], exclusions: Sequence[Any] = ()
) -> Table | None:
    """Patient flow (CONSORT-style) from the flow records: patients per arm, each reason
    for exclusion, analysed."""
    flow = [r for r in records if r.variable == "flow"]
    if not flow:
        return None
    analysed = {r.arm: int(r.value) for r in flow if r.stat == "n_analysed"}
    reasons: dict[str, dict[str | None, int]] = {}
    for r in flow:
        if r.stat == "n_excluded":
            reasons.setdefault(r.level or "", {})[r.arm] = int(r.value)
    columns = [*arms, None]

    def total(arm: str | None) -> int:
        if arm is None:
            return sum(total(a) for a in arms)
        return analysed.get(arm, 0) + sum(v.get(arm, 0) for v in reasons.values())

    rows = [["Patients in the cohort", *[str(total(a)) for a in columns]]]
    for reason, by_arm in reasons.items():
        rows.append(
            [
                f"Excluded: {reason}",
                *[
                    str(by_arm.get(a, 0) if a is not None else sum(by_arm.values()))
                    for a in columns
                ],
            ]
        )
    rows.append(["Analysed", *[str(analysed.get(a, 0)) for a in columns]])
    footnotes = []
    if exclusions:
        ids = ", ".join(f"{e.patient_id} ({e.arm})" for e in exclusions)
        footnotes.append(f"Patients excluded: {ids}.")
    return Table(
        f"Patient flow ({name})",
        ["", *arms, "Total"],
        rows,
        footnotes=footnotes,
        indent=[0] + [1] * len(reasons) + [0],
    )


def _figure(title: str, item: Any) -> Figure:
    if isinstance(item, Figure):
        return item
    if isinstance(item, str):
        return Figure(title, svg=item)
    if isinstance(item, (bytes, bytearray)):
        return Figure(title, png=bytes(item))
    return Figure(title, figure=item)


def endpoint_section(
    outcome: EndpointOutcome,
    records: list[Record],
    arms: list[str],
    drawn: tuple[str, Any] | None = None,
) -> Section:
    """The section of one endpoint (``records``: the run's records of this endpoint).

    ``drawn``: its figures already drawn elsewhere (:mod:`mdsrs_core.report.prerender`),
    ``("ok", [Figure, ...])`` or ``("error", reason)``; None draws them here."""
    o = outcome
    section = Section(o.title, tag=o.name)
    if o.status == "skipped":
        section.add(Note(o.reason or "", "warning", "Skipped"))
        return section
    if o.status == "failed":
        section.add(Note(o.reason or "", "error", "Failed"))
        return section
    endpoint, result = o.endpoint, o.result
    flow = flow_table(o.name, records, arms, result.exclusions if result else [])
    if flow is not None:
        section.add(flow)
    try:
        tables = endpoint.tables(records) if endpoint is not None else {}
    except Exception as exc:
        section.add(
            Note(
                f"the tables could not be formatted: {type(exc).__name__}: {exc}", "error", "Failed"
            )
        )
        tables = {}
    for title, frame in tables.items():
        section.add(frame_table(title, frame))
    if drawn is not None:
        status, value = drawn
        if status == "ok":
            for figure in value:
                section.add(figure)
        else:
            section.add(Note(f"the figures could not be drawn: {value}", "warning", "Warning"))
    else:
        try:
            figures = (
                endpoint.figures(records, result.figures if result else {})
                if endpoint is not None
                else {}
            )
        except Exception as exc:
            section.add(
                Note(
                    f"the figures could not be drawn: {type(exc).__name__}: {exc}",
                    "warning",
                    "Warning",
                )
            )
            figures = {}
        for title, item in (figures or {}).items():
            if item is not None:
                section.add(_figure(title, item))
    for r in records:
        if r.variable == "endpoint" and r.stat == "note":
            kind = note_kind(str(r.value))
            section.add(Note(str(r.value), kind, "Warning" if kind == "warning" else ""))
    return section
