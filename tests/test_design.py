"""mdsrs_core.design: power by simulation, seeded per task, identical on any executor."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from mdsrs_core.cli import main
from mdsrs_core.design import (
    BinaryScenario,
    Exponential,
    KaplanMeier,
    OrdinalScenario,
    PiecewiseExponential,
    SurvivalScenario,
    power,
)
from mdsrs_core.design.executor import CHUNK, DaskExecutor, LocalExecutor, task_rng
from mdsrs_core.design.grid import parse_sizes
from mdsrs_core.errors import StudyError
from mdsrs_core.records import records_from_json
from mdsrs_core.stats.proportions import clopper_pearson

SMALL = {"n": [40, 80], "reps": CHUNK + 100, "seed": 11}  # two tasks per size, one partial


def test_task_stream_is_the_spawned_child():
    """Task (e, n, c) draws from SeedSequence(seed).spawn(...)[e].spawn(...)[n].spawn(...)[c]."""
    root = np.random.SeedSequence(20261201)
    child = root.spawn(3)[2].spawn(61)[60].spawn(2)[1]
    want = np.random.Generator(np.random.PCG64(child)).random(5)
    assert np.array_equal(task_rng(20261201, (2, 60, 1)).random(5), want)


def test_sizes_grid():
    assert parse_sizes("60:600:30") == list(range(60, 601, 30))
    assert parse_sizes("100,200") == [100, 200]
    assert parse_sizes("60:120:30, 200,60") == [60, 90, 120, 200]
    for bad, why in [
        ("a", "not a size"),
        ("60:30", "START <= STOP"),
        ("2", "at least 4"),
        ("1:2:3:4", "START:STOP:STEP"),
        ("", "at least one"),
    ]:
        with pytest.raises(ValueError, match=why):
            parse_sizes(bad)


def test_power_records_follow_the_contract():
    res = power(None, endpoints=["os", "response"], **SMALL)
    records = res.records
    pw = [r for r in records if r.stat == "power"]
    assert {(r.endpoint, r.n) for r in pw} == {(e, n) for e in ("os", "response") for n in (40, 80)}
    for r in pw:
        k = next(
            x.value
            for x in records
            if x.endpoint == r.endpoint and x.level == r.level and x.stat == "rejections"
        )
        assert r.value == k / SMALL["reps"]
        lo = next(
            x.value
            for x in records
            if x.endpoint == r.endpoint and x.level == r.level and x.stat == "conf_low"
        )
        assert lo == pytest.approx(clopper_pearson(k, SMALL["reps"])[1])
        assert r.arm is None and r.variable == "power"
    settings = {
        r.stat: r.value for r in records if r.endpoint == "design" and r.variable == "setting"
    }
    assert settings["seed"] == 11 and settings["reps"] == CHUNK + 100
    # the scenario is the cohort's: 24 lenalidomide patients, 12 responders (50%)
    p = {r.arm: r.value for r in records if r.endpoint == "response" and r.stat == "p"}
    assert p == {"thalidomide": pytest.approx(9 / 38), "lenalidomide": 0.5}
    # smallest n: the first size whose power >= target
    for e in ("os", "response"):
        ok = [n for n in (40, 80) if res.endpoints[e].rejections[n] / res.reps >= 0.8]
        assert res.n_required(e) == (ok[0] if ok else None)


def test_seed_drawn_and_recorded_reproduces():
    first = power(None, endpoints=["response"], n=[60], reps=300)
    again = power(None, endpoints=["response"], n=[60], reps=300, seed=first.seed)
    assert first.to_json() == again.to_json()
    other = power(None, endpoints=["response"], n=[60], reps=300, seed=first.seed + 1)
    assert other.to_json() != first.to_json()


def test_only_changes_nothing_else():
    """An endpoint's streams are keyed by its name, so planning it alone gives its numbers."""
    both = power(None, endpoints=["os", "adverse_events"], **SMALL)
    alone = power(None, endpoints=["adverse_events"], **SMALL)
    assert (
        both.endpoints["adverse_events"].rejections == alone.endpoints["adverse_events"].rejections
    )


def test_null_scenario_holds_alpha():
    """Identical arms: the log-rank test rejects in about 5% of trials (3 Monte-Carlo SEs)."""
    same = SurvivalScenario(("a", "b"), (Exponential(0.03), Exponential(0.03)))
    res = power(scenarios={"os": same}, n=[120], reps=4000, seed=5, executor=LocalExecutor())
    k = res.endpoints["os"].rejections[120]
    assert abs(k / 4000 - 0.05) < 3 * np.sqrt(0.05 * 0.95 / 4000)


def test_distributions_sample_their_survival():
    rng = np.random.default_rng(9)
    km = KaplanMeier((2.0, 5.0, 9.0), (0.8, 0.5, 0.4), 12.0, 0.1)
    pw = PiecewiseExponential((0.0, 6.0), (0.05, 0.2))
    for dist in (km, pw, Exponential(0.07)):
        x = dist.sample(rng, (200_000,))
        for t in (1.0, 3.0, 5.0, 8.0, 15.0):
            se = np.sqrt(0.25 / 200_000)
            assert abs((x > t).mean() - float(dist.survival(t))) < 4 * se, (dist, t)
    assert km.median() == 5.0
    assert pw.median() == pytest.approx(6 + (np.log(2) - 0.3) / 0.2)


def test_endpoint_without_its_variables_is_skipped(make_frame):
    import pandas as pd

    from mdsrs_core import Cohort

    frame = make_frame().drop(columns=["ae_max_grade"])
    cohort = Cohort(frame, reference="thal")
    res = power(cohort, endpoints=["adverse_events", "response"], n=[20], reps=50, seed=1)
    assert res.endpoints["adverse_events"].skipped == "needs ae_max_grade, not in the data"
    status = {r.endpoint: r.value for r in res.records if r.stat == "status"}
    assert status == {"adverse_events": "skipped", "response": "ok"}
    assert isinstance(pd.DataFrame(res.table()), pd.DataFrame)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n": [2]}, "at least 4 patients"),
        ({"reps": 0}, "reps must be"),
        ({"allocation": -1}, "allocation must be a ratio > 0"),
        ({"dropout": 1.0}, "dropout must be a proportion"),
        ({"endpoints": ["hematology"]}, "cannot be planned"),
        ({"os_model": "cox"}, "choose one of km"),
    ],
)
def test_bad_settings_are_errors(kwargs, message):
    args = {"n": [40], "reps": 10, "seed": 1, "endpoints": ["os"], **kwargs}
    with pytest.raises(StudyError, match=message):
        power(None, **args)


def test_identical_across_workers_and_a_remote_scheduler():
    """In-process, a LocalCluster of 1 and of 2 worker processes, and a scheduler started here
    on 127.0.0.1 reached by address: the same records, byte for byte."""
    from distributed import LocalCluster

    kwargs = {"n": [40, 80], "reps": 2 * CHUNK + 50, "seed": 3}
    local = power(None, executor=LocalExecutor(), **kwargs).to_json()
    for workers in (1, 2):
        with DaskExecutor(workers=workers) as ex:
            assert ex.workers == workers
            assert power(None, executor=ex, **kwargs).to_json() == local
    with LocalCluster(n_workers=1, host="127.0.0.1", protocol="tcp", dashboard_address=None) as c:
        address = c.scheduler_address
        assert address.startswith("tcp://127.0.0.1:")
        assert power(None, scheduler=address, **kwargs).to_json() == local


def test_unreachable_scheduler_is_a_clear_error():
    with pytest.raises(StudyError, match="cannot reach a Dask scheduler"):
        power(None, scheduler="tcp://127.0.0.1:9", endpoints=["response"], n=[40], reps=10, seed=1)


def test_cli_design_writes_every_format(tmp_path):
    out = tmp_path / "d"
    result = CliRunner().invoke(
        main,
        [
            "design",
            "--n",
            "40:80:40",
            "--reps",
            "200",
            "--seed",
            "4",
            "--out",
            str(out),
            "--format",
            "html,docx,md,csv",
            "--accrual",
            "12",
            "--dropout",
            "0.05",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "seed 4" in result.output and "log-rank" in result.output
    summary = result.output.split("\nWrote")[0]
    assert max(len(line) for line in summary.splitlines()) <= 80  # the terminal at 80 columns
    names = {p.name for p in out.iterdir()}
    assert {"results.json", "results.csv", "report.html", "report.docx", "report.md"} <= names
    records = records_from_json((out / "results.json").read_text())
    assert {r.endpoint for r in records if r.stat == "power"} == {
        "os",
        "response",
        "aml",
        "adverse_events",
    }
    md = (out / "report.md").read_text()
    assert md.startswith("# mdsrs trial design")
    assert "Power curve: Overall survival" in md and "95% MC interval" in md
    html = (out / "report.html").read_text()
    assert html.count("<svg") >= 4  # one power curve per endpoint
    again = CliRunner().invoke(
        main,
        [
            "design",
            "--n",
            "40:80:40",
            "--reps",
            "200",
            "--seed",
            "4",
            "--out",
            str(tmp_path / "e"),
            "--format",
            "md",
            "--accrual",
            "12",
            "--dropout",
            "0.05",
        ],
    )
    assert again.exit_code == 0, again.output
    assert (tmp_path / "e" / "results.json").read_bytes() == (out / "results.json").read_bytes()
    settings = {
        r["stat"]: r["value"]
        for r in json.loads((out / "results.json").read_text())
        if r["endpoint"] == "design" and r["variable"] == "setting"
    }
    assert settings["accrual"] == 12 and settings["dropout"] == 0.05


@pytest.mark.parametrize("args", [["--n", "60:30"], ["--reps", "0"], ["--format", "pdf"]])
def test_cli_design_bad_options_exit_2(args, tmp_path):
    result = CliRunner().invoke(main, ["design", *args, "--out", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("command", [["--help"], ["plugins"], ["design", "--help"]])
def test_dask_not_imported_at_start_up(command):
    code = (
        "import sys\n"
        "from mdsrs_core.cli import main\n"
        f"sys.argv = ['mdsrs', *{command!r}]\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert e.code in (0, None), e.code\n"
        "heavy = [m for m in ('dask', 'distributed', 'numpy', 'scipy', 'pandas') "
        "if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_binary_and_ordinal_scenarios_checked():
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        BinaryScenario(("a", "b"), (0.2, 1.2))
    with pytest.raises(ValueError, match="sum to 1"):
        OrdinalScenario(("a", "b"), (0, 1), ((0.5, 0.4), (0.5, 0.5)))


def test_stated_effects_replace_the_observed():
    from mdsrs_core import load_example
    from mdsrs_core.design import ProportionalHazards
    from mdsrs_core.design.from_cohort import from_cohort

    cohort = load_example()
    fit = from_cohort(cohort, "os", os_model="exponential", hazard_ratio=0.7)
    ref, other = fit.scenario.dists
    assert isinstance(other, ProportionalHazards)
    t = np.array([6.0, 24.0, 80.0])
    assert other.survival(t) == pytest.approx(np.exp(-0.7 * ref.rate * t))
    assert other.median() == pytest.approx(np.log(2) / (0.7 * ref.rate))
    assert fit.used == {"thalidomide": 38}  # the other arm is not estimated
    km = from_cohort(cohort, "os", hazard_ratio=0.5).scenario.dists[1]
    x = km.sample(np.random.default_rng(2), (200_000,))
    for s in (12.0, 60.0, 200.0):  # 200: beyond the follow-up, in the exponential tail
        assert abs((x > s).mean() - float(km.survival(s))) < 4 * np.sqrt(0.25 / 200_000)
    res = power(cohort, endpoints=["response"], response_rates=(0.2, 0.4), n=[60], reps=50, seed=1)
    p = {r.arm: r.value for r in res.records if r.endpoint == "response" and r.stat == "p"}
    assert p == {"thalidomide": 0.2, "lenalidomide": 0.4}
    settings = {r.stat: r.value for r in res.records if r.variable == "setting"}
    assert settings["response_rates"] == "0.2, 0.4" and settings["hazard_ratio"] is None


@pytest.mark.parametrize(
    "args", [["--response-rates", "0.2"], ["--response-rates", "0.2,1.5"], ["--hazard-ratio", "0"]]
)
def test_cli_stated_effects_checked(args, tmp_path):
    result = CliRunner().invoke(main, ["design", *args, "--out", str(tmp_path / "x")])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


def test_ae_grade_clm_test_option(tmp_path):
    res = power(None, endpoints=["adverse_events"], ae_test="clm", n=[60], reps=200, seed=8)
    method = next(r.method for r in res.records if r.stat == "power")
    assert method.startswith("Proportional-odds model, Wald test (ordinal::clm)")
    wil = power(None, endpoints=["adverse_events"], n=[60], reps=200, seed=8)
    # the same simulated trials (same stream), two tests of one hypothesis: close, not equal
    a = res.endpoints["adverse_events"].rejections[60]
    b = wil.endpoints["adverse_events"].rejections[60]
    assert abs(a - b) <= 20
    with pytest.raises(StudyError, match="wilcoxon or clm"):
        power(None, endpoints=["adverse_events"], ae_test="polr", n=[60], reps=5, seed=1)


def test_real_data_mgus2_competing_risks_from_one_status_column():
    """survival's mgus2 (1384 patients, etime/event 0 censored, 1 progression, 2 death), arm
    = sex: the AML-type scenario's cause-specific hazards are the events over the exposure."""
    from pathlib import Path

    import pandas as pd

    from mdsrs_core import Cohort

    frame = pd.read_csv(Path(__file__).parent / "data" / "mgus2.csv")
    frame["patient_id"] = frame["id"].astype(str)
    cohort = Cohort(
        frame,
        arm="sex",
        reference="F",
        columns={"aml": "event", "death": "event", "aml_months": "etime", "os_months": "etime"},
        codes={"aml": {0: 0, 1: 1, 2: 0}, "death": {0: 0, 1: 0, 2: 1}},
    )
    res = power(cohort, endpoints=["aml", "os"], n=[400, 1600], reps=200, seed=2)
    rates = {
        (r.arm, r.level): r.value
        for r in res.records
        if r.variable == "scenario" and r.stat == "rate"
    }
    for sex in ("F", "M"):
        d = frame[frame["sex"] == sex]
        exposure = d["etime"].sum()
        assert rates[(sex, "aml")] == pytest.approx((d["event"] == 1).sum() / exposure)
        assert rates[(sex, "death_without_aml")] == pytest.approx(
            (d["event"] == 2).sum() / exposure
        )
    os_power = res.endpoints["os"].rejections
    assert os_power[1600] > os_power[400]  # more patients, more power
