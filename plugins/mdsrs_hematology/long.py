"""Lab values in long form (``patient_id, visit, test, value``) and their mixed models.

The cohort has no slot for long-form labs yet; they reach the ``hematology`` endpoint through
its ``long_labs`` option (a file path) or through :func:`analyze_long_labs` (a DataFrame).
Each test (``hgb``, ``plt``, ``anc``; case-insensitive) is analysed with a linear mixed model
``value ~ arm * visit`` with a random intercept per patient (REML), R's
``lme4::lmer(value ~ arm * visit + (1 | patient_id), REML = TRUE)``; see
:mod:`mdsrs_core.models.mixedlm`. ``visit`` is a factor whose levels are sorted as R's
``factor()`` sorts them (numerically when every visit is a number), the first being the
reference.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from mdsrs_core.endpoint import EndpointResult
from mdsrs_core.validation import Problem, raise_problems

from .endpoint import LABS

__all__ = ["validate_long_labs", "analyze_long_labs", "add_long_lab_records"]

COLUMNS = ("patient_id", "visit", "test", "value")
_TIDY = ("estimate", "std_error", "statistic", "df", "p_value", "conf_low", "conf_high")


def validate_long_labs(
    frame: pd.DataFrame, cohort: Any, *, source: str = "long-form labs", from_file: bool = False
) -> pd.DataFrame:
    """Check a long lab table against the cohort; return it clean with the patients' arm.

    Every problem is listed in one :class:`~mdsrs_core.errors.CohortError`: missing columns,
    patients not in the cohort, tests other than hgb/plt/anc, values that are not numbers,
    empty visits, and the same patient, visit and test given twice. Empty values are
    missing: they are dropped (the returned frame's ``attrs["n_missing"]`` counts them).
    Returns ``patient_id, arm, visit (Categorical), test (lower case), value (float)``.
    """
    from mdsrs_core.errors import CohortError

    if not isinstance(frame, pd.DataFrame):
        raise CohortError(
            f"{source}: long-form labs must be a table (DataFrame), not {type(frame).__name__}."
        )
    absent = [c for c in COLUMNS if c not in frame.columns]
    if absent:
        raise CohortError(
            f"{source}: long-form labs need the columns patient_id, visit, test "
            f"and value; missing: {', '.join(absent)}."
        )
    labs = frame[list(COLUMNS)].copy()
    if from_file:
        labs = labs.reset_index(drop=True)
    problems: list[Problem] = []
    labs["patient_id"] = labs["patient_id"].astype("string").str.strip()
    known = set(cohort.data["patient_id"].astype(str))
    unknown = labs["patient_id"].isna() | ~labs["patient_id"].isin(known)
    if unknown.any():
        problems.append(
            Problem(
                "patient_id",
                f"patients not in the cohort ({cohort.source})",
                list(labs.index[unknown]),
                list(dict.fromkeys(labs.loc[unknown, "patient_id"].fillna("<empty>").tolist())),
            )
        )
    test = labs["test"].astype("string").str.strip().str.lower()
    bad_test = test.isna() | ~test.isin(list(LABS))
    if bad_test.any():
        problems.append(
            Problem(
                "test",
                "unknown test: the tests are " + ", ".join(LABS) + " (case does not matter)",
                list(labs.index[bad_test]),
                list(
                    dict.fromkeys(labs.loc[bad_test, "test"].fillna("<empty>").astype(str).tolist())
                ),
            )
        )
    raw = labs["value"]
    text = raw.astype("string").str.strip()
    empty = raw.isna() | (text == "")
    value = pd.to_numeric(text.where(~empty), errors="coerce")
    bad_value = ~empty & value.isna()
    if bad_value.any():
        problems.append(
            Problem(
                "value",
                "lab values must be numbers (decimal point '.')",
                list(labs.index[bad_value]),
                labs.loc[bad_value, "value"].astype(str).tolist(),
            )
        )
    visit = labs["visit"].astype("string").str.strip()
    no_visit = visit.isna() | (visit == "")
    if no_visit.any():
        problems.append(
            Problem("visit", "every lab value needs a visit", list(labs.index[no_visit]))
        )
    key = pd.DataFrame({"p": labs["patient_id"], "v": visit, "t": test})
    dup = key.duplicated(keep=False) & ~no_visit & ~bad_test & ~unknown
    if dup.any():
        problems.append(
            Problem(
                None,
                "the same patient, visit and test appear more than once "
                "(give one value per patient, visit and test)",
                list(labs.index[dup]),
            )
        )
    if problems:
        raise_problems(
            problems,
            source=source,
            source_columns={},
            row_label=(lambda i: str(int(i) + 2)) if from_file else str,
            row_word="row" if from_file else "index",
        )
    keep = ~empty
    out = pd.DataFrame(
        {
            "patient_id": labs["patient_id"].astype(str),
            "visit": visit,
            "test": test.astype(str),
            "value": value.astype(float),
        }
    )[keep.to_numpy()]
    arms = cohort.data.set_index(cohort.data["patient_id"].astype(str))["arm"]
    out["arm"] = pd.Categorical(out["patient_id"].map(arms).astype(str), categories=cohort.arms)
    out["visit"] = pd.Categorical(
        out["visit"].astype(str), categories=_visit_levels(out["visit"].astype(str))
    )
    out = out[["patient_id", "arm", "visit", "test", "value"]].reset_index(drop=True)
    out.attrs["n_missing"] = int(empty.sum())
    return out


def _visit_levels(visits: pd.Series) -> list[str]:
    levels = list(pd.unique(visits))
    numbers = pd.to_numeric(pd.Series(levels), errors="coerce")
    if numbers.notna().all():
        return [lv for _, lv in sorted(zip(numbers, levels, strict=True))]
    return sorted(levels)


def add_long_lab_records(
    result: EndpointResult,
    frame: pd.DataFrame,
    cohort: Any,
    *,
    formula: str = "value ~ arm * visit",
    conf_level: float = 0.95,
    source: str = "long-form labs",
    from_file: bool = False,
) -> tuple[set[str], list[str]]:
    """Validate ``frame`` and add one mixed model's records per test to ``result``.

    Returns the patients in at least one model and the short names of the tests modelled.
    Records use ``variable = "<test>_mixed"`` (see docs/endpoints/hematology.md).
    """
    from mdsrs_core.errors import ModelError
    from mdsrs_core.models import mixedlm

    labs = validate_long_labs(frame, cohort, source=source, from_file=from_file)
    if labs.attrs.get("n_missing"):
        result.note(
            f"{source}: {labs.attrs['n_missing']} row(s) with an empty value were "
            "left out of the mixed models."
        )
    used: set[str] = set()
    names: list[str] = []
    for lab, (short, _label, unit) in LABS.items():
        sub = labs[labs["test"] == lab]
        if sub.empty:
            continue
        var = f"{lab}_mixed"
        result.add(var, "formula", formula, label=f"{short}: mixed-model formula")
        visits = sub["visit"].cat.remove_unused_categories()
        arm_counts = sub.groupby("arm", observed=False)["patient_id"].nunique()
        for a in cohort.arms:
            result.add(
                var,
                "n",
                int(arm_counts.get(a, 0)),
                arm=a,
                label=f"{short}: patients with long-form values",
            )
            result.add(
                var,
                "n_obs",
                int((sub["arm"] == a).sum()),
                arm=a,
                label=f"{short}: long-form values",
            )
        if visits.cat.categories.size < 2 or (arm_counts == 0).any():
            result.note(
                f"{short} (long form): no mixed model (it needs two or more visits and "
                "patients in both arms)."
            )
            continue
        try:
            fit = mixedlm(
                formula, sub.assign(visit=visits), groups=None if "|" in formula else "patient_id"
            )
        except ModelError as err:
            result.note(f"{short} (long form): no mixed model ({err})")
            continue
        method = (
            f"Linear mixed model ({'REML' if fit.reml else 'ML'}, random intercept per "
            f"{fit.groups}; lme4::lmer); Wald t, nlme::lme denominator df"
        )
        for row in fit.tidy(conf_level=conf_level).itertuples(index=False):
            for stat in _TIDY:
                result.add(
                    var,
                    stat,
                    getattr(row, stat),
                    level=row.term,
                    label=f"{short} ({unit}): {row.term}",
                    method=method,
                    n=fit.nobs,
                )
        for row in fit.varcorr().itertuples(index=False):
            level = row.grp if row.term is None else f"{row.grp}: {row.term}"
            for stat in ("variance", "sd"):
                result.add(
                    var,
                    stat,
                    getattr(row, stat),
                    level=level,
                    label=f"{short}: variance component",
                    method=method,
                    n=fit.nobs,
                )
        g = fit.glance().iloc[0]
        for stat in ("nobs", "n_groups", "n_dropped", "sigma", "logLik"):
            value = g[stat]
            result.add(
                var,
                stat,
                float(value) if stat in ("sigma", "logLik") else int(value),
                label=f"{short}: mixed model",
                method=method,
                n=fit.nobs,
            )
        for text in fit.notes:
            result.note(f"{short} (long form): {text}")
        used |= set(fit.model_frame.data["patient_id"].astype(str))
        names.append(short)
    return used, names


def analyze_long_labs(
    frame: pd.DataFrame,
    cohort: Any,
    *,
    formula: str = "value ~ arm * visit",
    conf_level: float = 0.95,
    source: str = "long-form labs",
) -> EndpointResult:
    """Mixed models of lab values in long form, as an ``hematology`` :class:`EndpointResult`.

    ``frame`` has columns ``patient_id, visit, test, value`` (one row per patient, visit and
    test); ``cohort`` gives each patient's arm. Patients of the cohort with no value in any
    modelled test are excluded with the reason. See :func:`validate_long_labs` for the checks.
    """
    result = EndpointResult("hematology")
    used, _names = add_long_lab_records(
        result, frame, cohort, formula=formula, conf_level=conf_level, source=source
    )
    data = cohort.data
    ids = data["patient_id"].astype(str)
    inside = ids.isin(used)
    counts = data.loc[inside, "arm"].value_counts()
    result.analysed({a: int(counts.get(a, 0)) for a in cohort.arms})
    result.exclude(
        ids[~inside].tolist(),
        data.loc[~inside, "arm"].astype(str).tolist(),
        "no long-form lab value in any test modelled",
    )
    return result
