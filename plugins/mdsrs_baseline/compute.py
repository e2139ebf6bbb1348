"""Computing the Table 1 records (no formatting here).

Continuous: n, mean, sd, median, p25, p75 (quantile type 2, gtsummary's), min, max,
n_missing; Wilcoxon rank-sum test (R ``wilcox.test``). Categorical: n and proportion of the
non-missing per level; chi-square without correction or Fisher's exact test by gtsummary's
rule. SMD for both (R package smd's definitions).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from mdsrs_core.stats.contingency import choose_test
from mdsrs_core.stats.describe import summarize_continuous
from mdsrs_core.stats.ranks import wilcox_test
from mdsrs_core.stats.smd import smd_categorical, smd_continuous
from mdsrs_core.validation import distinct_text
from mdsrs_core.variables import VARIABLES

from .endpoint import BASELINE_VARIABLES

_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}|^\d{1,2}[/.]\d{1,2}[/.]\d{2,4}$")
_CONTINUOUS_STATS = ("n", "mean", "sd", "median", "p25", "p75", "min", "max", "n_missing")


def choose_variables(cohort, option, categorical_below: int):
    """The variables of Table 1 with their kind, and the columns left out with the reason."""
    data = cohort.data
    if option not in (None, "auto"):
        if isinstance(option, str) or not all(isinstance(v, str) for v in option):
            from mdsrs_core.errors import StudyError

            raise StudyError(
                '[endpoints.baseline]: option variables must be "auto" or a list of '
                f"variable names, not {option!r}."
            )
        names = list(option)
        absent = cohort.missing(*names)
        if absent:
            from mdsrs_core.errors import StudyError

            raise StudyError(
                f"[endpoints.baseline] variables: {', '.join(absent)} not in the data."
            )
    else:
        names = [v for v in BASELINE_VARIABLES if v in data.columns]
        names += [c for c in data.columns if c not in VARIABLES and c not in cohort.derived]
    chosen, left_out = [], []
    for name in names:
        kind, why = _kind(data[name], name, categorical_below)
        if kind is None:
            left_out.append(f"{name} ({why})")
        else:
            chosen.append((name, kind))
    return chosen, left_out


#: Derived scores summarised as continuous although they take few distinct values.
CONTINUOUS_SCORES = ("ipssr_base_score", "ipssra_base_score")


def _kind(series: pd.Series, name: str, categorical_below: int):
    var = VARIABLES.get(name)
    if var is not None:
        return ("categorical" if var.kind == "category" else "continuous"), None
    if name in CONTINUOUS_SCORES:
        return "continuous", None
    if isinstance(series.dtype, pd.CategoricalDtype):
        return "categorical", None
    found = distinct_text(series)
    if found is not None:
        return _text_kind(*found, categorical_below)
    values = series.dropna()
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.notna().all() and len(values):
        return ("categorical" if numeric.nunique() < categorical_below else "continuous"), None
    text = values.astype(str)
    if len(text) and text.str.match(_DATE).mean() > 0.5:
        return None, "dates"
    if text.nunique() == len(text) and len(text) > categorical_below:
        return None, "a different value on every row, like an identifier"
    if text.nunique() > 2 * categorical_below:
        return None, f"{text.nunique()} different text values"
    return "categorical", None


def _text_kind(codes: np.ndarray, distinct: pd.Series, categorical_below: int):
    """:func:`_kind` of a text column from its distinct values and their row counts."""
    numeric = pd.to_numeric(distinct, errors="coerce")
    if numeric.notna().all():
        return ("categorical" if numeric.nunique() < categorical_below else "continuous"), None
    rows = np.bincount(codes[codes >= 0], minlength=len(distinct))
    dates = int(rows[distinct.str.match(_DATE).to_numpy(dtype=bool)].sum())
    if dates / int(rows.sum()) > 0.5:
        return None, "dates"
    if len(distinct) == int(rows.sum()) and len(distinct) > categorical_below:
        return None, "a different value on every row, like an identifier"
    if len(distinct) > 2 * categorical_below:
        return None, f"{len(distinct)} different text values"
    return "categorical", None


def _levels(series: pd.Series) -> list:
    if isinstance(series.dtype, pd.CategoricalDtype):
        return list(series.cat.categories)
    found = distinct_text(series)
    if found is not None:  # text: its distinct values, as numbers when all are
        numeric = pd.to_numeric(found[1], errors="coerce")
        if not numeric.notna().all():
            return sorted(found[1].tolist())
    values = series.dropna()
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.notna().all():
        return sorted(numeric.unique().tolist())
    return sorted(values.astype(str).unique().tolist())


def _as_levels(series: pd.Series) -> pd.Series:
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.astype(object)
    found = distinct_text(series)
    if found is not None and pd.to_numeric(found[1], errors="coerce").isna().any():
        return series.astype(object).where(series.notna(), None)  # text, missing as None
    numeric = pd.to_numeric(series, errors="coerce")
    if numeric.notna().sum() == series.notna().sum():
        return numeric.astype(object).where(series.notna())
    return (
        series.astype(object).where(series.notna(), None).map(lambda v: v if v is None else str(v))
    )


def analyze_baseline(result, cohort, config):
    data = cohort.data
    arms = cohort.arms
    chosen, left_out = choose_variables(
        cohort, config.options["variables"], int(config.options["categorical_below"])
    )
    counts = cohort.counts()
    result.analysed(counts)
    # the arms in display order ([arms] of the study), each labelled with its display name
    for arm in cohort.display_arms:
        result.add("arm", "N", counts[arm], arm=arm, label=cohort.arm_label(arm))
    result.add("arm", "N", cohort.n, label=cohort.label("arm"))
    shown = _statistic_shown(config.options)
    for name, kind in chosen:
        # one variable's failure stays in its row: its summaries and tests are what they
        # are, the rest of Table 1 is unaffected, and a note says why
        try:
            if kind == "continuous":
                _continuous(result, data, name, arms, cohort.label(name))
                # which summary Table 1 prints (a formatting choice, recorded for the formatter)
                result.add(
                    name,
                    "statistic_shown",
                    "mean_sd" if name in shown["mean"] or shown["all"] == "mean" else "median_iqr",
                    label=cohort.label(name),
                )
            else:
                _categorical(result, data, name, arms, cohort.label(name), seed=config.seed)
        except (ValueError, ArithmeticError, MemoryError) as exc:
            result.add(name, "p_value_omitted", str(exc), label=cohort.label(name))
            result.note(
                f"{cohort.label(name)}: the p-value is left out ({exc}); the rest of its row "
                "and of Table 1 is unaffected."
            )
    if left_out:
        result.note("Left out of Table 1: " + "; ".join(left_out) + ".")
    return result


def _statistic_shown(options) -> dict:
    """The options ``statistic`` ("median": median [Q1, Q3], gtsummary's default; "mean":
    mean (SD)) and ``mean`` (variables shown as mean (SD) whatever ``statistic`` says)."""
    from mdsrs_core.errors import StudyError

    which = str(options.get("statistic", "median")).lower()
    if which not in ("median", "mean"):
        raise StudyError(
            f'[endpoints.baseline] statistic must be "median" (median [Q1, Q3]) or "mean" '
            f"(mean (SD)), not {which!r}."
        )
    return {"all": which, "mean": set(options.get("mean") or ())}


def _continuous(result, data, name, arms, label):
    x = pd.to_numeric(data[name], errors="coerce").astype(float)
    groups = {arm: x[data["arm"] == arm].to_numpy() for arm in arms}
    for arm in [*arms, None]:
        values = x.to_numpy() if arm is None else groups[arm]
        summary = summarize_continuous(values)
        for stat in _CONTINUOUS_STATS:
            result.add(name, stat, summary[stat], arm=arm, label=label, n=summary["n"])
    ref, other = arms
    n = int(np.isfinite(x).sum())
    test = wilcox_test(groups[other], groups[ref])
    result.add(name, "p_value", test.p_value, label=label, method=test.method, n=n)
    result.add(name, "statistic", test.statistic, label=label, method=test.method, n=n)
    result.add(
        name,
        "smd",
        smd_continuous(groups[other], groups[ref]),
        label=label,
        method="Standardized mean difference",
        n=n,
    )


def _level_counts(values: pd.Series, levels: list, arm: pd.Series, arms: list):
    """Patients per level, per arm and in all (key ``None``): one pass over codes instead
    of one comparison per level and arm; ``None`` when a present value is not one of the
    levels (the comparisons then count)."""
    try:
        codes = pd.Categorical(values, categories=levels).codes
    except (TypeError, ValueError):
        return None
    if not np.array_equal(codes < 0, values.isna().to_numpy()):
        return None
    out = {None: np.bincount(codes[codes >= 0], minlength=len(levels))}
    for a in arms:
        mine = codes[(arm == a).to_numpy() & (codes >= 0)]
        out[a] = np.bincount(mine, minlength=len(levels))
    return out


def _categorical(result, data, name, arms, label, seed=None):
    values = _as_levels(data[name])
    levels = _levels(data[name])
    arm = data["arm"]
    counts = _level_counts(values, levels, arm, arms)
    for a in [*arms, None]:
        v = values if a is None else values[arm == a]
        present = v.dropna()
        n_total = int(present.shape[0])
        result.add(name, "N", n_total, arm=a, label=label)
        result.add(name, "n_missing", int(v.isna().sum()), arm=a, label=label)
        for j, level in enumerate(levels):
            k = int((present == level).sum()) if counts is None else int(counts[a][j])
            result.add(name, "n", k, arm=a, level=_level_text(level), label=label, n=n_total)
            result.add(
                name,
                "p",
                k / n_total if n_total else float("nan"),
                arm=a,
                level=_level_text(level),
                label=label,
                n=n_total,
            )
    complete = values.notna()
    if counts is None:
        table = np.array(
            [[int(((values == lv) & (arm == a)).sum()) for lv in levels] for a in arms]
        )
    else:
        table = np.array([[int(k) for k in counts[a]] for a in arms])
    n = int(complete.sum())
    if len(levels) < 2 or table.sum(axis=1).min() == 0:
        result.note(f"{label}: no test (fewer than two observed levels or an arm with no values).")
        return
    chosen = choose_test(table, seed=seed)
    test = chosen.result
    result.add(name, "p_value", test.p_value, label=label, method=test.method, n=n)
    if test.statistic is not None:
        result.add(name, "statistic", test.statistic, label=label, method=test.method, n=n)
    result.add(name, "test_rule", chosen.rule, label=label, method=test.method, n=n)
    if "simulated p-value" in test.method:
        replicates, used_seed = _simulation(test.note)
        result.add(name, "replicates", replicates, label=label, method=test.method, n=n)
        result.add(name, "seed", used_seed, label=label, method=test.method, n=n)
        result.note(
            f"{label}: Fisher's exact p-value cannot be computed for this {table.shape[0]} x "
            f"{len(levels)} table (R's fisher.test fails too); the p-value is R's Monte Carlo "
            f"one, fisher.test(simulate.p.value = TRUE), with {replicates} replicates and "
            f"seed {used_seed}."
        )
    ref, other = arms
    smd = smd_categorical(
        values[(arm == other) & complete], values[(arm == ref) & complete], levels=levels
    )
    result.add(name, "smd", smd, label=label, method="Standardized mean difference", n=n)


def _simulation(note: str | None) -> tuple[int, int]:
    """(replicates, seed) from a simulated test's note."""
    import re as _re

    found = _re.search(r"(\d+) replicates, seed (-?\d+)", note or "")
    if not found:  # pragma: no cover - fisher_test_simulated always writes both
        raise ValueError("a simulated p-value without its replicates and seed")
    return int(found.group(1)), int(found.group(2))


def _level_text(level) -> str:
    if isinstance(level, float) and level.is_integer():
        return str(int(level))
    return str(level)
