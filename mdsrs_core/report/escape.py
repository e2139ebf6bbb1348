"""Text from the data made safe for each output (OWASP's output encoding, per format).

Arm names, levels, terms, patient ids and notes come from the user's files, which may hold
anything: ``<script>``, terminal escape sequences, characters XML forbids, spreadsheet
formulas. Each output escapes them where it writes them:

* :func:`markdown_escape` -- Markdown: HTML tags, links, emphasis, code spans and table pipes
  escaped with backslashes (CommonMark shows a ``<`` after a backslash as text), a
  line-start block marker (``#``, ``>``, a ``-`` or ``1.`` and a space) escaped, line
  breaks as spaces;
* :func:`terminal_safe` -- the terminal: control characters (ESC sequences move the cursor,
  rewrite the screen or the window title), DEL, C1 controls and bidirectional overrides
  ("Trojan Source") shown as escapes such as ``\\x1b``; line breaks and tabs kept;
* :func:`xml_safe` -- Word (XML 1.0): characters XML forbids (a vertical tab made
  report.docx fail) replaced by U+FFFD;
* :func:`spreadsheet_safe` -- CSV: a text cell starting with ``=``, ``+``, ``-``, ``@``, a
  tab or a carriage return gets a leading apostrophe, so that Excel or LibreOffice shows it as
  text instead of running it as a formula (OWASP, "CSV Injection"); numbers are never
  changed. XLSX cells are written as text cells (:func:`write_xlsx_text_safe`): never
  formulas, and shown exactly.

:func:`map_text` applies one of them to every text of a report document. Standard library
only, so that the command line and any renderer (a plugin's too) can call it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .document import Document

__all__ = [
    "markdown_escape",
    "terminal_safe",
    "xml_safe",
    "spreadsheet_safe",
    "map_text",
    "write_xlsx_text_safe",
]

_TERMINAL_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
# "|" is escaped by the table writer (formatting.markdown_table), where it matters
_MD_SPECIAL = re.compile(r"([\\`*\[\]<~])")
_MD_LINE_START = re.compile(r"^(\s*)(#{1,6}(?=\s|$)|>|[-+*](?=\s)|\d{1,9}(?=[.)]\s)|=+\s*$|-+\s*$)")


def markdown_escape(text: Any) -> str:
    """``text`` as literal Markdown text (inline: no HTML, link, emphasis or code span; no
    block structure; control characters replaced by U+FFFD)."""
    out = _TERMINAL_UNSAFE.sub("\ufffd", " ".join(str(text).splitlines()))
    out = _MD_SPECIAL.sub(r"\\\1", out)
    return _MD_LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), out, count=1)


def terminal_safe(text: Any) -> str:
    """``text`` with control characters shown as escapes (``\\x1b``, ``\\u202e``), so that
    nothing from the data can drive the terminal; newlines and tabs are kept."""

    def shown(m: re.Match[str]) -> str:
        code = ord(m.group(0))
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return _TERMINAL_UNSAFE.sub(shown, str(text).replace("\r\n", "\n"))


_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: Any) -> str:
    """``text`` without the characters XML 1.0 forbids (each replaced by U+FFFD)."""
    return _XML_FORBIDDEN.sub("\ufffd", str(text))


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """A CSV cell that a spreadsheet cannot run: text starting with ``= + - @``, a tab or a
    carriage return gets a leading ``'`` (OWASP); anything that is not text (a number, a
    missing value) is returned unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def map_text(document: Document, fn: Callable[[str], str]) -> Document:
    """A copy of ``document`` with ``fn`` applied to every text in it (titles, headings,
    table cells and footnotes, paragraphs, notes, items, figure titles and captions). Figures
    keep their drawings; ``records`` are shared."""
    from .document import Figure, Items, Note, Paragraph, Section, Table

    def block(b: Any) -> Any:
        if isinstance(b, Section):
            return dataclasses.replace(
                b,
                heading=fn(b.heading),
                tag=fn(b.tag) if b.tag else b.tag,
                blocks=[block(x) for x in b.blocks],
            )
        if isinstance(b, Table):
            return dataclasses.replace(
                b,
                title=fn(b.title),
                header=[fn(h) for h in b.header],
                rows=[[fn(c) for c in row] for row in b.rows],
                footnotes=[fn(n) for n in b.footnotes],
            )
        if isinstance(b, Paragraph):
            return dataclasses.replace(b, text=fn(b.text))
        if isinstance(b, Note):
            return dataclasses.replace(b, text=fn(b.text), lead=fn(b.lead) if b.lead else "")
        if isinstance(b, Items):
            return dataclasses.replace(b, items=[fn(i) for i in b.items])
        if isinstance(b, Figure):
            title, caption = fn(b.title), fn(b.caption) if b.caption else b.caption
            if (title, caption) == (b.title, b.caption):
                return b  # the same object: its rendering is drawn once
            return dataclasses.replace(b, title=title, caption=caption)
        return b

    if not all(s.id for s in document.sections):
        document.assign_ids()
    return dataclasses.replace(
        document,
        title=fn(document.title),
        subtitle=[fn(s) for s in document.subtitle],
        sections=[block(s) for s in document.sections],
    )


def write_xlsx_text_safe(frame: pd.DataFrame, path: str | Path) -> None:
    """``frame`` as an .xlsx sheet (header row, no index) whose text cells are stored as
    text: a value such as ``=HYPERLINK(...)`` is shown as written and never becomes a
    formula (openpyxl, like pandas' ``to_excel``, would store it as one)."""
    import openpyxl
    from pandas import isna as pd_isna

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([str(c) for c in frame.columns])
    for r, row in enumerate(frame.itertuples(index=False), start=2):
        for c, value in enumerate(row, start=1):
            try:
                if value is None or bool(pd_isna(value)):
                    continue
            except (TypeError, ValueError):
                pass
            if hasattr(value, "item"):  # numpy scalars
                value = value.item()
            cell = sheet.cell(row=r, column=c)
            if isinstance(value, str):
                cell.value = xml_safe(value)
                cell.data_type = "s"
            elif isinstance(value, (int, float, bool)):
                cell.value = value
            else:
                cell.value = str(value)
                cell.data_type = "s"
    book.save(str(path))
