"""A run -> the format-neutral report :class:`~mdsrs_core.report.document.Document`.

Order: the summary table and forest plot; one section per endpoint (patient flow, tables,
figures, notes; Table 1 is the ``baseline`` endpoint's); sections plugins add; methods;
the run's status (every endpoint, plugin failure and cohort note). Only formatting: every
number comes from ``run.records``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .document import Document, Note, Paragraph, Section, Table
from .endpoint_section import endpoint_section, note_kind
from .methods import methods_section
from .summary_table import summary_section

if TYPE_CHECKING:  # pragma: no cover
    from ..plugins import Registry
    from ..runner import RunResult
    from .prerender import FigurePool

__all__ = ["build_document", "cohort_line"]


def cohort_line(run: RunResult) -> str:
    c = run.cohort
    arms = ", ".join(f"{a} {k}" for a, k in c.counts().items())
    return f"Cohort {c.source}: {c.n} patients ({arms}); reference arm: {c.reference}."


def _status_section(run: RunResult, registry: Registry | None) -> Section:
    records = run.records
    arms = list(run.cohort.arms)
    section = Section("Run status", id="run-status")
    rows = []
    for r in records:
        if r.variable == "endpoint" and r.stat == "status":
            analysed = {
                f.arm: f.value
                for f in records
                if f.endpoint == r.endpoint and f.variable == "flow" and f.stat == "n_analysed"
            }
            rows.append(
                [
                    r.endpoint,
                    str(r.value),
                    " / ".join(str(analysed.get(a, "")) for a in arms) if analysed else "",
                    str(r.label or ""),
                ]
            )
    section.add(
        Table(
            "Endpoints",
            ["Endpoint", "Status", f"Analysed ({' / '.join(arms)})", "Title or reason"],
            rows,
            stub=2,
        )
    )
    for r in records:
        if r.endpoint == "plugins" and r.stat == "load_error":
            section.add(
                Note(f"plugin '{r.variable}' ({r.label}) {r.value}", "error", "Plugin failed")
            )
    for _plugin, reason in registry.report_failures if registry else []:
        section.add(Note(reason, "error", "Plugin failed"))
    for r in records:
        if r.endpoint == "cohort" and r.stat == "note":
            section.add(Note(str(r.value), note_kind(str(r.value))))
    derived = sorted(run.cohort.derived)
    if derived:
        section.add(Paragraph(f"Variables derived by plugins: {', '.join(derived)}."))
    return section


def build_document(
    run: RunResult, *, registry: Registry | None = None, figures: FigurePool | None = None
) -> Document:
    """The report of ``run`` (plugins' sections from ``registry``, by default the run's).

    ``figures``: the figures already being drawn in other processes
    (:class:`~mdsrs_core.report.prerender.FigurePool`); those it did not draw are drawn
    here."""
    from ..plugins import get_registry

    registry = registry or run.registry or get_registry()
    records = run.records
    arms = list(run.cohort.arms)
    subtitle = [cohort_line(run)]
    if len(arms) == 2:
        subtitle.append(f"Comparison: {arms[1]} versus {arms[0]} (reference).")
    failed = [o.name for o in run.outcomes if o.status == "failed"]
    if failed:
        subtitle.append(f"Endpoints that failed: {', '.join(failed)} (see their sections).")
    broken = [
        str(r.variable) for r in records if r.endpoint == "plugins" and r.stat == "load_error"
    ]
    if broken:
        subtitle.append(f"Plugins that failed to load: {', '.join(broken)} (see Run status).")
    doc = Document("mdsrs report", subtitle, records=records)
    if figures is not None:
        figures.submit_forest(run)  # drawn elsewhere while the other sections are built
    place = len(doc.sections)  # the summary's place; filled in last
    doc.add(Section("Summary", id="summary"))
    from ..adjust.report import adjustment_section

    adjusted = adjustment_section(run)
    if adjusted is not None:
        doc.add(adjusted)
    for o in run.outcomes:
        drawn = figures.endpoint_figures(o.name) if figures is not None else None
        doc.add(endpoint_section(o, [r for r in records if r.endpoint == o.name], arms, drawn))
    for plugin, section in registry.report_sections(run):
        if isinstance(section, Section):
            doc.add(section)
        else:
            doc.add(
                Section(
                    f"Section of plugin {plugin}",
                    [
                        Note(
                            f"plugin '{plugin}' added {type(section).__name__}, not a Section",
                            "error",
                            "Plugin failed",
                        )
                    ],
                )
            )
    doc.add(methods_section(run))
    doc.add(_status_section(run, registry))
    filled = summary_section(run, figures.forest(run) if figures is not None else None)
    doc.sections[place] = filled
    doc.assign_ids()
    return doc
