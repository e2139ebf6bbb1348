"""Hook specifications: the functions a plugin may implement.

A plugin is a module (or any object) with functions marked ``@hookimpl`` whose names are
those below. It is found through the ``mdsrs`` entry-point group::

    [project.entry-points.mdsrs]
    my_endpoint = "my_package.plugin"

Every built-in endpoint is a plugin loaded this way. Hooks are called with keyword
arguments; an implementation may accept fewer arguments than the specification lists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:  # pragma: no cover
    from pathlib import Path

    from .cohort import Cohort
    from .endpoint import Endpoint
    from .report.document import Document, Section
    from .runner import RunResult

hookspec = pluggy.HookspecMarker("mdsrs")


@hookspec
def mdsrs_register_endpoints(register: Callable[[Endpoint], None]) -> None:
    """Register this plugin's endpoints by calling ``register(endpoint)`` once for each.

    :param register: takes an :class:`~mdsrs_core.endpoint.Endpoint` instance. An invalid
        endpoint (no name, a name already taken, no ``analyze`` method) makes the whole plugin
        fail to load; it is reported by ``mdsrs plugins`` and the others keep working.

    Example::

        @hookimpl
        def mdsrs_register_endpoints(register):
            register(QualityOfLife())

    Called once per process, when the plugins are loaded.
    """


@hookspec
def mdsrs_derive(cohort: Cohort) -> None:
    """Add derived variables to the shared cohort before any endpoint runs.

    :param cohort: the validated :class:`~mdsrs_core.cohort.Cohort`. Add columns with
        ``cohort.add_variable(name, values, label=..., source=...)``; do not change the
        columns that came from the data. Check ``cohort.has(...)`` first: a derivation
        whose inputs are absent does nothing.

    Example::

        @hookimpl
        def mdsrs_derive(cohort):
            if cohort.has("hgb_base", "hgb_post"):
                cohort.add_variable("hgb_change", cohort.data.hgb_post - cohort.data.hgb_base,
                                    label="Change in hemoglobin (g/dL)")

    Called for every cohort built; a derivation that raises is reported and skipped.
    """


@hookspec
def mdsrs_register_renderers(
    register: Callable[[str, str, Callable[[Document, Path], None]], None],
) -> None:
    """Register report formats by calling ``register(name, suffix, render)`` for each.

    :param register: takes the format's ``name`` (what ``mdsrs run --format`` accepts),
        the file ``suffix`` (``".html"``) and ``render(document, path)``, which writes the
        :class:`~mdsrs_core.report.document.Document` to ``path`` (``report`` + suffix in
        the output folder; the optional keyword ``stem`` changes ``report``).
        ``document.records`` holds the run's records. A later
        registration of a name replaces an earlier one (a plugin may replace a built-in
        format). The built-in formats (``html``, ``docx``, ``md``, ``json``, ``csv``) are
        registered through this hook too.

    Example::

        @hookimpl
        def mdsrs_register_renderers(register):
            def render_txt(document, path):
                lines = [document.title, *document.subtitle]
                path.write_text("\\n".join(lines) + "\\n", encoding="utf-8")

            register("txt", ".txt", render_txt)

    Called each time a report is written; a plugin whose hook or renderer raises is
    reported in the terminal and the other formats are still written.
    """


@hookspec
def mdsrs_report_sections(run: RunResult, add: Callable[[Section], None]) -> None:
    """Add sections of this plugin's own to the report, after the endpoints' sections.

    :param run: the :class:`~mdsrs_core.runner.RunResult` (``run.records`` are the
        analysis-results records; format numbers from them, never compute them again).
    :param add: takes a :class:`~mdsrs_core.report.document.Section` (heading, then
        paragraphs, tables, figures, notes).

    Example::

        from mdsrs_core.report.document import Paragraph, Section, Table

        @hookimpl
        def mdsrs_report_sections(run, add):
            n = {r.arm: r.value for r in run.records
                 if r.endpoint == "os" and r.stat == "n_event" and r.variable == "os"}
            add(Section("Deaths by arm", [
                Paragraph("Deaths from any cause during follow-up."),
                Table("Deaths", ["Arm", "Deaths"], [[a, str(k)] for a, k in n.items()]),
            ]))

    Called once per report; a section hook that raises is named in the report and skipped.
    """
