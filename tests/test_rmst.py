"""rmst against R: print(survfit(...), rmean = tau) per group and survRM2's contrasts
(written out in base R in tests/results/rmst.R), on lung, veteran, the example cohort and
small edge cases (a curve reaching 0, an arm without events, tau past the last time)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mdsrs_core.errors import ModelError
from mdsrs_core.models import rmst

HERE = Path(__file__).parent
ROOT = HERE.parent
R = json.loads((HERE / "results" / "rmst.json").read_text())
PATIENTS = ROOT / "mdsrs_core" / "example" / "data" / "patients.csv"
REL = 1e-6
TINY = pd.DataFrame(
    {
        "time": [1.0, 2, 2, 3, 4, 5, 5, 2, 3, 6, 7],
        "event": [1, 1, 0, 1, 0, 1, 1, 0, 0, 0, 0],
        "g": [0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1],
    }
)


def arr(values) -> np.ndarray:
    values = list(values) if isinstance(values, (list, np.ndarray)) else [values]
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def close(actual, expected) -> None:
    ours = np.atleast_1d(np.asarray(actual, dtype=float))
    assert ours == pytest.approx(arr(expected), rel=REL, nan_ok=True)


@pytest.fixture(scope="module")
def lung() -> pd.DataFrame:
    return pd.read_csv(HERE / "data" / "lung.csv")


@pytest.fixture(scope="module")
def patients() -> pd.DataFrame:
    pts = pd.read_csv(PATIENTS)
    check = R["patients_check"]
    assert (len(pts), pts["os_months"].sum(), pts["death"].sum()) == pytest.approx(
        (check["n"], check["sum_os"], check["deaths"]), rel=1e-12
    ), "the example cohort changed: re-run Rscript tests/results/rmst.R"
    return pts.assign(arm=pd.Categorical(pts["arm"], categories=["thalidomide", "lenalidomide"]))


def check_table(result, ref) -> None:
    table = result.table()
    assert list(table["strata"]) == ref["strata"]
    close(table["n"], ref["records"])
    close(table["events"], ref["events"])
    close(table["rmst"], ref["rmst"])
    close(table["std_error"], ref["std_error"])
    z = 1.959963984540054
    close(table["conf_low"], arr(ref["rmst"]) - z * arr(ref["std_error"]))


def check_contrast(result, ref) -> None:
    c = result.contrast()
    assert list(c["contrast"]) == ref["contrast"]
    for col in ["estimate", "std_error", "conf_low", "conf_high", "p_value"]:
        close(c[col], ref[col])


@pytest.mark.parametrize("tau", [365, 730])
def test_lung(lung, tau):
    ref = R[f"lung_sex_{tau}"]
    result = rmst("Surv(time, event) ~ sex", lung, tau=tau)
    check_table(result, ref)
    check_contrast(result, ref["contrast"])
    check_table(rmst("Surv(time, event) ~ 1", lung, tau=tau), ref["all"])


def test_lung_tau_past_the_last_time_and_at_an_event(lung):
    """print(survfit, rmean = tau) holds a curve at its last value past its last time; the
    contrast refuses such a tau as survRM2 does."""
    result = rmst("Surv(time, event) ~ sex", lung, tau=1100)
    check_table(result, R["lung_sex_1100"])
    with pytest.raises(ModelError, match=f"tau must be <= {R['lung_sex_bound']:g}"):
        result.contrast()
    check_table(rmst("Surv(time, event) ~ sex", lung, tau=310), R["lung_sex_at_event"])


def test_veteran():
    vet = pd.read_csv(HERE / "data" / "veteran.csv")
    ref = R["veteran_trt_200"]
    result = rmst("Surv(time, status) ~ trt", vet, tau=200)
    check_table(result, ref)
    check_contrast(result, ref["contrast"])


@pytest.mark.parametrize("tau", [36, 60])
def test_example_cohort(patients, tau):
    ref = R[f"patients_arm_{tau}"]
    result = rmst("Surv(os_months, death) ~ arm", patients, tau=tau)
    check_table(result, ref)
    check_contrast(result, ref["contrast"])
    with pytest.raises(ModelError, match=f"<= {R['patients_bound']:g}"):
        rmst("Surv(os_months, death) ~ arm", patients, tau=200).contrast()


def test_example_cohort_object_uses_its_reference_arm():
    from mdsrs_core import load_example

    result = rmst("Surv(os_months, death) ~ arm", load_example(), tau=60)
    c = result.contrast()
    assert set(c["reference"]) == {"arm=thalidomide"}
    close(c["estimate"], R["patients_arm_60"]["contrast"]["estimate"])


def test_curve_reaching_zero_and_an_arm_without_events():
    ref = R["tiny_5"]
    result = rmst("Surv(time, event) ~ g", TINY, tau=5)
    check_table(result, ref)
    check_contrast(result, ref["contrast"])
    table = result.table()
    assert table["rmst"].iloc[1] == 5.0 and table["std_error"].iloc[1] == 0.0


def test_point_estimate_equals_lifelines(lung):
    """lifelines' restricted_mean_survival_time gives the same area (its variance is a
    different quantity and is not used)."""
    from lifelines import KaplanMeierFitter
    from lifelines.utils import restricted_mean_survival_time

    sub = lung[lung["sex"] == 1]
    kmf = KaplanMeierFitter().fit(sub["time"], sub["event"])
    ours = rmst("Surv(time, event) ~ 1", sub, tau=365).table()["rmst"].iloc[0]
    assert ours == pytest.approx(restricted_mean_survival_time(kmf, t=365), rel=1e-12)


def test_bad_tau_and_one_group(lung):
    for tau in (0, -1, float("nan"), "abc"):
        with pytest.raises(ModelError, match="tau must be"):
            rmst("Surv(time, event) ~ sex", lung, tau=tau)
    with pytest.raises(ModelError, match="two or more groups"):
        rmst("Surv(time, event) ~ 1", lung, tau=365).contrast()
    with pytest.raises(ModelError, match="not a stratum"):
        rmst("Surv(time, event) ~ sex", lung, tau=365).contrast(reference="sex=3")


def test_cli_fit_rmst(patients):
    """``mdsrs fit rmst ... --tau`` prints R's per-arm figures and survRM2's contrasts; without
    --tau, or with a tau survRM2 refuses, it exits 2 with the reason."""
    from click.testing import CliRunner

    from mdsrs_core.cli import main

    study = ROOT / "mdsrs_core" / "example" / "data" / "study.toml"
    args = ["fit", "rmst", "Surv(os_months, death) ~ arm", str(study)]
    out = CliRunner().invoke(main, [*args, "--tau", "60", "--json"], catch_exceptions=False)
    assert out.exit_code == 0, out.output
    table = pd.read_json(io.StringIO(out.output))
    close(table["rmst"], R["patients_arm_60"]["rmst"])
    text = CliRunner().invoke(main, [*args, "--tau", "60"]).output
    assert "difference" in text and "rmtl_ratio" in text
    missing = CliRunner().invoke(main, args)
    assert missing.exit_code == 2 and "needs --tau" in missing.output
    too_far = CliRunner().invoke(main, [*args, "--tau", "300"])
    assert too_far.exit_code == 2 and "tau must be <= 171.53" in too_far.output
