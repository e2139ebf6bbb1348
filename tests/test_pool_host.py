"""The host of the figure-drawing processes (``mdsrs_core.report.pool_host``): forked when
``mdsrs run`` starts, it draws every figure, so the run's own process imports no matplotlib;
its tasks' results and errors come back in futures; a host that dies leaves the figures to
the run (the same report); a run ending on bad input leaves no process behind."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from mdsrs_core import cli
from mdsrs_core.report import pool_host
from mdsrs_core.report.pool_host import PoolHost
from mdsrs_core.runner import can_fork

pytestmark = pytest.mark.skipif(not can_fork(), reason="the host is forked (Linux)")


def _children() -> set[int]:
    """The processes this one has started and not yet reaped (Linux /proc)."""
    out: set[int] = set()
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        with open(task / "children") as f:
            out.update(int(p) for p in f.read().split())
    return out


def _reap(pids: set[int]) -> set[int]:
    """Of ``pids``, those still running (the ended ones reaped)."""
    left = set()
    for pid in pids:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            continue
        if done == 0:
            left.add(pid)
    return left


def test_tasks_results_and_errors_come_back_in_futures():
    before = _children()
    host = PoolHost({"figures": 2, "forest": 1})
    squares = [host.submit("figures", pow, k, 2) for k in range(6)]
    root = host.submit("forest", math.sqrt, 81.0)
    failed = host.submit("figures", math.sqrt, -1.0)
    assert [f.result(timeout=60) for f in squares] == [0, 1, 4, 9, 16, 25]
    assert root.result(timeout=60) == 9.0
    with pytest.raises(RuntimeError, match="ValueError: math domain error"):
        failed.result(timeout=60)
    unknown = host.submit("no such lane", pow, 2, 2)
    with pytest.raises(RuntimeError, match="KeyError"):
        unknown.result(timeout=60)
    host.close()
    assert _reap(_children() - before) == set()  # the host and its processes have ended


def test_a_lanes_processes_run_at_the_niceness_asked_for():
    """The endpoints' figures are drawn at a lower priority than the forest plot (the run
    waits on it, drawn last) and the run's own processes."""
    from mdsrs_core.report.prerender import FIGURES_NICENESS

    own = os.nice(0)
    host = PoolHost({"figures": 2, "forest": 1}, niceness={"figures": FIGURES_NICENESS})
    try:
        figures = {host.submit("figures", os.nice, 0).result(timeout=60) for _ in range(4)}
        forest = host.submit("forest", os.nice, 0).result(timeout=60)
    finally:
        host.close()
    assert FIGURES_NICENESS > 0
    assert figures == {min(own + FIGURES_NICENESS, 19)}
    assert forest == own


def _report(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _run(out: Path, *extra: str):
    return CliRunner().invoke(
        cli.main,
        ["run", "--out", str(out), "--format", "html,md", "--no-cache", *extra],
        catch_exceptions=False,
    )


def _serve_and_die(conn, lanes, niceness):
    raise RuntimeError("the host cannot draw")


def test_a_host_that_dies_leaves_the_figures_to_the_run(tmp_path, monkeypatch):
    assert _run(tmp_path / "host").exit_code == 0
    monkeypatch.setattr(pool_host, "_serve", _serve_and_die)
    assert _run(tmp_path / "died").exit_code == 0
    host, died = _report(tmp_path / "host"), _report(tmp_path / "died")
    assert sum(name.endswith(".svg") for name in host) == 6
    assert host == died


def test_a_run_ending_on_bad_input_leaves_no_process(tmp_path):
    before = _children()
    data = tmp_path / "cohort.csv"
    data.write_text("patient_id,age\n1,50\n2,61\n", encoding="utf-8")  # no arm
    result = CliRunner().invoke(cli.main, ["run", str(data), "--out", str(tmp_path / "r")])
    assert result.exit_code == 2, result.output
    assert _reap(_children() - before) == set()


def test_mdsrs_run_draws_in_the_host_and_its_own_process_imports_no_matplotlib(tmp_path):
    check = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('drawing stack here:', "
        "sorted(m for m in ('matplotlib', 'scipy') if m in sys.modules), file=sys.stderr))\n"
        "from mdsrs_core.cli import main\n"
        f"sys.argv = ['mdsrs', 'run', '--out', {str(tmp_path / 'r')!r}, '--no-cache']\n"
        "main()\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    assert "drawing stack here: []" in proc.stderr
    assert (tmp_path / "r" / "report.html").read_text().count("<svg") == 6


def test_drawing_every_builtin_figure_imports_no_pandas_or_scipy(tmp_path):
    """The drawing processes import matplotlib only: each built-in figure (and the forest
    plot), drawn from its pickled inputs in a fresh interpreter, imports neither pandas nor
    scipy (either would cost each drawing process about half a second)."""
    import pickle

    from mdsrs_core import load_example, run
    from mdsrs_core.report.summary_table import summary_rows
    from mdsrs_core.runner import outcome_records

    cohort = load_example()
    result = run(cohort, timeout=None)
    inputs = [
        (o.name, outcome_records(o, cohort), o.result.figures)
        for o in result.outcomes
        if o.result is not None and o.endpoint.draws_figures
    ]
    assert {name for name, *_ in inputs} == {"hematology", "ipssr", "adverse_events", "aml", "os"}
    path = tmp_path / "inputs.pkl"
    path.write_bytes(pickle.dumps((inputs, summary_rows(result)[0], list(cohort.arms))))
    draw = (
        "import pickle, sys\n"
        "from mdsrs_core.plugins import get_registry\n"
        "from mdsrs_core.report.forest import forest_plot\n"
        "from mdsrs_core.report.style import to_png, to_svg, warm_up\n"
        "registry = get_registry()\n"
        "warm_up()\n"
        f"inputs, rows, arms = pickle.loads(open({str(path)!r}, 'rb').read())\n"
        "figures = [forest_plot(rows, arms)]\n"
        "for name, records, data in inputs:\n"
        "    figures += registry.endpoints[name].figures(records, data).values()\n"
        "for fig in figures:\n"
        "    to_svg(fig), to_png(fig, 100)\n"
        "print(len(figures), sorted(m for m in ('pandas', 'scipy') if m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", draw], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["6", "[]"]
