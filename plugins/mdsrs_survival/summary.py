"""The ``os`` row of the report's summary table, formatted from records only."""

from __future__ import annotations

from mdsrs_core.endpoint import SummaryRow
from mdsrs_core.records import RecordIndex
from mdsrs_core.report.formatting import fmt_pct
from mdsrs_core.report.naming import test_name


def os_summary(records) -> list[SummaryRow]:
    """Kaplan-Meier overall survival at 60 months (or the last landmark) per arm, the Cox
    hazard ratio with its Wald interval and Wald p-value; primary test: the log-rank test."""
    by = RecordIndex(records)
    arms = list(
        dict.fromkeys(
            r.arm for r in records if r.variable == "os" and r.stat == "N" and r.arm is not None
        )
    )
    levels = [r.level for r in records if r.variable == "os_km" and r.stat == "surv"]
    if len(arms) != 2 or not levels:
        return []
    level = "60" if "60" in levels else max(levels, key=float)
    term = f"arm[T.{arms[1]}]"
    hr = by.value("os_cox", None, term, "estimate")
    own = by.get("os_cox", None, term, "p_value")
    logrank = by.get("os_logrank", None, None, "p_value")
    from .rmst import rmst_summary

    rmst_row = rmst_summary(records, arms)
    return [
        SummaryRow(
            "os",
            f"Overall survival at {level} months (Kaplan-Meier)",
            {a: fmt_pct(by.value("os_km", a, level, "surv")) for a in arms},
            effect="Hazard ratio (Cox)" if hr is not None else None,
            estimate=hr,
            conf_low=by.value("os_cox", None, term, "conf_low"),
            conf_high=by.value("os_cox", None, term, "conf_high"),
            ratio=True,
            p_value=None if own is None else own.value,
            test=None if own is None else test_name(own.method),
            primary_test=None if logrank is None else test_name(logrank.method),
            primary_p_value=None if logrank is None else logrank.value,
            outcome="Overall survival (death from any cause)",
            better="lower",
        ),
        *([rmst_row] if rmst_row is not None else []),
    ]
