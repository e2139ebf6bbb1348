"""The ``response`` row of the report's summary table, formatted from records only."""

from __future__ import annotations

from mdsrs_core.binary_outcome import summary_row
from mdsrs_core.records import RecordIndex


def response_summary(records) -> list:
    """Responders n/N (%) per arm, the odds ratio (glm, Wald CI) with its Wald p-value, and the
    primary test: the one gtsummary's rule chose (with the tests that disagree, when the
    conclusion depends on the test)."""
    index = RecordIndex(records)
    arms = index.arms("responder")
    if not arms:
        return []
    label = index.get("responder", arms[0], None, "N").label or "Responder rate"
    row = summary_row(
        records,
        "responder",
        endpoint="response",
        measure=f"{label}, n/N (%)",
        outcome_label="Response",
        better="higher",
    )
    return [] if row is None else [row]
