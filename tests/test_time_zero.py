"""Times of 0 (issue 12): valid in R's survival and cmprsk, so valid here, with R's risk-set
rules. tests/results/time_zero.R builds the data (five patients with time 0: three events,
one censored, one competing event) and the reference values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import read_reference

from mdsrs_core import Cohort
from mdsrs_core.errors import CohortError, FormulaError
from mdsrs_core.models import coxph, crr, cuminc, survdiff, survfit

HERE = Path(__file__).parent
DATA = HERE / "data" / "time_zero.csv"
REF = read_reference(HERE / "results" / "time_zero.csv", ("model", "strata", "term", "stat"))
R = {k[:4]: k[4] for k in REF}
TERMS = {"arm[T.lenalidomide]": "arm[T.lenalidomide]", "x": "x"}


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    d = pd.read_csv(DATA)
    d["arm"] = pd.Categorical(d["arm"], categories=["thalidomide", "lenalidomide"])
    return d


def close(value, expected):
    assert value == pytest.approx(expected, rel=1e-6, abs=1e-12)


def test_the_data_hold_times_of_zero(data):
    zero = data[data["time"] == 0]
    assert sorted(zero["status"]) == [0, 1, 1, 1, 2]


def test_survfit_at_time_zero_equals_r(data):
    fit = survfit("Surv(time, event) ~ arm", data=data)
    rows = fit.summary(times=[0, 1, 5, 10])
    checked = 0
    for _, row in rows.iterrows():
        key = ("survfit", row["strata"], f"{row['time']:g}")
        for stat in ("n_risk", "n_event", "surv", "std_err", "conf_low", "conf_high"):
            close(row[stat], R[(*key, stat)])
            checked += 1
    assert checked == 48
    # an event at 0 drops the curve at 0: 1 of 20 on thalidomide, 2 of 20 on lenalidomide
    at0 = rows[rows["time"] == 0].set_index("strata")["surv"]
    assert at0.tolist() == pytest.approx([0.95, 0.90])


def test_survfit_table_equals_r(data):
    table = survfit("Surv(time, event) ~ arm", data=data).table().set_index("strata")
    for strata, row in table.iterrows():
        for stat in ("records", "events", "median", "conf_low"):
            close(row[stat], R[("survfit_table", strata, "", stat)])


def test_survdiff_equals_r(data):
    test = survdiff("Surv(time, event) ~ arm", data=data)
    close(test.chisq, R[("survdiff", "", "", "chisq")])
    close(test.p_value, R[("survdiff", "", "", "p_value")])


def test_status_expression_as_in_r(data):
    # Surv(time, status == 1), as R users write it
    a = survdiff("Surv(time, status == 1) ~ arm", data=data)
    close(a.chisq, R[("survdiff", "", "", "chisq")])


def test_coxph_equals_r(data):
    fit = coxph("Surv(time, event) ~ arm + x", data=data)
    tidy = fit.tidy().set_index("term")
    for term in TERMS:
        for stat in ("estimate", "std_error", "p_value"):
            close(tidy.loc[term, stat], R[("coxph", "", term, stat)])
    close(fit.glance()["logLik"].iloc[0], R[("coxph", "", "", "loglik")])


def test_cuminc_and_grays_test_equal_r(data):
    fit = cuminc("Surv(time, status) ~ arm", data=data)
    tests = fit.tests().set_index("cause")
    for cause in (1, 2):
        close(tests.loc[cause, "statistic"], R[("cuminc_test", "", str(cause), "statistic")])
        close(tests.loc[cause, "p_value"], R[("cuminc_test", "", str(cause), "p_value")])
    summary = fit.summary(times=[0, 1, 5, 10])
    for _, row in summary.iterrows():
        key = ("cuminc", f"{row['group']} {row['cause']}", f"{row['time']:g}")
        close(row["estimate"], R[(*key, "estimate")])
        close(row["variance"], R[(*key, "variance")])
    assert len(summary) == 16


def test_crr_equals_r(data):
    tidy = crr("Surv(time, status) ~ arm + x", data=data).tidy().set_index("term")
    for term in TERMS:
        close(tidy.loc[term, "estimate"], R[("crr", "", term, "estimate")])
        close(tidy.loc[term, "std_error"], R[("crr", "", term, "std_error")])


def test_negative_time_is_still_an_error(data):
    bad = data.copy()
    bad.loc[4, "time"] = -1.0
    with pytest.raises(FormulaError, match=r"must be a number >= 0"):
        survfit("Surv(time, event) ~ arm", data=bad)


def test_cohort_and_endpoints_accept_time_zero(data):
    from mdsrs_core import run

    frame = data.assign(os_months=data["time"], death=data["event"])
    cohort = Cohort(
        frame[["patient_id", "arm", "os_months", "death", "x"]], reference="thalidomide"
    )
    assert (cohort.data["os_months"] == 0).sum() == 5
    outcome = run(cohort, only=["os"])["os"]
    assert outcome.result.n_analysed == {"thalidomide": 20, "lenalidomide": 20}
    km0 = [
        r.value
        for r in outcome.result.records
        if r.stat == "n_event" and r.level in ("0", 0) and r.variable.startswith("os")
    ]
    assert np.isfinite(km0).all()
    frame.loc[0, "os_months"] = -2
    with pytest.raises(CohortError, match="times cannot be negative"):
        Cohort(frame[["patient_id", "arm", "os_months", "death"]], reference="thalidomide")
