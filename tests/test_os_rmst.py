"""The os endpoint's restricted mean survival time and per-arm parametric fits.

The RMST records on the example cohort and the endpoint's constructed cases are compared
with R in tests/test_os.py (tests/results/os.R writes them); here: the ``rmst_tau`` option
against tests/results/rmst.R, the per-arm survreg fits of ``parametric = ...`` against
tests/results/survreg.R, the summary row and table, the reading when cox.zph rejects
proportional hazards, the parametric figure, and the options' errors.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mdsrs_core import Cohort, load_example, run
from mdsrs_core.errors import StudyError

RESULTS = Path(__file__).parent / "results"
R_RMST = json.loads((RESULTS / "rmst.json").read_text())
R_SURVREG = json.loads((RESULTS / "survreg.json").read_text())
ARMS = ["thalidomide", "lenalidomide"]


def _run(cohort=None, settings=None):
    out = run(cohort or load_example(), only=["os"], settings={"os": settings or {}})
    assert out["os"].status == "ok", out["os"].reason
    return out["os"]


def _records(out):
    return {(r.variable, r.arm, r.level, r.stat): r for r in out.result.records}


@pytest.fixture(scope="module")
def weibull():
    return _run(settings={"parametric": "weibull"})


def test_rmst_tau_option_equals_r():
    out = _run(settings={"rmst_tau": 36})
    recs = _records(out)
    ref = R_RMST["patients_arm_36"]
    for arm, rmst, se in zip(ARMS, ref["rmst"], ref["std_error"], strict=True):
        assert recs[("os_rmst", arm, "36", "rmst")].value == pytest.approx(rmst, rel=1e-6)
        assert recs[("os_rmst", arm, "36", "std_error")].value == pytest.approx(se, rel=1e-6)
    c = ref["contrast"]
    for variable, i in (("os_rmst_diff", 0), ("os_rmst_ratio", 1)):
        for stat in ("estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"):
            value = recs[(variable, None, "36", stat)].value
            assert value == pytest.approx(c[stat][i], rel=1e-6), (variable, stat)
    assert not any(k[0] == "os_rmst" and k[2] == "60" for k in recs)


def test_summary_row_and_table():
    out = _run()
    rows = out.endpoint.summary(out.result.records)
    rmst_row = [r for r in rows if r.effect == "RMST difference (months)"]
    assert len(rmst_row) == 1
    row = rmst_row[0]
    ref = R_RMST["patients_arm_60"]
    assert row.estimate == pytest.approx(ref["contrast"]["estimate"][0], rel=1e-6)
    assert row.per_arm == {"thalidomide": "43.2", "lenalidomide": "52.3"}
    assert row.caveat is None  # cox.zph does not reject PH on the example
    table = out.endpoint.tables(out.result.records)["Restricted mean survival time"]
    assert table.loc["lenalidomide"].iloc[0] == "52.3 (46.4, 58.3)"
    assert table.loc["Difference (months) (lenalidomide - thalidomide)"].iloc[1] == "0.040"


def test_tau_past_shared_follow_up_is_a_note():
    out = _run(settings={"rmst_tau": 300})
    assert not any(r.variable.startswith("os_rmst") for r in out.result.records)
    assert any("tau must be <= 171.53" in n for n in out.result.notes)


def _crossing_hazards() -> pd.DataFrame:
    """Arm B dies early or survives long; arm A dies at a steady rate: crossing curves."""
    rng = np.random.default_rng(3)
    n = 60
    a = rng.exponential(30.0, n)
    b = np.where(rng.uniform(size=n) < 0.4, rng.uniform(0.5, 6.0, n), rng.exponential(300.0, n))
    time = np.minimum(np.r_[a, b], 80.0)
    return pd.DataFrame(
        {
            "patient_id": [f"P{i}" for i in range(2 * n)],
            "arm": ["A"] * n + ["B"] * n,
            "os_months": np.round(time, 2) + 0.01,
            "death": (np.r_[a, b] < 80.0).astype(int),
        }
    )


def test_rejected_proportional_hazards_points_to_rmst():
    out = _run(Cohort(_crossing_hazards(), reference="A"), settings={"landmarks": [12, 36, 60]})
    recs = _records(out)
    glob = recs[("os_ph", None, "GLOBAL", "p_value")].value
    assert glob < 0.05
    assert any(
        "read the difference in restricted mean survival to 60" in n for n in out.result.notes
    )
    row = [r for r in out.endpoint.summary(out.result.records) if r.caveat]
    assert row and "RMST difference, not the hazard ratio" in row[0].caveat


@pytest.mark.parametrize("dist", ["weibull", "exponential", "lognormal", "loglogistic"])
def test_parametric_fits_per_arm_equal_r(dist):
    out = _run(settings={"parametric": dist})
    recs = _records(out)
    curves = out.result.figures["parametric"]
    assert curves["dist"] == dist
    for arm in ARMS:
        ref = R_SURVREG[f"patients_{arm}_{dist}"]
        for stat in (
            "intercept",
            "intercept_std_error",
            "log_scale",
            "log_scale_std_error",
            "scale",
            "logLik",
            "AIC",
            "median",
            "median_std_error",
        ):
            got = recs.get(("os_parametric", arm, dist, stat))
            if ref[stat] is None:  # the exponential has no scale parameter
                assert got is None
                continue
            assert got.value == pytest.approx(ref[stat], rel=1e-6), (arm, stat)
        assert curves["arms"][arm]["time"] == pytest.approx(ref["grid"], rel=1e-12)
        assert curves["arms"][arm]["surv"] == pytest.approx(ref["surv"], rel=1e-6)


def test_parametric_figure_is_drawn(weibull):
    figures = weibull.endpoint.figures(weibull.result.records, weibull.result.figures)
    title = "Overall survival by arm: Kaplan-Meier and Weibull fits"
    assert title in figures
    ax = figures[title].axes[0]
    dashed = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert len(dashed) == 2
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "lenalidomide, Weibull fit" in labels
    import matplotlib.pyplot as plt

    for fig in figures.values():
        plt.close(fig)


def test_no_parametric_figure_by_default():
    out = _run()
    assert "parametric" not in out.result.figures
    assert len(out.endpoint.figures(out.result.records, out.result.figures)) == 1


def test_parametric_arm_without_deaths_is_a_note():
    frame = load_example().data.copy()
    frame.loc[frame["arm"] == "lenalidomide", "death"] = 0
    out = _run(Cohort(frame, reference="thalidomide"), settings={"parametric": "weibull"})
    assert set(out.result.figures["parametric"]["arms"]) == {"thalidomide"}
    assert any("Weibull fit for the lenalidomide arm not done" in n for n in out.result.notes)


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"parametric": "gamma"}, "parametric must be one of"),
        ({"rmst_tau": -5}, "rmst_tau must be a time > 0"),
        ({"rmst_tau": "sixty"}, "rmst_tau must be a time > 0"),
    ],
)
def test_bad_options_are_study_errors(settings, message):
    with pytest.raises(StudyError, match=message):
        run(load_example(), only=["os"], settings={"os": settings})


def test_rmst_reads_the_kaplan_meier_fit_of_the_os_curves():
    # add_rmst takes the os endpoint's survfit (no second fit): the formulas must be one
    from mdsrs_survival.compute import KM_FORMULA
    from mdsrs_survival.rmst import RMST_FORMULA

    assert RMST_FORMULA == KM_FORMULA
