"""The ``adverse_events`` endpoint: worst CTCAE grade per patient compared between arms.

By arm: the worst-grade distribution 0-5, grade groups (0, 1-2, 3-4, 5), grade >= 3 incidence
and, with the long adverse-event table, the incidence of each CTCAE term (any grade, grade
>= 3) over the patients analysed in the arm. Between arms: the proportional-odds model
``clm(ae_max_grade ~ arm)`` (cumulative odds ratio, Wald CI) with R's ``nominal_test``
likelihood-ratio check of proportional odds, the Wilcoxon rank-sum test of the worst grade
and Fisher's exact test of grade >= 3 incidence.
"""

from __future__ import annotations

from mdsrs_core import Endpoint


class AdverseEvents(Endpoint):
    name = "adverse_events"
    title = "Adverse events (CTCAE grades)"
    requires = ()
    # the outcome "ae_max_grade" is the worst grade analysed: the column of the data, or the
    # worst grade from the adverse-event table (ae_worst_grade) when the data have none
    formulas = {"model": "ae_max_grade ~ arm"}
    options: dict = {}

    def skip_reason(self, cohort, config):
        if "ae_max_grade" in cohort.data.columns or cohort.adverse_events is not None:
            return None
        return "needs ae_max_grade or an adverse-event table (patient_id, term, grade), not given"

    def analyze(self, cohort, config):
        from .compute import analyze_adverse_events

        return analyze_adverse_events(self.new_result(), cohort, config)

    def tables(self, records):
        from .table import adverse_event_tables

        return adverse_event_tables(records)

    def summary(self, records):
        from mdsrs_core.adjust.summary import with_adjusted

        from .summary import adverse_events_summary

        outcomes = {
            "ae_max_grade": ("Worst adverse-event grade", "lower"),
            "ae_grade3plus": ("Adverse event of grade ≥ 3", "lower"),
        }
        return with_adjusted(adverse_events_summary(records), records, "adverse_events", outcomes)

    def figures(self, records, data):
        from .figures import adverse_event_figures

        return adverse_event_figures(records, data)
