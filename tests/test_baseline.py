"""Table 1 (`baseline`) on the example cohort against R (tests/results/baseline.R)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import read_reference

from mdsrs_core import load_example, run

REFERENCE = Path(__file__).parent / "results" / "baseline.csv"


@pytest.fixture(scope="module")
def records():
    result = run(load_example(), only=["baseline"])
    assert result["baseline"].status == "ok"
    return {
        (r.variable, r.arm or "", r.level or "", r.stat): r
        for r in result.records
        if r.endpoint == "baseline"
    }


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
        if isinstance(r.value, (int, float)) and not isinstance(r.value, bool) and k[0] != "flow"
    }
    assert numbers - reference == set()
    assert reference <= set(records)


def test_test_named_per_row_by_gtsummary_rule(records):
    assert records[("age", "", "", "p_value")].method == (
        "Wilcoxon rank sum test with continuity correction"
    )
    assert records[("sex", "", "", "p_value")].method == "Pearson's Chi-squared test"
    assert records[("cyto_base", "", "", "p_value")].method == "Fisher's Exact Test for Count Data"
    assert records[("cyto_base", "", "", "test_rule")].value == (
        "gtsummary add_p() default: an expected count < 5 (smallest 0.387), so Fisher's exact test"
    )


def test_arm_sizes_and_patient_flow(records):
    assert records[("arm", "thalidomide", "", "N")].value == 38
    assert records[("arm", "lenalidomide", "", "N")].value == 24
    assert records[("flow", "", "", "n_analysed")].value == 62


def test_dates_left_out_with_a_note():
    result = run(load_example(), only=["baseline"])
    notes = result["baseline"].result.notes
    assert notes == ["Left out of Table 1: treatment_start (dates)."]


def test_missing_values_counted(frame):
    from mdsrs_core import Cohort

    frame.loc[[0, 1], "age"] = None
    out = run(Cohort(frame, reference="thal"), only="baseline")
    recs = {
        (r.variable, r.arm, r.stat): r.value
        for r in out.records
        if r.endpoint == "baseline" and r.level is None
    }
    assert recs[("age", "len", "n_missing")] == 1
    assert recs[("age", "thal", "n_missing")] == 1
    assert recs[("age", None, "n")] == 6
    table = out["baseline"].endpoint.tables([r for r in out.records if r.endpoint == "baseline"])
    frame1 = table["Table 1"]
    missing_rows = frame1.loc[["    Unknown"]]
    assert missing_rows.iloc[0, :3].tolist() == ["2", "1", "1"]  # overall, thal, len
