"""The study file's [design] table: checked, exit 2 with [design], the key and the rule;
its values reach the records, and command-line options override them."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from mdsrs_core.cli import main
from mdsrs_core.errors import StudyError
from mdsrs_core.study import EXAMPLE_STUDY, Study

DATA = EXAMPLE_STUDY.parent


def study_file(tmp_path, design: str):
    path = tmp_path / "study.toml"
    path.write_text(
        "[cohort]\n"
        f'data = "{(DATA / "patients.csv").as_posix()}"\n'
        f'adverse_events = "{(DATA / "adverse_events.csv").as_posix()}"\n'
        'reference = "thalidomide"\n'
        "[analysis]\nseed = 3\nalpha = 0.05\n"
        f"[design]\n{design}\n"
    )
    return path


def settings(out):
    return {
        r["stat"]: r["value"]
        for r in json.loads((out / "results.json").read_text())
        if r["endpoint"] == "design" and r["variable"] == "setting"
    }


def test_design_values_reach_the_records(tmp_path):
    path = study_file(
        tmp_path,
        "n = [40, 80]\nreps = 120\nseed = 77\naccrual = 12.5\nfollow_up = 20\ndropout = 0.1\n"
        'allocation = 2\nos_model = "exponential"\npower = 0.9\nalpha = 0.1',
    )
    out = tmp_path / "o"
    result = CliRunner().invoke(
        main,
        ["design", str(path), "--only", "os,response", "--out", str(out), "--format", "md"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    s = settings(out)
    assert (s["reps"], s["seed"], s["accrual"], s["follow_up"]) == (120, 77, 12.5, 20)
    assert (s["dropout"], s["allocation"], s["os_model"]) == (0.1, 2, "exponential")
    assert (s["alpha"], s["target"]) == (0.1, 0.9)
    assert s["sizes"] == "40, 80"
    powers = [
        r
        for r in json.loads((out / "results.json").read_text())
        if r["variable"] == "power" and r["stat"] == "reps"
    ]
    assert {r["value"] for r in powers} == {120}
    assert "120 simulated trials per size, seed 77" in result.output


def test_command_line_overrides_the_file(tmp_path):
    path = study_file(tmp_path, 'n = "40:80:40"\nreps = 120\nseed = 77\naccrual = 12')
    out = tmp_path / "o"
    result = CliRunner().invoke(
        main,
        [
            "design",
            str(path),
            "--only",
            "response",
            "--seed",
            "5",
            "--n",
            "60",
            "--accrual",
            "24",  # the CLI default, given explicitly: still overrides the file
            "--out",
            str(out),
            "--format",
            "md",
        ],
    )
    assert result.exit_code == 0, result.output
    s = settings(out)
    assert (s["seed"], s["reps"], s["sizes"], s["accrual"]) == (5, 120, "60", 24)


def test_without_design_seed_the_analysis_seed(tmp_path):
    path = study_file(tmp_path, "n = 40\nreps = 50")
    out = tmp_path / "o"
    result = CliRunner().invoke(
        main, ["design", str(path), "--only", "response", "--out", str(out), "--format", "md"]
    )
    assert result.exit_code == 0, result.output
    assert (settings(out)["seed"], settings(out)["sizes"]) == (3, "40")


@pytest.mark.parametrize(
    ("design", "message"),
    [
        ("reps = 0", "[design] reps must be a whole number from 1 to 1000000000, not 0."),
        ('reps = "many"', "[design] reps must be a whole number, not 'many'."),
        ("reps = 10.5", "[design] reps must be a whole number, not 10.5."),
        ("rep = 10", "unknown key in [design]: rep; known: accrual, ae_test, allocation,"),
        ("power = 1", "[design] power must be a number between 0 and 1 (both excluded), not 1."),
        ("dropout = 1.0", "[design] dropout must be a number from 0 below 1, not 1.0."),
        ("follow_up = 0", "[design] follow_up must be a number above 0 to 1200 months, not 0."),
        ("seed = -1", "[design] seed must be a whole number from 0 to 4294967295, not -1."),
        ('os_model = "cox"', "[design] os_model must be one of km, exponential, piecewise, "),
        ('ae_test = "t"', "[design] ae_test must be one of wilcoxon, clm, not 't'."),
        ("response_rates = [0.2]", "[design] response_rates must be two probabilities"),
        ("response_rates = [0.2, 1.5]", "[design] response_rates must be two probabilities"),
        ('n = "60:30"', "[design] n: '60:30': needs START <= STOP and a STEP > 0."),
        ("n = [2, 100]", "[design] n: a trial has at least 4 patients (2 per arm), not 2."),
        ("n = [100.5]", "[design] n must be sizes as in --n"),
        ("workers = 0", "[design] workers must be a whole number from 1 to 4096, not 0."),
        ('scheduler = ""', "[design] scheduler must be a Dask scheduler's address as text"),
        ("hazard_ratio = true", "[design] hazard_ratio must be a number, not True."),
        ("design = 1", "unknown key in [design]: design;"),
    ],
)
def test_bad_design_table_exits_2(tmp_path, design, message):
    path = study_file(tmp_path, design)
    out = tmp_path / "o"
    result = CliRunner().invoke(main, ["design", str(path), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert f"{path}: " in result.output and message in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_design_table_must_be_a_table(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('design = 3\n[cohort]\ndata = "p.csv"\n')
    with pytest.raises(StudyError, match=r"\[design\] must be a table"):
        Study.load(path)


def test_study_keeps_the_checked_design(tmp_path):
    study = Study.load(study_file(tmp_path, 'n = "60:120:30"\nresponse_rates = [0.25, 0.45]'))
    assert study.design == {"n": [60, 90, 120], "response_rates": (0.25, 0.45)}
    assert Study.load(EXAMPLE_STUDY).design == {}
