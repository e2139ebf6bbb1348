"""The Word writer's hand-written WordprocessingML, read back by python-docx: text that XML
escapes or Word writes as elements (tabs, line breaks, leading spaces, superscripts), short
rows, indents, styles and landscape sections come out as python-docx itself would write
them."""

from __future__ import annotations

import io

import pytest

from mdsrs_core.report.document import Document, Figure, Items, Note, Paragraph, Section, Table
from mdsrs_core.report.word import render_docx

docx = pytest.importorskip("docx")


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (600, 400), (255, 255, 255)).save(buffer, format="png", dpi=(300, 300))
    return buffer.getvalue()


@pytest.fixture(scope="module")
def word(tmp_path_factory):
    wide = Table("Wide", [f"Column header {i} in words" for i in range(12)], [["1.0"] * 12])
    odd = Table(
        'Odd <&> "title"',
        ["Label", "n", "Value"],
        [["  lead", "12", "x\ty"], ["short"], ["A\nB", "3", "×10⁹/L ᵃ"], ["trail ", "5", "6"]],
        footnotes=["ᵃ A footnote & more."],
        indent=[0, 1, 2, 0],
    )
    document = Document("Title & <test>", subtitle=["line one"])
    document.add(
        Section(
            "First",
            [
                Paragraph("A paragraph & more."),
                odd,
                Note("careful", kind="warning", lead="Warning"),
                Note("it broke", kind="error", lead="Failed"),
                Items(["one", "two"]),
                Figure("A figure", png=_png(), caption="Its caption."),
                Section("Sub", [wide]),
            ],
            tag="first",
        )
    )
    path = tmp_path_factory.mktemp("word") / "report.docx"
    render_docx(document, path)
    return docx.Document(str(path))


def test_cells_keep_their_text(word):
    odd = word.tables[0]
    rows = [[c.text for c in row.cells] for row in odd.rows]
    assert rows == [
        ["Label", "n", "Value"],
        ["  lead", "12", "x\ty"],
        ["short", "", ""],  # a short row: the missing cells are empty
        ["A\nB", "3", "×109/L a"],  # superscripts are superscript runs of plain characters
        ["trail ", "5", "6"],
    ]
    value = odd.rows[3].cells[2].paragraphs[0].runs
    assert [(r.text, bool(r.font.superscript)) for r in value] == [
        ("×10", False),
        ("9", True),
        ("/L ", False),
        ("a", True),
    ]
    assert odd.rows[3].cells[0].paragraphs[0].paragraph_format.left_indent.pt == 18
    assert "w:tblHeader" in odd.rows[0]._tr.xml
    assert all("w:cantSplit" in row._tr.xml for row in odd.rows)


def test_paragraph_styles_and_text(word):
    texts = [(p.style.name, "".join(p._p.xpath(".//w:t/text()"))) for p in word.paragraphs]
    found = [(name, text) for name, text in texts if text]
    assert found[:3] == [
        ("Title", "Title & <test>"),
        ("Normal", "line one"),
        ("Heading 1", "First (first)"),
    ]
    assert ("Normal", "A paragraph & more.") in found
    assert ("Caption", 'Table 1. Odd <&> "title".') in found
    assert ("Caption", "Figure 1. A figure. Its caption.") in found
    assert ("List Bullet", "two") in found
    assert ("Normal", "Warning: careful") in found
    failed = next(p for p in word.paragraphs if p.text == "Failed: it broke")
    assert [(r.bold, r.italic) for r in failed.runs] == [(True, None), (None, False)]


def test_a_wide_table_gets_a_landscape_section(word):
    from docx.enum.section import WD_ORIENT

    orientations = [s.orientation for s in word.sections]
    assert orientations == [WD_ORIENT.PORTRAIT, WD_ORIENT.LANDSCAPE, WD_ORIENT.PORTRAIT]
    assert len(word.inline_shapes) == 1
