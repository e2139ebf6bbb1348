"""Does response prolong survival? Response as a time-dependent covariate, and a landmark.

Comparing the survival of responders with that of non-responders from the start of
treatment is biased in favour of the responders: a patient has to live long enough to
respond, so the responders' time before their response is "immortal" (guarantee-time bias;
Anderson, Cain & Gelber 1983). Two analyses avoid it, and the ``os`` endpoint reports both
beside the naive one (which it labels as biased):

* **Response as a time-dependent covariate** (Mantel & Byar 1974): each responder's
  follow-up is split at ``response_months`` into a non-responder interval
  ``(0, response_months]`` and a responder interval ``(response_months, os_months]``
  (R's ``tmerge(..., response = tdc(response_months))``); the counting-process Cox model
  ``Surv(tstart, tstop, death) ~ responded`` gives the hazard ratio of responding, and its
  score test is the Mantel-Byar test. The same model with ``+ arm`` adjusts it for arm.
* **Landmark analysis** at ``response_landmark`` months (Anderson, Cain & Gelber 1983):
  the patients alive and under follow-up beyond the landmark (``os_months > L``), grouped
  by response by the landmark (``response_months <= L``; later responses count as
  non-response), compared from the landmark on: Cox ``Surv(os_months - L, death) ~
  responded`` and the log-rank test.

Patients without a response status, and responders without ``response_months``, are left
out of both (counted, with the reason, in the ``os_response_flow`` records); the landmark
analysis also leaves out the patients who died or were censored by the landmark.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mdsrs_core.errors import FormulaError, ModelError, StudyError
from mdsrs_core.frames import analysis_columns, select_rows, shared_columns
from mdsrs_core.models import coxph, survdiff
from mdsrs_core.variables import RESPONDER_LEVELS

__all__ = ["analyze_response_survival", "landmark_data", "split_at_response"]

TD_FORMULA = "Surv(tstart, tstop, death) ~ responded"
TD_ARM_FORMULA = "Surv(tstart, tstop, death) ~ responded + arm"
NAIVE_FORMULA = "Surv(os_months, death) ~ responded"
LANDMARK_FORMULA = "Surv(time_from_landmark, death) ~ responded"

MD_METHOD = (
    "Response as a time-dependent covariate (Mantel & Byar 1974): follow-up split at "
    "response_months, counting-process Cox model coxph(Surv(tstart, tstop, death) ~ "
    "responded{}), {} ties; hazard ratio with Wald {}% CI"
)
LANDMARK_METHOD = (
    "Landmark analysis at {} months (Anderson, Cain & Gelber 1983): patients alive and "
    "followed beyond the landmark, by response by the landmark; Cox model from the "
    "landmark, {} ties; hazard ratio with Wald {}% CI"
)
NAIVE_METHOD = (
    "Responders vs non-responders from the start of treatment, coxph(Surv(os_months, "
    "death) ~ responded): biased in favour of response (immortal time before response)"
)


def response_landmark(config) -> float | None:
    """The ``[endpoints.os] response_landmark`` option (months), or None when it is 0 (or
    false, in Python): no landmark analysis."""
    value = config.options.get("response_landmark")
    if value is None or value is False or value == 0:
        return None
    try:
        landmark = float(value)
    except (TypeError, ValueError):
        raise StudyError(
            "[endpoints.os] response_landmark must be a time in months (e.g. 6), or false "
            f"to leave the landmark analysis out; got {value!r}."
        ) from None
    if not landmark > 0:
        raise StudyError(f"[endpoints.os] response_landmark must be > 0; got {value!r}.")
    return landmark


def _eligible(data: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, list[str]], int]:
    """Rows with a response status (and a time for responders); the left-out ids by
    reason; and the number of non-responders whose ``response_months`` is ignored."""
    response = data["response"]
    responder = response.isin(RESPONDER_LEVELS)
    months = pd.to_numeric(data["response_months"], errors="coerce")
    no_status = response.isna()
    no_time = responder & months.isna()
    # os_months = 0 is valid data but leaves no (tstart, tstop] interval to split (R's tmerge
    # and coxph need tstop > tstart): such patients are left out here, with the reason
    no_follow_up = ~no_status & ~no_time & (pd.to_numeric(data["os_months"]) <= 0)
    left_out = {
        "response missing": data.loc[no_status, "patient_id"].astype(str).tolist(),
        "responder without response_months": data.loc[no_time, "patient_id"].astype(str).tolist(),
        "os_months = 0 (no follow-up interval)": data.loc[no_follow_up, "patient_id"]
        .astype(str)
        .tolist(),
    }
    ignored = int((~responder & ~no_status & months.notna()).sum())
    keep = (~no_status & ~no_time & ~no_follow_up).to_numpy()
    # the kept rows of the columns the models read (not the ids nor the response status,
    # which the left-out lists and ``responder`` above have taken)
    used = [c for c in data.columns if c not in ("patient_id", "response")]
    kept = select_rows(shared_columns(data, used), keep)
    # by position: a lookup by label would build (and keep) a hash table of the index
    is_responder = responder.to_numpy()[keep]
    kept["responder"] = is_responder.astype(np.int8)  # 0/1: a byte per patient
    kept["response_months"] = np.where(is_responder, months.to_numpy(dtype=float)[keep], np.nan)
    return kept, {k: v for k, v in left_out.items() if v}, ignored


def split_at_response(data: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """One row per ``(tstart, tstop]`` interval: a responder's follow-up split at
    ``response_months`` (``responded`` 0 before, 1 after; the death on the last row), as
    R's ``tmerge(d, d, id, death = event(os_months, death), responded =
    tdc(response_months))``. A response at the end of follow-up (``response_months ==
    os_months``) changes nothing; a response at 0 makes the whole follow-up a responder's.

    The rows keep the order of ``data``, each patient's intervals in time order;
    ``columns``: the columns of ``data`` to carry besides ``tstart``, ``tstop``,
    ``responded`` and ``death`` (default all)."""
    r = data["response_months"].to_numpy(dtype=float)
    t = data["os_months"].to_numpy(dtype=float)
    responder = data["responder"].to_numpy() == 1
    split = responder & (r > 0) & (r < t)
    from_start = responder & (r <= 0)
    death = data["death"].to_numpy()
    if columns is not None:
        data = data[list(dict.fromkeys(columns))]
    n = len(data)
    # row positions: every patient once, the split ones twice (second: after the response)
    position = np.concatenate([np.arange(n), np.flatnonzero(split)])
    order = np.argsort(position, kind="stable")
    take, after = position[order], order >= n
    rows = data.iloc[take].reset_index(drop=True)
    rows["tstart"] = np.where(after, r[take], 0.0)
    rows["tstop"] = np.where(after | ~split[take], t[take], r[take])
    # 0/1 columns of a byte per interval (10^6 patients: ~1.3 x 10^6 intervals, 9 MB less
    # for each while the time-dependent Cox models are fitted on them)
    responded = from_start[take].astype(np.int8)
    responded[after] = 1
    rows["responded"] = responded
    last = after | ~split[take]
    if death.dtype.kind in "iub":  # 0/1 (the os analysis has excluded any other value)
        events = np.zeros(len(take), dtype=np.int8)
        events[last] = death[take[last]]
    else:
        events = np.where(last, death[take], 0)
    rows["death"] = events
    return rows


def landmark_data(data: pd.DataFrame, landmark: float) -> tuple[pd.DataFrame, dict[str, int]]:
    """The patients alive and followed beyond ``landmark`` (``os_months > landmark``),
    ``responded`` = response by the landmark, ``time_from_landmark`` = ``os_months -
    landmark``; and the numbers left out (died / censored by the landmark)."""
    at_risk = data["os_months"] > landmark
    counts = {
        "died by the landmark": int((~at_risk & (data["death"] == 1)).sum()),
        "censored by the landmark": int((~at_risk & (data["death"] == 0)).sum()),
    }
    kept = select_rows(data, at_risk)
    by_then = (kept["responder"] == 1) & (kept["response_months"] <= landmark)
    counts["responded after the landmark (counted as non-responders)"] = int(
        ((kept["responder"] == 1) & ~by_then).sum()
    )
    kept["responded"] = by_then.astype(int)
    kept["time_from_landmark"] = kept["os_months"] - landmark
    return kept, counts


def _pct(conf_level: float) -> str:
    return f"{100 * conf_level:g}"


def _add_hr(result, fit, level, label, method, conf_level, n):
    """The hazard ratio of ``responded``; ``n`` = patients (a split patient has two rows)."""
    row = fit.tidy(conf_level=conf_level, exponentiate=True).set_index("term").loc["responded"]
    for stat in ("estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"):
        result.add(
            "os_response_hr", stat, float(row[stat]), level=level, label=label, method=method, n=n
        )


def _fit(result, formula, data, ties, what):
    try:
        return coxph(formula, data, ties=ties)
    except (ModelError, FormulaError) as err:  # on the split data: this analysis's note
        result.note(f"Response and survival: {what} not estimable. {err}")
        return None


def analyze_response_survival(result, data: pd.DataFrame, config, ties: str, conf_level: float):
    """Add the response-and-survival records to the ``os`` result (see the module doc).

    ``data`` are the patients of the ``os`` analysis. Nothing is added (with a note) when
    the cohort has no ``response`` or ``response_months``.
    """
    if "response" not in data.columns or "response_months" not in data.columns:
        missing = [c for c in ("response", "response_months") if c not in data.columns]
        result.note(
            "Response and survival (Mantel-Byar, landmark) not analysed: needs "
            f"{', '.join(missing)}, not in the data."
        )
        return
    landmark = response_landmark(config)
    # the columns these analyses read: rows selected from all of the cohort's columns would
    # copy every one of them (twice: the eligible patients, then the landmark's)
    data = analysis_columns(data, ["os_months", "death", "response", "response_months"])
    kept, left_out, ignored = _eligible(data)
    label_flow = "Response and survival: patients"
    for reason, ids in left_out.items():
        result.add("os_response_flow", "n", len(ids), level=f"excluded: {reason}", label=label_flow)
        result.note(
            f"Response and survival: {len(ids)} patients left out ({reason}): "
            f"{', '.join(ids[:10])}{' ...' if len(ids) > 10 else ''}."
        )
    if ignored:
        result.note(
            f"Response and survival: {ignored} non-responders have a response_months; it "
            "is ignored (only a response, CR/PR/mCR/HI, has a time to response)."
        )
    n_resp = int(kept["responder"].sum())
    result.add("os_response_flow", "n", len(kept), level="patients", label=label_flow)
    result.add("os_response_flow", "n", n_resp, level="responders", label=label_flow)
    if n_resp == 0 or n_resp == len(kept):
        result.note(
            "Response and survival not analysed: "
            + ("no patient responded." if n_resp == 0 else "every patient responded.")
        )
        return
    pct = _pct(conf_level)
    # ---------------------------------------------------------------- Mantel-Byar
    # the models' columns only: at 10^6 patients each carried column is ~10 MB more
    split = split_at_response(kept, ["arm"])
    result.add("os_response_flow", "n", len(split), level="intervals", label=label_flow)
    fit = _fit(result, TD_FORMULA, split, ties, "the time-dependent Cox model")
    if fit is not None:
        method = MD_METHOD.format("", ties, pct)
        label = "Response (time-dependent)"
        _add_hr(result, fit, "time_dependent", label, method, conf_level, len(kept))
        tests = fit.tests().set_index("test")
        for name, key, label in (
            ("mantel_byar", "score", "Mantel-Byar test (score test of the time-dependent Cox)"),
            ("likelihood_ratio", "likelihood_ratio", "Likelihood ratio test (time-dependent)"),
        ):
            for stat in ("statistic", "df", "p_value"):
                value = tests.loc[key, stat]
                result.add(
                    "os_response_test",
                    stat,
                    int(value) if stat == "df" else float(value),
                    level=name,
                    label=label,
                    method=method,
                    n=len(kept),
                )
    fit = None  # each fit holds its model frame and residuals: one at a time (10^6 rows)
    if kept["arm"].nunique() > 1:
        fit = _fit(result, TD_ARM_FORMULA, split, ties, "the time-dependent Cox model with arm")
        if fit is not None:
            method = MD_METHOD.format(" + arm", ties, pct)
            label = "Response (time-dependent), adjusted for arm"
            _add_hr(result, fit, "time_dependent_arm", label, method, conf_level, len(kept))
    fit = split = None
    naive = kept.copy(deep=False)  # one new column; assign() would copy every column
    naive["responded"] = kept["responder"]
    fit = _fit(result, NAIVE_FORMULA, naive, ties, "naive")
    if fit is not None:
        label = "Response from the start of treatment (naive, biased)"
        _add_hr(result, fit, "naive", label, NAIVE_METHOD, conf_level, len(kept))
    # ---------------------------------------------------------------- landmark
    if landmark is None:
        return
    level = f"{landmark:g}"
    fit = naive = None
    lm, counts = landmark_data(kept, landmark)
    label_lm = f"Landmark at {level} months: patients"
    for reason, k in counts.items():
        stat_level = reason if reason.startswith("responded after") else f"excluded: {reason}"
        result.add("os_response_landmark_flow", "n", k, level=stat_level, label=label_lm)
    n_by = int(lm["responded"].sum())
    result.add("os_response_landmark_flow", "n", len(lm), level="patients", label=label_lm)
    result.add("os_response_landmark_flow", "n", n_by, level="responders", label=label_lm)
    result.add(
        "os_response_landmark_flow", "n", int(lm["death"].sum()), level="deaths", label=label_lm
    )
    if n_by == 0 or n_by == len(lm) or not lm["death"].any():
        result.note(
            f"Landmark analysis at {level} months not done: among the {len(lm)} patients "
            f"at risk, {n_by} had responded and {int(lm['death'].sum())} died later."
        )
        return
    method = LANDMARK_METHOD.format(level, ties, pct)
    del kept
    fit = _fit(result, LANDMARK_FORMULA, lm, ties, f"the landmark Cox model at {level} months")
    if fit is not None:
        label = f"Response by {level} months (landmark)"
        _add_hr(result, fit, "landmark", label, method, conf_level, len(lm))
    fit = None
    test = survdiff("Surv(time_from_landmark, death) ~ responded", lm)
    for stat, value in (("statistic", test.chisq), ("df", test.df), ("p_value", test.p_value)):
        result.add(
            "os_response_test",
            stat,
            int(value) if stat == "df" else float(value),
            level="landmark_logrank",
            label=f"Log-rank test from the landmark at {level} months",
            method=f"Log-rank test (survdiff, rho = 0) from the landmark at {level} months",
            n=len(lm),
        )
