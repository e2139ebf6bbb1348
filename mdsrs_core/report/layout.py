"""Table layout shared by the renderers: how wide each column of a table must be to hold
its content, and whether the table needs a landscape page (Word sections, HTML print pages).

Widths are estimated from Arial's advance widths (no font is loaded): good to a few percent,
which the 4% spare covers.
"""

from __future__ import annotations

from .document import Table

__all__ = ["text_width", "column_widths", "PORTRAIT_WIDTH", "LANDSCAPE_WIDTH", "TABLE_PT"]

#: page text widths in points: A4 with 2 cm margins, portrait and landscape
PORTRAIT_WIDTH = (21.0 - 4.0) / 2.54 * 72
LANDSCAPE_WIDTH = (29.7 - 4.0) / 2.54 * 72
#: table text size (points) and the cell's left + right padding (Word's default 0.19 cm each)
TABLE_PT = 8.0
_PADDING = 2 * 0.19 / 2.54 * 72 + 2.0


#: superscript characters (drawn smaller)
_SUPERSCRIPT = set("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖ")

#: Arial advance widths in em (1/1000 of the em square, Arial's metrics), by character class
_NARROW = set("ijl.,;:'|!()[]/-ft ")
_WIDE = set("mwMW%@")


def text_width(text: str, size: float = TABLE_PT) -> float:
    """An estimate of ``text``'s width in points in Arial at ``size`` (per-character advance
    widths of Arial's classes: narrow 0.28 em, wide 0.83 em, capitals 0.67 em, others --
    lower case, digits -- 0.556 em), 4% spare."""
    em = 0.0
    for ch in text:
        if ch in _SUPERSCRIPT:
            em += 0.37
        elif ch in _NARROW:
            em += 0.28
        elif ch in _WIDE:
            em += 0.83
        elif ch.isupper():
            em += 0.67
        else:
            em += 0.556
    return em * size * 1.04


def column_widths(t: Table) -> tuple[list[float], bool]:
    """Widths (points) of ``t``'s columns sized to their content, and whether the table needs
    a landscape page.

    A column's natural width holds its longest cell on one line; its minimum holds the
    longest word (label and text columns may wrap between words) -- numbers never wrap, so a
    number column's minimum is its natural width. A table whose natural width does not fit
    the portrait page goes landscape; the space left above the minimums is shared out in
    proportion to what each column lacks."""
    n = len(t.header)
    rows = [t.header, *t.rows]
    numeric = [t.align(i) == "right" for i in range(n)]
    natural, minimum = [], []
    for i in range(n):
        cells = [r[i] for r in rows if i < len(r)]
        body = [r[i] for r in t.rows if i < len(r)]
        indent = 9.0 * max(t.indent or [0]) if i == 0 else 0.0
        nat = max(text_width(c) for c in cells) + _PADDING + indent
        words = [w for c in cells for w in c.split()] or [""]
        word = max(text_width(w) for w in words) + _PADDING + indent
        if numeric[i]:
            word = max([word, *(text_width(c) + _PADDING for c in body)])
        natural.append(nat)
        minimum.append(min(word, nat))
    landscape = sum(natural) > PORTRAIT_WIDTH and sum(minimum) > 0.8 * PORTRAIT_WIDTH
    width = LANDSCAPE_WIDTH if landscape else PORTRAIT_WIDTH
    if sum(natural) <= width:
        return natural, landscape
    if sum(minimum) >= width:
        return [m * width / sum(minimum) for m in minimum], landscape
    spare = width - sum(minimum)
    lack = [nat - m for nat, m in zip(natural, minimum, strict=True)]
    return [m + spare * k / sum(lack) for m, k in zip(minimum, lack, strict=True)], landscape
