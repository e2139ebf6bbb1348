"""survreg against R's survival::survreg (tests/results/survreg.R).

All four distributions on lung, veteran and the example cohort; case weights and strata()
on lung. Coefficients, standard errors, Wald tests and intervals, log-likelihoods, AIC/BIC,
scale, the chi-square against the intercept-only model, the full covariance matrix, and
predictions (quantiles with R's delta-method standard errors, linear predictor, response,
survival at given times), every one to 1e-6 relative.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mdsrs_core.errors import FormulaError, ModelError
from mdsrs_core.models import survreg

HERE = Path(__file__).parent
ROOT = HERE.parent
R = json.loads((HERE / "results" / "survreg.json").read_text())
PATIENTS = ROOT / "mdsrs_core" / "example" / "data" / "patients.csv"
REL = 1e-6
DISTS = ["weibull", "exponential", "lognormal", "loglogistic"]

LUNG = "Surv(time, event) ~ age + sex + ph.ecog"
LUNG_STRATA = "Surv(time, event) ~ age + ph.ecog + strata(sex)"
VET = "Surv(time, status) ~ trt + karno + celltype"
LUNG_NEW = pd.DataFrame({"age": [50, 62, 75], "sex": [1, 2, 1], "ph.ecog": [0, 1, 2]})
LUNG_NEW_S = pd.DataFrame({"age": [50, 62, 75], "ph.ecog": [0, 1, 2], "sex": [1, 2, 2]})
LEVELS = ["squamous", "smallcell", "adeno", "large"]  # R's level order, squamous = reference
VET_NEW = pd.DataFrame(
    {"trt": [1, 2, 2], "karno": [30, 60, 90], "celltype": ["squamous", "adeno", "large"]}
)
PTS_NEW = pd.DataFrame({"arm": ["thalidomide", "lenalidomide"], "age": [70, 70]})


def arr(values) -> np.ndarray:
    values = list(values) if isinstance(values, (list, np.ndarray)) else [values]
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def close(actual, expected, rel=REL) -> None:
    ours = np.atleast_1d(np.asarray(actual, dtype=float))
    assert ours == pytest.approx(arr(expected), rel=rel, nan_ok=True)


@pytest.fixture(scope="module")
def lung() -> pd.DataFrame:
    return pd.read_csv(HERE / "data" / "lung.csv")


@pytest.fixture(scope="module")
def veteran() -> pd.DataFrame:
    vet = pd.read_csv(HERE / "data" / "veteran.csv")
    return vet.assign(celltype=pd.Categorical(vet["celltype"], categories=LEVELS))


@pytest.fixture(scope="module")
def patients() -> pd.DataFrame:
    pts = pd.read_csv(PATIENTS)
    check = R["patients_check"]
    assert (len(pts), pts["os_months"].sum(), pts["death"].sum()) == pytest.approx(
        (check["n"], check["sum_os"], check["deaths"]), rel=1e-12
    ), "the example cohort changed: re-run Rscript tests/results/survreg.R"
    return pts.assign(arm=pd.Categorical(pts["arm"], categories=["thalidomide", "lenalidomide"]))


def check_fit(fit, ref, newdata) -> None:
    """Every figure of one survreg fit against R's."""
    tidy = fit.tidy()
    as_r_names = [
        re.sub(r"\[T\.(.*)\]", r"\1", t).replace("Intercept", "(Intercept)") for t in tidy["term"]
    ]
    assert as_r_names == ref["terms"]  # patsy's arm[T.b] is R's armb
    for col in ["estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"]:
        close(tidy[col], ref[col])
    nb = ref["n_coef"]
    close(tidy["conf_low"][:nb], ref["confint_low"])
    close(tidy["conf_high"][:nb], ref["confint_high"])
    tr = fit.tidy(exponentiate=True)
    close(tr["estimate"][:nb], np.exp(arr(ref["estimate"][:nb])))
    close(tr["conf_high"][:nb], np.exp(arr(ref["confint_high"])))
    close(tr["estimate"][nb:], ref["estimate"][nb:])  # Log(scale) rows stay on the log scale
    close(fit.vcov.to_numpy().reshape(-1, order="F"), ref["vcov"])
    close(fit.scale, ref["scale"])
    g = fit.glance().iloc[0]
    assert g["nobs"] == ref["nobs"]
    assert g["n_dropped"] == ref["n_dropped"]
    assert g["events"] == ref["events"]
    assert g["df"] == ref["df"]
    assert g["df_statistic"] == ref["df_chisq"]
    assert g["converged"]
    for ours, theirs in [
        ("logLik", "loglik"),
        ("logLik_null", "loglik_null"),
        ("AIC", "aic"),
        ("BIC", "bic"),
        ("statistic", "chisq"),
        ("p_value", "p_value_chisq"),
    ]:
        close(g[ours], ref[theirs])
    close(g["scale"], ref["scale"][0])

    # predictions: R's matrices are rows x p (or times), column-major
    n_new = len(newdata)
    q = fit.predict(newdata, type="quantile", p=ref["pred_p"], se_fit=True)
    assert list(q["p"][: len(ref["pred_p"])]) == ref["pred_p"]
    as_r = lambda col: q[col].to_numpy().reshape(n_new, -1).reshape(-1, order="F")  # noqa: E731
    close(as_r("quantile"), ref["pred_quantile"])
    close(as_r("std_error"), ref["pred_quantile_se"])
    lp = fit.predict(newdata, type="lp", se_fit=True)
    close(lp["fit"], ref["pred_lp"])
    close(lp["std_error"], ref["pred_lp_se"])
    resp = fit.predict(newdata, type="response", se_fit=True)
    close(resp["fit"], ref["pred_response"])
    close(resp["std_error"], ref["pred_response_se"])
    s = fit.predict(newdata, type="survival", times=ref["pred_times"])
    close(s["surv"].to_numpy().reshape(n_new, -1).reshape(-1, order="F"), ref["pred_survival"])


# =========================================================================== R parity


@pytest.mark.parametrize("dist", DISTS)
def test_lung(lung, dist):
    check_fit(survreg(LUNG, lung, dist=dist), R[f"lung_{dist}"], LUNG_NEW)


@pytest.mark.parametrize("dist", ["weibull", "lognormal", "loglogistic"])
def test_lung_from_lifelines_start(lung, dist):
    """lifelines' AFT fitters as Newton's start reach the same optimum as R."""
    fit = survreg(LUNG, lung, dist=dist, init="lifelines")
    check_fit(fit, R[f"lung_{dist}"], LUNG_NEW)


@pytest.mark.parametrize("dist", DISTS)
def test_veteran(veteran, dist):
    new = VET_NEW.assign(celltype=pd.Categorical(VET_NEW["celltype"], categories=LEVELS))
    check_fit(survreg(VET, veteran, dist=dist), R[f"veteran_{dist}"], new)


@pytest.mark.parametrize("dist", DISTS)
@pytest.mark.parametrize("formula", ["arm", "arm_age"])
def test_example_cohort(patients, dist, formula):
    rhs = "arm" if formula == "arm" else "arm + age"
    fit = survreg(f"Surv(os_months, death) ~ {rhs}", patients, dist=dist)
    check_fit(fit, R[f"patients_{formula}_{dist}"], PTS_NEW)


def test_example_cohort_object_sets_the_reference():
    """A Cohort passed as data makes its reference arm the baseline, as the example's R
    script does with factor levels."""
    from mdsrs_core import load_example

    fit = survreg("Surv(os_months, death) ~ arm", load_example())
    ref = R["patients_arm_weibull"]
    assert list(fit.tidy()["term"]) == ["Intercept", "arm[T.lenalidomide]", "Log(scale)"]
    close(fit.tidy()["estimate"], ref["estimate"])


def test_weights(lung):
    ref = R["lung_weibull_weights"]
    check_fit(survreg(LUNG, lung, weights=ref["weights"]), ref, LUNG_NEW)
    by_column = survreg(LUNG, lung.assign(w=ref["weights"]), weights="w")
    close(by_column.tidy()["estimate"], ref["estimate"])


@pytest.mark.parametrize("dist", ["weibull", "lognormal"])
def test_strata_give_one_scale_per_stratum(lung, dist):
    fit = survreg(LUNG_STRATA, lung, dist=dist)
    assert fit.terms[-2:] == ["sex=1", "sex=2"]
    check_fit(fit, R[f"lung_strata_{dist}"], LUNG_NEW_S)
    assert set(fit.glance().columns) >= {"scale_sex=1", "scale_sex=2"}


def test_no_intercept_keeps_r_null_model(lung):
    ref = R["lung_no_intercept"]
    fit = survreg("Surv(time, event) ~ age - 1", lung)
    assert fit.terms == ref["terms"]
    close(fit.tidy()["estimate"], ref["estimate"])
    close(fit.tidy()["std_error"], ref["std_error"])
    g = fit.glance().iloc[0]
    close([g["logLik"], g["logLik_null"]], [ref["loglik"], ref["loglik_null"]])
    assert g["df_statistic"] == ref["df_chisq"]


def test_intercept_only_model_predicts_for_any_newdata(patients):
    rows = patients[patients["arm"] == "lenalidomide"]
    fit = survreg("Surv(os_months, death) ~ 1", rows)
    ref = R["patients_lenalidomide_weibull"]
    med = fit.predict(rows.iloc[:2], type="quantile", p=[0.5], se_fit=True)
    close(med["quantile"], [ref["median"]] * 2)
    close(med["std_error"], [ref["median_std_error"]] * 2)
    close(
        fit.predict(pd.DataFrame(index=[0]), type="survival", times=ref["grid"])["surv"],
        ref["surv"],
    )


def test_prediction_on_the_fitted_rows(lung):
    fit = survreg(LUNG, lung)
    rows = lung.dropna(subset=["age", "sex", "ph.ecog"]).head(3)
    ours = fit.predict(type="quantile", p=[0.5], se_fit=True).head(3)
    new = fit.predict(rows, type="quantile", p=[0.5], se_fit=True)
    close(ours["quantile"], new["quantile"].to_list())
    close(ours["std_error"], new["std_error"].to_list())


# =========================================================================== R's refusals


def test_time_zero_is_refused_as_r_does():
    data = pd.DataFrame({"t": [0.0, 1, 2, 3, 4], "e": [1, 1, 0, 1, 1]})
    with pytest.raises((ModelError, FormulaError)) as err:
        survreg("Surv(t, e) ~ 1", data)
    if isinstance(err.value, ModelError):
        assert R["time0_message"] in str(err.value)
        assert "rows 0" in str(err.value)


def test_arm_without_events_is_an_error_naming_it():
    data = pd.DataFrame(
        {
            "t": [5.0, 1, 2, 3, 4, 6, 7, 8],
            "e": [0, 0, 0, 0, 1, 1, 0, 1],
            "g": [1, 1, 1, 1, 2, 2, 2, 2],
        }
    )
    assert R["no_event_arm_warning"] == "Ran out of iterations and did not converge"
    data["arm"] = np.where(data["g"] == 1, "a", "b")
    with pytest.raises(ModelError, match="did not converge") as err:
        survreg("Surv(t, e) ~ arm", data)
    assert "arm[T.b] = 0 have no events" in str(err.value)


def test_no_events_and_bad_arguments(lung):
    with pytest.raises(ModelError, match="none of the"):
        survreg("Surv(time, e0) ~ age", lung.assign(e0=0))
    with pytest.raises(ModelError, match="dist must be one of"):
        survreg(LUNG, lung, dist="gamma")
    with pytest.raises(ModelError, match="survival outcome"):
        survreg("age ~ sex", lung)
    with pytest.raises(ModelError, match="weights has 3 values"):
        survreg(LUNG, lung, weights=[1, 2, 3])
    with pytest.raises(ModelError, match="no such column"):
        survreg(LUNG, lung, weights="nope")


def test_predict_errors(lung, veteran):
    fit = survreg(VET, veteran)
    with pytest.raises(ModelError, match="not a level"):
        fit.predict(VET_NEW.assign(celltype=["squamous", "other", "large"]))
    with pytest.raises(ModelError, match="needs times"):
        fit.predict(VET_NEW, type="survival")
    with pytest.raises(ModelError, match="strictly between 0 and 1"):
        fit.predict(VET_NEW, p=[0, 0.5])
    with pytest.raises(ModelError, match="missing value"):
        survreg(LUNG, lung).predict(LUNG_NEW.assign(age=[50, None, 70]))


def test_summary_reads_as_r(lung):
    text = survreg(LUNG, lung).summary()
    assert "Log(scale)" in text
    assert "Weibull distribution" in text
    assert "Chisq= 29.98 on 3 degrees of freedom" in text
    assert "(1 observations deleted due to missingness)" in text
    assert "Scale fixed at 1" in survreg(LUNG, lung, dist="exponential").summary()


def test_cli_fit_survreg_with_dist(patients):
    """``mdsrs fit survreg ... --dist`` prints R's figures (the study file sets the reference)."""
    from click.testing import CliRunner

    from mdsrs_core.cli import main

    study = ROOT / "mdsrs_core" / "example" / "data" / "study.toml"
    args = ["fit", "survreg", "Surv(os_months, death) ~ arm", str(study), "--json"]
    out = CliRunner().invoke(main, [*args, "--dist", "loglogistic"], catch_exceptions=False)
    assert out.exit_code == 0, out.output
    table = pd.read_json(io.StringIO(out.output))
    close(table["estimate"], R["patients_arm_loglogistic"]["estimate"])
    close(table["std_error"], R["patients_arm_loglogistic"]["std_error"])
    bad = CliRunner().invoke(main, [*args, "--dist", "gamma"])
    assert bad.exit_code == 2
