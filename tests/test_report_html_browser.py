"""The HTML report in a real browser: headless Chromium renders it, with its figures, and
logs no console message; a screenshot of it is not blank.

Skipped when Chromium is not installed, unless ``MDSRS_REQUIRE_BROWSER=1`` (CI sets it):
then a missing browser fails the test. Chromium (156) writes console messages to stderr
with ``--enable-logging=stderr`` as ``[pid:tid:time:INFO:CONSOLE:1] "message", source: ...``
(older versions: ``INFO:CONSOLE(1)``); a deliberately broken page checks that they are
detected, so the test can fail.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from mdsrs_core import load_example, run
from mdsrs_core.report.write import write_report

CONSOLE = re.compile(r"CONSOLE[(:]\d+\)?\]\s*(.*)")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
    "--hide-scrollbars",
]


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("MDSRS_REQUIRE_BROWSER") == "1":
        pytest.fail("MDSRS_REQUIRE_BROWSER=1 but no chromium on PATH (apt-get install -y chromium)")
    pytest.skip("chromium is not installed (set MDSRS_REQUIRE_BROWSER=1 to require it)")


@pytest.fixture(scope="module")
def chromium() -> str:
    return _chromium()


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("browser")
    written = write_report(run(load_example()), out, ["html"])
    assert all(w.error is None for w in written)
    return out / "report.html"


def browse(chromium: str, page: Path, tmp_path: Path, *extra: str) -> tuple[str, list[str]]:
    """Open ``page`` in headless Chromium; returns stdout and the console messages."""
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    cmd = [chromium, *FLAGS, f"--user-data-dir={profile}", *extra, page.resolve().as_uri()]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    console = [m.group(1) for m in CONSOLE.finditer(out.stderr)]
    return out.stdout, console


def test_console_errors_are_detected(chromium, tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<!DOCTYPE html><html><body><p>broken</p><script>"
        'console.error("deliberate error"); notAFunction();</script></body></html>',
        encoding="utf-8",
    )
    _, console = browse(chromium, bad, tmp_path, "--dump-dom")
    assert any("deliberate error" in m for m in console), console
    assert any("notAFunction is not defined" in m for m in console), console


def test_report_renders_with_its_figures_and_no_console_message(chromium, report, tmp_path):
    dom, console = browse(chromium, report, tmp_path, "--dump-dom")
    assert console == []
    assert 'id="table-summary-of-the-between-arm-comparisons"' in dom
    source = report.read_text(encoding="utf-8")
    n_figures = source.count("<figure ")
    assert n_figures >= 1
    assert dom.count("<svg") >= n_figures  # every figure is rendered inline as SVG
    assert dom.count("<figure ") == n_figures


def test_screenshot_is_not_blank(chromium, report, tmp_path):
    import numpy as np
    from matplotlib import image

    shot = tmp_path / "shot.png"
    _, console = browse(
        chromium, report, tmp_path, "--window-size=1280,2200", f"--screenshot={shot}"
    )
    assert console == []
    pixels = image.imread(str(shot))[..., :3]
    assert pixels.shape[:2] == (2200, 1280)
    ink = (pixels.min(axis=2) < 0.5).mean()  # share of dark (text, rules, markers) pixels
    assert ink > 0.01
    colours = {tuple(c) for c in (pixels[::4, ::4] * 255).round().astype(int).reshape(-1, 3)}
    assert len(colours) > 50
    # the forest plot's markers, in the treatment arm's Okabe-Ito vermillion (#D55E00)
    vermillion = np.array([0xD5, 0x5E, 0x00]) / 255
    assert (np.abs(pixels - vermillion).max(axis=2) < 0.05).sum() > 50


# ------------------------------------------------------------------ layout (issue 15)

#: measures, after load, every table's wrapper and the page: scrollWidth above clientWidth
#: is sideways scrolling. Injected into a copy of the report whose CSP is removed (the
#: report itself runs no script).
_PROBE = """<script>
window.addEventListener("load", () => {
  const out = [];
  document.querySelectorAll(".table-wrap").forEach(w => {
    out.push(w.querySelector("table").id + " " + w.scrollWidth + " " + w.clientWidth);
  });
  const d = document.documentElement;
  out.push("page " + d.scrollWidth + " " + d.clientWidth);
  const pre = document.createElement("pre");
  pre.id = "probe";
  pre.textContent = out.join("\\n");
  document.body.appendChild(pre);
});
</script>"""


def _widths(chromium: str, page: Path, tmp_path: Path, width: int) -> dict[str, tuple[int, int]]:
    source = page.read_text(encoding="utf-8")
    source = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", source)
    probe = tmp_path / f"probe-{width}.html"
    probe.write_text(source.replace("</body>", _PROBE + "</body>"), encoding="utf-8")
    dom, _ = browse(
        chromium,
        probe,
        tmp_path,
        f"--window-size={width},2000",
        "--virtual-time-budget=5000",
        "--dump-dom",
    )
    text = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S).group(1)
    return {
        name: (int(a), int(b))
        for name, a, b in (line.split() for line in text.strip().splitlines())
    }


def test_no_table_scrolls_sideways_at_1200_pixels(chromium, report, tmp_path):
    widths = _widths(chromium, report, tmp_path, 1200)
    assert len(widths) > 30
    assert {k: v for k, v in widths.items() if v[0] > v[1]} == {}
    # the probe can see an overflow: at 700 pixels the wide tables do scroll
    narrow = _widths(chromium, report, tmp_path, 700)
    assert any(a > b for k, (a, b) in narrow.items() if k != "page")


def test_printed_on_a4_every_table_fits_and_wide_ones_are_landscape(chromium, report, tmp_path):
    """Chromium's print to PDF (A4, the report's @page rules), measured with pdftotext
    -bbox: no word past a page's edge, the AE table keeps every column, the summary table is
    on a landscape page."""
    from test_report_docx_pdf import pages

    pdf = tmp_path / "print.pdf"
    browse(chromium, report, tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}")
    found = pages(pdf)
    assert len(found) >= 10
    for number, page in enumerate(found, start=1):
        assert round(min(page["width"], page["height"])) == 595  # A4
        over = [t for x0, _, x1, _, t in page["words"] if x1 > page["width"] - 20 or x0 < 20]
        assert over == [], f"page {number}"

    def page_of(word_sequence):
        for page in found:
            words = [w[4] for w in page["words"]]
            text = " ".join(words)
            if word_sequence in text:
                return page, text
        raise AssertionError(word_sequence)

    summary, _ = page_of("Summary of the between-arm comparisons")
    assert summary["width"] > summary["height"]
    ae, text = page_of("Adverse events by CTCAE term")
    assert ae["width"] > ae["height"]
    # every column header of the AE table is printed (none is cut off)
    for column in ("Any grade: thalidomide", "Grade >= 3: lenalidomide", "Grade >= 3: Overall"):
        assert column in text, column
    portrait = [p for p in found if p["width"] < p["height"]]
    assert len(portrait) >= len(found) // 2
