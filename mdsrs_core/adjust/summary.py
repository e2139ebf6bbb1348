"""Summary-table rows of the adjusted analyses, placed beside each endpoint's unadjusted rows.

An endpoint's ``summary()`` returns ``with_adjusted(rows, records, ...)``: its own rows, each
followed by the adjusted row of the same outcome (from the ``adjusted_*`` records written
by :mod:`mdsrs_core.adjust.analyses`); without ``[adjust]`` the rows are returned as they
are. Formatting only.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from mdsrs_core.records import RecordIndex

__all__ = ["adjusted_rows", "with_adjusted"]

_TESTS = {
    "odds_ratio": "Wald t test (svyglm, sandwich SE)",
    "mean_difference": "Wald t test (svyglm, sandwich SE)",
    "hazard_ratio": "Robust Wald test (coxph)",
    "cumulative_odds_ratio": "Wald z test (weighted clm, sandwich SE)",
}


def adjusted_rows(
    records, endpoint: str, outcomes: dict[str, tuple[str, str | None]]
) -> dict[str, Any]:
    """``{variable: SummaryRow}`` for the adjusted effects of ``outcomes``
    (``{variable: (outcome label, better)}``, ``variable`` without the ``adjusted_`` prefix)."""
    from mdsrs_core.endpoint import SummaryRow
    from mdsrs_core.report.formatting import fmt_pct

    idx = RecordIndex(records)
    out: dict[str, Any] = {}
    for variable, (outcome, better) in outcomes.items():
        var = f"adjusted_{variable}"
        for level in ("odds_ratio", "hazard_ratio", "mean_difference", "cumulative_odds_ratio"):
            est = idx.get(var, None, level, "estimate")
            if est is None:
                continue
            adj_label = _short((est.method or "").split(";", 1)[0])
            arms = idx.arms(var, "n_analysed")
            if level == "hazard_ratio":
                times = [t for t in idx.levels(var, "surv", arms[0] if arms else None)]
                last = max(times, key=float) if times else None
                per_arm = (
                    {a: fmt_pct(idx.value(var, a, last, "surv")) for a in arms} if last else {}
                )
                measure = f"{outcome} at {last} months"
            elif level == "cumulative_odds_ratio":
                per_arm = {a: "" for a in arms}
                measure = f"{outcome}, proportional odds"
            elif level == "odds_ratio":
                per_arm = {a: fmt_pct(idx.value(var, a, None, "p")) for a in arms}
                measure = f"{outcome}, weighted %"
            else:
                means = {a: idx.value(var, a, None, "mean") for a in arms}
                size = min((abs(v) for v in means.values() if v is not None), default=0.0)
                per_arm = {a: _mean(v, size) for a, v in means.items()}
                measure = f"{outcome}, weighted mean"
            lr = idx.get(var, None, "logrank", "p_value")
            out[variable] = SummaryRow(
                endpoint,
                f"{measure}, adjusted ({adj_label})",
                per_arm,
                effect=f"{_name(level)}, adjusted ({adj_label})",
                estimate=est.value,
                conf_low=idx.value(var, None, level, "conf_low"),
                conf_high=idx.value(var, None, level, "conf_high"),
                ratio=level != "mean_difference",
                p_value=idx.value(var, None, level, "p_value"),
                test=_TESTS[level],
                primary_test=None if lr is None else "Weighted log-rank (svylogrank)",
                primary_p_value=None if lr is None else lr.value,
                outcome=f"{outcome} (adjusted)",
                better=better,
            )
    return out


def _mean(value: Any, size: float) -> str:
    """A weighted mean with the decimals the summary table gives means of ``size`` (the
    smaller of the arms' means, so both arms get the same decimals)."""
    from mdsrs_core.report.formatting import fmt_num

    if value is None:
        return "NA"
    return fmt_num(value, 0 if size >= 100 else 1 if size >= 3 else 2)


def _short(label: str) -> str:
    """``"IPTW"``, ``"ATT weights"``, ``"overlap weights"``, ``"PS matching"``."""
    for key, short in (
        ("IPTW", "IPTW"),
        ("ATT weights", "ATT weights"),
        ("overlap", "overlap weights"),
        ("matching", "PS matching"),
    ):
        if key in label:
            return short
    return label.removeprefix("adjusted: ")


def _name(level: str) -> str:
    return {
        "odds_ratio": "Odds ratio",
        "hazard_ratio": "Hazard ratio",
        "cumulative_odds_ratio": "Cumulative odds ratio of a worse grade",
    }.get(level, "Difference in means")


def with_adjusted(rows: list, records, endpoint: str, outcomes: dict) -> list:
    """``rows`` with the adjusted row of each outcome after the last row of the endpoint
    about it (its ``outcome`` starts with the outcome label; else its ``measure`` contains
    it), or at the end."""
    extra = adjusted_rows(records, endpoint, outcomes)
    if not extra:
        return rows
    out = list(rows)
    for variable, row in extra.items():
        label = outcomes[variable][0]
        plain = [i for i, r in enumerate(out) if ", adjusted (" not in r.measure]
        at = [i for i in plain if (out[i].outcome or "").lower().startswith(label.lower())]
        if not at:
            at = [i for i in plain if label.lower() in out[i].measure.lower()]
        if at and out[at[-1]].outcome:
            # the same outcome label as the unadjusted row: the forest plot pairs them
            row = dataclasses.replace(row, outcome=out[at[-1]].outcome)
        out.insert(at[-1] + 1 if at else len(out), row)
    return out
