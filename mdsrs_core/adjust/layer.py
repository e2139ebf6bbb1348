"""The adjustment layer of a run: the propensity model fitted once on the shared cohort.

:func:`attach` fits the ``[adjust]`` specification on the cohort (before any endpoint runs)
and stores the result as ``cohort.adjustment``; every endpoint that supports it reads the
weights or the matched set from there (:mod:`mdsrs_core.adjust.analyses`), so all adjusted
analyses use the same score. :func:`adjustment_records` turns the fit into the records of
the pseudo-endpoint ``"adjustment"`` (settings, patient flow, propensity model, balance,
effective sample sizes) that the report's balance section is formatted from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mdsrs_core.errors import FormulaError, ModelError, StudyError
from mdsrs_core.records import Record

from .spec import AdjustSpec

if TYPE_CHECKING:  # pragma: no cover
    from mdsrs_core.cohort import Cohort

__all__ = ["attach", "adjustment_records", "ENDPOINT"]

ENDPOINT = "adjustment"
NO_SCORE = "no propensity score (missing covariate)"
TRIMMED = "propensity score outside the trimming bounds"
UNMATCHED = "no match within the caliper"


def attach(cohort: Cohort, spec: AdjustSpec) -> Any:
    """Fit ``spec`` on ``cohort``, store it as ``cohort.adjustment`` and return it.

    A propensity model that cannot be fitted (unknown column, separation) is bad input:
    :class:`~mdsrs_core.errors.StudyError` naming ``[adjust]``.
    """
    from .matching import match
    from .score import propensity

    if len(cohort.arms) != 2:
        raise StudyError(
            f"[adjust] needs two arms; the cohort has {len(cohort.arms)}: {', '.join(cohort.arms)}."
        )
    adj: Any
    try:
        if spec.method == "match":
            adj = match(spec.formula, cohort, caliper=spec.caliper)
        else:
            adj = propensity(
                spec.formula, cohort, method=spec.method, stabilize=spec.stabilize, trim=spec.trim
            )
    except (FormulaError, ModelError) as exc:
        raise StudyError(f"[adjust] the propensity model cannot be fitted: {exc}") from None
    adj.spec = spec
    cohort.adjustment = adj
    return adj


def adjustment_records(adj: Any, cohort: Cohort) -> list[Record]:
    """The records of the adjustment (endpoint ``"adjustment"``)."""
    spec: AdjustSpec = adj.spec
    out: list[Record] = []

    def add(variable, stat, value, arm=None, level=None, label=None, method=None, n=None):
        out.append(Record(ENDPOINT, arm, variable, stat, value, level, label, method, n))

    add("setting", "formula", spec.formula, label="Propensity model")
    add("setting", "method", spec.method, label=spec.label)
    add("setting", "estimand", adj.estimand)
    if spec.trim is not None:
        add("setting", "trim", spec.trim)
    if spec.method == "match":
        add("setting", "caliper", spec.caliper, label="SDs of the logit of the score")
        add("setting", "caliper_width", adj.caliper_width, label="caliper on the logit scale")
    ref, treated = adj.levels
    data = cohort.data
    arm = data["arm"].astype("object")
    for a in (ref, treated):
        in_arm = arm == a
        add("flow", "n", int(in_arm.sum()), arm=a, label="Patients")
        add(
            "flow",
            "n_score",
            int((in_arm & adj.ps.notna()).sum()),
            arm=a,
            label="Patients with a propensity score",
        )
        missing = int((in_arm & adj.ps.isna()).sum())
        add("flow", "n_excluded", missing, arm=a, level=NO_SCORE)
        if spec.method == "match":
            add(
                "flow",
                "n_excluded",
                int((in_arm & adj.ps.notna() & adj.subclass.isna()).sum()),
                arm=a,
                level=UNMATCHED,
            )
            add(
                "flow",
                "n_adjusted",
                int((in_arm & adj.subclass.notna()).sum()),
                arm=a,
                label="Patients in the matched set",
            )
        else:
            trimmed = int(in_arm.loc[adj.trimmed].sum()) if len(adj.trimmed) else 0
            if spec.trim is not None:
                add("flow", "n_excluded", trimmed, arm=a, level=TRIMMED)
            add(
                "flow",
                "n_adjusted",
                int((in_arm & adj.weights.notna()).sum()),
                arm=a,
                label="Patients with a weight",
            )
    if spec.method == "match":
        add("flow", "n_pairs", adj.n_pairs, label="Matched pairs")
    model = adj.model
    for _, row in model.tidy().iterrows():
        for stat in ("estimate", "std_error", "p_value"):
            add(
                "ps_model",
                stat,
                float(row[stat]),
                level=str(row["term"]),
                method="glm(binomial), Wald",
            )
    bal = adj.balance()
    method = (
        "cobalt conventions: SD of the unadjusted sample ("
        + ("treated arm" if adj.estimand == "ATT" else "pooled")
        + "), binary covariates standardised"
    )
    for _, row in bal.iterrows():
        for stat in (
            "smd_before",
            "smd_after",
            "variance_ratio_before",
            "variance_ratio_after",
            "mean_treated_before",
            "mean_reference_before",
            "mean_treated_after",
            "mean_reference_after",
        ):
            add("balance", stat, float(row[stat]), level=str(row["variable"]), method=method)
        add("balance", "type", str(row["type"]), level=str(row["variable"]))
        add(
            "balance",
            "imbalanced",
            bool(row["imbalanced"]),
            level=str(row["variable"]),
            method="|SMD| > 0.1 after adjustment",
        )
    for _, row in adj.ess().iterrows():
        add("ess", "n", int(row["n"]), arm=str(row["arm"]))
        add(
            "ess",
            "ess_after",
            float(row["ess_after"]),
            arm=str(row["arm"]),
            method="Kish (sum w)^2 / sum w^2",
        )
    return out
