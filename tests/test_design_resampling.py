"""mdsrs run --bootstrap/--permutations: resampling through the design executor, seeded."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from mdsrs_core import load_example
from mdsrs_core.cli import main
from mdsrs_core.design.resampling import resample_os, weighted_km
from mdsrs_core.models import rmst, survfit
from mdsrs_core.runner import run


@pytest.fixture(scope="module")
def cohort():
    return load_example()


@pytest.fixture(scope="module")
def arrays(cohort):
    d = cohort.data
    arm = (d["arm"].astype(str) == "lenalidomide").to_numpy(int)
    return d["os_months"].to_numpy(float), d["death"].to_numpy(float), arm


def test_weighted_km_is_survfit_of_the_resample(cohort):
    """Integer weights = the patients drawn that many times: survfit and rmst of that data."""
    d = cohort.data
    rng = np.random.default_rng(4)
    w = rng.integers(0, 3, size=len(d)).astype(float)
    rows = d.loc[d.index.repeat(w.astype(int))]
    at = np.array([12.0, 36.0, 60.0])
    s, mu = weighted_km(
        d["os_months"].to_numpy(float), d["death"].to_numpy(float), w[None], at, 100.0
    )
    summary = survfit("Surv(os_months, death) ~ 1", rows).summary(times=list(at))
    assert s[0] == pytest.approx(summary["surv"].to_numpy())
    table = rmst("Surv(os_months, death) ~ 1", rows, tau=100.0).table()
    assert mu[0] == pytest.approx(float(table["rmst"].iloc[0]))


def test_estimates_are_the_endpoints(cohort, arrays):
    out = resample_os(*arrays, landmarks=[12, 36, 60], bootstrap=4000, permutations=2000, seed=9)
    result = run(cohort, only="os", seed=9)
    recs = {(r.variable, r.level, r.stat): r.value for r in result.records if r.endpoint == "os"}
    for t, v in out["landmarks"].items():
        assert v["estimate"] == pytest.approx(recs[("os_landmark_diff", f"{t:g}", "estimate")])
        greenwood = recs[("os_landmark_diff", f"{t:g}", "std_error")]
        # the bootstrap SE estimates the same quantity as Greenwood's (not the same formula)
        assert v["std_error"] == pytest.approx(greenwood, rel=0.2)
        assert v["conf_low"] < v["estimate"] < v["conf_high"]
    contrast = rmst("Surv(os_months, death) ~ arm", cohort, tau=out["tau"]).contrast()
    diff = contrast[contrast["contrast"] == "difference"].iloc[0]
    assert out["rmst"]["estimate"] == pytest.approx(float(diff["estimate"]))
    assert out["rmst"]["std_error"] == pytest.approx(float(diff["std_error"]), rel=0.2)
    assert out["tau"] == pytest.approx(171.53)  # lenalidomide's last follow-up < thalidomide's
    perm = out["permutation"]
    assert perm["statistic"] == pytest.approx(recs[("os_logrank", None, "statistic")], rel=1e-9)
    assert perm["p_value"] == (1 + perm["exceed"]) / 2001
    # the permutation distribution is close to chi-square(1) at n = 62
    assert abs(perm["p_value"] - recs[("os_logrank", None, "p_value")]) < 0.02


def test_seeded(arrays):
    a = resample_os(*arrays, landmarks=[60], bootstrap=700, permutations=700, seed=1)
    b = resample_os(*arrays, landmarks=[60], bootstrap=700, permutations=700, seed=1)
    c = resample_os(*arrays, landmarks=[60], bootstrap=700, permutations=700, seed=2)
    assert a == b
    assert a["landmarks"][60.0]["conf_low"] != c["landmarks"][60.0]["conf_low"]


def test_landmark_beyond_a_resample_is_counted(arrays):
    time, event, arm = arrays
    last = min(time[arm == a].max() for a in (0, 1))
    out = resample_os(time, event, arm, landmarks=[last - 0.01], bootstrap=500, seed=3)
    valid = out["landmarks"][last - 0.01]["valid"]
    assert 0 < valid < 500  # a resample without the arm's longest follow-up cannot reach it


def test_cli_run_bootstrap_and_permutations(tmp_path):
    args = ["run", "--only", "os", "--bootstrap", "600", "--permutations", "600", "--seed", "5"]
    first = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "a"), "--format", "md"])
    assert first.exit_code == 0, first.output
    again = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "b"), "--format", "md"])
    assert again.exit_code == 0, again.output
    text = (tmp_path / "a" / "results.json").read_text()
    assert text == (tmp_path / "b" / "results.json").read_text()
    records = json.loads(text)
    seed = [r["value"] for r in records if r["variable"] == "setting" and r["stat"] == "seed"]
    assert seed == [5]
    stats = {(r["variable"], r["stat"]) for r in records if r["endpoint"] == "os"}
    assert ("os_landmark_diff_bootstrap", "conf_low") in stats
    assert ("os_rmst_diff_bootstrap", "conf_high") in stats
    assert ("os_logrank_permutation", "p_value") in stats
    assert "Resampling (seed 5)" in (tmp_path / "a" / "report.md").read_text()


def test_cli_run_resampling_without_seed_records_one(tmp_path):
    out = CliRunner().invoke(
        main,
        [
            "run",
            "--only",
            "os",
            "--permutations",
            "100",
            "--out",
            str(tmp_path / "c"),
            "--format",
            "md",
        ],
    )
    assert out.exit_code == 0, out.output
    records = json.loads((tmp_path / "c" / "results.json").read_text())
    seed = next(r["value"] for r in records if r["variable"] == "setting" and r["stat"] == "seed")
    assert isinstance(seed, int)
    note = next(r["value"] for r in records if r["stat"] == "note" and "Resampling" in r["value"])
    assert f"seed {seed}" in note
