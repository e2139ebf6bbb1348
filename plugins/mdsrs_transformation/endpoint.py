"""The ``aml`` endpoint: transformation to AML, with death without AML as a competing risk.

* the crude transformation rate by arm with its exact interval, the difference, the odds
  ratio, the test gtsummary's rule chooses and the sensitivity panel
  (:func:`mdsrs_core.binary_outcome.compare_binary`, formula key ``crude``);
* the cumulative incidence of AML (and of death without AML) at the landmark times by arm:
  Aalen-Johansen estimator with cmprsk's variance and a log(-log) interval, and Gray's
  test (:func:`mdsrs_core.models.cuminc.cuminc`, R ``cmprsk::cuminc``);
* the cause-specific hazard ratio of AML (``survival::coxph``, deaths without AML
  censored; formula key ``cause_specific``);
* the Fine-Gray subdistribution hazard ratio (:func:`mdsrs_core.models.crr.crr`, R
  ``cmprsk::crr``; formula key ``fine_gray``).

Competing-risk status per patient (derived here as ``aml_cr_status`` / ``aml_cr_time``):
1 = AML at ``aml_months``; 2 = death without AML (``death = 1``, ``aml = 0``) at
``os_months``; 0 = alive without AML, censored at ``os_months``.
"""

from __future__ import annotations

from mdsrs_core import Endpoint

#: the variables derived for the competing-risks analyses (available to the formulas)
CR_TIME = "aml_cr_time"
CR_STATUS = "aml_cr_status"


class Transformation(Endpoint):
    name = "aml"
    title = "Transformation to AML"
    requires = ("aml", "aml_months", "death", "os_months")
    formulas = {
        "crude": "aml ~ arm",
        "cause_specific": "Surv(aml_months, aml) ~ arm",
        "fine_gray": f"Surv({CR_TIME}, {CR_STATUS}) ~ arm",
    }
    options = {
        # landmark times (months) for the cumulative incidence by arm
        "landmarks": [12, 36, 60],
        # interval of each arm's crude rate: "clopper-pearson" (binom.test) or "wilson"
        "ci_method": "clopper-pearson",
        # level of every interval of the endpoint
        "conf_level": 0.95,
        # Gray's test weight (1 - F(t-))^rho; 0 is cmprsk's default
        "rho": 0,
    }

    def analyze(self, cohort, config):
        from .compute import analyze_aml

        return analyze_aml(self.new_result(), cohort, config)

    def tables(self, records):
        from .table import aml_tables

        return aml_tables(records)

    def summary(self, records):
        from mdsrs_core.adjust.summary import with_adjusted

        from .summary import aml_summary

        outcomes = {"aml": ("Transformation to AML (crude)", "lower")}
        return with_adjusted(aml_summary(records), records, "aml", outcomes)

    def figures(self, records, data):
        from .figures import aml_figures

        return aml_figures(records, data)
