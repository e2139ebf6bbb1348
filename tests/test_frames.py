"""select_rows: a row selection that copies nothing when every row is kept; analysis_columns:
the columns an analysis reads, shared with the cohort; shared_columns: named columns, shared."""

from __future__ import annotations

import numpy as np
import pandas as pd

import mdsrs_core
from mdsrs_core.frames import analysis_columns, select_rows, shared_columns


def frame() -> pd.DataFrame:
    return pd.DataFrame({"x": [1.0, 2.0, 3.0], "arm": ["a", "b", "a"]}, index=[10, 11, 12])


def test_every_row_kept_shares_the_arrays_and_new_columns_stay_local():
    original = frame()
    out = select_rows(original, [True, True, True])
    assert np.shares_memory(out["x"].to_numpy(), original["x"].to_numpy())
    out["y"] = out["x"] * 2
    out["x"] = 0.0  # replacing a column: the cohort keeps its own
    assert list(original.columns) == ["x", "arm"]
    assert original["x"].tolist() == [1.0, 2.0, 3.0]


def test_some_rows_left_out_gives_those_rows():
    original = frame()
    out = select_rows(original, pd.Series([True, False, True], index=original.index))
    assert out.index.tolist() == [10, 12]
    assert out["x"].tolist() == [1.0, 3.0]
    out["x"] = -1.0
    assert original["x"].tolist() == [1.0, 2.0, 3.0]


def test_no_row_kept():
    out = select_rows(frame(), np.zeros(3, dtype=bool))
    assert out.empty and list(out.columns) == ["x", "arm"]


def _buffer(series: pd.Series) -> np.ndarray:
    """The array holding a column's values (a Categorical's codes, a string array's)."""
    values = series.array
    if isinstance(values, pd.Categorical):
        return values.codes
    return getattr(values, "_ndarray", None) if hasattr(values, "_ndarray") else np.asarray(values)


def test_analysis_columns_are_the_named_and_the_formulas_columns_shared_with_the_cohort():
    data = mdsrs_core.load_example().data
    out = analysis_columns(
        data,
        ["os_months", "death", "not_in_the_data"],
        ["Surv(os_months, death) ~ arm + age + strata(sex)", "", "aml_t ~ log(hgb_base)"],
        added=("aml_t",),
    )
    assert list(out.columns) == [
        "patient_id",
        "arm",
        "os_months",
        "death",
        "age",
        "sex",
        "hgb_base",
    ]
    assert out.index.equals(data.index)
    for column in out.columns:
        assert out[column].dtype == data[column].dtype
        assert np.shares_memory(_buffer(out[column]), _buffer(data[column])), column
    # kept rows of those columns only; a new column stays the analysis's own
    kept = select_rows(out, (data["age"] > 60).to_numpy())
    kept["os_months"] = 0.0
    assert list(kept.columns) == list(out.columns) and (data["os_months"] > 0).all()


def test_analysis_columns_keeps_everything_where_it_cannot_tell():
    data = mdsrs_core.load_example().data
    # a formula naming an unknown column: the model's own call reports it
    assert list(analysis_columns(data, [], ["os_months ~ agee"]).columns) == list(data.columns)
    # an adjusted run: its analyses may read any covariate
    assert list(analysis_columns(data, [], [], adjustment=object()).columns) == list(data.columns)


def test_shared_columns_are_the_named_columns_in_order_sharing_the_arrays():
    data = mdsrs_core.load_example().data
    out = shared_columns(data, ["death", "arm", "age"])
    assert list(out.columns) == ["death", "arm", "age"]
    assert out.index.equals(data.index)
    for column in out.columns:
        assert out[column].dtype == data[column].dtype
        assert np.shares_memory(_buffer(out[column]), _buffer(data[column])), column
    out["age"] = 0.0  # a replaced column is the new frame's own
    assert (data["age"] > 0).all()
    empty = shared_columns(data, [])
    assert empty.shape == (len(data), 0) and empty.index.equals(data.index)


def test_in_arm_is_the_text_comparison_without_a_string_per_row():
    from mdsrs_core.frames import in_arm

    cases = [
        pd.Series(pd.Categorical(["b", "a", None, "b"], categories=["b", "a"])),
        pd.Series(["x", "y", "x", None], dtype=object),
        pd.Series([1, 2, 2, 1]),  # an arm coded by numbers, compared as text
        pd.Series(pd.Categorical([], categories=["a"])),
    ]
    for arm in cases:
        for name in [*map(str, pd.unique(arm.dropna())), "absent", "nan", "None"]:
            got = in_arm(arm, name)
            # a missing arm is in no arm (astype(str) would spell it 'nan' or 'None')
            want = ((arm.astype(str) == name) & arm.notna()).to_numpy()
            assert got.dtype == bool
            assert np.array_equal(got, want), (arm.tolist(), name)
