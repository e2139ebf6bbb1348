"""The design report: a :class:`~mdsrs_core.report.document.Document` built from a design's
records (power table and curve per endpoint, the assumptions, the settings), written by the
registered renderers (every format the report machinery has: HTML, Word, Markdown, and the
records as JSON and CSV)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from mdsrs_core.records import Record, RecordIndex
from mdsrs_core.report.document import Document, Figure, Items, Note, Paragraph, Section, Table

from .records import MC_METHOD, TITLES

__all__ = ["design_document", "write_design", "summary_rows"]


def _setting(records: list[Record], key: str) -> Any:
    return next(
        (
            r.value
            for r in records
            if r.endpoint == "design" and r.variable == "setting" and r.stat == key
        ),
        None,
    )


def _pct(x: Any) -> str:
    return "NA" if x is None else f"{100 * x:.1f}%"


def _endpoints(records: list[Record]) -> list[str]:
    return list(
        dict.fromkeys(
            r.endpoint for r in records if r.variable == "endpoint" and r.stat == "status"
        )
    )


#: the tests' short names, for the terminal summary (80 columns)
SHORT_TESTS = {
    "os": "log-rank",
    "response": "chi-square/Fisher",
    "aml": "Gray",
    "adverse_events": "Wilcoxon",
}


def summary_rows(records: list[Record], *, short: bool = False) -> list[list[str]]:
    """Per endpoint: title, test, smallest n reaching the target, its power (CI);
    ``short``: the endpoint's code name and the test's short name (the terminal)."""
    rows = []
    for ep in _endpoints(records):
        own = [r for r in records if r.endpoint == ep]
        status = next(r for r in own if r.variable == "endpoint" and r.stat == "status")
        title = ep if short else TITLES.get(ep, ep)
        if status.value != "ok":
            rows.append([title, "", "skipped", str(status.label)])
            continue
        req = next(r for r in own if r.variable == "n_required")
        idx = RecordIndex(own)
        test = str(req.method or "").split(";")[0]
        if short:
            test = "clm (Wald)" if "clm" in test else SHORT_TESTS.get(ep, test)
        if req.value is None:
            sizes = idx.levels("power", "power")
            best = idx.value("power", None, sizes[-1], "power") if sizes else None
            rows.append(
                [
                    title,
                    test,
                    f"> {sizes[-1]}" if sizes else "NA",
                    f"{_pct(best)} at n = {sizes[-1]}" if sizes else "",
                ]
            )
            continue
        level = str(req.value)
        p = idx.value("power", None, level, "power")
        lo = idx.value("power", None, level, "conf_low")
        hi = idx.value("power", None, level, "conf_high")
        rows.append([title, test, level, f"{_pct(p)} ({_pct(lo)} to {_pct(hi)})"])
    return rows


def _assumptions(own: list[Record]) -> list[str]:
    out = []
    arms = list(dict.fromkeys(r.arm for r in own if r.variable == "scenario" and r.arm))
    for arm in arms:
        parts = []
        used = next(
            (r.value for r in own if r.variable == "scenario" and r.arm == arm and r.stat == "n"),
            None,
        )
        for r in own:
            if r.variable == "scenario" and r.arm == arm and r.stat == "model":
                parts.append(f"{r.level.replace('_', ' ')}: {r.value}" if r.level else str(r.value))
        for r in own:
            if r.variable == "scenario" and r.arm == arm and r.stat == "median":
                parts.append(
                    f"median {r.value:.1f} months"
                    if r.value != float("inf")
                    else "median not reached"
                )
            if r.variable == "scenario" and r.arm == arm and r.stat == "surv":
                parts.append(f"{r.label} {_pct(r.value)}")
            if r.variable == "scenario" and r.arm == arm and r.stat == "p":
                parts.append(f"{r.label} {_pct(r.value)}")
        src = f" (estimated from {used} patients)" if used is not None else " (assumed)"
        out.append(f"{arm}{src}: " + "; ".join(parts) + ".")
    for r in own:
        if r.variable == "flow" and r.stat == "n_excluded":
            out.append(f"{r.value} patient(s) of {r.arm} left out: {r.level}.")
    return out


def _endpoint_section(ep: str, own: list[Record], target: float) -> Section:
    from .figures import power_curve

    title = TITLES.get(ep, ep)
    section = Section(title, tag=ep)
    status = next(r for r in own if r.variable == "endpoint" and r.stat == "status")
    if status.value != "ok":
        section.add(Note(str(status.label), "note", "Skipped"))
        return section
    idx = RecordIndex(own)
    req = next(r for r in own if r.variable == "n_required")
    source = next((r.value for r in own if r.variable == "scenario" and r.stat == "source"), "")
    section.add(
        Paragraph(f"Each simulated trial is analysed with: {req.method}. Assumptions ({source}):")
    )
    section.add(Items(_assumptions(own)))
    arms = list(dict.fromkeys(r.arm for r in own if r.variable == "trial_size"))
    rows = []
    for level in idx.levels("power", "power"):
        sizes = [str(idx.value("trial_size", a, level, "n")) for a in arms]
        rows.append(
            [
                level,
                *sizes,
                f"{idx.value('power', None, level, 'rejections')}",
                _pct(idx.value("power", None, level, "power")),
                f"{_pct(idx.value('power', None, level, 'conf_low'))} to "
                f"{_pct(idx.value('power', None, level, 'conf_high'))}",
            ]
        )
    reps = idx.value("power", None, idx.levels("power", "power")[0], "reps")
    found = (
        f"The smallest size of the grid with power >= {target:g} is n = {req.value}."
        if req.value is not None
        else f"No size of the grid reaches power {target:g}."
    )
    section.add(
        Figure(
            f"Power curve: {title}",
            power_curve(own, title, target),
            caption=f"Simulated power ({reps} trials per size) with its {MC_METHOD}. {found}",
        )
    )
    section.add(
        Table(
            f"Simulated power: {title}",
            ["n", *[f"n {a}" for a in arms], f"Rejections of {reps}", "Power", "95% MC interval"],
            rows,
            footnotes=[found, MC_METHOD + "."],
        )
    )
    for r in own:
        if r.variable == "endpoint" and r.stat == "note":
            section.add(Note(str(r.value)))
    return section


def design_document(records: list[Record]) -> Document:
    """The report of a design, from its records only."""
    target = float(_setting(records, "target") or 0.8)
    d = {
        k: _setting(records, k)
        for k in (
            "seed",
            "reps",
            "alpha",
            "allocation",
            "accrual",
            "follow_up",
            "dropout",
            "dropout_time",
            "chunk",
            "sizes",
            "source",
            "os_model",
        )
    }
    subtitle = [
        f"Scenarios from the {d['source']}.",
        f"Allocation {d['allocation']:g}:1 (other arm : reference), accrual {d['accrual']:g} "
        f"months, follow-up {d['follow_up']:g} months after the last entry, dropout "
        f"{_pct(d['dropout'])} by {d['dropout_time']:g} months; two-sided alpha "
        f"{d['alpha']:g}; target power {target:g}.",
        f"{d['reps']} simulated trials per size; seed {d['seed']}.",
    ]
    doc = Document("mdsrs trial design", subtitle, records=records)
    summary = Section("Sample size for a confirmatory trial", id="design-summary")
    summary.add(
        Table(
            "Smallest total size reaching the target power",
            ["Endpoint", "Test", f"n for power >= {target:g}", "Power (95% MC interval)"],
            summary_rows(records),
            stub=2,
        )
    )
    doc.add(summary)
    for ep in _endpoints(records):
        doc.add(_endpoint_section(ep, [r for r in records if r.endpoint == ep], target))
    methods = Section("Methods", id="design-methods")
    methods.add(
        Paragraph(
            "Power was estimated by simulation: for each total size, trials were simulated from "
            "the assumptions above, randomised in fixed numbers per arm, with uniform accrual, "
            "administrative censoring at the end of follow-up and exponential loss to follow-up; "
            "each trial was analysed with the test the study uses, and the power is the share of "
            f"trials with p < {d['alpha']:g}, with a Clopper-Pearson interval. Trials were "
            f"simulated in tasks of {d['chunk']}, each with its own random stream "
            f"(numpy SeedSequence({d['seed']}) spawned by endpoint, size and task), so the results "
            "do not depend on the number of workers that ran them (mdsrs design, on Dask)."
        )
    )
    doc.add(methods)
    settings = Section("Settings", id="design-settings")
    settings.add(
        Table(
            "Settings and software",
            ["Setting", "Value"],
            [[r.stat, str(r.value)] for r in records if r.endpoint == "design"],
            stub=1,
        )
    )
    doc.add(settings)
    doc.assign_ids()
    return doc


def write_design(
    records: list[Record],
    out_dir: Path,
    formats: Iterable[str] | None = None,
    *,
    inputs: Mapping[str, str | Path | None] | None = None,
):
    """Write the design report in ``formats`` (json always) into ``out_dir`` through the
    registered renderers, atomically, refusing to overwrite an input (``inputs``: role ->
    path); returns the :class:`~mdsrs_core.report.write.Written` list."""
    from mdsrs_core.outputs import check_output_dir
    from mdsrs_core.plugins import get_registry
    from mdsrs_core.report.renderers import DATA_FORMATS
    from mdsrs_core.report.write import output_names, parse_formats, write_document

    renderers = get_registry().renderers()
    names = parse_formats(None if formats is None else list(formats), renderers)
    out_dir = Path(out_dir)
    check_output_dir(out_dir, output_names([renderers[n] for n in names]), inputs or {}, option="")
    out_dir.mkdir(parents=True, exist_ok=True)
    if all(n in DATA_FORMATS for n in names):
        document = Document("mdsrs trial design", records=records)
    else:
        document = design_document(records)
    return write_document(document, out_dir, names, renderers)
