"""The report as a Word document (python-docx): real Word tables a journal can take.

Each table: a Word caption above it ("Table 3. Title.", style Caption, the number a SEQ
field), columns sized to their content (numbers never wrap; labels wrap between words), a
landscape page when it does not fit a portrait one, a header row repeated on a new page,
rows that do not split across pages, numbers right-aligned, three horizontal rules (above
and below the header, below the last row) and its footnotes in small type beneath, kept on
the table's page. Figures are 300 dpi PNG pictures with a caption under them (kept with the
picture). Superscripts (footnote letters, ×10⁹/L) are superscript runs, drawn by any font.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from .document import Document, Figure, Items, Note, Paragraph, Section, Table
from .layout import TABLE_PT, column_widths

__all__ = ["render_docx", "build_docx", "column_widths"]


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


#: superscript characters -> (plain character): written as superscript runs, so that any
#: font draws them (Arial has no superscript letters; footnote marks and ×10⁹/L use them)
_SUPERSCRIPT = dict(
    zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖ", "0123456789-+abcdefghijklmnop", strict=True)
)


def _add_text(p: Any, text: str, *, size: float, bold: bool = False, italic: bool = False):
    """Runs of ``text`` in paragraph ``p``; superscript characters become superscript runs."""
    from docx.shared import Pt

    chunk, sup = "", False
    pieces: list[tuple[str, bool]] = []
    for ch in text:
        is_sup = ch in _SUPERSCRIPT
        if is_sup != sup and chunk:
            pieces.append((chunk, sup))
            chunk = ""
        sup = is_sup
        chunk += _SUPERSCRIPT.get(ch, ch)
    if chunk:
        pieces.append((chunk, sup))
    for piece, is_sup in pieces:
        run = p.add_run(piece)
        run.bold = bold
        run.italic = italic
        run.font.size = Pt(size)
        if is_sup:
            run.font.superscript = True


def _cell(
    cell: Any, text: str, *, right: bool, bold: bool = False, indent: int = 0, keep: bool = True
) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    p = cell.paragraphs[0]
    p.paragraph_format.space_after = Pt(0)
    p.paragraph_format.space_before = Pt(0)
    p.paragraph_format.keep_with_next = keep  # the table (and its notes) on one page
    if right:
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    if indent:
        p.paragraph_format.left_indent = Pt(9 * indent)
    _add_text(p, text, size=TABLE_PT, bold=bold)


def _cant_split(row: Any) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    el = OxmlElement("w:cantSplit")
    el.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(el)


def _fixed_layout(table: Any, widths: list[float]) -> None:
    """Column widths as given (the grid and every cell), fixed layout: Word and LibreOffice
    lay the table out as sized, not by their own autofit."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    table.autofit = False
    tbl_pr = table._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tbl_pr.append(layout)
    for i, w in enumerate(widths):
        table.columns[i].width = Pt(w)
        for cell in table.columns[i].cells:
            cell.width = Pt(w)


def _caption(doc: Any, kind: str, number: int, title: str, extra: str = "") -> Any:
    """A Word caption (style Caption): "Table 3. Title." with the number a SEQ field, so
    Word's lists of tables and figures and cross-references find it."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    p = doc.add_paragraph(style="Caption")
    label = p.add_run(f"{kind} ")
    label.bold = True
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), f" SEQ {kind} \\* ARABIC ")
    run = OxmlElement("w:r")
    r_pr = OxmlElement("w:rPr")
    r_pr.append(OxmlElement("w:b"))
    run.append(r_pr)
    text = OxmlElement("w:t")
    text.text = str(number)
    run.append(text)
    field.append(run)
    p._p.append(field)
    end = p.add_run(f". {title}.")
    end.bold = True
    if extra:
        _add_text(p, " " + extra, size=9)
    return p


def _orientation(doc: Any, landscape: bool) -> None:
    """Start a new section (on a new page) in the orientation asked for, if it differs."""
    from docx.enum.section import WD_ORIENT, WD_SECTION

    current = doc.sections[-1]
    if (current.orientation == WD_ORIENT.LANDSCAPE) == landscape:
        return
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    width, height = current.page_width, current.page_height
    if (width > height) != landscape:
        width, height = height, width
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = width, height


def _table(doc: Any, t: Table, number: int) -> None:
    from docx.shared import Pt

    widths, landscape = column_widths(t)
    _orientation(doc, landscape)
    title = _caption(doc, "Table", number, t.title)
    title.paragraph_format.keep_with_next = True
    aligns = [t.align(i) == "right" for i in range(len(t.header))]
    table = doc.add_table(rows=1 + len(t.rows), cols=len(t.header))
    _fixed_layout(table, widths)
    for i, h in enumerate(t.header):
        cell = table.rows[0].cells[i]
        _cell(cell, h, right=aligns[i], bold=True)
        _rule(cell, "top", 12)
        _rule(cell, "bottom", 6)
    _repeat_header(table.rows[0])
    for row in table.rows:
        _cant_split(row)
    last = len(t.rows) - 1
    for k, row in enumerate(t.rows):
        cells = table.rows[k + 1].cells
        for i, text in enumerate(row[: len(t.header)]):
            indent = t.indent[k] if (i == 0 and t.indent) else 0
            _cell(
                cells[i], text, right=aligns[i], indent=indent, keep=k < last or bool(t.footnotes)
            )
            if k == last:
                _rule(cells[i], "bottom", 12)
    for j, note in enumerate(t.footnotes):
        p = doc.add_paragraph()
        p.paragraph_format.space_after = Pt(0)
        p.paragraph_format.keep_with_next = j < len(t.footnotes) - 1
        _add_text(p, note, size=7.5)
    doc.add_paragraph()
    if landscape:
        _orientation(doc, False)


def _figure(doc: Any, f: Figure, number: int) -> None:
    from docx.shared import Inches

    png = f.to_png(DPI)
    if png is None:
        return
    _orientation(doc, False)
    doc.add_picture(io.BytesIO(png), width=Inches(6.3))
    doc.paragraphs[-1].paragraph_format.keep_with_next = True  # the caption under it
    _caption(doc, "Figure", number, f.title, f.caption)


def _section(doc: Any, s: Section, level: int, counter: dict[str, int]) -> None:
    first = next((b for b in s.blocks if not isinstance(b, Note)), None)
    if isinstance(first, Table) and column_widths(first)[1]:
        _orientation(doc, True)  # the heading goes to the landscape page with its table
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
    caption = out.styles["Caption"]
    caption.font.name = _FONT
    caption.font.size = Pt(9)
    caption.font.italic = False
    caption.font.color.rgb = None
    caption.paragraph_format.keep_with_next = True
    for sec in out.sections:  # A4, 2 cm margins (the widths column_widths() assumes)
        sec.page_width, sec.page_height = Cm(21.0), Cm(29.7)
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
    from .escape import map_text, xml_safe

    # characters XML 1.0 forbids (a vertical tab from the data) would make python-docx fail
    build_docx(map_text(document, xml_safe)).save(str(path))
