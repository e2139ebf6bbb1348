"""The terminal summary of ``mdsrs run`` (rich): fits the terminal's width, readable at 80
columns, Table 1 only when it fits or with --verbose, warnings shown once after the run."""

from __future__ import annotations

import re
import warnings

import pytest
from click.testing import CliRunner

from mdsrs_core import load_example
from mdsrs_core.cli import _show_warnings, main
from mdsrs_core.report.summary import render_text
from mdsrs_core.runner import EndpointWorker, can_fork, run


@pytest.fixture(scope="module")
def result():
    return run(load_example())


@pytest.mark.parametrize("width", [80, 100, 120])
def test_summary_fits_the_width(result, width):
    text = render_text(result, width=width)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width
    # every estimate with its interval on one line, never broken inside (numbers no_wrap)
    assert any("OR 3.22 (1.08 to 9.63)" in line for line in lines)
    assert any("HR 0.38 (0.16 to 0.88)" in line and "log-rank 0.019" in line for line in lines)
    # the AML odds ratio with its own Wald p and Fisher's as the primary test, apart
    aml = next(line for line in lines if "OR 1.78 (0.50 to 6.33)" in line)
    assert re.search(r"0\.375\s+Fisher 0\.511$", aml)


def test_table_one_only_when_it_fits_or_verbose(result):
    narrow = render_text(result, width=80)
    assert "Baseline characteristics: Table 1 is in the report (wider than 80 columns" in narrow
    assert "Age, years" not in narrow
    wide = render_text(result, width=130)
    assert "Age, years" in wide and "ᵃ Wilcoxon rank sum test" in wide
    assert max(len(line) for line in wide.splitlines()) <= 130
    verbose = render_text(result, width=80, verbose=True)
    assert "Age, years" in verbose


def test_cli_at_80_columns():
    out = CliRunner(env={"COLUMNS": "80"}).invoke(
        main, ["run", "--out", "/tmp/mdsrs-test-80", "--only", "response,os"]
    )
    assert out.exit_code == 0, out.output
    lines = out.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "Responder rate" in out.stdout and "Pearson 0.033" in out.stdout


def test_warnings_are_collected_and_shown_once(capsys):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        for _ in range(3):
            warnings.warn("the fit did not converge", RuntimeWarning, stacklevel=1)
        warnings.warn("another", UserWarning, stacklevel=1)
    _show_warnings(caught)
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "Warnings raised during the run (2):"
    assert err[1].startswith("  RuntimeWarning: the fit did not converge")
    assert err[2] == "  UserWarning: another"


@pytest.mark.skipif(not can_fork(), reason="endpoints run in a forked worker only on Linux")
def test_a_workers_warnings_come_back_to_the_run():
    def analysis():
        warnings.warn("from the worker", RuntimeWarning, stacklevel=1)
        return 42

    worker = EndpointWorker({"a": analysis})
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert worker.call("a", 30) == 42
    finally:
        worker.stop()
    assert [str(w.message) for w in caught] == ["from the worker"]
    assert caught[0].category is RuntimeWarning
