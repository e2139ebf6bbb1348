"""The figure cache (``mdsrs_core.report.figure_cache``): a run repeated with unchanged
inputs reuses the rendered figures and writes the same report; any change of a figure's
inputs, or of the code drawing it, draws it anew; the cache can be turned off, and a damaged
entry is ignored."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from mdsrs_core import cli
from mdsrs_core.records import Record
from mdsrs_core.report import figure_cache
from mdsrs_core.report.prerender import FigurePool
from mdsrs_core.runner import can_fork

needs_fork = pytest.mark.skipif(not can_fork(), reason="the figure pool forks (Linux)")

FIGURE_ENDPOINTS = {"hematology", "ipssr", "adverse_events", "aml", "os"}
#: and the forest plot of the summary, drawn in the pool's forest lane
FIGURES = FIGURE_ENDPOINTS | {"forest"}


def _run(out, *extra: str) -> None:
    result = CliRunner().invoke(
        cli.main,
        ["run", "--out", str(out), "--format", "html,md,docx", *extra],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output


def _report(folder) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.suffix != ".docx"
    }


@pytest.fixture
def drawn(monkeypatch):
    """The endpoints whose figures the pool was asked to draw ("forest": the forest plot),
    run by run."""
    names: list[str] = []
    submit = FigurePool._submit

    def spy(self, func, *args, **kwargs):
        names.append(args[0] if func.__name__ == "_draw_endpoint" else "forest")
        return submit(self, func, *args, **kwargs)

    monkeypatch.setattr(FigurePool, "_submit", spy)
    return names


@needs_fork
def test_a_repeated_run_reuses_every_figure_and_writes_the_same_report(tmp_path, drawn):
    folder = figure_cache.cache_dir()
    _run(tmp_path / "first")
    assert set(drawn) == FIGURES
    entries = sorted(folder.glob("*.json"))
    assert len(entries) == len(FIGURE_ENDPOINTS) + 1  # and the forest plot
    drawn.clear()
    _run(tmp_path / "second")
    assert drawn == []  # nothing drawn again
    assert _report(tmp_path / "second") == _report(tmp_path / "first")
    # the Word file's pictures are the cached PNGs, the same bytes
    import zipfile

    media = []
    for run in ("first", "second"):
        with zipfile.ZipFile(tmp_path / run / "report.docx") as z:
            media.append({n: z.read(n) for n in z.namelist() if n.startswith("word/media/")})
    assert media[0] == media[1] and len(media[0]) == 6


@needs_fork
def test_a_changed_formula_redraws_only_its_endpoints_figures(tmp_path, drawn):
    _run(tmp_path / "first")
    drawn.clear()
    _run(tmp_path / "second", "--formula", "os=Surv(os_months, death) ~ arm + age + sex")
    # the survival figure, and the forest plot, which shows the hazard ratio
    assert drawn == ["os", "forest"]


@needs_fork
def test_no_cache_option_and_variable_draw_everything_and_keep_nothing(
    tmp_path, drawn, monkeypatch
):
    folder = figure_cache.cache_dir()
    _run(tmp_path / "a", "--no-cache")
    assert set(drawn) == FIGURES and not list(folder.glob("*.json"))
    drawn.clear()
    monkeypatch.setenv("MDSRS_NO_CACHE", "1")
    assert figure_cache.cache_dir() is None
    _run(tmp_path / "b")
    assert set(drawn) == FIGURES and not list(folder.glob("*.json"))
    assert _report(tmp_path / "a") == _report(tmp_path / "b")


@needs_fork
def test_a_damaged_entry_is_drawn_again(tmp_path, drawn):
    _run(tmp_path / "first")
    for entry in figure_cache.cache_dir().glob("*.json"):
        entry.write_text(entry.read_text()[:100])  # cut short
    drawn.clear()
    _run(tmp_path / "second")
    assert set(drawn) == FIGURES
    assert _report(tmp_path / "second") == _report(tmp_path / "first")


class _Endpoint:  # an endpoint of this module's package (the tests folder)
    pass


def test_the_key_follows_the_inputs_and_the_drawing_code():
    records = [Record("os", "a", "km", "estimate", 0.5, level="12")]
    kinds = (("svg", None),)
    key = figure_cache.figure_key(_Endpoint(), "os", records, {"x": [1, 2]}, kinds)
    assert len(key) == 64
    assert key == figure_cache.figure_key(_Endpoint(), "os", records, {"x": [1, 2]}, kinds)
    changed = [Record("os", "a", "km", "estimate", 0.51, level="12")]
    assert key != figure_cache.figure_key(_Endpoint(), "os", changed, {"x": [1, 2]}, kinds)
    assert key != figure_cache.figure_key(_Endpoint(), "os", records, {"x": [1, 3]}, kinds)
    assert key != figure_cache.figure_key(
        _Endpoint(), "os", records, {"x": [1, 2]}, (("png", 300),)
    )
    # the drawing code: another text of any module of mdsrs_core gives another key
    core = next(k for k in figure_cache._code_hashes if k.endswith("mdsrs_core"))
    saved = figure_cache._code_hashes[core]
    try:
        figure_cache._code_hashes[core] = "0" * 64
        assert key != figure_cache.figure_key(_Endpoint(), "os", records, {"x": [1, 2]}, kinds)
    finally:
        figure_cache._code_hashes[core] = saved
    # inputs that cannot be pickled cannot be keyed: drawn every time
    assert figure_cache.figure_key(_Endpoint(), "os", records, {"f": lambda: 1}, kinds) is None


def test_entries_are_json_and_the_oldest_go_beyond_the_limit(tmp_path, monkeypatch):
    from mdsrs_core.report.document import Figure

    monkeypatch.setenv("MDSRS_CACHE_DIR", str(tmp_path))
    figure = Figure("t", svg="<svg/>", caption="c")
    figure.__dict__["_png_by_dpi"] = {300: b"\x89PNG..."}
    figure_cache.store("a" * 64, "ok", [figure], [("a warning", UserWarning, "f.py", 3)])
    entry = json.loads((tmp_path / ("a" * 64 + ".json")).read_text())
    assert entry["status"] == "ok" and entry["figures"][0]["svg"] == "<svg/>"
    status, (back,), caught = figure_cache.load("a" * 64)
    assert (status, back.title, back.svg, back.caption) == ("ok", "t", "<svg/>", "c")
    assert back.to_png(300) == b"\x89PNG..." and caught[0][0] == "a warning"
    figure_cache.store("b" * 64, "error", "ValueError: no", [])
    assert figure_cache.load("b" * 64)[:2] == ("error", "ValueError: no")
    import os

    os.utime(tmp_path / ("a" * 64 + ".json"), (1, 1))  # the least recently used
    figure_cache._prune(tmp_path, limit=1)
    assert [p.name[:1] for p in tmp_path.glob("*.json")] in ([], ["b"])
    figure_cache._prune(tmp_path, limit=10**9)
    assert figure_cache.load("c" * 64) is None
