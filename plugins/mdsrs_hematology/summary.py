"""The ``hematology`` rows of the report's summary table (one per lab), from records only."""

from __future__ import annotations

from mdsrs_core.endpoint import SummaryRow
from mdsrs_core.records import RecordIndex
from mdsrs_core.report.formatting import fmt_num
from mdsrs_core.report.naming import display_unit, test_name

from .endpoint import LABS


def _digits(value) -> int:
    v = abs(value) if isinstance(value, (int, float)) and value == value else 0
    return 0 if v >= 100 else 1 if v >= 3 else 2


def hematology_summary(records) -> list[SummaryRow]:
    """Per lab: the value after treatment per arm (mean (SD) / median) and the ANCOVA
    difference adjusted for the value before treatment, with its interval and p-value."""
    by = RecordIndex(records)
    rows = []
    for lab, (short, _label, unit) in LABS.items():
        if (lab, None, None, "n_analysed") not in by:
            continue
        post = f"{lab}_post"
        arms = list(
            dict.fromkeys(
                r.arm
                for r in records
                if r.variable == lab and r.stat == "n_analysed" and r.arm is not None
            )
        )
        d = _digits(by.value(f"{lab}_base", arms[0], None, "median") if arms else 0)
        per_arm = {
            a: f"{fmt_num(by.value(post, a, None, 'mean'), d)} "
            f"({fmt_num(by.value(post, a, None, 'sd'), d)}) / "
            f"{fmt_num(by.value(post, a, None, 'median'), d)}"
            for a in arms
        }
        term = next(
            (
                r
                for r in records
                if r.variable == lab
                and r.arm is None
                and r.stat == "estimate"
                and (r.level or "").startswith("arm[T.")
                and ":" not in r.level
            ),
            None,
        )
        measure = f"{short} after treatment ({display_unit(unit)}), mean (SD) / median"
        if term is None:
            rows.append(SummaryRow("hematology", measure, per_arm))
            continue
        key = (lab, None, term.level)
        rows.append(
            SummaryRow(
                "hematology",
                measure,
                per_arm,
                effect="Difference adjusted for baseline",
                estimate=term.value,
                conf_low=by.value(*key, "conf_low"),
                conf_high=by.value(*key, "conf_high"),
                p_value=by.value(*key, "p_value"),
                test=test_name(term.method or "ANCOVA"),
                outcome=f"{short} after treatment ({display_unit(unit)})",
                better="higher",
            )
        )
    return rows
