"""Each validation rule of the cohort, with the exact message a user sees."""

from __future__ import annotations

import pandas as pd
import pytest

from mdsrs_core import Cohort, CohortError


def error_of(frame: pd.DataFrame, **kwargs) -> str:
    with pytest.raises(CohortError) as info:
        Cohort(frame, derive=False, **kwargs)
    return str(info.value)


def only_problem(frame: pd.DataFrame, **kwargs) -> str:
    text = error_of(frame, **kwargs)
    head, *lines = text.split("\n")
    assert head == "data: 1 problem in the cohort data:", text
    assert len(lines) == 1
    return lines[0].removeprefix("  - ")


def test_valid_frame_builds_with_reference_first(frame):
    cohort = Cohort(frame, reference="thal", derive=False)
    assert cohort.arms == ["thal", "len"]
    assert cohort.reference == "thal"
    assert cohort.counts() == {"thal": 4, "len": 4}
    assert cohort.data["hgb_base"].dtype == "float64"
    assert cohort.data["sex"].cat.categories.tolist() == ["F", "M"]
    assert cohort.notes == []


def test_default_reference_is_first_sorted_level_with_a_note(frame):
    cohort = Cohort(frame, derive=False)
    assert cohort.reference == "len"
    assert cohort.notes == [
        "No reference arm was given: 'len' (first in sorted order, as R's "
        "factor() does) is the reference."
    ]


def test_text_not_a_number(frame):
    frame["hgb_base"] = frame["hgb_base"].astype(object)
    frame.loc[[2, 5], "hgb_base"] = ["8,5", "n.d."]
    assert only_problem(frame, reference="thal") == (
        "column 'hgb_base', index 2, 5 (values '8,5', 'n.d.'): must be a number; decimal commas "
        "found: write 1.5, not 1,5 (or export the file with '.' decimals)."
    )


def test_percent_signs(frame):
    frame["bm_blast_base"] = frame["bm_blast_base"].astype(str) + "%"
    assert only_problem(frame, reference="thal").startswith(
        "column 'bm_blast_base', index 0, 1, 2, 3, 4, 5, 6, 7 (values '2%', '3%', '1%', '4%', "
        "'2%', '1%', '3%', '2%'): must be a number; percent signs found: write 12, not 12%."
    )


def test_dates_instead_of_durations(frame):
    frame["os_months"] = frame["os_months"].astype(object)
    frame.loc[0, "os_months"] = "2019-03-01"
    assert only_problem(frame, reference="thal") == (
        "column 'os_months', index 0 (value '2019-03-01'): must be a number; dates found where a "
        "duration in months belongs: give the time from treatment start to the event or last "
        "follow-up."
    )


def test_hemoglobin_in_g_per_litre_is_named(frame):
    frame["hgb_base"] = frame["hgb_base"] * 10
    assert only_problem(frame, reference="thal") == (
        "column 'hgb_base', index 0, 1, 2, 3, 4, 5, 6, 7 (values 81, 79, 85, 90, 72, 88, 94, 80): "
        "must be between 2 and 25 g/dL; values above 25 look like g/L: divide by 10."
    )


def test_platelets_per_microlitre_named_with_user_column(frame):
    frame = frame.rename(columns={"plt_base": "PLT"})
    frame.loc[3, "PLT"] = 200000
    assert only_problem(frame, reference="thal", columns={"plt_base": "PLT"}) == (
        "column 'plt_base' (your column 'PLT'), index 3 (value 200000): must be between 0 and "
        "2000 x10^9/L; values in the thousands look like counts per microlitre: divide by 1000."
    )


def test_duplicate_patient_ids(frame):
    frame.loc[5, "patient_id"] = "P2"
    assert only_problem(frame, reference="thal") == (
        "column 'patient_id', index 1, 5 (value 'P2'): must be unique: the same patient id "
        "appears more than once."
    )


def test_single_arm(frame):
    frame["arm"] = "len"
    assert only_problem(frame) == ("column 'arm': has one level ('len'); mdsrs compares two arms.")


def test_three_arms_with_a_typo_named(frame):
    frame.loc[7, "arm"] = "thall"
    assert only_problem(frame, reference="thal") == (
        "column 'arm': has 3 levels: 'len' (4), 'thal' (3), 'thall' (1); mdsrs compares exactly "
        "two arms; 'thall' looks like a typo of 'thal' (index 7)."
    )


def test_unknown_reference_level(frame):
    assert only_problem(frame, reference="thalidomide") == (
        "column 'arm': the reference level 'thalidomide' is not among its levels (len, thal); "
        "did you mean 'thal'?"
    )


def test_missing_arm(frame):
    frame.loc[[1, 4], "arm"] = None
    assert only_problem(frame, reference="thal") == (
        "column 'arm', index 1, 4: must not be empty: every patient needs an arm."
    )


@pytest.mark.parametrize(
    "codes, hint",
    [
        (
            [1, 2, 1, 2, 1, 2, 1, 2],
            "1/2 coding as in R's Surv() (1 = censored, 2 = event) is accepted only when the "
            "study file says so: [codes] death = {1 = 0, 2 = 1}.",
        ),
        (
            ["no", "yes"] * 4,
            "text codes are accepted only when the study file maps them, e.g. "
            "[codes] death = {yes = 1, no = 0}.",
        ),
    ],
)
def test_event_codes_other_than_0_1(frame, codes, hint):
    frame["death"] = codes
    text = only_problem(frame, reference="thal")
    assert text.startswith("column 'death', index ")
    assert text.endswith(": must be 0 or 1; " + hint)


def test_event_codes_accepted_when_declared(frame):
    frame["death"] = [1, 2, 1, 2, 1, 2, 1, 2]
    cohort = Cohort(frame, reference="thal", event_codes={"death": {1: 0, 2: 1}}, derive=False)
    assert cohort.data["death"].tolist() == [0, 1, 0, 1, 0, 1, 0, 1]
    assert cohort.data["aml"].tolist() == [0, 1, 0, 0, 0, 1, 0, 0]
    frame["aml"] = ["no", "yes", "no", "no", "no", "yes", "no", "no"]
    frame["death"] = ["no", "yes"] * 4
    cohort = Cohort(frame, reference="thal", event_codes={"yes": 1, "no": 0}, derive=False)
    assert cohort.data["aml"].tolist() == [0, 1, 0, 0, 0, 1, 0, 0]


def test_negative_times_are_refused(frame):
    frame.loc[2, "os_months"] = -3.0
    frame.loc[2, "aml_months"] = 1.0
    assert only_problem(frame, reference="thal") == (
        "column 'os_months', index 2 (value -3): times cannot be negative."
    )


def test_time_zero_is_valid(frame):
    # R's survival and cmprsk accept a time of 0 (censored or an event on day 0)
    frame.loc[2, ["os_months", "aml_months"]] = 0.0
    cohort = Cohort(frame, reference="thal", derive=False)
    assert cohort.data.loc[2, "os_months"] == 0.0


def test_aml_after_end_of_follow_up_is_the_aml_endpoints_problem(frame):
    # not a cohort error: the aml endpoint excludes the patient with the reason (test_aml.py)
    frame.loc[0, "aml_months"] = 61.0
    cohort = Cohort(frame, reference="thal", derive=False)
    assert cohort.data.loc[0, "aml_months"] == 61.0


def test_event_without_time(frame):
    frame.loc[3, "os_months"] = None
    frame.loc[3, "aml_months"] = None
    frame.loc[3, "aml"] = None
    assert only_problem(frame, reference="thal") == (
        "column 'os_months', index 3: death and os_months must be given together: a row has one "
        "without the other."
    )


@pytest.mark.parametrize(
    "grade, rule",
    [
        (6, "must be between 0 and 5"),
        (2.5, "must be a whole number"),
        (-1, "must be between 0 and 5"),
    ],
)
def test_grades_outside_0_to_5(frame, grade, rule):
    frame["ae_max_grade"] = frame["ae_max_grade"].astype(float)
    frame.loc[1, "ae_max_grade"] = grade
    assert only_problem(frame, reference="thal") == (
        f"column 'ae_max_grade', index 1 (value {grade:g}): {rule}; CTCAE grades are whole "
        "numbers from 0 (none) to 5 (death)."
    )


def test_unknown_category_levels(frame):
    frame.loc[2, "response"] = "CRi"
    frame.loc[4, "sex"] = "unknown"
    text = error_of(frame, reference="thal")
    assert text == (
        "data: 2 problems in the cohort data:\n"
        "  - column 'sex', index 4 (value 'unknown'): must be one of F, M; if the file codes "
        'them otherwise, map its codes in [codes]: sex = { 1 = "M", 2 = "F" }.\n'
        "  - column 'response', index 2 (value 'CRi'): must be one of CR, PR, mCR, HI, SD, PD; "
        'if the file codes them otherwise, map its codes in [codes]: response = { "CRi" = '
        '"CR", ... }.'
    )


def test_spellings_of_levels_are_normalised(frame):
    frame["sex"] = ["female", "Male", "m", "F", "M", "male", "f", "Female"]
    frame["response"] = ["hi", "sd", "pr", "pd", "cr", "SD", "MCR", "sd"]
    frame["cyto_base"] = ["Very-Good", "very_good", "Int", "VG", "good", "Poor", "VP", "g"]
    data = Cohort(frame, reference="thal", derive=False).data
    assert data["sex"].tolist() == ["F", "M", "M", "F", "M", "M", "F", "F"]
    assert data["response"].tolist() == ["HI", "SD", "PR", "PD", "CR", "SD", "mCR", "SD"]
    assert data["cyto_base"].tolist() == [
        "very good",
        "very good",
        "intermediate",
        "very good",
        "good",
        "poor",
        "very poor",
        "good",
    ]


def test_all_problems_reported_at_once(frame):
    frame.loc[0, "patient_id"] = "P2"
    frame.loc[1, "hgb_post"] = 120
    frame.loc[2, "death"] = 3
    text = error_of(frame, reference="thal")
    assert text.startswith("data: 3 problems in the cohort data:\n")
    assert "column 'patient_id', index 0, 1 (value 'P2')" in text
    assert "column 'hgb_post', index 1 (value 120)" in text
    assert "column 'death', index 2 (value 3): must be 0 or 1" in text


def test_mapping_to_a_missing_column(frame):
    with pytest.raises(CohortError) as info:
        Cohort(frame, columns={"hgb_base": "Hb"}, derive=False)
    assert str(info.value) == (
        "data: column 'Hb' (mapped to hgb_base) is not in the data; "
        "close matches: hgb_post, hgb_base."
    )


def test_mapping_an_unknown_variable(frame):
    with pytest.raises(CohortError) as info:
        Cohort(frame, columns={"hgb_baseline": "hgb_base"}, derive=False)
    assert str(info.value) == (
        "data: 'hgb_baseline' is not a canonical variable; did you mean 'hgb_base'?"
    )


def test_no_arm_and_no_patient_id_columns(frame):
    text = error_of(frame.drop(columns=["arm", "patient_id"]))
    assert text == (
        "data: 2 problems in the cohort data:\n"
        "  - no arm column 'arm': name the column holding the treatment arm with --arm COLUMN or "
        'arm = "COLUMN" under [cohort].\n'
        "  - no patient_id column: map the column that identifies patients with --map "
        'patient_id=COLUMN or [columns] patient_id = "COLUMN".'
    )


def test_absent_variables_are_fine_and_reported_by_missing(frame):
    cohort = Cohort(frame[["patient_id", "arm", "age"]], reference="thal", derive=False)
    assert cohort.missing("age", "os_months", "death") == ["os_months", "death"]
    assert cohort.has("age")


def test_time_unit_conversion(frame):
    frame["os_months"] = frame["os_months"] * 365.25 / 12  # days
    frame["aml_months"] = frame["aml_months"] * 365.25 / 12
    cohort = Cohort(frame, reference="thal", time_unit="days", derive=False)
    assert cohort.data["os_months"].tolist() == pytest.approx(
        [60.0, 25.0, 48.0, 30.0, 70.0, 14.0, 65.0, 40.0], rel=1e-12
    )
    assert cohort.notes == [
        "Times were given in days and converted to months (1 month = 365.25/12 days)."
    ]


def test_time_range_in_the_data_unit(frame):
    frame["os_months"] = frame["os_months"] * 365.25 / 12
    frame["aml_months"] = frame["aml_months"] * 365.25 / 12
    frame.loc[0, "os_months"] = 20000
    assert only_problem(frame, reference="thal", time_unit="days") == (
        "column 'os_months', index 0 (value 20000): must be at most 18262.5 days; times are "
        "durations in days, not dates."
    )


def test_events_read_as_text_are_nullable_int8_and_numbers_stay_floats(tmp_path):
    """0/1 events parsed from a file's text: 0, 1 and <NA>, one byte per patient; an event
    column that already holds numbers keeps them as floats (NaN for missing)."""
    path = tmp_path / "c.csv"
    path.write_text("patient_id,arm,death,os_months\nP1,a,0,1.5\nP2,b,1,2\nP3,a,,\nP4,b,1,4\n")
    read = Cohort.read(path)
    assert str(read.data["death"].dtype) == "Int8"
    assert read.data["death"].tolist()[:2] == [0, 1] and read.data["death"].isna().sum() == 1
    frame = pd.DataFrame(
        {"patient_id": ["a", "b"], "arm": ["x", "y"], "death": [0, 1], "os_months": [1.0, 2.0]}
    )
    assert Cohort(frame).data["death"].dtype == "float64"
