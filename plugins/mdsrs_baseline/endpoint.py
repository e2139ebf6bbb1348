"""The ``baseline`` endpoint: Table 1, as gtsummary's ``tbl_summary(by = arm) |> add_p()``.

Per arm and overall: n (%) of each level for categorical variables, median [Q1, Q3] and
mean (SD) for continuous ones, and missing counts. Between arms: the test gtsummary's
``add_p()`` chooses (Wilcoxon rank-sum for continuous; Pearson's chi-square without
continuity correction, or Fisher's exact test when an expected count is below 5, for
categorical), named per row, and the standardized mean difference (Yang & Dalton 2012).
"""

from __future__ import annotations

from mdsrs_core import Endpoint

#: Canonical variables describing patients before treatment, in Table 1 order.
BASELINE_VARIABLES = (
    "age",
    "sex",
    "hgb_base",
    "plt_base",
    "anc_base",
    "bm_blast_base",
    "cyto_base",
    "ipssr_base_score",
    "ipssr_base_category",
)


class Baseline(Endpoint):
    name = "baseline"
    title = "Baseline characteristics"
    requires = ()
    options = {
        # None (or "auto"): the canonical baseline variables present, then the data's other
        # columns (not outcomes, identifiers or dates); or a list of variable names.
        "variables": None,
        # numeric variables with fewer distinct values than this are summarised as
        # categorical, as gtsummary does (its threshold is 10)
        "categorical_below": 10,
        # Table 1's summary of continuous variables: "median" (median [Q1, Q3], gtsummary's
        # default) or "mean" (mean (SD)); ``mean`` lists variables shown as mean (SD) anyway
        "statistic": "median",
        "mean": [],
    }

    def analyze(self, cohort, config):
        from .compute import analyze_baseline

        return analyze_baseline(self.new_result(), cohort, config)

    def tables(self, records):
        from .table import table_one

        return {"Table 1": table_one(records)}
