"""The bundled SYNTHETIC example cohort: determinism, the contract's columns, and every
aggregate of the study abstract, recomputed from the committed patient rows."""

from __future__ import annotations

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.duration.survfunc import SurvfuncRight, survdiff

import mdsrs_core.example as example
from mdsrs_core.example import DATA_DIR, generate
from mdsrs_ipssr import score

LEN, THAL = "lenalidomide", "thalidomide"
RESPONDERS = {"CR", "PR", "mCR", "HI"}
CANONICAL_COLUMNS = [
    "patient_id",
    "arm",
    "treatment_start",
    "age",
    "sex",
    "ring_sideroblasts_pct",
    "sf3b1",
    "transfusion_dependent",
    "hgb_base",
    "hgb_post",
    "plt_base",
    "plt_post",
    "anc_base",
    "anc_post",
    "bm_blast_base",
    "bm_blast_post",
    "cyto_base",
    "cyto_post",
    "response",
    "response_months",
    "ae_max_grade",
    "aml",
    "aml_months",
    "death",
    "os_months",
]
CTCAE_TERMS = {
    "Anemia",
    "Platelet count decreased",
    "Neutrophil count decreased",
    "Fatigue",
    "Rash maculo-papular",
    "Pruritus",
    "Peripheral sensory neuropathy",
    "Constipation",
    "Diarrhea",
    "Thromboembolic event",
    "Somnolence",
    "Dizziness",
    "Edema limbs",
}


@pytest.fixture(scope="module")
def patients() -> pd.DataFrame:
    return pd.read_csv(DATA_DIR / "patients.csv")


@pytest.fixture(scope="module")
def ae() -> pd.DataFrame:
    return pd.read_csv(DATA_DIR / "adverse_events.csv")


def by_arm(df: pd.DataFrame, arm: str) -> pd.DataFrame:
    return df[df["arm"] == arm]


def ancova_arm(df: pd.DataFrame, post: str, base: str):
    """Coefficient and p-value of lenalidomide vs thalidomide in ``post ~ arm + base``."""
    fit = smf.ols(f"{post} ~ C(arm, Treatment('{THAL}')) + {base}", data=df).fit()
    term = f"C(arm, Treatment('{THAL}'))[T.{LEN}]"
    return fit.params[term], fit.pvalues[term]


def km_at(df: pd.DataFrame, t: float) -> float:
    sf = SurvfuncRight(df["os_months"].to_numpy(), df["death"].to_numpy())
    before = sf.surv_times <= t
    return float(sf.surv_prob[before][-1]) if before.any() else 1.0


# ------------------------------------------------------------------ files and determinism
def test_generator_is_byte_identical_to_committed_files(tmp_path):
    written = generate.write(tmp_path)
    for path in written:
        assert path.read_bytes() == (DATA_DIR / path.name).read_bytes(), path.name


def test_generate_twice_gives_equal_frames():
    p1, a1 = generate.generate()
    p2, a2 = generate.generate()
    pd.testing.assert_frame_equal(p1, p2)
    pd.testing.assert_frame_equal(a1, a2)


def test_main_writes_into_given_folder(tmp_path, capsys):
    assert generate.main([str(tmp_path)]) == 0
    assert (tmp_path / "patients.csv").read_bytes() == (DATA_DIR / "patients.csv").read_bytes()
    assert "adverse_events.csv" in capsys.readouterr().out


def test_synthetic_is_declared():
    assert "SYNTHETIC" in example.__doc__
    assert "SYNTHETIC" in generate.__doc__
    header = (DATA_DIR / "study.toml").read_text().splitlines()[0]
    assert header.startswith("#") and "SYNTHETIC" in header


def test_study_file():
    study = tomllib.loads((DATA_DIR / "study.toml").read_text())
    assert study["cohort"] == {
        "data": "patients.csv",
        "adverse_events": "adverse_events.csv",
        "arm": "arm",
        "reference": THAL,
        "time_unit": "months",
    }
    assert (DATA_DIR / study["cohort"]["data"]).is_file()
    assert (DATA_DIR / study["cohort"]["adverse_events"]).is_file()


def test_fixed_decimals_in_csv():
    lines = (DATA_DIR / "patients.csv").read_text().splitlines()
    header = lines[0].split(",")
    decimals = {
        "hgb_base": 1,
        "hgb_post": 1,
        "anc_base": 2,
        "anc_post": 2,
        "bm_blast_base": 1,
        "os_months": 2,
        "aml_months": 2,
        "plt_base": 0,
        "response_months": 2,
    }
    for line in lines[1:]:
        cells = dict(zip(header, line.split(","), strict=True))
        for col, d in decimals.items():
            if col == "response_months" and cells[col] == "":
                continue  # non-responders: missing
            frac = cells[col].partition(".")[2]
            assert len(frac) == d, (col, cells[col])


# ------------------------------------------------------------------ contract columns, plausibility
def test_columns_and_domains(patients):
    assert list(patients.columns) == CANONICAL_COLUMNS
    assert patients["patient_id"].is_unique
    assert patients["patient_id"].str.fullmatch(r"MDS\d{3}").all()
    assert set(patients["sex"]) == {"F", "M"}
    assert set(patients["sf3b1"]) <= {"mutated", "wild-type"}
    assert (patients["sf3b1"] == "mutated").mean() > 0.5
    assert set(patients["transfusion_dependent"]) == {"yes", "no"}
    assert (patients["ring_sideroblasts_pct"] >= 15).all()
    levels = {"very good", "good", "intermediate", "poor", "very poor"}
    assert set(patients["cyto_base"]) <= levels and set(patients["cyto_post"]) <= levels
    assert (patients["cyto_base"] == "good").mean() > 0.5
    assert set(patients["response"]) == {"CR", "PR", "mCR", "HI", "SD", "PD"}
    assert patients["ae_max_grade"].between(0, 5).all()
    assert set(patients["aml"]) == {0, 1} and set(patients["death"]) == {0, 1}
    assert patients["age"].between(18, 100).all()


def test_plausible_mds_rs_baseline(patients):
    assert patients["hgb_base"].between(6, 10).all()
    assert 7 <= patients["hgb_base"].mean() <= 10
    assert (patients["bm_blast_base"] < 5).mean() >= 0.9
    assert (
        (
            patients[
                [
                    c
                    for c in CANONICAL_COLUMNS
                    if c.endswith(("_base", "_post")) and not c.startswith("cyto")
                ]
            ]
            >= 0
        )
        .all()
        .all()
    )


def test_arm_sizes(patients):
    assert len(patients) == 62
    assert (patients["arm"] == LEN).sum() == 24
    assert (patients["arm"] == THAL).sum() == 38


def test_treatment_starts_within_study_period(patients):
    starts = pd.to_datetime(patients["treatment_start"], format="%Y-%m-%d")
    assert starts.min() >= pd.Timestamp("2010-12-01")
    assert starts.max() <= pd.Timestamp("2019-12-31")


# ------------------------------------------------------------------ response
def test_response_rates(patients):
    for arm, responders, n, pct in [(LEN, 12, 24, "50.00"), (THAL, 9, 38, "23.68")]:
        g = by_arm(patients, arm)
        r = int(g["response"].isin(RESPONDERS).sum())
        assert (r, len(g)) == (responders, n)
        assert f"{100 * r / len(g):.2f}" == pct


def test_response_rate_difference_significant(patients):
    # the abstract: RR 50.00% vs 23.68%, P < 0.05 (Pearson chi-square without correction)
    table = pd.crosstab(patients["arm"], patients["response"].isin(RESPONDERS))
    assert stats.chi2_contingency(table, correction=False).pvalue < 0.05


def test_responders_have_bigger_hemoglobin_rises(patients):
    rise = patients["hgb_post"] - patients["hgb_base"]
    resp = patients["response"].isin(RESPONDERS)
    for arm in (LEN, THAL):
        in_arm = patients["arm"] == arm
        assert rise[in_arm & resp].mean() > rise[in_arm & ~resp].mean() + 0.5


# ------------------------------------------------------------------ AML
def test_aml_transformation(patients):
    for arm, k, n, pct in [(LEN, 6, 24, "25.00"), (THAL, 6, 38, "15.79")]:
        g = by_arm(patients, arm)
        assert (int(g["aml"].sum()), len(g)) == (k, n)
        assert f"{100 * g['aml'].sum() / len(g):.2f}" == pct
    table = pd.crosstab(patients["arm"], patients["aml"])
    assert stats.fisher_exact(table.to_numpy()).pvalue > 0.05  # "not significantly different"


def test_aml_times(patients):
    assert (patients["aml_months"] <= patients["os_months"]).all()
    assert (patients["aml_months"] > 0).all()
    no_aml = patients[patients["aml"] == 0]
    assert (no_aml["aml_months"] == no_aml["os_months"]).all()
    with_aml = patients[patients["aml"] == 1]
    assert (with_aml["aml_months"] < with_aml["os_months"]).all()


# ------------------------------------------------------------------ overall survival
def test_no_censoring_before_60_months(patients):
    censored = patients[patients["death"] == 0]
    assert (censored["os_months"] > 60).all()


@pytest.mark.parametrize("arm,alive,n,surv", [(LEN, 18, 24, 0.7500), (THAL, 17, 38, 0.4474)])
def test_five_year_os(patients, arm, alive, n, surv):
    g = by_arm(patients, arm)
    est = km_at(g, 60)
    assert est == pytest.approx(alive / n, abs=1e-12)
    assert round(est, 4) == surv
    assert int((g["os_months"] > 60).sum()) == alive


def test_os_differs_between_arms(patients):
    _, p = survdiff(patients["os_months"], patients["death"], patients["arm"])
    assert p < 0.05


def test_death_times_mostly_distinct(patients):
    times = patients.loc[patients["death"] == 1, "os_months"]
    assert times.duplicated().sum() <= 2


def test_follow_up_consistent_with_a_single_cut_off(patients):
    # censored patients are followed from treatment start to one data cut-off
    censored = patients[patients["death"] == 0]
    starts = pd.to_datetime(censored["treatment_start"])
    implied = starts + pd.to_timedelta(censored["os_months"] * 365.25 / 12, unit="D")
    cutoff = pd.Timestamp(generate.CUTOFF)
    assert (abs(implied - cutoff) <= pd.Timedelta(days=1)).all()
    assert cutoff >= pd.Timestamp("2019-12-31") + pd.Timedelta(days=60 * 365.25 / 12)
    # every death happens before the cut-off
    dead = patients[patients["death"] == 1]
    died = pd.to_datetime(dead["treatment_start"]) + pd.to_timedelta(
        dead["os_months"] * 365.25 / 12, unit="D"
    )
    assert (died <= cutoff).all()


# ------------------------------------------------------------------ hematology
@pytest.mark.parametrize("lab", ["plt", "hgb", "anc"])
@pytest.mark.parametrize("arm", [LEN, THAL])
def test_labs_rise_within_each_arm(patients, lab, arm):
    g = by_arm(patients, arm)
    assert g[f"{lab}_post"].mean() > g[f"{lab}_base"].mean()
    assert stats.ttest_rel(g[f"{lab}_post"], g[f"{lab}_base"]).pvalue < 0.05


@pytest.mark.parametrize("lab", ["plt", "hgb", "anc"])
def test_labs_higher_with_lenalidomide_ancova(patients, lab):
    coef, p = ancova_arm(patients, f"{lab}_post", f"{lab}_base")
    assert coef > 0
    assert p < 0.05


@pytest.mark.parametrize("lab", ["plt", "hgb", "anc"])
def test_labs_after_treatment_higher_with_lenalidomide(patients, lab):
    # the abstract: after treatment PLT, HGB and ANC are higher with lenalidomide (P < 0.05)
    le = by_arm(patients, LEN)[f"{lab}_post"]
    th = by_arm(patients, THAL)[f"{lab}_post"]
    assert le.mean() > th.mean() and le.median() > th.median()
    assert stats.ttest_ind(le, th, equal_var=False).pvalue < 0.05  # Welch
    assert stats.ttest_ind(le, th).pvalue < 0.05  # Student
    assert stats.mannwhitneyu(le, th, alternative="two-sided").pvalue < 0.05  # rank sum


@pytest.mark.parametrize("lab", ["plt", "hgb", "anc"])
def test_lab_change_larger_with_lenalidomide(patients, lab):
    # Welch's t-test on the change (the endpoint's record) agrees with the ANCOVA
    change = patients[f"{lab}_post"] - patients[f"{lab}_base"]
    le, th = change[patients["arm"] == LEN], change[patients["arm"] == THAL]
    assert le.mean() > th.mean()
    assert stats.ttest_ind(le, th, equal_var=False).pvalue < 0.05


# ------------------------------------------------------------------ IPSS-R
@pytest.fixture(scope="module")
def ipssr(patients) -> pd.DataFrame:
    base = score(
        patients,
        hgb="hgb_base",
        plt="plt_base",
        anc="anc_base",
        blasts="bm_blast_base",
        cyto="cyto_base",
    )
    post = score(
        patients,
        hgb="hgb_post",
        plt="plt_post",
        anc="anc_post",
        blasts="bm_blast_post",
        cyto="cyto_post",
    )
    return pd.DataFrame(
        {"arm": patients["arm"], "base": base["ipssr_score"], "post": post["ipssr_score"]}
    )


def test_ipssr_complete(ipssr):
    assert ipssr[["base", "post"]].notna().all().all()


def test_post_ipssr_lower_with_lenalidomide_ancova(ipssr):
    coef, p = ancova_arm(ipssr, "post", "base")
    assert coef < 0
    assert p < 0.05


def test_post_ipssr_lower_with_lenalidomide_rank_sum(ipssr):
    le, th = by_arm(ipssr, LEN)["post"], by_arm(ipssr, THAL)["post"]
    assert le.median() <= th.median() and le.mean() < th.mean()
    assert stats.mannwhitneyu(le, th, alternative="two-sided").pvalue < 0.05


# ------------------------------------------------------------------ adverse events
def test_lenalidomide_adverse_events_mostly_grade_1_2(patients):
    g = by_arm(patients, LEN)["ae_max_grade"]
    assert g.between(1, 2).mean() > 0.5
    assert g.between(3, 4).mean() < 0.25
    assert g.between(3, 4).mean() < by_arm(patients, THAL)["ae_max_grade"].between(3, 4).mean()


def test_adverse_events_milder_with_lenalidomide(patients):
    le = by_arm(patients, LEN)["ae_max_grade"]
    th = by_arm(patients, THAL)["ae_max_grade"]
    assert stats.mannwhitneyu(le, th, alternative="two-sided").pvalue < 0.05
    table = [[(le >= 3).sum(), (le < 3).sum()], [(th >= 3).sum(), (th < 3).sum()]]
    assert stats.fisher_exact(table).pvalue < 0.05


def test_adverse_event_table(patients, ae):
    assert list(ae.columns) == ["patient_id", "term", "grade"]
    assert set(ae["patient_id"]) <= set(patients["patient_id"])
    assert set(ae["term"]) <= CTCAE_TERMS
    assert ae["grade"].between(1, 5).all()
    assert not ae.duplicated(["patient_id", "term"]).any()
    worst = ae.groupby("patient_id")["grade"].max()
    expected = patients.set_index("patient_id")["ae_max_grade"]
    assert (worst == expected[worst.index]).all()
    assert set(worst.index) == set(expected[expected > 0].index)  # grade 0: no rows


def test_adverse_event_profiles_differ_by_drug(patients, ae):
    arm_of = patients.set_index("patient_id")["arm"]
    terms = ae.assign(arm=ae["patient_id"].map(arm_of))
    thal_typical = {"Peripheral sensory neuropathy", "Constipation", "Somnolence"}
    len_typical = {"Neutrophil count decreased", "Platelet count decreased", "Rash maculo-papular"}
    share = terms.groupby("arm")["term"].agg(
        thal=lambda t: t.isin(thal_typical).mean(), len=lambda t: t.isin(len_typical).mean()
    )
    assert share.loc[THAL, "thal"] > share.loc[LEN, "thal"]
    assert share.loc[LEN, "len"] > share.loc[THAL, "len"]


def test_generator_does_not_import_plugins():
    # the core never imports a plugin by name
    source = (DATA_DIR.parent / "generate.py").read_text()
    assert "mdsrs_ipssr" not in source


# ------------------------------------------------------------------ time to response
def test_response_months_for_responders_only(patients):
    responder = patients["response"].isin(RESPONDERS)
    assert patients.loc[responder, "response_months"].notna().all()
    assert patients.loc[~responder, "response_months"].isna().all()
    assert int(responder.sum()) == 21  # 12 + 9 responders


def test_response_before_death_follow_up_end_and_aml(patients):
    r = patients[patients["response_months"].notna()]
    assert (r["response_months"] > 0).all()
    assert (r["response_months"] < r["os_months"]).all()
    with_aml = r[r["aml"] == 1]
    assert (with_aml["response_months"] < with_aml["aml_months"]).all()


def test_response_months_stream_changes_no_other_column():
    """The time to response comes from a stream of its own: drawing it with another seed
    changes that column only."""
    from mdsrs_core.example import generate as gen

    patients, _ = gen.generate()
    other = patients.copy()
    gen.make_response_times(other, seed=(1, 2))
    rest = [c for c in patients.columns if c != "response_months"]
    pd.testing.assert_frame_equal(patients[rest], other[rest])
    assert not patients["response_months"].equals(other["response_months"])
