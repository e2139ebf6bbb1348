"""report.docx as a journal receives it: converted to PDF by LibreOffice (``soffice
--headless --convert-to pdf``) and measured with poppler's ``pdftotext -bbox``: no word of
any table runs past the page's margins, numbers never break across lines, wide tables are
on landscape pages; and the Word structure a journal's editor expects (Caption style with
SEQ fields, header rows repeated, rows that do not split, footnotes kept with the table).

Skipped when LibreOffice or pdftotext is not installed, unless ``MDSRS_REQUIRE_OFFICE=1``
(CI sets it, and .ci/run installs libreoffice-writer-nogui and poppler-utils): then a
missing program fails the test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from mdsrs_core import load_example, run
from mdsrs_core.report.document import Document, Section, Table, is_numeric_cell
from mdsrs_core.report.word import column_widths, render_docx
from mdsrs_core.report.write import write_report

MARGIN = 2 / 2.54 * 72  # the document's 2 cm margins, in points
SLACK = 1.5  # points: LibreOffice's text boxes may overhang the cell by a hair


def _tool(*names: str) -> str:
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("MDSRS_REQUIRE_OFFICE") == "1":
        pytest.fail(
            f"MDSRS_REQUIRE_OFFICE=1 but no {names[0]} on PATH "
            "(apt-get install -y libreoffice-writer-nogui poppler-utils)"
        )
    pytest.skip(f"{names[0]} is not installed (set MDSRS_REQUIRE_OFFICE=1 to require it)")


def to_pdf(docx: Path) -> Path:
    soffice = _tool("soffice", "libreoffice")
    profile = docx.parent / "lo-profile"
    out = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile.resolve().as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(docx.parent),
            str(docx),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    pdf = docx.with_suffix(".pdf")
    assert out.returncode == 0 and pdf.exists(), out.stderr[-2000:]
    return pdf


_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)
_WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
)


def pages(pdf: Path) -> list[dict]:
    """Per page: width, height and its words with their boxes (points, origin top left)."""
    pdftotext = _tool("pdftotext")
    html = pdf.with_suffix(".bbox.html")
    subprocess.run([pdftotext, "-bbox", str(pdf), str(html)], check=True, timeout=120)
    from html import unescape

    out = []
    for w, h, body in _PAGE.findall(html.read_text(encoding="utf-8")):
        words = [
            (float(a), float(b), float(c), float(d), unescape(t))
            for a, b, c, d, t in _WORD.findall(body)
        ]
        out.append({"width": float(w), "height": float(h), "words": words})
    return out


@pytest.fixture(scope="module")
def example_pdf(tmp_path_factory):
    out = tmp_path_factory.mktemp("docx-pdf")
    written = write_report(run(load_example()), out, ["docx"])
    assert all(w.error is None for w in written)
    pdf = to_pdf(out / "report.docx")
    return out / "report.docx", pages(pdf)


def _overruns(page: dict) -> list[str]:
    return [
        t
        for x0, _y0, x1, y1, t in page["words"]
        if x1 > page["width"] - MARGIN + SLACK or x0 < MARGIN - SLACK or y1 > page["height"]
    ]


def test_no_word_runs_past_the_page(example_pdf):
    _, found = example_pdf
    assert len(found) >= 8
    for number, page in enumerate(found, start=1):
        assert _overruns(page) == [], f"page {number}"


def test_numbers_never_break_across_lines(example_pdf):
    """Every numeric cell of every table ("-0.83 (-1.42 to -0.24)") is on one line."""
    docx_path, found = example_pdf
    import docx

    cells = {
        c.text
        for t in docx.Document(str(docx_path)).tables
        for row in t.rows[1:]
        for c in row.cells
        if " " in c.text.strip() and is_numeric_cell(c.text)
    }
    assert "0.92 (0.35 to 1.49)" in cells or any(" to " in c for c in cells)
    lines = [
        [w[4] for w in page["words"] if abs(w[1] - y) < 0.5]
        for page in found
        for y in sorted({round(w[1], 1) for w in page["words"]})
    ]
    joined = {" ".join(line) for line in lines}
    broken = [c for c in cells if not any(c in line for line in joined)]
    assert broken == []


def test_wide_tables_are_on_landscape_pages(example_pdf):
    _, found = example_pdf
    summary = next(
        p
        for p in found
        if "Summary" in [w[4] for w in p["words"]][:12]
        and any(w[4] == "Primary" for w in p["words"])
    )
    assert summary["width"] > summary["height"]  # the 9-column summary table
    portrait = [p for p in found if p["width"] < p["height"]]
    assert len(portrait) >= len(found) - 3  # the rest of the report stays portrait


def test_a_table_too_wide_for_portrait_fits_landscape_and_one_too_wide_for_both_is_fitted(
    tmp_path,
):
    """The check can fail: 13 number columns do not fit a portrait page's 17 cm."""
    header = ["Label", *[f"Column {i}" for i in range(12)]]
    rows = [["A label", *[f"{i}.25 ({i}.01 to {i + 1}.99)" for i in range(12)]]]
    wide = Table("Wide", header, rows)
    widths, landscape = column_widths(wide)
    assert landscape and sum(widths) <= (29.7 - 4) / 2.54 * 72 + 0.01
    small = Table("Small", ["Label", "n"], [["Patients", "62"]])
    assert column_widths(small)[1] is False
    doc = Document("t", sections=[Section("S", [wide, small])])
    render_docx(doc, tmp_path / "wide.docx")
    found = pages(to_pdf(tmp_path / "wide.docx"))
    # the heading's page, the wide table's landscape page, portrait again for the small one
    assert [p["width"] > p["height"] for p in found] == [False, True, False]
    assert all(_overruns(p) == [] for p in found)


def test_word_structure_captions_headers_rows_and_footnotes(example_pdf):
    docx_path, _ = example_pdf
    import docx

    document = docx.Document(str(docx_path))
    captions = [p for p in document.paragraphs if p.style.name == "Caption"]
    tables = document.tables

    def text(p):  # with the SEQ field's number, which python-docx's p.text leaves out
        return "".join(p._p.xpath(".//w:t/text()"))

    table_captions = [p for p in captions if text(p).startswith("Table ")]
    figure_captions = [p for p in captions if text(p).startswith("Figure ")]
    assert len(table_captions) == len(tables) and len(figure_captions) >= 6
    assert text(table_captions[0]) == "Table 1. Summary of the between-arm comparisons."
    assert [text(p).split(".")[0] for p in table_captions[:3]] == ["Table 1", "Table 2", "Table 3"]
    for p in table_captions + figure_captions:
        assert 'w:instr=" SEQ Table \\* ARABIC "' in p._p.xml or "SEQ Figure" in p._p.xml
        assert p.paragraph_format.keep_with_next or p.style.paragraph_format.keep_with_next
    body = document.element.body
    for t in tables:
        rows = t.rows
        assert "w:tblHeader" in rows[0]._tr.xml
        assert all("w:cantSplit" in r._tr.xml for r in rows)
        # every row but the last keeps with the next, so the table is not split needlessly
        assert all(c.paragraphs[0].paragraph_format.keep_with_next for c in rows[0].cells)
        nxt = t._tbl.getnext()
        assert nxt is not None and nxt.tag.endswith("}p")
    # a table with footnotes keeps its last row with them, and them together
    summary = tables[0]
    assert summary.rows[-1].cells[0].paragraphs[0].paragraph_format.keep_with_next
    note = summary._tbl.getnext()
    assert "Effects compare" in "".join(note.itertext())
    assert body is not None
    # superscripts are superscript runs (any font draws them): ×10⁹/L and footnote letters
    runs = [r for t in tables for row in t.rows for c in row.cells for r in c.paragraphs[0].runs]
    assert any(r.font.superscript and r.text == "9" for r in runs)
    assert any(r.font.superscript and r.text == "a" for r in runs)
    assert not any("⁹" in r.text or "ᵃ" in r.text for r in runs)
