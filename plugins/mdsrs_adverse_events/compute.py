"""Computing the ``adverse_events`` records (no formatting here).

Patients analysed: every patient with a known worst grade. The worst grade is ``ae_max_grade``
when the data have it (checked against the adverse-event table when both are given, see
:mod:`.derive`), else ``ae_worst_grade`` from the table. When the study marks the table
incomplete, a patient absent from it is excluded (never counted event-free), even when
``ae_max_grade`` gives a grade: their events by term are unknown, and one analysed population
serves every figure of the endpoint.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from mdsrs_core.errors import ModelError
from mdsrs_core.frames import analysis_columns, select_rows
from mdsrs_core.models import clm
from mdsrs_core.stats.contingency import fisher_test
from mdsrs_core.stats.ranks import wilcox_test

from .grades import GRADES, GROUPS
from .ordinal import METHOD as NOMINAL_METHOD
from .ordinal import nominal_test

NOT_IN_TABLE = "not in the adverse-event table, which the study marks incomplete"
MISSING_GRADE = "worst adverse-event grade (ae_max_grade) missing"
CLM_METHOD = (
    "Proportional-odds model (ordinal::clm, logit link); cumulative odds ratio of a "
    "worse grade, Wald {level:g}% CI"
)
THRESHOLD_METHOD = (
    "Proportional-odds model (ordinal::clm, logit link); threshold on the "
    "logit scale, Wald {level:g}% CI"
)
GE3_LABEL = "Worst grade >= 3"
#: ordinal's conv.check: an eigenvalue of the Hessian below sqrt(machine epsilon) in absolute
#: value makes the fit "numerically singular" (convergence code 1, standard errors NA)
_SINGULAR_TOL = float(np.sqrt(np.finfo(float).eps))
#: level of the nominal_test records: "nominal: arm" (the clm coefficient's level is "arm[T...]")
NOMINAL_PREFIX = "nominal: "


def _worst_grade(cohort, result):
    """The worst grade analysed (float Series; NaN = unknown) and where it comes from."""
    data = cohort.data
    if "ae_max_grade" in data.columns:
        grade = pd.to_numeric(data["ae_max_grade"], errors="coerce").astype(float)
        if cohort.adverse_events is not None:
            result.note(
                "The worst grade is ae_max_grade; it agrees with the highest grade "
                "listed in the adverse-event table for every patient the table covers "
                "(checked when the cohort was built)."
            )
        return grade, "ae_max_grade"
    result.note(
        "The data have no ae_max_grade: the worst grade is the highest grade listed "
        "per patient in the adverse-event table (derived variable ae_worst_grade)."
    )
    return data["ae_worst_grade"].astype(float), "ae_worst_grade"


def analyze_adverse_events(result, cohort, config):
    # the columns the analyses read: the kept patients' rows of only these are copied
    data = analysis_columns(
        cohort.data,
        ["ae_max_grade", "ae_worst_grade"],
        config.formulas.values(),
        adjustment=getattr(cohort, "adjustment", None),
    )
    arms = cohort.arms
    ref, other = arms
    grade, source = _worst_grade(cohort, result)
    keep = pd.Series(True, index=data.index)
    table = cohort.adverse_events
    if table is not None and not cohort.adverse_events_complete:
        listed = data["patient_id"].astype("string").str.strip().isin(set(table["patient_id"]))
        absent = ~listed
        if absent.any():
            result.exclude(data.loc[absent, "patient_id"], data.loc[absent, "arm"], NOT_IN_TABLE)
            known = absent & grade.notna()
            if source == "ae_max_grade" and known.any():
                result.note(
                    f"{int(known.sum())} patient(s) absent from the incomplete "
                    "adverse-event table have an ae_max_grade but are excluded: their "
                    "events by term are unknown, and one population is analysed."
                )
        keep &= listed
    missing = keep & grade.isna()
    if missing.any():
        result.exclude(data.loc[missing, "patient_id"], data.loc[missing, "arm"], MISSING_GRADE)
        keep &= ~missing
    d = select_rows(data, keep)
    d["ae_max_grade"] = grade[keep].astype(int)
    counts = {a: int((d["arm"] == a).sum()) for a in arms}
    result.analysed(counts)
    label = cohort.label("ae_max_grade")
    _distribution(result, d, arms, label)
    if table is not None:
        _terms(result, d, table, arms)
    if any(n == 0 for n in counts.values()):
        result.note("No between-arm test: an arm has no patient analysed.")
        return result
    _tests(result, d, ref, other, config, label)
    if getattr(cohort, "adjustment", None) is not None:
        from mdsrs_core.adjust.analyses import adjusted_binary, adjusted_ordinal

        adjusted_ordinal(result, cohort, d, "ae_max_grade", "worst grade", 1 - config.alpha)

        d["ae_grade3plus"] = (d["ae_max_grade"] >= 3).astype(int)
        adjusted_binary(
            result,
            cohort,
            d,
            "ae_grade3plus",
            "Worst adverse event of grade 3 or higher",
            1 - config.alpha,
        )
        result.note(
            "Adjusted analyses of adverse events: the weighted proportional-odds model of the "
            "worst grade (clm with weights; design-based sandwich SE as survey::svyolr, where "
            "ordinal::clm would give model-based SEs) and the weighted odds ratio of a worst "
            "grade >= 3 (svyglm quasibinomial)."
        )
    return result


# --------------------------------------------------------------------------- by arm


def _distribution(result, d, arms, label):
    g = d["ae_max_grade"]
    for a in [*arms, None]:
        x = g if a is None else g[d["arm"] == a]
        n_total = int(x.shape[0])
        result.add("ae_max_grade", "N", n_total, arm=a, label=label)
        for k in GRADES:
            n = int((x == k).sum())
            result.add("ae_max_grade", "n", n, arm=a, level=k, label=label, n=n_total)
            result.add(
                "ae_max_grade",
                "p",
                n / n_total if n_total else math.nan,
                arm=a,
                level=k,
                label=label,
                n=n_total,
            )
        for name, members in GROUPS:
            n = int(x.isin(members).sum())
            result.add(
                "ae_grade_group", "n", n, arm=a, level=name, label="Worst grade group", n=n_total
            )
            result.add(
                "ae_grade_group",
                "p",
                n / n_total if n_total else math.nan,
                arm=a,
                level=name,
                label="Worst grade group",
                n=n_total,
            )
        n = int((x >= 3).sum())
        result.add("ae_grade_ge3", "n", n, arm=a, label=GE3_LABEL, n=n_total)
        result.add("ae_grade_ge3", "N", n_total, arm=a, label=GE3_LABEL)
        result.add(
            "ae_grade_ge3",
            "p",
            n / n_total if n_total else math.nan,
            arm=a,
            label=GE3_LABEL,
            n=n_total,
        )


def _terms(result, d, table, arms):
    """Per CTCAE term: patients with the term (any grade, grade >= 3) over the arm's analysed."""
    arm_of = d.set_index(d["patient_id"].astype("string").str.strip())["arm"]
    events = table[table["patient_id"].isin(set(arm_of.index))].copy()
    events["arm"] = events["patient_id"].map(arm_of).astype(object)
    worst = (
        events.groupby(["term", "patient_id"], observed=True)
        .agg(grade=("grade", "max"), arm=("arm", "first"))
        .reset_index()
    )
    counts = {a: int((d["arm"] == a).sum()) for a in arms}
    overall = int(d.shape[0])
    any_total = worst.groupby("term").size()
    terms = sorted(any_total.index, key=lambda t: (-int(any_total[t]), str(t)))
    for term in terms:
        w = worst[worst["term"] == term]
        for a in [*arms, None]:
            wa = w if a is None else w[w["arm"] == a]
            n_total = overall if a is None else counts[a]
            for variable, label, rows in (
                ("ae_term_any", "Patients with the adverse event, any grade", wa),
                (
                    "ae_term_ge3",
                    "Patients with the adverse event, grade >= 3",
                    wa[wa["grade"] >= 3],
                ),
            ):
                n = int(rows.shape[0])
                result.add(variable, "n", n, arm=a, level=term, label=label, n=n_total)
                result.add(
                    variable,
                    "p",
                    n / n_total if n_total else math.nan,
                    arm=a,
                    level=term,
                    label=label,
                    n=n_total,
                )
    result.note(
        "Incidence by CTCAE term counts patients (a patient with several events of a "
        "term counts once, at their worst grade of it) over the patients analysed in "
        "the arm; no per-term tests (multiplicity)."
    )


# --------------------------------------------------------------------------- between arms


def _tests(result, d, ref, other, config, label):
    n = int(d.shape[0])
    conclusions = {}
    p = _proportional_odds(result, d, config, label)
    if p is not None:
        conclusions["proportional-odds model (Wald)"] = p
    g = d["ae_max_grade"].astype(float)
    x, y = g[d["arm"] == other].to_numpy(), g[d["arm"] == ref].to_numpy()
    w = wilcox_test(x, y)
    result.add("ae_max_grade", "statistic", w.statistic, label=label, method=w.method, n=n)
    result.add("ae_max_grade", "p_value", _num(w.p_value), label=label, method=w.method, n=n)
    if _num(w.p_value) is None:
        result.note(
            "Wilcoxon rank-sum test: every patient has the same worst grade, no "
            "p-value (R gives NaN)."
        )
    else:
        conclusions["Wilcoxon rank-sum test"] = w.p_value
    ge3 = d["ae_max_grade"] >= 3
    tab = np.array(
        [
            [int(((d["arm"] == a) & ~ge3).sum()), int(((d["arm"] == a) & ge3).sum())]
            for a in (ref, other)
        ]
    )
    f = fisher_test(tab, conf_level=1 - config.alpha)
    result.add("ae_grade_ge3", "p_value", f.p_value, label=GE3_LABEL, method=f.method, n=n)
    for stat, value in (
        ("estimate", f.estimate),
        ("conf_low", f.conf_low),
        ("conf_high", f.conf_high),
    ):
        result.add(
            "ae_grade_ge3",
            stat,
            value,
            label=GE3_LABEL + f" (odds ratio, {other} vs {ref}, conditional MLE)",
            method=f.method,
            n=n,
        )
    conclusions["Fisher's exact test (grade >= 3)"] = f.p_value
    if tab[:, 1].min() == 0:
        empty = [a for a, row in zip((ref, other), tab, strict=True) if row[1] == 0]
        odds = (
            "0"
            if tab[0, 1] > 0
            else "Inf"
            if tab[1, 1] > 0
            else "not informative (no grade >= 3 event in either arm; p = 1)"
        )
        result.note(
            f"No grade >= 3 event in {' or '.join(empty)}: Fisher's conditional odds "
            f"ratio is {odds}, a cell at its bound; the p-value is exact."
        )
    significant = {name: p < config.alpha for name, p in conclusions.items()}
    if len(set(significant.values())) > 1:
        yes = [k for k, v in significant.items() if v]
        no = [k for k, v in significant.items() if not v]
        result.note(
            f"The conclusion at alpha = {config.alpha:g} changes between tests: "
            f"p < alpha for {', '.join(yes)}; not for {', '.join(no)}."
        )


def _num(value):
    if value is None:
        return None
    v = float(value)
    return None if math.isnan(v) else v


def _proportional_odds(result, d, config, label):
    """Fit clm, record thresholds and cumulative odds ratios, then nominal_test."""
    formula = config.formulas["model"]
    level = 1 - config.alpha
    try:
        fit = clm(formula, d)
    except ModelError as exc:
        result.note(f"Proportional-odds model {formula!r} not estimable: {exc}")
        return None
    info_eigen = 1.0 / np.linalg.eigvalsh(fit.vcov.to_numpy())
    if np.min(np.abs(info_eigen)) < _SINGULAR_TOL:
        result.note(
            f"Proportional-odds model {formula!r} not estimable: its Hessian is "
            "numerically singular (R's clm: 'parameters are not uniquely determined', "
            "standard errors NA) -- typically separation, every worse grade in one "
            "arm; no odds ratio and no test of proportional odds."
        )
        return None
    outcome = fit.model_frame.outcome_name or "ae_max_grade"
    outcome_label = label if outcome == "ae_max_grade" else outcome
    nobs = fit.nobs
    if fit.n_dropped:
        result.note(
            f"Proportional-odds model: {fit.n_dropped} patient(s) dropped for missing "
            "values in the formula's covariates."
        )
    kept = [lv for lv in map(str, GRADES) if lv not in fit.levels]
    if kept and outcome == "ae_max_grade":
        result.note(
            "Proportional-odds model on the observed grades "
            f"{', '.join(fit.levels)}: grade(s) {', '.join(kept)} not observed have no "
            "threshold (as R's factor(..., ordered = TRUE) drops them)."
        )
    raw = fit.tidy(conf_level=level)
    expo = fit.tidy(conf_level=level, exponentiate=True)
    p_arm = None
    for i, row in raw.iterrows():
        is_threshold = row["coef_type"] == "intercept"
        src = row if is_threshold else expo.loc[i]
        method = (THRESHOLD_METHOD if is_threshold else CLM_METHOD).format(level=100 * level)
        for stat in ("estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"):
            result.add(
                outcome,
                stat,
                float(src[stat]),
                level=row["term"],
                label=(
                    f"Threshold {row['term']}"
                    if is_threshold
                    else f"{outcome_label}: {row['term']}"
                ),
                method=method,
                n=nobs,
            )
        if not is_threshold and str(row["term"]).startswith("arm"):
            p_arm = float(row["p_value"])
    result.add(
        outcome,
        "logLik",
        fit.loglik,
        label=outcome_label,
        method=CLM_METHOD.format(level=100 * level),
        n=nobs,
    )
    result.add(
        outcome,
        "nobs",
        nobs,
        label=outcome_label,
        method=CLM_METHOD.format(level=100 * level),
        n=nobs,
    )
    for t in nominal_test(fit):
        lbl = f"Proportional odds for {t.term} (nominal effect of {t.term})"
        lvl = f"{NOMINAL_PREFIX}{t.term}"
        if t.lrt is None:
            result.add(
                outcome, "p_value", None, level=lvl, label=lbl, method=NOMINAL_METHOD, n=nobs
            )
            result.note(
                f"Test of proportional odds for {t.term}: not available, {t.reason} "
                "(R's nominal_test gives NA)."
            )
            continue
        for stat, value in (
            ("statistic", t.lrt),
            ("df", t.df),
            ("p_value", t.p_value),
            ("logLik", t.loglik),
        ):
            result.add(outcome, stat, value, level=lvl, label=lbl, method=NOMINAL_METHOD, n=nobs)
        if t.p_value < config.alpha:
            result.note(
                f"Proportional odds for {t.term} rejected at alpha = {config.alpha:g} "
                f"(LR {t.lrt:.3g}, df {t.df}, p = {t.p_value:.3g}): its cumulative "
                "odds ratio differs between grade thresholds; read the common odds "
                "ratio with care."
            )
    return p_arm
