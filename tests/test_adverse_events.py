"""The `adverse_events` endpoint against R (tests/results/adverse_events.R) and its rules."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from conftest import read_reference

from mdsrs_core import Cohort, CohortError, load_example, run
from mdsrs_core.example import __file__ as _example_init

REFERENCE = Path(__file__).parent / "results" / "adverse_events.csv"
DATA = Path(_example_init).parent / "data"
ENDPOINT = "adverse_events"
NOT_IN_TABLE = "not in the adverse-event table, which the study marks incomplete"

# the constructed cohort of case "no_ge3": the same literals as in adverse_events.R
SMALL = pd.DataFrame(
    {
        "patient_id": [f"S{i:02d}" for i in range(1, 19)],
        "arm": ["thalidomide"] * 10 + ["lenalidomide"] * 8,
        "age": [70, 65, 72, 80, 59, 77, 68, 74, 66, 71, 63, 69, 75, 58, 81, 62, 67, 73],
        "ae_max_grade": [0, 1, 2, 2, 3, 3, 3, 4, 4, 2, 0, 0, 1, 1, 2, 1, 2, 0],
    }
)
SMALL_AE = pd.DataFrame(
    {
        "patient_id": [
            "S02",
            "S03",
            "S04",
            "S05",
            "S05",
            "S06",
            "S07",
            "S08",
            "S09",
            "S10",
            "S13",
            "S14",
            "S15",
            "S15",
            "S16",
            "S17",
        ],
        "term": [
            "Fatigue",
            "Constipation",
            "Somnolence",
            "Somnolence",
            "Somnolence",
            "Constipation",
            "Dizziness",
            "Thromboembolic event",
            "Somnolence",
            "Fatigue",
            "Rash maculo-papular",
            "Fatigue",
            "Neutrophil count decreased",
            "Fatigue",
            "Rash maculo-papular",
            "Neutrophil count decreased",
        ],
        "grade": [1, 2, 2, 3, 1, 3, 3, 4, 4, 2, 1, 1, 2, 1, 1, 2],
    }
)


def example_incomplete() -> Cohort:
    return Cohort.read(
        DATA / "patients.csv",
        adverse_events=DATA / "adverse_events.csv",
        reference="thalidomide",
        adverse_events_complete=False,
    )


def _run(cohort, **kwargs):
    out = run(cohort, only=[ENDPOINT], **kwargs)
    assert out[ENDPOINT].status == "ok", out[ENDPOINT].reason
    return out


def _keyed(out):
    return {
        (r.variable, r.arm or "", r.level or "", r.stat): r
        for r in out.records
        if r.endpoint == ENDPOINT
    }


@pytest.fixture(scope="module")
def cases():
    settings = {ENDPOINT: {"formula": "ae_max_grade ~ arm + age"}}
    runs = {
        "example": _run(load_example()),
        "incomplete": _run(example_incomplete()),
        "covariate": _run(load_example(), settings=settings),
        "no_ge3": _run(Cohort(SMALL, reference="thalidomide", adverse_events=SMALL_AE)),
    }
    return runs


@pytest.fixture(scope="module")
def records(cases):
    return {case: _keyed(out) for case, out in cases.items()}


def r_values():
    return read_reference(REFERENCE, ("case", "variable", "arm", "level", "stat"))


@pytest.mark.parametrize(
    "case, variable, arm, level, stat, expected",
    r_values(),
    ids=lambda v: str(v) if not isinstance(v, float) else "",
)
def test_equals_r(records, case, variable, arm, level, stat, expected):
    value = records[case][(variable, arm, level, stat)].value
    if expected is None:  # R's NA (nominal_test without a finite nominal fit)
        assert value is None
    else:
        assert value == pytest.approx(expected, rel=1e-6)


def test_every_estimate_and_test_is_checked_against_r(records):
    reference = {(c, v, a, lv, s) for c, v, a, lv, s, _ in r_values()}
    checked = (
        "estimate",
        "std_error",
        "statistic",
        "p_value",
        "conf_low",
        "conf_high",
        "df",
        "logLik",
        "n",
        "p",
    )
    for case, recs in records.items():
        ours = {(case, *k) for k in recs if k[3] in checked}
        assert ours <= reference, sorted(ours - reference)[:5]


def test_tests_are_named(records):
    rec = records["example"]
    assert rec[("ae_max_grade", "", "", "p_value")].method == (
        "Wilcoxon rank sum test with continuity correction"
    )
    assert rec[("ae_grade_ge3", "", "", "p_value")].method == "Fisher's Exact Test for Count Data"
    assert rec[("ae_max_grade", "", "arm[T.lenalidomide]", "p_value")].method.startswith(
        "Proportional-odds model (ordinal::clm, logit link); cumulative odds ratio"
    )
    assert "ordinal::nominal_test" in rec[("ae_max_grade", "", "nominal: arm", "p_value")].method


def test_example_flow_and_study_direction(records, cases):
    rec = records["example"]
    assert rec[("flow", "thalidomide", "", "n_analysed")].value == 38
    assert rec[("flow", "lenalidomide", "", "n_analysed")].value == 24
    # lenalidomide milder: cumulative OR of a worse grade below 1, significant at 0.05
    assert rec[("ae_max_grade", "", "arm[T.lenalidomide]", "estimate")].value < 1
    assert rec[("ae_max_grade", "", "arm[T.lenalidomide]", "p_value")].value < 0.05
    assert not cases["example"][ENDPOINT].result.exclusions


def test_grade_5_not_observed_is_dropped_like_r(records, cases):
    rec = records["example"]
    assert ("ae_max_grade", "", "3|4", "estimate") in rec
    assert not any(k[2] == "4|5" for k in rec)
    assert any("grade(s) 5 not observed" in n for n in cases["example"][ENDPOINT].result.notes)


# ------------------------------------------------------------------ incomplete table


def test_incomplete_table_excludes_absent_patients_with_the_reason(cases):
    res = cases["incomplete"][ENDPOINT].result
    ae = pd.read_csv(DATA / "adverse_events.csv")
    patients = pd.read_csv(DATA / "patients.csv")
    absent = patients[~patients["patient_id"].isin(ae["patient_id"])]
    assert len(absent) == 3
    assert sorted(e.patient_id for e in res.exclusions) == sorted(absent["patient_id"])
    assert {e.reason for e in res.exclusions} == {NOT_IN_TABLE}
    assert sum(res.n_analysed.values()) + len(res.exclusions) == 62
    assert res.n_analysed == {"thalidomide": 37, "lenalidomide": 22}
    assert any("have an ae_max_grade but are excluded" in n for n in res.notes)


def test_incomplete_table_without_ae_max_grade(tmp_path):
    patients = pd.read_csv(DATA / "patients.csv").drop(columns="ae_max_grade")
    ae = pd.read_csv(DATA / "adverse_events.csv")
    cohort = Cohort(
        patients, reference="thalidomide", adverse_events=ae, adverse_events_complete=False
    )
    assert cohort.data["ae_worst_grade"].isna().sum() == 3  # never silently grade 0
    res = _run(cohort)[ENDPOINT].result
    assert {e.reason for e in res.exclusions} == {NOT_IN_TABLE}
    assert sum(res.n_analysed.values()) == 59


# ------------------------------------------------------------------ worst grade from the table


def test_worst_grade_from_the_table_alone_gives_the_same_figures(records):
    patients = pd.read_csv(DATA / "patients.csv").drop(columns="ae_max_grade")
    ae = pd.read_csv(DATA / "adverse_events.csv")
    cohort = Cohort(patients, reference="thalidomide", adverse_events=ae)
    assert cohort.label("ae_worst_grade").startswith("Worst adverse-event grade from")
    ours = _keyed(_run(cohort))
    for key, rec in records["example"].items():
        if key[0] == "endpoint":
            continue
        assert ours[key].value == rec.value or (
            isinstance(rec.value, float) and ours[key].value == pytest.approx(rec.value, rel=1e-12)
        ), key


def test_ae_max_grade_alone_has_no_term_table():
    patients = pd.read_csv(DATA / "patients.csv")
    out = _run(Cohort(patients, reference="thalidomide"))
    recs = _keyed(out)
    assert not any(k[0].startswith("ae_term") for k in recs)
    tables = out[ENDPOINT].endpoint.tables([r for r in out.records if r.endpoint == ENDPOINT])
    assert "Adverse events by CTCAE term" not in tables
    assert recs[("ae_grade_ge3", "lenalidomide", "", "n")].value == 5


def test_missing_worst_grade_is_excluded(make_frame):
    frame = make_frame()
    frame.loc[[0, 1], "ae_max_grade"] = None
    res = _run(Cohort(frame, reference="thal"))[ENDPOINT].result
    assert [(e.patient_id, e.arm, e.reason) for e in res.exclusions] == [
        ("P1", "len", "worst adverse-event grade (ae_max_grade) missing"),
        ("P2", "thal", "worst adverse-event grade (ae_max_grade) missing"),
    ]
    assert res.n_analysed == {"thal": 3, "len": 3}


# ------------------------------------------------------------------ clear errors


def test_ae_table_naming_unknown_patients_is_the_cores_clear_error(tmp_path, make_frame):
    make_frame().to_csv(tmp_path / "p.csv", index=False)
    pd.DataFrame(
        {"patient_id": ["P1", "P77"], "term": ["Rash", "Fatigue"], "grade": [1, 2]}
    ).to_csv(tmp_path / "ae.csv", index=False)
    with pytest.raises(CohortError) as info:
        Cohort.read(tmp_path / "p.csv", adverse_events=tmp_path / "ae.csv", reference="thal")
    assert str(info.value) == (
        "ae.csv: 1 problem in the cohort data:\n"
        "  - column 'patient_id', row 3 (value 'P77'): patients not in p.csv."
    )


@pytest.mark.parametrize("grade", [0, 6, 2.5])
def test_event_grades_outside_1_to_5_are_a_clear_error(tmp_path, make_frame, grade):
    make_frame().to_csv(tmp_path / "p.csv", index=False)
    pd.DataFrame({"patient_id": ["P1"], "term": ["Rash"], "grade": [grade]}).to_csv(
        tmp_path / "ae.csv", index=False
    )
    with pytest.raises(CohortError) as info:
        Cohort.read(tmp_path / "p.csv", adverse_events=tmp_path / "ae.csv", reference="thal")
    assert "CTCAE grades of listed events must be whole numbers from 1 to 5" in str(info.value)


@pytest.mark.parametrize("grade", [-1, 6])
def test_worst_grade_outside_0_to_5_is_a_clear_error(make_frame, grade):
    frame = make_frame()
    frame.loc[3, "ae_max_grade"] = grade
    with pytest.raises(CohortError) as info:
        Cohort(frame, reference="thal")
    assert str(info.value) == (
        "data: 1 problem in the cohort data:\n"
        f"  - column 'ae_max_grade', index 3 (value {grade}): must be between 0 and 5; CTCAE "
        "grades are whole numbers from 0 (none) to 5 (death)."
    )


def test_disagreement_between_ae_max_grade_and_the_table_names_patients():
    patients = pd.read_csv(DATA / "patients.csv")
    ae = pd.read_csv(DATA / "adverse_events.csv")
    patients.loc[patients["patient_id"] == "MDS001", "ae_max_grade"] = 2  # table: 3
    grade0 = patients.index[patients["ae_max_grade"] == 0][0]
    pid0 = patients.loc[grade0, "patient_id"]
    patients.loc[grade0, "ae_max_grade"] = 1  # absent from the complete table: grade 0
    with pytest.raises(CohortError) as info:
        Cohort(patients, reference="thalidomide", adverse_events=ae)
    assert str(info.value) == (
        f"data: ae_max_grade disagrees with the adverse-event table for 2 patients: MDS001 "
        f"(ae_max_grade 2, table 3), {pid0} (ae_max_grade 1, table 0). The table's worst grade "
        "is the highest grade listed for the patient; a patient absent from the table counts "
        "as grade 0 because the study marks the table complete. Correct the column or the "
        "table (or leave one of them out)."
    )


def test_incomplete_table_checks_only_listed_patients():
    patients = pd.read_csv(DATA / "patients.csv")
    ae = pd.read_csv(DATA / "adverse_events.csv")
    grade0 = patients.index[patients["ae_max_grade"] == 0][0]
    patients.loc[grade0, "ae_max_grade"] = 2  # absent, but the table is incomplete: no check
    Cohort(patients, reference="thalidomide", adverse_events=ae, adverse_events_complete=False)
    patients.loc[patients["patient_id"] == "MDS002", "ae_max_grade"] = None  # listed: grade 2
    with pytest.raises(CohortError, match=r"MDS002 \(ae_max_grade missing, table 2\)"):
        Cohort(patients, reference="thalidomide", adverse_events=ae, adverse_events_complete=False)


def test_disagreement_stops_the_command_line_with_exit_2(tmp_path):
    from click.testing import CliRunner

    from mdsrs_core.cli import main

    patients = pd.read_csv(DATA / "patients.csv")
    patients.loc[patients["patient_id"] == "MDS001", "ae_max_grade"] = 4
    patients.to_csv(tmp_path / "patients.csv", index=False)
    (tmp_path / "study.toml").write_text(
        '[cohort]\ndata = "patients.csv"\nadverse_events = "ae.csv"\nreference = "thalidomide"\n'
    )
    pd.read_csv(DATA / "adverse_events.csv").to_csv(tmp_path / "ae.csv", index=False)
    result = CliRunner().invoke(
        main, ["run", str(tmp_path / "study.toml"), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 2
    assert "MDS001 (ae_max_grade 4, table 3)" in result.output


# ------------------------------------------------------------------ small cohorts


def test_arm_without_grade_3_events(cases, records):
    res = cases["no_ge3"][ENDPOINT].result
    rec = records["no_ge3"]
    assert rec[("ae_grade_ge3", "lenalidomide", "", "n")].value == 0
    assert rec[("ae_grade_ge3", "", "", "estimate")].value == 0
    assert rec[("ae_max_grade", "", "nominal: arm", "p_value")].value is None
    assert any(
        n.startswith("No grade >= 3 event in lenalidomide: Fisher's conditional odds ratio is 0")
        for n in res.notes
    )
    assert any(n.startswith("Test of proportional odds for arm: not available") for n in res.notes)
    # term incidence: denominators are the patients analysed in the arm, not the event table
    assert rec[("ae_term_any", "lenalidomide", "Fatigue", "n")].value == 2
    assert rec[("ae_term_any", "lenalidomide", "Fatigue", "p")].value == 2 / 8
    # S05 has Somnolence twice (grades 3 and 1): counted once, at grade 3 (with S09's 4)
    assert rec[("ae_term_ge3", "thalidomide", "Somnolence", "n")].value == 2


def test_no_grade_3_event_anywhere(make_frame):
    frame = make_frame()
    frame["ae_max_grade"] = [1, 2, 0, 1, 2, 2, 1, 0]
    out = _run(Cohort(frame, reference="thal"))
    rec, res = _keyed(out), out[ENDPOINT].result
    assert rec[("ae_grade_ge3", "", "", "p_value")].value == 1
    assert any("no grade >= 3 event in either arm" in n for n in res.notes)


def test_all_patients_same_grade_is_a_stated_result(make_frame):
    frame = make_frame()
    frame["ae_max_grade"] = 2
    out = _run(Cohort(frame, reference="thal"))
    rec, notes = _keyed(out), out[ENDPOINT].result.notes
    assert rec[("ae_max_grade", "", "", "p_value")].value is None
    assert any("not estimable" in n and "one level" in n for n in notes)
    assert any("every patient has the same worst grade" in n for n in notes)


def test_separated_arms_are_a_stated_result(make_frame):
    frame = make_frame()
    frame["ae_max_grade"] = [0, 3, 0, 4, 1, 3, 1, 4]  # len all <= 1, thal all >= 3
    out = _run(Cohort(frame, reference="thal"))
    notes = out[ENDPOINT].result.notes
    assert any(
        n.startswith("Proportional-odds model 'ae_max_grade ~ arm' not estimable") for n in notes
    )
    assert _keyed(out)[("ae_grade_ge3", "", "", "p_value")].value == pytest.approx(
        1 / 35, rel=1e-9
    )  # fisher.test(matrix(c(4, 0, 0, 4), 2)): 2 / choose(8, 4)


# ------------------------------------------------------------------ skip, tables, run


def test_skipped_without_grades(make_frame):
    out = run(Cohort(make_frame().drop(columns="ae_max_grade"), reference="thal"), only=[ENDPOINT])
    assert out[ENDPOINT].status == "skipped"
    assert "needs ae_max_grade or an adverse-event table" in out[ENDPOINT].reason


def test_tables(cases):
    out = cases["example"]
    tables = out[ENDPOINT].endpoint.tables([r for r in out.records if r.endpoint == ENDPOINT])
    assert list(tables) == [
        "Worst adverse-event grade by arm",
        "Worst grade groups",
        "Adverse events by CTCAE term",
        "Between-arm tests",
    ]
    worst = tables["Worst adverse-event grade by arm"]
    assert worst.loc["Grade 3", "lenalidomide (N=24)"] == "4 (16.7%)"
    groups = tables["Worst grade groups"]
    assert groups.loc["Grade 1-2", "lenalidomide (N=24)"] == "17 (70.8%)"
    assert groups.loc["Grade >= 3", "thalidomide (N=38)"] == "20 (52.6%)"
    terms = tables["Adverse events by CTCAE term"]
    assert terms.index[0] == "Constipation"
    tests = tables["Between-arm tests"]
    assert list(tests.index) == [
        "Proportional-odds model: arm[T.lenalidomide]",
        "Proportional odds for arm",
        "Worst grade",
        "Grade >= 3 incidence",
    ]
    assert tests.loc["Worst grade", "Test"] == "Wilcoxon rank sum test"  # as gtsummary names it
    assert tests.loc["Proportional-odds model: arm[T.lenalidomide]", "p-value"] == "0.006"


def test_results_json_has_no_nan(cases):
    import json

    for rec in json.loads(cases["no_ge3"].to_json()):
        v = rec["value"]
        assert not (isinstance(v, float) and math.isnan(v))
