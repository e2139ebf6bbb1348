"""mdsrs_core.models.crr against R's cmprsk::crr (tests/results/competing_risks.R ->
competing_risks.json): coefficients, robust SEs, z, p, variance, pseudo log-likelihoods."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mdsrs_core import load_example
from mdsrs_core.errors import ModelError
from mdsrs_core.models import crr

HERE = Path(__file__).parent
R = json.loads((HERE / "results" / "competing_risks.json").read_text())
SIM = pd.read_csv(HERE / "data" / "crr_sim.csv")
MGUS2 = pd.read_csv(HERE / "data" / "mgus2.csv")


def example_frame() -> pd.DataFrame:
    d = load_example().data.copy()
    d["st"] = np.where(d["aml"] == 1, 1, np.where(d["death"] == 1, 2, 0))
    d["tt"] = np.where(d["aml"] == 1, d["aml_months"], d["os_months"])
    return d


def _vectors(ref: dict) -> dict:
    """jsonlite's auto_unbox writes length-1 vectors as scalars: make them vectors again."""
    return {
        k: (list(np.atleast_1d(v)) if k in ("coef", "se", "z", "p", "var", "inf") else v)
        for k, v in ref.items()
    }


CASES = {
    ("example", "crr_arm"): lambda: crr("Surv(tt, st) ~ arm", example_frame()),
    ("example", "crr_arm_age"): lambda: crr("Surv(tt, st) ~ arm + age", example_frame()),
    ("example", "crr_death"): lambda: crr("Surv(tt, st) ~ arm", example_frame(), failcode=2),
    ("sim", "crr"): lambda: crr("Surv(ftime, fstatus) ~ x1 + x2 + x3", SIM),
    ("mgus2", "crr"): lambda: crr("Surv(etime, event) ~ age + male", MGUS2),
    ("mgus2", "crr_death"): lambda: crr("Surv(etime, event) ~ age + male", MGUS2, failcode=2),
}


@pytest.fixture(scope="module", params=list(CASES), ids=lambda k: "-".join(k))
def case(request):
    data, name = request.param
    return CASES[request.param](), R[data][name]


def test_coefficients_se_z_p_equal_r(case):
    fit, ref = case
    ref = _vectors(ref)
    tidy = fit.tidy()
    assert tidy["estimate"].to_numpy() == pytest.approx(ref["coef"], rel=1e-6)
    assert tidy["std_error"].to_numpy() == pytest.approx(ref["se"], rel=1e-6)
    assert tidy["statistic"].to_numpy() == pytest.approx(ref["z"], rel=1e-6)
    assert tidy["p_value"].to_numpy() == pytest.approx(ref["p"], rel=1e-6)


def test_variance_information_loglik_equal_r(case):
    fit, ref = case
    ref = _vectors(ref)
    p = len(fit.terms)
    assert fit.vcov.to_numpy() == pytest.approx(np.array(ref["var"]).reshape(p, p), rel=1e-6)
    assert fit.fit.inf == pytest.approx(np.array(ref["inf"]).reshape(p, p), rel=1e-6)
    assert fit.fit.loglik == pytest.approx(ref["loglik"], rel=1e-6)
    assert fit.fit.loglik_null == pytest.approx(ref["loglik_null"], rel=1e-6)
    assert fit.fit.converged is ref["converged"]
    assert fit.nobs == ref["n"]


def test_hazard_ratio_interval_is_exp_of_wald():
    fit = crr("Surv(tt, st) ~ arm", example_frame())
    hr = fit.tidy(exponentiate=True).iloc[0]
    ref = _vectors(R["example"]["crr_arm"])
    z = 1.959963984540054
    assert hr["estimate"] == pytest.approx(np.exp(ref["coef"][0]), rel=1e-6)
    assert hr["conf_low"] == pytest.approx(np.exp(ref["coef"][0] - z * ref["se"][0]), rel=1e-6)
    assert hr["conf_high"] == pytest.approx(np.exp(ref["coef"][0] + z * ref["se"][0]), rel=1e-6)


def test_zero_events_in_one_arm_is_not_estimable():
    d = example_frame()
    d.loc[(d["arm"] == "lenalidomide") & (d["st"] == 1), "st"] = 0
    with pytest.raises(ModelError, match="no failure of the cause modelled"):
        crr("Surv(tt, st) ~ arm", d)


def test_no_event_at_all():
    d = example_frame()
    d.loc[d["st"] == 1, "st"] = 0
    with pytest.raises(ModelError, match="none of the"):
        crr("Surv(tt, st) ~ arm", d)


def test_missing_covariate_rows_dropped():
    d = example_frame()
    d.loc[d.index[:2], "age"] = np.nan
    fit = crr("Surv(tt, st) ~ arm + age", d)
    assert fit.nobs == 60 and fit.n_dropped == 2
