"""The ``response`` row of the report's summary table, formatted from records only."""

from __future__ import annotations

from mdsrs_core.endpoint import SummaryRow
from mdsrs_core.report.formatting import fmt_pct


def _value(by, *key):
    r = by.get(key)
    return None if r is None else r.value


def response_summary(records) -> list[SummaryRow]:
    """Responders n/N (%) per arm, the odds ratio (glm, Wald CI) and the p-value of the test
    gtsummary's rule chose."""
    by = {(r.variable, r.arm, r.level, r.stat): r for r in records}
    arms = [r.arm for r in records if r.variable == "responder" and r.stat == "N"
            and r.arm is not None]
    chosen = by.get(("responder", None, "chosen_test", "p_value"))
    if len(arms) != 2 or chosen is None:
        return []
    per_arm = {a: f"{_value(by, 'responder', a, None, 'n')}/{_value(by, 'responder', a, None, 'N')}"
                  f" ({fmt_pct(_value(by, 'responder', a, None, 'p'))})" for a in arms}
    label = by[("responder", arms[0], None, "N")].label or "Responder rate"
    term = f"arm[T.{arms[1]}]"
    estimate = _value(by, "responder", None, term, "estimate")
    return [SummaryRow(
        "response", f"{label}, n/N (%)", per_arm,
        effect="Odds ratio (logistic regression)" if estimate is not None else None,
        estimate=estimate, conf_low=_value(by, "responder", None, term, "conf_low"),
        conf_high=_value(by, "responder", None, term, "conf_high"), ratio=True,
        p_value=chosen.value, test=chosen.method)]
