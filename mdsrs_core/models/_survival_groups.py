"""Groups of a survival formula's right-hand side, labelled as R's ``strata()`` labels them.

``survfit(Surv(t, e) ~ arm + sex)`` draws one curve per observed combination of ``arm``
and ``sex``, labelled ``"arm=lenalidomide, sex=F"``; ``survdiff`` compares those groups,
and its ``strata(x)`` terms form the strata. Levels are ordered as R orders them: the
categories of a pandas Categorical (the arm's reference level first), numbers by value,
text alphabetically; the first variable varies slowest.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mdsrs_core.errors import FormulaError
from mdsrs_core.formula import (
    EVERY_ROW,
    ModelFrame,
    _column_complete,
    _parse,
    _plain_values,
    _stratum_texts,
    _with_references,
    display_name,
    evaluate,
    model_frame,
    quote_names,
    split_formula,
    split_top_level,
)

__all__ = ["Groups", "formula_groups", "group_model_frame", "grouping_formula"]

_STRATA = re.compile(r"\s*strata\s*\((.*)\)\s*", re.DOTALL)


@dataclass
class Groups:
    """Integer codes 0..k-1 per row and the label of each code, in R's order."""

    codes: np.ndarray
    labels: list[str]

    @property
    def k(self) -> int:
        """Number of groups."""
        return len(self.labels)


def _value_text(value: object) -> str:
    """A value as R's ``as.character`` writes it (1 not 1.0, 15 significant digits)."""
    if isinstance(value, (bool, np.bool_)):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (float, np.floating)):
        if float(value).is_integer():
            return str(int(value))
        return f"{float(value):.15g}"
    return str(value)


def _factor(values: Any) -> tuple[np.ndarray, Any, bool]:
    """(codes, distinct values, whether categorical) of one variable (a Series or array):
    a Categorical's codes and categories, else pd.factorize's (order of appearance)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        cat = values.cat if isinstance(values, pd.Series) else values
        return np.asarray(cat.codes), cat.categories, True
    which, distinct = pd.factorize(values)
    return which, distinct, False


def _ordered_levels(
    which: np.ndarray, distinct: Any, categorical: bool
) -> tuple[np.ndarray, list[str]]:
    """Codes of the observed levels and their texts, in R's order: a Categorical's
    categories, numbers by value, text alphabetically."""
    if categorical:
        seen = np.bincount(which[which >= 0], minlength=len(distinct)) > 0
        cats = [c for c, s in zip(distinct, seen, strict=True) if s]
        remap = np.cumsum(seen) - 1
        return remap[which].astype(np.int64), [_value_text(c) for c in cats]
    uniq = list(distinct)
    numeric = all(isinstance(c, (int, float, np.number, bool, np.bool_)) for c in uniq)
    order = sorted(
        range(len(uniq)), key=(lambda i: uniq[i]) if numeric else (lambda i: str(uniq[i]))
    )
    rank = np.empty(len(uniq), dtype=np.int64)
    rank[order] = np.arange(len(uniq))
    return rank[which], [_value_text(uniq[i]) for i in order]


def _levels(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Codes of the observed levels of one variable, and their texts, in R's order."""
    return _ordered_levels(*_factor(values))


def _combine(frame: pd.DataFrame, codes_list: list[str], formula: str) -> Groups:
    """Groups formed by every observed combination of the variables in ``codes_list``."""
    n = len(frame)
    if not codes_list:
        return Groups(np.zeros(n, dtype=np.int64), [])
    per_var = []
    for code in codes_list:
        values = evaluate(code, frame, formula)
        codes, texts = _levels(values.reset_index(drop=True))
        per_var.append((display_name(code), codes, texts))
    return _combine_levels(per_var, n)


def _combine_levels(per_var: list[tuple[str, np.ndarray, list[str]]], n: int) -> Groups:
    """Groups of every observed combination of variables given as (name, level codes,
    level texts), the first varying slowest."""
    if not per_var:
        return Groups(np.zeros(n, dtype=np.int64), [])
    sizes = [len(texts) for _, _, texts in per_var]
    total = int(np.prod(sizes, dtype=float))
    if total <= max(4 * n, 1024):
        # one mixed-radix key per row (the first variable varies slowest): the observed
        # keys in increasing order are the combinations in R's order
        key = np.zeros(n, dtype=np.int64)
        for (_, codes, _), size in zip(per_var, sizes, strict=True):
            key = key * size + codes
        seen = np.bincount(key, minlength=total) > 0
        inverse = (np.cumsum(seen) - 1)[key]
        used = np.flatnonzero(seen)
        combos = np.empty((len(used), len(sizes)), dtype=np.int64)
        rest = used
        for j in range(len(sizes) - 1, -1, -1):
            combos[:, j] = rest % sizes[j]
            rest = rest // sizes[j]
    else:
        keys = np.column_stack([c for _, c, _ in per_var])
        combos, inverse = np.unique(keys, axis=0, return_inverse=True)
    labels = [
        ", ".join(f"{name}={texts[combo[j]]}" for j, (name, _, texts) in enumerate(per_var))
        for combo in combos
    ]
    return Groups(inverse.reshape(-1).astype(np.int64), labels)


def _group_terms(formula: str, columns=()) -> tuple[str, list[str], list[str]]:
    """(left-hand side, ordinary grouping terms, ``strata()`` arguments) of ``formula``."""
    lhs, plain, strata = _group_terms_cached(formula, tuple(map(str, columns)))
    return lhs, list(plain), list(strata)


@functools.lru_cache(maxsize=256)
def _group_terms_cached(
    formula: str, columns: tuple[str, ...]
) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    lhs, rhs = split_formula(quote_names(formula, columns))
    plain: list[str] = []
    strata: list[str] = []
    for term in split_top_level(rhs, "+"):
        term = term.strip()
        match = _STRATA.fullmatch(term)
        if match:
            strata.extend(a.strip() for a in split_top_level(match.group(1), ",") if a.strip())
        elif term in ("", "1"):
            continue
        elif ":" in term or "*" in term or term in ("0", "-1") or term.startswith("-"):
            raise FormulaError(
                f"The term {term!r} of the formula {formula!r} cannot define survival groups: "
                "list the grouping variables separated by '+' (e.g. '~ arm + sex') or use "
                "strata(arm, sex)."
            )
        else:
            plain.append(term)
    return lhs or "", tuple(plain), tuple(strata)


def grouping_formula(formula: str, columns=()) -> str:
    """``formula`` with every grouping variable inside ``strata()``.

    Handed to :func:`~mdsrs_core.formula.model_frame`, it drops the rows with a missing
    value in a grouping variable without building a design matrix (so a factor with a
    single observed level is allowed, as in R's ``survfit``).
    """
    lhs, plain, strata = _group_terms(formula, columns)
    variables = plain + strata
    rhs = f"strata({', '.join(variables)})" if variables else "1"
    return f"{lhs} ~ {rhs}"


def formula_groups(formula: str, data: pd.DataFrame) -> tuple[Groups, Groups]:
    """(groups of the ordinary terms, groups of the ``strata()`` terms) on ``data``.

    ``data`` holds the rows the model uses (``ModelFrame.data``). A term ``1`` (or none)
    gives no group variable; interactions are not group variables and are refused.
    """
    _, plain, strata = _group_terms(formula, data.columns)
    frame = data.reset_index(drop=True)
    return _combine(frame, plain, formula), _combine(frame, strata, formula)


def group_model_frame(formula: str, data: Any) -> ModelFrame:
    """The model frame of a survival formula whose right-hand side names groups:
    ``model_frame(grouping_formula(formula), data, intercept=False)`` with ``formula`` as
    given (rows with a missing value in the outcome or a grouping variable dropped and
    counted; no design matrix, so a factor with one observed level is allowed)."""
    return survival_groups(formula, data)[0]


def survival_groups(formula: str, data: Any) -> tuple[ModelFrame, Groups, Groups]:
    """:func:`group_model_frame` and :func:`formula_groups` of its rows: (frame, groups
    of the ordinary terms, groups of the ``strata()`` terms).

    The common shape -- ``Surv(time, event)`` of two numeric columns and grouping
    variables that are columns -- is built here on NumPy arrays: each variable coded once
    (its stratum texts made once per distinct value; the general path writes one text per
    row), the rows' variables taken only if read. Any other shape, or data that the
    general path would refuse, goes through :func:`~mdsrs_core.formula.model_frame`,
    which then gives its own message."""
    fast = _fast_group_frame(formula, data)
    if fast is not None:
        return fast
    columns = getattr(data, "data", data).columns
    frame = model_frame(grouping_formula(formula, columns), data, intercept=False)
    frame = dataclasses.replace(frame, formula=formula)
    if frame.time is None:  # not a survival outcome: the caller says so
        none = Groups(np.zeros(frame.nobs, dtype=np.int64), [])
        return frame, none, none
    groups, strata = formula_groups(formula, frame.variables)
    return frame, groups, strata


def _fast_group_frame(formula: str, data: Any) -> tuple[ModelFrame, Groups, Groups] | None:
    source = _with_references(data)
    columns = tuple(map(str, source.columns))
    if len(set(columns)) != len(columns):
        return None
    parsed = _parse(grouping_formula(formula, source.columns), columns)
    names = set(columns)
    if (
        not parsed.strata_codes  # '~ 1': the formula layer's own fast path
        or parsed.cluster_codes
        or len(parsed.surv_args) != 2
        or len(parsed.strata_codes) > 3
        or not all(c in names for c in parsed.surv_args + parsed.strata_codes)
    ):
        return None
    series = {c: source[c] for c in parsed.used}
    time_col, event_col = (series[c] for c in parsed.surv_args)
    if time_col.dtype.kind not in "iuf" or event_col.dtype.kind not in "biuf":
        return None
    n = len(source)
    complete = np.ones(n, dtype=bool)
    values_of: dict[str, np.ndarray] = {}  # the values of the columns that are not factors
    for name, column in series.items():
        if isinstance(column.dtype, pd.CategoricalDtype):
            complete &= column.cat.codes.to_numpy() >= 0
            continue
        # numbers (nullable ones as floats with NaN for NA), booleans and text; dates and
        # other extension types take the general path
        values = _plain_values(column)
        if values is None or values.dtype.kind not in "biufO":
            return None
        values_of[name] = values
        ok = _column_complete(values)
        if ok is not None:
            complete &= ok
    time_values, ev_values = (values_of[c] for c in parsed.surv_args)
    rows = np.flatnonzero(complete)
    if len(rows) == 0:
        return None
    all_rows = len(rows) == n
    time = time_values.astype(float, copy=False)
    time = time if all_rows else time[rows]
    if not (np.isfinite(time) & (time >= 0)).all():
        return None
    ev = ev_values if all_rows else ev_values[rows]
    if ev.dtype.kind != "b" and not np.isin(ev, (0, 1)).all():
        return None
    event = ev.astype(int)
    labels = source.index if all_rows else source.index[rows]
    # each grouping variable coded once: the groups and the stratum texts
    _, plain, strata_terms = _group_terms(formula, source.columns)
    coded = {}
    for code in parsed.strata_codes:
        column = series[code]
        if not all_rows:
            column = column.iloc[rows]
        coded[code] = _factor(column)
    texts = _stratum_texts(parsed.strata_codes, [coded[c][:2] for c in parsed.strata_codes])
    groups = [
        _combine_levels([(code, *_ordered_levels(*coded[code])) for code in terms], len(rows))
        for terms in (plain, strata_terms)
    ]
    if all_rows:
        dropped = source.index[:0]
    else:
        dropped = source.index[~complete]
    frame = ModelFrame(
        formula=formula,
        outcome=None,
        outcome_name=None,
        time=time.copy() if all_rows else time,
        event=event,
        design=pd.DataFrame(index=labels, columns=pd.Index([], dtype=object)),
        strata=pd.Series(texts, index=labels, name="strata"),
        n_input=n,
        n_dropped=len(dropped),
        dropped=dropped,
        term_names=[],
        _source=source,
        _positions=EVERY_ROW if all_rows else rows,
        _variable_columns=parsed.used,
    )
    return frame, groups[0], groups[1]
