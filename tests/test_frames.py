"""select_rows: a row selection that copies nothing when every row is kept."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mdsrs_core.frames import select_rows


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
