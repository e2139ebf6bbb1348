"""The report as Markdown (GitHub-flavoured tables); figures as SVG files (the HTML report's
rendering, drawn once per run) in ``<report>_files/`` beside it, linked relatively."""

from __future__ import annotations

from pathlib import Path

from .document import Document, Figure, Items, Note, Paragraph, Section, Table
from .escape import map_text, markdown_escape
from .formatting import markdown_table

__all__ = ["render_markdown", "markdown_text"]

#: resolution of a figure that exists only as PNG (a plugin's bytes)
DPI = 200


def _table(t: Table, number: int, level: int) -> list[str]:
    rows = [list(r) for r in t.rows]
    for k, row in enumerate(rows):
        if t.indent and t.indent[k] and row:
            # entities, not U+00A0 characters: renderers that trim those keep these
            row[0] = "&nbsp;" * 4 * t.indent[k] + row[0]
    text = markdown_table(t.header, rows)
    # right-align numeric columns (GFM alignment row)
    lines = text.split("\n")
    lines[1] = (
        "|"
        + "|".join("---:" if t.align(i) == "right" else "---" for i in range(len(t.header)))
        + "|"
    )
    out = [f"{'#' * min(level, 6)} {t.title}", "", *lines, ""]
    out += [f"<sub>{n}</sub>  " for n in t.footnotes]
    return out + ([""] if t.footnotes else [])


def _figure(f: Figure, number: int, files: Path, base: Path) -> list[str]:
    # SVG, as in the HTML report: the same rendering serves both (one drawing per figure);
    # a figure given only as PNG bytes is written as PNG
    svg = f.to_svg()
    content: str | bytes | None = svg if svg else f.to_png(DPI)
    if content is None:
        return []
    files.mkdir(parents=True, exist_ok=True)
    target = files / f"{f.id or f'figure-{number}'}.{'svg' if svg else 'png'}"
    if isinstance(content, str):
        target.write_text(content, encoding="utf-8")
    else:
        target.write_bytes(content)
    rel = target.relative_to(base).as_posix()
    caption = f"*Figure {number}. {f.title}.*" + (f" {f.caption}" if f.caption else "")
    return [f"![{f.title}]({rel})", "", caption, ""]


def _note(n: Note) -> list[str]:
    lead = f"**{n.lead}**: " if n.lead else ""
    return [f"> {lead}{n.text}", ""] if n.kind != "error" else [f"{lead}{n.text}", ""]


def _section(s: Section, level: int, ctx: dict) -> list[str]:
    tag = f" (`{s.tag}`)" if s.tag else ""
    out = [f"{'#' * min(level, 6)} {s.heading}{tag}", ""]
    for b in s.blocks:
        if isinstance(b, Section):
            out += _section(b, level + 1, ctx)
        elif isinstance(b, Table):
            ctx["table"] += 1
            out += _table(b, ctx["table"], level + 1)
        elif isinstance(b, Figure):
            ctx["figure"] += 1
            if ctx["files"] is not None:
                out += _figure(b, ctx["figure"], ctx["files"], ctx["base"])
        elif isinstance(b, Note):
            out += _note(b)
        elif isinstance(b, Items):
            out += [f"- {i}" for i in b.items] + [""]
        elif isinstance(b, Paragraph):
            out += [b.text, ""]
    return out


def markdown_text(document: Document, files: Path | None = None, base: Path | None = None) -> str:
    """The Markdown of ``document``; figures are written into ``files`` (omitted if None)."""
    if not all(s.id for s in document.sections):
        document.assign_ids()
    document = map_text(document, markdown_escape)  # text from the data is literal text
    ctx = {"table": 0, "figure": 0, "files": files, "base": base or Path(".")}
    out = [f"# {document.title}", ""]
    for line in document.subtitle:
        out += [line, ""]
    for s in document.sections:
        out += _section(s, 2, ctx)
    return "\n".join(out).rstrip() + "\n"


def render_markdown(document: Document, path: Path) -> None:
    """Write ``document`` to ``path``, its figures as PNG into ``<stem>_files/``."""
    path = Path(path)
    files = path.parent / f"{path.stem}_files"
    path.write_text(markdown_text(document, files, path.parent), encoding="utf-8")
