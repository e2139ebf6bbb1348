"""A test that cannot be computed never takes Table 1 down (issue 12 item 6).

On the registry export's 2 x 15 table of 2,871 patients R's fisher.test fails (FEXACT
workspace); tests/results/fisher_fallback.R records that, and R's Monte Carlo p-value with
200,000 replicates. mdsrs falls back to fisher.test(simulate.p.value = TRUE, B = 2000) with the
run's seed: its own random numbers, so it equals R's within Monte Carlo error (4 standard
errors of the two estimates together), not digit for digit."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from mdsrs_core import Cohort, run
from mdsrs_core.cli import main
from mdsrs_core.stats.contingency import choose_test, fisher_test, fisher_test_simulated

HERE = Path(__file__).parent
DATA = HERE / "data" / "registry_export.csv"
with (HERE / "results" / "fisher_fallback.csv").open() as f:
    R = {row["stat"]: row["value"] for row in csv.DictReader(f)}


@pytest.fixture(scope="module")
def table() -> np.ndarray:
    d = pd.read_csv(DATA).dropna(subset=["who_class"])
    tab = pd.crosstab(d["group"], d["who_class"]).to_numpy()
    assert tab.sum() == int(R["n"]) == 2871 and tab.shape == (2, int(R["levels"])) == (2, 15)
    return tab


def within_mc_error(p: float, replicates: int, p_r: float, replicates_r: int, k: float = 4):
    se = math.sqrt(p_r * (1 - p_r) / replicates + p_r * (1 - p_r) / replicates_r)
    assert abs(p - p_r) <= k * se, (p, p_r, se)


def test_r_cannot_compute_the_exact_test_and_neither_can_we(table):
    assert R["exact_error"].startswith("FEXACT error 7")
    with pytest.raises(ValueError, match="too large for exact enumeration"):
        fisher_test(table)


def test_monte_carlo_p_value_equals_rs_within_monte_carlo_error(table):
    result = fisher_test_simulated(table, seed=1)
    assert result.method == (
        "Fisher's Exact Test for Count Data with simulated p-value (based on 2000 replicates)"
    )
    within_mc_error(result.p_value, 2000, float(R["mc_p_value"]), int(R["mc_replicates"]))
    # R's formula: (1 + hits) / (B + 1), never 0
    assert (result.p_value * 2001) == pytest.approx(round(result.p_value * 2001))


def test_monte_carlo_p_value_equals_the_exact_one_on_a_small_table():
    small = np.array([[3, 1, 0, 2, 5], [1, 4, 3, 0, 1]])
    exact = fisher_test(small).p_value
    assert exact == pytest.approx(float(R["small_exact_p_value"]), rel=1e-6)
    simulated = fisher_test_simulated(small, replicates=20000, seed=3).p_value
    within_mc_error(simulated, 20000, exact, 10**12)


def test_seeded_and_recorded(table):
    a, b = fisher_test_simulated(table, seed=11), fisher_test_simulated(table, seed=11)
    assert a == b
    assert a.note == "Monte Carlo p-value: 2000 replicates, seed 11"
    chosen = choose_test(table, seed=11)
    assert chosen.result.p_value == a.p_value
    assert "R's fisher.test fails too" in chosen.rule


def test_table_1_keeps_the_row_with_the_monte_carlo_p_value(tmp_path):
    out = tmp_path / "out"
    args = ["run", str(DATA), "--arm", "group", "--map", "patient_id=id", "--seed", "11"]
    result = CliRunner().invoke(main, [*args, "--only", "baseline", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rec = {
        (r["variable"], r["stat"]): r
        for r in json.loads((out / "results.json").read_text())
        if r["endpoint"] == "baseline" and r["arm"] is None and r.get("level") is None
    }
    p = rec[("who_class", "p_value")]
    assert p["method"].endswith("with simulated p-value (based on 2000 replicates)")
    assert rec[("who_class", "replicates")]["value"] == 2000
    assert rec[("who_class", "seed")]["value"] == 11
    within_mc_error(p["value"], 2000, float(R["mc_p_value"]), int(R["mc_replicates"]))
    assert ("age", "p_value") in rec and ("karno", "p_value") in rec  # the rest is there
    report = (out / "report.md").read_text()
    assert "Monte Carlo p-value" in report
    assert "MDS/MPN-RS-T" in report


def test_one_variables_failure_stays_in_its_row(monkeypatch):
    import mdsrs_baseline.compute as compute

    original = compute.choose_test

    def failing(table, **kwargs):
        if table.shape[1] == 3:
            raise ValueError("a test that cannot be computed")
        return original(table, **kwargs)

    monkeypatch.setattr(compute, "choose_test", failing)
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {
            "patient_id": [f"P{i}" for i in range(60)],
            "arm": ["a", "b"] * 30,
            "stage": rng.choice(["I", "II", "III"], 60),
            "smoker": rng.choice(["yes", "no"], 60),
            "age": rng.integers(40, 90, 60),
        }
    )
    outcome = run(Cohort(frame, reference="a"), only=["baseline"])["baseline"]
    assert outcome.status == "ok"
    by = {(r.variable, r.stat) for r in outcome.result.records if r.arm is None}
    assert ("stage", "p_value_omitted") in by and ("stage", "p_value") not in by
    assert ("smoker", "p_value") in by and ("age", "p_value") in by
    assert any(
        "stage: the p-value is left out (a test that cannot be computed)" in n
        for n in (outcome.result.notes)
    )
