"""The survival modules' fast model frame and groups for grouping formulas
(``survival_groups``) give, field by field, what the formula layer's general path and
``formula_groups`` give (the survfit and survdiff values against R are in
test_models_survival.py)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from mdsrs_core import formula as fm
from mdsrs_core.formula import model_frame
from mdsrs_core.models._survival_groups import (
    _fast_group_frame,
    formula_groups,
    grouping_formula,
)

FORMULAS = [
    "Surv(t, e) ~ arm",
    "Surv(t, e) ~ arm + sex",
    "Surv(t, e) ~ strata(arm, age)",
    "Surv(t, e) ~ sex + strata(b)",
    "Surv(t, e) ~ age",
    "Surv(t, e) ~ k",
    "Surv(t, e) ~ arm + strata(k)",
]


def _general(formula, data):
    fm._FAST_DESIGN = False  # the formula layer's general path, not its own fast one
    try:
        frame = model_frame(grouping_formula(formula, data.columns), data, intercept=False)
    finally:
        fm._FAST_DESIGN = True
    return dataclasses.replace(frame, formula=formula)


def _data(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 50))
    d = pd.DataFrame(
        {
            "t": rng.integers(0, 20, n).astype(float),
            "e": rng.integers(0, 2, n),
            "arm": pd.Categorical(rng.choice(["x", "y"], n), categories=["y", "x", "w"]),
            "sex": rng.choice(["M", "F", None], n),
            "age": rng.choice([50.0, 60.5, np.nan], n),
            "b": rng.choice([True, False], n),
            # a nullable integer (an R integer column with NA, as the reader types it)
            "k": pd.array(rng.choice([1, 2, 3, None], n), dtype="Int64"),
        },
        index=[f"r{i}" for i in range(n)],
    )
    if seed % 3 == 0:
        d["e"] = d["e"].astype(bool)
    if seed % 5 == 0:
        d.loc[d.index[:2], "t"] = np.nan
    # nullable outcomes: the status (with an NA), the time as Int64 or Float64
    if seed % 4 == 1:
        d["e"] = pd.array(d["e"].astype(int), dtype="Int64")
        d.loc[d.index[-1], "e"] = pd.NA
    elif seed % 4 == 2:
        d["e"] = pd.array(d["e"].astype(bool), dtype="boolean")
    if seed % 3 == 1:
        d["t"] = pd.array(d["t"], dtype="Float64")
    elif seed % 3 == 2:
        d["t"] = pd.array(d["t"], dtype="Int64")
    return d


@pytest.mark.parametrize("formula", FORMULAS)
@pytest.mark.parametrize("seed", range(12))
def test_fast_group_frame_equals_general_path(formula, seed):
    data = _data(seed)
    fast = _fast_group_frame(formula, data)
    if fast is None:  # a shape (or data) the fast path leaves to the formula layer
        return
    frame, groups, strata = fast
    general = _general(formula, data)
    want = formula_groups(formula, general.variables)
    for got, expected in zip((groups, strata), want, strict=True):
        assert got.labels == expected.labels
        np.testing.assert_array_equal(got.codes, expected.codes)
    pd.testing.assert_frame_equal(frame.variables, general.variables)
    for f in dataclasses.fields(general):
        a, b = getattr(general, f.name), getattr(frame, f.name)
        if f.name in ("_data", "_variables", "_variable_columns"):
            continue  # the rows' variables: compared above (read when first asked for)
        if f.name == "_positions":  # a slice for every row, on the fast path
            np.testing.assert_array_equal(frame._row_positions(), general._row_positions())
            continue
        assert type(a) is type(b), f.name
        if isinstance(a, pd.DataFrame):
            pd.testing.assert_frame_equal(a, b, check_column_type=False)
        elif isinstance(a, pd.Series):
            pd.testing.assert_series_equal(a, b)
        elif isinstance(a, pd.Index):
            pd.testing.assert_index_equal(a, b)
        elif isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b)
            assert a.dtype == b.dtype, f.name
        else:
            assert a == b, f.name


def test_fast_group_frame_leaves_refused_data_to_the_formula_layer():
    data = _data(1).assign(t=-1.0)
    assert _fast_group_frame("Surv(t, e) ~ arm", data) is None
    data = _data(1).assign(e=2)
    assert _fast_group_frame("Surv(t, e) ~ arm", data) is None


@pytest.mark.parametrize("seed", [1, 2, 5])
def test_fast_group_frame_takes_nullable_columns(seed):
    # Int64 / boolean status with NA, Float64 / Int64 times, an Int64 grouping variable:
    # built on the fast path (the comparison above then checks it field by field)
    data = _data(seed)
    assert not all(isinstance(data[c].dtype, np.dtype) for c in ("t", "e", "k"))
    fast = _fast_group_frame("Surv(t, e) ~ arm + strata(k)", data)
    assert fast is not None
    frame, _, strata = fast
    expected = data[["t", "e", "arm", "k"]].dropna()
    assert list(frame.variables.index) == list(expected.index)
    assert frame.event.dtype == np.int64 and frame.time.dtype == np.float64
    assert strata.labels == [f"k={v}" for v in sorted(set(expected["k"]))]
