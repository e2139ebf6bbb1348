"""The report as a Word document (python-docx): real Word tables a journal can take.

Each table: its title above it, a header row (repeated on a new
page), one Word row per line, numbers right-aligned, three horizontal rules (above and
below the header, below the last row) and its footnotes in small type beneath. Figures are
300 dpi PNG pictures with a numbered caption.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from .document import Document, Figure, Items, Note, Paragraph, Section, Table

__all__ = ["render_docx", "build_docx"]

DPI = 300
_FONT = "Arial"


def _rule(cell: Any, edge: str, size: int) -> None:
    """A single black border of ``size`` eighths of a point on one edge of a cell."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tc_pr = cell._tc.get_or_add_tcPr()
    borders = tc_pr.find(qn("w:tcBorders"))
    if borders is None:
        borders = OxmlElement("w:tcBorders")
        tc_pr.append(borders)
    el = OxmlElement(f"w:{edge}")
    el.set(qn("w:val"), "single")
    el.set(qn("w:sz"), str(size))
    el.set(qn("w:color"), "000000")
    borders.append(el)


def _repeat_header(row: Any) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def _cell(cell: Any, text: str, *, right: bool, bold: bool = False, indent: int = 0) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    p = cell.paragraphs[0]
    p.paragraph_format.space_after = Pt(0)
    p.paragraph_format.space_before = Pt(0)
    if right:
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    if indent:
        p.paragraph_format.left_indent = Pt(9 * indent)
    run = p.add_run(text)
    run.bold = bold
    run.font.size = Pt(8)


def _table(doc: Any, t: Table, number: int) -> None:
    from docx.shared import Pt

    title = doc.add_paragraph()
    title.paragraph_format.keep_with_next = True
    title.add_run(t.title).bold = True
    aligns = [t.align(i) == "right" for i in range(len(t.header))]
    table = doc.add_table(rows=1 + len(t.rows), cols=len(t.header))
    table.autofit = True
    for i, h in enumerate(t.header):
        cell = table.rows[0].cells[i]
        _cell(cell, h, right=aligns[i], bold=True)
        _rule(cell, "top", 12)
        _rule(cell, "bottom", 6)
    _repeat_header(table.rows[0])
    for k, row in enumerate(t.rows):
        cells = table.rows[k + 1].cells
        for i, text in enumerate(row[: len(t.header)]):
            indent = t.indent[k] if (i == 0 and t.indent) else 0
            _cell(cells[i], text, right=aligns[i], indent=indent)
            if k == len(t.rows) - 1:
                _rule(cells[i], "bottom", 12)
    for note in t.footnotes:
        p = doc.add_paragraph()
        p.paragraph_format.space_after = Pt(0)
        p.add_run(note).font.size = Pt(7.5)
    doc.add_paragraph()


def _figure(doc: Any, f: Figure, number: int) -> None:
    from docx.shared import Inches, Pt

    png = f.to_png(DPI)
    if png is None:
        return
    doc.add_picture(io.BytesIO(png), width=Inches(6.3))
    doc.paragraphs[-1].paragraph_format.keep_with_next = True
    p = doc.add_paragraph()
    run = p.add_run(f"Figure {number}. {f.title}.")
    run.bold = True
    run.font.size = Pt(9)
    if f.caption:
        p.add_run(" " + f.caption).font.size = Pt(9)


def _section(doc: Any, s: Section, level: int, counter: dict[str, int]) -> None:
    heading = doc.add_heading(s.heading + (f" ({s.tag})" if s.tag else ""), level=min(level - 1, 9))
    heading.paragraph_format.keep_with_next = True
    for b in s.blocks:
        if isinstance(b, Section):
            _section(doc, b, level + 1, counter)
        elif isinstance(b, Table):
            counter["table"] += 1
            _table(doc, b, counter["table"])
        elif isinstance(b, Figure):
            counter["figure"] += 1
            _figure(doc, b, counter["figure"])
        elif isinstance(b, Note):
            p = doc.add_paragraph()
            if b.lead:
                p.add_run(f"{b.lead}: ").bold = True
            p.add_run(b.text).italic = b.kind != "error"
        elif isinstance(b, Items):
            for item in b.items:
                doc.add_paragraph(item, style="List Bullet")
        elif isinstance(b, Paragraph):
            doc.add_paragraph(b.text)


def build_docx(document: Document) -> Any:
    """A python-docx ``Document`` of ``document``."""
    import docx
    from docx.shared import Cm, Pt

    out = docx.Document()
    normal = out.styles["Normal"]
    normal.font.name = _FONT
    normal.font.size = Pt(10)
    for sec in out.sections:
        sec.left_margin = sec.right_margin = Cm(2)
        sec.top_margin = sec.bottom_margin = Cm(2)
    out.core_properties.title = document.title
    out.core_properties.author = "mdsrs"
    out.add_heading(document.title, level=0)
    for line in document.subtitle:
        out.add_paragraph(line)
    counter = {"table": 0, "figure": 0}
    for s in document.sections:
        _section(out, s, 2, counter)
    return out


def render_docx(document: Document, path: Path) -> None:
    """Write ``document`` to ``path`` as a .docx file."""
    build_docx(document).save(str(path))
