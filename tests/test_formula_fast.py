"""The formula layer's fast path (intercept + main effects of plain columns, built without
patsy) gives exactly patsy's design matrix; its parse cache gives the same model frame."""

import numpy as np
import pandas as pd
import pytest

import mdsrs_core
from mdsrs_core import formula as fm
from mdsrs_core.errors import FormulaError


@pytest.fixture(scope="module")
def cohort():
    return mdsrs_core.load_example()


def _both(formula, data, **kwargs):
    fast = fm.model_frame(formula, data, **kwargs)
    fm._FAST_DESIGN = False
    try:
        slow = fm.model_frame(formula, data, **kwargs)
    finally:
        fm._FAST_DESIGN = True
    return fast, slow


@pytest.mark.parametrize(
    "formula",
    [
        "responder ~ arm",
        "hgb_post ~ arm + hgb_base",
        "Surv(os_months, death) ~ arm + age",
        "Surv(os_months, death) ~ age + arm",
        "Surv(os_months, death) ~ arm + strata(sex)",
        "ae_max_grade ~ arm + age + sex",
        "hgb_post ~ 1",
        "hgb_post ~ arm - 1",  # no intercept: patsy's full coding of arm
        "hgb_post ~ arm * age",  # an interaction: patsy
        "hgb_post ~ log(hgb_base) + arm",  # a function: patsy
    ],
)
def test_fast_design_equals_patsy(cohort, formula):
    fast, slow = _both(formula, cohort)
    pd.testing.assert_frame_equal(fast.design, slow.design)
    assert fast.n_dropped == slow.n_dropped and list(fast.dropped) == list(slow.dropped)
    pd.testing.assert_frame_equal(fast.data, slow.data)
    pd.testing.assert_frame_equal(fast.data, cohort.data.loc[fast.design.index])


def test_fast_design_with_missing_values_and_text_and_integer_columns():
    rng = np.random.default_rng(1)
    n = 40
    frame = pd.DataFrame(
        {
            "y": rng.normal(size=n),
            "g": pd.Categorical(rng.choice(["b", "a", "c"], size=n), categories=["c", "a", "b"]),
            "k": rng.integers(0, 5, size=n),
            "t": rng.choice(["x", "y"], size=n),  # text, not Categorical: patsy's levels
            "z": rng.normal(size=n),
        },
        index=[f"p{i}" for i in range(n)],
    )
    frame.loc[["p3", "p7"], "z"] = np.nan
    frame.loc["p5", "g"] = np.nan
    for formula in ("y ~ g + k", "y ~ g + z", "y ~ t + k", "y ~ k"):
        fast, slow = _both(formula, frame)
        pd.testing.assert_frame_equal(fast.design, slow.design)
        assert list(fast.dropped) == list(slow.dropped)
    fast, _ = _both("y ~ g + z", frame)
    assert list(fast.dropped) == ["p3", "p5", "p7"]
    assert list(fast.design.columns) == ["Intercept", "g[T.a]", "g[T.b]", "z"]


def test_one_level_factor_still_refused():
    frame = pd.DataFrame({"y": [1.0, 2.0, 3.0], "g": pd.Categorical(["a", "a", "a"])})
    with pytest.raises(FormulaError, match="has only one level"):
        fm.model_frame("y ~ g", frame)


def test_parse_cache_is_per_column_set():
    a = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "ph.ecog": [1.0, 0.0, 2.0, 1.0]})
    assert fm.model_frame("y ~ ph.ecog", a).term_names == ["ph.ecog"]
    b = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "ph": [1.0, 0.0, 2.0, 1.0]})
    with pytest.raises(FormulaError, match="ph.ecog"):
        fm.model_frame("y ~ ph.ecog", b)  # not a column here: not the cached answer


def _same_frame(fast, slow):
    pd.testing.assert_frame_equal(fast.design, slow.design)
    assert fast.n_input == slow.n_input and fast.n_dropped == slow.n_dropped
    pd.testing.assert_index_equal(fast.dropped, slow.dropped, exact=False)
    assert fast.term_names == slow.term_names and fast.outcome_name == slow.outcome_name
    if slow.outcome is None:
        assert fast.outcome is None
    else:
        pd.testing.assert_series_equal(fast.outcome, slow.outcome)
    for name in ("time", "event", "start", "weights"):
        a, b = getattr(fast, name), getattr(slow, name)
        assert (a is None) == (b is None), name
        if a is not None:
            np.testing.assert_array_equal(a, b)
            assert a.dtype == b.dtype, name
    if slow.strata is None:
        assert fast.strata is None
    else:
        pd.testing.assert_series_equal(fast.strata, slow.strata)
    pd.testing.assert_frame_equal(fast.variables, slow.variables)
    pd.testing.assert_frame_equal(fast.data, slow.data)


@pytest.mark.parametrize(
    "formula",
    [
        "responder ~ arm",
        "hgb_post ~ arm + hgb_base",
        "Surv(os_months, death) ~ arm + age",
        "Surv(os_months, death) ~ arm",
        "ae_max_grade ~ arm + age + sex",
        "hgb_post ~ 1",
        "~ arm + age",
        "Surv(os_months, death) ~ strata(arm)",
        "Surv(os_months, death) ~ arm + strata(sex, arm)",
    ],
)
def test_fast_model_frame_equals_the_general_path(cohort, formula):
    """The NumPy model frame (outcome, Surv, complete cases, unused levels) is the general
    path's, field by field, with and without the intercept."""
    for intercept in (True, False):
        _same_frame(*_both(formula, cohort, intercept=intercept))


def test_fast_model_frame_with_missing_values_and_unused_levels():
    rng = np.random.default_rng(7)
    n = 50
    frame = pd.DataFrame(
        {
            "y": rng.normal(size=n),
            "k": rng.integers(0, 3, size=n),
            "g": pd.Categorical(rng.choice(["a", "b"], size=n), categories=["z", "a", "b"]),
            "o": pd.Categorical(rng.choice(["lo", "mid"], size=n), categories=["lo", "mid", "hi"]),
            "t": rng.exponential(size=n),
            "e": rng.integers(0, 2, size=n).astype(bool),
            "z": rng.normal(size=n),
        },
        index=pd.Index([f"p{i}" for i in range(n)], name="id"),
    )
    frame.loc[["p1", "p8"], "z"] = np.nan
    frame.loc["p4", "g"] = np.nan
    frame.loc["p9", "t"] = np.nan
    formulas = ("y ~ g + z", "o ~ g + k", "Surv(t, e) ~ g + z", "k ~ z", "y ~ k + g")
    for formula in (*formulas, "Surv(t, e) ~ strata(g, k)", "Surv(t, e) ~ z + strata(o)"):
        _same_frame(*_both(formula, frame))
    fast, _ = _both("o ~ g + z", frame)
    assert list(fast.outcome.cat.categories) == ["lo", "mid"]  # drop.unused.levels
    assert list(fast.design.columns) == ["Intercept", "g[T.b]", "z"]


def test_fast_model_frame_with_nullable_columns():
    """Nullable numbers and booleans (Int64, Float64, boolean: how the reader types an R
    integer or logical column with NA) on the fast path: the general path's frame."""
    rng = np.random.default_rng(5)
    n = 60
    frame = pd.DataFrame(
        {
            "y": pd.array(rng.integers(0, 9, size=n), dtype="Int64"),
            "k": pd.array(rng.integers(0, 4, size=n), dtype="Int64"),
            "f": pd.array(rng.normal(size=n), dtype="Float64"),
            "t": pd.array(rng.integers(0, 30, size=n), dtype="Int64"),
            "e": pd.array(rng.integers(0, 2, size=n), dtype="Int64"),
            "b": pd.array(rng.integers(0, 2, size=n).astype(bool), dtype="boolean"),
            "g": pd.Categorical(rng.choice(["a", "b", "c"], size=n)),
            "z": rng.normal(size=n),
            "f2": pd.array(rng.exponential(size=n), dtype="Float64"),
        },
        index=pd.Index([f"p{i}" for i in range(n)], name="id"),
    )
    for column, row in (("y", 1), ("k", 3), ("f", 6), ("t", 10), ("e", 14), ("b", 20)):
        frame.loc[frame.index[row], column] = pd.NA
    formulas = (
        "y ~ k + g",
        "z ~ f + k",
        "Surv(t, e) ~ k + z",
        "Surv(t, b) ~ g",
        "Surv(f2, e) ~ f + strata(k)",
        "Surv(t, e) ~ g + strata(k, g)",
    )
    for formula in formulas:
        for intercept in (True, False):
            _same_frame(*_both(formula, frame, intercept=intercept))
    fast, _ = _both("Surv(t, e) ~ k + z", frame)
    assert fast._source is frame  # the fast path's frame, not the general one
    assert list(fast.dropped) == ["p3", "p10", "p14"]
    assert fast.event.dtype == np.int64 and fast.time.dtype == np.float64
    fast, _ = _both("y ~ k + g", frame)
    assert fast.outcome.dtype == "Int64"  # a nullable outcome stays nullable


def test_fast_model_frame_leaves_errors_to_the_general_path():
    frame = pd.DataFrame({"t": [1.0, -2.0, 3.0], "e": [1, 0, 1], "x": [0.1, 0.2, 0.3]})
    with pytest.raises(FormulaError, match="must be a number >= 0"):
        fm.model_frame("Surv(t, e) ~ x", frame)
    frame = pd.DataFrame({"t": [1.0, 2.0, 3.0], "e": [1, 2, 1], "x": [0.1, 0.2, 0.3]})
    with pytest.raises(FormulaError, match="must be 0/1"):
        fm.model_frame("Surv(t, e) ~ x", frame)
    frame = pd.DataFrame({"y": [1.0, np.nan], "x": [np.nan, 2.0]})
    with pytest.raises(FormulaError, match="No rows are left"):
        fm.model_frame("y ~ x", frame)


def test_fast_counting_process_frame_equals_the_general_path():
    """Surv(start, stop, event) on plain columns: the start times (negative ones too) and
    the complete cases as the general path has them."""
    rng = np.random.default_rng(11)
    n = 60
    t0 = rng.uniform(-1, 3, size=n)
    frame = pd.DataFrame(
        {
            "t0": t0,
            "t1": t0 + rng.exponential(size=n),
            "e": rng.integers(0, 2, size=n),
            "b": rng.integers(0, 2, size=n).astype(bool),
            "g": pd.Categorical(rng.choice(["a", "b", "c"], size=n), categories=["c", "a", "b"]),
            "z": rng.normal(size=n),
        },
        index=[f"p{i}" for i in range(n)],
    )
    frame.loc[["p2", "p9"], "z"] = np.nan
    frame.loc["p4", "t0"] = np.nan
    for formula in (
        "Surv(t0, t1, e) ~ g + z",
        "Surv(t0, t1, b) ~ z",
        "Surv(t0, t1, e) ~ g + strata(b)",
    ):
        for intercept in (True, False):
            fast, slow = _both(formula, frame, intercept=intercept)
            _same_frame(fast, slow)
            assert fast.start is not None and len(fast.start) == fast.nobs


def test_fast_counting_process_frame_leaves_errors_to_the_general_path():
    frame = pd.DataFrame({"a": [0.0, 2.0, 1.0], "b": [1.0, 2.0, 3.0], "e": [1, 0, 1]})
    frame["x"] = [0.1, 0.2, 0.3]
    with pytest.raises(FormulaError, match="must end after it starts"):
        fm.model_frame("Surv(a, b, e) ~ x", frame)
    frame.loc[1, "a"] = 0.5
    frame["e"] = [1, 2, 1]
    with pytest.raises(FormulaError, match="must be 0/1"):
        fm.model_frame("Surv(a, b, e) ~ x", frame)


def test_general_path_takes_the_formula_columns_when_first_read():
    # the model frame copies the formula's columns only when .variables is read (a Cox
    # fit on 10^6 intervals never does)
    frame = pd.DataFrame(
        {
            "t0": [0.0, 0.0, 2.0, 0.0, 1.0, 0.0],
            "t1": [2.0, 3.0, 5.0, 4.0, 6.0, 1.5],
            "e": [0, 1, 1, 0, 1, 1],
            "g": pd.Categorical(["a", "b", "b", "c", "a", "b"], categories=["a", "b", "c"]),
            "z": [0.5, 1.5, np.nan, 2.5, np.nan, 1.0],
            "other": list("uvwxyz"),
        },
        index=[f"p{i}" for i in range(6)],
    )
    mf = fm.model_frame("Surv(t0, t1, e) ~ g + z", frame)
    assert mf._variables is None
    got = mf.variables
    used = ["p0", "p1", "p3", "p5"]
    assert list(got.index) == used
    assert set(got.columns) == {"t0", "t1", "e", "g", "z"}
    assert list(got["g"].cat.categories) == ["a", "b", "c"]
    frame.loc["p3", "g"] = "a"  # the level c is then unused among the rows used: dropped
    again = fm.model_frame("Surv(t0, t1, e) ~ g + z", frame).variables
    assert list(again["g"].cat.categories) == ["a", "b"]
    np.testing.assert_array_equal(got["z"].to_numpy(), [0.5, 1.5, 2.5, 1.0])
    np.testing.assert_array_equal(got["t1"].to_numpy(), [2.0, 3.0, 4.0, 1.5])
    got.loc["p0", "z"] = 99.0  # a copy: the data given are not changed through it
    assert frame.loc["p0", "z"] == 0.5


@pytest.mark.parametrize(
    "formula, used",
    [
        ("hgb_post ~ arm + hgb_base", ("hgb_post", "arm", "hgb_base")),
        ("Surv(os_months, death) ~ age + strata(sex)", ("os_months", "death", "age", "sex")),
        ("hgb_post ~ log(hgb_base) + arm * age", ("hgb_post", "hgb_base", "arm", "age")),
        ("hgb_post ~ 1", ("hgb_post",)),
    ],
)
def test_formula_columns_names_what_the_model_frame_reads(cohort, formula, used):
    assert fm.formula_columns(formula, cohort.data.columns) == used
    # the model frame of those columns alone is the model frame of the whole cohort
    whole = fm.model_frame(formula, cohort.data)
    narrow = fm.model_frame(formula, cohort.data[list(used)])
    pd.testing.assert_frame_equal(whole.design, narrow.design)


def test_formula_columns_checks_the_formula(cohort):
    with pytest.raises(FormulaError, match="hgb_pots"):
        fm.formula_columns("hgb_pots ~ arm", cohort.data.columns)


def test_a_frame_of_every_row_holds_no_positions_array():
    """Every row used: the frame keeps a slice, not an n-sized array of positions; its
    data, variables and rows_of are those of the positions 0..n-1."""
    data = pd.DataFrame(
        {"t": [1.0, 2.0, 3.0, 4.0], "e": [1, 0, 1, 1], "x": [0.5, 1.5, 2.5, 3.5]},
        index=[7, 3, 9, 1],
    )
    mf = fm.model_frame("Surv(t, e) ~ x", data)
    assert mf._positions is fm.EVERY_ROW
    np.testing.assert_array_equal(mf._row_positions(), np.arange(4))
    pd.testing.assert_frame_equal(mf.data, data)
    assert not np.shares_memory(mf.data["t"].to_numpy(), data["t"].to_numpy())
    values = np.array([10, 20, 30, 40])
    taken = mf.rows_of(values)
    np.testing.assert_array_equal(taken, values)
    assert not np.shares_memory(taken, values)  # a new array, as a fancy index gives
    some = fm.model_frame("Surv(t, e) ~ x", data.assign(x=[0.5, np.nan, 2.5, 3.5]))
    np.testing.assert_array_equal(some._positions, [0, 2, 3])
    np.testing.assert_array_equal(some.rows_of(values), [10, 30, 40])
