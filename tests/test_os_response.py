"""Does response prolong survival? The ``os`` endpoint's time-dependent (Mantel-Byar) and
landmark analyses against R (tests/results/os_response.R -> os_response.csv), on the example
cohort and on survival's ``jasa`` (Stanford heart transplant) data, and their edge cases."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import read_reference

from mdsrs_core import load_example, run
from mdsrs_core.endpoint import EndpointConfig, EndpointResult
from mdsrs_core.errors import StudyError
from mdsrs_survival.endpoint import OverallSurvival
from mdsrs_survival.response_survival import (
    analyze_response_survival,
    landmark_data,
    split_at_response,
)

HERE = Path(__file__).parent
REFERENCE = HERE / "results" / "os_response.csv"
ROWS = read_reference(REFERENCE, ("variable", "arm", "level", "stat"))


def _key(r):
    return (r.variable, r.level or "", r.stat)


def _config(**options):
    endpoint = OverallSurvival()
    return EndpointConfig(formulas=endpoint.formulas, options={**endpoint.options, **options})


@pytest.fixture(scope="module")
def example_records():
    outcome = run(load_example(), only=["os"])["os"]
    assert outcome.status == "ok", outcome.reason
    return {_key(r): r for r in outcome.result.records if r.variable.startswith("os_response")}


def jasa_frame() -> pd.DataFrame:
    """jasa as an ``os`` cohort frame: transplant is the "response", wait.time its time."""
    j = pd.read_csv(HERE / "data" / "jasa.csv")
    j = j[j["futime"] > 0].reset_index(drop=True)  # as the R script: one day-0 death out
    return pd.DataFrame(
        {
            "patient_id": [f"J{i}" for i in range(len(j))],
            "arm": "all",
            "os_months": j["futime"].astype(float),
            "death": j["fustat"].astype(int),
            "response": np.where(j["transplant"] == 1, "CR", "SD"),
            "response_months": j["wait.time"],
        }
    )


@pytest.fixture(scope="module")
def jasa_records():
    result = EndpointResult("os")
    analyze_response_survival(result, jasa_frame(), _config(response_landmark=30), "efron", 0.95)
    return {_key(r): r for r in result.records}


@pytest.mark.parametrize(
    "variable, level, stat, expected",
    [(v, lv, s, x) for v, _, lv, s, x in ROWS if v.startswith("os_response")],
)
def test_example_against_r(example_records, variable, level, stat, expected):
    record = example_records[(variable, level, stat)]
    assert record.value == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize(
    "variable, level, stat, expected",
    [
        (v.replace("jasa_", "os_response_"), lv, s, x)
        for v, _, lv, s, x in ROWS
        if v.startswith("jasa_")
    ],
)
def test_jasa_against_r(jasa_records, variable, level, stat, expected):
    record = jasa_records[(variable, level, stat)]
    assert record.value == pytest.approx(expected, rel=1e-6)


def test_every_record_compared(example_records):
    compared = {(v, lv, s) for v, _, lv, s, _ in ROWS if v.startswith("os_response")}
    assert set(example_records) == compared


def test_naive_comparison_is_biased_on_jasa(jasa_records):
    """The classic: from acceptance, transplanted patients look much better (HR ~0.27);
    with transplant as a time-dependent covariate the benefit vanishes (HR ~1.04)."""
    naive = jasa_records[("os_response_hr", "naive", "estimate")].value
    td = jasa_records[("os_response_hr", "time_dependent", "estimate")].value
    assert naive < 0.3 < 1.0 < td


# ------------------------------------------------------------------------ splitting rules
def _frame(**columns):
    n = len(columns["os_months"])
    base = {"patient_id": [f"P{i}" for i in range(n)], "arm": ["a"] * n}
    return pd.DataFrame({**base, **columns})


def test_split_at_response_rows():
    data = _frame(
        os_months=[10.0, 8.0, 5.0, 4.0],
        death=[1, 0, 1, 1],
        responder=[1, 1, 1, 0],
        response_months=[3.0, 0.0, 5.0, np.nan],
    )
    split = split_at_response(data)
    rows = split[["patient_id", "tstart", "tstop", "responded", "death"]].values.tolist()
    assert rows == [
        ["P0", 0.0, 3.0, 0, 0],  # before the response: alive, non-responder
        ["P0", 3.0, 10.0, 1, 1],  # after: responder, the death
        ["P1", 0.0, 8.0, 1, 0],  # response at 0: a responder throughout
        ["P2", 0.0, 5.0, 0, 1],  # response at the end of follow-up: changes nothing
        ["P3", 0.0, 4.0, 0, 1],  # non-responder
    ]


def test_split_at_response_carries_only_the_columns_asked_for():
    data = _frame(
        os_months=[10.0, 8.0, 4.0],
        death=[1, 0, 1],
        responder=[1, 1, 0],
        response_months=[3.0, 2.0, np.nan],
    )
    narrow = split_at_response(data, ["patient_id"])
    assert list(narrow.columns) == ["patient_id", "tstart", "tstop", "responded", "death"]
    full = split_at_response(data)
    pd.testing.assert_frame_equal(narrow, full[list(narrow.columns)])
    assert narrow["death"].tolist() == [0, 1, 0, 0, 1]


def test_landmark_data_counts():
    data = _frame(
        os_months=[2.0, 3.0, 10.0, 12.0, 20.0],
        death=[1, 0, 1, 0, 1],
        responder=[0, 1, 1, 1, 0],
        response_months=[np.nan, 1.0, 4.0, 8.0, np.nan],
    )
    kept, counts = landmark_data(data, 6.0)
    assert counts == {
        "died by the landmark": 1,
        "censored by the landmark": 1,
        "responded after the landmark (counted as non-responders)": 1,
    }
    assert kept["patient_id"].tolist() == ["P2", "P3", "P4"]
    assert kept["responded"].tolist() == [1, 0, 0]
    assert kept["time_from_landmark"].tolist() == [4.0, 6.0, 14.0]


# ------------------------------------------------------------------------ patients left out
def test_missing_response_and_time_are_counted_and_named():
    data = load_example().data.copy()
    responders = data.index[data["response"].isin(["CR", "PR", "mCR", "HI"])]
    data.loc[responders[:2], "response_months"] = np.nan
    data.loc[data.index[-1], "response"] = np.nan
    data.loc[data.index[-1], "response_months"] = np.nan
    result = EndpointResult("os")
    analyze_response_survival(result, data, _config(), "efron", 0.95)
    flow = {r.level: r.value for r in result.records if r.variable == "os_response_flow"}
    assert flow["excluded: responder without response_months"] == 2
    assert flow["excluded: response missing"] == 1
    assert flow["patients"] == len(data) - 3
    assert any("2 patients left out (responder without response_months)" in n for n in result.notes)


def test_no_responders_gives_a_note_and_no_model():
    data = load_example().data.assign(response="SD", response_months=np.nan)
    result = EndpointResult("os")
    analyze_response_survival(result, data, _config(), "efron", 0.95)
    assert not [r for r in result.records if r.variable == "os_response_hr"]
    assert any("no patient responded" in n for n in result.notes)


def test_without_response_months_column_nothing_but_a_note():
    data = load_example().data.drop(columns="response_months")
    result = EndpointResult("os")
    analyze_response_survival(result, data, _config(), "efron", 0.95)
    assert result.records == []
    assert any("needs response_months" in n for n in result.notes)


@pytest.mark.parametrize("off", [0, False])
def test_landmark_switched_off(off):
    result = EndpointResult("os")
    analyze_response_survival(
        result, load_example().data, _config(response_landmark=off), "efron", 0.95
    )
    assert ("os_response_hr", "time_dependent", "estimate") in {_key(r) for r in result.records}
    assert not [r for r in result.records if r.variable == "os_response_landmark_flow"]


@pytest.mark.parametrize("value", [-3, "six"])
def test_bad_landmark_is_a_study_error(value):
    with pytest.raises(StudyError, match="response_landmark"):
        analyze_response_survival(
            EndpointResult("os"),
            load_example().data,
            _config(response_landmark=value),
            "efron",
            0.95,
        )


def test_tables_show_the_analyses(example_records):
    outcome = run(load_example(), only=["os"])["os"]
    tables = OverallSurvival().tables(outcome.result.records)
    table = tables["Response and survival"]
    text = table.to_string()
    assert "Mantel-Byar" in text and "landmark" in text.lower() and "naive" in text.lower()
    assert "0.65 (0.29, 1.47)" in text  # time-dependent HR of the example (R: 0.6527)


@pytest.mark.parametrize("value, message", [(-1, "from 0 to 1200 months"), ("6", "a number")])
def test_bad_landmark_in_the_study_settings(value, message):
    with pytest.raises(StudyError, match=f"response_landmark.*{message}"):
        run(load_example(), only=["os"], settings={"os": {"response_landmark": value}})


def test_landmark_off_in_the_study_settings():
    outcome = run(load_example(), only=["os"], settings={"os": {"response_landmark": 0}})["os"]
    assert outcome.status == "ok"
    assert not [r for r in outcome.result.records if r.variable == "os_response_landmark_flow"]


def test_split_at_response_holds_its_0_1_columns_as_bytes():
    data = _frame(
        os_months=[10.0, 8.0, 4.0],
        death=np.array([1, 0, 1], dtype=np.int8),
        responder=[1, 1, 0],
        response_months=[3.0, 2.0, np.nan],
    )
    split = split_at_response(data)
    assert split["responded"].dtype == np.int8 and split["death"].dtype == np.int8
    assert split["death"].tolist() == [0, 1, 0, 0, 1]
    floats = split_at_response(data.assign(death=[1.0, 0.0, 1.0]))  # as given otherwise
    assert floats["death"].tolist() == [0.0, 1.0, 0.0, 0.0, 1.0]
