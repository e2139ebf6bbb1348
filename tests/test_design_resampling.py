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


STRATIFIED = "Surv(os_months, death) ~ arm + strata(sex)"


def _stratified_inputs(d, formula):
    from mdsrs_core.design.resampling import _strata_codes

    codes, terms = _strata_codes(d, formula)
    arm = (d["arm"].astype(str) == "lenalidomide").to_numpy(int)
    return d["os_months"].to_numpy(float), d["death"].to_numpy(float), arm, codes, terms


@pytest.mark.parametrize(
    "formula", [STRATIFIED, "Surv(os_months, death) ~ arm + strata(sex) + strata(sf3b1)"]
)
def test_stratified_permutation_statistic_is_stratified_survdiffs(cohort, formula):
    """The observed statistic is the stratified survdiff's (the R-checked engine; R:
    survdiff(Surv(os_months, death) ~ arm + strata(sex))), not the unstratified one."""
    from mdsrs_core.models import survdiff

    time, event, arm, codes, terms = _stratified_inputs(cohort.data, formula)
    out = resample_os(time, event, arm, landmarks=[12], permutations=700, seed=4, strata=codes)
    perm = out["permutation"]
    expected = survdiff(formula, cohort.data).chisq
    assert perm["statistic"] == pytest.approx(expected, rel=1e-12)
    assert perm["statistic"] != pytest.approx(
        survdiff("Surv(os_months, death) ~ arm", cohort.data).chisq
    )
    assert perm["stratified"] and perm["n_patients"] == 62
    assert terms == formula.split("~ arm + ")[1]


def test_stratified_permutation_p_value_definition(cohort):
    """Each permutation keeps every stratum's arm sizes, its statistic is survdiff's on the
    permuted labels, and p = (1 + #{X2* >= X2}) / (N + 1) over the tasks' streams."""
    from mdsrs_core.design.executor import CHUNK, task_rng
    from mdsrs_core.design.resampling import (
        PERMUTATION_KEY,
        _stratified_chisq,
        stratified_permutations,
    )
    from mdsrs_core.models import survdiff

    d = cohort.data
    time, event, arm, codes, _ = _stratified_inputs(d, STRATIFIED)
    n_perm = CHUNK + 300  # two tasks
    out = resample_os(time, event, arm, landmarks=[12], permutations=n_perm, seed=8, strata=codes)
    data = {"time": time, "event": event, "arm": arm, "strata": codes}
    stats = []
    for c, k in enumerate((CHUNK, 300)):
        groups = stratified_permutations(data, k, task_rng(8, (PERMUTATION_KEY, c)))
        for s in np.unique(codes):
            assert (groups[:, codes == s].sum(axis=1) == arm[codes == s].sum()).all()
        assert (groups != arm).any(axis=1).mean() > 0.9  # the labels do move
        every = _stratified_chisq(data, groups)
        for row, value in zip(groups[:25], every[:25], strict=True):  # survdiff on a few
            frame = d.assign(arm=np.where(row == 1, "lenalidomide", "thalidomide"))
            assert value == pytest.approx(survdiff(STRATIFIED, frame).chisq, rel=1e-10)
        stats.extend(every)
    obs = out["permutation"]["statistic"]
    exceed = int(np.count_nonzero(np.array(stats) >= obs * (1 - 1e-9)))
    assert out["permutation"]["exceed"] == exceed
    assert out["permutation"]["p_value"] == (1 + exceed) / (n_perm + 1)
    assert 0 < exceed < n_perm


def test_stratified_permutation_leaves_out_patients_without_a_stratum(cohort):
    from mdsrs_core.models import survdiff

    d = cohort.data.copy()
    d["sex"] = d["sex"].astype(object)
    d.loc[d.index[:5], "sex"] = None
    time, event, arm, codes, _ = _stratified_inputs(d, STRATIFIED)
    assert (codes == -1).sum() == 5
    out = resample_os(time, event, arm, landmarks=[12], permutations=200, seed=4, strata=codes)
    assert out["permutation"]["n_patients"] == 57
    assert out["permutation"]["statistic"] == pytest.approx(
        survdiff(STRATIFIED, d).chisq, rel=1e-12
    )


def _study(tmp_path, formula):
    from mdsrs_core.study import EXAMPLE_STUDY

    path = tmp_path / "study.toml"
    data = EXAMPLE_STUDY.parent
    path.write_text(
        f'[cohort]\ndata = "{(data / "patients.csv").as_posix()}"\nreference = "thalidomide"\n'
        f'[endpoints.os]\nformulas = {{cox = "{formula}"}}\n'
    )
    return path


def test_cli_run_stratified_permutation_is_the_endpoints_logrank(tmp_path):
    path = _study(tmp_path, STRATIFIED)
    args = ["run", str(path), "--only", "os", "--permutations", "300", "--seed", "2"]
    result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "a"), "--format", "md"])
    assert result.exit_code == 0, result.output
    records = json.loads((tmp_path / "a" / "results.json").read_text())
    get = {(r["variable"], r["stat"]): r for r in records if r["endpoint"] == "os"}
    perm, logrank = get[("os_logrank_permutation", "statistic")], get[("os_logrank", "statistic")]
    assert "Stratified" in logrank["method"]
    assert perm["value"] == pytest.approx(logrank["value"], rel=1e-12)
    assert "within strata: strata(sex)" in perm["method"]
    assert perm["n"] == 62
    p = get[("os_logrank_permutation", "p_value")]["value"]
    note = f"stratified permutation log-rank p = {p:.4f} (300 permutations within strata(sex))"
    assert note in (tmp_path / "a" / "report.md").read_text()


def test_cli_run_resampling_same_in_process_and_on_one_dask_worker(tmp_path):
    args = ["run", "--only", "os", "--bootstrap", "600", "--permutations", "600", "--seed", "5"]
    local = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "a"), "--format", "md"])
    assert local.exit_code == 0, local.output
    dask = CliRunner().invoke(
        main, [*args, "--workers", "1", "--out", str(tmp_path / "b"), "--format", "md"]
    )
    assert dask.exit_code == 0, dask.output
    text = (tmp_path / "a" / "results.json").read_text()
    assert text == (tmp_path / "b" / "results.json").read_text()
    assert '"os_logrank_permutation"' in text and '"os_rmst_diff_bootstrap"' in text


def test_cli_run_workers_without_resampling_is_an_error(tmp_path):
    result = CliRunner().invoke(
        main, ["run", "--only", "os", "--workers", "2", "--out", str(tmp_path / "x")]
    )
    assert result.exit_code == 2
    assert "--bootstrap N or --permutations N" in result.output
    assert not (tmp_path / "x").exists()
