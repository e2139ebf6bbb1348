"""The command line as a user runs it: exit codes, files written, messages, fast start."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from mdsrs_core.cli import main
from mdsrs_core.study import EXAMPLE_STUDY


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.mark.parametrize("command", [["--help"], ["plugins"], ["run", "--help"]])
def test_fast_paths_import_no_statistics_stack(command):
    code = (
        "import sys\n"
        "from mdsrs_core.cli import main\n"
        f"sys.argv = ['mdsrs', *{command!r}]\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert e.code in (0, None), e.code\n"
        "heavy = [m for m in ('statsmodels', 'lifelines', 'matplotlib', 'pandas', 'scipy', "
        "'patsy', 'rich') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_run_on_bundled_example(tmp_path):
    out = invoke("run", "--out", str(tmp_path / "rep"), "--only", "baseline", "--verbose")
    assert out.exit_code == 0, out.output
    assert "Cohort patients.csv: 62 patients (thalidomide 38, lenalidomide 24)" in out.output
    assert "Baseline characteristics: Table 1" in out.output
    assert "thalidomide (N = 38)" in out.output
    records = json.loads((tmp_path / "rep" / "results.json").read_text())
    assert {"endpoint", "arm", "variable", "stat", "value", "label", "method", "n", "level"} == set(
        records[0]
    )
    report = (tmp_path / "rep" / "report.md").read_text()
    assert report.startswith("# mdsrs report")
    assert "### Table 1" in report


def test_run_data_file_with_column_mapping(tmp_path):
    frame = pd.read_csv(EXAMPLE_STUDY.parent / "patients.csv")
    frame = frame.rename(columns={"hgb_base": "HB", "arm": "group"})
    frame.to_csv(tmp_path / "mine.csv", index=False)
    out = invoke(
        "run",
        str(tmp_path / "mine.csv"),
        "--map",
        "hgb_base=HB",
        "--arm",
        "group",
        "--reference",
        "thalidomide",
        "--only",
        "baseline",
        "--out",
        str(tmp_path / "a"),
    )
    assert out.exit_code == 0, out.output
    invoke("run", "--only", "baseline", "--out", str(tmp_path / "b"))
    mine = json.loads((tmp_path / "a" / "results.json").read_text())
    bundled = json.loads((tmp_path / "b" / "results.json").read_text())
    key = {(r["variable"], r["arm"], r["level"], r["stat"]): r["value"] for r in bundled}
    got = {(r["variable"], r["arm"], r["level"], r["stat"]): r["value"] for r in mine}
    assert (
        got[("hgb_base", "lenalidomide", None, "median")]
        == key[("hgb_base", "lenalidomide", None, "median")]
    )
    assert got[("hgb_base", None, None, "p_value")] == key[("hgb_base", None, None, "p_value")]


def test_bad_data_exits_2_with_one_message_and_no_traceback(tmp_path):
    frame = pd.read_csv(EXAMPLE_STUDY.parent / "patients.csv")
    frame.loc[4, "hgb_base"] = 84.0
    frame.to_csv(tmp_path / "bad.csv", index=False)
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "mdsrs_core.cli",
            "run",
            str(tmp_path / "bad.csv"),
            "--reference",
            "thalidomide",
            "--out",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert out.stderr == (
        "Error: bad.csv: 1 problem in the cohort data:\n"
        "  - column 'hgb_base', row 6 (value 84): must be between 2 and 25 g/dL; values above 25 "
        "look like g/L: divide by 10.\n"
    )
    assert not (tmp_path / "o").exists()


def test_unknown_endpoint_in_only_exits_2():
    out = invoke("run", "--only", "survival")
    assert out.exit_code == 2
    assert out.output.startswith("Error: --only: unknown endpoint survival; registered: baseline")


def test_malformed_map_is_a_usage_error():
    out = invoke("run", "--map", "hgb_base")
    assert out.exit_code == 2
    assert "'hgb_base' is not NAME=COLUMN" in out.output


def test_example_writes_files_that_run(tmp_path):
    out = invoke("example", "--out", str(tmp_path / "ex"))
    assert out.exit_code == 0
    assert sorted(p.name for p in (tmp_path / "ex").iterdir()) == [
        "adverse_events.csv",
        "patients.csv",
        "study.toml",
    ]
    run = invoke(
        "run",
        str(tmp_path / "ex" / "study.toml"),
        "--only",
        "baseline",
        "--out",
        str(tmp_path / "r"),
    )
    assert run.exit_code == 0, run.output


def test_plugins_lists_baseline_as_builtin():
    out = invoke("plugins")
    assert out.exit_code == 0
    row = next(line for line in out.output.splitlines() if line.startswith("baseline"))
    assert row.split() == ["baseline", "0.1.0", "built-in", "ok", "baseline"]


def test_same_inputs_and_seed_give_byte_identical_output(tmp_path):
    for run_dir in ("1", "2"):
        out = invoke("run", "--seed", "20240101", "--out", str(tmp_path / run_dir))
        assert out.exit_code == 0, out.output
    for name in ("results.json", "report.md", "report.html"):
        assert (tmp_path / "1" / name).read_bytes() == (tmp_path / "2" / name).read_bytes(), name
    records = json.loads((tmp_path / "1" / "results.json").read_text())
    seed = [r["value"] for r in records if r["variable"] == "setting" and r["stat"] == "seed"]
    assert seed == [20240101]


def test_missing_study_file(tmp_path):
    out = invoke("run", str(tmp_path / "nope.toml"))
    assert out.exit_code == 2
    assert out.output == f"Error: {Path(tmp_path / 'nope.toml')}: no such study file.\n"


def test_fit_prints_tidy_table_equal_to_python_api(tmp_path):
    from mdsrs_core.models import glm

    data = EXAMPLE_STUDY.parent / "patients.csv"
    out = invoke(
        "fit",
        "glm",
        "aml ~ arm + age",
        str(data),
        "--family",
        "binomial",
        "--ref",
        "arm=thalidomide",
        "--json",
    )
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    frame = pd.read_csv(data)
    frame["arm"] = pd.Categorical(frame["arm"], categories=["thalidomide", "lenalidomide"])
    expected = glm("aml ~ arm + age", frame, family="binomial").tidy()
    assert [r["term"] for r in rows] == expected["term"].tolist()
    assert [r["estimate"] for r in rows] == pytest.approx(expected["estimate"].tolist(), rel=1e-12)


def test_fit_on_a_study_file_uses_the_cohort_reference():
    out = invoke(
        "fit", "coxph", "Surv(os_months, death) ~ arm", str(EXAMPLE_STUDY), "--exponentiate"
    )
    assert out.exit_code == 0, out.output
    assert out.output.splitlines()[1].split()[0] == "arm[T.lenalidomide]"
    assert "\nn = 62, events = 30\n" in out.output


def test_fit_unknown_column_exits_2():
    out = invoke("fit", "lm", "hgb_post ~ arm + hgb_bse", str(EXAMPLE_STUDY))
    assert out.exit_code == 2
    assert out.output.startswith(
        "Error: The formula 'hgb_post ~ arm + hgb_bse' names the column "
        "'hgb_bse', which is not in the data. Did you mean 'hgb_base'"
    )


def test_formula_override_from_the_command_line(tmp_path):
    out = invoke(
        "run", "--only", "baseline", "--formula", "baseline=y ~ arm", "--out", str(tmp_path)
    )
    assert out.exit_code == 2
    assert out.output == "Error: [endpoints.baseline]: endpoint 'baseline' takes no formula.\n"
    out = invoke("run", "--formula", "baseline")
    assert out.exit_code == 2
    assert "'baseline' is not ENDPOINT[.KEY]=FORMULA" in out.output


def test_fit_offers_every_model_of_the_api():
    from mdsrs_core.models import MODELS

    out = invoke("fit", "--help")
    usage = "".join(out.output.split("FORMULA")[0].split())  # undo click's line wrapping
    assert usage.endswith("{" + "|".join(MODELS) + "}")
    zph = invoke(
        "fit", "cox_zph", "Surv(os_months, death) ~ arm + age", str(EXAMPLE_STUDY), "--json"
    )
    assert [row["term"] for row in json.loads(zph.output)] == ["arm", "age", "GLOBAL"]


def test_fit_prints_reference_levels_and_events():
    """R's alphabetical default makes lenalidomide the reference of a raw file's arm (the
    hazard ratio reversed against the report's): mdsrs fit says so, and how to change it."""
    data = EXAMPLE_STUDY.parent / "patients.csv"
    deaths = int(pd.read_csv(data)["death"].sum())
    out = invoke("fit", "coxph", "Surv(os_months, death) ~ arm + sex", str(data))
    assert out.exit_code == 0, out.output
    assert f"n = 62, events = {deaths}" in out.output
    assert (
        "Reference levels: arm = lenalidomide (the first in sorted order, as R's factor(); "
        "--ref arm=LEVEL to change); sex = "
    ) in out.output
    assert "arm[T.thalidomide]" in out.output
    out = invoke(
        "fit", "coxph", "Surv(os_months, death) ~ arm", str(data), "--ref", "arm=thalidomide"
    )
    assert "Reference levels: arm = thalidomide (each other" in out.output
    assert "arm[T.lenalidomide]" in out.output
    # a study file's cohort: the study's reference; a binomial glm counts its events (1s)
    out = invoke(
        "fit",
        "glm",
        "responder ~ arm + sex",
        str(EXAMPLE_STUDY),
        "--family",
        "binomial",
    )
    assert "Reference levels: arm = thalidomide; sex = F (each other" in out.output
    responders = int(pd.read_csv(data)["response"].isin(["CR", "PR", "mCR", "HI"]).sum())
    assert f"n = 62, events = {responders}" in out.output


def test_the_command_after_a_run_exits_with_its_code_and_all_its_output(tmp_path):
    """``mdsrs run`` as a process (the console script's :func:`entry`): the summary and the
    closing line reach a piped stdout in full, the files are written, the exit code is the
    run's; the interpreter's teardown is skipped (an exit through ``os._exit``)."""
    out_dir = tmp_path / "rep"
    done = subprocess.run(
        [sys.executable, "-m", "mdsrs_core.cli", "run", "--out", str(out_dir), "--format", "md"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith(f"Wrote results.json, report.md in {out_dir}.")
    assert "Cohort patients.csv: 62 patients" in done.stdout
    assert (out_dir / "report.md").stat().st_size > 10_000
    names = sorted(p.name for p in out_dir.iterdir())
    assert names == ["report.md", "report_files", "results.json"]


def test_entry_ends_quickly_only_after_a_completed_run(monkeypatch):
    from mdsrs_core import cli

    class Ended(Exception):
        pass

    def fake_exit(code):
        raise Ended(code)

    monkeypatch.setattr(cli.os, "_exit", fake_exit)

    def completed_run():
        monkeypatch.setattr(cli, "_DONE_AND_CLOSED", True)
        raise SystemExit(1)  # an endpoint failed: the run's code

    monkeypatch.setattr(cli, "main", completed_run)
    with pytest.raises(Ended) as ended:
        cli.entry()
    assert ended.value.args == (1,)

    def bad_input():
        monkeypatch.setattr(cli, "_DONE_AND_CLOSED", False)
        raise SystemExit(2)

    monkeypatch.setattr(cli, "main", bad_input)
    with pytest.raises(SystemExit) as exited:
        cli.entry()
    assert exited.value.code == 2
