"""Computing the ``ipssr`` endpoint's records (no formatting here).

Population: patients with an IPSS-R score before and after treatment; the others are
excluded with the components that were missing. Records (variable / level / stat):

* ``ipssr_base_score``, ``ipssr_post_score`` per arm: n, mean, sd, median, p25, p75 (R
  ``quantile(type = 2)``), min, max.
* ``ipssr_base_category``, ``ipssr_post_category`` per arm: ``N`` and, per category
  (level), ``n`` and ``p`` (proportion of N).
* ``ipssr_shift`` per arm, level ``"<before> -> <after>"``: ``n`` for each of the 25 pairs.
* ``ipssr_category_change`` per arm, level improved / unchanged / worsened: ``n``, ``p``.
* ``ipssr_post_score``, level = term: the ANCOVA (``lm``) coefficients with t-based
  intervals, and ``df`` (residual degrees of freedom).
* ``ipssr_post_score``, no level: ``statistic`` (W) and ``p_value`` of ``wilcox.test``.
* ``ipssr_post_category``, level = term: each proportional-odds model's location
  coefficients as cumulative odds ratios (``estimate``, ``conf_low``, ``conf_high``) with
  ``std_error`` and ``statistic`` on the log-odds scale (as ``broom::tidy(exponentiate =
  TRUE)``), and ``p_value`` (Wald z).

Every model record's ``method`` names the model and its formula, so the two ordinal models
are told apart.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mdsrs_core.errors import ModelError
from mdsrs_core.frames import analysis_columns, select_rows, shared_columns
from mdsrs_core.stats.describe import summarize_continuous
from mdsrs_core.stats.ranks import wilcox_test

from .derive import TIMEPOINTS
from .endpoint import COMPONENTS
from .levels import CHANGE_LEVELS
from .scoring import CATEGORIES

_CONTINUOUS_STATS = ("n", "mean", "sd", "median", "p25", "p75", "min", "max")
_TIDY_STATS = ("estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high")


def _missing_reason(data: pd.DataFrame) -> pd.Series:
    """Why each patient has no score at one or both time points ('' when both exist).

    Only the patients without a score are looked at one by one (the message names their
    missing components); a cohort of complete records costs one pass per column."""
    n = len(data)
    parts = []
    for t, when in TIMEPOINTS.items():
        cols = [c for c in COMPONENTS[t] if c in data.columns]
        missing = {c: data[c].isna().to_numpy() for c in cols}
        part = np.full(n, "", dtype=object)
        for i in np.flatnonzero(data[f"ipssr_{t}_score"].isna().to_numpy()):
            absent = [c for c in cols if missing[c][i]]
            part[i] = (
                f"IPSS-R {when} not computable (missing {', '.join(absent)})"
                if absent
                else f"IPSS-R score {when} missing"
            )
        parts.append(part)
    out = np.full(n, "", dtype=object)
    for i in np.flatnonzero(np.logical_or.reduce([p != "" for p in parts])):
        out[i] = "; ".join(p[i] for p in parts if p[i])
    return pd.Series(out, index=data.index, dtype=object)


def analyze_ipssr(result, cohort, config):
    # the columns the analyses read: the kept patients' rows of only these are copied
    scores = [f"ipssr_{t}_{kind}" for t in TIMEPOINTS for kind in ("score", "category")]
    adjustment = getattr(cohort, "adjustment", None)
    data = analysis_columns(
        cohort.data,
        [*scores, *(c for t in TIMEPOINTS for c in COMPONENTS[t])],  # named when missing
        config.formulas.values(),
        adjustment=adjustment,
    )
    arms = cohort.arms
    ref, other = arms
    conf_level = 1 - config.alpha

    reason = _missing_reason(data)
    keep = reason == ""
    for why in dict.fromkeys(reason[~keep]):
        rows = data[reason == why]
        result.exclude(rows["patient_id"].tolist(), rows["arm"].astype(str).tolist(), why)
    # the score's components are read only to name what is missing: not copied
    d = select_rows(
        analysis_columns(data, scores, config.formulas.values(), adjustment=adjustment), keep
    )
    counts = {arm: int((d["arm"] == arm).sum()) for arm in arms}
    result.analysed(counts)

    _describe(result, d, arms, cohort)
    _shift(result, d, arms)
    if min(counts.values()) == 0:
        empty = [a for a in arms if counts[a] == 0]
        result.note(
            f"No between-arm comparison of the IPSS-R: no patient of arm "
            f"{', '.join(empty)} has a score both before and after treatment."
        )
        return result

    ancova_p = _ancova(result, d, config.formulas["score"], other, conf_level)
    from mdsrs_core.adjust.analyses import adjusted_mean_difference

    adjusted_mean_difference(
        result,
        cohort,
        d,
        "ipssr_post_score",
        ["ipssr_base_score"],
        "IPSS-R score after treatment",
        conf_level,
    )
    wilcox_p = _wilcoxon(result, d, ref, other, cohort)
    for key in ("category", "category_adjusted"):
        _ordinal(result, d, config.formulas[key], conf_level)

    if (
        ancova_p is not None
        and wilcox_p is not None
        and ((ancova_p < config.alpha) != (wilcox_p < config.alpha))
    ):
        result.note(
            f"The post-treatment IPSS-R score differs between arms at alpha = {config.alpha:g} "
            f"by {'the ANCOVA' if ancova_p < config.alpha else 'the Wilcoxon rank-sum test'} "
            f"(p = {min(ancova_p, wilcox_p):.3g}) but not by "
            f"{'the Wilcoxon rank-sum test' if ancova_p < config.alpha else 'the ANCOVA'} "
            f"(p = {max(ancova_p, wilcox_p):.3g})."
        )
    return result


# --------------------------------------------------------------------------- descriptive


def _describe(result, d, arms, cohort):
    for t in TIMEPOINTS:
        score, category = f"ipssr_{t}_score", f"ipssr_{t}_category"
        for arm in arms:
            rows = d.loc[(d["arm"] == arm).to_numpy(), [score, category]]
            summary = summarize_continuous(rows[score].to_numpy(dtype=float))
            for stat in _CONTINUOUS_STATS:
                result.add(
                    score, stat, summary[stat], arm=arm, label=cohort.label(score), n=summary["n"]
                )
            n_arm = int(rows.shape[0])
            result.add(category, "N", n_arm, arm=arm, label=cohort.label(category))
            counts = rows[category].astype(object).value_counts()
            for level in CATEGORIES:
                k = int(counts.get(level, 0))
                result.add(
                    category, "n", k, arm=arm, level=level, label=cohort.label(category), n=n_arm
                )
                result.add(
                    category,
                    "p",
                    k / n_arm if n_arm else float("nan"),
                    arm=arm,
                    level=level,
                    label=cohort.label(category),
                    n=n_arm,
                )


def _shift(result, d, arms):
    rank = {c: i for i, c in enumerate(CATEGORIES)}
    m = len(CATEGORIES)
    for arm in arms:
        columns = ["ipssr_base_category", "ipssr_post_category"]
        rows = d.loc[(d["arm"] == arm).to_numpy(), columns]
        # categories as their rank (-1: missing or not a category): one pass over the rows
        before = rows["ipssr_base_category"].astype(object).map(rank).to_numpy(dtype=float)
        after = rows["ipssr_post_category"].astype(object).map(rank).to_numpy(dtype=float)
        n_arm = int(rows.shape[0])
        both = np.isfinite(before) & np.isfinite(after)
        cells = np.bincount(
            (before[both] * m + after[both]).astype(np.int64), minlength=m * m
        ).reshape(m, m)
        for i, b in enumerate(CATEGORIES):
            for j, a in enumerate(CATEGORIES):
                k = int(cells[i, j])
                result.add(
                    "ipssr_shift",
                    "n",
                    k,
                    arm=arm,
                    level=f"{b} -> {a}",
                    label="IPSS-R risk category before -> after treatment",
                    n=n_arm,
                )
        step = after - before
        for level, k in zip(
            CHANGE_LEVELS, ((step < 0).sum(), (step == 0).sum(), (step > 0).sum()), strict=True
        ):
            label = "Change of IPSS-R risk category (improved: a lower category after treatment)"
            result.add(
                "ipssr_category_change", "n", int(k), arm=arm, level=level, label=label, n=n_arm
            )
            result.add(
                "ipssr_category_change",
                "p",
                int(k) / n_arm if n_arm else float("nan"),
                arm=arm,
                level=level,
                label=label,
                n=n_arm,
            )


# --------------------------------------------------------------------------- comparisons


def _term_label(term: str, arms: list[str]) -> str:
    ref, other = arms
    if term == f"arm[T.{other}]":
        return f"{other} vs {ref}"
    return term


def _dropped_note(fit, formula: str) -> str | None:
    dropped = int(fit.n_dropped)
    if dropped:
        return (
            f"{formula}: {dropped} analysed patient{'s' if dropped > 1 else ''} with "
            "missing values in the model's other variables left out of this model."
        )
    return None


def _ancova(result, d, formula, other, conf_level):
    from mdsrs_core.models import lm

    arms = list(d["arm"].cat.categories)
    try:
        fit = lm(formula, d)
    except (ModelError, np.linalg.LinAlgError) as exc:
        result.note(f"ANCOVA ({formula}) not estimable: {exc}")
        return None
    note = _dropped_note(fit, formula)
    if note:
        result.note(note)
    outcome = fit.model_frame.outcome_name
    method = (
        f"Linear regression (lm), ANCOVA: {formula}; difference in means, "
        f"t-based {conf_level * 100:g}% CI"
    )
    n = int(fit.nobs)
    table = fit.tidy(conf_level=conf_level)
    df_resid = float(fit.glance()["df_residual"].iloc[0])
    arm_p = None
    for row in table.itertuples(index=False):
        label = _term_label(row.term, arms)
        result.add_stats(
            outcome,
            [(stat, float(getattr(row, stat))) for stat in _TIDY_STATS],
            level=row.term,
            label=label,
            method=method,
            n=n,
        )
        result.add(outcome, "df", df_resid, level=row.term, label=label, method=method, n=n)
        if row.term == f"arm[T.{other}]":
            arm_p = float(row.p_value)
    return arm_p


#: A location coefficient whose standard error exceeds this (log-odds scale) is taken as
#: divergent: the fit only stopped where the likelihood became flat.
DIVERGENT_SE = 10.0


def _separated(fit, d, arms) -> str | None:
    """Why the proportional-odds fit has no finite maximum, or None.

    Exact rule for the arm (a binary term): the maximum-likelihood estimate of its
    coefficient is infinite when the post-treatment categories of one arm are all at or
    below those of the other (quasi-complete separation). Any other term: a standard error
    above :data:`DIVERGENT_SE` on the log-odds scale.
    """
    ref, other = arms
    # the rows the model used, of the two columns read here: the model frame's own copy of
    # the formula's columns when it holds both (d.loc[...] would copy every column of d)
    variables = fit.model_frame.variables
    if variables is not None and {"ipssr_post_category", "arm"} <= set(variables.columns):
        used = variables
    else:
        used = shared_columns(d, ["ipssr_post_category", "arm"]).loc[fit.model_frame.design.index]
    codes = used["ipssr_post_category"].cat.codes
    a, b = codes[used["arm"] == ref], codes[used["arm"] == other]
    if (
        len(a)
        and len(b)
        and f"arm[T.{other}]" in fit.terms
        and (a.max() <= b.min() or b.max() <= a.min())
    ):
        low, high = (other, ref) if b.max() <= a.min() else (ref, other)
        return (
            f"every patient of arm {low} is in a category at or below that of every "
            f"patient of arm {high}: quasi-complete separation"
        )
    big = [
        t
        for t, se, kind in zip(fit.terms, fit.std_error, fit.coef_types, strict=True)
        if kind == "location" and not se <= DIVERGENT_SE
    ]
    if big:
        return (
            f"standard error of {', '.join(big)} above {DIVERGENT_SE:g} on the log-odds "
            "scale: the estimates diverge (separation)"
        )
    return None


def _wilcoxon(result, d, ref, other, cohort):
    x = d.loc[d["arm"] == other, "ipssr_post_score"].to_numpy(dtype=float)
    y = d.loc[d["arm"] == ref, "ipssr_post_score"].to_numpy(dtype=float)
    test = wilcox_test(x, y)
    label = f"{cohort.label('ipssr_post_score')}: {other} vs {ref}"
    n = int(x.size + y.size)
    result.add(
        "ipssr_post_score", "statistic", test.statistic, label=label, method=test.method, n=n
    )
    result.add("ipssr_post_score", "p_value", test.p_value, label=label, method=test.method, n=n)
    if test.note:
        result.note(f"Wilcoxon rank-sum test of the post-treatment IPSS-R score: {test.note}.")
    if np.isnan(test.p_value):
        result.note(
            "Wilcoxon rank-sum test of the post-treatment IPSS-R score: no p-value, "
            "every patient has the same score (R's wilcox.test gives NA)."
        )
        return None
    return float(test.p_value)


def _ordinal(result, d, formula, conf_level):
    from mdsrs_core.models import clm

    arms = list(d["arm"].cat.categories)
    try:
        fit = clm(formula, d)
    except ModelError as exc:  # separation, non-convergence: stated by the core clm
        result.note(f"Proportional-odds model ({formula}) not estimable: {exc}")
        return
    note = _dropped_note(fit, formula)
    if note:
        result.note(note)
    why = _separated(fit, d, arms)
    if why:
        result.note(
            f"Proportional-odds model ({formula}) not estimable: the maximum likelihood "
            f"does not exist ({why}); no estimate is reported."
        )
        return
    outcome = fit.model_frame.outcome_name
    method = (
        f"Proportional-odds model (ordinal::clm, logit link): {formula}; cumulative "
        f"odds ratio of a higher (worse) category, Wald {conf_level * 100:g}% CI"
    )
    n = int(fit.nobs)
    table = fit.tidy(conf_level=conf_level, exponentiate=True)
    for row in table[table["coef_type"] == "location"].itertuples(index=False):
        label = _term_label(row.term, arms)
        result.add_stats(
            outcome,
            [(stat, float(getattr(row, stat))) for stat in _TIDY_STATS],
            level=row.term,
            label=label,
            method=method,
            n=n,
        )
