"""The report's section on the propensity-score adjustment, formatted from the run's records.

Balance table (SMD before/after, variance ratios, flagged |SMD| > 0.1 after adjustment),
effective sample size and patient flow per arm, a love plot, the propensity-score overlap by
arm, the adjusted effects of every endpoint with their E-values, and the weighted
Kaplan-Meier curves of overall survival. Numbers come from records (endpoint
``"adjustment"`` and the endpoints' ``adjusted_*`` records); the figures of the score's
distribution and of the weighted curves are drawn from the run's figure data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mdsrs_core.records import RecordIndex

from .balance import SMD_THRESHOLD
from .layer import ENDPOINT, NO_SCORE, TRIMMED, UNMATCHED

if TYPE_CHECKING:  # pragma: no cover
    from mdsrs_core.report.document import Section
    from mdsrs_core.runner import RunResult

__all__ = ["adjustment_section", "love_plot", "overlap_plot", "EFFECT_NAMES"]

EFFECT_NAMES = {
    "odds_ratio": "Odds ratio",
    "hazard_ratio": "Hazard ratio",
    "mean_difference": "Difference in means",
    "cumulative_odds_ratio": "Cumulative odds ratio",
}
TITLE = "Propensity-score adjustment"


def _f(value: Any, digits: int = 2) -> str:
    from mdsrs_core.report.formatting import fmt_num

    return fmt_num(value, digits)


def adjustment_section(run: RunResult) -> Section | None:
    """The section, or ``None`` when the run was not adjusted."""
    from mdsrs_core.report.document import Figure, Note, Paragraph, Section, Table
    from mdsrs_core.report.formatting import fmt_p

    recs = [r for r in run.records if r.endpoint == ENDPOINT]
    if not recs:
        return None
    idx = RecordIndex(recs)
    method = idx.get("setting", None, None, "method")
    label = ((method.label if method else "") or "").removeprefix("adjusted: ")
    estimand = idx.value("setting", None, None, "estimand")
    formula = idx.value("setting", None, None, "formula")
    arms = list(run.cohort.arms)
    ref, treated = arms[0], arms[1]
    section = Section(TITLE, id="adjustment")
    denominator = "the treated arm's SD" if estimand == "ATT" else "the pooled SD of both arms"
    section.add(
        Paragraph(
            f"Propensity score: logistic regression {formula} (probability of {treated}). "
            f"Adjustment: {label}; estimand {estimand}. Balance is the standardised mean "
            f"difference ({treated} minus {ref}) over {denominator} of the unadjusted sample "
            f"(cobalt's conventions; binary covariates standardised too) and the variance "
            f"ratio of continuous covariates; |SMD| > {SMD_THRESHOLD:g} after adjustment is "
            "flagged. Each endpoint's adjusted analysis is reported beside its unadjusted one "
            "in the summary table and below, with design-based (sandwich) standard errors."
        )
    )
    # ---- flow and effective sample size
    rows = []
    for a in arms:
        excluded = [
            f"{idx.value('flow', a, reason, 'n_excluded')} {short}"
            for reason, short in (
                (NO_SCORE, "no score"),
                (TRIMMED, "trimmed"),
                (UNMATCHED, "unmatched"),
            )
            if idx.value("flow", a, reason, "n_excluded")
        ]
        rows.append(
            [
                a,
                str(idx.value("flow", a, None, "n")),
                str(idx.value("flow", a, None, "n_score")),
                ", ".join(excluded) or "0",
                str(idx.value("flow", a, None, "n_adjusted")),
                _f(idx.value("ess", a, None, "ess_after"), 1),
            ]
        )
    notes = ["ESS: Kish's effective sample size (sum w)^2 / sum w^2 of the weights."]
    pairs = idx.value("flow", None, None, "n_pairs")
    if pairs is not None:
        notes.append(f"{pairs} matched pairs (1:1, without replacement).")
    section.add(
        Table(
            "Patients in the adjusted analysis",
            ["Arm", "Patients", "With a score", "Excluded", "Adjusted sample", "ESS"],
            rows,
            footnotes=notes,
        )
    )
    # ---- balance
    covs = idx.levels("balance", "smd_before")
    brows, flagged = [], []
    for v in covs:
        after = idx.value("balance", None, v, "smd_after")
        flag = bool(idx.value("balance", None, v, "imbalanced"))
        if flag:
            flagged.append(v)
        brows.append(
            [
                v,
                _f(idx.value("balance", None, v, "mean_treated_before")),
                _f(idx.value("balance", None, v, "mean_reference_before")),
                _f(idx.value("balance", None, v, "smd_before"), 3),
                _f(after, 3) + (" *" if flag else ""),
                _f(idx.value("balance", None, v, "variance_ratio_before")),
                _f(idx.value("balance", None, v, "variance_ratio_after")),
            ]
        )
    section.add(
        Table(
            "Covariate balance before and after adjustment",
            [
                "Covariate",
                f"Mean {treated}",
                f"Mean {ref}",
                "SMD before",
                "SMD after",
                "Variance ratio before",
                "Variance ratio after",
            ],
            [[c if c != "NA" else "" for c in r] for r in brows],
            footnotes=[
                f"Means before adjustment (a binary covariate: its proportion). * |SMD| > "
                f"{SMD_THRESHOLD:g} after adjustment. Variance ratios: continuous covariates."
            ],
        )
    )
    if flagged:
        section.add(
            Note(
                f"Imbalance remains after adjustment (|SMD| > {SMD_THRESHOLD:g}): "
                f"{', '.join(flagged)}. Adjusted estimates may still be confounded by these "
                "covariates; consider adding them to the outcome models or another method.",
                "warning",
            )
        )
    else:
        section.add(Paragraph(f"Every covariate has |SMD| <= {SMD_THRESHOLD:g} after adjustment."))
    section.add(
        Figure(
            "Covariate balance (love plot)",
            love_plot(idx, covs),
            caption="Absolute standardised mean differences before and after adjustment; "
            f"the dashed line marks {SMD_THRESHOLD:g}.",
        )
    )
    adj = getattr(run, "adjustment", None)
    if adj is not None:
        section.add(
            Figure(
                "Propensity-score overlap by arm",
                overlap_plot(adj, arms),
                caption=f"Distribution of the propensity score (probability of {treated}) "
                "in each arm, before adjustment.",
            )
        )
    # ---- adjusted effects, endpoint by endpoint
    erows = []
    for o in run.outcomes:
        if o.result is None:
            continue
        eidx = RecordIndex(o.result.records)
        for key in eidx:
            variable, arm, level, stat = key
            if not variable.startswith("adjusted_") or stat != "estimate" or arm is not None:
                continue
            r = eidx.get(variable, None, level, "estimate")
            if r is None:
                continue
            ev = eidx.value(variable, None, level, "evalue")
            evc = eidx.value(variable, None, level, "evalue_ci")
            erows.append(
                [
                    o.name,
                    (r.label or "").split(" (adjusted", 1)[0],
                    f"{_f(r.value)} ({_f(eidx.value(variable, None, level, 'conf_low'))} to "
                    f"{_f(eidx.value(variable, None, level, 'conf_high'))})",
                    fmt_p(eidx.value(variable, None, level, "p_value")),
                    "" if ev is None else f"{_f(ev)} ({_f(evc)})",
                    str(r.n or ""),
                ]
            )
        for note in o.result.notes:
            if "(adjusted:" in note and "not estimable" in note:
                section.add(Note(f"{o.name}: {note}", "warning"))
    if erows:
        section.add(
            Table(
                "Adjusted effects by endpoint",
                ["Endpoint", "Effect", "Estimate (95% CI)", "p", "E-value (CI limit)", "N"],
                erows,
                stub=2,
                footnotes=[
                    "Weighted (or matched) models with sandwich standard errors: svyglm for "
                    "odds ratios and differences in means, coxph(weights, robust = TRUE) for "
                    "hazard ratios; differences in survival at a landmark: weighted (matched: "
                    "pair-clustered) Kaplan-Meier, SE from the two arms' robust SEs. E-value "
                    "(VanderWeele & Ding 2017): the minimum strength of "
                    "association, on the risk-ratio scale, an unmeasured confounder would need "
                    "with both arm and outcome to explain the estimate away (the CI limit: to "
                    "move the interval to include 1); odds and hazard ratios of common outcomes "
                    "(>= 15%) converted to risk ratios first (sqrt(OR); (1 - 0.5^sqrt(HR)) / "
                    "(1 - 0.5^sqrt(1/HR)))."
                ],
            )
        )
    km = _adjusted_km(run)
    if km is not None:
        section.add(km)
    return section


def love_plot(idx: RecordIndex, covs: list[str]) -> Any:
    """Absolute SMD before (open) and after (filled) per covariate."""
    from mdsrs_core.report.style import GREY, PALETTE, figure_style, new_figure

    with figure_style():
        fig = new_figure(6.5, max(2.2, 0.32 * len(covs) + 1.2))
        ax = fig.add_subplot()
        y = list(range(len(covs)))[::-1]
        before = [abs(idx.value("balance", None, v, "smd_before") or 0.0) for v in covs]
        after = [abs(idx.value("balance", None, v, "smd_after") or 0.0) for v in covs]
        ax.scatter(before, y, facecolors="white", edgecolors=GREY, label="Before", zorder=3)
        ax.scatter(after, y, color=PALETTE[0], label="After", zorder=3)
        for yy, b, a in zip(y, before, after, strict=True):
            ax.plot([b, a], [yy, yy], color="#cccccc", linewidth=0.8, zorder=1)
        ax.axvline(SMD_THRESHOLD, color=GREY, linestyle="--", linewidth=0.8)
        ax.set_yticks(y, covs)
        ax.set_xlabel("Absolute standardised mean difference")
        ax.set_xlim(left=0)
        ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2)
    return fig


def overlap_plot(adj: Any, arms: list[str]) -> Any:
    """Histograms of the propensity score by arm (mirrored: treated above, reference below)."""
    import numpy as np

    from mdsrs_core.report.style import arm_colors, figure_style, new_figure

    colors = arm_colors(arms)
    ps = adj.ps.to_numpy()
    z = adj.treated.to_numpy()
    bins = np.linspace(0, 1, 26)
    with figure_style():
        fig = new_figure(6.5, 3.6)
        ax = fig.add_subplot()
        for value, arm, sign in ((1.0, arms[1], 1), (0.0, arms[0], -1)):
            x = ps[(z == value) & ~np.isnan(ps)]
            counts, edges = np.histogram(x, bins=bins)
            ax.bar(
                edges[:-1],
                sign * counts,
                width=np.diff(edges),
                align="edge",
                color=colors[arm],
                alpha=0.8,
                label=f"{arm} (n = {x.size})",
                edgecolor="white",
                linewidth=0.5,
            )
        ax.axhline(0, color="black", linewidth=0.6)
        ax.set_xlim(0, 1)
        ax.set_xlabel(f"Propensity score (probability of {arms[1]})")
        ax.set_ylabel("Patients")
        ticks = ax.get_yticks()
        ax.set_yticks(ticks, [f"{abs(int(t))}" for t in ticks])
        ax.legend(frameon=False, loc="upper right")
    return fig


def _adjusted_km(run: RunResult):
    from mdsrs_core.report.document import Figure
    from mdsrs_core.report.style import arm_colors, figure_style, new_figure

    try:
        outcome = run["os"]
    except KeyError:
        return None
    if outcome.result is None or "adjusted_km" not in outcome.result.figures:
        return None
    curve = outcome.result.figures["adjusted_km"]
    label = outcome.result.figures.get("adjusted_label", "adjusted")
    arms = list(run.cohort.arms)
    colors = arm_colors(arms)
    with figure_style():
        fig = new_figure(6.5, 4.2)
        ax = fig.add_subplot()
        for arm in arms:
            c = curve[curve["strata"] == arm]
            if c.empty:
                continue
            t = [0.0, *c["time"].tolist()]
            s = [1.0, *c["surv"].tolist()]
            ax.step(t, [100 * v for v in s], where="post", color=colors[arm], label=arm)
            lo = [1.0, *c["conf_low"].tolist()]
            hi = [1.0, *c["conf_high"].tolist()]
            ax.fill_between(
                t,
                [100 * v for v in lo],
                [100 * v for v in hi],
                step="post",
                color=colors[arm],
                alpha=0.12,
                linewidth=0,
            )
        ax.set_ylim(0, 102)
        ax.set_xlim(left=0)
        ax.set_xlabel("Months since start of treatment")
        ax.set_ylabel("Overall survival (%)")
        ax.legend(frameon=False, loc="lower left")
    return Figure(
        "Overall survival by arm, adjusted (weighted Kaplan-Meier)",
        fig,
        caption=f"{label[0].upper() + label[1:]}; shaded: pointwise 95% CI (robust SE).",
    )
