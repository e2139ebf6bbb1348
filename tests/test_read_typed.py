"""The one-pass typed reader (mdsrs_core.io.read_typed) gives the cohort the careful reader
gives: same columns, dtypes, values, notes; same errors (it falls back to the careful reader).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mdsrs_core import io
from mdsrs_core.cohort import Cohort, _text_columns
from mdsrs_core.errors import CohortError
from mdsrs_core.validation import parse_columns

EXAMPLE = (
    Path(__file__).resolve().parent.parent / "mdsrs_core" / "example" / "data" / "patients.csv"
)


def _both(path: Path, monkeypatch, **kwargs):
    """(cohort or error text) by the typed reader, then by the careful reader alone."""

    def read():
        try:
            return Cohort.read(path, **kwargs)
        except CohortError as exc:
            return str(exc)

    fast = read()
    with monkeypatch.context() as m:
        m.setattr(io, "read_typed", lambda *a, **k: None)
        careful = read()
    return fast, careful


def _same(fast, careful):
    if isinstance(careful, str):
        assert fast == careful
        return
    assert not isinstance(fast, str), fast
    pd.testing.assert_frame_equal(fast.data, careful.data, check_exact=True)
    assert [str(t) for t in fast.data.dtypes] == [str(t) for t in careful.data.dtypes]
    assert fast.notes == careful.notes
    assert fast.derived == careful.derived


def _variant(tmp_path: Path, change, suffix: str = ".csv") -> Path:
    frame = pd.read_csv(EXAMPLE, dtype=str, keep_default_na=False)
    change(frame)
    path = tmp_path / f"cohort{suffix}"
    text = frame.to_csv(index=False, sep="\t" if suffix == ".tsv" else ",")
    path.write_text(text, encoding="utf-8")
    return path


def _ids(f):
    f["patient_id"] = [str(i + 1) for i in range(len(f))]


def _whole_floats(f):
    f["extra"] = [f"{i % 3}.0" for i in range(len(f))]


def _logical(f):
    f["flag"] = ["TRUE" if i % 2 else "FALSE" for i in range(len(f))]


def _short_logical(f):
    f["flag"] = ["T" if i % 2 else "F" for i in range(len(f))]


def _mixed(f):
    f["extra"] = [str(i) if i % 5 else "abc" for i in range(len(f))]


def _numbers_with_na(f):
    f["extra"] = [str(i) if i % 4 else "NA" for i in range(len(f))]


def _spelled_numbers(f):
    f["extra"] = ["inf", "1e3", "+5", ".5", "5.", "-0", "007"] * (len(f) // 7) + ["1"] * (
        len(f) % 7
    )


def _leading_spaces(f):
    f["age"] = [" " + v for v in f["age"]]


def _float_events(f):
    f["death"] = [v + ".0" if v else v for v in f["death"]]


def _bad_event(f):
    f.loc[3, "death"] = "2"


def _bad_number(f):
    f.loc[5, "hgb_base"] = "9,5"


def _text_in_number_column(f):
    f.loc[7, "plt_base"] = "many"


def _unicode(f):
    f["note"] = ["é" if i % 2 else "ü" for i in range(len(f))]


def _empty_column(f):
    f["empty"] = ""


def _big_integers(f):
    f["extra"] = [str(2**60 + i) for i in range(len(f))]


VARIANTS = [
    lambda f: None,
    _ids,
    _whole_floats,
    _logical,
    _short_logical,
    _mixed,
    _numbers_with_na,
    _spelled_numbers,
    _leading_spaces,
    _float_events,
    _bad_event,
    _bad_number,
    _text_in_number_column,
    _unicode,
    _empty_column,
    _big_integers,
]


@pytest.mark.parametrize("suffix", [".csv", ".tsv"])
@pytest.mark.parametrize("change", VARIANTS)
def test_typed_reader_gives_the_careful_readers_cohort(tmp_path, monkeypatch, change, suffix):
    path = _variant(tmp_path, change, suffix)
    _same(*_both(path, monkeypatch))


@pytest.mark.parametrize("change", VARIANTS)
def test_typed_reader_by_chunks_joins_them_as_one_read(tmp_path, monkeypatch, change):
    """Chunks of 7 rows: a column read as numbers in one chunk and as text in another, or
    without a value in one, is joined as the whole file's text would be read."""
    monkeypatch.setattr(io, "_CHUNK_ROWS", 7)
    path = _variant(tmp_path, change)
    _same(*_both(path, monkeypatch))


def test_codes_and_mapped_columns_are_read_as_text(tmp_path, monkeypatch):
    def coded(f):
        f["status"] = ["2" if v == "1" else "1" for v in f["death"]]
        f["sex"] = ["1" if v == "M" else "2" for v in f["sex"]]
        del f["death"]

    path = _variant(tmp_path, coded)
    options = {
        "columns": {"death": "status"},
        "codes": {"death": {1: 0, 2: 1}, "sex": {1: "M", 2: "F"}},
    }
    assert {"status", "sex", "patient_id", "arm"} <= _text_columns(options)
    _same(*_both(path, monkeypatch, **options))


def test_typed_reader_is_used_for_a_plain_file():
    frame = io.read_typed(EXAMPLE, _text_columns({}))
    assert frame is not None
    assert frame["age"].dtype == "int64" and frame["hgb_base"].dtype == "float64"
    assert frame["death"].dtype == object  # events are parsed by the cohort


@pytest.mark.parametrize(
    "text",
    [
        'a,b\n"1",2\n',  # quotes
        "a,b\r\n1,2\r\n",  # CR
        "a,b\n1,2 \n",  # a padded value
        "a,b\n1,2\n\n3,4\n",  # an empty line
        "a,b\n1\n",  # a short row
        "a,a\n1,2\n",  # a repeated name
        "a\n1\n",  # one column
        "\ufeffa,b\n1,2\n",  # a byte-order mark
    ],
)
def test_files_needing_the_careful_reader_are_left_to_it(tmp_path, text):
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8", newline="")
    assert io.read_typed(path, set()) is None


def test_a_header_without_rows_is_left_to_the_careful_reader(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("patient_id,arm\n", encoding="utf-8")
    assert io.read_typed(path, set()) is None


def test_typed_frame_holds_each_column_as_read_and_parsing_replaces_them_in_it(tmp_path):
    # memory at 10^6 rows: the typed frame keeps one block per column (no stacked copy of
    # them), and the cohort's parsing replaces each raw column in that same frame, so no
    # raw column outlives its parsed one
    frame = io.read_typed(EXAMPLE, _text_columns({}))
    assert frame._mgr.nblocks == frame.shape[1]
    raw_age = frame["age"].to_numpy()
    assert np.shares_memory(raw_age, frame._mgr.arrays[list(frame.columns).index("age")])
    parsed, problems = parse_columns(frame, own=True)
    assert parsed is frame and not problems
    assert frame["age"].dtype == "float64" and frame["death"].dtype != object
    # without own=True the input frame is left as it was
    again = io.read_typed(EXAMPLE, _text_columns({}))
    parsed, _ = parse_columns(again)
    assert parsed is not again and again["age"].dtype == "int64"
