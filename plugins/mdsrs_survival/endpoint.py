"""The ``os`` endpoint: overall survival by arm, as R's survival package reports it.

Kaplan-Meier curves per arm (``survfit``) with survival at landmark times, medians,
events and numbers at risk; the log-rank test (``survdiff``); the Cox model (``coxph``)
with the hazard ratio, its Wald interval and the likelihood-ratio, Wald and score tests;
the proportional-hazards check of ``cox.zph(fit, transform = "km", terms = TRUE)``; and
the difference in Kaplan-Meier survival between arms at each landmark (Wald, Greenwood
variances); the restricted mean survival time by arm to the last landmark with its difference
and ratio (survRM2's method), and optionally a parametric (survreg) fit per arm.
See docs/endpoints/os.md.
"""

from __future__ import annotations

from mdsrs_core import Endpoint
from mdsrs_core.bounds import Range


class OverallSurvival(Endpoint):
    name = "os"
    title = "Overall survival"
    requires = ("os_months", "death")
    formulas = {
        # Cox model; covariates and strata(x) terms through the formula. The log-rank test
        # uses Surv(os_months, death) ~ arm plus this formula's strata() terms.
        "cox": "Surv(os_months, death) ~ arm",
    }
    options = {
        # times (months) at which Kaplan-Meier survival is reported and compared
        "landmarks": [12, 36, 60],
        # level of every interval (KM pointwise, hazard ratio, landmark differences)
        "conf_level": 0.95,
        # "efron" (R's default) or "breslow"
        "ties": "efron",
        # spacing (months) of the numbers-at-risk grid under the KM figure
        "risk_table_every": 12,
        # does response prolong survival? landmark (months) of the landmark analysis beside
        # the time-dependent (Mantel-Byar) one; 0 leaves the landmark analysis out
        "response_landmark": 6,
        # restricted mean survival time up to this time (months); None: the last landmark
        "rmst_tau": None,
        # a survreg distribution ("weibull", "exponential", "lognormal", "loglogistic") fitted
        # per arm and drawn over the KM curves as an extra figure; None: no such figure
        "parametric": None,
    }

    option_ranges = {"response_landmark": Range(0, 1200, unit="months")}

    def analyze(self, cohort, config):
        from .compute import analyze_os

        return analyze_os(self.new_result(), cohort, config)

    def tables(self, records):
        from .table import os_tables

        return os_tables(records)

    def summary(self, records):
        from mdsrs_core.adjust.summary import with_adjusted

        from .summary import os_summary

        outcomes = {"os": ("Overall survival", "lower")}
        return with_adjusted(os_summary(records), records, "os", outcomes)

    def figures(self, records, data):
        from .figures import os_figures

        return os_figures(records, data)
