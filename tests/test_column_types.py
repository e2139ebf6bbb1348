"""Column types kept (issue 12): numbers stay numbers, text stays text (a factor in formulas).

tests/results/column_types.R records R's read.csv class of every column of every test data set,
and coxph/lm fits with a numeric covariate that is not a canonical variable."""

from __future__ import annotations

import csv
import json
import math
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import read_reference

from mdsrs_core import Cohort, load_example
from mdsrs_core.cli import main
from mdsrs_core.coltypes import restore_types
from mdsrs_core.io import read_table
from mdsrs_core.models import coxph, lm
from mdsrs_core.study import EXAMPLE_STUDY

HERE = Path(__file__).parent
with (HERE / "results" / "column_types.csv").open() as f:
    R_TYPES = [
        (r["file"], r["column"], r["class"], r["any_na"] == "TRUE") for r in csv.DictReader(f)
    ]
R_MODELS = {
    k[:3]: k[3]
    for k in read_reference(HERE / "results" / "column_types_models.csv", ("model", "term", "stat"))
}
COX = "Surv(os_months, death) ~ arm + ring_sideroblasts_pct + transfusion_dependent"
LM = "hgb_post ~ arm + hgb_base + ring_sideroblasts_pct"


def expected_dtype(r_class: str, any_na: bool) -> str:
    if r_class == "integer":
        return "float64" if any_na else "int64"
    if r_class == "logical":
        return "text" if any_na else "bool"
    return {"numeric": "float64", "character": "text"}[r_class]


def kind(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "bool"
    if pd.api.types.is_numeric_dtype(series):
        return str(series.dtype)
    return "text"


def test_reference_covers_the_test_data_sets():
    # every data set of tests/data when column_types.R last ran (re-run it after adding one)
    files = {p.name for p in (HERE / "data").glob("*.csv")}
    covered = {f for f, *_ in R_TYPES}
    assert covered <= files
    assert len(covered) >= 20 and len(R_TYPES) > 150


@pytest.mark.parametrize("typed", [False, True], ids=["as-text-then-restored", "typed-read"])
def test_every_column_of_every_test_data_set_has_rs_type(typed):
    frames = {}
    for file, column, r_class, any_na in R_TYPES:
        if file not in frames:
            raw = read_table(HERE / "data" / file, typed=typed)
            frames[file] = raw if typed else restore_types(raw, skip=())
        got = kind(frames[file][column])
        want = expected_dtype(r_class, any_na)
        if typed and want == "int64" and got == "int64":
            continue
        assert got == want, (file, column, r_class)


def test_example_cohort_keeps_number_columns_numeric():
    data = load_example().data
    assert data["ring_sideroblasts_pct"].dtype == "int64"
    assert data["treatment_start"].dtype == object  # dates stay text
    assert data["sf3b1"].dtype == object
    assert data["age"].dtype == "float64"


def test_text_number_mixture_stays_text(tmp_path):
    frame = load_example().data[["patient_id", "arm"]].astype(str)
    frame["stage"] = ["1", "2", "3b"] + ["1"] * (len(frame) - 3)
    frame["karno"] = [" 90", "80", ""] + ["70"] * (len(frame) - 3)
    path = tmp_path / "p.csv"
    frame.to_csv(path, index=False)
    data = Cohort.read(path, reference="thalidomide").data
    assert data["stage"].dtype == object
    assert data["karno"].dtype == "float64"  # a missing value: R's NA, float here
    assert data["karno"].iloc[:3].tolist()[:2] == [90.0, 80.0]
    assert math.isnan(data["karno"].iloc[2])


def _check_tidy(tidy: pd.DataFrame, model: str):
    terms = {t for (m, t, _s) in R_MODELS if m == model}
    assert set(tidy["term"]) == terms
    for _, row in tidy.iterrows():
        for stat in ("estimate", "std_error", "p_value"):
            assert row[stat] == pytest.approx(R_MODELS[(model, row["term"], stat)], rel=1e-6)


def test_numeric_covariate_is_one_slope_in_coxph_and_lm():
    cohort = load_example()
    _check_tidy(coxph(COX, data=cohort).tidy(), "coxph")
    _check_tidy(lm(LM, data=cohort).tidy(), "lm")


def test_fit_on_a_study_file_equals_r():
    result = CliRunner().invoke(main, ["fit", "coxph", COX, str(EXAMPLE_STUDY), "--json"])
    assert result.exit_code == 0, result.output
    _check_tidy(pd.DataFrame(json.loads(result.output)), "coxph")


def test_factor_in_a_formula_fits_a_number_column_as_categorical():
    cohort = load_example()
    as_factor = coxph("Surv(os_months, death) ~ arm + factor(ae_max_grade)", data=cohort).tidy()
    assert len(as_factor) == 1 + 4  # arm and four of the five grades 0-4
    slope = coxph("Surv(os_months, death) ~ arm + ae_max_grade", data=cohort).tidy()
    assert slope["term"].tolist() == ["arm[T.lenalidomide]", "ae_max_grade"]


def test_run_through_a_study_file_fits_one_slope(tmp_path):
    for f in ("patients.csv", "adverse_events.csv", "study.toml"):
        shutil.copy(EXAMPLE_STUDY.parent / f, tmp_path / f)
    study = tmp_path / "study.toml"
    study.write_text(study.read_text() + f'formula = "{COX}"\n')
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(study), "--only", "os", "--out", str(out)])
    assert result.exit_code == 0, result.output
    records = json.loads((out / "results.json").read_text())
    cox = {
        (r["level"], r["stat"]): r["value"]
        for r in records
        if r["variable"] == "os_cox" and r["stat"] in ("estimate", "std_error", "p_value")
    }
    terms = {t for (m, t, _s) in R_MODELS if m == "coxph"}
    assert {level for level, _ in cox} == terms
    for term in terms:
        assert math.log(cox[(term, "estimate")]) == pytest.approx(
            R_MODELS[("coxph", term, "estimate")], rel=1e-6
        )
        for stat in ("std_error", "p_value"):
            assert cox[(term, stat)] == pytest.approx(R_MODELS[("coxph", term, stat)], rel=1e-6)
