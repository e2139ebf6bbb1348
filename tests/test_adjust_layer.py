"""The adjustment layer end to end: `[adjust]` -> every endpoint's adjusted records, checked
against R (tests/results/weighted.R, same propensity model on the example cohort), the
flow, the study-file/CLI checks and the report's balance section."""

from __future__ import annotations

import json
from functools import cache

import pytest
from test_weighted_models import reference

from mdsrs_core import load_example, run
from mdsrs_core.adjust.spec import adjust_spec
from mdsrs_core.errors import StudyError
from mdsrs_core.records import RecordIndex

PS = "arm ~ age + sex + transfusion_dependent + sf3b1 + hgb_base + plt_base"


@cache
def adjusted_run(method: str):
    return run(load_example(), adjust={"formula": PS, "method": method})


def records(method: str, endpoint: str) -> RecordIndex:
    return RecordIndex(r for r in adjusted_run(method).records if r.endpoint == endpoint)


CASES = [("iptw", ""), ("match", "_matched")]


@pytest.mark.parametrize(("method", "suffix"), CASES)
def test_response_odds_ratio_is_svyglms(method, suffix):
    ref = reference()[("example", f"svyglm_quasibinomial{suffix}")]
    idx = records(method, "response")
    import math

    assert idx.value("adjusted_responder", None, "odds_ratio", "estimate") == pytest.approx(
        math.exp(ref[("treated", "estimate")]), rel=1e-6
    )
    assert idx.value("adjusted_responder", None, "odds_ratio", "p_value") == pytest.approx(
        ref[("treated", "p_value")], rel=1e-6
    )
    for stat in ("conf_low", "conf_high"):
        assert idx.value("adjusted_responder", None, "odds_ratio", stat) == pytest.approx(
            math.exp(ref[("treated", stat)]), rel=1e-6
        )


@pytest.mark.parametrize(("method", "suffix"), CASES)
def test_hematology_weighted_ancova_is_svyglms(method, suffix):
    ref = reference()[("example", f"svyglm_gaussian{suffix}")]
    idx = records(method, "hematology")
    for stat in ("estimate", "std_error", "p_value", "conf_low", "conf_high"):
        assert idx.value("adjusted_hgb_post", None, "mean_difference", stat) == pytest.approx(
            ref[("treated", stat)], rel=1e-6
        )


@pytest.mark.parametrize(("method", "suffix"), CASES)
def test_os_weighted_km_logrank_and_cox_are_rs(method, suffix):
    idx = records(method, "os")
    km = reference()[("example", "survfit_weights" if method == "iptw" else "survfit_matched")]
    for arm, code in (("thalidomide", 0), ("lenalidomide", 1)):
        for t in (12, 36, 60):
            key = f"treated={code}@{t}"
            assert idx.value("adjusted_os", arm, str(t), "surv") == pytest.approx(
                km[(key, "surv")], rel=1e-6
            )
            assert idx.value("adjusted_os", arm, str(t), "std_error") == pytest.approx(
                km[(key, "std_err")], rel=1e-6
            )
    lr = reference()[("example", f"svylogrank{suffix}")]
    assert idx.value("adjusted_os", None, "logrank", "p_value") == pytest.approx(
        lr[("treated", "p_value")], rel=1e-6
    )
    cox = reference()[("example", "coxph_weights" if method == "iptw" else "coxph_matched")]
    for stat in ("estimate", "std_error", "p_value", "conf_low", "conf_high"):
        assert idx.value("adjusted_os", None, "hazard_ratio", stat) == pytest.approx(
            cox[("treated", stat)], rel=1e-6
        )


@pytest.mark.parametrize(("method", "suffix"), CASES)
def test_os_adjusted_landmark_differences_are_rs(method, suffix):
    """Weighted (matched: pair-clustered) KM difference at each landmark, SE from the robust
    SEs, Wald CI and z test: R's survfit(weights = w / cluster = subclass) in weighted.R."""
    idx = records(method, "os")
    ref = reference()[("example", f"survfit{'_weights' if method == 'iptw' else suffix}_diff")]
    times = sorted({float(term[1:]) for term, _ in ref})
    assert times == [12.0, 36.0, 60.0]
    for t in times:
        for stat in ("estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"):
            got = idx.value("adjusted_os_landmark_diff", None, f"{t:g}", stat)
            assert got == pytest.approx(ref[(f"@{t:g}", stat)], rel=1e-6), (t, stat)
    # beside the unadjusted differences, at the same landmarks
    assert {f"{t:g}" for t in times} <= set(idx.levels("os_landmark_diff", "estimate"))
    assert "adjusted:" in idx.get("adjusted_os_landmark_diff", None, "12", "estimate").method


@pytest.mark.parametrize(("method", "analysis"), [("iptw", "weights"), ("match", "matched")])
def test_os_adjusted_cox_uses_the_endpoints_formula(method, analysis):
    """[endpoints.os] cox = "... ~ arm + age": the adjusted HR is R's coxph(Surv ~ treated +
    age, weights = w, robust = TRUE) (matched: + cluster(subclass)), not the arm-only one."""
    settings = {"os": {"formulas": {"cox": "Surv(os_months, death) ~ arm + age"}}}
    res = run(
        load_example(), only="os", settings=settings, adjust={"formula": PS, "method": method}
    )
    idx = RecordIndex(r for r in res.records if r.endpoint == "os")
    ref = reference()[("example", f"coxph_{analysis}_age")]
    arm_only = reference()[("example", f"coxph_{analysis}")]
    for stat in ("estimate", "std_error", "p_value", "conf_low", "conf_high"):
        got = idx.value("adjusted_os", None, "hazard_ratio", stat)
        assert got == pytest.approx(ref[("treated", stat)], rel=1e-6), stat
    assert idx.value("adjusted_os", None, "hazard_ratio", "estimate") != pytest.approx(
        arm_only[("treated", "estimate")], rel=1e-3
    )
    assert "~ arm + age" in idx.get("adjusted_os", None, "hazard_ratio", "estimate").method


def test_flow_counts_every_patient_and_the_unmatched():
    idx = records("match", "os")
    for arm in ("thalidomide", "lenalidomide"):
        analysed = idx.value("adjusted_os", arm, None, "n_analysed")
        unmatched = idx.value("adjusted_os", arm, "no match within the caliper", "n_excluded") or 0
        total = {"thalidomide": 38, "lenalidomide": 24}[arm]
        assert analysed + unmatched == total
    adj = records("match", "adjustment")
    pairs = adj.value("flow", None, None, "n_pairs")
    assert idx.value("adjusted_os", "lenalidomide", None, "n_analysed") == pairs


def test_missing_covariates_are_counted_in_the_flow():
    cohort = load_example()
    cohort.data.loc[cohort.data.index[:3], "age"] = float("nan")
    r = run(cohort, only=["response"], adjust={"formula": PS})
    idx = RecordIndex(r.records)
    missing = sum(
        idx.value("adjusted_responder", a, "no propensity score (missing covariate)", "n_excluded")
        or 0
        for a in ("thalidomide", "lenalidomide")
    )
    assert missing == 3
    analysed = sum(
        idx.value("adjusted_responder", a, None, "n_analysed")
        for a in ("thalidomide", "lenalidomide")
    )
    assert analysed == 62 - 3


def test_evalue_of_the_adjusted_hazard_ratio():
    from mdsrs_core.adjust.evalue import evalues

    idx = records("iptw", "os")
    hr = [
        idx.value("adjusted_os", None, "hazard_ratio", s)
        for s in ("estimate", "conf_low", "conf_high")
    ]
    deaths = sum(1 for v in load_example().data["death"] if v == 1)
    rare = deaths / 62 < 0.15
    e = evalues(*hr, "HR", rare=rare)
    assert idx.value("adjusted_os", None, "hazard_ratio", "evalue") == pytest.approx(e["estimate"])
    assert idx.value("adjusted_os", None, "hazard_ratio", "evalue_ci") == pytest.approx(
        e["conf_limit"]
    )
    assert not rare and "common" in idx.get("adjusted_os", None, "hazard_ratio", "evalue").method


def test_unadjusted_records_are_unchanged_by_adjustment():
    plain = [r for r in run(load_example(), only=["response"]).records if r.endpoint == "response"]
    adjusted = [r for r in adjusted_run("iptw").records if r.endpoint == "response"]
    assert [r for r in adjusted if not r.variable.startswith("adjusted_")] == plain


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"method": "iptw"}, "needs formula"),
        ({"formula": "response ~ age"}, "left of '~' must be arm"),
        ({"formula": "arm ~ age", "method": "ipw"}, "method must be one of"),
        ({"formula": "arm ~ age", "trim": 0.7}, "trim must be a number between 0 and 0.5"),
        ({"formula": "arm ~ age", "caliper": 0.2}, "caliper applies to method = 'match'"),
        ({"formula": "arm ~ age", "method": "match", "trim": 0.1}, "trim applies to weighting"),
        ({"formula": "arm ~ age", "weights": 1}, "unknown key weights"),
    ],
)
def test_adjust_table_is_checked(table, message):
    with pytest.raises(StudyError, match=message):
        adjust_spec(table)


def test_unknown_covariate_is_a_clear_error():
    with pytest.raises(StudyError, match=r"\[adjust\].*no_such_column"):
        run(load_example(), only=["response"], adjust={"formula": "arm ~ no_such_column"})


def test_cli_adjust_writes_balance_section_and_adjusted_rows(tmp_path):
    from click.testing import CliRunner

    from mdsrs_core.cli import main

    out = tmp_path / "out"
    res = CliRunner().invoke(
        main,
        [
            "run",
            "--adjust",
            PS,
            "--adjust-method",
            "overlap",
            "--out",
            str(out),
            "--format",
            "html,md",
        ],
    )
    assert res.exit_code == 0, res.output
    recs = json.loads((out / "results.json").read_text())
    methods = {r["value"] for r in recs if r["endpoint"] == "adjustment" and r["stat"] == "method"}
    assert methods == {"overlap"}
    md = (out / "report.md").read_text()
    assert "Propensity-score adjustment" in md and "SMD after" in md
    assert "overlap weights (ATO)" in md


def test_cli_adjust_method_without_a_model_is_a_usage_error(tmp_path):
    from click.testing import CliRunner

    from mdsrs_core.cli import main

    res = CliRunner().invoke(main, ["run", "--adjust-method", "match", "--out", str(tmp_path)])
    assert res.exit_code == 2 and "--adjust 'arm ~ covariates'" in res.output


def test_study_file_adjust_table(tmp_path):
    from mdsrs_core.example import DATA_DIR
    from mdsrs_core.study import Study

    path = tmp_path / "study.toml"
    path.write_text(
        f'[cohort]\ndata = "{DATA_DIR / "patients.csv"}"\nreference = "thalidomide"\n'
        f'[adjust]\nformula = "{PS}"\nmethod = "overlap"\n'
    )
    study = Study.load(path)
    assert study.adjust.method == "overlap" and study.adjust.formula == PS
    path.write_text(
        f'[cohort]\ndata = "{DATA_DIR / "patients.csv"}"\n[adjust]\nformula = "{PS}"\ntrim = 2\n'
    )
    with pytest.raises(StudyError, match=r"study.toml: \[adjust\] trim must be a number"):
        Study.load(path)


def test_adverse_events_weighted_proportional_odds_is_rs():
    import math

    idx = records("iptw", "adverse_events")
    clm_ref = reference()[("example", "clm_weights")]
    olr = reference()[("example", "svyolr")]
    est = idx.value("adjusted_ae_max_grade", None, "cumulative_odds_ratio", "estimate")
    assert est == pytest.approx(math.exp(clm_ref[("treated", "estimate")]), rel=1e-6)
    se = idx.value("adjusted_ae_max_grade", None, "cumulative_odds_ratio", "std_error")
    # svyolr's SE uses optim's finite-difference Hessian (see test_weighted_models)
    assert se == pytest.approx(olr[("treated", "std_error")], rel=1e-3)


@pytest.mark.parametrize(("method", "analysis"), [("iptw", "aj_weights"), ("match", "aj_matched")])
def test_aml_weighted_cumulative_incidence_is_survfits(method, analysis):
    ref = reference()[("example", analysis)]
    idx = records(method, "aml")
    for arm, code in (("thalidomide", 0), ("lenalidomide", 1)):
        for t in (12, 36, 60):
            key = f"treated={code}@{t}#1"
            for stat, rstat in (
                ("estimate", "estimate"),
                ("std_error", "std_err"),
                ("conf_low", "conf_low"),
                ("conf_high", "conf_high"),
            ):
                assert idx.value("adjusted_aml_cif", arm, str(t), stat) == pytest.approx(
                    ref[(key, rstat)], rel=1e-6
                )


def test_evalues_are_those_computed_in_r():
    os_ = records("iptw", "os")
    resp = records("iptw", "response")
    hr, or_ = reference()[("example", "evalue_hr")], reference()[("example", "evalue_or")]
    for stat in ("evalue", "evalue_ci"):
        assert os_.value("adjusted_os", None, "hazard_ratio", stat) == pytest.approx(
            hr[("treated", stat)], rel=1e-6
        )
        assert resp.value("adjusted_responder", None, "odds_ratio", stat) == pytest.approx(
            or_[("treated", stat)], rel=1e-6
        )
