"""Shared columns, status codes and value codes (issue 12 items 3 and 4): a registry export as
R users have it -- one time column, one status column 0 censored / 1 AML / 2 death, arms and
sex coded 1/2, responses in local words, a number-coded stage -- runs through a study file
(or --map/--codes) and gives what R gives from Surv(time, status == 2) and cuminc(time,
status). A mapping that cannot be honoured, and an unknown code, are errors (exit 2)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from mdsrs_core import Cohort
from mdsrs_core.cli import main
from mdsrs_core.errors import CohortError, StudyError
from mdsrs_core.models import cuminc, survdiff
from mdsrs_core.study import Study

STUDY = """[cohort]
data = "registry.csv"
arm = "group"
reference = "thalidomide"

[columns]
patient_id = "id"
sex = "gender"
os_months = "time"
aml_months = "time"
death = "status"
aml = "status"
response = "best_resp"

[codes]
arm = { 1 = "lenalidomide", 2 = "thalidomide" }
sex = { 1 = "M", 2 = "F" }
death = { 0 = 0, 1 = 0, 2 = 1 }
aml = { 0 = 0, 1 = 1, 2 = 0 }
response = { "complete remission" = "CR", "partial remission" = "PR", "stable disease" = "SD" }
stage = { 1 = "I", 2 = "II", 3 = "III" }
"""
WORDS = ["complete remission", "partial remission", "stable disease", "PD"]


def registry(n: int = 150, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    d = pd.DataFrame(
        {
            "id": [f"R{i:04d}" for i in range(n)],
            "group": rng.integers(1, 3, n),
            "gender": rng.integers(1, 3, n),
            "age": rng.integers(40, 90, n),
            "karno": rng.choice([60, 70, 80, 90, 100], n),
            "stage": rng.integers(1, 4, n),
            "time": np.round(rng.exponential(30, n), 1),
            "status": rng.choice([0, 1, 2], n, p=[0.4, 0.2, 0.4]),
            "best_resp": rng.choice(WORDS, n),
        }
    )
    d.loc[:4, "time"] = 0.0  # registry exports hold a few day-0 records
    return d


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    registry().to_csv(tmp_path / "registry.csv", index=False)
    (tmp_path / "study.toml").write_text(STUDY)
    return tmp_path


def raw(folder: Path) -> pd.DataFrame:
    d = pd.read_csv(folder / "registry.csv")
    d["group"] = pd.Categorical(
        d["group"].map({1: "lenalidomide", 2: "thalidomide"}), ["thalidomide", "lenalidomide"]
    )
    return d


def records(out: Path) -> dict:
    return {
        (r["endpoint"], r["variable"], r["arm"], r.get("level"), r["stat"]): r["value"]
        for r in json.loads((out / "results.json").read_text())
    }


def test_cohort_from_the_registry_export(folder):
    cohort = Study.load(folder / "study.toml").cohort()
    d = cohort.data
    assert cohort.arms == ["thalidomide", "lenalidomide"]
    source = registry()
    assert (d["os_months"] == source["time"]).all() and (d["aml_months"] == source["time"]).all()
    assert (d["death"] == (source["status"] == 2)).all()
    assert (d["aml"] == (source["status"] == 1)).all()
    assert d["sex"].tolist() == source["gender"].map({1: "M", 2: "F"}).tolist()
    assert set(d["response"].dropna()) == {"CR", "PR", "SD", "PD"}  # PD already canonical
    assert list(d["stage"].cat.categories) == ["I", "II", "III"]  # declared categorical
    assert d["karno"].dtype == "int64"  # a number column stays one
    assert cohort.column_map["os_months"] == cohort.column_map["aml_months"] == "time"


def _check_against_the_raw_file(folder: Path, out: Path) -> None:
    rec = records(out)
    d = raw(folder)
    logrank = survdiff("Surv(time, status == 2) ~ group", data=d)  # R: survdiff(Surv(...))
    assert rec[("os", "os_logrank", None, None, "statistic")] == pytest.approx(logrank.chisq)
    gray = cuminc("Surv(time, status) ~ group", data=d).tests().set_index("cause")
    assert rec[("aml", "aml_cif", None, "gray_test", "statistic")] == pytest.approx(
        gray.loc[1, "statistic"]
    )
    for endpoint in ("os", "aml", "baseline", "response"):
        assert rec[(endpoint, "flow", None, None, "n_analysed")] == 150
    assert rec[("baseline", "stage", "lenalidomide", "II", "n")] == int(
        ((d["stage"] == 2) & (d["group"] == "lenalidomide")).sum()
    )


def test_run_through_the_study_file(folder):
    out = folder / "out"
    result = CliRunner().invoke(
        main,
        ["run", str(folder / "study.toml"), "--only", "os,aml,baseline,response"]
        + ["--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    _check_against_the_raw_file(folder, out)


def test_run_with_map_and_codes_on_the_command_line(folder):
    out = folder / "out2"
    args = ["run", str(folder / "registry.csv"), "--arm", "group", "--reference", "thalidomide"]
    for item in [
        "patient_id=id",
        "sex=gender",
        "os_months=time",
        "aml_months=time",
        "death=status",
        "aml=status",
        "response=best_resp",
    ]:
        args += ["--map", item]
    for item in [
        'arm={1="lenalidomide",2="thalidomide"}',
        'sex={1="M",2="F"}',
        "death={0=0,1=0,2=1}",
        "aml={0=0,1=1,2=0}",
        'stage={1="I",2="II",3="III"}',
        'response={"complete remission"="CR","partial remission"="PR","stable disease"="SD"}',
    ]:
        args += ["--codes", item]
    result = CliRunner().invoke(
        main, [*args, "--only", "os,aml,baseline,response", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    _check_against_the_raw_file(folder, out)


def _fails(folder: Path, study: str) -> str:
    (folder / "study.toml").write_text(study)
    result = CliRunner().invoke(
        main, ["run", str(folder / "study.toml"), "--out", str(folder / "o")]
    )
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert not (folder / "o").exists()
    return result.output


def test_a_time_without_its_event_is_an_error_not_a_skip(folder):
    text = STUDY.replace('death = "status"\n', "").replace("death = { 0 = 0, 1 = 0, 2 = 1 }\n", "")
    assert (
        "os_months is mapped to column 'time' but death is not in the data, so neither can be "
        "used: map death too" in _fails(folder, text)
    )


def test_status_0_1_2_without_codes_points_to_codes(folder):
    text = STUDY.replace("aml = { 0 = 0, 1 = 1, 2 = 0 }\n", "")
    message = _fails(folder, text)
    assert "column 'aml' (your column 'status')" in message
    assert (
        "a status column coded 0/1/2 gives one event per code: say which code is the event in "
        "the study file, e.g. [codes] aml = {0 = 0, 1 = 1, 2 = 0}." in message
    )


def test_unknown_codes_point_to_the_table(folder):
    d = registry()
    d.loc[7, "gender"] = 9
    d.loc[8, "group"] = 3
    d.to_csv(folder / "registry.csv", index=False)
    message = _fails(folder, STUDY)
    assert (
        "column 'arm' (your column 'group'), row 10 (value '3'): a code not in the study "
        "file's [codes] arm (1, 2)." in message
    )
    assert "column 'sex' (your column 'gender'), row 9 (value '9'): must be one of F, M; if "
    assert "[codes]: sex =" in message


def test_a_code_table_for_a_declared_categorical_lists_every_value(folder):
    d = registry()
    d.loc[3, "stage"] = 4
    d.to_csv(folder / "registry.csv", index=False)
    message = _fails(folder, STUDY)
    assert "column 'stage', row 5 (value '4'): a code not in the study file's [codes] stage" in (
        message
    )


@pytest.mark.parametrize(
    "table, fragment",
    [
        ('death = { 0 = 0, 2 = "dead" }', "[codes] death maps codes to 0 (censored) or 1"),
        ('sex = { 1 = "male" }', "[codes] sex maps to the canonical values F, M, not 1 = 'male'"),
        ("arm = { 1 = 2 }", "[codes] arm maps codes to arm names in quotes"),
        ("stage = 3", "[codes] stage must be a table mapping the file's values to canonical"),
    ],
)
def test_malformed_code_tables_are_study_errors(folder, table, fragment):
    (folder / "study.toml").write_text(STUDY.split("[codes]")[0] + "[codes]\n" + table + "\n")
    with pytest.raises(StudyError, match=re.escape(fragment)):
        Study.load(folder / "study.toml")


def test_codes_and_event_codes_for_one_column_conflict():
    d = registry().rename(columns={"id": "patient_id", "time": "os_months", "status": "death"})
    with pytest.raises(CohortError, match="death is coded twice"):
        Cohort(
            d,
            arm="group",
            codes={"death": {0: 0, 1: 0, 2: 1}},
            event_codes={"death": {0: 0, 1: 1}},
        )
