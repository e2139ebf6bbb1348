"""Computing the ``hematology`` records (no formatting here).

Records, per lab ``L`` in ``hgb``, ``plt``, ``anc`` whose two columns exist (see
docs/endpoints/hematology.md for the full list):

* ``L`` -- the lab's patient flow: ``n_analysed`` per arm and overall, ``n_excluded`` per arm
  with ``level`` = the reason; the ANCOVA: one record per statistic and term of the tidy table
  (``level`` = term), model figures ``nobs``, ``n_dropped``, ``sigma``, ``r_squared``,
  ``df_residual`` and the ``formula`` used.
* ``L_base``, ``L_post`` per arm -- n, mean, sd, median, p25, p75, min, max.
* ``L_change`` per arm -- the same summaries of post - base; ``level = "Paired t-test"``:
  estimate, std_error, conf_low, conf_high, statistic, df, p_value; ``level = "Wilcoxon signed
  rank test"``: statistic (V), p_value, test_rule. ``L_change`` with ``arm`` None, ``level =
  "Welch Two Sample t-test"``: the difference in mean change (treatment - reference) with its
  CI, statistic, df, p_value.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from mdsrs_core.errors import ModelError
from mdsrs_core.stats.describe import summarize_continuous
from mdsrs_core.stats.ranks import signed_rank_test, t_test

from .endpoint import LABS
from .methods import PAIRED, SIGNED_RANK, WELCH

SIGNED_RANK_RULE = (
    "R wilcox.test(paired = TRUE) default: exact when fewer than 50 non-zero "
    "differences and no ties or zero differences, otherwise the normal "
    "approximation with continuity correction"
)
_SUMMARY = ("n", "mean", "sd", "median", "p25", "p75", "min", "max")
_TIDY = ("estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high")


def analyze_hematology(result, cohort, config):
    data = cohort.data
    arms = cohort.arms
    conf_level = 1 - config.alpha
    # a patient is analysed when analysed for one lab: one flag per row (a set of 10^6 id
    # strings per lab would cost more than the analyses)
    analysed = np.zeros(len(data), dtype=bool)
    long_ids: set[str] = set()
    done: list[str] = []
    for lab, (short, _label, _unit) in LABS.items():
        base, post = f"{lab}_base", f"{lab}_post"
        absent = cohort.missing(base, post)
        if len(absent) == 2:
            result.note(f"{short}: not analysed ({base} and {post} are not in the data).")
            continue
        if absent:
            result.note(
                f"{short}: not analysed ({absent[0]} is not in the data; the lab needs "
                f"both {base} and {post})."
            )
            continue
        analysed |= _lab(result, data, lab, arms, config.formulas[lab], conf_level, config.alpha)
        _adjusted(result, cohort, data, lab, short, conf_level)
        done.append(short)
    long_path = str(config.options.get("long_labs") or "").strip()
    long_names: list[str] = []
    if long_path:
        from mdsrs_core.io import read_table

        from .long import add_long_lab_records

        path = Path(long_path).expanduser()
        frame = read_table(path)
        ids, long_names = add_long_lab_records(
            result,
            frame,
            cohort,
            formula=config.formulas["long"],
            conf_level=conf_level,
            source=str(path),
            from_file=True,
        )
        long_ids |= ids
    _endpoint_flow(result, data, done, long_names, analysed, long_ids)
    return result


def _adjusted(result, cohort, data, lab, short, conf_level):
    """The weighted ANCOVA of the post value on arm and the baseline value ([adjust])."""
    if getattr(cohort, "adjustment", None) is None:
        return  # not an adjusted run: no rows to select
    from mdsrs_core.adjust.analyses import adjusted_mean_difference

    base, post = f"{lab}_base", f"{lab}_post"
    ok = (
        pd.to_numeric(data[base], errors="coerce").notna()
        & pd.to_numeric(data[post], errors="coerce").notna()
    )
    adjusted_mean_difference(
        result, cohort, data[ok], post, [base], f"{short} after treatment", conf_level
    )


def _endpoint_flow(result, data, done, long_names, analysed, long_ids):
    """A patient is analysed when analysed for at least one lab (``analysed``: one flag
    per row of ``data``; ``long_ids``: the ids analysed in the long-form labs); excluded
    otherwise."""
    used = analysed
    if long_ids:
        used = used | data["patient_id"].astype(str).isin(long_ids).to_numpy()
    counts = data["arm"][used].value_counts()
    result.analysed({a: int(counts.get(a, 0)) for a in data["arm"].cat.categories})
    what = [*done, *(f"{n} (long form)" for n in long_names)]
    reason = (
        "no lab with both a before and an after value (" + ", ".join(what) + ")"
        if what
        else "no lab analysed"
    )
    out = ~used
    result.exclude(
        data["patient_id"][out].astype(str).tolist(), data["arm"][out].astype(str).tolist(), reason
    )


def _reason(short, has_base, has_post):
    if not has_base and not has_post:
        return f"no {short} before or after treatment"
    if not has_base:
        return f"no {short} before treatment"
    return f"no {short} after treatment"


def _lab(result, data, lab, arms, formula, conf_level, alpha):
    short, label, unit = LABS[lab]
    base, post = f"{lab}_base", f"{lab}_post"
    b = pd.to_numeric(data[base], errors="coerce").astype(float)
    p = pd.to_numeric(data[post], errors="coerce").astype(float)
    ok = b.notna() & p.notna()
    arm = data["arm"]

    # ---- per-lab flow
    has_b, has_p = b.notna().to_numpy(), p.notna().to_numpy()
    for a in arms:
        in_arm = (arm == a).to_numpy()
        result.add(
            lab,
            "n_analysed",
            int((ok.to_numpy() & in_arm).sum()),
            arm=a,
            label=f"{short}: patients analysed (before and after values)",
        )
        # the exclusion reasons of the arm's patients, counted by what is missing
        counts = {
            _reason(short, hb, hp): int((in_arm & (has_b == hb) & (has_p == hp)).sum())
            for hb, hp in ((False, False), (False, True), (True, False))
        }
        for reason in sorted(counts):
            if counts[reason]:
                result.add(
                    lab,
                    "n_excluded",
                    counts[reason],
                    arm=a,
                    level=reason,
                    label=f"{short}: patients excluded",
                )
    result.add(lab, "n_analysed", int(ok.sum()), label=f"{short}: patients analysed")
    n_out = int((~ok).sum())
    if n_out:
        result.note(
            f"{short}: {n_out} patient(s) without both a before and an after value are "
            "left out of this lab's analysis (see the per-lab flow)."
        )

    # ---- per arm: before, after, change
    groups: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    paired_p: dict[str, tuple[float | None, float | None]] = {}
    for a in arms:
        sel = ok & (arm == a)
        xb, xp = b[sel].to_numpy(), p[sel].to_numpy()
        groups[a] = (xb, xp)
        for var, values, when in ((base, xb, "before"), (post, xp, "after")):
            s = summarize_continuous(values)
            for stat in _SUMMARY:
                result.add(
                    var, stat, s[stat], arm=a, label=f"{label} {when} treatment ({unit})", n=s["n"]
                )
        change = xp - xb
        s = summarize_continuous(change)
        clabel = f"{label}: change after - before ({unit})"
        for stat in _SUMMARY:
            result.add(f"{lab}_change", stat, s[stat], arm=a, label=clabel, n=s["n"])
        paired_p[a] = (
            _paired_t(result, lab, a, xp, xb, clabel, conf_level),
            _signed_rank(result, lab, a, xp, xb, clabel),
        )
        pt, pw = paired_p[a]
        if pt is not None and pw is not None and (pt < alpha) != (pw < alpha):
            result.note(
                f"{short}, {a}: the paired t-test (p = {pt:.3g}) and the Wilcoxon "
                f"signed-rank test (p = {pw:.3g}) disagree at alpha = {alpha}."
            )
    # arrays, not lists of Python floats (4x the memory, and pickled to the drawing process)
    result.figures[lab] = {
        a: {
            "base": np.asarray(groups[a][0], dtype=float),
            "post": np.asarray(groups[a][1], dtype=float),
        }
        for a in arms
    }

    # ---- between arms
    ref, other = arms
    p_welch = _welch(result, lab, groups, ref, other, conf_level)
    p_ancova = _ancova(result, data, ok.to_numpy(), lab, formula, arms, conf_level)
    if p_welch is not None and p_ancova is not None and (p_welch < alpha) != (p_ancova < alpha):
        result.note(
            f"{short}: ANCOVA (p = {p_ancova:.3g}) and Welch's t-test on the change "
            f"(p = {p_welch:.3g}) disagree at alpha = {alpha}."
        )
    return ok.to_numpy()


def _paired_t(result, lab, a, xp, xb, clabel, conf_level):
    short = LABS[lab][0]
    try:
        t = t_test(xp, xb, paired=True, conf_level=conf_level)
    except ValueError as err:
        result.add(
            f"{lab}_change",
            "p_value",
            None,
            arm=a,
            level=PAIRED,
            label=clabel,
            method=PAIRED,
            n=len(xp),
        )
        result.note(f"{short}, {a}: no paired t-test ({err}; {len(xp)} patient(s)).")
        return None
    result.add_stats(
        f"{lab}_change",
        _t_test_stats(t),
        arm=a,
        level=PAIRED,
        label=clabel,
        method=t.method,
        n=len(xp),
    )
    return t.p_value


def _t_test_stats(t) -> list[tuple[str, float]]:
    """The records of a t-test: the mean (difference) with its standard error (estimate /
    t, as R's ``t.test`` reports ``stderr``), interval, t, df and p."""
    se = t.estimate / t.statistic if t.statistic else math.nan
    return [
        ("estimate", t.estimate),
        ("std_error", se),
        ("conf_low", t.conf_low),
        ("conf_high", t.conf_high),
        ("statistic", t.statistic),
        ("df", t.df),
        ("p_value", t.p_value),
    ]


def _signed_rank(result, lab, a, xp, xb, clabel):
    short = LABS[lab][0]
    if len(xp) == 0:
        result.add(
            f"{lab}_change",
            "p_value",
            None,
            arm=a,
            level=SIGNED_RANK,
            label=clabel,
            method=SIGNED_RANK,
            n=0,
        )
        result.note(f"{short}, {a}: no Wilcoxon signed-rank test (no patient analysed).")
        return None
    w = signed_rank_test(xp, xb)
    for stat, value in (
        ("statistic", w.statistic),
        ("p_value", w.p_value),
        ("test_rule", SIGNED_RANK_RULE),
    ):
        result.add(
            f"{lab}_change",
            stat,
            value,
            arm=a,
            level=SIGNED_RANK,
            label=clabel,
            method=w.method,
            n=len(xp),
        )
    if w.note:
        result.note(f"{short}, {a}: Wilcoxon signed-rank test: {w.note}.")
    if w.p_value != w.p_value:
        result.note(
            f"{short}, {a}: every change is 0, so the signed-rank test has no p-value (NA in R)."
        )
        return None
    return w.p_value


def _welch(result, lab, groups, ref, other, conf_level):
    short = LABS[lab][0]
    c_ref = groups[ref][1] - groups[ref][0]
    c_other = groups[other][1] - groups[other][0]
    n = len(c_ref) + len(c_other)
    label = f"{short}: difference in mean change, {other} - {ref}"
    try:
        t = t_test(c_other, c_ref, conf_level=conf_level)
    except ValueError as err:
        result.add(f"{lab}_change", "p_value", None, level=WELCH, label=label, method=WELCH, n=n)
        result.note(f"{short}: no Welch t-test on the change ({err}).")
        return None
    result.add_stats(
        f"{lab}_change",
        _t_test_stats(t),
        level=WELCH,
        label=label,
        method=t.method,
        n=n,
    )
    return t.p_value


def _ancova(result, data, ok, lab, formula, arms, conf_level):
    """The ANCOVA of ``formula`` (lm) on the rows ``ok`` of ``data``: only the formula's
    columns and ``arm`` are copied for those rows, not the whole cohort."""
    from mdsrs_core.formula import formula_columns
    from mdsrs_core.models import lm

    short = LABS[lab][0]
    result.add(lab, "formula", formula, label=f"{short}: ANCOVA formula")
    columns = list(dict.fromkeys(["arm", *formula_columns(formula, data.columns)]))
    frame = data.loc[ok, columns]
    counts = frame["arm"].value_counts()
    empty = [a for a in arms if counts.get(a, 0) == 0]
    if empty:
        result.note(f"{short}: no ANCOVA (no patient of {', '.join(empty)} has both values).")
        return None
    try:
        fit = lm(formula, frame)
    except ModelError as err:
        result.note(f"{short}: no ANCOVA ({err})")
        return None
    mf = fit.model_frame
    finite = (
        np.isfinite(mf.design.to_numpy(dtype=float)).all()
        and np.isfinite(pd.to_numeric(mf.outcome).to_numpy(dtype=float)).all()
    )
    if not finite:
        result.note(
            f"{short}: the ANCOVA formula {formula!r} gives infinite values (e.g. the "
            "log of 0) for some patients; no ANCOVA."
        )
        return None
    method = f"ANCOVA (lm: {formula}); t-test and t {100 * conf_level:g}% CI (confint.lm)"
    tidy = fit.tidy(conf_level=conf_level)
    arm_term = f"arm[T.{arms[1]}]"
    for row in tidy.itertuples(index=False):
        term_label = (
            f"{short}: adjusted difference, {arms[1]} - {arms[0]}"
            if row.term == arm_term
            else f"{short}: {row.term}"
        )
        for stat in _TIDY:
            result.add(
                lab,
                stat,
                getattr(row, stat),
                level=row.term,
                label=term_label,
                method=method,
                n=fit.nobs,
            )
    g = fit.glance().iloc[0]
    for stat in ("nobs", "n_dropped", "sigma", "r_squared", "df_residual"):
        value = g[stat]
        result.add(
            lab,
            stat,
            int(value) if stat in ("nobs", "n_dropped", "df_residual") else float(value),
            label=f"{short}: ANCOVA model",
            method=method,
            n=fit.nobs,
        )
    if fit.n_dropped:
        result.note(
            f"{short}: the ANCOVA drops {fit.n_dropped} patient(s) with missing values "
            f"in the other variables of {formula!r}."
        )
    if arm_term not in set(tidy["term"]):
        result.note(
            f"{short}: the ANCOVA formula {formula!r} has no '{arm_term}' term, so no "
            "adjusted difference between arms is reported."
        )
        return None
    interactions = [t for t in tidy["term"] if arm_term in t and t != arm_term]
    if interactions:
        result.note(
            f"{short}: the ANCOVA formula has interaction(s) with arm "
            f"({', '.join(interactions)}): the arm coefficient is the difference where "
            "the other variables are 0."
        )
    return float(tidy.loc[tidy["term"] == arm_term, "p_value"].iloc[0])
