"""Adjusted analyses an endpoint reports beside its unadjusted ones.

An endpoint calls these with the rows it analysed (a subset of ``cohort.data``); when the
run has no ``[adjust]`` they do nothing. With propensity weights every model gets the
weights and the design-based sandwich variance (``survey::svyglm``/``svykm``/
``svylogrank``, ``coxph(weights =, robust = TRUE)``); with matching, the matched rows and
the matched pairs as clusters (``svydesign(ids = ~subclass)``, ``coxph(... +
cluster(subclass))``).

Records: ``variable = "adjusted_<outcome>"`` and ``method`` starting with the adjustment's
label (``"adjusted: IPTW (ATE, stabilised weights)"``), so they never mix with the
unadjusted records. Per arm: ``n_analysed`` (and ``n_excluded`` by reason: no score,
trimmed, unmatched) and the weighted figure (proportion, survival at a time, mean); between
arms: ``estimate``, ``conf_low``, ``conf_high``, ``std_error``, ``p_value`` of the effect
(``level`` names it: ``odds_ratio``, ``hazard_ratio``, ``mean_difference``) and its
E-values (VanderWeele & Ding 2017) for ratios.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from mdsrs_core.errors import FormulaError, ModelError

from .evalue import RARE_THRESHOLD, evalues
from .layer import NO_SCORE, TRIMMED, UNMATCHED

__all__ = [
    "AdjustedData",
    "adjusted_data",
    "adjusted_binary",
    "adjusted_survival",
    "adjusted_mean_difference",
    "adjusted_ordinal",
    "adjusted_cuminc",
    "PAIR",
]

#: column holding the matched-pair number in an adjusted analysis' data
PAIR = "match_pair"


@dataclass
class AdjustedData:
    """The rows of an adjusted analysis, their weights (or pairs) and its label."""

    data: pd.DataFrame
    weights: pd.Series | None
    pairs: pd.Series | None
    label: str
    method: str  # "iptw", "att", "overlap" or "match"

    def model_kwargs(self) -> dict[str, Any]:
        """``weights=``/``robust=``/``cluster=`` for lm, glm and survfit."""
        if self.pairs is not None:
            return {"cluster": self.pairs}
        return {"weights": self.weights, "robust": True}

    @property
    def variance(self) -> str:
        if self.pairs is not None:
            return "sandwich SE clustered on matched pairs"
        return "design-based sandwich SE"


def adjusted_data(result, cohort, data: pd.DataFrame, variable: str) -> AdjustedData | None:
    """The adjusted analysis' rows among ``data`` (the endpoint's analysed rows), with the
    flow records (``adjusted_<variable>``: ``n_analysed`` per arm, ``n_excluded`` per arm and
    reason); ``None`` when the run is not adjusted."""
    adj = getattr(cohort, "adjustment", None)
    if adj is None:
        return None
    label = adj.spec.label
    var = f"adjusted_{variable}"
    ps = adj.ps.reindex(data.index)
    if adj.method == "match":
        pairs = adj.subclass.reindex(data.index)
        reasons = pd.Series(
            np.where(ps.isna(), NO_SCORE, np.where(pairs.isna(), UNMATCHED, "")), index=data.index
        )
    else:
        w = adj.weights.reindex(data.index)
        reasons = pd.Series(
            np.where(ps.isna(), NO_SCORE, np.where(w.isna(), TRIMMED, "")), index=data.index
        )
    keep = reasons == ""
    arm = data["arm"].astype("object")
    for a in cohort.arms:
        in_arm = arm == a
        result.add(var, "n_analysed", int((in_arm & keep).sum()), arm=a, method=label)
        for reason in (NO_SCORE, TRIMMED, UNMATCHED):
            k = int((in_arm & (reasons == reason)).sum())
            if k:
                result.add(var, "n_excluded", k, arm=a, level=reason, method=label)
    sub = data.loc[keep.to_numpy()].copy()
    if adj.method == "match":
        sub[PAIR] = adj.subclass.reindex(sub.index).astype(int)
        return AdjustedData(sub, None, sub[PAIR], label, adj.method)
    return AdjustedData(sub, adj.weights.reindex(sub.index), None, label, adj.method)


def _method(ad: AdjustedData, model: str) -> str:
    return f"{ad.label}; {model}, {ad.variance}"


def _evalue_records(result, var, level, est, lo, hi, measure, rare, ad) -> None:
    e = evalues(est, lo, hi, measure, rare)
    how = (
        f"E-value (VanderWeele & Ding 2017) of the {measure}; outcome "
        + ("rare (< 15%): the ratio taken as a risk ratio" if rare else "common (>= 15%): ")
        + (
            ""
            if rare
            else "RR = sqrt(OR)"
            if measure == "OR"
            else "RR = (1 - 0.5^sqrt(HR)) / (1 - 0.5^sqrt(1/HR))"
        )
    )
    result.add(var, "evalue", e["estimate"], level=level, label="E-value, estimate", method=how)
    result.add(
        var, "evalue_ci", e["conf_limit"], level=level, label="E-value, CI limit", method=how
    )


def _effect(result, var, level, label, method, est, se, lo, hi, p, n) -> None:
    result.add_stats(
        var,
        [("estimate", est), ("std_error", se), ("conf_low", lo), ("conf_high", hi), ("p_value", p)],
        level=level,
        label=label,
        method=method,
        n=n,
    )


def _weighted_arm_averages(
    result, cohort, ad, outcome: str, var: str, stat: str, what: str, label: str
) -> None:
    """Record the weighted average of ``outcome`` per arm (a proportion for a 0/1 outcome,
    a mean otherwise): sum(w * y) / sum(w) over the arm's adjusted rows."""
    d = ad.data
    y = pd.to_numeric(d[outcome], errors="coerce").astype(float)
    w = ad.weights if ad.weights is not None else pd.Series(1.0, index=d.index)
    arm = d["arm"].astype("object")
    for a in cohort.arms:
        sel = arm == a
        sw = float(w[sel].sum())
        result.add(
            var,
            stat,
            float((w[sel] * y[sel]).sum() / sw) if sw > 0 else None,
            arm=a,
            label=f"{label} ({ad.label})",
            method=f"{ad.label}; weighted {what}",
            n=int(sel.sum()),
        )


def adjusted_binary(
    result, cohort, data: pd.DataFrame, outcome: str, label: str, conf_level: float = 0.95
) -> None:
    """Weighted proportion per arm and the odds ratio (svyglm quasibinomial) of ``outcome``
    (0/1) among ``data``'s rows."""
    from mdsrs_core.models import glm

    ad = adjusted_data(result, cohort, data, outcome)
    if ad is None:
        return
    var = f"adjusted_{outcome}"
    _weighted_arm_averages(result, cohort, ad, outcome, var, "p", "proportion", label)
    d = ad.data
    y = pd.to_numeric(d[outcome], errors="coerce").astype(float)
    ref, treated = cohort.arms[0], cohort.arms[1]
    effect_label = f"Odds ratio, {treated} vs {ref} ({ad.label})"
    try:
        fit = glm(f"{outcome} ~ arm", d, family="binomial", **ad.model_kwargs())
    except (ModelError, FormulaError) as exc:
        result.note(f"{effect_label}: not estimable ({exc})")
        return
    row = (
        fit.tidy(conf_level=conf_level, exponentiate=True)
        .set_index("term")
        .loc[f"arm[T.{treated}]"]
    )
    se = float(fit.bse[f"arm[T.{treated}]"])
    method = _method(ad, "svyglm(quasibinomial) odds ratio, t test and interval")
    _effect(
        result,
        var,
        "odds_ratio",
        effect_label,
        method,
        float(row["estimate"]),
        se,
        float(row["conf_low"]),
        float(row["conf_high"]),
        float(row["p_value"]),
        len(d),
    )
    rare = float(y.mean()) < RARE_THRESHOLD
    _evalue_records(
        result,
        var,
        "odds_ratio",
        float(row["estimate"]),
        float(row["conf_low"]),
        float(row["conf_high"]),
        "OR",
        rare,
        ad,
    )


def adjusted_survival(
    result,
    cohort,
    data: pd.DataFrame,
    time: str,
    event: str,
    variable: str,
    times: list[float],
    conf_level: float = 0.95,
    cox_formula: str | None = None,
    ties: str = "efron",
) -> dict[str, Any]:
    """Weighted Kaplan-Meier at ``times`` per arm, the weighted log-rank test (svylogrank)
    and the hazard ratio of a weighted Cox model with robust SE (``coxph(weights =, robust =
    TRUE)``; matched: ``+ cluster(pair)``). The Cox model is the endpoint's own
    ``cox_formula`` (e.g. ``Surv(t, e) ~ arm + age``: the arm's HR adjusted for age as well
    as weighted; rows missing a covariate dropped and counted in ``n``) when given, else
    ``Surv(time, event) ~ arm``. Returns figure data (the weighted curves)."""
    from mdsrs_core.models import coxph, survfit
    from mdsrs_core.models.svylogrank import svylogrank

    ad = adjusted_data(result, cohort, data, variable)
    if ad is None:
        return {}
    var = f"adjusted_{variable}"
    d = ad.data
    formula = f"Surv({time}, {event}) ~ arm"
    ref, treated = cohort.arms[0], cohort.arms[1]
    try:
        fit = survfit(formula, d, conf_level=conf_level, **_survfit_kwargs(ad))
    except (ModelError, FormulaError) as exc:
        result.note(f"Adjusted survival ({ad.label}): not estimable ({exc})")
        return {}
    km_method = _method(ad, "weighted Kaplan-Meier, log CI")
    summ = fit.summary(times=times, extend=False)
    for _, row in summ.iterrows():
        a = str(row["strata"]).split("=", 1)[-1]
        result.add_stats(
            var,
            [
                ("surv", float(row["surv"])),
                ("std_error", float(row["std_err"])),
                ("conf_low", float(row["conf_low"])),
                ("conf_high", float(row["conf_high"])),
            ],
            arm=a,
            level=f"{row['time']:g}",
            label=f"Survival at {row['time']:g} ({ad.label})",
            method=km_method,
        )
    _landmark_differences(result, var, summ, ref, treated, conf_level, len(d), ad)
    try:
        lr = svylogrank(formula, d, weights=ad.weights, cluster=ad.pairs)
        result.add_stats(
            var,
            [("statistic", lr.chisq), ("p_value", lr.p_value)],
            level="logrank",
            label=f"Weighted log-rank test ({ad.label})",
            method=_method(ad, "svylogrank (survey), design-based score test"),
        )
    except ModelError as exc:
        result.note(f"Weighted log-rank test ({ad.label}): not computed ({exc})")
    cox_formula = (cox_formula or formula) + (f" + cluster({PAIR})" if ad.pairs is not None else "")
    try:
        kwargs: dict[str, Any] = (
            {} if ad.pairs is not None else {"weights": ad.weights, "robust": True}
        )
        cox = coxph(cox_formula, d, ties=ties, **kwargs)
        term = f"arm[T.{treated}]"
        tidy = cox.tidy(conf_level=conf_level, exponentiate=True).set_index("term")
        if term not in tidy.index:
            raise ModelError(f"the Cox model {cox_formula} has no term {term}")
        row = cast(pd.Series, tidy.loc[term])  # one row: term is unique
        est, lo, hi = float(row["estimate"]), float(row["conf_low"]), float(row["conf_high"])
        others = [t for t in tidy.index if t != term]
        label = f"Hazard ratio, {treated} vs {ref} ({ad.label})"
        model = f"Cox model (coxph, {ties} ties) hazard ratio, robust Wald test and interval"
        if others:
            model += f"; {cox_formula}"
        method = _method(ad, model)
        _effect(
            result,
            var,
            "hazard_ratio",
            label,
            method,
            est,
            float(row["std_error"]),
            lo,
            hi,
            float(row["p_value"]),
            int(cox.nobs),
        )
        rare = float(pd.to_numeric(d[event]).mean()) < RARE_THRESHOLD
        _evalue_records(result, var, "hazard_ratio", est, lo, hi, "HR", rare, ad)
    except (ModelError, FormulaError) as exc:
        result.note(f"Adjusted hazard ratio ({ad.label}): not estimable ({exc})")
    curve = fit.curve()
    curve["strata"] = curve["strata"].str.split("=", n=1).str[-1]
    return {"adjusted_km": curve, "adjusted_label": ad.label}


def _landmark_differences(result, var, summ, ref, treated, conf_level, n, ad) -> None:
    """``<var>_landmark_diff`` records: the weighted (matched: pair-clustered) Kaplan-Meier
    survival of ``treated`` minus ``ref`` at each time both arms reach, as the unadjusted os
    endpoint reports it, with SE ``sqrt(se1^2 + se0^2)`` from the curves' robust (infinitesimal
    jackknife; matched: clustered) SEs -- the arms are weighted separately, so their curves
    are independent -- a Wald interval and a two-sided z test."""
    from mdsrs_core.stats import distributions as sps

    z = float(sps.norm.ppf(1.0 - (1.0 - conf_level) / 2.0))
    at = {
        (str(row["strata"]).split("=", 1)[-1], float(row["time"])): (
            float(row["surv"]),
            float(row["std_err"]),
        )
        for _, row in summ.iterrows()
    }
    times = sorted({t for a, t in at if a == ref} & {t for a, t in at if a == treated})
    method = _method(
        ad,
        f"difference in weighted Kaplan-Meier survival ({treated} - {ref}), SE "
        f"sqrt(se1^2 + se0^2) of the robust SEs, Wald {conf_level:.0%} CI, z test",
    )
    for t in times:
        (s1, se1), (s0, se0) = at[(treated, t)], at[(ref, t)]
        diff, se = s1 - s0, math.sqrt(se1**2 + se0**2)
        stat = diff / se if se > 0 else float("nan")
        p = float(2.0 * sps.norm.sf(abs(stat))) if se > 0 else float("nan")
        result.add_stats(
            f"{var}_landmark_diff",
            [
                ("estimate", diff),
                ("std_error", se),
                ("statistic", stat),
                ("p_value", p),
                ("conf_low", diff - z * se),
                ("conf_high", diff + z * se),
            ],
            level=f"{t:g}",
            label=f"Difference in survival at {t:g} months ({treated} - {ref}) ({ad.label})",
            method=method,
            n=n,
        )


def _survfit_kwargs(ad: AdjustedData) -> dict[str, Any]:
    if ad.pairs is not None:
        return {"cluster": ad.pairs}
    return {"weights": ad.weights}


def adjusted_mean_difference(
    result,
    cohort,
    data: pd.DataFrame,
    outcome: str,
    covariates: list[str],
    label: str,
    conf_level: float = 0.95,
) -> None:
    """Weighted mean per arm and the arm effect of a weighted ANCOVA ``outcome ~ arm +
    covariates`` (svyglm gaussian; matched: clustered on pairs)."""
    from mdsrs_core.models import lm

    ad = adjusted_data(result, cohort, data, outcome)
    if ad is None:
        return
    var = f"adjusted_{outcome}"
    _weighted_arm_averages(result, cohort, ad, outcome, var, "mean", "mean", label)
    d = ad.data
    treated = cohort.arms[1]
    formula = " + ".join([f"{outcome} ~ arm", *covariates])
    try:
        fit = lm(formula, d, **ad.model_kwargs())
    except (ModelError, FormulaError) as exc:
        result.note(f"{label} ({ad.label}): weighted ANCOVA not estimable ({exc})")
        return
    row = fit.tidy(conf_level=conf_level).set_index("term").loc[f"arm[T.{treated}]"]
    method = _method(ad, f"weighted ANCOVA {formula} (svyglm gaussian), t test and interval")
    _effect(
        result,
        var,
        "mean_difference",
        f"Difference in {label}, {treated} vs {cohort.arms[0]} ({ad.label})",
        method,
        float(row["estimate"]),
        float(row["std_error"]),
        float(row["conf_low"]),
        float(row["conf_high"]),
        float(row["p_value"]),
        len(d),
    )


def adjusted_ordinal(
    result, cohort, data: pd.DataFrame, outcome: str, label: str, conf_level: float = 0.95
) -> None:
    """The cumulative odds ratio of a weighted proportional-odds model ``outcome ~ arm``
    (``clm(weights =)`` with svyolr's sandwich SE; matched: clustered on pairs)."""
    from mdsrs_core.models import clm

    ad = adjusted_data(result, cohort, data, outcome)
    if ad is None:
        return
    var = f"adjusted_{outcome}"
    d = ad.data
    treated = cohort.arms[1]
    effect_label = (
        f"Cumulative odds ratio of a worse {label}, {treated} vs {cohort.arms[0]} ({ad.label})"
    )
    try:
        fit = clm(f"{outcome} ~ arm", d, **ad.model_kwargs())
    except (ModelError, FormulaError) as exc:
        result.note(f"{effect_label}: not estimable ({exc})")
        return
    term = f"arm[T.{treated}]"
    row = fit.tidy(conf_level=conf_level, exponentiate=True).set_index("term").loc[term]
    method = _method(ad, "weighted proportional-odds model (clm; svyolr sandwich), Wald z")
    _effect(
        result,
        var,
        "cumulative_odds_ratio",
        effect_label,
        method,
        float(row["estimate"]),
        float(fit.bse[term]),
        float(row["conf_low"]),
        float(row["conf_high"]),
        float(row["p_value"]),
        len(d),
    )


def adjusted_cuminc(
    result,
    cohort,
    data: pd.DataFrame,
    time: str,
    status: str,
    variable: str,
    cause: int,
    times: list[float],
    label: str,
    conf_level: float = 0.95,
) -> None:
    """Weighted Aalen-Johansen cumulative incidence of ``cause`` at ``times`` per arm, as
    ``survfit(Surv(time, factor(status)) ~ arm, weights = w)`` (matched: the matched rows,
    weight 1, IJ SE per pair): estimate, IJ standard error and R's "log" interval
    ``F exp(-/+ z se / F)``. Records under ``adjusted_<variable>`` (its flow included)."""
    from mdsrs_core.models._weighted_aj import weighted_cuminc
    from mdsrs_core.stats.distributions import norm

    ad = adjusted_data(result, cohort, data, variable)
    if ad is None:
        return
    var = f"adjusted_{variable}"
    d = ad.data
    z = float(norm.ppf(1 - (1 - conf_level) / 2))
    w = ad.weights if ad.weights is not None else pd.Series(1.0, index=d.index)
    at = np.asarray(times, dtype=float)
    method = _method(ad, "weighted Aalen-Johansen (survfit), infinitesimal-jackknife SE, log CI")
    arm = d["arm"].astype("object")
    for a in cohort.arms:
        sel = (arm == a).to_numpy()
        if not sel.any():
            continue
        est, se = weighted_cuminc(
            d.loc[sel, time].to_numpy(dtype=float),
            d.loc[sel, status].to_numpy(dtype=int),
            w[sel].to_numpy(dtype=float),
            cause,
            at,
            None if ad.pairs is None else pd.factorize(ad.pairs[sel])[0],
        )
        for t, f, s in zip(at, est, se, strict=True):
            with np.errstate(divide="ignore", invalid="ignore"):
                low = f * np.exp(-z * s / f) if f > 0 else np.nan
                high = min(1.0, f * np.exp(z * s / f)) if f > 0 else np.nan
            result.add_stats(
                var,
                [
                    ("estimate", float(f)),
                    ("std_error", float(s)),
                    ("conf_low", float(low)),
                    ("conf_high", float(high)),
                ],
                arm=a,
                level=f"{t:g}",
                label=f"{label} at {t:g} ({ad.label})",
                method=method,
            )


def finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)
