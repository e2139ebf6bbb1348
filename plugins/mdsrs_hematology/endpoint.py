"""The ``hematology`` endpoint: HGB, PLT and ANC before and after treatment, by arm.

Per lab with both columns present (``hgb_base``/``hgb_post``, ``plt_*``, ``anc_*``), on the
patients with both values: before/after summaries per arm; within-arm change with the paired
t-test (R ``t.test(post, base, paired = TRUE)``) and the Wilcoxon signed-rank test (R
``wilcox.test(post, base, paired = TRUE)``); between arms, ANCOVA of the post value on arm
and baseline (R ``lm`` + ``confint``) and Welch's t-test on the change (R
``t.test(change ~ arm)``). Lab values in long form (``long_labs`` option) are analysed with a
random-intercept linear mixed model ``value ~ arm * visit`` (R ``lme4::lmer``).
"""

from __future__ import annotations

from mdsrs_core import Endpoint

#: lab key -> (short name, label, unit)
LABS = {
    "hgb": ("HGB", "Hemoglobin", "g/dL"),
    "plt": ("PLT", "Platelets", "×10⁹/L"),
    "anc": ("ANC", "Absolute neutrophil count", "×10⁹/L"),
}


class Hematology(Endpoint):
    name = "hematology"
    title = "Blood counts before and after treatment (HGB, PLT, ANC)"
    requires = ()
    formulas = {
        "hgb": "hgb_post ~ arm + hgb_base",
        "plt": "plt_post ~ arm + plt_base",
        "anc": "anc_post ~ arm + anc_base",
        # the linear mixed model for lab values in long form (random intercept per patient)
        "long": "value ~ arm * visit",
    }
    options = {
        # path to a long table patient_id, visit, test, value (csv/tsv/xlsx/parquet),
        # absolute or relative to the current directory; "" for none
        "long_labs": "",
    }

    def skip_reason(self, cohort, config):
        if any(cohort.has(f"{lab}_base", f"{lab}_post") for lab in LABS):
            return None
        if str(config.options.get("long_labs") or "").strip():
            return None
        return (
            "needs a lab measured before and after treatment: hgb_base and hgb_post, "
            "plt_base and plt_post, or anc_base and anc_post, not in the data"
        )

    def analyze(self, cohort, config):
        from .compute import analyze_hematology

        return analyze_hematology(self.new_result(), cohort, config)

    def tables(self, records):
        from .table import hematology_tables

        return hematology_tables(records)

    def summary(self, records):
        from mdsrs_core.adjust.summary import with_adjusted

        from .summary import hematology_summary

        outcomes = {
            f"{lab}_post": (f"{short} after treatment", "higher")
            for lab, (short, _l, _u) in LABS.items()
        }
        return with_adjusted(hematology_summary(records), records, "hematology", outcomes)

    def figures(self, records, data):
        from .figures import hematology_figures

        return hematology_figures(records, data)
