"""The ``response`` endpoint: IWG 2006 response categories and the responder rate by arm.

Per arm: n (%) in each category (CR, PR, mCR, HI, SD, PD); the responder rate (CR, PR,
mCR or HI) with its interval, the difference and odds ratio between arms, the test
gtsummary's ``add_p()`` chooses and the sensitivity panel (Fisher's exact test, Yates'
and Pearson's chi-square, likelihood-ratio test) with the conclusion at ``alpha``
(:func:`mdsrs_core.binary_outcome.compare_binary`). Without a ``response`` column, the
responder is hematologic improvement derived from the labs (IWG 2006 HI-E, HI-P, HI-N).
"""

from __future__ import annotations

from mdsrs_core import Endpoint

#: (base, post) lab pairs from which hematologic improvement can be derived
LAB_PAIRS = (("hgb_base", "hgb_post"), ("plt_base", "plt_post"), ("anc_base", "anc_post"))


class Response(Endpoint):
    name = "response"
    title = "Response rate"
    requires = ("response",)
    formulas = {"responder": "responder ~ arm"}
    options = {
        # interval for each arm's responder rate: "clopper-pearson" (binom.test) or
        # "wilson" (prop.test, correct = FALSE)
        "ci_method": "clopper-pearson",
        "conf_level": 0.95,
    }

    def skip_reason(self, cohort, config):
        if cohort.has("response"):
            return None
        if any(cohort.has(base, post) for base, post in LAB_PAIRS):
            return None
        return (
            "needs response, or before/after labs (hgb_base/hgb_post, plt_base/plt_post "
            "or anc_base/anc_post) to derive hematologic improvement, not in the data"
        )

    def analyze(self, cohort, config):
        from .compute import analyze_response

        return analyze_response(self.new_result(), cohort, config)

    def tables(self, records):
        from .table import response_tables

        return response_tables(records)

    def summary(self, records):
        from mdsrs_core.adjust.summary import with_adjusted

        from .summary import response_summary

        outcomes = {"responder": ("Response", "higher")}
        return with_adjusted(response_summary(records), records, "response", outcomes)
