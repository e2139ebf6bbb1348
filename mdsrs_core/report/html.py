"""The report as one self-contained HTML file: CSS inline, figures as inline SVG, no script,
nothing fetched from the network (a Content-Security-Policy forbids it), printable."""

from __future__ import annotations

import re
from html import escape
from pathlib import Path

from .document import Document, Figure, Items, Note, Paragraph, Section, Table

__all__ = ["render_html", "html_text"]

_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "font-src 'none'; script-src 'none'; base-uri 'none'; form-action 'none'"
)


def _css() -> str:
    from .style import GREY, OKABE_ITO

    return f"""
:root {{ --ink: #1a1a1a; --muted: {GREY}; --rule: #222; --accent: {OKABE_ITO["blue"]};
  --warn: {OKABE_ITO["orange"]}; --error: {OKABE_ITO["vermillion"]}; }}
* {{ box-sizing: border-box; }}
body {{ font-family: "Segoe UI", "Helvetica Neue", Arial, "Liberation Sans", sans-serif;
  font-size: 15px; line-height: 1.5; color: var(--ink); margin: 0 auto; max-width: 1180px;
  padding: 24px 32px 64px; background: #fff; }}
h1 {{ font-size: 26px; margin: 0 0 4px; }}
h2 {{ font-size: 21px; margin: 40px 0 8px; padding-bottom: 4px;
  border-bottom: 2px solid var(--accent); }}
h3 {{ font-size: 17px; margin: 28px 0 6px; }}
h4 {{ font-size: 15px; margin: 20px 0 4px; }}
code {{ font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.85em;
  color: var(--muted); font-weight: normal; }}
p.subtitle {{ margin: 2px 0; color: var(--muted); }}
nav.toc {{ margin: 16px 0 8px; padding: 8px 16px; background: #f5f7fa; border-radius: 4px; }}
nav.toc ol {{ margin: 4px 0; padding-left: 22px; columns: 2; }}
nav.toc a {{ color: var(--accent); text-decoration: none; }}
.table-wrap {{ overflow-x: auto; margin: 14px 0 22px; }}
table {{ border-collapse: collapse; font-size: 13px; font-variant-numeric: tabular-nums;
  max-width: 100%; }}
caption {{ caption-side: top; text-align: left; font-weight: 600; padding: 0 0 6px;
  font-size: 14.5px; }}
thead th {{ border-top: 2px solid var(--rule); border-bottom: 1px solid var(--rule);
  text-align: left; padding: 5px 8px; vertical-align: bottom; font-weight: 600; }}
tbody td {{ padding: 3px 8px; vertical-align: top; overflow-wrap: break-word; }}
tbody tr:last-child td {{ border-bottom: 2px solid var(--rule); }}
tbody tr:nth-child(even) td {{ background: #fafafa; }}
th.num, td.num {{ text-align: right; }}
td.num {{ white-space: nowrap; }}  /* a number never breaks; headers wrap between words */
tbody td:first-child {{ min-width: 9em; }}
td.indent-1 {{ padding-left: 26px; }}
td.indent-2 {{ padding-left: 44px; }}
.footnotes {{ font-size: 12.5px; color: var(--muted); margin: 6px 0 0; padding-left: 0;
  list-style: none; }}
figure {{ margin: 18px 0 26px; }}
figure svg {{ max-width: 100%; height: auto; display: block; }}
figure img {{ max-width: 100%; }}
figcaption {{ font-size: 13px; color: var(--muted); margin-top: 6px; }}
figcaption b {{ color: var(--ink); }}
.note {{ margin: 8px 0; padding: 6px 12px; border-left: 4px solid var(--accent);
  background: #f3f7fb; font-size: 14px; }}
.note.warning {{ border-left-color: var(--warn); background: #fdf6e8; }}
.note.error {{ border-left-color: var(--error); background: #fcefe8; }}
footer {{ margin-top: 48px; font-size: 12.5px; color: var(--muted); }}
@page {{ size: A4; margin: 14mm 12mm; }}
@page wide {{ size: A4 landscape; margin: 12mm 12mm; }}
@media print {{
  body {{ max-width: none; padding: 0; font-size: 10pt; }}
  nav.toc {{ display: none; }}
  h2 {{ break-before: page; break-after: avoid; }}
  h3, h4, caption {{ break-after: avoid; }}
  .table-wrap {{ overflow: visible; }}
  .table-wrap.wide, section.wide {{ page: wide; }}
  table {{ font-size: 7.5pt; width: 100%; }}
  thead {{ display: table-header-group; }}
  tr {{ break-inside: avoid; }}
  tbody td:first-child {{ min-width: 0; }}
  thead th, tbody td {{ padding: 2px 5px; }}
  .table-wrap.wide table {{ font-size: 7pt; }}
  figure {{ break-inside: avoid; }}
  figure svg, figure img {{ max-height: 230mm; width: auto; max-width: 100%; }}
  section.wide figure svg, section.wide figure img {{ max-height: 160mm; }}
  tbody tr:nth-child(even) td {{ background: none; }}
}}
"""


def _svg_inline(svg: str, prefix: str) -> str:
    """An SVG document made fit to inline: no XML prolog or DOCTYPE, ids made unique (one
    pass over the text, linear in its size)."""
    from .style import renumber_svg_ids

    svg = re.sub(r"^\s*<\?xml[^>]*\?>", "", svg)
    svg = re.sub(r"<!DOCTYPE[^>]*>", "", svg, flags=re.IGNORECASE).strip()
    return renumber_svg_ids(svg, lambda _, name: f"{prefix}-{name}")


def _table(t: Table, number: int) -> str:
    aligns = [t.align(i) for i in range(len(t.header))]
    cls = lambda i: ' class="num"' if aligns[i] == "right" else ""  # noqa: E731
    head = "".join(f'<th scope="col"{cls(i)}>{escape(h)}</th>' for i, h in enumerate(t.header))
    body = []
    for k, row in enumerate(t.rows):
        cells = []
        for i, cell in enumerate(row):
            classes = []
            if aligns[i] == "right":
                classes.append("num")
            if i == 0 and t.indent and t.indent[k]:
                classes.append(f"indent-{min(t.indent[k], 2)}")
            attr = f' class="{" ".join(classes)}"' if classes else ""
            cells.append(f"<td{attr}>{escape(cell)}</td>")
        tag = f' data-tag="{escape(t.row_tags[k])}"' if t.row_tags else ""
        body.append(f"<tr{tag}>" + "".join(cells) + "</tr>")
    notes = "".join(f"<li>{escape(n)}</li>" for n in t.footnotes)
    from .layout import column_widths

    wide = " wide" if column_widths(t)[1] else ""  # printed on a landscape page
    return (
        f'<div class="table-wrap{wide}"><table id="{escape(t.id)}"><caption>'
        f"{escape(t.title)}</caption><thead><tr>{head}</tr></thead><tbody>"
        + "".join(body)
        + "</tbody></table>"
        + (f'<ul class="footnotes">{notes}</ul>' if notes else "")
        + "</div>"
    )


def _figure(f: Figure, number: int) -> str:
    svg = f.to_svg()
    if svg:
        content = _svg_inline(svg, f.id or f"figure-{number}")
    elif (png := f.to_png()) is not None:
        import base64

        data = base64.b64encode(png).decode("ascii")
        content = f'<img alt="{escape(f.title)}" src="data:image/png;base64,{data}">'
    else:
        return ""
    caption = f"<b>Figure {number}. {escape(f.title)}.</b>"
    if f.caption:
        caption += " " + escape(f.caption)
    return f'<figure id="{escape(f.id)}">{content}<figcaption>{caption}</figcaption></figure>'


def _note(n: Note) -> str:
    lead = f"<b>{escape(n.lead)}:</b> " if n.lead else ""
    return f'<div class="note {escape(n.kind)}">{lead}{escape(n.text)}</div>'


def _section(s: Section, level: int, counter: dict[str, int]) -> str:
    tag = f" <code>{escape(s.tag)}</code>" if s.tag else ""
    h = min(level, 6)
    from .layout import column_widths

    first = next((b for b in s.blocks if isinstance(b, (Table, Figure, Paragraph))), None)
    # a section that opens with a wide table is printed on landscape pages as a whole, so
    # that its heading is not left alone on a portrait page
    wide = ' class="wide"' if isinstance(first, Table) and column_widths(first)[1] else ""
    out = [f'<section id="{escape(s.id)}"{wide}><h{h}>{escape(s.heading)}{tag}</h{h}>']
    for b in s.blocks:
        if isinstance(b, Section):
            out.append(_section(b, level + 1, counter))
        elif isinstance(b, Table):
            counter["table"] += 1
            out.append(_table(b, counter["table"]))
        elif isinstance(b, Figure):
            counter["figure"] += 1
            out.append(_figure(b, counter["figure"]))
        elif isinstance(b, Note):
            out.append(_note(b))
        elif isinstance(b, Items):
            out.append("<ul>" + "".join(f"<li>{escape(i)}</li>" for i in b.items) + "</ul>")
        elif isinstance(b, Paragraph):
            out.append(f"<p>{escape(b.text)}</p>")
    out.append("</section>")
    return "\n".join(out)


def html_text(document: Document) -> str:
    """The HTML text of ``document``."""
    if not all(s.id for s in document.sections):
        document.assign_ids()
    counter = {"table": 0, "figure": 0}
    toc = "".join(
        f'<li><a href="#{escape(s.id)}">{escape(s.heading)}</a></li>' for s in document.sections
    )
    body = "\n".join(_section(s, 2, counter) for s in document.sections)
    subtitle = "".join(f'<p class="subtitle">{escape(line)}</p>' for line in document.subtitle)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<meta name="generator" content="mdsrs">
<title>{escape(document.title)}</title>
<style>{_css()}</style>
</head>
<body>
<header><h1>{escape(document.title)}</h1>{subtitle}</header>
<nav class="toc" aria-label="Contents"><ol>{toc}</ol></nav>
<main>
{body}
</main>
<footer>Generated by mdsrs from the analysis-results records (results.json).</footer>
</body>
</html>
"""


def render_html(document: Document, path: Path) -> None:
    """Write ``document`` to ``path`` as a self-contained HTML file."""
    Path(path).write_text(html_text(document), encoding="utf-8")
