"""Restricted mean survival time and per-arm parametric fits for the ``os`` endpoint.

* RMST by arm up to ``tau`` (``[endpoints.os] rmst_tau``, default the last landmark: 60
  months) as R's ``print(survfit(Surv(os_months, death) ~ arm), rmean = tau)``, and the
  difference and ratio between the arms as survRM2's ``rmst2``
  (:func:`mdsrs_core.models.rmst`). Records ``os_rmst`` (per arm), ``os_rmst_diff`` and
  ``os_rmst_ratio`` (between arms), level = tau.
* With ``[endpoints.os] parametric = "weibull"`` (or any :func:`~mdsrs_core.models.survreg`
  distribution), a ``Surv(os_months, death) ~ 1`` fit per arm (its own scale per arm):
  records ``os_parametric`` (intercept, log scale, scale, log-likelihood, AIC, the median
  with its delta-method standard error) and the fitted survival curve as figure data,
  drawn over the Kaplan-Meier curves.

Computation here; formatting (:func:`rmst_table`, :func:`rmst_summary`, and
:func:`~mdsrs_survival.figures.parametric_figure`) reads records and figure data only.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from mdsrs_core.errors import ModelError, StudyError

from .distributions import DIST_NAMES

RMST_FORMULA = "Surv(os_months, death) ~ arm"
RMST_METHOD = (
    "Restricted mean survival time: area under the Kaplan-Meier curve to {tau} months "
    "(print(survfit, rmean = {tau})), plug-in standard error of survival's survmean, "
    "Wald {pct}% CI"
)
DIFF_METHOD = "z test (RMST difference, survRM2 rmst2); se = sqrt(var1 + var0), Wald {pct}% CI"
RATIO_METHOD = (
    "z test (RMST ratio, survRM2 rmst2); delta method on the log scale "
    "(std_error, statistic on the log scale), {pct}% CI"
)
PARAMETRIC_METHOD = (
    "Parametric survival model per arm, survreg(Surv(os_months, death) ~ 1, dist = '{dist}'): "
    "maximum likelihood, R's parameterisation (log-time intercept, log scale)"
)


def _pct(conf_level: float) -> str:
    return f"{100 * conf_level:g}"


def rmst_tau(options, landmarks) -> float:
    """``rmst_tau`` from the options, or the last landmark."""
    tau = options.get("rmst_tau")
    if tau is None:
        return float(max(landmarks))
    try:
        value = float(tau)
    except (TypeError, ValueError):
        value = float("nan")
    if not (math.isfinite(value) and value > 0):
        raise StudyError(f"[endpoints.os] rmst_tau must be a time > 0 in months, not {tau!r}.")
    return value


def parametric_dist(options) -> str | None:
    """``parametric`` from the options: a survreg distribution, or None (no fit)."""
    from mdsrs_core.models.survreg import DISTS

    dist = options.get("parametric")
    if dist in (None, "", False):
        return None
    if dist not in DISTS:
        raise StudyError(
            f"[endpoints.os] parametric must be one of {', '.join(map(repr, DISTS))}, not {dist!r}."
        )
    return str(dist)


# --------------------------------------------------------------------------- computing


def add_rmst(result, km_fit, tau: float, conf_level: float, ref: str) -> None:
    """RMST records per arm and between arms (each other arm against ``ref``), from the
    Kaplan-Meier fit ``km_fit`` of :data:`RMST_FORMULA` (the ``os`` curves: R's
    ``print(survfit(...), rmean = tau)`` reads the same fit)."""
    from mdsrs_core.models.rmst import RmstResults

    level = f"{tau:g}"
    try:
        fit = RmstResults(km_fit, tau, conf_level)
        contrast = fit.contrast(reference=f"arm={ref}") if len(fit.strata) > 1 else None
    except ModelError as err:
        result.note(f"Restricted mean survival time to {level} months not reported: {err}")
        return
    pct = _pct(conf_level)
    method = RMST_METHOD.format(tau=level, pct=pct)
    label = f"Restricted mean survival to {level} months (months)"
    for row in fit.table().itertuples():
        arm = str(row.strata).removeprefix("arm=")
        result.add_stats(
            "os_rmst",
            [(s, float(getattr(row, s))) for s in ("rmst", "std_error", "conf_low", "conf_high")],
            arm=arm,
            level=level,
            label=label,
            method=method,
            n=int(row.n),
        )
    if contrast is None:
        return
    n = int(fit.table()["n"].sum())
    for row in contrast.itertuples():
        if row.contrast == "rmtl_ratio":
            continue
        other = str(row.strata).removeprefix("arm=")
        if row.contrast == "difference":
            variable, how = "os_rmst_diff", DIFF_METHOD.format(pct=pct)
            what = f"Difference in restricted mean survival to {level} months ({other} - {ref})"
        else:
            variable, how = "os_rmst_ratio", RATIO_METHOD.format(pct=pct)
            what = f"Ratio of restricted mean survival to {level} months ({other} / {ref})"
        result.add_stats(
            variable,
            [
                (s, float(getattr(row, s)))
                for s in ("estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high")
            ],
            level=level,
            label=what,
            method=how,
            n=n,
        )


def rmst_reading(result, alpha: float) -> None:
    """When cox.zph rejects proportional hazards (global p < alpha), say that the RMST
    difference is the measure to read."""
    by = {(r.variable, r.level, r.stat): r for r in result.records}
    glob = by.get(("os_ph", "GLOBAL", "p_value"))
    diff = [r for r in result.records if r.variable == "os_rmst_diff" and r.stat == "estimate"]
    if glob is None or not diff or not glob.value < alpha:
        return
    tau = diff[0].level
    result.note(
        f"Proportional hazards are rejected (cox.zph global p = {glob.value:.3g}), so the "
        "hazard ratio averages an effect that changes over time: read the difference in "
        f"restricted mean survival to {tau} months instead, which needs no such assumption."
    )


def add_parametric(result, data: pd.DataFrame, dist: str, arms, top: float) -> None:
    """Per-arm ``survreg(Surv(os_months, death) ~ 1, dist)`` records and curve data."""
    from mdsrs_core.models import survreg

    grid = np.linspace(0.0, top, 121)
    curves = {}
    method = PARAMETRIC_METHOD.format(dist=dist)
    for arm in arms:
        rows = data[data["arm"] == arm]
        if rows.empty:
            continue
        try:
            fit = survreg("Surv(os_months, death) ~ 1", rows, dist=dist)
        except ModelError as err:
            result.note(f"{DIST_NAMES[dist]} fit for the {arm} arm not done: {err}")
            continue
        g = fit.glance().iloc[0]
        med = fit.predict(rows.iloc[:1], type="quantile", p=[0.5], se_fit=True).iloc[0]
        tidy = fit.tidy().set_index("term")
        stats = [
            ("intercept", float(tidy.loc["Intercept", "estimate"])),
            ("intercept_std_error", float(tidy.loc["Intercept", "std_error"])),
        ]
        if "Log(scale)" in tidy.index:
            stats += [
                ("log_scale", float(tidy.loc["Log(scale)", "estimate"])),
                ("log_scale_std_error", float(tidy.loc["Log(scale)", "std_error"])),
            ]
        stats += [
            ("scale", float(g["scale"])),
            ("logLik", float(g["logLik"])),
            ("AIC", float(g["AIC"])),
            ("median", float(med["quantile"])),
            ("median_std_error", float(med["std_error"])),
        ]
        result.add_stats(
            "os_parametric",
            stats,
            arm=arm,
            level=dist,
            label=f"{DIST_NAMES[dist]} model of overall survival",
            method=method,
            n=int(g["nobs"]),
        )
        surv = fit.predict(rows.iloc[:1], type="survival", times=grid)["surv"]
        curves[arm] = {"time": grid.tolist(), "surv": surv.tolist()}
    if curves:
        result.figures["parametric"] = {"dist": dist, "arms": curves}


# --------------------------------------------------------------------------- formatting


def _fmt(value: float | None, digits: int = 1) -> str:
    from mdsrs_core.report.formatting import fmt_num

    return "NA" if value is None or value != value else fmt_num(value, digits)


def rmst_table(records) -> pd.DataFrame | None:
    """Per arm RMST (95% CI), and the difference and ratio with their p-values."""
    from mdsrs_core.report.formatting import fmt_p

    by = {(r.variable, r.arm, r.stat): r for r in records if r.variable.startswith("os_rmst")}
    arms = list(dict.fromkeys(r.arm for r in records if r.variable == "os_rmst" and r.arm))
    if not arms:
        return None
    tau = next(r.level for r in records if r.variable == "os_rmst")
    rows, index = [], []
    for arm in arms:
        est = by[("os_rmst", arm, "rmst")].value
        low, high = by[("os_rmst", arm, "conf_low")].value, by[("os_rmst", arm, "conf_high")].value
        index.append(arm)
        rows.append([f"{_fmt(est)} ({_fmt(low)}, {_fmt(high)})", ""])
    for variable, name, digits in (
        ("os_rmst_diff", "Difference (months)", 1),
        ("os_rmst_ratio", "Ratio", 2),
    ):
        est = by.get((variable, None, "estimate"))
        if est is None:
            continue
        low = by[(variable, None, "conf_low")].value
        high = by[(variable, None, "conf_high")].value
        index.append(name + est.label[est.label.rfind(" (") :])
        rows.append(
            [
                f"{_fmt(est.value, digits)} ({_fmt(low, digits)}, {_fmt(high, digits)})",
                fmt_p(by[(variable, None, "p_value")].value),
            ]
        )
    frame = pd.DataFrame(
        rows, index=index, columns=[f"Restricted mean survival to {tau} months (95% CI)", "p-value"]
    )
    frame.index.name = "Arm / contrast"
    return frame


def rmst_summary(records, arms):
    """The summary-table row of the RMST difference (None without RMST records)."""
    from mdsrs_core.endpoint import SummaryRow
    from mdsrs_core.report.naming import test_name

    by = {(r.variable, r.arm, r.stat): r for r in records if r.variable.startswith("os_rmst")}
    diff = by.get(("os_rmst_diff", None, "estimate"))
    if diff is None or any(("os_rmst", a, "rmst") not in by for a in arms):
        return None
    glob = next(
        (
            r
            for r in records
            if r.variable == "os_ph" and r.level == "GLOBAL" and r.stat == "p_value"
        ),
        None,
    )
    caveat = None
    if glob is not None and glob.value is not None and glob.value < 0.05:
        caveat = (
            f"Proportional hazards rejected (cox.zph global p = {glob.value:.3g}): the RMST "
            "difference, not the hazard ratio, is the measure to read."
        )
    p = by[("os_rmst_diff", None, "p_value")]
    return SummaryRow(
        "os",
        f"Restricted mean survival to {diff.level} months (months)",
        {a: _fmt(by[("os_rmst", a, "rmst")].value) for a in arms},
        effect="RMST difference (months)",
        estimate=diff.value,
        conf_low=by[("os_rmst_diff", None, "conf_low")].value,
        conf_high=by[("os_rmst_diff", None, "conf_high")].value,
        ratio=False,
        p_value=p.value,
        test=test_name(p.method),
        outcome=f"Restricted mean survival to {diff.level} months",
        better="higher",
        caveat=caveat,
    )
