"""IPSS-R / IPSS-RA calculator: published golden cases, every cut-point on both sides,
missing components, cytogenetic label spellings and bad labels."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mdsrs_core.errors import CohortError
from mdsrs_ipssr import CATEGORIES, score
from mdsrs_ipssr.cytogenetics import invalid_cyto_positions, normalize_cyto
from mdsrs_ipssr.scoring import age_adjust, categorize

COLS = dict(hgb="hgb", plt="plt", anc="anc", blasts="blasts", cyto="cyto")

# A patient scoring 0 on every component: the reference for one-component tests.
ZERO = dict(hgb=12.0, plt=200.0, anc=2.0, blasts=1.0, cyto="very good")


def one(age=None, **overrides):
    """Score a single patient built from ZERO with some components changed."""
    row = {**ZERO, **overrides}
    if age is not None:
        row["age"] = age
    frame = pd.DataFrame([row])
    return score(frame, **COLS, age="age" if age is not None else None).iloc[0]


# ---------------------------------------------------------------- published golden cases
GOLDEN = [
    # hgb, anc, plt, blasts, cyto, age, ipssr, category, ipssra, ra category
    (10, 1.8, 150, 2, "poor", 28, 3.0, "Low", 1.53, "Low"),
    (8.2, 0.72, 239, 0, "good", 63.5, 2.5, "Low", 2.2563, "Low"),
    (9.6, 4.84, 281, 9, "good", 79, 4.0, "Intermediate", 4.27, "Intermediate"),
    (7.5, 0.24, 23, 16, "very poor", 66, 10.0, "Very High", 10.0, "Very High"),
]


@pytest.mark.parametrize("hgb,anc,plt,blasts,cyto,age,ipssr,cat,ipssra,racat", GOLDEN)
def test_golden_cases_from_published_calculator(
    hgb, anc, plt, blasts, cyto, age, ipssr, cat, ipssra, racat
):
    frame = pd.DataFrame([dict(hgb=hgb, anc=anc, plt=plt, blasts=blasts, cyto=cyto, age=age)])
    res = score(frame, **COLS, age="age").iloc[0]
    assert res["ipssr_score"] == ipssr
    assert res["ipssr_category"] == cat
    assert res["ipssra_score"] == ipssra
    assert res["ipssra_category"] == racat


def test_golden_cases_together_keep_index_and_order():
    frame = pd.DataFrame(
        [dict(hgb=g[0], anc=g[1], plt=g[2], blasts=g[3], cyto=g[4], age=g[5]) for g in GOLDEN],
        index=["p4", "p1", "p3", "p2"],
    )
    res = score(frame, **COLS, age="age")
    assert list(res.index) == ["p4", "p1", "p3", "p2"]
    assert list(res.columns) == ["ipssr_score", "ipssr_category", "ipssra_score", "ipssra_category"]
    assert res["ipssr_score"].tolist() == [3.0, 2.5, 4.0, 10.0]
    assert res["ipssra_score"].tolist() == [1.53, 2.2563, 4.27, 10.0]


def test_without_age_only_ipssr_columns():
    res = score(pd.DataFrame([ZERO]), **COLS)
    assert list(res.columns) == ["ipssr_score", "ipssr_category"]
    assert res["ipssr_score"].iloc[0] == 0.0
    assert res["ipssr_category"].iloc[0] == "Very Low"


def test_category_is_ordered_categorical():
    res = score(pd.DataFrame([ZERO]), **COLS, age=None)
    cat = res["ipssr_category"]
    assert isinstance(cat.dtype, pd.CategoricalDtype)
    assert cat.cat.ordered
    assert list(cat.cat.categories) == ["Very Low", "Low", "Intermediate", "High", "Very High"]
    assert list(CATEGORIES) == list(cat.cat.categories)


# ---------------------------------------------------------------- component cut-points
@pytest.mark.parametrize(
    "blasts,points",
    [
        (0, 0),
        (2, 0),
        (2.0001, 1),
        (3, 1),
        (4.999, 1),
        (5, 2),
        (7.5, 2),
        (10, 2),
        (10.0001, 3),
        (19, 3),
    ],
)
def test_blast_cut_points(blasts, points):
    assert one(blasts=blasts)["ipssr_score"] == points


@pytest.mark.parametrize(
    "hgb,points", [(5.0, 1.5), (7.999, 1.5), (8, 1.0), (9.999, 1.0), (10, 0.0), (14, 0.0)]
)
def test_hemoglobin_cut_points(hgb, points):
    assert one(hgb=hgb)["ipssr_score"] == points


@pytest.mark.parametrize(
    "plt,points", [(10, 1.0), (49.99, 1.0), (50, 0.5), (99.99, 0.5), (100, 0.0), (450, 0.0)]
)
def test_platelet_cut_points(plt, points):
    assert one(plt=plt)["ipssr_score"] == points


@pytest.mark.parametrize("anc,points", [(0.1, 0.5), (0.799, 0.5), (0.8, 0.0), (3.0, 0.0)])
def test_anc_cut_points(anc, points):
    assert one(anc=anc)["ipssr_score"] == points


@pytest.mark.parametrize(
    "cyto,points",
    [("very good", 0), ("good", 1), ("intermediate", 2), ("poor", 3), ("very poor", 4)],
)
def test_cytogenetic_points(cyto, points):
    assert one(cyto=cyto)["ipssr_score"] == points


EPS = 1e-4


@pytest.mark.parametrize(
    "value,category",
    [
        (0.0, "Very Low"),
        (1.5, "Very Low"),
        (1.5 + EPS, "Low"),
        (3.0, "Low"),
        (3.0 + EPS, "Intermediate"),
        (4.5, "Intermediate"),
        (4.5 + EPS, "High"),
        (6.0, "High"),
        (6.0 + EPS, "Very High"),
        (10.0, "Very High"),
    ],
)
def test_category_cut_points(value, category):
    assert categorize(pd.Series([value])).iloc[0] == category


@pytest.mark.parametrize(
    "overrides,total,category",
    [
        # 1 (good) + 0.5 (plt 50-<100) = 1.5 -> Very Low; + 0.5 ANC = 2.0 -> Low
        (dict(cyto="good", plt=60), 1.5, "Very Low"),
        (dict(cyto="good", plt=60, anc=0.5), 2.0, "Low"),
        # 3 (poor) -> Low; + 0.5 -> 3.5 Intermediate
        (dict(cyto="poor"), 3.0, "Low"),
        (dict(cyto="poor", anc=0.5), 3.5, "Intermediate"),
        # 2 + 1 + 1.5 = 4.5 Intermediate; + 0.5 = 5 High
        (dict(cyto="intermediate", blasts=3, hgb=7), 4.5, "Intermediate"),
        (dict(cyto="intermediate", blasts=3, hgb=7, anc=0.5), 5.0, "High"),
        # 4 + 2 = 6 High; + 0.5 = 6.5 Very High
        (dict(cyto="very poor", blasts=6), 6.0, "High"),
        (dict(cyto="very poor", blasts=6, plt=70), 6.5, "Very High"),
    ],
)
def test_total_score_category_cut_points(overrides, total, category):
    res = one(**overrides)
    assert res["ipssr_score"] == total
    assert res["ipssr_category"] == category


# ---------------------------------------------------------------- IPSS-RA
@pytest.mark.parametrize(
    "ipssr,age,expected",
    [
        (3.0, 28, 1.53),  # 3 - 42 x 0.035
        (2.5, 63.5, 2.2563),  # 2.25625 rounded half-up as published
        (4.0, 79, 4.27),
        (10.0, 66, 10.0),  # (0.05 - 10 x 0.005) = 0: no age effect at 10
        (2.0, 70, 2.0),  # age 70: no adjustment
        (0.0, 90, 1.0),  # 0 + 20 x 0.05
    ],
)
def test_age_adjustment_formula(ipssr, age, expected):
    assert age_adjust(pd.Series([ipssr]), pd.Series([float(age)])).iloc[0] == expected


@pytest.mark.parametrize(
    "overrides,age,ipssra,category",
    [
        # IPSS-R 2 at 57.5: 2 - 12.5 x 0.04 = 1.5 exactly -> Very Low (upper bound inclusive)
        (dict(cyto="intermediate"), 57.5, 1.5, "Very Low"),
        # IPSS-R 1 at 81: 1 + 11 x 0.045 = 1.495 -> Very Low; at 82: 1.54 -> Low
        (dict(cyto="good"), 81, 1.495, "Very Low"),
        (dict(cyto="good"), 82, 1.54, "Low"),
        # IPSS-R 2 at 95: 2 + 25 x 0.04 = 3 exactly -> Low
        (dict(cyto="intermediate"), 95, 3.0, "Low"),
        # IPSS-R 3 at 70: no adjustment -> 3 Low
        (dict(cyto="poor"), 70, 3.0, "Low"),
        # IPSS-R 5 at 50: 5 - 20 x 0.025 = 4.5 exactly -> Intermediate; at 30: 4.0
        (dict(cyto="very poor", anc=0.5, plt=70), 50, 4.5, "Intermediate"),
        (dict(cyto="very poor", anc=0.5, plt=70), 30, 4.0, "Intermediate"),
        # IPSS-R 6 at 40: 6 - 30 x 0.02 = 5.4 High; at 100: 6.6 Very High
        (dict(cyto="very poor", blasts=6), 40, 5.4, "High"),
        (dict(cyto="very poor", blasts=6), 100, 6.6, "Very High"),
    ],
)
def test_ipssra_on_and_around_cut_points(overrides, age, ipssra, category):
    res = one(age=age, **overrides)
    assert res["ipssra_score"] == ipssra
    assert res["ipssra_category"] == category


def test_ipssra_is_rounded_half_up_to_four_decimals_before_categorising():
    # IPSS-R 2.5 at 63.5 is 2.25625 exactly; the published calculator shows 2.2563.
    assert one(cyto="good", anc=0.5, hgb=9, age=63.5)["ipssra_score"] == 2.2563
    # IPSS-R 1 at 81.01: 1 + 11.01 x 0.045 = 1.49545 -> 1.4955 (Very Low)
    res = one(cyto="good", age=81.01)
    assert res["ipssra_score"] == 1.4955
    assert res["ipssra_category"] == "Very Low"


# ---------------------------------------------------------------- missing components
@pytest.mark.parametrize("component", ["hgb", "plt", "anc", "blasts", "cyto"])
@pytest.mark.parametrize("missing", [np.nan, None])
def test_missing_component_gives_missing_score(component, missing):
    frame = pd.DataFrame([ZERO, {**ZERO, component: missing}, {**ZERO, "cyto": "poor"}])
    res = score(frame, **COLS, age=None)
    assert res["ipssr_score"].iloc[0] == 0.0
    assert math.isnan(res["ipssr_score"].iloc[1])
    assert pd.isna(res["ipssr_category"].iloc[1])
    assert res["ipssr_score"].iloc[2] == 3.0


def test_missing_age_gives_missing_ipssra_only():
    frame = pd.DataFrame([{**ZERO, "cyto": "good", "age": np.nan}, {**ZERO, "age": 80}])
    res = score(frame, **COLS, age="age")
    assert res["ipssr_score"].tolist() == [1.0, 0.0]
    assert math.isnan(res["ipssra_score"].iloc[0])
    assert pd.isna(res["ipssra_category"].iloc[0])
    assert res["ipssra_score"].iloc[1] == 0.5
    assert res["ipssra_category"].iloc[1] == "Very Low"


def test_blank_cytogenetics_is_missing_not_an_error():
    frame = pd.DataFrame([{**ZERO, "cyto": "  "}, {**ZERO, "cyto": "good"}])
    res = score(frame, **COLS)
    assert math.isnan(res["ipssr_score"].iloc[0])
    assert res["ipssr_score"].iloc[1] == 1.0


# ---------------------------------------------------------------- label spellings
@pytest.mark.parametrize(
    "label,canonical",
    [
        ("very good", "very good"),
        ("Very Good", "very good"),
        ("Very-Good", "very good"),
        ("very_good", "very good"),
        ("VERY  GOOD", "very good"),
        ("VG", "very good"),
        ("vg", "very good"),
        ("v. good", "very good"),
        (" verygood ", "very good"),
        ("good", "good"),
        ("Good", "good"),
        ("GOOD", "good"),
        ("G", "good"),
        ("intermediate", "intermediate"),
        ("Int", "intermediate"),
        ("int.", "intermediate"),
        ("intermed.", "intermediate"),
        ("Interm", "intermediate"),
        ("INTERMEDIATE", "intermediate"),
        ("poor", "poor"),
        ("Poor", "poor"),
        ("P", "poor"),
        ("very poor", "very poor"),
        ("Very-Poor", "very poor"),
        ("very_poor", "very poor"),
        ("VP", "very poor"),
        ("v.poor", "very poor"),
    ],
)
def test_label_spellings(label, canonical):
    out = normalize_cyto(pd.Series([label, "good"], name="cyto"))
    assert out.tolist() == [canonical, "good"]


def test_normalize_keeps_index_name_and_missing():
    values = pd.Series(["VG", np.nan, None, "Int"], index=[10, 11, 12, 13], name="cyto_base")
    out = normalize_cyto(values)
    assert list(out.index) == [10, 11, 12, 13]
    assert out.name == "cyto_base"
    assert out.iloc[0] == "very good" and out.iloc[3] == "intermediate"
    assert out.iloc[1:3].isna().all()


def test_spelled_labels_score_like_canonical():
    frame = pd.DataFrame(
        [{**ZERO, "cyto": lab} for lab in ["VG", "Good", "Int", "Poor", "Very-Poor"]]
    )
    assert score(frame, **COLS)["ipssr_score"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]


# ---------------------------------------------------------------- bad labels
ACCEPTED = (
    "accepted values: very good, good, intermediate, poor, very poor "
    "(any case; words may be joined by spaces, hyphens, underscores or dots; "
    "abbreviations VG, G, I, Int, Interm, P, VP)."
)


def test_invalid_positions():
    values = pd.Series(["good", "excellent", np.nan, "5q-", "VP", 3], name="c")
    assert invalid_cyto_positions(values) == [1, 3, 5]


def test_bad_label_exact_message():
    values = pd.Series(["good", "excellent", "poor", "del(5q)"], name="cyto_base")
    with pytest.raises(CohortError) as err:
        normalize_cyto(values)
    assert str(err.value) == (
        "column 'cyto_base': unknown IPSS-R cytogenetic risk group 'excellent', 'del(5q)' "
        "in rows 2, 4; " + ACCEPTED
    )


def test_bad_label_through_score_names_the_column():
    frame = pd.DataFrame([ZERO, {**ZERO, "cyto": "bad"}])
    with pytest.raises(CohortError) as err:
        score(frame, **COLS)
    assert str(err.value) == (
        "column 'cyto': unknown IPSS-R cytogenetic risk group 'bad' in row 2; " + ACCEPTED
    )


def test_many_bad_labels_are_summarised():
    values = pd.Series(["x"] * 12, name="cy")
    with pytest.raises(CohortError) as err:
        normalize_cyto(values)
    assert "in rows 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 ... (12 rows in all);" in str(err.value)


def test_unknown_column_is_an_error():
    with pytest.raises(CohortError) as err:
        score(pd.DataFrame([ZERO]), **{**COLS, "hgb": "HB"})
    assert str(err.value).startswith("IPSS-R: column(s) not found in the data: hgb='HB';")


def test_non_numeric_or_negative_lab_is_an_error():
    frame = pd.DataFrame([ZERO, {**ZERO, "plt": "lots"}, {**ZERO, "plt": -3}])
    with pytest.raises(CohortError) as err:
        score(frame, **COLS)
    assert str(err.value) == (
        "column 'plt': values 'lots', -3 in rows 2, 3 are not valid; "
        "each value must be a number >= 0 (or missing)."
    )
