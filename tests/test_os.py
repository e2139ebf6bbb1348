"""Overall survival (`os`) on the example cohort and constructed cases against R
(tests/results/os.R -> os.csv, os.json)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
from conftest import read_reference

from mdsrs_core import Cohort, load_example, run

RESULTS = Path(__file__).parent / "results"
REFERENCE = RESULTS / "os.csv"
R = json.loads((RESULTS / "os.json").read_text())
PATIENTS = Path(__file__).parents[1] / "mdsrs_core" / "example" / "data" / "patients.csv"


def _key(r):
    return (r.variable, r.arm or "", r.level or "", r.stat)


def _run(cohort=None, settings=None):
    result = run(
        cohort or load_example(), only=["os"], settings={"os": settings} if settings else None
    )
    assert result["os"].status == "ok", result["os"].reason
    return result["os"]


@pytest.fixture(scope="module")
def outcome():
    return _run()


@pytest.fixture(scope="module")
def records(outcome):
    return {_key(r): r for r in outcome.result.records}


def _float(text):
    return float("nan") if text in ("NA", "", None) else float(text)


def r_values():
    return read_reference(REFERENCE, ("variable", "arm", "level", "stat"), na=float("nan"))


def _equal(value, expected):
    if math.isnan(expected):
        return value is None or (isinstance(value, float) and math.isnan(value))
    return value == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize(
    "variable, arm, level, stat, expected",
    r_values(),
    ids=lambda v: str(v) if not isinstance(v, float) else "",
)
def test_equals_r(records, variable, arm, level, stat, expected):
    assert _equal(records[(variable, arm, level, stat)].value, expected)


def test_every_number_is_checked_against_r(records):
    reference = {(v, a, lv, s) for v, a, lv, s, _ in r_values()}
    # the response-and-survival records are checked against os_response.R in test_os_response.py
    numbers = {k for k in records if k[3] != "estimable" and not k[0].startswith("os_response")}
    assert numbers == reference


def test_five_year_os_of_the_study_abstract(records):
    # the abstract: 5-year OS 75.00% (lenalidomide) vs 44.74% (thalidomide)
    assert records[("os_km", "lenalidomide", "60", "surv")].value == pytest.approx(0.75)
    assert records[("os_km", "thalidomide", "60", "surv")].value == pytest.approx(17 / 38)
    assert round(records[("os_km", "thalidomide", "60", "surv")].value, 4) == 0.4474


def test_methods_named(records):
    assert records[("os_logrank", "", "", "p_value")].method == "Log-rank test (survdiff, rho = 0)"
    assert records[("os_cox_test", "", "score", "p_value")].method == (
        "Score (logrank) test (coxph)"
    )
    assert "cox.zph" in records[("os_ph", "", "GLOBAL", "p_value")].method
    assert records[("os_landmark_diff", "", "60", "estimate")].method.startswith(
        "Difference in Kaplan-Meier survival (lenalidomide - thalidomide)"
    )
    assert records[("os_cox", "", "arm[T.lenalidomide]", "estimate")].label == (
        "Hazard ratio, lenalidomide vs thalidomide"
    )


def test_flow_and_notes(outcome):
    res = outcome.result
    assert res.n_analysed == {"thalidomide": 38, "lenalidomide": 24}
    assert res.exclusions == []
    assert "No evidence against proportional hazards (global p = 0.832)." in res.notes
    assert any(
        "Median overall survival not reached in the lenalidomide arm" in n for n in res.notes
    )


def test_km_figure_numbers_at_risk_equal_r(outcome):
    fig = outcome.result.figures["km"]
    assert fig["risk_table"]["times"] == pytest.approx(R["risk_table"]["times"])
    assert fig["risk_table"]["n_risk"] == R["risk_table"]["n_risk"]


@pytest.mark.parametrize("arm", ["thalidomide", "lenalidomide"])
def test_km_figure_curve_equals_r(outcome, arm):
    got = outcome.result.figures["km"]["arms"][arm]
    want = R["curve"][arm]
    for name in ("time", "surv", "n_risk", "n_event", "n_censor", "conf_low", "conf_high"):
        assert got[name] == pytest.approx(want[name], rel=1e-9), name
    assert got["censor_times"].tolist() == [
        t for t, c in zip(want["time"], want["n_censor"], strict=True) if c > 0
    ]
    # arrays of float64, not lists of Python objects (4x the memory at 10^6 patients)
    assert {name: got[name].dtype.kind for name in ("time", "surv", "conf_low")} == dict.fromkeys(
        ("time", "surv", "conf_low"), "f"
    )


def test_tables(outcome):
    tables = outcome.endpoint.tables(outcome.result.records)
    assert list(tables) == [
        "Kaplan-Meier survival at landmarks",
        "Median overall survival",
        "Log-rank test",
        "Cox model",
        "Proportional hazards (cox.zph)",
        "Landmark differences",
        "Restricted mean survival time",
        "Response and survival",
        "Response and survival: patients",
    ]
    km = tables["Kaplan-Meier survival at landmarks"]
    assert km.loc["60 months"].iloc[0].startswith("44.7% (31.4%, 63.7%)")
    assert km.loc["60 months"].iloc[2].startswith("75.0% (59.5%, 94.5%)")
    assert km.loc["60 months"].iloc[3] == "18 / 6"
    assert tables["Median overall survival"].loc["lenalidomide"].iloc[2] == "NR (NR, NR)"
    cox = tables["Cox model"]
    assert cox.loc["Hazard ratio, lenalidomide vs thalidomide"].iloc[0] == "0.38 (0.16, 0.88)"


# ------------------------------------------------------------------ constructed cases


def _frame():
    return pd.read_csv(PATIENTS)


def _case(name, frame, settings=None):
    out = _run(Cohort(frame, reference="thalidomide"), settings)
    got = {_key(r): r.value for r in out.result.records}
    want = {
        (r["variable"], r["arm"], r["level"], r["stat"]): _float(r["value"])
        for r in R["cases"][name]["records"]
    }
    # response-and-survival records: test_os_response.py (os_response.R)
    numbers = {k for k in got if k[3] != "estimable" and not k[0].startswith("os_response")}
    assert numbers == set(want)
    for key, value in want.items():
        assert _equal(got[key], value), key
    return out


def test_arm_without_deaths_hr_not_estimable_logrank_valid():
    frame = _frame()
    frame.loc[frame["arm"] == "lenalidomide", "death"] = 0
    out = _case("no_deaths_lenalidomide", frame)
    recs = {_key(r): r.value for r in out.result.records}
    assert recs[("os_cox", "", "", "estimable")] is False
    assert not any(k[0] == "os_ph" for k in recs)
    notes = " ".join(out.result.notes)
    assert "Hazard ratio not estimable" in notes and "log-rank test" in notes
    assert "The group arm=lenalidomide has no events" in notes
    table = out.endpoint.tables(out.result.records)["Cox model"]
    assert table.iloc[0, 0] == "not estimable"


def test_stratified_cox_and_log_rank():
    out = _case(
        "stratified", _frame(), {"formula": "Surv(os_months, death) ~ arm + age + strata(sex)"}
    )
    recs = {_key(r): r for r in out.result.records}
    assert recs[("os_logrank", "", "", "p_value")].method == (
        "Stratified log-rank test (survdiff, rho = 0; strata(sex))"
    )
    assert ("os_ph", "", "age", "p_value") in recs


def test_breslow_ties_option():
    _case("breslow", _frame(), {"ties": "breslow"})


def test_landmarks_option_and_landmark_beyond_follow_up():
    out = _case("landmarks", _frame(), {"landmarks": [24, 120, 171.7]})
    # 171.7 months is after the last follow-up of the lenalidomide arm (171.53), not of
    # the thalidomide arm (171.89): no difference there
    assert any("not estimated at 171.7 months" in n for n in out.result.notes)
    recs = {_key(r) for r in out.result.records}
    assert ("os_km", "thalidomide", "171.7", "surv") in recs
    assert ("os_landmark_diff", "", "171.7", "estimate") not in recs


def test_missing_times_excluded_with_reason():
    frame = _frame()
    frame["os_months"] = frame["os_months"].astype(float)
    frame["death"] = frame["death"].astype(float)
    # (the cohort checks demand os_months and death together: both are missing)
    frame.loc[[0, 4, 9], ["os_months", "death"]] = None
    out = _case("missing", frame)
    reasons = {e.patient_id: e.reason for e in out.result.exclusions}
    assert reasons == {
        frame.loc[i, "patient_id"]: "Overall survival: os_months and death missing"
        for i in (0, 4, 9)
    }
    assert sum(out.result.n_analysed.values()) == 59


def test_ph_verdict_words():
    from mdsrs_survival.compute import ph_verdict

    bad = pd.DataFrame({"term": ["arm", "GLOBAL"], "p_value": [0.02, 0.02]})
    assert ph_verdict(bad, 0.05) == (
        "Proportional hazards questionable for arm (p = 0.02); global p = 0.02: the hazard "
        "ratio may change over time; consider a landmark or time-varying analysis."
    )
    good = pd.DataFrame({"term": ["arm", "GLOBAL"], "p_value": [0.41, 0.41]})
    assert ph_verdict(good, 0.05) == "No evidence against proportional hazards (global p = 0.41)."


def test_bad_option_is_a_study_error():
    from mdsrs_core.errors import StudyError

    with pytest.raises(StudyError, match="landmarks"):
        run(load_example(), only=["os"], settings={"os": {"landmarks": [0, 12]}})


def test_no_deaths_at_all_gives_counts_and_a_note():
    frame = _frame()
    frame["death"] = 0
    out = _run(Cohort(frame, reference="thalidomide"))
    recs = {_key(r): r.value for r in out.result.records}
    assert recs == {
        ("os", "thalidomide", "", "N"): 38,
        ("os", "thalidomide", "", "n_event"): 0,
        ("os", "lenalidomide", "", "N"): 24,
        ("os", "lenalidomide", "", "n_event"): 0,
    }
    assert "no deaths among the patients analysed" in out.result.notes[0]
    assert list(out.endpoint.tables(out.result.records)) == ["Median overall survival"]
