"""The ``ipssr`` row of the report's summary table, formatted from records only."""

from __future__ import annotations

from mdsrs_core.endpoint import SummaryRow
from mdsrs_core.records import RecordIndex
from mdsrs_core.report.formatting import fmt_num
from mdsrs_core.report.naming import test_name


def ipssr_summary(records) -> list[SummaryRow]:
    """The IPSS-R score after treatment per arm (mean (SD) / median) and the ANCOVA
    difference adjusted for the score before treatment."""
    by = RecordIndex(records)
    arms = by.arms("ipssr_post_score", stat="mean")
    if not arms:
        return []
    per_arm = {
        a: f"{fmt_num(by.value('ipssr_post_score', a, None, 'mean'), 2)} "
        f"({fmt_num(by.value('ipssr_post_score', a, None, 'sd'), 2)}) / "
        f"{fmt_num(by.value('ipssr_post_score', a, None, 'median'), 1)}"
        for a in arms
    }
    measure = "IPSS-R score after treatment, mean (SD) / median"
    model = {
        r.stat: r
        for r in records
        if r.variable == "ipssr_post_score"
        and r.arm is None
        and (r.level or "").startswith("arm[T.")
        and (r.method or "").startswith("Linear regression")
    }
    if "estimate" not in model:
        return [SummaryRow("ipssr", measure, per_arm)]

    def value(stat):
        return model[stat].value if stat in model else None

    return [
        SummaryRow(
            "ipssr",
            measure,
            per_arm,
            effect="Difference adjusted for baseline",
            estimate=value("estimate"),
            conf_low=value("conf_low"),
            conf_high=value("conf_high"),
            p_value=value("p_value"),
            test=test_name(model["estimate"].method),
            outcome="IPSS-R score after treatment",
            better="lower",
        )
    ]
