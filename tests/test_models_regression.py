"""lm / glm / clm against R (tests/results/regression.json, made by regression.R).

Every figure is compared with a relative tolerance of 1e-6 (plus an absolute 1e-12 for
figures that are zero in exact arithmetic, such as tiny p-values' rounding floor).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mdsrs_core.errors import FormulaError, ModelError
from mdsrs_core.formula import model_frame
from mdsrs_core.models import clm, fit, glm, lm

HERE = Path(__file__).parent
DATA = HERE / "data"
RESULTS = json.loads((HERE / "results" / "regression.json").read_text())["fits"]
PATIENTS = HERE.parent / "mdsrs_core" / "example" / "data" / "patients.csv"
REL = 1e-6


def read(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / f"{name}.csv")


def wine(name: str = "wine") -> pd.DataFrame:
    frame = read(name)
    frame["rating"] = pd.Categorical(frame["rating"], ordered=True)
    return frame


def patients() -> pd.DataFrame:
    frame = pd.read_csv(PATIENTS)
    frame["arm"] = pd.Categorical(frame["arm"], categories=["thalidomide", "lenalidomide"])
    responder = frame["response"].isin(["CR", "PR", "mCR", "HI"]).astype(float)
    frame["responder"] = responder.where(frame["response"].notna())
    frame["ae"] = pd.Categorical(frame["ae_max_grade"], ordered=True)
    return frame


# name in regression.json -> (model, formula, data, keyword arguments, {python term: R term})
CYL = {
    "Intercept": "(Intercept)",
    "wt": "wt",
    "C(cyl)[T.6]": "factor(cyl)6",
    "C(cyl)[T.8]": "factor(cyl)8",
}
EDU = {
    "Intercept": "(Intercept)",
    "spontaneous": "spontaneous",
    "induced": "induced",
    "education[T.12+ yrs]": "education12+ yrs",
    "education[T.6-11yrs]": "education6-11yrs",
}
WINE = {
    "1|2": "1|2",
    "2|3": "2|3",
    "3|4": "3|4",
    "4|5": "4|5",
    "temp[T.warm]": "tempwarm",
    "contact[T.yes]": "contactyes",
}
CASES = {
    "lm_mtcars": (lm, "mpg ~ wt + C(cyl)", lambda: read("mtcars"), {}, CYL),
    "lm_mtcars_relevel": (
        lm,
        "mpg ~ wt + C(cyl, Treatment(6))",
        lambda: read("mtcars"),
        {},
        {
            "Intercept": "(Intercept)",
            "wt": "wt",
            "C(cyl, Treatment(6))[T.4]": "cyl4",
            "C(cyl, Treatment(6))[T.8]": "cyl8",
        },
    ),
    "lm_mtcars_interaction": (
        lm,
        "mpg ~ wt * am + hp",
        lambda: read("mtcars"),
        {},
        {"Intercept": "(Intercept)", "wt": "wt", "am": "am", "hp": "hp", "wt:am": "wt:am"},
    ),
    "lm_mtcars_na": (
        lm,
        "mpg ~ wt + hp",
        lambda: read("mtcars_na"),
        {},
        {"Intercept": "(Intercept)", "wt": "wt", "hp": "hp"},
    ),
    "lm_mtcars_noint": (
        lm,
        "mpg ~ wt + hp - 1",
        lambda: read("mtcars"),
        {},
        {"wt": "wt", "hp": "hp"},
    ),
    "glm_infert": (
        glm,
        "case ~ spontaneous + induced + education",
        lambda: read("infert"),
        {"family": "binomial"},
        EDU,
    ),
    "glm_infert_relevel": (
        glm,
        'case ~ age + C(education, Treatment("6-11yrs"))',
        lambda: read("infert"),
        {"family": "binomial"},
        {
            "Intercept": "(Intercept)",
            "age": "age",
            'C(education, Treatment("6-11yrs"))[T.0-5yrs]': "education0-5yrs",
            'C(education, Treatment("6-11yrs"))[T.12+ yrs]': "education12+ yrs",
        },
    ),
    "glm_infert_interaction": (
        glm,
        "case ~ spontaneous * induced",
        lambda: read("infert"),
        {"family": "binomial"},
        {
            "Intercept": "(Intercept)",
            "spontaneous": "spontaneous",
            "induced": "induced",
            "spontaneous:induced": "spontaneous:induced",
        },
    ),
    "glm_infert_na": (
        glm,
        "case ~ spontaneous + induced + education",
        lambda: read("infert_na"),
        {"family": "binomial"},
        EDU,
    ),
    "glm_warpbreaks": (
        glm,
        'breaks ~ wool * C(tension, Treatment("L"))',
        lambda: read("warpbreaks"),
        {"family": "poisson"},
        {
            "Intercept": "(Intercept)",
            "wool[T.B]": "woolB",
            'C(tension, Treatment("L"))[T.M]': "tensionM",
            'C(tension, Treatment("L"))[T.H]': "tensionH",
            'wool[T.B]:C(tension, Treatment("L"))[T.M]': "woolB:tensionM",
            'wool[T.B]:C(tension, Treatment("L"))[T.H]': "woolB:tensionH",
        },
    ),
    "glm_mtcars_gaussian": (
        glm,
        "mpg ~ wt + hp",
        lambda: read("mtcars"),
        {"family": "gaussian"},
        {"Intercept": "(Intercept)", "wt": "wt", "hp": "hp"},
    ),
    "clm_wine": (clm, "rating ~ temp + contact", wine, {}, WINE),
    "clm_wine_interaction": (
        clm,
        "rating ~ temp * contact",
        wine,
        {},
        {**WINE, "temp[T.warm]:contact[T.yes]": "tempwarm:contactyes"},
    ),
    "clm_wine_na": (clm, "rating ~ temp + contact", lambda: wine("wine_na"), {}, WINE),
    # many rows, few distinct ones: fitted on the distinct rows weighted by their counts
    "clm_wine_x100": (
        clm,
        "rating ~ temp + contact",
        lambda: wine().iloc[np.tile(np.arange(72), 100)].reset_index(drop=True),
        {},
        WINE,
    ),
    "clm_large": (
        clm,
        "grade ~ arm + sex + age",
        lambda: read("clm_large"),
        {},
        {
            "0|1": "0|1",
            "1|2": "1|2",
            "2|3": "2|3",
            "3|4": "3|4",
            "arm[T.treated]": "armtreated",
            "sex[T.M]": "sexM",
            "age": "age",
        },
    ),
    "lm_patients_hgb": (
        lm,
        "hgb_post ~ arm + hgb_base",
        patients,
        {},
        {
            "Intercept": "(Intercept)",
            "arm[T.lenalidomide]": "armlenalidomide",
            "hgb_base": "hgb_base",
        },
    ),
    "glm_patients_responder": (
        glm,
        "responder ~ arm",
        patients,
        {"family": "binomial"},
        {"Intercept": "(Intercept)", "arm[T.lenalidomide]": "armlenalidomide"},
    ),
    "clm_patients_ae": (clm, "ae ~ arm", patients, {}, None),
}


def approx(value: float) -> object:
    return pytest.approx(value, rel=REL, abs=1e-12, nan_ok=True)


@pytest.mark.parametrize("name", list(CASES))
def test_matches_r(name: str) -> None:
    if name not in RESULTS:
        pytest.skip(f"{name} not in regression.json (re-run tests/results/regression.R)")
    model, formula, load, kwargs, term_map = CASES[name]
    expected = RESULTS[name]
    result = model(formula, load(), **kwargs)
    tidy = result.tidy().set_index("term")
    if term_map is None:  # clm on the example cohort: thresholds keep R's names
        term_map = {t: t for t in tidy.index if "|" in t}
        term_map["arm[T.lenalidomide]"] = "armlenalidomide"
    assert sorted(term_map.values()) == sorted(expected["coef"])
    assert sorted(term_map) == sorted(tidy.index)
    for term, r_term in term_map.items():
        for column, value in expected["coef"][r_term].items():
            assert tidy.loc[term, column] == approx(value), (term, column)
    glance = result.glance().iloc[0]
    for column, value in expected["glance"].items():
        if isinstance(value, bool):
            assert bool(glance[column]) is value, column
        else:
            assert glance[column] == approx(value), column
    assert result.nobs == expected["glance"]["nobs"]


def test_clm_on_distinct_rows_equals_the_row_by_row_fit() -> None:
    """The collapsed fit (distinct rows weighted by their counts) is the same likelihood as
    the row-by-row one: estimates and standard errors agree to rounding, with R's above."""
    from mdsrs_core.models import _collapse

    frame = read("clm_large")
    collapsed = clm("grade ~ arm + sex + age", frame).tidy()
    old, _collapse.MIN_ROWS = _collapse.MIN_ROWS, 10**9
    try:
        row_by_row = clm("grade ~ arm + sex + age", frame).tidy()
    finally:
        _collapse.MIN_ROWS = old
    for column in ("estimate", "std_error"):
        assert collapsed[column].to_numpy() == pytest.approx(
            row_by_row[column].to_numpy(), rel=1e-9
        )


def test_collapse_rows_groups_and_weights() -> None:
    from mdsrs_core.models._collapse import collapse_rows

    y = np.tile([0, 1, 1, 2], 2000)
    x = np.tile([0.5, 0.5, 0.5, 1.5], 2000)
    first, weight = collapse_rows([y, x])
    assert first.tolist() == [0, 1, 3]
    assert weight.tolist() == [2000.0, 4000.0, 2000.0]
    w = np.tile([1.0, 2.0, 0.5, 1.0], 2000)
    assert collapse_rows([y, x], w)[1].tolist() == [2000.0, 5000.0, 2000.0]
    assert collapse_rows([np.arange(8000)]) is None  # every row distinct: nothing gained
    assert collapse_rows([y[:100], x[:100]]) is None  # too few rows to bother


def test_nominal_test_on_many_rows_matches_r() -> None:
    """R's nominal_test on 20,000 rows (tests/results/regression.R, ``nominal_large``)."""
    from mdsrs_adverse_events.ordinal import nominal_test

    expected = json.loads((HERE / "results" / "regression.json").read_text())["nominal_large"]
    rows = nominal_test(clm("grade ~ arm + sex", read("clm_large")))
    assert [r.term for r in rows] == expected["terms"]
    for row, df, loglik, lrt, p in zip(
        rows, expected["df"], expected["logLik"], expected["LRT"], expected["p_value"], strict=True
    ):
        assert row.df == df
        assert row.loglik == approx(loglik)
        assert row.lrt == approx(lrt)
        assert row.p_value == approx(p)


# --------------------------------------------------------------------------- behaviour


def test_tidy_exponentiate_keeps_link_scale_se() -> None:
    result = glm("case ~ spontaneous + induced", read("infert"), family="binomial")
    raw = result.tidy()
    expo = result.tidy(exponentiate=True, conf_level=0.9)
    assert list(expo.columns[:7]) == [
        "term",
        "estimate",
        "std_error",
        "statistic",
        "p_value",
        "conf_low",
        "conf_high",
    ]
    np.testing.assert_allclose(expo["estimate"], np.exp(raw["estimate"]))
    np.testing.assert_allclose(expo["std_error"], raw["std_error"])
    np.testing.assert_allclose(expo["statistic"], raw["statistic"])
    z = 1.6448536269514722
    np.testing.assert_allclose(np.log(expo["conf_high"]), raw["estimate"] + z * raw["std_error"])


def test_dropped_rows_are_counted() -> None:
    data = read("mtcars_na")
    result = lm("mpg ~ wt + hp", data)
    assert result.n_dropped == 3  # mpg in rows 3 and 10, wt in row 5; qsec is not used
    assert list(result.model_frame.dropped) == [2, 4, 9]
    assert result.nobs == 29
    assert result.glance()["n_dropped"].iloc[0] == 3
    assert "3 dropped" in result.summary()


def test_non_identifier_column_names() -> None:
    data = read("mtcars").rename(columns={"wt": "Weight (1000 lbs)"})
    ref = lm("mpg ~ wt + hp", read("mtcars")).tidy()
    for formula in ("mpg ~ `Weight (1000 lbs)` + hp", 'mpg ~ Q("Weight (1000 lbs)") + hp'):
        got = lm(formula, data).tidy()
        np.testing.assert_allclose(got["estimate"], ref["estimate"], rtol=1e-12)


def test_unknown_column_message() -> None:
    with pytest.raises(FormulaError) as err:
        lm("mpg ~ wgt + hp", read("mtcars"))
    assert str(err.value).startswith(
        "The formula 'mpg ~ wgt + hp' names the column 'wgt', which is not in the data. "
        "Did you mean 'wt'? Columns available: mpg, cyl, disp, hp, drat, wt,"
    )


def test_syntax_error_message() -> None:
    with pytest.raises(FormulaError) as err:
        lm("mpg ~ wt +", read("mtcars"))
    assert str(err.value).startswith(
        "The formula 'mpg ~ wt +' is refused before evaluation: it is not a formula (invalid "
        "syntax)."
    )


def test_one_level_factor_message() -> None:
    data = read("mtcars").assign(one="a")
    with pytest.raises(FormulaError, match="has only one level"):
        lm("mpg ~ wt + one", data)


def test_no_rows_left() -> None:
    data = read("mtcars").assign(wt=np.nan)
    with pytest.raises(FormulaError, match="No rows are left"):
        lm("mpg ~ wt", data)


def test_separation_is_an_error_naming_the_term() -> None:
    data = pd.DataFrame(
        {
            "arm": ["a"] * 10 + ["b"] * 10,
            "age": np.linspace(50, 80, 20),
            "y": [0, 1, 0, 1, 1, 0, 0, 1, 0, 1] + [1] * 10,
        }
    )
    with pytest.raises(ModelError) as err:
        glm("y ~ arm + age", data, family="binomial")
    message = str(err.value)
    assert "separated" in message
    assert "among the 10 rows with arm[T.b] the outcome is always '1': '0' is never seen" in message


def test_complete_separation_on_a_continuous_term() -> None:
    data = pd.DataFrame({"x": np.arange(10.0), "y": [0] * 5 + [1] * 5})
    with pytest.raises(ModelError, match="x .with the other terms. perfectly predicts"):
        glm("y ~ x", data, family="binomial")


def test_default_family_is_gaussian_as_in_r() -> None:
    data = read("infert")
    assert glm("case ~ spontaneous", data).tidy()["estimate"].tolist() == pytest.approx(
        lm("case ~ spontaneous", data).tidy()["estimate"].tolist(), rel=1e-10
    )
    assert glm("case ~ spontaneous", data).family == "gaussian"


def test_binomial_two_level_factor_outcome() -> None:
    data = read("infert")
    data["status"] = np.where(data["case"] == 1, "case", "control")
    data["status"] = pd.Categorical(data["status"], categories=["control", "case"])
    a = glm("status ~ spontaneous", data, family="binomial").tidy()
    b = glm("case ~ spontaneous", data, family="binomial").tidy()
    np.testing.assert_allclose(a["estimate"], b["estimate"], rtol=1e-10)


def test_clm_integer_outcome_equals_ordered_categorical() -> None:
    a = clm("rating ~ temp + contact", read("wine")).tidy()
    b = clm("rating ~ temp + contact", wine()).tidy()
    np.testing.assert_allclose(a["estimate"], b["estimate"], rtol=1e-10)
    assert list(a["coef_type"]) == ["intercept"] * 4 + ["location"] * 2


def test_clm_rejects_unordered_outcome() -> None:
    data = read("wine").assign(rating=lambda d: d["rating"].astype(str))
    with pytest.raises(FormulaError, match="must be ordered"):
        clm("rating ~ temp", data)


def test_cohort_like_object_sets_arm_reference() -> None:
    class FakeCohort:
        arm_reference = "b"
        data = pd.DataFrame({"arm": list("abab" * 5), "y": np.arange(20.0)})

    frame = model_frame("y ~ arm", FakeCohort())
    assert frame.term_names == ["arm[T.a]"]


def test_fit_dispatch_and_summary() -> None:
    result = fit("glm", "case ~ induced", read("infert"), family="binomial")
    text = result.summary()
    assert text.startswith("glm: case ~ induced")
    assert "induced" in text
    with pytest.raises(FormulaError, match="Unknown model"):
        fit("nls", "y ~ x", read("mtcars"))


def test_models_import_is_lazy() -> None:
    code = (
        "import mdsrs_core.models, sys; "
        "heavy = [m for m in ('statsmodels', 'lifelines', 'scipy') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------------------- formula layer


def surv_data() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "months": [5.0, 8.0, np.nan, 12.0, 3.0, 7.0],
            "death": [1, 0, 1, 1, 0, 1],
            "arm": ["len", "thal", "len", "thal", "len", "thal"],
            "sex": ["F", "M", "M", "F", "F", "M"],
            "age": [60, 70, 65, np.nan, 72, 58],
        },
        index=list("abcdef"),
    )


def test_surv_lhs_and_strata() -> None:
    frame = model_frame(
        "Surv(months, death) ~ arm + strata(sex, arm)", surv_data(), intercept=False
    )
    assert frame.outcome is None
    assert list(frame.dropped) == ["c"]
    assert frame.n_input == 6 and frame.n_dropped == 1
    np.testing.assert_array_equal(frame.time, [5.0, 8.0, 12.0, 3.0, 7.0])
    np.testing.assert_array_equal(frame.event, [1, 0, 1, 0, 1])
    assert frame.event.dtype.kind == "i"
    assert list(frame.design.columns) == ["arm[T.thal]"]
    assert list(frame.strata) == [
        "sex=F, arm=len",
        "sex=M, arm=thal",
        "sex=F, arm=thal",
        "sex=F, arm=len",
        "sex=M, arm=thal",
    ]
    assert list(frame.strata.index) == list("abdef")


def test_surv_bad_event_names_values_and_rows() -> None:
    data = surv_data().assign(death=[1, 0, 1, 2, 0, 9])
    with pytest.raises(FormulaError) as err:
        model_frame("Surv(months, death) ~ arm", data)
    assert str(err.value) == (
        "The event column 'death' of the formula 'Surv(months, death) ~ arm' must be 0/1 "
        "(1 = event) or true/false; it holds 2, 9 in rows d, f."
    )


def test_surv_time_must_not_be_negative() -> None:
    # 0 is valid (R's Surv accepts it); -2 is not
    data = surv_data().assign(months=[5.0, 0.0, 1.0, -2.0, 3.0, 7.0])
    with pytest.raises(FormulaError, match="must be a number >= 0 .*rows d hold -2"):
        model_frame("Surv(months, death) ~ arm", data)


def test_design_keeps_formula_order_and_reference_levels() -> None:
    data = surv_data().assign(arm=lambda d: pd.Categorical(d["arm"], ["thal", "len"]))
    frame = model_frame("months ~ age * arm + sex", data)
    assert frame.term_names == ["age", "arm[T.len]", "sex[T.M]", "age:arm[T.len]"]
    assert frame.outcome_name == "months"
    assert list(frame.dropped) == ["c", "d"]


def test_r_only_function_gets_a_hint() -> None:
    with pytest.raises(FormulaError) as err:
        lm("mpg ~ poly(wt, 2)", read("mtcars"))
    assert str(err.value).startswith(
        "The formula 'mpg ~ poly(wt, 2)' is refused before evaluation: it calls poly(), which "
        "is not allowed in a formula (write x + I(x ** 2) for a quadratic term)."
    )


def test_factor_is_rs_spelling_of_c() -> None:
    # R: lm(mpg ~ factor(cyl), mtcars): one coefficient per level but the first
    by_factor = lm("mpg ~ factor(cyl)", read("mtcars")).tidy()
    by_c = lm("mpg ~ C(cyl)", read("mtcars")).tidy()
    assert by_factor["estimate"].tolist() == pytest.approx(by_c["estimate"].tolist(), rel=1e-12)
    assert by_factor["term"].tolist() == ["Intercept", "factor(cyl)[T.6]", "factor(cyl)[T.8]"]
    numeric = lm("mpg ~ cyl", read("mtcars")).tidy()
    assert numeric["term"].tolist() == ["Intercept", "cyl"]


def test_dotted_column_names_work_bare_as_in_r() -> None:
    from mdsrs_core.models import coxph, survfit

    lung = read("lung")
    bare = coxph("Surv(time, event) ~ age + ph.ecog", lung).tidy()
    quoted = coxph("Surv(time, event) ~ age + `ph.ecog`", lung).tidy()
    assert bare["term"].tolist() == ["age", "ph.ecog"]
    np.testing.assert_allclose(bare["estimate"], quoted["estimate"], rtol=1e-12)
    fit = survfit("Surv(time, event) ~ ph.ecog", lung)
    assert fit.table()["strata"].tolist()[:2] == ["ph.ecog=0", "ph.ecog=1"]
    # np.log is not a column: left to Python
    result = lm("mpg ~ np.log(wt)", read("mtcars")).tidy()
    assert result["term"].tolist() == ["Intercept", "np.log(wt)"]


def test_clm_complete_separation_is_a_model_error() -> None:
    data = pd.DataFrame(
        {"grade": [0, 0, 1, 1, 2, 2, 3, 3], "arm": ["a", "a", "a", "a", "b", "b", "b", "b"]}
    )
    data["grade"] = pd.Categorical(data["grade"], ordered=True)
    with pytest.raises(ModelError) as err:
        clm("grade ~ arm", data)
    assert str(err.value) == (
        "The clm model 'grade ~ arm' has no finite maximum-likelihood estimate (every row with "
        "arm[T.b] is in a category at or above every row without it: quasi-complete "
        "separation); no estimate can be reported."
    )


def test_column_rank_is_numpys_matrix_rank():
    """The rank from the QR factor's singular values is numpy's (SVD of the matrix) on
    full-rank, rank-deficient, constant, wide and empty matrices; x is not changed."""
    from mdsrs_core.models._rank import column_rank

    rng = np.random.default_rng(9)
    a = rng.normal(size=(500, 3))
    cases = [
        a,
        np.column_stack([a, a[:, 0] - 2 * a[:, 1]]),  # a linear combination
        np.column_stack([a, np.full(500, 3.0)]),  # a constant: rank 3 once centred
        np.column_stack([a, a[:, 2] * (1 + 1e-15)]),  # equal to rounding
        rng.normal(size=(2, 5)),  # wider than tall
        np.zeros((4, 2)),
    ]
    for x in cases:
        before = x.copy()
        assert column_rank(x) == np.linalg.matrix_rank(x)
        assert column_rank(x, centre=True) == np.linalg.matrix_rank(x - x.mean(axis=0))
        assert np.array_equal(x, before)
    assert column_rank(np.zeros((0, 3))) == 0
    assert column_rank(np.column_stack([a, np.full(500, 3.0)]), centre=True) == 3


def test_householder_r_is_the_qr_factor_computed_in_place():
    from mdsrs_core.models._rank import householder_r

    rng = np.random.default_rng(5)
    x = rng.normal(size=(200, 4))
    expected = np.linalg.qr(x, mode="r")
    r = householder_r(x)  # a C-ordered matrix is copied once, x is left as it was
    assert r.shape == (4, 4) and np.allclose(np.abs(r), np.abs(expected), rtol=1e-12)
    assert np.array_equal(np.triu(r), r)
    work = np.asfortranarray(x)
    before = work.copy()
    r2 = householder_r(work)  # a Fortran-ordered one is factored where it is
    assert np.allclose(r2, r, rtol=1e-12) and not np.array_equal(work, before)
    assert np.array_equal(np.triu(work[:4]), r2)
