"""Computing the ``os`` records (no formatting here).

Every figure comes from the R-named models of :mod:`mdsrs_core.models` (survfit, survdiff,
coxph, cox_zph; rmst and survreg in :mod:`.rmst`); the landmark differences are written out
here (Klein et al. 2007):
``S_trt(t) - S_ref(t)`` with ``se = sqrt(se_trt^2 + se_ref^2)``, the Greenwood standard
errors of the two independent Kaplan-Meier estimates, a Wald interval and a z test.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from mdsrs_core._lazy import lazy_module
from mdsrs_core.endpoint import EndpointResult
from mdsrs_core.errors import ModelError, StudyError
from mdsrs_core.formula import split_formula, split_top_level
from mdsrs_core.frames import analysis_columns, select_rows
from mdsrs_core.models import coxph, survdiff, survfit
from mdsrs_core.models.cox_zph import cox_zph

sps = lazy_module("mdsrs_core.stats.distributions")

KM_FORMULA = "Surv(os_months, death) ~ arm"
KM_METHOD = "Kaplan-Meier (survfit), Greenwood standard error, log-transformed {}% CI"
DIFF_METHOD = (
    "Difference in Kaplan-Meier survival ({} - {}), Greenwood standard errors of "
    "independent arms, Wald {}% CI, z test"
)
TEST_NAMES = {
    "likelihood_ratio": "Likelihood ratio test",
    "wald": "Wald test",
    "score": "Score (logrank) test",
}


def _pct(conf_level: float) -> str:
    return f"{100 * conf_level:g}"


def strata_terms(formula: str) -> list[str]:
    """The ``strata(...)`` terms of a formula's right-hand side, as written."""
    _, rhs = split_formula(formula)
    return [t.strip() for t in split_top_level(rhs, "+") if t.strip().startswith("strata(")]


def logrank_formula(cox_formula: str) -> str:
    """``Surv(os_months, death) ~ arm`` plus the Cox formula's ``strata()`` terms."""
    return " + ".join([KM_FORMULA, *strata_terms(cox_formula)])


def _options(config):
    opts = config.options
    try:
        landmarks = sorted({float(t) for t in opts["landmarks"]})
    except (TypeError, ValueError):
        raise StudyError(
            "[endpoints.os] landmarks must be a list of times in months, e.g. "
            f"[12, 36, 60]; got {opts['landmarks']!r}."
        ) from None
    if any(t <= 0 for t in landmarks):
        raise StudyError(f"[endpoints.os] landmarks must be > 0; got {opts['landmarks']!r}.")
    conf_level = float(opts["conf_level"])
    if not 0 < conf_level < 1:
        raise StudyError(f"[endpoints.os] conf_level must be between 0 and 1, not {conf_level}.")
    ties = str(opts["ties"])
    if ties not in ("efron", "breslow"):
        raise StudyError(f"[endpoints.os] ties must be 'efron' or 'breslow', not {ties!r}.")
    every = float(opts["risk_table_every"])
    if every <= 0:
        raise StudyError("[endpoints.os] risk_table_every must be > 0 (months).")
    return landmarks, conf_level, ties, every


def _time_text(t: float) -> str:
    return f"{t:g}"


def _exclusions(result, data: pd.DataFrame) -> pd.DataFrame:
    """Exclude patients without a usable (os_months, death); return the rows kept."""
    time = pd.to_numeric(data["os_months"], errors="coerce")
    death = pd.to_numeric(data["death"], errors="coerce")
    reasons = pd.Series("", index=data.index, dtype=object)
    reasons[time.isna() & death.isna()] = "os_months and death missing"
    reasons[(reasons == "") & time.isna()] = "os_months missing"
    reasons[(reasons == "") & death.isna()] = "death missing"
    # a time of 0 is valid, as in R's survival (at risk at 0, censored or died on day 0)
    reasons[(reasons == "") & (time < 0)] = "os_months negative"
    reasons[(reasons == "") & ~death.isin([0, 1])] = "death not 0/1"
    arm_missing = data["arm"].isna()
    reasons[(reasons == "") & arm_missing] = "arm missing"
    for reason in [r for r in dict.fromkeys(reasons) if r]:
        rows = reasons == reason
        result.exclude(
            data.loc[rows, "patient_id"].astype(str),
            [None if pd.isna(a) else str(a) for a in data.loc[rows, "arm"]],
            f"Overall survival: {reason}",
        )
    keep = (reasons == "").to_numpy()
    kept = select_rows(data, keep)
    if kept["os_months"].dtype != np.float64:  # else the cohort's numbers, as they are
        kept["os_months"] = time[keep].astype(float)
    kept["death"] = death[keep].astype(np.int8)  # 0/1 (checked above): a byte per patient
    return kept


def analyze_os(result, cohort, config):
    from .rmst import add_parametric, add_rmst, parametric_dist, rmst_reading, rmst_tau

    landmarks, conf_level, ties, every = _options(config)
    tau = rmst_tau(config.options, landmarks)
    dist = parametric_dist(config.options)
    arms = list(cohort.arms)
    ref = cohort.reference
    others = [a for a in arms if a != ref]
    # the columns the analyses read: the kept patients' rows of only these are copied
    columns = analysis_columns(
        cohort.data,
        ["os_months", "death", "response", "response_months"],
        config.formulas.values(),
        adjustment=getattr(cohort, "adjustment", None),
    )
    data = _exclusions(result, columns)
    columns = None
    counts = {a: int((data["arm"] == a).sum()) for a in arms}
    result.analysed(counts)
    present = [a for a in arms if counts[a] > 0]
    if not len(data) or not data["death"].any():
        result.note(
            "Overall survival: no deaths among the patients analysed; survival "
            "curves, tests and hazard ratios cannot be estimated."
        )
        for arm in arms:
            result.add("os", "N", counts[arm], arm=arm, label="Patients")
            result.add("os", "n_event", 0, arm=arm, label="Deaths")
        return result
    # the response-and-survival analyses first, into a result of their own, added below in
    # their place: their time-dependent Cox models on the split follow-up (10^6 patients:
    # ~1.3 x 10^6 intervals) are the endpoint's largest, and then run with no curve held
    response_part = None
    if len(present) >= 2:
        from .response_survival import analyze_response_survival

        response_part = EndpointResult(result.endpoint)
        analyze_response_survival(response_part, data, config, ties, conf_level)
    fit = survfit(KM_FORMULA, data, conf_level=conf_level)
    label_of = {f"arm={a}": a for a in arms}
    km = {label_of[s]: c for s, c in fit.curves.items()}
    _counts_and_medians(result, fit, label_of, counts)
    estimable = _landmarks(result, fit, km, landmarks, conf_level)
    _differences(result, fit, km, estimable, ref, others, conf_level)
    last_time = max(float(c.time.max()) for c in km.values())
    _figures(result, fit, km, every, last_time)
    add_rmst(result, fit, tau, conf_level, ref)  # RMST_FORMULA is KM_FORMULA: the same fit
    fit = km = None  # the curves' arrays go (10^6 patients: ~100 MB) before the models run
    if dist is not None:
        add_parametric(result, data, dist, present, last_time)
    if len(present) < 2:
        result.note("Overall survival: only one arm has patients; no between-arm comparison.")
        return result
    _logrank(result, data, config.formulas["cox"], label_of)
    _cox(result, data, config.formulas["cox"], ties, conf_level, config.alpha, ref)
    rmst_reading(result, config.alpha)
    assert response_part is not None  # two arms have patients (above)
    result.records.extend(response_part.records)
    result.notes.extend(response_part.notes)
    from mdsrs_core.adjust.analyses import adjusted_survival

    result.figures.update(
        adjusted_survival(
            result,
            cohort,
            data,
            "os_months",
            "death",
            "os",
            landmarks,
            conf_level,
            cox_formula=config.formulas["cox"],
            ties=ties,
        )
    )
    return result


def _counts_and_medians(result, fit, label_of, counts):
    table = fit.table().set_index("strata")
    for label, arm in label_of.items():
        if label not in table.index:
            result.add("os", "N", counts[arm], arm=arm, label="Patients")
            result.add("os", "n_event", 0, arm=arm, label="Deaths")
            continue
        row = table.loc[label]
        result.add("os", "N", int(row["records"]), arm=arm, label="Patients")
        result.add("os", "n_event", int(row["events"]), arm=arm, label="Deaths")
        method = (
            f"Median of the Kaplan-Meier curve (survfit table), {fit.conf_level:.0%} CI "
            "of Brookmeyer & Crowley (log-transformed pointwise limits)"
        )
        for stat in ("median", "conf_low", "conf_high"):
            result.add(
                "os_median",
                stat,
                float(row[stat]),
                arm=arm,
                method=method,
                label="Median overall survival (months)",
                n=int(row["records"]),
            )
        if math.isnan(row["median"]):
            result.note(
                f"Median overall survival not reached in the {arm} arm (the "
                "Kaplan-Meier curve stays above 0.5)."
            )


def _landmarks(result, fit, km, landmarks, conf_level):
    """Survival, interval, numbers at risk and events at each landmark, per arm.

    Returns the landmarks estimable per arm (those within the arm's follow-up)."""
    method = KM_METHOD.format(_pct(conf_level))
    summary = fit.summary(times=landmarks, extend=True)
    estimable = {}
    for arm, curve in km.items():
        last = float(curve.time.max())
        rows = summary[summary["strata"] == f"arm={arm}"]
        estimable[arm] = {}
        beyond = []
        for row in rows.itertuples():
            t = float(row.time)
            if t > last:
                beyond.append(_time_text(t))
                continue
            level = _time_text(t)
            label = f"Overall survival at {level} months"
            n = int(curve.n)
            figures = [
                ("surv", float(row.surv), method),
                ("std_error", float(row.std_err), method),
                ("conf_low", float(row.conf_low), method),
                ("conf_high", float(row.conf_high), method),
                ("n_risk", int(row.n_risk), "Number at risk at the landmark (time >= t)"),
                (
                    "n_event",
                    int(curve.n_event[curve.time <= t].sum()),
                    "Cumulative deaths by the landmark (time <= t)",
                ),
                (
                    "n_event_interval",
                    int(row.n_event),
                    "Deaths since the previous landmark, R's summary(fit, times) n.event",
                ),
            ]
            for stat, value, how in figures:
                result.add("os_km", stat, value, arm=arm, level=level, label=label, method=how, n=n)
            estimable[arm][t] = (float(row.surv), float(row.std_err))
        if beyond:
            result.note(
                f"Overall survival in the {arm} arm is not estimated at "
                f"{', '.join(beyond)} months: beyond its last follow-up "
                f"({last:g} months)."
            )
    return estimable


def _differences(result, fit, km, estimable, ref, others, conf_level):
    z = float(sps.norm.ppf(1.0 - (1.0 - conf_level) / 2.0))
    if ref not in estimable:
        return
    for other in others:
        if other not in estimable:
            continue
        method = DIFF_METHOD.format(other, ref, _pct(conf_level))
        for t in sorted(set(estimable[ref]) & set(estimable[other])):
            s1, se1 = estimable[other][t]
            s0, se0 = estimable[ref][t]
            diff = s1 - s0
            se = math.sqrt(se1**2 + se0**2)
            level = _time_text(t)
            label = f"Difference in overall survival at {level} months ({other} - {ref})"
            n = int(km[other].n + km[ref].n)
            if se > 0:
                stat = diff / se
                p = float(2.0 * sps.norm.sf(abs(stat)))
            else:
                stat = p = float("nan")
                result.note(
                    f"Landmark {level} months: no deaths by then in either arm, so "
                    "the difference has no variance and no test."
                )
            values = {
                "estimate": diff,
                "std_error": se,
                "statistic": stat,
                "p_value": p,
                "conf_low": diff - z * se,
                "conf_high": diff + z * se,
            }
            for name, value in values.items():
                result.add(
                    "os_landmark_diff", name, value, level=level, label=label, method=method, n=n
                )


def _figures(result, fit, km, every, top):
    """The Kaplan-Meier figure's data: each arm's curve, and the numbers at risk every
    ``every`` months up to ``top`` (the latest time of the curves)."""
    curve = fit.curve()
    arms = {}
    for arm in km:
        part = curve[curve["strata"] == f"arm={arm}"]
        # arrays, not lists: at 10^6 patients a list of Python floats is 4x the memory and
        # the pickling between the processes that analyse and draw
        arms[arm] = {
            "time": part["time"].to_numpy(dtype=float),
            "surv": part["surv"].to_numpy(dtype=float),
            "conf_low": part["conf_low"].to_numpy(dtype=float),
            "conf_high": part["conf_high"].to_numpy(dtype=float),
            "n_risk": part["n_risk"].to_numpy(),
            "n_event": part["n_event"].to_numpy(),
            "n_censor": part["n_censor"].to_numpy(),
            "censor_times": part.loc[part["n_censor"] > 0, "time"].to_numpy(dtype=float),
        }
    grid = [float(t) for t in np.arange(0.0, top + 1e-9, every)]
    summary = fit.summary(times=grid, extend=True)
    risk = {
        arm: summary.loc[summary["strata"] == f"arm={arm}", "n_risk"].astype(int).tolist()
        for arm in km
    }
    result.figures["km"] = {
        "x": "months",
        "y": "overall survival",
        "arms": arms,
        "risk_table": {"times": grid, "n_risk": risk},
    }


def _logrank(result, data, cox_formula, label_of):
    formula = logrank_formula(cox_formula)
    try:
        test = survdiff(formula, data)
    except ModelError as err:
        result.note(f"Log-rank test not done: {err}")
        return
    strata = strata_terms(cox_formula)
    method = "Log-rank test (survdiff, rho = 0)"
    if strata:
        method = f"Stratified log-rank test (survdiff, rho = 0; {' + '.join(strata)})"
    n = test.model_frame.nobs
    if test.model_frame.n_dropped:
        result.note(
            f"Log-rank test: {test.model_frame.n_dropped} patients with a missing "
            f"stratum ({', '.join(strata)}) left out."
        )
    label = f"Log-rank test: {formula}"
    result.add("os_logrank", "statistic", test.chisq, label=label, method=method, n=n)
    result.add("os_logrank", "df", test.df, label=label, method=method, n=n)
    result.add("os_logrank", "p_value", test.p_value, label=label, method=method, n=n)
    for group, obs, exp in zip(test.groups, test.observed, test.expected, strict=True):
        arm = label_of.get(group, group)
        result.add("os_logrank", "observed", float(obs), arm=arm, label=label, method=method)
        result.add("os_logrank", "expected", float(exp), arm=arm, label=label, method=method)
    for warning in test.warnings:
        result.note(f"Log-rank test: {warning}")


def _term_label(term: str, ref: str) -> str:
    if term.startswith("arm[T.") and term.endswith("]"):
        return f"{term[6:-1]} vs {ref}"
    return term


def _cox(result, data, formula, ties, conf_level, alpha, ref):
    try:
        fit = coxph(formula, data, ties=ties)
    except ModelError as err:
        result.add(
            "os_cox",
            "estimable",
            False,
            label=f"Cox model: {formula}",
            method=f"Cox proportional-hazards (coxph, {ties} ties)",
        )
        result.note(
            f"Hazard ratio not estimable; the log-rank test and the Kaplan-Meier "
            f"estimates remain valid. {err}"
        )
        return
    method = (
        f"Cox proportional-hazards (coxph, {ties} ties); hazard ratio, Wald "
        f"{_pct(conf_level)}% CI (std_error on the log scale)"
    )
    n = fit.nobs
    if fit.n_dropped:
        result.note(
            f"Cox model: {fit.n_dropped} patients with a missing covariate or stratum "
            "left out of the model."
        )
    result.add("os_cox", "estimable", True, label=f"Cox model: {formula}", method=method)
    result.add("os_cox", "n", n, label=f"Cox model: {formula}", method=method, n=n)
    result.add("os_cox", "n_event", fit.nevent, label=f"Cox model: {formula}", method=method, n=n)
    tidy = fit.tidy(conf_level=conf_level, exponentiate=True)
    for row in tidy.itertuples():
        label = f"Hazard ratio, {_term_label(row.term, ref)}"
        for stat in ("estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"):
            result.add(
                "os_cox",
                stat,
                float(getattr(row, stat)),
                level=row.term,
                label=label,
                method=method,
                n=n,
            )
    for row in fit.tests().itertuples():
        name = TEST_NAMES[row.test]
        for stat in ("statistic", "df", "p_value"):
            value = int(row.df) if stat == "df" else float(getattr(row, stat))
            result.add(
                "os_cox_test",
                stat,
                value,
                level=row.test,
                label=f"Cox model: {name}",
                method=f"{name} (coxph)",
                n=n,
            )
    pvals = fit.tests()["p_value"]
    if (pvals < alpha).any() and (pvals >= alpha).any():
        result.note(
            f"Cox model: the likelihood-ratio, Wald and score tests disagree at "
            f"alpha = {alpha:g} (p = {', '.join(f'{p:.3g}' for p in pvals)})."
        )
    _ph_check(result, fit, alpha, n)


def _ph_check(result, fit, alpha, n):
    try:
        zph = cox_zph(fit, transform="km")
    except (ModelError, np.linalg.LinAlgError) as err:
        result.note(f"Proportional-hazards check (cox.zph) not done: {err}")
        return
    method = (
        "Test of proportional hazards: score test of the scaled Schoenfeld residuals "
        "(cox.zph, transform = 'km', terms = TRUE; Grambsch & Therneau 1994)"
    )
    table = zph.table()
    for row in table.itertuples():
        label = f"Proportional hazards, {row.term}"
        result.add(
            "os_ph", "statistic", float(row.chisq), level=row.term, label=label, method=method, n=n
        )
        result.add("os_ph", "df", int(row.df), level=row.term, label=label, method=method, n=n)
        result.add(
            "os_ph", "p_value", float(row.p_value), level=row.term, label=label, method=method, n=n
        )
    result.note(ph_verdict(table, alpha))


def ph_verdict(table: pd.DataFrame, alpha: float) -> str:
    """A plain-words reading of the cox.zph table at ``alpha``."""
    terms = table[table["term"] != "GLOBAL"]
    glob = float(table.loc[table["term"] == "GLOBAL", "p_value"].iloc[0])
    bad = terms[terms["p_value"] < alpha]
    if len(bad):
        which = ", ".join(f"{r.term} (p = {r.p_value:.3g})" for r in bad.itertuples())
        return (
            f"Proportional hazards questionable for {which}; global p = {glob:.3g}: the "
            "hazard ratio may change over time; consider a landmark or time-varying "
            "analysis."
        )
    if glob < alpha:
        return (
            f"Proportional hazards questionable overall (global p = {glob:.3g}), though "
            "no single term is below the significance level: the hazard ratios may "
            "change over time."
        )
    return f"No evidence against proportional hazards (global p = {glob:.3g})."
