"""The `response` endpoint against R (tests/results/response.R) and the IWG 2006 HI rules."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mdsrs_core import Cohort, load_example, run
from mdsrs_response.derive import NO_CYTOPENIA, hematologic_improvement

REFERENCE = Path(__file__).parent / "results" / "response.csv"


def keyed(records):
    return {
        (r.variable, r.arm or "", r.level or "", r.stat): r
        for r in records
        if r.endpoint == "response"
    }


def r_rows(scenario):
    with REFERENCE.open() as f:
        return [
            (r["variable"], r["arm"], r["level"], r["stat"], r["value"])
            for r in csv.DictReader(f)
            if r["scenario"] == scenario
        ]


def example_frame() -> pd.DataFrame:
    return load_example().data.copy()


def cohort_of(frame: pd.DataFrame) -> Cohort:
    keep = [
        c
        for c in frame.columns
        if c not in ("responder", "hi_e", "hi_p", "hi_n") and not c.startswith("ipssr")
    ]
    return Cohort(frame[keep], reference="thalidomide")


@pytest.fixture(scope="module")
def example():
    result = run(load_example(), only=["response"])
    assert result["response"].status == "ok"
    return result


@pytest.fixture(scope="module")
def labs():
    frame = example_frame().drop(columns=["response"])
    result = run(cohort_of(frame), only=["response"])
    assert result["response"].status == "ok"
    return result


def _check(records, variable, arm, level, stat, expected):
    record = records.get((variable, arm, level, stat))
    if expected == "NA":
        assert record is None or record.value is None
        return
    if expected == "Inf":
        assert record.value == math.inf
        return
    assert record.value == pytest.approx(float(expected), rel=1e-6, abs=1e-12)


@pytest.mark.parametrize(
    "variable, arm, level, stat, expected", r_rows("example"), ids=lambda v: str(v)
)
def test_example_equals_r(example, variable, arm, level, stat, expected):
    _check(keyed(example.records), variable, arm, level, stat, expected)


@pytest.mark.parametrize(
    "variable, arm, level, stat, expected", r_rows("labs"), ids=lambda v: str(v)
)
def test_lab_derived_hi_equals_r(labs, variable, arm, level, stat, expected):
    records = keyed(labs.records)
    if variable == "flow":
        excluded = sum(
            r.value
            for r in labs.records
            if r.endpoint == "response"
            and r.variable == "flow"
            and r.stat == "n_excluded"
            and r.arm == arm
        )
        assert excluded == float(expected)
        return
    _check(records, variable, arm, level, stat, expected)


def test_study_figures_and_conclusion(example):
    rec = keyed(example.records)
    assert (
        rec[("responder", "lenalidomide", "", "n")].value,
        rec[("responder", "lenalidomide", "", "N")].value,
    ) == (12, 24)
    assert (
        rec[("responder", "thalidomide", "", "n")].value,
        rec[("responder", "thalidomide", "", "N")].value,
    ) == (9, 38)
    chosen = rec[("responder", "", "chosen_test", "p_value")]
    assert chosen.method == "Pearson's Chi-squared test" and round(chosen.value, 3) == 0.033
    assert round(rec[("responder", "", "fisher", "p_value")].value, 3) == 0.053
    assert rec[("responder", "", "conclusion", "robust")].value is False
    notes = example["response"].result.notes
    assert any("depends on the test" in n and "Fisher's exact test (p = 0.053)" in n for n in notes)


def test_tables_show_rates_tests_and_conclusion(example):
    endpoint = example["response"].endpoint
    tables = endpoint.tables([r for r in example.records if r.endpoint == "response"])
    cats = tables["Best response (IWG 2006) by arm, n (%)"]
    assert cats.loc["CR", "lenalidomide (N=24)"] == "4 (16.7%)"
    comp = tables["Responder rate by arm"]
    assert comp.loc["Responders, lenalidomide", "Estimate"] == "12/24 (50.0%)"
    assert comp.loc["Test (gtsummary rule)", "p-value"] == "0.033"
    panel = tables["Responder rate: sensitivity panel"]
    assert panel.loc["Fisher's exact test", "p-value"] == "0.053"
    assert panel.loc["Fisher's exact test", "Significant"] == "no"
    assert "depends on the test" in panel.loc["Conclusion", "Method"]


def test_missing_response_excluded_with_reason():
    frame = example_frame()
    frame.loc[[0, 1, 3], "response"] = np.nan  # two thalidomide, one lenalidomide
    result = run(cohort_of(frame), only=["response"])["response"].result
    assert result.n_analysed == {"thalidomide": 36, "lenalidomide": 23}
    assert {e.patient_id for e in result.exclusions} == set(frame.loc[[0, 1, 3], "patient_id"])
    assert {e.reason for e in result.exclusions} == {"response missing"}
    rec = keyed(result.records)
    assert rec[("responder", "thalidomide", "", "N")].value == 36


def test_zero_responders_in_an_arm_give_firth_and_a_note():
    frame = example_frame()
    lena = frame["arm"] == "lenalidomide"
    frame.loc[lena, "response"] = "SD"
    result = run(cohort_of(frame), only=["response"])["response"].result
    rec = keyed(result.records)
    expected = r_rows("zero")
    for variable, arm, level, stat, value in expected:
        _check(rec, variable, arm, level, stat, value)
    assert any("Firth" in n for n in result.notes)


def test_all_responders_in_an_arm():
    frame = example_frame()
    frame.loc[frame["arm"] == "lenalidomide", "response"] = "CR"
    result = run(cohort_of(frame), only=["response"])["response"].result
    rec = keyed(result.records)
    for variable, arm, level, stat, value in r_rows("all"):
        _check(rec, variable, arm, level, stat, value)


def test_derive_adds_responder_and_labs_variables():
    cohort = load_example()
    assert cohort.data["responder"].sum() == 21
    assert "response" in cohort.derived["responder"]
    labs = cohort_of(example_frame().drop(columns=["response"]))
    assert {"hi_e", "hi_p", "hi_n", "responder"} <= set(labs.derived)
    assert "HI-E" in labs.label("hi_e")


def test_skipped_without_response_or_labs():
    frame = example_frame().drop(
        columns=["response", "hgb_base", "hgb_post", "plt_base", "plt_post", "anc_base", "anc_post"]
    )
    frame = frame[[c for c in frame.columns if not c.startswith("ipssr")]]
    outcome = run(cohort_of(frame), only=["response"])["response"]
    assert outcome.status == "skipped"
    assert "needs response" in outcome.reason


# ------------------------------------------------------------------ IWG 2006 HI boundaries


def hi_of(**labs):
    frame = pd.DataFrame({k: [v] for k, v in labs.items()})
    return hematologic_improvement(frame).iloc[0]


@pytest.mark.parametrize(
    "base, post, expected",
    [
        (10.9, 12.4, 1.0),  # rise exactly 1.5 from < 11: HI-E
        (10.9, 12.3, 0.0),  # rise 1.4
        (11.0, 12.5, None),  # baseline 11.0 is not anaemia < 11: not evaluable
        (7.3, 8.8, 1.0),  # 1.5 again, floating point 8.8 - 7.3 = 1.5000000000000009
        (8.1, 9.6, 1.0),
    ],
)
def test_hi_e_boundaries(base, post, expected):
    hi = hi_of(hgb_base=base, hgb_post=post)
    if expected is None:
        assert math.isnan(hi["hi_e"])
    else:
        assert hi["hi_e"] == expected


@pytest.mark.parametrize(
    "base, post, expected",
    [
        (20, 50, 1.0),  # from 20 (the absolute-rise group): +30
        (20, 49, 0.0),  # +29
        (99, 129, 1.0),  # < 100: +30
        (100, 200, None),  # 100 is not thrombocytopenia < 100: not evaluable
        (19, 38, 1.0),  # from 19 (< 20): to > 20 and doubled
        (9, 18, 0.0),  # from < 20: doubled but not > 20
        (10, 21, 1.0),  # from < 20 to > 20 and more than doubled
        (15, 21, 0.0),  # > 20 but not doubled
        (10.5, 21, 1.0),  # exactly doubled and > 20
        (10, 20, 0.0),  # doubled but exactly 20, not > 20
    ],
)
def test_hi_p_boundaries(base, post, expected):
    hi = hi_of(plt_base=base, plt_post=post)
    if expected is None:
        assert math.isnan(hi["hi_p"])
    else:
        assert hi["hi_p"] == expected


@pytest.mark.parametrize(
    "base, post, expected",
    [
        (0.5, 1.01, 1.0),  # doubled, rise 0.51 > 0.5
        (0.5, 1.0, 0.0),  # doubled, rise exactly 0.5: not > 0.5
        (0.9, 1.8, 1.0),  # exactly doubled, rise 0.9
        (0.9, 1.79, 0.0),  # rise 0.89 but not doubled
        (1.0, 3.0, None),  # ANC 1.0 is not neutropenia < 1.0: not evaluable
        (0.2, 0.8, 1.0),  # quadrupled and rise 0.6 > 0.5
        (0.2, 0.6, 0.0),  # tripled but rise 0.4
    ],
)
def test_hi_n_boundaries(base, post, expected):
    hi = hi_of(anc_base=base, anc_post=post)
    if expected is None:
        assert math.isnan(hi["hi_n"])
    else:
        assert hi["hi_n"] == expected


def test_not_evaluable_patients_excluded_not_non_responders():
    hi = hematologic_improvement(
        pd.DataFrame(
            {
                "hgb_base": [12.0, 9.0, 12.0],
                "hgb_post": [14.0, 9.5, np.nan],
                "plt_base": [150, 150, 50],
                "plt_post": [100, 150, np.nan],
                "anc_base": [2.0, 2.0, 2.0],
                "anc_post": [3.0, 2.0, 2.0],
            }
        )
    )
    assert math.isnan(hi.loc[0, "responder"]) and hi.loc[0, "reason"] == NO_CYTOPENIA
    assert hi.loc[1, "responder"] == 0.0 and hi.loc[1, "reason"] is None
    assert math.isnan(hi.loc[2, "responder"]) and "missing" in hi.loc[2, "reason"]


def test_lab_endpoint_excludes_patients_without_cytopenia():
    frame = example_frame().drop(columns=["response"])
    frame.loc[[0, 3], ["hgb_base", "plt_base", "anc_base"]] = [12.5, 150, 2.0]
    result = run(cohort_of(frame), only=["response"])["response"].result
    excluded = {e.patient_id: e.reason for e in result.exclusions}
    assert excluded == {
        frame.loc[0, "patient_id"]: NO_CYTOPENIA,
        frame.loc[3, "patient_id"]: NO_CYTOPENIA,
    }
    assert sum(result.n_analysed.values()) == 60
    assert any("8-week" in n for n in result.notes)


def test_summary_row_shows_that_the_conclusion_depends_on_the_test():
    result = run(load_example(), only="response")
    own = [r for r in result.records if r.endpoint == "response"]
    (row,) = result["response"].endpoint.summary(own)
    assert row.per_arm == {"thalidomide": "9/38 (23.7%)", "lenalidomide": "12/24 (50.0%)"}
    assert row.primary_test == "Pearson's Chi-squared test"
    assert row.caveat == (
        "The conclusion depends on the test: Pearson's Chi-squared test p = 0.033; Fisher's "
        "exact p = 0.053, Yates' chi-square p = 0.063."
    )
    chosen = next(r for r in own if r.level == "chosen_test" and r.stat == "p_value")
    assert row.primary_p_value == chosen.value
    wald = next(r for r in own if r.level == "arm[T.lenalidomide]" and r.stat == "p_value")
    assert row.p_value == wald.value and row.test == "Wald test (logistic regression)"
