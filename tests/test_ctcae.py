"""CTCAE v5.0 lab grades (mdsrs_adverse_events.ctcae): every cut-point from both sides.

Expected grades are read off the CTCAE v5.0 criteria ("<a - b" means b <= value < a):
Anemia 1 <LLN - 10.0, 2 <10.0 - 8.0, 3 <8.0 g/dL (4 is clinical); Platelet count decreased
1 <LLN - 75, 2 <75 - 50, 3 <50 - 25, 4 <25 x10^9/L; Neutrophil count decreased 1 <LLN - 1.5,
2 <1.5 - 1.0, 3 <1.0 - 0.5, 4 <0.5 x10^9/L.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mdsrs_adverse_events.ctcae import grade_anemia, grade_neutrophils, grade_platelets


@pytest.mark.parametrize(
    "hgb, grade",
    [
        (14.0, 0),
        (12.0, 0),
        (11.99, 1),
        (10.0, 1),
        (9.99, 2),
        (8.0, 2),
        (7.99, 3),
        (4.0, 3),
        (0.0, 3),
    ],
)
def test_anemia_cut_points(hgb, grade):
    assert grade_anemia(hgb) == grade  # default LLN 12.0 g/dL


def test_anemia_never_grade_4_from_hemoglobin():
    assert grade_anemia(np.array([0.5, 2.0, 6.4])).tolist() == [3, 3, 3]


@pytest.mark.parametrize(
    "hgb, lln, grade", [(13.49, 13.5, 1), (13.5, 13.5, 0), (10.5, 10.5, 0), (10.49, 10.5, 1)]
)
def test_anemia_laboratory_lln(hgb, lln, grade):
    assert grade_anemia(hgb, lln=lln) == grade


def test_anemia_lln_by_sex_who():
    hgb = pd.Series([12.5, 12.5, 12.99, 13.0, 11.99], index=[10, 11, 12, 13, 14])
    out = grade_anemia(hgb, sex=["F", "M", "M", "M", "F"])
    assert out.tolist() == [0, 1, 1, 0, 1]
    assert list(out.index) == [10, 11, 12, 13, 14]
    # unknown sex: the default LLN 12.0
    assert grade_anemia([12.5], sex=[None]).tolist() == [0]


@pytest.mark.parametrize(
    "plt, grade",
    [
        (150.0, 0),
        (149.9, 1),
        (75.0, 1),
        (74.9, 2),
        (50.0, 2),
        (49.9, 3),
        (25.0, 3),
        (24.9, 4),
        (0.0, 4),
        (400.0, 0),
    ],
)
def test_platelet_cut_points(plt, grade):
    assert grade_platelets(plt) == grade


def test_platelet_laboratory_lln():
    assert grade_platelets(140, lln=130) == 0
    assert grade_platelets(129.9, lln=130) == 1


@pytest.mark.parametrize(
    "anc, grade",
    [
        (2.0, 0),
        (1.99, 1),
        (1.5, 1),
        (1.49, 2),
        (1.0, 2),
        (0.99, 3),
        (0.5, 3),
        (0.49, 4),
        (0.0, 4),
        (7.0, 0),
    ],
)
def test_neutrophil_cut_points(anc, grade):
    assert grade_neutrophils(anc) == grade


def test_neutrophil_lln_below_grade_2_cut():
    # an LLN of 1.5 leaves no grade 1: 1.5 is normal, 1.49 is grade 2
    assert grade_neutrophils([1.5, 1.49], lln=1.5).tolist() == [0, 2]


def test_missing_values_and_types():
    assert grade_anemia(float("nan")) is None
    assert grade_platelets(None) is None
    out = grade_neutrophils(pd.Series([1.2, None, 0.3]))
    assert str(out.dtype) == "Int64"
    assert out.isna().tolist() == [False, True, False]
    assert isinstance(grade_platelets(60), int)


@pytest.mark.parametrize("function", [grade_anemia, grade_platelets, grade_neutrophils])
def test_negative_values_are_an_error(function):
    with pytest.raises(ValueError, match="must not be negative"):
        function([1.0, -0.1])


def test_bad_lln_is_an_error():
    with pytest.raises(ValueError, match="LLN"):
        grade_platelets(100, lln=0)


def test_derived_variables_on_the_example_cohort():
    from mdsrs_core import load_example

    cohort = load_example()
    data = cohort.data
    for when in ("base", "post"):
        assert data[f"ctcae_plt_{when}"].tolist() == grade_platelets(data[f"plt_{when}"]).tolist()
        assert data[f"ctcae_anc_{when}"].tolist() == grade_neutrophils(data[f"anc_{when}"]).tolist()
        assert (
            data[f"ctcae_anemia_{when}"].tolist()
            == grade_anemia(data[f"hgb_{when}"], sex=data["sex"]).tolist()
        )
        assert f"ctcae_anemia_{when}" in cohort.derived
    # MDS-RS patients are anaemic before treatment: every baseline Hgb below 12 g/dL
    assert (data["hgb_base"] < 12).all()
    assert (data["ctcae_anemia_base"] >= 1).all()
    row = data.index[0]
    hgb = data.loc[row, "hgb_base"]
    expected = 3 if hgb < 8 else 2 if hgb < 10 else 1
    assert data.loc[row, "ctcae_anemia_base"] == expected
    assert not math.isnan(float(data.loc[row, "ctcae_plt_base"]))
    assert cohort.label("ctcae_plt_post").startswith("Platelet count decreased, CTCAE v5.0")


def test_no_derived_lab_grades_without_labs(make_frame):
    from mdsrs_core import Cohort

    frame = make_frame().drop(columns=["hgb_base", "hgb_post", "anc_post"])
    data = Cohort(frame, reference="thal").data
    assert "ctcae_anemia_base" not in data and "ctcae_anc_post" not in data
    assert "ctcae_anc_base" in data and "ctcae_plt_post" in data


def test_the_cohort_holds_the_lab_grades_as_nullable_int8_with_the_same_values():
    """The derived ctcae_* columns: one byte per patient, the grades (and the missing ones)
    the Int64 grading functions give."""
    from mdsrs_core import load_example

    cohort = load_example()
    data = cohort.data
    sex = data["sex"]
    for column, graded in (
        ("ctcae_anemia_base", grade_anemia(data["hgb_base"], sex=sex)),
        ("ctcae_plt_post", grade_platelets(data["plt_post"])),
        ("ctcae_anc_base", grade_neutrophils(data["anc_base"])),
    ):
        assert str(data[column].dtype) == "Int8"
        pd.testing.assert_series_equal(
            data[column], graded.astype("Int8"), check_names=False, check_index=False
        )
        assert data[column].isna().tolist() == graded.isna().tolist()
