"""The ``aml`` rows of the report's summary table, formatted from records only."""

from __future__ import annotations

from mdsrs_core.binary_outcome import summary_row
from mdsrs_core.endpoint import SummaryRow
from mdsrs_core.records import RecordIndex
from mdsrs_core.report.formatting import fmt_pct
from mdsrs_core.report.naming import test_name


def aml_summary(records) -> list[SummaryRow]:
    """The crude transformation rate per arm (odds ratio with its Wald test; primary test:
    the one gtsummary's rule chose) and the cumulative incidence at the last landmark
    (Fine-Gray subdistribution hazard ratio with its Wald test; primary test: Gray's)."""
    by = RecordIndex(records)
    arms = list(
        dict.fromkeys(
            r.arm for r in records if r.variable == "aml" and r.stat == "N" and r.arm is not None
        )
    )
    if len(arms) != 2:
        return []
    term = f"arm[T.{arms[1]}]"
    rows = []
    crude = summary_row(
        records,
        "aml",
        endpoint="aml",
        measure="Transformation to AML, n/N (%)",
        outcome_label="Transformation to AML (crude)",
        better="lower",
    )
    if crude is not None:
        rows.append(crude)
    levels = {
        r.level
        for r in records
        if r.variable == "aml_cif" and r.arm is not None and r.stat == "estimate"
    }
    if not levels:
        return rows
    last = max(levels, key=float)
    gray = by.get("aml_cif", None, "gray_test", "p_value")
    shr = by.get("aml_subdistribution", None, term, "estimate")
    own = by.get("aml_subdistribution", None, term, "p_value")
    rows.append(
        SummaryRow(
            "aml",
            f"Cumulative incidence of AML at {last} months",
            {a: fmt_pct(by.value("aml_cif", a, last, "estimate")) for a in arms},
            effect="Subdistribution hazard ratio (Fine-Gray)" if shr is not None else None,
            estimate=None if shr is None else shr.value,
            conf_low=by.value("aml_subdistribution", None, term, "conf_low"),
            conf_high=by.value("aml_subdistribution", None, term, "conf_high"),
            ratio=True,
            p_value=None if own is None else own.value,
            test=None if own is None else test_name(own.method),
            primary_test=None if gray is None else test_name(gray.method),
            primary_p_value=None if gray is None else gray.value,
            outcome="Transformation to AML (competing risks)",
            better="lower",
        )
    )
    return rows
