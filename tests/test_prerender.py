"""Figures drawn in forked processes while the endpoints run (``mdsrs_core.report.prerender``):
``mdsrs run`` writes the same report, byte for byte, as when every figure is drawn in the
report's own process; a figure that fails, or a drawing process that dies, changes nothing
but where the figure is drawn."""

from __future__ import annotations

import os
import zipfile

import pytest
from click.testing import CliRunner

from mdsrs_core import cli
from mdsrs_core.report import prerender
from mdsrs_core.report.prerender import FigurePool, render_kinds
from mdsrs_core.runner import can_fork

needs_fork = pytest.mark.skipif(not can_fork(), reason="the pool forks (Linux)")

FIGURE_ENDPOINTS = {"hematology", "ipssr", "adverse_events", "aml", "os"}


def _run(out, *formats: str) -> None:
    result = CliRunner().invoke(
        cli.main,
        ["run", "--out", str(out), "--format", ",".join(formats)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output


def _files(folder) -> dict[str, bytes]:
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix != ".docx":
            out[str(path.relative_to(folder))] = path.read_bytes()
    for path in folder.glob("*.docx"):  # the document's zip has dates; its images do not
        with zipfile.ZipFile(path) as z:
            for name in sorted(z.namelist()):
                if name.startswith("word/media/") or name == "word/document.xml":
                    out[f"{path.name}:{name}"] = z.read(name)
    return out


def test_render_kinds_follow_the_formats():
    assert render_kinds(["json", "html", "md"]) == (("svg", None),)
    assert render_kinds(["json", "docx"]) == (("png", 300),)
    assert render_kinds(["json", "csv"]) == ()
    assert render_kinds(["html", "pdf-of-a-plugin"]) is None  # unknown needs: in-process


@needs_fork
def test_pool_draws_every_figure_and_the_report_is_identical(tmp_path, monkeypatch):
    drawn = []
    submit = FigurePool.submit_endpoint

    def spy(self, outcome, records):
        submit(self, outcome, records)
        if outcome.name in self._endpoints:
            drawn.append(outcome.name)

    monkeypatch.setattr(FigurePool, "submit_endpoint", spy)
    _run(tmp_path / "pool", "html", "md", "docx")
    assert set(drawn) == FIGURE_ENDPOINTS

    monkeypatch.setattr(cli, "_figure_pool", lambda *a, **k: None)
    _run(tmp_path / "here", "html", "md", "docx")
    pool, here = _files(tmp_path / "pool"), _files(tmp_path / "here")
    assert sorted(pool) == sorted(here)
    assert sum(".svg" in k for k in pool) == 6 and sum("word/media/" in k for k in pool) == 6
    for name in here:
        assert pool[name] == here[name], name


def _broken_figures(self, records, data):
    raise ValueError("no room for the legend")


@needs_fork
def test_a_figure_that_fails_in_the_pool_gets_the_same_note(tmp_path, monkeypatch):
    from mdsrs_hematology.endpoint import Hematology

    monkeypatch.setattr(Hematology, "figures", _broken_figures)
    _run(tmp_path / "pool", "md")
    monkeypatch.setattr(cli, "_figure_pool", lambda *a, **k: None)
    _run(tmp_path / "here", "md")
    text = (tmp_path / "pool" / "report.md").read_text()
    assert "the figures could not be drawn: ValueError: no room for the legend" in text
    assert text == (tmp_path / "here" / "report.md").read_text()


def _die(*args):
    os._exit(3)


@needs_fork
def test_a_drawing_process_that_dies_leaves_the_figures_to_the_report(tmp_path, monkeypatch):
    _run(tmp_path / "here", "html")
    monkeypatch.setattr(prerender, "_draw_endpoint", _die)
    _run(tmp_path / "pool", "html")
    assert _files(tmp_path / "pool") == _files(tmp_path / "here")


def test_no_pool_for_a_plugin_format_or_resampling():
    assert cli._figure_pool(["json", "html", "pdf-of-a-plugin"], False) is None
    assert cli._figure_pool(["json", "html"], True) is None
    assert cli._figure_pool(["json", "csv"], False) is None
    pool = cli._figure_pool(["json", "html"], False)
    assert (pool is not None) == can_fork()


def _run_anew(out) -> None:
    """``mdsrs run --format html,md --no-cache``: every figure drawn in this run."""
    result = CliRunner().invoke(
        cli.main,
        ["run", "--out", str(out), "--format", "html,md", "--no-cache"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output


@needs_fork
def test_the_forest_plot_is_drawn_by_a_process_of_its_own_or_here_when_it_dies(
    tmp_path, monkeypatch
):
    _run_anew(tmp_path / "here")
    started = []
    meanwhile = FigurePool._draw_forest_meanwhile

    def spy(self, rows, arms):
        future = meanwhile(self, rows, arms)
        started.append((future is not None, len(self._endpoints)))
        return future

    monkeypatch.setattr(FigurePool, "_draw_forest_meanwhile", spy)
    _run_anew(tmp_path / "own")
    assert started == [(True, 5)]  # beside the five endpoints' figures, not after them
    assert _files(tmp_path / "own") == _files(tmp_path / "here")

    draw, parent = prerender._draw_forest, os.getpid()

    def die_in_a_child(*args):
        if os.getpid() != parent:
            os._exit(3)
        return draw(*args)

    monkeypatch.setattr(prerender, "_draw_forest", die_in_a_child)
    _run_anew(tmp_path / "died")
    assert _files(tmp_path / "died") == _files(tmp_path / "here")
