"""The `aml` endpoint (transformation to AML) on the example cohort against R
(tests/results/aml.R -> aml.csv), and its edge cases."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from conftest import read_reference

from mdsrs_core import EndpointConfig, load_example, run
from mdsrs_transformation import Transformation

REFERENCE = Path(__file__).parent / "results" / "aml.csv"
TERM = "arm[T.lenalidomide]"


@pytest.fixture(scope="module")
def outcome():
    result = run(load_example(), only=["aml"])
    assert result["aml"].status == "ok"
    return result["aml"]


@pytest.fixture(scope="module")
def records(outcome):
    return {(r.variable, r.arm or "", r.level or "", r.stat): r for r in outcome.result.records}


def r_values():
    return read_reference(REFERENCE, ("variable", "arm", "level", "stat"))


@pytest.mark.parametrize(
    "variable, arm, level, stat, expected",
    r_values(),
    ids=lambda v: str(v) if not isinstance(v, float) else "",
)
def test_equals_r(records, variable, arm, level, stat, expected):
    assert records[(variable, arm, level, stat)].value == pytest.approx(expected, rel=1e-6)


def test_every_number_recorded_has_an_r_reference(records):
    reference = {(v, a, lv, s) for v, a, lv, s, _ in r_values()}
    numbers = {
        k
        for k, r in records.items()
        if isinstance(r.value, (int, float)) and not isinstance(r.value, bool)
    }
    assert numbers <= reference, sorted(numbers - reference)


def test_published_result_reproduced(records):
    # 6/24 (25.00%) vs 6/38 (15.79%), P > 0.05
    assert records[("aml", "lenalidomide", "", "n")].value == 6
    assert records[("aml", "lenalidomide", "", "N")].value == 24
    assert records[("aml", "thalidomide", "", "n")].value == 6
    assert records[("aml", "thalidomide", "", "N")].value == 38
    assert round(100 * records[("aml", "lenalidomide", "", "p")].value, 2) == 25.00
    assert round(100 * records[("aml", "thalidomide", "", "p")].value, 2) == 15.79
    assert records[("aml", "", "chosen_test", "p_value")].value > 0.05
    assert records[("aml", "", "chosen_test", "p_value")].method == (
        "Fisher's Exact Test for Count Data"
    )
    assert records[("aml", "", "conclusion", "robust")].value is True
    assert records[("aml_cif", "", "gray_test", "p_value")].value > 0.05
    assert records[("aml_subdistribution", "", TERM, "p_value")].value > 0.05
    assert records[("aml_cause_specific", "", TERM, "p_value")].value > 0.05


def test_flow_and_methods(outcome, records):
    res = outcome.result
    assert res.n_analysed == {"thalidomide": 38, "lenalidomide": 24}
    assert res.exclusions == []
    assert records[("aml_cif", "", "gray_test", "p_value")].method == (
        "Gray's test (cmprsk::cuminc), rho = 0"
    )
    assert "cmprsk::crr" in records[("aml_subdistribution", "", TERM, "estimate")].method
    assert "survival::coxph" in records[("aml_cause_specific", "", TERM, "estimate")].method
    assert any(n.startswith("Competing-risk status: 1 = transformation") for n in res.notes)
    # death without AML at 12 months is 0 in the lenalidomide arm: no log(-log) interval
    assert records[("death_without_aml_cif", "lenalidomide", "12", "conf_low")].value is None


def test_cif_figure_is_the_step_curves(outcome):
    cif = outcome.result.figures["cif"]
    assert set(cif) == {"aml", "death_without_aml"}
    len_curve = cif["aml"]["lenalidomide"]
    assert len_curve["time"][0] == 0 and len_curve["estimate"][0] == 0
    assert len_curve["estimate"][-1] == pytest.approx(6 / 24)  # no censoring before AML here
    assert len(len_curve["time"]) == len(len_curve["estimate"])


def test_tables(outcome):
    tables = Transformation().tables(outcome.result.records)
    assert list(tables) == [
        "Crude rate by arm",
        "Cumulative incidence (death without AML as competing risk)",
        "Hazard ratios of AML",
        "Sensitivity panel of the crude rate",
    ]
    crude = tables["Crude rate by arm"]
    assert crude.loc["lenalidomide", "n/N"] == "6/24"
    assert crude.loc["thalidomide", "Rate / estimate"] == "15.79%"
    assert "Conclusion" in tables["Sensitivity panel of the crude rate"].index


# ------------------------------------------------------------------ edge cases


def _analyze(data: pd.DataFrame, **options):
    arm = pd.Categorical(data["arm"].astype(str), categories=["thalidomide", "lenalidomide"])
    cohort = SimpleNamespace(
        data=data.assign(arm=arm), arms=["thalidomide", "lenalidomide"], reference="thalidomide"
    )
    ep = Transformation()
    config = EndpointConfig(formulas=dict(ep.formulas), options={**ep.options, **options})
    return ep.analyze(cohort, config)


def _by(result):
    return {(r.variable, r.arm or "", r.level or "", r.stat): r for r in result.records}


def test_zero_aml_in_one_arm_hazard_ratios_not_estimable():
    d = load_example().data.copy()
    d.loc[(d["arm"] == "lenalidomide") & (d["aml"] == 1), "aml"] = 0
    d.loc[d["aml"] == 0, "aml_months"] = d.loc[d["aml"] == 0, "os_months"]
    res = _analyze(d)
    by = _by(res)
    for variable in ("aml_cause_specific", "aml_subdistribution"):
        assert by[(variable, "", "", "estimable")].value is False
        assert by[(variable, "", "", "reason")].value == "no transformation to AML in lenalidomide"
        assert (variable, "", TERM, "estimate") not in by
    assert any("not estimable" in n and "Fine-Gray" in n for n in res.notes)
    # the cumulative incidence and Gray's test are still given; the crude rate is 0/24
    assert by[("aml_cif", "lenalidomide", "60", "estimate")].value == 0
    assert np.isfinite(by[("aml_cif", "", "gray_test", "p_value")].value)
    assert by[("aml", "lenalidomide", "", "n")].value == 0


def test_exclusions_with_reasons_add_up():
    d = load_example().data.copy()
    d["aml"] = d["aml"].astype(float)
    d.loc[d.index[0], "aml"] = np.nan
    d.loc[d.index[1], "os_months"] = np.nan
    i = d.index[(d["aml"] == 1)][0]
    d.loc[i, "aml_months"] = d.loc[i, "os_months"] + 5
    res = _analyze(d)
    reasons = sorted(e.reason for e in res.exclusions)
    assert reasons == [
        "aml_months > os_months (AML after the last follow-up)",
        "missing aml",
        "missing os_months",
    ]
    assert sum(res.n_analysed.values()) + len(res.exclusions) == 62


def test_censored_aml_months_other_than_follow_up_counted_in_a_note():
    d = load_example().data.copy()
    no_aml = d.index[d["aml"] == 0]
    d.loc[no_aml[:3], "aml_months"] = d.loc[no_aml[:3], "os_months"] - 1
    d.loc[no_aml[3:], "aml_months"] = d.loc[no_aml[3:], "os_months"]
    notes = [n for n in _analyze(d).notes if "aml_months different from os_months" in n]
    assert len(notes) == 1 and notes[0].startswith("3 patient(s) without AML")
    d.loc[no_aml, "aml_months"] = d.loc[no_aml, "os_months"]
    assert not any("aml_months different" in n for n in _analyze(d).notes)


def test_landmark_after_follow_up_is_na_with_note():
    res = _analyze(load_example().data.copy(), landmarks=[12, 500])
    by = _by(res)
    assert by[("aml_cif", "thalidomide", "500", "estimate")].value is None
    assert any("after the arm's last follow-up" in n for n in res.notes)


def test_bad_landmarks_are_a_study_error():
    from mdsrs_core.errors import StudyError

    with pytest.raises(StudyError, match="landmark"):
        _analyze(load_example().data.copy(), landmarks=[-1])
