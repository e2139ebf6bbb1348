"""A format-neutral report document: what every renderer (HTML, Word, Markdown...) writes.

:func:`mdsrs_core.report.build.build_document` turns a run into a :class:`Document`; a
renderer only lays it out. Blocks are plain data: :class:`Paragraph`, :class:`Table` (header
and rows of text, footnotes), :class:`Figure` (a matplotlib Figure, or its SVG/PNG already
rendered), :class:`Items` (a bulleted list), :class:`Note` and nested :class:`Section`.
Nothing here computes a number or imports matplotlib.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Document",
    "Section",
    "Paragraph",
    "Items",
    "Table",
    "Figure",
    "Note",
    "Block",
    "is_numeric_cell",
    "slug",
]

_NUMERIC = re.compile(r"^[<>≥≤=\s]*[-+−]?(\d|\.\d|NA$|NR$|Inf$)")


def is_numeric_cell(text: str) -> bool:
    """Whether a table cell holds a number (right-aligned by renderers): ``"12 (50.0%)"``,
    ``"<0.001"``, ``"-0.78 (-1.36 to -0.19)"``, ``"NA"``; not ``"Grade 1"``."""
    return bool(_NUMERIC.match(text.strip())) if text else False


def slug(text: str) -> str:
    """An HTML id / file-name fragment for ``text``."""
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return s or "section"


@dataclass
class Paragraph:
    """A paragraph of plain text (no markup)."""

    text: str


@dataclass
class Items:
    """A bulleted list of plain-text items."""

    items: list[str]


@dataclass
class Note:
    """A note for the reader; ``kind`` is ``"note"``, ``"warning"`` (a fallback, a
    non-convergence, a conclusion that depends on the test) or ``"error"`` (a failure)."""

    text: str
    kind: str = "note"
    lead: str = ""  # a word shown before the text in bold: "Failed", "Skipped", "Warning"


@dataclass
class Table:
    """A table of text: ``header`` (one row) and ``rows``, with a ``title`` and footnotes.

    ``stub`` is the number of leading columns that are labels (left-aligned); the other
    columns are right-aligned where they hold numbers (:func:`is_numeric_cell`).
    ``indent`` gives, per row, an indent level of its first cell (Table 1's sub-rows).
    """

    title: str
    header: list[str]
    rows: list[list[str]]
    footnotes: list[str] = field(default_factory=list)
    stub: int = 1
    indent: list[int] | None = None
    id: str = ""
    #: per row, a machine-readable tag (the summary table: the endpoint the row is from);
    #: HTML writes it as the row's ``data-tag``
    row_tags: list[str] | None = None

    def align(self, column: int) -> str:
        """``"left"`` or ``"right"`` for a column (numbers right, labels left)."""
        if column < self.stub:
            return "left"
        cells = [r[column] for r in self.rows if column < len(r) and r[column].strip()]
        return "right" if cells and all(is_numeric_cell(c) for c in cells) else "left"


@dataclass
class Figure:
    """A figure: a matplotlib ``Figure`` in ``figure``, or its rendering in ``svg`` / ``png``.

    :meth:`to_svg` and :meth:`to_png` render on demand (through
    :mod:`mdsrs_core.report.style`) and keep the result (PNG: per resolution).
    """

    title: str
    figure: Any = None
    svg: str | None = None
    png: bytes | None = None
    caption: str = ""
    id: str = ""

    def to_svg(self) -> str | None:
        if self.svg is None and self.figure is not None:
            from .style import to_svg

            self.svg = to_svg(self.figure)
        return self.svg

    def to_png(self, dpi: int = 300) -> bytes | None:
        """PNG bytes at ``dpi`` (a PNG given as ``png`` is returned as it is; one rendered
        earlier at ``dpi`` is kept, also once ``figure`` is dropped)."""
        if self.png is not None:
            return self.png
        cache = self.__dict__.setdefault("_png_by_dpi", {})
        if dpi not in cache and self.figure is None:
            return None
        if dpi not in cache:
            from .style import to_png

            cache[dpi] = to_png(self.figure, dpi=dpi)
        return cache[dpi]


@dataclass
class Section:
    """A heading and its blocks (paragraphs, tables, figures, notes, subsections)."""

    heading: str
    blocks: list[Block] = field(default_factory=list)
    id: str = ""
    tag: str = ""  # a code name shown beside the heading (the endpoint's name)

    def add(self, block: Block) -> Block:
        """Append a block; returns it."""
        self.blocks.append(block)
        return block

    def walk(self, level: int = 1) -> Iterator[tuple[int, Section]]:
        """This section and its subsections, depth first, with their heading levels."""
        yield level, self
        for b in self.blocks:
            if isinstance(b, Section):
                yield from b.walk(level + 1)


Block = Paragraph | Items | Note | Table | Figure | Section


@dataclass
class Document:
    """The report: a title, lines under it (``subtitle``) and top-level sections.

    ``records`` are the analysis-results records the document was built from (what the
    JSON and CSV renderers write).
    """

    title: str
    subtitle: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    records: list[Any] = field(default_factory=list)

    def add(self, section: Section) -> Section:
        self.sections.append(section)
        return section

    def walk(self) -> Iterator[tuple[int, Section]]:
        """Every section with its heading level (top-level sections are level 2; the
        title is level 1)."""
        for s in self.sections:
            yield from s.walk(2)

    def tables(self) -> list[Table]:
        return [b for _, s in self.walk() for b in s.blocks if isinstance(b, Table)]

    def figures(self) -> list[Figure]:
        return [b for _, s in self.walk() for b in s.blocks if isinstance(b, Figure)]

    def assign_ids(self) -> None:
        """Give every section, table and figure a unique ``id`` (kept if set)."""
        seen: set[str] = set()

        def unique(base: str) -> str:
            candidate, i = base, 2
            while candidate in seen:
                candidate, i = f"{base}-{i}", i + 1
            seen.add(candidate)
            return candidate

        for _, s in self.walk():
            s.id = unique(s.id or slug(s.heading))
            for b in s.blocks:
                if isinstance(b, (Table, Figure)):
                    prefix = "table" if isinstance(b, Table) else "figure"
                    b.id = unique(b.id or f"{prefix}-{slug(b.title)}")


def rows_of(
    header: Sequence[Any], rows: Sequence[Sequence[Any]]
) -> tuple[list[str], list[list[str]]]:
    """``header`` and ``rows`` as text (``None`` -> ``""``)."""
    return ([str(h) for h in header], [["" if c is None else str(c) for c in r] for r in rows])
