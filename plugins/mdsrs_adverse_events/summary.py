"""The ``adverse_events`` rows of the report's summary table, formatted from records only."""

from __future__ import annotations

from mdsrs_core.endpoint import SummaryRow
from mdsrs_core.records import RecordIndex
from mdsrs_core.report.formatting import fmt_pct
from mdsrs_core.report.naming import test_name


def _np(by, variable, arm, level) -> str:
    n, p = by.get(variable, arm, level, "n"), by.get(variable, arm, level, "p")
    if n is None:
        return "NA"
    return f"{n.value} ({fmt_pct(p.value)})" if p is not None else str(n.value)


def adverse_events_summary(records) -> list[SummaryRow]:
    """Worst grade 1-2 and >= 3 per arm with the proportional-odds (cumulative) odds ratio;
    grade >= 3 incidence with Fisher's exact test."""
    by = RecordIndex(records)
    arms = list(
        dict.fromkeys(
            r.arm
            for r in records
            if r.variable == "ae_max_grade" and r.stat == "N" and r.arm is not None
        )
    )
    if not arms:
        return []
    rows = []
    po = {
        r.stat: r
        for r in records
        if r.variable == "ae_max_grade"
        and r.arm is None
        and (r.level or "").startswith("arm[T.")
        and ":" not in r.level
        and (r.method or "").startswith("Proportional-odds model")
    }
    per_arm = {
        a: f"{_np(by, 'ae_grade_group', a, '1-2')} / {_np(by, 'ae_grade_ge3', a, None)}"
        for a in arms
    }
    measure = "Worst adverse-event grade 1-2 / >= 3, n (%)"
    if "estimate" in po:
        rows.append(
            SummaryRow(
                "adverse_events",
                measure,
                per_arm,
                effect="Cumulative odds ratio of a worse grade (proportional odds)",
                estimate=po["estimate"].value,
                conf_low=getattr(po.get("conf_low"), "value", None),
                conf_high=getattr(po.get("conf_high"), "value", None),
                ratio=True,
                p_value=getattr(po.get("p_value"), "value", None),
                test=test_name(po["estimate"].method),
                outcome="Worst adverse-event grade",
                better="lower",
            )
        )
    else:
        rows.append(SummaryRow("adverse_events", measure, per_arm))
    fisher = {
        r.stat: r
        for r in records
        if r.variable == "ae_grade_ge3"
        and r.arm is None
        and r.level is None
        and r.stat in ("estimate", "conf_low", "conf_high", "p_value")
    }
    if "p_value" in fisher:
        est = fisher.get("estimate")
        rows.append(
            SummaryRow(
                "adverse_events",
                "Worst adverse-event grade >= 3, n/N (%)",
                {
                    a: f"{by.get('ae_grade_ge3', a, None, 'n').value}/"
                    f"{by.get('ae_grade_ge3', a, None, 'N').value} "
                    f"({fmt_pct(by.get('ae_grade_ge3', a, None, 'p').value)})"
                    for a in arms
                },
                effect="Odds ratio (conditional MLE)" if est is not None else None,
                estimate=None if est is None else est.value,
                conf_low=getattr(fisher.get("conf_low"), "value", None),
                conf_high=getattr(fisher.get("conf_high"), "value", None),
                ratio=True,
                p_value=fisher["p_value"].value,
                test=test_name(fisher["p_value"].method),
                outcome="Adverse event of grade ≥ 3",
                better="lower",
            )
        )
    return rows
