"""Reading cohorts from files (csv, tsv, xlsx, parquet) and study files (TOML)."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import small_frame

from mdsrs_core import Cohort, CohortError, run
from mdsrs_core.errors import StudyError
from mdsrs_core.study import EXAMPLE_STUDY, Study


def read_error(path, **kwargs) -> str:
    with pytest.raises(CohortError) as info:
        Cohort.read(path, derive=False, **kwargs)
    return str(info.value)


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".xlsx", ".parquet"])
def test_each_format_reads_the_same_cohort(tmp_path, suffix, make_frame):
    frame = make_frame()
    path = tmp_path / f"cohort{suffix}"
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    elif suffix == ".tsv":
        frame.to_csv(path, sep="\t", index=False)
    elif suffix == ".xlsx":
        frame.to_excel(path, index=False)
    else:
        frame.to_parquet(path)
    cohort = Cohort.read(path, reference="thal", derive=False)
    assert cohort.source == path.name
    assert cohort.data["hgb_post"].tolist() == frame["hgb_post"].tolist()
    assert cohort.data["patient_id"].tolist() == frame["patient_id"].tolist()
    assert cohort.counts() == {"thal": 4, "len": 4}


def test_file_rows_are_spreadsheet_rows(tmp_path, make_frame):
    frame = make_frame()
    frame.loc[2, "plt_post"] = 95000
    frame.to_csv(tmp_path / "p.csv", index=False)
    assert read_error(tmp_path / "p.csv", reference="thal") == (
        "p.csv: 1 problem in the cohort data:\n"
        "  - column 'plt_post', row 4 (value 95000): must be between 0 and 2000 x10^9/L; values "
        "in the thousands look like counts per microlitre: divide by 1000."
    )


def test_empty_file(tmp_path):
    (tmp_path / "e.csv").write_text("")
    assert read_error(tmp_path / "e.csv") == f"{tmp_path / 'e.csv'}: the file is empty."


def test_header_only(tmp_path):
    (tmp_path / "h.csv").write_text("patient_id,arm,age\n")
    assert read_error(tmp_path / "h.csv") == (
        f"{tmp_path / 'h.csv'}: the file has a header but no data rows."
    )


def test_wrong_delimiter(tmp_path, make_frame):
    make_frame().to_csv(tmp_path / "s.csv", sep=";", index=False)
    assert read_error(tmp_path / "s.csv") == (
        f"{tmp_path / 's.csv'}: the header has one column but contains ';': the file seems "
        "semicolon-separated, while a .csv file must be comma-separated."
    )


def test_not_utf8(tmp_path):
    (tmp_path / "l.csv").write_bytes("patient_id,arm,sex\nP1,len,F\nP2,thal,é\n".encode("latin-1"))
    assert read_error(tmp_path / "l.csv") == (
        f"{tmp_path / 'l.csv'}: line 3 is not UTF-8 text (byte 0xe9); save the file as UTF-8 (in "
        "Excel: 'CSV UTF-8')."
    )


def test_duplicated_column_names(tmp_path):
    (tmp_path / "d.csv").write_text("patient_id,arm,age,age\nP1,len,70,71\n")
    assert read_error(tmp_path / "d.csv") == (
        f"{tmp_path / 'd.csv'}: column name 'age' appears more than once in the header; every "
        "column needs its own name."
    )


def test_excel_title_row_above_header(tmp_path, make_frame):
    frame = make_frame()
    path = tmp_path / "t.xlsx"
    with pd.ExcelWriter(path) as xl:
        pd.DataFrame([["MDS-RS cohort, exported 2024"]]).to_excel(xl, index=False, header=False)
        frame.to_excel(xl, index=False, startrow=1)
    assert read_error(path) == (
        f"{path}: header columns 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, "
        "20 have no name. If the first row is a title above the header, delete it so that row 1 "
        "holds the column names."
    )


def test_unknown_suffix(tmp_path):
    (tmp_path / "c.sav").write_text("x")
    assert read_error(tmp_path / "c.sav") == (
        f"{tmp_path / 'c.sav'}: cannot read files ending in '.sav'; use one of .csv, .parquet, "
        ".tsv, .txt, .xlsx."
    )


def test_adverse_event_table_checks(tmp_path, make_frame):
    make_frame().to_csv(tmp_path / "p.csv", index=False)
    pd.DataFrame(
        {
            "patient_id": ["P1", "P9", "P2"],
            "term": ["Rash", "Fatigue", "Anemia"],
            "grade": [2, 1, 7],
        }
    ).to_csv(tmp_path / "ae.csv", index=False)
    assert read_error(tmp_path / "p.csv", reference="thal", adverse_events=tmp_path / "ae.csv") == (
        "ae.csv: 2 problems in the cohort data:\n"
        "  - column 'grade', row 4 (value '7'): CTCAE grades of listed events must be whole "
        "numbers from 1 to 5.\n"
        "  - column 'patient_id', row 3 (value 'P9'): patients not in p.csv."
    )


# ----------------------------------------------------------------- study files


def write(tmp_path, text: str):
    small_frame().to_csv(tmp_path / "p.csv", index=False)
    path = tmp_path / "study.toml"
    path.write_text(text)
    return path


def study_error(path) -> str:
    with pytest.raises(StudyError) as info:
        Study.load(path)
    return str(info.value)


def test_study_relative_paths_mapping_and_settings(tmp_path, make_frame):
    small = make_frame().rename(columns={"hgb_base": "HB", "arm": "group"})
    small.to_csv(tmp_path / "p.csv", index=False)
    (tmp_path / "study.toml").write_text(
        '[cohort]\ndata = "p.csv"\narm = "group"\nreference = "thal"\n'
        '[columns]\nhgb_base = "HB"\n[analysis]\nalpha = 0.01\nseed = 7\n'
        '[endpoints.baseline]\nvariables = ["age", "hgb_base"]\n'
    )
    study = Study.load(tmp_path / "study.toml")
    assert study.data == tmp_path / "p.csv"
    cohort = study.cohort()
    assert cohort.column_map["hgb_base"] == "HB" and cohort.reference == "thal"
    result = run(
        cohort, only="baseline", settings=study.endpoints, alpha=study.alpha, seed=study.seed
    )
    variables = {r.variable for r in result.records if r.stat == "p_value"}
    assert variables == {"age", "hgb_base"}
    assert (result.alpha, result.seed) == (0.01, 7)


def test_study_unknown_table(tmp_path):
    path = write(tmp_path, '[cohort]\ndata = "p.csv"\n[colums]\nhgb_base = "HB"\n')
    assert study_error(path) == (
        f"{path}: unknown table [colums]; a study file has [cohort], [columns], [codes], "
        "[analysis], [endpoints.NAME], [labels], [arms], [adjust] and [design]."
    )


def test_study_unknown_cohort_key(tmp_path):
    path = write(tmp_path, '[cohort]\ndata = "p.csv"\nrefrence = "thal"\n')
    assert study_error(path) == (
        f"{path}: unknown key in [cohort]: refrence; known: adverse_events, "
        "adverse_events_complete, arm, data, event_codes, reference, time_unit."
    )


def test_study_not_toml(tmp_path):
    path = write(tmp_path, "[cohort]\ndata = p.csv\n")
    assert study_error(path).startswith(
        f"{path}: not valid TOML: Invalid value (at line 2, column 8)."
    )


def test_study_unknown_endpoint_and_option(tmp_path):
    path = write(tmp_path, '[cohort]\ndata = "p.csv"\nreference = "thal"\n[endpoints.qol]\n')
    study = Study.load(path)
    with pytest.raises(
        StudyError, match="^\\[endpoints\\]: unknown endpoint qol; registered: baseline"
    ):
        run(study.cohort(), settings=study.endpoints)
    path = write(
        tmp_path,
        '[cohort]\ndata = "p.csv"\nreference = "thal"\n[endpoints.baseline]\nvariabels = ["age"]\n',
    )
    study = Study.load(path)
    with pytest.raises(StudyError) as info:
        run(study.cohort(), settings=study.endpoints)
    assert str(info.value) == (
        "[endpoints.baseline]: unknown option variabels; known: variables, categorical_below, "
        "statistic, mean."
    )


def test_bundled_study_loads():
    study = Study.load(EXAMPLE_STUDY)
    assert study.reference == "thalidomide"
    assert study.adverse_events.name == "adverse_events.csv"


def test_excel_duplicated_column_names(tmp_path, make_frame):
    frame = make_frame()[["patient_id", "arm", "age"]]
    frame.columns = ["patient_id", "arm", "arm"]
    frame.to_excel(tmp_path / "d.xlsx", index=False)
    assert read_error(tmp_path / "d.xlsx") == (
        f"{tmp_path / 'd.xlsx'}: column name 'arm' appears more than once in the header; every "
        "column needs its own name."
    )


def test_study_value_types_checked(tmp_path):
    path = write(tmp_path, '[cohort]\ndata = "p.csv"\nadverse_events_complete = "no"\n')
    assert study_error(path) == (
        f"{path}: [cohort] adverse_events_complete must be true or false, not 'no'."
    )
    path = write(tmp_path, '[cohort]\ndata = "p.csv"\n[analysis]\nseed = "7"\n')
    assert study_error(path) == f"{path}: [analysis] seed must be a whole number, not '7'."


def test_study_endpoint_errors_name_the_study_file(tmp_path):
    from click.testing import CliRunner

    from mdsrs_core.cli import main

    path = write(
        tmp_path,
        '[cohort]\ndata = "p.csv"\nreference = "thal"\n[endpoints.baseline]\nvariabels = ["age"]\n',
    )
    out = CliRunner().invoke(main, ["run", str(path), "--out", str(tmp_path / "o")])
    assert out.exit_code == 2
    assert out.output == (
        f"Error: {path}: [endpoints.baseline]: unknown option variabels; "
        "known: variables, categorical_below, statistic, mean.\n"
    )


def test_endpoint_option_types_checked(tmp_path):
    path = write(
        tmp_path, '[cohort]\ndata = "p.csv"\nreference = "thal"\n[endpoints.os]\nlandmarks = "12"\n'
    )
    study = Study.load(path)
    with pytest.raises(StudyError) as info:
        run(study.cohort(), settings=study.endpoints)
    assert str(info.value) == (
        "[endpoints.os]: option landmarks must be a list, e.g. [12, 36, 60], not '12'."
    )
    path = write(
        tmp_path,
        '[cohort]\ndata = "p.csv"\nreference = "thal"\n[endpoints.os]\nlandmarks = [12, "sixty"]\n',
    )
    study = Study.load(path)
    with pytest.raises(StudyError) as info:
        run(study.cohort(), settings=study.endpoints)
    assert str(info.value) == (
        "[endpoints.os]: option landmarks must list items of one kind (a number), not 'sixty'."
    )
