"""Example mdsrs plugin: change in hemoglobin from baseline, by arm.

Method: mean change (post - baseline) per arm with a one-sample t interval, and Welch's
two-sample t-test between arms (R: ``t.test(change ~ arm)``).
"""

from __future__ import annotations

from mdsrs_core import Endpoint, EndpointResult, hookimpl

__version__ = "1.0.0"


class HgbChange(Endpoint):
    name = "hgb_change"
    title = "Change in hemoglobin"
    requires = ("hgb_base", "hgb_post")
    options = {"conf_level": 0.95}

    def analyze(self, cohort, config) -> EndpointResult:
        from scipy import stats  # heavy imports inside analyze, never at module level

        result = self.new_result()
        data = cohort.data
        change = data["hgb_change"]
        missing = change.isna()
        result.exclude(
            data.loc[missing, "patient_id"],
            data.loc[missing, "arm"],
            "hemoglobin before or after treatment missing",
        )
        kept = data[~missing]
        result.analysed(kept["arm"].value_counts().to_dict())
        level = config.options["conf_level"]
        ci_label = f"{100 * level:g}% CI"
        groups = {}
        for arm, group in kept.groupby("arm", observed=True):
            x = group["hgb_change"]
            groups[arm] = x
            ci = stats.t.interval(level, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
            result.add("hgb_change", "mean", x.mean(), arm=arm, n=len(x), label="Mean change")
            result.add("hgb_change", "conf_low", ci[0], arm=arm, n=len(x), label=ci_label)
            result.add("hgb_change", "conf_high", ci[1], arm=arm, n=len(x), label=ci_label)
        ref, other = cohort.arms
        test = stats.ttest_ind(groups[other], groups[ref], equal_var=False)
        result.add(
            "hgb_change",
            "p_value",
            test.pvalue,
            method="Welch two-sample t-test",
            n=len(kept),
            label="Difference in mean change between arms",
        )
        return result

    def tables(self, records):
        import pandas as pd

        rows, ci_label = {}, "CI"
        for r in records:
            if r.variable == "hgb_change" and r.arm is not None:
                rows.setdefault(r.arm, {})[r.stat] = r.value
                ci_label = r.label if r.stat == "conf_low" else ci_label
        frame = pd.DataFrame(
            {
                arm: [f"{v['mean']:.2f} ({v['conf_low']:.2f} to {v['conf_high']:.2f})"]
                for arm, v in rows.items()
            },
            index=[f"Mean change, g/dL ({ci_label})"],
        )
        frame.index.name = "Hemoglobin"
        return {"Change from baseline": frame}


@hookimpl
def mdsrs_derive(cohort):
    if cohort.has("hgb_base", "hgb_post"):
        cohort.add_variable(
            "hgb_change",
            cohort.data["hgb_post"] - cohort.data["hgb_base"],
            label="Change in hemoglobin (g/dL)",
            source="hgb_change",
        )


@hookimpl
def mdsrs_register_endpoints(register):
    register(HgbChange())
