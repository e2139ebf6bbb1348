"""`hematology` on the example cohort and edge cases against R (tests/results/hematology.R)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from conftest import read_reference

from mdsrs_core import Cohort, load_example, run
from mdsrs_core.errors import CohortError, FormulaError
from mdsrs_core.io import read_table

REFERENCE = Path(__file__).parent / "results" / "hematology.csv"
PATIENTS = Path(__file__).parents[1] / "mdsrs_core" / "example" / "data" / "patients.csv"
LABS = ("hgb", "plt", "anc")


def r_values(case=None):
    rows = read_reference(REFERENCE, ("case", "variable", "arm", "level", "stat"))
    return rows if case is None else [r[1:] for r in rows if r[0] == case]


def keyed(records):
    return {
        (r.variable, r.arm or "", r.level or "", r.stat): r
        for r in records
        if r.endpoint == "hematology"
    }


def example_frame() -> pd.DataFrame:
    return read_table(PATIENTS)


def missing_cohort() -> Cohort:
    """The `missing` case of hematology.R: post/base values removed for a few patients."""
    frame = example_frame()
    frame.loc[frame["patient_id"].isin(["MDS001", "MDS004"]), "hgb_post"] = None
    frame.loc[frame["patient_id"] == "MDS002", "plt_base"] = None
    frame.loc[frame["patient_id"] == "MDS005", ["anc_base", "anc_post"]] = None
    return Cohort(frame, reference="thalidomide")


def long_labs(cohort: Cohort, labs=LABS) -> pd.DataFrame:
    """Lab values in long form built from a cohort's base/post columns (as hematology.R)."""
    d = cohort.data
    parts = []
    for lab in labs:
        for visit in ("base", "post"):
            parts.append(
                pd.DataFrame(
                    {
                        "patient_id": d["patient_id"].astype(str),
                        "visit": visit,
                        "test": lab.upper(),
                        "value": d[f"{lab}_{visit}"],
                    }
                )
            )
    out = pd.concat(parts, ignore_index=True)
    return out[out["value"].notna()].reset_index(drop=True)


@pytest.fixture(scope="module")
def example():
    result = run(load_example(), only="hematology")
    assert result["hematology"].status == "ok"
    return result


@pytest.fixture(scope="module")
def records(example):
    return keyed(example.records)


@pytest.fixture(scope="module")
def missing():
    result = run(missing_cohort(), only="hematology")
    assert result["hematology"].status == "ok"
    return result


@pytest.fixture(scope="module")
def mixed_records():
    from mdsrs_hematology import analyze_long_labs

    cohort = load_example()
    return keyed(analyze_long_labs(long_labs(cohort), cohort).records)


# ------------------------------------------------------------------ parity with R


@pytest.mark.parametrize(
    "variable, arm, level, stat, expected",
    r_values("example"),
    ids=lambda v: str(v) if not isinstance(v, float) else "",
)
def test_example_equals_r(records, variable, arm, level, stat, expected):
    assert records[(variable, arm, level, stat)].value == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize(
    "variable, arm, level, stat, expected",
    r_values("missing"),
    ids=lambda v: str(v) if not isinstance(v, float) else "",
)
def test_missing_values_case_equals_r(missing, variable, arm, level, stat, expected):
    assert keyed(missing.records)[(variable, arm, level, stat)].value == pytest.approx(
        expected, rel=1e-6
    )


def test_custom_formula_from_settings_equals_r():
    formula = "log(plt_post) ~ arm + log(plt_base)"
    result = run(
        load_example(), only="hematology", settings={"hematology": {"formulas": {"plt": formula}}}
    )
    got = keyed(result.records)
    assert got[("plt", "", "", "formula")].value == formula
    assert got[("plt", "", "arm[T.lenalidomide]", "estimate")].method.startswith(
        f"ANCOVA (lm: {formula})"
    )
    reference = r_values("log_plt")
    assert len(reference) == 22
    for variable, arm, level, stat, expected in reference:
        assert got[(variable, arm, level, stat)].value == pytest.approx(expected, rel=1e-6)
    # the other labs keep their default formulas
    assert got[("hgb", "", "", "formula")].value == "hgb_post ~ arm + hgb_base"


@pytest.mark.parametrize(
    "variable, arm, level, stat, expected",
    r_values("mixed"),
    ids=lambda v: str(v) if not isinstance(v, float) else "",
)
def test_mixed_model_equals_lmer(mixed_records, variable, arm, level, stat, expected):
    if stat == "p_value_lme":
        # nlme::lme's own p-value: lme stops its optimiser ~2e-6 (relative) away from the REML
        # optimum that lmer and statsmodels reach, so its p-values agree to ~1e-5 only.
        got = mixed_records[(variable, arm, level, "p_value")].value
        assert got == pytest.approx(expected, rel=1e-4)
        return
    assert mixed_records[(variable, arm, level, stat)].value == pytest.approx(expected, rel=1e-6)


def test_unbalanced_mixed_model_and_lme_denominator_df():
    """Missing post values: lme's df become 60 (between) and 58 (within); R agrees."""
    from mdsrs_hematology import analyze_long_labs

    cohort = missing_cohort()
    got = keyed(analyze_long_labs(long_labs(cohort, ["hgb"]), cohort).records)
    reference = r_values("mixed_missing")
    dfs = {level: v for var, a, level, stat, v in reference if stat == "df"}
    assert dfs == {
        "Intercept": 60,
        "arm[T.lenalidomide]": 60,
        "visit[T.post]": 58,
        "arm[T.lenalidomide]:visit[T.post]": 58,
    }
    for variable, arm, level, stat, expected in reference:
        # lme's own p-values: rel=1e-4 (see test_mixed_model_equals_lmer)
        tol = 1e-4 if stat == "p_value_lme" else 1e-6
        stat = "p_value" if stat == "p_value_lme" else stat
        assert got[(variable, arm, level, stat)].value == pytest.approx(expected, rel=tol)


def test_every_inferential_record_is_checked_against_r(records, missing):
    reference = {(v, a, lv, s) for v, a, lv, s, _ in r_values("example")}
    inferential = {
        "estimate",
        "std_error",
        "statistic",
        "p_value",
        "conf_low",
        "conf_high",
        "df",
        "mean",
        "sd",
        "median",
        "p25",
        "p75",
        "sigma",
        "r_squared",
    }
    tested = {k for k, r in records.items() if k[3] in inferential and r.value is not None}
    assert tested <= reference
    assert len(tested) > 150


# ------------------------------------------------------------------ what the study reports


def test_increase_in_both_arms_and_more_with_lenalidomide(records):
    for lab in LABS:
        for arm in ("thalidomide", "lenalidomide"):
            change = records[(f"{lab}_change", arm, "Paired t-test", "estimate")]
            assert change.value > 0
            assert records[(f"{lab}_change", arm, "Paired t-test", "p_value")].value < 0.05
        ancova = records[(lab, "", "arm[T.lenalidomide]", "p_value")]
        assert ancova.value < 0.05
        assert records[(lab, "", "arm[T.lenalidomide]", "estimate")].value > 0
        assert ancova.label.endswith("adjusted difference, lenalidomide - thalidomide")


def test_method_strings_as_r_prints_them(records):
    assert records[("hgb_change", "thalidomide", "Paired t-test", "p_value")].method == (
        "Paired t-test"
    )
    assert records[("hgb_change", "", "Welch Two Sample t-test", "p_value")].method == (
        "Welch Two Sample t-test"
    )
    wil = records[("hgb_change", "thalidomide", "Wilcoxon signed rank test", "p_value")]
    assert wil.method == "Wilcoxon signed rank test with continuity correction"
    rule = records[("hgb_change", "thalidomide", "Wilcoxon signed rank test", "test_rule")]
    assert "exact when fewer than 50" in rule.value


def test_exact_signed_rank_when_no_ties(frame):
    """Four distinct non-zero changes: R's wilcox.test is exact, p = 2 * P(V >= 4) = 0.125."""
    frame["hgb_post"] = frame["hgb_base"] + [1.0, 0.5, 2.0, 0.1, 3.0, 0.2, 4.0, 0.3]
    out = keyed(run(Cohort(frame, reference="thal"), only="hematology").records)
    rec = out[("hgb_change", "len", "Wilcoxon signed rank test", "p_value")]
    assert rec.method == "Wilcoxon signed rank exact test"
    assert rec.value == pytest.approx(0.125, rel=1e-12)  # 2/16: all four ranks positive


# ------------------------------------------------------------------ patient flow


def test_flow_sums_and_reasons_per_lab(missing):
    out = missing["hematology"]
    got = keyed(missing.records)
    assert got[("hgb", "thalidomide", "", "n_analysed")].value == 37
    assert got[("hgb", "lenalidomide", "", "n_analysed")].value == 23
    assert got[("hgb", "thalidomide", "no HGB after treatment", "n_excluded")].value == 1
    assert got[("hgb", "lenalidomide", "no HGB after treatment", "n_excluded")].value == 1
    assert got[("plt", "thalidomide", "no PLT before treatment", "n_excluded")].value == 1
    assert got[("anc", "", "", "n_analysed")].value == 61
    arm5 = str(missing_cohort().data.set_index("patient_id").loc["MDS005", "arm"])
    assert got[("anc", arm5, "no ANC before or after treatment", "n_excluded")].value == 1
    for lab in LABS:  # analysed + excluded = arm size, per lab
        for arm, size in (("thalidomide", 38), ("lenalidomide", 24)):
            excluded = sum(
                r.value
                for k, r in got.items()
                if k[0] == lab and k[1] == arm and k[3] == "n_excluded"
            )
            assert got[(lab, arm, "", "n_analysed")].value + excluded == size
    # endpoint level: every patient is analysed for at least one lab
    assert out.result.n_analysed == {"thalidomide": 38, "lenalidomide": 24}
    assert out.result.exclusions == []


def test_patient_with_no_complete_lab_is_excluded_with_reason(frame):
    frame.loc[0, ["hgb_post", "plt_post", "anc_base"]] = None
    out = run(Cohort(frame, reference="thal"), only="hematology")["hematology"].result
    assert out.n_analysed == {"thal": 4, "len": 3}
    assert [(e.patient_id, e.arm) for e in out.exclusions] == [("P1", "len")]
    assert out.exclusions[0].reason == (
        "no lab with both a before and an after value (HGB, PLT, ANC)"
    )
    assert sum(out.n_analysed.values()) + len(out.exclusions) == 8


def test_missing_lab_column_is_skipped_with_a_note(frame):
    frame = frame.drop(columns=["plt_post"])
    result = run(Cohort(frame, reference="thal"), only="hematology")
    out = result["hematology"]
    assert out.status == "ok"
    got = keyed(result.records)
    assert not any(k[0].startswith("plt") for k in got)
    assert ("hgb", "", "arm[T.len]", "p_value") in got
    assert any(
        n.startswith("PLT: not analysed (plt_post is not in the data") for n in out.result.notes
    )


def test_no_lab_at_all_skips_the_endpoint(frame):
    frame = frame.drop(columns=[f"{lab}_{v}" for lab in LABS for v in ("base", "post")])
    out = run(Cohort(frame, reference="thal"), only="hematology")["hematology"]
    assert out.status == "skipped"
    assert "hgb_base and hgb_post" in out.reason


def test_one_arm_without_values_is_a_note_not_a_crash(frame):
    frame.loc[frame["arm"] == "len", "plt_post"] = None
    result = run(Cohort(frame, reference="thal"), only="hematology")
    out = result["hematology"]
    assert out.status == "ok"
    got = keyed(result.records)
    assert got[("plt", "len", "", "n_analysed")].value == 0
    assert any("PLT: no ANCOVA (no patient of len" in n for n in out.result.notes)
    assert any(n.startswith("PLT: no Welch t-test") for n in out.result.notes)
    assert got[("plt_change", "len", "Paired t-test", "p_value")].value is None


def test_bad_formula_is_a_formula_error():
    with pytest.raises(FormulaError, match="plt_pots"):
        run(
            load_example(),
            only="hematology",
            settings={"hematology": {"formulas": {"plt": "plt_pots ~ arm + plt_base"}}},
        )


# ------------------------------------------------------------------ long-form labs


def test_long_labs_option_reads_a_file(tmp_path):
    cohort = load_example()
    path = tmp_path / "labs.csv"
    long_labs(cohort, ["hgb"]).to_csv(path, index=False)
    result = run(cohort, only="hematology", settings={"hematology": {"long_labs": str(path)}})
    got = keyed(result.records)
    reference = {(v, a, lv, s): x for v, a, lv, s, x in r_values("mixed") if v == "hgb_mixed"}
    key = ("hgb_mixed", "", "arm[T.lenalidomide]:visit[T.post]", "estimate")
    assert got[key].value == pytest.approx(reference[key], rel=1e-6)
    assert got[("hgb_mixed", "thalidomide", "", "n")].value == 38
    assert ("plt_mixed", "", "", "nobs") not in got
    table = result["hematology"].endpoint.tables(
        [r for r in result.records if r.endpoint == "hematology"]
    )
    assert "Long-form labs: linear mixed models (value ~ arm * visit)" in table


def test_long_labs_validation_lists_every_problem():
    cohort = load_example()
    frame = pd.DataFrame(
        {
            "patient_id": ["MDS001", "NOPE9", "MDS002", "MDS003", "MDS003"],
            "visit": ["base", "base", "base", "post", "post"],
            "test": ["hgb", "hgb", "ldh", "plt", "PLT"],
            "value": ["9.1", "8", "230", "abc", "120"],
        }
    )
    from mdsrs_hematology import validate_long_labs

    with pytest.raises(CohortError) as err:
        validate_long_labs(frame, cohort)
    text = str(err.value)
    assert "patients not in the cohort" in text and "'NOPE9'" in text
    assert "unknown test" in text and "'ldh'" in text
    assert "must be numbers" in text and "'abc'" in text
    assert "more than once" in text


def test_long_labs_missing_columns_and_file(tmp_path):
    from mdsrs_hematology import validate_long_labs

    with pytest.raises(CohortError, match="missing: visit"):
        validate_long_labs(
            pd.DataFrame({"patient_id": ["MDS001"], "test": ["hgb"], "value": [1]}), load_example()
        )
    # inside a run a bad input file is bad input (exit code 2 on the command line), not an
    # endpoint failure
    with pytest.raises(CohortError) as info:
        run(
            load_example(),
            only="hematology",
            settings={"hematology": {"long_labs": str(tmp_path / "absent.csv")}},
        )
    assert str(info.value) == f"{tmp_path / 'absent.csv'}: no such file."


def test_long_labs_flow_of_the_python_api():
    from mdsrs_hematology import analyze_long_labs

    cohort = load_example()
    frame = long_labs(cohort, ["anc"])
    frame = frame[frame["patient_id"] != "MDS003"]
    res = analyze_long_labs(frame, cohort)
    assert sum(res.n_analysed.values()) == 61
    assert [e.patient_id for e in res.exclusions] == ["MDS003"]


# ------------------------------------------------------------------ models API and tables


def test_mixedlm_is_in_the_models_api():
    from mdsrs_core import models

    assert "mixedlm" in models.MODELS
    cohort = load_example()
    data = long_labs(cohort, ["hgb"])
    data["arm"] = data["patient_id"].map(cohort.data.set_index("patient_id")["arm"])
    data["arm"] = pd.Categorical(data["arm"], categories=cohort.arms)
    a = models.mixedlm("value ~ arm * visit", data, groups="patient_id")
    b = models.fit("mixedlm", "value ~ arm * visit + (1 | patient_id)", data)
    assert a.tidy()["estimate"].tolist() == pytest.approx(b.tidy()["estimate"].tolist())
    ref = dict(((lv, s), x) for v, _, lv, s, x in r_values("mixed") if v == "hgb_mixed")
    assert a.glance()["logLik"].iloc[0] == pytest.approx(ref[("", "logLik")], rel=1e-9)
    assert a.varcorr()["variance"].iloc[0] == pytest.approx(
        ref[("patient_id: (Intercept)", "variance")], rel=1e-6
    )
    with pytest.raises(FormulaError, match="random intercept"):
        models.mixedlm("value ~ arm * visit", data)


@pytest.mark.parametrize("lab, reml", [("plt", True), ("plt", False), ("anc", True)])
def test_mixedlm_variance_ratio_is_at_the_optimum_of_lme4s_criterion(lab, reml):
    """The fitted variance ratio minimises the profiled deviance (statsmodels' BFGS alone
    stopped ~1e-6 away on some machines: the PLT p-values then missed lmer's by 1.25e-6)."""
    import numpy as np

    from mdsrs_core import models
    from mdsrs_core.models.mixedlm import _profile

    cohort = load_example()
    data = long_labs(cohort, [lab])
    data["arm"] = data["patient_id"].map(cohort.data.set_index("patient_id")["arm"])
    data["arm"] = pd.Categorical(data["arm"], categories=cohort.arms)
    fit = models.mixedlm("value ~ arm * visit", data, groups="patient_id", reml=reml)
    codes = pd.factorize(fit.model_frame.data["patient_id"])[0]
    deviance = _profile(
        fit.model_frame.design.to_numpy(float),
        fit.model_frame.outcome.to_numpy(float),
        codes,
        reml,
    )
    theta = fit.var_group / fit.scale
    best, sigma2 = deviance(theta)
    assert sigma2 == pytest.approx(fit.scale, rel=1e-12)
    assert fit.loglik == pytest.approx(-0.5 * best, rel=1e-12)
    for step in (1e-4, -1e-4, 1e-6, -1e-6):
        assert deviance(theta * (1 + step))[0] >= best - 1e-10
    # and lmer's reference values, now well inside the tolerance
    if reml:
        ref = dict(((lv, s), x) for v, _, lv, s, x in r_values("mixed") if v == f"{lab}_mixed")
        got = fit.tidy().set_index("term")
        for term in ("visit[T.post]", "arm[T.lenalidomide]:visit[T.post]"):
            assert got.loc[term, "std_error"] == pytest.approx(ref[(term, "std_error")], rel=1e-7)
            assert np.isfinite(got.loc[term, "p_value"])


def test_tables(example):
    tables = example["hematology"].endpoint.tables(
        [r for r in example.records if r.endpoint == "hematology"]
    )
    assert set(tables) == {
        "HGB before and after treatment",
        "PLT before and after treatment",
        "ANC before and after treatment",
        "Change within arms (after - before)",
        "Between arms: ANCOVA and Welch's t-test on the change",
    }
    between = tables["Between arms: ANCOVA and Welch's t-test on the change"]
    assert between.loc["HGB (g/dL)", "ANCOVA p"] == "0.002"  # R: 0.00199055
    assert math.isclose(float(between.loc["HGB (g/dL)", "ANCOVA p"]), 0.002)


def test_mixedlm_boundary_fit_is_noted():
    import numpy as np

    from mdsrs_core.models import mixedlm

    rng = np.random.default_rng(1)
    d = pd.DataFrame({"g": np.repeat(np.arange(20), 2), "x": np.tile([0, 1], 20)})
    b = np.repeat(rng.normal(size=20), 2)
    # negatively correlated values within a group: the REML variance of the intercept is 0
    d["y"] = d["x"] + rng.normal(size=40) + 2 * b * np.where(d["x"] == 0, 1, -1)
    fit = mixedlm("y ~ x + (1 | g)", d)
    assert fit.varcorr()["variance"].iloc[0] < 1e-6 * fit.scale
    assert any("boundary (singular) fit" in n for n in fit.notes)


def test_numeric_visits_sort_as_numbers():
    from mdsrs_hematology.long import _visit_levels

    assert _visit_levels(pd.Series(["10", "2", "0", "2"])) == ["0", "2", "10"]
    assert _visit_levels(pd.Series(["post", "base"])) == ["base", "post"]


def test_ancova_copies_only_the_formulas_columns_of_the_analysed_rows(monkeypatch):
    # at 10^6 patients a copy of the whole cohort per lab cost 270 MB: the ANCOVA gets the
    # rows with both values of just the formula's columns and arm
    import mdsrs_core.models as models

    seen = []
    real_lm = models.lm

    def spy(formula, data, *args, **kwargs):
        seen.append((formula, list(data.columns), len(data)))
        return real_lm(formula, data, *args, **kwargs)

    monkeypatch.setattr(models, "lm", spy)
    cohort = load_example()
    outcome = run(cohort, only="hematology", timeout=None).outcomes[0]  # in this process
    assert outcome.status == "ok"
    d = cohort.data
    assert sorted(seen) == sorted(
        (
            f"{lab}_post ~ arm + {lab}_base",
            ["arm", f"{lab}_post", f"{lab}_base"],
            int((d[f"{lab}_base"].notna() & d[f"{lab}_post"].notna()).sum()),
        )
        for lab in ("hgb", "plt", "anc")
    )
