"""The survival modules' fast model frame and groups for grouping formulas
(``survival_groups``) give, field by field, what the formula layer's general path and
``formula_groups`` give (the survfit and survdiff values against R are in
test_models_survival.py)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

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
]


def _general(formula, data):
    frame = model_frame(grouping_formula(formula, data.columns), data, intercept=False)
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
        },
        index=[f"r{i}" for i in range(n)],
    )
    if seed % 3 == 0:
        d["e"] = d["e"].astype(bool)
    if seed % 5 == 0:
        d.loc[d.index[:2], "t"] = np.nan
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
