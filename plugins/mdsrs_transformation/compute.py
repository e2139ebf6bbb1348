"""Statistics of the ``aml`` endpoint -> records (formatting lives in table.py)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from mdsrs_core.binary_outcome import CI_METHODS, compare_binary
from mdsrs_core.errors import FormulaError, ModelError, StudyError
from mdsrs_core.formula import model_frame, split_formula
from mdsrs_core.frames import analysis_columns, in_arm, select_rows

from .endpoint import CR_STATUS, CR_TIME

NEEDED = ("aml", "aml_months", "death", "os_months")
CRUDE_LABEL = "Transformation to AML (crude rate)"
#: cmprsk cause code -> (record variable, label)
CIF_VARIABLES = {
    1: ("aml_cif", "Cumulative incidence of AML"),
    2: ("death_without_aml_cif", "Cumulative incidence of death without AML"),
}
STATUS_LEVELS = {1: "aml", 2: "death_without_aml", 0: "censored"}
STATUS_RULE = (
    "Competing-risk status: 1 = transformation to AML at aml_months; 2 = death without AML "
    "(death = 1, aml = 0) at os_months; 0 = alive without AML, censored at os_months."
)
CS_VARIABLE = "aml_cause_specific"
FG_VARIABLE = "aml_subdistribution"


def _check_options(config) -> tuple[list[float], str, float, float]:
    raw = config.options.get("landmarks", [12, 36, 60])
    if isinstance(raw, (int, float)):
        raw = [raw]
    try:
        landmarks = sorted({float(t) for t in raw})
    except (TypeError, ValueError):
        raise StudyError(
            f"[endpoints.aml] landmarks = {raw!r}: give a list of times in "
            "months, e.g. [12, 36, 60]."
        ) from None
    if not landmarks or any(not math.isfinite(t) or t <= 0 for t in landmarks):
        raise StudyError(
            f"[endpoints.aml] landmarks = {raw!r}: every landmark must be a time > 0 (months)."
        )
    ci_method = str(config.options.get("ci_method", "clopper-pearson")).lower()
    if ci_method not in CI_METHODS:
        raise StudyError(
            f"[endpoints.aml] ci_method = {ci_method!r}: choose one of {', '.join(CI_METHODS)}."
        )
    conf_level = float(config.options.get("conf_level", 0.95))
    if not 0 < conf_level < 1:
        raise StudyError(
            f"[endpoints.aml] conf_level = {conf_level}: must lie strictly between 0 and 1."
        )
    rho = float(config.options.get("rho", 0))
    return landmarks, ci_method, conf_level, rho


def _exclusion_reasons(d: pd.DataFrame) -> pd.Series:
    """The reason each patient cannot be analysed (None when they can), first rule first.

    Vectorised (column by column): the rules are the same as one patient at a time, in
    the same order, and the reason names the variables in the order of ``NEEDED``."""
    n = len(d)
    reasons = np.full(n, None, dtype=object)
    open_ = np.ones(n, dtype=bool)  # no reason yet

    def rule(failing: dict[str, np.ndarray], text: str) -> None:
        nonlocal open_
        any_fail = np.zeros(n, dtype=bool)
        for m in failing.values():
            any_fail |= m
        hit = np.flatnonzero(any_fail & open_)
        for i in hit:
            names = ", ".join(v for v, m in failing.items() if m[i])
            reasons[i] = text.format(names)
        open_ &= ~any_fail

    rule({v: d[v].isna().to_numpy() for v in NEEDED}, "missing {}")
    num = {v: pd.to_numeric(d[v], errors="coerce").to_numpy(dtype=float) for v in NEEDED}
    rule({v: ~np.isin(num[v], (0.0, 1.0)) for v in ("aml", "death")}, "{} not coded 0/1")
    with np.errstate(invalid="ignore"):
        rule(
            {v: ~(np.isfinite(num[v]) & (num[v] >= 0)) for v in ("aml_months", "os_months")},
            "{} not a time >= 0",  # 0 is valid, as in R
        )
        late = {"aml_months": num["aml_months"] > num["os_months"]}
    rule(late, "aml_months > os_months (AML after the last follow-up)")
    return pd.Series(reasons, index=d.index, dtype=object)


def _formula_drops(formulas: dict[str, str], kept: pd.DataFrame) -> dict[object, str]:
    """Rows dropped by any formula for a missing covariate, with the reason."""
    drops: dict[object, str] = {}
    for key, formula in formulas.items():
        try:
            _, rhs = split_formula(formula)
            mf = model_frame(f"{CR_TIME} ~ {rhs}", kept, intercept=False)
        except FormulaError as err:
            raise StudyError(f"[endpoints.aml] formula {key} = {formula!r}: {err}") from None
        for idx in mf.dropped:
            drops.setdefault(idx, f"missing value in a covariate of {formula!r}")
    return drops


def _model_records(
    result, variable: str, fit, conf_level: float, label: str, method: str, trt: str, ref: str
) -> None:
    tidy = fit.tidy(conf_level=conf_level, exponentiate=True)
    for _, row in tidy.iterrows():
        term = str(row["term"])
        tlabel = f"{label}, {trt} vs {ref}" if term == f"arm[T.{trt}]" else f"{label}, {term}"
        for stat in ("estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"):
            result.add(
                variable,
                stat,
                float(row[stat]),
                level=term,
                label=tlabel,
                method=method,
                n=fit.nobs,
            )


def _cif_records(
    result,
    fit,
    landmarks: list[float],
    conf_level: float,
    arms: list[str],
    counts: dict[str, int],
    rho: float,
) -> None:
    pct = f"{100 * conf_level:g}%"
    method = (
        "Aalen-Johansen cumulative incidence (cmprsk::cuminc; variance of "
        f"cmprsk::timepoints); log(-log) {pct} CI"
    )
    summary = fit.summary(landmarks, conf_level=conf_level)
    for cause, (variable, label) in CIF_VARIABLES.items():
        if cause not in fit.causes:
            result.add(variable, "n_event", 0, label=label, n=sum(counts.values()))
            result.note(
                f"{label}: no event of this kind in the patients analysed; the "
                "cumulative incidence is 0 throughout."
            )
            continue
        for arm in arms:
            if arm not in fit.groups:
                continue
            rows = summary[(summary["group"] == arm) & (summary["cause"] == cause)]
            for row in rows.itertuples():
                level = f"{row.time:g}"
                tlabel = f"{label} at {level} months"
                common = dict(arm=arm, level=level, label=tlabel, method=method, n=counts[arm])
                if pd.isna(row.estimate):
                    result.add(variable, "estimate", None, **common)
                    result.note(
                        f"{tlabel}, {arm}: the landmark is after the arm's last "
                        "follow-up, so the cumulative incidence is not estimated "
                        "there (cmprsk::timepoints gives NA)."
                    )
                    continue
                result.add_stats(
                    variable,
                    [(s, float(getattr(row, s))) for s in ("estimate", "variance", "std_error")],
                    **common,
                )
                if pd.isna(row.conf_low):
                    result.add_stats(variable, [("conf_low", None), ("conf_high", None)], **common)
                    result.note(
                        f"{tlabel}, {arm}: the estimate is {row.estimate:g}, where "
                        "the log(-log) interval is not defined; no interval given."
                    )
                    continue
                result.add_stats(
                    variable,
                    [(s, float(getattr(row, s))) for s in ("conf_low", "conf_high")],
                    **common,
                )
        if len(fit.groups) > 1:
            test = fit.test(cause)
            gmethod = f"Gray's test (cmprsk::cuminc), rho = {rho:g}"
            glabel = f"{label}: Gray's test between arms"
            if not math.isfinite(test["p_value"]):
                result.note(
                    f"{glabel}: the covariance of the score is singular, so the test "
                    "is not defined (R's cuminc reports the statistic as -1)."
                )
                result.add(
                    variable,
                    "p_value",
                    None,
                    level="gray_test",
                    label=glabel,
                    method=gmethod,
                    n=fit.nobs,
                )
                continue
            for stat in ("statistic", "df", "p_value"):
                result.add(
                    variable,
                    stat,
                    test[stat],
                    level="gray_test",
                    label=glabel,
                    method=gmethod,
                    n=fit.nobs,
                )


def _numbers_at_risk(kept, arms, every: float = 12.0) -> dict:
    """Patients still under observation and free of both events at 0, 12, 24... months per
    arm (R's ``summary(survfit(Surv(time, status != 0) ~ arm), times = )$n.risk``: time >=
    t), on a grid to the longest follow-up, for the figure's numbers-at-risk table."""
    time = pd.to_numeric(kept[CR_TIME]).to_numpy(dtype=float)
    follow_up = float(time.max()) if time.size else 0.0
    grid = [float(t) for t in np.arange(0.0, follow_up + 1e-9, every)]
    n_risk = {}
    for a in arms:
        # times >= t counted by one sort and a binary search per grid time (a comparison
        # of every patient per grid time before; NaN is never >= t, so it is left out)
        mine = np.sort(time[in_arm(kept["arm"], a) & ~np.isnan(time)])
        n_risk[a] = [int(k) for k in len(mine) - np.searchsorted(mine, grid, side="left")]
    return {"times": grid, "n_risk": n_risk, "follow_up": follow_up}


def analyze_aml(result, cohort, config):
    landmarks, ci_method, conf_level, rho = _check_options(config)
    formulas = dict(config.formulas)
    lhs, _ = split_formula(formulas["crude"])
    if lhs is None or lhs.strip() != "aml":
        raise StudyError(
            f"[endpoints.aml] formula crude = {formulas['crude']!r}: the outcome "
            "(left of '~') must be aml."
        )
    arms = list(cohort.arms)
    ref, trt = arms[0], arms[-1]
    # the columns the analyses read (new columns are added to this frame, the cohort's
    # arrays stay as they are): the kept patients' rows of only these are copied
    d = analysis_columns(
        cohort.data,
        NEEDED,
        formulas.values(),
        added=(CR_TIME, CR_STATUS),
        adjustment=getattr(cohort, "adjustment", None),
    )

    # ---------------------------------------------------------------- patient flow
    reasons = _exclusion_reasons(d)
    for reason in pd.unique(reasons.dropna()):
        rows = reasons == reason
        result.exclude(d.loc[rows, "patient_id"], d.loc[rows, "arm"].astype(str), reason)
    kept = select_rows(d, reasons.isna())
    reasons = None  # an object per patient, not needed below (10^6 patients: 8 MB)
    for v in NEEDED:
        if not pd.api.types.is_numeric_dtype(kept[v]):  # a number column stays as it is
            kept[v] = pd.to_numeric(kept[v])
    # 0/1/2: a byte per patient
    kept[CR_STATUS] = np.where(kept["aml"] == 1, 1, np.where(kept["death"] == 1, 2, 0)).astype(
        np.int8
    )
    kept[CR_TIME] = np.where(kept["aml"] == 1, kept["aml_months"], kept["os_months"])
    if len(kept):
        drops = _formula_drops(formulas, kept)
        for reason in sorted(set(drops.values())):
            idx = [i for i, r in drops.items() if r == reason]
            result.exclude(kept.loc[idx, "patient_id"], kept.loc[idx, "arm"].astype(str), reason)
        if drops:  # drop() copies every column, even when it drops nothing
            kept = select_rows(kept, ~kept.index.isin(list(drops)))
    counts = {arm: int((in_arm(kept["arm"], arm)).sum()) for arm in arms}
    result.analysed(counts)
    result.note(STATUS_RULE)
    # a count, not the rows (a copy of every column, held to the end of the analysis)
    censored_aml = int(((kept["aml"] == 0) & (kept["aml_months"] != kept["os_months"])).sum())
    if censored_aml:
        result.note(
            f"{censored_aml} patient(s) without AML have aml_months different "
            "from os_months; the competing-risk analyses use os_months (the "
            "follow-up), the cause-specific Cox model the formula's times."
        )
    for arm in arms:
        status = kept.loc[in_arm(kept["arm"], arm), CR_STATUS]
        for code, level in STATUS_LEVELS.items():
            result.add(
                "aml_status",
                "n",
                int((status == code).sum()),
                arm=arm,
                level=level,
                label="Competing-risk status",
                method=STATUS_RULE,
                n=counts[arm],
            )
    if min(counts.values(), default=0) == 0:
        empty = [a for a, k in counts.items() if k == 0]
        result.note(f"No patient of {', '.join(empty)} could be analysed: no comparison.")
        return result

    # ---------------------------------------------------------------- crude rate
    compare_binary(
        result,
        kept,
        "aml",
        arms=arms,
        alpha=config.alpha,
        formula=formulas["crude"],
        label=CRUDE_LABEL,
        ci_method=ci_method,
        conf_level=conf_level,
    )
    from mdsrs_core.adjust.analyses import adjusted_binary

    adjusted_binary(result, cohort, kept, "aml", CRUDE_LABEL, conf_level)
    from mdsrs_core.adjust.analyses import adjusted_cuminc

    adjusted_cuminc(
        result,
        cohort,
        kept,
        CR_TIME,
        CR_STATUS,
        "aml_cif",
        1,
        landmarks,
        "Cumulative incidence of AML",
        conf_level,
    )

    # ---------------------------------------------------------------- cumulative incidence
    from mdsrs_core.models.cuminc import cuminc

    fit = cuminc(f"Surv({CR_TIME}, {CR_STATUS}) ~ arm", kept, rho=rho)
    _cif_records(result, fit, landmarks, conf_level, arms, counts, rho)
    # arrays, not lists of Python floats (4x the memory, and pickled to the drawing process)
    curves: dict[str, dict[str, dict[str, np.ndarray]]] = {}
    for cause, (variable, _) in CIF_VARIABLES.items():
        if cause not in fit.causes:
            continue
        key = variable.removesuffix("_cif")
        curves[key] = {}
        for arm in fit.groups:
            c = fit.curve_of(arm, cause)
            curves[key][arm] = {
                "time": np.asarray(c.time, dtype=float),
                "estimate": np.asarray(c.est, dtype=float),
            }
    result.figures["cif"] = curves
    result.figures["cif_risk"] = _numbers_at_risk(kept, arms)

    # ---------------------------------------------------------------- hazard ratios
    _hazard_ratios(result, kept, formulas, conf_level, trt, ref)
    return result


def _hazard_ratios(
    result, kept: pd.DataFrame, formulas: dict[str, str], conf_level: float, trt: str, ref: str
) -> None:
    from mdsrs_core.models import coxph
    from mdsrs_core.models.crr import crr

    pct = f"{100 * conf_level:g}%"
    n_aml = {arm: int(kept.loc[in_arm(kept["arm"], arm), "aml"].sum()) for arm in (ref, trt)}
    specs = (
        (
            CS_VARIABLE,
            "Cause-specific hazard ratio of AML",
            f"Cause-specific Cox model (survival::coxph, Efron ties; deaths without AML "
            f"censored); hazard ratio, Wald {pct} CI",
            formulas["cause_specific"],
            lambda f: coxph(f, kept),
        ),
        (
            FG_VARIABLE,
            "Subdistribution hazard ratio of AML (Fine-Gray)",
            f"Fine-Gray model (cmprsk::crr, failcode = 1; robust sandwich variance); "
            f"subdistribution hazard ratio, Wald {pct} CI",
            formulas["fine_gray"],
            lambda f: crr(f, kept, failcode=1, cencode=0),
        ),
    )
    for variable, label, method, formula, fitter in specs:
        zero = [a for a, k in n_aml.items() if k == 0]
        fit = None  # the last model's frame and residuals go before the next is fitted
        try:
            fit = fitter(formula)
        except ModelError as err:
            why = f"no transformation to AML in {', '.join(zero)}" if zero else str(err)
            result.add(variable, "estimable", False, label=label, method=method, n=len(kept))
            result.add(variable, "reason", why, label=label, method=method, n=len(kept))
            result.note(f"{label} ({formula}) is not estimable: {why}. {err}")
            continue
        result.add(variable, "estimable", True, label=label, method=method, n=fit.nobs)
        _model_records(result, variable, fit, conf_level, label, method, trt, ref)
