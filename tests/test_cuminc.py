"""mdsrs_core.models.cuminc against R's cmprsk::cuminc / timepoints
(tests/results/competing_risks.R -> competing_risks.json)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mdsrs_core import load_example
from mdsrs_core.errors import FormulaError, ModelError
from mdsrs_core.models import cuminc
from mdsrs_core.models.cuminc import cuminc_fit, loglog_interval

HERE = Path(__file__).parent
R = json.loads((HERE / "results" / "competing_risks.json").read_text())
SIM = pd.read_csv(HERE / "data" / "crr_sim.csv")
MGUS2 = pd.read_csv(HERE / "data" / "mgus2.csv")


def example_frame() -> pd.DataFrame:
    d = load_example().data.copy()
    d["st"] = np.where(d["aml"] == 1, 1, np.where(d["death"] == 1, 2, 0))
    d["tt"] = np.where(d["aml"] == 1, d["aml_months"], d["os_months"])
    return d


def _num(values) -> np.ndarray:
    return np.array([np.nan if v in (None, "NA") else v for v in values], dtype=float)


CASES = {
    ("example", "cuminc"): lambda: cuminc("Surv(tt, st) ~ arm", example_frame()),
    ("example", "cuminc_rho1"): lambda: cuminc("Surv(tt, st) ~ arm", example_frame(), rho=1),
    ("example", "cuminc_one_group"): lambda: cuminc("Surv(tt, st) ~ 1", example_frame()),
    ("sim", "cuminc"): lambda: cuminc("Surv(ftime, fstatus) ~ group", SIM),
    ("sim", "cuminc_strata"): lambda: cuminc("Surv(ftime, fstatus) ~ group + strata(stratum)", SIM),
    ("mgus2", "cuminc"): lambda: cuminc("Surv(etime, event) ~ sex", MGUS2),
}


@pytest.fixture(scope="module", params=list(CASES), ids=lambda k: "-".join(k))
def case(request):
    data, name = request.param
    return CASES[request.param](), R[data][name]


def _label(curve) -> str:
    return curve.label if curve.group != "1" else f"1 {curve.cause}"


def test_curves_equal_r(case):
    fit, ref = case
    assert [_label(c) for c in fit.curves] == ref["names"]
    for c in fit.curves:
        r = ref["curves"][_label(c)]
        np.testing.assert_allclose(c.time, r["time"], rtol=1e-12)
        assert c.est == pytest.approx(r["est"], rel=1e-6, abs=1e-15)
        assert c.var == pytest.approx(r["var"], rel=1e-6, abs=1e-15)


def test_timepoints_equal_r(case):
    fit, ref = case
    s = fit.summary(ref["times"])
    for i, c in enumerate(fit.curves):
        rows = s[(s["group"] == c.group) & (s["cause"] == c.cause)]
        est, var = _num(ref["tp_est"][i]), _num(ref["tp_var"][i])
        np.testing.assert_array_equal(np.isnan(rows["estimate"]), np.isnan(est))
        assert rows["estimate"].to_numpy() == pytest.approx(est, rel=1e-6, abs=1e-15, nan_ok=True)
        assert rows["variance"].to_numpy() == pytest.approx(var, rel=1e-6, abs=1e-15, nan_ok=True)


def test_gray_test_equals_r(case):
    fit, ref = case
    if not ref.get("tests"):  # R: NULL with one group
        with pytest.raises(ModelError):
            fit.tests()
        return
    tests = fit.tests()
    assert [str(c) for c in tests["cause"]] == list(np.atleast_1d(ref["tests"]["cause"]))
    assert tests["statistic"].to_numpy() == pytest.approx(ref["tests"]["stat"], rel=1e-6)
    assert tests["p_value"].to_numpy() == pytest.approx(ref["tests"]["pv"], rel=1e-6)
    assert list(tests["df"]) == list(np.atleast_1d(ref["tests"]["df"]))


def test_example_gray_test_is_not_significant():
    fit = cuminc("Surv(tt, st) ~ arm", example_frame())
    assert fit.test(1)["p_value"] > 0.05
    assert fit.groups == ["thalidomide", "lenalidomide"]


def test_loglog_interval_formula():
    # F^exp(-+ z se / (F log F)); undefined at 0 and 1
    est, var = np.array([0.2, 0.0, 1.0]), np.array([0.01, 0.0, 0.0])
    low, high = loglog_interval(est, var, 0.95)
    k = 1.959963984540054 * 0.1 / (0.2 * np.log(0.2))
    assert low[0] == pytest.approx(0.2 ** np.exp(-k), rel=1e-12)
    assert high[0] == pytest.approx(0.2 ** np.exp(k), rel=1e-12)
    assert low[0] < 0.2 < high[0]
    assert np.isnan(low[1:]).all() and np.isnan(high[1:]).all()


def test_zero_event_group_gives_zero_curve_and_a_test():
    d = pd.DataFrame(
        {
            "t": [1, 2, 3, 4, 5, 6, 7, 8.0],
            "s": [1, 0, 2, 1, 0, 2, 0, 0],
            "g": ["a", "a", "a", "a", "b", "b", "b", "b"],
        }
    )
    fit = cuminc("Surv(t, s) ~ g", d)
    b1 = fit.curve_of("b", 1)
    assert b1.est.max() == 0
    assert np.isfinite(fit.test(1)["statistic"])


def test_missing_rows_dropped_and_counted():
    d = example_frame()
    d.loc[d.index[:3], "st"] = np.nan
    fit = cuminc("Surv(tt, st) ~ arm", d)
    assert fit.nobs == 59 and fit.n_dropped == 3


def test_array_interface_matches_formula():
    d = example_frame()
    a = cuminc_fit(
        d["tt"], d["st"], d["arm"].astype(str), group_levels=["thalidomide", "lenalidomide"]
    )
    b = cuminc("Surv(tt, st) ~ arm", d)
    for ca, cb in zip(a.curves, b.curves, strict=True):
        np.testing.assert_array_equal(ca.est, cb.est)


def test_bad_formula():
    with pytest.raises(FormulaError):
        cuminc("tt ~ arm", example_frame())


def test_event_column_is_one_byte_without_missing_status_and_nan_with():
    from mdsrs_core.models.cuminc import event_column

    full = event_column(pd.Series([0, 1, 2, 0, 2]), 0)
    assert full.dtype == np.int8
    assert full.tolist() == [0, 1, 1, 0, 1]
    text = event_column(pd.Series(["cens", "aml", "death"]), "cens")
    assert text.dtype == np.int8 and text.tolist() == [0, 1, 1]
    gaps = event_column(pd.Series([0, None, 2], dtype="Int64"), 0)
    assert gaps.dtype == float
    assert np.isnan(gaps[1]) and gaps[[0, 2]].tolist() == [0.0, 1.0]
