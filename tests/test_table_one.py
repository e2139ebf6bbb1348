"""Table 1 as gtsummary's ``tbl_summary(by = arm) |> add_p() |> add_overall()`` prints it,
controlled from the study file (``[labels]``, ``[arms]``, ``[endpoints.baseline]``)."""

from __future__ import annotations

import re

import pytest

from mdsrs_baseline.table import is_yes_no, style_percent
from mdsrs_core import load_example
from mdsrs_core.errors import StudyError
from mdsrs_core.report.formatting import style_pvalue
from mdsrs_core.runner import run
from mdsrs_core.study import EXAMPLE_STUDY, Study


def _table(cohort, **options):
    settings = {"baseline": options} if options else None
    out = run(cohort, only="baseline", settings=settings)
    records = [r for r in out.records if r.endpoint == "baseline"]
    return out["baseline"].endpoint.tables(records)["Table 1"], records


@pytest.fixture(scope="module")
def example():
    return _table(load_example())


def test_columns_and_labels_as_gtsummary(example):
    table, records = example
    assert list(table.columns) == [
        "Overall (N = 62)",
        "thalidomide (N = 38)",
        "lenalidomide (N = 24)",
        "p-value",
        "SMD",
    ]
    labels = list(table.index)
    # canonical variables: labels with units; the study's [labels] for the data's own columns
    for label in ("Age, years", "Hemoglobin, g/dL", "Platelets, ×10⁹/L", "Bone-marrow blasts, %"):
        assert label in labels
    assert "Absolute neutrophil count, ×10⁹/L" in labels
    assert "Ring sideroblasts, %" in labels and "Transfusion dependence" in labels
    assert "IPSS-R score" in labels  # not "... before treatment" in a baseline table
    text = " ".join(labels) + " ".join(table.to_numpy().ravel())
    assert "ring_sideroblasts_pct" not in text and "transfusion_dependent" not in text


def test_one_statistic_per_continuous_variable_median_by_default(example):
    table, records = example
    by = {(r.variable, r.arm, r.stat): r.value for r in records if r.level is None}
    age = table.loc["Age, years"]
    assert age.iloc[1] == (
        f"{by[('age', 'thalidomide', 'median')]:.1f} [{by[('age', 'thalidomide', 'p25')]:.1f}, "
        f"{by[('age', 'thalidomide', 'p75')]:.1f}]"
    )
    assert age.iloc[0] == "62.5 [59.0, 69.0]"
    assert not any("Mean" in i or "Median" in i for i in table.index)  # no sub-rows
    assert table.attrs["footnotes"][0] == "Median [Q1, Q3]; n (%)."


def test_mean_sd_on_request():
    table, records = _table(load_example(), statistic="mean")
    by = {(r.variable, r.arm, r.stat): r.value for r in records if r.level is None}
    assert table.loc["Age, years"].iloc[0] == (
        f"{by[('age', None, 'mean')]:.1f} ({by[('age', None, 'sd')]:.1f})"
    )
    assert table.attrs["footnotes"][0].startswith("Mean (SD)")
    mixed, _ = _table(load_example(), mean=["age"])
    assert "(" in mixed.loc["Age, years"].iloc[0] and "[" in mixed.loc["Hemoglobin, g/dL"].iloc[0]
    with pytest.raises(StudyError, match='statistic must be "median"'):
        _table(load_example(), statistic="mode")


def test_p_values_as_style_pvalue_with_lettered_tests(example):
    table, records = example
    notes = table.attrs["footnotes"]
    letters = {n[0]: n[2:] for n in notes if n[0] in "ᵃᵇᶜ"}
    assert letters == {
        "ᵃ": "Wilcoxon rank sum test",
        "ᵇ": "Pearson's Chi-squared test",
        "ᶜ": "Fisher's exact test",
    }
    from mdsrs_core.report.naming import test_name

    labels = {r.variable: r for r in records if r.stat == "p_value"}
    rows = [i for i in table.index if not i.startswith(" ")]
    assert len(labels) == len(rows) == 12  # one p-value per variable, on its label row
    cells = [table.loc[i, "p-value"] for i in rows]
    letter_of = {v: k for k, v in letters.items()}
    expected = [f"{style_pvalue(r.value)}{letter_of[test_name(r.method)]}" for r in labels.values()]
    assert cells == expected
    age_p = next(r for r in records if r.variable == "age" and r.stat == "p_value")
    assert age_p.value > 0.9 and table.loc["Age, years", "p-value"] == ">0.9ᵃ"
    anc_p = next(r for r in records if r.variable == "anc_base" and r.stat == "p_value")
    assert table.loc["Absolute neutrophil count, ×10⁹/L", "p-value"] == (
        f"{style_pvalue(anc_p.value)}ᵃ"
    )
    assert re.fullmatch(r"0\.\d\dᵃ", table.loc["Absolute neutrophil count, ×10⁹/L", "p-value"])


def test_yes_no_variable_on_one_row_and_percent_as_gtsummary(example):
    table, records = example
    row = table.loc["Transfusion dependence"]
    yes = {
        r.arm: (
            r.value,
            next(
                x.value
                for x in records
                if x.variable == r.variable
                and x.arm == r.arm
                and x.level == "yes"
                and x.stat == "p"
            ),
        )
        for r in records
        if r.variable == "transfusion_dependent" and r.level == "yes" and r.stat == "n"
    }
    assert row.iloc[1] == f"{yes['thalidomide'][0]} ({style_percent(yes['thalidomide'][1])}%)"
    assert row.iloc[1] == "19 (50%)" and row.iloc[2] == "15 (63%)"
    assert "    yes" not in table.index and "    no" not in table.index
    assert row["p-value"] == "0.3ᵇ"
    # two levels that are not yes/no keep a row each
    assert "    mutated" in table.index and "    wild-type" in table.index
    assert [style_percent(p) for p in (0.625, 0.0263, 0.0004, 0.0, 0.09995)] == [
        "63",
        "2.6",
        "<0.1",
        "0",
        "10.0",  # 9.995% is below 10: one decimal, as gtsummary
    ]
    assert is_yes_no(["No", "Yes"]) == "Yes" and is_yes_no([0, 1]) == 1
    assert is_yes_no(["mutated", "wild-type"]) is None


def test_unknown_row_for_missing_values():
    cohort = load_example()
    cohort.data.loc[cohort.data.index[:3], "hgb_base"] = None
    table, _ = _table(cohort)
    position = list(table.index).index("Hemoglobin, g/dL")
    assert table.index[position + 1] == "    Unknown"
    assert table.iloc[position + 1, :3].tolist()[0] == "3"
    assert "Unknown: patients without a value" in table.attrs["footnotes"][0]


def test_arm_display_names_and_order_from_the_study_file(tmp_path):
    raw = {
        "cohort": {"data": str(EXAMPLE_STUDY.parent / "patients.csv"), "reference": "thalidomide"},
        "labels": {"age": "Age at start, years"},
        "arms": {"lenalidomide": "Lenalidomide", "thalidomide": "Thalidomide"},
    }
    study = Study.from_dict(raw, path=tmp_path / "study.toml")
    cohort = study.cohort()
    assert cohort.arms == ["thalidomide", "lenalidomide"]  # the reference is unchanged
    assert cohort.display_arms == ["lenalidomide", "thalidomide"]
    table, _ = _table(cohort)
    assert list(table.columns)[:3] == [
        "Overall (N = 62)",
        "Lenalidomide (N = 24)",
        "Thalidomide (N = 38)",
    ]
    assert "Age at start, years" in table.index
    raw["arms"] = {"lenalidomid": "Lenalidomide"}
    with pytest.raises(StudyError, match="'lenalidomid' is not an arm of the data"):
        Study.from_dict(raw, path=tmp_path / "study.toml").cohort()
    raw["arms"] = {"lenalidomide": 3}
    with pytest.raises(StudyError, match=r"\[arms\] lenalidomide must be a name as text"):
        Study.from_dict(raw, path=tmp_path / "study.toml")
