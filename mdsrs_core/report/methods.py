"""The report's methods section, written from what actually ran: the ``method`` of every
record, the test-choice rules, the formulas in effect, alpha, seed and software versions
(all from the run's records)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .document import Items, Paragraph, Section, Table

if TYPE_CHECKING:  # pragma: no cover
    from ..records import Record
    from ..runner import RunResult

__all__ = ["methods_section"]

#: method texts that describe a decision, not an analysis
_NOT_METHODS = ("p < alpha", "every defined test")


def _methods(records: list[Record]) -> list[str]:
    out: list[str] = []
    for r in records:
        m = (r.method or "").strip()
        if m and not m.startswith(_NOT_METHODS) and m not in out:
            out.append(m)
    return out


def _software(records: list[Record]) -> str:
    versions = {
        r.stat: r.value for r in records if r.endpoint == "run" and r.variable == "software"
    }
    if not versions:
        return ""
    main = f"mdsrs {versions.pop('mdsrs', '?')} on Python {versions.pop('python', '?')}"
    others = ", ".join(f"{k} {v}" for k, v in versions.items())
    return f"Analyses were run with {main}" + (f" ({others})." if others else ".")


def methods_section(run: RunResult) -> Section:
    """Methods: settings, software, then per endpoint the methods its records name."""
    records = run.records
    setting = {r.stat: r.value for r in records if r.endpoint == "run" and r.variable == "setting"}
    section = Section("Methods", id="methods")
    arms = list(run.cohort.arms)
    if len(arms) == 2:
        section.add(
            Paragraph(
                f"The {arms[1]} arm was compared with the {arms[0]} arm (the "
                "reference level of the arm in every model)."
            )
        )
    alpha, seed = setting.get("alpha", run.alpha), setting.get("seed", run.seed)
    section.add(
        Paragraph(
            f"Significance level alpha = {alpha:g}; a result is called significant when "
            f"p < {alpha:g}. "
            + (
                f"Random seed: {seed}."
                if seed is not None
                else "No random seed was set (no method of this run resamples)."
            )
            + " "
            + _software(records)
            + " Every number in this report is formatted from the "
            "analysis-results records (results.json); none is computed again."
        )
    )
    for o in run.outcomes:
        if o.status != "ok":
            continue
        own = [r for r in records if r.endpoint == o.name]
        methods = _methods([r for r in own if r.variable not in ("flow", "endpoint")])
        rules = list(dict.fromkeys(str(r.value) for r in own if r.stat == "test_rule"))
        section.add(Paragraph(f"{o.title} ({o.name}):"))
        section.add(
            Items(
                (methods or ["descriptive statistics only"])
                + [f"Choice of test: {rule}" for rule in rules]
            )
        )
    formulas = [
        [r.endpoint, r.stat, str(r.value)]
        for r in records
        if r.variable == "formula"
        and r.arm is None
        and r.level is None
        and r.endpoint not in ("run", "cohort")
    ]
    if formulas:
        section.add(
            Table(
                "Model formulas in effect",
                ["Endpoint", "Key", "Formula"],
                formulas,
                footnotes=[
                    "The endpoints' default formulas merged with the study "
                    "file's [endpoints] settings and --formula options."
                ],
                stub=3,
            )
        )
    return section
