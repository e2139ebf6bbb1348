"""The report as a Word document (python-docx): real Word tables a journal can take.

Each table: a Word caption above it ("Table 3. Title.", style Caption, the number a SEQ
field), columns sized to their content (numbers never wrap; labels wrap between words), a
landscape page when it does not fit a portrait one, a header row repeated on a new page,
rows that do not split across pages, numbers right-aligned, three horizontal rules (above
and below the header, below the last row) and its footnotes in small type beneath, kept on
the table's page. Figures are 300 dpi PNG pictures with a caption under them (kept with the
picture). Superscripts (footnote letters, ×10⁹/L) are superscript runs, drawn by any font.

python-docx gives the template (styles, page set-up), the sections and the pictures; the
paragraphs and tables are written as WordprocessingML text (ECMA-376 Part 1, 17.3 and
17.4) and parsed in one pass per stretch between sections and pictures: the same XML
python-docx's per-cell and per-run property setters build, at a small part of their cost
(those setters, a style look-up by name per paragraph, and a search of the document
for its last section per table made the Word report the slowest format).
"""

from __future__ import annotations

import functools
import io
import re
from pathlib import Path
from typing import Any

from .document import Document, Figure, Items, Note, Paragraph, Section, Table
from .layout import TABLE_PT, column_widths

__all__ = ["render_docx", "build_docx", "column_widths"]


DPI = 300
_FONT = "Arial"


DPI = 300
_FONT = "Arial"
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

#: superscript characters -> (plain character): written as superscript runs, so that any
#: font draws them (Arial has no superscript letters; footnote marks and ×10⁹/L use them)
_SUPERSCRIPT = dict(
    zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖ", "0123456789-+abcdefghijklmnop", strict=True)
)
_PLAIN = str.maketrans(_SUPERSCRIPT)
#: maximal runs of superscript characters (``re.split`` puts them at the odd places)
_SUPERSCRIPT_RUN = re.compile(f"([{re.escape(''.join(_SUPERSCRIPT))}]+)")
_BREAK = re.compile(r"([\t\r\n])")
_ESCAPE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})
#: the three rules of a journal table (border sizes in eighths of a point)
_TOP, _BELOW_HEADER, _BOTTOM = 12, 6, 12


def _esc(text: str) -> str:
    return text.translate(_ESCAPE)


def _t(text: str) -> str:
    """A ``w:t`` of ``text`` (``xml:space="preserve"`` when it starts or ends in a space)."""
    if not text:
        return ""
    space = ' xml:space="preserve"' if len(text.strip()) < len(text) else ""
    return f"<w:t{space}>{_esc(text)}</w:t>"


def _content(text: str) -> str:
    """A run's content as python-docx's ``Run.text`` writes it: a tab is ``w:tab``, a
    line feed or carriage return ``w:br``, the text between them ``w:t``."""
    if "\t" not in text and "\n" not in text and "\r" not in text:
        return _t(text)
    out = []
    for part in _BREAK.split(text):
        if part == "\t":
            out.append("<w:tab/>")
        elif part in ("\n", "\r"):
            out.append("<w:br/>")
        else:
            out.append(_t(part))
    return "".join(out)


def _run(text: str, r_pr: str | None = None) -> str:
    """A ``w:r`` of ``text`` with the run properties ``r_pr`` (XML, ``None``: none)."""
    props = "" if r_pr is None else f"<w:rPr>{r_pr}</w:rPr>"
    return f"<w:r>{props}{_content(text)}</w:r>"


def _on(tag: str, value: bool) -> str:
    """An on/off property as python-docx writes it: ``<w:b/>`` or ``<w:b w:val="0"/>``."""
    return f"<w:{tag}/>" if value else f'<w:{tag} w:val="0"/>'


def _text_runs(text: str, *, size: float, bold: bool = False, italic: bool = False) -> str:
    """Runs of ``text`` (bold/italic set, size in points); superscript characters become
    superscript runs of the plain character."""
    pieces = [
        (piece.translate(_PLAIN), True) if k % 2 else (piece, False)
        for k, piece in enumerate(_SUPERSCRIPT_RUN.split(text))
        if piece
    ]
    base = f'{_on("b", bold)}{_on("i", italic)}<w:sz w:val="{_half_points(size)}"/>'
    return "".join(
        _run(piece, base + '<w:vertAlign w:val="superscript"/>' if is_sup else base)
        for piece, is_sup in pieces
    )


@functools.cache
def _half_points(size: float) -> int:
    from docx.shared import Pt

    return int(Pt(size).pt * 2)  # python-docx's conversion (Font.size = Pt(size))


def _twips(points: float) -> int:
    from docx.shared import Pt

    return Pt(points).twips  # python-docx's conversion of a width or an indent


def _paragraph(runs: str = "", p_pr: str | None = None) -> str:
    """A ``w:p`` with the paragraph properties ``p_pr`` (XML in schema order; ``None``:
    none)."""
    props = "" if p_pr is None else f"<w:pPr>{p_pr}</w:pPr>"
    return f"<w:p>{props}{runs}</w:p>"


def _borders(*edges: tuple[str, int]) -> str:
    """Single black borders (``size`` eighths of a point) on the edges of a cell."""
    return (
        "<w:tcBorders>"
        + "".join(f'<w:{e} w:val="single" w:sz="{size}" w:color="000000"/>' for e, size in edges)
        + "</w:tcBorders>"
    )


def _cell(
    width: int,
    text: str,
    *,
    right: bool,
    bold: bool = False,
    indent: int = 0,
    keep: bool = True,
    borders: str = "",
) -> str:
    """A table cell (``w:tc``) of ``width`` twips: one paragraph with no space before or
    after, kept with the next (the table and its notes on one page), right-aligned for
    numbers, the first column's sub-rows indented 9 pt per level; 8-pt text."""
    p_pr = _on("keepNext", keep) + '<w:spacing w:after="0" w:before="0"/>'
    if indent:
        p_pr += f'<w:ind w:left="{_twips(9 * indent)}"/>'
    if right:
        p_pr += '<w:jc w:val="right"/>'
    return (
        f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{width}"/>{borders}</w:tcPr>'
        f"{_paragraph(_text_runs(text, size=TABLE_PT, bold=bold), p_pr)}</w:tc>"
    )


def _empty_cell(width: int) -> str:
    return f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{width}"/></w:tcPr><w:p/></w:tc>'


def _table_xml(t: Table, widths: list[float]) -> str:
    """``t`` as a ``w:tbl``: fixed layout with the column widths given (points) on the grid
    and every cell, the header row repeated on each page, no row split across pages, the
    three rules."""
    n = len(t.header)
    tw = [_twips(w) for w in widths]
    aligns = [t.align(i) == "right" for i in range(n)]
    out = [
        '<w:tbl><w:tblPr><w:tblW w:type="auto" w:w="0"/><w:tblLayout w:type="fixed"/>'
        '<w:tblLook w:firstColumn="1" w:firstRow="1" w:lastColumn="0" w:lastRow="0" '
        'w:noHBand="0" w:noVBand="1" w:val="04A0"/><w:tblLayout w:type="fixed"/></w:tblPr>'
        "<w:tblGrid>",
        *(f'<w:gridCol w:w="{x}"/>' for x in tw),
        '</w:tblGrid><w:tr><w:trPr><w:tblHeader w:val="true"/><w:cantSplit w:val="true"/></w:trPr>',
    ]
    rules = _borders(("top", _TOP), ("bottom", _BELOW_HEADER))
    for i, h in enumerate(t.header):
        out.append(_cell(tw[i], h, right=aligns[i], bold=True, borders=rules))
    out.append("</w:tr>")
    last = len(t.rows) - 1
    bottom = _borders(("bottom", _BOTTOM))
    for k, row in enumerate(t.rows):
        out.append('<w:tr><w:trPr><w:cantSplit w:val="true"/></w:trPr>')
        cells = row[:n]
        keep = k < last or bool(t.footnotes)
        for i, text in enumerate(cells):
            indent = t.indent[k] if (i == 0 and t.indent) else 0
            out.append(
                _cell(
                    tw[i],
                    text,
                    right=aligns[i],
                    indent=indent,
                    keep=keep,
                    borders=bottom if k == last else "",
                )
            )
        out.extend(_empty_cell(tw[i]) for i in range(len(cells), n))
        out.append("</w:tr>")
    out.append("</w:tbl>")
    return "".join(out)


class _Writer:
    """Appends the report's blocks to a python-docx document's body.

    Paragraphs and tables are collected as XML text and parsed into the body in one go
    (:meth:`flush`) before python-docx itself touches the body (a section break, a
    picture) and at the end, so the body keeps the document's order.
    """

    def __init__(self, doc: Any):
        self.doc = doc
        self.body = doc.element.body
        self.xml: list[str] = []
        self.counter = {"table": 0, "figure": 0}
        self._style_ids: dict[str, str | None] = {}
        self._widths: dict[int, tuple[list[float], bool]] = {}

    # ------------------------------------------------------------------ plumbing

    def flush(self) -> None:
        """Parse the XML collected so far and insert it before the body's last section."""
        if not self.xml:
            return
        from docx.oxml.parser import parse_xml

        # python-docx's parser (its element classes); it drops blank text between tags
        # only -- a w:t of spaces carries xml:space="preserve", which libxml2 keeps
        root = parse_xml(f'<w:body xmlns:w="{_W}">{"".join(self.xml)}</w:body>')
        self.xml.clear()
        sentinel = self.body.sectPr
        for el in list(root):
            if sentinel is None:
                self.body.append(el)
            else:
                sentinel.addprevious(el)

    def style_p_pr(self, name: str) -> str:
        """The ``w:pStyle`` of the paragraph style ``name`` (python-docx's look-up, done
        once per name; the default style has none)."""
        if name not in self._style_ids:
            from docx.enum.style import WD_STYLE_TYPE

            self._style_ids[name] = self.doc.part.get_style_id(name, WD_STYLE_TYPE.PARAGRAPH)
        style_id = self._style_ids[name]
        return "" if style_id is None else f'<w:pStyle w:val="{_esc(style_id)}"/>'

    def paragraph(self, text: str = "", style: str | None = None, p_pr: str = "") -> None:
        """``Document.add_paragraph(text, style)``, plus the properties ``p_pr``."""
        props = self.style_p_pr(style) if style is not None else None
        if p_pr:
            props = (props or "") + p_pr
        self.xml.append(_paragraph(_run(text) if text else "", props))

    def widths(self, t: Table) -> tuple[list[float], bool]:
        key = id(t)
        if key not in self._widths:
            self._widths[key] = column_widths(t)
        return self._widths[key]

    def orientation(self, landscape: bool) -> None:
        """Start a new section (on a new page) in the orientation asked for, if it
        differs."""
        from docx.enum.section import WD_ORIENT, WD_SECTION
        from docx.section import Section as WordSection

        current = WordSection(self.body.sectPr, self.doc.part)
        if (current.orientation == WD_ORIENT.LANDSCAPE) == landscape:
            return
        self.flush()
        section = self.doc.add_section(WD_SECTION.NEW_PAGE)
        width, height = current.page_width, current.page_height
        if width is not None and height is not None and (width > height) != landscape:
            width, height = height, width
        section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = width, height

    # ------------------------------------------------------------------ blocks

    def caption(self, kind: str, number: int, title: str, extra: str = "", keep: bool = False):
        """A Word caption (style Caption): "Table 3. Title." with the number a SEQ field,
        so Word's lists of tables and figures and cross-references find it."""
        instr = _esc(f" SEQ {kind} \\* ARABIC ")
        runs = (
            _run(f"{kind} ", "<w:b/>")
            + f'<w:fldSimple w:instr="{instr}">'
            + f"<w:r><w:rPr><w:b/></w:rPr><w:t>{number}</w:t></w:r></w:fldSimple>"
            + _run(f". {title}.", "<w:b/>")
        )
        if extra:
            runs += _text_runs(" " + extra, size=9)
        self.xml.append(
            _paragraph(runs, self.style_p_pr("Caption") + ("<w:keepNext/>" if keep else ""))
        )

    def table(self, t: Table) -> None:
        self.counter["table"] += 1
        widths, landscape = self.widths(t)
        self.orientation(landscape)
        self.caption("Table", self.counter["table"], t.title, keep=True)
        self.xml.append(_table_xml(t, widths))
        for j, note in enumerate(t.footnotes):
            p_pr = _on("keepNext", j < len(t.footnotes) - 1) + '<w:spacing w:after="0"/>'
            self.xml.append(_paragraph(_text_runs(note, size=7.5), p_pr))
        self.paragraph()
        if landscape:
            self.orientation(False)

    def figure(self, f: Figure) -> None:
        from docx.shared import Inches

        self.counter["figure"] += 1
        png = f.to_png(DPI)
        if png is None:
            return
        self.orientation(False)
        self.flush()
        p = self.doc.add_paragraph()
        p.add_run().add_picture(io.BytesIO(png), width=Inches(6.3))
        p.paragraph_format.keep_with_next = True  # the caption under it
        self.caption("Figure", self.counter["figure"], f.title, f.caption)

    def section(self, s: Section, level: int) -> None:
        first = next((b for b in s.blocks if not isinstance(b, Note)), None)
        if isinstance(first, Table) and self.widths(first)[1]:
            self.orientation(True)  # the heading goes to the landscape page with its table
        self.heading(s.heading + (f" ({s.tag})" if s.tag else ""), min(level - 1, 9))
        for b in s.blocks:
            if isinstance(b, Section):
                self.section(b, level + 1)
            elif isinstance(b, Table):
                self.table(b)
            elif isinstance(b, Figure):
                self.figure(b)
            elif isinstance(b, Note):
                runs = _run(f"{b.lead}: ", "<w:b/>") if b.lead else ""
                runs += _run(b.text, _on("i", b.kind != "error"))
                self.xml.append(_paragraph(runs))
            elif isinstance(b, Items):
                for item in b.items:
                    self.paragraph(item, style="List Bullet")
            elif isinstance(b, Paragraph):
                self.paragraph(b.text)

    def heading(self, text: str, level: int, keep: bool = True) -> None:
        """``Document.add_heading`` (level 0: the Title style), kept with the next."""
        style = "Title" if level == 0 else f"Heading {level}"
        self.paragraph(text, style, "<w:keepNext/>" if keep else "")


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
    writer = _Writer(out)
    writer.heading(document.title, 0, keep=False)
    for line in document.subtitle:
        writer.paragraph(line)
    for s in document.sections:
        writer.section(s, 2)
    writer.flush()
    return out


def render_docx(document: Document, path: Path) -> None:
    """Write ``document`` to ``path`` as a .docx file."""
    from .escape import map_text, xml_safe

    # characters XML 1.0 forbids (a vertical tab from the data) would make python-docx fail
    build_docx(map_text(document, xml_safe)).save(str(path))
