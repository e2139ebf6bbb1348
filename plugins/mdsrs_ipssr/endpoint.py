"""The ``ipssr`` endpoint: the IPSS-R prognostic score before and after treatment, by arm.

Patients analysed: those with an IPSS-R score both before and after treatment (the derived
``ipssr_base_score`` and ``ipssr_post_score``); every other patient is excluded with the
components that were missing. Reported:

* per arm, the IPSS-R risk-category distribution before and after treatment (n, %) and the
  scores' n, mean, SD, median, quartiles (R ``quantile(type = 2)``), min, max;
* per arm, the shift table (category before x category after) and how many patients
  improved, stayed or worsened by at least one category;
* between arms: the post-treatment score by ANCOVA on the baseline score (formula key
  ``score``, R ``lm``), by the Wilcoxon rank-sum test (R ``wilcox.test``), and the
  post-treatment category by proportional-odds models (keys ``category`` and
  ``category_adjusted``, R ``ordinal::clm``; cumulative odds ratios with Wald intervals).

Without the post-treatment components the endpoint is skipped: the baseline IPSS-R is
then reported in Table 1 by the ``baseline`` endpoint.
"""

from __future__ import annotations

from mdsrs_core import Endpoint

#: The IPSS-R components at each time point (canonical names).
COMPONENTS = {
    t: (f"hgb_{t}", f"plt_{t}", f"anc_{t}", f"bm_blast_{t}", f"cyto_{t}") for t in ("base", "post")
}
#: The derived variables the analysis reads.
SCORES = ("ipssr_base_score", "ipssr_base_category", "ipssr_post_score", "ipssr_post_category")


class Ipssr(Endpoint):
    name = "ipssr"
    title = "IPSS-R prognostic score before and after treatment"
    requires = SCORES
    formulas = {
        # ANCOVA: post-treatment score, adjusted for the baseline score (R lm)
        "score": "ipssr_post_score ~ arm + ipssr_base_score",
        # proportional-odds model of the post-treatment category (R ordinal::clm)
        "category": "ipssr_post_category ~ arm",
        # the same, adjusted for the baseline score
        "category_adjusted": "ipssr_post_category ~ arm + ipssr_base_score",
    }
    options = {}

    def skip_reason(self, cohort, config=None):
        missing = cohort.missing(*SCORES)
        if not missing:
            return None
        absent = {t: cohort.missing(*cols) for t, cols in COMPONENTS.items()}
        if absent["base"] or absent["post"]:
            parts = []
            if absent["base"]:
                parts.append(f"{', '.join(absent['base'])} (IPSS-R components before treatment)")
            if absent["post"]:
                parts.append(f"{', '.join(absent['post'])} (IPSS-R components after treatment)")
            reason = f"needs {'; '.join(parts)}, not in the data"
            if not absent["base"]:
                reason += "; the IPSS-R before treatment is reported in Table 1 (baseline)"
            return reason
        return (
            f"the IPSS-R scores were not derived ({', '.join(missing)} absent); see the "
            "cohort notes"
        )

    def analyze(self, cohort, config):
        from .compute import analyze_ipssr

        return analyze_ipssr(self.new_result(), cohort, config)

    def tables(self, records):
        from .table import ipssr_tables

        return ipssr_tables(records)

    def summary(self, records):
        from mdsrs_core.adjust.summary import with_adjusted

        from .summary import ipssr_summary

        outcomes = {"ipssr_post_score": ("IPSS-R score after treatment", "lower")}
        return with_adjusted(ipssr_summary(records), records, "ipssr", outcomes)

    def figures(self, records, data):
        from .figures import ipssr_figures

        return ipssr_figures(records, data)

    def calculate(self, frame, columns=None, *, source=None, first_row=1):
        """The IPSS-R calculator behind ``mdsrs ipssr``: ``frame`` with the scores and
        categories appended (see :func:`mdsrs_ipssr.calculator.calculate`)."""
        from .calculator import calculate

        return calculate(frame, columns, source=source, first_row=first_row)
